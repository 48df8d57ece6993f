//! Transport settings: as a profile stores them ([`HttpSettings`], seconds and bytes) and as a
//! client is built with them ([`HttpOptions`]), with the client certificate they name resolved.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::tls::{CaCerts, ClientIdentity};
use crate::keys::KeyStore;

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
            let stored = keys.resolve(cert).map_err(|e| {
                tls(format!(
                    "client certificate {cert}: {e} (a certificate file needs its key file too)"
                ))
            })?;
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
                    "a client key without a client certificate: give the certificate too".into(),
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
