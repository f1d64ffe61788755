//! Token introspection (RFC 7662), sans-IO: [`introspection_request`] builds the request of
//! §2.1 and [`process_introspection_response`] checks the response of §2.2.

use rand_core::CryptoRng;
use serde_json::Value;

use crate::UnixTime;
use crate::error::{Error, Result};
use crate::json::Object;
use crate::oauth::client_auth::ClientAuth;
use crate::oauth::http::{
    Endpoint, HttpRequest, HttpResponse, check_oauth_error, parse_json_object,
};

/// Builds a `POST` with a `token` (and optional `token_type_hint`) form body, `Accept:
/// application/json` and the client authentication of `auth` (assertions get the endpoint as
/// `aud`): the shared shape of the introspection (RFC 7662 §2.1) and revocation (RFC 7009
/// §2.1) requests.
pub(crate) fn token_form_request<R: CryptoRng + ?Sized>(
    endpoint: Endpoint<'_>,
    token: &str,
    token_type_hint: Option<&str>,
    auth: &ClientAuth,
    now: UnixTime,
    rng: &mut R,
) -> Result<HttpRequest> {
    let endpoint = endpoint.checked()?;
    if token.is_empty() {
        return Err(Error::InvalidArgValue(
            "the \"token\" parameter must not be empty (RFC 7662 §2.1, RFC 7009 §2.1)".into(),
        ));
    }
    let mut body: Vec<(String, String)> = vec![("token".into(), token.into())];
    if let Some(hint) = token_type_hint {
        if hint.is_empty() {
            return Err(Error::InvalidArgValue(
                "the \"token_type_hint\" parameter must not be empty (RFC 7662 §2.1)".into(),
            ));
        }
        body.push(("token_type_hint".into(), hint.into()));
    }
    crate::oauth::client_auth::authenticated_form_post(endpoint, body, auth, false, now, rng)
}

/// Builds an introspection request (RFC 7662 §2.1): `POST` to the (https) endpoint with the
/// `token` and the optional `token_type_hint` (e.g. `access_token`, `refresh_token`, RFC 7009
/// §4.1.2) as an `application/x-www-form-urlencoded` body, authenticated with `auth` (RFC 7662
/// §2.1 requires the caller to be authorized). An empty token or hint is
/// [`Error::InvalidArgValue`].
pub fn introspection_request<'e, R: CryptoRng + ?Sized>(
    endpoint: impl Into<Endpoint<'e>>,
    token: &str,
    token_type_hint: Option<&str>,
    auth: &ClientAuth,
    now: UnixTime,
    rng: &mut R,
) -> Result<HttpRequest> {
    token_form_request(endpoint.into(), token, token_type_hint, auth, now, rng)
}

/// An introspection response (RFC 7662 §2.2). Only `active` is required; the other members are
/// typed copies of the optional ones, and `raw` keeps the whole object for extensions.
#[derive(Clone, PartialEq)]
pub struct Introspection {
    /// `active`: whether the token is currently active (RFC 7662 §2.2). When `false` the other
    /// members carry no meaning.
    pub active: bool,
    /// `scope`: space-separated scopes (RFC 7662 §2.2, RFC 6749 §3.3).
    pub scope: Option<String>,
    /// `client_id`: the client the token was issued to (RFC 7662 §2.2).
    pub client_id: Option<String>,
    /// `username`: the resource owner's human-readable identifier (RFC 7662 §2.2).
    pub username: Option<String>,
    /// `token_type` (RFC 7662 §2.2, RFC 6749 §7.1).
    pub token_type: Option<String>,
    /// `exp`, seconds since the epoch (RFC 7662 §2.2, RFC 7519 §4.1.4).
    pub exp: Option<i64>,
    /// `iat`, seconds since the epoch (RFC 7662 §2.2, RFC 7519 §4.1.6).
    pub iat: Option<i64>,
    /// `nbf`, seconds since the epoch (RFC 7662 §2.2, RFC 7519 §4.1.5).
    pub nbf: Option<i64>,
    /// `sub` (RFC 7662 §2.2, RFC 7519 §4.1.2).
    pub sub: Option<String>,
    /// `aud`, a string or an array of strings, as a list (RFC 7662 §2.2, RFC 7519 §4.1.3).
    pub aud: Option<Vec<String>>,
    /// `iss` (RFC 7662 §2.2, RFC 7519 §4.1.1).
    pub iss: Option<String>,
    /// `jti` (RFC 7662 §2.2, RFC 7519 §4.1.7).
    pub jti: Option<String>,
    /// The whole response object (RFC 7662 §2.2: extension members).
    pub raw: Object,
}

