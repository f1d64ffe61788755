//! The sans-IO HTTP boundary of the OAuth engine (design.md §1, oauth4webapi style): request
//! builders return an [`HttpRequest`] the caller sends, response processors take the
//! [`HttpResponse`] it got back. Also the `application/x-www-form-urlencoded` codec
//! (RFC 6749 Appendix B) and the strict endpoint URL check (RFC 6749 §3.1, RFC 8414 §2).

use serde_json::Value;

use crate::error::{Error, OAuthErrorBody, Result};
use crate::json::{self, Object};

/// The largest response body the processors parse (1 MiB): bigger bodies are refused before
/// any parsing (security.md, resource limits).
pub const MAX_BODY_LENGTH: usize = 1 << 20;

/// The HTTP method of an [`HttpRequest`] (RFC 9110 §9.3): the OAuth endpoints only use these two.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// `GET` (RFC 9110 §9.3.1), e.g. discovery (OpenID Connect Discovery 1.0 §4.1).
    Get,
    /// `POST` (RFC 9110 §9.3.3), e.g. the token endpoint (RFC 6749 §3.2).
    Post,
}

impl Method {
    /// The method token as sent on the wire (RFC 9110 §9.1).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Post => "POST",
        }
    }
}

/// A request the caller must send (design.md §1): the engine never performs I/O itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpRequest {
    /// The request method (RFC 9110 §9).
    pub method: Method,
    /// The absolute target URL (RFC 9110 §4.2), already checked with [`check_url`].
    pub url: String,
    /// Header fields in order (RFC 9110 §6.3).
    pub headers: Vec<(String, String)>,
    /// The body, e.g. an `application/x-www-form-urlencoded` form (RFC 6749 Appendix B).
    pub body: Option<String>,
}

/// A response the caller received for an [`HttpRequest`] (design.md §1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpResponse {
    /// The status code (RFC 9110 §15).
    pub status: u16,
    /// Header fields as received (RFC 9110 §6.3).
    pub headers: Vec<(String, String)>,
    /// The body octets (RFC 9110 §6.4).
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// The value of the first header field named `name`, compared case-insensitively
    /// (RFC 9110 §5.1).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Whether the response's `Content-Type` is `application/json`, parameters allowed
/// (RFC 8259 §11, RFC 9110 §8.3.1: the media type is case-insensitive).
fn is_json_content_type(resp: &HttpResponse) -> bool {
    let Some(ct) = resp.header("content-type") else {
        return false;
    };
    let media = ct.split(';').next().unwrap_or_default().trim();
    media.eq_ignore_ascii_case("application/json")
}

/// Parses a JSON response body into an object (RFC 6749 §5.1, RFC 8414 §3.2): at most
/// [`MAX_BODY_LENGTH`] octets ([`Error::OAuthInvalidResponse`]), an `application/json` content
/// type ([`Error::OAuthResponseIsNotJson`]), strict JSON with no duplicate member names and a
/// top-level object ([`Error::OAuthInvalidResponse`]).
pub(crate) fn parse_json_object(resp: &HttpResponse) -> Result<Object> {
    if resp.body.len() > MAX_BODY_LENGTH {
        return Err(Error::OAuthInvalidResponse(format!(
            "response body exceeds {MAX_BODY_LENGTH} octets"
        )));
    }
    if !is_json_content_type(resp) {
        return Err(Error::OAuthResponseIsNotJson(
            "response content-type is not application/json".into(),
        ));
    }
    json::parse_object_with(&resp.body, "response body", Error::OAuthInvalidResponse)
}

