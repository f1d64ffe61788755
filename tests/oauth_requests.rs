//! JWT-Secured Authorization Requests (RFC 9101 §4, §5), Pushed Authorization Requests
//! (RFC 9126 §2, §4) and Dynamic Client Registration (RFC 7591 §3, OpenID Connect Dynamic
//! Client Registration 1.0 §3): request builders and response processors.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{TestRng, code, to_obj};
use oidckit::jwk::GenerateOptions;
use oidckit::oauth::authorize::AuthorizationRequest;
use oidckit::oauth::client_auth::{CLIENT_ASSERTION_TYPE_JWT_BEARER, ClientAuth};
use oidckit::oauth::http::{HttpResponse, Method, form_decode};
use oidckit::oauth::jar::{
    REQUEST_OBJECT_TYP, RequestObjectOptions, authorization_request_pairs,
    authorization_url_with_request, authorization_url_with_request_uri, create_request_object,
};
use oidckit::oauth::par::{ParResponse, authorization_url_par, par_request, process_par_response};
use oidckit::oauth::registration::{process_registration_response, registration_request};
use oidckit::{Alg, Key, jwt};
use serde_json::{Value, json};

const NOW: i64 = 1_700_000_000;
const CLIENT: &str = "client-1";
const ISSUER: &str = "https://as.example";
const AUTHZ: &str = "https://as.example/authorize";
const PAR: &str = "https://as.example/par";
const REGISTER: &str = "https://as.example/register";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

fn es256_key(seed: u64) -> Key {
    let mut key =
        Key::generate(Alg::Es256, &mut TestRng(seed), GenerateOptions::default()).unwrap();
    key.meta.kid = Some("rp-key-1".into());
    key
}

fn full_request() -> AuthorizationRequest {
    let mut r = AuthorizationRequest::new(CLIENT, "https://rp.example/cb");
    r.scope = "openid profile".into();
    r.state = Some("st-1".into());
    r.nonce = Some("n-1".into());
    r.code_challenge = Some(CHALLENGE.into());
    r.response_mode = Some("form_post".into());
    r.prompt = Some("login consent".into());
    r.display = Some("page".into());
    r.max_age = Some(600);
    r.ui_locales = Some("fr-CA en".into());
    r.login_hint = Some("alice@example.com".into());
    r.acr_values = Some("urn:mace:incommon:iap:silver".into());
    r.claims = Some(to_obj(json!({"userinfo": {"email": {"essential": true}}})));
    r.extra
        .push(("resource".into(), "https://api.example".into()));
    r
}

fn opts(key: &Key) -> RequestObjectOptions<'_> {
    RequestObjectOptions {
        client_id: CLIENT,
        audience: ISSUER,
        key,
        alg: Alg::Es256,
        lifetime: None,
    }
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
        .collect()
}

fn json_resp(status: u16, body: &Value) -> HttpResponse {
    HttpResponse {
        status,
        headers: vec![("Content-Type".into(), "application/json".into())],
        body: body.to_string().into_bytes(),
    }
}

fn query_of(url: &str) -> Vec<(String, String)> {
    form_decode(url.split_once('?').unwrap().1).unwrap()
}

