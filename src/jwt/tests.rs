//! Unit tests for JWT claim validation (security.md rows 14–16).

use serde_json::json;
use zeroize::Zeroizing;

use super::*;
use crate::jwk::KeyInner;

use crate::test_rng::TestRng;

const NOW: UnixTime = 1_700_000_000;

fn key() -> Key {
    Key::from_inner(KeyInner::Oct(Zeroizing::new(vec![3u8; 32])))
}

fn obj(v: serde_json::Value) -> Object {
    match v {
        serde_json::Value::Object(m) => m,
        _ => unreachable!(),
    }
}

fn token(claims: serde_json::Value) -> String {
    sign(
        &obj(json!({"alg": "HS256", "typ": "JWT"})),
        &obj(claims),
        &key(),
        &mut TestRng(5),
    )
    .unwrap()
}

/// Returns "OK" or `code:claim`.
fn check(claims: serde_json::Value, v: &Validation) -> String {
    match verify(&token(claims), &key(), v) {
        Ok(_) => "OK".into(),
        Err(e) => match e.claim_failure() {
            Some(c) => format!("{}:{}:{}", e.code(), c.claim, c.reason),
            None => e.code().into(),
        },
    }
}

#[test]
fn time_claims() {
    let v = Validation::new(NOW);
    assert_eq!(check(json!({"exp": NOW + 10}), &v), "OK");
    assert_eq!(
        check(json!({"exp": NOW}), &v),
        "ERR_JWT_EXPIRED:exp:check_failed"
    );
    assert_eq!(
        check(json!({"exp": NOW as f64 - 1.5}), &v),
        "ERR_JWT_EXPIRED:exp:check_failed"
    );
    assert_eq!(
        check(json!({"exp": -1}), &v),
        "ERR_JWT_EXPIRED:exp:check_failed"
    );
    assert_eq!(
        check(json!({"nbf": NOW + 5}), &v),
        "ERR_JWT_CLAIM_VALIDATION_FAILED:nbf:check_failed"
    );
    let tolerant = Validation {
        clock_tolerance: 30,
        ..Validation::new(NOW)
    };
    assert_eq!(
        check(json!({"exp": NOW - 20, "nbf": NOW + 20}), &tolerant),
        "OK"
    );
    assert_eq!(
        check(json!({"exp": NOW - 31}), &tolerant),
        "ERR_JWT_EXPIRED:exp:check_failed"
    );
    let too_tolerant = Validation {
        clock_tolerance: MAX_CLOCK_TOLERANCE + 1,
        ..Validation::new(NOW)
    };
    assert_eq!(check(json!({}), &too_tolerant), "ERR_INVALID_ARG_VALUE");
}

/// CVE-2026-25537 class: a wrong type is an error, never "absent".
#[test]
fn wrong_claim_types_are_errors() {
    let v = Validation::new(NOW);
    for (claims, claim) in [
        (json!({"exp": "never"}), "exp"),
        (json!({"exp": null}), "exp"),
        (json!({"exp": [1]}), "exp"),
        (json!({"nbf": "0"}), "nbf"),
        (json!({"iat": true}), "iat"),
        (json!({"iss": 1}), "iss"),
        (json!({"sub": {}}), "sub"),
        (json!({"jti": 7}), "jti"),
        (json!({"aud": 1}), "aud"),
        (json!({"aud": []}), "aud"),
        (json!({"aud": ["a", 2]}), "aud"),
    ] {
        assert_eq!(
            check(claims.clone(), &v),
            format!("ERR_JWT_CLAIM_VALIDATION_FAILED:{claim}:invalid"),
            "{claims}"
        );
    }
}

