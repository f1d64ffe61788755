//! Pushed authorization requests (RFC 9126): the client authenticates (RFC 9126 §2, as at the
//! token endpoint), pushes its authorization parameters (or a request object, §3), the server
//! validates them as it would at the authorization endpoint (§2.1) and answers a one-time
//! `request_uri` (`urn:ietf:params:oauth:request_uri:...`, valid 60 s, §2.2).

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use oidckit::oauth::dpop::{DpopValidation, verify_proof};
use serde_json::json;

use crate::app::AppState;
use crate::request_object::{self, PAR_LIFETIME};
use crate::routes::authorize::{self, Refusal};
use crate::routes::discovery::paths;
use crate::routes::json_error;

/// The largest pushed request body, in bytes.
pub const MAX_BODY: usize = 64 * 1024;

/// Clock skew allowed on DPoP proofs, seconds.
const DPOP_CLOCK_TOLERANCE: u64 = 30;

/// Client authentication parameters, not part of the authorization request (RFC 6749 §2.3.1,
/// RFC 7523 §2.2).
const AUTH_PARAMS: &[&str] = &["client_secret", "client_assertion", "client_assertion_type"];

/// This module's routes, under the issuer path `prefix` (`""` for an issuer at the root).
pub fn routes(prefix: &str) -> Router<Arc<AppState>> {
    Router::new().route(&format!("{prefix}{}", paths::PAR), post(push))
}

fn bad_request(error: &str, description: &str) -> Response {
    json_error(StatusCode::BAD_REQUEST, error, description)
}

/// The thumbprint of the key of the request's DPoP proof (RFC 9449 §4.3, §10.1), when one is
/// sent; its `jti` is remembered so that it cannot be replayed (§11.1).
fn dpop_jkt(
    state: &AppState,
    headers: &axum::http::HeaderMap,
    endpoint: &str,
    now: i64,
) -> Result<Option<String>, String> {
    let mut values = headers.get_all("dpop").iter();
    let Some(value) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err("more than one DPoP header field (RFC 9449 section 4.3)".into());
    }
    let proof = value.to_str().map_err(|_| "the DPoP header is not ASCII")?;
    let v = DpopValidation {
        clock_tolerance: DPOP_CLOCK_TOLERANCE,
        ..DpopValidation::new("POST", endpoint, now)
    };
    let verified = verify_proof(proof, &v).map_err(|e| format!("DPoP proof: {e}"))?;
    let jti = verified
        .claims
        .get("jti")
        .and_then(serde_json::Value::as_str)
        .unwrap_or("");
    let keep = now + i64::try_from(v.max_age + DPOP_CLOCK_TOLERANCE * 2).unwrap_or(600);
    let fresh = state
        .store
        .remember_jti(&format!("dpop:{}", verified.jkt), jti, keep, now)
        .map_err(|e| e.to_string())?;
    if !fresh {
        return Err("DPoP proof jti replayed (RFC 9449 section 11.1)".into());
    }
    Ok(Some(verified.jkt))
}

/// `POST /par` (RFC 9126 §2.1).
async fn push(State(state): State<Arc<AppState>>, req: Request) -> Response {
    let now = crate::app::now();
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    let (parts, body) = req.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_BODY).await else {
        return bad_request("invalid_request", "the request body is too large");
    };
    let form = match authorize::decode_form_body(&parts.headers, &bytes) {
        Ok(f) => f,
        Err(why) => return bad_request("invalid_request", why),
    };
    let endpoint = crate::client_auth::endpoint_url(&state, paths::PAR);
    let client =
        match crate::client_auth::authenticate(&state, &parts.headers, &form, peer, &endpoint, now)
            .await
        {
            Ok(c) => c,
            Err(res) => return res,
        };
    if form.iter().any(|(n, _)| n == "request_uri") {
        return bad_request(
            "invalid_request",
            "request_uri cannot be pushed (RFC 9126 section 2.1)",
        );
    }
    let mut params: Vec<(String, String)> = form
        .into_iter()
        .filter(|(n, _)| !AUTH_PARAMS.contains(&n.as_str()))
        .collect();
    if let Some((_, v)) = params.iter().find(|(n, _)| n == "client_id")
        && *v != client.client_id
    {
        return bad_request(
            "invalid_request",
            "client_id differs from the authenticated client",
        );
    }
    let requests: Vec<String> = params
        .iter()
        .filter(|(n, _)| n == "request")
        .map(|(_, v)| v.clone())
        .collect();
    match requests.as_slice() {
        [] => {}
        [jwt] => match request_object::verify(&client, &state.issuer, jwt, now).await {
            Ok(object) => params = object,
            Err(e) => return bad_request("invalid_request_object", &e),
        },
        _ => return bad_request("invalid_request", "the request parameter is repeated"),
    }
    if !params.iter().any(|(n, _)| n == "client_id") {
        params.push(("client_id".into(), client.client_id.clone()));
    }
    // A DPoP proof sent with the pushed request binds the code to its key (RFC 9449 §10.1).
    match dpop_jkt(&state, &parts.headers, &endpoint, now) {
        Ok(None) => {}
        Ok(Some(jkt)) => {
            let given: Vec<&str> = params
                .iter()
                .filter(|(n, _)| n == "dpop_jkt")
                .map(|(_, v)| v.as_str())
                .collect();
            match given.as_slice() {
                [] => params.push(("dpop_jkt".into(), jkt)),
                [one] if *one == jkt => {}
                _ => {
                    return bad_request(
                        "invalid_request",
                        "dpop_jkt does not match the DPoP proof's key (RFC 9449 section 10.1)",
                    );
                }
            }
        }
        Err(e) => return bad_request("invalid_dpop_proof", &e),
    }
    if let Err(refusal) = authorize::validate(&state, &client, &params) {
        let (error, description) = match refusal {
            Refusal::Page(e, d) | Refusal::Redirect(_, e, d) => (e, d),
        };
        return bad_request(error, &description);
    }
    let uri = match state.store.push_request(&client.client_id, &params, now) {
        Ok(u) => u,
        Err(e) => {
            tracing::error!(error = %e, "storing a pushed request failed");
            return json_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "server_error",
                "the server could not store the request",
            );
        }
    };
    tracing::info!(target: "oidckit_server::par", client = %client.client_id, outcome = "pushed", "pushed authorization request");
    let body = json!({"request_uri": uri, "expires_in": PAR_LIFETIME});
    let mut res = (StatusCode::CREATED, body.to_string()).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}
