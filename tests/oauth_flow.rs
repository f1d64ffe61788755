//! The front half of the authorization code flow, sans-IO: discovery (OpenID Connect Discovery
//! 1.0 §4, RFC 8414 §3), the authorization request (RFC 6749 §4.1.1, OpenID Connect Core 1.0
//! §3.1.2.1, RFC 7636 §4.3) and the callback (RFC 6749 §4.1.2, RFC 9207, Form Post Response
//! Mode). Test names carry the OpenID RP / FAPI certification check they mirror.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use oidckit::oauth::authorize::{
    AuthorizationEndpoint, AuthorizationRequest, authorization_url, start_authorization,
};
use oidckit::oauth::callback::{CallbackInput, parse_callback, validate_authorization_response};
use oidckit::oauth::discovery::{
    DiscoveryAlgorithm, DiscoveryOptions, ServerMetadata, discovery_request,
    process_discovery_response,
};
use oidckit::oauth::http::{HttpResponse, Method, form_decode};
use oidckit::oauth::pkce;
use oidckit::{Error, Object};
use rand_core::UnwrapErr;
use serde_json::json;

const ISS: &str = "https://op.example";

fn json_response(status: u16, body: &serde_json::Value) -> HttpResponse {
    HttpResponse {
        status,
        headers: vec![(
            "Content-Type".into(),
            "application/json; charset=utf-8".into(),
        )],
        body: serde_json::to_vec(body).unwrap(),
    }
}

fn metadata_json(iss: &str, iss_supported: bool) -> serde_json::Value {
    json!({
        "issuer": iss,
        "authorization_endpoint": format!("{ISS}/authorize"),
        "token_endpoint": format!("{ISS}/token"),
        "jwks_uri": format!("{ISS}/jwks"),
        "userinfo_endpoint": format!("{ISS}/userinfo"),
        "response_types_supported": ["code", "id_token", "code id_token"],
        "code_challenge_methods_supported": ["S256"],
        "id_token_signing_alg_values_supported": ["RS256", "ES256"],
        "token_endpoint_auth_methods_supported": ["private_key_jwt", "client_secret_basic"],
        "authorization_response_iss_parameter_supported": iss_supported,
    })
}

fn metadata(iss_supported: bool) -> ServerMetadata {
    process_discovery_response(
        ISS,
        &json_response(200, &metadata_json(ISS, iss_supported)),
        &DiscoveryOptions::default(),
    )
    .unwrap()
}

fn params(query: &str) -> Vec<(String, String)> {
    parse_callback(CallbackInput::Query(query)).unwrap()
}

fn code<T: std::fmt::Debug>(r: Result<T, Error>) -> &'static str {
    r.unwrap_err().code()
}

// ---------------------------------------------------------------- discovery

#[test]
fn discovery_round_trip() {
    let req = discovery_request(ISS, &DiscoveryOptions::default()).unwrap();
    assert_eq!(req.method, Method::Get);
    assert_eq!(
        req.url,
        "https://op.example/.well-known/openid-configuration"
    );
    let m = metadata(true);
    assert_eq!(m.issuer(), ISS);
    assert_eq!(
        m.authorization_endpoint(),
        Some("https://op.example/authorize")
    );
    assert_eq!(m.jwks_uri(), Some("https://op.example/jwks"));
    assert_eq!(
        m.id_token_signing_alg_values_supported(),
        Some(vec!["RS256", "ES256"])
    );
    assert_eq!(
        m.token_endpoint_auth_methods_supported(),
        Some(vec!["private_key_jwt", "client_secret_basic"])
    );
    assert!(m.authorization_response_iss_parameter_supported());
    assert_eq!(m.end_session_endpoint(), None);

    let rfc8414 = DiscoveryOptions {
        algorithm: DiscoveryAlgorithm::Oauth2,
        ..DiscoveryOptions::default()
    };
    let req = discovery_request("https://op.example/tenant/", &rfc8414).unwrap();
    assert_eq!(
        req.url,
        "https://op.example/.well-known/oauth-authorization-server/tenant"
    );
}

