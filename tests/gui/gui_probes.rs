//! The desktop Probes window against the app's own sandbox (auto-approve): open it from the top
//! bar, run the catalogue with the active profile, and see the verdicts arrive.

use crate::gui_support;

use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use grantscope_gui::AppOptions;
use grantscope_gui::GrantscopeApp;
use grantscope_probe::Outcome;
use gui_support::{harness, step_until};

/// The app over `dir` (auto-approving as alice), its sandbox started and the Probes window
/// open against the sandbox profile.
fn probes_on_the_sandbox(dir: &std::path::Path) -> Harness<'static, GrantscopeApp> {
    probes_window(dir, Some("alice"))
}

/// The Probes window on the sandbox, which approves every login as `auto_approve` (none: it
/// shows its login page, and each login waits for a browser).
fn probes_window(
    dir: &std::path::Path,
    auto_approve: Option<&str>,
) -> Harness<'static, GrantscopeApp> {
    let mut options = AppOptions::new(dir);
    options.sandbox_auto_approve = auto_approve.map(String::from);
    probes_window_with(options)
}

/// The Probes window on the sandbox for the app `options` make.
fn probes_window_with(options: AppOptions) -> Harness<'static, GrantscopeApp> {
    let mut h = harness(options);
    h.get_by_label("Start sandbox").click();
    step_until(&mut h, "the sandbox running", |h| {
        h.state().classroom().state() == grantscope_gui::classroom::SandboxState::Running
    });
    h.get_by_label("Probes").click();
    h.step();
    h.step();
    assert!(h.state().probes().open);
    step_until(&mut h, "the sandbox profile to be active", |h| {
        h.query_by_label_contains("Against the active profile")
            .is_some()
    });
    // The server's grant types arrive in the background and add a line above Run: a click
    // aimed before that lands elsewhere (a lost Run made a test wait 120 s).
    step_until(&mut h, "the server's grant types", |h| {
        h.state().probes().server_metadata_known()
    });
    h
}

/// Chooses only the probe `id` in the window.
fn choose_only(h: &mut Harness<'static, GrantscopeApp>, id: &str) {
    h.get_by_label("Choose probes").click();
    h.step();
    h.get_by_label("None").click();
    h.step();
    h.get_by_label(id).click();
    h.step();
}

#[test]
fn probes_window_runs_the_catalogue_against_the_sandbox() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = probes_on_the_sandbox(dir.path());
    h.get_by_label("Run").click();
    step_until(&mut h, "the probe run to finish", |h| {
        !h.state().probes().is_running() && !h.state().probes().results().is_empty()
    });
    let results = h.state().probes().results();
    assert_eq!(results.len(), grantscope_probe::PROBES.len());
    let table: String = results
        .iter()
        .map(|r| {
            format!(
                "{} {} {}\n",
                r.verdict.outcome.as_str(),
                r.id,
                r.verdict.reason
            )
        })
        .collect();
    let verdict = |id: &str| {
        results
            .iter()
            .find(|r| r.id == id)
            .map(|r| r.verdict.outcome)
    };
    // Against the sandbox the window runs as its native client (the profile's own is the
    // machine client, which cannot run the code flow most probes need): the sandbox, with no
    // teaching switch on, refuses what it must.
    h.get_by_label_contains("as client sandbox-native");
    for id in [
        "pkce.required",
        "pkce.verifier-checked",
        "pkce.plain",
        "code.single-use",
        "redirect.exact",
        "state.echo",
        "refresh.rotation",
        "grants.legacy",
        "jwks.hygiene",
    ] {
        assert_eq!(verdict(id), Some(Outcome::Pass), "{id}:\n{table}");
    }
    assert_eq!(
        verdict("transport.https"),
        Some(Outcome::Inconclusive),
        "{table}"
    );
    assert!(
        results.iter().all(|r| r.verdict.outcome != Outcome::Fail),
        "{table}"
    );
    h.get_by_label("pkce.required  PKCE is required");
}

