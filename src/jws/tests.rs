//! Unit tests for compact JWS: shape, header and `crit` checks (security.md rows 1, 4, 7, 13, 14).

use serde_json::json;
use zeroize::Zeroizing;

use super::*;
use crate::jwk::KeyInner;

use crate::test_rng::TestRng;

fn secret() -> Key {
    Key::from_inner(KeyInner::Oct(Zeroizing::new(vec![7u8; 64])))
}

fn obj(v: serde_json::Value) -> Object {
    match v {
        serde_json::Value::Object(m) => m,
        _ => unreachable!(),
    }
}

fn hs256(header: serde_json::Value, payload: &[u8]) -> String {
    sign_compact(&obj(header), payload, &secret(), &mut TestRng(1)).unwrap()
}

fn code(r: Result<Verified>) -> &'static str {
    r.map(|_| ()).map_err(|e| e.code()).err().unwrap_or("OK")
}

#[test]
fn round_trip() {
    let t = hs256(json!({"alg": "HS256", "kid": "k1"}), b"hello");
    let v = verify_compact(&t, &secret(), &VerifyOptions::default()).unwrap();
    assert_eq!(v.payload, b"hello");
    assert_eq!(v.header.alg, Alg::Hs256);
    assert_eq!(v.header.kid.as_deref(), Some("k1"));
}

