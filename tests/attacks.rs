//! Attack regressions: every case of
//! `/work/shared/vectors/attacks/jwt_attack_regression_vectors.json` (read in place), plus named
//! negative tests for security.md §2 rows 1–7 and 13–16 that the unit tests in
//! `src/jws/tests.rs` and `src/jwt/tests.rs` do not already cover.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use base64::Engine as _;
use common::{TestRng, code, load, obj, s, to_obj};
use oidckit::jwk::GenerateOptions;
use oidckit::jws::{self, VerifyOptions};
use oidckit::jwt::{self, Validation};
use oidckit::{Alg, Error, JwkSet, Key, KeyKind, b64, jwa};
use serde_json::{Value, json};

const ATTACKS: &str = "attacks/jwt_attack_regression_vectors.json";
const NOW: i64 = 1_700_000_000;

fn import(jwk: &Value) -> Result<Key, Error> {
    Key::from_jwk(obj(jwk), None)
}

fn jwk_set(jwks: &[Value]) -> Result<JwkSet, Error> {
    JwkSet::from_json(&json!({ "keys": jwks }).to_string())
}

fn public_jwk(jwk: &Value) -> Value {
    let mut m = obj(jwk).clone();
    for name in ["d", "p", "q", "dp", "dq", "qi", "oth"] {
        m.remove(name);
    }
    Value::Object(m)
}

fn opts(algs: &[Alg]) -> VerifyOptions {
    VerifyOptions {
        algorithms: algs.to_vec(),
        ..VerifyOptions::default()
    }
}

fn validation(algs: &[Alg]) -> Validation {
    Validation {
        algorithms: algs.to_vec(),
        ..Validation::new(NOW)
    }
}

/// The RFC 7515 A.1 HMAC key and A.2 RSA key (read from the RFC vector file).
fn rfc7515_jwk(section: &str) -> Value {
    let file = load("rfc/rfc7515_appendix_a.json");
    file["examples"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["section"] == section)
        .map(|e| e["jwk"].clone())
        .unwrap()
}

/// Builds a compact JWS over `header_json` / `payload` with an arbitrary, caller-chosen
/// signature function (used to forge tokens the library itself would refuse to produce).
fn forge(header_json: &[u8], payload: &[u8], sign: impl FnOnce(&[u8]) -> Vec<u8>) -> String {
    let input = format!("{}.{}", b64::encode(header_json), b64::encode(payload));
    let sig = sign(input.as_bytes());
    format!("{input}.{}", b64::encode(sig))
}

fn hmac(alg: Alg, secret: &[u8], msg: &[u8]) -> Vec<u8> {
    use hmac::{Hmac, KeyInit, Mac};
    fn mac<M: KeyInit + Mac>(secret: &[u8], msg: &[u8]) -> Vec<u8> {
        let mut m = <M as KeyInit>::new_from_slice(secret).unwrap();
        m.update(msg);
        m.finalize().into_bytes().to_vec()
    }
    match alg {
        Alg::Hs256 => mac::<Hmac<sha2::Sha256>>(secret, msg),
        Alg::Hs384 => mac::<Hmac<sha2::Sha384>>(secret, msg),
        Alg::Hs512 => mac::<Hmac<sha2::Sha512>>(secret, msg),
        other => panic!("{other} is not an HMAC algorithm"),
    }
}

/// Converts an OpenSSH public key line (RFC 4253 §6.6, RFC 5656 §3.1) into the equivalent JWK,
/// so the verifier can hold the key the case names. Test-side format conversion only.
fn ssh_public_key_to_jwk(line: &str) -> Value {
    let blob_b64 = line.split_whitespace().nth(1).expect("ssh key blob");
    let blob = base64::engine::general_purpose::STANDARD
        .decode(blob_b64)
        .expect("ssh key base64");
    let mut fields: Vec<&[u8]> = Vec::new();
    let mut rest = blob.as_slice();
    while !rest.is_empty() {
        let n = u32::from_be_bytes(rest[..4].try_into().unwrap()) as usize;
        fields.push(&rest[4..4 + n]);
        rest = &rest[4 + n..];
    }
    match fields[0] {
        b"ssh-ed25519" => {
            assert_eq!(fields[1].len(), 32);
            json!({"kty": "OKP", "crv": "Ed25519", "x": b64::encode(fields[1])})
        }
        b"ecdsa-sha2-nistp256" => {
            assert_eq!(fields[1], b"nistp256");
            let q = fields[2];
            assert_eq!((q.len(), q[0]), (65, 4), "uncompressed point");
            json!({"kty": "EC", "crv": "P-256", "x": b64::encode(&q[1..33]), "y": b64::encode(&q[33..])})
        }
        other => panic!(
            "unsupported ssh key type {:?}",
            String::from_utf8_lossy(other)
        ),
    }
}

// ---------------------------------------------------------------------------------------------
// The 61 regression vectors
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Jws,
    Jwe,
}