#[test]
fn request_object_verifies_and_carries_every_parameter() {
    let key = es256_key(1);
    let params = authorization_request_pairs(&full_request()).unwrap();
    let token = create_request_object(&params, &opts(&key), NOW, &mut TestRng(2)).unwrap();

    let mut v = jwt::Validation::new(NOW + 10);
    v.typ = Some(REQUEST_OBJECT_TYP.into());
    v.issuer = vec![CLIENT.into()];
    v.audience = vec![ISSUER.into()];
    v.required_claims = vec!["exp".into(), "nbf".into(), "iat".into(), "jti".into()];
    let verified = jwt::verify(&token, &key.to_public().unwrap(), &v).unwrap();
    assert_eq!(verified.header.typ.as_deref(), Some("oauth-authz-req+jwt"));
    assert_eq!(verified.header.kid.as_deref(), Some("rp-key-1"));
    assert_eq!(verified.header.alg, Alg::Es256);

    let c = &verified.claims;
    assert_eq!(c["iat"], NOW);
    assert_eq!(c["nbf"], NOW);
    assert_eq!(c["exp"], NOW + 300);
    assert_eq!(c["jti"].as_str().unwrap().len(), 43);
    assert_eq!(c["client_id"], CLIENT);
    assert_eq!(c["max_age"], 600, "max_age is a JSON number");
    assert_eq!(
        c["claims"],
        json!({"userinfo": {"email": {"essential": true}}}),
        "claims is a JSON object"
    );
    for (name, value) in &params {
        if name != "max_age" && name != "claims" {
            assert_eq!(c[name.as_str()], value.as_str(), "{name}");
        }
    }
    for name in [
        "response_type",
        "redirect_uri",
        "scope",
        "state",
        "nonce",
        "code_challenge",
        "code_challenge_method",
        "response_mode",
        "prompt",
        "display",
        "ui_locales",
        "login_hint",
        "acr_values",
        "resource",
    ] {
        assert!(c.contains_key(name), "{name} missing");
    }
    assert_eq!(c["code_challenge_method"], "S256");

    // After exp, the same object no longer verifies.
    let late = jwt::Validation::new(NOW + 301);
    assert_eq!(
        code(&jwt::verify(&token, &key.to_public().unwrap(), &late)),
        "ERR_JWT_EXPIRED"
    );
}

#[test]
fn request_object_refusals() {
    let key = es256_key(3);
    let mut rng = TestRng(4);
    let cases: [&[(&str, &str)]; 7] = [
        &[("request_uri", "urn:x")],
        &[("request", "a.b.c")],
        &[("iss", "x")],
        &[("client_id", "someone-else")],
        &[("scope", "a"), ("scope", "b")],
        &[("claims", "[1]")],
        &[("max_age", "-1")],
    ];
    for (i, list) in cases.iter().enumerate() {
        let r = create_request_object(&pairs(list), &opts(&key), NOW, &mut rng);
        assert_eq!(code(&r), "ERR_INVALID_ARG_VALUE", "case {i}");
    }
    for lifetime in [0, 3601] {
        let mut o = opts(&key);
        o.lifetime = Some(lifetime);
        let r = create_request_object(&pairs(&[("scope", "openid")]), &o, NOW, &mut rng);
        assert_eq!(code(&r), "ERR_INVALID_ARG_VALUE", "lifetime {lifetime}");
    }
    let mut o = opts(&key);
    o.lifetime = Some(3600);
    let token = create_request_object(&pairs(&[("scope", "openid")]), &o, NOW, &mut rng).unwrap();
    assert_eq!(jwt::decode(&token).unwrap()["exp"], NOW + 3600);
}

#[test]
fn authorization_url_by_value_and_by_reference() {
    let key = es256_key(5);
    let params = authorization_request_pairs(&full_request()).unwrap();
    let token = create_request_object(&params, &opts(&key), NOW, &mut TestRng(6)).unwrap();

    let url = authorization_url_with_request(AUTHZ, CLIENT, &token).unwrap();
    assert!(url.starts_with("https://as.example/authorize?client_id=client-1&request="));
    assert_eq!(
        query_of(&url),
        pairs(&[("client_id", CLIENT), ("request", &token)])
    );

    let uri = "urn:ietf:params:oauth:request_uri:6esc_11ACC5bwc014ltc14eY22c";
    let url =
        authorization_url_with_request_uri("https://as.example/a?tenant=t", CLIENT, uri).unwrap();
    assert_eq!(
        url,
        "https://as.example/a?tenant=t&client_id=client-1&request_uri=urn%3Aietf%3Aparams%3Aoauth%3Arequest_uri%3A6esc_11ACC5bwc014ltc14eY22c"
    );
    assert_eq!(
        authorization_url_par(AUTHZ, CLIENT, uri).unwrap(),
        format!(
            "{AUTHZ}?client_id=client-1&request_uri=urn%3Aietf%3Aparams%3Aoauth%3Arequest_uri%3A6esc_11ACC5bwc014ltc14eY22c"
        )
    );

    assert_eq!(
        code(&authorization_url_with_request(
            "http://as.example/a",
            CLIENT,
            &token
        )),
        "OAUTH_HTTP_REQUEST_FORBIDDEN"
    );
    assert_eq!(
        code(&authorization_url_with_request_uri(
            "https://as.example/a?client_id=x",
            CLIENT,
            uri
        )),
        "ERR_INVALID_ARG_VALUE"
    );
    assert_eq!(
        code(&authorization_url_with_request_uri(AUTHZ, CLIENT, "")),
        "ERR_INVALID_ARG_VALUE"
    );
}

