//! The token inspector screen: paste (Ctrl+V anywhere), drop a file, or receive a token from a
//! flow. A headline that never scrolls away says what the token is worth now (the verdict of
//! the checks, or what the server said since: revoked, rejected, inactive; "opaque" when only
//! the server can tell), beside Inspect and Clear. The token box has a capped height and shows
//! header, payload and signature in the jwt.io colours. Below: the server calls with their
//! answers right under their buttons, the lifetime bar and countdown, the checklist, the header
//! and claims as JSON trees, and the lifecycle lab ([`super::lifecycle`]). Server calls use the
//! client the token was issued to: the flow's profile for a token from a flow, else the active
//! profile. A token from a flow is checked with what the app knows about it (the nonce it sent,
//! the client id as audience, the access token for `at_hash`, the `expires_in` it got).

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use super::connect;
use super::exchange_view::capped_text_ui;
use super::flow::InspectRequest;
use super::layout::{self, Width};
use super::lifecycle::{KeeperPanel, LifecycleCommand, LifecycleMsg, WatchPanel};
use super::widgets::{JsonTree, badge_ui, lifetime_bar_ui, status_color};
use super::worker::{Jobs, Sink};
use grantscope_core::http::{Exchange, HttpClient};
use grantscope_core::oauth::{Connection, EndpointKind, FlowEvent, lifecycle};
use grantscope_core::profile::Profile;
use grantscope_core::secret::{AccessToken, AuthorizationCode, ClientSecret, RefreshToken};
use grantscope_core::timefmt;
use grantscope_core::token::{
    CheckStatus, InspectOptions, Inspection, KeySource, Lifetime, SharedSecret, SignatureStatus,
    TokenFormat, TokenKind,
};

/// The token box's height before it scrolls, in monospace rows.
const TOKEN_BOX_ROWS: f32 = 4.0;

/// Messages from inspector jobs.
#[derive(Debug)]
pub enum InspectorMsg {
    /// An inspection finished.
    Inspected {
        /// Which request (older answers are dropped).
        seq: u64,
        /// The report.
        inspection: Box<Inspection>,
        /// Why keys could not be loaded, if so.
        key_error: Option<String>,
        /// When it was checked (unix seconds).
        checked_at: i64,
    },
    /// A server call on the token finished.
    ServerCall {
        /// The token it was made for (answers for a token no longer shown are dropped).
        token_gen: u64,
        /// Which call.
        what: Call,
        /// The answer, or the error.
        result: Result<CallAnswer, String>,
    },
    /// An HTTP exchange a job made (for the history, as it happens).
    Exchange(Box<Exchange>),
    /// Watch and auto-refresh progress.
    Lifecycle(LifecycleMsg),
}

/// A server call on the inspected token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Call {
    /// RFC 7662.
    Introspect,
    /// RFC 7009.
    Revoke,
    /// OIDC Core §5.3.
    Userinfo,
}

impl Call {
    fn label(self) -> &'static str {
        match self {
            Call::Introspect => "Introspect",
            Call::Revoke => "Revoke",
            Call::Userinfo => "Userinfo",
        }
    }

    fn answer_title(self) -> &'static str {
        match self {
            Call::Introspect => "Introspection says",
            Call::Revoke => "Revocation",
            Call::Userinfo => "Userinfo says",
        }
    }
}

/// What a server call answered.
#[derive(Debug, Clone)]
pub struct CallAnswer {
    /// As shown.
    pub text: String,
    /// Introspection's JSON.
    pub introspection: Option<Value>,
}

/// Where to get keys from and what to expect, as typed in the form (plus what a flow knows).
#[derive(Debug, Clone, Default)]
pub struct VerifyForm {
    /// JWKS URL or file path.
    pub jwks: String,
    /// Shared secret for HS* tokens.
    pub secret: ClientSecret,
    /// Expected issuer.
    pub issuer: String,
    /// Expected audience (for an ID token from a flow: the client id, also checked as `azp`).
    pub audience: String,
    /// Expected nonce (ID tokens).
    pub nonce: String,
    /// Access, ID or unknown.
    pub kind: TokenKind,
    /// The access token issued with an ID token, for `at_hash` (from a flow, not typed).
    pub access_token: Option<AccessToken>,
    /// The code exchanged for an ID token, for `c_hash` (from a flow, not typed).
    pub code: Option<AuthorizationCode>,
    /// A non-RFC 9068 `typ` is only a warning (the token came from the token endpoint as an
    /// access token).
    pub lenient_typ: bool,
    /// From a DPoP flow: the response's `token_type` and the thumbprint of the key in use, for
    /// the `token_type` and `cnf.jkt` checks (RFC 9449 §6).
    pub dpop: Option<(Option<String>, String)>,
}

struct Shown {
    inspection: Inspection,
    header: JsonTree,
    claims: JsonTree,
    key_error: Option<String>,
    checked_at: i64,
}

/// What the server said about the inspected token since it was inspected.
#[derive(Debug, Clone, Default)]
struct ServerSays {
    /// The server accepted the revocation (unix seconds).
    revoked_at: Option<i64>,
    /// The last introspection answer.
    introspection: Option<Value>,
}

/// The verdict line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Headline {
    /// VALID, NOT VALID, REVOKED, OPAQUE, ...
    pub text: &'static str,
    /// pass / fail / warn / info (its colour).
    pub status: &'static str,
    /// Why, in a few words.
    pub detail: String,
}

