//! `oneshot` tests of the token endpoint (RFC 6749 §3.2): every grant, every client
//! authentication method and their error paths.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Method, Request, StatusCode};
use http_body_util::BodyExt;
use oidckit::jwk::GenerateOptions;
use oidckit::oauth::access_token::{AccessTokenValidation, validate_jwt_access_token};
use oidckit::oauth::client_auth::{
    CLIENT_ASSERTION_TYPE_JWT_BEARER, ClientAssertion, JwtBearerAssertion, basic_authorization,
    create_client_assertion, create_jwt_bearer_assertion,
};
use oidckit::oauth::dpop::{DpopProofRequest, create_proof};
use oidckit::oauth::http::form_urlencode;
use oidckit::oauth::pkce::code_challenge_s256;
use oidckit::oidc::id_token::{IdTokenValidation, validate_id_token};
use oidckit::{Alg, JwkSet, Key, Object};
use oidckit_server::config::{ClientConfig, Config};
use oidckit_server::grant::AuthorizationData;
use oidckit_server::{AppState, Storage, Store, router};
use rand_core::UnwrapErr;
use serde_json::{Value, json};

const ISSUER: &str = "http://127.0.0.1:8080";
const TOKEN: &str = "http://127.0.0.1:8080/token";
const SPA: &str = "oidckit-demo-spa";
const SPA_CB: &str = "http://127.0.0.1:8080/www/callback.html";
const WEB: &str = "oidckit-demo-web";
const WEB_SECRET: &str = "oidckit-demo-web-secret";
const WEB_CB: &str = "http://localhost:3000/callback";
const BACKEND: &str = "oidckit-demo-backend";
const BACKEND_KEY: &str = include_str!("../demo/backend-client.key.pem");
const JWT_SECRET: &str = "a-client-secret-long-enough-for-hs256-macs";
const ODD_SECRET: &str = "s3cret with:colon&amp%+plus";
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

struct T {
    st: Arc<AppState>,
    /// The private key registered (as a JWKS) for `pkjwt-jwks`.
    es_key: Key,
}

fn setup_with(edit: impl FnOnce(&mut Config)) -> T {
    let mut config = Config::embedded_default().unwrap();
    config.server.id_token_signing_alg = "ES256".into();
    let mut es_key = Key::generate(Alg::Es256, &mut rng(), GenerateOptions::default()).unwrap();
    es_key.meta.kid = Some("es-1".into());
    let jwks = json!({"keys": [Value::Object(es_key.to_public_jwk().unwrap())]});
    config.clients.extend([
        client(json!({
            "client_id": "post-client", "client_secret": WEB_SECRET, "client_name": "post",
            "type": "confidential", "grant_types": ["client_credentials", "refresh_token", "password"],
            "token_endpoint_auth_method": "client_secret_post", "scope": "openid profile offline_access api:read"
        })),
        client(json!({
            "client_id": "odd-client", "client_secret": ODD_SECRET, "client_name": "odd",
            "type": "confidential", "grant_types": ["client_credentials"],
            "token_endpoint_auth_method": "client_secret_basic"
        })),
        client(json!({
            "client_id": "jwt-client", "client_secret": JWT_SECRET, "client_name": "jwt",
            "type": "confidential", "grant_types": ["client_credentials"],
            "token_endpoint_auth_method": "client_secret_jwt"
        })),
        client(json!({
            "client_id": "pkjwt-jwks", "client_name": "jwks",
            "type": "confidential", "grant_types": ["client_credentials", "urn:ietf:params:oauth:grant-type:token-exchange"],
            "token_endpoint_auth_method": "private_key_jwt", "jwks": jwks
        })),
    ]);
    edit(&mut config);
    let store = Store::open(&Storage::InMemory).unwrap();
    let st = Arc::new(AppState::new(config, ISSUER.into(), store, now(), &mut rng()).unwrap());
    T { st, es_key }
}

fn setup() -> T {
    setup_with(|_| {})
}

struct Res {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: Value,
}

impl Res {
    fn error(&self) -> &str {
        self.body["error"].as_str().unwrap_or("")
    }
}

async fn send(st: &Arc<AppState>, req: Request<Body>) -> Res {
    use tower::ServiceExt;
    let res = router(st.clone()).oneshot(req).await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Res {
        status,
        headers,
        body,
    }
}

/// POSTs a form to /token from 127.0.0.1 with extra headers.
async fn token_req(
    st: &Arc<AppState>,
    params: &[(&str, &str)],
    headers: &[(&str, &str)],
    peer: Option<&str>,
) -> Res {
    let mut b = Request::builder()
        .method(Method::POST)
        .uri("/token")
        .header("content-type", "application/x-www-form-urlencoded");
    for (n, v) in headers {
        b = b.header(*n, *v);
    }
    let mut req = b.body(Body::from(form_urlencode(params))).unwrap();
    if let Some(p) = peer {
        let addr: SocketAddr = p.parse().unwrap();
        req.extensions_mut().insert(ConnectInfo(addr));
    }
    send(st, req).await
}

async fn token(st: &Arc<AppState>, params: &[(&str, &str)], headers: &[(&str, &str)]) -> Res {
    token_req(st, params, headers, Some("127.0.0.1:50000")).await
}

fn basic(id: &str, secret: &str) -> String {
    basic_authorization(id, secret)
}

fn backend_key() -> Key {
    Key::from_pem(BACKEND_KEY, Some(Alg::Rs256)).unwrap()
}

fn assertion(client_id: &str, aud: &str, key: &Key, alg: Alg) -> String {
    create_client_assertion(
        &ClientAssertion {
            client_id,
            audience: aud,
            key,
            alg,
            kid: None,
            x5t: None,
            lifetime: None,
            claims: Object::new(),
        },
        now(),
        &mut rng(),
    )
    .unwrap()
}

fn own_jwks(st: &AppState) -> JwkSet {
    JwkSet::from_object(&st.keys.read().unwrap().jwks().unwrap()).unwrap()
}

fn assert_valid_at(st: &AppState, at: &str, sub: &str) -> Object {
    let v = AccessTokenValidation {
        algorithms: vec![Alg::Es256],
        ..AccessTokenValidation::new(ISSUER, format!("{ISSUER}/api"), now())
    };
    let claims = validate_jwt_access_token(at, &own_jwks(st), &v).unwrap();
    assert_eq!(claims.sub, sub);
    claims.raw
}

fn active(st: &AppState, at: &str) -> bool {
    oidckit_server::access_token::lookup(st, at, now())
        .unwrap()
        .is_some()
}

