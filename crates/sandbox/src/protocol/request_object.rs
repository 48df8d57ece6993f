//! JAR (RFC 9101): an authorization request sent as a request object, by value in `request`
//! (at `/authorize` or inside a pushed request). It must be signed: HS256/384/512 with the
//! client secret for clients that have one, or with the registered key of the
//! `private_key_jwt` client. `iss` must be the client, `aud` this issuer, `exp` in the future.
//! An unsigned object (`alg: none`) is refused unless the
//! `unsafe-accept-unsigned-request-object` teaching switch is on. Only the object's parameters
//! are used (RFC 9101 §6.3).

use serde_json::Value;

use crate::protocol::wire::{OAuthError, Params};
use crate::state::app::App;
use crate::state::clients::ClientAuth;
use crate::state::store::now_secs;
use grantscope_core::keys::{ParsedJws, Signer};

/// The algorithms request objects may be signed with.
pub(crate) const REQUEST_OBJECT_ALGS: [&str; 4] = ["HS256", "HS384", "HS512", "ES256"];
/// Largest request object accepted, in bytes.
const MAX_LEN: usize = 8 * 1024;
/// Claims that describe the object itself, not the authorization request.
const ENVELOPE: [&str; 6] = ["iss", "aud", "exp", "iat", "nbf", "jti"];

fn invalid(description: impl Into<String>) -> OAuthError {
    OAuthError::new("invalid_request_object", description)
}

/// The parameters of the request object in `params`, or `None` when there is none.
/// `authenticated` is the client already known (a pushed request), which the object must name.
pub(crate) fn unpack(
    app: &App,
    params: &Params,
    authenticated: Option<&str>,
) -> Result<Option<Params>, OAuthError> {
    let Some(raw) = params.single("request")? else {
        return Ok(None);
    };
    if raw.len() > MAX_LEN {
        return Err(invalid(format!(
            "the request object is {} bytes; the sandbox accepts at most {MAX_LEN}",
            raw.len()
        )));
    }
    let client_id = match (params.single("client_id")?, authenticated) {
        (Some(id), Some(auth)) if id != auth => {
            return Err(OAuthError::invalid_request(
                "client_id is not the authenticated client",
            ));
        }
        (Some(id), _) => id.to_string(),
        (None, Some(auth)) => auth.to_string(),
        (None, None) => {
            return Err(OAuthError::invalid_request(
                "client_id is required beside the request object (RFC 9101 §5)",
            ));
        }
    };
    let client = app
        .find_client(&client_id)
        .ok_or_else(|| OAuthError::invalid_request(format!("unknown client {client_id:?}")))?;
    // An `alg: none` object has an empty signature part, which the parser takes too.
    let jws = ParsedJws::parse(raw)
        .map_err(|e| invalid(format!("the request object is not a JWS: {e}")))?;
    let alg = jws.header.get("alg").and_then(Value::as_str).unwrap_or("");
    if alg == "none" {
        if !app.config.unsafe_switches.accept_unsigned_request_object {
            return Err(invalid(
                "the request object is unsigned (alg none); the sandbox accepts only signed ones \
                 (RFC 9101 §10.2)",
            ));
        }
    } else {
        if !REQUEST_OBJECT_ALGS.contains(&alg) {
            return Err(invalid(format!(
                "the request object's alg {:?} is not accepted (accepted: {})",
                grantscope_core::http::excerpt(alg, 32),
                REQUEST_OBJECT_ALGS.join(", ")
            )));
        }
        let signer = match (client.auth, client.secret) {
            (ClientAuth::PrivateKeyJwt, _) => Signer::Key(&app.client_keys.jwt.key),
            (_, Some(secret)) => Signer::Secret(secret.as_bytes()),
            _ => {
                return Err(invalid(format!(
                    "client {} has neither a secret nor a registered key to sign request objects",
                    client.id
                )));
            }
        };
        if !jws.verify(signer) {
            return Err(invalid(format!(
                "the request object's {alg} signature does not verify with client {}'s {}",
                client.id,
                if matches!(signer, Signer::Key(_)) {
                    "registered key"
                } else {
                    "secret"
                }
            )));
        }
    }
    let claims = jws
        .claims
        .as_object()
        .ok_or_else(|| invalid("the request object's payload is not a JSON object"))?;
    let text = |name: &str| claims.get(name).and_then(Value::as_str);
    if alg != "none" && text("iss") != Some(client.id) {
        return Err(invalid(format!(
            "the request object's iss must be the client id {:?}",
            client.id
        )));
    }
    let aud_ok = match claims.get("aud") {
        Some(Value::String(a)) => a.trim_end_matches('/') == app.issuer,
        Some(Value::Array(list)) => list.iter().any(|a| {
            a.as_str()
                .is_some_and(|a| a.trim_end_matches('/') == app.issuer)
        }),
        _ => alg == "none",
    };
    if !aud_ok {
        return Err(invalid(format!(
            "the request object's aud must be this issuer {:?}",
            app.issuer
        )));
    }
    if let Some(exp) = claims.get("exp") {
        let live = exp.as_u64().is_some_and(|exp| exp > now_secs());
        if !live {
            return Err(invalid("the request object has expired (exp)"));
        }
    }
    if let Some(inner) = text("client_id")
        && inner != client.id
    {
        return Err(invalid(
            "the request object's client_id is not the request's client_id",
        ));
    }
    let mut pairs = vec![("client_id".to_string(), client.id.to_string())];
    for (name, value) in claims {
        if ENVELOPE.contains(&name.as_str()) || name == "client_id" {
            continue;
        }
        if name == "request" || name == "request_uri" {
            return Err(invalid(format!("a request object may not contain {name}")));
        }
        let value = match value {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            Value::Null => continue,
            other => other.to_string(),
        };
        pairs.push((name.clone(), value));
    }
    Ok(Some(Params::from_pairs(pairs)))
}
