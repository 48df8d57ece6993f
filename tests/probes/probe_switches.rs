//! The teaching switches as negative oracles: for each switch of the sandbox's table
//! (`grantscope_sandbox::SWITCHES`), the catalogue is run with the switch on, and the probes
//! the table names for it go from pass (the baseline run, no switch) to fail or warn, while
//! every other probe keeps its baseline verdict except those listed as made decidable. Every
//! fail carries an exchange; every exchange is masked. Also the password grant behind its
//! switch, run by the real command line as the wizard's "Run this grant anyway" does.

use crate::common;
use crate::probe_support;

use std::collections::BTreeMap;
use std::sync::OnceLock;
use std::time::Duration;

use common::Sandbox;
use common::cli::Grantscope;
use grantscope_sandbox::{SandboxConfig, find_switch};
use probe_support::*;

const NATIVE: Client = Client {
    id: "sandbox-native",
    secret: None,
    auth_method: None,
    redirect_uri: "http://127.0.0.1:41000/callback",
    scope: "openid offline_access",
};

const WEB: Client = Client {
    id: "sandbox-web",
    secret: Some("sandbox-web-secret"),
    auth_method: Some("client_secret_basic"),
    redirect_uri: "http://127.0.0.1:41001/callback",
    scope: "openid offline_access",
};

fn config(switches: &[&str]) -> SandboxConfig {
    let mut config = SandboxConfig {
        auto_approve: Some("alice".into()),
        ..SandboxConfig::default()
    };
    for name in switches {
        let switch = find_switch(name).unwrap_or_else(|| panic!("no switch {name}"));
        (switch.set)(&mut config, true);
    }
    config
}

fn run(switches: &[&str], web: bool) -> grantscope_probe::Run {
    run_under(switches, web, grantscope_probe::Policy::Bcp)
}

fn run_under(
    switches: &[&str],
    web: bool,
    policy: grantscope_probe::Policy,
) -> grantscope_probe::Run {
    let sb = Sandbox::start_with(config(switches));
    let (client, second) = if web {
        (&WEB, Some(&NATIVE))
    } else {
        (&NATIVE, None)
    };
    let run = common::block_on(run_policy(
        sb.issuer(),
        client,
        second,
        direct(),
        grantscope_probe::RunOptions::default(),
        false,
        policy,
    ));
    assert_evidence(&run);
    run
}

/// The verdicts with no switch, measured once per client.
fn baseline(web: bool) -> &'static BTreeMap<String, String> {
    static NATIVE_RUN: OnceLock<BTreeMap<String, String>> = OnceLock::new();
    static WEB_RUN: OnceLock<BTreeMap<String, String>> = OnceLock::new();
    let cell = if web { &WEB_RUN } else { &NATIVE_RUN };
    cell.get_or_init(|| verdicts(&run(&[], web)))
}

/// Turns `name` on and asserts: each probe the table names for it passed in the baseline and
/// now has the verdict `changed` gives it (fail or warn); the other `changed` entries (what the
/// switch makes decidable or undecidable) have theirs; every other probe kept its baseline.
fn switch_changes(name: &str, web: bool, changed: &[(&str, &str)]) {
    let switch = find_switch(name).unwrap_or_else(|| panic!("no switch {name}"));
    let base = baseline(web);
    // The API probes of a row are tested against the API (probe_api.rs).
    for id in switch.probes.iter().filter(|p| !p.starts_with("api.")) {
        assert_eq!(
            base.get(*id).map(String::as_str),
            Some("pass"),
            "{id} must pass with no switch"
        );
        let now = changed.iter().find(|(c, _)| c == id).map(|(_, v)| *v);
        assert!(
            matches!(now, Some("fail" | "warn")),
            "the table says {name} teaches {id}, the test expects {now:?}"
        );
    }
    let run = run(&[name], web);
    assert_changed(
        &run,
        base.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        changed,
    );
}

#[test]
fn password_grant_switch_warns_grants_legacy() {
    // The grant is on and checks the made-up user (invalid_grant): a warn, as PROBES.md says.
    switch_changes(
        "unsafe-allow-password-grant",
        false,
        &[("grants.legacy", "warn")],
    );
}

#[test]
fn implicit_switch_fails_grants_legacy_and_code_only() {
    switch_changes(
        "unsafe-allow-implicit",
        false,
        &[
            ("grants.legacy", "fail"),
            ("response-type.code-only", "fail"),
        ],
    );
}

// The policy probes' switches (PROBES.md "Policy probes").

