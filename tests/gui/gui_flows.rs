//! Drives the real desktop app headless (egui_kittest) against the in-process sandbox: paste a
//! bad token, run client credentials and authorization code (auto-approve) from the GUI, inspect
//! the tokens, and save and reload a profile. Each test has its own config dir (tempdir).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::gui_support;

use egui_kittest::kittest::Queryable;
use grantscope_core::oauth::GrantKind;
use grantscope_gui::{AppOptions, Screen};
use gui_support::{finished, harness, post_form, run_until_authorize_url, step_until, walk};

#[test]
fn pasting_a_bad_token_shows_the_error() {
    let dir = tempfile::tempdir().unwrap();
    let mut options = AppOptions::new(dir.path());
    options.start_screen = Some(Screen::Wizard);
    let mut h = harness(options);
    // Ctrl+V anywhere: egui turns it into a Paste event; the app switches to the inspector.
    h.event(egui::Event::Paste("eyJhbGciOiJub25lIn0.!!!.x".into()));
    step_until(&mut h, "the inspection", |h| {
        h.state().screen() == Screen::Inspector && !h.state().inspector().pending()
    });
    h.get_by_label("Not a readable token");
    let ins = h.state().inspector().inspection().unwrap();
    assert!(!ins.valid);
    assert!(ins.checks.iter().any(|c| c.id == "decode"));
}

#[test]
fn client_credentials_against_the_sandbox_then_inspect() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(AppOptions::new(dir.path()));
    walk(&mut h, &["No", "A Machine"]);
    assert_eq!(h.state().flow().profile.client_id, "sandbox-machine");

    h.get_by_label("Run").click();
    step_until(&mut h, "the token response", |h| {
        h.state().flow().run().is_some_and(|r| !r.running())
    });
    h.get_by_label("Tokens received");
    // The live sequence diagram has the token request arrow, and the history has the exchanges.
    assert!(
        h.query_all_by_label_contains("(token request)")
            .next()
            .is_some()
    );
    assert!(h.state().history().len() >= 2, "discovery + token request");
    // The HAR export: one entry per exchange, the client secret masked unless revealed.
    let entries = h.state().history().entries();
    let har = grantscope_gui::history::to_har(entries, false);
    assert_eq!(har["log"]["version"], "1.2");
    assert_eq!(
        har["log"]["entries"].as_array().map(Vec::len),
        Some(entries.len())
    );
    let post = har["log"]["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["request"]["method"] == "POST")
        .unwrap();
    assert_eq!(post["response"]["status"], 200);
    let masked = har.to_string();
    assert!(!masked.contains("sandbox-machine-secret"));
    let revealed = grantscope_gui::history::to_har(entries, true).to_string();
    assert_ne!(masked, revealed, "reveal shows what masking hid");

    h.get_by_label("Inspect access token").click();
    step_until(&mut h, "the inspection", |h| {
        h.state().screen() == Screen::Inspector
            && h.state().inspector().inspection().is_some()
            && !h.state().inspector().pending()
    });
    let ins = h.state().inspector().inspection().unwrap().clone();
    let failed: Vec<_> = ins
        .failures()
        .map(|c| format!("{}: {}", c.id, c.message))
        .collect();
    assert!(
        ins.valid,
        "checklist failures: {failed:?}, signature {:?}",
        ins.signature
    );
    h.get_by_label("VALID");
    h.get_by_label("VERIFIED");
    // Decoded claims are on screen.
    h.get_by_label("iss:");
    assert!(
        h.query_all_by_label_contains("sandbox-machine")
            .next()
            .is_some()
    );
    // The claims search: by meaning ("expiration" is exp's), then cleared.
    h.get_by_label("Search claims").click();
    h.step();
    h.get_by_label("Search claims").type_text("expiration");
    h.step();
    h.step();
    h.get_by_label("exp:");
    assert!(
        h.query_by_label("iss:").is_none(),
        "only the match is shown"
    );
    // No match says so (an empty list looked like a token without claims).
    h.get_by_label("Search claims").type_text("zzz");
    h.step();
    h.step();
    h.get_by_label_contains("No claim matches \"expirationzzz\"");
    h.get_by_label("Clear search").click();
    h.step();
    h.step();
    h.get_by_label("iss:");
    // Introspect, revoke, introspect again: the server stops accepting the token.
    h.get_by_label("Introspect").click();
    step_until(&mut h, "the introspection", |h| {
        h.query_by_label_contains("\"active\": true").is_some()
    });
    h.get_by_label("Revoke").click();
    step_until(&mut h, "the revocation", |h| {
        h.query_by_label_contains("accepted the revocation")
            .is_some()
    });
    h.get_by_label("Introspect").click();
    step_until(&mut h, "the second introspection", |h| {
        h.query_by_label_contains("\"active\": false").is_some()
    });
}