#[test]
fn par_request_with_private_key_jwt() {
    let key = es256_key(7);
    let auth = ClientAuth::PrivateKeyJwt {
        client_id: CLIENT.into(),
        key: key.clone(),
        alg: Alg::Es256,
        kid: None,
        x5t: None,
    };
    let params = authorization_request_pairs(&full_request()).unwrap();
    let req = par_request(PAR, &params, &auth, NOW, &mut TestRng(8)).unwrap();
    assert_eq!(req.method, Method::Post);
    assert_eq!(req.url, PAR);
    assert!(req.headers.contains(&(
        "Content-Type".into(),
        "application/x-www-form-urlencoded".into()
    )));
    let body = form_decode(req.body.as_deref().unwrap()).unwrap();
    let get = |n: &str| {
        body.iter()
            .find(|(k, _)| k == n)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| panic!("{n} missing"))
    };
    assert_eq!(get("client_id"), CLIENT);
    assert_eq!(
        body.iter().filter(|(k, _)| k == "client_id").count(),
        1,
        "client_id once"
    );
    assert_eq!(
        get("client_assertion_type"),
        CLIENT_ASSERTION_TYPE_JWT_BEARER
    );
    assert_eq!(get("code_challenge"), CHALLENGE);
    assert_eq!(get("scope"), "openid profile");
    let mut v = jwt::Validation::new(NOW);
    v.issuer = vec![CLIENT.into()];
    v.audience = vec![PAR.into()];
    v.subject = Some(CLIENT.into());
    jwt::verify(&get("client_assertion"), &key.to_public().unwrap(), &v).unwrap();

    // A request object pushed by value (RFC 9126 §3) is fine; request_uri is not.
    let token = create_request_object(&params, &opts(&key), NOW, &mut TestRng(9)).unwrap();
    let req = par_request(
        PAR,
        &pairs(&[("request", &token)]),
        &auth,
        NOW,
        &mut TestRng(10),
    )
    .unwrap();
    let body = form_decode(req.body.as_deref().unwrap()).unwrap();
    assert_eq!(body[0], ("request".to_owned(), token.clone()));
    assert!(body.iter().any(|(n, v)| n == "client_id" && v == CLIENT));
    let none = ClientAuth::None {
        client_id: CLIENT.into(),
    };
    for list in [
        &[("request_uri", "urn:x")][..],
        &[("scope", "a"), ("scope", "b")][..],
        &[("client_id", "other")][..],
    ] {
        let r = par_request(PAR, &pairs(list), &none, NOW, &mut TestRng(11));
        assert_eq!(code(&r), "ERR_INVALID_ARG_VALUE", "{list:?}");
    }
    let basic = ClientAuth::ClientSecretBasic {
        client_id: CLIENT.into(),
        secret: "s3cret".into(),
    };
    let req = par_request(
        PAR,
        &pairs(&[("scope", "openid")]),
        &basic,
        NOW,
        &mut TestRng(12),
    )
    .unwrap();
    assert_eq!(req.body.as_deref(), Some("scope=openid&client_id=client-1"));
    assert!(req.headers.iter().any(|(n, _)| n == "Authorization"));
    assert_eq!(
        code(&par_request(
            "http://as.example/par",
            &[],
            &none,
            NOW,
            &mut TestRng(13)
        )),
        "OAUTH_HTTP_REQUEST_FORBIDDEN"
    );
}

