//! Step mode in the desktop app, driven headless (egui_kittest) against the in-process sandbox
//! (auto-approving as alice; the test plays the browser): the runner stops before the
//! authorization step and then before the token request, Send goes on, and the diagram draws
//! each arrow only after its Send (judged on the diagram's arrows and their rectangles); an
//! edited `code_verifier` gets the sandbox's `invalid_grant` and the exchange is marked edited
//! in the diagram, the exchange list, History and the HAR export; a used code replayed from
//! History is refused; at 1024×768 and 150 % the step actions stay inside the window, in the
//! normal and the presenter view, and PageDown sends. Each test has its own config dir.
//! Deadlines only bound a hung test; nothing asserts on time.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::gui_support;

use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use grantscope_core::oauth::step::Pending;
use grantscope_gui::{AppOptions, GrantscopeApp, Screen};
use gui_support::{
    SIZES, finished, harness, harness_at, layout_problems, name_of, step_until, window,
};

type H = Harness<'static, GrantscopeApp>;

/// The wizard's answers that lead to authorization code, so "Run this grant" is on screen.
fn wizard_at_authorization_code(dir: &std::path::Path) {
    std::fs::write(
        dir.join("gui.json"),
        r#"{"screen":"wizard","wizard":{"have_refresh_token":1,"token_owner":1,"client_type":0}}"#,
    )
    .unwrap();
}

/// The flow runner on authorization code with the sandbox profile, the browser not opened (the
/// test visits the URL), step mode on.
pub(crate) fn app_in_step_mode(h: &mut H) {
    step_until(h, "the wizard's leaf", |h| {
        h.query_by_label("Run this grant").is_some()
    });
    h.get_by_label("Run this grant").click();
    step_until(h, "the sandbox profile in the flow form", |h| {
        h.state().screen() == Screen::Flow && h.state().flow().profile.name == "Local sandbox"
    });
    assert_eq!(h.state().flow().profile.client_id, "sandbox-native");
    h.get_by_label("Open the system browser").click();
    h.get_by_label("Step mode").click();
    h.step();
    assert!(!h.state().flow().inputs.open_browser);
    assert!(h.state().flow().step.enabled);
}

pub(crate) fn options(dir: &std::path::Path) -> AppOptions {
    wizard_at_authorization_code(dir);
    let mut o = AppOptions::new(dir);
    o.sandbox_auto_approve = Some("alice".into());
    o
}

/// The step the run waits on, once it waits (or has ended).
pub(crate) fn wait_for_pending(h: &mut H, what: &str) -> Option<Pending> {
    step_until(h, what, |h| {
        finished(h) || h.state().flow().step.pending().is_some()
    });
    h.state().flow().step.pending().cloned()
}

/// The diagram's arrows as the accessibility tree has them: label and rectangle.
fn arrows_on_screen(h: &H, contains: &str) -> Vec<(String, egui::Rect)> {
    h.query_all_by_label_contains(contains)
        .map(|n| (name_of(&n), n.rect()))
        .collect()
}

/// Where an arrow is in the diagram: its height above the first arrow (discovery's, drawn
/// before step mode began), so the diagram's own place on screen does not matter.
fn row_of(h: &H, rect: egui::Rect) -> f32 {
    let top = arrows_on_screen(h, "(discovery)")
        .into_iter()
        .map(|(_, r)| r.center().y)
        .fold(f32::INFINITY, f32::min);
    assert!(top.is_finite(), "the discovery arrow is drawn");
    rect.center().y - top
}

/// The `code_verifier` of a form body, decoded (a verifier may hold `~`, sent as `%7E`).
fn verifier_in(body: &str) -> Option<String> {
    url::form_urlencoded::parse(body.as_bytes())
        .find(|(k, _)| k == "code_verifier")
        .map(|(_, v)| v.into_owned())
}

/// Whether `text` holds `secret`, raw or form-encoded.
fn shows(text: &str, secret: &str) -> bool {
    let encoded: String = url::form_urlencoded::byte_serialize(secret.as_bytes()).collect();
    text.contains(secret) || text.contains(&encoded)
}

