//! The CLI's response modes and types against the sandbox (the same suite as `e2e_dpop_par`
//! runs against oidc-provider): `form_post`, `fragment` and the JARM modes end in tokens, a JARM
//! response is verified against the sandbox's JWKS before its code is used (a forged one is
//! refused), and the implicit and hybrid response types work only behind the sandbox's
//! `unsafe-allow-implicit` teaching switch, flagged deprecated, with `c_hash` / `at_hash`
//! checked and the front-channel tokens masked.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::time::Duration;

use common::check;
use common::cli::Grantscope;
use common::{Sandbox, TestProvider};
use grantscope_sandbox::{SandboxConfig, UnsafeSwitches};
use serde_json::Value;

const T: Duration = Duration::from_secs(60);

fn args(sb: &Sandbox, extra: &[&str]) -> Vec<String> {
    common::code_flow_args(sb.issuer(), &sb.native_client(), extra)
}

/// What a browser does with the final redirect: a fragment stays in the browser, so the
/// listener's relay page posts it back (simulated here as the POST its script makes).
fn as_browser(redirect: String) -> String {
    match redirect.split_once('#') {
        Some((before, fragment)) => format!("{} {before}?{fragment}", common::browser::FORM_POST),
        None => redirect,
    }
}

/// Runs the flow, logs in as the test user and hands the answer to the listener.
fn flow(sb: &Sandbox, extra: &[&str]) -> (String, Value) {
    let mut run = Grantscope::new(args(sb, extra)).spawn().unwrap();
    let url = run.wait_for_stderr("authorize: ", T).unwrap();
    let redirect = sb.complete_login(&url, common::TEST_USER).unwrap();
    let (status, page) = common::deliver_redirect(&as_browser(redirect)).unwrap();
    assert_eq!(status, 200, "{page}");
    let out = run.wait(T).unwrap();
    assert_eq!(out.code(), 0, "{}\n{}", out.stdout, out.stderr);
    (url, out.json().unwrap())
}

fn steps(doc: &Value) -> Vec<String> {
    doc["exchanges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["step"].as_str().unwrap_or("").to_owned())
        .collect()
}

#[test]
fn form_post_fragment_and_jarm_modes_end_in_tokens() {
    let sb = Sandbox::start();
    for mode in ["form_post", "fragment"] {
        let (url, doc) = flow(&sb, &["--response-mode", mode]);
        assert!(url.contains(&format!("response_mode={mode}")), "{url}");
        assert_eq!(doc["ok"], true, "{mode}: {doc:#}");
        assert_eq!(doc["id_token"]["valid"], true, "{mode}: {doc:#}");
    }
    for mode in ["jwt", "query.jwt", "form_post.jwt", "fragment.jwt"] {
        let (_, doc) = flow(&sb, &["--response-mode", mode]);
        assert_eq!(doc["ok"], true, "{mode}: {doc:#}");
        let steps = steps(&doc);
        let jwks = steps.iter().position(|s| s.starts_with("JWKS"));
        let token = steps.iter().position(|s| s == "token request");
        assert!(
            matches!((jwks, token), (Some(j), Some(t)) if j < t),
            "{mode}: the response JWT is verified (keys fetched) before the code is used: {steps:?}"
        );
    }
}

#[test]
fn a_forged_jarm_response_is_refused_and_its_code_never_used() {
    let sb = Sandbox::start();
    let mut run = Grantscope::new(args(&sb, &["--response-mode", "query.jwt"]))
        .spawn()
        .unwrap();
    let url = run.wait_for_stderr("authorize: ", T).unwrap();
    let redirect = sb.complete_login(&url, common::TEST_USER).unwrap();
    let forged = common::forge_jwt_param(&redirect, "response");
    let (status, page) = common::deliver_redirect(&forged).unwrap();
    assert_eq!(status, 400, "{page}");
    assert!(page.contains("does not verify"), "{page}");
    let out = run.wait(T).unwrap();
    assert_eq!(out.code(), 1, "{}", out.stderr);
    let doc = out.json().unwrap();
    assert!(
        !steps(&doc).iter().any(|s| s == "token request"),
        "no parameter of a forged response is used: {doc:#}"
    );
}

#[test]
fn implicit_and_hybrid_need_the_teaching_switch_and_are_flagged() {
    // Without the switch the sandbox refuses the response type, and the CLI says so.
    let sb = Sandbox::start();
    let mut run = Grantscope::new(args(&sb, &["--response-type", "code id_token"]))
        .spawn()
        .unwrap();
    let url = run.wait_for_stderr("authorize: ", T).unwrap();
    let redirect = sb
        .complete_login(&url, common::TEST_USER)
        .unwrap_or_else(|e| panic!("the sandbox should redirect back with an error, got {e:#}"));
    let (status, _) = common::deliver_redirect(&as_browser(redirect)).unwrap();
    assert!(status == 200 || status == 400, "{status}");
    let out = run.wait(T).unwrap();
    assert_eq!(out.code(), 1, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains("unsupported_response_type")
            || out.stderr.contains("unsupported_response_type"),
        "{}\n{}",
        out.stdout,
        out.stderr
    );

    let sb = Sandbox::start_with(SandboxConfig {
        unsafe_switches: UnsafeSwitches {
            allow_implicit: true,
            ..UnsafeSwitches::default()
        },
        ..SandboxConfig::default()
    });
    // Hybrid: the front-channel ID token's c_hash matches the code.
    let (_, doc) = flow(&sb, &["--response-type", "code id_token"]);
    assert!(
        doc["deprecated"]
            .as_str()
            .unwrap()
            .contains("front channel"),
        "{doc:#}"
    );
    let front = &doc["front_channel_id_token"];
    assert_eq!(check(front, "c_hash")["status"], "pass", "{front:#}");
    assert_eq!(front["valid"], true, "{front:#}");
    // Implicit: tokens straight from the browser, no token endpoint, at_hash checked, masked.
    let (_, doc) = flow(&sb, &["--response-type", "id_token token"]);
    assert!(doc["response"]["access_token"].is_string(), "{doc:#}");
    assert!(!steps(&doc).iter().any(|s| s == "token request"), "{doc:#}");
    assert_eq!(
        check(&doc["id_token"], "at_hash")["status"],
        "pass",
        "{doc:#}"
    );
    // The browser's part is not an exchange of the client's (grantscope did not send it), and
    // no exchange carries the front-channel access token.
    assert!(
        !steps(&doc)
            .iter()
            .any(|s| s == "authorization response (browser)"),
        "{doc:#}"
    );
    let access = doc["response"]["access_token"].as_str().unwrap();
    let listed = doc["exchanges"].to_string();
    assert!(!listed.contains(access), "{listed}");
}