#[test]
fn par_response_201_ok() {
    let uri = "urn:ietf:params:oauth:request_uri:6esc_11ACC5bwc014ltc14eY22c";
    let r = process_par_response(&json_resp(
        201,
        &json!({"request_uri": uri, "expires_in": 60}),
    ))
    .unwrap();
    assert_eq!(
        r,
        ParResponse {
            request_uri: uri.into(),
            expires_in: 60
        }
    );
}

#[test]
fn par_response_200_refused() {
    let r = process_par_response(&json_resp(
        200,
        &json!({"request_uri": "urn:x", "expires_in": 60}),
    ));
    assert_eq!(code(&r), "OAUTH_INVALID_RESPONSE");
}

#[test]
fn par_response_missing_or_malformed_members() {
    for body in [
        json!({"expires_in": 60}),
        json!({"request_uri": 5, "expires_in": 60}),
        json!({"request_uri": "", "expires_in": 60}),
        json!({"request_uri": "urn:x"}),
        json!({"request_uri": "urn:x", "expires_in": 0}),
        json!({"request_uri": "urn:x", "expires_in": -5}),
        json!({"request_uri": "urn:x", "expires_in": 1.5}),
        json!({"request_uri": "urn:x", "expires_in": "60"}),
    ] {
        let r = process_par_response(&json_resp(201, &body));
        assert_eq!(code(&r), "OAUTH_INVALID_RESPONSE", "{body}");
    }
    let mut not_json = json_resp(201, &json!({"request_uri": "urn:x", "expires_in": 60}));
    not_json.headers = vec![("Content-Type".into(), "text/html".into())];
    assert_eq!(
        code(&process_par_response(&not_json)),
        "OAUTH_RESPONSE_IS_NOT_JSON"
    );
}

#[test]
fn par_response_error_body() {
    let err = process_par_response(&json_resp(
        400,
        &json!({"error": "invalid_request", "error_description": "bad redirect_uri"}),
    ))
    .unwrap_err();
    assert_eq!(err.code(), "OAUTH_RESPONSE_BODY_ERROR");
    let body = err.oauth_error().unwrap();
    assert_eq!(body.error, "invalid_request");
    assert_eq!(body.error_description.as_deref(), Some("bad redirect_uri"));
    assert_eq!(body.status, Some(400));
}

fn metadata() -> oidckit::Object {
    to_obj(json!({
        "redirect_uris": ["https://rp.example/cb", "http://127.0.0.1:8080/cb"],
        "client_name": "My RP",
        "token_endpoint_auth_method": "private_key_jwt",
    }))
}

#[test]
fn registration_request_json_and_bearer() {
    let req = registration_request(REGISTER, &metadata(), Some("iat-123")).unwrap();
    assert_eq!(req.method, Method::Post);
    assert_eq!(req.url, REGISTER);
    assert!(
        req.headers
            .contains(&("Content-Type".into(), "application/json".into()))
    );
    assert!(
        req.headers
            .contains(&("Authorization".into(), "Bearer iat-123".into()))
    );
    let body: Value = serde_json::from_str(req.body.as_deref().unwrap()).unwrap();
    assert_eq!(body, Value::Object(metadata()));

    let req = registration_request(REGISTER, &metadata(), None).unwrap();
    assert!(!req.headers.iter().any(|(n, _)| n == "Authorization"));
    assert_eq!(
        code(&registration_request(REGISTER, &metadata(), Some(""))),
        "ERR_INVALID_ARG_VALUE"
    );
}

