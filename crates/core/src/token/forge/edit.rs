//! A compact JWS taken apart for editing ([`Token`]): its header, claims and signature, set and
//! unset member by member, put back together, and re-signed ([`Signing`]).
//!
//! An unchanged part keeps its original encoding, so a token whose claims alone changed still
//! carries the issuer's header bytes and signature (what "claims tampered" sends).

use aws_lc_rs::hmac;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};

use super::{ForgeError, MAX_TOKEN_BYTES};
use crate::keys::{JwsAlg, KeyError, PrivateKey};
use crate::token::decode::{json_type, normalize};

/// The longest claim or header member name accepted.
const MAX_NAME_BYTES: usize = 256;

/// How to sign a token again.
#[derive(Clone, Copy)]
pub enum Signing<'a> {
    /// A private key; `alg` if given, else the token's own when the key can make it, else the
    /// key's default. With `set_kid`, the header's `kid` becomes the key's.
    Key {
        /// The key.
        key: &'a PrivateKey,
        /// The algorithm.
        alg: Option<JwsAlg>,
        /// Whether to put the key's `kid` in the header.
        set_kid: bool,
    },
    /// HMAC (HS256/384/512) over a shared secret; an empty secret is allowed (a forgery may
    /// need one).
    Secret {
        /// The secret's bytes.
        secret: &'a [u8],
        /// HS256, HS384 or HS512.
        alg: JwsAlg,
    },
    /// Unsecured (`alg` set to this spelling of `none`), with an empty signature.
    None {
        /// `none`, or another casing of it.
        spelling: &'a str,
    },
}

impl std::fmt::Debug for Signing<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Signing::Key { key, alg, set_kid } => f
                .debug_struct("Key")
                .field("key", key)
                .field("alg", alg)
                .field("set_kid", set_kid)
                .finish(),
            Signing::Secret { alg, .. } => write!(f, "Secret {{ alg: {alg}, secret: <redacted> }}"),
            Signing::None { spelling } => write!(f, "None {{ spelling: {spelling:?} }}"),
        }
    }
}

/// A signed token's parts, editable. `Debug` shows the header and the claim names only.
#[derive(Clone)]
pub struct Token {
    header: Map<String, Value>,
    claims: Value,
    signature: Vec<u8>,
    /// The original base64url of the header and payload, while they are unchanged.
    raw_header: Option<String>,
    raw_claims: Option<String>,
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&String> = self
            .claims
            .as_object()
            .map(|m| m.keys().collect())
            .unwrap_or_default();
        f.debug_struct("Token")
            .field("header", &self.header)
            .field("claim_names", &names)
            .field("signature_bytes", &self.signature.len())
            .finish()
    }
}

/// A command-line or form value: JSON when it parses as JSON (`1700000000`, `["a","b"]`,
/// `true`), else the text as a string.
pub fn value_from_text(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_owned()))
}

fn check_name(what: &str, name: &str) -> Result<(), ForgeError> {
    if name.is_empty() {
        return Err(ForgeError::BadName(format!(
            "a {what} name cannot be empty"
        )));
    }
    if name.len() > MAX_NAME_BYTES {
        return Err(ForgeError::BadName(format!(
            "a {what} name is at most {MAX_NAME_BYTES} bytes; this one has {}",
            name.len()
        )));
    }
    Ok(())
}

