//! PKCS#12 / PFX import (RFC 7292): the private key, its certificate and the chain of a
//! password-protected `.p12` / `.pfx` file.
//!
//! Supported: password integrity mode (RFC 7292 §4: `MacData` with HMAC-SHA-1, -SHA-256,
//! -SHA-384 or -SHA-512 keyed by the App. B KDF), `data` and `encryptedData` containers, and
//! `keyBag`, `pkcs8ShroudedKeyBag` and `certBag` (x509Certificate) bags (RFC 7292 §4.2).
//! Encryption schemes are those of [`Key::from_encrypted_pkcs8_pem`]: PBES2 (what
//! `openssl pkcs12 -export` writes since OpenSSL 3: AES-256-CBC, PBKDF2-HMAC-SHA256, HMAC-SHA256
//! MAC) and the legacy PKCS#12 schemes (`-legacy`: 3DES for keys, 40-bit RC2 for certificates,
//! HMAC-SHA-1 MAC).
//!
//! The MAC is verified before anything is decrypted, and a file without a MAC is refused: an
//! unauthenticated PFX could carry a substituted key. Public-key integrity/privacy modes
//! (`signedData` / `envelopedData` containers), PBMAC1 (RFC 9579), nested `safeContentsBag`s and
//! files with more than one private key are [`Error::KeyInvalid`]. CRL and secret bags are
//! ignored. Input size, container and bag counts and KDF iterations are bounded before the work
//! is done; no input panics.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use der::asn1::{AnyRef, ObjectIdentifier};
use der::{Decode as _, Encode as _};
use hmac::{Hmac, KeyInit as _, Mac as _};
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::jwa::Alg;
use crate::jwk::encrypted::{
    AlgId, Budget, KdfPurpose, Password, Tlv, decrypt, decrypt_private_key_info, explicit,
    explicit_der, key_invalid, octets, pkcs12_kdf_with,
};
use crate::jwk::import::{finish, inner_from_pkcs8_der, key_from_cert_chain};
use crate::jwk::{Key, ThumbprintHash};

/// Largest PKCS#12 input accepted, in bytes.
pub const MAX_PKCS12_BYTES: usize = 1024 * 1024;
/// Most `ContentInfo` containers accepted in the `AuthenticatedSafe`.
const MAX_CONTAINERS: usize = 16;
/// Most bags accepted over the whole file.
const MAX_BAGS: usize = 64;
/// Most certificates accepted.
const MAX_CERTS: usize = 32;

const OID_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.1");
const OID_SIGNED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");
const OID_ENVELOPED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.3");
const OID_ENCRYPTED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.6");
const OID_KEY_BAG: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.12.10.1.1");
const OID_SHROUDED_KEY_BAG: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.12.10.1.2");
const OID_CERT_BAG: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.12.10.1.3");
const OID_SAFE_CONTENTS_BAG: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.12.10.1.6");
const OID_X509_CERTIFICATE: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.22.1");
const OID_SHA1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.14.3.2.26");
const OID_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
const OID_SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.2");
const OID_SHA512: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.3");
const OID_PBMAC1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.5.14");

/// The message of every MAC failure.
const MAC_FAILED: &str = "wrong password or corrupt PKCS#12 (MAC check failed)";

/// The content of a PKCS#12 file: the private key, the certificate holding its public key,
/// and every certificate of the file, leaf first.
#[derive(Debug, Clone)]
pub struct Pkcs12 {
    /// The private key. It carries the certificate's `x5c`, `x5t` and `x5t#S256`
    /// (RFC 7517 §4.7–4.9), ready for a `private_key_jwt` assertion header.
    pub private_key: Key,
    /// The public key of the leaf certificate (the one matching the private key), with `x5c`,
    /// `x5t` and `x5t#S256` set.
    pub certificate: Key,
    /// The DER of every certificate: the leaf first, then its issuers in chain order (issuer
    /// of the previous one), then any other certificates in file order.
    pub chain: Vec<Vec<u8>>,
}

