//! The token inspector screen: paste (Ctrl+V anywhere), drop a file, or receive a token from a
//! flow; the header and claims as collapsible JSON trees with times as dates and relative
//! phrases; a lifetime bar with a live countdown (repainting once a second only while shown);
//! the validation checklist with reasons; the server calls on the token (introspect, revoke,
//! userinfo) and the lifecycle lab (watch, auto-refresh; see [`super::lifecycle`]) through the
//! client the token was issued to: the flow's profile for a token from a flow, else the active
//! profile.

use std::time::Duration;

use url::Url;

use super::events::Event;
use super::lifecycle::{KeeperPanel, LifecycleCommand, LifecycleMsg, WatchPanel};
use super::widgets::{JsonTree, badge_ui, lifetime_bar_ui, status_color};
use super::worker::Worker;
use crate::http::{Exchange, HttpClient, HttpOptions};
use crate::oauth::{ClientConfig, FlowError, Session, discovery, lifecycle};
use crate::profile::Profile;
use crate::timefmt;
use crate::token::{
    CheckStatus, InspectOptions, Inspection, KeySource, Lifetime, SharedSecret, SignatureStatus,
    TokenKind,
};

/// Messages from inspector jobs.
#[derive(Debug)]
pub enum InspectorMsg {
    /// An inspection finished.
    Inspected {
        /// Which request (older answers are dropped).
        seq: u64,
        /// The report.
        inspection: Box<Inspection>,
        /// JWKS fetches.
        exchanges: Vec<Exchange>,
        /// Why keys could not be loaded, if so.
        key_error: Option<String>,
        /// When it was checked (unix seconds).
        checked_at: i64,
    },
    /// A server call on the token finished.
    ServerCall {
        /// "introspect", "revoke" or "userinfo".
        what: &'static str,
        /// The answer as text, or the error.
        result: Result<String, String>,
        /// The exchanges made.
        exchanges: Vec<Exchange>,
    },
    /// Watch and auto-refresh progress.
    Lifecycle(LifecycleMsg),
}

/// Where to get keys from, as typed in the form.
#[derive(Debug, Clone, Default)]
pub struct VerifyForm {
    /// JWKS URL or file path.
    pub jwks: String,
    /// Shared secret for HS* tokens.
    pub secret: String,
    /// Expected issuer.
    pub issuer: String,
    /// Expected audience.
    pub audience: String,
    /// Expected nonce (ID tokens).
    pub nonce: String,
    /// Access, ID or unknown.
    pub kind: TokenKind,
}

struct Shown {
    inspection: Inspection,
    header: JsonTree,
    claims: JsonTree,
    key_error: Option<String>,
    checked_at: i64,
}

/// The inspector's runtime state.
#[derive(Default)]
pub struct InspectorScreen {
    /// The token text.
    pub input: String,
    /// Verification settings.
    pub verify: VerifyForm,
    /// The refresh token that came with the inspected token (from a flow), for "Refresh".
    pub refresh_token: Option<String>,
    /// The token from a flow and that flow's profile: server calls on that token use its
    /// client (a revocation by another client is refused). Any other token uses the active
    /// profile.
    origin: Option<(String, Profile)>,
    watch: WatchPanel,
    keeper: KeeperPanel,
    /// Auto-refresh replaced the token: inspect it on the next frame.
    reinspect: bool,
    shown: Option<Shown>,
    seq: u64,
    pending: bool,
    calls: Vec<(&'static str, Result<String, String>)>,
    calls_pending: usize,
}

impl InspectorScreen {
    /// The current report, if any.
    pub fn inspection(&self) -> Option<&Inspection> {
        self.shown.as_ref().map(|s| &s.inspection)
    }

    /// Whether an inspection is running.
    pub fn pending(&self) -> bool {
        self.pending
    }

    /// Binds the inspected token to the profile of the flow it came from (call after
    /// [`Self::set_token`]); server calls on this token then use that profile's client.
    pub fn set_origin(&mut self, profile: Profile) {
        self.origin = Some((self.input.trim().to_owned(), profile));
    }

