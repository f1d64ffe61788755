//! `--https`: TLS with a self-signed certificate for `127.0.0.1` and `localhost` (subject
//! alternative names, RFC 5280 §4.2.1.6), for apps that insist on an https issuer.
//!
//! The certificate and its ECDSA P-256 key are generated with `rcgen` at the first `--https`
//! start and kept in the data directory (`tls-cert.pem`, `tls-key.pem` with mode 0600), so a
//! certificate the user trusted once keeps working; with `--in-memory` a fresh one is generated
//! per start and its PEM written to the temporary directory. Connections are served with
//! `rustls` (TLS 1.2 and 1.3, its safe defaults; `ring` as the crypto provider) and HTTP/1.1
//! over `hyper`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio_rustls::TlsAcceptor;

use crate::error::ServerError;
use crate::store::Storage;

/// The certificate file name in the data directory.
pub const CERT_FILE: &str = "tls-cert.pem";
/// The private key file name in the data directory.
pub const KEY_FILE: &str = "tls-key.pem";

/// The TLS side of a `--https` start.
#[derive(Clone)]
pub struct Tls {
    acceptor: TlsAcceptor,
    /// Where the certificate (PEM) is, to trust it.
    pub cert_path: PathBuf,
    /// The certificate, DER.
    pub cert_der: CertificateDer<'static>,
}

impl std::fmt::Debug for Tls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tls")
            .field("cert_path", &self.cert_path)
            .finish_non_exhaustive()
    }
}

fn tls_err(what: &str, e: impl std::fmt::Display) -> ServerError {
    ServerError::Config(format!("--https: {what}: {e}"))
}

/// Generates a self-signed certificate for 127.0.0.1 and localhost: (cert PEM, key PEM).
fn generate() -> Result<(String, String), ServerError> {
    let names = vec!["127.0.0.1".to_owned(), "localhost".to_owned()];
    let rcgen::CertifiedKey { cert, signing_key } =
        rcgen::generate_simple_self_signed(names).map_err(|e| tls_err("generating", e))?;
    Ok((cert.pem(), signing_key.serialize_pem()))
}

fn write_private(path: &Path, text: &str) -> Result<(), ServerError> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    use std::io::Write as _;
    let mut f = opts
        .open(path)
        .map_err(|e| tls_err(&format!("writing {}", path.display()), e))?;
    f.write_all(text.as_bytes())
        .and_then(|()| f.sync_all())
        .map_err(|e| tls_err(&format!("writing {}", path.display()), e))
}

/// Loads the stored certificate (data directory) or generates one, and builds the acceptor.
pub fn setup(storage: &Storage) -> Result<Tls, ServerError> {
    let (cert_path, cert_pem, key_pem) = match storage {
        Storage::DataDir(dir) => {
            let cert_path = dir.join(CERT_FILE);
            let key_path = dir.join(KEY_FILE);
            match (
                std::fs::read_to_string(&cert_path),
                std::fs::read_to_string(&key_path),
            ) {
                (Ok(c), Ok(k)) => (cert_path, c, k),
                _ => {
                    let (c, k) = generate()?;
                    write_private(&key_path, &k)?;
                    write_private(&cert_path, &c)?;
                    (cert_path, c, k)
                }
            }
        }
        Storage::InMemory => {
            let (c, k) = generate()?;
            let path = std::env::temp_dir().join(format!(
                "oidckit-server-{}-{}",
                std::process::id(),
                CERT_FILE
            ));
            write_private(&path, &c)?;
            (path, c, k)
        }
    };
    let cert_der = CertificateDer::from_pem_slice(cert_pem.as_bytes())
        .map_err(|e| tls_err(&format!("reading {}", cert_path.display()), e))?;
    let key = PrivateKeyDer::from_pem_slice(key_pem.as_bytes())
        .map_err(|e| tls_err("reading the private key", e))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| tls_err("protocol versions", e))?
        .with_no_client_auth()
        .with_single_cert(vec![cert_der.clone()], key)
        .map_err(|e| tls_err("certificate", e))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Tls {
        acceptor: TlsAcceptor::from(Arc::new(config)),
        cert_path,
        cert_der,
    })
}

/// Accepts TLS connections until `shutdown` fires; each connection is served by `app` over
/// HTTP/1.1 with the peer address as `ConnectInfo`. Handshake failures only end that
/// connection.
pub async fn serve(
    listener: TcpListener,
    tls: Tls,
    app: Router,
    mut shutdown: oneshot::Receiver<()>,
) -> std::io::Result<()> {
    loop {
        let (tcp, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(v) => v,
                Err(e) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                    continue;
                }
            },
            _ = &mut shutdown => return Ok(()),
        };
        let acceptor = tls.acceptor.clone();
        let app = app.clone();
        tokio::spawn(async move {
            let stream = match acceptor.accept(tcp).await {
                Ok(s) => s,
                Err(e) => {
                    tracing::debug!(peer = %peer, error = %e, "TLS handshake failed");
                    return;
                }
            };
            let svc = app.layer(axum::Extension(ConnectInfo::<SocketAddr>(peer)));
            let service = TowerToHyperService::new(svc);
            if let Err(e) = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await
            {
                tracing::debug!(peer = %peer, error = %e, "connection ended with an error");
            }
        });
    }
}
