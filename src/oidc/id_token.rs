//! ID Token validation for relying parties (OpenID Connect Core 1.0 §3.1.3.7 for the code
//! flow, §3.2.2.11 for the implicit flow, §3.3.2.12 for the hybrid flow; security.md rows
//! 15–17).
//!
//! The JWS signature and the registered claims are checked by [`jwt::verify`] (no `none`, an
//! algorithm allow-list, strict claim types); this module adds the OpenID Connect rules on top:
//! `iss`, `sub`, `aud`, `exp` and `iat` are required, `azp` is checked, `nonce` is bound to the
//! request, `auth_time` is checked against `max_age`, and `at_hash` / `c_hash` bind the ID
//! Token to the access token and the authorization code.
//!
//! `iat` is required and its age is limited ([`IdTokenValidation::max_token_age`], default
//! [`DEFAULT_ID_TOKEN_MAX_AGE`], one day): OpenID Connect Core 1.0 §3.1.3.7 step 10 lets the
//! client "reject tokens that were issued too far away from the current time", and the
//! conformance suite's FAPI client test `iat-is-week-in-past` expects an ID Token issued a week
//! ago (with `exp` still in the future) to be rejected.

use core::fmt;

use serde_json::Value;
use sha2::{Digest, Sha256, Sha384, Sha512};
use subtle::ConstantTimeEq;

use crate::UnixTime;
use crate::b64;
use crate::error::{ClaimFailure, Error, Result};
use crate::json::Object;
use crate::jwa::Alg;
use crate::jws::{self, KeySource};
use crate::jwt::{self, VerifiedJwt};

/// The default oldest accepted ID Token `iat`, as an age in seconds (one day; OpenID Connect
/// Core 1.0 §3.1.3.7 step 10 leaves the window to the client).
pub const DEFAULT_ID_TOKEN_MAX_AGE: u64 = 86_400;

/// What [`validate_id_token`] expects of an ID Token (OpenID Connect Core 1.0 §3.1.3.7).
#[derive(Clone)]
pub struct IdTokenValidation {
    /// The OP's Issuer Identifier, compared exactly with `iss` (§3.1.3.7 step 2).
    pub issuer: String,
    /// This client's `client_id`: `aud` must contain it and `azp`, when present, must equal it
    /// (§3.1.3.7 steps 3–5).
    pub client_id: String,
    /// Allowed JWS algorithms: the client's registered `id_token_signed_response_alg`. Empty
    /// means `[RS256]`, the default of OpenID Connect Dynamic Client Registration 1.0 §2
    /// (§3.1.3.7 steps 6–7). `none` can never be allowed.
    pub algorithms: Vec<Alg>,
    /// The `nonce` sent in the Authentication Request: when set, the ID Token must carry the
    /// same value (§3.1.3.7 step 11, §3.2.2.11 step 11). Required for implicit and hybrid flows.
    pub nonce: Option<String>,
    /// The `max_age` sent in the Authentication Request, in seconds: `auth_time` becomes
    /// required and must be recent enough (§3.1.3.7 step 13).
    pub max_age: Option<u64>,
    /// Require `auth_time` even without `max_age` (the `auth_time` Essential Claim, §3.1.3.7
    /// step 13, §5.5.1).
    pub require_auth_time: bool,
    /// The access token returned with the ID Token: `at_hash`, when present, must match it
    /// (§3.2.2.9, §3.3.2.11).
    pub access_token: Option<String>,
    /// The authorization code returned with the ID Token: `c_hash`, when present, must match
    /// it (§3.3.2.11).
    pub code: Option<String>,
    /// Require `at_hash`: an ID Token issued with an access token from the authorization
    /// endpoint (`response_type=id_token token` or `code id_token token`, §3.2.2.10, §3.3.2.11).
    /// Needs [`IdTokenValidation::access_token`].
    pub require_at_hash: bool,
    /// Require `c_hash`: an ID Token from the authorization endpoint in the hybrid flow
    /// (`code id_token`, `code id_token token`, §3.3.2.11). Needs [`IdTokenValidation::code`].
    pub require_c_hash: bool,
    /// Allowed clock skew in seconds for `exp`, `nbf` and `auth_time` (at most
    /// [`jwt::MAX_CLOCK_TOLERANCE`]).
    pub clock_tolerance: u64,
    /// The oldest accepted `iat`, as an age in seconds (§3.1.3.7 step 10); older tokens fail
    /// with [`Error::JwtExpired`]. Default [`DEFAULT_ID_TOKEN_MAX_AGE`].
    pub max_token_age: u64,
    /// The current time, in seconds since the Unix epoch (the core never reads a clock).
    pub now: UnixTime,
}