/// The wizard's Authorization Code leaf links to the probes of its pitfalls: the link opens
/// the Probes window with exactly those chosen (and says so); "All probes" undoes it.
#[test]
fn a_wizard_leaf_opens_the_probes_window_with_its_probes_chosen() {
    let dir = tempfile::tempdir().unwrap();
    let mut options = AppOptions::new(dir.path());
    options.start_screen = Some(grantscope_gui::Screen::Wizard);
    let mut h = harness(options);
    for answer in ["No", "A User", "Server App"] {
        h.get_by_label(answer).click();
        h.step();
        h.step();
    }
    assert!(!h.state().probes().open);
    h.get_by_label("Probe a server for its pitfalls (15 probes)")
        .click();
    h.step();
    h.step();
    let probes = h.state().probes();
    assert!(probes.open, "the link opens the Probes window");
    let leaf = grantscope_core::wizard::leaf_for(grantscope_core::wizard::Grant::AuthorizationCode)
        .and_then(|n| n.leaf())
        .map(|l| l.probes)
        .unwrap();
    let mut want: Vec<&str> = leaf.to_vec();
    want.sort_unstable();
    assert_eq!(probes.selected(), want);
    assert_eq!(
        probes.chosen_for(),
        Some(grantscope_core::wizard::Grant::AuthorizationCode)
    );
    h.get_by_label(
        "Chosen from the wizard: the 15 probes that test the pitfalls of Authorization Code with PKCE.",
    );
    // The choice is shown opened, its boxes ticked as chosen.
    use egui::accesskit::Toggled;
    let ticked = |h: &Harness<'static, GrantscopeApp>, id: &str| {
        h.get_by_label(id).accesskit_node().toggled() == Some(Toggled::True)
    };
    assert!(ticked(&h, "pkce.downgrade"));
    assert!(ticked(&h, "redirect.exact"));
    assert!(!ticked(&h, "refresh.rotation"));
    assert!(!ticked(&h, "headers"));
    h.get_by_label("All probes").click();
    step_until(&mut h, "every probe chosen again", |h| {
        h.state().probes().selected().len() == grantscope_probe::PROBES.len()
    });
    assert_eq!(h.state().probes().chosen_for(), None);
}

/// The second client (the CLI's --second-client-id/--second-client-secret): typed in the
/// Probes window, its secret masked on screen, and used by the run: refresh.client-bound is no
/// longer skipped for want of it.
#[test]
fn the_second_client_fields_reach_the_run_with_the_secret_masked() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = probes_on_the_sandbox(dir.path());
    // Only the probe that needs a second client.
    choose_only(&mut h, "refresh.client-bound");
    assert_eq!(h.state().probes().selected(), vec!["refresh.client-bound"]);
    // Without a second client the probe is skipped, and says why.
    h.get_by_label("Run").click();
    step_until(&mut h, "the first run to finish", |h| {
        !h.state().probes().is_running() && !h.state().probes().results().is_empty()
    });
    let row = |h: &Harness<'static, GrantscopeApp>| {
        h.state()
            .probes()
            .results()
            .iter()
            .find(|r| r.id == "refresh.client-bound")
            .map(|r| (r.verdict.outcome, r.verdict.reason.clone()))
            .unwrap()
    };
    let (outcome, why) = row(&h);
    assert_eq!(outcome, Outcome::Skipped, "{why}");
    assert!(why.contains("second registered client"), "{why}");

    h.get_by_label("Second client").click();
    h.step();
    // The sandbox's confidential web client, with its real secret.
    let web = grantscope_sandbox::find_client("sandbox-web").unwrap();
    let secret = web.secret.unwrap();
    // A secret without the client ID: said, and Run waits for the ID.
    h.get_by_label("Second client secret").click();
    h.step();
    h.get_by_label("Second client secret").type_text(secret);
    h.step();
    h.step();
    h.get_by_label("The second client's secret needs its client ID.");
    assert!(h.state().probes().second_client().is_none());
    h.get_by_label("Second client ID").click();
    h.step();
    h.get_by_label("Second client ID").type_text("sandbox-web");
    h.step();
    h.step();
    assert!(
        h.query_by_label("The second client's secret needs its client ID.")
            .is_none()
    );
    let second = h.state().probes().second_client().unwrap();
    assert_eq!(second.client_id, "sandbox-web");
    assert_eq!(
        second
            .client_secret
            .as_ref()
            .map(|s| s.expose().to_string()),
        Some(secret.to_string())
    );
    assert!(
        !format!("{second:?}").contains(secret),
        "the secret's Debug is redacted"
    );
    // The secret never shows on screen: no widget's label or value carries it.
    let shown: Vec<String> = h
        .root()
        .children_recursive()
        .flat_map(|n| {
            let a = n.accesskit_node();
            [a.label().unwrap_or_default(), a.value().unwrap_or_default()]
        })
        .collect();
    assert!(
        shown.iter().any(|t| t == "sandbox-web"),
        "the field values are read: {shown:?}"
    );
    assert!(
        shown.iter().all(|t| !t.contains(secret)),
        "the second client's secret shows on screen"
    );
    h.get_by_label("Run").click();
    h.step();
    step_until(&mut h, "the second run to finish", |h| {
        !h.state().probes().is_running()
            && h.state()
                .probes()
                .results()
                .iter()
                .any(|r| r.id == "refresh.client-bound" && r.verdict.outcome != Outcome::Skipped)
    });
    // The window runs as the sandbox's native client: its refresh token, presented by the
    // (authenticated) web client, is refused; the probe ran and passed.
    let (outcome, why) = row(&h);
    assert_eq!(outcome, Outcome::Pass, "{why}");
    assert!(!why.contains("second registered client"), "{why}");
    assert!(
        !why.contains("invalid_client"),
        "the second client authenticated: {why}"
    );
}

