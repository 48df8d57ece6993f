//! The probe catalogue against the sandbox: with no teaching switch every probe passes (or is
//! inconclusive / skipped for the reason PROBES.md states), and each switch makes exactly its
//! probe(s) fail and changes nothing else beyond what it makes decidable. Every fail carries
//! an exchange; every exchange is masked. Also the command line: exit codes, --json, --junit,
//! --report.

use crate::common;
use crate::probe_support;

use std::time::Duration;

use common::Sandbox;
use common::cli::Grantscope;
use grantscope_sandbox::{SandboxConfig, UnsafeSwitches};
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

fn sandbox(switches: UnsafeSwitches) -> Sandbox {
    Sandbox::start_with(SandboxConfig {
        auto_approve: Some("alice".into()),
        unsafe_switches: switches,
        ..SandboxConfig::default()
    })
}

fn run(
    switches: UnsafeSwitches,
    client: &Client,
    second: Option<&Client>,
) -> grantscope_probe::Run {
    let sb = sandbox(switches);
    let issuer = sb.issuer().to_string();
    let run = common::block_on(run_catalogue(&issuer, client, second, direct()));
    assert_evidence(&run);
    run
}

/// The native (public) client's verdicts with no switch.
const NATIVE_BASELINE: &[(&str, &str)] = &[
    ("pkce.required", "pass"),
    ("pkce.verifier-checked", "pass"),
    // The sandbox refuses a public client's authorization request without a challenge.
    ("pkce.downgrade", "inconclusive"),
    ("pkce.verifier-omitted", "pass"),
    ("pkce.plain", "pass"),
    ("pkce.verifier-format", "pass"),
    ("code.single-use", "pass"),
    ("code.reuse-revokes", "pass"),
    ("code.race", "pass"),
    ("code.redirect-bound", "pass"),
    ("redirect.exact", "pass"),
    ("redirect.loopback-port", "pass"),
    ("redirect.no-open-redirect", "pass"),
    ("state.echo", "pass"),
    ("iss.response", "pass"),
    ("refresh.rotation", "pass"),
    ("refresh.reuse-revokes-family", "pass"),
    ("refresh.client-bound", "skipped"),
    ("client-auth.enforced", "skipped"),
    ("grants.legacy", "pass"),
    // A loopback http issuer.
    ("transport.https", "inconclusive"),
    ("token.lifetimes", "pass"),
    ("jwks.hygiene", "pass"),
    ("headers", "pass"),
    // The sandbox speaks DPoP (issue 12): proofs checked, bound tokens refused as Bearer.
    ("dpop.enforced", "pass"),
];

#[test]
fn no_switch_native_client_passes_or_says_why_not() {
    let run = run(UnsafeSwitches::default(), &NATIVE, None);
    assert_verdicts(&run, NATIVE_BASELINE);
    assert_eq!(run.results.len(), grantscope_probe::PROBES.len());
    let pkce = run
        .result("pkce.downgrade")
        .map(|r| r.verdict.reason.clone())
        .unwrap_or_default();
    assert!(pkce.contains("without a challenge does not work"), "{pkce}");
    let https = run
        .result("transport.https")
        .map(|r| r.verdict.reason.clone())
        .unwrap_or_default();
    assert!(https.contains("loopback"), "{https}");
}

#[test]
fn no_switch_confidential_client() {
    let run = run(UnsafeSwitches::default(), &WEB, Some(&NATIVE));
    assert_verdicts(
        &run,
        &[
            // PKCE is optional for the confidential web client: a SHOULD.
            ("pkce.required", "warn"),
            ("pkce.downgrade", "pass"),
            ("client-auth.enforced", "pass"),
            ("refresh.client-bound", "pass"),
            ("refresh.rotation", "pass"),
            ("code.single-use", "pass"),
            ("redirect.exact", "pass"),
            ("grants.legacy", "pass"),
        ],
    );
    let auth = run
        .result("client-auth.enforced")
        .map(|r| r.verdict.reason.clone())
        .unwrap_or_default();
    assert!(
        auth.contains("interchangeable") || auth.contains("only client_secret_basic"),
        "{auth}"
    );
}

/// Runs the native catalogue with `switches`; asserts `changed` and that every other probe
/// kept its baseline verdict.
fn switch_changes(switches: UnsafeSwitches, changed: &[(&str, &str)]) {
    let run = run(switches, &NATIVE, None);
    assert_changed(&run, NATIVE_BASELINE.iter().copied(), changed);
}

