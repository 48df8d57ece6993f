//! The issuer's public key, read from its JWK, in every form a verifier may hold it: the bytes
//! an HS256 token is keyed with when a library confuses the public key with an HMAC secret
//! (RFC 8725 §2.1): SPKI PEM as OpenSSL writes it, that PEM without its final newline, PKCS#1
//! PEM (RSA), SPKI DER, and the JWK's JSON.

use serde_json::{Map, Value};

use super::ForgeError;
use super::der;
use crate::keys::pem_encode;
use crate::token::decode::{b64_lenient, json_type};

/// The largest modulus or coordinate read (16384-bit RSA).
const MAX_KEY_BYTES: usize = 2048;

#[derive(Clone, PartialEq, Eq)]
enum Public {
    Rsa {
        n: Vec<u8>,
        e: Vec<u8>,
    },
    Ec {
        curve: &'static [u8],
        point: Vec<u8>,
    },
    Ed25519 {
        x: Vec<u8>,
    },
}

/// One public key of the issuer's, as its JWK gave it.
#[derive(Clone, PartialEq, Eq)]
pub struct IssuerKey {
    jwk: Map<String, Value>,
    public: Public,
}

impl std::fmt::Debug for IssuerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuerKey")
            .field("kty", &self.jwk.get("kty"))
            .field("kid", &self.kid())
            .finish_non_exhaustive()
    }
}

fn member(jwk: &Map<String, Value>, name: &str) -> Result<Vec<u8>, ForgeError> {
    let text = match jwk.get(name) {
        Some(Value::String(s)) => s,
        Some(other) => {
            return Err(ForgeError::IssuerKey(format!(
                "its \"{name}\" is {}, not a string",
                json_type(other)
            )));
        }
        None => return Err(ForgeError::IssuerKey(format!("its \"{name}\" is missing"))),
    };
    let bytes = b64_lenient(text)
        .ok_or_else(|| ForgeError::IssuerKey(format!("its \"{name}\" is not base64url")))?;
    if bytes.is_empty() || bytes.len() > MAX_KEY_BYTES {
        return Err(ForgeError::IssuerKey(format!(
            "its \"{name}\" is {} bytes",
            bytes.len()
        )));
    }
    Ok(bytes)
}

impl IssuerKey {
    /// Reads a public JWK (RSA, EC P-256/384/521, OKP Ed25519).
    pub fn from_jwk(jwk: &Value) -> Result<IssuerKey, ForgeError> {
        let Some(map) = jwk.as_object() else {
            return Err(ForgeError::IssuerKey(format!(
                "the JWK is {}, not an object",
                json_type(jwk)
            )));
        };
        let kty = map.get("kty").and_then(Value::as_str).unwrap_or("");
        let crv = map.get("crv").and_then(Value::as_str).unwrap_or("");
        let public = match (kty, crv) {
            ("RSA", _) => Public::Rsa {
                n: member(map, "n")?,
                e: member(map, "e")?,
            },
            ("EC", "P-256" | "P-384" | "P-521") => {
                let (curve, size) = match crv {
                    "P-256" => (der::OID_P256, 32),
                    "P-384" => (der::OID_P384, 48),
                    _ => (der::OID_P521, 66),
                };
                let (x, y) = (member(map, "x")?, member(map, "y")?);
                if x.len() != size || y.len() != size {
                    return Err(ForgeError::IssuerKey(format!(
                        "{crv} coordinates are {size} bytes each"
                    )));
                }
                let mut point = vec![0x04];
                point.extend_from_slice(&x);
                point.extend_from_slice(&y);
                Public::Ec { curve, point }
            }
            ("OKP", "Ed25519") => {
                let x = member(map, "x")?;
                if x.len() != 32 {
                    return Err(ForgeError::IssuerKey("an Ed25519 key is 32 bytes".into()));
                }
                Public::Ed25519 { x }
            }
            ("oct", _) => {
                return Err(ForgeError::IssuerKey(
                    "it is a symmetric (oct) key, not a public key".into(),
                ));
            }
            _ => {
                return Err(ForgeError::IssuerKey(format!(
                    "key type {kty:?} {crv} is not one grantscope reads (RSA, EC P-256/384/521, OKP Ed25519)"
                )));
            }
        };
        Ok(IssuerKey {
            jwk: map.clone(),
            public,
        })
    }

