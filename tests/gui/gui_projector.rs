//! The teacher's projector (1024×768 at 150 % zoom, keyboard and a presenter's clicker), driven
//! headless (egui_kittest) against the app's own sandbox: the presenter view keeps the step's
//! explanation, its request and the diagram's current arrow on screen together, follows the
//! step, wraps its labels rather than cutting them and drops the sign-in URL once the browser
//! came back; the wizard walks with 1/2 and the arrow keys, Tab follows the questions, one
//! thing is focused at a time and the focus follows the walk to Run; no text is under 14 px;
//! the Probes window leaves the tabs uncovered and its Run stays put; the Classroom keeps its
//! port across restarts (picking another when the one it picked is taken at a later launch)
//! and every screen follows a new address at once. What shows is judged
//! on what was painted (text shapes and their clip rectangles) and on the accessibility tree.
//! Deadlines only bound a hung test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::gui_step_mode::{app_in_step_mode, browser, options, wait_for_pending};
use crate::gui_support;

use egui::Rect;
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use grantscope_core::oauth::step::Pending;
use grantscope_gui::classroom::SandboxState;
use grantscope_gui::{AppOptions, GrantscopeApp, Screen};
use gui_support::{finished, harness_at, layout_problems, name_of, step_until, walk, window};

type H = Harness<'static, GrantscopeApp>;

/// The projector: 1024×768 pixels at 150 %.
const PROJECTOR: (f32, f32, f32) = (1024.0, 768.0, 1.5);

/// A text painted in the last frame: its font size (points), where it is and the part of it
/// that shows (inside its clip rectangle and the window), and whether it was cut short.
#[derive(Debug)]
struct Painted {
    text: String,
    size: f32,
    rect: Rect,
    shown: Rect,
    elided: bool,
}

fn collect(shape: &egui::Shape, clip: Rect, out: &mut Vec<Painted>) {
    match shape {
        egui::Shape::Vec(shapes) => {
            for s in shapes {
                collect(s, clip, out);
            }
        }
        egui::Shape::Text(t) if !t.galley.text().trim().is_empty() => {
            let rect = t.visual_bounding_rect();
            let size = t
                .galley
                .job
                .sections
                .iter()
                .map(|s| s.format.font_id.size)
                .fold(f32::INFINITY, f32::min);
            out.push(Painted {
                text: t.galley.text().to_owned(),
                size,
                rect,
                shown: rect.intersect(clip),
                elided: t.galley.elided,
            });
        }
        _ => {}
    }
}

/// Every text the last frame painted.
fn painted(h: &H) -> Vec<Painted> {
    let win = window(h);
    let mut out = Vec::new();
    for c in &h.output().shapes {
        collect(&c.shape, c.clip_rect.intersect(win), &mut out);
    }
    out
}

/// The painted text that starts with `start`, and how much of its height shows (0 to 1).
fn shown(h: &H, start: &str) -> (Rect, f32) {
    let all = painted(h);
    let p = all
        .iter()
        .filter(|p| p.text.starts_with(start))
        .max_by(|a, b| {
            let part = |p: &Painted| p.shown.height().max(0.0) / p.rect.height().max(1.0);
            part(a).total_cmp(&part(b))
        })
        .unwrap_or_else(|| panic!("{start:?} is not painted"));
    let part = if p.shown.is_positive() {
        p.shown.height() / p.rect.height().max(1.0)
    } else {
        0.0
    };
    (p.rect, part)
}

/// The explanation's title, the diagram's current arrow and the request's first line all
/// show, each (nearly) whole.
fn assert_together(h: &H, at: &str, parts: &[&str]) {
    for part in parts {
        let (rect, seen) = shown(h, part);
        assert!(
            seen > 0.9,
            "{at}: {part:?} at {rect:?} shows {:.0} % (window {:?})",
            seen * 100.0,
            window(h)
        );
    }
}

/// The label of the widget with the keyboard's focus.
fn focused(h: &H) -> Option<String> {
    h.root()
        .children_recursive()
        .find(|n| n.accesskit_node().is_focused())
        .map(|n| name_of(&n))
}

fn press(h: &mut H, key: egui::Key) {
    h.key_press(key);
    h.step();
    h.step();
    h.step();
}

