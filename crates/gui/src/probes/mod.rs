//! The Probes window: choose security probes by group, run them against the active profile
//! (through the core's `probe` engine, on the worker runtime), watch the verdicts arrive in a
//! live table (colour and level), expand a row to its reason, the RFC text it tests and its
//! masked exchanges, re-run one probe, and export the run as JSON, JUnit or HTML. The wizard's
//! leaves open it with their grant's probes chosen ([`ProbesScreen::choose_for`]); a second
//! registered client (for `refresh.client-bound`, the CLI's `--second-client-id` and
//! `--second-client-secret`) is given in its own fields, the secret masked.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use grantscope_core::oauth::EndpointKind;
use grantscope_core::profile::Profile;
use grantscope_core::secret::ClientSecret;
use grantscope_core::wizard::Grant;
use grantscope_probe::driver::{AuthorizeDriver, Loopback};
use grantscope_probe::{
    self as probe, Group, Need, Outcome, PROBES, ProbeResult, RunOptions, SecondClient, Target,
    report, runner::Run,
};

use crate::worker::Jobs;

const GROUPS: [Group; 8] = [
    Group::Pkce,
    Group::Codes,
    Group::Redirects,
    Group::Refresh,
    Group::ClientAuthentication,
    Group::LegacyGrants,
    Group::TransportAndHeaders,
    Group::Keys,
];

/// What a running job sends back (through the app's worker, like every screen's jobs).
#[derive(Debug)]
pub enum ProbesMsg {
    /// What the run will do, said before anything is sent.
    Plan(Vec<String>),
    Result(Box<ProbeResult>),
    Done(Box<Run>),
    Failed(String),
}

/// The window's state.
pub struct ProbesScreen {
    /// Whether the window is shown.
    pub open: bool,
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
    /// The last run's plan, as the runner words it.
    plan: Vec<String>,
}

