//! Pushed Authorization Requests (RFC 9126), sans-IO: [`par_request`] builds the `POST` to the
//! pushed authorization request endpoint, [`process_par_response`] checks the answer and
//! [`authorization_url_par`] builds the front-channel URL with the returned `request_uri`.

use rand_core::CryptoRng;
use serde_json::Value;

use crate::UnixTime;
use crate::error::{Error, Result};
use crate::oauth::client_auth::ClientAuth;
use crate::oauth::http::{
    Endpoint, HttpRequest, HttpResponse, check_oauth_error, parse_json_object,
};
use crate::oauth::jar;

/// Builds a pushed authorization request (RFC 9126 §2.1): `POST` to the (https) endpoint with
/// the authorization parameters (or a `request` Request Object, RFC 9126 §3) as an
/// `application/x-www-form-urlencoded` body, `Accept: application/json`, and the client
/// authentication of `auth` (assertions get the endpoint as `aud`, RFC 9126 §2).
///
/// Refused with [`Error::InvalidArgValue`]: a `request_uri` parameter (RFC 9126 §2.1), empty or
/// repeated names, client authentication parameters (they come from `auth`).
pub fn par_request<'e, R: CryptoRng + ?Sized>(
    endpoint: impl Into<Endpoint<'e>>,
    params: &[(String, String)],
    auth: &ClientAuth,
    now: UnixTime,
    rng: &mut R,
) -> Result<HttpRequest> {
    let endpoint = endpoint.into().checked()?;
    let mut body: Vec<(String, String)> = Vec::with_capacity(params.len() + 3);
    for (name, value) in params {
        if name == "request_uri" {
            return Err(Error::InvalidArgValue(
                "a pushed authorization request must not contain request_uri (RFC 9126 §2.1)"
                    .into(),
            ));
        }
        if name.is_empty() || body.iter().any(|(n, _)| n == name) {
            return Err(Error::InvalidArgValue(format!(
                "the parameter {name:?} is empty or repeated (RFC 6749 §3.1)"
            )));
        }
        if name == "client_id" {
            // `auth` adds the client identifier; a differing one would be ambiguous.
            if value != auth.client_id() {
                return Err(Error::InvalidArgValue(
                    "the client_id parameter differs from the client authentication's (RFC 9126 §2.1)"
                        .into(),
                ));
            }
            continue;
        }
        body.push((name.clone(), value.clone()));
    }
    crate::oauth::client_auth::authenticated_form_post(endpoint, body, auth, true, now, rng)
}

/// A successful pushed authorization response (RFC 9126 §2.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParResponse {
    /// `request_uri`: the reference to use in the authorization request (RFC 9126 §2.2).
    pub request_uri: String,
    /// `expires_in`: its lifetime in seconds, positive (RFC 9126 §2.2).
    pub expires_in: u64,
}

fn invalid(message: impl Into<String>) -> Error {
    Error::OAuthInvalidResponse(message.into())
}

/// Processes a pushed authorization response (RFC 9126 §2.2, §2.3): only `201 Created` is a
/// success; another status with an OAuth error body is [`Error::OAuthResponseBodyError`], any
/// other status [`Error::OAuthInvalidResponse`]. The 201 body must be a JSON object (else
/// [`Error::OAuthResponseIsNotJson`]) with a non-empty string `request_uri` and a positive
/// integer `expires_in`; anything else is [`Error::OAuthInvalidResponse`].
pub fn process_par_response(resp: &HttpResponse) -> Result<ParResponse> {
    if resp.status != 201 {
        if let Ok(obj) = parse_json_object(resp) {
            check_oauth_error(resp, &obj)?;
        }
        return Err(invalid(format!(
            "the pushed authorization request endpoint answered with HTTP status {} instead of 201 (RFC 9126 §2.2)",
            resp.status
        )));
    }
    let obj = parse_json_object(resp)?;
    check_oauth_error(resp, &obj)?;
    let request_uri = match obj.get("request_uri") {
        Some(Value::String(s)) if !s.is_empty() => s.clone(),
        Some(_) => {
            return Err(invalid(
                "\"request_uri\" must be a non-empty string (RFC 9126 §2.2)",
            ));
        }
        None => return Err(invalid("\"request_uri\" is missing (RFC 9126 §2.2)")),
    };
    let expires_in = match obj.get("expires_in") {
        Some(Value::Number(n)) => n
            .as_u64()
            .filter(|v| *v > 0)
            .ok_or_else(|| invalid("\"expires_in\" must be a positive integer (RFC 9126 §2.2)"))?,
        Some(_) => {
            return Err(invalid(
                "\"expires_in\" must be a positive integer (RFC 9126 §2.2)",
            ));
        }
        None => return Err(invalid("\"expires_in\" is missing (RFC 9126 §2.2)")),
    };
    Ok(ParResponse {
        request_uri,
        expires_in,
    })
}

/// The authorization URL after a pushed request (RFC 9126 §4): the (https) endpoint plus
/// `client_id` and the `request_uri` of the [`ParResponse`].
pub fn authorization_url_par<'e>(
    endpoint: impl Into<crate::oauth::http::Endpoint<'e>>,
    client_id: &str,
    request_uri: &str,
) -> Result<String> {
    jar::authorization_url_with_request_uri(endpoint, client_id, request_uri)
}
