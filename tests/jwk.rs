//! Key import, export, thumbprints and JWK Sets (RFC 7517, RFC 7518 §6, RFC 7638, RFC 8037 §2),
//! against the authoritative vectors in `/work/shared/vectors/` (read in place) and the
//! OpenSSL-generated fixtures in `tests/data/keys/` (see its README.md).
//!
//! Every vector test counts what it ran and asserts the count. Negative tests are named after
//! the attack or mistake they defeat, and check the exact error code.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::PathBuf;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use oidckit::jwk::{ThumbprintHash, X509ThumbprintHash, jwk_thumbprint, x509_thumbprint};
use oidckit::{Alg, Error, Family, JwkSet, Key, KeyKind, Object, b64};
use serde_json::{Value, json};

// ---------------------------------------------------------------------------------------------
// helpers
// ---------------------------------------------------------------------------------------------

fn vector_path(rel: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/vectors/")).join(rel)
}

fn fixture_path(name: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/keys/")).join(name)
}

fn load(rel: &str) -> Value {
    let p = vector_path(rel);
    let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    serde_json::from_str(&text).unwrap()
}

fn fixture(name: &str) -> String {
    let p = fixture_path(name);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn fixture_bytes(name: &str) -> Vec<u8> {
    std::fs::read(fixture_path(name)).unwrap()
}

fn expected() -> Value {
    serde_json::from_str(&fixture("expected.json")).unwrap()
}

/// The example of an RFC vector file whose `section` is exactly `section`.
fn example<'a>(file: &'a Value, section: &str) -> &'a Value {
    file["examples"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["section"] == section)
        .unwrap_or_else(|| panic!("no example {section:?}"))
}

fn obj(v: &Value) -> Object {
    v.as_object()
        .unwrap_or_else(|| panic!("not an object: {v}"))
        .clone()
}

fn code<T: std::fmt::Debug>(r: Result<T, Error>) -> &'static str {
    match r {
        Ok(v) => panic!("expected an error, got {v:?}"),
        Err(e) => e.code(),
    }
}

fn jwk_code(v: Value) -> &'static str {
    code(Key::from_jwk(&obj(&v), None))
}

/// The JWK without its private members (RFC 7518 §6.2.2, §6.3.2, RFC 8037 §2).
fn public_of(v: &Value) -> Value {
    let mut o = obj(v);
    for m in ["d", "p", "q", "dp", "dq", "qi", "k"] {
        o.remove(m);
    }
    Value::Object(o)
}

/// A deterministic xorshift generator for garbage inputs (no hidden randomness in tests).
struct XorShift(u64);
impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

// ---------------------------------------------------------------------------------------------
// RFC vectors
// ---------------------------------------------------------------------------------------------

/// RFC 7517 App. A.1: the public key set imports whole and exports member-for-member.
#[test]
fn rfc7517_a1_public_keys() {
    let f = load("rfc/rfc7517_appendix_a_b_c.json");
    let set_json = &example(&f, "RFC 7517 Appendix A.1")["jwk_set"];
    let set = JwkSet::from_object(&obj(set_json)).unwrap();
    assert_eq!(set.keys().len(), 2);
    assert_eq!(set.skipped(), 0);
    let mut ran = 0;
    for (key, jwk) in set.keys().iter().zip(set_json["keys"].as_array().unwrap()) {
        assert_eq!(key.kind(), KeyKind::Public);
        assert_eq!(Value::Object(key.to_jwk().unwrap()), *jwk);
        ran += 1;
    }
    assert_eq!(ran, 2);
    let ec = &set.keys()[0];
    assert_eq!(
        (ec.family(), ec.meta.kid.as_deref()),
        (Family::P256, Some("1"))
    );
    assert_eq!(ec.meta.use_.as_deref(), Some("enc"));
    let rsa = &set.keys()[1];
    assert_eq!(
        (rsa.family(), rsa.bits(), rsa.meta.alg),
        (Family::Rsa, 2048, Some(Alg::Rs256))
    );
    // Selection: the RSA key by kid; the EC key is an encryption key, never a verifier.
    assert!(std::ptr::eq(
        set.select(Alg::Rs256, Some("2011-04-29")).unwrap(),
        rsa
    ));
    assert!(std::ptr::eq(set.select(Alg::Rs256, None).unwrap(), rsa));
    assert_eq!(
        set.select(Alg::Ps256, None).err(),
        Some(Error::JwksNoMatchingKey)
    );
    assert_eq!(
        set.select(Alg::Es256, Some("1")).err(),
        Some(Error::JwksNoMatchingKey)
    );
}

/// RFC 7517 App. A.2: private keys (the RSA key is 2048 bits) import, validate (CRT values
/// checked) and export every member exactly.
#[test]
fn rfc7517_a2_private_keys() {
    let f = load("rfc/rfc7517_appendix_a_b_c.json");
    let set_json = &example(&f, "RFC 7517 Appendix A.2")["jwk_set"];
    let mut ran = 0;
    for jwk in set_json["keys"].as_array().unwrap() {
        let key = Key::from_jwk(&obj(jwk), None).unwrap();
        assert_eq!(key.kind(), KeyKind::Private);
        assert_eq!(Value::Object(key.to_jwk().unwrap()), *jwk);
        assert_eq!(Value::Object(key.to_public_jwk().unwrap()), public_of(jwk));
        ran += 1;
    }
    assert_eq!(ran, 2);
    let set = JwkSet::from_object(&obj(set_json)).unwrap();
    assert_eq!((set.keys().len(), set.skipped()), (2, 0));
    assert_eq!(set.keys()[1].bits(), 2048);
    // The private key's public half is the A.1 public key.
    let a1 = &example(&f, "RFC 7517 Appendix A.1")["jwk_set"]["keys"];
    for i in 0..2 {
        assert_eq!(Value::Object(set.keys()[i].to_public_jwk().unwrap()), a1[i]);
    }
}

/// RFC 7517 App. A.3: the HMAC key imports; the A128KW key-wrapping key is not a signature key
/// and is skipped (NotSupported on its own).
#[test]
fn rfc7517_a3_symmetric_keys() {
    let f = load("rfc/rfc7517_appendix_a_b_c.json");
    let set_json = &example(&f, "RFC 7517 Appendix A.3")["jwk_set"];
    let keys = set_json["keys"].as_array().unwrap();
    assert_eq!(
        code(Key::from_jwk(&obj(&keys[0]), None)),
        "ERR_JOSE_NOT_SUPPORTED"
    );
    let hmac = Key::from_jwk(&obj(&keys[1]), None).unwrap();
    assert_eq!((hmac.kind(), hmac.bits()), (KeyKind::Secret, 512));
    assert_eq!(Value::Object(hmac.to_jwk().unwrap()), keys[1]);
    let set = JwkSet::from_object(&obj(set_json)).unwrap();
    assert_eq!((set.keys().len(), set.skipped()), (1, 1));
    assert!(
        set.select(Alg::Hs512, Some("HMAC key used in JWS A.1 example"))
            .is_ok()
    );
    assert_eq!(code(hmac.to_public_jwk()), "ERR_KEY_INVALID");
    assert_eq!(code(hmac.to_spki_pem()), "ERR_KEY_INVALID");
}

