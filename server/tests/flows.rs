//! Full flows over a real socket, driven natively by the core's sans-IO OAuth engine: its
//! request builders make the requests, a tiny HTTP/1.1 client sends them to the running
//! server, and its response processors check the answers.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use oidckit::oauth::authorize::{AuthorizationEndpoint, AuthorizationRequest, start_authorization};
use oidckit::oauth::callback::{CallbackInput, parse_callback, validate_authorization_response};
use oidckit::oauth::client_auth::ClientAuth;
use oidckit::oauth::discovery::{
    DiscoveryOptions, ServerMetadata, discovery_request, process_discovery_response,
};
use oidckit::oauth::http::{Endpoint, HttpRequest, HttpResponse, Method, form_urlencode};
use oidckit::oauth::introspection::{introspection_request, process_introspection_response};
use oidckit::oauth::revocation::{process_revocation_response, revocation_request};
use oidckit::oauth::token::{
    authorization_code_request, client_credentials_request, process_token_response,
    refresh_token_request,
};
use oidckit::oidc::id_token::{
    Continuity, IdTokenValidation, check_id_token_continuity, validate_id_token,
};
use oidckit::oidc::userinfo::{UserinfoValidation, process_userinfo_response, userinfo_request};
use oidckit::{Alg, JwkSet, Key};
use oidckit_server::{Config, RunningServer, Settings, Storage};
use rand_core::UnwrapErr;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const BACKEND: &str = "oidckit-demo-backend";
const BACKEND_KEY: &str = include_str!("../demo/backend-client.key.pem");
const SPA: &str = "oidckit-demo-spa";

fn rng() -> UnwrapErr<getrandom::SysRng> {
    UnwrapErr(getrandom::SysRng)
}

fn now() -> i64 {
    oidckit_server::app::now()
}

async fn server() -> RunningServer {
    let mut config = Config::embedded_default().unwrap();
    config.server.id_token_signing_alg = "ES256".into();
    oidckit_server::start(Settings {
        config,
        storage: Storage::InMemory,
        port: 0,
    })
    .await
    .unwrap()
}

/// Sends a request over a fresh connection (`Connection: close`) with extra header fields.
async fn send_with(req: &HttpRequest, extra: &[(&str, &str)]) -> HttpResponse {
    tokio::time::timeout(std::time::Duration::from_secs(60), send_inner(req, extra))
        .await
        .expect("an answer within 60 s")
}

async fn send(req: &HttpRequest) -> HttpResponse {
    send_with(req, &[]).await
}

