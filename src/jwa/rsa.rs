//! RSASSA-PKCS1-v1_5 (`RS*`, RFC 7518 §3.3) and RSASSA-PSS (`PS*`, RFC 7518 §3.5).
//!
//! Signing always takes the caller's RNG: it feeds RSA blinding for both paddings and the PSS
//! salt, so there is no hidden randomness. PSS uses MGF1 with the same hash and a salt as long as
//! the hash (RFC 7518 §3.5); verification requires exactly that salt length. A signature must be
//! exactly as long as the modulus (RFC 8017 §8.1.2 step 1, §8.2.2 step 1).

use ::rsa::traits::PublicKeyParts;
use ::rsa::{Pkcs1v15Sign, Pss, RsaPublicKey};
use rand_core::CryptoRng;
use sha2::{Digest, Sha256, Sha384, Sha512};

use crate::error::{Error, Result};
use crate::jwa::Alg;
use crate::jwk::{Key, KeyInner};

/// The smallest RSA modulus accepted, in bits (RFC 7518 §3.3).
pub const MIN_RSA_BITS: usize = 2048;

/// Signs `msg` with `RS*` or `PS*` (RFC 7518 §3.3, §3.5), drawing blinding and salt from `rng`.
pub(super) fn sign<R: CryptoRng + ?Sized>(
    alg: Alg,
    key: &Key,
    msg: &[u8],
    rng: &mut R,
) -> Result<Vec<u8>> {
    let KeyInner::RsaPrivate(k) = &key.inner else {
        return Err(Error::KeyInvalid(format!(
            "{alg} signing requires an RSA private key"
        )));
    };
    let signed = match alg {
        Alg::Rs256 => k.sign_with_rng(rng, Pkcs1v15Sign::new::<Sha256>(), &Sha256::digest(msg)),
        Alg::Rs384 => k.sign_with_rng(rng, Pkcs1v15Sign::new::<Sha384>(), &Sha384::digest(msg)),
        Alg::Rs512 => k.sign_with_rng(rng, Pkcs1v15Sign::new::<Sha512>(), &Sha512::digest(msg)),
        Alg::Ps256 => k.sign_with_rng(rng, Pss::<Sha256>::new_with_salt(32), &Sha256::digest(msg)),
        Alg::Ps384 => k.sign_with_rng(rng, Pss::<Sha384>::new_with_salt(48), &Sha384::digest(msg)),
        Alg::Ps512 => k.sign_with_rng(rng, Pss::<Sha512>::new_with_salt(64), &Sha512::digest(msg)),
        _ => {
            return Err(Error::AlgNotAllowed(format!(
                "{alg} is not an RSA algorithm"
            )));
        }
    };
    let sig = signed.map_err(|e| Error::Generic(format!("{alg} signing failed: {e}")))?;
    if sig.len() != k.size() {
        return Err(Error::Generic(format!(
            "{alg} produced a signature of the wrong length"
        )));
    }
    Ok(sig)
}

/// Verifies an `RS*` or `PS*` signature (RFC 7518 §3.3, §3.5). Every failure is
/// [`Error::SignatureVerificationFailed`].
pub(super) fn verify(alg: Alg, key: &Key, msg: &[u8], sig: &[u8]) -> Result<()> {
    let pk: &RsaPublicKey = match &key.inner {
        KeyInner::RsaPublic(k) => k,
        KeyInner::RsaPrivate(k) => k.as_public_key(),
        _ => return Err(Error::SignatureVerificationFailed),
    };
    // RFC 8017 §8.1.2 / §8.2.2 step 1: the signature is exactly k octets. (The `rsa` crate
    // checks this too; we do not rely on it.)
    if sig.len() != pk.size() {
        return Err(Error::SignatureVerificationFailed);
    }
    let checked = match alg {
        Alg::Rs256 => pk.verify(Pkcs1v15Sign::new::<Sha256>(), &Sha256::digest(msg), sig),
        Alg::Rs384 => pk.verify(Pkcs1v15Sign::new::<Sha384>(), &Sha384::digest(msg), sig),
        Alg::Rs512 => pk.verify(Pkcs1v15Sign::new::<Sha512>(), &Sha512::digest(msg), sig),
        // `new_with_salt` makes verification demand that exact salt length (RFC 7518 §3.5).
        Alg::Ps256 => pk.verify(Pss::<Sha256>::new_with_salt(32), &Sha256::digest(msg), sig),
        Alg::Ps384 => pk.verify(Pss::<Sha384>::new_with_salt(48), &Sha384::digest(msg), sig),
        Alg::Ps512 => pk.verify(Pss::<Sha512>::new_with_salt(64), &Sha512::digest(msg), sig),
        _ => return Err(Error::SignatureVerificationFailed),
    };
    checked.map_err(|_| Error::SignatureVerificationFailed)
}

#[cfg(test)]
pub(super) mod tests {
    use std::sync::OnceLock;

    use super::*;
    use crate::jwa;
    use crate::jwk::KeyOp;

    const ALGS: [Alg; 6] = [
        Alg::Rs256,
        Alg::Rs384,
        Alg::Rs512,
        Alg::Ps256,
        Alg::Ps384,
        Alg::Ps512,
    ];

