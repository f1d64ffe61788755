//! The OP's signing keys: generated with the core at first start, persisted in the store, and
//! published as a JWK Set (RFC 7517 §5) at the `jwks_uri` (OpenID Connect Discovery 1.0 §3).
//!
//! Every key is bound to one algorithm (RFC 7517 §4.4 `alg`), marked `use: "sig"` (§4.2), and
//! named by its RFC 7638 §3 SHA-256 thumbprint (`kid`, §4.5), so a kid never changes meaning.
//!
//! Rotation ([`KeyRing::rotate`], the admin page's button and `oidckit-server rotate-keys`)
//! retires the active key and generates a new one. A retired key stops signing at once but stays
//! in the JWKS for `[server] key_rotation_grace` seconds (default 86400), so tokens in flight
//! keep verifying (OpenID Connect Core 1.0 §10.1.1: "the RP ... keeps the old keys for a
//! while"); after that it disappears and tokens signed with it no longer verify.

use oidckit::jwk::{GenerateOptions, ThumbprintHash};
use oidckit::{Alg, Key, KeyKind, Object};
use rand_core::CryptoRng;
use serde_json::Value;

use crate::error::ServerError;
use crate::store::{Store, StoredKey};

/// One signing key with its life cycle.
#[derive(Debug, Clone)]
pub struct SigningKey {
    /// The key ID (RFC 7517 §4.5): the key's RFC 7638 SHA-256 thumbprint.
    pub kid: String,
    /// The algorithm the key signs with (RFC 7517 §4.4).
    pub alg: Alg,
    /// The private key, with `meta.kid`, `meta.alg` and `meta.use_ = "sig"` set.
    pub key: Key,
    /// When it was generated, seconds since the Unix epoch.
    pub created_at: i64,
    /// When it stopped signing, if it did.
    pub retired_at: Option<i64>,
}

impl SigningKey {
    /// Generates a key for `alg` with the core's [`Key::generate`] (RSA keys: 2048 bits,
    /// RFC 7518 §3.3), names it by its thumbprint (RFC 7638 §3) and marks it `use: "sig"`.
    pub fn generate<R: CryptoRng + ?Sized>(
        alg: Alg,
        now: i64,
        rng: &mut R,
    ) -> Result<Self, ServerError> {
        let opts = GenerateOptions {
            extractable: true, // persisted as a private JWK
            ..GenerateOptions::default()
        };
        let mut key = Key::generate(alg, rng, opts)
            .map_err(|e| ServerError::Keys(format!("generating a {alg} key: {e}")))?;
        let kid = key
            .thumbprint(ThumbprintHash::Sha256)
            .map_err(|e| ServerError::Keys(format!("thumbprint: {e}")))?;
        key.meta.kid = Some(kid.clone());
        key.meta.use_ = Some("sig".to_owned());
        Ok(Self {
            kid,
            alg,
            key,
            created_at: now,
            retired_at: None,
        })
    }

    fn to_stored(&self) -> Result<StoredKey, ServerError> {
        let jwk = self
            .key
            .to_jwk()
            .map_err(|e| ServerError::Keys(format!("exporting key {}: {e}", self.kid)))?;
        Ok(StoredKey {
            kid: self.kid.clone(),
            alg: self.alg.as_str().to_owned(),
            private_jwk: Value::Object(jwk).to_string(),
            created_at: self.created_at,
            retired_at: self.retired_at,
        })
    }

    fn from_stored(row: &StoredKey) -> Result<Self, ServerError> {
        let bad = |why: String| ServerError::Keys(format!("stored key {:?}: {why}", row.kid));
        let alg: Alg = row.alg.parse().map_err(|e| bad(format!("{e}")))?;
        let key =
            Key::from_jwk_json(&row.private_jwk, Some(alg)).map_err(|e| bad(format!("{e}")))?;
        if key.kind() != KeyKind::Private {
            return Err(bad("not a private key".into()));
        }
        let thumbprint = key
            .thumbprint(ThumbprintHash::Sha256)
            .map_err(|e| bad(format!("{e}")))?;
        if key.meta.kid.as_deref() != Some(row.kid.as_str()) || thumbprint != row.kid {
            return Err(bad("the kid does not match the key's thumbprint".into()));
        }
        Ok(Self {
            kid: row.kid.clone(),
            alg,
            key,
            created_at: row.created_at,
            retired_at: row.retired_at,
        })
    }

