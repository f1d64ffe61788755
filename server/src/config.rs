//! The server's TOML configuration: issuer, lifetimes, scopes, clients and users.
//!
//! The default configuration ([`DEFAULT_CONFIG_TOML`], `server/default-config.toml`) is embedded
//! in the binary, so `oidckit-server` starts with no file at all: a demo public client for the
//! demo RP, a demo confidential client, a demo backend client with an RSA public key, and two
//! demo users. `--config FILE` replaces it as a whole. Unknown keys are errors (a typo must not
//! silently weaken a setting), and [`Config::from_toml_str`] validates everything a later
//! request would otherwise trip over: key material, password hashes, CIDR rules, URIs.
//!
//! Client metadata names follow RFC 7591 §2 (`redirect_uris`, `grant_types`, `response_types`,
//! `token_endpoint_auth_method`, `scope`, `jwks`, `jwks_uri`, ...).

use std::collections::BTreeSet;
use std::net::IpAddr;

use argon2::password_hash::phc::PasswordHash;
use oidckit::{Alg, Family, JwkSet, Key, Object};
use serde::{Deserialize, Serialize};

use crate::error::ServerError;

/// The embedded default configuration (a development setup with demo clients and users).
pub const DEFAULT_CONFIG_TOML: &str = include_str!("../default-config.toml");

/// The demo users' passwords in the embedded configuration, printed in the start banner when
/// it is in use (their Argon2id hashes are what the configuration holds).
pub const DEMO_PASSWORDS: &[(&str, &str)] = &[
    ("alice", "alice-demo-password"),
    ("bob", "bob-demo-password"),
];

/// The placeholder replaced by the issuer in client URIs (`redirect_uris`,
/// `post_logout_redirect_uris`), so the demo clients follow `--port`.
pub const ISSUER_PLACEHOLDER: &str = "{issuer}";

/// The grant types the server knows (RFC 6749 §4, RFC 7523 §2.1, RFC 8693 §2.1).
pub const KNOWN_GRANT_TYPES: &[&str] = &[
    "authorization_code",
    "refresh_token",
    "client_credentials",
    "password",
    "implicit",
    "urn:ietf:params:oauth:grant-type:jwt-bearer",
    "urn:ietf:params:oauth:grant-type:token-exchange",
];

/// The response types the server knows (RFC 6749 §3.1.1, OAuth 2.0 Multiple Response Type
/// Encoding Practices §3, OpenID Connect Core 1.0 §3).
pub const KNOWN_RESPONSE_TYPES: &[&str] = &[
    "code",
    "id_token",
    "id_token token",
    "code id_token",
    "code token",
    "code id_token token",
];

/// Client authentication methods at the token endpoint (RFC 7591 §2, OpenID Connect Core 1.0
/// §9).
pub const KNOWN_AUTH_METHODS: &[&str] = &[
    "none",
    "client_secret_basic",
    "client_secret_post",
    "client_secret_jwt",
    "private_key_jwt",
];

/// The algorithms the server signs ID tokens with (RS256 default, OpenID Connect Core 1.0
/// §15.1; ES256, PS256 and EdDSA selectable).
pub const SIGNING_ALGS: &[Alg] = &[Alg::Rs256, Alg::Ps256, Alg::Es256, Alg::EdDsa];

/// The whole configuration file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// `[server]`: issuer, port, signing algorithm.
    #[serde(default)]
    pub server: ServerSection,
    /// `[lifetimes]`: token, code, session and secret lifetimes in seconds.
    #[serde(default)]
    pub lifetimes: Lifetimes,
    /// `[[scopes]]`: the scopes offered, with the description shown on the consent page.
    #[serde(default)]
    pub scopes: Vec<Scope>,
    /// `[[clients]]`: registered clients (RFC 7591 §2 metadata names).
    #[serde(default)]
    pub clients: Vec<ClientConfig>,
    /// `[[users]]`: end-users who can sign in.
    #[serde(default)]
    pub users: Vec<UserConfig>,
    /// `[paths]`: where each endpoint lives under the issuer path.
    #[serde(default)]
    pub paths: Paths,
}

/// `[paths]`: each endpoint's path under the issuer path (defaults: `/authorize`, `/token`,
/// ...; the metadata document, RFC 8414 §2, advertises the configured URLs). The router maps a
/// configured path to the endpoint's default route before routing, and a default path that was
/// moved answers the JSON 404.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Paths {
    /// Authorization endpoint (RFC 6749 §3.1).
    pub authorize: String,
    /// Token endpoint (RFC 6749 §3.2).
    pub token: String,
    /// UserInfo endpoint (OpenID Connect Core 1.0 §5.3).
    pub userinfo: String,
    /// Introspection endpoint (RFC 7662 §2).
    pub introspect: String,
    /// Revocation endpoint (RFC 7009 §2).
    pub revoke: String,
    /// Registration endpoint (RFC 7591 §3).
    pub register: String,
    /// End-session endpoint (OpenID Connect RP-Initiated Logout 1.0 §2).
    pub end_session: String,
    /// Pushed authorization request endpoint (RFC 9126 §2).
    pub par: String,
    /// The JWK Set (`jwks_uri`, OpenID Connect Discovery 1.0 §3).
    pub jwks: String,
    /// The login page's form target.
    pub login: String,
    /// The consent page's form target.
    pub consent: String,
    /// The protected demo API (a prefix: `<api>/me`, ...).
    pub api: String,
    /// The admin page (a prefix).
    pub admin: String,
}