    /// The profile server calls on the inspected token use: its flow's, else the active one.
    pub fn client_profile<'a>(&'a self, active: Option<&'a Profile>) -> Option<&'a Profile> {
        match &self.origin {
            Some((token, p)) if token == self.input.trim() => Some(p),
            _ => active,
        }
    }

    /// The Watch panel (tests read its rows and report).
    pub fn watch(&self) -> &WatchPanel {
        &self.watch
    }

    /// The Auto-refresh panel (tests read its log).
    pub fn keeper(&self) -> &KeeperPanel {
        &self.keeper
    }

    /// Sets the token and inspects it, with keys from the profile's JWKS when none are given.
    pub fn set_token(&mut self, token: String, worker: &Worker, profile: Option<&Profile>) {
        self.input = token.trim().to_owned();
        if self.verify.jwks.trim().is_empty()
            && self.verify.secret.is_empty()
            && let Some(p) = profile
        {
            if let Some(j) = p.jwks_uri.clone().filter(|s| !s.is_empty()) {
                self.verify.jwks = j;
            }
            if self.verify.issuer.is_empty() {
                self.verify.issuer = p.issuer.clone().unwrap_or_default();
            }
        }
        self.inspect(worker, profile);
    }

    /// Starts an inspection of the current input.
    pub fn inspect(&mut self, worker: &Worker, profile: Option<&Profile>) {
        self.seq += 1;
        self.pending = true;
        let seq = self.seq;
        let token = self.input.trim().to_owned();
        let form = self.verify.clone();
        let issuer_for_jwks = if form.jwks.trim().is_empty() && form.secret.is_empty() {
            profile
                .and_then(|p| p.issuer.clone())
                .or_else(|| (!form.issuer.is_empty()).then(|| form.issuer.clone()))
        } else {
            None
        };
        worker.spawn(async move {
            let mut exchanges = Vec::new();
            let client = HttpClient::new(&HttpOptions::default());
            let mut source = key_source(&form);
            // No key given but an issuer is known: find its JWKS by discovery.
            if let (KeySource::None, Some(iss), Ok(c)) = (&source, &issuer_for_jwks, &client)
                && let Ok(url) = Url::parse(iss)
            {
                let mut s = Session::new(c.clone());
                if let Ok(d) = discovery::discover(&mut s, &url).await
                    && let Some(j) = d.endpoints.jwks_uri
                {
                    source = KeySource::JwksUrl(j);
                }
                exchanges.extend(s.take_exchanges());
            }
            let opts = InspectOptions {
                issuer: non_empty(&form.issuer),
                audience: non_empty(&form.audience),
                nonce: non_empty(&form.nonce),
                kind: form.kind,
                ..InspectOptions::default()
            };
            let now = timefmt::now_unix();
            let (inspection, key_error) = match client {
                Ok(c) => {
                    let r = crate::token::inspect(&token, &source, &c, &opts, now).await;
                    exchanges.extend(r.exchanges);
                    (r.inspection, r.key_error.map(|e| e.to_string()))
                }
                Err(e) => (
                    crate::token::inspect_with_keys(&token, &Default::default(), &opts, now),
                    Some(e.to_string()),
                ),
            };
            Event::Inspector(InspectorMsg::Inspected {
                seq,
                inspection: Box::new(inspection),
                exchanges,
                key_error,
                checked_at: now,
            })
        });
    }

    /// Handles a finished job; returns the exchanges for the history.
    pub fn on_message(&mut self, msg: InspectorMsg) -> Vec<Exchange> {
        match msg {
            InspectorMsg::Inspected {
                seq,
                inspection,
                exchanges,
                key_error,
                checked_at,
            } => {
                if seq == self.seq {
                    self.pending = false;
                    self.shown = Some(Shown {
                        header: JsonTree::new(inspection.header.clone()),
                        claims: JsonTree::new(inspection.claims.clone()),
                        inspection: *inspection,
                        key_error,
                        checked_at,
                    });
                    self.calls.clear();
                }
                exchanges
            }
            InspectorMsg::ServerCall {
                what,
                result,
                exchanges,
            } => {
                self.calls_pending = self.calls_pending.saturating_sub(1);
                self.calls.push((what, result));
                exchanges
            }
            InspectorMsg::Lifecycle(msg) => self.on_lifecycle(msg),
        }
    }

