//! Sending prepared HTTP requests and recording every exchange.
//!
//! Requests are built as plain [`HttpRequest`] values first (pure, testable without a network),
//! then sent by [`HttpClient`], which never follows redirects, applies connect and total
//! timeouts, refuses bodies over a size cap and records each request/response pair as an
//! [`Exchange`]. Values marked secret on the request are masked whenever an exchange is shown,
//! unless the caller asks to reveal them.

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use thiserror::Error;
use url::Url;

use crate::keys::KeyStore;
use crate::secret::{Secret, SecretKind};

/// Shown in place of a secret in recorded exchanges (defined beside the secret types).
pub use crate::secret::MASK;

/// Default cap on a response body (1 MiB): token responses and JWKS are far smaller.
pub const DEFAULT_MAX_BODY: usize = 1024 * 1024;

/// Transport settings shared by every call of a session.
#[derive(Debug, Clone)]
pub struct HttpOptions {
    pub connect_timeout: Duration,
    pub timeout: Duration,
    pub max_body_bytes: usize,
    /// Turn TLS certificate verification off. Loud on purpose: callers must warn the user.
    pub insecure_tls: bool,
    /// Extra trust roots (PEM) beside the system's, for a private or lab authorization server.
    pub ca_certs: Vec<CaCerts>,
    /// The client certificate presented on every call (mutual TLS, RFC 8705).
    pub client_identity: Option<ClientIdentity>,
}

impl Default for HttpOptions {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(30),
            max_body_bytes: DEFAULT_MAX_BODY,
            insecure_tls: false,
            ca_certs: Vec::new(),
            client_identity: None,
        }
    }
}

/// Transport settings as a profile stores them (seconds and bytes), shown in the profile
/// editor and overridden by the command line's flags.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct HttpSettings {
    /// Total time limit for each request, in seconds.
    pub timeout_secs: f64,
    /// Time limit to connect, in seconds.
    pub connect_timeout_secs: f64,
    /// Largest response body accepted, in bytes.
    pub max_body_bytes: usize,
    /// DANGEROUS: do not verify TLS certificates.
    pub insecure_tls: bool,
    /// A PEM file of extra trust roots (a private or lab authorization server's CA).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ca_cert: Option<String>,
    /// The client certificate for mutual TLS: a PEM file (with `client_key`, or holding the key
    /// too), or the name of a stored key that has a certificate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_cert: Option<String>,
    /// The client certificate's private key (PEM file).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_key: Option<String>,
}

impl Default for HttpSettings {
    fn default() -> Self {
        let o = HttpOptions::default();
        Self {
            timeout_secs: o.timeout.as_secs_f64(),
            connect_timeout_secs: o.connect_timeout.as_secs_f64(),
            max_body_bytes: o.max_body_bytes,
            insecure_tls: o.insecure_tls,
            ca_cert: None,
            client_cert: None,
            client_key: None,
        }
    }
}

/// Why the transport settings cannot make a client.
#[derive(Debug, Error)]
pub enum SettingsError {
    #[error(transparent)]
    Bad(#[from] BadSetting),
    /// A CA file, client certificate or key could not be used.
    #[error("{0}")]
    Tls(String),
}

/// Reads the client identity that `cert` (a PEM file, or the name of a key in `keys`) and `key`
/// (a PEM file) describe.
pub fn load_client_identity(
    cert: &str,
    key: Option<&str>,
    keys: &KeyStore,
) -> Result<ClientIdentity, SettingsError> {
    use crate::keys::{Certificate, read_key_file};
    let tls = |e: String| SettingsError::Tls(e);
    let (certs, private) = match key {
        Some(key) => {
            let text = std::fs::read_to_string(cert)
                .map_err(|e| tls(format!("cannot read the client certificate {cert}: {e}")))?;
            let certs = Certificate::all_from_pem(&text)
                .map_err(|e| tls(format!("client certificate {cert}: {e}")))?;
            let private = read_key_file(std::path::Path::new(key))
                .map_err(|e| tls(format!("client key {key}: {e}")))?;
            (certs, private.key)
        }
        None => {
            let stored = keys
                .resolve(cert)
                .map_err(|e| tls(format!("client certificate {cert}: {e} (give --client-key FILE with a certificate file)")))?;
            (stored.certs, stored.key)
        }
    };
    if certs.is_empty() {
        return Err(tls(format!("{cert} holds no certificate")));
    }
    ClientIdentity::new(cert.to_string(), &certs, &private).map_err(|e| tls(e.to_string()))
}

/// A transport setting out of range; `setting` names it ("timeout").
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("the {setting} must be {expected}")]
pub struct BadSetting {
    pub setting: &'static str,
    pub expected: &'static str,
}

