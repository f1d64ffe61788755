//! Password-based decryption of private keys (RFC 5958 §3 `EncryptedPrivateKeyInfo`) and of
//! PKCS#12 contents (RFC 7292).
//!
//! Schemes: PBES2 (RFC 8018 §6.2) with PBKDF2 (RFC 8018 §5.2) over HMAC-SHA-1, -SHA-256,
//! -SHA-384 or -SHA-512 and AES-128/192/256-CBC (RFC 3565 §4.1) or DES-EDE3-CBC (RFC 8018
//! App. B.2.2); and the PKCS#12 schemes of RFC 7292 App. C (`pbeWithSHAAnd3-KeyTripleDES-CBC`,
//! `pbeWithSHAAnd2-KeyTripleDES-CBC`, `pbeWithSHAAnd128BitRC2-CBC`,
//! `pbeWithSHAAnd40BitRC2-CBC`) with the App. B.2 key derivation. scrypt, AES-GCM and the
//! PKCS#5 v1.5 PBES1 schemes (MD2/MD5/DES) are refused.
//!
//! The primitives come from the RustCrypto crates (`pbkdf2`, `hmac`, `sha1`, `sha2`, `aes`,
//! `des`, `rc2`, `cbc`); this module reads the algorithm parameters, wires them together and
//! implements the RFC 7292 App. B.2 key derivation over `Digest`. Every iteration count is
//! bounded before any work is done ([`MAX_KDF_ITERATIONS`], and a per-input budget), so a
//! hostile file cannot make the caller spin. A wrong password is detected by the CBC padding
//! check (and, for PKCS#12, by the MAC before any decryption); every failure is
//! [`Error::KeyInvalid`].

use cbc::cipher::block_padding::Pkcs7;
use cbc::cipher::{BlockCipherDecrypt, BlockModeDecrypt, InnerIvInit, KeyIvInit};
use der::asn1::{AnyRef, ObjectIdentifier};
use der::{Decode as _, Reader as _, SliceReader, Tag, TagNumber, Tagged as _};
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::jwa::Alg;
use crate::jwk::Key;
use crate::jwk::import::{check_input_size, finish, inner_from_pkcs8_der, parse_pem};

/// Largest iteration count accepted for one key derivation (PBKDF2 or RFC 7292 App. B).
/// OpenSSL writes 2048; OWASP's 2023 advice for PBKDF2-HMAC-SHA256 is 600 000.
pub const MAX_KDF_ITERATIONS: u32 = 1_000_000;

/// Largest sum of iteration counts spent on one input (a PKCS#12 file runs a KDF for its MAC,
/// for each encrypted container and for each shrouded key).
pub(crate) const MAX_TOTAL_ITERATIONS: u64 = 4 * MAX_KDF_ITERATIONS as u64;

const OID_PBES2: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.5.13");
const OID_PBKDF2: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.5.12");
const OID_SCRYPT: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.11591.4.11");
const OID_HMAC_SHA1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.2.7");
const OID_HMAC_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.2.9");
const OID_HMAC_SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.2.10");
const OID_HMAC_SHA512: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.2.11");
const OID_AES128_CBC: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.1.2");
const OID_AES192_CBC: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.1.22");
const OID_AES256_CBC: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.1.42");
const OID_DES_EDE3_CBC: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.3.7");
// RFC 7292 App. C (pkcs-12PbeIds) and §4.2 (bag types, certificate types).
const OID_PBE_SHA_RC4_128: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.12.1.1");
const OID_PBE_SHA_RC4_40: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.12.1.2");
const OID_PBE_SHA_3DES3: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.12.1.3");
const OID_PBE_SHA_3DES2: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.12.1.4");
const OID_PBE_SHA_RC2_128: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.12.1.5");
const OID_PBE_SHA_RC2_40: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.12.1.6");
/// The PKCS#5 v1.5 PBES1 arc (pbeWithMD2AndDES-CBC, ...): 1.2.840.113549.1.5.{1,3,4,6,10,11}.
const OID_PKCS5_ARC: &str = "1.2.840.113549.1.5.";

