//! "Probe this API" in the desktop app, at 1024×768 / 150 % against the app's own sandbox
//! (in-process, auto-approving as alice): from the flow runner's Call an API form after a code
//! flow (the access token, its ID token and the JWKS the flow discovered), the Probes window
//! opens in its API mode and its live table fills with every api.* verdict, all pass or skipped
//! for a missing input against the plain sandbox resource; from the token inspector with the
//! sandbox's "accept alg none" teaching switch on, api.alg-none fails, its evidence the accepted
//! forged token shown decoded.

use crate::gui_support;

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use grantscope_gui::{AppOptions, GrantscopeApp, Screen};
use grantscope_probe::{API_PROBES, Outcome};
use gui_support::{SIZES, harness_at, run_until_authorize_url, step_until, window};

/// 1024×768 at 150 %.
const PROJECTOR: (f32, f32, f32) = SIZES[1];

/// Scrolls `label` into the window (a projector shows less), as a person would, and clicks it.
fn click(h: &mut Harness<'static, GrantscopeApp>, label: &str) {
    for _ in 0..10 {
        if window(h).contains_rect(h.get_by_label(label).rect()) {
            break;
        }
        h.get_by_label(label).scroll_to_me();
        h.step();
    }
    assert!(
        window(h).contains_rect(h.get_by_label(label).rect()),
        "{label:?} at {:?} cannot be brought into the window {:?}",
        h.get_by_label(label).rect(),
        window(h)
    );
    h.get_by_label(label).click();
    h.step();
    h.step();
}

/// The verdicts of the API run, as a table for messages.
fn table(h: &Harness<'static, GrantscopeApp>) -> String {
    h.state()
        .probes()
        .api()
        .results()
        .iter()
        .map(|r| {
            format!(
                "{} {} {}\n",
                r.verdict.outcome.as_str(),
                r.id,
                r.verdict.reason
            )
        })
        .collect()
}

fn outcome(h: &Harness<'static, GrantscopeApp>, id: &str) -> Option<Outcome> {
    h.state()
        .probes()
        .api()
        .results()
        .iter()
        .find(|r| r.id == id)
        .map(|r| r.verdict.outcome)
}

/// Steps until the API run ended with a verdict for every API probe.
fn wait_for_api_run(h: &mut Harness<'static, GrantscopeApp>) {
    step_until(h, "the API probes to finish", |h| {
        let api = h.state().probes().api();
        !api.is_running() && api.results().len() == API_PROBES.len()
    });
    let api = h.state().probes().api();
    assert!(
        api.baseline().is_some_and(|b| b.holds),
        "{:?}\n{}",
        api.baseline().map(|b| &b.reason),
        table(h)
    );
}

#[test]
fn probe_this_api_after_a_code_flow_fills_the_table() {
    let dir = tempfile::tempdir().unwrap();
    let mut options = AppOptions::new(dir.path());
    options.sandbox_auto_approve = Some("alice".into());
    options.start_screen = Some(Screen::Wizard);
    let mut h = harness_at(options, PROJECTOR);
    gui_support::walk(&mut h, &["No", "A User", "Server App"]);
    // No real browser in a test: the test plays the user-agent.
    click(&mut h, "Open the system browser");
    let url = run_until_authorize_url(&mut h);
    let browser = std::thread::spawn(move || {
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async { reqwest::get(url).await.map(|r| r.status().as_u16()) })
    });
    step_until(&mut h, "the token response", gui_support::finished);
    assert!(browser.join().unwrap().is_ok());
    let s = h.state().flow().run().and_then(|r| r.success()).unwrap();
    assert!(
        s.tokens.id_token.is_some(),
        "the code flow gave an ID token"
    );
    assert!(!h.state().probes().open);

    click(&mut h, "Call an API with this token");
    click(&mut h, "Probe this API");
    let probes = h.state().probes();
    assert!(
        probes.open && probes.api_mode(),
        "the Probes window in API mode"
    );
    assert!(
        probes.api().url().ends_with("/api/resource"),
        "{}",
        probes.api().url()
    );
    assert!(probes.api().has_id_token(), "the run's ID token goes along");
    // While it runs: what it waits for, and Cancel.
    if h.state().probes().api().is_running() {
        assert!(h.state().probes().api().doing().is_some());
        h.get_by_label("Cancel probes");
    }
    wait_for_api_run(&mut h);
    let t = table(&h);
    for p in API_PROBES.iter() {
        let o = outcome(&h, p.id).unwrap_or_else(|| panic!("no row for {}:\n{t}", p.id));
        assert!(
            matches!(o, Outcome::Pass | Outcome::Skipped),
            "{}: {o:?}\n{t}",
            p.id
        );
    }
    // What the flow gave decides these: the ID token, and the issuer's keys (from the JWKS its
    // discovery found) for the key confusion; no expired or other-audience token: skipped.
    for id in [
        "api.alg-none",
        "api.signature-stripped",
        "api.hmac-key-confusion",
        "api.embedded-jwk",
        "api.jku",
        "api.id-token",
        "api.challenge",
    ] {
        assert_eq!(outcome(&h, id), Some(Outcome::Pass), "{id}\n{t}");
    }
    for id in ["api.expired", "api.audience"] {
        assert_eq!(outcome(&h, id), Some(Outcome::Skipped), "{id}\n{t}");
    }
    // The live table shows the rows, and the run's summary; Run and the exports are on screen.
    let alg_none = API_PROBES.iter().find(|p| p.id == "api.alg-none").unwrap();
    h.get_by_label(&format!("api.alg-none  {}", alg_none.title));
    h.get_by_label_contains("Done in");
    h.get_by_label_contains("the baseline holds");
    // The window's controls are wholly inside the app's window, under its top bar (the
    // screen behind the window is not judged: the window covers it).
    let win = window(&h);
    let bar = h.get_by_label("Wizard").rect();
    for name in [
        "Run API probes",
        "Cancel probes",
        "Export JSON...",
        "Export JUnit...",
        "Export HTML...",
    ] {
        let r = h.get_by_label(name).rect();
        assert!(
            win.contains_rect(r) && r.top() >= bar.bottom(),
            "{name:?} at {r:?} is not wholly visible under the top bar {bar:?} in {win:?}"
        );
    }
    assert!(h.state().probes().api().last_run().is_some());
}

