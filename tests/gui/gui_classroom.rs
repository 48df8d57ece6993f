//! The classroom panel of the desktop app, driven headless (egui_kittest) against the app's own
//! in-process sandbox: start, stop and restart on a fixed port (remembered in the settings),
//! a 30 s access-token lifetime seen in a token issued by a real flow run, a teaching switch
//! that shows the banner on every other screen (and is gone when turned off), and the panel at
//! 1024×768 with 150 % zoom keeping its controls inside the window (widget rectangles).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;
use crate::gui_support;

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use grantscope_gui::classroom::SandboxState;
use grantscope_gui::settings::Settings;
use grantscope_gui::{AppOptions, GrantscopeApp, Screen};
use gui_support::{harness, harness_at, layout_problems, step_until, walk, window};

/// A port nobody listens on now (bound, then released).
fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// Replaces the text of the field labelled `label`.
fn set_field(h: &mut Harness<'static, GrantscopeApp>, label: &str, text: &str) {
    h.get_by_label(label).click();
    h.step();
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.step();
    h.get_by_label(label).type_text(text);
    h.step();
}

fn click(h: &mut Harness<'static, GrantscopeApp>, label: &str) {
    h.get_by_label(label).click();
    h.step();
    h.step();
}

/// Ticks or unticks the teaching switch `name` in the panel (the banner shows the same name).
fn tick(h: &mut Harness<'static, GrantscopeApp>, name: &str) {
    h.get_by_role_and_label(Role::CheckBox, name).click();
    h.step();
    h.step();
}

fn wait_for(h: &mut Harness<'static, GrantscopeApp>, state: SandboxState) {
    step_until(h, &format!("the sandbox {state:?}"), |h| {
        h.state().classroom().state() == state
    });
}

/// The discovery document at `port`, or why there is none.
fn discovery(port: u16) -> Result<serde_json::Value, String> {
    let url = format!("http://127.0.0.1:{port}/.well-known/openid-configuration");
    match common::get_json(&url, None) {
        Ok((200, doc)) => Ok(doc),
        Ok((status, _)) => Err(format!("HTTP {status}")),
        Err(e) => Err(format!("{e:#}")),
    }
}

fn classroom_options(dir: &std::path::Path) -> AppOptions {
    let mut options = AppOptions::new(dir);
    options.start_screen = Some(Screen::Classroom);
    options
}

#[test]
fn start_stop_and_restart_on_a_fixed_port() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut h = harness(classroom_options(dir.path()));
    h.step();
    assert_eq!(h.state().classroom().state(), SandboxState::Stopped);
    assert!(
        discovery(port).is_err(),
        "something already answers on {port}"
    );

    set_field(&mut h, "Port", &port.to_string());
    click(&mut h, "Apply");
    assert_eq!(h.state().settings().classroom.port, port);
    h.state().save_settings().unwrap();
    assert_eq!(
        Settings::load(dir.path()).classroom.port,
        port,
        "remembered"
    );

    click(&mut h, "Start");
    wait_for(&mut h, SandboxState::Running);
    let issuer = format!("http://127.0.0.1:{port}");
    assert_eq!(h.state().sandbox_issuer().as_deref(), Some(issuer.as_str()));
    let doc = discovery(port).unwrap();
    assert_eq!(doc["issuer"], issuer.as_str());
    h.get_by_label(&format!("Running at {issuer}"));

    // A token issued before the restart is unknown after it: a new server, same port.
    let token_url = format!("{issuer}/token");
    let (status, tokens) = common::post_form(
        &token_url,
        Some(("sandbox-machine", "sandbox-machine-secret")),
        &[("grant_type", "client_credentials")],
    )
    .unwrap();
    assert_eq!(status, 200, "{tokens}");
    let access = tokens["access_token"].as_str().unwrap().to_string();
    let introspect = |token: &str| {
        common::post_form(
            &format!("{issuer}/introspect"),
            Some(("sandbox-machine", "sandbox-machine-secret")),
            &[("token", token)],
        )
        .unwrap()
        .1["active"]
            .clone()
    };
    assert_eq!(introspect(&access), true);

    click(&mut h, "Restart");
    wait_for(&mut h, SandboxState::Running);
    assert_eq!(h.state().sandbox_issuer().as_deref(), Some(issuer.as_str()));
    let doc = discovery(port).unwrap();
    assert_eq!(doc["issuer"], issuer.as_str());
    assert_eq!(
        introspect(&access),
        false,
        "the restart forgot the old token"
    );

    click(&mut h, "Stop");
    wait_for(&mut h, SandboxState::Stopped);
    assert_eq!(h.state().sandbox_issuer(), None);
    assert!(
        discovery(port).is_err(),
        "the stopped sandbox still answers on {port}"
    );
    h.get_by_label("Stopped");

    // Started again: the same remembered port.
    click(&mut h, "Start");
    wait_for(&mut h, SandboxState::Running);
    assert_eq!(discovery(port).unwrap()["issuer"], issuer.as_str());
}

