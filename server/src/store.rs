//! Persistent state in an embedded SQLite database (`<data-dir>/oidckit.db`, or in memory for
//! tests with `--in-memory`).
//!
//! Durability: WAL journal with `synchronous = FULL`, so a write that returned is on disk
//! before the server acknowledges anything built on it (a `kill -9` loses nothing that was
//! acknowledged). The schema version lives in `PRAGMA user_version`; [`Store::open`] migrates
//! forward and refuses a database written by a newer server.
//!
//! So far the store holds the OP's signing keys (private JWKs, RFC 7517 §4); clients, users and
//! grants join it as their endpoints arrive.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use rusqlite::{Connection, params};

use crate::error::ServerError;

/// The file name of the database inside the data directory.
pub const DB_FILE: &str = "oidckit.db";

/// Schema migrations, in order; migration `i` brings `user_version` from `i` to `i + 1`.
const MIGRATIONS: &[&str] = &[
    // 1: signing keys.
    "CREATE TABLE signing_keys (
        kid         TEXT PRIMARY KEY NOT NULL,
        alg         TEXT NOT NULL,
        private_jwk TEXT NOT NULL,
        created_at  INTEGER NOT NULL,
        retired_at  INTEGER
    ) STRICT;",
    // 2: clients, users, sessions, grants and everything issued under a grant. Secrets and
    // tokens are stored as SHA-256 hashes (base64url), never in the clear; `metadata` is the
    // client's `ClientConfig` as JSON, `claims` a user's claims as JSON.
    "CREATE TABLE clients (
        client_id      TEXT PRIMARY KEY NOT NULL,
        source         TEXT NOT NULL,            -- 'config' | 'registered' | 'admin'
        metadata       TEXT NOT NULL,
        created_at     INTEGER NOT NULL,
        key_updated_at INTEGER,
        last_used_at   INTEGER,
        registration_token_hash TEXT
    ) STRICT;
    CREATE TABLE users (
        username           TEXT PRIMARY KEY NOT NULL,
        source             TEXT NOT NULL,        -- 'config' | 'admin'
        password_hash      TEXT NOT NULL,
        jwt_bearer_allowed INTEGER NOT NULL,
        claims             TEXT NOT NULL,
        created_at         INTEGER NOT NULL
    ) STRICT;
    CREATE TABLE sessions (
        id         TEXT PRIMARY KEY NOT NULL,    -- the OP session id (`sid`)
        username   TEXT NOT NULL,
        auth_time  INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        ended_at   INTEGER
    ) STRICT;
    CREATE TABLE consents (
        username  TEXT NOT NULL,
        client_id TEXT NOT NULL,
        scope     TEXT NOT NULL,
        PRIMARY KEY (username, client_id)
    ) STRICT;
    CREATE TABLE grants (
        id         TEXT PRIMARY KEY NOT NULL,
        client_id  TEXT NOT NULL,
        username   TEXT,                         -- NULL for client_credentials
        session_id TEXT,
        scope      TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        revoked_at INTEGER
    ) STRICT;
    CREATE INDEX grants_by_user ON grants (username);
    CREATE TABLE authorization_codes (
        code_hash      TEXT PRIMARY KEY NOT NULL,
        grant_id       TEXT NOT NULL,
        data           TEXT NOT NULL,            -- JSON: redirect_uri, code_challenge, nonce, ...
        expires_at     INTEGER NOT NULL,
        consumed_at    INTEGER
    ) STRICT;
    CREATE TABLE refresh_tokens (
        token_hash  TEXT PRIMARY KEY NOT NULL,
        grant_id    TEXT NOT NULL,
        data        TEXT NOT NULL,               -- JSON: scope, auth_time, ...
        expires_at  INTEGER NOT NULL,
        consumed_at INTEGER
    ) STRICT;
    CREATE TABLE access_tokens (
        token_hash  TEXT PRIMARY KEY NOT NULL,   -- hash of the opaque token, or of a JWT's jti
        grant_id    TEXT NOT NULL,
        data        TEXT NOT NULL,               -- JSON: the introspection claims
        expires_at  INTEGER NOT NULL,
        revoked_at  INTEGER
    ) STRICT;
    CREATE INDEX access_tokens_by_grant ON access_tokens (grant_id);
    CREATE INDEX refresh_tokens_by_grant ON refresh_tokens (grant_id);
    CREATE TABLE client_assertion_jtis (
        client_id  TEXT NOT NULL,
        jti        TEXT NOT NULL,
        expires_at INTEGER NOT NULL,
        PRIMARY KEY (client_id, jti)
    ) STRICT;
    CREATE TABLE par_requests (
        uri_hash   TEXT PRIMARY KEY NOT NULL,
        client_id  TEXT NOT NULL,
        params     TEXT NOT NULL,               -- JSON object of the pushed parameters
        expires_at INTEGER NOT NULL,
        used_at    INTEGER
    ) STRICT;
    CREATE TABLE settings (
        name  TEXT PRIMARY KEY NOT NULL,
        value TEXT NOT NULL
    ) STRICT;",
    // 3: browser sessions are found by the hash of their cookie (the session id is the `sid`
    // claim, visible to relying parties, so it is not the cookie); interactions (login,
    // consent and logout confirmation pages) keep the pending request server-side.
    "ALTER TABLE sessions ADD COLUMN cookie_hash TEXT;
    CREATE UNIQUE INDEX sessions_by_cookie ON sessions (cookie_hash);
    CREATE INDEX grants_by_session ON grants (session_id);
    CREATE TABLE interactions (
        id_hash      TEXT PRIMARY KEY NOT NULL,
        kind         TEXT NOT NULL,              -- 'authorize' | 'logout'
        browser_hash TEXT NOT NULL,              -- hash of the oidckit_interaction cookie
        csrf_hash    TEXT NOT NULL,
        request      TEXT NOT NULL,              -- JSON: the validated request
        username     TEXT,                       -- set once the user signed in
        session_id   TEXT,
        auth_time    INTEGER,
        expires_at   INTEGER NOT NULL
    ) STRICT;",
];

