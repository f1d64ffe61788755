//! The application: shared state, the router, request logging, and starting the server on
//! 127.0.0.1.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::Instant;

use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, Request};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::get;
use oidckit::Alg;
use rand_core::{CryptoRng, UnwrapErr};
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::config::Config;
use crate::error::ServerError;
use crate::keys::KeyRing;
use crate::routes::{self, discovery, jwks};
use crate::store::{Storage, Store};

/// State shared by every request.
#[derive(Debug)]
pub struct AppState {
    /// The validated configuration.
    pub config: Config,
    /// The issuer identifier in force (OpenID Connect Discovery 1.0 §3).
    pub issuer: String,
    /// The ID Token signing algorithm.
    pub signing_alg: Alg,
    /// The persistent store.
    pub store: Store,
    /// The signing keys (rotation takes the write lock).
    pub keys: RwLock<KeyRing>,
    /// Whether this start generated the signing key (first start, or a new algorithm).
    pub generated_key: bool,
    /// The serialized discovery document (RFC 8414 §2), built once.
    pub discovery_json: String,
    /// The demo relying party's directory, served at `{prefix}/www/`.
    pub www_dir: PathBuf,
    /// The npm package's directory, served at `{prefix}/pkg/`.
    pub pkg_dir: PathBuf,
    /// The admin page's password and sessions.
    pub admin: crate::routes::admin::AdminAuth,
}

/// Start options beyond the configuration file (command-line flags).
#[derive(Debug, Clone, Default)]
pub struct ServeOptions {
    /// `--www-dir` (default: [`crate::routes::assets::default_dir`]`("www")`).
    pub www_dir: Option<PathBuf>,
    /// `--pkg-dir` (default: [`crate::routes::assets::default_dir`]`("pkg")`).
    pub pkg_dir: Option<PathBuf>,
    /// `--admin-password` / `OIDCKIT_ADMIN_PASSWORD`: sets the admin password (its Argon2 hash
    /// replaces the stored one). Absent: the stored one, or a random one generated and
    /// reported once ([`crate::routes::admin::AdminAuth::generated_password`]).
    pub admin_password: Option<crate::config::Secret>,
    /// `--https`: serve TLS with a self-signed certificate generated at start.
    pub https: bool,
}

impl AppState {
    /// Opens nothing itself: takes an open `store`, loads the signing keys (generating one for
    /// the configured algorithm when none is active) and precomputes the discovery document.
    /// Default [`ServeOptions`].
    pub fn new<R: CryptoRng + ?Sized>(
        config: Config,
        issuer: String,
        store: Store,
        now: i64,
        rng: &mut R,
    ) -> Result<Self, ServerError> {
        Self::with_options(config, issuer, store, now, rng, &ServeOptions::default())
    }

    /// [`AppState::new`] with start options (asset directories, admin password).
    pub fn with_options<R: CryptoRng + ?Sized>(
        config: Config,
        issuer: String,
        store: Store,
        now: i64,
        rng: &mut R,
        options: &ServeOptions,
    ) -> Result<Self, ServerError> {
        let signing_alg = config.signing_alg()?;
        let (mut ring, generated_key) = KeyRing::load_or_generate(&store, signing_alg, now, rng)?;
        ring.set_grace(config.server.key_rotation_grace);
        store.seed_from_config(&config, now)?;
        let admin =
            crate::routes::admin::AdminAuth::load(&store, options.admin_password.as_ref(), rng)?;
        let discovery_json = Value::Object(discovery::metadata(&config, &issuer)).to_string();
        Ok(Self {
            config,
            issuer,
            signing_alg,
            store,
            keys: RwLock::new(ring),
            generated_key,
            discovery_json,
            www_dir: options
                .www_dir
                .clone()
                .unwrap_or_else(|| crate::routes::assets::default_dir("www")),
            pkg_dir: options
                .pkg_dir
                .clone()
                .unwrap_or_else(|| crate::routes::assets::default_dir("pkg")),
            admin,
        })
    }

    /// The URL of an endpoint given by its default path (`discovery::paths::*`, maybe with a
    /// suffix such as `/api/me`), at its configured `[paths]` location: what discovery
    /// advertises, so what client assertions' `aud` (RFC 7523 §3) and DPoP proofs' `htu`
    /// (RFC 9449 §4.3) name.
    pub fn endpoint_url(&self, default_path: &str) -> String {
        format!(
            "{}{}",
            self.issuer.trim_end_matches('/'),
            self.config.paths.resolve(default_path)
        )
    }

