//! Key import from JWK (RFC 7517 §4, RFC 7518 §6, RFC 8037 §2), PEM (RFC 7468), PKCS#8
//! (RFC 5208, RFC 5958), PKCS#1 (RFC 8017 App. A.1), SEC1 (RFC 5915), SPKI (RFC 5280 §4.1.2.7)
//! and X.509 certificates (RFC 5280).
//!
//! Every input is size-limited before parsing, every base64url member is decoded strictly, and
//! every key is validated (RSA CRT consistency, EC points on the curve, private parts matching
//! public parts). RSA moduli below 2048 bits are refused at import (RFC 7518 §3.3, security.md
//! row 2). Nothing here panics on malformed input: each failure is an [`Error`] with a stable code.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use der::{Decode as _, Encode as _};
use serde_json::Value;
use sha1::Sha1;
use sha2::{Digest as _, Sha256};
use spki::ObjectIdentifier;
use zeroize::Zeroizing;

use crate::b64;
use crate::error::{Error, Result};
use crate::json::{self, Object};
use crate::jwa::{Alg, Family, MIN_RSA_BITS};
use crate::jwk::{Key, KeyInner};

/// Largest JWK accepted by [`Key::from_jwk_json`], in bytes.
pub const MAX_JWK_JSON_BYTES: usize = 64 * 1024;
/// Largest PEM, DER or certificate input accepted, in bytes.
pub const MAX_PEM_BYTES: usize = 1024 * 1024;
/// Largest RSA modulus accepted, in bits (the `rsa` crate's default limit).
pub const MAX_RSA_BITS: usize = 8192;

const OID_RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const OID_RSASSA_PSS: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.10");
const OID_EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const OID_P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const OID_P384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");
const OID_P521: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.35");
const OID_ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");

// ---------------------------------------------------------------------------------------------
// JWK
// ---------------------------------------------------------------------------------------------

impl Key {
    /// Imports a JWK (RFC 7517 §4; key types of RFC 7518 §6 and RFC 8037 §2).
    ///
    /// Supported: `RSA` (public, or private with `d`, `p`, `q`; `dp`, `dq`, `qi` are checked when
    /// present; multi-prime `oth` is [`Error::NotSupported`]), `EC` on P-256, P-384 and P-521
    /// (point validated, `d` must match), `OKP` Ed25519, and `oct`. Every binary member must be
    /// strict base64url. The `alg` member must name a signature algorithm of the key's family
    /// (unknown names are [`Error::NotSupported`], mismatches [`Error::JwkInvalid`]); `alg`, when
    /// given, must agree with it and binds the key. `kid`, `use`, `key_ops`, `x5c`, `x5t`,
    /// `x5t#S256` and `ext` are validated and kept in [`Key::meta`]. RSA moduli below 2048 bits are
    /// [`Error::KeyInvalid`] (RFC 7518 §3.3).
    pub fn from_jwk(jwk: &Object, alg: Option<Alg>) -> Result<Key> {
        let kty = req_str(jwk, "kty")?;
        let inner = match kty {
            "RSA" => rsa_from_jwk(jwk)?,
            "EC" => ec_from_jwk(jwk)?,
            "OKP" => okp_from_jwk(jwk)?,
            "oct" => {
                let k = req_b64(jwk, "k")?;
                if k.is_empty() {
                    return Err(Error::JwkInvalid(
                        "the \"k\" member of an \"oct\" JWK must not be empty".into(),
                    ));
                }
                KeyInner::Oct(k)
            }
            other => {
                return Err(Error::NotSupported(format!(
                    "unsupported JWK \"kty\" value: {other:?}"
                )));
            }
        };
        let mut key = Key::from_inner(inner);
        check_rsa_size(&key)?;
        let family = key.family();

        // alg (RFC 7517 §4.4)
        let member_alg = match opt_str(jwk, "alg")? {
            Some(name) => {
                let a: Alg = name.parse()?;
                if a.family() != family {
                    return Err(Error::JwkInvalid(format!(
                        "the JWK \"alg\" {a} does not match its key type"
                    )));
                }
                Some(a)
            }
            None => None,
        };
        if let Some(a) = alg {
            if a.family() != family {
                return Err(Error::JwkInvalid(format!(
                    "the JWK cannot be used with {a}: wrong key type"
                )));
            }
            if let Some(m) = member_alg
                && m != a
            {
                return Err(Error::JwkInvalid(format!(
                    "the JWK \"alg\" is {m}, not the requested {a}"
                )));
            }
        }
        key.meta.alg = member_alg.or(alg);

        // use, key_ops, kid (RFC 7517 §4.2, §4.3, §4.5)
        key.meta.use_ = opt_str(jwk, "use")?.map(str::to_owned);
        key.meta.key_ops = match jwk.get("key_ops") {
            None => None,
            Some(Value::Array(items)) => {
                let mut ops: Vec<String> = Vec::with_capacity(items.len());
                for item in items {
                    let Value::String(op) = item else {
                        return Err(Error::JwkInvalid(
                            "the JWK \"key_ops\" must be an array of strings".into(),
                        ));
                    };
                    if ops.contains(op) {
                        return Err(Error::JwkInvalid(format!(
                            "the JWK \"key_ops\" lists {op:?} twice"
                        )));
                    }
                    ops.push(op.clone());
                }
                Some(ops)
            }
            Some(_) => {
                return Err(Error::JwkInvalid(
                    "the JWK \"key_ops\" must be an array of strings".into(),
                ));
            }
        };
        key.meta.kid = opt_str(jwk, "kid")?.map(str::to_owned);

        // x5c, x5t, x5t#S256 (RFC 7517 §4.7–4.9)
        let x5c_leaf = match jwk.get("x5c") {
            None => None,
            Some(Value::Array(items)) if !items.is_empty() => {
                let mut chain = Vec::with_capacity(items.len());
                let mut leaf = None;
                for item in items {
                    let Value::String(s) = item else {
                        return Err(Error::JwkInvalid(
                            "the JWK \"x5c\" must be an array of base64 strings".into(),
                        ));
                    };
                    let der = STANDARD.decode(s.as_bytes()).map_err(|_| {
                        Error::JwkInvalid("a JWK \"x5c\" entry is not valid base64".into())
                    })?;
                    if leaf.is_none() {
                        leaf = Some(der);
                    }
                    chain.push(s.clone());
                }
                key.meta.x5c = Some(chain);
                leaf
            }
            Some(_) => {
                return Err(Error::JwkInvalid(
                    "the JWK \"x5c\" must be a non-empty array of base64 strings".into(),
                ));
            }
        };
        key.meta.x5t = opt_thumbprint(jwk, "x5t", 20)?;
        key.meta.x5t_s256 = opt_thumbprint(jwk, "x5t#S256", 32)?;
        if let Some(leaf) = x5c_leaf {
            check_x5c_leaf(&key, &leaf)?;
        }

        // ext (RFC 7517 §8.1.1 registry, WebCrypto)
        match jwk.get("ext") {
            None => {}
            Some(Value::Bool(b)) => key.meta.extractable = *b,
            Some(_) => {
                return Err(Error::JwkInvalid(
                    "the JWK \"ext\" member must be a boolean".into(),
                ));
            }
        }
        Ok(key)
    }

