//! TLS servers (rustls on aws-lc-rs, as the client side): a [`ServerConfig`] that serves a stored
//! key's certificate chain, shared by the sandbox's mutual-TLS listener and the CIBA ping
//! listener. The caller brings the listening socket and, if it asks clients for certificates,
//! the verifier that judges them.

use std::sync::Arc;

use tokio_rustls::rustls::crypto::CryptoProvider;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::rustls::server::ServerConfig;
use tokio_rustls::rustls::server::danger::ClientCertVerifier;

use super::error::HttpError;
use crate::keys::StoredKey;

/// The crypto provider every TLS server here uses (aws-lc-rs, as reqwest and the JWT code).
pub fn crypto_provider() -> Arc<CryptoProvider> {
    Arc::new(tokio_rustls::rustls::crypto::aws_lc_rs::default_provider())
}

/// A server configuration presenting `server`'s certificate chain (leaf first) with its key,
/// offering HTTP/1.1. `client_certs`, when given, asks every client for a certificate and
/// judges it; without it no client certificate is asked for.
pub fn server_config(
    server: &StoredKey,
    client_certs: Option<Arc<dyn ClientCertVerifier>>,
) -> Result<ServerConfig, HttpError> {
    if server.certs.is_empty() {
        return Err(HttpError::Setup(format!(
            "the key {:?} has no certificate to serve TLS with",
            server.name
        )));
    }
    let chain: Vec<CertificateDer<'static>> = server
        .certs
        .iter()
        .map(|c| CertificateDer::from(c.der().to_vec()))
        .collect();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
        server.key.expose_pkcs8_der().to_vec(),
    ));
    let builder = ServerConfig::builder_with_provider(crypto_provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| HttpError::Setup(format!("TLS server: {e}")))?;
    let builder = match client_certs {
        Some(verifier) => builder.with_client_cert_verifier(verifier),
        None => builder.with_no_client_auth(),
    };
    let mut config = builder.with_single_cert(chain, key).map_err(|e| {
        HttpError::Setup(format!(
            "the key {:?} cannot serve TLS with its certificate: {e}",
            server.name
        ))
    })?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}
