//! OpenID Connect relying-party building blocks (OpenID Connect Core 1.0), sans-IO.
//!
//! - [`id_token`]: ID Token validation (OpenID Connect Core 1.0 §3.1.3.7, §3.2.2.11,
//!   §3.3.2.12), including `nonce`, `azp`, `auth_time`/`max_age`, `at_hash` and `c_hash`.

pub mod id_token;

pub use id_token::{IdTokenValidation, token_hash, validate_id_token};
