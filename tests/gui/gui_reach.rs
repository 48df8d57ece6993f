//! Issue 21 in the desktop app: the wizard's "I have an API URL" chain against the in-process
//! sandbox's protected resource with no profile for it (discover, register, the code flow with
//! the resource indicator, the API called), at the projector size (1024×768 at 150 %), its
//! controls inside the window at each stage (screenshots when `GRANTSCOPE_SHOTS_DIR` is set).
//! CIBA's parts are `gui_ciba`'s.

use egui_kittest::kittest::{NodeT as _, Queryable};
use grantscope_gui::{AppOptions, Screen};

use crate::gui_support::{
    self, SIZES, finished, harness_at, into_view, layout_problems, shots, step_until,
};

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
    into_view(&mut h, "Register a client and sign in");
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
    // Each metadata document is fetched once in the chain: the registration and the run
    // reuse what the API's discovery read.
    let urls: Vec<String> = run
        .exchanges()
        .iter()
        .map(|e| e.request_view(false).url)
        .collect();
    for doc in [
        "/.well-known/openid-configuration",
        "/.well-known/oauth-authorization-server",
    ] {
        assert!(
            urls.iter().filter(|u| u.ends_with(doc)).count() <= 1,
            "{doc} fetched again: {urls:#?}"
        );
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

    into_view(&mut h, "Register a client and sign in");
    h.step();
    shots::shot(&h, &textures, "wizard-api-register");
    let problems = layout_problems(&h, &["Register a client and sign in"]);
    assert!(problems.is_empty(), "the register button: {problems:#?}");
}

/// Replaces the text of the box labelled `label`.
fn set_text(
    h: &mut egui_kittest::Harness<'static, grantscope_gui::GrantscopeApp>,
    label: &str,
    text: &str,
) {
    into_view(h, label);
    h.get_by_label(label).click();
    h.step();
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.step();
    h.key_press(egui::Key::Backspace);
    h.step();
    h.event(egui::Event::Text(text.into()));
    h.step();
    h.step();
}

/// Whether the widget `label` lies inside the window as drawn (no scrolling by the test).
fn in_window(
    h: &egui_kittest::Harness<'static, grantscope_gui::GrantscopeApp>,
    label_part: &str,
) -> bool {
    gui_support::window(h).contains_rect(h.get_by_label_contains(label_part).rect())
}

