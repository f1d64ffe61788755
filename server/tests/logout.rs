//! `oneshot` tests of RP-Initiated Logout (OpenID Connect RP-Initiated Logout 1.0) and the
//! back-channel Logout Tokens it sends (OpenID Connect Back-Channel Logout 1.0), with a real
//! socket for the client's back-channel endpoint.
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
use oidckit::oauth::http::{form_decode, form_urlencode};
use oidckit::{JwkSet, Object};
use oidckit_server::grant::AuthorizationData;
use oidckit_server::scenario::TokenKind;
use oidckit_server::{AppState, Config, Storage, Store, router};
use rand_core::UnwrapErr;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;

const ISSUER: &str = "http://127.0.0.1:8080";
const WEB: &str = "oidckit-demo-web";
const WEB_DONE: &str = "http://localhost:3000/";
const BC: &str = "test-backchannel";

fn state(backchannel_uri: Option<String>) -> Arc<AppState> {
    let mut config = Config::embedded_default().unwrap();
    config.server.id_token_signing_alg = "ES256".into();
    let mut bc = config
        .clients
        .iter()
        .find(|c| c.client_id == WEB)
        .unwrap()
        .clone();
    bc.client_id = BC.into();
    bc.backchannel_logout_uri = backchannel_uri;
    bc.backchannel_logout_session_required = true;
    config.clients.push(bc);
    let store = Store::open(&Storage::InMemory).unwrap();
    let mut rng = UnwrapErr(getrandom::SysRng);
    Arc::new(AppState::new(config, ISSUER.into(), store, 1_700_000_000, &mut rng).unwrap())
}

struct Res {
    status: StatusCode,
    headers: Vec<(String, String)>,
    body: String,
}