    /// Imports a JWK given as JSON text (RFC 7517 §4). The text is limited to 64 KiB and parsed
    /// strictly: duplicate member names are [`Error::JwkInvalid`] (security.md row 13).
    pub fn from_jwk_json(json: &str, alg: Option<Alg>) -> Result<Key> {
        if json.len() > MAX_JWK_JSON_BYTES {
            return Err(Error::JwkInvalid(format!(
                "a JWK larger than {MAX_JWK_JSON_BYTES} bytes is not accepted"
            )));
        }
        let obj = json::parse_object_with(json.as_bytes(), "the JWK", Error::JwkInvalid)?;
        Key::from_jwk(&obj, alg)
    }

    /// Imports a raw HMAC secret (RFC 7518 §3.2; the `k` of an `oct` JWK, RFC 7518 §6.4.1). The
    /// secret must not be empty; `alg`, when given, must be an `HS*` algorithm and binds the key.
    /// The minimum length for the hash is checked when the key is used.
    pub fn from_secret(bytes: &[u8], alg: Option<Alg>) -> Result<Key> {
        if bytes.is_empty() {
            return Err(Error::KeyInvalid("an HMAC secret must not be empty".into()));
        }
        let mut key = Key::from_inner(KeyInner::Oct(Zeroizing::new(bytes.to_vec())));
        bind_alg(&mut key, alg)?;
        Ok(key)
    }

    /// Imports any supported PEM document (RFC 7468): `PRIVATE KEY` (PKCS#8 v1/v2, RFC 5958),
    /// `RSA PRIVATE KEY` / `RSA PUBLIC KEY` (PKCS#1, RFC 8017 App. A.1), `EC PRIVATE KEY` (SEC1,
    /// RFC 5915; a preceding `EC PARAMETERS` block is skipped), `PUBLIC KEY` (SPKI, RFC 5280) and
    /// `CERTIFICATE` (the first certificate is the leaf; see [`Key::from_x509`]).
    /// `ENCRYPTED PRIVATE KEY` and encrypted legacy PEM are [`Error::NotSupported`]. Text around
    /// the blocks and CRLF line endings are tolerated; anything malformed is
    /// [`Error::KeyInvalid`]. When `alg` is given, the key must belong to its family and is bound
    /// to it.
    pub fn from_pem(pem: &str, alg: Option<Alg>) -> Result<Key> {
        check_input_size(pem.len())?;
        let blocks = parse_pem(pem)?;
        let Some(first) = blocks.iter().find(|b| b.label != "EC PARAMETERS") else {
            return Err(Error::KeyInvalid(
                "the PEM text holds no key or certificate".into(),
            ));
        };
        if first.encrypted {
            return Err(Error::NotSupported(
                "encrypted PEM private keys are not supported".into(),
            ));
        }
        let inner = match first.label.as_str() {
            "PRIVATE KEY" => inner_from_pkcs8_der(&first.der)?,
            "ENCRYPTED PRIVATE KEY" => {
                return Err(Error::NotSupported(
                    "an encrypted PKCS#8 private key needs its passphrase: use \
                     Key::from_encrypted_pkcs8_pem (importPKCS8 with { passphrase })"
                        .into(),
                ));
            }
            "RSA PRIVATE KEY" => {
                use rsa::pkcs1::DecodeRsaPrivateKey as _;
                let k = rsa::RsaPrivateKey::from_pkcs1_der(&first.der)
                    .map_err(|_| key_invalid("the PKCS#1 RSA private key is malformed"))?;
                KeyInner::RsaPrivate(Box::new(k))
            }
            "RSA PUBLIC KEY" => {
                use rsa::pkcs1::DecodeRsaPublicKey as _;
                let k = rsa::RsaPublicKey::from_pkcs1_der(&first.der)
                    .map_err(|_| key_invalid("the PKCS#1 RSA public key is malformed"))?;
                KeyInner::RsaPublic(k)
            }
            "EC PRIVATE KEY" => {
                // A curve named by a preceding `EC PARAMETERS` block, for keys that omit it.
                let hint = blocks
                    .iter()
                    .find(|b| b.label == "EC PARAMETERS")
                    .and_then(|b| sec1::EcParameters::from_der(&b.der).ok())
                    .and_then(sec1::EcParameters::named_curve);
                inner_from_sec1_der(&first.der, hint, false)?
            }
            "PUBLIC KEY" => inner_from_spki_der(&first.der)?,
            "CERTIFICATE" => {
                let chain: Vec<&[u8]> = blocks
                    .iter()
                    .filter(|b| b.label == "CERTIFICATE")
                    .map(|b| b.der.as_slice())
                    .collect();
                return key_from_cert_chain(&chain, alg);
            }
            other => {
                return Err(Error::NotSupported(format!(
                    "unsupported PEM label {other:?}"
                )));
            }
        };
        finish(inner, alg)
    }

