//! Decryption keys for JWE: a private RSA key, an EC (P-256/384/521) or X25519 private key for
//! ECDH-ES, or an `oct` key (a shared key for `dir`, AES key wrap and AES-GCM key wrap, or the
//! password of PBES2). Read from the key store by name, or from a file: a PEM private key, a
//! JWK, or a JWKS whose private entries are all taken.
//!
//! The key material never prints: `Debug` shows the label, `kid`, kind and `alg` only.

use std::fmt;
use std::path::Path;

use aws_lc_rs::agreement::{self, ECDH_P256, ECDH_P384, ECDH_P521, X25519};
use aws_lc_rs::rsa::PrivateDecryptingKey;
use serde_json::{Map, Value};

use crate::keys::{Curve, KeyError, KeyKind, KeyStore, PrivateKey, private_key_from_jwk};
use crate::token::decode::b64_lenient;

/// A key file larger than this is not a key.
const MAX_KEY_FILE: u64 = 1024 * 1024;

/// The curves ECDH-ES runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgreementCurve {
    /// NIST P-256.
    P256,
    /// NIST P-384.
    P384,
    /// NIST P-521.
    P521,
    /// X25519 (RFC 8037 `OKP`).
    X25519,
}

impl AgreementCurve {
    /// The JWK `crv` name.
    pub fn jwk_name(self) -> &'static str {
        match self {
            AgreementCurve::P256 => "P-256",
            AgreementCurve::P384 => "P-384",
            AgreementCurve::P521 => "P-521",
            AgreementCurve::X25519 => "X25519",
        }
    }

    /// The curve of a JWK's `kty` and `crv`.
    pub fn from_jwk(kty: &str, crv: &str) -> Option<AgreementCurve> {
        match (kty, crv) {
            ("EC", "P-256") => Some(AgreementCurve::P256),
            ("EC", "P-384") => Some(AgreementCurve::P384),
            ("EC", "P-521") => Some(AgreementCurve::P521),
            ("OKP", "X25519") => Some(AgreementCurve::X25519),
            _ => None,
        }
    }

    /// Bytes of one coordinate (or of the X25519 key).
    pub fn coordinate_len(self) -> usize {
        match self {
            AgreementCurve::P256 | AgreementCurve::X25519 => 32,
            AgreementCurve::P384 => 48,
            AgreementCurve::P521 => 66,
        }
    }

    pub(crate) fn algorithm(self) -> &'static agreement::Algorithm {
        match self {
            AgreementCurve::P256 => &ECDH_P256,
            AgreementCurve::P384 => &ECDH_P384,
            AgreementCurve::P521 => &ECDH_P521,
            AgreementCurve::X25519 => &X25519,
        }
    }
}

pub(crate) enum Material {
    Rsa(PrivateDecryptingKey),
    Agreement(AgreementCurve, agreement::PrivateKey),
    Oct(Vec<u8>),
}

/// One private key that may open a JWE.
pub struct DecryptionKey {
    label: String,
    kid: Option<String>,
    alg: Option<String>,
    key_use: Option<String>,
    pub(crate) material: Material,
}

impl fmt::Debug for DecryptionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DecryptionKey")
            .field("label", &self.label)
            .field("kid", &self.kid)
            .field("kind", &self.kind())
            .field("alg", &self.alg)
            .field("material", &"<redacted>")
            .finish()
    }
}

impl DecryptionKey {
    /// Where the key came from: the store name, or the file (with the JWKS entry's `kid` or
    /// position). This is what a report says opened a token.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// The JWK `kid` (for a stored key, its RFC 7638 thumbprint).
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// The JWK `alg` the key is restricted to, if any.
    pub fn alg(&self) -> Option<&str> {
        self.alg.as_deref()
    }

    /// The JWK `use`, if given.
    pub fn key_use(&self) -> Option<&str> {
        self.key_use.as_deref()
    }

