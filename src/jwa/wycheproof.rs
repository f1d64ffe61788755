//! Project Wycheproof vectors run through [`jwa::verify`] (security.md rows 2, 3, 12).
//!
//! Keys are built from each test group's key fields with `Key::from_inner`, so the whole
//! verification path (`check_usable` and the primitive) is exercised. The rule: every `valid`
//! case verifies, every `invalid` case fails. `acceptable` cases and groups whose parameters are
//! not a JOSE algorithm follow the policies documented at each test below; each is enforced, so
//! a change of behaviour is noticed.
//!
//! Vector files are read in place from `/work/shared/vectors/wycheproof/testvectors_v1`
//! (formats: `doc/formats.md`, `doc/types.md`, `schemas/`).

use std::fmt::Write as _;

use ::rsa::RsaPublicKey;
use ::rsa::pkcs1::DecodeRsaPublicKey;
use serde_json::Value;
use zeroize::Zeroizing;

use crate::jwa::{self, Alg};
use crate::jwk::{Key, KeyInner};

const DIR: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../shared/vectors/wycheproof/testvectors_v1/"
);

fn load(file: &str) -> Value {
    let path = format!("{DIR}{file}");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn str_field<'a>(v: &'a Value, name: &str) -> &'a str {
    v[name]
        .as_str()
        .unwrap_or_else(|| panic!("missing string field {name:?}"))
}

fn hex_field(v: &Value, name: &str) -> Vec<u8> {
    hex::decode(str_field(v, name)).unwrap_or_else(|e| panic!("field {name:?}: {e}"))
}

fn groups(doc: &Value) -> &Vec<Value> {
    doc["testGroups"].as_array().expect("testGroups")
}

fn tests(group: &Value) -> &Vec<Value> {
    group["tests"].as_array().expect("tests")
}

/// What we require of one test case.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// Wycheproof `valid`: must verify.
    Valid,
    /// Wycheproof `invalid`: must fail.
    Invalid,
    /// Wycheproof `acceptable`: must go the way the policy of the test says (`true` = accept).
    Acceptable(bool),
    /// Valid for the primitive with these parameters, but not a valid JOSE signature (truncated
    /// HMAC tag, short HMAC key, PSS salt length ≠ hash length): must fail.
    NotJose,
}

/// Counts what a file ran and collects every deviation.
#[derive(Default)]
struct Tally {
    valid_ok: usize,
    invalid_rejected: usize,
    acceptable_accepted: usize,
    acceptable_rejected: usize,
    not_jose_rejected: usize,
    not_applicable: usize,
    failures: Vec<String>,
}

impl Tally {
    fn expect(tc: &Value) -> Expect {
        match str_field(tc, "result") {
            "valid" => Expect::Valid,
            "invalid" => Expect::Invalid,
            "acceptable" => Expect::Acceptable(false),
            other => panic!("unknown result {other:?}"),
        }
    }

    /// Records one case; a rejection must be the opaque `SignatureVerificationFailed`.
    fn record(&mut self, tc: &Value, expect: Expect, outcome: crate::Result<()>) {
        self.record_with(tc, expect, outcome, "ERR_JWS_SIGNATURE_VERIFICATION_FAILED");
    }

    /// Records one case; a rejection must carry the error code `reject_code`.
    fn record_with(
        &mut self,
        tc: &Value,
        expect: Expect,
        outcome: crate::Result<()>,
        reject_code: &str,
    ) {
        if let Err(e) = &outcome
            && e.code() != reject_code
        {
            self.failures.push(format!(
                "tcId {}: rejected with {} instead of {reject_code}",
                tc["tcId"],
                e.code()
            ));
            return;
        }
        let ok = outcome.is_ok();
        let pass = match expect {
            Expect::Valid => {
                self.valid_ok += usize::from(ok);
                ok
            }
            Expect::Invalid => {
                self.invalid_rejected += usize::from(!ok);
                !ok
            }
            Expect::NotJose => {
                self.not_jose_rejected += usize::from(!ok);
                !ok
            }
            Expect::Acceptable(policy) => {
                if ok {
                    self.acceptable_accepted += 1;
                } else {
                    self.acceptable_rejected += 1;
                }
                ok == policy
            }
        };
        if !pass {
            self.failures.push(format!(
                "tcId {} ({}; flags {}; expected {}) -> {:?}",
                tc["tcId"],
                tc["comment"].as_str().unwrap_or(""),
                tc["flags"],
                match expect {
                    Expect::Valid => "valid".to_owned(),
                    Expect::Invalid => "invalid".to_owned(),
                    Expect::NotJose => "rejection (not a JOSE signature)".to_owned(),
                    Expect::Acceptable(p) => format!("acceptable, policy accept={p}"),
                },
                outcome
            ));
        }
    }

