//! Request objects (RFC 9101, OpenID Connect Core 1.0 §6) by value (`request`) and by reference
//! (`request_uri`), and pushed authorization requests (RFC 9126) stored for their
//! `urn:ietf:params:oauth:request_uri:` handle.
//!
//! A request object must be signed (RFC 9101 §6.3 lets the server refuse unsigned ones; this
//! one always does): with the client's registered keys (`jwks`, `jwks_uri`, `public_key_pem`)
//! or, for `HS*`, its client secret. Verification is the core's [`oidckit::jwt::verify`].

use oidckit::{Alg, Family, Key, jwt};
use rusqlite::{OptionalExtension as _, params};
use serde_json::Value;

use crate::config::ClientConfig;
use crate::error::ServerError;
use crate::store::Store;
use crate::tokens::{handle_hash, random_handle};

/// The `request_uri` prefix of pushed requests (RFC 9126 §2.2).
pub const PAR_URN_PREFIX: &str = "urn:ietf:params:oauth:request_uri:";
/// How long a pushed request stays usable (RFC 9126 §2.2 `expires_in`), seconds.
pub const PAR_LIFETIME: i64 = 60;
/// The largest request object accepted, in bytes.
pub const MAX_REQUEST_OBJECT: usize = 64 * 1024;
/// Clock tolerance for a request object's `exp` / `nbf`, seconds.
pub const CLOCK_TOLERANCE: u64 = 30;

/// Claims of a request object that are JWT bookkeeping, not authorization parameters.
const JWT_CLAIMS: &[&str] = &["iss", "aud", "exp", "iat", "nbf", "jti"];

/// The header of a compact JWS, decoded without verification (only to pick the key type).
fn header_alg(token: &str) -> Result<String, String> {
    let first = token.split('.').next().unwrap_or("");
    let bytes =
        oidckit::b64::decode(first, "the request object header").map_err(|e| e.to_string())?;
    let header: serde_json::Map<String, Value> =
        serde_json::from_slice(&bytes).map_err(|_| "the request object header is not JSON")?;
    header
        .get("alg")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| "the request object header has no alg".to_owned())
}

/// Verifies a request object of `client` (RFC 9101 §6.3) and returns its claims as
/// authorization parameters: strings as they are, numbers as decimal text, objects (such as
/// `claims`) as JSON text, arrays of strings (such as `resource`) as repeated parameters.
///
/// Refused: `alg: none` (and any unsigned object), a signature that does not verify, `exp` in
/// the past or `nbf` in the future (beyond [`CLOCK_TOLERANCE`]), an `iss` other than the
/// client_id, an `aud` without the issuer, a `client_id` claim other than the client's, and a
/// nested `request` or `request_uri` (RFC 9101 §4).
pub async fn verify(
    client: &ClientConfig,
    issuer: &str,
    token: &str,
    now: i64,
) -> Result<Vec<(String, String)>, String> {
    if token.len() > MAX_REQUEST_OBJECT {
        return Err("the request object is too large".into());
    }
    let alg_name = header_alg(token)?;
    if alg_name.eq_ignore_ascii_case("none") {
        return Err("unsigned request objects (alg none) are refused (RFC 9101 §6.3)".into());
    }
    let alg: Alg = alg_name
        .parse()
        .map_err(|_| format!("unsupported request object alg {alg_name:?}"))?;
    let v = jwt::Validation {
        algorithms: vec![alg],
        clock_tolerance: CLOCK_TOLERANCE,
        ..jwt::Validation::new(now)
    };
    let verified = if alg.family() == Family::Oct {
        let secret = client
            .client_secret
            .as_ref()
            .ok_or("an HS* request object needs a client with a client_secret")?;
        let key =
            Key::from_secret(secret.expose().as_bytes(), Some(alg)).map_err(|e| e.to_string())?;
        jwt::verify(token, &key, &v)
    } else {
        let keys = crate::client_auth::client_keys(client, now).await?;
        if keys.keys().is_empty() {
            return Err("the client has no registered keys to verify a request object".into());
        }
        jwt::verify(token, &keys, &v)
    }
    .map_err(|e| format!("the request object does not verify: {e}"))?;
    let claims = verified.claims;
    if let Some(iss) = claims.get("iss")
        && iss.as_str() != Some(client.client_id.as_str())
    {
        return Err("the request object's iss is not the client_id (RFC 9101 §6.3)".into());
    }
    if let Some(aud) = claims.get("aud") {
        let trimmed = issuer.trim_end_matches('/');
        let ok = |a: &Value| a.as_str().is_some_and(|a| a == issuer || a == trimmed);
        let matches = match aud {
            Value::Array(items) => items.iter().any(ok),
            other => ok(other),
        };
        if !matches {
            return Err("the request object's aud is not this issuer (RFC 9101 §4)".into());
        }
    }
    if let Some(id) = claims.get("client_id")
        && id.as_str() != Some(client.client_id.as_str())
    {
        return Err("the request object's client_id differs from the request's".into());
    }
    if claims.contains_key("request") || claims.contains_key("request_uri") {
        return Err("a request object cannot hold request or request_uri (RFC 9101 §4)".into());
    }
    let mut params = Vec::new();
    for (name, value) in claims {
        if JWT_CLAIMS.contains(&name.as_str()) {
            continue;
        }
        match value {
            Value::String(s) => params.push((name, s)),
            Value::Number(n) => params.push((name, n.to_string())),
            Value::Bool(b) => params.push((name, b.to_string())),
            Value::Null => {}
            Value::Array(items) if items.iter().all(Value::is_string) => {
                for item in items {
                    if let Value::String(s) = item {
                        params.push((name.clone(), s));
                    }
                }
            }
            other => params.push((name, other.to_string())),
        }
    }
    Ok(params)
}

