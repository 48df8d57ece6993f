//! `grantscope key ...` through the real binary: generate every type, list, show the public
//! JWKS and the certificate, import PEM (PKCS#8, PKCS#1, SEC1 from OpenSSL when present) and a
//! private JWK, delete; and the private key never shows unless asked.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::time::Duration;

use common::cli::Grantscope;
use serde_json::Value;

const T: Duration = Duration::from_secs(60);

fn run(dir: &std::path::Path, args: &[&str]) -> common::cli::Output {
    Grantscope::new(args).config_dir(dir).run(T).unwrap()
}

fn private_body(pem: &str) -> String {
    pem.lines().filter(|l| !l.starts_with("-----")).collect()
}

#[test]
fn generate_list_show_delete_each_type() {
    let dir = tempfile::tempdir().unwrap();
    for (name, kind, alg) in [
        ("r2", "rsa-2048", "RS256"),
        ("r3", "rsa-3072", "RS256"),
        ("ec", "ec-p256", "ES256"),
        ("ed", "ed25519", "EdDSA"),
    ] {
        let out = run(
            dir.path(),
            &["key", "generate", name, "--type", kind, "--cert", "--json"],
        );
        assert_eq!(out.code(), 0, "{}", out.stderr);
        let doc = out.json().unwrap();
        assert_eq!(doc["type"], kind);
        assert_eq!(doc["alg"], alg);
        let jwk = &doc["jwks"]["keys"][0];
        assert_eq!(jwk["kid"], doc["kid"]);
        assert!(jwk.get("d").is_none(), "no private part in the public JWKS");
        assert_eq!(jwk["x5t#S256"], doc["certificate"]["x5t#S256"]);

        let shown = run(dir.path(), &["key", "show", name, "--jwks"]);
        assert_eq!(shown.code(), 0);
        let jwks: Value = serde_json::from_str(&shown.stdout).unwrap();
        assert_eq!(jwks, doc["jwks"]);
        let cert = run(dir.path(), &["key", "show", name, "--cert"]);
        assert!(cert.stdout.starts_with("-----BEGIN CERTIFICATE-----"));

        // The private key shows only when asked, and then with a warning.
        let private = run(dir.path(), &["key", "show", name, "--reveal-private"]);
        assert_eq!(private.code(), 0);
        assert!(private.stdout.starts_with("-----BEGIN PRIVATE KEY-----"));
        assert!(private.stderr.contains("PRIVATE"));
        let body = private_body(&private.stdout);
        for view in [
            run(dir.path(), &["key", "show", name]).stdout,
            run(dir.path(), &["key", "show", name, "--json"]).stdout,
            run(dir.path(), &["key", "list", "--json"]).stdout,
            run(dir.path(), &["key", "list"]).stdout,
        ] {
            assert!(!view.contains(&body[..40]), "private key leaked: {view}");
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let path = dir.path().join("keys").join(format!("{name}.key.pem"));
            let mode = std::fs::metadata(path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
    let list = run(dir.path(), &["key", "list", "--json"]).json().unwrap();
    assert_eq!(list.as_array().unwrap().len(), 4);
    // Same name twice, bad names, unknown keys: usage errors.
    assert_eq!(
        run(dir.path(), &["key", "generate", "ec", "--type", "ec-p256"]).code(),
        2
    );
    assert_eq!(
        run(
            dir.path(),
            &["key", "generate", "../x", "--type", "ec-p256"]
        )
        .code(),
        2
    );
    assert_eq!(run(dir.path(), &["key", "show", "nope"]).code(), 2);
    let no_cert = run(
        dir.path(),
        &["key", "generate", "plain", "--type", "ed25519"],
    );
    assert_eq!(no_cert.code(), 0);
    assert_eq!(
        run(dir.path(), &["key", "show", "plain", "--cert"]).code(),
        2
    );
    assert_eq!(run(dir.path(), &["key", "delete", "ec"]).code(), 0);
    assert_eq!(run(dir.path(), &["key", "show", "ec"]).code(), 2);
}

#[test]
fn import_pem_and_private_jwk() {
    let dir = tempfile::tempdir().unwrap();
    // RFC 8037 Appendix A.1's key, as a private JWK inside a JWKS.
    let jwks = serde_json::json!({ "keys": [{
        "kty": "OKP", "crv": "Ed25519",
        "d": "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A",
        "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"
    }]});
    let file = dir.path().join("key.jwks.json");
    std::fs::write(&file, jwks.to_string()).unwrap();
    let out = run(
        dir.path(),
        &["key", "import", "rfc8037", file.to_str().unwrap(), "--json"],
    );
    assert_eq!(out.code(), 0, "{}", out.stderr);
    assert_eq!(
        out.json().unwrap()["kid"],
        "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
    );
    // A public JWK cannot be imported as a signing key.
    let public = dir.path().join("public.json");
    std::fs::write(
        &public,
        r#"{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#,
    )
    .unwrap();
    let out = run(
        dir.path(),
        &["key", "import", "pub", public.to_str().unwrap()],
    );
    assert_eq!(out.code(), 2);
    assert!(out.stderr.contains("private"), "{}", out.stderr);

    // PEM from OpenSSL in its legacy forms (PKCS#1 RSA, SEC1 EC) with a certificate appended.
    let openssl = std::process::Command::new("openssl")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(openssl, "openssl is needed to make the legacy PEM forms");
    for (name, genkey) in [
        ("pkcs1", vec!["genrsa", "-traditional", "2048"]),
        (
            "sec1",
            vec!["ecparam", "-name", "prime256v1", "-genkey", "-noout"],
        ),
    ] {
        let key_path = dir.path().join(format!("{name}.pem"));
        let key = std::process::Command::new("openssl")
            .args(&genkey)
            .output()
            .unwrap();
        assert!(
            key.status.success(),
            "{}",
            String::from_utf8_lossy(&key.stderr)
        );
        let text = String::from_utf8(key.stdout).unwrap();
        assert!(
            text.contains("BEGIN RSA PRIVATE KEY") || text.contains("BEGIN EC PRIVATE KEY"),
            "{text}"
        );
        std::fs::write(&key_path, &text).unwrap();
        let cert = std::process::Command::new("openssl")
            .args([
                "req",
                "-new",
                "-x509",
                "-days",
                "1",
                "-subj",
                "/CN=imported",
                "-key",
            ])
            .arg(&key_path)
            .output()
            .unwrap();
        assert!(cert.status.success());
        let mut bundle = text.clone();
        bundle.push_str(&String::from_utf8(cert.stdout).unwrap());
        std::fs::write(&key_path, bundle).unwrap();
        let out = run(
            dir.path(),
            &["key", "import", name, key_path.to_str().unwrap(), "--json"],
        );
        assert_eq!(out.code(), 0, "{}", out.stderr);
        let doc = out.json().unwrap();
        assert!(doc["certificate"]["x5t#S256"].is_string(), "{doc:#}");
    }
}

/// `key generate --use enc`: RSA and EC keys whose public JWK says `use: enc` with the
/// algorithm a provider encrypts to, X25519 (encryption only), and the refusals: Ed25519 for
/// encryption, a certificate for X25519.
#[test]
fn encryption_keys_for_registration() {
    let dir = tempfile::tempdir().unwrap();
    for (name, kind, alg) in [
        ("r", "rsa-2048", "RSA-OAEP-256"),
        ("e", "ec-p256", "ECDH-ES"),
        ("e384", "ec-p384", "ECDH-ES"),
        ("e521", "ec-p521", "ECDH-ES"),
        ("x", "x25519", "ECDH-ES"),
    ] {
        let out = run(
            dir.path(),
            &[
                "key", "generate", name, "--type", kind, "--use", "enc", "--json",
            ],
        );
        assert_eq!(out.code(), 0, "{}", out.stderr);
        let doc = out.json().unwrap();
        assert_eq!(
            (&doc["use"], &doc["alg"]),
            (&"enc".into(), &alg.into()),
            "{doc:#}"
        );
        let shown = run(dir.path(), &["key", "show", name, "--jwks"]);
        let jwks: Value = serde_json::from_str(&shown.stdout).unwrap();
        let jwk = &jwks["keys"][0];
        assert_eq!(
            (&jwk["use"], &jwk["alg"]),
            (&"enc".into(), &alg.into()),
            "{jwk:#}"
        );
        assert!(jwk.get("d").is_none());
        if let Some(bits) = kind.strip_prefix("ec-p") {
            assert_eq!(jwk["crv"], format!("P-{bits}"), "{jwk:#}");
        }
        let human = run(dir.path(), &["key", "show", name]).stdout;
        assert!(human.contains("use:        enc"), "{human}");
    }
    let list = run(dir.path(), &["key", "list"]).stdout;
    assert!(list.lines().all(|l| l.contains(" enc ")), "{list}");
    let ed = run(
        dir.path(),
        &["key", "generate", "ed", "--type", "ed25519", "--use", "enc"],
    );
    assert_eq!(ed.code(), 2, "{}", ed.stderr);
    assert!(ed.stderr.contains("only signs"), "{}", ed.stderr);
    let xc = run(
        dir.path(),
        &["key", "generate", "xc", "--type", "x25519", "--cert"],
    );
    assert_eq!(xc.code(), 2, "{}", xc.stderr);
    // Imports: an X25519 JWK (RFC 7748 §6.1's Alice) is an encryption key by its nature, a
    // PEM key one when asked with --use enc.
    let alice = dir.path().join("alice.jwk");
    std::fs::write(
        &alice,
        r#"{"kty":"OKP","crv":"X25519","d":"dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo","x":"hSDwCYkwp1R0i33ctD73Wg2_Og0mOBr066SpjqqbTmo"}"#,
    )
    .unwrap();
    let out = run(
        dir.path(),
        &["key", "import", "alice", alice.to_str().unwrap(), "--json"],
    );
    assert_eq!(out.code(), 0, "{}", out.stderr);
    let doc = out.json().unwrap();
    assert_eq!(
        (&doc["type"], &doc["use"]),
        (&"x25519".into(), &"enc".into())
    );
    let pem = dir.path().join("e.pem");
    std::fs::write(
        &pem,
        run(dir.path(), &["key", "show", "e", "--reveal-private"]).stdout,
    )
    .unwrap();
    let out = run(
        dir.path(),
        &[
            "key",
            "import",
            "e2",
            pem.to_str().unwrap(),
            "--use",
            "enc",
            "--json",
        ],
    );
    assert_eq!(out.json().unwrap()["alg"], "ECDH-ES", "{}", out.stderr);
    // A signing key stays one: `use: sig`.
    let s = run(
        dir.path(),
        &["key", "generate", "s", "--type", "ec-p256", "--json"],
    );
    assert_eq!(s.json().unwrap()["use"], "sig");
}

/// `key generate --cert --san HOST` makes a certificate that serves TLS for HOST: the CIBA ping
/// listener (`token ciba --mode ping --notification-cert NAME`) takes it for an https endpoint
/// on that host and refuses, before any request, a missing key, another host, or an http
/// endpoint.
#[test]
fn a_server_certificate_for_the_ciba_ping_listener() {
    let dir = tempfile::tempdir().unwrap();
    let no_cert = run(
        dir.path(),
        &[
            "key",
            "generate",
            "s",
            "--type",
            "ec-p256",
            "--san",
            "127.0.0.1",
        ],
    );
    assert_eq!(no_cert.code(), 2, "--san needs --cert: {}", no_cert.stderr);
    let made = run(
        dir.path(),
        &[
            "key",
            "generate",
            "srv",
            "--type",
            "ec-p256",
            "--cert",
            "--san",
            "127.0.0.1",
        ],
    );
    assert_eq!(made.code(), 0, "{}", made.stderr);
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let ping = |endpoint: &str, key: &str| {
        run(
            dir.path(),
            &[
                "token",
                "ciba",
                "--client-id",
                "c",
                "--client-secret",
                "s",
                "--token-endpoint",
                "http://127.0.0.1:9/token",
                "--backchannel-authentication-endpoint",
                "http://127.0.0.1:9/bc",
                "--login-hint",
                "alice",
                "--mode",
                "ping",
                "--notification-endpoint",
                endpoint,
                "--client-notification-token",
                "t",
                "--notification-cert",
                key,
                "--json",
            ],
        )
    };
    let message = |out: &common::cli::Output| {
        assert_eq!(out.code(), 2, "{}\n{}", out.stdout, out.stderr);
        let doc: Value = out.json().unwrap();
        doc["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    let https = format!("https://127.0.0.1:{port}/cb");
    let missing = message(&ping(&https, "nope"));
    assert!(missing.contains("--notification-cert nope"), "{missing}");
    let other_host = message(&ping(&format!("https://localhost:{port}/cb"), "srv"));
    assert!(other_host.contains("do not name localhost"), "{other_host}");
    let plain = message(&ping(&format!("http://127.0.0.1:{port}/cb"), "srv"));
    assert!(plain.contains("serves TLS"), "{plain}");
}