    /// Rotates the signing key for the configured algorithm now (the admin page's button):
    /// takes the key ring's write lock for the rotation only. Returns the new key's `kid`.
    pub fn rotate_keys(&self) -> Result<String, ServerError> {
        let mut rng = UnwrapErr(getrandom::SysRng);
        let mut ring = self
            .keys
            .write()
            .map_err(|_| ServerError::Keys("the key ring lock is poisoned".into()))?;
        let key = ring.rotate(&self.store, self.signing_alg, now(), &mut rng)?;
        Ok(key.kid.clone())
    }
}

impl AppState {
    /// The misbehaviour scenario in force for `client`: the per-request override (the
    /// authorization request's `scenario` parameter, carried with the grant) when given, else
    /// the client's configured one, else the global switch ([`crate::scenario::resolve`]).
    pub fn scenario_for(
        &self,
        client: &crate::config::ClientConfig,
        request_override: Option<&str>,
    ) -> crate::scenario::Scenario {
        crate::scenario::resolve(self, client, request_override)
    }
}

/// The router for `state`: discovery (both well-known locations), JWKS, a JSON 404, and one
/// log line per request.
pub fn router(state: Arc<AppState>) -> Router {
    let issuer = state.issuer.clone();
    let prefix = discovery::issuer_path(&issuer).to_owned();
    let inner = Router::new()
        .merge(routes::authorize::routes(&prefix))
        .merge(routes::interaction::routes(&prefix))
        .merge(routes::par::routes(&prefix))
        .merge(routes::end_session::routes(&prefix))
        .merge(routes::token::routes(&prefix))
        .merge(routes::userinfo::routes(&prefix))
        .merge(routes::introspect::routes(&prefix))
        .merge(routes::revoke::routes(&prefix))
        .merge(routes::register::routes(&prefix))
        .merge(routes::api::routes(&prefix))
        .merge(routes::admin::routes(&prefix))
        .merge(routes::assets::routes(&prefix))
        .merge(routes::scenario::routes(&prefix))
        .route(&discovery::oidc_path(&issuer), get(discovery::get))
        .route(&discovery::rfc8414_path(&issuer), get(discovery::get))
        .route(&discovery::jwks_path(&issuer), get(jwks::get))
        .fallback(routes::not_found)
        .with_state(state.clone());
    // `[paths]`: requests for configured paths are mapped to the default routes before routing
    // (a `Router::layer` would run after route matching, so the mapping wraps the router).
    let app = if state.config.paths.any_moved() {
        let paths = Arc::new(state.config.paths.clone());
        Router::new()
            .fallback_service(inner)
            .layer(middleware::from_fn(move |req: Request, next: Next| {
                let paths = paths.clone();
                let prefix = prefix.clone();
                async move { next.run(map_path(&paths, &prefix, req)).await }
            }))
    } else {
        inner
    };
    app.layer(middleware::from_fn(log_request))
}

/// Maps a request for a configured `[paths]` path to its default route; a moved default path
/// goes to a path no route serves (the JSON 404). The query is kept.
fn map_path(paths: &crate::config::Paths, prefix: &str, mut req: Request) -> Request {
    let path = req.uri().path();
    let Some(rel) = path.strip_prefix(prefix).filter(|r| r.starts_with('/')) else {
        return req;
    };
    let new_rel = paths
        .route(rel)
        .unwrap_or_else(|| "/.oidckit/moved".to_owned());
    if new_rel == rel {
        return req;
    }
    let pq = match req.uri().query() {
        Some(q) => format!("{prefix}{new_rel}?{q}"),
        None => format!("{prefix}{new_rel}"),
    };
    let mut parts = req.uri().clone().into_parts();
    if let Ok(v) = pq.parse() {
        parts.path_and_query = Some(v);
        if let Ok(uri) = axum::http::Uri::from_parts(parts) {
            *req.uri_mut() = uri;
        }
    }
    req
}

/// The client a request was for, when a handler knows it better than the request shows (a
/// handler may insert it into its response's extensions); the request log prints it.
#[derive(Debug, Clone)]
pub struct LoggedClient(pub String);

/// The largest form body the request log reads to find the `client_id` (larger bodies are
/// refused with 413: no endpoint of this server takes more).
const MAX_FORM_BODY: usize = 1024 * 1024;

