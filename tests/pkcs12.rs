//! PKCS#12 (RFC 7292) and encrypted PKCS#8 (RFC 5958 §3, RFC 8018 PBES2) import, against files
//! made at test time by the `openssl` CLI: `openssl pkcs12 -export` (OpenSSL 3 default:
//! AES-256-CBC + PBKDF2-HMAC-SHA256, HMAC-SHA256 MAC) and `-legacy` (3DES key, RC2-40
//! certificates, HMAC-SHA1 MAC), and `openssl pkcs8 -topk8 -v2 ...`.
//!
//! Without an `openssl` binary on PATH every test here prints "SKIPPED ... and why" to stderr
//! and returns.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::collections::HashMap;
use std::io::Write as _;
use std::path::Path;
use std::process::Command;
use std::sync::OnceLock;

use common::TestRng;
use oidckit::jwk::ThumbprintHash;
use oidckit::jwk::pkcs12::{self, MAX_PKCS12_BYTES};
use oidckit::{Alg, Error, Key, KeyKind, Object, jwt};

/// The files every test reads, generated once per test process (then the temporary
/// directory is removed), and `openssl x509 -fingerprint -sha1` of the certificates.
struct Fixtures {
    files: HashMap<String, Vec<u8>>,
    x5t: HashMap<String, String>,
}

impl Fixtures {
    fn bytes(&self, name: &str) -> Vec<u8> {
        self.files
            .get(name)
            .unwrap_or_else(|| panic!("no fixture {name}"))
            .clone()
    }
    fn text(&self, name: &str) -> String {
        String::from_utf8(self.bytes(name)).unwrap()
    }
    /// `openssl x509 -fingerprint -sha1` of a certificate, as base64url (the `x5t` form).
    fn openssl_x5t(&self, pem: &str) -> String {
        self.x5t[pem].clone()
    }
}

fn run_openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("openssl {args:?}: {e}"));
    assert!(
        out.status.success(),
        "openssl {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn openssl_stdout(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "openssl {args:?} failed");
    String::from_utf8(out.stdout).unwrap()
}