/// RFC 7517 App. B: the `x5c` certificate's key equals the JWK's `n`/`e`; the JWK with its
/// chain imports (leaf checked against the key) and round-trips.
#[test]
fn rfc7517_b_x5c() {
    let f = load("rfc/rfc7517_appendix_a_b_c.json");
    let jwk = &example(&f, "RFC 7517 Appendix B")["jwk"];
    let key = Key::from_jwk(&obj(jwk), None).unwrap();
    assert_eq!(key.meta.x5c.as_ref().map(Vec::len), Some(1));
    assert_eq!(Value::Object(key.to_jwk().unwrap()), *jwk);

    let der = STANDARD.decode(jwk["x5c"][0].as_str().unwrap()).unwrap();
    let from_cert = Key::from_x509(&der, None).unwrap();
    let cert_jwk = from_cert.to_jwk().unwrap();
    assert_eq!(cert_jwk["kty"], "RSA");
    assert_eq!(cert_jwk["n"], jwk["n"]);
    assert_eq!(cert_jwk["e"], jwk["e"]);
    assert_eq!(cert_jwk["x5c"], jwk["x5c"]);
    assert_eq!(
        from_cert.meta.x5t,
        Some(x509_thumbprint(&der, X509ThumbprintHash::Sha1).unwrap())
    );
    assert_eq!(
        from_cert.thumbprint(ThumbprintHash::Sha256),
        key.thumbprint(ThumbprintHash::Sha256)
    );

    // A leaf that does not hold the JWK's key is refused (RFC 7517 §4.7).
    let mut wrong = obj(&example(&f, "RFC 7517 Appendix A.1")["jwk_set"]["keys"][1]);
    wrong.insert("x5c".into(), jwk["x5c"].clone());
    assert_eq!(code(Key::from_jwk(&wrong, None)), "ERR_JWK_INVALID");
    // x5t present with x5c must be the leaf's digest.
    let mut bad_t = obj(jwk);
    bad_t.insert("x5t".into(), json!(b64::encode([0u8; 20])));
    assert_eq!(code(Key::from_jwk(&bad_t, None)), "ERR_JWK_INVALID");
    let mut good_t = obj(jwk);
    good_t.insert("x5t".into(), json!(from_cert.meta.x5t.clone().unwrap()));
    good_t.insert(
        "x5t#S256".into(),
        json!(from_cert.meta.x5t_s256.clone().unwrap()),
    );
    assert!(Key::from_jwk(&good_t, None).is_ok());
}

/// RFC 7638 §3.1: the thumbprint of the example RSA key, exactly.
#[test]
fn rfc7638_thumbprint() {
    let f = load("rfc/rfc7638_thumbprint.json");
    let mut ran = 0;
    for ex in f["examples"].as_array().unwrap() {
        assert_eq!(ex["hash"], "SHA-256");
        let want = ex["thumbprint_b64u"].as_str().unwrap();
        assert_eq!(
            jwk_thumbprint(&obj(&ex["jwk"]), ThumbprintHash::Sha256).unwrap(),
            want
        );
        let key = Key::from_jwk(&obj(&ex["jwk"]), None).unwrap();
        assert_eq!(key.thumbprint(ThumbprintHash::Sha256).unwrap(), want);
        // The canonical form alone hashes to the same value.
        let canon: Value =
            serde_json::from_str(ex["required_members_json"].as_str().unwrap()).unwrap();
        assert_eq!(
            jwk_thumbprint(&obj(&canon), ThumbprintHash::Sha256).unwrap(),
            want
        );
        ran += 1;
    }
    assert_eq!(ran, 1);
}

/// RFC 8037 App. A.1–A.3: Ed25519 private and public keys and the thumbprint; the X25519 and
/// X448 keys of A.6/A.7 are not signature keys (NotSupported).
#[test]
fn rfc8037_ed25519() {
    let f = load("rfc/rfc8037_appendix_a.json");
    let a1 = &example(&f, "RFC 8037 Appendix A.1")["jwk"];
    let a2 = &example(&f, "RFC 8037 Appendix A.2")["jwk"];
    let a3 = example(&f, "RFC 8037 Appendix A.3");
    let private = Key::from_jwk(&obj(a1), None).unwrap();
    let public = Key::from_jwk(&obj(a2), None).unwrap();
    assert_eq!(
        (private.kind(), private.family()),
        (KeyKind::Private, Family::Ed25519)
    );
    assert_eq!(public.kind(), KeyKind::Public);
    assert_eq!(Value::Object(private.to_jwk().unwrap()), *a1);
    assert_eq!(Value::Object(public.to_jwk().unwrap()), *a2);
    assert_eq!(Value::Object(private.to_public_jwk().unwrap()), *a2);
    let want = a3["thumbprint_b64u"].as_str().unwrap();
    assert_eq!(
        hex::encode(b64::decode(want, "t").unwrap()),
        a3["thumbprint_hex"]
    );
    let mut ran = 0;
    for k in [&private, &public] {
        assert_eq!(k.thumbprint(ThumbprintHash::Sha256).unwrap(), want);
        ran += 1;
    }
    for j in [a1, a2, &a3["jwk"]] {
        assert_eq!(
            jwk_thumbprint(&obj(j), ThumbprintHash::Sha256).unwrap(),
            want
        );
        ran += 1;
    }
    for sec in ["RFC 8037 Appendix A.6", "RFC 8037 Appendix A.7"] {
        let ex = example(&f, sec);
        assert_eq!(
            jwk_code(ex["recipient_public_jwk"].clone()),
            "ERR_JOSE_NOT_SUPPORTED"
        );
        // Thumbprints do not need the key to be usable.
        assert!(jwk_thumbprint(&obj(&ex["recipient_public_jwk"]), ThumbprintHash::Sha256).is_ok());
        ran += 1;
    }
    assert_eq!(ran, 7);
}

/// RFC 7520 §3.1–3.5 (cookbook): P-521 public/private, RSA public/private, HMAC; import →
/// export gives back exactly the input members.
#[test]
fn rfc7520_cookbook_keys_round_trip() {
    let mut ran = 0;
    for (file, kind) in [
        ("3_1.ec_public_key.json", KeyKind::Public),
        ("3_2.ec_private_key.json", KeyKind::Private),
        ("3_3.rsa_public_key.json", KeyKind::Public),
        ("3_4.rsa_private_key.json", KeyKind::Private),
        ("3_5.symmetric_key_mac_computation.json", KeyKind::Secret),
    ] {
        let jwk = load(&format!("rfc7520-cookbook/jwk/{file}"));
        let key = Key::from_jwk(&obj(&jwk), None).unwrap_or_else(|e| panic!("{file}: {e:?}"));
        assert_eq!(key.kind(), kind, "{file}");
        assert_eq!(Value::Object(key.to_jwk().unwrap()), jwk, "{file}");
        if kind != KeyKind::Secret {
            assert_eq!(
                Value::Object(key.to_public_jwk().unwrap()),
                public_of(&jwk),
                "{file}"
            );
        }
        ran += 1;
    }
    assert_eq!(ran, 5);
    // §3.6 is an AES key ("alg": "A256GCM"): not a signature key.
    let enc = load("rfc7520-cookbook/jwk/3_6.symmetric_key_encryption.json");
    assert_eq!(jwk_code(enc), "ERR_JOSE_NOT_SUPPORTED");
}

/// OpenID Connect Core 1.0 App. A.7: the example RSA key.
#[test]
fn oidc_core_example_key() {
    let f = load("rfc/oidc_core_appendix_a.json");
    let jwk = &example(&f, "OpenID Connect Core 1.0 Appendix A.7 (ExampleRSAKey)")["jwk"];
    let key = Key::from_jwk(&obj(jwk), Some(Alg::Rs256)).unwrap();
    assert_eq!((key.bits(), key.meta.alg), (2048, Some(Alg::Rs256)));
    assert_eq!(key.meta.kid.as_deref(), Some("1e9gdk7"));
    let mut want = obj(jwk);
    want.insert("alg".into(), json!("RS256"));
    assert_eq!(key.to_jwk().unwrap(), want);
    let set = JwkSet::from_object(&obj(&json!({ "keys": [jwk] }))).unwrap();
    assert!(set.select(Alg::Rs256, Some("1e9gdk7")).is_ok());
    assert_eq!(
        set.select(Alg::Rs256, Some("1e9gdk8")).err(),
        Some(Error::JwksNoMatchingKey)
    );
}

