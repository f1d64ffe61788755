//! JSON Web Keys (RFC 7517) and the [`Key`] type every operation takes.
//!
//! A [`Key`] is parsed once — from a JWK, PEM, DER or an X.509 certificate — into the typed key
//! of its family, so verification never re-parses. Keys are bound to their algorithm family: an
//! RSA or EC key can never act as an HMAC secret (RFC 8725 §3.1, security.md row 2).

use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::jwa::{Alg, Family, MIN_RSA_BITS};

mod encrypted;
mod export;
mod generate;
mod import;
pub mod pkcs12;
mod set;
mod thumbprint;

pub use self::encrypted::MAX_KDF_ITERATIONS;
pub use self::generate::GenerateOptions;
pub use self::set::JwkSet;
pub use self::thumbprint::{ThumbprintHash, X509ThumbprintHash, jwk_thumbprint, x509_thumbprint};

/// What a key is about to be used for (RFC 7517 §4.3 `key_ops` values `sign` / `verify`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyOp {
    /// Producing a signature or MAC.
    Sign,
    /// Checking a signature or MAC.
    Verify,
}

impl KeyOp {
    /// The `key_ops` value (RFC 7517 §4.3).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Sign => "sign",
            Self::Verify => "verify",
        }
    }
}

/// Whether a key is a shared secret, a public key, or a private key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    /// A symmetric secret (`kty: "oct"`); jose calls it `"secret"`.
    Secret,
    /// A public key.
    Public,
    /// A private key (which also holds its public key).
    Private,
}

impl KeyKind {
    /// jose's `KeyObject.type` / `CryptoKey.type` string.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Secret => "secret",
            Self::Public => "public",
            Self::Private => "private",
        }
    }
}

/// The typed key material. Private variants hold the public key too.
#[derive(Clone)]
pub(crate) enum KeyInner {
    Oct(Zeroizing<Vec<u8>>),
    RsaPublic(rsa::RsaPublicKey),
    RsaPrivate(Box<rsa::RsaPrivateKey>),
    P256Public(p256::ecdsa::VerifyingKey),
    P256Private(Box<p256::ecdsa::SigningKey>),
    P384Public(p384::ecdsa::VerifyingKey),
    P384Private(Box<p384::ecdsa::SigningKey>),
    P521Public(p521::ecdsa::VerifyingKey),
    P521Private(Box<p521::ecdsa::SigningKey>),
    Ed25519Public(ed25519_dalek::VerifyingKey),
    Ed25519Private(Box<ed25519_dalek::SigningKey>),
}

/// Optional JWK parameters carried with a key (RFC 7517 §4).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyMeta {
    /// `alg` (RFC 7517 §4.4): when set, the key is usable with this algorithm only.
    pub alg: Option<Alg>,
    /// `kid` (RFC 7517 §4.5).
    pub kid: Option<String>,
    /// `use` (RFC 7517 §4.2): when set, must be `"sig"` for signing and verifying.
    pub use_: Option<String>,
    /// `key_ops` (RFC 7517 §4.3): when set, must list the operation.
    pub key_ops: Option<Vec<String>>,
    /// `x5c` (RFC 7517 §4.7): the certificate chain, standard base64 DER, leaf first.
    pub x5c: Option<Vec<String>>,
    /// `x5t` (RFC 7517 §4.8): base64url SHA-1 thumbprint of the certificate's DER.
    pub x5t: Option<String>,
    /// `x5t#S256` (RFC 7517 §4.9): base64url SHA-256 thumbprint of the certificate's DER.
    pub x5t_s256: Option<String>,
    /// Whether private or secret material may be exported (jose's `extractable`).
    pub extractable: bool,
}

/// A key ready for signing or verification (RFC 7517 §4), with its JWK parameters.
#[derive(Clone)]
pub struct Key {
    pub(crate) inner: KeyInner,
    /// The key's JWK parameters; `alg`, `use` and `key_ops` restrict its use.
    pub meta: KeyMeta,
}

impl core::fmt::Debug for Key {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // Never print key material.
        f.debug_struct("Key")
            .field("kind", &self.kind())
            .field("family", &self.family())
            .field("meta", &self.meta)
            .finish_non_exhaustive()
    }
}

impl Key {
    pub(crate) fn from_inner(inner: KeyInner) -> Self {
        Self {
            inner,
            meta: KeyMeta {
                extractable: true,
                ..KeyMeta::default()
            },
        }
    }

    /// The key's family (`kty` and curve).
    pub fn family(&self) -> Family {
        match &self.inner {
            KeyInner::Oct(_) => Family::Oct,
            KeyInner::RsaPublic(_) | KeyInner::RsaPrivate(_) => Family::Rsa,
            KeyInner::P256Public(_) | KeyInner::P256Private(_) => Family::P256,
            KeyInner::P384Public(_) | KeyInner::P384Private(_) => Family::P384,
            KeyInner::P521Public(_) | KeyInner::P521Private(_) => Family::P521,
            KeyInner::Ed25519Public(_) | KeyInner::Ed25519Private(_) => Family::Ed25519,
        }
    }

