//! HMAC with SHA-2: `HS256`, `HS384`, `HS512` (RFC 7518 §3.2).
//!
//! The MAC is the full, untruncated HMAC output (RFC 7518 §3.2: "the output … MUST NOT be
//! truncated"); verification recomputes it and compares the whole tag in constant time, so a
//! tag of any other length fails. The secret's minimum size (the hash size) is enforced before
//! we get here by [`Key::check_usable`].

use hmac::{Hmac, KeyInit, Mac};
use sha2::{Sha256, Sha384, Sha512};

use crate::error::{Error, Result};
use crate::jwa::Alg;
use crate::jwk::{Key, KeyInner};

/// The shared secret of an `oct` key, or `None` for any other key.
fn secret(key: &Key) -> Option<&[u8]> {
    match &key.inner {
        KeyInner::Oct(s) => Some(s.as_slice()),
        _ => None,
    }
}

/// HMAC-`M` of `msg` under `secret`.
fn compute<M: KeyInit + Mac>(secret: &[u8], msg: &[u8]) -> Result<Vec<u8>> {
    let mut mac = <M as KeyInit>::new_from_slice(secret)
        .map_err(|_| Error::KeyInvalid("the HMAC secret is not usable".into()))?;
    mac.update(msg);
    Ok(mac.finalize().into_bytes().to_vec())
}

/// Checks the full-length HMAC-`M` tag in constant time (`verify_slice` rejects any other
/// length before comparing).
fn check<M: KeyInit + Mac>(secret: &[u8], msg: &[u8], tag: &[u8]) -> Result<()> {
    let mut mac =
        <M as KeyInit>::new_from_slice(secret).map_err(|_| Error::SignatureVerificationFailed)?;
    mac.update(msg);
    mac.verify_slice(tag)
        .map_err(|_| Error::SignatureVerificationFailed)
}

/// Computes the `HS*` MAC of `msg` (RFC 7518 §3.2).
pub(super) fn sign(alg: Alg, key: &Key, msg: &[u8]) -> Result<Vec<u8>> {
    let secret = secret(key)
        .ok_or_else(|| Error::KeyInvalid(format!("{alg} requires a symmetric (oct) key")))?;
    match alg {
        Alg::Hs256 => compute::<Hmac<Sha256>>(secret, msg),
        Alg::Hs384 => compute::<Hmac<Sha384>>(secret, msg),
        Alg::Hs512 => compute::<Hmac<Sha512>>(secret, msg),
        _ => Err(Error::AlgNotAllowed(format!(
            "{alg} is not an HMAC algorithm"
        ))),
    }
}

/// Verifies an `HS*` MAC (RFC 7518 §3.2). Every failure is
/// [`Error::SignatureVerificationFailed`].
pub(super) fn verify(alg: Alg, key: &Key, msg: &[u8], sig: &[u8]) -> Result<()> {
    let secret = secret(key).ok_or(Error::SignatureVerificationFailed)?;
    match alg {
        Alg::Hs256 => check::<Hmac<Sha256>>(secret, msg, sig),
        Alg::Hs384 => check::<Hmac<Sha384>>(secret, msg, sig),
        Alg::Hs512 => check::<Hmac<Sha512>>(secret, msg, sig),
        _ => Err(Error::SignatureVerificationFailed),
    }
}

#[cfg(test)]
mod tests {
    use zeroize::Zeroizing;

    use super::*;
    use crate::jwa;

    const HS: [Alg; 3] = [Alg::Hs256, Alg::Hs384, Alg::Hs512];

    fn rng() -> rand_core::UnwrapErr<getrandom::SysRng> {
        rand_core::UnwrapErr(getrandom::SysRng)
    }

    fn secret_key(bytes: &[u8]) -> Key {
        Key::from_inner(KeyInner::Oct(Zeroizing::new(bytes.to_vec())))
    }

