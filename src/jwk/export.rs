//! Key export. STUB: to be implemented.
use crate::error::Result;
use crate::json::Object;
use crate::jwk::Key;

impl Key {
    /// Exports the key as a JWK.
    pub fn to_jwk(&self) -> Result<Object> { todo!() }
    /// Exports the public key as SPKI PEM.
    pub fn to_spki_pem(&self) -> Result<String> { todo!() }
    /// Exports the private key as PKCS#8 PEM.
    pub fn to_pkcs8_pem(&self) -> Result<String> { todo!() }
}
