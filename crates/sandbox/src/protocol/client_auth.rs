//! Client authentication at the sandbox's token, introspection, revocation and device
//! authorization endpoints: every method of RFC 6749, RFC 7523 and RFC 8705, each client held
//! to the one it is registered for.

use axum::http::{HeaderMap, header};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::protocol::assertion;
use crate::protocol::wire::{OAuthError, Params};
use crate::state::app::App;
use crate::state::clients::{ClientAuth, MTLS_SUBJECT_DN, SeededClient, secrets_equal};
use crate::state::tls::Peer;
use grantscope_core::keys::{Certificate, ParsedJws, Signer};
use grantscope_core::oauth::AuthMethod;
use grantscope_core::oauth::assertion::CLIENT_ASSERTION_TYPE;

/// Who authenticated, how, and the certificate a token issued now must be bound to.
#[derive(Debug, Clone)]
pub(crate) struct Authenticated {
    pub client: &'static SeededClient,
    /// `x5t#S256` of the client certificate, for mutual-TLS clients (RFC 8705 §3).
    pub cnf_x5t: Option<String>,
}

impl Authenticated {
    fn plain(client: &'static SeededClient) -> Self {
        Authenticated {
            client,
            cnf_x5t: None,
        }
    }
}

/// Authenticates the client of a request to `path` (token, introspection, revocation, device
/// authorization) by the method it is registered for: `client_secret_basic` (RFC 6749 §2.3.1,
/// with the form-urlencoding undone), `client_secret_post`, `private_key_jwt` and
/// `client_secret_jwt` (RFC 7523 §2.2), `tls_client_auth` and `self_signed_tls_client_auth`
/// (RFC 8705 §2, on the TLS listener), or `none` for a public client.
pub(crate) fn authenticate_client(
    app: &App,
    peer: &Peer,
    path: &str,
    headers: &HeaderMap,
    params: &Params,
) -> Result<Authenticated, OAuthError> {
    let assertion_type = params.single("client_assertion_type")?;
    let assertion = params.single("client_assertion")?;
    if assertion_type.is_some() || assertion.is_some() {
        return assertion_auth(app, path, headers, params, assertion_type, assertion);
    }
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
            (id, secret, AuthMethod::ClientSecretBasic.as_str())
        }
        None => match body_id {
            Some(id) => (
                id.to_string(),
                body_secret.map(str::to_string),
                AuthMethod::ClientSecretPost.as_str(),
            ),
            None => {
                return Err(OAuthError::invalid_client(
                    "no client authentication: send HTTP Basic, client_id + client_secret, a \
                     client_assertion, or client_id (public and mutual-TLS clients)",
                ));
            }
        },
    };
    let client = app
        .find_client(&id)
        .ok_or_else(|| OAuthError::invalid_client(format!("unknown client {id:?}")))?;
    let sent_secret = secret.is_some();
    match (client.auth, client.secret, secret) {
        (ClientAuth::Secret, Some(expected), Some(given)) => {
            if secrets_equal(expected, &given) {
                Ok(Authenticated::plain(client))
            } else {
                Err(OAuthError::invalid_client(format!(
                    "client authentication failed ({method}): wrong secret"
                )))
            }
        }
        (ClientAuth::Secret, _, None) if app.config.unsafe_switches.client_id_alone => {
            Ok(Authenticated::plain(client))
        }
        (ClientAuth::Secret, _, None) => Err(OAuthError::invalid_client(
            "this is a confidential client: authenticate with client_secret_basic or client_secret_post",
        )),
        (ClientAuth::None, _, None) => Ok(Authenticated::plain(client)),
        (ClientAuth::None, _, Some(_)) => Err(OAuthError::invalid_client(
            "this is a public client: it has no secret, send client_id only (auth method none)",
        )),
        (auth, _, None) if auth.is_mtls() => certificate_auth(app, peer, client),
        (auth, _, _) => Err(OAuthError::invalid_client(format!(
            "client {} is registered for {}; it cannot authenticate with {}",
            client.id,
            auth.names().join(" or "),
            if sent_secret {
                method
            } else {
                "client_id alone"
            }
        ))),
    }
}

