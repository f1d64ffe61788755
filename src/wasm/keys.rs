//! Keys and key sets across the boundary: import (RFC 7517 §4, RFC 5280, RFC 5208/5958,
//! RFC 7468 PEM), export, thumbprints (RFC 7638, RFC 7517 §4.8–4.9) and generation.
//!
//! A [`WasmKey`] owns a parsed [`Key`]: it is parsed once at import and reused by every sign and
//! verify call.

use serde_json::{Map, Value};
use wasm_bindgen::prelude::*;

use super::{JsResult, js, parse_alg, parse_opt_alg, rng};
use crate::error::Error;
use crate::jwk::pkcs12::{self, Pkcs12};
use crate::jwk::{
    GenerateOptions, JwkSet, Key, KeyKind, ThumbprintHash, X509ThumbprintHash, jwk_thumbprint,
    x509_thumbprint,
};

/// A parsed key (jose's `KeyObject` / `CryptoKey`), wrapped by the JavaScript `KeyObject`.
#[wasm_bindgen]
pub struct WasmKey {
    pub(crate) key: Key,
}

fn wrap(mut key: Key, extractable: Option<bool>) -> WasmKey {
    if let Some(e) = extractable {
        key.meta.extractable = e;
    }
    WasmKey { key }
}

fn thumbprint_hash(digest: &str) -> crate::Result<ThumbprintHash> {
    match digest {
        "sha256" => Ok(ThumbprintHash::Sha256),
        "sha384" => Ok(ThumbprintHash::Sha384),
        "sha512" => Ok(ThumbprintHash::Sha512),
        other => Err(Error::InvalidArgValue(format!(
            "digest must be \"sha256\", \"sha384\" or \"sha512\", got {other:?}"
        ))),
    }
}

fn x509_hash(digest: &str) -> crate::Result<X509ThumbprintHash> {
    match digest {
        "sha1" => Ok(X509ThumbprintHash::Sha1),
        "sha256" => Ok(X509ThumbprintHash::Sha256),
        other => Err(Error::InvalidArgValue(format!(
            "digest must be \"sha1\" or \"sha256\", got {other:?}"
        ))),
    }
}

fn ensure_extractable(key: &Key) -> crate::Result<()> {
    if key.kind() != KeyKind::Public && !key.meta.extractable {
        return Err(Error::InvalidArgValue(
            "a non-extractable key cannot be exported".into(),
        ));
    }
    Ok(())
}

#[wasm_bindgen]
impl WasmKey {
    /// Imports a JWK given as JSON text (RFC 7517 §4); duplicate members are rejected.
    #[wasm_bindgen(js_name = fromJwk)]
    pub fn from_jwk(
        json: &str,
        alg: Option<String>,
        extractable: Option<bool>,
    ) -> JsResult<WasmKey> {
        let alg = js(parse_opt_alg(alg))?;
        Ok(wrap(js(Key::from_jwk_json(json, alg))?, extractable))
    }

    /// Imports raw HMAC secret bytes (RFC 7518 §3.2).
    #[wasm_bindgen(js_name = fromSecret)]
    pub fn from_secret(
        bytes: &[u8],
        alg: Option<String>,
        extractable: Option<bool>,
    ) -> JsResult<WasmKey> {
        let alg = js(parse_opt_alg(alg))?;
        Ok(wrap(js(Key::from_secret(bytes, alg))?, extractable))
    }

    /// Imports a PEM of any supported label (RFC 7468).
    #[wasm_bindgen(js_name = fromPem)]
    pub fn from_pem(
        pem: &str,
        alg: Option<String>,
        extractable: Option<bool>,
    ) -> JsResult<WasmKey> {
        let alg = js(parse_opt_alg(alg))?;
        Ok(wrap(js(Key::from_pem(pem, alg))?, extractable))
    }

    /// Imports a PKCS#8 `PRIVATE KEY` PEM (RFC 5958, jose's `importPKCS8`), or an
    /// `ENCRYPTED PRIVATE KEY` PEM with its passphrase (RFC 5958 §3, RFC 8018 PBES2).
    #[wasm_bindgen(js_name = fromPkcs8)]
    pub fn from_pkcs8(
        pem: &str,
        alg: &str,
        passphrase: Option<String>,
        extractable: Option<bool>,
    ) -> JsResult<WasmKey> {
        let alg = js(parse_alg(alg))?;
        let key = js(Key::from_pkcs8_pem_with_passphrase(
            pem,
            alg,
            passphrase.as_deref(),
        ))?;
        Ok(wrap(key, extractable))
    }

