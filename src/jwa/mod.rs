//! JSON Web Algorithms for signatures and MACs (RFC 7518 §3, RFC 8037 §3.1).
//!
//! [`Alg`] names an algorithm; [`sign`] and [`verify`] run it with a [`Key`], after checking that
//! the key belongs to the algorithm's family and is strong enough ([`Key::check_usable`]).
//! There is no `none`: it is not an [`Alg`] (RFC 8725 §3.1).

use core::fmt;
use core::str::FromStr;

use rand_core::CryptoRng;

use crate::error::{Error, Result};
use crate::jwk::{Key, KeyOp};

mod ecdsa;
mod eddsa;
mod hmac;
mod rsa;
#[cfg(test)]
mod wycheproof;

pub use self::rsa::MIN_RSA_BITS;

/// A JWS signature or MAC algorithm (RFC 7518 §3.1, RFC 8037 §3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Alg {
    /// HMAC using SHA-256 (RFC 7518 §3.2).
    Hs256,
    /// HMAC using SHA-384 (RFC 7518 §3.2).
    Hs384,
    /// HMAC using SHA-512 (RFC 7518 §3.2).
    Hs512,
    /// RSASSA-PKCS1-v1_5 using SHA-256 (RFC 7518 §3.3).
    Rs256,
    /// RSASSA-PKCS1-v1_5 using SHA-384 (RFC 7518 §3.3).
    Rs384,
    /// RSASSA-PKCS1-v1_5 using SHA-512 (RFC 7518 §3.3).
    Rs512,
    /// RSASSA-PSS using SHA-256 and MGF1 with SHA-256 (RFC 7518 §3.5).
    Ps256,
    /// RSASSA-PSS using SHA-384 and MGF1 with SHA-384 (RFC 7518 §3.5).
    Ps384,
    /// RSASSA-PSS using SHA-512 and MGF1 with SHA-512 (RFC 7518 §3.5).
    Ps512,
    /// ECDSA using P-256 and SHA-256 (RFC 7518 §3.4).
    Es256,
    /// ECDSA using P-384 and SHA-384 (RFC 7518 §3.4).
    Es384,
    /// ECDSA using P-521 and SHA-512 (RFC 7518 §3.4).
    Es512,
    /// EdDSA with Ed25519 (RFC 8037 §3.1).
    EdDsa,
}

/// The key family an algorithm needs (RFC 7518 §6.1 `kty`, plus the curve for EC/OKP).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Family {
    /// `kty: "oct"` — a shared secret.
    Oct,
    /// `kty: "RSA"`.
    Rsa,
    /// `kty: "EC"`, `crv: "P-256"`.
    P256,
    /// `kty: "EC"`, `crv: "P-384"`.
    P384,
    /// `kty: "EC"`, `crv: "P-521"`.
    P521,
    /// `kty: "OKP"`, `crv: "Ed25519"`.
    Ed25519,
}

impl Family {
    /// The JWK `kty` of this family (RFC 7518 §6.1, RFC 8037 §2).
    pub const fn kty(self) -> &'static str {
        match self {
            Self::Oct => "oct",
            Self::Rsa => "RSA",
            Self::P256 | Self::P384 | Self::P521 => "EC",
            Self::Ed25519 => "OKP",
        }
    }

    /// The JWK `crv` of this family, for EC and OKP keys.
    pub const fn crv(self) -> Option<&'static str> {
        match self {
            Self::P256 => Some("P-256"),
            Self::P384 => Some("P-384"),
            Self::P521 => Some("P-521"),
            Self::Ed25519 => Some("Ed25519"),
            Self::Oct | Self::Rsa => None,
        }
    }

    /// Every algorithm usable with a key of this family.
    pub fn algs(self) -> &'static [Alg] {
        match self {
            Self::Oct => &[Alg::Hs256, Alg::Hs384, Alg::Hs512],
            Self::Rsa => &[
                Alg::Rs256,
                Alg::Rs384,
                Alg::Rs512,
                Alg::Ps256,
                Alg::Ps384,
                Alg::Ps512,
            ],
            Self::P256 => &[Alg::Es256],
            Self::P384 => &[Alg::Es384],
            Self::P521 => &[Alg::Es512],
            Self::Ed25519 => &[Alg::EdDsa],
        }
    }
}

