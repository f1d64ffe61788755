//! `oneshot` tests of the endpoints that consume tokens: UserInfo (OpenID Connect Core 1.0
//! §5.3), introspection (RFC 7662), revocation (RFC 7009), dynamic registration (RFC 7591) and
//! the protected demo API (RFC 6750, RFC 9449 §7).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::sync::Arc;

use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::BodyExt;
use oidckit::jwk::GenerateOptions;
use oidckit::oauth::client_auth::basic_authorization;
use oidckit::oauth::dpop::{DpopProofRequest, create_proof};
use oidckit::oauth::http::form_urlencode;
use oidckit::oauth::pkce::code_challenge_s256;
use oidckit::{Alg, JwkSet, Key};
use oidckit_server::config::{ClientConfig, Config};
use oidckit_server::grant::AuthorizationData;
use oidckit_server::{AppState, Storage, Store, router};
use rand_core::UnwrapErr;
use serde_json::{Value, json};

const ISSUER: &str = "http://127.0.0.1:8080";
const SPA: &str = "oidckit-demo-spa";
const SPA_CB: &str = "http://127.0.0.1:8080/www/callback.html";
const WEB: &str = "oidckit-demo-web";
const WEB_SECRET: &str = "oidckit-demo-web-secret";
const WEB_CB: &str = "http://localhost:3000/callback";
const RS: &str = "resource-server";
const RS_SECRET: &str = "resource-server-secret";
const SIGNED: &str = "signed-userinfo";
const VERIFIER: &str = "dBjjuRSR9oREoaNWUjH8fHKbhQz2t4Ts4-2rJzaZ8bT5Ss3Bg0WmOxmWFYqXn44";

fn rng() -> UnwrapErr<getrandom::SysRng> {
    UnwrapErr(getrandom::SysRng)
}

fn now() -> i64 {
    oidckit_server::app::now()
}

fn client(v: Value) -> ClientConfig {
    serde_json::from_value(v).unwrap()
}

fn setup_with(edit: impl FnOnce(&mut Config)) -> Arc<AppState> {
    let mut config = Config::embedded_default().unwrap();
    config.server.id_token_signing_alg = "ES256".into();
    config.clients.extend([
        client(json!({
            "client_id": RS, "client_secret": RS_SECRET, "client_name": "rs",
            "type": "resource_server", "token_endpoint_auth_method": "client_secret_basic"
        })),
        client(json!({
            "client_id": SIGNED, "client_secret": WEB_SECRET, "client_name": "signed",
            "type": "confidential", "grant_types": ["authorization_code"],
            "redirect_uris": [WEB_CB], "response_types": ["code"],
            "token_endpoint_auth_method": "client_secret_basic",
            "userinfo_signed_response_alg": "ES256"
        })),
    ]);
    edit(&mut config);
    let store = Store::open(&Storage::InMemory).unwrap();
    Arc::new(AppState::new(config, ISSUER.into(), store, now(), &mut rng()).unwrap())
}

fn setup() -> Arc<AppState> {
    setup_with(|_| {})
}

struct Res {
    status: StatusCode,
    headers: HeaderMap,
    text: String,
}

impl Res {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or(Value::Null)
    }
    fn challenge(&self) -> &str {
        self.headers
            .get("www-authenticate")
            .map(|v| v.to_str().unwrap())
            .unwrap_or("")
    }
}

async fn send(st: &Arc<AppState>, req: Request<Body>) -> Res {
    use tower::ServiceExt;
    let res = router(st.clone()).oneshot(req).await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    Res {
        status,
        headers,
        text: String::from_utf8(bytes.to_vec()).unwrap(),
    }
}

async fn post_form(
    st: &Arc<AppState>,
    path: &str,
    params: &[(&str, &str)],
    headers: &[(&str, &str)],
) -> Res {
    let mut b = Request::builder()
        .method(Method::POST)
        .uri(path)
        .header("content-type", "application/x-www-form-urlencoded");
    for (n, v) in headers {
        b = b.header(*n, *v);
    }
    send(st, b.body(Body::from(form_urlencode(params))).unwrap()).await
}

