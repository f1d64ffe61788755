//! Token endpoint client authentication (RFC 6749 §2.3.1, OpenID Connect Core 1.0 §9,
//! RFC 7523), token requests and responses (RFC 6749 §4.1.3, §5.1, §5.2, §6; RFC 7523 §2.1;
//! RFC 8693) and bearer token usage (RFC 6750 §2, §3). Keys come from `tests/data/keys` (see
//! its README); expected `x5t` values from its `expected.json`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use oidckit::oauth::bearer::{BearerError, extract_bearer_token, www_authenticate};
use oidckit::oauth::client_auth::{
    CLIENT_ASSERTION_TYPE_JWT_BEARER, ClientAssertion, ClientAuth, JwtBearerAssertion,
    create_client_assertion, create_jwt_bearer_assertion,
};
use oidckit::oauth::http::{HttpRequest, HttpResponse, Method, form_decode};
use oidckit::oauth::token::{
    GRANT_TYPE_JWT_BEARER, GRANT_TYPE_TOKEN_EXCHANGE, authorization_code_request,
    client_credentials_request, generic_grant_request, jwt_bearer_request, password_request,
    process_token_response, refresh_token_request,
};
use oidckit::{Alg, Error, Key, Object, jws, jwt};
use rand_core::UnwrapErr;
use serde_json::{Value, json};

const NOW: i64 = 1_700_000_000;
const CLIENT: &str = "client-1";
const TOKEN_ENDPOINT: &str = "https://as.example/token";
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
/// 32 octets: the HS256 minimum (RFC 7518 §3.2).
const SECRET_32: &str = "0123456789abcdef0123456789abcdef";

fn rng() -> UnwrapErr<getrandom::SysRng> {
    UnwrapErr(getrandom::SysRng)
}

fn fixture(name: &str) -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/keys/");
    std::fs::read_to_string(format!("{path}{name}")).unwrap()
}

fn expected_x5t(cert: &str) -> String {
    let expected: Value = serde_json::from_str(&fixture("expected.json")).unwrap();
    expected["certificates"][cert]["x5t"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn obj(v: Value) -> Object {
    match v {
        Value::Object(o) => o,
        other => panic!("not an object: {other}"),
    }
}

fn rsa_private(alg: Alg) -> Key {
    Key::from_pkcs8_pem(&fixture("rsa2048-pkcs8.pem"), alg).unwrap()
}

fn rsa_cert_public(alg: Alg) -> Key {
    Key::from_x509(fixture("cert-rsa.pem").as_bytes(), Some(alg)).unwrap()
}

fn header_of(token: &str) -> Object {
    jws::decode_protected_header(token).unwrap()
}

fn validation(alg: Alg, audience: &str, subject: &str) -> jwt::Validation {
    jwt::Validation {
        algorithms: vec![alg],
        issuer: vec![CLIENT.into()],
        audience: vec![audience.into()],
        subject: Some(subject.into()),
        required_claims: vec!["jti".into(), "iat".into(), "exp".into()],
        ..jwt::Validation::new(NOW)
    }
}

fn body_params(req: &HttpRequest) -> Vec<(String, String)> {
    form_decode(req.body.as_deref().unwrap()).unwrap()
}

fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    let mut found = params.iter().filter(|(n, _)| n == name);
    let first = found.next().map(|(_, v)| v.as_str());
    assert!(found.next().is_none(), "{name} repeated");
    first
}

fn header<'a>(req: &'a HttpRequest, name: &str) -> Option<&'a str> {
    req.headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

fn json_response(status: u16, body: &str) -> HttpResponse {
    HttpResponse {
        status,
        headers: vec![(
            "Content-Type".into(),
            "application/json; charset=utf-8".into(),
        )],
        body: body.as_bytes().to_vec(),
    }
}

// ---------------------------------------------------------------------------------------------
// Client assertions (RFC 7523 §2.2, §3; OpenID Connect Core 1.0 §9)
// ---------------------------------------------------------------------------------------------

