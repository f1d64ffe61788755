//! Authorization server metadata: OpenID Connect Discovery 1.0 §3/§4 at
//! `<issuer>/.well-known/openid-configuration`, and the same document at RFC 8414 §3's
//! `/.well-known/oauth-authorization-server<issuer path>`.
//!
//! The document advertises only what the server implements: each endpoint and each capability
//! list joins it with the route that serves it. (OpenID Connect Discovery 1.0 §3 also requires
//! `authorization_endpoint`, `response_types_supported` and — unless only the implicit flow is
//! offered — `token_endpoint`; they arrive with those endpoints.)

use std::sync::Arc;

use axum::extract::State;
use axum::response::Response;
use oidckit::Object;
use serde_json::Value;

use crate::app::AppState;
use crate::config::Config;
use crate::routes::public_json;

/// The issuer's path without its trailing `/` (`""` for an issuer at the root): the prefix of
/// every endpoint path (RFC 8414 §3.1).
pub fn issuer_path(issuer: &str) -> &str {
    let after_scheme = issuer.split_once("://").map_or(issuer, |(_, r)| r);
    after_scheme
        .find('/')
        .and_then(|i| after_scheme.get(i..))
        .unwrap_or("")
        .trim_end_matches('/')
}

/// The OpenID Connect discovery path for `issuer` (OpenID Connect Discovery 1.0 §4.1).
pub fn oidc_path(issuer: &str) -> String {
    format!("{}/.well-known/openid-configuration", issuer_path(issuer))
}

/// The RFC 8414 §3.1 metadata path for `issuer`: the well-known segment goes between the host
/// and the issuer's path.
pub fn rfc8414_path(issuer: &str) -> String {
    format!(
        "/.well-known/oauth-authorization-server{}",
        issuer_path(issuer)
    )
}

/// The JWKS route (the default `jwks_uri` path, OpenID Connect Discovery 1.0 §3; `[paths] jwks`
/// moves the URL, the router maps it here).
pub fn jwks_path(issuer: &str) -> String {
    format!("{}{}", issuer_path(issuer), paths::JWKS)
}

/// Endpoint paths, relative to the issuer path (the contract between the route modules and
/// this document).
pub mod paths {
    /// Authorization endpoint (RFC 6749 §3.1).
    pub const AUTHORIZE: &str = "/authorize";
    /// Login and consent pages and their form posts (interaction).
    pub const LOGIN: &str = "/login";
    /// Consent page and its form post.
    pub const CONSENT: &str = "/consent";
    /// Pushed authorization requests (RFC 9126 §2).
    pub const PAR: &str = "/par";
    /// Token endpoint (RFC 6749 §3.2).
    pub const TOKEN: &str = "/token";
    /// UserInfo (OpenID Connect Core 1.0 §5.3).
    pub const USERINFO: &str = "/userinfo";
    /// Token introspection (RFC 7662 §2).
    pub const INTROSPECT: &str = "/introspect";
    /// Token revocation (RFC 7009 §2).
    pub const REVOKE: &str = "/revoke";
    /// Dynamic client registration (RFC 7591 §3).
    pub const REGISTER: &str = "/register";
    /// RP-Initiated Logout (OpenID Connect RP-Initiated Logout 1.0 §2).
    pub const END_SESSION: &str = "/end-session";
    /// The protected demo API (RFC 6750), `/api/...`.
    pub const API: &str = "/api";
    /// The admin page.
    pub const ADMIN: &str = "/admin";
    /// The JWK Set (`jwks_uri`).
    pub const JWKS: &str = "/jwks";
    /// The misbehaviour scenario switch (a development aid, `routes/scenario.rs`; not in the
    /// metadata document).
    pub const SCENARIO: &str = "/scenario";
}

