//! Drives the token inspector's lifecycle lab in the real app, headless (egui_kittest), against
//! the sandbox: Watch with a mid-way revocation until the server rejects the token, and
//! Auto-refresh of an authorization-code token set until a refresh rotates the refresh token.
//! Each test has its own config dir (tempdir). Deadlines only bound a hung test; nothing
//! asserts on time.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::gui_support;

use std::time::Duration;

use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use grantscope_core::profile::{Profile, ProfileStore};
use grantscope_gui::{AppOptions, GrantscopeApp, Screen};
use grantscope_sandbox::SandboxConfig;
use gui_support::{harness, run_until_authorize_url, step_until, walk};

/// Opens the flow's access token in the inspector.
fn inspect_access_token(h: &mut Harness<'static, GrantscopeApp>) {
    h.get_by_label("Inspect access token").click();
    step_until(h, "the inspection", |h| {
        h.state().screen() == Screen::Inspector
            && h.state().inspector().inspection().is_some()
            && !h.state().inspector().pending()
    });
}

#[test]
fn watch_revokes_and_measures_when_the_server_rejects() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(AppOptions::new(dir.path()));
    walk(&mut h, &["No", "A Machine"]);
    h.get_by_label("Run").click();
    step_until(&mut h, "the token response", |h| {
        h.state().flow().run().is_some_and(|r| !r.running())
    });
    h.get_by_label("Tokens received");
    inspect_access_token(&mut h);
    assert!(h.state().inspector().inspection().unwrap().valid);

    // Revoking is off by default; auto-refresh is not offered without a refresh token.
    assert!(
        h.state()
            .inspector()
            .watch()
            .options()
            .revoke_after
            .is_none()
    );
    assert!(h.state().inspector().refresh_token.is_none());
    assert!(
        h.query_by_label_contains("No refresh token came with this token")
            .is_some()
    );

    h.get_by_label("Probe every").set_value_accesskit(0.2);
    h.step();
    h.get_by_label("Revoke it mid-way").click();
    h.step();
    h.get_by_label("Revoke after").set_value_accesskit(0.5);
    h.step();
    let opts = h.state().inspector().watch().options();
    assert_eq!(opts.interval, Duration::from_millis(200));
    assert_eq!(opts.revoke_after, Some(Duration::from_millis(500)));

    let history_before = h.state().history().len();
    h.get_by_label("Start watch").click();
    h.step();
    assert!(h.state().inspector().watch().running());
    h.step();
    h.get_by_label("Stop watch");
    // Said at the top as well, with its way out (the panel is far down at 150 %).
    h.get_by_label("Watch running (Lifecycle below)");
    h.get_by_label("Stop the watch");
    // What it waits for, its elapsed time and its limit.
    h.get_by_label_contains("waiting for the server to reject the token: asking every 0.2 s");
    // The limit: exp + 2 min, as the command line (not a fixed hour).
    assert!(h.query_by_label_contains("of at most 1:00:00").is_none());
    h.get_by_label_contains("of at most ");
    step_until(&mut h, "the watch summary", |h| {
        h.state().inspector().watch().report().is_some()
            || h.state().inspector().watch().error().is_some()
    });
    let watch = h.state().inspector().watch();
    assert_eq!(watch.error(), None);
    let report = watch.report().unwrap();
    assert!(report.revoked_at_ms.is_some());
    assert!(report.first_rejected_ms.is_some());
    let summary = report.summary();
    assert!(summary.starts_with("revoked at"), "{summary}");
    // The watch's revocation is the inspector's too: the headline says so and the countdown
    // stops, as after the Revoke button.
    let now = grantscope_core::timefmt::now_unix();
    let headline = h.state().inspector().headline(now).unwrap();
    assert_eq!(headline.text, "REVOKED", "{headline:?}");
    assert!(
        h.state().inspector().next_wake(now) != Some(now + 1),
        "no countdown ticking for a revoked token"
    );
    // On screen: the summary, the revocation row and a rejected probe.
    h.get_by_label(&summary);
    assert!(h.query_all_by_label("REVOKED ").next().is_some());
    assert!(h.query_all_by_label("REJECTED").next().is_some());
    assert!(h.query_all_by_label("accepted").next().is_some());
    h.get_by_label("Start watch");
    // The probes and the revocation are in the history, as they happened.
    let steps: Vec<&str> = h
        .state()
        .history()
        .entries()
        .iter()
        .map(|e| e.step.as_str())
        .collect();
    assert!(h.state().history().len() > history_before + 2);
    assert!(steps.contains(&"revocation"), "{steps:?}");
    assert!(steps.contains(&"introspection"), "{steps:?}");
}

