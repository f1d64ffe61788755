//! Authorization responses at the redirect URI: RFC 6749 §4.1.2 (and §4.2.2 for tokens in the
//! fragment), RFC 9207 (`iss`), OAuth 2.0 Form Post Response Mode §2, OAuth 2.0 Multiple
//! Response Types §2.1.
//!
//! [`parse_callback`] extracts the parameters from the query, the fragment or a `form_post`
//! body; [`validate_authorization_response`] checks `iss`, `state` and the OAuth error
//! parameters in the order oauth4webapi uses.

use subtle::ConstantTimeEq;

use crate::error::{Error, OAuthErrorBody, Result};
use crate::oauth::http;

/// Where the authorization response parameters arrived (OAuth 2.0 Multiple Response Types §2.1,
/// Form Post Response Mode §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallbackInput<'a> {
    /// `response_mode=query` (RFC 6749 §4.1.2): the full redirect URL, or its query component
    /// with or without the leading `?`.
    Query(&'a str),
    /// `response_mode=fragment` (RFC 6749 §4.2.2): the full redirect URL, or its fragment with or
    /// without the leading `#`.
    Fragment(&'a str),
    /// `response_mode=form_post` (Form Post Response Mode §2): the
    /// `application/x-www-form-urlencoded` POST body.
    FormPost(&'a str),
}

/// Whether `s` begins with a URI scheme followed by `:` (RFC 3986 §3.1).
fn has_scheme(s: &str) -> bool {
    let Some((scheme, _)) = s.split_once(':') else {
        return false;
    };
    let mut bytes = scheme.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_alphabetic())
        && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
}

/// Extracts the authorization response parameters (RFC 6749 §4.1.2, §4.2.2; Form Post Response
/// Mode §2), each name at most once (RFC 6749 §3.1): a repeated parameter, malformed
/// percent-encoding or non-UTF-8 data is [`Error::OAuthInvalidResponse`].
pub fn parse_callback(input: CallbackInput<'_>) -> Result<Vec<(String, String)>> {
    let data = match input {
        CallbackInput::Query(s) => {
            if let Some(q) = s.strip_prefix('?') {
                q.split('#').next().unwrap_or_default()
            } else if has_scheme(s) {
                let before_fragment = s.split('#').next().unwrap_or_default();
                before_fragment
                    .split_once('?')
                    .map(|(_, q)| q)
                    .unwrap_or_default()
            } else {
                s.split('#').next().unwrap_or_default()
            }
        }
        CallbackInput::Fragment(s) => {
            if let Some(f) = s.strip_prefix('#') {
                f
            } else if has_scheme(s) {
                s.split_once('#').map(|(_, f)| f).unwrap_or_default()
            } else {
                s
            }
        }
        CallbackInput::FormPost(s) => s,
    };
    let pairs = http::form_decode(data)
        .map_err(|e| Error::OAuthInvalidResponse(format!("authorization response: {e}")))?;
    for (i, (name, _)) in pairs.iter().enumerate() {
        if pairs.iter().skip(i + 1).any(|(n, _)| n == name) {
            return Err(Error::OAuthInvalidResponse(format!(
                "authorization response parameter {name:?} appears more than once (RFC 6749 §3.1)"
            )));
        }
    }
    Ok(pairs)
}

/// A successful authorization response (RFC 6749 §4.1.2, §4.2.2; OpenID Connect Core 1.0
/// §3.2.2.5, §3.3.2.5). `state` and `iss` were checked; the ID token is not validated here.
#[derive(Clone, PartialEq, Eq)]
pub struct AuthorizationResponse {
    /// `code` (RFC 6749 §4.1.2), for the token request.
    pub code: Option<String>,
    /// `id_token` (OpenID Connect Core 1.0 §3.2.2.5), still to be validated.
    pub id_token: Option<String>,
    /// `access_token` (RFC 6749 §4.2.2).
    pub access_token: Option<String>,
    /// `token_type` (RFC 6749 §7.1), present whenever `access_token` is.
    pub token_type: Option<String>,
    /// `expires_in` in seconds (RFC 6749 §4.2.2).
    pub expires_in: Option<u64>,
    /// `scope` (RFC 6749 §4.2.2, §3.3).
    pub scope: Option<String>,
    /// `state`, equal to the expected one (RFC 6749 §4.1.2).
    pub state: String,
    /// `iss`, when sent: equal to the expected issuer (RFC 9207 §2).
    pub iss: Option<String>,
    /// `session_state` (OpenID Connect Session Management 1.0 §3).
    pub session_state: Option<String>,
    /// Every other parameter, in order (RFC 6749 §8.2 extensions).
    pub extra: Vec<(String, String)>,
}

impl core::fmt::Debug for AuthorizationResponse {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let redact = |v: &Option<String>| v.as_ref().map(|_| "<redacted>");
        f.debug_struct("AuthorizationResponse")
            .field("code", &redact(&self.code))
            .field("id_token", &redact(&self.id_token))
            .field("access_token", &redact(&self.access_token))
            .field("token_type", &self.token_type)
            .field("expires_in", &self.expires_in)
            .field("scope", &self.scope)
            .field("iss", &self.iss)
            .field("session_state", &self.session_state)
            .field("extra", &self.extra)
            .finish_non_exhaustive()
    }
}

