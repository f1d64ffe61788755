//! JSON Web Signature, compact serialization (RFC 7515 §3.1, §5, §7.1) with unencoded payload
//! support (RFC 7797).
//!
//! Verification follows RFC 7515 §5.2 with the defences of RFC 8725: an algorithm allow-list
//! bound to the key family (there is no `none`), strict base64url, duplicate header members
//! rejected, unknown `crit` extensions rejected, size limits checked before decoding, and keys
//! taken only from the caller — embedded `jwk`, `jku`, `x5u` and `x5c` headers are never used.

use rand_core::CryptoRng;
use serde_json::Value;

use crate::b64;
use crate::error::{Error, Result};
use crate::json::{self, Object};
use crate::jwa::{self, Alg};
use crate::jwk::{JwkSet, Key};

/// Default limit on a whole compact token, checked before anything is decoded.
pub const DEFAULT_MAX_TOKEN_LENGTH: usize = 256 * 1024;
/// Limit on the encoded protected header, checked before it is decoded.
pub const MAX_HEADER_LENGTH: usize = 16 * 1024;

/// Header parameter names registered by RFC 7515 §4.1 and RFC 7516 §4.1; `crit` must not list
/// them (RFC 7515 §4.1.11).
const REGISTERED: &[&str] = &[
    "alg", "jku", "jwk", "kid", "x5u", "x5c", "x5t", "x5t#S256", "typ", "cty", "crit", "enc",
    "zip", "epk", "apu", "apv", "iv", "tag", "p2s", "p2c",
];

/// Extensions this implementation understands natively (RFC 7797 `b64`).
const NATIVE_CRIT: &[&str] = &["b64"];

/// A validated JWS Protected Header (RFC 7515 §4).
#[derive(Debug, Clone, PartialEq)]
pub struct Header {
    /// `alg` (RFC 7515 §4.1.1), already checked against the allow-list.
    pub alg: Alg,
    /// `kid` (RFC 7515 §4.1.4): an opaque string, only ever compared for equality.
    pub kid: Option<String>,
    /// `typ` (RFC 7515 §4.1.9).
    pub typ: Option<String>,
    /// `b64` (RFC 7797 §3): `false` means the payload is not base64url-encoded.
    pub b64: bool,
    /// `crit` (RFC 7515 §4.1.11).
    pub crit: Vec<String>,
    /// Every member of the protected header, as received.
    pub raw: Object,
}

/// Where verification keys come from: a single [`Key`] or a [`JwkSet`].
///
/// Keys are never taken from the token itself (RFC 8725 §3.10, security.md rows 4–5).
pub trait KeySource {
    /// The keys that may verify a JWS with this header; an empty set is an error.
    fn candidates(&self, header: &Header) -> Result<Vec<&Key>>;
    /// The algorithms allowed when the caller gives no explicit allow-list: the bound `alg` of
    /// each key, or its family's algorithms.
    fn default_algs(&self) -> Vec<Alg>;
}

impl KeySource for Key {
    fn candidates(&self, _header: &Header) -> Result<Vec<&Key>> {
        Ok(vec![self])
    }
    fn default_algs(&self) -> Vec<Alg> {
        self.allowed_algs()
    }
}

/// A JWK Set serves public-key algorithms only: shared secrets are not published in key sets
/// (jose's local JWK Set refuses `HS*` as well; Wycheproof `JsonWebKeySet` cases).
impl KeySource for JwkSet {
    fn candidates(&self, header: &Header) -> Result<Vec<&Key>> {
        if header.alg.family() == crate::jwa::Family::Oct {
            return Err(Error::NotSupported(format!(
                "unsupported \"alg\" value for a JSON Web Key Set: {}",
                header.alg
            )));
        }
        let keys = JwkSet::candidates(self, header.alg, header.kid.as_deref());
        if keys.is_empty() {
            return Err(Error::JwksNoMatchingKey);
        }
        Ok(keys)
    }
    fn default_algs(&self) -> Vec<Alg> {
        let mut algs: Vec<Alg> = self.keys().iter().flat_map(Key::allowed_algs).collect();
        algs.sort();
        algs.dedup();
        algs
    }
}

