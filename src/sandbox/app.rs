//! The state shared by every request of one running sandbox: its settings, issuer, signing keys
//! and the in-memory store of grants and tokens.

use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard};

use super::config::SandboxConfig;
use super::keys::KeySet;
use super::store::Store;

/// State shared by every request of one running sandbox.
pub(crate) struct App {
    pub config: SandboxConfig,
    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub issuer: String,
    pub keys: RwLock<KeySet>,
    pub key_dir: PathBuf,
    store: Mutex<Store>,
}

impl App {
    pub(crate) fn new(
        config: SandboxConfig,
        issuer: String,
        keys: KeySet,
        key_dir: PathBuf,
    ) -> Self {
        App {
            config,
            issuer,
            keys: RwLock::new(keys),
            key_dir,
            store: Mutex::new(Store::default()),
        }
    }

    /// The store; a panic in another request never makes it unusable.
    pub(crate) fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The signing keys.
    pub(crate) fn keys(&self) -> RwLockReadGuard<'_, KeySet> {
        self.keys.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// An absolute URL on this server.
    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.issuer)
    }
}
