//! Mutual TLS: the server's configuration (its certificate and key, and the
//! CA whose client certificates it accepts) and the accept loop that serves
//! a router over tokio-rustls, telling each request who is calling.
//!
//! A client certificate must chain to the listener's client CA and be
//! valid now (rustls' `WebPkiClientVerifier`): one that is expired or from
//! another CA ends the handshake, and the connection never reaches a
//! handler. The staff listener demands one; the kiosk listener asks for
//! one, and a connection without is anonymous (the public pages).
//! [`crate::access`] says what each caller may do.

use crate::access::{Caller, Listener};
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use rustls::RootCertStore;
use rustls::server::WebPkiClientVerifier;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

/// How long a client may take over its handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long open connections may take to finish after shutdown.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);

/// The TLS settings could not be used.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("{what}: no PEM {expected} found")]
    Empty {
        what: &'static str,
        expected: &'static str,
    },
    #[error("{what}: {message}")]
    Pem { what: &'static str, message: String },
    #[error("TLS configuration: {0}")]
    Rustls(#[from] rustls::Error),
    #[error("client verifier: {0}")]
    Verifier(String),
}

fn certificates(what: &'static str, pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TlsError::Pem {
            what,
            message: e.to_string(),
        })?;
    if certs.is_empty() {
        return Err(TlsError::Empty {
            what,
            expected: "CERTIFICATE",
        });
    }
    Ok(certs)
}

/// The server's rustls configuration for mutual TLS (`ring` provider, TLS 1.2
/// and 1.3, HTTP/1.1 by ALPN) on `listener`.
///
/// - `cert_chain_pem`: the server's certificate, then any intermediates;
/// - `key_pem`: its private key (PKCS#8, PKCS#1 or SEC1);
/// - `client_ca_pem`: the CA(s) that sign the clients' certificates: the
///   kiosks' device certificates on the kiosk listener (asked for), the
///   staff certificates on the staff listener (required).
pub fn server_config(
    cert_chain_pem: &[u8],
    key_pem: &[u8],
    client_ca_pem: &[u8],
    listener: Listener,
) -> Result<Arc<rustls::ServerConfig>, TlsError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let chain = certificates("the server certificate", cert_chain_pem)?;
    let key = PrivateKeyDer::from_pem_slice(key_pem).map_err(|e| TlsError::Pem {
        what: "the server key",
        message: e.to_string(),
    })?;
    let mut roots = RootCertStore::empty();
    for ca in certificates("the client CA", client_ca_pem)? {
        roots.add(ca)?;
    }
    let builder = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone());
    let builder = match listener {
        Listener::Kiosk => builder.allow_unauthenticated(),
        Listener::Staff => builder,
    };
    let verifier = builder
        .build()
        .map_err(|e| TlsError::Verifier(e.to_string()))?;
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_client_cert_verifier(verifier)
        .with_single_cert(chain, key)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// Reads the three PEM files of [`server_config`].
pub fn server_config_from_files(
    cert: &std::path::Path,
    key: &std::path::Path,
    client_ca: &std::path::Path,
    listener: Listener,
) -> Result<Arc<rustls::ServerConfig>, TlsError> {
    let read = |what: &'static str, path: &std::path::Path| {
        std::fs::read(path).map_err(|e| TlsError::Pem {
            what,
            message: format!("{}: {e}", path.display()),
        })
    };
    server_config(
        &read("the server certificate", cert)?,
        &read("the server key", key)?,
        &read("the client CA", client_ca)?,
        listener,
    )
}

/// Who the client of a finished handshake on `listener` is: the kiosk or
/// member of staff its certificate names, else anonymous.
fn caller(peer: Option<&[CertificateDer<'_>]>, listener: Listener) -> Caller {
    let Some(leaf) = peer.and_then(<[_]>::first) else {
        return Caller::Anonymous;
    };
    let named = match listener {
        Listener::Kiosk => Caller::kiosk_from_certificate(leaf),
        Listener::Staff => Caller::staff_from_certificate(leaf),
    };
    named.unwrap_or_else(|| {
        tracing::warn!(
            ?listener,
            "a verified client certificate names no kiosk or person"
        );
        Caller::Anonymous
    })
}

/// Serves `router` (the service's routes for `kind`) over mutual TLS on
/// `listener` until `shutdown` resolves; then stops accepting and gives
/// open connections a few seconds to finish. Each request carries its
/// connection's [`Caller`].
pub async fn run_tls(
    listener: tokio::net::TcpListener,
    router: axum::Router,
    tls: Arc<rustls::ServerConfig>,
    kind: Listener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let acceptor = tokio_rustls::TlsAcceptor::from(tls);
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    // Out of descriptors and the like: wait, do not spin.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        let acceptor = acceptor.clone();
        let router = router.clone();
        let watcher = graceful.watcher();
        tokio::spawn(async move {
            let stream =
                match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                    Ok(Ok(stream)) => stream,
                    Ok(Err(e)) => {
                        tracing::info!(%peer, error = %e, "TLS handshake refused");
                        return;
                    }
                    Err(_) => {
                        tracing::info!(%peer, "TLS handshake timed out");
                        return;
                    }
                };
            let caller = caller(stream.get_ref().1.peer_certificates(), kind);
            let hyper_service = TowerToHyperService::new(tower::ServiceExt::map_request(
                router,
                move |mut request: hyper::Request<hyper::body::Incoming>| {
                    request.extensions_mut().insert(caller.clone());
                    request
                },
            ));
            let connection = hyper::server::conn::http1::Builder::new()
                .timer(hyper_util::rt::TokioTimer::new())
                .serve_connection(TokioIo::new(stream), hyper_service);
            if let Err(e) = watcher.watch(connection).await {
                tracing::debug!(%peer, error = %e, "connection ended with an error");
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(DRAIN_TIMEOUT, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("connections still open after shutdown; dropping them");
    }
    Ok(())
}