/// Turns an RFC 6749 §5.2 error body (an `error` string member) into
/// [`Error::OAuthResponseBodyError`] carrying `error`, `error_description`, `error_uri` and the
/// HTTP status; any other body is `Ok(())`. `error_description` / `error_uri` are kept only when
/// they are strings.
pub(crate) fn check_oauth_error(resp: &HttpResponse, obj: &Object) -> Result<()> {
    let Some(Value::String(error)) = obj.get("error") else {
        return Ok(());
    };
    let text = |name: &str| obj.get(name).and_then(Value::as_str).map(str::to_owned);
    Err(Error::OAuthResponseBodyError(OAuthErrorBody {
        error: error.clone(),
        error_description: text("error_description"),
        error_uri: text("error_uri"),
        status: Some(resp.status),
    }))
}

/// Encodes `pairs` as `application/x-www-form-urlencoded` (RFC 6749 Appendix B, WHATWG URL
/// §5.2): UTF-8, the RFC 3986 §2.3 unreserved characters kept, space as `+`, every other octet
/// as an uppercase `%XY`.
pub fn form_urlencode(pairs: &[(&str, &str)]) -> String {
    let mut out = String::new();
    for (i, (name, value)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        encode_component(&mut out, name);
        out.push('=');
        encode_component(&mut out, value);
    }
    out
}

fn encode_component(out: &mut String, s: &str) {
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else if b == b' ' {
            out.push('+');
        } else {
            out.push('%');
            out.push(hex_digit(b >> 4));
            out.push(hex_digit(b & 0x0f));
        }
    }
}

/// The uppercase hexadecimal digit of a nibble (RFC 3986 §2.1).
fn hex_digit(n: u8) -> char {
    char::from_digit(u32::from(n & 0x0f), 16)
        .map(|c| c.to_ascii_uppercase())
        .unwrap_or('0')
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

fn decode_component(s: &str) -> Result<String> {
    let mut out = Vec::with_capacity(s.len());
    let mut bytes = s.bytes();
    while let Some(b) = bytes.next() {
        match b {
            b'+' => out.push(b' '),
            b'%' => {
                let hi = bytes.next().and_then(hex_value);
                let lo = bytes.next().and_then(hex_value);
                match (hi, lo) {
                    (Some(hi), Some(lo)) => out.push((hi << 4) | lo),
                    _ => {
                        return Err(Error::InvalidArgValue(
                            "malformed percent-encoding in form data (RFC 3986 §2.1)".into(),
                        ));
                    }
                }
            }
            _ => out.push(b),
        }
    }
    String::from_utf8(out).map_err(|_| {
        Error::InvalidArgValue("form data does not decode to UTF-8 (RFC 6749 Appendix B)".into())
    })
}

/// Decodes `application/x-www-form-urlencoded` data (RFC 6749 Appendix B, WHATWG URL §5.1):
/// `&`-separated pairs, empty pairs skipped, a name without `=` has the empty value, `+` is a
/// space. Strict where browsers are lenient: a malformed `%XY` or a result that is not UTF-8 is
/// [`Error::InvalidArgValue`]. Repeated names are kept; callers decide whether they are allowed.
pub fn form_decode(s: &str) -> Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    for part in s.split('&').filter(|p| !p.is_empty()) {
        let (name, value) = part.split_once('=').unwrap_or((part, ""));
        out.push((decode_component(name)?, decode_component(value)?));
    }
    Ok(out)
}

/// Whether `host` (as written in the URL authority, brackets kept for IPv6) is a loopback
/// name or address: `localhost`, `127.0.0.0/8` in dotted-quad form, or `[::1]` (RFC 8252 §7.3,
/// RFC 6761 §6.3).
fn is_loopback_host(host: &str) -> bool {
    if host.eq_ignore_ascii_case("localhost") || host == "[::1]" {
        return true;
    }
    let octets: Vec<&str> = host.split('.').collect();
    octets.len() == 4
        && octets.first() == Some(&"127")
        && octets.iter().all(|o| {
            !o.is_empty()
                && o.len() <= 3
                && o.bytes().all(|b| b.is_ascii_digit())
                && o.parse::<u16>().is_ok_and(|n| n <= 255)
        })
}

