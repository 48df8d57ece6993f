//! The flow runner screen: a grant's form, Run and Cancel, and a live sequence diagram
//! (user-agent, client, authorization server, resource server) whose arrows appear as the engine
//! reports its steps. Each exchange expands to its raw request and response with "copy as curl";
//! secrets stay masked unless revealed.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use egui::{Align2, Color32, FontId, Pos2, Rect, Sense, Stroke, Vec2};
use url::Url;

use super::events::Event;
use super::worker::{EventSink, Worker};
use crate::http::Exchange;
use crate::oauth::grants::authorization_code::RedirectSource;
use crate::oauth::grants::{self, GrantKind, TokenSuccess};
use crate::oauth::{ClientConfig, FlowError, FlowEvent};
use crate::profile::Profile;

use super::profiles::SANDBOX_PROFILE;

/// Puts the sandbox's seeded client for `grant` into the sandbox profile (other profiles are left
/// alone): the machine client for client credentials, the public native client otherwise.
pub fn sandbox_client_for(grant: GrantKind, p: &mut Profile) {
    if p.name != SANDBOX_PROFILE {
        return;
    }
    let kind = grant.grant_type();
    let client = crate::sandbox::seeded_clients()
        .iter()
        .find(|c| {
            c.grant_types.contains(&kind)
                && (c.secret.is_none() || grant == GrantKind::ClientCredentials)
        })
        .or_else(|| crate::sandbox::seeded_clients().first());
    if let Some(c) = client {
        p.client_id = c.id.to_owned();
        p.client_secret = c.secret.map(Into::into);
        p.auth_method = if c.secret.is_none() {
            Some(crate::oauth::AuthMethod::None)
        } else {
            None
        };
        let scope = if grant == GrantKind::AuthorizationCode || grant == GrantKind::DeviceCode {
            "openid profile offline_access"
        } else {
            c.default_scope
        };
        p.scope = Some(scope.to_owned());
    }
}

/// The redirect URI registered for the sandbox profile's seeded client (`None` for other
/// profiles), used when the redirect is pasted by hand.
fn sandbox_registered_redirect(p: &Profile) -> Option<Url> {
    if p.name != SANDBOX_PROFILE {
        return None;
    }
    let client = crate::sandbox::seeded_clients()
        .iter()
        .find(|c| c.id == p.client_id)?;
    client
        .redirect_uris
        .first()
        .and_then(|u| Url::parse(u).ok())
}

/// Messages from a running flow.
#[derive(Debug)]
pub enum FlowMsg {
    /// A step happened.
    Progress {
        /// Which run (a cancelled run's late events are ignored).
        run: u64,
        /// What happened.
        event: FlowEvent,
    },
    /// The flow finished.
    Done {
        /// Which run.
        run: u64,
        /// Tokens, or what went wrong.
        result: Result<Box<TokenSuccess>, FlowFailure>,
        /// The effective configuration (after discovery), for inspecting the tokens.
        config: Box<ClientConfig>,
    },
}

/// A failed flow, as shown: the message and, for OAuth errors, the code and its hint.
#[derive(Debug, Clone)]
pub struct FlowFailure {
    /// The error's text.
    pub message: String,
    /// The OAuth error code and the hint for it.
    pub oauth: Option<(String, &'static str)>,
}

impl From<&FlowError> for FlowFailure {
    fn from(e: &FlowError) -> Self {
        let oauth = match e {
            FlowError::OAuth { error, .. } | FlowError::AuthorizationDenied { error } => {
                Some((error.error.clone(), error.hint()))
            }
            _ => None,
        };
        Self {
            message: e.to_string(),
            oauth,
        }
    }
}

/// What the flow runner asks the app to do.
#[must_use]
#[derive(Debug, Clone, PartialEq)]
pub enum FlowCommand {
    /// Run the flow (the app first starts the sandbox when the profile needs it).
    Run,
    /// Open this token in the inspector.
    Inspect(String),
}

/// The grant-specific inputs that are not part of a profile.
#[derive(Debug, Clone)]
pub struct GrantInputs {
    /// For the refresh grant.
    pub refresh_token: String,
    /// For the password grant.
    pub username: String,
    /// For the password grant.
    pub password: String,
    /// Authorization code: open the system browser (off: show the URL to open by hand).
    pub open_browser: bool,
    /// Authorization code: paste the redirect URL instead of the loopback listener.
    pub paste_redirect: bool,
    /// Authorization code / device: how long to wait for the user.
    pub wait_secs: u64,
}

impl Default for GrantInputs {
    fn default() -> Self {
        Self {
            refresh_token: String::new(),
            username: String::new(),
            password: String::new(),
            open_browser: true,
            paste_redirect: false,
            wait_secs: 300,
        }
    }
}

/// One running or finished flow.
pub struct FlowRun {
    id: u64,
    grant: GrantKind,
    events: Vec<FlowEvent>,
    exchanges: Vec<Exchange>,
    result: Option<Result<Box<TokenSuccess>, FlowFailure>>,
    abort: Option<tokio::task::AbortHandle>,
    paste_tx: Option<tokio::sync::oneshot::Sender<String>>,
    pasted: String,
    open: BTreeSet<usize>,
    config: Option<Box<ClientConfig>>,
}

impl FlowRun {
    /// Whether the flow is still going.
    pub fn running(&self) -> bool {
        self.result.is_none()
    }

