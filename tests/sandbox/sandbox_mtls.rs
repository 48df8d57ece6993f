//! The sandbox's modern client authentication over real sockets, driven with grantscope's own
//! HTTP client: mutual TLS on its TLS listener (RFC 8705) with certificate-bound tokens,
//! `private_key_jwt` and `client_secret_jwt` (RFC 7523), the JWT bearer grant and token
//! exchange (RFC 8693); and the TLS failures the client names (unknown CA, name mismatch,
//! handshake refused).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use grantscope_core::http::{
    CaCerts, ClientIdentity, HttpClient, HttpError, HttpOptions, HttpRequest, TlsFailure,
};
use grantscope_core::keys::{self, CertUse, GenerateType, PrivateKey, Signer, TestCa};
use grantscope_core::oauth::assertion::{
    ClientAssertionSpec, bearer_assertion, client_assertion, form_params,
};
use grantscope_sandbox::{
    self as sandbox, ClientFiles, SandboxConfig, SandboxHandle, UnsafeSwitches,
};
use serde_json::{Value, json};
use url::Url;

struct Running {
    handle: SandboxHandle,
    files: ClientFiles,
    _dir: tempfile::TempDir,
}

async fn start(switches: UnsafeSwitches) -> Running {
    let (handle, dir) = crate::common::sandbox::start_handle(SandboxConfig {
        unsafe_switches: switches,
        ..SandboxConfig::default()
    })
    .await;
    let files = handle.client_files();
    Running {
        handle,
        files,
        _dir: dir,
    }
}

fn identity(cert: &std::path::Path, key: &std::path::Path) -> ClientIdentity {
    let certs = keys::Certificate::all_from_pem(&std::fs::read_to_string(cert).unwrap()).unwrap();
    let key = keys::read_key_file(key).unwrap().key;
    ClientIdentity::new(cert.display().to_string(), &certs, &key).unwrap()
}

fn client(ca: Option<&std::path::Path>, id: Option<ClientIdentity>) -> HttpClient {
    HttpClient::new(&HttpOptions {
        ca_certs: ca
            .map(|p| CaCerts::from_file(p).unwrap())
            .into_iter()
            .collect(),
        client_identity: id,
        timeout: Duration::from_secs(20),
        ..HttpOptions::default()
    })
    .unwrap()
}

