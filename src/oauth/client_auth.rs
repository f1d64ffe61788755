//! Client authentication at the token endpoint (RFC 6749 §2.3.1, OpenID Connect Core 1.0 §9,
//! RFC 7521 §4.2, RFC 7523 §2.2, §3) and JWT assertions for the JWT bearer grant (RFC 7523 §2.1).
//!
//! Nothing here reads a clock or draws hidden randomness: `now` and the RNG are parameters.

use core::fmt::Write as _;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rand_core::CryptoRng;
use serde_json::Value;
use zeroize::Zeroizing;

use crate::UnixTime;
use crate::b64;
use crate::error::{Error, Result};
use crate::json::Object;
use crate::jwa::{Alg, Family};
use crate::jwk::Key;
use crate::jwt;

/// The `client_assertion_type` of a JWT client assertion (RFC 7523 §2.2).
pub const CLIENT_ASSERTION_TYPE_JWT_BEARER: &str =
    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// The default lifetime of a generated assertion, in seconds (RFC 7523 §3 item 4: `exp` limits
/// the time window during which the JWT can be used).
pub const DEFAULT_ASSERTION_LIFETIME: u64 = 60;

/// The longest accepted assertion lifetime, in seconds (RFC 7523 §3 item 4: a short window
/// limits replay).
pub const MAX_ASSERTION_LIFETIME: u64 = 300;

/// Random octets in a generated `jti`: 256 bits, above the 128-bit minimum (RFC 7519 §4.1.7).
const JTI_OCTETS: usize = 32;

/// Claims the assertion builders set themselves; extra claims must not override them.
const REGISTERED: [&str; 6] = ["iss", "sub", "aud", "jti", "iat", "exp"];

/// How a client authenticates to the token endpoint (RFC 6749 §2.3, OpenID Connect Core 1.0 §9
/// `token_endpoint_auth_method`).
// One value per client, never stored in bulk: the size of the `Key` variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Clone)]
pub enum ClientAuth {
    /// `none`: a public client only sends its `client_id` (RFC 6749 §2.3, §3.2.1; OpenID
    /// Connect Core 1.0 §9).
    None {
        /// The client identifier (RFC 6749 §2.2).
        client_id: String,
    },
    /// `client_secret_basic`: HTTP Basic with the form-urlencoded identifier and secret
    /// (RFC 6749 §2.3.1).
    ClientSecretBasic {
        /// The client identifier (RFC 6749 §2.2).
        client_id: String,
        /// The client secret (RFC 6749 §2.3.1).
        secret: String,
    },
    /// `client_secret_post`: `client_id` and `client_secret` in the request body (RFC 6749
    /// §2.3.1; NOT RECOMMENDED there, prefer Basic).
    ClientSecretPost {
        /// The client identifier (RFC 6749 §2.2).
        client_id: String,
        /// The client secret (RFC 6749 §2.3.1).
        secret: String,
    },
    /// `client_secret_jwt`: a JWT client assertion MACed with the client secret (OpenID Connect
    /// Core 1.0 §9, RFC 7523 §2.2). The secret must be at least as long as the hash output
    /// (RFC 7518 §3.2); `alg` is an `HS*` algorithm, `HS256` by default (see
    /// [`ClientAuth::client_secret_jwt`]).
    ClientSecretJwt {
        /// The client identifier (RFC 6749 §2.2).
        client_id: String,
        /// The client secret, used as the HMAC key (OpenID Connect Core 1.0 §9).
        secret: String,
        /// The MAC algorithm: `HS256`, `HS384` or `HS512`.
        alg: Alg,
    },
    /// `private_key_jwt`: a JWT client assertion signed with the client's private key (OpenID
    /// Connect Core 1.0 §9, RFC 7523 §2.2).
    PrivateKeyJwt {
        /// The client identifier (RFC 6749 §2.2).
        client_id: String,
        /// The private signing key (never an `oct` key).
        key: Key,
        /// The signature algorithm (asymmetric only).
        alg: Alg,
        /// The `kid` header (RFC 7515 §4.1.4); `key.meta.kid` when `None`.
        kid: Option<String>,
        /// The `x5t` header (RFC 7515 §4.1.7); `key.meta.x5t` when `None`.
        x5t: Option<String>,
    },
}

