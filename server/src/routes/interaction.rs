//! The login and consent pages (OpenID Connect Core 1.0 §3.1.2.3 "Authorization Server
//! Authenticates End-User", §3.1.2.4 "Authorization Server Obtains End-User
//! Consent/Authorization").
//!
//! `GET /authorize` answers one of these pages when it needs the user; their forms post to
//! `/login` and `/consent` with hidden `interaction` and `csrf` inputs, and the browser must
//! present the `oidckit_interaction` cookie of the page (see `session.rs`). Passwords are
//! checked with Argon2 (`password::verify`); a failed sign-in shows the form again with an
//! error. Denying consent sends `access_denied` to the client (RFC 6749 §4.1.2.1).

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use axum::routing::get;

use crate::app::AppState;
use crate::config::ClientConfig;
use crate::html::{self, escape, hidden};
use crate::routes::authorize::{self, AuthRequest};
use crate::routes::discovery::{issuer_path, paths};
use crate::session::{self, SESSION_COOKIE, Session};

/// The interaction kind of authorization requests.
pub const KIND: &str = "authorize";

/// This module's routes, under the issuer path `prefix` (`""` for an issuer at the root).
pub fn routes(prefix: &str) -> Router<Arc<AppState>> {
    Router::new()
        .route(
            &format!("{prefix}{}", paths::LOGIN),
            get(no_interaction).post(post_login),
        )
        .route(
            &format!("{prefix}{}", paths::CONSENT),
            get(no_interaction).post(post_consent),
        )
}

async fn no_interaction() -> Response {
    html::error_page(
        StatusCode::BAD_REQUEST,
        "invalid_request",
        "this page is reached from an application's sign-in request; start again from the \
         application",
    )
}

fn action(state: &AppState, path: &str) -> String {
    format!(
        "{}{}",
        issuer_path(&state.issuer),
        state.config.paths.resolve(path)
    )
}

/// Starts an interaction for `req` and answers its first page: the login page, or the consent
/// page when `session` (a signed-in user who needs to consent) is given.
pub fn start(
    state: &AppState,
    headers: &HeaderMap,
    client: &ClientConfig,
    req: &AuthRequest,
    session: Option<&Session>,
    now: i64,
) -> Response {
    let (browser, set_cookie) = session::browser_binding(state, headers);
    let created = serde_json::to_string(req)
        .map_err(|e| crate::error::ServerError::Store(e.to_string()))
        .and_then(|json| state.store.create_interaction(KIND, &browser, &json, now))
        .and_then(|(id, csrf)| {
            if let Some(s) = session {
                state.store.interaction_signed_in(&id, s)?;
            }
            Ok((id, csrf))
        });
    let (id, csrf) = match created {
        Ok(ok) => ok,
        Err(e) => {
            tracing::error!(error = %e, "creating an interaction failed");
            return html::error_page(
                StatusCode::INTERNAL_SERVER_ERROR,
                "server_error",
                "the server could not start the sign-in",
            );
        }
    };
    let mut res = match session {
        None => login_page(state, client, req, &id, &csrf, None),
        Some(s) => consent_page(state, client, req, &s.username, &id, &csrf),
    };
    if let Some(c) = set_cookie {
        res.headers_mut().append(header::SET_COOKIE, c);
    }
    res
}

fn client_heading(client: &ClientConfig) -> String {
    let logo = client
        .logo_uri
        .as_deref()
        .filter(|u| html::is_web_url(u))
        .map(|u| format!("<img src=\"{}\" alt=\"\">", escape(u)))
        .unwrap_or_default();
    let description = if client.description.is_empty() {
        String::new()
    } else {
        format!("<span class=\"sub\">{}</span>", escape(&client.description))
    };
    format!(
        "<div class=\"client\">{logo}<div><strong>{}</strong><br>{description}</div></div>",
        escape(&client.client_name)
    )
}

