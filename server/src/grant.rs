//! Grants and what is issued under them: authorization codes, refresh tokens and access
//! tokens, stored by hash (`tokens::handle_hash`). Revoking a grant revokes everything issued
//! under it (RFC 6749 §10.5 / §4.1.2: a reused code revokes the tokens it produced; RFC 9700
//! §4.14.2: a reused rotated refresh token revokes the grant).

use oidckit::Object;
use rusqlite::{OptionalExtension as _, params};
use serde::{Deserialize, Serialize};

use crate::error::ServerError;
use crate::store::Store;

/// What the authorization endpoint decided, carried by the code to the token endpoint (and by
/// refresh tokens to later refreshes).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct AuthorizationData {
    /// The client the code was issued to.
    pub client_id: String,
    /// The authenticated user (`sub`).
    pub username: String,
    /// The `redirect_uri` of the request (RFC 6749 §4.1.3 re-checks it).
    pub redirect_uri: String,
    /// The granted scope, space-separated.
    pub scope: String,
    /// `nonce` (OpenID Connect Core 1.0 §3.1.2.1), echoed in ID Tokens.
    pub nonce: Option<String>,
    /// `code_challenge` (RFC 7636 §4.3); S256 only.
    pub code_challenge: Option<String>,
    /// When the user authenticated (`auth_time`, OpenID Connect Core 1.0 §2).
    pub auth_time: i64,
    /// The OP session (`sid`, Front-/Back-Channel Logout).
    pub session_id: Option<String>,
    /// The `claims` request parameter (OpenID Connect Core 1.0 §5.5), as given.
    pub claims: Option<Object>,
    /// Whether `max_age` was requested (then `auth_time` is required in the ID Token).
    pub max_age_requested: bool,
    /// A misbehaviour scenario requested with `?scenario=` (else the client's own applies).
    pub scenario: Option<String>,
    /// RFC 8707 `resource` values requested.
    pub resource: Vec<String>,
    /// RFC 9449 §10 `dpop_jkt`, when the authorization request bound the code to a DPoP key.
    pub dpop_jkt: Option<String>,
}

/// Why an authorization code could not be redeemed.
#[derive(Debug, PartialEq, Eq)]
pub enum CodeError {
    /// Unknown, expired, or its grant is revoked.
    Invalid,
    /// Already redeemed: the grant has now been revoked (RFC 6749 §4.1.2).
    Reused,
}

impl Store {
    /// Creates a grant (returns its id).
    pub fn create_grant(
        &self,
        client_id: &str,
        username: Option<&str>,
        session_id: Option<&str>,
        scope: &str,
        now: i64,
    ) -> Result<String, ServerError> {
        let id = crate::tokens::random_handle();
        self.conn()?.execute(
            "INSERT INTO grants (id, client_id, username, session_id, scope, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![id, client_id, username, session_id, scope, now],
        )?;
        Ok(id)
    }

    /// Whether a grant exists and is not revoked.
    pub fn grant_active(&self, grant_id: &str) -> Result<bool, ServerError> {
        Ok(self
            .conn()?
            .query_row(
                "SELECT 1 FROM grants WHERE id = ?1 AND revoked_at IS NULL",
                [grant_id],
                |_| Ok(()),
            )
            .optional()?
            .is_some())
    }

