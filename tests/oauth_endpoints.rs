//! The UserInfo endpoint (OpenID Connect Core 1.0 §5.3), token introspection (RFC 7662 §2)
//! and token revocation (RFC 7009 §2), sans-IO: request builders and response processors.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{TestRng, code, to_obj};
use oidckit::jwk::GenerateOptions;
use oidckit::oauth::client_auth::ClientAuth;
use oidckit::oauth::http::{HttpResponse, Method, form_decode};
use oidckit::oauth::introspection::{introspection_request, process_introspection_response};
use oidckit::oauth::revocation::{process_revocation_response, revocation_request};
use oidckit::oidc::userinfo::{UserinfoValidation, process_userinfo_response, userinfo_request};
use oidckit::{Alg, Key, jwt};
use serde_json::json;

const NOW: i64 = 1_700_000_000;
const ISSUER: &str = "https://op.example";
const CLIENT: &str = "client-1";
const SUB: &str = "248289761001";
const USERINFO: &str = "https://op.example/userinfo";
const INTROSPECT: &str = "https://as.example/introspect";
const REVOKE: &str = "https://as.example/revoke";

fn resp(status: u16, headers: &[(&str, &str)], body: &str) -> HttpResponse {
    HttpResponse {
        status,
        headers: headers
            .iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect(),
        body: body.as_bytes().to_vec(),
    }
}

fn json_resp(status: u16, body: &str) -> HttpResponse {
    resp(status, &[("Content-Type", "application/json")], body)
}

fn jwt_resp(token: &str) -> HttpResponse {
    resp(200, &[("Content-Type", "application/jwt")], token)
}

fn es256_key(seed: u64) -> Key {
    Key::generate(Alg::Es256, &mut TestRng(seed), GenerateOptions::default()).unwrap()
}

fn signed_userinfo(key: &Key, claims: serde_json::Value) -> String {
    jwt::sign(
        &to_obj(json!({"alg": "ES256"})),
        &to_obj(claims),
        key,
        &mut TestRng(7),
    )
    .unwrap()
}

fn signed_validation() -> UserinfoValidation {
    UserinfoValidation {
        issuer: Some(ISSUER.into()),
        client_id: Some(CLIENT.into()),
        algorithms: vec![Alg::Es256],
        ..UserinfoValidation::new(NOW)
    }
}

fn secret_basic() -> ClientAuth {
    ClientAuth::ClientSecretBasic {
        client_id: CLIENT.into(),
        secret: "s3cret".into(),
    }
}

fn form(body: &Option<String>) -> Vec<(String, String)> {
    form_decode(body.as_deref().unwrap()).unwrap()
}

// ---- UserInfo (OpenID Connect Core 1.0 §5.3) ----