/// Presenter view (F5) at 1024×768 / 150 %, in step mode through authorization code: at each
/// stop the explanation, the request and the diagram's highlighted next arrow show together
/// (the diagram scrolled to it); after the browser came back the sign-in URL is gone; no
/// diagram label is cut short.
#[test]
fn presenter_view_keeps_explanation_request_and_current_arrow_together() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness_at(options(dir.path()), PROJECTOR);
    app_in_step_mode(&mut h);
    press(&mut h, egui::Key::F5);
    assert!(h.state().flow().step.presenter);
    h.get_by_label("Run").click();
    let first = wait_for_pending(&mut h, "the authorization step").expect("stopped");
    assert!(matches!(first, Pending::Authorize { .. }), "{first:?}");
    for _ in 0..4 {
        h.step();
    }
    assert_together(
        &h,
        "before the browser",
        &[
            "Authorization request: the user signs in",
            "next: authorization request",
            "The browser will open this authorization URL",
        ],
    );

    h.get_by_label("Send").click();
    gui_support::wait_for_authorize_url(&mut h);
    assert!(!finished(&h));
    let visit = browser(gui_support::authorize_url(&h));
    let second = wait_for_pending(&mut h, "the token request").expect("stopped again");
    assert!(visit.join().unwrap().is_ok());
    assert!(matches!(second, Pending::Request { .. }), "{second:?}");
    for _ in 0..4 {
        h.step();
    }
    // The sign-in is over: its URL is no longer offered (the diagram shows the redirect).
    assert!(
        h.query_by_label("Open this URL in a browser to sign in:")
            .is_none(),
        "the stale sign-in URL is still shown"
    );
    assert_together(
        &h,
        "before the token request",
        &[
            "Token request: exchange the code",
            "next: POST /token",
            "The request, about to be sent",
        ],
    );
    // Wrapped, not cut: discovery's arrow reads in full.
    let all = painted(&h);
    let cut: Vec<&Painted> = all.iter().filter(|p| p.elided).collect();
    assert!(cut.is_empty(), "texts cut short: {cut:#?}");
    assert!(
        all.iter()
            .any(|p| p.text.contains("GET /.well-known/openid-configuration")),
        "the discovery arrow's label is painted in full"
    );
}

/// The wizard with the keyboard alone at 1024×768 / 150 %: Tab from nowhere lands on the first
/// question's first answer, the arrow keys move between its answers, 2 and 1 answer by
/// number and the focus follows to the next question, then to "Run this grant" (inside the
/// window), and Enter there gives the flow runner's Run the focus. One widget has the focus
/// at a time; the chosen answers are marked selected, not focused.
#[test]
fn the_wizard_walks_with_numbers_arrows_and_tab() {
    let dir = tempfile::tempdir().unwrap();
    let mut options = AppOptions::new(dir.path());
    options.start_screen = Some(Screen::Wizard);
    let mut h = harness_at(options, PROJECTOR);
    assert_eq!(focused(&h), None);
    press(&mut h, egui::Key::Tab);
    assert_eq!(focused(&h).as_deref(), Some("Yes"), "the first Tab");
    press(&mut h, egui::Key::ArrowDown);
    assert_eq!(focused(&h).as_deref(), Some("No"));
    press(&mut h, egui::Key::ArrowUp);
    assert_eq!(focused(&h).as_deref(), Some("Yes"));
    // Tab goes on to the question's next answer, not to the boxes or the side panel.
    press(&mut h, egui::Key::Tab);
    assert_eq!(focused(&h).as_deref(), Some("No"));

    press(&mut h, egui::Key::Num2);
    let wizard = |h: &H, q: &str| h.state().settings().wizard.get(q).copied();
    assert_eq!(wizard(&h, "have_refresh_token"), Some(1));
    assert_eq!(
        focused(&h).as_deref(),
        Some("A Machine"),
        "on to the next question"
    );
    press(&mut h, egui::Key::Num2);
    assert_eq!(wizard(&h, "token_owner"), Some(1));
    assert_eq!(focused(&h).as_deref(), Some("Server App"));
    // The focused answer is scrolled into view.
    let problems = layout_problems(&h, &["Server App"]);
    assert!(problems.is_empty(), "{problems:#?}");
    press(&mut h, egui::Key::ArrowDown);
    assert_eq!(focused(&h).as_deref(), Some("Browser-based App"));
    press(&mut h, egui::Key::Enter);
    assert_eq!(wizard(&h, "client_type"), Some(1));
    assert_eq!(focused(&h).as_deref(), Some("Run this grant"));
    let problems = layout_problems(&h, &["Run this grant"]);
    assert!(problems.is_empty(), "{problems:#?}");
    let focused_nodes = h
        .root()
        .children_recursive()
        .filter(|n| n.accesskit_node().is_focused())
        .count();
    assert_eq!(focused_nodes, 1);
    // The path's answers are selected; that is not focus.
    let selected: Vec<String> = h
        .root()
        .children_recursive()
        .filter(|n| n.accesskit_node().toggled() == Some(egui::accesskit::Toggled::True))
        .map(|n| name_of(&n))
        .collect();
    assert!(
        selected.contains(&"Browser-based App".to_owned()),
        "{selected:?}"
    );

    press(&mut h, egui::Key::Enter);
    assert_eq!(h.state().screen(), Screen::Flow);
    assert_eq!(
        focused(&h).as_deref(),
        Some("Run"),
        "the keyboard's place is kept"
    );

    // The profile menu gives the focus back to its button when it closes.
    h.get_by_label_contains("Profile: ").click();
    h.step();
    h.step();
    // The menu's item (the flow form names the profile too, higher up or as a value).
    h.get_all_by_label("Local sandbox")
        .filter(|n| n.accesskit_node().role() != Role::Label)
        .max_by(|a, b| a.rect().top().total_cmp(&b.rect().top()))
        .expect("the menu's item")
        .click();
    h.step();
    h.step();
    h.step();
    let now = focused(&h).unwrap_or_default();
    assert!(
        now.starts_with("Profile: "),
        "focus after the menu: {now:?}"
    );
}

