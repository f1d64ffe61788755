//! `oneshot` tests of the authorization side: the authorization endpoint and its error paths,
//! the login and consent pages with cookies, every response type and mode, PAR (RFC 9126)
//! and request objects (RFC 9101).
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
use oidckit::jwk::GenerateOptions;
use oidckit::oauth::http::{form_decode, form_urlencode};
use oidckit::oidc::id_token::token_hash;
use oidckit::{Alg, JwkSet, Key, Object};
use oidckit_server::{AppState, Config, Storage, Store, router};
use rand_core::UnwrapErr;
use serde_json::{Value, json};

const ISSUER: &str = "http://127.0.0.1:8080";
const SPA: &str = "oidckit-demo-spa";
const SPA_CB: &str = "http://127.0.0.1:8080/www/callback.html";
const WEB: &str = "oidckit-demo-web";
const WEB_CB: &str = "http://localhost:3000/callback";
const NATIVE: &str = "test-native";
const JAR_SECRET: &str = "test-jar-secret-long-enough-for-hs256";
/// An S256 challenge (RFC 7636 Appendix B).
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

struct Test {
    st: Arc<AppState>,
    /// The private key of the `test-jar` client (ES256).
    jar_key: Key,
}

fn setup() -> Test {
    let mut config = Config::embedded_default().unwrap();
    config.server.id_token_signing_alg = "ES256".into();
    let mut rng = UnwrapErr(getrandom::SysRng);
    let mut jar_key = Key::generate(Alg::Es256, &mut rng, GenerateOptions::default()).unwrap();
    jar_key.meta.kid = Some("jar-1".into());
    let mut native = config
        .clients
        .iter()
        .find(|c| c.client_id == SPA)
        .unwrap()
        .clone();
    native.client_id = NATIVE.into();
    native.application_type = Some("native".into());
    native.redirect_uris = vec!["http://127.0.0.1/cb".into(), "http://[::1]/cb".into()];
    native.response_types = vec!["code".into()];
    config.clients.push(native);
    let mut jar = config
        .clients
        .iter()
        .find(|c| c.client_id == WEB)
        .unwrap()
        .clone();
    jar.client_id = "test-jar".into();
    jar.client_secret = Some(oidckit_server::config::Secret::new(JAR_SECRET));
    let mut jwk = jar_key.to_public_jwk().unwrap();
    jwk.insert("kid".into(), "jar-1".into());
    jar.jwks = Some(serde_json::from_value(json!({"keys": [jwk]})).unwrap());
    jar.logo_uri = Some("https://rp.example/logo.png".into());
    jar.policy_uri = Some("https://rp.example/policy".into());
    jar.tos_uri = Some("javascript:alert(1)".into());
    jar.client_name = "JAR <test> app".into();
    config.clients.push(jar);
    let store = Store::open(&Storage::InMemory).unwrap();
    let st =
        Arc::new(AppState::new(config, ISSUER.into(), store, 1_700_000_000, &mut rng).unwrap());
    Test { st, jar_key }
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

    fn location(&self) -> &str {
        self.header("location")
            .unwrap_or_else(|| panic!("no Location: {} {}", self.status, self.body))
    }

    /// The `name=value` of each Set-Cookie.
    fn cookies(&self) -> Vec<(String, String)> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case("set-cookie"))
            .map(|(_, v)| {
                let first = v.split(';').next().unwrap();
                let (n, v) = first.split_once('=').unwrap();
                (n.to_owned(), v.to_owned())
            })
            .collect()
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

fn authorize_url(pairs: &[(&str, &str)]) -> String {
    format!("/authorize?{}", form_urlencode(pairs))
}

/// A code request of the demo SPA with PKCE, plus `extra`.
fn spa(extra: &[(&str, &str)]) -> String {
    let mut p = vec![
        ("client_id", SPA),
        ("redirect_uri", SPA_CB),
        ("response_type", "code"),
        ("scope", "openid profile"),
        ("state", "st-1"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ];
    for (k, v) in extra {
        p.retain(|(n, _)| n != k);
        if !v.is_empty() {
            p.push((k, v));
        }
    }
    authorize_url(&p)
}

fn web(extra: &[(&str, &str)]) -> String {
    let mut p = vec![
        ("client_id", WEB),
        ("redirect_uri", WEB_CB),
        ("response_type", "code"),
        ("scope", "openid email"),
        ("state", "st-w"),
    ];
    for (k, v) in extra {
        p.retain(|(n, _)| n != k);
        if !v.is_empty() {
            p.push((k, v));
        }
    }
    authorize_url(&p)
}

/// The parameters of a redirect's query or fragment.
fn response_params(location: &str) -> Object {
    let part = location
        .split_once('#')
        .map(|(_, f)| f)
        .or_else(|| location.split_once('?').map(|(_, q)| q))
        .unwrap_or("");
    let mut o = Object::new();
    for (k, v) in form_decode(part).unwrap() {
        assert!(
            o.insert(k.clone(), Value::from(v)).is_none(),
            "{k} repeated"
        );
    }
    o
}

/// The hidden inputs of the first form of a page, and its action.
fn form_of(html: &str) -> (String, Vec<(String, String)>) {
    let start = html
        .find("<form")
        .unwrap_or_else(|| panic!("no form: {html}"));
    let form = &html[start..];
    let end = form.find("</form>").unwrap();
    let form = &form[..end];
    let attr = |tag: &str, name: &str| -> Option<String> {
        let key = format!(" {name}=\"");
        let i = tag.find(&key)? + key.len();
        let j = tag[i..].find('"')? + i;
        Some(
            tag[i..j]
                .replace("&quot;", "\"")
                .replace("&#39;", "'")
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&amp;", "&"),
        )
    };
    let open_end = form.find('>').unwrap();
    let action = attr(&form[..open_end], "action").unwrap();
    let mut fields = Vec::new();
    for piece in form.split("<input").skip(1) {
        let tag = &piece[..piece.find('>').unwrap()];
        if tag.contains("type=\"hidden\"") {
            fields.push((attr(tag, "name").unwrap(), attr(tag, "value").unwrap()));
        }
    }
    (action, fields)
}

fn encode(fields: &[(String, String)], extra: &[(&str, &str)]) -> String {
    let mut pairs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    pairs.extend_from_slice(extra);
    form_urlencode(&pairs)
}

/// A signed-in session for `user` (auth_time `auth_time`) with consent to `scope` for
/// `client`: the Cookie header value.
fn session(t: &Test, user: &str, auth_time: i64, consent: Option<(&str, &str)>) -> String {
    let (_, cookie) = t.st.store.create_session(user, auth_time, 86400).unwrap();
    if let Some((client, scope)) = consent {
        t.st.store.remember_consent(user, client, scope).unwrap();
    }
    format!("oidckit_session={cookie}")
}

fn now() -> i64 {
    oidckit_server::app::now()
}

fn verify_id_token(t: &Test, token: &str, aud: &str) -> Object {
    let jwks = JwkSet::from_object(&t.st.keys.read().unwrap().jwks().unwrap()).unwrap();
    let v = oidckit::jwt::Validation {
        issuer: vec![ISSUER.into()],
        audience: vec![aud.into()],
        ..oidckit::jwt::Validation::new(now())
    };
    oidckit::jwt::verify(token, &jwks, &v).unwrap().claims
}

fn assert_error_page(r: &Res, what: &str) {
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{what}: {}", r.body);
    assert!(r.header("location").is_none(), "{what} redirected");
    assert!(r.header("content-type").unwrap().starts_with("text/html"));
    assert!(r.body.contains("Request refused"), "{what}");
}

fn assert_error_redirect(r: &Res, prefix: &str, error: &str, state: Option<&str>) -> Object {
    assert_eq!(r.status, StatusCode::FOUND, "{}", r.body);
    let loc = r.location();
    assert!(loc.starts_with(prefix), "{loc}");
    let p = response_params(loc);
    assert_eq!(p["error"], error, "{loc}");
    assert_eq!(p["iss"], ISSUER, "{loc}");
    match state {
        Some(s) => assert_eq!(p["state"], s),
        None => assert!(p.get("state").is_none()),
    }
    p
}

// ---- errors before the redirect URI is trusted: an HTML page, never a redirect ----------

#[tokio::test]
async fn unknown_or_missing_client_is_an_html_page() {
    let t = setup();
    let r = call(&t.st, Method::GET, &spa(&[("client_id", "nope")]), None, "").await;
    assert_error_page(&r, "unknown client");
    let r = call(&t.st, Method::GET, &spa(&[("client_id", "")]), None, "").await;
    assert_error_page(&r, "missing client");
    let r = call(&t.st, Method::GET, "/authorize?client_id=%zz", None, "").await;
    assert_error_page(&r, "malformed query");
    let r = call(
        &t.st,
        Method::GET,
        &format!("{}&client_id=x", spa(&[])),
        None,
        "",
    )
    .await;
    assert_error_page(&r, "repeated client_id");
}

#[tokio::test]
async fn redirect_uri_is_matched_exactly() {
    let t = setup();
    for bad in [
        "http://localhost:3000/callback/",
        "http://localhost:3000/Callback",
        "HTTP://LOCALHOST:3000/callback",
        "http://user@localhost:3000/callback",
        "http://localhost:3000@evil.example/callback",
        "http://localhost:3000/callback/%2e%2e/callback",
        "http://localhost:3000/x/%2e%2e/callback",
        "http://localhost:3000/callback?extra=1",
        "http://localhost:3001/callback",
        "http://localhost/callback",
        "http://localhost:3000/callback#frag",
        "https://localhost:3000/callback",
        "http://evil.example/callback",
        "",
    ] {
        let r = call(&t.st, Method::GET, &web(&[("redirect_uri", bad)]), None, "").await;
        assert_error_page(&r, bad);
    }
    // The registered one works (the login page).
    let r = call(&t.st, Method::GET, &web(&[]), None, "").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("type=\"password\""));
}

