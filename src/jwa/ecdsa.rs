//! ECDSA: `ES256` (P-256 + SHA-256), `ES384` (P-384 + SHA-384), `ES512` (P-521 + SHA-512)
//! (RFC 7518 §3.4).
//!
//! A JWS ECDSA signature is the fixed-width concatenation `R‖S` (32+32, 48+48, 66+66 bytes), not
//! DER (RFC 7518 §3.4). Verification accepts only that exact length and only `0 < r, s < n`
//! (`ecdsa::Signature::from_slice`), which rules out the "psychic signature" r = s = 0
//! (CVE-2022-21449, security.md row 3) and any DER encoding. Signing is deterministic
//! (RFC 6979), so it needs no RNG.

use signature::{Signer, Verifier};

use crate::error::{Error, Result};
use crate::jwa::Alg;
use crate::jwk::{Key, KeyInner};

/// `R‖S` length in bytes for `alg` (RFC 7518 §3.4), or `None` if `alg` is not ECDSA.
const fn signature_len(alg: Alg) -> Option<usize> {
    match alg {
        Alg::Es256 => Some(64),
        Alg::Es384 => Some(96),
        Alg::Es512 => Some(132),
        _ => None,
    }
}

/// Parses `R‖S` strictly and verifies it with the curve's verifying key.
macro_rules! check {
    ($curve:ident, $vk:expr, $msg:expr, $sig:expr) => {{
        let sig = $curve::ecdsa::Signature::from_slice($sig)
            .map_err(|_| Error::SignatureVerificationFailed)?;
        $vk.verify($msg, &sig)
            .map_err(|_| Error::SignatureVerificationFailed)
    }};
}

/// Signs with RFC 6979 deterministic nonces and returns the `R‖S` bytes.
macro_rules! sign_with {
    ($curve:ident, $sk:expr, $msg:expr, $alg:expr) => {{
        let sig: $curve::ecdsa::Signature = $sk
            .try_sign($msg)
            .map_err(|_| Error::Generic(format!("{} signing failed", $alg)))?;
        sig.to_bytes().to_vec()
    }};
}

/// Signs `msg` with `ES256` / `ES384` / `ES512`, returning `R‖S` (RFC 7518 §3.4).
pub(super) fn sign(alg: Alg, key: &Key, msg: &[u8]) -> Result<Vec<u8>> {
    let sig = match (&key.inner, alg) {
        (KeyInner::P256Private(k), Alg::Es256) => sign_with!(p256, k.as_ref(), msg, alg),
        (KeyInner::P384Private(k), Alg::Es384) => sign_with!(p384, k.as_ref(), msg, alg),
        (KeyInner::P521Private(k), Alg::Es512) => sign_with!(p521, k.as_ref(), msg, alg),
        _ => {
            return Err(Error::KeyInvalid(format!(
                "{alg} signing requires a private key on the matching curve"
            )));
        }
    };
    if Some(sig.len()) != signature_len(alg) {
        return Err(Error::Generic(format!(
            "{alg} produced a signature of the wrong length"
        )));
    }
    Ok(sig)
}