/// The inspector's runtime state.
#[derive(Default)]
pub struct InspectorScreen {
    /// The token text.
    pub input: String,
    /// Verification settings.
    pub verify: VerifyForm,
    /// The refresh token that came with the inspected token (from a flow), for "Refresh".
    pub refresh_token: Option<RefreshToken>,
    /// The token from a flow and that flow's profile: server calls on that token use its
    /// client (a revocation by another client is refused). Any other token uses the active
    /// profile.
    origin: Option<(String, Profile)>,
    /// The token the results on screen belong to.
    inspected: String,
    /// Bumped whenever another token is inspected: late answers for the old one are dropped.
    token_gen: u64,
    /// `exp` known from outside the token (`expires_in`, introspection).
    known_exp: Option<i64>,
    server: ServerSays,
    watch: WatchPanel,
    keeper: KeeperPanel,
    /// Auto-refresh replaced the token: inspect it on the next frame.
    reinspect: bool,
    /// Auto-refresh rotated the refresh token: (old, new), for the flow runner's token set.
    rotated: Option<(RefreshToken, RefreshToken)>,
    shown: Option<Shown>,
    seq: u64,
    pending: bool,
    calls: Vec<(Call, Result<String, String>)>,
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

    /// The refresh token auto-refresh rotated, once: (old, new).
    pub fn take_rotated(&mut self) -> Option<(RefreshToken, RefreshToken)> {
        self.rotated.take()
    }

    /// The verdict line as shown now.
    pub fn headline(&self, now: i64) -> Option<Headline> {
        let text = self.input.trim();
        if text.is_empty() {
            return None;
        }
        if let Some(why) = plainly_not_a_token(text) {
            return Some(Headline {
                text: "NOT A TOKEN",
                status: "fail",
                detail: why,
            });
        }
        let shown = self.shown.as_ref()?;
        Some(headline(
            &shown.inspection,
            &self.server,
            self.watch.rejected(),
            self.known_exp,
            now,
        ))
    }

    /// Forgets everything about the last token: its report, the server's answers, the watch
    /// and auto-refresh logs.
    fn forget(&mut self) {
        self.token_gen += 1;
        self.shown = None;
        self.calls.clear();
        self.server = ServerSays::default();
        self.known_exp = None;
        self.watch.clear();
        self.keeper.clear();
    }

    /// Inspects a token pasted, dropped or typed, with keys from the profile's JWKS when none
    /// are given; nothing from an earlier token stays on screen.
    pub fn set_token(
        &mut self,
        token: String,
        jobs: &Jobs<InspectorMsg>,
        profile: Option<&Profile>,
    ) {
        self.forget();
        self.refresh_token = None;
        self.origin = None;
        self.verify.nonce.clear();
        self.verify.access_token = None;
        self.verify.code = None;
        self.verify.dpop = None;
        self.input = token.trim().to_owned();
        if self.verify.jwks.trim().is_empty()
            && self.verify.secret.expose().is_empty()
            && let Some(p) = profile
        {
            if let Some(j) = p.jwks_uri.clone().filter(|s| !s.is_empty()) {
                self.verify.jwks = j;
            }
            if self.verify.issuer.is_empty() {
                self.verify.issuer = p.issuer.clone().unwrap_or_default();
            }
        }
        self.inspect(jobs, profile);
    }

    /// Inspects a token a flow obtained, with everything the flow knows about it.
    pub fn set_from_flow(&mut self, req: InspectRequest, jobs: &Jobs<InspectorMsg>) {
        self.forget();
        let o = &req.options;
        self.verify = VerifyForm {
            jwks: req.jwks_uri.clone().unwrap_or_default(),
            secret: req.hs_secret.clone().unwrap_or_default(),
            issuer: o.issuer.clone().unwrap_or_default(),
            audience: o.audience.clone().unwrap_or_default(),
            nonce: o.nonce.clone().unwrap_or_default(),
            kind: o.kind,
            access_token: o.access_token.clone().map(AccessToken::new),
            code: o.code.clone().map(AuthorizationCode::new),
            lenient_typ: !o.strict_typ,
            dpop: req.dpop.clone(),
        };
        self.input = req.token.trim().to_owned();
        self.known_exp = req.expires_at;
        self.refresh_token = req.refresh_token.clone();
        self.origin = Some((self.input.clone(), req.profile.clone()));
        self.inspect(jobs, Some(&req.profile));
    }