/// "Slow probes" is the CLI's --slow: the plan the window shows before the run says what it
/// adds (the code-lifetime ladder's logins); without it the plan does not.
#[test]
fn slow_probes_show_in_the_plan() {
    let dir = tempfile::tempdir().unwrap();
    // Codes that live 2 s: the slow ladder ends in seconds, not after the default minute.
    std::fs::write(
        dir.path().join("gui.json"),
        r#"{"classroom": {"code_ttl": 2, "auto_approve": "alice"}}"#,
    )
    .unwrap();
    let mut h = probes_on_the_sandbox(dir.path());
    choose_only(&mut h, "token.lifetimes");
    let extra = grantscope_probe::PROBES
        .iter()
        .find(|p| p.id == "token.lifetimes")
        .map(|p| p.slow_logins)
        .unwrap();
    let slow_line = format!(
        "token.lifetimes with the slow probes on asks for {extra} more authorization(s) and may wait minutes"
    );
    let run = |h: &mut Harness<'static, GrantscopeApp>| {
        h.get_by_label("Run").click();
        h.step();
        step_until(h, "the run to finish", |h| {
            !h.state().probes().is_running() && !h.state().probes().plan().is_empty()
        });
    };
    run(&mut h);
    assert!(
        h.state()
            .probes()
            .plan()
            .iter()
            .all(|l| !l.contains("slow")),
        "{:?}",
        h.state().probes().plan()
    );
    h.get_by_label("Slow probes").click();
    h.step();
    run(&mut h);
    let plan = h.state().probes().plan().to_vec();
    assert!(plan.contains(&slow_line), "{plan:?}");
    assert!(
        plan.iter()
            .any(|l| l.starts_with(&format!("{} authorization(s)", 1 + extra))),
        "{plan:?}"
    );
    h.get_by_label("Plan").click();
    h.step();
    h.get_by_label(&slow_line);
}

