//! OAuth 2.0 client building blocks (RFC 6749), sans-IO: nothing here performs I/O, reads a
//! clock or draws hidden randomness.
//!
//! - [`pkce`]: Proof Key for Code Exchange (RFC 7636, S256 only, RFC 9700 §2.1.1) and the
//!   `state` / `nonce` request values (RFC 6749 §10.12, OpenID Connect Core 1.0 §15.5.2).

pub mod pkce;