    /// Starts an inspection of the current input.
    pub fn inspect(&mut self, jobs: &Jobs<InspectorMsg>, profile: Option<&Profile>) {
        self.seq += 1;
        self.pending = true;
        self.inspected = self.input.trim().to_owned();
        let seq = self.seq;
        let token = self.inspected.clone();
        let form = self.verify.clone();
        // No key given but an issuer is known: find its JWKS by discovery.
        let discover = if form.jwks.trim().is_empty() && form.secret.expose().is_empty() {
            let mut p = profile
                .cloned()
                .unwrap_or_else(|| Profile::new("inspector"));
            if p.issuer.as_deref().is_none_or(|s| s.trim().is_empty()) {
                p.issuer = non_empty(&form.issuer);
            }
            p.issuer
                .is_some()
                .then(|| connect::prepare(&p, jobs.keys()).ok())
                .flatten()
        } else {
            None
        };
        let http = profile
            .and_then(|p| p.http.to_options(jobs.keys()).ok())
            .unwrap_or_default();
        let sink = jobs.sink();
        jobs.spawn(async move {
            let mut source = key_source(&form);
            if let Some(prepared) = discover
                && let Ok(Connection { config, .. }) = prepared
                    .connect(&[EndpointKind::Jwks], Some(history_observer(&sink)))
                    .await
                && let Some(j) = config.endpoints.jwks_uri
            {
                source = KeySource::JwksUrl(j);
            }
            let opts = InspectOptions {
                issuer: non_empty(&form.issuer),
                audience: non_empty(&form.audience),
                nonce: non_empty(&form.nonce),
                access_token: form.access_token.as_ref().map(|t| t.expose().to_owned()),
                code: form.code.as_ref().map(|c| c.expose().to_owned()),
                kind: form.kind,
                strict_typ: !form.lenient_typ,
                ..InspectOptions::default()
            };
            let now = timefmt::now_unix();
            let (inspection, key_error) = match HttpClient::new(&http) {
                Ok(c) => {
                    let r = grantscope_core::token::inspect(&token, &source, &c, &opts, now).await;
                    for ex in r.exchanges {
                        sink.send(InspectorMsg::Exchange(Box::new(ex)));
                    }
                    let mut inspection = r.inspection;
                    if let Some((token_type, jkt)) = &form.dpop {
                        grantscope_core::oauth::received::dpop_checks(
                            &mut inspection,
                            token_type.as_deref(),
                            jkt,
                        );
                    }
                    (inspection, r.key_error.map(|e| e.to_string()))
                }
                Err(e) => (
                    grantscope_core::token::inspect_with_keys(
                        &token,
                        &Default::default(),
                        &opts,
                        now,
                    ),
                    Some(e.to_string()),
                ),
            };
            InspectorMsg::Inspected {
                seq,
                inspection: Box::new(inspection),
                key_error,
                checked_at: now,
            }
        });
    }

