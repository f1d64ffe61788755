//! Demonstrating Proof of Possession, DPoP (RFC 9449), sans-IO.
//!
//! - Clients: [`create_proof`] builds a DPoP proof JWT (§4.2) for the `DPoP` request header
//!   (§4.1), bound to an access token with `ath` (§4.2, §7) and to a server nonce with `nonce`
//!   (§8, §9); [`dpop_nonce`] reads a `DPoP-Nonce` response header (§8.1) and
//!   [`is_use_dpop_nonce_error`] tells whether a response asks for a retry with that nonce (§8,
//!   §9).
//! - Authorization and resource servers: [`verify_proof`] performs every check of §4.3 and
//!   returns the JWK SHA-256 thumbprint `jkt` (§6.1, RFC 7638) of the proof's key;
//!   [`check_cnf_jkt`] checks an access token's (or introspection response's) `cnf.jkt`
//!   against it (§6.1, §6.2, §7.1).
//!
//! The core never reads a clock and never draws hidden randomness: `now` and the RNG are
//! parameters. Replay detection of `jti` (§11.1) needs storage and is left to the caller: keep
//! each accepted `(jkt, jti)` for the acceptance window ([`DpopValidation::max_age`] plus the
//! clock tolerance).

use rand_core::CryptoRng;
use serde_json::Value;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::UnixTime;
use crate::b64;
use crate::error::{ClaimFailure, Error, Result};
use crate::json::{self, Object};
use crate::jwa::{Alg, Family};
use crate::jwk::{Key, KeyKind, KeyOp, ThumbprintHash};
use crate::jws::{self, Header, VerifyOptions};
use crate::jwt::{self, Validation};
use crate::oauth::http::{HttpResponse, MAX_BODY_LENGTH, split_url};

/// The `typ` header value of a DPoP proof JWT (RFC 9449 §4.2, §13.1 media type
/// `application/dpop+jwt`).
pub const DPOP_TYP: &str = "dpop+jwt";

/// The default acceptance window for a proof's `iat`, in seconds (RFC 9449 §4.3 item 11,
/// §11.1: "a few seconds or minutes"; oauth4webapi and oidc-provider use 300 s).
pub const DEFAULT_MAX_AGE: u64 = 300;

/// The largest accepted proof, checked before anything is decoded (RFC 9449 §4.3 item 2; a
/// proof with an RSA-8192 `jwk` is about 4 KiB).
pub const MAX_PROOF_LENGTH: usize = 16 * 1024;

/// Random octets in a generated `jti` (RFC 9449 §4.2: at least 96 bits; 256 here).
const JTI_OCTETS: usize = 32;

/// JWK members that only a private or secret key has (RFC 7518 §6.2.2, §6.3.2, §6.4.1,
/// RFC 8037 §2): a proof's `jwk` must not contain any of them (RFC 9449 §4.2, §4.3 item 7).
const PRIVATE_MEMBERS: &[&str] = &["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

// ---- helpers ---------------------------------------------------------------------------------

fn ct_eq(a: &str, b: &str) -> bool {
    bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

fn claim_invalid(claim: &str, message: impl Into<String>) -> Error {
    Error::JwtClaimValidationFailed(ClaimFailure::new(claim, "invalid", message))
}

fn claim_missing(claim: &str) -> Error {
    Error::JwtClaimValidationFailed(ClaimFailure::new(
        claim,
        "missing",
        format!("missing required \"{claim}\" claim"),
    ))
}

fn claim_failed(claim: &str, message: impl Into<String>) -> Error {
    Error::JwtClaimValidationFailed(ClaimFailure::new(claim, "check_failed", message))
}

/// Whether `b` is a `tchar` (RFC 9110 §5.6.2).
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'!' | b'#'
                | b'$'
                | b'%'
                | b'&'
                | b'\''
                | b'*'
                | b'+'
                | b'-'
                | b'.'
                | b'^'
                | b'_'
                | b'`'
                | b'|'
                | b'~'
        )
}

/// Whether `s` is an HTTP method token (RFC 9110 §9.1, §5.6.2 `token`).
fn is_method_token(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(is_tchar)
}

/// Whether `s` is a DPoP nonce: `1*NQCHAR` (RFC 9449 §8.1; RFC 6749 Appendix A: `%x21 /
/// %x23-5B / %x5D-7E`).
fn is_nonce(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b == 0x21 || (0x23..=0x5b).contains(&b) || (0x5d..=0x7e).contains(&b))
}