    /// "RSA 2048", "EC P-256", "OKP X25519", "oct 16 bytes", for messages.
    pub fn kind(&self) -> String {
        match &self.material {
            Material::Rsa(k) => format!("RSA {}", k.key_size_bits()),
            Material::Agreement(AgreementCurve::X25519, _) => "OKP X25519".into(),
            Material::Agreement(curve, _) => format!("EC {}", curve.jwk_name()),
            Material::Oct(k) => format!("oct {} bytes", k.len()),
        }
    }

    /// A shared key or password (`oct`) given as raw bytes, e.g. a PBES2 password.
    pub fn from_secret(label: impl Into<String>, bytes: impl Into<Vec<u8>>) -> DecryptionKey {
        DecryptionKey {
            label: label.into(),
            kid: None,
            alg: None,
            key_use: None,
            material: Material::Oct(bytes.into()),
        }
    }

    /// A private key of the store (RSA or EC; an Ed25519 key only signs).
    pub fn from_private_key(key: &PrivateKey, label: &str) -> Result<DecryptionKey, KeyError> {
        let der = key.expose_pkcs8_der();
        let material = match key.kind() {
            KeyKind::Rsa(_) => {
                Material::Rsa(PrivateDecryptingKey::from_pkcs8(der).map_err(|e| {
                    KeyError::Invalid(format!("{label}: not a usable RSA decryption key ({e})"))
                })?)
            }
            KeyKind::Ec(curve) => {
                let curve = match curve {
                    Curve::P256 => AgreementCurve::P256,
                    Curve::P384 => AgreementCurve::P384,
                    Curve::P521 => AgreementCurve::P521,
                };
                let private = agreement::PrivateKey::from_private_key_der(curve.algorithm(), der)
                    .map_err(|e| {
                    KeyError::Invalid(format!("{label}: not a usable ECDH key ({e})"))
                })?;
                Material::Agreement(curve, private)
            }
            KeyKind::X25519 => {
                let bytes = key.x25519_private_bytes().unwrap_or_default();
                let private =
                    agreement::PrivateKey::from_private_key(&X25519, bytes).map_err(|e| {
                        KeyError::Invalid(format!("{label}: not a usable X25519 key ({e})"))
                    })?;
                Material::Agreement(AgreementCurve::X25519, private)
            }
            KeyKind::Ed25519 => {
                return Err(KeyError::Invalid(format!(
                    "{label}: an Ed25519 key only signs; encryption to an OKP key uses X25519"
                )));
            }
        };
        Ok(DecryptionKey {
            label: label.to_owned(),
            kid: Some(key.kid().to_owned()),
            alg: None,
            key_use: None,
            material,
        })
    }

    /// A private JWK: RSA (with its CRT members), EC P-256/384/521 or OKP X25519 with `d`, or
    /// `oct` with `k`.
    pub fn from_jwk(jwk: &Value, label: &str) -> Result<DecryptionKey, KeyError> {
        let obj = jwk
            .as_object()
            .ok_or_else(|| KeyError::Invalid(format!("{label}: the JWK is not a JSON object")))?;
        let text = |name: &str| obj.get(name).and_then(Value::as_str).map(str::to_owned);
        let kty = text("kty").unwrap_or_default();
        let material = match kty.as_str() {
            "RSA" => {
                let key = private_key_from_jwk(jwk)
                    .map_err(|e| KeyError::Invalid(format!("{label}: {e}")))?;
                return DecryptionKey::from_private_key(&key, label).map(|k| DecryptionKey {
                    kid: text("kid"),
                    alg: text("alg"),
                    key_use: text("use"),
                    ..k
                });
            }
            "EC" | "OKP" => {
                let crv = text("crv").unwrap_or_default();
                let curve = AgreementCurve::from_jwk(&kty, &crv).ok_or_else(|| {
                    KeyError::Invalid(format!(
                        "{label}: {kty} curve {crv:?} cannot decrypt; use P-256, P-384, P-521 or X25519"
                    ))
                })?;
                Material::Agreement(curve, agreement_key(obj, curve, label)?)
            }
            "oct" => {
                let k = member(obj, "k", label)?;
                if k.is_empty() {
                    return Err(KeyError::Invalid(format!("{label}: the oct key is empty")));
                }
                Material::Oct(k)
            }
            other => {
                return Err(KeyError::Invalid(format!(
                    "{label}: unsupported JWK key type {other:?}; use RSA, EC, OKP or oct"
                )));
            }
        };
        Ok(DecryptionKey {
            label: label.to_owned(),
            kid: text("kid"),
            alg: text("alg"),
            key_use: text("use"),
            material,
        })
    }
}

