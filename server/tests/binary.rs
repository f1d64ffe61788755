//! The `oidckit-server` binary itself: CLI, banner, serving, subcommands.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};

use oidckit::oauth::discovery::{DiscoveryOptions, process_discovery_response};
use oidckit_server::config::DEFAULT_CONFIG_TOML;

const BIN: &str = env!("CARGO_BIN_EXE_oidckit-server");

/// Kills the child when the test ends, pass or fail.
struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn starts_with_the_embedded_config_prints_the_banner_and_serves() {
    let child = Command::new(BIN)
        .args(["--in-memory", "--port", "0"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut guard = Guard(child);
    let stdout = guard.0.stdout.take().unwrap();
    let reader = tokio::task::spawn_blocking(move || {
        let mut banner = String::new();
        let mut issuer = None;
        for line in BufReader::new(stdout).lines() {
            let line = line.unwrap();
            if let Some(i) = line.trim().strip_prefix("issuer") {
                issuer = Some(i.trim().to_owned());
            }
            banner.push_str(&line);
            banner.push('\n');
            // The banner is framed by three rule lines.
            if banner.lines().filter(|l| l.starts_with("=====")).count() == 3 {
                break;
            }
        }
        (banner, issuer.expect("an issuer line"))
    });
    let (banner, issuer) = tokio::time::timeout(std::time::Duration::from_secs(120), reader)
        .await
        .expect("the banner within 120 s")
        .unwrap();
    assert!(banner.contains("DEVELOPMENT ONLY"), "{banner}");
    assert!(banner.contains("in memory"), "{banner}");
    assert!(banner.contains("alice / alice-demo-password"), "{banner}");
    assert!(issuer.starts_with("http://127.0.0.1:"), "{issuer}");

    let resp = common::http_get(&format!("{issuer}/.well-known/openid-configuration")).await;
    let opts = DiscoveryOptions {
        allow_insecure_loopback: true,
        ..DiscoveryOptions::default()
    };
    let meta = process_discovery_response(&issuer, &resp, &opts).unwrap();
    assert_eq!(meta.jwks_uri(), Some(format!("{issuer}/jwks").as_str()));
}

#[test]
fn a_bad_config_file_stops_the_start_with_a_message() {
    let dir = std::env::temp_dir().join(format!("oidckit-server-badcfg-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("bad.toml");
    std::fs::write(&path, "[server]\nid_token_signing_alg = \"HS256\"\n").unwrap();
    let out = Command::new(BIN)
        .args(["--in-memory", "--port", "0", "--config"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("id_token_signing_alg"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        &["--bogus"][..],
        &["--port", "x"],
        &["--in-memory", "--data-dir", "d"],
    ] {
        let out = Command::new(BIN).args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(String::from_utf8(out.stderr).unwrap().contains("USAGE"));
    }
    let out = Command::new(BIN).arg("--help").output().unwrap();
    assert!(out.status.success());
    assert!(
        String::from_utf8(out.stdout)
            .unwrap()
            .contains("--data-dir")
    );
}

#[test]
fn print_config_prints_the_embedded_file() {
    let out = Command::new(BIN).arg("print-config").output().unwrap();
    assert!(out.status.success());
    assert_eq!(String::from_utf8(out.stdout).unwrap(), DEFAULT_CONFIG_TOML);
}

#[test]
fn hash_password_reads_stdin() {
    let mut child = Command::new(BIN)
        .arg("hash-password")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"s3cret passphrase\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let phc = String::from_utf8(out.stdout).unwrap();
    assert!(oidckit_server::password::verify(
        "s3cret passphrase",
        phc.trim()
    ));

    let out = Command::new(BIN)
        .arg("hash-password")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "an empty password is refused");
}

/// Starts the binary with `args`, reads its banner; returns the guard, the banner and the
/// issuer.
async fn spawn(args: &[&str], env: &[(&str, &str)]) -> (Guard, String, String) {
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .env_remove("OIDCKIT_ADMIN_PASSWORD")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut guard = Guard(cmd.spawn().unwrap());
    let stdout = guard.0.stdout.take().unwrap();
    let reader = tokio::task::spawn_blocking(move || {
        let mut banner = String::new();
        let mut issuer = None;
        let mut lines = BufReader::new(stdout).lines();
        for line in lines.by_ref() {
            let line = line.unwrap();
            if let Some(i) = line.trim().strip_prefix("issuer") {
                issuer = Some(i.trim().to_owned());
            }
            banner.push_str(&line);
            banner.push('\n');
            if banner.lines().filter(|l| l.starts_with("=====")).count() == 3 {
                break;
            }
        }
        // Keep draining stdout so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        (banner, issuer.expect("an issuer line"))
    });
    let (banner, issuer) = tokio::time::timeout(std::time::Duration::from_secs(120), reader)
        .await
        .expect("the banner within 120 s")
        .unwrap();
    (guard, banner, issuer)
}

/// A minimal HTTP/1.1 exchange (`Connection: close`): status, header fields, body.
async fn http(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, Vec<(String, String)>, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rest = url.strip_prefix("http://").unwrap();
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let path = if path.is_empty() { "/" } else { path };
    let mut s = tokio::net::TcpStream::connect(authority).await.unwrap();
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\
         Content-Length: {}\r\n",
        body.len()
    );
    for (n, v) in headers {
        req.push_str(&format!("{n}: {v}\r\n"));
    }
    req.push_str("\r\n");
    req.push_str(body);
    s.write_all(req.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    tokio::time::timeout(std::time::Duration::from_secs(60), s.read_to_end(&mut raw))
        .await
        .unwrap()
        .unwrap();
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    (status, headers, body.to_owned())
}

fn hdr<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

fn form_encode(pairs: &[(&str, &str)]) -> String {
    let enc = |s: &str| {
        s.bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                    char::from(b).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect::<String>()
    };
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Signs in to /admin with `password`: (cookie, CSRF token).
async fn admin_login(issuer: &str, password: &str) -> (String, String) {
    let form = "application/x-www-form-urlencoded";
    let (status, headers, _) = http(
        "POST",
        &format!("{issuer}/admin/login"),
        &[("Content-Type", form)],
        &form_encode(&[("password", password)]),
    )
    .await;
    assert_eq!(status, 303, "admin sign-in");
    let cookie = hdr(&headers, "set-cookie")
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let (_, _, home) = http(
        "GET",
        &format!("{issuer}/admin"),
        &[("Cookie", &cookie)],
        "",
    )
    .await;
    let marker = "name=\"csrf\" value=\"";
    let i = home.find(marker).unwrap() + marker.len();
    let csrf = home[i..].split('"').next().unwrap().to_owned();
    (cookie, csrf)
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("oidckit-bin-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// State survives `kill -9`: an acknowledged token's signing key, a client registered on the
/// admin page, a rotated key ring and the admin password are all there after a restart on the
/// same data directory.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_then_restart_keeps_keys_clients_and_tokens() {
    let dir = temp_dir("kill9");
    let d = dir.to_str().unwrap().to_owned();
    let (mut guard, banner, issuer) = spawn(
        &["--data-dir", &d, "--port", "0"],
        &[("OIDCKIT_ADMIN_PASSWORD", "admin-pw-1")],
    )
    .await;
    assert!(
        banner.contains(&format!("admin      {issuer}/admin")),
        "{banner}"
    );
    assert!(
        !banner.contains("admin pw"),
        "a given password is never printed"
    );
    assert!(
        banner.contains("generated a new RS256 signing key"),
        "{banner}"
    );

    let form = "application/x-www-form-urlencoded";
    let (cookie, csrf) = admin_login(&issuer, "admin-pw-1").await;
    // A client registered on the admin page.
    let (status, _, body) = http(
        "POST",
        &format!("{issuer}/admin/clients/save"),
        &[("Content-Type", form), ("Cookie", &cookie)],
        &form_encode(&[
            ("csrf", &csrf),
            ("client_id", "survivor"),
            ("client_name", "Survives kill -9"),
            ("type", "public"),
            ("token_endpoint_auth_method", "none"),
            ("redirect_uris", "http://127.0.0.1:9/cb"),
            ("grant_types", "authorization_code"),
            ("response_types", "code"),
            ("scope", "openid"),
        ]),
    )
    .await;
    assert_eq!(status, 303, "{body}");
    // A live rotation: two keys published.
    let (status, _, _) = http(
        "POST",
        &format!("{issuer}/admin/keys/rotate"),
        &[("Content-Type", form), ("Cookie", &cookie)],
        &form_encode(&[("csrf", &csrf)]),
    )
    .await;
    assert_eq!(status, 303);

    // A client_credentials token for the demo confidential client (RFC 6749 §4.4),
    // acknowledged before the kill.
    let (_, _, disco) = http(
        "GET",
        &format!("{issuer}/.well-known/openid-configuration"),
        &[],
        "",
    )
    .await;
    let disco: serde_json::Value = serde_json::from_str(&disco).unwrap();
    let endpoint = disco["token_endpoint"].as_str().unwrap().to_owned();
    let token = {
        use base64::Engine as _;
        let basic = base64::engine::general_purpose::STANDARD
            .encode("oidckit-demo-web:oidckit-demo-web-secret");
        let (status, _, body) = http(
            "POST",
            &endpoint,
            &[
                ("Content-Type", form),
                ("Authorization", &format!("Basic {basic}")),
            ],
            "grant_type=client_credentials",
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let t: serde_json::Value = serde_json::from_str(&body).unwrap();
        t["access_token"].as_str().unwrap().to_owned()
    };
    let (_, _, jwks_before) = http("GET", &format!("{issuer}/jwks"), &[], "").await;
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&jwks_before).unwrap()["keys"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    // kill -9: no shutdown hook runs.
    guard.0.kill().unwrap();
    guard.0.wait().unwrap();

    // Restart on the same directory without a password flag: the stored one still works, and
    // none is generated or printed.
    // Same port, so the issuer (and the tokens' `iss`) is the same.
    let port = issuer.rsplit(':').next().unwrap().to_owned();
    let (_guard2, banner, issuer2) = spawn(&["--data-dir", &d, "--port", &port], &[]).await;
    assert_eq!(issuer2, issuer);
    assert!(!banner.contains("admin pw"), "{banner}");
    assert!(!banner.contains("generated a new"), "{banner}");
    let (_, _, jwks_after) = http("GET", &format!("{issuer2}/jwks"), &[], "").await;
    assert_eq!(jwks_before, jwks_after);
    let (cookie, _) = admin_login(&issuer2, "admin-pw-1").await;
    let (_, _, clients) = http(
        "GET",
        &format!("{issuer2}/admin/clients"),
        &[("Cookie", &cookie)],
        "",
    )
    .await;
    assert!(clients.contains("survivor"), "{clients}");
    assert!(clients.contains("Survives kill -9"));

    // The acknowledged token (an RFC 9068 JWT by default) still verifies with the restarted
    // server's JWKS, and the server still knows it (RFC 7662 introspection by the client).
    let set = oidckit::JwkSet::from_json(&jwks_after).unwrap();
    let v = oidckit::jwt::Validation {
        algorithms: vec![oidckit::Alg::Rs256],
        typ: Some("at+jwt".into()),
        ..oidckit::jwt::Validation::new(oidckit_server::app::now())
    };
    let claims = oidckit::jwt::verify(&token, &set, &v).unwrap().claims;
    assert_eq!(claims["client_id"], "oidckit-demo-web");
    if let Some(introspect) = disco["introspection_endpoint"].as_str() {
        use base64::Engine as _;
        let basic = base64::engine::general_purpose::STANDARD
            .encode("oidckit-demo-web:oidckit-demo-web-secret");
        let (status, _, body) = http(
            "POST",
            introspect,
            &[
                ("Content-Type", form),
                ("Authorization", &format!("Basic {basic}")),
            ],
            &form_encode(&[("token", &token)]),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let r: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(r["active"], true, "{body}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// First start on a data directory: a generated admin password, printed once; later starts
/// print none. `rotate-keys` rotates the stored ring for the next start.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generated_admin_password_and_rotate_keys_subcommand() {
    let dir = temp_dir("rotate");
    let d = dir.to_str().unwrap().to_owned();
    let (guard, banner, issuer) = spawn(&["--data-dir", &d, "--port", "0"], &[]).await;
    let line = banner
        .lines()
        .find(|l| l.trim_start().starts_with("admin pw"))
        .unwrap_or_else(|| panic!("{banner}"));
    let pw = line.split_whitespace().nth(2).unwrap().to_owned();
    assert!(pw.len() >= 20, "{line}");
    admin_login(&issuer, &pw).await;
    let (_, _, jwks1) = http("GET", &format!("{issuer}/jwks"), &[], "").await;
    let kid1 = serde_json::from_str::<serde_json::Value>(&jwks1).unwrap()["keys"][0]["kid"]
        .as_str()
        .unwrap()
        .to_owned();
    drop(guard);

    let out = Command::new(BIN)
        .args(["rotate-keys", "--data-dir", &d])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains(&format!("retired {kid1}")), "{text}");
    assert!(text.contains("next"), "{text}");

    let (_guard, banner, issuer) = spawn(&["--data-dir", &d, "--port", "0"], &[]).await;
    assert!(!banner.contains("admin pw"), "printed once only: {banner}");
    let (_, _, jwks2) = http("GET", &format!("{issuer}/jwks"), &[], "").await;
    let keys = serde_json::from_str::<serde_json::Value>(&jwks2).unwrap()["keys"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(keys.len(), 2, "the retired key stays for the grace period");
    assert_ne!(keys[0]["kid"], kid1.as_str(), "newest first");
    assert_eq!(keys[1]["kid"], kid1.as_str());
    admin_login(&issuer, &pw).await;

    // Usage errors of the subcommand.
    let out = Command::new(BIN)
        .args(["rotate-keys", "--port", "1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The banner names the demo app, package and admin URLs and the asset directories given.
#[tokio::test]
async fn banner_lists_the_urls_and_serves_the_given_asset_dirs() {
    let dir = temp_dir("assets");
    std::fs::create_dir_all(dir.join("www")).unwrap();
    std::fs::create_dir_all(dir.join("pkg")).unwrap();
    std::fs::write(dir.join("www").join("index.html"), "<p>hello</p>").unwrap();
    let www = dir.join("www");
    let pkg = dir.join("pkg");
    let (_guard, banner, issuer) = spawn(
        &[
            "--in-memory",
            "--port",
            "0",
            "--www-dir",
            www.to_str().unwrap(),
            "--pkg-dir",
            pkg.to_str().unwrap(),
            "--admin-password",
            "pw",
        ],
        &[],
    )
    .await;
    assert!(banner.contains(&format!("{issuer}/www/")), "{banner}");
    assert!(banner.contains(&format!("{issuer}/pkg/")), "{banner}");
    assert!(banner.contains(www.to_str().unwrap()), "{banner}");
    let (status, headers, body) = http("GET", &format!("{issuer}/www/"), &[], "").await;
    assert_eq!(status, 200);
    assert_eq!(body, "<p>hello</p>");
    assert!(hdr(&headers, "content-security-policy").is_some());
    admin_login(&issuer, "pw").await;
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn https_flag_prints_the_certificate_path() {
    let dir = temp_dir("https");
    let d = dir.to_str().unwrap().to_owned();
    let (_guard, banner, issuer) = spawn(&["--data-dir", &d, "--port", "0", "--https"], &[]).await;
    assert!(issuer.starts_with("https://127.0.0.1:"), "{issuer}");
    let cert = dir.join(oidckit_server::tls::CERT_FILE);
    assert!(banner.contains(cert.to_str().unwrap()), "{banner}");
    assert!(
        std::fs::read_to_string(&cert)
            .unwrap()
            .starts_with("-----BEGIN CERTIFICATE-----")
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `kill -9` in the middle of a stream of token requests: every token the server acknowledged
/// (a 200 answer) is known after the restart (introspection says active), because SQLite commits
/// with `synchronous = FULL` before the answer is sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_during_token_requests_loses_nothing_acknowledged() {
    use base64::Engine as _;
    let dir = temp_dir("kill9-load");
    let d = dir.to_str().unwrap().to_owned();
    let (mut guard, _, issuer) = spawn(
        &["--data-dir", &d, "--port", "0", "--admin-password", "pw"],
        &[],
    )
    .await;
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD
            .encode("oidckit-demo-web:oidckit-demo-web-secret")
    );
    let form = "application/x-www-form-urlencoded";
    let acknowledged = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let (issuer, basic, acked) = (issuer.clone(), basic.clone(), acknowledged.clone());
        tasks.push(tokio::spawn(async move {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            loop {
                let authority = issuer.strip_prefix("http://").unwrap().to_owned();
                let Ok(mut s) = tokio::net::TcpStream::connect(&authority).await else {
                    return;
                };
                let body = "grant_type=client_credentials";
                let req = format!(
                    "POST /token HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\
                     Content-Type: {form}\r\nAuthorization: {basic}\r\n\
                     Content-Length: {}\r\n\r\n{body}",
                    body.len()
                );
                if s.write_all(req.as_bytes()).await.is_err() {
                    return;
                }
                let mut raw = Vec::new();
                if s.read_to_end(&mut raw).await.is_err() {
                    return;
                }
                let text = String::from_utf8_lossy(&raw);
                // Only a complete 200 answer is an acknowledgement.
                if let Some((head, body)) = text.split_once("\r\n\r\n")
                    && head.starts_with("HTTP/1.1 200")
                    && let Ok(v) = serde_json::from_str::<serde_json::Value>(body)
                    && let Some(t) = v["access_token"].as_str()
                {
                    acked.lock().unwrap().push(t.to_owned());
                } else if text.is_empty() {
                    return;
                }
            }
        }));
    }
    // Let requests flow, then SIGKILL while they are in flight.
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    guard.0.kill().unwrap();
    guard.0.wait().unwrap();
    for t in tasks {
        let _ = tokio::time::timeout(std::time::Duration::from_secs(30), t).await;
    }
    let tokens = acknowledged.lock().unwrap().clone();
    assert!(
        tokens.len() >= 3,
        "only {} tokens before the kill",
        tokens.len()
    );

    let port = issuer.rsplit(':').next().unwrap().to_owned();
    let (_guard, _, issuer2) = spawn(&["--data-dir", &d, "--port", &port], &[]).await;
    assert_eq!(issuer2, issuer);
    for token in &tokens {
        let (status, _, body) = http(
            "POST",
            &format!("{issuer}/introspect"),
            &[("Content-Type", form), ("Authorization", &basic)],
            &form_encode(&[("token", token)]),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let r: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(r["active"], true, "an acknowledged token was lost: {body}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
