//! CIBA in the desktop app, on the user's path: the wizard's leaf (clicked and keyed), "Run
//! this grant" into the flow runner on CIBA, the wait pinned with what it waits for, the
//! built-in sandbox's phone on the Classroom screen (Approve, Deny), Cancel; and the wait and
//! the phone at the projector size (1024×768 at 150 %), with screenshots when
//! `GRANTSCOPE_SHOTS_DIR` names a folder.

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use grantscope_core::oauth::GrantKind;
use grantscope_gui::{AppOptions, GrantscopeApp, Screen};

use crate::gui_support::{self, SIZES, finished, harness, layout_problems, shots, step_until};

type H = Harness<'static, GrantscopeApp>;

/// 1024×768 at 150 %.
const PROJECTOR: (f32, f32, f32) = SIZES[1];

/// The CIBA leaf's answers, as the chart labels them.
const TO_CIBA: [&str; 3] = ["No", "A User", "Client starts the login"];

fn press(h: &mut H, key: egui::Key) {
    h.key_press(key);
    h.step();
    h.step();
}

/// Types `text` into the field `label`, replacing what it held.
fn set_field(h: &mut H, label: &str, text: &str) {
    h.get_by_label(label).click();
    h.step();
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.step();
    h.get_by_label(label).type_text(text);
    h.step();
}

/// Presses Run on the CIBA form (alice asked) and steps until the run waits for her device.
fn run_until_the_wait(h: &mut H) -> String {
    set_field(h, "Login hint", "alice");
    h.get_by_label("Run").click();
    h.step();
    h.step();
    // The code the run sends (the form makes a fresh one for each Run).
    let message = h.state().flow().inputs.binding_message.clone();
    assert_eq!(message.len(), 6, "a fresh binding message: {message:?}");
    step_until(h, "the backchannel request's wait", |h| {
        finished(h)
            || h.state()
                .flow()
                .run()
                .is_some_and(|r| r.backchannel().is_some())
    });
    assert!(
        !finished(h),
        "the run ended early: {:?}",
        h.state().flow().run().and_then(|r| r.failure())
    );
    message
}

/// Steps until the Classroom's phone lists the request with `message`.
fn until_the_phone_lists(h: &mut H, message: &str) {
    step_until(h, "the request on the phone", |h| {
        h.state()
            .classroom()
            .ciba_pending()
            .iter()
            .any(|p| p.binding_message.as_deref() == Some(message))
    });
}

#[test]
fn the_wizard_leads_to_ciba_and_the_classroom_phone_approves_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut options = AppOptions::new(dir.path());
    options.start_screen = Some(Screen::Wizard);
    let mut h = harness(options);

    // By clicks: the leaf explains the grant and what the server must check.
    for answer in TO_CIBA {
        h.get_by_label(answer).click();
        h.step();
        h.step();
    }
    // The leaf's heading (the chart's box has the same name, as a button).
    h.get_by_role_and_label(Role::Label, "Backchannel Authentication (CIBA)");
    h.get_by_label_contains("binding_message shows on the user's device");
    h.get_by_label_contains("auth_req_id is redeemed once");
    h.get_by_label("No security probe tests this grant's own pitfalls yet.");
    h.get_by_label("Start over").click();
    h.step();
    assert!(h.state().settings().wizard.is_empty());

    // By keys: the answers' numbers; the focus follows to "Run this grant", Enter runs it.
    for key in [egui::Key::Num2, egui::Key::Num2, egui::Key::Num7] {
        press(&mut h, key);
    }
    assert_eq!(h.state().settings().wizard.get("client_type"), Some(&6));
    h.get_by_role_and_label(Role::Label, "Backchannel Authentication (CIBA)");
    let focused = h
        .root()
        .children_recursive()
        .find(|n| n.accesskit_node().is_focused())
        .map(|n| gui_support::name_of(&n));
    assert_eq!(focused.as_deref(), Some("Run this grant"));
    press(&mut h, egui::Key::Enter);
    assert_eq!(h.state().screen(), Screen::Flow);
    assert_eq!(h.state().flow().grant, GrantKind::Ciba);
    step_until(&mut h, "the sandbox profile in the flow form", |h| {
        h.state().flow().profile.name == "Local sandbox"
    });
    h.get_by_label("Login hint");
    h.get_by_label("Binding message");

    // The run waits for alice's device and says so, with the binding message and Cancel.
    let message = run_until_the_wait(&mut h);
    h.get_by_label_contains("asks \"alice\" on their own device");
    h.get_by_label("Binding message, the same on their device:");
    h.get_by_label(&message);
    h.get_by_label_contains("Waiting for the user's approval on their device; polling every");
    h.get_by_label("Cancel the run");

    // The sandbox's phone, one click away: the request with its client, user, message and
    // scope; Approve.
    h.get_by_label("Open the phone").click();
    h.step();
    assert_eq!(h.state().screen(), Screen::Classroom);
    until_the_phone_lists(&mut h, &message);
    h.get_by_label("sandbox-ciba asks alice to sign in");
    h.get_by_label(&message);
    h.get_by_label_contains("scope openid");
    h.get_by_label("Approve").click();
    h.step();
    h.step();
    h.get_by_label_contains("Approved as alice: the client's next poll gets its tokens.");
    assert!(h.state().classroom().ciba_pending().is_empty());

    // The client's next poll gets the tokens.
    step_until(&mut h, "the tokens", finished);
    let run = h.state().flow().run().unwrap();
    let tokens = run
        .success()
        .unwrap_or_else(|| panic!("the run failed: {:?}", run.failure()));
    assert!(!tokens.tokens.access_token.is_empty());
    assert!(
        tokens.tokens.id_token.is_some(),
        "CIBA is OpenID: an ID token"
    );
    h.get_by_label("Flow runner").click();
    h.step();
    h.get_by_label("Tokens received");
}

