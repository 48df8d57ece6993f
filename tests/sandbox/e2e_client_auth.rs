//! End-to-end through the real binary against the `grantscope sandbox` process: every modern
//! client-authentication method gets a token, introspects and revokes it; a mutual-TLS token's
//! `cnf` matches the certificate; a wrong key is `invalid_client`; a replayed assertion is
//! refused; an unknown CA fails until `--ca-cert` names it; the JWT bearer grant and token
//! exchange; the exchange shows the client assertion decoded while its raw form stays masked.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::time::Duration;

use common::cli::Grantscope;
use serde_json::Value;

const T: Duration = Duration::from_secs(60);

struct SandboxProcess {
    child: std::process::Child,
    doc: Value,
    _keys: tempfile::TempDir,
}

impl Drop for SandboxProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl SandboxProcess {
    fn start() -> Self {
        let (child, doc, keys) = common::spawn_sandbox_process(&["--tls-port", "0"]);
        SandboxProcess {
            child,
            doc,
            _keys: keys,
        }
    }

    fn issuer(&self) -> String {
        self.doc["issuer"].as_str().unwrap().to_string()
    }

    fn file(&self, client: &str, what: &str) -> String {
        self.doc["client_keys"][client][what]
            .as_str()
            .unwrap()
            .to_string()
    }

    fn ca(&self) -> String {
        self.doc["tls"]["ca_cert"].as_str().unwrap().to_string()
    }

    /// The connection flags of each seeded client by method.
    fn client_args(&self, method: &str) -> Vec<String> {
        let mut a: Vec<String> = vec!["--issuer".into(), self.issuer()];
        let more: Vec<String> = match method {
            "private_key_jwt" => vec![
                "--client-id".into(),
                "sandbox-jwt".into(),
                "--signing-key".into(),
                self.file("sandbox-jwt", "key"),
            ],
            "client_secret_jwt" => vec![
                "--client-id".into(),
                "sandbox-hmac".into(),
                "--client-secret".into(),
                "sandbox-hmac-secret-0123456789abcdef-0123456789".into(),
            ],
            "tls_client_auth" => vec![
                "--client-id".into(),
                "sandbox-mtls".into(),
                "--client-cert".into(),
                self.file("sandbox-mtls", "cert"),
                "--client-key".into(),
                self.file("sandbox-mtls", "key"),
                "--ca-cert".into(),
                self.ca(),
            ],
            "self_signed_tls_client_auth" => vec![
                "--client-id".into(),
                "sandbox-selfsigned".into(),
                "--client-cert".into(),
                self.file("sandbox-selfsigned", "cert"),
                "--client-key".into(),
                self.file("sandbox-selfsigned", "key"),
                "--ca-cert".into(),
                self.ca(),
            ],
            other => panic!("no client for {other}"),
        };
        a.extend(more);
        a.push("--auth-method".into());
        a.push(method.into());
        a
    }
}

fn run(args: Vec<String>) -> common::cli::Output {
    Grantscope::new(args).run(T).unwrap()
}

fn with(mut base: Vec<String>, extra: &[&str]) -> Vec<String> {
    base.extend(extra.iter().map(|s| s.to_string()));
    base
}

fn token_exchange_of(doc: &Value) -> &Value {
    common::last_exchange(doc, "token request")
}