impl core::fmt::Debug for Introspection {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // `raw` may carry sensitive extension members: it is left out.
        f.debug_struct("Introspection")
            .field("active", &self.active)
            .field("scope", &self.scope)
            .field("client_id", &self.client_id)
            .field("username", &self.username)
            .field("token_type", &self.token_type)
            .field("exp", &self.exp)
            .field("iat", &self.iat)
            .field("nbf", &self.nbf)
            .field("sub", &self.sub)
            .field("aud", &self.aud)
            .field("iss", &self.iss)
            .field("jti", &self.jti)
            .finish_non_exhaustive()
    }
}

fn invalid(message: impl Into<String>) -> Error {
    Error::OAuthInvalidResponse(message.into())
}

fn string_member(obj: &Object, name: &str) -> Result<Option<String>> {
    match obj.get(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(invalid(format!(
            "\"{name}\" must be a string (RFC 7662 §2.2)"
        ))),
    }
}

/// A NumericDate member (RFC 7519 §2): an integer, or a finite non-integer truncated to whole
/// seconds.
fn time_member(obj: &Object, name: &str) -> Result<Option<i64>> {
    match obj.get(name) {
        None => Ok(None),
        Some(Value::Number(n)) => {
            if let Some(i) = n.as_i64() {
                return Ok(Some(i));
            }
            match n.as_f64() {
                Some(f) if f.is_finite() && f.abs() < 1e15 => Ok(Some(f.trunc() as i64)),
                _ => Err(invalid(format!(
                    "\"{name}\" must be a NumericDate in range (RFC 7662 §2.2)"
                ))),
            }
        }
        Some(_) => Err(invalid(format!(
            "\"{name}\" must be a number (RFC 7662 §2.2, RFC 7519 §2)"
        ))),
    }
}

fn audience_member(obj: &Object) -> Result<Option<Vec<String>>> {
    let bad = || invalid("\"aud\" must be a string or an array of strings (RFC 7519 §4.1.3)");
    match obj.get("aud") {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(vec![s.clone()])),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| v.as_str().map(str::to_owned).ok_or_else(bad))
            .collect::<Result<Vec<_>>>()
            .map(Some),
        Some(_) => Err(bad()),
    }
}

/// Processes an introspection response (RFC 7662 §2.2, §2.3): a status other than 200 with an
/// OAuth error body (RFC 6749 §5.2) is [`Error::OAuthResponseBodyError`], any other status
/// [`Error::OAuthInvalidResponse`]. A 200 body must be a strict JSON object
/// ([`Error::OAuthResponseIsNotJson`] for another content type) with a boolean `active`;
/// `scope`, `client_id`, `username`, `token_type`, `sub`, `iss`, `jti` must be strings,
/// `exp`, `iat`, `nbf` numbers and `aud` a string or an array of strings when present. Wrong
/// types are [`Error::OAuthInvalidResponse`], never ignored.
pub fn process_introspection_response(resp: &HttpResponse) -> Result<Introspection> {
    if resp.status != 200 {
        if let Ok(obj) = parse_json_object(resp) {
            check_oauth_error(resp, &obj)?;
        }
        return Err(invalid(format!(
            "the introspection endpoint answered with HTTP status {} instead of 200 (RFC 7662 §2.2)",
            resp.status
        )));
    }
    let obj = parse_json_object(resp)?;
    check_oauth_error(resp, &obj)?;
    let active = match obj.get("active") {
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(invalid("\"active\" must be a boolean (RFC 7662 §2.2)")),
        None => return Err(invalid("\"active\" is missing (RFC 7662 §2.2)")),
    };
    Ok(Introspection {
        active,
        scope: string_member(&obj, "scope")?,
        client_id: string_member(&obj, "client_id")?,
        username: string_member(&obj, "username")?,
        token_type: string_member(&obj, "token_type")?,
        exp: time_member(&obj, "exp")?,
        iat: time_member(&obj, "iat")?,
        nbf: time_member(&obj, "nbf")?,
        sub: string_member(&obj, "sub")?,
        aud: audience_member(&obj)?,
        iss: string_member(&obj, "iss")?,
        jti: string_member(&obj, "jti")?,
        raw: obj,
    })
}