impl HttpSettings {
    /// The options a client is built with; a value out of range (or so large it cannot be a
    /// duration) is an error, not a panic. A client certificate given by name is looked up in
    /// `keys` (the store of the config directory the caller was given).
    pub fn to_options(&self, keys: &KeyStore) -> Result<HttpOptions, SettingsError> {
        let secs = |v: f64, setting| match Duration::try_from_secs_f64(v) {
            Ok(d) if v > 0.0 => Ok(d),
            _ => Err(BadSetting {
                setting,
                expected: "a positive number of seconds",
            }),
        };
        if self.max_body_bytes == 0 {
            return Err(BadSetting {
                setting: "largest response body",
                expected: "at least one byte",
            }
            .into());
        }
        let ca_certs = match self.ca_cert.as_deref().filter(|s| !s.is_empty()) {
            Some(path) => vec![
                CaCerts::from_file(std::path::Path::new(path))
                    .map_err(|e| SettingsError::Tls(e.to_string()))?,
            ],
            None => Vec::new(),
        };
        let client_identity = match self.client_cert.as_deref().filter(|s| !s.is_empty()) {
            Some(cert) => Some(load_client_identity(
                cert,
                self.client_key.as_deref().filter(|s| !s.is_empty()),
                keys,
            )?),
            None if self.client_key.as_deref().is_some_and(|k| !k.is_empty()) => {
                return Err(SettingsError::Tls(
                    "a client key without a client certificate: give --client-cert too".into(),
                ));
            }
            None => None,
        };
        Ok(HttpOptions {
            connect_timeout: secs(self.connect_timeout_secs, "connect timeout")?,
            timeout: secs(self.timeout_secs, "timeout")?,
            max_body_bytes: self.max_body_bytes,
            insecure_tls: self.insecure_tls,
            ca_certs,
            client_identity,
        })
    }
}

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
    source: String,
    pem: String,
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

fn tls_advice(what: TlsFailure, host: &str, detail: &str) -> String {
    match what {
        TlsFailure::UnknownCa => format!(
            "the server's certificate is from an unknown certificate authority ({detail}); if \
             this is a private or lab server, trust its CA with --ca-cert FILE"
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
            "the server refused the TLS handshake ({detail}); it may require a client \
             certificate (--client-cert/--client-key) or not accept the one given"
        ),
        TlsFailure::Other => format!("the TLS handshake failed ({detail})"),
    }
}

/// Finds a rustls error in an error's chain (directly or inside an `io::Error`) and says which
/// part of TLS failed.
fn classify_tls(e: &(dyn std::error::Error + 'static)) -> Option<(TlsFailure, String)> {
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

/// A pure, prepared request. Nothing is sent until [`HttpClient::send`]. Its `Debug` shows
/// it masked, as every view does.
#[derive(Clone)]
pub struct HttpRequest {
    pub method: String,
    pub url: Url,
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
    /// Values to mask wherever this request is shown, each with its kind.
    pub secrets: Vec<(SecretKind, String)>,
    /// Decoded views of what the request carries, shown beside the raw form (a client
    /// assertion's header and claims). They must hold no secret.
    pub decoded: Vec<(String, Value)>,
}

impl HttpRequest {
    pub fn get(url: Url) -> Self {
        Self {
            method: "GET".into(),
            url,
            headers: vec![("Accept".into(), "application/json".into())],
            body: None,
            secrets: Vec::new(),
            decoded: Vec::new(),
        }
    }

    /// A POST with an `application/x-www-form-urlencoded` body.
    pub fn post_form<K: AsRef<str>, V: AsRef<str>>(url: Url, pairs: &[(K, V)]) -> Self {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs.iter().map(|(k, v)| (k.as_ref(), v.as_ref())))
            .finish();
        Self {
            method: "POST".into(),
            url,
            headers: vec![
                (
                    "Content-Type".into(),
                    "application/x-www-form-urlencoded".into(),
                ),
                ("Accept".into(), "application/json".into()),
            ],
            body: Some(body),
            secrets: Vec::new(),
            decoded: Vec::new(),
        }
    }

    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Adds a decoded view (no secrets in it) shown beside the raw request.
    pub fn decoded(mut self, name: impl Into<String>, value: Value) -> Self {
        self.decoded.push((name.into(), value));
        self
    }

    /// Marks a value as secret: it is masked in every recorded form of this request.
    pub fn secret(mut self, kind: SecretKind, value: impl Into<String>) -> Self {
        push_secret(&mut self.secrets, kind, value.into());
        self
    }

    /// Marks a typed secret (see [`crate::secret`]).
    pub fn mark<S: Secret>(self, value: &S) -> Self {
        self.secret(S::KIND, value.expose())
    }

    /// The request as an exchange would show it before it is sent (step mode): secrets masked
    /// the same way unless `reveal`.
    pub fn view(&self, reveal: bool) -> RecordedRequest {
        Exchange::new("", self).request_view(reveal)
    }
}

impl std::fmt::Debug for HttpRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let masked = self.view(false);
        f.debug_struct("HttpRequest")
            .field("method", &self.method)
            .field("url", &masked.url)
            .field("headers", &masked.headers)
            .field("body", &masked.body)
            .field("secrets", &format_args!("{} redacted", self.secrets.len()))
            .finish_non_exhaustive()
    }
}

