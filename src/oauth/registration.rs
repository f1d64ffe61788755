//! Dynamic Client Registration (RFC 7591 §3, OpenID Connect Dynamic Client Registration 1.0
//! §3), sans-IO: [`registration_request`] builds the `POST` of the client metadata,
//! [`process_registration_response`] checks the client information response.

use serde_json::Value;

use crate::error::{Error, Result};
use crate::json::Object;
use crate::oauth::http::{
    Endpoint, HttpRequest, HttpResponse, Method, check_oauth_error, check_url, parse_json_object,
};

/// Checks the `redirect_uris` client metadata (RFC 7591 §2, OpenID Connect Dynamic Client
/// Registration 1.0 §2): when present, a non-empty array of absolute `https` URIs (plain `http`
/// only on loopback hosts, RFC 8252 §7.3) without fragments (RFC 6749 §3.1.2).
fn check_redirect_uris(metadata: &Object) -> Result<()> {
    let Some(value) = metadata.get("redirect_uris") else {
        return Ok(());
    };
    let uris = match value {
        Value::Array(items) if !items.is_empty() => items,
        _ => {
            return Err(Error::InvalidArgValue(
                "redirect_uris must be a non-empty array of strings (RFC 7591 §2)".into(),
            ));
        }
    };
    for uri in uris {
        let Value::String(uri) = uri else {
            return Err(Error::InvalidArgValue(
                "redirect_uris members must be strings (RFC 7591 §2)".into(),
            ));
        };
        check_url(uri, true)?;
    }
    Ok(())
}

/// Builds a client registration request (RFC 7591 §3.1, OpenID Connect Dynamic Client
/// Registration 1.0 §3.1): `POST` of the client metadata as JSON to the (https) registration
/// endpoint, with `Authorization: Bearer` when an initial access token is given (RFC 7591 §3).
///
/// Refused: a `redirect_uris` member that is not a non-empty array of absolute `https` (or
/// loopback `http`) URIs without fragment ([`Error::InvalidArgValue`] or
/// [`Error::OAuthHttpRequestForbidden`]), an empty initial access token, server-issued members
/// (`client_id`, `client_secret`, `registration_access_token`) in the metadata.
pub fn registration_request<'e>(
    endpoint: impl Into<Endpoint<'e>>,
    metadata: &Object,
    initial_access_token: Option<&str>,
) -> Result<HttpRequest> {
    let endpoint = endpoint.into().checked()?;
    check_redirect_uris(metadata)?;
    for name in ["client_id", "client_secret", "registration_access_token"] {
        if metadata.contains_key(name) {
            return Err(Error::InvalidArgValue(format!(
                "{name:?} is issued by the server, not registered (RFC 7591 §3.2.1)"
            )));
        }
    }
    let mut headers = vec![
        ("Content-Type".to_owned(), "application/json".to_owned()),
        ("Accept".to_owned(), "application/json".to_owned()),
    ];
    if let Some(token) = initial_access_token {
        if token.is_empty() {
            return Err(Error::InvalidArgValue(
                "the initial access token must not be empty (RFC 7591 §3)".into(),
            ));
        }
        headers.push(("Authorization".to_owned(), format!("Bearer {token}")));
    }
    let body = serde_json::to_string(metadata)
        .map_err(|e| Error::InvalidArgValue(format!("the metadata cannot be serialised: {e}")))?;
    Ok(HttpRequest {
        method: Method::Post,
        url: endpoint.to_owned(),
        headers,
        body: Some(body),
    })
}

/// A client information response (RFC 7591 §3.2.1, RFC 7592 §3, OpenID Connect Dynamic Client
/// Registration 1.0 §3.2).
#[derive(Clone, PartialEq)]
pub struct RegisteredClient {
    /// `client_id` (RFC 7591 §3.2.1).
    pub client_id: String,
    /// `client_secret`, when issued (RFC 7591 §3.2.1).
    pub client_secret: Option<String>,
    /// `client_secret_expires_at`: seconds since the epoch, 0 for never; present whenever a
    /// secret is (RFC 7591 §3.2.1).
    pub client_secret_expires_at: Option<u64>,
    /// `registration_access_token` (RFC 7592 §3, OpenID Connect Dynamic Client Registration
    /// 1.0 §3.2).
    pub registration_access_token: Option<String>,
    /// `registration_client_uri` (RFC 7592 §3, OpenID Connect Dynamic Client Registration 1.0
    /// §3.2).
    pub registration_client_uri: Option<String>,
    /// The whole response object: the registered metadata (RFC 7591 §3.2.1).
    pub raw: Object,
}

