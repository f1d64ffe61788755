//! Dynamic client registration (RFC 7591 §3) and reading a registration back (RFC 7592 §2.1).
//!
//! Open registration (no initial access token: a development server). The request is a JSON
//! object of RFC 7591 §2 client metadata; unknown members are ignored (§2), defaults applied
//! (`token_endpoint_auth_method` `client_secret_basic`, `grant_types` `authorization_code`,
//! `response_types` `code`), and the result validated with the same rules as clients in the
//! configuration file. The server generates `client_id`, a `client_secret` for the
//! `client_secret_*` methods (expiring after `[lifetimes] client_secret_expiry`, 0 = never), and
//! a registration access token (stored as a hash) for `GET <registration_client_uri>`.
//! Errors are RFC 7591 §3.2.2 JSON: `invalid_redirect_uri`, `invalid_client_metadata`.

// Errors are the HTTP responses themselves, built once per failed request.
#![allow(clippy::result_large_err)]

use std::sync::Arc;

use axum::Router;
use axum::body::to_bytes;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use oidckit::Object;
use oidckit::oauth::bearer::{BearerError, extract_bearer_token};
use serde_json::Value;
use subtle::ConstantTimeEq as _;

use crate::app::{AppState, now};
use crate::client_auth::endpoint_url;
use crate::config::{ClientConfig, KNOWN_GRANT_TYPES};
use crate::resource_access::{Scheme, challenge};
use crate::routes::discovery::paths;
use crate::routes::json_error;
use crate::routes::token::internal;
use crate::tokens::{handle_hash, random_handle};

/// The largest registration request body, in bytes.
const MAX_BODY: usize = 64 * 1024;

/// Client metadata a registration request may set (RFC 7591 §2, OpenID Connect Dynamic Client
/// Registration 1.0 §2, Back-Channel Logout 1.0 §2.2, RP-Initiated Logout 1.0 §3.1), plus this
/// server's `scenario` switch.
const ACCEPTED: &[&str] = &[
    "redirect_uris",
    "post_logout_redirect_uris",
    "grant_types",
    "response_types",
    "token_endpoint_auth_method",
    "token_endpoint_auth_signing_alg",
    "client_name",
    "scope",
    "default_max_age",
    "logo_uri",
    "client_uri",
    "policy_uri",
    "tos_uri",
    "contacts",
    "jwks",
    "jwks_uri",
    "application_type",
    "id_token_signed_response_alg",
    "userinfo_signed_response_alg",
    "backchannel_logout_uri",
    "backchannel_logout_session_required",
    "scenario",
];

/// Members of the stored configuration that are not RFC 7591 metadata (never echoed).
const INTERNAL: &[&str] = &[
    "type",
    "description",
    "allowed_cidrs",
    "jwt_bearer_users",
    "public_key_pem",
];

/// This module's routes, under the issuer path `prefix` (`""` for an issuer at the root).
pub fn routes(prefix: &str) -> Router<Arc<AppState>> {
    let base = format!("{prefix}{}", paths::REGISTER);
    Router::new()
        .route(&base, post(register).options(crate::cors::preflight))
        .route(
            &format!("{base}/{{client_id}}"),
            get(read).options(crate::cors::preflight),
        )
        .layer(axum::middleware::map_response(crate::cors::allow))
}

fn metadata_error(code: &str, description: &str) -> Response {
    json_error(StatusCode::BAD_REQUEST, code, description)
}

fn json_response(status: StatusCode, body: Object) -> Response {
    let mut res = (status, Value::Object(body).to_string()).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    res
}

/// The RFC 7591 §3.2.1 view of a stored client (internal members dropped, nulls omitted).
fn client_metadata(c: &ClientConfig) -> Result<Object, crate::error::ServerError> {
    let v = serde_json::to_value(c)
        .map_err(|e| crate::error::ServerError::Store(format!("serialization: {e}")))?;
    let Value::Object(o) = v else {
        return Ok(Object::new());
    };
    Ok(o.into_iter()
        .filter(|(k, v)| !v.is_null() && !INTERNAL.contains(&k.as_str()))
        .collect())
}