fn push_secret(list: &mut Vec<(SecretKind, String)>, kind: SecretKind, value: String) {
    if !value.is_empty() && !list.iter().any(|(_, v)| *v == value) {
        list.push((kind, value));
    }
}

/// A response as received: status, headers and the (size-capped) body. Its `Debug` leaves the
/// body out (it may hold tokens; the exchange views mask them).
#[derive(Clone)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl std::fmt::Debug for HttpResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.headers.iter().map(|(k, _)| k.as_str()).collect();
        f.debug_struct("HttpResponse")
            .field("status", &self.status)
            .field("header_names", &names)
            .field(
                "body",
                &format_args!("{} bytes, not shown", self.body.len()),
            )
            .finish()
    }
}

/// The body was not the JSON that was expected.
#[derive(Debug, Error)]
pub enum BodyError {
    #[error("expected JSON but the server sent an HTML page (HTTP {status}): {excerpt}")]
    Html { status: u16, excerpt: String },
    #[error("expected JSON but the body is empty (HTTP {status})")]
    Empty { status: u16 },
    #[error(
        "expected JSON but the body does not parse (HTTP {status}): {detail}; body starts: {excerpt}"
    )]
    NotJson {
        status: u16,
        detail: String,
        excerpt: String,
    },
    #[error("the JSON body has an unexpected shape (HTTP {status}): {detail}")]
    Shape { status: u16, detail: String },
}

impl HttpResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// Parses the body as JSON, with a message that says what came instead.
    pub fn json_value(&self) -> Result<Value, BodyError> {
        let text = self.text();
        let trimmed = text.trim_start();
        if trimmed.is_empty() {
            return Err(BodyError::Empty {
                status: self.status,
            });
        }
        let content_type = self.header("content-type").unwrap_or("");
        let looks_html = content_type.contains("html")
            || trimmed.starts_with('<')
            || trimmed[..trimmed.len().min(15)]
                .to_ascii_lowercase()
                .starts_with("<!doctype");
        match serde_json::from_str::<Value>(trimmed) {
            Ok(v) => Ok(v),
            Err(_) if looks_html => Err(BodyError::Html {
                status: self.status,
                excerpt: html_excerpt(trimmed),
            }),
            Err(e) => Err(BodyError::NotJson {
                status: self.status,
                detail: e.to_string(),
                excerpt: excerpt(trimmed, 80),
            }),
        }
    }

    pub fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T, BodyError> {
        let value = self.json_value()?;
        serde_json::from_value(value).map_err(|e| BodyError::Shape {
            status: self.status,
            detail: e.to_string(),
        })
    }
}

/// The first `max` characters of a text, on one line.
pub fn excerpt(text: &str, max: usize) -> String {
    let one_line: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let mut out: String = one_line.chars().take(max).collect();
    if one_line.chars().count() > max {
        out.push('…');
    }
    out
}

