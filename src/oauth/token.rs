//! Token endpoint requests and responses (RFC 6749 §3.2, §4.1.3, §4.3.2, §4.4.2, §5.1, §5.2,
//! §6; RFC 7523 §2.1; RFC 8693 §2.1), sans-IO: builders return an [`HttpRequest`] for the
//! caller to send, and [`process_token_response`] checks the [`HttpResponse`] it got back.

use rand_core::CryptoRng;
use serde_json::Value;

use crate::UnixTime;
use crate::error::{Error, Result};
use crate::json::Object;
use crate::oauth::client_auth::ClientAuth;
use crate::oauth::http::{
    Endpoint, HttpRequest, HttpResponse, check_oauth_error, parse_json_object,
};
use crate::oauth::pkce;

/// The `grant_type` of the JWT bearer authorization grant (RFC 7523 §2.1).
pub const GRANT_TYPE_JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";

/// The `grant_type` of OAuth 2.0 Token Exchange (RFC 8693 §2.1), for
/// [`generic_grant_request`].
pub const GRANT_TYPE_TOKEN_EXCHANGE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";

/// Parameters the builders set themselves; extra parameters must not repeat them.
const RESERVED_PARAMS: [&str; 5] = [
    "grant_type",
    "client_id",
    "client_secret",
    "client_assertion",
    "client_assertion_type",
];

fn non_empty(name: &str, value: &str) -> Result<()> {
    if value.is_empty() {
        return Err(Error::InvalidArgValue(format!(
            "the \"{name}\" parameter must not be empty"
        )));
    }
    Ok(())
}

/// Builds a token request (RFC 6749 §3.2): `POST` to the (https) token endpoint with an
/// `application/x-www-form-urlencoded` body, `Accept: application/json`, and the client
/// authentication of `auth` (assertions get the endpoint as `aud`, OpenID Connect Core 1.0 §9).
fn token_request<R: CryptoRng + ?Sized>(
    endpoint: Endpoint<'_>,
    grant_type: &str,
    params: &[(&str, &str)],
    auth: &ClientAuth,
    now: UnixTime,
    rng: &mut R,
) -> Result<HttpRequest> {
    let endpoint = endpoint.checked()?;
    non_empty("grant_type", grant_type)?;
    let mut body: Vec<(String, String)> = Vec::with_capacity(params.len() + 4);
    body.push(("grant_type".into(), grant_type.into()));
    for (name, value) in params {
        if name.is_empty() || RESERVED_PARAMS.contains(name) {
            return Err(Error::InvalidArgValue(format!(
                "the token request parameter {name:?} is empty or reserved"
            )));
        }
        if body.iter().any(|(n, _)| n == name) {
            return Err(Error::InvalidArgValue(format!(
                "the token request parameter {name:?} is repeated (RFC 6749 §3.2)"
            )));
        }
        body.push(((*name).into(), (*value).into()));
    }
    crate::oauth::client_auth::authenticated_form_post(endpoint, body, auth, false, now, rng)
}

/// The access token request of the authorization code grant (RFC 6749 §4.1.3) with the PKCE
/// `code_verifier` (RFC 7636 §4.5), which is required (RFC 9700 §2.1.1) and checked against
/// RFC 7636 §4.1. `redirect_uri` must be the one of the authorization request.
#[allow(clippy::too_many_arguments)]
pub fn authorization_code_request<'e, R: CryptoRng + ?Sized>(
    endpoint: impl Into<Endpoint<'e>>,
    code: &str,
    redirect_uri: &str,
    code_verifier: &str,
    auth: &ClientAuth,
    now: UnixTime,
    rng: &mut R,
) -> Result<HttpRequest> {
    non_empty("code", code)?;
    non_empty("redirect_uri", redirect_uri)?;
    pkce::check_code_verifier(code_verifier)?;
    token_request(
        endpoint.into(),
        "authorization_code",
        &[
            ("code", code),
            ("redirect_uri", redirect_uri),
            ("code_verifier", code_verifier),
        ],
        auth,
        now,
        rng,
    )
}

