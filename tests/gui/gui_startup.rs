//! Start-up that stays idle, driven headless (egui_kittest, whose clock advances one step at a
//! time): a pointer that rests where the window opened, over a wizard box with a tooltip, gets
//! no tooltip and asks for no repaint however long it rests; once it moves, the tooltip comes
//! as usual.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::gui_support;

use std::time::Duration;

use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use grantscope_gui::{AppOptions, GrantscopeApp, Screen};
use gui_support::{harness, name_of};

/// The tooltip of the wizard's grant boxes.
const TOOLTIP: &str = "Click to show this grant";

/// Steps through about `seconds` of the app's clock.
fn rest(h: &mut Harness<'static, GrantscopeApp>, seconds: f32) {
    for _ in 0..(seconds * 60.0) as usize {
        h.step();
    }
}

/// How long the app asked egui to wait before the next frame.
fn repaint_delay(h: &Harness<'static, GrantscopeApp>) -> Duration {
    h.output()
        .viewport_output
        .get(&egui::ViewportId::ROOT)
        .map_or(Duration::ZERO, |v| v.repaint_delay)
}

#[test]
fn a_pointer_resting_where_the_window_opened_gets_no_tooltip_until_it_moves() {
    let dir = tempfile::tempdir().unwrap();
    let mut options = AppOptions::new(dir.path());
    options.start_screen = Some(Screen::Wizard);
    let mut h = harness(options);
    let grant_box = h
        .root()
        .children_recursive()
        .find(|n| name_of(n).starts_with("Authorization Code Grant"))
        .map(|n| n.rect().center())
        .expect("the authorization code box");

    // The window opens under the pointer: egui learns where it is, and it stays there.
    h.event(egui::Event::PointerMoved(grant_box));
    rest(&mut h, 2.0);
    assert!(
        h.query_by_label(TOOLTIP).is_none(),
        "a tooltip under a pointer that never moved"
    );
    let delay = repaint_delay(&h);
    assert!(delay > Duration::from_secs(60), "idle: {delay:?}");

    // The person moves it: the tooltip comes after its usual delay.
    h.event(egui::Event::PointerMoved(grant_box + egui::vec2(3.0, 0.0)));
    rest(&mut h, 2.0);
    h.get_by_label(TOOLTIP);
}
