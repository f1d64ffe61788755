//! Key export to JWK (RFC 7517 §4, RFC 7518 §6, RFC 8037 §2), SPKI PEM (RFC 5280 §4.1.2.7,
//! RFC 7468 §13) and PKCS#8 PEM (RFC 5958, RFC 7468 §10).
//!
//! Private and secret material leaves only when the key is extractable (jose's `extractable`).
//! Binary members use their canonical encodings: minimal big-endian integers for RSA
//! (RFC 7518 §2 Base64urlUInt), EC coordinates and `d` padded to the field size (RFC 7518
//! §6.2.1.2, §6.2.2.1).

use pkcs8::der::pem::LineEnding;
use pkcs8::{EncodePrivateKey as _, EncodePublicKey as _};
use rsa::traits::PublicKeyParts as _;
use serde_json::Value;

use crate::b64;
use crate::error::{Error, Result};
use crate::json::Object;
use crate::jwk::import::rsa_private_params;
use crate::jwk::{Key, KeyInner, KeyKind};

/// Splits an uncompressed SEC1 point `04 ‖ x ‖ y` into base64url `x` and `y`.
fn ec_xy(sec1: &[u8], size: usize) -> Result<(String, String)> {
    let bad = || Error::Generic("unexpected EC point encoding".into());
    if sec1.first() != Some(&0x04) || sec1.len() != 1 + 2 * size {
        return Err(bad());
    }
    let x = sec1.get(1..=size).ok_or_else(bad)?;
    let y = sec1.get(1 + size..).ok_or_else(bad)?;
    Ok((b64::encode(x), b64::encode(y)))
}

const OID_ED25519: pkcs8::ObjectIdentifier = pkcs8::ObjectIdentifier::new_unwrap("1.3.101.112");

fn encoding_failed(e: impl core::fmt::Display) -> Error {
    Error::Generic(format!("key encoding failed: {e}"))
}

/// Ed25519 SubjectPublicKeyInfo (RFC 8410 §4) as PEM.
fn ed25519_spki_pem(vk: &ed25519_dalek::VerifyingKey) -> Result<String> {
    use pkcs8::der::Encode as _;
    let spki = spki::SubjectPublicKeyInfoRef {
        algorithm: spki::AlgorithmIdentifierRef {
            oid: OID_ED25519,
            parameters: None,
        },
        subject_public_key: pkcs8::der::asn1::BitStringRef::new(0, vk.as_bytes())
            .map_err(encoding_failed)?,
    };
    let der = spki.to_der().map_err(encoding_failed)?;
    pkcs8::der::pem::encode_string("PUBLIC KEY", LineEnding::LF, &der).map_err(encoding_failed)
}

/// Ed25519 OneAsymmetricKey v2 with the public key (RFC 8410 §7, RFC 5958) as PEM.
fn ed25519_pkcs8_pem(sk: &ed25519_dalek::SigningKey) -> Result<String> {
    use pkcs8::der::Encode as _;
    // CurvePrivateKey ::= OCTET STRING, wrapped in the PrivateKey OCTET STRING (RFC 8410 §7).
    let mut inner = zeroize::Zeroizing::new(Vec::with_capacity(34));
    inner.extend_from_slice(&[0x04, 0x20]);
    inner.extend_from_slice(sk.as_bytes());
    let info = pkcs8::PrivateKeyInfoRef {
        algorithm: spki::AlgorithmIdentifierRef {
            oid: OID_ED25519,
            parameters: None,
        },
        private_key: pkcs8::der::asn1::OctetStringRef::new(&inner).map_err(encoding_failed)?,
        // Version 1 (RFC 5208 / RFC 8410 §7 without the public key): OpenSSL 3.0 and Node 20
        // do not read the v2 form.
        public_key: None,
    };
    let der = zeroize::Zeroizing::new(info.to_der().map_err(encoding_failed)?);
    pkcs8::der::pem::encode_string("PRIVATE KEY", LineEnding::LF, &der).map_err(encoding_failed)
}

fn put(obj: &mut Object, name: &str, value: impl Into<String>) {
    obj.insert(name.to_owned(), Value::String(value.into()));
}

