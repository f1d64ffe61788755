//! One error type for the whole crate, with stable string codes.
//!
//! The codes are part of the public contract: JOSE failures use the codes of the `jose` npm
//! package (`ERR_JWS_INVALID`, `ERR_JWT_EXPIRED`, …), argument misuse uses Node's
//! `ERR_INVALID_ARG_VALUE` / `ERR_INVALID_ARG_TYPE`. The JavaScript binding maps each code to an
//! `Error` subclass of the same name as jose's.
//!
//! Signature failures are deliberately opaque (no detail that could become an oracle); claim
//! failures carry the claim name and reason (RFC 7519 §4.1, jose's `JWTClaimValidationFailed`).

use core::fmt;

/// Result alias used throughout the crate.
pub type Result<T, E = Error> = core::result::Result<T, E>;

/// Why a registered or required claim was refused (RFC 7519 §4.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimFailure {
    /// The claim's name, e.g. `"exp"`, `"aud"`, `"iss"`.
    pub claim: String,
    /// `"missing"`, `"invalid"` (wrong JSON type or value) or `"check_failed"`, as in jose.
    pub reason: &'static str,
    /// A human-readable message.
    pub message: String,
}

impl ClaimFailure {
    /// Builds a claim failure.
    pub fn new(claim: &str, reason: &'static str, message: impl Into<String>) -> Self {
        Self {
            claim: claim.to_owned(),
            reason,
            message: message.into(),
        }
    }
}

/// An OAuth 2.0 error response: the `error`, `error_description` and `error_uri` members of a
/// token-endpoint (RFC 6749 §5.2) or authorization (RFC 6749 §4.1.2.1) error, kept verbatim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthErrorBody {
    /// The `error` code, e.g. `invalid_grant`.
    pub error: String,
    /// `error_description`, when present.
    pub error_description: Option<String>,
    /// `error_uri`, when present.
    pub error_uri: Option<String>,
    /// The HTTP status of the response, when it came over HTTP.
    pub status: Option<u16>,
}

