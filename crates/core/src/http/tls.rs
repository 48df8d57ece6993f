//! TLS: extra trust roots ([`CaCerts`]), the client certificate for mutual TLS
//! ([`ClientIdentity`]), and naming which part of a failed handshake failed ([`TlsFailure`]).

use super::error::{HttpError, TlsFailure};

/// Trust roots from one PEM file (one or more `CERTIFICATE` blocks).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaCerts {
    /// Where they came from, for messages.
    pub source: String,
    /// The PEM text.
    pub pem: String,
}

impl CaCerts {
    /// Reads a PEM file of CA certificates.
    pub fn from_file(path: &std::path::Path) -> Result<CaCerts, HttpError> {
        let pem = std::fs::read_to_string(path).map_err(|e| {
            HttpError::Setup(format!(
                "cannot read the CA certificate file {}: {e}",
                path.display()
            ))
        })?;
        if !pem.contains("-----BEGIN CERTIFICATE-----") {
            return Err(HttpError::Setup(format!(
                "{} holds no PEM CERTIFICATE block",
                path.display()
            )));
        }
        Ok(CaCerts {
            source: path.display().to_string(),
            pem,
        })
    }
}

/// A client certificate chain and its private key (PEM), for mutual TLS. `Debug` shows only
/// where it came from and the certificate's `x5t#S256`.
#[derive(Clone)]
pub struct ClientIdentity {
    pub(super) source: String,
    pub(super) pem: String,
    x5t_s256: String,
}

impl std::fmt::Debug for ClientIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientIdentity")
            .field("source", &self.source)
            .field("x5t#S256", &self.x5t_s256)
            .field("key", &"<redacted>")
            .finish()
    }
}

impl ClientIdentity {
    /// A certificate chain (leaf first) and the matching private key.
    pub fn new(
        source: impl Into<String>,
        certs: &[crate::keys::Certificate],
        key: &crate::keys::PrivateKey,
    ) -> Result<ClientIdentity, HttpError> {
        let source = source.into();
        let Some(leaf) = certs.first() else {
            return Err(HttpError::Setup(format!(
                "{source}: a client certificate is needed for mutual TLS, and there is none"
            )));
        };
        let mut pem = key.reveal_pkcs8_pem();
        for cert in certs {
            pem.push_str(&cert.pem());
        }
        Ok(ClientIdentity {
            x5t_s256: leaf.x5t_s256(),
            source,
            pem,
        })
    }

    /// Where the certificate came from.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// `x5t#S256` of the leaf certificate: what a certificate-bound token's `cnf` must hold.
    pub fn x5t_s256(&self) -> &str {
        &self.x5t_s256
    }
}

/// Finds a rustls error in an error's chain (directly or inside an `io::Error`) and says which
/// part of TLS failed.
pub(super) fn classify_tls(e: &(dyn std::error::Error + 'static)) -> Option<(TlsFailure, String)> {
    use tokio_rustls::rustls::{CertificateError, Error as TlsError};
    /// The rustls error inside `err`, looking through (nested) `io::Error` wrappers, whose
    /// `source()` skips the wrapped error.
    fn unwrap_io<'a>(
        err: &'a (dyn std::error::Error + 'static),
    ) -> Option<&'a tokio_rustls::rustls::Error> {
        if let Some(tls) = err.downcast_ref::<tokio_rustls::rustls::Error>() {
            return Some(tls);
        }
        let inner = err.downcast_ref::<std::io::Error>()?.get_ref()?;
        unwrap_io(inner)
    }
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = current {
        let found = unwrap_io(err);
        if let Some(tls) = found {
            let what = match tls {
                TlsError::InvalidCertificate(cert) => match cert {
                    CertificateError::UnknownIssuer => TlsFailure::UnknownCa,
                    CertificateError::NotValidForName
                    | CertificateError::NotValidForNameContext { .. } => TlsFailure::NameMismatch,
                    CertificateError::Expired
                    | CertificateError::ExpiredContext { .. }
                    | CertificateError::NotValidYet
                    | CertificateError::NotValidYetContext { .. } => TlsFailure::Expired,
                    _ => TlsFailure::BadCertificate,
                },
                TlsError::AlertReceived(_) => TlsFailure::HandshakeRefused,
                _ => TlsFailure::Other,
            };
            return Some((what, tls.to_string()));
        }
        current = err.source();
    }
    None
}
