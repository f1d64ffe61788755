//! OpenID Connect ID Token validation (OpenID Connect Core 1.0 §3.1.3.7, §3.2.2.11,
//! §3.3.2.12): the four signed ID Tokens of Core Appendix A (read in place from
//! `/work/shared/vectors/rfc/oidc_core_appendix_a.json`), and one named negative test per
//! applicable RP certification check of security.md §4 (plus the FAPI client checks listed
//! there), against tokens signed here with deterministic test keys.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{Summary, TestRng, code, examples, flip_bit, load, obj, s, to_obj};
use oidckit::jwk::GenerateOptions;
use oidckit::oidc::{IdTokenValidation, token_hash, validate_id_token};
use oidckit::{Alg, Error, JwkSet, Key, Object, b64, jwt};
use serde_json::{Value, json};

const APPENDIX_A: &str = "rfc/oidc_core_appendix_a.json";
/// Inside the validity of the Appendix A tokens (`iat` 1311280970, `exp` 1311281970).
const APPENDIX_A_NOW: i64 = 1_311_281_000;

const ISS: &str = "https://op.example";
const CLIENT: &str = "client-1";
const NONCE: &str = "n-0S6_WzA2Mj";
const NOW: i64 = 1_700_000_000;

// ---------------------------------------------------------------------------------------------
// Helpers

fn appendix_a_key(file: &Value) -> Key {
    let ex = examples(file)
        .iter()
        .find(|e| e.get("jwk").is_some())
        .expect("the App. A.7 key");
    Key::from_jwk(obj(&ex["jwk"]), None).unwrap()
}

fn appendix_a_tokens(file: &Value) -> Vec<&Value> {
    examples(file)
        .iter()
        .filter(|e| e.get("id_token").is_some())
        .collect()
}

fn gen_key(alg: Alg, seed: u64) -> Key {
    Key::generate(alg, &mut TestRng(seed), GenerateOptions::default()).unwrap()
}

fn public(key: &Key, kid: Option<&str>) -> Key {
    let mut p = key.to_public().unwrap();
    p.meta.kid = kid.map(str::to_owned);
    p
}

fn sign_with(key: &Key, header: Value, claims: &Object) -> String {
    jwt::sign(&to_obj(header), claims, key, &mut TestRng(99)).unwrap()
}

/// A valid ES256 ID Token's claims at `NOW`.
fn claims() -> Object {
    to_obj(json!({
        "iss": ISS,
        "sub": "248289761001",
        "aud": CLIENT,
        "exp": NOW + 600,
        "iat": NOW - 10,
        "nonce": NONCE,
    }))
}

fn with(mut c: Object, name: &str, value: Value) -> Object {
    c.insert(name.to_owned(), value);
    c
}

fn without(mut c: Object, name: &str) -> Object {
    c.remove(name);
    c
}

/// The ES256 test signer (kid `k1`) and its public key.
struct Op {
    key: Key,
    public: Key,
}

impl Op {
    fn new() -> Self {
        let key = gen_key(Alg::Es256, 1);
        let public = public(&key, Some("k1"));
        Self { key, public }
    }
    fn sign(&self, c: &Object) -> String {
        sign_with(&self.key, json!({"alg": "ES256", "kid": "k1"}), c)
    }
}

/// Code-flow expectations for the ES256 tokens, with the nonce that was sent.
fn validation() -> IdTokenValidation {
    IdTokenValidation {
        algorithms: vec![Alg::Es256],
        nonce: Some(NONCE.into()),
        ..IdTokenValidation::new(ISS, CLIENT, NOW)
    }
}

/// Asserts a claim failure with this code, claim and reason.
fn assert_claim<T: std::fmt::Debug>(r: Result<T, Error>, code: &str, claim: &str, reason: &str) {
    let err = r.expect_err("the ID Token must be rejected");
    assert_eq!(err.code(), code, "{err:?}");
    let failure = err.claim_failure().expect("a claim failure");
    assert_eq!(failure.claim, claim, "{err:?}");
    assert_eq!(failure.reason, reason, "{err:?}");
}

fn failed<T: std::fmt::Debug>(r: Result<T, Error>, claim: &str, reason: &str) {
    assert_claim(r, "ERR_JWT_CLAIM_VALIDATION_FAILED", claim, reason);
}

