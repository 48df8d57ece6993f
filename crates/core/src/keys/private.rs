//! A private signing key (RSA, ECDSA P-256/384/521 or Ed25519) held as PKCS#8 and parsed by
//! aws-lc-rs: generation, import from PEM or DER, the public JWK, and JWS signatures. An X25519
//! key (RFC 8037 `OKP`, for ECDH-ES encryption only) is held the same way; it signs nothing.
//!
//! The key bytes are never shown: `Debug` prints the kind and the thumbprint only, and the PEM
//! comes out only through [`PrivateKey::reveal_pkcs8_pem`].

use std::fmt;

use aws_lc_rs::agreement;
use aws_lc_rs::encoding::{AsBigEndian as _, AsDer as _, Curve25519SeedBin};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::{KeyPair as RsaKeyPair, KeySize, PublicKeyComponents};
use aws_lc_rs::signature::{
    self, EcdsaKeyPair, EcdsaSigningAlgorithm, Ed25519KeyPair, KeyPair as _, RsaEncoding,
};
use serde_json::{Map, Value, json};

use super::KeyError;
use super::alg::JwsAlg;
use super::pem;
use super::thumbprint::{b64, thumbprint};

/// The curves grantscope reads (P-256 is the one it generates).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Curve {
    /// NIST P-256 (ES256).
    P256,
    /// NIST P-384 (ES384).
    P384,
    /// NIST P-521 (ES512).
    P521,
}

impl Curve {
    const ALL: [Curve; 3] = [Curve::P256, Curve::P384, Curve::P521];

    /// The JWK `crv` name.
    pub fn jwk_name(self) -> &'static str {
        match self {
            Curve::P256 => "P-256",
            Curve::P384 => "P-384",
            Curve::P521 => "P-521",
        }
    }

    fn signing(self) -> &'static EcdsaSigningAlgorithm {
        match self {
            Curve::P256 => &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
            Curve::P384 => &signature::ECDSA_P384_SHA384_FIXED_SIGNING,
            Curve::P521 => &signature::ECDSA_P521_SHA512_FIXED_SIGNING,
        }
    }

    fn alg(self) -> JwsAlg {
        match self {
            Curve::P256 => JwsAlg::Es256,
            Curve::P384 => JwsAlg::Es384,
            Curve::P521 => JwsAlg::Es512,
        }
    }

    /// Bytes of one coordinate.
    fn coordinate_len(self) -> usize {
        match self {
            Curve::P256 => 32,
            Curve::P384 => 48,
            Curve::P521 => 66,
        }
    }
}

/// What kind of key it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    /// RSA with this modulus size in bits.
    Rsa(usize),
    /// ECDSA on a NIST curve.
    Ec(Curve),
    /// Ed25519.
    Ed25519,
    /// X25519: receives encrypted tokens (ECDH-ES); signs nothing.
    X25519,
}

impl fmt::Display for KeyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyKind::Rsa(bits) => write!(f, "rsa-{bits}"),
            KeyKind::Ec(curve) => {
                write!(f, "ec-{}", curve.jwk_name().replace('-', "").to_lowercase())
            }
            KeyKind::Ed25519 => f.write_str("ed25519"),
            KeyKind::X25519 => f.write_str("x25519"),
        }
    }
}

/// The key types `grantscope key generate --type` makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GenerateType {
    /// RSA 2048 bits.
    Rsa2048,
    /// RSA 3072 bits.
    Rsa3072,
    /// ECDSA P-256.
    EcP256,
    /// ECDSA P-384 (ES384; ECDH-ES as an encryption key).
    EcP384,
    /// ECDSA P-521 (ES512; ECDH-ES as an encryption key).
    EcP521,
    /// Ed25519.
    Ed25519,
}

impl GenerateType {
    /// The command-line names.
    pub const NAMES: [&'static str; 6] = [
        "rsa-2048", "rsa-3072", "ec-p256", "ec-p384", "ec-p521", "ed25519",
    ];
}