/// The login page (OpenID Connect Core 1.0 §3.1.2.3).
fn login_page(
    state: &AppState,
    client: &ClientConfig,
    req: &AuthRequest,
    id: &str,
    csrf: &str,
    error: Option<&str>,
) -> Response {
    let username = req.login_hint.as_deref().unwrap_or("");
    let error = error
        .map(|e| format!("<p class=\"error\" role=\"alert\">{}</p>", escape(e)))
        .unwrap_or_default();
    let body = format!(
        "<h1>Sign in</h1><p class=\"sub\">to continue to <strong>{}</strong></p>{error}\
         <form method=\"post\" action=\"{}\">{}{}\
         <label for=\"username\">Username</label>\
         <input type=\"text\" id=\"username\" name=\"username\" value=\"{}\" \
         autocomplete=\"username\" autocapitalize=\"none\" spellcheck=\"false\" required{}>\
         <label for=\"password\">Password</label>\
         <input type=\"password\" id=\"password\" name=\"password\" \
         autocomplete=\"current-password\" required{}>\
         <div class=\"actions\"><button type=\"submit\">Sign in</button>\
         <button type=\"submit\" name=\"cancel\" value=\"1\" class=\"secondary\" \
         formnovalidate>Cancel</button></div></form>",
        escape(&client.client_name),
        escape(&action(state, paths::LOGIN)),
        hidden("interaction", id),
        hidden("csrf", csrf),
        escape(username),
        if username.is_empty() {
            " autofocus"
        } else {
            ""
        },
        if username.is_empty() {
            ""
        } else {
            " autofocus"
        },
    );
    html::page_with_form_targets(StatusCode::OK, "Sign in", &body, &[&req.redirect_uri])
}

/// The consent page (OpenID Connect Core 1.0 §3.1.2.4): the client, the scopes with their
/// configured descriptions, allow or deny.
fn consent_page(
    state: &AppState,
    client: &ClientConfig,
    req: &AuthRequest,
    username: &str,
    id: &str,
    csrf: &str,
) -> Response {
    let scopes: String = req
        .scope
        .split(' ')
        .map(|s| {
            let description = state
                .config
                .scopes
                .iter()
                .find(|k| k.name == s)
                .map_or("", |k| k.description.as_str());
            format!(
                "<li><code>{}</code><span>{}</span></li>",
                escape(s),
                escape(description)
            )
        })
        .collect();
    let links: String = [
        (client.client_uri.as_deref(), "Home page"),
        (client.policy_uri.as_deref(), "Privacy policy"),
        (client.tos_uri.as_deref(), "Terms of service"),
    ]
    .into_iter()
    .filter_map(|(u, label)| {
        u.filter(|u| html::is_web_url(u)).map(|u| {
            format!(
                "<li><a href=\"{}\" rel=\"noopener noreferrer\" target=\"_blank\">{label}</a></li>",
                escape(u)
            )
        })
    })
    .collect();
    let links = if links.is_empty() {
        String::new()
    } else {
        format!("<ul class=\"links\">{links}</ul>")
    };
    let body = format!(
        "<h1>Allow access?</h1><p class=\"sub\">Signed in as <strong>{}</strong></p>{}\
         <p>This application asks to:</p><ul class=\"scopes\">{scopes}</ul>{links}\
         <form method=\"post\" action=\"{}\">{}{}\
         <div class=\"actions\">\
         <button type=\"submit\" name=\"decision\" value=\"deny\" class=\"secondary\">Deny</button>\
         <button type=\"submit\" name=\"decision\" value=\"allow\">Allow</button>\
         </div></form>",
        escape(username),
        client_heading(client),
        escape(&action(state, paths::CONSENT)),
        hidden("interaction", id),
        hidden("csrf", csrf),
    );
    html::page_with_form_targets(StatusCode::OK, "Allow access?", &body, &[&req.redirect_uri])
}

fn field<'a>(form: &'a [(String, String)], name: &str) -> Option<&'a str> {
    form.iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