/// `private_key_jwt` and `client_secret_jwt`.
fn assertion_auth(
    app: &App,
    path: &str,
    headers: &HeaderMap,
    params: &Params,
    assertion_type: Option<&str>,
    assertion: Option<&str>,
) -> Result<Authenticated, OAuthError> {
    if headers.contains_key(header::AUTHORIZATION) || params.single("client_secret")?.is_some() {
        return Err(OAuthError::invalid_request(
            "the client used more than one authentication method (a client_assertion and a secret)",
        ));
    }
    if assertion_type != Some(CLIENT_ASSERTION_TYPE) {
        return Err(OAuthError::invalid_client(format!(
            "client_assertion_type must be {CLIENT_ASSERTION_TYPE} with a client_assertion"
        )));
    }
    let assertion = assertion.ok_or_else(|| {
        OAuthError::invalid_client("client_assertion_type without client_assertion")
    })?;
    let jws = ParsedJws::parse(assertion)
        .map_err(|e| OAuthError::invalid_client(format!("client_assertion: {e}")))?;
    let id = jws
        .claims
        .get("sub")
        .and_then(serde_json::Value::as_str)
        .ok_or_else(|| {
            OAuthError::invalid_client("the client_assertion has no sub (the client id)")
        })?;
    if params.single("client_id")?.is_some_and(|given| given != id) {
        return Err(OAuthError::invalid_client(
            "client_id differs from the client_assertion's sub",
        ));
    }
    let client = app
        .find_client(id)
        .ok_or_else(|| OAuthError::invalid_client(format!("unknown client {id:?}")))?;
    let (signer, method) = match (client.auth, client.secret) {
        (ClientAuth::PrivateKeyJwt, _) => (
            Signer::Key(&app.client_keys.jwt.key),
            AuthMethod::PrivateKeyJwt.as_str(),
        ),
        (ClientAuth::ClientSecretJwt, Some(secret)) => (
            Signer::Secret(secret.as_bytes()),
            AuthMethod::ClientSecretJwt.as_str(),
        ),
        (auth, _) => {
            return Err(OAuthError::invalid_client(format!(
                "client {} is registered for {}, not a JWT client assertion",
                client.id,
                auth.names().join(" or ")
            )));
        }
    };
    let teaching = app.config.teaching_switches;
    if teaching.require_fapi2_algs {
        let alg = jws
            .header
            .get("alg")
            .and_then(serde_json::Value::as_str)
            .unwrap_or("(none)");
        if !assertion::FAPI2_ALGS.contains(&alg) {
            return Err(OAuthError::invalid_client(format!(
                "{method}: the assertion is signed with {}; this server accepts only {} (FAPI 2.0 \
                 §5.4.1, the require-fapi2-algs teaching switch)",
                grantscope_core::http::excerpt(alg, 16),
                assertion::FAPI2_ALGS.join(", ")
            )));
        }
    }
    if teaching.require_issuer_audience
        && !app.config.unsafe_switches.accept_wrong_assertion_audience
        && jws.claims.get("aud").and_then(serde_json::Value::as_str) != Some(app.issuer.as_str())
    {
        return Err(OAuthError::invalid_client(format!(
            "{method}: the assertion's aud must be the issuer {:?}, as a string (RFC 7523bis, the \
             require-issuer-audience teaching switch)",
            app.issuer
        )));
    }
    let checked = assertion::check(app, &jws, signer, path)
        .map_err(|reason| OAuthError::invalid_client(format!("{method}: {reason}")))?;
    if checked.iss != client.id {
        return Err(OAuthError::invalid_client(format!(
            "{method}: iss must be the client id {:?} (RFC 7523 §3 item 1)",
            client.id
        )));
    }
    Ok(Authenticated::plain(client))
}