#[test]
fn each_method_gets_a_token_introspects_and_revokes() {
    let sb = SandboxProcess::start();
    for method in [
        "private_key_jwt",
        "client_secret_jwt",
        "tls_client_auth",
        "self_signed_tls_client_auth",
    ] {
        let conn = sb.client_args(method);
        let mut token_args = vec!["token".to_string(), "client-credentials".into()];
        token_args.extend(conn.clone());
        let out = run(with(token_args.clone(), &["--json", "--reveal-secrets"]));
        assert_eq!(out.code(), 0, "{method}: {}\n{}", out.stdout, out.stderr);
        let doc = out.json().unwrap();
        let token = doc["response"]["access_token"]
            .as_str()
            .unwrap()
            .to_string();
        let ex = token_exchange_of(&doc);
        if method.ends_with("_jwt") {
            // The assertion decoded beside the raw form.
            let decoded = &ex["decoded"]["client_assertion"];
            assert_eq!(
                decoded["claims"]["iss"], decoded["claims"]["sub"],
                "{method}"
            );
            assert!(decoded["claims"]["jti"].is_string());
            assert!(decoded["header"]["alg"].is_string());
            // aud is the issuer by default (RFC 7523bis, FAPI 2.0), not the token endpoint.
            let issuer = sb.issuer();
            assert_eq!(
                decoded["claims"]["aud"].as_str(),
                Some(issuer.as_str()),
                "{method}"
            );
            // Without --reveal-secrets the raw assertion is masked.
            let masked = run(with(token_args.clone(), &["--json"]));
            let masked = masked.json().unwrap();
            let body = token_exchange_of(&masked)["request"]["body"]
                .as_str()
                .unwrap()
                .to_string();
            assert!(body.contains("client_assertion=••••••"), "{body}");
        } else {
            let cnf = &doc["access_token"]["claims"]["cnf"]["x5t#S256"];
            let client = if method == "tls_client_auth" {
                "sandbox-mtls"
            } else {
                "sandbox-selfsigned"
            };
            let expected = sb.file(client, "x5t#S256");
            assert!(
                cnf.is_string(),
                "{method}: no cnf in {:#}",
                doc["access_token"]
            );
            assert_eq!(cnf.as_str(), Some(expected.as_str()));
            // The inspector checks the binding against the certificate in use.
            let check = doc["access_token"]["checks"]
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["id"] == "cnf.x5t#S256")
                .cloned();
            assert_eq!(
                check.map(|c| c["status"].clone()),
                Some("pass".into()),
                "{method}"
            );
            // The token endpoint used is the mTLS alias on the TLS listener.
            let url = ex["request"]["url"].as_str().unwrap();
            assert!(
                url.starts_with(sb.doc["tls"]["base"].as_str().unwrap()),
                "{url}"
            );
        }
        for (cmd, check) in [
            ("introspect", true),
            ("revoke", false),
            ("introspect", false),
        ] {
            let mut a = vec![cmd.to_string(), token.clone()];
            a.extend(conn.clone());
            a.push("--json".into());
            let out = run(a);
            // An inactive token is the server saying no: exit 1.
            let expected = if cmd == "introspect" && !check { 1 } else { 0 };
            assert_eq!(
                out.code(),
                expected,
                "{method} {cmd}: {}\n{}",
                out.stdout,
                out.stderr
            );
            if cmd == "introspect" {
                let doc = out.json().unwrap();
                let active = doc
                    .pointer("/response/active")
                    .or_else(|| doc.get("active"));
                assert_eq!(active, Some(&Value::Bool(check)), "{method}: {doc:#}");
            }
        }
    }
}

#[test]
fn bound_token_cnf_matches_the_certificate_in_use() {
    let sb = SandboxProcess::start();
    let dir = tempfile::tempdir().unwrap();
    // The certificate's x5t#S256 as grantscope computes it from the imported key file.
    let pem = format!(
        "{}{}",
        std::fs::read_to_string(sb.file("sandbox-mtls", "key")).unwrap(),
        std::fs::read_to_string(sb.file("sandbox-mtls", "cert")).unwrap()
    );
    let bundle = dir.path().join("bundle.pem");
    std::fs::write(&bundle, pem).unwrap();
    let out = Grantscope::new(["key", "import", "mtls", bundle.to_str().unwrap(), "--json"])
        .config_dir(dir.path())
        .run(T)
        .unwrap();
    assert_eq!(out.code(), 0, "{}", out.stderr);
    let x5t = out.json().unwrap()["certificate"]["x5t#S256"]
        .as_str()
        .unwrap()
        .to_string();
    // --client-cert NAME of the stored key (no --client-key).
    let out = Grantscope::new([
        "token",
        "client-credentials",
        "--issuer",
        &sb.issuer(),
        "--client-id",
        "sandbox-mtls",
        "--auth-method",
        "tls_client_auth",
        "--client-cert",
        "mtls",
        "--ca-cert",
        &sb.ca(),
        "--json",
    ])
    .config_dir(dir.path())
    .run(T)
    .unwrap();
    assert_eq!(out.code(), 0, "{}\n{}", out.stdout, out.stderr);
    let doc = out.json().unwrap();
    assert_eq!(
        doc["access_token"]["claims"]["cnf"]["x5t#S256"],
        x5t.as_str()
    );
}