/// A signing key row: the private JWK (RFC 7517 §4) as JSON, and its life cycle.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredKey {
    /// The key ID (RFC 7517 §4.5): the RFC 7638 thumbprint of the public key.
    pub kid: String,
    /// The JWS algorithm the key is bound to (RFC 7517 §4.4).
    pub alg: String,
    /// The private JWK, JSON text.
    pub private_jwk: String,
    /// When the key was generated, seconds since the Unix epoch.
    pub created_at: i64,
    /// When the key stopped signing, if it did (it stays in the JWKS for a grace period).
    pub retired_at: Option<i64>,
}

impl std::fmt::Debug for StoredKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the private key.
        f.debug_struct("StoredKey")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .field("created_at", &self.created_at)
            .field("retired_at", &self.retired_at)
            .finish_non_exhaustive()
    }
}

/// Where the store lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Storage {
    /// `<dir>/oidckit.db`; the directory is created (mode 0700 on Unix) when missing.
    DataDir(PathBuf),
    /// A private in-memory database, gone when the server stops (`--in-memory`).
    InMemory,
}

/// The SQLite store. One connection behind a mutex: the dev server's write rate is tiny, and
/// SQLite serializes writers anyway.
#[derive(Debug)]
pub struct Store {
    conn: Mutex<Connection>,
    location: Storage,
}

impl Store {
    /// Opens (creating when needed) and migrates the store.
    pub fn open(storage: &Storage) -> Result<Self, ServerError> {
        let conn = match storage {
            Storage::InMemory => Connection::open_in_memory()?,
            Storage::DataDir(dir) => {
                create_private_dir(dir)?;
                let conn = Connection::open(dir.join(DB_FILE))?;
                conn.execute_batch("PRAGMA journal_mode = WAL;")?;
                conn
            }
        };
        conn.execute_batch("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        migrate(&conn)?;
        Ok(Self {
            conn: Mutex::new(conn),
            location: storage.clone(),
        })
    }

    /// Where this store lives.
    pub fn location(&self) -> &Storage {
        &self.location
    }

    /// The connection, locked. Each endpoint module adds its own `impl Store` block with the
    /// queries it needs; one statement (or one `BEGIN IMMEDIATE` transaction) per call.
    pub(crate) fn conn(&self) -> Result<MutexGuard<'_, Connection>, ServerError> {
        self.conn
            .lock()
            .map_err(|_| ServerError::Store("the connection mutex is poisoned".into()))
    }