impl std::str::FromStr for GenerateType {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "rsa-2048" | "rsa" => Ok(GenerateType::Rsa2048),
            "rsa-3072" => Ok(GenerateType::Rsa3072),
            "ec-p256" | "ec" | "p-256" | "p256" => Ok(GenerateType::EcP256),
            "ec-p384" | "p-384" | "p384" => Ok(GenerateType::EcP384),
            "ec-p521" | "p-521" | "p521" => Ok(GenerateType::EcP521),
            "ed25519" => Ok(GenerateType::Ed25519),
            _ => Err(format!(
                "unknown key type {s:?}; use one of {}",
                GenerateType::NAMES.join(", ")
            )),
        }
    }
}

enum Pair {
    Rsa(RsaKeyPair),
    Ec(Curve, EcdsaKeyPair),
    Ed(Ed25519KeyPair),
    X25519(agreement::PrivateKey),
}

/// RFC 8410 §7: the PKCS#8 v1 encoding of an X25519 private key is this prefix (a
/// `PrivateKeyInfo` with id-X25519 and a 32-byte `CurvePrivateKey`) and the 32 key bytes.
/// aws-lc-rs neither reads nor writes it for X25519, so it is done here.
const X25519_PKCS8_PREFIX: [u8; 16] = [
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22, 0x04, 0x20,
];

/// A private key that can sign JWS (and certificates, through rcgen).
pub struct PrivateKey {
    pair: Pair,
    pkcs8: Vec<u8>,
    /// The `kid` it goes by: the one its JWK file gave, else its thumbprint.
    kid: String,
    /// The RFC 7638 thumbprint (DPoP's `jkt`, whatever the `kid`).
    thumbprint: String,
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PrivateKey")
            .field("kind", &self.kind())
            .field("kid", &self.kid)
            .field("pkcs8", &"<redacted>")
            .finish()
    }
}

impl PrivateKey {
    /// Generates a fresh key from the system CSPRNG.
    pub fn generate(kind: GenerateType) -> Result<PrivateKey, KeyError> {
        let der = match kind {
            GenerateType::Rsa2048 | GenerateType::Rsa3072 => {
                let size = if kind == GenerateType::Rsa2048 {
                    KeySize::Rsa2048
                } else {
                    KeySize::Rsa3072
                };
                let pair = RsaKeyPair::generate(size)
                    .map_err(|_| KeyError::Crypto("RSA key generation"))?;
                pair.as_der()
                    .map_err(|_| KeyError::Crypto("RSA key encoding"))?
                    .as_ref()
                    .to_vec()
            }
            GenerateType::EcP256 | GenerateType::EcP384 | GenerateType::EcP521 => {
                let curve = match kind {
                    GenerateType::EcP384 => Curve::P384,
                    GenerateType::EcP521 => Curve::P521,
                    _ => Curve::P256,
                };
                EcdsaKeyPair::generate(curve.signing())
                    .and_then(|pair| pair.to_pkcs8v1())
                    .map_err(|_| KeyError::Crypto("EC key generation"))?
                    .as_ref()
                    .to_vec()
            }
            GenerateType::Ed25519 => Ed25519KeyPair::generate()
                .and_then(|pair| pair.to_pkcs8v1())
                .map_err(|_| KeyError::Crypto("Ed25519 key generation"))?
                .as_ref()
                .to_vec(),
        };
        PrivateKey::from_pkcs8_der(&der)
    }

    /// Generates an X25519 key (for ECDH-ES encryption; it cannot sign).
    pub fn generate_x25519() -> Result<PrivateKey, KeyError> {
        let key = agreement::PrivateKey::generate(&agreement::X25519)
            .map_err(|_| KeyError::Crypto("X25519 key generation"))?;
        let seed: Curve25519SeedBin<'_> = key
            .as_be_bytes()
            .map_err(|_| KeyError::Crypto("X25519 key encoding"))?;
        let mut der = X25519_PKCS8_PREFIX.to_vec();
        der.extend_from_slice(seed.as_ref());
        PrivateKey::from_pkcs8_der(&der)
    }

    /// An X25519 key from its 32 private bytes (a JWK's `d`).
    pub fn x25519_from_bytes(bytes: &[u8]) -> Result<PrivateKey, KeyError> {
        if bytes.len() != 32 {
            return Err(KeyError::Invalid(format!(
                "an X25519 private key is 32 bytes, not {}",
                bytes.len()
            )));
        }
        let mut der = X25519_PKCS8_PREFIX.to_vec();
        der.extend_from_slice(bytes);
        PrivateKey::from_pkcs8_der(&der)
    }

