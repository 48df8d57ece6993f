//! The sandbox's signing keys: an RS256 and an ES256 key generated with aws-lc-rs, persisted as
//! PKCS#8 DER files (mode 0600, written atomically) so tokens stay verifiable across restarts,
//! published as a JWKS, and rotated on request (the previous pair stays published until the next
//! rotation, so tokens signed before a rotation still verify).

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{KeyPair as RsaKeyPair, KeySize, PublicKeyComponents};
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair as _, RSA_PKCS1_SHA256,
};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

/// The JWS algorithms the sandbox signs with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SigningAlg {
    /// RSASSA-PKCS1-v1_5 with SHA-256 (the default, what every library supports).
    #[default]
    Rs256,
    /// ECDSA P-256 with SHA-256.
    Es256,
}

impl SigningAlg {
    /// The JOSE `alg` name.
    pub fn as_str(self) -> &'static str {
        match self {
            SigningAlg::Rs256 => "RS256",
            SigningAlg::Es256 => "ES256",
        }
    }
}

impl std::str::FromStr for SigningAlg {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_uppercase().as_str() {
            "RS256" => Ok(SigningAlg::Rs256),
            "ES256" => Ok(SigningAlg::Es256),
            _ => Err(format!(
                "unsupported signing algorithm {s:?} (use RS256 or ES256)"
            )),
        }
    }
}

impl std::fmt::Display for SigningAlg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why the keys could not be loaded, created, rotated or used.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// Reading or writing a key file failed.
    #[error("{action} {path}: {source}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// A key file exists but does not hold a usable key.
    #[error(
        "{path} does not hold a valid {alg} PKCS#8 key ({detail}); rotate the keys to replace it"
    )]
    Invalid {
        /// The file.
        path: PathBuf,
        /// Which key it should hold.
        alg: &'static str,
        /// What the parser said.
        detail: String,
    },
    /// Key generation or signing failed inside the crypto library.
    #[error("{0} failed in the crypto library")]
    Crypto(&'static str),
}

/// One RSA key with its derived public data.
struct RsaKey {
    pair: RsaKeyPair,
    kid: String,
    jwk: Value,
}

/// One P-256 key with its derived public data.
struct EcKey {
    pair: EcdsaKeyPair,
    kid: String,
    jwk: Value,
}

/// The active keys plus the pair retired by the last rotation.
pub(crate) struct KeySet {
    rsa: RsaKey,
    ec: EcKey,
    previous: Vec<Value>,
}

const RSA_FILE: &str = "rs256.pk8";
const EC_FILE: &str = "es256.pk8";
const RSA_PREVIOUS_FILE: &str = "rs256.previous.pk8";
const EC_PREVIOUS_FILE: &str = "es256.previous.pk8";

impl KeySet {
    /// Loads the keys from `dir`, generating (and persisting) any that are missing.
    pub(crate) fn load_or_create(dir: &Path) -> Result<KeySet, KeyError> {
        create_private_dir(dir)?;
        let rsa_der = load_or_create_file(&dir.join(RSA_FILE), generate_rsa_der)?;
        let ec_der = load_or_create_file(&dir.join(EC_FILE), generate_ec_der)?;
        let rsa = rsa_from_der(&dir.join(RSA_FILE), &rsa_der)?;
        let ec = ec_from_der(&dir.join(EC_FILE), &ec_der)?;
        let mut previous = Vec::new();
        // A retired key that no longer parses is only a lost grace period: skip it.
        if let Ok(der) = fs::read(dir.join(RSA_PREVIOUS_FILE))
            && let Ok(key) = rsa_from_der(&dir.join(RSA_PREVIOUS_FILE), &der)
        {
            previous.push(key.jwk);
        }
        if let Ok(der) = fs::read(dir.join(EC_PREVIOUS_FILE))
            && let Ok(key) = ec_from_der(&dir.join(EC_PREVIOUS_FILE), &der)
        {
            previous.push(key.jwk);
        }
        previous.retain(|jwk| jwk["kid"] != rsa.jwk["kid"] && jwk["kid"] != ec.jwk["kid"]);
        Ok(KeySet { rsa, ec, previous })
    }

