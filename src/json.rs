//! JSON parsing that rejects duplicate member names (RFC 7515 §4, RFC 7519 §4; security.md row 13).
//!
//! `serde_json::Value` silently keeps the last of two equal names, which lets
//! `{"alg":"RS256","alg":"none"}` mean different things to different parsers. This parser
//! compares names *after* unescaping, so `"\u0061lg"` and `"alg"` are the same member.

use core::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use crate::error::{Error, Result};

/// A JSON object: the representation of JOSE headers and JWT claim sets.
pub type Object = Map<String, Value>;

struct Strict(Value);

impl<'de> Deserialize<'de> for Strict {
    fn deserialize<D: Deserializer<'de>>(d: D) -> core::result::Result<Self, D::Error> {
        d.deserialize_any(StrictVisitor)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Strict;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> core::result::Result<Strict, E> {
        Ok(Strict(Value::Bool(v)))
    }
    fn visit_i64<E>(self, v: i64) -> core::result::Result<Strict, E> {
        Ok(Strict(Value::from(v)))
    }
    fn visit_u64<E>(self, v: u64) -> core::result::Result<Strict, E> {
        Ok(Strict(Value::from(v)))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> core::result::Result<Strict, E> {
        serde_json::Number::from_f64(v)
            .map(|n| Strict(Value::Number(n)))
            .ok_or_else(|| E::custom("non-finite number"))
    }
    fn visit_str<E>(self, v: &str) -> core::result::Result<Strict, E> {
        Ok(Strict(Value::String(v.to_owned())))
    }
    fn visit_string<E>(self, v: String) -> core::result::Result<Strict, E> {
        Ok(Strict(Value::String(v)))
    }
    fn visit_unit<E>(self) -> core::result::Result<Strict, E> {
        Ok(Strict(Value::Null))
    }
    fn visit_none<E>(self) -> core::result::Result<Strict, E> {
        Ok(Strict(Value::Null))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> core::result::Result<Strict, A::Error> {
        let mut out = Vec::new();
        while let Some(Strict(v)) = seq.next_element()? {
            out.push(v);
        }
        Ok(Strict(Value::Array(out)))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> core::result::Result<Strict, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let Strict(v) = map.next_value()?;
            if out.contains_key(&key) {
                return Err(de::Error::custom(format!("duplicate member name {key:?}")));
            }
            out.insert(key, v);
        }
        Ok(Strict(Value::Object(out)))
    }
}

/// Parses any JSON value, rejecting duplicate member names at every depth.
pub fn parse_value(bytes: &[u8]) -> core::result::Result<Value, String> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let Strict(v) = Strict::deserialize(&mut de).map_err(|e| e.to_string())?;
    de.end().map_err(|e| e.to_string())?;
    Ok(v)
}

/// Parses a JSON object, rejecting duplicate member names; `err` builds the caller's error kind.
pub fn parse_object_with(bytes: &[u8], what: &str, err: fn(String) -> Error) -> Result<Object> {
    match parse_value(bytes) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(err(format!("{what} must be a JSON object"))),
        Err(e) => Err(err(format!("{what} is not valid JSON: {e}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicates_rejected_even_when_escaped_or_nested() {
        for bad in [
            r#"{"alg":"RS256","alg":"none"}"#,
            r#"{"alg":"RS256","\u0061lg":"none"}"#,
            r#"{"a":{"b":1,"b":2}}"#,
            r#"[{"x":1,"x":1}]"#,
        ] {
            assert!(parse_value(bad.as_bytes()).is_err(), "{bad}");
        }
        let ok = parse_object_with(br#"{"a":[1,{"b":null}],"c":1.5}"#, "x", Error::JwsInvalid);
        assert!(ok.is_ok());
        assert!(parse_object_with(b"[]", "x", Error::JwsInvalid).is_err());
        assert!(parse_object_with(b"{} x", "x", Error::JwsInvalid).is_err());
        assert!(parse_value(b"1e400").is_err());
    }
}
