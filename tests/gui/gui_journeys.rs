//! The three users of `../shared/JOURNEYS.md` walked through the desktop app headless
//! (egui_kittest), following time: the security tester against oidc-provider (a profile made
//! from its issuer, client credentials, authorization code with PKCE with the test playing the
//! browser, introspection, revocation, a token that expires while the screen is open), the
//! teacher at 1024×768 and 150 % (the wizard by keyboard, step mode in the presenter view
//! paged through, a teaching switch and a restart that every screen follows), and QA watching
//! expiry, revocation and a sandbox restart from the Classroom's short lifetimes.
//!
//! Every frame of a journey is checked for a screen that contradicts itself
//! ([`contradictions`]): a headline against the checklist, the countdown, the lifetime bar and
//! the server's earlier answers; one error shown more than once; the top bar against the
//! running sandbox. Deadlines only bound a hung test; nothing asserts on time.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;
use crate::gui_support;

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use grantscope_core::oauth::GrantKind;
use grantscope_core::timefmt::now_unix;
use grantscope_gui::classroom::SandboxState;
use grantscope_gui::{AppOptions, GrantscopeApp, Screen};
use gui_support::{finished, harness, harness_at, name_of, window};

type H = Harness<'static, GrantscopeApp>;

// ---- what the screen says ----------------------------------------------------------------

/// Every text on screen (labels and values), in the accessibility tree's order; a text its
/// node's child repeats is taken once.
fn texts(h: &H) -> Vec<String> {
    let mut all: Vec<String> = h
        .root()
        .children_recursive()
        .map(|n| name_of(&n))
        .filter(|t| !t.is_empty())
        .collect();
    all.dedup();
    all
}

/// A ticking countdown's text: `m:ss` or `h:mm:ss`.
fn is_countdown(t: &str) -> bool {
    let parts: Vec<&str> = t.split(':').collect();
    (2..=3).contains(&parts.len())
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
}

/// The checklist's row for `id` as shown: its badge (`PASS`, `FAIL`, …) and its message.
fn check_row(shown: &[String], id: &str) -> Option<(String, String)> {
    const BADGES: [&str; 4] = ["PASS", "FAIL", "WARN", "INFO"];
    shown.windows(3).find_map(|w| {
        (BADGES.contains(&w[0].as_str()) && w[1] == id).then(|| (w[0].clone(), w[2].clone()))
    })
}

/// Whether `t` words an error a person reads (the texts that must show once).
fn is_error_text(t: &str) -> bool {
    let l = t.to_ascii_lowercase();
    t.len() > 30
        && !t.starts_with('{')
        && ["error", "could not", "cannot", "refused", "failed"]
            .iter()
            .any(|w| l.contains(w))
}