fn member(obj: &Map<String, Value>, name: &str, label: &str) -> Result<Vec<u8>, KeyError> {
    let text = obj.get(name).and_then(Value::as_str).ok_or_else(|| {
        KeyError::Invalid(format!(
            "{label}: the JWK lacks member {name:?} (decryption needs the private key)"
        ))
    })?;
    b64_lenient(text)
        .ok_or_else(|| KeyError::Invalid(format!("{label}: JWK member {name:?} is not base64url")))
}

/// The ECDH private key of an EC or OKP JWK, checked against its public `x` (and `y`).
fn agreement_key(
    obj: &Map<String, Value>,
    curve: AgreementCurve,
    label: &str,
) -> Result<agreement::PrivateKey, KeyError> {
    let d = member(obj, "d", label)?;
    let x = member(obj, "x", label)?;
    let expected = if curve == AgreementCurve::X25519 {
        x
    } else {
        let mut point = vec![4u8];
        point.extend(x);
        point.extend(member(obj, "y", label)?);
        point
    };
    let private = agreement::PrivateKey::from_private_key(curve.algorithm(), &d).map_err(|e| {
        KeyError::Invalid(format!(
            "{label}: \"d\" is not a {} private key ({e})",
            curve.jwk_name()
        ))
    })?;
    let public = private
        .compute_public_key()
        .map_err(|_| KeyError::Crypto("ECDH public key computation"))?;
    if public.as_ref() != expected.as_slice() {
        return Err(KeyError::Invalid(format!(
            "{label}: the {} JWK's \"d\" does not belong to its public \"x\"/\"y\"",
            curve.jwk_name()
        )));
    }
    Ok(private)
}

/// The decryption keys named by `name_or_file`: a key in `store`, else a file holding a PEM
/// private key, a private JWK, or a JWKS (every entry with private members; public entries are
/// skipped, and a JWKS with none is an error). Without a store only files are read.
pub fn load_decryption_keys(
    store: Option<&KeyStore>,
    name_or_file: &str,
) -> Result<Vec<DecryptionKey>, KeyError> {
    if let Some(store) = store
        && store.contains(name_or_file)
    {
        let stored = store.load(name_or_file)?;
        return Ok(vec![DecryptionKey::from_private_key(
            &stored.key,
            &stored.name,
        )?]);
    }
    let path = Path::new(name_or_file);
    if !path.is_file() {
        return Err(match store {
            Some(store) => KeyError::NotFound {
                name: name_or_file.to_owned(),
                dir: store.dir().to_path_buf(),
            },
            None => KeyError::Invalid(format!(
                "no key file {name_or_file:?} (and no config directory to look for a stored key of that name)"
            )),
        });
    }
    let io = |source| KeyError::Io {
        action: "cannot read",
        path: path.to_path_buf(),
        source,
    };
    let size = std::fs::metadata(path).map_err(io)?.len();
    if size > MAX_KEY_FILE {
        return Err(KeyError::Invalid(format!(
            "{name_or_file}: {size} bytes is too large for a key file"
        )));
    }
    let text = std::fs::read_to_string(path).map_err(io)?;
    keys_from_text(&text, name_or_file)
}

