//! JWT access token validation on the resource server (RFC 9068 §4), with the RFC 6750 §3.1
//! error each failure calls for.
//!
//! The signature and the registered claims are checked by [`jwt::verify`] (no `none`, an
//! algorithm allow-list, strict claim types). The `typ` header must be `at+jwt` (RFC 9068
//! §2.1, §4), which keeps ID Tokens (`typ: JWT` or none) and other JWTs from passing for access
//! tokens (RFC 8725 §3.11, security.md row 23).

use serde_json::Value;

use crate::UnixTime;
use crate::error::{ClaimFailure, Error, Result};
use crate::json::Object;
use crate::jwa::Alg;
use crate::jws::{self, KeySource};
use crate::jwt;
use crate::oauth::bearer::BearerError;

/// What [`validate_jwt_access_token`] expects of a JWT access token (RFC 9068 §4).
#[derive(Debug, Clone)]
pub struct AccessTokenValidation {
    /// The authorization server's issuer identifier, compared exactly with `iss` (RFC 9068 §4,
    /// RFC 8414 §2).
    pub issuer: String,
    /// The resource indicators this resource server answers to (RFC 8707 §2): `aud` must
    /// contain one of them (RFC 9068 §4). Must not be empty.
    pub audience: Vec<String>,
    /// Allowed JWS algorithms. Empty means `[RS256]` (RFC 9068 §2.1: RS256 is mandatory to
    /// support). `none` can never be allowed.
    pub algorithms: Vec<Alg>,
    /// Scopes the request needs: each must be in the token's `scope` (RFC 9068 §2.2.3,
    /// RFC 6750 §3.1 `insufficient_scope`).
    pub required_scopes: Vec<String>,
    /// Allowed clock skew in seconds for `exp`, `nbf` and `iat` (at most
    /// [`jwt::MAX_CLOCK_TOLERANCE`]).
    pub clock_tolerance: u64,
    /// The current time, in seconds since the Unix epoch (the core never reads a clock).
    pub now: UnixTime,
}

impl AccessTokenValidation {
    /// The checks of RFC 9068 §4 for one resource indicator at time `now`: RS256, no required
    /// scope, no clock tolerance. Set the other fields with struct update syntax.
    pub fn new(issuer: impl Into<String>, audience: impl Into<String>, now: UnixTime) -> Self {
        Self {
            issuer: issuer.into(),
            audience: vec![audience.into()],
            algorithms: Vec::new(),
            required_scopes: Vec::new(),
            clock_tolerance: 0,
            now,
        }
    }
}

/// The claims of a validated JWT access token (RFC 9068 §2.2).
#[derive(Debug, Clone, PartialEq)]
pub struct AccessTokenClaims {
    /// `sub`: the resource owner, or the client for client-credentials grants (RFC 9068
    /// §2.2).
    pub sub: String,
    /// `client_id`: the client the token was issued to (RFC 9068 §2.2, RFC 8693 §4.3).
    pub client_id: String,
    /// The space-separated `scope` claim, split (RFC 9068 §2.2.3, RFC 6749 §3.3); empty when
    /// absent.
    pub scope: Vec<String>,
    /// Every claim of the verified token, as received.
    pub raw: Object,
}

fn invalid(claim: &str, message: impl Into<String>) -> Error {
    Error::JwtClaimValidationFailed(ClaimFailure::new(claim, "invalid", message))
}

/// An optional string claim; any other JSON type is an `invalid` claim failure.
fn string_claim<'a>(claims: &'a Object, name: &str) -> Result<Option<&'a str>> {
    match claims.get(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(invalid(name, format!("\"{name}\" claim must be a string"))),
    }
}

