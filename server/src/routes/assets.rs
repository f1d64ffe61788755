//! Static files: the demo relying party (`www/`) at `{prefix}/www/` and the npm package
//! (`pkg/`, with the generated `pkg/dist/`) at `{prefix}/pkg/`, so the demo runs against this
//! OP from the same origin.
//!
//! Only regular files under the directory's canonical root are served: a request path with a
//! `..`, `.` or empty segment, a backslash, a NUL or a hidden (`.`-prefixed) name is a 404, and
//! the resolved file must still lie under the root after symlinks are resolved (so no path
//! traversal, RFC 3986 §5.2.4 dot segments included). A directory serves its `index.html`.
//! Responses carry a content type by extension, `Cache-Control: no-cache` (RFC 9111 §5.2.2.4:
//! revalidate, so a rebuilt package is picked up at once) and `X-Content-Type-Options:
//! nosniff`; pages under `www/` also get a strict Content Security Policy (CSP Level 3):
//! same-origin scripts, styles and connections only, wasm compilation allowed
//! (`'wasm-unsafe-eval'`), no framing.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;

use crate::app::AppState;
use crate::routes::json_error;

/// The Content Security Policy of the pages under `www/`.
pub const WWW_CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
    connect-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; \
    base-uri 'none'; form-action 'self'";

/// The largest file served (the package's `.wasm` is well under this).
const MAX_FILE: u64 = 32 * 1024 * 1024;

/// Which tree a request is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tree {
    Www,
    Pkg,
}

impl Tree {
    fn root(self, state: &AppState) -> &Path {
        match self {
            Self::Www => &state.www_dir,
            Self::Pkg => &state.pkg_dir,
        }
    }
}

/// The default directory for `name` (`www` or `pkg`): `./<name>` when the working directory
/// is the repository root (it holds `<name>/`), else the repository directory this binary was
/// built from (`CARGO_MANIFEST_DIR/..`).
pub fn default_dir(name: &str) -> PathBuf {
    let here = PathBuf::from(name);
    if here.is_dir() {
        return here;
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(name)
}

/// This module's routes, under the issuer path `prefix` (`""` for an issuer at the root).
pub fn routes(prefix: &str) -> Router<Arc<AppState>> {
    let www = format!("{prefix}/www");
    let pkg = format!("{prefix}/pkg");
    Router::new()
        .route(&www, get(redirect_to_slash))
        .route(&format!("{www}/"), get(www_file))
        .route(&format!("{www}/{{*path}}"), get(www_file))
        .route(&pkg, get(redirect_to_slash))
        .route(&format!("{pkg}/"), get(pkg_file))
        .route(&format!("{pkg}/{{*path}}"), get(pkg_file))
}

async fn redirect_to_slash(uri: Uri) -> Response {
    Redirect::permanent(&format!("{}/", uri.path())).into_response()
}

async fn www_file(State(state): State<Arc<AppState>>, uri: Uri) -> Response {
    serve(&state, Tree::Www, &uri).await
}

async fn pkg_file(State(state): State<Arc<AppState>>, uri: Uri) -> Response {
    serve(&state, Tree::Pkg, &uri).await
}

/// The part of the request path after `{prefix}/www/` or `{prefix}/pkg/`, still
/// percent-encoded.
fn relative_path<'a>(uri: &'a Uri, tree: Tree, prefix: &str) -> Option<&'a str> {
    let marker = match tree {
        Tree::Www => "/www/",
        Tree::Pkg => "/pkg/",
    };
    uri.path()
        .strip_prefix(prefix)
        .and_then(|p| p.strip_prefix(marker))
}

/// Decodes and checks the request path: plain segments only (no `.`, `..`, empty or hidden
/// segment, no `\\` or NUL or control character). `""` is the directory itself.
pub fn safe_segments(encoded: &str) -> Option<Vec<String>> {
    if encoded.is_empty() {
        return Some(Vec::new());
    }
    let trimmed = encoded.strip_suffix('/').unwrap_or(encoded);
    let mut out = Vec::new();
    for raw in trimmed.split('/') {
        let seg = percent_decode(raw)?;
        if seg.is_empty()
            || seg.starts_with('.')
            || seg.chars().any(|c| c == '/' || c == '\\' || c.is_control())
        {
            return None;
        }
        out.push(seg);
    }
    Some(out)
}