    /// Handles a finished job; returns the exchanges for the history.
    pub fn on_message(&mut self, msg: InspectorMsg) -> Vec<Exchange> {
        match msg {
            InspectorMsg::Inspected {
                seq,
                inspection,
                key_error,
                checked_at,
            } => {
                if seq == self.seq {
                    self.pending = false;
                    self.shown = Some(Shown {
                        // What a token carries is shown inert: controls, escapes and bidi
                        // overrides escaped (`\u{1b}`), in keys and values alike.
                        header: JsonTree::new(inspection.shown_header()),
                        claims: JsonTree::new(inspection.shown_claims()),
                        inspection: *inspection,
                        key_error,
                        checked_at,
                    });
                }
            }
            InspectorMsg::ServerCall {
                token_gen,
                what,
                result,
            } => {
                self.calls_pending = self.calls_pending.saturating_sub(1);
                if token_gen != self.token_gen {
                    return Vec::new();
                }
                if let Ok(answer) = &result {
                    match what {
                        Call::Revoke => self.server.revoked_at = Some(timefmt::now_unix()),
                        Call::Introspect => {
                            self.server.introspection = answer.introspection.clone();
                            if let Some(exp) = answer
                                .introspection
                                .as_ref()
                                .and_then(|v| v.get("exp"))
                                .and_then(Value::as_i64)
                            {
                                self.known_exp = Some(exp);
                            }
                        }
                        Call::Userinfo => {}
                    }
                }
                // One answer per call: the newest replaces the last.
                self.calls.retain(|(w, _)| *w != what);
                self.calls.push((what, result.map(|a| a.text)));
            }
            InspectorMsg::Exchange(ex) => return vec![*ex],
            InspectorMsg::Lifecycle(msg) => return self.on_lifecycle(msg),
        }
        Vec::new()
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
                        *token = t.access_token.expose().to_owned();
                    }
                    // A new access token: the old one's report and server answers go; the
                    // auto-refresh log stays (it is about the token set).
                    self.token_gen += 1;
                    self.calls.clear();
                    self.server = ServerSays::default();
                    self.watch.clear();
                    self.known_exp = t
                        .expires_in
                        .filter(|e| e.is_finite() && *e > 0.0)
                        .map(|e| timefmt::now_unix().saturating_add(e.min(1e12) as i64));
                    self.input = t.access_token.into_exposed();
                    if let (Some(old), Some(new)) = (self.refresh_token.clone(), t.refresh_token) {
                        if old != new {
                            self.rotated = Some((old, new.clone()));
                        }
                        self.refresh_token = Some(new);
                    }
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
        jobs: &Jobs<InspectorMsg>,
        profile: Option<&Profile>,
    ) {
        let lifetime = self.lifetime();
        let token = self.input.trim().to_owned();
        let jobs = jobs.map(InspectorMsg::Lifecycle);
        match cmd {
            LifecycleCommand::StartWatch => {
                if let Some(p) = profile {
                    self.watch.start(&jobs, p, token, lifetime.expires_at);
                }
            }
            LifecycleCommand::StopWatch => self.watch.stop(),
            LifecycleCommand::StartKeeper => {
                if let (Some(p), Some(rt)) = (profile, self.refresh_token.clone()) {
                    self.keeper
                        .start(&jobs, p, token, rt.into_exposed(), &lifetime);
                }
            }
            LifecycleCommand::StopKeeper => self.keeper.stop(),
        }
    }

    /// The token's lifetime: its own claims, else what the server said (`expires_in`,
    /// introspection's `exp`/`iat`).
    fn lifetime(&self) -> Lifetime {
        let own = self
            .shown
            .as_ref()
            .map(|s| s.inspection.lifetime())
            .unwrap_or(Lifetime {
                issued_at: None,
                not_before: None,
                expires_at: None,
            });
        if own.expires_at.is_some() {
            return own;
        }
        let iat = self
            .server
            .introspection
            .as_ref()
            .and_then(|v| v.get("iat"))
            .and_then(Value::as_i64);
        Lifetime {
            issued_at: own.issued_at.or(iat),
            not_before: own.not_before,
            expires_at: self.known_exp,
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

    fn server_call(&mut self, what: Call, jobs: &Jobs<InspectorMsg>, profile: &Profile) {
        let prepared = match connect::prepare(profile, jobs.keys()) {
            Ok(c) => c,
            Err(e) => {
                self.calls.retain(|(w, _)| *w != what);
                self.calls.push((what, Err(connect::describe(&e))));
                return;
            }
        };
        let token = self.input.trim().to_owned();
        let token_gen = self.token_gen;
        self.calls_pending += 1;
        let sink = jobs.sink();
        jobs.spawn(async move {
            let result = server_call(what, prepared, token, &sink).await;
            InspectorMsg::ServerCall {
                token_gen,
                what,
                result,
            }
        });
    }

    /// Draws the screen. `now` is the frame's clock (unix seconds). Returns a refresh request
    /// when "Refresh" was clicked (the app runs the refresh grant in the flow runner).
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        jobs: &Jobs<InspectorMsg>,
        profile: Option<&Profile>,
        now: i64,
    ) -> bool {
        let client = self.client_profile(profile).cloned();
        let profile = client.as_ref();
        if std::mem::take(&mut self.reinspect) {
            self.inspect(jobs, profile);
        }
        egui::Panel::top("inspector_input").show(ui, |ui| {
            self.input_ui(ui, jobs, profile, now);
        });
        if self.shown.is_none() {
            egui::CentralPanel::default().show(ui, |ui| {
                if self.pending {
                    ui.spinner();
                } else if self.input.trim().is_empty() {
                    ui.label(
                        "Paste a token (Ctrl+V anywhere), drop a file on the window, or inspect a \
                         token from the flow runner.",
                    );
                }
            });
            return false;
        }
        let mut call = None;
        let mut lifecycle = None;
        let mut refresh = false;
        let width = layout::width_of(ui);
        let total = ui.available_width();
        let mut checks = |this: &mut Self, ui: &mut egui::Ui| {
            let (c, r) = this.checks_ui(ui, now, profile.is_some());
            call = call.or(c);
            refresh |= r;
        };
        match width {
            Width::Narrow => {
                egui::CentralPanel::default().show(ui, |ui| {
                    egui::ScrollArea::vertical()
                        .id_salt("inspector_all")
                        .show(ui, |ui| {
                            checks(self, ui);
                            ui.separator();
                            self.claims_ui(ui, now, 320.0);
                            ui.separator();
                            lifecycle = self.lifecycle_ui(ui, profile, now);
                        });
                });
            }
            Width::Medium | Width::Wide => {
                egui::Panel::left("inspector_checks")
                    .resizable(true)
                    .default_size(total * if width == Width::Wide { 0.32 } else { 0.46 })
                    .min_size(260.0)
                    .max_size(total * 0.6)
                    .show(ui, |ui| {
                        egui::ScrollArea::vertical()
                            .id_salt("checks_scroll")
                            .show(ui, |ui| {
                                checks(self, ui);
                                if width == Width::Medium {
                                    ui.separator();
                                    lifecycle = self.lifecycle_ui(ui, profile, now);
                                }
                            });
                    });
                if width == Width::Wide {
                    egui::Panel::right("inspector_lifecycle")
                        .resizable(true)
                        .default_size(total * 0.3)
                        .min_size(260.0)
                        .max_size(total * 0.45)
                        .show(ui, |ui| {
                            egui::ScrollArea::vertical()
                                .id_salt("lifecycle_scroll")
                                .show(ui, |ui| {
                                    lifecycle = self.lifecycle_ui(ui, profile, now);
                                });
                        });
                }
                egui::CentralPanel::default().show(ui, |ui| {
                    let h = ui.available_height();
                    self.claims_ui(ui, now, h);
                });
            }
        }
        if let Some(cmd) = lifecycle {
            self.lifecycle_command(cmd, jobs, profile);
        }
        if let (Some(what), Some(p)) = (call, profile) {
            self.server_call(what, jobs, p);
        }
        // The countdown: one repaint a second while this screen is drawn and the token lives.
        if let Some(exp) = self.lifetime().expires_at
            && exp >= now
        {
            ui.ctx().request_repaint_after(Duration::from_secs(1));
        }
        refresh
    }

    fn claims_ui(&mut self, ui: &mut egui::Ui, now: i64, height: f32) {
        let Some(shown) = self.shown.as_mut() else {
            return;
        };
        ui.label(egui::RichText::new("Header").strong());
        shown
            .header
            .ui(ui, "inspector_header", now, (height * 0.25).max(80.0));
        ui.separator();
        ui.label(egui::RichText::new("Claims").strong());
        let left = (ui.available_height() - 8.0).max(height * 0.5).max(120.0);
        shown.claims.ui(ui, "inspector_claims", now, left);
    }

    /// The headline, the token box and Inspect / Clear: always on screen.
    fn input_ui(
        &mut self,
        ui: &mut egui::Ui,
        jobs: &Jobs<InspectorMsg>,
        profile: Option<&Profile>,
        now: i64,
    ) {
        ui.horizontal_wrapped(|ui| {
            ui.heading("Token inspector");
            if self.pending {
                ui.spinner();
            }
            if let Some(h) = self.headline(now) {
                ui.separator();
                let color = status_color(ui.visuals(), h.status);
                ui.label(egui::RichText::new(h.text).heading().strong().color(color));
                ui.label(egui::RichText::new(grantscope_core::text::inert(&h.detail)).color(color));
            }
            if let Some(exp) = self.lifetime().expires_at {
                ui.separator();
                let color = if exp <= now {
                    ui.visuals().error_fg_color
                } else {
                    ui.visuals().strong_text_color()
                };
                ui.colored_label(color, timefmt::expiry_phrase(exp, now));
                if exp > now {
                    ui.label(
                        egui::RichText::new(countdown(exp - now))
                            .monospace()
                            .strong(),
                    );
                }
            }
        });
        // The editable line clips the text (its height never grows); under it the whole token
        // in the jwt.io colours, wrapped, in a box of capped height that scrolls.
        let colors = JwtColors::for_visuals(ui.visuals());
        let mut enter = false;
        let long = self.input.len() > MAX_EDITABLE;
        let edited = ui
            .horizontal(|ui| {
                let l = ui.label("Token");
                if long {
                    // An edit line would lay out every character each frame.
                    ui.label(
                        egui::RichText::new(format!(
                            "{} characters: too long to edit here; paste another (Ctrl+V \
                             anywhere) or Clear",
                            self.input.len()
                        ))
                        .weak(),
                    );
                    return false;
                }
                let r = ui
                    .add(
                        egui::TextEdit::singleline(&mut self.input)
                            .hint_text("eyJ... (paste with Ctrl+V anywhere)")
                            .desired_width(ui.available_width())
                            .font(egui::TextStyle::Monospace),
                    )
                    .labelled_by(l.id);
                enter = r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
                r.changed()
            })
            .inner;
        if enter && !self.input.trim().is_empty() {
            self.inspect(jobs, profile);
        }
        if !self.input.trim().is_empty() {
            egui::Frame::group(ui.style())
                .show(ui, |ui| token_view_ui(ui, self.input.trim(), &colors));
        }
        if edited {
            // The results on screen belong to the text they came from.
            let text = self.input.trim().to_owned();
            if text.is_empty() {
                self.clear();
            } else if text != self.inspected {
                let keep = self.verify.clone();
                self.forget();
                self.origin = None;
                self.refresh_token = None;
                self.verify = VerifyForm {
                    nonce: String::new(),
                    access_token: None,
                    code: None,
                    ..keep
                };
                self.inspect(jobs, profile);
            }
        }
        ui.horizontal_wrapped(|ui| {
            if ui
                .add_enabled(!self.input.trim().is_empty(), egui::Button::new("Inspect"))
                .on_hover_text("Check it again (keys, times, the form below)")
                .clicked()
            {
                self.inspect(jobs, profile);
            }
            if ui.button("Clear").clicked() {
                self.clear();
            }
            let len = self.input.trim().len();
            if len > 0 {
                ui.label(egui::RichText::new(format!("{len} characters")).weak());
                ui.label(egui::RichText::new("header").color(colors.header));
                ui.label(egui::RichText::new("payload").color(colors.payload));
                ui.label(egui::RichText::new("signature").color(colors.signature));
            }
        });
    }

    /// Clears the token and everything about it.
    pub fn clear(&mut self) {
        self.forget();
        self.refresh_token = None;
        self.origin = None;
        self.input.clear();
        self.inspected.clear();
        self.pending = false;
        self.seq += 1;
    }

    /// Verification form, server calls with their answers, lifetime, signature and checks.
    /// Returns a server call to make and whether Refresh was clicked.
    fn checks_ui(
        &mut self,
        ui: &mut egui::Ui,
        now: i64,
        have_profile: bool,
    ) -> (Option<Call>, bool) {
        let mut run_again = false;
        egui::CollapsingHeader::new("Verification")
            .default_open(false)
            .show(ui, |ui| {
                run_again = verify_form_ui(ui, &mut self.verify);
            });
        if run_again {
            self.reinspect = true;
        }
        let Some(shown) = self.shown.as_ref() else {
            return (None, false);
        };
        let ins = &shown.inspection;
        if let Some(c) = ins
            .checks
            .iter()
            .find(|c| c.id == "decode" && c.status == CheckStatus::Fail)
        {
            ui.colored_label(
                ui.visuals().error_fg_color,
                egui::RichText::new("Not a readable token").strong(),
            );
            ui.colored_label(ui.visuals().error_fg_color, c.shown_message());
            return (None, false);
        }
        let (call, refresh) = actions_ui(
            ui,
            have_profile,
            self.calls_pending > 0,
            self.refresh_token.is_some(),
        );
        // Each answer right under the buttons that asked for it.
        for (what, r) in &self.calls {
            ui.label(egui::RichText::new(what.answer_title()).strong());
            match r {
                Ok(t) => capped_text_ui(ui, ("call", what.label()), t, 180.0),
                Err(e) => {
                    ui.colored_label(ui.visuals().error_fg_color, grantscope_core::text::inert(e));
                }
            }
        }
        ui.separator();
        let lt = self.lifetime();
        if let Some(exp) = lt.expires_at {
            ui.label(format!("exp {}", timefmt::rfc3339(exp)));
            if let Some(iat) = lt.issued_at {
                lifetime_bar_ui(ui, iat, exp, now);
            }
        }
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
                ui.label(grantscope_core::text::inert(alg));
            }
        });
        ui.label(egui::RichText::new(sig.shown_detail()).weak());
        if let Some(e) = &shown.key_error {
            ui.colored_label(ui.visuals().warn_fg_color, grantscope_core::text::inert(e));
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
                    ui.add(egui::Label::new(c.shown_message()).wrap());
                    ui.end_row();
                }
            });
        (call, refresh)
    }
}