    /// Imports an SPKI `PUBLIC KEY` PEM (RFC 5280 §4.1.2.7, jose's `importSPKI`).
    #[wasm_bindgen(js_name = fromSpki)]
    pub fn from_spki(pem: &str, alg: &str, extractable: Option<bool>) -> JsResult<WasmKey> {
        let alg = js(parse_alg(alg))?;
        Ok(wrap(js(Key::from_spki_pem(pem, alg))?, extractable))
    }

    /// Imports the public key of an X.509 certificate, PEM text or DER bytes (RFC 5280).
    #[wasm_bindgen(js_name = fromX509)]
    pub fn from_x509(
        pem_or_der: &[u8],
        alg: Option<String>,
        extractable: Option<bool>,
    ) -> JsResult<WasmKey> {
        let alg = js(parse_opt_alg(alg))?;
        Ok(wrap(js(Key::from_x509(pem_or_der, alg))?, extractable))
    }

    /// Generates a private key (or an `HS*` secret) bound to `alg` (jose's `generateKeyPair` /
    /// `generateSecret`). `modulus_length` is for RSA (0 = the default, 2048).
    pub fn generate(alg: &str, modulus_length: u32, extractable: bool) -> JsResult<WasmKey> {
        let alg = js(parse_alg(alg))?;
        let mut opts = GenerateOptions {
            extractable,
            ..GenerateOptions::default()
        };
        if modulus_length != 0 {
            opts.modulus_length = modulus_length as usize;
        }
        let mut rng = js(rng())?;
        Ok(WasmKey {
            key: js(Key::generate(alg, &mut rng, opts))?,
        })
    }

    /// The public half of a private key (a copy for a public key; an error for a secret).
    #[wasm_bindgen(js_name = toPublic)]
    pub fn to_public(&self) -> JsResult<WasmKey> {
        Ok(WasmKey {
            key: js(self.key.to_public())?,
        })
    }

    /// The key's properties as JSON: `type`, `kty`, `crv`, `alg`, `kid`, `x5t`, `x5t#S256`,
    /// `extractable` (absent members are omitted).
    pub fn info(&self) -> String {
        let k = &self.key;
        let family = k.family();
        let mut o = Map::new();
        o.insert("type".into(), Value::from(k.kind().as_str()));
        o.insert("kty".into(), Value::from(family.kty()));
        if let Some(crv) = family.crv() {
            o.insert("crv".into(), Value::from(crv));
        }
        if let Some(alg) = k.meta.alg {
            o.insert("alg".into(), Value::from(alg.as_str()));
        }
        if let Some(kid) = &k.meta.kid {
            o.insert("kid".into(), Value::from(kid.as_str()));
        }
        if let Some(x5t) = &k.meta.x5t {
            o.insert("x5t".into(), Value::from(x5t.as_str()));
        }
        if let Some(x5t) = &k.meta.x5t_s256 {
            o.insert("x5t#S256".into(), Value::from(x5t.as_str()));
        }
        let extractable = k.kind() == KeyKind::Public || k.meta.extractable;
        o.insert("extractable".into(), Value::from(extractable));
        Value::Object(o).to_string()
    }

    /// Exports the key as a JWK, JSON text (RFC 7517 §4). Private or secret material needs an
    /// extractable key.
    #[wasm_bindgen(js_name = toJwk)]
    pub fn to_jwk(&self) -> JsResult<String> {
        js(ensure_extractable(&self.key))?;
        Ok(Value::Object(js(self.key.to_jwk())?).to_string())
    }

    /// Exports the public key as an SPKI PEM (RFC 5280 §4.1.2.7, RFC 7468 §13).
    #[wasm_bindgen(js_name = toSpki)]
    pub fn to_spki(&self) -> JsResult<String> {
        js(self.key.to_spki_pem())
    }

    /// Exports the private key as a PKCS#8 PEM (RFC 5958, RFC 7468 §10); needs an extractable
    /// key.
    #[wasm_bindgen(js_name = toPkcs8)]
    pub fn to_pkcs8(&self) -> JsResult<String> {
        js(ensure_extractable(&self.key))?;
        js(self.key.to_pkcs8_pem())
    }

    /// The RFC 7638 thumbprint of the key's public JWK members.
    pub fn thumbprint(&self, digest: &str) -> JsResult<String> {
        let hash = js(thumbprint_hash(digest))?;
        js(self.key.thumbprint(hash))
    }
}