#[test]
fn client_assertion_header_and_claims_with_kid_and_x5t_from_certificate() {
    let cert_key = rsa_cert_public(Alg::Rs256);
    let x5t = expected_x5t("cert-rsa");
    assert_eq!(cert_key.meta.x5t.as_deref(), Some(x5t.as_str()));
    let mut key = rsa_private(Alg::Rs256);
    key.meta.x5t = cert_key.meta.x5t.clone();

    let assertion = ClientAssertion {
        client_id: CLIENT,
        audience: TOKEN_ENDPOINT,
        key: &key,
        alg: Alg::Rs256,
        kid: Some("client-key-1"),
        x5t: None, // taken from key.meta.x5t
        lifetime: None,
        claims: Object::new(),
    };
    let token = create_client_assertion(&assertion, NOW, &mut rng()).unwrap();

    let h = header_of(&token);
    assert_eq!(
        Value::Object(h),
        json!({"alg": "RS256", "kid": "client-key-1", "x5t": x5t}),
        "no typ, exactly alg + kid + x5t"
    );

    let verified = jwt::verify(
        &token,
        &cert_key,
        &validation(Alg::Rs256, TOKEN_ENDPOINT, CLIENT),
    )
    .unwrap();
    let c = &verified.claims;
    assert_eq!(c["iss"], CLIENT);
    assert_eq!(c["sub"], CLIENT);
    assert_eq!(c["aud"], TOKEN_ENDPOINT);
    assert_eq!(c["iat"], NOW);
    assert_eq!(c["exp"], NOW + 60, "default lifetime is 60 s");
    let jti = c["jti"].as_str().unwrap();
    assert!(
        oidckit::b64::decode(jti, "jti").unwrap().len() >= 16,
        "jti ≥ 128 bits"
    );

    // A second assertion gets a fresh jti.
    let again = create_client_assertion(&assertion, NOW, &mut rng()).unwrap();
    assert_ne!(jwt::decode(&again).unwrap()["jti"], c["jti"]);

    // Explicit kid/x5t win over key.meta; no kid at all when neither is set.
    let explicit = ClientAssertion {
        kid: None,
        x5t: Some("explicit-x5t"),
        ..assertion.clone()
    };
    let h = header_of(&create_client_assertion(&explicit, NOW, &mut rng()).unwrap());
    assert_eq!(
        Value::Object(h),
        json!({"alg": "RS256", "x5t": "explicit-x5t"})
    );
}

#[test]
fn client_assertion_rejects_bad_lifetime_and_registered_extra_claims() {
    let key = rsa_private(Alg::Rs256);
    let base = ClientAssertion {
        client_id: CLIENT,
        audience: TOKEN_ENDPOINT,
        key: &key,
        alg: Alg::Rs256,
        kid: None,
        x5t: None,
        lifetime: Some(300),
        claims: obj(json!({"custom": 1})),
    };
    let token = create_client_assertion(&base, NOW, &mut rng()).unwrap();
    let claims = jwt::decode(&token).unwrap();
    assert_eq!(claims["exp"], NOW + 300);
    assert_eq!(claims["custom"], 1);

    for lifetime in [0, 301] {
        let a = ClientAssertion {
            lifetime: Some(lifetime),
            ..base.clone()
        };
        let err = create_client_assertion(&a, NOW, &mut rng()).unwrap_err();
        assert_eq!(err.code(), "ERR_INVALID_ARG_VALUE", "lifetime {lifetime}");
    }
    for name in ["iss", "sub", "aud", "jti", "iat", "exp"] {
        let mut claims = Object::new();
        claims.insert(name.into(), json!("x"));
        let a = ClientAssertion {
            claims,
            ..base.clone()
        };
        assert!(
            matches!(
                create_client_assertion(&a, NOW, &mut rng()),
                Err(Error::InvalidArgValue(_))
            ),
            "{name}"
        );
    }
    let empty_aud = ClientAssertion {
        audience: "",
        ..base.clone()
    };
    assert!(create_client_assertion(&empty_aud, NOW, &mut rng()).is_err());
}