    /// Imports a PKCS#8 `PRIVATE KEY` PEM (RFC 5958, RFC 7468 §10), as jose's `importPKCS8`: the
    /// first block must carry exactly that label, and the key must belong to `alg`'s family
    /// ([`Error::KeyInvalid`] otherwise). The key is bound to `alg`.
    pub fn from_pkcs8_pem(pem: &str, alg: Alg) -> Result<Key> {
        check_input_size(pem.len())?;
        let blocks = parse_pem(pem)?;
        match blocks.first() {
            Some(b) if b.label == "PRIVATE KEY" => finish(inner_from_pkcs8_der(&b.der)?, Some(alg)),
            Some(b) if b.label == "ENCRYPTED PRIVATE KEY" => Err(Error::NotSupported(
                "an encrypted PKCS#8 private key needs its passphrase: use \
                 Key::from_encrypted_pkcs8_pem or Key::from_pkcs8_pem_with_passphrase"
                    .into(),
            )),
            _ => Err(key_invalid(
                "expected a PKCS#8 PEM document (\"-----BEGIN PRIVATE KEY-----\")",
            )),
        }
    }

    /// Imports an SPKI `PUBLIC KEY` PEM (RFC 5280 §4.1.2.7, RFC 7468 §13), as jose's
    /// `importSPKI`: the first block must carry exactly that label, and the key must belong to
    /// `alg`'s family ([`Error::KeyInvalid`] otherwise). The key is bound to `alg`.
    pub fn from_spki_pem(pem: &str, alg: Alg) -> Result<Key> {
        check_input_size(pem.len())?;
        let blocks = parse_pem(pem)?;
        match blocks.first() {
            Some(b) if b.label == "PUBLIC KEY" => finish(inner_from_spki_der(&b.der)?, Some(alg)),
            _ => Err(key_invalid(
                "expected an SPKI PEM document (\"-----BEGIN PUBLIC KEY-----\")",
            )),
        }
    }

    /// Imports the public key of an X.509 certificate (RFC 5280 §4.1) given as PEM / `.crt` text
    /// (every `CERTIFICATE` block, leaf first) or as raw DER bytes. Sets `x5c` (RFC 7517 §4.7) to
    /// the certificates' base64 DER, and `x5t` / `x5t#S256` (RFC 7517 §4.8, §4.9) to the leaf's
    /// SHA-1 / SHA-256 thumbprints. The certificate is parsed, not validated (no chain or date
    /// checks). `alg`, when given, must match the key's family and binds it.
    pub fn from_x509(pem_or_der: &[u8], alg: Option<Alg>) -> Result<Key> {
        let certs = certificates_from_input(pem_or_der)?;
        let chain: Vec<&[u8]> = certs.iter().map(|c| c.as_slice()).collect();
        key_from_cert_chain(&chain, alg)
    }
}

// ---------------------------------------------------------------------------------------------
// JWK helpers
// ---------------------------------------------------------------------------------------------

fn opt_str<'a>(jwk: &'a Object, name: &str) -> Result<Option<&'a str>> {
    match jwk.get(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(Error::JwkInvalid(format!(
            "the JWK \"{name}\" member must be a string"
        ))),
    }
}

fn req_str<'a>(jwk: &'a Object, name: &str) -> Result<&'a str> {
    opt_str(jwk, name)?
        .ok_or_else(|| Error::JwkInvalid(format!("the JWK \"{name}\" member is missing")))
}

fn opt_b64(jwk: &Object, name: &str) -> Result<Option<Zeroizing<Vec<u8>>>> {
    match opt_str(jwk, name)? {
        None => Ok(None),
        Some(s) => {
            let bytes =
                b64::decode_with(s, &format!("the JWK \"{name}\" member"), Error::JwkInvalid)?;
            Ok(Some(Zeroizing::new(bytes)))
        }
    }
}

fn req_b64(jwk: &Object, name: &str) -> Result<Zeroizing<Vec<u8>>> {
    opt_b64(jwk, name)?
        .ok_or_else(|| Error::JwkInvalid(format!("the JWK \"{name}\" member is missing")))
}

fn opt_thumbprint(jwk: &Object, name: &str, len: usize) -> Result<Option<String>> {
    match opt_b64(jwk, name)? {
        None => Ok(None),
        Some(bytes) if bytes.len() == len => Ok(opt_str(jwk, name)?.map(str::to_owned)),
        Some(_) => Err(Error::JwkInvalid(format!(
            "the JWK \"{name}\" member must be a {len}-byte digest"
        ))),
    }
}

/// Strips leading zero octets (a Base64urlUInt, RFC 7518 §2, is minimal; some producers pad).
fn trim_zeros(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    bytes.get(start..).unwrap_or_default()
}

/// Bit length of a big-endian unsigned integer without leading zeros.
fn bit_len(trimmed: &[u8]) -> usize {
    match trimmed.first() {
        None => 0,
        Some(first) => (trimmed.len() - 1) * 8 + (8 - first.leading_zeros() as usize),
    }
}

