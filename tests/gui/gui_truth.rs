//! One source of truth in the desktop app, driven headless (egui_kittest) against the
//! in-process sandbox and a second sandbox the test starts: "Use" on the Profiles screen aims
//! the flow runner at that profile's server; a revoked token's headline says so; the refresh
//! form follows the token set (the newest refresh token after each rotation, the scope first
//! granted), so refreshing twice in a row works; Tab reaches every answer of the wizard; Enter
//! in a form field runs the flow. The inspector over time: a token that expires (headline,
//! checklist, countdown and lifetime bar agree, and the screen goes idle), one revoked (earlier
//! answers marked as earlier, the countdown stopped), one issued before a sandbox restart (one
//! verdict, one error); a pasted token judged on its own until the user picks how to verify
//! it, its server calls going nowhere until then, an ID token offered none; Copy beside every
//! token, in the flow runner and the inspector.
//! Each test has its own config dir. Deadlines only bound a hung test; nothing asserts on
//! time.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::gui_support;

use std::collections::BTreeSet;

use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use grantscope_core::oauth::GrantKind;
use grantscope_core::profile::{Profile, ProfileStore};
use grantscope_core::timefmt::now_unix;
use grantscope_core::token::{CheckStatus, Verdict};
use grantscope_gui::{AppOptions, GrantscopeApp, Screen};
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

/// Every text on screen (labels and values).
fn texts(h: &Harness<'static, GrantscopeApp>) -> Vec<String> {
    h.root()
        .children_recursive()
        .map(|n| name_of(&n))
        .filter(|t| !t.is_empty())
        .collect()
}

/// A ticking countdown's text: `m:ss` or `h:mm:ss`.
fn is_countdown(t: &str) -> bool {
    let parts: Vec<&str> = t.split(':').collect();
    (2..=3).contains(&parts.len())
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
}

/// Runs client credentials against the app's sandbox and opens the access token in the
/// inspector.
fn inspect_a_fresh_token(h: &mut Harness<'static, GrantscopeApp>) {
    walk(h, &["No", "A Machine"]);
    h.get_by_label("Run").click();
    step_until(h, "the token response", finished);
    assert!(h.state().flow().run().unwrap().success().is_some());
    h.get_by_label("Inspect access token").click();
    step_until(h, "the inspection", |h| {
        h.state().screen() == Screen::Inspector
            && h.state().inspector().inspection().is_some()
            && !h.state().inspector().pending()
    });
}

#[test]
fn an_expiring_tokens_headline_checklist_countdown_and_bar_agree() {
    let dir = tempfile::tempdir().unwrap();
    // Classroom: access tokens of 5 seconds.
    std::fs::write(
        dir.path().join("gui.json"),
        r#"{"classroom":{"access_token_ttl":5}}"#,
    )
    .unwrap();
    let mut h = harness(AppOptions::new(dir.path()));
    inspect_a_fresh_token(&mut h);
    let ins = h.state().inspector().inspection().unwrap().clone();
    let exp = ins.lifetime().expires_at.unwrap();
    let now = now_unix();
    if now < exp {
        // Alive: valid, counting down, one repaint a second.
        assert_eq!(h.state().inspector().headline(now).unwrap().text, "VALID");
        assert_eq!(ins.check("exp").unwrap().status, CheckStatus::Pass);
        assert_eq!(h.state().inspector().next_wake(now), Some(now + 1));
    }
    // The server's word while it lives.
    h.get_by_label("Introspect").click();
    step_until(&mut h, "the introspection", |h| {
        h.query_by_label_contains("Introspection says").is_some()
    });
    let answered_alive =
        now_unix() < exp && h.query_by_label_contains("\"active\": true").is_some();

    step_until(&mut h, "the headline to say EXPIRED", |h| {
        h.query_by_label("EXPIRED").is_some() && now_unix() > exp
    });
    h.step();
    let now = now_unix();
    let i = h.state().inspector();
    assert_eq!(i.headline(now).unwrap().text, "EXPIRED");
    // The checklist says it too: the exp check was run again when its time came.
    let exp_check = i.inspection().unwrap().check("exp").unwrap().clone();
    assert_ne!(exp_check.status, CheckStatus::Pass, "{exp_check:?}");
    assert!(exp_check.message.starts_with("expired"), "{exp_check:?}");
    let shown = texts(&h);
    assert!(
        shown.iter().all(|t| !t.contains("expires in")),
        "nothing says it still lives: {shown:?}"
    );
    assert!(
        shown.iter().any(|t| t.starts_with("expired")),
        "the checklist's exp row: {shown:?}"
    );
    assert!(
        !shown.iter().any(|t| is_countdown(t)),
        "no countdown: {shown:?}"
    );
    h.get_by_label("lifetime 100% used");
    if answered_alive {
        // The earlier "active": true stays, marked as earlier.
        h.get_by_label_contains("before the token expired");
    }
    // Idle: once past its last second, no repaint each second any more, only at the next
    // change (the end of the leeway).
    let later = now + 1;
    let wake = h.state().inspector().next_wake(later);
    assert!(wake.is_none_or(|w| w > later + 1), "{wake:?} at {later}");
}