/// The `ath` value for an access token (RFC 9449 §4.2): base64url of the SHA-256 hash of the
/// ASCII encoding of the token.
pub fn access_token_hash(access_token: &str) -> String {
    b64::encode(Sha256::digest(access_token.as_bytes()))
}

/// Removes dot segments from an absolute path (RFC 3986 §5.2.4).
fn remove_dot_segments(path: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    let segments: Vec<&str> = path.split('/').skip(1).collect();
    let last = segments.len().saturating_sub(1);
    for (i, seg) in segments.iter().enumerate() {
        match *seg {
            "." => {
                if i == last {
                    out.push("");
                }
            }
            ".." => {
                out.pop();
                if i == last {
                    out.push("");
                }
            }
            s => out.push(s),
        }
    }
    let mut s = String::with_capacity(path.len());
    for seg in &out {
        s.push('/');
        s.push_str(seg);
    }
    if s.is_empty() {
        s.push('/');
    }
    s
}

/// Syntax-based normalisation of percent-encoding (RFC 3986 §6.2.2.1–6.2.2.2): hex digits
/// uppercased, unreserved characters decoded. `None` for a malformed `%XY`.
fn normalize_percent(path: &str) -> Option<String> {
    let bytes = path.as_bytes();
    let mut out = String::with_capacity(path.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hi = bytes.get(i + 1).and_then(|c| char::from(*c).to_digit(16))?;
            let lo = bytes.get(i + 2).and_then(|c| char::from(*c).to_digit(16))?;
            let v = u8::try_from(hi * 16 + lo).ok()?;
            if v.is_ascii_alphanumeric() || matches!(v, b'-' | b'.' | b'_' | b'~') {
                out.push(char::from(v));
            } else {
                out.push('%');
                out.push_str(&format!("{v:02X}"));
            }
            i += 3;
        } else {
            out.push(char::from(b));
            i += 1;
        }
    }
    Some(out)
}

/// Splits an `http(s)` URL for `htu` purposes: query and fragment dropped (RFC 9449 §4.2),
/// scheme and host lowercased, the default port and an empty port removed, an empty path made
/// `/` (RFC 3986 §6.2.2.1, §6.2.3), dot segments removed (RFC 3986 §5.2.4). Userinfo is
/// refused. Returns (origin, path).
fn htu_parts(url: &str) -> Result<(String, String)> {
    let no_fragment = url.split('#').next().unwrap_or_default();
    let (scheme, authority, tail) = split_url(no_fragment)?;
    let path = tail.split('?').next().unwrap_or_default();
    let (host, port) = if authority.starts_with('[') {
        match authority.find(']') {
            Some(i) => (
                authority.get(..=i).unwrap_or(authority),
                authority.get(i + 1..).and_then(|p| p.strip_prefix(':')),
            ),
            None => (authority, None),
        }
    } else {
        match authority.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    let default_port = if scheme == "https" { 443 } else { 80 };
    let port = match port {
        None | Some("") => None,
        Some(p) => {
            let n: u16 = p
                .parse()
                .map_err(|_| Error::InvalidArgValue(format!("invalid URL {url:?}: bad port")))?;
            (n != default_port).then_some(n)
        }
    };
    let mut origin = format!("{scheme}://{}", host.to_ascii_lowercase());
    if let Some(p) = port {
        origin.push_str(&format!(":{p}"));
    }
    let path = if path.is_empty() {
        "/".to_owned()
    } else {
        remove_dot_segments(path)
    };
    Ok((origin, path))
}

/// The `htu` a client puts in a proof for `url` (RFC 9449 §4.2): the URL without query and
/// fragment, with the scheme and host lowercased, the default port removed and dot segments
/// resolved — what `new URL(url).origin + pathname` gives in JavaScript (oauth4webapi).
pub fn htu_for(url: &str) -> Result<String> {
    let (origin, path) = htu_parts(url)?;
    Ok(origin + &path)
}

/// Normalises a URL for the `htu` comparison of RFC 9449 §4.3 item 9: [`htu_for`] plus the
/// percent-encoding normalisation of RFC 3986 §6.2.2 (hex digits uppercased, unreserved
/// characters decoded).
pub fn normalize_htu(url: &str) -> Result<String> {
    let (origin, path) = htu_parts(url)?;
    let path = normalize_percent(&path).ok_or_else(|| {
        Error::InvalidArgValue(format!("invalid URL {url:?}: malformed percent-encoding"))
    })?;
    Ok(origin + &path)
}

// ---- proof creation (client) -----------------------------------------------------------------

/// What [`create_proof`] signs: one DPoP proof for one HTTP request (RFC 9449 §4.2).
#[derive(Debug, Clone, Copy)]
pub struct DpopProofRequest<'a> {
    /// The client's private asymmetric key; its public half goes in the `jwk` header
    /// (RFC 9449 §4.2).
    pub key: &'a Key,
    /// The JWS algorithm (RFC 9449 §4.2 `alg`: asymmetric only). `None`: the key's bound `alg`,
    /// or its family's only algorithm (ES256/ES384/ES512/EdDSA); an unbound RSA key needs it.
    pub alg: Option<Alg>,
    /// The request method, the `htm` claim (RFC 9449 §4.2), e.g. `POST`.
    pub htm: &'a str,
    /// The request URL; `htu` is it without query and fragment (RFC 9449 §4.2, [`htu_for`]).
    pub htu: &'a str,
    /// The access token the request presents: adds `ath` (RFC 9449 §4.2, §7).
    pub access_token: Option<&'a str>,
    /// The last nonce the server gave in `DPoP-Nonce` (RFC 9449 §8, §9): the `nonce` claim.
    pub nonce: Option<&'a str>,
}

