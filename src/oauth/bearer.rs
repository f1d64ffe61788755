//! Bearer token usage on the resource server side (RFC 6750): finding the access token in a
//! request (§2) and building the `WWW-Authenticate` challenge (§3).

use crate::error::{Error, Result};
use crate::oauth::http::form_decode;

/// Whether `token` matches `b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" )
/// *"="` (RFC 6750 §2.1).
fn is_b64token(token: &str) -> bool {
    let body = token.trim_end_matches('=');
    !body.is_empty()
        && body.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/')
        })
}

/// Whether `token` is `1*VSCHAR` (RFC 6749 Appendix A.12), the `access_token` syntax.
fn is_vschar_token(token: &str) -> bool {
    !token.is_empty() && token.bytes().all(|b| (0x20..=0x7e).contains(&b))
}

fn invalid_request(message: &str) -> Error {
    Error::OAuthInvalidRequest(message.into())
}

/// The token of an `Authorization: Bearer <b64token>` header (RFC 6750 §2.1), or `None` when
/// the header uses another scheme. The scheme is case-insensitive (RFC 7235 §2.1).
fn from_header(header: &str) -> Result<Option<String>> {
    let (scheme, rest) = match header.split_once(' ') {
        Some((s, r)) => (s, r),
        None => (header, ""),
    };
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Ok(None);
    }
    let token = rest.trim_start_matches(' ');
    if !is_b64token(token) {
        return Err(invalid_request(
            "the Bearer credentials must be a single b64token (RFC 6750 §2.1)",
        ));
    }
    Ok(Some(token.to_owned()))
}

/// The `access_token` parameter of a form body or query string (RFC 6750 §2.2, §2.3).
fn from_params(encoded: &str, what: &str) -> Result<Option<String>> {
    let pairs = form_decode(encoded).map_err(|_| {
        Error::OAuthInvalidRequest(format!(
            "the {what} is not valid form-urlencoded data (RFC 6750 §2.2, §2.3)"
        ))
    })?;
    let mut found: Option<String> = None;
    for (name, value) in pairs {
        if name != "access_token" {
            continue;
        }
        if found.is_some() {
            return Err(Error::OAuthInvalidRequest(format!(
                "the {what} repeats the access_token parameter (RFC 6750 §3.1)"
            )));
        }
        if !is_vschar_token(&value) {
            return Err(Error::OAuthInvalidRequest(format!(
                "the {what} access_token must be 1*VSCHAR (RFC 6749 Appendix A.12)"
            )));
        }
        found = Some(value);
    }
    Ok(found)
}

/// Extracts the bearer access token from a request (RFC 6750 §2): the `Authorization` header
/// (§2.1), the form-encoded body (§2.2; pass it only when the request's content type is
/// `application/x-www-form-urlencoded` and the method is not GET) and the URI query (§2.3; NOT
/// RECOMMENDED there). `Ok(None)` when no token is present; a token in more than one place
/// (RFC 6750 §2: clients MUST NOT use more than one method), a repeated parameter or a
/// malformed token is [`Error::OAuthInvalidRequest`] (answer with `invalid_request`, §3.1).
pub fn extract_bearer_token(
    authorization_header: Option<&str>,
    form_body: Option<&str>,
    query: Option<&str>,
) -> Result<Option<String>> {
    let mut found: Vec<String> = Vec::new();
    if let Some(h) = authorization_header {
        found.extend(from_header(h)?);
    }
    if let Some(body) = form_body {
        found.extend(from_params(body, "request body")?);
    }
    if let Some(q) = query {
        found.extend(from_params(q.strip_prefix('?').unwrap_or(q), "query")?);
    }
    if found.len() > 1 {
        return Err(invalid_request(
            "the request carries the access token in more than one place (RFC 6750 §2)",
        ));
    }
    Ok(found.pop())
}

/// The error codes of a Bearer challenge (RFC 6750 §3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BearerError {
    /// `invalid_request`: malformed request (HTTP 400, RFC 6750 §3.1).
    InvalidRequest,
    /// `invalid_token`: expired, revoked, malformed or otherwise invalid token (HTTP 401,
    /// RFC 6750 §3.1).
    InvalidToken,
    /// `insufficient_scope`: the token lacks the required scope (HTTP 403, RFC 6750 §3.1).
    InsufficientScope,
}

impl BearerError {
    /// The registered error code (RFC 6750 §3.1, §6.2).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::InvalidToken => "invalid_token",
            Self::InsufficientScope => "insufficient_scope",
        }
    }

    /// The HTTP status that goes with the error (RFC 6750 §3.1): 400, 401 or 403.
    pub const fn status(self) -> u16 {
        match self {
            Self::InvalidRequest => 400,
            Self::InvalidToken => 401,
            Self::InsufficientScope => 403,
        }
    }
}

/// Appends `value` as an HTTP quoted-string (RFC 9110 §5.6.4): `"` and `\` become quoted
/// pairs, and any octet outside VCHAR / SP / HTAB (control characters, CR, LF, non-ASCII) is
/// replaced by `?`, so the value can never break out of the header.
fn push_quoted(out: &mut String, value: &str) {
    out.push('"');
    for c in value.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            ' ' | '\t' | '!'..='~' => out.push(c),
            _ => out.push('?'),
        }
    }
    out.push('"');
}

/// A `WWW-Authenticate` header value for the Bearer scheme (RFC 6750 §3): `Bearer` followed by
/// the `realm`, `scope`, `error` and `error_description` auth-params that are given, each a
/// quoted-string. RFC 6750 §3 excludes `"` and `\` from `error_description` and `scope`, so
/// callers should avoid them; they are escaped as quoted pairs here, and control or non-ASCII
/// characters are replaced by `?` (no header injection is possible).
pub fn www_authenticate(
    error: Option<BearerError>,
    description: Option<&str>,
    realm: Option<&str>,
    scope: Option<&str>,
) -> String {
    let mut out = String::from("Bearer");
    let mut first = true;
    let mut param = |out: &mut String, name: &str, value: &str| {
        out.push_str(if first { " " } else { ", " });
        first = false;
        out.push_str(name);
        out.push('=');
        push_quoted(out, value);
    };
    if let Some(realm) = realm {
        param(&mut out, "realm", realm);
    }
    if let Some(scope) = scope {
        param(&mut out, "scope", scope);
    }
    if let Some(error) = error {
        param(&mut out, "error", error.as_str());
    }
    if let Some(description) = description {
        param(&mut out, "error_description", description);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn b64token_syntax() {
        assert!(is_b64token("mF_9.B5f-4.1JqM"));
        assert!(is_b64token("abc+/=="));
        assert!(!is_b64token("=="));
        assert!(!is_b64token("a=b"));
        assert!(!is_b64token("a b"));
        assert!(!is_b64token(""));
    }

    #[test]
    fn quoted_string_escapes_and_neutralizes_controls() {
        let mut s = String::new();
        push_quoted(&mut s, "a\"b\\c\r\nd");
        assert_eq!(s, "\"a\\\"b\\\\c??d\"");
    }
}