    /// The tokens, when the flow succeeded.
    pub fn success(&self) -> Option<&TokenSuccess> {
        match &self.result {
            Some(Ok(s)) => Some(s),
            _ => None,
        }
    }

    /// The configuration the flow ran with (after discovery).
    pub fn config(&self) -> Option<&ClientConfig> {
        self.config.as_deref()
    }

    /// The authorization URL the user must open, if the flow gave one.
    pub fn authorize_url(&self) -> Option<&str> {
        self.events.iter().rev().find_map(|e| match e {
            FlowEvent::Authorize { url, .. } => Some(url.as_str()),
            _ => None,
        })
    }
}

/// The flow runner's state (runtime only; the form is filled from the active profile).
pub struct FlowScreen {
    /// The grant to run.
    pub grant: GrantKind,
    /// The connection being used (a copy of the active profile, editable here).
    pub profile: Profile,
    /// Grant-specific inputs.
    pub inputs: GrantInputs,
    /// Show secrets in the exchanges.
    pub reveal: bool,
    run: Option<FlowRun>,
    next_id: u64,
    /// A form error shown under Run.
    form_error: Option<String>,
}

impl Default for FlowScreen {
    fn default() -> Self {
        Self {
            grant: GrantKind::ClientCredentials,
            profile: Profile::new("unsaved"),
            inputs: GrantInputs::default(),
            reveal: false,
            run: None,
            next_id: 1,
            form_error: None,
        }
    }
}

/// Maps the wizard's grant to the engine's; `None` for implicit, which grantscope does not run.
pub fn grant_kind(g: crate::wizard::Grant) -> Option<GrantKind> {
    use crate::wizard::Grant;
    match g {
        Grant::RefreshToken => Some(GrantKind::RefreshToken),
        Grant::ClientCredentials => Some(GrantKind::ClientCredentials),
        Grant::AuthorizationCode => Some(GrantKind::AuthorizationCode),
        Grant::DeviceCode => Some(GrantKind::DeviceCode),
        Grant::Password => Some(GrantKind::Password),
        Grant::Implicit => None,
    }
}

impl FlowScreen {
    /// Selects `grant` and fills the form from `profile` (the sandbox profile gets the seeded
    /// client that can run this grant).
    pub fn prefill(&mut self, grant: GrantKind, profile: Option<Profile>) {
        self.grant = grant;
        if let Some(p) = profile {
            self.profile = p;
        }
        sandbox_client_for(grant, &mut self.profile);
        self.form_error = None;
    }

    /// The current (or last) run.
    pub fn run(&self) -> Option<&FlowRun> {
        self.run.as_ref()
    }

    /// Handles a message from the worker.
    pub fn on_message(&mut self, msg: FlowMsg) -> Vec<Exchange> {
        let mut finished = Vec::new();
        match msg {
            FlowMsg::Progress { run, event } => {
                if let Some(r) = self.run.as_mut().filter(|r| r.id == run) {
                    if let FlowEvent::Exchange(ex) = &event {
                        r.exchanges.push((**ex).clone());
                        finished.push((**ex).clone());
                    }
                    r.events.push(event);
                }
            }
            FlowMsg::Done {
                run,
                result,
                config,
            } => {
                if let Some(r) = self.run.as_mut().filter(|r| r.id == run) {
                    r.result = Some(result);
                    r.abort = None;
                    r.paste_tx = None;
                    r.config = Some(config);
                }
            }
        }
        finished
    }