/// The verification form; returns true when Enter was pressed in a field (check again).
fn verify_form_ui(ui: &mut egui::Ui, f: &mut VerifyForm) -> bool {
    let mut enter = false;
    let field_w = (ui.available_width() - 150.0).clamp(100.0, 320.0);
    egui::Grid::new("verify_grid")
        .num_columns(2)
        .show(ui, |ui| {
            for (label, value, pw) in [
                ("JWKS URL or file", &mut f.jwks, false),
                ("Shared secret (HS*)", f.secret.expose_mut(), true),
                ("Expected issuer", &mut f.issuer, false),
                ("Expected audience", &mut f.audience, false),
                ("Expected nonce", &mut f.nonce, false),
            ] {
                let l = ui.label(label);
                let r = ui
                    .add(
                        egui::TextEdit::singleline(value)
                            .password(pw)
                            .desired_width(field_w),
                    )
                    .labelled_by(l.id);
                enter |= r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
                ui.end_row();
            }
            ui.label("Token kind");
            ui.horizontal_wrapped(|ui| {
                ui.selectable_value(&mut f.kind, TokenKind::Unknown, "Unknown");
                ui.selectable_value(&mut f.kind, TokenKind::Access, "Access token");
                ui.selectable_value(&mut f.kind, TokenKind::Id, "ID token");
            });
            ui.end_row();
        });
    enter
}

