//! The desktop Probes window against the app's own sandbox (auto-approve): open it from the top
//! bar, run the catalogue with the active profile, and see the verdicts arrive.

#[allow(dead_code)]
mod gui_support;

use egui_kittest::kittest::Queryable;
use grantscope::gui::AppOptions;
use grantscope::probe::Outcome;
use gui_support::{harness, step_until};

#[test]
fn probes_window_runs_the_catalogue_against_the_sandbox() {
    let dir = tempfile::tempdir().unwrap();
    let mut options = AppOptions::new(dir.path());
    options.sandbox_auto_approve = Some("alice".into());
    let mut h = harness(options);
    h.get_by_label("Start sandbox").click();
    h.step();
    h.get_by_label("Probes").click();
    h.step();
    h.step();
    assert!(h.state().probes().open);
    step_until(
        &mut h,
        "the sandbox profile to be active and running",
        |h| {
            h.query_by_label_contains("Against the active profile")
                .is_some()
        },
    );
    h.get_by_label("Run").click();
    step_until(&mut h, "the probe run to finish", |h| {
        !h.state().probes().is_running() && !h.state().probes().results().is_empty()
    });
    let results = h.state().probes().results();
    assert_eq!(results.len(), grantscope::probe::PROBES.len());
    let table: String = results
        .iter()
        .map(|r| {
            format!(
                "{} {} {}\n",
                r.verdict.outcome.as_str(),
                r.id,
                r.verdict.reason
            )
        })
        .collect();
    let verdict = |id: &str| {
        results
            .iter()
            .find(|r| r.id == id)
            .map(|r| r.verdict.outcome)
    };
    // The app's sandbox profile is the machine client (client credentials only): every
    // probe that needs the code flow says it does not work, none passes for a refusal.
    assert_eq!(
        verdict("pkce.required"),
        Some(Outcome::Inconclusive),
        "{table}"
    );
    assert_eq!(
        verdict("redirect.exact"),
        Some(Outcome::Inconclusive),
        "{table}"
    );
    let why = results
        .iter()
        .find(|r| r.id == "pkce.required")
        .map(|r| r.verdict.reason.clone())
        .unwrap_or_default();
    assert!(why.contains("the normal code flow does not work"), "{why}");
    assert_eq!(verdict("grants.legacy"), Some(Outcome::Pass), "{table}");
    assert_eq!(verdict("jwks.hygiene"), Some(Outcome::Pass), "{table}");
    assert_eq!(
        verdict("transport.https"),
        Some(Outcome::Inconclusive),
        "{table}"
    );
    assert!(
        results.iter().all(|r| r.verdict.outcome != Outcome::Fail),
        "{table}"
    );
    h.get_by_label("pkce.required  PKCE is required");
}