/// Stores an authorization code as the authorization endpoint would.
fn code_for(
    st: &AppState,
    client_id: &str,
    redirect_uri: &str,
    scope: &str,
    challenge: Option<&str>,
) -> String {
    let grant = st
        .store
        .create_grant(client_id, Some("alice"), None, scope, now())
        .unwrap();
    let data = AuthorizationData {
        client_id: client_id.into(),
        username: "alice".into(),
        redirect_uri: redirect_uri.into(),
        scope: scope.into(),
        nonce: Some("n-0S6_WzA2Mj".into()),
        code_challenge: challenge.map(str::to_owned),
        auth_time: now() - 5,
        ..AuthorizationData::default()
    };
    let code = oidckit_server::tokens::random_handle();
    st.store
        .insert_code(&code, &grant, &data, now() + 60)
        .unwrap();
    code
}

// ---- client authentication --------------------------------------------------------------------

#[tokio::test]
async fn client_credentials_with_basic_and_the_response_shape() {
    let t = setup();
    let auth = basic(WEB, WEB_SECRET);
    let r = token(
        &t.st,
        &[("grant_type", "client_credentials")],
        &[("authorization", &auth)],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.headers["cache-control"], "no-store");
    assert_eq!(r.headers["content-type"], "application/json");
    assert_eq!(r.body["token_type"], "Bearer");
    assert_eq!(r.body["expires_in"], 3600);
    assert!(r.body.get("refresh_token").is_none());
    assert!(r.body.get("id_token").is_none());
    // openid / offline_access never go to a client credentials token.
    assert_eq!(r.body["scope"], "profile email");
    let at = r.body["access_token"].as_str().unwrap();
    let claims = assert_valid_at(&t.st, at, WEB);
    assert_eq!(claims["client_id"], WEB);
    assert!(active(&t.st, at));
    // A last-used timestamp was recorded.
    assert!(
        t.st.store
            .client(WEB)
            .unwrap()
            .unwrap()
            .last_used_at
            .is_some()
    );
}

#[tokio::test]
async fn basic_failures_are_401_with_a_basic_challenge() {
    let t = setup();
    let auth = basic(WEB, "wrong");
    let r = token(
        &t.st,
        &[("grant_type", "client_credentials")],
        &[("authorization", &auth)],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.error(), "invalid_client");
    assert!(
        r.headers["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Basic")
    );
    // Malformed Basic credentials.
    let r = token(
        &t.st,
        &[("grant_type", "client_credentials")],
        &[("authorization", "Basic !!!")],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    // Unknown client.
    let auth = basic("nobody", "x");
    let r = token(
        &t.st,
        &[("grant_type", "client_credentials")],
        &[("authorization", &auth)],
    )
    .await;
    assert_eq!(
        (r.status, r.error()),
        (StatusCode::UNAUTHORIZED, "invalid_client")
    );
}

#[tokio::test]
async fn basic_credentials_are_form_urlencoded_first() {
    let t = setup();
    // RFC 6749 §2.3.1: the core encodes ':' '&' '%' '+' and spaces before base64.
    let auth = basic("odd-client", ODD_SECRET);
    let r = token(
        &t.st,
        &[("grant_type", "client_credentials")],
        &[("authorization", &auth)],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
}

#[tokio::test]
async fn client_secret_post_and_method_mismatches() {
    let t = setup();
    let ok = token(
        &t.st,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", "post-client"),
            ("client_secret", WEB_SECRET),
        ],
        &[],
    )
    .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    assert_eq!(ok.body["scope"], "profile api:read");
    // The web client is registered for client_secret_basic: post is refused.
    let r = token(
        &t.st,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", WEB),
            ("client_secret", WEB_SECRET),
        ],
        &[],
    )
    .await;
    assert_eq!(
        (r.status, r.error()),
        (StatusCode::UNAUTHORIZED, "invalid_client")
    );
    assert!(r.headers.get("www-authenticate").is_none());
    // Two methods at once.
    let auth = basic(WEB, WEB_SECRET);
    let r = token(
        &t.st,
        &[
            ("grant_type", "client_credentials"),
            ("client_secret", WEB_SECRET),
            ("client_id", WEB),
        ],
        &[("authorization", &auth)],
    )
    .await;
    assert_eq!(
        (r.status, r.error()),
        (StatusCode::BAD_REQUEST, "invalid_request")
    );
    // A confidential client cannot pass as public (client_id only).
    let r = token(
        &t.st,
        &[("grant_type", "client_credentials"), ("client_id", WEB)],
        &[],
    )
    .await;
    assert_eq!(
        (r.status, r.error()),
        (StatusCode::UNAUTHORIZED, "invalid_client")
    );
    // No client at all.
    let r = token(&t.st, &[("grant_type", "client_credentials")], &[]).await;
    assert_eq!(
        (r.status, r.error()),
        (StatusCode::UNAUTHORIZED, "invalid_client")
    );
}