impl Default for Paths {
    fn default() -> Self {
        use crate::routes::discovery::paths;
        Self {
            authorize: paths::AUTHORIZE.into(),
            token: paths::TOKEN.into(),
            userinfo: paths::USERINFO.into(),
            introspect: paths::INTROSPECT.into(),
            revoke: paths::REVOKE.into(),
            register: paths::REGISTER.into(),
            end_session: paths::END_SESSION.into(),
            par: paths::PAR.into(),
            jwks: paths::JWKS.into(),
            login: paths::LOGIN.into(),
            consent: paths::CONSENT.into(),
            api: paths::API.into(),
            admin: paths::ADMIN.into(),
        }
    }
}

impl Paths {
    /// `(name, default path, configured path)` for every endpoint.
    pub fn entries(&self) -> [(&'static str, &'static str, &str); 13] {
        use crate::routes::discovery::paths;
        [
            ("authorize", paths::AUTHORIZE, &self.authorize),
            ("token", paths::TOKEN, &self.token),
            ("userinfo", paths::USERINFO, &self.userinfo),
            ("introspect", paths::INTROSPECT, &self.introspect),
            ("revoke", paths::REVOKE, &self.revoke),
            ("register", paths::REGISTER, &self.register),
            ("end_session", paths::END_SESSION, &self.end_session),
            ("par", paths::PAR, &self.par),
            ("jwks", paths::JWKS, &self.jwks),
            ("login", paths::LOGIN, &self.login),
            ("consent", paths::CONSENT, &self.consent),
            ("api", paths::API, &self.api),
            ("admin", paths::ADMIN, &self.admin),
        ]
    }

    /// The configured path for a default path (`/token` → `/oauth2/token`), also below a
    /// prefix endpoint (`/api/me` → `/v1/api/me`); other paths unchanged. Endpoints build the
    /// URLs they compare (`aud`, DPoP `htu`) and the links they print with it.
    pub fn resolve(&self, default_path: &str) -> String {
        for (_, default, configured) in self.entries() {
            if let Some(rest) = under(default_path, default) {
                return format!("{configured}{rest}");
            }
        }
        default_path.to_owned()
    }

    /// The router's rewrite, on a path relative to the issuer path: a configured path (or a
    /// path below it) becomes the endpoint's default route; a moved default path becomes
    /// `None` (404); anything else is unchanged.
    pub fn route(&self, rel: &str) -> Option<String> {
        for (_, default, configured) in self.entries() {
            if let Some(rest) = under(rel, configured) {
                return Some(format!("{default}{rest}"));
            }
        }
        for (_, default, configured) in self.entries() {
            if default != configured && under(rel, default).is_some() {
                return None;
            }
        }
        Some(rel.to_owned())
    }

    /// Whether any path differs from its default.
    pub fn any_moved(&self) -> bool {
        self.entries().iter().any(|(_, d, c)| d != c)
    }

    fn validate(&self) -> Result<(), ServerError> {
        let entries = self.entries();
        for (name, _, p) in entries {
            let bad = |why: &str| ServerError::Config(format!("[paths] {name} = {p:?}: {why}"));
            let plain = |seg: &str| {
                !seg.is_empty()
                    && seg != "."
                    && seg != ".."
                    && seg
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
            };
            let Some(rest) = p.strip_prefix('/') else {
                return Err(bad("must start with \"/\""));
            };
            if !rest.split('/').all(plain) {
                return Err(bad(
                    "must be non-empty segments of letters, digits and -._~ (no \"..\")",
                ));
            }
            for reserved in [
                "/.well-known",
                "/www",
                "/pkg",
                crate::routes::discovery::paths::SCENARIO,
            ] {
                if under(p, reserved).is_some() || under(reserved, p).is_some() {
                    return Err(bad(&format!("collides with {reserved}")));
                }
            }
        }
        for (i, (a, _, pa)) in entries.iter().enumerate() {
            for (b, _, pb) in entries.iter().skip(i + 1) {
                if under(pa, pb).is_some() || under(pb, pa).is_some() {
                    return Err(ServerError::Config(format!(
                        "[paths] {a} = {pa:?} and {b} = {pb:?} overlap"
                    )));
                }
            }
        }
        Ok(())
    }
}

/// `Some(rest)` when `path` is `base` or below it (`base/...`).
fn under<'a>(path: &'a str, base: &str) -> Option<&'a str> {
    let rest = path.strip_prefix(base)?;
    (rest.is_empty() || rest.starts_with('/')).then_some(rest)
}

/// `[server]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSection {
    /// The issuer identifier (OpenID Connect Discovery 1.0 §3, RFC 8414 §2). When absent, it is
    /// `http://127.0.0.1:<port>` with the port actually bound, which is
    /// `http://127.0.0.1:8080` by default.
    #[serde(default)]
    pub issuer: Option<String>,
    /// The TCP port on 127.0.0.1 (default 8080; 0 picks a free port). `--port` overrides it.
    #[serde(default = "default_port")]
    pub port: u16,
    /// The ID Token signing algorithm (OpenID Connect Core 1.0 §2 `id_token_signed_response_alg`
    /// default): `RS256` (default), `PS256`, `ES256` or `EdDSA`.
    #[serde(default = "default_alg")]
    pub id_token_signing_alg: String,
    /// Grant types the server accepts at all (RFC 8414 §2 `grant_types_supported`); default:
    /// every known grant type.
    #[serde(default = "default_grant_types")]
    pub grant_types_supported: Vec<String>,
    /// Accept (and drop) scopes the server does not offer instead of refusing the request with
    /// `invalid_scope` (RFC 6749 §3.3 lets the server ignore them). Default false.
    #[serde(default)]
    pub allow_unsupported_scope: bool,
    /// The scope used when a request omits `scope` and the client has no default (RFC 6749
    /// §3.3). Default "openid".
    #[serde(default = "default_scope")]
    pub default_scope: String,
    /// Require an RFC 8707 `resource` (audience) on token requests. Default false.
    #[serde(default)]
    pub audience_required: bool,
    /// Issue refresh tokens (for the `offline_access` scope, OpenID Connect Core 1.0 §11, and
    /// the `refresh_token` grant). Default true.
    #[serde(default = "default_true")]
    pub return_refresh_tokens: bool,
    /// Access token format: `jwt` (RFC 9068, the default) or `opaque` (random, introspected).
    #[serde(default = "default_at_format")]
    pub access_token_format: String,
    /// Seconds a rotated-out signing key stays in the JWKS so tokens in flight keep verifying.
    /// Default 86400.
    #[serde(default = "default_grace")]
    pub key_rotation_grace: u64,
}