#[test]
fn private_key_jwt_rs384_apply_and_verify() {
    let auth = ClientAuth::PrivateKeyJwt {
        client_id: CLIENT.into(),
        key: rsa_private(Alg::Rs384),
        alg: Alg::Rs384,
        kid: Some("rs384-key".into()),
        x5t: None,
    };
    let mut params = Vec::new();
    let mut headers = Vec::new();
    auth.apply(&mut params, &mut headers, TOKEN_ENDPOINT, NOW, &mut rng())
        .unwrap();
    assert!(headers.is_empty(), "no Authorization header");
    assert_eq!(param(&params, "client_id"), Some(CLIENT));
    assert_eq!(
        param(&params, "client_assertion_type"),
        Some(CLIENT_ASSERTION_TYPE_JWT_BEARER)
    );
    assert_eq!(param(&params, "client_secret"), None);
    let jwt_text = param(&params, "client_assertion").unwrap();
    let h = header_of(jwt_text);
    assert_eq!(
        Value::Object(h),
        json!({"alg": "RS384", "kid": "rs384-key"})
    );

    let public = rsa_cert_public(Alg::Rs384);
    let verified = jwt::verify(
        jwt_text,
        &public,
        &validation(Alg::Rs384, TOKEN_ENDPOINT, CLIENT),
    )
    .unwrap();
    assert_eq!(verified.claims["exp"], NOW + 60);
    // Not valid under RS256.
    assert!(
        jwt::verify(
            jwt_text,
            &public,
            &validation(Alg::Rs256, TOKEN_ENDPOINT, CLIENT)
        )
        .is_err()
    );

    // The same through a token request: the endpoint is the audience.
    let req =
        client_credentials_request(TOKEN_ENDPOINT, Some("api"), &auth, NOW, &mut rng()).unwrap();
    let p = body_params(&req);
    assert_eq!(param(&p, "grant_type"), Some("client_credentials"));
    assert_eq!(param(&p, "scope"), Some("api"));
    let assertion = param(&p, "client_assertion").unwrap();
    jwt::verify(
        assertion,
        &public,
        &validation(Alg::Rs384, TOKEN_ENDPOINT, CLIENT),
    )
    .unwrap();
}

#[test]
fn private_key_jwt_refuses_hmac_algorithms_and_mismatched_keys() {
    let hs = ClientAuth::PrivateKeyJwt {
        client_id: CLIENT.into(),
        key: Key::from_secret(SECRET_32.as_bytes(), None).unwrap(),
        alg: Alg::Hs256,
        kid: None,
        x5t: None,
    };
    let err = hs
        .apply(
            &mut Vec::new(),
            &mut Vec::new(),
            TOKEN_ENDPOINT,
            NOW,
            &mut rng(),
        )
        .unwrap_err();
    assert_eq!(err.code(), "ERR_INVALID_ARG_VALUE");

    // An RSA key bound to RS256 cannot sign ES256.
    let wrong = ClientAuth::PrivateKeyJwt {
        client_id: CLIENT.into(),
        key: rsa_private(Alg::Rs256),
        alg: Alg::Es256,
        kid: None,
        x5t: None,
    };
    assert!(
        wrong
            .apply(
                &mut Vec::new(),
                &mut Vec::new(),
                TOKEN_ENDPOINT,
                NOW,
                &mut rng()
            )
            .is_err()
    );
}

#[test]
fn client_secret_jwt_hs256_default_and_short_secret_refused() {
    let auth = ClientAuth::client_secret_jwt(CLIENT, SECRET_32);
    let mut params = Vec::new();
    let mut headers = Vec::new();
    auth.apply(&mut params, &mut headers, TOKEN_ENDPOINT, NOW, &mut rng())
        .unwrap();
    assert!(headers.is_empty());
    assert_eq!(
        param(&params, "client_secret"),
        None,
        "the secret is never sent"
    );
    let token = param(&params, "client_assertion").unwrap();
    assert_eq!(Value::Object(header_of(token)), json!({"alg": "HS256"}));
    let mac_key = Key::from_secret(SECRET_32.as_bytes(), Some(Alg::Hs256)).unwrap();
    let v = jwt::verify(
        token,
        &mac_key,
        &validation(Alg::Hs256, TOKEN_ENDPOINT, CLIENT),
    )
    .unwrap();
    assert_eq!(v.claims["aud"], TOKEN_ENDPOINT);

    // HS512 needs 64 octets (RFC 7518 §3.2): a 32-octet secret is refused.
    let short = ClientAuth::ClientSecretJwt {
        client_id: CLIENT.into(),
        secret: SECRET_32.into(),
        alg: Alg::Hs512,
    };
    let err = short
        .apply(
            &mut Vec::new(),
            &mut Vec::new(),
            TOKEN_ENDPOINT,
            NOW,
            &mut rng(),
        )
        .unwrap_err();
    assert!(matches!(err, Error::KeyInvalid(_)), "{err:?}");

    // And an asymmetric algorithm is misuse.
    let rsa = ClientAuth::ClientSecretJwt {
        client_id: CLIENT.into(),
        secret: SECRET_32.into(),
        alg: Alg::Rs256,
    };
    assert!(matches!(
        rsa.apply(
            &mut Vec::new(),
            &mut Vec::new(),
            TOKEN_ENDPOINT,
            NOW,
            &mut rng()
        ),
        Err(Error::InvalidArgValue(_))
    ));
}

