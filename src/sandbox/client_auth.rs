//! Client authentication at the sandbox's token, introspection, revocation and device
//! authorization endpoints.

use axum::http::{HeaderMap, header};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use super::clients::{ClientKind, SeededClient, find_client, secrets_equal};
use super::protocol::{OAuthError, Params};

/// Authenticates the client of a token, introspection, revocation or device authorization
/// request: `client_secret_basic` (RFC 6749 §2.3.1, with the form-urlencoding of id and secret
/// undone), `client_secret_post`, or `none` for a public client (client_id only).
pub(crate) fn authenticate_client(
    headers: &HeaderMap,
    params: &Params,
) -> Result<&'static SeededClient, OAuthError> {
    let basic = basic_credentials(headers)?;
    let body_id = params.single("client_id")?;
    let body_secret = params.single("client_secret")?;
    let (id, secret, method) = match basic {
        Some((id, secret)) => {
            if body_secret.is_some() {
                return Err(OAuthError::invalid_request(
                    "the client used more than one authentication method (Basic and client_secret)",
                ));
            }
            if body_id.is_some_and(|b| b != id) {
                return Err(OAuthError::invalid_request(
                    "client_id in the body differs from the one in the Authorization header",
                ));
            }
            // An empty Basic password is how some libraries send a public client's id.
            let secret = Some(secret).filter(|s| !s.is_empty());
            (id, secret, "client_secret_basic")
        }
        None => match body_id {
            Some(id) => (
                id.to_string(),
                body_secret.map(str::to_string),
                "client_secret_post",
            ),
            None => {
                return Err(OAuthError::invalid_client(
                    "no client authentication: send HTTP Basic, client_id + client_secret, or client_id for a public client",
                ));
            }
        },
    };
    let client = find_client(&id)
        .ok_or_else(|| OAuthError::invalid_client(format!("unknown client {id:?}")))?;
    match (client.kind, client.secret, secret) {
        (ClientKind::Confidential, Some(expected), Some(given)) => {
            if secrets_equal(expected, &given) {
                Ok(client)
            } else {
                Err(OAuthError::invalid_client(format!(
                    "client authentication failed ({method}): wrong secret"
                )))
            }
        }
        (ClientKind::Confidential, _, _) => Err(OAuthError::invalid_client(
            "this is a confidential client: authenticate with client_secret_basic or client_secret_post",
        )),
        (ClientKind::Public, _, None) => Ok(client),
        (ClientKind::Public, _, Some(_)) => Err(OAuthError::invalid_client(
            "this is a public client: it has no secret, send client_id only (auth method none)",
        )),
    }
}

/// Decodes `Authorization: Basic` client credentials, if that header is present.
fn basic_credentials(headers: &HeaderMap) -> Result<Option<(String, String)>, OAuthError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value
        .to_str()
        .map_err(|_| OAuthError::invalid_client("the Authorization header is not ASCII"))?;
    let Some((scheme, encoded)) = value.trim().split_once(' ') else {
        return Err(OAuthError::invalid_client("malformed Authorization header"));
    };
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(OAuthError::invalid_client(format!(
            "unsupported Authorization scheme {scheme:?} for client authentication; use Basic"
        )));
    }
    let decoded = STANDARD
        .decode(encoded.trim())
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or_else(|| OAuthError::invalid_client("the Basic credentials are not valid base64"))?;
    let Some((id, secret)) = decoded.split_once(':') else {
        return Err(OAuthError::invalid_client(
            "the Basic credentials have no ':' between client id and secret",
        ));
    };
    let id = form_decode(id).ok_or_else(|| {
        OAuthError::invalid_client("the Basic client id is not form-urlencoded UTF-8")
    })?;
    let secret = form_decode(secret).ok_or_else(|| {
        OAuthError::invalid_client("the Basic client secret is not form-urlencoded UTF-8")
    })?;
    Ok(Some((id, secret)))
}

/// Undoes `application/x-www-form-urlencoded` encoding of one value ('+' and `%XX`).
pub(crate) fn form_decode(value: &str) -> Option<String> {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes.get(i + 1..i + 3)?;
                let hex = std::str::from_utf8(hex).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use axum::http::{HeaderValue, StatusCode};

    fn basic(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn basic_credentials_are_form_decoded() {
        let encoded = STANDARD.encode("sandbox-web:sandbox-web-secret");
        let client = authenticate_client(&basic(&format!("Basic {encoded}")), &Params::default());
        assert_eq!(client.unwrap().id, "sandbox-web");
        // %2D is '-': a correctly form-encoded id must decode to the same client.
        let encoded = STANDARD.encode("sandbox%2Dweb:sandbox-web-secret");
        let client = authenticate_client(&basic(&format!("basic {encoded}")), &Params::default());
        assert_eq!(client.unwrap().id, "sandbox-web");
        let encoded = STANDARD.encode("sandbox-web:wrong");
        let err = authenticate_client(&basic(&format!("Basic {encoded}")), &Params::default())
            .unwrap_err();
        assert_eq!(err.status, StatusCode::UNAUTHORIZED);
        assert!(err.basic_challenge);
    }

    #[test]
    fn form_decode_handles_plus_and_percent() {
        assert_eq!(form_decode("a+b%3Ac%25").as_deref(), Some("a b:c%"));
        assert_eq!(form_decode("%zz"), None);
        assert_eq!(form_decode("%4"), None);
    }

    #[test]
    fn public_client_must_not_send_secret() {
        let params = Params::parse(b"client_id=sandbox-native&client_secret=x");
        assert!(authenticate_client(&HeaderMap::new(), &params).is_err());
        let params = Params::parse(b"client_id=sandbox-native");
        assert_eq!(
            authenticate_client(&HeaderMap::new(), &params).unwrap().id,
            "sandbox-native"
        );
        let params = Params::parse(b"client_id=sandbox-web");
        assert!(authenticate_client(&HeaderMap::new(), &params).is_err());
        // Basic with an empty password identifies a public client; not a confidential one.
        let empty = format!("Basic {}", STANDARD.encode("sandbox-native:"));
        let client = authenticate_client(&basic(&empty), &Params::default());
        assert_eq!(client.unwrap().id, "sandbox-native");
        let empty = format!("Basic {}", STANDARD.encode("sandbox-web:"));
        assert!(authenticate_client(&basic(&empty), &Params::default()).is_err());
    }
}