impl Default for ServerSection {
    fn default() -> Self {
        Self {
            issuer: None,
            port: default_port(),
            id_token_signing_alg: default_alg(),
            grant_types_supported: default_grant_types(),
            allow_unsupported_scope: false,
            default_scope: default_scope(),
            audience_required: false,
            return_refresh_tokens: true,
            access_token_format: default_at_format(),
            key_rotation_grace: default_grace(),
        }
    }
}

fn default_port() -> u16 {
    8080
}

fn default_alg() -> String {
    "RS256".to_owned()
}

fn default_grant_types() -> Vec<String> {
    KNOWN_GRANT_TYPES.iter().map(|g| (*g).to_owned()).collect()
}

fn default_scope() -> String {
    "openid".to_owned()
}

fn default_true() -> bool {
    true
}

fn default_at_format() -> String {
    "jwt".to_owned()
}

fn default_grace() -> u64 {
    86400
}

/// `[lifetimes]`, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Lifetimes {
    /// Access token lifetime (RFC 6749 §4.2.2 / §5.1 `expires_in`); default 3600.
    pub access_token: u64,
    /// Authorization code lifetime (RFC 6749 §4.1.2: "a maximum authorization code lifetime of
    /// 10 minutes is RECOMMENDED"); default 60.
    pub authorization_code: u64,
    /// Refresh token lifetime (RFC 6749 §6); default 86400.
    pub refresh_token: u64,
    /// Login session lifetime at the OP (OpenID Connect Core 1.0 §3.1.2.1 `max_age`); default
    /// 86400.
    pub session: u64,
    /// Client secret lifetime for registered clients (RFC 7591 §3.2.1
    /// `client_secret_expires_at`); 0 (the default) means the secret never expires.
    pub client_secret_expiry: u64,
}

impl Default for Lifetimes {
    fn default() -> Self {
        Self {
            access_token: 3600,
            authorization_code: 60,
            refresh_token: 86400,
            session: 86400,
            client_secret_expiry: 0,
        }
    }
}

/// One `[[scopes]]` entry (RFC 6749 §3.3).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scope {
    /// The scope token (RFC 6749 §3.3 `scope-token`).
    pub name: String,
    /// The text shown on the consent page.
    pub description: String,
}

/// The kind of client (RFC 6749 §2.1, plus resource servers that call introspection).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ClientType {
    /// Cannot keep a secret (RFC 6749 §2.1): browser apps, native apps. PKCE is required.
    Public,
    /// Can authenticate to the token endpoint (RFC 6749 §2.1).
    Confidential,
    /// A resource server that authenticates to the introspection endpoint (RFC 7662 §2.1).
    ResourceServer,
}

