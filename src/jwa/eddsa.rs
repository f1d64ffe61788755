//! EdDSA with Ed25519 (RFC 8037 §3.1, RFC 8032 §5.1).
//!
//! Verification uses `verify_strict`: besides RFC 8032 §5.1.7 (S < L, canonical encodings), it
//! rejects small-order public keys and `R` components, so a signature cannot be made to verify
//! for several messages or keys. Signing is deterministic and needs no RNG.

use ed25519_dalek::{Signature, Signer};

use crate::error::{Error, Result};
use crate::jwk::{Key, KeyInner};

/// Ed25519 signature length in bytes (RFC 8032 §5.1.6).
const SIGNATURE_LEN: usize = 64;

/// Signs `msg` with Ed25519 (RFC 8037 §3.1), returning the 64-byte signature.
pub(super) fn sign(key: &Key, msg: &[u8]) -> Result<Vec<u8>> {
    let KeyInner::Ed25519Private(k) = &key.inner else {
        return Err(Error::KeyInvalid(
            "EdDSA signing requires an Ed25519 private key".into(),
        ));
    };
    let sig: Signature = k
        .try_sign(msg)
        .map_err(|_| Error::Generic("EdDSA signing failed".into()))?;
    Ok(sig.to_bytes().to_vec())
}

/// Verifies an Ed25519 signature strictly (RFC 8037 §3.1, RFC 8032 §5.1.7). Every failure is
/// [`Error::SignatureVerificationFailed`].
pub(super) fn verify(key: &Key, msg: &[u8], sig: &[u8]) -> Result<()> {
    let bytes: &[u8; SIGNATURE_LEN] = sig
        .try_into()
        .map_err(|_| Error::SignatureVerificationFailed)?;
    let sig = Signature::from_bytes(bytes);
    let checked = match &key.inner {
        KeyInner::Ed25519Public(vk) => vk.verify_strict(msg, &sig),
        KeyInner::Ed25519Private(sk) => sk.verifying_key().verify_strict(msg, &sig),
        _ => return Err(Error::SignatureVerificationFailed),
    };
    checked.map_err(|_| Error::SignatureVerificationFailed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jwa::{self, Alg};

    fn rng() -> rand_core::UnwrapErr<getrandom::SysRng> {
        rand_core::UnwrapErr(getrandom::SysRng)
    }

    fn gen_key() -> Key {
        Key::generate(Alg::EdDsa, &mut rng(), Default::default()).unwrap()
    }

    #[test]
    fn round_trip_and_public_key_verifies() {
        let key = gen_key();
        let sig = jwa::sign(Alg::EdDsa, &key, b"payload", &mut rng()).unwrap();
        assert_eq!(sig.len(), 64);
        jwa::verify(Alg::EdDsa, &key, b"payload", &sig).unwrap();
        jwa::verify(Alg::EdDsa, &key.to_public().unwrap(), b"payload", &sig).unwrap();
        assert_eq!(
            sig,
            jwa::sign(Alg::EdDsa, &key, b"payload", &mut rng()).unwrap()
        );
    }

    /// RFC 8037 Appendix A.4: the Ed25519 example JWS (sign and verify).
    #[test]
    fn rfc8037_a4_known_answer() {
        let d = crate::b64::decode("nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A", "d").unwrap();
        let x = crate::b64::decode("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo", "x").unwrap();
        let sk = ed25519_dalek::SigningKey::from_bytes(&d.try_into().unwrap());
        assert_eq!(sk.verifying_key().to_bytes().to_vec(), x);
        let key = Key::from_inner(KeyInner::Ed25519Private(Box::new(sk)));
        let input = b"eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc";
        let expected = "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg";
        let sig = jwa::sign(Alg::EdDsa, &key, input, &mut rng()).unwrap();
        assert_eq!(crate::b64::encode(&sig), expected);
        jwa::verify(Alg::EdDsa, &key.to_public().unwrap(), input, &sig).unwrap();
    }

    #[test]
    fn tampered_message_or_signature_fails() {
        let key = gen_key();
        let sig = jwa::sign(Alg::EdDsa, &key, b"payload", &mut rng()).unwrap();
        assert_eq!(
            jwa::verify(Alg::EdDsa, &key, b"Payload", &sig),
            Err(Error::SignatureVerificationFailed)
        );
        for i in [0, 31, 32, 63] {
            let mut bad = sig.clone();
            bad[i] ^= 0x04;
            assert_eq!(
                jwa::verify(Alg::EdDsa, &key, b"payload", &bad),
                Err(Error::SignatureVerificationFailed),
                "byte {i}"
            );
        }
        assert_eq!(
            jwa::verify(Alg::EdDsa, &gen_key(), b"payload", &sig),
            Err(Error::SignatureVerificationFailed)
        );
    }

    #[test]
    fn wrong_length_zero_and_malleated_signatures_rejected() {
        let key = gen_key();
        let sig = jwa::sign(Alg::EdDsa, &key, b"m", &mut rng()).unwrap();
        let mut longer = sig.clone();
        longer.push(0);
        for bad in [
            &sig[..63],
            &longer[..],
            &[][..],
            &[0u8; 64][..],
            &[0xffu8; 64][..],
        ] {
            assert_eq!(
                jwa::verify(Alg::EdDsa, &key, b"m", bad),
                Err(Error::SignatureVerificationFailed),
                "len {}",
                bad.len()
            );
        }
        // S + L (RFC 8032 §5.1.7 requires S < L): the classic malleation.
        const L: [u8; 32] = [
            0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9,
            0xde, 0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
        ];
        let mut malleated = sig.clone();
        let mut carry = 0u16;
        for i in 0..32 {
            let v = u16::from(malleated[32 + i]) + u16::from(L[i]) + carry;
            malleated[32 + i] = (v & 0xff) as u8;
            carry = v >> 8;
        }
        assert_eq!(
            jwa::verify(Alg::EdDsa, &key, b"m", &malleated),
            Err(Error::SignatureVerificationFailed)
        );
    }

    /// `verify_strict` refuses a small-order (here: identity) public key, for which the
    /// signature (R = identity, S = 0) would "verify" any message under plain verification.
    #[test]
    fn small_order_public_key_rejected() {
        let mut identity = [0u8; 32];
        identity[0] = 1;
        let vk = ed25519_dalek::VerifyingKey::from_bytes(&identity).unwrap();
        let key = Key::from_inner(KeyInner::Ed25519Public(vk));
        let mut sig = [0u8; 64];
        sig[0] = 1;
        for msg in [&b""[..], b"a", b"forged"] {
            assert_eq!(
                jwa::verify(Alg::EdDsa, &key, msg, &sig),
                Err(Error::SignatureVerificationFailed)
            );
        }
    }

    #[test]
    fn wrong_key_variant_is_an_error_not_a_panic() {
        let secret = Key::from_inner(KeyInner::Oct(zeroize::Zeroizing::new(vec![1u8; 32])));
        assert_eq!(
            verify(&secret, b"m", &[0; 64]),
            Err(Error::SignatureVerificationFailed)
        );
        assert_eq!(
            sign(&secret, b"m").map_err(|e| e.code()),
            Err("ERR_KEY_INVALID")
        );
        let public = gen_key().to_public().unwrap();
        assert_eq!(
            sign(&public, b"m").map_err(|e| e.code()),
            Err("ERR_KEY_INVALID")
        );
    }
}
