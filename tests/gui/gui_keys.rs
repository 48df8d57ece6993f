//! Keys and inert text in the real app driven headless (egui_kittest): a profile whose client
//! authentication is `private_key_jwt` shows the keys panel; Generate makes a key in the key
//! store (mode 0600) on the worker and shows its public JWKS to copy; Use puts it in the
//! profile, which saves it (issue 11). A hostile token's text is shown escaped (issue 10).
//! Deadlines only bound a hung test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::gui_support;

use egui_kittest::kittest::Queryable;
use grantscope_core::oauth::AuthMethod;
use grantscope_core::profile::{Profile, ProfileStore};
use grantscope_gui::{AppOptions, Screen};
use gui_support::{harness_at, step_until};

#[test]
fn generate_a_signing_key_and_use_it_in_a_private_key_jwt_profile() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = Profile::new("JWT client");
    p.issuer = Some("http://127.0.0.1:9/".into());
    p.client_id = "jwt-client".into();
    p.auth_method = Some(AuthMethod::PrivateKeyJwt);
    ProfileStore::at(dir.path().join("profiles"))
        .save(&p)
        .unwrap();

    let mut options = AppOptions::new(dir.path());
    options.start_screen = Some(Screen::Profiles);
    options.file_dialogs = false;
    // Tall enough that the editor's lower part (the keys panel) is in view. The harness waits
    // until start-up is done: on a first launch the app creates the "Local sandbox" profile in
    // the background, makes it active, and the editor's first visit then opens it. A click on
    // the JWT client before that was undone when the sandbox profile arrived (under load, after
    // Generate: the keys panel, and the JWKS the test waits for, were gone).
    let mut h = harness_at(options, (1400.0, 2200.0, 1.0));
    // The editor first shows the active profile; choose the JWT client's.
    step_until(&mut h, "the JWT client's editor with its keys panel", |h| {
        if h.query_by_label("Profile: JWT client").is_some()
            && h.query_by_label("Keys for client authentication").is_some()
        {
            return true;
        }
        if let Some(item) = h.query_by_label("JWT client") {
            item.click();
        }
        false
    });
    h.get_by_label("New key name").click();
    h.step();
    h.get_by_label("New key name").type_text("ci-key");
    h.step();
    h.get_by_label("Generate").click();
    step_until(&mut h, "the generated key's JWKS", |h| {
        h.query_by_label("Public JWKS of ci-key").is_some()
    });
    let key_file = dir.path().join("keys").join("ci-key.key.pem");
    assert!(key_file.exists());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key_file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    h.get_by_label("Copy JWKS");
    h.get_by_label("Use ci-key").click();
    h.step();
    h.step();
    h.get_by_label("Save").click();
    step_until(&mut h, "the saved profile", |h| {
        h.state()
            .profiles()
            .get("JWT client")
            .is_some_and(|p| p.auth.signing_key.as_deref() == Some("ci-key"))
    });
    let saved = ProfileStore::at(dir.path().join("profiles"))
        .load("JWT client")
        .unwrap();
    assert_eq!(saved.auth.signing_key.as_deref(), Some("ci-key"));
}

/// Issue 10 in the desktop app: a token whose header, kid and claims carry terminal controls
/// and bidi overrides shows them escaped (`\u{1b}`), never raw, in every label of the
/// inspector.
#[test]
fn hostile_token_text_is_shown_escaped_in_the_inspector() {
    use base64::Engine;
    let b64 = |v: serde_json::Value| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
    };
    let header = serde_json::json!({"alg": "RS256", "kid": "pwned-kid\u{1b}[2J\u{202e}"});
    let claims = serde_json::json!({
        "iss": "https://pwned.example/\u{1b}]0;title\u{7}",
        "sub": "pwned-sub\u{9b}\u{2066}\r",
        "pwned\u{1b}[8mkey": "x",
        "exp": 4_102_444_800u64,
    });
    let token = format!("{}.{}.c2ln", b64(header), b64(claims));
    let dir = tempfile::tempdir().unwrap();
    let mut options = AppOptions::new(dir.path());
    options.start_screen = Some(Screen::Inspector);
    options.start_token = Some(token);
    let mut h = harness_at(options, (1600.0, 1400.0, 1.0));
    step_until(&mut h, "the hostile token's claims", |h| {
        h.query_all_by_label_contains("pwned").count() >= 3
    });
    let shown: Vec<String> = h
        .query_all_by_label_contains("pwned")
        .map(|n| gui_support::name_of(&n))
        .collect();
    for label in &shown {
        for c in ['\u{1b}', '\u{7}', '\u{9b}', '\u{202e}', '\u{2066}', '\r'] {
            assert!(!label.contains(c), "{c:?} shown raw in {label:?}");
        }
    }
    assert!(
        shown.iter().any(|l| l.contains("\\u{1b}")),
        "the escape is shown escaped: {shown:?}"
    );
}