/// The algorithm a DPoP proof uses for `key`: `alg` when given, else the key's bound `alg`,
/// else its family's only algorithm (RFC 9449 §4.2). Symmetric algorithms are refused.
pub fn proof_alg(key: &Key, alg: Option<Alg>) -> Result<Alg> {
    let alg = match (alg, key.meta.alg) {
        (Some(a), _) | (None, Some(a)) => a,
        (None, None) => match key.family().algs() {
            [only] => *only,
            _ => {
                return Err(Error::InvalidArgValue(
                    "an RSA key without a bound \"alg\" needs an explicit DPoP algorithm".into(),
                ));
            }
        },
    };
    if alg.family() == Family::Oct {
        return Err(Error::AlgNotAllowed(format!(
            "{alg} is symmetric: DPoP proofs use asymmetric algorithms (RFC 9449 §4.2)"
        )));
    }
    Ok(alg)
}

/// Creates a DPoP proof JWT (RFC 9449 §4.2): header `typ` `dpop+jwt`, `alg`, and `jwk` = the
/// public key's required members only (never private members); claims `jti` (256 random bits),
/// `htm`, `htu` (no query or fragment), `iat` = `now`, `ath` = base64url(SHA-256(access token))
/// when an access token is given, and `nonce` when given.
///
/// Errors: a public key or a secret is [`Error::KeyInvalid`]; a symmetric or mismatched `alg`
/// is [`Error::AlgNotAllowed`]; a malformed method, URL, access token or nonce is
/// [`Error::InvalidArgValue`].
pub fn create_proof<R: CryptoRng + ?Sized>(
    req: &DpopProofRequest<'_>,
    now: UnixTime,
    rng: &mut R,
) -> Result<String> {
    let key = req.key;
    if key.kind() != KeyKind::Private {
        return Err(Error::KeyInvalid(
            "a DPoP proof is signed with a private asymmetric key (RFC 9449 §4.2)".into(),
        ));
    }
    let alg = proof_alg(key, req.alg)?;
    key.check_usable(alg, KeyOp::Sign)?;
    if !is_method_token(req.htm) {
        return Err(Error::InvalidArgValue(format!(
            "htm must be an HTTP method token (RFC 9110 §9.1), got {:?}",
            req.htm
        )));
    }
    let htu = htu_for(req.htu)?;
    if let Some(token) = req.access_token
        && (token.is_empty() || !token.bytes().all(|b| (0x20..=0x7e).contains(&b)))
    {
        return Err(Error::InvalidArgValue(
            "the access token must be non-empty printable ASCII (RFC 6749 Appendix A.12)".into(),
        ));
    }
    if let Some(nonce) = req.nonce
        && !is_nonce(nonce)
    {
        return Err(Error::InvalidArgValue(
            "a DPoP nonce must be 1*NQCHAR (RFC 9449 §8.1)".into(),
        ));
    }
    let jwk = key
        .to_public_members()
        .ok_or_else(|| Error::KeyInvalid("the key has no public members".into()))?;

    let mut header = Object::new();
    header.insert("typ".into(), Value::String(DPOP_TYP.into()));
    header.insert("alg".into(), Value::String(alg.as_str().into()));
    header.insert("jwk".into(), Value::Object(jwk));

    let mut jti = [0u8; JTI_OCTETS];
    rng.fill_bytes(&mut jti);
    let mut claims = Object::new();
    claims.insert("jti".into(), Value::String(b64::encode(jti)));
    claims.insert("htm".into(), Value::String(req.htm.into()));
    claims.insert("htu".into(), Value::String(htu));
    claims.insert("iat".into(), Value::from(now));
    if let Some(token) = req.access_token {
        claims.insert("ath".into(), Value::String(access_token_hash(token)));
    }
    if let Some(nonce) = req.nonce {
        claims.insert("nonce".into(), Value::String(nonce.into()));
    }
    jwt::sign(&header, &claims, key, rng)
}