fn bad_url(url: &str, why: &str) -> Error {
    Error::InvalidArgValue(format!("invalid URL {url:?}: {why}"))
}

/// Splits an absolute `http`/`https` URL into (lowercased scheme, authority, rest), rejecting
/// anything [`check_url`] would refuse as malformed.
pub(crate) fn split_url(url: &str) -> Result<(String, &str, &str)> {
    if url.bytes().any(|b| b <= b' ' || b == 0x7f) || !url.is_ascii() {
        return Err(bad_url(
            url,
            "contains whitespace, control or non-ASCII characters",
        ));
    }
    if url.contains('#') {
        return Err(bad_url(url, "a fragment is not allowed (RFC 6749 §3.1)"));
    }
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| bad_url(url, "not an absolute URL"))?;
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "https" && scheme != "http" {
        return Err(bad_url(url, "the scheme must be https"));
    }
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    if authority.contains('@') {
        return Err(bad_url(url, "userinfo is not allowed"));
    }
    let (host, port) = if authority.starts_with('[') {
        let close = authority
            .find(']')
            .ok_or_else(|| bad_url(url, "unterminated IPv6 literal"))?;
        let (h, p) = authority.split_at(close + 1);
        let inner = h.trim_start_matches('[').trim_end_matches(']');
        if inner.is_empty() || !inner.bytes().all(|b| b.is_ascii_hexdigit() || b == b':') {
            return Err(bad_url(url, "malformed IPv6 literal"));
        }
        match p {
            "" => (h, None),
            _ => match p.strip_prefix(':') {
                Some(port) => (h, Some(port)),
                None => return Err(bad_url(url, "malformed authority")),
            },
        }
    } else {
        match authority.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    if host.is_empty() {
        return Err(bad_url(url, "the host is empty"));
    }
    if !host.starts_with('[')
        && !host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'))
    {
        return Err(bad_url(url, "malformed host"));
    }
    if let Some(port) = port {
        let ok = !port.is_empty()
            && port.len() <= 5
            && port.bytes().all(|b| b.is_ascii_digit())
            && port.parse::<u16>().is_ok();
        if !ok {
            return Err(bad_url(url, "malformed port"));
        }
    }
    Ok((scheme, authority, tail))
}

/// The host of an authority returned by [`split_url`] (port removed, IPv6 brackets kept).
fn authority_host(authority: &str) -> &str {
    if authority.starts_with('[') {
        match authority.find(']') {
            Some(i) => authority.get(..=i).unwrap_or(authority),
            None => authority,
        }
    } else {
        authority.split(':').next().unwrap_or(authority)
    }
}

/// The strict endpoint URL check (RFC 6749 §3.1 and §3.1.2.1, RFC 8414 §2, RFC 9700 §2.6):
/// an absolute URL without fragment, userinfo, whitespace or non-ASCII characters, with a
/// well-formed host and port, and the `https` scheme. Plain `http` is
/// [`Error::OAuthHttpRequestForbidden`] unless `allow_insecure_loopback` is set and the host is
/// a loopback one (`localhost`, `127.0.0.0/8`, `[::1]`, RFC 8252 §8.3). Malformed URLs and other
/// schemes are [`Error::InvalidArgValue`].
pub fn check_url(url: &str, allow_insecure_loopback: bool) -> Result<()> {
    let (scheme, authority, _) = split_url(url)?;
    if scheme == "https" {
        return Ok(());
    }
    if allow_insecure_loopback && is_loopback_host(authority_host(authority)) {
        return Ok(());
    }
    Err(Error::OAuthHttpRequestForbidden(format!(
        "{url:?} is not https (RFC 6749 §3.1; http is allowed only on loopback, by opt-in)"
    )))
}

