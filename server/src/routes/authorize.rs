//! The authorization endpoint (RFC 6749 §3.1, §4.1.1; OpenID Connect Core 1.0 §3.1.2, §3.2.2,
//! §3.3.2), `GET` and `POST` (§3.1.2.1).
//!
//! Order of checks: the client and its `redirect_uri` first (exact string match, RFC 9700
//! §4.1.3; loopback port flexibility only for `application_type = "native"` clients, RFC 8252
//! §7.3). Until both are known good, errors are an HTML page and never a redirect (RFC 6749
//! §4.1.2.1). After that every error goes back to the client with `state` and the RFC 9207
//! `iss` in the requested response mode (`query`, `fragment`, `form_post`).
//!
//! Request objects (RFC 9101) by value or reference and pushed requests (RFC 9126) replace the
//! request's parameters with their own: only the signed or pushed parameters are used (RFC 9101
//! §6.3, RFC 9126 §4), plus `client_id`, which must agree.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use oidckit::Object;
use oidckit::oauth::http::{form_decode, form_urlencode};
use serde::{Deserialize, Serialize};

use crate::app::AppState;
use crate::config::{ClientConfig, ClientType, UserConfig};
use crate::grant::AuthorizationData;
use crate::html;
use crate::request_object::{self, PAR_URN_PREFIX};
use crate::routes::discovery::paths;
use crate::scenario::{Scenario, TokenKind};
use crate::session::{self, Session};

/// This module's routes, under the issuer path `prefix` (`""` for an issuer at the root).
pub fn routes(prefix: &str) -> Router<Arc<AppState>> {
    Router::new().route(
        &format!("{prefix}{}", paths::AUTHORIZE),
        get(get_authorize).post(post_authorize),
    )
}

/// Parameters that may appear more than once (RFC 8707 §2 `resource`); every other one at most
/// once (RFC 6749 §3.1).
const REPEATABLE: &[&str] = &["resource"];

/// The prompt values understood (OpenID Connect Core 1.0 §3.1.2.1).
const PROMPTS: &[&str] = &["none", "login", "consent", "select_account"];

/// A validated authorization request: what the login and consent pages carry server-side and
/// what the response is built from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuthRequest {
    /// `client_id` (RFC 6749 §2.2).
    pub client_id: String,
    /// `redirect_uri`, registered (RFC 6749 §3.1.2).
    pub redirect_uri: String,
    /// `response_type`, in its canonical spelling (RFC 6749 §3.1.1: order does not matter).
    pub response_type: String,
    /// `query`, `fragment` or `form_post` (OAuth 2.0 Multiple Response Type Encoding Practices
    /// §2.1, OAuth 2.0 Form Post Response Mode §2).
    pub response_mode: String,
    /// `state`, echoed (RFC 6749 §4.1.2).
    pub state: Option<String>,
    /// The scope granted: the requested (or default) scope minus what is dropped (RFC 6749
    /// §3.3).
    pub scope: String,
    /// `nonce` (OpenID Connect Core 1.0 §3.1.2.1).
    pub nonce: Option<String>,
    /// `code_challenge` (RFC 7636 §4.3), S256.
    pub code_challenge: Option<String>,
    /// `prompt` values.
    pub prompt: Vec<String>,
    /// `max_age` (or the client's `default_max_age`), seconds.
    pub max_age: Option<u64>,
    /// Whether `max_age` came from the request (then `auth_time` is required, §3.1.2.1).
    pub max_age_requested: bool,
    /// `login_hint`, prefilled on the login page.
    pub login_hint: Option<String>,
    /// The `claims` request parameter (§5.5).
    pub claims: Option<Object>,
    /// The misbehaviour scenario requested (`scenario` parameter).
    pub scenario: Option<String>,
    /// RFC 9449 §10 `dpop_jkt`.
    pub dpop_jkt: Option<String>,
    /// RFC 8707 `resource` values.
    pub resource: Vec<String>,
}

impl AuthRequest {
    fn has(&self, part: &str) -> bool {
        self.response_type.split(' ').any(|p| p == part)
    }

    fn target(&self) -> Target {
        Target {
            redirect_uri: self.redirect_uri.clone(),
            response_mode: self.response_mode.clone(),
            state: self.state.clone(),
            scenario: self.scenario.clone(),
        }
    }
}

/// Where and how a response goes back to the client.
#[derive(Debug, Clone)]
pub struct Target {
    redirect_uri: String,
    response_mode: String,
    state: Option<String>,
    scenario: Option<String>,
}

/// The target of a validated request (its redirect URI, response mode, `state`, scenario).
pub fn target_for(req: &AuthRequest) -> Target {
    req.target()
}