#[tokio::test]
async fn private_key_jwt_with_pem_key_replay_aud_and_cidr() {
    let t = setup();
    let key = backend_key();
    let a = assertion(BACKEND, TOKEN, &key, Alg::Rs256);
    let params = [
        ("grant_type", "client_credentials"),
        ("client_assertion_type", CLIENT_ASSERTION_TYPE_JWT_BEARER),
        ("client_assertion", a.as_str()),
    ];
    let r = token(&t.st, &params, &[]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["scope"], "api:read");
    // The same assertion again: jti replay.
    let r = token(&t.st, &params, &[]).await;
    assert_eq!(
        (r.status, r.error()),
        (StatusCode::UNAUTHORIZED, "invalid_client")
    );
    assert!(
        r.body["error_description"]
            .as_str()
            .unwrap()
            .contains("replay")
    );
    // The issuer is an accepted audience too; another audience is not.
    let a = assertion(BACKEND, ISSUER, &key, Alg::Rs256);
    let r = token(
        &t.st,
        &[
            ("grant_type", "client_credentials"),
            ("client_assertion_type", CLIENT_ASSERTION_TYPE_JWT_BEARER),
            ("client_assertion", &a),
        ],
        &[],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let a = assertion(BACKEND, "https://elsewhere.example/token", &key, Alg::Rs256);
    let r = token(
        &t.st,
        &[
            ("grant_type", "client_credentials"),
            ("client_assertion_type", CLIENT_ASSERTION_TYPE_JWT_BEARER),
            ("client_assertion", &a),
        ],
        &[],
    )
    .await;
    assert_eq!(
        (r.status, r.error()),
        (StatusCode::UNAUTHORIZED, "invalid_client")
    );
    // Outside the CIDR allow rules (127.0.0.0/8, ::1/128), or no peer address at all.
    for peer in [Some("10.1.2.3:4000"), Some("[2001:db8::1]:4000"), None] {
        let a = assertion(BACKEND, TOKEN, &key, Alg::Rs256);
        let r = token_req(
            &t.st,
            &[
                ("grant_type", "client_credentials"),
                ("client_assertion_type", CLIENT_ASSERTION_TYPE_JWT_BEARER),
                ("client_assertion", &a),
            ],
            &[],
            peer,
        )
        .await;
        assert_eq!(
            (r.status, r.error()),
            (StatusCode::UNAUTHORIZED, "invalid_client"),
            "{peer:?}"
        );
    }
    let a = assertion(BACKEND, TOKEN, &key, Alg::Rs256);
    let r = token_req(
        &t.st,
        &[
            ("grant_type", "client_credentials"),
            ("client_assertion_type", CLIENT_ASSERTION_TYPE_JWT_BEARER),
            ("client_assertion", &a),
        ],
        &[],
        Some("[::1]:4000"),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // An assertion refused for its source address was not verified: its jti stays unspent.
    let a = assertion(BACKEND, TOKEN, &key, Alg::Rs256);
    let params = [
        ("grant_type", "client_credentials"),
        ("client_assertion_type", CLIENT_ASSERTION_TYPE_JWT_BEARER),
        ("client_assertion", a.as_str()),
    ];
    let r = token_req(&t.st, &params, &[], Some("192.0.2.7:1")).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = token(&t.st, &params, &[]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
}

#[tokio::test]
async fn private_key_jwt_signed_by_another_key_or_with_a_wrong_type_fails() {
    let t = setup();
    let other = Key::generate(Alg::Rs256, &mut rng(), GenerateOptions::default()).unwrap();
    let a = assertion(BACKEND, TOKEN, &other, Alg::Rs256);
    let r = token(
        &t.st,
        &[
            ("grant_type", "client_credentials"),
            ("client_assertion_type", CLIENT_ASSERTION_TYPE_JWT_BEARER),
            ("client_assertion", &a),
        ],
        &[],
    )
    .await;
    assert_eq!(
        (r.status, r.error()),
        (StatusCode::UNAUTHORIZED, "invalid_client")
    );
    let a = assertion(BACKEND, TOKEN, &backend_key(), Alg::Rs256);
    let r = token(
        &t.st,
        &[
            ("grant_type", "client_credentials"),
            ("client_assertion_type", "urn:x"),
            ("client_assertion", &a),
        ],
        &[],
    )
    .await;
    assert_eq!(
        (r.status, r.error()),
        (StatusCode::UNAUTHORIZED, "invalid_client")
    );
    // The client_id parameter must name the assertion's subject.
    let r = token(
        &t.st,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", WEB),
            ("client_assertion_type", CLIENT_ASSERTION_TYPE_JWT_BEARER),
            ("client_assertion", &a),
        ],
        &[],
    )
    .await;
    assert_eq!(
        (r.status, r.error()),
        (StatusCode::UNAUTHORIZED, "invalid_client")
    );
}

#[tokio::test]
async fn private_key_jwt_with_a_registered_jwks() {
    let t = setup();
    let a = assertion("pkjwt-jwks", TOKEN, &t.es_key, Alg::Es256);
    let r = token(
        &t.st,
        &[
            ("grant_type", "client_credentials"),
            ("client_assertion_type", CLIENT_ASSERTION_TYPE_JWT_BEARER),
            ("client_assertion", &a),
        ],
        &[],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
}

#[tokio::test]
async fn private_key_jwt_with_a_jwks_uri_and_client_key_rotation() {
    // A tiny JWKS server on loopback, whose key set the test can change.
    let mut key = Key::generate(Alg::Es256, &mut rng(), GenerateOptions::default()).unwrap();
    key.meta.kid = Some("remote-1".into());
    let published = Arc::new(std::sync::Mutex::new(
        json!({"keys": [Value::Object(key.to_public_jwk().unwrap())]}).to_string(),
    ));
    let served = published.clone();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = axum::Router::new().route(
        "/jwks",
        axum::routing::get(move || {
            let served = served.clone();
            async move { served.lock().unwrap().clone() }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await });
    let uri = format!("http://{addr}/jwks");
    let t = setup_with(|c| {
        c.clients.push(client(json!({
            "client_id": "pkjwt-uri", "client_name": "uri", "type": "confidential",
            "grant_types": ["client_credentials"], "token_endpoint_auth_method": "private_key_jwt",
            "jwks_uri": uri
        })));
    });
    let call = |key: Key| {
        let st = t.st.clone();
        async move {
            let a = assertion("pkjwt-uri", TOKEN, &key, Alg::Es256);
            token(
                &st,
                &[
                    ("grant_type", "client_credentials"),
                    ("client_assertion_type", CLIENT_ASSERTION_TYPE_JWT_BEARER),
                    ("client_assertion", &a),
                ],
                &[],
            )
            .await
        }
    };
    let r = call(key.clone()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // The client rotates to a new key (new kid): the cached set misses it, a refetch finds it
    // (once the cached copy is a few seconds old).
    let mut next = Key::generate(Alg::Es256, &mut rng(), GenerateOptions::default()).unwrap();
    next.meta.kid = Some("remote-2".into());
    *published.lock().unwrap() =
        json!({"keys": [Value::Object(next.to_public_jwk().unwrap())]}).to_string();
    tokio::time::sleep(std::time::Duration::from_secs(6)).await;
    let r = call(next).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // The old key is gone from the set.
    let r = call(key).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.body);
}

#[tokio::test]
async fn client_secret_jwt_replay_and_lifetime_bound() {
    let t = setup();
    let key = Key::from_secret(JWT_SECRET.as_bytes(), Some(Alg::Hs256)).unwrap();
    let a = assertion("jwt-client", TOKEN, &key, Alg::Hs256);
    let params = [
        ("grant_type", "client_credentials"),
        ("client_assertion_type", CLIENT_ASSERTION_TYPE_JWT_BEARER),
        ("client_assertion", a.as_str()),
    ];
    let r = token(&t.st, &params, &[]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = token(&t.st, &params, &[]).await;
    assert_eq!(
        (r.status, r.error()),
        (StatusCode::UNAUTHORIZED, "invalid_client")
    );
    // A wrong secret.
    let wrong = Key::from_secret(
        b"another-secret-that-is-long-enough-too!!",
        Some(Alg::Hs256),
    )
    .unwrap();
    let a = assertion("jwt-client", TOKEN, &wrong, Alg::Hs256);
    let r = token(
        &t.st,
        &[
            ("grant_type", "client_credentials"),
            ("client_assertion_type", CLIENT_ASSERTION_TYPE_JWT_BEARER),
            ("client_assertion", &a),
        ],
        &[],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    // An assertion valid for an hour is refused (exp bounded), one without jti too.
    for claims in [
        json!({"iss": "jwt-client", "sub": "jwt-client", "aud": TOKEN, "jti": "j1", "exp": now() + 3600}),
        json!({"iss": "jwt-client", "sub": "jwt-client", "aud": TOKEN, "exp": now() + 60}),
        json!({"iss": "jwt-client", "sub": "jwt-client", "aud": TOKEN, "jti": "j2"}),
    ] {
        let header: Object = serde_json::from_value(json!({"alg": "HS256"})).unwrap();
        let claims: Object = serde_json::from_value(claims).unwrap();
        let jwt = oidckit::jwt::sign(&header, &claims, &key, &mut rng()).unwrap();
        let r = token(
            &t.st,
            &[
                ("grant_type", "client_credentials"),
                ("client_assertion_type", CLIENT_ASSERTION_TYPE_JWT_BEARER),
                ("client_assertion", &jwt),
            ],
            &[],
        )
        .await;
        assert_eq!(
            (r.status, r.error()),
            (StatusCode::UNAUTHORIZED, "invalid_client"),
            "{claims:?}"
        );
    }
}

// ---- request validation ---------------------------------------------------------------------

#[tokio::test]
async fn malformed_requests_are_json_errors() {
    let t = setup();
    let auth = basic(WEB, WEB_SECRET);
    // GET is not allowed.
    let req = Request::builder()
        .uri("/token")
        .body(Body::empty())
        .unwrap();
    let r = send(&t.st, req).await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(r.error(), "invalid_request");
    // Not a form.
    let req = Request::builder()
        .method(Method::POST)
        .uri("/token")
        .header("content-type", "application/json")
        .body(Body::from("{}"))
        .unwrap();
    let r = send(&t.st, req).await;
    assert_eq!(
        (r.status, r.error()),
        (StatusCode::BAD_REQUEST, "invalid_request")
    );
    // Repeated parameter, missing grant type, bad percent-encoding.
    for body in [
        "grant_type=client_credentials&grant_type=client_credentials",
        "scope=x",
        "grant_type=%zz",
    ] {
        let req = Request::builder()
            .method(Method::POST)
            .uri("/token")
            .header("content-type", "application/x-www-form-urlencoded")
            .header("authorization", &auth)
            .body(Body::from(body))
            .unwrap();
        let r = send(&t.st, req).await;
        assert_eq!(
            (r.status, r.error()),
            (StatusCode::BAD_REQUEST, "invalid_request"),
            "{body}"
        );
    }
    // Unknown and implicit grant types.
    for g in ["magic", "implicit"] {
        let r = token(&t.st, &[("grant_type", g)], &[("authorization", &auth)]).await;
        assert_eq!(r.error(), "unsupported_grant_type");
    }
    // The web client may not use password.
    let r = token(
        &t.st,
        &[
            ("grant_type", "password"),
            ("username", "alice"),
            ("password", "alice-demo-password"),
        ],
        &[("authorization", &auth)],
    )
    .await;
    assert_eq!(r.error(), "unauthorized_client");
    // Unknown scope.
    let r = token(
        &t.st,
        &[("grant_type", "client_credentials"), ("scope", "admin")],
        &[("authorization", &auth)],
    )
    .await;
    assert_eq!(r.error(), "invalid_scope");
    // A bad resource indicator.
    let r = token(
        &t.st,
        &[
            ("grant_type", "client_credentials"),
            ("resource", "relative/path"),
        ],
        &[("authorization", &auth)],
    )
    .await;
    assert_eq!(r.error(), "invalid_target");
}

#[tokio::test]
async fn server_grant_type_list_and_audience_required() {
    let t = setup_with(|c| {
        c.server
            .grant_types_supported
            .retain(|g| g != "client_credentials");
    });
    let auth = basic(WEB, WEB_SECRET);
    let r = token(
        &t.st,
        &[("grant_type", "client_credentials")],
        &[("authorization", &auth)],
    )
    .await;
    assert_eq!(r.error(), "unsupported_grant_type");

    let t = setup_with(|c| c.server.audience_required = true);
    let r = token(
        &t.st,
        &[("grant_type", "client_credentials")],
        &[("authorization", &auth)],
    )
    .await;
    assert_eq!(
        (r.status, r.error()),
        (StatusCode::BAD_REQUEST, "invalid_target")
    );
    let r = token(
        &t.st,
        &[
            ("grant_type", "client_credentials"),
            ("resource", "https://api.example/"),
            ("resource", "https://two.example/"),
        ],
        &[("authorization", &auth)],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let claims = oidckit::jwt::decode(r.body["access_token"].as_str().unwrap()).unwrap();
    assert_eq!(
        claims["aud"],
        json!(["https://api.example/", "https://two.example/"])
    );
}

#[tokio::test]
async fn opaque_access_tokens_are_looked_up() {
    let t = setup_with(|c| c.server.access_token_format = "opaque".into());
    let auth = basic(WEB, WEB_SECRET);
    let r = token(
        &t.st,
        &[("grant_type", "client_credentials")],
        &[("authorization", &auth)],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    let at = r.body["access_token"].as_str().unwrap();
    assert_eq!(at.split('.').count(), 1);
    let data = oidckit_server::access_token::lookup(&t.st, at, now())
        .unwrap()
        .unwrap();
    assert_eq!(data["client_id"], WEB);
    assert_eq!(data["sub"], WEB);
    assert!(
        oidckit_server::access_token::lookup(&t.st, "nope", now())
            .unwrap()
            .is_none()
    );
}

// ---- authorization code ---------------------------------------------------------------------

#[tokio::test]
async fn authorization_code_with_pkce_issues_tokens_once() {
    let t = setup();
    let challenge = code_challenge_s256(VERIFIER).unwrap();
    let code = code_for(
        &t.st,
        SPA,
        SPA_CB,
        "openid profile offline_access",
        Some(&challenge),
    );
    let params = [
        ("grant_type", "authorization_code"),
        ("client_id", SPA),
        ("code", code.as_str()),
        ("redirect_uri", SPA_CB),
        ("code_verifier", VERIFIER),
    ];
    let r = token(&t.st, &params, &[]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.headers["cache-control"], "no-store");
    assert_eq!(r.body["scope"], "openid profile offline_access");
    let at = r.body["access_token"].as_str().unwrap().to_owned();
    assert_valid_at(&t.st, &at, "alice");
    assert!(r.body["refresh_token"].is_string());
    let v = IdTokenValidation {
        algorithms: vec![Alg::Es256],
        nonce: Some("n-0S6_WzA2Mj".into()),
        access_token: Some(at.clone()),
        require_at_hash: true,
        ..IdTokenValidation::new(ISSUER, SPA, now())
    };
    let id = validate_id_token(r.body["id_token"].as_str().unwrap(), &own_jwks(&t.st), &v).unwrap();
    assert_eq!(id.claims["sub"], "alice");

    // Reuse: refused, and the tokens of the first redemption are revoked (RFC 6749 §4.1.2).
    assert!(active(&t.st, &at));
    let r = token(&t.st, &params, &[]).await;
    assert_eq!(
        (r.status, r.error()),
        (StatusCode::BAD_REQUEST, "invalid_grant")
    );
    assert!(!active(&t.st, &at));
}

#[tokio::test]
async fn code_reuse_also_kills_the_refresh_token() {
    let t = setup();
    let challenge = code_challenge_s256(VERIFIER).unwrap();
    let code = code_for(
        &t.st,
        SPA,
        SPA_CB,
        "openid offline_access",
        Some(&challenge),
    );
    let params = [
        ("grant_type", "authorization_code"),
        ("client_id", SPA),
        ("code", code.as_str()),
        ("redirect_uri", SPA_CB),
        ("code_verifier", VERIFIER),
    ];
    let r = token(&t.st, &params, &[]).await;
    let rt = r.body["refresh_token"].as_str().unwrap().to_owned();
    token(&t.st, &params, &[]).await;
    let r = token(
        &t.st,
        &[
            ("grant_type", "refresh_token"),
            ("client_id", SPA),
            ("refresh_token", &rt),
        ],
        &[],
    )
    .await;
    assert_eq!(r.error(), "invalid_grant");
}

#[tokio::test]
async fn pkce_failures_and_downgrade() {
    let t = setup();
    let challenge = code_challenge_s256(VERIFIER).unwrap();
    let other_verifier = "x".repeat(43);
    // Wrong verifier, missing verifier, malformed verifier.
    for verifier in [Some(other_verifier.as_str()), None, Some("short")] {
        let code = code_for(&t.st, SPA, SPA_CB, "openid", Some(&challenge));
        let mut params = vec![
            ("grant_type", "authorization_code"),
            ("client_id", SPA),
            ("code", code.as_str()),
            ("redirect_uri", SPA_CB),
        ];
        if let Some(v) = verifier {
            params.push(("code_verifier", v));
        }
        let r = token(&t.st, &params, &[]).await;
        assert_eq!(
            (r.status, r.error()),
            (StatusCode::BAD_REQUEST, "invalid_grant"),
            "{verifier:?}"
        );
    }
    // "plain" is not supported: a challenge equal to the verifier never matches.
    let code = code_for(&t.st, SPA, SPA_CB, "openid", Some(VERIFIER));
    let r = token(
        &t.st,
        &[
            ("grant_type", "authorization_code"),
            ("client_id", SPA),
            ("code", &code),
            ("redirect_uri", SPA_CB),
            ("code_verifier", VERIFIER),
        ],
        &[],
    )
    .await;
    assert_eq!(r.error(), "invalid_grant");
    // Downgrade: a verifier for a code issued without a challenge (security.md row 19).
    let auth = basic(WEB, WEB_SECRET);
    let code = code_for(&t.st, WEB, WEB_CB, "openid", None);
    let r = token(
        &t.st,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", WEB_CB),
            ("code_verifier", VERIFIER),
        ],
        &[("authorization", &auth)],
    )
    .await;
    assert_eq!(r.error(), "invalid_grant");
    // A confidential client without PKCE at all is fine.
    let code = code_for(&t.st, WEB, WEB_CB, "openid", None);
    let r = token(
        &t.st,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", WEB_CB),
        ],
        &[("authorization", &auth)],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // ... but a public client must use PKCE.
    let code = code_for(&t.st, SPA, SPA_CB, "openid", None);
    let r = token(
        &t.st,
        &[
            ("grant_type", "authorization_code"),
            ("client_id", SPA),
            ("code", &code),
            ("redirect_uri", SPA_CB),
        ],
        &[],
    )
    .await;
    assert_eq!(r.error(), "invalid_grant");
}

#[tokio::test]
async fn code_redirect_uri_and_client_must_match() {
    let t = setup();
    let auth = basic(WEB, WEB_SECRET);
    let code = code_for(&t.st, WEB, WEB_CB, "openid", None);
    let r = token(
        &t.st,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", "http://127.0.0.1:3000/callback"),
        ],
        &[("authorization", &auth)],
    )
    .await;
    assert_eq!(r.error(), "invalid_grant");
    let code = code_for(&t.st, WEB, WEB_CB, "openid", None);
    let r = token(
        &t.st,
        &[("grant_type", "authorization_code"), ("code", &code)],
        &[("authorization", &auth)],
    )
    .await;
    assert_eq!(r.error(), "invalid_grant");
    // A code issued to the web client, redeemed by the SPA.
    let code = code_for(&t.st, WEB, WEB_CB, "openid", None);
    let r = token(
        &t.st,
        &[
            ("grant_type", "authorization_code"),
            ("client_id", SPA),
            ("code", &code),
            ("redirect_uri", WEB_CB),
        ],
        &[],
    )
    .await;
    assert_eq!(r.error(), "invalid_grant");
    // Unknown code; missing code.
    let r = token(
        &t.st,
        &[
            ("grant_type", "authorization_code"),
            ("code", "nope"),
            ("redirect_uri", WEB_CB),
        ],
        &[("authorization", &auth)],
    )
    .await;
    assert_eq!(r.error(), "invalid_grant");
    let r = token(
        &t.st,
        &[("grant_type", "authorization_code")],
        &[("authorization", &auth)],
    )
    .await;
    assert_eq!(r.error(), "invalid_request");
}

#[tokio::test]
async fn no_refresh_token_without_offline_access_for_openid_requests() {
    let t = setup();
    let challenge = code_challenge_s256(VERIFIER).unwrap();
    let code = code_for(&t.st, SPA, SPA_CB, "openid profile", Some(&challenge));
    let r = token(
        &t.st,
        &[
            ("grant_type", "authorization_code"),
            ("client_id", SPA),
            ("code", &code),
            ("redirect_uri", SPA_CB),
            ("code_verifier", VERIFIER),
        ],
        &[],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.get("refresh_token").is_none());
    assert!(r.body["id_token"].is_string());
}

// ---- refresh --------------------------------------------------------------------------------

async fn spa_tokens(t: &T, scope: &str) -> Res {
    let challenge = code_challenge_s256(VERIFIER).unwrap();
    let code = code_for(&t.st, SPA, SPA_CB, scope, Some(&challenge));
    token(
        &t.st,
        &[
            ("grant_type", "authorization_code"),
            ("client_id", SPA),
            ("code", &code),
            ("redirect_uri", SPA_CB),
            ("code_verifier", VERIFIER),
        ],
        &[],
    )
    .await
}

#[tokio::test]
async fn public_refresh_tokens_rotate_and_reuse_revokes_the_grant() {
    let t = setup();
    let first = spa_tokens(&t, "openid profile offline_access").await;
    let rt1 = first.body["refresh_token"].as_str().unwrap().to_owned();
    let r = token(
        &t.st,
        &[
            ("grant_type", "refresh_token"),
            ("client_id", SPA),
            ("refresh_token", &rt1),
        ],
        &[],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let rt2 = r.body["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(rt1, rt2);
    // Rotation does not extend the grant: the new token inherits the old one's expiry.
    let old_exp = t.st.store.refresh_token(&rt1).unwrap().unwrap().expires_at;
    let new_exp = t.st.store.refresh_token(&rt2).unwrap().unwrap().expires_at;
    assert_eq!(old_exp, new_exp);
    let at2 = r.body["access_token"].as_str().unwrap().to_owned();
    // The refreshed ID Token continues the original (same iss, sub, aud), without nonce.
    let original = oidckit::jwt::decode(first.body["id_token"].as_str().unwrap()).unwrap();
    let refreshed = oidckit::jwt::decode(r.body["id_token"].as_str().unwrap()).unwrap();
    oidckit::oidc::id_token::check_id_token_continuity(
        &original,
        &refreshed,
        oidckit::oidc::id_token::Continuity::Refresh,
    )
    .unwrap();
    assert!(refreshed.get("nonce").is_none());
    // rt1 again: reuse of a rotated token revokes everything (RFC 9700 §4.14.2).
    let r = token(
        &t.st,
        &[
            ("grant_type", "refresh_token"),
            ("client_id", SPA),
            ("refresh_token", &rt1),
        ],
        &[],
    )
    .await;
    assert_eq!(r.error(), "invalid_grant");
    assert!(!active(&t.st, &at2));
    let r = token(
        &t.st,
        &[
            ("grant_type", "refresh_token"),
            ("client_id", SPA),
            ("refresh_token", &rt2),
        ],
        &[],
    )
    .await;
    assert_eq!(r.error(), "invalid_grant");
}

#[tokio::test]
async fn refresh_scope_narrowing_and_confidential_clients_keep_their_token() {
    let t = setup();
    let auth = basic(WEB, WEB_SECRET);
    let code = code_for(&t.st, WEB, WEB_CB, "openid profile offline_access", None);
    let r = token(
        &t.st,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", WEB_CB),
        ],
        &[("authorization", &auth)],
    )
    .await;
    let rt = r.body["refresh_token"].as_str().unwrap().to_owned();
    for _ in 0..2 {
        let r = token(
            &t.st,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", &rt),
                ("scope", "openid"),
            ],
            &[("authorization", &auth)],
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.body["scope"], "openid");
        assert_eq!(r.body["refresh_token"], rt.as_str());
    }
    // Broadening is refused.
    let r = token(
        &t.st,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &rt),
            ("scope", "openid email"),
        ],
        &[("authorization", &auth)],
    )
    .await;
    assert_eq!(r.error(), "invalid_scope");
    // Another client cannot use it.
    let r = token(
        &t.st,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &rt),
            ("client_id", "post-client"),
            ("client_secret", WEB_SECRET),
        ],
        &[],
    )
    .await;
    assert_eq!(r.error(), "invalid_grant");
    // Unknown refresh token.
    let r = token(
        &t.st,
        &[("grant_type", "refresh_token"), ("refresh_token", "nope")],
        &[("authorization", &auth)],
    )
    .await;
    assert_eq!(r.error(), "invalid_grant");
}

// ---- password, JWT bearer, token exchange ------------------------------------------------------

#[tokio::test]
async fn password_grant() {
    let t = setup();
    let r = token(
        &t.st,
        &[
            ("grant_type", "password"),
            ("client_id", "post-client"),
            ("client_secret", WEB_SECRET),
            ("username", "alice"),
            ("password", "alice-demo-password"),
            ("scope", "openid profile"),
        ],
        &[],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body["id_token"].is_string());
    assert!(r.body.get("refresh_token").is_none());
    assert_valid_at(&t.st, r.body["access_token"].as_str().unwrap(), "alice");
    let r = token(
        &t.st,
        &[
            ("grant_type", "password"),
            ("client_id", "post-client"),
            ("client_secret", WEB_SECRET),
            ("username", "alice"),
            ("password", "wrong"),
        ],
        &[],
    )
    .await;
    assert_eq!(r.error(), "invalid_grant");
    let r = token(
        &t.st,
        &[
            ("grant_type", "password"),
            ("client_id", "post-client"),
            ("client_secret", WEB_SECRET),
            ("username", "alice"),
        ],
        &[],
    )
    .await;
    assert_eq!(r.error(), "invalid_request");
}

async fn cc_token_web(t: &T) -> String {
    let auth = basic(WEB, WEB_SECRET);
    let r = token(
        &t.st,
        &[("grant_type", "client_credentials")],
        &[("authorization", &auth)],
    )
    .await;
    r.body["access_token"].as_str().unwrap().to_owned()
}

fn bearer_assertion(sub: &str, aud: &str) -> String {
    create_jwt_bearer_assertion(
        &JwtBearerAssertion {
            issuer: BACKEND,
            subject: sub,
            audience: aud,
            key: &backend_key(),
            alg: Alg::Rs256,
            kid: None,
            x5t: None,
            lifetime: None,
            claims: Object::new(),
        },
        now(),
        &mut rng(),
    )
    .unwrap()
}

async fn backend_token(t: &T, grant: &[(&str, &str)]) -> Res {
    let a = assertion(BACKEND, TOKEN, &backend_key(), Alg::Rs256);
    let mut params = grant.to_vec();
    params.push(("client_assertion_type", CLIENT_ASSERTION_TYPE_JWT_BEARER));
    params.push(("client_assertion", &a));
    token(&t.st, &params, &[]).await
}

#[tokio::test]
async fn jwt_bearer_grant() {
    let t = setup();
    let g = bearer_assertion("alice", TOKEN);
    let grant = [
        ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
        ("assertion", g.as_str()),
    ];
    let r = backend_token(&t, &grant).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let claims = assert_valid_at(&t.st, r.body["access_token"].as_str().unwrap(), "alice");
    assert_eq!(claims["client_id"], BACKEND);
    assert!(r.body.get("refresh_token").is_none());
    // Replay of the grant assertion.
    let r = backend_token(&t, &grant).await;
    assert_eq!(r.error(), "invalid_grant");
    // bob is not in jwt_bearer_users (and does not allow it).
    let g = bearer_assertion("bob", TOKEN);
    let r = backend_token(
        &t,
        &[
            ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
            ("assertion", &g),
        ],
    )
    .await;
    assert_eq!(r.error(), "invalid_grant");
    // Wrong audience.
    let g = bearer_assertion("alice", "https://other.example/");
    let r = backend_token(
        &t,
        &[
            ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
            ("assertion", &g),
        ],
    )
    .await;
    assert_eq!(r.error(), "invalid_grant");
    // Signed by a key that is not the client's.
    let other = Key::generate(Alg::Rs256, &mut rng(), GenerateOptions::default()).unwrap();
    let g = create_jwt_bearer_assertion(
        &JwtBearerAssertion {
            issuer: BACKEND,
            subject: "alice",
            audience: TOKEN,
            key: &other,
            alg: Alg::Rs256,
            kid: None,
            x5t: None,
            lifetime: None,
            claims: Object::new(),
        },
        now(),
        &mut rng(),
    )
    .unwrap();
    let r = backend_token(
        &t,
        &[
            ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
            ("assertion", &g),
        ],
    )
    .await;
    assert_eq!(r.error(), "invalid_grant");
}

#[tokio::test]
async fn jwt_bearer_needs_the_user_to_allow_it() {
    let t = setup_with(|c| {
        for u in &mut c.users {
            u.jwt_bearer_allowed = false;
        }
    });
    let g = bearer_assertion("alice", TOKEN);
    let r = backend_token(
        &t,
        &[
            ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
            ("assertion", &g),
        ],
    )
    .await;
    assert_eq!(r.error(), "invalid_grant");
}

#[tokio::test]
async fn token_exchange() {
    let t = setup();
    let subject = spa_tokens(&t, "openid profile").await;
    let subject_at = subject.body["access_token"].as_str().unwrap().to_owned();
    let exchange = |extra: Vec<(&'static str, String)>| {
        let st = t.st.clone();
        let key = t.es_key.clone();
        let subject_at = subject_at.clone();
        async move {
            let a = assertion("pkjwt-jwks", TOKEN, &key, Alg::Es256);
            let mut params: Vec<(&str, String)> = vec![
                (
                    "grant_type",
                    "urn:ietf:params:oauth:grant-type:token-exchange".into(),
                ),
                (
                    "client_assertion_type",
                    CLIENT_ASSERTION_TYPE_JWT_BEARER.into(),
                ),
                ("client_assertion", a),
                ("subject_token", subject_at),
                (
                    "subject_token_type",
                    "urn:ietf:params:oauth:token-type:access_token".into(),
                ),
            ];
            params.extend(extra);
            let p: Vec<(&str, &str)> = params.iter().map(|(n, v)| (*n, v.as_str())).collect();
            token(&st, &p, &[]).await
        }
    };
    let r = exchange(vec![
        ("audience", "urn:example:backend".into()),
        ("scope", "openid".into()),
    ])
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        r.body["issued_token_type"],
        "urn:ietf:params:oauth:token-type:access_token"
    );
    assert_eq!(r.body["scope"], "openid");
    let claims = oidckit::jwt::decode(r.body["access_token"].as_str().unwrap()).unwrap();
    assert_eq!(claims["sub"], "alice");
    assert_eq!(claims["client_id"], "pkjwt-jwks");
    assert_eq!(claims["aud"], "urn:example:backend");
    // An actor token adds the RFC 8693 §4.1 act claim.
    let actor = cc_token_web(&t).await;
    let r = exchange(vec![
        ("actor_token", actor),
        (
            "actor_token_type",
            "urn:ietf:params:oauth:token-type:access_token".into(),
        ),
    ])
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let claims = oidckit::jwt::decode(r.body["access_token"].as_str().unwrap()).unwrap();
    assert_eq!(claims["act"], json!({"sub": WEB}));
    let r = exchange(vec![("actor_token", "x".into())]).await;
    assert_eq!(r.error(), "invalid_request");
    // Broader scope than the subject token's.
    let r = exchange(vec![("scope", "openid email".into())]).await;
    assert_eq!(r.error(), "invalid_scope");
    // Unsupported token types.
    let r = exchange(vec![(
        "requested_token_type",
        "urn:ietf:params:oauth:token-type:id_token".into(),
    )])
    .await;
    assert_eq!(r.error(), "invalid_request");
    // An invalid subject token.
    let st = t.st.clone();
    let a = assertion("pkjwt-jwks", TOKEN, &t.es_key, Alg::Es256);
    let r = token(
        &st,
        &[
            (
                "grant_type",
                "urn:ietf:params:oauth:grant-type:token-exchange",
            ),
            ("client_assertion_type", CLIENT_ASSERTION_TYPE_JWT_BEARER),
            ("client_assertion", &a),
            ("subject_token", "not-a-token"),
            (
                "subject_token_type",
                "urn:ietf:params:oauth:token-type:access_token",
            ),
        ],
        &[],
    )
    .await;
    assert_eq!(r.error(), "invalid_grant");
}

// ---- DPoP -----------------------------------------------------------------------------------

#[tokio::test]
async fn dpop_binds_the_access_token() {
    let t = setup();
    let key = Key::generate(Alg::Es256, &mut rng(), GenerateOptions::default()).unwrap();
    let proof = create_proof(
        &DpopProofRequest {
            key: &key,
            alg: None,
            htm: "POST",
            htu: TOKEN,
            access_token: None,
            nonce: None,
        },
        now(),
        &mut rng(),
    )
    .unwrap();
    let auth = basic(WEB, WEB_SECRET);
    let r = token(
        &t.st,
        &[("grant_type", "client_credentials")],
        &[("authorization", &auth), ("dpop", &proof)],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["token_type"], "DPoP");
    let claims = oidckit::jwt::decode(r.body["access_token"].as_str().unwrap()).unwrap();
    let jkt = key
        .thumbprint(oidckit::jwk::ThumbprintHash::Sha256)
        .unwrap();
    assert_eq!(claims["cnf"]["jkt"], jkt.as_str());
    // The same proof again (jti replay), a proof for another URL, garbage.
    let other = create_proof(
        &DpopProofRequest {
            key: &key,
            alg: None,
            htm: "POST",
            htu: "http://127.0.0.1:8080/elsewhere",
            access_token: None,
            nonce: None,
        },
        now(),
        &mut rng(),
    )
    .unwrap();
    for p in [proof.as_str(), other.as_str(), "garbage"] {
        let r = token(
            &t.st,
            &[("grant_type", "client_credentials")],
            &[("authorization", &auth), ("dpop", p)],
        )
        .await;
        assert_eq!(
            (r.status, r.error()),
            (StatusCode::BAD_REQUEST, "invalid_dpop_proof")
        );
    }
}

#[tokio::test]
async fn a_kid_header_matches_a_key_registered_without_kid() {
    let t = setup();
    let with_kid = |client_id: &str, key: &Key, alg: Alg, kid: &str| {
        create_client_assertion(
            &ClientAssertion {
                client_id,
                audience: TOKEN,
                key,
                alg,
                kid: Some(kid),
                x5t: None,
                lifetime: None,
                claims: Object::new(),
            },
            now(),
            &mut rng(),
        )
        .unwrap()
    };
    // The demo backend registered a PEM key (no kid): any kid is fine.
    let a = with_kid(BACKEND, &backend_key(), Alg::Rs256, "my-key-2026");
    let r = token(
        &t.st,
        &[
            ("grant_type", "client_credentials"),
            ("client_assertion_type", CLIENT_ASSERTION_TYPE_JWT_BEARER),
            ("client_assertion", &a),
        ],
        &[],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // A JWKS key with a kid must be named by that kid.
    for (kid, ok) in [("es-1", true), ("es-2", false)] {
        let a = with_kid("pkjwt-jwks", &t.es_key, Alg::Es256, kid);
        let r = token(
            &t.st,
            &[
                ("grant_type", "client_credentials"),
                ("client_assertion_type", CLIENT_ASSERTION_TYPE_JWT_BEARER),
                ("client_assertion", &a),
            ],
            &[],
        )
        .await;
        assert_eq!(r.status == StatusCode::OK, ok, "{kid}: {}", r.body);
    }
}

#[tokio::test]
async fn dpop_bound_codes_and_public_refresh_tokens() {
    let t = setup();
    let key = Key::generate(Alg::Es256, &mut rng(), GenerateOptions::default()).unwrap();
    let jkt = key
        .thumbprint(oidckit::jwk::ThumbprintHash::Sha256)
        .unwrap();
    let proof = |k: &Key| {
        create_proof(
            &DpopProofRequest {
                key: k,
                alg: None,
                htm: "POST",
                htu: TOKEN,
                access_token: None,
                nonce: None,
            },
            now(),
            &mut rng(),
        )
        .unwrap()
    };
    // A code bound to a key (RFC 9449 §10, dpop_jkt): without a proof, refused.
    let challenge = code_challenge_s256(VERIFIER).unwrap();
    let bound_code = |t: &T| {
        let grant =
            t.st.store
                .create_grant(SPA, Some("alice"), None, "openid offline_access", now())
                .unwrap();
        let data = AuthorizationData {
            client_id: SPA.into(),
            username: "alice".into(),
            redirect_uri: SPA_CB.into(),
            scope: "openid offline_access".into(),
            code_challenge: Some(challenge.clone()),
            auth_time: now(),
            dpop_jkt: Some(jkt.clone()),
            ..AuthorizationData::default()
        };
        let code = oidckit_server::tokens::random_handle();
        t.st.store
            .insert_code(&code, &grant, &data, now() + 60)
            .unwrap();
        code
    };
    let code = bound_code(&t);
    let params = |code: &str| {
        vec![
            ("grant_type", "authorization_code".to_owned()),
            ("client_id", SPA.to_owned()),
            ("code", code.to_owned()),
            ("redirect_uri", SPA_CB.to_owned()),
            ("code_verifier", VERIFIER.to_owned()),
        ]
    };
    let p = params(&code);
    let p: Vec<(&str, &str)> = p.iter().map(|(n, v)| (*n, v.as_str())).collect();
    let r = token(&t.st, &p, &[]).await;
    assert_eq!(r.error(), "invalid_grant");
    // With a proof from another key: refused too.
    let other = Key::generate(Alg::Es256, &mut rng(), GenerateOptions::default()).unwrap();
    let code = bound_code(&t);
    let p = params(&code);
    let p: Vec<(&str, &str)> = p.iter().map(|(n, v)| (*n, v.as_str())).collect();
    let r = token(&t.st, &p, &[("dpop", &proof(&other))]).await;
    assert_eq!(r.error(), "invalid_grant");
    // With the right key: a DPoP token and a refresh token bound to that key (public client).
    let code = bound_code(&t);
    let p = params(&code);
    let p: Vec<(&str, &str)> = p.iter().map(|(n, v)| (*n, v.as_str())).collect();
    let r = token(&t.st, &p, &[("dpop", &proof(&key))]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["token_type"], "DPoP");
    let rt = r.body["refresh_token"].as_str().unwrap().to_owned();
    let refresh = [
        ("grant_type", "refresh_token"),
        ("client_id", SPA),
        ("refresh_token", rt.as_str()),
    ];
    let r = token(&t.st, &refresh, &[]).await;
    assert_eq!(r.error(), "invalid_grant");
    let r = token(&t.st, &refresh, &[("dpop", &proof(&key))]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["token_type"], "DPoP");
}

/// The request log names the client even when only an assertion identifies it: the handler
/// hands it to the log middleware as a `LoggedClient` response extension.
#[tokio::test]
async fn the_request_log_learns_assertion_authenticated_clients() {
    use tower::ServiceExt;
    let t = setup();
    let a = assertion(BACKEND, TOKEN, &backend_key(), Alg::Rs256);
    let mut req = Request::builder()
        .method(Method::POST)
        .uri("/token")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(form_urlencode(&[
            ("grant_type", "client_credentials"),
            ("client_assertion_type", CLIENT_ASSERTION_TYPE_JWT_BEARER),
            ("client_assertion", &a),
        ])))
        .unwrap();
    req.extensions_mut()
        .insert(ConnectInfo("127.0.0.1:1".parse::<SocketAddr>().unwrap()));
    let res = router(t.st.clone()).oneshot(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let logged = res
        .extensions()
        .get::<oidckit_server::app::LoggedClient>()
        .expect("the handler names its client");
    assert_eq!(logged.0, BACKEND);
}
