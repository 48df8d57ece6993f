//! The named key store under the config directory (`keys/`): one `NAME.key.pem` (PKCS#8,
//! mode 0600, written atomically) per key and, when it has one, `NAME.cert.pem` with its
//! certificate chain; `NAME.kid` when its `kid` is not its thumbprint; `NAME.use` (`enc`) for
//! a key made to receive encrypted tokens (JWE). A key without `NAME.use` is a signing key, as
//! every key stored before encryption keys existed. Profiles refer to keys by name.

use std::fs;
use std::path::{Path, PathBuf};

use super::KeyError;
use super::cert::Certificate;
use super::jwk::private_key_from_json;
use super::private::PrivateKey;
use crate::private_file::{create_private_dir as create_dir_0700, write_private};

const KEY_SUFFIX: &str = ".key.pem";
const CERT_SUFFIX: &str = ".cert.pem";
/// A key's own `kid` (from the JWK file it was imported from), when not its thumbprint.
const KID_SUFFIX: &str = ".kid";
/// What a key is for, when not signing (`enc`).
const USE_SUFFIX: &str = ".use";

/// What a stored key is registered for: the JWK `use` its public JWK carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum KeyUse {
    /// Signing (client assertions, request objects, DPoP): `use: sig`.
    #[default]
    Sig,
    /// Receiving encrypted tokens (ID tokens, userinfo, JARM, introspection as JWE):
    /// `use: enc`, with the key-management `alg` a provider encrypts to.
    Enc,
}

impl KeyUse {
    /// The JWK `use` value.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyUse::Sig => "sig",
            KeyUse::Enc => "enc",
        }
    }
}

impl std::str::FromStr for KeyUse {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "sig" => Ok(KeyUse::Sig),
            "enc" => Ok(KeyUse::Enc),
            other => Err(format!("unknown key use {other:?}; use sig or enc")),
        }
    }
}

/// A key with its name and its certificate chain (leaf first), if any.
#[derive(Debug)]
pub struct StoredKey {
    /// The store name (or the file it was read from, for a key given as a file).
    pub name: String,
    /// The private key.
    pub key: PrivateKey,
    /// The certificate chain, leaf first; empty when the key has none.
    pub certs: Vec<Certificate>,
    /// Signing, or receiving encrypted tokens.
    pub key_use: KeyUse,
}

impl StoredKey {
    /// The key-management algorithm a provider encrypts to an encryption key with
    /// (RSA-OAEP-256 for RSA, ECDH-ES for EC; RFC 7518 §4.3, §4.6); `None` for a signing key
    /// or a key type that cannot receive (Ed25519).
    pub fn encryption_alg(&self) -> Option<&'static str> {
        if self.key_use != KeyUse::Enc {
            return None;
        }
        match self.key.kind() {
            super::KeyKind::Rsa(_) => Some("RSA-OAEP-256"),
            super::KeyKind::Ec(_) | super::KeyKind::X25519 => Some("ECDH-ES"),
            super::KeyKind::Ed25519 => None,
        }
    }

    /// The public JWK, with `x5c` and `x5t#S256` when there is a certificate. An encryption
    /// key's says `use: enc` and its key-management `alg` ([`Self::encryption_alg`]).
    pub fn public_jwk(&self) -> serde_json::Value {
        let mut jwk = self.key.public_jwk();
        if self.key_use == KeyUse::Enc
            && let Some(map) = jwk.as_object_mut()
        {
            map.insert("use".into(), serde_json::json!("enc"));
            match self.encryption_alg() {
                Some(alg) => map.insert("alg".into(), serde_json::json!(alg)),
                None => map.remove("alg"),
            };
        }
        if let (Some(leaf), Some(map)) = (self.certs.first(), jwk.as_object_mut()) {
            use base64::Engine as _;
            let chain: Vec<String> = self
                .certs
                .iter()
                .map(|c| base64::engine::general_purpose::STANDARD.encode(c.der()))
                .collect();
            map.insert("x5c".into(), serde_json::json!(chain));
            map.insert("x5t#S256".into(), serde_json::json!(leaf.x5t_s256()));
        }
        jwk
    }

    /// The public JWKS (one key), ready to paste into a client registration.
    pub fn public_jwks(&self) -> serde_json::Value {
        serde_json::json!({ "keys": [self.public_jwk()] })
    }

    /// The certificate chain as PEM (empty when there is none).
    pub fn certs_pem(&self) -> String {
        self.certs.iter().map(Certificate::pem).collect()
    }
}

/// The key directory.
#[derive(Debug, Clone)]
pub struct KeyStore {
    dir: PathBuf,
}