/// Validates a JWT access token (RFC 9068 §4) and returns its claims.
///
/// In order: the signature with an allowed algorithm (`none` never is), the `typ` header
/// `at+jwt` or `application/at+jwt` (case-insensitive), then `iss` exact, `aud` containing one
/// of the configured resource indicators, `exp` not passed, and `iss`, `exp`, `aud`, `sub`,
/// `client_id`, `iat` and `jti` present (RFC 9068 §2.2) with `client_id` a string, then every
/// required scope present in the space-separated `scope` (RFC 9068 §2.2.3).
///
/// Errors: claim failures (a wrong `typ` included) are [`Error::JwtClaimValidationFailed`];
/// a missing scope is claim `scope`, reason `check_failed` (see [`bearer_error_for`]); an
/// expired token is [`Error::JwtExpired`]. An empty issuer or audience is
/// [`Error::InvalidArgValue`].
pub fn validate_jwt_access_token(
    token: &str,
    keys: &(impl KeySource + ?Sized),
    v: &AccessTokenValidation,
) -> Result<AccessTokenClaims> {
    if v.issuer.is_empty() || v.audience.is_empty() || v.audience.iter().any(String::is_empty) {
        return Err(Error::InvalidArgValue(
            "access token validation needs a non-empty issuer and audience".into(),
        ));
    }
    let jwt_validation = jwt::Validation {
        algorithms: if v.algorithms.is_empty() {
            vec![Alg::Rs256]
        } else {
            v.algorithms.clone()
        },
        issuer: vec![v.issuer.clone()],
        audience: v.audience.clone(),
        typ: Some("at+jwt".into()),
        required_claims: ["iss", "exp", "aud", "sub", "client_id", "iat", "jti"]
            .into_iter()
            .map(String::from)
            .collect(),
        clock_tolerance: v.clock_tolerance,
        max_token_length: jws::DEFAULT_MAX_TOKEN_LENGTH,
        ..jwt::Validation::new(v.now)
    };
    let verified = jwt::verify(token, keys, &jwt_validation)?;
    let claims = verified.claims;

    // Present and type-checked (strings) by jwt::verify, except client_id.
    let sub = string_claim(&claims, "sub")?.unwrap_or_default().to_owned();
    let client_id = string_claim(&claims, "client_id")?
        .unwrap_or_default()
        .to_owned();
    let scope: Vec<String> = string_claim(&claims, "scope")?
        .unwrap_or_default()
        .split(' ')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();

    let lacking: Vec<&str> = v
        .required_scopes
        .iter()
        .filter(|r| !scope.iter().any(|s| s == *r))
        .map(String::as_str)
        .collect();
    if !lacking.is_empty() {
        return Err(Error::JwtClaimValidationFailed(ClaimFailure::new(
            "scope",
            "check_failed",
            format!(
                "the access token lacks the required scope: {}",
                lacking.join(" ")
            ),
        )));
    }

    Ok(AccessTokenClaims {
        sub,
        client_id,
        scope,
        raw: claims,
    })
}

/// The RFC 6750 §3.1 answer to a [`validate_jwt_access_token`] failure: the error code and an
/// `error_description` for [`crate::oauth::bearer::www_authenticate`].
///
/// A missing required scope (claim `scope`, reason `check_failed`) is `insufficient_scope`
/// (HTTP 403) with the list of lacking scopes; anything else is `invalid_token` (HTTP 401),
/// described by the claim failure's message, or by a fixed text for other errors (no detail
/// that could become an oracle).
pub fn bearer_error_for(err: &Error) -> (BearerError, Option<String>) {
    match err {
        Error::JwtClaimValidationFailed(c) if c.claim == "scope" && c.reason == "check_failed" => {
            (BearerError::InsufficientScope, Some(c.message.clone()))
        }
        Error::JwtExpired(_) => (
            BearerError::InvalidToken,
            Some("the access token expired".into()),
        ),
        Error::JwtClaimValidationFailed(c) => (BearerError::InvalidToken, Some(c.message.clone())),
        _ => (
            BearerError::InvalidToken,
            Some("the access token is invalid".into()),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_scope_check_is_insufficient_scope() {
        let scope =
            Error::JwtClaimValidationFailed(ClaimFailure::new("scope", "check_failed", "x"));
        assert_eq!(bearer_error_for(&scope).0, BearerError::InsufficientScope);
        let scope_type =
            Error::JwtClaimValidationFailed(ClaimFailure::new("scope", "invalid", "x"));
        assert_eq!(bearer_error_for(&scope_type).0, BearerError::InvalidToken);
        assert_eq!(
            bearer_error_for(&Error::SignatureVerificationFailed),
            (
                BearerError::InvalidToken,
                Some("the access token is invalid".into())
            )
        );
    }
}
