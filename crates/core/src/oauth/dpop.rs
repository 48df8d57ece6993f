//! DPoP (RFC 9449): proofs of possession of a key, sent as the `DPoP` header on token
//! requests (every grant, refresh included) and on resource calls (with `ath`, the hash of the
//! access token), so that a token bound to the key (`cnf.jkt`) is useless to a thief. The
//! server's `DPoP-Nonce` is kept per server (the newest wins) and put in the next proofs; one
//! retry follows a `use_dpop_nonce` answer.

use std::collections::HashMap;
use std::sync::Mutex;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use url::Url;

use super::error::FlowError;
use crate::keys::{GenerateType, JwsAlg, PrivateKey, Signer, sign_compact};

/// A DPoP key: ES256 (P-256) by default, EdDSA or any stored asymmetric key when chosen.
pub struct DpopKey {
    key: PrivateKey,
    alg: JwsAlg,
}

impl std::fmt::Debug for DpopKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DpopKey")
            .field("alg", &self.alg)
            .field("jkt", &self.jkt())
            .finish_non_exhaustive()
    }
}

fn key_err(e: impl std::fmt::Display) -> FlowError {
    FlowError::Config(format!("DPoP key: {e}"))
}

impl DpopKey {
    /// A fresh ES256 key for this session.
    pub fn generate() -> Result<Self, FlowError> {
        Self::from_key(PrivateKey::generate(GenerateType::EcP256).map_err(key_err)?)
    }

    /// A stored key; it must be asymmetric (a proof carries its public key).
    pub fn from_key(key: PrivateKey) -> Result<Self, FlowError> {
        let alg = key.default_alg();
        if alg.is_symmetric() {
            return Err(key_err("DPoP needs an asymmetric key (EC, RSA or Ed25519)"));
        }
        Ok(Self { key, alg })
    }

    /// The signing algorithm of the proofs.
    pub fn alg(&self) -> JwsAlg {
        self.alg
    }

    /// The public JWK put in each proof's header.
    pub fn public_jwk(&self) -> Map<String, Value> {
        self.key.public_jwk_members()
    }

    /// The key's RFC 7638 thumbprint: what `cnf.jkt` of a bound token and `dpop_jkt` carry.
    pub fn jkt(&self) -> String {
        self.key.thumbprint().to_string()
    }

    /// A proof for one request: `typ: dpop+jwt`, the public `jwk`, a fresh `jti`, `htm`,
    /// `htu` (normalised), `iat`, and `ath` / `nonce` when given.
    pub fn proof(
        &self,
        htm: &str,
        url: &Url,
        access_token: Option<&str>,
        nonce: Option<&str>,
        now: i64,
    ) -> Result<String, FlowError> {
        let mut header = Map::new();
        header.insert("typ".into(), json!("dpop+jwt"));
        header.insert("jwk".into(), Value::Object(self.public_jwk()));
        let mut claims = json!({
            "jti": super::pkce::random_token(),
            "htm": htm,
            "htu": htu(url),
            "iat": now,
        });
        if let Some(t) = access_token {
            claims["ath"] = json!(ath(t));
        }
        if let Some(n) = nonce {
            claims["nonce"] = json!(n);
        }
        sign_compact(&header, &claims, Signer::Key(&self.key), self.alg).map_err(key_err)
    }
}

/// A proof as shown beside the raw `DPoP` header: its header and claims decoded, its
/// signature as sent (base64url); `None` when the value is not a signed JWT. Nothing in a proof
/// is secret: the key's public part, the request it is for, a nonce, and `ath`, a hash.
pub fn decoded_proof(proof: &str) -> Option<Value> {
    match crate::token::decode(proof.trim()) {
        Ok(crate::token::Decoded::Jws(jws)) => Some(json!({
            "header": jws.header,
            "claims": jws.claims,
            "signature": proof.trim().rsplit('.').next().unwrap_or_default(),
        })),
        _ => None,
    }
}

/// `htu`: the request URL without query and fragment (RFC 9449 §4.2), with scheme and host
/// in lower case and a default port left out (§4.3, RFC 3986 §6.2.2 and §6.2.3).
pub fn htu(url: &Url) -> String {
    let mut u = url.clone();
    u.set_query(None);
    u.set_fragment(None);
    // `Url` already lower-cases scheme and host and drops the scheme's default port.
    u.to_string()
}

/// `ath`: base64url(SHA-256(access token)) (RFC 9449 §4.2).
pub fn ath(access_token: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(access_token.as_bytes()))
}

/// The DPoP side of a connection: the key, and the newest nonce each server gave.
#[derive(Debug)]
pub struct DpopState {
    pub key: DpopKey,
    nonces: Mutex<HashMap<String, String>>,
}

impl DpopState {
    pub fn new(key: DpopKey) -> Self {
        Self {
            key,
            nonces: Mutex::new(HashMap::new()),
        }
    }

    fn origin(url: &Url) -> String {
        url.origin().ascii_serialization()
    }

    /// The newest nonce the server at `url` gave, if any.
    pub fn nonce_for(&self, url: &Url) -> Option<String> {
        self.nonces
            .lock()
            .ok()
            .and_then(|n| n.get(&Self::origin(url)).cloned())
    }