impl core::fmt::Debug for ClientAuth {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // Never print secrets or key material.
        let (method, client_id) = match self {
            Self::None { client_id } => ("none", client_id),
            Self::ClientSecretBasic { client_id, .. } => ("client_secret_basic", client_id),
            Self::ClientSecretPost { client_id, .. } => ("client_secret_post", client_id),
            Self::ClientSecretJwt { client_id, .. } => ("client_secret_jwt", client_id),
            Self::PrivateKeyJwt { client_id, .. } => ("private_key_jwt", client_id),
        };
        f.debug_struct("ClientAuth")
            .field("method", &method)
            .field("client_id", client_id)
            .finish_non_exhaustive()
    }
}

impl ClientAuth {
    /// `client_secret_jwt` with the default `HS256` (OpenID Connect Core 1.0 §9).
    pub fn client_secret_jwt(client_id: impl Into<String>, secret: impl Into<String>) -> Self {
        Self::ClientSecretJwt {
            client_id: client_id.into(),
            secret: secret.into(),
            alg: Alg::Hs256,
        }
    }

    /// The client identifier (RFC 6749 §2.2).
    pub fn client_id(&self) -> &str {
        match self {
            Self::None { client_id }
            | Self::ClientSecretBasic { client_id, .. }
            | Self::ClientSecretPost { client_id, .. }
            | Self::ClientSecretJwt { client_id, .. }
            | Self::PrivateKeyJwt { client_id, .. } => client_id,
        }
    }

    /// The `token_endpoint_auth_method` name of this method (OpenID Connect Core 1.0 §9,
    /// RFC 7591 §2).
    pub fn method_name(&self) -> &'static str {
        match self {
            Self::None { .. } => "none",
            Self::ClientSecretBasic { .. } => "client_secret_basic",
            Self::ClientSecretPost { .. } => "client_secret_post",
            Self::ClientSecretJwt { .. } => "client_secret_jwt",
            Self::PrivateKeyJwt { .. } => "private_key_jwt",
        }
    }

    /// Adds the client authentication to a token-endpoint request (RFC 6749 §2.3.1, OpenID
    /// Connect Core 1.0 §9, RFC 7523 §2.2): form parameters go to `params`, the `Authorization`
    /// header (Basic only) to `headers`. `audience` is the `aud` of a client assertion: the
    /// token endpoint URL (OpenID Connect Core 1.0 §9). Misuse (empty identifiers, a wrong
    /// algorithm, a short secret) is [`Error::InvalidArgValue`] or a key error.
    pub fn apply<R: CryptoRng + ?Sized>(
        &self,
        params: &mut Vec<(String, String)>,
        headers: &mut Vec<(String, String)>,
        audience: &str,
        now: UnixTime,
        rng: &mut R,
    ) -> Result<()> {
        let client_id = self.client_id();
        if client_id.is_empty() {
            return Err(Error::InvalidArgValue(
                "the client_id must not be empty (RFC 6749 §2.2)".into(),
            ));
        }
        for (name, _) in params.iter() {
            if matches!(
                name.as_str(),
                "client_id" | "client_secret" | "client_assertion" | "client_assertion_type"
            ) {
                return Err(Error::InvalidArgValue(format!(
                    "the request already carries the client authentication parameter {name:?}"
                )));
            }
        }
        match self {
            Self::None { client_id } => {
                params.push(("client_id".into(), client_id.clone()));
            }
            Self::ClientSecretBasic { client_id, secret } => {
                check_secret(secret)?;
                if headers
                    .iter()
                    .any(|(n, _)| n.eq_ignore_ascii_case("authorization"))
                {
                    return Err(Error::InvalidArgValue(
                        "the request already carries an Authorization header".into(),
                    ));
                }
                headers.push((
                    "Authorization".into(),
                    basic_authorization(client_id, secret),
                ));
            }
            Self::ClientSecretPost { client_id, secret } => {
                check_secret(secret)?;
                params.push(("client_id".into(), client_id.clone()));
                params.push(("client_secret".into(), secret.clone()));
            }
            Self::ClientSecretJwt {
                client_id,
                secret,
                alg,
            } => {
                check_secret(secret)?;
                if alg.family() != Family::Oct {
                    return Err(Error::InvalidArgValue(format!(
                        "client_secret_jwt needs an HS* algorithm, got {alg} (OpenID Connect Core 1.0 §9)"
                    )));
                }
                let key = Key::from_secret(secret.as_bytes(), Some(*alg))?;
                let jwt = create_client_assertion(
                    &ClientAssertion {
                        client_id,
                        audience,
                        key: &key,
                        alg: *alg,
                        kid: None,
                        x5t: None,
                        lifetime: None,
                        claims: Object::new(),
                    },
                    now,
                    rng,
                )?;
                push_assertion(params, client_id, jwt);
            }
            Self::PrivateKeyJwt {
                client_id,
                key,
                alg,
                kid,
                x5t,
            } => {
                if alg.family() == Family::Oct {
                    return Err(Error::InvalidArgValue(format!(
                        "private_key_jwt needs an asymmetric algorithm, got {alg} (OpenID Connect Core 1.0 §9)"
                    )));
                }
                let jwt = create_client_assertion(
                    &ClientAssertion {
                        client_id,
                        audience,
                        key,
                        alg: *alg,
                        kid: kid.as_deref(),
                        x5t: x5t.as_deref(),
                        lifetime: None,
                        claims: Object::new(),
                    },
                    now,
                    rng,
                )?;
                push_assertion(params, client_id, jwt);
            }
        }
        Ok(())
    }
}

