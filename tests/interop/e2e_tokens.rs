//! End-to-end token judgement against the real provider (oidc-provider): its JWT access tokens
//! verify through discovery; after it restarts with new keys an old token is reported as
//! signed by an unknown key; an HS256 token verifies with the right secret and is
//! "unverifiable" (never valid) without it.

use crate::common;

use std::time::Duration;

use common::check;
use common::cli::Grantscope;
use common::{Keys, Provider, TestProvider};
use serde_json::Value;

const T: Duration = Duration::from_secs(60);
const HS_API_SECRET: &str = "grantscope-hs256-resource-secret-0123456789";

fn client_credentials(p: &Provider, resource: &str) -> String {
    let c = p.machine_client();
    let mut args = vec![
        "token".to_string(),
        "client-credentials".into(),
        "--issuer".into(),
        p.issuer().to_string(),
        "--resource".into(),
        resource.into(),
        "--json".into(),
    ];
    args.extend(c.cli_args());
    let out = Grantscope::new(args).run(T).unwrap();
    assert_eq!(out.code(), 0, "{}", out.stderr);
    out.json().unwrap()["response"]["access_token"]
        .as_str()
        .unwrap()
        .to_string()
}

fn inspect(token: &str, extra: &[&str]) -> (i32, Value) {
    let mut args = vec!["inspect".to_string(), token.to_string(), "--json".into()];
    args.extend(extra.iter().map(|s| s.to_string()));
    let out = Grantscope::new(args).run(T).unwrap();
    let code = out.code();
    (code, out.json().unwrap())
}

#[test]
fn old_token_after_key_rotation_names_the_unknown_key() {
    let mut p = Provider::start();
    let token = client_credentials(&p, "urn:grantscope:api");
    let issuer = p.issuer().to_string();
    let (code, doc) = inspect(&token, &["--issuer", &issuer]);
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(doc["valid"], true);
    assert_eq!(doc["signature"]["status"], "verified");

    p.restart(Keys::New);
    let (code, doc) = inspect(&token, &["--issuer", &issuer]);
    assert_eq!(code, 1, "{doc:#}");
    assert_eq!(doc["valid"], false);
    let kid = check(&doc, "kid");
    assert_eq!(kid["status"], "fail", "{doc:#}");
    let message = kid["message"].as_str().unwrap();
    assert!(
        message.contains(doc["header"]["kid"].as_str().unwrap()),
        "the message names the unknown kid: {message}"
    );

    // A token issued after the rotation verifies again.
    let fresh = client_credentials(&p, "urn:grantscope:api");
    let (code, doc) = inspect(&fresh, &["--issuer", &issuer]);
    assert_eq!(code, 0, "{doc:#}");
}

#[test]
fn hs256_token_needs_the_secret() {
    let p = Provider::start();
    let token = client_credentials(&p, "urn:grantscope:hs-api");
    let issuer = p.issuer().to_string();

    let (code, doc) = inspect(&token, &["--secret", HS_API_SECRET, "--issuer", &issuer]);
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(doc["header"]["alg"], "HS256");
    assert_eq!(doc["signature"]["status"], "verified");
    assert_eq!(doc["valid"], true);

    let (code, doc) = inspect(&token, &[]);
    assert_eq!(code, 1, "{doc:#}");
    assert_eq!(doc["signature"]["status"], "unverifiable", "{doc:#}");
    assert_eq!(doc["valid"], false);

    let (code, doc) = inspect(&token, &["--secret", "not-the-secret-not-the-secret-0000"]);
    assert_eq!(code, 1, "{doc:#}");
    assert_eq!(doc["signature"]["status"], "invalid", "{doc:#}");
    assert_eq!(doc["valid"], false);
}
