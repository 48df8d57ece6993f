//! Drives the real desktop app headless (egui_kittest) against the in-process sandbox through the
//! paths the other GUI tests leave out: the device grant approved on the sandbox's device page,
//! the "paste the redirect URL" fallback of authorization code (and a pasted wrong `state`), a
//! file dropped on the window, and Cancel of a flow waiting on its loopback listener. The test
//! plays the user-agent over HTTP. Each test has its own config dir (tempdir); deadlines only
//! bound a hung test, nothing asserts on time.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::gui_support;

use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use grantscope_gui::{AppOptions, GrantscopeApp, Screen};
use gui_support::{finished, harness, post_form, run_until_authorize_url, step_until, walk};

/// The text of the first widget whose label contains `needle`.
fn label_containing(h: &Harness<'static, GrantscopeApp>, needle: &str) -> String {
    let node = h.get_by_label_contains(needle);
    let ak = node.accesskit_node();
    ak.label()
        .filter(|l| l.contains(needle))
        .or_else(|| ak.value())
        .unwrap_or_default()
}

/// A GET as the user's browser (no redirect followed): status and body.
fn get_page(url: &str) -> (u16, String) {
    let url = url.to_owned();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async move {
            let client = reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap();
            let r = client.get(url).send().await.unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        })
    })
    .join()
    .unwrap()
}

#[test]
fn device_grant_approved_on_the_sandbox_device_page() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(AppOptions::new(dir.path()));
    walk(&mut h, &["No", "A User", "Device without a browser"]);
    assert_eq!(h.state().flow().profile.client_id, "sandbox-native");

    h.get_by_label("Run").click();
    step_until(&mut h, "the verification URI and user code", |h| {
        h.query_by_label_contains("Go to http").is_some()
    });
    // "Go to {verification_uri} and enter {user_code}", as the user reads it off the screen.
    let shown = label_containing(&h, "Go to http");
    let rest = shown
        .strip_prefix("Go to ")
        .unwrap_or_else(|| panic!("shown: {shown:?}"));
    let (verification_uri, user_code) = rest.split_once(" and enter ").unwrap();
    assert!(
        verification_uri.ends_with("/device"),
        "verification URI: {verification_uri}"
    );
    assert!(!user_code.trim().is_empty());
    assert!(!finished(&h), "the flow waits for the user");
    // Pinned above the results while polling, with a copy button.
    h.get_by_label("Copy code");
    h.get_by_label(user_code);

    let (status, _, page) = post_form(
        verification_uri,
        &[
            ("user_code", user_code),
            ("username", "alice"),
            ("password", "alice-password"),
            ("decision", "approve"),
        ],
    );
    assert!(status < 400, "the device page refused: {status} {page}");

    // The sandbox's poll interval is its 5 s default: the flow polls until approved.
    step_until(&mut h, "the device token", finished);
    h.get_by_label("Tokens received");
    // The polls before the approval are the expected waits, not failures.
    for v in h.state().history().views() {
        if v.waiting.is_some() {
            assert!(!v.failed(), "{v:?}");
            assert!(
                v.title().contains("waiting (authorization_pending)")
                    || v.title().contains("waiting (slow_down)")
            );
        }
    }
    let success = h.state().flow().run().and_then(|r| r.success()).unwrap();
    assert!(!success.tokens.access_token.is_empty());

    h.get_by_label("Inspect access token").click();
    step_until(&mut h, "the inspection", |h| {
        h.state().screen() == Screen::Inspector
            && h.state().inspector().inspection().is_some()
            && !h.state().inspector().pending()
    });
    let ins = h.state().inspector().inspection().unwrap();
    assert_eq!(ins.claims["sub"], "sandbox-user-alice");
    assert!(
        h.query_all_by_label_contains("sandbox-user-alice")
            .next()
            .is_some(),
        "the decoded sub claim is on screen"
    );
}

/// Plays the user at the sandbox's login page: opens the authorization URL, signs in as alice,
/// approves, and returns the redirect URL (the `Location`) the browser would land on.
fn sign_in_and_approve(authorize_url: &str) -> String {
    let (status, page) = get_page(authorize_url);
    assert_eq!(status, 200, "login page: {page}");
    let marker = "name=\"request_id\" value=\"";
    let start = page.find(marker).expect("request_id in the login page") + marker.len();
    let request_id = &page[start..start + page[start..].find('"').unwrap()];
    let mut post_url = url::Url::parse(authorize_url).unwrap();
    post_url.set_query(None);
    let (status, location, body) = post_form(
        post_url.as_str(),
        &[
            ("request_id", request_id),
            ("username", "alice"),
            ("password", "alice-password"),
            ("decision", "approve"),
        ],
    );
    assert!((300..400).contains(&status), "approve: {status} {body}");
    location.expect("a redirect")
}

