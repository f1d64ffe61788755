//! JWK thumbprints (RFC 7638; OKP members from RFC 8037 §2) and X.509 certificate thumbprints
//! (the `x5t` / `x5t#S256` values of RFC 7517 §4.8, §4.9).

use serde_json::Value;
use sha1::Sha1;
use sha2::{Digest as _, Sha256, Sha384, Sha512};

use crate::b64;
use crate::error::{Error, Result};
use crate::json::Object;
use crate::jwk::import::certificates_from_input;
use crate::jwk::{Key, KeyInner};

/// Hash for RFC 7638 JWK thumbprints (RFC 7638 §3.1 uses SHA-256).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThumbprintHash {
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

/// Hash for X.509 certificate thumbprints (RFC 7517 §4.8, §4.9).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum X509ThumbprintHash {
    /// SHA-1 (`x5t`, RFC 7517 §4.8).
    Sha1,
    /// SHA-256 (`x5t#S256`, RFC 7517 §4.9).
    Sha256,
}

/// The RFC 7638 §3.2 required members of each key type, already in lexicographic order.
fn required_members(kty: &str) -> Result<&'static [&'static str]> {
    match kty {
        "RSA" => Ok(&["e", "kty", "n"]),
        "EC" => Ok(&["crv", "kty", "x", "y"]),
        "OKP" => Ok(&["crv", "kty", "x"]),
        "oct" => Ok(&["k", "kty"]),
        other => Err(Error::NotSupported(format!(
            "unsupported JWK \"kty\" value: {other:?}"
        ))),
    }
}

/// The RFC 7638 §3.3 canonical JSON of a JWK: its required members only, in lexicographic order,
/// without whitespace. Every required member must be a string ([`Error::JwkInvalid`]).
pub(crate) fn canonical_json(jwk: &Object) -> Result<String> {
    let kty = match jwk.get("kty") {
        Some(Value::String(s)) => s.as_str(),
        Some(_) => return Err(Error::JwkInvalid("the JWK \"kty\" must be a string".into())),
        None => {
            return Err(Error::JwkInvalid(
                "the JWK \"kty\" member is missing".into(),
            ));
        }
    };
    let mut out = String::from("{");
    for (i, name) in required_members(kty)?.iter().enumerate() {
        let value = match jwk.get(*name) {
            Some(Value::String(s)) => s,
            Some(_) => {
                return Err(Error::JwkInvalid(format!(
                    "the JWK \"{name}\" member must be a string"
                )));
            }
            None => {
                return Err(Error::JwkInvalid(format!(
                    "the JWK \"{name}\" member is missing"
                )));
            }
        };
        if i > 0 {
            out.push(',');
        }
        // Member names are ASCII; values are JSON-escaped by serde_json (RFC 7638 §3.3).
        out.push('"');
        out.push_str(name);
        out.push_str("\":");
        let escaped = serde_json::to_string(value)
            .map_err(|e| Error::Generic(format!("JSON encoding failed: {e}")))?;
        out.push_str(&escaped);
    }
    out.push('}');
    Ok(out)
}

fn digest(hash: ThumbprintHash, data: &[u8]) -> String {
    match hash {
        ThumbprintHash::Sha256 => b64::encode(Sha256::digest(data)),
        ThumbprintHash::Sha384 => b64::encode(Sha384::digest(data)),
        ThumbprintHash::Sha512 => b64::encode(Sha512::digest(data)),
    }
}

/// RFC 7638 §3 thumbprint of a JWK: base64url of the hash of its canonical required-member JSON
/// (RFC 7638 §3.2–3.3; `OKP` per RFC 8037 §2). Only the required members are read, and they must
/// be strings ([`Error::JwkInvalid`]); an unknown `kty` is [`Error::NotSupported`].
pub fn jwk_thumbprint(jwk: &Object, hash: ThumbprintHash) -> Result<String> {
    Ok(digest(hash, canonical_json(jwk)?.as_bytes()))
}