#[test]
fn authorization_code_with_auto_approve() {
    let dir = tempfile::tempdir().unwrap();
    let mut options = AppOptions::new(dir.path());
    options.sandbox_auto_approve = Some("alice".into());
    let mut h = harness(options);
    walk(&mut h, &["No", "A User", "Server App"]);
    assert_eq!(h.state().flow().profile.client_id, "sandbox-native");

    // No real browser in a test: the test plays the user-agent.
    h.get_by_label("Open the system browser").click();
    h.step();
    assert!(!h.state().flow().inputs.open_browser);
    let url = run_until_authorize_url(&mut h);
    h.get_by_label("Copy URL");
    let browser = std::thread::spawn(move || {
        let rt = tokio::runtime::Runtime::new().unwrap();
        // Follows the sandbox's redirect to the app's loopback listener.
        rt.block_on(async { reqwest::get(url).await.map(|r| r.status().as_u16()) })
    });
    step_until(&mut h, "the token response", |h| {
        h.state().flow().run().is_some_and(|r| !r.running())
    });
    assert!(browser.join().unwrap().is_ok());
    h.get_by_label("Tokens received");
    let success = h.state().flow().run().and_then(|r| r.success()).unwrap();
    assert!(success.tokens.id_token.is_some());
    // Only what the client sent is an exchange: the browser's redirect is not, in the run, the
    // History or its HAR; the diagram draws it in the user-agent's lane, the code masked.
    let run = h.state().flow().run().unwrap();
    let steps: Vec<&str> = run.exchanges().iter().map(|e| e.step.as_str()).collect();
    assert!(steps.contains(&"token request"), "{steps:?}");
    assert!(
        steps.iter().all(|s| !s.contains("browser")),
        "the browser's leg is not the client's exchange: {steps:?}"
    );
    assert!(
        h.state()
            .history()
            .entries()
            .iter()
            .all(|e| e.status() != Some(302) && !e.step.contains("browser")),
        "nor in the History"
    );
    let leg = h.get_by_label_contains("302 redirect to http://127.0.0.1:");
    let label = gui_support::name_of(&leg);
    assert!(label.contains("code=••••••"), "the code masked: {label}");
    h.get_by_label("Inspect ID token").click();
    step_until(&mut h, "the ID token inspection", |h| {
        h.state().inspector().inspection().is_some() && !h.state().inspector().pending()
    });
    let ins = h.state().inspector().inspection().unwrap();
    assert_eq!(ins.claims["sub"].as_str().map(str::is_empty), Some(false));
    assert!(ins.checks.iter().any(|c| c.id == "exp"));

    // "Refresh" runs the refresh grant with the flow's refresh token; the sandbox rotates it.
    assert!(
        h.state().inspector().refresh_token.is_some(),
        "offline_access gave a refresh token"
    );
    h.get_by_label("Refresh").click();
    step_until(&mut h, "the flow runner", |h| {
        h.state().screen() == Screen::Flow
    });
    step_until(&mut h, "the refresh response", |h| {
        h.state().flow().run().is_some_and(|r| !r.running())
    });
    let refreshed = h.state().flow().run().and_then(|r| r.success()).unwrap();
    assert_eq!(refreshed.refresh_rotated, Some(true));
    h.get_by_label("The server rotated the refresh token.");
}

#[test]
fn a_saved_profile_is_there_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let mut options = AppOptions::new(dir.path());
    options.start_screen = Some(Screen::Profiles);
    {
        let mut h = harness(options.clone());
        step_until(&mut h, "the profile list", |h| {
            h.state().profiles().get("Local sandbox").is_some()
        });
        h.get_by_label("New").click();
        h.step();
        h.get_by_label("Client ID").click();
        h.step();
        h.get_by_label("Client ID").type_text("my-client");
        h.step();
        h.get_by_label("Save").click();
        step_until(&mut h, "the saved profile", |h| {
            h.state()
                .profiles()
                .get("New profile")
                .is_some_and(|p| p.client_id == "my-client")
        });
    }
    let mut h = harness(options);
    step_until(&mut h, "the profile list", |h| {
        h.state().profiles().loaded()
    });
    let p = h.state().profiles().get("New profile").unwrap();
    assert_eq!(p.client_id, "my-client");
    h.get_by_label("New profile").click();
    h.step();
    h.get_by_label("Profile: New profile");
}