#[test]
fn alg_none_and_disallowed_algs_rejected() {
    let t = hs256(json!({"alg": "HS256"}), b"x");
    let (_, rest) = t.split_once('.').unwrap();
    for alg in ["none", "None", "NONE", "RS256", "ES256", ""] {
        let h = b64::encode(serde_json::to_vec(&json!({ "alg": alg })).unwrap());
        let forged = format!("{h}.{rest}");
        assert_eq!(
            code(verify_compact(
                &forged,
                &secret(),
                &VerifyOptions::default()
            )),
            "ERR_JOSE_ALG_NOT_ALLOWED",
            "{alg}"
        );
    }
    // An empty signature is never accepted.
    let h = b64::encode(br#"{"alg":"HS256"}"#);
    let unsigned = format!("{h}.eA.");
    assert_eq!(
        code(verify_compact(
            &unsigned,
            &secret(),
            &VerifyOptions::default()
        )),
        "ERR_JWS_SIGNATURE_VERIFICATION_FAILED"
    );
    // An allow-list that excludes the token's alg.
    let opts = VerifyOptions {
        algorithms: vec![Alg::Hs512],
        ..VerifyOptions::default()
    };
    assert_eq!(
        code(verify_compact(&t, &secret(), &opts)),
        "ERR_JOSE_ALG_NOT_ALLOWED"
    );
}

#[test]
fn shape_and_size_limits() {
    let t = hs256(json!({"alg": "HS256"}), b"x");
    for bad in [
        String::new(),
        "a.b".into(),
        format!("{t}.x"),
        format!("{t}.x.y"),
        format!("{t}="),
        t.replacen('.', "=.", 1),
        format!(" {t}"),
    ] {
        let c = code(verify_compact(&bad, &secret(), &VerifyOptions::default()));
        assert!(
            c == "ERR_JWS_INVALID" || c == "ERR_JWS_SIGNATURE_VERIFICATION_FAILED",
            "{bad}: {c}"
        );
    }
    let huge = "a".repeat(DEFAULT_MAX_TOKEN_LENGTH + 1);
    assert_eq!(
        code(verify_compact(&huge, &secret(), &VerifyOptions::default())),
        "ERR_JWS_INVALID"
    );
    let big_header = format!("{}.e30.sig", "a".repeat(MAX_HEADER_LENGTH + 4));
    assert_eq!(
        code(verify_compact(
            &big_header,
            &secret(),
            &VerifyOptions::default()
        )),
        "ERR_JWS_INVALID"
    );
}

#[test]
fn duplicate_header_members_rejected() {
    for header in [
        r#"{"alg":"HS256","alg":"HS256"}"#,
        r#"{"alg":"HS256","\u0061lg":"HS256"}"#,
    ] {
        let t = sign_compact_with_header_bytes(header.as_bytes(), b"x", &secret(), &mut TestRng(1));
        assert_eq!(t.map_err(|e| e.code()).err(), Some("ERR_INVALID_ARG_VALUE"));
        // Forge one by hand and verify: rejected as malformed.
        let h = b64::encode(header);
        let forged = format!("{h}.eA.AAAA");
        assert_eq!(
            code(verify_compact(
                &forged,
                &secret(),
                &VerifyOptions::default()
            )),
            "ERR_JWS_INVALID"
        );
    }
}

#[test]
fn crit_rules() {
    let cases: &[(serde_json::Value, &str)] = &[
        (
            json!({"alg": "HS256", "crit": ["exp"], "exp": 1}),
            "ERR_JOSE_NOT_SUPPORTED",
        ),
        (json!({"alg": "HS256", "crit": []}), "ERR_JWS_INVALID"),
        (json!({"alg": "HS256", "crit": "b64"}), "ERR_JWS_INVALID"),
        (json!({"alg": "HS256", "crit": ["alg"]}), "ERR_JWS_INVALID"),
        (
            json!({"alg": "HS256", "crit": ["b64", "b64"], "b64": true}),
            "ERR_JWS_INVALID",
        ),
        (json!({"alg": "HS256", "crit": ["b64"]}), "ERR_JWS_INVALID"),
        (json!({"alg": "HS256", "crit": [1]}), "ERR_JWS_INVALID"),
        (json!({"alg": "HS256", "b64": false}), "ERR_JWS_INVALID"),
        (
            json!({"alg": "HS256", "b64": "false", "crit": ["b64"]}),
            "ERR_JWS_INVALID",
        ),
    ];
    for (header, expected) in cases {
        let h = b64::encode(serde_json::to_vec(header).unwrap());
        let signing_input = format!("{h}.eA");
        let sig = crate::jwa::sign(
            Alg::Hs256,
            &secret(),
            signing_input.as_bytes(),
            &mut TestRng(1),
        )
        .unwrap();
        let t = format!("{signing_input}.{}", b64::encode(sig));
        assert_eq!(
            code(verify_compact(&t, &secret(), &VerifyOptions::default())),
            *expected,
            "{header}"
        );
    }
    // A caller-recognized extension is accepted.
    let t = hs256(
        json!({"alg": "HS256", "crit": ["http://example.com/x"], "http://example.com/x": 1}),
        b"x",
    );
    let opts = VerifyOptions {
        crit: vec!["http://example.com/x".into()],
        ..VerifyOptions::default()
    };
    assert_eq!(code(verify_compact(&t, &secret(), &opts)), "OK");
    assert_eq!(
        code(verify_compact(&t, &secret(), &VerifyOptions::default())),
        "ERR_JOSE_NOT_SUPPORTED"
    );
}

#[test]
fn unencoded_payload_and_detached() {
    let header = json!({"alg": "HS256", "b64": false, "crit": ["b64"]});
    let t = hs256(header.clone(), b"$02");
    assert!(t.contains(".$02."));
    let v = verify_compact(&t, &secret(), &VerifyOptions::default()).unwrap();
    assert_eq!(v.payload, b"$02");
    assert!(!v.header.b64);
    // '.' cannot appear in an unencoded compact payload.
    assert!(sign_compact(&obj(header), b"$.02", &secret(), &mut TestRng(1)).is_err());
    // Detached (RFC 7515 App. F): empty payload segment.
    let t = hs256(json!({"alg": "HS256"}), b"content");
    let mut parts = t.split('.');
    let detached = format!("{}..{}", parts.next().unwrap(), parts.nth(1).unwrap());
    assert_eq!(
        code(verify_compact_detached(
            &detached,
            b"content",
            &secret(),
            &VerifyOptions::default()
        )),
        "OK"
    );
    assert_eq!(
        code(verify_compact_detached(
            &detached,
            b"other",
            &secret(),
            &VerifyOptions::default()
        )),
        "ERR_JWS_SIGNATURE_VERIFICATION_FAILED"
    );
    assert_eq!(
        code(verify_compact_detached(
            &t,
            b"content",
            &secret(),
            &VerifyOptions::default()
        )),
        "ERR_JWS_INVALID"
    );
}

#[test]
fn non_string_kid_and_typ_rejected() {
    for header in [
        json!({"alg": "HS256", "kid": 1}),
        json!({"alg": "HS256", "kid": null}),
        json!({"alg": "HS256", "typ": ["JWT"]}),
    ] {
        let h = b64::encode(serde_json::to_vec(&header).unwrap());
        let t = format!("{h}.eA.AAAA");
        assert_eq!(
            code(verify_compact(&t, &secret(), &VerifyOptions::default())),
            "ERR_JWS_INVALID"
        );
    }
}

#[test]
fn embedded_jwk_is_never_used() {
    // The attacker signs with their own secret and embeds it; we verify with ours.
    let attacker = Key::from_inner(KeyInner::Oct(Zeroizing::new(vec![9u8; 64])));
    let header = obj(
        json!({"alg": "HS256", "jwk": {"kty": "oct", "k": b64::encode([9u8; 64])}, "jku": "https://evil.example/jwks", "x5u": "https://evil.example/x"}),
    );
    let t = sign_compact(&header, b"x", &attacker, &mut TestRng(1)).unwrap();
    assert_eq!(
        code(verify_compact(&t, &secret(), &VerifyOptions::default())),
        "ERR_JWS_SIGNATURE_VERIFICATION_FAILED"
    );
}

#[test]
fn decode_protected_header_shapes() {
    let t = hs256(json!({"alg": "HS256", "kid": "a"}), b"x");
    assert_eq!(
        decode_protected_header(&t).unwrap().get("kid"),
        Some(&json!("a"))
    );
    assert!(decode_protected_header("a.b").is_err());
    assert!(decode_protected_header("e30.a.b.c").is_err());
    assert!(decode_protected_header("e30.a.b.c.d").is_ok());
}
