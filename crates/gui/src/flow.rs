//! The flow runner screen: a grant's form, Run and Cancel, and a live sequence diagram
//! (see [`super::sequence`]) whose arrows appear as the engine reports its steps. Each exchange
//! expands to its raw request and response (see [`super::exchange_view`]). The form is a copy of
//! the app's active profile; the screen keeps the token set of its runs, so the refresh form
//! holds the newest refresh token and the scope first granted. What the user must do during a
//! run (open a URL, enter a device code) stays pinned above the scrolling results. Step mode,
//! the replays and the presenter view are [`super::step_panel`]'s; this screen hands them the
//! run's messages and places them.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use url::Url;

use super::connect::{self, Prepared};
use super::exchange_view::{ExchangeView, exchange_ui, mask_token_response, shorten};
use super::layout::{self, Width};
use super::sequence::sequence_ui;
use super::step_panel::{self, Replays, StepMode, StepMsg};
use super::worker::{Jobs, Sink};
use grantscope_core::http::Exchange;
use grantscope_core::oauth::grants::authorization_code::RedirectSource;
use grantscope_core::oauth::grants::{self, GrantKind, TokenSuccess};
use grantscope_core::oauth::{ClientConfig, FlowError, FlowEvent};
use grantscope_core::profile::Profile;
use grantscope_core::secret::{ClientSecret, Password, RefreshToken};
use grantscope_core::token::{InspectOptions, TokenKind};

use super::profiles::SANDBOX_PROFILE;

/// Puts the sandbox's seeded client for `grant` into the sandbox profile (other profiles are left
/// alone): the machine client for client credentials, the public native client otherwise.
pub fn sandbox_client_for(grant: GrantKind, p: &mut Profile) {
    if p.name != SANDBOX_PROFILE {
        return;
    }
    let client = grantscope_sandbox::seeded_clients()
        .iter()
        .find(|c| {
            c.allows_grant(grant) && (c.secret.is_none() || grant == GrantKind::ClientCredentials)
        })
        .or_else(|| grantscope_sandbox::seeded_clients().first());
    if let Some(c) = client {
        p.client_id = c.id.to_owned();
        p.client_secret = c.secret.map(Into::into);
        p.auth_method = if c.secret.is_none() {
            Some(grantscope_core::oauth::AuthMethod::None)
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
    let client = grantscope_sandbox::seeded_clients()
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
        /// The configuration used (endpoints after discovery), for inspecting the tokens.
        config: Option<Box<ClientConfig>>,
        /// The DPoP key the tokens are bound to (API calls prove possession of it).
        dpop: Option<Arc<grantscope_core::oauth::dpop::DpopState>>,
    },
    /// Step mode and replays.
    Step(StepMsg),
    /// A "Call an API" request finished (its exchange came as the run's progress).
    CallDone(super::call::CallDone),
}

/// A failed flow, as shown: the message and, for OAuth errors, the code and its hint (once).
#[derive(Debug, Clone)]
pub struct FlowFailure {
    /// The error's text, worded for this window's fields.
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
        let mut message = connect::describe(e);
        if oauth.is_some()
            && let Some(cut) = message.find(". Hint: ")
        {
            // The hint has a line of its own below.
            message.truncate(cut);
        }
        Self { message, oauth }
    }
}

/// A token the flow obtained, with what the app knows about it, for the inspector.
#[derive(Clone)]
pub struct InspectRequest {
    /// The token.
    pub token: String,
    /// The profile the flow ran with (server calls on the token use its client).
    pub profile: Profile,
    /// The JWKS the flow's server announced.
    pub jwks_uri: Option<String>,
    /// The checks the core sets for a token received from this client's token endpoint
    /// (expected issuer, the client id as `aud`/`azp`, the nonce sent, `at_hash`, `c_hash`).
    pub options: InspectOptions,
    /// An HS* ID token is verified with the client secret (OIDC Core §10.1).
    pub hs_secret: Option<ClientSecret>,
    /// When the token expires by the token response's `expires_in` (unix seconds).
    pub expires_at: Option<i64>,
    /// The refresh token that came with it (the newest of the token set).
    pub refresh_token: Option<RefreshToken>,
    /// A DPoP flow's access token: the response's `token_type` and the key's thumbprint.
    pub dpop: Option<(Option<String>, String)>,
}

impl std::fmt::Debug for InspectRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InspectRequest")
            .field("token", &"<redacted>")
            .field("profile", &self.profile.name)
            .field("kind", &self.options.kind)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// What the flow runner asks the app to do.
#[must_use]
#[derive(Debug, Clone)]
pub enum FlowCommand {
    /// Run the flow (the app first starts the sandbox when the profile needs it).
    Run,
    /// Open this token in the inspector.
    Inspect(Box<InspectRequest>),
    /// Make this the app's active profile.
    UseProfile(String),
    /// Send the "Call an API" panel's request (needs the worker: [`FlowScreen::start_call`]).
    Call,
}

/// The grant-specific inputs that are not part of a profile.
#[derive(Debug, Clone)]
pub struct GrantInputs {
    /// For the refresh grant.
    pub refresh_token: RefreshToken,
    /// For the password grant.
    pub username: String,
    /// For the password grant.
    pub password: Password,
    /// Authorization code: open the system browser (off: show the URL to open by hand).
    pub open_browser: bool,
    /// Authorization code: paste the redirect URL instead of the loopback listener.
    pub paste_redirect: bool,
    /// Authorization code / device: how long to wait for the user.
    pub wait_secs: u64,
    /// Client checks the tester turned off for the next runs (never saved).
    pub checks_off: Vec<grantscope_core::oauth::ClientCheck>,
}

