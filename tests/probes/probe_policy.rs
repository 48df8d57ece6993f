//! The policy probes (PROBES.md "Policy probes") and `probe --policy`: the plain sandbox passes
//! every new probe its configuration meets under bcp and oauth2.1 (PAR and sender constraint
//! are facts there, info); the sandbox's `fapi2` preset with its FAPI client passes every new
//! probe under fapi2, and the existing probes follow the fapi2 column (no refresh rotation
//! expected, ...); the real binary names the policy in its JSON, JUnit and HTML reports.

use crate::common;
use crate::probe_support;

use std::time::Duration;

use common::Sandbox;
use common::cli::Grantscope;
use grantscope_core::profile::Profile;
use grantscope_probe::{Policy, RunOptions, SecondClient};
use grantscope_sandbox::SandboxConfig;
use probe_support::*;

/// The probes PROBES.md's "Policy probes" adds that this branch builds.
const NEW: &[&str] = &[
    "par.required",
    "par.request-uri",
    "response-type.code-only",
    "params.duplicate",
    "params.unknown-ignored",
    "sender-constraint.required",
    "dpop.code-binding",
    "revocation.client-bound",
    "tokens.entropy",
    "client-assertion.audience",
    "client-assertion.claims",
    "client-assertion.alg",
    "dpop.proof",
];

const WEB: Client = Client {
    id: "sandbox-web",
    secret: Some("sandbox-web-secret"),
    auth_method: Some("client_secret_basic"),
    redirect_uri: "http://127.0.0.1:41011/callback",
    scope: "openid offline_access",
};

const NATIVE: Client = Client {
    id: "sandbox-native",
    secret: None,
    auth_method: None,
    redirect_uri: "http://127.0.0.1:41012/callback",
    scope: "openid offline_access",
};

fn only(ids: &[&str]) -> RunOptions {
    RunOptions {
        only: ids.iter().map(|s| s.to_string()).collect(),
        ..RunOptions::default()
    }
}

#[test]
fn the_plain_sandbox_passes_the_new_probes_under_bcp_and_oauth21() {
    for policy in [Policy::Bcp, Policy::OAuth21] {
        let sb = Sandbox::start_with(SandboxConfig {
            auto_approve: Some("alice".into()),
            ..SandboxConfig::default()
        });
        let run = common::block_on(run_policy(
            sb.issuer(),
            &WEB,
            Some(&NATIVE),
            direct(),
            only(NEW),
            false,
            policy,
        ));
        println!("{policy}:\n{}", table(&run));
        assert_evidence(&run);
        assert_eq!(run.policy, policy);
        assert_verdicts(
            &run,
            &[
                // PAR and sender constraint are offered, not required: facts under these
                // policies.
                ("par.required", "info"),
                ("sender-constraint.required", "info"),
                ("par.request-uri", "pass"),
                ("response-type.code-only", "pass"),
                ("params.duplicate", "pass"),
                ("params.unknown-ignored", "pass"),
                ("dpop.code-binding", "pass"),
                ("revocation.client-bound", "pass"),
                ("tokens.entropy", "pass"),
                // A client_secret_basic client: no assertion to probe.
                ("client-assertion.audience", "skipped"),
                ("client-assertion.claims", "skipped"),
                ("client-assertion.alg", "skipped"),
                ("dpop.proof", "pass"),
            ],
        );
        // Levels per policy: SHOULD outside fapi2 for the rows that give only a pass outcome.
        let level = |id: &str| run.result(id).map(|r| r.level.as_str()).unwrap_or_default();
        assert_eq!(level("params.duplicate"), "SHOULD");
        assert_eq!(level("params.unknown-ignored"), "MUST");
    }
}

/// The fapi2 preset, probed as its FAPI client (`private_key_jwt` with the sandbox's client key).
fn fapi2_run(config: SandboxConfig, options: RunOptions) -> grantscope_probe::Run {
    fapi_client_run(config, options, Policy::Fapi2)
}