/// The verdict from the report and what the server said since.
fn headline(
    ins: &Inspection,
    server: &ServerSays,
    watch_rejected: bool,
    known_exp: Option<i64>,
    now: i64,
) -> Headline {
    let h = |text, status, detail: &str| Headline {
        text,
        status,
        detail: detail.to_owned(),
    };
    if ins
        .checks
        .iter()
        .any(|c| c.id == "decode" && c.status == CheckStatus::Fail)
    {
        return h("NOT READABLE", "fail", "it does not decode");
    }
    if let Some(at) = server.revoked_at {
        return Headline {
            text: "REVOKED",
            status: "fail",
            detail: format!(
                "the server accepted its revocation at {} UTC",
                timefmt::rfc3339(at)
                    .split_once('T')
                    .map_or("", |(_, t)| t.trim_end_matches('Z'))
            ),
        };
    }
    if watch_rejected {
        return h(
            "REJECTED",
            "fail",
            "the server stopped accepting it (Watch)",
        );
    }
    let active = server
        .introspection
        .as_ref()
        .and_then(|v| v.get("active"))
        .and_then(Value::as_bool);
    if active == Some(false) {
        return h("INACTIVE", "fail", "introspection says active: false");
    }
    let exp = ins.lifetime().expires_at.or(known_exp);
    if exp.is_some_and(|e| e <= now) {
        return h("EXPIRED", "fail", "its lifetime is over");
    }
    if ins.format == TokenFormat::Opaque {
        return if active == Some(true) {
            h("ACTIVE", "pass", "opaque; introspection says active: true")
        } else {
            h("OPAQUE", "info", "the server decides: Introspect asks it")
        };
    }
    if ins.valid {
        h("VALID", "pass", "signature verified, every check passed")
    } else {
        let first = ins
            .checks
            .iter()
            .find(|c| c.status == CheckStatus::Fail)
            .map_or("the signature is not verified", |c| c.message.as_str());
        h(
            "NOT VALID",
            "fail",
            &grantscope_core::http::excerpt(first, 90),
        )
    }
}

/// Why `text` is plainly not a token, if it is not: a bearer token is one b64token (RFC 6750
/// §2.1: letters, digits, `-._~+/`, then `=` padding), with no spaces inside.
pub fn plainly_not_a_token(text: &str) -> Option<String> {
    let t = text.trim();
    if t.chars().any(char::is_whitespace) {
        return Some("it has spaces in it; a token is one word (RFC 6750 §2.1)".into());
    }
    let body = t.trim_end_matches('=');
    if let Some(c) = body
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "-._~+/".contains(*c)))
    {
        return Some(format!(
            "it has {:?} in it; tokens use letters, digits and -._~+/ only (RFC 6750 §2.1)",
            c
        ));
    }
    None
}

/// A token longer than this is shown, not edited (an edit line lays out all of it each frame).
const MAX_EDITABLE: usize = 8 * 1024;

