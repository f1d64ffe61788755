//! Key generation (jose's `generateKeyPair` / `generateSecret`; RFC 7518 §3.2–3.5, RFC 8037 §2).
//!
//! Every random byte comes from the caller's RNG: the core draws no hidden randomness.

use p256::elliptic_curve::Generate;
use rand_core::CryptoRng;
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::jwa::{Alg, Family, MIN_RSA_BITS};
use crate::jwk::{Key, KeyInner};

/// The largest RSA modulus [`Key::generate`] accepts, in bits (as jose / WebCrypto implementations
/// commonly cap it; larger keys only cost time).
const MAX_RSA_BITS: usize = 8192;

/// Options for [`Key::generate`] (jose's `generateKeyPair` / `generateSecret` options).
#[derive(Debug, Clone, Copy)]
pub struct GenerateOptions {
    /// RSA modulus length in bits (default 2048; at least 2048 per RFC 7518 §3.3, a multiple of
    /// 8, at most 8192, the largest size the importers accept). Ignored for other families.
    pub modulus_length: usize,
    /// Whether the private or secret material may be exported (default false, as in jose).
    pub extractable: bool,
}

impl Default for GenerateOptions {
    fn default() -> Self {
        Self {
            modulus_length: 2048,
            extractable: false,
        }
    }
}

