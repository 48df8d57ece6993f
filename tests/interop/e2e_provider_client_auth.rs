//! End-to-end against panva's oidc-provider (an independent implementation): a
//! `private_key_jwt` client whose JWKS is a key grantscope generated in the test, a
//! `client_secret_jwt` client, and — over real TLS from Node's `https` server with
//! `requestCert` and a test CA — `tls_client_auth` and `self_signed_tls_client_auth` clients
//! with certificate-bound access tokens; the JWT bearer and token exchange grants registered in
//! the provider (`registerGrantType`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::Provider;
use common::cli::Grantscope;
use grantscope_core::keys::{CertUse, GenerateType, KeyStore, PrivateKey, Signer, TestCa};
use serde_json::{Value, json};

const T: Duration = Duration::from_secs(60);
const JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
const HMAC: (&str, &str) = ("jwt-hmac", "jwt-hmac-secret-0123456789abcdef-0123456789");

struct Setup {
    provider: Provider,
    config: tempfile::TempDir,
    ca: PathBuf,
    mtls_cert: PathBuf,
    mtls_key: PathBuf,
    mtls_x5t: String,
    self_x5t: String,
}

fn gs(dir: &Path, args: &[&str]) -> common::cli::Output {
    Grantscope::new(args).config_dir(dir).run(T).unwrap()
}

fn jwks_of(dir: &Path, name: &str) -> Value {
    let out = gs(dir, &["key", "show", name, "--jwks"]);
    assert_eq!(out.code(), 0, "{}", out.stderr);
    serde_json::from_str(&out.stdout).unwrap()
}

fn setup(tls: bool) -> Setup {
    let config = tempfile::tempdir().unwrap();
    let dir = config.path();
    assert_eq!(
        gs(dir, &["key", "generate", "pkjwt", "--type", "ec-p256"]).code(),
        0
    );
    assert_eq!(
        gs(
            dir,
            &[
                "key",
                "generate",
                "selfcert",
                "--type",
                "ec-p256",
                "--cert",
                "--subject",
                "grantscope-self"
            ]
        )
        .code(),
        0
    );
    let self_jwks = jwks_of(dir, "selfcert");
    let self_x5t = self_jwks["keys"][0]["x5t#S256"]
        .as_str()
        .unwrap()
        .to_string();

    // A test CA for the server certificate and the tls_client_auth client's certificate.
    let ca_key = PrivateKey::generate(GenerateType::EcP256).unwrap();
    let ca = TestCa::new(&ca_key, "provider test CA").unwrap();
    let server_key = PrivateKey::generate(GenerateType::EcP256).unwrap();
    let server_cert = ca
        .issue(&server_key, "127.0.0.1", &["127.0.0.1"], CertUse::Server)
        .unwrap();
    let client_key = PrivateKey::generate(GenerateType::EcP256).unwrap();
    let client_cert = ca
        .issue(&client_key, "grantscope-mtls", &[], CertUse::Client)
        .unwrap();
    let write = |name: &str, text: String| {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    };
    let ca_path = write("ca.pem", ca.certificate().pem());
    let server_cert_path = write("server.pem", server_cert.pem());
    let server_key_path = write("server.key", server_key.reveal_pkcs8_pem());
    let mtls_cert = write("mtls.pem", client_cert.pem());
    let mtls_key = write("mtls.key", client_key.reveal_pkcs8_pem());

    let client = |id: &str, method: &str| {
        json!({
            "client_id": id,
            "token_endpoint_auth_method": method,
            "grant_types": ["client_credentials", JWT_BEARER],
            "response_types": [],
            "redirect_uris": [],
            "scope": "api:read api:write",
        })
    };
    let mut pkjwt = client("pkjwt", "private_key_jwt");
    pkjwt["jwks"] = jwks_of(dir, "pkjwt");
    let mut mtls = client("mtls-ca", "tls_client_auth");
    mtls["tls_client_auth_subject_dn"] = json!("CN=grantscope-mtls");
    mtls["tls_client_certificate_bound_access_tokens"] = json!(true);
    let mut selfsigned = client("mtls-self", "self_signed_tls_client_auth");
    selfsigned["jwks"] = self_jwks;
    selfsigned["tls_client_certificate_bound_access_tokens"] = json!(true);
    let extra = json!([pkjwt, mtls, selfsigned]).to_string();
    let mut env: Vec<(&str, String)> = vec![("EXTRA_CLIENTS", extra)];
    if tls {
        env.push(("TLS_CERT_FILE", server_cert_path.display().to_string()));
        env.push(("TLS_KEY_FILE", server_key_path.display().to_string()));
        env.push(("TLS_CA_FILE", ca_path.display().to_string()));
    }
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let provider = Provider::start_with(&env);
    Setup {
        provider,
        ca: ca_path,
        mtls_cert,
        mtls_key,
        mtls_x5t: client_cert.x5t_s256(),
        self_x5t,
        config,
    }
}

