//! Key generation. STUB: to be implemented.
use rand_core::CryptoRng;
use crate::error::Result;
use crate::jwa::Alg;
use crate::jwk::Key;

/// Options for [`Key::generate`] (jose's `generateKeyPair` / `generateSecret` options).
#[derive(Debug, Clone, Copy)]
pub struct GenerateOptions {
    /// RSA modulus length in bits (default 2048, minimum 2048).
    pub modulus_length: usize,
    /// Whether the private or secret material may be exported (default false, as in jose).
    pub extractable: bool,
}

impl Default for GenerateOptions {
    fn default() -> Self {
        Self { modulus_length: 2048, extractable: false }
    }
}

impl Key {
    /// Generates a private key (or, for `HS*`, a secret of the hash's size) for `alg`, bound to
    /// `alg` (meta.alg = Some(alg)).
    pub fn generate<R: CryptoRng + ?Sized>(_alg: Alg, _rng: &mut R, _opts: GenerateOptions) -> Result<Key> { todo!() }
}