/// Runs one case; returns its kind and our outcome (`Ok` or the error code).
fn run_case(c: &Value) -> (Kind, Result<(), &'static str>) {
    let id = s(&c["id"]);
    let group = &c["wycheproof_group"];
    let test = &c["wycheproof_test"];
    let token = c["token"].as_str();

    // JWE (five parts): refused at the JWS/JWT entry points.
    if token.is_some_and(|t| t.split('.').count() == 5)
        || group["type"] == "JsonWebEncryption"
        || test.get("jwe").is_some()
    {
        let t = token.or(test["jwe"].as_str()).expect("a JWE token");
        let key = Key::from_secret(&[7u8; 32], None).unwrap();
        let r1 = jws::verify_compact(t, &key, &VerifyOptions::default());
        let r2 = jwt::verify(t, &key, &Validation::new(NOW));
        let r3 = jws::verify_compact_detached(t, b"", &key, &VerifyOptions::default());
        assert_eq!(code(&r1), "ERR_JWS_INVALID", "{id}: JWE via verify_compact");
        assert_eq!(code(&r2), "ERR_JWS_INVALID", "{id}: JWE via jwt::verify");
        assert_eq!(
            code(&r3),
            "ERR_JWS_INVALID",
            "{id}: JWE via verify_compact_detached"
        );
        // With the case's own key too, when it is a signature key we can import.
        for k in ["private", "public"] {
            if let Some(Ok(key)) = group.get(k).map(import) {
                let r = jws::verify_compact(t, &key, &VerifyOptions::default());
                assert_eq!(code(&r), "ERR_JWS_INVALID", "{id}: JWE with the case key");
            }
        }
        return (Kind::Jwe, r1.map(|_| ()).map_err(|e| e.code()));
    }

    // Raw IEEE P1363 ECDSA signatures (no token): the JWA primitive behind ES256/384/512.
    if group["type"] == "EcdsaP1363Verify" {
        let alg = match s(&group["publicKeyJwk"]["crv"]) {
            "P-256" => Alg::Es256,
            "P-384" => Alg::Es384,
            "P-521" => Alg::Es512,
            other => panic!("{id}: curve {other}"),
        };
        let key = match import(&group["publicKeyJwk"]) {
            Ok(k) => k,
            Err(e) => return (Kind::Jws, Err(e.code())),
        };
        let msg = hex::decode(s(&test["msg"])).unwrap();
        let sig = hex::decode(s(&test["sig"])).unwrap();
        return (
            Kind::Jws,
            jwa::verify(alg, &key, &msg, &sig).map_err(|e| e.code()),
        );
    }

    let token = token.unwrap_or_else(|| panic!("{id}: no token"));
    let outcome = if id.starts_with("wp-") {
        wycheproof_jws(id, group, token)
    } else {
        named_source_jws(id, c, token)
    };
    (Kind::Jws, outcome)
}

/// Verifies a Wycheproof JWS case with the key the verifier holds (the group's public key, or
/// its private key / key set when that is all the group provides).
fn wycheproof_jws(id: &str, group: &Value, token: &str) -> Result<(), &'static str> {
    let held = if group.get("public").is_some() {
        &group["public"]
    } else {
        &group["private"]
    };
    // The default allow-list (the key's own algs) and a careless one that allows everything:
    // both must give the same answer, because keys are bound to their family.
    let mut outcomes = Vec::new();
    if let Some(keys) = held.get("keys") {
        let set = match jwk_set(keys.as_array().unwrap()) {
            Ok(set) => set,
            Err(e) => {
                println!("  {id}: the JWK Set is refused at import: {}", e.code());
                return Err(e.code());
            }
        };
        for o in [VerifyOptions::default(), opts(&Alg::ALL)] {
            outcomes.push(
                jws::verify_compact(token, &set, &o)
                    .map(|_| ())
                    .map_err(|e| e.code()),
            );
        }
    } else {
        let key = match import(held) {
            Ok(k) => k,
            Err(e) => {
                println!("  {id}: the key is refused at import: {}", e.code());
                return Err(e.code());
            }
        };
        for o in [VerifyOptions::default(), opts(&Alg::ALL)] {
            outcomes.push(
                jws::verify_compact(token, &key, &o)
                    .map(|_| ())
                    .map_err(|e| e.code()),
            );
        }
    }
    // An embedded "jwk" (CVE-2018-0114): show the forgery is genuine for the attacker's key,
    // so our rejection is due to ignoring the header, not to a broken token.
    let header = jws::decode_protected_header(token).unwrap();
    if let Some(embedded) = header.get("jwk") {
        let attacker = import(embedded).unwrap();
        assert!(
            jws::verify_compact(token, &attacker, &VerifyOptions::default()).is_ok(),
            "{id}: the forgery should verify under the embedded (attacker) key"
        );
    }
    assert_eq!(
        outcomes[0], outcomes[1],
        "{id}: allow-list changed the outcome"
    );
    outcomes[0]
}

