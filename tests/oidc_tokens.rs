//! Logout Tokens (OpenID Connect Back-Channel Logout 1.0 §2.4, §2.6), with one named test per
//! `rp-backchannel-rpinitlogout-*` check of security.md §4; JWT access tokens (RFC 9068 §4)
//! and their RFC 6750 §3.1 answers; RP-Initiated Logout URLs (RP-Initiated Logout 1.0 §2).
//! Tokens are signed here with deterministic test keys.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{TestRng, to_obj};
use oidckit::jwk::GenerateOptions;
use oidckit::oauth::access_token::{
    AccessTokenValidation, bearer_error_for, validate_jwt_access_token,
};
use oidckit::oauth::bearer::BearerError;
use oidckit::oauth::http::form_decode;
use oidckit::oidc::end_session::{EndSessionParams, end_session_url};
use oidckit::oidc::logout_token::{
    BACKCHANNEL_LOGOUT_EVENT, LogoutTokenValidation, validate_logout_token,
};
use oidckit::{Alg, Error, Key, Object, b64, jwt};
use serde_json::{Value, json};

const ISS: &str = "https://op.example";
const CLIENT: &str = "client-1";
const API: &str = "https://api.example";
const NOW: i64 = 1_700_000_000;

fn gen_key(alg: Alg, seed: u64) -> Key {
    Key::generate(alg, &mut TestRng(seed), GenerateOptions::default()).unwrap()
}

fn sign_with(key: &Key, header: Value, claims: &Object) -> String {
    jwt::sign(&to_obj(header), claims, key, &mut TestRng(99)).unwrap()
}

fn claim_failure(err: &Error) -> (&str, &str) {
    let c = err
        .claim_failure()
        .unwrap_or_else(|| panic!("expected a claim failure, got {err:?}"));
    (c.claim.as_str(), c.reason)
}

// ---------------------------------------------------------------------------------------------
// Back-Channel Logout 1.0

fn logout_claims() -> Object {
    to_obj(json!({
        "iss": ISS,
        "aud": CLIENT,
        "iat": NOW - 10,
        "exp": NOW + 110,
        "jti": "bWJq",
        "sub": "248289761001",
        "sid": "08a5019c-17e1-4977-8f42-65a12843ea02",
        "events": { BACKCHANNEL_LOGOUT_EVENT: {} },
    }))
}

fn logout_validation() -> LogoutTokenValidation {
    LogoutTokenValidation {
        algorithms: vec![Alg::Es256],
        ..LogoutTokenValidation::new(ISS, CLIENT, NOW)
    }
}

fn logout_header() -> Value {
    json!({"alg": "ES256", "typ": "logout+jwt"})
}

/// Signs `claims` with the OP key and validates with the OP's public key.
fn check_logout(
    header: Value,
    claims: &Object,
) -> Result<oidckit::oidc::logout_token::LogoutToken, Error> {
    let key = gen_key(Alg::Es256, 1);
    let token = sign_with(&key, header, claims);
    validate_logout_token(&token, &key.to_public().unwrap(), &logout_validation())
}

