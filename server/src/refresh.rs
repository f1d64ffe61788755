//! Refresh tokens (RFC 6749 §1.5, §6): random handles stored by hash under their grant, with
//! the authorization data they continue (scope, user, `auth_time`, session, scenario).
//!
//! Rotation (RFC 9700 §4.14.2): a public client's refresh token is single use; each refresh
//! returns a new one, and presenting a rotated-out token again revokes the whole grant (the
//! legitimate client and the attacker both lose access). A confidential client authenticates
//! on every refresh, so its refresh token stays valid and is returned unchanged.

use rusqlite::{OptionalExtension as _, params};

use crate::error::ServerError;
use crate::grant::AuthorizationData;
use crate::store::Store;
use crate::tokens::handle_hash;

/// A stored refresh token.
#[derive(Debug, Clone, PartialEq)]
pub struct RefreshRecord {
    /// The grant it belongs to.
    pub grant_id: String,
    /// What it continues (the original authorization).
    pub data: AuthorizationData,
    /// When it expires (seconds since the epoch).
    pub expires_at: i64,
    /// When it was rotated out (public clients) or revoked with its grant.
    pub consumed_at: Option<i64>,
}

impl Store {
    /// Stores a new refresh token (by hash) for `grant_id`.
    pub fn insert_refresh_token(
        &self,
        token: &str,
        grant_id: &str,
        data: &AuthorizationData,
        expires_at: i64,
    ) -> Result<(), ServerError> {
        let json = serde_json::to_string(data)
            .map_err(|e| ServerError::Store(format!("serialization: {e}")))?;
        self.conn()?.execute(
            "INSERT INTO refresh_tokens (token_hash, grant_id, data, expires_at)
             VALUES (?1, ?2, ?3, ?4)",
            params![handle_hash(token), grant_id, json, expires_at],
        )?;
        Ok(())
    }

    /// A refresh token by value.
    pub fn refresh_token(&self, token: &str) -> Result<Option<RefreshRecord>, ServerError> {
        let row: Option<(String, String, i64, Option<i64>)> = self
            .conn()?
            .query_row(
                "SELECT grant_id, data, expires_at, consumed_at FROM refresh_tokens
                 WHERE token_hash = ?1",
                [handle_hash(token)],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()?;
        row.map(|(grant_id, data, expires_at, consumed_at)| {
            Ok(RefreshRecord {
                grant_id,
                data: serde_json::from_str(&data)
                    .map_err(|e| ServerError::Store(format!("stored refresh data: {e}")))?,
                expires_at,
                consumed_at,
            })
        })
        .transpose()
    }

    /// Marks a refresh token used (rotation): `true` when this call consumed it, `false` when
    /// it was already consumed (a concurrent reuse).
    pub fn consume_refresh_token(&self, token: &str, now: i64) -> Result<bool, ServerError> {
        Ok(self.conn()?.execute(
            "UPDATE refresh_tokens SET consumed_at = ?2
             WHERE token_hash = ?1 AND consumed_at IS NULL",
            params![handle_hash(token), now],
        )? == 1)
    }

    /// The grant of a refresh token given by value (for revocation, RFC 7009 §2.1).
    pub fn refresh_token_grant(&self, token: &str) -> Result<Option<String>, ServerError> {
        Ok(self.refresh_token(token)?.map(|r| r.grant_id))
    }
}
