//! JWT assertions: client authentication assertions (RFC 7523 §2.2 / §3, OpenID Connect Core
//! §9 `private_key_jwt` and `client_secret_jwt`) and JWT-bearer grant assertions (RFC 7523
//! §2.1) built from claims with the gaps filled in.
//!
//! A client assertion has `iss` = `sub` = the client id, `aud` (the issuer by default, as RFC
//! 7523bis and FAPI 2.0 ask since the audience-injection attacks of 2025 (CVE-2025-27370/27371);
//! the token endpoint when no issuer is known, or on request; any URL on request), a fresh
//! `jti` from the CSPRNG, `iat` and `exp` at most five minutes later; the header carries `alg`
//! (from the key, or as asked) and, for a private key, `kid` (its JWK file's, else its RFC 7638
//! thumbprint).

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use aws_lc_rs::rand::{SecureRandom as _, SystemRandom};
use serde_json::{Map, Value, json};
use url::Url;

use crate::keys::{JwsAlg, KeyError, Signer, sign_compact};

/// The longest lifetime of a client assertion (a short-lived credential, RFC 7523 §3 item 4).
pub const MAX_LIFETIME: Duration = Duration::from_secs(300);

/// The default lifetime of an assertion grantscope builds.
pub const DEFAULT_LIFETIME: Duration = Duration::from_secs(120);

/// The `client_assertion_type` of RFC 7523 §2.2.
pub const CLIENT_ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// Which `aud` a client assertion names.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum AssertionAudience {
    /// The token endpoint URL (RFC 7523 §3 item 3; what older providers want).
    TokenEndpoint,
    /// The issuer identifier (RFC 7523bis, FAPI 2.0; the default).
    #[default]
    Issuer,
    /// Any value.
    Url(String),
}

impl fmt::Display for AssertionAudience {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AssertionAudience::TokenEndpoint => f.write_str("token-endpoint"),
            AssertionAudience::Issuer => f.write_str("issuer"),
            AssertionAudience::Url(url) => f.write_str(url),
        }
    }
}

impl FromStr for AssertionAudience {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "token-endpoint" | "token_endpoint" => Ok(AssertionAudience::TokenEndpoint),
            "issuer" => Ok(AssertionAudience::Issuer),
            url if Url::parse(url).is_ok() => Ok(AssertionAudience::Url(url.to_string())),
            other => Err(format!(
                "assertion audience {other:?} is neither token-endpoint, issuer nor an absolute URL"
            )),
        }
    }
}

impl serde::Serialize for AssertionAudience {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> serde::Deserialize<'de> for AssertionAudience {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

impl AssertionAudience {
    /// The `aud` value for these endpoints.
    pub fn resolve(
        &self,
        token_endpoint: Option<&Url>,
        issuer: Option<&Url>,
    ) -> Result<String, AssertionError> {
        match self {
            AssertionAudience::TokenEndpoint => token_endpoint
                .map(|u| u.to_string())
                .ok_or(AssertionError::NoAudience("the token endpoint")),
            // The issuer as discovery states it: no trailing slash added by URL parsing.
            AssertionAudience::Issuer => issuer
                .map(|u| {
                    let s = u.to_string();
                    if u.path() == "/" {
                        s.trim_end_matches('/').to_string()
                    } else {
                        s
                    }
                })
                .ok_or(AssertionError::NoAudience("the issuer")),
            AssertionAudience::Url(url) => Ok(url.clone()),
        }
    }
}

/// Why an assertion could not be built.
#[derive(Debug, thiserror::Error)]
pub enum AssertionError {
    /// Signing failed or the key does not fit the algorithm.
    #[error("cannot sign the assertion: {0}")]
    Key(#[from] KeyError),
    /// The lifetime asked for is too long.
    #[error("an assertion may live at most {max} seconds; {0} asked", max = MAX_LIFETIME.as_secs())]
    TooLong(u64),
    /// The audience needs an endpoint the configuration lacks.
    #[error("the assertion audience is {0}, which is not known (give it, or discover the issuer)")]
    NoAudience(&'static str),
    /// The claims given are not a JSON object.
    #[error("the assertion claims must be a JSON object: {0}")]
    Claims(String),
}

/// A signed assertion with its decoded parts (for display beside the raw form).
#[derive(Clone)]
pub struct SignedAssertion {
    /// The compact JWS. A credential while it lives: mark it secret in recorded requests.
    pub jwt: String,
    /// The protected header.
    pub header: Value,
    /// The claims.
    pub claims: Value,
}

impl fmt::Debug for SignedAssertion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignedAssertion")
            .field("jwt", &"<redacted>")
            .field("header", &self.header)
            .field("claims", &self.claims)
            .finish()
    }
}

/// What to put in a client assertion.
#[derive(Debug, Clone)]
pub struct ClientAssertionSpec<'a> {
    /// `iss` and `sub`.
    pub client_id: &'a str,
    /// `aud`.
    pub audience: String,
    /// The algorithm; `None` takes the key's (HS256 for a secret).
    pub alg: Option<JwsAlg>,
    /// `exp - iat`, at most [`MAX_LIFETIME`].
    pub lifetime: Duration,
    /// `iat`, unix seconds (injected for tests; callers pass the clock).
    pub now: u64,
}