impl Key {
    /// The key's RFC 7638 §3 thumbprint. A public and a private key of the same pair have the
    /// same thumbprint; a secret's is computed from `k` (a digest, not the secret itself).
    pub fn thumbprint(&self, hash: ThumbprintHash) -> Result<String> {
        let members = match &self.inner {
            KeyInner::Oct(k) => {
                let mut o = Object::new();
                o.insert("kty".into(), Value::String("oct".into()));
                o.insert("k".into(), Value::String(b64::encode(k.as_slice())));
                o
            }
            _ => self
                .to_public_members()
                .ok_or_else(|| Error::Generic("the key has no public members".into()))?,
        };
        jwk_thumbprint(&members, hash)
    }
}

/// base64url of the SHA-1 (`x5t`, RFC 7517 §4.8) or SHA-256 (`x5t#S256`, RFC 7517 §4.9) digest
/// of a certificate's DER. Accepts PEM text (the first `CERTIFICATE` block) or DER bytes; the
/// input must parse as an X.509 certificate (RFC 5280 §4.1), else [`Error::KeyInvalid`].
pub fn x509_thumbprint(pem_or_der: &[u8], hash: X509ThumbprintHash) -> Result<String> {
    let certs = certificates_from_input(pem_or_der)?;
    let leaf = certs
        .first()
        .ok_or_else(|| Error::KeyInvalid("no certificate found".into()))?;
    Ok(match hash {
        X509ThumbprintHash::Sha1 => b64::encode(Sha1::digest(leaf.as_slice())),
        X509ThumbprintHash::Sha256 => b64::encode(Sha256::digest(leaf.as_slice())),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(json: &str) -> Object {
        crate::json::parse_object_with(json.as_bytes(), "t", Error::JwkInvalid).unwrap()
    }

    #[test]
    fn canonical_form_orders_and_drops_members() {
        let j = obj(r#"{"y":"Y","x":"X","kid":"k","kty":"EC","crv":"P-256","d":"D"}"#);
        assert_eq!(
            canonical_json(&j).unwrap(),
            r#"{"crv":"P-256","kty":"EC","x":"X","y":"Y"}"#
        );
        let j = obj(r#"{"kty":"oct","k":"a\"b"}"#);
        assert_eq!(canonical_json(&j).unwrap(), r#"{"k":"a\"b","kty":"oct"}"#);
    }

    #[test]
    fn wrong_types_and_missing_members_are_errors() {
        let code = |j: &str| {
            jwk_thumbprint(&obj(j), ThumbprintHash::Sha256)
                .err()
                .map(|e| e.code())
        };
        assert_eq!(
            code(r#"{"kty":"RSA","n":"AQAB","e":1}"#),
            Some("ERR_JWK_INVALID")
        );
        assert_eq!(code(r#"{"kty":"RSA","n":"AQAB"}"#), Some("ERR_JWK_INVALID"));
        assert_eq!(code(r#"{"kty":1}"#), Some("ERR_JWK_INVALID"));
        assert_eq!(code(r#"{"n":"x"}"#), Some("ERR_JWK_INVALID"));
        assert_eq!(code(r#"{"kty":"XYZ"}"#), Some("ERR_JOSE_NOT_SUPPORTED"));
        assert_eq!(code(r#"{"kty":"oct","k":"AA"}"#), None);
    }

    #[test]
    fn hash_sizes() {
        let j = obj(r#"{"kty":"oct","k":"AA"}"#);
        for (h, len) in [
            (ThumbprintHash::Sha256, 43),
            (ThumbprintHash::Sha384, 64),
            (ThumbprintHash::Sha512, 86),
        ] {
            assert_eq!(jwk_thumbprint(&j, h).unwrap().len(), len);
        }
    }

    #[test]
    fn x509_thumbprint_rejects_garbage() {
        for bad in [
            &b""[..],
            b"\x30\x03\x02\x01\x00",
            b"-----BEGIN CERTIFICATE-----\nAA==\n",
        ] {
            assert_eq!(
                x509_thumbprint(bad, X509ThumbprintHash::Sha1)
                    .err()
                    .map(|e| e.code()),
                Some("ERR_KEY_INVALID")
            );
        }
    }
}