/// One `tracing` line per request: peer, method, path (never the query, which can carry codes
/// and tokens), the client (`client_id` from the query, the form body or HTTP Basic
/// authentication, RFC 6749 §2.3.1), status, the outcome (`ok`, or the RFC 6749 §5.2 / §4.1.2.1
/// / RFC 6750 §3 `error` code the response carries) and the duration.
async fn log_request(req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.to_string());
    let mut client = req
        .uri()
        .query()
        .and_then(|q| form_value(q, "client_id"))
        .or_else(|| basic_client(req.headers()));
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(';').next().is_some_and(|t| {
                t.trim()
                    .eq_ignore_ascii_case("application/x-www-form-urlencoded")
            })
        });
    let req = if is_form {
        let (parts, body) = req.into_parts();
        let Ok(bytes) = axum::body::to_bytes(body, MAX_FORM_BODY).await else {
            return crate::routes::json_error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "invalid_request",
                "the request body is too large",
            );
        };
        if client.is_none() {
            client = std::str::from_utf8(&bytes).ok().and_then(|b| {
                form_value(b, "client_id")
                    .or_else(|| form_value(b, "client_assertion").and_then(|a| assertion_sub(&a)))
            });
        }
        Request::from_parts(parts, Body::from(bytes))
    } else {
        req
    };
    let res = next.run(req).await;
    let client = res
        .extensions()
        .get::<LoggedClient>()
        .map(|c| c.0.clone())
        .or(client);
    let status = res.status().as_u16();
    let (res, outcome) = outcome(res).await;
    let micros = u64::try_from(start.elapsed().as_micros()).unwrap_or(u64::MAX);
    tracing::info!(
        target: "oidckit_server::http",
        peer = peer.as_deref().unwrap_or("-"),
        %method,
        path,
        client = client.as_deref().unwrap_or("-"),
        status,
        outcome,
        micros,
        "request"
    );
    res
}

/// One parameter of an `application/x-www-form-urlencoded` string (a query or a body).
fn form_value(s: &str, name: &str) -> Option<String> {
    oidckit::oauth::http::form_decode(s)
        .ok()?
        .into_iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v)
}

/// The `sub` of a client assertion (RFC 7523 §3: the client ID), read without verification: for
/// the log line only (the token endpoint verifies it).
fn assertion_sub(jwt: &str) -> Option<String> {
    use base64::Engine as _;
    let payload = jwt.split('.').nth(1)?;
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .ok()?;
    let v: Value = serde_json::from_slice(&raw).ok()?;
    let sub = v.get("sub")?.as_str()?;
    // Printable ASCII only, bounded: the value is attacker-chosen.
    (sub.len() <= 128 && sub.bytes().all(|b| (0x21..0x7f).contains(&b))).then(|| sub.to_owned())
}

/// The client ID of HTTP Basic authentication (RFC 6749 §2.3.1: form-encoded, then Basic).
fn basic_client(headers: &axum::http::HeaderMap) -> Option<String> {
    use base64::Engine as _;
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, creds) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let raw = base64::engine::general_purpose::STANDARD
        .decode(creds.trim())
        .ok()?;
    let text = String::from_utf8(raw).ok()?;
    let (id, _) = text.split_once(':')?;
    form_value(&format!("id={id}"), "id")
}

/// The outcome of a response: the `error` code of an error redirect (RFC 6749 §4.1.2.1, in the
/// `Location` query or fragment), of a `WWW-Authenticate` challenge (RFC 6750 §3), or of a small
/// JSON error body (RFC 6749 §5.2); else `ok` (2xx, 3xx) or `error`.
async fn outcome(res: Response) -> (Response, String) {
    let status = res.status();
    if let Some(loc) = res
        .headers()
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
    {
        let params = loc.split_once(['?', '#']).map_or("", |(_, p)| p);
        let params = params.replace('#', "&");
        if let Some(e) = form_value(&params, "error") {
            return (res, e);
        }
    }
    if let Some(e) = res
        .headers()
        .get(header::WWW_AUTHENTICATE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split("error=\"").nth(1))
        .and_then(|v| v.split('"').next())
        .map(str::to_owned)
    {
        return (res, e);
    }
    if !(status.is_client_error() || status.is_server_error()) {
        return (res, "ok".to_owned());
    }
    let json = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let small = axum::body::HttpBody::size_hint(res.body())
        .exact()
        .is_some_and(|n| n <= 16 * 1024);
    if !(json && small) {
        return (res, "error".to_owned());
    }
    let (parts, body) = res.into_parts();
    match axum::body::to_bytes(body, 16 * 1024).await {
        Ok(bytes) => {
            let code = serde_json::from_slice::<Value>(&bytes)
                .ok()
                .and_then(|v| v.get("error").and_then(Value::as_str).map(str::to_owned))
                .unwrap_or_else(|| "error".to_owned());
            (Response::from_parts(parts, Body::from(bytes)), code)
        }
        Err(_) => (
            Response::from_parts(parts, Body::empty()),
            "error".to_owned(),
        ),
    }
}