    fn rng() -> rand_core::UnwrapErr<getrandom::SysRng> {
        rand_core::UnwrapErr(getrandom::SysRng)
    }

    /// One 2048-bit key for every test of this module (generation is slow in debug builds).
    /// Unbound (`meta.alg = None`) so it serves all six algorithms.
    fn key() -> &'static Key {
        static KEY: OnceLock<Key> = OnceLock::new();
        KEY.get_or_init(|| {
            let k = ::rsa::RsaPrivateKey::new(&mut rng(), 2048).unwrap();
            Key::from_inner(KeyInner::RsaPrivate(Box::new(k)))
        })
    }

    /// A deterministic test RNG: SHA-256(seed ‖ counter) blocks. Test-only; it lets us show
    /// that every random byte of a signature comes from the RNG passed in.
    pub(crate) struct SeededRng {
        seed: [u8; 32],
        counter: u64,
        pub(crate) drawn: usize,
    }

    impl SeededRng {
        pub(crate) fn new(seed: u8) -> Self {
            Self {
                seed: [seed; 32],
                counter: 0,
                drawn: 0,
            }
        }
    }

    impl rand_core::TryRng for SeededRng {
        type Error = core::convert::Infallible;
        fn try_next_u32(&mut self) -> core::result::Result<u32, Self::Error> {
            let mut b = [0u8; 4];
            self.try_fill_bytes(&mut b)?;
            Ok(u32::from_le_bytes(b))
        }
        fn try_next_u64(&mut self) -> core::result::Result<u64, Self::Error> {
            let mut b = [0u8; 8];
            self.try_fill_bytes(&mut b)?;
            Ok(u64::from_le_bytes(b))
        }
        fn try_fill_bytes(&mut self, dst: &mut [u8]) -> core::result::Result<(), Self::Error> {
            self.drawn += dst.len();
            for chunk in dst.chunks_mut(32) {
                let block = Sha256::new()
                    .chain_update(self.seed)
                    .chain_update(self.counter.to_be_bytes())
                    .finalize();
                self.counter += 1;
                chunk.copy_from_slice(&block[..chunk.len()]);
            }
            Ok(())
        }
    }
    impl rand_core::TryCryptoRng for SeededRng {}

    #[test]
    fn round_trip_all_six_and_public_key_verifies() {
        let key = key();
        let public = key.to_public().unwrap();
        for alg in ALGS {
            let sig = jwa::sign(alg, key, b"payload", &mut rng()).unwrap();
            assert_eq!(sig.len(), 256, "{alg}");
            jwa::verify(alg, key, b"payload", &sig).unwrap();
            jwa::verify(alg, &public, b"payload", &sig).unwrap();
            // The public key cannot sign.
            assert_eq!(
                key.to_public()
                    .unwrap()
                    .check_usable(alg, KeyOp::Sign)
                    .map_err(|e| e.code()),
                Err("ERR_KEY_INVALID")
            );
        }
    }

    #[test]
    fn tampered_message_or_signature_fails() {
        let key = key();
        for alg in ALGS {
            let sig = jwa::sign(alg, key, b"payload", &mut rng()).unwrap();
            assert_eq!(
                jwa::verify(alg, key, b"Payload", &sig),
                Err(Error::SignatureVerificationFailed)
            );
            for i in [0, 100, 255] {
                let mut bad = sig.clone();
                bad[i] ^= 0x80;
                assert_eq!(
                    jwa::verify(alg, key, b"payload", &bad),
                    Err(Error::SignatureVerificationFailed),
                    "{alg} byte {i}"
                );
            }
        }
    }

    /// A signature must be exactly the modulus length: a leading zero byte added or removed,
    /// truncation, empty input, and an all-zero or all-0xff block all fail.
    #[test]
    fn wrong_length_and_out_of_range_signatures_fail() {
        let key = key();
        for alg in ALGS {
            let sig = jwa::sign(alg, key, b"m", &mut rng()).unwrap();
            let mut longer = vec![0u8];
            longer.extend_from_slice(&sig);
            for bad in [
                &longer[..],
                &sig[..255],
                &sig[1..],
                &[][..],
                &[0u8; 256][..],
                &[0xffu8; 256][..],
                &[0u8; 512][..],
            ] {
                assert_eq!(
                    jwa::verify(alg, key, b"m", bad),
                    Err(Error::SignatureVerificationFailed),
                    "{alg} len {}",
                    bad.len()
                );
            }
        }
    }

    /// Each padding and hash is distinct: a signature never verifies under another RSA alg.
    #[test]
    fn no_cross_algorithm_acceptance() {
        let key = key();
        for alg in ALGS {
            let sig = jwa::sign(alg, key, b"m", &mut rng()).unwrap();
            for other in ALGS.into_iter().filter(|o| *o != alg) {
                assert_eq!(
                    jwa::verify(other, key, b"m", &sig),
                    Err(Error::SignatureVerificationFailed),
                    "{alg} signature accepted as {other}"
                );
            }
        }
    }

    /// RFC 7518 §3.5: the salt is as long as the hash. A PSS signature with any other salt
    /// length (valid per RFC 8017, made with the same key and hash) is rejected.
    #[test]
    fn pss_with_a_different_salt_length_is_rejected() {
        let KeyInner::RsaPrivate(k) = &key().inner else {
            panic!("not an RSA key")
        };
        let cases: [(Alg, Vec<u8>, usize); 3] = [
            (Alg::Ps256, Sha256::digest(b"m").to_vec(), 32),
            (Alg::Ps384, Sha384::digest(b"m").to_vec(), 48),
            (Alg::Ps512, Sha512::digest(b"m").to_vec(), 64),
        ];
        for (alg, digest, hlen) in cases {
            for salt in [0, 20, hlen - 1, hlen + 1] {
                let sig = match alg {
                    Alg::Ps256 => {
                        k.sign_with_rng(&mut rng(), Pss::<Sha256>::new_with_salt(salt), &digest)
                    }
                    Alg::Ps384 => {
                        k.sign_with_rng(&mut rng(), Pss::<Sha384>::new_with_salt(salt), &digest)
                    }
                    _ => k.sign_with_rng(&mut rng(), Pss::<Sha512>::new_with_salt(salt), &digest),
                }
                .unwrap();
                assert_eq!(
                    jwa::verify(alg, key(), b"m", &sig),
                    Err(Error::SignatureVerificationFailed),
                    "{alg} with salt length {salt}"
                );
            }
            // Control: the JOSE salt length verifies.
            let sig = match alg {
                Alg::Ps256 => {
                    k.sign_with_rng(&mut rng(), Pss::<Sha256>::new_with_salt(hlen), &digest)
                }
                Alg::Ps384 => {
                    k.sign_with_rng(&mut rng(), Pss::<Sha384>::new_with_salt(hlen), &digest)
                }
                _ => k.sign_with_rng(&mut rng(), Pss::<Sha512>::new_with_salt(hlen), &digest),
            }
            .unwrap();
            jwa::verify(alg, key(), b"m", &sig).unwrap();
        }
    }

    /// No hidden randomness: both paddings draw from the caller's RNG (blinding, PSS salt), and
    /// a PSS signature is a pure function of the key, message and RNG stream.
    #[test]
    fn signing_uses_only_the_callers_rng() {
        let key = key();
        for alg in ALGS {
            let mut r = SeededRng::new(1);
            let a = jwa::sign(alg, key, b"m", &mut r).unwrap();
            assert!(r.drawn > 0, "{alg} did not use the caller's RNG");
            let b = jwa::sign(alg, key, b"m", &mut SeededRng::new(1)).unwrap();
            assert_eq!(a, b, "{alg}: same RNG stream, different signature");
            let c = jwa::sign(alg, key, b"m", &mut SeededRng::new(2)).unwrap();
            if alg.as_str().starts_with("PS") {
                assert_ne!(a, c, "{alg}: the PSS salt must come from the RNG");
            } else {
                // PKCS#1 v1.5 is deterministic; blinding does not change the output.
                assert_eq!(a, c);
            }
        }
    }

    /// RFC 7515 Appendix A.2: the RS256 example JWS verifies with its published public key.
    #[test]
    fn rfc7515_a2_known_answer() {
        let n = crate::b64::decode(
            "ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ",
            "n",
        )
        .unwrap();
        let e = crate::b64::decode("AQAB", "e").unwrap();
        let pk = RsaPublicKey::new(
            ::rsa::BoxedUint::from_be_slice_vartime(&n),
            ::rsa::BoxedUint::from_be_slice_vartime(&e),
        )
        .unwrap();
        let key = Key::from_inner(KeyInner::RsaPublic(pk));
        let input = b"eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ";
        let sig = crate::b64::decode(
            "cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw",
            "sig",
        )
        .unwrap();
        jwa::verify(Alg::Rs256, &key, input, &sig).unwrap();
        let mut bad = sig.clone();
        bad[10] ^= 1;
        assert_eq!(
            jwa::verify(Alg::Rs256, &key, input, &bad),
            Err(Error::SignatureVerificationFailed)
        );
    }

    #[test]
    fn wrong_key_variant_is_an_error_not_a_panic() {
        let secret = Key::from_inner(KeyInner::Oct(zeroize::Zeroizing::new(vec![0u8; 64])));
        assert_eq!(
            verify(Alg::Rs256, &secret, b"m", &[0; 256]),
            Err(Error::SignatureVerificationFailed)
        );
        assert_eq!(
            sign(Alg::Ps256, &secret, b"m", &mut rng()).map_err(|e| e.code()),
            Err("ERR_KEY_INVALID")
        );
        let public = key().to_public().unwrap();
        assert_eq!(
            sign(Alg::Rs256, &public, b"m", &mut rng()).map_err(|e| e.code()),
            Err("ERR_KEY_INVALID")
        );
        assert_eq!(
            verify(Alg::Es256, key(), b"m", &[0; 256]),
            Err(Error::SignatureVerificationFailed)
        );
        assert!(sign(Alg::Hs256, key(), b"m", &mut rng()).is_err());
    }
}
