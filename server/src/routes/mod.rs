//! HTTP endpoints, one module per specification concept.

pub mod admin;
pub mod api;
pub mod assets;
pub mod authorize;
pub mod discovery;
pub mod end_session;
pub mod interaction;
pub mod introspect;
pub mod jwks;
pub mod par;
pub mod register;
pub mod revoke;
pub mod scenario;
pub mod token;
pub mod userinfo;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

/// A JSON response for a public, cacheable-by-revalidation document (discovery, JWKS): any
/// origin may read it (browser RPs on other ports fetch these cross-origin).
pub(crate) fn public_json(body: String) -> Response {
    let mut res = (StatusCode::OK, body).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    res
}

/// An error body in the RFC 6749 §5.2 shape (`error`, `error_description`), with `no-store`
/// (RFC 6749 §5.1).
pub(crate) fn json_error(status: StatusCode, error: &str, description: &str) -> Response {
    let body = serde_json::json!({"error": error, "error_description": description});
    let mut res = (status, Value::to_string(&body)).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// Unknown paths: a JSON 404.
pub(crate) async fn not_found() -> Response {
    json_error(
        StatusCode::NOT_FOUND,
        "not_found",
        "no such endpoint on this OpenID Provider",
    )
}
