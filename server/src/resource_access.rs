//! Access token use at the OP's protected resources (UserInfo and the demo API): bearer tokens
//! per RFC 6750 §2.1 / §2.2 (the `Authorization` header or the form body, never the query)
//! and DPoP-bound tokens per RFC 9449 §7 (`Authorization: DPoP` plus a proof with `ath`).
//! Failures are RFC 6750 §3 challenges: `WWW-Authenticate` with 401 `invalid_token`, 403
//! `insufficient_scope` or 400 `invalid_request` (and the `DPoP` scheme for DPoP requests).

// Errors are the HTTP responses themselves, built once per failed request.
#![allow(clippy::result_large_err)]

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use oidckit::Object;
use oidckit::oauth::bearer::{BearerError, extract_bearer_token, www_authenticate};
use serde_json::Value;

use crate::app::AppState;

/// How the token was presented.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// RFC 6750 bearer token.
    Bearer,
    /// RFC 9449 §7.1 DPoP-bound token.
    Dpop,
}

/// A token accepted at a protected resource.
#[derive(Debug, Clone)]
pub struct Authorized {
    /// The access token as presented.
    pub token: String,
    /// Its stored introspection data (private members included).
    pub data: Object,
    /// How it was presented.
    pub scheme: Scheme,
}

impl Authorized {
    /// The token's scope values.
    pub fn scopes(&self) -> Vec<&str> {
        self.data
            .get("scope")
            .and_then(Value::as_str)
            .unwrap_or("")
            .split(' ')
            .filter(|s| !s.is_empty())
            .collect()
    }

    /// The user the token was issued for (absent for client credentials).
    pub fn username(&self) -> Option<&str> {
        self.data.get("username").and_then(Value::as_str)
    }
}

/// An RFC 6750 §3 challenge response (JSON body too, for humans and RFC 6749-style clients).
pub fn challenge(
    state: &AppState,
    error: Option<BearerError>,
    description: Option<&str>,
    scope: Option<&str>,
    scheme: Scheme,
) -> Response {
    let realm = state.issuer.as_str();
    let mut value = www_authenticate(error, description, Some(realm), scope);
    if scheme == Scheme::Dpop {
        // Same auth-params, DPoP scheme (RFC 9449 §7.1), with the accepted algorithms.
        value = format!(
            "DPoP{}, algs=\"ES256 ES384 ES512 PS256 PS384 PS512 RS256 RS384 RS512 EdDSA\"",
            value.strip_prefix("Bearer").unwrap_or("")
        );
    }
    let status = error.map_or(StatusCode::UNAUTHORIZED, |e| {
        StatusCode::from_u16(e.status()).unwrap_or(StatusCode::UNAUTHORIZED)
    });
    let body = match error {
        Some(e) => serde_json::json!({
            "error": e.as_str(),
            "error_description": description.unwrap_or(""),
        }),
        None => serde_json::json!({
            "error": "invalid_token",
            "error_description": "no access token in the request (RFC 6750 §2)",
        }),
    };
    let mut res = (status, body.to_string()).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(v) = HeaderValue::from_str(&value) {
        h.insert(header::WWW_AUTHENTICATE, v);
    }
    res
}

fn dpop_error(state: &AppState, description: &str) -> Response {
    let mut res = challenge(
        state,
        Some(BearerError::InvalidToken),
        Some(description),
        None,
        Scheme::Dpop,
    );
    // RFC 9449 §7.1: a bad proof is `invalid_dpop_proof`.
    let value = format!(
        "DPoP realm=\"{}\", error=\"invalid_dpop_proof\", error_description=\"{}\"",
        state.issuer,
        description.replace(['"', '\\'], "'")
    );
    if let Ok(v) = HeaderValue::from_str(&value) {
        res.headers_mut().insert(header::WWW_AUTHENTICATE, v);
    }
    res
}

/// Whether a query string carries an `access_token` (RFC 6750 §2.3, refused here).
fn query_has_token(query: Option<&str>) -> bool {
    query.is_some_and(|q| {
        oidckit::oauth::http::form_decode(q)
            .map(|pairs| pairs.iter().any(|(n, _)| n == "access_token"))
            .unwrap_or(true)
    })
}

