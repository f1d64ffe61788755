//! Real-socket tests: the server started in-process on 127.0.0.1, port 0, and the core's
//! discovery and JWKS processors run against what it serves.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::http_get;
use oidckit::jwk::ThumbprintHash;
use oidckit::oauth::discovery::{
    DiscoveryAlgorithm, DiscoveryOptions, discovery_request, process_discovery_response,
};
use oidckit::{Alg, JwkSet, KeyKind, Object, jwt};
use oidckit_server::{Config, Settings, Storage, start};
use rand_core::UnwrapErr;

fn settings(storage: Storage) -> Settings {
    Settings {
        config: Config::embedded_default().unwrap(),
        storage,
        port: 0,
    }
}

fn loopback() -> DiscoveryOptions {
    DiscoveryOptions {
        allow_insecure_loopback: true,
        ..DiscoveryOptions::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discovery_and_jwks_over_a_socket_pass_the_core() {
    let server = start(settings(Storage::InMemory)).await.unwrap();
    assert!(server.addr.ip().is_loopback());
    assert_ne!(server.addr.port(), 0);
    let issuer = server.issuer().to_owned();
    assert_eq!(issuer, format!("http://127.0.0.1:{}", server.addr.port()));

    // OpenID Connect Discovery 1.0 §4, validated by the core.
    let req = discovery_request(&issuer, &loopback()).unwrap();
    let resp = http_get(&req.url).await;
    assert_eq!(resp.header("access-control-allow-origin"), Some("*"));
    let meta = process_discovery_response(&issuer, &resp, &loopback()).unwrap();
    assert_eq!(meta.issuer(), issuer);
    assert_eq!(
        meta.id_token_signing_alg_values_supported(),
        Some(vec!["RS256"])
    );
    let jwks_uri = meta.jwks_uri().unwrap().to_owned();
    assert_eq!(jwks_uri, format!("{issuer}/jwks"));

    // Without the loopback opt-in the core refuses plain http.
    assert!(process_discovery_response(&issuer, &resp, &DiscoveryOptions::default()).is_err());
    // And a client expecting another issuer refuses the document (mix-up defence).
    assert!(process_discovery_response("http://127.0.0.1:1", &resp, &loopback()).is_err());

    // RFC 8414 §3: the same metadata at its own well-known location.
    let opts = DiscoveryOptions {
        algorithm: DiscoveryAlgorithm::Oauth2,
        allow_insecure_loopback: true,
    };
    let req = discovery_request(&issuer, &opts).unwrap();
    let resp8414 = http_get(&req.url).await;
    let meta8414 = process_discovery_response(&issuer, &resp8414, &opts).unwrap();
    assert_eq!(meta8414.raw(), meta.raw());

    // The JWKS (RFC 7517 §5): one public RS256 key named by its thumbprint.
    let resp = http_get(&jwks_uri).await;
    assert_eq!(resp.status, 200);
    assert_eq!(resp.header("content-type"), Some("application/json"));
    let text = std::str::from_utf8(&resp.body).unwrap();
    let set = JwkSet::from_json(text).unwrap();
    assert_eq!(set.keys().len(), 1);
    let key = &set.keys()[0];
    assert_eq!(key.kind(), KeyKind::Public);
    assert_eq!(key.meta.alg, Some(Alg::Rs256));
    assert_eq!(key.meta.use_.as_deref(), Some("sig"));
    assert!(key.bits() >= 2048);
    let kid = key.meta.kid.clone().unwrap();
    assert_eq!(key.thumbprint(ThumbprintHash::Sha256).unwrap(), kid);
    for member in ["d", "p", "q", "dp", "dq", "qi"] {
        assert!(
            !text.contains(&format!("\"{member}\"")),
            "{member} published"
        );
    }

    // A token the server's key signs verifies with the published set (by kid).
    let signing = server
        .state
        .keys
        .read()
        .unwrap()
        .active(Alg::Rs256)
        .unwrap()
        .clone();
    assert_eq!(signing.kid, kid);
    let header: Object =
        serde_json::from_value(serde_json::json!({"alg": "RS256", "kid": kid})).unwrap();
    let claims: Object =
        serde_json::from_value(serde_json::json!({"iss": issuer, "sub": "alice"})).unwrap();
    let token = jwt::sign(
        &header,
        &claims,
        &signing.key,
        &mut UnwrapErr(getrandom::SysRng),
    )
    .unwrap();
    let v = jwt::Validation {
        algorithms: vec![Alg::Rs256],
        issuer: vec![issuer.clone()],
        ..jwt::Validation::new(oidckit_server::app::now())
    };
    assert_eq!(
        jwt::verify(&token, &set, &v).unwrap().claims["sub"],
        "alice"
    );

    // Unknown paths are a JSON 404 over the wire too.
    let resp = http_get(&format!("{issuer}/nope")).await;
    assert_eq!(resp.status, 404);
    assert_eq!(resp.header("content-type"), Some("application/json"));

    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_on_the_same_data_dir_keeps_the_jwks() {
    let dir = std::env::temp_dir().join(format!("oidckit-server-restart-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut s = settings(Storage::DataDir(dir.clone()));
    s.config.server.id_token_signing_alg = "ES256".into();

    let first = start(s.clone()).await.unwrap();
    assert!(first.state.generated_key);
    let jwks1 = http_get(&format!("{}/jwks", first.issuer())).await.body;
    first.shutdown().await.unwrap();
    assert!(dir.join(oidckit_server::store::DB_FILE).is_file());

    let second = start(s).await.unwrap();
    assert!(!second.state.generated_key);
    let jwks2 = http_get(&format!("{}/jwks", second.issuer())).await.body;
    assert_eq!(jwks1, jwks2);
    let set = JwkSet::from_json(std::str::from_utf8(&jwks2).unwrap()).unwrap();
    assert_eq!(set.keys()[0].meta.alg, Some(Alg::Es256));
    second.shutdown().await.unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn a_configured_issuer_is_used_verbatim() {
    let mut s = settings(Storage::InMemory);
    s.config.server.issuer = Some("http://localhost:4444/tenant".into());
    s.config.server.id_token_signing_alg = "EdDSA".into();
    let server = start(s).await.unwrap();
    let port = server.addr.port();
    // Served locally under the issuer's path; the metadata names the configured issuer.
    let resp = http_get(&format!(
        "http://127.0.0.1:{port}/tenant/.well-known/openid-configuration"
    ))
    .await;
    let meta =
        process_discovery_response("http://localhost:4444/tenant", &resp, &loopback()).unwrap();
    assert_eq!(meta.jwks_uri(), Some("http://localhost:4444/tenant/jwks"));
    let resp = http_get(&format!("http://127.0.0.1:{port}/tenant/jwks")).await;
    let set = JwkSet::from_json(std::str::from_utf8(&resp.body).unwrap()).unwrap();
    assert_eq!(set.keys()[0].meta.alg, Some(Alg::EdDsa));
    server.shutdown().await.unwrap();
}

/// `--https`: a self-signed certificate for 127.0.0.1 that a client trusting it accepts; the
/// issuer is https; plain-http clients and untrusting TLS clients fail.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_with_a_generated_certificate() {
    use rustls::pki_types::pem::PemObject as _;
    use rustls::pki_types::{CertificateDer, ServerName};
    use std::sync::Arc;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let dir = std::env::temp_dir().join(format!("oidckit-server-https-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut s = settings(Storage::DataDir(dir.clone()));
    s.config.server.id_token_signing_alg = "ES256".into();
    let options = oidckit_server::ServeOptions {
        https: true,
        ..oidckit_server::ServeOptions::default()
    };
    let server = oidckit_server::start_with(s.clone(), options.clone())
        .await
        .unwrap();
    let port = server.addr.port();
    assert_eq!(server.issuer(), format!("https://127.0.0.1:{port}"));
    let cert_path = server.tls_cert.clone().unwrap();
    assert_eq!(cert_path, dir.join(oidckit_server::tls::CERT_FILE));
    let pem = std::fs::read(&cert_path).unwrap();
    let cert = CertificateDer::from_pem_slice(&pem).unwrap();

    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let client_config = |trust: bool| {
        let mut roots = rustls::RootCertStore::empty();
        if trust {
            roots.add(cert.clone()).unwrap();
        }
        Arc::new(
            rustls::ClientConfig::builder_with_provider(provider.clone())
                .with_safe_default_protocol_versions()
                .unwrap()
                .with_root_certificates(roots)
                .with_no_client_auth(),
        )
    };
    let fetch = |trust: bool, host: &'static str, path: String| {
        let config = client_config(trust);
        async move {
            let tcp = tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .unwrap();
            let connector = tokio_rustls::TlsConnector::from(config);
            let name = ServerName::try_from(host).unwrap();
            let mut tls = connector.connect(name, tcp).await?;
            tls.write_all(
                format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n")
                    .as_bytes(),
            )
            .await?;
            let mut out = Vec::new();
            let _ = tls.read_to_end(&mut out).await;
            Ok::<_, std::io::Error>(String::from_utf8_lossy(&out).into_owned())
        }
    };
    for host in ["127.0.0.1", "localhost"] {
        let resp = fetch(true, host, "/.well-known/openid-configuration".into())
            .await
            .unwrap();
        assert!(resp.starts_with("HTTP/1.1 200"), "{resp}");
        assert!(
            resp.contains(&format!("\"issuer\":\"https://127.0.0.1:{port}\"")),
            "{resp}"
        );
    }
    assert!(
        fetch(false, "127.0.0.1", "/jwks".into()).await.is_err(),
        "an untrusted self-signed certificate must fail"
    );
    // Plain http on the TLS port gets no HTTP answer.
    let plain = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        tokio::net::TcpStream::connect(("127.0.0.1", port)),
    )
    .await
    .unwrap()
    .unwrap();
    drop(plain);
    server.shutdown().await.unwrap();

    // A restart reuses the certificate the user may have trusted.
    let again = oidckit_server::start_with(s, options).await.unwrap();
    assert_eq!(std::fs::read(again.tls_cert.clone().unwrap()).unwrap(), pem);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let key = dir.join(oidckit_server::tls::KEY_FILE);
        let mode = std::fs::metadata(key).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    again.shutdown().await.unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}
