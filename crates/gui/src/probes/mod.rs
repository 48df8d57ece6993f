//! The Probes window: choose security probes by group, run them against the active profile
//! (through the core's `probe` engine, on the worker runtime), watch the verdicts arrive in a
//! live table (colour and level), expand a row to its reason, the RFC text it tests and its
//! masked exchanges, re-run one probe, and export the run as JSON, JUnit or HTML. The wizard's
//! leaves open it with their grant's probes chosen ([`ProbesScreen::choose_for`]); a second
//! registered client (for `refresh.client-bound`, the CLI's `--second-client-id` and
//! `--second-client-secret`) is given in its own fields, the secret masked. While a run goes,
//! the window says how far it got and each login it waits for (the URL to open, with Copy,
//! whether the browser opened, the time waited and its limit); Cancel, or closing the window,
//! aborts the run and with it the listener on 127.0.0.1.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use grantscope_core::oauth::EndpointKind;
use grantscope_core::profile::Profile;
use grantscope_core::secret::ClientSecret;
use grantscope_core::wizard::Grant;
use grantscope_probe::driver::{AuthorizeDriver, Browser, Loopback, Wait};
use grantscope_probe::{
    self as probe, ClientFacts, Group, Need, Outcome, PROBES, ProbeResult, RunOptions,
    SecondClient, Target, runner::Run,
};

use crate::worker::Jobs;

pub mod api;
mod table;
use grantscope_sandbox::local_profile::{
    SANDBOX_PROFILE, registered_grant_types, sandbox_client_for, sandbox_clients,
    use_sandbox_client,
};

const GROUPS: [Group; 9] = [
    Group::Pkce,
    Group::Codes,
    Group::Redirects,
    Group::Refresh,
    Group::ClientAuthentication,
    Group::LegacyGrants,
    Group::TransportAndHeaders,
    Group::Keys,
    Group::Requests,
];

/// What a running job sends back (through the app's worker, like every screen's jobs). Each
/// carries its run's number: a cancelled run's late messages are dropped.
#[derive(Debug)]
pub enum ProbesMsg {
    /// The listener for the browser's redirects answers on this address.
    Listening(u64, url::Url),
    /// What the run will do, said before anything is sent.
    Plan(u64, Vec<String>),
    /// A login started or stopped waiting for the browser.
    Wait(u64, Wait),
    Result(u64, Box<ProbeResult>),
    Done(u64, Box<Run>),
    Failed(u64, String),
    /// A line to show (an export's outcome).
    Said(String),
    /// The API probes' run ([`api`]).
    Api(api::ApiMsg),
    /// The grant types the issuer publishes (`grant_types_supported`; none when it does not).
    Metadata {
        issuer: String,
        grant_types: Option<Vec<String>>,
    },
}

/// A login the run waits for: the URL to open, whether the browser opened, since when and
/// for how long.
#[derive(Debug, Clone)]
pub struct PendingLogin {
    state: String,
    /// The authorization URL the browser must open.
    pub url: url::Url,
    /// Whether the system browser opened on it.
    pub browser: Browser,
    since: Instant,
    /// How long the run waits for this login.
    pub timeout: Duration,
    /// The probe whose login it is.
    pub probe: Option<&'static str>,
}

/// How long each login of a run waits for the browser (the CLI's `--login-timeout`).
pub const LOGIN_TIMEOUT: Duration = Duration::from_secs(300);

/// The window's state.
pub struct ProbesScreen {
    /// Whether the window is shown.
    pub open: bool,
    /// Whether it was drawn last frame (the frame it opens takes the keyboard focus from the
    /// screen behind it).
    drawn: bool,
    selected: BTreeSet<&'static str>,
    results: Vec<ProbeResult>,
    last_run: Option<Run>,
    running: bool,
    message: Option<String>,
    /// The grant whose probes the wizard chose, shown above the choice.
    chosen_for: Option<Grant>,
    /// Open the "Choose probes" section on the next frame (after the wizard chose).
    show_choice: bool,
    second_client_id: String,
    second_client_secret: ClientSecret,
    /// Run the slow parts too (the CLI's `--slow`).
    slow: bool,
    /// The policy the verdicts follow (the CLI's `--policy`).
    policy: probe::Policy,
    /// The last run's plan, as the runner words it.
    plan: Vec<String>,
    /// Open the system browser for each login (off: the URL is shown to open by hand).
    pub open_browser: bool,
    /// The running job (Cancel and closing the window abort it, and with it its listener).
    abort: Option<tokio::task::AbortHandle>,
    /// The number of the current run; messages of other runs are dropped.
    run_id: u64,
    /// When the current run started.
    started: Option<Instant>,
    /// The address of the current run's redirect listener.
    listening: Option<url::Url>,
    /// The logins the run waits for now.
    waits: Vec<PendingLogin>,
    /// The probes decided so far in this run.
    decided: usize,
    /// The probes this run asked for.
    asked: usize,
    /// The profile chosen in the window (none: the app's active profile).
    profile_choice: Option<String>,
    /// The sandbox's seeded client to probe with (the sandbox profile; empty: its code-flow
    /// client).
    sandbox_client: String,
    /// The issuer whose metadata was asked for, and the grant types it publishes.
    server_grants: Option<(String, Option<Vec<String>>)>,
    /// The window shows the API probes ([`api`]) instead of the authorization server's.
    api_mode: bool,
    api: api::ApiMode,
    /// The issuer mode's report export.
    export: table::Export,
    /// Whether the built-in sandbox is stopped (the app says so before each frame): the window
    /// then offers to start it where it asks for a profile with an issuer.
    pub sandbox_stopped: bool,
    /// "Start sandbox" was clicked in the window (the app starts it after the frame).
    start_sandbox: bool,
}

