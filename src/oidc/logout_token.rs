//! Logout Token validation for relying parties (OpenID Connect Back-Channel Logout 1.0 §2.4,
//! §2.6; security.md row 23 and the `rp-backchannel-rpinitlogout-*` tests of §4).
//!
//! The signature and the registered claims are checked by [`jwt::verify`] (no `none`, an
//! algorithm allow-list, strict claim types); this module adds the Logout Token rules: `iss`
//! exact, `aud` containing the `client_id`, `iat` and `jti` required, the back-channel logout
//! `events` member, `sub` or `sid`, no `nonce`, and an explicit `typ` (when present) of
//! `logout+jwt` so that no other kind of JWT can pass for a Logout Token (RFC 8725 §3.11).
//!
//! Replay detection on `jti` (§2.6, optional) and matching `iss` / `sub` / `sid` to local
//! sessions are left to the caller.

use serde_json::Value;

use crate::UnixTime;
use crate::error::{ClaimFailure, Error, Result};
use crate::json::Object;
use crate::jwa::Alg;
use crate::jws::{self, KeySource};
use crate::jwt;

/// The member of the `events` claim that marks a Logout Token (Back-Channel Logout 1.0 §2.4).
pub const BACKCHANNEL_LOGOUT_EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";

/// What [`validate_logout_token`] expects of a Logout Token (Back-Channel Logout 1.0 §2.6).
#[derive(Debug, Clone)]
pub struct LogoutTokenValidation {
    /// The OP's Issuer Identifier, compared exactly with `iss` (§2.6, as OIDC Core §3.1.3.7
    /// step 2).
    pub issuer: String,
    /// This client's `client_id`: `aud` must contain it (§2.6, as OIDC Core §3.1.3.7 step 3).
    pub client_id: String,
    /// Allowed JWS algorithms: the client's registered `id_token_signed_response_alg`. Empty
    /// means `[RS256]` (§2.6, OpenID Connect Dynamic Client Registration 1.0 §2). `none` can
    /// never be allowed.
    pub algorithms: Vec<Alg>,
    /// Allowed clock skew in seconds for `exp`, `nbf` and `iat` (at most
    /// [`jwt::MAX_CLOCK_TOLERANCE`]).
    pub clock_tolerance: u64,
    /// The current time, in seconds since the Unix epoch (the core never reads a clock).
    pub now: UnixTime,
    /// Reject Logout Tokens whose `iat` is older than this many seconds (§2.6 validates `iat`
    /// as OIDC Core §3.1.3.7 step 10 does, where the acceptable window is the client's choice).
    pub max_age_of_iat: Option<u64>,
}

impl LogoutTokenValidation {
    /// The checks of Back-Channel Logout 1.0 §2.6 at time `now`: RS256, no clock tolerance, no
    /// `iat` age limit. Set the other fields with struct update syntax.
    pub fn new(issuer: impl Into<String>, client_id: impl Into<String>, now: UnixTime) -> Self {
        Self {
            issuer: issuer.into(),
            client_id: client_id.into(),
            algorithms: Vec::new(),
            clock_tolerance: 0,
            now,
            max_age_of_iat: None,
        }
    }
}

/// A validated Logout Token (Back-Channel Logout 1.0 §2.4).
#[derive(Debug, Clone, PartialEq)]
pub struct LogoutToken {
    /// `iss`: the OP's Issuer Identifier (§2.4).
    pub iss: String,
    /// `sub`: the End-User whose sessions end, when present (§2.4).
    pub sub: Option<String>,
    /// `sid`: the session that ends, when present (§2.4, Front-Channel Logout 1.0 §3).
    pub sid: Option<String>,
    /// `jti`: the token's unique identifier, for replay detection (§2.4, §2.6).
    pub jti: String,
    /// `iat`, in seconds since the Unix epoch (§2.4); a fractional value is truncated.
    pub iat: UnixTime,
    /// The `events` claim (§2.4): an object holding [`BACKCHANNEL_LOGOUT_EVENT`].
    pub events: Object,
    /// Every claim of the verified token, as received.
    pub raw: Object,
}

fn missing(claim: &str, message: impl Into<String>) -> Error {
    Error::JwtClaimValidationFailed(ClaimFailure::new(claim, "missing", message))
}
fn invalid(claim: &str, message: impl Into<String>) -> Error {
    Error::JwtClaimValidationFailed(ClaimFailure::new(claim, "invalid", message))
}
fn failed(claim: &str, message: impl Into<String>) -> Error {
    Error::JwtClaimValidationFailed(ClaimFailure::new(claim, "check_failed", message))
}

/// An optional string claim; any other JSON type is an `invalid` claim failure.
fn string_claim<'a>(claims: &'a Object, name: &str) -> Result<Option<&'a str>> {
    match claims.get(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(invalid(name, format!("\"{name}\" claim must be a string"))),
    }
}

