//! The admin page (`{prefix}/admin`): clients, users, signing keys (rotation) and active grants
//! (revoke all of a user's tokens). Plain HTML forms, no script.
//!
//! Protection: an admin password, generated at first start (printed once in the start banner)
//! or set with `--admin-password` / `OIDCKIT_ADMIN_PASSWORD`, stored as an Argon2id hash in the
//! `settings` table. Signing in sets a random session cookie (`HttpOnly; SameSite=Strict`,
//! RFC 6265bis §4.1.2.7) whose session lives in memory; every POST form carries the session's
//! CSRF token (synchronizer token, OWASP CSRF cheat sheet), compared in constant time. Every value
//! shown is HTML-escaped; responses are `no-store`, framing is refused (`frame-ancestors 'none'`).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex, RwLock};

use axum::Router;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand_core::CryptoRng;
use subtle::ConstantTimeEq as _;

use crate::app::{AppState, now};
use crate::config::{
    ClientConfig, ClientType, KNOWN_AUTH_METHODS, KNOWN_GRANT_TYPES, KNOWN_RESPONSE_TYPES, Secret,
    UserConfig,
};
use crate::error::ServerError;
use crate::routes::discovery::paths;
use crate::store::Store;
use crate::tokens::{handle_hash, random_handle};

/// The `settings` row holding the admin password's Argon2id PHC string.
pub const PASSWORD_SETTING: &str = "admin_password_hash";
/// The admin session cookie.
pub const COOKIE: &str = "oidckit_admin";
/// How long an admin session lasts (seconds).
const SESSION_LIFETIME: i64 = 8 * 3600;

/// The admin password and the signed-in sessions.
pub struct AdminAuth {
    password_hash: RwLock<String>,
    generated: Option<Secret>,
    sessions: Mutex<HashMap<String, AdminSession>>,
}

impl std::fmt::Debug for AdminAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdminAuth").finish_non_exhaustive()
    }
}

#[derive(Debug, Clone)]
struct AdminSession {
    csrf: String,
    expires_at: i64,
}

impl AdminAuth {
    /// Loads the admin password hash from the store. With `given`, its hash replaces the stored
    /// one; with none stored, a random password is generated, its hash stored, and the password
    /// kept for the banner ([`AdminAuth::generated_password`]).
    pub fn load<R: CryptoRng + ?Sized>(
        store: &Store,
        given: Option<&Secret>,
        rng: &mut R,
    ) -> Result<Self, ServerError> {
        let mut generated = None;
        let hash = match (given, store.setting(PASSWORD_SETTING)?) {
            (Some(pw), _) => {
                if pw.expose().is_empty() {
                    return Err(ServerError::Config(
                        "the admin password must not be empty".into(),
                    ));
                }
                let h = crate::password::hash(pw.expose())?;
                store.set_setting(PASSWORD_SETTING, &h)?;
                h
            }
            (None, Some(h)) => h,
            (None, None) => {
                let mut bytes = [0u8; 18];
                rng.fill_bytes(&mut bytes);
                let pw = URL_SAFE_NO_PAD.encode(bytes);
                let h = crate::password::hash(&pw)?;
                store.set_setting(PASSWORD_SETTING, &h)?;
                generated = Some(Secret::new(pw));
                h
            }
        };
        Ok(Self {
            password_hash: RwLock::new(hash),
            generated,
            sessions: Mutex::new(HashMap::new()),
        })
    }

    /// The password generated at this start (first start only), to print once.
    pub fn generated_password(&self) -> Option<&str> {
        self.generated.as_ref().map(Secret::expose)
    }

    fn check_password(&self, password: &str) -> bool {
        self.password_hash
            .read()
            .is_ok_and(|h| crate::password::verify(password, &h))
    }

    /// Starts a session: returns (cookie value, CSRF token).
    fn open_session(&self, now: i64) -> Option<(String, String)> {
        let token = random_handle();
        let csrf = random_handle();
        let mut sessions = self.sessions.lock().ok()?;
        sessions.retain(|_, s| s.expires_at > now);
        sessions.insert(
            handle_hash(&token),
            AdminSession {
                csrf: csrf.clone(),
                expires_at: now + SESSION_LIFETIME,
            },
        );
        Some((token, csrf))
    }

    /// The CSRF token of the session named by the request's cookie, if signed in.
    fn session(&self, headers: &HeaderMap, now: i64) -> Option<String> {
        let token = cookie(headers, COOKIE)?;
        let sessions = self.sessions.lock().ok()?;
        sessions
            .get(&handle_hash(&token))
            .filter(|s| s.expires_at > now)
            .map(|s| s.csrf.clone())
    }

    fn close_session(&self, headers: &HeaderMap) {
        if let (Some(token), Ok(mut sessions)) = (cookie(headers, COOKIE), self.sessions.lock()) {
            sessions.remove(&handle_hash(&token));
        }
    }
}

/// A cookie's value from the `Cookie` header fields (RFC 6265 §5.4).
fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.to_owned())
}

/// Whether a POST comes from this server's own pages: no `Origin` header (not a browser, or an
/// old one), or an `Origin` (RFC 6454 §7) whose host and port are the request's `Host`. A
/// defence in depth next to the CSRF token and the `SameSite=Strict` cookie, which also covers
/// the sign-in form (login CSRF).
fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN) else {
        return true;
    };
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    match (origin.to_str().ok(), host) {
        (Some(o), Some(h)) => o.split_once("://").is_some_and(|(scheme, authority)| {
            matches!(scheme, "http" | "https") && authority.eq_ignore_ascii_case(h)
        }),
        _ => false,
    }
}