/// The non-Wycheproof cases: each names the key the victim holds.
fn named_source_jws(id: &str, c: &Value, token: &str) -> Result<(), &'static str> {
    match id {
        // RFC 7515 Appendix E: alg "none" + unknown crit; any verification key.
        "rfc7515-E" => {
            let key = import(&rfc7515_jwk("RFC 7515 Appendix A.1")).unwrap();
            let a = jws::verify_compact(token, &key, &VerifyOptions::default());
            let b = jws::verify_compact(token, &key, &opts(&Alg::ALL));
            assert_eq!(code(&a), code(&b));
            a.map(|_| ()).map_err(|e| e.code())
        }
        // CVE-2022-29217: the verifier holds an OpenSSH public key (converted to its JWK).
        _ if id.starts_with("pyjwt-ghsa-ffqj-") => {
            let jwk = ssh_public_key_to_jwk(s(&c["verification_key_utf8"]));
            let key = import(&jwk).unwrap();
            let header = jws::decode_protected_header(token).unwrap();
            let token_alg: Alg = s(&header["alg"]).parse().unwrap();
            if id.contains("-bad-") {
                // The collector's check: the token really is an HMAC under the key text.
                let secret = s(&c["collector_check"]["hmac_key_utf8"]).as_bytes();
                let naive = Key::from_secret(secret, None).unwrap();
                assert!(jwt::verify(token, &naive, &Validation::new(NOW)).is_ok());
            }
            let key_alg = key.allowed_algs()[0];
            let a = jwt::verify(token, &key, &Validation::new(NOW));
            let b = jwt::verify(token, &key, &validation(&[key_alg, token_alg]));
            assert_eq!(code(&a), code(&b), "{id}");
            a.map(|_| ()).map_err(|e| e.code())
        }
        // CVE-2015-9235: the verifier is configured with a certificate PEM.
        "node-jsonwebtoken-wrong-alg" => {
            let pem = s(&c["verification_key_pem"]);
            let naive = Key::from_secret(pem.as_bytes(), None).unwrap();
            assert!(jwt::verify(token, &naive, &Validation::new(NOW)).is_ok());
            let mut outcome = None;
            for key in [
                Key::from_pem(pem, None),
                Key::from_x509(pem.as_bytes(), None),
            ] {
                let key = key.unwrap();
                assert_eq!(key.kind(), KeyKind::Public);
                for v in [
                    Validation::new(NOW),
                    validation(&[Alg::Rs256, Alg::Hs256]),
                    validation(&Alg::ALL),
                ] {
                    let r = jwt::verify(token, &key, &v)
                        .map(|_| ())
                        .map_err(|e| e.code());
                    assert_eq!(*outcome.get_or_insert(r), r, "{id}");
                }
            }
            outcome.unwrap()
        }
        // CVE-2022-23541: kid of an RSA key; verifier allows [RS256, HS256] over its JWK Set.
        "node-jsonwebtoken-malicious-kid" => {
            let mut jwk = public_jwk(&rfc7515_jwk("RFC 7515 Appendix A.2"));
            jwk["kid"] = json!("rsaKeyId");
            let set = jwk_set(&[jwk.clone()]).unwrap();
            let v = validation(&[Alg::Rs256, Alg::Hs256]);
            let a = jwt::verify(token, &set, &v);
            let key = import(&jwk).unwrap();
            let b = jwt::verify(token, &key, &v);
            println!("  {id}: JWK Set → {}, single key → {}", code(&a), code(&b));
            assert!(
                b.is_err(),
                "{id}: an RSA key must never act as an HMAC secret"
            );
            a.map(|_| ()).map_err(|e| e.code())
        }
        // CVE-2018-0114: a self-signed token embedding its own key; the victim holds another.
        "node-jose-embedded-jwk" => {
            let attacker = import(&c["embedded_jwk"]).unwrap();
            assert!(
                jws::verify_compact(token, &attacker, &VerifyOptions::default()).is_ok(),
                "{id}: the signature is genuine for the embedded key"
            );
            let victim = import(&public_jwk(&rfc7515_jwk("RFC 7515 Appendix A.2"))).unwrap();
            let a = jws::verify_compact(token, &victim, &VerifyOptions::default());
            let b = jws::verify_compact(token, &victim, &opts(&[Alg::Ps256]));
            assert_eq!(code(&a), code(&b));
            a.map(|_| ()).map_err(|e| e.code())
        }
        other => panic!("no verifier set-up for case {other:?}"),
    }
}

#[test]
fn attack_regression_vectors() {
    let file = load(ATTACKS);
    let cases = file["cases"].as_array().unwrap();
    let total = cases.len();
    assert!(total > 0);
    let (mut valid_ok, mut invalid_rejected, mut jwe_refused) = (0usize, 0usize, 0usize);
    let mut mismatches = Vec::new();
    for c in cases {
        let id = s(&c["id"]);
        let expected = s(&c["expected"]);
        let expect_valid = if expected.starts_with("valid") {
            true
        } else if expected.starts_with("invalid") {
            false
        } else {
            panic!("{id}: unknown expectation {expected:?}")
        };
        let (kind, outcome) = run_case(c);
        let shown = match outcome {
            Ok(()) => "OK",
            Err(code) => code,
        };
        println!("{id:<34} {kind:?} expected {expected:<10.10} got {shown}");
        match (kind, expect_valid, outcome) {
            (Kind::Jwe, _, Err("ERR_JWS_INVALID")) => jwe_refused += 1,
            (Kind::Jws, true, Ok(())) => valid_ok += 1,
            (Kind::Jws, false, Err(_)) => invalid_rejected += 1,
            _ => mismatches.push(format!("{id}: expected {expected:?}, got {shown}")),
        }
    }
    println!(
        "attacks: {valid_ok} jws valid ok, {invalid_rejected} jws invalid rejected, \
         {jwe_refused} jwe refused (JWE support comes in a later issue)"
    );
    assert!(
        mismatches.is_empty(),
        "mismatches:\n{}",
        mismatches.join("\n")
    );
    assert_eq!(valid_ok + invalid_rejected + jwe_refused, total);
}

// ---------------------------------------------------------------------------------------------
// Named negative tests (security.md §2)
// ---------------------------------------------------------------------------------------------