/// Verifies an `ES256` / `ES384` / `ES512` signature in `R‖S` form (RFC 7518 §3.4). Every
/// failure is [`Error::SignatureVerificationFailed`].
pub(super) fn verify(alg: Alg, key: &Key, msg: &[u8], sig: &[u8]) -> Result<()> {
    // RFC 7518 §3.4: exactly 2 × the curve's byte length. (`from_slice` checks this too.)
    if Some(sig.len()) != signature_len(alg) {
        return Err(Error::SignatureVerificationFailed);
    }
    match (&key.inner, alg) {
        (KeyInner::P256Public(vk), Alg::Es256) => check!(p256, vk, msg, sig),
        (KeyInner::P256Private(sk), Alg::Es256) => check!(p256, sk.verifying_key(), msg, sig),
        (KeyInner::P384Public(vk), Alg::Es384) => check!(p384, vk, msg, sig),
        (KeyInner::P384Private(sk), Alg::Es384) => check!(p384, sk.verifying_key(), msg, sig),
        (KeyInner::P521Public(vk), Alg::Es512) => check!(p521, vk, msg, sig),
        (KeyInner::P521Private(sk), Alg::Es512) => check!(p521, sk.verifying_key(), msg, sig),
        _ => Err(Error::SignatureVerificationFailed),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jwa;

    const ES: [Alg; 3] = [Alg::Es256, Alg::Es384, Alg::Es512];

    fn rng() -> rand_core::UnwrapErr<getrandom::SysRng> {
        rand_core::UnwrapErr(getrandom::SysRng)
    }

    fn gen_key(alg: Alg) -> Key {
        Key::generate(alg, &mut rng(), Default::default()).unwrap()
    }

    /// Big-endian bytes of the group order n of each curve (SEC 2 §2.4.2, §2.5.1, §2.6.1).
    fn order(alg: Alg) -> Vec<u8> {
        let hex = match alg {
            Alg::Es256 => "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551",
            Alg::Es384 => {
                "ffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973"
            }
            _ => {
                "01fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409"
            }
        };
        hex::decode(hex).unwrap()
    }

    #[test]
    fn round_trip_and_public_key_verifies() {
        for alg in ES {
            let key = gen_key(alg);
            let sig = jwa::sign(alg, &key, b"payload", &mut rng()).unwrap();
            assert_eq!(Some(sig.len()), signature_len(alg));
            jwa::verify(alg, &key, b"payload", &sig).unwrap();
            jwa::verify(alg, &key.to_public().unwrap(), b"payload", &sig).unwrap();
            // RFC 6979: deterministic.
            assert_eq!(sig, jwa::sign(alg, &key, b"payload", &mut rng()).unwrap());
        }
    }

    #[test]
    fn tampered_message_or_signature_fails() {
        for alg in ES {
            let key = gen_key(alg);
            let sig = jwa::sign(alg, &key, b"payload", &mut rng()).unwrap();
            assert_eq!(
                jwa::verify(alg, &key, b"payloaD", &sig),
                Err(Error::SignatureVerificationFailed)
            );
            for i in [0, sig.len() / 2 - 1, sig.len() / 2, sig.len() - 1] {
                let mut bad = sig.clone();
                bad[i] ^= 0x01;
                assert_eq!(
                    jwa::verify(alg, &key, b"payload", &bad),
                    Err(Error::SignatureVerificationFailed),
                    "{alg} byte {i}"
                );
            }
            // Another key's signature.
            let other = gen_key(alg);
            assert_eq!(
                jwa::verify(alg, &other, b"payload", &sig),
                Err(Error::SignatureVerificationFailed)
            );
        }
    }

    /// CVE-2022-21449 ("psychic signatures", security.md row 3): r = s = 0 must never verify,
    /// whatever the message or key; nor r = 0 or s = 0 alone.
    #[test]
    fn all_zero_and_zero_scalar_signatures_rejected() {
        for alg in ES {
            let key = gen_key(alg);
            let len = signature_len(alg).unwrap();
            let half = len / 2;
            let good = jwa::sign(alg, &key, b"m", &mut rng()).unwrap();
            let mut r_zero = good.clone();
            r_zero[..half].fill(0);
            let mut s_zero = good.clone();
            s_zero[half..].fill(0);
            for (name, sig) in [("r=s=0", vec![0u8; len]), ("r=0", r_zero), ("s=0", s_zero)] {
                for msg in [&b"m"[..], b"", b"anything"] {
                    assert_eq!(
                        jwa::verify(alg, &key, msg, &sig),
                        Err(Error::SignatureVerificationFailed),
                        "{alg} {name}"
                    );
                }
            }
        }
    }

    /// r or s equal to (or above) the group order n is out of range, even though r = n is
    /// congruent to 0; r + n and s + n would also be accepted by a verifier that reduced mod n.
    #[test]
    fn scalars_at_or_above_the_order_rejected() {
        for alg in ES {
            let key = gen_key(alg);
            let half = signature_len(alg).unwrap() / 2;
            let n = order(alg);
            assert_eq!(n.len(), half);
            let good = jwa::sign(alg, &key, b"m", &mut rng()).unwrap();
            let (r, s) = good.split_at(half);
            let r_n = [&n[..], s].concat();
            let s_n = [r, &n[..]].concat();
            let both_n = [&n[..], &n[..]].concat();
            let all_ff = vec![0xffu8; 2 * half];
            for (name, sig) in [
                ("r=n", r_n),
                ("s=n", s_n),
                ("r=s=n", both_n),
                ("0xff..", all_ff),
            ] {
                assert_eq!(
                    jwa::verify(alg, &key, b"m", &sig),
                    Err(Error::SignatureVerificationFailed),
                    "{alg} {name}"
                );
            }
        }
    }

    /// RFC 7518 §3.4: R‖S only. The same (valid) signature DER-encoded is rejected, as is any
    /// other length (one byte short or long, empty, the next curve's size).
    #[test]
    fn der_and_wrong_length_rejected() {
        for alg in ES {
            let key = gen_key(alg);
            let sig = jwa::sign(alg, &key, b"m", &mut rng()).unwrap();
            let der = match alg {
                Alg::Es256 => p256::ecdsa::Signature::from_slice(&sig)
                    .unwrap()
                    .to_der()
                    .as_bytes()
                    .to_vec(),
                Alg::Es384 => p384::ecdsa::Signature::from_slice(&sig)
                    .unwrap()
                    .to_der()
                    .as_bytes()
                    .to_vec(),
                _ => p521::ecdsa::Signature::from_slice(&sig)
                    .unwrap()
                    .to_der()
                    .as_bytes()
                    .to_vec(),
            };
            assert_eq!(der[0], 0x30, "really DER");
            let mut longer = sig.clone();
            longer.push(0);
            let mut padded = vec![0u8];
            padded.extend_from_slice(&sig);
            for (name, bad) in [
                ("DER", der),
                ("short", sig[..sig.len() - 1].to_vec()),
                ("long", longer),
                ("leading zero", padded),
                ("empty", Vec::new()),
                ("64", vec![1u8; 64]),
                ("96", vec![1u8; 96]),
                ("132", vec![1u8; 132]),
            ] {
                if bad.len() == sig.len() {
                    continue; // the right-length filler is covered by the tamper tests
                }
                assert_eq!(
                    jwa::verify(alg, &key, b"m", &bad),
                    Err(Error::SignatureVerificationFailed),
                    "{alg} {name}"
                );
            }
        }
    }

    /// `Signature::from_slice` is the guard the verifier relies on: prove it refuses zero
    /// scalars, scalars ≥ n, DER and wrong sizes on its own.
    #[test]
    fn rustcrypto_from_slice_enforces_the_rules() {
        let n = order(Alg::Es256);
        assert!(p256::ecdsa::Signature::from_slice(&[0u8; 64]).is_err());
        assert!(p256::ecdsa::Signature::from_slice(&[&n[..], &[1u8; 32][..]].concat()).is_err());
        assert!(p256::ecdsa::Signature::from_slice(&[&[1u8; 32][..], &n[..]].concat()).is_err());
        assert!(p256::ecdsa::Signature::from_slice(&[1u8; 63]).is_err());
        assert!(p256::ecdsa::Signature::from_slice(&[1u8; 65]).is_err());
        let mut n_minus_1 = n.clone();
        n_minus_1[31] -= 1;
        assert!(
            p256::ecdsa::Signature::from_slice(&[&n_minus_1[..], &n_minus_1[..]].concat()).is_ok()
        );
        let n521 = order(Alg::Es512);
        assert!(p521::ecdsa::Signature::from_slice(&[&n521[..], &[1u8; 66][..]].concat()).is_err());
        assert!(p521::ecdsa::Signature::from_slice(&[0u8; 132]).is_err());
    }

    #[test]
    fn wrong_key_variant_is_an_error_not_a_panic() {
        let p256 = gen_key(Alg::Es256);
        let p384 = gen_key(Alg::Es384);
        assert_eq!(
            verify(Alg::Es384, &p256, b"m", &[1; 96]),
            Err(Error::SignatureVerificationFailed)
        );
        assert_eq!(
            verify(Alg::Es256, &p384, b"m", &[1; 64]),
            Err(Error::SignatureVerificationFailed)
        );
        assert_eq!(
            sign(Alg::Es384, &p256, b"m").map_err(|e| e.code()),
            Err("ERR_KEY_INVALID")
        );
        assert_eq!(
            sign(Alg::Es256, &p256.to_public().unwrap(), b"m").map_err(|e| e.code()),
            Err("ERR_KEY_INVALID")
        );
        assert_eq!(
            verify(Alg::Hs256, &p256, b"m", &[1; 64]),
            Err(Error::SignatureVerificationFailed)
        );
        // Through the public API the family check comes first.
        assert_eq!(
            jwa::verify(Alg::Es384, &p256, b"m", &[1; 96]).map_err(|e| e.code()),
            Err("ERR_JOSE_ALG_NOT_ALLOWED")
        );
    }
}