#[test]
fn a_30_second_access_token_lifetime_shows_in_the_issued_token() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(classroom_options(dir.path()));
    h.step();
    set_field(&mut h, "Access-token lifetime", "30");
    click(&mut h, "Apply");
    assert_eq!(h.state().settings().classroom.access_token_ttl, 30);
    click(&mut h, "Start");
    wait_for(&mut h, SandboxState::Running);

    // A real client-credentials run from the wizard's flow runner.
    click(&mut h, "Wizard");
    walk(&mut h, &["No", "A Machine"]);
    h.get_by_label("Run").click();
    step_until(&mut h, "the token response", |h| {
        h.state().flow().run().is_some_and(|r| !r.running())
    });
    let run = h.state().flow().run().unwrap();
    let success = run.success().expect("the run got tokens");
    let claims = common::jwt_claims(success.tokens.access_token.expose()).unwrap();
    let (exp, iat) = (
        claims["exp"].as_i64().unwrap(),
        claims["iat"].as_i64().unwrap(),
    );
    assert_eq!(exp - iat, 30, "{claims}");
    assert_eq!(success.tokens.expires_in, Some(30.0));
    // The run went to the classroom's sandbox.
    assert_eq!(
        claims["iss"].as_str(),
        h.state().sandbox_issuer().as_deref()
    );
}

/// The banner's heading while a deliberate mistake is on.
const BANNER: &str = "Sandbox teaching switches on (it makes these mistakes on purpose):";

#[test]
fn a_switch_turned_on_shows_the_banner_on_every_other_screen() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(classroom_options(dir.path()));
    h.step();
    click(&mut h, "Start");
    wait_for(&mut h, SandboxState::Running);
    assert!(h.query_by_label(BANNER).is_none(), "no switch, no banner");

    tick(&mut h, "unsafe-no-iss");
    click(&mut h, "Apply and restart");
    wait_for(&mut h, SandboxState::Running);
    assert_eq!(h.state().classroom().switches_on(), vec!["unsafe-no-iss"]);
    assert_eq!(
        h.state().settings().classroom.switches,
        vec!["unsafe-no-iss".to_string()]
    );
    // The restarted sandbox really has it on.
    let issuer = h.state().sandbox_issuer().unwrap();
    let port: u16 = issuer.rsplit(':').next().unwrap().parse().unwrap();
    assert_eq!(
        discovery(port).unwrap()["grantscope_sandbox"]["unsafe_switches"],
        serde_json::json!(["unsafe-no-iss"])
    );

    let win = window(&h);
    for (tab, screen) in [
        ("Wizard", Screen::Wizard),
        ("Flow runner", Screen::Flow),
        ("Token inspector", Screen::Inspector),
        ("Profiles", Screen::Profiles),
        ("History", Screen::History),
    ] {
        click(&mut h, tab);
        assert_eq!(h.state().screen(), screen);
        let heading = h.get_by_label(BANNER).rect();
        let name = h.get_by_label("unsafe-no-iss").rect();
        let top_bar = h.get_by_label("Wizard").rect();
        for r in [heading, name] {
            assert!(win.contains_rect(r), "{tab}: banner {r:?} outside {win:?}");
            assert!(
                r.top() >= top_bar.bottom(),
                "{tab}: banner {r:?} not under the top bar {top_bar:?}"
            );
            assert!(
                r.bottom() < win.top() + win.height() / 3.0,
                "{tab}: banner {r:?} not at the top of the window"
            );
        }
    }
    // Its button leads back to the panel; turning the switch off removes the banner.
    click(&mut h, "Change");
    assert_eq!(h.state().screen(), Screen::Classroom);
    tick(&mut h, "unsafe-no-iss");
    click(&mut h, "Apply and restart");
    wait_for(&mut h, SandboxState::Running);
    assert!(h.state().classroom().switches_on().is_empty());
    click(&mut h, "Wizard");
    assert!(
        h.query_by_label(BANNER).is_none(),
        "the banner outlived its switch"
    );
}

#[test]
fn the_panel_keeps_its_controls_inside_the_window_at_1024x768_150() {
    panel_holds_at((1024.0, 768.0, 1.5));
}

#[test]
fn the_panel_holds_in_two_columns_on_a_desktop() {
    panel_holds_at((1600.0, 1000.0, 1.0));
}

