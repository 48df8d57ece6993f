//! Shared setup of the GUI tests: the real app in an egui_kittest harness with its own config
//! dir, stepping until a condition holds, and walking the wizard to the flow runner.

use std::time::{Duration, Instant};

use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use grantscope::gui::{AppOptions, GrantscopeApp, Screen};

/// The app, headless, at a size where every panel shows.
pub fn harness(options: AppOptions) -> Harness<'static, GrantscopeApp> {
    Harness::builder()
        .with_size(egui::vec2(1400.0, 1000.0))
        .build_eframe(move |cc| GrantscopeApp::new(cc, options).unwrap())
}

/// Steps the app until `done` holds; background work (sandbox, HTTP) runs on the app's own
/// runtime meanwhile. The deadline only bounds a hung test; nothing asserts on time.
pub fn step_until(
    h: &mut Harness<'static, GrantscopeApp>,
    what: &str,
    mut done: impl FnMut(&Harness<'static, GrantscopeApp>) -> bool,
) {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        h.step();
        if done(h) {
            h.step();
            return;
        }
        assert!(Instant::now() < deadline, "gave up waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Answers the wizard and opens the flow runner with the sandbox profile.
pub fn walk(h: &mut Harness<'static, GrantscopeApp>, answers: &[&str]) {
    for a in answers {
        h.get_by_label(a).click();
        h.step();
        h.step();
    }
    h.get_by_label("Run this grant").click();
    h.step();
    h.step();
    assert_eq!(h.state().screen(), Screen::Flow);
    step_until(h, "the sandbox profile in the flow form", |h| {
        h.state().flow().profile.name == "Local sandbox"
    });
}

/// Whether the flow runner's last run has ended.
pub fn finished(h: &Harness<'static, GrantscopeApp>) -> bool {
    h.state().flow().run().is_some_and(|r| !r.running())
}

/// Presses Run on an authorization-code form and returns the authorization URL the run shows.
pub fn run_until_authorize_url(h: &mut Harness<'static, GrantscopeApp>) -> String {
    h.get_by_label("Run").click();
    step_until(h, "the authorization URL or an error", |h| {
        finished(h)
            || h.state()
                .flow()
                .run()
                .and_then(|r| r.authorize_url())
                .is_some()
    });
    assert!(
        !finished(h),
        "the run ended early: {:?}",
        h.query_all_by_role(egui::accesskit::Role::Label)
            .filter_map(|n| n.accesskit_node().value())
            .collect::<Vec<_>>()
    );
    h.state()
        .flow()
        .run()
        .and_then(|r| r.authorize_url())
        .unwrap()
        .to_owned()
}