impl Default for GrantInputs {
    fn default() -> Self {
        Self {
            checks_off: Vec::new(),
            refresh_token: RefreshToken::default(),
            username: String::new(),
            password: Password::default(),
            open_browser: true,
            paste_redirect: false,
            wait_secs: 300,
        }
    }
}

/// The tokens of the last run that returned a refresh token, as the server left them: the
/// refresh grant uses the newest refresh token (rotation replaces it) with the scope first
/// granted and the client that obtained it.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenSet {
    /// The profile the tokens came from.
    pub profile: String,
    /// The client they were issued to.
    pub client_id: String,
    /// Its secret, if any.
    pub client_secret: Option<ClientSecret>,
    /// Its authentication method.
    pub auth_method: Option<grantscope_core::oauth::AuthMethod>,
    /// The newest refresh token.
    pub refresh_token: RefreshToken,
    /// The scope granted first (or, when the server did not say, the scope requested).
    pub scope: Option<String>,
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
    requested_scope: Option<String>,
    /// The client checks the tester turned off for this run.
    checks_off: Vec<grantscope_core::oauth::ClientCheck>,
    finished_at: Option<i64>,
    profile: Profile,
    dpop: Option<Arc<grantscope_core::oauth::dpop::DpopState>>,
}

impl FlowRun {
    /// Whether the flow is still going.
    pub fn running(&self) -> bool {
        self.result.is_none()
    }

    /// The grant this run runs.
    pub fn grant(&self) -> GrantKind {
        self.grant
    }

    /// The tokens, when the flow succeeded.
    pub fn success(&self) -> Option<&TokenSuccess> {
        match &self.result {
            Some(Ok(s)) => Some(s),
            _ => None,
        }
    }

    /// Why the flow failed.
    pub fn failure(&self) -> Option<&FlowFailure> {
        match &self.result {
            Some(Err(f)) => Some(f),
            _ => None,
        }
    }

    /// The exchanges so far.
    pub fn exchanges(&self) -> &[Exchange] {
        &self.exchanges
    }

    /// The profile the run used (as sent, after the sandbox's issuer was filled in).
    pub fn profile(&self) -> &Profile {
        &self.profile
    }

    /// The authorization URL the user must open, if the flow gave one.
    pub fn authorize_url(&self) -> Option<&str> {
        self.events.iter().rev().find_map(|e| match e {
            FlowEvent::Authorize { url, .. } => Some(url.as_str()),
            _ => None,
        })
    }

    /// The device grant's user code and verification URLs, while the user must enter it.
    fn device_code(&self) -> Option<(&str, &str, Option<&str>)> {
        self.events.iter().rev().find_map(|e| match e {
            FlowEvent::DeviceCode {
                verification_uri,
                verification_uri_complete,
                user_code,
                ..
            } => Some((
                user_code.as_str(),
                verification_uri.as_str(),
                verification_uri_complete.as_deref(),
            )),
            _ => None,
        })
    }

    /// Builds the inspector's request for one of this run's tokens, with the checks the core
    /// sets for what this client received.
    pub fn inspect_request(&self, s: &TokenSuccess, id_token: bool) -> InspectRequest {
        use grantscope_core::oauth::received;
        let t = &s.tokens;
        let cfg = self
            .config
            .as_deref()
            .cloned()
            .or_else(|| self.profile.client_config().ok());
        let issuer = cfg
            .as_ref()
            .and_then(|c| received::expected_issuer(c, None));
        let token = if id_token {
            t.id_token
                .as_ref()
                .map(|t| t.expose().to_owned())
                .unwrap_or_default()
        } else {
            t.access_token.expose().to_owned()
        };
        let (options, hs_secret) = match (&cfg, id_token) {
            (Some(c), true) => (
                received::id_token_options(c, issuer, s),
                matches!(
                    received::key_source_for(&token, TokenKind::Id, c),
                    grantscope_core::token::KeySource::Secret(_)
                )
                .then(|| c.client_secret.clone())
                .flatten(),
            ),
            (Some(c), false) => (received::access_token_options(c, issuer), None),
            (None, _) => (InspectOptions::default(), None),
        };
        InspectRequest {
            token,
            profile: self.profile.clone(),
            jwks_uri: cfg
                .as_ref()
                .and_then(|c| c.endpoints.jwks_uri.as_ref())
                .map(ToString::to_string),
            options,
            hs_secret,
            expires_at: match (id_token, t.expires_in, self.finished_at) {
                (false, Some(e), Some(at)) if e.is_finite() && e > 0.0 => {
                    Some(at.saturating_add(e.min(1e12) as i64))
                }
                _ => None,
            },
            refresh_token: t.refresh_token.clone(),
            dpop: self
                .dpop
                .as_ref()
                .filter(|_| !id_token)
                .map(|d| (t.token_type.clone(), d.key.jkt())),
        }
    }
}

