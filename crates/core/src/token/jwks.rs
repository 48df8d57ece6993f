//! Verification keys: JWKS parsing (RSA, EC P-256/P-384/P-521, OKP Ed25519, oct), lookup by `kid`,
//! shared secrets for HS*, and where keys come from ([`KeySource`]: a JWKS URL fetched with
//! [`crate::http::HttpClient`], a JWKS file, or a secret).
//!
//! Parsing is per key and tolerant: a JWKS that also holds an encryption key or a key type this
//! tool does not know still yields its usable keys, and the skipped ones are listed with a
//! reason. Parsing never panics on hostile input (see `fuzz/`).

use std::path::PathBuf;

use jsonwebtoken::DecodingKey;
use serde_json::{Map, Value};
use url::Url;

use crate::http::{Exchange, HttpClient, HttpRequest};
use crate::token::decode::{b64_lenient, json_type};

/// A shared secret for HS* tokens. Its `Debug` never shows the bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct SharedSecret(Vec<u8>);

impl SharedSecret {
    /// The secret as given (UTF-8 bytes of a string secret).
    pub fn new(bytes: impl Into<Vec<u8>>) -> Self {
        Self(bytes.into())
    }

    /// The raw bytes, for HMAC.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// Length in bytes (RFC 7518 §3.2: at least the hash size).
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the secret is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::fmt::Debug for SharedSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SharedSecret([{} bytes, redacted])", self.0.len())
    }
}

/// The JWK key type (`kty`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyType {
    /// `RSA`
    Rsa,
    /// `EC` (P-256, P-384, P-521)
    Ec,
    /// `OKP` (Ed25519)
    Okp,
    /// `oct`: a symmetric secret.
    Oct,
}

impl KeyType {
    /// The `kty` string.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyType::Rsa => "RSA",
            KeyType::Ec => "EC",
            KeyType::Okp => "OKP",
            KeyType::Oct => "oct",
        }
    }

    /// Whether this is a public-key type (everything but `oct`).
    pub fn is_asymmetric(self) -> bool {
        self != KeyType::Oct
    }
}

/// One usable key from a JWKS.
#[derive(Clone)]
pub struct Jwk {
    /// `kid`, if the key has one.
    pub kid: Option<String>,
    /// `kty`.
    pub kty: KeyType,
    /// `crv` for EC and OKP keys ("P-256", "P-384", "P-521", "Ed25519").
    pub crv: Option<String>,
    /// `alg`, if the key is restricted to one algorithm.
    pub alg: Option<String>,
    /// `use` ("sig", "enc"), if given.
    pub key_use: Option<String>,
    /// `key_ops`, if given.
    pub key_ops: Option<Vec<String>>,
    /// Key size in bits: the RSA modulus, the curve, or the secret length.
    pub bits: usize,
    /// The entry also carries private key material (`d`): it should never be published.
    pub private: bool,
    key: DecodingKey,
    /// The uncompressed EC point (`04 || x || y`), for curves `jsonwebtoken` cannot verify
    /// (P-521, checked with aws-lc-rs directly).
    ec_point: Option<Vec<u8>>,
}

impl Jwk {
    /// The key in the form `jsonwebtoken` verifies with.
    pub fn decoding_key(&self) -> &DecodingKey {
        &self.key
    }

    /// The uncompressed public point of an EC key (`04 || x || y`).
    pub fn ec_point(&self) -> Option<&[u8]> {
        self.ec_point.as_deref()
    }

    /// "RSA key kid=abc (2048 bits)", for messages.
    pub fn describe(&self) -> String {
        let kind = match &self.crv {
            Some(crv) => format!("{} {crv}", self.kty.as_str()),
            None => self.kty.as_str().to_owned(),
        };
        match &self.kid {
            Some(kid) => format!("{kind} key kid \"{kid}\" ({} bits)", self.bits),
            None => format!("{kind} key without kid ({} bits)", self.bits),
        }
    }
}

impl std::fmt::Debug for Jwk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Jwk")
            .field("kid", &self.kid)
            .field("kty", &self.kty)
            .field("crv", &self.crv)
            .field("alg", &self.alg)
            .field("use", &self.key_use)
            .field("bits", &self.bits)
            .finish_non_exhaustive()
    }
}

/// A key of the set that could not be used, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedKey {
    /// Its `kid`, if readable.
    pub kid: Option<String>,
    /// Why it was skipped.
    pub reason: String,
}