impl Setup {
    fn dir(&self) -> &Path {
        self.config.path()
    }

    fn args(&self, client: &str) -> Vec<String> {
        let mut a: Vec<String> = vec!["--issuer".into(), self.provider.issuer().to_string()];
        let more: Vec<String> = match client {
            "pkjwt" => vec![
                "--client-id".into(),
                "pkjwt".into(),
                "--auth-method".into(),
                "private_key_jwt".into(),
                "--signing-key".into(),
                "pkjwt".into(),
            ],
            "jwt-hmac" => vec![
                "--client-id".into(),
                HMAC.0.into(),
                "--client-secret".into(),
                HMAC.1.into(),
                "--auth-method".into(),
                "client_secret_jwt".into(),
            ],
            "mtls-ca" => vec![
                "--client-id".into(),
                "mtls-ca".into(),
                "--auth-method".into(),
                "tls_client_auth".into(),
                "--client-cert".into(),
                self.mtls_cert.display().to_string(),
                "--client-key".into(),
                self.mtls_key.display().to_string(),
                "--ca-cert".into(),
                self.ca.display().to_string(),
            ],
            "mtls-self" => vec![
                "--client-id".into(),
                "mtls-self".into(),
                "--auth-method".into(),
                "self_signed_tls_client_auth".into(),
                "--client-cert".into(),
                "selfcert".into(),
                "--ca-cert".into(),
                self.ca.display().to_string(),
            ],
            other => panic!("{other}"),
        };
        a.extend(more);
        a
    }

    fn run(&self, head: &[&str], client: &str, tail: &[&str]) -> common::cli::Output {
        let mut a: Vec<String> = head.iter().map(|s| s.to_string()).collect();
        a.extend(self.args(client));
        a.extend(tail.iter().map(|s| s.to_string()));
        Grantscope::new(a).config_dir(self.dir()).run(T).unwrap()
    }

    /// A token, introspected (active, with the returned document), revoked, then inactive.
    fn lifecycle(&self, client: &str) -> Value {
        let out = self.run(
            &["token", "client-credentials"],
            client,
            &["--json", "--reveal-secrets"],
        );
        assert_eq!(out.code(), 0, "{client}: {}\n{}", out.stdout, out.stderr);
        let token = out.json().unwrap()["response"]["access_token"]
            .as_str()
            .unwrap()
            .to_string();
        let out = self.run(&["introspect", &token], client, &["--json"]);
        assert_eq!(out.code(), 0, "{client}: {}\n{}", out.stdout, out.stderr);
        let doc = out.json().unwrap();
        let info = doc["response"].clone();
        assert_eq!(info["active"], true, "{info:#}");
        if client.starts_with("mtls") {
            // The introspected cnf checked against the certificate in use.
            assert_eq!(doc["certificate_binding"]["status"], "pass", "{doc:#}");
        }
        let out = self.run(&["revoke", &token], client, &["--json"]);
        assert_eq!(out.code(), 0, "{client}: {}", out.stdout);
        let out = self.run(&["introspect", &token], client, &["--json"]);
        assert_eq!(
            out.code(),
            1,
            "{client}: revoked token still active: {}",
            out.stdout
        );
        info
    }
}

#[test]
fn private_key_jwt_and_client_secret_jwt_at_the_provider() {
    let s = setup(false);
    s.lifecycle("pkjwt");
    s.lifecycle("jwt-hmac");
    // A key the provider does not know: invalid_client.
    assert_eq!(
        gs(s.dir(), &["key", "generate", "other", "--type", "ec-p256"]).code(),
        0
    );
    let mut a = vec!["token".to_string(), "client-credentials".into()];
    a.extend(s.args("pkjwt"));
    let i = a.iter().position(|x| x == "--signing-key").unwrap();
    a[i + 1] = "other".into();
    a.push("--json".into());
    let out = Grantscope::new(a).config_dir(s.dir()).run(T).unwrap();
    assert_eq!(out.code(), 1, "{}", out.stdout);
    assert_eq!(out.json().unwrap()["error"]["code"], "invalid_client");
}