/// The flow runner's state (runtime only; the form is filled from the active profile).
pub struct FlowScreen {
    /// The grant to run.
    pub grant: GrantKind,
    /// The connection being used (a copy of the active profile, editable here).
    pub profile: Profile,
    /// The stored profile the form was filled from (a change in the store refills it).
    source: Option<Profile>,
    /// Grant-specific inputs.
    pub inputs: GrantInputs,
    /// Show secrets in the exchanges.
    pub reveal: bool,
    run: Option<FlowRun>,
    next_id: u64,
    /// A form error shown under Run.
    form_error: Option<String>,
    token_set: Option<TokenSet>,
    /// Step mode: the toggles, the pending request and its editor; the presenter view.
    pub step: StepMode,
    replays: Replays,
    /// The jobs of the last start, for replays of its exchanges.
    jobs: Option<Jobs<FlowMsg>>,
    /// The "Call an API" panel, for the tokens of the last run.
    call: super::call::CallPanel,
}

impl Default for FlowScreen {
    fn default() -> Self {
        Self {
            grant: GrantKind::ClientCredentials,
            profile: Profile::new("unsaved"),
            source: None,
            inputs: GrantInputs::default(),
            reveal: false,
            run: None,
            next_id: 1,
            form_error: None,
            token_set: None,
            step: StepMode::default(),
            replays: Replays::default(),
            jobs: None,
            call: super::call::CallPanel::default(),
        }
    }
}

