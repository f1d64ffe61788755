//! EdDSA Ed25519 (RFC 8037 §3.1). STUB: to be implemented.
use crate::error::Result;
use crate::jwk::Key;
pub(super) fn sign(_key: &Key, _msg: &[u8]) -> Result<Vec<u8>> { todo!() }
pub(super) fn verify(_key: &Key, _msg: &[u8], _sig: &[u8]) -> Result<()> { todo!() }