/// A refresh request (RFC 6749 §6), optionally narrowing the `scope` (RFC 6749 §3.3).
pub fn refresh_token_request<'e, R: CryptoRng + ?Sized>(
    endpoint: impl Into<Endpoint<'e>>,
    refresh_token: &str,
    scope: Option<&str>,
    auth: &ClientAuth,
    now: UnixTime,
    rng: &mut R,
) -> Result<HttpRequest> {
    non_empty("refresh_token", refresh_token)?;
    let mut params = vec![("refresh_token", refresh_token)];
    push_scope(&mut params, scope)?;
    token_request(endpoint.into(), "refresh_token", &params, auth, now, rng)
}

/// A client credentials grant request (RFC 6749 §4.4.2). RFC 6749 §4.4 requires a
/// confidential client: [`ClientAuth::None`] is refused with [`Error::InvalidArgValue`].
pub fn client_credentials_request<'e, R: CryptoRng + ?Sized>(
    endpoint: impl Into<Endpoint<'e>>,
    scope: Option<&str>,
    auth: &ClientAuth,
    now: UnixTime,
    rng: &mut R,
) -> Result<HttpRequest> {
    if matches!(auth, ClientAuth::None { .. }) {
        return Err(Error::InvalidArgValue(
            "the client credentials grant needs client authentication (RFC 6749 §4.4)".into(),
        ));
    }
    let mut params = Vec::new();
    push_scope(&mut params, scope)?;
    token_request(
        endpoint.into(),
        "client_credentials",
        &params,
        auth,
        now,
        rng,
    )
}

/// A resource owner password credentials grant request (RFC 6749 §4.3.2). RFC 9700 §2.4 says
/// this grant MUST NOT be used; it exists for legacy servers only.
#[allow(clippy::too_many_arguments)]
pub fn password_request<'e, R: CryptoRng + ?Sized>(
    endpoint: impl Into<Endpoint<'e>>,
    username: &str,
    password: &str,
    scope: Option<&str>,
    auth: &ClientAuth,
    now: UnixTime,
    rng: &mut R,
) -> Result<HttpRequest> {
    non_empty("username", username)?;
    let mut params = vec![("username", username), ("password", password)];
    push_scope(&mut params, scope)?;
    token_request(endpoint.into(), "password", &params, auth, now, rng)
}

/// A JWT bearer authorization grant request (RFC 7523 §2.1): `assertion` is a JWT, e.g. from
/// [`crate::oauth::client_auth::create_jwt_bearer_assertion`].
pub fn jwt_bearer_request<'e, R: CryptoRng + ?Sized>(
    endpoint: impl Into<Endpoint<'e>>,
    assertion: &str,
    scope: Option<&str>,
    auth: &ClientAuth,
    now: UnixTime,
    rng: &mut R,
) -> Result<HttpRequest> {
    non_empty("assertion", assertion)?;
    let mut params = vec![("assertion", assertion)];
    push_scope(&mut params, scope)?;
    token_request(
        endpoint.into(),
        GRANT_TYPE_JWT_BEARER,
        &params,
        auth,
        now,
        rng,
    )
}

/// A request for any other grant type (RFC 6749 §4.5), e.g. token exchange (RFC 8693 §2.1,
/// [`GRANT_TYPE_TOKEN_EXCHANGE`]). `params` must not repeat `grant_type` or a client
/// authentication parameter, nor a name twice.
pub fn generic_grant_request<'e, R: CryptoRng + ?Sized>(
    endpoint: impl Into<Endpoint<'e>>,
    grant_type: &str,
    params: &[(&str, &str)],
    auth: &ClientAuth,
    now: UnixTime,
    rng: &mut R,
) -> Result<HttpRequest> {
    token_request(endpoint.into(), grant_type, params, auth, now, rng)
}

fn push_scope<'a>(params: &mut Vec<(&'static str, &'a str)>, scope: Option<&'a str>) -> Result<()> {
    if let Some(scope) = scope {
        non_empty("scope", scope)?;
        params.push(("scope", scope));
    }
    Ok(())
}