/// Why a request is refused.
#[derive(Debug)]
pub enum Refusal {
    /// Shown to the user; the client is unknown or the redirect URI is not trusted.
    Page(&'static str, String),
    /// Sent to the client's redirect URI.
    Redirect(Box<Target>, &'static str, String),
}

impl Refusal {
    /// The response for this refusal.
    pub fn respond(self, state: &AppState, client: Option<&ClientConfig>, post: bool) -> Response {
        match self {
            Self::Page(error, description) => {
                let status = if error == "server_error" {
                    StatusCode::INTERNAL_SERVER_ERROR
                } else {
                    StatusCode::BAD_REQUEST
                };
                html::error_page(status, error, &description)
            }
            Self::Redirect(target, error, description) => {
                error_response(state, client, &target, error, &description, post)
            }
        }
    }
}

async fn get_authorize(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    match form_decode(query.as_deref().unwrap_or("")) {
        Ok(params) => authorize(&state, &headers, params, false).await,
        Err(_) => html::error_page(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "the query string is not valid form-urlencoded UTF-8",
        ),
    }
}

async fn post_authorize(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match decode_form_body(&headers, &body) {
        Ok(params) => authorize(&state, &headers, params, true).await,
        Err(why) => html::error_page(StatusCode::BAD_REQUEST, "invalid_request", why),
    }
}

/// Decodes an `application/x-www-form-urlencoded` request body (RFC 6749 Appendix B).
pub(crate) fn decode_form_body(
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Vec<(String, String)>, &'static str> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let essence = ct.split(';').next().unwrap_or("").trim();
    if !essence.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
        return Err("the body must be application/x-www-form-urlencoded");
    }
    let text = std::str::from_utf8(body).map_err(|_| "the body is not UTF-8")?;
    form_decode(text).map_err(|_| "the body is not valid form-urlencoded data")
}

/// The one value of `name`; `Err` when it is repeated. Empty values count as absent (RFC 6749
/// §3.1).
fn single<'a>(params: &'a [(String, String)], name: &str) -> Result<Option<&'a str>, String> {
    let mut found = None;
    for (n, v) in params {
        if n == name {
            if found.is_some() {
                return Err(format!(
                    "the {name} parameter is repeated (RFC 6749 section 3.1)"
                ));
            }
            found = Some(v.as_str());
        }
    }
    Ok(found.filter(|v| !v.is_empty()))
}

fn all<'a>(params: &'a [(String, String)], name: &str) -> Vec<&'a str> {
    params
        .iter()
        .filter(|(n, v)| n == name && !v.is_empty())
        .map(|(_, v)| v.as_str())
        .collect()
}

/// Whether `uri` is a loopback `http` redirect URI (RFC 8252 §7.3): its host is `127.0.0.1`,
/// `[::1]` or `localhost`. Returns the URI without its port.
fn loopback_without_port(uri: &str) -> Option<String> {
    let rest = uri.strip_prefix("http://")?;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    if authority.contains('@') {
        return None;
    }
    let host = if let Some(h) = authority.strip_prefix('[') {
        let close = h.find(']')?;
        let host = h.get(..close)?;
        let after = h.get(close + 1..)?;
        if !(after.is_empty() || after.starts_with(':')) {
            return None;
        }
        format!("[{host}]")
    } else {
        authority.split(':').next()?.to_owned()
    };
    let port = authority.get(host.len()..).unwrap_or("");
    if !(port.is_empty()
        || (port.starts_with(':')
            && port.len() > 1
            && port[1..].bytes().all(|b| b.is_ascii_digit())))
    {
        return None;
    }
    if !matches!(host.as_str(), "127.0.0.1" | "[::1]" | "localhost") {
        return None;
    }
    Some(format!("http://{host}{tail}"))
}

/// Whether `redirect_uri` is registered for `client` (RFC 6749 §3.1.2.3, RFC 9700 §4.1.3):
/// exact string comparison, and for native clients only, any port on a loopback URI (RFC 8252
/// §7.3). Fragments are never allowed (RFC 6749 §3.1.2).
pub fn redirect_uri_allowed(client: &ClientConfig, issuer: &str, redirect_uri: &str) -> bool {
    if redirect_uri.contains('#') {
        return false;
    }
    let registered = client.resolved_redirect_uris(issuer);
    if registered.iter().any(|r| r == redirect_uri) {
        return true;
    }
    if client.application_type.as_deref() == Some("native")
        && let Some(candidate) = loopback_without_port(redirect_uri)
    {
        return registered
            .iter()
            .filter_map(|r| loopback_without_port(r))
            .any(|r| r == candidate);
    }
    false
}

/// The canonical spelling of a response type (RFC 6749 §3.1.1: space-delimited, order does not
/// matter), when the server knows it.
fn canonical_response_type(value: &str) -> Option<&'static str> {
    let mut parts: Vec<&str> = value.split(' ').collect();
    parts.sort_unstable();
    crate::config::KNOWN_RESPONSE_TYPES
        .iter()
        .copied()
        .find(|known| {
            let mut k: Vec<&str> = known.split(' ').collect();
            k.sort_unstable();
            k == parts
        })
}