    fn on_lifecycle(&mut self, msg: LifecycleMsg) -> Vec<Exchange> {
        match msg {
            LifecycleMsg::Exchange(ex) => return vec![*ex],
            LifecycleMsg::WatchSample {
                run,
                sample,
                revoked_at_ms,
            } => self.watch.on_sample(run, sample, revoked_at_ms),
            LifecycleMsg::WatchDone { run, result } => self.watch.on_done(run, result),
            LifecycleMsg::KeeperDue { run, due_at } => self.keeper.on_due(run, due_at),
            LifecycleMsg::Refreshed { run, entry, tokens } => {
                if let Some(t) = self.keeper.on_refreshed(run, entry, *tokens, &self.input) {
                    if let Some((token, _)) = self
                        .origin
                        .as_mut()
                        .filter(|(token, _)| token == self.input.trim())
                    {
                        token.clone_from(&t.access_token.expose().to_string());
                    }
                    self.input = t.access_token.into_exposed();
                    self.refresh_token = t
                        .refresh_token
                        .map(|t| t.into_exposed())
                        .or(self.refresh_token.take());
                    self.reinspect = true;
                }
            }
            LifecycleMsg::KeeperStopped { run, error } => self.keeper.on_stopped(run, error),
        }
        Vec::new()
    }

    /// Starts or stops a lifecycle job for the inspected token.
    fn lifecycle_command(
        &mut self,
        cmd: LifecycleCommand,
        worker: &Worker,
        profile: Option<&Profile>,
    ) {
        let lifetime = self
            .shown
            .as_ref()
            .map(|s| s.inspection.lifetime())
            .unwrap_or(Lifetime {
                issued_at: None,
                not_before: None,
                expires_at: None,
            });
        let token = self.input.trim().to_owned();
        match cmd {
            LifecycleCommand::StartWatch => {
                if let Some(p) = profile {
                    self.watch.start(worker, p, token, lifetime.expires_at);
                }
            }
            LifecycleCommand::StopWatch => self.watch.stop(),
            LifecycleCommand::StartKeeper => {
                if let (Some(p), Some(rt)) = (profile, self.refresh_token.clone()) {
                    self.keeper.start(worker, p, token, rt, &lifetime);
                }
            }
            LifecycleCommand::StopKeeper => self.keeper.stop(),
        }
    }

    fn lifecycle_ui(
        &mut self,
        ui: &mut egui::Ui,
        profile: Option<&Profile>,
        now: i64,
    ) -> Option<LifecycleCommand> {
        let mut cmd = None;
        ui.heading("Lifecycle");
        ui.label(egui::RichText::new("Watch").strong());
        let no_profile = profile
            .is_none()
            .then_some("Needs an active profile (Profiles screen)");
        cmd = cmd.or(self.watch.ui(ui, no_profile));
        ui.separator();
        let keeper_disabled = if self.refresh_token.is_none() {
            Some(
                "No refresh token came with this token: run a grant that returns one \
                 (authorization code with offline_access, device) and inspect its token",
            )
        } else if profile.is_none() {
            Some("Needs an active profile (Profiles screen)")
        } else {
            None
        };
        cmd = cmd.or(self.keeper.ui(ui, keeper_disabled, now));
        cmd
    }

    fn server_call(&mut self, what: &'static str, worker: &Worker, profile: &Profile) {
        let cfg = match profile.client_config() {
            Ok(c) => c,
            Err(e) => {
                self.calls.push((what, Err(e.to_string())));
                return;
            }
        };
        let issuer = profile.issuer.clone();
        let token = self.input.trim().to_owned();
        self.calls_pending += 1;
        worker.spawn(async move {
            let (result, exchanges) = server_call(what, cfg, issuer, token).await;
            Event::Inspector(InspectorMsg::ServerCall {
                what,
                result: result.map_err(|e| e.to_string()),
                exchanges,
            })
        });
    }