#[test]
fn a_denied_request_says_access_denied_and_cancel_stops_the_wait() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(AppOptions::new(dir.path()));
    gui_support::walk(&mut h, &TO_CIBA);
    assert_eq!(h.state().flow().grant, GrantKind::Ciba);

    // Denied on the phone (reached by the Classroom tab): the run ends with access_denied,
    // said in words.
    let message = run_until_the_wait(&mut h);
    h.get_by_label("Classroom").click();
    h.step();
    until_the_phone_lists(&mut h, &message);
    h.get_by_label("Deny").click();
    h.step();
    h.step();
    h.get_by_label_contains("Denied: the client's next poll gets access_denied.");
    h.get_by_label("Flow runner").click();
    h.step();
    step_until(&mut h, "the denial", finished);
    let failure = h.state().flow().run().unwrap().failure().unwrap().clone();
    assert_eq!(
        failure.oauth.as_ref().map(|(code, _)| code.as_str()),
        Some("access_denied"),
        "{failure:?}"
    );
    h.get_by_label_contains("the user denied the request on their device");

    // A new request, and Cancel: the wait stops, nothing more is polled. Its code is not
    // the denied one's (two requests with one code stood side by side on the phone).
    let denied = message;
    let message = run_until_the_wait(&mut h);
    assert_ne!(message, denied, "each Run sends a fresh binding code");
    h.get_by_label("Cancel the run").click();
    h.step();
    h.step();
    assert!(finished(&h));
    let failure = h.state().flow().run().unwrap().failure().unwrap().clone();
    assert!(
        failure
            .message
            .starts_with("cancelled: the request stays pending"),
        "{failure:?}"
    );
    assert!(h.query_by_label("Cancel the run").is_none());
    let polls = h.state().flow().run().unwrap().exchanges().len();
    // The provider still holds the request (the client walked away from it), on the phone.
    h.get_by_label("Classroom").click();
    h.step();
    until_the_phone_lists(&mut h, &message);
    assert_eq!(h.state().flow().run().unwrap().exchanges().len(), polls);
}

/// The CIBA leaf, its wait and the phone at 1024×768 / 150 %: the controls a user needs are
/// inside the window and nothing overlaps.
#[test]
fn the_ciba_leaf_wait_and_phone_fit_a_projector() {
    let dir = tempfile::tempdir().unwrap();
    let mut options = AppOptions::new(dir.path());
    options.start_screen = Some(Screen::Wizard);
    let (mut h, textures) = shots::harness_at(options, PROJECTOR);
    for answer in TO_CIBA {
        // The chart is taller than the window: scrolled to, as a person would.
        gui_support::into_view(&mut h, answer);
        h.get_by_label(answer).click();
        h.step();
        h.step();
    }
    h.step();
    shots::shot(&h, &textures, "wizard-ciba-leaf");
    let problems = layout_problems(&h, &["Run this grant", "Client starts the login"]);
    assert!(problems.is_empty(), "the leaf: {problems:#?}");

    h.get_by_label("Run this grant").click();
    h.step();
    h.step();
    step_until(&mut h, "the sandbox profile in the flow form", |h| {
        h.state().flow().profile.name == "Local sandbox"
    });
    let message = run_until_the_wait(&mut h);
    h.step();
    shots::shot(&h, &textures, "flow-ciba-wait");
    let problems = layout_problems(&h, &["Cancel the run", "Open the phone"]);
    assert!(problems.is_empty(), "the wait: {problems:#?}");
    // The binding message to compare is on the first screen too.
    let shown = h.get_by_label(&message).rect();
    assert!(
        gui_support::window(&h).contains_rect(shown),
        "the binding message at {shown:?}"
    );

    h.get_by_label("Open the phone").click();
    h.step();
    until_the_phone_lists(&mut h, &message);
    h.step();
    shots::shot(&h, &textures, "classroom-ciba-phone");
    let problems = layout_problems(&h, &["Approve", "Deny"]);
    assert!(problems.is_empty(), "the phone: {problems:#?}");
    h.get_by_label("Approve").click();
    step_until(&mut h, "the tokens", finished);
    assert!(h.state().flow().run().unwrap().success().is_some());
}
