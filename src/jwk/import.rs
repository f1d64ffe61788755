//! Key import from JWK, PEM, DER and X.509. STUB: to be implemented.
use crate::error::Result;
use crate::json::Object;
use crate::jwa::Alg;
use crate::jwk::Key;

impl Key {
    /// Imports a JWK (RFC 7517 §4, RFC 7518 §6, RFC 8037 §2).
    pub fn from_jwk(_jwk: &Object, _alg: Option<Alg>) -> Result<Key> { todo!() }
    /// Imports a JWK given as JSON text (duplicate members rejected).
    pub fn from_jwk_json(_json: &str, _alg: Option<Alg>) -> Result<Key> { todo!() }
    /// Imports a raw HMAC secret.
    pub fn from_secret(_bytes: &[u8], _alg: Option<Alg>) -> Result<Key> { todo!() }
    /// Imports any supported PEM label.
    pub fn from_pem(_pem: &str, _alg: Option<Alg>) -> Result<Key> { todo!() }
    /// Imports a PKCS#8 `PRIVATE KEY` PEM (jose's `importPKCS8`).
    pub fn from_pkcs8_pem(_pem: &str, _alg: Alg) -> Result<Key> { todo!() }
    /// Imports an SPKI `PUBLIC KEY` PEM (jose's `importSPKI`).
    pub fn from_spki_pem(_pem: &str, _alg: Alg) -> Result<Key> { todo!() }
    /// Imports the public key of an X.509 certificate given as PEM/.crt text or DER bytes.
    pub fn from_x509(_pem_or_der: &[u8], _alg: Option<Alg>) -> Result<Key> { todo!() }
}
