//! Authorization requests: RFC 6749 §4.1.1, OpenID Connect Core 1.0 §3.1.2.1 (and §3.2.2.1,
//! §3.3.2.1 for the implicit and hybrid flows), PKCE per RFC 7636 §4.3 with `S256` only.
//!
//! [`authorization_url`] serialises an [`AuthorizationRequest`]; [`start_authorization`] also
//! draws `state`, `nonce` and the PKCE `code_verifier` from the caller's RNG and returns the
//! [`Transaction`] to keep until the callback.

use core::fmt;

use rand_core::CryptoRng;

use crate::error::{Error, Result};
use crate::json::Object;
use crate::oauth::discovery::ServerMetadata;
use crate::oauth::http;
use crate::oauth::pkce;

/// The parameters of an authorization request (RFC 6749 §4.1.1, OpenID Connect Core 1.0
/// §3.1.2.1). Build with [`AuthorizationRequest::new`] and set the optional fields.
#[derive(Debug, Clone, PartialEq)]
pub struct AuthorizationRequest {
    /// `client_id` (RFC 6749 §2.2), required.
    pub client_id: String,
    /// `redirect_uri` (RFC 6749 §3.1.2), required; must not contain a fragment.
    pub redirect_uri: String,
    /// `scope` (RFC 6749 §3.3), space-separated; `"openid"` by default.
    pub scope: String,
    /// `response_type` (RFC 6749 §3.1.1, OAuth 2.0 Multiple Response Types §3); `"code"` by
    /// default. Implicit and hybrid types (`id_token`, `code id_token`, …) require a nonce.
    pub response_type: String,
    /// `response_mode` (OAuth 2.0 Multiple Response Types §2.1, Form Post Response Mode §2).
    pub response_mode: Option<String>,
    /// `state` (RFC 6749 §4.1.1, §10.12).
    pub state: Option<String>,
    /// `nonce` (OpenID Connect Core 1.0 §3.1.2.1).
    pub nonce: Option<String>,
    /// `code_challenge` (RFC 7636 §4.3); `code_challenge_method` is always `S256`.
    pub code_challenge: Option<String>,
    /// `prompt` (OpenID Connect Core 1.0 §3.1.2.1): `none`, `login`, `consent`,
    /// `select_account`; `none` must stand alone.
    pub prompt: Option<String>,
    /// `display` (OpenID Connect Core 1.0 §3.1.2.1).
    pub display: Option<String>,
    /// `max_age` in seconds (OpenID Connect Core 1.0 §3.1.2.1).
    pub max_age: Option<u64>,
    /// `ui_locales` (OpenID Connect Core 1.0 §3.1.2.1).
    pub ui_locales: Option<String>,
    /// `id_token_hint` (OpenID Connect Core 1.0 §3.1.2.1).
    pub id_token_hint: Option<String>,
    /// `login_hint` (OpenID Connect Core 1.0 §3.1.2.1).
    pub login_hint: Option<String>,
    /// `acr_values` (OpenID Connect Core 1.0 §3.1.2.1).
    pub acr_values: Option<String>,
    /// `claims` (OpenID Connect Core 1.0 §5.5), serialised as JSON.
    pub claims: Option<Object>,
    /// Further parameters (RFC 6749 §3.1: extensions). They may not repeat a parameter above,
    /// and `code_challenge_method` may not be set here.
    pub extra: Vec<(String, String)>,
}

impl AuthorizationRequest {
    /// A request for `client_id` and `redirect_uri` with `scope=openid` and
    /// `response_type=code` (RFC 6749 §4.1.1, OpenID Connect Core 1.0 §3.1.2.1).
    pub fn new(client_id: impl Into<String>, redirect_uri: impl Into<String>) -> Self {
        Self {
            client_id: client_id.into(),
            redirect_uri: redirect_uri.into(),
            scope: "openid".to_owned(),
            response_type: "code".to_owned(),
            response_mode: None,
            state: None,
            nonce: None,
            code_challenge: None,
            prompt: None,
            display: None,
            max_age: None,
            ui_locales: None,
            id_token_hint: None,
            login_hint: None,
            acr_values: None,
            claims: None,
            extra: Vec::new(),
        }
    }
}