/// What the password is for: PBES2 takes its octets as they are (RFC 8018 §3), the PKCS#12
/// KDF takes a BMPString with a terminating NUL (RFC 7292 App. B.1). `EmptyPkcs12` is the
/// zero-length password some producers (and OpenSSL, for `-passout pass:`) use in place of
/// the encoded empty string.
#[derive(Clone, Copy)]
pub(crate) enum Password<'a> {
    /// A password as given by the user.
    Text(&'a str),
    /// The empty password encoded as zero octets for the PKCS#12 KDF.
    EmptyPkcs12,
}

/// Iteration budget for one input.
pub(crate) struct Budget {
    left: u64,
}

impl Budget {
    pub(crate) const fn new() -> Self {
        Self {
            left: MAX_TOTAL_ITERATIONS,
        }
    }

    /// Checks one KDF's iteration count and takes it from the budget.
    pub(crate) fn spend(&mut self, iterations: u64) -> Result<u32> {
        if iterations == 0 {
            return Err(key_invalid(
                "a key derivation iteration count must be positive",
            ));
        }
        if iterations > u64::from(MAX_KDF_ITERATIONS) || iterations > self.left {
            return Err(key_invalid(&format!(
                "key derivation iteration count too large (at most {MAX_KDF_ITERATIONS} per \
                 derivation, {MAX_TOTAL_ITERATIONS} in all)"
            )));
        }
        self.left -= iterations;
        u32::try_from(iterations).map_err(|_| key_invalid("iteration count out of range"))
    }
}

pub(crate) fn key_invalid(msg: &str) -> Error {
    Error::KeyInvalid(msg.to_owned())
}

// ---------------------------------------------------------------------------------------------
// A small DER cursor. The structures here are read element by element through `AnyRef` rather
// than with `#[derive(Sequence)]`: every derived decoder monomorphizes der's generic reader
// again, which cost ~40 KB of wasm for these dozen structures.
// ---------------------------------------------------------------------------------------------

/// The elements of one constructed DER value, read in order.
pub(crate) struct Tlv<'a> {
    reader: SliceReader<'a>,
    what: &'static str,
}

pub(crate) fn bad(what: &str) -> Error {
    Error::KeyInvalid(format!("malformed {what}"))
}

impl<'a> Tlv<'a> {
    /// The elements of a complete DER `SEQUENCE` (no trailing bytes).
    pub(crate) fn parse(der: &'a [u8], what: &'static str) -> Result<Self> {
        let any = AnyRef::from_der(der).map_err(|_| bad(what))?;
        Self::sequence(any, what)
    }

    /// The elements of `any`, which must be a `SEQUENCE`.
    pub(crate) fn sequence(any: AnyRef<'a>, what: &'static str) -> Result<Self> {
        if any.tag() != Tag::Sequence {
            return Err(bad(what));
        }
        Self::elements(any, what)
    }

    /// The elements of a constructed value of any tag.
    pub(crate) fn elements(any: AnyRef<'a>, what: &'static str) -> Result<Self> {
        let reader = SliceReader::new(any.value()).map_err(|_| bad(what))?;
        Ok(Self { reader, what })
    }

    /// The next element.
    pub(crate) fn next(&mut self) -> Result<AnyRef<'a>> {
        if self.reader.is_finished() {
            return Err(bad(self.what));
        }
        AnyRef::decode(&mut self.reader).map_err(|_| bad(self.what))
    }

    /// The next element if there is one and it has tag `tag`.
    pub(crate) fn optional(&mut self, tag: Tag) -> Result<Option<AnyRef<'a>>> {
        if self.reader.is_finished() || Tag::peek(&self.reader).ok() != Some(tag) {
            return Ok(None);
        }
        self.next().map(Some)
    }

    /// Whether every element has been read.
    pub(crate) fn is_empty(&self) -> bool {
        self.reader.is_finished()
    }

    /// Checks that every element has been read.
    pub(crate) fn end(self) -> Result<()> {
        if self.reader.is_finished() {
            Ok(())
        } else {
            Err(bad(self.what))
        }
    }

    /// The next element as an OBJECT IDENTIFIER.
    pub(crate) fn oid(&mut self) -> Result<ObjectIdentifier> {
        let any = self.next()?;
        if any.tag() != Tag::ObjectIdentifier {
            return Err(bad(self.what));
        }
        ObjectIdentifier::from_bytes(any.value()).map_err(|_| bad(self.what))
    }

    /// The next element as the contents of an OCTET STRING.
    pub(crate) fn octets(&mut self) -> Result<&'a [u8]> {
        let any = self.next()?;
        octets(any, self.what)
    }

    /// The next element as a non-negative INTEGER that fits in a `u32`.
    pub(crate) fn uint(&mut self) -> Result<u32> {
        let any = self.next()?;
        any.decode_as::<u32>().map_err(|_| bad(self.what))
    }

    /// The next element as an AlgorithmIdentifier (RFC 5280 §4.1.1.2).
    pub(crate) fn alg_id(&mut self) -> Result<AlgId<'a>> {
        let any = self.next()?;
        let mut t = Tlv::sequence(any, self.what)?;
        let oid = t.oid()?;
        let params = if t.is_empty() { None } else { Some(t.next()?) };
        t.end()?;
        Ok(AlgId { oid, params })
    }
}

