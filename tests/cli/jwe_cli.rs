//! `grantscope inspect --decryption-key`: an encrypted token opened with a key file or a stored
//! key, reported as layers (the envelope, which key opened it, warnings, then the token
//! inside), in the human report and in `--json`; refusals exit 1 with no plaintext, a key that
//! cannot be read exits 2.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

use crate::common::cli::Grantscope;
use crate::token_support::{CLIENT, ISSUER, NOW, good_claims, jose_jwe, run_inspect};

fn rfc7520(section: &str) -> Value {
    let doc: Value =
        serde_json::from_str(include_str!("../../crates/core/testdata/jwe/rfc7520.json")).unwrap();
    doc["examples"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["section"] == section)
        .unwrap()
        .clone()
}

fn write(dir: &tempfile::TempDir, name: &str, doc: &Value) -> String {
    let path = dir.path().join(name);
    std::fs::write(&path, serde_json::to_vec(doc).unwrap()).unwrap();
    path.display().to_string()
}

async fn run(argv: &[&str]) -> (u8, String, String) {
    let (code, out, err) = run_inspect(argv, b"").await;
    (
        code,
        String::from_utf8(out).unwrap(),
        String::from_utf8(err).unwrap(),
    )
}

#[tokio::test]
async fn a_key_file_opens_rfc7520s_jwe_and_the_payload_is_shown() {
    let e = rfc7520("5.2");
    let dir = tempfile::tempdir().unwrap();
    let key = write(&dir, "samwise.json", &e["key"]);
    let token = e["compact"].as_str().unwrap();
    let (code, out, _) = run(&[token, "--decryption-key", &key, "--json"]).await;
    assert_eq!(
        code, 1,
        "a payload that is not a JWT is unverifiable: {out}"
    );
    let doc: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["format"], "jwe");
    assert_eq!(doc["verdict"], "unverifiable");
    assert_eq!(doc["header"]["alg"], "RSA-OAEP");
    assert_eq!(doc["jwe"]["decrypted"], true);
    assert_eq!(doc["jwe"]["key"], format!("{key}"));
    assert_eq!(doc["jwe"]["plaintext"], e["plaintext"]);
    assert_eq!(doc["nested"], Value::Null);

    let (code, out, _) = run(&[token, "--decryption-key", &key]).await;
    assert_eq!(code, 1);
    assert!(
        out.starts_with("NOT VALID: the decrypted payload is not a signed JWT"),
        "{out}"
    );
    assert!(out.contains("format     JWE (encrypted)"), "{out}");
    assert!(out.contains("envelope   decrypted with key"), "{out}");
    assert!(out.contains("plaintext  You can trust us"), "{out}");

    // Tampered: refused, no plaintext anywhere.
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    let mut tag = URL_SAFE_NO_PAD.decode(&parts[4]).unwrap();
    tag[0] ^= 1;
    parts[4] = URL_SAFE_NO_PAD.encode(tag);
    let tampered = parts.join(".");
    let (code, out, _) = run(&[&tampered, "--decryption-key", &key, "--json"]).await;
    assert_eq!(code, 1);
    let doc: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["verdict"], "invalid");
    assert_eq!(doc["jwe"]["decrypted"], false);
    assert_eq!(doc["jwe"]["plaintext"], Value::Null);
    assert!(!out.contains("You can trust"), "{out}");
    assert!(
        doc["jwe"]["detail"]
            .as_str()
            .unwrap()
            .contains("authentication tag"),
        "{out}"
    );

    // No key: the envelope only, unverifiable, and the report says how to open it.
    let (code, out, _) = run(&[token]).await;
    assert_eq!(code, 1);
    assert!(out.contains("--decryption-key"), "{out}");
    assert!(out.contains("envelope   NOT decrypted"), "{out}");

    // A key that cannot be read: a configuration error.
    let (code, _, err) = run(&[token, "--decryption-key", "/no/such/key.json"]).await;
    assert_eq!(code, 2);
    assert!(err.contains("--decryption-key"), "{err}");
}

#[tokio::test]
async fn an_encrypted_id_token_is_decrypted_then_verified() {
    let made = jose_jwe(&good_claims());
    let nested = &made["nested"];
    let dir = tempfile::tempdir().unwrap();
    let key = write(&dir, "enc.json", &nested["jwk"]);
    let jwks = write(&dir, "jwks.json", &nested["jwks"]);
    let now = NOW.to_string();
    let args = [
        nested["token"].as_str().unwrap(),
        "--decryption-key",
        &key,
        "--jwks-uri",
        &jwks,
        "--issuer",
        ISSUER,
        "--audience",
        CLIENT,
        "--now",
        &now,
    ];
    let (code, out, _) = run(&args).await;
    assert_eq!(code, 0, "{out}");
    assert!(out.starts_with("VALID"), "{out}");
    let envelope = out.find("envelope").unwrap();
    let inner = out.find("inner      JWT (signed, JWS)").unwrap();
    let claims = out.find("claims").unwrap();
    assert!(envelope < inner && inner < claims, "layers in order: {out}");
    let mut json_args = args.to_vec();
    json_args.push("--json");
    let (code, out, _) = run(&json_args).await;
    assert_eq!(code, 0);
    let doc: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["valid"], true);
    assert_eq!(doc["claims"]["sub"], "alice");
    assert_eq!(doc["signature"]["status"], "verified");
    assert_eq!(doc["nested"]["header"]["kid"], "sig1");
    assert_eq!(doc["jwe"]["header"]["kid"], "enc1");
}

#[test]
fn a_stored_key_opens_a_jwe_by_name_and_rsa1_5_is_warned() {
    let e = rfc7520("5.1");
    let dir = tempfile::tempdir().unwrap();
    let config = tempfile::tempdir().unwrap();
    let key = write(&dir, "frodo.json", &e["key"]);
    let import = Grantscope::new(["key", "import", "frodo", &key])
        .config_dir(config.path())
        .run(Duration::from_secs(60))
        .unwrap();
    assert_eq!(import.code(), 0, "{}", import.stderr);
    let out = Grantscope::new([
        "inspect",
        e["compact"].as_str().unwrap(),
        "--decryption-key",
        "frodo",
        "--json",
    ])
    .config_dir(config.path())
    .run(Duration::from_secs(60))
    .unwrap();
    assert_eq!(out.code(), 1, "{}", out.stderr);
    let doc = out.json().unwrap();
    assert_eq!(doc["jwe"]["key"], "frodo");
    assert_eq!(doc["jwe"]["plaintext"], e["plaintext"]);
    let warn = doc["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "jwe.alg")
        .unwrap();
    assert_eq!(warn["status"], "warn");
    assert!(warn["message"].as_str().unwrap().contains("RFC 8725"));
}

/// `--decryption-key` on a flow: a key that cannot be found is a configuration error named
/// with the key (exit 2) before any request is sent.
#[test]
fn a_missing_decryption_key_stops_a_flow_before_any_request() {
    let dir = tempfile::tempdir().unwrap();
    let out = Grantscope::new([
        "token",
        "client-credentials",
        "--token-endpoint",
        "http://127.0.0.1:9/token",
        "--client-id",
        "c",
        "--client-secret",
        "s",
        "--decryption-key",
        "no-such-key",
        "--json",
    ])
    .config_dir(dir.path())
    .run(Duration::from_secs(60))
    .unwrap();
    assert_eq!(out.code(), 2, "{}\n{}", out.stdout, out.stderr);
    let doc = out.json().unwrap();
    let message = doc["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("decryption key no-such-key"), "{doc:#}");
    assert_eq!(doc["exchanges"], serde_json::json!([]), "{doc:#}");
}
