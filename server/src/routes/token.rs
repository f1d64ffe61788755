//! The token endpoint (RFC 6749 §3.2): form POSTs only, every success an RFC 6749 §5.1 JSON
//! body with `Cache-Control: no-store`, every failure an RFC 6749 §5.2 JSON error.
//!
//! Grants: `authorization_code` (§4.1.3, PKCE S256 per RFC 7636 §4.6), `refresh_token` (§6,
//! rotation for public clients per RFC 9700 §4.14.2), `client_credentials` (§4.4),
//! `password` (§4.3), the JWT bearer grant (RFC 7523 §2.1) and token exchange (RFC 8693 §2).
//! A grant type is accepted only when both the server's `grant_types_supported` and the
//! client's `grant_types` list it. Client authentication is [`crate::client_auth`]. A `DPoP`
//! header (RFC 9449 §5) binds the access token to the proof's key (`cnf.jkt`, `token_type`
//! `DPoP`); DPoP is optional and no nonce is required.
//!
//! Refresh tokens (the policy): issued when `[server] return_refresh_tokens` is on, the server
//! and the client both allow the `refresh_token` grant, and either the granted scope has
//! `offline_access` (OpenID Connect Core 1.0 §11) or the request is plain OAuth (no `openid`
//! scope). Only the `authorization_code`, `password` and `refresh_token` grants issue them.

// Errors are the HTTP responses themselves (RFC 6749 §5.2 bodies), built once per failed
// request: their size does not matter.
#![allow(clippy::result_large_err)]

use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use oidckit::oauth::dpop::{DpopValidation, verify_proof};
use oidckit::{Alg, Family, Object, jwt};
use serde_json::Value;

use crate::access_token::{self, TOKEN_TYPE_BEARER, TOKEN_TYPE_DPOP};
use crate::app::{AppState, now};
use crate::client_auth::{self, token_endpoint_url};
use crate::config::{ClientConfig, ClientType, KNOWN_GRANT_TYPES, UserConfig};
use crate::error::ServerError;
use crate::form_post::{self, param, params};
use crate::grant::{AuthorizationData, CodeError};
use crate::routes::discovery::paths;
use crate::routes::json_error;
use crate::scenario::TokenKind;

/// The JWT bearer grant type (RFC 7523 §2.1).
pub const GRANT_JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
/// The token exchange grant type (RFC 8693 §2.1).
pub const GRANT_TOKEN_EXCHANGE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
/// The access token type identifier (RFC 8693 §3).
pub const TOKEN_TYPE_ACCESS_TOKEN: &str = "urn:ietf:params:oauth:token-type:access_token";

/// Clock skew allowed on DPoP proofs and JWT bearer assertions, in seconds.
const CLOCK_TOLERANCE: u64 = 30;

/// This module's routes, under the issuer path `prefix` (`""` for an issuer at the root).
pub fn routes(prefix: &str) -> Router<Arc<AppState>> {
    Router::new()
        .route(
            &format!("{prefix}{}", paths::TOKEN),
            post(token)
                .options(crate::cors::preflight)
                .fallback(method_not_allowed),
        )
        .layer(axum::middleware::map_response(crate::cors::allow))
}

/// Any method but POST (RFC 6749 §3.2: the client MUST use POST).
pub(crate) async fn method_not_allowed() -> Response {
    let mut res = json_error(
        StatusCode::METHOD_NOT_ALLOWED,
        "invalid_request",
        "this endpoint only accepts POST (RFC 6749 §3.2)",
    );
    res.headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static("POST"));
    res
}

type Outcome<T> = Result<T, Response>;

fn err(code: &str, description: &str) -> Response {
    json_error(StatusCode::BAD_REQUEST, code, description)
}

fn invalid_request(d: &str) -> Response {
    err("invalid_request", d)
}

fn invalid_grant(d: &str) -> Response {
    err("invalid_grant", d)
}

fn invalid_scope(d: &str) -> Response {
    err("invalid_scope", d)
}

/// An internal failure: logged, answered with `server_error` (RFC 6749 §5.2 lists no 5xx code;
/// `server_error` mirrors §4.1.2.1).
pub(crate) fn internal(e: &ServerError) -> Response {
    tracing::error!(target: "oidckit_server::token", error = %e, "internal error");
    json_error(
        StatusCode::INTERNAL_SERVER_ERROR,
        "server_error",
        "the server could not complete the request",
    )
}

