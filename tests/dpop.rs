//! DPoP (RFC 9449): proof creation (§4.2), every verification check of §4.3 (one named test per
//! negative case), `cnf.jkt` binding (§6.1), nonces (§8, §9) and the RFC's examples (§4.1,
//! §6.1, §7.1; RFC 9449 is not in ../shared/vectors, so its example values are inlined).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use oidckit::jwk::{GenerateOptions, ThumbprintHash};
use oidckit::oauth::dpop::{
    DEFAULT_MAX_AGE, DpopProofRequest, DpopValidation, access_token_hash, check_cnf_jkt,
    create_proof, dpop_nonce, htu_for, is_use_dpop_nonce_error, verify_proof,
};
use oidckit::oauth::http::HttpResponse;
use oidckit::{Alg, Error, Key, Object, b64, jws, jwt};
use rand_core::UnwrapErr;
use serde_json::{Value, json};

const NOW: i64 = 1_700_000_000;
const HTU: &str = "https://server.example.com/token";
const AT: &str = "Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU";

fn rng() -> UnwrapErr<getrandom::SysRng> {
    UnwrapErr(getrandom::SysRng)
}

fn new_key(alg: Alg) -> Key {
    Key::generate(alg, &mut rng(), GenerateOptions::default()).unwrap()
}

fn rsa_key() -> Key {
    let pem = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/keys/rsa2048-pkcs8.pem"
    ))
    .unwrap();
    Key::from_pem(&pem, None).unwrap()
}

fn to_obj(v: Value) -> Object {
    match v {
        Value::Object(o) => o,
        _ => panic!("not an object"),
    }
}

fn code<T: std::fmt::Debug>(r: &Result<T, Error>) -> &'static str {
    match r {
        Ok(v) => panic!("expected an error, got {v:?}"),
        Err(e) => e.code(),
    }
}

fn claim<T: std::fmt::Debug>(r: &Result<T, Error>) -> (String, &'static str) {
    match r {
        Ok(v) => panic!("expected a claim error, got {v:?}"),
        Err(e) => {
            let c = e
                .claim_failure()
                .unwrap_or_else(|| panic!("not a claim failure: {e:?}"));
            (c.claim.clone(), c.reason)
        }
    }
}

fn proof(key: &Key, htm: &str, htu: &str, at: Option<&str>, nonce: Option<&str>) -> String {
    create_proof(
        &DpopProofRequest {
            key,
            alg: None,
            htm,
            htu,
            access_token: at,
            nonce,
        },
        NOW,
        &mut rng(),
    )
    .unwrap()
}

fn validation() -> DpopValidation {
    DpopValidation::new("POST", HTU, NOW)
}

/// The public JWK members of `key` (as a proof's `jwk` header carries them).
fn public_jwk(key: &Key) -> Object {
    let mut jwk = key.to_public_jwk().unwrap();
    jwk.remove("alg");
    jwk
}

/// Signs an arbitrary header and claims with `key` (for malformed proofs).
fn forge(header: Value, claims: Value, key: &Key) -> String {
    jwt::sign(&to_obj(header), &to_obj(claims), key, &mut rng()).unwrap()
}

/// Signs without any header validation (for headers the signer refuses to produce).
fn forge_raw(header: Value, claims: Value, key: &Key, alg: Alg) -> String {
    let input = format!(
        "{}.{}",
        b64::encode(serde_json::to_vec(&header).unwrap()),
        b64::encode(serde_json::to_vec(&claims).unwrap())
    );
    let sig = oidckit::jwa::sign(alg, key, input.as_bytes(), &mut rng()).unwrap();
    format!("{input}.{}", b64::encode(sig))
}

fn good_claims() -> Value {
    json!({ "jti": "abcdefghijklmnopqrstuv", "htm": "POST", "htu": HTU, "iat": NOW })
}

fn dpop_header(key: &Key, alg: &str) -> Value {
    json!({ "typ": "dpop+jwt", "alg": alg, "jwk": public_jwk(key) })
}

fn resp(status: u16, headers: &[(&str, &str)], body: &str) -> HttpResponse {
    HttpResponse {
        status,
        headers: headers
            .iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect(),
        body: body.as_bytes().to_vec(),
    }
}

// ---- creation and round trip -----------------------------------------------------------------