// ---------------------------------------------------------------------------------------------
// OpenID Connect Core 1.0 Appendix A

/// `rp-id_token-sig-rs256`: the four Appendix A ID Tokens (RS256, the default
/// `id_token_signed_response_alg`) validate with the App. A.7 key, with `nonce`, `at_hash`
/// (access token) and `c_hash` (code) checked and required where the response type has them.
#[test]
fn appendix_a_id_tokens_validate() {
    let file = load(APPENDIX_A);
    let key = appendix_a_key(&file);
    let set = JwkSet::from_keys(vec![key.clone()]);
    let mut summary = Summary::new("oidc_core_appendix_a");
    for ex in appendix_a_tokens(&file) {
        let expected = obj(&ex["expected_claims"]);
        let v = IdTokenValidation {
            nonce: Some(s(&expected["nonce"]).to_owned()),
            access_token: ex.get("access_token").map(|t| s(t).to_owned()),
            code: ex.get("code").map(|t| s(t).to_owned()),
            require_at_hash: ex.get("access_token").is_some(),
            require_c_hash: ex.get("code").is_some(),
            ..IdTokenValidation::new(s(&expected["iss"]), s(&expected["aud"]), APPENDIX_A_NOW)
        };
        let token = s(&ex["id_token"]);
        let verified = validate_id_token(token, &key, &v).unwrap();
        assert_eq!(&verified.claims, expected, "{}", ex["section"]);
        assert_eq!(verified.header.alg, Alg::Rs256);
        // The same through a JWK Set (kid `1e9gdk7`).
        validate_id_token(token, &set, &v).unwrap();

        // A different access token / code is refused when the token carries the hash.
        if let Some(at) = expected.get("at_hash") {
            assert_eq!(token_hash(Alg::Rs256, s(&ex["access_token"])), s(at));
            let wrong = IdTokenValidation {
                access_token: Some("another-access-token".into()),
                ..v.clone()
            };
            failed(
                validate_id_token(token, &key, &wrong),
                "at_hash",
                "check_failed",
            );
        }
        if let Some(c) = expected.get("c_hash") {
            assert_eq!(token_hash(Alg::Rs256, s(&ex["code"])), s(c));
            let wrong = IdTokenValidation {
                code: Some("another-code".into()),
                ..v.clone()
            };
            failed(
                validate_id_token(token, &key, &wrong),
                "c_hash",
                "check_failed",
            );
        }
        // One second after `exp`: expired.
        let late = IdTokenValidation {
            now: s_to_i64(&expected["exp"]) + 1,
            ..v.clone()
        };
        assert_claim(
            validate_id_token(token, &key, &late),
            "ERR_JWT_EXPIRED",
            "exp",
            "check_failed",
        );
        summary.case(s(&ex["section"]));
    }
    summary.finish(4);
}

fn s_to_i64(v: &Value) -> i64 {
    v.as_i64().expect("an integer")
}

// ---------------------------------------------------------------------------------------------
// RP certification checks (security.md §4) and FAPI client checks

/// `rp-id_token-issuer-mismatch`: `iss` must equal the issuer exactly (§3.1.3.7 step 2).
#[test]
fn rp_id_token_issuer_mismatch() {
    let op = Op::new();
    for iss in [
        json!("https://evil.example"),
        json!("https://op.example/"),
        json!("HTTPS://OP.EXAMPLE"),
    ] {
        let t = op.sign(&with(claims(), "iss", iss));
        failed(
            validate_id_token(&t, &op.public, &validation()),
            "iss",
            "check_failed",
        );
    }
    let t = op.sign(&without(claims(), "iss"));
    failed(
        validate_id_token(&t, &op.public, &validation()),
        "iss",
        "missing",
    );
    let t = op.sign(&with(claims(), "iss", json!(["https://op.example"])));
    failed(
        validate_id_token(&t, &op.public, &validation()),
        "iss",
        "invalid",
    );
}

/// `rp-id_token-sub`: `sub` is REQUIRED and a string (§2).
#[test]
fn rp_id_token_sub_missing() {
    let op = Op::new();
    let t = op.sign(&without(claims(), "sub"));
    failed(
        validate_id_token(&t, &op.public, &validation()),
        "sub",
        "missing",
    );
    let t = op.sign(&with(claims(), "sub", json!(248289761001_u64)));
    failed(
        validate_id_token(&t, &op.public, &validation()),
        "sub",
        "invalid",
    );
}

