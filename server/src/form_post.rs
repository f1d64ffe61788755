//! Reading the `application/x-www-form-urlencoded` POST bodies of the token, introspection,
//! revocation and UserInfo endpoints (RFC 6749 §3.2, Appendix B): content type checked, body
//! size bounded, parameters decoded strictly, empty values treated as omitted (RFC 6749 §3.1)
//! and repeated parameters refused (RFC 6749 §3.2) except the few that may repeat (RFC 8707
//! `resource`, RFC 8693 `audience`).

// Errors are the HTTP responses themselves (RFC 6749 §5.2 bodies), built once per failed
// request: their size does not matter.
#![allow(clippy::result_large_err)]

use std::net::{IpAddr, SocketAddr};

use axum::body::to_bytes;
use axum::extract::{ConnectInfo, Request};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::Response;

use crate::routes::json_error;

/// The largest form body read, in bytes.
pub const MAX_FORM_BODY: usize = 64 * 1024;

/// A decoded form request.
#[derive(Debug)]
pub struct FormRequest {
    /// The request method.
    pub method: Method,
    /// The request's header fields.
    pub headers: HeaderMap,
    /// The decoded parameters, empty values dropped.
    pub form: Vec<(String, String)>,
    /// The raw body (for RFC 6750 §2.2 `access_token` extraction).
    pub raw: String,
    /// The peer address, when the server recorded it (`ConnectInfo`).
    pub peer: Option<IpAddr>,
}

/// The peer address of a request (set by `into_make_service_with_connect_info`, or inserted
/// by tests).
pub fn peer_of(req: &Request) -> Option<IpAddr> {
    req.extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
}

/// Whether the request's content type is `application/x-www-form-urlencoded` (parameters
/// such as `charset` allowed, case-insensitive, RFC 9110 §8.3.1).
pub fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or("").trim())
        .is_some_and(|m| m.eq_ignore_ascii_case("application/x-www-form-urlencoded"))
}

/// Reads and decodes a form POST. `repeatable` names the parameters that may appear more than
/// once. Errors are RFC 6749 §5.2 `invalid_request` bodies.
pub async fn read(req: Request, repeatable: &[&str]) -> Result<FormRequest, Response> {
    let peer = peer_of(&req);
    let (parts, body) = req.into_parts();
    if !is_form(&parts.headers) {
        return Err(json_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "the body must be application/x-www-form-urlencoded (RFC 6749 §3.2)",
        ));
    }
    let bytes = to_bytes(body, MAX_FORM_BODY).await.map_err(|_| {
        json_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "invalid_request",
            "the request body is too large",
        )
    })?;
    let raw = String::from_utf8(bytes.to_vec()).map_err(|_| {
        json_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "the body is not UTF-8 (RFC 6749 Appendix B)",
        )
    })?;
    let form = decode(&raw, repeatable)?;
    Ok(FormRequest {
        method: parts.method,
        headers: parts.headers,
        form,
        raw,
        peer,
    })
}

/// Decodes form data: empty values dropped (RFC 6749 §3.1), repeats refused except
/// `repeatable` (RFC 6749 §3.2).
pub fn decode(raw: &str, repeatable: &[&str]) -> Result<Vec<(String, String)>, Response> {
    let pairs = oidckit::oauth::http::form_decode(raw).map_err(|_| {
        json_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "the body is not valid form-urlencoded data (RFC 6749 Appendix B)",
        )
    })?;
    let form: Vec<(String, String)> = pairs.into_iter().filter(|(_, v)| !v.is_empty()).collect();
    for (i, (name, _)) in form.iter().enumerate() {
        if repeatable.contains(&name.as_str()) {
            continue;
        }
        if form.iter().skip(i + 1).any(|(n, _)| n == name) {
            return Err(json_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                &format!("the {name} parameter is repeated (RFC 6749 §3.2)"),
            ));
        }
    }
    Ok(form)
}

/// The value of a (non-repeatable) parameter.
pub fn param<'a>(form: &'a [(String, String)], name: &str) -> Option<&'a str> {
    form.iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// Every value of a repeatable parameter.
pub fn params<'a>(form: &'a [(String, String)], name: &str) -> Vec<&'a str> {
    form.iter()
        .filter(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
        .collect()
}