/// A fresh `jti`: 32 bytes from the system CSPRNG, base64url.
pub fn new_jti() -> Result<String, AssertionError> {
    let mut bytes = [0u8; 32];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| KeyError::Crypto("random jti"))?;
    Ok(crate::keys::base64url(&bytes))
}

fn header_for(signer: Signer<'_>) -> Map<String, Value> {
    let mut header = Map::new();
    header.insert("typ".into(), json!("JWT"));
    if let Signer::Key(key) = signer {
        header.insert("kid".into(), json!(key.kid()));
    }
    header
}

fn pick_alg(signer: Signer<'_>, alg: Option<JwsAlg>) -> JwsAlg {
    alg.unwrap_or_else(|| signer.default_alg())
}

fn decoded(
    jwt: String,
    mut header: Map<String, Value>,
    alg: JwsAlg,
    claims: Value,
) -> SignedAssertion {
    header.insert("alg".into(), json!(alg.as_str()));
    SignedAssertion {
        jwt,
        header: Value::Object(header),
        claims,
    }
}

/// Builds and signs a client authentication assertion (RFC 7523 §2.2, §3).
pub fn client_assertion(
    signer: Signer<'_>,
    spec: &ClientAssertionSpec<'_>,
) -> Result<SignedAssertion, AssertionError> {
    if spec.lifetime > MAX_LIFETIME {
        return Err(AssertionError::TooLong(spec.lifetime.as_secs()));
    }
    let alg = pick_alg(signer, spec.alg);
    let claims = json!({
        "iss": spec.client_id,
        "sub": spec.client_id,
        "aud": spec.audience,
        "jti": new_jti()?,
        "iat": spec.now,
        "exp": spec.now + spec.lifetime.as_secs().max(1),
    });
    let header = header_for(signer);
    let jwt = sign_compact(&header, &claims, signer, alg)?;
    Ok(decoded(jwt, header, alg, claims))
}

/// Builds a JWT-bearer grant assertion (RFC 7523 §2.1) from `claims`, filling in what they
/// leave out: `iss` = the client id, `aud` = `audience` (the token endpoint), `iat`, `exp`
/// (`lifetime` later) and a fresh `jti`.
pub fn bearer_assertion(
    signer: Signer<'_>,
    claims: Value,
    client_id: &str,
    audience: &str,
    alg: Option<JwsAlg>,
    lifetime: Duration,
    now: u64,
) -> Result<SignedAssertion, AssertionError> {
    let Value::Object(mut claims) = claims else {
        return Err(AssertionError::Claims(format!("got {claims}")));
    };
    let alg = pick_alg(signer, alg);
    claims.entry("iss").or_insert_with(|| json!(client_id));
    claims.entry("aud").or_insert_with(|| json!(audience));
    claims.entry("iat").or_insert_with(|| json!(now));
    claims
        .entry("exp")
        .or_insert_with(|| json!(now + lifetime.as_secs().max(1)));
    if !claims.contains_key("jti") {
        claims.insert("jti".into(), json!(new_jti()?));
    }
    let claims = Value::Object(claims);
    let header = header_for(signer);
    let jwt = sign_compact(&header, &claims, signer, alg)?;
    Ok(decoded(jwt, header, alg, claims))
}