impl Default for ProbesScreen {
    fn default() -> Self {
        Self {
            open: false,
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
            plan: Vec::new(),
        }
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

    pub fn is_running(&self) -> bool {
        self.running
    }

    /// Handles a message from the worker.
    pub fn on_message(&mut self, msg: ProbesMsg) {
        match msg {
            ProbesMsg::Plan(lines) => self.plan = lines,
            ProbesMsg::Result(r) => {
                self.results.retain(|x| x.id != r.id);
                self.results.push(*r);
            }
            ProbesMsg::Done(run) => {
                self.running = false;
                self.message = Some(format!(
                    "Done in {} ms: {}",
                    run.elapsed_ms,
                    Outcome::ALL
                        .iter()
                        .map(|o| format!("{} {}", run.count(*o), o.as_str()))
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
                self.merge_run(*run);
            }
            ProbesMsg::Failed(e) => {
                self.running = false;
                self.message = Some(e);
            }
        }
        // Catalogue order.
        self.results
            .sort_by_key(|r| PROBES.iter().position(|p| p.id == r.id));
    }

    fn merge_run(&mut self, run: Run) {
        match &mut self.last_run {
            Some(last) if run.results.len() < PROBES.len() => {
                // A re-run of some probes: replace their rows.
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
        self.running = true;
        self.message = Some("Running...".into());
        if only.len() == PROBES.len() {
            self.results.clear();
        }
        let second_client = self.second_client();
        let slow = self.slow;
        self.plan.clear();
        let sink = jobs.sink();
        let keys = jobs.keys().clone();
        jobs.spawn(async move {
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
                Err(e) => return ProbesMsg::Failed(format!("cannot connect: {e}")),
            };
            let announce: Arc<dyn Fn(&url::Url) + Send + Sync> = Arc::new(|_| {});
            let driver = match Loopback::start(
                conn.config.redirect_uri.as_ref(),
                true,
                Duration::from_secs(300),
                announce,
            )
            .await
            {
                Ok(d) => d,
                Err(e) => return ProbesMsg::Failed(e.to_string()),
            };
            let Some(redirect_uri) = driver.redirect_uri() else {
                return ProbesMsg::Failed("no redirect URI".into());
            };
            let target = Target {
                http: conn.session.http().clone(),
                config: conn.config,
                discovery: conn.discovery,
                driver: Arc::new(driver),
                redirect_uri,
                second_client,
                slow,
            };
            let options = RunOptions {
                only,
                ..RunOptions::default()
            };
            let plan = match probe::plan(&target, &options) {
                Ok(p) => p,
                Err(e) => return ProbesMsg::Failed(e),
            };
            send(ProbesMsg::Plan(
                plan.describe(target.driver.name(), target.driver.needs_user())
                    .into_iter()
                    .map(|l| l.trim_start_matches("plan: ").to_string())
                    .collect(),
            ));
            let on_result = |r: &ProbeResult| send(ProbesMsg::Result(Box::new(r.clone())));
            let run = probe::run(Arc::new(target), &plan, &on_result).await;
            ProbesMsg::Done(Box::new(run))
        });
    }

    fn export(&mut self, jobs: &Jobs<ProbesMsg>, kind: &'static str) {
        let Some(run) = &self.last_run else { return };
        let (text, name) = match kind {
            "json" => (report::to_json(run, false).to_string(), "probes.json"),
            "xml" => match report::to_junit(run) {
                Ok(x) => (x, "probes.xml"),
                Err(e) => {
                    self.message = Some(format!("JUnit: {e}"));
                    return;
                }
            },
            _ => (report::to_html(run), "probes.html"),
        };
        jobs.spawn(async move {
            let file = rfd::AsyncFileDialog::new()
                .set_title("Export the probe results")
                .set_file_name(name)
                .save_file()
                .await;
            let msg = match file {
                None => "Export cancelled".to_string(),
                Some(f) => {
                    let path = f.path().to_path_buf();
                    match tokio::fs::write(&path, text).await {
                        Ok(()) => format!("Exported to {}", path.display()),
                        Err(e) => format!("cannot write {}: {e}", path.display()),
                    }
                }
            };
            ProbesMsg::Failed(msg)
        });
    }

    /// The top bar's toggle that shows and hides the window.
    pub fn toggle_ui(&mut self, ui: &mut egui::Ui) {
        ui.toggle_value(&mut self.open, "Probes")
            .on_hover_text("The security probes window");
    }

    /// Draws the window (when open) for the active profile.
    pub fn window(
        &mut self,
        ctx: &egui::Context,
        jobs: &Jobs<ProbesMsg>,
        profile: Option<Profile>,
    ) {
        if !self.open {
            return;
        }
        let mut open = self.open;
        // Tall enough for the results by default (egui keeps it inside the screen).
        let tall = (ctx.content_rect().height() * 0.8).max(300.0);
        egui::Window::new("Probes")
            .open(&mut open)
            .default_width(720.0)
            .default_height(tall)
            .show(ctx, |ui| self.ui(ui, jobs, profile));
        self.open = open;
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

    fn ui(&mut self, ui: &mut egui::Ui, jobs: &Jobs<ProbesMsg>, profile: Option<Profile>) {
        ui.label("What does this server accept that it must refuse? (PROBES.md, RFC 9700)");
        let reachable = |p: &Profile| {
            p.issuer.as_deref().is_some_and(|i| !i.is_empty())
                || p.token_endpoint.as_deref().is_some_and(|t| !t.is_empty())
        };
        let profile = profile.filter(|p| {
            if reachable(p) {
                ui.label(format!(
                    "Against the active profile {:?} ({}), as client {}",
                    p.name,
                    p.issuer.as_deref().unwrap_or("endpoints given by hand"),
                    grantscope_core::text::inert(&p.client_id)
                ));
            } else {
                ui.colored_label(
                    ui.visuals().warn_fg_color,
                    "The active profile has no issuer or token endpoint yet (is the sandbox running?).",
                );
            }
            reachable(p)
        });
        if profile.is_none() && self.last_run.is_none() {
            ui.colored_label(
                ui.visuals().warn_fg_color,
                "Choose an active profile with an issuer on the Profiles screen first.",
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
        self.second_client_ui(ui);
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
        ui.horizontal(|ui| {
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
            if self.running {
                ui.spinner();
            }
            let has = self.last_run.is_some() && !self.running;
            for (label, kind) in [
                ("Export JSON...", "json"),
                ("Export JUnit...", "xml"),
                ("Export HTML...", "html"),
            ] {
                if ui.add_enabled(has, egui::Button::new(label)).clicked() {
                    self.export(jobs, kind);
                }
            }
        });
        if let Some(m) = &self.message {
            ui.label(grantscope_core::text::inert(m).to_string());
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
        let mut rerun = None;
        egui::ScrollArea::vertical().show(ui, |ui| {
            for r in &self.results {
                ui.horizontal(|ui| {
                    ui.label(
                        egui::RichText::new(r.verdict.outcome.as_str())
                            .color(colour(r.verdict.outcome))
                            .strong(),
                    );
                    ui.label(r.level.as_str());
                    egui::CollapsingHeader::new(format!("{}  {}", r.id, r.title))
                        .id_salt(r.id)
                        .show(ui, |ui| {
                            ui.label(grantscope_core::text::inert(&r.verdict.reason).to_string());
                            if let Some(p) = probe::find(r.id) {
                                ui.label(
                                    egui::RichText::new(format!("{} ({})", p.tests, p.reference))
                                        .weak(),
                                );
                            }
                            for (i, ex) in r.exchanges.iter().enumerate() {
                                let json =
                                    grantscope_core::text::to_json_pretty(&ex.to_json(false))
                                        .unwrap_or_default();
                                egui::CollapsingHeader::new(ex.summary())
                                    .id_salt((r.id, i))
                                    .show(ui, |ui| {
                                        ui.monospace(json);
                                    });
                            }
                        });
                    if ui
                        .add_enabled(
                            !self.running && profile.is_some(),
                            egui::Button::new("Re-run"),
                        )
                        .clicked()
                    {
                        rerun = Some(r.id);
                    }
                });
            }
        });
        if let (Some(id), Some(p)) = (rerun, profile) {
            self.start(jobs, p, vec![id.to_string()]);
        }
    }
}
