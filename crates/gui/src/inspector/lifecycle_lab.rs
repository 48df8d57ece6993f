//! The inspector's lifecycle lab. **Watch** asks the server at an interval whether it still
//! accepts the token (optionally revoking it mid-way) and measures when it stopped; **Auto-refresh**
//! keeps the token set alive with the core's [`TokenKeeper`] (all its arithmetic lives there) and
//! logs whether each refresh rotated the
//! refresh token. Both run on the worker and report through the event sink (one event per sample,
//! refresh or HTTP exchange, each waking the UI once); the UI thread only draws their state.

use std::sync::Arc;
use std::time::Duration;

use tokio::task::AbortHandle;

use crate::connect::{Prepared, describe, prepare};
use crate::widgets::status_color;
use crate::worker::{Jobs, Sink};
use grantscope_core::http::Exchange;
use grantscope_core::oauth::keeper::TokenKeeper;
use grantscope_core::oauth::session::Observer;
use grantscope_core::oauth::watch::{self, Sample, WatchOptions, WatchReport};
use grantscope_core::oauth::{Connection, EndpointKind};
use grantscope_core::oauth::{FlowError, FlowEvent, TokenResponse};
use grantscope_core::profile::Profile;
use grantscope_core::timefmt;
use grantscope_core::token::Lifetime;

/// Progress of the lifecycle jobs, sent from the worker.
#[derive(Debug)]
pub enum LifecycleMsg {
    /// An HTTP exchange a job made (for the history, as it happens).
    Exchange(Box<Exchange>),
    /// Watch: one answer from the server.
    WatchSample {
        /// Which watch (answers of a stopped one are dropped).
        run: u64,
        /// The answer.
        sample: Sample,
        /// When the watch revoked the token (unix ms), once it has.
        revoked_at_ms: Option<u64>,
    },
    /// Watch: it ended (rejected, time limit) or failed.
    WatchDone {
        /// Which watch.
        run: u64,
        /// The measurement, or why there is none.
        result: Result<Box<WatchReport>, String>,
    },
    /// Auto-refresh: the next refresh is due at this time.
    KeeperDue {
        /// Which keeper.
        run: u64,
        /// Unix seconds.
        due_at: i64,
    },
    /// Auto-refresh: the token set was refreshed.
    Refreshed {
        /// Which keeper.
        run: u64,
        /// What the log shows.
        entry: RefreshEntry,
        /// The new token set (the refresh token kept when the server sent none).
        tokens: Box<TokenResponse>,
    },
    /// Auto-refresh: a refresh failed or there is no lifetime to refresh against.
    KeeperStopped {
        /// Which keeper.
        run: u64,
        /// Why.
        error: String,
    },
}

/// What the lifecycle panel asks the inspector to do (it owns the token and the profile).
#[must_use]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LifecycleCommand {
    /// Start watching the inspected token.
    StartWatch,
    /// Abort the running watch.
    StopWatch,
    /// Turn auto-refresh on.
    StartKeeper,
    /// Turn auto-refresh off (cancels the pending refresh).
    StopKeeper,
}

/// One line of the watch log.
#[derive(Debug, Clone)]
pub enum WatchRow {
    /// A probe's answer.
    Sample(Sample),
    /// The watch revoked the token at this time (unix ms).
    Revoked(u64),
}

#[derive(Debug, Clone)]
enum WatchOutcome {
    Report(Box<WatchReport>),
    Error(String),
    Stopped,
}

/// The Watch panel: its form, the running job and what it has seen.
#[derive(Debug)]
pub struct WatchPanel {
    /// Seconds between probes.
    pub interval_s: f64,
    /// Revoke the token mid-way.
    pub revoke: bool,
    /// Seconds after the start to revoke.
    pub revoke_after_s: f64,
    run: u64,
    abort: Option<AbortHandle>,
    /// When the running watch started (its elapsed time is on screen), and its limit.
    started: Option<std::time::Instant>,
    limit: Duration,
    rows: Vec<WatchRow>,
    outcome: Option<WatchOutcome>,
    /// The token the last watch asked about (once past its `exp`, an expired token of this
    /// issuer for the API probes).
    watched: Option<String>,
}