/// The sandbox-fapi client against `config` under `policy`.
fn fapi_client_run(
    config: SandboxConfig,
    options: RunOptions,
    policy: Policy,
) -> grantscope_probe::Run {
    let keys = tempfile::tempdir().unwrap();
    let sb = Sandbox::start_with(SandboxConfig {
        auto_approve: Some("alice".into()),
        key_dir: Some(keys.path().to_path_buf()),
        ..config
    });
    let profile = Profile {
        issuer: Some(sb.issuer().to_string()),
        client_id: "sandbox-fapi".into(),
        auth_method: Some("private_key_jwt".parse().unwrap()),
        auth: grantscope_core::oauth::client_auth::AuthSettings {
            signing_key: Some("sandbox-jwt".into()),
            ..Default::default()
        },
        scope: Some("openid offline_access".into()),
        redirect_uri: Some("http://127.0.0.1:41013/callback".into()),
        ..Profile::default()
    };
    let store = grantscope_core::keys::KeyStore::new(keys.path().join("clients"));
    let second = SecondClient {
        client_id: "sandbox-web".into(),
        client_secret: Some("sandbox-web-secret".into()),
    };
    let run = common::block_on(run_profile(
        &profile,
        &store,
        Some(second),
        direct(),
        options,
        false,
        policy,
    ));
    println!("{}", table(&run));
    assert_evidence(&run);
    run
}

const ASSERTION_PROBES: &[&str] = &[
    "client-assertion.audience",
    "client-assertion.claims",
    "client-assertion.alg",
];

fn with_switches(mut config: SandboxConfig, switches: &[&str]) -> SandboxConfig {
    for name in switches {
        let switch = grantscope_sandbox::find_switch(name).unwrap();
        (switch.set)(&mut config, true);
    }
    config
}

/// The client-assertion probes with the sandbox's FAPI client (EC key: no RS256 to try). The
/// plain sandbox takes the token endpoint as aud too (RFC 7523's first reading): a warning
/// under bcp, a pass with require-issuer-audience; the assertion switches each change the
/// probe their row names, under the fapi2 preset and policy.
#[test]
fn the_assertion_switches_change_the_client_assertion_probes() {
    let verdicts_of = |config: SandboxConfig, policy: Policy| {
        verdicts(&fapi_client_run(config, only(ASSERTION_PROBES), policy))
    };
    let expect = |got: std::collections::BTreeMap<String, String>, want: [&str; 3]| {
        let got: Vec<&str> = ASSERTION_PROBES
            .iter()
            .map(|id| got.get(*id).map(String::as_str).unwrap_or("-"))
            .collect();
        assert_eq!(got, want.to_vec());
    };
    let plain = SandboxConfig::default();
    expect(
        verdicts_of(plain.clone(), Policy::Bcp),
        ["warn", "pass", "skipped"],
    );
    expect(
        verdicts_of(
            with_switches(plain, &["require-issuer-audience"]),
            Policy::Bcp,
        ),
        ["pass", "pass", "skipped"],
    );
    let fapi = SandboxConfig::fapi2();
    expect(
        verdicts_of(fapi.clone(), Policy::Fapi2),
        ["pass", "pass", "skipped"],
    );
    expect(
        verdicts_of(
            with_switches(fapi.clone(), &["unsafe-accept-wrong-assertion-audience"]),
            Policy::Fapi2,
        ),
        ["fail", "pass", "skipped"],
    );
    for switch in [
        "unsafe-accept-replayed-assertion",
        "unsafe-accept-expired-assertion",
    ] {
        expect(
            verdicts_of(with_switches(fapi.clone(), &[switch]), Policy::Fapi2),
            ["pass", "fail", "skipped"],
        );
    }
}

#[test]
fn the_fapi2_preset_passes_every_new_probe_under_fapi2() {
    let run = fapi2_run(SandboxConfig::fapi2(), RunOptions::default());
    assert_eq!(run.policy, Policy::Fapi2);
    let mut expected: Vec<(&str, &str)> = NEW.iter().map(|id| (*id, "pass")).collect();
    expected.retain(|(id, _)| *id != "client-assertion.alg");
    expected.extend([
        // The FAPI client's key is EC: no RS256 assertion to try.
        ("client-assertion.alg", "skipped"),
        // FAPI 2.0 expects no rotation, so there is no family to revoke.
        ("refresh.rotation", "pass"),
        ("refresh.reuse-revokes-family", "skipped"),
        // private_key_jwt: nothing secret-based to probe.
        ("client-auth.enforced", "skipped"),
        // ES256 only, advertised and used.
        ("jwks.hygiene", "pass"),
        ("pkce.required", "pass"),
        ("pkce.plain", "pass"),
        ("grants.legacy", "pass"),
        ("code.single-use", "pass"),
        ("dpop.enforced", "pass"),
    ]);
    assert_verdicts(&run, &expected);
    for id in NEW.iter().filter(|id| **id != "client-assertion.alg") {
        let level = run.result(id).map(|r| r.level.as_str());
        assert_eq!(level, Some("MUST"), "{id} under fapi2");
    }
}