/// Maps the wizard's grant to the engine's; `None` for implicit, which grantscope does not run.
pub fn grant_kind(g: grantscope_core::wizard::Grant) -> Option<GrantKind> {
    use grantscope_core::wizard::Grant;
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
    /// client that can run this grant; the refresh grant gets the token set's client, newest
    /// refresh token and first granted scope). A different grant or profile clears the last
    /// run: its diagram and tokens belong to what was run.
    pub fn prefill(&mut self, grant: GrantKind, profile: Option<Profile>) {
        let changed = grant != self.grant
            || profile
                .as_ref()
                .is_some_and(|p| p.name != self.profile.name);
        let other_profile = profile
            .as_ref()
            .is_some_and(|p| p.name != self.profile.name);
        self.grant = grant;
        if other_profile {
            // Another server's refresh token means nothing here.
            self.inputs.refresh_token = RefreshToken::default();
        }
        if let Some(p) = profile {
            self.source = Some(p.clone());
            self.profile = p;
        }
        sandbox_client_for(grant, &mut self.profile);
        self.apply_token_set();
        self.form_error = None;
        if changed {
            self.clear_run();
        }
    }

    /// Keeps the form on the app's active profile: `stored` is that profile as in the store.
    /// When it is another profile, or the store's copy changed, the form is filled again.
    pub fn follow_active(&mut self, stored: Option<&Profile>) {
        let Some(p) = stored else {
            return;
        };
        if self.source.as_ref() != Some(p) {
            self.prefill(self.grant, Some(p.clone()));
        }
    }

    fn apply_token_set(&mut self) {
        if self.grant != GrantKind::RefreshToken {
            return;
        }
        if let Some(ts) = self
            .token_set
            .as_ref()
            .filter(|t| t.profile == self.profile.name)
        {
            self.inputs.refresh_token = ts.refresh_token.clone();
            self.profile.client_id = ts.client_id.clone();
            self.profile.client_secret = ts.client_secret.clone();
            self.profile.auth_method = ts.auth_method;
            self.profile.scope = ts.scope.clone();
        }
    }

    /// The token set of the runs so far.
    pub fn token_set(&self) -> Option<&TokenSet> {
        self.token_set.as_ref()
    }

    /// A refresh elsewhere (the inspector's auto-refresh) rotated the refresh token.
    pub fn rotated(&mut self, old: &RefreshToken, new: RefreshToken) {
        if let Some(ts) = self.token_set.as_mut().filter(|t| t.refresh_token == *old) {
            ts.refresh_token = new;
            self.apply_token_set();
        }
    }

    fn clear_run(&mut self) {
        self.cancel();
        self.run = None;
    }

    /// The current (or last) run.
    pub fn run(&self) -> Option<&FlowRun> {
        self.run.as_ref()
    }

    /// Handles a message from the worker; returns the exchanges for the history.
    pub fn on_message(&mut self, msg: FlowMsg) -> Vec<Exchange> {
        let mut finished = Vec::new();
        match msg {
            FlowMsg::Progress { run, event } => {
                if let Some(r) = self.run.as_mut().filter(|r| r.id == run) {
                    if let FlowEvent::Exchange(ex) = &event {
                        let mut ex = (**ex).clone();
                        super::exchange_view::mark_received_tokens(&mut ex);
                        r.exchanges.push(ex.clone());
                        finished.push(ex);
                    }
                    r.events.push(event);
                }
            }
            FlowMsg::Done {
                run,
                result,
                config,
                dpop,
            } => {
                if let Some(r) = self.run.as_mut().filter(|r| r.id == run) {
                    self.step.run_ended();
                    r.result = Some(result);
                    r.abort = None;
                    r.paste_tx = None;
                    r.config = config;
                    r.dpop = dpop;
                    r.finished_at = Some(grantscope_core::timefmt::now_unix());
                    self.keep_tokens();
                }
            }
            FlowMsg::Step(StepMsg::Pending {
                run,
                pending,
                reply,
            }) => {
                // A late question of a cancelled run is dropped: its reply is Cancel.
                if self
                    .run
                    .as_ref()
                    .is_some_and(|r| r.id == run && r.running())
                {
                    self.step.on_pending(run, *pending, reply);
                }
            }
            FlowMsg::Step(StepMsg::Replayed {
                run,
                exchange,
                outcome,
            }) => {
                self.replays.done(outcome);
                if let Some(ex) = exchange {
                    if let Some(r) = self.run.as_mut().filter(|r| r.id == run) {
                        r.exchanges.push((*ex).clone());
                        r.events.push(FlowEvent::Exchange(ex.clone()));
                    }
                    finished.push(*ex);
                }
            }
            FlowMsg::CallDone(done) => self.call.on_done(done),
        }
        finished
    }

    /// The "Call an API" panel (tests read its last answer).
    pub fn call_panel(&self) -> &super::call::CallPanel {
        &self.call
    }

    /// Sends the "Call an API" panel's request with the last run's access token.
    pub fn start_call(&mut self, jobs: &Jobs<FlowMsg>) {
        let Some(run) = self.run.as_ref() else {
            return;
        };
        let Some(s) = run.success() else {
            return;
        };
        let cx = super::call::CallContext {
            run: run.id,
            profile: &run.profile,
            token: s.tokens.access_token.expose(),
            dpop: run.dpop.clone(),
        };
        self.call.start(
            cx,
            jobs,
            |run, event| FlowMsg::Progress { run, event },
            FlowMsg::CallDone,
        );
    }

    /// Runs the authorization code grant again with what a step-up challenge asked for.
    fn step_up(&mut self, step: &grantscope_core::oauth::resource::StepUp) {
        let mut set = |name: &str, value: Option<String>| {
            self.profile.authorize_params.retain(|(k, _)| k != name);
            if let Some(v) = value {
                self.profile.authorize_params.push((name.to_owned(), v));
            }
        };
        set("acr_values", step.acr_values.clone());
        set("max_age", step.max_age.map(|a| a.to_string()));
        self.grant = GrantKind::AuthorizationCode;
    }

    /// After a successful run: a refresh token starts (or, from the refresh grant, renews) the
    /// token set.
    fn keep_tokens(&mut self) {
        let Some(r) = self.run.as_ref() else {
            return;
        };
        let Some(s) = r.success() else {
            return;
        };
        let Some(rt) = s.tokens.refresh_token.clone() else {
            return;
        };
        match (&mut self.token_set, r.grant) {
            (Some(ts), GrantKind::RefreshToken) if ts.profile == r.profile.name => {
                ts.refresh_token = rt;
            }
            _ => {
                self.token_set = Some(TokenSet {
                    profile: r.profile.name.clone(),
                    client_id: r.profile.client_id.clone(),
                    client_secret: r.profile.client_secret.clone(),
                    auth_method: r.profile.auth_method,
                    refresh_token: rt,
                    scope: s.tokens.scope.clone().or(r.requested_scope.clone()),
                });
            }
        }
        self.apply_token_set();
    }

    /// Starts the flow.
    pub fn start(&mut self, jobs: &Jobs<FlowMsg>) {
        self.form_error = None;
        if let Err(e) = super::request_options::validate(&self.profile) {
            self.form_error = Some(e);
            return;
        }
        self.call.clear();
        let mut prepared = match connect::prepare(&self.profile) {
            Ok(p) => p,
            Err(e) => {
                self.form_error = Some(connect::describe(&e));
                return;
            }
        };
        if self.grant == GrantKind::AuthorizationCode
            && self.inputs.paste_redirect
            && prepared
                .profile
                .redirect_uri
                .as_deref()
                .is_none_or(|u| u.trim().is_empty())
        {
            // Pasting needs a redirect URI the server has registered (no loopback port to pick).
            match sandbox_registered_redirect(&self.profile) {
                Some(u) => prepared.profile.redirect_uri = Some(u.to_string()),
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
        self.cancel();
        self.jobs = Some(jobs.clone());
        let id = self.next_id;
        self.next_id += 1;
        let grant = self.grant;
        let inputs = self.inputs.clone();
        let stepped = self.step.enabled;
        let (paste_tx, paste_rx) = if grant == GrantKind::AuthorizationCode && inputs.paste_redirect
        {
            let (tx, rx) = tokio::sync::oneshot::channel();
            (Some(tx), Some(rx))
        } else {
            (None, None)
        };
        let sink = jobs.sink();
        let requested_scope = prepared
            .profile
            .scope
            .clone()
            .filter(|s| !s.trim().is_empty());
        let abort = jobs.spawn(async move {
            let (result, config, dpop) =
                run_flow(id, grant, prepared, inputs, paste_rx, sink, stepped).await;
            FlowMsg::Done {
                run: id,
                result: result.map(Box::new).map_err(|e| FlowFailure::from(&e)),
                config: config.map(Box::new),
                dpop,
            }
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
            requested_scope,
            checks_off: if grant == GrantKind::AuthorizationCode {
                self.inputs.checks_off.clone()
            } else {
                Vec::new()
            },
            finished_at: None,
            profile: self.profile.clone(),
            dpop: None,
        });
    }

    /// Cancels the running flow (its listener and requests are dropped).
    pub fn cancel(&mut self) {
        self.step.run_ended();
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

    /// Draws the screen: the form beside the run when there is room, above it when not.
    pub fn ui(&mut self, ui: &mut egui::Ui, profiles: &[Profile]) -> Option<FlowCommand> {
        let mut command = None;
        let width = layout::width_of(ui);
        self.step.shortcuts(ui.ctx());
        // Step mode's actions are pinned above the scrolling part: they show wherever it is.
        if self.run.as_ref().is_some_and(|r| self.step.waits(r.id)) {
            egui::Panel::top("step_actions").show(ui, |ui| self.step.actions_ui(ui));
        }
        if self.step.presenter {
            return self.presenter_ui(ui);
        }
        if width == Width::Narrow {
            self.pinned_ui(ui);
            egui::CentralPanel::default().show(ui, |ui| {
                egui::ScrollArea::vertical()
                    .id_salt("flow_all")
                    .show(ui, |ui| {
                        // The pending step first: it is what the run waits on.
                        self.step_card_ui(ui);
                        command = self.form_ui(ui, profiles, "below");
                        ui.separator();
                        if let Some(c) = self.run_ui(ui) {
                            command = Some(c);
                        }
                    });
            });
            return command;
        }
        let total = ui.available_width();
        egui::Panel::left("flow_form")
            .resizable(true)
            .default_size((total * 0.36).clamp(280.0, 380.0))
            .min_size(240.0)
            .max_size(total * 0.5)
            .show(ui, |ui| {
                egui::ScrollArea::vertical()
                    .id_salt("flow_form_scroll")
                    .show(ui, |ui| {
                        command = self.form_ui(ui, profiles, "beside the form");
                    });
            });
        self.pinned_ui(ui);
        egui::CentralPanel::default().show(ui, |ui| {
            egui::ScrollArea::vertical()
                .id_salt("flow_run_scroll")
                .show(ui, |ui| {
                    self.step_card_ui(ui);
                    if let Some(c) = self.run_ui(ui) {
                        command = Some(c);
                    }
                });
        });
        command
    }

    /// The presenter view: no form (set it up in the normal view), the run controls, the
    /// pending step's explanation and the diagram in larger type.
    fn presenter_ui(&mut self, ui: &mut egui::Ui) -> Option<FlowCommand> {
        let mut command = None;
        self.pinned_ui(ui);
        egui::CentralPanel::default().show(ui, |ui| {
            egui::ScrollArea::vertical()
                .id_salt("flow_presenter")
                .show(ui, |ui| {
                    ui.label(
                        egui::RichText::new(format!(
                            "{}, {}",
                            self.grant.title(),
                            self.profile.name
                        ))
                        .strong(),
                    );
                    command = self.run_row_ui(ui, false);
                    if self.run.is_none() {
                        ui.label(
                            egui::RichText::new(format!(
                                "The form is hidden in the presenter view: {} or \"Presenter \
                                 view\" brings it back.",
                                step_panel::PRESENTER_KEY.name()
                            ))
                            .weak(),
                        );
                    }
                    if let Some(e) = &self.form_error {
                        ui.colored_label(ui.visuals().error_fg_color, e);
                    }
                    ui.separator();
                    self.step_card_ui(ui);
                    if let Some(c) = self.run_ui(ui) {
                        command = Some(c);
                    }
                });
        });
        command
    }

    /// The pending step's card (explanation and request, or its editor), when the run waits.
    fn step_card_ui(&mut self, ui: &mut egui::Ui) {
        if let Some(run) = self.run.as_ref().filter(|r| self.step.waits(r.id)) {
            let grant = run.grant;
            let with_request = !self.step.presenter;
            self.step.card_ui(ui, grant, self.reveal, with_request);
            ui.add_space(6.0);
        }
    }

    /// Run, Cancel, and beside them the step-mode and presenter toggles.
    fn run_row_ui(&mut self, ui: &mut egui::Ui, enter: bool) -> Option<FlowCommand> {
        let mut command = None;
        let running = self.run.as_ref().is_some_and(FlowRun::running);
        ui.horizontal_wrapped(|ui| {
            if ui
                .add_enabled(!running, egui::Button::new("Run"))
                .on_hover_text("Enter in a field runs it too")
                .clicked()
                || (enter && !running)
            {
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
            self.step.toggles_ui(ui, running);
        });
        command
    }

    /// What the user must do now, pinned above the scrolling results: the device grant's code
    /// and URL (large, with copy buttons), the authorization URL, the redirect paste field.
    fn pinned_ui(&mut self, ui: &mut egui::Ui) {
        let Some(run) = self.run.as_mut().filter(|r| r.running()) else {
            return;
        };
        let device = run
            .device_code()
            .map(|(c, u, full)| (c.to_owned(), u.to_owned(), full.map(str::to_owned)));
        let url = run.authorize_url().map(str::to_owned);
        if device.is_none() && url.is_none() && run.paste_tx.is_none() {
            return;
        }
        egui::Panel::top("flow_pinned").show(ui, |ui| {
            ui.add_space(4.0);
            if let Some((code, uri, full)) = &device {
                ui.label(egui::RichText::new(format!("Go to {uri} and enter {code}")).strong());
                ui.horizontal_wrapped(|ui| {
                    ui.label(
                        egui::RichText::new(code)
                            .monospace()
                            .size(30.0)
                            .strong()
                            .color(ui.visuals().strong_text_color()),
                    );
                    if ui.button("Copy code").clicked() {
                        ui.ctx().copy_text(code.clone());
                    }
                });
                ui.horizontal_wrapped(|ui| {
                    ui.hyperlink_to(egui::RichText::new(uri).size(18.0), uri);
                    if ui.button("Copy URL").clicked() {
                        ui.ctx().copy_text(uri.clone());
                    }
                });
                if let Some(full) = full {
                    ui.horizontal_wrapped(|ui| {
                        ui.label("or open");
                        ui.hyperlink_to(shorten(full, 70), full);
                    });
                }
                ui.label(
                    egui::RichText::new(
                        "Waiting for the approval: until then the server answers \
                         authorization_pending, as expected.",
                    )
                    .weak(),
                );
            }
            if let Some(url) = &url {
                ui.horizontal_wrapped(|ui| {
                    ui.label("Open this URL in a browser to sign in:");
                    ui.hyperlink_to(shorten(url, 70), url);
                    if ui.small_button("Copy URL").clicked() {
                        ui.ctx().copy_text(url.clone());
                    }
                });
            }
            if run.paste_tx.is_some() {
                ui.horizontal_wrapped(|ui| {
                    let l = ui.label("Redirect URL");
                    let r = ui
                        .add(
                            egui::TextEdit::singleline(&mut run.pasted)
                                .desired_width(ui.available_width().min(420.0))
                                .hint_text("Paste the redirect URL from the browser's address bar"),
                        )
                        .labelled_by(l.id);
                    let enter = r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
                    if (ui.button("Continue").clicked() || enter)
                        && let Some(tx) = run.paste_tx.take()
                    {
                        let _ = tx.send(std::mem::take(&mut run.pasted));
                    }
                });
            }
            ui.add_space(4.0);
        });
    }

    /// The form; `details` says where the run's details are ("below", "beside the form").
    fn form_ui(
        &mut self,
        ui: &mut egui::Ui,
        profiles: &[Profile],
        details: &str,
    ) -> Option<FlowCommand> {
        let mut command = None;
        let before = self.grant;
        ui.heading("Flow runner");
        egui::ComboBox::from_label("Grant")
            .selected_text(self.grant.title())
            .show_ui(ui, |ui| {
                for g in GrantKind::ALL {
                    ui.selectable_value(&mut self.grant, g, g.title());
                }
            });
        if self.grant != before {
            // Another grant: the last run's diagram and tokens are not this grant's.
            let g = self.grant;
            self.grant = before;
            self.prefill(g, self.source.clone());
        }
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
                        command = Some(FlowCommand::UseProfile(p.name.clone()));
                    }
                }
            })
            .response
            .on_hover_text("The app's active profile (also set by Use on the Profiles screen)");
        if self.profile.name == SANDBOX_PROFILE && self.profile.issuer.is_none() {
            ui.label(egui::RichText::new("The built-in sandbox starts when you press Run.").weak());
        }
        ui.separator();
        let field_w = (ui.available_width() - 170.0).clamp(110.0, 360.0);
        let mut enter = false;
        let p = &mut self.profile;
        egui::Grid::new("flow_form_grid")
            .num_columns(2)
            .show(ui, |ui| {
                let mut f = Fields {
                    width: field_w,
                    enter: &mut enter,
                };
                f.opt(ui, "Issuer", &mut p.issuer);
                if self.grant == GrantKind::AuthorizationCode {
                    f.opt(ui, "Authorization endpoint", &mut p.authorization_endpoint);
                }
                f.opt(ui, "Token endpoint", &mut p.token_endpoint);
                if self.grant == GrantKind::DeviceCode {
                    f.opt(ui, "Device endpoint", &mut p.device_authorization_endpoint);
                }
                f.text(ui, "Client ID", &mut p.client_id, false);
                let mut secret = p.client_secret.clone().unwrap_or_default();
                if f.text(ui, "Client secret", secret.expose_mut(), !self.reveal) {
                    p.client_secret = (!secret.expose().is_empty()).then_some(secret);
                }
                f.opt(ui, "Scope", &mut p.scope);
                f.opt(ui, "Audience", &mut p.audience);
                if self.grant == GrantKind::AuthorizationCode {
                    f.opt(ui, "Redirect URI", &mut p.redirect_uri);
                }
                match self.grant {
                    GrantKind::RefreshToken => {
                        f.text(
                            ui,
                            "Refresh token",
                            self.inputs.refresh_token.expose_mut(),
                            !self.reveal,
                        );
                    }
                    GrantKind::Password => {
                        f.text(ui, "Username", &mut self.inputs.username, false);
                        f.text(
                            ui,
                            "Password",
                            self.inputs.password.expose_mut(),
                            !self.reveal,
                        );
                    }
                    _ => {}
                }
            });
        if self.grant == GrantKind::RefreshToken
            && let Some(ts) = self
                .token_set
                .as_ref()
                .filter(|t| t.profile == self.profile.name)
        {
            let text = if ts.refresh_token == self.inputs.refresh_token {
                "The newest refresh token of the last run, with the scope first granted."
            } else {
                "Edited by hand: not the newest refresh token of the last run."
            };
            ui.label(egui::RichText::new(text).weak());
        }
        if self.grant == GrantKind::AuthorizationCode {
            ui.checkbox(&mut self.inputs.open_browser, "Open the system browser");
            ui.checkbox(
                &mut self.inputs.paste_redirect,
                "Paste the redirect URL by hand",
            );
        }
        super::request_options::flow_ui(
            ui,
            &mut self.profile,
            self.grant == GrantKind::AuthorizationCode,
        );
        if self.grant == GrantKind::AuthorizationCode {
            super::request_options::checks_ui(ui, &mut self.inputs.checks_off);
        }
        ui.checkbox(&mut self.reveal, "Reveal secrets");
        ui.add_space(8.0);
        if let Some(c) = self.run_row_ui(ui, enter) {
            command = Some(c);
        }
        // The outcome, next to the button that produced it.
        if let Some(e) = &self.form_error {
            ui.colored_label(ui.visuals().error_fg_color, e);
        } else if let Some(r) = &self.run {
            match &r.result {
                None if self.step.waits(r.id) => {
                    ui.label("Step mode: paused before the next request (Send goes on).")
                }
                None => ui.label("Running: the steps appear as they happen."),
                Some(Ok(_)) => ui.colored_label(
                    super::widgets::status_color(ui.visuals(), "pass"),
                    format!("Tokens received (details {details})"),
                ),
                Some(Err(f)) => {
                    let r = ui.colored_label(
                        ui.visuals().error_fg_color,
                        grantscope_core::text::inert_multiline(&f.message),
                    );
                    if let Some((code, hint)) = &f.oauth {
                        ui.label(format!("{code}: {hint}"));
                    }
                    r
                }
            };
        }
        command
    }

    fn run_ui(&mut self, ui: &mut egui::Ui) -> Option<FlowCommand> {
        let mut command = None;
        let mut step_up = None;
        let reveal = self.reveal;
        let pending = match &self.run {
            Some(r) if self.step.waits(r.id) => self.step.pending_arrows(),
            _ => Vec::new(),
        };
        let scale = self.step.scale();
        let Some(run) = self.run.as_mut() else {
            ui.label(format!(
                "{}: fill in the connection and press Run. Every request and response will \
                 appear here as a sequence diagram.",
                self.grant.title()
            ));
            return None;
        };
        ui.heading(run.grant.title());
        if !run.checks_off.is_empty() {
            let names: Vec<&str> = run.checks_off.iter().map(|c| c.as_str()).collect();
            ui.colored_label(
                ui.visuals().error_fg_color,
                format!(
                    "Client checks turned off for this run: {}",
                    names.join(", ")
                ),
            );
            if let Some(Ok(s)) = &run.result {
                for line in &s.accepted_unchecked {
                    ui.colored_label(
                        ui.visuals().warn_fg_color,
                        format!("Accepted: {}", grantscope_core::text::inert(line)),
                    );
                }
            }
        }
        // An error is shown once, under Run; the diagram shows where it happened.
        if let Some(Ok(s)) = &run.result {
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
            let granted = s.tokens.scope.as_deref().map(str::trim);
            let requested = run.requested_scope.as_deref().map(str::trim);
            if let (Some(g), Some(r)) = (granted, requested)
                && scope_set(g) != scope_set(r)
            {
                ui.colored_label(
                    ui.visuals().warn_fg_color,
                    format!("Scope requested: {r}; granted: {g}"),
                );
            }
            if let Some(granted) = s.raw.get("authorization_details") {
                // RFC 9396 §7: what the server granted may differ from what was asked.
                let pretty =
                    |v: &serde_json::Value| serde_json::to_string_pretty(v).unwrap_or_default();
                let requested = run
                    .profile
                    .authorization_details
                    .as_deref()
                    .and_then(|t| serde_json::from_str::<serde_json::Value>(t).ok())
                    .map_or_else(|| "(none)".to_string(), |v| pretty(&v));
                ui.label(egui::RichText::new("Authorization details (RFC 9396)").strong());
                ui.columns(2, |cols| {
                    cols[0].label("Requested");
                    super::exchange_view::capped_text_ui(
                        &mut cols[0],
                        ("rar_requested", run.id),
                        &requested,
                        160.0,
                    );
                    cols[1].label("Granted");
                    super::exchange_view::capped_text_ui(
                        &mut cols[1],
                        ("rar_granted", run.id),
                        &pretty(granted),
                        160.0,
                    );
                });
            }
            ui.horizontal_wrapped(|ui| {
                if ui.button("Inspect access token").clicked() {
                    command = Some(FlowCommand::Inspect(Box::new(
                        run.inspect_request(s, false),
                    )));
                }
                if s.tokens.id_token.is_some() && ui.button("Inspect ID token").clicked() {
                    command = Some(FlowCommand::Inspect(Box::new(run.inspect_request(s, true))));
                }
            });

            let shown = if reveal {
                serde_json::to_string_pretty(&s.raw).unwrap_or_default()
            } else {
                mask_token_response(&s.raw)
            };
            super::exchange_view::capped_text_ui(ui, ("token_response", run.id), &shown, 200.0);
            let cx = super::call::CallContext {
                run: run.id,
                profile: &run.profile,
                token: s.tokens.access_token.expose(),
                dpop: run.dpop.clone(),
            };
            match self.call.ui(ui, &cx) {
                Some(super::call::CallCommand::Send) => command = Some(FlowCommand::Call),
                Some(super::call::CallCommand::StepUp(step)) => step_up = Some(step),
                None => {}
            }
        }
        if let Some(clicked) = sequence_ui(ui, &run.events, &pending, scale)
            && !run.open.remove(&clicked)
        {
            run.open.insert(clicked);
        }
        if self.step.presenter && !pending.is_empty() {
            // The presenter view: explanation, diagram, then the request.
            self.step.request_card_ui(ui, reveal);
        }
        ui.separator();
        ui.label(egui::RichText::new("Exchanges").strong());
        self.replays.note_ui(ui);
        let finished = !run.running();
        let mut ask = None;
        for (i, ex) in run.exchanges.iter().enumerate() {
            let view = ExchangeView::of(ex, reveal);
            let title = format!("{}. {}", i + 1, view.title());
            let open = run.open.contains(&i);
            let replays = &mut self.replays;
            let resp = egui::CollapsingHeader::new(title)
                .id_salt(("exchange", run.id, i))
                .open(Some(open))
                .show(ui, |ui| {
                    exchange_ui(ui, ("flow", run.id, i), &view);
                    // Replays once the run is over (its requests are the recorded ones).
                    if finished && let Some(a) = replays.ui(ui, i, ex, reveal) {
                        ask = Some(a);
                    }
                });
            if resp.header_response.clicked() {
                if open {
                    run.open.remove(&i);
                } else {
                    run.open.insert(i);
                }
            }
        }
        if let (Some(a), Some(jobs)) = (ask, &self.jobs) {
            let (id, http) = (run.id, run.profile.http.clone());
            jobs.spawn(async move {
                let (exchange, outcome) =
                    step_panel::replay(http, a.step, a.request, a.edited).await;
                FlowMsg::Step(StepMsg::Replayed {
                    run: id,
                    exchange: exchange.map(Box::new),
                    outcome,
                })
            });
        }
        if let Some(step) = step_up {
            self.step_up(&step);
            command = Some(FlowCommand::Run);
        }
        command
    }
}