    /// Draws the screen. `now` is the frame's clock (unix seconds). Returns a refresh token when
    /// "Refresh" was clicked (the app runs the refresh grant in the flow runner).
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        worker: &Worker,
        profile: Option<&Profile>,
        now: i64,
    ) -> Option<String> {
        let client = self.client_profile(profile).cloned();
        let profile = client.as_ref();
        if std::mem::take(&mut self.reinspect) {
            self.inspect(worker, profile);
        }
        // Cleared, or another token pasted: auto-refresh has nothing to keep.
        if self.keeper.running() && self.refresh_token.is_none() {
            self.keeper.stop();
        }
        egui::Panel::top("inspector_input").show(ui, |ui| {
            self.input_ui(ui, worker, profile);
        });
        let Some(shown) = self.shown.as_mut() else {
            egui::CentralPanel::default().show(ui, |ui| {
                if self.pending {
                    ui.spinner();
                } else {
                    ui.label(
                        "Paste a token (Ctrl+V anywhere), drop a file on the window, or inspect a \
                         token from the flow runner.",
                    );
                }
            });
            return None;
        };
        let mut call = None;
        egui::Panel::left("inspector_checks")
            .resizable(true)
            .default_size(380.0)
            .show(ui, |ui| {
                egui::ScrollArea::vertical().show(ui, |ui| {
                    call = verdict_ui(
                        ui,
                        shown,
                        now,
                        profile.is_some(),
                        self.calls_pending > 0,
                        self.refresh_token.is_some(),
                    );
                    for (what, r) in &self.calls {
                        ui.separator();
                        ui.label(egui::RichText::new(*what).strong());
                        match r {
                            Ok(t) => {
                                ui.add(egui::Label::new(egui::RichText::new(t).monospace()).wrap());
                            }
                            Err(e) => {
                                ui.colored_label(ui.visuals().error_fg_color, e);
                            }
                        }
                    }
                });
            });
        let mut lifecycle = None;
        egui::Panel::right("inspector_lifecycle")
            .resizable(true)
            .default_size(430.0)
            .show(ui, |ui| {
                egui::ScrollArea::vertical()
                    .id_salt("lifecycle_scroll")
                    .show(ui, |ui| {
                        lifecycle = self.lifecycle_ui(ui, profile, now);
                    });
            });
        let shown = self.shown.as_mut()?;
        egui::CentralPanel::default().show(ui, |ui| {
            ui.label(egui::RichText::new("Header").strong());
            shown.header.ui(ui, "inspector_header", now);
            ui.separator();
            ui.label(egui::RichText::new("Claims").strong());
            shown.claims.ui(ui, "inspector_claims", now);
        });
        if let Some(cmd) = lifecycle {
            self.lifecycle_command(cmd, worker, profile);
        }
        let mut refresh = None;
        match (call, profile) {
            (Some("refresh"), _) => refresh = self.refresh_token.clone(),
            (Some(what), Some(p)) => self.server_call(what, worker, p),
            _ => {}
        }
        // The countdown: one repaint a second while this screen is drawn and the token lives.
        if let Some(exp) = self
            .shown
            .as_ref()
            .and_then(|s| s.inspection.lifetime().expires_at)
            && exp >= now
        {
            ui.ctx().request_repaint_after(Duration::from_secs(1));
        }
        refresh
    }

