//! # oidckit-server
//!
//! A local OpenID Provider for development, built on the `oidckit` core: start it with one
//! command and build a relying party against it. **Development only**: it binds 127.0.0.1, ships
//! demo credentials, and misbehaves on purpose when asked ([`scenario`]).
//!
//! Map: the TOML configuration with its embedded default ([`config`]); the SQLite store
//! ([`store`], [`registry`], [`grant`]); signing keys with rotation and a grace period
//! ([`keys`]); the endpoints, one module per specification concept ([`routes`]); the admin page
//! ([`routes::admin`]); the static demo app and package ([`routes::assets`]); `--https`
//! ([`tls`]); the state, router, request log and start-up ([`app`]); the command line
//! ([`cli`]).
#![forbid(unsafe_code)]

pub mod access_token;
pub mod app;
pub mod backchannel;
pub mod claims;
pub mod cli;
pub mod client_auth;
pub mod config;
pub mod cors;
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
pub mod request_object;
pub mod resource_access;
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