#[tokio::test]
async fn loopback_port_flexibility_only_for_native_clients() {
    let t = setup();
    let native = |uri: &str| {
        authorize_url(&[
            ("client_id", NATIVE),
            ("redirect_uri", uri),
            ("response_type", "code"),
            ("scope", "openid"),
            ("code_challenge", CHALLENGE),
            ("code_challenge_method", "S256"),
        ])
    };
    for ok in [
        "http://127.0.0.1:51004/cb",
        "http://127.0.0.1/cb",
        "http://[::1]:8/cb",
    ] {
        let r = call(&t.st, Method::GET, &native(ok), None, "").await;
        assert_eq!(r.status, StatusCode::OK, "{ok}: {}", r.body);
    }
    for bad in [
        "http://127.0.0.1:51004/cb/",
        "http://127.0.0.1:51004/other",
        "http://localhost:51004/cb",
        "http://127.0.0.1:51004/cb?x",
        "http://x@127.0.0.1:51004/cb",
        "https://127.0.0.1:51004/cb",
    ] {
        let r = call(&t.st, Method::GET, &native(bad), None, "").await;
        assert_error_page(&r, bad);
    }
    // A web client gets no port flexibility on loopback either.
    let r = call(
        &t.st,
        Method::GET,
        &web(&[("redirect_uri", "http://127.0.0.1:3001/callback")]),
        None,
        "",
    )
    .await;
    assert_error_page(&r, "web client, other loopback port");
}

// ---- errors after: a redirect with state and iss ------------------------------------------

#[tokio::test]
async fn pkce_rules() {
    let t = setup();
    let r = call(
        &t.st,
        Method::GET,
        &spa(&[("code_challenge_method", "plain")]),
        None,
        "",
    )
    .await;
    let p = assert_error_redirect(&r, SPA_CB, "invalid_request", Some("st-1"));
    assert!(p["error_description"].as_str().unwrap().contains("S256"));
    let r = call(
        &t.st,
        Method::GET,
        &spa(&[("code_challenge_method", "")]),
        None,
        "",
    )
    .await;
    assert_error_redirect(&r, SPA_CB, "invalid_request", Some("st-1"));
    let r = call(
        &t.st,
        Method::GET,
        &spa(&[("code_challenge", ""), ("code_challenge_method", "")]),
        None,
        "",
    )
    .await;
    let p = assert_error_redirect(&r, SPA_CB, "invalid_request", Some("st-1"));
    assert!(p["error_description"].as_str().unwrap().contains("PKCE"));
    let r = call(
        &t.st,
        Method::GET,
        &spa(&[("code_challenge", "short")]),
        None,
        "",
    )
    .await;
    assert_error_redirect(&r, SPA_CB, "invalid_request", Some("st-1"));
    // A confidential client may omit PKCE.
    let r = call(&t.st, Method::GET, &web(&[]), None, "").await;
    assert_eq!(r.status, StatusCode::OK);
}

#[tokio::test]
async fn prompt_none_without_a_session_is_login_required() {
    let t = setup();
    let r = call(&t.st, Method::GET, &spa(&[("prompt", "none")]), None, "").await;
    assert_error_redirect(&r, SPA_CB, "login_required", Some("st-1"));
    // Without state, none comes back.
    let r = call(
        &t.st,
        Method::GET,
        &spa(&[("prompt", "none"), ("state", "")]),
        None,
        "",
    )
    .await;
    assert_error_redirect(&r, SPA_CB, "login_required", None);
    // With a session but no consent: consent_required.
    let cookie = session(&t, "alice", now(), None);
    let r = call(
        &t.st,
        Method::GET,
        &spa(&[("prompt", "none")]),
        None,
        &cookie,
    )
    .await;
    assert_error_redirect(&r, SPA_CB, "consent_required", Some("st-1"));
    // none with another value.
    let r = call(
        &t.st,
        Method::GET,
        &spa(&[("prompt", "none login")]),
        None,
        "",
    )
    .await;
    assert_error_redirect(&r, SPA_CB, "invalid_request", Some("st-1"));
    let r = call(&t.st, Method::GET, &spa(&[("prompt", "bogus")]), None, "").await;
    assert_error_redirect(&r, SPA_CB, "invalid_request", Some("st-1"));
}