/// One `[[clients]]` entry; field names are RFC 7591 §2 client metadata.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ClientConfig {
    /// `client_id` (RFC 6749 §2.2).
    pub client_id: String,
    /// The client secret (RFC 6749 §2.3.1), for `client_secret_*` authentication.
    #[serde(default)]
    pub client_secret: Option<Secret>,
    /// `client_name` (RFC 7591 §2).
    pub client_name: String,
    /// A description shown on the admin page.
    #[serde(default)]
    pub description: String,
    /// The client type (RFC 6749 §2.1).
    #[serde(rename = "type")]
    pub client_type: ClientType,
    /// `redirect_uris` (RFC 7591 §2), compared exactly (RFC 9700 §4.1.3); `{issuer}` is replaced
    /// by the issuer.
    #[serde(default)]
    pub redirect_uris: Vec<String>,
    /// `post_logout_redirect_uris` (OpenID Connect RP-Initiated Logout 1.0 §3.1); `{issuer}` is
    /// replaced by the issuer.
    #[serde(default)]
    pub post_logout_redirect_uris: Vec<String>,
    /// `grant_types` (RFC 7591 §2).
    #[serde(default)]
    pub grant_types: Vec<String>,
    /// `response_types` (RFC 7591 §2).
    #[serde(default)]
    pub response_types: Vec<String>,
    /// `token_endpoint_auth_method` (RFC 7591 §2).
    pub token_endpoint_auth_method: String,
    /// `token_endpoint_auth_signing_alg` (OpenID Connect Dynamic Client Registration 1.0 §2).
    #[serde(default)]
    pub token_endpoint_auth_signing_alg: Option<String>,
    /// `scope` (RFC 7591 §2): the default scope, space-separated.
    #[serde(default)]
    pub scope: Option<String>,
    /// `default_max_age` (OpenID Connect Dynamic Client Registration 1.0 §2), seconds.
    #[serde(default)]
    pub default_max_age: Option<u64>,
    /// `logo_uri` (RFC 7591 §2), shown on the consent page.
    #[serde(default)]
    pub logo_uri: Option<String>,
    /// `client_uri` (RFC 7591 §2).
    #[serde(default)]
    pub client_uri: Option<String>,
    /// `policy_uri` (RFC 7591 §2).
    #[serde(default)]
    pub policy_uri: Option<String>,
    /// `tos_uri` (RFC 7591 §2).
    #[serde(default)]
    pub tos_uri: Option<String>,
    /// `contacts` (RFC 7591 §2).
    #[serde(default)]
    pub contacts: Vec<String>,
    /// The client's public keys as a JWK Set (RFC 7591 §2 `jwks`), for `private_key_jwt`.
    #[serde(default)]
    pub jwks: Option<Object>,
    /// `jwks_uri` (RFC 7591 §2).
    #[serde(default)]
    pub jwks_uri: Option<String>,
    /// A PEM public key (SPKI or PKCS#1) or X.509 certificate, for `private_key_jwt` and the JWT
    /// bearer grant.
    #[serde(default)]
    pub public_key_pem: Option<String>,
    /// Backend clients: the only source addresses allowed to call the token endpoint, as CIDR
    /// blocks (`127.0.0.0/8`, `::1/128`). Empty: any address.
    #[serde(default)]
    pub allowed_cidrs: Vec<String>,
    /// Backend clients: the users this client may assert through the JWT bearer grant
    /// (RFC 7523 §2.1).
    #[serde(default)]
    pub jwt_bearer_users: Vec<String>,
    /// `application_type` (OpenID Connect Dynamic Client Registration 1.0 §2): `web` (default)
    /// or `native`; only native clients get loopback port flexibility in `redirect_uris`
    /// (RFC 8252 §7.3).
    #[serde(default)]
    pub application_type: Option<String>,
    /// `id_token_signed_response_alg` (OpenID Connect Dynamic Client Registration 1.0 §2);
    /// default: the server's `id_token_signing_alg`.
    #[serde(default)]
    pub id_token_signed_response_alg: Option<String>,
    /// `userinfo_signed_response_alg` (OpenID Connect Dynamic Client Registration 1.0 §2): when
    /// set, UserInfo answers with a signed JWT (§5.3.2).
    #[serde(default)]
    pub userinfo_signed_response_alg: Option<String>,
    /// `backchannel_logout_uri` (OpenID Connect Back-Channel Logout 1.0 §2.2).
    #[serde(default)]
    pub backchannel_logout_uri: Option<String>,
    /// `backchannel_logout_session_required` (OpenID Connect Back-Channel Logout 1.0 §2.2).
    #[serde(default)]
    pub backchannel_logout_session_required: bool,
    /// The misbehaviour scenario this client gets (see `scenario.rs`); absent: none.
    #[serde(default)]
    pub scenario: Option<String>,
}

/// A secret string (a client secret): `Debug` never shows it.
#[derive(Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(secret: impl Into<String>) -> Self {
        Self(secret.into())
    }

    /// The secret itself (RFC 6749 §2.3.1 `client_secret`), for comparison or HMAC keys.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// One `[[users]]` entry.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct UserConfig {
    /// The login name; also the `sub` claim (OpenID Connect Core 1.0 §2).
    pub username: String,
    /// The password as an Argon2 PHC string (`oidckit-server hash-password` prints one).
    pub password_hash: String,
    /// Whether a backend client may assert this user through the JWT bearer grant (RFC 7523
    /// §2.1).
    #[serde(default)]
    pub jwt_bearer_allowed: bool,
    /// Claims released for this user (OpenID Connect Core 1.0 §5.1 standard claims, and custom
    /// ones such as `domain`).
    #[serde(default)]
    pub claims: Object,
}

/// A CIDR block (`addr/prefix`) of an `allowed_cidrs` rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    addr: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// Parses `a.b.c.d/n` or `v6addr/n` (RFC 4632 §3.1, RFC 4291 §2.3); a bare address is a
    /// single-host block.
    pub fn parse(s: &str) -> Result<Self, ServerError> {
        let bad = || ServerError::Config(format!("invalid CIDR block {s:?}"));
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let addr: IpAddr = addr.parse().map_err(|_| bad())?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => {
                p.parse::<u8>().map_err(|_| bad())?
            }
            Some(_) => return Err(bad()),
        };
        if prefix > max {
            return Err(bad());
        }
        Ok(Self { addr, prefix })
    }

    /// Whether `ip` lies in the block. IPv4-mapped IPv6 addresses (`::ffff:a.b.c.d`) match
    /// IPv4 blocks.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        match (self.addr, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

impl Config {
    /// The embedded default configuration ([`DEFAULT_CONFIG_TOML`]), validated.
    pub fn embedded_default() -> Result<Self, ServerError> {
        Self::from_toml_str(DEFAULT_CONFIG_TOML)
    }

    /// Parses and validates a configuration file.
    pub fn from_toml_str(text: &str) -> Result<Self, ServerError> {
        let config: Config =
            toml::from_str(text).map_err(|e| ServerError::Config(format!("{e}")))?;
        config.validate()?;
        Ok(config)
    }

    /// The ID Token signing algorithm (`[server] id_token_signing_alg`).
    pub fn signing_alg(&self) -> Result<Alg, ServerError> {
        let name = &self.server.id_token_signing_alg;
        name.parse::<Alg>()
            .ok()
            .filter(|a| SIGNING_ALGS.contains(a))
            .ok_or_else(|| {
                ServerError::Config(format!(
                    "[server] id_token_signing_alg {name:?} is not one of RS256, PS256, ES256, EdDSA"
                ))
            })
    }

