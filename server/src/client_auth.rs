//! Client authentication at the token, introspection, revocation and PAR endpoints (RFC 6749
//! §2.3, OpenID Connect Core 1.0 §9, RFC 7521 §4.2, RFC 7523 §2.2 / §3).
//!
//! Methods: `client_secret_basic` and `client_secret_post` (RFC 6749 §2.3.1), `none` (a public
//! client identifies itself with `client_id` only, RFC 6749 §2.3 / §3.2.1), `client_secret_jwt`
//! and `private_key_jwt` (OpenID Connect Core 1.0 §9, RFC 7523 §2.2). A request uses exactly one
//! method (RFC 6749 §2.3), and it must be the client's registered `token_endpoint_auth_method`
//! (RFC 7591 §2). Backend clients may also be limited to source addresses (`allowed_cidrs`).
//!
//! Every failure is `invalid_client` (RFC 6749 §5.2), HTTP 401, with `WWW-Authenticate: Basic`
//! when the client tried the `Authorization` header; malformed requests are `invalid_request`.

// Errors are the HTTP responses themselves (RFC 6749 §5.2 bodies), built once per failed
// request: their size does not matter.
#![allow(clippy::result_large_err)]

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{LazyLock, Mutex};

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use oidckit::jws::KeySource as _;
use oidckit::oauth::client_auth::CLIENT_ASSERTION_TYPE_JWT_BEARER;
use oidckit::{Alg, Family, JwkSet, Key, Object, jwt};
use rusqlite::params;
use subtle::ConstantTimeEq as _;

use crate::app::AppState;
use crate::config::ClientConfig;
use crate::error::ServerError;
use crate::routes::discovery::paths;
use crate::routes::json_error;
use crate::store::Store;

/// The longest a client assertion may still be valid, in seconds from now (RFC 7523 §3 item 4:
/// `exp` bounds the replay window, so the server bounds `exp`).
pub const MAX_ASSERTION_WINDOW: i64 = 600;

/// Clock skew allowed on assertion `exp`, `nbf` and `iat`, in seconds.
pub const ASSERTION_CLOCK_TOLERANCE: u64 = 30;

/// How long a fetched `jwks_uri` document is reused, in seconds.
pub const JWKS_CACHE_SECONDS: i64 = 30;

/// The parameters that carry client credentials in a form body.
const CREDENTIAL_PARAMS: [&str; 4] = [
    "client_id",
    "client_secret",
    "client_assertion",
    "client_assertion_type",
];

/// A fetched `jwks_uri` JWK Set, by URL: (fetched at, JSON text).
static JWKS_CACHE: LazyLock<Mutex<HashMap<String, (i64, String)>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

/// The token endpoint URL of this server (the preferred client assertion `aud`, OpenID Connect
/// Core 1.0 §9).
pub fn token_endpoint_url(state: &AppState) -> String {
    endpoint_url(state, paths::TOKEN)
}

/// The absolute URL of an endpoint, from its default path (`paths::*`), as advertised: a path
/// moved by `[paths]` resolves to its configured location.
pub fn endpoint_url(state: &AppState, path: &str) -> String {
    state.endpoint_url(path)
}

/// What the request presented.
enum Presented {
    /// No credentials besides (maybe) `client_id`: the `none` method.
    None(String),
    /// `client_secret_basic` or `client_secret_post`: (client_id, secret, method name).
    Secret(String, String, &'static str),
    /// A JWT client assertion (RFC 7523 §2.2): (client_id, assertion).
    Assertion(String, String),
}

fn invalid_client(basic: bool, description: &str) -> Response {
    tracing::info!(target: "oidckit_server::client_auth", reason = description, "invalid_client");
    let mut res = json_error(StatusCode::UNAUTHORIZED, "invalid_client", description);
    if basic {
        res.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"oidckit-server\""),
        );
    }
    res
}

fn invalid_request(description: &str) -> Response {
    json_error(StatusCode::BAD_REQUEST, "invalid_request", description)
}

fn server_error(e: &ServerError) -> Response {
    tracing::error!(target: "oidckit_server::client_auth", error = %e, "store failure");
    json_error(
        StatusCode::INTERNAL_SERVER_ERROR,
        "server_error",
        "the server could not complete the request",
    )
}

