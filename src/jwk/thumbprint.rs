//! Thumbprints. STUB: to be implemented.
use crate::error::Result;
use crate::json::Object;

/// Hash for RFC 7638 JWK thumbprints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThumbprintHash {
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

/// Hash for X.509 certificate thumbprints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum X509ThumbprintHash {
    /// SHA-1 (`x5t`).
    Sha1,
    /// SHA-256 (`x5t#S256`).
    Sha256,
}

/// RFC 7638 thumbprint of a JWK.
pub fn jwk_thumbprint(_jwk: &Object, _hash: ThumbprintHash) -> Result<String> { todo!() }

/// base64url thumbprint of a certificate.
pub fn x509_thumbprint(_pem_or_der: &[u8], _hash: X509ThumbprintHash) -> Result<String> { todo!() }
