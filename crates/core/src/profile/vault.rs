//! Client secrets at rest in the OS keychain (Secret Service on Linux, Keychain on macOS,
//! Credential Manager on Windows) through the `keyring` crate, where one answers. Where none
//! does (CI, headless machines, a desktop without a secret service) the secret stays in the
//! profile file, which only its owner can read (mode 0600); the profile says where its secret
//! lives ([`SecretStore`](super::model::SecretStore)).
//!
//! Which to use: `GRANTSCOPE_SECRET_STORE=file|keychain` decides; unset, the keychain is used
//! when it answers, except under `GRANTSCOPE_CONFIG_DIR` (a test or sandboxed set-up, which
//! must not touch the user's keychain), where the file is used.

use std::path::Path;

/// The keychain's service name for every grantscope entry.
pub const SERVICE: &str = "grantscope";

/// Where a store keeps client secrets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Vault {
    /// In the profile file (0600).
    File,
    /// In the default `keyring_core` credential store (the OS keychain; a mock in tests).
    Keychain,
    /// The OS keychain if it answers, else the file: decided at the first use (it may take a
    /// D-Bus round trip, so not at start-up, and never on a UI thread), then kept.
    Auto,
}

impl Vault {
    /// The vault for the store at the default location, as the environment says (above).
    pub fn from_environment() -> Vault {
        match std::env::var("GRANTSCOPE_SECRET_STORE").ok().as_deref() {
            Some("file") => Vault::File,
            Some("keychain") => Vault::Auto,
            _ if std::env::var_os("GRANTSCOPE_CONFIG_DIR").is_some() => Vault::File,
            _ => Vault::Auto,
        }
    }

    /// `File` or `Keychain`: `Auto` resolved (once per process).
    pub fn resolve(self) -> Vault {
        static PROBED: std::sync::OnceLock<Vault> = std::sync::OnceLock::new();
        match self {
            Vault::Auto => *PROBED.get_or_init(os_keychain),
            other => other,
        }
    }
}

/// The OS keychain if it answers, else the file.
fn os_keychain() -> Vault {
    // Initialises the platform's store once (a session D-Bus connection on Linux) and makes it
    // the default `keyring_core` store.
    if keyring::Entry::store_status().is_ok() {
        Vault::Keychain
    } else {
        Vault::File
    }
}

/// A keychain failure, worded for people.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the OS keychain {action} failed: {detail}")]
pub struct VaultError {
    pub action: &'static str,
    pub detail: String,
}

pub(crate) fn entry(dir: &Path, name: &str) -> Result<keyring_core::Entry, VaultError> {
    // One entry per profile file: the directory keeps two config dirs apart.
    let user = format!("profile:{}/{name}", dir.display());
    keyring_core::Entry::new(SERVICE, &user).map_err(|e| VaultError {
        action: "lookup",
        detail: e.to_string(),
    })
}

/// Stores a profile's secret in the keychain.
pub fn store(dir: &Path, name: &str, secret: &str) -> Result<(), VaultError> {
    entry(dir, name)?
        .set_password(secret)
        .map_err(|e| VaultError {
            action: "write",
            detail: e.to_string(),
        })
}

/// Reads a profile's secret from the keychain; `None` when it has none.
pub fn fetch(dir: &Path, name: &str) -> Result<Option<String>, VaultError> {
    match entry(dir, name)?.get_password() {
        Ok(s) => Ok(Some(s)),
        Err(keyring_core::Error::NoEntry) => Ok(None),
        Err(e) => Err(VaultError {
            action: "read",
            detail: e.to_string(),
        }),
    }
}

/// Removes a profile's secret from the keychain (nothing to remove is fine).
pub fn remove(dir: &Path, name: &str) -> Result<(), VaultError> {
    match entry(dir, name)?.delete_credential() {
        Ok(()) | Err(keyring_core::Error::NoEntry) => Ok(()),
        Err(e) => Err(VaultError {
            action: "delete",
            detail: e.to_string(),
        }),
    }
}