impl Default for WatchPanel {
    fn default() -> Self {
        Self {
            interval_s: 1.0,
            revoke: false,
            revoke_after_s: 5.0,
            run: 0,
            abort: None,
            started: None,
            limit: Duration::from_secs(600),
            rows: Vec::new(),
            outcome: None,
            watched: None,
        }
    }
}

/// What a running watch waits for, how long it has waited and its limit: `waiting for the
/// server to reject the token: asking every 1 s, 3 answers so far, 0:12 of at most 1:00:00`.
pub fn watch_wait_line(interval: Duration, elapsed_s: u64, limit_s: u64, answers: usize) -> String {
    let clock = timefmt::clock_duration;
    format!(
        "waiting for the server to reject the token: asking every {} s, {answers} answer{} so \
         far, {} of at most {}",
        format_secs(interval.as_secs_f64()),
        if answers == 1 { "" } else { "s" },
        clock(elapsed_s),
        clock(limit_s)
    )
}

fn format_secs(s: f64) -> String {
    let t = format!("{s:.2}");
    t.trim_end_matches('0').trim_end_matches('.').to_owned()
}

impl WatchPanel {
    /// The core's options for this form: until the first rejection, at most until `exp` + 2
    /// min (10 min without `exp`), as the command line.
    pub fn options(&self) -> WatchOptions {
        self.options_for(None)
    }

    /// [`Self::options`] for a token that expires at `exp`.
    pub fn options_for(&self, exp: Option<i64>) -> WatchOptions {
        let secs = |s: f64| Duration::from_secs_f64(s.clamp(0.05, 24.0 * 3600.0));
        WatchOptions {
            interval: secs(self.interval_s),
            until_inactive: true,
            revoke_after: self.revoke.then(|| secs(self.revoke_after_s)),
            max_duration: watch::default_max_duration(exp, grantscope_core::timefmt::now_unix()),
            ..WatchOptions::default()
        }
    }

    /// Whether a watch is running.
    pub fn running(&self) -> bool {
        self.abort.is_some()
    }

    /// The log so far (samples and the revocation, in order).
    pub fn rows(&self) -> &[WatchRow] {
        &self.rows
    }

    /// The finished measurement.
    pub fn report(&self) -> Option<&WatchReport> {
        match &self.outcome {
            Some(WatchOutcome::Report(r)) => Some(r),
            _ => None,
        }
    }

    /// Why the last watch failed.
    pub fn error(&self) -> Option<&str> {
        match &self.outcome {
            Some(WatchOutcome::Error(e)) => Some(e),
            _ => None,
        }
    }

    /// Starts watching `token` on the worker with `profile`'s client (endpoints by discovery).
    pub fn start(
        &mut self,
        jobs: &Jobs<LifecycleMsg>,
        profile: &Profile,
        token: String,
        exp: Option<i64>,
    ) {
        self.stop();
        self.clear();
        self.run += 1;
        let prepared = match prepare(profile, jobs.keys()) {
            Ok(p) => p,
            Err(e) => {
                self.outcome = Some(WatchOutcome::Error(describe(&e)));
                return;
            }
        };
        let (run, opts, sink) = (self.run, self.options_for(exp), jobs.sink());
        self.watched = Some(token.clone());
        self.started = Some(std::time::Instant::now());
        self.limit = opts.max_duration;
        self.abort = Some(jobs.spawn(async move {
            let result = watch_job(run, prepared, token, exp, opts, sink).await;
            LifecycleMsg::WatchDone {
                run,
                result: result.map(Box::new).map_err(|e| describe(&e)),
            }
        }));
    }

    /// Forgets what the last watch saw (another token is inspected now).
    pub fn clear(&mut self) {
        self.stop();
        self.rows.clear();
        self.outcome = None;
        self.watched = None;
    }

    /// Whether the server stopped accepting the token during the last watch.
    pub fn rejected(&self) -> bool {
        self.samples().any(|s| !s.accepted)
    }

    /// Aborts the running watch; what it saw stays on screen.
    pub fn stop(&mut self) {
        self.started = None;
        if let Some(a) = self.abort.take() {
            a.abort();
            self.outcome = Some(WatchOutcome::Stopped);
        }
    }