/// The token in the jwt.io colours, cut into rows of equal length in a box of capped height;
/// only the rows in view are laid out, so a 100 KB token costs what four rows cost.
fn token_view_ui(ui: &mut egui::Ui, text: &str, colors: &JwtColors) {
    let font = egui::FontId::monospace(12.5);
    let (glyph_w, row_h) = ui
        .ctx()
        .fonts_mut(|f| (f.glyph_width(&font, '0'), f.row_height(&font)));
    let scroll = egui::ScrollArea::vertical()
        .id_salt("token_box")
        .max_height(row_h * TOKEN_BOX_ROWS + 6.0)
        .auto_shrink([false, true]);
    if !text.is_ascii() {
        // Not a token's alphabet: shown whole (plainly not a token; never large in practice).
        scroll.show(ui, |ui| {
            let job = jwt_layout_job(text, colors, ui.available_width());
            ui.add(egui::Label::new(job).selectable(true));
        });
        return;
    }
    let per_row = ((ui.available_width() - glyph_w) / glyph_w.max(1.0))
        .floor()
        .max(8.0) as usize;
    let dots: Vec<usize> = text.match_indices('.').map(|(i, _)| i).collect();
    let rows = text.len().div_ceil(per_row);
    scroll.show_rows(ui, row_h, rows, |ui, range| {
        ui.spacing_mut().item_spacing.y = 0.0;
        for r in range {
            let start = r * per_row;
            let end = (start + per_row).min(text.len());
            let job = jwt_row_job(text, start..end, &dots, colors, &font);
            ui.add(egui::Label::new(job).extend());
        }
    });
}

/// One row of the token view: the bytes `range` of an ASCII token, coloured by the part
/// (header, payload, signature) each byte is in.
fn jwt_row_job(
    text: &str,
    range: std::ops::Range<usize>,
    dots: &[usize],
    c: &JwtColors,
    font: &egui::FontId,
) -> egui::text::LayoutJob {
    let parts = dots.len() + 1;
    let color_of = |part: usize| {
        if parts < 3 {
            c.plain
        } else if part == 0 {
            c.header
        } else if part + 1 == parts {
            c.signature
        } else {
            c.payload
        }
    };
    let mut job = egui::text::LayoutJob::default();
    let mut at = range.start;
    // The part `at` is in: how many dots come before it.
    let mut part = dots.partition_point(|d| *d < at);
    while at < range.end {
        let next_dot = dots.get(part).copied().filter(|d| *d < range.end);
        match next_dot {
            Some(d) if d == at => {
                job.append(".", 0.0, egui::TextFormat::simple(font.clone(), c.plain));
                at += 1;
                part += 1;
            }
            Some(d) => {
                job.append(
                    &text[at..d],
                    0.0,
                    egui::TextFormat::simple(font.clone(), color_of(part)),
                );
                at = d;
            }
            None => {
                job.append(
                    &text[at..range.end],
                    0.0,
                    egui::TextFormat::simple(font.clone(), color_of(part)),
                );
                at = range.end;
            }
        }
    }
    job
}

/// The jwt.io colours: header red, payload purple, signature blue, dots plain.
struct JwtColors {
    header: egui::Color32,
    payload: egui::Color32,
    signature: egui::Color32,
    plain: egui::Color32,
}

impl JwtColors {
    fn for_visuals(v: &egui::Visuals) -> Self {
        if v.dark_mode {
            Self {
                header: egui::Color32::from_rgb(0xfb, 0x5b, 0x8b),
                payload: egui::Color32::from_rgb(0xd6, 0x7a, 0xff),
                signature: egui::Color32::from_rgb(0x3c, 0xc8, 0xf8),
                plain: v.text_color(),
            }
        } else {
            Self {
                header: egui::Color32::from_rgb(0xc8, 0x00, 0x48),
                payload: egui::Color32::from_rgb(0x9a, 0x1c, 0xc8),
                signature: egui::Color32::from_rgb(0x00, 0x78, 0xb0),
                plain: v.text_color(),
            }
        }
    }
}

/// The token's text laid out in the jwt.io colours, wrapping anywhere (a token has no spaces).
fn jwt_layout_job(text: &str, c: &JwtColors, wrap_width: f32) -> egui::text::LayoutJob {
    let font = egui::FontId::monospace(12.5);
    let mut job = egui::text::LayoutJob::default();
    let parts = text.split('.').count();
    let fmt = |color| egui::TextFormat::simple(font.clone(), color);
    if parts < 3 || text.chars().any(char::is_whitespace) {
        job.append(text, 0.0, fmt(c.plain));
    } else {
        for (i, part) in text.split('.').enumerate() {
            if i > 0 {
                job.append(".", 0.0, fmt(c.plain));
            }
            let color = match i {
                0 => c.header,
                n if n + 1 == parts => c.signature,
                _ => c.payload,
            };
            job.append(part, 0.0, fmt(color));
        }
    }
    job.wrap = egui::text::TextWrapping {
        max_width: wrap_width,
        break_anywhere: true,
        ..Default::default()
    };
    job
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
    if !form.secret.expose().is_empty() {
        KeySource::Secret(SharedSecret::new(form.secret.expose().as_bytes().to_vec()))
    } else if !form.jwks.trim().is_empty() {
        KeySource::from_uri_or_path(form.jwks.trim())
    } else {
        KeySource::None
    }
}

/// An observer that sends every exchange to the history as it happens.
fn history_observer(sink: &Sink<InspectorMsg>) -> grantscope_core::oauth::session::Observer {
    let sink = sink.clone();
    Arc::new(move |e| {
        if let FlowEvent::Exchange(ex) = e {
            sink.send(InspectorMsg::Exchange(ex));
        }
    })
}