/// Where the authorization endpoint comes from (RFC 6749 §3.1).
#[derive(Debug, Clone, Copy)]
pub enum AuthorizationEndpoint<'a> {
    /// The `authorization_endpoint` of discovered metadata (RFC 8414 §2); the issuer becomes
    /// the transaction's expected issuer (RFC 9207 §2.4).
    Metadata(&'a ServerMetadata),
    /// An explicit endpoint URL, checked with [`http::check_url`].
    Url {
        /// The endpoint URL (RFC 6749 §3.1); it may carry a query, which is kept.
        url: &'a str,
        /// Allow plain `http` on loopback hosts (RFC 8252 §8.3).
        allow_insecure_loopback: bool,
    },
}

impl<'a> From<&'a ServerMetadata> for AuthorizationEndpoint<'a> {
    fn from(m: &'a ServerMetadata) -> Self {
        Self::Metadata(m)
    }
}

/// The parameter names [`AuthorizationRequest`] sets itself; `extra` may not use them.
const RESERVED: &[&str] = &[
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "nonce",
    "code_challenge",
    "code_challenge_method",
    "response_mode",
    "prompt",
    "display",
    "max_age",
    "ui_locales",
    "id_token_hint",
    "login_hint",
    "acr_values",
    "claims",
];

fn bad(msg: impl Into<String>) -> Error {
    Error::InvalidArgValue(msg.into())
}

/// Whether `response_type` returns a token or ID token from the authorization endpoint
/// (implicit or hybrid; OpenID Connect Core 1.0 §3.2, §3.3).
fn is_front_channel(response_type: &str) -> bool {
    response_type
        .split(' ')
        .any(|t| t == "id_token" || t == "token")
}

fn has_code(response_type: &str) -> bool {
    response_type.split(' ').any(|t| t == "code")
}

fn check_request(p: &AuthorizationRequest) -> Result<()> {
    if p.client_id.is_empty() {
        return Err(bad("client_id is required (RFC 6749 §2.2)"));
    }
    if p.redirect_uri.is_empty() || p.redirect_uri.contains('#') {
        return Err(bad(
            "redirect_uri is required and must not contain a fragment (RFC 6749 §3.1.2)",
        ));
    }
    let types: Vec<&str> = p.response_type.split(' ').collect();
    let known = types
        .iter()
        .all(|t| matches!(*t, "code" | "id_token" | "token"));
    let mut dedup = types.clone();
    dedup.sort_unstable();
    dedup.dedup();
    if p.response_type.is_empty() || !known || dedup.len() != types.len() {
        return Err(bad(format!(
            "unsupported response_type {:?} (RFC 6749 §3.1.1, OAuth 2.0 Multiple Response Types §3)",
            p.response_type
        )));
    }
    let scopes: Vec<&str> = p.scope.split(' ').collect();
    if scopes.iter().any(|s| s.is_empty()) {
        return Err(bad(
            "scope must be non-empty, single-space-separated tokens (RFC 6749 §3.3)",
        ));
    }
    if is_front_channel(&p.response_type) {
        if p.nonce.as_deref().is_none_or(str::is_empty) {
            return Err(bad(
                "a nonce is required for implicit and hybrid response types (OpenID Connect Core 1.0 §3.2.2.1, §3.3.2.11)",
            ));
        }
        if p.response_mode.as_deref() == Some("query") {
            return Err(bad(
                "response_mode=query is forbidden with tokens in the response (OAuth 2.0 Multiple Response Types §2.1)",
            ));
        }
    }
    if types.contains(&"id_token") && !scopes.contains(&"openid") {
        return Err(bad(
            "response_type id_token requires the openid scope (OpenID Connect Core 1.0 §3.1.2.1)",
        ));
    }
    if has_code(&p.response_type) {
        match p.code_challenge.as_deref() {
            None => {
                return Err(bad(
                    "a PKCE S256 code_challenge is required with the code flow (RFC 9700 §2.1.1, RFC 7636 §4.3)",
                ));
            }
            Some(c) => {
                let ok = c.len() == 43
                    && c.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
                if !ok {
                    return Err(bad(
                        "code_challenge must be an S256 challenge: 43 base64url characters (RFC 7636 §4.2)",
                    ));
                }
            }
        }
    }
    if let Some(prompt) = &p.prompt {
        let values: Vec<&str> = prompt.split(' ').collect();
        let known = values
            .iter()
            .all(|v| matches!(*v, "none" | "login" | "consent" | "select_account"));
        if !known || (values.contains(&"none") && values.len() > 1) {
            return Err(bad(format!(
                "invalid prompt {prompt:?}: none, login, consent, select_account; none alone (OpenID Connect Core 1.0 §3.1.2.1)"
            )));
        }
    }
    for (name, _) in &p.extra {
        if name.is_empty() || RESERVED.contains(&name.as_str()) {
            return Err(bad(format!(
                "extra parameter {name:?} is empty or set by a dedicated field (plain PKCE is refused, RFC 9700 §2.1.1)"
            )));
        }
    }
    let mut names: Vec<&str> = p.extra.iter().map(|(n, _)| n.as_str()).collect();
    names.sort_unstable();
    let before = names.len();
    names.dedup();
    if names.len() != before {
        return Err(bad(
            "extra parameters must not repeat (RFC 6749 §3.1: parameters at most once)",
        ));
    }
    Ok(())
}

