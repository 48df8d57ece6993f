//! `token.lifetimes --slow`: the authorization code's lifetime, measured on the ladder (one
//! code redeemed per rung until one is refused) against the sandbox, oidc-provider and jmondi,
//! each configured with a short code lifetime. No timing is asserted: the reported bounds
//! must be present and consistent with the configured lifetime (a code accepted at age L
//! lived more than L; a code refused by age U lived at most U), whatever the machine's speed.

use crate::common;
use crate::probe_support;

use std::sync::Arc;
use std::time::Duration;

use common::jmondi::Jmondi;
use common::{Provider, Sandbox, TEST_PASSWORD, TEST_USER};
use grantscope_probe::RunOptions;
use grantscope_sandbox::SandboxConfig;
use probe_support::*;

/// The configured code lifetime of every server here.
const CODE_TTL: u64 = 3;
/// Servers keep expiry in whole seconds; a code may die up to a second early.
const ROUNDING: f64 = 1.0;

fn only_lifetimes() -> RunOptions {
    RunOptions {
        only: vec!["token.lifetimes".into()],
        ..RunOptions::default()
    }
}

/// The (more than, at most) bounds in a `token.lifetimes` reason.
fn bounds(reason: &str) -> (f64, f64) {
    let number_after = |word: &str| -> f64 {
        let at = reason
            .find(word)
            .unwrap_or_else(|| panic!("{word:?} is not in the reason: {reason}"));
        reason[at + word.len()..]
            .split_whitespace()
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no number after {word:?}: {reason}"))
    };
    (
        number_after("authorization code lives more than "),
        number_after(" s and at most "),
    )
}

fn assert_plausible(run: &grantscope_probe::Run, ttl: u64) -> String {
    println!("{}", table(run));
    assert_evidence(run);
    let r = run
        .result("token.lifetimes")
        .unwrap_or_else(|| panic!("no token.lifetimes result"));
    let (more_than, at_most) = bounds(&r.verdict.reason);
    let ttl = ttl as f64;
    assert!(
        more_than <= ttl + ROUNDING,
        "a code was accepted older than its configured lifetime: {}",
        r.verdict.reason
    );
    assert!(
        at_most >= ttl - ROUNDING && at_most > more_than,
        "a code was refused younger than its configured lifetime: {}",
        r.verdict.reason
    );
    // The control and the rungs up to the refusal are the evidence.
    let steps: Vec<&str> = r.exchanges.iter().map(|e| e.step.as_str()).collect();
    assert!(
        steps.contains(&"redeem a fresh code at once (control)"),
        "{steps:?}"
    );
    assert!(
        steps
            .iter()
            .filter(|s| s.starts_with("redeem a code "))
            .count()
            >= 2,
        "{steps:?}"
    );
    r.verdict.reason.clone()
}

#[test]
fn sandbox_code_lifetime_is_measured() {
    let sb = Sandbox::start_with(SandboxConfig {
        auto_approve: Some("alice".into()),
        code_ttl: Duration::from_secs(CODE_TTL),
        access_token_ttl: Duration::from_secs(2),
        ..SandboxConfig::default()
    });
    let client = Client {
        id: "sandbox-native",
        secret: None,
        auth_method: None,
        redirect_uri: "http://127.0.0.1:41006/callback",
        scope: "openid offline_access",
    };
    let run = common::block_on(run_full(
        sb.issuer(),
        &client,
        None,
        direct(),
        only_lifetimes(),
        true,
    ));
    assert_verdicts(&run, &[("token.lifetimes", "pass")]);
    let reason = assert_plausible(&run, CODE_TTL);
    // The access token part still ran: the 2 s token was refused after its expiry.
    assert!(reason.contains("refused it after its expiry"), "{reason}");
}

#[test]
fn oidc_provider_code_lifetime_is_measured() {
    let ttl = CODE_TTL.to_string();
    let provider = Provider::start_with(&[("AUTHORIZATION_CODE_TTL", &ttl)]);
    let issuer = provider.issuer().to_string();
    let client = Client {
        id: "native",
        secret: None,
        auth_method: None,
        redirect_uri: "http://127.0.0.1:41007/callback",
        scope: "openid offline_access",
    };
    let driver = Arc::new(ScriptedBrowser::new(&issuer, TEST_USER, TEST_PASSWORD));
    let run = common::block_on(run_full(
        &issuer,
        &client,
        None,
        driver,
        only_lifetimes(),
        true,
    ));
    assert_verdicts(&run, &[("token.lifetimes", "pass")]);
    let reason = assert_plausible(&run, CODE_TTL);
    assert!(reason.contains("invalid_grant"), "{reason}");
}

/// jmondi words an expired code `invalid_request` ("Authorization code is expired or revoked").
#[test]
fn jmondi_code_lifetime_is_measured() {
    let ttl = CODE_TTL.to_string();
    let server = Jmondi::start_with(&[("AUTHORIZATION_CODE_TTL", &ttl)]);
    let client = Client {
        id: "native",
        secret: None,
        auth_method: None,
        redirect_uri: "http://127.0.0.1:41008/callback",
        scope: "read",
    };
    let run = common::block_on(run_full(
        server.issuer(),
        &client,
        None,
        direct(),
        only_lifetimes(),
        true,
    ));
    assert_verdicts(&run, &[("token.lifetimes", "pass")]);
    let reason = assert_plausible(&run, CODE_TTL);
    assert!(reason.contains("invalid_request"), "{reason}");
}