/// Checks a key name: 1 to 64 of `A-Z a-z 0-9 . _ -`, not starting with a dot.
pub fn validate_name(name: &str) -> Result<(), KeyError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if ok {
        Ok(())
    } else {
        Err(KeyError::BadName(name.to_string()))
    }
}

/// Reads a key (and any certificates) from a file: PEM, or a JWK/JWKS with the private part.
pub fn read_key_file(path: &Path) -> Result<StoredKey, KeyError> {
    let text = fs::read_to_string(path).map_err(|source| KeyError::Io {
        action: "cannot read",
        path: path.to_path_buf(),
        source,
    })?;
    let (key, certs) = parse_key_text(&text)?;
    Ok(StoredKey {
        name: path.display().to_string(),
        key,
        certs,
        key_use: KeyUse::Sig,
    })
}

fn parse_key_text(text: &str) -> Result<(PrivateKey, Vec<Certificate>), KeyError> {
    if text.trim_start().starts_with('{') {
        return Ok((private_key_from_json(text)?, Vec::new()));
    }
    let key = PrivateKey::from_pem(text)?;
    let certs = Certificate::all_from_pem(text)?;
    Ok((key, certs))
}

impl KeyStore {
    /// The store in `dir` (created on first write).
    pub fn new(dir: impl Into<PathBuf>) -> KeyStore {
        KeyStore { dir: dir.into() }
    }

    /// The store under the grantscope config directory: `CONFIG/keys`.
    pub fn open_default() -> Result<KeyStore, KeyError> {
        crate::paths::config_dir()
            .map(|dir| KeyStore::new(dir.join("keys")))
            .ok_or(KeyError::NoConfigDir)
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn key_path(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}{KEY_SUFFIX}"))
    }

