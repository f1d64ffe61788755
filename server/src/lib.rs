//! # oidckit-server
//!
//! A local OpenID Provider for development, built on the `oidckit` core: start it with one
//! command and build a relying party against it. **Development only**: it binds 127.0.0.1, ships
//! demo credentials, and will grow switches that make it misbehave on purpose.
//!
//! So far: the TOML configuration with its embedded default ([`config`]), the SQLite store
//! ([`store`]), signing keys generated at first start and persisted ([`keys`]), discovery
//! (OpenID Connect Discovery 1.0, RFC 8414) and the JWKS (RFC 7517 §5) ([`routes`]).
#![forbid(unsafe_code)]

pub mod access_token;
pub mod app;
pub mod backchannel;
pub mod claims;
pub mod client_auth;
pub mod cli;
pub mod config;
pub mod error;
pub mod form_post;
pub mod grant;
pub mod html;
pub mod keys;
pub mod outbound;
pub mod password;
pub mod refresh;
pub mod registration;
pub mod registry;
pub mod resource_access;
pub mod request_object;
pub mod routes;
pub mod scenario;
pub mod session;
pub mod store;
pub mod tls;
pub mod tokens;

pub use app::{AppState, RunningServer, ServeOptions, Settings, router, start, start_with};
pub use config::Config;
pub use error::ServerError;
pub use store::{Storage, Store};