/// The authorization request URL (RFC 6749 §4.1.1, OpenID Connect Core 1.0 §3.1.2.1, RFC 7636
/// §4.3): the endpoint (its own query kept, RFC 6749 §3.1) plus the parameters,
/// `application/x-www-form-urlencoded`.
///
/// Refused with [`Error::InvalidArgValue`]: empty `client_id`, a `redirect_uri` with a
/// fragment, unknown or repeated `response_type` values, a code flow without an `S256`
/// `code_challenge` (plain PKCE is never sent, RFC 9700 §2.1.1), implicit or hybrid without a
/// `nonce` or with `response_mode=query`, `id_token` without the `openid` scope, an invalid
/// `prompt`, extra parameters repeating a standard one (or the endpoint's own query).
pub fn authorization_url(
    endpoint: AuthorizationEndpoint<'_>,
    params: &AuthorizationRequest,
) -> Result<String> {
    let base = match endpoint {
        AuthorizationEndpoint::Metadata(m) => m
            .authorization_endpoint()
            .ok_or_else(|| bad("the metadata has no authorization_endpoint (RFC 8414 §2)"))?,
        AuthorizationEndpoint::Url {
            url,
            allow_insecure_loopback,
        } => {
            http::check_url(url, allow_insecure_loopback)?;
            url
        }
    };
    check_request(params)?;

    let max_age = params.max_age.map(|m| m.to_string());
    let claims = match &params.claims {
        Some(c) => Some(
            serde_json::to_string(c)
                .map_err(|e| bad(format!("claims cannot be serialised: {e}")))?,
        ),
        None => None,
    };
    let mut pairs: Vec<(&str, &str)> = vec![
        ("response_type", &params.response_type),
        ("client_id", &params.client_id),
        ("redirect_uri", &params.redirect_uri),
        ("scope", &params.scope),
    ];
    let optional: [(&str, Option<&str>); 12] = [
        ("state", params.state.as_deref()),
        ("nonce", params.nonce.as_deref()),
        ("code_challenge", params.code_challenge.as_deref()),
        (
            "code_challenge_method",
            params.code_challenge.as_ref().map(|_| "S256"),
        ),
        ("response_mode", params.response_mode.as_deref()),
        ("prompt", params.prompt.as_deref()),
        ("display", params.display.as_deref()),
        ("max_age", max_age.as_deref()),
        ("ui_locales", params.ui_locales.as_deref()),
        ("id_token_hint", params.id_token_hint.as_deref()),
        ("login_hint", params.login_hint.as_deref()),
        ("acr_values", params.acr_values.as_deref()),
    ];
    pairs.extend(optional.iter().filter_map(|(n, v)| v.map(|v| (*n, v))));
    if let Some(c) = claims.as_deref() {
        pairs.push(("claims", c));
    }
    pairs.extend(params.extra.iter().map(|(n, v)| (n.as_str(), v.as_str())));

    let (path, existing) = match base.split_once('?') {
        Some((p, q)) => (p, q),
        None => (base, ""),
    };
    let existing_pairs = http::form_decode(existing)?;
    if let Some((n, _)) = existing_pairs
        .iter()
        .find(|(n, _)| pairs.iter().any(|(p, _)| p == n))
    {
        return Err(bad(format!(
            "the authorization endpoint's query already has {n:?} (RFC 6749 §3.1: parameters at most once)"
        )));
    }
    let query = http::form_urlencode(&pairs);
    Ok(if existing.is_empty() {
        format!("{path}?{query}")
    } else {
        format!("{path}?{existing}&{query}")
    })
}

