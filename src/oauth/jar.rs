//! JWT-Secured Authorization Requests (RFC 9101, OpenID Connect Core 1.0 §6.1): the
//! authorization parameters signed into a Request Object, sent by value (`request`, RFC 9101
//! §5.1) or by reference (`request_uri`, RFC 9101 §5.2).
//!
//! Nothing here reads a clock or draws hidden randomness: `now` and the RNG are parameters.

use rand_core::CryptoRng;
use serde_json::Value;
use zeroize::Zeroizing;

use crate::UnixTime;
use crate::b64;
use crate::error::{Error, Result};
use crate::json::{self, Object};
use crate::jwa::Alg;
use crate::jwk::Key;
use crate::jwt;
use crate::oauth::authorize::{AuthorizationEndpoint, AuthorizationRequest, authorization_url};
use crate::oauth::http;

/// The `typ` header of a Request Object (RFC 9101 §4, §10.8).
pub const REQUEST_OBJECT_TYP: &str = "oauth-authz-req+jwt";

/// The default Request Object lifetime, in seconds (RFC 9101 §10.3: a short-lived `exp`).
pub const DEFAULT_REQUEST_OBJECT_LIFETIME: u64 = 300;

/// The longest accepted Request Object lifetime, in seconds (RFC 9101 §10.3).
pub const MAX_REQUEST_OBJECT_LIFETIME: u64 = 3600;

/// Random octets in a generated `jti`: 256 bits (RFC 7519 §4.1.7).
const JTI_OCTETS: usize = 32;

/// Claims the builder sets itself (RFC 9101 §4, RFC 7519 §4.1); the parameters may not set them.
const REGISTERED: [&str; 6] = ["iss", "aud", "iat", "nbf", "exp", "jti"];

/// A placeholder endpoint used to reuse [`authorization_url`]'s checks and parameter list.
const PLACEHOLDER_ENDPOINT: &str = "https://request-object.invalid/";

fn bad(msg: impl Into<String>) -> Error {
    Error::InvalidArgValue(msg.into())
}

/// The parameters of `params` as name/value pairs, in the order and with the checks of
/// [`authorization_url`] (RFC 6749 §4.1.1, OpenID Connect Core 1.0 §3.1.2.1, RFC 7636 §4.3):
/// the input for [`create_request_object`] (RFC 9101 §4) or a pushed request (RFC 9126 §2.1).
pub fn authorization_request_pairs(params: &AuthorizationRequest) -> Result<Vec<(String, String)>> {
    let url = authorization_url(
        AuthorizationEndpoint::Url {
            url: PLACEHOLDER_ENDPOINT,
            allow_insecure_loopback: false,
        },
        params,
    )?;
    let query = url.split_once('?').map(|(_, q)| q).unwrap_or_default();
    http::form_decode(query)
}

/// What [`create_request_object`] signs besides the parameters (RFC 9101 §4).
#[derive(Debug, Clone)]
pub struct RequestObjectOptions<'a> {
    /// The client identifier: `iss` and `client_id` (RFC 9101 §4, §5).
    pub client_id: &'a str,
    /// The `aud`: the authorization server's issuer identifier (RFC 9101 §4).
    pub audience: &'a str,
    /// The signing (or, for `HS*`, MAC) key; its `kid` becomes the header `kid` (RFC 7515
    /// §4.1.4).
    pub key: &'a Key,
    /// The JWS algorithm (RFC 7515 §4.1.1, RFC 9101 §4).
    pub alg: Alg,
    /// Seconds from `iat` to `exp`: [`DEFAULT_REQUEST_OBJECT_LIFETIME`] when `None`, at most
    /// [`MAX_REQUEST_OBJECT_LIFETIME`] (RFC 9101 §10.3).
    pub lifetime: Option<u64>,
}