/// Plays the user-agent: follows the authorization URL (the sandbox approves and redirects to
/// the app's loopback listener).
pub(crate) fn browser(url: String) -> std::thread::JoinHandle<Result<u16, reqwest::Error>> {
    std::thread::spawn(move || {
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async { reqwest::get(url).await.map(|r| r.status().as_u16()) })
    })
}

/// Runs to the token request in step mode: stops before the authorization step (nothing of it
/// drawn yet), Send, the browser, then stops before the token request. Returns the pending
/// arrow's row (see [`row_of`]).
fn step_to_the_token_request(h: &mut H) -> f32 {
    h.get_by_label("Run").click();
    let first = wait_for_pending(h, "the authorization step").expect("the run stopped");
    let Pending::Authorize { url } = &first else {
        panic!("first stop: {first:?}");
    };
    assert!(url.query_pairs().any(|(k, _)| k == "code_challenge"));
    // Before the browser opens: the explanation, the URL's parameters, no browser arrow yet.
    h.get_by_label("Authorization request: the user signs in");
    h.get_by_label("Specification: RFC 6749 §4.1.1; RFC 7636 §4.3; RFC 9700 §2.1");
    h.get_by_label("code_challenge");
    h.get_by_label("redirect_uri");
    let run = h.state().flow().run().unwrap();
    assert!(
        run.authorize_url().is_none(),
        "the browser step waits for Send"
    );
    let next = arrows_on_screen(h, "next: authorization request");
    assert_eq!(next.len(), 1, "the highlighted next arrow");
    let next_row = row_of(h, next[0].1);
    assert!(next_row > 0.0, "below the discovery arrows");
    assert!(arrows_on_screen(h, "shows the URL to open").is_empty());

    h.get_by_label("Send").click();
    gui_support::wait_for_authorize_url(h);
    assert!(
        !finished(h),
        "{:?}",
        h.state().flow().run().unwrap().failure()
    );
    // Sent: the browser arrow is drawn where the "next" arrow was.
    let drawn = arrows_on_screen(h, "shows the URL to open");
    assert_eq!(drawn.len(), 1);
    assert!(
        (row_of(h, drawn[0].1) - next_row).abs() < 2.0,
        "drawn in the row the next arrow held"
    );
    assert!(arrows_on_screen(h, "next: ").is_empty());
    let url = gui_support::authorize_url(h);
    let visit = browser(url);

    let second = wait_for_pending(h, "the token request").expect("stopped again");
    assert!(visit.join().unwrap().is_ok());
    let Pending::Request { step, request } = &second else {
        panic!("second stop: {second:?}");
    };
    assert_eq!(step, "token request");
    assert_eq!(request.url.path(), "/token");
    // Not sent yet: no exchange, no drawn arrow, only the highlighted next one.
    let run = h.state().flow().run().unwrap();
    assert!(run.exchanges().iter().all(|e| e.step != "token request"));
    h.get_by_label("Token request: exchange the code");
    h.get_by_label("code_verifier");
    let next = arrows_on_screen(h, "(token request)");
    assert_eq!(next.len(), 1, "{next:?}");
    assert!(next[0].0.starts_with("next: POST /token"), "{next:?}");
    let callback = arrows_on_screen(h, "GET /callback");
    assert_eq!(callback.len(), 1);
    assert!(
        next[0].1.center().y > callback[0].1.center().y,
        "the next arrow comes after the redirect"
    );
    row_of(h, next[0].1)
}

#[test]
fn stepping_through_authorization_code_draws_each_arrow_after_its_send() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(options(dir.path()));
    app_in_step_mode(&mut h);
    let pending_row = step_to_the_token_request(&mut h);

    h.get_by_label("Send").click();
    step_until(&mut h, "the end of the run", finished);
    let run = h.state().flow().run().unwrap();
    assert!(run.success().is_some(), "{:?}", run.failure());
    assert!(h.state().flow().step.pending().is_none());
    let drawn = arrows_on_screen(&h, "(token request)");
    assert_eq!(drawn.len(), 1, "{drawn:?}");
    assert!(drawn[0].0.starts_with("POST /token"), "{drawn:?}");
    assert!(
        (row_of(&h, drawn[0].1) - pending_row).abs() < 2.0,
        "drawn in the row the next arrow held"
    );
    assert!(arrows_on_screen(&h, "next: ").is_empty());
    assert!(run.exchanges().iter().all(|e| !e.is_edited()));
    h.get_by_label("Tokens received");
}

