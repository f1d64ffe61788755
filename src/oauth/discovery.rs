//! Authorization server metadata discovery: OpenID Connect Discovery 1.0 §4 and RFC 8414 §3.
//!
//! [`discovery_request`] builds the `GET` for the well-known document, and
//! [`process_discovery_response`] validates what came back: status 200, a JSON object, an
//! `issuer` identical to the expected one (OpenID Connect Discovery 1.0 §4.3, RFC 8414 §3.3,
//! the defence against mix-up attacks), and https endpoint URLs.

use serde_json::Value;

use crate::error::{Error, Result};
use crate::json::Object;
use crate::oauth::http::{self, HttpRequest, HttpResponse, Method};

/// Which well-known location to fetch (OpenID Connect Discovery 1.0 §4.1, RFC 8414 §3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DiscoveryAlgorithm {
    /// `issuer` + `/.well-known/openid-configuration` (OpenID Connect Discovery 1.0 §4.1).
    #[default]
    Oidc,
    /// `.well-known/oauth-authorization-server` inserted between the host and the issuer's path
    /// (RFC 8414 §3.1).
    Oauth2,
}

/// Options of [`discovery_request`] and [`process_discovery_response`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DiscoveryOptions {
    /// The well-known location to use (OpenID Connect Discovery 1.0 §4.1, RFC 8414 §3.1).
    pub algorithm: DiscoveryAlgorithm,
    /// Allow plain `http` on loopback hosts (`localhost`, `127.0.0.0/8`, `[::1]`) for the issuer
    /// and the endpoints, e.g. for a local test OP. Off by default: https is required
    /// (RFC 8414 §2, RFC 6749 §3.1).
    pub allow_insecure_loopback: bool,
}

/// Builds the discovery request for `issuer` (OpenID Connect Discovery 1.0 §4.1, RFC 8414 §3.1).
///
/// The issuer must be an https URL (loopback http by opt-in) without query or fragment
/// (RFC 8414 §2). OIDC: a trailing `/` of the issuer is removed before
/// `/.well-known/openid-configuration` is appended. RFC 8414: the well-known segment goes
/// between the host and the issuer's path (whose trailing `/` is removed).
pub fn discovery_request(issuer: &str, opts: &DiscoveryOptions) -> Result<HttpRequest> {
    http::check_url(issuer, opts.allow_insecure_loopback)?;
    let (_, _, tail) = http::split_url(issuer)?;
    if tail.contains('?') {
        return Err(Error::InvalidArgValue(format!(
            "issuer {issuer:?} must not have a query component (RFC 8414 §2)"
        )));
    }
    let url = match opts.algorithm {
        DiscoveryAlgorithm::Oidc => format!(
            "{}/.well-known/openid-configuration",
            issuer.trim_end_matches('/')
        ),
        DiscoveryAlgorithm::Oauth2 => {
            // Keep the issuer's own spelling of scheme and authority.
            let prefix_len = issuer.len() - tail.len();
            let prefix = issuer.get(..prefix_len).unwrap_or(issuer);
            let path = tail.trim_end_matches('/');
            format!("{prefix}/.well-known/oauth-authorization-server{path}")
        }
    };
    Ok(HttpRequest {
        method: Method::Get,
        url,
        headers: vec![("accept".to_owned(), "application/json".to_owned())],
        body: None,
    })
}

/// The metadata members holding endpoint URLs, each checked with [`http::check_url`]
/// (RFC 8414 §2, OpenID Connect Discovery 1.0 §3).
const URL_MEMBERS: &[&str] = &[
    "authorization_endpoint",
    "token_endpoint",
    "jwks_uri",
    "userinfo_endpoint",
    "end_session_endpoint",
    "introspection_endpoint",
    "revocation_endpoint",
    "registration_endpoint",
    "pushed_authorization_request_endpoint",
];

