//! JSON Web Tokens (RFC 7519): signed JWTs in compact serialization only (RFC 7519 §7.2,
//! RFC 8725 §2.8), with claim validation (RFC 7519 §4.1).
//!
//! Registered claims of the wrong JSON type are errors, never "absent" (security.md row 15,
//! CVE-2026-25537): `exp`, `nbf` and `iat` must be finite numbers; `iss`, `sub` and `jti` strings;
//! `aud` a string or a non-empty array of strings.

use rand_core::CryptoRng;
use serde_json::Value;

use crate::UnixTime;
use crate::b64;
use crate::error::{ClaimFailure, Error, Result};
use crate::json::{self, Object};
use crate::jwa::Alg;
use crate::jwk::Key;
use crate::jws::{self, Header, KeySource, VerifyOptions};

/// The largest accepted `clock_tolerance`, in seconds.
pub const MAX_CLOCK_TOLERANCE: u64 = 600;

/// What [`verify`] checks besides the signature (RFC 7519 §4.1, §7.2).
#[derive(Debug, Clone)]
pub struct Validation {
    /// The algorithm allow-list (RFC 8725 §3.1); empty means the key(s)' bound or family algs.
    pub algorithms: Vec<Alg>,
    /// Accepted `iss` values (exact match); empty means not checked (RFC 7519 §4.1.1).
    pub issuer: Vec<String>,
    /// Accepted audiences: the `aud` claim must contain one of them; empty means not checked
    /// (RFC 7519 §4.1.3).
    pub audience: Vec<String>,
    /// The expected `sub` (RFC 7519 §4.1.2).
    pub subject: Option<String>,
    /// The expected `typ` header, compared as media types: case-insensitive, `application/`
    /// optional (RFC 7515 §4.1.9).
    pub typ: Option<String>,
    /// Allowed clock skew in seconds for `exp`, `nbf` and `iat` (at most
    /// [`MAX_CLOCK_TOLERANCE`]).
    pub clock_tolerance: u64,
    /// Maximum age of the token from its `iat`, in seconds; `iat` becomes required.
    pub max_token_age: Option<u64>,
    /// Claims that must be present.
    pub required_claims: Vec<String>,
    /// Extension header parameters the caller understands (RFC 7515 §4.1.11).
    pub crit: Vec<String>,
    /// Upper bound on the token's length, checked before decoding.
    pub max_token_length: usize,
    /// The current time, in seconds since the Unix epoch (the core never reads a clock).
    pub now: UnixTime,
}

impl Validation {
    /// Default validation at time `now`: signature with the key's algorithms, `exp`/`nbf`
    /// checked when present, no tolerance.
    pub fn new(now: UnixTime) -> Self {
        Self {
            algorithms: Vec::new(),
            issuer: Vec::new(),
            audience: Vec::new(),
            subject: None,
            typ: None,
            clock_tolerance: 0,
            max_token_age: None,
            required_claims: Vec::new(),
            crit: Vec::new(),
            max_token_length: jws::DEFAULT_MAX_TOKEN_LENGTH,
            now,
        }
    }
}

/// A verified JWT.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifiedJwt {
    /// The JWT Claims Set (RFC 7519 §4).
    pub claims: Object,
    /// The validated protected header.
    pub header: Header,
}

fn invalid(claim: &str, message: impl Into<String>) -> Error {
    Error::JwtClaimValidationFailed(ClaimFailure::new(claim, "invalid", message))
}
fn missing(claim: &str) -> Error {
    Error::JwtClaimValidationFailed(ClaimFailure::new(
        claim,
        "missing",
        format!("missing required \"{claim}\" claim"),
    ))
}
fn failed(claim: &str, message: impl Into<String>) -> Error {
    Error::JwtClaimValidationFailed(ClaimFailure::new(claim, "check_failed", message))
}