impl Pkcs12 {
    /// The chain as PEM `CERTIFICATE` blocks (RFC 7468 §5), leaf first.
    pub fn chain_pem(&self) -> Vec<String> {
        self.chain.iter().map(|der| cert_pem(der)).collect()
    }
}

/// One certificate as PEM text, 64-character lines (RFC 7468 §5).
fn cert_pem(der: &[u8]) -> String {
    let b64 = STANDARD.encode(der);
    let mut out = String::with_capacity(b64.len() + b64.len() / 64 + 60);
    out.push_str("-----BEGIN CERTIFICATE-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        // base64 output is ASCII.
        out.push_str(core::str::from_utf8(chunk).unwrap_or_default());
        out.push('\n');
    }
    out.push_str("-----END CERTIFICATE-----\n");
    out
}

fn malformed(what: &str) -> Error {
    Error::KeyInvalid(format!("malformed PKCS#12: {what}"))
}

/// `ContentInfo` (RFC 5652 §3): the content type and the `[0] EXPLICIT` content.
fn content_info<'a>(any: AnyRef<'a>) -> Result<(ObjectIdentifier, AnyRef<'a>)> {
    let mut t = Tlv::sequence(any, "PKCS#12 ContentInfo")?;
    let content_type = t.oid()?;
    let content = explicit(t.next()?, 0, "PKCS#12 ContentInfo")?;
    t.end()?;
    Ok((content_type, content))
}

/// `MacData` (RFC 7292 §4): `(digest algorithm, MAC value, salt, iterations)`.
struct MacData<'a> {
    alg: AlgId<'a>,
    digest: &'a [u8],
    salt: &'a [u8],
    iterations: u32,
}

fn mac_data(any: AnyRef<'_>) -> Result<MacData<'_>> {
    let mut t = Tlv::sequence(any, "PKCS#12 MacData")?;
    // DigestInfo (RFC 8017 App. A.2.4).
    let mut di = Tlv::sequence(t.next()?, "PKCS#12 MacData")?;
    let alg = di.alg_id()?;
    let digest = di.octets()?;
    di.end()?;
    let salt = t.octets()?;
    // iterations INTEGER DEFAULT 1
    let iterations = if t.is_empty() { 1 } else { t.uint()? };
    t.end()?;
    Ok(MacData {
        alg,
        digest,
        salt,
        iterations,
    })
}

/// The octets of an `id-data` content (an OCTET STRING).
fn data_octets<'a>(content: AnyRef<'a>) -> Result<&'a [u8]> {
    octets(content, "PKCS#12 data content")
}

/// Verifies the password-integrity MAC (RFC 7292 §5.1, App. B) over the `authSafe` content.
/// Returns the password form that verified (the empty password has two encodings in use).
fn verify_mac<'p>(
    mac: &MacData<'_>,
    content: &[u8],
    password: &'p str,
    budget: &mut Budget,
) -> Result<Password<'p>> {
    let alg = &mac.alg;
    if !alg.params_null_or_absent() {
        return Err(malformed("the MAC digest parameters must be NULL"));
    }
    let iterations = u64::from(mac.iterations);
    let salt = mac.salt;
    let expected = mac.digest;
    let mut candidates = vec![Password::Text(password)];
    if password.is_empty() {
        candidates.push(Password::EmptyPkcs12);
    }
    for candidate in candidates {
        let rounds = budget.spend(iterations)?;
        let ok = match alg.oid {
            OID_SHA1 => mac_ok::<sha1::Sha1>(candidate, salt, rounds, content, expected)?,
            OID_SHA256 => mac_ok::<sha2::Sha256>(candidate, salt, rounds, content, expected)?,
            OID_SHA384 => mac_ok::<sha2::Sha384>(candidate, salt, rounds, content, expected)?,
            OID_SHA512 => mac_ok::<sha2::Sha512>(candidate, salt, rounds, content, expected)?,
            OID_PBMAC1 => {
                return Err(key_invalid(
                    "unsupported PKCS#12 MAC algorithm PBMAC1 (RFC 9579)",
                ));
            }
            other => {
                return Err(Error::KeyInvalid(format!(
                    "unsupported PKCS#12 MAC digest algorithm {other} (supported: SHA-1, \
                     SHA-256, SHA-384, SHA-512)"
                )));
            }
        };
        if ok {
            return Ok(candidate);
        }
    }
    Err(key_invalid(MAC_FAILED))
}