/// Types `text` into the form field labelled `label` (replacing what is there).
fn set_field(
    h: &mut egui_kittest::Harness<'static, grantscope_gui::GrantscopeApp>,
    label: &str,
    text: &str,
) {
    h.get_by_label(label).click();
    h.step();
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.step();
    h.get_by_label(label).type_text(text);
    h.step();
}

/// Chooses `grant` in the flow form's grant menu.
fn choose_grant(
    h: &mut egui_kittest::Harness<'static, grantscope_gui::GrantscopeApp>,
    grant: GrantKind,
) {
    h.get_by_role_and_label(egui::accesskit::Role::ComboBox, "Grant")
        .click();
    h.step();
    h.step();
    h.get_by_label(grant.title()).click();
    h.step();
    h.step();
    assert_eq!(h.state().flow().grant, grant);
}

/// The user's browser approving a device code on the sandbox's device page.
fn approve_device_code(verification_uri: &str, user_code: &str) -> u16 {
    let pairs = [
        ("user_code", user_code),
        ("username", "alice"),
        ("password", "alice-password"),
        ("decision", "approve"),
    ];
    post_form(verification_uri, &pairs).0
}

/// Every grant of the flow form's grant menu, run from the form against the built-in sandbox
/// (the sandbox profile picks the seeded client for each), gets tokens. The test plays the user
/// where a grant needs one: the browser's visit for authorization code (auto-approve), the
/// device page for the device grant. Each grant's inputs are typed into its own fields.
#[test]
fn every_grant_of_the_form_gets_tokens_from_the_sandbox() {
    let dir = tempfile::tempdir().unwrap();
    // The password grant is refused unless the classroom's switch is on.
    let mut settings = grantscope_gui::settings::Settings::default();
    settings
        .classroom
        .switches
        .push("unsafe-allow-password-grant".into());
    settings.save(dir.path()).unwrap();
    let mut options = AppOptions::new(dir.path());
    options.start_screen = Some(Screen::Flow);
    options.sandbox_auto_approve = Some("alice".into());
    let mut h = harness(options);
    // Client credentials first (its access token is token exchange's subject), authorization
    // code before refresh (its refresh token is the refresh grant's).
    let mut order = GrantKind::ALL.to_vec();
    order.sort_by_key(|g| match g {
        GrantKind::ClientCredentials => 0,
        GrantKind::AuthorizationCode => 1,
        GrantKind::RefreshToken => 2,
        _ => 3,
    });
    let mut subject = None;
    for grant in order {
        choose_grant(&mut h, grant);
        let mut browser = None;
        match grant {
            GrantKind::ClientCredentials | GrantKind::RefreshToken => {
                h.get_by_label("Run").click();
            }
            GrantKind::AuthorizationCode => {
                h.get_by_label("Open the system browser").click();
                h.step();
                let url = run_until_authorize_url(&mut h);
                browser = Some(std::thread::spawn(move || {
                    let rt = tokio::runtime::Runtime::new().unwrap();
                    rt.block_on(async { reqwest::get(url).await.map(|r| r.status().as_u16()) })
                }));
            }
            GrantKind::DeviceCode => {
                h.get_by_label("Run").click();
                step_until(&mut h, "the device code", |h| {
                    h.query_by_label_contains("Go to http").is_some()
                });
                let shown = h
                    .state()
                    .flow()
                    .run()
                    .and_then(|r| r.device_code())
                    .map(|(code, uri, _)| (code.to_owned(), uri.to_owned()))
                    .unwrap();
                let status = approve_device_code(&shown.1, &shown.0);
                assert!(status < 400, "the device page refused: {status}");
            }
            GrantKind::Password => {
                set_field(&mut h, "Username", "alice");
                set_field(&mut h, "Password", "alice-password");
                h.get_by_label("Run").click();
            }
            GrantKind::JwtBearer => {
                set_field(&mut h, "Assertion claims", r#"{"sub":"alice"}"#);
                h.get_by_label("Run").click();
            }
            GrantKind::Ciba => {
                // The sandbox approves at once for its auto-approve user ("the phone").
                set_field(&mut h, "Login hint", "alice");
                set_field(&mut h, "Binding message", "W4SCT");
                h.get_by_label("Run").click();
            }
            GrantKind::TokenExchange => {
                let token: &String = subject.as_ref().unwrap();
                set_field(&mut h, "Subject token", token);
                set_field(&mut h, "Subject token type", "access_token");
                h.get_by_label("Run").click();
            }
        }
        step_until(&mut h, &format!("the {} tokens", grant.title()), finished);
        if let Some(b) = browser {
            assert!(b.join().unwrap().is_ok());
        }
        let run = h.state().flow().run().unwrap();
        let s = run
            .success()
            .unwrap_or_else(|| panic!("{}: {:?}", grant.title(), run.failure()));
        assert!(!s.tokens.access_token.is_empty(), "{}", grant.title());
        if grant == GrantKind::ClientCredentials {
            subject = Some(s.tokens.access_token.expose().to_owned());
        }
    }
}

/// The Scope field's picker lists the server's scopes_supported (read when first opened, not
/// per keystroke) and ticking one adds it to the field; unticking takes it out.
#[test]
fn the_scope_picker_offers_the_servers_scopes() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(AppOptions::new(dir.path()));
    walk(&mut h, &["No", "A Machine"]);
    // The sandbox gets its address at the first run.
    h.get_by_label("Run").click();
    step_until(&mut h, "the token response", finished);
    assert!(h.state().flow().profile.issuer.is_some());
    assert_eq!(h.state().flow().profile.scope.as_deref(), Some("api:read"));
    h.get_by_label("Choose...").click();
    step_until(&mut h, "the server's scopes", |h| {
        h.query_by_label_contains("lists (scopes_supported)")
            .is_some()
    });
    // Its scopes, the one in the field ticked.
    h.get_by_label("api:write").click();
    h.step();
    assert_eq!(
        h.state().flow().profile.scope.as_deref(),
        Some("api:read api:write")
    );
    h.get_by_label("api:read").click();
    h.step();
    assert_eq!(h.state().flow().profile.scope.as_deref(), Some("api:write"));
    // Closing and opening it again reads nothing new: the list is there at once.
    h.get_by_label("Choose...").click();
    h.step();
    assert!(h.query_by_label("api:write").is_none());
    h.get_by_label("Choose...").click();
    h.step();
    h.get_by_label("api:write");
}

