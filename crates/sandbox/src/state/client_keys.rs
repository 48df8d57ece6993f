//! The sandbox's client-side key material, generated into its key directory (`clients/`) on
//! first start and printed at start-up so a person or a test can use it: the `private_key_jwt`
//! client's key, the test CA with the TLS listener's server certificate, the `tls_client_auth`
//! client's CA-issued certificate, and the `self_signed_tls_client_auth` client's certificate.

use std::path::{Path, PathBuf};

use grantscope_core::keys::{
    CertUse, Certificate, GenerateType, KeyError, KeyStore, PrivateKey, StoredKey, TestCa,
    self_signed,
};

/// Store name of the `private_key_jwt` client's key.
pub const JWT_CLIENT_KEY: &str = "sandbox-jwt";
/// Store name of the test CA.
pub const CA_KEY: &str = "test-ca";
/// Store name of the TLS listener's key and certificate.
pub const SERVER_KEY: &str = "tls-server";
/// Store name of the `tls_client_auth` client's key and CA-issued certificate.
pub const MTLS_CLIENT_KEY: &str = "sandbox-mtls";
/// Store name of the `self_signed_tls_client_auth` client's key and certificate.
pub const SELF_SIGNED_CLIENT_KEY: &str = "sandbox-selfsigned";

/// Common name of the test CA.
pub const CA_NAME: &str = "grantscope sandbox test CA";

/// Everything the sandbox holds for its client-authentication methods.
#[derive(Debug)]
pub(crate) struct ClientKeys {
    pub dir: PathBuf,
    pub jwt: StoredKey,
    pub ca: StoredKey,
    pub server: StoredKey,
    pub mtls: StoredKey,
    pub self_signed: StoredKey,
}

impl ClientKeys {
    /// Loads the material from `dir`, generating what is missing. The CA and the certificates
    /// it issued are made together, so they always match.
    pub(crate) fn load_or_create(dir: &Path) -> Result<ClientKeys, KeyError> {
        let store = KeyStore::new(dir);
        let jwt = load_or(&store, JWT_CLIENT_KEY, || {
            Ok((PrivateKey::generate(GenerateType::EcP256)?, Vec::new()))
        })?;
        let self_signed = load_or(&store, SELF_SIGNED_CLIENT_KEY, || {
            let key = PrivateKey::generate(GenerateType::EcP256)?;
            let cert = self_signed(&key, SELF_SIGNED_CLIENT_KEY)?;
            Ok((key, vec![cert]))
        })?;
        let pki = [CA_KEY, SERVER_KEY, MTLS_CLIENT_KEY];
        let complete = pki.iter().all(|name| {
            store
                .load(name)
                .is_ok_and(|stored| !stored.certs.is_empty())
        });
        if !complete {
            for name in pki {
                if store.contains(name) {
                    store.delete(name)?;
                }
            }
            let ca_key = PrivateKey::generate(GenerateType::EcP256)?;
            let ca = TestCa::new(&ca_key, CA_NAME)?;
            let server_key = PrivateKey::generate(GenerateType::EcP256)?;
            let server_cert = ca.issue(
                &server_key,
                "127.0.0.1",
                &["127.0.0.1", "localhost"],
                CertUse::Server,
            )?;
            let mtls_key = PrivateKey::generate(GenerateType::EcP256)?;
            let mtls_cert = ca.issue(&mtls_key, MTLS_CLIENT_KEY, &[], CertUse::Client)?;
            let ca_cert = ca.certificate().clone();
            store.save(CA_KEY, &ca_key, std::slice::from_ref(&ca_cert))?;
            store.save(SERVER_KEY, &server_key, &[server_cert, ca_cert])?;
            store.save(MTLS_CLIENT_KEY, &mtls_key, &[mtls_cert])?;
        }
        Ok(ClientKeys {
            dir: dir.to_path_buf(),
            jwt,
            ca: store.load(CA_KEY)?,
            server: store.load(SERVER_KEY)?,
            mtls: store.load(MTLS_CLIENT_KEY)?,
            self_signed,
        })
    }

    /// The PEM file of a stored key.
    pub(crate) fn key_file(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}.key.pem"))
    }

    /// The PEM file of a stored certificate chain.
    pub(crate) fn cert_file(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}.cert.pem"))
    }

    /// The CA certificate (the trust anchor for the TLS listener).
    pub(crate) fn ca_cert(&self) -> Option<&Certificate> {
        self.ca.certs.first()
    }

    /// `x5t#S256` of the self-signed client's registered certificate.
    pub(crate) fn self_signed_thumbprint(&self) -> Option<String> {
        self.self_signed.certs.first().map(Certificate::x5t_s256)
    }
}

fn load_or(
    store: &KeyStore,
    name: &str,
    make: impl FnOnce() -> Result<(PrivateKey, Vec<Certificate>), KeyError>,
) -> Result<StoredKey, KeyError> {
    if store.contains(name) {
        return store.load(name);
    }
    let (key, certs) = make()?;
    store.save(name, &key, &certs)?;
    store.load(name)
}
