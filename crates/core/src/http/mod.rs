//! Sending prepared HTTP requests and recording every exchange.
//!
//! Requests are built as plain [`HttpRequest`] values first (pure, testable without a network),
//! then sent by [`HttpClient`], which never follows redirects, applies connect and total
//! timeouts, refuses bodies over a size cap and records each request/response pair as an
//! [`Exchange`]. Values marked secret on the request are masked whenever an exchange is shown,
//! unless the caller asks to reveal them.
//!
//! One module per concept: [`settings`] (what a profile stores, what a client is built with),
//! [`error`] (why a call failed, TLS failures named), [`tls`] (trust roots, the client
//! certificate, reading a TLS failure), [`tls_server`] (a TLS server configuration from a stored
//! key's certificate: the sandbox's listener, the CIBA ping listener), [`request`], [`response`], [`exchange`] (the recorded pair
//! and its masked views: text, JSON, curl, HAR) and [`client`]. Each imports only those below
//! it: error, tls, settings, response, request, exchange, client.

pub mod client;
pub mod error;
pub mod exchange;
pub mod request;
pub mod response;
pub mod settings;
pub mod tls;
pub mod tls_server;

pub use client::HttpClient;
pub use error::{ADVICE_CLIENT_CERT, ADVICE_TRUST_CA, HttpError, TlsFailure};
pub use exchange::{Exchange, RecordedRequest, RecordedResponse, shell_quote, to_har};
pub use request::HttpRequest;
pub use response::{BodyError, HttpResponse, excerpt};
pub use settings::{
    BadSetting, DEFAULT_MAX_BODY, HttpOptions, HttpSettings, SettingsError, load_client_identity,
};
pub use tls::{CaCerts, ClientIdentity};

/// Shown in place of a secret in recorded exchanges (defined beside the secret types).
pub use crate::secret::MASK;