#[test]
fn watch_without_a_profile_endpoint_shows_the_error_inline() {
    let dir = tempfile::tempdir().unwrap();
    // A profile that names no issuer and no endpoints.
    let store = ProfileStore::at(dir.path().join("profiles"));
    let mut p = Profile::new("Bare");
    p.client_id = "someone".into();
    store.save(&p).unwrap();
    std::fs::write(
        dir.path().join("gui.json"),
        r#"{"screen":"inspector","active_profile":"Bare","sandbox_profile_created":true}"#,
    )
    .unwrap();
    let mut options = AppOptions::new(dir.path());
    options.start_screen = Some(Screen::Inspector);
    let mut h = harness(options);
    step_until(&mut h, "the profile list", |h| {
        h.state().profiles().get("Bare").is_some()
    });
    h.event(egui::Event::Paste("an-opaque-access-token".into()));
    step_until(&mut h, "the inspection", |h| {
        h.state().inspector().inspection().is_some() && !h.state().inspector().pending()
    });
    // A pasted token goes to no server until the user picks one.
    assert!(h.get_by_label("Start watch").accesskit_node().is_disabled());
    h.get_by_label("Against profile Bare").click();
    step_until(&mut h, "the inspection against Bare", |h| {
        !h.state().inspector().pending()
    });
    h.get_by_label("Start watch").click();
    step_until(&mut h, "the watch error", |h| {
        h.state().inspector().watch().error().is_some()
    });
    let e = h.state().inspector().watch().error().unwrap().to_owned();
    // The missing endpoint is named by the form field to fill in, not a command-line flag.
    assert!(
        e.contains("fill in one of Introspection endpoint, Userinfo endpoint"),
        "{e}"
    );
    assert!(!e.contains("--"), "{e}");
    h.get_by_label(&e);
    assert!(!h.state().inspector().watch().running());
}

#[test]
fn auto_refresh_rotates_and_replaces_the_inspected_token() {
    let dir = tempfile::tempdir().unwrap();
    // A sandbox with short-lived access tokens, so a refresh comes due quickly; the app's
    // "Local sandbox" profile points at it.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (sandbox, _keys) = rt.block_on(crate::common::sandbox::start_handle(SandboxConfig {
        access_token_ttl: Duration::from_secs(4),
        auto_approve: Some("alice".into()),
        ..SandboxConfig::default()
    }));
    let store = ProfileStore::at(dir.path().join("profiles"));
    let mut p = Profile::new("Local sandbox");
    p.issuer = Some(sandbox.issuer_str().to_owned());
    p.client_id = "sandbox-machine".into();
    p.client_secret = Some("sandbox-machine-secret".into());
    store.save(&p).unwrap();

    let mut h = harness(AppOptions::new(dir.path()));
    walk(&mut h, &["No", "A User", "Server App"]);
    assert_eq!(h.state().flow().profile.client_id, "sandbox-native");
    h.get_by_label("Open the system browser").click();
    h.step();
    let url = run_until_authorize_url(&mut h);
    // The test plays the user-agent: the sandbox approves at once and redirects to the app.
    let browser = rt.spawn(async move { reqwest::get(url).await.map(|r| r.status().as_u16()) });
    step_until(&mut h, "the token response", |h| {
        h.state().flow().run().is_some_and(|r| !r.running())
    });
    assert!(rt.block_on(browser).unwrap().is_ok());
    h.get_by_label("Tokens received");
    inspect_access_token(&mut h);
    let first_token = h.state().inspector().input.clone();
    let first_claims = h.state().inspector().inspection().unwrap().claims.clone();
    assert!(h.state().inspector().refresh_token.is_some());
    assert_eq!(h.state().inspector().keeper().percent_left, 20.0);

    h.get_by_label("refresh when").set_value_accesskit(50.0);
    h.step();
    h.get_by_label("Auto-refresh").click();
    h.step();
    assert!(h.state().inspector().keeper().running());
    step_until(&mut h, "a rotating refresh", |h| {
        let k = h.state().inspector().keeper();
        k.log().iter().any(|e| e.rotated) || k.error().is_some()
    });
    assert_eq!(h.state().inspector().keeper().error(), None);
    step_until(&mut h, "the new token's inspection", |h| {
        let i = h.state().inspector();
        !i.pending() && i.inspection().is_some_and(|ins| ins.claims != first_claims)
    });
    let i = h.state().inspector();
    assert_ne!(
        i.input, first_token,
        "the refreshed access token is inspected"
    );
    assert_eq!(i.keeper().tracking(), Some(i.input.as_str()));
    let (rotated, _) = i.keeper().rotation_counts();
    assert!(rotated >= 1);
    assert!(h.query_all_by_label("ROTATED").next().is_some());
    assert!(
        h.query_by_label_contains("rotated the refresh token")
            .is_some()
    );
    assert!(
        h.state()
            .history()
            .entries()
            .iter()
            .any(|e| e.step == "refresh request")
    );

    // Off: the pending refresh is cancelled and the log stays.
    h.get_by_label("Auto-refresh").click();
    h.step();
    assert!(!h.state().inspector().keeper().running());
    assert!(!h.state().inspector().keeper().log().is_empty());

    // Watch on the refreshed token goes through the client it was issued to (sandbox-native,
    // the flow's profile), not the active profile's client: the revocation is accepted.
    h.get_by_label("Probe every").set_value_accesskit(0.2);
    h.get_by_label("Revoke it mid-way").click();
    h.step();
    h.get_by_label("Revoke after").set_value_accesskit(0.3);
    h.step();
    h.get_by_label("Start watch").click();
    step_until(&mut h, "the watch summary", |h| {
        let w = h.state().inspector().watch();
        w.report().is_some() || w.error().is_some()
    });
    let w = h.state().inspector().watch();
    assert_eq!(w.error(), None);
    assert!(w.report().unwrap().summary().starts_with("revoked at"));
    assert!(h.query_all_by_label("REJECTED").next().is_some());
    drop(h);
    rt.block_on(sandbox.shutdown()).unwrap();
}