    /// Starts the flow on the worker.
    pub fn start(&mut self, worker: &Worker) {
        self.form_error = None;
        let mut cfg = match self.profile.client_config() {
            Ok(c) => c,
            Err(e) => {
                self.form_error = Some(e.to_string());
                return;
            }
        };
        if self.grant == GrantKind::AuthorizationCode
            && self.inputs.paste_redirect
            && cfg.redirect_uri.is_none()
        {
            // Pasting needs a redirect URI the server has registered (no loopback port to pick).
            match sandbox_registered_redirect(&self.profile) {
                Some(u) => cfg.redirect_uri = Some(u),
                None => {
                    self.form_error = Some(
                        "Pasting the redirect URL needs the redirect URI registered for this \
                         client at the server: fill in Redirect URI."
                            .into(),
                    );
                    return;
                }
            }
        }
        // The profile as run: the form's settings with the redirect URI chosen above.
        let mut profile = self.profile.clone();
        profile.redirect_uri = cfg.redirect_uri.as_ref().map(|u| u.to_string());
        let id = self.next_id;
        self.next_id += 1;
        let grant = self.grant;
        let inputs = self.inputs.clone();
        let (paste_tx, paste_rx) = if grant == GrantKind::AuthorizationCode && inputs.paste_redirect
        {
            let (tx, rx) = tokio::sync::oneshot::channel();
            (Some(tx), Some(rx))
        } else {
            (None, None)
        };
        let sink = worker.sink();
        let abort = worker.spawn(async move {
            let (result, config) = run_flow(id, grant, profile, cfg, inputs, paste_rx, sink).await;
            Event::Flow(FlowMsg::Done {
                run: id,
                result: result.map(Box::new).map_err(|e| FlowFailure::from(&e)),
                config: Box::new(config),
            })
        });
        self.run = Some(FlowRun {
            id,
            grant,
            events: Vec::new(),
            exchanges: Vec::new(),
            result: None,
            abort: Some(abort),
            paste_tx,
            pasted: String::new(),
            open: BTreeSet::new(),
            config: None,
        });
    }

    /// Cancels the running flow (its listener and requests are dropped).
    pub fn cancel(&mut self) {
        if let Some(r) = self.run.as_mut().filter(|r| r.running()) {
            if let Some(a) = r.abort.take() {
                a.abort();
            }
            r.paste_tx = None;
            r.result = Some(Err(FlowFailure {
                message: "cancelled".into(),
                oauth: None,
            }));
        }
    }

    /// Draws the screen.
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        _worker: &Worker,
        profiles: &[Profile],
    ) -> Option<FlowCommand> {
        let mut command = None;
        egui::Panel::left("flow_form")
            .resizable(true)
            .default_size(340.0)
            .show(ui, |ui| {
                egui::ScrollArea::vertical().show(ui, |ui| {
                    command = self.form_ui(ui, profiles);
                });
            });
        egui::CentralPanel::default().show(ui, |ui| {
            egui::ScrollArea::vertical().show(ui, |ui| {
                if let Some(c) = self.run_ui(ui) {
                    command = Some(c);
                }
            });
        });
        command
    }