    /// Takes one sample of run `run`; a revocation since the last one becomes its own row.
    /// Returns whether it was this watch's (a late sample of an earlier run is dropped).
    pub fn on_sample(&mut self, run: u64, sample: Sample, revoked_at_ms: Option<u64>) -> bool {
        if run != self.run || self.abort.is_none() {
            return false;
        }
        if let Some(at) = revoked_at_ms
            && !self.rows.iter().any(|r| matches!(r, WatchRow::Revoked(_)))
        {
            self.rows.push(WatchRow::Revoked(at));
        }
        self.rows.push(WatchRow::Sample(sample));
        true
    }

    /// The watch `run` ended.
    pub fn on_done(&mut self, run: u64, result: Result<Box<WatchReport>, String>) {
        if run != self.run || self.abort.is_none() {
            return;
        }
        self.abort = None;
        self.started = None;
        self.outcome = Some(match result {
            Ok(r) => WatchOutcome::Report(r),
            Err(e) => WatchOutcome::Error(e),
        });
    }

    /// Draws the panel; `disabled` says why it cannot start (no profile).
    pub fn ui(&mut self, ui: &mut egui::Ui, disabled: Option<&str>) -> Option<LifecycleCommand> {
        let mut cmd = None;
        let running = self.running();
        ui.add_enabled_ui(!running, |ui| {
            egui::Grid::new("watch_form").num_columns(2).show(ui, |ui| {
                let l = ui.label("Probe every");
                ui.add(
                    egui::DragValue::new(&mut self.interval_s)
                        .range(0.05..=3600.0)
                        .speed(0.05)
                        .max_decimals(2)
                        .suffix(" s"),
                )
                .labelled_by(l.id)
                .on_hover_text(
                    "Introspection, or userinfo when there is no introspection endpoint",
                );
                ui.end_row();
                ui.checkbox(&mut self.revoke, "Revoke it mid-way");
                ui.horizontal(|ui| {
                    let l = ui.label("Revoke after");
                    ui.add_enabled(
                        self.revoke,
                        egui::DragValue::new(&mut self.revoke_after_s)
                            .range(0.0..=3600.0)
                            .speed(0.1)
                            .max_decimals(2)
                            .suffix(" s"),
                    )
                    .labelled_by(l.id);
                });
                ui.end_row();
            });
        });
        if running {
            if ui
                .button("Stop watch")
                .on_hover_text("Cancels the watch; what it saw stays below")
                .clicked()
            {
                cmd = Some(LifecycleCommand::StopWatch);
            }
            // No spinner: it would repaint every frame for as long as the watch runs; the
            // elapsed time repaints once a second, each answer once when it arrives. The line
            // wraps in its column (on one row it widened the column over its neighbour).
            let elapsed = self.started.map_or(0, |t| t.elapsed().as_secs());
            let opts = self.options();
            ui.add(
                egui::Label::new(watch_wait_line(
                    opts.interval,
                    elapsed,
                    self.limit.as_secs(),
                    self.samples().count(),
                ))
                .wrap(),
            );
            ui.ctx().request_repaint_after(Duration::from_secs(1));
        }
        if !running {
            let b = ui.add_enabled(disabled.is_none(), egui::Button::new("Start watch"));
            let b = match disabled {
                Some(why) => b.on_disabled_hover_text(why),
                None => b.on_hover_text(
                    "Ask the server until it rejects the token, and measure when that happened",
                ),
            };
            if b.clicked() {
                cmd = Some(LifecycleCommand::StartWatch);
            }
        }
        match &self.outcome {
            Some(WatchOutcome::Report(r)) => {
                let color = if r.first_rejected_ms.is_some() {
                    ui.visuals().strong_text_color()
                } else {
                    ui.visuals().warn_fg_color
                };
                ui.add(
                    egui::Label::new(
                        egui::RichText::new(r.summary())
                            .size(16.0)
                            .strong()
                            .color(color),
                    )
                    .wrap(),
                );
                ui.label(
                    egui::RichText::new(format!(
                        "{} probes via {}; {}",
                        r.samples.len(),
                        match r.probe {
                            watch::Probe::Introspection => "introspection",
                            watch::Probe::Userinfo => "userinfo",
                        },
                        r.ended
                    ))
                    .weak(),
                );
            }
            Some(WatchOutcome::Error(e)) => {
                ui.colored_label(ui.visuals().error_fg_color, grantscope_core::text::inert(e));
            }
            Some(WatchOutcome::Stopped) => {
                ui.label(
                    egui::RichText::new("Stopped before the server rejected the token.").weak(),
                );
            }
            None => {}
        }
        if !self.rows.is_empty() {
            watch_rows_ui(ui, &self.rows);
        }
        cmd
    }

