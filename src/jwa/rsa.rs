//! RSASSA-PKCS1-v1_5 and RSASSA-PSS (RFC 7518 §3.3, §3.5). STUB: to be implemented.
use rand_core::CryptoRng;
use crate::error::Result;
use crate::jwa::Alg;
use crate::jwk::Key;
/// The smallest RSA modulus accepted, in bits (RFC 7518 §3.3).
pub const MIN_RSA_BITS: usize = 2048;
pub(super) fn sign<R: CryptoRng + ?Sized>(_alg: Alg, _key: &Key, _msg: &[u8], _rng: &mut R) -> Result<Vec<u8>> { todo!() }
pub(super) fn verify(_alg: Alg, _key: &Key, _msg: &[u8], _sig: &[u8]) -> Result<()> { todo!() }