#[test]
fn registration_request_redirect_uri_refusals() {
    let cases = [
        (
            json!(["https://rp.example/cb#frag"]),
            "ERR_INVALID_ARG_VALUE",
        ),
        (json!(["/relative/cb"]), "ERR_INVALID_ARG_VALUE"),
        (
            json!(["http://rp.example/cb"]),
            "OAUTH_HTTP_REQUEST_FORBIDDEN",
        ),
        (json!("https://rp.example/cb"), "ERR_INVALID_ARG_VALUE"),
        (json!([]), "ERR_INVALID_ARG_VALUE"),
        (json!([42]), "ERR_INVALID_ARG_VALUE"),
    ];
    for (uris, want) in cases {
        let mut m = metadata();
        m.insert("redirect_uris".into(), uris.clone());
        assert_eq!(
            code(&registration_request(REGISTER, &m, None)),
            want,
            "{uris}"
        );
    }
    let mut m = metadata();
    m.insert("client_id".into(), json!("chosen"));
    assert_eq!(
        code(&registration_request(REGISTER, &m, None)),
        "ERR_INVALID_ARG_VALUE"
    );
    assert_eq!(
        code(&registration_request(
            "http://as.example/register",
            &metadata(),
            None
        )),
        "OAUTH_HTTP_REQUEST_FORBIDDEN"
    );
}

#[test]
fn registration_response_201_ok() {
    let r = process_registration_response(&json_resp(
        201,
        &json!({
            "client_id": "s6BhdRkqt3",
            "client_secret": "cf136dc3c1fc93f31185e5885805d",
            "client_id_issued_at": 2893256800u64,
            "client_secret_expires_at": 0,
            "registration_access_token": "this.is.an.access.token.value.ffx83",
            "registration_client_uri": "https://server.example.com/connect/register?client_id=s6BhdRkqt3",
            "redirect_uris": ["https://client.example.org/callback"],
        }),
    ))
    .unwrap();
    assert_eq!(r.client_id, "s6BhdRkqt3");
    assert_eq!(
        r.client_secret.as_deref(),
        Some("cf136dc3c1fc93f31185e5885805d")
    );
    assert_eq!(r.client_secret_expires_at, Some(0));
    assert_eq!(
        r.registration_access_token.as_deref(),
        Some("this.is.an.access.token.value.ffx83")
    );
    assert!(r.registration_client_uri.is_some());
    assert_eq!(
        r.raw["redirect_uris"][0],
        "https://client.example.org/callback"
    );
    let debug = format!("{r:?}");
    assert!(!debug.contains("cf136dc3"), "the secret is redacted");

    let public =
        process_registration_response(&json_resp(201, &json!({"client_id": "pub"}))).unwrap();
    assert_eq!(public.client_secret, None);
    assert_eq!(public.client_secret_expires_at, None);
}

#[test]
fn registration_response_refusals() {
    let cases = [
        json!({"client_secret": "s"}),
        json!({"client_id": 7}),
        json!({"client_id": ""}),
        json!({"client_id": "c", "client_secret": "s"}),
        json!({"client_id": "c", "client_secret": "s", "client_secret_expires_at": "0"}),
        json!({"client_id": "c", "client_secret": 1, "client_secret_expires_at": 0}),
        json!({"client_id": "c", "client_id_issued_at": -1}),
        json!({"client_id": "c", "registration_access_token": true}),
    ];
    for body in cases {
        let r = process_registration_response(&json_resp(201, &body));
        assert_eq!(code(&r), "OAUTH_INVALID_RESPONSE", "{body}");
    }
    let ok_body = json!({"client_id": "c"});
    assert_eq!(
        code(&process_registration_response(&json_resp(200, &ok_body))),
        "OAUTH_INVALID_RESPONSE",
        "200 is not 201"
    );
    let err = process_registration_response(&json_resp(
        400,
        &json!({"error": "invalid_redirect_uri", "error_description": "fragment"}),
    ))
    .unwrap_err();
    assert_eq!(err.code(), "OAUTH_RESPONSE_BODY_ERROR");
    assert_eq!(err.oauth_error().unwrap().error, "invalid_redirect_uri");
}