#[test]
fn an_edited_code_verifier_is_refused_and_marked_edited_everywhere() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(options(dir.path()));
    app_in_step_mode(&mut h);
    step_to_the_token_request(&mut h);
    let Some(Pending::Request { request, .. }) = h.state().flow().step.pending().cloned() else {
        panic!("not at the token request");
    };
    let body = request.body.clone().unwrap();
    let verifier = verifier_in(&body).unwrap();
    // Masked until revealed, in the editor too.
    assert!(h.query_by_label_contains(&verifier).is_none());
    h.get_by_label("Edit").click();
    h.step();
    let field_with = |h: &H, value: &str| {
        h.query_all_by_role(egui::accesskit::Role::TextInput)
            .filter(|n| n.accesskit_node().value().as_deref() == Some(value))
            .count()
    };
    assert_eq!(
        field_with(&h, &verifier),
        0,
        "a secret field is a password field"
    );
    h.get_by_label("Reveal secrets").click();
    h.step();
    assert_eq!(field_with(&h, &verifier), 1);
    let wrong = "w".repeat(43);
    h.get_by(|n| {
        n.role() == egui::accesskit::Role::TextInput
            && n.value().as_deref() == Some(verifier.as_str())
    })
    .set_text_value_accesskit(&wrong);
    h.step();
    h.step();
    assert_eq!(field_with(&h, &wrong), 1);
    h.get_by_label("Send edited").click();
    step_until(&mut h, "the end of the run", finished);

    let run = h.state().flow().run().unwrap();
    let failure = run.failure().expect("the server refused");
    assert_eq!(
        failure.oauth.as_ref().map(|(c, _)| c.as_str()),
        Some("invalid_grant"),
        "{}",
        failure.message
    );
    let token = run
        .exchanges()
        .iter()
        .find(|e| e.step == "token request")
        .unwrap();
    assert!(token.is_edited());
    assert!(
        token
            .request_view(true)
            .body
            .unwrap()
            .contains(&format!("code_verifier={wrong}"))
    );
    let original = token.original_request_view(true).unwrap().body.unwrap();
    assert_eq!(
        verifier_in(&original).as_deref(),
        Some(verifier.as_str()),
        "the original keeps the flow's own verifier"
    );
    // The diagram and the exchange list say so.
    let drawn = arrows_on_screen(&h, "(token request) [edited]");
    assert_eq!(
        drawn.len(),
        1,
        "{:?}",
        arrows_on_screen(&h, "token request")
    );
    let header = h.get_by_label_contains("token request [edited]: POST");
    header.click();
    h.step();
    h.step();
    h.get_by_label("Original request");
    h.get_by_label("Request (edited, as sent)");
    // History and its HAR export, with the original beside it, masked.
    let hist = h.state().history();
    let ex = hist
        .entries()
        .iter()
        .find(|e| e.step == "token request")
        .unwrap();
    assert!(ex.is_edited());
    let view = hist.views().find(|v| v.step == "token request").unwrap();
    assert!(view.edited() && view.title().contains("[edited]"));
    assert!(
        !shows(view.original.as_ref().unwrap(), &verifier),
        "kept masked"
    );
    let har = grantscope_gui::history::to_har(hist.entries(), false);
    let entry = har["log"]["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| {
            e["comment"]
                .as_str()
                .unwrap_or("")
                .starts_with("token request")
        })
        .unwrap()
        .clone();
    assert_eq!(entry["_edited"], true);
    assert!(entry["_originalRequest"]["postData"]["text"].is_string());
    assert!(!shows(&har.to_string(), &verifier));
    h.get_by_label("History").click();
    h.step();
    h.step();
    assert!(
        h.query_by_label_contains("token request [edited]")
            .is_some()
    );
}