async fn post(http: &HttpClient, url: &str, pairs: &[(String, String)]) -> (u16, Value) {
    let req = HttpRequest::post_form(Url::parse(url).unwrap(), pairs);
    let (_, resp) = http.send("test", req).await.map_err(|(_, e)| e).unwrap();
    (resp.status, resp.json_value().unwrap_or(Value::Null))
}

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn claims(jwt: &str) -> Value {
    let payload = jwt.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

#[tokio::test]
async fn mutual_tls_clients_get_certificate_bound_tokens_that_introspect_and_revoke() {
    let s = start(UnsafeSwitches::default()).await;
    let base = s.handle.tls_base();
    let discovery: Value = {
        let http = client(None, None);
        let req = HttpRequest::get(
            Url::parse(&format!(
                "{}/.well-known/openid-configuration",
                s.handle.issuer_str()
            ))
            .unwrap(),
        );
        let (_, resp) = http
            .send("discovery", req)
            .await
            .map_err(|(_, e)| e)
            .unwrap();
        resp.json_value().unwrap()
    };
    assert_eq!(
        discovery["mtls_endpoint_aliases"]["token_endpoint"],
        format!("{base}/token")
    );
    assert_eq!(
        discovery["tls_client_certificate_bound_access_tokens"],
        true
    );

    for (id, cert, key, x5t) in [
        (
            "sandbox-mtls",
            &s.files.mtls_cert,
            &s.files.mtls_key,
            &s.files.mtls_x5t,
        ),
        (
            "sandbox-selfsigned",
            &s.files.self_signed_cert,
            &s.files.self_signed_key,
            &s.files.self_signed_x5t,
        ),
    ] {
        let http = client(Some(&s.files.ca_cert), Some(identity(cert, key)));
        let (status, body) = post(
            &http,
            &format!("{base}/token"),
            &pairs(&[("grant_type", "client_credentials"), ("client_id", id)]),
        )
        .await;
        assert_eq!(status, 200, "{id}: {body}");
        let token = body["access_token"].as_str().unwrap().to_string();
        assert_eq!(claims(&token)["cnf"]["x5t#S256"], x5t.as_str(), "{id}");
        let (status, info) = post(
            &http,
            &format!("{base}/introspect"),
            &pairs(&[("token", &token), ("client_id", id)]),
        )
        .await;
        assert_eq!(status, 200, "{info}");
        assert_eq!(info["active"], true);
        assert_eq!(info["cnf"]["x5t#S256"], x5t.as_str());
        let (status, _) = post(
            &http,
            &format!("{base}/revoke"),
            &pairs(&[("token", &token), ("client_id", id)]),
        )
        .await;
        assert_eq!(status, 200);
        let (_, info) = post(
            &http,
            &format!("{base}/introspect"),
            &pairs(&[("token", &token), ("client_id", id)]),
        )
        .await;
        assert_eq!(info["active"], false);
    }

    // Without a certificate, or on the plain listener, a mutual-TLS client is refused.
    let bare = client(Some(&s.files.ca_cert), None);
    let (status, body) = post(
        &bare,
        &format!("{base}/token"),
        &pairs(&[
            ("grant_type", "client_credentials"),
            ("client_id", "sandbox-mtls"),
        ]),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client")),
        "{body}"
    );
    let (status, body) = post(
        &bare,
        &format!("{}/token", s.handle.issuer_str()),
        &pairs(&[
            ("grant_type", "client_credentials"),
            ("client_id", "sandbox-mtls"),
        ]),
    )
    .await;
    assert_eq!(status, 401);
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("TLS listener")
    );
    // The self-signed certificate is not the CA-issued one the tls_client_auth client needs.
    let swapped = client(
        Some(&s.files.ca_cert),
        Some(identity(
            &s.files.self_signed_cert,
            &s.files.self_signed_key,
        )),
    );
    let (status, _) = post(
        &swapped,
        &format!("{base}/token"),
        &pairs(&[
            ("grant_type", "client_credentials"),
            ("client_id", "sandbox-mtls"),
        ]),
    )
    .await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn unknown_ca_fails_until_its_certificate_is_trusted() {
    let s = start(UnsafeSwitches::default()).await;
    let url = format!("{}/.well-known/openid-configuration", s.handle.tls_base());
    let untrusting = client(None, None);
    let (exchange, err) = untrusting
        .send("discovery", HttpRequest::get(Url::parse(&url).unwrap()))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            HttpError::Tls {
                what: TlsFailure::UnknownCa,
                ..
            }
        ),
        "{err}"
    );
    assert!(
        err.to_string().contains("trust its CA certificate"),
        "{err}"
    );
    assert!(
        exchange
            .error_view(false)
            .unwrap()
            .contains("unknown certificate authority")
    );
    let trusting = client(Some(&s.files.ca_cert), None);
    let (_, resp) = trusting
        .send("discovery", HttpRequest::get(Url::parse(&url).unwrap()))
        .await
        .map_err(|(_, e)| e)
        .unwrap();
    assert_eq!(resp.status, 200);
}

/// A TLS server of the test's own: a certificate for another name, or a demand for a client
/// certificate, to see the client name each failure.
async fn strict_server(
    names: &[&str],
    require_client_cert: bool,
) -> (u16, std::path::PathBuf, tempfile::TempDir) {
    use tokio_rustls::rustls::{self, pki_types};
    let dir = tempfile::tempdir().unwrap();
    let ca_key = PrivateKey::generate(GenerateType::EcP256).unwrap();
    let ca = TestCa::new(&ca_key, "strict test CA").unwrap();
    let ca_path = dir.path().join("ca.pem");
    std::fs::write(&ca_path, ca.certificate().pem()).unwrap();
    let key = PrivateKey::generate(GenerateType::EcP256).unwrap();
    let cert = ca.issue(&key, names[0], names, CertUse::Server).unwrap();
    let key_der =
        pki_types::PrivateKeyDer::from_pem_slice(key.reveal_pkcs8_pem().as_bytes()).unwrap();
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .unwrap();
    let builder = if require_client_cert {
        let mut roots = rustls::RootCertStore::empty();
        roots
            .add(pki_types::CertificateDer::from(
                ca.certificate().der().to_vec(),
            ))
            .unwrap();
        let verifier =
            rustls::server::WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .unwrap();
        builder.with_client_cert_verifier(verifier)
    } else {
        builder.with_no_client_auth()
    };
    let config = builder
        .with_single_cert(
            vec![pki_types::CertificateDer::from(cert.der().to_vec())],
            key_der,
        )
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                if let Ok(mut tls) = acceptor.accept(stream).await {
                    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
                    let mut buf = [0u8; 1024];
                    let _ = tls.read(&mut buf).await;
                    let _ = tls
                        .write_all(
                            b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}",
                        )
                        .await;
                }
            });
        }
    });
    use pki_types::pem::PemObject as _;
    (port, ca_path, dir)
}