    /// Generates a new pair, keeps the current one published as "previous", and persists both.
    pub(crate) fn rotate(dir: &Path) -> Result<KeySet, KeyError> {
        create_private_dir(dir)?;
        for (current, previous) in [(RSA_FILE, RSA_PREVIOUS_FILE), (EC_FILE, EC_PREVIOUS_FILE)] {
            let from = dir.join(current);
            if from.exists() {
                let to = dir.join(previous);
                fs::rename(&from, &to).map_err(|source| KeyError::Io {
                    action: "retiring key",
                    path: from.clone(),
                    source,
                })?;
            }
        }
        write_atomic(&dir.join(RSA_FILE), &generate_rsa_der()?, true)?;
        write_atomic(&dir.join(EC_FILE), &generate_ec_der()?, true)?;
        KeySet::load_or_create(dir)
    }

    /// The public JWKS document: active keys first, then the retired ones.
    pub(crate) fn jwks(&self) -> Value {
        let mut keys = vec![self.rsa.jwk.clone(), self.ec.jwk.clone()];
        keys.extend(self.previous.iter().cloned());
        json!({ "keys": keys })
    }

    /// The JWKS with the private part (`d`) of the active ES256 key added: what the
    /// `unsafe-jwks-private-key` teaching switch publishes.
    pub(crate) fn jwks_leaking_private_key(&self) -> Value {
        use aws_lc_rs::encoding::AsBigEndian as _;
        let mut document = self.jwks();
        let d = self
            .ec
            .pair
            .private_key()
            .as_be_bytes()
            .map(|bin| URL_SAFE_NO_PAD.encode(bin.as_ref()));
        if let (Ok(d), Some(keys)) = (d, document["keys"].as_array_mut())
            && let Some(ec) = keys.iter_mut().find(|k| k["kid"] == self.ec.jwk["kid"])
        {
            ec["d"] = Value::String(d);
        }
        document
    }

    /// The active RSA public key as SPKI PEM exactly as OpenSSL writes it (64-character lines,
    /// LF, a final newline): the "secret" the `unsafe-hmac-key-confusion` switch verifies
    /// HS256 tokens with.
    pub(crate) fn rsa_spki_pem(&self) -> Option<String> {
        use aws_lc_rs::encoding::AsDer as _;
        use aws_lc_rs::signature::KeyPair as _;
        use base64::engine::general_purpose::STANDARD;
        let der = self.rsa.pair.public_key().as_der().ok()?;
        let b64 = STANDARD.encode(der.as_ref());
        let mut pem = String::from("-----BEGIN PUBLIC KEY-----\n");
        for line in b64.as_bytes().chunks(64) {
            pem.push_str(std::str::from_utf8(line).ok()?);
            pem.push('\n');
        }
        pem.push_str("-----END PUBLIC KEY-----\n");
        Some(pem)
    }

    /// The `kid` of the active key for `alg`.
    pub(crate) fn kid(&self, alg: SigningAlg) -> &str {
        match alg {
            SigningAlg::Rs256 => &self.rsa.kid,
            SigningAlg::Es256 => &self.ec.kid,
        }
    }

    /// Signs a compact JWS with header `{alg, typ, kid}` over `claims`.
    pub(crate) fn sign_jwt(
        &self,
        alg: SigningAlg,
        typ: &str,
        claims: &Value,
    ) -> Result<String, KeyError> {
        let header = json!({ "alg": alg.as_str(), "typ": typ, "kid": self.kid(alg) });
        let header = serde_json::to_vec(&header).map_err(|_| KeyError::Crypto("encoding"))?;
        let claims = serde_json::to_vec(claims).map_err(|_| KeyError::Crypto("encoding"))?;
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header),
            URL_SAFE_NO_PAD.encode(claims)
        );
        let rng = aws_lc_rs::rand::SystemRandom::new();
        let signature = match alg {
            SigningAlg::Rs256 => {
                let mut sig = vec![0u8; self.rsa.pair.public_modulus_len()];
                self.rsa
                    .pair
                    .sign(&RSA_PKCS1_SHA256, &rng, signing_input.as_bytes(), &mut sig)
                    .map_err(|_| KeyError::Crypto("RS256 signing"))?;
                sig
            }
            SigningAlg::Es256 => self
                .ec
                .pair
                .sign(&rng, signing_input.as_bytes())
                .map_err(|_| KeyError::Crypto("ES256 signing"))?
                .as_ref()
                .to_vec(),
        };
        Ok(format!(
            "{signing_input}.{}",
            URL_SAFE_NO_PAD.encode(signature)
        ))
    }
}