    fn form_ui(&mut self, ui: &mut egui::Ui, profiles: &[Profile]) -> Option<FlowCommand> {
        let mut command = None;
        let before = (self.grant, self.profile.name.clone());
        ui.heading("Flow runner");
        egui::ComboBox::from_label("Grant")
            .selected_text(self.grant.title())
            .show_ui(ui, |ui| {
                for g in GrantKind::ALL {
                    ui.selectable_value(&mut self.grant, g, g.title());
                }
            });
        if self.grant.deprecated() {
            ui.colored_label(ui.visuals().warn_fg_color, grants::password::DEPRECATION);
        }
        egui::ComboBox::from_label("Profile")
            .selected_text(self.profile.name.clone())
            .show_ui(ui, |ui| {
                for p in profiles {
                    if ui
                        .selectable_label(p.name == self.profile.name, &p.name)
                        .clicked()
                    {
                        self.profile = p.clone();
                    }
                }
            });
        if (self.grant, self.profile.name.clone()) != before {
            sandbox_client_for(self.grant, &mut self.profile);
        }
        if self.profile.name == SANDBOX_PROFILE && self.profile.issuer.is_none() {
            ui.label(egui::RichText::new("The built-in sandbox starts when you press Run.").weak());
        }
        ui.separator();
        let p = &mut self.profile;
        egui::Grid::new("flow_form_grid")
            .num_columns(2)
            .show(ui, |ui| {
                opt_field(ui, "Issuer", &mut p.issuer);
                if self.grant == GrantKind::AuthorizationCode {
                    opt_field(ui, "Authorization endpoint", &mut p.authorization_endpoint);
                }
                opt_field(ui, "Token endpoint", &mut p.token_endpoint);
                if self.grant == GrantKind::DeviceCode {
                    opt_field(ui, "Device endpoint", &mut p.device_authorization_endpoint);
                }
                text_field(ui, "Client ID", &mut p.client_id, false);
                let mut secret = p
                    .client_secret
                    .clone()
                    .map(|s| s.into_exposed())
                    .unwrap_or_default();
                if text_field(ui, "Client secret", &mut secret, !self.reveal) {
                    p.client_secret = (!secret.is_empty()).then(|| secret.into());
                }
                opt_field(ui, "Scope", &mut p.scope);
                opt_field(ui, "Audience", &mut p.audience);
                if self.grant == GrantKind::AuthorizationCode {
                    opt_field(ui, "Redirect URI", &mut p.redirect_uri);
                }
                match self.grant {
                    GrantKind::RefreshToken => {
                        text_field(
                            ui,
                            "Refresh token",
                            &mut self.inputs.refresh_token,
                            !self.reveal,
                        );
                    }
                    GrantKind::Password => {
                        text_field(ui, "Username", &mut self.inputs.username, false);
                        text_field(ui, "Password", &mut self.inputs.password, !self.reveal);
                    }
                    _ => {}
                }
            });
        if self.grant == GrantKind::AuthorizationCode {
            ui.checkbox(&mut self.inputs.open_browser, "Open the system browser");
            ui.checkbox(
                &mut self.inputs.paste_redirect,
                "Paste the redirect URL by hand",
            );
        }
        ui.checkbox(&mut self.reveal, "Reveal secrets");
        ui.add_space(8.0);
        ui.horizontal(|ui| {
            let running = self.run.as_ref().is_some_and(FlowRun::running);
            if ui.add_enabled(!running, egui::Button::new("Run")).clicked() {
                command = Some(FlowCommand::Run);
            }
            if ui
                .add_enabled(running, egui::Button::new("Cancel"))
                .clicked()
            {
                self.cancel();
            }
            if running {
                ui.spinner();
            }
        });
        if let Some(e) = &self.form_error {
            ui.colored_label(ui.visuals().error_fg_color, e);
        }
        command
    }

