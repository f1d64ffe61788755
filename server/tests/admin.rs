//! The admin page (`/admin`), through `oneshot`: sign-in, CSRF, clients, users, keys (live
//! rotation with grace), grants; escaping and validation errors.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use oidckit::{Alg, JwkSet};
use oidckit_server::config::Secret;
use oidckit_server::{AppState, Config, ServeOptions, Storage, Store, router};
use rand_core::UnwrapErr;

const ISSUER: &str = "http://127.0.0.1:8080";
const PW: &str = "test-admin-password";

fn state_with(options: ServeOptions) -> Arc<AppState> {
    let mut config = Config::embedded_default().unwrap();
    config.server.id_token_signing_alg = "ES256".into();
    let store = Store::open(&Storage::InMemory).unwrap();
    let mut rng = UnwrapErr(getrandom::SysRng);
    Arc::new(
        AppState::with_options(
            config,
            ISSUER.into(),
            store,
            oidckit_server::app::now(),
            &mut rng,
            &options,
        )
        .unwrap(),
    )
}

fn state() -> Arc<AppState> {
    state_with(ServeOptions {
        admin_password: Some(Secret::new(PW)),
        ..ServeOptions::default()
    })
}

struct Resp {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: String,
}

impl Resp {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

async fn send(st: &Arc<AppState>, req: Request<Body>) -> Resp {
    use tower::ServiceExt;
    let res = router(st.clone()).oneshot(req).await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let body = res.into_body().collect().await.unwrap().to_bytes().to_vec();
    Resp {
        status,
        headers,
        body: String::from_utf8(body).unwrap(),
    }
}

async fn get(st: &Arc<AppState>, path: &str, cookie: Option<&str>) -> Resp {
    let mut b = Request::builder().method(Method::GET).uri(path);
    if let Some(c) = cookie {
        b = b.header(header::COOKIE, c);
    }
    send(st, b.body(Body::empty()).unwrap()).await
}

fn form(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn enc(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

async fn post(st: &Arc<AppState>, path: &str, cookie: Option<&str>, body: String) -> Resp {
    let mut b = Request::builder()
        .method(Method::POST)
        .uri(path)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if let Some(c) = cookie {
        b = b.header(header::COOKIE, c);
    }
    send(st, b.body(Body::from(body)).unwrap()).await
}

/// Signs in; returns (cookie header value, CSRF token).
async fn login(st: &Arc<AppState>) -> (String, String) {
    let r = post(st, "/admin/login", None, form(&[("password", PW)])).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.header("location"), Some("/admin"));
    let set = r.header("set-cookie").unwrap().to_owned();
    assert!(set.contains("HttpOnly"), "{set}");
    assert!(set.contains("SameSite=Strict"), "{set}");
    assert!(set.contains("Path=/admin"), "{set}");
    let cookie = set.split(';').next().unwrap().to_owned();
    let home = get(st, "/admin", Some(&cookie)).await;
    assert_eq!(home.status, StatusCode::OK);
    (cookie, csrf_of(&home.body))
}

fn csrf_of(html: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    let i = html.find(marker).expect("a CSRF field") + marker.len();
    html[i..].split('"').next().unwrap().to_owned()
}

#[tokio::test]
async fn sign_in_is_required_and_wrong_passwords_are_refused() {
    let st = state();
    // Every page shows the login form when signed out.
    for path in [
        "/admin",
        "/admin/clients",
        "/admin/users",
        "/admin/keys",
        "/admin/grants",
    ] {
        let r = get(&st, path, None).await;
        assert_eq!(r.status, StatusCode::OK, "{path}");
        assert!(r.body.contains("name=\"password\""), "{path}");
        assert!(!r.body.contains("oidckit-demo-web"), "{path}");
        assert_eq!(r.header("cache-control"), Some("no-store"));
        assert!(
            r.header("content-security-policy")
                .unwrap()
                .contains("frame-ancestors 'none'")
        );
    }
    let r = post(&st, "/admin/login", None, form(&[("password", "nope")])).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r.header("set-cookie").is_none());
    assert!(r.body.contains("Wrong admin password"));
    // A malformed form body is a 401 page, not a 500.
    let r = post(&st, "/admin/login", None, "%%%".into()).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    // An invented cookie is not a session.
    let r = get(&st, "/admin/clients", Some("oidckit_admin=forged")).await;
    assert!(r.body.contains("name=\"password\""));
    // POSTs without a session are refused.
    let r = post(
        &st,
        "/admin/keys/rotate",
        Some("oidckit_admin=forged"),
        form(&[("csrf", "x")]),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_generated_password_is_stored_hashed_and_reported_once() {
    let config = Config::embedded_default().unwrap();
    let store = Store::open(&Storage::InMemory).unwrap();
    let mut rng = UnwrapErr(getrandom::SysRng);
    let st = AppState::new(config, ISSUER.into(), store, 1, &mut rng).unwrap();
    let pw = st.admin.generated_password().unwrap().to_owned();
    assert!(pw.len() >= 20);
    let stored = st
        .store
        .setting(oidckit_server::routes::admin::PASSWORD_SETTING)
        .unwrap()
        .unwrap();
    assert!(stored.starts_with("$argon2id$"));
    assert!(!stored.contains(&pw));
    assert!(oidckit_server::password::verify(&pw, &stored));
    assert!(!format!("{st:?}").contains(&pw), "Debug shows the password");
}

#[tokio::test]
async fn csrf_token_is_required_on_every_post() {
    let st = state();
    let (cookie, csrf) = login(&st).await;
    for path in [
        "/admin/keys/rotate",
        "/admin/clients/delete",
        "/admin/users/delete",
        "/admin/grants/revoke",
        "/admin/clients/save",
        "/admin/users/save",
        "/admin/logout",
    ] {
        for bad in [None, Some("wrong")] {
            let mut pairs = vec![("client_id", "oidckit-demo-web"), ("username", "alice")];
            if let Some(b) = bad {
                pairs.push(("csrf", b));
            }
            let r = post(&st, path, Some(&cookie), form(&pairs)).await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{path} {bad:?}");
        }
    }
    assert!(st.store.client("oidckit-demo-web").unwrap().is_some());
    assert!(st.store.user("alice").unwrap().is_some());
    assert_eq!(st.keys.read().unwrap().keys().len(), 1);
    // Signing out ends the session.
    let r = post(
        &st,
        "/admin/logout",
        Some(&cookie),
        form(&[("csrf", &csrf)]),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(r.header("set-cookie").unwrap().contains("Max-Age=0"));
    let r = get(&st, "/admin/clients", Some(&cookie)).await;
    assert!(r.body.contains("name=\"password\""));
}

#[tokio::test]
async fn clients_list_create_edit_delete() {
    let st = state();
    let (cookie, csrf) = login(&st).await;
    let r = get(&st, "/admin/clients", Some(&cookie)).await;
    assert_eq!(r.status, StatusCode::OK);
    for id in [
        "oidckit-demo-spa",
        "oidckit-demo-web",
        "oidckit-demo-backend",
    ] {
        assert!(r.body.contains(id), "{id}");
    }
    // {issuer} resolved in the list.
    assert!(r.body.contains("http://127.0.0.1:8080/www/callback.html"));
    assert!(r.body.contains("private_key_jwt"));

    // The form offers every scenario.
    let r = get(&st, "/admin/clients/edit", Some(&cookie)).await;
    for s in oidckit_server::scenario::Scenario::ALL {
        assert!(r.body.contains(&format!("value=\"{s}\"")), "{s}");
    }
    assert!(r.body.contains("<label for=\"allowed_cidrs\">"));

    // A new confidential client: id and secret generated.
    let mut pairs = vec![
        ("csrf", csrf.as_str()),
        ("client_id", ""),
        ("client_name", "My <app>"),
        ("type", "confidential"),
        ("token_endpoint_auth_method", "client_secret_post"),
        (
            "redirect_uris",
            "http://localhost:5000/cb\n\n http://localhost:5000/cb2 ",
        ),
        ("grant_types", "authorization_code"),
        ("grant_types", "client_credentials"),
        ("response_types", "code"),
        ("scope", "openid profile"),
        ("allowed_cidrs", "127.0.0.0/8"),
        ("jwt_bearer_users", "alice"),
        ("scenario", "wrong-aud"),
    ];
    let r = post(&st, "/admin/clients/save", Some(&cookie), form(&pairs)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("saved"), "{}", r.body);
    assert_eq!(r.header("cache-control"), Some("no-store"));
    let page = get(&st, "/admin/clients", Some(&cookie)).await;
    assert!(page.body.contains("My &lt;app&gt;"), "escaped name");
    assert!(!page.body.contains("My <app>"));
    let created: Vec<_> = st
        .store
        .clients()
        .unwrap()
        .into_iter()
        .filter(|c| c.source == "admin")
        .collect();
    assert_eq!(created.len(), 1);
    let c = &created[0].config;
    assert!(c.client_id.starts_with("client-"));
    let secret = c.client_secret.as_ref().unwrap().expose().to_owned();
    assert!(secret.len() >= 40);
    assert!(r.body.contains(&secret), "the new secret is shown once");
    assert!(r.body.contains(&c.client_id));
    assert!(
        !page.body.contains(&secret),
        "the list never shows a secret"
    );
    assert_eq!(
        c.redirect_uris,
        ["http://localhost:5000/cb", "http://localhost:5000/cb2"]
    );
    assert_eq!(c.grant_types, ["authorization_code", "client_credentials"]);
    assert_eq!(c.scenario.as_deref(), Some("wrong-aud"));
    assert_eq!(c.jwt_bearer_users, ["alice"]);
    let id = c.client_id.clone();

    // Editing keeps the secret when the field is empty; a PEM key stamps "key last updated".
    let edit = get(&st, &format!("/admin/clients/edit?id={id}"), Some(&cookie)).await;
    assert!(edit.body.contains(&format!("value=\"{id}\"")));
    assert!(
        !edit.body.contains(&secret),
        "the edit form never shows the secret"
    );
    let pem = Config::embedded_default()
        .unwrap()
        .clients
        .iter()
        .find(|c| c.client_id == "oidckit-demo-backend")
        .unwrap()
        .public_key_pem
        .clone()
        .unwrap();
    pairs.retain(|(k, _)| *k != "client_id" && *k != "scenario");
    pairs.push(("client_id", &id));
    pairs.push(("original_id", &id));
    pairs.push(("scenario", "none"));
    pairs.push(("public_key_pem", &pem));
    pairs.push(("client_name", "Renamed"));
    let r = post(&st, "/admin/clients/save", Some(&cookie), form(&pairs)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let rec = st.store.client(&id).unwrap().unwrap();
    assert_eq!(rec.config.client_secret.as_ref().unwrap().expose(), secret);
    assert_eq!(rec.config.scenario, None);
    assert!(rec.key_updated_at.is_some());
    assert_eq!(rec.config.public_keys().unwrap().len(), 1);

    // Validation errors are shown on the form (400), with the input kept and escaped.
    for (name, value, want) in [
        ("redirect_uris", "/relative", "not absolute"),
        ("allowed_cidrs", "10.0.0.0/99", "CIDR"),
        ("jwks", "not json", "JSON"),
        ("scope", "openid nope", "not a configured scope"),
        ("jwt_bearer_users", "mallory", "unknown user"),
        ("scenario", "<b>bogus</b>", "unknown scenario"),
        ("type", "public", "public client"),
        ("default_max_age", "-1", "number"),
    ] {
        let mut bad = pairs.clone();
        bad.retain(|(k, _)| *k != name);
        bad.push((name, value));
        let r = post(&st, "/admin/clients/save", Some(&cookie), form(&bad)).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{name}");
        assert!(r.body.contains("class=\"error\""), "{name}");
        assert!(r.body.contains(want), "{name}: {}", r.body);
        assert!(!r.body.contains("<b>bogus</b>"));
    }
    // A duplicate id is refused.
    let mut dup = pairs.clone();
    dup.retain(|(k, _)| *k != "original_id" && *k != "client_id");
    dup.push(("client_id", "oidckit-demo-web"));
    let r = post(&st, "/admin/clients/save", Some(&cookie), form(&dup)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("already exists"));

    // Delete.
    let r = post(
        &st,
        "/admin/clients/delete",
        Some(&cookie),
        form(&[("csrf", &csrf), ("client_id", &id)]),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(st.store.client(&id).unwrap().is_none());
    // Unknown id on the edit page: 404 page.
    let r = get(&st, "/admin/clients/edit?id=nope", Some(&cookie)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn users_create_edit_delete() {
    let st = state();
    let (cookie, csrf) = login(&st).await;
    let r = get(&st, "/admin/users", Some(&cookie)).await;
    assert!(r.body.contains("alice") && r.body.contains("bob"));
    assert!(r.body.contains("example.com"), "claims shown");

    let claims = r#"{"name": "Carol <C>", "email": "carol@example.net", "domain": "example.net"}"#;
    let r = post(
        &st,
        "/admin/users/save",
        Some(&cookie),
        form(&[
            ("csrf", &csrf),
            ("username", "carol"),
            ("password", "carol-pw"),
            ("claims", claims),
            ("jwt_bearer_allowed", "on"),
        ]),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let u = st.store.user("carol").unwrap().unwrap();
    assert!(oidckit_server::password::verify(
        "carol-pw",
        &u.config.password_hash
    ));
    assert!(u.config.jwt_bearer_allowed);
    assert_eq!(u.config.claims["domain"], "example.net");
    let list = get(&st, "/admin/users", Some(&cookie)).await;
    assert!(list.body.contains("Carol &lt;C&gt;"));

    // Edit: empty password keeps it.
    let r = post(
        &st,
        "/admin/users/save",
        Some(&cookie),
        form(&[
            ("csrf", &csrf),
            ("original", "carol"),
            ("username", "carol"),
            ("password", ""),
            ("claims", "{}"),
        ]),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let u = st.store.user("carol").unwrap().unwrap();
    assert!(oidckit_server::password::verify(
        "carol-pw",
        &u.config.password_hash
    ));
    assert!(!u.config.jwt_bearer_allowed);

    // Errors on the form.
    for (pairs, want) in [
        (
            vec![("username", "dave"), ("password", "x"), ("claims", "[1]")],
            "JSON object",
        ),
        (
            vec![("username", "dave"), ("password", ""), ("claims", "{}")],
            "needs a password",
        ),
        (
            vec![("username", "alice"), ("password", "x"), ("claims", "{}")],
            "already exists",
        ),
        (
            vec![
                ("username", "dave"),
                ("password", "x"),
                ("claims", r#"{"sub":"x"}"#),
            ],
            "sub",
        ),
        (vec![("username", ""), ("password", "x")], "username"),
    ] {
        let mut p = pairs.clone();
        p.push(("csrf", &csrf));
        let r = post(&st, "/admin/users/save", Some(&cookie), form(&p)).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{want}");
        assert!(r.body.contains(want), "{want}: {}", r.body);
    }

    let r = post(
        &st,
        "/admin/users/delete",
        Some(&cookie),
        form(&[("csrf", &csrf), ("username", "carol")]),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(st.store.user("carol").unwrap().is_none());
}

#[tokio::test]
async fn keys_rotate_live_and_the_old_key_stays_for_the_grace_period() {
    let st = state();
    let (cookie, csrf) = login(&st).await;
    let before = st.keys.read().unwrap().active(Alg::Es256).unwrap().clone();
    let page = get(&st, "/admin/keys", Some(&cookie)).await;
    assert!(page.body.contains(&before.kid));

    let r = post(
        &st,
        "/admin/keys/rotate",
        Some(&cookie),
        form(&[("csrf", &csrf)]),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let after = st.keys.read().unwrap().active(Alg::Es256).unwrap().clone();
    assert_ne!(after.kid, before.kid);
    let page = get(&st, r.header("location").unwrap(), Some(&cookie)).await;
    assert!(page.body.contains(&after.kid));
    assert!(page.body.contains("Rotated"));

    // The JWKS serves both, newest first.
    let jwks = get(&st, "/jwks", None).await;
    let set = JwkSet::from_json(&jwks.body).unwrap();
    let kids: Vec<_> = set
        .keys()
        .iter()
        .map(|k| k.meta.kid.clone().unwrap())
        .collect();
    assert!(kids.len() >= 2);
    assert_eq!(kids[0], after.kid);
    assert!(kids.contains(&before.kid));
    // Persisted: the store has the retirement.
    let rows = st.store.signing_keys().unwrap();
    let old = rows.iter().find(|k| k.kid == before.kid).unwrap();
    assert!(old.retired_at.is_some());
}

#[tokio::test]
async fn grants_count_and_revoke_all() {
    let st = state();
    let (cookie, csrf) = login(&st).await;
    let now = oidckit_server::app::now();
    let g1 = st
        .store
        .create_grant("oidckit-demo-spa", Some("alice"), None, "openid", now)
        .unwrap();
    st.store
        .create_grant("oidckit-demo-web", Some("alice"), None, "openid", now)
        .unwrap();
    st.store
        .create_grant("oidckit-demo-web", Some("bob"), None, "openid", now)
        .unwrap();
    assert_eq!(
        st.store.active_grant_counts().unwrap(),
        vec![("alice".to_owned(), 2), ("bob".to_owned(), 1)]
    );
    let page = get(&st, "/admin/grants", Some(&cookie)).await;
    assert!(
        page.body.contains("<td>alice</td><td>2</td>"),
        "{}",
        page.body
    );
    let r = post(
        &st,
        "/admin/grants/revoke",
        Some(&cookie),
        form(&[("csrf", &csrf), ("username", "alice")]),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(!st.store.grant_active(&g1).unwrap());
    assert_eq!(
        st.store.active_grant_counts().unwrap(),
        vec![("bob".to_owned(), 1)]
    );
    let page = get(&st, r.header("location").unwrap(), Some(&cookie)).await;
    assert!(page.body.contains("Revoked 2 grant(s) of alice"));
}

#[tokio::test]
async fn global_scenario_switch_on_the_home_page() {
    let st = state();
    let (cookie, csrf) = login(&st).await;
    let home = get(&st, "/admin", Some(&cookie)).await;
    assert!(home.body.contains("Global misbehaviour switch"));
    assert!(home.body.contains("value=\"none\" selected"));
    let r = post(
        &st,
        "/admin/scenario",
        Some(&cookie),
        form(&[("csrf", &csrf), ("scenario", "wrong-iss")]),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(oidckit_server::scenario::global(&st).name(), "wrong-iss");
    let home = get(&st, "/admin", Some(&cookie)).await;
    assert!(home.body.contains("value=\"wrong-iss\" selected"));
    let r = post(
        &st,
        "/admin/scenario",
        Some(&cookie),
        form(&[("csrf", &csrf), ("scenario", "<nope>")]),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(!r.body.contains("<nope>"));
    let r = post(
        &st,
        "/admin/scenario",
        Some(&cookie),
        form(&[("csrf", "bad"), ("scenario", "none")]),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(oidckit_server::scenario::global(&st).name(), "wrong-iss");
}

/// Cross-origin posts are refused even with a valid session and token (defence in depth), and a
/// cross-origin sign-in (login CSRF) too.
#[tokio::test]
async fn cross_origin_posts_are_refused() {
    let st = state();
    let (cookie, csrf) = login(&st).await;
    let req = Request::builder()
        .method(Method::POST)
        .uri("/admin/keys/rotate")
        .header(header::HOST, "127.0.0.1:8080")
        .header(header::ORIGIN, "http://evil.example")
        .header(header::COOKIE, &cookie)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(form(&[("csrf", &csrf)])))
        .unwrap();
    assert_eq!(send(&st, req).await.status, StatusCode::FORBIDDEN);
    assert_eq!(st.keys.read().unwrap().keys().len(), 1);
    let req = Request::builder()
        .method(Method::POST)
        .uri("/admin/login")
        .header(header::HOST, "127.0.0.1:8080")
        .header(header::ORIGIN, "http://evil.example")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(form(&[("password", PW)])))
        .unwrap();
    let r = send(&st, req).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.header("set-cookie").is_none());
    // The same origin is fine.
    let req = Request::builder()
        .method(Method::POST)
        .uri("/admin/keys/rotate")
        .header(header::HOST, "127.0.0.1:8080")
        .header(header::ORIGIN, "http://127.0.0.1:8080")
        .header(header::COOKIE, &cookie)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(form(&[("csrf", &csrf)])))
        .unwrap();
    assert_eq!(send(&st, req).await.status, StatusCode::SEE_OTHER);
    assert_eq!(st.keys.read().unwrap().keys().len(), 2);
}