    /// The 32 private bytes of an X25519 key (RFC 7748), for ECDH; `None` for any other kind.
    pub fn x25519_private_bytes(&self) -> Option<&[u8]> {
        match &self.pair {
            Pair::X25519(_) => self.pkcs8.get(X25519_PKCS8_PREFIX.len()..),
            _ => None,
        }
    }

    /// Parses PKCS#8 DER (RSA, EC P-256/384/521, Ed25519, or X25519 as RFC 8410 writes it).
    pub fn from_pkcs8_der(der: &[u8]) -> Result<PrivateKey, KeyError> {
        let x25519 =
            der.len() == X25519_PKCS8_PREFIX.len() + 32 && der.starts_with(&X25519_PKCS8_PREFIX);
        let pair = if x25519 {
            let bytes = der.get(X25519_PKCS8_PREFIX.len()..).unwrap_or_default();
            Pair::X25519(
                agreement::PrivateKey::from_private_key(&agreement::X25519, bytes).map_err(
                    |e| KeyError::Invalid(format!("not a valid X25519 private key ({e})")),
                )?,
            )
        } else if let Ok(pair) = Ed25519KeyPair::from_pkcs8_maybe_unchecked(der) {
            Pair::Ed(pair)
        } else if let Some((curve, pair)) = Curve::ALL.into_iter().find_map(|curve| {
            EcdsaKeyPair::from_pkcs8(curve.signing(), der)
                .ok()
                .map(|pair| (curve, pair))
        }) {
            Pair::Ec(curve, pair)
        } else {
            Pair::Rsa(RsaKeyPair::from_pkcs8(der).map_err(|e| {
                KeyError::Invalid(format!(
                    "not an RSA, EC (P-256/384/521) or Ed25519 PKCS#8 private key ({e})"
                ))
            })?)
        };
        // Re-encode so that what is stored is what aws-lc-rs reads back (PKCS#8 v1).
        let pkcs8 = match &pair {
            Pair::Rsa(pair) => pair.as_der().map(|d| d.as_ref().to_vec()),
            Pair::Ec(_, pair) => pair.to_pkcs8v1().map(|d| d.as_ref().to_vec()),
            Pair::Ed(pair) => pair.to_pkcs8v1().map(|d| d.as_ref().to_vec()),
            Pair::X25519(_) => Ok(der.to_vec()),
        }
        .map_err(|_| KeyError::Crypto("private key encoding"))?;
        let mut key = PrivateKey {
            pair,
            pkcs8,
            kid: String::new(),
            thumbprint: String::new(),
        };
        key.thumbprint = thumbprint(&key.public_jwk_members())?;
        key.kid = key.thumbprint.clone();
        Ok(key)
    }