/// The page's `<title>` if any, else the start of its text without tags.
fn html_excerpt(html: &str) -> String {
    let lower = html.to_ascii_lowercase();
    if let (Some(start), Some(end)) = (lower.find("<title>"), lower.find("</title>"))
        && end > start + 7
    {
        return format!("title \"{}\"", excerpt(html[start + 7..end].trim(), 80));
    }
    let mut text = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                text.push(' ');
            }
            _ if !in_tag => text.push(c),
            _ => {}
        }
    }
    excerpt(&text.split_whitespace().collect::<Vec<_>>().join(" "), 80)
}

/// One recorded request (as sent).
#[derive(Debug, Clone, Serialize)]
pub struct RecordedRequest {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
}

/// One recorded response (as received, body as text).
#[derive(Debug, Clone, Serialize)]
pub struct RecordedResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

/// A request/response pair with timing. Holds raw values, which it shows only through the
/// views below: masked, unless the caller explicitly asks to reveal them.
#[derive(Clone)]
pub struct Exchange {
    /// What this call was for, e.g. "token request".
    pub step: String,
    request: RecordedRequest,
    response: Option<RecordedResponse>,
    /// Why there is no response (timeout, connection refused, body too large).
    error: Option<String>,
    pub elapsed_ms: u64,
    /// When the request was sent, unix milliseconds.
    pub started_at_ms: u128,
    secrets: Vec<(SecretKind, String)>,
    /// Step mode: the request as the flow built it, when the user edited it before sending.
    edited_from: Option<RecordedRequest>,
    decoded: Vec<(String, Value)>,
}

impl std::fmt::Debug for Exchange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Exchange")
            .field("step", &self.step)
            .field("request", &self.request_view(false))
            .field("response", &self.response_view(false))
            .field("error", &self.error_view(false))
            .field("elapsed_ms", &self.elapsed_ms)
            .finish_non_exhaustive()
    }
}