#[test]
fn roundtrip_every_asymmetric_alg() {
    let rsa = rsa_key();
    let mut keys: Vec<(Key, Option<Alg>)> = vec![
        (new_key(Alg::Es256), None),
        (new_key(Alg::Es384), None),
        (new_key(Alg::Es512), None),
        (new_key(Alg::EdDsa), None),
    ];
    for a in [
        Alg::Rs256,
        Alg::Rs384,
        Alg::Rs512,
        Alg::Ps256,
        Alg::Ps384,
        Alg::Ps512,
    ] {
        keys.push((rsa.clone(), Some(a)));
    }
    for (key, alg) in &keys {
        let p = create_proof(
            &DpopProofRequest {
                key,
                alg: *alg,
                htm: "GET",
                htu: "https://rs.example/api?x=1#frag",
                access_token: Some(AT),
                nonce: Some("n-0S6_WzA2Mj"),
            },
            NOW,
            &mut rng(),
        )
        .unwrap();
        let mut v = DpopValidation::new("GET", "https://rs.example/api", NOW);
        v.access_token = Some(AT.into());
        v.nonce = Some("n-0S6_WzA2Mj".into());
        let out = verify_proof(&p, &v).unwrap_or_else(|e| panic!("{alg:?}: {e:?}"));
        assert_eq!(out.jkt, key.thumbprint(ThumbprintHash::Sha256).unwrap());
        assert_eq!(out.header.typ.as_deref(), Some("dpop+jwt"));
        assert_eq!(out.claims["htm"], "GET");
        assert_eq!(out.claims["htu"], "https://rs.example/api");
    }
}

#[test]
fn proof_shape_follows_section_4_2() {
    let key = new_key(Alg::Es256);
    let p = proof(
        &key,
        "POST",
        "HTTPS://Server.Example.com:443/token?q=1#f",
        Some(AT),
        Some("nonce-1"),
    );
    let header = jws::decode_protected_header(&p).unwrap();
    assert_eq!(header["typ"], "dpop+jwt");
    assert_eq!(header["alg"], "ES256");
    let jwk = header["jwk"].as_object().unwrap();
    let mut names: Vec<&str> = jwk.keys().map(String::as_str).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        ["crv", "kty", "x", "y"],
        "public required members only"
    );
    assert_eq!(header.len(), 3);
    let claims = jwt::decode(&p).unwrap();
    let jti = claims["jti"].as_str().unwrap();
    assert!(
        b64::decode(jti, "jti").unwrap().len() >= 16,
        "jti ≥ 128 bits"
    );
    assert_eq!(claims["htm"], "POST");
    assert_eq!(claims["htu"], "https://server.example.com/token");
    assert_eq!(claims["iat"], NOW);
    assert_eq!(claims["ath"], access_token_hash(AT));
    assert_eq!(claims["nonce"], "nonce-1");
    assert_eq!(claims.len(), 6);
    // No ath / nonce unless asked; a fresh jti each time.
    let q = proof(&key, "POST", HTU, None, None);
    let c2 = jwt::decode(&q).unwrap();
    assert!(!c2.contains_key("ath") && !c2.contains_key("nonce"));
    assert_ne!(c2["jti"], claims["jti"]);
}