/// What on the screen contradicts something else on it, judged at `now` (the second the last
/// frame was drawn in): the inspector's headline against its checklist, countdown, lifetime bar
/// and the server's answers; an error shown twice; the top bar against the running sandbox.
fn contradictions(h: &H, now: i64) -> Vec<String> {
    let shown = texts(h);
    let mut out = Vec::new();
    let has = |needle: &str| shown.iter().any(|t| t.contains(needle));
    let countdowns: Vec<&String> = shown.iter().filter(|t| is_countdown(t)).collect();

    // One error, once (counted over the labels, not the containers that repeat them).
    let mut labels: Vec<String> = h
        .root()
        .children_recursive()
        .filter(|n| n.accesskit_node().role() == Role::Label)
        .map(|n| name_of(&n))
        .collect();
    labels.dedup();
    for t in labels.iter().filter(|t| is_error_text(t)) {
        let n = labels.iter().filter(|s| *s == t).count();
        if n > 1 {
            out.push(format!("the error {t:?} is shown {n} times"));
        }
    }
    // The top bar names the sandbox that runs (a restart clicked in this frame shows in the
    // next: the top bar is drawn before the Classroom's buttons).
    if let Some(bar) = shown.iter().find_map(|t| t.strip_prefix("Sandbox: "))
        && h.state().classroom().state() == SandboxState::Running
    {
        match h.state().sandbox_issuer() {
            Some(issuer) if issuer == bar => {}
            other => out.push(format!(
                "the top bar says Sandbox: {bar}, it runs at {other:?}"
            )),
        }
    }

    if h.state().screen() != Screen::Inspector {
        return out;
    }
    let i = h.state().inspector();
    let Some(head) = i.headline(now) else {
        return out;
    };
    if !shown.iter().any(|t| t == head.text) {
        out.push(format!("the headline {} is not on screen", head.text));
    }
    let exp_row = check_row(&shown, "exp");
    // The lifetime bar's accessible name: "lifetime N% used" or "lifetime stopped at …".
    let bar = shown.iter().find(|t| t.starts_with("lifetime "));
    let introspected_active = has("\"active\": true");
    let exp = i.inspection().and_then(|ins| ins.lifetime().expires_at);
    match head.text {
        "EXPIRED" => {
            if !countdowns.is_empty() {
                out.push(format!("EXPIRED while a countdown counts: {countdowns:?}"));
            }
            if let Some(t) = shown.iter().find(|t| t.contains("expires in")) {
                out.push(format!("EXPIRED while {t:?}"));
            }
            if let Some((badge, msg)) = &exp_row
                && badge == "PASS"
            {
                out.push(format!("EXPIRED while the checklist says PASS exp: {msg}"));
            }
            if let Some(bar) = bar
                && bar != "lifetime 100% used"
                && !bar.starts_with("lifetime stopped at")
            {
                out.push(format!("EXPIRED while the lifetime bar says {bar:?}"));
            }
            if introspected_active
                && !has("before the token expired")
                && !has("before the revocation")
            {
                out.push("EXPIRED under an unmarked \"active\": true".into());
            }
        }
        "REVOKED" | "INACTIVE" => {
            if !countdowns.is_empty() {
                out.push(format!(
                    "{} while a countdown counts: {countdowns:?}",
                    head.text
                ));
            }
            if head.text == "REVOKED" && introspected_active && !has("before the revocation") {
                out.push("REVOKED under an unmarked \"active\": true".into());
            }
            if let Some(bar) = bar
                && bar != "lifetime 100% used"
                && !bar.starts_with("lifetime stopped at")
            {
                out.push(format!("{} while the lifetime bar says {bar:?}", head.text));
            }
        }
        "VALID" | "UNVERIFIED" | "UNVERIFIABLE" | "ACTIVE" | "OPAQUE" => {
            if let Some((badge, msg)) = &exp_row
                && badge != "PASS"
            {
                out.push(format!(
                    "{} while the checklist says {badge} exp: {msg}",
                    head.text
                ));
            }
            if let Some(t) = shown.iter().find(|t| t.starts_with("expired")) {
                out.push(format!("{} while {t:?}", head.text));
            }
            if has("before the revocation") {
                out.push(format!(
                    "{} beside an answer from before a revocation",
                    head.text
                ));
            }
            // The countdown counts to this token's exp, from this second.
            if let Some(exp) = exp
                && exp > now
                && !countdowns.is_empty()
            {
                let want = grantscope_gui::inspector::countdown(exp - now);
                if !countdowns.iter().any(|c| **c == want) {
                    out.push(format!(
                        "the countdown says {countdowns:?}, {want} are left"
                    ));
                }
            }
        }
        _ => {}
    }
    for other in [
        "VALID",
        "EXPIRED",
        "REVOKED",
        "NOT VALID",
        "INACTIVE",
        "ACTIVE",
    ] {
        if other != head.text && shown.iter().any(|t| t == other) {
            out.push(format!("{} and {other} on one screen", head.text));
        }
    }
    out
}

/// One frame, then the screen checked for contradictions (when the frame and the check fall in
/// the same second, so both see the same time).
fn step(h: &mut H) {
    let before = now_unix();
    h.step();
    let after = now_unix();
    if before == after {
        let found = contradictions(h, after);
        assert!(
            found.is_empty(),
            "the screen contradicts itself: {found:#?}"
        );
    }
}