    fn run_ui(&mut self, ui: &mut egui::Ui) -> Option<FlowCommand> {
        let mut command = None;
        let reveal = self.reveal;
        let Some(run) = self.run.as_mut() else {
            ui.label(format!(
                "{}: fill in the connection on the left and press Run. Every request and \
                 response will appear here as a sequence diagram.",
                self.grant.title()
            ));
            return None;
        };
        ui.heading(run.grant.title());
        if let Some(clicked) = sequence_ui(ui, &run.events, &run.exchanges)
            && !run.open.remove(&clicked)
        {
            run.open.insert(clicked);
        }

        // What the user must do now.
        if run.running() {
            if let Some(url) = run.authorize_url().map(str::to_owned) {
                ui.horizontal_wrapped(|ui| {
                    ui.label("Open this URL in a browser to sign in:");
                    ui.hyperlink_to(shorten(&url, 80), &url);
                    if ui.small_button("Copy URL").clicked() {
                        ui.ctx().copy_text(url.clone());
                    }
                });
            }
            for ev in &run.events {
                if let FlowEvent::DeviceCode {
                    verification_uri,
                    user_code,
                    ..
                } = ev
                {
                    ui.label(
                        egui::RichText::new(format!(
                            "Go to {verification_uri} and enter {user_code}"
                        ))
                        .strong(),
                    );
                }
            }
            if run.paste_tx.is_some() {
                ui.horizontal(|ui| {
                    let l = ui.label("Redirect URL");
                    ui.add(
                        egui::TextEdit::singleline(&mut run.pasted)
                            .hint_text("Paste the redirect URL from the browser's address bar"),
                    )
                    .labelled_by(l.id);
                    if ui.button("Continue").clicked()
                        && let Some(tx) = run.paste_tx.take()
                    {
                        let _ = tx.send(std::mem::take(&mut run.pasted));
                    }
                });
            }
        }

        match &run.result {
            Some(Ok(s)) => {
                ui.colored_label(
                    super::widgets::status_color(ui.visuals(), "pass"),
                    "Tokens received",
                );
                if let Some(rot) = s.refresh_rotated {
                    ui.label(if rot {
                        "The server rotated the refresh token."
                    } else {
                        "The server did NOT rotate the refresh token."
                    });
                }
                ui.horizontal_wrapped(|ui| {
                    if ui.button("Inspect access token").clicked() {
                        command = Some(FlowCommand::Inspect(
                            s.tokens.access_token.expose().to_string(),
                        ));
                    }
                    if let Some(id) = &s.tokens.id_token
                        && ui.button("Inspect ID token").clicked()
                    {
                        command = Some(FlowCommand::Inspect(id.expose().to_string()));
                    }
                });
                let shown = if reveal {
                    serde_json::to_string_pretty(&s.raw).unwrap_or_default()
                } else {
                    mask_token_response(&s.raw)
                };
                ui.add(egui::Label::new(egui::RichText::new(shown).monospace()).wrap());
            }
            Some(Err(f)) => {
                ui.colored_label(ui.visuals().error_fg_color, &f.message);
                if let Some((code, hint)) = &f.oauth {
                    ui.label(format!("{code}: {hint}"));
                }
            }
            None => {}
        }

        ui.separator();
        ui.label(egui::RichText::new("Exchanges").strong());
        for (i, ex) in run.exchanges.iter().enumerate() {
            let title = format!("{}. {}", i + 1, exchange_title(ex));
            let open = run.open.contains(&i);
            let resp = egui::CollapsingHeader::new(title)
                .id_salt(("exchange", run.id, i))
                .open(Some(open))
                .show(ui, |ui| exchange_ui(ui, ex, reveal));
            if resp.header_response.clicked() {
                if open {
                    run.open.remove(&i);
                } else {
                    run.open.insert(i);
                }
            }
        }
        command
    }
}

fn text_field(ui: &mut egui::Ui, label: &str, value: &mut String, password: bool) -> bool {
    let l = ui.label(label);
    let changed = ui
        .add(
            egui::TextEdit::singleline(value)
                .password(password)
                .desired_width(200.0),
        )
        .labelled_by(l.id)
        .changed();
    ui.end_row();
    changed
}

fn opt_field(ui: &mut egui::Ui, label: &str, value: &mut Option<String>) {
    let mut s = value.clone().unwrap_or_default();
    if text_field(ui, label, &mut s, false) {
        *value = (!s.trim().is_empty()).then_some(s);
    }
}

fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        format!("{}...", s.chars().take(max).collect::<String>())
    }
}

/// The token response with its token values masked.
fn mask_token_response(raw: &serde_json::Value) -> String {
    let mut v = raw.clone();
    if let Some(obj) = v.as_object_mut() {
        for key in ["access_token", "refresh_token", "id_token"] {
            if let Some(serde_json::Value::String(s)) = obj.get_mut(key) {
                let keep: String = s.chars().take(8).collect();
                *s = format!("{keep}{}", crate::http::MASK);
            }
        }
    }
    serde_json::to_string_pretty(&v).unwrap_or_default()
}