impl Default for ProbesScreen {
    fn default() -> Self {
        Self {
            open: false,
            drawn: false,
            selected: PROBES.iter().map(|p| p.id).collect(),
            results: Vec::new(),
            last_run: None,
            running: false,
            message: None,
            chosen_for: None,
            show_choice: false,
            second_client_id: String::new(),
            second_client_secret: ClientSecret::default(),
            slow: false,
            policy: probe::Policy::default(),
            plan: Vec::new(),
            open_browser: true,
            abort: None,
            run_id: 0,
            started: None,
            listening: None,
            waits: Vec::new(),
            decided: 0,
            asked: 0,
            profile_choice: None,
            sandbox_client: String::new(),
            server_grants: None,
            api_mode: false,
            api: api::ApiMode::default(),
            export: table::Export::new("probes"),
            sandbox_stopped: false,
            start_sandbox: false,
        }
    }
}

/// A duration in whole seconds, or minutes and seconds ("42 s", "5 min 0 s").
fn seconds(d: Duration) -> String {
    let s = d.as_secs();
    if s < 60 {
        format!("{s} s")
    } else {
        format!("{} min {} s", s / 60, s % 60)
    }
}

fn colour(o: Outcome) -> egui::Color32 {
    match o {
        Outcome::Pass => egui::Color32::from_rgb(0x1b, 0x7f, 0x3b),
        Outcome::Fail => egui::Color32::from_rgb(0xc0, 0x10, 0x30),
        Outcome::Warn => egui::Color32::from_rgb(0xb3, 0x6b, 0x00),
        Outcome::Info => egui::Color32::from_rgb(0x22, 0x5e, 0xa8),
        Outcome::Inconclusive => egui::Color32::GRAY,
        Outcome::Skipped => egui::Color32::DARK_GRAY,
    }
}

impl ProbesScreen {
    /// The API mode ("Probe this API"): its form, run and results.
    pub fn api(&self) -> &api::ApiMode {
        &self.api
    }

    /// Whether the window shows the API probes.
    pub fn api_mode(&self) -> bool {
        self.api_mode
    }

    /// "Probe this API": opens the window in its API mode filled from `req` and, when the API's
    /// URL and a token are known, starts the run (`active`: the app's active profile, for a
    /// request that names none).
    pub fn probe_api(
        &mut self,
        req: crate::handoff::ApiProbeRequest,
        jobs: &Jobs<ProbesMsg>,
        active: Option<&Profile>,
    ) {
        self.open = true;
        self.api_mode = true;
        self.api.fill(req);
        if !self.api.url().trim().is_empty() {
            self.api.start(jobs, active, Vec::new());
        }
    }