/// A successful access token response (RFC 6749 §5.1).
#[derive(Clone, PartialEq)]
pub struct TokenResponse {
    /// `access_token` (RFC 6749 §5.1).
    pub access_token: String,
    /// `token_type`, lower-cased: `bearer` (RFC 6750 §4) or `dpop` (RFC 9449 §5); compared
    /// case-insensitively (RFC 6749 §5.1).
    pub token_type: String,
    /// `expires_in` in seconds (RFC 6749 §5.1), when present.
    pub expires_in: Option<u64>,
    /// `refresh_token` (RFC 6749 §5.1, §6), when present.
    pub refresh_token: Option<String>,
    /// `id_token` (OpenID Connect Core 1.0 §3.1.3.3), when present; not validated here.
    pub id_token: Option<String>,
    /// `scope` (RFC 6749 §5.1, §3.3), when present.
    pub scope: Option<String>,
    /// The whole response object, for extension members.
    pub raw: Object,
}

impl core::fmt::Debug for TokenResponse {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // Never print the tokens themselves.
        f.debug_struct("TokenResponse")
            .field("token_type", &self.token_type)
            .field("expires_in", &self.expires_in)
            .field("has_refresh_token", &self.refresh_token.is_some())
            .field("has_id_token", &self.id_token.is_some())
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

fn invalid(message: impl Into<String>) -> Error {
    Error::OAuthInvalidResponse(message.into())
}

fn optional_string(obj: &Object, name: &str, allow_empty: bool) -> Result<Option<String>> {
    match obj.get(name) {
        None => Ok(None),
        Some(Value::String(s)) if allow_empty || !s.is_empty() => Ok(Some(s.clone())),
        Some(Value::String(_)) => Err(invalid(format!(
            "\"{name}\" must not be empty (RFC 6749 §5.1)"
        ))),
        Some(_) => Err(invalid(format!(
            "\"{name}\" must be a string (RFC 6749 §5.1)"
        ))),
    }
}

/// Processes a token endpoint response (RFC 6749 §5.1, §5.2): a status other than 200 with an
/// OAuth error body is [`Error::OAuthResponseBodyError`] (with `error`, `error_description`,
/// `error_uri` and the status), any other status [`Error::OAuthInvalidResponse`]. A 200 body
/// must be a JSON object (else [`Error::OAuthResponseIsNotJson`]) with string `access_token`
/// and `token_type` (`bearer` or `dpop`, case-insensitive); `expires_in` must be a non-negative
/// integer and `refresh_token`, `id_token`, `scope` strings when present. Wrong types are
/// [`Error::OAuthInvalidResponse`], never ignored.
pub fn process_token_response(resp: &HttpResponse) -> Result<TokenResponse> {
    if resp.status != 200 {
        if let Ok(obj) = parse_json_object(resp) {
            check_oauth_error(resp, &obj)?;
        }
        return Err(invalid(format!(
            "the token endpoint answered with HTTP status {} instead of 200 (RFC 6749 §5.1)",
            resp.status
        )));
    }
    let obj = parse_json_object(resp)?;
    let access_token = optional_string(&obj, "access_token", false)?
        .ok_or_else(|| invalid("\"access_token\" is missing (RFC 6749 §5.1)"))?;
    let token_type = optional_string(&obj, "token_type", false)?
        .ok_or_else(|| invalid("\"token_type\" is missing (RFC 6749 §5.1)"))?
        .to_ascii_lowercase();
    if token_type != "bearer" && token_type != "dpop" {
        return Err(Error::NotSupported(format!(
            "unsupported \"token_type\" {token_type:?}: only Bearer (RFC 6750) and DPoP (RFC 9449) are supported"
        )));
    }
    let expires_in = match obj.get("expires_in") {
        None => None,
        Some(Value::Number(n)) => Some(n.as_u64().ok_or_else(|| {
            invalid("\"expires_in\" must be a non-negative integer (RFC 6749 §5.1)")
        })?),
        Some(_) => {
            return Err(invalid("\"expires_in\" must be a number (RFC 6749 §5.1)"));
        }
    };
    let refresh_token = optional_string(&obj, "refresh_token", false)?;
    let id_token = optional_string(&obj, "id_token", false)?;
    let scope = optional_string(&obj, "scope", true)?;
    Ok(TokenResponse {
        access_token,
        token_type,
        expires_in,
        refresh_token,
        id_token,
        scope,
        raw: obj,
    })
}