/// The response types `client` may use (RFC 7591 §2: default `code`).
fn client_response_types(client: &ClientConfig) -> Vec<&'static str> {
    if client.response_types.is_empty() {
        return vec!["code"];
    }
    client
        .response_types
        .iter()
        .filter_map(|r| canonical_response_type(r))
        .collect()
}

fn default_mode(response_type: &str) -> &'static str {
    if response_type == "code" || response_type.is_empty() {
        "query"
    } else {
        "fragment"
    }
}

fn is_b64url(s: &str, len: usize) -> bool {
    s.len() == len
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// An RFC 8707 §2 resource indicator: an absolute URI without a fragment.
fn valid_resource(r: &str) -> bool {
    let Some((scheme, rest)) = r.split_once(':') else {
        return false;
    };
    !scheme.is_empty()
        && scheme.bytes().enumerate().all(|(i, b)| {
            b.is_ascii_alphabetic() || (i > 0 && (b.is_ascii_digit() || b"+-.".contains(&b)))
        })
        && !rest.is_empty()
        && !r.contains('#')
        && !r
            .bytes()
            .any(|b| b.is_ascii_whitespace() || b.is_ascii_control())
}

/// Looks the client up; an unknown one is an HTML error (never a redirect).
pub(crate) fn find_client(
    state: &AppState,
    client_id: Option<&str>,
) -> Result<ClientConfig, Refusal> {
    let Some(id) = client_id else {
        return Err(Refusal::Page(
            "invalid_request",
            "the client_id parameter is missing".into(),
        ));
    };
    match state.store.client(id) {
        Ok(Some(rec)) if rec.config.client_type != ClientType::ResourceServer => Ok(rec.config),
        Ok(_) => Err(Refusal::Page(
            "invalid_client",
            format!("there is no client {id:?} on this server"),
        )),
        Err(e) => {
            tracing::error!(error = %e, "client lookup failed");
            Err(Refusal::Page(
                "server_error",
                "the server could not read its clients".into(),
            ))
        }
    }
}

/// A target from the outer (unverified) parameters, when their `redirect_uri` is registered:
/// used for errors in request objects and pushed requests, before their own parameters are
/// known.
fn outer_target(
    state: &AppState,
    client: &ClientConfig,
    outer: &[(String, String)],
) -> Option<Target> {
    let redirect_uri = single(outer, "redirect_uri").ok().flatten()?;
    if !redirect_uri_allowed(client, &state.issuer, redirect_uri) {
        return None;
    }
    let rt = single(outer, "response_type")
        .ok()
        .flatten()
        .and_then(canonical_response_type)
        .unwrap_or("code");
    let mode = match single(outer, "response_mode").ok().flatten() {
        Some(m @ ("query" | "fragment" | "form_post")) => m,
        _ => default_mode(rt),
    };
    Some(Target {
        redirect_uri: redirect_uri.to_owned(),
        response_mode: mode.to_owned(),
        state: single(outer, "state").ok().flatten().map(str::to_owned),
        scenario: None,
    })
}

/// Resolves `request` / `request_uri` (RFC 9101 §5, RFC 9126 §4): the parameters to use.
/// `Ok(None)`: neither was given (use the request's own).
async fn resolve_request_object(
    state: &AppState,
    client: &ClientConfig,
    outer: &[(String, String)],
    now: i64,
) -> Result<Option<Vec<(String, String)>>, Refusal> {
    let refuse = |error: &'static str, why: String| match outer_target(state, client, outer) {
        Some(t) => Refusal::Redirect(Box::new(t), error, why),
        None => Refusal::Page(error, why),
    };
    let request = single(outer, "request").map_err(|e| refuse("invalid_request", e))?;
    let request_uri = single(outer, "request_uri").map_err(|e| refuse("invalid_request", e))?;
    let token = match (request, request_uri) {
        (None, None) => return Ok(None),
        (Some(_), Some(_)) => {
            return Err(refuse(
                "invalid_request",
                "request and request_uri cannot both be used (RFC 9101 section 5)".into(),
            ));
        }
        (None, Some(uri)) if uri.starts_with(PAR_URN_PREFIX) => {
            return match state.store.take_pushed_request(uri, &client.client_id, now) {
                Ok(Some(params)) => Ok(Some(params)),
                Ok(None) => Err(refuse(
                    "invalid_request_uri",
                    "the request_uri is unknown, expired, already used or pushed by another \
                     client (RFC 9126 section 4)"
                        .into(),
                )),
                Err(e) => {
                    tracing::error!(error = %e, "pushed request lookup failed");
                    Err(refuse(
                        "server_error",
                        "the server could not read the request".into(),
                    ))
                }
            };
        }
        (None, Some(uri)) => request_object::fetch(uri)
            .await
            .map_err(|e| refuse("invalid_request_uri", e))?,
        (Some(jwt), None) => jwt.to_owned(),
    };
    let mut params = request_object::verify(client, &state.issuer, &token, now)
        .await
        .map_err(|e| refuse("invalid_request_object", e))?;
    if !params.iter().any(|(n, _)| n == "client_id") {
        params.push(("client_id".into(), client.client_id.clone()));
    }
    Ok(Some(params))
}