// ---- proof verification (authorization and resource servers) ----------------------------------

/// What [`verify_proof`] checks besides the signature (RFC 9449 §4.3).
#[derive(Debug, Clone)]
pub struct DpopValidation {
    /// The method of the request the proof came with (§4.3 item 8), compared exactly.
    pub htm: String,
    /// The URL of the request the proof came with (§4.3 item 9); query and fragment are
    /// ignored and both sides are normalised ([`normalize_htu`]).
    pub htu: String,
    /// The access token presented with the proof (`Authorization: DPoP …`, §7.1): the proof's
    /// `ath` must be its hash (§4.3 item 12). `None` at the token endpoint.
    pub access_token: Option<String>,
    /// The nonce the server expects (§4.3 item 10, §8, §9): the proof's `nonce` must equal it.
    pub nonce: Option<String>,
    /// The algorithm allow-list (§4.3 item 5); empty means every supported asymmetric
    /// algorithm. Symmetric algorithms are refused ([`Error::InvalidArgValue`]); `none` does
    /// not exist here.
    pub algorithms: Vec<Alg>,
    /// How old `iat` may be, in seconds (§4.3 item 11, §11.1); [`DEFAULT_MAX_AGE`] by default.
    pub max_age: u64,
    /// Allowed clock skew in seconds, both for `iat` in the future and beyond `max_age`
    /// (at most [`jwt::MAX_CLOCK_TOLERANCE`]).
    pub clock_tolerance: u64,
    /// The current time, in seconds since the Unix epoch.
    pub now: UnixTime,
}

impl DpopValidation {
    /// Validation of a proof for `htm` `htu` at time `now`: every asymmetric algorithm, a 300 s
    /// window, no tolerance, no access token, no nonce (RFC 9449 §4.3).
    pub fn new(htm: impl Into<String>, htu: impl Into<String>, now: UnixTime) -> Self {
        Self {
            htm: htm.into(),
            htu: htu.into(),
            access_token: None,
            nonce: None,
            algorithms: Vec::new(),
            max_age: DEFAULT_MAX_AGE,
            clock_tolerance: 0,
            now,
        }
    }
}

/// A verified DPoP proof (RFC 9449 §4.3).
#[derive(Debug, Clone, PartialEq)]
pub struct DpopProof {
    /// The RFC 7638 SHA-256 thumbprint of the proof's `jwk` (RFC 9449 §6.1): compare it with
    /// the access token's `cnf.jkt` ([`check_cnf_jkt`]), or bind a new token to it.
    pub jkt: String,
    /// The validated protected header (`typ`, `alg`, `jwk`).
    pub header: Header,
    /// The proof's claims (`jti`, `htm`, `htu`, `iat`, and `ath` / `nonce` when present).
    pub claims: Object,
}

/// Every asymmetric algorithm this crate implements (RFC 9449 §4.3 item 5 default).
fn asymmetric_algs() -> Vec<Alg> {
    Alg::ALL
        .iter()
        .copied()
        .filter(|a| a.family() != Family::Oct)
        .collect()
}

/// Whether `s` is the shape of exactly one compact JWS: three non-empty-header base64url
/// segments, nothing else (RFC 9449 §4.3 item 2; a comma means several header values).
fn is_single_compact_jwt(s: &str) -> bool {
    let mut parts = 0;
    for seg in s.split('.') {
        parts += 1;
        if !seg
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return false;
        }
    }
    parts == 3
}

/// Compares a `typ` as a media type (RFC 7515 §4.1.9): case-insensitive, `application/`
/// optional.
fn is_dpop_typ(typ: &str) -> bool {
    let lower = typ.to_ascii_lowercase();
    lower.strip_prefix("application/").unwrap_or(&lower) == DPOP_TYP
}

