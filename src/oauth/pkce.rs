//! Proof Key for Code Exchange (RFC 7636) with the `S256` method only: `plain` is never
//! produced or accepted (RFC 9700 §2.1.1, §4.8; security.md row 19). Also the `state` and
//! `nonce` request values (security.md row 20).
//!
//! Every random value takes the RNG as a parameter; comparisons of secrets are constant-time.

use rand_core::CryptoRng;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::b64;
use crate::error::{Error, Result};

/// The shortest `code_verifier` RFC 7636 §4.1 allows.
pub const MIN_VERIFIER_LENGTH: usize = 43;
/// The longest `code_verifier` RFC 7636 §4.1 allows.
pub const MAX_VERIFIER_LENGTH: usize = 128;

/// Random octets behind every generated value: 256 bits, twice the 128-bit minimum of
/// RFC 9700 §4.7.1 and exactly the 32 octets RFC 7636 §4.1 recommends.
const RANDOM_OCTETS: usize = 32;

fn random_b64url<R: CryptoRng + ?Sized>(rng: &mut R) -> String {
    let mut bytes = Zeroizing::new([0u8; RANDOM_OCTETS]);
    rng.fill_bytes(bytes.as_mut_slice());
    b64::encode(bytes.as_slice())
}

/// A new `code_verifier` (RFC 7636 §4.1): 32 random octets, base64url-encoded without padding
/// into 43 characters of the unreserved set.
pub fn generate_code_verifier<R: CryptoRng + ?Sized>(rng: &mut R) -> String {
    random_b64url(rng)
}

/// A new `state` value (RFC 6749 §10.12, RFC 9700 §4.7.1): 256 random bits, base64url.
pub fn generate_state<R: CryptoRng + ?Sized>(rng: &mut R) -> String {
    random_b64url(rng)
}

/// A new `nonce` value (OpenID Connect Core 1.0 §3.1.2.1, §15.5.2): 256 random bits, base64url.
pub fn generate_nonce<R: CryptoRng + ?Sized>(rng: &mut R) -> String {
    random_b64url(rng)
}

/// Checks a `code_verifier` against RFC 7636 §4.1: 43 to 128 characters of
/// `[A-Z] / [a-z] / [0-9] / "-" / "." / "_" / "~"`.
pub fn check_code_verifier(verifier: &str) -> Result<()> {
    let len = verifier.len();
    if !(MIN_VERIFIER_LENGTH..=MAX_VERIFIER_LENGTH).contains(&len) {
        return Err(Error::InvalidArgValue(format!(
            "code_verifier must be {MIN_VERIFIER_LENGTH} to {MAX_VERIFIER_LENGTH} characters long (RFC 7636 §4.1), got {len}"
        )));
    }
    let ok = verifier
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'));
    if !ok {
        return Err(Error::InvalidArgValue(
            "code_verifier may only use the characters [A-Za-z0-9-._~] (RFC 7636 §4.1)".into(),
        ));
    }
    Ok(())
}

/// The `S256` `code_challenge` of a `code_verifier` (RFC 7636 §4.2):
/// `BASE64URL(SHA256(ASCII(code_verifier)))`. The verifier is validated first
/// ([`check_code_verifier`]); a malformed one is [`Error::InvalidArgValue`].
pub fn code_challenge_s256(verifier: &str) -> Result<String> {
    check_code_verifier(verifier)?;
    Ok(b64::encode(Sha256::digest(verifier.as_bytes()).as_slice()))
}