/// Every leaf's run button is inside the window at 1024×768 / 150 %; a leaf without one gives
/// Start over the focus. Every leaf of the tree is reached by its answers' numbers.
#[test]
fn every_run_this_grant_is_inside_the_window() {
    let dir = tempfile::tempdir().unwrap();
    let mut options = AppOptions::new(dir.path());
    options.start_screen = Some(Screen::Wizard);
    let mut h = harness_at(options, PROJECTOR);
    let keys = grantscope_gui::wizard::ANSWER_KEYS;
    let leaves = leaf_paths();
    assert_eq!(
        leaves.len(),
        grantscope_core::wizard::Grant::ALL.len(),
        "one leaf a grant"
    );
    for (leaf, answers) in leaves {
        for &i in &answers {
            press(&mut h, keys[i]);
        }
        // Each answer by number; the leaf reached is the one the numbers name.
        let mut have: Vec<usize> = h.state().settings().wizard.values().copied().collect();
        have.sort_unstable();
        let mut want = answers.clone();
        want.sort_unstable();
        assert_eq!(have, want, "{leaf:?}");
        h.get_by_role_and_label(Role::Label, leaf.title);
        assert!(h.query_by_label("Start over").is_some(), "{leaf:?}");
        if leaf.grant.cli_name().is_none() {
            // Implicit has no run button: the keyboard goes on to Start over.
            h.get_by_label("Deprecated: do not use");
            assert_eq!(focused(&h).as_deref(), Some("Start over"), "{leaf:?}");
        } else {
            let button = if leaf.grant.is_deprecated() {
                "Run this grant anyway"
            } else {
                "Run this grant"
            };
            assert_eq!(focused(&h).as_deref(), Some(button), "{leaf:?}");
            let problems = layout_problems(&h, &[button]);
            assert!(problems.is_empty(), "{leaf:?}: {problems:#?}");
        }
        // Below the fold of the explanation's panel: pressed from the keyboard.
        h.get_by_label("Start over").focus();
        h.step();
        press(&mut h, egui::Key::Enter);
        assert!(h.state().settings().wizard.is_empty(), "{leaf:?}");
    }
}

/// Every leaf of the wizard's tree with the answers (indices) that lead to it.
fn leaf_paths() -> Vec<(grantscope_core::wizard::Leaf, Vec<usize>)> {
    use grantscope_core::wizard::{self, Node};
    fn walk(n: &Node, path: &mut Vec<usize>, out: &mut Vec<(wizard::Leaf, Vec<usize>)>) {
        if let Some(leaf) = n.leaf() {
            out.push((*leaf, path.clone()));
        }
        for (i, e) in n.edges().iter().enumerate() {
            if let Some(next) = wizard::node(e.to)
                && !out.iter().any(|(l, _)| next.leaf() == Some(l))
            {
                path.push(i);
                walk(next, path, out);
                path.pop();
            }
        }
    }
    let mut out = Vec::new();
    walk(wizard::root(), &mut Vec::new(), &mut out);
    out
}