/// A one-line title for an exchange: step, method, host and path (never the query, which may
/// hold a code), status and time.
pub fn exchange_title(ex: &Exchange) -> String {
    let target = Url::parse(&ex.request_view(false).url)
        .map(|u| {
            let port = u.port().map(|p| format!(":{p}")).unwrap_or_default();
            format!("{}{port}{}", u.host_str().unwrap_or(""), u.path())
        })
        .unwrap_or_default();
    format!(
        "{}: {} {}  ->  {}",
        ex.step,
        ex.method(),
        target,
        ex.summary()
    )
}

/// One exchange, raw, masked unless `reveal`, with "Copy as curl".
pub fn exchange_ui(ui: &mut egui::Ui, ex: &Exchange, reveal: bool) {
    let req = ex.request_view(reveal);
    let mut text = format!("{} {}\n", req.method, req.url);
    for (k, v) in &req.headers {
        text.push_str(&format!("{k}: {v}\n"));
    }
    if let Some(b) = &req.body {
        text.push_str(&format!("\n{b}\n"));
    }
    ui.label(egui::RichText::new("Request").strong());
    ui.add(egui::Label::new(egui::RichText::new(text).monospace()).wrap());
    ui.label(egui::RichText::new(format!("Response ({} ms)", ex.elapsed_ms)).strong());
    match ex.response_view(reveal) {
        Some(r) => {
            let mut text = format!("HTTP {}\n", r.status);
            for (k, v) in &r.headers {
                text.push_str(&format!("{k}: {v}\n"));
            }
            text.push('\n');
            text.push_str(&r.body);
            ui.add(egui::Label::new(egui::RichText::new(text).monospace()).wrap());
        }
        None => {
            ui.colored_label(
                ui.visuals().error_fg_color,
                ex.error_view(reveal).as_deref().unwrap_or("no response"),
            );
        }
    }
    if ui.button("Copy as curl").clicked() {
        ui.ctx().copy_text(ex.to_curl(reveal));
    }
}

/// Runs one grant end to end through the core's one way in (connect, then the grant
/// registry's dispatch) and reports each step.
async fn run_flow(
    id: u64,
    grant: GrantKind,
    profile: Profile,
    cfg: ClientConfig,
    inputs: GrantInputs,
    paste_rx: Option<tokio::sync::oneshot::Receiver<String>>,
    sink: EventSink,
) -> (Result<TokenSuccess, FlowError>, ClientConfig) {
    let observer: crate::oauth::session::Observer = Arc::new(move |event| {
        sink.send(Event::Flow(FlowMsg::Progress { run: id, event }));
    });
    let mut conn = match crate::oauth::connect(&profile, grant.endpoints(), Some(observer)).await {
        Ok(c) => c,
        Err(e) => return (Err(e), cfg),
    };
    let wait = Duration::from_secs(inputs.wait_secs.max(1));
    let redirect = (grant == GrantKind::AuthorizationCode).then(|| match paste_rx {
        Some(rx) => RedirectSource::Paste(rx),
        None => RedirectSource::Loopback {
            open_browser: inputs.open_browser,
            timeout: wait,
        },
    });
    let core_inputs = grants::GrantInputs {
        refresh_token: Some(inputs.refresh_token.clone().into()),
        username: Some(inputs.username.clone()),
        password: Some(inputs.password.clone().into()),
        redirect,
        wait: Some(wait),
        ..grants::GrantInputs::default()
    };
    let outcome = grants::run(grant, &mut conn, core_inputs).await;
    (outcome.result, conn.config)
}

// ---- the sequence diagram ----------------------------------------------------------------

const LANES: [&str; 4] = [
    "User-agent",
    "Client (grantscope)",
    "Authorization server",
    "Resource server",
];
const UA: usize = 0;
const CLIENT: usize = 1;
const AS: usize = 2;
const RS: usize = 3;

/// One row of the sequence diagram.
#[derive(Debug, Clone, PartialEq)]
pub struct Arrow {
    /// Lane index of the sender.
    pub from: usize,
    /// Lane index of the receiver; equal to `from` for a note.
    pub to: usize,
    /// The text on the arrow.
    pub label: String,
    /// The exchange this arrow belongs to.
    pub exchange: Option<usize>,
    /// A failed response.
    pub error: bool,
}