/// `rp-id_token-aud` (`-invalid-aud`, `-missing-aud`; security.md row 16): `aud` must be
/// present, a string or a non-empty array of strings, and contain the `client_id`.
#[test]
fn rp_id_token_aud_missing_or_wrong() {
    let op = Op::new();
    let v = validation();
    let t = op.sign(&without(claims(), "aud"));
    failed(validate_id_token(&t, &op.public, &v), "aud", "missing");
    for wrong in [json!("client-2"), json!(["client-2"]), json!("CLIENT-1")] {
        let t = op.sign(&with(claims(), "aud", wrong));
        failed(validate_id_token(&t, &op.public, &v), "aud", "check_failed");
    }
    for bad in [
        json!(1),
        json!([]),
        json!([CLIENT, 1]),
        json!({"client-1": true}),
    ] {
        let t = op.sign(&with(claims(), "aud", bad));
        failed(validate_id_token(&t, &op.public, &v), "aud", "invalid");
    }
}

/// `rp-id_token-iat`: `iat` is REQUIRED (§2, §3.1.3.7 step 10) and a number.
#[test]
fn rp_id_token_iat_missing() {
    let op = Op::new();
    let t = op.sign(&without(claims(), "iat"));
    failed(
        validate_id_token(&t, &op.public, &validation()),
        "iat",
        "missing",
    );
    let t = op.sign(&with(claims(), "iat", json!("yesterday")));
    failed(
        validate_id_token(&t, &op.public, &validation()),
        "iat",
        "invalid",
    );
}

/// FAPI `invalid-missing-exp`: `exp` is REQUIRED (§2, §3.1.3.7 step 9) and a number.
#[test]
fn rp_id_token_exp_missing() {
    let op = Op::new();
    let t = op.sign(&without(claims(), "exp"));
    failed(
        validate_id_token(&t, &op.public, &validation()),
        "exp",
        "missing",
    );
    let t = op.sign(&with(claims(), "exp", json!("never")));
    failed(
        validate_id_token(&t, &op.public, &validation()),
        "exp",
        "invalid",
    );
}

/// `rp-id_token-bad-sig-rs256`: an Appendix A ID Token with one bit flipped in its signature
/// or payload is refused, even for a code-flow token (we never skip the check).
#[test]
fn rp_id_token_bad_sig_rs256() {
    let file = load(APPENDIX_A);
    let key = appendix_a_key(&file);
    let ex = appendix_a_tokens(&file)[0];
    let expected = obj(&ex["expected_claims"]);
    let v = IdTokenValidation {
        nonce: Some(s(&expected["nonce"]).to_owned()),
        ..IdTokenValidation::new(s(&expected["iss"]), s(&expected["aud"]), APPENDIX_A_NOW)
    };
    let token = s(&ex["id_token"]);
    validate_id_token(token, &key, &v).unwrap();
    for (segment, byte) in [(2, 0), (2, 255), (1, 10)] {
        let bad = flip_bit(token, segment, byte, 3);
        let r = validate_id_token(&bad, &key, &v);
        assert_eq!(code(&r), "ERR_JWS_SIGNATURE_VERIFICATION_FAILED");
    }
}