/// RSA keys (RFC 7518 §6.3).
fn rsa_from_jwk(jwk: &Object) -> Result<KeyInner> {
    if jwk.contains_key("oth") {
        return Err(Error::NotSupported(
            "multi-prime RSA keys (\"oth\") are not supported".into(),
        ));
    }
    let n_raw = req_b64(jwk, "n")?;
    let e_raw = req_b64(jwk, "e")?;
    let n = trim_zeros(&n_raw);
    let e = trim_zeros(&e_raw);
    let bits = bit_len(n);
    if bits < MIN_RSA_BITS {
        return Err(Error::KeyInvalid(format!(
            "RSA keys must have a modulus of at least {MIN_RSA_BITS} bits, this one has {bits}"
        )));
    }
    if bits > MAX_RSA_BITS {
        return Err(Error::KeyInvalid(format!(
            "RSA moduli larger than {MAX_RSA_BITS} bits are not accepted"
        )));
    }
    if e.is_empty() || e.len() > n.len() {
        return Err(Error::JwkInvalid(
            "the RSA public exponent is invalid".into(),
        ));
    }
    let n_uint = rsa::BoxedUint::from_be_slice_vartime(n);
    let e_uint = rsa::BoxedUint::from_be_slice_vartime(e);

    let d = opt_b64(jwk, "d")?;
    let Some(d) = d else {
        for m in ["p", "q", "dp", "dq", "qi"] {
            if jwk.contains_key(m) {
                return Err(Error::JwkInvalid(format!(
                    "the RSA JWK has \"{m}\" but no \"d\""
                )));
            }
        }
        let k = rsa::RsaPublicKey::new(n_uint, e_uint)
            .map_err(|_| Error::JwkInvalid("the RSA public key is invalid".into()))?;
        return Ok(KeyInner::RsaPublic(k));
    };
    let p = opt_b64(jwk, "p")?;
    let q = opt_b64(jwk, "q")?;
    let (p, q) = match (p, q) {
        (Some(p), Some(q)) => (p, q),
        (None, None) => {
            return Err(Error::NotSupported(
                "RSA private JWKs without the primes \"p\" and \"q\" are not supported".into(),
            ));
        }
        _ => {
            return Err(Error::JwkInvalid(
                "an RSA private JWK needs both \"p\" and \"q\"".into(),
            ));
        }
    };
    // Storage width for secrets: chosen from the public modulus length only.
    let precision = u32::try_from(n.len() * 8)
        .map_err(|_| Error::JwkInvalid("the RSA modulus is too large".into()))?;
    let secret = |bytes: &[u8], name: &str| {
        let t = trim_zeros(bytes);
        if t.is_empty() {
            return Err(Error::JwkInvalid(format!(
                "the RSA \"{name}\" must not be zero"
            )));
        }
        rsa::BoxedUint::from_be_slice(t, precision).map_err(|_| {
            Error::JwkInvalid(format!("the RSA \"{name}\" is larger than the modulus"))
        })
    };
    let d_uint = secret(&d, "d")?;
    let p_uint = secret(&p, "p")?;
    let q_uint = secret(&q, "q")?;
    let key = rsa::RsaPrivateKey::from_components(n_uint, e_uint, d_uint, vec![p_uint, q_uint])
        .map_err(|_| Error::JwkInvalid("the RSA private key parameters are inconsistent".into()))?;

    // dp, dq, qi are optional, but must be right when present (RFC 7518 §6.3.2.4–6.3.2.6).
    let crt = ["dp", "dq", "qi"]
        .into_iter()
        .map(|m| opt_b64(jwk, m))
        .collect::<Result<Vec<_>>>()?;
    if crt.iter().any(Option::is_some) {
        let computed = rsa_private_params(&key)?;
        let crt_computed = computed.get(3..).unwrap_or_default();
        for ((name, given), expected) in ["dp", "dq", "qi"].iter().zip(&crt).zip(crt_computed) {
            if let Some(given) = given {
                let ok: bool =
                    subtle::ConstantTimeEq::ct_eq(trim_zeros(given), trim_zeros(expected)).into();
                if !ok {
                    return Err(Error::JwkInvalid(format!(
                        "the RSA \"{name}\" does not match the key"
                    )));
                }
            }
        }
    }
    Ok(KeyInner::RsaPrivate(Box::new(key)))
}

/// The private parameters `[d, p, q, dp, dq, qi]` of an RSA key (RFC 7518 §6.3.2, RFC 8017
/// §3.2), each as a minimal big-endian integer, read back from the key's PKCS#1 encoding.
pub(crate) fn rsa_private_params(key: &rsa::RsaPrivateKey) -> Result<[Zeroizing<Vec<u8>>; 6]> {
    use rsa::pkcs1::EncodeRsaPrivateKey as _;
    let der = key
        .to_pkcs1_der()
        .map_err(|_| Error::KeyInvalid("the RSA private key cannot be encoded".into()))?;
    let parsed = pkcs1::RsaPrivateKeyRef::from_der(der.as_bytes())
        .map_err(|_| Error::KeyInvalid("the RSA private key cannot be encoded".into()))?;
    let own = |u: pkcs1::UintRef<'_>| Zeroizing::new(u.as_bytes().to_vec());
    Ok([
        own(parsed.private_exponent),
        own(parsed.prime1),
        own(parsed.prime2),
        own(parsed.exponent1),
        own(parsed.exponent2),
        own(parsed.coefficient),
    ])
}

/// Builds EC key material from JWK coordinates (RFC 7518 §6.2): `x`, `y` (and `d`) must be
/// exactly the field (scalar) size; the point must be on the curve; `d` must match it.
macro_rules! ec_key {
    ($curve:ident, $size:expr, $x:expr, $y:expr, $d:expr, $pub_variant:ident, $priv_variant:ident) => {{
        let (x, y, d): (&[u8], &[u8], Option<&[u8]>) = ($x, $y, $d);
        if x.len() != $size || y.len() != $size {
            return Err(Error::JwkInvalid(format!(
                "the EC \"x\" and \"y\" members must be {} bytes",
                $size
            )));
        }
        let mut sec1 = Vec::with_capacity(1 + 2 * $size);
        sec1.push(0x04);
        sec1.extend_from_slice(x);
        sec1.extend_from_slice(y);
        let vk = $curve::ecdsa::VerifyingKey::from_sec1_bytes(&sec1)
            .map_err(|_| Error::JwkInvalid("the EC point is not on the curve".into()))?;
        match d {
            None => KeyInner::$pub_variant(vk),
            Some(d) => {
                if d.len() != $size {
                    return Err(Error::JwkInvalid(format!(
                        "the EC \"d\" member must be {} bytes",
                        $size
                    )));
                }
                let sk = $curve::ecdsa::SigningKey::from_slice(d)
                    .map_err(|_| Error::JwkInvalid("the EC private key is out of range".into()))?;
                if *sk.verifying_key() != vk {
                    return Err(Error::JwkInvalid(
                        "the EC \"d\" does not match \"x\" and \"y\"".into(),
                    ));
                }
                KeyInner::$priv_variant(Box::new(sk))
            }
        }
    }};
}

