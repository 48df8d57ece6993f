//! Issue 21's logout in the desktop app, against a real sandbox, at the projector size
//! (1024×768 at 150 %): a client registered with the Logout listener's URL as its
//! `backchannel_logout_uri` signs in through the flow runner; its ID token, opened in the
//! inspector, is logged out with "Log out…" while the test plays the browser (it takes the URL
//! the app shows, GETs it at the sandbox and follows the redirect to the app's loopback
//! listener); the app says it is logged out, and the listener lists the logout token the
//! sandbox sent as valid. A forged token the test posts is listed as refused with its broken
//! rules, and a redirect back with another state is refused.

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use grantscope_core::oauth::GrantKind;
use grantscope_core::profile::{Profile, ProfileStore};
use grantscope_gui::{AppOptions, GrantscopeApp, Screen};
use grantscope_sandbox::SandboxConfig;
use serde_json::{Value, json};

use crate::gui_support::{self, SIZES, finished, layout_problems, shots, step_until};

type H = Harness<'static, GrantscopeApp>;

/// 1024×768 at 150 %.
const PROJECTOR: (f32, f32, f32) = SIZES[1];
const CALLBACK: &str = "http://127.0.0.1/callback";
const LOGGED_OUT: &str = "http://127.0.0.1/logged-out";
const PROFILE: &str = "Logout client";

fn step(h: &mut H) {
    h.step();
    h.step();
}

/// Scrolls `label` into the window and clicks it.
fn click(h: &mut H, label: &str) {
    gui_support::into_view(h, label);
    h.get_by_label(label).click();
    step(h);
}

/// A client registered at `issuer` (RFC 7591) for the code flow, with a loopback
/// post-logout redirect URI.
fn register(rt: &tokio::runtime::Runtime, issuer: &str) -> Value {
    let body = json!({
        "client_name": "grantscope logout test",
        "application_type": "native",
        "redirect_uris": [CALLBACK],
        "post_logout_redirect_uris": [LOGGED_OUT],
        "grant_types": ["authorization_code"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "none",
        "scope": "openid",
    });
    let url = format!("{}/register", issuer.trim_end_matches('/'));
    rt.block_on(async move {
        let r = reqwest::Client::new()
            .post(url)
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 201);
        serde_json::from_str::<Value>(&r.text().await.unwrap()).unwrap()
    })
}

/// Registers `uri` as the client's `backchannel_logout_uri` (RFC 7592 update).
fn set_backchannel_uri(rt: &tokio::runtime::Runtime, registration: &Value, uri: &str) {
    let body = grantscope_core::oauth::registration::update_body(
        registration,
        &json!({ "backchannel_logout_uri": uri }),
    );
    let at = registration["registration_client_uri"]
        .as_str()
        .unwrap()
        .to_owned();
    let token = registration["registration_access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let status = rt.block_on(async move {
        reqwest::Client::new()
            .put(at)
            .bearer_auth(token)
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    });
    assert_eq!(status, 200);
}

/// A GET as the browser makes it, without following redirects: (status, Location).
fn visit(rt: &tokio::runtime::Runtime, url: &str) -> (u16, Option<String>) {
    let url = url.to_owned();
    rt.block_on(async move {
        let r = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .build()
            .unwrap()
            .get(url)
            .send()
            .await
            .unwrap();
        let location = r
            .headers()
            .get("location")
            .map(|v| v.to_str().unwrap().to_owned());
        (r.status().as_u16(), location)
    })
}

/// The app with a profile for a client of `sandbox` (active, the flow runner open).
fn app_for(dir: &std::path::Path, issuer: &str, client_id: &str) -> (H, shots::Textures) {
    let mut p = Profile::new(PROFILE);
    p.issuer = Some(issuer.to_owned());
    p.client_id = client_id.to_owned();
    p.redirect_uri = Some(CALLBACK.into());
    p.scope = Some("openid".into());
    ProfileStore::at(dir.join("profiles")).save(&p).unwrap();
    std::fs::write(
        dir.join("gui.json"),
        json!({ "active_profile": PROFILE, "sandbox_profile_created": true }).to_string(),
    )
    .unwrap();
    let mut options = AppOptions::new(dir);
    options.start_screen = Some(Screen::Flow);
    shots::harness_at(options, PROJECTOR)
}

