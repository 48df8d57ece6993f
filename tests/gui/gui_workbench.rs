//! The inspector's token workbench at the projector size (1024×768 at 150 %), driven like a
//! person: paste a token, open the workbench, break the claims' JSON (the error shows under the
//! box), change a claim, re-sign with a typed secret, and check that the token shown decodes
//! with the new claim and carries an HMAC an independent implementation agrees with; then
//! "Inspect it", and a forgery's variants.

use aws_lc_rs::hmac;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use grantscope_gui::{AppOptions, GrantscopeApp, Screen};
use serde_json::{Value, json};

use crate::gui_support::{harness_at, step_until};

const PROJECTOR: (f32, f32, f32) = (1024.0, 768.0, 1.5);
const SECRET: &str = "the-workbench-secret-of-thirty-two+";

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// An HS256 token of `claims`, signed here with aws-lc-rs.
fn hs256(claims: &Value, secret: &[u8]) -> String {
    let input = format!(
        "{}.{}",
        b64(br#"{"alg":"HS256","typ":"JWT"}"#),
        b64(&serde_json::to_vec(claims).unwrap())
    );
    let tag = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, secret), input.as_bytes());
    format!("{input}.{}", b64(tag.as_ref()))
}

fn claims_of(token: &str) -> Value {
    let part = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

fn click(h: &mut Harness<'static, GrantscopeApp>, label: &str) {
    h.get_by_label(label).scroll_to_me();
    // The scroll is animated: click where the widget comes to rest.
    let mut last = None;
    step_until(h, &format!("{label} to stop moving"), |h| {
        let now = h.get_by_label(label).rect();
        last.replace(now) == Some(now)
    });
    h.get_by_label(label).click();
    h.step();
    h.step();
}

/// Opens the workbench (its header unfolds over a few frames).
fn open_workbench(h: &mut Harness<'static, GrantscopeApp>) {
    click(h, "Token workbench: edit, re-sign, forge");
    step_until(h, "the workbench's boxes", |h| {
        h.query_by_label("Claims (JSON)").is_some()
    });
}

/// Replaces the text of the box labelled `label`.
fn set_text(h: &mut Harness<'static, GrantscopeApp>, label: &str, text: &str) {
    click(h, label);
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.step();
    h.get_by_label(label).type_text(text);
    h.step();
    h.step();
}

#[test]
fn paste_edit_a_claim_re_sign_with_a_secret_and_inspect_the_result() {
    let dir = tempfile::tempdir().unwrap();
    let mut options = AppOptions::new(dir.path());
    options.start_screen = Some(Screen::Inspector);
    let mut h = harness_at(options, PROJECTOR);
    let original = hs256(
        &json!({"sub": "alice", "scope": "read", "exp": 4_102_444_800_i64}),
        b"the-issuer-secret-nobody-here-knows",
    );
    h.event(egui::Event::Paste(original.clone()));
    step_until(&mut h, "the inspection", |h| {
        h.state().inspector().inspection().is_some() && !h.state().inspector().pending()
    });
    open_workbench(&mut h);

    // Broken JSON is said under its box, and nothing can be made of it.
    set_text(&mut h, "Claims (JSON)", r#"{"sub": "mallory",}"#);
    h.get_by_label_contains("Claims: not JSON");
    assert!(
        h.get_by_label("Make the token")
            .accesskit_node()
            .is_disabled()
    );

    set_text(
        &mut h,
        "Claims (JSON)",
        r#"{"sub": "mallory", "scope": "read admin", "exp": 4102444800}"#,
    );
    assert!(h.query_by_label_contains("Claims: not JSON").is_none());
    click(&mut h, "Secret");
    set_text(&mut h, "Shared secret", SECRET);
    click(&mut h, "Make the token");
    step_until(&mut h, "the workbench's token", |h| {
        h.state().inspector().workbench().result().is_some()
    });
    let made = match h.state().inspector().workbench().result().unwrap() {
        Ok(made) => made[0].token.clone(),
        Err(e) => panic!("the workbench refused: {e}"),
    };
    // What is shown is that token.
    let shown = h
        .query_all_by_role(egui::accesskit::Role::MultilineTextInput)
        .filter_map(|n| n.value())
        .any(|v| v == made);
    assert!(shown, "the made token is not on screen");
    // It decodes with the new claim, under the old header, and its HMAC is the secret's.
    let claims = claims_of(&made);
    assert_eq!(claims["sub"], "mallory");
    assert_eq!(claims["scope"], "read admin");
    let (input, sig) = made.rsplit_once('.').unwrap();
    hmac::verify(
        &hmac::Key::new(hmac::HMAC_SHA256, SECRET.as_bytes()),
        input.as_bytes(),
        &URL_SAFE_NO_PAD.decode(sig).unwrap(),
    )
    .unwrap();
    // The secret is masked on screen.
    assert!(
        h.query_all_by_role(egui::accesskit::Role::TextInput)
            .filter_map(|n| n.value())
            .all(|v| !v.contains(SECRET))
    );

    // "Inspect it": the inspector now shows the made token.
    click(&mut h, "Inspect it");
    step_until(&mut h, "the made token's inspection", |h| {
        let i = h.state().inspector();
        !i.pending()
            && i.inspection()
                .is_some_and(|ins| ins.claims["sub"] == "mallory")
    });
    assert_eq!(h.state().inspector().input, made);
}

#[test]
fn a_forgery_s_variants_are_listed_to_copy_or_inspect() {
    let dir = tempfile::tempdir().unwrap();
    let mut options = AppOptions::new(dir.path());
    options.start_screen = Some(Screen::Inspector);
    let mut h = harness_at(options, PROJECTOR);
    let original = hs256(
        &json!({"sub": "alice"}),
        b"the-issuer-secret-nobody-here-knows",
    );
    h.event(egui::Event::Paste(original));
    step_until(&mut h, "the inspection", |h| {
        h.state().inspector().inspection().is_some() && !h.state().inspector().pending()
    });
    open_workbench(&mut h);
    h.get_by_label_contains("Forgeries start from the header and claims above (as inspected");
    // The forgery starts from the claims as edited above it, and the screen says so.
    set_text(
        &mut h,
        "Claims (JSON)",
        r#"{"sub": "bob", "scope": "openid admin"}"#,
    );
    h.get_by_label_contains("Forgeries start from the header and claims above, as edited");
    click(&mut h, "Forgery");
    click(&mut h, "alg-none");
    click(&mut h, "Make the forgeries");
    step_until(&mut h, "the forgeries", |h| {
        h.state().inspector().workbench().result().is_some()
    });
    let made = h
        .state()
        .inspector()
        .workbench()
        .result()
        .unwrap()
        .as_ref()
        .unwrap()
        .clone();
    let names: Vec<&str> = made.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "alg-none/none",
            "alg-none/None",
            "alg-none/NONE",
            "alg-none/nOnE"
        ]
    );
    for m in &made {
        h.get_by_label(&m.name);
        assert!(m.token.ends_with('.'));
        assert_eq!(
            claims_of(&m.token),
            json!({"sub": "bob", "scope": "openid admin"}),
            "{} is not made of the edited claims",
            m.name
        );
    }
}