/// What the client keeps between the redirect and the callback (RFC 6749 §4.1.1 `state`,
/// OpenID Connect Core 1.0 §3.1.2.1 `nonce`, RFC 7636 §4.1 `code_verifier`, RFC 9207 §2.4
/// expected issuer). Single use: discard it once the callback was processed. Serialisable
/// (serde) so it can be kept between the redirect and the callback.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Transaction {
    /// The `state` sent (RFC 6749 §10.12).
    pub state: String,
    /// The `nonce` sent, when any (OpenID Connect Core 1.0 §3.1.2.1).
    pub nonce: Option<String>,
    /// The PKCE `code_verifier` for the token request (RFC 7636 §4.5), for code flows.
    pub code_verifier: Option<String>,
    /// The issuer the callback's `iss` and the ID token must name (RFC 9207 §2.4), when the
    /// endpoint came from metadata.
    pub expected_issuer: Option<String>,
    /// Whether the server announced RFC 9207 `iss` support (RFC 9207 §3).
    pub iss_parameter_supported: bool,
    /// The `client_id` used (RFC 6749 §2.2).
    pub client_id: String,
    /// The `redirect_uri` sent, repeated in the token request (RFC 6749 §4.1.3).
    pub redirect_uri: String,
    /// The `response_type` sent (RFC 6749 §3.1.1).
    pub response_type: String,
    /// The `response_mode` sent, if any (OAuth 2.0 Multiple Response Types §2.1).
    pub response_mode: Option<String>,
    /// The `max_age` sent, for the `auth_time` check (OpenID Connect Core 1.0 §3.1.2.1).
    pub max_age: Option<u64>,
}

impl fmt::Debug for Transaction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Transaction")
            .field("state", &"<redacted>")
            .field("nonce", &self.nonce.as_ref().map(|_| "<redacted>"))
            .field(
                "code_verifier",
                &self.code_verifier.as_ref().map(|_| "<redacted>"),
            )
            .field("expected_issuer", &self.expected_issuer)
            .field("iss_parameter_supported", &self.iss_parameter_supported)
            .field("client_id", &self.client_id)
            .field("redirect_uri", &self.redirect_uri)
            .field("response_type", &self.response_type)
            .field("response_mode", &self.response_mode)
            .field("max_age", &self.max_age)
            .finish()
    }
}