/// Under fapi2 the plain sandbox fails what FAPI 2.0 requires and the BCP only offers: PAR,
/// sender-constrained tokens, no rotation (its public client's refresh tokens rotate: warn).
#[test]
fn the_plain_sandbox_under_fapi2_fails_par_and_sender_constraint() {
    let sb = Sandbox::start_with(SandboxConfig {
        auto_approve: Some("alice".into()),
        ..SandboxConfig::default()
    });
    let run = common::block_on(run_policy(
        sb.issuer(),
        &NATIVE,
        None,
        direct(),
        only(&[
            "par.required",
            "sender-constraint.required",
            "refresh.rotation",
            "pkce.plain",
            "jwks.hygiene",
        ]),
        false,
        Policy::Fapi2,
    ));
    println!("{}", table(&run));
    assert_evidence(&run);
    assert_verdicts(
        &run,
        &[
            ("par.required", "fail"),
            ("sender-constraint.required", "fail"),
            ("refresh.rotation", "warn"),
            ("pkce.plain", "pass"),
            // RS256 ID tokens and HS* client assertions advertised.
            ("jwks.hygiene", "fail"),
        ],
    );
}

/// The real binary: `--policy fapi2` against the preset, the policy named in the JSON document
/// (top-level `policy`, each result's level per policy), the JUnit file and the HTML report;
/// an unknown policy is a usage error.
#[test]
fn the_binary_names_the_policy_in_every_report() {
    let keys = tempfile::tempdir().unwrap();
    let sb = Sandbox::start_with(SandboxConfig {
        auto_approve: Some("alice".into()),
        key_dir: Some(keys.path().to_path_buf()),
        ..SandboxConfig::fapi2()
    });
    let out_dir = tempfile::tempdir().unwrap();
    let junit = out_dir.path().join("probes.xml");
    let html = out_dir.path().join("probes.html");
    let key_file = keys.path().join("clients").join("sandbox-jwt.key.pem");
    assert!(key_file.exists(), "{}", key_file.display());
    let key_arg = key_file.display().to_string();
    let out = Grantscope::new([
        "probe",
        "--issuer",
        sb.issuer(),
        "--client-id",
        "sandbox-fapi",
        "--auth-method",
        "private_key_jwt",
        "--signing-key",
        &key_arg,
        "--scope",
        "openid offline_access",
        "--redirect-uri",
        "http://127.0.0.1:41014/callback",
        "--no-browser",
        "--policy",
        "fapi2",
        "--only",
        "par.required,sender-constraint.required,refresh.rotation",
        "--json",
        "--junit",
        junit.to_str().unwrap(),
        "--report",
        html.to_str().unwrap(),
    ])
    .config_dir(keys.path())
    .run(Duration::from_secs(120))
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.code(), 0, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("plan: policy fapi2"), "{}", out.stderr);
    let doc = out.json().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(doc["policy"], "fapi2", "{doc:#}");
    let results = doc["results"].as_array().cloned().unwrap_or_default();
    let by_id = |id: &str| {
        results
            .iter()
            .find(|r| r["id"] == id)
            .cloned()
            .unwrap_or_default()
    };
    assert_eq!(by_id("par.required")["verdict"], "pass", "{doc:#}");
    assert_eq!(by_id("par.required")["level"], "MUST", "{doc:#}");
    assert_eq!(by_id("sender-constraint.required")["verdict"], "pass");
    assert_eq!(by_id("refresh.rotation")["verdict"], "pass");
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(
        xml.contains("<property name=\"policy\" value=\"fapi2\"/>"),
        "{xml}"
    );
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.contains("policy <code>fapi2</code>"), "{page}");

    let bad = Grantscope::new([
        "probe",
        "--issuer",
        sb.issuer(),
        "--client-id",
        "sandbox-fapi",
        "--policy",
        "fapi",
    ])
    .config_dir(keys.path())
    .run(Duration::from_secs(60))
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(bad.code(), 2, "{}", bad.stderr);
    assert!(
        bad.stderr.contains("bcp, oauth2.1 and fapi2"),
        "{}",
        bad.stderr
    );
}