#[test]
fn replaying_a_used_code_from_history_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(options(dir.path()));
    app_in_step_mode(&mut h);
    // A plain run this time.
    h.get_by_label("Step mode").click();
    h.step();
    assert!(!h.state().flow().step.enabled);
    h.get_by_label("Run").click();
    gui_support::wait_for_authorize_url(&mut h);
    let url = gui_support::authorize_url(&h);
    let visit = browser(url);
    step_until(&mut h, "the end of the run", finished);
    assert!(visit.join().unwrap().is_ok());
    assert!(h.state().flow().run().unwrap().success().is_some());

    h.get_by_label("History").click();
    h.step();
    h.step();
    assert_eq!(h.state().screen(), Screen::History);
    h.get_by_label("Filter").click();
    h.get_by_label("Filter").type_text("token request");
    h.step();
    h.step();
    if h.query_by_label("Replay").is_none() {
        h.get_by_label_contains("token request: POST").click();
        h.step();
        h.step();
    }
    let before = h.state().history().entries().len();
    h.get_by_label("Replay").click();
    step_until(&mut h, "the replay", |h| {
        h.state().history().entries().len() > before
    });
    let replayed = h.state().history().entries().last().unwrap();
    assert_eq!(replayed.step, "replay: token request");
    assert_eq!(replayed.status(), Some(400));
    let body = replayed.response_view(false).unwrap().body;
    assert!(body.contains("invalid_grant"), "{body}");
    // Masked as the original was.
    let sent = replayed.request_view(false).body.unwrap();
    assert!(
        sent.contains("code=••••••") && sent.contains("code_verifier=••••••"),
        "{sent}"
    );
    // On screen: the server's refusal, and the replay in the list.
    h.step();
    assert!(
        h.query_by_label_contains("Replay: ")
            .is_some_and(|n| name_of(&n).contains("invalid_grant")),
        "the replay's answer is shown"
    );
    assert!(h.query_by_label_contains("replay: token request").is_some());

    // From the flow runner, edited: another redirect_uri, refused too; the new arrow is in the
    // diagram, marked edited, the recorded request beside it as the original.
    h.get_by_label("Flow runner").click();
    h.step();
    h.step();
    // The exchange list is below the fold (token response, Call an API, the diagram): its
    // controls are used through the accessibility tree.
    h.get_by_label_contains("token request: POST")
        .click_accesskit();
    h.step();
    h.step();
    h.get_by_label("Edit and replay").click_accesskit();
    h.step();
    h.step();
    let field = h.get_by(|n| {
        n.role() == egui::accesskit::Role::TextInput
            && n.value().is_some_and(|v| v.ends_with("/callback"))
    });
    field.set_text_value_accesskit("http://127.0.0.1:1/elsewhere");
    h.step();
    h.step();
    let before = h.state().flow().run().unwrap().exchanges().len();
    // Below the fold in the runner's scroll area: clicked through the accessibility tree.
    h.get_by_label("Send replay").click_accesskit();
    step_until(&mut h, "the replay in the flow runner", |h| {
        h.state().flow().run().unwrap().exchanges().len() > before
    });
    let run = h.state().flow().run().unwrap();
    let again = run.exchanges().last().unwrap();
    assert_eq!(again.step, "replay: token request");
    assert!(again.is_edited());
    assert_eq!(again.status(), Some(400));
    assert!(
        again
            .original_request_view(false)
            .unwrap()
            .body
            .unwrap()
            .contains("callback")
    );
    let drawn = arrows_on_screen(&h, "(replay: token request) [edited]");
    assert_eq!(drawn.len(), 1, "{:?}", arrows_on_screen(&h, "replay"));
    assert_eq!(
        h.state().history().entries().last().unwrap().step,
        "replay: token request",
        "History has it too"
    );
}