/// rp-discovery-issuer-not-matching-config: the document's `issuer` must equal the expected
/// one exactly (OpenID Connect Discovery 1.0 §4.3): no trailing-slash or case leniency.
#[test]
fn rp_discovery_issuer_not_matching_config() {
    for served in [
        "https://attacker.example",
        "https://op.example/",
        "https://OP.example",
        "https://op.example/tenant",
    ] {
        let r = process_discovery_response(
            ISS,
            &json_response(200, &metadata_json(served, false)),
            &DiscoveryOptions::default(),
        );
        assert_eq!(
            code(r),
            "OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED",
            "{served}"
        );
    }
}

/// Endpoints must be https (RFC 8414 §2, RFC 6749 §3.1): a plain-http endpoint in the
/// document, or a plain-http issuer, is refused.
#[test]
fn http_endpoint_refused() {
    let mut doc = metadata_json(ISS, false);
    doc["token_endpoint"] = json!("http://op.example/token");
    let r =
        process_discovery_response(ISS, &json_response(200, &doc), &DiscoveryOptions::default());
    assert_eq!(code(r), "OAUTH_HTTP_REQUEST_FORBIDDEN");

    let r = discovery_request("http://op.example", &DiscoveryOptions::default());
    assert_eq!(code(r), "OAUTH_HTTP_REQUEST_FORBIDDEN");

    // Even loopback needs the explicit opt-in.
    let r = discovery_request("http://127.0.0.1:8080", &DiscoveryOptions::default());
    assert_eq!(code(r), "OAUTH_HTTP_REQUEST_FORBIDDEN");
}

/// Loopback http works only with `allow_insecure_loopback`, and never for other hosts.
#[test]
fn loopback_opt_in() {
    let opts = DiscoveryOptions {
        allow_insecure_loopback: true,
        ..DiscoveryOptions::default()
    };
    let local = "http://localhost:8080";
    let req = discovery_request(local, &opts).unwrap();
    assert_eq!(
        req.url,
        "http://localhost:8080/.well-known/openid-configuration"
    );
    let doc = json!({
        "issuer": local,
        "authorization_endpoint": "http://localhost:8080/authorize",
        "token_endpoint": "http://127.0.0.1:8080/token",
        "jwks_uri": "http://[::1]:8080/jwks",
    });
    let m = process_discovery_response(local, &json_response(200, &doc), &opts).unwrap();
    assert_eq!(m.token_endpoint(), Some("http://127.0.0.1:8080/token"));

    // The same document without the opt-in is refused.
    let r = process_discovery_response(
        local,
        &json_response(200, &doc),
        &DiscoveryOptions::default(),
    );
    assert_eq!(code(r), "OAUTH_HTTP_REQUEST_FORBIDDEN");

    // The opt-in does not extend to other hosts.
    let mut doc2 = doc.clone();
    doc2["jwks_uri"] = json!("http://evil.example/jwks");
    let r = process_discovery_response(local, &json_response(200, &doc2), &opts);
    assert_eq!(code(r), "OAUTH_HTTP_REQUEST_FORBIDDEN");
}

#[test]
fn discovery_rejects_non_json_and_bad_status() {
    let mut r = json_response(200, &metadata_json(ISS, false));
    r.headers = vec![("content-type".into(), "text/html".into())];
    let got = process_discovery_response(ISS, &r, &DiscoveryOptions::default());
    assert_eq!(code(got), "OAUTH_RESPONSE_IS_NOT_JSON");
    let r = json_response(302, &metadata_json(ISS, false));
    let got = process_discovery_response(ISS, &r, &DiscoveryOptions::default());
    assert_eq!(code(got), "OAUTH_INVALID_RESPONSE");
}

// ------------------------------------------------------- authorization request