/// Seconds since the Unix epoch by the system clock (the server, unlike the core, reads it).
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// How to start a server.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The configuration.
    pub config: Config,
    /// Where state persists.
    pub storage: Storage,
    /// The port on 127.0.0.1 (0: any free port).
    pub port: u16,
}

/// A started server.
#[derive(Debug)]
pub struct RunningServer {
    /// The bound address (always on 127.0.0.1).
    pub addr: SocketAddr,
    /// The shared state (issuer, keys, store).
    pub state: Arc<AppState>,
    /// With `--https`: where the self-signed certificate (PEM) was written.
    pub tls_cert: Option<PathBuf>,
    /// Dropping the sender (or dropping the [`RunningServer`]) also stops the server.
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
}

impl RunningServer {
    /// The issuer identifier in force.
    pub fn issuer(&self) -> &str {
        &self.state.issuer
    }

    /// Stops accepting, lets requests in flight finish, and waits for the server task.
    pub async fn shutdown(mut self) -> Result<(), ServerError> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        self.wait().await
    }

    /// Waits until the server stops (after [`RunningServer::shutdown`] or an accept-loop error).
    pub async fn wait(self) -> Result<(), ServerError> {
        match self.task.await {
            Ok(r) => r.map_err(ServerError::Io),
            Err(e) => Err(ServerError::Io(std::io::Error::other(e))),
        }
    }
}

/// Binds 127.0.0.1 (never another interface: this is a development server), opens the store,
/// loads or generates the signing key, and serves in a background task. Default
/// [`ServeOptions`].
///
/// The issuer is `[server] issuer` when configured, else `http://127.0.0.1:<bound port>`.
pub async fn start(settings: Settings) -> Result<RunningServer, ServerError> {
    start_with(settings, ServeOptions::default()).await
}

/// [`start`] with options. With `https`, the issuer defaults to `https://127.0.0.1:<port>` and
/// connections are TLS with a self-signed certificate ([`crate::tls`]).
pub async fn start_with(
    settings: Settings,
    options: ServeOptions,
) -> Result<RunningServer, ServerError> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, settings.port)).await?;
    let addr = listener.local_addr()?;
    let scheme = if options.https { "https" } else { "http" };
    let issuer = settings
        .config
        .server
        .issuer
        .clone()
        .unwrap_or_else(|| format!("{scheme}://{addr}"));
    let Settings {
        config, storage, ..
    } = settings;
    // Key generation (RSA), TLS setup and SQLite are blocking work: off the async workers.
    let opts = options.clone();
    let (state, tls) = tokio::task::spawn_blocking(move || {
        let options = opts;
        // The store creates the data directory the certificate goes to.
        let store = Store::open(&storage)?;
        let tls = if options.https {
            Some(crate::tls::setup(&storage)?)
        } else {
            None
        };
        let mut rng = UnwrapErr(getrandom::SysRng);
        let state = AppState::with_options(config, issuer, store, now(), &mut rng, &options)?;
        Ok::<_, ServerError>((state, tls))
    })
    .await
    .map_err(|e| ServerError::Keys(format!("the startup task failed: {e}")))??;
    let state = Arc::new(state);
    let (tx, rx) = oneshot::channel::<()>();
    let tls_cert = tls.as_ref().map(|t| t.cert_path.clone());
    let task = match tls {
        Some(tls) => tokio::spawn(crate::tls::serve(listener, tls, router(state.clone()), rx)),
        None => {
            let app = router(state.clone()).into_make_service_with_connect_info::<SocketAddr>();
            tokio::spawn(async move {
                axum::serve(listener, app)
                    .with_graceful_shutdown(async {
                        let _ = rx.await;
                    })
                    .await
            })
        }
    };
    Ok(RunningServer {
        addr,
        state,
        tls_cert,
        shutdown: Some(tx),
        task,
    })
}
