//! JWK Sets (RFC 7517 §5) and key selection for JWS verification (RFC 7515 §4.1.4, §6).
//!
//! A set is parsed strictly (duplicate members rejected, size-limited) but tolerantly: members
//! that are unsupported or invalid are skipped and counted, as RFC 7517 §5 asks ("implementations
//! SHOULD ignore JWKs within a JWK Set that use `kty` values that are not understood by them, that
//! are missing required members, or for which values are out of the supported ranges").
//! Selection compares the `kid` as an opaque string (never used in a path, URL or query;
//! security.md row 6) and honours `alg`, `use` and `key_ops`.

use serde_json::Value;

use crate::error::{Error, Result};
use crate::json::{self, Object};
use crate::jwa::Alg;
use crate::jwk::Key;

/// Largest JWK Set accepted by [`JwkSet::from_json`], in bytes.
pub const MAX_JWKS_JSON_BYTES: usize = 1024 * 1024;

/// A JWK Set (RFC 7517 §5): the usable keys, plus how many members were skipped.
#[derive(Debug, Clone, Default)]
pub struct JwkSet {
    keys: Vec<Key>,
    skipped: usize,
}

impl JwkSet {
    /// Parses a JWK Set from JSON text (RFC 7517 §5): at most 1 MiB, strict JSON with duplicate
    /// member names rejected ([`Error::JwksInvalid`]), then as [`JwkSet::from_object`].
    pub fn from_json(json: &str) -> Result<Self> {
        if json.len() > MAX_JWKS_JSON_BYTES {
            return Err(Error::JwksInvalid(format!(
                "a JWK Set larger than {MAX_JWKS_JSON_BYTES} bytes is not accepted"
            )));
        }
        let obj = json::parse_object_with(json.as_bytes(), "the JWK Set", Error::JwksInvalid)?;
        Self::from_object(&obj)
    }

    /// Builds a JWK Set from its JSON object (RFC 7517 §5.1): `keys` must be an array of objects
    /// ([`Error::JwksInvalid`] otherwise). Each member is imported with [`Key::from_jwk`];
    /// unsupported or invalid members are skipped and counted in [`JwkSet::skipped`].
    pub fn from_object(obj: &Object) -> Result<Self> {
        let Some(Value::Array(members)) = obj.get("keys") else {
            return Err(Error::JwksInvalid(
                "a JWK Set must have a \"keys\" array".into(),
            ));
        };
        let mut set = JwkSet::default();
        for member in members {
            let Value::Object(jwk) = member else {
                return Err(Error::JwksInvalid(
                    "the JWK Set \"keys\" must be an array of objects".into(),
                ));
            };
            match Key::from_jwk(jwk, None) {
                Ok(key) => set.keys.push(key),
                Err(_) => set.skipped += 1,
            }
        }
        Ok(set)
    }

    /// A JWK Set holding the given keys (RFC 7517 §5).
    pub fn from_keys(keys: Vec<Key>) -> Self {
        Self { keys, skipped: 0 }
    }

    /// The usable keys, in document order.
    pub fn keys(&self) -> &[Key] {
        &self.keys
    }

    /// How many members of the parsed set were skipped as unsupported or invalid (RFC 7517 §5).
    pub fn skipped(&self) -> usize {
        self.skipped
    }

    /// Every key that may verify a JWS with this `alg` and `kid` (RFC 7515 §4.1.4, RFC 7517
    /// §4.2–4.5): the key's family is `alg`'s; its `kid` equals `kid` exactly when `kid` is given
    /// (compared as an opaque string); its bound `alg`, if any, is `alg`; its `use`, if any, is
    /// `"sig"`; its `key_ops`, if any, include `"verify"`.
    pub fn candidates(&self, alg: Alg, kid: Option<&str>) -> Vec<&Key> {
        self.keys
            .iter()
            .filter(|k| k.family() == alg.family())
            .filter(|k| match kid {
                Some(want) => k.meta.kid.as_deref() == Some(want),
                None => true,
            })
            .filter(|k| k.meta.alg.is_none_or(|a| a == alg))
            .filter(|k| k.meta.use_.as_deref().is_none_or(|u| u == "sig"))
            .filter(|k| {
                k.meta
                    .key_ops
                    .as_ref()
                    .is_none_or(|ops| ops.iter().any(|o| o == "verify"))
            })
            .collect()
    }