    /// The public JWK (RFC 7517 §4) published in the JWKS.
    pub fn public_jwk(&self) -> Result<Object, ServerError> {
        self.key
            .to_public_jwk()
            .map_err(|e| ServerError::Keys(format!("public JWK of {}: {e}", self.kid)))
    }
}

/// The OP's keys, oldest first.
#[derive(Debug, Clone, Default)]
pub struct KeyRing {
    keys: Vec<SigningKey>,
    /// Seconds a retired key stays published (`[server] key_rotation_grace`).
    grace: i64,
}

impl KeyRing {
    /// Loads the stored keys and, when no active key signs with `alg`, generates one and stores
    /// it before returning (so the JWKS of a restarted server is the same). Returns whether a
    /// key was generated.
    pub fn load_or_generate<R: CryptoRng + ?Sized>(
        store: &Store,
        alg: Alg,
        now: i64,
        rng: &mut R,
    ) -> Result<(Self, bool), ServerError> {
        let mut keys: Vec<SigningKey> = store
            .signing_keys()?
            .iter()
            .map(SigningKey::from_stored)
            .collect::<Result<_, _>>()?;
        // Oldest first. Within one second, a key retired by a rotation is older than the
        // active key that replaced it (the store orders equal times by kid).
        keys.sort_by_key(|k| (k.created_at, k.retired_at.unwrap_or(i64::MAX)));
        let mut ring = Self {
            keys,
            grace: DEFAULT_GRACE,
        };
        if ring.active(alg).is_some() {
            return Ok((ring, false));
        }
        let key = SigningKey::generate(alg, now, rng)?;
        store.insert_signing_key(&key.to_stored()?)?;
        ring.keys.push(key);
        Ok((ring, true))
    }

    /// Sets how long (seconds) a retired key stays in the JWKS (`[server] key_rotation_grace`).
    pub fn set_grace(&mut self, seconds: u64) {
        self.grace = i64::try_from(seconds).unwrap_or(i64::MAX);
    }

    /// The grace period in seconds.
    pub fn grace(&self) -> i64 {
        self.grace
    }

    /// Key rotation: retires the active key for `alg` (`retired_at = now`, stored first) and
    /// generates, stores and returns a new active one. The retired key stays published for the
    /// grace period ([`KeyRing::jwks_at`]). With no active key for `alg`, only generates.
    pub fn rotate<R: CryptoRng + ?Sized>(
        &mut self,
        store: &Store,
        alg: Alg,
        now: i64,
        rng: &mut R,
    ) -> Result<&SigningKey, ServerError> {
        // Generate first: a failure leaves the ring and the store untouched.
        let key = SigningKey::generate(alg, now, rng)?;
        let row = key.to_stored()?;
        let old = self
            .keys
            .iter()
            .rposition(|k| k.alg == alg && k.retired_at.is_none());
        let old_kid = old.and_then(|i| self.keys.get(i)).map(|k| k.kid.clone());
        store.rotate_signing_key(old_kid.as_deref(), &row, now)?;
        if let Some(k) = old.and_then(|i| self.keys.get_mut(i)) {
            k.retired_at = Some(now);
        }
        self.keys.push(key);
        self.keys
            .last()
            .ok_or_else(|| ServerError::Keys("the new key vanished".into()))
    }

    /// Whether `k` is published at `now`: active, or retired less than the grace period ago.
    fn published(&self, k: &SigningKey, now: i64) -> bool {
        k.retired_at
            .is_none_or(|r| now < r.saturating_add(self.grace))
    }