/// `rp-id_token-sig-none` and FAPI `invalid-null-alg`: an unsecured ID Token is never
/// accepted (this library does not support `id_token_signed_response_alg=none`), whatever
/// the signature segment; neither is an `alg` outside the allow-list (FAPI
/// `invalid-alternate-alg`), nor a non-RS256 token under the RS256 default.
#[test]
fn rp_id_token_sig_none_rejected() {
    let op = Op::new();
    let payload = b64::encode(serde_json::to_vec(&claims()).unwrap());
    for alg in ["none", "None", "NONE"] {
        let header = b64::encode(format!(r#"{{"alg":"{alg}"}}"#));
        for sig in ["", "AAAA"] {
            let t = format!("{header}.{payload}.{sig}");
            let r = validate_id_token(&t, &op.public, &validation());
            assert_eq!(code(&r), "ERR_JOSE_ALG_NOT_ALLOWED", "{alg} {sig:?}");
        }
    }
    // A valid ES256 token, but the client registered RS256 (the default).
    let t = op.sign(&claims());
    let default_algs = IdTokenValidation {
        nonce: Some(NONCE.into()),
        ..IdTokenValidation::new(ISS, CLIENT, NOW)
    };
    let r = validate_id_token(&t, &op.public, &default_algs);
    assert_eq!(code(&r), "ERR_JOSE_ALG_NOT_ALLOWED");
    // HS256 with the client secret is refused when ES256 is what was registered.
    let secret = Key::from_secret(&[7u8; 32], None).unwrap();
    let t = sign_with(&secret, json!({"alg": "HS256"}), &claims());
    let r = validate_id_token(&t, &secret, &validation());
    assert_eq!(code(&r), "ERR_JOSE_ALG_NOT_ALLOWED");
}

/// `rp-nonce-invalid`: a `nonce` different from the one sent is refused (§3.1.3.7 step 11);
/// so is a non-string `nonce`.
#[test]
fn rp_nonce_invalid() {
    let op = Op::new();
    for wrong in ["n-0S6_WzA2Mk", "", "n-0S6_WzA2Mj ", "N-0S6_WZA2MJ"] {
        let t = op.sign(&with(claims(), "nonce", json!(wrong)));
        failed(
            validate_id_token(&t, &op.public, &validation()),
            "nonce",
            "check_failed",
        );
    }
    let t = op.sign(&with(claims(), "nonce", json!(123)));
    failed(
        validate_id_token(&t, &op.public, &validation()),
        "nonce",
        "invalid",
    );
}

/// FAPI `invalid-missing-nonce`: when a `nonce` was sent it must come back (§3.1.3.7 step 11,
/// §3.2.2.11 step 11). When none was sent, a present `nonce` is ignored (§3.1.3.7 step 11
/// applies only "if a nonce value was sent").
#[test]
fn rp_nonce_missing() {
    let op = Op::new();
    let t = op.sign(&without(claims(), "nonce"));
    failed(
        validate_id_token(&t, &op.public, &validation()),
        "nonce",
        "missing",
    );

    let no_nonce_sent = IdTokenValidation {
        nonce: None,
        ..validation()
    };
    validate_id_token(&t, &op.public, &no_nonce_sent).unwrap();
    let t = op.sign(&claims());
    validate_id_token(&t, &op.public, &no_nonce_sent).unwrap();
}

/// FAPI `invalid-secondary-aud`: several audiences without `azp` are refused (§3.1.3.7
/// step 4; security.md row 16).
#[test]
fn multi_aud_without_azp_rejected() {
    let op = Op::new();
    let t = op.sign(&with(
        claims(),
        "aud",
        json!([CLIENT, "https://other.example"]),
    ));
    failed(
        validate_id_token(&t, &op.public, &validation()),
        "azp",
        "missing",
    );
}

/// `azp`, when present, must be the `client_id` (§3.1.3.7 step 5), with one audience or
/// several; a non-string `azp` is invalid.
#[test]
fn azp_mismatch_rejected() {
    let op = Op::new();
    for aud in [json!(CLIENT), json!([CLIENT]), json!([CLIENT, "client-2"])] {
        let c = with(with(claims(), "aud", aud), "azp", json!("client-2"));
        let t = op.sign(&c);
        failed(
            validate_id_token(&t, &op.public, &validation()),
            "azp",
            "check_failed",
        );
    }
    let t = op.sign(&with(claims(), "azp", json!([CLIENT])));
    failed(
        validate_id_token(&t, &op.public, &validation()),
        "azp",
        "invalid",
    );
}

/// FAPI `valid-aud-as-array`: `aud` as an array containing the `client_id` is accepted, with
/// `azp` equal to the `client_id` when there are several audiences.
#[test]
fn valid_aud_as_array_with_azp() {
    let op = Op::new();
    let c = with(
        with(claims(), "aud", json!(["https://other.example", CLIENT])),
        "azp",
        json!(CLIENT),
    );
    let verified = validate_id_token(&op.sign(&c), &op.public, &validation()).unwrap();
    assert_eq!(verified.claims["azp"], CLIENT);
    // A single-member array needs no `azp`.
    let t = op.sign(&with(claims(), "aud", json!([CLIENT])));
    validate_id_token(&t, &op.public, &validation()).unwrap();
}

/// `rp-id_token-bad-at_hash`: an `at_hash` that is not the access token's is refused
/// (§3.2.2.9).
#[test]
fn rp_id_token_bad_at_hash() {
    let op = Op::new();
    let at = "2YotnFZFEjr1zCsicMWpAA";
    let v = IdTokenValidation {
        access_token: Some(at.into()),
        require_at_hash: true,
        ..validation()
    };
    let good = op.sign(&with(
        claims(),
        "at_hash",
        json!(token_hash(Alg::Es256, at)),
    ));
    validate_id_token(&good, &op.public, &v).unwrap();
    for wrong in [
        token_hash(Alg::Es256, "another-token"),
        token_hash(Alg::Es512, at), // right value, wrong hash size
        String::new(),
    ] {
        let t = op.sign(&with(claims(), "at_hash", json!(wrong)));
        failed(
            validate_id_token(&t, &op.public, &v),
            "at_hash",
            "check_failed",
        );
    }
    let t = op.sign(&with(claims(), "at_hash", json!(1)));
    failed(validate_id_token(&t, &op.public, &v), "at_hash", "invalid");
}

/// `rp-id_token-missing-at_hash`: in `id_token token` / `code id_token token` responses the
/// `at_hash` is REQUIRED (§3.2.2.10, §3.3.2.11). Without the access token the requirement
/// cannot be checked: a configuration error. In the code flow (not required) a missing
/// `at_hash` is fine.
#[test]
fn rp_id_token_missing_at_hash_when_required() {
    let op = Op::new();
    let t = op.sign(&claims());
    let v = IdTokenValidation {
        access_token: Some("2YotnFZFEjr1zCsicMWpAA".into()),
        require_at_hash: true,
        ..validation()
    };
    failed(validate_id_token(&t, &op.public, &v), "at_hash", "missing");
    let optional = IdTokenValidation {
        require_at_hash: false,
        ..v.clone()
    };
    validate_id_token(&t, &op.public, &optional).unwrap();
    let misconfigured = IdTokenValidation {
        access_token: None,
        ..v
    };
    let r = validate_id_token(&t, &op.public, &misconfigured);
    assert_eq!(code(&r), "ERR_INVALID_ARG_VALUE");
}

/// `rp-id_token-bad-c_hash`: a `c_hash` that is not the code's is refused (§3.3.2.11).
#[test]
fn rp_id_token_bad_c_hash() {
    let op = Op::new();
    let c = "SplxlOBeZQQYbYS6WxSbIA";
    let v = IdTokenValidation {
        code: Some(c.into()),
        require_c_hash: true,
        ..validation()
    };
    let good = op.sign(&with(claims(), "c_hash", json!(token_hash(Alg::Es256, c))));
    validate_id_token(&good, &op.public, &v).unwrap();
    let t = op.sign(&with(
        claims(),
        "c_hash",
        json!(token_hash(Alg::Es256, "other-code")),
    ));
    failed(
        validate_id_token(&t, &op.public, &v),
        "c_hash",
        "check_failed",
    );
    let t = op.sign(&with(claims(), "c_hash", json!(null)));
    failed(validate_id_token(&t, &op.public, &v), "c_hash", "invalid");
}

/// `rp-id_token-missing-c_hash`: in hybrid responses (`code id_token`, `code id_token token`)
/// `c_hash` is REQUIRED (§3.3.2.11).
#[test]
fn rp_id_token_missing_c_hash_when_required() {
    let op = Op::new();
    let t = op.sign(&claims());
    let v = IdTokenValidation {
        code: Some("SplxlOBeZQQYbYS6WxSbIA".into()),
        require_c_hash: true,
        ..validation()
    };
    failed(validate_id_token(&t, &op.public, &v), "c_hash", "missing");
    let misconfigured = IdTokenValidation { code: None, ..v };
    let r = validate_id_token(&t, &op.public, &misconfigured);
    assert_eq!(code(&r), "ERR_INVALID_ARG_VALUE");
}

/// `max_age` (§3.1.3.7 step 13): `auth_time` becomes required and `auth_time + max_age` (plus
/// the clock tolerance) must not be in the past.
#[test]
fn auth_time_max_age_exceeded() {
    let op = Op::new();
    let v = IdTokenValidation {
        max_age: Some(600),
        ..validation()
    };
    let t = op.sign(&with(claims(), "auth_time", json!(NOW - 601)));
    failed(
        validate_id_token(&t, &op.public, &v),
        "auth_time",
        "check_failed",
    );
    // Within the tolerance, and exactly at the limit: accepted.
    let tolerant = IdTokenValidation {
        clock_tolerance: 5,
        ..v.clone()
    };
    validate_id_token(&t, &op.public, &tolerant).unwrap();
    let t = op.sign(&with(claims(), "auth_time", json!(NOW - 600)));
    validate_id_token(&t, &op.public, &v).unwrap();
    // Missing with max_age, or with require_auth_time; wrong type always.
    let t = op.sign(&claims());
    failed(
        validate_id_token(&t, &op.public, &v),
        "auth_time",
        "missing",
    );
    let essential = IdTokenValidation {
        require_auth_time: true,
        ..validation()
    };
    failed(
        validate_id_token(&t, &op.public, &essential),
        "auth_time",
        "missing",
    );
    validate_id_token(&t, &op.public, &validation()).unwrap();
    let t = op.sign(&with(claims(), "auth_time", json!("recently")));
    failed(
        validate_id_token(&t, &op.public, &validation()),
        "auth_time",
        "invalid",
    );
}

/// `rp-id_token-kid-absent-single-jwks`: no `kid` and one matching key: use it and accept.
#[test]
fn rp_id_token_kid_absent_single_jwks() {
    let key = gen_key(Alg::Es256, 2);
    let set = JwkSet::from_keys(vec![public(&key, Some("only"))]);
    let t = sign_with(&key, json!({"alg": "ES256"}), &claims());
    let verified = validate_id_token(&t, &set, &validation()).unwrap();
    assert_eq!(verified.header.kid, None);
}

/// `rp-id_token-kid-absent-multiple-jwks`: no `kid` and several candidate keys: each is tried
/// and the one that verifies is used; a token from a key outside the set is still refused.
#[test]
fn rp_id_token_kid_absent_multiple_jwks() {
    let k1 = gen_key(Alg::Es256, 3);
    let k2 = gen_key(Alg::Es256, 4);
    let outsider = gen_key(Alg::Es256, 5);
    let set = JwkSet::from_keys(vec![public(&k1, None), public(&k2, None)]);
    for key in [&k1, &k2] {
        let t = sign_with(key, json!({"alg": "ES256"}), &claims());
        validate_id_token(&t, &set, &validation()).unwrap();
    }
    let t = sign_with(&outsider, json!({"alg": "ES256"}), &claims());
    let r = validate_id_token(&t, &set, &validation());
    assert_eq!(code(&r), "ERR_JWS_SIGNATURE_VERIFICATION_FAILED");
}

/// FAPI `invalid-expired-exp`: expired beyond the clock tolerance is [`Error::JwtExpired`]
/// (§3.1.3.7 step 9); within it, accepted. A tolerance above the cap is a usage error.
#[test]
fn expired_beyond_tolerance() {
    let op = Op::new();
    let t = op.sign(&with(claims(), "exp", json!(NOW - 100)));
    let v = IdTokenValidation {
        clock_tolerance: 60,
        ..validation()
    };
    assert_claim(
        validate_id_token(&t, &op.public, &v),
        "ERR_JWT_EXPIRED",
        "exp",
        "check_failed",
    );
    let generous = IdTokenValidation {
        clock_tolerance: 120,
        ..validation()
    };
    validate_id_token(&t, &op.public, &generous).unwrap();
    let t = op.sign(&with(claims(), "exp", json!(NOW)));
    assert_claim(
        validate_id_token(&t, &op.public, &validation()),
        "ERR_JWT_EXPIRED",
        "exp",
        "check_failed",
    );
    let too_lax = IdTokenValidation {
        clock_tolerance: 601,
        ..validation()
    };
    assert_eq!(
        code(&validate_id_token(&t, &op.public, &too_lax)),
        "ERR_INVALID_ARG_VALUE"
    );
}

/// FAPI `iat-is-week-in-past` (conformance suite `FAPI1AdvancedFinalClientTestIatIsWeekInPast`:
/// the client must reject it): an `iat` older than `max_token_age` (default one day, §3.1.3.7
/// step 10) fails with `ERR_JWT_EXPIRED` even though `exp` is still in the future; a larger
/// `max_token_age` accepts it, and the bound honours the clock tolerance.
#[test]
fn iat_week_in_past_is_rejected_by_default() {
    let op = Op::new();
    let week = 7 * 24 * 3600;
    let t = op.sign(&with(claims(), "iat", json!(NOW - week)));
    let err = validate_id_token(&t, &op.public, &validation()).unwrap_err();
    assert_eq!(code(&Err::<(), _>(err)), "ERR_JWT_EXPIRED");
    let lax = IdTokenValidation {
        max_token_age: 8 * 24 * 3600,
        ..validation()
    };
    let verified = validate_id_token(&t, &op.public, &lax).unwrap();
    assert_eq!(verified.claims["iat"], NOW - week);
    let day = oidckit::oidc::id_token::DEFAULT_ID_TOKEN_MAX_AGE as i64;
    let edge = op.sign(&with(claims(), "iat", json!(NOW - day - 5)));
    assert!(validate_id_token(&edge, &op.public, &validation()).is_err());
    let tolerant = IdTokenValidation {
        clock_tolerance: 5,
        ..validation()
    };
    validate_id_token(&edge, &op.public, &tolerant).unwrap();
}

/// EdDSA ID Tokens hash `at_hash` / `c_hash` with SHA-512 (left-most 256 bits), and the
/// misconfigurations (empty issuer or client_id) are usage errors.
#[test]
fn eddsa_hashes_and_misconfiguration() {
    let key = gen_key(Alg::EdDsa, 6);
    let at = "access-token-ed";
    let c = with(claims(), "at_hash", json!(token_hash(Alg::EdDsa, at)));
    let t = sign_with(&key, json!({"alg": "EdDSA"}), &c);
    let v = IdTokenValidation {
        algorithms: vec![Alg::EdDsa],
        access_token: Some(at.into()),
        require_at_hash: true,
        ..validation()
    };
    validate_id_token(&t, &public(&key, None), &v).unwrap();
    let c = with(claims(), "at_hash", json!(token_hash(Alg::Es256, at)));
    let t = sign_with(&key, json!({"alg": "EdDSA"}), &c);
    failed(
        validate_id_token(&t, &public(&key, None), &v),
        "at_hash",
        "check_failed",
    );

    for (iss, client) in [("", CLIENT), (ISS, "")] {
        let bad = IdTokenValidation {
            issuer: iss.into(),
            client_id: client.into(),
            ..v.clone()
        };
        assert_eq!(
            code(&validate_id_token(&t, &key, &bad)),
            "ERR_INVALID_ARG_VALUE"
        );
    }
}

/// Cross-JWT confusion (security.md row 23, RFC 8725 §3.11): a token explicitly typed as
/// another kind of JWT (`logout+jwt`, `at+jwt`, `dpop+jwt`) is not an ID Token even when its
/// signature, issuer and audience are right; untyped, `JWT` and `application/jwt` are accepted.
#[test]
fn explicitly_typed_other_jwts_are_not_id_tokens() {
    let op = Op::new();
    for typ in [
        "logout+jwt",
        "at+jwt",
        "application/at+jwt",
        "dpop+jwt",
        "secevent+jwt",
    ] {
        let t = sign_with(
            &op.key,
            json!({"alg": "ES256", "kid": "k1", "typ": typ}),
            &claims(),
        );
        failed(
            validate_id_token(&t, &op.public, &validation()),
            "typ",
            "check_failed",
        );
    }
    for typ in ["JWT", "jwt", "application/jwt"] {
        let t = sign_with(
            &op.key,
            json!({"alg": "ES256", "kid": "k1", "typ": typ}),
            &claims(),
        );
        validate_id_token(&t, &op.public, &validation()).unwrap();
    }
}

/// A Logout Token (Back-Channel Logout §2.4) sent without `typ`: its `events` claim gives it
/// away, so it is never accepted as an ID Token.
#[test]
fn logout_token_claims_are_not_an_id_token() {
    let op = Op::new();
    let c = with(
        without(claims(), "nonce"),
        "events",
        json!({"http://schemas.openid.net/event/backchannel-logout": {}}),
    );
    let t = op.sign(&c);
    let v = IdTokenValidation {
        nonce: None,
        ..validation()
    };
    failed(
        validate_id_token(&t, &op.public, &v),
        "events",
        "check_failed",
    );
}