/// Validates the request's parameters for `client` (everything after the request object):
/// RFC 6749 §4.1.1, OpenID Connect Core 1.0 §3.1.2.1, RFC 7636 §4.3, RFC 8707 §2, RFC 9449 §10.
pub fn validate(
    state: &AppState,
    client: &ClientConfig,
    params: &[(String, String)],
) -> Result<AuthRequest, Refusal> {
    // The redirect URI first: until it is known good, nothing goes back to it.
    let redirect_uri = match single(params, "redirect_uri") {
        Err(e) => return Err(Refusal::Page("invalid_request", e)),
        Ok(None) => {
            return Err(Refusal::Page(
                "invalid_request",
                "the redirect_uri parameter is missing (OpenID Connect Core 1.0 section 3.1.2.1)"
                    .into(),
            ));
        }
        Ok(Some(r)) => r,
    };
    if !redirect_uri_allowed(client, &state.issuer, redirect_uri) {
        return Err(Refusal::Page(
            "invalid_request",
            format!(
                "the redirect_uri {redirect_uri:?} is not registered for client {:?} \
                 (exact match required)",
                client.client_id
            ),
        ));
    }
    let rt_raw = single(params, "response_type").ok().flatten();
    let rt_canonical = rt_raw.and_then(canonical_response_type);
    let mode_raw = single(params, "response_mode").ok().flatten();
    let mut target = Target {
        redirect_uri: redirect_uri.to_owned(),
        response_mode: match mode_raw {
            Some(m @ ("query" | "fragment" | "form_post")) => m.to_owned(),
            _ => default_mode(rt_canonical.unwrap_or("code")).to_owned(),
        },
        state: single(params, "state").ok().flatten().map(str::to_owned),
        scenario: None,
    };
    let fail = |t: &Target, error: &'static str, why: String| {
        Refusal::Redirect(Box::new(t.clone()), error, why)
    };

    // Repeated parameters (RFC 6749 §3.1).
    let mut seen = std::collections::BTreeSet::new();
    for (n, _) in params {
        if !REPEATABLE.contains(&n.as_str()) && !seen.insert(n.as_str()) {
            return Err(fail(
                &target,
                "invalid_request",
                format!("the {n} parameter is repeated (RFC 6749 section 3.1)"),
            ));
        }
    }
    let get = |name: &str| single(params, name).ok().flatten();

    // The scenario (carried so that errors already follow it, e.g. a missing `iss`).
    let scenario = get("scenario").map(str::to_owned);
    if let Some(s) = &scenario {
        if Scenario::parse(s).is_err() {
            return Err(fail(
                &target,
                "invalid_request",
                format!("unknown scenario {s:?}"),
            ));
        }
        target.scenario = scenario.clone();
    }

    if let Some(m) = mode_raw
        && !matches!(m, "query" | "fragment" | "form_post")
    {
        return Err(fail(
            &target,
            "invalid_request",
            format!("unsupported response_mode {m:?}"),
        ));
    }
    let Some(rt_raw) = rt_raw else {
        return Err(fail(
            &target,
            "invalid_request",
            "the response_type parameter is missing".into(),
        ));
    };
    let Some(response_type) = rt_canonical else {
        return Err(fail(
            &target,
            "unsupported_response_type",
            format!("unsupported response_type {rt_raw:?}"),
        ));
    };
    // The grant types the response type belongs to must be enabled on the server (OpenID
    // Connect Dynamic Client Registration 1.0 §2: code → authorization_code, id_token and
    // token → implicit).
    let enabled = |g: &str| {
        state
            .config
            .server
            .grant_types_supported
            .iter()
            .any(|x| x == g)
    };
    let parts: Vec<&str> = response_type.split(' ').collect();
    if (parts.contains(&"code") && !enabled("authorization_code"))
        || ((parts.contains(&"token") || parts.contains(&"id_token")) && !enabled("implicit"))
    {
        return Err(fail(
            &target,
            "unsupported_response_type",
            format!("response_type {response_type:?} is disabled on this server"),
        ));
    }
    if !client_response_types(client).contains(&response_type) {
        return Err(fail(
            &target,
            "unauthorized_client",
            format!("the client may not use response_type {response_type:?}"),
        ));
    }
    if response_type != "code" && target.response_mode == "query" {
        return Err(fail(
            &target,
            "invalid_request",
            "response_mode query cannot carry tokens (OAuth 2.0 Multiple Response Types section 5)"
                .into(),
        ));
    }
    let with_code = response_type.split(' ').any(|p| p == "code");
    let with_id_token = response_type.split(' ').any(|p| p == "id_token");

    // Scope (RFC 6749 §3.3).
    let requested = get("scope")
        .map(str::to_owned)
        .or_else(|| client.scope.clone())
        .unwrap_or_else(|| state.config.server.default_scope.clone());
    let mut scope: Vec<&str> = Vec::new();
    for s in requested.split(' ').filter(|s| !s.is_empty()) {
        if scope.contains(&s) {
            continue;
        }
        if !state.config.scopes.iter().any(|k| k.name == s) {
            if state.config.server.allow_unsupported_scope {
                continue;
            }
            return Err(fail(
                &target,
                "invalid_scope",
                format!("the scope {s:?} is not offered by this server"),
            ));
        }
        if s == "offline_access" && !with_code {
            // Refresh tokens come from the token endpoint only (OpenID Connect Core 1.0 §11).
            continue;
        }
        scope.push(s);
    }
    if with_id_token && !scope.contains(&"openid") {
        return Err(fail(
            &target,
            "invalid_scope",
            "the openid scope is required for response types with id_token".into(),
        ));
    }
    if scope.is_empty() {
        return Err(fail(
            &target,
            "invalid_scope",
            "the request has no usable scope".into(),
        ));
    }

    // nonce (OpenID Connect Core 1.0 §3.2.2.1, §3.3.2.11).
    let nonce = get("nonce").map(str::to_owned);
    if with_id_token && nonce.is_none() {
        return Err(fail(
            &target,
            "invalid_request",
            "nonce is required for response types with id_token (OpenID Connect Core 1.0 \
             section 3.2.2.1)"
                .into(),
        ));
    }

    // PKCE (RFC 7636 §4.3; S256 only, RFC 9700 §2.1.1).
    let challenge = get("code_challenge");
    match (challenge, get("code_challenge_method")) {
        (None, Some(_)) => {
            return Err(fail(
                &target,
                "invalid_request",
                "code_challenge_method without code_challenge".into(),
            ));
        }
        (Some(_), None) | (Some(_), Some("plain")) => {
            return Err(fail(
                &target,
                "invalid_request",
                "code_challenge_method must be S256 (plain is not supported)".into(),
            ));
        }
        (Some(_), Some(m)) if m != "S256" => {
            return Err(fail(
                &target,
                "invalid_request",
                format!("unsupported code_challenge_method {m:?} (S256 only)"),
            ));
        }
        (Some(c), Some(_)) if !is_b64url(c, 43) => {
            return Err(fail(
                &target,
                "invalid_request",
                "code_challenge must be 43 base64url characters (RFC 7636 section 4.2)".into(),
            ));
        }
        _ => {}
    }
    if challenge.is_none() && with_code && client.client_type == ClientType::Public {
        return Err(fail(
            &target,
            "invalid_request",
            "PKCE (code_challenge with S256) is required for public clients (RFC 9700 \
             section 2.1.1)"
                .into(),
        ));
    }

    // prompt (OpenID Connect Core 1.0 §3.1.2.1).
    let prompt: Vec<String> = get("prompt")
        .unwrap_or("")
        .split(' ')
        .filter(|p| !p.is_empty())
        .map(str::to_owned)
        .collect();
    if let Some(p) = prompt.iter().find(|p| !PROMPTS.contains(&p.as_str())) {
        return Err(fail(
            &target,
            "invalid_request",
            format!("unsupported prompt value {p:?}"),
        ));
    }
    if prompt.iter().any(|p| p == "none") && prompt.len() > 1 {
        return Err(fail(
            &target,
            "invalid_request",
            "prompt=none cannot be combined with other values".into(),
        ));
    }

    // max_age (§3.1.2.1), or the client's default_max_age.
    let max_age_param = match get("max_age") {
        None => None,
        Some(v) if !v.is_empty() && v.len() <= 12 && v.bytes().all(|b| b.is_ascii_digit()) => {
            v.parse::<u64>().ok()
        }
        Some(v) => {
            return Err(fail(
                &target,
                "invalid_request",
                format!("max_age {v:?} is not a non-negative integer"),
            ));
        }
    };

    // claims (§5.5).
    let claims = match get("claims") {
        None => None,
        Some(text) => {
            let parsed: Result<Object, _> = serde_json::from_str(text);
            match parsed {
                Ok(o)
                    if ["userinfo", "id_token"]
                        .iter()
                        .all(|m| o.get(*m).is_none_or(|v| v.is_object() || v.is_null())) =>
                {
                    Some(o)
                }
                _ => {
                    return Err(fail(
                        &target,
                        "invalid_request",
                        "claims must be a JSON object whose userinfo and id_token members are \
                         objects (OpenID Connect Core 1.0 section 5.5)"
                            .into(),
                    ));
                }
            }
        }
    };

    let dpop_jkt = get("dpop_jkt").map(str::to_owned);
    if let Some(j) = &dpop_jkt
        && !is_b64url(j, 43)
    {
        return Err(fail(
            &target,
            "invalid_request",
            "dpop_jkt must be a base64url SHA-256 JWK thumbprint (RFC 9449 section 10)".into(),
        ));
    }
    let resource: Vec<String> = all(params, "resource")
        .into_iter()
        .map(str::to_owned)
        .collect();
    if let Some(r) = resource.iter().find(|r| !valid_resource(r)) {
        return Err(fail(
            &target,
            "invalid_target",
            format!("the resource {r:?} is not an absolute URI without a fragment (RFC 8707)"),
        ));
    }
    if get("registration").is_some() {
        return Err(fail(
            &target,
            "registration_not_supported",
            "the registration parameter is not supported (OpenID Connect Core 1.0 section \
             7.2.1)"
                .into(),
        ));
    }

    Ok(AuthRequest {
        client_id: client.client_id.clone(),
        redirect_uri: target.redirect_uri.clone(),
        response_type: response_type.to_owned(),
        response_mode: target.response_mode.clone(),
        state: target.state.clone(),
        scope: scope.join(" "),
        nonce,
        code_challenge: challenge.map(str::to_owned),
        prompt,
        max_age: max_age_param.or(client.default_max_age),
        max_age_requested: max_age_param.is_some(),
        login_hint: get("login_hint").map(str::to_owned),
        claims,
        scenario,
        dpop_jkt,
        resource,
    })
}

