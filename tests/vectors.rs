//! Conformance tests against the authoritative vectors in `/work/shared/vectors/` (read in place):
//! RFC 7515 App. A and E, RFC 7797 §4, RFC 7519 §3.1/§6.1/App. A, RFC 8037 App. A, the RFC 7520
//! cookbook §4.1–4.4 and the OpenID Connect Core App. A ID tokens.
//!
//! Every test counts the cases it ran and asserts that count equals what the file holds.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{Summary, TestRng, code, example, examples, flip_bit, load, obj, s, vector_path};
use oidckit::jws::{self, VerifyOptions};
use oidckit::jwt::{self, Validation};
use oidckit::{Alg, JwkSet, Key, KeyKind, b64, jwa};
use serde_json::{Value, json};

/// Private JWK members (RFC 7518 §6.2.2, §6.3.2, RFC 8037 §2) removed to get the public JWK.
const PRIVATE_MEMBERS: &[&str] = &["d", "p", "q", "dp", "dq", "qi", "oth"];

fn import(jwk: &Value) -> Key {
    Key::from_jwk(obj(jwk), None).unwrap_or_else(|e| panic!("cannot import {jwk}: {e:?}"))
}

/// The key a verifier holds: the public half of an asymmetric key, the secret itself for `oct`.
fn verifier(key: &Key) -> Key {
    match key.kind() {
        KeyKind::Secret | KeyKind::Public => key.clone(),
        KeyKind::Private => key.to_public().expect("public half"),
    }
}

fn public_jwk(jwk: &Value) -> Value {
    let mut m = obj(jwk).clone();
    for name in PRIVATE_MEMBERS {
        m.remove(*name);
    }
    Value::Object(m)
}

fn jwk_set(jwks: &[Value]) -> JwkSet {
    let text = json!({ "keys": jwks }).to_string();
    JwkSet::from_json(&text).unwrap_or_else(|e| panic!("cannot import JWK Set {text}: {e:?}"))
}

fn octets(v: &Value) -> Vec<u8> {
    v.as_array()
        .expect("an octet array")
        .iter()
        .map(|b| u8::try_from(b.as_u64().expect("an octet")).expect("an octet"))
        .collect()
}

fn opts(algs: &[Alg]) -> VerifyOptions {
    VerifyOptions {
        algorithms: algs.to_vec(),
        ..VerifyOptions::default()
    }
}

fn segments(token: &str) -> Vec<&str> {
    token.split('.').collect()
}

/// The expected ECDSA signature length (R‖S, RFC 7518 §3.4).
fn ecdsa_len(alg: Alg) -> Option<usize> {
    match alg {
        Alg::Es256 => Some(64),
        Alg::Es384 => Some(96),
        Alg::Es512 => Some(132),
        _ => None,
    }
}