    /// The newest key that is not retired and signs with `alg`.
    pub fn active(&self, alg: Alg) -> Option<&SigningKey> {
        self.keys
            .iter()
            .rev()
            .find(|k| k.alg == alg && k.retired_at.is_none())
    }

    /// All keys, oldest first.
    pub fn keys(&self) -> &[SigningKey] {
        &self.keys
    }

    /// The public JWK Set (RFC 7517 §5) now, by the system clock: see [`KeyRing::jwks_at`].
    pub fn jwks(&self) -> Result<Object, ServerError> {
        self.jwks_at(crate::app::now())
    }

    /// The public JWK Set (RFC 7517 §5) at `now`: `{"keys": [...]}` with the public half of
    /// every active key and every key retired less than the grace period ago, newest first.
    /// Private members never appear.
    pub fn jwks_at(&self, now: i64) -> Result<Object, ServerError> {
        let keys = self
            .keys
            .iter()
            .rev()
            .filter(|k| self.published(k, now))
            .map(|k| k.public_jwk().map(Value::Object))
            .collect::<Result<Vec<_>, _>>()?;
        let mut set = Object::new();
        set.insert("keys".to_owned(), Value::Array(keys));
        Ok(set)
    }
}

/// The default grace period (`[server] key_rotation_grace`): one day.
pub const DEFAULT_GRACE: i64 = 86400;