#[test]
fn rsa_and_okp_jwk_have_only_public_members() {
    let rsa = rsa_key();
    let p = create_proof(
        &DpopProofRequest {
            key: &rsa,
            alg: Some(Alg::Ps256),
            htm: "POST",
            htu: HTU,
            access_token: None,
            nonce: None,
        },
        NOW,
        &mut rng(),
    )
    .unwrap();
    let h = jws::decode_protected_header(&p).unwrap();
    let mut names: Vec<&str> = h["jwk"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    names.sort_unstable();
    assert_eq!(names, ["e", "kty", "n"]);
    let ed = new_key(Alg::EdDsa);
    let h = jws::decode_protected_header(&proof(&ed, "POST", HTU, None, None)).unwrap();
    let mut names: Vec<&str> = h["jwk"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    names.sort_unstable();
    assert_eq!(names, ["crv", "kty", "x"]);
}

#[test]
fn create_refuses_public_key() {
    let key = new_key(Alg::Es256).to_public().unwrap();
    let r = create_proof(
        &DpopProofRequest {
            key: &key,
            alg: None,
            htm: "POST",
            htu: HTU,
            access_token: None,
            nonce: None,
        },
        NOW,
        &mut rng(),
    );
    assert_eq!(code(&r), "ERR_KEY_INVALID");
}

#[test]
fn create_refuses_secret() {
    let key = Key::from_secret(&[7u8; 32], Some(Alg::Hs256)).unwrap();
    let r = create_proof(
        &DpopProofRequest {
            key: &key,
            alg: None,
            htm: "POST",
            htu: HTU,
            access_token: None,
            nonce: None,
        },
        NOW,
        &mut rng(),
    );
    assert_eq!(code(&r), "ERR_KEY_INVALID");
}

#[test]
fn create_refuses_symmetric_or_mismatched_alg() {
    let key = new_key(Alg::Es256);
    for (alg, want) in [
        (Alg::Hs256, "ERR_JOSE_ALG_NOT_ALLOWED"),
        (Alg::Es384, "ERR_JOSE_ALG_NOT_ALLOWED"),
    ] {
        let r = create_proof(
            &DpopProofRequest {
                key: &key,
                alg: Some(alg),
                htm: "POST",
                htu: HTU,
                access_token: None,
                nonce: None,
            },
            NOW,
            &mut rng(),
        );
        assert_eq!(code(&r), want, "{alg:?}");
    }
}

#[test]
fn create_unbound_rsa_needs_alg() {
    let rsa = rsa_key();
    let r = create_proof(
        &DpopProofRequest {
            key: &rsa,
            alg: None,
            htm: "POST",
            htu: HTU,
            access_token: None,
            nonce: None,
        },
        NOW,
        &mut rng(),
    );
    assert_eq!(code(&r), "ERR_INVALID_ARG_VALUE");
}

#[test]
fn create_refuses_bad_inputs() {
    let key = new_key(Alg::Es256);
    let cases: [(&str, &str, Option<&str>, Option<&str>); 7] = [
        ("PO ST", HTU, None, None),
        ("", HTU, None, None),
        ("POST", "ftp://server.example.com/x", None, None),
        ("POST", "/token", None, None),
        ("POST", HTU, Some(""), None),
        ("POST", HTU, Some("tok\nen"), None),
        ("POST", HTU, None, Some("bad nonce")),
    ];
    for (htm, htu, at, nonce) in cases {
        let r = create_proof(
            &DpopProofRequest {
                key: &key,
                alg: None,
                htm,
                htu,
                access_token: at,
                nonce,
            },
            NOW,
            &mut rng(),
        );
        assert_eq!(
            code(&r),
            "ERR_INVALID_ARG_VALUE",
            "{htm:?} {htu:?} {at:?} {nonce:?}"
        );
    }
}

#[test]
fn htu_for_strips_query_fragment_and_default_port() {
    assert_eq!(
        htu_for("https://a.example:443/p/./q/../r?x#y").unwrap(),
        "https://a.example/p/r"
    );
    assert_eq!(
        htu_for("HTTP://A.example:8080").unwrap(),
        "http://a.example:8080/"
    );
}

// ---- verification: §4.3, one test per check -------------------------------------------------

#[test]
fn verify_accepts_forged_but_valid_proof() {
    // The forging helper itself produces acceptable proofs (so the negatives below test one
    // change each).
    let key = new_key(Alg::Es256);
    let p = forge(dpop_header(&key, "ES256"), good_claims(), &key);
    verify_proof(&p, &validation()).unwrap();
}

#[test]
fn reject_two_proofs_in_one_header() {
    let key = new_key(Alg::Es256);
    let p = proof(&key, "POST", HTU, None, None);
    let r = verify_proof(&format!("{p}, {p}"), &validation());
    assert_eq!(code(&r), "ERR_JWT_INVALID");
    let r = verify_proof(&format!("{p},{p}"), &validation());
    assert_eq!(code(&r), "ERR_JWT_INVALID");
}

#[test]
fn reject_not_a_compact_jwt() {
    for bad in [
        "",
        "abc",
        "a.b",
        "a.b.c.d.e",
        "a.b.c.d",
        " a.b.c",
        "a.b.c\n",
    ] {
        let r = verify_proof(bad, &validation());
        assert_eq!(code(&r), "ERR_JWT_INVALID", "{bad:?}");
    }
}

#[test]
fn reject_oversized_proof() {
    let big = format!("{}.{}.{}", "a".repeat(10_000), "b".repeat(10_000), "c");
    assert_eq!(code(&verify_proof(&big, &validation())), "ERR_JWT_INVALID");
}

#[test]
fn reject_wrong_typ() {
    let key = new_key(Alg::Es256);
    for typ in [json!("JWT"), json!("at+jwt"), json!(1)] {
        let h = json!({ "typ": typ, "alg": "ES256", "jwk": public_jwk(&key) });
        let p = forge_raw(h, good_claims(), &key, Alg::Es256);
        let r = verify_proof(&p, &validation());
        assert_eq!(claim(&r), ("typ".into(), "check_failed"), "{typ}");
    }
}

#[test]
fn reject_missing_typ() {
    let key = new_key(Alg::Es256);
    let p = forge(
        json!({ "alg": "ES256", "jwk": public_jwk(&key) }),
        good_claims(),
        &key,
    );
    assert_eq!(claim(&verify_proof(&p, &validation())).0, "typ");
}

#[test]
fn accept_typ_as_full_media_type() {
    let key = new_key(Alg::Es256);
    let p = forge(
        json!({ "typ": "application/DPoP+JWT", "alg": "ES256", "jwk": public_jwk(&key) }),
        good_claims(),
        &key,
    );
    verify_proof(&p, &validation()).unwrap();
}

#[test]
fn reject_alg_none() {
    let key = new_key(Alg::Es256);
    let h = b64::encode(
        serde_json::to_vec(&json!({ "typ": "dpop+jwt", "alg": "none", "jwk": public_jwk(&key) }))
            .unwrap(),
    );
    let c = b64::encode(serde_json::to_vec(&good_claims()).unwrap());
    for sig in ["", "AAAA"] {
        let r = verify_proof(&format!("{h}.{c}.{sig}"), &validation());
        assert_eq!(code(&r), "ERR_JOSE_ALG_NOT_ALLOWED");
    }
}

#[test]
fn reject_symmetric_alg_hs256() {
    let secret = Key::from_secret(&[9u8; 32], Some(Alg::Hs256)).unwrap();
    let p = forge(
        json!({ "typ": "dpop+jwt", "alg": "HS256", "jwk": { "kty": "oct", "k": b64::encode([9u8; 32]) } }),
        good_claims(),
        &secret,
    );
    assert_eq!(
        code(&verify_proof(&p, &validation())),
        "ERR_JOSE_ALG_NOT_ALLOWED"
    );
}

#[test]
fn reject_alg_outside_allow_list() {
    let key = new_key(Alg::Es256);
    let p = proof(&key, "POST", HTU, None, None);
    let mut v = validation();
    v.algorithms = vec![Alg::EdDsa, Alg::Ps256];
    assert_eq!(code(&verify_proof(&p, &v)), "ERR_JOSE_ALG_NOT_ALLOWED");
    v.algorithms = vec![Alg::Es256];
    verify_proof(&p, &v).unwrap();
}

#[test]
fn reject_symmetric_alg_in_allow_list_as_misuse() {
    let key = new_key(Alg::Es256);
    let p = proof(&key, "POST", HTU, None, None);
    let mut v = validation();
    v.algorithms = vec![Alg::Es256, Alg::Hs256];
    assert_eq!(code(&verify_proof(&p, &v)), "ERR_INVALID_ARG_VALUE");
}

#[test]
fn reject_missing_jwk() {
    let key = new_key(Alg::Es256);
    let p = forge(
        json!({ "typ": "dpop+jwt", "alg": "ES256" }),
        good_claims(),
        &key,
    );
    assert_eq!(code(&verify_proof(&p, &validation())), "ERR_JWS_INVALID");
    let p = forge(
        json!({ "typ": "dpop+jwt", "alg": "ES256", "jwk": "x" }),
        good_claims(),
        &key,
    );
    assert_eq!(code(&verify_proof(&p, &validation())), "ERR_JWS_INVALID");
}

#[test]
fn reject_private_jwk() {
    let mut key = new_key(Alg::Es256);
    key.meta.extractable = true;
    let mut jwk = key.to_jwk().unwrap();
    assert!(jwk.contains_key("d"));
    jwk.remove("alg");
    let p = forge(
        json!({ "typ": "dpop+jwt", "alg": "ES256", "jwk": jwk }),
        good_claims(),
        &key,
    );
    assert_eq!(code(&verify_proof(&p, &validation())), "ERR_JWS_INVALID");
}

#[test]
fn reject_private_rsa_member_and_oct_k() {
    let rsa = rsa_key();
    let mut jwk = public_jwk(&rsa);
    jwk.insert("p".into(), json!("AQAB"));
    let p = forge(
        json!({ "typ": "dpop+jwt", "alg": "RS256", "jwk": jwk }),
        good_claims(),
        &rsa,
    );
    assert_eq!(code(&verify_proof(&p, &validation())), "ERR_JWS_INVALID");
    let mut jwk = public_jwk(&rsa);
    jwk.insert("k".into(), json!("AQAB"));
    let p = forge(
        json!({ "typ": "dpop+jwt", "alg": "RS256", "jwk": jwk }),
        good_claims(),
        &rsa,
    );
    assert_eq!(code(&verify_proof(&p, &validation())), "ERR_JWS_INVALID");
}

#[test]
fn reject_jwk_of_another_key() {
    let signer = new_key(Alg::Es256);
    let other = new_key(Alg::Es256);
    let p = forge(dpop_header(&other, "ES256"), good_claims(), &signer);
    assert_eq!(
        code(&verify_proof(&p, &validation())),
        "ERR_JWS_SIGNATURE_VERIFICATION_FAILED"
    );
}

#[test]
fn reject_jwk_of_wrong_family_for_alg() {
    let key = new_key(Alg::Es256);
    let ed = new_key(Alg::EdDsa);
    let p = forge(dpop_header(&ed, "ES256"), good_claims(), &key);
    assert_eq!(code(&verify_proof(&p, &validation())), "ERR_JWK_INVALID");
}

#[test]
fn reject_tampered_payload() {
    let key = new_key(Alg::Es256);
    let p = proof(&key, "POST", HTU, None, None);
    let parts: Vec<&str> = p.split('.').collect();
    let mut claims = jwt::decode(&p).unwrap();
    claims.insert("htm".into(), json!("GET"));
    let forged = format!(
        "{}.{}.{}",
        parts[0],
        b64::encode(serde_json::to_vec(&claims).unwrap()),
        parts[2]
    );
    let mut v = validation();
    v.htm = "GET".into();
    assert_eq!(
        code(&verify_proof(&forged, &v)),
        "ERR_JWS_SIGNATURE_VERIFICATION_FAILED"
    );
}

#[test]
fn reject_encryption_jwk() {
    let key = new_key(Alg::Es256);
    let mut jwk = public_jwk(&key);
    jwk.insert("use".into(), json!("enc"));
    let p = forge(
        json!({ "typ": "dpop+jwt", "alg": "ES256", "jwk": jwk }),
        good_claims(),
        &key,
    );
    assert_eq!(code(&verify_proof(&p, &validation())), "ERR_KEY_INVALID");
}

#[test]
fn reject_unknown_crit() {
    let key = new_key(Alg::Es256);
    let mut h = dpop_header(&key, "ES256");
    h["crit"] = json!(["exp-ext"]);
    h["exp-ext"] = json!(1);
    let p = forge(h, good_claims(), &key);
    assert_eq!(
        code(&verify_proof(&p, &validation())),
        "ERR_JOSE_NOT_SUPPORTED"
    );
}

#[test]
fn reject_missing_required_claims() {
    let key = new_key(Alg::Es256);
    for name in ["jti", "htm", "htu", "iat"] {
        let mut c = good_claims();
        c.as_object_mut().unwrap().remove(name);
        let p = forge(dpop_header(&key, "ES256"), c, &key);
        assert_eq!(
            claim(&verify_proof(&p, &validation())),
            (name.into(), "missing"),
            "{name}"
        );
    }
}

#[test]
fn reject_ill_typed_claims() {
    let key = new_key(Alg::Es256);
    for (name, value) in [
        ("jti", json!(1)),
        ("jti", json!("")),
        ("htm", json!(["POST"])),
        ("htu", json!(null)),
        ("iat", json!("1700000000")),
        ("nonce", json!(5)),
        ("ath", json!(true)),
    ] {
        let mut c = good_claims();
        c[name] = value.clone();
        let p = forge(dpop_header(&key, "ES256"), c, &key);
        assert_eq!(
            claim(&verify_proof(&p, &validation())),
            (name.into(), "invalid"),
            "{name} {value}"
        );
    }
}

#[test]
fn reject_claims_not_an_object() {
    let key = new_key(Alg::Es256);
    let h = serde_json::to_vec(&dpop_header(&key, "ES256")).unwrap();
    let p = jws::sign_compact_with_header_bytes(&h, b"[1,2]", &key, &mut rng()).unwrap();
    assert_eq!(code(&verify_proof(&p, &validation())), "ERR_JWT_INVALID");
}

#[test]
fn reject_htm_mismatch() {
    let key = new_key(Alg::Es256);
    let p = proof(&key, "GET", HTU, None, None);
    assert_eq!(
        claim(&verify_proof(&p, &validation())),
        ("htm".into(), "check_failed")
    );
    // Methods are case-sensitive (RFC 9110 §9.1).
    let p = proof(&key, "post", HTU, None, None);
    assert_eq!(
        claim(&verify_proof(&p, &validation())),
        ("htm".into(), "check_failed")
    );
}

#[test]
fn reject_htu_mismatch() {
    let key = new_key(Alg::Es256);
    for other in [
        "https://server.example.com/token2",
        "https://server.example.com/",
        "https://other.example.com/token",
        "http://server.example.com/token",
        "https://server.example.com:8443/token",
    ] {
        let p = proof(&key, "POST", other, None, None);
        assert_eq!(
            claim(&verify_proof(&p, &validation())),
            ("htu".into(), "check_failed"),
            "{other}"
        );
    }
}

#[test]
fn reject_htu_not_a_url() {
    let key = new_key(Alg::Es256);
    let mut c = good_claims();
    c["htu"] = json!("/token");
    let p = forge(dpop_header(&key, "ES256"), c, &key);
    assert_eq!(
        claim(&verify_proof(&p, &validation())),
        ("htu".into(), "invalid")
    );
}

#[test]
fn accept_htu_after_normalisation() {
    let key = new_key(Alg::Es256);
    for (claimed, request) in [
        (
            "HTTPS://SERVER.example.com:443/token",
            "https://server.example.com/token?x=1",
        ),
        (
            "https://server.example.com/%7Etoken",
            "https://server.example.com/~token",
        ),
        (
            "https://server.example.com/a/../token",
            "https://server.example.com/token#frag",
        ),
        (
            "https://server.example.com/token?ignored=1",
            "https://server.example.com/token",
        ),
        ("http://127.0.0.1:80/t", "http://127.0.0.1/t"),
    ] {
        let mut c = good_claims();
        c["htu"] = json!(claimed);
        let p = forge(dpop_header(&key, "ES256"), c, &key);
        let mut v = validation();
        v.htu = request.into();
        verify_proof(&p, &v).unwrap_or_else(|e| panic!("{claimed} vs {request}: {e:?}"));
    }
}

#[test]
fn reject_iat_too_old() {
    let key = new_key(Alg::Es256);
    let p = proof(&key, "POST", HTU, None, None);
    let mut v = validation();
    v.now = NOW + DEFAULT_MAX_AGE as i64 + 1;
    let r = verify_proof(&p, &v);
    assert_eq!(code(&r), "ERR_JWT_EXPIRED");
    assert_eq!(claim(&r).0, "iat");
    v.clock_tolerance = 5;
    verify_proof(&p, &v).unwrap();
    v.max_age = 60;
    assert_eq!(code(&verify_proof(&p, &v)), "ERR_JWT_EXPIRED");
}

#[test]
fn reject_iat_in_the_future() {
    let key = new_key(Alg::Es256);
    let p = proof(&key, "POST", HTU, None, None);
    let mut v = validation();
    v.now = NOW - 30;
    assert_eq!(claim(&verify_proof(&p, &v)), ("iat".into(), "check_failed"));
    v.clock_tolerance = 30;
    verify_proof(&p, &v).unwrap();
}

#[test]
fn reject_expired_exp() {
    let key = new_key(Alg::Es256);
    let mut c = good_claims();
    c["exp"] = json!(NOW - 1);
    let p = forge(dpop_header(&key, "ES256"), c, &key);
    assert_eq!(code(&verify_proof(&p, &validation())), "ERR_JWT_EXPIRED");
}

#[test]
fn reject_missing_nonce() {
    let key = new_key(Alg::Es256);
    let p = proof(&key, "POST", HTU, None, None);
    let mut v = validation();
    v.nonce = Some("server-nonce".into());
    assert_eq!(claim(&verify_proof(&p, &v)), ("nonce".into(), "missing"));
}

#[test]
fn reject_wrong_nonce() {
    let key = new_key(Alg::Es256);
    let p = proof(&key, "POST", HTU, None, Some("old-nonce"));
    let mut v = validation();
    v.nonce = Some("server-nonce".into());
    assert_eq!(
        claim(&verify_proof(&p, &v)),
        ("nonce".into(), "check_failed")
    );
    let p = proof(&key, "POST", HTU, None, Some("server-nonce"));
    verify_proof(&p, &v).unwrap();
}

#[test]
fn reject_missing_ath() {
    let key = new_key(Alg::Es256);
    let p = proof(&key, "POST", HTU, None, None);
    let mut v = validation();
    v.access_token = Some(AT.into());
    assert_eq!(claim(&verify_proof(&p, &v)), ("ath".into(), "missing"));
}

#[test]
fn reject_wrong_ath() {
    let key = new_key(Alg::Es256);
    let p = proof(&key, "POST", HTU, Some("another-token"), None);
    let mut v = validation();
    v.access_token = Some(AT.into());
    assert_eq!(claim(&verify_proof(&p, &v)), ("ath".into(), "check_failed"));
}

#[test]
fn ath_without_access_token_is_ignored() {
    let key = new_key(Alg::Es256);
    let p = proof(&key, "POST", HTU, Some(AT), None);
    verify_proof(&p, &validation()).unwrap();
}

#[test]
fn misuse_is_invalid_arg_value() {
    let key = new_key(Alg::Es256);
    let p = proof(&key, "POST", HTU, None, None);
    let mut v = validation();
    v.clock_tolerance = 601;
    assert_eq!(code(&verify_proof(&p, &v)), "ERR_INVALID_ARG_VALUE");
    let mut v = validation();
    v.htu = "not a url".into();
    assert_eq!(code(&verify_proof(&p, &v)), "ERR_INVALID_ARG_VALUE");
    let mut v = validation();
    v.htm = String::new();
    assert_eq!(code(&verify_proof(&p, &v)), "ERR_INVALID_ARG_VALUE");
}

#[test]
fn rsa_jwk_below_2048_bits_is_refused() {
    let pem = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/keys/rsa1024-pkcs8.pem"
    ))
    .unwrap();
    assert!(
        Key::from_pem(&pem, Some(Alg::Rs256)).is_err(),
        "fixture must stay unusable"
    );
}