// ---------------------------------------------------------------------------------------------
// PEM / DER / X.509 fixtures (OpenSSL-generated; see tests/data/keys/README.md)
// ---------------------------------------------------------------------------------------------

/// Every PEM label imports to exactly the members OpenSSL printed, and re-exports (PKCS#8,
/// SPKI) and re-imports to the same key. Our SPKI output is byte-identical to OpenSSL's.
#[test]
fn pem_fixtures_import_and_round_trip() {
    let exp = expected();
    let cases: &[(&str, &str, KeyKind, Alg)] = &[
        ("rsa2048-pkcs8.pem", "rsa2048", KeyKind::Private, Alg::Rs256),
        ("rsa2048-pkcs1.pem", "rsa2048", KeyKind::Private, Alg::Ps384),
        ("rsa2048-spki.pem", "rsa2048", KeyKind::Public, Alg::Rs512),
        (
            "rsa2048-pkcs1-pub.pem",
            "rsa2048",
            KeyKind::Public,
            Alg::Ps256,
        ),
        ("ec-p256-sec1.pem", "ec-p256", KeyKind::Private, Alg::Es256),
        ("ec-p256-pkcs8.pem", "ec-p256", KeyKind::Private, Alg::Es256),
        ("ec-p256-spki.pem", "ec-p256", KeyKind::Public, Alg::Es256),
        ("ec-p384-sec1.pem", "ec-p384", KeyKind::Private, Alg::Es384),
        ("ec-p384-pkcs8.pem", "ec-p384", KeyKind::Private, Alg::Es384),
        ("ec-p384-spki.pem", "ec-p384", KeyKind::Public, Alg::Es384),
        ("ec-p521-sec1.pem", "ec-p521", KeyKind::Private, Alg::Es512),
        ("ec-p521-pkcs8.pem", "ec-p521", KeyKind::Private, Alg::Es512),
        ("ec-p521-spki.pem", "ec-p521", KeyKind::Public, Alg::Es512),
        ("ed25519-pkcs8.pem", "ed25519", KeyKind::Private, Alg::EdDsa),
        (
            "ed25519-rfc8410-v2.pem",
            "ed25519-rfc8410-v2",
            KeyKind::Private,
            Alg::EdDsa,
        ),
        ("ed25519-spki.pem", "ed25519", KeyKind::Public, Alg::EdDsa),
    ];
    let mut ran = 0;
    for (file, name, kind, alg) in cases {
        let pem = fixture(file);
        let want = &exp["keys"][*name];
        assert!(want.is_object(), "{name}");
        let key = Key::from_pem(&pem, None).unwrap_or_else(|e| panic!("{file}: {e:?}"));
        assert_eq!(key.kind(), *kind, "{file}");
        assert_eq!(key.meta.alg, None);
        let jwk = Value::Object(key.to_jwk().unwrap());
        if *kind == KeyKind::Private {
            assert_eq!(jwk, *want, "{file}");
        } else {
            assert_eq!(jwk, public_of(want), "{file}");
        }
        // With an algorithm: bound.
        let bound = Key::from_pem(&pem, Some(*alg)).unwrap();
        assert_eq!(bound.meta.alg, Some(*alg));
        // SPKI export equals OpenSSL's SPKI file and re-imports (jose's importSPKI).
        let spki = key.to_spki_pem().unwrap();
        if !name.ends_with("v2") {
            assert_eq!(spki, fixture(&format!("{name}-spki.pem")), "{file}");
        }
        let back = Key::from_spki_pem(&spki, *alg).unwrap();
        let want_public = with(public_of(want), "alg", json!(alg.as_str()));
        assert_eq!(Value::Object(back.to_jwk().unwrap()), want_public, "{file}");
        // PKCS#8 export re-imports (jose's importPKCS8) to the same private key.
        if *kind == KeyKind::Private {
            let p8 = key.to_pkcs8_pem().unwrap();
            assert!(p8.starts_with("-----BEGIN PRIVATE KEY-----\n"), "{file}");
            let back = Key::from_pkcs8_pem(&p8, *alg).unwrap();
            let want_private = with(want.clone(), "alg", json!(alg.as_str()));
            assert_eq!(
                Value::Object(back.to_jwk().unwrap()),
                want_private,
                "{file}"
            );
            assert_eq!(back.meta.alg, Some(*alg));
        } else {
            assert_eq!(code(key.to_pkcs8_pem()), "ERR_KEY_INVALID");
        }
        // Private and public halves share one thumbprint.
        assert_eq!(
            key.thumbprint(ThumbprintHash::Sha256).unwrap(),
            jwk_thumbprint(&obj(want), ThumbprintHash::Sha256).unwrap()
        );
        ran += 1;
    }
    assert_eq!(ran, cases.len());
}

/// The Ed25519 PKCS#8 we write is the v1 form (version 0, no public key: OpenSSL 3.0 and
/// Node 20 cannot read v2), and it imports; the RFC 8410 §10.3 v2 example imports too.
#[test]
fn ed25519_pkcs8_v2() {
    let key = Key::from_pem(&fixture("ed25519-pkcs8.pem"), None).unwrap();
    let pem = key.to_pkcs8_pem().unwrap();
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let der = STANDARD.decode(body).unwrap();
    // SEQUENCE { INTEGER 0, AlgorithmIdentifier, OCTET STRING } and nothing else.
    assert_eq!(&der[2..5], &[0x02, 0x01, 0x00]);
    assert_eq!(der.len(), 48);
    let back = Key::from_pem(&pem, None).unwrap();
    assert_eq!(back.to_jwk().unwrap()["x"], key.to_jwk().unwrap()["x"]);
    let v2 = Key::from_pem(&fixture("ed25519-rfc8410-v2.pem"), Some(Alg::EdDsa)).unwrap();
    assert_eq!(
        v2.to_jwk().unwrap()["x"],
        expected()["keys"]["ed25519-rfc8410-v2"]["x"]
    );
}

/// The RSA PKCS#8 and PKCS#1 fixtures describe one key; both import as the same key.
#[test]
fn pkcs1_and_pkcs8_agree() {
    let a = Key::from_pem(&fixture("rsa2048-pkcs1.pem"), None).unwrap();
    let b = Key::from_pkcs8_pem(&fixture("rsa2048-pkcs8.pem"), Alg::Rs256).unwrap();
    assert_eq!(a.to_jwk().unwrap()["d"], b.to_jwk().unwrap()["d"]);
    assert_eq!(a.bits(), 2048);
}

