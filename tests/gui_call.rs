//! The flow runner's "Call an API" panel and "Request options", driven headless (egui_kittest)
//! against the in-process sandbox: the tokens of a run call the sandbox's protected resource as
//! Bearer and, with DPoP on, as DPoP with the key the token is bound to; the call's arrow lands
//! in the diagram's resource-server lane and its exchange in the list and History; an extra
//! token parameter typed in the form goes on the wire.
#![cfg(feature = "gui")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod gui_support;

use egui_kittest::kittest::{NodeT, Queryable};
use grantscope::gui::AppOptions;
use gui_support::{finished, harness, step_until, walk};

fn run_client_credentials(h: &mut egui_kittest::Harness<'static, grantscope::gui::GrantscopeApp>) {
    h.get_by_label("Run").click();
    step_until(h, "the token response", finished);
    h.get_by_label("Tokens received");
}

fn send_call(h: &mut egui_kittest::Harness<'static, grantscope::gui::GrantscopeApp>) {
    h.get_by_label("Call an API with this token").click();
    h.step();
    h.step();
    h.get_by_label("Send call").click();
    step_until(h, "the API's answer", |h| {
        h.state().flow().call_panel().last().is_some()
    });
}

/// The rectangle of the widget whose label contains `label`.
fn rect_of(
    h: &egui_kittest::Harness<'static, grantscope::gui::GrantscopeApp>,
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
    let answer = h
        .state()
        .flow()
        .call_panel()
        .last()
        .unwrap()
        .clone()
        .unwrap();
    assert_eq!(answer.status, 200, "{answer:?}");
    assert!(!answer.dpop);
    h.get_by_label_contains("HTTP 200 (Bearer)");

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
    let answer = h
        .state()
        .flow()
        .call_panel()
        .last()
        .unwrap()
        .clone()
        .unwrap();
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
    names[0].click();
    h.step();
    h.event(egui::Event::Text("trace_id".into()));
    h.step();
    let values: Vec<_> = h
        .query_all_by_role(egui::accesskit::Role::TextInput)
        .filter(|n| n.accesskit_node().placeholder() == Some("value"))
        .collect();
    values[0].click();
    h.step();
    h.event(egui::Event::Text("lesson-7".into()));
    h.step();
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