impl IdTokenValidation {
    /// The checks for a code-flow ID Token from the token endpoint (§3.1.3.7) at time `now`:
    /// RS256, no `nonce`, `max_age` or hash expectations, no clock tolerance. Set the other
    /// fields with struct update syntax.
    pub fn new(issuer: impl Into<String>, client_id: impl Into<String>, now: UnixTime) -> Self {
        Self {
            issuer: issuer.into(),
            client_id: client_id.into(),
            algorithms: Vec::new(),
            nonce: None,
            max_age: None,
            require_auth_time: false,
            access_token: None,
            code: None,
            require_at_hash: false,
            require_c_hash: false,
            clock_tolerance: 0,
            max_token_age: DEFAULT_ID_TOKEN_MAX_AGE,
            now,
        }
    }
}

/// Redacts the access token and the code: they are bearer credentials.
impl fmt::Debug for IdTokenValidation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let redact = |o: &Option<String>| o.as_ref().map(|_| "<redacted>");
        f.debug_struct("IdTokenValidation")
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("algorithms", &self.algorithms)
            .field("nonce", &self.nonce)
            .field("max_age", &self.max_age)
            .field("require_auth_time", &self.require_auth_time)
            .field("access_token", &redact(&self.access_token))
            .field("code", &redact(&self.code))
            .field("require_at_hash", &self.require_at_hash)
            .field("require_c_hash", &self.require_c_hash)
            .field("clock_tolerance", &self.clock_tolerance)
            .field("max_token_age", &self.max_token_age)
            .field("now", &self.now)
            .finish()
    }
}

fn missing(claim: &str) -> Error {
    Error::JwtClaimValidationFailed(ClaimFailure::new(
        claim,
        "missing",
        format!("missing required \"{claim}\" claim"),
    ))
}
fn invalid(claim: &str, message: impl Into<String>) -> Error {
    Error::JwtClaimValidationFailed(ClaimFailure::new(claim, "invalid", message))
}
fn failed(claim: &str, message: impl Into<String>) -> Error {
    Error::JwtClaimValidationFailed(ClaimFailure::new(claim, "check_failed", message))
}

fn ct_eq(a: &str, b: &str) -> bool {
    bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// An optional string claim; any other JSON type is an `invalid` claim failure.
fn string_claim<'a>(claims: &'a Object, name: &str) -> Result<Option<&'a str>> {
    match claims.get(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(invalid(name, format!("\"{name}\" claim must be a string"))),
    }
}

/// The `at_hash` / `c_hash` value of `value` for an ID Token signed with `alg` (OpenID Connect
/// Core 1.0 §3.2.2.9, §3.3.2.11): the base64url encoding of the left-most half of the hash of
/// the ASCII octets of `value`, where the hash is the one of the JWS algorithm (SHA-256 for
/// `*256`, SHA-384 for `*384`, SHA-512 for `*512`) and SHA-512 for EdDSA with Ed25519 (as in
/// OpenID Foundation's conformance suite and node `oidc-provider`).
pub fn token_hash(alg: Alg, value: &str) -> String {
    let digest: Vec<u8> = match alg {
        Alg::Hs256 | Alg::Rs256 | Alg::Ps256 | Alg::Es256 => {
            Sha256::digest(value.as_bytes()).to_vec()
        }
        Alg::Hs384 | Alg::Rs384 | Alg::Ps384 | Alg::Es384 => {
            Sha384::digest(value.as_bytes()).to_vec()
        }
        Alg::Hs512 | Alg::Rs512 | Alg::Ps512 | Alg::Es512 | Alg::EdDsa => {
            Sha512::digest(value.as_bytes()).to_vec()
        }
    };
    let half = digest.get(..digest.len() / 2).unwrap_or_default();
    b64::encode(half)
}