/// X.509: PEM, CRLF PEM, DER and a two-certificate chain; `x5t` and `x5t#S256` equal OpenSSL's
/// `-fingerprint` output (converted to base64url when the fixtures were made).
#[test]
fn x509_fixtures() {
    let exp = expected();
    let rsa_pub = public_of(&exp["keys"]["rsa2048"]);
    let ec_pub = public_of(&exp["keys"]["ec-p256"]);
    let rsa_cert = &exp["certificates"]["cert-rsa"];
    let ec_cert = &exp["certificates"]["cert-ec"];
    let mut ran = 0;
    for input in [
        fixture_bytes("cert-rsa.pem"),
        fixture_bytes("cert-rsa-crlf.pem"),
        fixture_bytes("cert-rsa.der"),
    ] {
        for key in [
            Key::from_x509(&input, None).unwrap(),
            Key::from_x509(&input, Some(Alg::Rs256)).unwrap(),
        ] {
            let jwk = key.to_jwk().unwrap();
            assert_eq!(jwk["n"], rsa_pub["n"]);
            assert_eq!(jwk["e"], rsa_pub["e"]);
            assert_eq!(key.meta.x5t.as_deref(), rsa_cert["x5t"].as_str());
            assert_eq!(key.meta.x5t_s256.as_deref(), rsa_cert["x5t#S256"].as_str());
            assert_eq!(jwk["x5c"], json!([rsa_cert["x5c"]]));
            // A JWK carrying the certificate re-imports (leaf and thumbprints consistent).
            let again = Key::from_jwk(&jwk, None).unwrap();
            assert_eq!(again.meta.x5t, key.meta.x5t);
        }
        assert_eq!(
            Key::from_x509(&input, Some(Alg::Rs256)).unwrap().meta.alg,
            Some(Alg::Rs256)
        );
        assert_eq!(
            code(Key::from_x509(&input, Some(Alg::Es256))),
            "ERR_KEY_INVALID"
        );
        assert_eq!(
            x509_thumbprint(&input, X509ThumbprintHash::Sha1).unwrap(),
            rsa_cert["x5t"].as_str().unwrap()
        );
        assert_eq!(
            x509_thumbprint(&input, X509ThumbprintHash::Sha256).unwrap(),
            rsa_cert["x5t#S256"].as_str().unwrap()
        );
        ran += 1;
    }
    // from_pem accepts the CERTIFICATE label too.
    let k = Key::from_pem(&fixture("cert-rsa-crlf.pem"), None).unwrap();
    assert_eq!(k.meta.x5t.as_deref(), rsa_cert["x5t"].as_str());
    // EC leaf, alone and as the first of a chain.
    for (file, len) in [("cert-ec.pem", 1), ("cert-chain.pem", 2)] {
        let key = Key::from_x509(fixture(file).as_bytes(), None).unwrap();
        assert_eq!(key.family(), Family::P256);
        let jwk = key.to_jwk().unwrap();
        assert_eq!((&jwk["x"], &jwk["y"]), (&ec_pub["x"], &ec_pub["y"]));
        let x5c = key.meta.x5c.clone().unwrap();
        assert_eq!(x5c.len(), len);
        assert_eq!(x5c[0], ec_cert["x5c"].as_str().unwrap());
        if len == 2 {
            assert_eq!(x5c[1], rsa_cert["x5c"].as_str().unwrap());
        }
        assert_eq!(key.meta.x5t.as_deref(), ec_cert["x5t"].as_str());
        assert_eq!(key.meta.x5t_s256.as_deref(), ec_cert["x5t#S256"].as_str());
        assert!(Key::from_jwk(&jwk, Some(Alg::Es256)).is_ok());
        ran += 1;
    }
    assert_eq!(ran, 5);
}

// ---------------------------------------------------------------------------------------------
// Negative tests (security.md rows 2, 6, 13, 14)
// ---------------------------------------------------------------------------------------------

fn a2_rsa() -> Value {
    let f = load("rfc/rfc7517_appendix_a_b_c.json");
    example(&f, "RFC 7517 Appendix A.2")["jwk_set"]["keys"][1].clone()
}

fn a2_ec() -> Value {
    let f = load("rfc/rfc7517_appendix_a_b_c.json");
    example(&f, "RFC 7517 Appendix A.2")["jwk_set"]["keys"][0].clone()
}

fn with(mut v: Value, name: &str, value: Value) -> Value {
    v.as_object_mut().unwrap().insert(name.into(), value);
    v
}

fn without(mut v: Value, name: &str) -> Value {
    v.as_object_mut().unwrap().remove(name);
    v
}