/// The contents of `any`, which must be an OCTET STRING (primitive, as DER requires).
pub(crate) fn octets<'a>(any: AnyRef<'a>, what: &'static str) -> Result<&'a [u8]> {
    if any.tag() != Tag::OctetString {
        return Err(bad(what));
    }
    Ok(any.value())
}

/// The value inside an explicit `[n]` tag: one complete element.
pub(crate) fn explicit<'a>(any: AnyRef<'a>, number: u32, what: &'static str) -> Result<AnyRef<'a>> {
    let tag = Tag::ContextSpecific {
        constructed: true,
        number: TagNumber(number),
    };
    if any.tag() != tag {
        return Err(bad(what));
    }
    AnyRef::from_der(any.value()).map_err(|_| bad(what))
}

/// The DER of the one element inside an explicit `[n]` tag.
pub(crate) fn explicit_der<'a>(
    any: AnyRef<'a>,
    number: u32,
    what: &'static str,
) -> Result<&'a [u8]> {
    explicit(any, number, what)?;
    Ok(any.value())
}

/// An AlgorithmIdentifier: OID and optional parameters.
#[derive(Clone, Copy)]
pub(crate) struct AlgId<'a> {
    pub(crate) oid: ObjectIdentifier,
    pub(crate) params: Option<AnyRef<'a>>,
}

impl AlgId<'_> {
    /// Absent or NULL parameters (as for hash and HMAC algorithm identifiers).
    pub(crate) fn params_null_or_absent(&self) -> bool {
        self.params.is_none_or(|p| p.is_null())
    }
}

/// The CBC ciphers the schemes use.
#[derive(Clone, Copy)]
enum CbcCipher {
    Aes128,
    Aes192,
    Aes256,
    /// Three-key DES-EDE (24-octet key).
    Tdes3,
    /// Two-key DES-EDE (16-octet key, RFC 7292 App. C `pbeWithSHAAnd2-KeyTripleDES-CBC`).
    Tdes2,
    /// RC2 with the given effective key length in bits (RFC 2268); the key is `bits / 8` octets.
    Rc2(usize),
}

impl CbcCipher {
    const fn key_len(self) -> usize {
        match self {
            Self::Aes128 | Self::Tdes2 => 16,
            Self::Aes192 | Self::Tdes3 => 24,
            Self::Aes256 => 32,
            Self::Rc2(bits) => bits / 8,
        }
    }

    const fn block_len(self) -> usize {
        match self {
            Self::Aes128 | Self::Aes192 | Self::Aes256 => 16,
            Self::Tdes3 | Self::Tdes2 | Self::Rc2(_) => 8,
        }
    }