/// A parsed JWKS.
#[derive(Debug, Clone, Default)]
pub struct Jwks {
    /// The keys that can verify signatures.
    pub keys: Vec<Jwk>,
    /// The keys that could not be used.
    pub skipped: Vec<SkippedKey>,
    /// Where the set came from (a URL or a file path), for messages.
    pub origin: Option<String>,
    /// Whether the set was fetched a second time because the token's `kid` was unknown.
    pub refetched: bool,
    /// Whether the set was fetched over the network (a URL), rather than read from a file or
    /// given in memory: a symmetric (`oct`) key in it is a secret published to anyone.
    pub fetched: bool,
}

impl Jwks {
    /// The keys whose `kid` equals `kid`.
    pub fn by_kid<'a>(&'a self, kid: &'a str) -> impl Iterator<Item = &'a Jwk> + 'a {
        self.keys
            .iter()
            .filter(move |k| k.kid.as_deref() == Some(kid))
    }

    /// Whether any key (usable or skipped) has this `kid`.
    pub fn knows_kid(&self, kid: &str) -> bool {
        self.by_kid(kid).next().is_some()
            || self.skipped.iter().any(|s| s.kid.as_deref() == Some(kid))
    }

    /// Whether the set holds any public (asymmetric) key.
    pub fn has_asymmetric(&self) -> bool {
        self.keys.iter().any(|k| k.kty.is_asymmetric())
    }
}

/// Why a JWKS document could not be read at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwksError {
    /// Not JSON.
    #[error("the JWKS is not JSON: {0}")]
    NotJson(String),
    /// JSON, but neither `{"keys": [...]}` nor a single JWK.
    #[error("the JWKS is {0}, not an object with a \"keys\" array")]
    Shape(String),
}

/// Parses a JWKS document (`{"keys": [...]}`) or a single JWK object.
pub fn parse_jwks(bytes: &[u8]) -> Result<Jwks, JwksError> {
    let value: Value =
        serde_json::from_slice(bytes).map_err(|e| JwksError::NotJson(e.to_string()))?;
    jwks_from_value(&value)
}

/// Like [`parse_jwks`], from an already parsed JSON value.
pub fn jwks_from_value(value: &Value) -> Result<Jwks, JwksError> {
    let obj = value
        .as_object()
        .ok_or_else(|| JwksError::Shape(json_type(value).to_owned()))?;
    let entries: Vec<&Value> = match obj.get("keys") {
        Some(Value::Array(keys)) => keys.iter().collect(),
        Some(other) => {
            return Err(JwksError::Shape(format!(
                "an object whose \"keys\" is {}",
                json_type(other)
            )));
        }
        None if obj.contains_key("kty") => vec![value],
        None => return Err(JwksError::Shape("an object without \"keys\"".to_owned())),
    };
    let mut jwks = Jwks::default();
    for entry in entries {
        match parse_jwk(entry) {
            Ok(key) => jwks.keys.push(key),
            Err(reason) => jwks.skipped.push(SkippedKey {
                kid: entry.get("kid").and_then(Value::as_str).map(str::to_owned),
                reason,
            }),
        }
    }
    Ok(jwks)
}

fn str_field<'a>(obj: &'a Map<String, Value>, name: &str) -> Result<Option<&'a str>, String> {
    match obj.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(format!("\"{name}\" is {}, not a string", json_type(other))),
    }
}

fn b64_field(obj: &Map<String, Value>, name: &str) -> Result<Vec<u8>, String> {
    let s = str_field(obj, name)?.ok_or_else(|| format!("\"{name}\" is missing"))?;
    // The segment is only used for the error text, which is replaced here.
    b64_lenient(s).ok_or_else(|| format!("\"{name}\" is not base64url"))
}