/// Authenticates a request to a protected resource at `url` (absolute, for the DPoP `htu`)
/// with method `htm`: finds the token (header, or `form_body` when the request is a form
/// POST), checks it is active ([`crate::access_token::lookup`]) and, when it is DPoP-bound,
/// that the request carries a valid proof for it with the bound key (RFC 9449 §7.1, §6.1).
pub fn authorize(
    state: &AppState,
    htm: &str,
    url: &str,
    headers: &HeaderMap,
    query: Option<&str>,
    form_body: Option<&str>,
    now: i64,
) -> Result<Authorized, Response> {
    let bad_request = |d: &str| {
        challenge(
            state,
            Some(BearerError::InvalidRequest),
            Some(d),
            None,
            Scheme::Bearer,
        )
    };
    if query_has_token(query) {
        return Err(bad_request(
            "access tokens are not accepted in the query (RFC 6750 §2.3, OpenID Connect Core 1.0 §5.3.1)",
        ));
    }
    let mut auths = headers.get_all(header::AUTHORIZATION).iter();
    let auth = auths.next().map(|v| v.to_str().unwrap_or(""));
    if auths.next().is_some() {
        return Err(bad_request("the Authorization header field is repeated"));
    }
    let dpop_token = auth.and_then(|a| {
        let (scheme, rest) = a.split_once(' ')?;
        scheme
            .eq_ignore_ascii_case("dpop")
            .then(|| rest.trim().to_owned())
    });
    let (token, scheme) = if let Some(t) = dpop_token {
        if form_body.is_some_and(|b| query_has_token(Some(b))) {
            return Err(bad_request(
                "the request carries the access token in more than one place (RFC 6750 §2)",
            ));
        }
        (t, Scheme::Dpop)
    } else {
        match extract_bearer_token(auth, form_body, None) {
            Ok(Some(t)) => (t, Scheme::Bearer),
            Ok(None) => {
                return Err(challenge(state, None, None, None, Scheme::Bearer));
            }
            Err(e) => return Err(bad_request(&e.to_string())),
        }
    };
    if token.is_empty() {
        return Err(bad_request("empty access token"));
    }
    let invalid =
        |d: &str, s: Scheme| challenge(state, Some(BearerError::InvalidToken), Some(d), None, s);
    let data = match crate::access_token::lookup(state, &token, now) {
        Ok(Some(d)) => d,
        Ok(None) => {
            return Err(invalid(
                "the access token is invalid, expired or revoked",
                scheme,
            ));
        }
        Err(e) => {
            tracing::error!(target: "oidckit_server::resource", error = %e, "lookup failed");
            return Err(crate::routes::json_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "server_error",
                "the server could not complete the request",
            ));
        }
    };
    let bound = data
        .get("cnf")
        .and_then(|c| c.get("jkt"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    match (scheme, bound) {
        (Scheme::Bearer, Some(_)) => {
            return Err(invalid(
                "this access token is DPoP-bound: present it with the DPoP scheme and a proof (RFC 9449 §7.1)",
                Scheme::Dpop,
            ));
        }
        (Scheme::Dpop, None) => {
            return Err(invalid(
                "this access token is not DPoP-bound: use the Bearer scheme",
                Scheme::Bearer,
            ));
        }
        (Scheme::Dpop, Some(jkt)) => {
            match crate::routes::token::dpop_proof(state, headers, htm, url, Some(&token), now) {
                Ok(Some(proof_jkt)) if proof_jkt == jkt => {}
                Ok(Some(_)) => {
                    return Err(dpop_error(
                        state,
                        "the DPoP proof key does not match the token's cnf.jkt (RFC 9449 §6.1)",
                    ));
                }
                Ok(None) => return Err(dpop_error(state, "the DPoP header is missing")),
                Err(e) => return Err(dpop_error(state, &e)),
            }
        }
        (Scheme::Bearer, None) => {}
    }
    Ok(Authorized {
        token,
        data,
        scheme,
    })
}