impl core::fmt::Debug for RegisteredClient {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // Never print the secret or the registration access token.
        f.debug_struct("RegisteredClient")
            .field("client_id", &self.client_id)
            .field("has_client_secret", &self.client_secret.is_some())
            .field("client_secret_expires_at", &self.client_secret_expires_at)
            .field(
                "has_registration_access_token",
                &self.registration_access_token.is_some(),
            )
            .field("registration_client_uri", &self.registration_client_uri)
            .finish_non_exhaustive()
    }
}

fn invalid(message: impl Into<String>) -> Error {
    Error::OAuthInvalidResponse(message.into())
}

fn optional_string(obj: &Object, name: &str) -> Result<Option<String>> {
    match obj.get(name) {
        None => Ok(None),
        Some(Value::String(s)) if !s.is_empty() => Ok(Some(s.clone())),
        Some(_) => Err(invalid(format!(
            "\"{name}\" must be a non-empty string (RFC 7591 §3.2.1)"
        ))),
    }
}

fn optional_u64(obj: &Object, name: &str) -> Result<Option<u64>> {
    match obj.get(name) {
        None => Ok(None),
        Some(v) => v.as_u64().map(Some).ok_or_else(|| {
            invalid(format!(
                "\"{name}\" must be a non-negative integer (RFC 7591 §3.2.1)"
            ))
        }),
    }
}

/// Processes a client registration response (RFC 7591 §3.2.1, §3.2.2; OpenID Connect Dynamic
/// Client Registration 1.0 §3.2, §3.3): only `201 Created` is a success; another status with
/// an error body (e.g. `invalid_redirect_uri`) is [`Error::OAuthResponseBodyError`], any other
/// status [`Error::OAuthInvalidResponse`]. The 201 body must be a JSON object (else
/// [`Error::OAuthResponseIsNotJson`]) with a string `client_id`; `client_secret_expires_at`
/// (a non-negative integer) is required when `client_secret` is present; `client_id_issued_at`
/// must be a non-negative integer and the other members strings when present. Wrong types are
/// [`Error::OAuthInvalidResponse`].
pub fn process_registration_response(resp: &HttpResponse) -> Result<RegisteredClient> {
    if resp.status != 201 {
        if let Ok(obj) = parse_json_object(resp) {
            check_oauth_error(resp, &obj)?;
        }
        return Err(invalid(format!(
            "the registration endpoint answered with HTTP status {} instead of 201 (RFC 7591 §3.2.1)",
            resp.status
        )));
    }
    let obj = parse_json_object(resp)?;
    check_oauth_error(resp, &obj)?;
    let client_id = optional_string(&obj, "client_id")?
        .ok_or_else(|| invalid("\"client_id\" is missing (RFC 7591 §3.2.1)"))?;
    let client_secret = optional_string(&obj, "client_secret")?;
    let client_secret_expires_at = optional_u64(&obj, "client_secret_expires_at")?;
    if client_secret.is_some() && client_secret_expires_at.is_none() {
        return Err(invalid(
            "\"client_secret_expires_at\" is required with \"client_secret\" (RFC 7591 §3.2.1)",
        ));
    }
    optional_u64(&obj, "client_id_issued_at")?;
    let registration_access_token = optional_string(&obj, "registration_access_token")?;
    let registration_client_uri = optional_string(&obj, "registration_client_uri")?;
    Ok(RegisteredClient {
        client_id,
        client_secret,
        client_secret_expires_at,
        registration_access_token,
        registration_client_uri,
        raw: obj,
    })
}