/// A media type as compared for `typ` (RFC 7515 §4.1.9): case-insensitive, `application/`
/// optional.
fn normalize_typ(typ: &str) -> String {
    let lower = typ.to_ascii_lowercase();
    match lower.strip_prefix("application/") {
        Some(rest) => rest.to_owned(),
        None => lower,
    }
}

/// Validates a Logout Token (OpenID Connect Back-Channel Logout 1.0 §2.6) and returns its
/// claims.
///
/// In order (§2.6): the signature with an allowed algorithm (`none` never is), `iss`
/// exact, `aud` containing `client_id`, `iat` and `exp` present (§2.4), `exp` not passed; then
/// `typ`, which when present must be `logout+jwt` (§2.4, §4.1, RFC 8725 §3.11); `jti` present
/// (§2.4); `events` holding the [`BACKCHANNEL_LOGOUT_EVENT`] member with a JSON object value;
/// `sub` or `sid` present; no `nonce`.
///
/// Errors: claim failures are [`Error::JwtClaimValidationFailed`] with the claim's name and
/// reason `missing`, `invalid` or `check_failed` (a wrong `typ` is claim `typ`, `check_failed`);
/// an expired token (or, with `max_age_of_iat`, a too old `iat`) is [`Error::JwtExpired`]; a
/// bad signature is [`Error::SignatureVerificationFailed`]; an algorithm outside the allow-list
/// is [`Error::AlgNotAllowed`]. An empty issuer or client_id is [`Error::InvalidArgValue`].
/// The caller answers any error with HTTP 400 (§2.8).
pub fn validate_logout_token(
    token: &str,
    keys: &(impl KeySource + ?Sized),
    v: &LogoutTokenValidation,
) -> Result<LogoutToken> {
    if v.issuer.is_empty() || v.client_id.is_empty() {
        return Err(Error::InvalidArgValue(
            "Logout Token validation needs a non-empty issuer and client_id".into(),
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
        required_claims: ["iss", "aud", "iat", "exp"]
            .into_iter()
            .map(String::from)
            .collect(),
        clock_tolerance: v.clock_tolerance,
        max_token_age: v.max_age_of_iat,
        max_token_length: jws::DEFAULT_MAX_TOKEN_LENGTH,
        ..jwt::Validation::new(v.now)
    };
    let verified = jwt::verify(token, keys, &jwt_validation)?;
    let claims = verified.claims;

    if let Some(typ) = &verified.header.typ
        && normalize_typ(typ) != "logout+jwt"
    {
        return Err(failed(
            "typ",
            "a Logout Token's \"typ\" JWT header must be \"logout+jwt\"",
        ));
    }

    let jti = string_claim(&claims, "jti")?
        .ok_or_else(|| missing("jti", "missing required \"jti\" claim"))?
        .to_owned();

    let events = match claims.get("events") {
        None => return Err(missing("events", "missing required \"events\" claim")),
        Some(Value::Object(events)) => events.clone(),
        Some(_) => return Err(invalid("events", "\"events\" claim must be a JSON object")),
    };
    match events.get(BACKCHANNEL_LOGOUT_EVENT) {
        None => {
            return Err(failed(
                "events",
                format!("\"events\" claim must contain the {BACKCHANNEL_LOGOUT_EVENT} member"),
            ));
        }
        Some(Value::Object(_)) => {}
        Some(_) => {
            return Err(invalid(
                "events",
                "the back-channel logout event's value must be a JSON object",
            ));
        }
    }

    let sub = string_claim(&claims, "sub")?.map(str::to_owned);
    let sid = string_claim(&claims, "sid")?.map(str::to_owned);
    if sub.is_none() && sid.is_none() {
        return Err(missing(
            "sub",
            "a Logout Token must contain a \"sub\" claim, a \"sid\" claim, or both",
        ));
    }

    if claims.contains_key("nonce") {
        return Err(failed(
            "nonce",
            "a Logout Token must not contain a \"nonce\" claim",
        ));
    }

    // `iss` and `iat` were required and type-checked by jwt::verify.
    let iss = string_claim(&claims, "iss")?.unwrap_or_default().to_owned();
    let iat = claims
        .get("iat")
        .and_then(Value::as_f64)
        .ok_or_else(|| missing("iat", "missing required \"iat\" claim"))?
        .trunc() as UnixTime;

    Ok(LogoutToken {
        iss,
        sub,
        sid,
        jti,
        iat,
        events,
        raw: claims,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typ_is_compared_as_a_media_type() {
        assert_eq!(normalize_typ("application/Logout+JWT"), "logout+jwt");
        assert_eq!(normalize_typ("logout+jwt"), "logout+jwt");
        assert_ne!(normalize_typ("JWT"), "logout+jwt");
    }

    #[test]
    fn empty_configuration_is_refused() {
        let key = crate::Key::from_secret(&[7u8; 32], Some(Alg::Hs256)).unwrap();
        let err = validate_logout_token("a.b.c", &key, &LogoutTokenValidation::new("", "c", 0));
        assert_eq!(
            err.map(|_| ()).map_err(|e| e.code()),
            Err("ERR_INVALID_ARG_VALUE")
        );
    }
}
