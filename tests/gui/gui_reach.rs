//! Issue 21 in the desktop app: the wizard's "I have an API URL" chain against the in-process
//! sandbox's protected resource with no profile for it (discover, register, the code flow with
//! the resource indicator, the API called), at the projector size (1024×768 at 150 %), its
//! controls inside the window at each stage (screenshots when `GRANTSCOPE_SHOTS_DIR` is set).
//! CIBA's parts are `gui_ciba`'s.

use egui_kittest::kittest::Queryable;
use grantscope_gui::{AppOptions, Screen};

use crate::gui_support::{self, SIZES, finished, harness_at, layout_problems, shots, step_until};

/// 1024×768 at 150 %.
const PROJECTOR: (f32, f32, f32) = SIZES[1];

fn start_sandbox(h: &mut egui_kittest::Harness<'static, grantscope_gui::GrantscopeApp>) -> String {
    if h.state().sandbox_issuer().is_none() {
        h.get_by_label("Start sandbox").click();
    }
    step_until(h, "the sandbox", |h| h.state().sandbox_issuer().is_some());
    h.state().sandbox_issuer().unwrap()
}

fn type_into(
    h: &mut egui_kittest::Harness<'static, grantscope_gui::GrantscopeApp>,
    label: &str,
    text: &str,
) {
    h.get_by_label(label).click();
    h.step();
    h.event(egui::Event::Text(text.into()));
    h.step();
}

#[test]
fn start_from_an_api_discovers_registers_signs_in_with_the_resource_and_calls_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut options = AppOptions::new(dir.path());
    options.sandbox_auto_approve = Some("alice".into());
    let mut h = harness_at(options, PROJECTOR);
    // No real browser in a test: the test plays the user-agent (the box is on the code
    // flow's form).
    gui_support::walk(&mut h, &["No", "A User", "Server App"]);
    h.get_by_label("Open the system browser").click();
    h.step();
    assert!(!h.state().flow().inputs.open_browser);
    let issuer = start_sandbox(&mut h);
    let api = format!("{issuer}/api/resource");
    let profiles_before = h.state().profiles().profiles().len();

    h.get_by_label("Wizard").click();
    h.step();
    h.get_by_label("I have an API URL").click();
    h.step();
    h.step();
    type_into(&mut h, "1. API URL", &api);
    h.get_by_label("Discover").click();
    step_until(&mut h, "the API's discovery", |h| {
        !h.state().api_start().busy()
    });
    assert_eq!(h.state().api_start().error(), None);
    let found = h
        .state()
        .api_start()
        .found()
        .expect("the discovery's result");
    assert_eq!(found.status, 401);
    assert!(
        found
            .challenge
            .as_deref()
            .is_some_and(|c| c.contains("resource_metadata")),
        "{found:?}"
    );
    assert_eq!(found.metadata_source, "challenge");
    assert_eq!(found.servers.len(), 1, "{found:?}");
    assert_eq!(
        found.servers[0].issuer.trim_end_matches('/'),
        issuer.trim_end_matches('/')
    );
    assert!(found.scopes.iter().any(|s| s == "api:read"), "{found:?}");
    h.get_by_label_contains("(registration open)");
    // The sandbox profile is for this server too; this test registers a new client.
    // At 150 % the button is below the fold: scrolled to, as a user would.
    gui_support::into_view(&mut h, "Register a client and sign in");
    h.get_by_label("Register a client and sign in").click();
    step_until(&mut h, "the registration and the authorization URL", |h| {
        h.state().api_start().error().is_some()
            || h.state().screen() == Screen::Flow
                && (finished(h)
                    || h.state()
                        .flow()
                        .run()
                        .and_then(|r| r.authorize_url())
                        .is_some())
    });
    assert_eq!(h.state().api_start().error(), None);
    assert!(
        !finished(&h),
        "the run ended early: {:?}",
        h.state().flow().run().and_then(|r| r.failure())
    );
    let url = gui_support::authorize_url(&h);
    assert!(url.contains("resource="), "the resource indicator: {url}");
    assert!(url.contains("code_challenge="), "PKCE: {url}");
    let visit = url.clone();
    let browser = std::thread::spawn(move || {
        let rt = tokio::runtime::Runtime::new().unwrap();
        // Follows the sandbox's redirect to the app's loopback listener.
        rt.block_on(async { reqwest::get(visit).await.map(|r| r.status().as_u16()) })
    });
    step_until(&mut h, "the token response", finished);
    assert!(browser.join().unwrap().is_ok());
    let run = h.state().flow().run().unwrap();
    assert!(
        run.success().is_some(),
        "the flow failed: {:?}",
        run.failure()
    );
    let profile = run.profile().clone();
    assert_ne!(profile.name, "Local sandbox");
    assert_eq!(profile.resources, vec![api.clone()]);
    assert!(!profile.client_id.is_empty());
    // The whole chain is one diagram: the discovery and the registration lead it.
    let steps: Vec<String> = run.exchanges().iter().map(|e| e.step.clone()).collect();
    for want in [
        "call without a token",
        "protected resource metadata",
        "client registration",
        "token request",
    ] {
        assert!(steps.iter().any(|s| s == want), "{want} in {steps:?}");
    }
    h.get_by_label_contains("GET /api/resource  (call without a token)");
    // Its 401 is the answer asked for: drawn as expected, not as a failed HTTP 401.
    h.get_by_label_contains("HTTP 401, expected: asks for a token");
    h.get_by_label_contains("(client registration)");

    // Then the API is called with the token.
    step_until(&mut h, "the API's answer", |h| {
        h.state().flow().call_panel().last().is_some() && !h.state().flow().call_panel().running()
    });
    let answer = h
        .state()
        .flow()
        .call_panel()
        .last()
        .unwrap()
        .clone()
        .unwrap_or_else(|e| panic!("the call failed: {e}"));
    assert_eq!(answer.status, 200);
    h.get_by_label_contains("HTTP 200 (Bearer)");

    // The registered client was saved as a profile, and it is the active one.
    step_until(&mut h, "the saved profile", |h| {
        h.state().profiles().get(&profile.name).is_some()
    });
    assert_eq!(h.state().profiles().profiles().len(), profiles_before + 1);
    let saved = h.state().profiles().get(&profile.name).unwrap();
    assert_eq!(saved.client_id, profile.client_id);
    assert!(saved.registration_access_token.is_some());
    assert_eq!(
        h.state().settings().active_profile.as_deref(),
        Some(profile.name.as_str())
    );
}