// ---- cnf.jkt (§6.1) ----------------------------------------------------------------------------

#[test]
fn cnf_jkt_binding() {
    let key = new_key(Alg::Es256);
    let out = verify_proof(&proof(&key, "POST", HTU, None, None), &validation()).unwrap();
    let ok = to_obj(json!({ "sub": "u", "cnf": { "jkt": out.jkt } }));
    check_cnf_jkt(&ok, &out.jkt).unwrap();
    let other = new_key(Alg::Es256)
        .thumbprint(ThumbprintHash::Sha256)
        .unwrap();
    let cases = [
        (json!({ "cnf": { "jkt": other } }), "check_failed"),
        (json!({ "sub": "u" }), "missing"),
        (json!({ "cnf": { "x5t#S256": "abc" } }), "missing"),
        (json!({ "cnf": "jkt" }), "invalid"),
        (json!({ "cnf": { "jkt": 1 } }), "invalid"),
    ];
    for (claims, reason) in cases {
        let r = check_cnf_jkt(&to_obj(claims.clone()), &out.jkt);
        assert_eq!(claim(&r), ("cnf".into(), reason), "{claims}");
    }
}

// ---- nonces (§8, §9) -----------------------------------------------------------------------------

#[test]
fn dpop_nonce_header() {
    assert_eq!(
        dpop_nonce(&resp(
            200,
            &[("DPoP-Nonce", "eyJ7S_zG.eyJH0-Z.HX4w-7v")],
            ""
        )),
        Some("eyJ7S_zG.eyJH0-Z.HX4w-7v")
    );
    assert_eq!(
        dpop_nonce(&resp(400, &[("dpop-nonce", "abc")], "")),
        Some("abc")
    );
    assert_eq!(dpop_nonce(&resp(200, &[], "")), None);
    assert_eq!(dpop_nonce(&resp(200, &[("DPoP-Nonce", "a b")], "")), None);
    assert_eq!(dpop_nonce(&resp(200, &[("DPoP-Nonce", "")], "")), None);
}