fn ec_from_jwk(jwk: &Object) -> Result<KeyInner> {
    let crv = req_str(jwk, "crv")?;
    if !matches!(crv, "P-256" | "P-384" | "P-521") {
        return Err(Error::NotSupported(format!("unsupported EC curve {crv:?}")));
    }
    let x = req_b64(jwk, "x")?;
    let y = req_b64(jwk, "y")?;
    let d = opt_b64(jwk, "d")?;
    let d = d.as_ref().map(|d| d.as_slice());
    Ok(match crv {
        "P-256" => ec_key!(p256, 32, &x, &y, d, P256Public, P256Private),
        "P-384" => ec_key!(p384, 48, &x, &y, d, P384Public, P384Private),
        _ => ec_key!(p521, 66, &x, &y, d, P521Public, P521Private),
    })
}

/// Octet key pairs (RFC 8037 §2): Ed25519 only.
fn okp_from_jwk(jwk: &Object) -> Result<KeyInner> {
    let crv = req_str(jwk, "crv")?;
    if crv != "Ed25519" {
        return Err(Error::NotSupported(format!(
            "unsupported OKP curve {crv:?}"
        )));
    }
    let x = req_b64(jwk, "x")?;
    let x: [u8; 32] = x
        .as_slice()
        .try_into()
        .map_err(|_| Error::JwkInvalid("the Ed25519 \"x\" member must be 32 bytes".into()))?;
    let vk = ed25519_dalek::VerifyingKey::from_bytes(&x)
        .map_err(|_| Error::JwkInvalid("the Ed25519 public key is not a valid point".into()))?;
    match opt_b64(jwk, "d")? {
        None => Ok(KeyInner::Ed25519Public(vk)),
        Some(d) => {
            let d: Zeroizing<[u8; 32]> = Zeroizing::new(d.as_slice().try_into().map_err(|_| {
                Error::JwkInvalid("the Ed25519 \"d\" member must be 32 bytes".into())
            })?);
            let sk = ed25519_dalek::SigningKey::from_bytes(&d);
            if sk.verifying_key() != vk {
                return Err(Error::JwkInvalid(
                    "the Ed25519 \"d\" does not match \"x\"".into(),
                ));
            }
            Ok(KeyInner::Ed25519Private(Box::new(sk)))
        }
    }
}

/// RFC 7517 §4.7: the key in the first `x5c` certificate MUST match the JWK's public key; and
/// `x5t` / `x5t#S256`, when present with `x5c`, must be the leaf's thumbprints.
fn check_x5c_leaf(key: &Key, leaf_der: &[u8]) -> Result<()> {
    let cert_key = finish(
        inner_from_certificate_der(leaf_der).map_err(to_jwk_invalid)?,
        None,
    )
    .map_err(to_jwk_invalid)?;
    let mine = key.to_public_members();
    match (mine, cert_key.to_public_members()) {
        (Some(a), Some(b)) if a == b => {}
        _ => {
            return Err(Error::JwkInvalid(
                "the first \"x5c\" certificate does not hold the JWK's public key".into(),
            ));
        }
    }
    if let Some(t) = &key.meta.x5t
        && *t != b64::encode(Sha1::digest(leaf_der))
    {
        return Err(Error::JwkInvalid(
            "the JWK \"x5t\" is not the thumbprint of the first \"x5c\" certificate".into(),
        ));
    }
    if let Some(t) = &key.meta.x5t_s256
        && *t != b64::encode(Sha256::digest(leaf_der))
    {
        return Err(Error::JwkInvalid(
            "the JWK \"x5t#S256\" is not the thumbprint of the first \"x5c\" certificate".into(),
        ));
    }
    Ok(())
}

fn to_jwk_invalid(e: Error) -> Error {
    match e {
        Error::KeyInvalid(m) | Error::NotSupported(m) => {
            Error::JwkInvalid(format!("the first \"x5c\" certificate is unusable: {m}"))
        }
        other => other,
    }
}

// ---------------------------------------------------------------------------------------------
// Shared checks
// ---------------------------------------------------------------------------------------------

fn key_invalid(msg: &str) -> Error {
    Error::KeyInvalid(msg.to_owned())
}

pub(crate) fn check_input_size(len: usize) -> Result<()> {
    if len > MAX_PEM_BYTES {
        return Err(Error::KeyInvalid(format!(
            "key input larger than {MAX_PEM_BYTES} bytes is not accepted"
        )));
    }
    Ok(())
}

/// RSA moduli below 2048 bits are refused (RFC 7518 §3.3; security.md row 2).
fn check_rsa_size(key: &Key) -> Result<()> {
    if key.family() == Family::Rsa {
        let bits = key.bits();
        if bits < MIN_RSA_BITS {
            return Err(Error::KeyInvalid(format!(
                "RSA keys must have a modulus of at least {MIN_RSA_BITS} bits, this one has {bits}"
            )));
        }
        if bits > MAX_RSA_BITS {
            return Err(Error::KeyInvalid(format!(
                "RSA moduli larger than {MAX_RSA_BITS} bits are not accepted"
            )));
        }
    }
    Ok(())
}