impl Store {
    /// Rotation in one transaction: marks `old_kid` retired at `now` (when given and still
    /// active) and inserts `new` (durable when this returns).
    pub fn rotate_signing_key(
        &self,
        old_kid: Option<&str>,
        new: &StoredKey,
        now: i64,
    ) -> Result<(), ServerError> {
        let mut conn = self.conn()?;
        let tx = conn.transaction()?;
        if let Some(kid) = old_kid {
            tx.execute(
                "UPDATE signing_keys SET retired_at = ?2 WHERE kid = ?1 AND retired_at IS NULL",
                rusqlite::params![kid, now],
            )?;
        }
        tx.execute(
            "INSERT INTO signing_keys (kid, alg, private_jwk, created_at, retired_at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            rusqlite::params![
                new.kid,
                new.alg,
                new.private_jwk,
                new.created_at,
                new.retired_at
            ],
        )?;
        tx.commit()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )]
    use super::*;
    use crate::store::Storage;
    use oidckit::{JwkSet, jwt};
    use rand_core::UnwrapErr;

    #[test]
    fn generated_once_then_reloaded_and_usable_by_the_core() {
        let mut rng = UnwrapErr(getrandom::SysRng);
        let store = Store::open(&Storage::InMemory).unwrap();
        let (ring, generated) =
            KeyRing::load_or_generate(&store, Alg::Es256, 100, &mut rng).unwrap();
        assert!(generated);
        let (again, generated) =
            KeyRing::load_or_generate(&store, Alg::Es256, 200, &mut rng).unwrap();
        assert!(!generated);
        assert_eq!(again.keys().len(), 1);
        let k = again.active(Alg::Es256).unwrap();
        assert_eq!(k.kid, ring.keys()[0].kid);
        assert_eq!(k.created_at, 100);
        assert!(again.active(Alg::Rs256).is_none());

        // A token signed with the reloaded key verifies against the published JWKS.
        let jwks = JwkSet::from_object(&again.jwks().unwrap()).unwrap();
        assert_eq!(jwks.keys().len(), 1);
        assert!(jwks.keys()[0].kind() == KeyKind::Public);
        let header: Object =
            serde_json::from_value(serde_json::json!({"alg": "ES256", "kid": k.kid})).unwrap();
        let claims: Object =
            serde_json::from_value(serde_json::json!({"iss": "x", "exp": 1000})).unwrap();
        let token = jwt::sign(&header, &claims, &k.key, &mut rng).unwrap();
        let v = jwt::Validation {
            algorithms: vec![Alg::Es256],
            ..jwt::Validation::new(500)
        };
        jwt::verify(&token, &jwks, &v).unwrap();

        // Another algorithm adds a key; both are published.
        let (both, generated) =
            KeyRing::load_or_generate(&store, Alg::EdDsa, 300, &mut rng).unwrap();
        assert!(generated);
        let set = both.jwks().unwrap();
        let published = set["keys"].as_array().unwrap();
        assert_eq!(published.len(), 2);
        assert_eq!(published[0]["alg"], "EdDSA");
        for jwk in published {
            assert_eq!(jwk["use"], "sig");
            assert!(jwk.get("d").is_none(), "private member published: {jwk}");
        }
    }

    #[test]
    fn a_tampered_stored_key_is_refused() {
        let mut rng = UnwrapErr(getrandom::SysRng);
        let store = Store::open(&Storage::InMemory).unwrap();
        let key = SigningKey::generate(Alg::Es256, 1, &mut rng).unwrap();
        let mut row = key.to_stored().unwrap();
        row.kid = "not-the-thumbprint".into();
        store.insert_signing_key(&row).unwrap();
        let err = KeyRing::load_or_generate(&store, Alg::Es256, 2, &mut rng).unwrap_err();
        assert!(err.to_string().contains("thumbprint"), "{err}");
    }

    #[test]
    fn rotation_keeps_the_old_key_published_for_the_grace_period() {
        let mut rng = UnwrapErr(getrandom::SysRng);
        let store = Store::open(&Storage::InMemory).unwrap();
        let (mut ring, _) = KeyRing::load_or_generate(&store, Alg::Es256, 100, &mut rng).unwrap();
        ring.set_grace(50);
        let old = ring.active(Alg::Es256).unwrap().clone();
        let header: Object =
            serde_json::from_value(serde_json::json!({"alg": "ES256", "kid": old.kid})).unwrap();
        let claims: Object = serde_json::from_value(serde_json::json!({"exp": 10_000})).unwrap();
        let in_flight = jwt::sign(&header, &claims, &old.key, &mut rng).unwrap();

        let new_kid = ring
            .rotate(&store, Alg::Es256, 200, &mut rng)
            .unwrap()
            .kid
            .clone();
        assert_ne!(new_kid, old.kid);
        assert_eq!(ring.active(Alg::Es256).unwrap().kid, new_kid);
        let v = jwt::Validation {
            algorithms: vec![Alg::Es256],
            ..jwt::Validation::new(220)
        };
        // Within the grace period: both published, newest first; the old token verifies.
        let set = ring.jwks_at(249).unwrap();
        let kids: Vec<_> = set["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["kid"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(kids, [new_kid.clone(), old.kid.clone()]);
        jwt::verify(&in_flight, &JwkSet::from_object(&set).unwrap(), &v).unwrap();
        // After it: only the new key; the old token no longer verifies.
        let set = ring.jwks_at(250).unwrap();
        assert_eq!(set["keys"].as_array().unwrap().len(), 1);
        assert!(jwt::verify(&in_flight, &JwkSet::from_object(&set).unwrap(), &v).is_err());

        // Persisted: a reload sees the retirement and the new active key.
        let (again, generated) =
            KeyRing::load_or_generate(&store, Alg::Es256, 300, &mut rng).unwrap();
        assert!(!generated);
        assert_eq!(again.keys().len(), 2);
        assert_eq!(again.active(Alg::Es256).unwrap().kid, new_kid);
        let retired = again.keys().iter().find(|k| k.kid == old.kid).unwrap();
        assert_eq!(retired.retired_at, Some(200));
        assert_eq!(again.keys()[1].kid, new_kid, "newest last after a reload");

        // Rotating twice within a second keeps the order (the newest is active).
        let third = ring
            .rotate(&store, Alg::Es256, 200, &mut rng)
            .unwrap()
            .kid
            .clone();
        let (again, _) = KeyRing::load_or_generate(&store, Alg::Es256, 300, &mut rng).unwrap();
        assert_eq!(again.active(Alg::Es256).unwrap().kid, third);
    }
}