#[tokio::test]
async fn parameter_errors_redirect_with_the_right_code() {
    let t = setup();
    let cases: Vec<(String, &str, &str)> = vec![
        (
            web(&[("response_type", "id_token"), ("nonce", "n")]),
            "unauthorized_client",
            "#",
        ),
        (
            web(&[("response_type", "token")]),
            "unsupported_response_type",
            "?",
        ),
        (web(&[("response_type", "")]), "invalid_request", "?"),
        (web(&[("scope", "openid nope")]), "invalid_scope", "?"),
        (web(&[("response_mode", "jwt")]), "invalid_request", "?"),
        (web(&[("max_age", "-1")]), "invalid_request", "?"),
        (web(&[("claims", "[1]")]), "invalid_request", "?"),
        (
            web(&[("claims", "{\"userinfo\":3}")]),
            "invalid_request",
            "?",
        ),
        (web(&[("resource", "not-absolute")]), "invalid_target", "?"),
        (
            web(&[("resource", "https://api.example/#x")]),
            "invalid_target",
            "?",
        ),
        (web(&[("dpop_jkt", "short")]), "invalid_request", "?"),
        (
            web(&[("scenario", "no-such-scenario")]),
            "invalid_request",
            "?",
        ),
        (
            web(&[("registration", "{}")]),
            "registration_not_supported",
            "?",
        ),
        (format!("{}&state=again", web(&[])), "invalid_request", "?"),
        (
            spa(&[("response_type", "id_token")]),
            "invalid_request",
            "#",
        ), // no nonce
        (
            spa(&[
                ("response_type", "id_token"),
                ("nonce", "n"),
                ("scope", "profile"),
            ]),
            "invalid_scope",
            "#",
        ),
        (
            spa(&[
                ("response_type", "code id_token"),
                ("nonce", "n"),
                ("response_mode", "query"),
            ]),
            "invalid_request",
            "?",
        ),
    ];
    for (url, error, sep) in cases {
        let r = call(&t.st, Method::GET, &url, None, "").await;
        assert_eq!(r.status, StatusCode::FOUND, "{url}: {}", r.body);
        let loc = r.location();
        let base = if url.contains(WEB) { WEB_CB } else { SPA_CB };
        assert!(loc.starts_with(&format!("{base}{sep}")), "{url} -> {loc}");
        let p = response_params(loc);
        assert_eq!(p["error"], error, "{url} -> {loc}");
        assert_eq!(p["iss"], ISSUER);
        // A repeated state is not echoed (which one would be?).
        assert_eq!(
            p.contains_key("state"),
            !url.contains("state=again"),
            "{url}"
        );
    }
}

#[tokio::test]
async fn form_post_errors_and_scenario_without_iss() {
    let t = setup();
    let r = call(
        &t.st,
        Method::GET,
        &spa(&[
            ("response_mode", "form_post"),
            ("prompt", "none"),
            ("state", "a\"<b>"),
        ]),
        None,
        "",
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    let csp = r.header("content-security-policy").unwrap();
    assert!(csp.contains("script-src 'sha256-"), "{csp}");
    assert!(csp.contains(&format!("form-action {SPA_CB}")), "{csp}");
    assert_eq!(r.header("cache-control"), Some("no-store"));
    let (action, fields) = form_of(&r.body);
    assert_eq!(action, SPA_CB);
    let get = |n: &str| fields.iter().find(|(k, _)| k == n).map(|(_, v)| v.as_str());
    assert_eq!(get("error"), Some("login_required"));
    assert_eq!(get("state"), Some("a\"<b>"));
    assert_eq!(get("iss"), Some(ISSUER));
    assert!(!r.body.contains("<b>"), "state not escaped");

    // RFC 9207 defects on request.
    let r = call(
        &t.st,
        Method::GET,
        &spa(&[("prompt", "none"), ("scenario", "missing-iss-param")]),
        None,
        "",
    )
    .await;
    let p = response_params(r.location());
    assert_eq!(p["error"], "login_required");
    assert!(p.get("iss").is_none(), "{p:?}");
    let r = call(
        &t.st,
        Method::GET,
        &spa(&[("prompt", "none"), ("scenario", "wrong-iss-param")]),
        None,
        "",
    )
    .await;
    let p = response_params(r.location());
    assert_ne!(p["iss"], ISSUER);
}

// ---- the login and consent pages ------------------------------------------------------

#[tokio::test]
async fn login_consent_redirect_with_cookies() {
    let t = setup();
    let url = spa(&[("login_hint", "alice"), ("nonce", "n-0")]);
    let r = call(&t.st, Method::GET, &url, None, "").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.header("content-security-policy")
            .unwrap()
            .contains("style-src 'sha256-")
    );
    assert_eq!(r.header("x-frame-options"), Some("DENY"));
    assert!(
        r.body.contains("<label for=\"username\">") && r.body.contains("<label for=\"password\">")
    );
    assert!(r.body.contains("value=\"alice\""), "login_hint prefilled");
    // Browsers apply form-action to the redirect after the post: the client's URI is allowed.
    let csp = r.header("content-security-policy").unwrap();
    assert!(
        csp.contains(&format!("form-action 'self' {SPA_CB};")),
        "{csp}"
    );
    let cookies = r.cookies();
    let (name, browser) = &cookies[0];
    assert_eq!(name, "oidckit_interaction");
    let jar = format!("oidckit_interaction={browser}");
    let set = r.header("set-cookie").unwrap();
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Lax") && set.contains("Path=/"),
        "{set}"
    );
    let (action, fields) = form_of(&r.body);
    assert_eq!(action, "/login");
    assert!(
        fields.iter().any(|(k, _)| k == "interaction") && fields.iter().any(|(k, _)| k == "csrf")
    );

    // Without the browser cookie, or with another CSRF token: refused.
    let body = encode(
        &fields,
        &[("username", "alice"), ("password", "alice-demo-password")],
    );
    let r = call(&t.st, Method::POST, "/login", Some(&body), "").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let forged: Vec<(String, String)> = fields
        .iter()
        .map(|(k, v)| {
            if k == "csrf" {
                (k.clone(), "A".repeat(43))
            } else {
                (k.clone(), v.clone())
            }
        })
        .collect();
    let r = call(
        &t.st,
        Method::POST,
        "/login",
        Some(&encode(
            &forged,
            &[("username", "alice"), ("password", "alice-demo-password")],
        )),
        &jar,
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);

    // A wrong password shows the form again with an error.
    let r = call(
        &t.st,
        Method::POST,
        "/login",
        Some(&encode(
            &fields,
            &[("username", "alice"), ("password", "nope")],
        )),
        &jar,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("role=\"alert\""), "{}", r.body);
    assert!(r.body.contains("type=\"password\""));
    assert!(r.cookies().iter().all(|(n, _)| n != "oidckit_session"));
    let r = call(
        &t.st,
        Method::POST,
        "/login",
        Some(&encode(
            &fields,
            &[("username", "nobody"), ("password", "x")],
        )),
        &jar,
    )
    .await;
    assert!(r.body.contains("role=\"alert\""));

    // The right one: a session cookie and the consent page.
    let r = call(
        &t.st,
        Method::POST,
        "/login",
        Some(&encode(
            &fields,
            &[("username", "alice"), ("password", "alice-demo-password")],
        )),
        &jar,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let session_cookie = r
        .cookies()
        .into_iter()
        .find(|(n, _)| n == "oidckit_session")
        .unwrap()
        .1;
    let set = r
        .headers
        .iter()
        .find(|(n, v)| n == "set-cookie" && v.starts_with("oidckit_session="))
        .unwrap()
        .1
        .clone();
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Lax"),
        "{set}"
    );
    assert!(r.body.contains("Allow access?"));
    assert!(
        r.body
            .contains("Read your name, username, picture and locale"),
        "scope description"
    );
    assert!(r.body.contains("oidckit demo app"));
    let (action, cfields) = form_of(&r.body);
    assert_eq!(action, "/consent");
    assert!(r.body.contains("name=\"decision\" value=\"allow\""));
    let jar = format!("{jar}; oidckit_session={session_cookie}");

    // Allow: the code comes back.
    let r = call(
        &t.st,
        Method::POST,
        "/consent",
        Some(&encode(&cfields, &[("decision", "allow")])),
        &jar,
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let loc = r.location();
    assert!(loc.starts_with(&format!("{SPA_CB}?")), "{loc}");
    let p = response_params(loc);
    assert_eq!(p["state"], "st-1");
    assert_eq!(p["iss"], ISSUER);
    assert_eq!(p["code"].as_str().unwrap().len(), 43);
    // The consent form cannot be posted twice.
    let r = call(
        &t.st,
        Method::POST,
        "/consent",
        Some(&encode(&cfields, &[("decision", "allow")])),
        &jar,
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);

    // Second request with the session: consent remembered, straight back.
    let r = call(&t.st, Method::GET, &spa(&[("state", "st-2")]), None, &jar).await;
    assert_eq!(r.status, StatusCode::FOUND, "{}", r.body);
    let p = response_params(r.location());
    assert_eq!(p["state"], "st-2");
    assert!(p.contains_key("code"));
    // prompt=none works now.
    let r = call(&t.st, Method::GET, &spa(&[("prompt", "none")]), None, &jar).await;
    assert!(response_params(r.location()).contains_key("code"));
    // prompt=consent forces the consent page, prompt=login the login page.
    let r = call(
        &t.st,
        Method::GET,
        &spa(&[("prompt", "consent")]),
        None,
        &jar,
    )
    .await;
    assert!(r.body.contains("Allow access?"));
    let r = call(&t.st, Method::GET, &spa(&[("prompt", "login")]), None, &jar).await;
    assert!(r.body.contains("type=\"password\""));
    // More scope than consented: the consent page again.
    let r = call(
        &t.st,
        Method::GET,
        &spa(&[("scope", "openid profile email")]),
        None,
        &jar,
    )
    .await;
    assert!(r.body.contains("Allow access?"));
}