/// Reads a NumericDate claim (RFC 7519 §2): a finite JSON number, or absent.
fn numeric_date(claims: &Object, name: &str) -> Result<Option<f64>> {
    match claims.get(name) {
        None => Ok(None),
        Some(Value::Number(n)) => match n.as_f64() {
            Some(v) if v.is_finite() => Ok(Some(v)),
            _ => Err(invalid(
                name,
                format!("\"{name}\" claim must be a finite number"),
            )),
        },
        Some(_) => Err(invalid(name, format!("\"{name}\" claim must be a number"))),
    }
}

fn string_claim<'a>(claims: &'a Object, name: &str) -> Result<Option<&'a str>> {
    match claims.get(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(invalid(name, format!("\"{name}\" claim must be a string"))),
    }
}

/// `aud` as a list (RFC 7519 §4.1.3): a string or a non-empty array of strings.
fn audiences(claims: &Object) -> Result<Option<Vec<&str>>> {
    match claims.get("aud") {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(vec![s.as_str()])),
        Some(Value::Array(items)) if !items.is_empty() => items
            .iter()
            .map(|v| {
                v.as_str()
                    .ok_or_else(|| invalid("aud", "\"aud\" array members must be strings"))
            })
            .collect::<Result<Vec<_>>>()
            .map(Some),
        Some(_) => Err(invalid(
            "aud",
            "\"aud\" claim must be a string or a non-empty array of strings",
        )),
    }
}

/// Normalizes a `typ` media type for comparison (RFC 7515 §4.1.9).
fn normalize_typ(typ: &str) -> String {
    let lower = typ.to_ascii_lowercase();
    match lower.strip_prefix("application/") {
        Some(rest) => rest.to_owned(),
        None => lower,
    }
}

/// Validates a claims set (RFC 7519 §4.1) against `v`; the header's `typ` too.
pub fn validate_claims(claims: &Object, header: &Header, v: &Validation) -> Result<()> {
    if v.clock_tolerance > MAX_CLOCK_TOLERANCE {
        return Err(Error::InvalidArgValue(format!(
            "clockTolerance must be at most {MAX_CLOCK_TOLERANCE} seconds"
        )));
    }
    if let Some(expected) = &v.typ {
        match &header.typ {
            Some(t) if normalize_typ(t) == normalize_typ(expected) => {}
            _ => {
                return Err(failed("typ", "unexpected \"typ\" JWT header value"));
            }
        }
    }

    // Types first: a wrong type is an error even when the caller did not ask for the claim.
    let exp = numeric_date(claims, "exp")?;
    let nbf = numeric_date(claims, "nbf")?;
    let iat = numeric_date(claims, "iat")?;
    let iss = string_claim(claims, "iss")?;
    let sub = string_claim(claims, "sub")?;
    string_claim(claims, "jti")?;
    let aud = audiences(claims)?;

    let mut required: Vec<&str> = v.required_claims.iter().map(String::as_str).collect();
    if !v.issuer.is_empty() {
        required.push("iss");
    }
    if !v.audience.is_empty() {
        required.push("aud");
    }
    if v.subject.is_some() {
        required.push("sub");
    }
    if v.max_token_age.is_some() {
        required.push("iat");
    }
    for name in required {
        if !claims.contains_key(name) {
            return Err(missing(name));
        }
    }

    if !v.issuer.is_empty() && !iss.is_some_and(|i| v.issuer.iter().any(|e| e == i)) {
        return Err(failed("iss", "unexpected \"iss\" claim value"));
    }
    if let Some(expected) = &v.subject
        && sub != Some(expected.as_str())
    {
        return Err(failed("sub", "unexpected \"sub\" claim value"));
    }
    if !v.audience.is_empty() {
        let ok = aud
            .as_deref()
            .is_some_and(|list| list.iter().any(|a| v.audience.iter().any(|e| e == a)));
        if !ok {
            return Err(failed("aud", "unexpected \"aud\" claim value"));
        }
    }

    let now = v.now as f64;
    let tolerance = v.clock_tolerance as f64;
    if let Some(iat) = iat
        && let Some(max_age) = v.max_token_age
    {
        let age = now - iat;
        if age - tolerance > max_age as f64 {
            return Err(Error::JwtExpired(ClaimFailure::new(
                "iat",
                "check_failed",
                "\"iat\" claim timestamp check failed (too far in the past)",
            )));
        }
        if age < -tolerance {
            return Err(failed(
                "iat",
                "\"iat\" claim timestamp check failed (it should be in the past)",
            ));
        }
    }
    if let Some(nbf) = nbf
        && nbf > now + tolerance
    {
        return Err(failed("nbf", "\"nbf\" claim timestamp check failed"));
    }
    if let Some(exp) = exp
        && exp <= now - tolerance
    {
        return Err(Error::JwtExpired(ClaimFailure::new(
            "exp",
            "check_failed",
            "\"exp\" claim timestamp check failed",
        )));
    }
    Ok(())
}

