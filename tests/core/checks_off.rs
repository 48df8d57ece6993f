//! The client's own checks of the answers (state, iss, nonce) hold however a request is
//! tampered with, and are only turned off by name (`--skip-check`); then what fails them is
//! accepted and the report says so, in the JSON document and on stderr. Against the sandbox
//! through the real binary.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::time::Duration;

use common::check;
use common::cli::Grantscope;
use common::{Sandbox, TestProvider};
use grantscope_sandbox::{SandboxConfig, UnsafeSwitches};
use serde_json::Value;

const T: Duration = Duration::from_secs(60);

/// Authorization code with `extra` flags; returns the exit code, the JSON and stderr.
fn flow(sb: &Sandbox, extra: &[&str]) -> (i32, Value, String) {
    let args = common::code_flow_args(sb.issuer(), &sb.native_client(), extra);
    let mut run = Grantscope::new(args).spawn().unwrap();
    let url = run.wait_for_stderr("authorize: ", T).unwrap();
    let redirect = sb.complete_login(&url, common::TEST_USER).unwrap();
    let _ = common::deliver_redirect(&redirect).unwrap();
    let out = run.wait(T).unwrap();
    (out.code(), out.json().unwrap(), out.stderr)
}

#[test]
fn a_tampered_state_is_refused_unless_the_state_check_is_turned_off() {
    let sb = Sandbox::start();
    // The request goes out with another state than the client keeps: the answer is refused.
    let (code, doc, _) = flow(&sb, &["--param", "state=tampered-by-the-tester"]);
    assert_eq!(code, 1, "{doc:#}");
    let message = doc["error"]["message"].as_str().unwrap();
    assert!(message.contains("state"), "{message}");
    assert!(doc.get("checks_off").is_none());

    let (code, doc, stderr) = flow(
        &sb,
        &[
            "--param",
            "state=tampered-by-the-tester",
            "--skip-check",
            "state",
        ],
    );
    assert_eq!(code, 0, "{doc:#}\n{stderr}");
    assert_eq!(
        doc["checks_off"]["turned_off"],
        serde_json::json!(["state"])
    );
    let accepted = doc["checks_off"]["accepted"].as_array().unwrap();
    assert_eq!(accepted.len(), 1, "{doc:#}");
    assert!(
        accepted[0].as_str().unwrap().contains("does not match"),
        "{accepted:?}"
    );
    // The other checks still ran: the ID token is valid, its nonce compared.
    assert_eq!(doc["id_token"]["valid"], true, "{doc:#}");
    assert_eq!(check(&doc["id_token"], "nonce")["status"], "pass");
}

#[test]
fn a_tampered_nonce_fails_the_id_token_unless_the_nonce_check_is_turned_off() {
    let sb = Sandbox::start();
    let (code, doc, _) = flow(&sb, &["--param", "nonce=another-nonce"]);
    assert_eq!(code, 0, "the tokens came: {doc:#}");
    assert_eq!(doc["id_token"]["valid"], false, "{doc:#}");
    assert_eq!(check(&doc["id_token"], "nonce")["status"], "fail");

    let (_, doc, _) = flow(
        &sb,
        &["--param", "nonce=another-nonce", "--skip-check", "nonce"],
    );
    let nonce = check(&doc["id_token"], "nonce");
    assert_eq!(nonce["status"], "warn", "{nonce:#}");
    assert!(
        nonce["message"]
            .as_str()
            .unwrap()
            .contains("turned the nonce check off"),
        "{nonce:#}"
    );
    assert_eq!(
        doc["checks_off"]["turned_off"],
        serde_json::json!(["nonce"])
    );
}

#[test]
fn a_missing_iss_is_refused_unless_the_iss_check_is_turned_off_and_human_output_says_so() {
    // The sandbox promises RFC 9207 `iss` in its metadata but leaves it out (teaching switch).
    let sb = Sandbox::start_with(SandboxConfig {
        unsafe_switches: UnsafeSwitches {
            no_iss: true,
            ..UnsafeSwitches::default()
        },
        ..SandboxConfig::default()
    });
    let (code, doc, _) = flow(&sb, &[]);
    assert_eq!(code, 1, "{doc:#}");
    assert!(
        doc["error"]["message"].as_str().unwrap().contains("iss"),
        "{doc:#}"
    );

    // Human output: the warning on stderr names the check and what it defends against.
    let mut args = vec![
        "token".to_string(),
        "authorization-code".into(),
        "--issuer".into(),
        sb.issuer().to_string(),
        "--scope".into(),
        "openid".into(),
        "--no-browser".into(),
        "--skip-check".into(),
        "iss".into(),
    ];
    args.extend(sb.native_client().cli_args());
    let mut run = Grantscope::new(args).spawn().unwrap();
    let url = run.wait_for_stderr("authorize: ", T).unwrap();
    let redirect = sb.complete_login(&url, common::TEST_USER).unwrap();
    let _ = common::deliver_redirect(&redirect).unwrap();
    let out = run.wait(T).unwrap();
    assert_eq!(out.code(), 0, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains(
            "WARNING: client checks turned off for this run: iss (defends against mix-up attacks"
        ),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("accepted because the iss check is turned off"),
        "{}",
        out.stderr
    );
}

#[test]
fn an_unknown_check_name_is_a_usage_error() {
    let out = Grantscope::new([
        "token",
        "client-credentials",
        "--token-endpoint",
        "http://127.0.0.1:9/token",
        "--client-id",
        "x",
        "--skip-check",
        "signature",
    ])
    .run(T)
    .unwrap();
    assert_eq!(out.code(), 2, "{}", out.stderr);
    assert!(out.stderr.contains("state, iss or nonce"), "{}", out.stderr);
}
