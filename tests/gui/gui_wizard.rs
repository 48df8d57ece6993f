//! Drives the real desktop app headless (egui_kittest) through the grant wizard.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::gui_support;

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use grantscope_gui::{AppOptions, GrantscopeApp, Screen};

fn harness(dir: &std::path::Path, screen: Option<Screen>) -> Harness<'static, GrantscopeApp> {
    let mut options = AppOptions::new(dir);
    options.start_screen = screen;
    gui_support::harness_at(options, (1280.0, 900.0, 1.0))
}

#[test]
fn walking_the_wizard_to_client_credentials() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(dir.path(), Some(Screen::Wizard));
    // Before any answer the explanation asks the first question; no grant is offered.
    assert!(h.query_by_label("Run this grant").is_none());

    h.get_by_label("No").click();
    h.run_ok();
    h.get_by_label("A Machine").click();
    h.run_ok();

    // The leaf's explanation (seed's words) and its run button are shown.
    h.get_by_label_contains("acting on its own behalf");
    h.get_by_label("Run this grant").click();
    h.run_ok();
    assert_eq!(h.state().screen(), Screen::Flow);
    h.get_by_label_contains("Client Credentials");
}

#[test]
fn deprecated_leaves_explain_why() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(dir.path(), Some(Screen::Wizard));
    h.get_by_label("No").click();
    h.run_ok();
    h.get_by_label("A User").click();
    h.run_ok();
    h.get_by_label("Token in the redirect URL").click();
    h.run_ok();
    h.get_by_label("Deprecated: do not use");
    h.get_by_label_contains("RFC 9700");
    // grantscope explains implicit but offers no button that would do nothing.
    assert!(h.query_by_label("Run this grant").is_none());
    assert!(h.query_by_label("Run this grant anyway").is_none());
}

#[test]
fn answers_and_screen_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    {
        let mut h = harness(dir.path(), None);
        h.get_by_label("No").click();
        h.run_ok();
        h.get_by_label("History").click();
        h.run_ok();
        h.state().save_settings().unwrap();
    }
    let h = harness(dir.path(), None);
    assert_eq!(h.state().screen(), Screen::History);
    assert_eq!(
        h.state().settings().wizard.get("have_refresh_token"),
        Some(&1)
    );
}

#[test]
fn the_chart_does_not_move_when_an_answer_is_clicked() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(dir.path(), Some(Screen::Wizard));
    h.run_ok();
    let root = |h: &Harness<'static, GrantscopeApp>| {
        h.get_by_role_and_label(egui::accesskit::Role::Button, "Have a refresh token?")
            .rect()
    };
    let before = root(&h);
    for answer in ["No", "A User", "Server App", "Start over"] {
        h.get_by_label(answer).click();
        h.run_ok();
        // Not a pixel: sub-pixel rounding of the panels aside, nothing moves.
        let now = root(&h);
        let moved = (now.min - before.min)
            .length()
            .max((now.max - before.max).length());
        assert!(moved < 0.5, "after {answer:?}: {before:?} -> {now:?}");
    }
}
