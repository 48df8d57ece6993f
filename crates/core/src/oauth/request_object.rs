//! JAR (RFC 9101): the authorization request as a signed request object. Its claims are the
//! request's parameters plus `iss` (the client id), `aud` (the issuer), `iat`, `nbf`, `exp` and
//! a fresh `jti`; it is signed with the client's signing key, or with HS256 and the client
//! secret when there is no key. An unsigned object (`alg: none`) is made only when the tester
//! asks for it, to probe the server (RFC 9101 §10.2 says servers should refuse it).

use serde_json::{Map, Value, json};

use super::ClientConfig;
use super::error::{FlowError, Missing};
use crate::keys::{JwsAlg, Signer, base64url, sign_compact};

/// How the authorization request travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestObject {
    /// As query parameters (no request object).
    #[default]
    Off,
    /// A signed request object.
    Signed,
    /// DANGEROUS, a probe: an unsigned request object (`alg: none`).
    Unsigned,
}

/// How long a request object is valid.
const LIFETIME: i64 = 300;

fn claims(cfg: &ClientConfig, pairs: &[(String, String)], now: i64) -> Value {
    let mut m = Map::new();
    for (k, v) in pairs {
        // In the object, `max_age` is a number (OIDC Core §6.1) and `authorization_details`
        // (RFC 9396 §3) and `claims` (OIDC Core §5.5) are JSON, not strings.
        let value = match (k.as_str(), v.parse::<u64>()) {
            ("max_age", Ok(n)) => json!(n),
            ("authorization_details" | "claims", _) => {
                serde_json::from_str::<Value>(v).unwrap_or_else(|_| json!(v))
            }
            _ => json!(v),
        };
        m.insert(k.clone(), value);
    }
    m.insert("iss".into(), json!(cfg.client_id));
    let aud = cfg
        .endpoints
        .issuer
        .as_ref()
        .map(|u| u.as_str().trim_end_matches('/').to_string())
        .or_else(|| {
            cfg.endpoints
                .authorization_endpoint
                .as_ref()
                .map(|u| u.origin().ascii_serialization())
        })
        .unwrap_or_default();
    m.insert("aud".into(), json!(aud));
    m.insert("iat".into(), json!(now));
    m.insert("nbf".into(), json!(now));
    m.insert("exp".into(), json!(now + LIFETIME));
    m.insert("jti".into(), json!(super::pkce::random_token()));
    Value::Object(m)
}

/// The request object for these authorization parameters.
pub fn build(
    cfg: &ClientConfig,
    pairs: &[(String, String)],
    mode: RequestObject,
    now: i64,
) -> Result<String, FlowError> {
    let claims = claims(cfg, pairs, now);
    let mut header = Map::new();
    header.insert("typ".into(), json!("oauth-authz-req+jwt"));
    if mode == RequestObject::Unsigned {
        header.insert("alg".into(), json!("none"));
        let enc = |v: &Value| base64url(v.to_string().as_bytes());
        return Ok(format!("{}.{}.", enc(&Value::Object(header)), enc(&claims)));
    }
    let err = |e: crate::keys::KeyError| FlowError::Config(format!("request object: {e}"));
    if cfg
        .auth
        .signing_key
        .as_deref()
        .is_some_and(|k| !k.is_empty())
    {
        let key = super::client_auth::signing_key(cfg)?;
        let alg = cfg.auth.signing_alg.unwrap_or(key.key.default_alg());
        header.insert("kid".into(), json!(key.key.kid()));
        return sign_compact(&header, &claims, Signer::Key(&key.key), alg).map_err(err);
    }
    match cfg.client_secret.as_ref().filter(|s| !s.is_empty()) {
        Some(secret) => {
            let alg = cfg
                .auth
                .signing_alg
                .filter(|a| a.is_symmetric())
                .unwrap_or(JwsAlg::Hs256);
            sign_compact(
                &header,
                &claims,
                Signer::Secret(secret.expose().as_bytes()),
                alg,
            )
            .map_err(err)
        }
        None => Err(FlowError::missing(
            "a signed request object",
            Missing::Input(super::error::GrantInput::SigningKey),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::token::{Decoded, decode};

    fn cfg() -> ClientConfig {
        ClientConfig {
            client_id: "app".into(),
            client_secret: Some("a-secret-of-at-least-thirty-two-bytes!!".into()),
            endpoints: crate::oauth::Endpoints {
                issuer: Some(url::Url::parse("https://as.example/").unwrap()),
                ..Default::default()
            },
            ..Default::default()
        }
    }

    #[test]
    fn a_signed_object_carries_the_parameters_and_the_jar_claims() {
        let pairs = vec![
            ("response_type".to_string(), "code".to_string()),
            ("state".to_string(), "s1".to_string()),
            ("max_age".to_string(), "60".to_string()),
            (
                "authorization_details".to_string(),
                r#"[{"type":"payment_initiation"}]"#.to_string(),
            ),
        ];
        let jwt = build(&cfg(), &pairs, RequestObject::Signed, 1000).unwrap();
        let Ok(Decoded::Jws(jws)) = decode(&jwt) else {
            panic!("a JWS")
        };
        assert_eq!(jws.header["alg"], "HS256");
        assert_eq!(jws.header["typ"], "oauth-authz-req+jwt");
        assert_eq!(jws.claims["response_type"], "code");
        assert_eq!(jws.claims["state"], "s1");
        assert_eq!(jws.claims["max_age"], 60);
        assert_eq!(
            jws.claims["authorization_details"][0]["type"], "payment_initiation",
            "an array, not a string (RFC 9396 §3)"
        );
        assert_eq!(jws.claims["iss"], "app");
        assert_eq!(jws.claims["aud"], "https://as.example");
        assert_eq!(jws.claims["exp"], 1300);
    }

    #[test]
    fn unsigned_only_when_asked_and_it_says_none() {
        let jwt = build(&cfg(), &[], RequestObject::Unsigned, 0).unwrap();
        assert!(jwt.ends_with('.'));
        let Ok(Decoded::Jws(jws)) = decode(&jwt) else {
            panic!()
        };
        assert_eq!(jws.header["alg"], "none");
        let public = ClientConfig {
            client_secret: None,
            ..cfg()
        };
        assert!(build(&public, &[], RequestObject::Signed, 0).is_err());
    }
}
