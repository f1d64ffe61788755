//! Dynamic client registration state (RFC 7591 §3.2.1, RFC 7592 §3): the registration access
//! token (stored as a hash in `clients.registration_token_hash`) and `client_secret_expires_at`
//! (kept in the settings table under `client_secret_expires_at:<client_id>`).

use rusqlite::{OptionalExtension as _, params};

use crate::error::ServerError;
use crate::store::Store;

fn expiry_key(client_id: &str) -> String {
    format!("client_secret_expires_at:{client_id}")
}

/// When a registered client's secret expires (RFC 7591 §3.2.1 `client_secret_expires_at`,
/// seconds since the epoch; 0 = never). `None` for clients that were not registered.
pub fn secret_expires_at(store: &Store, client_id: &str) -> Result<Option<i64>, ServerError> {
    Ok(store
        .setting(&expiry_key(client_id))?
        .and_then(|v| v.parse::<i64>().ok()))
}

/// Records a registered client's secret expiry.
pub fn set_secret_expires_at(
    store: &Store,
    client_id: &str,
    expires_at: i64,
) -> Result<(), ServerError> {
    store.set_setting(&expiry_key(client_id), &expires_at.to_string())
}

impl Store {
    /// Stores the hash of a client's registration access token (RFC 7591 §3.2.1).
    pub fn set_registration_token_hash(
        &self,
        client_id: &str,
        hash: &str,
    ) -> Result<(), ServerError> {
        self.conn()?.execute(
            "UPDATE clients SET registration_token_hash = ?2 WHERE client_id = ?1",
            params![client_id, hash],
        )?;
        Ok(())
    }

    /// The stored hash of a client's registration access token.
    pub fn registration_token_hash(&self, client_id: &str) -> Result<Option<String>, ServerError> {
        Ok(self
            .conn()?
            .query_row(
                "SELECT registration_token_hash FROM clients WHERE client_id = ?1",
                [client_id],
                |r| r.get::<_, Option<String>>(0),
            )
            .optional()?
            .flatten())
    }
}