/// The code flow in the flow runner, the test as the browser (the sandbox approves at once).
fn sign_in(h: &mut H, rt: &tokio::runtime::Runtime) {
    h.get_by_role_and_label(Role::ComboBox, "Grant").click();
    step(h);
    h.get_by_label(GrantKind::AuthorizationCode.title()).click();
    step(h);
    assert_eq!(h.state().flow().grant, GrantKind::AuthorizationCode);
    assert_eq!(h.state().flow().profile.name, PROFILE);
    if h.state().flow().inputs.open_browser {
        click(h, "Open the system browser");
    }
    assert!(!h.state().flow().inputs.open_browser);
    let url = gui_support::run_until_authorize_url(h);
    let browser = rt.spawn(async move { reqwest::get(url).await.map(|r| r.status().as_u16()) });
    step_until(h, "the token response", finished);
    assert_eq!(rt.block_on(browser).unwrap().unwrap(), 200);
    let run = h.state().flow().run().unwrap();
    assert!(run.success().is_some(), "{:?}", run.failure());
}

/// Opens the flow's ID token in the inspector.
fn inspect_id_token(h: &mut H) {
    click(h, "Inspect ID token");
    step_until(h, "the inspection", |h| {
        h.state().screen() == Screen::Inspector
            && h.state().inspector().inspection().is_some()
            && !h.state().inspector().pending()
    });
    assert!(h.state().inspector().is_id_token());
}

/// "Log out…" with the system browser off; returns the end session URL the app shows.
fn log_out(h: &mut H) -> String {
    if h.state().inspector().logout().open_browser {
        click(h, "Logout settings");
        click(h, "Open the system browser");
    }
    assert!(!h.state().inspector().logout().open_browser);
    click(h, "Log out…");
    step_until(h, "the end session URL", |h| {
        let l = h.state().inspector().logout();
        l.outcome().is_some() || l.waiting() && l.url().is_some()
    });
    let l = h.state().inspector().logout();
    assert!(l.outcome().is_none(), "{:?}", l.outcome());
    let url = l.url().unwrap().to_string();
    // The wait comes into view by itself (its URL and Cancel were under the window's edge):
    // once the scroll settles, Cancel is inside the window without the test scrolling.
    let mut last = None;
    step_until(h, "the wait to settle in view", |h| {
        let now = h.get_by_label("Cancel").rect();
        last.replace(now) == Some(now)
    });
    let r = h.get_by_label("Cancel").rect();
    let win = gui_support::window(h);
    assert!(win.contains_rect(r), "Cancel at {r:?} is outside {win:?}");
    url
}

fn outcome(h: &mut H) -> Result<String, String> {
    step_until(h, "the logout's outcome", |h| {
        h.state().inspector().logout().outcome().is_some()
    });
    h.state().inspector().logout().outcome().unwrap().clone()
}

/// A logout token the sandbox did not sign (HS256 with a secret of the test's), with a nonce.
fn forged_token(issuer: &str, client_id: &str) -> String {
    let now = grantscope_core::timefmt::now_unix();
    let claims = json!({
        "iss": issuer, "aud": client_id, "iat": now, "exp": now + 120, "jti": "forged-1",
        "sub": "alice", "nonce": "n-1",
        "events": { "http://schemas.openid.net/event/backchannel-logout": {} },
    });
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
    header.typ = Some("logout+jwt".into());
    jsonwebtoken::encode(
        &header,
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(b"not the sandbox's key at all, 32+ bytes"),
    )
    .unwrap()
}

/// The controls named `names`, scrolled to, are wholly in the window and overlap nothing of
/// each other.
fn all_visible(h: &mut H, names: &[&str]) {
    for n in names {
        gui_support::into_view(h, n);
    }
    let win = gui_support::window(h).expand(0.5);
    let rects: Vec<(String, egui::Rect)> = names
        .iter()
        .map(|n| (n.to_string(), h.get_by_label(n).rect()))
        .collect();
    for (n, r) in &rects {
        assert!(win.contains_rect(*r), "{n:?} at {r:?} is cut off ({win:?})");
    }
    for (i, (a, ra)) in rects.iter().enumerate() {
        for (b, rb) in &rects[i + 1..] {
            assert!(
                !ra.shrink(1.0).intersects(rb.shrink(1.0)),
                "{a:?} {ra:?} overlaps {b:?} {rb:?}"
            );
        }
    }
}