fn parse_claims(payload: &[u8]) -> Result<Object> {
    json::parse_object_with(payload, "the JWT Claims Set", Error::JwtInvalid)
}

/// Verifies a signed JWT in compact serialization (RFC 7519 §7.2): the JWS signature with an
/// allowed algorithm (RFC 7515 §5.2), then the claims (RFC 7519 §4.1). `b64: false` is refused
/// in JWTs (RFC 7797 §7).
pub fn verify<K: KeySource + ?Sized>(token: &str, keys: &K, v: &Validation) -> Result<VerifiedJwt> {
    if v.clock_tolerance > MAX_CLOCK_TOLERANCE {
        return Err(Error::InvalidArgValue(format!(
            "clockTolerance must be at most {MAX_CLOCK_TOLERANCE} seconds"
        )));
    }
    let opts = VerifyOptions {
        algorithms: v.algorithms.clone(),
        crit: v.crit.clone(),
        max_token_length: v.max_token_length,
    };
    let verified = jws::verify_compact(token, keys, &opts)?;
    if !verified.header.b64 {
        return Err(Error::JwtInvalid(
            "JWTs must not use an unencoded payload (\"b64\": false)".into(),
        ));
    }
    let claims = parse_claims(&verified.payload)?;
    validate_claims(&claims, &verified.header, v)?;
    Ok(VerifiedJwt {
        claims,
        header: verified.header,
    })
}

/// Signs a JWT (RFC 7519 §7.1): `claims` becomes the payload of a compact JWS with the
/// protected header `header` (which must hold `alg`; `b64: false` is refused).
pub fn sign<R: CryptoRng + ?Sized>(
    header: &Object,
    claims: &Object,
    key: &Key,
    rng: &mut R,
) -> Result<String> {
    if header.contains_key("b64") {
        return Err(Error::InvalidArgValue(
            "JWTs must not use the \"b64\" header parameter".into(),
        ));
    }
    let payload = serde_json::to_vec(claims)
        .map_err(|e| Error::InvalidArgValue(format!("the claims cannot be serialized: {e}")))?;
    jws::sign_compact(header, &payload, key, rng)
}

/// Decodes a JWT's claims **without verifying** anything (jose's `decodeJwt`). Only for
/// inspection; never for authorization decisions.
pub fn decode(token: &str) -> Result<Object> {
    if token.len() > jws::DEFAULT_MAX_TOKEN_LENGTH {
        return Err(Error::JwtInvalid("the token is too large".into()));
    }
    let parts: Vec<&str> = token.split('.').collect();
    match parts.as_slice() {
        [_, payload, _] => {
            let bytes = b64::decode_with(payload, "the JWT payload", Error::JwtInvalid)?;
            parse_claims(&bytes)
        }
        [_, _, _, _, _] => Err(Error::JwtInvalid("encrypted JWTs cannot be decoded".into())),
        _ => Err(Error::JwtInvalid(
            "a JWT must have three dot-separated parts".into(),
        )),
    }
}

#[cfg(test)]
mod tests;