#[test]
fn a_revoked_tokens_earlier_answers_are_marked_and_its_countdown_stops() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(AppOptions::new(dir.path()));
    inspect_a_fresh_token(&mut h);
    let exp = h
        .state()
        .inspector()
        .inspection()
        .unwrap()
        .lifetime()
        .expires_at
        .unwrap();
    assert!(texts(&h).iter().any(|t| is_countdown(t)), "a countdown");
    h.get_by_label("Introspect").click();
    step_until(&mut h, "the introspection", |h| {
        h.query_by_label_contains("\"active\": true").is_some()
    });
    assert!(h.query_by_label_contains("before the revocation").is_none());
    h.get_by_label("Revoke").click();
    step_until(&mut h, "the revocation", |h| {
        h.query_by_label_contains("accepted the revocation")
            .is_some()
    });
    h.step();
    let now = now_unix();
    assert!(now < exp, "the token still has time by its exp");
    h.get_by_label("REVOKED");
    // The earlier "active": true is still there, marked as earlier.
    h.get_by_label_contains("\"active\": true");
    h.get_by_label_contains("before the revocation");
    // The countdown stopped; the lifetime bar stops at the revocation.
    let shown = texts(&h);
    assert!(!shown.iter().any(|t| is_countdown(t)), "{shown:?}");
    h.get_by_label_contains("moot, the token is revoked");
    // The checklist reads the token's own claims and says the server has the last word.
    h.get_by_label_contains("the server no longer takes it (revoked at");
    h.get_by_label_contains("lifetime stopped at");
    assert_ne!(h.state().inspector().next_wake(now), Some(now + 1));
    // Asked again, the server's newer answer replaces the earlier one.
    h.get_by_label("Introspect").click();
    step_until(&mut h, "the second introspection", |h| {
        h.query_by_label_contains("\"active\": false").is_some()
    });
    assert!(h.query_by_label_contains("\"active\": true").is_none());
    assert!(h.query_by_label_contains("before the revocation").is_none());
    h.get_by_label("REVOKED");
}

#[test]
fn a_token_from_before_a_sandbox_restart_has_one_verdict_and_one_error() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(AppOptions::new(dir.path()));
    inspect_a_fresh_token(&mut h);
    assert_eq!(
        h.state().inspector().headline(now_unix()).unwrap().text,
        "VALID"
    );
    let before = h.state().sandbox_issuer().unwrap();
    h.get_by_label("Classroom").click();
    h.step();
    h.step();
    // Restarted on another port (a plain restart keeps its port): the token's server is gone.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let field = || egui::accesskit::Role::TextInput;
    h.get_by_role_and_label(field(), "Port").click();
    h.step();
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.step();
    h.get_by_role_and_label(field(), "Port")
        .type_text(&port.to_string());
    h.step();
    h.get_by_label("Apply and restart").click();
    step_until(&mut h, "the restarted sandbox", |h| {
        h.state().sandbox_issuer().is_some_and(|i| i != before)
    });
    h.get_by_role_and_label(egui::accesskit::Role::Button, "Token inspector")
        .click();
    h.step();
    h.step();
    h.get_by_label("Inspect").click();
    h.step();
    step_until(&mut h, "the inspection against the old server", |h| {
        !h.state().inspector().pending() && h.state().inspector().key_error().is_some()
    });
    let i = h.state().inspector();
    let error = i.key_error().unwrap().to_owned();
    let ins = i.inspection().unwrap();
    assert_eq!(ins.verdict, Verdict::Unverifiable, "{:?}", ins.checks);
    let headline = i.headline(now_unix()).unwrap();
    assert_eq!(headline.text, "UNVERIFIABLE", "{headline:?}");
    // The headline and the signature's badge say the same.
    assert_eq!(h.query_all_by_label("UNVERIFIABLE").count(), 2);
    assert!(h.query_by_label("NOT VALID").is_none());
    let shown = texts(&h);
    let times = shown.iter().filter(|t| t.contains(&error)).count();
    assert_eq!(times, 1, "the error {error:?} once: {shown:?}");
}