    /// CBC-decrypts `data` and removes the PKCS#7 padding (RFC 8018 §6.1.1 step 4, RFC 5652
    /// §6.3). A padding failure is what a wrong password almost always produces.
    fn decrypt(self, key: &[u8], iv: &[u8], data: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
        if key.len() != self.key_len() || iv.len() != self.block_len() {
            return Err(key_invalid("wrong key or IV length for the cipher"));
        }
        if data.is_empty() || !data.len().is_multiple_of(self.block_len()) {
            return Err(key_invalid(
                "the encrypted data is not a whole number of cipher blocks",
            ));
        }
        let bad = |_| key_invalid("bad key or IV length");
        let out = match self {
            Self::Aes128 => cbc_vec(
                cbc::Decryptor::<aes::Aes128>::new_from_slices(key, iv).map_err(bad)?,
                data,
            ),
            Self::Aes192 => cbc_vec(
                cbc::Decryptor::<aes::Aes192>::new_from_slices(key, iv).map_err(bad)?,
                data,
            ),
            Self::Aes256 => cbc_vec(
                cbc::Decryptor::<aes::Aes256>::new_from_slices(key, iv).map_err(bad)?,
                data,
            ),
            Self::Tdes3 => cbc_vec(
                cbc::Decryptor::<des::TdesEde3>::new_from_slices(key, iv).map_err(bad)?,
                data,
            ),
            Self::Tdes2 => cbc_vec(
                cbc::Decryptor::<des::TdesEde2>::new_from_slices(key, iv).map_err(bad)?,
                data,
            ),
            Self::Rc2(bits) => {
                let cipher = rc2::Rc2::new_with_eff_key_len(key, bits);
                cbc_vec(inner_iv(cipher, iv)?, data)
            }
        };
        out.ok_or_else(|| {
            key_invalid("wrong password or corrupt encrypted data (decryption failed)")
        })
    }
}

fn inner_iv<C>(cipher: C, iv: &[u8]) -> Result<cbc::Decryptor<C>>
where
    C: BlockCipherDecrypt,
{
    cbc::Decryptor::<C>::inner_iv_slice_init(cipher, iv).map_err(|_| key_invalid("bad IV length"))
}

/// Decrypts in place in a buffer that is wiped on drop, whatever the outcome.
fn cbc_vec<M: BlockModeDecrypt>(mode: M, data: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    let mut buf = Zeroizing::new(data.to_vec());
    let len = mode.decrypt_padded::<Pkcs7>(&mut buf).ok()?.len();
    buf.truncate(len);
    Some(buf)
}

/// The PBKDF2 PRFs (RFC 8018 App. B.1).
#[derive(Clone, Copy)]
enum Prf {
    Sha1,
    Sha256,
    Sha384,
    Sha512,
}

/// Decrypts `data` encrypted with the scheme `alg` under `password` (PBES2, RFC 8018 §6.2.2;
/// PKCS#12 PBE, RFC 7292 App. B.2 and App. C). Iterations are taken from `budget`.
pub(crate) fn decrypt(
    alg: &AlgId<'_>,
    password: Password<'_>,
    data: &[u8],
    budget: &mut Budget,
) -> Result<Zeroizing<Vec<u8>>> {
    let params = alg
        .params
        .ok_or_else(|| key_invalid("the encryption algorithm has no parameters"))?;
    if alg.oid == OID_PBES2 {
        // PBES2-params (RFC 8018 App. A.4).
        let mut p = Tlv::sequence(params, "PBES2 parameters")?;
        let kdf = p.alg_id()?;
        let enc = p.alg_id()?;
        p.end()?;
        return pbes2_decrypt(&kdf, &enc, password, data, budget);
    }
    let cipher = match alg.oid {
        OID_PBE_SHA_3DES3 => CbcCipher::Tdes3,
        OID_PBE_SHA_3DES2 => CbcCipher::Tdes2,
        OID_PBE_SHA_RC2_128 => CbcCipher::Rc2(128),
        OID_PBE_SHA_RC2_40 => CbcCipher::Rc2(40),
        oid => return Err(unsupported_scheme(oid)),
    };
    // pkcs-12PbeParams (RFC 7292 App. C).
    let mut p = Tlv::sequence(params, "PKCS#12 PBE parameters")?;
    let salt = p.octets()?;
    let iterations = u64::from(p.uint()?);
    p.end()?;
    // Two derivations (key and IV), each of `iterations` rounds.
    let rounds = budget.spend(iterations)?;
    budget.spend(iterations)?;
    let key = pkcs12_kdf(password, salt, KdfPurpose::Key, rounds, cipher.key_len());
    let iv = pkcs12_kdf(password, salt, KdfPurpose::Iv, rounds, cipher.block_len());
    cipher.decrypt(&key, &iv, data)
}

