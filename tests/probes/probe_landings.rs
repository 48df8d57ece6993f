//! The whole probe catalogue on the tester's real path: the real binary with `--no-browser`,
//! each `authorize: URL` line followed by a scripted browser from outside (login form, consent)
//! and the redirect delivered to wherever the server sent it, as a browser does, against
//! oidc-provider's public native client and the sandbox's confidential web client. Every
//! landing a probe provokes (another port, another loopback host) has a listener by the time
//! its URL is printed, or the probe says at once why it cannot, so no login waits out its
//! timeout and nothing is inconclusive for a redirect that never came back.

use crate::common;

use std::time::{Duration, Instant};

use common::{TEST_USER, TestClient, TestProvider};

/// Runs `probe` for `client` at `p`, playing the browser for every authorize line; returns the
/// JSON report and the logins made.
fn drive(p: &dyn TestProvider, client: &TestClient, extra: &[&str]) -> (serde_json::Value, usize) {
    let dir = tempfile::tempdir().unwrap();
    let issuer = p.issuer();
    let mut args: Vec<String> = vec!["probe".into(), "--issuer".into(), issuer.clone()];
    args.extend(client.cli_args());
    args.extend(
        ["--no-browser", "--json", "--login-timeout", "120"]
            .iter()
            .chain(extra)
            .map(|s| s.to_string()),
    );
    let started = Instant::now();
    let mut running = common::cli::Grantscope::new(args)
        .config_dir(dir.path())
        .spawn()
        .unwrap();
    let mut logins = 0;
    while let Ok(url) = running.wait_for_stderr("authorize: ", Duration::from_secs(60)) {
        let redirect = p
            .complete_login(&url, TEST_USER)
            .unwrap_or_else(|e| panic!("login for {url}: {e}"));
        // The browser lands wherever the server sent it: it must be heard there.
        let delivered = common::deliver_redirect(&redirect);
        assert!(
            delivered.is_ok(),
            "the redirect to {redirect} could not be delivered (nothing listening?): {delivered:?}"
        );
        logins += 1;
    }
    let out = running.wait(Duration::from_secs(120)).unwrap();
    assert!(out.code() <= 1, "{}\n{}", out.stdout, out.stderr);
    // Only real URLs follow "authorize:" (the plan's own words named it too).
    for line in out.stderr.lines().filter(|l| l.contains("authorize:")) {
        assert!(line.starts_with("authorize: http"), "{line}");
    }
    eprintln!(
        "{} / {}: whole catalogue in {:.1} s with {logins} logins",
        p.name(),
        client.id,
        started.elapsed().as_secs_f64()
    );
    (out.json().unwrap(), logins)
}

/// No probe is left inconclusive because a redirect never came back.
fn assert_every_landing_came_back(doc: &serde_json::Value) {
    let results = doc["results"].as_array().unwrap();
    assert!(results.len() > 20, "{doc:#}");
    for r in results {
        let reason = r["reason"].as_str().unwrap_or_default();
        assert!(
            !(r["verdict"] == "inconclusive" && reason.contains("no redirect came back")),
            "{}: {reason}",
            r["id"]
        );
    }
}

#[test]
fn the_whole_catalogue_through_authorize_lines_at_oidc_provider() {
    let p = common::Provider::start();
    let client = p.native_client();
    let (doc, logins) = drive(&p, &client, &["--scope", "openid offline_access"]);
    assert!(logins > 10, "{logins}");
    assert_every_landing_came_back(&doc);
    let port = doc["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "redirect.loopback-port")
        .cloned()
        .unwrap();
    assert_eq!(port["verdict"], "pass", "{port:#}");
}

#[test]
fn the_whole_catalogue_through_authorize_lines_at_the_sandbox_web_client() {
    let sb = common::Sandbox::start();
    let client = sb.web_client().unwrap();
    let (doc, logins) = drive(&sb, &client, &["--scope", "openid offline_access"]);
    assert!(logins > 10, "{logins}");
    assert_every_landing_came_back(&doc);
}

/// A client the server refuses at the authorization endpoint (oidc-provider's
/// client_credentials-only `machine-basic`): one look before the run, then every probe that
/// logs in is skipped with that reason, and no login is asked for (22 probes ended
/// inconclusive on the same error page before).
#[test]
fn a_client_refused_at_the_authorization_endpoint_skips_the_login_probes_at_once() {
    let p = common::Provider::start();
    let client = p.machine_client();
    let (doc, logins) = drive(&p, &client, &[]);
    assert_eq!(logins, 0, "no login asked for");
    let results = doc["results"].as_array().unwrap();
    let refused: Vec<&serde_json::Value> = results
        .iter()
        .filter(|r| {
            r["verdict"] == "skipped"
                && r["reason"]
                    .as_str()
                    .unwrap_or_default()
                    .contains("refused this client's authorization request before any login")
        })
        .collect();
    assert!(refused.len() > 15, "{doc:#}");
    let inconclusive = results
        .iter()
        .filter(|r| r["verdict"] == "inconclusive")
        .count();
    assert!(inconclusive <= 3, "{doc:#}");
}
