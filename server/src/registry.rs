//! Clients and users in the store. The TOML configuration is authoritative for the entries it
//! names: at every start they are written over their stored copies (keeping timestamps);
//! entries created on the admin page or by dynamic registration (RFC 7591) persist on their own.

use rusqlite::{OptionalExtension as _, params};

use crate::config::{ClientConfig, Config, UserConfig};
use crate::error::ServerError;
use crate::store::Store;

/// A client as stored: its metadata and bookkeeping.
#[derive(Debug, Clone)]
pub struct ClientRecord {
    /// The metadata (RFC 7591 §2 names).
    pub config: ClientConfig,
    /// `config`, `registered` or `admin`.
    pub source: String,
    /// When the client was first stored.
    pub created_at: i64,
    /// When its public keys last changed.
    pub key_updated_at: Option<i64>,
    /// When it last authenticated or was used at an endpoint.
    pub last_used_at: Option<i64>,
}

/// A user as stored.
#[derive(Debug, Clone)]
pub struct UserRecord {
    /// The user's configuration (username, password hash, claims, JWT bearer permission).
    pub config: UserConfig,
    /// `config` or `admin`.
    pub source: String,
    /// When the user was first stored.
    pub created_at: i64,
}

fn to_json<T: serde::Serialize>(v: &T) -> Result<String, ServerError> {
    serde_json::to_string(v).map_err(|e| ServerError::Store(format!("serialization: {e}")))
}

fn from_json<T: serde::de::DeserializeOwned>(s: &str) -> Result<T, ServerError> {
    serde_json::from_str(s).map_err(|e| ServerError::Store(format!("stored JSON: {e}")))
}

impl Store {
    /// Writes the configuration's clients and users over their stored copies (one transaction).
    pub fn seed_from_config(&self, config: &Config, now: i64) -> Result<(), ServerError> {
        let mut conn = self.conn()?;
        let tx = conn.transaction()?;
        for c in &config.clients {
            let keys = keys_fingerprint(c);
            let old: Option<String> = tx
                .query_row(
                    "SELECT metadata FROM clients WHERE client_id = ?1",
                    [&c.client_id],
                    |r| r.get(0),
                )
                .optional()?;
            let key_changed = match &old {
                Some(m) => {
                    from_json::<ClientConfig>(m)
                        .map(|o| keys_fingerprint(&o))
                        .ok()
                        != Some(keys.clone())
                }
                None => true,
            };
            tx.execute(
                "INSERT INTO clients (client_id, source, metadata, created_at, key_updated_at)
                 VALUES (?1, 'config', ?2, ?3, ?4)
                 ON CONFLICT (client_id) DO UPDATE SET source = 'config', metadata = ?2,
                   key_updated_at = CASE WHEN ?5 THEN ?3 ELSE key_updated_at END",
                params![
                    c.client_id,
                    to_json(c)?,
                    now,
                    (!keys.is_empty()).then_some(now),
                    key_changed
                ],
            )?;
        }
        for u in &config.users {
            tx.execute(
                "INSERT INTO users (username, source, password_hash, jwt_bearer_allowed, claims, created_at)
                 VALUES (?1, 'config', ?2, ?3, ?4, ?5)
                 ON CONFLICT (username) DO UPDATE SET source = 'config', password_hash = ?2,
                   jwt_bearer_allowed = ?3, claims = ?4",
                params![u.username, u.password_hash, u.jwt_bearer_allowed, to_json(&u.claims)?, now],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// One client by `client_id`.
    pub fn client(&self, client_id: &str) -> Result<Option<ClientRecord>, ServerError> {
        let conn = self.conn()?;
        let row = conn
            .query_row(
                "SELECT metadata, source, created_at, key_updated_at, last_used_at
                 FROM clients WHERE client_id = ?1",
                [client_id],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, i64>(2)?,
                        r.get::<_, Option<i64>>(3)?,
                        r.get::<_, Option<i64>>(4)?,
                    ))
                },
            )
            .optional()?;
        row.map(|(m, source, created_at, key_updated_at, last_used_at)| {
            Ok(ClientRecord {
                config: from_json(&m)?,
                source,
                created_at,
                key_updated_at,
                last_used_at,
            })
        })
        .transpose()
    }

    /// Every client, by `client_id`.
    pub fn clients(&self) -> Result<Vec<ClientRecord>, ServerError> {
        let ids: Vec<String> = {
            let conn = self.conn()?;
            let mut stmt = conn.prepare("SELECT client_id FROM clients ORDER BY client_id")?;
            let rows = stmt.query_map([], |r| r.get(0))?;
            rows.collect::<Result<_, _>>()?
        };
        ids.iter()
            .filter_map(|id| self.client(id).transpose())
            .collect()
    }