/// The one value of a form parameter; a repeated credential parameter is `invalid_request`
/// (RFC 6749 §3.2: parameters MUST NOT be included more than once). Empty values count as
/// absent (RFC 6749 §3.1).
fn single<'a>(form: &'a [(String, String)], name: &str) -> Result<Option<&'a str>, Response> {
    let mut found = None;
    for (n, v) in form {
        if n == name && !v.is_empty() {
            if found.is_some() {
                return Err(invalid_request(&format!(
                    "the {name} parameter is repeated (RFC 6749 §3.2)"
                )));
            }
            found = Some(v.as_str());
        }
    }
    Ok(found)
}

/// Decodes one `client_secret_basic` credential part: the client identifier and secret are
/// form-urlencoded before Basic encoding (RFC 6749 §2.3.1, Appendix B).
fn basic_component(part: &str) -> Option<String> {
    let pairs =
        oidckit::oauth::http::form_decode(&format!("v={}", part.replace('&', "%26"))).ok()?;
    match pairs.as_slice() {
        [(_, v)] => Some(v.clone()),
        _ => None,
    }
}

/// The `Authorization: Basic` credentials (RFC 7617 §2, RFC 6749 §2.3.1), when that scheme is
/// used. `Err` for a malformed header.
fn basic_credentials(headers: &HeaderMap) -> Result<Option<(String, String)>, Response> {
    let mut values = headers.get_all(header::AUTHORIZATION).iter();
    let Some(value) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(invalid_request(
            "the Authorization header field is repeated",
        ));
    }
    let value = value.to_str().unwrap_or("");
    let (scheme, rest) = value.split_once(' ').unwrap_or((value, ""));
    if !scheme.eq_ignore_ascii_case("basic") {
        // Another scheme (e.g. DPoP or Bearer) is not client authentication here.
        return Ok(None);
    }
    let bad = || invalid_client(true, "malformed Basic credentials (RFC 7617 §2)");
    let decoded = STANDARD.decode(rest.trim()).map_err(|_| bad())?;
    let text = String::from_utf8(decoded).map_err(|_| bad())?;
    let (id, secret) = text.split_once(':').ok_or_else(bad)?;
    let id = basic_component(id).ok_or_else(bad)?;
    let secret = basic_component(secret).ok_or_else(bad)?;
    if id.is_empty() {
        return Err(bad());
    }
    Ok(Some((id, secret)))
}

/// The client identifier a JWT assertion names (`sub`, which RFC 7523 §3 item 2 makes the
/// client_id), read without verification only to find the client whose keys verify it.
fn assertion_subject(assertion: &str) -> Option<String> {
    let claims = jwt::decode(assertion).ok()?;
    claims
        .get("sub")
        .and_then(serde_json::Value::as_str)
        .map(str::to_owned)
}