#[test]
fn duplicate_params_switch_warns_params_duplicate() {
    // A SHOULD outside fapi2: warn under bcp.
    switch_changes(
        "unsafe-accept-duplicate-params",
        false,
        &[("params.duplicate", "warn")],
    );
}

#[test]
fn refuse_unknown_params_switch_fails_params_unknown_ignored() {
    switch_changes(
        "unsafe-refuse-unknown-params",
        false,
        &[("params.unknown-ignored", "fail")],
    );
}

#[test]
fn revoke_any_client_switch_fails_revocation_client_bound() {
    switch_changes(
        "unsafe-revoke-any-client",
        true,
        &[("revocation.client-bound", "fail")],
    );
}

#[test]
fn short_codes_switch_fails_tokens_entropy() {
    switch_changes("unsafe-short-codes", false, &[("tokens.entropy", "fail")]);
}

#[test]
fn reusable_request_uri_switch_warns_par_request_uri() {
    switch_changes(
        "unsafe-reusable-request-uri",
        false,
        &[("par.request-uri", "warn")],
    );
}

#[test]
fn ignore_dpop_jkt_switch_warns_dpop_code_binding() {
    switch_changes(
        "unsafe-ignore-dpop-jkt",
        false,
        &[("dpop.code-binding", "warn")],
    );
}

#[test]
fn replayed_dpop_proof_switch_fails_dpop_enforced_and_warns_dpop_proof() {
    switch_changes(
        "unsafe-accept-replayed-dpop-proof",
        false,
        &[("dpop.enforced", "fail"), ("dpop.proof", "warn")],
    );
}

#[test]
fn keep_refresh_tokens_fails_refresh_rotation_under_bcp() {
    // FAPI 2.0's rule is the BCP's failure for a public client.
    switch_changes(
        "keep-refresh-tokens",
        false,
        &[
            ("refresh.rotation", "fail"),
            ("refresh.reuse-revokes-family", "inconclusive"),
        ],
    );
}

/// The stricter switches move their probe from a fact (info) or a warning to a pass, and
/// nothing else but what they make undecidable.
#[test]
fn require_pkce_passes_pkce_required_for_the_confidential_client() {
    let base = baseline(true);
    assert_eq!(base.get("pkce.required").map(String::as_str), Some("warn"));
    let run = run(&["require-pkce"], true);
    assert_changed(
        &run,
        base.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        &[
            ("pkce.required", "pass"),
            // No code without a challenge: nothing to downgrade.
            ("pkce.downgrade", "inconclusive"),
        ],
    );
}

#[test]
fn require_sender_constraint_passes_sender_constraint_required_under_fapi2() {
    use grantscope_probe::Policy;
    let base = verdicts(&run_under(&[], false, Policy::Fapi2));
    assert_eq!(
        base.get("sender-constraint.required").map(String::as_str),
        Some("fail")
    );
    let run = run_under(&["require-sender-constraint"], false, Policy::Fapi2);
    assert_changed(
        &run,
        base.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        &[("sender-constraint.required", "pass")],
    );
}

#[test]
fn skip_verifier_check_fails_verifier_checked_and_plain() {
    // Sending the challenge itself as the verifier (pkce.plain (b)) is then accepted too.
    switch_changes(
        "unsafe-skip-pkce-verifier-check",
        false,
        &[("pkce.verifier-checked", "fail"), ("pkce.plain", "fail")],
    );
}

#[test]
fn malformed_verifier_switch_fails_verifier_format() {
    switch_changes(
        "unsafe-accept-malformed-verifier",
        false,
        &[("pkce.verifier-format", "fail")],
    );
}

#[test]
fn ignore_token_redirect_uri_fails_code_redirect_bound() {
    switch_changes(
        "unsafe-ignore-token-redirect-uri",
        false,
        &[("code.redirect-bound", "fail")],
    );
}

#[test]
fn no_state_on_error_fails_state_echo() {
    switch_changes("unsafe-no-state-on-error", false, &[("state.echo", "fail")]);
}

#[test]
fn client_id_alone_fails_client_auth_enforced() {
    // A confidential client's refresh without client authentication is accepted as well.
    switch_changes(
        "unsafe-client-id-alone",
        true,
        &[
            ("client-auth.enforced", "fail"),
            ("refresh.client-bound", "fail"),
        ],
    );
}

#[test]
fn no_refresh_family_revocation_fails_reuse_revokes_family() {
    switch_changes(
        "unsafe-no-refresh-family-revocation",
        false,
        &[("refresh.reuse-revokes-family", "fail")],
    );
}