    /// Every signing key, oldest first.
    pub fn signing_keys(&self) -> Result<Vec<StoredKey>, ServerError> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare(
            "SELECT kid, alg, private_jwk, created_at, retired_at
             FROM signing_keys ORDER BY created_at, kid",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(StoredKey {
                kid: r.get(0)?,
                alg: r.get(1)?,
                private_jwk: r.get(2)?,
                created_at: r.get(3)?,
                retired_at: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// Adds a signing key (durable when this returns).
    pub fn insert_signing_key(&self, key: &StoredKey) -> Result<(), ServerError> {
        self.conn()?.execute(
            "INSERT INTO signing_keys (kid, alg, private_jwk, created_at, retired_at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                key.kid,
                key.alg,
                key.private_jwk,
                key.created_at,
                key.retired_at
            ],
        )?;
        Ok(())
    }
}

fn migrate(conn: &Connection) -> Result<(), ServerError> {
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let known = i64::try_from(MIGRATIONS.len()).unwrap_or(i64::MAX);
    if version > known {
        return Err(ServerError::Store(format!(
            "the database has schema version {version}, newer than this server's {known}: \
             use a newer oidckit-server or another --data-dir"
        )));
    }
    for (i, sql) in MIGRATIONS
        .iter()
        .enumerate()
        .skip(usize::try_from(version).unwrap_or(0))
    {
        let next = i + 1;
        conn.execute_batch(&format!(
            "BEGIN IMMEDIATE; {sql} PRAGMA user_version = {next}; COMMIT;"
        ))
        .map_err(|e| {
            let _ = conn.execute_batch("ROLLBACK;");
            ServerError::Store(format!("migration {next} failed: {e}"))
        })?;
    }
    Ok(())
}

fn create_private_dir(dir: &Path) -> Result<(), ServerError> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir).map_err(|e| {
        ServerError::Store(format!(
            "cannot create the data directory {}: {e}",
            dir.display()
        ))
    })
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )]
    use super::*;

    fn row(kid: &str, created_at: i64) -> StoredKey {
        StoredKey {
            kid: kid.into(),
            alg: "ES256".into(),
            private_jwk: "{}".into(),
            created_at,
            retired_at: None,
        }
    }

    #[test]
    fn keys_round_trip_in_memory_and_duplicates_are_refused() {
        let s = Store::open(&Storage::InMemory).unwrap();
        assert!(s.signing_keys().unwrap().is_empty());
        s.insert_signing_key(&row("b", 2)).unwrap();
        s.insert_signing_key(&row("a", 1)).unwrap();
        let kids: Vec<_> = s
            .signing_keys()
            .unwrap()
            .into_iter()
            .map(|k| k.kid)
            .collect();
        assert_eq!(kids, ["a", "b"]);
        assert!(matches!(
            s.insert_signing_key(&row("a", 3)),
            Err(ServerError::Store(_))
        ));
    }

    #[test]
    fn data_dir_persists_across_opens_and_refuses_a_newer_schema() {
        let dir = std::env::temp_dir().join(format!(
            "oidckit-store-test-{}-{}",
            std::process::id(),
            line!()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        let storage = Storage::DataDir(dir.join("nested"));
        {
            let s = Store::open(&storage).unwrap();
            s.insert_signing_key(&row("k1", 1)).unwrap();
        }
        let s = Store::open(&storage).unwrap();
        assert_eq!(s.signing_keys().unwrap(), vec![row("k1", 1)]);
        drop(s);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.join("nested"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o700);
        }
        let conn = Connection::open(dir.join("nested").join(DB_FILE)).unwrap();
        conn.execute_batch("PRAGMA user_version = 99;").unwrap();
        drop(conn);
        let err = Store::open(&storage).unwrap_err();
        assert!(err.to_string().contains("newer"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
