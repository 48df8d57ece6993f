//! The API probes (`grantscope probe --api`, PROBES.md "API probes") through the real binary
//! against the sandbox's protected resource: with no switch every probe passes or is skipped
//! for its stated reason; with each teaching switch of the API probes exactly the probes its
//! row of the switch table names change, as the test says (fail, or warn); a baseline that does
//! not hold ends the run with exit 1 and every probe that sends something inconclusive.
//!
//! The tokens: the genuine one from the client credentials grant (`grantscope token`), one for
//! another audience (`--resource`), an ID token from the code flow (the sandbox approves at
//! once), and an expired one signed with the sandbox's own key file (the test plays the issuer
//! that issued it an hour ago: every claim of a genuine token, `exp` in the past).

use crate::common;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::OnceLock;
use std::time::Duration;

use common::Sandbox;
use common::cli::Grantscope;
use grantscope_sandbox::{SandboxConfig, find_switch};
use serde_json::Value;

const MACHINE: (&str, &str) = ("sandbox-machine", "sandbox-machine-secret");
const TIMEOUT: Duration = Duration::from_secs(120);

/// A sandbox with its key directory where the test can read it.
struct Lab {
    sandbox: Sandbox,
    keys: tempfile::TempDir,
}

fn lab(switches: &[&str]) -> Lab {
    let keys = tempfile::tempdir().unwrap();
    let mut config = SandboxConfig {
        auto_approve: Some("alice".into()),
        key_dir: Some(keys.path().to_path_buf()),
        ..SandboxConfig::default()
    };
    for name in switches {
        let switch = find_switch(name).unwrap_or_else(|| panic!("no switch {name}"));
        (switch.set)(&mut config, true);
    }
    Lab {
        sandbox: Sandbox::start_with(config),
        keys,
    }
}

fn client_credentials(issuer: &str, extra: &[&str], config: Option<&Path>) -> String {
    let mut args = vec![
        "token",
        "client-credentials",
        "--issuer",
        issuer,
        "--client-id",
        MACHINE.0,
        "--client-secret",
        MACHINE.1,
        "--json",
    ];
    args.extend_from_slice(extra);
    let mut cmd = Grantscope::new(args);
    if let Some(dir) = config {
        cmd = cmd.config_dir(dir);
    }
    let out = cmd.run(TIMEOUT).unwrap();
    assert_eq!(out.code(), 0, "{}\n{}", out.stdout, out.stderr);
    common::access_token_of(&out.json().unwrap())
}

/// An ID token from the code flow (the sandbox approves at once: the redirect is read, not
/// followed).
fn id_token(issuer: &str) -> String {
    let (verifier, challenge) = common::pkce_pair();
    let redirect = "http://127.0.0.1:41000/callback";
    let url = common::authorize_url(
        &format!("{issuer}/authorize"),
        &[
            ("response_type", "code"),
            ("client_id", "sandbox-native"),
            ("redirect_uri", redirect),
            ("scope", "openid"),
            ("state", "s"),
            ("nonce", "n"),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
        ],
    )
    .unwrap();
    let location = common::block_on(async move {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .build()
            .unwrap();
        let resp = client.get(&url).send().await.unwrap();
        resp.headers()
            .get("location")
            .and_then(|l| l.to_str().ok())
            .map(str::to_string)
            .unwrap_or_else(|| panic!("no redirect from the auto-approving sandbox"))
    });
    let code = common::query_param(&location, "code").unwrap_or_else(|| panic!("{location}"));
    let (status, json) = common::post_form(
        &format!("{issuer}/token"),
        None,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", redirect),
            ("client_id", "sandbox-native"),
            ("code_verifier", &verifier),
        ],
    )
    .unwrap();
    assert_eq!(status, 200, "{json}");
    json["id_token"].as_str().unwrap().to_string()
}