fn unsupported_scheme(oid: ObjectIdentifier) -> Error {
    let s = oid.to_string();
    if oid == OID_PBE_SHA_RC4_128 || oid == OID_PBE_SHA_RC4_40 {
        Error::KeyInvalid("unsupported encryption scheme: RC4 (pbeWithSHAAnd*BitRC4)".into())
    } else if s.starts_with(OID_PKCS5_ARC) {
        Error::KeyInvalid(format!(
            "unsupported encryption scheme {s} (PKCS#5 v1.5 PBES1): re-encrypt the key with \
             PBES2 (openssl pkcs8 -topk8 -v2 aes-256-cbc)"
        ))
    } else {
        Error::KeyInvalid(format!("unsupported encryption scheme {s}"))
    }
}

/// The purpose byte `ID` of the RFC 7292 App. B.3 key derivation.
#[derive(Clone, Copy)]
pub(crate) enum KdfPurpose {
    /// ID 1: encryption key.
    Key = 1,
    /// ID 2: initial value.
    Iv = 2,
    /// ID 3: MAC key.
    Mac = 3,
}

/// RFC 7292 App. B.2 key derivation with SHA-1 (the only hash App. C uses).
pub(crate) fn pkcs12_kdf(
    password: Password<'_>,
    salt: &[u8],
    id: KdfPurpose,
    rounds: u32,
    len: usize,
) -> Zeroizing<Vec<u8>> {
    pkcs12_kdf_with::<sha1::Sha1>(password, salt, id, rounds, len)
}

/// The RFC 7292 App. B.2 key derivation ("PKCS#12 KDF") with the digest `D`, whose block size
/// is `v` and output size `u`: `I = S || P` (salt and password each repeated to a multiple of
/// `v`), then for each output block `A = H^rounds(D || I)` (`D` = `v` copies of the ID byte)
/// and, between blocks, every `v`-octet block of `I` becomes `I_j + B + 1 mod 2^(8v)` with `B`
/// = `A` repeated to `v` octets. The hash itself is RustCrypto's.
pub(crate) fn pkcs12_kdf_with<D>(
    password: Password<'_>,
    salt: &[u8],
    id: KdfPurpose,
    rounds: u32,
    len: usize,
) -> Zeroizing<Vec<u8>>
where
    D: sha2::Digest + sha2::digest::block_api::BlockSizeUser,
{
    // B.1: the password as a BMPString (UTF-16BE) with a terminating NUL; the "empty password"
    // of some producers is zero octets.
    let mut pass: Zeroizing<Vec<u8>> = Zeroizing::new(Vec::new());
    if let Password::Text(text) = password {
        pass.reserve(text.len() * 2 + 2);
        for unit in text.encode_utf16() {
            pass.extend_from_slice(&unit.to_be_bytes());
        }
        pass.extend_from_slice(&[0, 0]);
    }
    let v = <D as sha2::digest::block_api::BlockSizeUser>::block_size();
    let fill = |src: &[u8]| -> Vec<u8> {
        let n = src.len().div_ceil(v) * v;
        src.iter().copied().cycle().take(n).collect()
    };
    let mut i: Zeroizing<Vec<u8>> = Zeroizing::new(fill(salt));
    i.extend_from_slice(&Zeroizing::new(fill(&pass)));
    let d_block = vec![id as u8; v];

    let mut out: Zeroizing<Vec<u8>> = Zeroizing::new(Vec::with_capacity(len));
    loop {
        let mut h = D::new();
        h.update(&d_block);
        h.update(&*i);
        let mut a = h.finalize();
        for _ in 1..rounds {
            a = D::digest(&a);
        }
        let take = (len - out.len()).min(a.len());
        out.extend_from_slice(a.get(..take).unwrap_or_default());
        if out.len() >= len {
            break;
        }
        // B = A repeated to v octets; I_j = (I_j + B + 1) mod 2^(8v), big-endian.
        let b: Vec<u8> = a.iter().copied().cycle().take(v).collect();
        for block in i.chunks_mut(v) {
            let mut carry = 1u16;
            for (x, y) in block.iter_mut().rev().zip(b.iter().rev()) {
                let sum = u16::from(*x) + u16::from(*y) + carry;
                *x = (sum & 0xff) as u8;
                carry = sum >> 8;
            }
        }
        a.as_mut_slice().fill(0);
    }
    out
}