#[tokio::test]
async fn name_mismatch_and_refused_handshake_are_named() {
    let (port, ca, _dir) = strict_server(&["other.example"], false).await;
    let http = client(Some(&ca), None);
    let url = Url::parse(&format!("https://127.0.0.1:{port}/")).unwrap();
    let (_, err) = http.send("x", HttpRequest::get(url)).await.unwrap_err();
    assert!(
        matches!(
            err,
            HttpError::Tls {
                what: TlsFailure::NameMismatch,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("name mismatch"), "{err}");

    let (port, ca, _dir) = strict_server(&["127.0.0.1"], true).await;
    let http = client(Some(&ca), None);
    let url = Url::parse(&format!("https://127.0.0.1:{port}/")).unwrap();
    let (_, err) = http.send("x", HttpRequest::get(url)).await.unwrap_err();
    assert!(
        matches!(
            err,
            HttpError::Tls {
                what: TlsFailure::HandshakeRefused,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("client certificate"), "{err}");
}

fn key_of(s: &Running) -> PrivateKey {
    keys::read_key_file(&s.files.jwt_key).unwrap().key
}

fn jwt_client_auth(s: &Running, key: &PrivateKey) -> Vec<(String, String)> {
    let a = client_assertion(
        Signer::Key(key),
        &ClientAssertionSpec {
            client_id: "sandbox-jwt",
            audience: format!("{}/token", s.handle.issuer_str()),
            alg: None,
            lifetime: Duration::from_secs(60),
            now: now(),
        },
    )
    .unwrap();
    form_params(&a)
}

#[tokio::test]
async fn private_key_jwt_client_credentials_and_jwt_bearer_grant() {
    let s = start(UnsafeSwitches::default()).await;
    let http = client(None, None);
    let token_url = format!("{}/token", s.handle.issuer_str());
    let key = key_of(&s);
    let mut form = pairs(&[("grant_type", "client_credentials")]);
    form.extend(jwt_client_auth(&s, &key));
    let (status, body) = post(&http, &token_url, &form).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        claims(body["access_token"].as_str().unwrap())["client_id"],
        "sandbox-jwt"
    );
    // The very same request again is a replayed assertion.
    let (status, body) = post(&http, &token_url, &form).await;
    assert_eq!(status, 401);
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("replayed"),
        "{body}"
    );
    // A key that is not the registered one is invalid_client.
    let stranger = PrivateKey::generate(GenerateType::EcP256).unwrap();
    let mut form = pairs(&[("grant_type", "client_credentials")]);
    form.extend(jwt_client_auth(&s, &stranger));
    let (status, body) = post(&http, &token_url, &form).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );

    // JWT bearer: the client signs an assertion about alice.
    let grant = bearer_assertion(
        Signer::Key(&key),
        json!({ "sub": "alice" }),
        "sandbox-jwt",
        &token_url,
        None,
        Duration::from_secs(60),
        now(),
    )
    .unwrap();
    let mut form = pairs(&[
        ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
        ("assertion", &grant.jwt),
        ("scope", "openid api:read"),
    ]);
    form.extend(jwt_client_auth(&s, &key));
    let (status, body) = post(&http, &token_url, &form).await;
    assert_eq!(status, 200, "{body}");
    let alice = sandbox::find_user("alice").unwrap();
    assert_eq!(
        claims(body["access_token"].as_str().unwrap())["sub"],
        alice.sub
    );
    // The grant assertion cannot be used twice either.
    let mut form = pairs(&[
        ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
        ("assertion", &grant.jwt),
    ]);
    form.extend(jwt_client_auth(&s, &key));
    let (status, body) = post(&http, &token_url, &form).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "{body}"
    );
}

