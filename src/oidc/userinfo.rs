//! The UserInfo endpoint (OpenID Connect Core 1.0 §5.3), sans-IO: [`userinfo_request`] builds
//! the request (the access token always in the `Authorization` header, RFC 6750 §2.1, never in
//! the query) and [`process_userinfo_response`] checks the response: a plain JSON object
//! (§5.3.2) or a signed JWT (`application/jwt`, §5.3.2), whose `sub` must equal the ID Token's
//! (§5.3.2: the Claims MUST NOT be used on mismatch).

use serde_json::Value;

use crate::UnixTime;
use crate::error::{Error, OAuthErrorBody, Result};
use crate::json::Object;
use crate::jwa::Alg;
use crate::jws::{self, KeySource};
use crate::jwt;
use crate::oauth::http::{
    Endpoint, HttpRequest, HttpResponse, MAX_BODY_LENGTH, Method, check_oauth_error,
    parse_json_object,
};

/// What [`process_userinfo_response`] expects of a signed UserInfo response (OpenID Connect
/// Core 1.0 §5.3.2).
#[derive(Debug, Clone)]
pub struct UserinfoValidation {
    /// The OP's Issuer Identifier: when set, a signed response must carry it as `iss`
    /// (§5.3.2: the JWT SHOULD contain `iss`).
    pub issuer: Option<String>,
    /// This client's `client_id`: when set, a signed response's `aud` must contain it
    /// (§5.3.2: the JWT SHOULD contain `aud`).
    pub client_id: Option<String>,
    /// Allowed JWS algorithms: the registered `userinfo_signed_response_alg` (OpenID Connect
    /// Dynamic Client Registration 1.0 §2). Empty means the keys' algorithms; `none` never is.
    pub algorithms: Vec<Alg>,
    /// Refuse a plain JSON response: the client registered `userinfo_signed_response_alg`
    /// (§5.3.2: the response is then a JWT).
    pub require_signed: bool,
    /// The current time, in seconds since the Unix epoch, for `exp` / `nbf` of a signed
    /// response (RFC 7519 §4.1.4, §4.1.5).
    pub now: UnixTime,
}

impl UserinfoValidation {
    /// No `iss` / `aud` expectation, the keys' algorithms, plain JSON allowed, at time `now`
    /// (OpenID Connect Core 1.0 §5.3.2). Set the other fields with struct update syntax.
    pub fn new(now: UnixTime) -> Self {
        Self {
            issuer: None,
            client_id: None,
            algorithms: Vec::new(),
            require_signed: false,
            now,
        }
    }
}

/// Whether `token` matches `b64token` (RFC 6750 §2.1), the credentials syntax of the
/// `Authorization` header.
fn is_b64token(token: &str) -> bool {
    let body = token.trim_end_matches('=');
    !body.is_empty()
        && body.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/')
        })
}

/// Builds a UserInfo request (OpenID Connect Core 1.0 §5.3.1): `GET` to the (https) endpoint
/// with the access token in the `Authorization` header (RFC 6750 §2.1; never in the query,
/// RFC 9700 §2.5) and `Accept: application/json, application/jwt`. `token_type` is the
/// `token_type` of the token response (RFC 6749 §5.1), case-insensitive: `bearer` gives the
/// `Bearer` scheme, `dpop` the `DPoP` scheme (RFC 9449 §7.1; the caller adds the `DPoP` proof
/// header). Another type, an empty token or one that is not a `b64token` (RFC 6750 §2.1) is
/// [`Error::InvalidArgValue`]; a non-https endpoint is refused by [`Endpoint::checked`].
pub fn userinfo_request<'e>(
    endpoint: impl Into<Endpoint<'e>>,
    access_token: &str,
    token_type: &str,
) -> Result<HttpRequest> {
    let endpoint = endpoint.into().checked()?;
    let scheme = if token_type.eq_ignore_ascii_case("bearer") {
        "Bearer"
    } else if token_type.eq_ignore_ascii_case("dpop") {
        "DPoP"
    } else {
        return Err(Error::InvalidArgValue(format!(
            "unsupported token_type {token_type:?}: only Bearer (RFC 6750) and DPoP (RFC 9449)"
        )));
    };
    if !is_b64token(access_token) {
        return Err(Error::InvalidArgValue(
            "the access token must be a non-empty b64token (RFC 6750 §2.1)".into(),
        ));
    }
    Ok(HttpRequest {
        method: Method::Get,
        url: endpoint.to_owned(),
        headers: vec![
            (
                "Authorization".to_owned(),
                format!("{scheme} {access_token}"),
            ),
            (
                "Accept".to_owned(),
                "application/json, application/jwt".to_owned(),
            ),
        ],
        body: None,
    })
}