impl Exchange {
    fn new(step: &str, req: &HttpRequest) -> Self {
        Self {
            step: step.to_string(),
            request: RecordedRequest {
                method: req.method.clone(),
                url: req.url.to_string(),
                headers: req.headers.clone(),
                body: req.body.clone(),
            },
            response: None,
            error: None,
            elapsed_ms: 0,
            started_at_ms: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_millis())
                .unwrap_or(0),
            secrets: req.secrets.clone(),
            edited_from: None,
            decoded: req.decoded.clone(),
        }
    }

    /// The browser's part of a flow as an exchange (front channel): the authorization request
    /// the browser was sent with, and the redirect that came back (as a `Location`), with the
    /// secrets in it marked. Nothing was sent by grantscope itself; the step says so.
    pub fn front_channel(
        step: &str,
        request_url: &Url,
        redirect: &str,
        secrets: &[(SecretKind, String)],
    ) -> Exchange {
        let mut ex = Exchange::new(step, &HttpRequest::get(request_url.clone()));
        ex.request.headers.clear();
        ex.response = Some(RecordedResponse {
            status: 302,
            headers: vec![("Location".into(), redirect.to_string())],
            body: String::new(),
        });
        for (kind, v) in secrets {
            ex.add_secret(*kind, v.clone());
        }
        ex
    }

    /// Marks this exchange as edited in step mode, keeping the request as the flow built it.
    pub fn set_edited_from(&mut self, original: &HttpRequest) {
        for (kind, v) in &original.secrets {
            push_secret(&mut self.secrets, *kind, v.clone());
        }
        self.edited_from = Some(RecordedRequest {
            method: original.method.clone(),
            url: original.url.to_string(),
            headers: original.headers.clone(),
            body: original.body.clone(),
        });
    }

    /// Whether the user edited the request before it was sent.
    pub fn is_edited(&self) -> bool {
        self.edited_from.is_some()
    }

    /// The request as the flow built it, before the user's edit; masked unless `reveal`.
    pub fn original_request_view(&self, reveal: bool) -> Option<RecordedRequest> {
        self.edited_from.as_ref().map(|r| self.view_of(r, reveal))
    }

    /// The request again, ready to re-send (replay): raw values, with the same secrets marked
    /// so that the new exchange masks them too.
    pub fn replay_request(&self) -> Result<HttpRequest, url::ParseError> {
        Ok(HttpRequest {
            method: self.request.method.clone(),
            url: Url::parse(&self.request.url)?,
            headers: self.request.headers.clone(),
            body: self.request.body.clone(),
            secrets: self.secrets.clone(),
            decoded: self.decoded.clone(),
        })
    }

    /// Decoded views of what the request carried (a client assertion's header and claims),
    /// free of secrets: shown beside the raw, masked form.
    pub fn decoded(&self) -> &[(String, Value)] {
        &self.decoded
    }

    /// Adds a value to mask (e.g. a token received in this exchange's response).
    pub fn add_secret(&mut self, kind: SecretKind, value: impl Into<String>) {
        push_secret(&mut self.secrets, kind, value.into());
    }

    /// Adds a typed secret to mask.
    pub fn mark<S: Secret>(&mut self, value: &S) {
        self.add_secret(S::KIND, value.expose());
    }

    /// The kinds of secret this exchange masks, for a note beside a masked view.
    pub fn secret_kinds(&self) -> Vec<SecretKind> {
        let mut kinds: Vec<SecretKind> = Vec::new();
        for (k, _) in &self.secrets {
            if !kinds.contains(k) {
                kinds.push(*k);
            }
        }
        kinds
    }

    /// Whether any view of this exchange hides something unless revealed.
    pub fn has_secrets(&self) -> bool {
        !self.secrets.is_empty()
            || self
                .request
                .headers
                .iter()
                .any(|(k, _)| k.eq_ignore_ascii_case("authorization"))
    }

    /// The request method (never secret).
    pub fn method(&self) -> &str {
        &self.request.method
    }

    /// The HTTP status of the response, if one came.
    pub fn status(&self) -> Option<u16> {
        self.response.as_ref().map(|r| r.status)
    }

    /// Whether the call failed: no response, or a status of 400 and above.
    pub fn failed(&self) -> bool {
        self.status().is_none_or(|s| s >= 400)
    }

    /// Why there is no response, masked unless `reveal`.
    pub fn error_view(&self, reveal: bool) -> Option<String> {
        self.error.as_ref().map(|e| self.show(e, reveal))
    }

    /// Replaces every secret (raw and in its URL-encoded forms) with [`MASK`].
    pub fn mask(&self, text: &str) -> String {
        let mut out = text.to_string();
        // Longest first, so a secret that contains another is masked whole.
        let mut secrets: Vec<&String> = self.secrets.iter().map(|(_, v)| v).collect();
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        for secret in secrets {
            for form in secret_forms(secret) {
                if !form.is_empty() {
                    out = out.replace(&form, MASK);
                }
            }
        }
        out
    }

    fn show(&self, text: &str, reveal: bool) -> String {
        if reveal {
            text.to_string()
        } else {
            self.mask(text)
        }
    }

    /// The recorded request with secrets masked unless `reveal`.
    pub fn request_view(&self, reveal: bool) -> RecordedRequest {
        self.view_of(&self.request, reveal)
    }

    fn view_of(&self, r: &RecordedRequest, reveal: bool) -> RecordedRequest {
        RecordedRequest {
            method: r.method.clone(),
            url: self.show(&r.url, reveal),
            headers: r
                .headers
                .iter()
                .map(|(k, v)| (k.clone(), self.show_header(k, v, reveal)))
                .collect(),
            body: r.body.as_ref().map(|b| self.show(b, reveal)),
        }
    }

    fn show_header(&self, name: &str, value: &str, reveal: bool) -> String {
        if !reveal && name.eq_ignore_ascii_case("authorization") {
            // Keep the scheme, mask the credentials, whatever they are.
            match value.split_once(' ') {
                Some((scheme, _)) => format!("{scheme} {MASK}"),
                None => MASK.to_string(),
            }
        } else {
            self.show(value, reveal)
        }
    }

    /// The recorded response with secrets masked unless `reveal`.
    pub fn response_view(&self, reveal: bool) -> Option<RecordedResponse> {
        self.response.as_ref().map(|r| RecordedResponse {
            status: r.status,
            headers: r
                .headers
                .iter()
                .map(|(k, v)| (k.clone(), self.show(v, reveal)))
                .collect(),
            body: self.show(&r.body, reveal),
        })
    }

    /// The DESIGN.md `exchanges[]` entry.
    pub fn to_json(&self, reveal: bool) -> Value {
        let req = self.request_view(reveal);
        let mut request = Map::new();
        request.insert("method".into(), Value::String(req.method));
        request.insert("url".into(), Value::String(req.url));
        request.insert("headers".into(), headers_json(&req.headers));
        request.insert(
            "body".into(),
            req.body.map(Value::String).unwrap_or(Value::Null),
        );
        let response = match self.response_view(reveal) {
            Some(r) => {
                let mut m = Map::new();
                m.insert("status".into(), Value::from(r.status));
                m.insert("headers".into(), headers_json(&r.headers));
                m.insert("body".into(), Value::String(r.body));
                Value::Object(m)
            }
            None => Value::Null,
        };
        let mut m = Map::new();
        m.insert("step".into(), Value::String(self.step.clone()));
        m.insert("request".into(), Value::Object(request));
        m.insert("response".into(), response);
        if !self.decoded.is_empty() {
            let decoded: Map<String, Value> = self.decoded.iter().cloned().collect();
            m.insert("decoded".into(), Value::Object(decoded));
        }
        if let Some(err) = self.error_view(reveal) {
            m.insert("error".into(), Value::String(err));
        }
        if let Some(orig) = self.original_request_view(reveal) {
            m.insert("edited".into(), Value::Bool(true));
            m.insert(
                "original_request".into(),
                serde_json::json!({
                    "method": orig.method, "url": orig.url,
                    "headers": headers_json(&orig.headers), "body": orig.body,
                }),
            );
        }
        m.insert("elapsed_ms".into(), Value::from(self.elapsed_ms));
        Value::Object(m)
    }

    /// The request as a runnable curl command (POSIX shell quoting).
    pub fn to_curl(&self, reveal: bool) -> String {
        let req = self.request_view(reveal);
        let mut parts = vec!["curl".to_string()];
        if req.method != "GET" || req.body.is_some() {
            parts.push("-X".into());
            parts.push(req.method.clone());
        }
        parts.push(shell_quote(&req.url));
        for (k, v) in &req.headers {
            parts.push("-H".into());
            parts.push(shell_quote(&format!("{k}: {v}")));
        }
        if let Some(body) = &req.body {
            parts.push("--data-raw".into());
            parts.push(shell_quote(body));
        }
        parts.join(" ")
    }

    /// Status line for lists: "200 OK 12 ms", or the transport error.
    pub fn summary(&self) -> String {
        match (&self.response, self.error_view(false)) {
            (Some(r), _) => format!("{} · {} ms", r.status, self.elapsed_ms),
            (None, Some(e)) => format!("failed · {e}"),
            (None, None) => "pending".into(),
        }
    }
}