#[test]
fn keep_tokens_on_code_reuse_warns_code_reuse_revokes() {
    // A SHOULD (RFC 9700 §4.2.4): warn.
    switch_changes(
        "unsafe-keep-tokens-on-code-reuse",
        false,
        &[("code.reuse-revokes", "warn")],
    );
}

#[test]
fn dpop_any_key_fails_dpop_enforced() {
    // RFC 9449 §7.1: a valid proof by another key than cnf.jkt must be refused.
    switch_changes("unsafe-dpop-any-key", false, &[("dpop.enforced", "fail")]);
}

#[test]
fn dpop_token_as_bearer_fails_dpop_enforced() {
    switch_changes(
        "unsafe-dpop-token-as-bearer",
        false,
        &[("dpop.enforced", "fail")],
    );
}

#[test]
fn jwks_private_key_fails_jwks_hygiene() {
    switch_changes(
        "unsafe-jwks-private-key",
        false,
        &[("jwks.hygiene", "fail")],
    );
}

#[test]
fn pin_loopback_port_fails_redirect_loopback_port() {
    switch_changes(
        "unsafe-pin-loopback-port",
        false,
        &[("redirect.loopback-port", "fail")],
    );
}

// The older switches (their probe_sandbox.rs tests hold them to a fixed baseline; these hold
// the table's probe lists to the truth).

#[test]
fn plain_pkce_switch_fails_pkce_plain() {
    switch_changes("unsafe-allow-plain-pkce", false, &[("pkce.plain", "fail")]);
}

#[test]
fn missing_pkce_switch_fails_required_and_omitted() {
    // The flow without a challenge now works, so the downgrade becomes decidable (refused).
    switch_changes(
        "unsafe-allow-missing-pkce",
        false,
        &[
            ("pkce.required", "fail"),
            ("pkce.verifier-omitted", "fail"),
            ("pkce.downgrade", "pass"),
        ],
    );
}

#[test]
fn no_refresh_rotation_fails_refresh_rotation() {
    switch_changes(
        "unsafe-no-refresh-rotation",
        false,
        &[
            ("refresh.rotation", "fail"),
            ("refresh.reuse-revokes-family", "inconclusive"),
        ],
    );
}

#[test]
fn any_redirect_uri_fails_the_redirect_probes() {
    switch_changes(
        "unsafe-any-redirect-uri",
        false,
        &[
            ("redirect.exact", "fail"),
            ("redirect.no-open-redirect", "fail"),
        ],
    );
}

#[test]
fn long_lived_tokens_fail_token_lifetimes() {
    switch_changes(
        "unsafe-long-lived-tokens",
        false,
        &[("token.lifetimes", "fail")],
    );
}

#[test]
fn code_reuse_fails_single_use_and_race() {
    switch_changes(
        "unsafe-allow-code-reuse",
        false,
        &[
            ("code.single-use", "fail"),
            ("code.race", "fail"),
            ("code.reuse-revokes", "inconclusive"),
        ],
    );
}

#[test]
fn no_iss_fails_iss_response() {
    switch_changes("unsafe-no-iss", false, &[("iss.response", "fail")]);
}

#[test]
fn cors_on_authorize_fails_headers() {
    switch_changes("unsafe-cors-on-authorize", false, &[("headers", "fail")]);
}

#[test]
fn pkce_downgrade_fails_pkce_downgrade() {
    // The native client cannot start a flow without a challenge: the web client shows it.
    switch_changes(
        "unsafe-allow-pkce-downgrade",
        true,
        &[("pkce.downgrade", "fail")],
    );
}

#[test]
fn refresh_any_client_fails_refresh_client_bound() {
    switch_changes(
        "unsafe-refresh-any-client",
        true,
        &[("refresh.client-bound", "fail")],
    );
}