fn get<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// Validates authorization response parameters from [`parse_callback`] (RFC 6749 §4.1.2,
/// §4.1.2.1, §10.12; RFC 9207 §2.4), in oauth4webapi's order:
///
/// 1. `iss` (RFC 9207 §2.4): when present it must equal `expected_issuer` exactly
///    ([`Error::OAuthJsonAttributeComparisonFailed`]); when absent while the server announced
///    `authorization_response_iss_parameter_supported`, [`Error::OAuthMissingRequiredParameter`].
/// 2. `state` (RFC 6749 §10.12): missing is [`Error::OAuthMissingRequiredParameter`], different
///    (constant-time comparison) is [`Error::OAuthJsonAttributeComparisonFailed`].
/// 3. `error` (RFC 6749 §4.1.2.1): [`Error::OAuthAuthorizationResponseError`] with `error`,
///    `error_description` and `error_uri`.
/// 4. At least one of `code`, `id_token`, `access_token` ([`Error::OAuthMissingRequiredParameter`]);
///    `access_token` needs `token_type`; `expires_in` must be a non-negative integer
///    ([`Error::OAuthInvalidResponse`]).
///
/// Parameters must each appear once ([`parse_callback`] ensures it; a repeat here is
/// [`Error::OAuthInvalidResponse`]). An empty `expected_state` or `expected_issuer` is
/// [`Error::InvalidArgValue`].
pub fn validate_authorization_response(
    params: &[(String, String)],
    expected_state: &str,
    expected_issuer: &str,
    iss_parameter_supported: bool,
) -> Result<AuthorizationResponse> {
    validate_authorization_response_for(
        params,
        expected_state,
        expected_issuer,
        iss_parameter_supported,
        false,
    )
}