fn generate_rsa_der() -> Result<Vec<u8>, KeyError> {
    let pair = RsaKeyPair::generate(KeySize::Rsa2048)
        .map_err(|_| KeyError::Crypto("RSA key generation"))?;
    let der = pair
        .as_der()
        .map_err(|_| KeyError::Crypto("RSA key encoding"))?;
    Ok(der.as_ref().to_vec())
}

fn generate_ec_der() -> Result<Vec<u8>, KeyError> {
    let pair = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING)
        .map_err(|_| KeyError::Crypto("P-256 key generation"))?;
    let doc = pair
        .to_pkcs8v1()
        .map_err(|_| KeyError::Crypto("P-256 key encoding"))?;
    Ok(doc.as_ref().to_vec())
}

fn rsa_from_der(path: &Path, der: &[u8]) -> Result<RsaKey, KeyError> {
    let pair = RsaKeyPair::from_pkcs8(der).map_err(|e| KeyError::Invalid {
        path: path.to_path_buf(),
        alg: "RS256",
        detail: e.to_string(),
    })?;
    let components = PublicKeyComponents::<Vec<u8>>::from(pair.public_key());
    let n = URL_SAFE_NO_PAD.encode(strip_leading_zeros(&components.n));
    let e = URL_SAFE_NO_PAD.encode(strip_leading_zeros(&components.e));
    // RFC 7638 thumbprint: the required members in lexicographic order, no whitespace.
    let kid = thumbprint(&format!(r#"{{"e":"{e}","kty":"RSA","n":"{n}"}}"#));
    let jwk = json!({ "kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid, "n": n, "e": e });
    Ok(RsaKey { pair, kid, jwk })
}

fn ec_from_der(path: &Path, der: &[u8]) -> Result<EcKey, KeyError> {
    let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, der).map_err(|e| {
        KeyError::Invalid {
            path: path.to_path_buf(),
            alg: "ES256",
            detail: e.to_string(),
        }
    })?;
    let point = pair.public_key().as_ref();
    // Uncompressed SEC1 point: 0x04 || X (32 bytes) || Y (32 bytes).
    if point.len() != 65 || point[0] != 4 {
        return Err(KeyError::Invalid {
            path: path.to_path_buf(),
            alg: "ES256",
            detail: "unexpected public key encoding".into(),
        });
    }
    let x = URL_SAFE_NO_PAD.encode(&point[1..33]);
    let y = URL_SAFE_NO_PAD.encode(&point[33..65]);
    let kid = thumbprint(&format!(
        r#"{{"crv":"P-256","kty":"EC","x":"{x}","y":"{y}"}}"#
    ));
    let jwk = json!({ "kty": "EC", "use": "sig", "alg": "ES256", "kid": kid, "crv": "P-256", "x": x, "y": y });
    Ok(EcKey { pair, kid, jwk })
}

fn strip_leading_zeros(bytes: &[u8]) -> &[u8] {
    let first = bytes
        .iter()
        .position(|b| *b != 0)
        .unwrap_or(bytes.len().saturating_sub(1));
    &bytes[first..]
}

fn thumbprint(canonical_jwk: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(canonical_jwk.as_bytes()))
}

fn create_private_dir(dir: &Path) -> Result<(), KeyError> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt as _;
        builder.mode(0o700);
    }
    builder.create(dir).map_err(|source| KeyError::Io {
        action: "creating key directory",
        path: dir.to_path_buf(),
        source,
    })
}

/// Reads `path`, or generates its content and creates it without clobbering a file that another
/// process created meanwhile (in which case that file wins and is read back).
fn load_or_create_file(
    path: &Path,
    generate: fn() -> Result<Vec<u8>, KeyError>,
) -> Result<Vec<u8>, KeyError> {
    match fs::read(path) {
        Ok(bytes) => return Ok(bytes),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(source) => {
            return Err(KeyError::Io {
                action: "reading key",
                path: path.to_path_buf(),
                source,
            });
        }
    }
    let der = generate()?;
    write_atomic(path, &der, false)?;
    fs::read(path).map_err(|source| KeyError::Io {
        action: "reading key",
        path: path.to_path_buf(),
        source,
    })
}