    fn ran(&self) -> usize {
        self.valid_ok
            + self.invalid_rejected
            + self.acceptable_accepted
            + self.acceptable_rejected
            + self.not_jose_rejected
            + self.failures.len()
    }

    /// Prints the summary line and fails the test on any deviation or if nothing ran.
    fn finish(self, name: &str) {
        let mut line = format!(
            "wycheproof {name}: {} valid ok, {} invalid rejected",
            self.valid_ok, self.invalid_rejected
        );
        let acceptable = self.acceptable_accepted + self.acceptable_rejected;
        if acceptable > 0 {
            let way = match (self.acceptable_accepted, self.acceptable_rejected) {
                (0, _) => "rejected".to_owned(),
                (_, 0) => "accepted".to_owned(),
                (a, r) => format!("{a} accepted, {r} rejected"),
            };
            let _ = write!(line, ", {acceptable} acceptable ({way})");
        }
        if self.not_jose_rejected > 0 {
            let _ = write!(line, ", {} non-JOSE rejected", self.not_jose_rejected);
        }
        if self.not_applicable > 0 {
            let _ = write!(line, ", {} not applicable", self.not_applicable);
        }
        if !self.failures.is_empty() {
            let _ = write!(line, ", {} FAILED", self.failures.len());
        }
        println!("{line}");
        assert!(self.ran() > 0, "wycheproof {name}: no test case ran");
        assert!(
            self.failures.is_empty(),
            "wycheproof {name}: {} failures:\n{}",
            self.failures.len(),
            self.failures.join("\n")
        );
    }
}

fn file_stem(file: &str) -> &str {
    file.strip_suffix("_test.json").unwrap_or(file)
}

fn rsa_key(group: &Value) -> Key {
    let der = hex_field(group, "publicKeyAsn");
    let pk = RsaPublicKey::from_pkcs1_der(&der).expect("RSA public key");
    Key::from_inner(KeyInner::RsaPublic(pk))
}

fn sha_alg(sha: &str, family: [Alg; 3]) -> Option<Alg> {
    match sha {
        "SHA-256" => Some(family[0]),
        "SHA-384" => Some(family[1]),
        "SHA-512" => Some(family[2]),
        _ => None,
    }
}

/// RSASSA-PKCS1-v1_5 (`RS256/384/512`, RFC 7518 §3.3).
///
/// `acceptable` policy: the only acceptable cases are "MissingNull" (a DigestInfo without the
/// NULL parameters). RFC 8017 §9.2 defines the encoding with the NULL; we compare the encoded
/// message against that one canonical encoding and **reject** the legacy variant.
#[test]
fn rsa_pkcs1_v1_5() {
    for bits in [2048, 3072, 4096] {
        for sha in [256, 384, 512] {
            let file = format!("rsa_signature_{bits}_sha{sha}_test.json");
            let doc = load(&file);
            let mut tally = Tally::default();
            for group in groups(&doc) {
                let alg = sha_alg(
                    str_field(group, "sha"),
                    [Alg::Rs256, Alg::Rs384, Alg::Rs512],
                )
                .expect("JOSE hash");
                let key = rsa_key(group);
                for tc in tests(group) {
                    let expect = match Tally::expect(tc) {
                        Expect::Acceptable(_) => Expect::Acceptable(false),
                        e => e,
                    };
                    let outcome =
                        jwa::verify(alg, &key, &hex_field(tc, "msg"), &hex_field(tc, "sig"));
                    tally.record(tc, expect, outcome);
                }
            }
            tally.finish(file_stem(&file));
        }
    }
}