/// Starts an authorization (RFC 6749 §4.1.1, OpenID Connect Core 1.0 §3.1.2.1, RFC 7636 §4.1 to
/// §4.3): draws a fresh `state` (RFC 6749 §10.12) unless `params.state` is set, a `nonce` when
/// the scope contains `openid` or the response type needs one (unless set), and for code flows
/// a `code_verifier` whose `S256` challenge is sent (a caller-set `code_challenge` is refused:
/// the verifier must stay with the transaction). Returns the URL and the [`Transaction`].
pub fn start_authorization<R: CryptoRng + ?Sized>(
    rng: &mut R,
    endpoint: AuthorizationEndpoint<'_>,
    mut params: AuthorizationRequest,
) -> Result<(String, Transaction)> {
    if params.code_challenge.is_some() {
        return Err(bad(
            "start_authorization generates the PKCE pair itself; do not set code_challenge (RFC 7636 §4.1)",
        ));
    }
    let state = match params.state.take() {
        Some(s) if !s.is_empty() => s,
        Some(_) => return Err(bad("state must not be empty (RFC 6749 §10.12)")),
        None => pkce::generate_state(rng),
    };
    params.state = Some(state.clone());
    let wants_nonce =
        is_front_channel(&params.response_type) || params.scope.split(' ').any(|s| s == "openid");
    if params.nonce.is_none() && wants_nonce {
        params.nonce = Some(pkce::generate_nonce(rng));
    }
    let code_verifier = if has_code(&params.response_type) {
        let v = pkce::generate_code_verifier(rng);
        params.code_challenge = Some(pkce::code_challenge_s256(&v)?);
        Some(v)
    } else {
        None
    };
    let url = authorization_url(endpoint, &params)?;
    let (expected_issuer, iss_parameter_supported) = match endpoint {
        AuthorizationEndpoint::Metadata(m) => (
            Some(m.issuer().to_owned()),
            m.authorization_response_iss_parameter_supported(),
        ),
        AuthorizationEndpoint::Url { .. } => (None, false),
    };
    let tx = Transaction {
        state,
        nonce: params.nonce,
        code_verifier,
        expected_issuer,
        iss_parameter_supported,
        client_id: params.client_id,
        redirect_uri: params.redirect_uri,
        response_type: params.response_type,
        response_mode: params.response_mode,
        max_age: params.max_age,
    };
    Ok((url, tx))
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    fn ep(url: &str) -> AuthorizationEndpoint<'_> {
        AuthorizationEndpoint::Url {
            url,
            allow_insecure_loopback: false,
        }
    }

    fn req() -> AuthorizationRequest {
        let mut r = AuthorizationRequest::new("c1", "https://rp.example/cb");
        r.code_challenge = Some(CHALLENGE.into());
        r.state = Some("st".into());
        r
    }

    #[test]
    fn minimal_code_request() {
        let url = authorization_url(ep("https://op.example/authorize"), &req()).unwrap();
        assert_eq!(
            url,
            format!(
                "https://op.example/authorize?response_type=code&client_id=c1&redirect_uri=https%3A%2F%2Frp.example%2Fcb&scope=openid&state=st&code_challenge={CHALLENGE}&code_challenge_method=S256"
            )
        );
    }

    #[test]
    fn endpoint_query_kept_and_not_repeated() {
        let url = authorization_url(ep("https://op.example/a?tenant=x"), &req()).unwrap();
        assert!(url.starts_with("https://op.example/a?tenant=x&response_type=code&"));
        let err = authorization_url(ep("https://op.example/a?client_id=x"), &req()).unwrap_err();
        assert_eq!(err.code(), "ERR_INVALID_ARG_VALUE");
    }

    #[test]
    fn refusals() {
        type Mutation = Box<dyn Fn(&mut AuthorizationRequest)>;
        let cases: Vec<Mutation> = vec![
            Box::new(|r| r.code_challenge = None),
            Box::new(|r| r.code_challenge = Some("plain-verifier".into())),
            Box::new(|r| {
                r.extra
                    .push(("code_challenge_method".into(), "plain".into()))
            }),
            Box::new(|r| r.extra.push(("scope".into(), "x".into()))),
            Box::new(|r| {
                r.extra.push(("a".into(), "1".into()));
                r.extra.push(("a".into(), "2".into()));
            }),
            Box::new(|r| r.client_id.clear()),
            Box::new(|r| r.redirect_uri = "https://rp.example/cb#x".into()),
            Box::new(|r| r.response_type = "code code".into()),
            Box::new(|r| r.response_type = "device".into()),
            Box::new(|r| r.response_type = "id_token".into()),
            Box::new(|r| {
                r.response_type = "code id_token".into();
                r.nonce = Some("n".into());
                r.response_mode = Some("query".into());
            }),
            Box::new(|r| {
                r.response_type = "id_token".into();
                r.nonce = Some("n".into());
                r.scope = "profile".into();
            }),
            Box::new(|r| r.prompt = Some("none login".into())),
            Box::new(|r| r.prompt = Some("always".into())),
            Box::new(|r| r.scope = "openid  profile".into()),
        ];
        for (i, f) in cases.iter().enumerate() {
            let mut r = req();
            f(&mut r);
            let err = authorization_url(ep("https://op.example/a"), &r).unwrap_err();
            assert_eq!(err.code(), "ERR_INVALID_ARG_VALUE", "case {i}");
        }
        let err = authorization_url(ep("http://op.example/a"), &req()).unwrap_err();
        assert_eq!(err.code(), "OAUTH_HTTP_REQUEST_FORBIDDEN");
    }

    #[test]
    fn implicit_with_nonce_allowed() {
        let mut r = req();
        r.response_type = "id_token token".into();
        r.code_challenge = None;
        r.nonce = Some("n-1".into());
        r.response_mode = Some("form_post".into());
        let url = authorization_url(ep("https://op.example/a"), &r).unwrap();
        assert!(url.contains("response_type=id_token+token&"));
        assert!(url.contains("&nonce=n-1&"));
        assert!(!url.contains("code_challenge"));
    }
}