    /// The configured scope names.
    pub fn scope_names(&self) -> BTreeSet<&str> {
        self.scopes.iter().map(|s| s.name.as_str()).collect()
    }

    /// Checks a client added at run time (admin page, registration) against this configuration.
    pub fn validate_client(&self, client: &ClientConfig) -> Result<(), String> {
        client.validate(&self.scope_names())
    }

    /// Checks every setting; the first problem found is a [`ServerError::Config`].
    pub fn validate(&self) -> Result<(), ServerError> {
        self.signing_alg()?;
        self.paths.validate()?;
        if !matches!(self.server.access_token_format.as_str(), "jwt" | "opaque") {
            return Err(ServerError::Config(format!(
                "access_token_format must be \"jwt\" or \"opaque\", not {:?}",
                self.server.access_token_format
            )));
        }
        if let Some(g) = self
            .server
            .grant_types_supported
            .iter()
            .find(|g| !KNOWN_GRANT_TYPES.contains(&g.as_str()))
        {
            return Err(ServerError::Config(format!(
                "unknown grant type {g:?} in grant_types_supported"
            )));
        }
        if let Some(issuer) = &self.server.issuer {
            check_issuer(issuer)?;
        }
        let mut names = BTreeSet::new();
        for s in &self.scopes {
            if !is_scope_token(&s.name) {
                return Err(ServerError::Config(format!(
                    "scope name {:?} is not a valid scope token (RFC 6749 §3.3)",
                    s.name
                )));
            }
            if !names.insert(s.name.as_str()) {
                return Err(ServerError::Config(format!(
                    "scope {:?} is listed twice",
                    s.name
                )));
            }
        }
        if !names.contains("openid") {
            return Err(ServerError::Config(
                "the scopes must include \"openid\" (OpenID Connect Core 1.0 §3.1.2.1)".into(),
            ));
        }
        let mut ids = BTreeSet::new();
        for c in &self.clients {
            if !ids.insert(c.client_id.as_str()) {
                return Err(ServerError::Config(format!(
                    "client_id {:?} is listed twice",
                    c.client_id
                )));
            }
            c.validate(&names)
                .map_err(|m| ServerError::Config(format!("client {:?}: {m}", c.client_id)))?;
        }
        let mut users = BTreeSet::new();
        for u in &self.users {
            if u.username.is_empty() {
                return Err(ServerError::Config("a user has an empty username".into()));
            }
            if !users.insert(u.username.as_str()) {
                return Err(ServerError::Config(format!(
                    "username {:?} is listed twice",
                    u.username
                )));
            }
            PasswordHash::new(&u.password_hash).map_err(|e| {
                ServerError::Config(format!(
                    "user {:?}: password_hash is not a PHC string: {e}",
                    u.username
                ))
            })?;
        }
        for c in &self.clients {
            for name in &c.jwt_bearer_users {
                if !users.contains(name.as_str()) {
                    return Err(ServerError::Config(format!(
                        "client {:?}: jwt_bearer_users names the unknown user {name:?}",
                        c.client_id
                    )));
                }
            }
        }
        Ok(())
    }
}

impl ClientConfig {
    /// Checks one client against the configured scope names (the admin page and dynamic
    /// registration reuse it): the first problem found, as a message.
    pub fn validate(&self, scopes: &BTreeSet<&str>) -> Result<(), String> {
        if self.client_id.is_empty() || !self.client_id.bytes().all(|b| (0x20..0x7f).contains(&b)) {
            return Err("client_id must be non-empty printable ASCII (RFC 6749 §2.2)".into());
        }
        let method = self.token_endpoint_auth_method.as_str();
        if !KNOWN_AUTH_METHODS.contains(&method) {
            return Err(format!("unknown token_endpoint_auth_method {method:?}"));
        }
        match (self.client_type, method) {
            (ClientType::Public, "none") => {}
            (ClientType::Public, _) => {
                return Err("a public client authenticates with \"none\" (RFC 6749 §2.1)".into());
            }
            (_, "none") => {
                return Err("a confidential client cannot use \"none\" (RFC 6749 §2.3)".into());
            }
            _ => {}
        }
        if method.starts_with("client_secret_")
            && self
                .client_secret
                .as_ref()
                .is_none_or(|s| s.expose().is_empty())
        {
            return Err(format!("{method} needs a client_secret"));
        }
        if self.client_type == ClientType::Public && self.client_secret.is_some() {
            return Err("a public client has no client_secret (RFC 6749 §2.1)".into());
        }
        if let Some(alg) = &self.token_endpoint_auth_signing_alg {
            let a: Alg = alg
                .parse()
                .map_err(|_| format!("unsupported token_endpoint_auth_signing_alg {alg:?}"))?;
            let want_secret = method == "client_secret_jwt";
            if (a.family() == Family::Oct) != want_secret {
                return Err(format!(
                    "token_endpoint_auth_signing_alg {alg:?} does not fit {method}"
                ));
            }
        }
        for g in &self.grant_types {
            if !KNOWN_GRANT_TYPES.contains(&g.as_str()) {
                return Err(format!("unknown grant type {g:?}"));
            }
        }
        for r in &self.response_types {
            if !KNOWN_RESPONSE_TYPES.contains(&r.as_str()) {
                return Err(format!("unknown response type {r:?}"));
            }
        }
        for uri in self
            .redirect_uris
            .iter()
            .chain(&self.post_logout_redirect_uris)
        {
            check_redirect_uri(uri)?;
        }
        if let Some(scope) = &self.scope {
            for s in scope.split(' ') {
                if !scopes.contains(s) {
                    return Err(format!("default scope {s:?} is not a configured scope"));
                }
            }
        }
        let keys = self.public_keys()?;
        if method == "private_key_jwt" && keys.is_empty() && self.jwks_uri.is_none() {
            return Err("private_key_jwt needs jwks, jwks_uri or public_key_pem".into());
        }
        if self.jwks.is_some() && self.jwks_uri.is_some() {
            return Err("jwks and jwks_uri are mutually exclusive (RFC 7591 §2)".into());
        }
        for cidr in &self.allowed_cidrs {
            Cidr::parse(cidr).map_err(|e| e.to_string())?;
        }
        Ok(())
    }