/// Binds `alg` to a key after checking that the key belongs to its family (RFC 8725 §3.1).
fn bind_alg(key: &mut Key, alg: Option<Alg>) -> Result<()> {
    if let Some(a) = alg {
        if a.family() != key.family() {
            return Err(Error::KeyInvalid(format!(
                "the key cannot be used with {a}: wrong key type"
            )));
        }
        key.meta.alg = Some(a);
    }
    Ok(())
}

/// Wraps DER-imported material: size checks and algorithm binding.
pub(crate) fn finish(inner: KeyInner, alg: Option<Alg>) -> Result<Key> {
    let mut key = Key::from_inner(inner);
    check_rsa_size(&key)?;
    bind_alg(&mut key, alg)?;
    Ok(key)
}

// ---------------------------------------------------------------------------------------------
// PEM (RFC 7468)
// ---------------------------------------------------------------------------------------------

/// One decoded PEM block.
pub(crate) struct PemBlock {
    /// The label between `-----BEGIN ` and `-----`.
    pub(crate) label: String,
    /// The decoded DER.
    pub(crate) der: Zeroizing<Vec<u8>>,
    /// Whether RFC 1421 headers announce encryption (`Proc-Type: 4,ENCRYPTED`).
    pub(crate) encrypted: bool,
}

/// Parses every PEM block of `text` (RFC 7468 §2): text between blocks is ignored, lines may end
/// in CRLF and carry surrounding whitespace; the base64 body must be canonical standard base64.
/// An unterminated block, a mismatched END line or bad base64 is [`Error::KeyInvalid`].
pub(crate) fn parse_pem(text: &str) -> Result<Vec<PemBlock>> {
    let mut blocks = Vec::new();
    let mut current: Option<(String, String, bool)> = None;
    for raw in text.split('\n') {
        let line = raw.trim();
        match current.as_mut() {
            None => {
                if let Some(rest) = line.strip_prefix("-----BEGIN ")
                    && let Some(label) = rest.strip_suffix("-----")
                {
                    let printable = label.bytes().all(|c| (0x20..0x7f).contains(&c));
                    if !printable
                        || label.is_empty()
                        || label.starts_with(['-', ' '])
                        || label.ends_with(['-', ' '])
                    {
                        return Err(key_invalid("malformed PEM BEGIN line"));
                    }
                    current = Some((label.to_owned(), String::new(), false));
                }
            }
            Some((label, body, encrypted)) => {
                if let Some(rest) = line.strip_prefix("-----END ") {
                    if rest.strip_suffix("-----") != Some(label.as_str()) {
                        return Err(key_invalid(
                            "the PEM END line does not match its BEGIN line",
                        ));
                    }
                    let der = STANDARD
                        .decode(body.as_bytes())
                        .map_err(|_| key_invalid("the PEM body is not valid base64"))?;
                    let der = Zeroizing::new(der);
                    body.clear();
                    if der.is_empty() {
                        return Err(key_invalid("the PEM block is empty"));
                    }
                    blocks.push(PemBlock {
                        label: label.clone(),
                        der,
                        encrypted: *encrypted,
                    });
                    current = None;
                } else if line.starts_with("-----") {
                    return Err(key_invalid("unexpected line inside a PEM block"));
                } else if line.contains(':') {
                    // RFC 1421 encapsulated header (legacy OpenSSL encryption).
                    if line.starts_with("Proc-Type:") && line.contains("ENCRYPTED") {
                        *encrypted = true;
                    }
                } else {
                    body.push_str(line);
                }
            }
        }
    }
    if current.is_some() {
        return Err(key_invalid("the PEM block is truncated (no END line)"));
    }
    if blocks.is_empty() {
        return Err(key_invalid("no PEM block found"));
    }
    Ok(blocks)
}

/// The DER of every certificate in `input`: PEM text (`CERTIFICATE` blocks only, in order) or
/// one raw DER certificate. Each is checked to parse as an X.509 certificate (RFC 5280 §4.1).
pub(crate) fn certificates_from_input(input: &[u8]) -> Result<Vec<Zeroizing<Vec<u8>>>> {
    check_input_size(input.len())?;
    let looks_pem = input.windows(11).any(|w| w == b"-----BEGIN ");
    let certs: Vec<Zeroizing<Vec<u8>>> = if looks_pem {
        let text = core::str::from_utf8(input)
            .map_err(|_| key_invalid("the PEM certificate is not valid UTF-8"))?;
        let blocks = parse_pem(text)?;
        let certs: Vec<_> = blocks
            .into_iter()
            .filter(|b| b.label == "CERTIFICATE")
            .map(|b| b.der)
            .collect();
        if certs.is_empty() {
            return Err(key_invalid("the PEM text holds no CERTIFICATE block"));
        }
        certs
    } else {
        vec![Zeroizing::new(input.to_vec())]
    };
    for der in &certs {
        x509_cert::Certificate::from_der(der)
            .map_err(|_| key_invalid("the input is not a valid X.509 certificate"))?;
    }
    Ok(certs)
}

pub(crate) fn key_from_cert_chain(chain: &[&[u8]], alg: Option<Alg>) -> Result<Key> {
    let Some(leaf) = chain.first() else {
        return Err(key_invalid("no certificate found"));
    };
    let mut key = finish(inner_from_certificate_der(leaf)?, alg)?;
    let mut x5c = Vec::with_capacity(chain.len());
    for der in chain {
        x509_cert::Certificate::from_der(der)
            .map_err(|_| key_invalid("the input is not a valid X.509 certificate"))?;
        x5c.push(STANDARD.encode(der));
    }
    key.meta.x5c = Some(x5c);
    key.meta.x5t = Some(b64::encode(Sha1::digest(leaf)));
    key.meta.x5t_s256 = Some(b64::encode(Sha256::digest(leaf)));
    Ok(key)
}

// ---------------------------------------------------------------------------------------------
// DER
// ---------------------------------------------------------------------------------------------