    /// The signing key of a JWKS (`{"keys": [...]}`, or one JWK) a token names: the key whose
    /// `kid` is `kid`, else, with no `kid` or no match, the first public key meant for signing.
    pub fn pick(jwks: &Value, kid: Option<&str>) -> Result<IssuerKey, ForgeError> {
        let keys: Vec<&Value> = match jwks.get("keys") {
            Some(Value::Array(keys)) => keys.iter().collect(),
            Some(other) => {
                return Err(ForgeError::IssuerKey(format!(
                    "the JWKS \"keys\" is {}",
                    json_type(other)
                )));
            }
            None => vec![jwks],
        };
        let signing = |k: &&&Value| k.get("use").and_then(Value::as_str).unwrap_or("sig") == "sig";
        let named = kid.and_then(|kid| {
            keys.iter()
                .find(|k| k.get("kid").and_then(Value::as_str) == Some(kid))
        });
        if let Some(key) = named {
            return IssuerKey::from_jwk(key);
        }
        keys.iter()
            .filter(signing)
            .find_map(|k| IssuerKey::from_jwk(k).ok())
            .ok_or_else(|| ForgeError::IssuerKey("the JWKS holds no usable public key".into()))
    }

    /// The JWK's `kid`.
    pub fn kid(&self) -> Option<&str> {
        self.jwk.get("kid").and_then(Value::as_str)
    }

    /// Whether it is an EC key (the issuer signs ES*).
    pub fn is_ec(&self) -> bool {
        matches!(self.public, Public::Ec { .. })
    }

    /// SubjectPublicKeyInfo DER.
    pub fn spki_der(&self) -> Vec<u8> {
        match &self.public {
            Public::Rsa { n, e } => der::rsa_spki(n, e),
            Public::Ec { curve, point } => der::ec_spki(curve, point),
            Public::Ed25519 { x } => der::ed25519_spki(x),
        }
    }

    /// SPKI PEM exactly as OpenSSL writes it: `PUBLIC KEY`, LF, 64-character lines, a final
    /// newline.
    pub fn spki_pem(&self) -> String {
        pem_encode("PUBLIC KEY", &self.spki_der())
    }

    /// PKCS#1 `RSA PUBLIC KEY` PEM (RSA keys only).
    pub fn pkcs1_pem(&self) -> Option<String> {
        match &self.public {
            Public::Rsa { n, e } => Some(pem_encode("RSA PUBLIC KEY", &der::rsa_pkcs1(n, e))),
            _ => None,
        }
    }

    /// The JWK as its JSON text (compact, members in the order given).
    pub fn jwk_json(&self) -> String {
        serde_json::to_string(&self.jwk).unwrap_or_default()
    }