/// Writes `bytes` to a private temporary file beside `path`, syncs it, then moves it into place:
/// `replace` renames over an existing file; otherwise a hard link refuses to clobber one.
fn write_atomic(path: &Path, bytes: &[u8], replace: bool) -> Result<(), KeyError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut suffix = [0u8; 8];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut suffix);
    let tmp = dir.join(format!(
        ".{}.{}.tmp",
        path.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        URL_SAFE_NO_PAD.encode(suffix)
    ));
    let io_err = |action: &'static str, p: &Path| {
        let p = p.to_path_buf();
        move |source| KeyError::Io {
            action,
            path: p,
            source,
        }
    };
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let result = (|| {
        let mut file = options.open(&tmp).map_err(io_err("creating key", &tmp))?;
        file.write_all(bytes).map_err(io_err("writing key", &tmp))?;
        file.sync_all().map_err(io_err("syncing key", &tmp))?;
        drop(file);
        if replace {
            fs::rename(&tmp, path).map_err(io_err("installing key", path))
        } else {
            match fs::hard_link(&tmp, path) {
                Ok(()) => Ok(()),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(()),
                Err(source) => Err(KeyError::Io {
                    action: "installing key",
                    path: path.to_path_buf(),
                    source,
                }),
            }
        }
    })();
    // Best effort: after a rename the temporary name is already gone.
    let _ = fs::remove_file(&tmp);
    result
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn keys_persist_and_rotate() {
        let dir = tempfile::tempdir().unwrap();
        let first = KeySet::load_or_create(dir.path()).unwrap();
        let again = KeySet::load_or_create(dir.path()).unwrap();
        assert_eq!(first.kid(SigningAlg::Rs256), again.kid(SigningAlg::Rs256));
        assert_eq!(first.kid(SigningAlg::Es256), again.kid(SigningAlg::Es256));
        assert_ne!(first.kid(SigningAlg::Rs256), first.kid(SigningAlg::Es256));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = fs::metadata(dir.path().join(RSA_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let rotated = KeySet::rotate(dir.path()).unwrap();
        assert_ne!(rotated.kid(SigningAlg::Rs256), first.kid(SigningAlg::Rs256));
        let kids: Vec<String> = rotated.jwks()["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["kid"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(kids.len(), 4);
        assert!(kids.contains(&first.kid(SigningAlg::Rs256).to_string()));
        assert!(kids.contains(&first.kid(SigningAlg::Es256).to_string()));
        let leftovers: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty());
    }

    #[test]
    fn rejects_garbage_key_file() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(RSA_FILE), b"not a key").unwrap();
        let err = KeySet::load_or_create(dir.path()).err().unwrap();
        assert!(
            matches!(err, KeyError::Invalid { alg: "RS256", .. }),
            "{err}"
        );
    }

    #[test]
    fn signed_jwt_verifies_with_jsonwebtoken() {
        let dir = tempfile::tempdir().unwrap();
        let keys = KeySet::load_or_create(dir.path()).unwrap();
        let jwks: jsonwebtoken::jwk::JwkSet = serde_json::from_value(keys.jwks()).unwrap();
        for alg in [SigningAlg::Rs256, SigningAlg::Es256] {
            let token = keys
                .sign_jwt(alg, "JWT", &json!({"sub": "x", "exp": 4_000_000_000u64}))
                .unwrap();
            let jwk = jwks.find(keys.kid(alg)).unwrap();
            let key = jsonwebtoken::DecodingKey::from_jwk(jwk).unwrap();
            let jwt_alg = match alg {
                SigningAlg::Rs256 => jsonwebtoken::Algorithm::RS256,
                SigningAlg::Es256 => jsonwebtoken::Algorithm::ES256,
            };
            let mut validation = jsonwebtoken::Validation::new(jwt_alg);
            validation.validate_aud = false;
            let data = jsonwebtoken::decode::<Value>(&token, &key, &validation).unwrap();
            assert_eq!(data.claims["sub"], "x");
        }
    }
}
