//! Every misbehaviour scenario (`scenario.rs`, `security.md` §4) against the core's relying-party
//! engine, natively, over a real socket: the server runs on 127.0.0.1 (port 0, in-memory
//! store); discovery and the JWKS are fetched over HTTP and processed by
//! `oidckit::oauth::discovery`; tokens minted by the server's own minting path
//! (`claims::mint_id_token`, `tokens::sign_jwt`) are validated by `oidckit::oidc::*`; the error
//! code of each defect must be exactly [`Scenario::expected_rp_error`].
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::BTreeSet;

use oidckit::jws::KeySource;
use oidckit::oauth::callback::validate_authorization_response;
use oidckit::oauth::discovery::{
    DiscoveryOptions, ServerMetadata, discovery_request, process_discovery_response,
};
use oidckit::oauth::http::HttpResponse;
use oidckit::oidc::id_token::{
    Continuity, IdTokenValidation, check_id_token_continuity, validate_id_token,
};
use oidckit::oidc::logout_token::{
    BACKCHANNEL_LOGOUT_EVENT, LogoutTokenValidation, validate_logout_token,
};
use oidckit::oidc::userinfo::{UserinfoValidation, process_userinfo_response};
use oidckit::{Alg, JwkSet, Object};
use oidckit_server::grant::AuthorizationData;
use oidckit_server::scenario::{Scenario, TokenKind};
use oidckit_server::{Config, RunningServer, Settings, Storage, claims, scenario, tokens};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const CLIENT: &str = "oidckit-demo-spa";
const NONCE: &str = "nonce-sent-by-the-rp";
const ACCESS_TOKEN: &str = "the-access-token-from-the-authorization-endpoint";
const CODE: &str = "the-authorization-code";

// ---------------------------------------------------------------------------------------------
// A minimal HTTP/1.1 client (one request per connection).

async fn http(method: &str, url: &str, headers: &[(&str, &str)], body: &[u8]) -> HttpResponse {
    tokio::time::timeout(
        std::time::Duration::from_secs(60),
        http_inner(method, url, headers, body),
    )
    .await
    .expect("an answer within 60 s")
}

async fn http_inner(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> HttpResponse {
    let rest = url.strip_prefix("http://").expect("an http URL");
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let mut stream = TcpStream::connect(authority).await.expect("connect");
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\
         Content-Length: {}\r\n",
        body.len()
    );
    for (n, v) in headers {
        req.push_str(&format!("{n}: {v}\r\n"));
    }
    req.push_str("\r\n");
    let mut bytes = req.into_bytes();
    bytes.extend_from_slice(body);
    stream.write_all(&bytes).await.expect("write");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.expect("read");
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("end of the header section");
    let head = std::str::from_utf8(&raw[..split]).expect("ASCII header section");
    let mut lines = head.split("\r\n");
    let status: u16 = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .expect("a status line");
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    HttpResponse {
        status,
        headers,
        body: raw[split + 4..].to_vec(),
    }
}

async fn get(url: &str) -> HttpResponse {
    http("GET", url, &[("Accept", "application/json")], b"").await
}

async fn post_json(url: &str, body: &Value) -> HttpResponse {
    http(
        "POST",
        url,
        &[("Content-Type", "application/json")],
        body.to_string().as_bytes(),
    )
    .await
}

fn json_body(resp: &HttpResponse) -> Object {
    serde_json::from_slice(&resp.body)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&resp.body)))
}

// ---------------------------------------------------------------------------------------------
// The OP under test and the RP's view of it.

struct Op {
    server: RunningServer,
    issuer: String,
    /// When alice signed in (the same for every ID Token of a test, as for one session).
    auth_time: i64,
}

impl Op {
    async fn start() -> Self {
        let server = oidckit_server::start(Settings {
            config: Config::embedded_default().unwrap(),
            storage: Storage::InMemory,
            port: 0,
        })
        .await
        .unwrap();
        let issuer = server.issuer().to_owned();
        Self {
            server,
            issuer,
            auth_time: oidckit_server::app::now(),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.issuer)
    }

    /// Discovery as the RP does it (OpenID Connect Discovery 1.0 §4), through the core.
    async fn discover(&self) -> oidckit::Result<ServerMetadata> {
        let opts = DiscoveryOptions {
            allow_insecure_loopback: true,
            ..DiscoveryOptions::default()
        };
        let req = discovery_request(&self.issuer, &opts).unwrap();
        let resp = get(&req.url).await;
        process_discovery_response(&self.issuer, &resp, &opts)
    }

    async fn jwks(&self, meta: &ServerMetadata) -> JwkSet {
        let resp = get(meta.jwks_uri().unwrap()).await;
        assert_eq!(resp.status, 200);
        JwkSet::from_json(std::str::from_utf8(&resp.body).unwrap()).unwrap()
    }

    /// Sets the global scenario with the dev switch endpoint.
    async fn switch_global(&self, name: &str) {
        let resp = post_json(&self.url("/scenario"), &json!({ "scenario": name })).await;
        assert_eq!(resp.status, 200, "{}", String::from_utf8_lossy(&resp.body));
        assert_eq!(json_body(&resp)["scenario"], name);
    }

    fn client(&self) -> oidckit_server::config::ClientConfig {
        self.server
            .state
            .store
            .client(CLIENT)
            .unwrap()
            .unwrap()
            .config
    }

    fn alice(&self) -> oidckit_server::config::UserConfig {
        self.server
            .state
            .store
            .user("alice")
            .unwrap()
            .unwrap()
            .config
    }

