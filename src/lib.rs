//! # oidckit
//!
//! JWT, JOSE, OAuth 2.0 and OpenID Connect in pure Rust: sans-IO, no clock, no hidden
//! randomness. Time (`now`, seconds since the Unix epoch) and a cryptographic RNG are parameters.
#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing))]

pub mod b64;
pub mod error;
pub mod json;
pub mod jwa;
pub mod jwk;
pub mod jws;
pub mod jwt;
#[cfg(target_arch = "wasm32")]
mod wasm;

pub use error::{ClaimFailure, Error, Result};
pub use json::Object;
pub use jwa::{Alg, Family};
pub use jwk::{JwkSet, Key, KeyKind, KeyMeta, KeyOp};

/// Seconds since the Unix epoch. The core never reads a clock: callers pass `now`.
pub type UnixTime = i64;