#[test]
fn an_api_whose_metadata_names_another_resource_is_refused_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness_at(AppOptions::new(dir.path()), PROJECTOR);
    let issuer = start_sandbox(&mut h);
    h.get_by_label("Wizard").click();
    h.step();
    h.get_by_label("I have an API URL").click();
    h.step();
    h.step();
    // The sandbox's root answers without a challenge, so the root well-known metadata is read:
    // it is for /api/resource, not for this URL (RFC 9728 §3.3).
    let other = format!("{}/", issuer.trim_end_matches('/'));
    type_into(&mut h, "1. API URL", &other);
    h.get_by_label("Discover").click();
    step_until(&mut h, "the API's discovery", |h| {
        !h.state().api_start().busy()
    });
    assert!(h.state().api_start().found().is_none());
    let e = h.state().api_start().error().unwrap_or_default().to_owned();
    assert!(
        e.contains("resource mismatch") && e.contains("RFC 9728") && e.contains("3.3"),
        "{e}"
    );
    h.get_by_label_contains("resource mismatch");
}

/// The chain's stages at 1024×768 / 150 %: the start question and the URL field, what
/// discovery found, and "Register a client and sign in" once scrolled to, each inside the
/// window with nothing overlapping.
#[test]
fn the_api_start_fits_a_projector() {
    let dir = tempfile::tempdir().unwrap();
    let mut options = AppOptions::new(dir.path());
    options.start_screen = Some(Screen::Wizard);
    let (mut h, textures) = shots::harness_at(options, PROJECTOR);
    let issuer = start_sandbox(&mut h);
    h.get_by_label("I have an API URL").click();
    h.step();
    h.step();
    shots::shot(&h, &textures, "wizard-api-start");
    let problems = layout_problems(&h, &["I have an API URL", "1. API URL", "Discover"]);
    assert!(problems.is_empty(), "the start: {problems:#?}");

    type_into(&mut h, "1. API URL", &format!("{issuer}/api/resource"));
    h.get_by_label("Discover").click();
    step_until(&mut h, "the API's discovery", |h| {
        !h.state().api_start().busy()
    });
    assert_eq!(h.state().api_start().error(), None);
    h.step();
    shots::shot(&h, &textures, "wizard-api-found");
    let problems = layout_problems(&h, &["Discover"]);
    assert!(problems.is_empty(), "what was found: {problems:#?}");

    gui_support::into_view(&mut h, "Register a client and sign in");
    h.step();
    shots::shot(&h, &textures, "wizard-api-register");
    let problems = layout_problems(&h, &["Register a client and sign in"]);
    assert!(problems.is_empty(), "the register button: {problems:#?}");
}