#[test]
fn replayed_client_assertion_is_refused_by_the_provider() {
    let s = setup(false);
    let key = KeyStore::new(s.dir().join("keys"))
        .load("pkjwt")
        .unwrap()
        .key;
    let token_endpoint = s.provider.token_endpoint();
    let now = u64::try_from(grantscope_core::timefmt::now_unix()).unwrap();
    let assertion = grantscope_core::oauth::assertion::client_assertion(
        Signer::Key(&key),
        &grantscope_core::oauth::assertion::ClientAssertionSpec {
            client_id: "pkjwt",
            audience: token_endpoint.clone(),
            alg: None,
            lifetime: Duration::from_secs(60),
            now,
        },
    )
    .unwrap();
    let mut form = vec![("grant_type".to_string(), "client_credentials".to_string())];
    form.extend(grantscope_core::oauth::assertion::form_params(&assertion));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let statuses: Vec<(u16, Value)> = runtime.block_on(async {
        let http =
            grantscope_core::http::HttpClient::new(&grantscope_core::http::HttpOptions::default())
                .unwrap();
        let mut out = Vec::new();
        for _ in 0..2 {
            let req = grantscope_core::http::HttpRequest::post_form(
                url::Url::parse(&token_endpoint).unwrap(),
                &form,
            );
            let (_, resp) = http.send("t", req).await.map_err(|(_, e)| e).unwrap();
            out.push((resp.status, resp.json_value().unwrap_or(Value::Null)));
        }
        out
    });
    assert_eq!(statuses[0].0, 200, "{:?}", statuses[0]);
    assert_eq!(statuses[1].0, 401, "{:?}", statuses[1]);
    assert_eq!(statuses[1].1["error"], "invalid_client");
}

#[test]
fn jwt_bearer_and_token_exchange_at_the_provider() {
    let s = setup(false);
    let out = s.run(
        &["token", "jwt-bearer"],
        "pkjwt",
        &[
            "--assertion-claims",
            r#"{"sub":"alice"}"#,
            "--json",
            "--reveal-secrets",
        ],
    );
    assert_eq!(out.code(), 0, "{}\n{}", out.stdout, out.stderr);
    let token = out.json().unwrap()["response"]["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let info = s
        .run(&["introspect", &token], "pkjwt", &["--json"])
        .json()
        .unwrap();
    assert_eq!(info["response"]["sub"], "alice", "{info:#}");
    // The same assertion a second time: refused.
    let doc = out.json().unwrap();
    let body = common::last_exchange(&doc, "token request")["request"]["body"]
        .as_str()
        .unwrap();
    let assertion = common::form_param(body, "assertion").unwrap();
    let again = s.run(
        &["token", "jwt-bearer"],
        "pkjwt",
        &["--assertion", &assertion, "--json"],
    );
    assert_eq!(again.code(), 1);
    assert_eq!(again.json().unwrap()["error"]["code"], "invalid_grant");

    // Token exchange: the client_secret_jwt client exchanges a token of its own.
    let out = s.run(
        &["token", "client-credentials"],
        "jwt-hmac",
        &["--json", "--reveal-secrets"],
    );
    let subject = out.json().unwrap()["response"]["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let out = s.run(
        &["token", "token-exchange"],
        "jwt-hmac",
        &[
            "--subject-token",
            &subject,
            "--subject-token-type",
            "access_token",
            "--json",
        ],
    );
    assert_eq!(out.code(), 0, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(
        out.json().unwrap()["response"]["issued_token_type"],
        "urn:ietf:params:oauth:token-type:access_token"
    );
}

#[test]
fn mutual_tls_at_the_provider_with_bound_tokens() {
    let s = setup(true);
    assert!(s.provider.issuer().starts_with("https://"));
    // The server's certificate is from an unknown CA until --ca-cert names it.
    let out = gs(s.dir(), &["discover", s.provider.issuer()]);
    assert_eq!(out.code(), 1, "{}", out.stdout);
    assert!(
        out.stderr.contains("unknown certificate authority"),
        "{}",
        out.stderr
    );
    let mut a = vec!["token".to_string(), "client-credentials".into()];
    a.extend(s.args("mtls-ca"));
    let i = a.iter().position(|x| x == "--ca-cert").unwrap();
    a.drain(i..i + 2);
    let out = Grantscope::new(a).config_dir(s.dir()).run(T).unwrap();
    assert_eq!(out.code(), 1);
    assert!(out.stderr.contains("--ca-cert"), "{}", out.stderr);

    for (client, x5t) in [("mtls-ca", &s.mtls_x5t), ("mtls-self", &s.self_x5t)] {
        let info = s.lifecycle(client);
        assert_eq!(info["cnf"]["x5t#S256"], x5t.as_str(), "{client}: {info:#}");
    }
    // The CA-issued certificate is not the self-signed client's registered one.
    let mut a = vec!["token".to_string(), "client-credentials".into()];
    a.extend(s.args("mtls-self"));
    let i = a.iter().position(|x| x == "selfcert").unwrap();
    a[i] = s.mtls_cert.display().to_string();
    a.insert(i + 1, "--client-key".into());
    a.insert(i + 2, s.mtls_key.display().to_string());
    a.push("--json".into());
    let out = Grantscope::new(a).config_dir(s.dir()).run(T).unwrap();
    assert_eq!(out.code(), 1, "{}", out.stdout);
    assert_eq!(out.json().unwrap()["error"]["code"], "invalid_client");
}