async fn get(st: &Arc<AppState>, path: &str, headers: &[(&str, &str)]) -> Res {
    let mut b = Request::builder().uri(path);
    for (n, v) in headers {
        b = b.header(*n, *v);
    }
    send(st, b.body(Body::empty()).unwrap()).await
}

/// Access (and refresh) tokens for alice through the authorization code grant.
async fn user_tokens(st: &Arc<AppState>, client_id: &str, scope: &str) -> Value {
    let (cb, challenge) = if client_id == SPA {
        (SPA_CB, Some(code_challenge_s256(VERIFIER).unwrap()))
    } else {
        (WEB_CB, None)
    };
    let grant = st
        .store
        .create_grant(client_id, Some("alice"), None, scope, now())
        .unwrap();
    let data = AuthorizationData {
        client_id: client_id.into(),
        username: "alice".into(),
        redirect_uri: cb.into(),
        scope: scope.into(),
        code_challenge: challenge.clone(),
        auth_time: now(),
        claims: Some(serde_json::from_value(json!({"userinfo": {"locale": null}})).unwrap()),
        ..AuthorizationData::default()
    };
    let code = oidckit_server::tokens::random_handle();
    st.store
        .insert_code(&code, &grant, &data, now() + 60)
        .unwrap();
    let mut params = vec![
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", cb),
    ];
    let auth;
    let mut headers = vec![];
    if client_id == SPA {
        params.push(("client_id", SPA));
        params.push(("code_verifier", VERIFIER));
    } else {
        auth = basic_authorization(client_id, WEB_SECRET);
        headers.push(("authorization", auth.as_str()));
    }
    let r = post_form(st, "/token", &params, &headers).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.json()
}

async fn cc_token(st: &Arc<AppState>) -> String {
    let auth = basic_authorization(WEB, WEB_SECRET);
    let r = post_form(
        st,
        "/token",
        &[("grant_type", "client_credentials")],
        &[("authorization", &auth)],
    )
    .await;
    r.json()["access_token"].as_str().unwrap().to_owned()
}

fn bearer(at: &str) -> String {
    format!("Bearer {at}")
}

// ---- UserInfo --------------------------------------------------------------------------------

#[tokio::test]
async fn userinfo_get_and_post() {
    let st = setup();
    let t = user_tokens(&st, SPA, "openid email offline_access").await;
    let at = t["access_token"].as_str().unwrap();
    let r = get(&st, "/userinfo", &[("authorization", &bearer(at))]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.headers["content-type"], "application/json");
    assert_eq!(
        r.json(),
        json!({"sub": "alice", "email": "alice@example.com", "email_verified": true, "locale": "en-GB"})
    );
    // Form body (RFC 6750 §2.2).
    let r = post_form(&st, "/userinfo", &[("access_token", at)], &[]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json()["sub"], "alice");
    // POST with the header.
    let req = Request::builder()
        .method(Method::POST)
        .uri("/userinfo")
        .header("authorization", bearer(at))
        .body(Body::empty())
        .unwrap();
    assert_eq!(send(&st, req).await.status, StatusCode::OK);
}