    /// An ID Token as the token/authorization endpoints mint it, for a request with
    /// `?scenario=<s>` (the request parameter carried in the grant).
    fn mint_id_token(&self, s: Scenario, kind: TokenKind) -> String {
        let now = oidckit_server::app::now();
        let data = AuthorizationData {
            client_id: CLIENT.into(),
            username: "alice".into(),
            redirect_uri: format!("{}/www/callback.html", self.issuer),
            scope: "openid profile".into(),
            nonce: (kind == TokenKind::IdToken).then(|| NONCE.into()),
            auth_time: self.auth_time,
            session_id: Some("sid-1".into()),
            scenario: Some(s.name().into()),
            ..AuthorizationData::default()
        };
        let (at, code) = match kind {
            TokenKind::IdToken => (Some(ACCESS_TOKEN), Some(CODE)),
            _ => (None, None),
        };
        claims::mint_id_token(
            &self.server.state,
            &self.client(),
            &self.alice(),
            &data,
            at,
            code,
            kind,
            now,
        )
        .unwrap()
    }

    fn sign(&self, s: Scenario, kind: TokenKind, claims: Value) -> String {
        let claims: Object = serde_json::from_value(claims).unwrap();
        tokens::sign_jwt(&self.server.state, kind, Alg::Rs256, claims, &s).unwrap()
    }
}

/// The RP's key cache: the JWKS fetched once, refetched once on an unknown `kid` (what
/// jose's remote JWK Set does; rp-key-rotation-op-sign-key).
struct KeyCache {
    set: JwkSet,
    refetches: usize,
}

impl KeyCache {
    async fn new(op: &Op, meta: &ServerMetadata) -> Self {
        Self {
            set: op.jwks(meta).await,
            refetches: 0,
        }
    }

    async fn with_refetch<T>(
        &mut self,
        op: &Op,
        meta: &ServerMetadata,
        f: impl Fn(&JwkSet) -> oidckit::Result<T>,
    ) -> oidckit::Result<T> {
        match f(&self.set) {
            Err(oidckit::Error::JwksNoMatchingKey) => {
                self.set = op.jwks(meta).await;
                self.refetches += 1;
                f(&self.set)
            }
            other => other,
        }
    }
}

fn id_token_validation(op: &Op, now: i64) -> IdTokenValidation {
    IdTokenValidation {
        nonce: Some(NONCE.into()),
        access_token: Some(ACCESS_TOKEN.into()),
        code: Some(CODE.into()),
        // An ID Token next to an access token and a code from the authorization endpoint
        // (`code id_token token`, OpenID Connect Core 1.0 §3.3.2.11).
        require_at_hash: true,
        require_c_hash: true,
        ..IdTokenValidation::new(op.issuer.clone(), CLIENT, now)
    }
}

/// The relying party's ID Token check: the core's `validate_id_token`, plus an `iat` age bound
/// of one day (`jwt::Validation::max_token_age`; FAPI `iat-is-week-in-past`).
fn rp_check_id_token(token: &str, keys: &JwkSet, v: &IdTokenValidation) -> oidckit::Result<Object> {
    let verified = validate_id_token(token, keys, v)?;
    let bound = oidckit::jwt::Validation {
        algorithms: vec![Alg::Rs256],
        max_token_age: Some(86_400),
        ..oidckit::jwt::Validation::new(v.now)
    };
    oidckit::jwt::verify(token, keys, &bound)?;
    Ok(verified.claims)
}

fn code_of<T>(r: &oidckit::Result<T>) -> &'static str {
    match r {
        Ok(_) => "",
        Err(e) => e.code(),
    }
}