#[rustfmt::skip] // one openssl command per line
fn generate() -> Option<Fixtures> {
    let version = match Command::new("openssl").arg("version").output() {
        Ok(o) if o.status.success() => String::from_utf8_lossy(&o.stdout).trim().to_owned(),
        Ok(o) => return skip(&format!("`openssl version` exited with {}", o.status)),
        Err(e) => return skip(&format!("cannot run `openssl`: {e}")),
    };
    let dir = std::env::temp_dir().join(format!("oidckit-pkcs12-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let d = dir.as_path();
    // `cmd` is split on spaces; `extra` arguments may contain spaces (passwords).
    let o = |cmd: &str, extra: &[&str]| {
        let mut args: Vec<&str> = cmd.split_whitespace().collect();
        args.extend_from_slice(extra);
        run_openssl(d, &args);
    };
    let pass = format!("pass:{PASSWORD}");
    let p8pass = ["-passout", "pass:pkcs8 pw"];
    let _ = writeln!(std::io::stderr(), "pkcs12 tests: {version} in {}", d.display());

    // RSA key + self-signed certificate; PKCS#12 in the OpenSSL 3 default and legacy encodings.
    o("req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out self.pem -subj /CN=self -days 2", &[]);
    o("x509 -in self.pem -outform DER -out self.der", &[]);
    o("pkcs12 -export -inkey key.pem -in self.pem -out default.p12 -passout", &[&pass]);
    o("pkcs12 -export -legacy -inkey key.pem -in self.pem -out legacy.p12 -passout", &[&pass]);
    o("pkcs12 -export -inkey key.pem -in self.pem -out empty.p12 -passout pass:", &[]);
    o("pkcs12 -export -nomac -inkey key.pem -in self.pem -out nomac.p12 -passout pass:pw", &[]);
    o("pkcs12 -export -nocerts -inkey key.pem -out nocerts.p12 -passout pass:pw", &[]);
    o("pkcs12 -export -macalg sha512 -inkey key.pem -in self.pem -out sha512-mac.p12 -passout pass:pw", &[]);

    // A chain: root CA -> intermediate CA -> leaf (the key above); -certfile lists the root
    // first, so the parser has to put the chain in order.
    std::fs::write(d.join("ca.ext"), "basicConstraints=critical,CA:TRUE\nkeyUsage=keyCertSign\n").unwrap();
    o("req -x509 -newkey rsa:2048 -nodes -keyout root.key -out root.pem -subj /CN=root -days 2", &[]);
    o("req -new -newkey rsa:2048 -nodes -keyout int.key -out int.csr -subj /CN=intermediate", &[]);
    o("x509 -req -in int.csr -CA root.pem -CAkey root.key -set_serial 2 -extfile ca.ext -days 2 -out int.pem", &[]);
    o("req -new -key key.pem -out leaf.csr -subj /CN=client", &[]);
    o("x509 -req -in leaf.csr -CA int.pem -CAkey int.key -set_serial 3 -days 2 -out leaf.pem", &[]);
    let cas = std::fs::read_to_string(d.join("root.pem")).unwrap()
        + &std::fs::read_to_string(d.join("int.pem")).unwrap();
    std::fs::write(d.join("cas.pem"), cas).unwrap();
    o("pkcs12 -export -inkey key.pem -in leaf.pem -certfile cas.pem -out chain.p12 -passout pass:chain", &[]);
    o("pkcs12 -export -legacy -inkey key.pem -in leaf.pem -certfile cas.pem -out chain-legacy.p12 -passout pass:chain", &[]);
    for name in ["root", "int", "leaf"] {
        o(&format!("x509 -in {name}.pem -outform DER -out {name}.der"), &[]);
    }

    // EC P-256.
    o("req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ec.pem -out ec-cert.pem -subj /CN=ec -days 2", &[]);
    o("pkcs12 -export -inkey ec.pem -in ec-cert.pem -out ec.p12 -passout pass:ec", &[]);
    o("pkcs12 -export -legacy -inkey ec.pem -in ec-cert.pem -out ec-legacy.p12 -passout pass:ec", &[]);

    // Encrypted PKCS#8.
    for (name, args) in PKCS8_VARIANTS {
        o(&format!("pkcs8 -topk8 -in key.pem {args} -out {name}"), &p8pass);
    }
    o("pkcs8 -topk8 -in ec.pem -v2 aes-256-cbc -out ec-enc.pem", &p8pass);
    o("pkcs8 -topk8 -in key.pem -scrypt -out scrypt.pem", &p8pass);
    o("pkcs8 -topk8 -in key.pem -v2 aes-128-cbc -iter 1000001 -out too-many-iter.pem", &p8pass);

    let mut x5t = HashMap::new();
    for pem in ["self.pem", "leaf.pem", "ec-cert.pem"] {
        let out = openssl_stdout(d, &["x509", "-in", pem, "-noout", "-fingerprint", "-sha1"]);
        let hex_fp: String = out.trim().split('=').nth(1).unwrap().replace(':', "");
        x5t.insert(pem.to_owned(), oidckit::b64::encode(hex::decode(hex_fp).unwrap()));
    }
    let mut files = HashMap::new();
    for entry in std::fs::read_dir(d).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().into_string().unwrap();
        files.insert(name, std::fs::read(entry.path()).unwrap());
    }
    std::fs::remove_dir_all(d).unwrap();
    Some(Fixtures { files, x5t })
}

/// Says, in the test output, that the tests are skipped and why.
fn skip(why: &str) -> Option<Fixtures> {
    // Written straight to stderr: libtest hides a println! of a passing test.
    let _ = writeln!(
        std::io::stderr(),
        "SKIPPED tests/pkcs12.rs: the openssl CLI is needed to make PKCS#12 files ({why})"
    );
    None
}

/// `(file, openssl pkcs8 encryption arguments)`.
const PKCS8_VARIANTS: &[(&str, &str)] = &[
    ("aes256-sha256.pem", "-v2 aes-256-cbc"),
    ("aes256-sha1.pem", "-v2 aes-256-cbc -v2prf hmacWithSHA1"),
    ("aes192-sha256.pem", "-v2 aes-192-cbc"),
    ("aes128-sha1.pem", "-v2 aes-128-cbc -v2prf hmacWithSHA1"),
    ("aes128-sha512.pem", "-v2 aes-128-cbc -v2prf hmacWithSHA512"),
    ("des3-sha256.pem", "-v2 des3"),
    ("des3-sha1.pem", "-v2 des3 -v2prf hmacWithSHA1"),
    // A PKCS#12 PBE scheme inside PKCS#8 (RFC 7292 App. C).
    ("pbe-sha1-3des.pem", "-v1 PBE-SHA1-3DES"),
];

fn fixtures() -> Option<&'static Fixtures> {
    static F: OnceLock<Option<Fixtures>> = OnceLock::new();
    F.get_or_init(generate).as_ref()
}