/// An endpoint URL plus the explicit opt-in for plain `http` on loopback hosts (RFC 8252 §8.3),
/// the argument of the request builders (token, introspection, revocation, PAR, UserInfo,
/// registration). A bare `&str` converts to an endpoint that must be https (RFC 6749 §3.1);
/// [`Endpoint::insecure_loopback`] also accepts `http://localhost`, `http://127.0.0.0/8` and
/// `http://[::1]`, for example a local test OP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Endpoint<'a> {
    /// The endpoint URL (RFC 6749 §3.1).
    pub url: &'a str,
    /// Allow plain `http` on loopback hosts (RFC 8252 §8.3). Off for a bare `&str`.
    pub allow_insecure_loopback: bool,
}

impl<'a> Endpoint<'a> {
    /// An endpoint that must be https (RFC 6749 §3.1).
    pub const fn https(url: &'a str) -> Self {
        Self {
            url,
            allow_insecure_loopback: false,
        }
    }

    /// An endpoint that may also be plain `http` on a loopback host (RFC 8252 §8.3).
    pub const fn insecure_loopback(url: &'a str) -> Self {
        Self {
            url,
            allow_insecure_loopback: true,
        }
    }

    /// Checks the URL with [`check_url`] and returns it.
    pub fn checked(self) -> Result<&'a str> {
        check_url(self.url, self.allow_insecure_loopback)?;
        Ok(self.url)
    }
}

impl<'a> From<&'a str> for Endpoint<'a> {
    fn from(url: &'a str) -> Self {
        Self::https(url)
    }
}