/// A JWT with these claims, RS256 in its header, and a signature nobody can check.
fn unsigned_jwt(claims: &serde_json::Value) -> String {
    use base64::Engine;
    let b64 = |v: &serde_json::Value| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).unwrap())
    };
    let header = serde_json::json!({"alg": "RS256", "typ": "JWT", "kid": "their-key"});
    format!(
        "{}.{}.{}",
        b64(&header),
        b64(claims),
        "c2lnbmF0dXJl".repeat(30)
    )
}

fn wait_for_verdict(h: &mut Harness<'static, GrantscopeApp>, what: &str) {
    step_until(h, what, |h| {
        let i = h.state().inspector();
        !i.pending() && i.inspection().is_some() && i.headline(now_unix()).is_some()
    });
}

fn disabled(h: &Harness<'static, GrantscopeApp>, label: &str) -> bool {
    h.get_by_label(label).accesskit_node().is_disabled()
}

/// A token typed into the Token field over a flow's token is not the flow's: judged on its own,
/// with none of the flow's keys, issuer or audience (found in a new user's walk: it was held to
/// the sandbox's JWKS and issuer, and every keystroke fetched the JWKS).
#[test]
fn a_token_typed_over_a_flows_token_is_judged_on_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(AppOptions::new(dir.path()));
    inspect_a_fresh_token(&mut h);
    let now = now_unix();
    let foreign = unsigned_jwt(&serde_json::json!({
        "iss": "https://elsewhere.example", "sub": "bob", "iat": now, "exp": now + 600,
    }));
    let history = h.state().history().len();
    h.get_by_label("Token").focus();
    h.step();
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.step();
    h.get_by_label("Token").type_text(&foreign);
    h.step();
    wait_for_verdict(&mut h, "the typed token's inspection");
    let i = h.state().inspector();
    assert_eq!(i.input.trim(), foreign);
    assert_eq!(i.headline(now_unix()).unwrap().text, "UNVERIFIED");
    let failed: Vec<_> = i.inspection().unwrap().failures().collect();
    assert!(failed.is_empty(), "{failed:?}");
    assert_eq!(h.state().history().len(), history, "no key fetched");
}