fn check_secret(secret: &str) -> Result<()> {
    if secret.is_empty() {
        return Err(Error::InvalidArgValue(
            "the client secret must not be empty (RFC 6749 §2.3.1)".into(),
        ));
    }
    Ok(())
}

fn push_assertion(params: &mut Vec<(String, String)>, client_id: &str, jwt: String) {
    // `client_id` is optional next to an assertion (RFC 7521 §4.2) and helps servers route it.
    params.push(("client_id".into(), client_id.to_owned()));
    params.push((
        "client_assertion_type".into(),
        CLIENT_ASSERTION_TYPE_JWT_BEARER.into(),
    ));
    params.push(("client_assertion".into(), jwt));
}

/// Encodes one value with the `application/x-www-form-urlencoded` algorithm (RFC 6749
/// Appendix B, as [`crate::oauth::http::form_urlencode`]): the RFC 3986 §2.3 unreserved
/// characters stay, space becomes `+`, every other UTF-8 octet is percent-encoded.
fn form_component(value: &str) -> String {
    let mut out = String::with_capacity(value.len() * 3);
    for &b in value.as_bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(char::from(b));
            }
            b' ' => out.push('+'),
            _ => {
                let _ = write!(out, "%{b:02X}");
            }
        }
    }
    out
}

/// The `Authorization` header value of `client_secret_basic` (RFC 6749 §2.3.1, RFC 7617 §2):
/// `Basic base64(urlencode(client_id) ":" urlencode(secret))`, each part form-urlencoded first.
pub fn basic_authorization(client_id: &str, secret: &str) -> String {
    let credentials = Zeroizing::new(format!(
        "{}:{}",
        form_component(client_id),
        form_component(secret)
    ));
    format!("Basic {}", STANDARD.encode(credentials.as_bytes()))
}

/// What [`create_client_assertion`] signs: a JWT client assertion (RFC 7523 §2.2, §3; OpenID
/// Connect Core 1.0 §9).
#[derive(Debug, Clone)]
pub struct ClientAssertion<'a> {
    /// The client identifier: both `iss` and `sub` (RFC 7523 §3 items 1–2).
    pub client_id: &'a str,
    /// The `aud`: the token endpoint URL or the authorization server's issuer (RFC 7523 §3
    /// item 3; OpenID Connect Core 1.0 §9).
    pub audience: &'a str,
    /// The signing (or, for `HS*`, MAC) key: the JWT is signed or MACed (RFC 7523 §3).
    pub key: &'a Key,
    /// The JWS algorithm (RFC 7515 §4.1.1).
    pub alg: Alg,
    /// The `kid` header (RFC 7515 §4.1.4); `key.meta.kid` when `None`.
    pub kid: Option<&'a str>,
    /// The `x5t` header (RFC 7515 §4.1.7); `key.meta.x5t` when `None`.
    pub x5t: Option<&'a str>,
    /// Seconds from `iat` to `exp`: [`DEFAULT_ASSERTION_LIFETIME`] when `None`, at most
    /// [`MAX_ASSERTION_LIFETIME`] (RFC 7523 §3 item 4).
    pub lifetime: Option<u64>,
    /// Extra claims (RFC 7523 §3); they must not repeat a claim set by the builder
    /// (`iss`, `sub`, `aud`, `jti`, `iat`, `exp`).
    pub claims: Object,
}