#[tokio::test]
async fn consent_deny_is_access_denied() {
    let t = setup();
    let cookie = session(&t, "bob", now(), None);
    let r = call(&t.st, Method::GET, &web(&[]), None, &cookie).await;
    assert!(r.body.contains("Allow access?"), "{}", r.body);
    let browser = r
        .cookies()
        .into_iter()
        .find(|(n, _)| n == "oidckit_interaction")
        .unwrap()
        .1;
    let jar = format!("{cookie}; oidckit_interaction={browser}");
    let (_, fields) = form_of(&r.body);
    let r = call(
        &t.st,
        Method::POST,
        "/consent",
        Some(&encode(&fields, &[("decision", "deny")])),
        &jar,
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let p = response_params(r.location());
    assert_eq!(p["error"], "access_denied");
    assert_eq!(p["state"], "st-w");
    assert_eq!(p["iss"], ISSUER);
    assert!(
        !t.st
            .store
            .consent_covers("bob", WEB, "openid email")
            .unwrap()
    );
}

#[tokio::test]
async fn consent_page_shows_client_details_safely() {
    let t = setup();
    let cookie = session(&t, "alice", now(), None);
    let url = authorize_url(&[
        ("client_id", "test-jar"),
        ("redirect_uri", WEB_CB),
        ("response_type", "code"),
        ("scope", "openid email"),
    ]);
    let r = call(&t.st, Method::GET, &url, None, &cookie).await;
    assert!(r.body.contains("JAR &lt;test&gt; app"), "{}", r.body);
    assert!(r.body.contains("src=\"https://rp.example/logo.png\""));
    assert!(r.body.contains("href=\"https://rp.example/policy\""));
    assert!(!r.body.contains("javascript:"), "unsafe tos_uri shown");
    assert!(r.body.contains("Read your email address"));
}

#[tokio::test]
async fn max_age_forces_a_new_login_and_auth_time_is_kept() {
    let t = setup();
    let old = now() - 500;
    let cookie = session(&t, "alice", old, Some((SPA, "openid profile")));
    let r = call(
        &t.st,
        Method::GET,
        &spa(&[("max_age", "100")]),
        None,
        &cookie,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("type=\"password\""));
    let r = call(
        &t.st,
        Method::GET,
        &spa(&[
            ("max_age", "1000"),
            ("response_type", "code id_token"),
            ("nonce", "n"),
            ("response_mode", "fragment"),
        ]),
        None,
        &cookie,
    )
    .await;
    assert_eq!(r.status, StatusCode::FOUND, "{}", r.body);
    let p = response_params(r.location());
    let claims = verify_id_token(&t, p["id_token"].as_str().unwrap(), SPA);
    assert_eq!(claims["auth_time"], old);
}

// ---- response types and modes ---------------------------------------------------------

#[tokio::test]
async fn every_response_type() {
    let t = setup();
    let cookie = session(&t, "alice", now(), Some((SPA, "openid profile email")));
    for rt in [
        "code",
        "id_token",
        "id_token token",
        "code id_token",
        "code token",
        "code id_token token",
    ] {
        let url = spa(&[
            ("response_type", rt),
            ("nonce", "n-1"),
            ("scope", "openid profile"),
        ]);
        let r = call(&t.st, Method::GET, &url, None, &cookie).await;
        assert_eq!(r.status, StatusCode::FOUND, "{rt}: {}", r.body);
        let loc = r.location();
        let sep = if rt == "code" { '?' } else { '#' };
        assert!(loc.starts_with(&format!("{SPA_CB}{sep}")), "{rt}: {loc}");
        let p = response_params(loc);
        assert_eq!(p["state"], "st-1");
        assert_eq!(p["iss"], ISSUER);
        let parts: Vec<&str> = rt.split(' ').collect();
        assert_eq!(p.contains_key("code"), parts.contains(&"code"), "{rt}");
        assert_eq!(
            p.contains_key("access_token"),
            parts.contains(&"token"),
            "{rt}"
        );
        assert_eq!(
            p.contains_key("id_token"),
            parts.contains(&"id_token"),
            "{rt}"
        );
        if parts.contains(&"token") {
            assert_eq!(p["token_type"], "Bearer");
            assert_eq!(p["expires_in"], "3600");
        }
        if let Some(id_token) = p.get("id_token").and_then(Value::as_str) {
            let c = verify_id_token(&t, id_token, SPA);
            assert_eq!(c["nonce"], "n-1");
            assert_eq!(c["sub"], "alice");
            assert!(c.contains_key("sid") && c.contains_key("auth_time"));
            match p.get("code").and_then(Value::as_str) {
                Some(code) => assert_eq!(c["c_hash"], token_hash(Alg::Es256, code).as_str()),
                None => assert!(!c.contains_key("c_hash")),
            }
            match p.get("access_token").and_then(Value::as_str) {
                Some(at) => {
                    assert_eq!(c["at_hash"], token_hash(Alg::Es256, at).as_str());
                    assert!(!c.contains_key("name"), "scope claims go to UserInfo");
                }
                None => {
                    assert!(!c.contains_key("at_hash"));
                    assert_eq!(
                        c["name"], "Alice Liddell",
                        "{rt}: scope claims in the ID Token"
                    );
                }
            }
        }
    }
    // Order of the response type's parts does not matter.
    let r = call(
        &t.st,
        Method::GET,
        &spa(&[("response_type", "id_token code"), ("nonce", "n")]),
        None,
        &cookie,
    )
    .await;
    assert!(response_params(r.location()).contains_key("id_token"));
}

#[tokio::test]
async fn response_modes_and_post_requests() {
    let t = setup();
    let cookie = session(&t, "alice", now(), Some((SPA, "openid profile")));
    let r = call(
        &t.st,
        Method::GET,
        &spa(&[("response_mode", "fragment")]),
        None,
        &cookie,
    )
    .await;
    assert!(
        r.location().starts_with(&format!("{SPA_CB}#code=")),
        "{}",
        r.location()
    );
    let r = call(
        &t.st,
        Method::GET,
        &spa(&[
            ("response_mode", "form_post"),
            ("response_type", "code id_token"),
            ("nonce", "n"),
        ]),
        None,
        &cookie,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    let (action, fields) = form_of(&r.body);
    assert_eq!(action, SPA_CB);
    let names: Vec<&str> = fields.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(names, ["code", "id_token", "state", "iss"]);
    assert!(
        r.body
            .contains("<script>document.forms[0].submit();</script>")
    );
    // POST to the authorization endpoint (OpenID Connect Core 1.0 §3.1.2.1).
    let body = spa(&[]).trim_start_matches("/authorize?").to_owned();
    let r = call(&t.st, Method::POST, "/authorize", Some(&body), &cookie).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(response_params(r.location()).contains_key("code"));
}

#[tokio::test]
async fn the_code_carries_the_request() {
    let t = setup();
    let cookie = session(&t, "alice", now(), Some((SPA, "openid profile")));
    let claims = r#"{"userinfo":{"email":null}}"#;
    let r = call(
        &t.st,
        Method::GET,
        &spa(&[
            ("nonce", "n-9"),
            ("claims", claims),
            ("resource", "https://api.example/"),
            ("dpop_jkt", &"a".repeat(43)),
            ("scenario", "none"),
        ]),
        None,
        &cookie,
    )
    .await;
    let p = response_params(r.location());
    let (_, data) =
        t.st.store
            .consume_code(p["code"].as_str().unwrap(), now())
            .unwrap()
            .unwrap();
    assert_eq!(data.client_id, SPA);
    assert_eq!(data.username, "alice");
    assert_eq!(data.redirect_uri, SPA_CB);
    assert_eq!(data.scope, "openid profile");
    assert_eq!(data.nonce.as_deref(), Some("n-9"));
    assert_eq!(data.code_challenge.as_deref(), Some(CHALLENGE));
    assert_eq!(data.claims.unwrap()["userinfo"], json!({"email": null}));
    assert_eq!(data.resource, ["https://api.example/"]);
    assert_eq!(data.dpop_jkt.as_deref(), Some("a".repeat(43).as_str()));
    assert_eq!(data.scenario.as_deref(), Some("none"));
    assert!(data.session_id.is_some());
    // Unknown scopes dropped when the server allows them; offline_access kept with a code.
    let r = call(
        &t.st,
        Method::GET,
        &spa(&[("scope", "openid offline_access")]),
        None,
        &cookie,
    )
    .await;
    assert!(r.body.contains("Allow access?"));
}

// ---- PAR and request objects ----------------------------------------------------------

fn basic(id: &str, secret: &str) -> String {
    use base64::Engine as _;
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"))
    )
}

async fn par(t: &Test, auth: Option<&str>, body: &str) -> Res {
    use tower::ServiceExt;
    let mut req = Request::builder()
        .method(Method::POST)
        .uri("/par")
        .header("content-type", "application/x-www-form-urlencoded");
    if let Some(a) = auth {
        req = req.header("authorization", a);
    }
    let res = router(t.st.clone())
        .oneshot(req.body(Body::from(body.to_owned())).unwrap())
        .await
        .unwrap();
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

#[tokio::test]
async fn pushed_authorization_requests() {
    let t = setup();
    let auth = basic(WEB, "oidckit-demo-web-secret");
    let body = web(&[("state", "pushed")])
        .trim_start_matches("/authorize?")
        .to_owned();
    let r = par(&t, Some(&auth), &body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.header("cache-control"), Some("no-store"));
    let j: Object = serde_json::from_str(&r.body).unwrap();
    assert_eq!(j["expires_in"], 60);
    let uri = j["request_uri"].as_str().unwrap();
    assert!(uri.starts_with("urn:ietf:params:oauth:request_uri:"));

    let cookie = session(&t, "alice", now(), Some((WEB, "openid email")));
    let url = authorize_url(&[("client_id", WEB), ("request_uri", uri)]);
    let r = call(&t.st, Method::GET, &url, None, &cookie).await;
    assert_eq!(r.status, StatusCode::FOUND, "{}", r.body);
    let p = response_params(r.location());
    assert_eq!(p["state"], "pushed");
    assert!(p.contains_key("code"));
    // Single use.
    let r = call(&t.st, Method::GET, &url, None, &cookie).await;
    assert_error_page(&r, "reused request_uri");
    assert!(r.body.contains("invalid_request_uri"));
    // Another client cannot use it either (fresh push).
    let r = par(&t, Some(&auth), &body).await;
    let j: Object = serde_json::from_str(&r.body).unwrap();
    let url = spa(&[("request_uri", j["request_uri"].as_str().unwrap())]);
    let r = call(&t.st, Method::GET, &url, None, &cookie).await;
    let p = response_params(r.location());
    assert_eq!(p["error"], "invalid_request_uri");

    // Unauthenticated, invalid, or pushing request_uri: JSON errors.
    let r = par(&t, None, &body).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.body);
    let r = par(&t, Some(&basic(WEB, "wrong")), &body).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let bad = web(&[("redirect_uri", "http://localhost:3000/callback/")])
        .trim_start_matches("/authorize?")
        .to_owned();
    let r = par(&t, Some(&auth), &bad).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let j: Object = serde_json::from_str(&r.body).unwrap();
    assert_eq!(j["error"], "invalid_request");
    let r = par(&t, Some(&auth), &format!("{body}&request_uri=urn%3Ax")).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let plain = web(&[
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "plain"),
    ])
    .trim_start_matches("/authorize?")
    .to_owned();
    let r = par(&t, Some(&auth), &plain).await;
    assert_eq!(
        serde_json::from_str::<Object>(&r.body).unwrap()["error"],
        "invalid_request"
    );
    // A public client pushes with its client_id (auth method none).
    let r = par(&t, None, spa(&[]).trim_start_matches("/authorize?")).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
}