/// Every OpenID Connect Core 1.0 §3.1.2.1 parameter reaches the URL, and the S256 challenge
/// matches the transaction's verifier (RFC 7636 §4.2, §4.6).
#[test]
fn authorization_url_with_every_parameter() {
    let m = metadata(true);
    let mut req = AuthorizationRequest::new("client-1", "https://rp.example/cb");
    req.scope = "openid profile email".into();
    req.response_mode = Some("form_post".into());
    req.prompt = Some("login consent".into());
    req.display = Some("popup".into());
    req.max_age = Some(300);
    req.ui_locales = Some("fr-CA en".into());
    req.id_token_hint = Some("eyJhbGciOi.x.y".into());
    req.login_hint = Some("alice@example.com".into());
    req.acr_values = Some("urn:mace:incommon:iap:silver".into());
    let claims: Object = serde_json::from_value(json!({
        "id_token": {"auth_time": {"essential": true}},
        "userinfo": {"email": null}
    }))
    .unwrap();
    req.claims = Some(claims.clone());
    req.extra = vec![("resource".into(), "https://api.example/".into())];

    let mut rng = UnwrapErr(getrandom::SysRng);
    let (url, tx) =
        start_authorization(&mut rng, AuthorizationEndpoint::Metadata(&m), req).unwrap();

    let (base, query) = url.split_once('?').unwrap();
    assert_eq!(base, "https://op.example/authorize");
    let q = form_decode(query).unwrap();
    let get = |n: &str| {
        let hits: Vec<&str> = q
            .iter()
            .filter(|(k, _)| k == n)
            .map(|(_, v)| v.as_str())
            .collect();
        assert_eq!(hits.len(), 1, "{n} must appear exactly once");
        hits[0].to_owned()
    };
    assert_eq!(get("response_type"), "code");
    assert_eq!(get("client_id"), "client-1");
    assert_eq!(get("redirect_uri"), "https://rp.example/cb");
    assert_eq!(get("scope"), "openid profile email");
    assert_eq!(get("response_mode"), "form_post");
    assert_eq!(get("prompt"), "login consent");
    assert_eq!(get("display"), "popup");
    assert_eq!(get("max_age"), "300");
    assert_eq!(get("ui_locales"), "fr-CA en");
    assert_eq!(get("id_token_hint"), "eyJhbGciOi.x.y");
    assert_eq!(get("login_hint"), "alice@example.com");
    assert_eq!(get("acr_values"), "urn:mace:incommon:iap:silver");
    assert_eq!(get("resource"), "https://api.example/");
    let sent_claims: serde_json::Value = serde_json::from_str(&get("claims")).unwrap();
    assert_eq!(sent_claims, serde_json::Value::Object(claims));

    assert_eq!(get("state"), tx.state);
    assert_eq!(Some(get("nonce")), tx.nonce);
    assert_eq!(get("code_challenge_method"), "S256");
    let verifier = tx.code_verifier.clone().unwrap();
    assert!(pkce::verify_code_challenge(
        &verifier,
        &get("code_challenge")
    ));
    assert_eq!(
        get("code_challenge"),
        pkce::code_challenge_s256(&verifier).unwrap()
    );

    assert_eq!(tx.expected_issuer.as_deref(), Some(ISS));
    assert!(tx.iss_parameter_supported);
    assert_eq!(tx.redirect_uri, "https://rp.example/cb");
    assert_eq!(tx.max_age, Some(300));
    // The transaction's Debug output does not leak its secrets.
    let dbg = format!("{tx:?}");
    assert!(!dbg.contains(&verifier) && !dbg.contains(&tx.state));

    // The transaction survives a JSON round trip (e.g. through sessionStorage).
    let stored = serde_json::to_string(&tx).unwrap();
    let back: oidckit::oauth::authorize::Transaction = serde_json::from_str(&stored).unwrap();
    assert_eq!(back, tx);

    // Two starts never share state, nonce or verifier.
    let (_, tx2) = start_authorization(
        &mut rng,
        AuthorizationEndpoint::Metadata(&m),
        AuthorizationRequest::new("client-1", "https://rp.example/cb"),
    )
    .unwrap();
    assert_ne!(tx.state, tx2.state);
    assert_ne!(tx.nonce, tx2.nonce);
    assert_ne!(tx.code_verifier, tx2.code_verifier);
}

/// `plain` PKCE is refused (RFC 9700 §2.1.1), as is a code flow without PKCE.
#[test]
fn plain_pkce_refused() {
    let ep = AuthorizationEndpoint::Url {
        url: "https://op.example/authorize",
        allow_insecure_loopback: false,
    };
    let mut req = AuthorizationRequest::new("c", "https://rp.example/cb");
    req.extra = vec![("code_challenge_method".into(), "plain".into())];
    let mut rng = UnwrapErr(getrandom::SysRng);
    assert_eq!(
        code(start_authorization(&mut rng, ep, req)),
        "ERR_INVALID_ARG_VALUE"
    );

    let req = AuthorizationRequest::new("c", "https://rp.example/cb");
    assert_eq!(code(authorization_url(ep, &req)), "ERR_INVALID_ARG_VALUE");

    let mut req = AuthorizationRequest::new("c", "https://rp.example/cb");
    req.code_challenge = Some("x".into());
    assert_eq!(
        code(start_authorization(&mut rng, ep, req)),
        "ERR_INVALID_ARG_VALUE"
    );
}