/// Row 2 (CVE-2022-29217, CVE-2023-48223): an HS256 token MACed with the bytes of the victim's
/// RSA public key — SPKI PEM, DER, JWK JSON — must fail against the imported RSA key, whatever
/// the allow-list.
#[test]
fn rs256_to_hs256_key_confusion_with_public_key_pem_bytes() {
    let wp = load("wycheproof/testvectors_v1/rsa_signature_2048_sha256_test.json");
    let g = &wp["testGroups"][0];
    let pem = s(&g["publicKeyPem"]);
    let der = hex::decode(s(&g["publicKeyDer"])).unwrap();
    let jwk = g["keyJwk"].clone();
    let jwk_text = serde_json::to_string(&jwk).unwrap();
    let mut unbound_jwk = jwk.clone();
    unbound_jwk.as_object_mut().unwrap().remove("alg");

    let victims = [
        ("from_pem", Key::from_pem(pem, None).unwrap()),
        (
            "from_spki_pem",
            Key::from_spki_pem(pem, Alg::Rs256).unwrap(),
        ),
        ("from_jwk (alg RS256)", import(&jwk).unwrap()),
        ("from_jwk (no alg)", import(&unbound_jwk).unwrap()),
    ];
    let mut secrets: Vec<(&str, Vec<u8>)> = vec![
        ("SPKI PEM text", pem.as_bytes().to_vec()),
        (
            "SPKI PEM text without final newline",
            pem.trim_end().as_bytes().to_vec(),
        ),
        ("SPKI DER", der),
        ("JWK JSON text", jwk_text.into_bytes()),
        ("modulus n", b64::decode(s(&jwk["n"]), "n").unwrap()),
    ];
    // The key as this crate exports it, too.
    let exported_pem = victims[0].1.to_spki_pem().unwrap();
    secrets.push(("to_spki_pem() output", exported_pem.into_bytes()));
    let exported_jwk = serde_json::to_vec(&victims[0].1.to_jwk().unwrap()).unwrap();
    secrets.push(("to_jwk() JSON", exported_jwk));

    let claims = to_obj(json!({"sub": "admin", "exp": NOW + 3600}));
    let header = to_obj(json!({"alg": "HS256", "typ": "JWT"}));
    let mut tried = 0;
    for (what, secret) in &secrets {
        let naive = Key::from_secret(secret, None).unwrap();
        let token = jwt::sign(&header, &claims, &naive, &mut TestRng(1)).unwrap();
        // A library that treated key bytes as an HMAC secret would accept this token.
        assert!(jwt::verify(&token, &naive, &Validation::new(NOW)).is_ok());
        for (how, victim) in &victims {
            for algs in [vec![], vec![Alg::Rs256, Alg::Hs256], Alg::ALL.to_vec()] {
                let r = jwt::verify(&token, victim, &validation(&algs));
                assert_eq!(
                    code(&r),
                    "ERR_JOSE_ALG_NOT_ALLOWED",
                    "HS256 MACed with the {what}, victim key {how}, algorithms {algs:?}"
                );
                tried += 1;
            }
        }
        let set = jwk_set(std::slice::from_ref(&jwk)).unwrap();
        for algs in [vec![], vec![Alg::Rs256, Alg::Hs256]] {
            let r = jwt::verify(&token, &set, &validation(&algs));
            assert!(r.is_err(), "{what} via a JWK Set must fail");
            println!("  {what} via JWK Set, algorithms {algs:?}: {}", code(&r));
        }
    }
    assert_eq!(tried, secrets.len() * victims.len() * 3);
}

/// Row 2: RSA moduli below 2048 bits are refused (RFC 7518 §3.3), at import or at use.
#[test]
fn rsa_2040_bit_key_rejected() {
    use rsa::pkcs8::EncodePublicKey as _;
    use rsa::traits::PublicKeyParts as _;
    use sha2::Digest as _;

    let mut rng = TestRng(2040);
    let small = rsa::RsaPrivateKey::new(&mut rng, 2040).unwrap();
    let public = small.to_public_key();
    assert_eq!(public.n().as_ref().bit_width(), 2040);
    let token = forge(br#"{"alg":"RS256"}"#, br#"{"sub":"x"}"#, |input| {
        let digest = sha2::Sha256::digest(input);
        small
            .sign_with_rng(&mut rng, rsa::Pkcs1v15Sign::new::<sha2::Sha256>(), &digest)
            .unwrap()
    });
    // The signature itself is valid (checked with the rsa crate directly).
    let p: Vec<&str> = token.split('.').collect();
    let sig = b64::decode(p[2], "sig").unwrap();
    let digest = sha2::Sha256::digest(format!("{}.{}", p[0], p[1]).as_bytes());
    public
        .verify(rsa::Pkcs1v15Sign::new::<sha2::Sha256>(), &digest, &sig)
        .unwrap();

    let n = public.n().as_ref().to_be_bytes_trimmed_vartime();
    let jwk = json!({"kty": "RSA", "n": b64::encode(&n), "e": "AQAB"});
    let pem = public
        .to_public_key_pem(rsa::pkcs8::LineEnding::LF)
        .unwrap();
    let imports = [
        ("from_jwk", import(&jwk)),
        (
            "from_jwk_json",
            Key::from_jwk_json(&jwk.to_string(), Some(Alg::Rs256)),
        ),
        ("from_pem", Key::from_pem(&pem, None)),
        ("from_spki_pem", Key::from_spki_pem(&pem, Alg::Rs256)),
    ];
    for (how, imported) in imports {
        match imported {
            Err(e) => {
                assert_eq!(e.code(), "ERR_KEY_INVALID", "{how}: {e}");
                println!("  {how}: refused at import ({e})");
            }
            Ok(key) => {
                let r = jws::verify_compact(&token, &key, &VerifyOptions::default());
                assert_eq!(code(&r), "ERR_KEY_INVALID", "{how}: refused at use");
            }
        }
    }
    let set = jwk_set(std::slice::from_ref(&jwk));
    match set {
        Err(e) => println!("  JWK Set: refused at import ({})", e.code()),
        Ok(set) => assert!(jws::verify_compact(&token, &set, &VerifyOptions::default()).is_err()),
    }
    let r = Key::generate(
        Alg::Rs256,
        &mut rng,
        GenerateOptions {
            modulus_length: 2040,
            extractable: false,
        },
    );
    assert_eq!(code(&r), "ERR_INVALID_ARG_VALUE");
}