/// Creates a signed Request Object (RFC 9101 §4, OpenID Connect Core 1.0 §6.1): header
/// `{alg, typ: "oauth-authz-req+jwt", kid?}`, claims the authorization parameters (`claims` as
/// a JSON object, `max_age` as a number, others as strings) plus `iss` = `client_id`, `aud`,
/// `iat` = `nbf` = `now`, `exp` = `now` + lifetime and a random 256-bit `jti`.
///
/// Refused with [`Error::InvalidArgValue`]: empty `client_id` or `audience`, repeated or empty
/// names, `request` / `request_uri` inside the object (RFC 9101 §4), a `client_id` parameter
/// that differs from the option's (RFC 9101 §5), a parameter named like a registered claim, a
/// `claims` value that is not a JSON object (OpenID Connect Core 1.0 §5.5), a `max_age` that is
/// not a non-negative integer, a lifetime of 0 or above the maximum.
pub fn create_request_object<R: CryptoRng + ?Sized>(
    params: &[(String, String)],
    opts: &RequestObjectOptions<'_>,
    now: UnixTime,
    rng: &mut R,
) -> Result<String> {
    if opts.client_id.is_empty() || opts.audience.is_empty() {
        return Err(bad(
            "the Request Object's client_id and audience must not be empty (RFC 9101 §4)",
        ));
    }
    let lifetime = opts.lifetime.unwrap_or(DEFAULT_REQUEST_OBJECT_LIFETIME);
    if lifetime == 0 || lifetime > MAX_REQUEST_OBJECT_LIFETIME {
        return Err(bad(format!(
            "the Request Object lifetime must be 1 to {MAX_REQUEST_OBJECT_LIFETIME} seconds, got {lifetime}"
        )));
    }
    let exp = i64::try_from(lifetime)
        .ok()
        .and_then(|l| now.checked_add(l))
        .ok_or_else(|| bad("now + lifetime overflows"))?;

    let mut claims = Object::new();
    for (name, value) in params {
        if name.is_empty() || claims.contains_key(name) {
            return Err(bad(format!(
                "the parameter {name:?} is empty or repeated (RFC 6749 §3.1)"
            )));
        }
        if name == "request" || name == "request_uri" {
            return Err(bad(format!(
                "a Request Object must not contain {name:?} (RFC 9101 §4)"
            )));
        }
        if REGISTERED.contains(&name.as_str()) {
            return Err(bad(format!(
                "the parameter {name:?} is set by the Request Object builder (RFC 9101 §4)"
            )));
        }
        if name == "client_id" && value != opts.client_id {
            return Err(bad(
                "the client_id parameter differs from the Request Object's client_id (RFC 9101 §5)",
            ));
        }
        let v = match name.as_str() {
            "claims" => Value::Object(json::parse_object_with(
                value.as_bytes(),
                "the claims parameter",
                Error::InvalidArgValue,
            )?),
            "max_age" => Value::from(value.parse::<u64>().map_err(|_| {
                bad("max_age must be a non-negative integer (OpenID Connect Core 1.0 §3.1.2.1)")
            })?),
            _ => Value::String(value.clone()),
        };
        claims.insert(name.clone(), v);
    }
    claims.insert("client_id".into(), Value::String(opts.client_id.into()));

    let mut jti = Zeroizing::new([0u8; JTI_OCTETS]);
    rng.fill_bytes(jti.as_mut_slice());
    claims.insert("iss".into(), Value::String(opts.client_id.into()));
    claims.insert("aud".into(), Value::String(opts.audience.into()));
    claims.insert("iat".into(), Value::from(now));
    claims.insert("nbf".into(), Value::from(now));
    claims.insert("exp".into(), Value::from(exp));
    claims.insert("jti".into(), Value::String(b64::encode(jti.as_slice())));

    let mut header = Object::new();
    header.insert("alg".into(), Value::String(opts.alg.as_str().into()));
    header.insert("typ".into(), Value::String(REQUEST_OBJECT_TYP.into()));
    if let Some(kid) = opts.key.meta.kid.as_deref() {
        header.insert("kid".into(), Value::String(kid.into()));
    }
    jwt::sign(&header, &claims, opts.key, rng)
}

/// Appends `pairs` to the (https) endpoint, keeping its own query (RFC 6749 §3.1) and refusing
/// a parameter it already has.
pub(crate) fn url_with_pairs(
    endpoint: http::Endpoint<'_>,
    pairs: &[(&str, &str)],
) -> Result<String> {
    let endpoint = endpoint.checked()?;
    for (name, value) in pairs {
        if value.is_empty() {
            return Err(bad(format!("the {name:?} parameter must not be empty")));
        }
    }
    let (path, existing) = endpoint.split_once('?').unwrap_or((endpoint, ""));
    let existing_pairs = http::form_decode(existing)?;
    if let Some((n, _)) = existing_pairs
        .iter()
        .find(|(n, _)| pairs.iter().any(|(p, _)| p == n))
    {
        return Err(bad(format!(
            "the authorization endpoint's query already has {n:?} (RFC 6749 §3.1)"
        )));
    }
    let query = http::form_urlencode(pairs);
    Ok(if existing.is_empty() {
        format!("{path}?{query}")
    } else {
        format!("{path}?{existing}&{query}")
    })
}

/// The authorization URL passing a Request Object by value (RFC 9101 §5.1): the (https)
/// endpoint plus `client_id` and `request`. Empty values and a non-https endpoint are refused.
pub fn authorization_url_with_request<'e>(
    endpoint: impl Into<http::Endpoint<'e>>,
    client_id: &str,
    request_object: &str,
) -> Result<String> {
    url_with_pairs(
        endpoint.into(),
        &[("client_id", client_id), ("request", request_object)],
    )
}

/// The authorization URL passing a Request Object by reference (RFC 9101 §5.2): the (https)
/// endpoint plus `client_id` and `request_uri`. Empty values and a non-https endpoint are
/// refused.
pub fn authorization_url_with_request_uri<'e>(
    endpoint: impl Into<http::Endpoint<'e>>,
    client_id: &str,
    request_uri: &str,
) -> Result<String> {
    url_with_pairs(
        endpoint.into(),
        &[("client_id", client_id), ("request_uri", request_uri)],
    )
}