#[test]
fn exp_out_of_range_is_malformed() {
    // 1e400 is not a finite JSON number: the claims set is rejected as malformed.
    let header = b64::encode(br#"{"alg":"HS256"}"#);
    let payload = b64::encode(br#"{"exp":1e400}"#);
    let input = format!("{header}.{payload}");
    let sig = crate::jwa::sign(Alg::Hs256, &key(), input.as_bytes(), &mut TestRng(1)).unwrap();
    let t = format!("{input}.{}", b64::encode(sig));
    assert_eq!(
        verify(&t, &key(), &Validation::new(NOW))
            .map_err(|e| e.code())
            .err(),
        Some("ERR_JWT_INVALID")
    );
}

#[test]
fn issuer_audience_subject() {
    let v = Validation {
        issuer: vec!["https://a".into(), "https://b".into()],
        audience: vec!["client".into()],
        subject: Some("alice".into()),
        ..Validation::new(NOW)
    };
    assert_eq!(
        check(
            json!({"iss": "https://b", "aud": ["x", "client"], "sub": "alice"}),
            &v
        ),
        "OK"
    );
    assert_eq!(
        check(
            json!({"iss": "https://c", "aud": "client", "sub": "alice"}),
            &v
        ),
        "ERR_JWT_CLAIM_VALIDATION_FAILED:iss:check_failed"
    );
    assert_eq!(
        check(json!({"aud": "client", "sub": "alice"}), &v),
        "ERR_JWT_CLAIM_VALIDATION_FAILED:iss:missing"
    );
    assert_eq!(
        check(
            json!({"iss": "https://a", "aud": ["x"], "sub": "alice"}),
            &v
        ),
        "ERR_JWT_CLAIM_VALIDATION_FAILED:aud:check_failed"
    );
    assert_eq!(
        check(json!({"iss": "https://a", "sub": "alice"}), &v),
        "ERR_JWT_CLAIM_VALIDATION_FAILED:aud:missing"
    );
    assert_eq!(
        check(
            json!({"iss": "https://a", "aud": "client", "sub": "bob"}),
            &v
        ),
        "ERR_JWT_CLAIM_VALIDATION_FAILED:sub:check_failed"
    );
}

#[test]
fn max_token_age_and_required_claims() {
    let v = Validation {
        max_token_age: Some(60),
        required_claims: vec!["jti".into()],
        ..Validation::new(NOW)
    };
    assert_eq!(check(json!({"iat": NOW - 30, "jti": "1"}), &v), "OK");
    assert_eq!(
        check(json!({"iat": NOW - 61, "jti": "1"}), &v),
        "ERR_JWT_EXPIRED:iat:check_failed"
    );
    assert_eq!(
        check(json!({"iat": NOW + 10, "jti": "1"}), &v),
        "ERR_JWT_CLAIM_VALIDATION_FAILED:iat:check_failed"
    );
    assert_eq!(
        check(json!({"jti": "1"}), &v),
        "ERR_JWT_CLAIM_VALIDATION_FAILED:iat:missing"
    );
    assert_eq!(
        check(json!({"iat": NOW}), &v),
        "ERR_JWT_CLAIM_VALIDATION_FAILED:jti:missing"
    );
}

#[test]
fn typ_is_compared_as_media_type() {
    let v = Validation {
        typ: Some("application/JWT".into()),
        ..Validation::new(NOW)
    };
    assert_eq!(check(json!({}), &v), "OK");
    let v = Validation {
        typ: Some("at+jwt".into()),
        ..Validation::new(NOW)
    };
    assert_eq!(
        check(json!({}), &v),
        "ERR_JWT_CLAIM_VALIDATION_FAILED:typ:check_failed"
    );
}

#[test]
fn payload_must_be_a_json_object_without_duplicates() {
    for payload in [
        &b"[1]"[..],
        b"not json",
        br#"{"sub":"a","sub":"b"}"#,
        br#"{"\u0073ub":"a","sub":"b"}"#,
    ] {
        let t = crate::jws::sign_compact(
            &obj(json!({"alg": "HS256"})),
            payload,
            &key(),
            &mut TestRng(1),
        )
        .unwrap();
        assert_eq!(
            verify(&t, &key(), &Validation::new(NOW))
                .map_err(|e| e.code())
                .err(),
            Some("ERR_JWT_INVALID")
        );
        assert_eq!(
            decode(&t).map_err(|e| e.code()).err(),
            Some("ERR_JWT_INVALID")
        );
    }
}

#[test]
fn b64_false_is_refused_in_jwts() {
    let header = obj(json!({"alg": "HS256", "b64": false, "crit": ["b64"]}));
    assert!(sign(&header, &obj(json!({})), &key(), &mut TestRng(1)).is_err());
    let t = crate::jws::sign_compact(&header, b"{}", &key(), &mut TestRng(1)).unwrap();
    assert_eq!(
        verify(&t, &key(), &Validation::new(NOW))
            .map_err(|e| e.code())
            .err(),
        Some("ERR_JWT_INVALID")
    );
}

#[test]
fn decode_without_verification() {
    let t = token(json!({"sub": "x"}));
    assert_eq!(decode(&t).unwrap().get("sub"), Some(&json!("x")));
    assert_eq!(
        decode("a.b").map_err(|e| e.code()).err(),
        Some("ERR_JWT_INVALID")
    );
    assert_eq!(
        decode("a.b.c.d.e").map_err(|e| e.code()).err(),
        Some("ERR_JWT_INVALID")
    );
}