/// The smallest text on every screen at 1024×768 / 150 % (the Classroom's switch captions
/// and the Probes window included) is 14 px or more; the Probes window leaves the tabs
/// uncovered, and its Run stays where it was when the server's grant types arrive.
#[test]
fn no_text_under_14_px_and_the_probes_window_stays_clear_of_the_tabs() {
    let dir = tempfile::tempdir().unwrap();
    let mut options = AppOptions::new(dir.path());
    options.start_screen = Some(Screen::Classroom);
    options.start_grant = Some(grantscope_core::oauth::GrantKind::ClientCredentials);
    let mut h = harness_at(options, PROJECTOR);
    step_until(&mut h, "the start run", |h| {
        h.state()
            .flow()
            .run()
            .is_some_and(|r| r.success().is_some())
    });
    let zoom = PROJECTOR.2;
    let check = |h: &H, screen: &str| {
        let small: Vec<(String, f32)> = painted(h)
            .into_iter()
            .filter(|p| p.size * zoom < 14.0 - 0.01)
            .map(|p| (p.text, p.size * zoom))
            .collect();
        assert!(small.is_empty(), "{screen}: text under 14 px: {small:#?}");
    };
    check(&h, "classroom");
    assert!(
        h.query_all_by_label_contains("caught by the probes: ")
            .next()
            .is_some()
    );
    for (tab, screen) in [
        ("Wizard", Screen::Wizard),
        ("Flow runner", Screen::Flow),
        ("Token inspector", Screen::Inspector),
        ("Profiles", Screen::Profiles),
        ("History", Screen::History),
    ] {
        h.get_by_label(tab).click();
        h.step();
        h.step();
        h.step();
        assert_eq!(h.state().screen(), screen);
        check(&h, tab);
    }

    // The Probes window, on the wizard: below the tabs, its Run where it was.
    h.get_by_label("Wizard").click();
    h.step();
    let toggle = h
        .get_all_by_label("Probes")
        .min_by(|a, b| a.rect().top().total_cmp(&b.rect().top()))
        .unwrap();
    toggle.click();
    h.step();
    h.step();
    h.step();
    assert!(h.state().probes().open);
    let run_before = h.get_by_label("Run").rect();
    step_until(&mut h, "the server's grant types", |h| {
        h.state().probes().server_metadata_known()
    });
    h.step();
    let run_after = h.get_by_label("Run").rect();
    assert!(
        (run_after.min - run_before.min).length() < 0.5,
        "Run moved: {run_before:?} -> {run_after:?}"
    );
    let win = h.get_by_role_and_label(Role::Window, "Probes").rect();
    for tab in [
        "Wizard",
        "Flow runner",
        "Token inspector",
        "Profiles",
        "History",
        "Classroom",
    ] {
        let r = h
            .get_all_by_label(tab)
            .min_by(|a, b| a.rect().top().total_cmp(&b.rect().top()))
            .unwrap()
            .rect();
        assert!(
            !win.intersects(r.shrink(1.0)),
            "the Probes window {win:?} covers the {tab:?} tab {r:?}"
        );
    }
    assert!(window(&h).expand(0.5).contains_rect(win), "{win:?}");
    check(&h, "probes window");
}

fn wait_running(h: &mut H) {
    step_until(h, "the sandbox running", |h| {
        h.state().classroom().state() == SandboxState::Running
    });
}

/// The value of the text field labelled `label`.
fn field(h: &H, label: &str) -> String {
    h.get_by_role_and_label(Role::TextInput, label)
        .accesskit_node()
        .value()
        .unwrap_or_default()
}

fn set_field(h: &mut H, label: &str, text: &str) {
    h.get_by_role_and_label(Role::TextInput, label).click();
    h.step();
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.step();
    h.get_by_role_and_label(Role::TextInput, label)
        .type_text(text);
    h.step();
}

fn port_of(issuer: &str) -> u16 {
    url::Url::parse(issuer).unwrap().port().unwrap()
}

