//! Files and things that last, in the real app driven headless (egui_kittest) against the
//! in-process sandbox: without a file-dialog service the HAR export and the profile import
//! work through the path field; the history survives a restart (masked, with its times) and is
//! cleared only after a confirmation; deleting a profile asks first. Each test has its own
//! config dir. Deadlines only bound a hung test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::gui_support;

use egui_kittest::kittest::Queryable;
use grantscope_gui::{AppOptions, Screen};
use gui_support::{finished, harness, step_until, walk};

fn no_dialogs(dir: &std::path::Path) -> AppOptions {
    let mut o = AppOptions::new(dir);
    o.file_dialogs = false;
    o
}

#[test]
fn har_export_through_the_path_field_and_history_kept_across_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let har = out.path().join("session.har");
    let secret = "sandbox-machine-secret";
    let access_token;
    {
        let mut h = harness(no_dialogs(dir.path()));
        walk(&mut h, &["No", "A Machine"]);
        h.get_by_label("Run").click();
        step_until(&mut h, "the token response", finished);
        access_token = h
            .state()
            .flow()
            .run()
            .and_then(|r| r.success())
            .map(|s| s.tokens.access_token.expose().to_owned())
            .unwrap();
        h.get_by_label("History").click();
        h.step();
        h.step();
        h.get_by_label("Export HAR...").click();
        h.step();
        h.step();
        // No dialog service: the path field, saying why.
        h.get_by_label_contains("no file-dialog service");
        let field = h.get_by_label("Path");
        field.click();
        h.step();
        h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
        h.step();
        h.get_by_label("Path").type_text(har.to_str().unwrap());
        h.step();
        h.get_by_label("Export").click();
        step_until(&mut h, "the export", |h| {
            h.query_by_label_contains("Exported to").is_some()
        });
        let text = std::fs::read_to_string(&har).unwrap();
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert!(v["log"]["entries"].as_array().is_some_and(|e| e.len() >= 2));
        assert!(!text.contains(secret), "masked unless revealed");
        assert!(
            !text.contains(&access_token),
            "the token response body is masked too"
        );
        step_until(&mut h, "the history file", |_| {
            dir.path().join("history.json").exists()
        });
        // Let the last write land.
        for _ in 0..10 {
            h.step();
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }
    let kept = std::fs::read_to_string(dir.path().join("history.json")).unwrap();
    assert!(!kept.contains(secret), "the kept history is masked");
    assert!(!kept.contains(&access_token), "tokens included");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("history.json"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    let mut options = no_dialogs(dir.path());
    options.start_screen = Some(Screen::History);
    let mut h = harness(options);
    step_until(&mut h, "the kept history", |h| {
        h.state().history().len() >= 2
    });
    assert!(
        h.state().history().entries().is_empty(),
        "nothing run in this session"
    );
    h.get_by_label_contains("token request: POST");
    assert!(
        h.query_all_by_label_contains("(earlier session)")
            .next()
            .is_some()
    );
    h.get_by_label("Clear history").click();
    h.step();
    h.step();
    // Asked first; keeping them keeps them.
    h.get_by_label("Keep them").click();
    h.step();
    assert!(h.state().history().len() >= 2);
    h.get_by_label("Clear history").click();
    h.step();
    h.get_by_label("Clear them").click();
    h.step();
    h.step();
    assert!(h.state().history().is_empty());
    h.get_by_label("History cleared");
}

#[test]
fn deleting_a_profile_asks_first() {
    let dir = tempfile::tempdir().unwrap();
    let mut options = no_dialogs(dir.path());
    options.start_screen = Some(Screen::Profiles);
    let mut h = harness(options);
    step_until(&mut h, "the sandbox profile", |h| {
        h.state().profiles().get("Local sandbox").is_some()
    });
    h.step();
    h.get_by_label("Delete").click();
    h.step();
    h.step();
    h.get_by_label_contains("Delete the profile Local sandbox?");
    h.get_by_label("Keep it").click();
    h.step();
    h.step();
    assert!(h.state().profiles().get("Local sandbox").is_some());
    assert!(h.query_by_label_contains("Delete the profile").is_none());
    h.get_by_label("Delete").click();
    h.step();
    h.step();
    h.get_by_label("Delete it").click();
    step_until(&mut h, "the deletion", |h| {
        h.state().profiles().get("Local sandbox").is_none()
    });
    assert!(
        !dir.path()
            .join("profiles")
            .join("Local sandbox.json")
            .exists()
    );
}
