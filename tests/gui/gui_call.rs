//! The flow runner's "Call an API" panel and "Request options", driven headless (egui_kittest)
//! against the in-process sandbox: the tokens of a run call the sandbox's protected resource as
//! Bearer and, with DPoP on, as DPoP with the key the token is bound to; the call's arrow lands
//! in the diagram's resource-server lane and its exchange in the list and History; an extra
//! token parameter typed in the form goes on the wire.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::gui_support;

use egui_kittest::kittest::{NodeT, Queryable};
use grantscope_gui::{AppOptions, Screen};
use gui_support::{finished, harness, step_until, walk};

fn run_client_credentials(h: &mut egui_kittest::Harness<'static, grantscope_gui::GrantscopeApp>) {
    h.get_by_label("Run").click();
    step_until(h, "the token response", finished);
    h.get_by_label("Tokens received");
}

fn send_call(h: &mut egui_kittest::Harness<'static, grantscope_gui::GrantscopeApp>) {
    h.get_by_label("Call an API with this token").click();
    h.step();
    h.step();
    // Every control of the call has a name a screen reader says (the method picker and the
    // headers box had none).
    h.get_by_role_and_label(egui::accesskit::Role::ComboBox, "Method");
    h.get_by_role_and_label(
        egui::accesskit::Role::MultilineTextInput,
        "Headers (one `Name: value` per line)",
    );
    h.get_by_label("Send call").click();
    step_until(h, "the API's answer", |h| {
        h.state().flow().call_panel().last().is_some()
    });
}

/// Types `name` and `value` into the first row of the parameter tables (fields with the hints
/// "name" and "value").
fn type_first_parameter(
    h: &mut egui_kittest::Harness<'static, grantscope_gui::GrantscopeApp>,
    name: &str,
    value: &str,
) {
    for (hint, text) in [("name", name), ("value", value)] {
        let field = h
            .query_all_by_role(egui::accesskit::Role::TextInput)
            .find(|n| n.accesskit_node().placeholder() == Some(hint))
            .unwrap_or_else(|| panic!("no {hint} field"));
        field.click();
        h.step();
        h.event(egui::Event::Text(text.into()));
        h.step();
    }
}

/// The last answer of the Call an API panel (there must be one, and not an error).
fn last_answer(
    h: &egui_kittest::Harness<'static, grantscope_gui::GrantscopeApp>,
) -> grantscope_gui::flow::call::CallAnswer {
    h.state()
        .flow()
        .call_panel()
        .last()
        .expect("an answer")
        .clone()
        .unwrap_or_else(|e| panic!("the call failed: {e}"))
}

/// The rectangle of the widget whose label contains `label`.
fn rect_of(
    h: &egui_kittest::Harness<'static, grantscope_gui::GrantscopeApp>,
    label: &str,
) -> egui::Rect {
    let node = h.get_by_label_contains(label);
    let r = node.accesskit_node().bounding_box().unwrap();
    egui::Rect::from_min_max(
        egui::pos2(r.x0 as f32, r.y0 as f32),
        egui::pos2(r.x1 as f32, r.y1 as f32),
    )
}

#[test]
fn a_bearer_call_reaches_the_resource_lane_and_history() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(AppOptions::new(dir.path()));
    walk(&mut h, &["No", "A Machine"]);
    run_client_credentials(&mut h);
    let history_before = h.state().history().len();
    send_call(&mut h);
    let answer = last_answer(&h);
    assert_eq!(answer.status, 200, "{answer:?}");
    assert!(!answer.dpop);
    h.get_by_label_contains("HTTP 200 (Bearer)");
    // Multi-line boxes (the token response, raw exchanges) keep their lines: no escaped LF.
    assert!(
        h.query_all_by_label_contains("\\u{a}").next().is_none(),
        "a line feed shown as an escape"
    );

    // The call is the run's last exchange, recorded in History too, the token masked.
    let run = h.state().flow().run().unwrap();
    let last = run.exchanges().last().unwrap();
    assert_eq!(last.step, "resource call");
    let req = last.request_view(false);
    assert!(req.url.ends_with("/api/resource"), "{}", req.url);
    let auth = req
        .headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("authorization"))
        .unwrap();
    assert!(auth.1.starts_with("Bearer "), "{auth:?}");
    let token = h
        .state()
        .flow()
        .run()
        .unwrap()
        .success()
        .unwrap()
        .tokens
        .access_token
        .expose()
        .to_owned();
    assert!(!auth.1.contains(&token), "the token is masked in the view");
    assert_eq!(h.state().history().len(), history_before + 1);

    // Both arrows leave the client's lane; the call's goes a lane further right than the
    // token request's (the resource server's lane, not the authorization server's).
    let call = rect_of(&h, "GET /api/resource  (resource call)");
    let token = rect_of(&h, "(token request)");
    let lane = token.width() / 1.8; // an arrow spans its lanes plus 0.8 of a lane
    assert!(
        call.right() > token.right() + lane * 0.5,
        "the call {call:?} does not reach past the token request {token:?}"
    );
}