fn mac_ok<D>(
    password: Password<'_>,
    salt: &[u8],
    rounds: u32,
    content: &[u8],
    expected: &[u8],
) -> Result<bool>
where
    D: sha2::Digest + sha2::digest::block_api::BlockSizeUser + hmac::EagerHash,
{
    let len = <D as sha2::Digest>::output_size();
    if expected.len() != len {
        return Err(malformed("the MAC has the wrong length for its digest"));
    }
    let key = pkcs12_kdf_with::<D>(password, salt, KdfPurpose::Mac, rounds, len);
    let mut m = <Hmac<D>>::new_from_slice(&key).map_err(|_| malformed("bad MAC key"))?;
    m.update(content);
    Ok(m.verify_slice(expected).is_ok())
}

/// Parsed bags, before the key and certificate are paired.
#[derive(Default)]
struct Collected {
    keys: Vec<Zeroizing<Vec<u8>>>,
    certs: Vec<Vec<u8>>,
    bags: usize,
}

fn collect_bags(
    safe_contents: &[u8],
    password: Password<'_>,
    budget: &mut Budget,
    out: &mut Collected,
) -> Result<()> {
    // SafeContents ::= SEQUENCE OF SafeBag (RFC 7292 §4.2).
    let mut bags = Tlv::parse(safe_contents, "PKCS#12 SafeContents")?;
    while !bags.is_empty() {
        out.bags += 1;
        if out.bags > MAX_BAGS {
            return Err(malformed(&format!("more than {MAX_BAGS} bags")));
        }
        // SafeBag ::= SEQUENCE { bagId, bagValue [0] EXPLICIT, bagAttributes SET OF OPTIONAL }.
        // The attributes (friendlyName, localKeyId) are not used: the certificate is matched
        // to the key by its public key.
        let mut bag = Tlv::sequence(bags.next()?, "PKCS#12 SafeBag")?;
        let bag_id = bag.oid()?;
        let value = explicit_der(bag.next()?, 0, "PKCS#12 SafeBag")?;
        let _attributes = bag.optional(der::Tag::Set)?;
        bag.end()?;
        match bag_id {
            OID_KEY_BAG => {
                out.keys.push(Zeroizing::new(value.to_vec()));
            }
            OID_SHROUDED_KEY_BAG => {
                let plain = decrypt_private_key_info(value, password, budget)
                    .map_err(|e| corrupt_after_mac(e, "the shrouded private key"))?;
                out.keys.push(plain);
            }
            OID_CERT_BAG => {
                // CertBag ::= SEQUENCE { certId, certValue [0] EXPLICIT } (RFC 7292 §4.2.3).
                let mut cert = Tlv::parse(value, "PKCS#12 certBag")?;
                let cert_id = cert.oid()?;
                let inner = explicit(cert.next()?, 0, "PKCS#12 certBag")?;
                cert.end()?;
                if cert_id != OID_X509_CERTIFICATE {
                    continue; // SDSI certificates: not X.509, ignored.
                }
                if out.certs.len() >= MAX_CERTS {
                    return Err(malformed(&format!("more than {MAX_CERTS} certificates")));
                }
                let der = octets(inner, "PKCS#12 certBag")?;
                x509_cert::Certificate::from_der(der)
                    .map_err(|_| malformed("a certBag does not hold a valid X.509 certificate"))?;
                out.certs.push(der.to_vec());
            }
            OID_SAFE_CONTENTS_BAG => {
                return Err(key_invalid("unsupported PKCS#12: nested safeContentsBag"));
            }
            // crlBag, secretBag and unknown bag types carry nothing needed here.
            _ => {}
        }
    }
    Ok(())
}