/// CIBA at the built-in sandbox (no auto-approve): the wait shows the request's own lifetime
/// (the server's expires_in, not the browser's 5 minutes); Cancel says the request stays pending on the user's device (it does)
/// and the diagram ends with the cancellation instead of a poll that never comes.
#[test]
fn the_ciba_wait_lasts_the_requests_life_and_cancel_says_what_stays() {
    let dir = tempfile::tempdir().unwrap();
    let mut options = AppOptions::new(dir.path());
    options.start_screen = Some(Screen::Flow);
    let mut h = harness(options);
    choose_grant(&mut h, GrantKind::Ciba);
    set_field(&mut h, "Login hint", "alice");
    set_field(&mut h, "Binding message", "K7-WAIT");
    h.get_by_label("Run").click();
    step_until(&mut h, "the backchannel wait", |h| {
        h.state()
            .flow()
            .run()
            .is_some_and(|r| r.backchannel().is_some())
    });
    h.step();
    let issuer = h.state().sandbox_issuer().unwrap();
    let phone = format!("{}/ciba", issuer.trim_end_matches('/'));
    // The sandbox keeps a request 10 minutes; the wait says so.
    h.get_by_label_contains("of 10 min 0 s");
    let pending = || {
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async {
            reqwest::get(format!("{phone}/pending"))
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
        })
    };
    assert!(pending().contains("K7-WAIT"));
    h.get_by_label("Cancel the run").click();
    h.step();
    h.step();
    let failure = h
        .state()
        .flow()
        .run()
        .and_then(|r| r.failure())
        .map(|f| f.message.clone())
        .unwrap();
    assert!(
        failure.contains("stays pending on the user's device"),
        "{failure}"
    );
    // What it says is so: the provider still holds the request.
    assert!(pending().contains("K7-WAIT"));
    h.get_by_label_contains("an approval there now reaches nobody (Cancel in grantscope)");
}
