//! HTML pages of the OP (login, consent, logout confirmation, errors, the `form_post` response
//! mode): one layout, escaping, and the security headers every page gets.
//!
//! Pages carry no inline style attributes and no inline event handlers: the one stylesheet and
//! the one script (the `form_post` auto-submit) are allowed by their SHA-256 hashes in the
//! Content Security Policy (CSP Level 3 §8.3 hash-source), and everything else is `'none'`.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest as _, Sha256};

/// The stylesheet of every page.
pub const CSS: &str = "\
:root{color-scheme:light dark;--bg:#f4f5f8;--card:#fff;--fg:#1d2330;--muted:#5d6577;\
--accent:#3157d5;--accent-fg:#fff;--border:#d7dbe4;--error:#b42318;--error-bg:#fdecea}\
@media (prefers-color-scheme:dark){:root{--bg:#12151c;--card:#1c212b;--fg:#e6e9ef;\
--muted:#9aa3b5;--accent:#6d8dff;--accent-fg:#0b0e14;--border:#323a48;--error:#ff8a80;\
--error-bg:#3a1d1b}}\
*{box-sizing:border-box}\
body{margin:0;min-height:100vh;display:flex;align-items:center;justify-content:center;\
background:var(--bg);color:var(--fg);font:16px/1.5 system-ui,-apple-system,'Segoe UI',\
Roboto,sans-serif}\
main{width:100%;max-width:420px;margin:24px;padding:32px;background:var(--card);\
border:1px solid var(--border);border-radius:14px;box-shadow:0 8px 30px rgba(0,0,0,.08)}\
h1{margin:0 0 4px;font-size:1.4rem}\
.sub{margin:0 0 24px;color:var(--muted);font-size:.95rem}\
.badge{display:inline-block;margin-bottom:16px;padding:2px 10px;border-radius:999px;\
background:var(--error-bg);color:var(--error);font-size:.75rem;font-weight:600;\
letter-spacing:.04em;text-transform:uppercase}\
label{display:block;margin:16px 0 6px;font-weight:600;font-size:.9rem}\
input[type=text],input[type=password]{width:100%;padding:10px 12px;border:1px solid \
var(--border);border-radius:8px;background:transparent;color:inherit;font:inherit}\
input:focus-visible,button:focus-visible,a:focus-visible{outline:3px solid var(--accent);\
outline-offset:2px}\
.actions{display:flex;gap:12px;margin-top:24px}\
button{flex:1;padding:11px 16px;border:1px solid var(--accent);border-radius:8px;\
background:var(--accent);color:var(--accent-fg);font:inherit;font-weight:600;cursor:pointer}\
button.secondary{background:transparent;color:var(--accent)}\
.error{margin:0 0 16px;padding:10px 12px;border-radius:8px;background:var(--error-bg);\
color:var(--error)}\
ul.scopes{margin:0;padding:0;list-style:none;border:1px solid var(--border);border-radius:8px}\
ul.scopes li{padding:10px 12px;border-top:1px solid var(--border)}\
ul.scopes li:first-child{border-top:0}\
ul.scopes code{font-weight:600}\
ul.scopes span{display:block;color:var(--muted);font-size:.9rem}\
.client{display:flex;gap:12px;align-items:center;margin-bottom:16px}\
.client img{width:48px;height:48px;border-radius:8px;object-fit:contain}\
.links{margin:16px 0 0;padding:0;list-style:none;display:flex;flex-wrap:wrap;gap:12px;\
font-size:.9rem}\
a{color:var(--accent)}\
dl{margin:0;font-size:.9rem}dt{font-weight:600}dd{margin:0 0 8px;color:var(--muted);\
word-break:break-all}";

/// The `form_post` auto-submit script (OAuth 2.0 Form Post Response Mode §2).
pub const AUTO_SUBMIT_JS: &str = "document.forms[0].submit();";

fn sha256_source(text: &str) -> String {
    format!(
        "'sha256-{}'",
        STANDARD.encode(Sha256::digest(text.as_bytes()))
    )
}

/// Escapes text for HTML element content and double-quoted attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A hidden input.
pub fn hidden(name: &str, value: &str) -> String {
    format!(
        "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
        escape(name),
        escape(value)
    )
}

/// Whether `uri` is an `http(s)` URL, safe to place in an `href` or `src` (no `javascript:`).
pub fn is_web_url(uri: &str) -> bool {
    let lower = uri.to_ascii_lowercase();
    lower.starts_with("https://") || lower.starts_with("http://")
}

/// The whole document around `body` (already HTML).
fn document(title: &str, body: &str, script: bool) -> String {
    let script = if script {
        format!("<script>{AUTO_SUBMIT_JS}</script>")
    } else {
        String::new()
    };
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <meta name=\"referrer\" content=\"no-referrer\">\
         <link rel=\"icon\" href=\"data:,\">\
         <title>{}</title><style>{CSS}</style></head><body><main>\
         <span class=\"badge\">oidckit dev server</span>{body}</main>{script}</body></html>\n",
        escape(title)
    )
}