impl Key {
    /// Generates a private key (or, for `HS*`, a secret of the hash's size, RFC 7518 §3.2) for
    /// `alg`, bound to `alg` (`meta.alg = Some(alg)`, RFC 7517 §4.4), with
    /// `meta.extractable = opts.extractable`.
    ///
    /// RSA keys (RFC 7518 §3.3, §3.5) use the public exponent 65537 and `opts.modulus_length`
    /// bits, which must be ≥ 2048, a multiple of 8 and ≤ 8192 ([`Error::InvalidArgValue`]
    /// otherwise). EC keys are P-256 / P-384 / P-521 (RFC 7518 §3.4), OKP keys Ed25519
    /// (RFC 8037 §2). All randomness is drawn from `rng`.
    pub fn generate<R: CryptoRng + ?Sized>(
        alg: Alg,
        rng: &mut R,
        opts: GenerateOptions,
    ) -> Result<Key> {
        let inner = match alg.family() {
            Family::Oct => {
                let mut secret = Zeroizing::new(vec![0u8; alg.hash_len()]);
                rng.fill_bytes(&mut secret);
                KeyInner::Oct(secret)
            }
            Family::Rsa => {
                let bits = opts.modulus_length;
                if bits < MIN_RSA_BITS || !bits.is_multiple_of(8) || bits > MAX_RSA_BITS {
                    return Err(Error::InvalidArgValue(format!(
                        "modulusLength must be a multiple of 8 between {MIN_RSA_BITS} and \
                         {MAX_RSA_BITS}, got {bits}"
                    )));
                }
                let key = rsa::RsaPrivateKey::new(rng, bits)
                    .map_err(|e| Error::Generic(format!("RSA key generation failed: {e}")))?;
                KeyInner::RsaPrivate(Box::new(key))
            }
            Family::P256 => {
                KeyInner::P256Private(Box::new(p256::ecdsa::SigningKey::generate_from_rng(rng)))
            }
            Family::P384 => {
                KeyInner::P384Private(Box::new(p384::ecdsa::SigningKey::generate_from_rng(rng)))
            }
            Family::P521 => {
                KeyInner::P521Private(Box::new(p521::ecdsa::SigningKey::generate_from_rng(rng)))
            }
            Family::Ed25519 => {
                KeyInner::Ed25519Private(Box::new(ed25519_dalek::SigningKey::generate(rng)))
            }
        };
        let mut key = Key::from_inner(inner);
        key.meta.alg = Some(alg);
        key.meta.extractable = opts.extractable;
        Ok(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jwk::KeyKind;

    fn rng() -> rand_core::UnwrapErr<getrandom::SysRng> {
        rand_core::UnwrapErr(getrandom::SysRng)
    }

    /// Counts the bytes drawn, to prove generation uses the caller's RNG.
    struct Counting<R> {
        inner: R,
        bytes: usize,
    }

    impl<R: rand_core::Rng> rand_core::TryRng for Counting<R> {
        type Error = core::convert::Infallible;
        fn try_next_u32(&mut self) -> core::result::Result<u32, Self::Error> {
            self.bytes += 4;
            Ok(self.inner.next_u32())
        }
        fn try_next_u64(&mut self) -> core::result::Result<u64, Self::Error> {
            self.bytes += 8;
            Ok(self.inner.next_u64())
        }
        fn try_fill_bytes(&mut self, dst: &mut [u8]) -> core::result::Result<(), Self::Error> {
            self.bytes += dst.len();
            self.inner.fill_bytes(dst);
            Ok(())
        }
    }
    impl<R: rand_core::CryptoRng> rand_core::TryCryptoRng for Counting<R> {}

    fn counting() -> Counting<rand_core::UnwrapErr<getrandom::SysRng>> {
        Counting {
            inner: rng(),
            bytes: 0,
        }
    }

    /// Every non-RSA algorithm: the right family, private/secret, bound to the alg, usable for
    /// a sign → verify round trip, and generated from the caller's RNG.
    #[test]
    fn generates_every_non_rsa_alg() {
        for alg in Alg::ALL.into_iter().filter(|a| a.family() != Family::Rsa) {
            let mut r = counting();
            let key = Key::generate(alg, &mut r, GenerateOptions::default()).unwrap();
            assert!(r.bytes > 0, "{alg} drew nothing from the caller's RNG");
            assert_eq!(key.family(), alg.family());
            assert_eq!(key.meta.alg, Some(alg));
            assert!(!key.meta.extractable);
            let expected_kind = if alg.family() == Family::Oct {
                KeyKind::Secret
            } else {
                KeyKind::Private
            };
            assert_eq!(key.kind(), expected_kind, "{alg}");
            if alg.family() == Family::Oct {
                assert_eq!(key.bits(), alg.hash_len() * 8);
            }
            let sig = crate::jwa::sign(alg, &key, b"hello", &mut rng()).unwrap();
            crate::jwa::verify(alg, &key, b"hello", &sig).unwrap();
            // The key is bound to its alg.
            for other in alg.family().algs().iter().filter(|a| **a != alg) {
                assert!(crate::jwa::sign(*other, &key, b"x", &mut rng()).is_err());
            }
        }
    }

    #[test]
    fn fresh_keys_differ_and_extractable_is_honoured() {
        let opts = GenerateOptions {
            extractable: true,
            ..GenerateOptions::default()
        };
        let a = Key::generate(Alg::Hs256, &mut rng(), opts).unwrap();
        let b = Key::generate(Alg::Hs256, &mut rng(), opts).unwrap();
        assert!(a.meta.extractable);
        match (&a.inner, &b.inner) {
            (KeyInner::Oct(x), KeyInner::Oct(y)) => assert_ne!(x.as_slice(), y.as_slice()),
            _ => panic!("not secrets"),
        }
        let e1 = Key::generate(Alg::EdDsa, &mut rng(), opts).unwrap();
        let e2 = Key::generate(Alg::EdDsa, &mut rng(), opts).unwrap();
        let p1 = e1.to_public().unwrap();
        let sig = crate::jwa::sign(Alg::EdDsa, &e2, b"m", &mut rng()).unwrap();
        assert!(crate::jwa::verify(Alg::EdDsa, &p1, b"m", &sig).is_err());
    }

    #[test]
    fn rsa_modulus_length_is_validated_before_any_work() {
        for bits in [
            0,
            512,
            1024,
            2040,
            2047,
            2049,
            2052,
            16392,
            32768,
            usize::MAX,
        ] {
            let opts = GenerateOptions {
                modulus_length: bits,
                extractable: false,
            };
            for alg in [Alg::Rs256, Alg::Ps512] {
                let mut r = counting();
                let err = Key::generate(alg, &mut r, opts).unwrap_err();
                assert_eq!(err.code(), "ERR_INVALID_ARG_VALUE", "{bits}");
                assert_eq!(r.bytes, 0);
            }
        }
    }

    /// One 2048-bit key (slow in debug builds): checks size, kind, binding, RNG use and a
    /// round trip with both RSA paddings' key family.
    #[test]
    fn generates_rsa_2048() {
        let mut r = counting();
        let opts = GenerateOptions {
            modulus_length: 2048,
            extractable: true,
        };
        let key = Key::generate(Alg::Ps256, &mut r, opts).unwrap();
        assert!(
            r.bytes >= 256,
            "RSA generation must draw from the caller's RNG"
        );
        assert_eq!(key.bits(), 2048);
        assert_eq!(key.kind(), KeyKind::Private);
        assert_eq!(key.meta.alg, Some(Alg::Ps256));
        assert!(key.meta.extractable);
        let sig = crate::jwa::sign(Alg::Ps256, &key, b"m", &mut rng()).unwrap();
        assert_eq!(sig.len(), 256);
        crate::jwa::verify(Alg::Ps256, &key.to_public().unwrap(), b"m", &sig).unwrap();
        assert!(crate::jwa::sign(Alg::Rs256, &key, b"m", &mut rng()).is_err());
    }
}