/// Parses, resolves (request objects, pushed requests) and validates an authorization request.
pub async fn parse_request(
    state: &AppState,
    outer: &[(String, String)],
    now: i64,
) -> Result<(ClientConfig, AuthRequest), (Option<ClientConfig>, Refusal)> {
    let outer_id = match single(outer, "client_id") {
        Ok(id) => id,
        Err(e) => return Err((None, Refusal::Page("invalid_request", e))),
    };
    let client = find_client(state, outer_id).map_err(|r| (None, r))?;
    let resolved = resolve_request_object(state, &client, outer, now)
        .await
        .map_err(|r| (Some(client.clone()), r))?;
    let params = resolved.as_deref().unwrap_or(outer);
    if resolved.is_some() && single(params, "client_id").ok().flatten() != Some(&client.client_id) {
        return Err((
            Some(client.clone()),
            Refusal::Page(
                "invalid_request",
                "the request object's client_id differs from the request's".into(),
            ),
        ));
    }
    let req = validate(state, &client, params).map_err(|r| (Some(client.clone()), r))?;
    Ok((client, req))
}

/// The authorization endpoint, for both methods.
async fn authorize(
    state: &AppState,
    headers: &HeaderMap,
    params: Vec<(String, String)>,
    post: bool,
) -> Response {
    let now = crate::app::now();
    let (client, req) = match parse_request(state, &params, now).await {
        Ok(ok) => ok,
        Err((client, refusal)) => {
            let (kind, error) = match &refusal {
                Refusal::Page(e, _) => ("page", *e),
                Refusal::Redirect(_, e, _) => ("redirect", *e),
            };
            tracing::info!(
                target: "oidckit_server::authorize",
                client = client.as_ref().map_or("-", |c| c.client_id.as_str()),
                outcome = kind,
                error,
                "authorization request refused"
            );
            return refusal.respond(state, client.as_ref(), post);
        }
    };
    if let Err(e) = state.store.touch_client(&client.client_id, now) {
        tracing::warn!(error = %e, "touch_client failed");
    }
    let session = match session::current_session(state, headers, now) {
        // A session whose user was deleted (admin page) is no session.
        Ok(Some(s)) => match state.store.user(&s.username) {
            Ok(Some(_)) => Some(s),
            Ok(None) => None,
            Err(e) => return server_error(state, &client, &req, &e, post),
        },
        Ok(None) => None,
        Err(e) => return server_error(state, &client, &req, &e, post),
    };
    let needs_login = match &session {
        None => true,
        Some(s) => {
            req.prompt
                .iter()
                .any(|p| p == "login" || p == "select_account")
                || req.max_age.is_some_and(|m| {
                    // max_age=0 asks for a fresh authentication like prompt=login (§3.1.2.1).
                    m == 0 || now.saturating_sub(s.auth_time) > i64::try_from(m).unwrap_or(i64::MAX)
                })
        }
    };
    let prompt_none = req.prompt.iter().any(|p| p == "none");
    if needs_login {
        if prompt_none {
            return error_response(
                state,
                Some(&client),
                &req.target(),
                "login_required",
                "the user is not signed in (prompt=none)",
                post,
            );
        }
        return crate::routes::interaction::start(state, headers, &client, &req, None, now);
    }
    let Some(session) = session else {
        return server_error(state, &client, &req, &"no session", post);
    };
    let needs_consent = match consent_needed(state, &session.username, &req) {
        Ok(b) => b,
        Err(e) => return server_error(state, &client, &req, &e, post),
    };
    if needs_consent {
        if prompt_none {
            return error_response(
                state,
                Some(&client),
                &req.target(),
                "consent_required",
                "the user has not consented to this client and scope (prompt=none)",
                post,
            );
        }
        return crate::routes::interaction::start(
            state,
            headers,
            &client,
            &req,
            Some(&session),
            now,
        );
    }
    complete(state, &client, &req, &session, post, now)
}