/// The server-side check of RFC 7636 §4.6 for `S256`: whether `verifier` is well-formed and
/// hashes to `challenge`. The comparison is constant-time (security.md row 19); a malformed
/// verifier never matches.
pub fn verify_code_challenge(verifier: &str, challenge: &str) -> bool {
    match code_challenge_s256(verifier) {
        Ok(computed) => bool::from(computed.as_bytes().ct_eq(challenge.as_bytes())),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    use crate::test_rng::TestRng;

    /// Replays fixed octets (for the RFC 7636 Appendix B example).
    struct FixedRng(Vec<u8>);
    impl rand_core::TryRng for FixedRng {
        type Error = core::convert::Infallible;
        fn try_next_u32(&mut self) -> core::result::Result<u32, Self::Error> {
            unreachable!("only fill_bytes is used")
        }
        fn try_next_u64(&mut self) -> core::result::Result<u64, Self::Error> {
            unreachable!("only fill_bytes is used")
        }
        fn try_fill_bytes(&mut self, dst: &mut [u8]) -> core::result::Result<(), Self::Error> {
            assert!(dst.len() <= self.0.len(), "FixedRng exhausted");
            let rest = self.0.split_off(dst.len());
            dst.copy_from_slice(&self.0);
            self.0 = rest;
            Ok(())
        }
    }
    impl rand_core::TryCryptoRng for FixedRng {}

    fn appendix_b() -> Value {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../shared/vectors/rfc/rfc7636_appendix_b.json"
        );
        let text = std::fs::read_to_string(path).unwrap();
        let file: Value = serde_json::from_str(&text).unwrap();
        file["examples"][0].clone()
    }

    fn octets(v: &Value) -> Vec<u8> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|n| u8::try_from(n.as_u64().unwrap()).unwrap())
            .collect()
    }

    #[test]
    fn rfc7636_appendix_b() {
        let ex = appendix_b();
        assert_eq!(ex["code_challenge_method"], "S256");
        let verifier = ex["code_verifier"].as_str().unwrap();
        let challenge = ex["code_challenge"].as_str().unwrap();

        // The generator turns the RFC's 32 random octets into the RFC's verifier.
        let mut rng = FixedRng(octets(&ex["random_octets"]));
        assert_eq!(generate_code_verifier(&mut rng), verifier);

        // SHA-256 of the verifier is the RFC's digest, and its base64url the challenge.
        let digest = Sha256::digest(verifier.as_bytes());
        assert_eq!(
            digest.as_slice(),
            octets(&ex["sha256_of_verifier_octets"]).as_slice()
        );
        assert_eq!(code_challenge_s256(verifier).unwrap(), challenge);
        assert!(verify_code_challenge(verifier, challenge));
    }

    #[test]
    fn generated_values_are_valid_and_distinct() {
        let mut rng = TestRng(7);
        let v1 = generate_code_verifier(&mut rng);
        let v2 = generate_code_verifier(&mut rng);
        assert_eq!(v1.len(), 43);
        assert_ne!(v1, v2);
        check_code_verifier(&v1).unwrap();
        let c = code_challenge_s256(&v1).unwrap();
        assert!(verify_code_challenge(&v1, &c));
        assert!(!verify_code_challenge(&v2, &c));

        let s = generate_state(&mut rng);
        let n = generate_nonce(&mut rng);
        // ≥ 128 bits: 32 octets decode back from 43 base64url characters.
        assert_eq!(b64::decode(&s, "state").unwrap().len(), 32);
        assert_eq!(b64::decode(&n, "nonce").unwrap().len(), 32);
        assert_ne!(s, n);
    }

    #[test]
    fn verifier_length_bounds() {
        let ok43 = "a".repeat(43);
        let ok128 = "~".repeat(128);
        assert!(code_challenge_s256(&ok43).is_ok());
        assert!(code_challenge_s256(&ok128).is_ok());
        for bad in ["", "abc", &"a".repeat(42), &"a".repeat(129)] {
            let err = code_challenge_s256(bad).unwrap_err();
            assert_eq!(err.code(), "ERR_INVALID_ARG_VALUE", "{bad:?}");
            assert!(!verify_code_challenge(bad, "x"));
        }
    }

    #[test]
    fn verifier_charset() {
        let base = "A".repeat(42);
        for c in ['-', '.', '_', '~', 'z', '0', 'Z'] {
            assert!(code_challenge_s256(&format!("{base}{c}")).is_ok(), "{c:?}");
        }
        for c in ['+', '/', '=', ' ', '%', '\n', 'é', '\0', '*'] {
            let v = format!("{base}{c}");
            let err = code_challenge_s256(&v).unwrap_err();
            assert_eq!(err.code(), "ERR_INVALID_ARG_VALUE", "{c:?}");
        }
    }

    #[test]
    fn constant_time_compare_is_correct() {
        let ex = appendix_b();
        let verifier = ex["code_verifier"].as_str().unwrap();
        let challenge = ex["code_challenge"].as_str().unwrap();
        assert!(verify_code_challenge(verifier, challenge));
        // Last character changed, first character changed, truncated, extended, empty,
        // and `plain` (the verifier itself as the challenge) must all fail.
        let mut last = challenge.to_owned();
        last.pop();
        last.push('A');
        let first = format!("F{}", &challenge[1..]);
        for wrong in [
            last.as_str(),
            first.as_str(),
            &challenge[..challenge.len() - 1],
            &format!("{challenge}A"),
            "",
            verifier,
        ] {
            assert!(!verify_code_challenge(verifier, wrong), "{wrong:?}");
        }
    }
}
