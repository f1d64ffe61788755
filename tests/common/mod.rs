//! Shared helpers for the conformance (`tests/vectors.rs`) and attack-regression
//! (`tests/attacks.rs`) integration tests: a deterministic test RNG, vector loading from
//! `../shared/vectors/` (read in place, never copied) and a case counter that refuses to pass
//! when nothing ran.

#![allow(dead_code)]

use std::path::PathBuf;

use oidckit::{Error, Object};
use serde_json::Value;

/// A deterministic, **test-only** RNG (a 64-bit LCG) implementing rand_core 0.10's `TryRng` and
/// `TryCryptoRng`, hence `CryptoRng`. Never use it outside tests.
pub struct TestRng(pub u64);

impl rand_core::TryRng for TestRng {
    type Error = core::convert::Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        Ok((self.try_next_u64()? >> 32) as u32)
    }
    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        Ok(self.0)
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        for b in dst {
            *b = (self.try_next_u64()? >> 56) as u8;
        }
        Ok(())
    }
}
impl rand_core::TryCryptoRng for TestRng {}

/// The absolute path of a file under `/work/shared/vectors/`.
pub fn vector_path(rel: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/vectors/")).join(rel)
}

/// Reads and parses a JSON vector file in place.
pub fn load(rel: &str) -> Value {
    let path = vector_path(rel);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read vector file {}: {e}", path.display()));
    serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("vector file {} is not JSON: {e}", path.display()))
}

/// The `examples` array of an `rfc/*.json` vector file.
pub fn examples(file: &Value) -> &Vec<Value> {
    file["examples"]
        .as_array()
        .expect("the vector file has an \"examples\" array")
}

/// The example whose `section` is exactly `section`.
pub fn example<'a>(file: &'a Value, section: &str) -> &'a Value {
    examples(file)
        .iter()
        .find(|e| e["section"] == section)
        .unwrap_or_else(|| panic!("no example {section:?} in the vector file"))
}

/// A JSON object member as `&Object`.
pub fn obj(v: &Value) -> &Object {
    v.as_object()
        .unwrap_or_else(|| panic!("expected a JSON object, got {v}"))
}

/// A JSON string member as `&str`.
pub fn s(v: &Value) -> &str {
    v.as_str()
        .unwrap_or_else(|| panic!("expected a JSON string, got {v}"))
}

/// Builds an [`Object`] from a `serde_json::json!` value.
pub fn to_obj(v: Value) -> Object {
    match v {
        Value::Object(m) => m,
        other => panic!("expected a JSON object, got {other}"),
    }
}

/// `"OK"` or the error's stable code.
pub fn code<T>(r: &Result<T, Error>) -> &'static str {
    match r {
        Ok(_) => "OK",
        Err(e) => e.code(),
    }
}

/// Flips one bit of the base64url segment `index` (0 = header, 1 = payload, 2 = signature) of a
/// compact token, re-encoding it strictly, so the token stays well-formed.
pub fn flip_bit(token: &str, index: usize, byte: usize, bit: u8) -> String {
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    let mut bytes = oidckit::b64::decode(&parts[index], "test segment").expect("base64url segment");
    let at = byte % bytes.len();
    bytes[at] ^= 1 << (bit % 8);
    parts[index] = oidckit::b64::encode(&bytes);
    parts.join(".")
}

/// Counts the cases a test ran; [`Summary::finish`] fails unless the count equals what the
/// vector file holds and is non-zero (a test that ran nothing must never pass).
pub struct Summary {
    name: &'static str,
    ran: usize,
}

impl Summary {
    /// A new counter for the test `name`.
    pub fn new(name: &'static str) -> Self {
        Self { name, ran: 0 }
    }
    /// Records one completed case.
    pub fn case(&mut self, label: &str) {
        self.ran += 1;
        println!("[{}] ok: {label}", self.name);
    }
    /// The number of cases recorded so far.
    pub fn ran(&self) -> usize {
        self.ran
    }
    /// Asserts that exactly `expected` (> 0) cases ran.
    pub fn finish(self, expected: usize) {
        println!("[{}] {} of {expected} cases ran", self.name, self.ran);
        assert!(
            expected > 0,
            "[{}] the vector file holds no case",
            self.name
        );
        assert_eq!(
            self.ran, expected,
            "[{}] ran {} cases but the vector file holds {expected}",
            self.name, self.ran
        );
    }
}
