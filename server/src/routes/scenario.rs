//! The misbehaviour scenario switch (`scenario.rs`): `GET` / `POST {prefix}/scenario`.
//!
//! - `GET /scenario` answers `{"scenario": "<global>", "scenarios": [{"name", "description",
//!   "expected_rp_error"}, ...]}`; `GET /scenario?client_id=X` answers that client's own
//!   setting, `{"scenario": "<name>", "client_id": "X", "effective": "<name>", ...}` (the
//!   effective one falls back to the global switch).
//! - `POST /scenario` with a JSON (`{"scenario": "...", "client_id": "..."}`) or form-encoded
//!   body sets the client's scenario when `client_id` is given (stored in its metadata with
//!   `Store::put_client`), else the global switch (the `scenario` setting). `"none"` (or `""`)
//!   switches it off. It answers like `GET`.
//! - Errors are RFC 6749 §5.2-shaped JSON with status 400 (`invalid_request`: an unknown
//!   scenario name, a malformed body, `discovery-issuer-mismatch` for one client (discovery is
//!   not per client); `invalid_client`: an unknown `client_id`).
//!
//! **Unauthenticated on purpose**: this is a development server bound to loopback, and the
//! point is to let relying-party test suites and the demo RP's scenario switch (issue 5) flip
//! defects from the outside without an admin session. Any origin may call it (CORS `*`, with a
//! preflight answer for JSON bodies).

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use oidckit::Object;
use oidckit::oauth::http::form_decode;
use serde_json::{Value, json};

use crate::app::AppState;
use crate::error::ServerError;
use crate::routes::discovery::paths;
use crate::routes::json_error;
use crate::scenario::{self, Scenario};

/// This module's routes, under the issuer path `prefix` (`""` for an issuer at the root).
pub fn routes(prefix: &str) -> Router<Arc<AppState>> {
    Router::new().route(
        &format!("{prefix}{}", paths::SCENARIO),
        get(get_scenario).post(post_scenario).options(preflight),
    )
}

fn with_cors(mut res: Response) -> Response {
    let h = res.headers_mut();
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

fn bad_request(error: &str, description: &str) -> Response {
    with_cors(json_error(StatusCode::BAD_REQUEST, error, description))
}

fn server_error(e: &ServerError) -> Response {
    tracing::error!(error = %e, "the scenario switch failed");
    with_cors(json_error(
        StatusCode::INTERNAL_SERVER_ERROR,
        "server_error",
        "the scenario could not be read or stored",
    ))
}

/// The catalogue of scenarios with their descriptions and expected RP errors.
fn catalogue() -> Value {
    Value::Array(
        Scenario::VARIANTS
            .iter()
            .map(|s| {
                json!({
                    "name": s.name(),
                    "description": s.description(),
                    "expected_rp_error": s.expected_rp_error(),
                })
            })
            .collect(),
    )
}

/// The answer for the global switch or for `client_id`.
fn answer(state: &AppState, client_id: Option<&str>) -> Response {
    let global = scenario::global(state);
    let mut body = Object::new();
    match client_id {
        None => {
            body.insert("scenario".into(), Value::from(global.name()));
        }
        Some(id) => {
            let record = match state.store.client(id) {
                Ok(Some(r)) => r,
                Ok(None) => return bad_request("invalid_client", "unknown client_id"),
                Err(e) => return server_error(&e),
            };
            let own = record
                .config
                .scenario
                .as_deref()
                .and_then(|s| Scenario::parse(s).ok())
                .unwrap_or_default();
            let effective = scenario::resolve(state, &record.config, None);
            body.insert("scenario".into(), Value::from(own.name()));
            body.insert("client_id".into(), Value::from(id));
            body.insert("effective".into(), Value::from(effective.name()));
        }
    }
    body.insert("global".into(), Value::from(global.name()));
    body.insert("scenarios".into(), catalogue());
    let mut res = (StatusCode::OK, Value::Object(body).to_string()).into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    with_cors(res)
}

/// `GET {prefix}/scenario[?client_id=...]`.
async fn get_scenario(State(state): State<Arc<AppState>>, RawQuery(query): RawQuery) -> Response {
    let pairs = match form_decode(query.as_deref().unwrap_or("")) {
        Ok(p) => p,
        Err(_) => return bad_request("invalid_request", "the query string is malformed"),
    };
    let client_id = pairs
        .into_iter()
        .find(|(n, _)| n == "client_id")
        .map(|(_, v)| v)
        .filter(|v| !v.is_empty());
    let st = state.clone();
    tokio::task::spawn_blocking(move || answer(&st, client_id.as_deref()))
        .await
        .unwrap_or_else(|e| server_error(&ServerError::Io(std::io::Error::other(e))))
}

/// Reads `scenario` and `client_id` from a JSON object or a form-encoded body.
fn parse_body(headers: &HeaderMap, body: &[u8]) -> Result<(String, Option<String>), &'static str> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let (scenario, client_id) = if content_type == "application/x-www-form-urlencoded" {
        let text = std::str::from_utf8(body).map_err(|_| "the body is not UTF-8")?;
        let pairs = form_decode(text).map_err(|_| "the form body is malformed")?;
        let get = |name: &str| {
            pairs
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
        };
        (get("scenario"), get("client_id"))
    } else {
        let obj: Object =
            serde_json::from_slice(body).map_err(|_| "the body must be a JSON object")?;
        let text = |name: &str| match obj.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err("\"scenario\" and \"client_id\" must be strings"),
        };
        (text("scenario")?, text("client_id")?)
    };
    let scenario = scenario.ok_or("\"scenario\" is missing")?;
    Ok((scenario, client_id.filter(|c| !c.is_empty())))
}