    /// The client's registered public keys: its `jwks` and its `public_key_pem`, parsed with the
    /// core (RFC 7517 §5, RFC 7468). Keys bound to `token_endpoint_auth_signing_alg` when set.
    pub fn public_keys(&self) -> Result<Vec<Key>, String> {
        let alg = match &self.token_endpoint_auth_signing_alg {
            Some(a) => Some(a.parse::<Alg>().map_err(|e| e.to_string())?),
            None => None,
        };
        let mut keys = Vec::new();
        if let Some(jwks) = &self.jwks {
            let set = JwkSet::from_object(jwks).map_err(|e| format!("jwks: {e}"))?;
            keys.extend(set.keys().iter().cloned());
        }
        if let Some(pem) = &self.public_key_pem {
            let key = Key::from_pem(pem, alg).map_err(|e| format!("public_key_pem: {e}"))?;
            if key.kind() != oidckit::KeyKind::Public {
                return Err("public_key_pem must hold a public key or certificate, \
                            never a private key"
                    .into());
            }
            keys.push(key);
        }
        Ok(keys)
    }

    /// The redirect URIs with `{issuer}` replaced.
    pub fn resolved_redirect_uris(&self, issuer: &str) -> Vec<String> {
        resolve(&self.redirect_uris, issuer)
    }

    /// The post-logout redirect URIs with `{issuer}` replaced.
    pub fn resolved_post_logout_redirect_uris(&self, issuer: &str) -> Vec<String> {
        resolve(&self.post_logout_redirect_uris, issuer)
    }

    /// The parsed `allowed_cidrs` (validated at load, so none is dropped).
    pub fn cidrs(&self) -> Vec<Cidr> {
        self.allowed_cidrs
            .iter()
            .filter_map(|c| Cidr::parse(c).ok())
            .collect()
    }
}

fn resolve(uris: &[String], issuer: &str) -> Vec<String> {
    let issuer = issuer.trim_end_matches('/');
    uris.iter()
        .map(|u| u.replace(ISSUER_PLACEHOLDER, issuer))
        .collect()
}

/// RFC 6749 §3.3: `scope-token = 1*( %x21 / %x23-5B / %x5D-7E )`.
fn is_scope_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b == 0x21 || (0x23..=0x5b).contains(&b) || (0x5d..=0x7e).contains(&b))
}

/// An issuer is an http(s) URL without query or fragment (RFC 8414 §2, OpenID Connect
/// Discovery 1.0 §3); plain http only on loopback, which the core's discovery checks too.
fn check_issuer(issuer: &str) -> Result<(), ServerError> {
    let bad = |why: &str| ServerError::Config(format!("[server] issuer {issuer:?}: {why}"));
    let rest = if let Some(r) = issuer.strip_prefix("https://") {
        r
    } else if let Some(r) = issuer.strip_prefix("http://") {
        let host = r.split(['/', ':']).next().unwrap_or("");
        let loopback = host == "localhost"
            || host == "[::1]"
            || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback());
        if !loopback {
            return Err(bad("plain http is allowed for loopback hosts only"));
        }
        r
    } else {
        return Err(bad("must start with https:// (or http:// on loopback)"));
    };
    if rest.is_empty() || rest.starts_with('/') {
        return Err(bad("has no host"));
    }
    if rest.contains(['?', '#']) {
        return Err(bad("must not have a query or fragment (RFC 8414 §2)"));
    }
    // The path prefixes every endpoint's route: plain segments only.
    if let Some(i) = rest.find('/') {
        let path = rest.get(i + 1..).unwrap_or("").trim_end_matches('/');
        let plain = |seg: &str| {
            !seg.is_empty()
                && seg
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
        };
        if !path.is_empty() && !path.split('/').all(plain) {
            return Err(bad(
                "the path may only hold non-empty segments of letters, digits and -._~",
            ));
        }
    }
    if rest.bytes().any(|b| b <= 0x20 || b >= 0x7f) {
        return Err(bad("must not contain spaces or non-ASCII characters"));
    }
    Ok(())
}