async fn send_inner(req: &HttpRequest, extra: &[(&str, &str)]) -> HttpResponse {
    let rest = req.url.strip_prefix("http://").expect("an http URL");
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let mut stream = TcpStream::connect(authority).await.expect("connect");
    let body = req.body.clone().unwrap_or_default();
    let mut head = format!(
        "{} {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\nContent-Length: {}\r\n",
        req.method.as_str(),
        body.len()
    );
    for (n, v) in req
        .headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .chain(extra.iter().copied())
    {
        head.push_str(&format!("{n}: {v}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await.expect("write");
    stream.write_all(body.as_bytes()).await.expect("write");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.expect("read");
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").expect("head");
    let head = std::str::from_utf8(&raw[..split]).unwrap();
    let mut lines = head.split("\r\n");
    let status: u16 = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: Vec<(String, String)> = lines
        .map(|l| {
            let (n, v) = l.split_once(':').unwrap();
            (n.trim().to_owned(), v.trim().to_owned())
        })
        .collect();
    HttpResponse {
        status,
        headers,
        body: raw[split + 4..].to_vec(),
    }
}

fn get(url: &str) -> HttpRequest {
    HttpRequest {
        method: Method::Get,
        url: url.to_owned(),
        headers: vec![],
        body: None,
    }
}

fn post_form(url: &str, body: String) -> HttpRequest {
    HttpRequest {
        method: Method::Post,
        url: url.to_owned(),
        headers: vec![(
            "Content-Type".into(),
            "application/x-www-form-urlencoded".into(),
        )],
        body: Some(body),
    }
}

async fn discover(issuer: &str) -> ServerMetadata {
    let opts = DiscoveryOptions {
        allow_insecure_loopback: true,
        ..DiscoveryOptions::default()
    };
    let resp = send(&discovery_request(issuer, &opts).unwrap()).await;
    process_discovery_response(issuer, &resp, &opts).unwrap()
}

async fn jwks(meta: &ServerMetadata) -> JwkSet {
    let resp = send(&get(meta.jwks_uri().unwrap())).await;
    JwkSet::from_json(std::str::from_utf8(&resp.body).unwrap()).unwrap()
}

fn backend_auth() -> ClientAuth {
    ClientAuth::PrivateKeyJwt {
        client_id: BACKEND.into(),
        key: Key::from_pem(BACKEND_KEY, Some(Alg::Rs256)).unwrap(),
        alg: Alg::Rs256,
        kid: None,
        x5t: None,
    }
}

fn ep(url: &str) -> Endpoint<'_> {
    Endpoint::insecure_loopback(url)
}

#[tokio::test]
async fn client_credentials_with_private_key_jwt_then_the_api_and_revocation() {
    let srv = server().await;
    let meta = discover(srv.issuer()).await;
    let token_url = meta.token_endpoint().unwrap().to_owned();
    let req = client_credentials_request(
        ep(&token_url),
        Some("api:read"),
        &backend_auth(),
        now(),
        &mut rng(),
    )
    .unwrap();
    let tokens = process_token_response(&send(&req).await).unwrap();
    assert!(tokens.token_type.eq_ignore_ascii_case("bearer"));
    assert_eq!(tokens.scope.as_deref(), Some("api:read"));
    assert!(tokens.refresh_token.is_none());

    // The API answers with the token, through the real socket (peer 127.0.0.1 satisfies the
    // backend's CIDR rule).
    let items_url = format!("{}/api/items", srv.issuer());
    let mut call = get(&items_url);
    call.headers.push((
        "Authorization".into(),
        format!("Bearer {}", tokens.access_token),
    ));
    let resp = send(&call).await;
    assert_eq!(resp.status, 200, "{}", String::from_utf8_lossy(&resp.body));

    // Revoked (RFC 7009) by the same client, it stops working at the API.
    let revoke_url = meta.revocation_endpoint().unwrap().to_owned();
    let req = revocation_request(
        ep(&revoke_url),
        &tokens.access_token,
        Some("access_token"),
        &backend_auth(),
        now(),
        &mut rng(),
    )
    .unwrap();
    process_revocation_response(&send(&req).await).unwrap();
    let resp = send(&call).await;
    assert_eq!(resp.status, 401);
    assert!(
        resp.header("www-authenticate")
            .unwrap()
            .contains("invalid_token")
    );
    srv.shutdown().await.unwrap();
}

/// The first `<form>` of a page: its action and hidden inputs.
fn form_of(html: &str) -> (String, Vec<(String, String)>) {
    let start = html
        .find("<form")
        .unwrap_or_else(|| panic!("no form: {html}"));
    let form = &html[start..];
    let form = &form[..form.find("</form>").unwrap()];
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
    let action = attr(&form[..form.find('>').unwrap()], "action").unwrap();
    let mut fields = Vec::new();
    for piece in form.split("<input").skip(1) {
        let tag = &piece[..piece.find('>').unwrap()];
        if tag.contains("type=\"hidden\"") {
            fields.push((attr(tag, "name").unwrap(), attr(tag, "value").unwrap()));
        }
    }
    (action, fields)
}

fn cookies(resp: &HttpResponse) -> Vec<String> {
    resp.headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case("set-cookie"))
        .map(|(_, v)| v.split(';').next().unwrap().to_owned())
        .collect()
}

fn origin(issuer: &str) -> &str {
    let after = issuer.find("://").unwrap() + 3;
    match issuer[after..].find('/') {
        Some(i) => &issuer[..after + i],
        None => issuer,
    }
}

#[tokio::test]
async fn code_flow_with_pkce_through_login_and_consent_then_userinfo_refresh_introspection() {
    let srv = server().await;
    let issuer = srv.issuer().to_owned();
    let meta = discover(&issuer).await;
    let keys = jwks(&meta).await;
    let redirect_uri = format!("{issuer}/www/callback.html");
    let mut params = AuthorizationRequest::new(SPA, &redirect_uri);
    params.scope = "openid profile email offline_access api:read".into();
    let (url, tx) =
        start_authorization(&mut rng(), AuthorizationEndpoint::Metadata(&meta), params).unwrap();

    // The login page, then the consent page, posting back every hidden input.
    let resp = send(&get(&url)).await;
    assert_eq!(resp.status, 200);
    let mut jar: Vec<String> = cookies(&resp);
    let (action, fields) = form_of(std::str::from_utf8(&resp.body).unwrap());
    let mut pairs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    pairs.extend([("username", "alice"), ("password", "alice-demo-password")]);
    let login = post_form(
        &format!("{}{action}", origin(&issuer)),
        form_urlencode(&pairs),
    );
    let resp = send_with(&login, &[("Cookie", &jar.join("; "))]).await;
    assert_eq!(resp.status, 200, "{}", String::from_utf8_lossy(&resp.body));
    jar.extend(cookies(&resp));
    let (action, fields) = form_of(std::str::from_utf8(&resp.body).unwrap());
    let mut pairs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    pairs.push(("decision", "allow"));
    let consent = post_form(
        &format!("{}{action}", origin(&issuer)),
        form_urlencode(&pairs),
    );
    let resp = send_with(&consent, &[("Cookie", &jar.join("; "))]).await;
    assert!(matches!(resp.status, 302 | 303), "{}", resp.status);
    let location = resp.header("location").unwrap().to_owned();

    // The callback, checked by the core (state, RFC 9207 iss).
    let cb = parse_callback(CallbackInput::Query(&location)).unwrap();
    let auth = validate_authorization_response(&cb, &tx.state, &issuer, true).unwrap();
    let code = auth.code.unwrap();

    // The code exchange with the PKCE verifier.
    let token_url = meta.token_endpoint().unwrap().to_owned();
    let public = ClientAuth::None {
        client_id: SPA.into(),
    };
    let req = authorization_code_request(
        ep(&token_url),
        &code,
        &redirect_uri,
        tx.code_verifier.as_deref().unwrap(),
        &public,
        now(),
        &mut rng(),
    )
    .unwrap();
    let tokens = process_token_response(&send(&req).await).unwrap();
    let id_token = tokens.id_token.clone().unwrap();
    let v = IdTokenValidation {
        algorithms: vec![Alg::Es256],
        nonce: tx.nonce.clone(),
        access_token: Some(tokens.access_token.clone()),
        ..IdTokenValidation::new(&issuer, SPA, now())
    };
    let id = validate_id_token(&id_token, &keys, &v).unwrap();
    assert_eq!(id.claims["sub"], "alice");

    // UserInfo through the core (sub must match the ID Token's).
    let ui_url = meta.userinfo_endpoint().unwrap().to_owned();
    let req = userinfo_request(ep(&ui_url), &tokens.access_token, &tokens.token_type).unwrap();
    let claims = process_userinfo_response(
        &send(&req).await,
        "alice",
        None,
        &UserinfoValidation::new(now()),
    )
    .unwrap();
    assert_eq!(claims["email"], "alice@example.com");
    assert_eq!(claims["name"], "Alice Liddell");

    // A refresh rotates the refresh token and continues the ID Token.
    let rt = tokens.refresh_token.clone().unwrap();
    let req = refresh_token_request(ep(&token_url), &rt, None, &public, now(), &mut rng()).unwrap();
    let refreshed = process_token_response(&send(&req).await).unwrap();
    let rt2 = refreshed.refresh_token.clone().unwrap();
    assert_ne!(rt, rt2);
    let new_id = validate_id_token(
        refreshed.id_token.as_deref().unwrap(),
        &keys,
        &IdTokenValidation {
            algorithms: vec![Alg::Es256],
            ..IdTokenValidation::new(&issuer, SPA, now())
        },
    )
    .unwrap();
    check_id_token_continuity(&id.claims, &new_id.claims, Continuity::Refresh).unwrap();

    // The demo web client introspects only its own tokens; for the SPA's it says inactive.
    let web = ClientAuth::ClientSecretBasic {
        client_id: "oidckit-demo-web".into(),
        secret: "oidckit-demo-web-secret".into(),
    };
    let intro_url = meta.introspection_endpoint().unwrap().to_owned();
    let req = introspection_request(
        ep(&intro_url),
        &refreshed.access_token,
        None,
        &web,
        now(),
        &mut rng(),
    )
    .unwrap();
    let info = process_introspection_response(&send(&req).await).unwrap();
    assert!(!info.active);

    // Reusing the rotated-out refresh token revokes the grant: the new access token dies.
    let req = refresh_token_request(ep(&token_url), &rt, None, &public, now(), &mut rng()).unwrap();
    let err = process_token_response(&send(&req).await).unwrap_err();
    assert!(err.to_string().contains("invalid_grant"), "{err}");
    let req = userinfo_request(ep(&ui_url), &refreshed.access_token, "Bearer").unwrap();
    let resp = send(&req).await;
    assert_eq!(resp.status, 401);
    srv.shutdown().await.unwrap();
}