fn respond(status: StatusCode, html: String, csp: &str) -> Response {
    let mut res = (status, html).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if let Ok(v) = HeaderValue::from_str(csp) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    res
}

/// An HTML page: the layout around `body`, with the page headers (`no-store`, no framing,
/// a CSP allowing only the stylesheet by hash, images over http(s), and forms posting back to
/// this origin).
pub fn page(status: StatusCode, title: &str, body: &str) -> Response {
    page_with_form_targets(status, title, body, &[])
}

/// [`page`] whose forms may also end up at `targets`: browsers apply CSP `form-action` to the
/// redirects that follow a form submission (CSP Level 3 §6.4.1), so a login or consent form
/// whose answer redirects to the client's `redirect_uri` must allow that URI.
pub fn page_with_form_targets(
    status: StatusCode,
    title: &str,
    body: &str,
    targets: &[&str],
) -> Response {
    let mut form_action = "'self'".to_owned();
    for t in targets {
        let t = t.split(['?', '#']).next().unwrap_or(t);
        form_action.push(' ');
        form_action.push_str(&csp_source(t));
    }
    let csp = format!(
        "default-src 'none'; style-src {}; img-src http: https: data:; \
         form-action {form_action}; frame-ancestors 'none'; base-uri 'none'",
        sha256_source(CSS)
    );
    respond(status, document(title, body, false), &csp)
}

/// An error page for errors that cannot be sent to the client (RFC 6749 §4.1.2.1: an unknown
/// client or an invalid redirection URI must not redirect).
pub fn error_page(status: StatusCode, error: &str, description: &str) -> Response {
    let body = format!(
        "<h1>Request refused</h1><p class=\"sub\">The application sent an invalid request, \
         so you were not sent back to it.</p><p class=\"error\" role=\"alert\"><strong>{}\
         </strong>: {}</p>",
        escape(error),
        escape(description)
    );
    page(status, "Request refused", &body)
}

/// The Form Post Response Mode page (OAuth 2.0 Form Post Response Mode §2): an HTML form
/// auto-submitted by a script (allowed by its hash) to `action`, with a button when scripts
/// are off. `form-action` is widened to the target.
pub fn form_post(action: &str, params: &[(String, String)]) -> Response {
    let inputs: String = params.iter().map(|(k, v)| hidden(k, v)).collect();
    let body = format!(
        "<h1>Returning to the application</h1><form method=\"post\" action=\"{}\">{inputs}\
         <noscript><p class=\"sub\">JavaScript is off: continue by hand.</p>\
         <div class=\"actions\"><button type=\"submit\">Continue</button></div></noscript>\
         </form>",
        escape(action)
    );
    let target = action.split(['?', '#']).next().unwrap_or(action);
    let csp = format!(
        "default-src 'none'; style-src {}; script-src {}; img-src data:; form-action {}; \
         frame-ancestors 'none'; base-uri 'none'",
        sha256_source(CSS),
        sha256_source(AUTO_SUBMIT_JS),
        csp_source(target)
    );
    respond(
        StatusCode::OK,
        document("Returning to the application", &body, true),
        &csp,
    )
}

/// A CSP source expression for a URL: its characters outside the CSP grammar (`;`, `,`,
/// whitespace, quotes) percent-encoded.
fn csp_source(url: &str) -> String {
    let mut out = String::with_capacity(url.len());
    for b in url.bytes() {
        if b.is_ascii_graphic() && !matches!(b, b';' | b',' | b'\'' | b'"') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
    use super::*;

    #[test]
    fn escaping() {
        assert_eq!(
            escape("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
        assert_eq!(
            hidden("n", "\"><script>"),
            "<input type=\"hidden\" name=\"n\" value=\"&quot;&gt;&lt;script&gt;\">"
        );
        assert!(is_web_url("HTTPS://x"));
        assert!(!is_web_url("javascript:alert(1)"));
    }

    #[test]
    fn csp_hashes_the_stylesheet_and_script() {
        let res = form_post("http://rp.test/cb;x", &[("code".into(), "c".into())]);
        let csp = res.headers()[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(csp.contains(&sha256_source(CSS)), "{csp}");
        assert!(csp.contains(&sha256_source(AUTO_SUBMIT_JS)), "{csp}");
        assert!(csp.contains("form-action http://rp.test/cb%3Bx;"), "{csp}");
        let res = page(StatusCode::OK, "t", "<p>x</p>");
        let csp = res.headers()[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap();
        assert!(!csp.contains("script-src"));
        assert_eq!(res.headers()[header::CACHE_CONTROL], "no-store");
    }
}
