//! RP-Initiated Logout (OpenID Connect RP-Initiated Logout 1.0 §2–§3), `GET` and `POST`.
//!
//! `id_token_hint` is verified with the OP's own keys (an expired one is accepted, §2);
//! `post_logout_redirect_uri` must exactly match one registered for the client (§3.1) named by
//! `client_id` or by the hint's `aud`; `state` is echoed. When the hint names the current
//! session the logout happens at once, otherwise the user confirms on a page (§2: the OP
//! "SHOULD ask the End-User whether to log out"). Ending the session sends back-channel
//! Logout Tokens (`backchannel.rs`).

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use axum::routing::get;
use oidckit::oauth::http::{form_decode, form_urlencode};
use oidckit::{JwkSet, Object, jwt};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::app::AppState;
use crate::config::ClientConfig;
use crate::html::{self, escape, hidden};
use crate::routes::authorize::{decode_form_body, redirect};
use crate::routes::discovery::{issuer_path, paths};
use crate::session::{self, SESSION_COOKIE, Session};

/// The interaction kind of logout confirmations.
pub const KIND: &str = "logout";

/// This module's routes, under the issuer path `prefix` (`""` for an issuer at the root).
pub fn routes(prefix: &str) -> Router<Arc<AppState>> {
    Router::new().route(
        &format!("{prefix}{}", paths::END_SESSION),
        get(get_end_session).post(post_end_session),
    )
}

/// A validated logout request (kept server-side while the user confirms).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LogoutRequest {
    /// Where to send the user afterwards (registered, §3.1).
    pub post_logout_redirect_uri: Option<String>,
    /// `state`, echoed there (§2).
    pub state: Option<String>,
    /// The client, when known.
    pub client_id: Option<String>,
    /// The `sid` of the hint, if any.
    pub sid: Option<String>,
    /// The `sub` of the hint, if any.
    pub sub: Option<String>,
}

async fn get_end_session(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    match form_decode(query.as_deref().unwrap_or("")) {
        Ok(params) => end_session(&state, &headers, &params, false).await,
        Err(_) => bad("the query string is not valid form-urlencoded UTF-8"),
    }
}

async fn post_end_session(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match decode_form_body(&headers, &body) {
        Ok(params) if params.iter().any(|(n, _)| n == "interaction") => {
            confirm(&state, &headers, &params).await
        }
        Ok(params) => end_session(&state, &headers, &params, true).await,
        Err(why) => bad(why),
    }
}

fn bad(description: &str) -> Response {
    html::error_page(StatusCode::BAD_REQUEST, "invalid_request", description)
}

#[allow(clippy::result_large_err)]
fn single<'a>(params: &'a [(String, String)], name: &str) -> Result<Option<&'a str>, Response> {
    let mut found = None;
    for (n, v) in params {
        if n == name {
            if found.is_some() {
                return Err(bad(&format!("the {name} parameter is repeated")));
            }
            found = Some(v.as_str());
        }
    }
    Ok(found.filter(|v| !v.is_empty()))
}

/// Verifies an `id_token_hint` (§2): an ID Token this OP signed, for this issuer; expiry is
/// not checked ("the OP need not be the one that issued it... it MAY be expired" reads: an
/// expired hint is still a valid hint).
fn verify_hint(state: &AppState, hint: &str, now: i64) -> Result<Object, String> {
    let mut set = state
        .keys
        .read()
        .map_err(|_| "the key ring lock is poisoned".to_owned())?
        .jwks()
        .map_err(|e| e.to_string())?;
    // The keys scenarios publish (rotated, decoy) sign ID Tokens too.
    crate::scenario::extend_jwks(state, &mut set);
    let jwks = JwkSet::from_object(&set).map_err(|e| e.to_string())?;
    // Evaluate the time claims at a moment when the token was valid: just before its `exp`.
    let exp = jwt::decode(hint)
        .ok()
        .and_then(|c| c.get("exp").and_then(Value::as_i64));
    let at = match exp {
        Some(e) if e <= now => e - 1,
        _ => now,
    };
    let v = jwt::Validation {
        issuer: vec![state.issuer.clone()],
        required_claims: vec!["sub".into(), "aud".into()],
        clock_tolerance: 60,
        ..jwt::Validation::new(at)
    };
    jwt::verify(hint, &jwks, &v)
        .map(|j| j.claims)
        .map_err(|e| format!("the id_token_hint does not verify: {e}"))
}

