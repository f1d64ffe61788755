//! Token introspection (RFC 7662): the caller authenticates like at the token endpoint
//! ([`crate::client_auth`]); a resource server (client type `resource_server`) may introspect
//! any token, any other confidential client only the tokens issued to it (§4: the server
//! decides which tokens a caller may see). Public clients cannot authenticate, so they cannot
//! introspect. Access tokens (both formats) and refresh tokens are known; anything unknown,
//! expired, revoked or not the caller's is `{"active": false}` (§2.2).

use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::post;
use oidckit::Object;
use serde_json::Value;

use crate::access_token;
use crate::app::{AppState, now};
use crate::client_auth::{self, endpoint_url};
use crate::config::ClientType;
use crate::form_post::{self, param};
use crate::routes::discovery::paths;
use crate::routes::json_error;
use crate::routes::token::{internal, method_not_allowed, success};

/// This module's routes, under the issuer path `prefix` (`""` for an issuer at the root).
pub fn routes(prefix: &str) -> Router<Arc<AppState>> {
    Router::new()
        .route(
            &format!("{prefix}{}", paths::INTROSPECT),
            post(introspect)
                .options(crate::cors::preflight)
                .fallback(method_not_allowed),
        )
        .layer(axum::middleware::map_response(crate::cors::allow))
}

fn inactive() -> Response {
    let mut o = Object::new();
    o.insert("active".into(), Value::Bool(false));
    success(o)
}

/// `POST /introspect` (RFC 7662 §2.1).
async fn introspect(State(state): State<Arc<AppState>>, req: Request) -> Response {
    let now = now();
    let fr = match form_post::read(req, &[]).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let url = endpoint_url(&state, paths::INTROSPECT);
    let client =
        match client_auth::authenticate(&state, &fr.headers, &fr.form, fr.peer, &url, now).await {
            Ok(c) => c,
            Err(r) => return r,
        };
    let mut res = answer(&state, &client, &fr.form, now);
    res.extensions_mut()
        .insert(crate::app::LoggedClient(client.client_id.clone()));
    tracing::debug!(
        target: "oidckit_server::introspect",
        client_id = client.client_id,
        status = res.status().as_u16(),
        "introspection"
    );
    res
}

/// The introspection answer for an authenticated `client` (RFC 7662 §2.2).
fn answer(
    state: &AppState,
    client: &crate::config::ClientConfig,
    form: &[(String, String)],
    now: i64,
) -> Response {
    if client.client_type == ClientType::Public {
        return json_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "introspection needs an authenticated (confidential or resource server) client (RFC 7662 §2.1)",
        );
    }
    let Some(token) = param(form, "token") else {
        return json_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "the token parameter is missing (RFC 7662 §2.1)",
        );
    };
    let hint = param(form, "token_type_hint");
    let sees_all = client.client_type == ClientType::ResourceServer;
    let visible = |data: &Object| {
        sees_all || data.get("client_id").and_then(Value::as_str) == Some(&client.client_id)
    };

    let order: [bool; 2] = if hint == Some("refresh_token") {
        [false, true]
    } else {
        [true, false]
    };
    for access in order {
        let found = if access {
            access_token::lookup(state, token, now)
                .map(|d| d.map(|d| access_token::public_claims(&d)))
        } else {
            refresh_claims(state, token, now)
        };
        match found {
            Ok(Some(data)) if visible(&data) => {
                let mut out = Object::new();
                out.insert("active".into(), Value::Bool(true));
                out.extend(data);
                return success(out);
            }
            Ok(Some(_)) => return inactive(),
            Ok(None) => {}
            Err(e) => return internal(&e),
        }
    }
    inactive()
}

/// The introspection claims of an active refresh token (RFC 7662 §2.2).
fn refresh_claims(
    state: &AppState,
    token: &str,
    now: i64,
) -> Result<Option<Object>, crate::error::ServerError> {
    let Some(rec) = state.store.refresh_token(token)? else {
        return Ok(None);
    };
    if rec.consumed_at.is_some()
        || rec.expires_at <= now
        || !state.store.grant_active(&rec.grant_id)?
    {
        return Ok(None);
    }
    let mut o = Object::new();
    o.insert("scope".into(), Value::from(rec.data.scope.as_str()));
    o.insert("client_id".into(), Value::from(rec.data.client_id.as_str()));
    o.insert("username".into(), Value::from(rec.data.username.as_str()));
    o.insert("sub".into(), Value::from(rec.data.username.as_str()));
    o.insert("exp".into(), Value::from(rec.expires_at));
    o.insert("iss".into(), Value::from(state.issuer.as_str()));
    o.insert("token_type".into(), Value::from("refresh_token"));
    Ok(Some(o))
}