#[test]
fn rp_backchannel_valid_logout_token_accepted() {
    let lt = check_logout(logout_header(), &logout_claims()).unwrap();
    assert_eq!(lt.iss, ISS);
    assert_eq!(lt.sub.as_deref(), Some("248289761001"));
    assert_eq!(
        lt.sid.as_deref(),
        Some("08a5019c-17e1-4977-8f42-65a12843ea02")
    );
    assert_eq!(lt.jti, "bWJq");
    assert_eq!(lt.iat, NOW - 10);
    assert!(lt.events.contains_key(BACKCHANNEL_LOGOUT_EVENT));
    assert_eq!(lt.raw["aud"], CLIENT);

    // `exp` is REQUIRED (Back-Channel Logout 1.0 §2.4).
    let mut no_exp = logout_claims();
    no_exp.remove("exp");
    let err = check_logout(json!({"alg": "ES256"}), &no_exp).unwrap_err();
    assert_eq!(err.code(), "ERR_JWT_CLAIM_VALIDATION_FAILED");
    assert_eq!(err.claim_failure().map(|c| c.claim.as_str()), Some("exp"));

    // `typ` is optional and compared as a media type; sid alone and sub alone suffice.
    let mut only_sid = logout_claims();
    only_sid.remove("sub");
    let lt = check_logout(
        json!({"alg": "ES256", "typ": "application/Logout+JWT"}),
        &only_sid,
    )
    .unwrap();
    assert_eq!(lt.sub, None);
    let mut only_sub = logout_claims();
    only_sub.remove("sid");
    let lt = check_logout(json!({"alg": "ES256"}), &only_sub).unwrap();
    assert_eq!(lt.sid, None);
}