fn headers_json(headers: &[(String, String)]) -> Value {
    let mut m = Map::new();
    for (k, v) in headers {
        match m.get_mut(k) {
            Some(Value::String(prev)) => {
                prev.push_str(", ");
                prev.push_str(v);
            }
            _ => {
                m.insert(k.clone(), Value::String(v.clone()));
            }
        }
    }
    Value::Object(m)
}

/// A secret as it may appear in a URL, a form body, a Basic header or a JSON string.
fn secret_forms(secret: &str) -> Vec<String> {
    let form: String = url::form_urlencoded::byte_serialize(secret.as_bytes()).collect();
    let mut forms = vec![secret.to_string()];
    if form != secret {
        forms.push(form);
    }
    // As a JSON string escapes it (`"` and `\\`), for a server that echoes it in a JSON body.
    if let Ok(json) = serde_json::to_string(secret)
        && let Some(inner) = json.strip_prefix('"').and_then(|j| j.strip_suffix('"'))
        && inner != secret
    {
        forms.push(inner.to_string());
    }
    forms
}

/// Quotes a string for a POSIX shell.
pub fn shell_quote(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=@%+,".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// A reqwest client with the project's transport rules.
#[derive(Debug, Clone)]
pub struct HttpClient {
    inner: reqwest::Client,
    options: HttpOptions,
}

impl HttpClient {
    pub fn new(options: &HttpOptions) -> Result<Self, HttpError> {
        let mut builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(options.connect_timeout)
            .timeout(options.timeout)
            .user_agent(concat!("grantscope/", env!("CARGO_PKG_VERSION")))
            .tls_danger_accept_invalid_certs(options.insecure_tls);
        for ca in &options.ca_certs {
            let certs = reqwest::Certificate::from_pem_bundle(ca.pem.as_bytes()).map_err(|e| {
                HttpError::Setup(format!(
                    "the CA certificates in {} do not parse: {e}",
                    ca.source
                ))
            })?;
            builder = builder.tls_certs_merge(certs);
        }
        if let Some(identity) = &options.client_identity {
            let parsed = reqwest::Identity::from_pem(identity.pem.as_bytes()).map_err(|e| {
                HttpError::Setup(format!(
                    "the client certificate and key from {} are not usable: {e}",
                    identity.source
                ))
            })?;
            builder = builder.identity(parsed);
        }
        let inner = builder
            .build()
            .map_err(|e| HttpError::Setup(error_chain(&e)))?;
        Ok(Self {
            inner,
            options: options.clone(),
        })
    }

    pub fn options(&self) -> &HttpOptions {
        &self.options
    }

    /// Sends a request and records it. On failure the error comes with the exchange so far.
    pub async fn send(
        &self,
        step: &str,
        req: HttpRequest,
    ) -> Result<(Exchange, HttpResponse), (Exchange, HttpError)> {
        let mut exchange = Exchange::new(step, &req);
        let started = Instant::now();
        let result = self.send_inner(&req).await;
        exchange.elapsed_ms = started.elapsed().as_millis() as u64;
        match result {
            Ok(resp) => {
                exchange.response = Some(RecordedResponse {
                    status: resp.status,
                    headers: resp.headers.clone(),
                    body: resp.text(),
                });
                Ok((exchange, resp))
            }
            Err(e) => {
                exchange.error = Some(e.to_string());
                Err((exchange, e))
            }
        }
    }

    async fn send_inner(&self, req: &HttpRequest) -> Result<HttpResponse, HttpError> {
        let host = req.url.host_str().unwrap_or("?").to_string()
            + &req.url.port().map(|p| format!(":{p}")).unwrap_or_default();
        let method = reqwest::Method::from_bytes(req.method.as_bytes())
            .map_err(|e| HttpError::Setup(format!("bad method {}: {e}", req.method)))?;
        let mut builder = self.inner.request(method, req.url.clone());
        for (k, v) in &req.headers {
            builder = builder.header(k, v);
        }
        if let Some(body) = &req.body {
            builder = builder.body(body.clone());
        }
        let classify = |e: reqwest::Error| {
            if let Some((what, detail)) = classify_tls(&e) {
                HttpError::Tls {
                    host: host.clone(),
                    what,
                    detail,
                }
            } else if e.is_timeout() {
                HttpError::Timeout {
                    after: humantime::format_duration(self.options.timeout).to_string(),
                    host: host.clone(),
                }
            } else if e.is_connect() {
                HttpError::Connect {
                    host: host.clone(),
                    detail: error_chain(&e),
                }
            } else {
                HttpError::Other {
                    host: host.clone(),
                    detail: error_chain(&e),
                }
            }
        };
        let mut resp = builder.send().await.map_err(classify)?;
        let status = resp.status().as_u16();
        let headers = resp
            .headers()
            .iter()
            .map(|(k, v)| (k.to_string(), String::from_utf8_lossy(v.as_bytes()).into()))
            .collect();
        let limit = self.options.max_body_bytes;
        if resp.content_length().is_some_and(|n| n as usize > limit) {
            return Err(HttpError::BodyTooLarge { limit });
        }
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(classify)? {
            if body.len() + chunk.len() > limit {
                return Err(HttpError::BodyTooLarge { limit });
            }
            body.extend_from_slice(&chunk);
        }
        Ok(HttpResponse {
            status,
            headers,
            body,
        })
    }
}

/// An error and its sources on one line ("error sending request: connection refused").
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn debug_shows_neither_the_requests_secrets_nor_the_responses_body() {
        let req = HttpRequest::post_form(
            Url::parse("https://as.example/token").unwrap(),
            &[
                ("client_secret", "s3cr3t-value"),
                ("grant_type", "client_credentials"),
            ],
        )
        .header("Authorization", "Bearer tok-123456")
        .secret(SecretKind::ClientSecret, "s3cr3t-value")
        .secret(SecretKind::AccessToken, "tok-123456");
        let shown = format!("{req:?}");
        assert!(
            !shown.contains("s3cr3t-value") && !shown.contains("tok-123456"),
            "{shown}"
        );
        assert!(shown.contains("grant_type=client_credentials"), "{shown}");
        let resp = HttpResponse {
            status: 200,
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: br#"{"access_token":"tok-123456"}"#.to_vec(),
        };
        let shown = format!("{resp:?}");
        assert!(
            !shown.contains("tok-123456") && shown.contains("200"),
            "{shown}"
        );
    }

    #[test]
    fn form_body_is_urlencoded() {
        let req = HttpRequest::post_form(
            url("https://as.example/token"),
            &[("grant_type", "client_credentials"), ("scope", "a b&c")],
        );
        assert_eq!(
            req.body.as_deref(),
            Some("grant_type=client_credentials&scope=a+b%26c")
        );
    }

    #[test]
    fn secrets_are_masked_in_body_url_and_authorization() {
        let req = HttpRequest::post_form(
            url("https://as.example/token?pw=s3cr%26t"),
            &[("client_secret", "s3cr&t"), ("client_id", "app")],
        )
        .header("Authorization", "Basic YXBwOnMzY3ImdA==")
        .secret(SecretKind::ClientSecret, "s3cr&t");
        let ex = Exchange::new("token request", &req);
        let view = ex.request_view(false);
        assert_eq!(
            view.body.as_deref(),
            Some("client_secret=••••••&client_id=app")
        );
        assert!(!view.url.contains("s3cr"), "{}", view.url);
        assert_eq!(view.headers.last().unwrap().1, "Basic ••••••");
        let revealed = ex.request_view(true);
        assert_eq!(
            revealed.body.as_deref(),
            Some("client_secret=s3cr%26t&client_id=app")
        );
        assert!(!ex.to_curl(false).contains("s3cr"));
        assert!(ex.to_curl(true).contains("s3cr%26t"));
    }

    #[test]
    fn curl_quotes_for_the_shell() {
        let req = HttpRequest::post_form(url("https://as.example/token"), &[("a", "b c")])
            .header("X-Note", "it's");
        let curl = Exchange::new("x", &req).to_curl(true);
        assert_eq!(
            curl,
            "curl -X POST https://as.example/token -H 'Content-Type: application/x-www-form-urlencoded' -H 'Accept: application/json' -H 'X-Note: it'\\''s' --data-raw a=b+c"
        );
    }

    #[test]
    fn html_instead_of_json_is_named() {
        let resp = HttpResponse {
            status: 502,
            headers: vec![("Content-Type".into(), "text/html".into())],
            body: b"<html><head><title>Bad Gateway</title></head><body>x</body></html>".to_vec(),
        };
        let err = resp.json_value().unwrap_err().to_string();
        assert!(err.contains("HTML page"), "{err}");
        assert!(err.contains("Bad Gateway"), "{err}");
    }

    #[test]
    fn not_json_shows_the_start_of_the_body() {
        let resp = HttpResponse {
            status: 200,
            headers: vec![],
            body: b"access_token=abc&token_type=bearer".to_vec(),
        };
        let err = resp.json_value().unwrap_err().to_string();
        assert!(err.contains("access_token=abc"), "{err}");
    }

    #[tokio::test]
    async fn oversized_body_is_refused() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            let (mut sock, _) = listener.accept().await.unwrap();
            let mut buf = [0u8; 1024];
            let _ = sock.read(&mut buf).await;
            let body = vec![b'a'; 4096];
            let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\r\n".to_string();
            let _ = sock.write_all(head.as_bytes()).await;
            let _ = sock.write_all(&body).await;
        });
        let client = HttpClient::new(&HttpOptions {
            max_body_bytes: 1000,
            ..HttpOptions::default()
        })
        .unwrap();
        let req = HttpRequest::get(url(&format!("http://{addr}/")));
        let (ex, err) = client.send("big", req).await.unwrap_err();
        assert!(matches!(err, HttpError::BodyTooLarge { limit: 1000 }));
        assert!(ex.error_view(false).unwrap().contains("1000-byte"));
    }

    #[tokio::test]
    async fn silent_server_times_out() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let _keep = tokio::spawn(async move {
            let (_sock, _) = listener.accept().await.unwrap();
            tokio::time::sleep(Duration::from_secs(30)).await;
        });
        let client = HttpClient::new(&HttpOptions {
            timeout: Duration::from_millis(300),
            ..HttpOptions::default()
        })
        .unwrap();
        let req = HttpRequest::get(url(&format!("http://{addr}/")));
        let (_, err) = client.send("slow", req).await.unwrap_err();
        assert!(matches!(err, HttpError::Timeout { .. }), "{err}");
    }
}