/// Steps until `done` holds, every frame checked; background work runs meanwhile.
fn step_until(h: &mut H, what: &str, mut done: impl FnMut(&H) -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    loop {
        step(h);
        if done(h) {
            step(h);
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "gave up waiting for {what}; on screen: {:?}",
            texts(h)
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// Scrolls the widget `label` into the window (a projector shows less), as a person would
/// before clicking it.
fn into_view(h: &mut H, label: &str) {
    for _ in 0..10 {
        if window(h).contains_rect(h.get_by_label(label).rect()) {
            return;
        }
        h.get_by_label(label).scroll_to_me();
        step(h);
    }
    panic!(
        "{label:?} at {:?} cannot be brought into the window {:?}",
        h.get_by_label(label).rect(),
        window(h)
    );
}

/// Scrolls `label` into view (a projector shows less) and clicks it.
fn click(h: &mut H, label: &str) {
    into_view(h, label);
    h.get_by_label(label).click();
    step(h);
    step(h);
}

fn show(h: &mut H, screen: &str) {
    h.get_by_role_and_label(Role::Button, screen).click();
    step(h);
    step(h);
}

/// Replaces the text of the field labelled `label`.
fn set_field(h: &mut H, label: &str, text: &str) {
    h.get_by_label(label).click();
    step(h);
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    step(h);
    h.key_press(egui::Key::Backspace);
    step(h);
    if !text.is_empty() {
        h.get_by_label(label).type_text(text);
        step(h);
    }
}

fn choose_grant(h: &mut H, grant: GrantKind) {
    h.get_by_role_and_label(Role::ComboBox, "Grant").click();
    step(h);
    step(h);
    h.get_by_label(grant.title()).click();
    step(h);
    step(h);
    assert_eq!(h.state().flow().grant, grant);
}

/// The flow runner does not open a browser: the test plays it.
fn browser_off(h: &mut H) {
    for _ in 0..3 {
        if !h.state().flow().inputs.open_browser {
            return;
        }
        h.get_by_label("Open the system browser").click();
        step(h);
    }
    assert!(!h.state().flow().inputs.open_browser);
}

/// Presses Run and waits for the run's end; it must have got tokens.
fn run_to_tokens(h: &mut H) {
    h.get_by_label("Run").click();
    step_until(h, "the run", finished);
    let run = h.state().flow().run().unwrap();
    assert!(run.success().is_some(), "{:?}", run.failure());
}

/// Opens the last run's token (`button`: "Inspect access token", …) in the inspector.
fn inspect(h: &mut H, button: &str) {
    into_view(h, button);
    h.get_by_label(button).click();
    step_until(h, "the inspection", |h| {
        h.state().screen() == Screen::Inspector
            && h.state().inspector().inspection().is_some()
            && !h.state().inspector().pending()
    });
}

fn headline(h: &H) -> &'static str {
    h.state().inspector().headline(now_unix()).unwrap().text
}

fn introspect(h: &mut H, expect: &str) {
    h.get_by_label("Introspect").click();
    step_until(h, &format!("the introspection saying {expect}"), |h| {
        h.state().inspector().inspection().is_some() && h.query_by_label_contains(expect).is_some()
    });
}

fn revoke(h: &mut H) {
    h.get_by_label("Revoke").click();
    step_until(h, "the revocation", |h| {
        h.query_by_label_contains("accepted the revocation")
            .is_some()
    });
}

/// Waits, frame by frame, until the token in the inspector has expired (its last second
/// over).
fn wait_past_exp(h: &mut H) {
    let exp = h
        .state()
        .inspector()
        .inspection()
        .and_then(|i| i.lifetime().expires_at);
    step_until(h, "the headline to say EXPIRED", |h| {
        h.query_by_label("EXPIRED").is_some() && exp.is_none_or(|e| now_unix() > e)
    });
}

// ---- 1. the security tester exploring oidc-provider ---------------------------------------

/// JOURNEYS.md 1, against oidc-provider with 8-second access tokens: a profile made from the
/// issuer (discovery fills every endpoint it publishes), client credentials, the access token
/// inspected, introspected, revoked, introspected again; a second token that expires with the
/// screen open; authorization code with PKCE (the test plays the browser: the login and consent
/// forms, then the redirect to the app's listener) and its ID token verified with the
/// provider's keys.
#[test]
fn security_tester_explores_oidc_provider() {
    let provider = common::provider::Provider::start_with(&[("ACCESS_TOKEN_TTL", "8")]);
    let issuer = provider.issuer().to_owned();
    let dir = tempfile::tempdir().unwrap();
    let mut options = AppOptions::new(dir.path());
    options.start_screen = Some(Screen::Profiles);
    let mut h = harness(options);

    // 1. A profile from the issuer.
    click(&mut h, "New");
    set_field(&mut h, "Name", "oidc-provider");
    set_field(&mut h, "Issuer", &issuer);
    click(&mut h, "Fill from discovery");
    step_until(&mut h, "the endpoints from discovery", |h| {
        texts(h).contains(&format!("{issuer}/token"))
    });
    // Every endpoint the provider publishes, each in its field.
    let (_, doc) =
        common::get_json(&format!("{issuer}/.well-known/openid-configuration"), None).unwrap();
    let shown = texts(&h);
    for (field, key) in [
        ("Authorization endpoint", "authorization_endpoint"),
        ("Token endpoint", "token_endpoint"),
        ("Device endpoint", "device_authorization_endpoint"),
        ("Introspection endpoint", "introspection_endpoint"),
        ("Revocation endpoint", "revocation_endpoint"),
        ("Userinfo endpoint", "userinfo_endpoint"),
        ("JWKS URI", "jwks_uri"),
        ("PAR endpoint", "pushed_authorization_request_endpoint"),
    ] {
        let Some(url) = doc[key].as_str() else {
            continue;
        };
        let at = shown.iter().position(|t| t == field).unwrap();
        assert_eq!(shown.get(at + 1).map(String::as_str), Some(url), "{field}");
    }
    set_field(&mut h, "Client ID", "machine-basic");
    set_field(&mut h, "Client secret", "machine-basic-secret");
    click(&mut h, "Save");
    step_until(&mut h, "the saved profile", |h| {
        h.state()
            .profiles()
            .get("oidc-provider")
            .is_some_and(|p| p.client_id == "machine-basic")
    });
    use_profile(&mut h, "oidc-provider");
    assert_eq!(h.state().active_profile_name(), Some("oidc-provider"));

    // 2. Client credentials; the exchanges went to the provider.
    show(&mut h, "Flow runner");
    choose_grant(&mut h, GrantKind::ClientCredentials);
    run_to_tokens(&mut h);
    let run = h.state().flow().run().unwrap();
    assert!(
        run.exchanges()
            .iter()
            .all(|e| e.request_view(false).url.starts_with(&issuer))
    );

    // 3. Inspect, introspect, revoke, introspect again.
    // (A machine slow enough to let the 8 s pass first gets "active": false; every frame is
    // held to the same rules either way.)
    inspect(&mut h, "Inspect access token");
    introspect(&mut h, "Introspection says");
    let active = h.query_by_label_contains("\"active\": true").is_some();
    if active {
        assert_eq!(headline(&h), "ACTIVE");
    }
    // An opaque token: no JWT legend; what introspection said shown as its claims, and the
    // checklist no longer advises what was done.
    h.get_by_label("Claims, as introspection gave them");
    assert!(h.query_by_label_contains("introspect it").is_none());
    assert!(
        h.query_by_label("payload").is_none(),
        "no JWT colour legend"
    );
    revoke(&mut h);
    assert_eq!(headline(&h), "REVOKED");
    if active {
        h.get_by_label_contains("before the revocation");
    }
    introspect(&mut h, "\"active\": false");
    assert_eq!(headline(&h), "REVOKED");
    assert!(h.query_by_label_contains("\"active\": true").is_none());

    // A second token, left to expire with the screen open (8 s, from the token response).
    show(&mut h, "Flow runner");
    run_to_tokens(&mut h);
    inspect(&mut h, "Inspect access token");
    introspect(&mut h, "Introspection says");
    let answered_alive = h.query_by_label_contains("\"active\": true").is_some();
    wait_past_exp(&mut h);
    if answered_alive {
        h.get_by_label_contains("before the token expired");
    }
    // Asked again, the server says what the token's exp said.
    introspect(&mut h, "\"active\": false");
    assert_eq!(headline(&h), "INACTIVE");

    // Authorization code with PKCE, the public client `native`; the test is the browser.
    show(&mut h, "Profiles");
    h.get_by_label("oidc-provider").click();
    step(&mut h);
    click(&mut h, "Duplicate");
    set_field(&mut h, "Name", "oidc-provider native");
    set_field(&mut h, "Client ID", "native");
    set_field(&mut h, "Client secret", "");
    set_field(&mut h, "Scope", "openid");
    click(&mut h, "Save");
    step_until(&mut h, "the native profile", |h| {
        h.state()
            .profiles()
            .get("oidc-provider native")
            .is_some_and(|p| p.client_id == "native")
    });
    use_profile(&mut h, "oidc-provider native");
    assert_eq!(
        h.state().active_profile_name(),
        Some("oidc-provider native")
    );
    show(&mut h, "Flow runner");
    choose_grant(&mut h, GrantKind::AuthorizationCode);
    browser_off(&mut h);
    h.get_by_label("Run").click();
    step_until(&mut h, "the authorization URL", |h| {
        finished(h) || authorize_url_shown(h)
    });
    assert!(
        !finished(&h),
        "{:?}",
        h.state().flow().run().unwrap().failure()
    );
    let url = gui_support::authorize_url(&h);
    assert!(url.contains("code_challenge="), "{url}");
    let login = std::thread::spawn({
        let issuer = issuer.clone();
        move || {
            let redirect = common::complete_login_as(&issuer, &url, common::TEST_USER)?;
            common::deliver_redirect(&redirect)
        }
    });
    step_until(&mut h, "the token response", finished);
    let (status, _) = login.join().unwrap().unwrap();
    assert_eq!(status, 200);
    run_to_tokens_done(&h);
    inspect(&mut h, "Inspect ID token");
    assert_eq!(headline(&h), "VALID");
    h.get_by_label("VERIFIED");
    drop(provider);
}

/// "Use" in the profile list's row of `name`.
fn use_profile(h: &mut H, name: &str) {
    let row = h.get_by_label(name).rect().center().y;
    let button = h
        .get_all_by_label("Use")
        .min_by(|a, b| {
            let d = |n: &egui_kittest::Node<'_>| (n.rect().center().y - row).abs();
            d(a).total_cmp(&d(b))
        })
        .unwrap();
    button.click();
    step(h);
    step(h);
    assert_eq!(h.state().active_profile_name(), Some(name));
}

/// Whether the flow runner shows an authorization URL to open.
fn authorize_url_shown(h: &H) -> bool {
    h.state()
        .flow()
        .run()
        .and_then(|r| r.authorize_url())
        .is_some()
}

fn run_to_tokens_done(h: &H) {
    let run = h.state().flow().run().unwrap();
    assert!(run.success().is_some(), "{:?}", run.failure());
}

// ---- 2. the teacher in front of a class ----------------------------------------------------

/// JOURNEYS.md 2 at 1024×768 and 150 %: the wizard walked with the keyboard alone (Tab to an
/// answer, Enter), its leaf run in step mode against the sandbox in the presenter view (F5),
/// PageDown through every step with the explanation on screen at each; then a teaching switch
/// and a restart in the Classroom, after which the top bar, a new run and the inspector follow
/// the sandbox as it runs now; the token's parts and claims shown.
#[test]
fn teacher_walks_the_wizard_steps_a_grant_and_restarts_the_classroom() {
    let dir = tempfile::tempdir().unwrap();
    let mut options = AppOptions::new(dir.path());
    options.start_screen = Some(Screen::Wizard);
    options.sandbox_auto_approve = Some("alice".into());
    let mut h = harness_at(options, (1024.0, 768.0, 1.5));
    let win = window(&h);

    // 1. The wizard by keyboard: No (no refresh token), A User, Server App.
    for answer in ["No", "A User", "Server App"] {
        press_tab_to(&mut h, answer);
        h.key_press(egui::Key::Enter);
        step(&mut h);
        step(&mut h);
    }
    press_tab_to(&mut h, "Run this grant");
    h.key_press(egui::Key::Enter);
    step_until(&mut h, "the flow runner on the sandbox profile", |h| {
        h.state().screen() == Screen::Flow && h.state().flow().profile.name == "Local sandbox"
    });
    assert_eq!(h.state().flow().grant, GrantKind::AuthorizationCode);

    // 2. Step mode, presenter view, PageDown through every step.
    browser_off(&mut h);
    h.get_by_label("Step mode").click();
    step(&mut h);
    assert!(h.state().flow().step.enabled);
    h.get_by_label("Run").click();
    step_until(&mut h, "the first step", |h| {
        finished(h) || h.state().flow().step.pending().is_some()
    });
    h.key_press(egui::Key::F5);
    step(&mut h);
    step(&mut h);
    assert!(h.state().flow().step.presenter);
    let mut steps = 0;
    let mut visit = None;
    while !finished(&h) {
        if h.state().flow().step.pending().is_some() {
            steps += 1;
            // The room sees the step's explanation, inside the window.
            let pending = h.state().flow().step.pending().unwrap().clone();
            let title =
                grantscope_core::steps::explain(pending.step(), Some(GrantKind::AuthorizationCode))
                    .expect("every step of the grant is explained")
                    .title;
            let rect = h.get_by_label(title).rect();
            assert!(
                win.contains_rect(rect),
                "{title:?} at {rect:?} inside {win:?}"
            );
            // And the diagram's next arrow, on screen with it.
            let next: Vec<(String, egui::Rect)> = h
                .query_all_by_label_contains("next: ")
                .map(|n| (name_of(&n), n.rect()))
                .collect();
            assert!(
                next.iter().any(|(_, r)| win.contains_rect(*r)),
                "{title:?}: the next arrow on screen: {next:?} in {win:?}"
            );
            h.key_press(egui::Key::PageDown);
            step(&mut h);
        }
        if visit.is_none()
            && let Some(url) = h.state().flow().run().and_then(|r| r.authorize_url())
        {
            let url = url.to_owned();
            visit = Some(std::thread::spawn(move || {
                let rt = tokio::runtime::Runtime::new().unwrap();
                rt.block_on(async { reqwest::get(url).await.map(|r| r.status().as_u16()) })
            }));
        }
        step_until(&mut h, "the next step or the end", |h| {
            finished(h)
                || h.state().flow().step.pending().is_some()
                || (visit.is_none()
                    && h.state()
                        .flow()
                        .run()
                        .and_then(|r| r.authorize_url())
                        .is_some())
        });
    }
    assert!(steps >= 2, "stopped at {steps} steps");
    assert!(visit.unwrap().join().unwrap().is_ok());
    run_to_tokens_done(&h);
    h.key_press(egui::Key::F5);
    step(&mut h);
    let issuer_before = h.state().sandbox_issuer().unwrap();

    // 4. The token's parts and claims.
    inspect(&mut h, "Inspect access token");
    assert_eq!(headline(&h), "VALID");
    for part in [
        "header",
        "payload",
        "signature",
        "Header",
        "Claims",
        "iss",
        "exp",
    ] {
        assert!(h.query_all_by_label(part).next().is_some(), "{part} shown");
    }

    // 3. A teaching switch and a restart; every screen follows the sandbox as it runs now.
    show(&mut h, "Classroom");
    click(&mut h, "unsafe-no-iss");
    click(&mut h, "Apply and restart");
    step_until(&mut h, "the restarted sandbox", |h| {
        h.state().classroom().state() == SandboxState::Running
            && h.state().classroom().switches_on() == vec!["unsafe-no-iss"]
    });
    let issuer = h.state().sandbox_issuer().unwrap();
    h.get_by_label_contains(&format!("Sandbox: {issuer}"));
    show(&mut h, "Flow runner");
    h.get_by_label("Step mode").click();
    step(&mut h);
    assert!(!h.state().flow().step.enabled);
    h.get_by_label("Run").click();
    let visit = {
        step_until(&mut h, "the authorization URL", |h| {
            finished(h) || authorize_url_shown(h)
        });
        let url = gui_support::authorize_url(&h);
        assert!(url.starts_with(&issuer), "{url} goes to {issuer}");
        std::thread::spawn(move || {
            let rt = tokio::runtime::Runtime::new().unwrap();
            rt.block_on(async { reqwest::get(url).await.map(|r| r.status().as_u16()) })
        })
    };
    step_until(&mut h, "the run after the restart", finished);
    assert!(visit.join().unwrap().is_ok());
    // The mistake shows: the client refuses the answer without `iss`, and says why, once.
    let run = h.state().flow().run().unwrap();
    let failure = run.failure().expect("the client refuses the answer");
    assert!(failure.message.contains("`iss`"), "{failure:?}");
    assert!(
        run.exchanges()
            .iter()
            .all(|e| e.request_view(false).url.starts_with(&issuer)),
        "every request to the sandbox as it runs now ({issuer}, before {issuer_before})"
    );
    let message = failure.message.clone();
    let shown = texts(&h);
    assert!(
        shown.iter().filter(|t| t.contains(&message)).count() == 1,
        "the refusal once: {shown:?}"
    );
}

/// Presses Tab until `name` has the keyboard focus.
fn press_tab_to(h: &mut H, name: &str) {
    for _ in 0..120 {
        if h.root()
            .children_recursive()
            .any(|n| n.accesskit_node().is_focused() && name_of(&n) == name)
        {
            return;
        }
        h.key_press(egui::Key::Tab);
        step(h);
    }
    panic!("Tab never reached {name:?}");
}

// ---- 3. QA checking expiry and revocation ---------------------------------------------------

/// JOURNEYS.md 3 against the Classroom's sandbox: access tokens of 6 seconds set in the
/// Classroom; a token inspected and introspected, then left to expire (headline, checklist,
/// countdown, lifetime bar and the earlier introspection agree at every frame); lifetimes back
/// to 10 minutes (Apply and restart); a fresh token introspected and revoked (the earlier answer
/// marked, the countdown stopped); another from before a restart (one verdict, one error), and
/// a run after it goes to the sandbox as it runs now.
#[test]
fn qa_watches_expiry_revocation_and_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let mut options = AppOptions::new(dir.path());
    options.start_screen = Some(Screen::Classroom);
    let mut h = harness(options);

    // 1. Access tokens of 6 seconds; a token left to expire.
    set_field(&mut h, "Access-token lifetime", "6");
    click(&mut h, "Apply");
    assert_eq!(h.state().settings().classroom.access_token_ttl, 6);
    show(&mut h, "Wizard");
    gui_support::walk(&mut h, &["No", "A Machine"]);
    run_to_tokens(&mut h);
    inspect(&mut h, "Inspect access token");
    introspect(&mut h, "Introspection says");
    let answered_alive = h.query_by_label_contains("\"active\": true").is_some();
    wait_past_exp(&mut h);
    let shown = texts(&h);
    let (badge, msg) = check_row(&shown, "exp").expect("the exp row");
    assert_ne!(badge, "PASS", "{msg}");
    assert!(msg.starts_with("expired"), "{msg}");
    h.get_by_label("lifetime 100% used");
    if answered_alive {
        h.get_by_label_contains("before the token expired");
    }

    // 2. Lifetimes of 10 minutes again; a fresh token revoked.
    show(&mut h, "Classroom");
    set_field(&mut h, "Access-token lifetime", "600");
    click(&mut h, "Apply and restart");
    step_until(&mut h, "the sandbox with 10-minute tokens", |h| {
        h.state().classroom().state() == SandboxState::Running
            && h.state()
                .classroom()
                .running_config()
                .is_some_and(|c| c.access_token_ttl == std::time::Duration::from_secs(600))
    });
    show(&mut h, "Flow runner");
    run_to_tokens(&mut h);
    inspect(&mut h, "Inspect access token");
    assert_eq!(headline(&h), "VALID");
    assert!(texts(&h).iter().any(|t| is_countdown(t)), "a countdown");
    introspect(&mut h, "\"active\": true");
    revoke(&mut h);
    assert_eq!(headline(&h), "REVOKED");
    h.get_by_label_contains("before the revocation");
    h.get_by_label_contains("moot, the token is revoked");
    assert!(!texts(&h).iter().any(|t| is_countdown(t)));

    // 3. A token from before a restart: one verdict, one error; a run after it follows.
    show(&mut h, "Flow runner");
    run_to_tokens(&mut h);
    inspect(&mut h, "Inspect access token");
    assert_eq!(headline(&h), "VALID");
    let before = h.state().sandbox_issuer().unwrap();
    show(&mut h, "Classroom");
    click(&mut h, "Restart");
    step_until(&mut h, "the restarted sandbox", |h| {
        h.state().classroom().state() == SandboxState::Running
    });
    let issuer = h.state().sandbox_issuer().unwrap();
    // The flow runner's tokens say the restarted sandbox has forgotten them.
    show(&mut h, "Flow runner");
    h.get_by_label_contains("it has forgotten them");
    show(&mut h, "Token inspector");
    click(&mut h, "Inspect");
    step_until(&mut h, "the inspection after the restart", |h| {
        !h.state().inspector().pending() && h.state().inspector().inspection().is_some()
    });
    // Moved to another port, the old keys are gone (unverifiable, the error once); kept on its
    // port with its keys, the token still verifies. Either way one verdict (every frame above).
    let head = headline(&h);
    if before == issuer {
        assert_eq!(head, "VALID");
    } else {
        assert_eq!(head, "UNVERIFIABLE");
        assert!(h.state().inspector().key_error().is_some());
    }
    show(&mut h, "Flow runner");
    run_to_tokens(&mut h);
    let run = h.state().flow().run().unwrap();
    assert!(
        run.exchanges()
            .iter()
            .all(|e| e.request_view(false).url.starts_with(&issuer))
    );
    inspect(&mut h, "Inspect access token");
    assert_eq!(headline(&h), "VALID");
}