/// A successful token response (RFC 6749 §5.1): JSON, `Cache-Control: no-store`,
/// `Pragma: no-cache`.
pub(crate) fn success(body: Object) -> Response {
    let mut res = (StatusCode::OK, Value::Object(body).to_string()).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    res
}

fn has_scope(scope: &str, name: &str) -> bool {
    scope.split(' ').any(|s| s == name)
}

fn server_supports(state: &AppState, grant: &str) -> bool {
    state
        .config
        .server
        .grant_types_supported
        .iter()
        .any(|g| g == grant)
}

fn client_allows(client: &ClientConfig, grant: &str) -> bool {
    client.grant_types.iter().any(|g| g == grant)
}

/// The refresh token policy (see the module documentation).
fn issues_refresh_token(state: &AppState, client: &ClientConfig, scope: &str) -> bool {
    state.config.server.return_refresh_tokens
        && server_supports(state, "refresh_token")
        && client_allows(client, "refresh_token")
        && (has_scope(scope, "offline_access") || !has_scope(scope, "openid"))
}

/// Checks requested scope values against the configured scopes (RFC 6749 §3.3): unknown ones
/// are `invalid_scope`, or dropped with `allow_unsupported_scope`; when the client registered a
/// `scope` (RFC 7591 §2), values outside it are `invalid_scope` too.
fn check_scope(state: &AppState, client: &ClientConfig, requested: &str) -> Outcome<String> {
    let allowed: Option<Vec<&str>> = client.scope.as_deref().map(|s| s.split(' ').collect());
    let mut out: Vec<&str> = Vec::new();
    for s in requested.split(' ').filter(|s| !s.is_empty()) {
        let known = state.config.scopes.iter().any(|c| c.name == s);
        if !known {
            if state.config.server.allow_unsupported_scope {
                continue;
            }
            return Err(invalid_scope(&format!("unknown scope {s:?}")));
        }
        if allowed.as_ref().is_some_and(|a| !a.contains(&s)) {
            return Err(invalid_scope(&format!(
                "the client may not request the scope {s:?}"
            )));
        }
        if !out.contains(&s) {
            out.push(s);
        }
    }
    Ok(out.join(" "))
}

/// The RFC 8707 `resource` values (absolute URIs without a fragment, §2) plus, for token
/// exchange, the RFC 8693 `audience` values; `invalid_target` when the server requires an
/// audience and none is given.
fn requested_audience(form: &[(String, String)]) -> Outcome<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for r in params(form, "resource") {
        let absolute = r.split_once(':').is_some_and(|(scheme, rest)| {
            !scheme.is_empty()
                && scheme
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
                && !rest.is_empty()
        });
        if !absolute || r.contains('#') {
            return Err(err(
                "invalid_target",
                "resource must be an absolute URI without a fragment (RFC 8707 §2)",
            ));
        }
        if !out.iter().any(|o| o == r) {
            out.push(r.to_owned());
        }
    }
    Ok(out)
}

fn require_audience(state: &AppState, audience: &[String]) -> Outcome<()> {
    if state.config.server.audience_required && audience.is_empty() {
        return Err(err(
            "invalid_target",
            "this server requires a resource (RFC 8707 §2) on token requests",
        ));
    }
    Ok(())
}

/// Verifies a `DPoP` header at the token endpoint (RFC 9449 §4.3, §5): `None` without one,
/// the proof key's thumbprint with a valid one; a bad proof is `invalid_dpop_proof`. Proof
/// `jti`s are remembered to refuse replays (§11.1).
pub(crate) fn dpop_proof(
    state: &AppState,
    headers: &HeaderMap,
    htm: &str,
    htu: &str,
    access_token: Option<&str>,
    now: i64,
) -> Result<Option<String>, String> {
    let mut values = headers.get_all("dpop").iter();
    let Some(value) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err("more than one DPoP header field (RFC 9449 §4.3 item 1)".into());
    }
    let proof = value.to_str().map_err(|_| "the DPoP header is not ASCII")?;
    let v = DpopValidation {
        access_token: access_token.map(str::to_owned),
        clock_tolerance: CLOCK_TOLERANCE,
        ..DpopValidation::new(htm, htu, now)
    };
    let verified = verify_proof(proof, &v).map_err(|e| format!("DPoP proof: {e}"))?;
    let jti = verified
        .claims
        .get("jti")
        .and_then(Value::as_str)
        .unwrap_or("");
    let keep = now + i64::try_from(v.max_age + CLOCK_TOLERANCE * 2).unwrap_or(600);
    let fresh = state
        .store
        .remember_jti(&format!("dpop:{}", verified.jkt), jti, keep, now)
        .map_err(|e| e.to_string())?;
    if !fresh {
        return Err("DPoP proof jti replayed (RFC 9449 §11.1)".into());
    }
    Ok(Some(verified.jkt))
}

