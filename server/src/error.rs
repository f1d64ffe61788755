//! The server's error type for startup and administration (not HTTP responses: those are
//! RFC 6749 §5.2 / RFC 6750 §3 bodies built by the routes).

use std::fmt;

/// Why the server could not start or an administrative operation failed.
#[derive(Debug)]
pub enum ServerError {
    /// The configuration file or a command-line flag is invalid.
    Config(String),
    /// The SQLite store failed (open, migrate, read, write).
    Store(String),
    /// Signing key generation or loading failed.
    Keys(String),
    /// A socket or file operation failed.
    Io(std::io::Error),
}

impl fmt::Display for ServerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Config(m) => write!(f, "configuration: {m}"),
            Self::Store(m) => write!(f, "store: {m}"),
            Self::Keys(m) => write!(f, "keys: {m}"),
            Self::Io(e) => write!(f, "I/O: {e}"),
        }
    }
}

impl std::error::Error for ServerError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<std::io::Error> for ServerError {
    fn from(e: std::io::Error) -> Self {
        Self::Io(e)
    }
}

impl From<rusqlite::Error> for ServerError {
    fn from(e: rusqlite::Error) -> Self {
        Self::Store(e.to_string())
    }
}