#[test]
fn rp_backchannel_alg_none() {
    let key = gen_key(Alg::Es256, 1);
    let header = b64::encode(br#"{"alg":"none","typ":"logout+jwt"}"#);
    let payload = b64::encode(serde_json::to_vec(&logout_claims()).unwrap());
    for token in [
        format!("{header}.{payload}."),
        format!("{header}.{payload}.c2ln"),
    ] {
        let err = validate_logout_token(&token, &key.to_public().unwrap(), &logout_validation())
            .unwrap_err();
        assert!(
            matches!(
                err,
                Error::JwsInvalid(_) | Error::NotSupported(_) | Error::AlgNotAllowed(_)
            ),
            "{err:?}"
        );
    }
}

#[test]
fn rp_backchannel_no_event() {
    let mut claims = logout_claims();
    claims.remove("events");
    let err = check_logout(logout_header(), &claims).unwrap_err();
    assert_eq!(claim_failure(&err), ("events", "missing"));
}

#[test]
fn rp_backchannel_with_nonce() {
    let mut claims = logout_claims();
    claims.insert("nonce".into(), json!("n-0S6_WzA2Mj"));
    let err = check_logout(logout_header(), &claims).unwrap_err();
    assert_eq!(claim_failure(&err).0, "nonce");
}

#[test]
fn rp_backchannel_wrong_alg() {
    // Signed with ES256 where the client registered RS256 (the default).
    let key = gen_key(Alg::Es256, 1);
    let token = sign_with(&key, logout_header(), &logout_claims());
    let v = LogoutTokenValidation::new(ISS, CLIENT, NOW);
    let err = validate_logout_token(&token, &key.to_public().unwrap(), &v).unwrap_err();
    assert!(matches!(err, Error::AlgNotAllowed(_)), "{err:?}");

    // Signed by another key with the right alg.
    let other = gen_key(Alg::Es256, 2);
    let token = sign_with(&other, logout_header(), &logout_claims());
    let err =
        validate_logout_token(&token, &key.to_public().unwrap(), &logout_validation()).unwrap_err();
    assert_eq!(err, Error::SignatureVerificationFailed);
}

#[test]
fn rp_backchannel_wrong_aud() {
    let mut claims = logout_claims();
    claims.insert("aud".into(), json!(["other-client"]));
    let err = check_logout(logout_header(), &claims).unwrap_err();
    assert_eq!(claim_failure(&err), ("aud", "check_failed"));
}

#[test]
fn rp_backchannel_wrong_event() {
    let cases = [
        json!({ "http://schemas.openid.net/event/backchannel-logout/wrong": {} }),
        json!({ BACKCHANNEL_LOGOUT_EVENT: "logout" }),
        json!({ BACKCHANNEL_LOGOUT_EVENT: true }),
        json!([BACKCHANNEL_LOGOUT_EVENT]),
        json!(BACKCHANNEL_LOGOUT_EVENT),
    ];
    for events in cases {
        let mut claims = logout_claims();
        claims.insert("events".into(), events.clone());
        let err = check_logout(logout_header(), &claims).unwrap_err();
        assert_eq!(claim_failure(&err).0, "events", "{events}");
    }
}

#[test]
fn rp_backchannel_wrong_issuer() {
    let mut claims = logout_claims();
    claims.insert("iss".into(), json!("https://attacker.example"));
    let err = check_logout(logout_header(), &claims).unwrap_err();
    assert_eq!(claim_failure(&err), ("iss", "check_failed"));
}

#[test]
fn rp_backchannel_missing_sub_and_sid() {
    let mut claims = logout_claims();
    claims.remove("sub");
    claims.remove("sid");
    let err = check_logout(logout_header(), &claims).unwrap_err();
    assert_eq!(claim_failure(&err), ("sub", "missing"));
}

#[test]
fn rp_backchannel_missing_jti() {
    let mut claims = logout_claims();
    claims.remove("jti");
    let err = check_logout(logout_header(), &claims).unwrap_err();
    assert_eq!(claim_failure(&err), ("jti", "missing"));
}

#[test]
fn rp_backchannel_missing_iat_expired_and_old() {
    let mut claims = logout_claims();
    claims.remove("iat");
    let err = check_logout(logout_header(), &claims).unwrap_err();
    assert_eq!(claim_failure(&err), ("iat", "missing"));

    let mut claims = logout_claims();
    claims.insert("exp".into(), json!(NOW - 1));
    let err = check_logout(logout_header(), &claims).unwrap_err();
    assert!(matches!(err, Error::JwtExpired(_)), "{err:?}");

    let key = gen_key(Alg::Es256, 1);
    let token = sign_with(&key, logout_header(), &logout_claims());
    let v = LogoutTokenValidation {
        max_age_of_iat: Some(5),
        ..logout_validation()
    };
    let err = validate_logout_token(&token, &key.to_public().unwrap(), &v).unwrap_err();
    assert_eq!(claim_failure(&err).0, "iat");
}

/// security.md row 23: a JWT typed as an ID Token (`JWT`) or an access token (`at+jwt`) cannot
/// pass for a Logout Token.
#[test]
fn rp_backchannel_wrong_typ() {
    for typ in ["JWT", "at+jwt", "application/jwt"] {
        let err = check_logout(json!({"alg": "ES256", "typ": typ}), &logout_claims()).unwrap_err();
        assert_eq!(claim_failure(&err), ("typ", "check_failed"), "{typ}");
    }
}

// ---------------------------------------------------------------------------------------------
// RFC 9068 JWT access tokens

fn at_claims() -> Object {
    to_obj(json!({
        "iss": ISS,
        "aud": API,
        "exp": NOW + 300,
        "iat": NOW - 5,
        "jti": "dbe39bf3a3ba4238a513f51d6e1691c4",
        "sub": "5ba552d67",
        "client_id": "s6BhdRkqt3",
        "scope": "openid profile reademail",
    }))
}

fn at_validation() -> AccessTokenValidation {
    AccessTokenValidation {
        algorithms: vec![Alg::Es256],
        ..AccessTokenValidation::new(ISS, API, NOW)
    }
}

fn check_at(
    header: Value,
    claims: &Object,
    v: &AccessTokenValidation,
) -> Result<oidckit::oauth::access_token::AccessTokenClaims, Error> {
    let key = gen_key(Alg::Es256, 3);
    let token = sign_with(&key, header, claims);
    validate_jwt_access_token(&token, &key.to_public().unwrap(), v)
}

#[test]
fn rfc9068_valid_at_jwt_accepted() {
    let v = AccessTokenValidation {
        required_scopes: vec!["reademail".into(), "openid".into()],
        ..at_validation()
    };
    for typ in ["at+jwt", "application/at+jwt", "AT+JWT"] {
        let at = check_at(json!({"alg": "ES256", "typ": typ}), &at_claims(), &v).unwrap();
        assert_eq!(at.sub, "5ba552d67");
        assert_eq!(at.client_id, "s6BhdRkqt3");
        assert_eq!(at.scope, ["openid", "profile", "reademail"]);
        assert_eq!(at.raw["jti"], "dbe39bf3a3ba4238a513f51d6e1691c4");
    }
    // One of several resource indicators; `aud` as an array.
    let mut claims = at_claims();
    claims.insert("aud".into(), json!(["https://other.example", API]));
    let v = AccessTokenValidation {
        audience: vec!["https://rs2.example".into(), API.into()],
        ..at_validation()
    };
    check_at(json!({"alg": "ES256", "typ": "at+jwt"}), &claims, &v).unwrap();
}

/// An ID Token used as an access token (security.md row 23): `typ` JWT or absent is refused.
#[test]
fn rfc9068_typ_jwt_rejected() {
    for header in [
        json!({"alg": "ES256", "typ": "JWT"}),
        json!({"alg": "ES256"}),
        json!({"alg": "ES256", "typ": "logout+jwt"}),
    ] {
        let err = check_at(header.clone(), &at_claims(), &at_validation()).unwrap_err();
        assert_eq!(claim_failure(&err), ("typ", "check_failed"), "{header}");
        assert_eq!(bearer_error_for(&err).0, BearerError::InvalidToken);
    }
}

#[test]
fn rfc9068_wrong_aud() {
    let mut claims = at_claims();
    claims.insert("aud".into(), json!(CLIENT));
    let err = check_at(
        json!({"alg": "ES256", "typ": "at+jwt"}),
        &claims,
        &at_validation(),
    )
    .unwrap_err();
    assert_eq!(claim_failure(&err), ("aud", "check_failed"));
    assert_eq!(bearer_error_for(&err).0, BearerError::InvalidToken);
}

#[test]
fn rfc9068_missing_required_claims() {
    for name in ["client_id", "jti", "sub", "iat", "exp"] {
        let mut claims = at_claims();
        claims.remove(name);
        let err = check_at(
            json!({"alg": "ES256", "typ": "at+jwt"}),
            &claims,
            &at_validation(),
        )
        .unwrap_err();
        assert_eq!(claim_failure(&err), (name, "missing"), "{name}");
    }
    let mut claims = at_claims();
    claims.insert("client_id".into(), json!(42));
    let err = check_at(
        json!({"alg": "ES256", "typ": "at+jwt"}),
        &claims,
        &at_validation(),
    )
    .unwrap_err();
    assert_eq!(claim_failure(&err), ("client_id", "invalid"));
}

#[test]
fn rfc9068_insufficient_scope_maps_to_insufficient_scope() {
    let v = AccessTokenValidation {
        required_scopes: vec!["openid".into(), "writeemail".into()],
        ..at_validation()
    };
    let err = check_at(json!({"alg": "ES256", "typ": "at+jwt"}), &at_claims(), &v).unwrap_err();
    assert_eq!(claim_failure(&err), ("scope", "check_failed"));
    let (code, description) = bearer_error_for(&err);
    assert_eq!(code, BearerError::InsufficientScope);
    assert_eq!(code.status(), 403);
    assert!(description.unwrap().contains("writeemail"));

    // No `scope` claim at all.
    let mut claims = at_claims();
    claims.remove("scope");
    let err = check_at(json!({"alg": "ES256", "typ": "at+jwt"}), &claims, &v).unwrap_err();
    assert_eq!(bearer_error_for(&err).0, BearerError::InsufficientScope);
}

#[test]
fn rfc9068_expired() {
    let mut claims = at_claims();
    claims.insert("exp".into(), json!(NOW));
    let err = check_at(
        json!({"alg": "ES256", "typ": "at+jwt"}),
        &claims,
        &at_validation(),
    )
    .unwrap_err();
    assert!(matches!(err, Error::JwtExpired(_)), "{err:?}");
    let (code, _) = bearer_error_for(&err);
    assert_eq!(code, BearerError::InvalidToken);
    assert_eq!(code.status(), 401);
}

#[test]
fn rfc9068_alg_not_allowed_by_default() {
    // Default allow-list is RS256; an ES256 token is refused before its claims are read.
    let key = gen_key(Alg::Es256, 3);
    let token = sign_with(&key, json!({"alg": "ES256", "typ": "at+jwt"}), &at_claims());
    let err = validate_jwt_access_token(
        &token,
        &key.to_public().unwrap(),
        &AccessTokenValidation::new(ISS, API, NOW),
    )
    .unwrap_err();
    assert!(matches!(err, Error::AlgNotAllowed(_)), "{err:?}");
}

// ---------------------------------------------------------------------------------------------
// RP-Initiated Logout 1.0

#[test]
fn end_session_url_encoding() {
    let params = EndSessionParams {
        id_token_hint: Some("eyJ.a.b".into()),
        logout_hint: Some("alice@example.com".into()),
        client_id: Some(CLIENT.into()),
        post_logout_redirect_uri: Some("https://rp.example/logged out?x=1&y=é".into()),
        state: Some("af0ifjsldkj".into()),
        ui_locales: Some("fr-CA fr en".into()),
    };
    let url = end_session_url("https://op.example/logout?tenant=a", false, &params).unwrap();
    assert_eq!(
        url,
        "https://op.example/logout?tenant=a&id_token_hint=eyJ.a.b\
         &logout_hint=alice%40example.com&client_id=client-1\
         &post_logout_redirect_uri=https%3A%2F%2Frp.example%2Flogged+out%3Fx%3D1%26y%3D%C3%A9\
         &state=af0ifjsldkj&ui_locales=fr-CA+fr+en"
    );
    let (_, query) = url.split_once('?').unwrap();
    let decoded = form_decode(query).unwrap();
    assert_eq!(
        decoded[4],
        (
            "post_logout_redirect_uri".to_owned(),
            "https://rp.example/logged out?x=1&y=é".to_owned()
        )
    );

    // No parameters: the endpoint unchanged.
    assert_eq!(
        end_session_url(
            "https://op.example/logout",
            false,
            &EndSessionParams::default()
        )
        .unwrap(),
        "https://op.example/logout"
    );
}

#[test]
fn end_session_url_refusals() {
    let hint = EndSessionParams {
        id_token_hint: Some("eyJ.a.b".into()),
        ..EndSessionParams::default()
    };
    // https only; loopback http by opt-in.
    let err = end_session_url("http://op.example/logout", false, &hint).unwrap_err();
    assert_eq!(err.code(), "OAUTH_HTTP_REQUEST_FORBIDDEN");
    assert!(end_session_url("http://127.0.0.1:8080/logout", false, &hint).is_err());
    end_session_url("http://127.0.0.1:8080/logout", true, &hint).unwrap();
    assert!(end_session_url("https://op.example/logout#f", false, &hint).is_err());

    // post_logout_redirect_uri needs a client identification, and no fragment.
    let orphan = EndSessionParams {
        post_logout_redirect_uri: Some("https://rp.example/bye".into()),
        ..EndSessionParams::default()
    };
    let err = end_session_url("https://op.example/logout", false, &orphan).unwrap_err();
    assert_eq!(err.code(), "ERR_INVALID_ARG_VALUE");
    let fragment = EndSessionParams {
        post_logout_redirect_uri: Some("https://rp.example/bye#x".into()),
        ..hint.clone()
    };
    assert!(end_session_url("https://op.example/logout", false, &fragment).is_err());

    // A parameter repeated by the endpoint's query, and an empty value.
    assert!(end_session_url("https://op.example/logout?id_token_hint=x", false, &hint).is_err());
    let empty = EndSessionParams {
        state: Some(String::new()),
        ..hint
    };
    assert!(end_session_url("https://op.example/logout", false, &empty).is_err());
}