#[test]
fn logout_from_the_inspector_and_the_back_channel_token_in_the_listener() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (sandbox, _keys) = rt.block_on(crate::common::sandbox::start_handle(SandboxConfig {
        auto_approve: Some("alice".into()),
        ..SandboxConfig::default()
    }));
    let issuer = sandbox.issuer_str().to_owned();
    let registration = register(&rt, &issuer);
    let client_id = registration["client_id"].as_str().unwrap().to_owned();
    let dir = tempfile::tempdir().unwrap();
    let (mut h, textures) = app_for(dir.path(), &issuer, &client_id);

    // The listener, from the top bar: its URL becomes the client's back-channel endpoint.
    h.get_by_role_and_label(Role::Button, "Logout listener")
        .click();
    step(&mut h);
    h.get_by_label("Start").click();
    step_until(&mut h, "the listener", |h| {
        h.state().logout_listener().url().is_some() || h.state().logout_listener().error().is_some()
    });
    assert_eq!(h.state().logout_listener().error(), None);
    let endpoint = h.state().logout_listener().url().unwrap().to_string();
    assert!(
        endpoint.starts_with("http://127.0.0.1:") && endpoint.ends_with("/backchannel-logout"),
        "{endpoint}"
    );
    h.get_by_label_contains(&endpoint);
    h.get_by_label("No logout token yet.");
    shots::shot(&h, &textures, "logout-listener-started");
    set_backchannel_uri(&rt, &registration, &endpoint);
    // The window closed (the listener keeps listening), the flow runner signs in.
    h.get_by_role_and_label(Role::Button, "Logout listener")
        .click();
    step(&mut h);
    assert!(h.state().logout_listener().running());

    sign_in(&mut h, &rt);
    inspect_id_token(&mut h);
    let id_token = h.state().inspector().input.clone();
    let sub = h.state().inspector().inspection().unwrap().claims["sub"]
        .as_str()
        .unwrap()
        .to_owned();
    into_view_and_check_layout(&mut h);

    // Log out…: the URL shown, its id_token_hint masked; the test is the browser.
    let url = log_out(&mut h);
    assert!(url.starts_with(&format!("{}/end_session?", issuer.trim_end_matches('/'))));
    assert_eq!(
        crate::common::query_param(&url, "id_token_hint").as_deref(),
        Some(id_token.as_str())
    );
    assert_eq!(
        crate::common::query_param(&url, "client_id").as_deref(),
        Some(client_id.as_str())
    );
    h.get_by_label_contains("id_token_hint=••••••");
    for shown in h.query_all_by_label_contains("id_token_hint=") {
        let text = gui_support::name_of(&shown);
        assert!(!text.contains(&id_token[..40]), "unmasked: {text}");
    }
    h.get_by_label_contains("Waiting for the browser to come back with the state");
    all_visible(&mut h, &["Copy URL", "Cancel"]);
    shots::shot(&h, &textures, "logout-waiting");
    let (status, location) = visit(&rt, &url);
    assert_eq!(status, 303, "{url}");
    let location = location.unwrap();
    assert!(location.starts_with("http://127.0.0.1:"), "{location}");
    let (status, page) = crate::common::deliver_redirect(&location).unwrap();
    assert_eq!(status, 200, "{page}");
    let said = outcome(&mut h).unwrap();
    assert!(said.contains("Logged out at the provider"), "{said}");
    h.get_by_label_contains("Logged out at the provider");
    shots::shot(&h, &textures, "logout-done");

    // The sandbox sent the client's listener a logout token as it ended the session.
    step_until(&mut h, "the logout token", |h| {
        !h.state().logout_listener().arrivals().is_empty()
    });
    let first = &h.state().logout_listener().arrivals()[0].verdict;
    assert!(first.valid, "{:?}", first.failures);
    assert_eq!(first.sub.as_deref(), Some(sub.as_str()));
    assert!(first.jti.is_some());

    // A forged token the test posts: refused (400), with each broken rule.
    let forged = forged_token(&issuer, &client_id);
    let (status, body) =
        crate::common::post_form(&endpoint, None, &[("logout_token", &forged)]).unwrap();
    assert_eq!(status, 400, "{body}");
    step_until(&mut h, "the forged token", |h| {
        h.state().logout_listener().arrivals().len() == 2
    });
    let second = &h.state().logout_listener().arrivals()[1].verdict;
    assert!(!second.valid);
    assert!(
        second.failures.iter().any(|f| f.starts_with("signature")),
        "{:?}",
        second.failures
    );
    assert!(
        second
            .failures
            .iter()
            .any(|f| f.starts_with("logout.nonce")),
        "{:?}",
        second.failures
    );

    // The window from the inspector's logout area: both tokens with their verdicts.
    click(&mut h, "Logout listener…");
    assert!(h.state().logout_listener().open);
    h.get_by_label("Received (2)");
    assert!(h.query_all_by_label("VALID").count() >= 1);
    assert_eq!(h.query_all_by_label("REFUSED").count(), 1);
    h.get_by_label_contains("logout.nonce");
    all_visible(&mut h, &["Stop", "Copy URL", "Clear list"]);
    shots::shot(&h, &textures, "logout-listener-tokens");
    // Stop closes the port; the list stays.
    h.get_by_label("Stop").click();
    step(&mut h);
    assert!(!h.state().logout_listener().running());
    assert_eq!(h.state().logout_listener().arrivals().len(), 2);
    h.get_by_label("Received (2)");
    step_until(&mut h, "the port closed", |_| {
        crate::common::post_form(&endpoint, None, &[("logout_token", &forged)]).is_err()
    });
    assert_eq!(h.state().logout_listener().arrivals().len(), 2);
    // The port stays in the field: Start again listens at the URL the client registered.
    let port = url::Url::parse(&endpoint).unwrap().port().unwrap();
    assert_eq!(h.state().logout_listener().port, port.to_string());

    // Open in inspector (the valid one is listed first, newest first: it is the second
    // button): inspected as a logout token against the profile, and valid.
    let buttons: Vec<egui::Rect> = h
        .get_all_by_label("Open in inspector")
        .map(|n| n.rect())
        .collect();
    assert_eq!(buttons.len(), 2);
    let lowest = buttons
        .iter()
        .copied()
        .max_by(|a, b| a.center().y.total_cmp(&b.center().y))
        .unwrap();
    h.get_all_by_label("Open in inspector")
        .find(|n| n.rect() == lowest)
        .unwrap()
        .click();
    step_until(&mut h, "the logout token in the inspector", |h| {
        h.state().screen() == Screen::Inspector
            && !h.state().inspector().pending()
            && h.state()
                .inspector()
                .inspection()
                .is_some_and(|i| i.checks.iter().any(|c| c.id == "logout.events"))
    });
    assert!(!h.state().logout_listener().open, "the window steps aside");
    shots::shot(&h, &textures, "logout-token-inspected");
    let ins = h.state().inspector().inspection().unwrap();
    assert!(ins.valid, "{:?}", ins.failures().collect::<Vec<_>>());
    // No server takes a logout token: no Userinfo, Introspect or Probe this API for it (the
    // walk sent it to userinfo as an access token).
    assert!(h.state().inspector().is_logout_token());
    assert!(h.state().inspector().probe_why_not().is_some());
    h.get_by_label_contains("No server calls: a logout token");
}