#[test]
fn userinfo_bearer_header_never_query() {
    let token = "mF_9.B5f-4.1JqM";
    let req = userinfo_request(USERINFO, token, "Bearer").unwrap();
    assert_eq!(req.method, Method::Get);
    assert_eq!(req.url, USERINFO, "the token never goes into the URL");
    assert!(!req.url.contains(token));
    assert!(req.body.is_none());
    let header = |name: &str| {
        req.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(header("authorization"), Some("Bearer mF_9.B5f-4.1JqM"));
    assert_eq!(header("accept"), Some("application/json, application/jwt"));

    let dpop = userinfo_request(USERINFO, token, "DPoP").unwrap();
    assert!(
        dpop.headers
            .iter()
            .any(|(n, v)| n == "Authorization" && v == "DPoP mF_9.B5f-4.1JqM")
    );
}

#[test]
fn userinfo_request_rejects_misuse() {
    for (endpoint, token, ty) in [
        ("http://op.example/userinfo", "abc", "bearer"),
        (USERINFO, "", "bearer"),
        (USERINFO, "a b", "bearer"),
        (USERINFO, "abc\r\nX-Evil: 1", "bearer"),
        (USERINFO, "abc", "mac"),
    ] {
        let r = userinfo_request(endpoint, token, ty);
        assert!(r.is_err(), "{endpoint} {token:?} {ty}");
    }
    assert_eq!(
        code(&userinfo_request("http://op.example/u", "abc", "bearer")),
        "OAUTH_HTTP_REQUEST_FORBIDDEN"
    );
}

#[test]
fn userinfo_plain_json_ok() {
    let r = json_resp(200, r#"{"sub":"248289761001","name":"Jane Doe"}"#);
    let claims = process_userinfo_response(&r, SUB, None, &UserinfoValidation::new(NOW)).unwrap();
    assert_eq!(claims["name"], "Jane Doe");
}

#[test]
fn rp_userinfo_bad_sub_claim() {
    let r = json_resp(200, r#"{"sub":"other-user","name":"Mallory"}"#);
    let res = process_userinfo_response(&r, SUB, None, &UserinfoValidation::new(NOW));
    assert_eq!(code(&res), "OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED");
}

#[test]
fn userinfo_sub_missing_or_wrong_type() {
    for body in [
        r#"{"name":"x"}"#,
        r#"{"sub":248289761001}"#,
        r#"{"sub":null}"#,
    ] {
        let res = process_userinfo_response(
            &json_resp(200, body),
            SUB,
            None,
            &UserinfoValidation::new(NOW),
        );
        assert_eq!(code(&res), "OAUTH_INVALID_RESPONSE", "{body}");
    }
    let res = process_userinfo_response(
        &json_resp(200, r#"{"sub":"a","sub":"248289761001"}"#),
        SUB,
        None,
        &UserinfoValidation::new(NOW),
    );
    assert_eq!(code(&res), "OAUTH_INVALID_RESPONSE", "duplicate members");
    let res = process_userinfo_response(
        &resp(200, &[("Content-Type", "text/html")], "{}"),
        SUB,
        None,
        &UserinfoValidation::new(NOW),
    );
    assert_eq!(code(&res), "OAUTH_RESPONSE_IS_NOT_JSON");
    let res = process_userinfo_response(
        &json_resp(200, r#"{"sub":""}"#),
        "",
        None,
        &UserinfoValidation::new(NOW),
    );
    assert_eq!(code(&res), "ERR_INVALID_ARG_VALUE");
}

#[test]
fn signed_userinfo_verified() {
    let key = es256_key(1);
    let public = key.to_public().unwrap();
    let token = signed_userinfo(
        &key,
        json!({"iss": ISSUER, "aud": CLIENT, "sub": SUB, "email": "jane@example.com"}),
    );
    let claims =
        process_userinfo_response(&jwt_resp(&token), SUB, Some(&public), &signed_validation())
            .unwrap();
    assert_eq!(claims["email"], "jane@example.com");

    // Content type parameters and case are tolerated.
    let r = resp(
        200,
        &[("content-type", "Application/JWT; charset=utf-8")],
        &token,
    );
    assert!(process_userinfo_response(&r, SUB, Some(&public), &signed_validation()).is_ok());

    // A signed response still has its sub compared.
    let res = process_userinfo_response(
        &jwt_resp(&token),
        "someone-else",
        Some(&public),
        &signed_validation(),
    );
    assert_eq!(code(&res), "OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED");
}

#[test]
fn signed_userinfo_wrong_key_rejected() {
    let key = es256_key(1);
    let other = es256_key(2).to_public().unwrap();
    let token = signed_userinfo(&key, json!({"iss": ISSUER, "aud": CLIENT, "sub": SUB}));
    let res = process_userinfo_response(&jwt_resp(&token), SUB, Some(&other), &signed_validation());
    assert_eq!(code(&res), "ERR_JWS_SIGNATURE_VERIFICATION_FAILED");
}

#[test]
fn signed_userinfo_iss_aud_and_policy() {
    let key = es256_key(3);
    let public = key.to_public().unwrap();
    let v = signed_validation();
    for claims in [
        json!({"iss": "https://evil.example", "aud": CLIENT, "sub": SUB}),
        json!({"iss": ISSUER, "aud": "other-client", "sub": SUB}),
        json!({"aud": CLIENT, "sub": SUB}),
    ] {
        let token = signed_userinfo(&key, claims.clone());
        let res = process_userinfo_response(&jwt_resp(&token), SUB, Some(&public), &v);
        assert!(res.is_err(), "{claims}");
    }
    // Without iss/aud expectations they are not checked; an expired token still is.
    let token = signed_userinfo(&key, json!({"sub": SUB}));
    assert!(
        process_userinfo_response(
            &jwt_resp(&token),
            SUB,
            Some(&public),
            &UserinfoValidation::new(NOW)
        )
        .is_ok()
    );
    let token = signed_userinfo(&key, json!({"sub": SUB, "exp": NOW - 10}));
    let res = process_userinfo_response(
        &jwt_resp(&token),
        SUB,
        Some(&public),
        &UserinfoValidation::new(NOW),
    );
    assert_eq!(code(&res), "ERR_JWT_EXPIRED");
    // An algorithm outside the allow-list is refused.
    let v = UserinfoValidation {
        algorithms: vec![Alg::Rs256],
        ..UserinfoValidation::new(NOW)
    };
    let token = signed_userinfo(&key, json!({"sub": SUB}));
    assert!(process_userinfo_response(&jwt_resp(&token), SUB, Some(&public), &v).is_err());
    // A signed response without keys is a caller error; plain JSON when signing is required
    // is refused.
    let res =
        process_userinfo_response(&jwt_resp(&token), SUB, None, &UserinfoValidation::new(NOW));
    assert_eq!(code(&res), "ERR_INVALID_ARG_VALUE");
    let v = UserinfoValidation {
        require_signed: true,
        ..UserinfoValidation::new(NOW)
    };
    let res =
        process_userinfo_response(&json_resp(200, r#"{"sub":"248289761001"}"#), SUB, None, &v);
    assert_eq!(code(&res), "OAUTH_INVALID_RESPONSE");
}

#[test]
fn userinfo_401_challenge_surfaced() {
    let r = resp(
        401,
        &[(
            "WWW-Authenticate",
            r#"Bearer realm="op", error="invalid_token", error_description="The access token expired""#,
        )],
        "",
    );
    let err = process_userinfo_response(&r, SUB, None, &UserinfoValidation::new(NOW)).unwrap_err();
    assert_eq!(err.code(), "OAUTH_RESPONSE_BODY_ERROR");
    let body = err.oauth_error().unwrap();
    assert_eq!(body.error, "invalid_token");
    assert_eq!(
        body.error_description.as_deref(),
        Some("The access token expired")
    );
    assert_eq!(body.status, Some(401));

    // A challenge without error, no challenge, or another status: invalid response.
    for r in [
        resp(401, &[("WWW-Authenticate", r#"Bearer realm="op""#)], ""),
        resp(401, &[], ""),
        json_resp(500, "{}"),
    ] {
        let res = process_userinfo_response(&r, SUB, None, &UserinfoValidation::new(NOW));
        assert_eq!(code(&res), "OAUTH_INVALID_RESPONSE", "{}", r.status);
    }
    // A non-200 JSON error body is surfaced too.
    let res = process_userinfo_response(
        &json_resp(400, r#"{"error":"invalid_request"}"#),
        SUB,
        None,
        &UserinfoValidation::new(NOW),
    );
    assert_eq!(code(&res), "OAUTH_RESPONSE_BODY_ERROR");
}

// ---- Introspection (RFC 7662 §2) ----

#[test]
fn introspection_request_shape() {
    let req = introspection_request(
        INTROSPECT,
        "mF_9.B5f-4.1JqM",
        Some("access_token"),
        &secret_basic(),
        NOW,
        &mut TestRng(1),
    )
    .unwrap();
    assert_eq!(req.method, Method::Post);
    assert_eq!(req.url, INTROSPECT);
    assert_eq!(
        form(&req.body),
        vec![
            ("token".to_owned(), "mF_9.B5f-4.1JqM".to_owned()),
            ("token_type_hint".to_owned(), "access_token".to_owned()),
        ]
    );
    assert!(
        req.headers
            .iter()
            .any(|(n, v)| n == "Authorization" && v.starts_with("Basic "))
    );
    assert!(
        req.headers
            .iter()
            .any(|(n, v)| n == "Content-Type" && v == "application/x-www-form-urlencoded")
    );
    for (endpoint, token, hint) in [
        (INTROSPECT, "", None),
        (INTROSPECT, "t", Some("")),
        ("http://as.example/introspect", "t", None),
    ] {
        let r = introspection_request(endpoint, token, hint, &secret_basic(), NOW, &mut TestRng(1));
        assert!(r.is_err(), "{endpoint} {token:?} {hint:?}");
    }
}

#[test]
fn introspection_active() {
    let r = json_resp(
        200,
        r#"{"active":true,"client_id":"l238j323ds-23ij4","username":"jdoe","scope":"read write dolphin","sub":"Z5O3upPC88QrAjx00dis","aud":"https://protected.example.net/resource","iss":"https://server.example.com/","exp":1419356238,"iat":1419350238,"nbf":1419350238.5,"token_type":"Bearer","jti":"abc","extension_field":"twenty-seven"}"#,
    );
    let i = process_introspection_response(&r).unwrap();
    assert!(i.active);
    assert_eq!(i.client_id.as_deref(), Some("l238j323ds-23ij4"));
    assert_eq!(i.username.as_deref(), Some("jdoe"));
    assert_eq!(i.scope.as_deref(), Some("read write dolphin"));
    assert_eq!(i.sub.as_deref(), Some("Z5O3upPC88QrAjx00dis"));
    assert_eq!(
        i.aud,
        Some(vec!["https://protected.example.net/resource".to_owned()])
    );
    assert_eq!(i.iss.as_deref(), Some("https://server.example.com/"));
    assert_eq!(i.exp, Some(1_419_356_238));
    assert_eq!(i.iat, Some(1_419_350_238));
    assert_eq!(i.nbf, Some(1_419_350_238));
    assert_eq!(i.token_type.as_deref(), Some("Bearer"));
    assert_eq!(i.jti.as_deref(), Some("abc"));
    assert_eq!(i.raw["extension_field"], "twenty-seven");

    let i = process_introspection_response(&json_resp(200, r#"{"active":true,"aud":["a","b"]}"#))
        .unwrap();
    assert_eq!(i.aud, Some(vec!["a".to_owned(), "b".to_owned()]));
}

#[test]
fn introspection_inactive() {
    let i = process_introspection_response(&json_resp(200, r#"{"active":false}"#)).unwrap();
    assert!(!i.active);
    assert_eq!(i.scope, None);
    assert_eq!(i.exp, None);
}

#[test]
fn introspection_missing_active() {
    for body in [r#"{}"#, r#"{"scope":"read"}"#] {
        let res = process_introspection_response(&json_resp(200, body));
        assert_eq!(code(&res), "OAUTH_INVALID_RESPONSE", "{body}");
    }
}

#[test]
fn introspection_wrong_types() {
    for body in [
        r#"{"active":"true"}"#,
        r#"{"active":1}"#,
        r#"{"active":null}"#,
        r#"{"active":true,"scope":["read"]}"#,
        r#"{"active":true,"client_id":5}"#,
        r#"{"active":true,"username":false}"#,
        r#"{"active":true,"token_type":{}}"#,
        r#"{"active":true,"exp":"1419356238"}"#,
        r#"{"active":true,"iat":true}"#,
        r#"{"active":true,"nbf":1e300}"#,
        r#"{"active":true,"sub":1}"#,
        r#"{"active":true,"aud":5}"#,
        r#"{"active":true,"aud":["a",5]}"#,
        r#"{"active":true,"iss":null}"#,
        r#"{"active":true,"jti":[]}"#,
        r#"{"active":true,"active":false}"#,
    ] {
        let res = process_introspection_response(&json_resp(200, body));
        assert_eq!(code(&res), "OAUTH_INVALID_RESPONSE", "{body}");
    }
    let res = process_introspection_response(&resp(200, &[("Content-Type", "text/plain")], "{}"));
    assert_eq!(code(&res), "OAUTH_RESPONSE_IS_NOT_JSON");
}

#[test]
fn introspection_error_body() {
    let err = process_introspection_response(&json_resp(
        401,
        r#"{"error":"invalid_client","error_description":"bad secret"}"#,
    ))
    .unwrap_err();
    assert_eq!(err.code(), "OAUTH_RESPONSE_BODY_ERROR");
    let body = err.oauth_error().unwrap();
    assert_eq!(body.error, "invalid_client");
    assert_eq!(body.status, Some(401));
    let res = process_introspection_response(&resp(502, &[], "bad gateway"));
    assert_eq!(code(&res), "OAUTH_INVALID_RESPONSE");
}

// ---- Revocation (RFC 7009 §2) ----

#[test]
fn revocation_request_shape() {
    let auth = ClientAuth::None {
        client_id: CLIENT.into(),
    };
    let req = revocation_request(
        REVOKE,
        "45ghiukldjahdnhzdauz",
        Some("refresh_token"),
        &auth,
        NOW,
        &mut TestRng(1),
    )
    .unwrap();
    assert_eq!(req.method, Method::Post);
    assert_eq!(req.url, REVOKE);
    assert_eq!(
        form(&req.body),
        vec![
            ("token".to_owned(), "45ghiukldjahdnhzdauz".to_owned()),
            ("token_type_hint".to_owned(), "refresh_token".to_owned()),
            ("client_id".to_owned(), CLIENT.to_owned()),
        ]
    );
    assert!(revocation_request(REVOKE, "", None, &auth, NOW, &mut TestRng(1)).is_err());
}

#[test]
fn revocation_ok() {
    for r in [
        resp(200, &[], ""),
        json_resp(200, "{}"),
        resp(200, &[("Content-Type", "text/html")], "<p>done</p>"),
    ] {
        process_revocation_response(&r).unwrap();
    }
}

#[test]
fn revocation_error() {
    let err = process_revocation_response(&json_resp(400, r#"{"error":"unsupported_token_type"}"#))
        .unwrap_err();
    assert_eq!(err.code(), "OAUTH_RESPONSE_BODY_ERROR");
    assert_eq!(err.oauth_error().unwrap().error, "unsupported_token_type");
    assert_eq!(err.oauth_error().unwrap().status, Some(400));
    for r in [
        resp(503, &[("Retry-After", "120")], ""),
        json_resp(500, r#"{"message":"oops"}"#),
        resp(400, &[("Content-Type", "text/html")], "bad"),
    ] {
        let res = process_revocation_response(&r);
        assert_eq!(code(&res), "OAUTH_INVALID_RESPONSE", "{}", r.status);
    }
}

#[test]
fn userinfo_dpop_challenge_and_oversized_jwt() {
    let r = resp(
        401,
        &[(
            "WWW-Authenticate",
            r#"DPoP algs="ES256 PS256", error="invalid_dpop_proof", error_description="bad proof""#,
        )],
        "",
    );
    let err = process_userinfo_response(&r, SUB, None, &UserinfoValidation::new(NOW)).unwrap_err();
    assert_eq!(err.oauth_error().unwrap().error, "invalid_dpop_proof");

    let key = es256_key(4).to_public().unwrap();
    let mut big = jwt_resp("");
    big.body = vec![b'a'; (1 << 20) + 1];
    let res = process_userinfo_response(&big, SUB, Some(&key), &UserinfoValidation::new(NOW));
    assert_eq!(code(&res), "OAUTH_INVALID_RESPONSE");
}
