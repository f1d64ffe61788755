//! Token revocation (RFC 7009): the client authenticates like at the token endpoint (a public
//! client with its `client_id`, §2.1), names a token and optionally its type
//! (`token_type_hint`, §2.1; an unknown hint is ignored). Revoking a refresh token revokes its
//! whole grant, access tokens included (§2.1 "SHOULD"); revoking an access token revokes that
//! token. Unknown tokens, and tokens issued to another client (not revoked, and not revealed:
//! no existence oracle), are answered 200 like successes (§2.2).

use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::Value;

use crate::access_token;
use crate::app::{AppState, now};
use crate::client_auth::{self, endpoint_url};
use crate::form_post::{self, param};
use crate::routes::discovery::paths;
use crate::routes::json_error;
use crate::routes::token::{internal, method_not_allowed};

/// This module's routes, under the issuer path `prefix` (`""` for an issuer at the root).
pub fn routes(prefix: &str) -> Router<Arc<AppState>> {
    Router::new()
        .route(
            &format!("{prefix}{}", paths::REVOKE),
            post(revoke)
                .options(crate::cors::preflight)
                .fallback(method_not_allowed),
        )
        .layer(axum::middleware::map_response(crate::cors::allow))
}

fn ok() -> Response {
    let mut res = StatusCode::OK.into_response();
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// `POST /revoke` (RFC 7009 §2.1).
async fn revoke(State(state): State<Arc<AppState>>, req: Request) -> Response {
    let now = now();
    let fr = match form_post::read(req, &[]).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let url = endpoint_url(&state, paths::REVOKE);
    let client =
        match client_auth::authenticate(&state, &fr.headers, &fr.form, fr.peer, &url, now).await {
            Ok(c) => c,
            Err(r) => return r,
        };
    let mut res = answer(&state, &client, &fr.form, now);
    res.extensions_mut()
        .insert(crate::app::LoggedClient(client.client_id.clone()));
    tracing::debug!(
        target: "oidckit_server::revoke",
        client_id = client.client_id,
        status = res.status().as_u16(),
        "revocation"
    );
    res
}

/// Revokes what `form` names for an authenticated `client` (RFC 7009 §2.1, §2.2).
fn answer(
    state: &AppState,
    client: &crate::config::ClientConfig,
    form: &[(String, String)],
    now: i64,
) -> Response {
    let Some(token) = param(form, "token") else {
        return json_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "the token parameter is missing (RFC 7009 §2.1)",
        );
    };
    // Refresh tokens first when hinted, else access tokens first (§2.1: the hint only speeds
    // up the lookup).
    let refresh_first = param(form, "token_type_hint") == Some("refresh_token");
    for refresh in [refresh_first, !refresh_first] {
        if refresh {
            match state.store.refresh_token(token) {
                Ok(Some(rec)) => {
                    if rec.data.client_id == client.client_id
                        && let Err(e) = state.store.revoke_grant(&rec.grant_id, now)
                    {
                        return internal(&e);
                    }
                    return ok();
                }
                Ok(None) => {}
                Err(e) => return internal(&e),
            }
        } else {
            match access_token::find(state, token, now) {
                Ok(Some(found)) => {
                    let mine = found.data.get("client_id").and_then(Value::as_str)
                        == Some(client.client_id.as_str());
                    if mine && let Err(e) = state.store.revoke_access_token(&found.key, now) {
                        return internal(&e);
                    }
                    return ok();
                }
                Ok(None) => {}
                Err(e) => return internal(&e),
            }
        }
    }
    ok()
}