    /// Parses the first private key in PEM text: `PRIVATE KEY` (PKCS#8), `RSA PRIVATE KEY`
    /// (PKCS#1) or `EC PRIVATE KEY` (SEC1). Certificates in the same text are ignored here.
    pub fn from_pem(text: &str) -> Result<PrivateKey, KeyError> {
        let blocks = pem::parse(text).map_err(KeyError::Invalid)?;
        let Some(block) = blocks.iter().find(|b| b.label.ends_with("PRIVATE KEY")) else {
            if blocks.iter().any(|b| b.label == "ENCRYPTED PRIVATE KEY") {
                return Err(KeyError::Invalid(
                    "the private key is encrypted; decrypt it first (openssl pkcs8 -nocrypt)"
                        .into(),
                ));
            }
            return Err(KeyError::Invalid(
                "no PRIVATE KEY block found in the PEM text".into(),
            ));
        };
        match block.label.as_str() {
            "PRIVATE KEY" => PrivateKey::from_pkcs8_der(&block.der),
            "RSA PRIVATE KEY" => {
                let pair = RsaKeyPair::from_der(&block.der).map_err(|e| {
                    KeyError::Invalid(format!("not a valid PKCS#1 RSA private key ({e})"))
                })?;
                let der = pair
                    .as_der()
                    .map_err(|_| KeyError::Crypto("RSA key encoding"))?;
                PrivateKey::from_pkcs8_der(der.as_ref())
            }
            "EC PRIVATE KEY" => {
                let pair = Curve::ALL
                    .into_iter()
                    .find_map(|c| EcdsaKeyPair::from_private_key_der(c.signing(), &block.der).ok())
                    .ok_or_else(|| {
                        KeyError::Invalid(
                            "not a valid SEC1 EC private key on P-256, P-384 or P-521".into(),
                        )
                    })?;
                let der = pair
                    .to_pkcs8v1()
                    .map_err(|_| KeyError::Crypto("EC key encoding"))?;
                PrivateKey::from_pkcs8_der(der.as_ref())
            }
            "ENCRYPTED PRIVATE KEY" => Err(KeyError::Invalid(
                "the private key is encrypted; decrypt it first (openssl pkcs8 -nocrypt)".into(),
            )),
            other => Err(KeyError::Invalid(format!(
                "unsupported PEM block {other:?}; expected PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY"
            ))),
        }
    }

    /// What kind of key this is.
    pub fn kind(&self) -> KeyKind {
        match &self.pair {
            Pair::Rsa(pair) => KeyKind::Rsa(pair.public_modulus_len() * 8),
            Pair::Ec(curve, _) => KeyKind::Ec(*curve),
            Pair::Ed(_) => KeyKind::Ed25519,
            Pair::X25519(_) => KeyKind::X25519,
        }
    }

    /// The `kid` the key goes by: the one its JWK file gave (a server may have registered the
    /// key under it), else its RFC 7638 thumbprint. The first `kid` wins.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The RFC 7638 thumbprint of the public key (what `cnf.jkt` and `dpop_jkt` carry).
    pub fn thumbprint(&self) -> &str {
        &self.thumbprint
    }

    /// The key under a `kid` of its own (a JWK file's); an empty one keeps the thumbprint.
    pub fn with_kid(mut self, kid: &str) -> Self {
        let kid = kid.trim();
        if !kid.is_empty() {
            self.kid = kid.to_owned();
        }
        self
    }

    /// The algorithm this key signs with unless told otherwise. An X25519 key signs nothing:
    /// it names EdDSA (its curve family's), which [`Self::supports`] then refuses by name.
    pub fn default_alg(&self) -> JwsAlg {
        match &self.pair {
            Pair::Rsa(_) => JwsAlg::Rs256,
            Pair::Ec(curve, _) => curve.alg(),
            Pair::Ed(_) | Pair::X25519(_) => JwsAlg::EdDsa,
        }
    }

    /// Whether this key can sign with `alg`.
    pub fn supports(&self, alg: JwsAlg) -> bool {
        match &self.pair {
            Pair::Rsa(_) => matches!(
                alg,
                JwsAlg::Rs256
                    | JwsAlg::Rs384
                    | JwsAlg::Rs512
                    | JwsAlg::Ps256
                    | JwsAlg::Ps384
                    | JwsAlg::Ps512
            ),
            Pair::Ec(curve, _) => alg == curve.alg(),
            Pair::Ed(_) => alg == JwsAlg::EdDsa,
            Pair::X25519(_) => false,
        }
    }

    /// The algorithms this key can sign with.
    pub fn algorithms(&self) -> Vec<JwsAlg> {
        JwsAlg::ALL
            .into_iter()
            .filter(|a| self.supports(*a))
            .collect()
    }

