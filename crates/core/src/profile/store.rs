//! The profile store: one JSON file per profile in `<config dir>/profiles/`, so a damaged file
//! costs one profile, never the others. Writes are atomic (temp file, fsync, rename, fsync of
//! the directory) and files are readable by their owner only (0600, directory 0700); a temp
//! file left by a writer that was killed mid-save is removed at the next write ([`crate::private_file`]). Client secrets
//! go to the OS keychain where one answers ([`super::vault`]), else stay in the file.

use std::fs;
use std::path::{Path, PathBuf};

use thiserror::Error;

use super::model::{FORMAT_VERSION, Profile, SecretStore};
use super::vault::{self, Vault, VaultError};
use crate::private_file::{create_private_dir, write_private};

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("no config directory could be found; set GRANTSCOPE_CONFIG_DIR")]
    NoConfigDir,
    #[error(
        "invalid profile name {0:?}: use 1-64 letters, digits, spaces, '-', '_' or '.' (at most 200 bytes), not starting with '.'"
    )]
    BadName(String),
    #[error("no profile named {0:?} (see `grantscope profile list`)")]
    NotFound(String),
    #[error("a profile named {0:?} already exists")]
    Exists(String),
    #[error(
        "profile file {path} is damaged ({reason}); it was moved aside to {moved_to} and left untouched there"
    )]
    Corrupt {
        path: PathBuf,
        reason: String,
        moved_to: PathBuf,
    },
    #[error(
        "profile file {path} was written by a newer grantscope (format version {found}, this one reads {FORMAT_VERSION}); it was left as is"
    )]
    TooNew { path: PathBuf, found: u32 },
    #[error("{path} is not a grantscope profile: {reason}")]
    BadImport { path: PathBuf, reason: String },
    #[error(
        "profile {name:?} keeps its client secret in the OS keychain, which cannot be read here ({source}); give the secret another way (GRANTSCOPE_CLIENT_SECRET) or save the profile again"
    )]
    Keychain {
        name: String,
        #[source]
        source: VaultError,
        /// The profile without its secret.
        profile: Box<Profile>,
    },
    #[error("{action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

fn io<'a>(
    action: &'static str,
    path: &'a Path,
) -> impl FnOnce(std::io::Error) -> StoreError + use<'a> {
    move |source| StoreError::Io {
        action,
        path: path.to_path_buf(),
        source,
    }
}

/// The result of reading every profile: what loaded, and what was damaged and set aside.
#[derive(Debug, Default)]
pub struct Listing {
    pub profiles: Vec<Profile>,
    pub problems: Vec<StoreError>,
}

#[derive(Debug, Clone)]
pub struct ProfileStore {
    dir: PathBuf,
    vault: Vault,
}

/// Longest profile name in bytes (UTF-8), so that its temp file name fits in 255 bytes.
pub const MAX_NAME_BYTES: usize = 200;

/// Whether a name can be a profile (and so a file) name.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.chars().count() <= 64
        // The file system's limit is 255 bytes for `.NAME.json.tmp-PID-RAND`, not 64 chars.
        && name.len() <= MAX_NAME_BYTES
        && !name.starts_with('.')
        && name.trim() == name
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_' | '.'))
}

impl ProfileStore {
    /// The store in `<config dir>/profiles`.
    pub fn default_location() -> Result<Self, StoreError> {
        let base = crate::paths::config_dir().ok_or(StoreError::NoConfigDir)?;
        Ok(Self::at(base.join("profiles")).with_vault(Vault::from_environment()))
    }

    /// A store in an explicit directory (created on first write), secrets in the files.
    pub fn at(dir: impl Into<PathBuf>) -> Self {
        Self {
            dir: dir.into(),
            vault: Vault::File,
        }
    }

    /// The same store with client secrets kept in `vault`.
    pub fn with_vault(mut self, vault: Vault) -> Self {
        self.vault = vault;
        self
    }