/// RSASSA-PSS (`PS256/384/512`, RFC 7518 §3.5: MGF1 with the same hash, salt length = hash
/// length).
///
/// Groups with those parameters run under the rule. Groups that use a JOSE hash (SHA-256/384/512)
/// but another MGF1 hash or salt length are valid RSASSA-PSS but not valid `PS*` signatures: they
/// run under the matching `PS*` alg and must be rejected (counted as "non-JOSE rejected"). Groups
/// whose message hash has no JOSE alg (SHA-1, SHA-224) are counted as "not applicable".
#[test]
fn rsa_pss() {
    let files = [
        "rsa_pss_2048_sha256_mgf1_32_test.json",
        "rsa_pss_2048_sha384_mgf1_48_test.json",
        "rsa_pss_3072_sha256_mgf1_32_test.json",
        "rsa_pss_4096_sha256_mgf1_32_test.json",
        "rsa_pss_4096_sha384_mgf1_48_test.json",
        "rsa_pss_4096_sha512_mgf1_64_test.json",
        "rsa_pss_misc_test.json",
    ];
    for file in files {
        let doc = load(file);
        let mut tally = Tally::default();
        for group in groups(&doc) {
            let sha = str_field(group, "sha");
            let Some(alg) = sha_alg(sha, [Alg::Ps256, Alg::Ps384, Alg::Ps512]) else {
                tally.not_applicable += tests(group).len();
                continue;
            };
            let jose = str_field(group, "mgf") == "MGF1"
                && str_field(group, "mgfSha") == sha
                && group["sLen"].as_u64() == Some(alg.hash_len() as u64);
            let key = rsa_key(group);
            for tc in tests(group) {
                let expect = match Tally::expect(tc) {
                    Expect::Valid if !jose => Expect::NotJose,
                    Expect::Acceptable(_) if !jose => Expect::NotJose,
                    // No PSS file has acceptable cases today; should one appear, we reject it.
                    Expect::Acceptable(_) => Expect::Acceptable(false),
                    e => e,
                };
                let outcome = jwa::verify(alg, &key, &hex_field(tc, "msg"), &hex_field(tc, "sig"));
                tally.record(tc, expect, outcome);
            }
        }
        tally.finish(file_stem(file));
    }
}

/// ECDSA with IEEE P1363 (`R‖S`) signatures (`ES256/384/512`, RFC 7518 §3.4). These files have
/// no `acceptable` cases; should one appear, we reject it. "SignatureSize" cases (R‖S encoded
/// with fewer bytes) are `invalid` and rejected by the exact-length rule.
#[test]
fn ecdsa_p1363() {
    let files = [
        ("ecdsa_secp256r1_sha256_p1363_test.json", Alg::Es256),
        ("ecdsa_secp384r1_sha384_p1363_test.json", Alg::Es384),
        ("ecdsa_secp521r1_sha512_p1363_test.json", Alg::Es512),
    ];
    for (file, alg) in files {
        let doc = load(file);
        let mut tally = Tally::default();
        for group in groups(&doc) {
            let point = hex_field(&group["publicKey"], "uncompressed");
            let inner = match alg {
                Alg::Es256 => KeyInner::P256Public(
                    p256::ecdsa::VerifyingKey::from_sec1_bytes(&point).expect("P-256 key"),
                ),
                Alg::Es384 => KeyInner::P384Public(
                    p384::ecdsa::VerifyingKey::from_sec1_bytes(&point).expect("P-384 key"),
                ),
                _ => KeyInner::P521Public(
                    p521::ecdsa::VerifyingKey::from_sec1_bytes(&point).expect("P-521 key"),
                ),
            };
            let key = Key::from_inner(inner);
            for tc in tests(group) {
                let expect = match Tally::expect(tc) {
                    Expect::Acceptable(_) => Expect::Acceptable(false),
                    e => e,
                };
                let outcome = jwa::verify(alg, &key, &hex_field(tc, "msg"), &hex_field(tc, "sig"));
                tally.record(tc, expect, outcome);
            }
        }
        tally.finish(file_stem(file));
    }
}