#[test]
fn switch_allow_plain_pkce_fails_pkce_plain() {
    switch_changes(
        UnsafeSwitches {
            allow_plain_pkce: true,
            ..Default::default()
        },
        &[("pkce.plain", "fail")],
    );
}

#[test]
fn switch_allow_missing_pkce_fails_pkce_required_and_omitted() {
    // The switch lets a public client skip PKCE at authorize and at the token endpoint; the
    // downgrade becomes decidable (the flow without a challenge now works) and is refused.
    switch_changes(
        UnsafeSwitches {
            allow_missing_pkce: true,
            ..Default::default()
        },
        &[
            ("pkce.required", "fail"),
            ("pkce.verifier-omitted", "fail"),
            ("pkce.downgrade", "pass"),
        ],
    );
}

#[test]
fn switch_no_refresh_rotation_fails_refresh_rotation() {
    // The family probe builds on rotation, so it becomes inconclusive.
    switch_changes(
        UnsafeSwitches {
            no_refresh_rotation: true,
            ..Default::default()
        },
        &[
            ("refresh.rotation", "fail"),
            ("refresh.reuse-revokes-family", "inconclusive"),
        ],
    );
}

#[test]
fn switch_any_redirect_uri_fails_the_redirect_probes() {
    switch_changes(
        UnsafeSwitches {
            any_redirect_uri: true,
            ..Default::default()
        },
        &[
            ("redirect.exact", "fail"),
            ("redirect.no-open-redirect", "fail"),
        ],
    );
}

#[test]
fn switch_long_lived_tokens_fails_token_lifetimes() {
    switch_changes(
        UnsafeSwitches {
            long_lived_tokens: true,
            ..Default::default()
        },
        &[("token.lifetimes", "fail")],
    );
}

#[test]
fn switch_allow_code_reuse_fails_code_single_use() {
    // code.reuse-revokes builds on code.single-use.
    switch_changes(
        UnsafeSwitches {
            allow_code_reuse: true,
            ..Default::default()
        },
        &[
            ("code.single-use", "fail"),
            ("code.reuse-revokes", "inconclusive"),
            ("code.race", "fail"),
        ],
    );
}

#[test]
fn switch_no_iss_fails_iss_response() {
    switch_changes(
        UnsafeSwitches {
            no_iss: true,
            ..Default::default()
        },
        &[("iss.response", "fail")],
    );
}

#[test]
fn switch_cors_on_authorize_fails_headers() {
    switch_changes(
        UnsafeSwitches {
            cors_on_authorize: true,
            ..Default::default()
        },
        &[("headers", "fail")],
    );
}

/// The confidential web client's verdicts with no switch (PKCE optional for it).
const WEB_BASELINE: &[(&str, &str)] = &[
    ("pkce.required", "warn"),
    ("pkce.verifier-checked", "pass"),
    ("pkce.downgrade", "pass"),
    ("pkce.verifier-omitted", "pass"),
    ("pkce.plain", "pass"),
    ("pkce.verifier-format", "pass"),
    ("code.single-use", "pass"),
    ("code.reuse-revokes", "pass"),
    ("code.race", "pass"),
    ("code.redirect-bound", "pass"),
    ("redirect.exact", "pass"),
    ("redirect.loopback-port", "pass"),
    ("redirect.no-open-redirect", "pass"),
    ("state.echo", "pass"),
    ("iss.response", "pass"),
    ("refresh.rotation", "pass"),
    ("refresh.reuse-revokes-family", "pass"),
    ("refresh.client-bound", "pass"),
    ("client-auth.enforced", "pass"),
    ("grants.legacy", "pass"),
    ("transport.https", "inconclusive"),
    ("token.lifetimes", "pass"),
    ("jwks.hygiene", "pass"),
    ("headers", "pass"),
    ("dpop.enforced", "pass"),
];

/// [`switch_changes`] for the web client with the native client as the second one.
fn web_switch_changes(switches: UnsafeSwitches, changed: &[(&str, &str)]) {
    let run = run(switches, &WEB, Some(&NATIVE));
    assert_changed(&run, WEB_BASELINE.iter().copied(), changed);
}

#[test]
fn no_switch_web_client_baseline() {
    web_switch_changes(UnsafeSwitches::default(), &[]);
}