    fn samples(&self) -> impl Iterator<Item = &Sample> {
        self.rows.iter().filter_map(|r| match r {
            WatchRow::Sample(s) => Some(s),
            WatchRow::Revoked(_) => None,
        })
    }
}

fn watch_rows_ui(ui: &mut egui::Ui, rows: &[WatchRow]) {
    ui.label(egui::RichText::new("time (UTC) · answer · round trip · detail").weak());
    let row_height =
        ui.text_style_height(&egui::TextStyle::Monospace) + ui.spacing().item_spacing.y;
    egui::ScrollArea::vertical()
        .id_salt("watch_rows")
        .max_height(220.0)
        .auto_shrink([false, true])
        .stick_to_bottom(true)
        .show_rows(ui, row_height, rows.len(), |ui, range| {
            for row in &rows[range] {
                ui.horizontal(|ui| match row {
                    WatchRow::Sample(s) => {
                        let (text, status) = if s.accepted {
                            ("accepted", "pass")
                        } else {
                            ("REJECTED", "fail")
                        };
                        ui.monospace(clock_millis(s.at_ms));
                        ui.label(
                            egui::RichText::new(format!("{text:<8}"))
                                .monospace()
                                .strong()
                                .color(status_color(ui.visuals(), status)),
                        );
                        ui.monospace(format!("{:>5} ms", s.elapsed_ms));
                        ui.label(&s.detail);
                    }
                    WatchRow::Revoked(at) => {
                        ui.monospace(clock_millis(*at));
                        ui.label(
                            egui::RichText::new("REVOKED ")
                                .monospace()
                                .strong()
                                .color(ui.visuals().warn_fg_color),
                        );
                        ui.label("the server answered the revocation");
                    }
                });
            }
        });
}

/// `12:00:03.120` (UTC) for unix milliseconds.
pub fn clock_millis(ms: u64) -> String {
    let full = watch::rfc3339_millis(ms);
    full.split_once('T')
        .map(|(_, t)| t.trim_end_matches('Z').to_owned())
        .unwrap_or(full)
}

/// `12:00:03` (UTC) for unix seconds.
fn clock(secs: i64) -> String {
    timefmt::time_of_day(secs)
}

async fn watch_job(
    run: u64,
    prepared: Prepared,
    token: String,
    exp: Option<i64>,
    opts: WatchOptions,
    sink: Sink<LifecycleMsg>,
) -> Result<WatchReport, FlowError> {
    // Watching asks introspection, or userinfo when there is none; revoking needs revocation.
    let Connection {
        mut session,
        config: cfg,
        ..
    } = prepared
        .connect(
            &[EndpointKind::Introspection, EndpointKind::Revocation],
            Some(history_observer(&sink)),
        )
        .await?;
    let samples = sink.clone();
    watch::watch(
        &mut session,
        &cfg,
        &token,
        exp,
        &opts,
        move |sample, revoked_at_ms| {
            samples.send(LifecycleMsg::WatchSample {
                run,
                sample: sample.clone(),
                revoked_at_ms,
            });
        },
    )
    .await
}

/// An observer that sends every exchange to the history as it happens.
fn history_observer(sink: &Sink<LifecycleMsg>) -> Observer {
    let exchanges = sink.clone();
    Arc::new(move |e| {
        if let FlowEvent::Exchange(ex) = e {
            exchanges.send(LifecycleMsg::Exchange(ex));
        }
    })
}