    /// Where this store keeps client secrets.
    pub fn vault(&self) -> Vault {
        self.vault
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn path_of(&self, name: &str) -> Result<PathBuf, StoreError> {
        if !valid_name(name) {
            return Err(StoreError::BadName(name.to_string()));
        }
        Ok(self.dir.join(format!("{name}.json")))
    }

    /// Every profile, sorted by name. Damaged files are moved aside and reported, not fatal.
    pub fn list(&self) -> Result<Listing, StoreError> {
        let mut listing = Listing::default();
        let entries = match fs::read_dir(&self.dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(listing),
            Err(e) => return Err(io("cannot read", &self.dir)(e)),
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let Some(name) = path
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.strip_suffix(".json"))
            else {
                continue;
            };
            if !valid_name(name) {
                continue;
            }
            match self.load(name) {
                Ok(p) => listing.profiles.push(p),
                // Listed all the same (without its secret), and the problem said.
                Err(StoreError::Keychain {
                    name,
                    source,
                    profile,
                }) => {
                    listing.profiles.push((*profile).clone());
                    listing.problems.push(StoreError::Keychain {
                        name,
                        source,
                        profile,
                    });
                }
                Err(e) => listing.problems.push(e),
            }
        }
        listing.profiles.sort_by_key(|p| p.name.to_lowercase());
        Ok(listing)
    }

