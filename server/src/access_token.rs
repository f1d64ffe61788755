//! Access tokens: minted as RFC 9068 JWTs (`typ: at+jwt`, the default) or as opaque random
//! handles (`[server] access_token_format = "opaque"`), and looked up for UserInfo,
//! introspection (RFC 7662), revocation (RFC 7009) and the protected API (RFC 6750).
//!
//! Both formats get a row in `access_tokens`, keyed by `tokens::handle_hash` of the opaque
//! token or of the JWT's `jti`; its `data` is the RFC 7662 §2.2 introspection claims (without
//! `active`). A JWT access token is valid only while its row is: revoking the grant (or the
//! token) makes it inactive even though its signature still verifies.

use oidckit::{Alg, Family, JwkSet, Object, jwt};
use rusqlite::{OptionalExtension as _, params};
use serde_json::Value;

use crate::app::AppState;
use crate::config::ClientConfig;
use crate::error::ServerError;
use crate::routes::discovery::paths;
use crate::scenario::{Scenario, TokenKind};
use crate::store::Store;
use crate::tokens::{handle_hash, random_handle};

/// Stored-only members of an access token's data start with this (stripped by
/// [`public_claims`]).
pub const PRIVATE_PREFIX: &str = "_";

/// The private member holding the OpenID Connect Core 1.0 §5.5 `claims` request.
pub const PRIVATE_CLAIMS: &str = "claims";

/// The private member holding the authorization request's scenario override.
pub const PRIVATE_SCENARIO: &str = "scenario";

/// A private member of stored access token data.
pub fn private<'a>(data: &'a Object, name: &str) -> Option<&'a Value> {
    data.get(&format!("{PRIVATE_PREFIX}{name}"))
}