#[test]
fn client_secret_basic_form_encodes_special_characters() {
    let auth = ClientAuth::ClientSecretBasic {
        client_id: "my client:1".into(),
        secret: "p@ss:w/ rd%+é~".into(),
    };
    let req = refresh_token_request(TOKEN_ENDPOINT, "rt-1", None, &auth, NOW, &mut rng()).unwrap();
    let authz = header(&req, "authorization").unwrap();
    let encoded = authz.strip_prefix("Basic ").unwrap();
    let decoded = String::from_utf8(STANDARD.decode(encoded).unwrap()).unwrap();
    // RFC 6749 §2.3.1: each part form-urlencoded (Appendix B) before Basic.
    assert_eq!(decoded, "my+client%3A1:p%40ss%3Aw%2F+rd%25%2B%C3%A9~");
    let p = body_params(&req);
    assert_eq!(param(&p, "grant_type"), Some("refresh_token"));
    assert_eq!(param(&p, "refresh_token"), Some("rt-1"));
    assert_eq!(param(&p, "client_id"), None);
    assert_eq!(param(&p, "client_secret"), None);

    // Empty secret is misuse.
    let empty = ClientAuth::ClientSecretBasic {
        client_id: CLIENT.into(),
        secret: String::new(),
    };
    assert!(refresh_token_request(TOKEN_ENDPOINT, "rt", None, &empty, NOW, &mut rng()).is_err());
}

#[test]
fn client_secret_post_and_none_put_credentials_in_the_body() {
    let post = ClientAuth::ClientSecretPost {
        client_id: CLIENT.into(),
        secret: "s&=cret".into(),
    };
    let req =
        refresh_token_request(TOKEN_ENDPOINT, "rt", Some("a b"), &post, NOW, &mut rng()).unwrap();
    assert!(header(&req, "authorization").is_none());
    let p = body_params(&req);
    assert_eq!(param(&p, "client_id"), Some(CLIENT));
    assert_eq!(param(&p, "client_secret"), Some("s&=cret"));
    assert_eq!(param(&p, "scope"), Some("a b"));

    let none = ClientAuth::None {
        client_id: CLIENT.into(),
    };
    let req = refresh_token_request(TOKEN_ENDPOINT, "rt", None, &none, NOW, &mut rng()).unwrap();
    let p = body_params(&req);
    assert_eq!(param(&p, "client_id"), Some(CLIENT));
    assert_eq!(param(&p, "client_secret"), None);
    // Client credentials needs a confidential client (RFC 6749 §4.4).
    assert!(client_credentials_request(TOKEN_ENDPOINT, None, &none, NOW, &mut rng()).is_err());
    // Debug never prints the secret.
    assert!(!format!("{post:?}").contains("s&=cret"));
}

// ---------------------------------------------------------------------------------------------
// Token requests (RFC 6749 §4.1.3, §4.3.2, §6; RFC 7523 §2.1; RFC 8693 §2.1)
// ---------------------------------------------------------------------------------------------