impl Store {
    /// Active (not revoked) grants per user: `(username, count)`, users with none left out.
    pub fn active_grant_counts(&self) -> Result<Vec<(String, i64)>, ServerError> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare(
            "SELECT username, COUNT(*) FROM grants
             WHERE revoked_at IS NULL AND username IS NOT NULL
             GROUP BY username ORDER BY username",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

/// This module's routes, under the issuer path `prefix` (`""` for an issuer at the root).
pub fn routes(prefix: &str) -> Router<Arc<AppState>> {
    let a = format!("{prefix}{}", paths::ADMIN);
    Router::new()
        .route(&a, get(home))
        .route(&format!("{a}/login"), post(login))
        .route(&format!("{a}/logout"), post(logout))
        .route(&format!("{a}/clients"), get(clients_page))
        .route(&format!("{a}/clients/edit"), get(client_form_page))
        .route(&format!("{a}/clients/save"), post(client_save))
        .route(&format!("{a}/clients/delete"), post(client_delete))
        .route(&format!("{a}/users"), get(users_page))
        .route(&format!("{a}/users/edit"), get(user_form_page))
        .route(&format!("{a}/users/save"), post(user_save))
        .route(&format!("{a}/users/delete"), post(user_delete))
        .route(&format!("{a}/keys"), get(keys_page))
        .route(&format!("{a}/keys/rotate"), post(keys_rotate))
        .route(&format!("{a}/grants"), get(grants_page))
        .route(&format!("{a}/grants/revoke"), post(grants_revoke))
        .route(&format!("{a}/scenario"), post(set_global_scenario))
}

type Fields = Vec<(String, String)>;

// ---------------------------------------------------------------------------------------------
// HTML helpers

/// HTML-escapes text for element content and quoted attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The admin page's path (its configured `[paths] admin` under the issuer path): links, form
/// targets and the cookie's `Path`.
fn base(state: &AppState) -> String {
    format!(
        "{}{}",
        crate::routes::discovery::issuer_path(&state.issuer),
        state.config.paths.resolve(paths::ADMIN)
    )
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:1.5rem;max-width:70rem}\
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.25rem .5rem;text-align:left;\
vertical-align:top}label{display:block;margin-top:.6rem;font-weight:600}\
input[type=text],input[type=password],input[type=url],select,textarea{width:100%;max-width:40rem}\
textarea{font-family:monospace}.error{color:#a00;font-weight:600}.notice{color:#060}\
nav a{margin-right:1rem}.banner{background:#fee;border:1px solid #c00;padding:.5rem}\
fieldset label{display:inline;font-weight:normal;margin-right:1rem}";

fn html_response(
    status: StatusCode,
    title: &str,
    nav: Option<(&str, &str)>,
    body: &str,
) -> Response {
    let mut page = String::new();
    let _ = write!(
        page,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>{t} · oidckit-server admin</title><style>{STYLE}</style></head><body>\
         <p class=\"banner\">oidckit-server: development only.</p>",
        t = escape(title)
    );
    if let Some((base, csrf)) = nav {
        let _ = write!(
            page,
            "<nav aria-label=\"Admin sections\"><a href=\"{b}\">Home</a><a href=\"{b}/clients\">Clients</a>\
             <a href=\"{b}/users\">Users</a><a href=\"{b}/keys\">Keys</a><a href=\"{b}/grants\">Grants</a>\
             <form method=\"post\" action=\"{b}/logout\" style=\"display:inline\">{c}\
             <button type=\"submit\">Sign out</button></form></nav>",
            b = escape(base),
            c = csrf_input(csrf)
        );
    }
    let _ = write!(
        page,
        "<main><h1>{}</h1>{body}</main></body></html>",
        escape(title)
    );
    let mut res = (status, page).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'; \
             frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    res
}

fn csrf_input(csrf: &str) -> String {
    format!(
        "<input type=\"hidden\" name=\"csrf\" value=\"{}\">",
        escape(csrf)
    )
}

fn see_other(location: &str) -> Response {
    let mut res = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(location) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// A UTC timestamp `YYYY-MM-DD HH:MM:SSZ` (proleptic Gregorian, days-from-civil inverse).
pub fn format_time(t: i64) -> String {
    let days = t.div_euclid(86400);
    let secs = t.rem_euclid(86400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

fn opt_time(t: Option<i64>) -> String {
    t.map_or_else(|| "never".to_owned(), format_time)
}

fn field<'a>(form: &'a [(String, String)], name: &str) -> &'a str {
    form.iter()
        .find(|(n, _)| n == name)
        .map_or("", |(_, v)| v.as_str())
}

fn all<'a>(form: &'a [(String, String)], name: &str) -> Vec<&'a str> {
    form.iter()
        .filter(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
        .collect()
}

fn lines(s: &str) -> Vec<String> {
    s.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

fn opt(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

fn server_error(e: &ServerError) -> Response {
    tracing::error!(error = %e, "admin page: store failure");
    html_response(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Server error",
        None,
        "<p class=\"error\">The operation failed; see the server log.</p>",
    )
}

// ---------------------------------------------------------------------------------------------
// Authentication

/// Signed in: the CSRF token. Otherwise the login page (GET).
fn require(state: &AppState, headers: &HeaderMap) -> Result<String, Box<Response>> {
    state
        .admin
        .session(headers, now())
        .ok_or_else(|| Box::new(login_page(state, StatusCode::OK, None)))
}

/// A signed-in POST with the right CSRF token; else 403.
fn require_post(
    state: &AppState,
    headers: &HeaderMap,
    form: &Result<Form<Fields>, FormRejection>,
) -> Result<(String, Fields), Box<Response>> {
    let forbidden = |why: &str| {
        Box::new(html_response(
            StatusCode::FORBIDDEN,
            "Forbidden",
            None,
            &format!(
                "<p class=\"error\">{}</p><p><a href=\"{}\">Sign in</a></p>",
                escape(why),
                escape(&base(state))
            ),
        ))
    };
    if !same_origin(headers) {
        return Err(forbidden("The form was posted from another origin."));
    }
    let Some(csrf) = state.admin.session(headers, now()) else {
        return Err(forbidden("Not signed in (or the session expired)."));
    };
    let Ok(Form(fields)) = form else {
        return Err(forbidden("The form could not be read."));
    };
    let sent = field(fields, "csrf");
    if !bool::from(sent.as_bytes().ct_eq(csrf.as_bytes())) {
        return Err(forbidden("The form's CSRF token is missing or wrong."));
    }
    Ok((csrf, fields.clone()))
}

fn login_page(state: &AppState, status: StatusCode, error: Option<&str>) -> Response {
    let mut body = String::new();
    if let Some(e) = error {
        let _ = write!(body, "<p class=\"error\" role=\"alert\">{}</p>", escape(e));
    }
    let _ = write!(
        body,
        "<form method=\"post\" action=\"{b}/login\"><label for=\"password\">Admin password</label>\
         <input type=\"password\" id=\"password\" name=\"password\" autocomplete=\"current-password\" required autofocus>\
         <p><button type=\"submit\">Sign in</button></p></form>\
         <p>The admin password was printed once in the start banner; \
         <code>--admin-password</code> or <code>OIDCKIT_ADMIN_PASSWORD</code> sets it.</p>",
        b = escape(&base(state))
    );
    html_response(status, "Sign in", None, &body)
}

async fn login(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    form: Result<Form<Fields>, FormRejection>,
) -> Response {
    if !same_origin(&headers) {
        return login_page(
            &state,
            StatusCode::FORBIDDEN,
            Some("The sign-in form was posted from another origin."),
        );
    }
    let password = match &form {
        Ok(Form(f)) => field(f, "password").to_owned(),
        Err(_) => String::new(),
    };
    // Argon2 verification is deliberately slow: keep it off the async workers.
    let st = state.clone();
    let ok = tokio::task::spawn_blocking(move || st.admin.check_password(&password))
        .await
        .unwrap_or(false);
    if !ok {
        tracing::warn!("admin sign-in refused");
        return login_page(
            &state,
            StatusCode::UNAUTHORIZED,
            Some("Wrong admin password."),
        );
    }
    let Some((token, _)) = state.admin.open_session(now()) else {
        return server_error(&ServerError::Store("admin sessions unavailable".into()));
    };
    let base = base(&state);
    let mut res = see_other(&base);
    let cookie = format!(
        "{COOKIE}={token}; Path={base}; HttpOnly; SameSite=Strict; Max-Age={SESSION_LIFETIME}{}",
        if state.issuer.starts_with("https:") {
            "; Secure"
        } else {
            ""
        }
    );
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        res.headers_mut().insert(header::SET_COOKIE, v);
    }
    res
}

async fn logout(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    form: Result<Form<Fields>, FormRejection>,
) -> Response {
    if let Err(r) = require_post(&state, &headers, &form) {
        return *r;
    }
    state.admin.close_session(&headers);
    let base = base(&state);
    let mut res = see_other(&base);
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{COOKIE}=; Path={base}; HttpOnly; SameSite=Strict; Max-Age=0"
    )) {
        res.headers_mut().insert(header::SET_COOKIE, v);
    }
    res
}

// ---------------------------------------------------------------------------------------------
// Pages

async fn home(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    let csrf = match require(&state, &headers) {
        Ok(c) => c,
        Err(r) => return *r,
    };
    let b = base(&state);
    let body = format!(
        "<p>Issuer: <code>{}</code></p><ul>\
         <li><a href=\"{b}/clients\">Clients</a>: register, edit, delete; keys and scenarios</li>\
         <li><a href=\"{b}/users\">Users</a>: passwords, claims, JWT bearer permission</li>\
         <li><a href=\"{b}/keys\">Signing keys</a>: list and rotate</li>\
         <li><a href=\"{b}/grants\">Grants</a>: revoke all of a user's tokens</li></ul>",
        escape(&state.issuer),
        b = escape(&b)
    );
    let global = crate::scenario::global(&state);
    let mut body = body;
    let _ = write!(
        body,
        "<h2>Global misbehaviour switch</h2><p>Applies to every client without its own scenario \
         (also <code>POST {}/scenario</code>).</p><form method=\"post\" action=\"{}/scenario\">{}",
        escape(crate::routes::discovery::issuer_path(&state.issuer)),
        escape(&b),
        csrf_input(&csrf)
    );
    scenario_select(&mut body, global.name(), "global-scenario");
    body.push_str("<p><button type=\"submit\">Set</button></p></form>");
    html_response(StatusCode::OK, "Admin", Some((&b, &csrf)), &body)
}

#[derive(serde::Deserialize)]
struct IdQuery {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    notice: Option<String>,
}

async fn clients_page(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    q: Result<Query<IdQuery>, QueryRejection>,
) -> Response {
    let csrf = match require(&state, &headers) {
        Ok(c) => c,
        Err(r) => return *r,
    };
    let clients = match state.store.clients() {
        Ok(c) => c,
        Err(e) => return server_error(&e),
    };
    let b = base(&state);
    let mut body = String::new();
    if let Some(n) = q.as_ref().ok().and_then(|q| q.notice.as_deref()) {
        let _ = write!(
            body,
            "<p class=\"notice\" role=\"status\">{}</p>",
            escape(n)
        );
    }
    let _ = write!(
        body,
        "<p><a href=\"{}/clients/edit\">New client</a></p>\
         <table><caption>Clients</caption><thead><tr><th scope=\"col\">Client ID</th><th scope=\"col\">Name</th>\
         <th scope=\"col\">Type</th><th scope=\"col\">Redirect URIs</th><th scope=\"col\">Auth method</th>\
         <th scope=\"col\">Scenario</th><th scope=\"col\">Source</th><th scope=\"col\">Key last updated</th>\
         <th scope=\"col\">Last used</th><th scope=\"col\">Actions</th></tr></thead><tbody>",
        escape(&b)
    );
    for c in &clients {
        let cfg = &c.config;
        let uris = cfg
            .resolved_redirect_uris(&state.issuer)
            .iter()
            .map(|u| escape(u))
            .collect::<Vec<_>>()
            .join("<br>");
        let _ = write!(
            body,
            "<tr><td><code>{id}</code></td><td>{name}</td><td>{ty}</td><td>{uris}</td><td>{m}</td>\
             <td>{sc}</td><td>{src}</td><td>{ku}</td><td>{lu}</td><td>\
             <a href=\"{b}/clients/edit?id={qid}\">Edit</a>\
             <form method=\"post\" action=\"{b}/clients/delete\">{csrf}\
             <input type=\"hidden\" name=\"client_id\" value=\"{id}\">\
             <button type=\"submit\" aria-label=\"Delete {id}\">Delete</button></form></td></tr>",
            id = escape(&cfg.client_id),
            qid = escape(&query_escape(&cfg.client_id)),
            name = escape(&cfg.client_name),
            ty = client_type_name(cfg.client_type),
            m = escape(&cfg.token_endpoint_auth_method),
            sc = escape(cfg.scenario.as_deref().unwrap_or("none")),
            src = escape(&c.source),
            ku = if c.key_updated_at.is_some() {
                opt_time(c.key_updated_at)
            } else {
                "no keys".into()
            },
            lu = opt_time(c.last_used_at),
            b = escape(&b),
            csrf = csrf_input(&csrf),
        );
    }
    body.push_str(
        "</tbody></table><p>Clients from the configuration file (source <q>config</q>) are \
         written back from the file at every start; edits made here to them last until then.</p>",
    );
    html_response(StatusCode::OK, "Clients", Some((&b, &csrf)), &body)
}

fn client_type_name(t: ClientType) -> &'static str {
    match t {
        ClientType::Public => "public",
        ClientType::Confidential => "confidential",
        ClientType::ResourceServer => "resource_server",
    }
}

/// Percent-encodes a query value (RFC 3986 §3.4, unreserved characters kept).
fn query_escape(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// The form fields of a stored client (for the edit form).
fn client_fields(c: &ClientConfig) -> Fields {
    let mut f: Fields = vec![
        ("original_id".into(), c.client_id.clone()),
        ("client_id".into(), c.client_id.clone()),
        ("client_name".into(), c.client_name.clone()),
        ("description".into(), c.description.clone()),
        ("type".into(), client_type_name(c.client_type).into()),
        ("redirect_uris".into(), c.redirect_uris.join("\n")),
        (
            "post_logout_redirect_uris".into(),
            c.post_logout_redirect_uris.join("\n"),
        ),
        (
            "token_endpoint_auth_method".into(),
            c.token_endpoint_auth_method.clone(),
        ),
        (
            "token_endpoint_auth_signing_alg".into(),
            c.token_endpoint_auth_signing_alg
                .clone()
                .unwrap_or_default(),
        ),
        ("scope".into(), c.scope.clone().unwrap_or_default()),
        (
            "default_max_age".into(),
            c.default_max_age.map(|v| v.to_string()).unwrap_or_default(),
        ),
        ("logo_uri".into(), c.logo_uri.clone().unwrap_or_default()),
        (
            "client_uri".into(),
            c.client_uri.clone().unwrap_or_default(),
        ),
        (
            "policy_uri".into(),
            c.policy_uri.clone().unwrap_or_default(),
        ),
        ("tos_uri".into(), c.tos_uri.clone().unwrap_or_default()),
        ("contacts".into(), c.contacts.join("\n")),
        (
            "jwks".into(),
            c.jwks
                .as_ref()
                .and_then(|j| serde_json::to_string_pretty(j).ok())
                .unwrap_or_default(),
        ),
        ("jwks_uri".into(), c.jwks_uri.clone().unwrap_or_default()),
        (
            "public_key_pem".into(),
            c.public_key_pem.clone().unwrap_or_default(),
        ),
        ("allowed_cidrs".into(), c.allowed_cidrs.join("\n")),
        ("jwt_bearer_users".into(), c.jwt_bearer_users.join("\n")),
        (
            "application_type".into(),
            c.application_type.clone().unwrap_or_default(),
        ),
        (
            "id_token_signed_response_alg".into(),
            c.id_token_signed_response_alg.clone().unwrap_or_default(),
        ),
        (
            "userinfo_signed_response_alg".into(),
            c.userinfo_signed_response_alg.clone().unwrap_or_default(),
        ),
        (
            "backchannel_logout_uri".into(),
            c.backchannel_logout_uri.clone().unwrap_or_default(),
        ),
        (
            "scenario".into(),
            c.scenario.clone().unwrap_or_else(|| "none".into()),
        ),
    ];
    if c.backchannel_logout_session_required {
        f.push(("backchannel_logout_session_required".into(), "on".into()));
    }
    for g in &c.grant_types {
        f.push(("grant_types".into(), g.clone()));
    }
    for r in &c.response_types {
        f.push(("response_types".into(), r.clone()));
    }
    f
}

fn text_input(out: &mut String, f: &[(String, String)], name: &str, label: &str, hint: &str) {
    let _ = write!(
        out,
        "<label for=\"{n}\">{l}</label><input type=\"text\" id=\"{n}\" name=\"{n}\" value=\"{v}\"{d}>",
        n = name,
        l = escape(label),
        v = escape(field(f, name)),
        d = if hint.is_empty() {
            String::new()
        } else {
            format!(" aria-describedby=\"{name}-hint\"")
        }
    );
    if !hint.is_empty() {
        let _ = write!(out, "<small id=\"{name}-hint\">{}</small>", escape(hint));
    }
}

fn textarea(out: &mut String, f: &[(String, String)], name: &str, label: &str, hint: &str) {
    let _ = write!(
        out,
        "<label for=\"{n}\">{l}</label><textarea id=\"{n}\" name=\"{n}\" rows=\"4\" \
         aria-describedby=\"{n}-hint\">{v}</textarea><small id=\"{n}-hint\">{h}</small>",
        n = name,
        l = escape(label),
        v = escape(field(f, name)),
        h = escape(hint)
    );
}

fn select(out: &mut String, f: &[(String, String)], name: &str, label: &str, options: &[&str]) {
    let current = field(f, name);
    let _ = write!(
        out,
        "<label for=\"{name}\">{}</label><select id=\"{name}\" name=\"{name}\">",
        escape(label)
    );
    for o in options {
        let _ = write!(
            out,
            "<option value=\"{v}\"{s}>{t}</option>",
            v = escape(o),
            s = if *o == current { " selected" } else { "" },
            t = if o.is_empty() { "(default)" } else { o }
        );
    }
    out.push_str("</select>");
}

/// A select of every scenario, with its description (`scenario.rs`).
fn scenario_select(out: &mut String, current: &str, id: &str) {
    let current = if current.is_empty() { "none" } else { current };
    let _ = write!(
        out,
        "<label for=\"{id}\">Misbehaviour scenario</label><select id=\"{id}\" name=\"scenario\">"
    );
    for name in crate::scenario::Scenario::ALL {
        let description = crate::scenario::Scenario::parse(name)
            .map(|s| s.description())
            .unwrap_or_default();
        let _ = write!(
            out,
            "<option value=\"{v}\"{s}>{v}: {d}</option>",
            v = escape(name),
            s = if *name == current { " selected" } else { "" },
            d = escape(description)
        );
    }
    out.push_str("</select>");
}

fn checkboxes(
    out: &mut String,
    f: &[(String, String)],
    name: &str,
    legend: &str,
    options: &[&str],
) {
    let chosen = all(f, name);
    let _ = write!(out, "<fieldset><legend>{}</legend>", escape(legend));
    for (i, o) in options.iter().enumerate() {
        let _ = write!(
            out,
            "<input type=\"checkbox\" id=\"{name}-{i}\" name=\"{name}\" value=\"{v}\"{c}>\
             <label for=\"{name}-{i}\">{v}</label> ",
            v = escape(o),
            c = if chosen.contains(o) { " checked" } else { "" }
        );
    }
    out.push_str("</fieldset>");
}

fn render_client_form(
    state: &AppState,
    csrf: &str,
    f: &[(String, String)],
    error: Option<&str>,
    status: StatusCode,
) -> Response {
    let b = base(state);
    let editing = !field(f, "original_id").is_empty();
    let mut body = String::new();
    if let Some(e) = error {
        let _ = write!(body, "<p class=\"error\" role=\"alert\">{}</p>", escape(e));
    }
    let _ = write!(
        body,
        "<form method=\"post\" action=\"{}/clients/save\">{}\
         <input type=\"hidden\" name=\"original_id\" value=\"{}\">",
        escape(&b),
        csrf_input(csrf),
        escape(field(f, "original_id"))
    );
    text_input(
        &mut body,
        f,
        "client_id",
        "Client ID",
        if editing {
            "Changing it registers a new client and deletes this one."
        } else {
            "Leave empty to generate one."
        },
    );
    let _ = write!(
        body,
        "<label for=\"client_secret\">Client secret</label>\
         <input type=\"text\" id=\"client_secret\" name=\"client_secret\" value=\"\" autocomplete=\"off\" aria-describedby=\"client_secret-hint\">\
         <small id=\"client_secret-hint\">{}</small>\
         <p><input type=\"checkbox\" id=\"regenerate_secret\" name=\"regenerate_secret\" value=\"on\">\
         <label for=\"regenerate_secret\" style=\"display:inline\">Generate a new secret</label></p>",
        if editing {
            "Leave empty to keep the current secret."
        } else {
            "Leave empty to generate one (confidential clients using client_secret_*)."
        }
    );
    text_input(&mut body, f, "client_name", "Name", "");
    text_input(&mut body, f, "description", "Description", "");
    select(
        &mut body,
        f,
        "type",
        "Type",
        &["public", "confidential", "resource_server"],
    );
    textarea(
        &mut body,
        f,
        "redirect_uris",
        "Redirect URIs",
        "One per line, matched exactly; {issuer} is replaced by the issuer.",
    );
    textarea(
        &mut body,
        f,
        "post_logout_redirect_uris",
        "Post-logout redirect URIs",
        "One per line.",
    );
    checkboxes(
        &mut body,
        f,
        "grant_types",
        "Grant types",
        KNOWN_GRANT_TYPES,
    );
    checkboxes(
        &mut body,
        f,
        "response_types",
        "Response types",
        KNOWN_RESPONSE_TYPES,
    );
    select(
        &mut body,
        f,
        "token_endpoint_auth_method",
        "Token endpoint authentication method",
        KNOWN_AUTH_METHODS,
    );
    text_input(
        &mut body,
        f,
        "token_endpoint_auth_signing_alg",
        "Authentication signing algorithm",
        "For client_secret_jwt (HS256...) or private_key_jwt (RS256, ES256...); empty: any.",
    );
    text_input(
        &mut body,
        f,
        "scope",
        "Default scope",
        "Space-separated configured scopes.",
    );
    text_input(
        &mut body,
        f,
        "default_max_age",
        "Default max age (seconds)",
        "",
    );
    text_input(&mut body, f, "logo_uri", "Logo URL", "");
    text_input(&mut body, f, "client_uri", "Home page URL", "");
    text_input(&mut body, f, "policy_uri", "Privacy policy URL", "");
    text_input(&mut body, f, "tos_uri", "Terms of service URL", "");
    textarea(&mut body, f, "contacts", "Contact emails", "One per line.");
    textarea(
        &mut body,
        f,
        "jwks",
        "Public keys (JWK Set JSON)",
        "{\"keys\": [...]}; for private_key_jwt and the JWT bearer grant.",
    );
    text_input(
        &mut body,
        f,
        "jwks_uri",
        "JWKS URL",
        "Excludes the JWK Set above.",
    );
    textarea(
        &mut body,
        f,
        "public_key_pem",
        "Public key PEM or X.509 certificate",
        "-----BEGIN PUBLIC KEY----- or -----BEGIN CERTIFICATE-----.",
    );
    textarea(
        &mut body,
        f,
        "allowed_cidrs",
        "Allowed source addresses (CIDR)",
        "One block per line (127.0.0.0/8, ::1/128); empty: any address.",
    );
    textarea(
        &mut body,
        f,
        "jwt_bearer_users",
        "Users this client may assert (JWT bearer grant)",
        "One username per line.",
    );
    select(
        &mut body,
        f,
        "application_type",
        "Application type",
        &["", "web", "native"],
    );
    text_input(
        &mut body,
        f,
        "id_token_signed_response_alg",
        "ID Token signing algorithm",
        "Empty: the server's.",
    );
    text_input(
        &mut body,
        f,
        "userinfo_signed_response_alg",
        "UserInfo signing algorithm",
        "Set it to get signed UserInfo responses.",
    );
    text_input(
        &mut body,
        f,
        "backchannel_logout_uri",
        "Back-channel logout URL",
        "",
    );
    let _ = write!(
        body,
        "<p><input type=\"checkbox\" id=\"backchannel_logout_session_required\" \
         name=\"backchannel_logout_session_required\" value=\"on\"{}>\
         <label for=\"backchannel_logout_session_required\" style=\"display:inline\">\
         Back-channel logout requires sid</label></p>",
        if field(f, "backchannel_logout_session_required") == "on" {
            " checked"
        } else {
            ""
        }
    );
    scenario_select(&mut body, field(f, "scenario"), "scenario");
    body.push_str("<p><button type=\"submit\">Save</button></p></form>");
    let title = if editing { "Edit client" } else { "New client" };
    html_response(status, title, Some((&b, csrf)), &body)
}

async fn client_form_page(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    q: Result<Query<IdQuery>, QueryRejection>,
) -> Response {
    let csrf = match require(&state, &headers) {
        Ok(c) => c,
        Err(r) => return *r,
    };
    let fields = match q.as_ref().ok().and_then(|q| q.id.as_deref()) {
        Some(id) => match state.store.client(id) {
            Ok(Some(c)) => client_fields(&c.config),
            Ok(None) => {
                return html_response(
                    StatusCode::NOT_FOUND,
                    "No such client",
                    Some((&base(&state), &csrf)),
                    "<p class=\"error\">No client has that ID.</p>",
                );
            }
            Err(e) => return server_error(&e),
        },
        None => vec![
            ("type".into(), "confidential".into()),
            (
                "token_endpoint_auth_method".into(),
                "client_secret_basic".into(),
            ),
            ("grant_types".into(), "authorization_code".into()),
            ("response_types".into(), "code".into()),
            ("scope".into(), "openid".into()),
            ("scenario".into(), "none".into()),
        ],
    };
    render_client_form(&state, &csrf, &fields, None, StatusCode::OK)
}

/// Builds a client from the form; `old` is the stored client being edited.
fn client_from_form(
    state: &AppState,
    f: &[(String, String)],
    old: Option<&ClientConfig>,
) -> Result<(ClientConfig, Option<String>), String> {
    let client_type = match field(f, "type") {
        "public" => ClientType::Public,
        "confidential" => ClientType::Confidential,
        "resource_server" => ClientType::ResourceServer,
        other => return Err(format!("unknown client type {other:?}")),
    };
    let client_id = opt(field(f, "client_id")).unwrap_or_else(|| {
        let h = random_handle();
        format!("client-{}", h.get(..16).unwrap_or(&h))
    });
    let method = field(f, "token_endpoint_auth_method").to_owned();
    let needs_secret = client_type != ClientType::Public && method.starts_with("client_secret_");
    let mut new_secret = None;
    let client_secret = if !needs_secret && client_type == ClientType::Public {
        None
    } else if let Some(s) = opt(field(f, "client_secret")) {
        new_secret = Some(s.clone());
        Some(Secret::new(s))
    } else if field(f, "regenerate_secret") != "on"
        && let Some(s) = old.and_then(|o| o.client_secret.clone())
    {
        Some(s)
    } else if needs_secret {
        let s = random_handle();
        new_secret = Some(s.clone());
        Some(Secret::new(s))
    } else {
        None
    };
    let jwks = match opt(field(f, "jwks")) {
        None => None,
        Some(text) => Some(
            serde_json::from_str::<oidckit::Object>(&text)
                .map_err(|e| format!("the JWK Set is not a JSON object: {e}"))?,
        ),
    };
    let default_max_age = match opt(field(f, "default_max_age")) {
        None => None,
        Some(v) => Some(
            v.parse::<u64>()
                .map_err(|_| format!("default max age {v:?} is not a number of seconds"))?,
        ),
    };
    let scenario = match field(f, "scenario") {
        "" | "none" => None,
        s => {
            crate::scenario::Scenario::parse(s).map_err(|e| e.to_string())?;
            Some(s.to_owned())
        }
    };
    let jwt_bearer_users = lines(field(f, "jwt_bearer_users"));
    for u in &jwt_bearer_users {
        match state.store.user(u) {
            Ok(Some(_)) => {}
            Ok(None) => return Err(format!("jwt_bearer_users names the unknown user {u:?}")),
            Err(e) => return Err(e.to_string()),
        }
    }
    let c = ClientConfig {
        client_id,
        client_secret,
        client_name: field(f, "client_name").trim().to_owned(),
        description: field(f, "description").trim().to_owned(),
        client_type,
        redirect_uris: lines(field(f, "redirect_uris")),
        post_logout_redirect_uris: lines(field(f, "post_logout_redirect_uris")),
        grant_types: all(f, "grant_types")
            .into_iter()
            .map(str::to_owned)
            .collect(),
        response_types: all(f, "response_types")
            .into_iter()
            .map(str::to_owned)
            .collect(),
        token_endpoint_auth_method: method,
        token_endpoint_auth_signing_alg: opt(field(f, "token_endpoint_auth_signing_alg")),
        scope: opt(field(f, "scope")),
        default_max_age,
        logo_uri: opt(field(f, "logo_uri")),
        client_uri: opt(field(f, "client_uri")),
        policy_uri: opt(field(f, "policy_uri")),
        tos_uri: opt(field(f, "tos_uri")),
        contacts: lines(field(f, "contacts")),
        jwks,
        jwks_uri: opt(field(f, "jwks_uri")),
        public_key_pem: opt(field(f, "public_key_pem")),
        allowed_cidrs: lines(field(f, "allowed_cidrs")),
        jwt_bearer_users,
        application_type: opt(field(f, "application_type")),
        id_token_signed_response_alg: opt(field(f, "id_token_signed_response_alg")),
        userinfo_signed_response_alg: opt(field(f, "userinfo_signed_response_alg")),
        backchannel_logout_uri: opt(field(f, "backchannel_logout_uri")),
        backchannel_logout_session_required: field(f, "backchannel_logout_session_required")
            == "on",
        scenario,
    };
    if c.client_name.is_empty() {
        return Err("the client needs a name".into());
    }
    if let Some(app) = &c.application_type
        && app != "web"
        && app != "native"
    {
        return Err(format!("application type {app:?} is not web or native"));
    }
    state.config.validate_client(&c)?;
    Ok((c, new_secret))
}

async fn client_save(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    form: Result<Form<Fields>, FormRejection>,
) -> Response {
    let (csrf, f) = match require_post(&state, &headers, &form) {
        Ok(v) => v,
        Err(r) => return *r,
    };
    let original = opt(field(&f, "original_id"));
    let old = match original.as_deref().map(|id| state.store.client(id)) {
        Some(Ok(c)) => c,
        Some(Err(e)) => return server_error(&e),
        None => None,
    };
    let (client, new_secret) = match client_from_form(&state, &f, old.as_ref().map(|o| &o.config)) {
        Ok(v) => v,
        Err(e) => {
            return render_client_form(&state, &csrf, &f, Some(&e), StatusCode::BAD_REQUEST);
        }
    };
    if original.as_deref() != Some(client.client_id.as_str()) {
        match state.store.client(&client.client_id) {
            Ok(Some(_)) => {
                return render_client_form(
                    &state,
                    &csrf,
                    &f,
                    Some(&format!("a client {:?} already exists", client.client_id)),
                    StatusCode::BAD_REQUEST,
                );
            }
            Ok(None) => {}
            Err(e) => return server_error(&e),
        }
    }
    let source = old.as_ref().map_or("admin", |o| o.source.as_str());
    if let Err(e) = state.store.put_client(&client, source, now()) {
        return server_error(&e);
    }
    // Publish what the scenario needs at once (kid-absent-multi's decoy key), as the switch
    // endpoint does, so an RP fetching the JWKS before the first token sees it already.
    if let Some(sc) = client
        .scenario
        .as_deref()
        .and_then(|s| crate::scenario::Scenario::parse(s).ok())
        && let Err(e) = crate::scenario::prepare(&state, sc)
    {
        return server_error(&e);
    }
    if let Some(orig) = &original
        && *orig != client.client_id
        && let Err(e) = state.store.delete_client(orig)
    {
        return server_error(&e);
    }
    tracing::info!(client_id = %client.client_id, "admin: client saved");
    let b = base(&state);
    match new_secret {
        // The secret is shown once, in this response (never in a URL, the list or the form).
        Some(secret) => {
            let body = format!(
                "<p class=\"notice\" role=\"status\">Client <code>{id}</code> saved.</p>\
                 <p>Client ID: <code>{id}</code></p><p>Client secret: <code>{secret}</code></p>\
                 <p>Copy the secret now: it is not shown again (edit the client to set or \
                 generate another).</p><p><a href=\"{b}/clients\">Back to the clients</a></p>",
                id = escape(&client.client_id),
                secret = escape(&secret),
                b = escape(&b)
            );
            html_response(StatusCode::OK, "Client saved", Some((&b, &csrf)), &body)
        }
        None => see_other(&format!(
            "{b}/clients?notice={}",
            query_escape(&format!("Client {} saved.", client.client_id))
        )),
    }
}

async fn client_delete(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    form: Result<Form<Fields>, FormRejection>,
) -> Response {
    let (_, f) = match require_post(&state, &headers, &form) {
        Ok(v) => v,
        Err(r) => return *r,
    };
    let id = field(&f, "client_id");
    match state.store.delete_client(id) {
        Ok(found) => {
            let notice = if found {
                format!("Client {id} deleted.")
            } else {
                format!("No client {id}.")
            };
            see_other(&format!(
                "{}/clients?notice={}",
                base(&state),
                query_escape(&notice)
            ))
        }
        Err(e) => server_error(&e),
    }
}

async fn users_page(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    q: Result<Query<IdQuery>, QueryRejection>,
) -> Response {
    let csrf = match require(&state, &headers) {
        Ok(c) => c,
        Err(r) => return *r,
    };
    let users = match state.store.users() {
        Ok(u) => u,
        Err(e) => return server_error(&e),
    };
    let b = base(&state);
    let mut body = String::new();
    if let Some(n) = q.as_ref().ok().and_then(|q| q.notice.as_deref()) {
        let _ = write!(
            body,
            "<p class=\"notice\" role=\"status\">{}</p>",
            escape(n)
        );
    }
    let _ = write!(
        body,
        "<p><a href=\"{}/users/edit\">New user</a></p><table><caption>Users</caption><thead><tr>\
         <th scope=\"col\">Username</th><th scope=\"col\">Claims</th><th scope=\"col\">JWT bearer</th>\
         <th scope=\"col\">Source</th><th scope=\"col\">Created</th><th scope=\"col\">Actions</th></tr></thead><tbody>",
        escape(&b)
    );
    for u in &users {
        let claims = serde_json::to_string(&u.config.claims).unwrap_or_default();
        let _ = write!(
            body,
            "<tr><td>{n}</td><td><code>{c}</code></td><td>{j}</td><td>{s}</td><td>{t}</td><td>\
             <a href=\"{b}/users/edit?id={q}\">Edit</a>\
             <form method=\"post\" action=\"{b}/users/delete\">{csrf}\
             <input type=\"hidden\" name=\"username\" value=\"{n}\">\
             <button type=\"submit\" aria-label=\"Delete {n}\">Delete</button></form></td></tr>",
            n = escape(&u.config.username),
            q = escape(&query_escape(&u.config.username)),
            c = escape(&claims),
            j = if u.config.jwt_bearer_allowed {
                "allowed"
            } else {
                "no"
            },
            s = escape(&u.source),
            t = format_time(u.created_at),
            b = escape(&b),
            csrf = csrf_input(&csrf)
        );
    }
    body.push_str(
        "</tbody></table><p>Users from the configuration file (source <q>config</q>) are \
         written back from the file at every start; edits made here to them last until then. \
         Deleting a user also revokes their grants.</p>",
    );
    html_response(StatusCode::OK, "Users", Some((&b, &csrf)), &body)
}

fn render_user_form(
    state: &AppState,
    csrf: &str,
    f: &[(String, String)],
    error: Option<&str>,
    status: StatusCode,
) -> Response {
    let b = base(state);
    let editing = !field(f, "original").is_empty();
    let mut body = String::new();
    if let Some(e) = error {
        let _ = write!(body, "<p class=\"error\" role=\"alert\">{}</p>", escape(e));
    }
    let _ = write!(
        body,
        "<form method=\"post\" action=\"{}/users/save\">{}\
         <input type=\"hidden\" name=\"original\" value=\"{}\">",
        escape(&b),
        csrf_input(csrf),
        escape(field(f, "original"))
    );
    if editing {
        let _ = write!(
            body,
            "<p>Username: <strong>{}</strong></p><input type=\"hidden\" name=\"username\" value=\"{0}\">",
            escape(field(f, "original"))
        );
    } else {
        text_input(&mut body, f, "username", "Username", "Also the sub claim.");
    }
    let _ = write!(
        body,
        "<label for=\"password\">Password</label>\
         <input type=\"password\" id=\"password\" name=\"password\" autocomplete=\"new-password\" aria-describedby=\"password-hint\">\
         <small id=\"password-hint\">{}</small>",
        if editing {
            "Leave empty to keep the current password."
        } else {
            "Stored as an Argon2id hash."
        }
    );
    textarea(
        &mut body,
        f,
        "claims",
        "Claims (JSON object)",
        "name, email, email_verified, phone_number, address {...}, custom claims such as domain.",
    );
    let _ = write!(
        body,
        "<p><input type=\"checkbox\" id=\"jwt_bearer_allowed\" name=\"jwt_bearer_allowed\" value=\"on\"{}>\
         <label for=\"jwt_bearer_allowed\" style=\"display:inline\">Backend clients may assert this \
         user (JWT bearer grant)</label></p><p><button type=\"submit\">Save</button></p></form>",
        if field(f, "jwt_bearer_allowed") == "on" {
            " checked"
        } else {
            ""
        }
    );
    let title = if editing { "Edit user" } else { "New user" };
    html_response(status, title, Some((&b, csrf)), &body)
}

async fn user_form_page(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    q: Result<Query<IdQuery>, QueryRejection>,
) -> Response {
    let csrf = match require(&state, &headers) {
        Ok(c) => c,
        Err(r) => return *r,
    };
    let fields: Fields = match q.as_ref().ok().and_then(|q| q.id.as_deref()) {
        Some(name) => match state.store.user(name) {
            Ok(Some(u)) => {
                let mut f = vec![
                    ("original".into(), u.config.username.clone()),
                    ("username".into(), u.config.username.clone()),
                    (
                        "claims".into(),
                        serde_json::to_string_pretty(&u.config.claims).unwrap_or_default(),
                    ),
                ];
                if u.config.jwt_bearer_allowed {
                    f.push(("jwt_bearer_allowed".into(), "on".into()));
                }
                f
            }
            Ok(None) => {
                return html_response(
                    StatusCode::NOT_FOUND,
                    "No such user",
                    Some((&base(&state), &csrf)),
                    "<p class=\"error\">No user has that name.</p>",
                );
            }
            Err(e) => return server_error(&e),
        },
        None => vec![("claims".into(), "{}".into())],
    };
    render_user_form(&state, &csrf, &fields, None, StatusCode::OK)
}

async fn user_save(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    form: Result<Form<Fields>, FormRejection>,
) -> Response {
    let (csrf, f) = match require_post(&state, &headers, &form) {
        Ok(v) => v,
        Err(r) => return *r,
    };
    let fail = |e: &str| render_user_form(&state, &csrf, &f, Some(e), StatusCode::BAD_REQUEST);
    let original = opt(field(&f, "original"));
    let username = match &original {
        Some(o) => o.clone(),
        None => field(&f, "username").trim().to_owned(),
    };
    if username.is_empty() || username.chars().any(char::is_control) {
        return fail("the username must be non-empty, without control characters");
    }
    let claims_text = opt(field(&f, "claims")).unwrap_or_else(|| "{}".into());
    let claims: oidckit::Object = match serde_json::from_str(&claims_text) {
        Ok(c) => c,
        Err(e) => return fail(&format!("the claims are not a JSON object: {e}")),
    };
    if claims.contains_key("sub") {
        return fail("the sub claim is the username; remove it from the claims");
    }
    let old = match state.store.user(&username) {
        Ok(u) => u,
        Err(e) => return server_error(&e),
    };
    if original.is_none() && old.is_some() {
        return fail(&format!("a user {username:?} already exists"));
    }
    let password = field(&f, "password").to_owned();
    let password_hash = if password.is_empty() {
        match &old {
            Some(o) => o.config.password_hash.clone(),
            None => return fail("a new user needs a password"),
        }
    } else {
        match tokio::task::spawn_blocking(move || crate::password::hash(&password)).await {
            Ok(Ok(h)) => h,
            Ok(Err(e)) => return server_error(&e),
            Err(_) => return server_error(&ServerError::Config("hashing failed".into())),
        }
    };
    let user = UserConfig {
        username: username.clone(),
        password_hash,
        jwt_bearer_allowed: field(&f, "jwt_bearer_allowed") == "on",
        claims,
    };
    let source = old.as_ref().map_or("admin", |o| o.source.as_str());
    if let Err(e) = state.store.put_user(&user, source, now()) {
        return server_error(&e);
    }
    tracing::info!(username = %username, "admin: user saved");
    see_other(&format!(
        "{}/users?notice={}",
        base(&state),
        query_escape(&format!("User {username} saved."))
    ))
}

async fn user_delete(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    form: Result<Form<Fields>, FormRejection>,
) -> Response {
    let (_, f) = match require_post(&state, &headers, &form) {
        Ok(v) => v,
        Err(r) => return *r,
    };
    let name = field(&f, "username");
    let t = now();
    let result = state
        .store
        .revoke_user_grants(name, t)
        .and_then(|_| state.store.delete_user(name));
    match result {
        Ok(found) => {
            let notice = if found {
                format!("User {name} deleted and their grants revoked.")
            } else {
                format!("No user {name}.")
            };
            see_other(&format!(
                "{}/users?notice={}",
                base(&state),
                query_escape(&notice)
            ))
        }
        Err(e) => server_error(&e),
    }
}

async fn keys_page(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    q: Result<Query<IdQuery>, QueryRejection>,
) -> Response {
    let csrf = match require(&state, &headers) {
        Ok(c) => c,
        Err(r) => return *r,
    };
    let t = now();
    let rows: Vec<(String, String, i64, Option<i64>, bool)> = match state.keys.read() {
        Ok(ring) => {
            let grace = ring.grace();
            ring.keys()
                .iter()
                .rev()
                .map(|k| {
                    let published = k.retired_at.is_none_or(|r| t < r.saturating_add(grace));
                    (
                        k.kid.clone(),
                        k.alg.as_str().to_owned(),
                        k.created_at,
                        k.retired_at,
                        published,
                    )
                })
                .collect()
        }
        Err(_) => return server_error(&ServerError::Keys("the key ring lock is poisoned".into())),
    };
    let b = base(&state);
    let mut body = String::new();
    if let Some(n) = q.as_ref().ok().and_then(|q| q.notice.as_deref()) {
        let _ = write!(
            body,
            "<p class=\"notice\" role=\"status\">{}</p>",
            escape(n)
        );
    }
    let _ = write!(
        body,
        "<form method=\"post\" action=\"{}/keys/rotate\">{}<button type=\"submit\">Rotate the {} \
         signing key now</button></form><p>The retired key stays in the JWKS for {} seconds \
         (<code>[server] key_rotation_grace</code>) so tokens in flight keep verifying.</p>\
         <table><caption>Signing keys, newest first</caption><thead><tr><th scope=\"col\">kid</th>\
         <th scope=\"col\">alg</th><th scope=\"col\">Created</th><th scope=\"col\">Retired</th>\
         <th scope=\"col\">In the JWKS</th></tr></thead><tbody>",
        escape(&b),
        csrf_input(&csrf),
        state.signing_alg,
        state.config.server.key_rotation_grace
    );
    for (kid, alg, created, retired, published) in rows {
        let _ = write!(
            body,
            "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&kid),
            escape(&alg),
            format_time(created),
            retired.map_or_else(|| "active".to_owned(), format_time),
            if published { "yes" } else { "no" }
        );
    }
    body.push_str("</tbody></table>");
    html_response(StatusCode::OK, "Signing keys", Some((&b, &csrf)), &body)
}

async fn keys_rotate(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    form: Result<Form<Fields>, FormRejection>,
) -> Response {
    if let Err(r) = require_post(&state, &headers, &form) {
        return *r;
    }
    // RSA generation blocks for a while: off the async workers.
    let st = state.clone();
    let result = tokio::task::spawn_blocking(move || st.rotate_keys()).await;
    match result {
        Ok(Ok(kid)) => {
            tracing::info!(kid = %kid, "admin: signing key rotated");
            see_other(&format!(
                "{}/keys?notice={}",
                base(&state),
                query_escape(&format!("Rotated: the new signing key is {kid}."))
            ))
        }
        Ok(Err(e)) => server_error(&e),
        Err(_) => server_error(&ServerError::Keys("the rotation task failed".into())),
    }
}

async fn grants_page(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    q: Result<Query<IdQuery>, QueryRejection>,
) -> Response {
    let csrf = match require(&state, &headers) {
        Ok(c) => c,
        Err(r) => return *r,
    };
    let (users, counts) = match (state.store.users(), state.store.active_grant_counts()) {
        (Ok(u), Ok(c)) => (u, c),
        (Err(e), _) | (_, Err(e)) => return server_error(&e),
    };
    let b = base(&state);
    let mut body = String::new();
    if let Some(n) = q.as_ref().ok().and_then(|q| q.notice.as_deref()) {
        let _ = write!(
            body,
            "<p class=\"notice\" role=\"status\">{}</p>",
            escape(n)
        );
    }
    body.push_str(
        "<table><caption>Active grants per user</caption><thead><tr><th scope=\"col\">User</th>\
         <th scope=\"col\">Active grants</th><th scope=\"col\">Actions</th></tr></thead><tbody>",
    );
    let mut names: Vec<String> = users.iter().map(|u| u.config.username.clone()).collect();
    for (n, _) in &counts {
        if !names.contains(n) {
            names.push(n.clone());
        }
    }
    for name in names {
        let count = counts
            .iter()
            .find(|(n, _)| *n == name)
            .map_or(0, |(_, c)| *c);
        let _ = write!(
            body,
            "<tr><td>{n}</td><td>{count}</td><td><form method=\"post\" action=\"{b}/grants/revoke\">{c}\
             <input type=\"hidden\" name=\"username\" value=\"{n}\">\
             <button type=\"submit\" aria-label=\"Revoke all of {n}'s tokens\">Revoke all</button>\
             </form></td></tr>",
            n = escape(&name),
            b = escape(&b),
            c = csrf_input(&csrf)
        );
    }
    body.push_str(
        "</tbody></table><p>Revoking a grant revokes its refresh tokens and access tokens \
         (introspection and the API refuse them at once; a JWT access token still verifies \
         offline until it expires).</p>",
    );
    html_response(StatusCode::OK, "Grants", Some((&b, &csrf)), &body)
}

async fn grants_revoke(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    form: Result<Form<Fields>, FormRejection>,
) -> Response {
    let (_, f) = match require_post(&state, &headers, &form) {
        Ok(v) => v,
        Err(r) => return *r,
    };
    let name = field(&f, "username");
    match state.store.revoke_user_grants(name, now()) {
        Ok(n) => {
            tracing::info!(username = %name, grants = n, "admin: grants revoked");
            see_other(&format!(
                "{}/grants?notice={}",
                base(&state),
                query_escape(&format!("Revoked {n} grant(s) of {name}."))
            ))
        }
        Err(e) => server_error(&e),
    }
}

async fn set_global_scenario(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    form: Result<Form<Fields>, FormRejection>,
) -> Response {
    let (_, f) = match require_post(&state, &headers, &form) {
        Ok(v) => v,
        Err(r) => return *r,
    };
    let name = match crate::scenario::Scenario::parse(field(&f, "scenario")) {
        Ok(s) => s.name(),
        Err(e) => {
            return html_response(
                StatusCode::BAD_REQUEST,
                "Unknown scenario",
                None,
                &format!("<p class=\"error\">{}</p>", escape(&e.to_string())),
            );
        }
    };
    if let Ok(sc) = crate::scenario::Scenario::parse(name)
        && let Err(e) = crate::scenario::prepare(&state, sc)
    {
        return server_error(&e);
    }
    match state
        .store
        .set_setting(crate::scenario::GLOBAL_SETTING, name)
    {
        Ok(()) => {
            tracing::info!(scenario = name, "admin: global scenario set");
            see_other(&base(&state))
        }
        Err(e) => server_error(&e),
    }
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )]
    use super::*;