/// Ed25519 (`EdDSA`, RFC 8037 §3.1) with `verify_strict`. No `acceptable` cases in this file;
/// should one appear, we reject it.
#[test]
fn ed25519() {
    let file = "ed25519_test.json";
    let doc = load(file);
    let mut tally = Tally::default();
    for group in groups(&doc) {
        let pk: [u8; 32] = hex_field(&group["publicKey"], "pk")
            .try_into()
            .expect("32-byte key");
        let vk = ed25519_dalek::VerifyingKey::from_bytes(&pk).expect("Ed25519 key");
        let key = Key::from_inner(KeyInner::Ed25519Public(vk));
        for tc in tests(group) {
            let expect = match Tally::expect(tc) {
                Expect::Acceptable(_) => Expect::Acceptable(false),
                e => e,
            };
            let outcome = jwa::verify(
                Alg::EdDsa,
                &key,
                &hex_field(tc, "msg"),
                &hex_field(tc, "sig"),
            );
            tally.record(tc, expect, outcome);
        }
    }
    tally.finish(file_stem(file));
}

/// HMAC-SHA-2 (`HS256/384/512`, RFC 7518 §3.2).
///
/// Groups with a full-length tag and a key at least as long as the hash run under the rule.
/// Two kinds of group are valid HMACs but not valid JOSE MACs, and run expecting rejection
/// ("non-JOSE rejected"):
/// - a truncated tag (`tagSize` < hash size): RFC 7518 §3.2 forbids truncation, and
///   verification compares the full-length tag;
/// - a key shorter than the hash (`keySize` < hash size): RFC 7518 §3.2 requires a key of at
///   least the hash size; `check_usable` refuses it (`ERR_KEY_INVALID`).
///
/// For their `valid` cases we also check that the rejection is only due to the JOSE rule: the
/// primitive itself (bypassing `check_usable`) reproduces the tag (as a prefix for truncated
/// tags).
#[test]
fn hmac() {
    let files = [
        ("hmac_sha256_test.json", Alg::Hs256),
        ("hmac_sha384_test.json", Alg::Hs384),
        ("hmac_sha512_test.json", Alg::Hs512),
    ];
    for (file, alg) in files {
        let doc = load(file);
        let mut tally = Tally::default();
        for group in groups(&doc) {
            let hash_bits = alg.hash_len() as u64 * 8;
            let tag_bits = group["tagSize"].as_u64().expect("tagSize");
            let key_bits = group["keySize"].as_u64().expect("keySize");
            let jose = tag_bits == hash_bits && key_bits >= hash_bits;
            for tc in tests(group) {
                let secret = hex_field(tc, "key");
                let msg = hex_field(tc, "msg");
                let tag = hex_field(tc, "tag");
                let key = Key::from_inner(KeyInner::Oct(Zeroizing::new(secret)));
                let expect = match Tally::expect(tc) {
                    Expect::Valid if !jose => {
                        let full = super::hmac::sign(alg, &key, &msg).expect("raw HMAC");
                        assert!(
                            full.starts_with(&tag),
                            "{file} tcId {}: the primitive disagrees with the vector",
                            tc["tcId"]
                        );
                        Expect::NotJose
                    }
                    Expect::Acceptable(_) if !jose => Expect::NotJose,
                    Expect::Acceptable(_) => Expect::Acceptable(false),
                    e => e,
                };
                let outcome = jwa::verify(alg, &key, &msg, &tag);
                if key_bits < hash_bits {
                    // Refused by the key check before any MAC is computed.
                    tally.record_with(tc, expect, outcome, "ERR_KEY_INVALID");
                } else {
                    tally.record(tc, expect, outcome);
                }
            }
        }
        tally.finish(file_stem(file));
    }
}