    /// Inserts or replaces a client (admin page, registration). Sets `key_updated_at` when its
    /// keys changed.
    pub fn put_client(&self, c: &ClientConfig, source: &str, now: i64) -> Result<(), ServerError> {
        let old = self.client(&c.client_id)?;
        let keys_changed = old
            .as_ref()
            .is_none_or(|o| keys_fingerprint(&o.config) != keys_fingerprint(c));
        self.conn()?.execute(
            "INSERT INTO clients (client_id, source, metadata, created_at, key_updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (client_id) DO UPDATE SET metadata = ?3,
               key_updated_at = CASE WHEN ?6 THEN ?4 ELSE key_updated_at END",
            params![
                c.client_id,
                source,
                to_json(c)?,
                now,
                keys_changed.then_some(now),
                keys_changed
            ],
        )?;
        Ok(())
    }

    /// Deletes a client.
    pub fn delete_client(&self, client_id: &str) -> Result<bool, ServerError> {
        Ok(self
            .conn()?
            .execute("DELETE FROM clients WHERE client_id = ?1", [client_id])?
            > 0)
    }

    /// Records that a client was used (authenticated, or sent an authorization request).
    pub fn touch_client(&self, client_id: &str, now: i64) -> Result<(), ServerError> {
        self.conn()?.execute(
            "UPDATE clients SET last_used_at = ?2 WHERE client_id = ?1",
            params![client_id, now],
        )?;
        Ok(())
    }

    /// One user by username.
    pub fn user(&self, username: &str) -> Result<Option<UserRecord>, ServerError> {
        let conn = self.conn()?;
        let row = conn
            .query_row(
                "SELECT password_hash, jwt_bearer_allowed, claims, source, created_at
                 FROM users WHERE username = ?1",
                [username],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, bool>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, i64>(4)?,
                    ))
                },
            )
            .optional()?;
        row.map(
            |(password_hash, jwt_bearer_allowed, claims, source, created_at)| {
                Ok(UserRecord {
                    config: UserConfig {
                        username: username.to_owned(),
                        password_hash,
                        jwt_bearer_allowed,
                        claims: from_json(&claims)?,
                    },
                    source,
                    created_at,
                })
            },
        )
        .transpose()
    }

    /// Every user, by username.
    pub fn users(&self) -> Result<Vec<UserRecord>, ServerError> {
        let names: Vec<String> = {
            let conn = self.conn()?;
            let mut stmt = conn.prepare("SELECT username FROM users ORDER BY username")?;
            let rows = stmt.query_map([], |r| r.get(0))?;
            rows.collect::<Result<_, _>>()?
        };
        names
            .iter()
            .filter_map(|n| self.user(n).transpose())
            .collect()
    }

    /// Inserts or replaces a user (admin page).
    pub fn put_user(&self, u: &UserConfig, source: &str, now: i64) -> Result<(), ServerError> {
        self.conn()?.execute(
            "INSERT INTO users (username, source, password_hash, jwt_bearer_allowed, claims, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (username) DO UPDATE SET password_hash = ?3, jwt_bearer_allowed = ?4,
               claims = ?5",
            params![u.username, source, u.password_hash, u.jwt_bearer_allowed, to_json(&u.claims)?, now],
        )?;
        Ok(())
    }

    /// Deletes a user.
    pub fn delete_user(&self, username: &str) -> Result<bool, ServerError> {
        Ok(self
            .conn()?
            .execute("DELETE FROM users WHERE username = ?1", [username])?
            > 0)
    }

    /// A persistent setting (admin password hash, ...).
    pub fn setting(&self, name: &str) -> Result<Option<String>, ServerError> {
        Ok(self
            .conn()?
            .query_row("SELECT value FROM settings WHERE name = ?1", [name], |r| {
                r.get(0)
            })
            .optional()?)
    }

    /// Sets a persistent setting.
    pub fn set_setting(&self, name: &str, value: &str) -> Result<(), ServerError> {
        self.conn()?.execute(
            "INSERT INTO settings (name, value) VALUES (?1, ?2)
             ON CONFLICT (name) DO UPDATE SET value = ?2",
            params![name, value],
        )?;
        Ok(())
    }
}

/// What identifies a client's registered keys (to stamp "key last updated").
fn keys_fingerprint(c: &ClientConfig) -> String {
    format!(
        "{}|{}|{}",
        c.jwks
            .as_ref()
            .map(|j| serde_json::Value::Object(j.clone()).to_string())
            .unwrap_or_default(),
        c.jwks_uri.as_deref().unwrap_or(""),
        c.public_key_pem.as_deref().unwrap_or("")
    )
}