impl Token {
    /// Reads a compact JWS as pasted (whitespace, a `Bearer ` prefix and quotes are dropped).
    /// The signature may be empty (an unsecured token).
    pub fn parse(text: &str) -> Result<Token, ForgeError> {
        if text.len() > MAX_TOKEN_BYTES {
            return Err(ForgeError::TooLarge {
                len: text.len(),
                max: MAX_TOKEN_BYTES,
            });
        }
        let text = normalize(text);
        if text.is_empty() {
            return Err(ForgeError::Empty);
        }
        let parts: Vec<&str> = text.split('.').collect();
        let [h, p, s] = parts.as_slice() else {
            return Err(if parts.len() == 5 {
                ForgeError::Jwe
            } else {
                ForgeError::Parts(parts.len())
            });
        };
        let decode = |what: &'static str, part: &str| {
            URL_SAFE_NO_PAD
                .decode(part.trim_end_matches('='))
                .map_err(|_| ForgeError::Base64(what))
        };
        let header = match serde_json::from_slice::<Value>(&decode("header", h)?) {
            Ok(Value::Object(map)) => map,
            Ok(other) => {
                return Err(ForgeError::Json {
                    part: "header",
                    wanted: "object",
                    detail: format!("it is {}", json_type(&other)),
                });
            }
            Err(e) => {
                return Err(ForgeError::Json {
                    part: "header",
                    wanted: "object",
                    detail: e.to_string(),
                });
            }
        };
        let claims: Value =
            serde_json::from_slice(&decode("payload", p)?).map_err(|e| ForgeError::Json {
                part: "payload",
                wanted: "value",
                detail: e.to_string(),
            })?;
        Ok(Token {
            header,
            claims,
            signature: decode("signature", s)?,
            raw_header: Some((*h).to_owned()),
            raw_claims: Some((*p).to_owned()),
        })
    }

    /// A token from its parts, with no signature yet.
    pub fn from_parts(header: Map<String, Value>, claims: Value) -> Token {
        Token {
            header,
            claims,
            signature: Vec::new(),
            raw_header: None,
            raw_claims: None,
        }
    }

    /// The JOSE header.
    pub fn header(&self) -> &Map<String, Value> {
        &self.header
    }

    /// The payload (a JSON object for a JWT).
    pub fn claims(&self) -> &Value {
        &self.claims
    }

    /// The signature bytes (empty for an unsecured token).
    pub fn signature(&self) -> &[u8] {
        &self.signature
    }

    /// The header's `alg`, if it is a string.
    pub fn alg(&self) -> Option<&str> {
        self.header.get("alg").and_then(Value::as_str)
    }

    /// The header's `kid`, if it is a string.
    pub fn kid(&self) -> Option<&str> {
        self.header.get("kid").and_then(Value::as_str)
    }

    /// Sets a claim (the payload must be an object).
    pub fn set_claim(&mut self, name: &str, value: Value) -> Result<(), ForgeError> {
        check_name("claim", name)?;
        let found = json_type(&self.claims);
        let Some(claims) = self.claims.as_object_mut() else {
            return Err(ForgeError::ClaimsNotObject(found));
        };
        claims.insert(name.to_owned(), value);
        self.raw_claims = None;
        Ok(())
    }

    /// Removes a claim; whether it was there.
    pub fn unset_claim(&mut self, name: &str) -> Result<bool, ForgeError> {
        let found = json_type(&self.claims);
        let Some(claims) = self.claims.as_object_mut() else {
            return Err(ForgeError::ClaimsNotObject(found));
        };
        let had = claims.shift_remove(name).is_some();
        if had {
            self.raw_claims = None;
        }
        Ok(had)
    }

    /// Replaces the whole payload.
    pub fn set_claims(&mut self, claims: Value) {
        self.claims = claims;
        self.raw_claims = None;
    }

    /// Sets a JOSE header member.
    pub fn set_header(&mut self, name: &str, value: Value) -> Result<(), ForgeError> {
        check_name("header member", name)?;
        self.header.insert(name.to_owned(), value);
        self.raw_header = None;
        Ok(())
    }

    /// Removes a JOSE header member; whether it was there.
    pub fn unset_header(&mut self, name: &str) -> bool {
        let had = self.header.shift_remove(name).is_some();
        if had {
            self.raw_header = None;
        }
        had
    }

    /// Replaces the whole header.
    pub fn set_header_map(&mut self, header: Map<String, Value>) {
        self.header = header;
        self.raw_header = None;
    }

    /// Replaces the signature bytes (the header and claims are kept as they are).
    pub fn set_signature(&mut self, signature: Vec<u8>) {
        self.signature = signature;
    }

    /// `b64(header).b64(payload)`: what a signature covers.
    pub fn signing_input(&self) -> String {
        let header = match &self.raw_header {
            Some(raw) => raw.clone(),
            // A JSON map always serialises; an empty object if it somehow did not.
            None => b64_json(&Value::Object(self.header.clone())),
        };
        let claims = match &self.raw_claims {
            Some(raw) => raw.clone(),
            None => b64_json(&self.claims),
        };
        format!("{header}.{claims}")
    }

    /// The compact serialization: `b64(header).b64(payload).b64(signature)`.
    pub fn encode(&self) -> String {
        format!(
            "{}.{}",
            self.signing_input(),
            URL_SAFE_NO_PAD.encode(&self.signature)
        )
    }

    /// Signs the token again over its current header and claims (`alg` set as the signing
    /// says), replacing the signature.
    pub fn sign(&mut self, signing: Signing<'_>) -> Result<(), ForgeError> {
        match signing {
            Signing::Key { key, alg, set_kid } => {
                let own = self.alg().and_then(|a| a.parse::<JwsAlg>().ok());
                let alg = match alg {
                    Some(alg) => alg,
                    None => own
                        .filter(|a| key.supports(*a))
                        .unwrap_or_else(|| key.default_alg()),
                };
                if !key.supports(alg) {
                    return Err(KeyError::AlgMismatch {
                        alg,
                        kind: key.kind(),
                    }
                    .into());
                }
                self.set_header("alg", Value::String(alg.as_str().to_owned()))?;
                if set_kid {
                    self.set_header("kid", Value::String(key.kid().to_owned()))?;
                }
                self.signature = key.sign(alg, self.signing_input().as_bytes())?;
            }
            Signing::Secret { secret, alg } => {
                let algorithm = hmac_algorithm(alg).ok_or_else(|| {
                    KeyError::Invalid(format!(
                        "{alg} needs a private key; a secret signs only HS256, HS384 or HS512"
                    ))
                })?;
                self.set_header("alg", Value::String(alg.as_str().to_owned()))?;
                let key = hmac::Key::new(algorithm, secret);
                self.signature = hmac::sign(&key, self.signing_input().as_bytes())
                    .as_ref()
                    .to_vec();
            }
            Signing::None { spelling } => {
                self.set_header("alg", Value::String(spelling.to_owned()))?;
                self.signature.clear();
            }
        }
        Ok(())
    }
}