/// Authenticates the client of a token-endpoint-style request (RFC 6749 §2.3, OpenID Connect
/// Core 1.0 §9): finds the one method used, checks it is the client's registered
/// `token_endpoint_auth_method`, verifies the credentials, applies the client's CIDR allow
/// rules to `peer`, and records the use (`Store::touch_client`).
///
/// `endpoint_url` is the absolute URL of the endpoint called: a client assertion's `aud` may be
/// it, the issuer, or the token endpoint URL (OpenID Connect Core 1.0 §9, RFC 7523 §3 item 3).
/// `form` is the decoded request body.
pub async fn authenticate(
    state: &AppState,
    headers: &HeaderMap,
    form: &[(String, String)],
    peer: Option<IpAddr>,
    endpoint_url: &str,
    now: i64,
) -> Result<ClientConfig, Response> {
    for name in CREDENTIAL_PARAMS {
        single(form, name)?;
    }
    let basic = basic_credentials(headers)?;
    let form_id = single(form, "client_id")?;
    let form_secret = single(form, "client_secret")?;
    let assertion = single(form, "client_assertion")?;
    let assertion_type = single(form, "client_assertion_type")?;
    let used = usize::from(basic.is_some())
        + usize::from(form_secret.is_some())
        + usize::from(assertion.is_some() || assertion_type.is_some());
    if used > 1 {
        return Err(invalid_request(
            "the request uses more than one client authentication method (RFC 6749 §2.3)",
        ));
    }
    let tried_basic = basic.is_some();
    let presented = if let Some((id, secret)) = basic {
        if form_id.is_some_and(|f| f != id) {
            return Err(invalid_request(
                "the client_id parameter differs from the Basic credentials",
            ));
        }
        Presented::Secret(id, secret, "client_secret_basic")
    } else if let Some(secret) = form_secret {
        let Some(id) = form_id else {
            return Err(invalid_client(
                false,
                "client_secret without client_id (RFC 6749 §2.3.1)",
            ));
        };
        Presented::Secret(id.to_owned(), secret.to_owned(), "client_secret_post")
    } else if assertion.is_some() || assertion_type.is_some() {
        if assertion_type != Some(CLIENT_ASSERTION_TYPE_JWT_BEARER) {
            return Err(invalid_client(
                false,
                "client_assertion_type must be urn:ietf:params:oauth:client-assertion-type:jwt-bearer (RFC 7523 §2.2)",
            ));
        }
        let Some(assertion) = assertion else {
            return Err(invalid_client(false, "client_assertion is missing"));
        };
        let id = match (form_id, assertion_subject(assertion)) {
            (Some(f), Some(s)) if f != s => {
                return Err(invalid_client(
                    false,
                    "the client assertion's sub is not the client_id (RFC 7523 §3 item 2)",
                ));
            }
            (Some(f), _) => f.to_owned(),
            (None, Some(s)) => s,
            (None, None) => {
                return Err(invalid_client(false, "the client assertion is malformed"));
            }
        };
        Presented::Assertion(id, assertion.to_owned())
    } else if let Some(id) = form_id {
        Presented::None(id.to_owned())
    } else {
        return Err(invalid_client(
            false,
            "no client authentication (RFC 6749 §2.3)",
        ));
    };

    let client_id = match &presented {
        Presented::None(id) | Presented::Secret(id, _, _) | Presented::Assertion(id, _) => id,
    };
    let (client, last_used) = match state.store.client(client_id) {
        Ok(Some(rec)) => (rec.config, rec.last_used_at),
        Ok(None) => return Err(invalid_client(tried_basic, "unknown client")),
        Err(e) => return Err(server_error(&e)),
    };
    let registered = client.token_endpoint_auth_method.as_str();
    let method = match &presented {
        Presented::None(_) => "none",
        Presented::Secret(_, _, m) => m,
        Presented::Assertion(_, _) if registered == "client_secret_jwt" => "client_secret_jwt",
        Presented::Assertion(_, _) => "private_key_jwt",
    };
    if method != registered {
        return Err(invalid_client(
            tried_basic,
            &format!(
                "the client authenticates with {registered}, not {method} (RFC 7591 §2 token_endpoint_auth_method)"
            ),
        ));
    }

    // Source addresses first: nothing from outside the allowed blocks is even verified (so a
    // refused assertion does not spend its jti either).
    let cidrs = client.cidrs();
    if !cidrs.is_empty() && !peer.is_some_and(|ip| cidrs.iter().any(|c| c.contains(ip))) {
        return Err(invalid_client(
            tried_basic,
            "the request comes from an address outside the client's allowed CIDR blocks",
        ));
    }

    match &presented {
        Presented::None(_) => {}
        Presented::Secret(_, secret, _) => {
            let ok = client
                .client_secret
                .as_ref()
                .is_some_and(|s| bool::from(s.expose().as_bytes().ct_eq(secret.as_bytes())));
            if !ok {
                return Err(invalid_client(tried_basic, "wrong client secret"));
            }
            check_secret_expiry(state, &client, tried_basic, now)?;
        }
        Presented::Assertion(_, assertion) => {
            if method == "client_secret_jwt" {
                check_secret_expiry(state, &client, tried_basic, now)?;
            }
            verify_assertion(state, &client, assertion, endpoint_url, now).await?;
        }
    }

    // One durable write per second at most (load runs hit this on every request).
    if last_used != Some(now)
        && let Err(e) = state.store.touch_client(&client.client_id, now)
    {
        return Err(server_error(&e));
    }
    Ok(client)
}

/// A registered client's secret may expire (RFC 7591 §3.2.1 `client_secret_expires_at`).
fn check_secret_expiry(
    state: &AppState,
    client: &ClientConfig,
    basic: bool,
    now: i64,
) -> Result<(), Response> {
    match crate::registration::secret_expires_at(&state.store, &client.client_id) {
        Ok(Some(at)) if at != 0 && at <= now => {
            Err(invalid_client(basic, "the client secret has expired"))
        }
        Ok(_) => Ok(()),
        Err(e) => Err(server_error(&e)),
    }
}

/// The JWT algorithms a client's assertions may use: its `token_endpoint_auth_signing_alg`
/// when registered, else every `HS*` (client_secret_jwt) or every asymmetric algorithm
/// (private_key_jwt).
fn assertion_algs(client: &ClientConfig, secret: bool) -> Result<Vec<Alg>, String> {
    if let Some(a) = &client.token_endpoint_auth_signing_alg {
        let alg: Alg = a.parse().map_err(|_| format!("unsupported alg {a:?}"))?;
        return Ok(vec![alg]);
    }
    Ok(Alg::ALL
        .iter()
        .copied()
        .filter(|a| (a.family() == Family::Oct) == secret)
        .collect())
}