/// Implicit and hybrid flows are available but need a nonce (OpenID Connect Core 1.0
/// §3.2.2.1, §3.3.2.11); `start_authorization` draws one.
#[test]
fn implicit_and_hybrid_need_nonce() {
    let ep = AuthorizationEndpoint::Url {
        url: "https://op.example/authorize",
        allow_insecure_loopback: false,
    };
    let mut req = AuthorizationRequest::new("c", "https://rp.example/cb");
    req.response_type = "id_token".into();
    assert_eq!(code(authorization_url(ep, &req)), "ERR_INVALID_ARG_VALUE");

    let mut rng = UnwrapErr(getrandom::SysRng);
    let mut req = AuthorizationRequest::new("c", "https://rp.example/cb");
    req.response_type = "code id_token".into();
    req.response_mode = Some("fragment".into());
    let (url, tx) = start_authorization(&mut rng, ep, req).unwrap();
    assert!(tx.nonce.is_some() && tx.code_verifier.is_some());
    assert!(url.contains("response_type=code+id_token&"));
}

// ----------------------------------------------------------------- callback

/// FAPI remove-authorization-response-iss: the server announced RFC 9207 support but the
/// response lacks `iss`.
#[test]
fn fapi_remove_authorization_response_iss() {
    let r = validate_authorization_response(&params("code=c&state=s"), "s", ISS, true);
    assert_eq!(code(r), "OAUTH_MISSING_REQUIRED_PARAMETER");
    // Without announced support a missing `iss` is fine (RFC 9207 §2.4).
    let ok = validate_authorization_response(&params("code=c&state=s"), "s", ISS, false).unwrap();
    assert_eq!(ok.code.as_deref(), Some("c"));
}

/// FAPI invalid-authorization-response-iss: a present `iss` must equal the expected issuer
/// exactly, whether or not support was announced (RFC 9207 §2.4).
#[test]
fn fapi_invalid_authorization_response_iss() {
    for iss in [
        "https://attacker.example",
        "https://op.example/",
        "",
        "https://OP.example",
    ] {
        let q = format!(
            "code=c&state=s&{}",
            oidckit::oauth::http::form_urlencode(&[("iss", iss)])
        );
        for supported in [true, false] {
            let r = validate_authorization_response(&params(&q), "s", ISS, supported);
            assert_eq!(code(r), "OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED", "{iss:?}");
        }
    }
}

/// A missing `state` (RFC 6749 §4.1.2, §10.12).
#[test]
fn state_missing() {
    let r = validate_authorization_response(&params("code=c"), "s", ISS, false);
    assert_eq!(code(r), "OAUTH_MISSING_REQUIRED_PARAMETER");
}

/// A different `state` (RFC 6749 §10.12): prefixes, extensions and case changes all fail.
#[test]
fn state_wrong() {
    for st in ["t", "ss", "", "S", "s "] {
        let q = format!(
            "code=c&{}",
            oidckit::oauth::http::form_urlencode(&[("state", st)])
        );
        let r = validate_authorization_response(&params(&q), "s", ISS, false);
        assert_eq!(code(r), "OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED", "{st:?}");
    }
}

/// A `state` sent twice is refused even when both copies match (RFC 6749 §3.1).
#[test]
fn state_twice() {
    for input in [
        CallbackInput::Query("https://rp.example/cb?code=c&state=s&state=s"),
        CallbackInput::Fragment("#state=s&code=c&state=x"),
        CallbackInput::FormPost("state=s&state=s&code=c"),
    ] {
        assert_eq!(
            code(parse_callback(input)),
            "OAUTH_INVALID_RESPONSE",
            "{input:?}"
        );
    }
}