/// RFC 3986 §2.1 percent-decoding to UTF-8 (malformed escapes or non-UTF-8: `None`).
fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        if c == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(c);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The content type for a file name, by extension.
pub fn content_type(name: &str) -> &'static str {
    let lower = name.to_ascii_lowercase();
    let ext = lower.rsplit_once('.').map_or("", |(_, e)| e);
    match ext {
        "html" | "htm" => "text/html; charset=utf-8",
        "js" | "mjs" | "cjs" => "text/javascript; charset=utf-8",
        // `.d.ts`, `.d.cts`, `.ts`: TypeScript declarations, shown as text.
        "ts" | "cts" | "mts" => "text/plain; charset=utf-8",
        "wasm" => "application/wasm",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "png" => "image/png",
        "svg" => "image/svg+xml",
        "ico" => "image/x-icon",
        "txt" | "md" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// Finds the file for `segments` under `root`: canonicalized, still under the canonical root,
/// a regular file (a directory gives its `index.html`). Blocking file system calls.
fn resolve(root: &Path, segments: &[String]) -> Option<PathBuf> {
    let root = std::fs::canonicalize(root).ok()?;
    let mut path = root.clone();
    for s in segments {
        path.push(s);
    }
    let mut real = std::fs::canonicalize(&path).ok()?;
    if std::fs::metadata(&real).ok()?.is_dir() {
        real = std::fs::canonicalize(real.join("index.html")).ok()?;
    }
    if !real.starts_with(&root) {
        return None;
    }
    let meta = std::fs::metadata(&real).ok()?;
    (meta.is_file() && meta.len() <= MAX_FILE).then_some(real)
}

/// Resolves and reads the file (off the async workers).
async fn load(root: PathBuf, segments: Vec<String>) -> Option<(PathBuf, Vec<u8>)> {
    tokio::task::spawn_blocking(move || {
        let file = resolve(&root, &segments)?;
        match std::fs::read(&file) {
            Ok(body) => Some((file, body)),
            Err(e) => {
                tracing::warn!(file = %file.display(), error = %e, "reading a static file failed");
                None
            }
        }
    })
    .await
    .ok()
    .flatten()
}

async fn serve(state: &AppState, tree: Tree, uri: &Uri) -> Response {
    let not_found = || {
        json_error(
            StatusCode::NOT_FOUND,
            "not_found",
            "no such file (the demo app is built by its own issue; the package by scripts/build.sh)",
        )
    };
    let prefix = crate::routes::discovery::issuer_path(&state.issuer);
    let Some(segments) = relative_path(uri, tree, prefix).and_then(safe_segments) else {
        return not_found();
    };
    let Some((file, body)) = load(tree.root(state).to_path_buf(), segments.clone()).await else {
        return not_found();
    };
    // A directory URL without its trailing slash would resolve relative links one level up.
    let is_dir_url = !segments.is_empty() && !uri.path().ends_with('/');
    if is_dir_url && file.file_name().is_some_and(|n| n == "index.html") {
        let last = segments.last().map(String::as_str).unwrap_or_default();
        if last != "index.html" {
            return Redirect::permanent(&format!("{}/", uri.path())).into_response();
        }
    }
    let name = file
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    let mut res = (StatusCode::OK, body).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(content_type(name)),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if tree == Tree::Www {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(WWW_CSP),
        );
        h.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        );
    }
    res
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
    fn segments() {
        assert_eq!(safe_segments(""), Some(vec![]));
        assert_eq!(
            safe_segments("dist/oidckit_bg.wasm"),
            Some(vec!["dist".into(), "oidckit_bg.wasm".into()])
        );
        assert_eq!(safe_segments("a/"), Some(vec!["a".into()]));
        assert_eq!(safe_segments("a%20b.js"), Some(vec!["a b.js".into()]));
        for bad in [
            "..",
            "../x",
            "a/../b",
            "%2e%2e/x",
            "%2E%2e%2fetc",
            "a//b",
            ".git/config",
            "a/.env",
            "a%5c..%5cb",
            "a%00b",
            "%zz",
            "%",
            "%c3%28",
            "/etc/passwd",
        ] {
            assert_eq!(safe_segments(bad), None, "{bad}");
        }
    }

    #[test]
    fn types() {
        assert_eq!(content_type("oidckit_bg.wasm"), "application/wasm");
        assert_eq!(content_type("node.mjs"), "text/javascript; charset=utf-8");
        assert_eq!(content_type("browser.js"), "text/javascript; charset=utf-8");
        assert_eq!(content_type("index.d.ts"), "text/plain; charset=utf-8");
        assert_eq!(content_type("INDEX.HTML"), "text/html; charset=utf-8");
        assert_eq!(content_type("a.css"), "text/css; charset=utf-8");
        assert_eq!(content_type("package.json"), "application/json");
        assert_eq!(content_type("logo.svg"), "image/svg+xml");
        assert_eq!(content_type("logo.png"), "image/png");
        assert_eq!(content_type("Makefile"), "application/octet-stream");
    }
}