/// After a verified MAC, a decryption failure means a broken producer or a scheme mismatch,
/// not a wrong password; keep unsupported-scheme messages, reword the rest.
fn corrupt_after_mac(e: Error, what: &str) -> Error {
    match e {
        Error::KeyInvalid(m) if m.starts_with("wrong password") => {
            Error::KeyInvalid(format!("corrupt PKCS#12: {what} does not decrypt"))
        }
        other => other,
    }
}

/// Parses a PKCS#12 file (RFC 7292) protected by `password`: verifies the MAC, decrypts the
/// containers and bags, and returns the private key, the certificate matching it, and the
/// chain (see [`Pkcs12`]). `alg`, when given, must match the key's family and binds both keys.
///
/// The file must hold exactly one private key and a certificate for it. A wrong password
/// is [`Error::KeyInvalid`] "wrong password or corrupt PKCS#12 (MAC check failed)"; malformed
/// input, unsupported schemes and files over [`MAX_PKCS12_BYTES`] are [`Error::KeyInvalid`] too.
pub fn parse(bytes: &[u8], password: &str, alg: Option<Alg>) -> Result<Pkcs12> {
    if bytes.len() > MAX_PKCS12_BYTES {
        return Err(Error::KeyInvalid(format!(
            "a PKCS#12 file larger than {MAX_PKCS12_BYTES} bytes is not accepted"
        )));
    }
    // PFX ::= SEQUENCE { version INTEGER {v3(3)}, authSafe ContentInfo, macData OPTIONAL }
    let mut pfx = Tlv::parse(bytes, "PKCS#12 file (not a DER-encoded PFX, RFC 7292 §4)")?;
    if pfx.uint()? != 3 {
        return Err(malformed("the PFX version must be 3"));
    }
    let (content_type, content) = content_info(pfx.next()?)?;
    let mac = if pfx.is_empty() {
        None
    } else {
        Some(mac_data(pfx.next()?)?)
    };
    pfx.end()?;
    match content_type {
        OID_DATA => {}
        OID_SIGNED_DATA => {
            return Err(key_invalid(
                "unsupported PKCS#12: public-key integrity mode (signedData)",
            ));
        }
        other => {
            return Err(Error::KeyInvalid(format!(
                "unsupported PKCS#12 authSafe content type {other}"
            )));
        }
    }
    let auth_safe = data_octets(content)?;
    let Some(mac) = &mac else {
        return Err(key_invalid(
            "the PKCS#12 file has no MAC: its integrity cannot be checked, so it is not accepted",
        ));
    };
    let mut budget = Budget::new();
    let password = verify_mac(mac, auth_safe, password, &mut budget)?;

    // AuthenticatedSafe ::= SEQUENCE OF ContentInfo
    let mut containers = Tlv::parse(auth_safe, "PKCS#12 AuthenticatedSafe")?;
    let mut count = 0;
    let mut collected = Collected::default();
    while !containers.is_empty() {
        count += 1;
        if count > MAX_CONTAINERS {
            return Err(malformed(&format!("more than {MAX_CONTAINERS} containers")));
        }
        let (content_type, content) = content_info(containers.next()?)?;
        match content_type {
            OID_DATA => {
                collect_bags(data_octets(content)?, password, &mut budget, &mut collected)?;
            }
            OID_ENCRYPTED_DATA => {
                // EncryptedData ::= SEQUENCE { version, encryptedContentInfo,
                //   unprotectedAttrs [1] IMPLICIT OPTIONAL } (RFC 5652 §8)
                let mut ed = Tlv::sequence(content, "PKCS#12 EncryptedData")?;
                let version = ed.uint()?;
                if version != 0 && version != 2 {
                    return Err(malformed("unexpected EncryptedData version"));
                }
                // EncryptedContentInfo ::= SEQUENCE { contentType, contentEncryptionAlgorithm,
                //   encryptedContent [0] IMPLICIT OCTET STRING OPTIONAL } (RFC 5652 §6.1)
                let mut eci = Tlv::sequence(ed.next()?, "PKCS#12 EncryptedContentInfo")?;
                let inner_type = eci.oid()?;
                let alg = eci.alg_id()?;
                let ct = eci.optional(der::Tag::ContextSpecific {
                    constructed: false,
                    number: der::TagNumber(0),
                })?;
                eci.end()?;
                let _unprotected = ed.optional(der::Tag::ContextSpecific {
                    constructed: true,
                    number: der::TagNumber(1),
                })?;
                ed.end()?;
                if inner_type != OID_DATA {
                    return Err(malformed("encrypted content is not id-data"));
                }
                let Some(ct) = ct else {
                    return Err(malformed("EncryptedData without content"));
                };
                let plain = decrypt(&alg, password, ct.value(), &mut budget)
                    .map_err(|e| corrupt_after_mac(e, "an encrypted container"))?;
                collect_bags(&plain, password, &mut budget, &mut collected)?;
            }
            OID_ENVELOPED_DATA => {
                return Err(key_invalid(
                    "unsupported PKCS#12: public-key privacy mode (envelopedData)",
                ));
            }
            other => {
                return Err(Error::KeyInvalid(format!(
                    "unsupported PKCS#12 container content type {other}"
                )));
            }
        }
    }
    assemble(collected, alg)
}