const PASSWORD: &str = "s3cret pässword";
const NOW: i64 = 1_700_000_000;

fn message(e: &Error) -> String {
    e.to_string()
}

fn sign_and_verify(private: &Key, public: &Key, alg: Alg) {
    let mut header = Object::new();
    header.insert("alg".into(), alg.as_str().into());
    let mut claims = Object::new();
    claims.insert("sub".into(), "client-1".into());
    claims.insert("exp".into(), (NOW + 300).into());
    let token = jwt::sign(&header, &claims, private, &mut TestRng(7)).unwrap();
    let mut v = jwt::Validation::new(NOW);
    v.algorithms = vec![alg];
    let verified = jwt::verify(&token, public, &v).unwrap();
    assert_eq!(verified.claims["sub"], "client-1");
    // And a different key does not verify it.
    let other = Key::generate(alg, &mut TestRng(99), Default::default()).unwrap();
    assert_eq!(
        jwt::verify(&token, &other.to_public().unwrap(), &v).unwrap_err(),
        Error::SignatureVerificationFailed
    );
}

fn plain_key(f: &Fixtures) -> Key {
    Key::from_pkcs8_pem(&f.text("key.pem"), Alg::Rs256).unwrap()
}

fn check_rsa_p12(f: &Fixtures, file: &str) {
    let p = pkcs12::parse(&f.bytes(file), PASSWORD, None).unwrap();
    assert_eq!(p.private_key.kind(), KeyKind::Private);
    assert_eq!(p.certificate.kind(), KeyKind::Public);
    assert_eq!(
        p.private_key.thumbprint(ThumbprintHash::Sha256).unwrap(),
        plain_key(f).thumbprint(ThumbprintHash::Sha256).unwrap(),
        "{file}: the key is the one exported"
    );
    let x5t = f.openssl_x5t("self.pem");
    assert_eq!(
        p.certificate.meta.x5t.as_deref(),
        Some(x5t.as_str()),
        "{file}: x5t"
    );
    assert_eq!(p.private_key.meta.x5t.as_deref(), Some(x5t.as_str()));
    assert!(p.certificate.meta.x5t_s256.is_some());
    assert_eq!(p.chain, vec![f.bytes("self.der")], "{file}: chain");
    assert_eq!(p.chain_pem().len(), 1);
    assert!(p.chain_pem()[0].starts_with("-----BEGIN CERTIFICATE-----\n"));
    assert_eq!(
        Key::from_x509(p.chain_pem()[0].as_bytes(), None)
            .unwrap()
            .meta
            .x5t,
        p.certificate.meta.x5t
    );
    sign_and_verify(&p.private_key, &p.certificate, Alg::Rs256);
    sign_and_verify(&p.private_key, &p.certificate, Alg::Ps384);
}

#[test]
fn openssl_default_pkcs12_loads_and_signs() {
    let Some(f) = fixtures() else { return };
    check_rsa_p12(f, "default.p12");
}

#[test]
fn openssl_legacy_pkcs12_loads_and_signs() {
    let Some(f) = fixtures() else { return };
    check_rsa_p12(f, "legacy.p12");
}

#[test]
fn wrong_password_is_a_clear_key_invalid() {
    let Some(f) = fixtures() else { return };
    for (file, right) in [
        ("default.p12", PASSWORD),
        ("legacy.p12", PASSWORD),
        ("chain.p12", "chain"),
        ("ec.p12", "ec"),
        ("empty.p12", ""),
    ] {
        for pw in ["wrong", "", "s3cret password", "S3cret pässword", " "] {
            if pw == right {
                continue;
            }
            let e = pkcs12::parse(&f.bytes(file), pw, None).unwrap_err();
            assert_eq!(e.code(), "ERR_KEY_INVALID", "{file} / {pw:?}");
            assert!(
                message(&e).contains("wrong password or corrupt PKCS#12 (MAC check failed)"),
                "{file}: {e}"
            );
        }
    }
}

#[test]
fn empty_password() {
    let Some(f) = fixtures() else { return };
    let p = pkcs12::parse(&f.bytes("empty.p12"), "", None).unwrap();
    sign_and_verify(&p.private_key, &p.certificate, Alg::Rs256);
}

