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

/// The JWKS path (the `jwks_uri`, OpenID Connect Discovery 1.0 §3).
pub fn jwks_path(issuer: &str) -> String {
    format!("{}/jwks", issuer_path(issuer))
}

/// Builds the metadata document (RFC 8414 §2, OpenID Connect Discovery 1.0 §3).
pub fn metadata(config: &Config, issuer: &str) -> Object {
    let base = issuer.trim_end_matches('/');
    let origin_len = base.len() - issuer_path(issuer).len();
    let origin = base.get(..origin_len).unwrap_or(base);
    let strings = |v: Vec<&str>| Value::Array(v.into_iter().map(Value::from).collect());
    let mut m = Object::new();
    m.insert("issuer".into(), Value::from(issuer));
    m.insert(
        "jwks_uri".into(),
        Value::from(format!("{origin}{}", jwks_path(issuer))),
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

/// `GET` handler for both metadata locations.
pub async fn get(State(state): State<Arc<AppState>>) -> Response {
    public_json(state.discovery_json.clone())
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
        assert!(m.get("token_endpoint").is_none());
    }
}