fn sign(claims: Value, key: &Key, alg: &str, kid: Option<&str>) -> String {
    let mut header = json!({"alg": alg, "typ": "oauth-authz-req+jwt"});
    if let Some(k) = kid {
        header["kid"] = k.into();
    }
    let mut rng = UnwrapErr(getrandom::SysRng);
    oidckit::jwt::sign(
        &serde_json::from_value(header).unwrap(),
        &serde_json::from_value(claims).unwrap(),
        key,
        &mut rng,
    )
    .unwrap()
}

#[tokio::test]
async fn request_objects_by_value() {
    let t = setup();
    let cookie = session(&t, "alice", now(), Some(("test-jar", "openid email")));
    let claims = json!({
        "iss": "test-jar", "aud": ISSUER, "client_id": "test-jar", "exp": now() + 60,
        "redirect_uri": WEB_CB, "response_type": "code", "scope": "openid email",
        "state": "signed", "max_age": 3600, "claims": {"id_token": {"email": null}}
    });
    let jwt = sign(claims.clone(), &t.jar_key, "ES256", Some("jar-1"));
    // Outer parameters other than client_id are ignored (RFC 9101 §6.3).
    let url = authorize_url(&[
        ("client_id", "test-jar"),
        ("request", &jwt),
        ("state", "outer"),
    ]);
    let r = call(&t.st, Method::GET, &url, None, &cookie).await;
    assert_eq!(r.status, StatusCode::FOUND, "{}", r.body);
    let p = response_params(r.location());
    assert_eq!(p["state"], "signed");
    let (_, data) =
        t.st.store
            .consume_code(p["code"].as_str().unwrap(), now())
            .unwrap()
            .unwrap();
    assert!(data.max_age_requested);
    assert!(data.claims.is_some());

    // HS256 with the client secret.
    let secret = Key::from_secret(JAR_SECRET.as_bytes(), Some(Alg::Hs256)).unwrap();
    let jwt = sign(claims.clone(), &secret, "HS256", None);
    let r = call(
        &t.st,
        Method::GET,
        &authorize_url(&[("client_id", "test-jar"), ("request", &jwt)]),
        None,
        &cookie,
    )
    .await;
    assert!(
        response_params(r.location()).contains_key("code"),
        "{}",
        r.location()
    );

    // Refused: alg none, another key, expired, wrong aud, other client_id. With a registered
    // outer redirect_uri the error goes there; without, an HTML page.
    let none = format!(
        "{}.{}.",
        oidckit::b64::encode(br#"{"alg":"none"}"#),
        oidckit::b64::encode(claims.to_string())
    );
    let mut rng = UnwrapErr(getrandom::SysRng);
    let other = Key::generate(Alg::Es256, &mut rng, GenerateOptions::default()).unwrap();
    let mut expired = claims.clone();
    expired["exp"] = (now() - 3600).into();
    let mut wrong_aud = claims.clone();
    wrong_aud["aud"] = "https://other.example".into();
    let mut other_client = claims.clone();
    other_client["client_id"] = WEB.into();
    for (what, jwt) in [
        ("alg none", none),
        (
            "other key",
            sign(claims.clone(), &other, "ES256", Some("jar-1")),
        ),
        ("expired", sign(expired, &t.jar_key, "ES256", Some("jar-1"))),
        (
            "wrong aud",
            sign(wrong_aud, &t.jar_key, "ES256", Some("jar-1")),
        ),
        (
            "other client_id",
            sign(other_client, &t.jar_key, "ES256", Some("jar-1")),
        ),
        ("garbage", "x.y.z".to_owned()),
    ] {
        let url = authorize_url(&[
            ("client_id", "test-jar"),
            ("request", &jwt),
            ("redirect_uri", WEB_CB),
            ("state", "o"),
        ]);
        let r = call(&t.st, Method::GET, &url, None, &cookie).await;
        assert_eq!(r.status, StatusCode::FOUND, "{what}: {}", r.body);
        let p = response_params(r.location());
        assert_eq!(p["error"], "invalid_request_object", "{what}");
        assert_eq!(p["state"], "o");
        let url = authorize_url(&[("client_id", "test-jar"), ("request", &jwt)]);
        let r = call(&t.st, Method::GET, &url, None, &cookie).await;
        assert_error_page(&r, what);
    }
    // Both request and request_uri.
    let url = authorize_url(&[
        ("client_id", "test-jar"),
        ("request", "a"),
        ("request_uri", "urn:x"),
    ]);
    let r = call(&t.st, Method::GET, &url, None, &cookie).await;
    assert_error_page(&r, "request and request_uri");
}

#[tokio::test]
async fn request_objects_by_reference_over_http() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let t = setup();
    let cookie = session(&t, "alice", now(), Some(("test-jar", "openid")));
    let jwt = sign(
        json!({"iss": "test-jar", "aud": ISSUER, "client_id": "test-jar", "redirect_uri": WEB_CB,
               "response_type": "code", "scope": "openid", "state": "by-ref"}),
        &t.jar_key,
        "ES256",
        Some("jar-1"),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf).await;
            let resp = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/oauth-authz-req+jwt\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{jwt}",
                jwt.len()
            );
            let _ = s.write_all(resp.as_bytes()).await;
        }
    });
    let url = authorize_url(&[
        ("client_id", "test-jar"),
        ("request_uri", &format!("http://{addr}/ro")),
    ]);
    let r = call(&t.st, Method::GET, &url, None, &cookie).await;
    assert_eq!(r.status, StatusCode::FOUND, "{}", r.body);
    assert_eq!(response_params(r.location())["state"], "by-ref");
    // https is not fetched by the dev server; nothing listening: invalid_request_uri.
    let url = authorize_url(&[
        ("client_id", "test-jar"),
        ("request_uri", "https://127.0.0.1:1/ro"),
        ("redirect_uri", WEB_CB),
    ]);
    let r = call(&t.st, Method::GET, &url, None, &cookie).await;
    assert_eq!(
        response_params(r.location())["error"],
        "invalid_request_uri"
    );
}