/// Options for [`verify_compact`].
#[derive(Debug, Clone)]
pub struct VerifyOptions {
    /// The algorithm allow-list (RFC 8725 §3.1). Empty means: the algorithms the key(s) are
    /// bound to, or their family's algorithms. `none` can never be allowed.
    pub algorithms: Vec<Alg>,
    /// Extension header parameters the caller understands and checks itself (RFC 7515
    /// §4.1.11). A `crit` naming anything else is rejected.
    pub crit: Vec<String>,
    /// Upper bound on the token's length, checked before decoding.
    pub max_token_length: usize,
}

impl Default for VerifyOptions {
    fn default() -> Self {
        Self {
            algorithms: Vec::new(),
            crit: Vec::new(),
            max_token_length: DEFAULT_MAX_TOKEN_LENGTH,
        }
    }
}

/// A verified JWS.
#[derive(Debug, Clone, PartialEq)]
pub struct Verified {
    /// The payload octets (decoded from base64url unless `b64` is `false`).
    pub payload: Vec<u8>,
    /// The validated protected header.
    pub header: Header,
}

/// The three parts of a compact JWS, split with the size and shape checks of RFC 7515 §7.1.
struct Parts<'a> {
    header: &'a str,
    payload: &'a str,
    signature: &'a str,
}

fn split(token: &str, max_len: usize) -> Result<Parts<'_>> {
    if token.len() > max_len {
        return Err(Error::JwsInvalid(format!(
            "the token exceeds the {max_len}-byte limit"
        )));
    }
    let mut it = token.split('.');
    let (Some(header), Some(payload), Some(signature)) = (it.next(), it.next(), it.next()) else {
        return Err(Error::JwsInvalid(
            "compact JWS must have three dot-separated parts".into(),
        ));
    };
    if let Some(_fourth) = it.next() {
        let n = 4 + it.count();
        return Err(Error::JwsInvalid(if n == 5 {
            "a JWE (five parts) is not accepted where a JWS is expected".into()
        } else {
            format!("compact JWS must have three dot-separated parts, got {n}")
        }));
    }
    if header.len() > MAX_HEADER_LENGTH {
        return Err(Error::JwsInvalid(
            "the protected header is too large".into(),
        ));
    }
    Ok(Parts {
        header,
        payload,
        signature,
    })
}

/// Validates `crit` (RFC 7515 §4.1.11) and returns it with the `b64` value (RFC 7797 §3).
fn check_crit(raw: &Object, recognized: &[String]) -> Result<(Vec<String>, bool)> {
    let crit = match raw.get("crit") {
        None => Vec::new(),
        Some(Value::Array(items)) if !items.is_empty() => {
            let mut out: Vec<String> = Vec::with_capacity(items.len());
            for item in items {
                let Value::String(name) = item else {
                    return Err(Error::JwsInvalid("\"crit\" members must be strings".into()));
                };
                if REGISTERED.contains(&name.as_str()) {
                    return Err(Error::JwsInvalid(format!(
                        "\"crit\" must not list the registered parameter {name:?}"
                    )));
                }
                if out.contains(name) {
                    return Err(Error::JwsInvalid(format!("\"crit\" lists {name:?} twice")));
                }
                if !NATIVE_CRIT.contains(&name.as_str()) && !recognized.contains(name) {
                    return Err(Error::NotSupported(format!(
                        "extension header parameter {name:?} is not recognized"
                    )));
                }
                if !raw.contains_key(name) {
                    return Err(Error::JwsInvalid(format!(
                        "extension header parameter {name:?} is missing"
                    )));
                }
                out.push(name.clone());
            }
            out
        }
        Some(_) => {
            return Err(Error::JwsInvalid(
                "\"crit\" must be a non-empty array of strings".into(),
            ));
        }
    };
    let b64 = match raw.get("b64") {
        None => true,
        Some(Value::Bool(b)) if crit.iter().any(|c| c == "b64") => *b,
        Some(Value::Bool(_)) => {
            return Err(Error::JwsInvalid(
                "\"b64\" must be listed in \"crit\" (RFC 7797 §6)".into(),
            ));
        }
        Some(_) => return Err(Error::JwsInvalid("\"b64\" must be a boolean".into())),
    };
    Ok((crit, b64))
}

