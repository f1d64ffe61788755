//! OAuth 2.0 client building blocks (RFC 6749), sans-IO: nothing here performs I/O, reads a
//! clock or draws hidden randomness.
//!
//! Requests are built as [`http::HttpRequest`] values and responses processed from
//! [`http::HttpResponse`] values (oauth4webapi's request builders and response processors); the
//! caller performs the HTTP exchange.
//!
//! - [`pkce`]: Proof Key for Code Exchange (RFC 7636, S256 only, RFC 9700 §2.1.1) and the
//!   `state` / `nonce` request values (RFC 6749 §10.12, OpenID Connect Core 1.0 §15.5.2).
//! - [`http`]: the sans-IO request/response types, form encoding, JSON and error-body handling.
//! - [`discovery`]: OpenID Connect Discovery 1.0 §4 and RFC 8414 §3 (exact `issuer` match).
//! - [`authorize`]: authorization requests (RFC 6749 §4.1.1, OIDC Core §3.1.2.1, RFC 7636 §4.3).
//! - [`callback`]: authorization responses: query, fragment, `form_post`; `state`, RFC 9207 `iss`.
//! - [`client_auth`]: client authentication (RFC 6749 §2.3.1, OIDC Core §9, RFC 7523 §2.2).
//! - [`token`]: token endpoint requests and responses (RFC 6749 §4.1.3, §4.3, §4.4, §6, RFC 7523).
//! - [`introspection`]: token introspection requests and responses (RFC 7662 §2.1, §2.2).
//! - [`revocation`]: token revocation requests and responses (RFC 7009 §2.1, §2.2).
//! - [`bearer`]: bearer tokens on incoming requests and `WWW-Authenticate` (RFC 6750).
//! - [`access_token`]: JWT access token validation (RFC 9068 §4) and its RFC 6750 §3.1 errors.
//! - [`jar`]: signed Request Objects, by value or by reference (RFC 9101 §4, §5, OIDC Core §6.1).
//! - [`par`]: pushed authorization requests (RFC 9126 §2, §4).
//! - [`dpop`]: DPoP proofs, their verification, nonces and `cnf.jkt` binding (RFC 9449).
//! - [`registration`]: dynamic client registration (RFC 7591 §3, OIDC Dynamic Registration §3).

pub mod access_token;
pub mod authorize;
pub mod bearer;
pub mod callback;
pub mod client_auth;
pub mod discovery;
pub mod dpop;
pub mod http;
pub mod introspection;
pub mod jar;
pub mod par;
pub mod pkce;
pub mod registration;
pub mod revocation;
pub mod token;