impl<'a> From<&'a String> for Endpoint<'a> {
    fn from(url: &'a String) -> Self {
        Self::https(url)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resp(status: u16, ct: Option<&str>, body: &str) -> HttpResponse {
        HttpResponse {
            status,
            headers: ct
                .map(|c| vec![("Content-Type".to_owned(), c.to_owned())])
                .unwrap_or_default(),
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn encode_reserved_and_utf8() {
        assert_eq!(
            form_urlencode(&[("a b", "x+y&z=1/2?#%"), ("k", "é€~-._")]),
            "a+b=x%2By%26z%3D1%2F2%3F%23%25&k=%C3%A9%E2%82%AC~-._"
        );
        assert_eq!(form_urlencode(&[]), "");
        assert_eq!(form_urlencode(&[("e", "")]), "e=");
        assert_eq!(
            form_urlencode(&[("s", "openid profile")]),
            "s=openid+profile"
        );
    }

    #[test]
    fn decode_round_trip_and_plus() {
        let pairs = [("a b", "x+y&z=1/2?#%"), ("k", "é€~-._"), ("", "")];
        let enc = form_urlencode(&pairs);
        let dec = form_decode(&enc).unwrap();
        let want: Vec<(String, String)> = pairs
            .iter()
            .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
            .collect();
        assert_eq!(dec, want);
        assert_eq!(
            form_decode("q=a+b%20c&flag&&x=%e2%82%ac").unwrap(),
            vec![
                ("q".to_owned(), "a b c".to_owned()),
                ("flag".to_owned(), String::new()),
                ("x".to_owned(), "€".to_owned()),
            ]
        );
        assert_eq!(form_decode("a=1&a=2").unwrap().len(), 2, "repeats are kept");
    }

    #[test]
    fn decode_rejects_malformed_percent() {
        for bad in ["a=%", "a=%4", "a=%G1", "a=%1G", "%zz=1", "a=%C3", "a=%FF"] {
            let err = form_decode(bad).unwrap_err();
            assert_eq!(err.code(), "ERR_INVALID_ARG_VALUE", "{bad}");
        }
    }

    #[test]
    fn header_lookup_is_case_insensitive() {
        let r = resp(200, Some("application/json"), "{}");
        assert_eq!(r.header("content-type"), Some("application/json"));
        assert_eq!(r.header("CONTENT-TYPE"), Some("application/json"));
        assert_eq!(r.header("etag"), None);
    }

    #[test]
    fn json_content_type_checks() {
        for ct in [
            "application/json",
            "application/json; charset=utf-8",
            "Application/JSON;charset=UTF-8",
            " application/json ",
        ] {
            let obj = parse_json_object(&resp(200, Some(ct), r#"{"a":1}"#)).unwrap();
            assert_eq!(obj["a"], 1, "{ct}");
        }
        for ct in [
            None,
            Some("text/html"),
            Some("application/jsonx"),
            Some("application/jwt"),
            Some(""),
        ] {
            let err = parse_json_object(&resp(200, ct, "{}")).unwrap_err();
            assert_eq!(err.code(), "OAUTH_RESPONSE_IS_NOT_JSON", "{ct:?}");
        }
    }

    #[test]
    fn json_body_checks() {
        let ct = Some("application/json");
        for bad in ["[]", "1", "", "{", r#"{"a":1,"a":2}"#, "{} {}"] {
            let err = parse_json_object(&resp(200, ct, bad)).unwrap_err();
            assert_eq!(err.code(), "OAUTH_INVALID_RESPONSE", "{bad}");
        }
        let mut big = resp(200, ct, "");
        big.body = vec![b' '; MAX_BODY_LENGTH + 1];
        assert_eq!(
            parse_json_object(&big).unwrap_err().code(),
            "OAUTH_INVALID_RESPONSE"
        );
        let mut edge = vec![b' '; MAX_BODY_LENGTH - 2];
        edge.extend_from_slice(b"{}");
        big.body = edge;
        assert!(parse_json_object(&big).is_ok());
    }

    #[test]
    fn error_body_mapping() {
        let r = resp(
            400,
            Some("application/json"),
            r#"{"error":"invalid_grant","error_description":"expired","error_uri":"https://e/x"}"#,
        );
        let obj = parse_json_object(&r).unwrap();
        let err = check_oauth_error(&r, &obj).unwrap_err();
        assert_eq!(err.code(), "OAUTH_RESPONSE_BODY_ERROR");
        assert_eq!(
            err.oauth_error(),
            Some(&OAuthErrorBody {
                error: "invalid_grant".into(),
                error_description: Some("expired".into()),
                error_uri: Some("https://e/x".into()),
                status: Some(400),
            })
        );
        // Non-string description is dropped, the error kept.
        let r = resp(
            401,
            Some("application/json"),
            r#"{"error":"x","error_description":5}"#,
        );
        let err = check_oauth_error(&r, &parse_json_object(&r).unwrap()).unwrap_err();
        let body = err.oauth_error().unwrap();
        assert_eq!(body.error_description, None);
        assert_eq!(body.status, Some(401));
        // No (string) `error`: not an error body.
        for ok in [r#"{"access_token":"a"}"#, r#"{"error":5}"#] {
            let r = resp(200, Some("application/json"), ok);
            assert!(check_oauth_error(&r, &parse_json_object(&r).unwrap()).is_ok());
        }
    }

    #[test]
    fn url_check() {
        for ok in [
            "https://op.example",
            "https://op.example/",
            "HTTPS://op.example:8443/a/b?x=1",
            "https://[2001:db8::1]:443/x",
        ] {
            check_url(ok, false).unwrap();
        }
        for forbidden in ["http://op.example/", "http://127.0.0.1/", "http://[::1]/"] {
            let err = check_url(forbidden, false).unwrap_err();
            assert_eq!(err.code(), "OAUTH_HTTP_REQUEST_FORBIDDEN", "{forbidden}");
        }
        for loopback in [
            "http://127.0.0.1:8080/cb",
            "http://127.255.0.1",
            "http://[::1]:3000/",
            "http://LOCALHOST/x",
        ] {
            check_url(loopback, true).unwrap();
        }
        for not_loopback in [
            "http://128.0.0.1/",
            "http://127.0.0.1.evil.example/",
            "http://localhost.evil.example/",
            "http://127.0.0.256/",
            "http://[::2]/",
        ] {
            let err = check_url(not_loopback, true).unwrap_err();
            assert_eq!(err.code(), "OAUTH_HTTP_REQUEST_FORBIDDEN", "{not_loopback}");
        }
        for bad in [
            "",
            "op.example",
            "ftp://op.example/",
            "javascript://x",
            "https://",
            "https:///x",
            "https://op.example/#frag",
            "https://user@op.example/",
            "https://op.example:/",
            "https://op.example:99999/",
            "https://op.example:8a/",
            "https://op example/",
            "https://op.example/\n",
            "https://[::1/",
            "https://[zz]/",
            "https://ü.example/",
        ] {
            let err = check_url(bad, true).unwrap_err();
            assert_eq!(err.code(), "ERR_INVALID_ARG_VALUE", "{bad:?}");
        }
    }

    /// The request builders refuse `http://` unless the endpoint carries the explicit loopback
    /// opt-in (RFC 8252 §8.3), and even then only for loopback hosts.
    #[test]
    fn builders_take_the_loopback_opt_in() {
        use crate::oauth::client_auth::ClientAuth;
        use crate::oauth::{introspection, jar, par, registration, revocation, token};
        use crate::oidc::userinfo;
        use crate::test_rng::TestRng;

        let auth = ClientAuth::None {
            client_id: "c".into(),
        };
        let mut rng = TestRng(7);
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let mut meta = Object::new();
        meta.insert(
            "redirect_uris".into(),
            serde_json::json!(["http://127.0.0.1:8080/cb"]),
        );
        for (url, opt_in, ok) in [
            ("http://127.0.0.1:9/t", false, false),
            ("http://127.0.0.1:9/t", true, true),
            ("http://localhost:9/t", true, true),
            ("http://[::1]:9/t", true, true),
            ("http://op.example/t", true, false),
            ("https://op.example/t", false, true),
        ] {
            let ep = Endpoint {
                url,
                allow_insecure_loopback: opt_in,
            };
            let results = [
                token::authorization_code_request(
                    ep,
                    "code",
                    "https://rp/cb",
                    verifier,
                    &auth,
                    0,
                    &mut rng,
                )
                .map(|r| r.url),
                token::refresh_token_request(ep, "rt", None, &auth, 0, &mut rng).map(|r| r.url),
                token::generic_grant_request(ep, "urn:x", &[], &auth, 0, &mut rng).map(|r| r.url),
                introspection::introspection_request(ep, "t", None, &auth, 0, &mut rng)
                    .map(|r| r.url),
                revocation::revocation_request(ep, "t", None, &auth, 0, &mut rng).map(|r| r.url),
                par::par_request(ep, &[], &auth, 0, &mut rng).map(|r| r.url),
                userinfo::userinfo_request(ep, "at", "bearer").map(|r| r.url),
                registration::registration_request(ep, &meta, None).map(|r| r.url),
                jar::authorization_url_with_request_uri(ep, "c", "urn:r"),
            ];
            for (i, r) in results.iter().enumerate() {
                match r {
                    Ok(u) => {
                        assert!(ok, "{url} opt-in={opt_in} builder {i} accepted");
                        assert!(u.starts_with(url), "{u}");
                    }
                    Err(e) => {
                        assert!(!ok, "{url} opt-in={opt_in} builder {i}: {e}");
                        assert_eq!(e.code(), "OAUTH_HTTP_REQUEST_FORBIDDEN");
                    }
                }
            }
        }
        // A bare &str never allows http.
        assert!(
            token::refresh_token_request("http://127.0.0.1/t", "rt", None, &auth, 0, &mut rng)
                .is_err()
        );
        assert!(!Endpoint::from("x").allow_insecure_loopback);
        assert!(
            Endpoint::insecure_loopback("http://127.0.0.1/")
                .checked()
                .is_ok()
        );
    }
}