/// The metadata members that are arrays of strings (RFC 8414 §2, OpenID Connect Discovery 1.0
/// §3), checked for their type.
const STRING_ARRAY_MEMBERS: &[&str] = &[
    "scopes_supported",
    "response_types_supported",
    "response_modes_supported",
    "grant_types_supported",
    "code_challenge_methods_supported",
    "id_token_signing_alg_values_supported",
    "token_endpoint_auth_methods_supported",
    "token_endpoint_auth_signing_alg_values_supported",
    "userinfo_signing_alg_values_supported",
    "request_object_signing_alg_values_supported",
    "subject_types_supported",
    "claims_supported",
    "dpop_signing_alg_values_supported",
];

/// The boolean metadata members (RFC 9207 §3, RFC 9126 §5, OpenID Connect Discovery 1.0 §3).
const BOOL_MEMBERS: &[&str] = &[
    "authorization_response_iss_parameter_supported",
    "require_pushed_authorization_requests",
    "request_parameter_supported",
    "request_uri_parameter_supported",
    "claims_parameter_supported",
];

/// Validated authorization server metadata (RFC 8414 §2, OpenID Connect Discovery 1.0 §3): the
/// raw document plus typed accessors for the members the engine uses.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerMetadata {
    issuer: String,
    raw: Object,
}

impl ServerMetadata {
    /// Validates a metadata document (RFC 8414 §3.2, §3.3; OpenID Connect Discovery 1.0 §4.3):
    /// `issuer` must be a string equal to `expected_issuer` exactly
    /// ([`Error::OAuthJsonAttributeComparisonFailed`]); endpoint members must be strings passing
    /// [`http::check_url`] (plain http is [`Error::OAuthHttpRequestForbidden`]); ill-typed or
    /// malformed members are [`Error::OAuthInvalidResponse`].
    pub fn from_object(
        raw: Object,
        expected_issuer: &str,
        opts: &DiscoveryOptions,
    ) -> Result<Self> {
        let issuer = match raw.get("issuer") {
            Some(Value::String(s)) => s.clone(),
            Some(_) => return Err(invalid("\"issuer\" must be a string")),
            None => return Err(invalid("\"issuer\" is missing (RFC 8414 §2)")),
        };
        if issuer != expected_issuer {
            return Err(Error::OAuthJsonAttributeComparisonFailed(format!(
                "metadata \"issuer\" {issuer:?} differs from the expected issuer {expected_issuer:?} (RFC 8414 §3.3, OpenID Connect Discovery 1.0 §4.3)"
            )));
        }
        for name in URL_MEMBERS {
            match raw.get(*name) {
                None => {}
                Some(Value::String(url)) => {
                    http::check_url(url, opts.allow_insecure_loopback).map_err(|e| match e {
                        Error::InvalidArgValue(m) => invalid(&format!("\"{name}\": {m}")),
                        other => other,
                    })?;
                }
                Some(_) => return Err(invalid(&format!("\"{name}\" must be a string"))),
            }
        }
        for name in STRING_ARRAY_MEMBERS {
            match raw.get(*name) {
                None => {}
                Some(Value::Array(a)) if a.iter().all(Value::is_string) => {}
                Some(_) => {
                    return Err(invalid(&format!("\"{name}\" must be an array of strings")));
                }
            }
        }
        for name in BOOL_MEMBERS {
            match raw.get(*name) {
                None | Some(Value::Bool(_)) => {}
                Some(_) => return Err(invalid(&format!("\"{name}\" must be a boolean"))),
            }
        }
        Ok(Self { issuer, raw })
    }

    /// The whole document as received (RFC 8414 §2), for members without an accessor.
    pub fn raw(&self) -> &Object {
        &self.raw
    }

    fn str_member(&self, name: &str) -> Option<&str> {
        self.raw.get(name).and_then(Value::as_str)
    }

    fn list_member(&self, name: &str) -> Option<Vec<&str>> {
        self.raw
            .get(name)
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
    }