    /// The public JWK members the thumbprint covers (RFC 7638 §3.2), no `kid`.
    pub(crate) fn public_jwk_members(&self) -> Map<String, Value> {
        let mut m = Map::new();
        match &self.pair {
            Pair::Rsa(pair) => {
                let c = PublicKeyComponents::<Vec<u8>>::from(pair.public_key());
                m.insert("kty".into(), json!("RSA"));
                m.insert("n".into(), json!(b64(strip_leading_zeros(&c.n))));
                m.insert("e".into(), json!(b64(strip_leading_zeros(&c.e))));
            }
            Pair::Ec(curve, pair) => {
                let point = pair.public_key().as_ref();
                let n = curve.coordinate_len();
                // Uncompressed SEC1 point: 0x04 || X || Y.
                let (x, y) = if point.len() == 1 + 2 * n {
                    (&point[1..=n], &point[1 + n..])
                } else {
                    (&point[..0], &point[..0])
                };
                m.insert("kty".into(), json!("EC"));
                m.insert("crv".into(), json!(curve.jwk_name()));
                m.insert("x".into(), json!(b64(x)));
                m.insert("y".into(), json!(b64(y)));
            }
            Pair::Ed(pair) => {
                m.insert("kty".into(), json!("OKP"));
                m.insert("crv".into(), json!("Ed25519"));
                m.insert("x".into(), json!(b64(pair.public_key().as_ref())));
            }
            Pair::X25519(key) => {
                // Computing the public half cannot fail for a parsed key; empty if it did.
                let public = key
                    .compute_public_key()
                    .map(|p| p.as_ref().to_vec())
                    .unwrap_or_default();
                m.insert("kty".into(), json!("OKP"));
                m.insert("crv".into(), json!("X25519"));
                m.insert("x".into(), json!(b64(&public)));
            }
        }
        m
    }

    /// The public JWK: `kty` members plus `kid` (the thumbprint), `use: sig` and `alg`.
    pub fn public_jwk(&self) -> Value {
        let mut m = self.public_jwk_members();
        m.insert("kid".into(), json!(self.kid));
        m.insert("use".into(), json!("sig"));
        m.insert("alg".into(), json!(self.default_alg().as_str()));
        Value::Object(m)
    }

    /// Signs `message` with `alg` (ECDSA signatures in the JWS fixed-width form, RFC 7518 §3.4).
    pub fn sign(&self, alg: JwsAlg, message: &[u8]) -> Result<Vec<u8>, KeyError> {
        if !self.supports(alg) {
            return Err(KeyError::AlgMismatch {
                alg,
                kind: self.kind(),
            });
        }
        let rng = SystemRandom::new();
        match &self.pair {
            Pair::Rsa(pair) => {
                let encoding: &'static dyn RsaEncoding = match alg {
                    JwsAlg::Rs256 => &signature::RSA_PKCS1_SHA256,
                    JwsAlg::Rs384 => &signature::RSA_PKCS1_SHA384,
                    JwsAlg::Rs512 => &signature::RSA_PKCS1_SHA512,
                    JwsAlg::Ps256 => &signature::RSA_PSS_SHA256,
                    JwsAlg::Ps384 => &signature::RSA_PSS_SHA384,
                    _ => &signature::RSA_PSS_SHA512,
                };
                let mut sig = vec![0u8; pair.public_modulus_len()];
                pair.sign(encoding, &rng, message, &mut sig)
                    .map_err(|_| KeyError::Crypto("RSA signing"))?;
                Ok(sig)
            }
            Pair::Ec(_, pair) => Ok(pair
                .sign(&rng, message)
                .map_err(|_| KeyError::Crypto("ECDSA signing"))?
                .as_ref()
                .to_vec()),
            Pair::Ed(pair) => Ok(pair.sign(message).as_ref().to_vec()),
            Pair::X25519(_) => Err(KeyError::AlgMismatch {
                alg,
                kind: self.kind(),
            }),
        }
    }

    /// Verifies a JWS signature made with `alg` by this key's public half.
    pub fn verify(&self, alg: JwsAlg, message: &[u8], sig: &[u8]) -> bool {
        use aws_lc_rs::signature::{UnparsedPublicKey, VerificationAlgorithm};
        if !self.supports(alg) {
            return false;
        }
        let (algorithm, public): (&'static dyn VerificationAlgorithm, &[u8]) = match &self.pair {
            Pair::Rsa(pair) => (
                match alg {
                    JwsAlg::Rs256 => &signature::RSA_PKCS1_2048_8192_SHA256,
                    JwsAlg::Rs384 => &signature::RSA_PKCS1_2048_8192_SHA384,
                    JwsAlg::Rs512 => &signature::RSA_PKCS1_2048_8192_SHA512,
                    JwsAlg::Ps256 => &signature::RSA_PSS_2048_8192_SHA256,
                    JwsAlg::Ps384 => &signature::RSA_PSS_2048_8192_SHA384,
                    _ => &signature::RSA_PSS_2048_8192_SHA512,
                },
                pair.public_key().as_ref(),
            ),
            Pair::Ec(curve, pair) => (
                match curve {
                    Curve::P256 => &signature::ECDSA_P256_SHA256_FIXED,
                    Curve::P384 => &signature::ECDSA_P384_SHA384_FIXED,
                    Curve::P521 => &signature::ECDSA_P521_SHA512_FIXED,
                },
                pair.public_key().as_ref(),
            ),
            Pair::Ed(pair) => (&signature::ED25519, pair.public_key().as_ref()),
            Pair::X25519(_) => return false,
        };
        UnparsedPublicKey::new(algorithm, public)
            .verify(message, sig)
            .is_ok()
    }

    /// The raw PKCS#8 DER bytes of the private key: for the store, rcgen and a TLS
    /// listener's own key. Named `expose_` like a secret's raw value.
    pub fn expose_pkcs8_der(&self) -> &[u8] {
        &self.pkcs8
    }

    /// The private key as PKCS#8 PEM. Only for writing the key file or an explicit export.
    pub fn reveal_pkcs8_pem(&self) -> String {
        pem::encode("PRIVATE KEY", &self.pkcs8)
    }
}