/// The HMAC for HS256/384/512.
pub(super) fn hmac_algorithm(alg: JwsAlg) -> Option<hmac::Algorithm> {
    match alg {
        JwsAlg::Hs256 => Some(hmac::HMAC_SHA256),
        JwsAlg::Hs384 => Some(hmac::HMAC_SHA384),
        JwsAlg::Hs512 => Some(hmac::HMAC_SHA512),
        _ => None,
    }
}

fn b64_json(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).unwrap_or_else(|_| b"{}".to_vec()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::keys::{GenerateType, ParsedJws, Signer};
    use serde_json::json;

    const HS: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";

    #[test]
    fn an_unchanged_token_encodes_to_itself() {
        let token = Token::parse(&format!("Bearer {HS}\n")).unwrap();
        assert_eq!(token.encode(), HS);
        assert_eq!(token.alg(), Some("HS256"));
        assert_eq!(token.claims()["sub"], "1234567890");
        let debug = format!("{token:?}");
        assert!(!debug.contains("John"), "{debug}");
    }

    #[test]
    fn edits_and_an_hmac_re_signature_verify_independently() {
        let mut token = Token::parse(HS).unwrap();
        token
            .set_claim("exp", value_from_text("1700000000"))
            .unwrap();
        token
            .set_claim("aud", value_from_text(r#"["a","b"]"#))
            .unwrap();
        token.set_claim("name", value_from_text("Jane")).unwrap();
        assert!(token.unset_claim("iat").unwrap());
        assert!(!token.unset_claim("nope").unwrap());
        token.set_header("cty", json!("x")).unwrap();
        token
            .sign(Signing::Secret {
                secret: b"your-256-bit-secret",
                alg: JwsAlg::Hs384,
            })
            .unwrap();
        let parsed = ParsedJws::parse(&token.encode()).unwrap();
        assert!(parsed.verify(Signer::Secret(b"your-256-bit-secret")));
        assert_eq!(parsed.header["alg"], "HS384");
        assert_eq!(parsed.header["cty"], "x");
        assert_eq!(
            parsed.claims,
            json!({"sub": "1234567890", "name": "Jane", "exp": 1700000000, "aud": ["a", "b"]})
        );
        assert!(Token::parse(HS).unwrap().set_claim("", json!(1)).is_err());
    }

    #[test]
    fn a_key_re_signature_verifies_with_the_public_key() {
        let key = PrivateKey::generate(GenerateType::Rsa2048).unwrap();
        let mut token = Token::parse(HS).unwrap();
        token.set_claim("sub", json!("mallory")).unwrap();
        token
            .sign(Signing::Key {
                key: &key,
                alg: Some(JwsAlg::Ps256),
                set_kid: true,
            })
            .unwrap();
        let jwt = token.encode();
        let parsed = ParsedJws::parse(&jwt).unwrap();
        assert!(parsed.verify(Signer::Key(&key)));
        assert_eq!(parsed.header["kid"], key.kid());
        // Independently: jsonwebtoken with the public JWK.
        let jwk: jsonwebtoken::jwk::Jwk = serde_json::from_value(key.public_jwk()).unwrap();
        let dk = jsonwebtoken::DecodingKey::from_jwk(&jwk).unwrap();
        let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::PS256);
        v.required_spec_claims.clear();
        v.validate_exp = false;
        let data = jsonwebtoken::decode::<Value>(&jwt, &dk, &v).unwrap();
        assert_eq!(data.claims["sub"], "mallory");
        // The key cannot make ES256.
        let err = token
            .sign(Signing::Key {
                key: &key,
                alg: Some(JwsAlg::Es256),
                set_kid: false,
            })
            .unwrap_err();
        assert!(err.to_string().contains("cannot sign ES256"), "{err}");
    }

    #[test]
    fn none_empties_the_signature() {
        let mut token = Token::parse(HS).unwrap();
        token.sign(Signing::None { spelling: "none" }).unwrap();
        let jwt = token.encode();
        assert!(jwt.ends_with('.'), "{jwt}");
        let again = Token::parse(&jwt).unwrap();
        assert_eq!(again.alg(), Some("none"));
        assert!(again.signature().is_empty());
    }

    #[test]
    fn hostile_input_is_refused_with_a_reason() {
        for (input, words) in [
            ("", "empty"),
            ("abc", "three dot-separated parts; this has 1"),
            ("a.b.c.d.e", "encrypted"),
            ("!!.e30.", "header is not base64url"),
            ("WzFd.e30.", "not a JSON object: it is an array"),
            ("e30.bm90IGpzb24.", "payload is not a JSON value"),
        ] {
            let err = Token::parse(input).unwrap_err().to_string();
            assert!(err.contains(words), "{input}: {err}");
        }
        let huge = "a".repeat(MAX_TOKEN_BYTES + 1);
        assert!(matches!(
            Token::parse(&huge),
            Err(ForgeError::TooLarge { .. })
        ));
        let mut array = Token::parse("e30.WzFd.").unwrap();
        let err = array.set_claim("sub", json!("x")).unwrap_err().to_string();
        assert!(err.contains("an array"), "{err}");
    }
}