/// A base64url member with a non-canonical encoding (padding, standard alphabet, whitespace,
/// non-zero trailing bits) must not be accepted: one key, one encoding (security.md row 14).
#[test]
fn non_canonical_base64url_members() {
    let ec = a2_ec();
    let rsa = a2_rsa();
    let mut ran = 0;
    for (base, member) in [
        (&ec, "x"),
        (&ec, "y"),
        (&ec, "d"),
        (&rsa, "n"),
        (&rsa, "e"),
        (&rsa, "qi"),
    ] {
        let good = base[member].as_str().unwrap().to_owned();
        // 43 chars encode 32 bytes with 2 trailing bits: bump the last char's low bit.
        let mut trailing = good.clone();
        let last = trailing.pop().unwrap();
        let idx = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
            .iter()
            .position(|c| *c as char == last)
            .unwrap();
        trailing.push(
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"[idx ^ 1] as char,
        );
        let mut variants = vec![
            format!("{good}="),
            format!("{good}=="),
            format!(" {good}"),
            format!("{good}\n"),
            good.replace('-', "+").replace('_', "/") + "+",
            format!("{}.{}", &good[..4], &good[4..]),
        ];
        if good.len() % 4 != 0 {
            variants.push(trailing);
        }
        for bad in variants {
            let jwk = with(base.clone(), member, json!(bad));
            assert_eq!(jwk_code(jwk), "ERR_JWK_INVALID", "{member}: {bad:?}");
            ran += 1;
        }
    }
    assert_eq!(
        code(Key::from_jwk_json(r#"{"kty":"oct","k":"AAB="}"#, None)),
        "ERR_JWK_INVALID"
    );
    assert!(ran >= 36);
}

/// `{"kty":"oct","kty":"RSA"}`-style duplicates are refused, including escaped names
/// (security.md row 13), in a JWK and in a JWK Set.
#[test]
fn duplicate_member_names() {
    for bad in [
        r#"{"kty":"oct","k":"AAAA","k":"BBBB"}"#,
        r#"{"kty":"oct","k":"AAAA","\u006b":"BBBB"}"#,
        r#"{"kty":"oct","kty":"oct","k":"AAAA"}"#,
        r#"{"kty":"oct","k":"AAAA","kid":"a","kid":"b"}"#,
        r#"{"kty":"oct","k":"AAAA","key_ops":["verify"],"key_ops":["sign"]}"#,
    ] {
        assert_eq!(
            code(Key::from_jwk_json(bad, None)),
            "ERR_JWK_INVALID",
            "{bad}"
        );
    }
    for bad in [
        r#"{"keys":[],"keys":[]}"#,
        r#"{"keys":[{"kty":"oct","k":"AAAA","k":"AAAA"}]}"#,
    ] {
        assert_eq!(code(JwkSet::from_json(bad)), "ERR_JWKS_INVALID", "{bad}");
    }
    // Without the duplicate, the same text imports.
    assert!(Key::from_jwk_json(r#"{"kty":"oct","k":"AAAA"}"#, None).is_ok());
    assert_eq!(code(Key::from_jwk_json("[]", None)), "ERR_JWK_INVALID");
    assert_eq!(code(Key::from_jwk_json("{", None)), "ERR_JWK_INVALID");
}

/// Members with the wrong JSON type are errors, never coerced or ignored.
#[test]
fn wrong_member_types() {
    let ec = a2_ec();
    let rsa = a2_rsa();
    let cases = [
        with(ec.clone(), "kty", json!(1)),
        with(ec.clone(), "crv", json!(256)),
        with(ec.clone(), "x", json!(null)),
        with(ec.clone(), "d", json!(["a"])),
        with(rsa.clone(), "n", json!(12345)),
        with(rsa.clone(), "e", json!(65537)),
        with(rsa.clone(), "alg", json!(["RS256"])),
        with(rsa.clone(), "use", json!(true)),
        with(rsa.clone(), "key_ops", json!("verify")),
        with(rsa.clone(), "key_ops", json!(["verify", 1])),
        with(rsa.clone(), "key_ops", json!(["verify", "verify"])),
        with(rsa.clone(), "ext", json!("false")),
        with(rsa.clone(), "x5t", json!(1)),
        with(rsa.clone(), "x5t", json!("AAAA")),
        with(rsa.clone(), "x5t#S256", json!({})),
        json!({"kty": "oct", "k": 1}),
        json!({"kty": "oct"}),
        json!({"k": "AAAA"}),
        json!({"kty": "EC", "crv": "P-256", "x": ec["x"]}),
        json!({"kty": "OKP", "crv": "Ed25519"}),
    ];
    let n = cases.len();
    for (i, jwk) in cases.into_iter().enumerate() {
        assert_eq!(jwk_code(jwk.clone()), "ERR_JWK_INVALID", "case {i}: {jwk}");
    }
    assert_eq!(n, 20);
}

/// `kid` must be a string: a number, null or object must not slip past exact-match selection
/// (security.md row 6).
#[test]
fn kid_of_wrong_type() {
    let mut ran = 0;
    for kid in [
        json!(1),
        json!(null),
        json!({"a": 1}),
        json!(["x"]),
        json!(true),
    ] {
        let jwk = with(a2_ec(), "kid", kid.clone());
        assert_eq!(jwk_code(jwk.clone()), "ERR_JWK_INVALID", "{kid}");
        let set = JwkSet::from_object(&obj(&json!({ "keys": [jwk] }))).unwrap();
        assert_eq!((set.keys().len(), set.skipped()), (0, 1));
        ran += 1;
    }
    assert_eq!(ran, 5);
}

/// `x5c` must be a non-empty array of standard-base64 certificates.
#[test]
fn x5c_not_an_array() {
    let f = load("rfc/rfc7517_appendix_a_b_c.json");
    let b = example(&f, "RFC 7517 Appendix B")["jwk"].clone();
    let cert = b["x5c"][0].clone();
    for bad in [
        cert.clone(),
        json!({}),
        json!([]),
        json!([1]),
        json!([null]),
        json!(["not base64!"]),
        json!([b64::encode(
            STANDARD.decode(cert.as_str().unwrap()).unwrap()
        )]),
        json!(["MIIB"]),
    ] {
        assert_eq!(
            jwk_code(with(b.clone(), "x5c", bad.clone())),
            "ERR_JWK_INVALID",
            "{bad}"
        );
    }
    assert!(Key::from_jwk(&obj(&b), None).is_ok());
}

/// EC points must be on the curve (invalid-curve attacks, security.md row 8).
#[test]
fn ec_point_not_on_curve() {
    let ec = a2_ec();
    let mut y = b64::decode(ec["y"].as_str().unwrap(), "y").unwrap();
    y[31] ^= 1;
    let off = with(without(ec.clone(), "d"), "y", json!(b64::encode(&y)));
    assert_eq!(jwk_code(off.clone()), "ERR_JWK_INVALID");
    assert_eq!(
        jwk_code(with(ec.clone(), "y", json!(b64::encode(&y)))),
        "ERR_JWK_INVALID"
    );
    // Coordinates of the wrong length (a P-256 point labelled P-384, short x).
    assert_eq!(
        jwk_code(with(ec.clone(), "crv", json!("P-384"))),
        "ERR_JWK_INVALID"
    );
    assert_eq!(
        jwk_code(with(ec.clone(), "x", json!(b64::encode([1u8; 31])))),
        "ERR_JWK_INVALID"
    );
    // The point at infinity / all-zero coordinates.
    let zero = b64::encode([0u8; 32]);
    let inf = with(with(without(ec, "d"), "x", json!(zero)), "y", json!(zero));
    assert_eq!(jwk_code(inf), "ERR_JWK_INVALID");
    // A P-521 coordinate one byte short (65 instead of 66).
    let p521 = load("rfc7520-cookbook/jwk/3_1.ec_public_key.json");
    let x = b64::decode(p521["x"].as_str().unwrap(), "x").unwrap();
    assert_eq!(
        jwk_code(with(p521, "x", json!(b64::encode(&x[1..])))),
        "ERR_JWK_INVALID"
    );
}

/// A private scalar that does not belong to the public point is refused (EC and Ed25519).
#[test]
fn ec_d_not_matching_x_y() {
    let exp = expected();
    let other_d = exp["keys"]["ec-p256"]["d"].clone();
    assert_eq!(jwk_code(with(a2_ec(), "d", other_d)), "ERR_JWK_INVALID");
    assert_eq!(
        jwk_code(with(a2_ec(), "d", json!(b64::encode([0u8; 32])))),
        "ERR_JWK_INVALID"
    );
    assert_eq!(
        jwk_code(with(a2_ec(), "d", json!(b64::encode([0xffu8; 32])))),
        "ERR_JWK_INVALID"
    );
    assert_eq!(
        jwk_code(with(a2_ec(), "d", json!(b64::encode([1u8; 31])))),
        "ERR_JWK_INVALID"
    );
    let ed = exp["keys"]["ed25519"].clone();
    let other = exp["keys"]["ed25519-rfc8410-v2"]["d"].clone();
    assert_eq!(jwk_code(with(ed.clone(), "d", other)), "ERR_JWK_INVALID");
    assert_eq!(
        jwk_code(with(ed, "x", json!(b64::encode([1u8; 31])))),
        "ERR_JWK_INVALID"
    );
}

/// RSA CRT values and primes must be consistent; multi-prime keys are not supported.
#[test]
fn rsa_private_parameters_checked() {
    let rsa = a2_rsa();
    let dq = rsa["dq"].clone();
    assert_eq!(
        jwk_code(with(rsa.clone(), "dp", dq.clone())),
        "ERR_JWK_INVALID"
    );
    assert_eq!(jwk_code(with(rsa.clone(), "qi", dq)), "ERR_JWK_INVALID");
    let p = rsa["p"].clone();
    assert_eq!(jwk_code(with(rsa.clone(), "q", p)), "ERR_JWK_INVALID");
    assert_eq!(jwk_code(without(rsa.clone(), "q")), "ERR_JWK_INVALID");
    assert_eq!(
        jwk_code(with(rsa.clone(), "d", rsa["e"].clone())),
        "ERR_JWK_INVALID"
    );
    assert_eq!(
        jwk_code(without(without(rsa.clone(), "p"), "q")),
        "ERR_JOSE_NOT_SUPPORTED"
    );
    assert_eq!(
        jwk_code(with(rsa.clone(), "oth", json!([]))),
        "ERR_JOSE_NOT_SUPPORTED"
    );
    let public_with_p = with(without(rsa.clone(), "d"), "kid", json!("x"));
    assert_eq!(jwk_code(public_with_p), "ERR_JWK_INVALID");
    // dp, dq, qi are optional.
    let minimal = without(without(without(rsa, "dp"), "dq"), "qi");
    let key = Key::from_jwk(&obj(&minimal), None).unwrap();
    assert_eq!(Value::Object(key.to_jwk().unwrap()), a2_rsa());
}

/// RSA keys below 2048 bits are refused at import, whatever the format (security.md row 2).
#[test]
fn rsa_2040_bit_key_rejected() {
    let exp = expected();
    let jwk = exp["keys"]["rsa2040"].clone();
    assert_eq!(
        b64::decode(jwk["n"].as_str().unwrap(), "n").unwrap().len(),
        255
    );
    assert_eq!(jwk_code(jwk.clone()), "ERR_KEY_INVALID");
    assert_eq!(jwk_code(public_of(&jwk)), "ERR_KEY_INVALID");
    let set = JwkSet::from_object(&obj(&json!({ "keys": [jwk] }))).unwrap();
    assert_eq!((set.keys().len(), set.skipped()), (0, 1));
    let mut ran = 0;
    for file in ["rsa2040-pkcs8.pem", "rsa1024-pkcs8.pem"] {
        let pem = fixture(file);
        assert_eq!(code(Key::from_pem(&pem, None)), "ERR_KEY_INVALID", "{file}");
        assert_eq!(
            code(Key::from_pkcs8_pem(&pem, Alg::Rs256)),
            "ERR_KEY_INVALID",
            "{file}"
        );
        ran += 1;
    }
    assert_eq!(ran, 2);
    // A 1024-bit modulus in a JWK (the leading half of a 2048-bit one).
    let n = b64::decode(a2_rsa()["n"].as_str().unwrap(), "n").unwrap();
    let small = json!({"kty": "RSA", "n": b64::encode(&n[..128]), "e": "AQAB"});
    assert_eq!(jwk_code(small), "ERR_KEY_INVALID");
}

/// An `oct` key with an empty `k`, or an empty raw secret, is not a key.
#[test]
fn oct_key_with_empty_k() {
    assert_eq!(jwk_code(json!({"kty": "oct", "k": ""})), "ERR_JWK_INVALID");
    assert_eq!(
        code(Key::from_secret(b"", Some(Alg::Hs256))),
        "ERR_KEY_INVALID"
    );
    assert_eq!(
        code(Key::from_secret(b"secret", Some(Alg::Es256))),
        "ERR_KEY_INVALID"
    );
    let k = Key::from_secret(b"secret", Some(Alg::Hs256)).unwrap();
    assert_eq!(k.to_jwk().unwrap()["k"], b64::encode("secret"));
    assert_eq!(k.to_jwk().unwrap()["alg"], "HS256");
}

/// `alg` must be a supported signature algorithm of the key's family, and agree with the
/// caller's; `kty`/`crv` outside the supported set are NotSupported.
#[test]
fn alg_and_key_type_rules() {
    let rsa = a2_rsa();
    assert_eq!(
        jwk_code(with(rsa.clone(), "alg", json!("RSA-OAEP"))),
        "ERR_JOSE_NOT_SUPPORTED"
    );
    assert_eq!(
        jwk_code(with(rsa.clone(), "alg", json!("none"))),
        "ERR_JOSE_NOT_SUPPORTED"
    );
    assert_eq!(
        jwk_code(with(rsa.clone(), "alg", json!("ES256"))),
        "ERR_JWK_INVALID"
    );
    assert_eq!(
        jwk_code(with(rsa.clone(), "alg", json!("HS256"))),
        "ERR_JWK_INVALID"
    );
    assert_eq!(
        jwk_code(with(a2_ec(), "alg", json!("ES384"))),
        "ERR_JWK_INVALID"
    );
    // The caller's alg must agree with the JWK's, and with its family.
    let o = obj(&rsa);
    assert_eq!(code(Key::from_jwk(&o, Some(Alg::Ps256))), "ERR_JWK_INVALID");
    assert_eq!(code(Key::from_jwk(&o, Some(Alg::Hs256))), "ERR_JWK_INVALID");
    assert_eq!(
        Key::from_jwk(&o, Some(Alg::Rs256)).unwrap().meta.alg,
        Some(Alg::Rs256)
    );
    let no_alg = obj(&without(rsa, "alg"));
    assert_eq!(
        Key::from_jwk(&no_alg, Some(Alg::Ps512)).unwrap().meta.alg,
        Some(Alg::Ps512)
    );
    assert_eq!(
        code(Key::from_jwk(&no_alg, Some(Alg::Es256))),
        "ERR_JWK_INVALID"
    );
    // Unsupported key types and curves.
    assert_eq!(jwk_code(json!({"kty": "XYZ"})), "ERR_JOSE_NOT_SUPPORTED");
    assert_eq!(
        jwk_code(with(a2_ec(), "crv", json!("secp256k1"))),
        "ERR_JOSE_NOT_SUPPORTED"
    );
    assert_eq!(
        jwk_code(json!({"kty": "OKP", "crv": "Ed448", "x": "AAAA"})),
        "ERR_JOSE_NOT_SUPPORTED"
    );
    // use / key_ops are kept and enforced at use time; ext:false makes the key non-extractable.
    let k = Key::from_jwk(
        &obj(&with(
            with(a2_ec(), "key_ops", json!(["sign"])),
            "ext",
            json!(false),
        )),
        None,
    )
    .unwrap();
    assert_eq!(k.meta.key_ops, Some(vec!["sign".to_owned()]));
    assert!(!k.meta.extractable);
    assert_eq!(code(k.to_jwk()), "ERR_KEY_INVALID");
    assert_eq!(code(k.to_pkcs8_pem()), "ERR_KEY_INVALID");
    let public = k.to_public_jwk().unwrap();
    assert!(public.get("d").is_none());
    assert_eq!(public["key_ops"], json!(["verify"]));
    assert!(k.to_spki_pem().is_ok());
    let secret = Key::from_jwk_json(r#"{"kty":"oct","k":"AAAA","ext":false}"#, None).unwrap();
    assert_eq!(code(secret.to_jwk()), "ERR_KEY_INVALID");
}

/// Size limits apply before parsing: 64 KiB for a JWK, 1 MiB for PEM/DER and JWK Sets.
#[test]
fn oversized_input() {
    let big = format!(
        r#"{{"kty":"oct","k":"AAAA","x":"{}"}}"#,
        "a".repeat(64 * 1024)
    );
    assert_eq!(code(Key::from_jwk_json(&big, None)), "ERR_JWK_INVALID");
    let small = format!(r#"{{"kty":"oct","k":"AAAA","x":"{}"}}"#, "a".repeat(1024));
    assert!(Key::from_jwk_json(&small, None).is_ok());
    let pem = format!("{}{}", " ".repeat(1024 * 1024), fixture("ec-p256-spki.pem"));
    assert_eq!(code(Key::from_pem(&pem, None)), "ERR_KEY_INVALID");
    assert_eq!(
        code(Key::from_spki_pem(&pem, Alg::Es256)),
        "ERR_KEY_INVALID"
    );
    assert_eq!(
        code(Key::from_pkcs8_pem(&pem, Alg::Es256)),
        "ERR_KEY_INVALID"
    );
    assert_eq!(
        code(Key::from_x509(pem.as_bytes(), None)),
        "ERR_KEY_INVALID"
    );
    assert_eq!(
        code(x509_thumbprint(pem.as_bytes(), X509ThumbprintHash::Sha256)),
        "ERR_KEY_INVALID"
    );
    let set = format!(r#"{{"keys":[],"pad":"{}"}}"#, "a".repeat(1024 * 1024));
    assert_eq!(code(JwkSet::from_json(&set)), "ERR_JWKS_INVALID");
    // An RSA modulus above 8192 bits.
    let huge = json!({"kty": "RSA", "n": b64::encode(vec![0xffu8; 1025]), "e": "AQAB"});
    assert_eq!(jwk_code(huge), "ERR_KEY_INVALID");
}

/// Truncated PEM (no END line, cut body, cut DER) is KeyInvalid.
#[test]
fn truncated_pem() {
    let mut ran = 0;
    for file in [
        "rsa2048-pkcs8.pem",
        "ec-p384-sec1.pem",
        "ed25519-spki.pem",
        "cert-rsa.pem",
    ] {
        let pem = fixture(file);
        let no_end = &pem[..pem.find("-----END").unwrap()];
        assert_eq!(
            code(Key::from_pem(no_end, None)),
            "ERR_KEY_INVALID",
            "{file}"
        );
        let half = &pem[..pem.len() / 2];
        assert_eq!(code(Key::from_pem(half, None)), "ERR_KEY_INVALID", "{file}");
        // Drop a body line but keep BEGIN/END: the base64 still decodes, the DER is cut.
        let lines: Vec<&str> = pem.lines().collect();
        let mut cut: Vec<&str> = lines.clone();
        let last_body = lines.len() - 2;
        cut.remove(last_body);
        let cut = cut.join("\n");
        assert_eq!(code(Key::from_pem(&cut, None)), "ERR_KEY_INVALID", "{file}");
        ran += 1;
    }
    assert_eq!(code(Key::from_pem("", None)), "ERR_KEY_INVALID");
    assert_eq!(
        code(Key::from_pem("-----BEGIN PUBLIC KEY-----", None)),
        "ERR_KEY_INVALID"
    );
    assert_eq!(ran, 4);
}

/// jose's `importPKCS8` / `importSPKI` require their exact label, and the key must match the
/// algorithm's family (an RSA key cannot become ES256 or HS256: security.md row 2).
#[test]
fn pem_with_wrong_label_for_import_pkcs8() {
    let cases = [
        ("rsa2048-spki.pem", true),
        ("rsa2048-pkcs1.pem", true),
        ("ec-p256-sec1.pem", true),
        ("cert-rsa.pem", true),
        ("rsa2048-pkcs8.pem", false),
        ("rsa2048-pkcs1-pub.pem", false),
    ];
    for (file, for_pkcs8) in cases {
        let pem = fixture(file);
        if for_pkcs8 {
            assert_eq!(
                code(Key::from_pkcs8_pem(&pem, Alg::Rs256)),
                "ERR_KEY_INVALID",
                "{file}"
            );
        } else {
            assert_eq!(
                code(Key::from_spki_pem(&pem, Alg::Rs256)),
                "ERR_KEY_INVALID",
                "{file}"
            );
        }
    }
    let rsa = fixture("rsa2048-pkcs8.pem");
    assert_eq!(
        code(Key::from_pkcs8_pem(&rsa, Alg::Es256)),
        "ERR_KEY_INVALID"
    );
    assert_eq!(
        code(Key::from_pkcs8_pem(&rsa, Alg::Hs256)),
        "ERR_KEY_INVALID"
    );
    assert_eq!(
        code(Key::from_pem(&rsa, Some(Alg::EdDsa))),
        "ERR_KEY_INVALID"
    );
    let ec = fixture("ec-p256-spki.pem");
    assert_eq!(code(Key::from_spki_pem(&ec, Alg::Es384)), "ERR_KEY_INVALID");
    assert_eq!(code(Key::from_spki_pem(&ec, Alg::Hs256)), "ERR_KEY_INVALID");
    // The label must be exact; encrypted PKCS#8 is recognised but not supported yet.
    let relabelled = rsa.replace("PRIVATE KEY", "RSA PRIVATE KEY");
    assert_eq!(
        code(Key::from_pkcs8_pem(&relabelled, Alg::Rs256)),
        "ERR_KEY_INVALID"
    );
    let encrypted = rsa.replace("PRIVATE KEY", "ENCRYPTED PRIVATE KEY");
    assert_eq!(
        code(Key::from_pkcs8_pem(&encrypted, Alg::Rs256)),
        "ERR_JOSE_NOT_SUPPORTED"
    );
    assert_eq!(
        code(Key::from_pem(&encrypted, None)),
        "ERR_JOSE_NOT_SUPPORTED"
    );
    assert_eq!(
        code(Key::from_pem(
            &rsa.replace("PRIVATE KEY", "OPENSSH PRIVATE KEY"),
            None
        )),
        "ERR_JOSE_NOT_SUPPORTED"
    );
    // A body that is not the labelled structure.
    let swapped = fixture("ec-p256-spki.pem").replace("PUBLIC KEY", "PRIVATE KEY");
    assert_eq!(code(Key::from_pem(&swapped, None)), "ERR_KEY_INVALID");
}

/// Random bytes and bit-flipped certificates / keys as DER never panic: garbage is
/// KeyInvalid, and a mutated structure either still parses or fails with a stable code.
#[test]
fn random_garbage_bytes_as_der() {
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    let mut ran = 0;
    for len in [0usize, 1, 2, 3, 16, 64, 300, 2000] {
        for _ in 0..8 {
            let mut junk = rng.bytes(len);
            if let Some(first) = junk.first_mut() {
                *first = 0x30; // look like a SEQUENCE
            }
            assert_eq!(code(Key::from_x509(&junk, None)), "ERR_KEY_INVALID");
            assert_eq!(
                code(x509_thumbprint(&junk, X509ThumbprintHash::Sha1)),
                "ERR_KEY_INVALID"
            );
            for label in [
                "PRIVATE KEY",
                "PUBLIC KEY",
                "RSA PRIVATE KEY",
                "RSA PUBLIC KEY",
                "EC PRIVATE KEY",
                "CERTIFICATE",
            ] {
                let pem = format!(
                    "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
                    STANDARD.encode(&junk)
                );
                let c = code(Key::from_pem(&pem, None));
                assert_eq!(c, "ERR_KEY_INVALID", "{label} {len}");
            }
            ran += 1;
        }
    }
    // Bit flips in real structures.
    let allowed = ["ERR_KEY_INVALID", "ERR_JOSE_NOT_SUPPORTED"];
    for (file, label) in [
        ("cert-rsa.der", None),
        ("ec-p256-pkcs8.pem", Some("PRIVATE KEY")),
        ("ec-p521-sec1.pem", Some("EC PRIVATE KEY")),
        ("ed25519-pkcs8.pem", Some("PRIVATE KEY")),
        ("rsa2048-spki.pem", Some("PUBLIC KEY")),
        ("rsa2048-pkcs1.pem", Some("RSA PRIVATE KEY")),
    ] {
        let der = match label {
            None => fixture_bytes(file),
            Some(l) => {
                let text = fixture(file);
                let start = text.find(&format!("-----BEGIN {l}-----")).unwrap();
                let body: String = text[start..]
                    .lines()
                    .skip(1)
                    .take_while(|l| !l.starts_with("-----"))
                    .collect();
                STANDARD.decode(body).unwrap()
            }
        };
        for _ in 0..40 {
            let mut m = der.clone();
            let i = (rng.next() as usize) % m.len();
            m[i] ^= 1 << (rng.next() % 8);
            let r = match label {
                None => Key::from_x509(&m, None),
                Some(l) => Key::from_pem(
                    &format!(
                        "-----BEGIN {l}-----\n{}\n-----END {l}-----\n",
                        STANDARD.encode(&m)
                    ),
                    None,
                ),
            };
            if let Err(e) = r {
                assert!(allowed.contains(&e.code()), "{file}: {e:?}");
            }
            ran += 1;
        }
    }
    assert_eq!(ran, 8 * 8 + 6 * 40);
}

/// Random member values of the right JSON type never panic: each import fails with a stable
/// JWK/key code (random RSA parameters are inconsistent, random points are off the curve).
#[test]
fn random_jwk_members_never_panic() {
    let mut rng = XorShift(0x0123_4567_89ab_cdef);
    let allowed = [
        "ERR_JWK_INVALID",
        "ERR_KEY_INVALID",
        "ERR_JOSE_NOT_SUPPORTED",
    ];
    let mut ran = 0;
    for round in 0..60 {
        let mut n = rng.bytes(256);
        n[0] |= 0x80;
        n[255] |= 1;
        let mut r = |len: usize| b64::encode(rng.bytes(len));
        let candidates = [
            json!({"kty": "RSA", "n": b64::encode(&n), "e": "AQAB"}),
            json!({"kty": "RSA", "n": b64::encode(&n), "e": r(3), "d": r(256), "p": r(128), "q": r(128)}),
            json!({"kty": "RSA", "n": b64::encode(&n), "e": "AQAB", "d": r(300), "p": r(1), "q": r(255)}),
            json!({"kty": "EC", "crv": "P-256", "x": r(32), "y": r(32)}),
            json!({"kty": "EC", "crv": "P-384", "x": r(48), "y": r(48), "d": r(48)}),
            json!({"kty": "EC", "crv": "P-521", "x": r(66), "y": r(66), "d": r(66)}),
            json!({"kty": "OKP", "crv": "Ed25519", "x": r(32), "d": r(32)}),
        ];
        for jwk in candidates {
            match Key::from_jwk(&obj(&jwk), None) {
                // A random RSA modulus with e = 65537 is a valid public key; Ed25519 x can be a
                // valid point without d. Anything with private parts must be inconsistent.
                Ok(k) => assert_eq!(k.kind(), KeyKind::Public, "round {round}: {jwk}"),
                Err(e) => assert!(allowed.contains(&e.code()), "round {round}: {e:?}"),
            }
            ran += 1;
        }
    }
    assert_eq!(ran, 60 * 7);
}

// ---------------------------------------------------------------------------------------------
// JWK Sets
// ---------------------------------------------------------------------------------------------

fn mixed_set() -> Value {
    let f = load("rfc/rfc7517_appendix_a_b_c.json");
    let a1 = &example(&f, "RFC 7517 Appendix A.1")["jwk_set"]["keys"];
    let f8037 = load("rfc/rfc8037_appendix_a.json");
    let x448 = &example(&f8037, "RFC 8037 Appendix A.7")["recipient_public_jwk"];
    let cookbook_rsa = load("rfc7520-cookbook/jwk/3_3.rsa_public_key.json");
    let cookbook_ec = load("rfc7520-cookbook/jwk/3_1.ec_public_key.json");
    let foidc = load("rfc/oidc_core_appendix_a.json");
    let oidc = &example(
        &foidc,
        "OpenID Connect Core 1.0 Appendix A.7 (ExampleRSAKey)",
    )["jwk"];
    let oaep = with(without(a2_rsa(), "d"), "alg", json!("RSA-OAEP"));
    json!({"keys": [
        a1[0], a1[1], x448, cookbook_rsa, cookbook_ec, oidc, oaep,
        {"kty": "oct", "k": "AAAA", "kid": 7},
        {"kty": "RSA", "n": "AQAB", "e": "AQAB"},
        {"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA", "kid": "bad point"},
    ], "extra": "ignored"})
}

/// Unsupported (X448, RSA-OAEP, bad kid type) and invalid members are skipped and counted;
/// selection is by exact `kid`, family, `alg`, `use` and `key_ops`.
#[test]
fn jwks_selection_and_skipping() {
    let text = serde_json::to_string(&mixed_set()).unwrap();
    let set = JwkSet::from_json(&text).unwrap();
    assert_eq!(set.keys().len(), 5);
    assert_eq!(set.skipped(), 5);
    // kid selection
    let k = set.select(Alg::Rs256, Some("1e9gdk7")).unwrap();
    assert_eq!(k.meta.kid.as_deref(), Some("1e9gdk7"));
    let k = set
        .select(Alg::Ps256, Some("bilbo.baggins@hobbiton.example"))
        .unwrap();
    assert_eq!(k.family(), Family::Rsa);
    let k = set
        .select(Alg::Es512, Some("bilbo.baggins@hobbiton.example"))
        .unwrap();
    assert_eq!(k.family(), Family::P521);
    // The A.1 RSA key is bound to RS256: not a PS256 candidate.
    assert_eq!(
        set.select(Alg::Ps256, Some("2011-04-29")).err(),
        Some(Error::JwksNoMatchingKey)
    );
    // No kid + several RSA keys ⇒ ambiguous; ES512 has exactly one candidate.
    assert_eq!(
        set.select(Alg::Rs256, None).err(),
        Some(Error::JwksMultipleMatchingKeys)
    );
    assert_eq!(set.candidates(Alg::Rs256, None).len(), 3);
    assert_eq!(set.candidates(Alg::Ps256, None).len(), 2);
    assert!(set.select(Alg::Es512, None).is_ok());
    // use "enc" EC key is never a verifier; no Ed25519 or HMAC keys at all.
    assert_eq!(
        set.select(Alg::Es256, None).err(),
        Some(Error::JwksNoMatchingKey)
    );
    assert_eq!(
        set.select(Alg::EdDsa, None).err(),
        Some(Error::JwksNoMatchingKey)
    );
    assert_eq!(
        set.select(Alg::Hs256, None).err(),
        Some(Error::JwksNoMatchingKey)
    );
    // kid is compared exactly, as an opaque string (security.md row 6).
    for kid in [
        "../../x",
        "' OR 1=1 --",
        "1E9GDK7",
        "1e9gdk7 ",
        "",
        "1e9gdk",
        "2011-04-29\0",
    ] {
        assert_eq!(
            set.select(Alg::Rs256, Some(kid)).err(),
            Some(Error::JwksNoMatchingKey),
            "{kid:?}"
        );
    }
    let long = "k".repeat(64 * 1024);
    assert!(set.candidates(Alg::Rs256, Some(&long)).is_empty());
}

/// key_ops and alg filters, and from_keys.
#[test]
fn jwks_key_ops_and_from_keys() {
    let base = load("rfc7520-cookbook/jwk/3_3.rsa_public_key.json");
    let a = with(
        with(base.clone(), "kid", json!("a")),
        "key_ops",
        json!(["verify"]),
    );
    let b = with(
        with(base.clone(), "kid", json!("b")),
        "key_ops",
        json!(["encrypt"]),
    );
    let c = with(
        with(without(base, "use"), "kid", json!("c")),
        "alg",
        json!("PS512"),
    );
    let set = JwkSet::from_object(&obj(&json!({ "keys": [a, b, c] }))).unwrap();
    assert_eq!((set.keys().len(), set.skipped()), (3, 0));
    assert_eq!(
        set.select(Alg::Rs256, None).unwrap().meta.kid.as_deref(),
        Some("a")
    );
    assert_eq!(
        set.select(Alg::Ps512, None).err(),
        Some(Error::JwksMultipleMatchingKeys)
    );
    assert_eq!(
        set.select(Alg::Ps512, Some("c")).unwrap().meta.alg,
        Some(Alg::Ps512)
    );
    assert_eq!(
        set.select(Alg::Rs256, Some("b")).err(),
        Some(Error::JwksNoMatchingKey)
    );
    let keys = set.keys().to_vec();
    let again = JwkSet::from_keys(keys);
    assert_eq!((again.keys().len(), again.skipped()), (3, 0));
    assert_eq!(
        JwkSet::default().select(Alg::Rs256, None).err(),
        Some(Error::JwksNoMatchingKey)
    );
}

// ---------------------------------------------------------------------------------------------
// Imported keys sign and verify (uses the jwa primitives).
// ---------------------------------------------------------------------------------------------

/// Keys imported from PEM sign; the same keys imported as SPKI / certificate / JWK verify.
#[test]
fn imported_keys_sign_and_verify() {
    let mut rng = rand_core::UnwrapErr(getrandom::SysRng);
    let msg = b"oidckit import round trip";
    let mut ran = 0;
    for (private, public, alg) in [
        ("rsa2048-pkcs8.pem", "rsa2048-spki.pem", Alg::Rs256),
        ("rsa2048-pkcs1.pem", "cert-rsa.pem", Alg::Ps256),
        ("ec-p256-sec1.pem", "cert-ec.pem", Alg::Es256),
        ("ec-p384-pkcs8.pem", "ec-p384-spki.pem", Alg::Es384),
        ("ec-p521-sec1.pem", "ec-p521-spki.pem", Alg::Es512),
        ("ed25519-pkcs8.pem", "ed25519-spki.pem", Alg::EdDsa),
    ] {
        let sk = Key::from_pem(&fixture(private), Some(alg)).unwrap();
        let sig = oidckit::jwa::sign(alg, &sk, msg, &mut rng).unwrap();
        let pk = Key::from_pem(&fixture(public), Some(alg)).unwrap();
        oidckit::jwa::verify(alg, &pk, msg, &sig).unwrap();
        let via_jwk = Key::from_jwk(&sk.to_public_jwk().unwrap(), None).unwrap();
        oidckit::jwa::verify(alg, &via_jwk, msg, &sig).unwrap();
        assert_eq!(
            oidckit::jwa::verify(alg, &pk, b"another message", &sig).err(),
            Some(Error::SignatureVerificationFailed)
        );
        ran += 1;
    }
    assert_eq!(ran, 6);
}