fn strings(o: &Object, name: &str) -> Vec<String> {
    o.get(name)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// Builds and validates the client a registration request describes.
fn build_client(
    state: &AppState,
    request: &Object,
    client_id: &str,
) -> Result<(ClientConfig, Option<String>), Response> {
    let mut m = Object::new();
    for name in ACCEPTED {
        if let Some(v) = request.get(*name)
            && !v.is_null()
        {
            m.insert((*name).into(), v.clone());
        }
    }
    m.entry("token_endpoint_auth_method")
        .or_insert_with(|| Value::from("client_secret_basic"));
    m.entry("grant_types")
        .or_insert_with(|| serde_json::json!(["authorization_code"]));
    m.entry("response_types")
        .or_insert_with(|| serde_json::json!(["code"]));
    m.entry("client_name")
        .or_insert_with(|| Value::from(client_id));
    let method = m
        .get("token_endpoint_auth_method")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    let public = method == "none";
    m.insert("client_id".into(), Value::from(client_id));
    m.insert(
        "type".into(),
        Value::from(if public { "public" } else { "confidential" }),
    );
    let secret = method.starts_with("client_secret_").then(random_handle);
    if let Some(s) = &secret {
        m.insert("client_secret".into(), Value::from(s.as_str()));
    }

    let grants = strings(&m, "grant_types");
    let responses = strings(&m, "response_types");
    if let Some(g) = grants.iter().find(|g| {
        !KNOWN_GRANT_TYPES.contains(&g.as_str())
            || !state.config.server.grant_types_supported.contains(g)
    }) {
        return Err(metadata_error(
            "invalid_client_metadata",
            &format!("the grant type {g:?} is not supported by this server"),
        ));
    }
    // RFC 7591 §2.1: response types and grant types must agree.
    let needs_code = responses.iter().any(|r| r.split(' ').any(|p| p == "code"));
    let needs_implicit = responses
        .iter()
        .any(|r| r.split(' ').any(|p| p == "token" || p == "id_token"));
    if needs_code && !grants.iter().any(|g| g == "authorization_code") {
        return Err(metadata_error(
            "invalid_client_metadata",
            "response type code needs the authorization_code grant type (RFC 7591 §2.1)",
        ));
    }
    if needs_implicit && !grants.iter().any(|g| g == "implicit") {
        return Err(metadata_error(
            "invalid_client_metadata",
            "response types with token or id_token need the implicit grant type (RFC 7591 §2.1)",
        ));
    }
    // A `redirect_uris` of the wrong type is reported by the metadata parse below.
    let redirects = match m.get("redirect_uris") {
        None => false,
        Some(Value::Array(a)) => !a.is_empty(),
        Some(_) => true,
    };
    if (needs_code || needs_implicit) && !redirects {
        return Err(metadata_error(
            "invalid_redirect_uri",
            "redirect_uris is required for redirect-based grant types (RFC 7591 §2)",
        ));
    }

    let client: ClientConfig = serde_json::from_value(Value::Object(m)).map_err(|e| {
        metadata_error(
            "invalid_client_metadata",
            &format!("invalid client metadata: {e}"),
        )
    })?;
    let mut check = state.config.clone();
    check.clients = vec![client.clone()];
    check.users.clear();
    if let Err(e) = check.validate() {
        let text = e.to_string();
        let code = if text.contains("redirect URI") {
            "invalid_redirect_uri"
        } else {
            "invalid_client_metadata"
        };
        return Err(metadata_error(code, &text));
    }
    Ok((client, secret))
}

/// `POST /register` (RFC 7591 §3.1).
async fn register(State(state): State<Arc<AppState>>, req: Request) -> Response {
    let now = now();
    let is_json = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or("").trim())
        .is_some_and(|m| m.eq_ignore_ascii_case("application/json"));
    if !is_json {
        return metadata_error(
            "invalid_client_metadata",
            "the registration request must be application/json (RFC 7591 §3.1)",
        );
    }
    let Ok(bytes) = to_bytes(req.into_body(), MAX_BODY).await else {
        return metadata_error("invalid_client_metadata", "the request body is too large");
    };
    let request: Object = match serde_json::from_slice(&bytes) {
        Ok(o) => o,
        Err(_) => {
            return metadata_error(
                "invalid_client_metadata",
                "the body must be a JSON object (RFC 7591 §3.1)",
            );
        }
    };
    let client_id = random_handle();
    let (client, secret) = match build_client(&state, &request, &client_id) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let expiry = state.config.lifetimes.client_secret_expiry;
    let expires_at = if expiry == 0 {
        0
    } else {
        now.saturating_add(i64::try_from(expiry).unwrap_or(i64::MAX))
    };
    let rat = random_handle();
    let stored = state
        .store
        .put_client(&client, "registered", now)
        .and_then(|()| {
            state
                .store
                .set_registration_token_hash(&client_id, &handle_hash(&rat))
        })
        .and_then(|()| {
            crate::registration::set_secret_expires_at(&state.store, &client_id, expires_at)
        });
    if let Err(e) = stored {
        return internal(&e);
    }
    let mut body = match client_metadata(&client) {
        Ok(b) => b,
        Err(e) => return internal(&e),
    };
    body.insert("client_id_issued_at".into(), Value::from(now));
    if secret.is_some() {
        body.insert("client_secret_expires_at".into(), Value::from(expires_at));
    }
    body.insert("registration_access_token".into(), Value::from(rat));
    body.insert(
        "registration_client_uri".into(),
        Value::from(format!(
            "{}/{client_id}",
            endpoint_url(&state, paths::REGISTER)
        )),
    );
    tracing::info!(target: "oidckit_server::register", client_id, "client registered");
    json_response(StatusCode::CREATED, body)
}