/// Whether the consent page must be shown: `prompt=consent`, or no remembered consent covering
/// the scope.
pub fn consent_needed(
    state: &AppState,
    username: &str,
    req: &AuthRequest,
) -> Result<bool, crate::error::ServerError> {
    Ok(req.prompt.iter().any(|p| p == "consent")
        || !state
            .store
            .consent_covers(username, &req.client_id, &req.scope)?)
}

fn server_error(
    state: &AppState,
    client: &ClientConfig,
    req: &AuthRequest,
    e: &dyn std::fmt::Display,
    post: bool,
) -> Response {
    tracing::error!(error = %e, client = %client.client_id, "authorization failed");
    error_response(
        state,
        Some(client),
        &req.target(),
        "server_error",
        "the server failed to process the request",
        post,
    )
}

/// The scenario in force for a target.
fn scenario_of(state: &AppState, client: Option<&ClientConfig>, target: &Target) -> Scenario {
    match client {
        Some(c) => crate::scenario::resolve(state, c, target.scenario.as_deref()),
        None => Scenario::None,
    }
}

/// Keeps an `error_description` inside RFC 6749 §4.1.2.1's character set (%x20-21 / %x23-5B /
/// %x5D-7E).
fn description_chars(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\x20'..='\x21' | '\x23'..='\x5b' | '\x5d'..='\x7e' => c,
            _ => ' ',
        })
        .collect()
}

