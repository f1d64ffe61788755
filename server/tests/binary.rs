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