#[test]
fn with_dpop_on_the_call_proves_the_tokens_key() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(AppOptions::new(dir.path()));
    walk(&mut h, &["No", "A Machine"]);
    h.get_by_label("Request options (PAR, DPoP, extra parameters)")
        .click();
    h.step();
    h.step();
    h.get_by_label("DPoP").click();
    h.step();
    assert!(h.state().flow().profile.dpop, "the checkbox turns DPoP on");
    run_client_credentials(&mut h);
    let s = h.state().flow().run().unwrap().success().unwrap();
    assert_eq!(s.tokens.token_type.as_deref(), Some("DPoP"));
    send_call(&mut h);
    let answer = last_answer(&h);
    assert_eq!(answer.status, 200, "{answer:?}");
    assert!(answer.dpop);
    let run = h.state().flow().run().unwrap();
    let last = run.exchanges().last().unwrap();
    let req = last.request_view(false);
    let header = |name: &str| {
        req.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    };
    assert!(header("authorization").unwrap().starts_with("DPoP "));
    assert!(header("dpop").is_some(), "a proof goes with the call");

    // The inspector, opened from the run, checks the binding to the run's key.
    h.get_by_label("Inspect access token").click();
    step_until(&mut h, "the inspection", |h| {
        h.state().screen() == Screen::Inspector
            && h.state().inspector().inspection().is_some()
            && !h.state().inspector().pending()
    });
    let ins = h.state().inspector().inspection().unwrap();
    for id in ["token_type", "cnf.jkt"] {
        let c = ins
            .checks
            .iter()
            .find(|c| c.id == id)
            .unwrap_or_else(|| panic!("no {id} check: {:?}", ins.checks));
        assert_eq!(
            c.status,
            grantscope_core::token::CheckStatus::Pass,
            "{id}: {}",
            c.message
        );
    }
}

#[test]
fn an_extra_token_parameter_goes_on_the_wire_and_a_nameless_one_is_refused_before_running() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(AppOptions::new(dir.path()));
    walk(&mut h, &["No", "A Machine"]);
    h.get_by_label("Request options (PAR, DPoP, extra parameters)")
        .click();
    h.step();
    h.step();
    h.get_by_label("Add parameter").click();
    h.step();
    h.step();
    h.get_by_label("Add parameter").click();
    h.step();
    h.step();
    assert_eq!(h.state().flow().profile.token_params.len(), 2);
    // Rows are typed into through the UI: name then value of the first row.
    let names: Vec<_> = h
        .query_all_by_role(egui::accesskit::Role::TextInput)
        .filter(|n| n.accesskit_node().placeholder() == Some("name"))
        .collect();
    assert_eq!(names.len(), 2);
    // Each field has a name of its own (the hint is no name).
    for n in [1, 2] {
        h.get_by_label(&format!("Extra token parameter {n} name"));
        h.get_by_label(&format!("Extra token parameter {n} value"));
    }
    type_first_parameter(&mut h, "trace_id", "lesson-7");
    assert_eq!(
        h.state().flow().profile.token_params,
        vec![
            ("trace_id".to_string(), "lesson-7".to_string()),
            (String::new(), String::new())
        ]
    );
    // A nameless row is refused before anything is sent.
    h.get_by_label("Run").click();
    step_until(&mut h, "the form's complaint", |h| {
        h.query_by_label_contains("has no name").is_some()
    });
    assert!(h.state().flow().run().is_none(), "nothing ran");
    let removes: Vec<_> = h.query_all_by_label("Remove").collect();
    assert_eq!(removes.len(), 2);
    removes[1].click();
    h.step();
    h.step();
    assert_eq!(
        h.state().flow().profile.token_params,
        vec![("trace_id".to_string(), "lesson-7".to_string())]
    );
    run_client_credentials(&mut h);
    let run = h.state().flow().run().unwrap();
    let token_request = run
        .exchanges()
        .iter()
        .find(|e| e.step == "token request")
        .unwrap();
    let body = token_request.request_view(false).body.unwrap_or_default();
    assert!(body.contains("trace_id=lesson-7"), "{body}");
}