/// An expired token the lab has (for the API probes' `api.expired`): the newest token auto-refresh
/// replaced, else the token the last watch asked about, once its `exp` is past `now`; with where
/// it came from. `current` (the token on screen) is never offered.
pub fn expired_token(
    watch: &WatchPanel,
    keeper: &KeeperPanel,
    current: &str,
    now: i64,
) -> Option<(String, String)> {
    let expired = |t: &String| {
        t.trim() != current.trim()
            && grantscope_probe::api_cx::decode(t)
                .and_then(|d| d.claims.get("exp").and_then(serde_json::Value::as_i64))
                .is_some_and(|exp| exp < now)
    };
    if let Some(t) = keeper.replaced.iter().rev().find(|t| expired(t)) {
        return Some((
            t.clone(),
            "the access token auto-refresh replaced (the lifecycle lab), now past its exp".into(),
        ));
    }
    watch.watched.as_ref().filter(|t| expired(t)).map(|t| {
        (
            t.clone(),
            "the token the lifecycle lab's watch asked about, now past its exp".into(),
        )
    })
}

/// One automatic refresh, as logged.
#[derive(Debug, Clone, PartialEq)]
pub struct RefreshEntry {
    /// Unix seconds.
    pub at: i64,
    /// The server sent a new, different refresh token.
    pub rotated: bool,
    /// The new access token's lifetime in seconds, when known.
    pub expires_in: Option<f64>,
}

/// The Auto-refresh panel: its setting, the running keeper and its log.
#[derive(Debug)]
pub struct KeeperPanel {
    /// Refresh when this share of the access token's lifetime is left, in percent.
    pub percent_left: f64,
    run: u64,
    abort: Option<AbortHandle>,
    /// The access token the keeper keeps; a different inspected token stops it.
    tracking: Option<String>,
    log: Vec<RefreshEntry>,
    next_due: Option<i64>,
    error: Option<String>,
    /// The access tokens auto-refresh replaced, oldest first (once past their `exp`, expired
    /// tokens of this issuer for the API probes).
    replaced: Vec<String>,
}

impl Default for KeeperPanel {
    fn default() -> Self {
        Self {
            percent_left: 20.0,
            run: 0,
            abort: None,
            tracking: None,
            log: Vec::new(),
            next_due: None,
            error: None,
            replaced: Vec::new(),
        }
    }
}

impl KeeperPanel {
    /// Whether auto-refresh is on.
    pub fn running(&self) -> bool {
        self.abort.is_some()
    }

    /// Every refresh so far.
    pub fn log(&self) -> &[RefreshEntry] {
        &self.log
    }

    /// (rotated, not rotated) counts.
    pub fn rotation_counts(&self) -> (usize, usize) {
        let rotated = self.log.iter().filter(|e| e.rotated).count();
        (rotated, self.log.len() - rotated)
    }

