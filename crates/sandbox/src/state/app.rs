//! The state shared by every request of one running sandbox: its settings, issuer, signing keys
//! and the in-memory store of grants and tokens.

use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard};

use crate::state::client_keys::ClientKeys;
use crate::state::clients::{SeededClient, find_client};
use crate::state::config::SandboxConfig;
use crate::state::dpop_memory::DpopMemory;
use crate::state::keys::KeySet;
use crate::state::registry::Registry;
use crate::state::store::Store;
use crate::state::tls::CaCheck;

/// State shared by every request of one running sandbox.
pub(crate) struct App {
    pub config: SandboxConfig,
    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub issuer: String,
    pub keys: RwLock<KeySet>,
    pub key_dir: PathBuf,
    /// The clients' keys and certificates, and the test CA.
    pub client_keys: ClientKeys,
    /// Checks client certificates against the test CA.
    pub ca_check: CaCheck,
    /// `https://127.0.0.1:TLS_PORT` of the TLS listener, once bound.
    pub tls_base: Option<String>,
    /// DPoP proofs seen (replay window) and server nonces (RFC 9449).
    pub dpop: DpopMemory,
    store: Mutex<Store>,
    /// Clients registered at run time (RFC 7591).
    registry: Mutex<Registry>,
}

impl App {
    pub(crate) fn new(
        config: SandboxConfig,
        issuer: String,
        keys: KeySet,
        key_dir: PathBuf,
        client_keys: ClientKeys,
        ca_check: CaCheck,
        tls_base: Option<String>,
    ) -> Self {
        App {
            config,
            issuer,
            keys: RwLock::new(keys),
            key_dir,
            client_keys,
            ca_check,
            tls_base,
            dpop: DpopMemory::default(),
            store: Mutex::new(Store::default()),
            registry: Mutex::new(Registry::default()),
        }
    }

    /// The store; a panic in another request never makes it unusable.
    pub(crate) fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The clients registered at run time.
    pub(crate) fn registry(&self) -> MutexGuard<'_, Registry> {
        self.registry.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A seeded client, or one registered at run time.
    pub(crate) fn find_client(&self, id: &str) -> Option<&'static SeededClient> {
        find_client(id).or_else(|| self.registry().get(id).map(|r| r.client))
    }

    /// The signing keys.
    pub(crate) fn keys(&self) -> RwLockReadGuard<'_, KeySet> {
        self.keys.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// An absolute URL on this server.
    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.issuer)
    }

    /// An absolute URL on the TLS listener (the RFC 8705 endpoint alias), if it runs.
    pub(crate) fn tls_url(&self, path: &str) -> Option<String> {
        self.tls_base.as_ref().map(|base| format!("{base}{path}"))
    }

    /// The values an assertion's `aud` may hold for a request to `path`: the issuer, the token
    /// endpoint, and `path` itself, on either listener.
    pub(crate) fn assertion_audiences(&self, path: &str) -> Vec<String> {
        let mut out = vec![self.issuer.clone(), self.url("/token"), self.url(path)];
        out.extend(self.tls_url("/token"));
        out.extend(self.tls_url(path));
        out.dedup();
        out
    }
}

#[cfg(test)]
impl App {
    /// An application on `http://127.0.0.1:1` with keys in a temporary directory.
    #[allow(clippy::unwrap_used)]
    pub(crate) fn for_tests(
        switches: crate::state::config::UnsafeSwitches,
    ) -> (App, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let keys = KeySet::load_or_create(&dir.path().join("signing")).unwrap();
        let client_keys = ClientKeys::load_or_create(&dir.path().join("clients")).unwrap();
        let ca_check = CaCheck::new(&client_keys).unwrap();
        let config = SandboxConfig {
            unsafe_switches: switches,
            ..SandboxConfig::default()
        };
        let app = App::new(
            config,
            "http://127.0.0.1:1".into(),
            keys,
            dir.path().to_path_buf(),
            client_keys,
            ca_check,
            Some("https://127.0.0.1:2".into()),
        );
        (app, dir)
    }
}