fn pbes2_decrypt(
    kdf: &AlgId<'_>,
    enc: &AlgId<'_>,
    password: Password<'_>,
    data: &[u8],
    budget: &mut Budget,
) -> Result<Zeroizing<Vec<u8>>> {
    if kdf.oid == OID_SCRYPT {
        return Err(key_invalid(
            "unsupported PBES2 key derivation: scrypt (use PBKDF2: openssl pkcs8 -topk8 -v2 \
             aes-256-cbc)",
        ));
    }
    if kdf.oid != OID_PBKDF2 {
        return Err(Error::KeyInvalid(format!(
            "unsupported PBES2 key derivation {}",
            kdf.oid
        )));
    }
    // PBKDF2-params (RFC 8018 App. A.2): salt (the `specified` OCTET STRING choice only),
    // iterationCount, keyLength OPTIONAL, prf DEFAULT hmacWithSHA1.
    let mut kp = Tlv::sequence(
        kdf.params
            .ok_or_else(|| key_invalid("PBKDF2 parameters missing"))?,
        "PBKDF2 parameters",
    )?;
    let salt = kp.octets()?;
    let iteration_count = kp.uint()?;
    let key_length = match kp.optional(Tag::Integer)? {
        Some(any) => Some(
            any.decode_as::<u32>()
                .map_err(|_| bad("PBKDF2 parameters"))?,
        ),
        None => None,
    };
    let prf_alg = if kp.is_empty() {
        None
    } else {
        Some(kp.alg_id()?)
    };
    kp.end()?;
    let prf = match &prf_alg {
        None => Prf::Sha1,
        Some(a) => {
            if !a.params_null_or_absent() {
                return Err(key_invalid("the PBKDF2 PRF parameters must be NULL"));
            }
            match a.oid {
                OID_HMAC_SHA1 => Prf::Sha1,
                OID_HMAC_SHA256 => Prf::Sha256,
                OID_HMAC_SHA384 => Prf::Sha384,
                OID_HMAC_SHA512 => Prf::Sha512,
                other => {
                    return Err(Error::KeyInvalid(format!(
                        "unsupported PBKDF2 pseudo-random function {other} (supported: \
                         hmacWithSHA1, -SHA256, -SHA384, -SHA512)"
                    )));
                }
            }
        }
    };
    let cipher = match enc.oid {
        OID_AES128_CBC => CbcCipher::Aes128,
        OID_AES192_CBC => CbcCipher::Aes192,
        OID_AES256_CBC => CbcCipher::Aes256,
        OID_DES_EDE3_CBC => CbcCipher::Tdes3,
        other => {
            return Err(Error::KeyInvalid(format!(
                "unsupported PBES2 encryption scheme {other} (supported: AES-128/192/256-CBC, \
                 DES-EDE3-CBC)"
            )));
        }
    };
    let iv = octets(
        enc.params
            .ok_or_else(|| key_invalid("the PBES2 cipher has no IV"))?,
        "PBES2 cipher IV",
    )?;
    if let Some(len) = key_length
        && usize::try_from(len).ok() != Some(cipher.key_len())
    {
        return Err(key_invalid(
            "the PBKDF2 key length does not match the PBES2 cipher",
        ));
    }
    let rounds = budget.spend(u64::from(iteration_count))?;
    let pass = match password {
        Password::Text(t) => t.as_bytes(),
        Password::EmptyPkcs12 => &[],
    };
    let mut key = Zeroizing::new(vec![0u8; cipher.key_len()]);
    match prf {
        Prf::Sha1 => pbkdf2::pbkdf2_hmac::<sha1::Sha1>(pass, salt, rounds, &mut key),
        Prf::Sha256 => pbkdf2::pbkdf2_hmac::<sha2::Sha256>(pass, salt, rounds, &mut key),
        Prf::Sha384 => pbkdf2::pbkdf2_hmac::<sha2::Sha384>(pass, salt, rounds, &mut key),
        Prf::Sha512 => pbkdf2::pbkdf2_hmac::<sha2::Sha512>(pass, salt, rounds, &mut key),
    }
    cipher.decrypt(&key, iv, data)
}

