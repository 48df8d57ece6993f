//! The Probes window's API mode (PROBES.md "API probes", the CLI's `probe --api`): what does a
//! resource server accept that it must refuse? The API's URL and the request as the user sends
//! it (method, headers, body), the genuine access token, and the ID token and an expired token
//! when the app has them: filled by "Probe this API" (the flow runner's Call an API panel, the
//! token inspector) or typed here. The issuer's public keys (for the key-based forgeries) come
//! from the profile's JWKS (given, or by discovery from its issuer). The run goes on the worker:
//! the window says what it waits for (the JWKS, the baseline, the probes' answers), Cancel
//! aborts it (and with it the loopback listener of `api.jku`/`api.x5u`), and the verdicts fill
//! the same live table as the authorization server's probes, exportable the same way.

use std::sync::Arc;
use std::time::Instant;

use grantscope_core::oauth::EndpointKind;
use grantscope_core::oauth::dpop::DpopState;
use grantscope_core::profile::Profile;
use grantscope_core::secret::{AccessToken, IdToken};
use grantscope_core::text::inert;
use grantscope_core::token::jwks::KeySource;
use grantscope_probe::api_cx::{ApiTarget, Baseline, issuer_keys};
use grantscope_probe::{API_PROBES, Outcome, ProbeResult, RunOptions, api_runner, runner::Run};

use super::{ProbesMsg, seconds, table};
use crate::handoff::ApiProbeRequest;
use crate::worker::Jobs;

/// What an API run sends back; each carries its run's number (a cancelled run's late words are
/// dropped).
#[derive(Debug)]
pub enum ApiMsg {
    /// What the run does now, and so what it waits for.
    Doing(u64, String),
    /// The plan, said before anything is sent to the API.
    Plan(u64, Vec<String>),
    Baseline(u64, Box<Baseline>),
    Result(u64, Box<ProbeResult>),
    Done(u64, Box<Run>),
    Failed(u64, String),
}

const METHODS: [&str; 5] = ["GET", "POST", "PUT", "PATCH", "DELETE"];

/// The API mode's form and run.
pub struct ApiMode {
    url: String,
    method: String,
    headers: String,
    body: String,
    token: AccessToken,
    id_token: IdToken,
    expired_token: AccessToken,
    other_audience_token: AccessToken,
    /// Where the expired token came from (the lifecycle lab), said beside it.
    expired_from: Option<String>,
    /// The issuer's JWKS URL or file (empty: from the profile's issuer by discovery).
    jwks: String,
    /// The profile the tokens came from ("Probe this API"); else the window's active one.
    profile: Option<Profile>,
    dpop: Option<Arc<DpopState>>,
    /// Who filled the form ("the flow runner", "the token inspector").
    from: Option<&'static str>,
    running: bool,
    run_id: u64,
    abort: Option<tokio::task::AbortHandle>,
    started: Option<Instant>,
    doing: Option<String>,
    plan: Vec<String>,
    baseline: Option<Baseline>,
    results: Vec<ProbeResult>,
    last_run: Option<Run>,
    message: Option<String>,
    asked: usize,
    /// The report export.
    export: super::table::Export,
}

impl Default for ApiMode {
    fn default() -> Self {
        Self {
            url: String::new(),
            method: "GET".into(),
            headers: String::new(),
            body: String::new(),
            token: AccessToken::default(),
            id_token: IdToken::default(),
            expired_token: AccessToken::default(),
            other_audience_token: AccessToken::default(),
            expired_from: None,
            jwks: String::new(),
            profile: None,
            dpop: None,
            from: None,
            running: false,
            run_id: 0,
            abort: None,
            started: None,
            doing: None,
            plan: Vec::new(),
            baseline: None,
            results: Vec::new(),
            last_run: None,
            message: None,
            asked: 0,
            export: super::table::Export::new("api-probes"),
        }
    }
}