/// Builds the metadata document (RFC 8414 §2, OpenID Connect Discovery 1.0 §3).
pub fn metadata(config: &Config, issuer: &str) -> Object {
    let base = issuer.trim_end_matches('/');
    let strings = |v: Vec<&str>| Value::Array(v.into_iter().map(Value::from).collect());
    let mut m = Object::new();
    m.insert("issuer".into(), Value::from(issuer));
    // Each endpoint at its configured path (`[paths]`).
    let url = |p: &str| Value::from(format!("{base}{}", config.paths.resolve(p)));
    m.insert("jwks_uri".into(), url(paths::JWKS));
    m.insert("authorization_endpoint".into(), url(paths::AUTHORIZE));
    m.insert("token_endpoint".into(), url(paths::TOKEN));
    m.insert("userinfo_endpoint".into(), url(paths::USERINFO));
    m.insert("introspection_endpoint".into(), url(paths::INTROSPECT));
    m.insert("revocation_endpoint".into(), url(paths::REVOKE));
    m.insert("registration_endpoint".into(), url(paths::REGISTER));
    m.insert("end_session_endpoint".into(), url(paths::END_SESSION));
    m.insert(
        "pushed_authorization_request_endpoint".into(),
        url(paths::PAR),
    );
    let auth_methods = strings(crate::config::KNOWN_AUTH_METHODS.to_vec());
    let jwt_algs = strings(vec![
        "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "EdDSA",
    ]);
    m.insert(
        "response_types_supported".into(),
        strings(crate::config::KNOWN_RESPONSE_TYPES.to_vec()),
    );
    m.insert(
        "response_modes_supported".into(),
        strings(vec!["query", "fragment", "form_post"]),
    );
    m.insert(
        "grant_types_supported".into(),
        Value::Array(
            config
                .server
                .grant_types_supported
                .iter()
                .map(|g| Value::from(g.as_str()))
                .collect(),
        ),
    );
    m.insert(
        "token_endpoint_auth_methods_supported".into(),
        auth_methods.clone(),
    );
    m.insert(
        "token_endpoint_auth_signing_alg_values_supported".into(),
        jwt_algs.clone(),
    );
    m.insert(
        "introspection_endpoint_auth_methods_supported".into(),
        auth_methods.clone(),
    );
    m.insert(
        "revocation_endpoint_auth_methods_supported".into(),
        auth_methods,
    );
    m.insert(
        "code_challenge_methods_supported".into(),
        strings(vec!["S256"]),
    );
    m.insert(
        "authorization_response_iss_parameter_supported".into(),
        Value::Bool(true),
    );
    m.insert("claims_parameter_supported".into(), Value::Bool(true));
    m.insert("request_parameter_supported".into(), Value::Bool(true));
    m.insert("request_uri_parameter_supported".into(), Value::Bool(true));
    m.insert(
        "request_object_signing_alg_values_supported".into(),
        jwt_algs.clone(),
    );
    m.insert(
        "userinfo_signing_alg_values_supported".into(),
        strings(
            crate::config::SIGNING_ALGS
                .iter()
                .map(|a| a.as_str())
                .collect(),
        ),
    );
    m.insert("dpop_signing_alg_values_supported".into(), jwt_algs);
    m.insert("backchannel_logout_supported".into(), Value::Bool(true));
    m.insert(
        "backchannel_logout_session_supported".into(),
        Value::Bool(true),
    );
    m.insert(
        "claims_supported".into(),
        strings(vec![
            "sub",
            "iss",
            "aud",
            "exp",
            "iat",
            "auth_time",
            "nonce",
            "acr",
            "amr",
            "azp",
            "sid",
            "name",
            "given_name",
            "family_name",
            "middle_name",
            "nickname",
            "preferred_username",
            "profile",
            "picture",
            "website",
            "email",
            "email_verified",
            "gender",
            "birthdate",
            "zoneinfo",
            "locale",
            "phone_number",
            "phone_number_verified",
            "address",
            "updated_at",
        ]),
    );
    m.insert(
        "prompt_values_supported".into(),
        strings(vec!["none", "login", "consent"]),
    );
    m.insert(
        "scopes_supported".into(),
        strings(config.scopes.iter().map(|s| s.name.as_str()).collect()),
    );
    // Every user has one `sub` for all clients (OpenID Connect Core 1.0 §8).
    m.insert("subject_types_supported".into(), strings(vec!["public"]));
    m.insert(
        "id_token_signing_alg_values_supported".into(),
        strings(vec![config.server.id_token_signing_alg.as_str()]),
    );
    m
}

/// `GET` handler for both metadata locations. Under the global `discovery-issuer-mismatch`
/// scenario (`scenario.rs`) the document's `issuer` is another issuer than the one it is
/// served for, which relying parties must refuse (OpenID Connect Discovery 1.0 §4.3, RFC 8414
/// §3.3); the endpoints stay the real ones.
pub async fn get(State(state): State<Arc<AppState>>) -> Response {
    match crate::scenario::discovery_issuer(&state) {
        None => public_json(state.discovery_json.clone()),
        Some(other) => {
            let mut m = metadata(&state.config, &state.issuer);
            m.insert("issuer".into(), Value::from(other));
            public_json(Value::Object(m).to_string())
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )]
    use super::*;

    #[test]
    fn paths_follow_the_issuer_path() {
        for (issuer, oidc, rfc, jwks) in [
            (
                "http://127.0.0.1:8080",
                "/.well-known/openid-configuration",
                "/.well-known/oauth-authorization-server",
                "/jwks",
            ),
            (
                "http://127.0.0.1:8080/",
                "/.well-known/openid-configuration",
                "/.well-known/oauth-authorization-server",
                "/jwks",
            ),
            (
                "https://op.example/tenant/a/",
                "/tenant/a/.well-known/openid-configuration",
                "/.well-known/oauth-authorization-server/tenant/a",
                "/tenant/a/jwks",
            ),
        ] {
            assert_eq!(oidc_path(issuer), oidc);
            assert_eq!(rfc8414_path(issuer), rfc);
            assert_eq!(jwks_path(issuer), jwks);
        }
    }

    #[test]
    fn metadata_lists_what_exists() {
        let c = Config::embedded_default().unwrap();
        let m = metadata(&c, "https://op.example/t");
        assert_eq!(m["issuer"], "https://op.example/t");
        assert_eq!(m["jwks_uri"], "https://op.example/t/jwks");
        assert_eq!(
            m["id_token_signing_alg_values_supported"],
            serde_json::json!(["RS256"])
        );
        assert!(
            m["scopes_supported"]
                .as_array()
                .unwrap()
                .contains(&"openid".into())
        );
        assert_eq!(m["token_endpoint"], "https://op.example/t/token");
        assert_eq!(
            m["code_challenge_methods_supported"],
            serde_json::json!(["S256"])
        );
    }
}