    fn cert_path(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}{CERT_SUFFIX}"))
    }

    fn kid_path(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}{KID_SUFFIX}"))
    }

    fn use_path(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}{USE_SUFFIX}"))
    }

    /// The names of the stored keys, sorted.
    pub fn list(&self) -> Result<Vec<String>, KeyError> {
        let entries = match fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(source) => {
                return Err(KeyError::Io {
                    action: "cannot list",
                    path: self.dir.clone(),
                    source,
                });
            }
        };
        let mut names: Vec<String> = entries
            .filter_map(Result::ok)
            .filter_map(|e| {
                e.file_name()
                    .to_str()
                    .and_then(|n| n.strip_suffix(KEY_SUFFIX))
                    .map(str::to_string)
            })
            .filter(|n| validate_name(n).is_ok())
            .collect();
        names.sort();
        Ok(names)
    }

    /// Whether a key of that name exists.
    pub fn contains(&self, name: &str) -> bool {
        validate_name(name).is_ok() && self.key_path(name).is_file()
    }

    /// Loads a stored key.
    pub fn load(&self, name: &str) -> Result<StoredKey, KeyError> {
        validate_name(name)?;
        let path = self.key_path(name);
        let text = match fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(KeyError::NotFound {
                    name: name.to_string(),
                    dir: self.dir.clone(),
                });
            }
            Err(source) => {
                return Err(KeyError::Io {
                    action: "cannot read",
                    path,
                    source,
                });
            }
        };
        let mut key = PrivateKey::from_pem(&text)
            .map_err(|e| KeyError::Invalid(format!("{}: {e}", path.display())))?;
        if let Ok(kid) = fs::read_to_string(self.kid_path(name)) {
            key = key.with_kid(kid.lines().next().unwrap_or(""));
        }
        let certs = match fs::read_to_string(self.cert_path(name)) {
            Ok(text) => Certificate::all_from_pem(&text)?,
            Err(_) => Vec::new(),
        };
        // An unreadable or unknown `.use` leaves the key a signing key, as before it existed.
        let key_use = fs::read_to_string(self.use_path(name))
            .ok()
            .and_then(|u| u.lines().next().and_then(|l| l.parse().ok()))
            .unwrap_or(if key.kind() == super::KeyKind::X25519 {
                KeyUse::Enc
            } else {
                KeyUse::Sig
            });
        Ok(StoredKey {
            name: name.to_string(),
            key,
            certs,
            key_use,
        })
    }

    /// A key named in the store, else read from the file at that path (`--signing-key
    /// NAME_OR_FILE`).
    pub fn resolve(&self, name_or_file: &str) -> Result<StoredKey, KeyError> {
        if self.contains(name_or_file) {
            return self.load(name_or_file);
        }
        let path = Path::new(name_or_file);
        if path.is_file() {
            return read_key_file(path);
        }
        Err(KeyError::NotFound {
            name: name_or_file.to_string(),
            dir: self.dir.clone(),
        })
    }

    /// Saves a signing key (and its certificates) under `name`; refuses to overwrite.
    pub fn save(
        &self,
        name: &str,
        key: &PrivateKey,
        certs: &[Certificate],
    ) -> Result<(), KeyError> {
        self.save_for(name, key, certs, KeyUse::Sig)
    }

    /// Saves a key for `key_use` (an encryption key: RSA or EC; Ed25519 only signs).
    pub fn save_for(
        &self,
        name: &str,
        key: &PrivateKey,
        certs: &[Certificate],
        key_use: KeyUse,
    ) -> Result<(), KeyError> {
        validate_name(name)?;
        // An X25519 key can only receive: it is an encryption key whatever was asked.
        let key_use = if key.kind() == super::KeyKind::X25519 {
            KeyUse::Enc
        } else {
            key_use
        };
        if key_use == KeyUse::Enc && key.kind() == super::KeyKind::Ed25519 {
            return Err(KeyError::Invalid(
                "an Ed25519 key only signs; an encryption key is RSA or EC (ECDH-ES)".into(),
            ));
        }
        if self.contains(name) {
            return Err(KeyError::Exists(name.to_string()));
        }
        create_private_dir(&self.dir)?;
        let write = |path: PathBuf, text: &str| {
            write_private(&path, text.as_bytes()).map_err(|source| KeyError::Io {
                action: "cannot write",
                path,
                source,
            })
        };
        // The certificate first: a key file is what makes the entry exist.
        if certs.is_empty() {
            let _ = fs::remove_file(self.cert_path(name));
        } else {
            let pem: String = certs.iter().map(Certificate::pem).collect();
            write(self.cert_path(name), &pem)?;
        }
        if key.kid() == key.thumbprint() {
            let _ = fs::remove_file(self.kid_path(name));
        } else {
            write(self.kid_path(name), &format!("{}\n", key.kid()))?;
        }
        match key_use {
            KeyUse::Sig => {
                let _ = fs::remove_file(self.use_path(name));
            }
            KeyUse::Enc => write(self.use_path(name), "enc\n")?,
        }
        write(self.key_path(name), &key.reveal_pkcs8_pem())?;
        Ok(())
    }

    /// Imports a key file (PEM with optional certificates, or a private JWK/JWKS) as `name`.
    pub fn import(&self, name: &str, file: &Path) -> Result<StoredKey, KeyError> {
        self.import_for(name, file, KeyUse::Sig)
    }

    /// [`Self::import`] for `key_use` (an encryption key a provider already encrypts to).
    pub fn import_for(
        &self,
        name: &str,
        file: &Path,
        key_use: KeyUse,
    ) -> Result<StoredKey, KeyError> {
        validate_name(name)?;
        let read = read_key_file(file)?;
        self.save_for(name, &read.key, &read.certs, key_use)?;
        self.load(name)
    }

    /// Deletes a key and its certificates.
    pub fn delete(&self, name: &str) -> Result<(), KeyError> {
        validate_name(name)?;
        let path = self.key_path(name);
        if !path.is_file() {
            return Err(KeyError::NotFound {
                name: name.to_string(),
                dir: self.dir.clone(),
            });
        }
        fs::remove_file(&path).map_err(|source| KeyError::Io {
            action: "cannot delete",
            path,
            source,
        })?;
        let _ = fs::remove_file(self.cert_path(name));
        let _ = fs::remove_file(self.kid_path(name));
        let _ = fs::remove_file(self.use_path(name));
        Ok(())
    }
}