/// An error response to the client (RFC 6749 §4.1.2.1, §4.2.2.1; OpenID Connect Core 1.0
/// §3.1.2.6) with `state` and `iss` (RFC 9207 §2).
pub fn error_response(
    state: &AppState,
    client: Option<&ClientConfig>,
    target: &Target,
    error: &str,
    description: &str,
    post: bool,
) -> Response {
    let params = vec![
        ("error".to_owned(), error.to_owned()),
        (
            "error_description".to_owned(),
            description_chars(description),
        ),
    ];
    deliver(state, client, target, params, post)
}

/// Sends response parameters to the client in its response mode, adding `state` and the
/// RFC 9207 `iss` (as the scenario has it): a `302` (`303` after a POST) to the redirect URI
/// with the parameters in the query (RFC 6749 §4.1.2) or fragment (§4.2.2), or the `form_post`
/// page.
pub fn deliver(
    state: &AppState,
    client: Option<&ClientConfig>,
    target: &Target,
    mut params: Vec<(String, String)>,
    post: bool,
) -> Response {
    if let Some(s) = &target.state {
        params.push(("state".into(), s.clone()));
    }
    if let Some(iss) = scenario_of(state, client, target).authorization_response_iss(&state.issuer)
    {
        params.push(("iss".into(), iss));
    }
    if target.response_mode == "form_post" {
        return html::form_post(&target.redirect_uri, &params);
    }
    let pairs: Vec<(&str, &str)> = params
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let encoded = form_urlencode(&pairs);
    let location = if target.response_mode == "fragment" {
        format!("{}#{encoded}", target.redirect_uri)
    } else if target.redirect_uri.contains('?') {
        format!("{}&{encoded}", target.redirect_uri)
    } else {
        format!("{}?{encoded}", target.redirect_uri)
    };
    redirect(&location, post)
}