/// The decryption keys in key-file text (see [`load_decryption_keys`]); `label` names them.
pub fn keys_from_text(text: &str, label: &str) -> Result<Vec<DecryptionKey>, KeyError> {
    if !text.trim_start().starts_with('{') {
        let key =
            PrivateKey::from_pem(text).map_err(|e| KeyError::Invalid(format!("{label}: {e}")))?;
        return Ok(vec![DecryptionKey::from_private_key(&key, label)?]);
    }
    let doc: Value = serde_json::from_str(text)
        .map_err(|e| KeyError::Invalid(format!("{label}: not JSON: {e}")))?;
    let Some(entries) = doc.get("keys").and_then(Value::as_array) else {
        return Ok(vec![DecryptionKey::from_jwk(&doc, label)?]);
    };
    let mut keys = Vec::new();
    for (i, jwk) in entries.iter().enumerate() {
        if jwk.get("d").is_none() && jwk.get("k").is_none() {
            continue;
        }
        let entry_label = match jwk.get("kid").and_then(Value::as_str) {
            Some(kid) => format!("{label} (kid {kid})"),
            None => format!("{label} (key {})", i + 1),
        };
        keys.push(DecryptionKey::from_jwk(jwk, &entry_label)?);
    }
    if keys.is_empty() {
        return Err(KeyError::Invalid(format!(
            "{label}: the JWKS holds no private key (no \"d\" or \"k\"); a public key cannot decrypt"
        )));
    }
    Ok(keys)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::keys::GenerateType;
    use serde_json::json;

    #[test]
    fn jwks_entries_and_store_keys_load_and_debug_is_redacted() {
        let jwks = json!({"keys": [
            {"kty": "oct", "kid": "s1", "k": "GawgguFyGrWKav7AX4VKUg"},
            {"kty": "EC", "crv": "P-256", "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
             "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}
        ]});
        let keys = keys_from_text(&jwks.to_string(), "f.json").unwrap();
        assert_eq!(keys.len(), 1, "the public EC entry is skipped");
        assert_eq!(keys[0].label(), "f.json (kid s1)");
        assert_eq!(keys[0].kind(), "oct 16 bytes");
        let debug = format!("{:?}", keys[0]);
        assert!(
            debug.contains("redacted") && !debug.contains("Gawg"),
            "{debug}"
        );

        let public_only = json!({"keys": [jwks["keys"][1]]}).to_string();
        let err = keys_from_text(&public_only, "p.json")
            .unwrap_err()
            .to_string();
        assert!(err.contains("no private key"), "{err}");

        let ec = PrivateKey::generate(GenerateType::EcP256).unwrap();
        let key = DecryptionKey::from_private_key(&ec, "mine").unwrap();
        assert_eq!(
            (key.kind().as_str(), key.kid()),
            ("EC P-256", Some(ec.kid()))
        );
        let ed = PrivateKey::generate(GenerateType::Ed25519).unwrap();
        let err = DecryptionKey::from_private_key(&ed, "ed")
            .unwrap_err()
            .to_string();
        assert!(err.contains("X25519"), "{err}");
    }

    /// RFC 7748 §6.1's Alice: a private X25519 JWK whose `x` must match its `d`.
    #[test]
    fn x25519_jwk_is_checked_against_its_public_half() {
        let alice = json!({"kty": "OKP", "crv": "X25519",
            "d": "dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo",
            "x": "hSDwCYkwp1R0i33ctD73Wg2_Og0mOBr066SpjqqbTmo"});
        let key = DecryptionKey::from_jwk(&alice, "alice").unwrap();
        assert_eq!(key.kind(), "OKP X25519");
        let mut wrong = alice.clone();
        wrong["x"] = json!("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
        assert!(DecryptionKey::from_jwk(&wrong, "w").is_err());
    }
}