/// Decrypts an `EncryptedPrivateKeyInfo` (RFC 5958 §3) into the DER of its `PrivateKeyInfo`.
pub(crate) fn decrypt_private_key_info(
    der: &[u8],
    password: Password<'_>,
    budget: &mut Budget,
) -> Result<Zeroizing<Vec<u8>>> {
    let mut info = Tlv::parse(der, "encrypted PKCS#8 private key")?;
    let alg = info.alg_id()?;
    let data = info.octets()?;
    info.end()?;
    decrypt(&alg, password, data, budget)
}

impl Key {
    /// Imports an encrypted PKCS#8 `ENCRYPTED PRIVATE KEY` PEM (RFC 5958 §3, RFC 7468 §11)
    /// with its passphrase: PBES2 (RFC 8018 §6.2) with PBKDF2-HMAC-SHA-1/-SHA-256/-SHA-384/
    /// -SHA-512 and AES-128/192/256-CBC or DES-EDE3-CBC, or a PKCS#12 PBE scheme (RFC 7292
    /// App. C). A wrong passphrase, a corrupt container or an unsupported scheme (scrypt,
    /// PBES1) is [`Error::KeyInvalid`]. `alg`, when given, must match the key's family and
    /// binds it. Iteration counts above [`MAX_KDF_ITERATIONS`] are refused.
    pub fn from_encrypted_pkcs8_pem(pem: &str, passphrase: &str, alg: Option<Alg>) -> Result<Key> {
        check_input_size(pem.len())?;
        let blocks = parse_pem(pem)?;
        match blocks.first() {
            Some(b) if b.label == "ENCRYPTED PRIVATE KEY" => {
                Key::from_encrypted_pkcs8_der(&b.der, passphrase, alg)
            }
            _ => Err(key_invalid(
                "expected an encrypted PKCS#8 PEM document (\"-----BEGIN ENCRYPTED PRIVATE \
                 KEY-----\")",
            )),
        }
    }

    /// Imports a PKCS#8 PEM that may be encrypted (RFC 5958 §2 and §3), as jose's
    /// `importPKCS8` with a `passphrase` option: an `ENCRYPTED PRIVATE KEY` needs `passphrase`
    /// (without it: [`Error::KeyInvalid`]); a plain `PRIVATE KEY` is imported as by
    /// [`Key::from_pkcs8_pem`] and the passphrase is unused. The key is bound to `alg`.
    pub fn from_pkcs8_pem_with_passphrase(
        pem: &str,
        alg: Alg,
        passphrase: Option<&str>,
    ) -> Result<Key> {
        check_input_size(pem.len())?;
        let blocks = parse_pem(pem)?;
        match (blocks.first(), passphrase) {
            (Some(b), Some(p)) if b.label == "ENCRYPTED PRIVATE KEY" => {
                Key::from_encrypted_pkcs8_der(&b.der, p, Some(alg))
            }
            (Some(b), None) if b.label == "ENCRYPTED PRIVATE KEY" => Err(key_invalid(
                "the PKCS#8 private key is encrypted: a passphrase is required",
            )),
            _ => Key::from_pkcs8_pem(pem, alg),
        }
    }

