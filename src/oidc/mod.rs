//! OpenID Connect relying-party building blocks (OpenID Connect Core 1.0), sans-IO.
//!
//! - [`id_token`]: ID Token validation (OpenID Connect Core 1.0 §3.1.3.7, §3.2.2.11,
//!   §3.3.2.12), including `nonce`, `azp`, `auth_time`/`max_age`, `at_hash` and `c_hash`.
//! - [`end_session`]: RP-Initiated Logout requests (RP-Initiated Logout 1.0 §2).
//! - [`logout_token`]: Logout Token validation (Back-Channel Logout 1.0 §2.4, §2.6).
//! - [`userinfo`]: the UserInfo endpoint (OpenID Connect Core 1.0 §5.3), plain or signed.

pub mod end_session;
pub mod id_token;
pub mod logout_token;
pub mod userinfo;

pub use id_token::{
    Continuity, IdTokenValidation, check_id_token_continuity, token_hash, validate_id_token,
};