/// Every failure the crate reports. Match on [`Error::code`] for a stable identifier.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// A compact or JSON JWS is malformed: wrong segment count, bad base64url, bad header JSON,
    /// unsupported or unknown `crit`, size limit exceeded (RFC 7515 §5.2).
    JwsInvalid(String),
    /// A JWT is malformed: the payload is not a JSON object, a claim set is unparsable
    /// (RFC 7519 §7.2).
    JwtInvalid(String),
    /// A JWK is malformed or inconsistent (RFC 7517 §4, RFC 7518 §6).
    JwkInvalid(String),
    /// A JWK Set is malformed (RFC 7517 §5).
    JwksInvalid(String),
    /// No key of the JWK Set matches the token's header (RFC 7515 §4.1.4, §6).
    JwksNoMatchingKey,
    /// Several keys of the JWK Set match the header and the caller asked for exactly one.
    JwksMultipleMatchingKeys,
    /// Key material (PEM, DER, SPKI, PKCS#1, PKCS#8, SEC1, X.509, raw secret) is malformed, too
    /// weak (RSA < 2048 bits, HMAC secret shorter than the hash), or of the wrong kind for the
    /// requested operation.
    KeyInvalid(String),
    /// The signature did not verify. Deliberately carries no detail (RFC 7515 §5.2 step 8).
    SignatureVerificationFailed,
    /// The algorithm is not in the allow-list, or not usable with the key (RFC 8725 §3.1).
    AlgNotAllowed(String),
    /// The algorithm, key type or feature is not implemented (e.g. `none`, RSA1_5, `b64` in a JWT).
    NotSupported(String),
    /// The `exp` claim is in the past, beyond the clock tolerance (RFC 7519 §4.1.4).
    JwtExpired(ClaimFailure),
    /// A claim check failed: `iss`, `aud`, `sub`, `nbf`, `iat`, `typ`, required claims, wrong
    /// claim types (RFC 7519 §4.1).
    JwtClaimValidationFailed(ClaimFailure),
    /// An argument has an invalid value (Node's `ERR_INVALID_ARG_VALUE`).
    InvalidArgValue(String),
    /// An argument has the wrong type (Node's `ERR_INVALID_ARG_TYPE`).
    InvalidArgType(String),
    /// Anything else (jose's `ERR_JOSE_GENERIC`), e.g. the platform RNG failed.
    Generic(String),
    /// An endpoint answered with an OAuth error body (RFC 6749 §5.2).
    OAuthResponseBodyError(OAuthErrorBody),
    /// The authorization response carries an OAuth error (RFC 6749 §4.1.2.1).
    OAuthAuthorizationResponseError(OAuthErrorBody),
    /// A response does not conform to the protocol: wrong status, missing or ill-typed
    /// members, forbidden parameters (RFC 6749 §5.1, RFC 8414 §3.2).
    OAuthInvalidResponse(String),
    /// A response body that must be JSON is not (RFC 6749 §5.1).
    OAuthResponseIsNotJson(String),
    /// A value in a response differs from the expected one: discovery `issuer` (RFC 8414 §3.3),
    /// `state` (RFC 6749 §10.12), RFC 9207 `iss`, UserInfo `sub` (OIDC Core §5.3.2).
    OAuthJsonAttributeComparisonFailed(String),
    /// A parameter the protocol requires is missing (e.g. `state`, `code`, RFC 9207 `iss`).
    OAuthMissingRequiredParameter(String),
    /// A plain-http URL where https is required (RFC 6749 §3.1, RFC 8414 §2); loopback
    /// addresses are exempt only when the caller opts in.
    OAuthHttpRequestForbidden(String),
    /// An incoming request is malformed, e.g. a bearer token sent in more than one way
    /// (RFC 6750 §2).
    OAuthInvalidRequest(String),
}