/// The auth-params of one `WWW-Authenticate` challenge (RFC 9110 §11.6.1), names lower-cased.
type Challenge = Vec<(String, String)>;

fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// Parses a `WWW-Authenticate` value into challenges (RFC 9110 §11.6.1, §11.2: `auth-scheme
/// [ 1*SP ( token68 / #auth-param ) ]`, auth-param values a token or a quoted-string). Returns
/// `None` when the value is malformed.
fn parse_challenges(value: &str) -> Option<Vec<Challenge>> {
    let bytes = value.as_bytes();
    let mut i = 0;
    let mut out: Vec<Challenge> = Vec::new();
    let skip = |i: &mut usize, set: &[u8]| {
        while bytes.get(*i).is_some_and(|b| set.contains(b)) {
            *i += 1;
        }
    };
    loop {
        skip(&mut i, b" \t,");
        if i >= bytes.len() {
            break;
        }
        let start = i;
        // token68 characters are a superset of tchar except for '/'.
        while bytes.get(i).is_some_and(|&b| is_tchar(b) || b == b'/') {
            i += 1;
        }
        let word = value.get(start..i)?;
        if word.is_empty() {
            return None;
        }
        skip(&mut i, b" \t");
        if bytes.get(i) == Some(&b'=') {
            // An auth-param (or a token68 ending in '=') of the current challenge.
            let current = out.last_mut()?;
            let mut j = i;
            while bytes.get(j) == Some(&b'=') {
                j += 1;
            }
            let mut k = j;
            skip(&mut k, b" \t");
            let token68_end = matches!(bytes.get(k), None | Some(b','));
            if j - i > 1 || (token68_end && !word.bytes().all(is_tchar)) {
                // token68 (e.g. `abc==`): no auth-params to read.
                i = j;
                continue;
            }
            i += 1;
            skip(&mut i, b" \t");
            let param_value = if bytes.get(i) == Some(&b'"') {
                i += 1;
                let mut s = Vec::new();
                loop {
                    match bytes.get(i)? {
                        b'"' => {
                            i += 1;
                            break;
                        }
                        b'\\' => {
                            s.push(*bytes.get(i + 1)?);
                            i += 2;
                        }
                        &b => {
                            s.push(b);
                            i += 1;
                        }
                    }
                }
                String::from_utf8(s).ok()?
            } else {
                let vstart = i;
                while bytes.get(i).is_some_and(|&b| is_tchar(b)) {
                    i += 1;
                }
                value.get(vstart..i)?.to_owned()
            };
            current.push((word.to_ascii_lowercase(), param_value));
        } else {
            out.push(Challenge::new());
        }
        skip(&mut i, b" \t");
        if i < bytes.len()
            && bytes.get(i) != Some(&b',')
            && bytes.get(i).is_some_and(|&b| !is_tchar(b))
        {
            return None;
        }
    }
    Some(out)
}

/// The OAuth error of a `WWW-Authenticate` challenge (RFC 6750 §3, RFC 9449 §7.1): the first
/// challenge with a non-empty `error` auth-param.
fn challenge_error(resp: &HttpResponse) -> Option<OAuthErrorBody> {
    let challenges = parse_challenges(resp.header("www-authenticate")?)?;
    challenges.iter().find_map(|c| {
        let get = |name: &str| c.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone());
        let error = get("error").filter(|e| !e.is_empty())?;
        Some(OAuthErrorBody {
            error,
            error_description: get("error_description"),
            error_uri: get("error_uri"),
            status: Some(resp.status),
        })
    })
}

/// The media type of the response's `Content-Type`, lower-cased, parameters removed
/// (RFC 9110 §8.3.1).
fn media_type(resp: &HttpResponse) -> Option<String> {
    let ct = resp.header("content-type")?;
    Some(
        ct.split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase(),
    )
}

fn invalid(message: impl Into<String>) -> Error {
    Error::OAuthInvalidResponse(message.into())
}

