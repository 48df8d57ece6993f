//! Why an HTTP call produced no usable response ([`HttpError`]), and which part of TLS failed
//! ([`TlsFailure`]) with the advice for it, worded without any face's flags or fields.

use thiserror::Error;

/// Why an HTTP call produced no usable response.
#[derive(Debug, Error)]
pub enum HttpError {
    #[error("could not set up the HTTP client: {0}")]
    Setup(String),
    #[error(
        "no answer from {host} within {after} (timed out); is the server up and the URL right?"
    )]
    Timeout { after: String, host: String },
    #[error("could not connect to {host}: {detail}")]
    Connect { host: String, detail: String },
    #[error("the response body is larger than the {limit}-byte limit; refused")]
    BodyTooLarge { limit: usize },
    #[error("TLS with {host} failed: {}", tls_advice(*what, host, detail))]
    Tls {
        host: String,
        what: TlsFailure,
        detail: String,
    },
    #[error("the HTTP request to {host} failed: {detail}")]
    Other { host: String, detail: String },
}

/// Which part of TLS failed, so the message can say what to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsFailure {
    /// The server's certificate chains to no trusted root.
    UnknownCa,
    /// The server's certificate is not valid for the host name.
    NameMismatch,
    /// The server's certificate is expired or not yet valid.
    Expired,
    /// The server's certificate was rejected for another reason.
    BadCertificate,
    /// The server ended the handshake with an alert (often: it wants, or refused, a client
    /// certificate).
    HandshakeRefused,
    /// Another TLS error.
    Other,
}

/// The advice for a server certificate from an unknown authority, as the TLS error words it; a
/// face may put its own way of doing it in its place (the command line names its flag).
pub const ADVICE_TRUST_CA: &str = "trust its CA certificate";

/// The advice for a refused handshake, as the TLS error words it (see [`ADVICE_TRUST_CA`]).
pub const ADVICE_CLIENT_CERT: &str = "it may require a client certificate";

fn tls_advice(what: TlsFailure, host: &str, detail: &str) -> String {
    match what {
        TlsFailure::UnknownCa => format!(
            "the server's certificate is from an unknown certificate authority ({detail}); if \
             this is a private or lab server, {ADVICE_TRUST_CA}"
        ),
        TlsFailure::NameMismatch => format!(
            "name mismatch: the server's certificate is not valid for {host} ({detail}); use \
             the host name the certificate names"
        ),
        TlsFailure::Expired => {
            format!("the server's certificate is expired or not yet valid ({detail})")
        }
        TlsFailure::BadCertificate => format!("the server's certificate was rejected ({detail})"),
        TlsFailure::HandshakeRefused => format!(
            "the server refused the TLS handshake ({detail}); {ADVICE_CLIENT_CERT} or not \
             accept the one given"
        ),
        TlsFailure::Other => format!("the TLS handshake failed ({detail})"),
    }
}