impl Error {
    /// The stable string code of this error (jose's code where jose has one).
    pub const fn code(&self) -> &'static str {
        match self {
            Self::JwsInvalid(_) => "ERR_JWS_INVALID",
            Self::JwtInvalid(_) => "ERR_JWT_INVALID",
            Self::JwkInvalid(_) => "ERR_JWK_INVALID",
            Self::JwksInvalid(_) => "ERR_JWKS_INVALID",
            Self::JwksNoMatchingKey => "ERR_JWKS_NO_MATCHING_KEY",
            Self::JwksMultipleMatchingKeys => "ERR_JWKS_MULTIPLE_MATCHING_KEYS",
            Self::KeyInvalid(_) => "ERR_KEY_INVALID",
            Self::SignatureVerificationFailed => "ERR_JWS_SIGNATURE_VERIFICATION_FAILED",
            Self::AlgNotAllowed(_) => "ERR_JOSE_ALG_NOT_ALLOWED",
            Self::NotSupported(_) => "ERR_JOSE_NOT_SUPPORTED",
            Self::JwtExpired(_) => "ERR_JWT_EXPIRED",
            Self::JwtClaimValidationFailed(_) => "ERR_JWT_CLAIM_VALIDATION_FAILED",
            Self::InvalidArgValue(_) => "ERR_INVALID_ARG_VALUE",
            Self::InvalidArgType(_) => "ERR_INVALID_ARG_TYPE",
            Self::Generic(_) => "ERR_JOSE_GENERIC",
            Self::OAuthResponseBodyError(_) => "OAUTH_RESPONSE_BODY_ERROR",
            Self::OAuthAuthorizationResponseError(_) => "OAUTH_AUTHORIZATION_RESPONSE_ERROR",
            Self::OAuthInvalidResponse(_) => "OAUTH_INVALID_RESPONSE",
            Self::OAuthResponseIsNotJson(_) => "OAUTH_RESPONSE_IS_NOT_JSON",
            Self::OAuthJsonAttributeComparisonFailed(_) => "OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED",
            Self::OAuthMissingRequiredParameter(_) => "OAUTH_MISSING_REQUIRED_PARAMETER",
            Self::OAuthHttpRequestForbidden(_) => "OAUTH_HTTP_REQUEST_FORBIDDEN",
            Self::OAuthInvalidRequest(_) => "OAUTH_INVALID_REQUEST",
        }
    }

    /// The jose-compatible class name for the JavaScript binding (`JWSInvalid`, `JWTExpired`, …).
    pub const fn name(&self) -> &'static str {
        match self {
            Self::JwsInvalid(_) => "JWSInvalid",
            Self::JwtInvalid(_) => "JWTInvalid",
            Self::JwkInvalid(_) => "JWKInvalid",
            Self::JwksInvalid(_) => "JWKSInvalid",
            Self::JwksNoMatchingKey => "JWKSNoMatchingKey",
            Self::JwksMultipleMatchingKeys => "JWKSMultipleMatchingKeys",
            Self::KeyInvalid(_) => "KeyInvalid",
            Self::SignatureVerificationFailed => "JWSSignatureVerificationFailed",
            Self::AlgNotAllowed(_) => "JOSEAlgNotAllowed",
            Self::NotSupported(_) => "JOSENotSupported",
            Self::JwtExpired(_) => "JWTExpired",
            Self::JwtClaimValidationFailed(_) => "JWTClaimValidationFailed",
            Self::InvalidArgValue(_) | Self::InvalidArgType(_) => "TypeError",
            Self::Generic(_) => "JOSEError",
            Self::OAuthResponseBodyError(_) => "ResponseBodyError",
            Self::OAuthAuthorizationResponseError(_) => "AuthorizationResponseError",
            Self::OAuthInvalidResponse(_)
            | Self::OAuthResponseIsNotJson(_)
            | Self::OAuthJsonAttributeComparisonFailed(_)
            | Self::OAuthMissingRequiredParameter(_)
            | Self::OAuthHttpRequestForbidden(_)
            | Self::OAuthInvalidRequest(_) => "OperationProcessingError",
        }
    }

    /// The OAuth error body, for [`Error::OAuthResponseBodyError`] and
    /// [`Error::OAuthAuthorizationResponseError`].
    pub fn oauth_error(&self) -> Option<&OAuthErrorBody> {
        match self {
            Self::OAuthResponseBodyError(b) | Self::OAuthAuthorizationResponseError(b) => Some(b),
            _ => None,
        }
    }

    /// The claim failure details, for [`Error::JwtExpired`] and
    /// [`Error::JwtClaimValidationFailed`].
    pub fn claim_failure(&self) -> Option<&ClaimFailure> {
        match self {
            Self::JwtExpired(c) | Self::JwtClaimValidationFailed(c) => Some(c),
            _ => None,
        }
    }

    /// Every code this crate can return, in declaration order (for the golden tests that keep
    /// the TypeScript union in step).
    pub const ALL_CODES: &'static [&'static str] = &[
        "ERR_JWS_INVALID",
        "ERR_JWT_INVALID",
        "ERR_JWK_INVALID",
        "ERR_JWKS_INVALID",
        "ERR_JWKS_NO_MATCHING_KEY",
        "ERR_JWKS_MULTIPLE_MATCHING_KEYS",
        "ERR_KEY_INVALID",
        "ERR_JWS_SIGNATURE_VERIFICATION_FAILED",
        "ERR_JOSE_ALG_NOT_ALLOWED",
        "ERR_JOSE_NOT_SUPPORTED",
        "ERR_JWT_EXPIRED",
        "ERR_JWT_CLAIM_VALIDATION_FAILED",
        "ERR_INVALID_ARG_VALUE",
        "ERR_INVALID_ARG_TYPE",
        "ERR_JOSE_GENERIC",
        "OAUTH_RESPONSE_BODY_ERROR",
        "OAUTH_AUTHORIZATION_RESPONSE_ERROR",
        "OAUTH_INVALID_RESPONSE",
        "OAUTH_RESPONSE_IS_NOT_JSON",
        "OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED",
        "OAUTH_MISSING_REQUIRED_PARAMETER",
        "OAUTH_HTTP_REQUEST_FORBIDDEN",
        "OAUTH_INVALID_REQUEST",
    ];
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::JwsInvalid(m)
            | Self::JwtInvalid(m)
            | Self::JwkInvalid(m)
            | Self::JwksInvalid(m)
            | Self::KeyInvalid(m)
            | Self::AlgNotAllowed(m)
            | Self::NotSupported(m)
            | Self::InvalidArgValue(m)
            | Self::InvalidArgType(m)
            | Self::Generic(m)
            | Self::OAuthInvalidResponse(m)
            | Self::OAuthResponseIsNotJson(m)
            | Self::OAuthJsonAttributeComparisonFailed(m)
            | Self::OAuthMissingRequiredParameter(m)
            | Self::OAuthHttpRequestForbidden(m)
            | Self::OAuthInvalidRequest(m) => f.write_str(m),
            Self::OAuthResponseBodyError(b) | Self::OAuthAuthorizationResponseError(b) => {
                match &b.error_description {
                    Some(d) => write!(f, "{}: {d}", b.error),
                    None => f.write_str(&b.error),
                }
            }
            Self::JwksNoMatchingKey => {
                f.write_str("no applicable key found in the JSON Web Key Set")
            }
            Self::JwksMultipleMatchingKeys => {
                f.write_str("multiple matching keys found in the JSON Web Key Set")
            }
            Self::SignatureVerificationFailed => f.write_str("signature verification failed"),
            Self::JwtExpired(c) | Self::JwtClaimValidationFailed(c) => f.write_str(&c.message),
        }
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    /// Golden test: every variant maps to its documented, stable code.
    #[test]
    fn every_variant_has_its_code() {
        let c = || ClaimFailure::new("exp", "check_failed", "x");
        let body = || OAuthErrorBody {
            error: "invalid_grant".into(),
            error_description: Some("expired".into()),
            error_uri: None,
            status: Some(400),
        };
        let all = [
            Error::JwsInvalid(String::new()),
            Error::JwtInvalid(String::new()),
            Error::JwkInvalid(String::new()),
            Error::JwksInvalid(String::new()),
            Error::JwksNoMatchingKey,
            Error::JwksMultipleMatchingKeys,
            Error::KeyInvalid(String::new()),
            Error::SignatureVerificationFailed,
            Error::AlgNotAllowed(String::new()),
            Error::NotSupported(String::new()),
            Error::JwtExpired(c()),
            Error::JwtClaimValidationFailed(c()),
            Error::InvalidArgValue(String::new()),
            Error::InvalidArgType(String::new()),
            Error::Generic(String::new()),
            Error::OAuthResponseBodyError(body()),
            Error::OAuthAuthorizationResponseError(body()),
            Error::OAuthInvalidResponse(String::new()),
            Error::OAuthResponseIsNotJson(String::new()),
            Error::OAuthJsonAttributeComparisonFailed(String::new()),
            Error::OAuthMissingRequiredParameter(String::new()),
            Error::OAuthHttpRequestForbidden(String::new()),
            Error::OAuthInvalidRequest(String::new()),
        ];
        let codes: Vec<&str> = all.iter().map(Error::code).collect();
        assert_eq!(codes, Error::ALL_CODES);
        assert_eq!(
            all[10].claim_failure().map(|c| c.claim.as_str()),
            Some("exp")
        );
        assert!(all[0].claim_failure().is_none());
        assert_eq!(all[15].to_string(), "invalid_grant: expired");
        assert_eq!(all[16].oauth_error().map(|b| b.status), Some(Some(400)));
    }
}