    fn input_ui(&mut self, ui: &mut egui::Ui, worker: &Worker, profile: Option<&Profile>) {
        ui.horizontal(|ui| {
            ui.heading("Token inspector");
            if self.pending {
                ui.spinner();
            }
        });
        let l = ui.label("Token");
        ui.add(
            egui::TextEdit::multiline(&mut self.input)
                .hint_text("eyJ... (paste with Ctrl+V anywhere)")
                .desired_rows(3)
                .desired_width(f32::INFINITY)
                .font(egui::TextStyle::Monospace),
        )
        .labelled_by(l.id);
        egui::CollapsingHeader::new("Verification")
            .default_open(false)
            .show(ui, |ui| {
                egui::Grid::new("verify_grid")
                    .num_columns(2)
                    .show(ui, |ui| {
                        let f = &mut self.verify;
                        for (label, value, pw) in [
                            ("JWKS URL or file", &mut f.jwks, false),
                            ("Shared secret (HS*)", &mut f.secret, true),
                            ("Expected issuer", &mut f.issuer, false),
                            ("Expected audience", &mut f.audience, false),
                            ("Expected nonce", &mut f.nonce, false),
                        ] {
                            let l = ui.label(label);
                            ui.add(egui::TextEdit::singleline(value).password(pw))
                                .labelled_by(l.id);
                            ui.end_row();
                        }
                        ui.label("Token kind");
                        ui.horizontal(|ui| {
                            ui.selectable_value(&mut f.kind, TokenKind::Unknown, "Unknown");
                            ui.selectable_value(&mut f.kind, TokenKind::Access, "Access token");
                            ui.selectable_value(&mut f.kind, TokenKind::Id, "ID token");
                        });
                        ui.end_row();
                    });
            });
        ui.horizontal(|ui| {
            if ui
                .add_enabled(!self.input.trim().is_empty(), egui::Button::new("Inspect"))
                .clicked()
            {
                self.inspect(worker, profile);
            }
            if ui.button("Clear").clicked() {
                self.watch.stop();
                self.keeper.stop();
                self.refresh_token = None;
                self.input.clear();
                self.shown = None;
                self.calls.clear();
            }
        });
    }
}