/// Checks `at_hash` or `c_hash` (`claim`) against `value` (§3.2.2.9, §3.3.2.11).
fn check_hash(
    claims: &Object,
    alg: Alg,
    claim: &str,
    value: Option<&str>,
    required: bool,
) -> Result<()> {
    let present = string_claim(claims, claim)?;
    match (present, value) {
        (None, _) if required => Err(missing(claim)),
        (None, _) | (Some(_), None) => Ok(()),
        (Some(got), Some(value)) => {
            if ct_eq(got, &token_hash(alg, value)) {
                Ok(())
            } else {
                Err(failed(claim, format!("\"{claim}\" claim value mismatch")))
            }
        }
    }
}

/// Validates an ID Token (OpenID Connect Core 1.0 §3.1.3.7 for the code flow, §3.2.2.11 for
/// the implicit flow, §3.3.2.12 for the hybrid flow) and returns its verified claims.
///
/// In order: the signature with an allowed algorithm (`none` never is; steps 6–8), then `iss`
/// exact (step 2), `sub` (§2), `aud` containing `client_id` (step 3), `exp` not passed (step
/// 9) and `iat` present and at most [`IdTokenValidation::max_token_age`] old (step 10), all
/// REQUIRED; then `azp` (required and equal to
/// `client_id` when `aud` has several values, equal to it whenever present; steps 4–5),
/// `nonce` (step 11), `auth_time` against `max_age` (step 13), `at_hash` (§3.2.2.9) and
/// `c_hash` (§3.3.2.11). Secrets are compared in constant time.
///
/// Errors: claim failures are [`Error::JwtClaimValidationFailed`] with the claim's name and
/// reason `missing`, `invalid` (wrong type) or `check_failed`; an expired token is
/// [`Error::JwtExpired`]; a bad signature is [`Error::SignatureVerificationFailed`]; an
/// algorithm outside the allow-list is [`Error::AlgNotAllowed`]. Misconfiguration (empty
/// issuer or client_id, a required hash without the value to check it against) is
/// [`Error::InvalidArgValue`].
pub fn validate_id_token(
    token: &str,
    keys: &(impl KeySource + ?Sized),
    v: &IdTokenValidation,
) -> Result<VerifiedJwt> {
    if v.issuer.is_empty() || v.client_id.is_empty() {
        return Err(Error::InvalidArgValue(
            "ID Token validation needs a non-empty issuer and client_id".into(),
        ));
    }
    if v.require_at_hash && v.access_token.is_none() {
        return Err(Error::InvalidArgValue(
            "require_at_hash needs the access_token to check \"at_hash\" against".into(),
        ));
    }
    if v.require_c_hash && v.code.is_none() {
        return Err(Error::InvalidArgValue(
            "require_c_hash needs the code to check \"c_hash\" against".into(),
        ));
    }

    let jwt_validation = jwt::Validation {
        algorithms: if v.algorithms.is_empty() {
            vec![Alg::Rs256]
        } else {
            v.algorithms.clone()
        },
        issuer: vec![v.issuer.clone()],
        audience: vec![v.client_id.clone()],
        required_claims: ["iss", "sub", "aud", "exp", "iat"]
            .into_iter()
            .map(String::from)
            .collect(),
        clock_tolerance: v.clock_tolerance,
        max_token_length: jws::DEFAULT_MAX_TOKEN_LENGTH,
        ..jwt::Validation::new(v.now)
    };
    let verified = jwt::verify(token, keys, &jwt_validation)?;
    let claims = &verified.claims;
    let alg = verified.header.alg;

    // §3.1.3.7 step 10: an `iat` too far in the past (a future `iat` is left to `exp`/`nbf`
    // and the clock tolerance: OP and RP clocks differ).
    if let Some(iat) = claims.get("iat").and_then(Value::as_f64)
        && (v.now as f64) - iat - (v.clock_tolerance as f64) > v.max_token_age as f64
    {
        return Err(Error::JwtExpired(ClaimFailure::new(
            "iat",
            "check_failed",
            "\"iat\" claim timestamp check failed (too far in the past)",
        )));
    }

    // Explicit typing against cross-JWT confusion (RFC 8725 §3.11, security.md row 23): an ID
    // Token is untyped or typed `JWT` (RFC 7519 §5.1); `logout+jwt`, `at+jwt`, `dpop+jwt` and
    // any other explicit type belong to other kinds of token. A Logout Token is also told
    // apart by its `events` claim (OpenID Connect Back-Channel Logout 1.0 §2.4).
    if let Some(typ) = &verified.header.typ {
        let t = typ.to_ascii_lowercase();
        if t.strip_prefix("application/").unwrap_or(&t) != "jwt" {
            return Err(failed(
                "typ",
                format!("unexpected \"typ\" JWT header value {typ:?} for an ID Token"),
            ));
        }
    }
    if claims.contains_key("events") {
        return Err(failed(
            "events",
            "an ID Token must not carry the \"events\" claim of a Logout Token",
        ));
    }

    // azp (§3.1.3.7 steps 4–5, security.md row 16). `aud` was type-checked by jwt::verify.
    let several_audiences = matches!(claims.get("aud"), Some(Value::Array(a)) if a.len() > 1);
    match string_claim(claims, "azp")? {
        None if several_audiences => return Err(missing("azp")),
        None => {}
        Some(azp) if azp == v.client_id => {}
        Some(_) => return Err(failed("azp", "unexpected \"azp\" claim value")),
    }

    // nonce (§3.1.3.7 step 11, §15.5.2): when one was sent it must come back unchanged.
    if let Some(expected) = &v.nonce {
        match string_claim(claims, "nonce")? {
            None => return Err(missing("nonce")),
            Some(got) if ct_eq(got, expected) => {}
            Some(_) => return Err(failed("nonce", "unexpected \"nonce\" claim value")),
        }
    }

    // auth_time (§2, §3.1.3.7 step 13).
    let auth_time = match claims.get("auth_time") {
        None => None,
        Some(Value::Number(n)) => match n.as_f64() {
            Some(t) if t.is_finite() => Some(t),
            _ => {
                return Err(invalid(
                    "auth_time",
                    "\"auth_time\" claim must be a finite number",
                ));
            }
        },
        Some(_) => return Err(invalid("auth_time", "\"auth_time\" claim must be a number")),
    };
    if auth_time.is_none() && (v.max_age.is_some() || v.require_auth_time) {
        return Err(missing("auth_time"));
    }
    if let (Some(auth_time), Some(max_age)) = (auth_time, v.max_age) {
        let deadline = auth_time + max_age as f64 + v.clock_tolerance as f64;
        if deadline < v.now as f64 {
            return Err(failed(
                "auth_time",
                "too much time has elapsed since the last End-User authentication (max_age)",
            ));
        }
    }

    // at_hash (§3.2.2.9) and c_hash (§3.3.2.11).
    check_hash(
        claims,
        alg,
        "at_hash",
        v.access_token.as_deref(),
        v.require_at_hash,
    )?;
    check_hash(claims, alg, "c_hash", v.code.as_deref(), v.require_c_hash)?;

    Ok(verified)
}