fn scope_set(s: &str) -> BTreeSet<&str> {
    s.split_whitespace().collect()
}

/// The form's text fields: label, field of a set width, and whether Enter was pressed in one.
struct Fields<'a> {
    width: f32,
    enter: &'a mut bool,
}

impl Fields<'_> {
    fn text(&mut self, ui: &mut egui::Ui, label: &str, value: &mut String, password: bool) -> bool {
        let l = ui.label(label);
        let r = ui
            .add(
                egui::TextEdit::singleline(value)
                    .password(password)
                    .desired_width(self.width),
            )
            .labelled_by(l.id);
        if r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter)) {
            *self.enter = true;
        }
        ui.end_row();
        r.changed()
    }

    fn opt(&mut self, ui: &mut egui::Ui, label: &str, value: &mut Option<String>) {
        let mut s = value.clone().unwrap_or_default();
        if self.text(ui, label, &mut s, false) {
            *value = (!s.trim().is_empty()).then_some(s);
        }
    }
}

/// Runs one grant end to end through the core's one way in (connect, then the grant
/// registry's dispatch) and reports each step.
async fn run_flow(
    id: u64,
    grant: GrantKind,
    prepared: Prepared,
    inputs: GrantInputs,
    paste_rx: Option<tokio::sync::oneshot::Receiver<String>>,
    sink: Sink<FlowMsg>,
    stepped: bool,
) -> (
    Result<TokenSuccess, FlowError>,
    Option<ClientConfig>,
    Option<Arc<grantscope_core::oauth::dpop::DpopState>>,
) {
    let questions = sink.clone();
    let observer: grantscope_core::oauth::session::Observer = Arc::new(move |event| {
        sink.send(FlowMsg::Progress { run: id, event });
    });
    let mut conn = match prepared.connect(grant.endpoints(), Some(observer)).await {
        Ok(c) => c,
        Err(e) => return (Err(e), None, None),
    };
    if grant == GrantKind::AuthorizationCode {
        conn.config.checks_off = inputs.checks_off.clone();
    }
    if stepped {
        // Step mode: every request of the grant (discovery is done) waits for the user's
        // decision; the questions go to the UI, which answers through their reply slot.
        let (gate, mut asked) = grantscope_core::oauth::step::channel_gate();
        conn.session.set_gate(Some(gate));
        tokio::spawn(async move {
            // Ends when the session (and with it the gate) is dropped.
            while let Some((pending, reply)) = asked.recv().await {
                questions.send(FlowMsg::Step(StepMsg::Pending {
                    run: id,
                    pending: Box::new(pending),
                    reply,
                }));
            }
        });
    }
    let wait = Duration::from_secs(inputs.wait_secs.max(1));
    let redirect = (grant == GrantKind::AuthorizationCode).then(|| match paste_rx {
        Some(rx) => RedirectSource::Paste(rx),
        None => RedirectSource::Loopback {
            open_browser: inputs.open_browser,
            timeout: wait,
        },
    });
    let core_inputs = grants::GrantInputs {
        refresh_token: Some(inputs.refresh_token.clone()),
        username: Some(inputs.username.clone()),
        password: Some(inputs.password.clone()),
        redirect,
        wait: Some(wait),
        ..grants::GrantInputs::default()
    };
    let outcome = grants::run(grant, &mut conn, core_inputs).await;
    let dpop = conn.session.dpop().cloned();
    (outcome.result, Some(conn.config), dpop)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

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
    fn the_refresh_form_holds_the_token_sets_newest_token_and_first_scope() {
        let mut f = FlowScreen::default();
        let mut p = Profile::new("p");
        p.client_id = "c".into();
        p.scope = Some("openid offline_access".into());
        f.prefill(GrantKind::AuthorizationCode, Some(p.clone()));
        f.token_set = Some(TokenSet {
            profile: "p".into(),
            client_id: "c".into(),
            client_secret: None,
            auth_method: None,
            refresh_token: "rt1".into(),
            scope: Some("openid offline_access".into()),
        });
        let mut changed = p.clone();
        changed.scope = Some("api".into());
        f.prefill(GrantKind::RefreshToken, Some(changed));
        assert_eq!(f.inputs.refresh_token.expose(), "rt1");
        assert_eq!(f.profile.scope.as_deref(), Some("openid offline_access"));
        f.rotated(&"rt1".into(), "rt2".into());
        assert_eq!(f.inputs.refresh_token.expose(), "rt2");
        // Another profile's token set is not offered.
        f.prefill(GrantKind::RefreshToken, Some(Profile::new("other")));
        assert_eq!(f.inputs.refresh_token.expose(), "");
        assert_eq!(f.token_set().unwrap().profile, "p");
    }
}