/// Parses one JWK into a usable verification key, or says why it cannot be used.
pub fn parse_jwk(value: &Value) -> Result<Jwk, String> {
    let obj = value
        .as_object()
        .ok_or_else(|| format!("the key is {}, not an object", json_type(value)))?;
    let kid = str_field(obj, "kid")?.map(str::to_owned);
    let alg = str_field(obj, "alg")?.map(str::to_owned);
    let key_use = str_field(obj, "use")?.map(str::to_owned);
    let key_ops = match obj.get("key_ops") {
        None | Some(Value::Null) => None,
        Some(Value::Array(ops)) => Some(
            ops.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect(),
        ),
        Some(other) => return Err(format!("\"key_ops\" is {}, not an array", json_type(other))),
    };
    let kty = str_field(obj, "kty")?.ok_or("\"kty\" is missing")?;
    // A private key in a published set is a leak; it still carries the public part, so it is
    // used, and flagged through `private`.
    let private = kty != "oct" && obj.contains_key("d");
    let mut ec_point = None;
    let (kty, crv, bits, key) = match kty {
        "RSA" => {
            let n = b64_field(obj, "n")?;
            let e = b64_field(obj, "e")?;
            let n = strip_leading_zeros(&n);
            let e = strip_leading_zeros(&e);
            if n.is_empty() || e.is_empty() {
                return Err("the RSA modulus or exponent is zero".to_owned());
            }
            let bits = n.len() * 8 - n[0].leading_zeros() as usize;
            (
                KeyType::Rsa,
                None,
                bits,
                DecodingKey::from_rsa_raw_components(n, e),
            )
        }
        "EC" => {
            let crv = str_field(obj, "crv")?.ok_or("\"crv\" is missing")?;
            let size = match crv {
                "P-256" => 32,
                "P-384" => 48,
                "P-521" => 66,
                other => {
                    return Err(format!(
                        "curve {other} is not supported (P-256, P-384 and P-521 are)"
                    ));
                }
            };
            let x = b64_field(obj, "x")?;
            let y = b64_field(obj, "y")?;
            if x.len() != size || y.len() != size {
                return Err(format!(
                    "the {crv} coordinates must be {size} bytes each (x has {}, y has {})",
                    x.len(),
                    y.len()
                ));
            }
            let mut point = Vec::with_capacity(1 + 2 * size);
            point.push(0x04);
            point.extend_from_slice(&x);
            point.extend_from_slice(&y);
            let bits = if size == 66 { 521 } else { size * 8 };
            let key = DecodingKey::from_ec_der(&point);
            ec_point = Some(point);
            (KeyType::Ec, Some(crv.to_owned()), bits, key)
        }
        "OKP" => {
            let crv = str_field(obj, "crv")?.ok_or("\"crv\" is missing")?;
            if crv != "Ed25519" {
                return Err(format!("curve {crv} is not supported (only Ed25519 is)"));
            }
            let x = b64_field(obj, "x")?;
            if x.len() != 32 {
                return Err(format!(
                    "an Ed25519 key is 32 bytes, this one has {}",
                    x.len()
                ));
            }
            (
                KeyType::Okp,
                Some(crv.to_owned()),
                256,
                DecodingKey::from_ed_der(&x),
            )
        }
        "oct" => {
            let k = b64_field(obj, "k")?;
            if k.is_empty() {
                return Err("the symmetric key \"k\" is empty".to_owned());
            }
            (
                KeyType::Oct,
                None,
                k.len() * 8,
                DecodingKey::from_secret(&k),
            )
        }
        other => return Err(format!("key type \"{other}\" is not supported")),
    };
    Ok(Jwk {
        kid,
        kty,
        crv,
        alg,
        key_use,
        key_ops,
        bits,
        private,
        key,
        ec_point,
    })
}

fn strip_leading_zeros(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    &bytes[start..]
}

/// The keys a token is verified with, already loaded.
#[derive(Debug, Clone, Default)]
pub enum Keys {
    /// No key was given: signatures are not checked (status `skipped`, or `unverifiable` for HS*).
    #[default]
    None,
    /// A shared secret for HS*.
    Secret(SharedSecret),
    /// A JWKS.
    Jwks(Jwks),
    /// Keys were asked for but could not be loaded (the reason): signatures are `unverifiable`.
    Unavailable(String),
}

/// Where verification keys come from.
#[derive(Debug, Clone, Default)]
pub enum KeySource {
    /// No key: decode and check claims only.
    #[default]
    None,
    /// A shared secret for HS*.
    Secret(SharedSecret),
    /// A JWKS (or single JWK) file on disk.
    JwksFile(PathBuf),
    /// A JWKS URL (e.g. the issuer's `jwks_uri`).
    JwksUrl(Url),
    /// A JWKS already in memory.
    Jwks(Jwks),
}

impl KeySource {
    /// Reads a `--jwks-uri` value: `http(s)://...` is a URL, anything else a file path
    /// (`file://` URLs are accepted too).
    pub fn from_uri_or_path(s: &str) -> Self {
        match Url::parse(s) {
            Ok(url) if url.scheme() == "http" || url.scheme() == "https" => KeySource::JwksUrl(url),
            Ok(url) if url.scheme() == "file" => match url.to_file_path() {
                Ok(path) => KeySource::JwksFile(path),
                Err(()) => KeySource::JwksFile(PathBuf::from(s)),
            },
            _ => KeySource::JwksFile(PathBuf::from(s)),
        }
    }
}