    /// The single key matching `alg` and `kid` (see [`JwkSet::candidates`]):
    /// [`Error::JwksNoMatchingKey`] when none does, [`Error::JwksMultipleMatchingKeys`] when
    /// several do (jose's `createLocalJWKSet` semantics).
    pub fn select(&self, alg: Alg, kid: Option<&str>) -> Result<&Key> {
        let mut found = self.candidates(alg, kid).into_iter();
        match (found.next(), found.next()) {
            (Some(k), None) => Ok(k),
            (None, _) => Err(Error::JwksNoMatchingKey),
            (Some(_), Some(_)) => Err(Error::JwksMultipleMatchingKeys),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_must_be_an_array_of_objects() {
        for bad in [
            r#"{}"#,
            r#"{"keys":{}}"#,
            r#"{"keys":"x"}"#,
            r#"{"keys":[1]}"#,
            r#"{"keys":[{"kty":"oct","k":"AA"}, null]}"#,
            r#"[]"#,
            r#"{"keys":[],"keys":[]}"#,
        ] {
            assert_eq!(
                JwkSet::from_json(bad).err().map(|e| e.code()),
                Some("ERR_JWKS_INVALID"),
                "{bad}"
            );
        }
        let big = format!(r#"{{"keys":[],"x":"{}"}}"#, "a".repeat(MAX_JWKS_JSON_BYTES));
        assert_eq!(
            JwkSet::from_json(&big).err().map(|e| e.code()),
            Some("ERR_JWKS_INVALID")
        );
    }

    #[test]
    fn secrets_selected_by_kid_and_alg() {
        let set = JwkSet::from_json(
            r#"{"keys":[
                {"kty":"oct","k":"AAAA","kid":"a"},
                {"kty":"oct","k":"AAAB","kid":"b","alg":"HS384"},
                {"kty":"oct","k":"","kid":"empty"},
                {"kty":"oct","k":"AAAC","kid":"c","use":"enc"},
                {"kty":"oct","k":"AAAD","kid":"d","key_ops":["sign"]}
            ]}"#,
        )
        .unwrap();
        assert_eq!(set.keys().len(), 4);
        assert_eq!(set.skipped(), 1);
        assert_eq!(
            set.select(Alg::Hs256, Some("a"))
                .unwrap()
                .meta
                .kid
                .as_deref(),
            Some("a")
        );
        assert_eq!(
            set.select(Alg::Hs256, None).unwrap().meta.kid.as_deref(),
            Some("a")
        );
        assert_eq!(
            set.select(Alg::Hs384, Some("b"))
                .unwrap()
                .meta
                .kid
                .as_deref(),
            Some("b")
        );
        assert_eq!(
            set.select(Alg::Hs384, None).err(),
            Some(Error::JwksMultipleMatchingKeys)
        );
        assert_eq!(
            set.select(Alg::Hs256, Some("b")).err(),
            Some(Error::JwksNoMatchingKey)
        );
        assert_eq!(
            set.select(Alg::Hs256, Some("c")).err(),
            Some(Error::JwksNoMatchingKey)
        );
        assert_eq!(
            set.select(Alg::Hs256, Some("d")).err(),
            Some(Error::JwksNoMatchingKey)
        );
        assert_eq!(
            set.select(Alg::Rs256, None).err(),
            Some(Error::JwksNoMatchingKey)
        );
        assert!(JwkSet::default().candidates(Alg::Hs256, None).is_empty());
        assert_eq!(JwkSet::from_keys(set.keys().to_vec()).keys().len(), 4);
    }
}