#[test]
fn switch_allow_pkce_downgrade_fails_pkce_downgrade() {
    web_switch_changes(
        UnsafeSwitches {
            allow_pkce_downgrade: true,
            ..Default::default()
        },
        &[("pkce.downgrade", "fail")],
    );
}

#[test]
fn switch_refresh_any_client_fails_refresh_client_bound() {
    web_switch_changes(
        UnsafeSwitches {
            refresh_any_client: true,
            ..Default::default()
        },
        &[("refresh.client-bound", "fail")],
    );
}

#[test]
fn new_switches_are_announced() {
    let switches = UnsafeSwitches {
        allow_code_reuse: true,
        no_iss: true,
        cors_on_authorize: true,
        ..Default::default()
    };
    assert_eq!(
        switches.enabled(),
        vec![
            "unsafe-allow-code-reuse",
            "unsafe-no-iss",
            "unsafe-cors-on-authorize"
        ]
    );
    let sb = sandbox(switches);
    let (status, doc) = common::get_json(
        &format!("{}/.well-known/openid-configuration", sb.issuer()),
        None,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(status, 200);
    let listed: Vec<String> = doc["grantscope_sandbox"]["unsafe_switches"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(
        listed,
        vec![
            "unsafe-allow-code-reuse",
            "unsafe-no-iss",
            "unsafe-cors-on-authorize"
        ]
    );
}

/// The command line against a sandbox process: --json document, JUnit, HTML, exit codes.
#[test]
fn cli_json_junit_report_and_exit_codes() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let sb = sandbox(UnsafeSwitches {
        allow_code_reuse: true,
        ..Default::default()
    });
    let junit = dir.path().join("probes.xml");
    let html = dir.path().join("probes.html");
    let out = Grantscope::new([
        "probe",
        "--issuer",
        sb.issuer(),
        "--client-id",
        "sandbox-native",
        "--scope",
        "openid offline_access",
        "--no-browser",
        "--json",
        "--junit",
        junit.to_str().unwrap_or_default(),
        "--report",
        html.to_str().unwrap_or_default(),
    ])
    .config_dir(dir.path())
    .run(Duration::from_secs(60))
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.code(), 1, "a failed probe exits 1: {}", out.stderr);
    let doc = out.json().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        doc["issuer"].as_str().map(|s| s.trim_end_matches('/')),
        Some(sb.issuer().trim_end_matches('/'))
    );
    assert!(doc["started_at"].is_string());
    // The reuse switch fails code.single-use and code.race.
    assert_eq!(doc["summary"]["fail"], 2, "{doc:#}");
    let results = doc["results"].as_array().cloned().unwrap_or_default();
    assert_eq!(results.len(), grantscope_probe::PROBES.len());
    let single = results
        .iter()
        .find(|r| r["id"] == "code.single-use")
        .cloned()
        .unwrap_or_default();
    assert_eq!(single["verdict"], "fail");
    assert_eq!(single["level"], "MUST");
    assert!(single["ref"].as_str().is_some_and(|r| r.contains("4.2.4")));
    assert!(single["elapsed_ms"].is_u64());
    let exchanges = single["exchanges"].as_array().cloned().unwrap_or_default();
    assert!(!exchanges.is_empty());
    let text = serde_json::to_string(&exchanges).unwrap_or_default();
    assert!(!has_jwt(&text), "a token shows unmasked: {text}");
    for key in ["pass", "fail", "warn", "info", "inconclusive", "skipped"] {
        assert!(doc["summary"][key].is_u64(), "summary.{key}");
    }
    assert!(
        out.stderr.lines().any(|l| l.starts_with("plan: ")),
        "{}",
        out.stderr
    );
    let xml = std::fs::read_to_string(&junit).unwrap_or_default();
    assert!(xml.contains("<testcase name=\"code.single-use\""), "{xml}");
    assert!(xml.contains("<failure"), "{xml}");
    assert!(xml.contains("<skipped"), "{xml}");
    let page = std::fs::read_to_string(&html).unwrap_or_default();
    assert!(page.starts_with("<!doctype html>") && page.contains("<details>"));
    assert!(!page.contains("<script"), "self-contained, no script");
    // The exchanges are readable: their own line breaks kept, not written out as escapes.
    assert!(page.contains("<pre>{\n"), "an exchange is one escaped line");
    // (A body's own line breaks, sent by the server, stay escaped: printed inert.)
    assert!(
        !page.contains("<pre>{\\u{a}"),
        "the exchange's JSON structure written out as escapes"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        for file in [&html, &junit] {
            let mode = std::fs::metadata(file).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{} is readable by others", file.display());
        }
    }
    assert!(
        !has_jwt(&page),
        "a token shows in the HTML report: {}",
        find_jwt(&page).map_or("", |i| &page
            [i.saturating_sub(300)..(i + 200).min(page.len())])
    );

    // Nothing failed: 0; an unknown probe id: 2.
    let ok = Grantscope::new([
        "probe",
        "--issuer",
        sb.issuer(),
        "--client-id",
        "sandbox-native",
        "--scope",
        "openid offline_access",
        "--no-browser",
        "--only",
        "pkce.required,state.echo",
    ])
    .config_dir(dir.path())
    .run(Duration::from_secs(60))
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(ok.code(), 0, "{}\n{}", ok.stdout, ok.stderr);
    assert!(
        ok.stdout.contains("PASS") && ok.stdout.contains("pkce.required"),
        "{}",
        ok.stdout
    );
    let bad = Grantscope::new([
        "probe",
        "--issuer",
        sb.issuer(),
        "--client-id",
        "sandbox-native",
        "--only",
        "no.such-probe",
    ])
    .config_dir(dir.path())
    .run(Duration::from_secs(60))
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(bad.code(), 2, "{}", bad.stderr);
    assert!(bad.stderr.contains("unknown probe"), "{}", bad.stderr);
}