/// Fetches a request object by reference (RFC 9101 §5.2): `http://` only (the dev server's
/// outbound rule), a 200 answer, the body is the JWT.
pub async fn fetch(uri: &str) -> Result<String, String> {
    let res = crate::outbound::get(uri).await?;
    if res.status != 200 {
        return Err(format!("the request_uri answered HTTP {}", res.status));
    }
    let text =
        String::from_utf8(res.body.to_vec()).map_err(|_| "the request_uri body is not UTF-8")?;
    Ok(text.trim().to_owned())
}

impl Store {
    /// Stores a pushed authorization request (RFC 9126 §2.2) and returns its `request_uri`.
    pub fn push_request(
        &self,
        client_id: &str,
        params: &[(String, String)],
        now: i64,
    ) -> Result<String, ServerError> {
        let uri = format!("{PAR_URN_PREFIX}{}", random_handle());
        let json = serde_json::to_string(params)
            .map_err(|e| ServerError::Store(format!("serialization: {e}")))?;
        let conn = self.conn()?;
        conn.execute(
            "DELETE FROM par_requests WHERE expires_at <= ?1",
            [now - 3600],
        )?;
        conn.execute(
            "INSERT INTO par_requests (uri_hash, client_id, params, expires_at)
             VALUES (?1, ?2, ?3, ?4)",
            params![handle_hash(&uri), client_id, json, now + PAR_LIFETIME],
        )?;
        Ok(uri)
    }

    /// Takes a pushed request once (RFC 9126 §4: one-time use): its parameters, when `uri` is
    /// live, unused and was pushed by `client_id`.
    pub fn take_pushed_request(
        &self,
        uri: &str,
        client_id: &str,
        now: i64,
    ) -> Result<Option<Vec<(String, String)>>, ServerError> {
        let mut conn = self.conn()?;
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let hash = handle_hash(uri);
        let row: Option<String> = tx
            .query_row(
                "SELECT params FROM par_requests WHERE uri_hash = ?1 AND client_id = ?2
                   AND used_at IS NULL AND expires_at > ?3",
                params![hash, client_id, now],
                |r| r.get(0),
            )
            .optional()?;
        if row.is_some() {
            tx.execute(
                "UPDATE par_requests SET used_at = ?2 WHERE uri_hash = ?1",
                params![hash, now],
            )?;
        }
        tx.commit()?;
        row.map(|json| {
            serde_json::from_str(&json)
                .map_err(|e| ServerError::Store(format!("stored pushed request: {e}")))
        })
        .transpose()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
    use super::*;
    use crate::store::Storage;

    #[test]
    fn pushed_requests_are_single_use_per_client_and_expire() {
        let s = Store::open(&Storage::InMemory).unwrap();
        let p = vec![("scope".to_owned(), "openid".to_owned())];
        let uri = s.push_request("c", &p, 100).unwrap();
        assert!(uri.starts_with(PAR_URN_PREFIX));
        assert_eq!(s.take_pushed_request(&uri, "other", 101).unwrap(), None);
        assert_eq!(s.take_pushed_request(&uri, "c", 101).unwrap(), Some(p));
        assert_eq!(s.take_pushed_request(&uri, "c", 102).unwrap(), None);
        let uri = s.push_request("c", &[], 100).unwrap();
        assert_eq!(s.take_pushed_request(&uri, "c", 160).unwrap(), None);
    }

    #[test]
    fn header_alg_is_read() {
        let h = oidckit::b64::encode(br#"{"alg":"none"}"#);
        assert_eq!(header_alg(&format!("{h}.e30.")).unwrap(), "none");
        assert!(header_alg("!!.e30.").is_err());
    }
}