/// Turns the engine's events into diagram rows, in order.
pub fn arrows(events: &[FlowEvent]) -> Vec<Arrow> {
    let mut out = Vec::new();
    let mut ex_index = 0;
    let arrow = |from, to, label: String, exchange, error| Arrow {
        from,
        to,
        label,
        exchange,
        error,
    };
    for ev in events {
        match ev {
            FlowEvent::Started { .. } => {}
            FlowEvent::Exchange(ex) => {
                let step = ex.step.to_ascii_lowercase();
                let target = if step.contains("userinfo")
                    || step.contains("resource")
                    || step.contains("api")
                {
                    RS
                } else {
                    AS
                };
                let url = ex.request_view(false).url;
                let path = Url::parse(&url).map(|u| u.path().to_owned()).unwrap_or(url);
                out.push(arrow(
                    CLIENT,
                    target,
                    format!("{} {}  ({})", ex.method(), path, ex.step),
                    Some(ex_index),
                    false,
                ));
                match ex.status() {
                    Some(status) => out.push(arrow(
                        target,
                        CLIENT,
                        format!("HTTP {status}  ({} ms)", ex.elapsed_ms),
                        Some(ex_index),
                        status >= 400,
                    )),
                    None => out.push(arrow(
                        target,
                        CLIENT,
                        ex.error_view(false).unwrap_or_else(|| "no response".into()),
                        Some(ex_index),
                        true,
                    )),
                }
                ex_index += 1;
            }
            FlowEvent::Authorize { opened, .. } => {
                let how = if *opened {
                    "opens the browser"
                } else {
                    "shows the URL to open"
                };
                out.push(arrow(
                    CLIENT,
                    UA,
                    format!("{how}: authorization request"),
                    None,
                    false,
                ));
                out.push(arrow(
                    UA,
                    AS,
                    "GET /authorize (user signs in, consents)".into(),
                    None,
                    false,
                ));
            }
            FlowEvent::WaitingForRedirect { redirect_uri } => {
                out.push(arrow(
                    CLIENT,
                    CLIENT,
                    format!("listening on {redirect_uri}"),
                    None,
                    false,
                ));
            }
            FlowEvent::RedirectReceived { .. } => {
                out.push(arrow(
                    AS,
                    UA,
                    "302 redirect with code and state".into(),
                    None,
                    false,
                ));
                out.push(arrow(
                    UA,
                    CLIENT,
                    "GET /callback?code=...&state=...".into(),
                    None,
                    false,
                ));
            }
            FlowEvent::DeviceCode {
                verification_uri,
                user_code,
                ..
            } => {
                out.push(arrow(
                    CLIENT,
                    UA,
                    format!("show: go to {verification_uri}, code {user_code}"),
                    None,
                    false,
                ));
                out.push(arrow(
                    UA,
                    AS,
                    "user enters the code and approves".into(),
                    None,
                    false,
                ));
            }
            FlowEvent::Polling { attempt, interval } => {
                out.push(arrow(
                    CLIENT,
                    CLIENT,
                    format!("poll #{attempt} in {interval} s"),
                    None,
                    false,
                ));
            }
            FlowEvent::Note(text) => out.push(arrow(CLIENT, CLIENT, text.clone(), None, false)),
        }
    }
    out
}

