//! One source of truth in the desktop app, driven headless (egui_kittest) against the
//! in-process sandbox and a second sandbox the test starts: "Use" on the Profiles screen aims
//! the flow runner at that profile's server; a revoked token's headline says so; the refresh
//! form follows the token set (the newest refresh token after each rotation, the scope first
//! granted), so refreshing twice in a row works; Tab reaches every answer of the wizard; Enter
//! in a form field runs the flow. Each
//! test has its own config dir. Deadlines only bound a hung test; nothing asserts on time.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::gui_support;

use std::collections::BTreeSet;

use egui_kittest::kittest::{NodeT, Queryable};
use grantscope_core::oauth::GrantKind;
use grantscope_core::profile::{Profile, ProfileStore};
use grantscope_gui::{AppOptions, Screen};
use grantscope_sandbox::SandboxConfig;
use gui_support::{finished, harness, name_of, run_until_authorize_url, step_until, walk};

#[test]
fn after_use_a_run_goes_to_the_chosen_profiles_server() {
    let dir = tempfile::tempdir().unwrap();
    let second = crate::common::Sandbox::start_with(SandboxConfig::default());
    let issuer = second.issuer().to_owned();
    let mut p = Profile::new("Second server");
    p.issuer = Some(issuer.clone());
    p.client_id = "sandbox-machine".into();
    p.client_secret = Some("sandbox-machine-secret".into());
    p.scope = Some("api:read".into());
    ProfileStore::at(dir.path().join("profiles"))
        .save(&p)
        .unwrap();

    let mut options = AppOptions::new(dir.path());
    options.start_screen = Some(Screen::Profiles);
    let mut h = harness(options);
    step_until(&mut h, "both profiles", |h| {
        h.state().profiles().get("Second server").is_some()
            && h.state().profiles().get("Local sandbox").is_some()
            && h.state().active_profile_name() == Some("Local sandbox")
    });
    h.get_by_role_and_label(egui::accesskit::Role::Button, "Profile: Local sandbox");
    h.get_by_label("Use").click();
    h.step();
    h.step();
    assert_eq!(h.state().active_profile_name(), Some("Second server"));
    // The top bar says which profile every screen uses.
    h.get_by_role_and_label(egui::accesskit::Role::Button, "Profile: Second server");

    h.get_by_label("Flow runner").click();
    h.step();
    h.step();
    assert_eq!(h.state().flow().profile.name, "Second server");
    assert_eq!(
        h.state().flow().profile.issuer.as_deref(),
        Some(issuer.as_str())
    );
    h.get_by_label("Run").click();
    step_until(&mut h, "the run", finished);
    let run = h.state().flow().run().unwrap();
    assert!(run.success().is_some(), "{:?}", run.failure());
    let urls: Vec<String> = run
        .exchanges()
        .iter()
        .map(|e| e.request_view(false).url)
        .collect();
    assert!(urls.len() >= 2, "{urls:?}");
    assert!(
        urls.iter().all(|u| u.starts_with(&issuer)),
        "every request to {issuer}: {urls:?}"
    );
    // The in-app sandbox was never needed.
    assert!(h.state().sandbox_issuer().is_none());
    drop(second);
}

#[test]
fn a_revoked_tokens_headline_says_revoked() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(AppOptions::new(dir.path()));
    walk(&mut h, &["No", "A Machine"]);
    h.get_by_label("Run").click();
    step_until(&mut h, "the token response", finished);
    h.get_by_label("Inspect access token").click();
    step_until(&mut h, "the inspection", |h| {
        h.state().screen() == Screen::Inspector
            && h.state().inspector().inspection().is_some()
            && !h.state().inspector().pending()
    });
    let now = grantscope_core::timefmt::now_unix();
    assert_eq!(h.state().inspector().headline(now).unwrap().text, "VALID");
    h.get_by_label("VALID");
    h.get_by_label("Revoke").click();
    step_until(&mut h, "the revocation", |h| {
        h.query_by_label_contains("accepted the revocation")
            .is_some()
    });
    let now = grantscope_core::timefmt::now_unix();
    assert_eq!(h.state().inspector().headline(now).unwrap().text, "REVOKED");
    h.get_by_label("REVOKED");
    assert!(h.query_by_label("VALID").is_none());
    // The server agrees, and the headline keeps saying it.
    h.get_by_label("Introspect").click();
    step_until(&mut h, "the introspection", |h| {
        h.query_by_label_contains("\"active\": false").is_some()
    });
    h.get_by_label("REVOKED");
    // Another token: nothing of the revoked one stays.
    h.event(egui::Event::Paste("2YotnFZFEjr1zCsicMWpAA".into()));
    step_until(&mut h, "the opaque token's inspection", |h| {
        h.state().inspector().inspection().is_some() && !h.state().inspector().pending()
    });
    assert!(h.query_by_label("REVOKED").is_none());
    assert!(
        h.query_by_label_contains("accepted the revocation")
            .is_none()
    );
    h.get_by_label("OPAQUE");
    // Prose is named for what it is.
    h.event(egui::Event::Paste("hello world this is not a token".into()));
    step_until(&mut h, "the prose's inspection", |h| {
        h.state().inspector().inspection().is_some() && !h.state().inspector().pending()
    });
    h.get_by_label("NOT A TOKEN");
}