async fn server_call(
    what: Call,
    prepared: connect::Prepared,
    token: String,
    sink: &Sink<InspectorMsg>,
) -> Result<CallAnswer, String> {
    let wants = match what {
        Call::Introspect => [EndpointKind::Introspection],
        Call::Revoke => [EndpointKind::Revocation],
        Call::Userinfo => [EndpointKind::Userinfo],
    };
    let Connection {
        mut session,
        config: cfg,
        ..
    } = prepared
        .connect(&wants, Some(history_observer(sink)))
        .await
        .map_err(|e| connect::describe(&e))?;
    let answer = match what {
        Call::Introspect => lifecycle::introspect(&mut session, &cfg, &token, None)
            .await
            .map(|v| CallAnswer {
                text: serde_json::to_string_pretty(&v).unwrap_or_default(),
                introspection: Some(v),
            }),
        Call::Revoke => lifecycle::revoke(&mut session, &cfg, &token, None)
            .await
            .map(|status| CallAnswer {
                text: format!("HTTP {status}: the server accepted the revocation"),
                introspection: None,
            }),
        Call::Userinfo => lifecycle::userinfo(&mut session, &cfg, &token)
            .await
            .map(|u| CallAnswer {
                text: match u {
                    lifecycle::UserInfo::Json(v) => {
                        serde_json::to_string_pretty(&v).unwrap_or_default()
                    }
                    lifecycle::UserInfo::Jwt(j) => j,
                },
                introspection: None,
            }),
    };
    answer.map_err(|e| connect::describe(&e))
}

/// Introspect / Revoke / Userinfo / Refresh. Returns the call clicked and whether Refresh was.
fn actions_ui(
    ui: &mut egui::Ui,
    have_profile: bool,
    busy: bool,
    can_refresh: bool,
) -> (Option<Call>, bool) {
    let mut call = None;
    let mut refresh = false;
    ui.horizontal_wrapped(|ui| {
        let enabled = have_profile && !busy;
        for what in [Call::Introspect, Call::Revoke, Call::Userinfo] {
            if ui
                .add_enabled(enabled, egui::Button::new(what.label()))
                .on_disabled_hover_text("Needs an active profile (Profiles screen)")
                .clicked()
            {
                call = Some(what);
            }
        }
        if ui
            .add_enabled(can_refresh, egui::Button::new("Refresh"))
            .on_hover_text(
                "Run the refresh grant with the newest refresh token of this token set and the \
                 scope first granted",
            )
            .on_disabled_hover_text("No refresh token came with this token")
            .clicked()
        {
            refresh = true;
        }
        if busy {
            ui.spinner();
        }
    });
    (call, refresh)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn countdown_formats() {
        assert_eq!(countdown(59), "0:59");
        assert_eq!(countdown(3599), "59:59");
        assert_eq!(countdown(3600), "1:00:00");
        assert_eq!(countdown(-5), "0:00");
    }

    #[test]
    fn token_rows_are_coloured_by_the_part_they_are_in() {
        let c = JwtColors::for_visuals(&egui::Visuals::dark());
        let text = "aaaa.bbbb.cccc";
        let dots: Vec<usize> = text.match_indices('.').map(|(i, _)| i).collect();
        let font = egui::FontId::monospace(12.0);
        // A row from the middle of the header to the middle of the payload.
        let job = jwt_row_job(text, 2..7, &dots, &c, &font);
        assert_eq!(job.text, "aa.bb");
        let colors: Vec<egui::Color32> = job.sections.iter().map(|s| s.format.color).collect();
        assert_eq!(colors, [c.header, c.plain, c.payload]);
        let job = jwt_row_job(text, 9..14, &dots, &c, &font);
        assert_eq!(job.text, ".cccc");
        let colors: Vec<egui::Color32> = job.sections.iter().map(|s| s.format.color).collect();
        assert_eq!(colors, [c.plain, c.signature]);
        // Not three parts: plain.
        let job = jwt_row_job("opaque", 0..6, &[], &c, &font);
        assert_eq!(job.sections[0].format.color, c.plain);
    }

    #[test]
    fn prose_is_not_a_token_but_token_alphabets_are() {
        assert!(plainly_not_a_token("hello world this is not a token").is_some());
        assert!(plainly_not_a_token("<script>").is_some());
        assert_eq!(plainly_not_a_token("eyJhbGciOi.eyJzdWIi.c2ln"), None);
        assert_eq!(plainly_not_a_token("2YotnFZFEjr1zCsicMWpAA=="), None);
        assert_eq!(plainly_not_a_token("  trimmed-opaque~token+/  "), None);
    }

    fn opaque() -> Inspection {
        grantscope_core::token::inspect_with_keys(
            "2YotnFZFEjr1zCsicMWpAA",
            &Default::default(),
            &InspectOptions::default(),
            1_000,
        )
    }

    #[test]
    fn an_opaque_token_is_neutral_until_the_server_speaks() {
        let ins = opaque();
        assert_eq!(ins.format, TokenFormat::Opaque);
        let mut server = ServerSays::default();
        let h = headline(&ins, &server, false, None, 1_000);
        assert_eq!((h.text, h.status), ("OPAQUE", "info"));
        server.introspection = Some(serde_json::json!({"active": true, "exp": 1_060}));
        assert_eq!(
            headline(&ins, &server, false, Some(1_060), 1_000).text,
            "ACTIVE"
        );
        assert_eq!(
            headline(&ins, &server, false, Some(1_060), 1_061).text,
            "EXPIRED"
        );
        server.revoked_at = Some(1_010);
        assert_eq!(
            headline(&ins, &server, false, Some(1_060), 1_020).text,
            "REVOKED"
        );
        server.revoked_at = None;
        assert_eq!(headline(&ins, &server, true, None, 1_020).text, "REJECTED");
    }
}