/// At `size`, paused before the authorization step: the step actions (and the editor's) are
/// inside the window and overlap nothing, in the normal view and the presenter view (F5),
/// whose explanation is larger and starts on the first screen. Returns the app, presenter view
/// on, still paused.
fn paused_layout_holds(size: (f32, f32, f32)) -> (H, tempfile::TempDir) {
    let at = format!("{}x{} {}%", size.0, size.1, size.2 * 100.0);
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness_at(options(dir.path()), size);
    app_in_step_mode(&mut h);
    h.get_by_label("Run").click();
    let first = wait_for_pending(&mut h, "the authorization step").unwrap();
    assert!(matches!(first, Pending::Authorize { .. }));
    h.step();
    let win = window(&h);
    let must_see = ["Send", "Edit", "Skip to the end"];
    let editing = ["Send edited", "Discard edits", "Skip to the end"];
    let problems = layout_problems(&h, &must_see);
    assert!(problems.is_empty(), "normal view at {at}: {problems:#?}");
    let title = "Authorization request: the user signs in";
    let normal = h.get_by_label(title).rect();
    // The Edit table keeps every control inside the window too.
    h.get_by_label("Edit").click();
    h.step();
    h.step();
    let problems = layout_problems(&h, &editing);
    assert!(problems.is_empty(), "editing at {at}: {problems:#?}");
    h.get_by_label("Discard edits").click();
    h.step();

    h.key_press(egui::Key::F5);
    h.step();
    h.step();
    assert!(h.state().flow().step.presenter);
    let problems = layout_problems(&h, &must_see);
    assert!(problems.is_empty(), "presenter view at {at}: {problems:#?}");
    let big = h.get_by_label(title).rect();
    assert!(
        big.height() > normal.height() * 1.3,
        "presenter type is larger at {at}: {normal:?} -> {big:?}"
    );
    assert!(
        win.contains_rect(big),
        "the explanation's title is on screen at {at}: {big:?}"
    );
    // The step's explanation starts within the first screen, not below the fold.
    assert!(big.bottom() < win.bottom() - 40.0, "{at}: {big:?}");
    h.get_by_label("Edit").click();
    h.step();
    h.step();
    let problems = layout_problems(&h, &editing);
    assert!(
        problems.is_empty(),
        "presenter editing at {at}: {problems:#?}"
    );
    h.get_by_label("Discard edits").click();
    h.step();
    (h, dir)
}

/// The projector size: the layout holds, and PageDown sends the step.
#[test]
fn step_actions_stay_inside_the_window_at_1024x768_150_percent() {
    let (mut h, _dir) = paused_layout_holds((1024.0, 768.0, 1.5));
    // PageDown sends the step (no text field has the keyboard).
    h.key_press(egui::Key::PageDown);
    gui_support::wait_for_authorize_url(&mut h);
    assert!(!finished(&h));
    assert!(h.state().flow().step.pending().is_none());
}

/// The other supported sizes (1024×700 100 %, 1920×1080 200 %, 1600×1000 100 %).
#[test]
fn step_actions_stay_inside_the_window_at_the_other_sizes() {
    for size in SIZES.into_iter().filter(|s| s.2 != 1.5) {
        drop(paused_layout_holds(size));
    }
}

/// Skip to the end sends the rest without stopping; Cancel (of the step) ends the run there,
/// with nothing sent.
#[test]
fn skip_to_the_end_stops_asking_and_cancel_ends_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(options(dir.path()));
    app_in_step_mode(&mut h);
    h.get_by_label("Run").click();
    assert!(matches!(
        wait_for_pending(&mut h, "the authorization step"),
        Some(Pending::Authorize { .. })
    ));
    h.get_by_label("Skip to the end").click();
    gui_support::wait_for_authorize_url(&mut h);
    let url = gui_support::authorize_url(&h);
    let visit = browser(url);
    step_until(&mut h, "the end of the run, or a stop", |h| {
        finished(h) || h.state().flow().step.pending().is_some()
    });
    assert!(visit.join().unwrap().is_ok());
    assert!(
        h.state().flow().step.pending().is_none(),
        "no stop before the token request"
    );
    assert!(h.state().flow().run().unwrap().success().is_some());

    // Step mode stays on for the next run; Cancel at its first stop ends it.
    h.get_by_label("Run").click();
    assert!(wait_for_pending(&mut h, "the next run's first stop").is_some());
    let cancels: Vec<_> = h.get_all_by_label("Cancel").collect();
    assert_eq!(cancels.len(), 2, "the run's Cancel and the step's");
    // The step's Cancel is the one in the step actions, above the form.
    let step_cancel = cancels
        .into_iter()
        .min_by(|a, b| a.rect().top().total_cmp(&b.rect().top()))
        .unwrap();
    step_cancel.click();
    step_until(&mut h, "the cancelled run", finished);
    let run = h.state().flow().run().unwrap();
    assert!(run.failure().is_some());
    assert!(run.authorize_url().is_none(), "the browser never opened");
    assert!(h.state().flow().step.pending().is_none());
}
