//! Signing, verification and decoding across the boundary: compact JWS (RFC 7515 §3.1, §5) and
//! JWT (RFC 7519 §7).
//!
//! Every verify function exists in three flavours, by key source: a [`WasmKey`], raw HMAC secret
//! bytes (jose accepts a `Uint8Array` as a secret) and a [`WasmJwkSet`]. Results leave as one
//! JSON text (`[protectedHeader, claims]`, plus the index of the verifying key for a set) so the
//! JavaScript side makes a single `JSON.parse` call.

use serde::Deserialize;
use serde_json::Value;
use wasm_bindgen::prelude::*;

use super::keys::{WasmJwkSet, WasmKey};
use super::{JsResult, js, rng, unix_time};
use crate::error::{Error, Result};
use crate::json::{self, Object};
use crate::jwa::Alg;
use crate::jwk::Key;
use crate::jws::{self, KeySource, VerifyOptions};
use crate::jwt::{self, Validation};

/// `jwtVerify` / `compactVerify` options, already type-checked and normalized by the JavaScript
/// layer (`pkg/src/options.js`); checked again here (unknown members are refused).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Options {
    /// `None`: derive from the key(s). `Some`: the allow-list, names this crate does not
    /// implement dropped (jose ignores them too); if nothing is left, nothing is allowed.
    algorithms: Option<Vec<String>>,
    #[serde(default)]
    issuer: Vec<String>,
    #[serde(default)]
    audience: Vec<String>,
    subject: Option<String>,
    typ: Option<String>,
    #[serde(default)]
    clock_tolerance: u64,
    max_token_age: Option<u64>,
    #[serde(default)]
    required_claims: Vec<String>,
    #[serde(default)]
    crit: Vec<String>,
}

impl Options {
    fn parse(json: Option<String>) -> Result<Self> {
        match json {
            None => Ok(Self::default()),
            Some(s) => serde_json::from_str(&s)
                .map_err(|e| Error::InvalidArgValue(format!("invalid verify options: {e}"))),
        }
    }

    /// The allow-list. An explicit list with no algorithm this crate implements allows
    /// nothing: that is [`Error::AlgNotAllowed`] for any token, never "derive from the key".
    fn algorithms(&self, token: &str) -> Result<Vec<Alg>> {
        let Some(names) = &self.algorithms else {
            return Ok(Vec::new());
        };
        let algs: Vec<Alg> = names.iter().filter_map(|n| n.parse().ok()).collect();
        if algs.is_empty() {
            // Report a malformed token as such first, as the full verification would.
            let header = jws::decode_protected_header(token)?;
            let alg = header.get("alg").and_then(Value::as_str).unwrap_or("");
            return Err(Error::AlgNotAllowed(format!(
                "\"alg\" ({alg}) Header Parameter value not allowed"
            )));
        }
        Ok(algs)
    }

    fn validation(self, token: &str, now: f64) -> Result<Validation> {
        let mut v = Validation::new(unix_time(now)?);
        v.algorithms = self.algorithms(token)?;
        v.issuer = self.issuer;
        v.audience = self.audience;
        v.subject = self.subject;
        v.typ = self.typ;
        v.clock_tolerance = self.clock_tolerance;
        v.max_token_age = self.max_token_age;
        v.required_claims = self.required_claims;
        v.crit = self.crit;
        Ok(v)
    }

    fn jws(self, token: &str) -> Result<VerifyOptions> {
        Ok(VerifyOptions {
            algorithms: self.algorithms(token)?,
            crit: self.crit,
            ..VerifyOptions::default()
        })
    }
}

fn to_json<T: serde::Serialize + ?Sized>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| Error::Generic(format!("JSON serialization: {e}")))
}

fn parse_header(json: &str) -> Result<Object> {
    json::parse_object_with(
        json.as_bytes(),
        "the protected header",
        Error::InvalidArgValue,
    )
}

fn secret_key(secret: &[u8]) -> Result<Key> {
    Key::from_secret(secret, None)
}

// ---- JWT verification (RFC 7519 §7.2) -----------------------------------------------------

fn jwt_verify_with<K: KeySource + ?Sized>(
    token: &str,
    keys: &K,
    now: f64,
    opts: Option<String>,
) -> Result<jwt::VerifiedJwt> {
    let v = Options::parse(opts)?.validation(token, now)?;
    jwt::verify(token, keys, &v)
}

/// Verifies a JWT with a key; returns `[protectedHeader, claims]` as JSON text.
#[wasm_bindgen(js_name = jwtVerify)]
pub fn jwt_verify(token: &str, key: &WasmKey, now: f64, opts: Option<String>) -> JsResult<String> {
    let r = js(jwt_verify_with(token, &key.key, now, opts))?;
    js(to_json(&(&r.header.raw, &r.claims)))
}

/// Verifies a JWT with an HMAC secret given as bytes; returns `[protectedHeader, claims]`.
#[wasm_bindgen(js_name = jwtVerifySecret)]
pub fn jwt_verify_secret(
    token: &str,
    secret: &[u8],
    now: f64,
    opts: Option<String>,
) -> JsResult<String> {
    let key = js(secret_key(secret))?;
    let r = js(jwt_verify_with(token, &key, now, opts))?;
    js(to_json(&(&r.header.raw, &r.claims)))
}

/// Verifies a JWT with a JWK Set; returns `[protectedHeader, claims, keyIndex]` (`keyIndex` is
/// -1 if the verifying key cannot be told apart).
#[wasm_bindgen(js_name = jwtVerifySet)]
pub fn jwt_verify_set(
    token: &str,
    set: &WasmJwkSet,
    now: f64,
    opts: Option<String>,
) -> JsResult<String> {
    let options = js(Options::parse(opts))?;
    let crit = options.crit.clone();
    let v = js(options.validation(token, now))?;
    let r = js(jwt::verify(token, &set.set, &v))?;
    let index = verifying_index(token, set, &r.header, crit);
    js(to_json(&(&r.header.raw, &r.claims, index)))
}