/// Pairs the single private key with its certificate and orders the chain.
fn assemble(collected: Collected, alg: Option<Alg>) -> Result<Pkcs12> {
    let Collected { keys, certs, .. } = collected;
    let key_der = match keys.as_slice() {
        [one] => one,
        [] => return Err(key_invalid("the PKCS#12 file holds no private key")),
        _ => {
            return Err(key_invalid(
                "the PKCS#12 file holds several private keys; only one is supported",
            ));
        }
    };
    let mut private_key = finish(inner_from_pkcs8_der(key_der)?, alg)?;
    let want = private_key.thumbprint(ThumbprintHash::Sha256)?;

    // The leaf: the certificate whose public key is the private key's.
    let leaf_index = certs
        .iter()
        .position(|der| {
            key_from_cert_chain(&[der.as_slice()], None)
                .and_then(|k| k.thumbprint(ThumbprintHash::Sha256))
                .is_ok_and(|t| t == want)
        })
        .ok_or_else(|| key_invalid("the PKCS#12 file holds no certificate for its private key"))?;

    let chain = order_chain(certs, leaf_index)?;
    let refs: Vec<&[u8]> = chain.iter().map(Vec::as_slice).collect();
    let certificate = key_from_cert_chain(&refs, alg)?;
    private_key.meta.x5c = certificate.meta.x5c.clone();
    private_key.meta.x5t = certificate.meta.x5t.clone();
    private_key.meta.x5t_s256 = certificate.meta.x5t_s256.clone();
    Ok(Pkcs12 {
        private_key,
        certificate,
        chain,
    })
}

/// Subject and issuer names (DER) of a certificate.
fn names(der: &[u8]) -> Result<(Vec<u8>, Vec<u8>)> {
    let cert =
        x509_cert::Certificate::from_der(der).map_err(|_| malformed("invalid certificate"))?;
    let tbs = cert.tbs_certificate();
    let subject = tbs
        .subject()
        .to_der()
        .map_err(|_| malformed("bad subject"))?;
    let issuer = tbs.issuer().to_der().map_err(|_| malformed("bad issuer"))?;
    Ok((subject, issuer))
}

/// Leaf first, then each certificate's issuer while one is found, then the rest in file order.
fn order_chain(mut certs: Vec<Vec<u8>>, leaf_index: usize) -> Result<Vec<Vec<u8>>> {
    if leaf_index >= certs.len() {
        return Err(malformed("leaf index out of range"));
    }
    let mut chain = vec![certs.remove(leaf_index)];
    let mut named = Vec::with_capacity(certs.len());
    for der in certs {
        let n = names(&der)?;
        named.push((der, n));
    }
    let (mut subject, mut issuer) = names(chain.first().map_or(&[][..], Vec::as_slice))?;
    while subject != issuer {
        let Some(pos) = named.iter().position(|(_, (s, _))| *s == issuer) else {
            break;
        };
        let (der, (s, i)) = named.remove(pos);
        chain.push(der);
        subject = s;
        issuer = i;
    }
    chain.extend(named.into_iter().map(|(der, _)| der));
    Ok(chain)
}