/// `POST /token`.
async fn token(State(state): State<Arc<AppState>>, req: Request) -> Response {
    let now = now();
    let fr = match form_post::read(req, &["resource", "audience"]).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let Some(grant_type) = param(&fr.form, "grant_type") else {
        return invalid_request("grant_type is missing (RFC 6749 §4)");
    };
    let grant_type = grant_type.to_owned();
    if !KNOWN_GRANT_TYPES.contains(&grant_type.as_str()) || grant_type == "implicit" {
        return err(
            "unsupported_grant_type",
            &format!("the grant type {grant_type:?} is not supported"),
        );
    }
    let url = token_endpoint_url(&state);
    let client =
        match client_auth::authenticate(&state, &fr.headers, &fr.form, fr.peer, &url, now).await {
            Ok(c) => c,
            Err(r) => return r,
        };
    if !server_supports(&state, &grant_type) {
        return err(
            "unsupported_grant_type",
            &format!("this server does not offer the grant type {grant_type:?}"),
        );
    }
    if !client_allows(&client, &grant_type) {
        return err(
            "unauthorized_client",
            &format!("the client may not use the grant type {grant_type:?}"),
        );
    }
    let jkt = match dpop_proof(&state, &fr.headers, "POST", &url, None, now) {
        Ok(j) => j,
        Err(e) => return err("invalid_dpop_proof", &e),
    };
    let ctx = Ctx {
        state: &state,
        client: &client,
        form: &fr.form,
        jkt: jkt.as_deref(),
        now,
    };
    let result = match grant_type.as_str() {
        "authorization_code" => ctx.authorization_code(),
        "refresh_token" => ctx.refresh_token(),
        "client_credentials" => ctx.client_credentials(),
        "password" => ctx.password(),
        GRANT_JWT_BEARER => ctx.jwt_bearer().await,
        GRANT_TOKEN_EXCHANGE => ctx.token_exchange(),
        _ => Err(err("unsupported_grant_type", "unsupported grant type")),
    };
    let mut res = match result {
        Ok(body) => success(body),
        Err(r) => r,
    };
    res.extensions_mut()
        .insert(crate::app::LoggedClient(client.client_id.clone()));
    tracing::debug!(
        target: "oidckit_server::token",
        client_id = client.client_id,
        grant_type,
        status = res.status().as_u16(),
        "token request"
    );
    res
}

/// One token request after client authentication.
struct Ctx<'a> {
    state: &'a AppState,
    client: &'a ClientConfig,
    form: &'a [(String, String)],
    jkt: Option<&'a str>,
    now: i64,
}

/// What a grant issues.
struct Issue<'a> {
    data: &'a AuthorizationData,
    grant_id: &'a str,
    user: Option<&'a UserConfig>,
    /// The scope of the access token (may be narrower than `data.scope`).
    scope: &'a str,
    audience: &'a [String],
    refresh: RefreshIssue<'a>,
    id_token: Option<TokenKind>,
}

enum RefreshIssue<'a> {
    None,
    /// Mint a new refresh token, expiring after the configured lifetime, or at the given
    /// time (a rotated token inherits the remaining lifetime of the one it replaces, like node
    /// oidc-provider's `RefreshTokenTTL` for public clients: rotation never extends a grant).
    New(Option<i64>),
    /// Return this one unchanged (confidential clients keep theirs).
    Keep(&'a str),
}