/// An OAuth error response (RFC 6749 §4.1.2.1) is surfaced with its fields, after the `state`
/// and `iss` checks (an unauthenticated error cannot bypass them).
#[test]
fn error_response_surfaced_with_fields() {
    let q = "error=access_denied&error_description=The+user+said+no&error_uri=https%3A%2F%2Fop.example%2Ferr&state=s&iss=https%3A%2F%2Fop.example";
    let err = validate_authorization_response(&params(q), "s", ISS, true).unwrap_err();
    assert_eq!(err.code(), "OAUTH_AUTHORIZATION_RESPONSE_ERROR");
    let body = err.oauth_error().unwrap();
    assert_eq!(body.error, "access_denied");
    assert_eq!(body.error_description.as_deref(), Some("The user said no"));
    assert_eq!(body.error_uri.as_deref(), Some("https://op.example/err"));
    assert_eq!(body.status, None);

    // State and iss are checked first.
    let r =
        validate_authorization_response(&params("error=access_denied&state=x"), "s", ISS, false);
    assert_eq!(code(r), "OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED");
    let r = validate_authorization_response(&params("error=access_denied"), "s", ISS, false);
    assert_eq!(code(r), "OAUTH_MISSING_REQUIRED_PARAMETER");
    let r = validate_authorization_response(&params("error=access_denied&state=s"), "s", ISS, true);
    assert_eq!(code(r), "OAUTH_MISSING_REQUIRED_PARAMETER");
}

/// `response_mode=form_post` (Form Post Response Mode §2): the POST body.
#[test]
fn form_post_parsing() {
    let body = "code=SplxlOBeZQQYbYS6WxSbIA&state=af0ifjsldkj&iss=https%3A%2F%2Fop.example";
    let p = parse_callback(CallbackInput::FormPost(body)).unwrap();
    let r = validate_authorization_response(&p, "af0ifjsldkj", ISS, true).unwrap();
    assert_eq!(r.code.as_deref(), Some("SplxlOBeZQQYbYS6WxSbIA"));
    assert_eq!(r.state, "af0ifjsldkj");
}

/// `response_mode=fragment` (RFC 6749 §4.2.2, OpenID Connect Core 1.0 §3.2.2.5): tokens in the
/// fragment; the query of the same URL is ignored.
#[test]
fn fragment_parsing() {
    let url = "https://rp.example/cb?code=from-query#access_token=SlAV32hkKG&token_type=Bearer&id_token=eyJ.x.y&expires_in=3600&state=af0ifjsldkj";
    let p = parse_callback(CallbackInput::Fragment(url)).unwrap();
    let r = validate_authorization_response(&p, "af0ifjsldkj", ISS, false).unwrap();
    assert_eq!(r.code, None);
    assert_eq!(r.access_token.as_deref(), Some("SlAV32hkKG"));
    assert_eq!(r.token_type.as_deref(), Some("Bearer"));
    assert_eq!(r.id_token.as_deref(), Some("eyJ.x.y"));
    assert_eq!(r.expires_in, Some(3600));
}

/// The whole front channel: start, OP redirect, callback validated against the transaction.
#[test]
fn code_flow_front_channel_end_to_end() {
    let m = metadata(true);
    let mut rng = UnwrapErr(getrandom::SysRng);
    let (url, tx) = start_authorization(
        &mut rng,
        AuthorizationEndpoint::Metadata(&m),
        AuthorizationRequest::new("client-1", "https://rp.example/cb"),
    )
    .unwrap();
    let q = form_decode(url.split_once('?').unwrap().1).unwrap();
    let state = &q.iter().find(|(k, _)| k == "state").unwrap().1;
    let redirect = format!(
        "https://rp.example/cb?{}",
        oidckit::oauth::http::form_urlencode(&[("code", "abc"), ("state", state), ("iss", ISS)])
    );
    let p = parse_callback(CallbackInput::Query(&redirect)).unwrap();
    let r = validate_authorization_response(
        &p,
        &tx.state,
        tx.expected_issuer.as_deref().unwrap(),
        tx.iss_parameter_supported,
    )
    .unwrap();
    assert_eq!(r.code.as_deref(), Some("abc"));
    assert_eq!(r.iss.as_deref(), Some(ISS));
}