#[test]
fn rar_details_typed_in_the_form_come_back_granted_beside_the_requested() {
    let dir = tempfile::tempdir().unwrap();
    let mut options = AppOptions::new(dir.path());
    options.sandbox_auto_approve = Some("alice".into());
    let mut h = harness(options);
    walk(&mut h, &["No", "A User", "Server App"]);
    h.get_by_label("Open the system browser").click();
    h.step();
    h.get_by_label("Request options (PAR, DPoP, extra parameters)")
        .click();
    h.step();
    h.step();
    // Half-typed JSON is named as such under the box, and Run refuses it.
    let rar = h
        .query_all_by_role(egui::accesskit::Role::MultilineTextInput)
        .find(|n| {
            n.accesskit_node()
                .placeholder()
                .is_some_and(|p| p.contains("payment_initiation"))
        })
        .expect("the authorization details box");
    rar.click();
    h.step();
    h.event(egui::Event::Text(
        r#"[{"type": "account_information""#.into(),
    ));
    h.step();
    h.step();
    h.get_by_label_contains("authorization_details is not JSON");
    h.event(egui::Event::Text(
        r#", "actions": ["list_accounts"], "locations": ["https://bank.example/accounts"]}]"#
            .into(),
    ));
    h.step();
    h.step();
    assert!(
        h.query_by_label_contains("authorization_details is not JSON")
            .is_none(),
        "the complete JSON is accepted: {:?}",
        h.state().flow().profile.authorization_details
    );
    let url = authorize_in_browser(&mut h);
    assert!(url.contains("authorization_details="), "{url}");
    h.get_by_label("Tokens received");
    h.get_by_label("Authorization details (RFC 9396)");
    h.get_by_label("Requested");
    h.get_by_label("Granted");
    let granted = &h.state().flow().run().unwrap().success().unwrap().raw["authorization_details"];
    assert_eq!(granted[0]["type"], "account_information", "{granted}");
    // The two boxes stand side by side.
    let requested = rect_of(&h, "Requested");
    let granted_label = rect_of(&h, "Granted");
    assert!(
        granted_label.left() > requested.right()
            && (granted_label.top() - requested.top()).abs() < 4.0,
        "requested {requested:?}, granted {granted_label:?}"
    );
}

/// Plays the browser for an authorization-code run: the sandbox auto-approves and redirects
/// to the app's loopback listener.
fn authorize_in_browser(
    h: &mut egui_kittest::Harness<'static, grantscope_gui::GrantscopeApp>,
) -> String {
    let url = gui_support::run_until_authorize_url(h);
    let visit = url.clone();
    let browser = std::thread::spawn(move || {
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async { reqwest::get(visit).await.map(|r| r.status().as_u16()) })
    });
    step_until(h, "the token response", finished);
    assert!(browser.join().unwrap().is_ok());
    url
}