/// A client's registered public keys as a JWS key source (RFC 7515 §4.1.4): keys are matched
/// by `alg` and `kid` like a JWK Set, except that a key registered without a `kid` (a PEM key or
/// certificate, or a JWK without `kid`) also answers to any `kid` the token names: the client
/// cannot know a kid we never assigned, and libraries often send one anyway.
#[derive(Debug, Clone)]
pub struct ClientKeys {
    set: JwkSet,
}

impl ClientKeys {
    /// Every key.
    pub fn keys(&self) -> &[Key] {
        self.set.keys()
    }
}

impl oidckit::jws::KeySource for ClientKeys {
    fn candidates(&self, header: &oidckit::jws::Header) -> oidckit::Result<Vec<&Key>> {
        if header.alg.family() == Family::Oct {
            return Err(oidckit::Error::JwksNoMatchingKey);
        }
        let mut keys = self.set.candidates(header.alg, header.kid.as_deref());
        if keys.is_empty() && header.kid.is_some() {
            keys = self
                .set
                .candidates(header.alg, None)
                .into_iter()
                .filter(|k| k.meta.kid.is_none())
                .collect();
        }
        if keys.is_empty() {
            return Err(oidckit::Error::JwksNoMatchingKey);
        }
        Ok(keys)
    }

    fn default_algs(&self) -> Vec<Alg> {
        self.set.default_algs()
    }
}

/// The keys that verify a `private_key_jwt` assertion: the registered `jwks` and
/// `public_key_pem`, plus the `jwks_uri` document (fetched, cached briefly).
pub async fn client_keys(client: &ClientConfig, now: i64) -> Result<ClientKeys, String> {
    let mut keys: Vec<Key> = client.public_keys()?;
    if let Some(uri) = &client.jwks_uri {
        let text = fetch_jwks(uri, now).await?;
        let set = JwkSet::from_json(&text).map_err(|e| format!("jwks_uri: {e}"))?;
        keys.extend(set.keys().iter().cloned());
    }
    Ok(ClientKeys {
        set: JwkSet::from_keys(keys),
    })
}

/// The shortest age of a cached `jwks_uri` document that a `kid` miss may refetch.
const JWKS_REFETCH_SECONDS: i64 = 5;

/// Drops a cached `jwks_uri` document older than [`JWKS_REFETCH_SECONDS`]: `true` when dropped
/// (a refetch may help), `false` when it is fresh (a refetch would return the same keys).
fn forget_jwks(uri: &str, now: i64) -> bool {
    let Ok(mut cache) = JWKS_CACHE.lock() else {
        return false;
    };
    match cache.get(uri) {
        Some((at, _)) if now - at < JWKS_REFETCH_SECONDS => false,
        _ => {
            cache.remove(uri);
            true
        }
    }
}

async fn fetch_jwks(uri: &str, now: i64) -> Result<String, String> {
    if let Ok(cache) = JWKS_CACHE.lock()
        && let Some((at, text)) = cache.get(uri)
        && now - at < JWKS_CACHE_SECONDS
        && now >= *at
    {
        return Ok(text.clone());
    }
    let res = crate::outbound::get(uri).await?;
    if res.status != 200 {
        return Err(format!("jwks_uri answered HTTP {}", res.status));
    }
    let text = String::from_utf8(res.body.to_vec()).map_err(|_| "jwks_uri: not UTF-8")?;
    if let Ok(mut cache) = JWKS_CACHE.lock() {
        if cache.len() > 256 {
            cache.clear();
        }
        cache.insert(uri.to_owned(), (now, text.clone()));
    }
    Ok(text)
}