impl Key {
    /// The required public members of the key's JWK (RFC 7638 §3.2 plus nothing else), or
    /// `None` for a secret. Used to compare keys (e.g. against an `x5c` leaf).
    pub(crate) fn to_public_members(&self) -> Option<Object> {
        let mut o = Object::new();
        let ec = |o: &mut Object, crv: &str, sec1: &[u8], size: usize| -> Option<()> {
            let (x, y) = ec_xy(sec1, size).ok()?;
            put(o, "kty", "EC");
            put(o, "crv", crv);
            put(o, "x", x);
            put(o, "y", y);
            Some(())
        };
        match &self.inner {
            KeyInner::Oct(_) => return None,
            KeyInner::RsaPublic(k) => {
                put(&mut o, "kty", "RSA");
                put(&mut o, "n", b64::encode(k.n_bytes()));
                put(&mut o, "e", b64::encode(k.e_bytes()));
            }
            KeyInner::RsaPrivate(k) => {
                put(&mut o, "kty", "RSA");
                put(&mut o, "n", b64::encode(k.n_bytes()));
                put(&mut o, "e", b64::encode(k.e_bytes()));
            }
            KeyInner::P256Public(k) => ec(&mut o, "P-256", k.to_sec1_point(false).as_bytes(), 32)?,
            KeyInner::P256Private(k) => ec(
                &mut o,
                "P-256",
                k.verifying_key().to_sec1_point(false).as_bytes(),
                32,
            )?,
            KeyInner::P384Public(k) => ec(&mut o, "P-384", k.to_sec1_point(false).as_bytes(), 48)?,
            KeyInner::P384Private(k) => ec(
                &mut o,
                "P-384",
                k.verifying_key().to_sec1_point(false).as_bytes(),
                48,
            )?,
            KeyInner::P521Public(k) => ec(&mut o, "P-521", k.to_sec1_point(false).as_bytes(), 66)?,
            KeyInner::P521Private(k) => ec(
                &mut o,
                "P-521",
                k.verifying_key().to_sec1_point(false).as_bytes(),
                66,
            )?,
            KeyInner::Ed25519Public(k) => {
                put(&mut o, "kty", "OKP");
                put(&mut o, "crv", "Ed25519");
                put(&mut o, "x", b64::encode(k.as_bytes()));
            }
            KeyInner::Ed25519Private(k) => {
                put(&mut o, "kty", "OKP");
                put(&mut o, "crv", "Ed25519");
                put(&mut o, "x", b64::encode(k.verifying_key().as_bytes()));
            }
        }
        Some(o)
    }

    /// Exports the key as a JWK (RFC 7517 §4): the public members always; the private members
    /// (`d`, `p`, `q`, `dp`, `dq`, `qi` for RSA, RFC 7518 §6.3.2; `d` for EC and OKP, RFC 7518
    /// §6.2.2, RFC 8037 §2; `k` for `oct`, RFC 7518 §6.4) only for an extractable private or
    /// secret key — otherwise [`Error::KeyInvalid`] (use [`Key::to_public_jwk`] for the public
    /// half). `kid`, `alg`, `use`, `key_ops`, `x5c`, `x5t` and `x5t#S256` are included when set.
    pub fn to_jwk(&self) -> Result<Object> {
        if self.kind() != KeyKind::Public && !self.meta.extractable {
            return Err(Error::KeyInvalid(
                "the key is non-extractable: its private or secret material cannot be exported"
                    .into(),
            ));
        }
        let mut o = match &self.inner {
            KeyInner::Oct(k) => {
                let mut o = Object::new();
                put(&mut o, "kty", "oct");
                put(&mut o, "k", b64::encode(k.as_slice()));
                o
            }
            _ => self
                .to_public_members()
                .ok_or_else(|| Error::Generic("the key has no public members".into()))?,
        };
        match &self.inner {
            KeyInner::RsaPrivate(k) => {
                let params = rsa_private_params(k)?;
                for (name, value) in ["d", "p", "q", "dp", "dq", "qi"].iter().zip(params.iter()) {
                    put(&mut o, name, b64::encode(value.as_slice()));
                }
            }
            KeyInner::P256Private(k) => put(&mut o, "d", b64::encode(k.to_bytes())),
            KeyInner::P384Private(k) => put(&mut o, "d", b64::encode(k.to_bytes())),
            KeyInner::P521Private(k) => put(&mut o, "d", b64::encode(k.to_bytes())),
            KeyInner::Ed25519Private(k) => put(&mut o, "d", b64::encode(k.as_bytes())),
            _ => {}
        }
        let m = &self.meta;
        if let Some(kid) = &m.kid {
            put(&mut o, "kid", kid.as_str());
        }
        if let Some(alg) = m.alg {
            put(&mut o, "alg", alg.as_str());
        }
        if let Some(u) = &m.use_ {
            put(&mut o, "use", u.as_str());
        }
        if let Some(ops) = &m.key_ops {
            let mut unique: Vec<Value> = Vec::with_capacity(ops.len());
            for op in ops {
                let v = Value::String(op.clone());
                if !unique.contains(&v) {
                    unique.push(v);
                }
            }
            o.insert("key_ops".to_owned(), Value::Array(unique));
        }
        if let Some(x5c) = &m.x5c {
            o.insert(
                "x5c".to_owned(),
                Value::Array(x5c.iter().cloned().map(Value::String).collect()),
            );
        }
        if let Some(t) = &m.x5t {
            put(&mut o, "x5t", t.as_str());
        }
        if let Some(t) = &m.x5t_s256 {
            put(&mut o, "x5t#S256", t.as_str());
        }
        Ok(o)
    }