/// The key in a proof's `jwk` header (RFC 9449 §4.2, §4.3 items 6–7): a JSON object, public
/// members only, an asymmetric key usable with `alg`. Everything else is
/// [`Error::JwsInvalid`] (jose's `EmbeddedJWK`), or the JWK importer's error.
fn embedded_key(raw: &Object, alg: Alg) -> Result<Key> {
    let Some(Value::Object(jwk)) = raw.get("jwk") else {
        return Err(Error::JwsInvalid(
            "the \"jwk\" (JSON Web Key) header parameter must be a JSON object (RFC 9449 §4.2)"
                .into(),
        ));
    };
    if let Some(name) = PRIVATE_MEMBERS.iter().find(|m| jwk.contains_key(**m)) {
        return Err(Error::JwsInvalid(format!(
            "the \"jwk\" header parameter must be a public key: it has the private member \
             {name:?} (RFC 9449 §4.2, §4.3 item 7)"
        )));
    }
    let key = Key::from_jwk(jwk, Some(alg))?;
    if key.kind() != KeyKind::Public {
        return Err(Error::JwsInvalid(
            "the \"jwk\" header parameter must be a public key (RFC 9449 §4.3 item 7)".into(),
        ));
    }
    Ok(key)
}

fn required_string<'a>(claims: &'a Object, name: &str) -> Result<&'a str> {
    match claims.get(name) {
        None => Err(claim_missing(name)),
        Some(Value::String(s)) if !s.is_empty() => Ok(s),
        Some(_) => Err(claim_invalid(
            name,
            format!("\"{name}\" claim must be a non-empty string"),
        )),
    }
}

fn optional_string<'a>(claims: &'a Object, name: &str) -> Result<Option<&'a str>> {
    match claims.get(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(claim_invalid(
            name,
            format!("\"{name}\" claim must be a string"),
        )),
    }
}