fn create_private_dir(dir: &Path) -> Result<(), KeyError> {
    create_dir_0700(dir).map_err(|source| KeyError::Io {
        action: "cannot create",
        path: dir.to_path_buf(),
        source,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::keys::cert::self_signed;
    use crate::keys::private::GenerateType;

    #[test]
    fn save_list_load_delete() {
        let dir = tempfile::tempdir().unwrap();
        let store = KeyStore::new(dir.path().join("keys"));
        assert!(store.list().unwrap().is_empty());
        let key = PrivateKey::generate(GenerateType::EcP256).unwrap();
        let cert = self_signed(&key, "client").unwrap();
        store
            .save("mine", &key, std::slice::from_ref(&cert))
            .unwrap();
        assert!(matches!(
            store.save("mine", &key, &[]),
            Err(KeyError::Exists(_))
        ));
        assert_eq!(store.list().unwrap(), vec!["mine"]);
        let loaded = store.load("mine").unwrap();
        assert_eq!(loaded.key.kid(), key.kid());
        assert_eq!(loaded.certs, vec![cert.clone()]);
        assert_eq!(loaded.public_jwk()["x5t#S256"], cert.x5t_s256());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = fs::metadata(store.key_path("mine"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        // Import of the key file under another name; a file path resolves too.
        let imported = store.import("copy", &store.key_path("mine")).unwrap();
        assert_eq!(imported.key.kid(), key.kid());
        let by_path = store.resolve(store.cert_path("mine").to_str().unwrap());
        assert!(by_path.is_err(), "a certificate alone is not a key");
        store.delete("mine").unwrap();
        assert!(matches!(store.load("mine"), Err(KeyError::NotFound { .. })));
        assert_eq!(store.list().unwrap(), vec!["copy"]);
    }

    #[test]
    fn a_jwk_files_kid_survives_import_and_load() {
        let dir = tempfile::tempdir().unwrap();
        let store = KeyStore::new(dir.path().join("keys"));
        // RFC 8037 Appendix A.1's Ed25519 key, registered under a kid of its own.
        let file = dir.path().join("client.jwk");
        let jwk = serde_json::json!({
            "kty": "OKP", "crv": "Ed25519", "kid": "registered-1",
            "d": "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A",
            "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"
        });
        fs::write(&file, jwk.to_string()).unwrap();
        assert_eq!(read_key_file(&file).unwrap().key.kid(), "registered-1");
        store.import("client", &file).unwrap();
        let loaded = store.load("client").unwrap();
        assert_eq!(loaded.key.kid(), "registered-1");
        assert_eq!(
            loaded.key.thumbprint(),
            "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
        );
        store.delete("client").unwrap();
        assert!(!store.kid_path("client").exists(), "deleted with its key");
    }

    /// An encryption key keeps its use across a reload, and its public JWK says `use: enc`
    /// with the algorithm a provider encrypts to; a key stored before (no `.use`) signs.
    #[test]
    fn encryption_keys_say_use_enc() {
        let dir = tempfile::tempdir().unwrap();
        let store = KeyStore::new(dir.path().join("keys"));
        let rsa = PrivateKey::generate(GenerateType::Rsa2048).unwrap();
        let ec = PrivateKey::generate(GenerateType::EcP256).unwrap();
        store.save_for("r", &rsa, &[], KeyUse::Enc).unwrap();
        store.save_for("e", &ec, &[], KeyUse::Enc).unwrap();
        store.save("s", &ec, &[]).unwrap();
        let r = store.load("r").unwrap();
        assert_eq!(r.key_use, KeyUse::Enc);
        assert_eq!(r.public_jwk()["use"], "enc");
        assert_eq!(r.public_jwk()["alg"], "RSA-OAEP-256");
        assert_eq!(r.public_jwk()["kid"], rsa.kid());
        assert_eq!(store.load("e").unwrap().public_jwk()["alg"], "ECDH-ES");
        let s = store.load("s").unwrap();
        assert_eq!(
            (s.key_use, s.public_jwk()["use"].clone()),
            (KeyUse::Sig, "sig".into())
        );
        let ed = PrivateKey::generate(GenerateType::Ed25519).unwrap();
        assert!(store.save_for("ed", &ed, &[], KeyUse::Enc).is_err());
        // X25519: stored as PKCS#8 (RFC 8410), read back the same, always an encryption key.
        let x = PrivateKey::generate_x25519().unwrap();
        store.save("x", &x, &[]).unwrap();
        let loaded = store.load("x").unwrap();
        assert_eq!(loaded.key.kind(), crate::keys::KeyKind::X25519);
        assert_eq!(loaded.key.kid(), x.kid());
        assert_eq!(loaded.key_use, KeyUse::Enc);
        let jwk = loaded.public_jwk();
        assert_eq!(
            (&jwk["kty"], &jwk["crv"]),
            (&"OKP".into(), &"X25519".into())
        );
        assert_eq!(
            (&jwk["use"], &jwk["alg"]),
            (&"enc".into(), &"ECDH-ES".into())
        );
        assert!(loaded.key.sign(crate::keys::JwsAlg::EdDsa, b"m").is_err());
        assert!(loaded.key.algorithms().is_empty());
        assert!(!store.contains("ed"));
        store.delete("r").unwrap();
        assert!(!store.use_path("r").exists(), "deleted with its key");
    }

    #[test]
    fn names_are_checked() {
        for bad in ["", ".hidden", "a/b", "../x", &"x".repeat(65)] {
            assert!(validate_name(bad).is_err(), "{bad}");
        }
        validate_name("prod-entra_2026.v1").unwrap();
    }
}