    /// Exports the public half of the key as a JWK (RFC 7517 §4), with its metadata; `key_ops`
    /// `sign` becomes `verify`. A secret has no public half ([`Error::KeyInvalid`]).
    pub fn to_public_jwk(&self) -> Result<Object> {
        self.to_public()?.to_jwk()
    }

    /// Exports the public key as an SPKI `PUBLIC KEY` PEM (RFC 5280 §4.1.2.7, RFC 7468 §13);
    /// private keys export their public half. A secret has none ([`Error::KeyInvalid`]).
    pub fn to_spki_pem(&self) -> Result<String> {
        let r = match &self.inner {
            KeyInner::Oct(_) => {
                return Err(Error::KeyInvalid("a secret has no public key".into()));
            }
            KeyInner::RsaPublic(k) => k.to_public_key_pem(LineEnding::LF),
            KeyInner::RsaPrivate(k) => k.as_public_key().to_public_key_pem(LineEnding::LF),
            KeyInner::P256Public(k) => k.to_public_key_pem(LineEnding::LF),
            KeyInner::P256Private(k) => k.verifying_key().to_public_key_pem(LineEnding::LF),
            KeyInner::P384Public(k) => k.to_public_key_pem(LineEnding::LF),
            KeyInner::P384Private(k) => k.verifying_key().to_public_key_pem(LineEnding::LF),
            KeyInner::P521Public(k) => k.to_public_key_pem(LineEnding::LF),
            KeyInner::P521Private(k) => k.verifying_key().to_public_key_pem(LineEnding::LF),
            KeyInner::Ed25519Public(k) => return ed25519_spki_pem(k),
            KeyInner::Ed25519Private(k) => return ed25519_spki_pem(&k.verifying_key()),
        };
        r.map_err(|e| Error::Generic(format!("SPKI encoding failed: {e}")))
    }

    /// Exports a private key as a PKCS#8 `PRIVATE KEY` PEM (RFC 5958, RFC 7468 §10; Ed25519 as
    /// the v2 OneAsymmetricKey with its public key, RFC 8410 §7). Only extractable private keys;
    /// public keys and secrets are [`Error::KeyInvalid`].
    pub fn to_pkcs8_pem(&self) -> Result<String> {
        if self.kind() != KeyKind::Private {
            return Err(Error::KeyInvalid(
                "only private keys can be exported as PKCS#8".into(),
            ));
        }
        if !self.meta.extractable {
            return Err(Error::KeyInvalid(
                "the key is non-extractable: its private material cannot be exported".into(),
            ));
        }
        let r = match &self.inner {
            KeyInner::RsaPrivate(k) => k.to_pkcs8_pem(LineEnding::LF),
            KeyInner::P256Private(k) => k.to_pkcs8_pem(LineEnding::LF),
            KeyInner::P384Private(k) => k.to_pkcs8_pem(LineEnding::LF),
            KeyInner::P521Private(k) => k.to_pkcs8_pem(LineEnding::LF),
            KeyInner::Ed25519Private(k) => return ed25519_pkcs8_pem(k),
            _ => {
                return Err(Error::KeyInvalid(
                    "only private keys can be exported as PKCS#8".into(),
                ));
            }
        };
        r.map(|pem| pem.as_str().to_owned())
            .map_err(|e| Error::Generic(format!("PKCS#8 encoding failed: {e}")))
    }
}