/// `h:mm:ss` (or `m:ss`) left, for the ticking countdown.
pub fn countdown(secs: i64) -> String {
    let s = secs.max(0);
    let (h, m, s) = (s / 3600, (s % 3600) / 60, s % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

fn non_empty(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

fn key_source(form: &VerifyForm) -> KeySource {
    if !form.secret.is_empty() {
        KeySource::Secret(SharedSecret::new(form.secret.as_bytes().to_vec()))
    } else if !form.jwks.trim().is_empty() {
        KeySource::from_uri_or_path(form.jwks.trim())
    } else {
        KeySource::None
    }
}

async fn server_call(
    what: &'static str,
    mut cfg: ClientConfig,
    issuer: Option<String>,
    token: String,
) -> (Result<String, FlowError>, Vec<Exchange>) {
    let http = match HttpClient::new(&HttpOptions::default()) {
        Ok(h) => h,
        Err(e) => return (Err(FlowError::Http(e)), Vec::new()),
    };
    let mut session = Session::new(http);
    if let Some(iss) = issuer.as_deref().and_then(|s| Url::parse(s).ok()) {
        match discovery::discover(&mut session, &iss).await {
            Ok(d) => cfg.endpoints = cfg.endpoints.clone().or(&d.endpoints),
            Err(e) => return (Err(e), session.take_exchanges()),
        }
    }
    let result = match what {
        "introspect" => lifecycle::introspect(&mut session, &cfg, &token, None)
            .await
            .map(|v| serde_json::to_string_pretty(&v).unwrap_or_default()),
        "revoke" => lifecycle::revoke(&mut session, &cfg, &token, None)
            .await
            .map(|status| format!("HTTP {status}: the server accepted the revocation")),
        _ => lifecycle::userinfo(&mut session, &cfg, &token)
            .await
            .map(|u| match u {
                lifecycle::UserInfo::Json(v) => {
                    serde_json::to_string_pretty(&v).unwrap_or_default()
                }
                lifecycle::UserInfo::Jwt(j) => j,
            }),
    };
    (result, session.take_exchanges())
}

/// The verdict, lifetime and checklist. Returns a server call to make.
fn verdict_ui(
    ui: &mut egui::Ui,
    shown: &Shown,
    now: i64,
    have_profile: bool,
    busy: bool,
    can_refresh: bool,
) -> Option<&'static str> {
    let ins = &shown.inspection;
    let decode_failed = ins
        .checks
        .iter()
        .find(|c| c.id == "decode" && c.status == CheckStatus::Fail);
    if let Some(c) = decode_failed {
        ui.colored_label(
            ui.visuals().error_fg_color,
            egui::RichText::new("Not a readable token").strong(),
        );
        ui.colored_label(ui.visuals().error_fg_color, &c.message);
        return None;
    }
    ui.horizontal(|ui| {
        let (text, status) = if ins.valid {
            ("VALID", "pass")
        } else {
            ("NOT VALID", "fail")
        };
        ui.label(
            egui::RichText::new(text)
                .heading()
                .color(status_color(ui.visuals(), status)),
        );
        ui.label(format!("{:?}", ins.format).to_ascii_uppercase());
    });
    let call = actions_ui(ui, have_profile, busy, can_refresh);
    let lt = ins.lifetime();
    if let Some(exp) = lt.expires_at {
        let color = if exp <= now {
            ui.visuals().error_fg_color
        } else {
            ui.visuals().strong_text_color()
        };
        ui.horizontal(|ui| {
            ui.colored_label(color, timefmt::expiry_phrase(exp, now));
            if exp > now {
                ui.label(
                    egui::RichText::new(countdown(exp - now))
                        .monospace()
                        .strong(),
                );
            }
        });
        ui.label(format!("exp {}", timefmt::rfc3339(exp)));
        if let Some(iat) = lt.issued_at {
            lifetime_bar_ui(ui, iat, exp, now);
        }
    }
    ui.separator();
    let sig = &ins.signature;
    let sig_status = match sig.status {
        SignatureStatus::Verified => "verified",
        SignatureStatus::Invalid => "invalid",
        SignatureStatus::Unverifiable => "unverifiable",
        _ => "skipped",
    };
    ui.horizontal_wrapped(|ui| {
        ui.label("Signature");
        badge_ui(ui, sig_status);
        if let Some(alg) = &sig.alg {
            ui.label(alg);
        }
    });
    ui.label(egui::RichText::new(&sig.detail).weak());
    if let Some(e) = &shown.key_error {
        ui.colored_label(ui.visuals().warn_fg_color, e);
    }
    ui.separator();
    ui.label(
        egui::RichText::new(format!(
            "Checks (at {})",
            timefmt::rfc3339(shown.checked_at)
        ))
        .strong(),
    );
    egui::Grid::new("checks")
        .num_columns(3)
        .striped(true)
        .show(ui, |ui| {
            for c in &ins.checks {
                let status = match c.status {
                    CheckStatus::Pass => "pass",
                    CheckStatus::Fail => "fail",
                    CheckStatus::Warn => "warn",
                    CheckStatus::Info => "info",
                };
                badge_ui(ui, status);
                ui.label(egui::RichText::new(&c.id).monospace());
                ui.add(egui::Label::new(&c.message).wrap());
                ui.end_row();
            }
        });
    call
}

/// Introspect / Revoke / Userinfo / Refresh. Returns the one clicked.
fn actions_ui(
    ui: &mut egui::Ui,
    have_profile: bool,
    busy: bool,
    can_refresh: bool,
) -> Option<&'static str> {
    let mut call = None;
    ui.horizontal_wrapped(|ui| {
        let enabled = have_profile && !busy;
        for (label, what) in [
            ("Introspect", "introspect"),
            ("Revoke", "revoke"),
            ("Userinfo", "userinfo"),
        ] {
            if ui
                .add_enabled(enabled, egui::Button::new(label))
                .on_disabled_hover_text("Needs an active profile (Profiles screen)")
                .clicked()
            {
                call = Some(what);
            }
        }
        if ui
            .add_enabled(can_refresh, egui::Button::new("Refresh"))
            .on_hover_text("Run the refresh grant with the refresh token of this flow")
            .on_disabled_hover_text("No refresh token came with this token")
            .clicked()
        {
            call = Some("refresh");
        }
        if busy {
            ui.spinner();
        }
    });
    call
}

#[cfg(test)]
mod tests {
    use super::countdown;

    #[test]
    fn countdown_formats() {
        assert_eq!(countdown(59), "0:59");
        assert_eq!(countdown(3599), "59:59");
        assert_eq!(countdown(3600), "1:00:00");
        assert_eq!(countdown(-5), "0:00");
    }
}