fn audiences(claims: &Object) -> Vec<String> {
    match claims.get("aud") {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    }
}

/// Validates a logout request (§2, §3.1).
#[allow(clippy::result_large_err)]
fn validate(
    state: &AppState,
    params: &[(String, String)],
    now: i64,
) -> Result<LogoutRequest, Response> {
    let hint = single(params, "id_token_hint")?;
    let client_id = single(params, "client_id")?;
    let redirect_uri = single(params, "post_logout_redirect_uri")?;
    let state_param = single(params, "state")?;
    let claims = match hint {
        Some(h) => Some(verify_hint(state, h, now).map_err(|e| bad(&e))?),
        None => None,
    };
    let hint_auds = claims.as_ref().map(audiences).unwrap_or_default();
    let client_id = match (client_id, claims.as_ref()) {
        (Some(id), Some(_)) if !hint_auds.iter().any(|a| a == id) => {
            return Err(bad(
                "client_id is not an audience of the id_token_hint (RP-Initiated Logout 1.0 \
                 section 2)",
            ));
        }
        (Some(id), _) => Some(id.to_owned()),
        (None, Some(c)) => c
            .get("azp")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .or_else(|| hint_auds.first().cloned()),
        (None, None) => None,
    };
    let client: Option<ClientConfig> = match &client_id {
        Some(id) => match state.store.client(id) {
            Ok(Some(c)) => Some(c.config),
            Ok(None) => return Err(bad(&format!("there is no client {id:?} on this server"))),
            Err(e) => {
                tracing::error!(error = %e, "client lookup failed");
                return Err(html::error_page(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "server_error",
                    "the server could not read its clients",
                ));
            }
        },
        None => None,
    };
    if let Some(uri) = redirect_uri {
        let Some(client) = &client else {
            return Err(bad(
                "post_logout_redirect_uri needs client_id or id_token_hint to identify the \
                 client (RP-Initiated Logout 1.0 section 3)",
            ));
        };
        if !client
            .resolved_post_logout_redirect_uris(&state.issuer)
            .iter()
            .any(|r| r == uri)
        {
            return Err(bad(&format!(
                "the post_logout_redirect_uri {uri:?} is not registered for client {:?} \
                 (exact match required)",
                client.client_id
            )));
        }
    }
    let str_claim = |name: &str| {
        claims
            .as_ref()
            .and_then(|c| c.get(name))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    Ok(LogoutRequest {
        post_logout_redirect_uri: redirect_uri.map(str::to_owned),
        state: state_param.map(str::to_owned),
        client_id,
        sid: str_claim("sid"),
        sub: str_claim("sub"),
    })
}

async fn end_session(
    state: &AppState,
    headers: &HeaderMap,
    params: &[(String, String)],
    post: bool,
) -> Response {
    let now = crate::app::now();
    let req = match validate(state, params, now) {
        Ok(r) => r,
        Err(res) => return res,
    };
    let session = match session::current_session(state, headers, now) {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(error = %e, "session lookup failed");
            None
        }
    };
    let Some(session) = session else {
        // Nothing to end: straight back to the client (or the signed-out page).
        return finish(state, &req, post, false);
    };
    let hint_matches = match (&req.sid, &req.sub) {
        (Some(sid), _) => *sid == session.id,
        (None, Some(sub)) => *sub == session.username,
        (None, None) => false,
    };
    if hint_matches {
        logout(state, &session, now).await;
        return finish(state, &req, post, true);
    }
    confirmation_page(state, headers, &req, &session, now)
}

/// Ends the session, revokes its non-`offline_access` grants and notifies the clients
/// (Back-Channel Logout 1.0 §2.5).
async fn logout(state: &AppState, session: &Session, now: i64) {
    crate::backchannel::end_session(state, session, now).await;
}