    /// Reads one profile. A damaged file is moved aside (`NAME.json.corrupt-<time>`).
    pub fn load(&self, name: &str) -> Result<Profile, StoreError> {
        let path = self.path_of(name)?;
        let text = match fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(StoreError::NotFound(name.to_string()));
            }
            Err(e) if e.kind() == std::io::ErrorKind::InvalidData => {
                return Err(self.set_aside(&path, "not UTF-8 text".into()));
            }
            Err(e) => return Err(io("cannot read", &path)(e)),
        };
        let value: serde_json::Value = match serde_json::from_str(&text) {
            Ok(v) => v,
            Err(e) => return Err(self.set_aside(&path, format!("not valid JSON: {e}"))),
        };
        let version = value.get("version").and_then(|v| v.as_u64()).unwrap_or(0);
        if version > u64::from(FORMAT_VERSION) {
            return Err(StoreError::TooNew {
                path,
                found: version as u32,
            });
        }
        let mut profile: Profile = match serde_json::from_value(value) {
            Ok(p) => p,
            Err(e) => return Err(self.set_aside(&path, format!("unexpected content: {e}"))),
        };
        // The file name is the profile's identity.
        profile.name = name.to_string();
        profile.version = FORMAT_VERSION;
        if profile.secret_store == SecretStore::Keychain && profile.client_secret.is_none() {
            let fetched = match self.vault.resolve() {
                Vault::Keychain => vault::fetch(&self.dir, name),
                Vault::File | Vault::Auto => Err(VaultError {
                    action: "lookup",
                    detail: "this store does not use the keychain (GRANTSCOPE_SECRET_STORE or GRANTSCOPE_CONFIG_DIR)".into(),
                }),
            };
            let fetched = fetched.and_then(|secret| {
                let token = if profile.registration_client_uri.is_some() {
                    vault::fetch(&self.dir, &registration_entry(name))?
                } else {
                    None
                };
                Ok((secret, token))
            });
            match fetched {
                Ok((secret, token)) => {
                    profile.client_secret = secret.map(Into::into);
                    if profile.registration_access_token.is_none() {
                        profile.registration_access_token = token.map(Into::into);
                    }
                }
                Err(source) => {
                    return Err(StoreError::Keychain {
                        name: name.to_string(),
                        source,
                        profile: Box::new(profile),
                    });
                }
            }
        }
        Ok(profile)
    }

    fn set_aside(&self, path: &Path, reason: String) -> StoreError {
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let mut moved_to = path.as_os_str().to_owned();
        moved_to.push(format!(".corrupt-{stamp}"));
        let moved_to = PathBuf::from(moved_to);
        match fs::rename(path, &moved_to) {
            Ok(()) => StoreError::Corrupt {
                path: path.to_path_buf(),
                reason,
                moved_to,
            },
            Err(e) => StoreError::Corrupt {
                path: path.to_path_buf(),
                reason: format!("{reason}; moving it aside failed too: {e}"),
                moved_to: path.to_path_buf(),
            },
        }
    }

    pub fn exists(&self, name: &str) -> bool {
        self.path_of(name).map(|p| p.exists()).unwrap_or(false)
    }

    /// Creates or replaces a profile, atomically. The client secret goes to the keychain when
    /// this store uses one and it takes the secret; otherwise into the file (0600). Returns
    /// the file's path and where the secret went.
    pub fn save(&self, profile: &Profile) -> Result<PathBuf, StoreError> {
        let path = self.path_of(&profile.name)?;
        ensure_private_dir(&self.dir)?;
        let mut p = profile.clone();
        p.version = FORMAT_VERSION;
        p.secret_store = SecretStore::File;
        let secret = p.client_secret.clone().filter(|s| !s.is_empty());
        let token = p
            .registration_access_token
            .clone()
            .filter(|t| !t.is_empty());
        if self.vault.resolve() == Vault::Keychain {
            // Both secrets go to the keychain, or both stay in the owner-only file.
            let stored = secret
                .as_ref()
                .is_none_or(|s| vault::store(&self.dir, &p.name, s.expose()).is_ok())
                && token.as_ref().is_none_or(|t| {
                    vault::store(&self.dir, &registration_entry(&p.name), t.expose()).is_ok()
                });
            if secret.is_none() {
                let _ = vault::remove(&self.dir, &p.name);
            }
            if token.is_none() {
                let _ = vault::remove(&self.dir, &registration_entry(&p.name));
            }
            if stored && (secret.is_some() || token.is_some()) {
                p.client_secret = None;
                p.registration_access_token = None;
                p.secret_store = SecretStore::Keychain;
            }
        }
        write_atomic(&path, &to_pretty_json(&p))?;
        Ok(path)
    }

    pub fn delete(&self, name: &str) -> Result<(), StoreError> {
        let path = self.path_of(name)?;
        if self.vault.resolve() == Vault::Keychain {
            let _ = vault::remove(&self.dir, name);
            let _ = vault::remove(&self.dir, &registration_entry(name));
        }
        match fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                Err(StoreError::NotFound(name.to_string()))
            }
            Err(e) => Err(io("cannot delete", &path)(e)),
        }
    }

    /// Reads a profile file from anywhere and stores it (under `rename` if given).
    pub fn import(
        &self,
        file: &Path,
        rename: Option<&str>,
        replace: bool,
    ) -> Result<Profile, StoreError> {
        let text = fs::read_to_string(file).map_err(io("cannot read", file))?;
        let bad = |reason: String| StoreError::BadImport {
            path: file.to_path_buf(),
            reason,
        };
        let value: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| bad(format!("not valid JSON: {e}")))?;
        if !value.is_object() {
            return Err(bad("not a JSON object".into()));
        }
        let version = value.get("version").and_then(|v| v.as_u64()).unwrap_or(0);
        if version > u64::from(FORMAT_VERSION) {
            return Err(bad(format!(
                "format version {version} is newer than this grantscope"
            )));
        }
        let mut profile: Profile =
            serde_json::from_value(value).map_err(|e| bad(format!("unexpected content: {e}")))?;
        if let Some(n) = rename {
            profile.name = n.to_string();
        }
        if profile.name.is_empty() {
            return Err(bad("it has no `name`; give one".into()));
        }
        profile.endpoints().map_err(|e| bad(e.to_string()))?;
        if !replace && self.exists(&profile.name) {
            return Err(StoreError::Exists(profile.name));
        }
        self.save(&profile)?;
        Ok(profile)
    }

    /// Writes a profile to a file to share; the secret only if asked.
    pub fn export(&self, name: &str, file: &Path, include_secret: bool) -> Result<(), StoreError> {
        let profile = self.load(name)?;
        let out = if include_secret {
            // The copy carries its secret in the file, wherever it lives here.
            Profile {
                secret_store: SecretStore::File,
                ..profile
            }
        } else {
            profile.without_secret()
        };
        write_atomic(file, &to_pretty_json(&out))
    }
}

/// The keychain entry of a profile's registration access token (RFC 7592), beside the one of
/// its client secret.
fn registration_entry(name: &str) -> String {
    format!("{name}#registration_access_token")
}

fn to_pretty_json(p: &Profile) -> String {
    let mut s = serde_json::to_string_pretty(p).unwrap_or_else(|_| "{}".into());
    s.push('\n');
    s
}

fn ensure_private_dir(dir: &Path) -> Result<(), StoreError> {
    create_private_dir(dir).map_err(io("cannot create", dir))
}