/// Verifies the value of a `DPoP` request header (RFC 9449 §4.3), in this order:
///
/// 1. exactly one compact JWT, at most [`MAX_PROOF_LENGTH`] octets (items 1–2;
///    [`Error::JwtInvalid`]; pass the header value only when the request has exactly one
///    `DPoP` field);
/// 2. `typ` is `dpop+jwt` (item 4; [`Error::JwtClaimValidationFailed`] with claim `typ`);
/// 3. `alg` is an allowed asymmetric algorithm, never `none` or `HS*` (item 5;
///    [`Error::AlgNotAllowed`]);
/// 4. `jwk` is a public key without private members (item 7; [`Error::JwsInvalid`] or the JWK
///    importer's error) and the signature verifies with it (item 6;
///    [`Error::SignatureVerificationFailed`]); no unknown `crit`;
/// 5. the claims are a JSON object with `jti`, `htm`, `htu` and `iat` (item 3);
/// 6. `htm` equals the request method (item 8) and `htu` the request URL after normalisation,
///    query and fragment ignored (item 9);
/// 7. `nonce` equals the expected nonce when one is expected (item 10);
/// 8. `iat` is at most `max_age` old and not in the future, both with the clock tolerance
///    (item 11; [`Error::JwtExpired`] when too old);
/// 9. `ath` is the hash of the presented access token, compared in constant time (item 12).
///
/// Claim failures are [`Error::JwtClaimValidationFailed`] naming the claim (`missing`,
/// `invalid` or `check_failed`). Returns the proof with its key's thumbprint `jkt`; checking
/// the access token's binding (§6.1) is [`check_cnf_jkt`], and `jti` replay detection (§11.1)
/// is the caller's.
pub fn verify_proof(proof: &str, v: &DpopValidation) -> Result<DpopProof> {
    // Caller's inputs first: misuse is not the proof's fault.
    if v.clock_tolerance > jwt::MAX_CLOCK_TOLERANCE {
        return Err(Error::InvalidArgValue(format!(
            "clockTolerance must be at most {} seconds",
            jwt::MAX_CLOCK_TOLERANCE
        )));
    }
    if let Some(a) = v.algorithms.iter().find(|a| a.family() == Family::Oct) {
        return Err(Error::InvalidArgValue(format!(
            "{a} is symmetric: DPoP proofs use asymmetric algorithms only (RFC 9449 §4.3 item 5)"
        )));
    }
    if !is_method_token(&v.htm) {
        return Err(Error::InvalidArgValue(format!(
            "htm must be an HTTP method token (RFC 9110 §9.1), got {:?}",
            v.htm
        )));
    }
    let expected_htu = normalize_htu(&v.htu)?;
    let expected_ath = v.access_token.as_deref().map(access_token_hash);

    // Items 1–2: one well-formed JWT.
    if proof.len() > MAX_PROOF_LENGTH {
        return Err(Error::JwtInvalid(format!(
            "the DPoP proof exceeds the {MAX_PROOF_LENGTH}-byte limit"
        )));
    }
    if !is_single_compact_jwt(proof) {
        return Err(Error::JwtInvalid(
            "the DPoP header must hold exactly one compact JWT (RFC 9449 §4.3 items 1–2)".into(),
        ));
    }
    let raw = jws::decode_protected_header(proof)?;

    // Item 4: typ.
    match raw.get("typ") {
        Some(Value::String(t)) if is_dpop_typ(t) => {}
        _ => {
            return Err(claim_failed(
                "typ",
                "unexpected \"typ\" JWT header value: a DPoP proof has \"dpop+jwt\" (RFC 9449 §4.2)",
            ));
        }
    }

    // Item 5: alg.
    let alg_name = match raw.get("alg") {
        Some(Value::String(s)) => s.as_str(),
        Some(_) => return Err(Error::JwsInvalid("\"alg\" must be a string".into())),
        None => {
            return Err(Error::JwsInvalid(
                "the \"alg\" header parameter is missing".into(),
            ));
        }
    };
    let allowed = if v.algorithms.is_empty() {
        asymmetric_algs()
    } else {
        v.algorithms.clone()
    };
    let alg = allowed
        .iter()
        .copied()
        .find(|a| a.as_str() == alg_name)
        .ok_or_else(|| {
            Error::AlgNotAllowed(format!(
                "\"alg\" (Algorithm) value {alg_name:?} is not allowed for DPoP proofs"
            ))
        })?;

    // Items 6–7: the embedded public key and the signature.
    let key = embedded_key(&raw, alg)?;
    let opts = VerifyOptions {
        algorithms: vec![alg],
        crit: Vec::new(),
        max_token_length: MAX_PROOF_LENGTH,
    };
    let verified = jws::verify_compact(proof, &key, &opts)?;
    if !verified.header.b64 {
        return Err(Error::JwtInvalid(
            "JWTs must not use an unencoded payload (\"b64\": false)".into(),
        ));
    }
    let claims =
        json::parse_object_with(&verified.payload, "the JWT Claims Set", Error::JwtInvalid)?;

    // Item 3 and 11: required claims, types, the iat window (and exp / nbf when present).
    let mut jv = Validation::new(v.now);
    jv.clock_tolerance = v.clock_tolerance;
    jv.max_token_age = Some(v.max_age);
    jv.required_claims = ["jti", "htm", "htu", "iat"]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    required_string(&claims, "jti")?;
    let htm = required_string(&claims, "htm")?;
    let htu = required_string(&claims, "htu")?;
    let nonce = optional_string(&claims, "nonce")?;
    let ath = optional_string(&claims, "ath")?;
    jwt::validate_claims(&claims, &verified.header, &jv)?;

    // Item 8: htm.
    if htm != v.htm {
        return Err(claim_failed(
            "htm",
            "\"htm\" claim does not match the request method (RFC 9449 §4.3 item 8)",
        ));
    }
    // Item 9: htu.
    let got_htu = normalize_htu(htu)
        .map_err(|_| claim_invalid("htu", "\"htu\" claim must be an absolute http(s) URL"))?;
    if got_htu != expected_htu {
        return Err(claim_failed(
            "htu",
            "\"htu\" claim does not match the request URL (RFC 9449 §4.3 item 9)",
        ));
    }
    // Item 10: nonce.
    if let Some(expected) = &v.nonce {
        match nonce {
            None => return Err(claim_missing("nonce")),
            Some(n) if ct_eq(n, expected) => {}
            Some(_) => {
                return Err(claim_failed(
                    "nonce",
                    "\"nonce\" claim does not match the server-provided nonce (RFC 9449 §4.3 item 10)",
                ));
            }
        }
    }
    // Item 12: ath.
    if let Some(expected) = &expected_ath {
        match ath {
            None => return Err(claim_missing("ath")),
            Some(a) if ct_eq(a, expected) => {}
            Some(_) => {
                return Err(claim_failed(
                    "ath",
                    "\"ath\" claim does not match the access token hash (RFC 9449 §4.3 item 12)",
                ));
            }
        }
    }

    let jkt = key.thumbprint(ThumbprintHash::Sha256)?;
    Ok(DpopProof {
        jkt,
        header: verified.header,
        claims,
    })
}

