//! Fixed keys and options shared by the fuzz targets in `fuzz_targets/`.
//!
//! Keys are the RFC 7515 Appendix A examples, so that seeds built from those vectors reach the
//! full verification path (header, signature, claims) instead of stopping at key selection.
#![forbid(unsafe_code)]

use std::sync::LazyLock;

use oidckit::{Alg, JwkSet, Key, UnixTime, jws, jwt};

/// RFC 7515 A.1 HMAC key (`kty: oct`), bound to HS256.
const HS256_JWK: &str = r#"{"kty":"oct","k":"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow"}"#;

/// Two P-256 public keys: RFC 7515 A.3 (no `kid`) and RFC 7517 A.1 (`kid: "1"`, `use` dropped).
const ES256_JWKS: &str = r#"{"keys":[
 {"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"},
 {"kty":"EC","crv":"P-256","x":"MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4","y":"4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM","kid":"1","alg":"ES256"}
]}"#;

/// A fixed "now" before the `exp` (1300819380) of the RFC 7515 A.1/A.3 example claims.
pub const NOW: UnixTime = 1_300_819_000;

static HS256_KEY: LazyLock<Key> = LazyLock::new(|| {
    Key::from_jwk_json(HS256_JWK, Some(Alg::Hs256)).expect("RFC 7515 A.1 key imports")
});

static ES256_SET: LazyLock<JwkSet> =
    LazyLock::new(|| JwkSet::from_json(ES256_JWKS).expect("fixed ES256 JWK Set parses"));

/// The fixed HS256 key.
pub fn hs256_key() -> &'static Key {
    &HS256_KEY
}

/// The fixed ES256 JWK Set.
pub fn es256_set() -> &'static JwkSet {
    &ES256_SET
}

fn jws_options() -> jws::VerifyOptions {
    jws::VerifyOptions::default()
}

fn validation() -> jwt::Validation {
    jwt::Validation::new(NOW)
}

fn text(data: &[u8]) -> Option<&str> {
    std::str::from_utf8(data).ok()
}

/// Target `jws_verify_hs256`: compact JWS verification (RFC 7515 §5.2) with the fixed HS256 key.
pub fn jws_verify_hs256(data: &[u8]) {
    if let Some(s) = text(data) {
        let _ = jws::verify_compact(s, hs256_key(), &jws_options());
    }
}

/// Target `jwt_verify_hs256`: JWT verification and claim validation (RFC 7519 §7.2), HS256 key.
pub fn jwt_verify_hs256(data: &[u8]) {
    if let Some(s) = text(data) {
        let _ = jwt::verify(s, hs256_key(), &validation());
    }
}

/// Target `jwt_verify_es256_jwks`: JWT verification against the fixed ES256 JWK Set (key
/// selection by `alg`/`kid`, RFC 7515 §4.1.4, then ECDSA P-256 verification).
pub fn jwt_verify_es256_jwks(data: &[u8]) {
    if let Some(s) = text(data) {
        let _ = jwt::verify(s, es256_set(), &validation());
    }
}

/// Target `jwt_decode`: unverified decoding of claims and protected header.
pub fn jwt_decode(data: &[u8]) {
    if let Some(s) = text(data) {
        let _ = (jwt::decode(s), jws::decode_protected_header(s));
    }
}

/// Target `jwk_parse`: JWK import (RFC 7517 §4) and, on success, export and public view.
pub fn jwk_parse(data: &[u8]) {
    if let Some(Ok(k)) = text(data).map(|s| Key::from_jwk_json(s, None)) {
        let _ = (k.to_jwk(), k.to_public());
    }
}

/// Target `jwks_parse`: JWK Set parsing (RFC 7517 §5) and key selection for every algorithm.
pub fn jwks_parse(data: &[u8]) {
    if let Some(Ok(set)) = text(data).map(JwkSet::from_json) {
        for alg in Alg::ALL {
            let _ = (set.candidates(alg, None), set.candidates(alg, Some("1")));
        }
    }
}

/// Target `pem_import`: PEM import of every label (RFC 7468) and, on success, re-export.
pub fn pem_import(data: &[u8]) {
    if let Some(Ok(k)) = text(data).map(|s| Key::from_pem(s, None)) {
        let _ = (k.to_jwk(), k.to_spki_pem());
    }
}

/// Target `x509_import`: X.509 certificate import (RFC 5280), PEM text or DER bytes.
pub fn x509_import(data: &[u8]) {
    if let Ok(k) = Key::from_x509(data, None) {
        let _ = k.to_jwk();
    }
}

/// Target `pkcs12_parse`: PKCS#12 (RFC 7292) and encrypted PKCS#8 (RFC 5958 §3, RFC 8018) input
/// with a fixed password: MAC check, key derivation, decryption and ASN.1 parsing of hostile
/// bytes must fail cleanly.
pub fn pkcs12_parse(data: &[u8]) {
    let _ = oidckit::jwk::pkcs12::parse(data, "fuzz", None);
    let _ = Key::from_encrypted_pkcs8_der(data, "fuzz", None);
}

/// Target `oauth_responses`: the response processors of the OAuth engine on hostile HTTP
/// responses. The first byte picks the processor and the status, the rest is the body.
pub fn oauth_responses(data: &[u8]) {
    use oidckit::oauth::{callback, discovery, http, introspection, par, registration, token};
    let Some((&sel, body)) = data.split_first() else {
        return;
    };
    let status = match sel >> 4 {
        0..=9 => 200,
        10 | 11 => 201,
        12 | 13 => 400,
        _ => 401,
    };
    let resp = http::HttpResponse {
        status,
        headers: vec![("content-type".into(), "application/json; charset=utf-8".into())],
        body: body.to_vec(),
    };
    match sel & 0x0f {
        0 => drop(token::process_token_response(&resp)),
        1 => drop(discovery::process_discovery_response(
            "https://op.example",
            &resp,
            &discovery::DiscoveryOptions::default(),
        )),
        2 => drop(introspection::process_introspection_response(&resp)),
        3 => drop(par::process_par_response(&resp)),
        4 => drop(registration::process_registration_response(&resp)),
        5 => drop(oidckit::oidc::userinfo::process_userinfo_response(
            &resp,
            "sub",
            Some(hs256_key()),
            &oidckit::oidc::userinfo::UserinfoValidation::new(NOW),
        )),
        6 => drop(oidckit::oauth::dpop::is_use_dpop_nonce_error(&resp)),
        _ => {
            if let Some(s) = text(body) {
                let input = match sel & 0x03 {
                    0 => callback::CallbackInput::Query(s),
                    1 => callback::CallbackInput::Fragment(s),
                    _ => callback::CallbackInput::FormPost(s),
                };
                if let Ok(params) = callback::parse_callback(input) {
                    let _ = callback::validate_authorization_response(
                        &params,
                        "state",
                        "https://op.example",
                        sel & 0x04 != 0,
                    );
                }
                let _ = oidckit::oauth::dpop::verify_proof(
                    s,
                    &oidckit::oauth::dpop::DpopValidation::new("POST", "https://rs.example/r", NOW),
                );
            }
        }
    }
}