/// After the logout (or without one): the redirect to the registered
/// `post_logout_redirect_uri` with `state` (§3), or the signed-out page. Clears the session
/// cookie when `clear`.
fn finish(state: &AppState, req: &LogoutRequest, post: bool, clear: bool) -> Response {
    let mut res = match &req.post_logout_redirect_uri {
        Some(uri) => {
            let location = match &req.state {
                Some(s) => {
                    let q = form_urlencode(&[("state", s.as_str())]);
                    let sep = if uri.contains('?') { '&' } else { '?' };
                    format!("{uri}{sep}{q}")
                }
                None => uri.clone(),
            };
            redirect(&location, post)
        }
        None => html::page(
            StatusCode::OK,
            "Signed out",
            "<h1>Signed out</h1><p class=\"sub\">You are signed out of the oidckit dev server. \
             You can close this window.</p>",
        ),
    };
    if clear {
        res.headers_mut().append(
            header::SET_COOKIE,
            session::set_cookie(state, SESSION_COOKIE, "", Some(0)),
        );
    }
    res
}

fn confirmation_page(
    state: &AppState,
    headers: &HeaderMap,
    req: &LogoutRequest,
    session: &Session,
    now: i64,
) -> Response {
    let (browser, set_cookie) = session::browser_binding(state, headers);
    let created = serde_json::to_string(req)
        .map_err(|e| crate::error::ServerError::Store(e.to_string()))
        .and_then(|json| state.store.create_interaction(KIND, &browser, &json, now));
    let (id, csrf) = match created {
        Ok(ok) => ok,
        Err(e) => {
            tracing::error!(error = %e, "creating a logout interaction failed");
            return html::error_page(
                StatusCode::INTERNAL_SERVER_ERROR,
                "server_error",
                "the server could not prepare the sign-out",
            );
        }
    };
    let client_name = req
        .client_id
        .as_deref()
        .and_then(|id| state.store.client(id).ok().flatten())
        .map(|c| c.config.client_name);
    let from = client_name
        .map(|n| format!(" requested by <strong>{}</strong>", escape(&n)))
        .unwrap_or_default();
    let body = format!(
        "<h1>Sign out?</h1><p class=\"sub\">You are signed in as <strong>{}</strong>. \
         Sign out of the oidckit dev server{from}?</p>\
         <form method=\"post\" action=\"{}\">{}{}\
         <div class=\"actions\">\
         <button type=\"submit\" name=\"logout\" value=\"yes\">Sign out</button>\
         <button type=\"submit\" name=\"logout\" value=\"no\" class=\"secondary\">Stay signed in\
         </button></div></form>",
        escape(&session.username),
        escape(&format!(
            "{}{}",
            issuer_path(&state.issuer),
            state.config.paths.resolve(paths::END_SESSION)
        )),
        hidden("interaction", &id),
        hidden("csrf", &csrf),
    );
    let targets: Vec<&str> = req
        .post_logout_redirect_uri
        .iter()
        .map(String::as_str)
        .collect();
    let mut res = html::page_with_form_targets(StatusCode::OK, "Sign out?", &body, &targets);
    if let Some(c) = set_cookie {
        res.headers_mut().append(header::SET_COOKIE, c);
    }
    res
}

/// `POST /end-session` from the confirmation page.
async fn confirm(state: &AppState, headers: &HeaderMap, form: &[(String, String)]) -> Response {
    let now = crate::app::now();
    let field = |name: &str| {
        form.iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    let id = field("interaction").filter(|v| session::is_handle(v));
    let csrf = field("csrf").filter(|v| session::is_handle(v));
    let browser = session::cookie_value(headers, session::INTERACTION_COOKIE);
    let (Some(id), Some(csrf), Some(browser)) = (id, csrf, browser) else {
        return bad("this sign-out page expired or was already used; start again");
    };
    let req: LogoutRequest = match state.store.interaction(id, KIND, &browser, csrf, now) {
        Ok(Some(i)) => match serde_json::from_str(&i.request) {
            Ok(r) => r,
            Err(_) => return bad("this sign-out page is invalid; start again"),
        },
        Ok(None) => return bad("this sign-out page expired or was already used; start again"),
        Err(e) => {
            tracing::error!(error = %e, "interaction lookup failed");
            return html::error_page(
                StatusCode::INTERNAL_SERVER_ERROR,
                "server_error",
                "the server could not read the sign-out state",
            );
        }
    };
    let _ = state.store.delete_interaction(id);
    if field("logout") != Some("yes") {
        return html::page(
            StatusCode::OK,
            "Still signed in",
            "<h1>Still signed in</h1><p class=\"sub\">You stayed signed in. You can close this \
             window.</p>",
        );
    }
    let current = session::current_session(state, headers, now).ok().flatten();
    if let Some(s) = &current {
        logout(state, s, now).await;
    }
    finish(state, &req, true, current.is_some())
}