    /// Why auto-refresh stopped by itself.
    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }

    /// The access token being kept.
    pub fn tracking(&self) -> Option<&str> {
        self.tracking.as_deref()
    }

    /// Starts keeping the token set alive with `profile`'s client. `lifetime` is the inspected
    /// token's (its `iat`/`exp` give the first refresh point).
    pub fn start(
        &mut self,
        jobs: &Jobs<LifecycleMsg>,
        profile: &Profile,
        access_token: String,
        refresh_token: String,
        lifetime: &Lifetime,
    ) {
        // The tokens replaced so far stay: they belong to the same token set.
        let replaced = std::mem::take(&mut self.replaced);
        self.clear();
        self.replaced = replaced;
        self.run += 1;
        let prepared = match prepare(profile, jobs.keys()) {
            Ok(p) => p,
            Err(e) => {
                self.error = Some(describe(&e));
                return;
            }
        };
        let keeper = TokenKeeper::for_token(
            &access_token,
            refresh_token,
            lifetime,
            timefmt::now_unix(),
            TokenKeeper::share_from_percent(self.percent_left),
        );
        self.tracking = Some(access_token);
        let (run, sink) = (self.run, jobs.sink());
        self.abort = Some(jobs.spawn(async move {
            let error = keeper_job(run, prepared, keeper, sink).await;
            LifecycleMsg::KeeperStopped { run, error }
        }));
    }

    /// Stops and forgets the log (another token is inspected now).
    pub fn clear(&mut self) {
        self.stop();
        self.log.clear();
        self.error = None;
        self.next_due = None;
        self.replaced.clear();
    }

    /// Turns auto-refresh off; the pending refresh is cancelled.
    pub fn stop(&mut self) {
        if let Some(a) = self.abort.take() {
            a.abort();
        }
        self.next_due = None;
    }

    /// The next refresh time of run `run`.
    pub fn on_due(&mut self, run: u64, due_at: i64) {
        if run == self.run && self.running() {
            self.next_due = Some(due_at);
        }
    }

    /// A refresh of run `run` arrived. Returns the new token set when the inspector should
    /// show it (the keeper still keeps the inspected token); stops when another token is
    /// inspected now (`inspected`).
    pub fn on_refreshed(
        &mut self,
        run: u64,
        entry: RefreshEntry,
        tokens: TokenResponse,
        inspected: &str,
    ) -> Option<TokenResponse> {
        if run != self.run || !self.running() {
            return None;
        }
        if self.tracking.as_deref() != Some(inspected.trim()) {
            self.stop();
            self.error = Some("stopped: a different token is inspected now".into());
            return None;
        }
        self.log.push(entry);
        self.next_due = None;
        if let Some(old) = self
            .tracking
            .replace(tokens.access_token.expose().to_owned())
        {
            self.replaced.push(old);
        }
        Some(tokens)
    }

    /// The keeper of run `run` stopped by itself.
    pub fn on_stopped(&mut self, run: u64, error: String) {
        if run == self.run && self.running() {
            self.abort = None;
            self.next_due = None;
            self.error = Some(error);
        }
    }

    /// Draws the panel; `disabled` says why auto-refresh cannot be turned on.
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        disabled: Option<&str>,
        now: i64,
    ) -> Option<LifecycleCommand> {
        let mut cmd = None;
        let running = self.running();
        ui.horizontal_wrapped(|ui| {
            let mut on = running;
            let r = ui.add_enabled(
                disabled.is_none() || running,
                egui::Checkbox::new(&mut on, "Auto-refresh"),
            );
            let r = match disabled {
                Some(why) => r.on_disabled_hover_text(why),
                None => r.on_hover_text("Refresh the token set before the access token expires"),
            };
            if r.changed() {
                cmd = Some(if on {
                    LifecycleCommand::StartKeeper
                } else {
                    LifecycleCommand::StopKeeper
                });
            }
            let l = ui.label("refresh when");
            ui.add_enabled(
                !running,
                egui::DragValue::new(&mut self.percent_left)
                    .range(1.0..=99.0)
                    .speed(1.0)
                    .max_decimals(0)
                    .suffix(" %"),
            )
            .labelled_by(l.id)
            .on_hover_text("of the access token's lifetime is left");
            ui.label("of the lifetime is left");
        });
        if let Some(why) = disabled.filter(|_| !running) {
            ui.label(egui::RichText::new(why).weak());
        }
        if running {
            // No spinner (auto-refresh may stay on for hours): the line changes when an event
            // arrives, and the inspector's once-a-second countdown keeps "in 23 s" current.
            ui.horizontal(|ui| {
                match self.next_due {
                    Some(due) => ui.label(format!(
                        "next refresh at {} UTC ({})",
                        clock(due),
                        timefmt::relative(due, now)
                    )),
                    None => ui.label("refreshing"),
                };
            });
        }
        if !self.log.is_empty() {
            let (rotated, kept) = self.rotation_counts();
            ui.label(
                egui::RichText::new(format!(
                    "{} {}: {rotated} rotated the refresh token, {kept} did not",
                    self.log.len(),
                    if self.log.len() == 1 {
                        "refresh"
                    } else {
                        "refreshes"
                    }
                ))
                .strong(),
            );
            refresh_rows_ui(ui, &self.log);
        }
        if let Some(e) = &self.error {
            ui.colored_label(ui.visuals().error_fg_color, grantscope_core::text::inert(e));
        }
        cmd
    }
}