    /// Secret, public or private.
    pub fn kind(&self) -> KeyKind {
        match &self.inner {
            KeyInner::Oct(_) => KeyKind::Secret,
            KeyInner::RsaPublic(_)
            | KeyInner::P256Public(_)
            | KeyInner::P384Public(_)
            | KeyInner::P521Public(_)
            | KeyInner::Ed25519Public(_) => KeyKind::Public,
            _ => KeyKind::Private,
        }
    }

    /// The RSA modulus size in bits, or the HMAC secret size in bits, or the curve size.
    pub fn bits(&self) -> usize {
        use rsa::traits::PublicKeyParts;
        match &self.inner {
            KeyInner::Oct(k) => k.len() * 8,
            KeyInner::RsaPublic(k) => k.n().bit_width() as usize,
            KeyInner::RsaPrivate(k) => k.n().bit_width() as usize,
            KeyInner::P256Public(_) | KeyInner::P256Private(_) => 256,
            KeyInner::P384Public(_) | KeyInner::P384Private(_) => 384,
            KeyInner::P521Public(_) | KeyInner::P521Private(_) => 521,
            KeyInner::Ed25519Public(_) | KeyInner::Ed25519Private(_) => 256,
        }
    }

    /// The algorithms this key may be used with: its `alg` if bound, else its family's.
    pub fn allowed_algs(&self) -> Vec<Alg> {
        match self.meta.alg {
            Some(a) => vec![a],
            None => self.family().algs().to_vec(),
        }
    }

    /// Checks that this key may perform `op` with `alg` (RFC 8725 §3.1, RFC 7517 §4.2–4.4):
    /// the family matches, RSA moduli are ≥ 2048 bits (RFC 7518 §3.3), HMAC secrets are at least
    /// the hash size (RFC 7518 §3.2), the bound `alg`, `use` and `key_ops` allow it, and signing
    /// has private or secret material.
    pub fn check_usable(&self, alg: Alg, op: KeyOp) -> Result<()> {
        let family = self.family();
        if alg.family() != family {
            return Err(Error::AlgNotAllowed(format!(
                "{alg} cannot be used with a {} key",
                match family.crv() {
                    Some(crv) => format!("{} {crv}", family.kty()),
                    None => family.kty().to_owned(),
                }
            )));
        }
        if let Some(bound) = self.meta.alg
            && bound != alg
        {
            return Err(Error::AlgNotAllowed(format!(
                "the key is bound to {bound}, not {alg}"
            )));
        }
        if let Some(u) = &self.meta.use_
            && u != "sig"
        {
            return Err(Error::KeyInvalid(format!(
                "a key with \"use\": {u:?} cannot {}",
                op.as_str()
            )));
        }
        if let Some(ops) = &self.meta.key_ops
            && !ops.iter().any(|o| o == op.as_str())
        {
            return Err(Error::KeyInvalid(format!(
                "the key's \"key_ops\" do not include {:?}",
                op.as_str()
            )));
        }
        match family {
            Family::Rsa if self.bits() < MIN_RSA_BITS => {
                return Err(Error::KeyInvalid(format!(
                    "{alg} requires an RSA modulus of {MIN_RSA_BITS} bits or more"
                )));
            }
            Family::Oct if self.bits() / 8 < alg.hash_len() => {
                return Err(Error::KeyInvalid(format!(
                    "{alg} requires a secret of at least {} bytes",
                    alg.hash_len()
                )));
            }
            _ => {}
        }
        if op == KeyOp::Sign && self.kind() == KeyKind::Public {
            return Err(Error::KeyInvalid("a public key cannot sign".into()));
        }
        Ok(())
    }

    /// The public half of a private key; a public key returns a copy of itself; a secret has
    /// none ([`Error::KeyInvalid`]). Metadata (`kid`, `alg`, `use`, x5t) is kept; `key_ops`
    /// `sign` becomes `verify`.
    pub fn to_public(&self) -> Result<Key> {
        let inner = match &self.inner {
            KeyInner::Oct(_) => return Err(Error::KeyInvalid("a secret has no public key".into())),
            KeyInner::RsaPrivate(k) => KeyInner::RsaPublic(k.to_public_key()),
            KeyInner::P256Private(k) => KeyInner::P256Public(*k.verifying_key()),
            KeyInner::P384Private(k) => KeyInner::P384Public(*k.verifying_key()),
            KeyInner::P521Private(k) => KeyInner::P521Public(*k.verifying_key()),
            KeyInner::Ed25519Private(k) => KeyInner::Ed25519Public(k.verifying_key()),
            other => other.clone(),
        };
        let mut meta = self.meta.clone();
        meta.key_ops = meta.key_ops.map(|ops| {
            let mut out: Vec<String> = Vec::with_capacity(ops.len());
            for op in ops {
                let op = if op == "sign" {
                    "verify".to_owned()
                } else {
                    op
                };
                if !out.contains(&op) {
                    out.push(op);
                }
            }
            out
        });
        meta.extractable = true;
        Ok(Key { inner, meta })
    }
}
