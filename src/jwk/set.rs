//! JWK Sets. STUB: to be implemented.
use crate::error::Result;
use crate::jwa::Alg;
use crate::jwk::Key;

/// A JWK Set (RFC 7517 §5).
#[derive(Debug, Clone, Default)]
pub struct JwkSet {
    keys: Vec<Key>,
}

impl JwkSet {
    /// Parses a JWK Set from JSON text.
    pub fn from_json(_json: &str) -> Result<Self> { todo!() }
    /// The usable keys.
    pub fn keys(&self) -> &[Key] { &self.keys }
    /// Every key that may verify a JWS with this `alg` and `kid`.
    pub fn candidates(&self, _alg: Alg, _kid: Option<&str>) -> Vec<&Key> { todo!() }
}