fn expired_page() -> Response {
    html::error_page(
        StatusCode::BAD_REQUEST,
        "invalid_request",
        "this sign-in page expired or was already used (or cookies are blocked); start again \
         from the application",
    )
}

/// The posted interaction, checked against the browser cookie and the CSRF token.
#[allow(clippy::result_large_err)]
fn load(
    state: &AppState,
    headers: &HeaderMap,
    form: &[(String, String)],
    now: i64,
) -> Result<
    (
        String,
        String,
        crate::session::Interaction,
        AuthRequest,
        ClientConfig,
    ),
    Response,
> {
    let id = field(form, "interaction").filter(|v| session::is_handle(v));
    let csrf = field(form, "csrf").filter(|v| session::is_handle(v));
    let browser = session::cookie_value(headers, session::INTERACTION_COOKIE);
    let (Some(id), Some(csrf), Some(browser)) = (id, csrf, browser) else {
        return Err(expired_page());
    };
    let interaction = match state.store.interaction(id, KIND, &browser, csrf, now) {
        Ok(Some(i)) => i,
        Ok(None) => return Err(expired_page()),
        Err(e) => {
            tracing::error!(error = %e, "interaction lookup failed");
            return Err(html::error_page(
                StatusCode::INTERNAL_SERVER_ERROR,
                "server_error",
                "the server could not read the sign-in state",
            ));
        }
    };
    let req: AuthRequest =
        serde_json::from_str(&interaction.request).map_err(|_| expired_page())?;
    let client = match state.store.client(&req.client_id) {
        Ok(Some(c)) => c.config,
        _ => return Err(expired_page()),
    };
    Ok((id.to_owned(), csrf.to_owned(), interaction, req, client))
}

/// `POST /login`: checks the credentials, starts the session (the `oidckit_session` cookie),
/// then shows the consent page or answers the client.
async fn post_login(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let now = crate::app::now();
    let form = match authorize::decode_form_body(&headers, &body) {
        Ok(f) => f,
        Err(why) => return html::error_page(StatusCode::BAD_REQUEST, "invalid_request", why),
    };
    let (id, csrf, _interaction, req, client) = match load(&state, &headers, &form, now) {
        Ok(ok) => ok,
        Err(res) => return res,
    };
    if field(&form, "cancel").is_some() {
        // The user gave up: the client learns it as access_denied (RFC 6749 §4.1.2.1).
        let _ = state.store.delete_interaction(&id);
        return authorize::error_response(
            &state,
            Some(&client),
            &target_of(&req),
            "access_denied",
            "the user cancelled the sign-in",
            true,
        );
    }
    let username = field(&form, "username").unwrap_or("").trim();
    let password = field(&form, "password").unwrap_or("");
    let user = match state.store.user(username) {
        Ok(u) => u,
        Err(e) => {
            tracing::error!(error = %e, "user lookup failed");
            None
        }
    };
    let ok = match &user {
        Some(u) => crate::password::verify(password, &u.config.password_hash),
        None => {
            // The same work for an unknown user as for a wrong password.
            let _ = crate::password::verify(password, DUMMY_HASH);
            false
        }
    };
    if !ok {
        tracing::info!(target: "oidckit_server::login", client = %client.client_id, outcome = "bad_credentials", "sign-in refused");
        let mut req = req;
        req.login_hint = Some(username.to_owned());
        let mut res = login_page(
            &state,
            &client,
            &req,
            &id,
            &csrf,
            Some("Wrong username or password."),
        );
        *res.status_mut() = StatusCode::OK;
        return res;
    }
    let lifetime = i64::try_from(state.config.lifetimes.session).unwrap_or(86400);
    // The browser's current session: re-authenticating its user keeps the session (same
    // `sid`, new `auth_time`); signing in as someone else ends it first (with back-channel
    // notifications, as any logout).
    let current = session::current_session(&state, &headers, now)
        .ok()
        .flatten();
    let current_cookie = session::cookie_value(&headers, SESSION_COOKIE);
    let started = match (&current, current_cookie) {
        (Some(s), Some(c)) if s.username == username => state
            .store
            .reauthenticate_session(&s.id, now, lifetime)
            .map(|s| (s, c)),
        _ => {
            if let Some(old) = &current {
                crate::backchannel::end_session(&state, old, now).await;
            }
            state.store.create_session(username, now, lifetime)
        }
    };
    let (session, cookie) = match started
        .and_then(|(s, c)| state.store.interaction_signed_in(&id, &s).map(|()| (s, c)))
    {
        Ok(ok) => ok,
        Err(e) => {
            tracing::error!(error = %e, "creating a session failed");
            return html::error_page(
                StatusCode::INTERNAL_SERVER_ERROR,
                "server_error",
                "the server could not start the session",
            );
        }
    };
    tracing::info!(target: "oidckit_server::login", client = %client.client_id, outcome = "signed_in", "sign-in");
    let set_cookie = session::set_cookie(&state, SESSION_COOKIE, &cookie, Some(lifetime));
    let mut res = match authorize::consent_needed(&state, &session.username, &req) {
        Ok(true) => consent_page(&state, &client, &req, &session.username, &id, &csrf),
        Ok(false) => {
            let _ = state.store.delete_interaction(&id);
            authorize::complete(&state, &client, &req, &session, true, now)
        }
        Err(e) => {
            tracing::error!(error = %e, "consent lookup failed");
            authorize::error_response(
                &state,
                Some(&client),
                &target_of(&req),
                "server_error",
                "the server failed to process the request",
                true,
            )
        }
    };
    res.headers_mut().append(header::SET_COOKIE, set_cookie);
    res
}