    #[test]
    fn round_trip_with_generated_secrets() {
        for alg in HS {
            let key = Key::generate(alg, &mut rng(), Default::default()).unwrap();
            let tag = jwa::sign(alg, &key, b"payload", &mut rng()).unwrap();
            assert_eq!(tag.len(), alg.hash_len(), "{alg}");
            jwa::verify(alg, &key, b"payload", &tag).unwrap();
        }
    }

    /// RFC 7515 Appendix A.1: the HS256 example JWS.
    #[test]
    fn rfc7515_a1_known_answer() {
        let k = crate::b64::decode(
            "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow",
            "k",
        )
        .unwrap();
        let input = b"eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ";
        let expected = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let key = secret_key(&k);
        let tag = jwa::sign(Alg::Hs256, &key, input, &mut rng()).unwrap();
        assert_eq!(crate::b64::encode(&tag), expected);
        jwa::verify(Alg::Hs256, &key, input, &tag).unwrap();
    }

    #[test]
    fn tampered_message_or_tag_fails() {
        for alg in HS {
            let key = Key::generate(alg, &mut rng(), Default::default()).unwrap();
            let tag = jwa::sign(alg, &key, b"payload", &mut rng()).unwrap();
            assert_eq!(
                jwa::verify(alg, &key, b"paylOad", &tag),
                Err(Error::SignatureVerificationFailed)
            );
            for i in [0, tag.len() / 2, tag.len() - 1] {
                let mut bad = tag.clone();
                bad[i] ^= 0x01;
                assert_eq!(
                    jwa::verify(alg, &key, b"payload", &bad),
                    Err(Error::SignatureVerificationFailed)
                );
            }
        }
    }

    /// A truncated (or extended) tag never verifies, even when it is a prefix of the real one
    /// (RFC 7518 §3.2; cf. security.md row 12 for the same class of bug with GCM tags).
    #[test]
    fn truncated_or_extended_tag_rejected() {
        for alg in HS {
            let key = Key::generate(alg, &mut rng(), Default::default()).unwrap();
            let tag = jwa::sign(alg, &key, b"payload", &mut rng()).unwrap();
            for len in [0, 1, 16, tag.len() / 2, tag.len() - 1] {
                assert_eq!(
                    jwa::verify(alg, &key, b"payload", &tag[..len]),
                    Err(Error::SignatureVerificationFailed),
                    "{alg} tag truncated to {len}"
                );
            }
            let mut longer = tag.clone();
            longer.push(0);
            assert_eq!(
                jwa::verify(alg, &key, b"payload", &longer),
                Err(Error::SignatureVerificationFailed)
            );
        }
    }

    /// HS256/HS384/HS512 tags are not interchangeable even with the same secret.
    #[test]
    fn different_hash_does_not_verify() {
        let key = secret_key(&[7u8; 64]);
        let tag = jwa::sign(Alg::Hs512, &key, b"m", &mut rng()).unwrap();
        assert_eq!(
            jwa::verify(Alg::Hs256, &key, b"m", &tag[..32]),
            Err(Error::SignatureVerificationFailed)
        );
        assert_eq!(
            jwa::verify(Alg::Hs384, &key, b"m", &tag[..48]),
            Err(Error::SignatureVerificationFailed)
        );
    }

    #[test]
    fn wrong_key_variant_is_an_error_not_a_panic() {
        let ed = Key::generate(Alg::EdDsa, &mut rng(), Default::default()).unwrap();
        assert_eq!(
            verify(Alg::Hs256, &ed, b"m", &[0; 32]),
            Err(Error::SignatureVerificationFailed)
        );
        assert_eq!(
            sign(Alg::Hs256, &ed, b"m").map_err(|e| e.code()),
            Err("ERR_KEY_INVALID")
        );
        let key = secret_key(&[1u8; 32]);
        assert_eq!(
            verify(Alg::Rs256, &key, b"m", &[0; 32]),
            Err(Error::SignatureVerificationFailed)
        );
        assert!(sign(Alg::Es256, &key, b"m").is_err());
    }
}