impl Res {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

async fn call(
    st: &Arc<AppState>,
    method: Method,
    uri: &str,
    body: Option<&str>,
    cookie: &str,
) -> Res {
    use tower::ServiceExt;
    let mut req = Request::builder().method(method).uri(uri);
    if !cookie.is_empty() {
        req = req.header("cookie", cookie);
    }
    if body.is_some() {
        req = req.header("content-type", "application/x-www-form-urlencoded");
    }
    let req = req
        .body(body.map_or_else(Body::empty, |b| Body::from(b.to_owned())))
        .unwrap();
    let res = router(st.clone()).oneshot(req).await.unwrap();
    let status = res.status();
    let headers = res
        .headers()
        .iter()
        .map(|(n, v)| (n.as_str().to_owned(), v.to_str().unwrap().to_owned()))
        .collect();
    let body =
        String::from_utf8(res.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap();
    Res {
        status,
        headers,
        body,
    }
}

fn now() -> i64 {
    oidckit_server::app::now()
}

fn end_session(pairs: &[(&str, &str)]) -> String {
    format!("/end-session?{}", form_urlencode(pairs))
}

/// A session for alice: (session id, Cookie header).
fn login(st: &AppState) -> (String, String) {
    let (s, cookie) = st.store.create_session("alice", now(), 86400).unwrap();
    (s.id, format!("oidckit_session={cookie}"))
}

/// An ID Token for `client` in session `sid`, issued at `at`.
fn id_token(st: &AppState, client: &str, sid: &str, at: i64) -> String {
    let client = st.store.client(client).unwrap().unwrap().config;
    let user = st.store.user("alice").unwrap().unwrap().config;
    let data = AuthorizationData {
        client_id: client.client_id.clone(),
        username: "alice".into(),
        scope: "openid".into(),
        auth_time: at,
        session_id: Some(sid.into()),
        ..Default::default()
    };
    oidckit_server::claims::mint_id_token(
        st,
        &client,
        &user,
        &data,
        None,
        None,
        TokenKind::IdToken,
        at,
    )
    .unwrap()
}

fn hidden_fields(html: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for piece in html.split("<input").skip(1) {
        let tag = &piece[..piece.find('>').unwrap()];
        if !tag.contains("type=\"hidden\"") {
            continue;
        }
        let attr = |name: &str| {
            let key = format!(" {name}=\"");
            let i = tag.find(&key).unwrap() + key.len();
            let j = tag[i..].find('"').unwrap() + i;
            tag[i..j].to_owned()
        };
        out.push((attr("name"), attr("value")));
    }
    out
}

fn cleared(r: &Res) -> bool {
    r.headers.iter().any(|(n, v)| {
        n == "set-cookie" && v.starts_with("oidckit_session=;") && v.contains("Max-Age=0")
    })
}

#[tokio::test]
async fn without_a_session_the_user_goes_back_with_state() {
    let st = state(None);
    let r = call(
        &st,
        Method::GET,
        &end_session(&[
            ("client_id", WEB),
            ("post_logout_redirect_uri", WEB_DONE),
            ("state", "s 1"),
        ]),
        None,
        "",
    )
    .await;
    assert_eq!(r.status, StatusCode::FOUND, "{}", r.body);
    assert_eq!(
        r.header("location"),
        Some("http://localhost:3000/?state=s+1")
    );
    // No redirect URI: the signed-out page.
    let r = call(&st, Method::GET, "/end-session", None, "").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("Signed out"));
}

#[tokio::test]
async fn post_logout_redirect_uri_must_be_registered_exactly() {
    let st = state(None);
    for bad in [
        "http://localhost:3000",
        "http://localhost:3000/x",
        "http://LOCALHOST:3000/",
        "http://localhost:3000/?a=b",
        "http://localhost:3001/",
        "http://evil.example/",
    ] {
        let r = call(
            &st,
            Method::GET,
            &end_session(&[("client_id", WEB), ("post_logout_redirect_uri", bad)]),
            None,
            "",
        )
        .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad}");
        assert!(r.header("location").is_none());
    }
    // Without a client to check it against.
    let r = call(
        &st,
        Method::GET,
        &end_session(&[("post_logout_redirect_uri", WEB_DONE)]),
        None,
        "",
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = call(
        &st,
        Method::GET,
        &end_session(&[("client_id", "nope")]),
        None,
        "",
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = call(&st, Method::GET, "/end-session?state=a&state=b", None, "").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn id_token_hints_are_verified() {
    let st = state(None);
    let (sid, _) = login(&st);
    let hint = id_token(&st, WEB, &sid, now());
    // Tampered signature.
    let mut bad = hint.clone();
    let last = bad.pop().unwrap();
    bad.push(if last == 'A' { 'B' } else { 'A' });
    let r = call(
        &st,
        Method::GET,
        &end_session(&[("id_token_hint", &bad)]),
        None,
        "",
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = call(
        &st,
        Method::GET,
        &end_session(&[("id_token_hint", "garbage")]),
        None,
        "",
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    // client_id must be an audience of the hint.
    let r = call(
        &st,
        Method::GET,
        &end_session(&[("id_token_hint", &hint), ("client_id", BC)]),
        None,
        "",
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    // The hint names the client for post_logout_redirect_uri.
    let r = call(
        &st,
        Method::GET,
        &end_session(&[
            ("id_token_hint", &hint),
            ("post_logout_redirect_uri", WEB_DONE),
        ]),
        None,
        "",
    )
    .await;
    assert_eq!(r.status, StatusCode::FOUND, "{}", r.body);
}

#[tokio::test]
async fn a_hint_for_the_current_session_logs_out_at_once_even_expired() {
    let st = state(None);
    let (sid, cookie) = login(&st);
    let hint = id_token(&st, WEB, &sid, now() - 7200); // expired an hour ago
    let r = call(
        &st,
        Method::GET,
        &end_session(&[
            ("id_token_hint", &hint),
            ("post_logout_redirect_uri", WEB_DONE),
            ("state", "bye"),
        ]),
        None,
        &cookie,
    )
    .await;
    assert_eq!(r.status, StatusCode::FOUND, "{}", r.body);
    assert_eq!(
        r.header("location"),
        Some("http://localhost:3000/?state=bye")
    );
    assert!(cleared(&r));
    assert_eq!(st.store.session(&sid, now()).unwrap(), None);
    // The cookie no longer signs in.
    let r = call(
        &st,
        Method::GET,
        &end_session(&[("client_id", WEB), ("post_logout_redirect_uri", WEB_DONE)]),
        None,
        &cookie,
    )
    .await;
    assert_eq!(r.status, StatusCode::FOUND);
    assert!(!cleared(&r));
}

#[tokio::test]
async fn otherwise_the_user_confirms() {
    let st = state(None);
    let (sid, cookie) = login(&st);
    let url = end_session(&[
        ("client_id", WEB),
        ("post_logout_redirect_uri", WEB_DONE),
        ("state", "c"),
    ]);
    let r = call(&st, Method::GET, &url, None, &cookie).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("Sign out?") && r.body.contains("oidckit demo web app"));
    assert!(r.body.contains("name=\"logout\" value=\"yes\""));
    let browser = r
        .headers
        .iter()
        .find(|(n, v)| n == "set-cookie" && v.starts_with("oidckit_interaction="))
        .map(|(_, v)| v.split(';').next().unwrap().to_owned())
        .unwrap();
    let jar = format!("{cookie}; {browser}");
    let fields = hidden_fields(&r.body);

    // "Stay signed in".
    let mut pairs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    pairs.push(("logout", "no"));
    let r = call(
        &st,
        Method::POST,
        "/end-session",
        Some(&form_urlencode(&pairs)),
        &jar,
    )
    .await;
    assert!(r.body.contains("Still signed in"));
    assert!(st.store.session(&sid, now()).unwrap().is_some());

    // Again, "Sign out" (without the browser cookie first: refused).
    let r = call(&st, Method::GET, &url, None, &jar).await;
    let fields = hidden_fields(&r.body);
    let mut pairs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    pairs.push(("logout", "yes"));
    let body = form_urlencode(&pairs);
    let r = call(&st, Method::POST, "/end-session", Some(&body), &cookie).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = call(&st, Method::POST, "/end-session", Some(&body), &jar).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.header("location"), Some("http://localhost:3000/?state=c"));
    assert!(cleared(&r));
    assert_eq!(st.store.session(&sid, now()).unwrap(), None);
}

/// A one-shot HTTP server that forwards each request body to the channel and answers 200.
async fn backchannel_receiver() -> (String, mpsc::UnboundedReceiver<String>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            let tx = tx.clone();
            tokio::spawn(async move {
                let mut raw = Vec::new();
                let mut buf = [0u8; 4096];
                loop {
                    let n = s.read(&mut buf).await.unwrap_or(0);
                    if n == 0 {
                        break;
                    }
                    raw.extend_from_slice(&buf[..n]);
                    let text = String::from_utf8_lossy(&raw).to_string();
                    if let Some(i) = text.find("\r\n\r\n") {
                        let len = text[..i]
                            .lines()
                            .find_map(|l| {
                                l.to_ascii_lowercase()
                                    .strip_prefix("content-length:")
                                    .map(|v| v.trim().parse::<usize>().unwrap())
                            })
                            .unwrap_or(0);
                        if raw.len() >= i + 4 + len {
                            let _ = tx.send(text[i + 4..i + 4 + len].to_owned());
                            break;
                        }
                    }
                }
                let _ = s
                    .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                    .await;
            });
        }
    });
    (format!("http://{addr}/backchannel"), rx)
}

#[tokio::test]
async fn logout_sends_logout_tokens_to_the_clients_of_the_session() {
    let (uri, mut rx) = backchannel_receiver().await;
    let st = state(Some(uri));
    let (sid, cookie) = login(&st);
    // Grants in this session: the back-channel client and the demo web client (no URI).
    st.store
        .create_grant(BC, Some("alice"), Some(&sid), "openid", now())
        .unwrap();
    let online = st
        .store
        .create_grant(WEB, Some("alice"), Some(&sid), "openid", now())
        .unwrap();
    let offline = st
        .store
        .create_grant(
            WEB,
            Some("alice"),
            Some(&sid),
            "openid offline_access",
            now(),
        )
        .unwrap();
    // A grant of the back-channel client in another session: not this logout's business.
    let (other_sid, _) = login(&st);
    st.store
        .create_grant(BC, Some("alice"), Some(&other_sid), "openid", now())
        .unwrap();

    let hint = id_token(&st, BC, &sid, now());
    let r = call(
        &st,
        Method::GET,
        &end_session(&[("id_token_hint", &hint)]),
        None,
        &cookie,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("Signed out"));

    let body = tokio::time::timeout(std::time::Duration::from_secs(10), rx.recv())
        .await
        .unwrap()
        .unwrap();
    let form = form_decode(&body).unwrap();
    assert_eq!(form.len(), 1);
    assert_eq!(form[0].0, "logout_token");
    let token = &form[0].1;
    let jwks = JwkSet::from_object(&st.keys.read().unwrap().jwks().unwrap()).unwrap();
    let v = oidckit::jwt::Validation {
        issuer: vec![ISSUER.into()],
        audience: vec![BC.into()],
        typ: Some("logout+jwt".into()),
        required_claims: vec!["iat".into(), "exp".into(), "jti".into()],
        ..oidckit::jwt::Validation::new(now())
    };
    let verified = oidckit::jwt::verify(token, &jwks, &v).unwrap();
    let c: Object = verified.claims;
    assert_eq!(c["sub"], "alice");
    assert_eq!(c["sid"], sid.as_str());
    assert_eq!(
        c["events"],
        serde_json::json!({"http://schemas.openid.net/event/backchannel-logout": {}})
    );
    assert!(!c.contains_key("nonce"));
    assert!(c["jti"].as_str().unwrap().len() >= 22);
    // The core's own Logout Token validation (what relying parties run) accepts it.
    let lv = oidckit::oidc::logout_token::LogoutTokenValidation {
        algorithms: vec![oidckit::Alg::Es256],
        ..oidckit::oidc::logout_token::LogoutTokenValidation::new(ISSUER, BC, now())
    };
    oidckit::oidc::logout_token::validate_logout_token(token, &jwks, &lv).unwrap();
    // Only one notification (the web client has no back-channel URI; the other session stays).
    assert!(
        tokio::time::timeout(std::time::Duration::from_millis(300), rx.recv())
            .await
            .is_err()
    );
    assert!(st.store.session(&other_sid, now()).unwrap().is_some());
    // The session's grants end with it, except offline_access ones.
    assert!(!st.store.grant_active(&online).unwrap());
    assert!(st.store.grant_active(&offline).unwrap());
}