/// With no browser (the window's "Open the system browser" off) a login waits in plain sight:
/// the URL to open with its Copy button, the time waited of its limit, and Cancel, which stops
/// the run and closes its listener on 127.0.0.1 (a connection is refused within 5 s). Closing
/// the window does the same.
#[test]
fn a_probe_run_waiting_for_a_browser_says_so_and_cancel_closes_its_listener() {
    use grantscope_gui::probes::LOGIN_TIMEOUT;
    use grantscope_probe::Browser;
    use std::net::TcpStream;
    use std::time::{Duration, Instant};

    let dir = tempfile::tempdir().unwrap();
    let mut h = probes_window(dir.path(), None);
    // A click that lands while the window is still being laid out can be lost: click until the
    // switch is off (each click is seen before the next check).
    step_until(&mut h, "the browser switch off", |h| {
        if !h.state().probes().open_browser {
            return true;
        }
        h.get_by_label("Open the system browser").click();
        false
    });
    assert!(!h.state().probes().open_browser);
    choose_only(&mut h, "state.echo");
    for close_the_window in [false, true] {
        h.get_by_label("Run").click();
        step_until(&mut h, "a login waiting for the browser", |h| {
            !h.state().probes().waits().is_empty() || !h.state().probes().is_running()
        });
        let probes = h.state().probes();
        assert!(probes.is_running(), "{:?}", probes.message());
        let wait = probes.waits()[0].clone();
        assert_eq!(wait.browser, Browser::NotAsked);
        assert_eq!(wait.timeout, LOGIN_TIMEOUT);
        assert!(wait.url.as_str().contains("state="), "{}", wait.url);
        let at = probes
            .listening_on()
            .cloned()
            .expect("the listener's address");
        let addr = format!("{}:{}", at.host_str().unwrap(), at.port().unwrap());
        h.get_by_label("Open this URL in a browser to sign in:");
        // Whose login it is (four alike boxes said nothing of it).
        let probe = wait.probe.expect("the probe whose login it is");
        h.get_by_label(&format!("Login for {probe}"));
        h.get_by_label("Copy URL");
        h.get_by_label_contains("Waiting for the browser to come back: ");
        h.get_by_label_contains(" of 5 min 0 s.");
        h.get_by_label_contains("Running for ");
        assert!(
            TcpStream::connect(&addr).is_ok(),
            "the listener answers while the login waits"
        );
        if close_the_window {
            // The top bar's toggle (the window's title says "Probes" too, lower down).
            let toggle = h
                .get_all_by_label("Probes")
                .min_by(|a, b| a.rect().top().total_cmp(&b.rect().top()))
                .unwrap();
            toggle.click();
        } else {
            h.get_by_label("Cancel").click();
        }
        h.step();
        h.step();
        let probes = h.state().probes();
        assert!(!probes.is_running());
        assert!(probes.waits().is_empty());
        let said = probes.message().unwrap_or_default().to_string();
        assert!(said.contains("the redirect listener is closed"), "{said}");
        // The probe whose login was cancelled is named among those not decided.
        assert!(said.contains(" Not decided: "), "{said}");
        assert!(said.contains(probe), "{said}");
        if close_the_window {
            assert!(!probes.open);
            assert!(
                said.starts_with("Cancelled when the window was closed"),
                "{said}"
            );
        } else {
            assert!(said.starts_with("Cancelled after "), "{said}");
            h.get_by_label(&said);
        }
        let deadline = Instant::now() + Duration::from_secs(5);
        while TcpStream::connect(&addr).is_ok() {
            assert!(
                Instant::now() < deadline,
                "{addr} still answers 5 s after the cancel"
            );
            h.step();
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// A client that cannot run the probes is said before Run, probe by probe with the reason
/// (here the sandbox's client-credentials client: no code grant, so no login), another client
/// is offered, and the run skips what cannot run instead of ending inconclusive on the server's
/// refusals.
#[test]
fn a_client_that_cannot_run_the_probes_is_said_before_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = probes_on_the_sandbox(dir.path());
    let all = grantscope_probe::PROBES.len();
    // The native (public, code flow) client: only the probe of a confidential client is out.
    h.get_by_label_contains(&format!(
        "This client can run {} of the {all} chosen probes",
        all - 1
    ));
    h.get_by_label_contains("client-auth.enforced: needs a confidential client");
    h.get_by_label("sandbox-machine").click();
    h.step();
    h.step();
    h.get_by_label_contains("as client sandbox-machine");
    // grants.legacy, transport.https and the three client-assertion probes (a made-up code).
    h.get_by_label_contains(&format!("This client can run 5 of the {all} chosen probes"));
    let why = "needs the authorization code grant: this client may not use the authorization_code grant (it may use client_credentials, per the sandbox's registration)";
    h.get_by_label_contains(why);
    h.get_by_label_contains("may use client_credentials (the sandbox's registration)");
    h.get_by_label(&format!(
        "Use sandbox client sandbox-native (runs {})",
        all - 1
    ));
    h.get_by_label("Run").click();
    step_until(&mut h, "the run to finish", |h| {
        !h.state().probes().is_running() && !h.state().probes().results().is_empty()
    });
    let results = h.state().probes().results();
    let skipped = results
        .iter()
        .filter(|r| r.verdict.outcome == Outcome::Skipped && r.verdict.reason == why)
        .count();
    assert_eq!(skipped, all - 5, "{results:#?}");
    assert!(
        results
            .iter()
            .all(|r| r.verdict.outcome != Outcome::Inconclusive || r.id == "transport.https"),
        "{results:#?}"
    );
    h.get_by_label(&format!(
        "Use sandbox client sandbox-native (runs {})",
        all - 1
    ))
    .click();
    h.step();
    h.step();
    h.get_by_label_contains("as client sandbox-native");
}

/// The Policy picker: fapi2 chosen, the run follows it (each result's level per policy: the
/// policy probes are MUST under fapi2), and the finished run names it.
#[test]
fn the_policy_picker_runs_with_the_chosen_policy() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = probes_on_the_sandbox(dir.path());
    assert_eq!(h.state().probes().policy(), grantscope_probe::Policy::Bcp);
    h.get_by_label("Policy").click();
    h.step();
    h.step();
    h.get_by_label("fapi2").click();
    h.step();
    h.step();
    assert_eq!(h.state().probes().policy(), grantscope_probe::Policy::Fapi2);
    h.get_by_label("Run").click();
    step_until(&mut h, "the run to finish", |h| {
        !h.state().probes().is_running() && !h.state().probes().results().is_empty()
    });
    assert_eq!(
        h.state().probes().last_policy(),
        Some(grantscope_probe::Policy::Fapi2)
    );
    let results = h.state().probes().results();
    let par = results
        .iter()
        .find(|r| r.id == "par.required")
        .unwrap_or_else(|| panic!("{results:#?}"));
    assert_eq!(par.level.as_str(), "MUST");
    // The plain sandbox does not require PAR: a FAPI 2.0 failure.
    assert_eq!(par.verdict.outcome, Outcome::Fail, "{par:#?}");
}

/// Without a file-dialog service an export does not write anywhere by itself: a path field
/// opens in its place (saying why), the chosen kind's name in it, and the report is written
/// where the user says, owner-only.
#[test]
fn an_export_without_a_file_dialog_goes_through_the_path_field() {
    let dir = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let mut options = AppOptions::new(dir.path());
    options.sandbox_auto_approve = Some("alice".into());
    options.file_dialogs = false;
    let mut h = probes_window_with(options);
    choose_only(&mut h, "state.echo");
    h.get_by_label("Run").click();
    step_until(&mut h, "the probe run to finish", |h| {
        !h.state().probes().is_running() && !h.state().probes().results().is_empty()
    });
    h.get_by_label("Export JUnit...").click();
    h.step();
    h.step();
    h.get_by_label_contains("no file-dialog service");
    assert!(
        h.query_by_label_contains("Exported to").is_none(),
        "nothing written yet"
    );
    let report = out.path().join("probes-report.xml");
    h.get_by_label("Path").click();
    h.step();
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.step();
    h.get_by_label("Path").type_text(report.to_str().unwrap());
    h.step();
    h.get_by_label("Export JUnit").click();
    step_until(&mut h, "the export", |h| {
        h.query_by_label_contains("Exported to").is_some()
    });
    let xml = std::fs::read_to_string(&report).unwrap();
    assert!(
        xml.contains("<testsuite") && xml.contains("state.echo"),
        "{xml}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&report).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "owner-only: {mode:o}");
    }
    // The field closed with the export; the run's summary stays beside its outcome.
    assert!(
        h.query_by_label_contains("no file-dialog service")
            .is_none()
    );
    h.get_by_label_contains("Done in");
}

/// Opened before the sandbox runs, the window says it needs a server and offers to start the
/// sandbox itself (it said "the sandbox, started" with nothing to start it by): the button
/// starts it and the window turns to the sandbox profile.
#[test]
fn the_window_starts_the_sandbox_it_asks_for() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(AppOptions::new(dir.path()));
    h.get_by_label("Probes").click();
    h.step();
    h.step();
    h.get_by_label_contains("Choose a profile with an issuer");
    // Two buttons start it: the top bar's and the window's, under its line.
    let line = h
        .get_by_label_contains("Choose a profile with an issuer")
        .rect();
    h.query_all_by_label("Start sandbox")
        .find(|n| n.rect().top() >= line.top() - 1.0)
        .expect("the window's own Start sandbox button")
        .click();
    step_until(&mut h, "the sandbox running", |h| {
        h.state().classroom().state() == grantscope_gui::classroom::SandboxState::Running
    });
    step_until(&mut h, "the sandbox profile in the window", |h| {
        h.query_by_label_contains("Against the active profile")
            .is_some()
    });
    assert!(
        h.query_by_label_contains("Choose a profile with an issuer")
            .is_none()
    );
}