#[tokio::test]
async fn client_secret_jwt_token_exchange_with_actor() {
    let s = start(UnsafeSwitches::default()).await;
    let http = client(None, None);
    let token_url = format!("{}/token", s.handle.issuer_str());
    let machine = |http: &HttpClient| {
        let req = HttpRequest::post_form(
            Url::parse(&token_url).unwrap(),
            &[("grant_type", "client_credentials"), ("scope", "api:read")],
        )
        .header(
            "Authorization",
            grantscope_core::oauth::client_auth::basic_header(
                "sandbox-machine",
                "sandbox-machine-secret",
            ),
        );
        let http = http.clone();
        async move {
            let (_, resp) = http.send("t", req).await.map_err(|(_, e)| e).unwrap();
            resp.json_value().unwrap()["access_token"]
                .as_str()
                .unwrap()
                .to_string()
        }
    };
    let subject = machine(&http).await;
    let actor = machine(&http).await;
    let secret = sandbox::find_client("sandbox-hmac")
        .unwrap()
        .secret
        .unwrap();
    let assertion = client_assertion(
        Signer::Secret(secret.as_bytes()),
        &ClientAssertionSpec {
            client_id: "sandbox-hmac",
            audience: token_url.clone(),
            alg: Some(keys::JwsAlg::Hs384),
            lifetime: Duration::from_secs(60),
            now: now(),
        },
    )
    .unwrap();
    let at = "urn:ietf:params:oauth:token-type:access_token";
    let mut form = pairs(&[
        (
            "grant_type",
            "urn:ietf:params:oauth:grant-type:token-exchange",
        ),
        ("subject_token", &subject),
        ("subject_token_type", at),
        ("actor_token", &actor),
        ("actor_token_type", at),
        ("audience", "https://downstream.example"),
    ]);
    form.extend(form_params(&assertion));
    let (status, body) = post(&http, &token_url, &form).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["issued_token_type"], at);
    let issued = claims(body["access_token"].as_str().unwrap());
    assert_eq!(issued["sub"], "sandbox-machine");
    assert_eq!(issued["act"]["sub"], "sandbox-machine");
    assert_eq!(issued["aud"], "https://downstream.example");
    assert_eq!(issued["client_id"], "sandbox-hmac");
    // An unknown subject token is invalid_grant.
    let assertion = client_assertion(
        Signer::Secret(secret.as_bytes()),
        &ClientAssertionSpec {
            client_id: "sandbox-hmac",
            audience: token_url.clone(),
            alg: None,
            lifetime: Duration::from_secs(60),
            now: now(),
        },
    )
    .unwrap();
    let mut form = pairs(&[
        (
            "grant_type",
            "urn:ietf:params:oauth:grant-type:token-exchange",
        ),
        ("subject_token", "not-a-token"),
        ("subject_token_type", at),
    ]);
    form.extend(form_params(&assertion));
    let (status, body) = post(&http, &token_url, &form).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
}

#[tokio::test]
async fn teaching_switches_flip_the_assertion_checks_over_http() {
    let strict = start(UnsafeSwitches::default()).await;
    let relaxed = start(UnsafeSwitches {
        accept_wrong_assertion_audience: true,
        accept_replayed_assertion: true,
        accept_expired_assertion: true,
        ..UnsafeSwitches::default()
    })
    .await;
    for s in [&strict, &relaxed] {
        let switched = s.handle.config().unsafe_switches.accept_replayed_assertion;
        let http = client(None, None);
        let token_url = format!("{}/token", s.handle.issuer_str());
        let key = key_of(s);
        let make = |aud: &str, iat: u64| {
            let a = client_assertion(
                Signer::Key(&key),
                &ClientAssertionSpec {
                    client_id: "sandbox-jwt",
                    audience: aud.to_string(),
                    alg: None,
                    lifetime: Duration::from_secs(60),
                    now: iat,
                },
            )
            .unwrap();
            let mut form = pairs(&[("grant_type", "client_credentials")]);
            form.extend(form_params(&a));
            form
        };
        let wrong_aud = make("https://someone-else.example/token", now());
        let expired = make(&token_url, now() - 3600);
        let good = make(&token_url, now());
        let first = post(&http, &token_url, &good).await.0;
        assert_eq!(first, 200);
        let expect = if switched { 200 } else { 401 };
        assert_eq!(
            post(&http, &token_url, &wrong_aud).await.0,
            expect,
            "wrong aud"
        );
        assert_eq!(post(&http, &token_url, &expired).await.0, expect, "expired");
        assert_eq!(post(&http, &token_url, &good).await.0, expect, "replayed");
    }
    let banner = grantscope_cli::sandbox::startup_text(&relaxed.handle);
    for name in [
        "unsafe-accept-wrong-assertion-audience",
        "unsafe-accept-replayed-assertion",
        "unsafe-accept-expired-assertion",
    ] {
        assert!(banner.contains(name), "{banner}");
    }
}