#[test]
fn use_dpop_nonce_from_authorization_server() {
    let body = r#"{"error":"use_dpop_nonce","error_description":"Authorization server requires nonce in DPoP proof"}"#;
    let ct = [
        ("Content-Type", "application/json"),
        ("DPoP-Nonce", "eyJ7S_zG.eyJH0-Z.HX4w-7v"),
    ];
    assert!(is_use_dpop_nonce_error(&resp(400, &ct, body)));
    assert!(!is_use_dpop_nonce_error(&resp(
        400,
        &ct,
        r#"{"error":"invalid_dpop_proof"}"#
    )));
    assert!(!is_use_dpop_nonce_error(&resp(400, &ct, "not json")));
    assert!(!is_use_dpop_nonce_error(&resp(400, &ct, r#"{"error":1}"#)));
    assert!(
        !is_use_dpop_nonce_error(&resp(401, &ct, body)),
        "a 401 needs the challenge"
    );
    assert!(!is_use_dpop_nonce_error(&resp(200, &ct, body)));
}

#[test]
fn use_dpop_nonce_from_resource_server() {
    let rfc = r#"DPoP error="use_dpop_nonce", error_description="Resource server requires nonce in DPoP proof""#;
    assert!(is_use_dpop_nonce_error(&resp(
        401,
        &[("WWW-Authenticate", rfc)],
        ""
    )));
    let combined = r#"Bearer realm="api", DPoP algs="ES256 PS256", error="use_dpop_nonce""#;
    assert!(is_use_dpop_nonce_error(&resp(
        401,
        &[("www-authenticate", combined)],
        ""
    )));
    let two_fields = [
        ("WWW-Authenticate", r#"Bearer realm="api""#),
        ("WWW-Authenticate", "dpop error=use_dpop_nonce"),
    ];
    assert!(is_use_dpop_nonce_error(&resp(401, &two_fields, "")));
    // The error of another scheme, another error, or another status.
    let bearer = r#"Bearer error="use_dpop_nonce", DPoP algs="ES256""#;
    assert!(!is_use_dpop_nonce_error(&resp(
        401,
        &[("WWW-Authenticate", bearer)],
        ""
    )));
    let other = r#"DPoP error="invalid_token""#;
    assert!(!is_use_dpop_nonce_error(&resp(
        401,
        &[("WWW-Authenticate", other)],
        ""
    )));
    let quoted = r#"DPoP realm="error=\"use_dpop_nonce\"""#;
    assert!(!is_use_dpop_nonce_error(&resp(
        401,
        &[("WWW-Authenticate", quoted)],
        ""
    )));
    assert!(!is_use_dpop_nonce_error(&resp(
        403,
        &[("WWW-Authenticate", rfc)],
        ""
    )));
    assert!(!is_use_dpop_nonce_error(&resp(401, &[], "")));
}

// ---- RFC 9449 examples -------------------------------------------------------------------------

/// RFC 9449 §7.1 (Figure 12/13): `ath` of the example access token.
#[test]
fn rfc9449_ath_example() {
    assert_eq!(
        access_token_hash(AT),
        "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo"
    );
}

/// RFC 9449 §6.1 (Figure 7): the example key's thumbprint is the example `cnf.jkt`.
#[test]
fn rfc9449_jkt_example() {
    let jwk = to_obj(json!({
        "kty": "EC",
        "x": "l8tFrhx-34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFs",
        "y": "9VE4jf_Ok_o64zbTTlcuNJajHmt6v9TDVrU0CdvGRDA",
        "crv": "P-256"
    }));
    let jkt = oidckit::jwk::jwk_thumbprint(&jwk, ThumbprintHash::Sha256).unwrap();
    assert_eq!(jkt, "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I");
}

/// RFC 9449 §4.1 (Figure 4): the example proof of the token request.
const RFC9449_PROOF: &str = concat!(
    "eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6Ik",
    "VDIiwieCI6Imw4dEZyaHgtMzR0VjNoUklDUkRZOXpDa0RscEJoRjQyVVFVZldWQVdCR",
    "nMiLCJ5IjoiOVZFNGpmX09rX282NHpiVFRsY3VOSmFqSG10NnY5VERWclUwQ2R2R1JE",
    "QSIsImNydiI6IlAtMjU2In19.eyJqdGkiOiItQndDM0VTYzZhY2MybFRjIiwiaHRtIj",
    "oiUE9TVCIsImh0dSI6Imh0dHBzOi8vc2VydmVyLmV4YW1wbGUuY29tL3Rva2VuIiwia",
    "WF0IjoxNTYyMjYyNjE2fQ.2-GxA6T8lP4vfrg8v-FdWP0A0zdrj8igiMLvqRMUvwnQg",
    "4PtFLbdLXiOSsX0x7NVY-FNyJK70nfbV37xRZT3Lg"
);

#[test]
fn rfc9449_example_proof_shape() {
    let header = jws::decode_protected_header(RFC9449_PROOF).unwrap();
    assert_eq!(header["typ"], "dpop+jwt");
    assert_eq!(header["alg"], "ES256");
    assert_eq!(header["jwk"]["crv"], "P-256");
    let claims = jwt::decode(RFC9449_PROOF).unwrap();
    assert_eq!(claims["jti"], "-BwC3ESc6acc2lTc");
    assert_eq!(claims["htm"], "POST");
    assert_eq!(claims["htu"], HTU);
    assert_eq!(claims["iat"], 1_562_262_616);
}

#[test]
fn rfc9449_example_proof_verifies() {
    let v = DpopValidation::new("POST", HTU, 1_562_262_616);
    let out = verify_proof(RFC9449_PROOF, &v).unwrap();
    assert_eq!(out.jkt, "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I");
    // Replayed years later: too old.
    let v = DpopValidation::new("POST", HTU, NOW);
    assert_eq!(code(&verify_proof(RFC9449_PROOF, &v)), "ERR_JWT_EXPIRED");
}