    /// Imports a DER `EncryptedPrivateKeyInfo` (RFC 5958 §3) with its passphrase; see
    /// [`Key::from_encrypted_pkcs8_pem`].
    pub fn from_encrypted_pkcs8_der(der: &[u8], passphrase: &str, alg: Option<Alg>) -> Result<Key> {
        check_input_size(der.len())?;
        let mut budget = Budget::new();
        let plain = decrypt_private_key_info(der, Password::Text(passphrase), &mut budget)?;
        let inner = inner_from_pkcs8_der(&plain).map_err(|e| match e {
            // A padding check passes by chance about once in 256 wrong passphrases.
            Error::KeyInvalid(_) => {
                key_invalid("wrong passphrase or corrupt encrypted PKCS#8 private key")
            }
            other => other,
        })?;
        finish(inner, alg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Known answers of OpenSSL's `PKCS12_key_gen_utf8` (as published with RustCrypto's
    /// `pkcs12` crate tests): password "ge@äheim", salt 01..08.
    #[test]
    fn pkcs12_kdf_known_answers() {
        let pw = Password::Text("ge@äheim");
        let salt = [1u8, 2, 3, 4, 5, 6, 7, 8];
        let kdf256 = |id, rounds, len| {
            hex::encode(&*pkcs12_kdf_with::<sha2::Sha256>(
                pw, &salt, id, rounds, len,
            ))
        };
        assert_eq!(
            kdf256(KdfPurpose::Key, 100, 32),
            "fae4d4957a3cc781e1180b9d4fb79c1e0c8579b746a3177e5b0768a3118bf863"
        );
        assert_eq!(
            kdf256(KdfPurpose::Iv, 100, 20),
            "e5ff813bc6547de5155b14d2fada85b3201a9773"
        );
        assert_eq!(kdf256(KdfPurpose::Mac, 100, 12), "136355ed9434516682534f46");
        assert_eq!(
            kdf256(KdfPurpose::Mac, 1000, 32),
            "3f9113f05c30a996c4a516409bdac9d065f44296ccd52bb75de3fcfdbe2bf130"
        );
        // Several output blocks: exercises the I_j = I_j + B + 1 update.
        assert_eq!(
            kdf256(KdfPurpose::Key, 1000, 100),
            "2b95a0569b63f641fae1efca32e84db3699ab74540628ba66283b58cf5400527d8d0ebe2ccbf768c51c4\
             d8fbd1bb156be06c1c59cbb69e44052ffc37376fdb47b2de7f9e543de9d096d8e5474b220410ff1c5d8b\
             b7e5bc0f61baeaa12fd0da1d7a970172"
        );
        assert_eq!(
            kdf256(KdfPurpose::Key, 1000, 200),
            "2b95a0569b63f641fae1efca32e84db3699ab74540628ba66283b58cf5400527d8d0ebe2ccbf768c51c4\
             d8fbd1bb156be06c1c59cbb69e44052ffc37376fdb47b2de7f9e543de9d096d8e5474b220410ff1c5d8b\
             b7e5bc0f61baeaa12fd0da1d7a9701729cea6014d7fe62a2ed926dc36b61307f119d64edbceb5a9c5813\
             3bbf75ba0bef000a1a5180e4b1de7d89c89528bcb7899a1e46fd4da0d9de8f8e65e8d0d775e33d1247e7\
             6d596a34303161b219f39afda448bf518a2835fc5e28f0b55a1b6137a2c70cf7"
        );
        assert_eq!(
            hex::encode(&*pkcs12_kdf_with::<sha2::Sha512>(
                pw,
                &salt,
                KdfPurpose::Key,
                100,
                32
            )),
            "b14a9f01bfd9dce4c9d66d2fe9937e5fd9f1afa59e370a6fa4fc81c1cc8ec8ee"
        );
        // Degenerate sizes do not panic.
        assert!(pkcs12_kdf(Password::EmptyPkcs12, &[], KdfPurpose::Key, 1, 0).is_empty());
        assert_eq!(
            pkcs12_kdf(Password::EmptyPkcs12, &[], KdfPurpose::Key, 1, 45).len(),
            45
        );
    }

    #[test]
    fn budget_limits_iterations() {
        let mut b = Budget::new();
        assert!(b.spend(0).is_err());
        assert!(b.spend(u64::from(MAX_KDF_ITERATIONS) + 1).is_err());
        for _ in 0..4 {
            assert!(b.spend(u64::from(MAX_KDF_ITERATIONS)).is_ok());
        }
        assert!(b.spend(1).is_err());
    }

    #[test]
    fn tlv_cursor_rejects_malformed() {
        // SEQUENCE { INTEGER 3 } then trailing garbage.
        assert!(Tlv::parse(&[0x30, 0x03, 0x02, 0x01, 0x03, 0x00], "x").is_err());
        let mut t = Tlv::parse(&[0x30, 0x03, 0x02, 0x01, 0x03], "x").unwrap();
        assert_eq!(t.uint().unwrap(), 3);
        assert!(t.next().is_err());
        // Not a SEQUENCE; length past the end; a negative INTEGER.
        assert!(Tlv::parse(&[0x31, 0x00], "x").is_err());
        assert!(Tlv::parse(&[0x30, 0x05, 0x02, 0x01], "x").is_err());
        let mut neg = Tlv::parse(&[0x30, 0x03, 0x02, 0x01, 0xff], "x").unwrap();
        assert!(neg.uint().is_err());
    }
}