    /// The JWK.
    pub fn jwk(&self) -> &Map<String, Value> {
        &self.jwk
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
pub(super) mod tests {
    use super::*;
    use serde_json::json;

    /// An RSA key made by `openssl genpkey`, with what `openssl pkey -pubout` and
    /// `openssl rsa -RSAPublicKey_out` wrote for it.
    pub(in super::super) const RSA_N: &str = "1q5t-dcbKvmS307vlQUTghChfZWrFxlKh0gZabpqeMncaUgsVgBmbOk-IdC2I7kYzun3nV5Wt8rL2N-soCljoSCSBLBc2YF8--Djh7i34zG8a_AmV2SS2MObyGTXXw4RMCP0kkFXrtzwttaECuzgCYxqRxjFjU2xsWO6Zsl5gWZiJSG1zBwiTiT8OGhG55NIsu3ToFs4DCxBlgC3isUZ0UPGNI-P_Tgg254ueqQwU2vPO9CZO16k92OJvQtEWg8AmMKJZKqEpfJI7bfI2Vl_rtk3bKV4pfNE6z0_ND2l_quP1FHqIV15PlAD9uOUB0YrQ5J8vbLGxP3-66AGcsiRvw";
    pub(in super::super) const RSA_SPKI_PEM: &str = "-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA1q5t+dcbKvmS307vlQUT
ghChfZWrFxlKh0gZabpqeMncaUgsVgBmbOk+IdC2I7kYzun3nV5Wt8rL2N+soClj
oSCSBLBc2YF8++Djh7i34zG8a/AmV2SS2MObyGTXXw4RMCP0kkFXrtzwttaECuzg
CYxqRxjFjU2xsWO6Zsl5gWZiJSG1zBwiTiT8OGhG55NIsu3ToFs4DCxBlgC3isUZ
0UPGNI+P/Tgg254ueqQwU2vPO9CZO16k92OJvQtEWg8AmMKJZKqEpfJI7bfI2Vl/
rtk3bKV4pfNE6z0/ND2l/quP1FHqIV15PlAD9uOUB0YrQ5J8vbLGxP3+66AGcsiR
vwIDAQAB
-----END PUBLIC KEY-----
";
    const RSA_PKCS1_PEM: &str = "-----BEGIN RSA PUBLIC KEY-----
MIIBCgKCAQEA1q5t+dcbKvmS307vlQUTghChfZWrFxlKh0gZabpqeMncaUgsVgBm
bOk+IdC2I7kYzun3nV5Wt8rL2N+soCljoSCSBLBc2YF8++Djh7i34zG8a/AmV2SS
2MObyGTXXw4RMCP0kkFXrtzwttaECuzgCYxqRxjFjU2xsWO6Zsl5gWZiJSG1zBwi
TiT8OGhG55NIsu3ToFs4DCxBlgC3isUZ0UPGNI+P/Tgg254ueqQwU2vPO9CZO16k
92OJvQtEWg8AmMKJZKqEpfJI7bfI2Vl/rtk3bKV4pfNE6z0/ND2l/quP1FHqIV15
PlAD9uOUB0YrQ5J8vbLGxP3+66AGcsiRvwIDAQAB
-----END RSA PUBLIC KEY-----
";
    const EC_SPKI_PEM: &str = "-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEJD7+A7ls4XXrWXKoEuOGj/FfZcdB
KAhplouatAdE9ljv0yTKLyRsAI7V597+lEMye7Wb6NIrvAeCymMk6aYDEg==
-----END PUBLIC KEY-----
";

    pub(in super::super) fn rsa_jwk() -> Value {
        json!({"kty": "RSA", "kid": "issuer-1", "use": "sig", "alg": "RS256", "n": RSA_N, "e": "AQAB"})
    }

    #[test]
    fn the_forms_match_what_openssl_wrote() {
        let rsa = IssuerKey::from_jwk(&rsa_jwk()).unwrap();
        assert_eq!(rsa.spki_pem(), RSA_SPKI_PEM);
        assert_eq!(rsa.pkcs1_pem().unwrap(), RSA_PKCS1_PEM);
        assert_eq!(rsa.kid(), Some("issuer-1"));
        assert!(!rsa.is_ec());
        assert_eq!(
            rsa.jwk_json(),
            format!(
                r#"{{"kty":"RSA","kid":"issuer-1","use":"sig","alg":"RS256","n":"{RSA_N}","e":"AQAB"}}"#
            )
        );
        let ec = IssuerKey::from_jwk(&json!({
            "kty": "EC", "crv": "P-256",
            "x": "JD7-A7ls4XXrWXKoEuOGj_FfZcdBKAhplouatAdE9lg",
            "y": "79Mkyi8kbACO1efe_pRDMnu1m-jSK7wHgspjJOmmAxI"
        }))
        .unwrap();
        assert_eq!(ec.spki_pem(), EC_SPKI_PEM);
        assert!(ec.pkcs1_pem().is_none());
        assert!(ec.is_ec());
    }

    #[test]
    fn ed25519_spki_is_read_back_by_aws_lc() {
        use aws_lc_rs::signature::{ED25519, Ed25519KeyPair, KeyPair as _, UnparsedPublicKey};
        let pair = Ed25519KeyPair::generate().unwrap();
        let x = crate::keys::base64url(pair.public_key().as_ref());
        let key = IssuerKey::from_jwk(&json!({"kty": "OKP", "crv": "Ed25519", "x": x})).unwrap();
        let sig = pair.sign(b"m");
        // aws-lc-rs reads an X.509 SubjectPublicKeyInfo as well as raw key bytes.
        UnparsedPublicKey::new(&ED25519, key.spki_der())
            .verify(b"m", sig.as_ref())
            .unwrap();
    }

    #[test]
    fn a_jwks_gives_the_named_key_or_the_first_signing_key() {
        let jwks = json!({"keys": [
            {"kty": "oct", "k": "c2VjcmV0", "kid": "hmac"},
            {"kty": "RSA", "use": "enc", "kid": "enc", "n": RSA_N, "e": "AQAB"},
            rsa_jwk(),
        ]});
        assert_eq!(
            IssuerKey::pick(&jwks, None).unwrap().kid(),
            Some("issuer-1")
        );
        assert_eq!(
            IssuerKey::pick(&jwks, Some("enc")).unwrap().kid(),
            Some("enc")
        );
        assert_eq!(
            IssuerKey::pick(&jwks, Some("gone")).unwrap().kid(),
            Some("issuer-1")
        );
        for (bad, words) in [
            (json!({"kty": "oct", "k": "c2VjcmV0"}), "symmetric"),
            (
                json!({"kty": "RSA", "n": 5, "e": "AQAB"}),
                "\"n\" is a number",
            ),
            (
                json!({"kty": "EC", "crv": "P-256", "x": "AQ", "y": "AQ"}),
                "32 bytes",
            ),
            (json!("x"), "a string, not an object"),
        ] {
            let err = IssuerKey::from_jwk(&bad).unwrap_err().to_string();
            assert!(err.contains(words), "{err}");
        }
        assert!(IssuerKey::pick(&json!({"keys": []}), None).is_err());
    }
}