#[test]
fn authorization_code_request_shape() {
    let none = ClientAuth::None {
        client_id: CLIENT.into(),
    };
    let req = authorization_code_request(
        TOKEN_ENDPOINT,
        "code+1/=",
        "https://rp.example/cb?x=1",
        VERIFIER,
        &none,
        NOW,
        &mut rng(),
    )
    .unwrap();
    assert_eq!(req.method, Method::Post);
    assert_eq!(req.url, TOKEN_ENDPOINT);
    assert_eq!(
        header(&req, "content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(header(&req, "accept"), Some("application/json"));
    let p = body_params(&req);
    assert_eq!(p[0], ("grant_type".into(), "authorization_code".into()));
    assert_eq!(param(&p, "code"), Some("code+1/="));
    assert_eq!(param(&p, "redirect_uri"), Some("https://rp.example/cb?x=1"));
    assert_eq!(param(&p, "code_verifier"), Some(VERIFIER));
    assert_eq!(param(&p, "client_id"), Some(CLIENT));

    // A malformed verifier (RFC 7636 §4.1), an empty code and a plain-http endpoint are refused.
    let bad = |endpoint: &str, code: &str, verifier: &str| {
        authorization_code_request(
            endpoint,
            code,
            "https://rp.example/cb",
            verifier,
            &none,
            NOW,
            &mut rng(),
        )
    };
    assert!(bad(TOKEN_ENDPOINT, "c", "short").is_err());
    assert!(bad(TOKEN_ENDPOINT, "", VERIFIER).is_err());
    assert!(bad("http://as.example/token", "c", VERIFIER).is_err());
    assert!(bad("https://as.example/token#frag", "c", VERIFIER).is_err());
}

#[test]
fn password_jwt_bearer_and_generic_grant_requests() {
    let basic = ClientAuth::ClientSecretBasic {
        client_id: CLIENT.into(),
        secret: "secret".into(),
    };
    let req = password_request(
        TOKEN_ENDPOINT,
        "alice",
        "pw d",
        Some("openid"),
        &basic,
        NOW,
        &mut rng(),
    )
    .unwrap();
    let p = body_params(&req);
    assert_eq!(param(&p, "grant_type"), Some("password"));
    assert_eq!(param(&p, "username"), Some("alice"));
    assert_eq!(param(&p, "password"), Some("pw d"));
    assert_eq!(param(&p, "scope"), Some("openid"));

    // RFC 7523 §2.1: iss = client, sub = the user, custom claims.
    let key = rsa_private(Alg::Ps256);
    let grant = create_jwt_bearer_assertion(
        &JwtBearerAssertion {
            issuer: CLIENT,
            subject: "alice",
            audience: "https://as.example",
            key: &key,
            alg: Alg::Ps256,
            kid: None,
            x5t: None,
            lifetime: None,
            claims: obj(json!({"tenant": "t1"})),
        },
        NOW,
        &mut rng(),
    )
    .unwrap();
    let v = jwt::verify(
        &grant,
        &rsa_cert_public(Alg::Ps256),
        &validation(Alg::Ps256, "https://as.example", "alice"),
    )
    .unwrap();
    assert_eq!(v.claims["tenant"], "t1");
    assert_eq!(v.claims["iss"], CLIENT);

    let req = jwt_bearer_request(
        TOKEN_ENDPOINT,
        &grant,
        Some("read"),
        &basic,
        NOW,
        &mut rng(),
    )
    .unwrap();
    let p = body_params(&req);
    assert_eq!(param(&p, "grant_type"), Some(GRANT_TYPE_JWT_BEARER));
    assert_eq!(param(&p, "assertion"), Some(grant.as_str()));
    assert_eq!(param(&p, "scope"), Some("read"));

    // RFC 8693 token exchange through the generic builder.
    let params = [
        ("subject_token", "st"),
        (
            "subject_token_type",
            "urn:ietf:params:oauth:token-type:access_token",
        ),
        ("audience", "https://api.example"),
    ];
    let req = generic_grant_request(
        TOKEN_ENDPOINT,
        GRANT_TYPE_TOKEN_EXCHANGE,
        &params,
        &basic,
        NOW,
        &mut rng(),
    )
    .unwrap();
    let p = body_params(&req);
    assert_eq!(param(&p, "grant_type"), Some(GRANT_TYPE_TOKEN_EXCHANGE));
    assert_eq!(param(&p, "subject_token"), Some("st"));
    assert_eq!(param(&p, "audience"), Some("https://api.example"));

    // Reserved or repeated parameters are misuse.
    for bad in [
        &[("grant_type", "x")][..],
        &[("client_secret", "x")][..],
        &[("a", "1"), ("a", "2")][..],
        &[("", "1")][..],
    ] {
        let r = generic_grant_request(TOKEN_ENDPOINT, "urn:x", bad, &basic, NOW, &mut rng());
        assert!(matches!(r, Err(Error::InvalidArgValue(_))), "{bad:?}");
    }
    assert!(generic_grant_request(TOKEN_ENDPOINT, "", &[], &basic, NOW, &mut rng()).is_err());
}

// ---------------------------------------------------------------------------------------------
// Token responses (RFC 6749 §5.1, §5.2)
// ---------------------------------------------------------------------------------------------

#[test]
fn token_response_success_and_token_type_case_insensitive() {
    let body = r#"{"access_token":"at","token_type":"Bearer","expires_in":3600,
        "refresh_token":"rt","id_token":"a.b.c","scope":"openid profile","ext":true}"#;
    let t = process_token_response(&json_response(200, body)).unwrap();
    assert_eq!(t.access_token, "at");
    assert_eq!(t.token_type, "bearer");
    assert_eq!(t.expires_in, Some(3600));
    assert_eq!(t.refresh_token.as_deref(), Some("rt"));
    assert_eq!(t.id_token.as_deref(), Some("a.b.c"));
    assert_eq!(t.scope.as_deref(), Some("openid profile"));
    assert_eq!(t.raw["ext"], true);
    assert!(!format!("{t:?}").contains("\"at\""), "Debug hides tokens");

    for (tt, expected) in [("BEARER", "bearer"), ("bearer", "bearer"), ("DPoP", "dpop")] {
        let body = format!(r#"{{"access_token":"at","token_type":"{tt}"}}"#);
        let t = process_token_response(&json_response(200, &body)).unwrap();
        assert_eq!(t.token_type, expected);
        assert_eq!(t.expires_in, None);
    }
    let err = process_token_response(&json_response(
        200,
        r#"{"access_token":"at","token_type":"mac"}"#,
    ))
    .unwrap_err();
    assert!(matches!(err, Error::NotSupported(_)), "{err:?}");
}

#[test]
fn token_response_missing_access_token() {
    for body in [
        r#"{"token_type":"Bearer"}"#,
        r#"{"access_token":"","token_type":"Bearer"}"#,
        r#"{"access_token":"at"}"#,
    ] {
        let err = process_token_response(&json_response(200, body)).unwrap_err();
        assert_eq!(err.code(), "OAUTH_INVALID_RESPONSE", "{body}");
    }
}

#[test]
fn token_response_wrong_types() {
    for body in [
        r#"{"access_token":1,"token_type":"Bearer"}"#,
        r#"{"access_token":"at","token_type":["Bearer"]}"#,
        r#"{"access_token":"at","token_type":"Bearer","expires_in":"3600"}"#,
        r#"{"access_token":"at","token_type":"Bearer","expires_in":-1}"#,
        r#"{"access_token":"at","token_type":"Bearer","expires_in":1.5}"#,
        r#"{"access_token":"at","token_type":"Bearer","expires_in":null}"#,
        r#"{"access_token":"at","token_type":"Bearer","refresh_token":5}"#,
        r#"{"access_token":"at","token_type":"Bearer","id_token":{}}"#,
        r#"{"access_token":"at","token_type":"Bearer","scope":["a"]}"#,
        r#"{"access_token":"at","token_type":"Bearer","access_token":"dup"}"#,
        r#"["access_token"]"#,
    ] {
        let err = process_token_response(&json_response(200, body)).unwrap_err();
        assert!(
            matches!(err, Error::OAuthInvalidResponse(_)),
            "{body}: {err:?}"
        );
    }
    // Not JSON at all.
    let html = HttpResponse {
        status: 200,
        headers: vec![("content-type".into(), "text/html".into())],
        body: b"<html>".to_vec(),
    };
    assert!(matches!(
        process_token_response(&html),
        Err(Error::OAuthResponseIsNotJson(_))
    ));
}

#[test]
fn token_response_error_body_surfaced() {
    let resp = json_response(
        400,
        r#"{"error":"invalid_grant","error_description":"code expired","error_uri":"https://as.example/e"}"#,
    );
    match process_token_response(&resp).unwrap_err() {
        Error::OAuthResponseBodyError(e) => {
            assert_eq!(e.error, "invalid_grant");
            assert_eq!(e.error_description.as_deref(), Some("code expired"));
            assert_eq!(e.error_uri.as_deref(), Some("https://as.example/e"));
            assert_eq!(e.status, Some(400));
        }
        other => panic!("unexpected {other:?}"),
    }
    let e =
        process_token_response(&json_response(401, r#"{"error":"invalid_client"}"#)).unwrap_err();
    assert_eq!(e.code(), "OAUTH_RESPONSE_BODY_ERROR");

    // A non-200 status without an OAuth error body, and a 201 with a token, are invalid.
    let e = process_token_response(&HttpResponse {
        status: 502,
        headers: vec![],
        body: b"bad gateway".to_vec(),
    })
    .unwrap_err();
    assert_eq!(e.code(), "OAUTH_INVALID_RESPONSE");
    let e = process_token_response(&json_response(
        201,
        r#"{"access_token":"at","token_type":"Bearer"}"#,
    ))
    .unwrap_err();
    assert_eq!(e.code(), "OAUTH_INVALID_RESPONSE");
}

// ---------------------------------------------------------------------------------------------
// Bearer token usage (RFC 6750 §2, §3)
// ---------------------------------------------------------------------------------------------

#[test]
fn bearer_token_from_header_body_or_query() {
    let t = |h, b, q| extract_bearer_token(h, b, q);
    assert_eq!(
        t(Some("Bearer mF_9.B5f-4.1JqM"), None, None)
            .unwrap()
            .as_deref(),
        Some("mF_9.B5f-4.1JqM")
    );
    assert_eq!(
        t(Some("bEaReR abc+/=="), None, None).unwrap().as_deref(),
        Some("abc+/==")
    );
    assert_eq!(
        t(None, Some("x=1&access_token=mF_9.B5f-4.1JqM"), None)
            .unwrap()
            .as_deref(),
        Some("mF_9.B5f-4.1JqM")
    );
    assert_eq!(
        t(None, None, Some("?access_token=a%2Bb&y=2"))
            .unwrap()
            .as_deref(),
        Some("a+b")
    );
    // Other schemes and absent tokens are not bearer tokens.
    assert_eq!(t(Some("Basic YTpi"), None, None).unwrap(), None);
    assert_eq!(t(None, Some("x=1"), Some("y=2")).unwrap(), None);
    assert_eq!(t(None, None, None).unwrap(), None);
}

#[test]
fn bearer_token_in_two_places_or_malformed_is_invalid_request() {
    let both = [
        (Some("Bearer abc"), Some("access_token=abc"), None),
        (Some("Bearer abc"), None, Some("access_token=abc")),
        (None, Some("access_token=a"), Some("access_token=b")),
        (None, None, Some("access_token=a&access_token=a")),
    ];
    for (h, b, q) in both {
        let err = extract_bearer_token(h, b, q).unwrap_err();
        assert_eq!(err.code(), "OAUTH_INVALID_REQUEST", "{h:?} {b:?} {q:?}");
    }
    for h in [
        "Bearer",
        "Bearer ",
        "Bearer a b",
        "Bearer a=b",
        "Bearer ab\"c",
        "Bearer é",
    ] {
        let err = extract_bearer_token(Some(h), None, None).unwrap_err();
        assert_eq!(err.code(), "OAUTH_INVALID_REQUEST", "{h:?}");
    }
    for (b, q) in [
        (Some("access_token="), None),
        (Some("access_token=a%ZZ"), None),
        (None, Some("access_token=abc&x=%C3")),
    ] {
        let err = extract_bearer_token(None, b, q).unwrap_err();
        assert_eq!(err.code(), "OAUTH_INVALID_REQUEST", "{b:?} {q:?}");
    }
}

#[test]
fn www_authenticate_header_values() {
    assert_eq!(www_authenticate(None, None, None, None), "Bearer");
    assert_eq!(
        www_authenticate(None, None, Some("example"), None),
        r#"Bearer realm="example""#
    );
    // RFC 6750 §3 example.
    assert_eq!(
        www_authenticate(
            Some(BearerError::InvalidToken),
            Some("The access token expired"),
            Some("example"),
            None
        ),
        r#"Bearer realm="example", error="invalid_token", error_description="The access token expired""#
    );
    assert_eq!(
        www_authenticate(
            Some(BearerError::InsufficientScope),
            None,
            None,
            Some("read write")
        ),
        r#"Bearer scope="read write", error="insufficient_scope""#
    );
    // Quoted-string escaping; CR/LF cannot inject a header.
    assert_eq!(
        www_authenticate(
            Some(BearerError::InvalidRequest),
            Some("bad \"x\" \\ y\r\nSet-Cookie: a"),
            Some("r\"1"),
            None
        ),
        r#"Bearer realm="r\"1", error="invalid_request", error_description="bad \"x\" \\ y??Set-Cookie: a""#
    );
    assert_eq!(BearerError::InvalidRequest.status(), 400);
    assert_eq!(BearerError::InvalidToken.status(), 401);
    assert_eq!(BearerError::InsufficientScope.status(), 403);
}