/// The chain's recovery at the projector size: the sandbox's API offered, the next step
/// brought into view, a refused registration said beside its button (without the generic
/// hint), a denied login drawn as its error redirect with the listener's end, and Run again
/// still calling the API with the resource shown in the form.
#[test]
fn a_refused_registration_and_a_denied_login_keep_the_api_journey() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness_at(AppOptions::new(dir.path()), PROJECTOR);
    gui_support::walk(&mut h, &["No", "A User", "Server App"]);
    h.get_by_label("Open the system browser").click();
    h.step();
    let issuer = start_sandbox(&mut h);
    let api = format!("{}/api/resource", issuer.trim_end_matches('/'));
    h.get_by_label("Wizard").click();
    h.step();
    h.get_by_label("I have an API URL").click();
    h.step();
    h.step();
    // The sandbox's API is one click away.
    h.get_by_label(&format!("Use the sandbox's API ({api})"))
        .click();
    step_until(&mut h, "the API's discovery", |h| {
        !h.state().api_start().busy() && h.state().api_start().found().is_some()
    });
    assert_eq!(h.state().api_start().found().unwrap().resource, api);
    h.step();
    h.step();
    // The next step is brought into view (no scrolling by the test).
    assert!(
        in_window(&h, "Register a client and sign in"),
        "{:?} not in {:?}",
        h.get_by_label("Register a client and sign in").rect(),
        gui_support::window(&h)
    );

    // A refused registration: its reason beside section 4, no generic hint.
    set_text(&mut h, "Scope", "openid bogus:scope");
    into_view(&mut h, "Register a client and sign in");
    h.get_by_label("Register a client and sign in").click();
    step_until(&mut h, "the refused registration", |h| {
        !h.state().api_start().busy() && h.state().api_start().register_error().is_some()
    });
    let refused = h.state().api_start().register_error().unwrap().to_owned();
    assert!(refused.contains("bogus:scope"), "{refused}");
    assert!(
        !refused.contains("see the server's documentation"),
        "{refused}"
    );
    assert_eq!(h.state().api_start().error(), None, "not at the page's top");
    h.step();
    h.step();
    assert!(
        in_window(&h, "invalid_client_metadata"),
        "the refusal is in view"
    );
    let button = h.get_by_label("Register a client and sign in").rect();
    let said = h.get_by_label_contains("invalid_client_metadata").rect();
    assert!(
        said.top() >= button.top() && said.top() - button.bottom() < 120.0,
        "the refusal {said:?} beside the button {button:?}"
    );

    // Registered; the login is denied in the browser.
    set_text(&mut h, "Scope", "openid api:read");
    into_view(&mut h, "Register a client and sign in");
    h.get_by_label("Register a client and sign in").click();
    step_until(&mut h, "the registration and the authorization URL", |h| {
        h.state().api_start().register_error().is_some()
            || h.state().screen() == Screen::Flow
                && h.state()
                    .flow()
                    .run()
                    .and_then(|r| r.authorize_url())
                    .is_some()
    });
    assert_eq!(h.state().api_start().register_error(), None);
    let url = gui_support::authorize_url(&h);
    let denied = crate::common::deny_login(&url).unwrap();
    assert!(denied.contains("error=access_denied"), "{denied}");
    let delivered = std::thread::spawn(move || crate::common::deliver_redirect(&denied));
    step_until(&mut h, "the denied run's end", finished);
    assert!(delivered.join().unwrap().is_ok());
    assert!(h.state().flow().run().unwrap().failure().is_some());
    // The error redirect is drawn in the user agent's lane, as a code's is.
    h.get_by_label_contains("302 redirect to http://127.0.0.1");
    h.get_by_label_contains("GET /callback?error=access_denied");
    // The API stays in Call an API, and the resource is shown in the form.
    assert_eq!(h.state().flow().call_panel().url(), api);
    assert_eq!(
        h.get_by_label("Resource")
            .accesskit_node()
            .value()
            .as_deref(),
        Some(api.as_str())
    );

    // Run again, approved: the journey ends with the API called.
    into_view(&mut h, "Run");
    let url = gui_support::run_until_authorize_url(&mut h);
    assert!(url.contains("resource="), "{url}");
    let approved = crate::common::block_on(async {
        let mut b = crate::common::browser::Browser::new(&url)?;
        b.authorize(
            &url,
            crate::common::browser::Login {
                user: "alice",
                password: "alice-password",
            },
            crate::common::browser::Decision::Approve,
        )
        .await
    })
    .unwrap();
    let delivered = std::thread::spawn(move || crate::common::deliver_redirect(&approved));
    step_until(&mut h, "the token response", finished);
    assert!(delivered.join().unwrap().is_ok());
    assert!(
        h.state().flow().run().unwrap().success().is_some(),
        "{:?}",
        h.state().flow().run().unwrap().failure()
    );
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
        .unwrap();
    assert_eq!(answer.status, 200);

    // Cleared, the Resource field stops the indicator; a cancelled run's listener ends.
    set_text(&mut h, "Resource", "");
    into_view(&mut h, "Run");
    let url = gui_support::run_until_authorize_url(&mut h);
    assert!(!url.contains("resource="), "{url}");
    into_view(&mut h, "Cancel the run");
    h.get_by_label("Cancel the run").click();
    h.step();
    h.step();
    h.get_by_label_contains("stopped listening on http://127.0.0.1");
}