/// The inspector's logout area at 1024×768 and 150 %: its buttons wholly on screen, nothing
/// overlapping.
fn into_view_and_check_layout(h: &mut H) {
    for name in ["Log out…", "Logout listener…"] {
        gui_support::into_view(h, name);
    }
    let problems = layout_problems(h, &["Log out…", "Logout listener…"]);
    assert!(problems.is_empty(), "{problems:#?}");
}

/// A redirect back with another state is refused with why; Cancel closes the listener.
#[test]
fn a_logout_answer_with_another_state_is_refused() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (sandbox, _keys) = rt.block_on(crate::common::sandbox::start_handle(SandboxConfig {
        auto_approve: Some("alice".into()),
        ..SandboxConfig::default()
    }));
    let issuer = sandbox.issuer_str().to_owned();
    let registration = register(&rt, &issuer);
    let client_id = registration["client_id"].as_str().unwrap().to_owned();
    let dir = tempfile::tempdir().unwrap();
    let (mut h, textures) = app_for(dir.path(), &issuer, &client_id);
    sign_in(&mut h, &rt);
    inspect_id_token(&mut h);

    let url = log_out(&mut h);
    let back = crate::common::query_param(&url, "post_logout_redirect_uri").unwrap();
    assert!(back.starts_with("http://127.0.0.1:"), "{back}");
    let (status, _) =
        crate::common::deliver_redirect(&format!("{back}?state=not-the-one")).unwrap();
    assert_eq!(status, 400);
    let said = outcome(&mut h).unwrap_err();
    assert!(said.contains("not the one sent"), "{said}");
    h.get_by_label_contains("not the one sent");
    shots::shot(&h, &textures, "logout-refused");
    assert!(!h.state().inspector().logout().waiting());

    // Cancel closes the listener.
    let url = log_out(&mut h);
    let back = crate::common::query_param(&url, "post_logout_redirect_uri").unwrap();
    click(&mut h, "Cancel");
    assert!(!h.state().inspector().logout().waiting());
    step_until(&mut h, "the listener closed", |_| {
        crate::common::deliver_redirect(&format!("{back}?state=x")).is_err()
    });
    assert_eq!(
        h.state()
            .inspector()
            .logout()
            .outcome()
            .and_then(|o| o.clone().err())
            .as_deref(),
        Some("Cancelled: the listener is closed")
    );
}