/// Processes a UserInfo response (OpenID Connect Core 1.0 §5.3.2, §5.3.3) and returns its
/// Claims.
///
/// - Status: 200 is required. A 401 with a `WWW-Authenticate` challenge carrying `error`
///   (RFC 6750 §3.1, OIDC Core §5.3.3) is [`Error::OAuthResponseBodyError`] with the
///   challenge's `error` / `error_description` and the status; a non-200 status with an OAuth
///   JSON error body (RFC 6749 §5.2) likewise; anything else is [`Error::OAuthInvalidResponse`].
/// - `application/json`: a strict JSON object (no duplicate members, at most 1 MiB). Refused
///   with [`Error::OAuthInvalidResponse`] when `v.require_signed` is set.
/// - `application/jwt`: a JWS verified with `keys` by [`jwt::verify`] (the allow-list
///   `v.algorithms`, never `none`; `iss` and `aud` checked when `v.issuer` / `v.client_id` are
///   set; `exp` / `nbf` when present). Without `keys` it is [`Error::InvalidArgValue`].
/// - Any other content type is [`Error::OAuthResponseIsNotJson`].
/// - `sub` is required and must be a string ([`Error::OAuthInvalidResponse`]) equal to
///   `expected_sub`, the ID Token's `sub` (§5.3.2;
///   [`Error::OAuthJsonAttributeComparisonFailed`], conformance test
///   `rp-userinfo-bad-sub-claim`). An empty `expected_sub` is [`Error::InvalidArgValue`].
pub fn process_userinfo_response(
    resp: &HttpResponse,
    expected_sub: &str,
    keys: Option<&dyn KeySource>,
    v: &UserinfoValidation,
) -> Result<Object> {
    if expected_sub.is_empty() {
        return Err(Error::InvalidArgValue(
            "the expected sub (the ID Token's) must not be empty (OIDC Core §5.3.2)".into(),
        ));
    }
    if resp.status != 200 {
        if let Some(body) = challenge_error(resp) {
            return Err(Error::OAuthResponseBodyError(body));
        }
        if let Ok(obj) = parse_json_object(resp) {
            check_oauth_error(resp, &obj)?;
        }
        return Err(invalid(format!(
            "the UserInfo endpoint answered with HTTP status {} instead of 200 (OIDC Core §5.3.2)",
            resp.status
        )));
    }
    let claims = match media_type(resp).as_deref() {
        Some("application/jwt") => {
            let Some(keys) = keys else {
                return Err(Error::InvalidArgValue(
                    "a signed UserInfo response needs the OP's keys (OIDC Core §5.3.2)".into(),
                ));
            };
            if resp.body.len() > MAX_BODY_LENGTH {
                return Err(invalid(format!(
                    "response body exceeds {MAX_BODY_LENGTH} octets"
                )));
            }
            let token = core::str::from_utf8(&resp.body)
                .map_err(|_| invalid("the signed UserInfo response is not UTF-8"))?
                .trim();
            let validation = jwt::Validation {
                algorithms: v.algorithms.clone(),
                issuer: v.issuer.iter().cloned().collect(),
                audience: v.client_id.iter().cloned().collect(),
                max_token_length: jws::DEFAULT_MAX_TOKEN_LENGTH,
                ..jwt::Validation::new(v.now)
            };
            jwt::verify(token, keys, &validation)?.claims
        }
        Some("application/json") if v.require_signed => {
            return Err(invalid(
                "expected a signed (application/jwt) UserInfo response (OIDC Core §5.3.2)",
            ));
        }
        Some("application/json") => parse_json_object(resp)?,
        _ => {
            return Err(Error::OAuthResponseIsNotJson(
                "the UserInfo response is neither application/json nor application/jwt (OIDC Core §5.3.2)".into(),
            ));
        }
    };
    match claims.get("sub") {
        Some(Value::String(sub)) if sub == expected_sub => Ok(claims),
        Some(Value::String(_)) => Err(Error::OAuthJsonAttributeComparisonFailed(
            "the UserInfo \"sub\" does not match the ID Token's (OIDC Core §5.3.2)".into(),
        )),
        Some(_) => Err(invalid(
            "the UserInfo \"sub\" must be a string (OIDC Core §5.3.2)",
        )),
        None => Err(invalid(
            "the UserInfo \"sub\" is missing (OIDC Core §5.3.2)",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn www(value: &str) -> Option<OAuthErrorBody> {
        challenge_error(&HttpResponse {
            status: 401,
            headers: vec![("WWW-Authenticate".into(), value.into())],
            body: Vec::new(),
        })
    }

    #[test]
    fn challenge_parsing() {
        let b = www(r#"Bearer realm="example", error="invalid_token", error_description="The access token \"expired\"""#).unwrap();
        assert_eq!(b.error, "invalid_token");
        assert_eq!(
            b.error_description.as_deref(),
            Some("The access token \"expired\"")
        );
        assert_eq!(b.status, Some(401));
        let b = www("Basic realm=x, DPoP algs=\"ES256\", error=invalid_dpop_proof").unwrap();
        assert_eq!(b.error, "invalid_dpop_proof");
        assert_eq!(b.error_description, None);
        let b = www("Negotiate abc==, Bearer error=\"insufficient_scope\"").unwrap();
        assert_eq!(b.error, "insufficient_scope");
        for none in [
            "Bearer",
            "Bearer realm=\"x\"",
            "Bearer error=\"\"",
            "=x",
            "Bearer error=\"unterminated",
            "Bearer error=\"x\" junk\u{1}",
            "",
        ] {
            assert!(www(none).is_none(), "{none:?}");
        }
    }
}