/// Every switch whose row names probes has a test (a new row needs one), and every probe of the
/// catalogue but `transport.https` (a loopback http issuer is inconclusive by the catalogue's
/// rule, whatever the sandbox does) and `client-assertion.alg` (an RSA client key) is taught by
/// some switch.
#[test]
fn every_switch_with_probes_is_tested_and_every_probe_has_a_switch() {
    const TESTED: &[&str] = &[
        "unsafe-allow-plain-pkce",
        "unsafe-allow-missing-pkce",
        "unsafe-no-refresh-rotation",
        "unsafe-any-redirect-uri",
        "unsafe-long-lived-tokens",
        "unsafe-allow-implicit",
        "unsafe-allow-code-reuse",
        "unsafe-no-iss",
        "unsafe-cors-on-authorize",
        "unsafe-allow-pkce-downgrade",
        "unsafe-refresh-any-client",
        "unsafe-allow-password-grant",
        "unsafe-skip-pkce-verifier-check",
        "unsafe-accept-malformed-verifier",
        "unsafe-ignore-token-redirect-uri",
        "unsafe-no-state-on-error",
        "unsafe-client-id-alone",
        "unsafe-no-refresh-family-revocation",
        "unsafe-keep-tokens-on-code-reuse",
        "unsafe-dpop-token-as-bearer",
        "unsafe-jwks-private-key",
        "unsafe-pin-loopback-port",
        "unsafe-dpop-any-key",
        "unsafe-accept-duplicate-params",
        "unsafe-refuse-unknown-params",
        "unsafe-revoke-any-client",
        "unsafe-short-codes",
        "unsafe-reusable-request-uri",
        "unsafe-ignore-dpop-jkt",
        "require-par",
        "require-pkce",
        "require-sender-constraint",
        "keep-refresh-tokens",
        "unsafe-accept-replayed-dpop-proof",
        // Tested with the FAPI client in probe_policy.rs.
        "unsafe-accept-wrong-assertion-audience",
        "unsafe-accept-replayed-assertion",
        "unsafe-accept-expired-assertion",
        "require-issuer-audience",
    ];
    let with_probes: Vec<&str> = grantscope_sandbox::SWITCHES
        .iter()
        .filter(|s| s.probes.iter().any(|p| !p.starts_with("api.")))
        .map(|s| s.name)
        .collect();
    let mut tested = TESTED.to_vec();
    tested.sort_unstable();
    let mut rows = with_probes.clone();
    rows.sort_unstable();
    assert_eq!(tested, rows);
    let untaught: Vec<&str> = grantscope_probe::PROBES
        .iter()
        .map(|p| p.id)
        .filter(|id| {
            !grantscope_sandbox::SWITCHES
                .iter()
                .any(|s| s.probes.contains(id))
        })
        .collect();
    // client-assertion.alg needs an RSA client key under fapi2; the sandbox's is EC.
    assert_eq!(untaught, vec!["transport.https", "client-assertion.alg"]);
}

/// The published `d` is the real private key of the published public key (the crypto library
/// accepts the pair only when they match), so anyone could sign tokens the sandbox's JWKS
/// verifies: the lesson of the switch. Without the switch no `d` is published.
#[test]
fn the_published_private_key_is_the_signing_key() {
    let on = Sandbox::start_with(config(&["unsafe-jwks-private-key"]));
    let (_, jwks) =
        common::get_json(&format!("{}/jwks", on.issuer()), None).unwrap_or_else(|e| panic!("{e}"));
    let keys = jwks["keys"].as_array().cloned().unwrap_or_default();
    let leaked: Vec<_> = keys.iter().filter(|k| k.get("d").is_some()).collect();
    assert_eq!(leaked.len(), 1, "{jwks:#}");
    assert_eq!(leaked[0]["kty"], "EC");
    let d = leaked[0]["d"].as_str().unwrap_or_default();
    use base64::Engine as _;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(d)
        .unwrap_or_default();
    assert_eq!(bytes.len(), 32, "a P-256 private scalar");
    let coordinate = |name: &str| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(leaked[0][name].as_str().unwrap_or_default())
            .unwrap_or_default()
    };
    let mut public = vec![0x04];
    public.extend(coordinate("x"));
    public.extend(coordinate("y"));
    let pair = aws_lc_rs::signature::EcdsaKeyPair::from_private_key_and_public_key(
        &aws_lc_rs::signature::ECDSA_P256_SHA256_FIXED_SIGNING,
        &bytes,
        &public,
    );
    assert!(pair.is_ok(), "d does not belong to the published x, y");
    // A different scalar is refused with the same public key: the check above can fail.
    let mut other = bytes.clone();
    other[31] ^= 1;
    assert!(
        aws_lc_rs::signature::EcdsaKeyPair::from_private_key_and_public_key(
            &aws_lc_rs::signature::ECDSA_P256_SHA256_FIXED_SIGNING,
            &other,
            &public,
        )
        .is_err()
    );
    let off = Sandbox::start_with(config(&[]));
    let (_, jwks) =
        common::get_json(&format!("{}/jwks", off.issuer()), None).unwrap_or_else(|e| panic!("{e}"));
    assert!(!jwks.to_string().contains("\"d\""), "{jwks:#}");
}