fn optional_string(raw: &Object, name: &str) -> Result<Option<String>> {
    match raw.get(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(Error::JwsInvalid(format!(
            "the {name:?} header parameter must be a string"
        ))),
    }
}

/// Parses and validates a protected header against an algorithm allow-list.
fn parse_header(raw: Object, allowed: &[Alg], recognized: &[String]) -> Result<Header> {
    let alg = match raw.get("alg") {
        Some(Value::String(s)) => s.as_str(),
        Some(_) => return Err(Error::JwsInvalid("\"alg\" must be a string".into())),
        None => {
            return Err(Error::JwsInvalid(
                "the \"alg\" header parameter is missing".into(),
            ));
        }
    };
    let alg = allowed
        .iter()
        .copied()
        .find(|a| a.as_str() == alg)
        .ok_or_else(|| {
            Error::AlgNotAllowed(format!("\"alg\" (Algorithm) value {alg:?} is not allowed"))
        })?;
    let (crit, b64) = check_crit(&raw, recognized)?;
    Ok(Header {
        alg,
        kid: optional_string(&raw, "kid")?,
        typ: optional_string(&raw, "typ")?,
        b64,
        crit,
        raw,
    })
}

fn decode_header(segment: &str) -> Result<Object> {
    let bytes = b64::decode(segment, "the protected header")?;
    json::parse_object_with(&bytes, "the protected header", Error::JwsInvalid)
}

/// Verifies a compact JWS (RFC 7515 §5.2) whose payload is part of the token.
pub fn verify_compact<K: KeySource + ?Sized>(
    jws: &str,
    keys: &K,
    opts: &VerifyOptions,
) -> Result<Verified> {
    verify_inner(jws, None, keys, opts)
}

/// Verifies a compact JWS with a detached payload (RFC 7515 Appendix F): the token's payload
/// segment must be empty and `payload` is the content (raw octets when `b64` is `false`,
/// RFC 7797 §5.2, else the octets whose base64url form was signed).
pub fn verify_compact_detached<K: KeySource + ?Sized>(
    jws: &str,
    payload: &[u8],
    keys: &K,
    opts: &VerifyOptions,
) -> Result<Verified> {
    verify_inner(jws, Some(payload), keys, opts)
}

fn verify_inner<K: KeySource + ?Sized>(
    jws: &str,
    detached: Option<&[u8]>,
    keys: &K,
    opts: &VerifyOptions,
) -> Result<Verified> {
    let parts = split(jws, opts.max_token_length)?;
    let raw = decode_header(parts.header)?;
    let derived;
    let allowed = if opts.algorithms.is_empty() {
        derived = keys.default_algs();
        &derived
    } else {
        &opts.algorithms
    };
    let header = parse_header(raw, allowed, &opts.crit)?;

    // The payload as signed (RFC 7515 §5.2 step 8, RFC 7797 §3) and as returned.
    let (payload_segment, payload): (std::borrow::Cow<'_, [u8]>, Vec<u8>) = match detached {
        Some(content) => {
            if !parts.payload.is_empty() {
                return Err(Error::JwsInvalid(
                    "a detached JWS must have an empty payload segment".into(),
                ));
            }
            if header.b64 {
                let enc = b64::encode(content);
                (enc.into_bytes().into(), content.to_vec())
            } else {
                (content.into(), content.to_vec())
            }
        }
        None if header.b64 => (
            parts.payload.as_bytes().into(),
            b64::decode(parts.payload, "the payload")?,
        ),
        None => (
            parts.payload.as_bytes().into(),
            parts.payload.as_bytes().to_vec(),
        ),
    };
    let signature = b64::decode(parts.signature, "the signature")?;
    if signature.is_empty() {
        return Err(Error::SignatureVerificationFailed);
    }

    let mut signing_input = Vec::with_capacity(parts.header.len() + 1 + payload_segment.len());
    signing_input.extend_from_slice(parts.header.as_bytes());
    signing_input.push(b'.');
    signing_input.extend_from_slice(&payload_segment);

    let candidates = keys.candidates(&header)?;
    let mut last = Error::SignatureVerificationFailed;
    for key in &candidates {
        match jwa::verify(header.alg, key, &signing_input, &signature) {
            Ok(()) => return Ok(Verified { payload, header }),
            Err(e) => last = e,
        }
    }
    // With several candidates, a key-usability error of one of them says nothing useful.
    Err(if candidates.len() > 1 {
        Error::SignatureVerificationFailed
    } else {
        last
    })
}