/// RFC 7638 thumbprint of a JWK given as JSON text.
#[wasm_bindgen(js_name = jwkThumbprint)]
pub fn jwk_thumbprint_json(json: &str, digest: &str) -> JsResult<String> {
    let hash = js(thumbprint_hash(digest))?;
    let jwk = js(crate::json::parse_object_with(
        json.as_bytes(),
        "the JWK",
        Error::JwkInvalid,
    ))?;
    js(jwk_thumbprint(&jwk, hash))
}

/// base64url thumbprint of an X.509 certificate (PEM text or DER), as in `x5t` / `x5t#S256`
/// (RFC 7517 §4.8–4.9).
#[wasm_bindgen(js_name = x509Thumbprint)]
pub fn x509_thumbprint_bytes(pem_or_der: &[u8], digest: &str) -> JsResult<String> {
    let hash = js(x509_hash(digest))?;
    js(x509_thumbprint(pem_or_der, hash))
}

/// A parsed JWK Set (RFC 7517 §5), behind the JavaScript `createLocalJWKSet` function.
#[wasm_bindgen]
pub struct WasmJwkSet {
    pub(crate) set: JwkSet,
}

#[wasm_bindgen]
impl WasmJwkSet {
    /// Parses a JWK Set from JSON text (RFC 7517 §5).
    #[wasm_bindgen(js_name = fromJson)]
    pub fn from_json(json: &str) -> JsResult<WasmJwkSet> {
        Ok(WasmJwkSet {
            set: js(JwkSet::from_json(json))?,
        })
    }

    /// The number of usable keys.
    #[wasm_bindgen(getter)]
    pub fn length(&self) -> u32 {
        u32::try_from(self.set.keys().len()).unwrap_or(u32::MAX)
    }

    /// A copy of the key at `index` (an index returned by [`WasmJwkSet::select`] or a verify
    /// function).
    #[wasm_bindgen(js_name = keyAt)]
    pub fn key_at(&self, index: u32) -> JsResult<WasmKey> {
        let key = self
            .set
            .keys()
            .get(index as usize)
            .ok_or_else(|| Error::InvalidArgValue("key index out of range".into()));
        Ok(WasmKey {
            key: js(key)?.clone(),
        })
    }

    /// Selects the single key for `alg` and `kid` (RFC 7515 §4.1.4); returns its index.
    /// No key is `JWKSNoMatchingKey`, several are `JWKSMultipleMatchingKeys`.
    pub fn select(&self, alg: &str, kid: Option<String>) -> JsResult<u32> {
        let alg = js(parse_alg(alg))?;
        let key = js(self.set.select(alg, kid.as_deref()))?;
        Ok(self.index_of(key).unwrap_or(u32::MAX))
    }
}

impl WasmJwkSet {
    /// The index of `key` (a reference into this set) in [`JwkSet::keys`].
    pub(crate) fn index_of(&self, key: &Key) -> Option<u32> {
        self.set
            .keys()
            .iter()
            .position(|k| core::ptr::eq(k, key))
            .and_then(|i| u32::try_from(i).ok())
    }
}

/// The content of a PKCS#12 file (RFC 7292), behind the JavaScript `importPKCS12`.
#[wasm_bindgen]
pub struct WasmPkcs12 {
    parsed: Pkcs12,
}

#[wasm_bindgen]
impl WasmPkcs12 {
    /// Parses a PKCS#12 file protected by `password` (MAC verified first). `alg`, when given,
    /// binds both keys; `extractable` applies to the private key.
    pub fn parse(
        bytes: &[u8],
        password: &str,
        alg: Option<String>,
        extractable: Option<bool>,
    ) -> JsResult<WasmPkcs12> {
        let alg = js(parse_opt_alg(alg))?;
        let mut parsed = js(pkcs12::parse(bytes, password, alg))?;
        if let Some(e) = extractable {
            parsed.private_key.meta.extractable = e;
        }
        Ok(WasmPkcs12 { parsed })
    }

    /// The private key.
    #[wasm_bindgen(js_name = privateKey)]
    pub fn private_key(&self) -> WasmKey {
        WasmKey {
            key: self.parsed.private_key.clone(),
        }
    }

    /// The leaf certificate's public key (with `x5c`, `x5t`, `x5t#S256`).
    pub fn certificate(&self) -> WasmKey {
        WasmKey {
            key: self.parsed.certificate.clone(),
        }
    }

    /// Every certificate as PEM, leaf first.
    pub fn chain(&self) -> Vec<String> {
        self.parsed.chain_pem()
    }
}