/// Types `url` into the paste field and presses Continue.
fn paste_redirect(h: &mut Harness<'static, GrantscopeApp>, url: &str) {
    h.get_by_label("Redirect URL").click();
    h.step();
    h.get_by_label("Redirect URL").type_text(url);
    h.step();
    h.get_by_label("Continue").click();
    h.step();
}

#[test]
fn pasted_redirect_completes_authorization_code_and_a_wrong_state_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(AppOptions::new(dir.path()));
    walk(&mut h, &["No", "A User", "Server App"]);
    assert_eq!(h.state().flow().profile.client_id, "sandbox-native");
    h.get_by_label("Open the system browser").click();
    h.step();
    h.get_by_label("Paste the redirect URL by hand").click();
    h.step();
    assert!(h.state().flow().inputs.paste_redirect);

    let url = run_until_authorize_url(&mut h);
    let redirect = sign_in_and_approve(&url);
    assert!(redirect.contains("code="), "redirect: {redirect}");
    paste_redirect(&mut h, &redirect);
    step_until(&mut h, "the token response", finished);
    h.get_by_label("Tokens received");
    let success = h.state().flow().run().and_then(|r| r.success()).unwrap();
    assert!(success.tokens.id_token.is_some());

    // A second run, and a redirect whose `state` is not the one sent: refused, with the reason.
    let url = run_until_authorize_url(&mut h);
    let redirect = sign_in_and_approve(&url);
    let mut tampered = url::Url::parse(&redirect).unwrap();
    let pairs: Vec<(String, String)> = tampered
        .query_pairs()
        .map(|(k, v)| {
            let v = if k == "state" {
                "not-our-state".into()
            } else {
                v.into_owned()
            };
            (k.into_owned(), v)
        })
        .collect();
    tampered.query_pairs_mut().clear().extend_pairs(pairs);
    paste_redirect(&mut h, tampered.as_str());
    step_until(&mut h, "the refusal", finished);
    assert!(h.state().flow().run().and_then(|r| r.success()).is_none());
    h.get_by_label_contains("`state` does not match");
    assert!(h.query_by_label("Tokens received").is_none());
}

/// A file dropped on the window, as the windowing backend would hand it to egui.
#[derive(Debug)]
struct TestFile(std::path::PathBuf);

impl egui::DroppedFile for TestFile {
    fn path(&self) -> &std::path::Path {
        &self.0
    }

    fn bytes(&self) -> Result<Vec<u8>, String> {
        std::fs::read(&self.0).map_err(|e| e.to_string())
    }
}

fn drop_file(h: &mut Harness<'static, GrantscopeApp>, path: std::path::PathBuf) {
    h.input_mut()
        .dropped_files
        .push(std::sync::Arc::new(TestFile(path)));
    h.step();
}