#[tokio::test]
async fn dpop_proofs_at_par_bind_the_code() {
    use oidckit::oauth::dpop::{DpopProofRequest, create_proof};
    use tower::ServiceExt;
    let t = setup();
    let mut rng = UnwrapErr(getrandom::SysRng);
    let key = Key::generate(Alg::Es256, &mut rng, GenerateOptions::default()).unwrap();
    let proof = |htu: &str| {
        create_proof(
            &DpopProofRequest {
                key: &key,
                alg: None,
                htm: "POST",
                htu,
                access_token: None,
                nonce: None,
            },
            now(),
            &mut UnwrapErr(getrandom::SysRng),
        )
        .unwrap()
    };
    let send = |proof: String, body: String| {
        let st = t.st.clone();
        async move {
            let req = Request::builder()
                .method(Method::POST)
                .uri("/par")
                .header("content-type", "application/x-www-form-urlencoded")
                .header("authorization", basic(WEB, "oidckit-demo-web-secret"))
                .header("dpop", proof)
                .body(Body::from(body))
                .unwrap();
            let res = router(st).oneshot(req).await.unwrap();
            let status = res.status();
            let body = res.into_body().collect().await.unwrap().to_bytes();
            (status, serde_json::from_slice::<Object>(&body).unwrap())
        }
    };
    let body = web(&[]).trim_start_matches("/authorize?").to_owned();
    let p = proof("http://127.0.0.1:8080/par");
    let (status, j) = send(p.clone(), body.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{j:?}");
    // Replayed proof, proof for another URL, mismatching dpop_jkt: refused.
    let (status, j) = send(p, body.clone()).await;
    assert_eq!(
        (status, j["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_dpop_proof"))
    );
    let (_, j2) = send(proof("http://127.0.0.1:8080/token"), body.clone()).await;
    assert_eq!(j2["error"], "invalid_dpop_proof");
    let (_, j3) = send(
        proof("http://127.0.0.1:8080/par"),
        format!("{body}&dpop_jkt={}", "b".repeat(43)),
    )
    .await;
    assert_eq!(j3["error"], "invalid_request");

    let cookie = session(&t, "alice", now(), Some((WEB, "openid email")));
    let (_, j) = send(proof("http://127.0.0.1:8080/par"), body.clone()).await;
    let url = authorize_url(&[
        ("client_id", WEB),
        ("request_uri", j["request_uri"].as_str().unwrap()),
    ]);
    let r = call(&t.st, Method::GET, &url, None, &cookie).await;
    let p = response_params(r.location());
    let (_, data) =
        t.st.store
            .consume_code(p["code"].as_str().unwrap(), now())
            .unwrap()
            .unwrap();
    let jkt = key
        .thumbprint(oidckit::jwk::ThumbprintHash::Sha256)
        .unwrap();
    assert_eq!(data.dpop_jkt.as_deref(), Some(jkt.as_str()));
}

#[tokio::test]
async fn cancel_on_the_login_page_and_max_age_zero() {
    let t = setup();
    let r = call(&t.st, Method::GET, &web(&[]), None, "").await;
    assert!(r.body.contains("name=\"cancel\""));
    // Sign in is the first submit button (the one Enter presses).
    assert!(r.body.find(">Sign in</button>").unwrap() < r.body.find(">Cancel</button>").unwrap());
    let browser = r
        .cookies()
        .into_iter()
        .find(|(n, _)| n == "oidckit_interaction")
        .unwrap()
        .1;
    let (_, fields) = form_of(&r.body);
    let r = call(
        &t.st,
        Method::POST,
        "/login",
        Some(&encode(
            &fields,
            &[("username", ""), ("password", ""), ("cancel", "1")],
        )),
        &format!("oidckit_interaction={browser}"),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let p = response_params(r.location());
    assert_eq!(p["error"], "access_denied");
    assert_eq!(p["state"], "st-w");

    // max_age=0 always asks for the password again, even for a brand-new session.
    let cookie = session(&t, "alice", now(), Some((WEB, "openid email")));
    let r = call(&t.st, Method::GET, &web(&[("max_age", "0")]), None, &cookie).await;
    assert!(r.body.contains("type=\"password\""));
    let r = call(
        &t.st,
        Method::GET,
        &web(&[("max_age", "0"), ("prompt", "none")]),
        None,
        &cookie,
    )
    .await;
    assert_eq!(response_params(r.location())["error"], "login_required");
}

/// Drives the login page of `url` with `cookie` as `user`: the response to the login post.
async fn sign_in(t: &Test, url: &str, cookie: &str, user: &str, password: &str) -> Res {
    let r = call(&t.st, Method::GET, url, None, cookie).await;
    assert!(r.body.contains("type=\"password\""), "{}", r.body);
    let browser = r
        .cookies()
        .into_iter()
        .find(|(n, _)| n == "oidckit_interaction")
        .unwrap()
        .1;
    let (_, fields) = form_of(&r.body);
    call(
        &t.st,
        Method::POST,
        "/login",
        Some(&encode(
            &fields,
            &[("username", user), ("password", password)],
        )),
        &format!("{cookie}; oidckit_interaction={browser}"),
    )
    .await
}

#[tokio::test]
async fn reauthentication_keeps_the_session_another_user_replaces_it() {
    let t = setup();
    let old = now() - 1000;
    let (alice_session, alice_cookie) = t.st.store.create_session("alice", old, 86400).unwrap();
    t.st.store
        .remember_consent("alice", SPA, "openid profile")
        .unwrap();
    t.st.store
        .remember_consent("bob", SPA, "openid profile")
        .unwrap();
    let cookie = format!("oidckit_session={alice_cookie}");
    // prompt=login as alice: same sid, new auth_time, no new session cookie value.
    let r = sign_in(
        &t,
        &spa(&[
            ("prompt", "login"),
            ("response_type", "code id_token"),
            ("nonce", "n"),
            ("response_mode", "fragment"),
        ]),
        &cookie,
        "alice",
        "alice-demo-password",
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let p = response_params(r.location());
    let c = verify_id_token(&t, p["id_token"].as_str().unwrap(), SPA);
    assert_eq!(c["sid"], alice_session.id.as_str());
    assert!(c["auth_time"].as_i64().unwrap() >= now() - 5);
    let s =
        t.st.store
            .session(&alice_session.id, now())
            .unwrap()
            .unwrap();
    assert!(s.auth_time > old);

    // Signing in as bob in the same browser ends alice's session.
    let r = sign_in(
        &t,
        &spa(&[("prompt", "login")]),
        &cookie,
        "bob",
        "bob-demo-password",
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(t.st.store.session(&alice_session.id, now()).unwrap(), None);
    let bob_cookie = r
        .cookies()
        .into_iter()
        .find(|(n, _)| n == "oidckit_session")
        .unwrap()
        .1;
    assert_ne!(bob_cookie, alice_cookie);
    assert_eq!(
        t.st.store
            .session_by_cookie(&bob_cookie, now())
            .unwrap()
            .unwrap()
            .username,
        "bob"
    );
}

#[tokio::test]
async fn default_scope_and_unsupported_scopes() {
    let t = setup();
    let cookie = session(&t, "alice", now(), None);
    // No scope: the client's default scope (RFC 6749 §3.3), listed on the consent page.
    let r = call(&t.st, Method::GET, &spa(&[("scope", "")]), None, &cookie).await;
    for s in ["openid", "profile", "email", "offline_access", "api:read"] {
        assert!(r.body.contains(&format!("<code>{s}</code>")), "{s}");
    }
    // allow_unsupported_scope: unknown scopes are dropped instead of refused.
    let mut config = t.st.config.clone();
    config.server.allow_unsupported_scope = true;
    let store = Store::open(&Storage::InMemory).unwrap();
    let mut rng = UnwrapErr(getrandom::SysRng);
    let st =
        Arc::new(AppState::new(config, ISSUER.into(), store, 1_700_000_000, &mut rng).unwrap());
    let (_, c) = st.store.create_session("alice", now(), 86400).unwrap();
    st.store.remember_consent("alice", SPA, "openid").unwrap();
    let r = call(
        &st,
        Method::GET,
        &spa(&[("scope", "openid unknown:thing")]),
        None,
        &format!("oidckit_session={c}"),
    )
    .await;
    let p = response_params(r.location());
    let (_, data) = st
        .store
        .consume_code(p["code"].as_str().unwrap(), now())
        .unwrap()
        .unwrap();
    assert_eq!(data.scope, "openid");
}

#[tokio::test]
async fn a_session_of_a_deleted_user_is_no_session() {
    let t = setup();
    let cookie = session(&t, "bob", now(), Some((SPA, "openid profile")));
    let r = call(&t.st, Method::GET, &spa(&[]), None, &cookie).await;
    assert_eq!(r.status, StatusCode::FOUND);
    assert!(t.st.store.delete_user("bob").unwrap());
    let r = call(
        &t.st,
        Method::GET,
        &spa(&[("prompt", "none")]),
        None,
        &cookie,
    )
    .await;
    assert_eq!(response_params(r.location())["error"], "login_required");
    let r = call(&t.st, Method::GET, &spa(&[]), None, &cookie).await;
    assert!(r.body.contains("type=\"password\""));
}

#[tokio::test]
async fn response_types_of_disabled_grant_types_are_unsupported() {
    let t = setup();
    let mut config = t.st.config.clone();
    config.server.grant_types_supported = vec!["authorization_code".into(), "refresh_token".into()];
    let store = Store::open(&Storage::InMemory).unwrap();
    let mut rng = UnwrapErr(getrandom::SysRng);
    let st =
        Arc::new(AppState::new(config, ISSUER.into(), store, 1_700_000_000, &mut rng).unwrap());
    for rt in ["id_token", "code id_token", "code token", "id_token token"] {
        let r = call(
            &st,
            Method::GET,
            &spa(&[("response_type", rt), ("nonce", "n")]),
            None,
            "",
        )
        .await;
        assert_eq!(
            response_params(r.location())["error"],
            "unsupported_response_type",
            "{rt}"
        );
    }
    let r = call(&st, Method::GET, &spa(&[]), None, "").await;
    assert_eq!(r.status, StatusCode::OK);
}

#[tokio::test]
async fn malformed_input_never_answers_500() {
    let t = setup();
    let cookie = session(&t, "alice", now(), Some((SPA, "openid profile")));
    let nasty = [
        "%",
        "%zz",
        "%ff%fe",
        "a=%C3%28",
        "&&&",
        "=",
        "client_id",
        "client_id=&redirect_uri=",
        "claims=%7B%7B",
        "max_age=99999999999999999999",
        "request=...",
        "request=a.b.c",
        "request_uri=urn%3Aietf%3Aparams%3Aoauth%3Arequest_uri%3A",
        "request_uri=http%3A%2F%2F127.0.0.1%3A1%2F",
        "prompt=%00",
        "state=%0d%0aSet-Cookie%3A%20x",
        "response_mode=form_post&state=%3Cscript%3E",
        "id_token_hint=a.b.c",
        "id_token_hint=eyJhbGciOiJub25lIn0.e30.",
        "interaction=x&csrf=y",
        "interaction=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA&csrf=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "decision=allow",
        "username=%00&password=%00",
    ];
    let base = spa(&[]).trim_start_matches("/authorize?").to_owned();
    for q in nasty {
        for (method, path) in [
            (Method::GET, "/authorize"),
            (Method::POST, "/authorize"),
            (Method::POST, "/login"),
            (Method::POST, "/consent"),
            (Method::POST, "/par"),
            (Method::GET, "/end-session"),
            (Method::POST, "/end-session"),
        ] {
            for query in [q.to_owned(), format!("{base}&{q}")] {
                let (uri, body) = if method == Method::GET {
                    (format!("{path}?{query}"), None)
                } else {
                    (path.to_owned(), Some(query.as_str()))
                };
                for c in ["", cookie.as_str()] {
                    let r = call(&t.st, method.clone(), &uri, body, c).await;
                    assert!(
                        r.status.as_u16() < 500,
                        "{method} {uri} {body:?}: {} {}",
                        r.status,
                        r.body
                    );
                }
            }
        }
    }
    // A body that is not form data, and a form without a content type.
    for path in ["/authorize", "/login", "/consent", "/par", "/end-session"] {
        use tower::ServiceExt;
        for ct in [
            None,
            Some("application/json"),
            Some("text/plain; charset=utf-8"),
        ] {
            let mut req = Request::builder().method(Method::POST).uri(path);
            if let Some(ct) = ct {
                req = req.header("content-type", ct);
            }
            let res = router(t.st.clone())
                .oneshot(req.body(Body::from(vec![0xff, 0xfe, b'{'])).unwrap())
                .await
                .unwrap();
            assert!(
                res.status().as_u16() < 500,
                "{path} {ct:?}: {}",
                res.status()
            );
        }
    }
}