    /// The probes the user ticked.
    pub fn selected(&self) -> Vec<&'static str> {
        self.selected.iter().copied().collect()
    }

    /// Opens the window with the probes of `grant`'s wizard leaf chosen (and no others).
    pub fn choose_for(&mut self, grant: Grant) {
        let ids = grantscope_core::wizard::leaf_for(grant)
            .and_then(|n| n.leaf())
            .map(|l| l.probes)
            .unwrap_or_default();
        self.selected = ids
            .iter()
            .filter_map(|id| probe::find(id).map(|p| p.id))
            .collect();
        self.chosen_for = Some(grant);
        self.show_choice = true;
        self.open = true;
    }

    /// The grant whose probes the wizard chose, until the choice is changed by hand.
    pub fn chosen_for(&self) -> Option<Grant> {
        self.chosen_for
    }

    /// The second client from the window's fields (none when its ID is empty).
    pub fn second_client(&self) -> Option<SecondClient> {
        let id = self.second_client_id.trim();
        (!id.is_empty()).then(|| SecondClient {
            client_id: id.to_string(),
            client_secret: (!self.second_client_secret.expose().is_empty())
                .then(|| self.second_client_secret.clone()),
        })
    }

    /// The last run's plan (logins, state changes, the slow parts), said before it sent anything.
    pub fn plan(&self) -> &[String] {
        &self.plan
    }

    /// The results so far (of the last or running run).
    pub fn results(&self) -> &[ProbeResult] {
        &self.results
    }

    /// Whether the server's answer about the grant types it publishes has arrived (the window's
    /// "can run" line, and so its layout, changes when it does).
    pub fn server_metadata_known(&self) -> bool {
        matches!(self.server_grants, Some((_, Some(_))))
    }

    /// The policy the next run follows (the picker's choice).
    pub fn policy(&self) -> probe::Policy {
        self.policy
    }

    /// The policy the last finished run followed.
    pub fn last_policy(&self) -> Option<probe::Policy> {
        self.last_run.as_ref().map(|r| r.policy)
    }

    pub fn is_running(&self) -> bool {
        self.running
    }

    /// The logins the running run waits for, oldest first.
    pub fn waits(&self) -> &[PendingLogin] {
        &self.waits
    }

    /// The address the running (or last) run's listener answers on.
    pub fn listening_on(&self) -> Option<&url::Url> {
        self.listening.as_ref()
    }

    /// The line under the buttons (progress, the outcome, an error).
    pub fn message(&self) -> Option<&str> {
        self.message.as_deref()
    }

    /// Stops the running run: its job is aborted, which drops its probes, the driver and the
    /// listener on 127.0.0.1 (nothing answers there any more).
    pub fn cancel(&mut self, why: &str) {
        if !self.running {
            return;
        }
        if let Some(a) = self.abort.take() {
            a.abort();
        }
        self.running = false;
        self.waits.clear();
        let after = self
            .started
            .take()
            .map(|t| format!(" after {}", seconds(t.elapsed())))
            .unwrap_or_default();
        // The probes the run never decided, by name (they were simply missing from the table).
        let undecided: Vec<&str> = PROBES
            .iter()
            .map(|p| p.id)
            .filter(|id| self.selected.contains(id) && !self.results.iter().any(|r| r.id == *id))
            .collect();
        let left = if undecided.is_empty() {
            String::new()
        } else {
            format!(" Not decided: {}.", undecided.join(", "))
        };
        self.message = Some(format!(
            "{why}{after}: {} of {} probes decided; the redirect listener is closed.{left}",
            self.decided, self.asked
        ));
    }

    /// Handles a message from the worker.
    pub fn on_message(&mut self, msg: ProbesMsg) {
        let current = |run: u64| run == self.run_id && self.running;
        match msg {
            ProbesMsg::Said(m) if self.api_mode => self.api.said(m),
            ProbesMsg::Said(m) => {
                if let Some(m) = self.export.said(m) {
                    self.message = Some(table::beside_summary(self.message.as_deref(), m));
                }
            }
            ProbesMsg::Api(m) => self.api.on_message(m),
            // The answer for the issuer asked about last (not one asked about before).
            ProbesMsg::Metadata {
                issuer,
                grant_types,
            } if self
                .server_grants
                .as_ref()
                .is_some_and(|(i, _)| *i == issuer) =>
            {
                self.server_grants = Some((issuer, grant_types));
            }
            ProbesMsg::Listening(run, url) if current(run) => self.listening = Some(url),
            ProbesMsg::Plan(run, lines) if current(run) => self.plan = lines,
            ProbesMsg::Wait(run, wait) if current(run) => match wait {
                Wait::Started {
                    state,
                    url,
                    browser,
                    timeout,
                    probe,
                } => self.waits.push(PendingLogin {
                    state,
                    url,
                    browser,
                    since: Instant::now(),
                    timeout,
                    probe,
                }),
                Wait::Ended { state, .. } => self.waits.retain(|w| w.state != state),
            },
            ProbesMsg::Result(run, r) if current(run) => {
                if !(r.verdict.outcome == Outcome::Skipped && r.verdict.reason == "not asked for") {
                    self.decided += 1;
                }
                self.results.retain(|x| x.id != r.id);
                self.results.push(*r);
            }
            ProbesMsg::Done(run, done) if current(run) => {
                self.running = false;
                self.abort = None;
                self.waits.clear();
                self.started = None;
                self.message = Some(format!(
                    "Done in {} ms under policy {}: {}",
                    done.elapsed_ms,
                    done.policy.as_str(),
                    Outcome::ALL
                        .iter()
                        .map(|o| format!("{} {}", done.count(*o), o.as_str()))
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
                self.merge_run(*done);
            }
            ProbesMsg::Failed(run, e) if current(run) => {
                self.running = false;
                self.abort = None;
                self.waits.clear();
                self.started = None;
                self.message = Some(e);
            }
            // A cancelled run's late words.
            _ => {}
        }
        // Catalogue order.
        self.results
            .sort_by_key(|r| PROBES.iter().position(|p| p.id == r.id));
    }

    fn merge_run(&mut self, run: Run) {
        match &mut self.last_run {
            Some(last) if run.results.len() < PROBES.len() && last.policy == run.policy => {
                // A re-run of some probes under the same policy: replace their rows.
                for r in run.results {
                    if r.verdict.outcome == Outcome::Skipped && r.verdict.reason == "not asked for"
                    {
                        continue;
                    }
                    if let Some(slot) = last.results.iter_mut().find(|x| x.id == r.id) {
                        *slot = r;
                    }
                }
            }
            _ => self.last_run = Some(run),
        }
        if let Some(last) = &self.last_run {
            self.results = last.results.clone();
        }
    }

    /// Starts a run of `only` against `profile` on the worker runtime.
    pub fn start(&mut self, jobs: &Jobs<ProbesMsg>, profile: Profile, only: Vec<String>) {
        let mut facts = self.facts(&profile);
        self.cancel("Cancelled");
        self.running = true;
        self.run_id += 1;
        let run_id = self.run_id;
        self.started = Some(Instant::now());
        self.listening = None;
        self.waits.clear();
        self.decided = 0;
        self.asked = only.len();
        self.message = None;
        if only.len() == PROBES.len() {
            self.results.clear();
        }
        let second_client = self.second_client();
        let slow = self.slow;
        let policy = self.policy;
        let open_browser = self.open_browser;
        self.plan.clear();
        let sink = jobs.sink();
        let keys = jobs.keys().clone();
        self.abort = Some(jobs.spawn(async move {
            let send = |m: ProbesMsg| sink.send(m);
            let wants = [
                EndpointKind::Authorization,
                EndpointKind::Token,
                EndpointKind::Jwks,
                EndpointKind::Userinfo,
            ];
            let conn = match grantscope_core::connect::connect(&profile, &keys, &wants, None).await
            {
                Ok(c) => c,
                Err(e) => return ProbesMsg::Failed(run_id, format!("cannot connect: {e}")),
            };
            if facts.server_grant_types.is_none() {
                facts.server_grant_types = conn
                    .discovery
                    .as_ref()
                    .map(|d| d.supported("grant_types_supported"))
                    .filter(|g| !g.is_empty());
            }
            let announce: Arc<dyn Fn(&url::Url) + Send + Sync> = Arc::new(|_| {});
            let waits_sink = sink.clone();
            let driver = match Loopback::start(
                conn.config.redirect_uri.as_ref(),
                open_browser,
                LOGIN_TIMEOUT,
                announce,
            )
            .await
            {
                Ok(d) => d.with_waits(Arc::new(move |w| {
                    waits_sink.send(ProbesMsg::Wait(run_id, w));
                })),
                Err(e) => return ProbesMsg::Failed(run_id, e.to_string()),
            };
            let driver = if open_browser {
                driver
            } else {
                driver.named("browser you open yourself (this window shows each URL), with a loopback listener")
            };
            send(ProbesMsg::Listening(run_id, driver.listening_on().clone()));
            let Some(redirect_uri) = driver.redirect_uri() else {
                return ProbesMsg::Failed(run_id, "no redirect URI".into());
            };
            let target = Target {
                http: conn.session.http().clone(),
                config: conn.config,
                discovery: conn.discovery,
                driver: Arc::new(driver),
                redirect_uri,
                second_client,
                slow,
                policy,
            };
            let options = RunOptions {
                only,
                ..RunOptions::default()
            };
            let plan = match probe::plan_for(&target, &options, Some(&facts)) {
                Ok(p) => p,
                Err(e) => return ProbesMsg::Failed(run_id, e),
            };
            send(ProbesMsg::Plan(
                run_id,
                plan.describe(target.driver.name(), target.driver.needs_user())
                    .into_iter()
                    .map(|l| l.trim_start_matches("plan: ").to_string())
                    .collect(),
            ));
            let on_result =
                |r: &ProbeResult| send(ProbesMsg::Result(run_id, Box::new(r.clone())));
            let run = probe::run(Arc::new(target), &plan, &on_result).await;
            ProbesMsg::Done(run_id, Box::new(run))
        }));
    }

    fn export(&mut self, jobs: &Jobs<ProbesMsg>, kind: &'static str) {
        let Some(run) = &self.last_run else { return };
        if let Err(e) = self.export.start(jobs, run, kind, ProbesMsg::Said) {
            self.message = Some(e);
        }
    }

    /// Whether "Start sandbox" was clicked in the window since the last call.
    pub fn take_start_sandbox(&mut self) -> bool {
        std::mem::take(&mut self.start_sandbox)
    }

    /// Uses the native file dialog for the exports (or not: a path field), as the app's
    /// options say.
    pub fn set_file_dialogs(&mut self, dialogs: bool) {
        self.export.set_dialogs(dialogs);
        self.api.set_file_dialogs(dialogs);
    }

    /// The top bar's toggle that shows and hides the window.
    pub fn toggle_ui(&mut self, ui: &mut egui::Ui) {
        ui.toggle_value(&mut self.open, "Probes")
            .on_hover_text("The security probes window");
    }

    /// Draws the window (when open): `profiles` as the app uses them (the sandbox's address
    /// filled in), `active` the app's active profile, which the window probes unless the user
    /// picks another.
    /// The window, kept inside `bounds` (the app below its top bar: the screens' tabs stay
    /// uncovered), at a size of its own that its content does not change: what appears while
    /// it is used (the server's grant types, the progress) scrolls rather than moving the
    /// controls under the pointer.
    pub fn window(
        &mut self,
        ctx: &egui::Context,
        jobs: &Jobs<ProbesMsg>,
        profiles: &[Profile],
        active: Option<&str>,
        bounds: egui::Rect,
    ) {
        if !self.open {
            // Closed (its ✖ or the top bar's toggle): what it started stops with it.
            self.cancel("Cancelled when the window was closed");
            self.api.cancel("Cancelled when the window was closed");
            self.drawn = false;
            return;
        }
        if !std::mem::replace(&mut self.drawn, true) {
            // A text field of the screen behind kept the focus and painted its focused frame
            // over this window: the window takes the focus away as it opens.
            ctx.memory_mut(|m| {
                if let Some(id) = m.focused() {
                    m.surrender_focus(id);
                }
            });
        }
        let mut open = self.open;
        // Tall enough for the results by default, inside the bounds.
        crate::layout::side_window("Probes", bounds, 720.0)
            .open(&mut open)
            .show(ctx, |ui| self.ui(ui, jobs, profiles, active));
        self.open = open;
        if !open {
            self.cancel("Cancelled when the window was closed");
            self.api.cancel("Cancelled when the window was closed");
        }
    }

    /// While running: how far it got, for how long, and each login it waits for (the URL to
    /// open with a Copy button, whether the browser opened, the time waited and its limit).
    fn progress_ui(&mut self, ui: &mut egui::Ui) {
        let Some(started) = self.started.filter(|_| self.running) else {
            return;
        };
        // The clocks below tick once a second.
        ui.ctx().request_repaint_after(Duration::from_secs(1));
        ui.label(format!(
            "Running for {}: {} of {} probes decided.",
            seconds(started.elapsed()),
            self.decided,
            self.asked
        ));
        if let Some(at) = &self.listening {
            ui.label(
                egui::RichText::new(format!(
                    "The browser's redirects come back to {at} (a listener on this machine, closed when the run ends or is cancelled)."
                ))
                .weak(),
            );
        }
        let waits = self.waits.clone();
        for w in &waits {
            egui::Frame::group(ui.style()).show(ui, |ui| {
                if let Some(p) = w.probe {
                    ui.label(egui::RichText::new(format!("Login for {p}")).strong());
                }
                match &w.browser {
                    Browser::Opened => {
                        ui.label("Sign in in the browser that opened on this URL:");
                    }
                    Browser::Failed(e) => {
                        ui.colored_label(
                            ui.visuals().warn_fg_color,
                            format!(
                                "The system browser could not be opened ({}): open this URL in a browser yourself:",
                                grantscope_core::text::inert(e)
                            ),
                        );
                    }
                    Browser::NotAsked => {
                        ui.label("Open this URL in a browser to sign in:");
                    }
                }
                let url = w.url.to_string();
                ui.horizontal_wrapped(|ui| {
                    ui.hyperlink_to(crate::exchange_view::shorten(&url, 70), &url);
                    if ui.small_button("Copy URL").clicked() {
                        ui.ctx().copy_text(url.clone());
                    }
                });
                ui.label(format!(
                    "Waiting for the browser to come back: {} of {}.",
                    seconds(w.since.elapsed()),
                    seconds(w.timeout)
                ));
            });
        }
    }

    fn choice_ui(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            if ui.button("All probes").clicked() {
                self.selected = PROBES.iter().map(|p| p.id).collect();
                self.chosen_for = None;
            }
            if ui.button("None").clicked() {
                self.selected.clear();
                self.chosen_for = None;
            }
        });
        for group in GROUPS {
            ui.horizontal_wrapped(|ui| {
                ui.label(egui::RichText::new(group.title()).strong());
                for p in PROBES.iter().filter(|p| p.group == group) {
                    let mut on = self.selected.contains(p.id);
                    if ui.checkbox(&mut on, p.id).on_hover_text(p.tests).changed() {
                        if on {
                            self.selected.insert(p.id);
                        } else {
                            self.selected.remove(p.id);
                        }
                        self.chosen_for = None;
                    }
                }
            });
        }
    }

    /// The second registered client, as the CLI's `--second-client-id/-secret`.
    fn second_client_ui(&mut self, ui: &mut egui::Ui) {
        let needing: Vec<&str> = PROBES
            .iter()
            .filter(|p| p.needs.contains(&Need::SecondClient))
            .map(|p| p.id)
            .collect();
        egui::CollapsingHeader::new("Second client")
            .id_salt("probes_second_client")
            .show(ui, |ui| {
                ui.label(
                    egui::RichText::new(format!(
                        "Another client registered at the same server, for {}. Without it those probes are skipped.",
                        needing.join(", ")
                    ))
                    .weak(),
                );
                egui::Grid::new("probes_second_client_grid")
                    .num_columns(2)
                    .show(ui, |ui| {
                        let l = ui.label("Second client ID");
                        ui.add(
                            egui::TextEdit::singleline(&mut self.second_client_id)
                                .desired_width(260.0),
                        )
                        .labelled_by(l.id);
                        ui.end_row();
                        let l = ui.label("Second client secret");
                        ui.add(
                            egui::TextEdit::singleline(self.second_client_secret.expose_mut())
                                .password(true)
                                .desired_width(260.0),
                        )
                        .labelled_by(l.id)
                        .on_hover_text("Empty for a public client; masked like every secret");
                        ui.end_row();
                    });
            });
    }

    /// The profile to probe with (a list of the app's profiles) and, for the sandbox profile,
    /// which of its seeded clients; `None` when the chosen one cannot reach a server.
    fn profile_ui(
        &mut self,
        ui: &mut egui::Ui,
        profiles: &[Profile],
        active: Option<&str>,
    ) -> Option<Profile> {
        let name = self
            .profile_choice
            .clone()
            .filter(|n| profiles.iter().any(|p| p.name == *n))
            .or_else(|| active.map(String::from));
        ui.horizontal_wrapped(|ui| {
            let l = ui.label("Probe with profile");
            egui::ComboBox::from_id_salt("probes_profile")
                .selected_text(name.clone().unwrap_or_else(|| "none".into()))
                .show_ui(ui, |ui| {
                    for p in profiles {
                        let label = if Some(p.name.as_str()) == active {
                            format!("{} (active)", p.name)
                        } else {
                            p.name.clone()
                        };
                        if ui
                            .selectable_label(name.as_deref() == Some(p.name.as_str()), label)
                            .clicked()
                        {
                            self.profile_choice = Some(p.name.clone());
                        }
                    }
                })
                .response
                .labelled_by(l.id)
                .on_hover_text("The profile (server and client) the probes run with");
        });
        let name = self
            .profile_choice
            .clone()
            .filter(|n| profiles.iter().any(|p| p.name == *n))
            .or_else(|| active.map(String::from))?;
        let mut p = profiles.iter().find(|p| p.name == name)?.clone();
        if p.name == SANDBOX_PROFILE {
            if self.sandbox_client.is_empty() {
                // Most probes need the code flow: the sandbox's native (public, code flow)
                // client, not the machine client the profile starts with.
                sandbox_client_for(grantscope_core::oauth::GrantKind::AuthorizationCode, &mut p);
                self.sandbox_client = p.client_id.clone();
            }
            ui.horizontal_wrapped(|ui| {
                ui.label("Sandbox client");
                for (id, what) in sandbox_clients() {
                    ui.selectable_value(&mut self.sandbox_client, id.to_owned(), id)
                        .on_hover_text(what);
                }
            });
            use_sandbox_client(&self.sandbox_client, &mut p);
        }
        let reachable = p.issuer.as_deref().is_some_and(|i| !i.is_empty())
            || p.token_endpoint.as_deref().is_some_and(|t| !t.is_empty());
        if reachable {
            ui.label(format!(
                "Against the {}profile {:?} ({}), as client {}",
                if Some(p.name.as_str()) == active {
                    "active "
                } else {
                    ""
                },
                p.name,
                p.issuer.as_deref().unwrap_or("endpoints given by hand"),
                grantscope_core::text::inert(&p.client_id)
            ));
        } else {
            ui.colored_label(
                ui.visuals().warn_fg_color,
                "This profile has no issuer or token endpoint yet (is the sandbox running?).",
            );
        }
        reachable.then_some(p)
    }

    /// What is known of `p`'s client before the run: the grant types the sandbox registered
    /// for it (other servers keep their registrations to themselves), those the server
    /// publishes, whether it authenticates, its redirect URI.
    fn facts(&self, p: &Profile) -> ClientFacts {
        let cfg = p.client_config().ok();
        ClientFacts {
            grant_types: registered_grant_types(p),
            grant_types_from: "the sandbox's registration",
            server_grant_types: self
                .server_grants
                .as_ref()
                .filter(|(i, _)| p.issuer.as_deref() == Some(i.as_str()))
                .and_then(|(_, g)| g.clone()),
            confidential: cfg.as_ref().is_some_and(|c| c.can_authenticate()),
            redirect_uri: p
                .redirect_uri
                .as_deref()
                .filter(|u| !u.trim().is_empty())
                .and_then(|u| url::Url::parse(u).ok()),
        }
    }

    /// Asks the issuer once for the grant types it publishes.
    fn ask_metadata(&mut self, jobs: &Jobs<ProbesMsg>, p: &Profile) {
        let Some(issuer) = p.issuer.clone().filter(|i| !i.is_empty()) else {
            return;
        };
        if self
            .server_grants
            .as_ref()
            .is_some_and(|(i, _)| *i == issuer)
        {
            return;
        }
        self.server_grants = Some((issuer.clone(), None));
        let profile = p.clone();
        let keys = jobs.keys().clone();
        jobs.spawn(async move {
            let wants = [EndpointKind::Token];
            let grant_types =
                match grantscope_core::connect::connect(&profile, &keys, &wants, None).await {
                    Ok(c) => c
                        .discovery
                        .map(|d| d.supported("grant_types_supported"))
                        .filter(|g| !g.is_empty()),
                    Err(_) => None,
                };
            ProbesMsg::Metadata {
                issuer,
                grant_types,
            }
        });
    }

    /// How many of the chosen probes `facts` lets run.
    fn runnable(&self, facts: &ClientFacts) -> usize {
        PROBES
            .iter()
            .filter(|q| self.selected.contains(q.id) && facts.why_not(q).is_none())
            .count()
    }

    /// Before Run: which chosen probes this client can and cannot run, and why; the other
    /// profiles of the same issuer and (the sandbox) the seeded clients that run more.
    fn fitness_ui(&mut self, ui: &mut egui::Ui, p: &Profile, profiles: &[Profile]) {
        let facts = self.facts(p);
        let chosen = PROBES
            .iter()
            .filter(|q| self.selected.contains(q.id))
            .count();
        let mut cannot: BTreeMap<String, Vec<&str>> = BTreeMap::new();
        for q in PROBES.iter().filter(|q| self.selected.contains(q.id)) {
            if let Some(why) = facts.why_not(q) {
                cannot.entry(why).or_default().push(q.id);
            }
        }
        let mut said = vec![
            if facts.confidential {
                "confidential (it authenticates)".to_string()
            } else {
                "public (no client authentication)".to_string()
            },
            match &facts.grant_types {
                Some(g) => format!("may use {} ({})", g.join(", "), facts.grant_types_from),
                None => "the grants it may use are known only to its server".to_string(),
            },
            match &facts.server_grant_types {
                Some(g) => format!("the server supports {}", g.join(", ")),
                None => "the server lists no grant_types_supported".to_string(),
            },
        ];
        said.push(match &facts.redirect_uri {
            Some(u) => format!("redirect URI {u}"),
            None => "redirect URI: a listener on 127.0.0.1 (a free port)".to_string(),
        });
        ui.label(
            egui::RichText::new(format!(
                "Client {}: {}.",
                grantscope_core::text::inert(&p.client_id),
                said.join("; ")
            ))
            .weak(),
        );
        let skipped: usize = cannot.values().map(Vec::len).sum();
        if skipped == 0 {
            if facts.grant_types.is_none() {
                // Not known: said so, not promised (a client_credentials-only client looked
                // fit for all of them and ended with 22 inconclusive rows).
                ui.label(format!(
                    "Nothing known stops this client from running the {chosen} chosen probes; \
                     its server alone knows its grants. Run first asks the authorization \
                     endpoint: if it refuses this client, the probes that log in are skipped, \
                     saying why."
                ));
            } else {
                ui.label(if chosen == 1 {
                    "This client can run the chosen probe.".to_string()
                } else {
                    format!("This client can run all {chosen} chosen probes.")
                });
            }
            return;
        }
        let can = chosen - skipped;
        ui.colored_label(
            ui.visuals().warn_fg_color,
            format!(
                "This client can run {can} of the {chosen} chosen probes; the other {skipped} will be skipped:"
            ),
        );
        for (why, ids) in &cannot {
            ui.label(format!(
                "{}: {}",
                ids.join(", "),
                grantscope_core::text::inert(why)
            ));
        }
        ui.horizontal_wrapped(|ui| {
            let issuer = p.issuer.as_deref().filter(|i| !i.is_empty());
            for other in profiles
                .iter()
                .filter(|o| o.name != p.name && issuer.is_some() && o.issuer.as_deref() == issuer)
            {
                if ui
                    .button(format!("Use profile {}", other.name))
                    .on_hover_text("Another profile for the same issuer")
                    .clicked()
                {
                    self.profile_choice = Some(other.name.clone());
                }
            }
            if p.name == SANDBOX_PROFILE {
                for (id, _) in sandbox_clients() {
                    let mut q = p.clone();
                    use_sandbox_client(id, &mut q);
                    let n = self.runnable(&self.facts(&q));
                    if id != p.client_id
                        && n > can
                        && ui
                            .button(format!("Use sandbox client {id} (runs {n})"))
                            .clicked()
                    {
                        self.sandbox_client = id.to_owned();
                    }
                }
            }
        });
    }

    fn ui(
        &mut self,
        ui: &mut egui::Ui,
        jobs: &Jobs<ProbesMsg>,
        profiles: &[Profile],
        active: Option<&str>,
    ) {
        ui.horizontal_wrapped(|ui| {
            ui.selectable_value(&mut self.api_mode, false, "Authorization server")
                .on_hover_text("The authorization server's probes, with a profile's client");
            ui.selectable_value(&mut self.api_mode, true, "API (resource server)")
                .on_hover_text("The API probes: forged and wrong tokens sent to an API");
        });
        if self.api_mode {
            let name = self
                .profile_choice
                .clone()
                .or_else(|| active.map(String::from));
            let p = profiles.iter().find(|p| Some(&p.name) == name.as_ref());
            self.api.ui(ui, jobs, p);
            return;
        }
        ui.label("What does this server accept that it must refuse? (PROBES.md, RFC 9700)");
        let profile = self.profile_ui(ui, profiles, active);
        if profile.is_none() && self.last_run.is_none() {
            ui.horizontal_wrapped(|ui| {
                ui.colored_label(
                    ui.visuals().warn_fg_color,
                    "Choose a profile with an issuer (or the sandbox, started) first.",
                );
                if self.sandbox_stopped
                    && ui
                        .button("Start sandbox")
                        .on_hover_text("Run the built-in authorization server on 127.0.0.1")
                        .clicked()
                {
                    self.start_sandbox = true;
                }
            });
        }
        // Run and the exports first, where nothing that appears later (the server's grant
        // types, the progress) can move them under the pointer between press and release.
        ui.horizontal_wrapped(|ui| {
            let second_incomplete = self.second_client_id.trim().is_empty()
                && !self.second_client_secret.expose().is_empty();
            let can_run = profile.is_some()
                && !self.running
                && !self.selected.is_empty()
                && !second_incomplete;
            if ui.add_enabled(can_run, egui::Button::new("Run")).clicked()
                && let Some(p) = profile.clone()
            {
                let only = self.selected().into_iter().map(String::from).collect();
                self.start(jobs, p, only);
            }
            // Always there (off between runs), so nothing beside it moves when a run starts.
            if ui
                .add_enabled(self.running, egui::Button::new("Cancel"))
                .on_hover_text("Stop the run: its requests, its waits and its listener")
                .clicked()
            {
                self.cancel("Cancelled");
            }
            let has = self.last_run.is_some() && !self.running;
            if let Some(kind) = table::export_buttons_ui(ui, has) {
                self.export(jobs, kind);
            }
            if self.running {
                ui.spinner();
            }
        });
        // What the run waits for (a login's URL) and how it ended, right under Run: below the
        // choice and the client's details they were under the window's edge at 150 %.
        self.progress_ui(ui);
        if let Err(e) = self
            .export
            .field_ui(ui, jobs, self.last_run.as_ref(), ProbesMsg::Said)
        {
            self.message = Some(e);
        }
        if let Some(m) = &self.message {
            ui.label(grantscope_core::text::inert(m).to_string());
        }
        // Verdicts of another policy than the picker's are earlier ones: said so, not hidden.
        if let Some(last) = self
            .last_policy()
            .filter(|p| *p != self.policy && !self.running)
        {
            ui.colored_label(
                ui.visuals().warn_fg_color,
                format!(
                    "The verdicts below were judged under policy {}; the picker now says {}: \
                     run again to judge under it.",
                    last.as_str(),
                    self.policy.as_str()
                ),
            );
        }
        if let Some(grant) = self.chosen_for {
            ui.label(format!(
                "Chosen from the wizard: the {} probes that test the pitfalls of {}.",
                self.selected.len(),
                grant.title()
            ));
        }
        let show_choice = std::mem::take(&mut self.show_choice);
        egui::CollapsingHeader::new("Choose probes")
            .open(show_choice.then_some(true))
            .show(ui, |ui| self.choice_ui(ui));
        if let Some(p) = &profile {
            self.ask_metadata(jobs, p);
            self.fitness_ui(ui, p, profiles);
        }
        self.second_client_ui(ui);
        ui.checkbox(&mut self.open_browser, "Open the system browser")
            .on_hover_text(
                "Off: each login's URL shows here to open yourself (with a Copy button)",
            );
        ui.horizontal(|ui| {
            egui::ComboBox::from_label("Policy")
                .selected_text(self.policy.as_str())
                .show_ui(ui, |ui| {
                    for p in probe::Policy::ALL {
                        ui.selectable_value(&mut self.policy, p, p.as_str())
                            .on_hover_text(p.title());
                    }
                })
                .response
                .on_hover_text(
                    "The policy sets each probe's level and rule (FAPI 2.0 expects no refresh rotation, PAR and sender-constrained tokens)",
                );
        });
        ui.checkbox(&mut self.slow, "Slow probes")
            .on_hover_text(
                "Wait for a short-lived access token to expire and measure the authorization code's lifetime (up to 11 minutes and 14 more logins)",
            );
        if self.second_client_id.trim().is_empty() && !self.second_client_secret.expose().is_empty()
        {
            ui.colored_label(
                ui.visuals().warn_fg_color,
                "The second client's secret needs its client ID.",
            );
        }
        if !self.plan.is_empty() {
            egui::CollapsingHeader::new("Plan")
                .id_salt("probes_plan")
                .show(ui, |ui| {
                    for line in &self.plan {
                        ui.label(egui::RichText::new(line).weak());
                    }
                });
        }
        // The window itself scrolls: the rows take the height they need (a scroll area of its
        // own here was ~100 px high at 150 %). Probes a run was not asked for are not rows.
        let rerun = table::results_ui(ui, &self.results, !self.running && profile.is_some());
        if let (Some(id), Some(p)) = (rerun, profile) {
            self.start(jobs, p, vec![id.to_string()]);
        }
    }
}