/// `tls_client_auth` and `self_signed_tls_client_auth` (RFC 8705 §2).
fn certificate_auth(
    app: &App,
    peer: &Peer,
    client: &'static SeededClient,
) -> Result<Authenticated, OAuthError> {
    let method = client.auth.name();
    if !peer.tls {
        return Err(OAuthError::invalid_client(format!(
            "client {} authenticates with {method}: call the TLS listener's endpoint (see \
             mtls_endpoint_aliases in discovery) and present its certificate",
            client.id
        )));
    }
    let Some(der) = peer.cert.as_deref() else {
        return Err(OAuthError::invalid_client(format!(
            "{method}: no client certificate was presented in the TLS handshake"
        )));
    };
    let cert = Certificate::from_der(der.clone());
    let thumbprint = cert.x5t_s256();
    match client.auth {
        ClientAuth::TlsClientAuth => {
            app.ca_check.verify(der).map_err(|e| {
                OAuthError::invalid_client(format!(
                    "{method}: the certificate is not from the sandbox's test CA ({e})"
                ))
            })?;
            let cn = cert.subject_common_name().unwrap_or_default();
            if format!("CN={cn}") != MTLS_SUBJECT_DN {
                return Err(OAuthError::invalid_client(format!(
                    "{method}: the certificate's subject CN={} is not the registered {MTLS_SUBJECT_DN}",
                    grantscope_core::http::excerpt(&cn, 64)
                )));
            }
        }
        _ => {
            if app.client_keys.self_signed_thumbprint().as_deref() != Some(thumbprint.as_str()) {
                return Err(OAuthError::invalid_client(format!(
                    "{method}: the certificate (x5t#S256 {thumbprint}) is not the one registered"
                )));
            }
        }
    }
    Ok(Authenticated {
        client,
        cnf_x5t: Some(thumbprint),
    })
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
    use crate::state::config::UnsafeSwitches;
    use axum::http::{HeaderValue, StatusCode};
    use grantscope_core::keys::{JwsAlg, PrivateKey};
    use grantscope_core::oauth::assertion::{ClientAssertionSpec, client_assertion};
    use std::sync::Arc;
    use std::time::Duration;

    fn basic(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, HeaderValue::from_str(value).unwrap());
        headers
    }

    fn auth(
        app: &App,
        headers: &HeaderMap,
        params: &Params,
    ) -> Result<&'static SeededClient, OAuthError> {
        authenticate_client(app, &Peer::default(), "/token", headers, params).map(|a| a.client)
    }

    #[test]
    fn basic_credentials_are_form_decoded() {
        let (app, _dir) = App::for_tests(UnsafeSwitches::default());
        let encoded = STANDARD.encode("sandbox-web:sandbox-web-secret");
        let client = auth(
            &app,
            &basic(&format!("Basic {encoded}")),
            &Params::default(),
        );
        assert_eq!(client.unwrap().id, "sandbox-web");
        // %2D is '-': a correctly form-encoded id must decode to the same client.
        let encoded = STANDARD.encode("sandbox%2Dweb:sandbox-web-secret");
        let client = auth(
            &app,
            &basic(&format!("basic {encoded}")),
            &Params::default(),
        );
        assert_eq!(client.unwrap().id, "sandbox-web");
        let encoded = STANDARD.encode("sandbox-web:wrong");
        let err = auth(
            &app,
            &basic(&format!("Basic {encoded}")),
            &Params::default(),
        )
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
        let (app, _dir) = App::for_tests(UnsafeSwitches::default());
        let params = Params::parse(b"client_id=sandbox-native&client_secret=x");
        assert!(auth(&app, &HeaderMap::new(), &params).is_err());
        let params = Params::parse(b"client_id=sandbox-native");
        assert_eq!(
            auth(&app, &HeaderMap::new(), &params).unwrap().id,
            "sandbox-native"
        );
        let params = Params::parse(b"client_id=sandbox-web");
        assert!(auth(&app, &HeaderMap::new(), &params).is_err());
        // Basic with an empty password identifies a public client; not a confidential one.
        let empty = format!("Basic {}", STANDARD.encode("sandbox-native:"));
        let client = auth(&app, &basic(&empty), &Params::default());
        assert_eq!(client.unwrap().id, "sandbox-native");
        let empty = format!("Basic {}", STANDARD.encode("sandbox-web:"));
        assert!(auth(&app, &basic(&empty), &Params::default()).is_err());
    }

    fn assertion_params(jwt: &str) -> Params {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("client_assertion_type", CLIENT_ASSERTION_TYPE)
            .append_pair("client_assertion", jwt)
            .finish();
        Params::parse(body.as_bytes())
    }

    fn signed(signer: Signer<'_>, client_id: &str, aud: &str, now: u64, lifetime: u64) -> String {
        client_assertion(
            signer,
            &ClientAssertionSpec {
                client_id,
                audience: aud.to_string(),
                alg: None,
                lifetime: Duration::from_secs(lifetime),
                now,
            },
        )
        .unwrap()
        .jwt
    }

    fn now() -> u64 {
        crate::state::store::now_secs()
    }

    #[test]
    fn private_key_jwt_is_checked_and_each_switch_relaxes_one_check() {
        let (app, _dir) = App::for_tests(UnsafeSwitches::default());
        let key = &app.client_keys.jwt.key;
        let good = signed(
            Signer::Key(key),
            "sandbox-jwt",
            "http://127.0.0.1:1/token",
            now(),
            60,
        );
        let client = auth(&app, &HeaderMap::new(), &assertion_params(&good)).unwrap();
        assert_eq!(client.id, "sandbox-jwt");
        let replay = auth(&app, &HeaderMap::new(), &assertion_params(&good)).unwrap_err();
        assert!(
            replay.description.contains("replayed"),
            "{}",
            replay.description
        );
        // The TLS alias of the token endpoint and the issuer are accepted audiences too.
        for aud in ["https://127.0.0.1:2/token", "http://127.0.0.1:1"] {
            let jwt = signed(Signer::Key(key), "sandbox-jwt", aud, now(), 60);
            auth(&app, &HeaderMap::new(), &assertion_params(&jwt)).unwrap();
        }
        let wrong_aud = signed(
            Signer::Key(key),
            "sandbox-jwt",
            "https://elsewhere",
            now(),
            60,
        );
        let expired = signed(
            Signer::Key(key),
            "sandbox-jwt",
            "http://127.0.0.1:1/token",
            now() - 400,
            60,
        );
        let other_key = PrivateKey::generate(grantscope_core::keys::GenerateType::EcP256).unwrap();
        let wrong_key = signed(
            Signer::Key(&other_key),
            "sandbox-jwt",
            "http://127.0.0.1:1/token",
            now(),
            60,
        );
        for (jwt, reason) in [
            (&wrong_aud, "aud"),
            (&expired, "expired"),
            (&wrong_key, "does not verify"),
        ] {
            let err = auth(&app, &HeaderMap::new(), &assertion_params(jwt)).unwrap_err();
            assert_eq!(err.error, "invalid_client");
            assert!(
                err.description.contains(reason),
                "{reason}: {}",
                err.description
            );
        }
        // Each teaching switch lets exactly its mistake through.
        for (switches, jwt, replayed) in [
            (
                UnsafeSwitches {
                    accept_wrong_assertion_audience: true,
                    ..Default::default()
                },
                &wrong_aud,
                false,
            ),
            (
                UnsafeSwitches {
                    accept_expired_assertion: true,
                    ..Default::default()
                },
                &expired,
                false,
            ),
            (
                UnsafeSwitches {
                    accept_replayed_assertion: true,
                    ..Default::default()
                },
                &good,
                true,
            ),
        ] {
            let (relaxed, _dir) = App::for_tests(switches);
            // The relaxed app has keys of its own: re-sign the same claims with them.
            let parsed = ParsedJws::parse(jwt).unwrap();
            let again = grantscope_core::keys::sign_compact(
                &parsed.header,
                &parsed.claims,
                Signer::Key(&relaxed.client_keys.jwt.key),
                JwsAlg::Es256,
            )
            .unwrap();
            auth(&relaxed, &HeaderMap::new(), &assertion_params(&again)).unwrap();
            if replayed {
                auth(&relaxed, &HeaderMap::new(), &assertion_params(&again)).unwrap();
            }
        }
    }

    #[test]
    fn client_secret_jwt_and_registered_methods() {
        let (app, _dir) = App::for_tests(UnsafeSwitches::default());
        let secret = crate::state::clients::find_client("sandbox-hmac")
            .unwrap()
            .secret
            .unwrap();
        let jwt = signed(
            Signer::Secret(secret.as_bytes()),
            "sandbox-hmac",
            "http://127.0.0.1:1/token",
            now(),
            60,
        );
        assert_eq!(
            auth(&app, &HeaderMap::new(), &assertion_params(&jwt))
                .unwrap()
                .id,
            "sandbox-hmac"
        );
        let wrong = signed(
            Signer::Secret(b"not-the-secret-but-long-enough-0123456789"),
            "sandbox-hmac",
            "http://127.0.0.1:1/token",
            now(),
            60,
        );
        assert!(auth(&app, &HeaderMap::new(), &assertion_params(&wrong)).is_err());
        // The HMAC client may not fall back to sending its secret.
        let encoded = STANDARD.encode(format!("sandbox-hmac:{secret}"));
        let err = auth(
            &app,
            &basic(&format!("Basic {encoded}")),
            &Params::default(),
        )
        .unwrap_err();
        assert!(
            err.description.contains("client_secret_jwt"),
            "{}",
            err.description
        );
        // A secret client may not send an assertion.
        let jwt = signed(
            Signer::Secret(b"sandbox-machine-secret"),
            "sandbox-machine",
            "http://127.0.0.1:1/token",
            now(),
            60,
        );
        assert!(auth(&app, &HeaderMap::new(), &assertion_params(&jwt)).is_err());
    }

    #[test]
    fn mutual_tls_clients_need_the_tls_listener_and_their_certificate() {
        let (app, _dir) = App::for_tests(UnsafeSwitches::default());
        let params = Params::parse(b"client_id=sandbox-mtls");
        let err = auth(&app, &HeaderMap::new(), &params).unwrap_err();
        assert!(
            err.description.contains("TLS listener"),
            "{}",
            err.description
        );
        let over_tls = |cert: Option<&grantscope_core::keys::Certificate>, id: &str| {
            let peer = Peer {
                tls: true,
                cert: cert.map(|c| Arc::new(c.der().to_vec())),
            };
            let params = Params::parse(format!("client_id={id}").as_bytes());
            authenticate_client(&app, &peer, "/token", &HeaderMap::new(), &params)
        };
        let mtls_cert = app.client_keys.mtls.certs.first().unwrap();
        let ok = over_tls(Some(mtls_cert), "sandbox-mtls").unwrap();
        assert_eq!(ok.cnf_x5t, Some(mtls_cert.x5t_s256()));
        let self_cert = app.client_keys.self_signed.certs.first().unwrap();
        let ok = over_tls(Some(self_cert), "sandbox-selfsigned").unwrap();
        assert_eq!(ok.cnf_x5t, Some(self_cert.x5t_s256()));
        // Swapped certificates, or none, fail.
        assert!(over_tls(Some(self_cert), "sandbox-mtls").is_err());
        assert!(over_tls(Some(mtls_cert), "sandbox-selfsigned").is_err());
        assert!(over_tls(None, "sandbox-mtls").is_err());
    }
}