/// Paints the sequence diagram; returns the exchange index of a clicked arrow.
fn sequence_ui(ui: &mut egui::Ui, events: &[FlowEvent], _exchanges: &[Exchange]) -> Option<usize> {
    let rows = arrows(events);
    let width = ui.available_width().max(520.0);
    let header_h = 34.0;
    let row_h = 30.0;
    let height = header_h + 12.0 + row_h * rows.len().max(1) as f32;
    let (rect, _) = ui.allocate_exact_size(Vec2::new(width, height), Sense::hover());
    let painter = ui.painter_at(rect);
    let v = ui.visuals().clone();
    let lane_w = width / LANES.len() as f32;
    let lane_x = |i: usize| rect.left() + lane_w * (i as f32 + 0.5);
    let line = Stroke::new(1.0, v.weak_text_color());
    for (i, name) in LANES.iter().enumerate() {
        let head = Rect::from_center_size(
            Pos2::new(lane_x(i), rect.top() + header_h / 2.0),
            Vec2::new(lane_w - 16.0, header_h - 6.0),
        );
        painter.rect(
            head,
            5.0,
            v.widgets.inactive.weak_bg_fill,
            Stroke::new(1.0, v.widgets.noninteractive.bg_stroke.color),
            egui::StrokeKind::Inside,
        );
        painter.text(
            head.center(),
            Align2::CENTER_CENTER,
            *name,
            FontId::proportional(13.0),
            v.strong_text_color(),
        );
        painter.line_segment(
            [
                Pos2::new(lane_x(i), head.bottom()),
                Pos2::new(lane_x(i), rect.bottom()),
            ],
            line,
        );
    }
    let mut clicked = None;
    for (k, a) in rows.iter().enumerate() {
        let y = rect.top() + header_h + 12.0 + row_h * (k as f32 + 0.6);
        let color = if a.error {
            v.error_fg_color
        } else if a.exchange.is_some() {
            v.hyperlink_color
        } else {
            v.text_color()
        };
        let font = FontId::proportional(12.0);
        if a.from == a.to {
            let x = lane_x(a.from);
            painter.circle_filled(Pos2::new(x, y), 3.0, color);
            painter.text(
                Pos2::new(x + 8.0, y),
                Align2::LEFT_CENTER,
                &a.label,
                font,
                color,
            );
            continue;
        }
        let (x0, x1) = (lane_x(a.from), lane_x(a.to));
        let stroke = Stroke::new(1.6, color);
        painter.line_segment([Pos2::new(x0, y), Pos2::new(x1, y)], stroke);
        let dir = (x1 - x0).signum();
        let tip = Pos2::new(x1, y);
        painter.add(egui::Shape::convex_polygon(
            vec![
                tip,
                Pos2::new(x1 - dir * 9.0, y - 4.5),
                Pos2::new(x1 - dir * 9.0, y + 4.5),
            ],
            color,
            Stroke::NONE,
        ));
        let mid = Pos2::new((x0 + x1) / 2.0, y - 3.0);
        painter.text(mid, Align2::CENTER_BOTTOM, &a.label, font, color);
        if let Some(ex) = a.exchange {
            let hit =
                Rect::from_x_y_ranges(x0.min(x1)..=x0.max(x1), (y - row_h * 0.55)..=(y + 4.0));
            let resp = ui
                .interact(hit, egui::Id::unique(("seq_arrow", k)), Sense::click())
                .on_hover_text("Show this exchange");
            resp.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, &a.label));
            if resp.clicked() {
                clicked = Some(ex);
            }
        }
    }
    if rows.is_empty() {
        painter.text(
            Pos2::new(rect.center().x, rect.top() + header_h + 20.0),
            Align2::CENTER_CENTER,
            "starting...",
            FontId::proportional(12.0),
            Color32::GRAY,
        );
    }
    clicked
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn authorization_code_events_become_arrows_between_the_right_lanes() {
        let events = vec![
            FlowEvent::Authorize {
                url: "http://127.0.0.1:1/authorize".into(),
                opened: false,
            },
            FlowEvent::WaitingForRedirect {
                redirect_uri: "http://127.0.0.1:2/callback".into(),
            },
            FlowEvent::RedirectReceived {
                url: "http://127.0.0.1:2/callback?code=x".into(),
            },
        ];
        let a = arrows(&events);
        let lanes: Vec<(usize, usize)> = a.iter().map(|a| (a.from, a.to)).collect();
        assert_eq!(
            lanes,
            vec![
                (CLIENT, UA),
                (UA, AS),
                (CLIENT, CLIENT),
                (AS, UA),
                (UA, CLIENT)
            ]
        );
        assert!(a.iter().all(|a| a.exchange.is_none()));
    }

    #[test]
    fn pasting_uses_the_sandbox_clients_registered_redirect_only() {
        let mut p = Profile::new(SANDBOX_PROFILE);
        sandbox_client_for(GrantKind::AuthorizationCode, &mut p);
        assert_eq!(
            sandbox_registered_redirect(&p).map(String::from),
            Some("http://127.0.0.1/callback".to_owned())
        );
        let mut other = p.clone();
        other.name = "my provider".into();
        assert_eq!(sandbox_registered_redirect(&other), None);
    }

    #[test]
    fn shorten_keeps_short_text() {
        assert_eq!(shorten("abc", 5), "abc");
        assert_eq!(shorten("abcdef", 3), "abc...");
    }
}