/// Whether `s` holds a compact JWS (`eyJ…` header, a dot, `eyJ…` payload). A bare `eyJ` can
/// occur by chance inside any random base64url value (a state, a nonce, a JWK modulus).
/// Whether the JWT starting `s` has a `jwk` member in its header (a DPoP proof's public key).
fn header_has_jwk(s: &str) -> bool {
    use base64::Engine as _;
    let end = s
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_')))
        .unwrap_or(s.len());
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(&s[..end])
        .ok()
        .and_then(|h| serde_json::from_slice::<serde_json::Value>(&h).ok())
        .is_some_and(|h| h.get("jwk").is_some())
}

fn has_jwt(s: &str) -> bool {
    find_jwt(s).is_some()
}

/// Where the first JWT (not a DPoP proof) starts in `s`.
fn find_jwt(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    let b64 = |c: u8| c.is_ascii_alphanumeric() || c == b'-' || c == b'_';
    let mut from = 0;
    while let Some(i) = s[from..].find("eyJ").map(|i| i + from) {
        // A DPoP proof ({"typ":"dpop+jwt",...}, or any JWT whose header carries a `jwk`: the
        // malformed proofs dpop.proof sends) is no secret: it is shown in its exchange.
        if s[i..].starts_with("eyJ0eXAiOiJkcG9wK2p3dC") || header_has_jwk(&s[i..]) {
            // Skip the whole proof (its three parts), not just its first characters.
            from = i + s[i..]
                .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
                .unwrap_or(s.len() - i);
            continue;
        }
        let mut j = i;
        while j < b.len() && b64(b[j]) {
            j += 1;
        }
        if j - i > 10 && s[j..].starts_with(".eyJ") {
            return Some(i);
        }
        from = i + 3;
    }
    None
}

#[test]
fn jwt_detector_finds_tokens_and_ignores_chance() {
    assert!(has_jwt("x eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.sig"));
    assert!(!has_jwt("state=abceyJxyz&nonce=eyJ0"));
    assert!(!has_jwt("«MASKED»"));
}

/// `--slow`: a short-lived access token is watched until it expires, then refused.
#[test]
fn slow_token_lifetime_is_measured() {
    let sb = Sandbox::start_with(SandboxConfig {
        auto_approve: Some("alice".into()),
        access_token_ttl: Duration::from_secs(2),
        code_ttl: Duration::from_secs(2),
        ..SandboxConfig::default()
    });
    let options = grantscope_probe::RunOptions {
        only: vec!["token.lifetimes".into()],
        ..Default::default()
    };
    let run = common::block_on(run_full(
        sb.issuer(),
        &NATIVE,
        None,
        direct(),
        options,
        true,
    ));
    assert_verdicts(&run, &[("token.lifetimes", "pass")]);
    let r = run
        .result("token.lifetimes")
        .map(|r| r.verdict.reason.clone())
        .unwrap_or_default();
    assert!(r.contains("refused it after its expiry"), "{r}");
    assert_evidence(&run);
}