/// The Classroom at 1024×768 / 150 %: a sandbox started on a free port remembers it (the Port
/// field shows it, not 0), "Apply and restart" keeps it, and after a move to another port the
/// flow runner's form and the Probes window show the new address at once.
#[test]
fn the_classroom_keeps_its_port_and_every_screen_follows_a_new_one() {
    let dir = tempfile::tempdir().unwrap();
    let mut options = AppOptions::new(dir.path());
    options.start_screen = Some(Screen::Classroom);
    let mut h = harness_at(options, PROJECTOR);
    assert_eq!(h.state().settings().classroom.port, 0);
    h.get_by_label("Start").click();
    wait_running(&mut h);
    let issuer = h.state().sandbox_issuer().unwrap();
    let port = port_of(&issuer);
    assert_eq!(h.state().settings().classroom.port, port, "remembered");
    assert_eq!(field(&h, "Port"), port.to_string());
    assert!(h.query_by_label("Changes not applied yet.").is_none());

    // A run, so the flow runner's form holds the sandbox's address.
    h.get_by_label("Wizard").click();
    h.step();
    walk(&mut h, &["No", "A Machine"]);
    h.get_by_label("Run").click();
    step_until(&mut h, "the run", finished);
    assert_eq!(
        h.state().flow().profile.issuer.as_deref(),
        Some(issuer.as_str())
    );

    h.get_by_label("Classroom").click();
    h.step();
    set_field(&mut h, "Access-token lifetime", "45");
    h.get_by_label("Apply and restart").click();
    h.step();
    wait_running(&mut h);
    assert_eq!(h.state().sandbox_issuer().as_deref(), Some(issuer.as_str()));
    assert_eq!(field(&h, "Port"), port.to_string());

    // Moved by hand: every screen follows at once, without another run.
    let other = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    set_field(&mut h, "Port", &other.to_string());
    h.get_by_label("Apply and restart").click();
    h.step();
    wait_running(&mut h);
    let moved = h.state().sandbox_issuer().unwrap();
    assert_eq!(port_of(&moved), other);
    assert_eq!(
        h.state().flow().profile.issuer.as_deref(),
        Some(moved.as_str()),
        "the flow runner's form follows"
    );
    h.get_by_label("Flow runner").click();
    h.step();
    h.step();
    assert!(
        h.query_all_by_value(&issuer).next().is_none(),
        "the old address is still shown"
    );
    h.get_by_label("Probes").click();
    h.step();
    h.step();
    step_until(&mut h, "the Probes window on the moved sandbox", |h| {
        h.query_by_label_contains("Against the active profile")
            .is_some()
    });
    let against = name_of(&h.get_by_label_contains("Against the active profile"));
    assert!(against.contains(&moved), "{against}");
}

/// A port the sandbox picked itself and remembered, held by another program at the next
/// launch: the sandbox picks another free port (and remembers that one) instead of failing.
/// A port typed by hand is kept as typed (`gui_classroom`'s taken-port test).
#[test]
fn a_picked_port_taken_meanwhile_is_picked_again() {
    let dir = tempfile::tempdir().unwrap();
    let holder = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let taken = holder.local_addr().unwrap().port();
    std::fs::write(
        dir.path().join("gui.json"),
        format!(r#"{{"screen":"classroom","classroom":{{"port":{taken},"port_picked":true}}}}"#),
    )
    .unwrap();
    let mut h = harness_at(AppOptions::new(dir.path()), PROJECTOR);
    assert_eq!(h.state().settings().classroom.port, taken);
    h.get_by_label("Start").click();
    step_until(&mut h, "the sandbox started, or not", |h| {
        matches!(
            h.state().classroom().state(),
            SandboxState::Running | SandboxState::Stopped
        )
    });
    assert_eq!(
        h.state().classroom().state(),
        SandboxState::Running,
        "{:?}",
        h.query_all_by_label_contains("could not start")
            .map(|n| name_of(&n))
            .collect::<Vec<_>>()
    );
    let port = port_of(&h.state().sandbox_issuer().unwrap());
    assert_ne!(port, taken);
    assert_eq!(h.state().settings().classroom.port, port, "remembered");
    assert_eq!(field(&h, "Port"), port.to_string());
    drop(holder);
}

/// At 1024x768 / 150 % an ended run's outcome is below the form: a line pinned at the top says
/// it ended and where its details are.
#[test]
fn an_ended_run_says_so_at_the_top() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness_at(options(dir.path()), PROJECTOR);
    walk(&mut h, &["No", "A Machine"]);
    h.get_by_label("Run").click();
    step_until(&mut h, "the token response", finished);
    let line = h.get_by_label("The run ended: tokens received (details below the form).");
    let top = line.rect().top();
    assert!(top < 150.0, "pinned near the top: {top}");
}

/// A presenter's clicker starts the run: in the presenter view, PageDown with no run going
/// runs the grant (it did nothing before Run).
#[test]
fn page_down_in_the_presenter_view_starts_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness_at(options(dir.path()), PROJECTOR);
    walk(&mut h, &["No", "A Machine"]);
    assert!(h.state().flow().run().is_none());
    h.key_press(egui::Key::F5);
    h.step();
    h.key_press(egui::Key::PageDown);
    h.step();
    step_until(&mut h, "a run", |h| h.state().flow().run().is_some());
    // At its end the diagram shows the arrow the run led to, the token response, in the window
    // (drawn whole it showed only the first arrows at this size).
    step_until(&mut h, "the run's end", finished);
    h.step();
    h.step();
    let win = window(&h);
    let last = h
        .query_all_by_label_contains("(token request)")
        .last()
        .map(|n| n.rect())
        .expect("the token request's arrow");
    assert!(
        last.bottom() <= win.bottom() && last.top() >= win.top(),
        "{last:?} in {win:?}"
    );
}