/// Row 2 (RFC 7518 §3.2): an HMAC secret shorter than the hash output is refused for signing and
/// verifying; exactly the hash size is accepted.
#[test]
fn hmac_secret_shorter_than_hash_rejected() {
    for (alg, len) in [(Alg::Hs256, 32), (Alg::Hs384, 48), (Alg::Hs512, 64)] {
        let header = format!(r#"{{"alg":"{alg}"}}"#);
        for size in [1, 16, len - 1, len] {
            let secret = vec![0x5a; size];
            let token = forge(header.as_bytes(), br#"{"sub":"x"}"#, |m| {
                hmac(alg, &secret, m)
            });
            let jwk = json!({"kty": "oct", "k": b64::encode(&secret)});
            let keys = [Key::from_secret(&secret, None), import(&jwk)];
            for key in keys {
                let key = match key {
                    Ok(k) => k,
                    Err(e) => {
                        assert!(size < len, "{alg}: a {size}-byte secret must import");
                        assert_eq!(e.code(), "ERR_KEY_INVALID");
                        continue;
                    }
                };
                let r = jwt::verify(&token, &key, &validation(&[alg]));
                let signed = jws::sign_compact(
                    &to_obj(json!({"alg": alg.as_str()})),
                    b"x",
                    &key,
                    &mut TestRng(1),
                );
                if size < len {
                    assert_eq!(
                        code(&r),
                        "ERR_KEY_INVALID",
                        "{alg} verify, {size}-byte secret"
                    );
                    assert_eq!(
                        code(&signed),
                        "ERR_KEY_INVALID",
                        "{alg} sign, {size}-byte secret"
                    );
                } else {
                    assert_eq!(code(&r), "OK", "{alg} verify, {size}-byte secret");
                    assert_eq!(code(&signed), "OK", "{alg} sign, {size}-byte secret");
                }
            }
        }
    }
}

fn ec_key(alg: Alg, seed: u64) -> Key {
    Key::generate(alg, &mut TestRng(seed), GenerateOptions::default()).unwrap()
}

/// Row 3 (CVE-2022-21449): all-zero, r = 0 and s = 0 signatures are rejected on every curve.
#[test]
fn ecdsa_psychic_signature_all_zero_rejected() {
    for (alg, len) in [(Alg::Es256, 64), (Alg::Es384, 96), (Alg::Es512, 132)] {
        let key = ec_key(alg, len as u64);
        let public = key.to_public().unwrap();
        let header = to_obj(json!({"alg": alg.as_str()}));
        let good = jws::sign_compact(&header, b"{}", &key, &mut TestRng(3)).unwrap();
        assert!(jws::verify_compact(&good, &public, &VerifyOptions::default()).is_ok());
        let (input, sig) = good.rsplit_once('.').unwrap();
        let sig = b64::decode(sig, "sig").unwrap();
        assert_eq!(sig.len(), len);
        let mut r_zero = sig.clone();
        r_zero[..len / 2].fill(0);
        let mut s_zero = sig.clone();
        s_zero[len / 2..].fill(0);
        for (what, bad) in [
            ("r = s = 0", vec![0u8; len]),
            ("r = 0", r_zero),
            ("s = 0", s_zero),
        ] {
            let t = format!("{input}.{}", b64::encode(&bad));
            for o in [VerifyOptions::default(), opts(&Alg::ALL)] {
                let r = jws::verify_compact(&t, &public, &o);
                assert_eq!(
                    code(&r),
                    "ERR_JWS_SIGNATURE_VERIFICATION_FAILED",
                    "{alg} {what}"
                );
            }
            let r = jwa::verify(alg, &public, input.as_bytes(), &bad);
            assert_eq!(
                code(&r),
                "ERR_JWS_SIGNATURE_VERIFICATION_FAILED",
                "{alg} {what} (jwa)"
            );
        }
    }
}

/// Row 3: ECDSA signatures must be R‖S (RFC 7518 §3.4); the DER form of a valid signature, and
/// R‖S with a leading or trailing extra byte, are rejected.
#[test]
fn ecdsa_der_signature_rejected() {
    for alg in [Alg::Es256, Alg::Es384, Alg::Es512] {
        let key = ec_key(alg, 99);
        let public = key.to_public().unwrap();
        let good = jws::sign_compact(
            &to_obj(json!({"alg": alg.as_str()})),
            b"x",
            &key,
            &mut TestRng(4),
        )
        .unwrap();
        assert!(jws::verify_compact(&good, &public, &VerifyOptions::default()).is_ok());
        let (input, sig) = good.rsplit_once('.').unwrap();
        let raw = b64::decode(sig, "sig").unwrap();
        let der: Vec<u8> = match alg {
            Alg::Es256 => p256::ecdsa::Signature::from_slice(&raw)
                .unwrap()
                .to_der()
                .as_bytes()
                .to_vec(),
            Alg::Es384 => p384::ecdsa::Signature::from_slice(&raw)
                .unwrap()
                .to_der()
                .as_bytes()
                .to_vec(),
            _ => p521::ecdsa::Signature::from_slice(&raw)
                .unwrap()
                .to_der()
                .as_bytes()
                .to_vec(),
        };
        assert_eq!(der[0], 0x30, "a DER SEQUENCE");
        let mut padded_front = vec![0u8];
        padded_front.extend_from_slice(&raw);
        let mut padded_back = raw.clone();
        padded_back.push(0);
        for (what, bad) in [
            ("DER", der),
            ("0x00‖R‖S", padded_front),
            ("R‖S‖0x00", padded_back),
        ] {
            let t = format!("{input}.{}", b64::encode(&bad));
            let r = jws::verify_compact(&t, &public, &VerifyOptions::default());
            assert_eq!(
                code(&r),
                "ERR_JWS_SIGNATURE_VERIFICATION_FAILED",
                "{alg} {what}"
            );
        }
    }
}