#[test]
fn a_step_up_challenge_is_offered_as_a_sign_in_with_what_it_asks_for() {
    let dir = tempfile::tempdir().unwrap();
    let mut options = AppOptions::new(dir.path());
    options.sandbox_auto_approve = Some("alice".into());
    options.start_screen = Some(Screen::Classroom);
    // Tall enough that the whole switch list is on screen (a click needs its target visible).
    let mut h = gui_support::harness_at(options, (1400.0, 3600.0, 1.0));
    h.step();
    // The classroom turns the sandbox's step-up switch on.
    h.get_by_role_and_label(egui::accesskit::Role::CheckBox, "require-step-up")
        .click();
    h.step();
    h.step();
    h.get_by_label("Apply").click();
    h.step();
    h.step();
    h.get_by_label("Start").click();
    step_until(&mut h, "the sandbox running", |h| {
        h.state().classroom().state() == grantscope_gui::classroom::SandboxState::Running
    });
    assert_eq!(h.state().classroom().switches_on(), vec!["require-step-up"]);

    h.get_by_label("Wizard").click();
    h.step();
    walk(&mut h, &["No", "A User", "Server App"]);
    h.get_by_label("Open the system browser").click();
    h.step();
    let first = authorize_in_browser(&mut h);
    assert!(!first.contains("acr_values"), "{first}");
    send_call(&mut h);
    let answer = last_answer(&h);
    assert_eq!(answer.status, 401, "{answer:?}");
    let step = answer.step_up().expect("a step-up challenge");
    let acr = step.acr_values.clone().unwrap();
    h.get_by_label_contains("stronger or fresher login");

    h.get_by_label("Sign in again with these").click();
    h.step();
    h.step();
    assert_eq!(
        h.state().flow().grant,
        grantscope_core::oauth::GrantKind::AuthorizationCode
    );
    let params = &h.state().flow().profile.authorize_params;
    assert!(
        params.contains(&("acr_values".to_string(), acr.clone())),
        "{params:?}"
    );
    step_until(&mut h, "the new authorization URL", |h| {
        h.state()
            .flow()
            .run()
            .and_then(|r| r.authorize_url())
            .is_some_and(|u| u.contains("acr_values="))
    });
    let url = gui_support::authorize_url(&h);
    let browser = std::thread::spawn(move || {
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async { reqwest::get(url).await.map(|r| r.status().as_u16()) })
    });
    step_until(&mut h, "the stepped-up tokens", finished);
    assert!(browser.join().unwrap().is_ok());
    h.get_by_label("Tokens received");
    assert!(
        h.state().flow().call_panel().last().is_none(),
        "the old answer is gone with the old tokens"
    );
    // The call panel is still open with the same URL: the new token satisfies the resource.
    h.get_by_label("Send call").click();
    step_until(&mut h, "the second answer", |h| {
        h.state().flow().call_panel().last().is_some()
    });
    let answer = last_answer(&h);
    assert_eq!(answer.status, 200, "{answer:?}");
}

#[test]
fn a_client_check_turned_off_accepts_a_tampered_state_and_the_run_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let mut options = AppOptions::new(dir.path());
    options.sandbox_auto_approve = Some("alice".into());
    let mut h = gui_support::harness_at(options, (1400.0, 1600.0, 1.0));
    walk(&mut h, &["No", "A User", "Server App"]);
    h.get_by_label("Open the system browser").click();
    h.step();
    // The tester overrides the request's state: the answer no longer matches what the client
    // keeps, and the run is refused.
    h.get_by_label("Request options (PAR, DPoP, extra parameters)")
        .click();
    h.step();
    h.step();
    // The first "Add parameter" is the authorization request's (the token request's follows).
    h.query_all_by_label("Add parameter")
        .next()
        .unwrap()
        .click();
    h.step();
    h.step();
    type_first_parameter(&mut h, "state", "tampered");
    h.step();
    assert!(
        h.state()
            .flow()
            .profile
            .authorize_params
            .contains(&("state".to_string(), "tampered".to_string())),
        "{:?}",
        h.state().flow().profile.authorize_params
    );
    authorize_in_browser(&mut h);
    assert!(h.state().flow().run().unwrap().success().is_none());
    h.get_by_label_contains("`state` does not match");

    // The state check turned off: the same tampering is accepted, and the run says so.
    h.get_by_label("Client checks (for testing a server)")
        .click();
    h.step();
    h.step();
    h.get_by_role_and_label(egui::accesskit::Role::CheckBox, "state check")
        .click();
    h.step();
    h.step();
    assert_eq!(
        h.state().flow().inputs.checks_off,
        vec![grantscope_core::oauth::ClientCheck::State]
    );
    h.get_by_label_contains("Turned off: state");
    authorize_in_browser(&mut h);
    h.get_by_label("Tokens received");
    h.get_by_label("Client checks turned off for this run: state");
    h.get_by_label_contains("Accepted: the redirect's `state` does not match");
}