/// Parses `Name: value` lines (the Call an API form's headers box).
fn parse_headers(text: &str) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match line.split_once(':') {
            Some((k, v))
                if !k.trim().is_empty() && k.trim().bytes().all(|b| b.is_ascii_graphic()) =>
            {
                let k = k.trim();
                if k.eq_ignore_ascii_case("authorization") || k.eq_ignore_ascii_case("dpop") {
                    return Err(format!(
                        "{k} is set from each token (header line {}); remove it",
                        i + 1
                    ));
                }
                out.push((k.to_owned(), v.trim().to_owned()));
            }
            _ => return Err(format!("header line {} is not `Name: value`", i + 1)),
        }
    }
    Ok(out)
}

fn non_empty<T: Clone>(s: &T, empty: bool) -> Option<T> {
    (!empty).then(|| s.clone())
}

impl ApiMode {
    /// The results so far (of the last or running run), in catalogue order.
    pub fn results(&self) -> &[ProbeResult] {
        &self.results
    }

    /// The last run's baseline.
    pub fn baseline(&self) -> Option<&Baseline> {
        self.baseline.as_ref()
    }

    pub fn is_running(&self) -> bool {
        self.running
    }

    /// What the running run waits for.
    pub fn doing(&self) -> Option<&str> {
        self.doing.as_deref().filter(|_| self.running)
    }

    /// The line under the buttons (the outcome, an error).
    pub fn message(&self) -> Option<&str> {
        self.message.as_deref()
    }

    /// The API's URL as the form has it.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Whether an ID token and an expired token are given.
    pub fn has_id_token(&self) -> bool {
        !self.id_token.is_empty()
    }

    pub fn has_expired_token(&self) -> bool {
        !self.expired_token.is_empty()
    }

    /// A line to show (an export's outcome).
    pub fn said(&mut self, line: String) {
        if let Some(line) = self.export.said(line) {
            self.message = Some(super::table::beside_summary(self.message.as_deref(), line));
        }
    }

    /// Uses the native file dialog for the exports (or not: a path field).
    pub fn set_file_dialogs(&mut self, dialogs: bool) {
        self.export.set_dialogs(dialogs);
    }

    /// The last finished run.
    pub fn last_run(&self) -> Option<&Run> {
        self.last_run.as_ref()
    }

    /// Fills the form from "Probe this API" (a run in progress is cancelled first).
    pub fn fill(&mut self, req: ApiProbeRequest) {
        self.cancel("Cancelled: another API to probe");
        if !req.url.trim().is_empty() {
            self.url = req.url;
            self.method = if req.method.is_empty() {
                "GET".into()
            } else {
                req.method
            };
            self.headers = req.headers;
            self.body = req.body;
        }
        self.token = req.token;
        self.id_token = req.id_token.unwrap_or_default();
        match req.expired_token {
            Some((t, from)) => {
                self.expired_token = t;
                self.expired_from = Some(from);
            }
            None => {
                self.expired_token = AccessToken::default();
                self.expired_from = None;
            }
        }
        self.other_audience_token = AccessToken::default();
        self.jwks = req.jwks_uri.unwrap_or_default();
        // No URL given (the inspector has no request form): the sandbox's own protected
        // resource for a sandbox token, as the Call an API form suggests; else the one typed
        // before stays, or the window asks for it.
        if self.url.trim().is_empty()
            && let Some(p) = &req.profile
            && p.name == grantscope_sandbox::local_profile::SANDBOX_PROFILE
            && let Some(issuer) = p.issuer.as_deref().filter(|i| !i.trim().is_empty())
        {
            self.url = format!("{}/api/resource", issuer.trim_end_matches('/'));
        }
        self.profile = req.profile;
        self.dpop = req.dpop;
        self.from = Some(req.from);
        self.results.clear();
        self.baseline = None;
        self.last_run = None;
        self.plan.clear();
        self.message = None;
    }