/// A run's access token, made unsecured (`alg: none`) in the workbench and sent through the
/// flow runner's "Call an API" in place of the run's: the sandbox's API refuses it.
#[test]
fn a_forged_token_goes_through_call_an_api_and_the_sandbox_refuses_it() {
    use crate::gui_support::{finished, walk};
    let dir = tempfile::tempdir().unwrap();
    // At 1024×768 / 150 %, where the prepared call was a screen below the top.
    let mut h = harness_at(AppOptions::new(dir.path()), PROJECTOR);
    walk(&mut h, &["No", "A Machine"]);
    h.get_by_label("Run").click();
    step_until(&mut h, "the token response", finished);
    let genuine = h
        .state()
        .flow()
        .run()
        .and_then(|r| r.success())
        .unwrap()
        .tokens
        .access_token
        .expose()
        .to_owned();
    click(&mut h, "Inspect access token");
    step_until(&mut h, "the inspection", |h| {
        h.state().screen() == Screen::Inspector
            && h.state().inspector().inspection().is_some()
            && !h.state().inspector().pending()
    });
    open_workbench(&mut h);
    click(&mut h, "none");
    click(&mut h, "Make the token");
    step_until(&mut h, "the unsecured token", |h| {
        h.state().inspector().workbench().result().is_some()
    });
    let forged = h
        .state()
        .inspector()
        .workbench()
        .result()
        .unwrap()
        .as_ref()
        .unwrap()[0]
        .token
        .clone();
    assert!(forged.ends_with('.'), "{forged}");
    assert_eq!(claims_of(&forged), claims_of(&genuine));
    click(&mut h, "Send with Call an API");
    assert_eq!(h.state().screen(), Screen::Flow);
    // The flow runner comes up scrolled to the call it prepared: its notice and Send call are
    // in the window without the user scrolling.
    let mut last = None;
    step_until(&mut h, "the scroll to the call to settle", |h| {
        let now = h.get_by_label("Send call").rect();
        last.replace(now) == Some(now)
    });
    let win = crate::gui_support::window(&h);
    for name in [
        "Call an API sends the token made in the inspector's workbench (edited), not this run's",
        "Send call",
    ] {
        let r = h.get_by_label(name).rect();
        assert!(win.contains_rect(r), "{name:?} at {r:?} is outside {win:?}");
    }
    assert_eq!(
        h.state().flow().forged_token().map(|t| t.expose()),
        Some(forged.as_str())
    );
    h.get_by_label(
        "Call an API sends the token made in the inspector's workbench (edited), not this run's",
    );
    click(&mut h, "Send call");
    step_until(&mut h, "the API's answer", |h| {
        h.state().flow().call_panel().last().is_some()
    });
    let answer = h
        .state()
        .flow()
        .call_panel()
        .last()
        .unwrap()
        .clone()
        .unwrap();
    assert_eq!(answer.status, 401, "the sandbox's API must refuse alg none");
    // The exchange says it carried the workbench's token, not the run's.
    let step = h
        .state()
        .flow()
        .run()
        .unwrap()
        .exchanges()
        .last()
        .unwrap()
        .step
        .clone();
    assert_eq!(step, "resource call (workbench token)");
    // Back to the run's own token: the API takes it.
    click(&mut h, "Use the run's token");
    assert!(h.state().flow().forged_token().is_none());
    click(&mut h, "Send call");
    step_until(&mut h, "the API's second answer", |h| {
        h.state()
            .flow()
            .call_panel()
            .last()
            .is_some_and(|a| a.as_ref().is_ok_and(|a| a.status == 200))
    });
}