/// The introspection claims without the private members (RFC 7662 §2.2).
pub fn public_claims(data: &Object) -> Object {
    data.iter()
        .filter(|(k, _)| !k.starts_with(PRIVATE_PREFIX))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// The token type of a DPoP-bound access token (RFC 9449 §5).
pub const TOKEN_TYPE_DPOP: &str = "DPoP";
/// The token type of a bearer access token (RFC 6750 §6.1.1).
pub const TOKEN_TYPE_BEARER: &str = "Bearer";

/// The audience of access tokens minted without an RFC 8707 `resource`: the demo API
/// (`<issuer>/api`), the resource server this OP protects.
pub fn default_audience(state: &AppState) -> String {
    state.endpoint_url(paths::API)
}

/// Mints an access token for `client` (and `username`, absent for client credentials):
/// returns the token and its lifetime (`expires_in`, RFC 6749 §5.1).
///
/// The JWT format follows RFC 9068 §2.2: `iss`, `exp`, `aud` (the `audience` resource
/// indicators, or [`default_audience`]), `sub` (the user, or the client_id when there is no
/// user), `client_id`, `iat`, `jti`, `scope`, and `cnf.jkt` when DPoP-bound (RFC 9449 §6.1).
#[allow(clippy::too_many_arguments)]
pub fn mint(
    state: &AppState,
    client: &ClientConfig,
    username: Option<&str>,
    scope: &str,
    grant_id: &str,
    audience: &[String],
    cnf_jkt: Option<&str>,
    scenario: &Scenario,
    now: i64,
) -> Result<(String, i64), ServerError> {
    mint_with_claims(
        state,
        client,
        username,
        scope,
        grant_id,
        audience,
        cnf_jkt,
        scenario,
        Object::new(),
        Object::new(),
        now,
    )
}

/// [`mint`] with extra claims (e.g. the RFC 8693 §4.1 `act` claim of a token exchange; they
/// go into the JWT and the introspection data, never over a claim set here) and private data
/// kept only in the stored row under [`PRIVATE_PREFIX`]ed names (the UserInfo `claims` request
/// and the scenario of the authorization request), never shown by introspection.
#[allow(clippy::too_many_arguments)]
pub fn mint_with_claims(
    state: &AppState,
    client: &ClientConfig,
    username: Option<&str>,
    scope: &str,
    grant_id: &str,
    audience: &[String],
    cnf_jkt: Option<&str>,
    scenario: &Scenario,
    extra: Object,
    private: Object,
    now: i64,
) -> Result<(String, i64), ServerError> {
    let lifetime = i64::try_from(state.config.lifetimes.access_token).unwrap_or(3600);
    let exp = now.saturating_add(lifetime);
    let aud: Vec<String> = if audience.is_empty() {
        vec![default_audience(state)]
    } else {
        audience.to_vec()
    };
    let aud_value = match aud.as_slice() {
        [one] => Value::from(one.as_str()),
        many => Value::Array(many.iter().map(|a| Value::from(a.as_str())).collect()),
    };
    let sub = username.unwrap_or(&client.client_id);
    let jti = random_handle();
    let mut claims = Object::new();
    for (k, v) in extra {
        claims.insert(k, v);
    }
    claims.insert("iss".into(), Value::from(state.issuer.as_str()));
    claims.insert("sub".into(), Value::from(sub));
    claims.insert("aud".into(), aud_value);
    claims.insert("client_id".into(), Value::from(client.client_id.as_str()));
    claims.insert("iat".into(), Value::from(now));
    claims.insert("exp".into(), Value::from(exp));
    claims.insert("jti".into(), Value::from(jti.as_str()));
    if !scope.is_empty() {
        claims.insert("scope".into(), Value::from(scope));
    }
    if let Some(jkt) = cnf_jkt {
        claims.insert("cnf".into(), serde_json::json!({ "jkt": jkt }));
    }

    let opaque = state.config.server.access_token_format == "opaque";
    let (token, key) = if opaque {
        let t = random_handle();
        let h = handle_hash(&t);
        (t, h)
    } else {
        let t = crate::tokens::sign_jwt(
            state,
            TokenKind::AccessToken,
            state.signing_alg,
            claims.clone(),
            scenario,
        )?;
        (t, handle_hash(&jti))
    };

    // The introspection data (RFC 7662 §2.2), `active` added by the reader.
    let mut data = claims;
    data.remove("jti");
    data.insert(
        "token_type".into(),
        Value::from(if cnf_jkt.is_some() {
            TOKEN_TYPE_DPOP
        } else {
            TOKEN_TYPE_BEARER
        }),
    );
    if let Some(u) = username {
        data.insert("username".into(), Value::from(u));
    }
    for (k, v) in private {
        data.insert(format!("{PRIVATE_PREFIX}{k}"), v);
    }
    state
        .store
        .insert_access_token(&key, grant_id, &data, exp)?;
    Ok((token, lifetime))
}

/// A stored access token found by [`find`].
#[derive(Debug, Clone)]
pub struct Found {
    /// The row key (`handle_hash` of the opaque token or of the JWT's `jti`).
    pub key: String,
    /// The grant it was issued under.
    pub grant_id: String,
    /// The RFC 7662 introspection claims (without `active`).
    pub data: Object,
}

/// Whether `token` has the shape of a compact JWS (three dot-separated parts).
fn looks_like_jwt(token: &str) -> bool {
    token.split('.').count() == 3
}

/// The OP's published keys as a JWK Set (to verify its own JWT access tokens).
fn own_keys(state: &AppState) -> Result<JwkSet, ServerError> {
    let set = state
        .keys
        .read()
        .map_err(|_| ServerError::Keys("the key ring lock is poisoned".into()))?
        .jwks()?;
    JwkSet::from_object(&set).map_err(|e| ServerError::Keys(format!("own JWKS: {e}")))
}

/// The row key of a presented token: a JWT access token must verify with the OP's keys
/// (RFC 9068 §4: `typ` `at+jwt`, `iss` this issuer, not expired) and its `jti` names the row.
fn row_key(state: &AppState, token: &str, now: i64) -> Result<Option<String>, ServerError> {
    if !looks_like_jwt(token) {
        return Ok(Some(handle_hash(token)));
    }
    let keys = own_keys(state)?;
    let v = jwt::Validation {
        algorithms: Alg::ALL
            .iter()
            .copied()
            .filter(|a| a.family() != Family::Oct)
            .collect(),
        issuer: vec![state.issuer.clone()],
        typ: Some("at+jwt".into()),
        required_claims: vec!["exp".into(), "jti".into()],
        ..jwt::Validation::new(now)
    };
    let Ok(verified) = jwt::verify(token, &keys, &v) else {
        return Ok(None);
    };
    Ok(verified
        .claims
        .get("jti")
        .and_then(Value::as_str)
        .map(handle_hash))
}

/// Finds an active access token: known, not expired, not revoked, its grant not revoked.
pub fn find(state: &AppState, token: &str, now: i64) -> Result<Option<Found>, ServerError> {
    if token.is_empty() || token.len() > 16 * 1024 {
        return Ok(None);
    }
    let Some(key) = row_key(state, token, now)? else {
        return Ok(None);
    };
    let Some((grant_id, data, expires_at, revoked_at)) = state.store.access_token_row(&key)? else {
        return Ok(None);
    };
    if revoked_at.is_some() || expires_at <= now || !state.store.grant_active(&grant_id)? {
        return Ok(None);
    }
    Ok(Some(Found {
        key,
        grant_id,
        data,
    }))
}

/// The introspection claims of an active access token (RFC 7662 §2.2, without `active`);
/// `None` when the token is unknown, expired or revoked. JWT access tokens are verified with
/// the OP's own keys first.
pub fn lookup(state: &AppState, token: &str, now: i64) -> Result<Option<Object>, ServerError> {
    Ok(find(state, token, now)?.map(|f| f.data))
}

impl Store {
    /// Stores an access token row (durable when this returns).
    pub fn insert_access_token(
        &self,
        key: &str,
        grant_id: &str,
        data: &Object,
        expires_at: i64,
    ) -> Result<(), ServerError> {
        let json = Value::Object(data.clone()).to_string();
        self.conn()?.execute(
            "INSERT INTO access_tokens (token_hash, grant_id, data, expires_at)
             VALUES (?1, ?2, ?3, ?4)",
            params![key, grant_id, json, expires_at],
        )?;
        Ok(())
    }

    /// An access token row: (grant_id, data, expires_at, revoked_at).
    #[allow(clippy::type_complexity)]
    pub fn access_token_row(
        &self,
        key: &str,
    ) -> Result<Option<(String, Object, i64, Option<i64>)>, ServerError> {
        let row: Option<(String, String, i64, Option<i64>)> = self
            .conn()?
            .query_row(
                "SELECT grant_id, data, expires_at, revoked_at FROM access_tokens
                 WHERE token_hash = ?1",
                [key],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()?;
        row.map(|(g, d, e, r)| {
            let data: Object = serde_json::from_str(&d)
                .map_err(|e| ServerError::Store(format!("stored access token data: {e}")))?;
            Ok((g, data, e, r))
        })
        .transpose()
    }

    /// Revokes one access token (RFC 7009 §2).
    pub fn revoke_access_token(&self, key: &str, now: i64) -> Result<(), ServerError> {
        self.conn()?.execute(
            "UPDATE access_tokens SET revoked_at = ?2 WHERE token_hash = ?1 AND revoked_at IS NULL",
            params![key, now],
        )?;
        Ok(())
    }
}