/// The wizard's "Run this grant anyway" for the password grant runs `token password` with the
/// active profile: against the sandbox it is `unsupported_grant_type` with no switch, and
/// tokens for the seeded user with the switch on (a wrong password stays refused).
#[test]
fn password_grant_runs_only_behind_its_switch() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let run = |sb: &Sandbox, password: &str| {
        Grantscope::new([
            "token",
            "password",
            "--issuer",
            sb.issuer(),
            "--client-id",
            "sandbox-native",
            "--scope",
            "openid offline_access",
            "--username",
            "alice",
            "--password",
            password,
            "--json",
        ])
        .config_dir(dir.path())
        .run(Duration::from_secs(60))
        .unwrap_or_else(|e| panic!("{e}"))
    };
    let off = Sandbox::start_with(config(&[]));
    let out = run(&off, "alice-password");
    assert_ne!(out.code(), 0, "{}", out.stdout);
    assert!(
        format!("{}{}", out.stdout, out.stderr).contains("unsupported_grant_type"),
        "{}\n{}",
        out.stdout,
        out.stderr
    );

    let on = Sandbox::start_with(config(&["unsafe-allow-password-grant"]));
    let (status, doc) = common::get_json(
        &format!("{}/.well-known/openid-configuration", on.issuer()),
        None,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(status, 200);
    assert!(
        doc["grant_types_supported"]
            .to_string()
            .contains("\"password\""),
        "{doc}"
    );
    assert_eq!(
        doc["grantscope_sandbox"]["switches_on"][0]["name"],
        "unsafe-allow-password-grant"
    );
    let out = run(&on, "alice-password");
    assert_eq!(out.code(), 0, "{}\n{}", out.stdout, out.stderr);
    let doc = out.json().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(doc["grant"], "password", "{doc:#}");
    assert!(doc["response"]["access_token"].is_string(), "{doc:#}");
    assert!(doc["response"]["refresh_token"].is_string(), "{doc:#}");
    assert!(
        !out.stdout.contains("alice-password"),
        "the password leaked into the output"
    );
    let wrong = run(&on, "not-alices-password");
    assert_ne!(wrong.code(), 0);
    assert!(
        format!("{}{}", wrong.stdout, wrong.stderr).contains("invalid_grant"),
        "{}\n{}",
        wrong.stdout,
        wrong.stderr
    );
}

/// The real `grantscope sandbox` process: the table's flags turn the switches on, and its
/// start-up document lists them with the table's words (the same the pages and the desktop
/// show).
#[test]
fn the_sandbox_command_takes_the_tables_flags() {
    let (mut child, doc, _keys) = common::spawn_sandbox_process(&[
        "--unsafe-allow-password-grant",
        "--unsafe-pin-loopback-port",
        "--require-par",
    ]);
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(
        doc["unsafe_switches"],
        serde_json::json!(["unsafe-allow-password-grant", "unsafe-pin-loopback-port"])
    );
    assert_eq!(doc["teaching_switches"], serde_json::json!(["require-par"]));
    let on = doc["switches_on"].as_array().cloned().unwrap_or_default();
    assert_eq!(on.len(), 3, "{doc:#}");
    for entry in &on {
        let name = entry["name"].as_str().unwrap_or_default();
        let row = find_switch(name).unwrap_or_else(|| panic!("{name} not in the table"));
        assert_eq!(entry["explanation"], row.explanation);
        assert_eq!(entry["probes"], serde_json::json!(row.probes));
    }
}

/// A sandbox that requires PAR: the probes push their (changed) authorization requests, so the
/// catalogue decides as against the plain sandbox (every login-based probe was inconclusive on
/// "the request must be pushed" before).
#[test]
fn a_par_only_server_gets_pushed_requests_and_the_same_verdicts() {
    let base = baseline(false);
    let run = run(&["require-par"], false);
    let pushed = run
        .results
        .iter()
        .flat_map(|r| r.exchanges.iter())
        .filter(|e| e.request_view(false).url.ends_with("/par"))
        .count();
    assert!(pushed > 5, "the requests went through /par ({pushed})");
    // What the switch teaches: the unpushed request is refused now (info before).
    assert_eq!(base.get("par.required").map(String::as_str), Some("info"));
    assert_eq!(
        run.result("par.required")
            .map(|r| r.verdict.outcome.as_str()),
        Some("pass")
    );
    let differ: Vec<String> = run
        .results
        .iter()
        .filter(|r| r.id != "par.required")
        .filter(|r| base.get(r.id).map(String::as_str) != Some(r.verdict.outcome.as_str()))
        .map(|r| {
            format!(
                "{}: {} ({})",
                r.id,
                r.verdict.outcome.as_str(),
                r.verdict.reason
            )
        })
        .collect();
    assert!(differ.is_empty(), "{differ:#?}");
}