/// Which key of the set verified `token` (already verified with the set). With one candidate,
/// that one; with several (jose tries each), the first whose signature checks.
fn verifying_index(token: &str, set: &WasmJwkSet, header: &jws::Header, crit: Vec<String>) -> i64 {
    let candidates = set.set.candidates(header.alg, header.kid.as_deref());
    let found = match candidates.as_slice() {
        [one] => Some(*one),
        many => {
            let opts = VerifyOptions {
                algorithms: vec![header.alg],
                crit,
                ..VerifyOptions::default()
            };
            many.iter()
                .copied()
                .find(|k| jws::verify_compact(token, *k, &opts).is_ok())
        }
    };
    found.and_then(|k| set.index_of(k)).map_or(-1, i64::from)
}

// ---- JWS verification (RFC 7515 §5.2) -----------------------------------------------------

fn jws_result(v: jws::Verified) -> JsResult<js_sys::Array> {
    let header = js(to_json(&v.header.raw))?;
    let payload = js_sys::Uint8Array::from(v.payload.as_slice());
    Ok(js_sys::Array::of2(&JsValue::from_str(&header), &payload))
}

/// Verifies a compact JWS with a key; returns `[protectedHeaderJson, payloadBytes]`.
#[wasm_bindgen(js_name = jwsVerify)]
pub fn jws_verify(token: &str, key: &WasmKey, opts: Option<String>) -> JsResult<js_sys::Array> {
    let o = js(Options::parse(opts).and_then(|o| o.jws(token)))?;
    jws_result(js(jws::verify_compact(token, &key.key, &o))?)
}

/// Verifies a compact JWS with an HMAC secret given as bytes.
#[wasm_bindgen(js_name = jwsVerifySecret)]
pub fn jws_verify_secret(
    token: &str,
    secret: &[u8],
    opts: Option<String>,
) -> JsResult<js_sys::Array> {
    let key = js(secret_key(secret))?;
    let o = js(Options::parse(opts).and_then(|o| o.jws(token)))?;
    jws_result(js(jws::verify_compact(token, &key, &o))?)
}

/// Verifies a compact JWS with a JWK Set; returns `[protectedHeaderJson, payloadBytes,
/// keyIndex]`.
#[wasm_bindgen(js_name = jwsVerifySet)]
pub fn jws_verify_set(
    token: &str,
    set: &WasmJwkSet,
    opts: Option<String>,
) -> JsResult<js_sys::Array> {
    let options = js(Options::parse(opts))?;
    let crit = options.crit.clone();
    let o = js(options.jws(token))?;
    let v = js(jws::verify_compact(token, &set.set, &o))?;
    let index = verifying_index(token, set, &v.header, crit);
    let out = jws_result(v)?;
    out.push(&JsValue::from_f64(index as f64));
    Ok(out)
}

// ---- Signing (RFC 7515 §5.1, RFC 7519 §7.1) -----------------------------------------------

fn jwt_sign_with(header: &str, claims: &str, key: &Key) -> Result<String> {
    let header = parse_header(header)?;
    let claims = json::parse_object_with(
        claims.as_bytes(),
        "the JWT Claims Set",
        Error::InvalidArgValue,
    )?;
    jwt::sign(&header, &claims, key, &mut rng()?)
}

/// Signs a JWT: `header` and `claims` are JSON object texts.
#[wasm_bindgen(js_name = jwtSign)]
pub fn jwt_sign(header: &str, claims: &str, key: &WasmKey) -> JsResult<String> {
    js(jwt_sign_with(header, claims, &key.key))
}

/// Signs a JWT with an HMAC secret given as bytes.
#[wasm_bindgen(js_name = jwtSignSecret)]
pub fn jwt_sign_secret(header: &str, claims: &str, secret: &[u8]) -> JsResult<String> {
    let key = js(secret_key(secret))?;
    js(jwt_sign_with(header, claims, &key))
}

fn jws_sign_with(header: &str, payload: &[u8], key: &Key) -> Result<String> {
    // Signs over the exact bytes of `header` (parsed strictly by the core).
    jws::sign_compact_with_header_bytes(header.as_bytes(), payload, key, &mut rng()?)
}

/// Signs a compact JWS over the exact bytes of the `header` JSON text.
#[wasm_bindgen(js_name = jwsSign)]
pub fn jws_sign(header: &str, payload: &[u8], key: &WasmKey) -> JsResult<String> {
    js(jws_sign_with(header, payload, &key.key))
}

/// Signs a compact JWS with an HMAC secret given as bytes.
#[wasm_bindgen(js_name = jwsSignSecret)]
pub fn jws_sign_secret(header: &str, payload: &[u8], secret: &[u8]) -> JsResult<String> {
    let key = js(secret_key(secret))?;
    js(jws_sign_with(header, payload, &key))
}

// ---- Decoding without verification --------------------------------------------------------

/// The claims of a JWT, **unverified** (jose's `decodeJwt`), as JSON text.
#[wasm_bindgen(js_name = decodeJwt)]
pub fn decode_jwt(token: &str) -> JsResult<String> {
    js(jwt::decode(token).and_then(|c| to_json(&c)))
}

/// The protected header of a compact JWS or JWE, **unverified**, as JSON text.
#[wasm_bindgen(js_name = decodeProtectedHeader)]
pub fn decode_protected_header(token: &str) -> JsResult<String> {
    js(jws::decode_protected_header(token).and_then(|h| to_json(&h)))
}