#[test]
fn a_pasted_token_is_judged_on_its_own_until_the_user_picks_how_to_verify() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(AppOptions::new(dir.path()));
    inspect_a_fresh_token(&mut h);
    let sandbox_token = h.state().inspector().input.clone();
    let issuer = h.state().sandbox_issuer().unwrap();

    // A token from another system (8 KB): decoded and judged on its own, nothing fetched,
    // nothing offered to the active profile's server.
    let now = now_unix();
    let groups: Vec<String> = (0..400).map(|i| format!("group-{i:04}-x")).collect();
    let foreign = unsigned_jwt(&serde_json::json!({
        "iss": "https://login.example.com", "sub": "alice", "aud": "api",
        "iat": now, "exp": now + 600, "groups": groups,
    }));
    assert!(foreign.len() > 8_000, "{}", foreign.len());
    let history = h.state().history().len();
    h.event(egui::Event::Paste(foreign));
    wait_for_verdict(&mut h, "the foreign token's inspection");
    let i = h.state().inspector();
    assert_eq!(i.headline(now_unix()).unwrap().text, "UNVERIFIED");
    let failed: Vec<_> = i.inspection().unwrap().failures().collect();
    assert!(failed.is_empty(), "{failed:?}");
    assert_eq!(h.state().history().len(), history, "no key fetched");
    h.get_by_label("UNVERIFIED");
    assert!(h.query_by_label("NOT VALID").is_none());
    for action in ["Introspect", "Revoke", "Userinfo", "Start watch"] {
        assert!(disabled(&h, action), "{action} needs the user's choice");
    }
    h.get_by_label_contains("goes to no server until you choose one");

    // The sandbox's own token, pasted: the same until the user picks its profile.
    h.event(egui::Event::Paste(sandbox_token));
    wait_for_verdict(&mut h, "the pasted sandbox token's inspection");
    assert_eq!(
        h.state().inspector().headline(now_unix()).unwrap().text,
        "UNVERIFIED"
    );
    assert!(disabled(&h, "Introspect"));
    h.get_by_label("Against profile Local sandbox").click();
    h.step();
    wait_for_verdict(&mut h, "the inspection against the profile");
    assert_eq!(
        h.state().inspector().headline(now_unix()).unwrap().text,
        "VALID"
    );
    h.get_by_label_contains(&format!("Server calls go to Local sandbox ({issuer})"));
    assert!(!disabled(&h, "Introspect"));
    h.get_by_label("Introspect").click();
    step_until(&mut h, "the introspection", |h| {
        h.query_by_label_contains("\"active\": true").is_some()
    });

    // An ID token is offered no introspection, revocation or userinfo, whatever the choice.
    let now = now_unix();
    let id_token = unsigned_jwt(&serde_json::json!({
        "iss": issuer, "sub": "alice", "aud": "sandbox-native", "nonce": "n-0S6_WzA2Mj",
        "iat": now, "exp": now + 600,
    }));
    h.event(egui::Event::Paste(id_token));
    wait_for_verdict(&mut h, "the ID token's inspection");
    h.get_by_label("Against profile Local sandbox").click();
    h.step();
    wait_for_verdict(&mut h, "the ID token against the profile");
    assert!(h.state().inspector().is_id_token());
    for action in ["Introspect", "Revoke", "Userinfo", "Start watch"] {
        assert!(disabled(&h, action), "{action} for an ID token");
    }
    h.get_by_label_contains("an ID token is for the client");
}

/// What the last frame put on the clipboard.
fn copied(h: &Harness<'static, GrantscopeApp>) -> Vec<String> {
    h.output()
        .platform_output
        .commands
        .iter()
        .filter_map(|c| match c {
            egui::OutputCommand::CopyText(t) => Some(t.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn every_token_has_copy_beside_it_with_a_note_that_it_is_a_secret() {
    let dir = tempfile::tempdir().unwrap();
    let mut options = AppOptions::new(dir.path());
    options.sandbox_auto_approve = Some("alice".into());
    let mut h = harness(options);
    // Authorization code: an access, an ID and a refresh token.
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
    let tokens = h
        .state()
        .flow()
        .run()
        .unwrap()
        .success()
        .unwrap()
        .tokens
        .clone();
    let id = tokens.id_token.clone().expect("an ID token");
    let refresh = tokens.refresh_token.clone().expect("a refresh token");
    h.get_by_label_contains("a secret, paste it only where it belongs");
    for (button, value) in [
        ("Copy access token", tokens.access_token.expose().to_owned()),
        ("Copy ID token", id.expose().to_owned()),
        ("Copy refresh token", refresh.expose().to_owned()),
    ] {
        h.get_by_label(button).click();
        h.step();
        assert_eq!(copied(&h), [value], "{button}");
    }
    // The inspector: the token on screen, whole.
    h.get_by_label("Inspect ID token").click();
    step_until(&mut h, "the inspection", |h| {
        h.state().screen() == Screen::Inspector
            && h.state().inspector().inspection().is_some()
            && !h.state().inspector().pending()
    });
    h.get_by_label_contains("a secret, paste it only where it belongs");
    h.get_by_label("Copy token").click();
    h.step();
    assert_eq!(copied(&h), [id.expose().to_owned()]);
}