/// oidc-provider as a FAPI 2.0 server (`FAPI2=1`: its `fapi` feature with profile '2.0', PAR
/// required, no refresh rotation, FAPI algorithms) with a `private_key_jwt` client registered
/// with `dpop_bound_access_tokens` (its key generated here), probed with `--policy fapi2`. The
/// verdicts are what it enforces, measured and asserted.
#[test]
fn oidc_provider_as_a_fapi2_server_under_fapi2() {
    use common::{Provider, TEST_PASSWORD, TEST_USER};
    use grantscope_core::keys::{GenerateType, KeyStore, PrivateKey};
    use std::sync::Arc;

    let keys_dir = tempfile::tempdir().unwrap();
    let store = KeyStore::new(keys_dir.path());
    let key = PrivateKey::generate(GenerateType::EcP256).unwrap();
    store.save("fapi", &key, &[]).unwrap();
    let jwks = store.load("fapi").unwrap().public_jwks();
    let client = |id: &str, port: u16| {
        serde_json::json!({
            "client_id": id,
            "token_endpoint_auth_method": "private_key_jwt",
            "token_endpoint_auth_signing_alg": "ES256",
            "id_token_signed_response_alg": "ES256",
            "authorization_signed_response_alg": "ES256",
            "dpop_bound_access_tokens": true,
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
            "redirect_uris": [format!("http://127.0.0.1:{port}/callback")],
            "jwks": jwks,
        })
    };
    let extra =
        serde_json::json!([client("fapi", 41021), client("fapi-second", 41022)]).to_string();
    let provider = Provider::start_with(&[("FAPI2", "1"), ("EXTRA_CLIENTS", extra.as_str())]);
    let issuer = provider.issuer().to_string();
    let profile = Profile {
        issuer: Some(issuer.clone()),
        client_id: "fapi".into(),
        auth_method: Some("private_key_jwt".parse().unwrap()),
        auth: grantscope_core::oauth::client_auth::AuthSettings {
            signing_key: Some("fapi".into()),
            ..Default::default()
        },
        scope: Some("openid offline_access".into()),
        redirect_uri: Some("http://127.0.0.1:41021/callback".into()),
        ..Profile::default()
    };
    // The second client authenticates with the same key (registered for it too).
    let second = SecondClient {
        client_id: "fapi-second".into(),
        client_secret: None,
    };
    let driver = Arc::new(ScriptedBrowser::new(&issuer, TEST_USER, TEST_PASSWORD));
    let run = common::block_on(run_profile(
        &profile,
        &store,
        Some(second),
        driver,
        RunOptions::default(),
        false,
        Policy::Fapi2,
    ));
    println!("{}", table(&run));
    assert_evidence(&run);
    assert_eq!(run.policy, Policy::Fapi2);
    let mut expected: Vec<(&str, &str)> = NEW.iter().map(|id| (*id, "pass")).collect();
    expected.retain(|(id, _)| *id != "client-assertion.alg");
    expected.extend([
        // The client's key is EC: no RS256 assertion to try.
        ("client-assertion.alg", "skipped"),
        ("pkce.required", "pass"),
        ("pkce.verifier-checked", "pass"),
        // FAPI 2.0 requires PKCE: no code without a challenge, nothing to downgrade.
        ("pkce.downgrade", "inconclusive"),
        ("pkce.verifier-omitted", "pass"),
        ("pkce.plain", "pass"),
        ("pkce.verifier-format", "pass"),
        ("code.single-use", "pass"),
        ("code.reuse-revokes", "pass"),
        ("code.race", "pass"),
        // One registered redirect URI: a token request that omits it is accepted.
        ("code.redirect-bound", "warn"),
        ("redirect.exact", "pass"),
        // FAPI 2.0 compares redirect URIs exactly, loopback ports included.
        ("redirect.loopback-port", "info"),
        ("redirect.no-open-redirect", "pass"),
        ("state.echo", "pass"),
        ("iss.response", "pass"),
        // rotateRefreshToken is off under FAPI2=1: what fapi2 expects.
        ("refresh.rotation", "pass"),
        ("refresh.reuse-revokes-family", "skipped"),
        ("refresh.client-bound", "pass"),
        ("client-auth.enforced", "skipped"),
        ("grants.legacy", "pass"),
        ("transport.https", "inconclusive"),
        ("token.lifetimes", "pass"),
        // ES256 only (enabledJWA), advertised and used.
        ("jwks.hygiene", "pass"),
        ("headers", "pass"),
        ("dpop.enforced", "pass"),
    ]);
    assert_verdicts(&run, &expected);
    assert_eq!(run.results.len(), expected.len(), "{}", table(&run));
}