    /// `issuer` (RFC 8414 §2), equal to the expected issuer.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }
    /// `authorization_endpoint` (RFC 8414 §2, RFC 6749 §3.1).
    pub fn authorization_endpoint(&self) -> Option<&str> {
        self.str_member("authorization_endpoint")
    }
    /// `token_endpoint` (RFC 8414 §2, RFC 6749 §3.2).
    pub fn token_endpoint(&self) -> Option<&str> {
        self.str_member("token_endpoint")
    }
    /// `jwks_uri` (RFC 8414 §2, OpenID Connect Discovery 1.0 §3).
    pub fn jwks_uri(&self) -> Option<&str> {
        self.str_member("jwks_uri")
    }
    /// `userinfo_endpoint` (OpenID Connect Discovery 1.0 §3, OIDC Core §5.3).
    pub fn userinfo_endpoint(&self) -> Option<&str> {
        self.str_member("userinfo_endpoint")
    }
    /// `end_session_endpoint` (OpenID Connect RP-Initiated Logout 1.0 §2.1).
    pub fn end_session_endpoint(&self) -> Option<&str> {
        self.str_member("end_session_endpoint")
    }
    /// `introspection_endpoint` (RFC 8414 §2, RFC 7662).
    pub fn introspection_endpoint(&self) -> Option<&str> {
        self.str_member("introspection_endpoint")
    }
    /// `revocation_endpoint` (RFC 8414 §2, RFC 7009).
    pub fn revocation_endpoint(&self) -> Option<&str> {
        self.str_member("revocation_endpoint")
    }
    /// `registration_endpoint` (RFC 8414 §2, RFC 7591).
    pub fn registration_endpoint(&self) -> Option<&str> {
        self.str_member("registration_endpoint")
    }
    /// `pushed_authorization_request_endpoint` (RFC 9126 §5).
    pub fn pushed_authorization_request_endpoint(&self) -> Option<&str> {
        self.str_member("pushed_authorization_request_endpoint")
    }
    /// `authorization_response_iss_parameter_supported` (RFC 9207 §3), `false` when absent.
    pub fn authorization_response_iss_parameter_supported(&self) -> bool {
        self.raw
            .get("authorization_response_iss_parameter_supported")
            .and_then(Value::as_bool)
            .unwrap_or(false)
    }
    /// `code_challenge_methods_supported` (RFC 8414 §2, RFC 7636 §4.3).
    pub fn code_challenge_methods_supported(&self) -> Option<Vec<&str>> {
        self.list_member("code_challenge_methods_supported")
    }
    /// `id_token_signing_alg_values_supported` (OpenID Connect Discovery 1.0 §3).
    pub fn id_token_signing_alg_values_supported(&self) -> Option<Vec<&str>> {
        self.list_member("id_token_signing_alg_values_supported")
    }
    /// `token_endpoint_auth_methods_supported` (RFC 8414 §2, OpenID Connect Discovery 1.0 §3).
    pub fn token_endpoint_auth_methods_supported(&self) -> Option<Vec<&str>> {
        self.list_member("token_endpoint_auth_methods_supported")
    }
}

fn invalid(msg: &str) -> Error {
    Error::OAuthInvalidResponse(format!("discovery document: {msg}"))
}

