//! ECDSA (RFC 7518 §3.4). STUB: to be implemented.
use crate::error::Result;
use crate::jwa::Alg;
use crate::jwk::Key;
pub(super) fn sign(_alg: Alg, _key: &Key, _msg: &[u8]) -> Result<Vec<u8>> { todo!() }
pub(super) fn verify(_alg: Alg, _key: &Key, _msg: &[u8], _sig: &[u8]) -> Result<()> { todo!() }