/// Checks that a DPoP-bound access token is bound to the proof's key (RFC 9449 §6.1, §6.2,
/// §7.1): `claims` are the JWT access token's claims or the introspection response
/// (RFC 7662 §2.2), whose `cnf` must be an object with a `jkt` string equal to `jkt`. Failures
/// are [`Error::JwtClaimValidationFailed`] with claim `cnf` (`missing`, `invalid`,
/// `check_failed`).
pub fn check_cnf_jkt(claims: &Object, jkt: &str) -> Result<()> {
    let cnf = match claims.get("cnf") {
        None => return Err(claim_missing("cnf")),
        Some(Value::Object(o)) => o,
        Some(_) => return Err(claim_invalid("cnf", "\"cnf\" claim must be a JSON object")),
    };
    match cnf.get("jkt") {
        None => Err(Error::JwtClaimValidationFailed(ClaimFailure::new(
            "cnf",
            "missing",
            "the access token is not DPoP-bound: \"cnf\" has no \"jkt\" (RFC 9449 §6.1)",
        ))),
        Some(Value::String(s)) if ct_eq(s, jkt) => Ok(()),
        Some(Value::String(_)) => Err(claim_failed(
            "cnf",
            "the access token is bound to another key: \"cnf.jkt\" does not match the DPoP \
             proof's key (RFC 9449 §6.1)",
        )),
        Some(_) => Err(claim_invalid("cnf", "\"cnf.jkt\" must be a string")),
    }
}

// ---- nonces (RFC 9449 §8, §9) ----------------------------------------------------------------

/// The `DPoP-Nonce` header of a response (RFC 9449 §8.1, §9), when present and well-formed
/// (`1*NQCHAR`); a malformed value is ignored (`None`).
pub fn dpop_nonce(resp: &HttpResponse) -> Option<&str> {
    resp.header("dpop-nonce").filter(|v| is_nonce(v))
}

/// One challenge of a `WWW-Authenticate` field (RFC 9110 §11.6.1): the scheme and its
/// auth-params (names lowercased; a token68 is ignored).
struct Challenge {
    scheme: String,
    params: Vec<(String, String)>,
}

/// Parses `WWW-Authenticate` field values (RFC 9110 §11.6.1): `#challenge`, `challenge =
/// auth-scheme [ 1*SP ( token68 / #auth-param ) ]`, `auth-param = token BWS "=" BWS ( token /
/// quoted-string )`. Lenient: an element that does not parse is skipped.
fn parse_challenges(value: &str) -> Vec<Challenge> {
    // Split into comma-separated elements outside quoted strings.
    let mut elements: Vec<String> = Vec::new();
    let mut cur = String::new();
    let mut in_quotes = false;
    let mut escaped = false;
    for c in value.chars() {
        if in_quotes {
            cur.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_quotes = false;
            }
        } else if c == ',' {
            elements.push(core::mem::take(&mut cur));
        } else {
            if c == '"' {
                in_quotes = true;
            }
            cur.push(c);
        }
    }
    elements.push(cur);

    let mut out: Vec<Challenge> = Vec::new();
    for element in elements {
        let e = element.trim_matches([' ', '\t']);
        if e.is_empty() {
            continue;
        }
        let token_end = e.bytes().position(|b| !is_tchar(b)).unwrap_or(e.len());
        let (token, rest) = e.split_at(token_end);
        if token.is_empty() {
            continue;
        }
        let after = rest.trim_start_matches([' ', '\t']);
        if after.starts_with('=') && !after.starts_with("==") {
            // An auth-param of the current challenge.
            if let Some(ch) = out.last_mut()
                && let Some(v) = param_value(after)
            {
                ch.params.push((token.to_ascii_lowercase(), v));
            }
            continue;
        }
        // A new challenge: the scheme, then maybe its first auth-param (or a token68).
        let mut ch = Challenge {
            scheme: token.to_owned(),
            params: Vec::new(),
        };
        if !after.is_empty() {
            let pend = after
                .bytes()
                .position(|b| !is_tchar(b))
                .unwrap_or(after.len());
            let (name, prest) = after.split_at(pend);
            let prest = prest.trim_start_matches([' ', '\t']);
            if !name.is_empty()
                && prest.starts_with('=')
                && let Some(v) = param_value(prest)
            {
                ch.params.push((name.to_ascii_lowercase(), v));
            }
        }
        out.push(ch);
    }
    out
}