#[test]
fn the_refresh_form_holds_the_rotated_token_after_a_refresh() {
    let dir = tempfile::tempdir().unwrap();
    let mut options = AppOptions::new(dir.path());
    options.sandbox_auto_approve = Some("alice".into());
    let mut h = harness(options);
    walk(&mut h, &["No", "A User", "Server App"]);
    h.get_by_label("Open the system browser").click();
    h.step();
    let url = run_until_authorize_url(&mut h);
    let browser = std::thread::spawn(move || {
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async { reqwest::get(url).await.map(|r| r.status().as_u16()) })
    });
    step_until(&mut h, "the token response", finished);
    assert!(browser.join().unwrap().is_ok());
    let first = h.state().flow().run().unwrap().success().unwrap();
    let rt1 = first.tokens.refresh_token.clone().expect("offline_access");
    let requested = h.state().flow().profile.scope.clone().unwrap();
    assert!(requested.contains("offline_access"), "{requested}");

    // Switching the grant: the last run's diagram goes, the form takes the token set.
    h.get_by_role_and_label(egui::accesskit::Role::ComboBox, "Grant")
        .click();
    h.step();
    h.step();
    h.get_by_label("Refresh Token").click();
    h.step();
    h.step();
    assert_eq!(h.state().flow().grant, GrantKind::RefreshToken);
    assert!(h.state().flow().run().is_none(), "the old run is cleared");
    assert_eq!(h.state().flow().inputs.refresh_token, rt1);
    assert_eq!(
        h.state().flow().profile.scope.as_deref(),
        Some(requested.as_str())
    );
    h.get_by_label_contains("The newest refresh token of the last run");

    let mut previous = rt1;
    for round in 0..2 {
        h.get_by_label("Run").click();
        step_until(&mut h, "the refresh", finished);
        let run = h.state().flow().run().unwrap();
        let s = run
            .success()
            .unwrap_or_else(|| panic!("refresh {round}: {:?}", run.failure()));
        assert_eq!(s.refresh_rotated, Some(true));
        let newest = s.tokens.refresh_token.clone().unwrap();
        assert_ne!(newest, previous);
        // The form holds the rotated token (pressing Run again does not replay the old one).
        assert_eq!(h.state().flow().inputs.refresh_token, newest);
        assert_eq!(h.state().flow().token_set().unwrap().refresh_token, newest);
        assert_eq!(
            h.state().flow().profile.scope.as_deref(),
            Some(requested.as_str())
        );
        previous = newest;
    }
}

#[test]
fn tab_reaches_every_wizard_answer() {
    let dir = tempfile::tempdir().unwrap();
    let mut options = AppOptions::new(dir.path());
    options.start_screen = Some(Screen::Wizard);
    let mut h = harness(options);
    h.step();
    let answers: BTreeSet<&str> = grantscope_core::wizard::NODES
        .iter()
        .flat_map(|n| n.edges().iter().map(|e| e.label))
        .collect();
    let mut reached = BTreeSet::new();
    for _ in 0..200 {
        h.key_press(egui::Key::Tab);
        h.step();
        if let Some(n) = h
            .root()
            .children_recursive()
            .find(|n| n.accesskit_node().is_focused())
        {
            reached.insert(name_of(&n));
        }
    }
    let missing: Vec<&&str> = answers.iter().filter(|a| !reached.contains(**a)).collect();
    assert!(
        missing.is_empty(),
        "Tab never reached {missing:?}; reached {reached:?}"
    );
    // Enter on a focused answer chooses it.
    while !h
        .root()
        .children_recursive()
        .any(|n| n.accesskit_node().is_focused() && name_of(&n) == "No")
    {
        h.key_press(egui::Key::Tab);
        h.step();
    }
    h.key_press(egui::Key::Enter);
    h.step();
    h.step();
    assert_eq!(
        h.state().settings().wizard.get("have_refresh_token"),
        Some(&1)
    );
}

#[test]
fn enter_in_a_form_field_runs_the_flow() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(AppOptions::new(dir.path()));
    walk(&mut h, &["No", "A Machine"]);
    assert!(h.state().flow().run().is_none());
    h.get_by_role_and_label(egui::accesskit::Role::TextInput, "Scope")
        .click();
    h.step();
    let focused: Vec<String> = h
        .root()
        .children_recursive()
        .filter(|n| n.accesskit_node().is_focused())
        .map(|n| name_of(&n))
        .collect();
    assert_eq!(focused, ["Scope"], "the field has the keyboard focus");
    h.key_press(egui::Key::Enter);
    // The sandbox starts first (the run follows it).
    step_until(&mut h, "the run Enter started", finished);
    assert!(h.state().flow().run().unwrap().success().is_some());
}