/// Redirect URIs are absolute and have no fragment (RFC 6749 §3.1.2).
fn check_redirect_uri(uri: &str) -> Result<(), String> {
    let resolved = uri.replace(ISSUER_PLACEHOLDER, "http://127.0.0.1");
    let Some((scheme, rest)) = resolved.split_once(':') else {
        return Err(format!(
            "redirect URI {uri:?} is not absolute (RFC 6749 §3.1.2)"
        ));
    };
    let scheme_ok = scheme
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic())
        && scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b));
    if !scheme_ok || rest.is_empty() {
        return Err(format!(
            "redirect URI {uri:?} is not absolute (RFC 6749 §3.1.2)"
        ));
    }
    if resolved.contains('#') {
        return Err(format!(
            "redirect URI {uri:?} must not have a fragment (RFC 6749 §3.1.2)"
        ));
    }
    if resolved.bytes().any(|b| b <= 0x20 || b >= 0x7f) {
        return Err(format!(
            "redirect URI {uri:?} has spaces or non-ASCII characters"
        ));
    }
    Ok(())
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
    fn embedded_default_loads_with_the_issue_defaults() {
        let c = Config::embedded_default().unwrap();
        assert_eq!(c.lifetimes, Lifetimes::default());
        assert_eq!(c.lifetimes.access_token, 3600);
        assert_eq!(c.lifetimes.authorization_code, 60);
        assert_eq!(c.lifetimes.refresh_token, 86400);
        assert_eq!(c.lifetimes.session, 86400);
        assert_eq!(c.lifetimes.client_secret_expiry, 0);
        assert_eq!(c.server.port, 8080);
        assert_eq!(c.server.issuer, None);
        assert_eq!(c.signing_alg().unwrap(), Alg::Rs256);
        assert_eq!(c.users.len(), 2);
        let types: Vec<_> = c.clients.iter().map(|c| c.client_type).collect();
        assert!(types.contains(&ClientType::Public));
        assert!(types.contains(&ClientType::Confidential));
        let backend = c
            .clients
            .iter()
            .find(|c| c.token_endpoint_auth_method == "private_key_jwt")
            .unwrap();
        let keys = backend.public_keys().unwrap();
        assert_eq!(keys.len(), 1);
        assert_eq!(keys[0].family(), Family::Rsa);
        assert!(keys[0].bits() >= 2048);
        let public = c
            .clients
            .iter()
            .find(|c| c.client_type == ClientType::Public)
            .unwrap();
        assert!(
            public
                .resolved_redirect_uris("http://127.0.0.1:9999")
                .iter()
                .all(|u| u.starts_with("http://127.0.0.1:9999/www/"))
        );
        for s in &c.scopes {
            assert!(!s.description.is_empty(), "{}", s.name);
        }
    }

    /// The demo backend client's registered public key is the public half of the private key
    /// shipped in server/demo/ for examples and tests.
    #[test]
    fn demo_backend_key_pair_matches() {
        use oidckit::jwk::ThumbprintHash;
        let c = Config::embedded_default().unwrap();
        let backend = c
            .clients
            .iter()
            .find(|c| c.client_id == "oidckit-demo-backend")
            .unwrap();
        let public = &backend.public_keys().unwrap()[0];
        let pem = include_str!("../demo/backend-client.key.pem");
        let private = Key::from_pem(pem, Some(Alg::Rs256)).unwrap();
        assert_eq!(private.kind(), oidckit::KeyKind::Private);
        assert_eq!(
            private.thumbprint(ThumbprintHash::Sha256).unwrap(),
            public.thumbprint(ThumbprintHash::Sha256).unwrap()
        );
    }

    #[test]
    fn an_empty_file_takes_the_section_defaults_but_needs_openid() {
        let err = Config::from_toml_str("").unwrap_err();
        assert!(err.to_string().contains("openid"), "{err}");
        let c =
            Config::from_toml_str("[[scopes]]\nname = \"openid\"\ndescription = \"Sign you in\"\n")
                .unwrap();
        assert_eq!(c.lifetimes, Lifetimes::default());
        assert_eq!(c.server.port, 8080);
    }

    #[test]
    fn rejects_bad_settings() {
        let base = "[[scopes]]\nname = \"openid\"\ndescription = \"x\"\n";
        let cases = [
            ("[server]\nportt = 1\n", "unknown field"),
            (
                "[server]\nid_token_signing_alg = \"HS256\"\n",
                "id_token_signing_alg",
            ),
            (
                "[server]\nid_token_signing_alg = \"none\"\n",
                "id_token_signing_alg",
            ),
            ("[server]\nissuer = \"http://op.example\"\n", "loopback"),
            ("[server]\nissuer = \"https://op.example?x=1\"\n", "query"),
            (
                "[server]\nissuer = \"https://op.example/{x}\"\n",
                "segments",
            ),
            (
                "[server]\nissuer = \"https://op.example/a//b\"\n",
                "segments",
            ),
            ("[server]\nissuer = \"https:///a\"\n", "no host"),
            ("[lifetimes]\naccess_token = -1\n", "invalid value"),
            (
                "[[clients]]\nclient_id = \"a\"\nclient_name = \"a\"\ntype = \"public\"\n\
                 token_endpoint_auth_method = \"client_secret_basic\"\nclient_secret = \"s\"\n",
                "public client",
            ),
            (
                "[[clients]]\nclient_id = \"a\"\nclient_name = \"a\"\ntype = \"confidential\"\n\
                 token_endpoint_auth_method = \"client_secret_post\"\n",
                "needs a client_secret",
            ),
            (
                "[[clients]]\nclient_id = \"a\"\nclient_name = \"a\"\ntype = \"public\"\n\
                 token_endpoint_auth_method = \"none\"\nredirect_uris = [\"/cb\"]\n",
                "not absolute",
            ),
            (
                "[[clients]]\nclient_id = \"a\"\nclient_name = \"a\"\ntype = \"public\"\n\
                 token_endpoint_auth_method = \"none\"\nredirect_uris = [\"https://a/cb#x\"]\n",
                "fragment",
            ),
            (
                "[[clients]]\nclient_id = \"a\"\nclient_name = \"a\"\ntype = \"confidential\"\n\
                 token_endpoint_auth_method = \"private_key_jwt\"\n",
                "private_key_jwt needs",
            ),
            (
                "[[clients]]\nclient_id = \"a\"\nclient_name = \"a\"\ntype = \"confidential\"\n\
                 token_endpoint_auth_method = \"private_key_jwt\"\n\
                 public_key_pem = \"-----BEGIN PUBLIC KEY-----\\nAAAA\\n-----END PUBLIC KEY-----\"\n",
                "public_key_pem",
            ),
            (
                "[[clients]]\nclient_id = \"a\"\nclient_name = \"a\"\ntype = \"confidential\"\n\
                 token_endpoint_auth_method = \"client_secret_basic\"\nclient_secret = \"s\"\n\
                 allowed_cidrs = [\"10.0.0.0/33\"]\n",
                "CIDR",
            ),
            (
                "[[clients]]\nclient_id = \"a\"\nclient_name = \"a\"\ntype = \"public\"\n\
                 token_endpoint_auth_method = \"none\"\ngrant_types = [\"magic\"]\n",
                "unknown grant type",
            ),
            (
                "[[clients]]\nclient_id = \"a\"\nclient_name = \"a\"\ntype = \"public\"\n\
                 token_endpoint_auth_method = \"none\"\nscope = \"openid admin\"\n",
                "not a configured scope",
            ),
            (
                "[[users]]\nusername = \"u\"\npassword_hash = \"plaintext\"\n",
                "PHC",
            ),
            (
                "[[scopes]]\nname = \"openid\"\ndescription = \"again\"\n",
                "twice",
            ),
            (
                "[[scopes]]\nname = \"a b\"\ndescription = \"x\"\n",
                "scope token",
            ),
        ];
        for (extra, want) in cases {
            let err = Config::from_toml_str(&format!("{base}{extra}")).unwrap_err();
            assert!(err.to_string().contains(want), "{extra}: {err}");
        }
    }

    #[test]
    fn debug_never_prints_a_client_secret() {
        let c = Config::embedded_default().unwrap();
        let web = c
            .clients
            .iter()
            .find(|c| c.client_secret.is_some())
            .unwrap();
        let secret = web.client_secret.as_ref().unwrap().expose();
        assert_eq!(secret, "oidckit-demo-web-secret");
        let debug = format!("{c:?}");
        assert!(!debug.contains(secret));
        assert!(debug.contains("<redacted>"));
    }

    #[test]
    fn paths_resolve_route_and_validate() {
        let base = "[[scopes]]\nname = \"openid\"\ndescription = \"x\"\n";
        let c = Config::from_toml_str(&format!(
            "{base}[paths]\ntoken = \"/oauth2/token\"\napi = \"/v1/api\"\nuserinfo = \"/token\"\n"
        ))
        .unwrap();
        let p = &c.paths;
        assert!(p.any_moved());
        assert!(!Paths::default().any_moved());
        assert_eq!(p.resolve("/token"), "/oauth2/token");
        assert_eq!(p.resolve("/api/me"), "/v1/api/me");
        assert_eq!(p.resolve("/userinfo"), "/token");
        assert_eq!(p.resolve("/authorize"), "/authorize");
        assert_eq!(p.resolve("/tokenx"), "/tokenx");
        assert_eq!(p.route("/oauth2/token").as_deref(), Some("/token"));
        assert_eq!(p.route("/token").as_deref(), Some("/userinfo"), "a swap");
        assert_eq!(p.route("/userinfo"), None, "moved");
        assert_eq!(p.route("/api/items"), None, "moved prefix");
        assert_eq!(p.route("/v1/api/items").as_deref(), Some("/api/items"));
        assert_eq!(p.route("/jwks").as_deref(), Some("/jwks"));
        assert_eq!(p.route("/www/x").as_deref(), Some("/www/x"));
        for (extra, want) in [
            ("[paths]\ntoken = \"oauth/token\"\n", "start with"),
            ("[paths]\ntoken = \"/a/../token\"\n", "segments"),
            ("[paths]\ntoken = \"/a//b\"\n", "segments"),
            ("[paths]\ntoken = \"/t?x\"\n", "segments"),
            ("[paths]\ntoken = \"/\"\n", "segments"),
            ("[paths]\ntoken = \"/.well-known/token\"\n", "collides"),
            ("[paths]\ntoken = \"/www/token\"\n", "collides"),
            ("[paths]\ntoken = \"/authorize\"\n", "overlap"),
            ("[paths]\ntoken = \"/admin/token\"\n", "overlap"),
            ("[paths]\ntokn = \"/t\"\n", "unknown field"),
        ] {
            let err = Config::from_toml_str(&format!("{base}{extra}")).unwrap_err();
            assert!(err.to_string().contains(want), "{extra}: {err}");
        }
    }

    #[test]
    fn cidr_rules() {
        let v4 = Cidr::parse("127.0.0.0/8").unwrap();
        assert!(v4.contains("127.1.2.3".parse().unwrap()));
        assert!(v4.contains("::ffff:127.0.0.1".parse().unwrap()));
        assert!(!v4.contains("128.0.0.1".parse().unwrap()));
        assert!(!v4.contains("::1".parse().unwrap()));
        let v6 = Cidr::parse("::1/128").unwrap();
        assert!(v6.contains("::1".parse().unwrap()));
        assert!(!v6.contains("::2".parse().unwrap()));
        let any = Cidr::parse("0.0.0.0/0").unwrap();
        assert!(any.contains("203.0.113.9".parse().unwrap()));
        let host = Cidr::parse("192.0.2.1").unwrap();
        assert!(host.contains("192.0.2.1".parse().unwrap()));
        assert!(!host.contains("192.0.2.2".parse().unwrap()));
        for bad in [
            "",
            "1.2.3.4/",
            "1.2.3.4/+1",
            "1.2.3.4/33",
            "::/129",
            "x/8",
            "1.2.3/8",
        ] {
            assert!(Cidr::parse(bad).is_err(), "{bad}");
        }
    }
}