/// The value after `=` of an auth-param: a token or a quoted-string (RFC 9110 §5.6.4), with
/// nothing after it.
fn param_value(after_eq: &str) -> Option<String> {
    let v = after_eq.strip_prefix('=')?.trim_matches([' ', '\t']);
    if let Some(inner) = v.strip_prefix('"') {
        let mut out = String::new();
        let mut chars = inner.chars();
        loop {
            match chars.next()? {
                '\\' => out.push(chars.next()?),
                '"' => break,
                c => out.push(c),
            }
        }
        return chars.as_str().is_empty().then_some(out);
    }
    (!v.is_empty() && v.bytes().all(is_tchar)).then(|| v.to_owned())
}

/// Whether a response asks the client to retry with the nonce of its `DPoP-Nonce` header:
/// an authorization server's `400` with a JSON body whose `error` is `use_dpop_nonce`
/// (RFC 9449 §8), or a resource server's `401` with a `WWW-Authenticate: DPoP
/// error="use_dpop_nonce"` challenge (RFC 9449 §9; every `WWW-Authenticate` field and every
/// challenge in it is looked at). Retry at most once per request.
pub fn is_use_dpop_nonce_error(resp: &HttpResponse) -> bool {
    match resp.status {
        400 => {
            if resp.body.len() > MAX_BODY_LENGTH {
                return false;
            }
            json::parse_object_with(&resp.body, "response body", Error::OAuthInvalidResponse)
                .ok()
                .is_some_and(|o| o.get("error").and_then(Value::as_str) == Some("use_dpop_nonce"))
        }
        401 => resp
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case("www-authenticate"))
            .flat_map(|(_, v)| parse_challenges(v))
            .any(|c| {
                c.scheme.eq_ignore_ascii_case("dpop")
                    && c.params
                        .iter()
                        .any(|(n, v)| n == "error" && v == "use_dpop_nonce")
            }),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_segments() {
        assert_eq!(remove_dot_segments("/a/b/c/./../../g"), "/a/g");
        assert_eq!(remove_dot_segments("/a/.."), "/");
        assert_eq!(remove_dot_segments("/.."), "/");
        assert_eq!(remove_dot_segments("/a/./"), "/a/");
        assert_eq!(remove_dot_segments("/"), "/");
        assert_eq!(remove_dot_segments("/a//b"), "/a//b");
    }

    #[test]
    fn htu_normalisation() {
        assert_eq!(
            htu_for("HTTPS://Server.Example.COM:443/token?x=1#f").unwrap(),
            "https://server.example.com/token"
        );
        assert_eq!(htu_for("http://a.example:80").unwrap(), "http://a.example/");
        assert_eq!(
            htu_for("https://a.example:8443/p").unwrap(),
            "https://a.example:8443/p"
        );
        assert_eq!(
            normalize_htu("https://a.example/%7euser/%2f").unwrap(),
            "https://a.example/~user/%2F"
        );
        assert_eq!(
            normalize_htu("https://[::1]:443/x").unwrap(),
            "https://[::1]/x"
        );
        assert!(normalize_htu("https://a.example/%zz").is_err());
        assert!(normalize_htu("ftp://a.example/").is_err());
        assert!(normalize_htu("https://u:p@a.example/").is_err());
        assert!(normalize_htu("/relative").is_err());
    }

    #[test]
    fn challenges() {
        let c = parse_challenges(
            r#"Bearer realm="x, y", error="invalid_token", DPoP algs="ES256 PS256", error = "use_dpop_nonce""#,
        );
        assert_eq!(c.len(), 2);
        assert_eq!(c[0].scheme, "Bearer");
        assert_eq!(c[0].params[0], ("realm".into(), "x, y".into()));
        assert_eq!(c[1].scheme, "DPoP");
        assert_eq!(c[1].params[1], ("error".into(), "use_dpop_nonce".into()));
        let c = parse_challenges("Basic, Negotiate abc==, DPoP error=use_dpop_nonce");
        assert_eq!(c.len(), 3);
        assert_eq!(c[2].params[0].1, "use_dpop_nonce");
        assert!(c[1].params.is_empty());
        assert!(
            parse_challenges(r#"DPoP error="unterminated"#)[0]
                .params
                .is_empty()
        );
    }

    #[test]
    fn nonce_syntax() {
        assert!(is_nonce("eyJ7S_zG.eyJH0-Z.HX4w-7v"));
        assert!(!is_nonce(""));
        assert!(!is_nonce("a b"));
        assert!(!is_nonce("a\"b"));
        assert!(!is_nonce("a\\b"));
    }
}