/// Produces a compact JWS (RFC 7515 §5.1, §7.1) with the protected header `header`, which must
/// hold an `alg` usable with `key`. With `"b64": false` (and `"crit": ["b64"]`, RFC 7797) the
/// payload is embedded unencoded and must not contain `.`.
pub fn sign_compact<R: CryptoRng + ?Sized>(
    header: &Object,
    payload: &[u8],
    key: &Key,
    rng: &mut R,
) -> Result<String> {
    let bytes = serde_json::to_vec(header)
        .map_err(|e| Error::InvalidArgValue(format!("the header cannot be serialized: {e}")))?;
    sign_compact_with_header_bytes(&bytes, payload, key, rng)
}

/// Like [`sign_compact`], but with the exact protected-header octets to use (RFC 7515 §5.1
/// step 3), e.g. to reproduce RFC 7515 Appendix A byte for byte.
pub fn sign_compact_with_header_bytes<R: CryptoRng + ?Sized>(
    header_json: &[u8],
    payload: &[u8],
    key: &Key,
    rng: &mut R,
) -> Result<String> {
    let raw = json::parse_object_with(header_json, "the protected header", Error::InvalidArgValue)?;
    let alg = match raw.get("alg") {
        Some(Value::String(s)) => s.parse::<Alg>()?,
        _ => {
            return Err(Error::InvalidArgValue(
                "the protected header needs a string \"alg\"".into(),
            ));
        }
    };
    // The signer defines its own extensions: every name it lists in `crit` is recognized.
    let recognized: Vec<String> = match raw.get("crit") {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    };
    let header = parse_header(raw, &[alg], &recognized)?;
    let encoded_header = b64::encode(header_json);
    let payload_segment = if header.b64 {
        b64::encode(payload)
    } else {
        let text = core::str::from_utf8(payload).map_err(|_| {
            Error::InvalidArgValue("an unencoded compact payload must be UTF-8".into())
        })?;
        if text.contains('.') {
            return Err(Error::InvalidArgValue(
                "an unencoded compact payload must not contain '.' (RFC 7797 §5.2)".into(),
            ));
        }
        text.to_owned()
    };
    let mut out = String::with_capacity(encoded_header.len() + payload_segment.len() + 90);
    out.push_str(&encoded_header);
    out.push('.');
    out.push_str(&payload_segment);
    let sig = jwa::sign(alg, key, out.as_bytes(), rng)?;
    out.push('.');
    out.push_str(&b64::encode(sig));
    Ok(out)
}

/// Decodes the protected header of a compact JWS (3 parts) or JWE (5 parts) **without**
/// verifying anything (RFC 7515 §7.1). Never use the result to choose a key's source.
pub fn decode_protected_header(token: &str) -> Result<Object> {
    if token.len() > DEFAULT_MAX_TOKEN_LENGTH {
        return Err(Error::JwsInvalid("the token is too large".into()));
    }
    let count = token.split('.').count();
    if count != 3 && count != 5 {
        return Err(Error::JwsInvalid(
            "a compact token has three (JWS) or five (JWE) parts".into(),
        ));
    }
    let first = token.split('.').next().unwrap_or_default();
    if first.len() > MAX_HEADER_LENGTH {
        return Err(Error::JwsInvalid(
            "the protected header is too large".into(),
        ));
    }
    decode_header(first)
}

#[cfg(test)]
mod tests;
