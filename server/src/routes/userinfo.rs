//! The UserInfo endpoint (OpenID Connect Core 1.0 §5.3): `GET` or `POST`, the access token in
//! the `Authorization` header (Bearer or DPoP) or, for a form `POST`, in the body (RFC 6750
//! §2.1 / §2.2; never the query). The answer is the user's claims for the token's scope
//! (§5.4) and the `userinfo` member of the authorization request's `claims` parameter (§5.5),
//! as JSON (§5.3.2), or as a signed JWT (`application/jwt`, with `iss` and `aud`) when the
//! client registered `userinfo_signed_response_alg`. Errors are RFC 6750 §3 challenges
//! (§5.3.3).

use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use oidckit::Alg;
use oidckit::oauth::bearer::BearerError;
use serde_json::Value;

use crate::access_token;
use crate::app::{AppState, now};
use crate::client_auth::endpoint_url;
use crate::form_post;
use crate::resource_access::{self, Scheme, challenge};
use crate::routes::discovery::paths;
use crate::routes::token::internal;
use crate::scenario::TokenKind;

/// This module's routes, under the issuer path `prefix` (`""` for an issuer at the root).
pub fn routes(prefix: &str) -> Router<Arc<AppState>> {
    Router::new()
        .route(
            &format!("{prefix}{}", paths::USERINFO),
            get(userinfo).post(userinfo).options(crate::cors::preflight),
        )
        .layer(axum::middleware::map_response(crate::cors::allow))
}

/// `GET` / `POST /userinfo`.
async fn userinfo(State(state): State<Arc<AppState>>, req: Request) -> Response {
    handle(&state, req).await
}

async fn handle(state: &AppState, req: Request) -> Response {
    let now = now();
    let url = endpoint_url(state, paths::USERINFO);
    let query = req.uri().query().map(str::to_owned);
    let method = req.method().clone();
    let (headers, body) = if method == Method::POST && form_post::is_form(req.headers()) {
        match form_post::read(req, &[]).await {
            Ok(f) => (f.headers, Some(f.raw)),
            Err(r) => return r,
        }
    } else {
        (req.headers().clone(), None)
    };
    let auth = match resource_access::authorize(
        state,
        method.as_str(),
        &url,
        &headers,
        query.as_deref(),
        body.as_deref(),
        now,
    ) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let scheme = auth.scheme;
    if !auth.scopes().contains(&"openid") {
        return challenge(
            state,
            Some(BearerError::InsufficientScope),
            Some(
                "UserInfo needs an access token with the openid scope (OpenID Connect Core 1.0 §5.3)",
            ),
            Some("openid"),
            scheme,
        );
    }
    let Some(username) = auth.username() else {
        return challenge(
            state,
            Some(BearerError::InvalidToken),
            Some("the access token has no end-user"),
            None,
            scheme,
        );
    };
    let user = match state.store.user(username) {
        Ok(Some(u)) => u.config,
        Ok(None) => {
            return challenge(
                state,
                Some(BearerError::InvalidToken),
                Some("the end-user no longer exists"),
                None,
                scheme,
            );
        }
        Err(e) => return internal(&e),
    };
    let client_id = auth
        .data
        .get("client_id")
        .and_then(Value::as_str)
        .unwrap_or("");
    let client = match state.store.client(client_id) {
        Ok(Some(c)) => c.config,
        Ok(None) => {
            return challenge(
                state,
                Some(BearerError::InvalidToken),
                Some("the client no longer exists"),
                None,
                Scheme::Bearer,
            );
        }
        Err(e) => return internal(&e),
    };
    let scope = auth.scopes().join(" ");
    let claims_request = match access_token::private(&auth.data, access_token::PRIVATE_CLAIMS) {
        Some(Value::Object(o)) => Some(o.clone()),
        _ => None,
    };
    let scenario_override = access_token::private(&auth.data, access_token::PRIVATE_SCENARIO)
        .and_then(Value::as_str)
        .map(str::to_owned);
    let scenario = state.scenario_for(&client, scenario_override.as_deref());
    let mut claims = crate::claims::userinfo_claims(&user, &scope, claims_request.as_ref());
    claims.insert(
        "sub".into(),
        Value::from(scenario.userinfo_sub(&user.username)),
    );

    let signed_alg = client
        .userinfo_signed_response_alg
        .as_deref()
        .and_then(|a| a.parse::<Alg>().ok());
    let mut res = if let Some(requested) = signed_alg {
        // OpenID Connect Core 1.0 §5.3.2: a signed response carries `iss` and `aud`.
        let alg = if state
            .keys
            .read()
            .is_ok_and(|k| k.active(requested).is_some())
        {
            requested
        } else {
            state.signing_alg
        };
        claims.insert("iss".into(), Value::from(state.issuer.as_str()));
        claims.insert("aud".into(), Value::from(client.client_id.as_str()));
        match crate::tokens::sign_jwt(state, TokenKind::UserInfo, alg, claims, &scenario) {
            Ok(jwt) => {
                let mut r = (StatusCode::OK, jwt).into_response();
                r.headers_mut().insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/jwt"),
                );
                r
            }
            Err(e) => return internal(&e),
        }
    } else {
        let mut r = (StatusCode::OK, Value::Object(claims).to_string()).into_response();
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        r
    };
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res.extensions_mut()
        .insert(crate::app::LoggedClient(client.client_id.clone()));
    res
}