/// Why keys could not be loaded from their source.
#[derive(Debug, thiserror::Error)]
pub enum KeySourceError {
    /// The JWKS file could not be read.
    #[error("could not read the JWKS file {path}: {detail}")]
    File {
        /// The path.
        path: String,
        /// The I/O error.
        detail: String,
    },
    /// The JWKS URL could not be fetched.
    #[error("could not fetch the JWKS from {url}: {detail}")]
    Fetch {
        /// The URL.
        url: String,
        /// What went wrong (transport error or HTTP status).
        detail: String,
    },
    /// The document is not a JWKS.
    #[error("the JWKS from {origin} is unusable: {source}")]
    Parse {
        /// URL or path.
        origin: String,
        /// The parse error.
        source: JwksError,
    },
}

/// Loads keys from `source`. For a URL, when the token's `kid` is not in the fetched set, the set
/// is fetched once more (the issuer may have rotated keys since), and [`Jwks::refetched`] is set.
/// Every HTTP exchange made is appended to `exchanges`, also when loading fails.
pub async fn load_keys(
    source: &KeySource,
    client: &HttpClient,
    kid: Option<&str>,
    exchanges: &mut Vec<Exchange>,
) -> Result<Keys, KeySourceError> {
    match source {
        KeySource::None => Ok(Keys::None),
        KeySource::Secret(secret) => Ok(Keys::Secret(secret.clone())),
        KeySource::Jwks(jwks) => Ok(Keys::Jwks(jwks.clone())),
        KeySource::JwksFile(path) => {
            let origin = path.display().to_string();
            let bytes = tokio::fs::read(path)
                .await
                .map_err(|e| KeySourceError::File {
                    path: origin.clone(),
                    detail: e.to_string(),
                })?;
            let mut jwks = parse_jwks(&bytes).map_err(|source| KeySourceError::Parse {
                origin: origin.clone(),
                source,
            })?;
            jwks.origin = Some(origin);
            Ok(Keys::Jwks(jwks))
        }
        KeySource::JwksUrl(url) => {
            let mut jwks = fetch_jwks(client, url, "JWKS", exchanges).await?;
            if let Some(kid) = kid
                && !jwks.knows_kid(kid)
            {
                jwks = fetch_jwks(client, url, "JWKS again (unknown kid)", exchanges).await?;
                jwks.refetched = true;
            }
            Ok(Keys::Jwks(jwks))
        }
    }
}

/// Fetches and parses one JWKS, recording the exchange.
pub async fn fetch_jwks(
    client: &HttpClient,
    url: &Url,
    step: &str,
    exchanges: &mut Vec<Exchange>,
) -> Result<Jwks, KeySourceError> {
    let origin = url.to_string();
    let (exchange, response) = match client.send(step, HttpRequest::get(url.clone())).await {
        Ok(ok) => ok,
        Err((exchange, err)) => {
            exchanges.push(exchange);
            return Err(KeySourceError::Fetch {
                url: origin,
                detail: err.to_string(),
            });
        }
    };
    exchanges.push(exchange);
    if !response.is_success() {
        return Err(KeySourceError::Fetch {
            url: origin,
            detail: format!("HTTP {}", response.status),
        });
    }
    let value = response.json_value().map_err(|e| KeySourceError::Fetch {
        url: origin.clone(),
        detail: e.to_string(),
    })?;
    let mut jwks = jwks_from_value(&value).map_err(|source| KeySourceError::Parse {
        origin: origin.clone(),
        source,
    })?;
    jwks.origin = Some(origin);
    jwks.fetched = true;
    Ok(jwks)
}