/// Processes the response to [`discovery_request`] (OpenID Connect Discovery 1.0 §4.2, §4.3;
/// RFC 8414 §3.2, §3.3): status 200 (else [`Error::OAuthInvalidResponse`], or
/// [`Error::OAuthResponseBodyError`] for an RFC 6749 §5.2 error body), an `application/json`
/// object, then [`ServerMetadata::from_object`].
pub fn process_discovery_response(
    expected_issuer: &str,
    resp: &HttpResponse,
    opts: &DiscoveryOptions,
) -> Result<ServerMetadata> {
    if resp.status != 200 {
        if let Ok(obj) = http::parse_json_object(resp) {
            http::check_oauth_error(resp, &obj)?;
        }
        return Err(invalid(&format!(
            "unexpected HTTP status {} (RFC 8414 §3.2 requires 200)",
            resp.status
        )));
    }
    let obj = http::parse_json_object(resp)?;
    ServerMetadata::from_object(obj, expected_issuer, opts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn oauth2() -> DiscoveryOptions {
        DiscoveryOptions {
            algorithm: DiscoveryAlgorithm::Oauth2,
            ..DiscoveryOptions::default()
        }
    }

    fn ok(body: &str) -> HttpResponse {
        HttpResponse {
            status: 200,
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn oidc_urls() {
        let o = DiscoveryOptions::default();
        for (iss, want) in [
            (
                "https://op.example",
                "https://op.example/.well-known/openid-configuration",
            ),
            (
                "https://op.example/",
                "https://op.example/.well-known/openid-configuration",
            ),
            (
                "https://op.example/tenant/a/",
                "https://op.example/tenant/a/.well-known/openid-configuration",
            ),
        ] {
            let r = discovery_request(iss, &o).unwrap();
            assert_eq!(r.url, want);
            assert_eq!(r.method, Method::Get);
            assert_eq!(r.body, None);
        }
    }

    #[test]
    fn rfc8414_urls() {
        for (iss, want) in [
            (
                "https://op.example",
                "https://op.example/.well-known/oauth-authorization-server",
            ),
            (
                "https://op.example/",
                "https://op.example/.well-known/oauth-authorization-server",
            ),
            (
                "https://op.example:8443/issuer1",
                "https://op.example:8443/.well-known/oauth-authorization-server/issuer1",
            ),
            (
                "https://op.example/a/b/",
                "https://op.example/.well-known/oauth-authorization-server/a/b",
            ),
        ] {
            assert_eq!(discovery_request(iss, &oauth2()).unwrap().url, want);
        }
    }

    #[test]
    fn bad_issuers_refused() {
        let o = DiscoveryOptions::default();
        for bad in ["https://op.example?x=1", "https://op.example/#f", "op"] {
            let err = discovery_request(bad, &o).unwrap_err();
            assert_eq!(err.code(), "ERR_INVALID_ARG_VALUE", "{bad}");
        }
        let err = discovery_request("http://op.example", &o).unwrap_err();
        assert_eq!(err.code(), "OAUTH_HTTP_REQUEST_FORBIDDEN");
    }

    #[test]
    fn accessors() {
        let m = process_discovery_response(
            "https://op.example",
            &ok(
                r#"{"issuer":"https://op.example","token_endpoint":"https://op.example/t",
                "authorization_response_iss_parameter_supported":true,
                "code_challenge_methods_supported":["S256"],"x":1}"#,
            ),
            &DiscoveryOptions::default(),
        )
        .unwrap();
        assert_eq!(m.issuer(), "https://op.example");
        assert_eq!(m.token_endpoint(), Some("https://op.example/t"));
        assert_eq!(m.authorization_endpoint(), None);
        assert!(m.authorization_response_iss_parameter_supported());
        assert_eq!(m.code_challenge_methods_supported(), Some(vec!["S256"]));
        assert_eq!(m.id_token_signing_alg_values_supported(), None);
        assert_eq!(m.raw()["x"], 1);
    }

    #[test]
    fn ill_typed_members() {
        for body in [
            r#"{"issuer":1}"#,
            r#"{}"#,
            r#"{"issuer":"https://op.example","jwks_uri":5}"#,
            r#"{"issuer":"https://op.example","jwks_uri":"not a url"}"#,
            r#"{"issuer":"https://op.example","code_challenge_methods_supported":"S256"}"#,
            r#"{"issuer":"https://op.example","scopes_supported":[1]}"#,
            r#"{"issuer":"https://op.example","authorization_response_iss_parameter_supported":"true"}"#,
        ] {
            let err = process_discovery_response(
                "https://op.example",
                &ok(body),
                &DiscoveryOptions::default(),
            )
            .unwrap_err();
            assert_eq!(err.code(), "OAUTH_INVALID_RESPONSE", "{body}");
        }
    }

    #[test]
    fn status_and_error_body() {
        let mut r = ok(r#"{"issuer":"https://op.example"}"#);
        r.status = 404;
        let o = DiscoveryOptions::default();
        let err = process_discovery_response("https://op.example", &r, &o).unwrap_err();
        assert_eq!(err.code(), "OAUTH_INVALID_RESPONSE");
        r.body = br#"{"error":"server_error"}"#.to_vec();
        r.status = 500;
        let err = process_discovery_response("https://op.example", &r, &o).unwrap_err();
        assert_eq!(err.code(), "OAUTH_RESPONSE_BODY_ERROR");
        assert_eq!(err.oauth_error().unwrap().status, Some(500));
    }
}
