//! Helpers shared by the integration tests: a minimal HTTP/1.1 client over a real socket.
#![allow(dead_code)]

use oidckit::oauth::http::HttpResponse;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// `GET url` over a fresh connection (`Connection: close`), for `http://host:port/path` URLs.
/// Returns the status, the header fields and the body (`Content-Length`-delimited); fails the
/// test after 60 s.
pub async fn http_get(url: &str) -> HttpResponse {
    tokio::time::timeout(std::time::Duration::from_secs(60), get(url))
        .await
        .expect("an answer within 60 s")
}

async fn get(url: &str) -> HttpResponse {
    let rest = url.strip_prefix("http://").expect("an http URL");
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let mut stream = TcpStream::connect(authority).await.expect("connect");
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {authority}\r\nAccept: application/json\r\n\
         Connection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.expect("read");
    parse_response(&raw)
}

fn parse_response(raw: &[u8]) -> HttpResponse {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("end of the header section");
    let head = std::str::from_utf8(&raw[..split]).expect("ASCII header section");
    let body = raw[split + 4..].to_vec();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().expect("status line");
    let mut parts = status_line.splitn(3, ' ');
    assert_eq!(parts.next(), Some("HTTP/1.1"), "{status_line}");
    let status: u16 = parts
        .next()
        .expect("status")
        .parse()
        .expect("numeric status");
    let headers: Vec<(String, String)> = lines
        .map(|l| {
            let (n, v) = l.split_once(':').expect("header field");
            (n.trim().to_owned(), v.trim().to_owned())
        })
        .collect();
    let resp = HttpResponse {
        status,
        headers,
        body,
    };
    let len: usize = resp
        .header("content-length")
        .expect("a Content-Length (no chunked bodies expected)")
        .parse()
        .expect("numeric Content-Length");
    assert_eq!(resp.body.len(), len, "truncated body");
    resp
}