/// A redirect: `302 Found` for a GET, `303 See Other` after a POST (RFC 9700 §4.12), never
/// cached.
pub fn redirect(location: &str, post: bool) -> Response {
    let status = if post {
        StatusCode::SEE_OTHER
    } else {
        StatusCode::FOUND
    };
    let mut res = status.into_response();
    let h = res.headers_mut();
    match HeaderValue::from_str(location) {
        Ok(v) => {
            h.insert(header::LOCATION, v);
        }
        Err(_) => {
            return html::error_page(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "the redirect location is not a valid header value",
            );
        }
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// Issues the authorization response for a signed-in user who consented (RFC 6749 §4.1.2,
/// §4.2.2; OpenID Connect Core 1.0 §3.1.2.5, §3.2.2.5, §3.3.2.5): a grant, then the code, the
/// access token and the ID Token the response type asks for.
pub fn complete(
    state: &AppState,
    client: &ClientConfig,
    req: &AuthRequest,
    session: &Session,
    post: bool,
    now: i64,
) -> Response {
    match issue(state, client, req, session, now) {
        Ok(params) => {
            tracing::info!(
                target: "oidckit_server::authorize",
                client = %client.client_id,
                response_type = %req.response_type,
                outcome = "issued",
                "authorization response"
            );
            deliver(state, Some(client), &req.target(), params, post)
        }
        Err(e) => server_error(state, client, req, &e, post),
    }
}

fn issue(
    state: &AppState,
    client: &ClientConfig,
    req: &AuthRequest,
    session: &Session,
    now: i64,
) -> Result<Vec<(String, String)>, crate::error::ServerError> {
    let user: UserConfig = state
        .store
        .user(&session.username)?
        .map(|u| u.config)
        .ok_or_else(|| crate::error::ServerError::Store("the session's user is gone".into()))?;
    let grant = state.store.create_grant(
        &client.client_id,
        Some(&user.username),
        Some(&session.id),
        &req.scope,
        now,
    )?;
    let data = AuthorizationData {
        client_id: client.client_id.clone(),
        username: user.username.clone(),
        redirect_uri: req.redirect_uri.clone(),
        scope: req.scope.clone(),
        nonce: req.nonce.clone(),
        code_challenge: req.code_challenge.clone(),
        auth_time: session.auth_time,
        session_id: Some(session.id.clone()),
        claims: req.claims.clone(),
        max_age_requested: req.max_age_requested,
        scenario: req.scenario.clone(),
        resource: req.resource.clone(),
        dpop_jkt: req.dpop_jkt.clone(),
    };
    let mut params = Vec::new();
    let code = if req.has("code") {
        let code = crate::tokens::random_handle();
        let lifetime = i64::try_from(state.config.lifetimes.authorization_code).unwrap_or(60);
        state
            .store
            .insert_code(&code, &grant, &data, now.saturating_add(lifetime))?;
        params.push(("code".to_owned(), code.clone()));
        Some(code)
    } else {
        None
    };
    let scenario = crate::scenario::resolve(state, client, req.scenario.as_deref());
    let access_token = if req.has("token") {
        let (token, expires_in) = crate::access_token::mint(
            state,
            client,
            Some(&user.username),
            &req.scope,
            &grant,
            &req.resource,
            None,
            &scenario,
            now,
        )?;
        params.push(("access_token".to_owned(), token.clone()));
        params.push((
            "token_type".to_owned(),
            crate::access_token::TOKEN_TYPE_BEARER.to_owned(),
        ));
        params.push(("expires_in".to_owned(), expires_in.to_string()));
        params.push(("scope".to_owned(), req.scope.clone()));
        Some(token)
    } else {
        None
    };
    if req.has("id_token") {
        let id_token = crate::claims::mint_id_token(
            state,
            client,
            &user,
            &data,
            access_token.as_deref(),
            code.as_deref(),
            TokenKind::IdToken,
            now,
        )?;
        params.push(("id_token".to_owned(), id_token));
    }
    Ok(params)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
    use super::*;

    #[test]
    fn loopback_uris_lose_their_port() {
        assert_eq!(
            loopback_without_port("http://127.0.0.1:5173/cb?x=1").as_deref(),
            Some("http://127.0.0.1/cb?x=1")
        );
        assert_eq!(
            loopback_without_port("http://[::1]:80/cb").as_deref(),
            Some("http://[::1]/cb")
        );
        assert_eq!(
            loopback_without_port("http://localhost/cb").as_deref(),
            Some("http://localhost/cb")
        );
        assert_eq!(loopback_without_port("http://a@127.0.0.1:1/cb"), None);
        assert_eq!(loopback_without_port("http://127.0.0.1.evil:1/cb"), None);
        assert_eq!(loopback_without_port("http://127.0.0.1:x/cb"), None);
        assert_eq!(loopback_without_port("https://127.0.0.1:1/cb"), None);
    }

    #[test]
    fn response_types_are_order_insensitive() {
        assert_eq!(
            canonical_response_type("id_token code"),
            Some("code id_token")
        );
        assert_eq!(
            canonical_response_type("token id_token code"),
            Some("code id_token token")
        );
        assert_eq!(canonical_response_type("code code"), None);
        assert_eq!(canonical_response_type("none"), None);
    }

    #[test]
    fn resources_and_descriptions() {
        assert!(valid_resource("https://api.example/x"));
        assert!(valid_resource("urn:x:y"));
        assert!(!valid_resource("/relative"));
        assert!(!valid_resource("https://a/#f"));
        assert_eq!(description_chars("a\"b\\c§"), "a b c ");
    }
}