    /// Keeps the `DPoP-Nonce` a server sent (the newest wins). Returns whether it changed.
    pub fn remember_nonce(&self, url: &Url, nonce: &str) -> bool {
        let Ok(mut n) = self.nonces.lock() else {
            return false;
        };
        let origin = Self::origin(url);
        if n.get(&origin).map(String::as_str) == Some(nonce) {
            return false;
        }
        n.insert(origin, nonce.to_string());
        true
    }

    /// A proof for a request to `url`, with the server's newest nonce.
    pub fn proof_for(
        &self,
        htm: &str,
        url: &Url,
        access_token: Option<&str>,
    ) -> Result<String, FlowError> {
        self.key.proof(
            htm,
            url,
            access_token,
            self.nonce_for(url).as_deref(),
            crate::timefmt::now_unix(),
        )
    }
}

/// Whether an answer asks for a nonce: `use_dpop_nonce` in a token error (RFC 9449 §8) or in
/// a resource's `WWW-Authenticate: DPoP error="use_dpop_nonce"` (§9).
pub fn asks_for_nonce(resp: &crate::http::HttpResponse) -> bool {
    if resp.header("dpop-nonce").is_none() {
        return false;
    }
    let in_body = resp
        .json_value()
        .ok()
        .and_then(|v| v.get("error").and_then(Value::as_str).map(String::from))
        .is_some_and(|e| e == "use_dpop_nonce");
    let in_header = resp
        .header("www-authenticate")
        .is_some_and(|w| w.contains("use_dpop_nonce"));
    in_body || in_header
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::token::{Decoded, decode};

    #[test]
    fn ath_is_base64url_sha256_of_the_token() {
        // SHA-256("Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU") from RFC 9449 §7.1's example.
        assert_eq!(
            ath("Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU"),
            "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo"
        );
    }

    #[test]
    fn htu_drops_query_fragment_and_default_port() {
        let u = Url::parse("HTTPS://Server.Example.COM:443/token?x=1#f").unwrap();
        assert_eq!(htu(&u), "https://server.example.com/token");
        let u = Url::parse("http://127.0.0.1:8080/a/b?c").unwrap();
        assert_eq!(htu(&u), "http://127.0.0.1:8080/a/b");
    }

    #[test]
    fn a_proof_has_the_rfc_9449_header_and_claims() {
        let key = DpopKey::generate().unwrap();
        let url = Url::parse("https://as.example/token?q=1").unwrap();
        let proof = key
            .proof("POST", &url, Some("at-123"), Some("n-1"), 1_700_000_000)
            .unwrap();
        let Ok(Decoded::Jws(jws)) = decode(&proof) else {
            panic!("a JWS")
        };
        assert_eq!(jws.header["typ"], "dpop+jwt");
        assert_eq!(jws.header["alg"], "ES256");
        assert_eq!(jws.header["jwk"]["kty"], "EC");
        assert!(jws.header["jwk"].get("d").is_none(), "no private part");
        assert_eq!(jws.claims["htm"], "POST");
        assert_eq!(jws.claims["htu"], "https://as.example/token");
        assert_eq!(jws.claims["iat"], 1_700_000_000);
        assert_eq!(jws.claims["ath"], ath("at-123"));
        assert_eq!(jws.claims["nonce"], "n-1");
        assert!(jws.claims["jti"].as_str().unwrap().len() >= 16);
        let other = key.proof("POST", &url, None, None, 1_700_000_000).unwrap();
        let Ok(Decoded::Jws(o)) = decode(&other) else {
            panic!()
        };
        assert_ne!(o.claims["jti"], jws.claims["jti"], "a fresh jti each time");
        assert!(o.claims.get("ath").is_none());
        // The thumbprint is that of the header's JWK (RFC 7638).
        let jwk = jws.header["jwk"].as_object().unwrap().clone();
        assert_eq!(crate::keys::thumbprint(&jwk).unwrap(), key.jkt());
    }

    #[test]
    fn a_proof_decoded_for_display() {
        let key = DpopKey::generate().unwrap();
        let url = Url::parse("https://as.example/token").unwrap();
        let proof = key
            .proof("POST", &url, None, Some("n-1"), 1_700_000_000)
            .unwrap();
        let shown = decoded_proof(&proof).unwrap();
        assert!(decoded_proof("not-a-jwt").is_none());
        assert_eq!(shown["header"]["typ"], "dpop+jwt");
        assert_eq!(shown["claims"]["htm"], "POST");
        assert_eq!(shown["claims"]["nonce"], "n-1");
        assert_eq!(
            shown["signature"].as_str(),
            proof.split('.').nth(2),
            "the signature as sent"
        );
    }

    #[test]
    fn the_newest_nonce_is_kept_per_server() {
        let s = DpopState::new(DpopKey::generate().unwrap());
        let a = Url::parse("https://a.example/token").unwrap();
        let a2 = Url::parse("https://a.example/userinfo").unwrap();
        let b = Url::parse("https://b.example/token").unwrap();
        assert!(s.remember_nonce(&a, "n1"));
        assert!(!s.remember_nonce(&a2, "n1"));
        assert!(s.remember_nonce(&a2, "n2"));
        assert_eq!(s.nonce_for(&a).as_deref(), Some("n2"));
        assert_eq!(s.nonce_for(&b), None);
    }
}