fn strip_leading_zeros(bytes: &[u8]) -> &[u8] {
    let first = bytes
        .iter()
        .position(|b| *b != 0)
        .unwrap_or(bytes.len().saturating_sub(1));
    &bytes[first..]
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use aws_lc_rs::signature::UnparsedPublicKey;
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    #[test]
    fn generated_keys_sign_and_verify() {
        for (kind, alg, verify) in [
            (
                GenerateType::EcP256,
                JwsAlg::Es256,
                &signature::ECDSA_P256_SHA256_FIXED as &dyn signature::VerificationAlgorithm,
            ),
            (GenerateType::Ed25519, JwsAlg::EdDsa, &signature::ED25519),
        ] {
            let key = PrivateKey::generate(kind).unwrap();
            assert_eq!(key.default_alg(), alg);
            let sig = key.sign(alg, b"hello").unwrap();
            let jwk = key.public_jwk();
            let public = match kind {
                GenerateType::Ed25519 => {
                    URL_SAFE_NO_PAD.decode(jwk["x"].as_str().unwrap()).unwrap()
                }
                _ => {
                    let mut p = vec![4u8];
                    p.extend(URL_SAFE_NO_PAD.decode(jwk["x"].as_str().unwrap()).unwrap());
                    p.extend(URL_SAFE_NO_PAD.decode(jwk["y"].as_str().unwrap()).unwrap());
                    p
                }
            };
            UnparsedPublicKey::new(verify, &public)
                .verify(b"hello", &sig)
                .unwrap();
            assert!(key.verify(alg, b"hello", &sig));
            assert!(!key.verify(alg, b"hellO", &sig));
            assert!(key.sign(JwsAlg::Rs256, b"x").is_err());
        }
    }

    #[test]
    fn pem_round_trip_keeps_the_kid_and_debug_hides_the_key() {
        let key = PrivateKey::generate(GenerateType::EcP256).unwrap();
        let pem = key.reveal_pkcs8_pem();
        let again = PrivateKey::from_pem(&pem).unwrap();
        assert_eq!(again.kid(), key.kid());
        let debug = format!("{key:?}");
        let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
        assert!(!debug.contains(&body[..20]), "{debug}");
        assert!(debug.contains("redacted"));
    }

    #[test]
    fn garbage_is_refused_with_a_reason() {
        let err = PrivateKey::from_pem("no pem here").unwrap_err();
        assert!(err.to_string().contains("no PRIVATE KEY"), "{err}");
        let err = PrivateKey::from_pkcs8_der(&[0x30, 0x03, 0x02, 0x01, 0x00]).unwrap_err();
        assert!(err.to_string().contains("PKCS#8"), "{err}");
    }
}
