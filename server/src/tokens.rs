//! Minting: random handles (codes, opaque tokens, session ids), their stored hashes, and JWTs
//! signed with the OP's active key (ID Tokens, OpenID Connect Core 1.0 §2; JWT access tokens,
//! RFC 9068; signed UserInfo, §5.3.2; Logout Tokens, Back-Channel Logout 1.0 §2.4).
//!
//! Every JWT goes through [`sign_jwt`], which applies the client's misbehaviour
//! [`Scenario`](crate::scenario::Scenario) (`scenario.rs`) to the header and claims before
//! signing and to the compact token after signing. With `Scenario::None` nothing changes.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use oidckit::{Alg, Object};
use rand_core::{Rng as _, UnwrapErr};
use serde_json::Value;
use sha2::{Digest as _, Sha256};

use crate::app::AppState;
use crate::error::ServerError;
use crate::scenario::{Scenario, TokenKind};

/// A new random handle: 32 bytes from the OS RNG, base64url (256 bits, RFC 6749 §10.10 asks
/// for at least 128).
pub fn random_handle() -> String {
    let mut bytes = [0u8; 32];
    let mut rng = UnwrapErr(getrandom::SysRng);
    rng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The stored form of a handle: SHA-256, base64url. A database leak exposes no usable code or
/// token, and lookups by hash are exact-match (no timing-sensitive string comparison).
pub fn handle_hash(handle: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(handle.as_bytes()))
}

/// Signs `claims` as a JWT of kind `kind` for a client with scenario `scenario`, with the
/// active key for `alg` (`typ` set per kind: `at+jwt` for RFC 9068 §2.1, `logout+jwt` for
/// Back-Channel Logout 1.0 §2.4; none for ID Tokens and UserInfo).
pub fn sign_jwt(
    state: &AppState,
    kind: TokenKind,
    alg: Alg,
    claims: Object,
    scenario: &Scenario,
) -> Result<String, ServerError> {
    let keys = state
        .keys
        .read()
        .map_err(|_| ServerError::Keys("the key ring lock is poisoned".into()))?;
    let key = keys
        .active(alg)
        .ok_or_else(|| ServerError::Keys(format!("no active signing key for {alg}")))?;
    let mut header = Object::new();
    header.insert("alg".into(), Value::from(alg.as_str()));
    header.insert("kid".into(), Value::from(key.kid.as_str()));
    if let Some(typ) = kind.typ() {
        header.insert("typ".into(), Value::from(typ));
    }
    let mut claims = claims;
    let mut rng = UnwrapErr(getrandom::SysRng);
    let plan = scenario.before_sign(state, kind, &mut header, &mut claims)?;
    let signing_key = match &plan.sign_with {
        Some(k) => k,
        None => &key.key,
    };
    let token = if plan.unsigned {
        // The `alg: none` defect (RFC 7519 §6): the two segments and an empty signature.
        let part = |o: &Object| URL_SAFE_NO_PAD.encode(Value::Object(o.clone()).to_string());
        format!("{}.{}.", part(&header), part(&claims))
    } else {
        oidckit::jwt::sign(&header, &claims, signing_key, &mut rng)
            .map_err(|e| ServerError::Keys(format!("signing failed: {e}")))?
    };
    Ok(scenario.after_sign(kind, token))
}