/// [`validate_authorization_response`] for a request whose `response_type` contains
/// `id_token` (`expects_id_token`; OpenID Connect Core 1.0 §3.2, §3.3): such a response may
/// omit the RFC 9207 `iss` parameter when it carries an `id_token`, whose `iss` Claim identifies
/// the issuer and MUST then be validated exactly (OpenID Connect Core 1.0 §3.2.2.11 step 2,
/// RFC 9207 §2.4; node `oidc-provider` omits the parameter in that case). For any other
/// `response_type` an `id_token` parameter never stands in for `iss`.
pub fn validate_authorization_response_for(
    params: &[(String, String)],
    expected_state: &str,
    expected_issuer: &str,
    iss_parameter_supported: bool,
    expects_id_token: bool,
) -> Result<AuthorizationResponse> {
    if expected_state.is_empty() || expected_issuer.is_empty() {
        return Err(Error::InvalidArgValue(
            "expected_state and expected_issuer must not be empty".into(),
        ));
    }
    for (i, (name, _)) in params.iter().enumerate() {
        if params.iter().skip(i + 1).any(|(n, _)| n == name) {
            return Err(Error::OAuthInvalidResponse(format!(
                "authorization response parameter {name:?} appears more than once (RFC 6749 §3.1)"
            )));
        }
    }

    let iss = get(params, "iss");
    match iss {
        Some(iss) if iss != expected_issuer => {
            return Err(Error::OAuthJsonAttributeComparisonFailed(format!(
                "authorization response \"iss\" {iss:?} differs from the expected issuer {expected_issuer:?} (RFC 9207 §2.4)"
            )));
        }
        None if iss_parameter_supported
            && !(expects_id_token && get(params, "id_token").is_some()) =>
        {
            return Err(Error::OAuthMissingRequiredParameter(
                "authorization response \"iss\" is missing although the server supports it (RFC 9207 §2.4)".into(),
            ));
        }
        _ => {}
    }

    let Some(state) = get(params, "state") else {
        return Err(Error::OAuthMissingRequiredParameter(
            "authorization response \"state\" is missing (RFC 6749 §4.1.2)".into(),
        ));
    };
    if !bool::from(state.as_bytes().ct_eq(expected_state.as_bytes())) {
        return Err(Error::OAuthJsonAttributeComparisonFailed(
            "authorization response \"state\" does not match (RFC 6749 §10.12)".into(),
        ));
    }

    if let Some(error) = get(params, "error") {
        return Err(Error::OAuthAuthorizationResponseError(OAuthErrorBody {
            error: error.to_owned(),
            error_description: get(params, "error_description").map(str::to_owned),
            error_uri: get(params, "error_uri").map(str::to_owned),
            status: None,
        }));
    }

    let owned = |name: &str| get(params, name).map(str::to_owned);
    let code = owned("code");
    let id_token = owned("id_token");
    let access_token = owned("access_token");
    let token_type = owned("token_type");
    if code.is_none() && id_token.is_none() && access_token.is_none() {
        return Err(Error::OAuthMissingRequiredParameter(
            "authorization response has no \"code\", \"id_token\" or \"access_token\" (RFC 6749 §4.1.2)".into(),
        ));
    }
    if access_token.is_some() && token_type.is_none() {
        return Err(Error::OAuthMissingRequiredParameter(
            "authorization response \"token_type\" is missing (RFC 6749 §4.2.2)".into(),
        ));
    }
    let expires_in = match get(params, "expires_in") {
        None => None,
        Some(v) => Some(
            v.parse::<u64>()
                .ok()
                .filter(|_| v.bytes().all(|b| b.is_ascii_digit()))
                .ok_or_else(|| {
                    Error::OAuthInvalidResponse(
                        "authorization response \"expires_in\" is not a non-negative integer (RFC 6749 §4.2.2)".into(),
                    )
                })?,
        ),
    };
    const KNOWN: &[&str] = &[
        "code",
        "id_token",
        "access_token",
        "token_type",
        "expires_in",
        "scope",
        "state",
        "iss",
        "session_state",
    ];
    Ok(AuthorizationResponse {
        code,
        id_token,
        access_token,
        token_type,
        expires_in,
        scope: owned("scope"),
        state: state.to_owned(),
        iss: iss.map(str::to_owned),
        session_state: owned("session_state"),
        extra: params
            .iter()
            .filter(|(n, _)| !KNOWN.contains(&n.as_str()))
            .cloned()
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ISS: &str = "https://op.example";

    fn p(s: &str) -> Vec<(String, String)> {
        parse_callback(CallbackInput::Query(s)).unwrap()
    }

    #[test]
    fn query_forms() {
        let want = vec![
            ("code".to_owned(), "a b".to_owned()),
            ("state".to_owned(), "s".to_owned()),
        ];
        for s in [
            "https://rp.example/cb?code=a+b&state=s",
            "https://rp.example/cb?code=a%20b&state=s#ignored=1",
            "com.example.app:/cb?code=a+b&state=s",
            "?code=a+b&state=s",
            "code=a+b&state=s",
        ] {
            assert_eq!(p(s), want, "{s}");
        }
        assert!(p("https://rp.example/cb").is_empty());
    }

    #[test]
    fn fragment_forms() {
        for s in [
            "https://rp.example/cb#id_token=x&state=s",
            "#id_token=x&state=s",
            "id_token=x&state=s",
        ] {
            let got = parse_callback(CallbackInput::Fragment(s)).unwrap();
            assert_eq!(got.len(), 2, "{s}");
            assert_eq!(get(&got, "id_token"), Some("x"));
        }
    }

    #[test]
    fn repeats_and_malformed() {
        for s in ["code=a&code=a", "state=a&x=1&state=b", "code=%zz"] {
            let err = parse_callback(CallbackInput::FormPost(s)).unwrap_err();
            assert_eq!(err.code(), "OAUTH_INVALID_RESPONSE", "{s}");
        }
    }

    #[test]
    fn success_fields() {
        let r = validate_authorization_response(
            &p("code=c&state=s&iss=https%3A%2F%2Fop.example&session_state=ss&foo=bar"),
            "s",
            ISS,
            true,
        )
        .unwrap();
        assert_eq!(r.code.as_deref(), Some("c"));
        assert_eq!(r.iss.as_deref(), Some(ISS));
        assert_eq!(r.session_state.as_deref(), Some("ss"));
        assert_eq!(r.extra, vec![("foo".to_owned(), "bar".to_owned())]);
        assert!(!format!("{r:?}").contains("\"c\""));
    }

    #[test]
    fn token_parameters() {
        let r = validate_authorization_response(
            &p("access_token=at&token_type=Bearer&expires_in=3600&scope=openid&state=s"),
            "s",
            ISS,
            false,
        )
        .unwrap();
        assert_eq!(r.expires_in, Some(3600));
        assert_eq!(r.token_type.as_deref(), Some("Bearer"));
        for (q, code) in [
            (
                "access_token=at&state=s",
                "OAUTH_MISSING_REQUIRED_PARAMETER",
            ),
            (
                "access_token=at&token_type=b&expires_in=-1&state=s",
                "OAUTH_INVALID_RESPONSE",
            ),
            (
                "access_token=at&token_type=b&expires_in=%2B1&state=s",
                "OAUTH_INVALID_RESPONSE",
            ),
            ("state=s", "OAUTH_MISSING_REQUIRED_PARAMETER"),
        ] {
            let err = validate_authorization_response(&p(q), "s", ISS, false).unwrap_err();
            assert_eq!(err.code(), code, "{q}");
        }
    }

    #[test]
    fn misuse() {
        let err = validate_authorization_response(&p("code=c&state="), "", ISS, false).unwrap_err();
        assert_eq!(err.code(), "ERR_INVALID_ARG_VALUE");
        let dup = vec![
            ("state".to_owned(), "s".to_owned()),
            ("state".to_owned(), "s".to_owned()),
        ];
        let err = validate_authorization_response(&dup, "s", ISS, false).unwrap_err();
        assert_eq!(err.code(), "OAUTH_INVALID_RESPONSE");
    }

    #[test]
    fn id_token_stands_in_for_iss_only_when_expected() {
        let q = p("code=c&id_token=x.y.z&state=s");
        assert!(validate_authorization_response_for(&q, "s", ISS, true, true).is_ok());
        let err = validate_authorization_response_for(&q, "s", ISS, true, false).unwrap_err();
        assert_eq!(err.code(), "OAUTH_MISSING_REQUIRED_PARAMETER");
        let no_token = p("code=c&state=s");
        let err = validate_authorization_response_for(&no_token, "s", ISS, true, true).unwrap_err();
        assert_eq!(err.code(), "OAUTH_MISSING_REQUIRED_PARAMETER");
        let wrong = p("code=c&id_token=x&state=s&iss=https%3A%2F%2Fevil");
        let err = validate_authorization_response_for(&wrong, "s", ISS, true, true).unwrap_err();
        assert_eq!(err.code(), "OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED");
    }
}