/// Creates a JWT client assertion (RFC 7523 §2.2, §3; OpenID Connect Core 1.0 §9): header
/// `{alg, kid?, x5t?}` (no `typ`), claims `iss` = `sub` = client_id, `aud`, a random 256-bit
/// `jti`, `iat` = `now` and `exp` = `now` + lifetime.
pub fn create_client_assertion<R: CryptoRng + ?Sized>(
    a: &ClientAssertion<'_>,
    now: UnixTime,
    rng: &mut R,
) -> Result<String> {
    build_assertion(
        &AssertionParts {
            issuer: a.client_id,
            subject: a.client_id,
            audience: a.audience,
            key: a.key,
            alg: a.alg,
            kid: a.kid,
            x5t: a.x5t,
            lifetime: a.lifetime,
            claims: &a.claims,
        },
        now,
        rng,
    )
}

/// What [`create_jwt_bearer_assertion`] signs: an authorization grant (RFC 7523 §2.1, §3).
#[derive(Debug, Clone)]
pub struct JwtBearerAssertion<'a> {
    /// The `iss`: the client or the entity that issues the assertion (RFC 7523 §3 item 1).
    pub issuer: &'a str,
    /// The `sub`: the resource owner the access token is requested for (RFC 7523 §3 item 2).
    pub subject: &'a str,
    /// The `aud`: the authorization server (RFC 7523 §3 item 3).
    pub audience: &'a str,
    /// The signing (or, for `HS*`, MAC) key: the JWT is signed or MACed (RFC 7523 §3).
    pub key: &'a Key,
    /// The JWS algorithm (RFC 7515 §4.1.1).
    pub alg: Alg,
    /// The `kid` header (RFC 7515 §4.1.4); `key.meta.kid` when `None`.
    pub kid: Option<&'a str>,
    /// The `x5t` header (RFC 7515 §4.1.7); `key.meta.x5t` when `None`.
    pub x5t: Option<&'a str>,
    /// Seconds from `iat` to `exp`: [`DEFAULT_ASSERTION_LIFETIME`] when `None`, at most
    /// [`MAX_ASSERTION_LIFETIME`] (RFC 7523 §3 item 4).
    pub lifetime: Option<u64>,
    /// Custom claims (RFC 7523 §3); they must not repeat a claim set by the builder.
    pub claims: Object,
}

/// Creates a JWT authorization grant for the JWT bearer grant type (RFC 7523 §2.1, §3):
/// `iss`, `sub`, `aud`, a random `jti`, `iat` = `now`, `exp` = `now` + lifetime, plus the
/// custom claims.
pub fn create_jwt_bearer_assertion<R: CryptoRng + ?Sized>(
    a: &JwtBearerAssertion<'_>,
    now: UnixTime,
    rng: &mut R,
) -> Result<String> {
    build_assertion(
        &AssertionParts {
            issuer: a.issuer,
            subject: a.subject,
            audience: a.audience,
            key: a.key,
            alg: a.alg,
            kid: a.kid,
            x5t: a.x5t,
            lifetime: a.lifetime,
            claims: &a.claims,
        },
        now,
        rng,
    )
}

struct AssertionParts<'a> {
    issuer: &'a str,
    subject: &'a str,
    audience: &'a str,
    key: &'a Key,
    alg: Alg,
    kid: Option<&'a str>,
    x5t: Option<&'a str>,
    lifetime: Option<u64>,
    claims: &'a Object,
}