/// Verifies a JWT client assertion (RFC 7523 §3, OpenID Connect Core 1.0 §9): signature with
/// the client's keys (or, for client_secret_jwt, its secret), `iss` = `sub` = client_id, `aud`
/// one of this endpoint, the issuer or the token endpoint, `exp` required and at most
/// [`MAX_ASSERTION_WINDOW`] ahead, `jti` required and never seen before for this client.
async fn verify_assertion(
    state: &AppState,
    client: &ClientConfig,
    assertion: &str,
    endpoint_url: &str,
    now: i64,
) -> Result<(), Response> {
    let secret = client.token_endpoint_auth_method == "client_secret_jwt";
    let fail = |why: &str| invalid_client(false, &format!("client assertion: {why}"));
    let algorithms = assertion_algs(client, secret).map_err(|e| fail(&e))?;
    let mut audience = vec![
        endpoint_url.to_owned(),
        state.issuer.clone(),
        token_endpoint_url(state),
    ];
    let trimmed = state.issuer.trim_end_matches('/').to_owned();
    if !audience.contains(&trimmed) {
        audience.push(trimmed);
    }
    let v = jwt::Validation {
        algorithms,
        issuer: vec![client.client_id.clone()],
        subject: Some(client.client_id.clone()),
        audience,
        required_claims: vec!["exp".into(), "jti".into()],
        clock_tolerance: ASSERTION_CLOCK_TOLERANCE,
        ..jwt::Validation::new(now)
    };
    let verified = if secret {
        let s = client
            .client_secret
            .as_ref()
            .ok_or_else(|| fail("the client has no secret"))?;
        let key =
            Key::from_secret(s.expose().as_bytes(), None).map_err(|e| fail(&e.to_string()))?;
        jwt::verify(assertion, &key, &v)
    } else {
        let keys = client_keys(client, now).await.map_err(|e| fail(&e))?;
        if keys.default_algs().is_empty() {
            return Err(fail("the client has no usable public keys"));
        }
        match jwt::verify(assertion, &keys, &v) {
            Err(oidckit::Error::JwksNoMatchingKey) if client.jwks_uri.is_some() => {
                // The client may have rotated its keys: fetch its jwks_uri again (at most once
                // per few seconds) and retry.
                let uri = client.jwks_uri.as_deref().unwrap_or("");
                if forget_jwks(uri, now) {
                    let keys = client_keys(client, now).await.map_err(|e| fail(&e))?;
                    jwt::verify(assertion, &keys, &v)
                } else {
                    Err(oidckit::Error::JwksNoMatchingKey)
                }
            }
            other => other,
        }
    }
    .map_err(|e| fail(&e.to_string()))?;
    let exp = verified
        .claims
        .get("exp")
        .and_then(serde_json::Value::as_f64)
        .unwrap_or(0.0);
    if exp > (now + MAX_ASSERTION_WINDOW) as f64 {
        return Err(fail(&format!(
            "exp is more than {MAX_ASSERTION_WINDOW} s ahead (RFC 7523 §3 item 4)"
        )));
    }
    let jti = verified
        .claims
        .get("jti")
        .and_then(serde_json::Value::as_str)
        .unwrap_or("");
    if jti.is_empty() {
        return Err(fail("jti is empty"));
    }
    // Kept until `exp` (plus the tolerance): after that the assertion is refused anyway.
    let keep_until = exp as i64 + ASSERTION_CLOCK_TOLERANCE as i64;
    match state
        .store
        .remember_jti(&client.client_id, jti, keep_until, now)
    {
        Ok(true) => Ok(()),
        Ok(false) => Err(fail("jti replayed (RFC 7523 §3 item 7)")),
        Err(e) => Err(server_error(&e)),
    }
}

/// Verifies an assertion given the claims checks and returns its claims: a helper for grants
/// that carry JWTs signed by a client's keys (RFC 7523 §2.1).
pub async fn verify_client_signed_jwt(
    client: &ClientConfig,
    token: &str,
    v: &jwt::Validation,
    now: i64,
) -> Result<Object, String> {
    let keys = client_keys(client, now).await?;
    if keys.default_algs().is_empty() {
        return Err("the client has no registered public keys".into());
    }
    jwt::verify(token, &keys, v)
        .map(|j| j.claims)
        .map_err(|e| e.to_string())
}

impl Store {
    /// Records a JWT `jti` for `namespace` (a client_id, or a prefixed name for other JWT
    /// kinds) until `expires_at`: `false` when it was already recorded (a replay, RFC 7523 §3
    /// item 7). Expired entries are purged on the way.
    pub fn remember_jti(
        &self,
        namespace: &str,
        jti: &str,
        expires_at: i64,
        now: i64,
    ) -> Result<bool, ServerError> {
        let conn = self.conn()?;
        conn.execute(
            "DELETE FROM client_assertion_jtis WHERE expires_at < ?1",
            [now],
        )?;
        let inserted = conn.execute(
            "INSERT INTO client_assertion_jtis (client_id, jti, expires_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (client_id, jti) DO NOTHING",
            params![namespace, jti, expires_at],
        )?;
        Ok(inserted == 1)
    }
}