/// Writes `contents` to `path` through the one private-file writer
/// ([`crate::private_file::write_private`]: atomic, 0600, a dead writer's temp file removed).
fn write_atomic(path: &Path, contents: &str) -> Result<(), StoreError> {
    write_private(path, contents.as_bytes()).map_err(io("cannot write", path))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oauth::AuthMethod;

    fn sample(name: &str) -> Profile {
        Profile {
            name: name.into(),
            issuer: Some("http://127.0.0.1:3000".into()),
            client_id: "machine".into(),
            client_secret: Some("s3cret".into()),
            auth_method: Some(AuthMethod::ClientSecretPost),
            scope: Some("api".into()),
            resources: vec!["urn:api".into()],
            ..Default::default()
        }
    }

    #[test]
    fn round_trip_and_permissions() {
        let tmp = tempfile::tempdir().unwrap();
        let store = ProfileStore::at(tmp.path().join("profiles"));
        let p = sample("Local sandbox");
        let path = store.save(&p).unwrap();
        assert_eq!(store.load("Local sandbox").unwrap(), p);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
            let dmode = fs::metadata(store.dir()).unwrap().permissions().mode() & 0o777;
            assert_eq!(dmode, 0o700);
        }
        let text = fs::read_to_string(&path).unwrap();
        assert!(text.contains("\"version\": 1"), "{text}");
        assert_eq!(store.list().unwrap().profiles, vec![p]);
    }

    #[test]
    fn atomic_replace_leaves_no_temp_files() {
        let tmp = tempfile::tempdir().unwrap();
        let store = ProfileStore::at(tmp.path());
        let mut p = sample("a");
        store.save(&p).unwrap();
        p.scope = Some("other".into());
        store.save(&p).unwrap();
        assert_eq!(store.load("a").unwrap().scope.as_deref(), Some("other"));
        let names: Vec<_> = fs::read_dir(tmp.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(names, vec!["a.json".to_string()]);
    }

    #[test]
    fn corrupted_file_is_set_aside_and_others_survive() {
        let tmp = tempfile::tempdir().unwrap();
        let store = ProfileStore::at(tmp.path());
        store.save(&sample("good")).unwrap();
        fs::write(tmp.path().join("bad.json"), "{ \"client_id\": ").unwrap();
        let listing = store.list().unwrap();
        assert_eq!(listing.profiles.len(), 1);
        assert_eq!(listing.profiles[0].name, "good");
        assert_eq!(listing.problems.len(), 1);
        let msg = listing.problems[0].to_string();
        assert!(msg.contains("damaged") && msg.contains("corrupt-"), "{msg}");
        let aside: Vec<_> = fs::read_dir(tmp.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n.starts_with("bad.json.corrupt-"))
            .collect();
        assert_eq!(aside.len(), 1, "damaged file kept aside");
        assert_eq!(
            fs::read_to_string(tmp.path().join(&aside[0])).unwrap(),
            "{ \"client_id\": "
        );
        assert!(matches!(store.load("bad"), Err(StoreError::NotFound(_))));
    }

    #[test]
    fn newer_format_is_left_alone() {
        let tmp = tempfile::tempdir().unwrap();
        let store = ProfileStore::at(tmp.path());
        fs::write(
            tmp.path().join("future.json"),
            r#"{"version": 99, "name": "future"}"#,
        )
        .unwrap();
        assert!(matches!(
            store.load("future"),
            Err(StoreError::TooNew { .. })
        ));
        assert!(tmp.path().join("future.json").exists());
    }

    #[test]
    fn bad_names_are_refused() {
        let store = ProfileStore::at("/nonexistent");
        for n in ["", "../x", ".hidden", "a/b", " pad", &"x".repeat(65)] {
            assert!(
                matches!(store.load(n), Err(StoreError::BadName(_))),
                "{n:?}"
            );
        }
    }

    #[test]
    fn export_leaves_secret_out_unless_asked() {
        let tmp = tempfile::tempdir().unwrap();
        let store = ProfileStore::at(tmp.path().join("p"));
        store.save(&sample("x")).unwrap();
        let out = tmp.path().join("x-export.json");
        store.export("x", &out, false).unwrap();
        let text = fs::read_to_string(&out).unwrap();
        assert!(!text.contains("s3cret"));
        store.export("x", &out, true).unwrap();
        assert!(fs::read_to_string(&out).unwrap().contains("s3cret"));
        // Import under a new name; refuse to clobber without replace.
        let imported = store.import(&out, Some("copy"), false).unwrap();
        assert_eq!(
            imported.client_secret.as_ref().map(|s| s.expose()),
            Some("s3cret")
        );
        assert!(matches!(
            store.import(&out, Some("copy"), false),
            Err(StoreError::Exists(_))
        ));
    }

    /// The keychain of these tests: keyring's mock store, set once for the test binary.
    fn mock_keychain() {
        static ONCE: std::sync::Once = std::sync::Once::new();
        ONCE.call_once(|| {
            keyring_core::set_default_store(keyring_core::mock::Store::new().unwrap())
        });
    }

    #[test]
    fn keychain_holds_the_secret_and_the_file_does_not() {
        mock_keychain();
        let tmp = tempfile::tempdir().unwrap();
        let store = ProfileStore::at(tmp.path().join("p")).with_vault(Vault::Keychain);
        let path = store.save(&sample("kc")).unwrap();
        let text = fs::read_to_string(&path).unwrap();
        assert!(!text.contains("s3cret"), "{text}");
        assert!(text.contains("\"secret_store\": \"keychain\""), "{text}");
        let back = store.load("kc").unwrap();
        assert_eq!(
            back.client_secret.as_ref().map(|s| s.expose()),
            Some("s3cret")
        );
        // Export with the secret carries it in the file; without, nowhere.
        let out = tmp.path().join("kc.json");
        store.export("kc", &out, true).unwrap();
        let exported = fs::read_to_string(&out).unwrap();
        assert!(exported.contains("s3cret") && exported.contains("\"secret_store\": \"file\""));
        store.delete("kc").unwrap();
        assert_eq!(vault::fetch(&store.dir, "kc").unwrap(), None);
    }

    #[test]
    fn a_refusing_keychain_leaves_the_secret_in_the_owner_only_file() {
        mock_keychain();
        let tmp = tempfile::tempdir().unwrap();
        let store = ProfileStore::at(tmp.path().join("p")).with_vault(Vault::Keychain);
        let entry = vault::entry(&store.dir, "fallback").unwrap();
        let mock: &keyring_core::mock::Cred = entry.as_any().downcast_ref().unwrap();
        mock.set_error(keyring_core::Error::NoStorageAccess(
            std::io::Error::other("locked").into(),
        ));
        let path = store.save(&sample("fallback")).unwrap();
        let text = fs::read_to_string(&path).unwrap();
        assert!(text.contains("s3cret") && text.contains("\"secret_store\": \"file\""));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        assert_eq!(
            store
                .load("fallback")
                .unwrap()
                .client_secret
                .as_ref()
                .map(|s| s.expose()),
            Some("s3cret")
        );
    }

    #[test]
    fn a_keychain_profile_read_without_the_keychain_is_listed_and_the_problem_said() {
        mock_keychain();
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("p");
        ProfileStore::at(&dir)
            .with_vault(Vault::Keychain)
            .save(&sample("elsewhere"))
            .unwrap();
        let file_only = ProfileStore::at(&dir);
        assert!(matches!(
            file_only.load("elsewhere"),
            Err(StoreError::Keychain { .. })
        ));
        let listing = file_only.list().unwrap();
        assert_eq!(listing.profiles.len(), 1);
        assert!(listing.profiles[0].client_secret.is_none());
        assert_eq!(listing.problems.len(), 1);
        assert!(listing.problems[0].to_string().contains("OS keychain"));
    }

    #[test]
    fn a_dead_writers_temp_file_is_removed_at_the_next_write() {
        let tmp = tempfile::tempdir().unwrap();
        let store = ProfileStore::at(tmp.path().join("p"));
        store.save(&sample("a")).unwrap();
        // pid 4194304 is above Linux's pid_max: that writer cannot be alive.
        let dead = store.dir.join(".a.json.tmp-4194304-12345");
        let alive = store
            .dir
            .join(format!(".b.json.tmp-{}-777", std::process::id()));
        fs::write(&dead, "{\"client_secret\":\"leaked\"}").unwrap();
        fs::write(&alive, "{}").unwrap();
        let unrelated = store.dir.join(".notes.tmp");
        fs::write(&unrelated, "x").unwrap();
        store.save(&sample("b")).unwrap();
        assert!(!dead.exists(), "the dead writer's temp file is gone");
        assert!(alive.exists(), "a live writer's temp file is left alone");
        assert!(unrelated.exists());
    }
}