fn build_assertion<R: CryptoRng + ?Sized>(
    p: &AssertionParts<'_>,
    now: UnixTime,
    rng: &mut R,
) -> Result<String> {
    for (name, value) in [("iss", p.issuer), ("sub", p.subject), ("aud", p.audience)] {
        if value.is_empty() {
            return Err(Error::InvalidArgValue(format!(
                "the assertion's \"{name}\" must not be empty (RFC 7523 §3)"
            )));
        }
    }
    let lifetime = p.lifetime.unwrap_or(DEFAULT_ASSERTION_LIFETIME);
    if lifetime == 0 || lifetime > MAX_ASSERTION_LIFETIME {
        return Err(Error::InvalidArgValue(format!(
            "the assertion lifetime must be 1 to {MAX_ASSERTION_LIFETIME} seconds, got {lifetime}"
        )));
    }
    if let Some(name) = REGISTERED.iter().find(|n| p.claims.contains_key(**n)) {
        return Err(Error::InvalidArgValue(format!(
            "the extra claims must not set \"{name}\": the assertion builder sets it"
        )));
    }
    let exp = i64::try_from(lifetime)
        .ok()
        .and_then(|l| now.checked_add(l))
        .ok_or_else(|| Error::InvalidArgValue("now + lifetime overflows".into()))?;

    let mut header = Object::new();
    header.insert("alg".into(), Value::String(p.alg.as_str().into()));
    if let Some(kid) = p.kid.or(p.key.meta.kid.as_deref()) {
        header.insert("kid".into(), Value::String(kid.into()));
    }
    if let Some(x5t) = p.x5t.or(p.key.meta.x5t.as_deref()) {
        header.insert("x5t".into(), Value::String(x5t.into()));
    }

    let mut jti = Zeroizing::new([0u8; JTI_OCTETS]);
    rng.fill_bytes(jti.as_mut_slice());

    let mut claims = p.claims.clone();
    claims.insert("iss".into(), Value::String(p.issuer.into()));
    claims.insert("sub".into(), Value::String(p.subject.into()));
    claims.insert("aud".into(), Value::String(p.audience.into()));
    claims.insert("jti".into(), Value::String(b64::encode(jti.as_slice())));
    claims.insert("iat".into(), Value::from(now));
    claims.insert("exp".into(), Value::from(exp));
    jwt::sign(&header, &claims, p.key, rng)
}

/// Builds the authenticated form `POST` every client-authenticated endpoint takes (token
/// RFC 6749 §4.1.3, introspection RFC 7662 §2.1, revocation RFC 7009 §2.1, PAR RFC 9126 §2.1):
/// `application/x-www-form-urlencoded` body, `Accept: application/json`, and `auth` applied
/// with the endpoint as the assertion audience. With `client_id_in_body`, `client_id` is also
/// sent in the body when the authentication method put it only in a header (RFC 9126 §2.1).
pub(crate) fn authenticated_form_post<R: CryptoRng + ?Sized>(
    endpoint: &str,
    mut body: Vec<(String, String)>,
    auth: &ClientAuth,
    client_id_in_body: bool,
    now: UnixTime,
    rng: &mut R,
) -> Result<crate::oauth::http::HttpRequest> {
    use crate::oauth::http::{HttpRequest, Method, form_urlencode};
    let mut headers = vec![
        (
            "Content-Type".to_owned(),
            "application/x-www-form-urlencoded".to_owned(),
        ),
        ("Accept".to_owned(), "application/json".to_owned()),
    ];
    auth.apply(&mut body, &mut headers, endpoint, now, rng)?;
    if client_id_in_body && !body.iter().any(|(n, _)| n == "client_id") {
        body.push(("client_id".into(), auth.client_id().to_owned()));
    }
    let pairs: Vec<(&str, &str)> = body.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    Ok(HttpRequest {
        method: Method::Post,
        url: endpoint.to_owned(),
        headers,
        body: Some(form_urlencode(&pairs)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_component_encodes_reserved_characters() {
        assert_eq!(form_component("a b:c%d+é~"), "a+b%3Ac%25d%2B%C3%A9~");
        assert_eq!(form_component("AZaz09*-._"), "AZaz09%2A-._");
    }

    #[test]
    fn basic_authorization_encodes_before_base64() {
        // base64("my%3Aclient:s+e%2Fc") per RFC 6749 §2.3.1.
        let h = basic_authorization("my:client", "s e/c");
        assert_eq!(
            h,
            format!("Basic {}", STANDARD.encode("my%3Aclient:s+e%2Fc"))
        );
    }
}