/// `POST {prefix}/scenario`: sets a client's scenario or the global switch.
async fn post_scenario(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (name, client_id) = match parse_body(&headers, &body) {
        Ok(v) => v,
        Err(why) => return bad_request("invalid_request", why),
    };
    let Ok(chosen) = Scenario::parse(&name) else {
        return bad_request(
            "invalid_request",
            &format!(
                "unknown scenario {name:?}; known: {}",
                Scenario::ALL.join(", ")
            ),
        );
    };
    if client_id.is_some() && chosen == Scenario::DiscoveryIssuerMismatch {
        return bad_request(
            "invalid_request",
            "discovery-issuer-mismatch is a global scenario (discovery is not per client): \
             omit client_id",
        );
    }
    // SQLite (and, for kid-absent-multi, key generation) is blocking work.
    let st = state.clone();
    let outcome = tokio::task::spawn_blocking(move || -> Result<Response, ServerError> {
        match &client_id {
            None => scenario::set_global(&st, chosen)?,
            Some(id) => {
                let Some(record) = st.store.client(id)? else {
                    return Ok(bad_request("invalid_client", "unknown client_id"));
                };
                scenario::prepare(&st, chosen)?;
                let mut config = record.config;
                config.scenario = (chosen != Scenario::None).then(|| chosen.name().to_owned());
                st.store
                    .put_client(&config, &record.source, crate::app::now())?;
            }
        }
        tracing::info!(
            scenario = chosen.name(),
            client_id = client_id.as_deref().unwrap_or("(global)"),
            "misbehaviour scenario switched"
        );
        Ok(answer(&st, client_id.as_deref()))
    })
    .await;
    match outcome {
        Ok(Ok(res)) => res,
        Ok(Err(e)) => server_error(&e),
        Err(e) => server_error(&ServerError::Io(std::io::Error::other(e))),
    }
}

/// CORS preflight for JSON `POST`s from other origins (the demo RP on another port).
async fn preflight() -> Response {
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
        HeaderValue::from_static("content-type"),
    );
    h.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static("600"),
    );
    res
}