fn panel_holds_at(size: (f32, f32, f32)) {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness_at(classroom_options(dir.path()), size);
    h.step();
    h.step();
    let must_see = [
        "Wizard",
        "Flow runner",
        "Token inspector",
        "Profiles",
        "History",
        "Classroom",
        "Start",
        "Stop",
        "Restart",
        "Port",
        "Access-token lifetime",
        "Refresh-token lifetime",
        "Code lifetime",
        "Apply",
        "Revert",
    ];
    let problems = layout_problems(&h, &must_see);
    assert!(problems.is_empty(), "{size:?} stopped: {problems:#?}");
    // Running, with a switch on (the banner takes room too).
    click(&mut h, "Start");
    wait_for(&mut h, SandboxState::Running);
    // The first switch: on screen at every size (the others are scrolled to).
    tick(&mut h, "unsafe-allow-plain-pkce");
    click(&mut h, "Apply and restart");
    wait_for(&mut h, SandboxState::Running);
    assert_eq!(
        h.state().classroom().switches_on(),
        vec!["unsafe-allow-plain-pkce"]
    );
    h.step();
    let mut must_see = must_see.to_vec();
    must_see.retain(|n| *n != "Apply");
    must_see.push("Apply and restart");
    must_see.push("Change");
    let problems = layout_problems(&h, &must_see);
    assert!(problems.is_empty(), "{size:?} running: {problems:#?}");
    // The first switch's checkbox is on screen, inside the window (the rest scroll).
    let first = h
        .get_by_role_and_label(Role::CheckBox, "unsafe-allow-plain-pkce")
        .rect();
    assert!(
        window(&h).contains_rect(first),
        "{size:?}: {first:?} outside {:?}",
        window(&h)
    );
}

/// The wizard's deprecated password leaf, "Run this grant anyway", against the classroom's
/// sandbox: refused as `unsupported_grant_type` with no switch, tokens for alice once the
/// password-grant switch is on.
#[test]
fn the_wizards_password_leaf_runs_once_its_switch_is_on() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(classroom_options(dir.path()));
    h.step();
    click(&mut h, "Start");
    wait_for(&mut h, SandboxState::Running);

    let run_password = |h: &mut Harness<'static, GrantscopeApp>| {
        click(h, "Wizard");
        for answer in ["No", "A User", "App asks for the password"] {
            click(h, answer);
        }
        click(h, "Run this grant anyway");
        assert_eq!(h.state().screen(), Screen::Flow);
        step_until(h, "the sandbox profile in the flow form", |h| {
            h.state().flow().profile.name == "Local sandbox"
        });
        set_field(h, "Username", "alice");
        set_field(h, "Password", "alice-password");
        h.get_by_label("Run").click();
        step_until(h, "the password grant's answer", |h| {
            h.state().flow().run().is_some_and(|r| !r.running())
        });
    };

    run_password(&mut h);
    let run = h.state().flow().run().unwrap();
    assert!(run.success().is_none(), "tokens with the switch off");
    assert!(
        h.query_all_by_label_contains("unsupported_grant_type")
            .next()
            .is_some(),
        "the refusal is shown"
    );

    click(&mut h, "Classroom");
    tick(&mut h, "unsafe-allow-password-grant");
    click(&mut h, "Apply and restart");
    wait_for(&mut h, SandboxState::Running);
    assert_eq!(
        h.state().classroom().switches_on(),
        vec!["unsafe-allow-password-grant"]
    );
    run_password(&mut h);
    let run = h.state().flow().run().unwrap();
    let success = run.success().expect("tokens with the switch on");
    let claims = common::jwt_claims(success.tokens.access_token.expose()).unwrap();
    assert_eq!(claims["sub"], "sandbox-user-alice", "{claims}");
    assert_eq!(h.state().flow().profile.client_id, "sandbox-native");
}

/// A port another program holds: the start fails, says why in the panel, and the sandbox is
/// stopped (Start offered again), never half-running.
#[test]
fn a_taken_port_is_reported_and_leaves_the_sandbox_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let mut h = harness(classroom_options(dir.path()));
    h.step();
    set_field(&mut h, "Port", &port.to_string());
    click(&mut h, "Apply");
    click(&mut h, "Start");
    step_until(&mut h, "the failed start", |h| {
        h.query_all_by_label_contains("The sandbox could not start")
            .next()
            .is_some()
    });
    assert_eq!(h.state().classroom().state(), SandboxState::Stopped);
    assert_eq!(h.state().sandbox_issuer(), None);
    // Once, in the panel (no second copy in the top bar's notice), naming the port.
    let messages: Vec<String> = h
        .get_all_by_label_contains("The sandbox could not start")
        .map(|n| gui_support::name_of(&n))
        .collect();
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert!(
        messages.iter().all(|m| m.contains(&port.to_string())),
        "{messages:?}"
    );
    h.get_by_label("Start");
    drop(taken);
}