#[test]
fn a_dropped_token_file_is_inspected_and_unreadable_files_say_why() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(AppOptions::new(dir.path()));
    // A sandbox-issued JWT, obtained from the GUI.
    walk(&mut h, &["No", "A Machine"]);
    h.get_by_label("Run").click();
    step_until(&mut h, "the token response", finished);
    let token = h
        .state()
        .flow()
        .run()
        .and_then(|r| r.success())
        .unwrap()
        .tokens
        .access_token
        .clone();
    assert!(h.state().inspector().inspection().is_none());

    let files = tempfile::tempdir().unwrap();
    let jwt_file = files.path().join("token.jwt");
    std::fs::write(&jwt_file, format!("{}\n", token.expose())).unwrap();
    drop_file(&mut h, jwt_file);
    step_until(&mut h, "the dropped token's inspection", |h| {
        h.state().screen() == Screen::Inspector
            && h.state().inspector().inspection().is_some()
            && !h.state().inspector().pending()
    });
    let ins = h.state().inspector().inspection().unwrap().clone();
    assert_eq!(ins.claims["client_id"], "sandbox-machine");
    let sub = ins.claims["sub"].as_str().unwrap().to_owned();
    h.get_by_label("sub:");
    assert!(
        h.query_all_by_label_contains(&sub).next().is_some(),
        "the sub claim {sub} is on screen"
    );
    // Judged on its own until the user says how to verify it; then against the sandbox's JWKS.
    assert!(!ins.valid, "not verified against a profile nobody chose");
    h.get_by_label("UNVERIFIED");
    h.get_by_label("Against profile Local sandbox").click();
    h.step();
    step_until(&mut h, "the inspection against the profile", |h| {
        !h.state().inspector().pending()
    });
    let ins = h.state().inspector().inspection().unwrap().clone();
    assert!(ins.valid, "verified against the sandbox's JWKS");

    // Not text: a clear notice naming the file, and the inspected token stays.
    let bin = files.path().join("photo.bin");
    std::fs::write(&bin, [0xff, 0xfe, 0x00, 0x89, 0x50, 0x4e, 0x47]).unwrap();
    drop_file(&mut h, bin);
    step_until(&mut h, "the notice about the binary file", |h| {
        h.query_by_label_contains("photo.bin").is_some()
    });
    h.get_by_label_contains("not UTF-8 text");
    assert_eq!(
        h.state().inspector().inspection().unwrap().claims["sub"],
        sub.as_str()
    );
    h.get_by_label("Dismiss").click();
    h.step();
    h.step();
    assert!(h.query_by_label_contains("photo.bin").is_none());

    // Empty: said so, not inspected as a token.
    let empty = files.path().join("empty.txt");
    std::fs::write(&empty, b"").unwrap();
    drop_file(&mut h, empty);
    step_until(&mut h, "the notice about the empty file", |h| {
        h.query_by_label_contains("empty.txt").is_some()
    });
    h.get_by_label_contains("empty");
    assert_eq!(
        h.state().inspector().inspection().unwrap().claims["sub"],
        sub.as_str()
    );
}

/// Whether the button labelled `label` is enabled.
fn enabled(h: &Harness<'static, GrantscopeApp>, label: &str) -> bool {
    !h.get_by_label(label).accesskit_node().is_disabled()
}

#[test]
fn cancel_stops_a_flow_waiting_on_its_loopback_listener_and_a_new_run_works() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(AppOptions::new(dir.path()));
    walk(&mut h, &["No", "A User", "Server App"]);
    h.get_by_label("Open the system browser").click();
    h.step();
    assert!(enabled(&h, "Run"));
    assert!(!enabled(&h, "Cancel"));

    let url = run_until_authorize_url(&mut h);
    assert!(!enabled(&h, "Run"), "Run is disabled while the flow waits");
    assert!(enabled(&h, "Cancel"));
    let redirect_uri =
        url::Url::parse(&crate::common::query_param(&url, "redirect_uri").unwrap()).unwrap();
    let listener = format!(
        "{}:{}",
        redirect_uri.host_str().unwrap(),
        redirect_uri.port().unwrap()
    );
    assert!(
        std::net::TcpStream::connect(&listener).is_ok(),
        "the loopback listener is up while the flow waits"
    );
    // What it waits for, for how long of its limit, and a way out beside it.
    h.get_by_label_contains("Waiting for the browser to come back: ");
    h.get_by_label_contains(" of 5 min 0 s.");
    assert!(enabled(&h, "Cancel the run"));

    h.get_by_label("Cancel").click();
    h.step();
    h.step();
    assert!(finished(&h));
    assert!(h.state().flow().run().and_then(|r| r.success()).is_none());
    h.get_by_label("cancelled");
    assert!(enabled(&h, "Run"), "Run is enabled again");
    assert!(!enabled(&h, "Cancel"));
    // The listener goes away with the cancelled flow.
    step_until(&mut h, "the loopback listener to close", |_| {
        std::net::TcpStream::connect(&listener).is_err()
    });

    // A new run works: sign in, and the browser lands on the new listener.
    let url = run_until_authorize_url(&mut h);
    assert!(h.query_by_label("cancelled").is_none());
    let redirect = sign_in_and_approve(&url);
    let (status, page) = get_page(&redirect);
    assert!(
        status < 400,
        "the loopback listener answered {status}: {page}"
    );
    step_until(&mut h, "the token response", finished);
    h.get_by_label("Tokens received");
    assert!(h.state().flow().run().and_then(|r| r.success()).is_some());
}