    #[test]
    fn escaping_and_times() {
        assert_eq!(
            escape("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
        assert_eq!(format_time(0), "1970-01-01 00:00:00Z");
        assert_eq!(format_time(1_700_000_000), "2023-11-14 22:13:20Z");
        assert_eq!(format_time(951_782_400), "2000-02-29 00:00:00Z");
        assert_eq!(query_escape("a b/é"), "a%20b%2F%C3%A9");
    }

    #[test]
    fn origins() {
        let h = |origin: Option<&'static str>, host: Option<&'static str>| {
            let mut m = HeaderMap::new();
            if let Some(o) = origin {
                m.insert(header::ORIGIN, HeaderValue::from_static(o));
            }
            if let Some(h) = host {
                m.insert(header::HOST, HeaderValue::from_static(h));
            }
            m
        };
        assert!(same_origin(&h(None, Some("127.0.0.1:8080"))));
        assert!(same_origin(&h(
            Some("http://127.0.0.1:8080"),
            Some("127.0.0.1:8080")
        )));
        assert!(same_origin(&h(
            Some("https://localhost:9"),
            Some("LOCALHOST:9")
        )));
        assert!(!same_origin(&h(
            Some("http://evil.example"),
            Some("127.0.0.1:8080")
        )));
        assert!(!same_origin(&h(
            Some("http://127.0.0.1:8081"),
            Some("127.0.0.1:8080")
        )));
        assert!(!same_origin(&h(Some("null"), Some("127.0.0.1:8080"))));
        assert!(!same_origin(&h(Some("http://127.0.0.1:8080"), None)));
    }

    #[test]
    fn cookies() {
        let mut h = HeaderMap::new();
        h.append(
            header::COOKIE,
            HeaderValue::from_static("a=1; oidckit_admin=xyz"),
        );
        assert_eq!(cookie(&h, COOKIE).as_deref(), Some("xyz"));
        assert_eq!(cookie(&h, "b"), None);
    }
}