#[test]
fn alg_binding() {
    let Some(f) = fixtures() else { return };
    let p = pkcs12::parse(&f.bytes("default.p12"), PASSWORD, Some(Alg::Rs384)).unwrap();
    assert_eq!(p.private_key.meta.alg, Some(Alg::Rs384));
    assert_eq!(p.certificate.meta.alg, Some(Alg::Rs384));
    sign_and_verify(&p.private_key, &p.certificate, Alg::Rs384);
    let e = pkcs12::parse(&f.bytes("default.p12"), PASSWORD, Some(Alg::Es256)).unwrap_err();
    assert_eq!(e.code(), "ERR_KEY_INVALID");
}

#[test]
fn chain_is_leaf_then_issuers() {
    let Some(f) = fixtures() else { return };
    for file in ["chain.p12", "chain-legacy.p12"] {
        let p = pkcs12::parse(&f.bytes(file), "chain", None).unwrap();
        assert_eq!(
            p.chain,
            vec![f.bytes("leaf.der"), f.bytes("int.der"), f.bytes("root.der")],
            "{file}"
        );
        assert_eq!(
            p.certificate.meta.x5t.as_deref(),
            Some(f.openssl_x5t("leaf.pem").as_str())
        );
        assert_eq!(p.certificate.meta.x5c.as_ref().map(Vec::len), Some(3));
        sign_and_verify(&p.private_key, &p.certificate, Alg::Rs256);
    }
}

#[test]
fn ec_p256_pkcs12() {
    let Some(f) = fixtures() else { return };
    for file in ["ec.p12", "ec-legacy.p12"] {
        let p = pkcs12::parse(&f.bytes(file), "ec", None).unwrap();
        assert_eq!(p.private_key.family(), oidckit::Family::P256);
        assert_eq!(
            p.certificate.meta.x5t.as_deref(),
            Some(f.openssl_x5t("ec-cert.pem").as_str())
        );
        sign_and_verify(&p.private_key, &p.certificate, Alg::Es256);
    }
}

#[test]
fn no_mac_and_no_certificate_are_refused() {
    let Some(f) = fixtures() else { return };
    let e = pkcs12::parse(&f.bytes("nomac.p12"), "pw", None).unwrap_err();
    assert_eq!(e.code(), "ERR_KEY_INVALID");
    assert!(message(&e).contains("no MAC"), "{e}");
    let e = pkcs12::parse(&f.bytes("nocerts.p12"), "pw", None).unwrap_err();
    assert_eq!(e.code(), "ERR_KEY_INVALID");
    assert!(message(&e).contains("no certificate"), "{e}");
}

/// Every truncation of real files, every single-byte corruption of one, and garbage: an
/// error with a stable code, never a panic and never a key.
#[test]
fn truncated_corrupt_and_garbage_inputs_error_cleanly() {
    let Some(f) = fixtures() else { return };
    let mut cases = 0;
    for file in ["default.p12", "legacy.p12", "chain.p12"] {
        let bytes = f.bytes(file);
        for len in 0..bytes.len() {
            let e = pkcs12::parse(&bytes[..len], PASSWORD, None).unwrap_err();
            assert_eq!(e.code(), "ERR_KEY_INVALID", "{file}[..{len}]: {e}");
            cases += 1;
        }
        // Trailing garbage.
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(pkcs12::parse(&longer, PASSWORD, None).is_err());
    }
    let bytes = f.bytes("legacy.p12");
    for i in 0..bytes.len() {
        let mut flipped = bytes.clone();
        flipped[i] ^= 0x01;
        let e = pkcs12::parse(&flipped, PASSWORD, None).unwrap_err();
        assert_eq!(e.code(), "ERR_KEY_INVALID", "byte {i}: {e}");
        cases += 1;
    }
    let mut rng = 0x1234_5678_u64;
    for len in [1usize, 2, 16, 100, 2000] {
        let junk: Vec<u8> = (0..len)
            .map(|_| {
                rng = rng.wrapping_mul(6364136223846793005).wrapping_add(1);
                (rng >> 56) as u8
            })
            .collect();
        assert!(pkcs12::parse(&junk, PASSWORD, None).is_err());
        // Junk inside a DER SEQUENCE header.
        let mut seq = vec![0x30, 0x82, (len >> 8) as u8, len as u8];
        seq.extend_from_slice(&junk);
        assert!(pkcs12::parse(&seq, PASSWORD, None).is_err());
    }
    let big = vec![0x30; MAX_PKCS12_BYTES + 1];
    let e = pkcs12::parse(&big, PASSWORD, None).unwrap_err();
    assert!(message(&e).contains("larger than"), "{e}");
    assert!(cases > 9000, "ran {cases} cases");
}