fn target_of(req: &AuthRequest) -> authorize::Target {
    authorize::target_for(req)
}

/// `POST /consent`: allow (remembered for the user and client) or deny (`access_denied`).
async fn post_consent(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let now = crate::app::now();
    let form = match authorize::decode_form_body(&headers, &body) {
        Ok(f) => f,
        Err(why) => return html::error_page(StatusCode::BAD_REQUEST, "invalid_request", why),
    };
    let (id, _csrf, interaction, req, client) = match load(&state, &headers, &form, now) {
        Ok(ok) => ok,
        Err(res) => return res,
    };
    let Some(sid) = interaction.session_id.as_deref() else {
        return expired_page();
    };
    let decision = field(&form, "decision");
    if !matches!(decision, Some("allow" | "deny")) {
        return html::error_page(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "the decision must be allow or deny",
        );
    }
    let _ = state.store.delete_interaction(&id);
    let target = target_of(&req);
    let session = match state.store.session(sid, now) {
        Ok(Some(s)) => s,
        Ok(None) => {
            return authorize::error_response(
                &state,
                Some(&client),
                &target,
                "login_required",
                "the session ended before consent was given",
                true,
            );
        }
        Err(e) => {
            tracing::error!(error = %e, "session lookup failed");
            return authorize::error_response(
                &state,
                Some(&client),
                &target,
                "server_error",
                "the server failed to process the request",
                true,
            );
        }
    };
    if decision == Some("deny") {
        tracing::info!(target: "oidckit_server::consent", client = %client.client_id, outcome = "denied", "consent");
        return authorize::error_response(
            &state,
            Some(&client),
            &target,
            "access_denied",
            "the user denied the request",
            true,
        );
    }
    if let Err(e) = state
        .store
        .remember_consent(&session.username, &client.client_id, &req.scope)
    {
        tracing::error!(error = %e, "storing consent failed");
    }
    authorize::complete(&state, &client, &req, &session, true, now)
}

/// An Argon2id hash of a random password, verified against for unknown users so that both
/// failures take the same time.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$+TkB9awhL1Fsb9kwCxErug$GB66EWjo0okvXxZubW4S7ckalSFQnBhX/bgePCfNcnY";