fn refresh_rows_ui(ui: &mut egui::Ui, log: &[RefreshEntry]) {
    let row_height =
        ui.text_style_height(&egui::TextStyle::Monospace) + ui.spacing().item_spacing.y;
    egui::ScrollArea::vertical()
        .id_salt("refresh_rows")
        .max_height(160.0)
        .auto_shrink([false, true])
        .stick_to_bottom(true)
        .show_rows(ui, row_height, log.len(), |ui, range| {
            for e in &log[range] {
                ui.horizontal(|ui| {
                    ui.monospace(clock(e.at));
                    let (text, status) = if e.rotated {
                        ("ROTATED", "pass")
                    } else {
                        ("NOT ROTATED", "warn")
                    };
                    ui.label(
                        egui::RichText::new(text)
                            .monospace()
                            .strong()
                            .color(status_color(ui.visuals(), status)),
                    );
                    ui.label(match e.expires_in {
                        Some(s) => format!(
                            "new access token for {}",
                            timefmt::duration_phrase(s as u64)
                        ),
                        None => "new access token, lifetime unknown".to_owned(),
                    });
                });
            }
        });
}

/// Refreshes whenever the keeper says so, until a refresh fails (or the task is aborted).
/// Returns why it stopped.
async fn keeper_job(
    run: u64,
    prepared: Prepared,
    mut keeper: TokenKeeper,
    sink: Sink<LifecycleMsg>,
) -> String {
    let Connection {
        mut session,
        config: cfg,
        ..
    } = match prepared
        .connect(&[EndpointKind::Token], Some(history_observer(&sink)))
        .await
    {
        Ok(c) => c,
        Err(e) => return describe(&e),
    };
    let mut first = true;
    loop {
        let now = timefmt::now_unix();
        let wait = keeper.next_wait(now, first);
        first = false;
        sink.send(LifecycleMsg::KeeperDue {
            run,
            due_at: now.saturating_add(i64::try_from(wait.as_secs()).unwrap_or(i64::MAX)),
        });
        tokio::time::sleep(wait).await;
        let at = timefmt::now_unix();
        match keeper.refresh(&mut session, &cfg, at).await {
            Ok(success) => {
                // Already in the history through the observer.
                session.take_exchanges();
                keeper.fill_lifetime_from_claims(at);
                sink.send(LifecycleMsg::Refreshed {
                    run,
                    entry: RefreshEntry {
                        at,
                        rotated: success.refresh_rotated == Some(true),
                        expires_in: keeper.tokens.expires_in,
                    },
                    tokens: Box::new(keeper.tokens.clone()),
                });
                if keeper.lifetime().is_none() {
                    return "stopped: the server sent no expires_in and the access token has no \
                            exp, so there is no lifetime to refresh against"
                        .into();
                }
            }
            Err(e) => return format!("the refresh failed: {}", describe(&e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_expired_token_is_one_the_lab_replaced_or_watched_past_its_exp() {
        // {"alg":"none"}.{"exp":1} and {"alg":"none"}.{"exp":9999999999}
        let old = "eyJhbGciOiJub25lIn0.eyJleHAiOjF9.".to_string();
        let live = "eyJhbGciOiJub25lIn0.eyJleHAiOjk5OTk5OTk5OTl9.".to_string();
        let (watch, mut keeper) = (WatchPanel::default(), KeeperPanel::default());
        assert_eq!(expired_token(&watch, &keeper, "current", 1_000), None);
        keeper.replaced = vec![old.clone(), live.clone()];
        let (t, from) = expired_token(&watch, &keeper, "current", 1_000).unwrap();
        assert_eq!(t, old);
        assert!(from.contains("auto-refresh"), "{from}");
        // Never the token on screen; a token not yet past its exp is not expired.
        assert_eq!(expired_token(&watch, &keeper, &old, 1_000), None);
        let watch = WatchPanel {
            watched: Some(old.clone()),
            ..WatchPanel::default()
        };
        let keeper = KeeperPanel::default();
        assert!(
            expired_token(&watch, &keeper, "current", 1_000)
                .is_some_and(|(_, from)| from.contains("watch"))
        );
        assert_eq!(expired_token(&watch, &keeper, "current", 0), None);
    }

    fn sample(at_ms: u64, accepted: bool) -> Sample {
        Sample {
            at_ms,
            accepted,
            detail: format!("active: {accepted}"),
            elapsed_ms: 3,
        }
    }

    #[test]
    fn watch_options_follow_the_form() {
        let mut p = WatchPanel::default();
        let o = p.options();
        assert_eq!(o.interval, Duration::from_secs(1));
        assert_eq!(o.revoke_after, None, "revoking is off by default");
        assert!(o.until_inactive);
        p.revoke = true;
        p.revoke_after_s = 0.5;
        p.interval_s = 0.0;
        let o = p.options();
        assert_eq!(o.revoke_after, Some(Duration::from_millis(500)));
        assert_eq!(
            o.interval,
            Duration::from_millis(50),
            "clamped to the core's floor"
        );
    }

    #[test]
    fn the_revocation_gets_one_row_before_the_first_sample_after_it() {
        let mut p = WatchPanel {
            run: 3,
            abort: None,
            ..WatchPanel::default()
        };
        // Not running: samples are dropped.
        p.on_sample(3, sample(1, true), None);
        assert!(p.rows().is_empty());
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        p.abort = Some(rt.spawn(async {}).abort_handle());
        p.on_sample(3, sample(1_000, true), None);
        p.on_sample(2, sample(1_100, true), None); // an older run
        p.on_sample(3, sample(1_200, false), Some(1_150));
        p.on_sample(3, sample(1_400, false), Some(1_150));
        let kinds: Vec<String> = p
            .rows()
            .iter()
            .map(|r| match r {
                WatchRow::Sample(s) => format!("{}:{}", s.at_ms, s.accepted),
                WatchRow::Revoked(at) => format!("revoked:{at}"),
            })
            .collect();
        assert_eq!(
            kinds,
            ["1000:true", "revoked:1150", "1200:false", "1400:false"]
        );
        p.on_done(2, Err("old".into()));
        assert!(p.running() && p.error().is_none());
        p.on_done(3, Err("server down".into()));
        assert!(!p.running());
        assert_eq!(p.error(), Some("server down"));
    }

    #[test]
    fn refreshes_are_logged_counted_and_follow_the_inspected_token() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let mut k = KeeperPanel {
            run: 1,
            abort: Some(rt.spawn(async {}).abort_handle()),
            tracking: Some("at1".into()),
            ..KeeperPanel::default()
        };
        let tokens = |a: &str| TokenResponse {
            access_token: a.into(),
            refresh_token: Some("r".into()),
            ..TokenResponse::default()
        };
        let entry = |rotated| RefreshEntry {
            at: 1,
            rotated,
            expires_in: Some(4.0),
        };
        // A stale run is ignored.
        assert!(k.on_refreshed(0, entry(true), tokens("x"), "at1").is_none());
        let got = k
            .on_refreshed(1, entry(true), tokens("at2"), "at1")
            .unwrap();
        assert_eq!(got.access_token.expose(), "at2");
        assert_eq!(k.tracking(), Some("at2"));
        assert!(
            k.on_refreshed(1, entry(false), tokens("at3"), "at2")
                .is_some()
        );
        assert_eq!(k.rotation_counts(), (1, 1));
        // The user inspects something else: the keeper stops and the token is not replaced.
        assert!(
            k.on_refreshed(1, entry(true), tokens("at4"), "pasted")
                .is_none()
        );
        assert!(!k.running());
        assert!(k.error().is_some_and(|e| e.contains("different token")));
        assert_eq!(k.log().len(), 2);
    }

    #[test]
    fn a_running_watch_says_what_it_waits_for_and_its_limit() {
        let line = watch_wait_line(Duration::from_millis(200), 72, 3600, 1);
        assert_eq!(
            line,
            "waiting for the server to reject the token: asking every 0.2 s, 1 answer so far, \
             1:12 of at most 1:00:00"
        );
        assert!(watch_wait_line(Duration::from_secs(1), 0, 60, 3).contains("every 1 s, 3 answers"));
    }

    #[test]
    fn clock_shows_the_time_of_day() {
        assert_eq!(clock_millis(1_700_000_003_120), "22:13:23.120");
        assert_eq!(clock(1_700_000_003), "22:13:23");
    }
}
