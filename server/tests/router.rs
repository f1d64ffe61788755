//! `oneshot` tests of the router (no socket): status codes, headers and bodies per endpoint and
//! per error path.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use http_body_util::BodyExt;
use oidckit::oauth::discovery::{DiscoveryOptions, ServerMetadata};
use oidckit::{Alg, JwkSet, Object};
use oidckit_server::{AppState, Config, Storage, Store, router};
use rand_core::UnwrapErr;

const ISSUER: &str = "http://127.0.0.1:8080";

fn state(issuer: &str, alg: &str) -> Arc<AppState> {
    let mut config = Config::embedded_default().unwrap();
    config.server.id_token_signing_alg = alg.into();
    let store = Store::open(&Storage::InMemory).unwrap();
    let mut rng = UnwrapErr(getrandom::SysRng);
    Arc::new(AppState::new(config, issuer.into(), store, 1_700_000_000, &mut rng).unwrap())
}

async fn call(
    state: &Arc<AppState>,
    method: Method,
    path: &str,
) -> (StatusCode, Vec<(String, String)>, Vec<u8>) {
    use tower::ServiceExt;
    let req = Request::builder()
        .method(method)
        .uri(path)
        .body(Body::empty())
        .unwrap();
    let res = router(state.clone()).oneshot(req).await.unwrap();
    let status = res.status();
    let headers = res
        .headers()
        .iter()
        .map(|(n, v)| (n.as_str().to_owned(), v.to_str().unwrap().to_owned()))
        .collect();
    let body = res.into_body().collect().await.unwrap().to_bytes().to_vec();
    (status, headers, body)
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

fn json(body: &[u8]) -> Object {
    serde_json::from_slice(body).unwrap()
}

#[tokio::test]
async fn discovery_at_both_well_known_locations() {
    let st = state(ISSUER, "ES256");
    let (s1, h1, b1) = call(&st, Method::GET, "/.well-known/openid-configuration").await;
    let (s2, _, b2) = call(&st, Method::GET, "/.well-known/oauth-authorization-server").await;
    assert_eq!((s1, s2), (StatusCode::OK, StatusCode::OK));
    assert_eq!(b1, b2);
    assert_eq!(header(&h1, "content-type"), Some("application/json"));
    assert_eq!(header(&h1, "cache-control"), Some("no-cache"));
    let doc = json(&b1);
    let opts = DiscoveryOptions {
        allow_insecure_loopback: true,
        ..DiscoveryOptions::default()
    };
    let meta = ServerMetadata::from_object(doc.clone(), ISSUER, &opts).unwrap();
    assert_eq!(meta.jwks_uri(), Some("http://127.0.0.1:8080/jwks"));
    assert_eq!(
        meta.id_token_signing_alg_values_supported(),
        Some(vec!["ES256"])
    );
    assert_eq!(
        doc["subject_types_supported"],
        serde_json::json!(["public"])
    );
    let scopes: Vec<&str> = doc["scopes_supported"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let configured: Vec<&str> = st.config.scopes.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(scopes, configured);
    // Every endpoint sits under the issuer.
    for name in [
        "authorization_endpoint",
        "token_endpoint",
        "userinfo_endpoint",
    ] {
        assert!(doc[name].as_str().unwrap().starts_with(ISSUER), "{name}");
    }
}

#[tokio::test]
async fn jwks_serves_the_public_signing_key() {
    let st = state(ISSUER, "ES256");
    let (status, headers, body) = call(&st, Method::GET, "/jwks").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(header(&headers, "content-type"), Some("application/json"));
    assert_eq!(header(&headers, "access-control-allow-origin"), Some("*"));
    let set = JwkSet::from_json(std::str::from_utf8(&body).unwrap()).unwrap();
    assert_eq!(set.keys().len(), 1);
    let active = st
        .keys
        .read()
        .unwrap()
        .active(Alg::Es256)
        .unwrap()
        .kid
        .clone();
    assert_eq!(set.keys()[0].meta.kid.as_deref(), Some(active.as_str()));
    let raw = json(&body);
    let jwk = raw["keys"][0].as_object().unwrap();
    assert_eq!(jwk["kty"], "EC");
    assert_eq!(jwk["crv"], "P-256");
    assert!(jwk.get("d").is_none());
}

#[tokio::test]
async fn issuer_with_a_path_prefixes_the_routes() {
    let st = state("http://127.0.0.1:8080/tenant/a", "EdDSA");
    for path in [
        "/tenant/a/.well-known/openid-configuration",
        "/.well-known/oauth-authorization-server/tenant/a",
        "/tenant/a/jwks",
    ] {
        let (status, _, _) = call(&st, Method::GET, path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
    }
    let (_, _, body) = call(
        &st,
        Method::GET,
        "/tenant/a/.well-known/openid-configuration",
    )
    .await;
    assert_eq!(
        json(&body)["jwks_uri"],
        "http://127.0.0.1:8080/tenant/a/jwks"
    );
    for path in ["/.well-known/openid-configuration", "/jwks"] {
        let (status, _, _) = call(&st, Method::GET, path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
    }
}

#[tokio::test]
async fn error_paths() {
    let st = state(ISSUER, "ES256");
    // Unknown path: JSON 404 in the RFC 6749 §5.2 shape, never cached.
    for path in ["/", "/nope", "/jwks/extra", "/.well-known/", "/%ff%fe"] {
        let (status, headers, body) = call(&st, Method::GET, path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(header(&headers, "content-type"), Some("application/json"));
        assert_eq!(header(&headers, "cache-control"), Some("no-store"));
        let err = json(&body);
        assert_eq!(err["error"], "not_found");
        assert!(err["error_description"].is_string());
    }
    // Wrong method on a known path: 405 with Allow, not 500.
    for path in ["/jwks", "/.well-known/openid-configuration"] {
        for method in [Method::POST, Method::PUT, Method::DELETE] {
            let (status, headers, _) = call(&st, method.clone(), path).await;
            assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
            assert!(header(&headers, "allow").unwrap().contains("GET"));
        }
    }
    // HEAD is answered like GET, without a body.
    let (status, _, body) = call(&st, Method::HEAD, "/jwks").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.is_empty());
    // A query string does not change the documents.
    let (status, _, body) = call(&st, Method::GET, "/jwks?x=%00&y").await;
    assert_eq!(status, StatusCode::OK);
    assert!(json(&body)["keys"].is_array());
}

fn asset_state(www: &std::path::Path, pkg: &std::path::Path) -> Arc<AppState> {
    let config = Config::embedded_default().unwrap();
    let store = Store::open(&Storage::InMemory).unwrap();
    let mut rng = UnwrapErr(getrandom::SysRng);
    let options = oidckit_server::ServeOptions {
        www_dir: Some(www.to_owned()),
        pkg_dir: Some(pkg.to_owned()),
        admin_password: Some(oidckit_server::config::Secret::new("x")),
        https: false,
    };
    Arc::new(
        AppState::with_options(
            config,
            ISSUER.into(),
            store,
            1_700_000_000,
            &mut rng,
            &options,
        )
        .unwrap(),
    )
}

#[tokio::test]
async fn static_files_from_www_and_pkg_without_traversal() {
    let root = std::env::temp_dir().join(format!("oidckit-assets-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let www = root.join("www");
    let pkg = root.join("pkg");
    std::fs::create_dir_all(www.join("sub")).unwrap();
    std::fs::create_dir_all(pkg.join("dist")).unwrap();
    std::fs::write(www.join("index.html"), "<h1>demo</h1>").unwrap();
    std::fs::write(www.join("app.js"), "export {};").unwrap();
    std::fs::write(www.join("sub").join("index.html"), "sub").unwrap();
    std::fs::write(www.join(".env"), "SECRET=1").unwrap();
    std::fs::write(root.join("outside.txt"), "outside").unwrap();
    std::fs::write(pkg.join("dist").join("oidckit_bg.wasm"), b"\0asm\x01\0\0\0").unwrap();
    std::fs::write(pkg.join("dist").join("browser.js"), "export {};").unwrap();
    std::fs::write(pkg.join("index.d.ts"), "export {};").unwrap();
    std::fs::write(pkg.join("package.json"), "{}").unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(root.join("outside.txt"), www.join("link.txt")).unwrap();
    let st = asset_state(&www, &pkg);

    let (status, headers, body) = call(&st, Method::GET, "/www/").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, b"<h1>demo</h1>");
    assert_eq!(
        header(&headers, "content-type"),
        Some("text/html; charset=utf-8")
    );
    assert_eq!(header(&headers, "cache-control"), Some("no-cache"));
    assert_eq!(header(&headers, "x-content-type-options"), Some("nosniff"));
    let csp = header(&headers, "content-security-policy").unwrap();
    assert_eq!(csp, oidckit_server::routes::assets::WWW_CSP);
    assert!(csp.contains("script-src 'self' 'wasm-unsafe-eval'"));
    assert!(csp.contains("frame-ancestors 'none'"));

    for (path, ctype) in [
        ("/www/index.html", "text/html; charset=utf-8"),
        ("/www/app.js", "text/javascript; charset=utf-8"),
        ("/www/sub/", "text/html; charset=utf-8"),
        ("/pkg/dist/oidckit_bg.wasm", "application/wasm"),
        ("/pkg/dist/browser.js", "text/javascript; charset=utf-8"),
        ("/pkg/index.d.ts", "text/plain; charset=utf-8"),
        ("/pkg/package.json", "application/json"),
    ] {
        let (status, headers, _) = call(&st, Method::GET, path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert_eq!(header(&headers, "content-type"), Some(ctype), "{path}");
        assert_eq!(header(&headers, "x-content-type-options"), Some("nosniff"));
        let is_pkg = path.starts_with("/pkg/");
        assert_eq!(
            header(&headers, "content-security-policy").is_some(),
            !is_pkg,
            "{path}"
        );
    }
    // Directory URLs without the slash redirect to it.
    for (path, to) in [
        ("/www", "/www/"),
        ("/pkg", "/pkg/"),
        ("/www/sub", "/www/sub/"),
    ] {
        let (status, headers, _) = call(&st, Method::GET, path).await;
        assert_eq!(status, StatusCode::PERMANENT_REDIRECT, "{path}");
        assert_eq!(header(&headers, "location"), Some(to), "{path}");
    }
    // Traversal, hidden files, symlinks out of the root, missing files: JSON 404s.
    for path in [
        "/www/../Cargo.toml",
        "/www/%2e%2e/outside.txt",
        "/www/sub/%2E%2E/%2e%2e/outside.txt",
        "/www/..%2foutside.txt",
        "/www/..%5coutside.txt",
        "/www/.env",
        "/www/link.txt",
        "/www/nope.js",
        "/www/app.js/x",
        "/www//etc/passwd",
        "/www/%00",
        "/pkg/",
        "/pkg/../www/index.html",
        "/pkg/dist/%2e%2e/%2e%2e/www/.env",
    ] {
        let (status, headers, body) = call(&st, Method::GET, path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(header(&headers, "content-type"), Some("application/json"));
        assert!(
            !String::from_utf8_lossy(&body).contains("outside"),
            "{path}"
        );
        assert!(!String::from_utf8_lossy(&body).contains("SECRET"), "{path}");
    }
    // HEAD works; other methods are 405.
    let (status, _, body) = call(&st, Method::HEAD, "/www/app.js").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.is_empty());
    let (status, _, _) = call(&st, Method::POST, "/www/app.js").await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);

    // Under an issuer path: served below it (a `/www/` inside the path is not the tree).
    let config = Config::embedded_default().unwrap();
    let store = Store::open(&Storage::InMemory).unwrap();
    let options = oidckit_server::ServeOptions {
        www_dir: Some(www.clone()),
        pkg_dir: Some(pkg.clone()),
        ..oidckit_server::ServeOptions::default()
    };
    let tenant = Arc::new(
        AppState::with_options(
            config,
            "http://127.0.0.1:8080/www/t".into(),
            store,
            1,
            &mut UnwrapErr(getrandom::SysRng),
            &options,
        )
        .unwrap(),
    );
    let (status, _, body) = call(&tenant, Method::GET, "/www/t/www/app.js").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, b"export {};");
    let (status, _, _) = call(&tenant, Method::GET, "/www/app.js").await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // A missing directory is a 404 too (www/ is built by its own issue).
    let st = asset_state(&root.join("missing"), &root.join("missing2"));
    let (status, _, _) = call(&st, Method::GET, "/www/").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    std::fs::remove_dir_all(&root).unwrap();
}

/// A `MakeWriter` collecting log output for the request-log test.
#[derive(Clone, Default)]
struct Captured(Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// One log line per request with the client (query, form body, Basic) and the outcome (the
/// `error` code of a JSON error); never the query string or secrets.
#[tokio::test]
async fn request_log_names_the_client_and_the_outcome() {
    // A global subscriber (scoped ones race with the callsite interest cache when other tests
    // log on other threads); lines of this test are told apart by their unique path.
    static CAPTURED: std::sync::OnceLock<Captured> = std::sync::OnceLock::new();
    let captured = CAPTURED
        .get_or_init(|| {
            use tracing_subscriber::prelude::*;
            let captured = Captured::default();
            let sink = captured.clone();
            let _ = tracing::subscriber::set_global_default(
                tracing_subscriber::registry().with(
                    tracing_subscriber::fmt::layer()
                        .with_ansi(false)
                        .with_writer(move || sink.clone()),
                ),
            );
            captured
        })
        .clone();
    let st = state(ISSUER, "ES256");
    use tower::ServiceExt;
    // Query client_id.
    let req = Request::builder()
        .uri("/log-test?client_id=from-query&code=SECRET-CODE")
        .body(Body::empty())
        .unwrap();
    router(st.clone()).oneshot(req).await.unwrap();
    // Form body client_id (the body still reaches the handler).
    let req = Request::builder()
        .method(Method::POST)
        .uri("/log-test")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(
            "grant_type=x&client_id=from%20form&client_secret=SECRET-PW",
        ))
        .unwrap();
    let res = router(st.clone()).oneshot(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let body = res.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(
        json(&body)["error"],
        "not_found",
        "the body survives the log"
    );
    // HTTP Basic client (RFC 6749 §2.3.1 form-encoding).
    let req = Request::builder()
        .method(Method::POST)
        .uri("/log-test")
        .header("authorization", "Basic YmFzaWMlM0FpZDpTRUNSRVQtUFc=")
        .body(Body::empty())
        .unwrap();
    router(st.clone()).oneshot(req).await.unwrap();
    call(&st, Method::GET, "/jwks?log-test").await;
    // A client assertion (RFC 7523 §3) names the client by its `sub`.
    let req = Request::builder()
        .method(Method::POST)
        .uri("/log-test")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(
            "grant_type=client_credentials&client_assertion=eyJhbGciOiJub25lIn0.eyJzdWIiOiJqd3QtY2xpZW50In0.",
        ))
        .unwrap();
    router(st.clone()).oneshot(req).await.unwrap();

    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let lines: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("request") && l.contains("/log-test"))
        .collect();
    assert_eq!(lines.len(), 4, "{log}");
    assert!(lines[0].contains("client=\"from-query\""), "{}", lines[0]);
    assert!(lines[0].contains("outcome=\"not_found\""), "{}", lines[0]);
    assert!(lines[0].contains("status=404"), "{}", lines[0]);
    assert!(lines[1].contains("client=\"from form\""), "{}", lines[1]);
    assert!(lines[2].contains("client=\"basic:id\""), "{}", lines[2]);
    assert!(lines[3].contains("client=\"jwt-client\""), "{}", lines[3]);
    assert!(
        log.lines().any(|l| l.contains("path=\"/jwks\"")
            && l.contains("client=\"-\"")
            && l.contains("outcome=\"ok\"")),
        "{log}"
    );
    assert!(!log.contains("SECRET"), "{log}");
}

/// `[paths]`: moved endpoints are advertised and served at their configured paths; their
/// default paths answer the JSON 404; unmoved ones stay.
#[tokio::test]
async fn configured_paths_move_endpoints() {
    use tower::ServiceExt;
    let mut config = Config::embedded_default().unwrap();
    config.paths.token = "/oauth2/token".into();
    config.paths.jwks = "/oauth2/keys".into();
    config.paths.admin = "/console".into();
    config.validate().unwrap();
    let store = Store::open(&Storage::InMemory).unwrap();
    let mut rng = UnwrapErr(getrandom::SysRng);
    let options = oidckit_server::ServeOptions {
        admin_password: Some(oidckit_server::config::Secret::new("pw")),
        ..oidckit_server::ServeOptions::default()
    };
    let st = Arc::new(
        AppState::with_options(
            config,
            ISSUER.into(),
            store,
            1_700_000_000,
            &mut rng,
            &options,
        )
        .unwrap(),
    );
    let (_, _, body) = call(&st, Method::GET, "/.well-known/openid-configuration").await;
    let doc = json(&body);
    assert_eq!(doc["token_endpoint"], "http://127.0.0.1:8080/oauth2/token");
    assert_eq!(doc["jwks_uri"], "http://127.0.0.1:8080/oauth2/keys");
    assert_eq!(doc["userinfo_endpoint"], "http://127.0.0.1:8080/userinfo");
    assert_eq!(
        st.endpoint_url(oidckit_server::routes::discovery::paths::TOKEN),
        "http://127.0.0.1:8080/oauth2/token"
    );

    let token = |path: &str| {
        Request::builder()
            .method(Method::POST)
            .uri(path)
            .header("content-type", "application/x-www-form-urlencoded")
            .header(
                "authorization",
                "Basic b2lkY2tpdC1kZW1vLXdlYjpvaWRja2l0LWRlbW8td2ViLXNlY3JldA==",
            )
            .body(Body::from("grant_type=client_credentials"))
            .unwrap()
    };
    let res = router(st.clone())
        .oneshot(token("/oauth2/token"))
        .await
        .unwrap();
    let status = res.status();
    let body = res.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    assert!(json(&body)["access_token"].is_string());
    let res = router(st.clone()).oneshot(token("/token")).await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);

    let (status, _, body) = call(&st, Method::GET, "/oauth2/keys?x=1").await;
    assert_eq!(status, StatusCode::OK);
    assert!(json(&body)["keys"].is_array());
    for moved in ["/jwks", "/admin", "/admin/clients"] {
        let (status, headers, body) = call(&st, Method::GET, moved).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{moved}");
        assert_eq!(header(&headers, "content-type"), Some("application/json"));
        assert_eq!(json(&body)["error"], "not_found");
    }
    // The admin page at its new path, its forms and cookie there too.
    let (status, _, body) = call(&st, Method::GET, "/console").await;
    assert_eq!(status, StatusCode::OK);
    let page = String::from_utf8(body).unwrap();
    assert!(page.contains("action=\"/console/login\""), "{page}");
    let req = Request::builder()
        .method(Method::POST)
        .uri("/console/login")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from("password=pw"))
        .unwrap();
    let res = router(st.clone()).oneshot(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let cookie = res.headers()["set-cookie"].to_str().unwrap();
    assert!(cookie.contains("Path=/console;"), "{cookie}");
    // Unmoved endpoints are unchanged.
    let (status, _, _) = call(&st, Method::GET, "/.well-known/oauth-authorization-server").await;
    assert_eq!(status, StatusCode::OK);
}