    /// Why Run cannot start yet, if so.
    fn not_ready(&self) -> Option<&'static str> {
        if self.url.trim().is_empty() {
            Some("Give the API's URL.")
        } else if self.token.expose().trim().is_empty() {
            Some("Give the access token the API accepts.")
        } else {
            None
        }
    }

    /// Stops the running run: its job is aborted, and with it its requests and the loopback
    /// listener of the `jku`/`x5u` probes.
    pub fn cancel(&mut self, why: &str) {
        if !self.running {
            return;
        }
        if let Some(a) = self.abort.take() {
            a.abort();
        }
        self.running = false;
        let after = self
            .started
            .take()
            .map(|t| format!(" after {}", seconds(t.elapsed())))
            .unwrap_or_default();
        let decided = self.decided();
        let undecided: Vec<&str> = API_PROBES
            .iter()
            .map(|p| p.id)
            .filter(|id| !self.results.iter().any(|r| r.id == *id))
            .collect();
        let left = if undecided.is_empty() {
            String::new()
        } else {
            format!(" Not decided: {}.", undecided.join(", "))
        };
        self.message = Some(format!(
            "{why}{after} ({}): {decided} of {} API probes decided.{left}",
            self.doing.take().unwrap_or_default(),
            self.asked
        ));
    }

    fn decided(&self) -> usize {
        self.results.iter().filter(|r| table::is_row(r)).count()
    }

    /// Handles a message of the run.
    pub fn on_message(&mut self, msg: ApiMsg) {
        let current = |run: u64| run == self.run_id && self.running;
        match msg {
            ApiMsg::Doing(run, what) if current(run) => self.doing = Some(what),
            ApiMsg::Plan(run, lines) if current(run) => self.plan = lines,
            ApiMsg::Baseline(run, b) if current(run) => {
                self.doing = Some(if b.holds {
                    "waiting for the API's answers to the forged and wrong tokens".into()
                } else {
                    "the baseline did not hold: deciding the offline probes".into()
                });
                self.baseline = Some(*b);
            }
            ApiMsg::Result(run, r) if current(run) => {
                self.results.retain(|x| x.id != r.id);
                self.results.push(*r);
            }
            ApiMsg::Done(run, done) if current(run) => {
                self.running = false;
                self.abort = None;
                self.started = None;
                self.doing = None;
                let mut line = format!(
                    "Done in {} ms: {}",
                    done.elapsed_ms,
                    Outcome::ALL
                        .iter()
                        .map(|o| format!("{} {}", done.count(*o), o.as_str()))
                        .collect::<Vec<_>>()
                        .join(", ")
                );
                if done.baseline_failed() {
                    line.push_str(". The baseline did not hold: see above.");
                }
                self.message = Some(line);
                self.merge_run(*done);
            }
            ApiMsg::Failed(run, e) if current(run) => {
                self.running = false;
                self.abort = None;
                self.started = None;
                self.doing = None;
                self.message = Some(e);
            }
            _ => {}
        }
        self.results
            .sort_by_key(|r| API_PROBES.iter().position(|p| p.id == r.id));
    }

    fn merge_run(&mut self, run: Run) {
        let partial = run.results.iter().any(|r| !table::is_row(r));
        match &mut self.last_run {
            Some(last) if partial => {
                for r in run.results.into_iter().filter(table::is_row) {
                    if let Some(slot) = last.results.iter_mut().find(|x| x.id == r.id) {
                        *slot = r;
                    }
                }
                if run.baseline.is_some() {
                    last.baseline = run.baseline;
                }
            }
            _ => self.last_run = Some(run),
        }
        if let Some(last) = &self.last_run {
            self.results = last.results.clone();
            self.baseline = last.baseline.clone();
        }
    }

    /// Starts a run of `only` (empty: every API probe) on the worker; `active` is the window's
    /// profile when the form came from no flow or token.
    pub fn start(&mut self, jobs: &Jobs<ProbesMsg>, active: Option<&Profile>, only: Vec<String>) {
        if let Some(why) = self.not_ready() {
            self.message = Some(why.into());
            return;
        }
        let url = match url::Url::parse(self.url.trim()) {
            Ok(u) if matches!(u.scheme(), "http" | "https") => u,
            Ok(u) => {
                self.message = Some(format!(
                    "The URL must be http or https, not {}.",
                    inert(u.scheme())
                ));
                return;
            }
            Err(e) => {
                self.message = Some(format!("The URL does not parse: {e}."));
                return;
            }
        };
        let headers = match parse_headers(&self.headers) {
            Ok(h) => h,
            Err(e) => {
                self.message = Some(e);
                return;
            }
        };
        self.cancel("Cancelled");
        self.running = true;
        self.run_id += 1;
        self.started = Some(Instant::now());
        self.message = None;
        self.plan.clear();
        self.asked = if only.is_empty() {
            API_PROBES.len()
        } else {
            only.len()
        };
        if only.is_empty() {
            self.results.clear();
            self.baseline = None;
        }
        let run_id = self.run_id;
        let profile = self.profile.clone().or_else(|| active.cloned());
        // The JWKS given here, else the profile's own, else (below) its issuer's discovered one.
        let jwks = match self.jwks.trim() {
            "" => profile
                .as_ref()
                .and_then(|p| p.jwks_uri.clone())
                .unwrap_or_default()
                .trim()
                .to_owned(),
            given => given.to_owned(),
        };
        let method = self.method.clone();
        let body = (method != "GET" && !self.body.is_empty()).then(|| self.body.clone());
        let token = AccessToken::new(self.token.expose().trim());
        let id_token = non_empty(&self.id_token, self.id_token.expose().trim().is_empty());
        let expired = non_empty(
            &self.expired_token,
            self.expired_token.expose().trim().is_empty(),
        );
        let other = non_empty(
            &self.other_audience_token,
            self.other_audience_token.expose().trim().is_empty(),
        );
        let dpop = self.dpop.clone();
        self.doing = Some(match &profile {
            Some(p) => format!("connecting with profile {}", p.name),
            None => "building the HTTP client".into(),
        });
        let sink = jobs.sink();
        let keys = jobs.keys().clone();
        let msg = |m: ApiMsg| ProbesMsg::Api(m);
        self.abort = Some(jobs.spawn(async move {
            let say = |m: ApiMsg| sink.send(msg(m));
            // The profile's HTTP settings (its CA, client certificate, timeouts); its issuer
            // only when its JWKS is to be discovered.
            let mut p = profile.unwrap_or_else(|| Profile::new("api"));
            p.dpop = false;
            let discover = jwks.is_empty() && p.issuer.as_deref().is_some_and(|i| !i.trim().is_empty());
            if !discover {
                p.issuer = None;
            }
            if discover {
                say(ApiMsg::Doing(
                    run_id,
                    format!(
                        "discovering the issuer's JWKS at {}",
                        inert(p.issuer.as_deref().unwrap_or_default())
                    ),
                ));
            }
            let wants: &[EndpointKind] = if discover { &[EndpointKind::Jwks] } else { &[] };
            let mut conn = match grantscope_core::connect::connect(&p, &keys, wants, None).await {
                Ok(c) => c,
                Err(e) => {
                    return msg(ApiMsg::Failed(
                        run_id,
                        format!("cannot connect: {}", crate::connect::describe(&e)),
                    ));
                }
            };
            let source = if jwks.is_empty() {
                conn.config.endpoints.jwks_uri.clone().map(KeySource::JwksUrl)
            } else {
                Some(KeySource::from_uri_or_path(&jwks))
            };
            let keys_of_issuer = match &source {
                Some(source) => {
                    say(ApiMsg::Doing(
                        run_id,
                        format!("fetching the issuer's public keys ({})", inert(&match source {
                            KeySource::JwksUrl(u) => u.to_string(),
                            KeySource::JwksFile(f) => f.display().to_string(),
                            _ => String::new(),
                        })),
                    ));
                    issuer_keys(&mut conn.session, source).await
                }
                None => Err(
                    "needs the issuer's public key: the profile has no issuer or JWKS (give a JWKS URL or file); the token's own iss is never fetched"
                        .to_string(),
                ),
            };
            let target = ApiTarget {
                url,
                method,
                headers,
                body,
                token,
                http: conn.session.http().clone(),
                dpop,
                issuer_keys: keys_of_issuer,
                expired_token: expired,
                other_audience_token: other,
                id_token,
                attacker: Default::default(),
            };
            let options = RunOptions {
                only,
                ..RunOptions::default()
            };
            let plan = match api_runner::plan(&target, &options) {
                Ok(p) => p,
                Err(e) => return msg(ApiMsg::Failed(run_id, e)),
            };
            say(ApiMsg::Plan(
                run_id,
                plan.describe(&target)
                    .into_iter()
                    .map(|l| l.trim_start_matches("plan: ").to_string())
                    .collect(),
            ));
            say(ApiMsg::Doing(
                run_id,
                format!(
                    "the baseline: waiting for {} to answer the genuine token, then no token",
                    inert(target.url.as_str())
                ),
            ));
            let on_baseline =
                |b: &Baseline| say(ApiMsg::Baseline(run_id, Box::new(b.clone())));
            let on_result = |r: &ProbeResult| say(ApiMsg::Result(run_id, Box::new(r.clone())));
            let run = api_runner::run(Arc::new(target), &plan, &on_baseline, &on_result).await;
            msg(ApiMsg::Done(run_id, Box::new(run)))
        }));
    }

    /// The mode's form, Run, Cancel, the exports, what the run waits for, and the table.
    pub fn ui(&mut self, ui: &mut egui::Ui, jobs: &Jobs<ProbesMsg>, active: Option<&Profile>) {
        ui.label(
            "What does this API accept that it must refuse? (PROBES.md \"API probes\", RFC 8725)",
        );
        if let Some(from) = self.from {
            ui.label(egui::RichText::new(format!("Filled from {from}.")).weak());
        }
        // Run, Cancel and the exports first: nothing that appears later moves them.
        ui.horizontal_wrapped(|ui| {
            let can_run = !self.running && self.not_ready().is_none();
            if ui
                .add_enabled(can_run, egui::Button::new("Run API probes"))
                .on_disabled_hover_text(self.not_ready().unwrap_or("A run is going"))
                .clicked()
            {
                self.start(jobs, active, Vec::new());
            }
            if ui
                .add_enabled(self.running, egui::Button::new("Cancel probes"))
                .on_hover_text("Stop the run: its requests and its listener")
                .clicked()
            {
                self.cancel("Cancelled");
            }
            let has = self.last_run.is_some() && !self.running;
            if let Some(kind) = table::export_buttons_ui(ui, has)
                && let Some(run) = &self.last_run
                && let Err(e) = self.export.start(jobs, run, kind, ProbesMsg::Said)
            {
                self.message = Some(e);
            }
            if self.running {
                ui.spinner();
            }
        });
        if let (true, Some(started)) = (self.running, self.started) {
            ui.ctx()
                .request_repaint_after(std::time::Duration::from_secs(1));
            ui.label(format!(
                "Running for {}: {} of {} API probes decided; now {}.",
                seconds(started.elapsed()),
                self.decided(),
                self.asked,
                self.doing.as_deref().unwrap_or("starting")
            ));
        }
        if let Err(e) = self
            .export
            .field_ui(ui, jobs, self.last_run.as_ref(), ProbesMsg::Said)
        {
            self.message = Some(e);
        }
        if let Some(m) = &self.message {
            ui.label(table::shown(m));
        }
        if let Some(b) = &self.baseline {
            let colour = super::colour(if b.holds {
                Outcome::Pass
            } else {
                Outcome::Fail
            });
            ui.colored_label(colour, table::shown(&b.reason));
        }
        egui::CollapsingHeader::new("The API and its request")
            .id_salt("api_probe_request")
            .default_open(self.url.trim().is_empty())
            .show(ui, |ui| self.request_ui(ui));
        egui::CollapsingHeader::new(format!("Tokens ({})", self.tokens_summary()))
            .id_salt("api_probe_tokens")
            .default_open(self.token.is_empty())
            .show(ui, |ui| self.tokens_ui(ui, active));
        if !self.plan.is_empty() {
            egui::CollapsingHeader::new("Plan")
                .id_salt("api_probes_plan")
                .show(ui, |ui| {
                    for line in &self.plan {
                        ui.label(egui::RichText::new(table::shown(line)).weak());
                    }
                });
        }
        let rerun = table::results_ui(
            ui,
            &self.results,
            !self.running && self.not_ready().is_none(),
        );
        if let Some(id) = rerun {
            self.start(jobs, active, vec![id.to_string()]);
        }
    }

    fn tokens_summary(&self) -> String {
        let mut have = Vec::new();
        if !self.token.is_empty() {
            have.push("access token");
        }
        if !self.id_token.is_empty() {
            have.push("ID token");
        }
        if !self.expired_token.is_empty() {
            have.push("expired token");
        }
        if !self.other_audience_token.is_empty() {
            have.push("other audience");
        }
        if self.dpop.is_some() {
            have.push("DPoP key");
        }
        if have.is_empty() {
            "none yet".into()
        } else {
            have.join(", ")
        }
    }

    fn request_ui(&mut self, ui: &mut egui::Ui) {
        ui.horizontal_wrapped(|ui| {
            let m = ui.label("Method");
            egui::ComboBox::from_id_salt("api_probe_method")
                .selected_text(self.method.as_str())
                .width(80.0)
                .show_ui(ui, |ui| {
                    for m in METHODS {
                        ui.selectable_value(&mut self.method, m.to_owned(), m);
                    }
                })
                .response
                .labelled_by(m.id);
            let l = ui.label("API URL");
            ui.add(
                egui::TextEdit::singleline(&mut self.url)
                    .desired_width((ui.available_width() - 8.0).clamp(120.0, 480.0))
                    .hint_text("https://api.example/resource"),
            )
            .labelled_by(l.id);
        });
        let l = ui.label("Headers (one `Name: value` per line; each token sets Authorization)");
        ui.add(
            egui::TextEdit::multiline(&mut self.headers)
                .desired_rows(2)
                .desired_width(f32::INFINITY),
        )
        .labelled_by(l.id);
        if self.method != "GET" {
            let l = ui.label("Body");
            ui.add(
                egui::TextEdit::multiline(&mut self.body)
                    .code_editor()
                    .desired_rows(2)
                    .desired_width(f32::INFINITY),
            )
            .labelled_by(l.id);
        }
    }

    fn tokens_ui(&mut self, ui: &mut egui::Ui, active: Option<&Profile>) {
        ui.label(
            egui::RichText::new(
                "Masked like every secret. Without an ID token, an expired or another audience's \
                 token, their probes are skipped and say so.",
            )
            .weak(),
        );
        egui::Grid::new("api_probe_tokens_grid")
            .num_columns(2)
            .show(ui, |ui| {
                for (label, value) in [
                    ("Access token", self.token.expose_mut()),
                    ("ID token", self.id_token.expose_mut()),
                    ("Expired token", self.expired_token.expose_mut()),
                    (
                        "Other audience's token",
                        self.other_audience_token.expose_mut(),
                    ),
                ] {
                    let l = ui.label(label);
                    ui.add(
                        egui::TextEdit::singleline(value)
                            .password(true)
                            .desired_width(240.0),
                    )
                    .labelled_by(l.id);
                    ui.end_row();
                }
                let l = ui.label("Issuer JWKS");
                ui.add(
                    egui::TextEdit::singleline(&mut self.jwks)
                        .hint_text("URL or file (empty: from the profile's issuer)")
                        .desired_width(240.0),
                )
                .labelled_by(l.id);
                ui.end_row();
            });
        if let Some(from) = &self.expired_from {
            ui.label(egui::RichText::new(format!("The expired token: {}", inert(from))).weak());
        }
        let profile = self.profile.as_ref().or(active);
        ui.label(
            egui::RichText::new(match (profile, self.jwks.trim().is_empty()) {
                (_, false) => "The key-based forgeries use the JWKS given above.".to_string(),
                (Some(p), true) if p.issuer.as_deref().is_some_and(|i| !i.is_empty()) => format!(
                    "The issuer's keys: discovered from profile {} ({}).",
                    p.name,
                    inert(p.issuer.as_deref().unwrap_or_default())
                ),
                _ => "No issuer key: api.hmac-key-confusion and api.psychic-signature will be skipped.".to_string(),
            })
            .weak(),
        );
        if self.dpop.is_some() {
            ui.label(
                egui::RichText::new("The token goes as DPoP, with the key it is bound to.").weak(),
            );
        }
    }
}