/// `GET /register/{client_id}` with the registration access token (RFC 7592 §2.1).
async fn read(
    State(state): State<Arc<AppState>>,
    Path(client_id): Path<String>,
    req: Request,
) -> Response {
    let auth = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let token = match extract_bearer_token(auth, None, None) {
        Ok(Some(t)) => t,
        Ok(None) => return challenge(&state, None, None, None, Scheme::Bearer),
        Err(e) => {
            return challenge(
                &state,
                Some(BearerError::InvalidRequest),
                Some(&e.to_string()),
                None,
                Scheme::Bearer,
            );
        }
    };
    let stored = match state.store.registration_token_hash(&client_id) {
        Ok(h) => h,
        Err(e) => return internal(&e),
    };
    let ok = stored.is_some_and(|h| bool::from(h.as_bytes().ct_eq(handle_hash(&token).as_bytes())));
    if !ok {
        return challenge(
            &state,
            Some(BearerError::InvalidToken),
            Some("invalid registration access token (RFC 7592 §3)"),
            None,
            Scheme::Bearer,
        );
    }
    let client = match state.store.client(&client_id) {
        Ok(Some(c)) => c.config,
        Ok(None) => {
            return challenge(
                &state,
                Some(BearerError::InvalidToken),
                Some("the client no longer exists"),
                None,
                Scheme::Bearer,
            );
        }
        Err(e) => return internal(&e),
    };
    let mut body = match client_metadata(&client) {
        Ok(b) => b,
        Err(e) => return internal(&e),
    };
    if client.client_secret.is_some() {
        let at = crate::registration::secret_expires_at(&state.store, &client_id)
            .ok()
            .flatten()
            .unwrap_or(0);
        body.insert("client_secret_expires_at".into(), Value::from(at));
    }
    json_response(StatusCode::OK, body)
}