/// Which ID Tokens [`check_id_token_continuity`] compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Continuity {
    /// An ID Token from a refresh against the one of the original authentication (OpenID
    /// Connect Core 1.0 §12.2): `iss`, `sub`, `aud`, and `azp` / `auth_time` when the original
    /// has them, must be the same.
    Refresh,
    /// The token endpoint's ID Token against the authorization endpoint's in the hybrid flow
    /// (OpenID Connect Core 1.0 §3.3.3.6): `iss` and `sub` must be identical.
    Hybrid,
}

/// Checks that `new` (the verified claims of an ID Token) continues `original` (OpenID Connect
/// Core 1.0 §12.2 for [`Continuity::Refresh`], §3.3.3.6 for [`Continuity::Hybrid`]). A
/// difference is [`Error::OAuthJsonAttributeComparisonFailed`] naming the claim; the claims'
/// values are compared as JSON values (`aud` as given, string or array).
pub fn check_id_token_continuity(original: &Object, new: &Object, kind: Continuity) -> Result<()> {
    let always: &[&str] = match kind {
        Continuity::Refresh => &["iss", "sub", "aud"],
        Continuity::Hybrid => &["iss", "sub"],
    };
    for claim in always {
        if original.get(*claim) != new.get(*claim) {
            return Err(Error::OAuthJsonAttributeComparisonFailed(format!(
                "the new ID Token's \"{claim}\" differs from the original ID Token's (OpenID Connect Core 1.0 {})",
                if kind == Continuity::Refresh {
                    "§12.2"
                } else {
                    "§3.3.3.6"
                }
            )));
        }
    }
    if kind == Continuity::Refresh {
        for claim in ["azp", "auth_time"] {
            let before = original.get(claim);
            if before.is_some() && new.get(claim).is_some_and(|after| Some(after) != before) {
                return Err(Error::OAuthJsonAttributeComparisonFailed(format!(
                    "the refreshed ID Token's \"{claim}\" differs from the original ID Token's (OpenID Connect Core 1.0 §12.2)"
                )));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// OpenID Connect Core 1.0 Appendix A values (also in the shared vector file).
    #[test]
    fn token_hash_matches_core_appendix_a() {
        assert_eq!(
            token_hash(Alg::Rs256, "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y"),
            "77QmUPtjPfzWtF2AnpK9RQ"
        );
        assert_eq!(
            token_hash(
                Alg::Rs256,
                "Qcb0Orv1zh30vL1MPRsbm-diHiMwcLyZvn1arpZv-Jxf_11jnpEX3Tgfvk"
            ),
            "LDktKdoQak3Pk0cnXxCltA"
        );
    }

    #[test]
    fn token_hash_lengths_follow_the_alg() {
        // Half of 32 / 48 / 64 octets → 22 / 32 / 43 base64url characters.
        for (alg, len) in [
            (Alg::Es256, 22),
            (Alg::Ps384, 32),
            (Alg::Rs512, 43),
            (Alg::EdDsa, 43),
        ] {
            assert_eq!(token_hash(alg, "x").len(), len, "{alg}");
        }
        assert_eq!(token_hash(Alg::EdDsa, "x"), token_hash(Alg::Es512, "x"));
    }

    #[test]
    fn debug_redacts_credentials() {
        let v = IdTokenValidation {
            access_token: Some("secret-at".into()),
            code: Some("secret-code".into()),
            ..IdTokenValidation::new("https://op", "client", 0)
        };
        let s = format!("{v:?}");
        assert!(
            !s.contains("secret-at") && !s.contains("secret-code"),
            "{s}"
        );
        assert!(s.contains("<redacted>"));
    }

    fn obj(v: serde_json::Value) -> Object {
        match v {
            Value::Object(o) => o,
            _ => Object::new(),
        }
    }

    #[test]
    fn continuity_refresh_and_hybrid() {
        let original = obj(serde_json::json!({
            "iss": "https://op", "sub": "u1", "aud": "c", "azp": "c", "auth_time": 10, "iat": 1
        }));
        let same = obj(serde_json::json!({
            "iss": "https://op", "sub": "u1", "aud": "c", "auth_time": 10, "iat": 2
        }));
        assert!(check_id_token_continuity(&original, &same, Continuity::Refresh).is_ok());
        for (claim, value) in [
            ("sub", serde_json::json!("u2")),
            ("iss", serde_json::json!("https://other")),
            ("aud", serde_json::json!(["c", "d"])),
            ("azp", serde_json::json!("d")),
            ("auth_time", serde_json::json!(11)),
        ] {
            let mut changed = same.clone();
            changed.insert(claim.into(), value);
            let err =
                check_id_token_continuity(&original, &changed, Continuity::Refresh).unwrap_err();
            assert_eq!(
                err.code(),
                "OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED",
                "{claim}"
            );
            assert!(err.to_string().contains(claim), "{claim}");
        }
        let mut other_aud = same.clone();
        other_aud.insert("aud".into(), serde_json::json!(["c", "d"]));
        assert!(check_id_token_continuity(&original, &other_aud, Continuity::Hybrid).is_ok());
        let mut other_sub = same;
        other_sub.insert("sub".into(), serde_json::json!("u2"));
        assert!(check_id_token_continuity(&original, &other_sub, Continuity::Hybrid).is_err());
    }
}