#[test]
fn probe_this_api_from_the_inspector_with_accept_alg_none_fails_alg_none() {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = grantscope_gui::settings::Settings::default();
    settings
        .classroom
        .switches
        .push("unsafe-accept-alg-none".into());
    settings.save(dir.path()).unwrap();
    let mut options = AppOptions::new(dir.path());
    options.start_screen = Some(Screen::Wizard);
    let mut h = harness_at(options, PROJECTOR);
    gui_support::walk(&mut h, &["No", "A Machine"]);
    click(&mut h, "Run");
    step_until(&mut h, "the token response", gui_support::finished);
    assert!(h.state().flow().run().and_then(|r| r.success()).is_some());
    assert_eq!(
        h.state().classroom().switches_on(),
        vec!["unsafe-accept-alg-none"]
    );
    click(&mut h, "Inspect access token");
    step_until(&mut h, "the inspection", |h| {
        h.state().screen() == Screen::Inspector
            && !h.state().inspector().pending()
            && h.state().inspector().inspection().is_some()
    });
    click(&mut h, "Probe this API");
    assert!(h.state().probes().api_mode());
    wait_for_api_run(&mut h);
    let t = table(&h);
    assert_eq!(outcome(&h, "api.alg-none"), Some(Outcome::Fail), "{t}");
    // Only that probe changed: every other one passes or is skipped.
    for p in API_PROBES.iter().filter(|p| p.id != "api.alg-none") {
        assert!(
            matches!(outcome(&h, p.id), Some(Outcome::Pass | Outcome::Skipped)),
            "{}\n{t}",
            p.id
        );
    }
    // The evidence: the forged token the API accepted, shown decoded (alg none), the token
    // itself masked.
    let r = h
        .state()
        .probes()
        .api()
        .results()
        .iter()
        .find(|r| r.id == "api.alg-none")
        .unwrap()
        .clone();
    let accepted = r
        .exchanges
        .iter()
        .map(|e| e.to_json(false))
        .find(|j| j["response"]["status"] == 200)
        .unwrap_or_else(|| panic!("no accepted exchange: {}", r.verdict.reason));
    assert!(
        accepted["decoded"]["token"]["header"]["alg"]
            .as_str()
            .is_some_and(|a| a.eq_ignore_ascii_case("none")),
        "{accepted:#}"
    );
    assert!(!accepted.to_string().contains("eyJ"), "a token in clear");
    // The row shows the failure and expands to its evidence.
    let title = API_PROBES
        .iter()
        .find(|p| p.id == "api.alg-none")
        .unwrap()
        .title;
    click(&mut h, &format!("api.alg-none  {title}"));
    h.get_by_label_contains(&r.verdict.reason[..r.verdict.reason.len().min(40)]);
}