/// The form parameters of a client assertion (RFC 7523 §2.2).
pub fn form_params(assertion: &SignedAssertion) -> Vec<(String, String)> {
    vec![
        (
            "client_assertion_type".to_string(),
            CLIENT_ASSERTION_TYPE.to_string(),
        ),
        ("client_assertion".to_string(), assertion.jwt.clone()),
    ]
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::keys::private_key_from_jwk;

    /// RFC 8037 Appendix A.1: a known Ed25519 key.
    fn known_key() -> crate::keys::PrivateKey {
        private_key_from_jwk(&json!({
            "kty": "OKP", "crv": "Ed25519",
            "d": "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A",
            "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"
        }))
        .unwrap()
    }

    fn spec(audience: &str) -> ClientAssertionSpec<'_> {
        ClientAssertionSpec {
            client_id: "my-client",
            audience: audience.to_string(),
            alg: None,
            lifetime: Duration::from_secs(300),
            now: 1_700_000_000,
        }
    }

    #[test]
    fn private_key_jwt_claims_and_header() {
        let key = known_key();
        let a = client_assertion(Signer::Key(&key), &spec("https://as.example/token")).unwrap();
        assert_eq!(a.header["alg"], "EdDSA");
        assert_eq!(a.header["typ"], "JWT");
        assert_eq!(
            a.header["kid"],
            "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
        );
        assert_eq!(a.claims["iss"], "my-client");
        assert_eq!(a.claims["sub"], "my-client");
        assert_eq!(a.claims["aud"], "https://as.example/token");
        assert_eq!(a.claims["iat"], 1_700_000_000u64);
        assert_eq!(a.claims["exp"], 1_700_000_300u64);
        assert_eq!(a.claims["jti"].as_str().unwrap().len(), 43);
        // The signature verifies with the public key through an independent library.
        let decoding = jsonwebtoken::DecodingKey::from_ed_components(
            "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",
        )
        .unwrap();
        let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::EdDSA);
        validation.validate_exp = false;
        validation.set_audience(&["https://as.example/token"]);
        let data = jsonwebtoken::decode::<Value>(&a.jwt, &decoding, &validation).unwrap();
        assert_eq!(data.claims, a.claims);
        assert_eq!(data.header.kid.as_deref(), Some(key.kid()));
        // Each assertion has its own jti.
        let b = client_assertion(Signer::Key(&key), &spec("https://as.example/token")).unwrap();
        assert_ne!(a.claims["jti"], b.claims["jti"]);
        assert!(!format!("{a:?}").contains(&a.jwt));
    }

    #[test]
    fn client_secret_jwt_defaults_to_hs256_and_has_no_kid() {
        let secret = b"client-secret-with-enough-entropy-0123456789";
        let a = client_assertion(Signer::Secret(secret), &spec("https://as.example")).unwrap();
        assert_eq!(a.header["alg"], "HS256");
        assert!(a.header.get("kid").is_none());
        let mut s = spec("https://as.example");
        s.alg = Some(JwsAlg::Hs512);
        let b = client_assertion(Signer::Secret(secret), &s).unwrap();
        assert_eq!(b.header["alg"], "HS512");
        let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS512);
        validation.validate_exp = false;
        validation.set_audience(&["https://as.example"]);
        jsonwebtoken::decode::<Value>(
            &b.jwt,
            &jsonwebtoken::DecodingKey::from_secret(secret),
            &validation,
        )
        .unwrap();
        s.alg = Some(JwsAlg::Rs256);
        assert!(client_assertion(Signer::Secret(secret), &s).is_err());
    }

    #[test]
    fn lifetime_is_capped_and_audience_resolves() {
        let key = known_key();
        let mut s = spec("x");
        s.lifetime = Duration::from_secs(301);
        assert!(matches!(
            client_assertion(Signer::Key(&key), &s),
            Err(AssertionError::TooLong(301))
        ));
        let token = Url::parse("https://as.example/oauth/token").unwrap();
        let issuer = Url::parse("https://as.example").unwrap();
        let aud = |a: &str| {
            a.parse::<AssertionAudience>()
                .unwrap()
                .resolve(Some(&token), Some(&issuer))
                .unwrap()
        };
        assert_eq!(aud("token-endpoint"), "https://as.example/oauth/token");
        assert_eq!(aud("issuer"), "https://as.example");
        assert_eq!(
            aud("https://other.example/aud"),
            "https://other.example/aud"
        );
        assert!("not a url".parse::<AssertionAudience>().is_err());
        assert!(
            AssertionAudience::TokenEndpoint
                .resolve(None, Some(&issuer))
                .is_err()
        );
    }

    #[test]
    fn bearer_assertion_fills_only_the_gaps() {
        let key = known_key();
        let a = bearer_assertion(
            Signer::Key(&key),
            json!({ "sub": "alice", "aud": "https://custom.example", "scope": "x" }),
            "my-client",
            "https://as.example/token",
            None,
            Duration::from_secs(60),
            1_700_000_000,
        )
        .unwrap();
        assert_eq!(a.claims["iss"], "my-client");
        assert_eq!(a.claims["sub"], "alice");
        assert_eq!(a.claims["aud"], "https://custom.example");
        assert_eq!(a.claims["exp"], 1_700_000_060u64);
        assert!(a.claims["jti"].is_string());
        assert!(
            bearer_assertion(
                Signer::Key(&key),
                json!([1]),
                "c",
                "a",
                None,
                Duration::from_secs(60),
                0
            )
            .is_err()
        );
    }
}