#[test]
fn encrypted_pkcs8_variants() {
    let Some(f) = fixtures() else { return };
    let want = plain_key(f).thumbprint(ThumbprintHash::Sha256).unwrap();
    for (file, _) in PKCS8_VARIANTS {
        let pem = f.text(file);
        assert!(pem.contains("ENCRYPTED PRIVATE KEY"), "{file}");
        let k = Key::from_encrypted_pkcs8_pem(&pem, "pkcs8 pw", Some(Alg::Rs256)).unwrap();
        assert_eq!(
            k.thumbprint(ThumbprintHash::Sha256).unwrap(),
            want,
            "{file}"
        );
        assert_eq!(k.meta.alg, Some(Alg::Rs256));
        let pubkey = k.to_public().unwrap();
        sign_and_verify(&k, &pubkey, Alg::Rs256);
        let k2 = Key::from_pkcs8_pem_with_passphrase(&pem, Alg::Rs256, Some("pkcs8 pw")).unwrap();
        assert_eq!(k2.thumbprint(ThumbprintHash::Sha256).unwrap(), want);

        for wrong in ["pkcs8 PW", "", "pkcs8 pw "] {
            let e = Key::from_encrypted_pkcs8_pem(&pem, wrong, None).unwrap_err();
            assert_eq!(e.code(), "ERR_KEY_INVALID", "{file} / {wrong:?}");
            assert!(message(&e).contains("wrong pass"), "{file}: {e}");
        }
        let e = Key::from_pkcs8_pem_with_passphrase(&pem, Alg::Rs256, None).unwrap_err();
        assert_eq!(e.code(), "ERR_KEY_INVALID");
        assert!(message(&e).contains("passphrase is required"), "{e}");
    }
    let ec = Key::from_encrypted_pkcs8_pem(&f.text("ec-enc.pem"), "pkcs8 pw", None).unwrap();
    assert_eq!(ec.family(), oidckit::Family::P256);
    // A plain PKCS#8 PEM with a passphrase imports (the passphrase is unused); the encrypted
    // API itself wants the encrypted label.
    assert!(Key::from_pkcs8_pem_with_passphrase(&f.text("key.pem"), Alg::Rs256, Some("x")).is_ok());
    assert_eq!(
        Key::from_encrypted_pkcs8_pem(&f.text("key.pem"), "x", None)
            .unwrap_err()
            .code(),
        "ERR_KEY_INVALID"
    );
    // The family must match the alg.
    assert_eq!(
        Key::from_encrypted_pkcs8_pem(&f.text("aes256-sha256.pem"), "pkcs8 pw", Some(Alg::Es256))
            .unwrap_err()
            .code(),
        "ERR_KEY_INVALID"
    );
}

#[test]
fn unsupported_schemes_and_limits() {
    let Some(f) = fixtures() else { return };
    let e = Key::from_encrypted_pkcs8_pem(&f.text("scrypt.pem"), "pkcs8 pw", None).unwrap_err();
    assert_eq!(e.code(), "ERR_KEY_INVALID");
    assert!(message(&e).contains("scrypt"), "{e}");
    // HMAC-SHA-512 MAC (openssl pkcs12 -macalg sha512).
    let p = pkcs12::parse(&f.bytes("sha512-mac.p12"), "pw", None).unwrap();
    sign_and_verify(&p.private_key, &p.certificate, Alg::Rs256);
    let e =
        Key::from_encrypted_pkcs8_pem(&f.text("too-many-iter.pem"), "pkcs8 pw", None).unwrap_err();
    assert_eq!(e.code(), "ERR_KEY_INVALID");
    assert!(message(&e).contains("iteration count too large"), "{e}");
    // Truncations of an encrypted PKCS#8 DER.
    let pem = f.text("des3-sha1.pem");
    let b64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let der = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, b64).unwrap();
    assert!(Key::from_encrypted_pkcs8_der(&der, "pkcs8 pw", None).is_ok());
    for len in 0..der.len() {
        let e = Key::from_encrypted_pkcs8_der(&der[..len], "pkcs8 pw", None).unwrap_err();
        assert_eq!(e.code(), "ERR_KEY_INVALID", "[..{len}]");
    }
}
