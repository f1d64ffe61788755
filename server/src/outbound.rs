//! The server's own outbound HTTP: fetching a client's `jwks_uri` (RFC 7591 §2) and posting
//! back-channel Logout Tokens (OpenID Connect Back-Channel Logout 1.0 §2.5). Plain `http://`
//! only (a development server talking to apps on this machine); a time limit and a response
//! size limit on every call; redirects are not followed.

use std::time::Duration;

use axum::http::{Method, Request, header};
use bytes::Bytes;
use http_body_util::{BodyExt as _, Full, Limited};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

/// The largest response body read (a JWKS or an error page), in bytes.
pub const MAX_BODY: usize = 256 * 1024;
/// The time limit of one outbound call.
pub const TIMEOUT: Duration = Duration::from_secs(5);

/// A response: status and body.
#[derive(Debug)]
pub struct Response {
    /// The HTTP status code.
    pub status: u16,
    /// The body (at most [`MAX_BODY`] bytes).
    pub body: Bytes,
}

async fn send(
    method: Method,
    url: &str,
    content_type: Option<&str>,
    body: Bytes,
) -> Result<Response, String> {
    if !url.starts_with("http://") {
        return Err(format!(
            "only http:// URLs are fetched by the dev server, not {url:?}"
        ));
    }
    let mut req = Request::builder().method(method).uri(url);
    if let Some(ct) = content_type {
        req = req.header(header::CONTENT_TYPE, ct);
    }
    let req = req
        .body(Full::new(body))
        .map_err(|e| format!("bad request: {e}"))?;
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let call = async {
        let res = client
            .request(req)
            .await
            .map_err(|e| format!("request failed: {e}"))?;
        let status = res.status().as_u16();
        let body = Limited::new(res.into_body(), MAX_BODY)
            .collect()
            .await
            .map_err(|e| format!("reading the response failed: {e}"))?
            .to_bytes();
        Ok(Response { status, body })
    };
    tokio::time::timeout(TIMEOUT, call)
        .await
        .map_err(|_| format!("no answer from {url} within {TIMEOUT:?}"))?
}

/// `GET url`.
pub async fn get(url: &str) -> Result<Response, String> {
    send(Method::GET, url, None, Bytes::new()).await
}

/// `POST url` with an `application/x-www-form-urlencoded` body.
pub async fn post_form(url: &str, body: String) -> Result<Response, String> {
    send(
        Method::POST,
        url,
        Some("application/x-www-form-urlencoded"),
        Bytes::from(body),
    )
    .await
}