#[tokio::test]
async fn userinfo_errors_are_rfc6750_challenges() {
    let st = setup();
    // No token: 401, a challenge without an error code (RFC 6750 §3.1).
    let r = get(&st, "/userinfo", &[]).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.challenge(), format!("Bearer realm=\"{ISSUER}\""));
    // An unknown token.
    let r = get(&st, "/userinfo", &[("authorization", "Bearer nope")]).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(
        r.challenge().contains("error=\"invalid_token\""),
        "{}",
        r.challenge()
    );
    // The query is refused (OpenID Connect Core 1.0 §5.3.1 / RFC 6750 §2.3).
    let t = user_tokens(&st, SPA, "openid").await;
    let at = t["access_token"].as_str().unwrap();
    let r = get(&st, &format!("/userinfo?access_token={at}"), &[]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.challenge().contains("invalid_request"));
    // Header and body at once.
    let r = post_form(
        &st,
        "/userinfo",
        &[("access_token", at)],
        &[("authorization", &bearer(at))],
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    // A client credentials token has no openid scope and no user.
    let cc = cc_token(&st).await;
    let r = get(&st, "/userinfo", &[("authorization", &bearer(&cc))]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.challenge().contains("insufficient_scope"));
    // A revoked grant.
    st.store.revoke_user_grants("alice", now()).unwrap();
    let r = get(&st, "/userinfo", &[("authorization", &bearer(at))]).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn signed_userinfo() {
    let st = setup();
    let t = user_tokens(&st, SIGNED, "openid profile").await;
    let at = t["access_token"].as_str().unwrap();
    let r = get(&st, "/userinfo", &[("authorization", &bearer(at))]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.headers["content-type"], "application/jwt");
    let keys = JwkSet::from_object(&st.keys.read().unwrap().jwks().unwrap()).unwrap();
    let v = oidckit::jwt::Validation {
        algorithms: vec![Alg::Es256],
        issuer: vec![ISSUER.into()],
        audience: vec![SIGNED.into()],
        ..oidckit::jwt::Validation::new(now())
    };
    let jwt = oidckit::jwt::verify(&r.text, &keys, &v).unwrap();
    assert_eq!(jwt.claims["sub"], "alice");
    assert_eq!(jwt.claims["name"], "Alice Liddell");
}

// ---- introspection ---------------------------------------------------------------------------

#[tokio::test]
async fn introspection_active_inactive_and_visibility() {
    let st = setup();
    let rs = basic_authorization(RS, RS_SECRET);
    let web = basic_authorization(WEB, WEB_SECRET);
    let t = user_tokens(&st, SPA, "openid profile offline_access").await;
    let at = t["access_token"].as_str().unwrap();
    let rt = t["refresh_token"].as_str().unwrap();
    let r = post_form(
        &st,
        "/introspect",
        &[("token", at)],
        &[("authorization", &rs)],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.headers["cache-control"], "no-store");
    let j = r.json();
    assert_eq!(j["active"], true);
    assert_eq!(j["sub"], "alice");
    assert_eq!(j["client_id"], SPA);
    assert_eq!(j["scope"], "openid profile offline_access");
    assert_eq!(j["token_type"], "Bearer");
    assert_eq!(j["iss"], ISSUER);
    assert!(j["exp"].is_i64());
    // Private bookkeeping never shows.
    assert!(
        j.as_object().unwrap().keys().all(|k| !k.starts_with('_')),
        "{j}"
    );
    // A refresh token (with and without the hint).
    for hint in [None, Some("refresh_token")] {
        let mut p = vec![("token", rt)];
        if let Some(h) = hint {
            p.push(("token_type_hint", h));
        }
        let r = post_form(&st, "/introspect", &p, &[("authorization", &rs)]).await;
        assert_eq!(r.json()["active"], true);
        assert_eq!(r.json()["token_type"], "refresh_token");
    }
    // The web client may not see the SPA's token; it sees its own.
    let r = post_form(
        &st,
        "/introspect",
        &[("token", at)],
        &[("authorization", &web)],
    )
    .await;
    assert_eq!(r.json(), json!({"active": false}));
    let own = cc_token(&st).await;
    let r = post_form(
        &st,
        "/introspect",
        &[("token", &own)],
        &[("authorization", &web)],
    )
    .await;
    assert_eq!(r.json()["active"], true);
    // Unknown token.
    let r = post_form(
        &st,
        "/introspect",
        &[("token", "nope")],
        &[("authorization", &rs)],
    )
    .await;
    assert_eq!(r.json(), json!({"active": false}));
    // No authentication / public client / missing token.
    let r = post_form(&st, "/introspect", &[("token", at)], &[]).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = post_form(
        &st,
        "/introspect",
        &[("token", at), ("client_id", SPA)],
        &[],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = post_form(&st, "/introspect", &[], &[("authorization", &rs)]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.json()["error"], "invalid_request");
}

// ---- revocation ------------------------------------------------------------------------------

#[tokio::test]
async fn revocation_of_access_and_refresh_tokens() {
    let st = setup();
    let rs = basic_authorization(RS, RS_SECRET);
    let introspect = |tok: String| {
        let st = st.clone();
        let rs = rs.clone();
        async move {
            post_form(
                &st,
                "/introspect",
                &[("token", &tok)],
                &[("authorization", &rs)],
            )
            .await
            .json()["active"]
                .as_bool()
                .unwrap()
        }
    };
    // An access token: only that token goes.
    let t = user_tokens(&st, SPA, "openid offline_access").await;
    let at = t["access_token"].as_str().unwrap().to_owned();
    let rt = t["refresh_token"].as_str().unwrap().to_owned();
    let r = post_form(&st, "/revoke", &[("token", &at), ("client_id", SPA)], &[]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(!introspect(at.clone()).await);
    assert!(introspect(rt.clone()).await);
    // A refresh token: its whole grant goes.
    let t2 = post_form(
        &st,
        "/token",
        &[
            ("grant_type", "refresh_token"),
            ("client_id", SPA),
            ("refresh_token", &rt),
        ],
        &[],
    )
    .await
    .json();
    let at2 = t2["access_token"].as_str().unwrap().to_owned();
    let rt2 = t2["refresh_token"].as_str().unwrap().to_owned();
    let r = post_form(
        &st,
        "/revoke",
        &[
            ("token", &rt2),
            ("token_type_hint", "refresh_token"),
            ("client_id", SPA),
        ],
        &[],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(!introspect(rt2).await);
    assert!(!introspect(at2).await);
    // Unknown tokens are fine (RFC 7009 §2.2); another client's token is left alone.
    let r = post_form(
        &st,
        "/revoke",
        &[("token", "nope"), ("client_id", SPA)],
        &[],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    let web_at = cc_token(&st).await;
    let r = post_form(
        &st,
        "/revoke",
        &[("token", &web_at), ("client_id", SPA)],
        &[],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(introspect(web_at).await);
    // Errors.
    let r = post_form(&st, "/revoke", &[("client_id", SPA)], &[]).await;
    assert_eq!(r.json()["error"], "invalid_request");
    let r = post_form(&st, "/revoke", &[("token", "x")], &[]).await;
    assert_eq!(r.json()["error"], "invalid_client");
    let r = get(&st, "/revoke", &[]).await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
}

// ---- registration ----------------------------------------------------------------------------

async fn register(st: &Arc<AppState>, body: Value) -> Res {
    let req = Request::builder()
        .method(Method::POST)
        .uri("/register")
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .unwrap();
    send(st, req).await
}

#[tokio::test]
async fn registration_creates_a_usable_client() {
    let st = setup_with(|c| c.lifetimes.client_secret_expiry = 3600);
    let r = register(
        &st,
        json!({
            "redirect_uris": ["http://localhost:4000/cb"],
            "client_name": "Registered app",
            "grant_types": ["authorization_code", "client_credentials"],
            "scope": "openid profile",
            "unknown_member": 1
        }),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.headers["cache-control"], "no-store");
    let j = r.json();
    let id = j["client_id"].as_str().unwrap();
    let secret = j["client_secret"].as_str().unwrap();
    assert_eq!(j["token_endpoint_auth_method"], "client_secret_basic");
    assert_eq!(j["response_types"], json!(["code"]));
    assert_eq!(j["client_name"], "Registered app");
    assert!(j.get("unknown_member").is_none());
    assert!(j.get("type").is_none());
    let expires = j["client_secret_expires_at"].as_i64().unwrap();
    assert!((expires - now() - 3600).abs() < 5);
    assert_eq!(st.store.client(id).unwrap().unwrap().source, "registered");
    // The new client can use its secret at once.
    let auth = basic_authorization(id, secret);
    let r = post_form(
        &st,
        "/token",
        &[("grant_type", "client_credentials")],
        &[("authorization", &auth)],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    // RFC 7592 §2.1 read with the registration access token.
    let uri = j["registration_client_uri"].as_str().unwrap();
    assert_eq!(uri, format!("{ISSUER}/register/{id}"));
    let rat = j["registration_access_token"].as_str().unwrap();
    let r = get(
        &st,
        &format!("/register/{id}"),
        &[("authorization", &bearer(rat))],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json()["client_name"], "Registered app");
    let r = get(
        &st,
        &format!("/register/{id}"),
        &[("authorization", "Bearer wrong")],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    // Once the secret has expired (RFC 7591 §3.2.1), the client cannot authenticate.
    oidckit_server::registration::set_secret_expires_at(&st.store, id, now() - 1).unwrap();
    let r = post_form(
        &st,
        "/token",
        &[("grant_type", "client_credentials")],
        &[("authorization", &auth)],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.json()["error"], "invalid_client");
}

#[tokio::test]
async fn a_registered_private_key_jwt_client_authenticates_with_its_jwks() {
    use oidckit::oauth::client_auth::{
        CLIENT_ASSERTION_TYPE_JWT_BEARER, ClientAssertion, create_client_assertion,
    };
    let st = setup();
    let mut key = Key::generate(Alg::Es256, &mut rng(), GenerateOptions::default()).unwrap();
    key.meta.kid = Some("reg-1".into());
    let jwk = Value::Object(key.to_public_jwk().unwrap());
    let r = register(
        &st,
        json!({
            "token_endpoint_auth_method": "private_key_jwt",
            "token_endpoint_auth_signing_alg": "ES256",
            "grant_types": ["client_credentials"],
            "response_types": [],
            "jwks": {"keys": [jwk]}
        }),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let j = r.json();
    assert!(j.get("client_secret").is_none());
    assert!(j.get("client_secret_expires_at").is_none());
    let id = j["client_id"].as_str().unwrap();
    let a = create_client_assertion(
        &ClientAssertion {
            client_id: id,
            audience: &format!("{ISSUER}/token"),
            key: &key,
            alg: Alg::Es256,
            kid: None,
            x5t: None,
            lifetime: None,
            claims: oidckit::Object::new(),
        },
        now(),
        &mut rng(),
    )
    .unwrap();
    let r = post_form(
        &st,
        "/token",
        &[
            ("grant_type", "client_credentials"),
            ("client_assertion_type", CLIENT_ASSERTION_TYPE_JWT_BEARER),
            ("client_assertion", &a),
        ],
        &[],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
}

#[tokio::test]
async fn registration_errors() {
    let st = setup();
    let cases = [
        (
            json!({"client_name": "no redirect"}),
            "invalid_redirect_uri",
        ),
        (
            json!({"redirect_uris": ["/relative"]}),
            "invalid_redirect_uri",
        ),
        (
            json!({"redirect_uris": ["https://a.example/cb#frag"]}),
            "invalid_redirect_uri",
        ),
        (
            json!({"redirect_uris": "https://a.example/cb"}),
            "invalid_client_metadata",
        ),
        (
            json!({"redirect_uris": ["https://a.example/cb"], "grant_types": ["magic"]}),
            "invalid_client_metadata",
        ),
        (
            json!({"redirect_uris": ["https://a.example/cb"], "token_endpoint_auth_method": "tls_client_auth"}),
            "invalid_client_metadata",
        ),
        (
            json!({"redirect_uris": ["https://a.example/cb"], "scope": "openid admin"}),
            "invalid_client_metadata",
        ),
        (
            json!({"redirect_uris": ["https://a.example/cb"], "response_types": ["id_token"]}),
            "invalid_client_metadata",
        ),
        (
            json!({"token_endpoint_auth_method": "private_key_jwt", "grant_types": ["client_credentials"], "response_types": []}),
            "invalid_client_metadata",
        ),
        (json!([1, 2]), "invalid_client_metadata"),
    ];
    for (body, want) in cases {
        let r = register(&st, body.clone()).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{body}: {}", r.text);
        assert_eq!(r.json()["error"], want, "{body}: {}", r.text);
    }
    // A public client gets no secret.
    let r = register(
        &st,
        json!({"redirect_uris": ["http://127.0.0.1:5000/cb"], "token_endpoint_auth_method": "none"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert!(r.json().get("client_secret").is_none());
    // Not JSON.
    let req = Request::builder()
        .method(Method::POST)
        .uri("/register")
        .header("content-type", "text/plain")
        .body(Body::from("x"))
        .unwrap();
    assert_eq!(send(&st, req).await.status, StatusCode::BAD_REQUEST);
}

// ---- the demo API -------------------------------------------------------------------------------

#[tokio::test]
async fn api_me_and_items() {
    let st = setup();
    let t = user_tokens(&st, SPA, "openid profile api:read").await;
    let at = t["access_token"].as_str().unwrap();
    let r = get(&st, "/api/me", &[("authorization", &bearer(at))]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let j = r.json();
    assert_eq!(j["sub"], "alice");
    assert_eq!(j["client_id"], SPA);
    assert_eq!(j["claims"]["name"], "Alice Liddell");
    let r = get(&st, "/api/items", &[("authorization", &bearer(at))]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json()["items"].as_array().unwrap().len(), 3);
    // Without api:read: 403 insufficient_scope naming the scope.
    let t = user_tokens(&st, SPA, "openid profile").await;
    let at2 = t["access_token"].as_str().unwrap();
    let r = get(&st, "/api/items", &[("authorization", &bearer(at2))]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(
        r.challenge().contains("error=\"insufficient_scope\""),
        "{}",
        r.challenge()
    );
    assert!(
        r.challenge().contains("scope=\"api:read\""),
        "{}",
        r.challenge()
    );
    // Client credentials tokens work at /api/me (sub = the client).
    let cc = cc_token(&st).await;
    let r = get(&st, "/api/me", &[("authorization", &bearer(&cc))]).await;
    assert_eq!(r.json()["sub"], WEB);
}

#[tokio::test]
async fn api_errors() {
    let st = setup();
    let r = get(&st, "/api/items", &[]).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r.challenge().starts_with("Bearer realm="));
    let r = get(
        &st,
        "/api/items",
        &[("authorization", "Bearer not-a-token")],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r.challenge().contains("invalid_token"));
    let r = get(&st, "/api/items", &[("authorization", "Bearer a b")]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.challenge().contains("invalid_request"));
    let r = get(&st, "/api/nothing", &[]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // A revoked token stops working at once, although its signature still verifies.
    let t = user_tokens(&st, SPA, "openid api:read").await;
    let at = t["access_token"].as_str().unwrap();
    assert_eq!(
        get(&st, "/api/items", &[("authorization", &bearer(at))])
            .await
            .status,
        StatusCode::OK
    );
    post_form(&st, "/revoke", &[("token", at), ("client_id", SPA)], &[]).await;
    let r = get(&st, "/api/items", &[("authorization", &bearer(at))]).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    // A token for another audience (RFC 8707 resource) is refused by the API.
    let auth = basic_authorization(WEB, WEB_SECRET);
    let r = post_form(
        &st,
        "/token",
        &[
            ("grant_type", "client_credentials"),
            ("resource", "https://other.example/"),
        ],
        &[("authorization", &auth)],
    )
    .await;
    let other = r.json()["access_token"].as_str().unwrap().to_owned();
    let r = get(&st, "/api/me", &[("authorization", &bearer(&other))]).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn api_opaque_tokens() {
    let st = setup_with(|c| c.server.access_token_format = "opaque".into());
    let t = user_tokens(&st, SPA, "openid api:read").await;
    let at = t["access_token"].as_str().unwrap();
    let r = get(&st, "/api/items", &[("authorization", &bearer(at))]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = get(&st, "/userinfo", &[("authorization", &bearer(at))]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
}

#[tokio::test]
async fn dpop_bound_tokens_at_the_api_and_userinfo() {
    let st = setup();
    let key = Key::generate(Alg::Es256, &mut rng(), GenerateOptions::default()).unwrap();
    let proof = |htm: &str, htu: &str, at: Option<&str>| {
        create_proof(
            &DpopProofRequest {
                key: &key,
                alg: None,
                htm,
                htu,
                access_token: at,
                nonce: None,
            },
            now(),
            &mut rng(),
        )
        .unwrap()
    };
    let auth = basic_authorization(WEB, WEB_SECRET);
    let p = proof("POST", &format!("{ISSUER}/token"), None);
    let r = post_form(
        &st,
        "/token",
        &[("grant_type", "client_credentials")],
        &[("authorization", &auth), ("dpop", &p)],
    )
    .await;
    assert_eq!(r.json()["token_type"], "DPoP");
    let at = r.json()["access_token"].as_str().unwrap().to_owned();
    let url = format!("{ISSUER}/api/me");
    let p = proof("GET", &url, Some(&at));
    let r = get(
        &st,
        "/api/me",
        &[("authorization", &format!("DPoP {at}")), ("dpop", &p)],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{} {}", r.text, r.challenge());
    assert_eq!(r.json()["token_type"], "DPoP");
    // As a bearer token: refused.
    let r = get(&st, "/api/me", &[("authorization", &bearer(&at))]).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r.challenge().starts_with("DPoP"), "{}", r.challenge());
    // Without a proof, with a proof without ath, with a proof from another key.
    let r = get(&st, "/api/me", &[("authorization", &format!("DPoP {at}"))]).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let p = proof("GET", &url, None);
    let r = get(
        &st,
        "/api/me",
        &[("authorization", &format!("DPoP {at}")), ("dpop", &p)],
    )
    .await;
    assert!(
        r.challenge().contains("invalid_dpop_proof"),
        "{}",
        r.challenge()
    );
    let other = Key::generate(Alg::Es256, &mut rng(), GenerateOptions::default()).unwrap();
    let p = create_proof(
        &DpopProofRequest {
            key: &other,
            alg: None,
            htm: "GET",
            htu: &url,
            access_token: Some(&at),
            nonce: None,
        },
        now(),
        &mut rng(),
    )
    .unwrap();
    let r = get(
        &st,
        "/api/me",
        &[("authorization", &format!("DPoP {at}")), ("dpop", &p)],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    // A bearer token presented with the DPoP scheme.
    let plain = cc_token(&st).await;
    let p = proof("GET", &url, Some(&plain));
    let r = get(
        &st,
        "/api/me",
        &[("authorization", &format!("DPoP {plain}")), ("dpop", &p)],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn cors_for_browser_relying_parties() {
    let st = setup();
    for path in [
        "/token",
        "/userinfo",
        "/revoke",
        "/introspect",
        "/register",
        "/api/me",
    ] {
        let req = Request::builder()
            .method(Method::OPTIONS)
            .uri(path)
            .header("origin", "http://localhost:5173")
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "authorization, dpop")
            .body(Body::empty())
            .unwrap();
        let r = send(&st, req).await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{path}");
        assert_eq!(r.headers["access-control-allow-origin"], "*", "{path}");
        let allowed = r.headers["access-control-allow-headers"].to_str().unwrap();
        assert!(
            allowed.contains("Authorization") && allowed.contains("DPoP"),
            "{path}"
        );
    }
    // Actual responses, errors included, are readable cross-origin with their challenge.
    let r = get(&st, "/api/me", &[("origin", "http://localhost:5173")]).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.headers["access-control-allow-origin"], "*");
    assert!(
        r.headers["access-control-expose-headers"]
            .to_str()
            .unwrap()
            .contains("WWW-Authenticate")
    );
}