impl Alg {
    /// Every supported algorithm.
    pub const ALL: [Alg; 13] = [
        Alg::Hs256,
        Alg::Hs384,
        Alg::Hs512,
        Alg::Rs256,
        Alg::Rs384,
        Alg::Rs512,
        Alg::Ps256,
        Alg::Ps384,
        Alg::Ps512,
        Alg::Es256,
        Alg::Es384,
        Alg::Es512,
        Alg::EdDsa,
    ];

    /// The registered `alg` name (RFC 7518 §3.1).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Hs256 => "HS256",
            Self::Hs384 => "HS384",
            Self::Hs512 => "HS512",
            Self::Rs256 => "RS256",
            Self::Rs384 => "RS384",
            Self::Rs512 => "RS512",
            Self::Ps256 => "PS256",
            Self::Ps384 => "PS384",
            Self::Ps512 => "PS512",
            Self::Es256 => "ES256",
            Self::Es384 => "ES384",
            Self::Es512 => "ES512",
            Self::EdDsa => "EdDSA",
        }
    }

    /// The key family this algorithm needs.
    pub const fn family(self) -> Family {
        match self {
            Self::Hs256 | Self::Hs384 | Self::Hs512 => Family::Oct,
            Self::Rs256 | Self::Rs384 | Self::Rs512 | Self::Ps256 | Self::Ps384 | Self::Ps512 => {
                Family::Rsa
            }
            Self::Es256 => Family::P256,
            Self::Es384 => Family::P384,
            Self::Es512 => Family::P521,
            Self::EdDsa => Family::Ed25519,
        }
    }

    /// The output size in bytes of the hash the algorithm uses (the minimum HMAC secret size,
    /// RFC 7518 §3.2), or 0 for EdDSA, which hashes internally.
    pub const fn hash_len(self) -> usize {
        match self {
            Self::Hs256 | Self::Rs256 | Self::Ps256 | Self::Es256 => 32,
            Self::Hs384 | Self::Rs384 | Self::Ps384 | Self::Es384 => 48,
            Self::Hs512 | Self::Rs512 | Self::Ps512 | Self::Es512 => 64,
            Self::EdDsa => 0,
        }
    }
}

impl fmt::Display for Alg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Alg {
    type Err = Error;

    /// Parses a registered name, case-sensitively (RFC 7515 §4.1.1). `none` and every unknown or
    /// unsupported name is [`Error::NotSupported`].
    fn from_str(s: &str) -> Result<Self> {
        Alg::ALL
            .into_iter()
            .find(|a| a.as_str() == s)
            .ok_or_else(|| Error::NotSupported(format!("unsupported \"alg\" value: {s:?}")))
    }
}

/// Signs `msg` with `key` (RFC 7515 §5.1 step 5). ECDSA signatures are `R‖S`
/// (RFC 7518 §3.4); `rng` feeds RSA blinding and PSS salts.
pub fn sign<R: CryptoRng + ?Sized>(
    alg: Alg,
    key: &Key,
    msg: &[u8],
    rng: &mut R,
) -> Result<Vec<u8>> {
    key.check_usable(alg, KeyOp::Sign)?;
    match alg.family() {
        Family::Oct => hmac::sign(alg, key, msg),
        Family::Rsa => rsa::sign(alg, key, msg, rng),
        Family::P256 | Family::P384 | Family::P521 => ecdsa::sign(alg, key, msg),
        Family::Ed25519 => eddsa::sign(key, msg),
    }
}

/// Verifies `sig` over `msg` with `key` (RFC 7515 §5.2 step 8). Every failure after the key
/// check is the opaque [`Error::SignatureVerificationFailed`].
pub fn verify(alg: Alg, key: &Key, msg: &[u8], sig: &[u8]) -> Result<()> {
    key.check_usable(alg, KeyOp::Verify)?;
    match alg.family() {
        Family::Oct => hmac::verify(alg, key, msg, sig),
        Family::Rsa => rsa::verify(alg, key, msg, sig),
        Family::P256 | Family::P384 | Family::P521 => ecdsa::verify(alg, key, msg, sig),
        Family::Ed25519 => eddsa::verify(key, msg, sig),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_none_is_not_an_alg() {
        for a in Alg::ALL {
            assert_eq!(a.as_str().parse::<Alg>().ok(), Some(a));
            assert!(a.family().algs().contains(&a));
        }
        for bad in ["none", "None", "NONE", "hs256", "RS1", "", "HS256 "] {
            assert_eq!(
                bad.parse::<Alg>().map_err(|e| e.code()),
                Err("ERR_JOSE_NOT_SUPPORTED")
            );
        }
    }
}