/// Row 4: an `x5c` (or `x5u`, `x5t#S256`) header is never a source of keys or trust.
#[test]
fn embedded_x5c_never_used() {
    let attacks = load(ATTACKS);
    let cert_pem = attacks["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "node-jsonwebtoken-wrong-alg")
        .map(|c| s(&c["verification_key_pem"]).to_owned())
        .unwrap();
    let cert_b64: String = cert_pem
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    let victim = ec_key(Alg::Es256, 1);
    let victim_public = victim.to_public().unwrap();
    let attacker = ec_key(Alg::Es256, 2);
    let header = to_obj(json!({
        "alg": "ES256",
        "x5c": [cert_b64],
        "x5t#S256": "not-checked",
        "x5u": "https://attacker.example/chain.pem",
    }));
    let claims = to_obj(json!({"sub": "admin"}));
    let forged = jwt::sign(&header, &claims, &attacker, &mut TestRng(5)).unwrap();
    let r = jwt::verify(&forged, &victim_public, &Validation::new(NOW));
    assert_eq!(code(&r), "ERR_JWS_SIGNATURE_VERIFICATION_FAILED");
    // The certificate's own key (RSA) is not used either: an RS256 forgery keyed by nobody we
    // trust fails on the victim's EC key as an algorithm mismatch, never by consulting x5c.
    let rsa_header = to_obj(json!({"alg": "RS256", "x5c": [cert_b64]}));
    let rsa_forgery = format!(
        "{}.{}.AAAA",
        b64::encode(serde_json::to_vec(&rsa_header).unwrap()),
        b64::encode(br#"{"sub":"admin"}"#)
    );
    let r = jwt::verify(&rsa_forgery, &victim_public, &Validation::new(NOW));
    assert_eq!(code(&r), "ERR_JOSE_ALG_NOT_ALLOWED");
    // The legitimate signer may carry any x5c: it is ignored, not an error.
    let genuine = jwt::sign(&header, &claims, &victim, &mut TestRng(6)).unwrap();
    let v = jwt::verify(&genuine, &victim_public, &Validation::new(NOW)).unwrap();
    assert_eq!(v.claims["sub"], "admin");
}

/// A P-256 private JWK from the Wycheproof JWS groups and its public JWK with `kid`.
fn wycheproof_ec_jwk() -> Value {
    let attacks = load(ATTACKS);
    attacks["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "wp-jws-378")
        .map(|c| c["wycheproof_group"]["private"].clone())
        .unwrap()
}

fn sign_with_header(header: &Value, payload: &[u8], key: &Key, alg: Alg) -> String {
    forge(header.to_string().as_bytes(), payload, |m| {
        jwa::sign(alg, key, m, &mut TestRng(8)).unwrap()
    })
}

/// Row 6: `kid` is an opaque string, compared exactly; hostile values find no key and never
/// crash; a huge header is refused by size before parsing.
#[test]
fn kid_injection_values_are_opaque() {
    let private_jwk = wycheproof_ec_jwk();
    let signer = import(&private_jwk).unwrap();
    let public_jwk = public_jwk(&private_jwk);
    let set = jwk_set(std::slice::from_ref(&public_jwk)).unwrap();
    let single = import(&public_jwk).unwrap();
    let big_ok = "k".repeat(8 * 1024);
    let huge = "A".repeat(64 * 1024);
    let hostile = [
        "../../x",
        "../../../../dev/null",
        "' OR 1=1 --",
        "\" OR \"\"=\"",
        "kid-ec-sign\u{0}",
        "kid-ec-sign ",
        "KID-EC-SIGN",
        "kid-ec-sign/../kid-ec-sign",
        "http://169.254.169.254/latest/meta-data/",
        "",
        big_ok.as_str(),
    ];
    for kid in hostile {
        let t = sign_with_header(
            &json!({"alg": "ES256", "kid": kid}),
            b"{}",
            &signer,
            Alg::Es256,
        );
        let r = jws::verify_compact(&t, &set, &VerifyOptions::default());
        assert_eq!(code(&r), "ERR_JWKS_NO_MATCHING_KEY", "kid {:.40?}", kid);
        // With a single configured key the kid is just carried through, byte for byte.
        let v = jws::verify_compact(&t, &single, &VerifyOptions::default()).unwrap();
        assert_eq!(v.header.kid.as_deref(), Some(kid));
    }
    let t = sign_with_header(
        &json!({"alg": "ES256", "kid": huge}),
        b"{}",
        &signer,
        Alg::Es256,
    );
    for r in [
        jws::verify_compact(&t, &set, &VerifyOptions::default()),
        jws::verify_compact(&t, &single, &VerifyOptions::default()),
    ] {
        assert_eq!(code(&r), "ERR_JWS_INVALID", "64 KB kid: refused by size");
    }
    // A key whose kid is itself path-like matches only that exact string.
    let mut odd = public_jwk.clone();
    odd["kid"] = json!("../../x");
    let set = jwk_set(&[odd]).unwrap();
    let t = sign_with_header(
        &json!({"alg": "ES256", "kid": "../../x"}),
        b"{}",
        &signer,
        Alg::Es256,
    );
    assert_eq!(
        code(&jws::verify_compact(&t, &set, &VerifyOptions::default())),
        "OK"
    );
    for near in ["../x", "..%2F..%2Fx", "../../x/", "./../../x"] {
        let t = sign_with_header(
            &json!({"alg": "ES256", "kid": near}),
            b"{}",
            &signer,
            Alg::Es256,
        );
        let r = jws::verify_compact(&t, &set, &VerifyOptions::default());
        assert_eq!(code(&r), "ERR_JWKS_NO_MATCHING_KEY", "kid {near:?}");
    }
}

/// Row 6 (jose: "a non-string kid must not bypass key selection"), through a JWK Set.
#[test]
fn non_string_kid_rejected() {
    let private_jwk = wycheproof_ec_jwk();
    let signer = import(&private_jwk).unwrap();
    let set = jwk_set(&[public_jwk(&private_jwk)]).unwrap();
    for kid in [
        json!(1),
        json!(null),
        json!(true),
        json!(["kid-ec-sign"]),
        json!({"$ne": null}),
    ] {
        let t = sign_with_header(
            &json!({"alg": "ES256", "kid": kid}),
            b"{}",
            &signer,
            Alg::Es256,
        );
        let r = jws::verify_compact(&t, &set, &VerifyOptions::default());
        assert_eq!(code(&r), "ERR_JWS_INVALID", "kid {kid}");
        let r = jwt::verify(&t, &set, &Validation::new(NOW));
        assert_eq!(code(&r), "ERR_JWS_INVALID", "kid {kid} (JWT)");
    }
}

/// Two P-256 private JWKs from the vectors (RFC 7515 A.3 and Wycheproof's `kid-ec-sign`).
fn two_p256_jwks() -> (Value, Value) {
    let a = rfc7515_jwk("RFC 7515 Appendix A.3");
    let mut b = wycheproof_ec_jwk();
    b.as_object_mut().unwrap().remove("kid");
    b.as_object_mut().unwrap().remove("alg");
    (a, b)
}

/// Row 6: several keys match the header (no `kid`, or a shared one): each is tried, and only a
/// signature by one of them verifies.
#[test]
fn jwks_multiple_matching_keys_try_each() {
    let (a, b) = two_p256_jwks();
    let (ka, kb) = (import(&a).unwrap(), import(&b).unwrap());
    let outsider = ec_key(Alg::Es256, 77);
    for shared_kid in [None, Some("same")] {
        let mut pa = public_jwk(&a);
        let mut pb = public_jwk(&b);
        let mut header = json!({"alg": "ES256"});
        if let Some(kid) = shared_kid {
            pa["kid"] = json!(kid);
            pb["kid"] = json!(kid);
            header["kid"] = json!(kid);
        }
        let set = jwk_set(&[pa, pb]).unwrap();
        assert_eq!(set.candidates(Alg::Es256, shared_kid).len(), 2);
        for (who, key) in [("first", &ka), ("second", &kb)] {
            let t = sign_with_header(&header, b"{}", key, Alg::Es256);
            let r = jws::verify_compact(&t, &set, &VerifyOptions::default());
            assert_eq!(
                code(&r),
                "OK",
                "signed by the {who} key, kid {shared_kid:?}"
            );
        }
        let t = sign_with_header(&header, b"{}", &outsider, Alg::Es256);
        let r = jws::verify_compact(&t, &set, &VerifyOptions::default());
        assert_eq!(
            code(&r),
            "ERR_JWS_SIGNATURE_VERIFICATION_FAILED",
            "outsider, kid {shared_kid:?}"
        );
    }
}

/// Row 6: no key of the set fits the token's `kid` / `alg`.
#[test]
fn jwks_no_matching_key() {
    let (a, _) = two_p256_jwks();
    let signer = import(&a).unwrap();
    let mut pa = public_jwk(&a);
    pa["kid"] = json!("a");
    let set = jwk_set(&[pa]).unwrap();
    let t = sign_with_header(
        &json!({"alg": "ES256", "kid": "b"}),
        b"{}",
        &signer,
        Alg::Es256,
    );
    assert_eq!(
        code(&jws::verify_compact(&t, &set, &VerifyOptions::default())),
        "ERR_JWKS_NO_MATCHING_KEY"
    );
    assert_eq!(
        code(&jwt::verify(&t, &set, &Validation::new(NOW))),
        "ERR_JWKS_NO_MATCHING_KEY"
    );
    assert!(set.candidates(Alg::Es256, Some("b")).is_empty());
    // Right kid, algorithm of another family: not allowed by the set's algorithms, and with an
    // explicit allow-list that names it, still no key of that family.
    let p384 = ec_key(Alg::Es384, 5);
    let t = sign_with_header(
        &json!({"alg": "ES384", "kid": "a"}),
        b"{}",
        &p384,
        Alg::Es384,
    );
    assert_eq!(
        code(&jws::verify_compact(&t, &set, &VerifyOptions::default())),
        "ERR_JOSE_ALG_NOT_ALLOWED"
    );
    let r = jws::verify_compact(&t, &set, &opts(&[Alg::Es256, Alg::Es384]));
    assert_eq!(code(&r), "ERR_JWKS_NO_MATCHING_KEY");
    // An empty set matches nothing (or is refused outright).
    match JwkSet::from_json(r#"{"keys":[]}"#) {
        Ok(empty) => {
            let t = sign_with_header(&json!({"alg": "ES256"}), b"{}", &signer, Alg::Es256);
            assert!(jws::verify_compact(&t, &empty, &opts(&[Alg::Es256])).is_err());
        }
        Err(e) => assert_eq!(e.code(), "ERR_JWKS_INVALID"),
    }
}

/// Row 14 (CVE-2022-39227): JSON serializations, and a JSON/compact polyglot, are refused by the
/// compact verifiers.
#[test]
fn polyglot_json_serialization_rejected() {
    let key = import(&rfc7515_jwk("RFC 7515 Appendix A.1")).unwrap();
    let claims = to_obj(json!({"sub": "alice", "exp": NOW + 60}));
    let token = jwt::sign(
        &to_obj(json!({"alg": "HS256"})),
        &claims,
        &key,
        &mut TestRng(1),
    )
    .unwrap();
    assert!(jwt::verify(&token, &key, &Validation::new(NOW)).is_ok());
    let p: Vec<&str> = token.split('.').collect();
    let evil = b64::encode(br#"{"sub":"admin","exp":9999999999}"#);
    let flattened = json!({"protected": p[0], "payload": p[1], "signature": p[2]}).to_string();
    let general = json!({"payload": p[1], "signatures": [{"protected": p[0], "signature": p[2]}]})
        .to_string();
    let polyglot = format!(
        r#"{{"  {}.{evil}.":"","protected":"{}","payload":"{}","signature":"{}"}}"#,
        p[0], p[0], p[1], p[2]
    );
    let injected = json!({"protected": p[0], "payload": evil, "signature": p[2]}).to_string();
    for (what, t) in [
        ("flattened JSON", flattened),
        ("general JSON", general),
        ("python-jwt polyglot", polyglot),
        ("JSON with injected payload", injected),
    ] {
        let r = jws::verify_compact(&t, &key, &VerifyOptions::default());
        assert_eq!(code(&r), "ERR_JWS_INVALID", "{what} via verify_compact");
        let r = jwt::verify(&t, &key, &Validation::new(NOW));
        assert_eq!(code(&r), "ERR_JWS_INVALID", "{what} via jwt::verify");
    }
}

/// Row 14: strict base64url — padding, whitespace, the standard alphabet and non-canonical
/// trailing bits are refused in every segment.
#[test]
fn padding_and_whitespace_rejected() {
    let file = load("rfc/rfc7515_appendix_a.json");
    let a1 = &file["examples"][0];
    assert_eq!(a1["section"], "RFC 7515 Appendix A.1");
    let token = s(&a1["compact"]);
    let key = import(&a1["jwk"]).unwrap();
    let v = Validation::new(1_300_819_370);
    assert!(jwt::verify(token, &key, &v).is_ok());
    let p: Vec<&str> = token.split('.').collect();
    let with = |i: usize, seg: String| {
        let mut q: Vec<String> = p.iter().map(|x| (*x).to_owned()).collect();
        q[i] = seg;
        q.join(".")
    };
    let mut bad: Vec<(String, String)> = Vec::new();
    for (i, seg) in p.iter().copied().enumerate() {
        let n = seg.len() / 2;
        bad.push((format!("seg {i} '=' padding"), with(i, format!("{seg}="))));
        bad.push((format!("seg {i} '==' padding"), with(i, format!("{seg}=="))));
        bad.push((
            format!("seg {i} inner space"),
            with(i, format!("{} {}", &seg[..n], &seg[n..])),
        ));
        bad.push((
            format!("seg {i} inner CRLF"),
            with(i, format!("{}\r\n{}", &seg[..n], &seg[n..])),
        ));
        bad.push((format!("seg {i} tab"), with(i, format!("{seg}\t"))));
        bad.push((format!("seg {i} leading space"), with(i, format!(" {seg}"))));
        bad.push((
            format!("seg {i} '+' alphabet"),
            with(i, format!("{}+{}", &seg[..n], &seg[n + 1..])),
        ));
        bad.push((
            format!("seg {i} '/' alphabet"),
            with(i, format!("{}/{}", &seg[..n], &seg[n + 1..])),
        ));
    }
    // The signature uses '-' and '_': its standard-alphabet twin decodes to the same bytes.
    assert!(p[2].contains('-') && p[2].contains('_'));
    bad.push((
        "standard alphabet signature".into(),
        with(2, p[2].replace('-', "+").replace('_', "/")),
    ));
    // 'k' ends the signature with zero trailing bits; 'l' differs only in those bits.
    assert!(p[2].ends_with('k'));
    bad.push((
        "non-canonical trailing bits".into(),
        with(2, format!("{}l", &p[2][..p[2].len() - 1])),
    ));
    bad.push(("trailing newline".into(), format!("{token}\n")));
    bad.push(("BOM".into(), format!("\u{feff}{token}")));
    bad.push(("trailing NUL".into(), format!("{token}\u{0}")));
    bad.push(("space around dots".into(), token.replace('.', " . ")));
    for (what, t) in &bad {
        let r = jws::verify_compact(t, &key, &VerifyOptions::default());
        assert_eq!(code(&r), "ERR_JWS_INVALID", "{what}");
        let r = jwt::verify(t, &key, &v);
        assert_eq!(code(&r), "ERR_JWS_INVALID", "{what} (JWT)");
    }
}

/// Row 13: duplicate claim names, including escaped spellings, make the claims set malformed;
/// a duplicate `kid` makes the header malformed.
#[test]
fn duplicate_claims_rejected() {
    let key = import(&rfc7515_jwk("RFC 7515 Appendix A.1")).unwrap();
    let exp = NOW + 60;
    let payloads = [
        r#"{"aud":"a","aud":"b"}"#.to_owned(),
        r#"{"aud":"client","aud":["attacker"]}"#.to_owned(),
        format!(r#"{{"exp":{exp},"exp":9999999999}}"#),
        format!(r#"{{"exp":1,"exp":{exp}}}"#),
        r#"{"\u0061ud":"a","aud":"b"}"#.to_owned(),
        format!(r#"{{"\u0065xp":{exp},"exp":9999999999}}"#),
        r#"{"iss":"x","\u0069\u0073\u0073":"x"}"#.to_owned(),
        r#"{"nested":{"a":1},"nested":{"a":1}}"#.to_owned(),
    ];
    let header = to_obj(json!({"alg": "HS256"}));
    let v = Validation {
        audience: vec!["client".into()],
        ..Validation::new(NOW)
    };
    for payload in &payloads {
        let t = jws::sign_compact(&header, payload.as_bytes(), &key, &mut TestRng(1)).unwrap();
        assert!(jws::verify_compact(&t, &key, &VerifyOptions::default()).is_ok());
        for v in [Validation::new(NOW), v.clone()] {
            let r = jwt::verify(&t, &key, &v);
            assert_eq!(code(&r), "ERR_JWT_INVALID", "{payload}");
        }
        assert_eq!(
            code(&jwt::decode(&t)),
            "ERR_JWT_INVALID",
            "{payload} (decode)"
        );
    }
    for h in [
        r#"{"alg":"HS256","kid":"a","kid":"b"}"#,
        r#"{"alg":"HS256","typ":"JWT","\u0074yp":"at+jwt"}"#,
        r#"{"alg":"HS256","crit":["b64"],"b64":false,"b64":true}"#,
    ] {
        let t = forge(h.as_bytes(), b"{}", |m| {
            jwa::sign(Alg::Hs256, &key, m, &mut TestRng(1)).unwrap()
        });
        let r = jws::verify_compact(&t, &key, &VerifyOptions::default());
        assert_eq!(code(&r), "ERR_JWS_INVALID", "{h}");
    }
}
