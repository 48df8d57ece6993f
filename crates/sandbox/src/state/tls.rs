//! The sandbox's TLS listener for mutual TLS (RFC 8705): HTTPS on 127.0.0.1 with a server
//! certificate from the sandbox's test CA (served through core's `http::tls_server`). It asks every client for a certificate and accepts
//! any (or none) at the handshake; the endpoints decide, per client, what a certificate proves
//! (`tls_client_auth`: issued by the test CA to the registered subject;
//! `self_signed_tls_client_auth`: the registered certificate itself).

use std::convert::Infallible;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::connect_info::Connected;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::serve::{IncomingStream, Listener};
use grantscope_core::http::tls_server::{crypto_provider, server_config};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::client::danger::HandshakeSignatureValid;
use tokio_rustls::rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use tokio_rustls::rustls::pki_types::{CertificateDer, UnixTime};
use tokio_rustls::rustls::server::WebPkiClientVerifier;
use tokio_rustls::rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use tokio_rustls::rustls::{
    self, DigitallySignedStruct, DistinguishedName, RootCertStore, SignatureScheme,
};
use tokio_rustls::server::TlsStream;

use crate::state::client_keys::ClientKeys;

/// How long a client may take to finish the TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Who is on the other end of a TLS connection.
#[derive(Debug, Clone)]
pub(crate) struct TlsPeer {
    pub remote: SocketAddr,
    /// The client certificate (DER), when one was presented.
    pub cert: Option<Arc<Vec<u8>>>,
}

/// The connection a request came in on, as the handlers see it.
#[derive(Debug, Clone, Default)]
pub(crate) struct Peer {
    /// Over the TLS listener.
    pub tls: bool,
    /// The client certificate presented in the handshake.
    pub cert: Option<Arc<Vec<u8>>>,
}

impl<S: Send + Sync> FromRequestParts<S> for Peer {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(match parts.extensions.get::<ConnectInfo<TlsPeer>>() {
            Some(ConnectInfo(peer)) => Peer {
                tls: true,
                cert: peer.cert.clone(),
            },
            None => Peer::default(),
        })
    }
}

/// Accepts TCP connections and completes TLS handshakes off the accept path (a slow client
/// cannot stall others), handing finished connections to axum.
pub(crate) struct TlsListener {
    ready: mpsc::Receiver<(TlsStream<TcpStream>, TlsPeer)>,
    local: SocketAddr,
}

impl Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = TlsPeer;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.ready.recv().await {
            Some(connection) => connection,
            // The accept task has stopped (shutdown): wait for axum's graceful shutdown.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        Ok(TlsPeer {
            remote: self.local,
            cert: None,
        })
    }
}

impl Connected<IncomingStream<'_, TlsListener>> for TlsPeer {
    fn connect_info(stream: IncomingStream<'_, TlsListener>) -> Self {
        stream.remote_addr().clone()
    }
}

fn provider() -> Arc<CryptoProvider> {
    crypto_provider()
}

/// Asks for a client certificate, accepts any (the endpoints judge it), and still checks the
/// handshake signature so the client proves it holds the certificate's key.
#[derive(Debug)]
struct AnyClientCertificate {
    algorithms: WebPkiSupportedAlgorithms,
}

impl ClientCertVerifier for AnyClientCertificate {
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        Ok(ClientCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }

    fn client_auth_mandatory(&self) -> bool {
        false
    }
}

/// Checks client certificates against the sandbox's test CA (chain, validity, client EKU).
pub(crate) struct CaCheck {
    verifier: Arc<dyn ClientCertVerifier>,
}

impl std::fmt::Debug for CaCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CaCheck")
    }
}

impl CaCheck {
    pub(crate) fn new(keys: &ClientKeys) -> Result<CaCheck, String> {
        let mut roots = RootCertStore::empty();
        let ca = keys.ca_cert().ok_or("the test CA has no certificate")?;
        roots
            .add(CertificateDer::from(ca.der().to_vec()))
            .map_err(|e| format!("test CA certificate: {e}"))?;
        let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider())
            .build()
            .map_err(|e| format!("test CA verifier: {e}"))?;
        Ok(CaCheck { verifier })
    }

    /// `Ok` when `cert` chains to the test CA; else what is wrong with it.
    pub(crate) fn verify(&self, cert: &[u8]) -> Result<(), String> {
        self.verifier
            .verify_client_cert(&CertificateDer::from(cert), &[], UnixTime::now())
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}

/// Binds the TLS listener on 127.0.0.1:`port` and starts accepting until `stop` turns true.
pub(crate) async fn bind(
    port: u16,
    keys: &ClientKeys,
    mut stop: watch::Receiver<bool>,
) -> Result<TlsListener, crate::error::SandboxError> {
    let verifier = Arc::new(AnyClientCertificate {
        algorithms: provider().signature_verification_algorithms,
    });
    let config = server_config(&keys.server, Some(verifier))
        .map_err(|e| crate::error::SandboxError::Tls(e.to_string()))?;
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let tcp = TcpListener::bind((Ipv4Addr::LOCALHOST, port))
        .await
        .map_err(|source| crate::error::SandboxError::Bind { port, source })?;
    let local = tcp
        .local_addr()
        .map_err(|source| crate::error::SandboxError::Bind { port, source })?;
    let (tx, ready) = mpsc::channel(16);
    tokio::spawn(async move {
        loop {
            let accepted = tokio::select! {
                accepted = tcp.accept() => accepted,
                _ = stop.wait_for(|stopped| *stopped) => break,
            };
            let Ok((stream, remote)) = accepted else {
                // Out of file descriptors and the like: back off instead of spinning.
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            };
            let acceptor = acceptor.clone();
            let tx = tx.clone();
            tokio::spawn(async move {
                // A failed or slow handshake only drops this connection.
                let Ok(Ok(tls)) =
                    tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await
                else {
                    return;
                };
                let cert = tls
                    .get_ref()
                    .1
                    .peer_certificates()
                    .and_then(|certs| certs.first())
                    .map(|c| Arc::new(c.as_ref().to_vec()));
                let _ = tx.send((tls, TlsPeer { remote, cert })).await;
            });
        }
    });
    Ok(TlsListener { ready, local })
}
