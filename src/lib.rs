//! # oidckit
//!
//! JWT, JOSE, OAuth 2.0 and OpenID Connect in pure Rust: sans-IO, no clock, no hidden
//! randomness. Time (`now`, seconds since the Unix epoch) and a cryptographic RNG are parameters.
//!
//! ## A signed JWT, end to end
//!
//! ```
//! use oidckit::{jwt, Alg, JwkSet, Key, Object};
//! use oidckit::jwk::GenerateOptions;
//! use rand_core::UnwrapErr;
//! use serde_json::json;
//!
//! # fn main() -> oidckit::Result<()> {
//! let mut rng = UnwrapErr(getrandom::SysRng);
//! let now = 1_700_000_000; // the caller's clock: the core never reads one
//!
//! // An issuer signs (RFC 7519 §7.1) …
//! let signing_key = Key::generate(Alg::Es256, &mut rng, GenerateOptions::default())?;
//! let header: Object = serde_json::from_value(json!({"alg": "ES256", "kid": "k1"})).unwrap_or_default();
//! let claims: Object = serde_json::from_value(json!({
//!     "iss": "https://op.example", "aud": "api", "sub": "alice", "exp": now + 600,
//! })).unwrap_or_default();
//! let token = jwt::sign(&header, &claims, &signing_key, &mut rng)?;
//!
//! // … and a relying party verifies with the issuer's published JWK Set (RFC 7519 §7.2).
//! let mut public = signing_key.to_public()?;
//! public.meta.kid = Some("k1".into());
//! let jwks = JwkSet::from_keys(vec![public]);
//! let v = jwt::Validation {
//!     algorithms: vec![Alg::Es256],
//!     issuer: vec!["https://op.example".into()],
//!     audience: vec!["api".into()],
//!     ..jwt::Validation::new(now)
//! };
//! let verified = jwt::verify(&token, &jwks, &v)?;
//! assert_eq!(verified.claims["sub"], "alice");
//!
//! // Expired a little later: a typed error with a stable code and the claim's name.
//! let err = jwt::verify(&token, &jwks, &jwt::Validation::new(now + 601)).unwrap_err();
//! assert_eq!(err.code(), "ERR_JWT_EXPIRED");
//! assert_eq!(err.claim_failure().map(|c| c.claim.as_str()), Some("exp"));
//! # Ok(())
//! # }
//! ```
//!
//! ## Map
//!
//! - [`jwa`]: algorithms ([`Alg`]) and the sign/verify primitives (RFC 7518, RFC 8037).
//! - [`jwk`]: [`Key`] import/export (JWK, PEM, DER, X.509), thumbprints, [`JwkSet`] (RFC 7517, RFC 7638).
//! - [`jws`]: compact JWS (RFC 7515, RFC 7797). [`jwt`]: JWT claims and validation (RFC 7519).
//! - [`oauth`]: the sans-IO OAuth 2.0 engine: PKCE, discovery, authorization requests and
//!   responses, client authentication, the token endpoint, bearer tokens.
//! - [`oidc`]: OpenID Connect (so far: ID Token validation, OIDC Core §3.1.3.7).
//! - [`Error`]: one error enum with stable [`Error::code`]s (jose's codes).
#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(
    test,
    allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

pub mod b64;
pub mod error;
pub mod json;
pub mod jwa;
pub mod jwk;
pub mod jws;
pub mod jwt;
pub mod oauth;
pub mod oidc;
#[cfg(test)]
mod test_rng;
#[cfg(target_arch = "wasm32")]
mod wasm;

pub use error::{ClaimFailure, Error, OAuthErrorBody, Result};
pub use json::Object;
pub use jwa::{Alg, Family};
pub use jwk::{JwkSet, Key, KeyKind, KeyMeta, KeyOp};

/// Seconds since the Unix epoch. The core never reads a clock: callers pass `now`.
pub type UnixTime = i64;