fn inner_from_certificate_der(der: &[u8]) -> Result<KeyInner> {
    let cert = x509_cert::Certificate::from_der(der)
        .map_err(|_| key_invalid("the input is not a valid X.509 certificate"))?;
    let spki = cert
        .tbs_certificate()
        .subject_public_key_info()
        .to_der()
        .map_err(|_| key_invalid("the certificate's public key is malformed"))?;
    inner_from_spki_der(&spki)
}

/// A SubjectPublicKeyInfo (RFC 5280 §4.1.2.7): RSA (RFC 3279), EC named curves (RFC 5480),
/// Ed25519 (RFC 8410).
pub(crate) fn inner_from_spki_der(der: &[u8]) -> Result<KeyInner> {
    let spki = spki::SubjectPublicKeyInfoRef::from_der(der)
        .map_err(|_| key_invalid("the SubjectPublicKeyInfo is malformed"))?;
    let oid = spki.algorithm.oid;
    if oid == OID_RSASSA_PSS {
        // An id-RSASSA-PSS key (RFC 4055 §1.2) is restricted to PSS with its own parameters;
        // accepting it as a plain RSA key would let it sign RS* too.
        return Err(Error::NotSupported(
            "RSA-PSS-restricted keys (id-RSASSA-PSS) are not supported; use an rsaEncryption key"
                .into(),
        ));
    }
    if oid == OID_RSA_ENCRYPTION {
        let k = rsa::RsaPublicKey::try_from(spki)
            .map_err(|_| key_invalid("the RSA public key is malformed"))?;
        return Ok(KeyInner::RsaPublic(k));
    }
    if oid == OID_ED25519 {
        if spki.algorithm.parameters.is_some() {
            return Err(key_invalid("Ed25519 keys take no algorithm parameters"));
        }
        let bytes: [u8; 32] = spki
            .subject_public_key
            .as_bytes()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| key_invalid("the Ed25519 public key must be 32 bytes"))?;
        let vk = ed25519_dalek::VerifyingKey::from_bytes(&bytes)
            .map_err(|_| key_invalid("the Ed25519 public key is not a valid point"))?;
        return Ok(KeyInner::Ed25519Public(vk));
    }
    if oid != OID_EC_PUBLIC_KEY {
        return Err(Error::NotSupported(format!(
            "unsupported public key algorithm {oid}"
        )));
    }
    let curve = spki
        .algorithm
        .parameters_oid()
        .map_err(|_| key_invalid("the EC public key does not name its curve"))?;
    let point = spki
        .subject_public_key
        .as_bytes()
        .ok_or_else(|| key_invalid("the EC public key is malformed"))?;
    let bad = |_| key_invalid("the EC public key is not a valid point on its curve");
    Ok(match curve {
        c if c == OID_P256 => {
            KeyInner::P256Public(p256::ecdsa::VerifyingKey::from_sec1_bytes(point).map_err(bad)?)
        }
        c if c == OID_P384 => {
            KeyInner::P384Public(p384::ecdsa::VerifyingKey::from_sec1_bytes(point).map_err(bad)?)
        }
        c if c == OID_P521 => {
            KeyInner::P521Public(p521::ecdsa::VerifyingKey::from_sec1_bytes(point).map_err(bad)?)
        }
        other => {
            return Err(Error::NotSupported(format!("unsupported EC curve {other}")));
        }
    })
}

/// A PKCS#8 PrivateKeyInfo / OneAsymmetricKey (RFC 5208, RFC 5958 v1 and v2).
pub(crate) fn inner_from_pkcs8_der(der: &[u8]) -> Result<KeyInner> {
    let info = pkcs8::PrivateKeyInfoRef::from_der(der)
        .map_err(|_| key_invalid("the PKCS#8 private key is malformed"))?;
    let oid = info.algorithm.oid;
    if oid == OID_RSASSA_PSS {
        // An id-RSASSA-PSS key (RFC 4055 §1.2) is restricted to PSS with its own parameters;
        // accepting it as a plain RSA key would let it sign RS* too.
        return Err(Error::NotSupported(
            "RSA-PSS-restricted keys (id-RSASSA-PSS) are not supported; use an rsaEncryption key"
                .into(),
        ));
    }
    if oid == OID_RSA_ENCRYPTION {
        let k = rsa::RsaPrivateKey::try_from(info)
            .map_err(|_| key_invalid("the PKCS#8 RSA private key is malformed or inconsistent"))?;
        return Ok(KeyInner::RsaPrivate(Box::new(k)));
    }
    if oid == OID_ED25519 {
        let k = ed25519_dalek::SigningKey::try_from(info).map_err(|_| {
            key_invalid("the PKCS#8 Ed25519 private key is malformed or inconsistent")
        })?;
        return Ok(KeyInner::Ed25519Private(Box::new(k)));
    }
    if oid != OID_EC_PUBLIC_KEY {
        return Err(Error::NotSupported(format!(
            "unsupported private key algorithm {oid}"
        )));
    }
    let curve = info
        .algorithm
        .parameters_oid()
        .map_err(|_| key_invalid("the PKCS#8 EC private key does not name its curve"))?;
    // The privateKey octets of an id-ecPublicKey PrivateKeyInfo are a SEC1 ECPrivateKey
    // (RFC 5915 §3, RFC 5480 §2.1.1); a curve named there too must be the same one.
    inner_from_sec1_der(info.private_key.as_bytes(), Some(curve), true)
}