/// A genuine token's header and claims, `exp` an hour ago, signed with the sandbox's RS256
/// key file.
fn expired_like(genuine: &str, key_dir: &Path) -> String {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let mut parts = genuine.split('.');
    let header: serde_json::Map<String, Value> =
        serde_json::from_slice(&b64.decode(parts.next().unwrap()).unwrap()).unwrap();
    let mut claims: Value =
        serde_json::from_slice(&b64.decode(parts.next().unwrap()).unwrap()).unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    claims["iat"] = (now - 7200).into();
    claims["nbf"] = (now - 7200).into();
    claims["exp"] = (now - 3600).into();
    claims["jti"] = "expired-by-the-test".into();
    let der = std::fs::read(key_dir.join("rs256.pk8")).unwrap();
    let key = grantscope_core::keys::PrivateKey::from_pkcs8_der(&der).unwrap();
    grantscope_core::keys::sign_compact(
        &header,
        &claims,
        grantscope_core::keys::Signer::Key(&key),
        grantscope_core::keys::JwsAlg::Rs256,
    )
    .unwrap()
}

/// Runs the API catalogue against `lab`'s resource with every input given; `dpop` presents a
/// DPoP-bound token (the stored key `dpop-key`). Returns the JSON document and the exit code.
fn run_api(lab: &Lab, dpop: bool) -> (Value, i32) {
    let issuer = lab.sandbox.issuer().to_string();
    let config = dpop.then(common::config_with_dpop_key);
    let config_path = config.as_ref().map(|c| c.path());
    let genuine = if dpop {
        client_credentials(&issuer, &["--dpop-key", "dpop-key"], config_path)
    } else {
        client_credentials(&issuer, &[], None)
    };
    let other = client_credentials(&issuer, &["--resource", "https://other.example/api"], None);
    let id = id_token(&issuer);
    let expired = expired_like(&genuine, lab.keys.path());
    let api = format!("{issuer}/api/resource");
    let mut args: Vec<String> = [
        "probe",
        "--api",
        &api,
        "--token",
        &genuine,
        "--issuer",
        &issuer,
        "--expired-token",
        &expired,
        "--other-audience-token",
        &other,
        "--id-token",
        &id,
        "--json",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    if dpop {
        args.extend(["--dpop-key".to_string(), "dpop-key".to_string()]);
    }
    let mut cmd = Grantscope::new(args);
    if let Some(dir) = config_path {
        cmd = cmd.config_dir(dir);
    }
    let out = cmd.run(TIMEOUT).unwrap();
    let doc = out
        .json()
        .unwrap_or_else(|e| panic!("{e:#}\nexit {}", out.code()));
    (doc, out.code())
}

fn verdicts(doc: &Value) -> BTreeMap<String, String> {
    doc["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["id"].as_str().unwrap().to_string(),
                r["verdict"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn result<'a>(doc: &'a Value, id: &str) -> &'a Value {
    doc["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == id)
        .unwrap_or_else(|| panic!("no result {id}"))
}

/// Every API probe of the catalogue, in its order.
fn catalogue() -> Vec<&'static str> {
    grantscope_probe::API_PROBES.iter().map(|p| p.id).collect()
}

/// The no-switch run, once per token kind.
fn baseline(dpop: bool) -> &'static BTreeMap<String, String> {
    static BEARER: OnceLock<BTreeMap<String, String>> = OnceLock::new();
    static DPOP: OnceLock<BTreeMap<String, String>> = OnceLock::new();
    let cell = if dpop { &DPOP } else { &BEARER };
    cell.get_or_init(|| {
        let lab = lab(&[]);
        let (doc, code) = run_api(&lab, dpop);
        assert_eq!(code, 0, "{doc:#}");
        verdicts(&doc)
    })
}

/// Turns `name` on and asserts: each probe its row names passed without it and now has the
/// verdict `changed` gives it; every other probe kept its verdict.
fn api_switch_changes(name: &str, dpop: bool, changed: &[(&str, &str)]) -> Value {
    let switch = find_switch(name).unwrap_or_else(|| panic!("no switch {name}"));
    let api_rows: Vec<&str> = switch
        .probes
        .iter()
        .copied()
        .filter(|p| p.starts_with("api."))
        .collect();
    let mut named: Vec<&str> = changed.iter().map(|(id, _)| *id).collect();
    named.sort_unstable();
    let mut rows = api_rows.clone();
    rows.sort_unstable();
    assert_eq!(
        named, rows,
        "the table's row for {name} and the test disagree"
    );
    let base = baseline(dpop);
    let lab = lab(&[name]);
    let (doc, code) = run_api(&lab, dpop);
    let now = verdicts(&doc);
    for id in catalogue() {
        let before = base.get(id).map(String::as_str);
        let after = now.get(id).map(String::as_str);
        match changed.iter().find(|(c, _)| *c == id) {
            Some((_, want)) => {
                assert_eq!(before, Some("pass"), "{id} must pass with no switch");
                assert_eq!(
                    after,
                    Some(*want),
                    "{name}: {id}: {}",
                    result(&doc, id)["reason"]
                );
                // The evidence: the request that was accepted (for api.challenge: the 401
                // without a challenge).
                let r = result(&doc, id);
                let status = if id == "api.challenge" { 401 } else { 200 };
                assert!(
                    r["exchanges"].as_array().is_some_and(|e| e
                        .iter()
                        .any(|x| x["response"]["status"].as_u64() == Some(status))),
                    "{id}: no HTTP {status} in its evidence: {r:#}"
                );
            }
            None => assert_eq!(
                after,
                before,
                "{name} changed {id}: {}",
                result(&doc, id)["reason"]
            ),
        }
    }
    let fails = changed.iter().any(|(_, v)| *v == "fail");
    assert_eq!(code, if fails { 1 } else { 0 }, "{doc:#}");
    assert_masked(&doc);
    doc
}

/// No token of the run appears in clear in the document; each sent token is shown decoded.
fn assert_masked(doc: &Value) {
    for r in doc["results"].as_array().unwrap() {
        for e in r["exchanges"].as_array().unwrap() {
            let auth = e["request"]["headers"]["authorization"]
                .as_str()
                .or_else(|| e["request"]["headers"]["Authorization"].as_str())
                .unwrap_or("");
            assert!(!auth.contains("eyJ"), "a token in clear: {e:#}");
            let url = e["request"]["url"].as_str().unwrap_or("");
            assert!(!url.contains("eyJ"), "a token in clear in the URL: {url}");
            if !auth.is_empty() {
                assert!(
                    e["decoded"]["token"].is_object(),
                    "not shown decoded: {e:#}"
                );
            }
        }
    }
}

#[test]
fn with_no_switch_every_api_probe_passes_or_is_skipped_for_its_reason() {
    let lab = lab(&[]);
    let (doc, code) = run_api(&lab, false);
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(doc["api"], format!("{}/api/resource", lab.sandbox.issuer()));
    assert!(doc.get("issuer").is_none());
    assert_eq!(doc["baseline"]["holds"], true, "{doc:#}");
    let v = verdicts(&doc);
    assert_eq!(
        v.keys().cloned().collect::<Vec<_>>().len(),
        catalogue().len()
    );
    for id in catalogue() {
        let r = result(&doc, id);
        match id {
            "api.dpop-as-bearer" => {
                assert_eq!(r["verdict"], "skipped");
                assert!(
                    r["reason"].as_str().unwrap().contains("not DPoP-bound"),
                    "{r}"
                );
            }
            "api.weak-hmac-secret" => {
                assert_eq!(r["verdict"], "skipped");
                assert!(r["reason"].as_str().unwrap().contains("RS256"), "{r}");
            }
            _ => assert_eq!(r["verdict"], "pass", "{id}: {}", r["reason"]),
        }
        for key in [
            "id",
            "title",
            "level",
            "ref",
            "verdict",
            "reason",
            "elapsed_ms",
            "exchanges",
        ] {
            assert!(r.get(key).is_some(), "{id} has no {key}");
        }
    }
    assert_eq!(result(&doc, "api.token-in-query")["level"], "SHOULD");
    assert_eq!(result(&doc, "api.challenge")["level"], "SHOULD");
    assert_eq!(result(&doc, "api.alg-none")["level"], "MUST");
    let jku = result(&doc, "api.jku")["reason"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(jku.contains("never fetched"), "{jku}");
    // Every forged token is shown decoded in its exchange.
    let none = &result(&doc, "api.alg-none")["exchanges"][0];
    assert!(
        none["decoded"]["token"]["header"]["alg"]
            .as_str()
            .is_some_and(|a| a.eq_ignore_ascii_case("none")),
        "{none:#}"
    );
    assert_masked(&doc);
    // A DPoP-bound token: api.dpop-as-bearer runs and passes; nothing else changes.
    let dpop = baseline(true);
    for id in catalogue() {
        let want = if id == "api.dpop-as-bearer" {
            "pass"
        } else {
            v[id].as_str()
        };
        assert_eq!(
            dpop.get(id).map(String::as_str),
            Some(want),
            "{id} with DPoP"
        );
    }
}

#[test]
fn a_baseline_that_does_not_hold_exits_1_and_decides_nothing() {
    let lab = lab(&[]);
    let issuer = lab.sandbox.issuer();
    let out = Grantscope::new([
        "probe",
        "--api",
        &format!("{issuer}/api/resource"),
        "--token",
        "not-a-token-the-sandbox-issued",
        "--json",
    ])
    .run(TIMEOUT)
    .unwrap();
    assert_eq!(out.code(), 1, "{}\n{}", out.stdout, out.stderr);
    let doc = out.json().unwrap();
    assert_eq!(doc["baseline"]["holds"], false);
    assert!(
        doc["baseline"]["reason"]
            .as_str()
            .unwrap()
            .contains("the genuine token (Bearer) is not accepted (HTTP 401)"),
        "{doc:#}"
    );
    for r in doc["results"].as_array().unwrap() {
        let verdict = r["verdict"].as_str().unwrap();
        assert!(
            matches!(verdict, "inconclusive" | "skipped"),
            "{}: {verdict}",
            r["id"]
        );
        if verdict == "inconclusive" {
            assert!(
                r["reason"]
                    .as_str()
                    .unwrap()
                    .contains("baseline did not hold")
            );
        }
    }
    assert!(result(&doc, "api.challenge")["verdict"] == "inconclusive");
}

#[test]
fn api_flags_without_api_are_a_usage_error() {
    let out = Grantscope::new([
        "probe",
        "--issuer",
        "http://127.0.0.1:9",
        "--expired-token",
        "x",
    ])
    .run(TIMEOUT)
    .unwrap();
    assert_eq!(out.code(), 2, "{}", out.stderr);
    assert!(out.stderr.contains("--expired-token"), "{}", out.stderr);
    let out = Grantscope::new([
        "probe",
        "--api",
        "http://127.0.0.1:9/api",
        "--token",
        "t",
        "--only",
        "pkce.required",
    ])
    .run(TIMEOUT)
    .unwrap();
    assert_eq!(out.code(), 2, "{}", out.stderr);
    assert!(out.stderr.contains("api.alg-none"), "{}", out.stderr);
}

#[test]
fn accept_query_token_warns_token_in_query() {
    api_switch_changes(
        "unsafe-accept-query-token",
        false,
        &[("api.token-in-query", "warn")],
    );
}

#[test]
fn no_challenge_warns_challenge() {
    api_switch_changes("unsafe-no-challenge", false, &[("api.challenge", "warn")]);
}

#[test]
fn ignore_exp_fails_expired() {
    api_switch_changes("unsafe-ignore-exp", false, &[("api.expired", "fail")]);
}

#[test]
fn ignore_audience_fails_audience() {
    api_switch_changes("unsafe-ignore-audience", false, &[("api.audience", "fail")]);
}

#[test]
fn accept_id_tokens_fails_id_token() {
    api_switch_changes(
        "unsafe-accept-id-tokens",
        false,
        &[("api.id-token", "fail")],
    );
}

#[test]
fn dpop_token_as_bearer_fails_dpop_as_bearer() {
    api_switch_changes(
        "unsafe-dpop-token-as-bearer",
        true,
        &[("api.dpop-as-bearer", "fail")],
    );
}

#[test]
fn accept_alg_none_fails_alg_none() {
    api_switch_changes("unsafe-accept-alg-none", false, &[("api.alg-none", "fail")]);
}

#[test]
fn skip_token_signature_fails_every_forgery() {
    api_switch_changes(
        "unsafe-skip-token-signature",
        false,
        &[
            ("api.alg-none", "fail"),
            ("api.signature-stripped", "fail"),
            ("api.signature-invalid", "fail"),
            ("api.claims-tampered", "fail"),
            ("api.hmac-key-confusion", "fail"),
            ("api.embedded-jwk", "fail"),
            ("api.jku", "fail"),
            ("api.x5u", "fail"),
            ("api.kid-injection", "fail"),
            ("api.psychic-signature", "fail"),
            ("api.foreign-issuer", "fail"),
        ],
    );
}

#[test]
fn hmac_key_confusion_switch_fails_hmac_key_confusion() {
    api_switch_changes(
        "unsafe-hmac-key-confusion",
        false,
        &[("api.hmac-key-confusion", "fail")],
    );
}

#[test]
fn trust_header_jwk_fails_embedded_jwk() {
    api_switch_changes(
        "unsafe-trust-header-jwk",
        false,
        &[("api.embedded-jwk", "fail")],
    );
}

#[test]
fn follow_jku_fails_jku_and_says_it_was_fetched() {
    let doc = api_switch_changes("unsafe-follow-jku", false, &[("api.jku", "fail")]);
    let reason = result(&doc, "api.jku")["reason"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(reason.contains("fetched the attacker's JWKS"), "{reason}");
}

/// Every switch whose row names an API probe has its test above (one per switch).
#[test]
fn every_api_switch_is_tested() {
    const TESTED: &[&str] = &[
        "unsafe-accept-alg-none",
        "unsafe-skip-token-signature",
        "unsafe-hmac-key-confusion",
        "unsafe-trust-header-jwk",
        "unsafe-follow-jku",
        "unsafe-accept-query-token",
        "unsafe-no-challenge",
        "unsafe-ignore-exp",
        "unsafe-ignore-audience",
        "unsafe-accept-id-tokens",
        "unsafe-dpop-token-as-bearer",
    ];
    let mut rows: Vec<&str> = grantscope_sandbox::SWITCHES
        .iter()
        .filter(|s| s.probes.iter().any(|p| p.starts_with("api.")))
        .map(|s| s.name)
        .collect();
    rows.sort_unstable();
    let mut tested = TESTED.to_vec();
    tested.sort_unstable();
    assert_eq!(tested, rows);
}

/// `api.weak-hmac-secret` is offline: an HS256 token signed with jwt.io's example secret fails
/// it, with the secret masked, even where nothing answers (no request is sent: the baseline
/// does not run for an offline probe alone).
#[test]
fn a_common_hmac_secret_fails_offline_and_is_shown_masked() {
    let secret = "your-256-bit-secret";
    let token = grantscope_core::keys::sign_compact(
        &serde_json::Map::new(),
        &serde_json::json!({"sub": "a", "exp": 4102444800u64}),
        grantscope_core::keys::Signer::Secret(secret.as_bytes()),
        grantscope_core::keys::JwsAlg::Hs256,
    )
    .unwrap();
    let out = Grantscope::new([
        "probe",
        "--api",
        "http://127.0.0.1:9/nothing-listens-here",
        "--token",
        &token,
        "--only",
        "api.weak-hmac-secret",
        "--json",
    ])
    .run(TIMEOUT)
    .unwrap();
    assert_eq!(out.code(), 1, "{}\n{}", out.stdout, out.stderr);
    let doc = out.json().unwrap();
    let r = result(&doc, "api.weak-hmac-secret");
    assert_eq!(r["verdict"], "fail", "{r:#}");
    let reason = r["reason"].as_str().unwrap();
    assert!(
        reason.contains("entry 1 of the built-in list (jwt.io's HS256 example)"),
        "{reason}"
    );
    assert!(!reason.contains(secret), "the secret in clear: {reason}");
    assert!(!out.stdout.contains(secret) && !out.stderr.contains(secret));
    assert!(doc.get("baseline").is_none_or(Value::is_null), "{doc:#}");
    assert_eq!(r["exchanges"].as_array().map(Vec::len), Some(0));
}