/// The scenarios an ID Token from the authorization / token endpoint shows.
fn id_token_scenarios() -> Vec<Scenario> {
    Scenario::VARIANTS
        .iter()
        .copied()
        .filter(|s| {
            !matches!(
                s,
                Scenario::None
                    | Scenario::UserinfoOtherSub
                    | Scenario::DiscoveryIssuerMismatch
                    | Scenario::MissingIssParam
                    | Scenario::WrongIssParam
                    | Scenario::RefreshOtherSub
                    | Scenario::RefreshOtherIss
            ) && !s.name().starts_with("logout-")
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Token-level: tokens minted by the server's minting path, keys and metadata over the socket.

#[tokio::test]
async fn id_token_defects_raise_the_expected_rp_errors() {
    let op = Op::start().await;
    let meta = op.discover().await.unwrap();
    let mut cache = KeyCache::new(&op, &meta).await;
    let mut covered = BTreeSet::new();

    // The baseline passes.
    let now = oidckit_server::app::now();
    let token = op.mint_id_token(Scenario::None, TokenKind::IdToken);
    let claims = rp_check_id_token(&token, &cache.set, &id_token_validation(&op, now)).unwrap();
    assert_eq!(claims["sub"], "alice");

    for s in id_token_scenarios() {
        let token = op.mint_id_token(s, TokenKind::IdToken);
        let now = oidckit_server::app::now();
        let v = id_token_validation(&op, now);
        let before = cache.refetches;
        let result = cache
            .with_refetch(&op, &meta, |keys| rp_check_id_token(&token, keys, &v))
            .await;
        assert_eq!(
            code_of(&result),
            s.expected_rp_error(),
            "{}: {:?}",
            s.name(),
            result.as_ref().err()
        );
        match s {
            // POSITIVE: the RP refetched the JWKS on the unknown kid and accepted.
            Scenario::KeyRotated => assert_eq!(cache.refetches, before + 1),
            Scenario::UnknownKid => assert_eq!(cache.refetches, before + 1),
            Scenario::KidAbsentMulti => {
                let header = oidckit::jws::decode_protected_header(&token).unwrap();
                assert!(header.get("kid").is_none());
            }
            _ => {}
        }
        covered.insert(s.name());
    }
    assert_eq!(covered.len(), 18, "{covered:?}");
}

/// `kid-absent-multi`: with the switch on, the JWKS the RP fetches has two RS256 keys, and the
/// kid-less token verifies by trying each (the core's choice; rejecting is allowed too).
#[tokio::test]
async fn kid_absent_with_several_keys_in_the_jwks() {
    let op = Op::start().await;
    let meta = op.discover().await.unwrap();
    assert_eq!(op.jwks(&meta).await.keys().len(), 1);
    op.switch_global("kid-absent-multi").await;
    let keys = op.jwks(&meta).await;
    assert_eq!(keys.keys().len(), 2);
    assert_eq!(keys.candidates(Alg::Rs256, None).len(), 2);
    // The global switch applies to the client's tokens (no request parameter, no client one).
    let mut data_less = op.mint_id_token(Scenario::None, TokenKind::IdToken);
    let header = oidckit::jws::decode_protected_header(&data_less).unwrap();
    assert!(
        header.get("kid").is_some(),
        "the request's explicit none wins"
    );
    let now = oidckit_server::app::now();
    let state = &op.server.state;
    let global = scenario::resolve(state, &op.client(), None);
    assert_eq!(global, Scenario::KidAbsentMulti);
    data_less = tokens::sign_jwt(
        state,
        TokenKind::IdToken,
        Alg::Rs256,
        serde_json::from_value(json!({
            "iss": op.issuer, "sub": "alice", "aud": CLIENT, "exp": now + 60, "iat": now,
        }))
        .unwrap(),
        &global,
    )
    .unwrap();
    let header = oidckit::jws::decode_protected_header(&data_less).unwrap();
    assert!(header.get("kid").is_none());
    let v = IdTokenValidation::new(op.issuer.clone(), CLIENT, now);
    validate_id_token(&data_less, &keys, &v).unwrap();
    // An RP that insists on a single match refuses instead.
    assert_eq!(
        keys.select(Alg::Rs256, None).unwrap_err().code(),
        "ERR_JWKS_MULTIPLE_MATCHING_KEYS"
    );
}

#[tokio::test]
async fn refreshed_id_token_defects() {
    let op = Op::start().await;
    let meta = op.discover().await.unwrap();
    let keys = op.jwks(&meta).await;
    for s in [Scenario::RefreshOtherSub, Scenario::RefreshOtherIss] {
        let now = oidckit_server::app::now();
        // The first ID Token is sound: refresh-* only touch refreshed ID Tokens.
        let original = op.mint_id_token(s, TokenKind::IdToken);
        let original = rp_check_id_token(&original, &keys, &id_token_validation(&op, now))
            .unwrap_or_else(|e| panic!("{}: the first ID Token failed: {e}", s.name()));
        let refreshed = op.mint_id_token(s, TokenKind::RefreshedIdToken);
        let v = IdTokenValidation::new(op.issuer.clone(), CLIENT, now);
        let result = rp_check_id_token(&refreshed, &keys, &v)
            .and_then(|new| check_id_token_continuity(&original, &new, Continuity::Refresh));
        assert_eq!(code_of(&result), s.expected_rp_error(), "{}", s.name());
    }
    // Without a scenario the refreshed ID Token continues the first one.
    let now = oidckit_server::app::now();
    let original = op.mint_id_token(Scenario::None, TokenKind::IdToken);
    let original = rp_check_id_token(&original, &keys, &id_token_validation(&op, now)).unwrap();
    let refreshed = op.mint_id_token(Scenario::None, TokenKind::RefreshedIdToken);
    let new = rp_check_id_token(
        &refreshed,
        &keys,
        &IdTokenValidation::new(op.issuer.clone(), CLIENT, now),
    )
    .unwrap();
    check_id_token_continuity(&original, &new, Continuity::Refresh).unwrap();
}

#[tokio::test]
async fn logout_token_defects() {
    let op = Op::start().await;
    let meta = op.discover().await.unwrap();
    let mut cache = KeyCache::new(&op, &meta).await;
    let logout: Vec<Scenario> = Scenario::VARIANTS
        .iter()
        .copied()
        .filter(|s| s.name().starts_with("logout-"))
        .collect();
    assert_eq!(logout.len(), 7);
    for s in std::iter::once(Scenario::None).chain(logout) {
        let now = oidckit_server::app::now();
        let token = op.sign(
            s,
            TokenKind::LogoutToken,
            json!({
                "iss": op.issuer, "aud": CLIENT, "iat": now, "exp": now + 120,
                "jti": tokens::random_handle(), "sub": "alice", "sid": "sid-1",
                "events": { BACKCHANNEL_LOGOUT_EVENT: {} },
            }),
        );
        let v = LogoutTokenValidation::new(op.issuer.clone(), CLIENT, now);
        let result = cache
            .with_refetch(&op, &meta, |keys| validate_logout_token(&token, keys, &v))
            .await;
        assert_eq!(code_of(&result), s.expected_rp_error(), "{}", s.name());
    }
    // logout-wrong-alg uses a published key: only the algorithm is wrong. An RP allowing any
    // algorithm of the JWKS would accept it, which is the point of the test.
    let now = oidckit_server::app::now();
    let token = op.sign(
        Scenario::LogoutWrongAlg,
        TokenKind::LogoutToken,
        json!({
            "iss": op.issuer, "aud": CLIENT, "iat": now, "exp": now + 120,
            "jti": "j", "sid": "sid-1", "events": { BACKCHANNEL_LOGOUT_EVENT: {} },
        }),
    );
    let keys = op.jwks(&meta).await;
    let lenient = LogoutTokenValidation {
        algorithms: vec![Alg::Rs256, Alg::Es256],
        ..LogoutTokenValidation::new(op.issuer.clone(), CLIENT, now)
    };
    validate_logout_token(&token, &keys, &lenient).unwrap();
}

#[tokio::test]
async fn userinfo_with_another_sub() {
    let op = Op::start().await;
    let meta = op.discover().await.unwrap();
    let keys = op.jwks(&meta).await;
    let s = Scenario::UserinfoOtherSub;
    let now = oidckit_server::app::now();
    // Plain JSON (the UserInfo endpoint asks the hook for the sub).
    let body = json!({ "sub": s.userinfo_sub("alice"), "name": "Alice" });
    let resp = HttpResponse {
        status: 200,
        headers: vec![("Content-Type".into(), "application/json".into())],
        body: body.to_string().into_bytes(),
    };
    let result = process_userinfo_response(&resp, "alice", None, &UserinfoValidation::new(now));
    assert_eq!(code_of(&result), s.expected_rp_error());
    // Signed UserInfo (OpenID Connect Core 1.0 §5.3.2).
    let jwt = op.sign(
        s,
        TokenKind::UserInfo,
        json!({ "iss": op.issuer, "aud": CLIENT, "sub": "alice" }),
    );
    let resp = HttpResponse {
        status: 200,
        headers: vec![("Content-Type".into(), "application/jwt".into())],
        body: jwt.into_bytes(),
    };
    let v = UserinfoValidation {
        algorithms: vec![Alg::Rs256],
        ..UserinfoValidation::new(now)
    };
    let result = process_userinfo_response(&resp, "alice", Some(&keys as &dyn KeySource), &v);
    assert_eq!(code_of(&result), s.expected_rp_error());
    assert_eq!(Scenario::None.userinfo_sub("alice"), "alice");
}

#[tokio::test]
async fn authorization_response_iss_defects() {
    let op = Op::start().await;
    let meta = op.discover().await.unwrap();
    assert!(meta.authorization_response_iss_parameter_supported());
    for s in [
        Scenario::None,
        Scenario::MissingIssParam,
        Scenario::WrongIssParam,
    ] {
        let mut params = vec![
            ("code".to_owned(), "c".to_owned()),
            ("state".to_owned(), "st".to_owned()),
        ];
        if let Some(iss) = s.authorization_response_iss(&op.issuer) {
            params.push(("iss".into(), iss));
        }
        let result = validate_authorization_response(
            &params,
            "st",
            &op.issuer,
            meta.authorization_response_iss_parameter_supported(),
        );
        assert_eq!(code_of(&result), s.expected_rp_error(), "{}", s.name());
    }
}

/// Discovery is not per client: the global switch serves another `issuer`, over the socket.
#[tokio::test]
async fn discovery_issuer_mismatch_full_flow() {
    let op = Op::start().await;
    op.discover().await.unwrap();
    op.switch_global("discovery-issuer-mismatch").await;
    let s = Scenario::DiscoveryIssuerMismatch;
    let result = op.discover().await;
    assert_eq!(code_of(&result), s.expected_rp_error());
    // Both well-known locations.
    let rfc8414 = get(&op.url("/.well-known/oauth-authorization-server")).await;
    assert_eq!(
        json_body(&rfc8414)["issuer"],
        format!("{}/other-issuer", op.issuer)
    );
    op.switch_global("none").await;
    op.discover().await.unwrap();
}

// ---------------------------------------------------------------------------------------------
// The dev switch endpoint.

#[tokio::test]
async fn scenario_switch_endpoint() {
    let op = Op::start().await;
    let url = op.url("/scenario");

    let resp = get(&url).await;
    assert_eq!(resp.status, 200);
    assert_eq!(resp.header("access-control-allow-origin"), Some("*"));
    let body = json_body(&resp);
    assert_eq!(body["scenario"], "none");
    let list = body["scenarios"].as_array().unwrap();
    assert_eq!(list.len(), Scenario::ALL.len());
    assert_eq!(list[1]["name"], "bad-signature");
    assert_eq!(
        list[1]["expected_rp_error"],
        "ERR_JWS_SIGNATURE_VERIFICATION_FAILED"
    );
    assert!(list[1]["description"].as_str().unwrap().len() > 10);

    // Global switch.
    op.switch_global("wrong-aud").await;
    assert_eq!(json_body(&get(&url).await)["scenario"], "wrong-aud");
    assert_eq!(scenario::global(&op.server.state), Scenario::WrongAud);

    // Per client, JSON; the client's own wins over the global one.
    let resp = post_json(&url, &json!({"scenario": "expired", "client_id": CLIENT})).await;
    assert_eq!(resp.status, 200);
    let body = json_body(&resp);
    assert_eq!(body["scenario"], "expired");
    assert_eq!(body["client_id"], CLIENT);
    assert_eq!(body["effective"], "expired");
    assert_eq!(body["global"], "wrong-aud");
    assert_eq!(op.client().scenario.as_deref(), Some("expired"));
    let body = json_body(&get(&format!("{url}?client_id={CLIENT}")).await);
    assert_eq!(body["scenario"], "expired");

    // Per client, form-encoded; "none" clears the client's own (the global one shows through).
    let resp = http(
        "POST",
        &url,
        &[("Content-Type", "application/x-www-form-urlencoded")],
        format!("scenario=none&client_id={CLIENT}").as_bytes(),
    )
    .await;
    assert_eq!(resp.status, 200);
    let body = json_body(&resp);
    assert_eq!(body["scenario"], "none");
    assert_eq!(body["effective"], "wrong-aud");
    assert_eq!(op.client().scenario, None);

    // Errors: 400 JSON, nothing changed.
    for (body, error) in [
        (json!({"scenario": "no-such-thing"}), "invalid_request"),
        (json!({"client_id": CLIENT}), "invalid_request"),
        (json!({"scenario": 3}), "invalid_request"),
        (
            json!({"scenario": "expired", "client_id": "nobody"}),
            "invalid_client",
        ),
        (
            json!({"scenario": "discovery-issuer-mismatch", "client_id": CLIENT}),
            "invalid_request",
        ),
    ] {
        let resp = post_json(&url, &body).await;
        assert_eq!(resp.status, 400, "{body}");
        assert_eq!(resp.header("content-type"), Some("application/json"));
        assert_eq!(json_body(&resp)["error"], error, "{body}");
    }
    let resp = http(
        "POST",
        &url,
        &[("Content-Type", "application/json")],
        b"{not json",
    )
    .await;
    assert_eq!(resp.status, 400);
    assert_eq!(json_body(&resp)["error"], "invalid_request");
    let resp = get(&format!("{url}?client_id=nobody")).await;
    assert_eq!(resp.status, 400);
    assert_eq!(json_body(&resp)["error"], "invalid_client");
    assert_eq!(json_body(&get(&url).await)["scenario"], "wrong-aud");

    // CORS preflight for the demo RP on another origin.
    let resp = http("OPTIONS", &url, &[("Origin", "http://localhost:3000")], b"").await;
    assert_eq!(resp.status, 204);
    assert_eq!(resp.header("access-control-allow-origin"), Some("*"));
    assert!(
        resp.header("access-control-allow-methods")
            .unwrap()
            .contains("POST")
    );
}

// ---------------------------------------------------------------------------------------------
// Full flows: a browser (cookie jar, login and consent forms) through the authorization
// endpoint, the RP being the core's authorization request builder and response processors.

const PASSWORD: &str = "alice-demo-password";

/// A user agent: keeps cookies, submits the login and consent forms.
#[derive(Default)]
struct Browser {
    cookies: Vec<(String, String)>,
}

fn html_unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The value of `attr="..."` in `tag`.
fn attr(tag: &str, name: &str) -> Option<String> {
    let start = tag.find(&format!("{name}=\""))? + name.len() + 2;
    let len = tag[start..].find('"')?;
    Some(html_unescape(&tag[start..start + len]))
}

/// The first POST form of a page: its action and its hidden inputs.
fn form_of(page: &str) -> (String, Vec<(String, String)>) {
    let start = page.find("<form").expect("a form on the page");
    let end = page[start..].find("</form>").expect("the end of the form") + start;
    let form = &page[start..end];
    let open = &form[..form.find('>').unwrap()];
    assert_eq!(attr(open, "method").as_deref(), Some("post"), "{open}");
    let action = attr(open, "action").expect("a form action");
    let mut fields = Vec::new();
    for piece in form.split("<input").skip(1) {
        let tag = &piece[..piece.find('>').unwrap()];
        if attr(tag, "type").as_deref() == Some("hidden") {
            fields.push((
                attr(tag, "name").unwrap(),
                attr(tag, "value").unwrap_or_default(),
            ));
        }
    }
    (action, fields)
}

impl Browser {
    async fn send(
        &mut self,
        method: &str,
        url: &str,
        form: Option<&[(String, String)]>,
    ) -> HttpResponse {
        let cookie = self
            .cookies
            .iter()
            .map(|(n, v)| format!("{n}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        let mut headers = vec![("Accept", "text/html")];
        if !cookie.is_empty() {
            headers.push(("Cookie", cookie.as_str()));
        }
        let body = form.map(|f| {
            let pairs: Vec<(&str, &str)> =
                f.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
            oidckit::oauth::http::form_urlencode(&pairs)
        });
        if body.is_some() {
            headers.push(("Content-Type", "application/x-www-form-urlencoded"));
        }
        let resp = http(
            method,
            url,
            &headers,
            body.as_deref().unwrap_or("").as_bytes(),
        )
        .await;
        for (name, value) in &resp.headers {
            if !name.eq_ignore_ascii_case("set-cookie") {
                continue;
            }
            let pair = value.split(';').next().unwrap_or("");
            let Some((n, v)) = pair.split_once('=') else {
                continue;
            };
            let (n, v) = (n.trim().to_owned(), v.trim().to_owned());
            self.cookies.retain(|(old, _)| *old != n);
            let expired = value.to_ascii_lowercase().contains("max-age=0");
            if !v.is_empty() && !expired {
                self.cookies.push((n, v));
            }
        }
        resp
    }

    /// Follows the authorization request through login and consent to the redirect back to
    /// `redirect_uri`; returns the `Location`.
    async fn authorize(&mut self, op: &Op, url: &str, redirect_uri: &str) -> String {
        let path = oidckit_server::routes::discovery::issuer_path(&op.issuer);
        let origin = op.issuer.trim_end_matches('/');
        let origin = origin.strip_suffix(path).unwrap_or(origin).to_owned();
        let mut resp = self.send("GET", url, None).await;
        for _ in 0..6 {
            match resp.status {
                302 | 303 => {
                    let location = resp.header("location").expect("a Location").to_owned();
                    if location.starts_with(redirect_uri) {
                        return location;
                    }
                    let next = if location.starts_with('/') {
                        format!("{origin}{location}")
                    } else {
                        location
                    };
                    resp = self.send("GET", &next, None).await;
                }
                200 => {
                    let page = String::from_utf8(resp.body.clone()).unwrap();
                    let (action, mut fields) = form_of(&page);
                    if action.ends_with("/login") {
                        fields.push(("username".into(), "alice".into()));
                        fields.push(("password".into(), PASSWORD.into()));
                    } else if action.ends_with("/consent") {
                        fields.push(("decision".into(), "allow".into()));
                    } else {
                        panic!("unexpected form action {action}");
                    }
                    let target = if action.starts_with('/') {
                        format!("{origin}{action}")
                    } else {
                        action
                    };
                    resp = self.send("POST", &target, Some(&fields)).await;
                }
                other => panic!(
                    "unexpected status {other}: {}",
                    String::from_utf8_lossy(&resp.body)
                ),
            }
        }
        panic!("too many steps before the redirect back");
    }
}

fn rng() -> rand_core::UnwrapErr<getrandom::SysRng> {
    rand_core::UnwrapErr(getrandom::SysRng)
}

/// Starts an authorization with `?scenario=<s>` and runs the browser through it.
async fn front_channel(
    op: &Op,
    browser: &mut Browser,
    meta: &ServerMetadata,
    response_type: &str,
    scope: &str,
    s: Scenario,
) -> (
    oidckit::oauth::authorize::Transaction,
    Vec<(String, String)>,
) {
    use oidckit::oauth::authorize::{AuthorizationRequest, start_authorization};
    use oidckit::oauth::callback::{CallbackInput, parse_callback};
    let redirect_uri = format!("{}/www/callback.html", op.issuer);
    let req = AuthorizationRequest {
        response_type: response_type.into(),
        scope: scope.into(),
        extra: vec![("scenario".into(), s.name().into())],
        ..AuthorizationRequest::new(CLIENT, redirect_uri.clone())
    };
    let (url, tx) = start_authorization(&mut rng(), meta.into(), req).unwrap();
    let location = browser.authorize(op, &url, &redirect_uri).await;
    let input = if response_type == "code" {
        CallbackInput::Query(&location)
    } else {
        CallbackInput::Fragment(&location)
    };
    (tx, parse_callback(input).unwrap())
}

/// Hybrid flow `code id_token token` (OpenID Connect Core 1.0 §3.3): the ID Token, the code and
/// the access token all come from the authorization endpoint, so every ID Token defect,
/// `at_hash` and `c_hash` included, shows without the token endpoint.
#[tokio::test]
async fn id_token_defects_full_hybrid_flow() {
    use oidckit::oauth::callback::validate_authorization_response_for;
    let op = Op::start().await;
    let meta = op.discover().await.unwrap();
    let mut cache = KeyCache::new(&op, &meta).await;
    let mut browser = Browser::default();
    let mut covered = BTreeSet::new();
    for s in std::iter::once(Scenario::None).chain(id_token_scenarios()) {
        let (tx, params) = front_channel(
            &op,
            &mut browser,
            &meta,
            "code id_token token",
            "openid profile",
            s,
        )
        .await;
        let resp = validate_authorization_response_for(
            &params,
            &tx.state,
            tx.expected_issuer.as_deref().unwrap(),
            tx.iss_parameter_supported,
            true,
        )
        .unwrap_or_else(|e| panic!("{}: {e}", s.name()));
        assert_eq!(
            resp.iss.as_deref(),
            Some(op.issuer.as_str()),
            "{}",
            s.name()
        );
        let token = resp.id_token.clone().expect("an id_token");
        let now = oidckit_server::app::now();
        let v = IdTokenValidation {
            nonce: tx.nonce.clone(),
            access_token: resp.access_token.clone(),
            code: resp.code.clone(),
            require_at_hash: true,
            require_c_hash: true,
            ..IdTokenValidation::new(op.issuer.clone(), CLIENT, now)
        };
        let before = cache.refetches;
        let result = cache
            .with_refetch(&op, &meta, |keys| rp_check_id_token(&token, keys, &v))
            .await;
        assert_eq!(
            code_of(&result),
            s.expected_rp_error(),
            "{}: {:?}",
            s.name(),
            result.as_ref().err()
        );
        if matches!(s, Scenario::KeyRotated | Scenario::UnknownKid) {
            assert_eq!(cache.refetches, before + 1, "{}", s.name());
        }
        if s != Scenario::None {
            covered.insert(s.name());
        }
    }
    assert_eq!(covered.len(), 18);
}

/// RFC 9207 `iss` defects in the code flow (no ID Token in the response to stand in for it).
#[tokio::test]
async fn authorization_response_iss_full_flow() {
    use oidckit::oauth::callback::validate_authorization_response_for;
    let op = Op::start().await;
    let meta = op.discover().await.unwrap();
    let mut browser = Browser::default();
    for s in [
        Scenario::None,
        Scenario::MissingIssParam,
        Scenario::WrongIssParam,
    ] {
        let (tx, params) =
            front_channel(&op, &mut browser, &meta, "code", "openid profile", s).await;
        assert!(params.iter().any(|(n, _)| n == "code"), "{}", s.name());
        let result = validate_authorization_response_for(
            &params,
            &tx.state,
            tx.expected_issuer.as_deref().unwrap(),
            tx.iss_parameter_supported,
            false,
        );
        assert_eq!(code_of(&result), s.expected_rp_error(), "{}", s.name());
    }
}

// ---------------------------------------------------------------------------------------------
// Full flows through the token endpoint, UserInfo and back-channel logout.

/// Sends a request built by the core.
async fn send(req: &oidckit::oauth::http::HttpRequest) -> HttpResponse {
    let headers: Vec<(&str, &str)> = req
        .headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let body = req.body.as_deref().unwrap_or("");
    http(req.method.as_str(), &req.url, &headers, body.as_bytes()).await
}

fn public_client() -> oidckit::oauth::client_auth::ClientAuth {
    oidckit::oauth::client_auth::ClientAuth::None {
        client_id: CLIENT.into(),
    }
}

/// Code flow with PKCE (RFC 6749 §4.1, RFC 7636) for `?scenario=<s>`: the front channel, then
/// the token request; returns the transaction, the code and the token response.
async fn code_flow(
    op: &Op,
    browser: &mut Browser,
    meta: &ServerMetadata,
    scope: &str,
    s: Scenario,
) -> (
    oidckit::oauth::authorize::Transaction,
    String,
    oidckit::oauth::token::TokenResponse,
) {
    use oidckit::oauth::callback::validate_authorization_response;
    use oidckit::oauth::http::Endpoint;
    use oidckit::oauth::token::{authorization_code_request, process_token_response};
    let (tx, params) = front_channel(op, browser, meta, "code", scope, s).await;
    let resp =
        validate_authorization_response(&params, &tx.state, &op.issuer, tx.iss_parameter_supported)
            .unwrap();
    let code = resp.code.unwrap();
    let req = authorization_code_request(
        Endpoint::insecure_loopback(meta.token_endpoint().unwrap()),
        &code,
        &tx.redirect_uri,
        tx.code_verifier.as_deref().unwrap(),
        &public_client(),
        oidckit_server::app::now(),
        &mut rng(),
    )
    .unwrap();
    let tokens = process_token_response(&send(&req).await)
        .unwrap_or_else(|e| panic!("{}: token response: {e}", s.name()));
    (tx, code, tokens)
}

/// The code flow's ID Token comes from the token endpoint (OpenID Connect Core 1.0 §3.1.3.7):
/// every ID Token defect but the missing hashes (not required there) shows.
#[tokio::test]
async fn id_token_defects_full_code_flow() {
    let op = Op::start().await;
    let meta = op.discover().await.unwrap();
    let mut cache = KeyCache::new(&op, &meta).await;
    let mut browser = Browser::default();
    let mut covered = BTreeSet::new();
    for s in std::iter::once(Scenario::None).chain(
        id_token_scenarios()
            .into_iter()
            .filter(|s| !matches!(s, Scenario::MissingAtHash | Scenario::MissingCHash)),
    ) {
        let (tx, code, tokens) = code_flow(&op, &mut browser, &meta, "openid profile", s).await;
        let token = tokens.id_token.clone().expect("an id_token");
        let v = IdTokenValidation {
            nonce: tx.nonce.clone(),
            access_token: Some(tokens.access_token.clone()),
            code: Some(code),
            ..IdTokenValidation::new(op.issuer.clone(), CLIENT, oidckit_server::app::now())
        };
        let result = cache
            .with_refetch(&op, &meta, |keys| rp_check_id_token(&token, keys, &v))
            .await;
        assert_eq!(
            code_of(&result),
            s.expected_rp_error(),
            "{}: {:?}",
            s.name(),
            result.as_ref().err()
        );
        if s != Scenario::None {
            covered.insert(s.name());
        }
    }
    assert_eq!(covered.len(), 16);
}

/// Refresh (OpenID Connect Core 1.0 §12): the first ID Token is sound, the refreshed one has
/// another `sub` or `iss`.
#[tokio::test]
async fn refresh_defects_full_flow() {
    use oidckit::oauth::http::Endpoint;
    use oidckit::oauth::token::{process_token_response, refresh_token_request};
    let op = Op::start().await;
    let meta = op.discover().await.unwrap();
    let keys = op.jwks(&meta).await;
    let mut browser = Browser::default();
    for s in [
        Scenario::None,
        Scenario::RefreshOtherSub,
        Scenario::RefreshOtherIss,
    ] {
        let (tx, _, tokens) =
            code_flow(&op, &mut browser, &meta, "openid profile offline_access", s).await;
        let now = oidckit_server::app::now();
        let v = IdTokenValidation {
            nonce: tx.nonce.clone(),
            ..IdTokenValidation::new(op.issuer.clone(), CLIENT, now)
        };
        let original = rp_check_id_token(tokens.id_token.as_deref().unwrap(), &keys, &v)
            .unwrap_or_else(|e| panic!("{}: the first ID Token: {e}", s.name()));
        let refresh_token = tokens.refresh_token.clone().expect("a refresh token");
        let req = refresh_token_request(
            Endpoint::insecure_loopback(meta.token_endpoint().unwrap()),
            &refresh_token,
            None,
            &public_client(),
            now,
            &mut rng(),
        )
        .unwrap();
        let refreshed = process_token_response(&send(&req).await).unwrap();
        let token = refreshed.id_token.expect("a refreshed ID Token");
        let v = IdTokenValidation::new(op.issuer.clone(), CLIENT, now);
        let result = rp_check_id_token(&token, &keys, &v)
            .and_then(|new| check_id_token_continuity(&original, &new, Continuity::Refresh));
        assert_eq!(
            code_of(&result),
            s.expected_rp_error(),
            "{}: {:?}",
            s.name(),
            result.as_ref().err()
        );
    }
}

/// UserInfo (OpenID Connect Core 1.0 §5.3) with the access token of the code flow.
#[tokio::test]
async fn userinfo_other_sub_full_flow() {
    use oidckit::oauth::http::Endpoint;
    use oidckit::oidc::userinfo::userinfo_request;
    let op = Op::start().await;
    let meta = op.discover().await.unwrap();
    let keys = op.jwks(&meta).await;
    let mut browser = Browser::default();
    for s in [Scenario::None, Scenario::UserinfoOtherSub] {
        let (tx, _, tokens) = code_flow(&op, &mut browser, &meta, "openid profile", s).await;
        let now = oidckit_server::app::now();
        let v = IdTokenValidation {
            nonce: tx.nonce.clone(),
            ..IdTokenValidation::new(op.issuer.clone(), CLIENT, now)
        };
        let id = rp_check_id_token(tokens.id_token.as_deref().unwrap(), &keys, &v).unwrap();
        let sub = id["sub"].as_str().unwrap();
        let req = userinfo_request(
            Endpoint::insecure_loopback(meta.userinfo_endpoint().unwrap()),
            &tokens.access_token,
            &tokens.token_type,
        )
        .unwrap();
        let resp = send(&req).await;
        let result = process_userinfo_response(
            &resp,
            sub,
            Some(&keys as &dyn KeySource),
            &UserinfoValidation::new(now),
        );
        assert_eq!(
            code_of(&result),
            s.expected_rp_error(),
            "{}: {:?}",
            s.name(),
            result.as_ref().err()
        );
    }
}

/// A relying party's back-channel logout endpoint: accepts one POST and hands over its body.
async fn logout_receiver() -> (String, tokio::sync::oneshot::Receiver<String>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "http://{}/backchannel-logout",
        listener.local_addr().unwrap()
    );
    let (tx, rx) = tokio::sync::oneshot::channel();
    tokio::spawn(async move {
        let (mut stream, _) = listener.accept().await.unwrap();
        let mut raw = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            let n = stream.read(&mut buf).await.unwrap();
            if n == 0 {
                break;
            }
            raw.extend_from_slice(&buf[..n]);
            if let Some(end) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&raw[..end]).to_ascii_lowercase();
                let len: usize = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .map_or(0, |v| v.trim().parse().unwrap());
                if raw.len() >= end + 4 + len {
                    let body = String::from_utf8(raw[end + 4..end + 4 + len].to_vec()).unwrap();
                    let _ = stream
                        .write_all(
                            b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                        )
                        .await;
                    let _ = tx.send(body);
                    return;
                }
            }
        }
    });
    (url, rx)
}

/// Back-channel logout (OpenID Connect Back-Channel Logout 1.0 §2.5): the client's scenario
/// (set with the switch endpoint), a session ended by RP-initiated logout with an
/// `id_token_hint`, the Logout Token POSTed to the RP and validated by the core.
#[tokio::test]
async fn logout_token_defects_full_flow() {
    use oidckit::oauth::callback::validate_authorization_response_for;
    let op = Op::start().await;
    let meta = op.discover().await.unwrap();
    let mut cache = KeyCache::new(&op, &meta).await;
    let logout: Vec<Scenario> = Scenario::VARIANTS
        .iter()
        .copied()
        .filter(|s| s.name().starts_with("logout-"))
        .collect();
    for s in std::iter::once(Scenario::None).chain(logout) {
        let (receiver, body) = logout_receiver().await;
        let mut client = op.client();
        client.backchannel_logout_uri = Some(receiver);
        op.server
            .state
            .store
            .put_client(&client, "config", oidckit_server::app::now())
            .unwrap();
        let resp = post_json(
            &op.url("/scenario"),
            &json!({"scenario": s.name(), "client_id": CLIENT}),
        )
        .await;
        assert_eq!(resp.status, 200);

        // Sign in (a session with a grant for the client), then log out with the ID Token.
        let mut browser = Browser::default();
        let (tx, params) = front_channel(
            &op,
            &mut browser,
            &meta,
            "code id_token token",
            "openid profile",
            Scenario::None,
        )
        .await;
        let resp = validate_authorization_response_for(
            &params,
            &tx.state,
            &op.issuer,
            tx.iss_parameter_supported,
            true,
        )
        .unwrap();
        let hint = resp.id_token.unwrap();
        let url = format!(
            "{}?{}",
            meta.end_session_endpoint().unwrap(),
            oidckit::oauth::http::form_urlencode(&[("id_token_hint", hint.as_str())])
        );
        let end = browser.send("GET", &url, None).await;
        assert_eq!(end.status, 200, "{}", String::from_utf8_lossy(&end.body));

        let body = tokio::time::timeout(std::time::Duration::from_secs(30), body)
            .await
            .expect("a logout notification")
            .unwrap();
        let form = oidckit::oauth::http::form_decode(&body).unwrap();
        let token = form
            .iter()
            .find(|(n, _)| n == "logout_token")
            .map(|(_, v)| v.clone())
            .expect("a logout_token");
        let v = LogoutTokenValidation::new(op.issuer.clone(), CLIENT, oidckit_server::app::now());
        let result = cache
            .with_refetch(&op, &meta, |keys| validate_logout_token(&token, keys, &v))
            .await;
        assert_eq!(
            code_of(&result),
            s.expected_rp_error(),
            "{}: {:?}",
            s.name(),
            result.as_ref().err()
        );
    }
}

/// `oneshot` (no socket) error paths of the switch: malformed query, non-UTF-8 form body, a
/// wrongly typed member; each a 400 JSON error, never a 500.
#[tokio::test]
async fn scenario_switch_error_paths_oneshot() {
    use axum::body::Body;
    use axum::http::Request;
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let config = Config::embedded_default().unwrap();
    let store = oidckit_server::Store::open(&Storage::InMemory).unwrap();
    let state = std::sync::Arc::new(
        oidckit_server::AppState::new(config, "http://op.test".into(), store, 1000, &mut rng())
            .unwrap(),
    );
    let cases: Vec<(&str, &str, Option<&str>, Vec<u8>)> = vec![
        ("GET", "/scenario?client_id=%zz", None, Vec::new()),
        (
            "POST",
            "/scenario",
            Some("application/x-www-form-urlencoded"),
            vec![b's', b'=', 0xff, 0xfe],
        ),
        (
            "POST",
            "/scenario",
            Some("application/x-www-form-urlencoded"),
            b"scenario=%zz".to_vec(),
        ),
        (
            "POST",
            "/scenario",
            Some("application/json"),
            br#"{"scenario": "none", "client_id": 7}"#.to_vec(),
        ),
        ("POST", "/scenario", None, br#"["none"]"#.to_vec()),
        ("POST", "/scenario", Some("text/plain"), b"none".to_vec()),
    ];
    for (method, uri, content_type, body) in cases {
        let mut req = Request::builder().method(method).uri(uri);
        if let Some(ct) = content_type {
            req = req.header("content-type", ct);
        }
        let res = oidckit_server::router(state.clone())
            .oneshot(req.body(Body::from(body)).unwrap())
            .await
            .unwrap();
        assert_eq!(res.status(), 400, "{method} {uri}");
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        let obj: Object = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(obj["error"], "invalid_request", "{method} {uri}");
    }
    // The discovery document follows the global switch without a socket too.
    scenario::set_global(&state, Scenario::DiscoveryIssuerMismatch).unwrap();
    let res = oidckit_server::router(state.clone())
        .oneshot(
            Request::builder()
                .uri("/.well-known/openid-configuration")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    let obj: Object = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(obj["issuer"], "http://op.test/other-issuer");
    assert_eq!(obj["token_endpoint"], "http://op.test/token");
}
