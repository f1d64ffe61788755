//! `[paths]` moves endpoints: the URLs the server compares and prints follow the configured
//! paths — a client assertion's `aud` (RFC 7523 §3) may name the advertised token endpoint, the
//! login form posts to the moved login page, and access tokens name the moved API.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Method, Request, StatusCode};
use http_body_util::BodyExt;
use oidckit::{Alg, Key, Object};
use oidckit_server::{AppState, Config, Storage, Store, router};
use rand_core::UnwrapErr;
use serde_json::json;
use tower::ServiceExt;

const ISSUER: &str = "http://127.0.0.1:8080";

fn state() -> Arc<AppState> {
    let mut config = Config::embedded_default().unwrap();
    config.paths.token = "/oauth2/token".into();
    config.paths.login = "/signin".into();
    config.paths.api = "/v1/api".into();
    config.validate().unwrap();
    let store = Store::open(&Storage::InMemory).unwrap();
    let mut rng = UnwrapErr(getrandom::SysRng);
    let now = oidckit_server::app::now();
    Arc::new(AppState::new(config, ISSUER.into(), store, now, &mut rng).unwrap())
}

async fn send(st: &Arc<AppState>, mut req: Request<Body>) -> (StatusCode, String) {
    req.extensions_mut().insert(ConnectInfo(
        "127.0.0.1:40000".parse::<SocketAddr>().unwrap(),
    ));
    let res = router(st.clone()).oneshot(req).await.unwrap();
    let status = res.status();
    let body = res.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned())
}

fn assertion(aud: &str) -> String {
    let pem = include_str!("../demo/backend-client.key.pem");
    let key = Key::from_pem(pem, Some(Alg::Rs256)).unwrap();
    let now = oidckit_server::app::now();
    let claims: Object = serde_json::from_value(json!({
        "iss": "oidckit-demo-backend", "sub": "oidckit-demo-backend", "aud": aud,
        "iat": now, "exp": now + 60, "jti": oidckit_server::tokens::random_handle(),
    }))
    .unwrap();
    let header: Object = serde_json::from_value(json!({"alg": "RS256"})).unwrap();
    oidckit::jwt::sign(&header, &claims, &key, &mut UnwrapErr(getrandom::SysRng)).unwrap()
}

fn token_request(path: &str, aud: &str) -> Request<Body> {
    let body = format!(
        "grant_type=client_credentials&client_assertion_type={}&client_assertion={}",
        "urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer",
        assertion(aud)
    );
    Request::builder()
        .method(Method::POST)
        .uri(path)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(body))
        .unwrap()
}

#[tokio::test]
async fn a_client_assertion_may_name_the_moved_token_endpoint() {
    let st = state();
    let (status, body) = send(
        &st,
        token_request("/oauth2/token", "http://127.0.0.1:8080/oauth2/token"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let at = serde_json::from_str::<Object>(&body).unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let claims = oidckit::jwt::decode(&at).unwrap();
    assert_eq!(claims["aud"], "http://127.0.0.1:8080/v1/api");
    // The old default URL is not this server's token endpoint any more.
    let (status, body) = send(
        &st,
        token_request("/oauth2/token", "http://127.0.0.1:8080/token"),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert!(body.contains("invalid_client"), "{body}");
}

#[tokio::test]
async fn the_login_form_posts_to_the_moved_login_page() {
    let st = state();
    let uri = "/authorize?client_id=oidckit-demo-spa&response_type=code&scope=openid\
               &redirect_uri=http%3A%2F%2F127.0.0.1%3A8080%2Fwww%2Fcallback.html&state=s\
               &code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM\
               &code_challenge_method=S256";
    let req = Request::builder().uri(uri).body(Body::empty()).unwrap();
    let (status, body) = send(&st, req).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("action=\"/signin\""), "{body}");
}
