//! Cross-origin access (the Fetch standard's CORS protocol) for the endpoints a browser
//! relying party calls with `fetch` from another origin: token, UserInfo, revocation,
//! introspection, registration and the demo API. No credentials (cookies) are involved, so any
//! origin may read the answers (`Access-Control-Allow-Origin: *`); the `Authorization` and
//! `DPoP` request headers are allowed, and the `WWW-Authenticate` and `DPoP-Nonce` response
//! headers exposed (RFC 6750 §3, RFC 9449 §8).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// Adds the CORS response headers to an actual (non-preflight) response.
pub async fn allow(mut res: Response) -> Response {
    let h = res.headers_mut();
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    h.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static("WWW-Authenticate, DPoP-Nonce"),
    );
    res
}

/// Answers a CORS preflight (`OPTIONS`) request.
pub async fn preflight() -> Response {
    let mut res = StatusCode::NO_CONTENT.into_response();
    let h = res.headers_mut();
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("GET, POST, OPTIONS"),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static("Authorization, Content-Type, DPoP"),
    );
    h.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static("600"),
    );
    res
}