#[test]
fn wrong_key_is_invalid_client_and_unknown_ca_needs_ca_cert() {
    let sb = SandboxProcess::start();
    let dir = tempfile::tempdir().unwrap();
    let out = Grantscope::new(["key", "generate", "stranger", "--type", "ec-p256"])
        .config_dir(dir.path())
        .run(T)
        .unwrap();
    assert_eq!(out.code(), 0);
    let mut args = sb.client_args("private_key_jwt");
    let i = args.iter().position(|a| a == "--signing-key").unwrap();
    args[i + 1] = "stranger".into();
    let mut a = vec!["token".to_string(), "client-credentials".into()];
    a.extend(args);
    a.push("--json".into());
    let out = Grantscope::new(a).config_dir(dir.path()).run(T).unwrap();
    assert_eq!(out.code(), 1, "{}", out.stdout);
    assert_eq!(out.json().unwrap()["error"]["code"], "invalid_client");

    // Mutual TLS without --ca-cert: the TLS failure is named, exit 1.
    let mut args = sb.client_args("tls_client_auth");
    let i = args.iter().position(|a| a == "--ca-cert").unwrap();
    args.drain(i..i + 2);
    let mut a = vec!["token".to_string(), "client-credentials".into()];
    a.extend(args);
    let out = run(a.clone());
    assert_eq!(out.code(), 1, "{}", out.stderr);
    assert!(
        out.stderr.contains("unknown certificate authority"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("--ca-cert"), "{}", out.stderr);
    a.extend(["--ca-cert".to_string(), sb.ca()]);
    assert_eq!(run(a).code(), 0);

    // A mutual-TLS method without a certificate is a usage error.
    let out = run(vec![
        "token".into(),
        "client-credentials".into(),
        "--issuer".into(),
        sb.issuer(),
        "--client-id".into(),
        "sandbox-mtls".into(),
        "--auth-method".into(),
        "tls_client_auth".into(),
    ]);
    assert_eq!(out.code(), 2, "{}", out.stderr);
    assert!(out.stderr.contains("--client-cert"), "{}", out.stderr);
}

#[test]
fn jwt_bearer_from_claims_and_a_replayed_assertion() {
    let sb = SandboxProcess::start();
    let mut a = vec!["token".to_string(), "jwt-bearer".into()];
    a.extend(sb.client_args("private_key_jwt"));
    let out = run(with(
        a.clone(),
        &[
            "--assertion-claims",
            r#"{"sub":"alice"}"#,
            "--scope",
            "openid api:read",
            "--json",
            "--reveal-secrets",
        ],
    ));
    assert_eq!(out.code(), 0, "{}\n{}", out.stdout, out.stderr);
    let doc = out.json().unwrap();
    let alice = grantscope_sandbox::find_user("alice").unwrap();
    assert_eq!(doc["access_token"]["claims"]["sub"], alice.sub);
    // The same assertion again: the sandbox refuses the replay.
    let body = token_exchange_of(&doc)["request"]["body"].as_str().unwrap();
    let assertion = common::form_param(body, "assertion").unwrap();
    let first = run(with(a.clone(), &["--assertion", &assertion, "--json"]));
    assert_eq!(first.code(), 1, "{}", first.stdout);
    let err = first.json().unwrap();
    assert_eq!(err["error"]["code"], "invalid_grant");
    assert!(
        err["error"]["description"]
            .as_str()
            .unwrap()
            .contains("replayed"),
        "{err:#}"
    );
}

#[test]
fn token_exchange_reports_the_issued_token_type() {
    let sb = SandboxProcess::start();
    let out = run(vec![
        "token".into(),
        "client-credentials".into(),
        "--issuer".into(),
        sb.issuer(),
        "--client-id".into(),
        "sandbox-machine".into(),
        "--client-secret".into(),
        "sandbox-machine-secret".into(),
        "--json".into(),
        "--reveal-secrets".into(),
    ]);
    assert_eq!(out.code(), 0);
    let subject = out.json().unwrap()["response"]["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let mut a = vec!["token".to_string(), "token-exchange".into()];
    a.extend(sb.client_args("client_secret_jwt"));
    let out = run(with(
        a,
        &[
            "--subject-token",
            &subject,
            "--subject-token-type",
            "access_token",
            "--requested-token-type",
            "urn:ietf:params:oauth:token-type:access_token",
            "--audience",
            "https://downstream.example",
            "--json",
        ],
    ));
    assert_eq!(out.code(), 0, "{}\n{}", out.stdout, out.stderr);
    let doc = out.json().unwrap();
    assert_eq!(
        doc["response"]["issued_token_type"],
        "urn:ietf:params:oauth:token-type:access_token"
    );
    assert_eq!(doc["access_token"]["claims"]["sub"], "sandbox-machine");
    // The subject token is masked in the recorded request.
    let body = token_exchange_of(&doc)["request"]["body"].as_str().unwrap();
    assert!(!body.contains(&subject), "{body}");
}

#[test]
fn profile_keeps_the_key_certificate_and_ca_settings() {
    let sb = SandboxProcess::start();
    let dir = tempfile::tempdir().unwrap();
    for (name, method) in [("pk", "private_key_jwt"), ("tls", "tls_client_auth")] {
        let mut a = vec!["profile".to_string(), "save".into(), name.into()];
        a.extend(sb.client_args(method));
        let out = Grantscope::new(a).config_dir(dir.path()).run(T).unwrap();
        assert_eq!(out.code(), 0, "{}", out.stderr);
        let shown = Grantscope::new(["profile", "show", name, "--json"])
            .config_dir(dir.path())
            .run(T)
            .unwrap()
            .json()
            .unwrap();
        assert_eq!(shown["auth_method"], method);
        let out = Grantscope::new(["token", "client-credentials", "--profile", name, "--json"])
            .config_dir(dir.path())
            .run(T)
            .unwrap();
        assert_eq!(out.code(), 0, "{name}: {}\n{}", out.stdout, out.stderr);
        if method == "tls_client_auth" {
            assert_eq!(shown["http"]["ca_cert"], sb.ca().as_str());
            assert!(shown["http"]["client_cert"].is_string());
            assert!(out.json().unwrap()["access_token"]["claims"]["cnf"].is_object());
        } else {
            assert_eq!(shown["signing_key"], sb.file("sandbox-jwt", "key").as_str());
        }
    }
}

/// With endpoints given by hand and no issuer, a client assertion's aud falls back to the token
/// endpoint, and the run says so on stderr; asking for the issuer then is an error that says why.
#[test]
fn without_an_issuer_the_assertion_names_the_token_endpoint_and_says_so() {
    let sb = SandboxProcess::start();
    let token_endpoint = format!("{}/token", sb.issuer());
    let mut args: Vec<String> = vec!["token".into(), "client-credentials".into()];
    args.extend(
        sb.client_args("client_secret_jwt").into_iter().skip(2), // no --issuer
    );
    args.extend(["--token-endpoint".to_string(), token_endpoint.clone()]);
    let out = run(with(args.clone(), &["--json", "--reveal-secrets"]));
    assert_eq!(out.code(), 0, "{}\n{}", out.stdout, out.stderr);
    let doc = out.json().unwrap();
    let decoded = &token_exchange_of(&doc)["decoded"]["client_assertion"];
    assert_eq!(
        decoded["claims"]["aud"].as_str(),
        Some(token_endpoint.as_str())
    );
    assert!(
        out.stderr
            .contains("no issuer is known, so the client assertion's aud is the token endpoint"),
        "{}",
        out.stderr
    );
    let out = run(with(args, &["--assertion-audience", "issuer"]));
    assert_eq!(out.code(), 2, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("the issuer"), "{}", out.stderr);
}