/// Asserts that `token` verifies with `key` (and only with its exact bits): a flipped bit in the
/// payload or in the signature is rejected.
fn assert_verifies_and_tamper_rejected(token: &str, key: &Key, alg: Alg, payload: &[u8]) {
    for o in [VerifyOptions::default(), opts(&[alg])] {
        let v = jws::verify_compact(token, key, &o)
            .unwrap_or_else(|e| panic!("{alg} token does not verify: {e:?}\n{token}"));
        assert_eq!(v.payload, payload, "{alg}: payload");
        assert_eq!(v.header.alg, alg);
    }
    let sig_len = b64::decode(segments(token)[2], "sig").unwrap().len();
    for (seg, byte) in [(2, 0), (2, sig_len / 2), (2, sig_len - 1), (1, 3)] {
        let tampered = flip_bit(token, seg, byte, 5);
        let r = jws::verify_compact(&tampered, key, &VerifyOptions::default());
        assert_eq!(
            code(&r),
            "ERR_JWS_SIGNATURE_VERIFICATION_FAILED",
            "{alg}: a flipped bit in segment {seg} byte {byte} must be rejected"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// RFC 7515 Appendix A and E
// ---------------------------------------------------------------------------------------------

/// RFC 7515 A.1–A.4: re-sign the deterministic ones byte for byte, verify all, reject tampering.
fn rfc7515_signed(ex: &Value, rng: &mut TestRng) {
    let alg: Alg = s(&ex["alg"]).parse().unwrap();
    let key = import(&ex["jwk"]);
    let public = verifier(&key);
    let header = octets(&ex["protected_header_octets"]);
    let payload = octets(&ex["payload_octets"]);
    assert_eq!(header, s(&ex["protected_header_utf8"]).as_bytes());
    assert_eq!(b64::encode(&header), s(&ex["protected_b64u"]));
    let compact = s(&ex["compact"]);
    assert_eq!(
        compact,
        format!("{}.{}", s(&ex["signing_input"]), s(&ex["signature_b64u"]))
    );

    let ours = jws::sign_compact_with_header_bytes(&header, &payload, &key, rng).unwrap();
    if ex["deterministic"] == true {
        // A.1 (HMAC) and A.2 (PKCS#1 v1.5) are deterministic: identical octets (CRLF included).
        assert_eq!(ours, compact, "{alg}: re-signed token differs from the RFC");
    } else {
        // ECDSA is randomized: our own signature must round-trip and have the R‖S length.
        assert_eq!(segments(&ours)[..2], segments(compact)[..2]);
        let sig = b64::decode(segments(&ours)[2], "sig").unwrap();
        assert_eq!(Some(sig.len()), ecdsa_len(alg), "{alg}: R‖S length");
        assert_verifies_and_tamper_rejected(&ours, &public, alg, &payload);
    }
    assert_verifies_and_tamper_rejected(compact, &public, alg, &payload);
    // The private key verifies too (it holds its public key).
    assert!(jws::verify_compact(compact, &key, &VerifyOptions::default()).is_ok());
    // Through a JWK Set holding the public JWK (JWK Sets publish asymmetric keys; whether a
    // set may also serve `oct` secrets is a policy question these vectors do not decide).
    if key.kind() != KeyKind::Secret {
        let set = jwk_set(&[public_jwk(&ex["jwk"])]);
        let v = jws::verify_compact(compact, &set, &VerifyOptions::default()).unwrap();
        assert_eq!(v.payload, payload);
    }
    // A.1–A.3 carry JWT claims: the JWT verifier accepts them before `exp`.
    if payload.starts_with(b"{") {
        let v = jwt::verify(compact, &public, &Validation::new(1_300_819_370)).unwrap();
        assert_eq!(v.claims["iss"], "joe");
        assert_eq!(v.claims["http://example.com/is_root"], true);
    }
}

/// RFC 7515 A.5: the unsecured JWS is rejected by every verification path.
fn rfc7515_unsecured(file: &Value, ex: &Value) {
    let token = s(&ex["compact"]);
    assert!(token.ends_with('.'), "A.5 has an empty signature");
    let keys: Vec<Key> = ["A.1", "A.2", "A.3", "A.4"]
        .iter()
        .map(|a| {
            verifier(&import(
                &example(file, &format!("RFC 7515 Appendix {a}"))["jwk"],
            ))
        })
        .collect();
    let detached = {
        let p = segments(token);
        format!("{}..{}", p[0], p[2])
    };
    let payload = b64::decode(segments(token)[1], "payload").unwrap();
    for key in &keys {
        for o in [VerifyOptions::default(), opts(&Alg::ALL)] {
            let r = jws::verify_compact(token, key, &o);
            assert_eq!(
                code(&r),
                "ERR_JOSE_ALG_NOT_ALLOWED",
                "A.5 via verify_compact"
            );
            let r = jws::verify_compact_detached(&detached, &payload, key, &o);
            assert_eq!(
                code(&r),
                "ERR_JOSE_ALG_NOT_ALLOWED",
                "A.5 via verify_compact_detached"
            );
        }
        let v = Validation {
            algorithms: Alg::ALL.to_vec(),
            ..Validation::new(1_300_819_370)
        };
        for v in [Validation::new(1_300_819_370), v] {
            let r = jwt::verify(token, key, &v);
            assert_eq!(code(&r), "ERR_JOSE_ALG_NOT_ALLOWED", "A.5 via jwt::verify");
        }
    }
    let all: Vec<Value> = ["A.2", "A.3", "A.4"]
        .iter()
        .map(|a| public_jwk(&example(file, &format!("RFC 7515 Appendix {a}"))["jwk"]))
        .collect();
    let set = jwk_set(&all);
    let r = jws::verify_compact(token, &set, &VerifyOptions::default());
    assert_eq!(code(&r), "ERR_JOSE_ALG_NOT_ALLOWED", "A.5 via a JWK Set");
    let r = jwt::verify(token, &set, &Validation::new(1_300_819_370));
    assert_eq!(
        code(&r),
        "ERR_JOSE_ALG_NOT_ALLOWED",
        "A.5 via jwt::verify and a JWK Set"
    );
    // "none" is not even an algorithm name the crate can parse.
    assert!("none".parse::<Alg>().is_err());
}

/// RFC 7515 A.6 / A.7 (JSON serializations): each signature verifies over the same signing input
/// (RFC 7515 §7.2), and the JSON text is refused by the compact verifier.
fn rfc7515_json(file: &Value, ex: &Value) {
    let j = &ex["json"];
    let sigs: Vec<&Value> = match j["signatures"].as_array() {
        Some(list) => list.iter().collect(),
        None => vec![j],
    };
    assert!(!sigs.is_empty());
    for sig in sigs {
        let kid = s(&sig["header"]["kid"]);
        let which = s(&ex["keys"][kid]);
        let appendix = ["A.2", "A.3"]
            .into_iter()
            .find(|a| which.contains(&format!("Appendix {a}")))
            .unwrap_or_else(|| panic!("unknown key reference {which:?}"));
        let key = verifier(&import(
            &example(file, &format!("RFC 7515 Appendix {appendix}"))["jwk"],
        ));
        let compact = format!(
            "{}.{}.{}",
            s(&sig["protected"]),
            s(&j["payload"]),
            s(&sig["signature"])
        );
        let v =
            jws::verify_compact(&compact, &key, &VerifyOptions::default()).unwrap_or_else(|e| {
                panic!("{}: signature {kid} does not verify: {e:?}", ex["section"])
            });
        assert!(v.payload.starts_with(b"{\"iss\":\"joe\""));
        // Polyglot defence (security.md row 14): the JSON form is not a compact JWS.
        let r = jws::verify_compact(s(&ex["json_text"]), &key, &VerifyOptions::default());
        assert_eq!(code(&r), "ERR_JWS_INVALID");
    }
}

/// RFC 7515 Appendix E: a `crit` naming an extension the recipient does not understand.
fn rfc7515_crit(file: &Value, ex: &Value) {
    let token = s(&ex["compact"]);
    for a in ["A.1", "A.2", "A.3", "A.4"] {
        let key = verifier(&import(
            &example(file, &format!("RFC 7515 Appendix {a}"))["jwk"],
        ));
        for o in [VerifyOptions::default(), opts(&Alg::ALL)] {
            let r = jws::verify_compact(token, &key, &o);
            assert!(r.is_err(), "Appendix E must fail");
            println!("[rfc7515] Appendix E with the {a} key: {}", code(&r));
        }
    }
    // The same header protected by HS256 (jjwt's variant) isolates the `crit` rule itself.
    let header = s(&ex["protected_header_decoded_utf8"]).replace("\"none\"", "\"HS256\"");
    let key = import(&example(file, "RFC 7515 Appendix A.1")["jwk"]);
    let t = jws::sign_compact_with_header_bytes(header.as_bytes(), b"FAIL", &key, &mut TestRng(1))
        .unwrap();
    let r = jws::verify_compact(&t, &key, &VerifyOptions::default());
    assert_eq!(code(&r), "ERR_JOSE_NOT_SUPPORTED", "unknown crit extension");
    let r = jwt::verify(&t, &key, &Validation::new(0));
    assert_eq!(
        code(&r),
        "ERR_JOSE_NOT_SUPPORTED",
        "unknown crit extension (JWT)"
    );
    // Only a caller who declares it understands the extension gets past `crit`.
    let understood = VerifyOptions {
        crit: vec!["http://example.com/UNDEFINED".into()],
        ..VerifyOptions::default()
    };
    assert_eq!(
        jws::verify_compact(&t, &key, &understood).unwrap().payload,
        b"FAIL"
    );
}

#[test]
fn rfc7515_appendix_a_and_e() {
    let file = load("rfc/rfc7515_appendix_a.json");
    let mut sum = Summary::new("rfc7515");
    let mut rng = TestRng(7515);
    for ex in examples(&file) {
        let section = s(&ex["section"]);
        match section {
            "RFC 7515 Appendix A.1"
            | "RFC 7515 Appendix A.2"
            | "RFC 7515 Appendix A.3"
            | "RFC 7515 Appendix A.4" => rfc7515_signed(ex, &mut rng),
            "RFC 7515 Appendix A.5" => rfc7515_unsecured(&file, ex),
            "RFC 7515 Appendix A.6" | "RFC 7515 Appendix A.7" => rfc7515_json(&file, ex),
            "RFC 7515 Appendix E" => rfc7515_crit(&file, ex),
            other => panic!("unexpected example {other:?}"),
        }
        sum.case(section);
    }
    sum.finish(examples(&file).len());
}

// ---------------------------------------------------------------------------------------------
// RFC 7797 §4
// ---------------------------------------------------------------------------------------------

#[test]
fn rfc7797_section4() {
    let file = load("rfc/rfc7797_section4.json");
    let mut sum = Summary::new("rfc7797");
    for ex in examples(&file) {
        let section = s(&ex["section"]);
        let key = import(&ex["jwk"]);
        let header = s(&ex["protected_header_utf8"]).as_bytes();
        let payload = s(&ex["payload_utf8"]).as_bytes();
        match section {
            "RFC 7797 Section 4.1" => {
                let compact = s(&ex["compact"]);
                let v = jws::verify_compact(compact, &key, &VerifyOptions::default()).unwrap();
                assert_eq!(v.payload, payload);
                assert!(v.header.b64);
                let t = jws::sign_compact_with_header_bytes(header, payload, &key, &mut TestRng(1))
                    .unwrap();
                assert_eq!(t, compact, "§4.1 re-signed");
            }
            "RFC 7797 Section 4.2" => {
                let detached = s(&ex["compact_detached"]);
                let o = VerifyOptions::default();
                let v = jws::verify_compact_detached(detached, payload, &key, &o).unwrap();
                assert_eq!(v.payload, payload);
                assert!(!v.header.b64);
                assert_eq!(v.header.crit, vec!["b64".to_owned()]);
                let r = jws::verify_compact_detached(detached, b"$.03", &key, &o);
                assert_eq!(code(&r), "ERR_JWS_SIGNATURE_VERIFICATION_FAILED");
                // Without the detached content the (empty) payload does not verify.
                let r = jws::verify_compact(detached, &key, &o);
                assert_eq!(code(&r), "ERR_JWS_SIGNATURE_VERIFICATION_FAILED");
                // Unencoded payloads are refused in JWTs (RFC 7797 §7).
                assert!(jwt::verify(detached, &key, &Validation::new(0)).is_err());

                // Re-sign: the signing input is the encoded header, '.', and the raw payload.
                let p = segments(detached);
                let input = s(&ex["signing_input_utf8"]);
                assert_eq!(input.as_bytes(), [p[0].as_bytes(), b".", payload].concat());
                assert_eq!(p[0], b64::encode(header));
                let sig = jwa::sign(Alg::Hs256, &key, input.as_bytes(), &mut TestRng(1)).unwrap();
                assert_eq!(b64::encode(sig), p[2], "§4.2 re-signed signature");
                assert_eq!(
                    s(&ex["flattened_json_assembled_by_collector"]["signature"]),
                    p[2]
                );
                // "$.02" contains '.', so it cannot be embedded in a compact JWS (RFC 7797 §5.2):
                // the attached form is refused; only the detached form exists.
                let r = jws::sign_compact_with_header_bytes(header, payload, &key, &mut TestRng(1));
                assert_eq!(code(&r), "ERR_INVALID_ARG_VALUE");
            }
            other => panic!("unexpected example {other:?}"),
        }
        sum.case(section);
    }
    sum.finish(examples(&file).len());
}

// ---------------------------------------------------------------------------------------------
// RFC 7519 examples
// ---------------------------------------------------------------------------------------------

#[test]
fn rfc7519_examples() {
    let file = load("rfc/rfc7519_examples.json");
    let a1_key = import(&example(&file, "RFC 7519 Section 3.1")["jwk"]);
    let mut sum = Summary::new("rfc7519");
    for ex in examples(&file) {
        let section = s(&ex["section"]);
        let token = s(&ex["compact"]);
        match section {
            "RFC 7519 Section 3.1" => {
                // exp = 1300819380: valid just before, expired at and after it.
                let v = jwt::verify(token, &a1_key, &Validation::new(1_300_819_370)).unwrap();
                assert_eq!(v.claims["iss"], "joe");
                assert_eq!(v.claims["exp"], 1_300_819_380);
                assert_eq!(v.claims["http://example.com/is_root"], true);
                assert_eq!(v.header.typ.as_deref(), Some("JWT"));
                let strict = Validation {
                    algorithms: vec![Alg::Hs256],
                    issuer: vec!["joe".into()],
                    typ: Some("JWT".into()),
                    ..Validation::new(1_300_819_379)
                };
                assert!(jwt::verify(token, &a1_key, &strict).is_ok());
                for now in [1_300_819_380, 1_400_000_000] {
                    let e = jwt::verify(token, &a1_key, &Validation::new(now)).unwrap_err();
                    assert_eq!(e.code(), "ERR_JWT_EXPIRED");
                    assert_eq!(e.claim_failure().map(|c| c.claim.as_str()), Some("exp"));
                }
                let header = s(&ex["jose_header_utf8"]).as_bytes();
                let claims = s(&ex["claims_utf8"]).as_bytes();
                let t =
                    jws::sign_compact_with_header_bytes(header, claims, &a1_key, &mut TestRng(1))
                        .unwrap();
                assert_eq!(t, token, "§3.1 re-signed");
            }
            "RFC 7519 Section 6.1" => {
                for v in [
                    Validation::new(1_300_819_370),
                    Validation {
                        algorithms: Alg::ALL.to_vec(),
                        ..Validation::new(1_300_819_370)
                    },
                ] {
                    let r = jwt::verify(token, &a1_key, &v);
                    assert_eq!(code(&r), "ERR_JOSE_ALG_NOT_ALLOWED", "unsecured JWT");
                }
            }
            "RFC 7519 Appendix A.1" | "RFC 7519 Appendix A.2" => {
                assert_eq!(segments(token).len(), 5, "a JWE has five parts");
                let r = jws::verify_compact(token, &a1_key, &VerifyOptions::default());
                assert_eq!(code(&r), "ERR_JWS_INVALID", "JWE given to the JWS verifier");
                let r = jwt::verify(token, &a1_key, &Validation::new(1_300_819_370));
                assert_eq!(code(&r), "ERR_JWS_INVALID", "JWE given to the JWT verifier");
                println!(
                    "[rfc7519] {section}: JWE refused by the JWS/JWT verifiers (JWE support comes later)"
                );
            }
            other => panic!("unexpected example {other:?}"),
        }
        sum.case(section);
    }
    sum.finish(examples(&file).len());
}

// ---------------------------------------------------------------------------------------------
// RFC 8037 Appendix A (Ed25519)
// ---------------------------------------------------------------------------------------------

#[test]
fn rfc8037_appendix_a() {
    let file = load("rfc/rfc8037_appendix_a.json");
    let private = import(&example(&file, "RFC 8037 Appendix A.1")["jwk"]);
    let public = import(&example(&file, "RFC 8037 Appendix A.2")["jwk"]);
    assert_eq!(public.kind(), KeyKind::Public);
    let mut sum = Summary::new("rfc8037");
    let jws_examples = examples(&file)
        .iter()
        .filter(|e| e.get("compact").is_some())
        .count();
    for ex in examples(&file)
        .iter()
        .filter(|e| e.get("compact").is_some())
    {
        let section = s(&ex["section"]);
        let token = s(&ex["compact"]);
        match section {
            "RFC 8037 Appendix A.4" => {
                let t = jws::sign_compact_with_header_bytes(
                    s(&ex["protected_header_utf8"]).as_bytes(),
                    s(&ex["payload_utf8"]).as_bytes(),
                    &private,
                    &mut TestRng(1),
                )
                .unwrap();
                assert_eq!(t, token, "A.4 re-signed byte for byte");
                assert_eq!(
                    hex::encode(b64::decode(segments(token)[2], "sig").unwrap()),
                    s(&ex["signature_hex"])
                );
            }
            "RFC 8037 Appendix A.5" => {
                let payload = s(&ex["payload_utf8"]).as_bytes();
                assert_verifies_and_tamper_rejected(token, &public, Alg::EdDsa, payload);
                assert!(jws::verify_compact(token, &private, &VerifyOptions::default()).is_ok());
                let set = jwk_set(&[example(&file, "RFC 8037 Appendix A.2")["jwk"].clone()]);
                assert!(jws::verify_compact(token, &set, &VerifyOptions::default()).is_ok());
            }
            other => panic!("unexpected JWS example {other:?}"),
        }
        sum.case(section);
    }
    sum.finish(jws_examples);
}

// ---------------------------------------------------------------------------------------------
// RFC 7520 cookbook §4.1–4.4
// ---------------------------------------------------------------------------------------------

#[test]
fn rfc7520_cookbook_jws_4_1_to_4_4() {
    let dir = vector_path("rfc7520-cookbook/jws");
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| {
            ["4_1.", "4_2.", "4_3.", "4_4."]
                .iter()
                .any(|p| n.starts_with(p))
        })
        .collect();
    files.sort();
    assert_eq!(files.len(), 4, "cookbook files 4_1..4_4");

    // The published public keys of the cookbook's jwk/ directory, as one JWK Set (§3.1, §3.3):
    // they share a kid and are told apart by the token's alg.
    let set_jwks: Vec<Value> = ["3_1.ec_public_key.json", "3_3.rsa_public_key.json"]
        .iter()
        .map(|f| load(&format!("rfc7520-cookbook/jwk/{f}")))
        .collect();
    let set = jwk_set(&set_jwks);

    let mut sum = Summary::new("rfc7520");
    let mut rng = TestRng(7520);
    for name in &files {
        let ex = load(&format!("rfc7520-cookbook/jws/{name}"));
        let alg: Alg = s(&ex["input"]["alg"]).parse().unwrap();
        let key = import(&ex["input"]["key"]);
        let public = verifier(&key);
        let payload = s(&ex["input"]["payload"]).as_bytes();
        let compact = s(&ex["output"]["compact"]);
        assert_eq!(
            compact,
            format!(
                "{}.{}",
                s(&ex["signing"]["sig-input"]),
                s(&ex["signing"]["sig"])
            )
        );
        assert_verifies_and_tamper_rejected(compact, &public, alg, payload);
        if key.kind() != KeyKind::Secret {
            let v = jws::verify_compact(compact, &set, &VerifyOptions::default())
                .unwrap_or_else(|e| panic!("{name}: JWK Set verification failed: {e:?}"));
            assert_eq!(v.header.kid.as_deref(), ex["input"]["key"]["kid"].as_str());
        }
        // The flattened JSON output carries the same signature (RFC 7515 §7.2.2).
        assert_eq!(
            s(&ex["output"]["json_flat"]["signature"]),
            s(&ex["signing"]["sig"])
        );

        let header = b64::decode(s(&ex["signing"]["protected_b64u"]), "header").unwrap();
        let ours = jws::sign_compact_with_header_bytes(&header, payload, &key, &mut rng).unwrap();
        if ex["reproducible"] == true {
            assert_eq!(ours, compact, "{name}: re-signed token differs");
        } else {
            assert_eq!(segments(&ours)[..2], segments(compact)[..2]);
            if let Some(len) = ecdsa_len(alg) {
                assert_eq!(b64::decode(segments(&ours)[2], "sig").unwrap().len(), len);
            }
            assert_verifies_and_tamper_rejected(&ours, &public, alg, payload);
        }
        sum.case(name);
    }
    sum.finish(files.len());
}

// ---------------------------------------------------------------------------------------------
// OpenID Connect Core 1.0 Appendix A
// ---------------------------------------------------------------------------------------------

#[test]
fn oidc_core_appendix_a_id_tokens() {
    let file = load("rfc/oidc_core_appendix_a.json");
    let jwk = &example(
        &file,
        "OpenID Connect Core 1.0 Appendix A.7 (ExampleRSAKey)",
    )["jwk"];
    let key = import(jwk);
    let set = jwk_set(std::slice::from_ref(jwk));
    let tokens: Vec<&Value> = examples(&file)
        .iter()
        .filter(|e| e.get("id_token").is_some())
        .collect();
    let mut sum = Summary::new("oidc");
    for ex in &tokens {
        let token = s(&ex["id_token"]);
        let expected = &ex["expected_claims"];
        let iat = expected["iat"].as_i64().unwrap();
        let exp = expected["exp"].as_i64().unwrap();
        let v = Validation {
            algorithms: vec![Alg::Rs256],
            issuer: vec![s(&expected["iss"]).to_owned()],
            audience: vec![s(&expected["aud"]).to_owned()],
            subject: Some(s(&expected["sub"]).to_owned()),
            required_claims: vec!["iat".into(), "exp".into(), "nonce".into()],
            ..Validation::new(iat + 1)
        };
        let by_set =
            jwt::verify(token, &set, &v).unwrap_or_else(|e| panic!("{}: {e:?}", ex["section"]));
        assert_eq!(Value::Object(by_set.claims.clone()), *expected);
        assert_eq!(by_set.header.kid.as_deref(), Some("1e9gdk7"));
        let by_key = jwt::verify(token, &key, &v).unwrap();
        assert_eq!(by_key.claims, by_set.claims);
        // Outside the validity window, and with the wrong audience or issuer: rejected.
        let r = jwt::verify(
            token,
            &set,
            &Validation {
                now: exp,
                ..v.clone()
            },
        );
        assert_eq!(code(&r), "ERR_JWT_EXPIRED");
        let r = jwt::verify(
            token,
            &set,
            &Validation {
                audience: vec!["other".into()],
                ..v.clone()
            },
        );
        assert_eq!(code(&r), "ERR_JWT_CLAIM_VALIDATION_FAILED");
        let r = jwt::verify(
            token,
            &set,
            &Validation {
                issuer: vec!["https://server.example.com/".into()],
                ..v.clone()
            },
        );
        assert_eq!(code(&r), "ERR_JWT_CLAIM_VALIDATION_FAILED");
        let r = jwt::verify(&flip_bit(token, 2, 100, 0), &set, &v);
        assert_eq!(code(&r), "ERR_JWS_SIGNATURE_VERIFICATION_FAILED");
        sum.case(s(&ex["section"]));
    }
    sum.finish(tokens.len());
}