/// The JWKS document itself, as published (a URL fetched, a file read, a set in memory given
/// back): for the forgeries that key an HMAC with the issuer's public key in the form it is
/// published. Every HTTP exchange made is appended to `exchanges`.
pub async fn load_jwks_value(
    source: &KeySource,
    client: &HttpClient,
    exchanges: &mut Vec<Exchange>,
) -> Result<Option<Value>, KeySourceError> {
    match source {
        KeySource::None | KeySource::Secret(_) | KeySource::Jwks(_) => Ok(None),
        KeySource::JwksFile(path) => {
            let origin = path.display().to_string();
            let bytes = tokio::fs::read(path)
                .await
                .map_err(|e| KeySourceError::File {
                    path: origin.clone(),
                    detail: e.to_string(),
                })?;
            serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| KeySourceError::Parse {
                    origin,
                    source: JwksError::NotJson(e.to_string()),
                })
        }
        KeySource::JwksUrl(url) => {
            let origin = url.to_string();
            let (exchange, response) =
                match client.send("JWKS", HttpRequest::get(url.clone())).await {
                    Ok(ok) => ok,
                    Err((exchange, err)) => {
                        exchanges.push(exchange);
                        return Err(KeySourceError::Fetch {
                            url: origin,
                            detail: err.to_string(),
                        });
                    }
                };
            exchanges.push(exchange);
            if !response.is_success() {
                return Err(KeySourceError::Fetch {
                    url: origin,
                    detail: format!("HTTP {}", response.status),
                });
            }
            response
                .json_value()
                .map(Some)
                .map_err(|e| KeySourceError::Fetch {
                    url: origin,
                    detail: e.to_string(),
                })
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_each_kind_and_skips_unusable_keys() {
        let doc = json!({"keys": [
            {"kty": "RSA", "kid": "r1", "use": "sig", "alg": "RS256",
             "n": "AQAB_w", "e": "AQAB"},
            {"kty": "EC", "kid": "e1", "crv": "P-256",
             "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
             "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"},
            {"kty": "OKP", "kid": "o1", "crv": "Ed25519",
             "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"},
            {"kty": "oct", "kid": "s1", "k": "c2VjcmV0"},
            {"kty": "EC", "kid": "bad", "crv": "secp256k1", "x": "AA", "y": "AA"},
            {"kty": "RSA", "kid": "enc1", "n": "!!", "e": "AQAB"},
            {"kid": "nokty"},
            "not an object"
        ]});
        let jwks = jwks_from_value(&doc).unwrap();
        let kinds: Vec<(Option<&str>, KeyType)> = jwks
            .keys
            .iter()
            .map(|k| (k.kid.as_deref(), k.kty))
            .collect();
        assert_eq!(
            kinds,
            [
                (Some("r1"), KeyType::Rsa),
                (Some("e1"), KeyType::Ec),
                (Some("o1"), KeyType::Okp),
                (Some("s1"), KeyType::Oct)
            ]
        );
        assert_eq!(jwks.keys[0].bits, 25); // 0x01 0x00 0x01 0xff
        assert_eq!(jwks.keys[3].bits, 48);
        assert_eq!(jwks.skipped.len(), 4);
        assert!(
            jwks.skipped[0]
                .reason
                .contains("secp256k1 is not supported")
        );
        assert!(jwks.skipped[1].reason.contains("\"n\" is not base64url"));
        assert!(jwks.skipped[2].reason.contains("kty"));
        assert!(jwks.knows_kid("bad"));
        assert!(!jwks.knows_kid("zzz"));
        assert!(jwks.has_asymmetric());
    }

    #[test]
    fn single_jwk_is_accepted() {
        let jwks = parse_jwks(br#"{"kty":"oct","k":"c2VjcmV0"}"#).unwrap();
        assert_eq!(jwks.keys.len(), 1);
        assert!(!jwks.has_asymmetric());
    }

    #[test]
    fn shape_errors() {
        assert!(matches!(parse_jwks(b"nope"), Err(JwksError::NotJson(_))));
        assert!(matches!(parse_jwks(b"[]"), Err(JwksError::Shape(s)) if s == "an array"));
        assert!(matches!(
            parse_jwks(br#"{"keys": 3}"#),
            Err(JwksError::Shape(_))
        ));
        assert!(matches!(parse_jwks(b"{}"), Err(JwksError::Shape(_))));
    }

    #[test]
    fn ec_coordinates_must_fit_the_curve() {
        let err = parse_jwk(&json!({"kty":"EC","crv":"P-384",
            "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
            "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}))
        .unwrap_err();
        assert!(err.contains("48 bytes"), "{err}");
    }

    #[test]
    fn secret_debug_is_redacted() {
        let s = SharedSecret::new("hunter2");
        let shown = format!("{s:?}");
        assert!(!shown.contains("hunter2"));
        assert!(shown.contains("7 bytes"));
    }

    #[test]
    fn uri_or_path() {
        assert!(matches!(
            KeySource::from_uri_or_path("https://as.example/jwks"),
            KeySource::JwksUrl(_)
        ));
        assert!(matches!(
            KeySource::from_uri_or_path("keys/jwks.json"),
            KeySource::JwksFile(p) if p == std::path::Path::new("keys/jwks.json")
        ));
        assert!(matches!(
            KeySource::from_uri_or_path("file:///tmp/jwks.json"),
            KeySource::JwksFile(p) if p == std::path::Path::new("/tmp/jwks.json")
        ));
    }
}
