//! The protected demo API (`/api/...`), a resource server that accepts this OP's access tokens
//! (RFC 6750; DPoP-bound tokens per RFC 9449 §7): JWT access tokens are validated with the
//! core per RFC 9068 §4 (`typ`, `iss`, `aud` = the API, `exp`, signature with the OP's keys)
//! and, like opaque tokens, looked up internally so revoked tokens stop working at once.
//!
//! - `GET /api/me`: who the token speaks for (`sub`, `client_id`, `scope`) and, for a user,
//!   the claims its scope releases (OpenID Connect Core 1.0 §5.4).
//! - `GET /api/items`: demo data; needs the `api:read` scope (403 `insufficient_scope`).
//!
//! Errors are RFC 6750 §3 challenges: 401 `invalid_token`, 403 `insufficient_scope`, 400
//! `invalid_request`, each with `WWW-Authenticate`.

// Errors are the HTTP responses themselves, built once per failed request.
#![allow(clippy::result_large_err)]

use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use oidckit::oauth::access_token::{
    AccessTokenValidation, bearer_error_for, validate_jwt_access_token,
};
use oidckit::oauth::bearer::BearerError;
use oidckit::{Alg, Family, JwkSet, Object};
use serde_json::{Value, json};

use crate::access_token::{default_audience, public_claims};
use crate::app::{AppState, now};
use crate::client_auth::endpoint_url;
use crate::resource_access::{self, Authorized, challenge};
use crate::routes::discovery::paths;
use crate::routes::json_error;
use crate::routes::token::internal;

/// The scope `GET /api/items` needs.
pub const ITEMS_SCOPE: &str = "api:read";

/// This module's routes, under the issuer path `prefix` (`""` for an issuer at the root).
pub fn routes(prefix: &str) -> Router<Arc<AppState>> {
    let base = format!("{prefix}{}", paths::API);
    Router::new()
        .route(
            &format!("{base}/me"),
            get(me).options(crate::cors::preflight),
        )
        .route(
            &format!("{base}/items"),
            get(items).options(crate::cors::preflight),
        )
        .route(&format!("{base}/{{*rest}}"), get(unknown))
        .layer(axum::middleware::map_response(crate::cors::allow))
}

fn json_ok(auth: &Authorized, body: Value) -> Response {
    let mut res = (StatusCode::OK, body.to_string()).into_response();
    if let Some(c) = auth.data.get("client_id").and_then(Value::as_str) {
        res.extensions_mut()
            .insert(crate::app::LoggedClient(c.to_owned()));
    }
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

async fn unknown() -> Response {
    json_error(StatusCode::NOT_FOUND, "not_found", "no such API resource")
}

/// Authenticates an API request: the token must be active (internal lookup), meant for this
/// API (`aud`), and a JWT must also pass the core's RFC 9068 §4 validation.
fn authorize(
    state: &AppState,
    req: &Request,
    path: &str,
    scope: Option<&str>,
) -> Result<Authorized, Response> {
    let now = now();
    let url = endpoint_url(state, &format!("{}{path}", paths::API));
    let auth = resource_access::authorize(
        state,
        req.method().as_str(),
        &url,
        req.headers(),
        req.uri().query(),
        None,
        now,
    )?;
    let audience = default_audience(state);
    if auth.token.split('.').count() == 3 {
        let keys = state
            .keys
            .read()
            .map_err(|_| internal(&crate::error::ServerError::Keys("lock poisoned".into())))?
            .jwks()
            .map_err(|e| internal(&e))?;
        let keys = JwkSet::from_object(&keys)
            .map_err(|e| internal(&crate::error::ServerError::Keys(e.to_string())))?;
        let v = AccessTokenValidation {
            algorithms: Alg::ALL
                .iter()
                .copied()
                .filter(|a| a.family() != Family::Oct)
                .collect(),
            required_scopes: scope.map(|s| vec![s.to_owned()]).unwrap_or_default(),
            ..AccessTokenValidation::new(state.issuer.clone(), audience.clone(), now)
        };
        if let Err(e) = validate_jwt_access_token(&auth.token, &keys, &v) {
            let (error, description) = bearer_error_for(&e);
            return Err(challenge(
                state,
                Some(error),
                description.as_deref(),
                scope.filter(|_| error == BearerError::InsufficientScope),
                auth.scheme,
            ));
        }
    } else {
        let aud_ok = match auth.data.get("aud") {
            Some(Value::String(a)) => *a == audience,
            Some(Value::Array(list)) => list.iter().any(|a| a.as_str() == Some(&audience)),
            _ => false,
        };
        if !aud_ok {
            return Err(challenge(
                state,
                Some(BearerError::InvalidToken),
                Some("the access token is not meant for this API (aud)"),
                None,
                auth.scheme,
            ));
        }
    }
    if let Some(s) = scope
        && !auth.scopes().contains(&s)
    {
        return Err(challenge(
            state,
            Some(BearerError::InsufficientScope),
            Some(&format!("this resource needs the {s} scope")),
            Some(s),
            auth.scheme,
        ));
    }
    Ok(auth)
}

/// `GET /api/me`.
async fn me(State(state): State<Arc<AppState>>, req: Request) -> Response {
    let auth = match authorize(&state, &req, "/me", None) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let data = public_claims(&auth.data);
    let mut out = Object::new();
    for k in ["sub", "client_id", "scope", "aud", "exp", "token_type"] {
        if let Some(v) = data.get(k) {
            out.insert(k.into(), v.clone());
        }
    }
    if let Some(username) = auth.username() {
        match state.store.user(username) {
            Ok(Some(u)) => {
                let scope = auth.scopes().join(" ");
                let claims = crate::claims::scope_claims(&u.config, &scope);
                out.insert("claims".into(), Value::Object(claims));
            }
            Ok(None) => {}
            Err(e) => return internal(&e),
        }
    }
    json_ok(&auth, Value::Object(out))
}

/// `GET /api/items` (needs `api:read`).
async fn items(State(state): State<Arc<AppState>>, req: Request) -> Response {
    let auth = match authorize(&state, &req, "/items", Some(ITEMS_SCOPE)) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let sub = auth.data.get("sub").cloned().unwrap_or(Value::Null);
    json_ok(
        &auth,
        json!({
            "sub": sub,
            "items": [
                {"id": 1, "name": "Teapot", "owner": "the Hatter"},
                {"id": 2, "name": "Pocket watch", "owner": "the White Rabbit"},
                {"id": 3, "name": "Croquet mallet", "owner": "the Queen of Hearts"},
            ],
        }),
    )
}