/// A SEC1 ECPrivateKey (RFC 5915). `hint` is the curve named outside the key (a separate
/// `EC PARAMETERS` block, or a PKCS#8 AlgorithmIdentifier), used when the key itself does not
/// name one; with `hint_binding` a key naming another curve is refused.
fn inner_from_sec1_der(
    der: &[u8],
    hint: Option<ObjectIdentifier>,
    hint_binding: bool,
) -> Result<KeyInner> {
    let ec = sec1::EcPrivateKey::from_der(der)
        .map_err(|_| key_invalid("the SEC1 EC private key is malformed"))?;
    let named = ec.parameters.and_then(sec1::EcParameters::named_curve);
    if hint_binding && named.is_some() && hint.is_some() && named != hint {
        return Err(key_invalid(
            "the EC private key names a different curve than its PKCS#8 algorithm",
        ));
    }
    let curve = named
        .or(hint)
        .ok_or_else(|| key_invalid("the SEC1 EC private key does not name its curve"))?;
    let bad = |_| key_invalid("the SEC1 EC private key is malformed or inconsistent");
    Ok(match curve {
        c if c == OID_P256 => {
            KeyInner::P256Private(Box::new(p256::SecretKey::try_from(ec).map_err(bad)?.into()))
        }
        c if c == OID_P384 => {
            KeyInner::P384Private(Box::new(p384::SecretKey::try_from(ec).map_err(bad)?.into()))
        }
        c if c == OID_P521 => {
            KeyInner::P521Private(Box::new(p521::SecretKey::try_from(ec).map_err(bad)?.into()))
        }
        other => {
            return Err(Error::NotSupported(format!("unsupported EC curve {other}")));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pem_parser_tolerates_crlf_and_text_and_rejects_truncation() {
        let text = "hello\r\n  -----BEGIN X-----\r\nAAEC\r\nAw==\r\n-----END X-----  \r\nbye";
        let blocks = parse_pem(text).unwrap();
        assert_eq!(blocks.len(), 1);
        assert_eq!(blocks[0].label, "X");
        assert_eq!(blocks[0].der.as_slice(), &[0, 1, 2, 3]);
        let err = |t: &str| parse_pem(t).err().map(|e| e.code());
        assert_eq!(err("-----BEGIN X-----\nAAEC\n"), Some("ERR_KEY_INVALID"));
        assert_eq!(
            err("-----BEGIN X-----\nAAEC\n-----END Y-----\n"),
            Some("ERR_KEY_INVALID")
        );
        assert_eq!(
            err("-----BEGIN X-----\nAA=C\n-----END X-----\n"),
            Some("ERR_KEY_INVALID")
        );
        assert_eq!(err("no pem here"), Some("ERR_KEY_INVALID"));
        assert_eq!(
            err("-----BEGIN X-----\n-----END X-----\n"),
            Some("ERR_KEY_INVALID")
        );
        let enc = "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\nAAEC\n-----END RSA PRIVATE KEY-----\n";
        assert!(parse_pem(enc).unwrap()[0].encrypted);
        assert_eq!(
            Key::from_pem(enc, None).err().map(|e| e.code()),
            Some("ERR_JOSE_NOT_SUPPORTED")
        );
    }

    #[test]
    fn bit_length_and_trimming() {
        assert_eq!(trim_zeros(&[0, 0, 1, 0]), &[1, 0]);
        assert_eq!(trim_zeros(&[0, 0]), &[] as &[u8]);
        assert_eq!(bit_len(&[1, 0]), 9);
        assert_eq!(bit_len(&[0x80]), 8);
        assert_eq!(bit_len(&[]), 0);
    }

    #[test]
    fn secret_import_rules() {
        assert_eq!(
            Key::from_secret(b"", None).err().map(|e| e.code()),
            Some("ERR_KEY_INVALID")
        );
        assert_eq!(
            Key::from_secret(b"k", Some(Alg::Rs256))
                .err()
                .map(|e| e.code()),
            Some("ERR_KEY_INVALID")
        );
        let k = Key::from_secret(&[7; 32], Some(Alg::Hs256)).unwrap();
        assert_eq!(k.meta.alg, Some(Alg::Hs256));
        assert_eq!(k.bits(), 256);
    }

    /// DER TLV with a definite length (X.690 §8.1.3).
    fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
        let mut out = vec![tag];
        let n = content.len();
        if n < 0x80 {
            out.push(n as u8);
        } else {
            let len = n.to_be_bytes();
            let len: Vec<u8> = len.iter().copied().skip_while(|b| *b == 0).collect();
            out.push(0x80 | len.len() as u8);
            out.extend_from_slice(&len);
        }
        out.extend_from_slice(content);
        out
    }

    /// A PKCS#8 PrivateKeyInfo (RFC 5958 §2) for id-ecPublicKey with `curve` around `sec1`.
    fn ec_pkcs8(curve: ObjectIdentifier, sec1: &[u8]) -> Vec<u8> {
        let oid = |o: ObjectIdentifier| tlv(0x06, o.as_bytes());
        let alg = tlv(0x30, &[oid(OID_EC_PUBLIC_KEY), oid(curve)].concat());
        tlv(0x30, &[tlv(0x02, &[0]), alg, tlv(0x04, sec1)].concat())
    }

    fn sec1_fixture(name: &str) -> Vec<u8> {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/keys/");
        let text = std::fs::read_to_string(format!("{path}{name}")).unwrap();
        let blocks = parse_pem(&text).unwrap();
        blocks
            .into_iter()
            .find(|b| b.label == "EC PRIVATE KEY")
            .unwrap()
            .der
            .to_vec()
    }

    /// PKCS#8 EC keys go through the SEC1 parser: the curve of the AlgorithmIdentifier is used,
    /// and a SEC1 key naming a different curve is refused (RFC 5915 §3, RFC 5480 §2.1.1).
    #[test]
    fn pkcs8_ec_curve_must_agree_with_sec1() {
        let p384 = sec1_fixture("ec-p384-sec1.pem");
        let ok = inner_from_pkcs8_der(&ec_pkcs8(OID_P384, &p384)).unwrap();
        assert!(matches!(ok, KeyInner::P384Private(_)));
        let err = inner_from_pkcs8_der(&ec_pkcs8(OID_P256, &p384))
            .err()
            .unwrap();
        assert_eq!(err.code(), "ERR_KEY_INVALID", "{err}");
        assert!(err.to_string().contains("different curve"), "{err}");
    }
}