    /// Revokes a grant and every token issued under it (one transaction).
    pub fn revoke_grant(&self, grant_id: &str, now: i64) -> Result<(), ServerError> {
        let mut conn = self.conn()?;
        let tx = conn.transaction()?;
        tx.execute(
            "UPDATE grants SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
            params![grant_id, now],
        )?;
        tx.execute(
            "UPDATE access_tokens SET revoked_at = ?2 WHERE grant_id = ?1 AND revoked_at IS NULL",
            params![grant_id, now],
        )?;
        tx.execute(
            "UPDATE refresh_tokens SET consumed_at = COALESCE(consumed_at, ?2) WHERE grant_id = ?1",
            params![grant_id, now],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Revokes every grant of a user (the admin page's "revoke all"); returns how many.
    pub fn revoke_user_grants(&self, username: &str, now: i64) -> Result<usize, ServerError> {
        let ids: Vec<String> = {
            let conn = self.conn()?;
            let mut stmt =
                conn.prepare("SELECT id FROM grants WHERE username = ?1 AND revoked_at IS NULL")?;
            let rows = stmt.query_map([username], |r| r.get(0))?;
            rows.collect::<Result<_, _>>()?
        };
        for id in &ids {
            self.revoke_grant(id, now)?;
        }
        Ok(ids.len())
    }

    /// Stores a new authorization code (by hash) for `grant_id`.
    pub fn insert_code(
        &self,
        code: &str,
        grant_id: &str,
        data: &AuthorizationData,
        expires_at: i64,
    ) -> Result<(), ServerError> {
        let json = serde_json::to_string(data)
            .map_err(|e| ServerError::Store(format!("serialization: {e}")))?;
        self.conn()?.execute(
            "INSERT INTO authorization_codes (code_hash, grant_id, data, expires_at)
             VALUES (?1, ?2, ?3, ?4)",
            params![crate::tokens::handle_hash(code), grant_id, json, expires_at],
        )?;
        Ok(())
    }

    /// Redeems a code once (RFC 6749 §4.1.2): marks it consumed and returns its grant and
    /// data. A second redemption revokes the grant and answers [`CodeError::Reused`].
    pub fn consume_code(
        &self,
        code: &str,
        now: i64,
    ) -> Result<Result<(String, AuthorizationData), CodeError>, ServerError> {
        let hash = crate::tokens::handle_hash(code);
        let row: Option<(String, String, i64, Option<i64>)> = {
            let mut conn = self.conn()?;
            let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let row = tx
                .query_row(
                    "SELECT grant_id, data, expires_at, consumed_at FROM authorization_codes
                     WHERE code_hash = ?1",
                    [&hash],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
                )
                .optional()?;
            if let Some((_, _, _, None)) = &row {
                tx.execute(
                    "UPDATE authorization_codes SET consumed_at = ?2 WHERE code_hash = ?1",
                    params![hash, now],
                )?;
            }
            tx.commit()?;
            row
        };
        let Some((grant_id, data, expires_at, consumed_at)) = row else {
            return Ok(Err(CodeError::Invalid));
        };
        if consumed_at.is_some() {
            self.revoke_grant(&grant_id, now)?;
            return Ok(Err(CodeError::Reused));
        }
        if expires_at <= now || !self.grant_active(&grant_id)? {
            return Ok(Err(CodeError::Invalid));
        }
        let data = serde_json::from_str(&data)
            .map_err(|e| ServerError::Store(format!("stored code data: {e}")))?;
        Ok(Ok((grant_id, data)))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::store::Storage;

    #[test]
    fn a_code_is_single_use_and_reuse_revokes_the_grant() {
        let s = Store::open(&Storage::InMemory).unwrap();
        let g = s
            .create_grant("c", Some("alice"), None, "openid", 100)
            .unwrap();
        let data = AuthorizationData {
            client_id: "c".into(),
            username: "alice".into(),
            ..Default::default()
        };
        s.insert_code("the-code", &g, &data, 160).unwrap();
        assert_eq!(
            s.consume_code("other", 101).unwrap(),
            Err(CodeError::Invalid)
        );
        assert_eq!(
            s.consume_code("the-code", 101).unwrap(),
            Ok((g.clone(), data))
        );
        assert_eq!(
            s.consume_code("the-code", 102).unwrap(),
            Err(CodeError::Reused)
        );
        assert!(!s.grant_active(&g).unwrap());
    }

    #[test]
    fn an_expired_code_is_invalid() {
        let s = Store::open(&Storage::InMemory).unwrap();
        let g = s
            .create_grant("c", Some("alice"), None, "openid", 100)
            .unwrap();
        s.insert_code("x", &g, &AuthorizationData::default(), 160)
            .unwrap();
        assert_eq!(s.consume_code("x", 160).unwrap(), Err(CodeError::Invalid));
    }
}