impl Ctx<'_> {
    #[allow(clippy::too_many_arguments)]
    fn mint_at(
        &self,
        username: Option<&str>,
        scope: &str,
        grant_id: &str,
        audience: &[String],
        scenario_override: Option<&str>,
        extra: Object,
        claims_request: Option<&Object>,
    ) -> Outcome<(String, i64)> {
        let scenario = self.state.scenario_for(self.client, scenario_override);
        let mut private = Object::new();
        if let Some(c) = claims_request {
            private.insert(
                access_token::PRIVATE_CLAIMS.into(),
                Value::Object(c.clone()),
            );
        }
        if let Some(s) = scenario_override {
            private.insert(access_token::PRIVATE_SCENARIO.into(), Value::from(s));
        }
        access_token::mint_with_claims(
            self.state,
            self.client,
            username,
            scope,
            grant_id,
            audience,
            self.jkt,
            &scenario,
            extra,
            private,
            self.now,
        )
        .map_err(|e| internal(&e))
    }

    fn token_type(&self) -> &'static str {
        if self.jkt.is_some() {
            TOKEN_TYPE_DPOP
        } else {
            TOKEN_TYPE_BEARER
        }
    }

    /// Builds the RFC 6749 §5.1 response for a user grant: access token, maybe refresh token,
    /// maybe ID token.
    fn issue(&self, i: &Issue<'_>) -> Outcome<Object> {
        let (at, expires_in) = self.mint_at(
            i.user.map(|u| u.username.as_str()),
            i.scope,
            i.grant_id,
            i.audience,
            i.data.scenario.as_deref(),
            Object::new(),
            i.data.claims.as_ref(),
        )?;
        let mut body = Object::new();
        body.insert("access_token".into(), Value::from(at.as_str()));
        body.insert("token_type".into(), Value::from(self.token_type()));
        body.insert("expires_in".into(), Value::from(expires_in));
        if !i.scope.is_empty() {
            body.insert("scope".into(), Value::from(i.scope));
        }
        match i.refresh {
            RefreshIssue::None => {}
            RefreshIssue::Keep(rt) => {
                body.insert("refresh_token".into(), Value::from(rt));
            }
            RefreshIssue::New(expires_at) => {
                let rt = crate::tokens::random_handle();
                let mut rt_data = i.data.clone();
                // Public clients' refresh tokens are bound to their DPoP key (RFC 9449 §5).
                rt_data.dpop_jkt = match self.client.client_type {
                    ClientType::Public => self.jkt.map(str::to_owned),
                    _ => None,
                };
                let lifetime =
                    i64::try_from(self.state.config.lifetimes.refresh_token).unwrap_or(86400);
                let expires_at = expires_at.unwrap_or(self.now.saturating_add(lifetime));
                self.state
                    .store
                    .insert_refresh_token(&rt, i.grant_id, &rt_data, expires_at)
                    .map_err(|e| internal(&e))?;
                body.insert("refresh_token".into(), Value::from(rt));
            }
        }
        if let (Some(kind), Some(user)) = (i.id_token, i.user)
            && has_scope(i.scope, "openid")
        {
            let id = crate::claims::mint_id_token(
                self.state,
                self.client,
                user,
                i.data,
                Some(&at),
                None,
                kind,
                self.now,
            )
            .map_err(|e| internal(&e))?;
            body.insert("id_token".into(), Value::from(id));
        }
        Ok(body)
    }

    fn user(&self, username: &str) -> Outcome<UserConfig> {
        match self.state.store.user(username) {
            Ok(Some(u)) => Ok(u.config),
            Ok(None) => Err(invalid_grant("the user no longer exists")),
            Err(e) => Err(internal(&e)),
        }
    }

    fn refresh_for(&self, scope: &str) -> RefreshIssue<'static> {
        if issues_refresh_token(self.state, self.client, scope) {
            RefreshIssue::New(None)
        } else {
            RefreshIssue::None
        }
    }

    /// RFC 6749 §4.1.3 with RFC 7636 §4.6.
    fn authorization_code(&self) -> Outcome<Object> {
        let Some(code) = param(self.form, "code") else {
            return Err(invalid_request("code is missing (RFC 6749 §4.1.3)"));
        };
        let (grant_id, data) = match self.state.store.consume_code(code, self.now) {
            Ok(Ok(x)) => x,
            Ok(Err(CodeError::Invalid)) => {
                return Err(invalid_grant(
                    "the authorization code is invalid or expired",
                ));
            }
            Ok(Err(CodeError::Reused)) => {
                return Err(invalid_grant(
                    "the authorization code was already used: its grant is revoked (RFC 6749 §4.1.2)",
                ));
            }
            Err(e) => return Err(internal(&e)),
        };
        // From here on the code is consumed; any failure leaves it unusable.
        if data.client_id != self.client.client_id {
            return Err(invalid_grant(
                "the authorization code was issued to another client",
            ));
        }
        if !data.redirect_uri.is_empty()
            && param(self.form, "redirect_uri") != Some(data.redirect_uri.as_str())
        {
            return Err(invalid_grant(
                "redirect_uri does not match the authorization request (RFC 6749 §4.1.3)",
            ));
        }
        let verifier = param(self.form, "code_verifier");
        match (&data.code_challenge, verifier) {
            (Some(challenge), Some(v)) => {
                if !oidckit::oauth::pkce::verify_code_challenge(v, challenge) {
                    return Err(invalid_grant(
                        "code_verifier does not match the code_challenge (RFC 7636 §4.6)",
                    ));
                }
            }
            (Some(_), None) => {
                return Err(invalid_grant("code_verifier is missing (RFC 7636 §4.5)"));
            }
            (None, Some(_)) => {
                return Err(invalid_grant(
                    "code_verifier sent but the authorization request had no code_challenge (PKCE downgrade)",
                ));
            }
            (None, None) if self.client.client_type == ClientType::Public => {
                return Err(invalid_grant("PKCE is required for public clients"));
            }
            (None, None) => {}
        }
        if let Some(bound) = &data.dpop_jkt
            && self.jkt != Some(bound.as_str())
        {
            return Err(invalid_grant(
                "the code is bound to a DPoP key (dpop_jkt): send a proof with that key (RFC 9449 §10)",
            ));
        }
        let mut audience = requested_audience(self.form)?;
        if !data.resource.is_empty() {
            if let Some(a) = audience.iter().find(|a| !data.resource.contains(a)) {
                return Err(err(
                    "invalid_target",
                    &format!("resource {a:?} was not in the authorization request (RFC 8707 §2.2)"),
                ));
            }
            if audience.is_empty() {
                audience = data.resource.clone();
            }
        }
        require_audience(self.state, &audience)?;
        let user = self.user(&data.username)?;
        self.issue(&Issue {
            data: &data,
            grant_id: &grant_id,
            user: Some(&user),
            scope: &data.scope,
            audience: &audience,
            refresh: self.refresh_for(&data.scope),
            id_token: Some(TokenKind::IdToken),
        })
    }

    /// RFC 6749 §6, with rotation for public clients and reuse detection (RFC 9700 §4.14.2).
    fn refresh_token(&self) -> Outcome<Object> {
        let Some(rt) = param(self.form, "refresh_token") else {
            return Err(invalid_request("refresh_token is missing (RFC 6749 §6)"));
        };
        let rec = match self.state.store.refresh_token(rt) {
            Ok(Some(r)) => r,
            Ok(None) => return Err(invalid_grant("unknown refresh token")),
            Err(e) => return Err(internal(&e)),
        };
        if rec.data.client_id != self.client.client_id {
            return Err(invalid_grant(
                "the refresh token was issued to another client",
            ));
        }
        let active = self
            .state
            .store
            .grant_active(&rec.grant_id)
            .map_err(|e| internal(&e))?;
        if rec.consumed_at.is_some() {
            if active {
                self.state
                    .store
                    .revoke_grant(&rec.grant_id, self.now)
                    .map_err(|e| internal(&e))?;
                return Err(invalid_grant(
                    "the refresh token was already used: its grant is revoked (RFC 9700 §4.14.2)",
                ));
            }
            return Err(invalid_grant("the refresh token is revoked"));
        }
        if !active {
            return Err(invalid_grant("the refresh token is revoked"));
        }
        if rec.expires_at <= self.now {
            return Err(invalid_grant("the refresh token expired"));
        }
        if let Some(bound) = &rec.data.dpop_jkt
            && self.jkt != Some(bound.as_str())
        {
            return Err(invalid_grant(
                "the refresh token is bound to a DPoP key: send a proof with that key (RFC 9449 §5)",
            ));
        }
        let scope = match param(self.form, "scope") {
            None => rec.data.scope.clone(),
            Some(s) => {
                let granted: Vec<&str> = rec.data.scope.split(' ').collect();
                if let Some(x) = s.split(' ').find(|x| !x.is_empty() && !granted.contains(x)) {
                    return Err(invalid_scope(&format!(
                        "the scope {x:?} was not granted (RFC 6749 §6)"
                    )));
                }
                s.split(' ')
                    .filter(|x| !x.is_empty())
                    .collect::<Vec<_>>()
                    .join(" ")
            }
        };
        let audience = requested_audience(self.form)?;
        let audience = if audience.is_empty() {
            rec.data.resource.clone()
        } else {
            audience
        };
        require_audience(self.state, &audience)?;
        let user = self.user(&rec.data.username)?;
        let rotate = self.client.client_type == ClientType::Public;
        if rotate {
            let won = self
                .state
                .store
                .consume_refresh_token(rt, self.now)
                .map_err(|e| internal(&e))?;
            if !won {
                self.state
                    .store
                    .revoke_grant(&rec.grant_id, self.now)
                    .map_err(|e| internal(&e))?;
                return Err(invalid_grant(
                    "the refresh token was already used: its grant is revoked (RFC 9700 §4.14.2)",
                ));
            }
        }
        // A refreshed ID Token carries no nonce (OpenID Connect Core 1.0 §12.2).
        let mut data = rec.data.clone();
        data.nonce = None;
        // The refresh token keeps the grant's full scope; the access token gets `scope`.
        let refresh = if rotate {
            RefreshIssue::New(Some(rec.expires_at))
        } else {
            RefreshIssue::Keep(rt)
        };
        self.issue(&Issue {
            data: &data,
            grant_id: &rec.grant_id,
            user: Some(&user),
            scope: &scope,
            audience: &audience,
            refresh,
            id_token: Some(TokenKind::RefreshedIdToken),
        })
    }

    /// RFC 6749 §4.4: confidential clients only; no refresh token (§4.4.3), no ID Token.
    fn client_credentials(&self) -> Outcome<Object> {
        if self.client.client_type == ClientType::Public {
            return Err(err(
                "unauthorized_client",
                "public clients cannot use client_credentials (RFC 6749 §4.4)",
            ));
        }
        let requested = match param(self.form, "scope") {
            Some(s) => s.to_owned(),
            None => self.client.scope.clone().unwrap_or_default(),
        };
        let scope: String = check_scope(self.state, self.client, &requested)?
            .split(' ')
            .filter(|s| !s.is_empty() && *s != "openid" && *s != "offline_access")
            .collect::<Vec<_>>()
            .join(" ");
        let audience = requested_audience(self.form)?;
        require_audience(self.state, &audience)?;
        let grant_id = self
            .state
            .store
            .create_grant(&self.client.client_id, None, None, &scope, self.now)
            .map_err(|e| internal(&e))?;
        let (at, expires_in) = self.mint_at(
            None,
            &scope,
            &grant_id,
            &audience,
            None,
            Object::new(),
            None,
        )?;
        Ok(self.plain_body(&at, expires_in, &scope))
    }

    fn plain_body(&self, at: &str, expires_in: i64, scope: &str) -> Object {
        let mut body = Object::new();
        body.insert("access_token".into(), Value::from(at));
        body.insert("token_type".into(), Value::from(self.token_type()));
        body.insert("expires_in".into(), Value::from(expires_in));
        if !scope.is_empty() {
            body.insert("scope".into(), Value::from(scope));
        }
        body
    }

    /// The scope of a user grant without an authorization request: the requested one, else
    /// the client's, else the server default (RFC 6749 §3.3).
    fn user_scope(&self) -> Outcome<String> {
        let requested = param(self.form, "scope")
            .map(str::to_owned)
            .or_else(|| self.client.scope.clone())
            .unwrap_or_else(|| self.state.config.server.default_scope.clone());
        check_scope(self.state, self.client, &requested)
    }

    /// RFC 6749 §4.3 (resource owner password credentials).
    fn password(&self) -> Outcome<Object> {
        let (Some(username), Some(password)) =
            (param(self.form, "username"), param(self.form, "password"))
        else {
            return Err(invalid_request(
                "username and password are required (RFC 6749 §4.3.2)",
            ));
        };
        let user = match self.state.store.user(username) {
            Ok(u) => u,
            Err(e) => return Err(internal(&e)),
        };
        let Some(user) =
            user.filter(|u| crate::password::verify(password, &u.config.password_hash))
        else {
            return Err(invalid_grant("wrong username or password"));
        };
        let user = user.config;
        let scope = self.user_scope()?;
        let audience = requested_audience(self.form)?;
        require_audience(self.state, &audience)?;
        let grant_id = self
            .state
            .store
            .create_grant(
                &self.client.client_id,
                Some(&user.username),
                None,
                &scope,
                self.now,
            )
            .map_err(|e| internal(&e))?;
        let data = AuthorizationData {
            client_id: self.client.client_id.clone(),
            username: user.username.clone(),
            scope: scope.clone(),
            auth_time: self.now,
            resource: audience.clone(),
            ..AuthorizationData::default()
        };
        self.issue(&Issue {
            data: &data,
            grant_id: &grant_id,
            user: Some(&user),
            scope: &scope,
            audience: &audience,
            refresh: self.refresh_for(&scope),
            id_token: Some(TokenKind::IdToken),
        })
    }

    /// RFC 7523 §2.1 / §3: the assertion is signed with the client's registered keys, `iss` is
    /// the client, `aud` this server, `exp` and `jti` required (replays refused), and `sub` a
    /// user the client may assert (`jwt_bearer_users`) who allows it (`jwt_bearer_allowed`).
    async fn jwt_bearer(&self) -> Outcome<Object> {
        let Some(assertion) = param(self.form, "assertion") else {
            return Err(invalid_request("assertion is missing (RFC 7523 §2.1)"));
        };
        let algorithms: Vec<Alg> = match &self.client.token_endpoint_auth_signing_alg {
            Some(a) => a
                .parse::<Alg>()
                .ok()
                .filter(|a| a.family() != Family::Oct)
                .into_iter()
                .collect(),
            None => Alg::ALL
                .iter()
                .copied()
                .filter(|a| a.family() != Family::Oct)
                .collect(),
        };
        if algorithms.is_empty() {
            return Err(invalid_grant(
                "the client has no asymmetric signing algorithm",
            ));
        }
        let url = token_endpoint_url(self.state);
        let v = jwt::Validation {
            algorithms,
            issuer: vec![self.client.client_id.clone()],
            audience: vec![
                url,
                self.state.issuer.clone(),
                self.state.issuer.trim_end_matches('/').to_owned(),
            ],
            required_claims: vec!["exp".into(), "jti".into(), "sub".into()],
            clock_tolerance: CLOCK_TOLERANCE,
            ..jwt::Validation::new(self.now)
        };
        let claims = client_auth::verify_client_signed_jwt(self.client, assertion, &v, self.now)
            .await
            .map_err(|e| invalid_grant(&format!("assertion: {e}")))?;
        let exp = claims.get("exp").and_then(Value::as_f64).unwrap_or(0.0);
        if exp > (self.now + client_auth::MAX_ASSERTION_WINDOW) as f64 {
            return Err(invalid_grant(
                "assertion: exp is too far in the future (RFC 7523 §3 item 4)",
            ));
        }
        let jti = claims.get("jti").and_then(Value::as_str).unwrap_or("");
        let sub = claims.get("sub").and_then(Value::as_str).unwrap_or("");
        if jti.is_empty() || sub.is_empty() {
            return Err(invalid_grant("assertion: empty jti or sub"));
        }
        let fresh = self
            .state
            .store
            .remember_jti(
                &format!("jwt-bearer:{}", self.client.client_id),
                jti,
                exp as i64 + CLOCK_TOLERANCE as i64,
                self.now,
            )
            .map_err(|e| internal(&e))?;
        if !fresh {
            return Err(invalid_grant(
                "assertion: jti replayed (RFC 7523 §3 item 7)",
            ));
        }
        if !self.client.jwt_bearer_users.iter().any(|u| u == sub) {
            return Err(invalid_grant(
                "the client may not assert this user (jwt_bearer_users)",
            ));
        }
        let user = match self.state.store.user(sub) {
            Ok(Some(u)) if u.config.jwt_bearer_allowed => u.config,
            Ok(_) => {
                return Err(invalid_grant("the user does not allow JWT bearer logins"));
            }
            Err(e) => return Err(internal(&e)),
        };
        let requested = match param(self.form, "scope") {
            Some(s) => s.to_owned(),
            None => self.client.scope.clone().unwrap_or_default(),
        };
        let scope = check_scope(self.state, self.client, &requested)?;
        let audience = requested_audience(self.form)?;
        require_audience(self.state, &audience)?;
        let grant_id = self
            .state
            .store
            .create_grant(
                &self.client.client_id,
                Some(&user.username),
                None,
                &scope,
                self.now,
            )
            .map_err(|e| internal(&e))?;
        let (at, expires_in) = self.mint_at(
            Some(&user.username),
            &scope,
            &grant_id,
            &audience,
            None,
            Object::new(),
            None,
        )?;
        Ok(self.plain_body(&at, expires_in, &scope))
    }

    /// RFC 8693 §2: exchanges an access token this server issued (the `subject_token`) for a
    /// new one for the calling client, for the requested `audience` / `resource` and a scope
    /// within the subject token's. An `actor_token` (also ours) adds the `act` claim (§4.1).
    fn token_exchange(&self) -> Outcome<Object> {
        let (Some(subject), Some(subject_type)) = (
            param(self.form, "subject_token"),
            param(self.form, "subject_token_type"),
        ) else {
            return Err(invalid_request(
                "subject_token and subject_token_type are required (RFC 8693 §2.1)",
            ));
        };
        if subject_type != TOKEN_TYPE_ACCESS_TOKEN {
            return Err(invalid_request(
                "only urn:ietf:params:oauth:token-type:access_token subject tokens are supported",
            ));
        }
        if let Some(t) = param(self.form, "requested_token_type")
            && t != TOKEN_TYPE_ACCESS_TOKEN
        {
            return Err(invalid_request(
                "only access tokens can be requested (requested_token_type)",
            ));
        }
        let found = access_token::find(self.state, subject, self.now)
            .map_err(|e| internal(&e))?
            .ok_or_else(|| invalid_grant("the subject_token is invalid, expired or revoked"))?;
        let mut extra = Object::new();
        match (
            param(self.form, "actor_token"),
            param(self.form, "actor_token_type"),
        ) {
            (None, None) => {}
            (Some(actor), Some(TOKEN_TYPE_ACCESS_TOKEN)) => {
                let a = access_token::lookup(self.state, actor, self.now)
                    .map_err(|e| internal(&e))?
                    .ok_or_else(|| invalid_grant("the actor_token is invalid"))?;
                let sub = a.get("sub").cloned().unwrap_or(Value::Null);
                extra.insert("act".into(), serde_json::json!({ "sub": sub }));
            }
            _ => {
                return Err(invalid_request(
                    "actor_token needs actor_token_type access_token (RFC 8693 §2.1)",
                ));
            }
        }
        let subject_scope = found
            .data
            .get("scope")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned();
        let scope = match param(self.form, "scope") {
            None => subject_scope,
            Some(s) => {
                let have: Vec<&str> = subject_scope.split(' ').collect();
                if let Some(x) = s.split(' ').find(|x| !x.is_empty() && !have.contains(x)) {
                    return Err(invalid_scope(&format!(
                        "the scope {x:?} is not in the subject token (RFC 8693 §2.1)"
                    )));
                }
                s.to_owned()
            }
        };
        let mut audience = requested_audience(self.form)?;
        for a in params(self.form, "audience") {
            if !audience.iter().any(|x| x == a) {
                audience.push(a.to_owned());
            }
        }
        require_audience(self.state, &audience)?;
        let username = found
            .data
            .get("username")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let (at, expires_in) = self.mint_at(
            username.as_deref(),
            &scope,
            &found.grant_id,
            &audience,
            None,
            extra,
            None,
        )?;
        let mut body = self.plain_body(&at, expires_in, &scope);
        body.insert(
            "issued_token_type".into(),
            Value::from(TOKEN_TYPE_ACCESS_TOKEN),
        );
        Ok(body)
    }
}
