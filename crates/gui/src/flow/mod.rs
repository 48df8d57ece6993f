//! The flow runner screen: a grant's form, Run and Cancel, and a live sequence diagram
//! (see [`crate::sequence`]) whose arrows appear as the engine reports its steps. Each exchange
//! expands to its raw request and response (see [`crate::exchange_view`]). The form is a copy of
//! the app's active profile; the screen keeps the token set of its runs, so the refresh form
//! holds the newest refresh token and the scope first granted. What the user must do during a
//! run (open a URL, enter a device code) stays pinned above the scrolling results, with the time
//! waited of its limit, a Cancel beside it, and (at once) a browser that could not open. Step mode
//! and the presenter view's type scale are [`crate::step`]'s, the replays [`crate::replay`]'s;
//! this screen hands them the run's messages and places them.
//!
//! This file is the controller (messages, commands, the screen's state and what changes it);
//! the form's inputs ([`inputs`]), the token set, the run record ([`run`]), the async task,
//! the form, the layouts, the results and the "Call an API" panel ([`call`]) and its glue are
//! in files of their own. What the screen asks of the app is a [`FlowCommand`].

pub mod call;
mod call_glue;
mod form;
pub mod inputs;
mod layouts;
mod results;
mod run;
pub mod scopes;
mod task;
mod token_set;

use std::collections::BTreeSet;
use std::sync::Arc;

pub use inputs::GrantInputs;
pub use run::{FlowFailure, FlowRun};
pub use token_set::TokenSet;

use crate::connect;
use crate::handoff::InspectRequest;
use crate::replay::Replays;
use crate::step::{StepMode, StepMsg};
use crate::worker::Jobs;
use grantscope_core::http::Exchange;
use grantscope_core::oauth::grants::{GrantKind, TokenSuccess};
use grantscope_core::oauth::{ClientConfig, FlowEvent};
use grantscope_core::profile::Profile;
use grantscope_core::secret::{AccessToken, RefreshToken};
use grantscope_sandbox::local_profile::{
    RunningSandbox, SANDBOX_PROFILE, sandbox_client_for, sandbox_registered_redirect,
};

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
    CallDone(call::CallDone),
    /// The issuer's `scopes_supported` were read for the scope picker.
    Scopes(scopes::ScopesRead),
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
    /// Record these exchanges in the history.
    Record(Vec<Exchange>),
    /// "Probe this API": the Probes window's API mode with the Call an API form's request and
    /// the run's tokens.
    ProbeApi(Box<crate::handoff::ApiProbeRequest>),
    /// Read the issuer's scopes for the scope picker (needs the worker:
    /// [`FlowScreen::read_scopes`]).
    ReadScopes,
    /// Show the built-in sandbox's "phone" (the Classroom), where a CIBA request that waits
    /// for its user is approved or denied.
    OpenPhone,
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
    call: call::CallPanel,
    /// A token the inspector's workbench handed over: Call an API sends it instead of the
    /// run's access token, until the user goes back to the run's or a new run starts.
    forged: Option<AccessToken>,
    /// Its name in the workbench (`edited`, or the forgery's variant).
    forged_name: String,
    /// The Scope field's picker over the server's `scopes_supported`.
    scopes: scopes::ScopePicker,
    /// When the built-in sandbox last (re)started (unix milliseconds): a run on it that ended
    /// before holds tokens it has forgotten.
    sandbox_started_at: Option<i64>,
    /// Where the built-in sandbox last served (a CIBA run against it is answered on the
    /// Classroom's phone).
    sandbox_issuer: Option<String>,
    /// Run was pressed while the sandbox this profile needs was starting: run once it is up.
    run_after_sandbox: bool,
    /// Open the access token of the next run to finish in the inspector (the scripted start
    /// run).
    inspect_next_run: bool,
    /// Give Run the keyboard's focus when it is next drawn (the wizard's "Run this grant"
    /// brought the user here: the keyboard's place is not lost).
    focus_run: bool,
    /// Steps that lead the next run's diagram (the wizard's API discovery and registration).
    lead_in: Vec<FlowEvent>,
    /// Call this API with the next run's token when it succeeds (the wizard's "start from an
    /// API").
    call_after: Option<String>,
    /// The Resource field's text and the resources it was made of (a space being typed is
    /// kept).
    resource_text: (Vec<String>, String),
    /// The issuer's metadata the wizard's discovery read: the next run reuses it.
    known_discovery: Option<Box<grantscope_core::oauth::discovery::Discovery>>,
    /// CIBA: the binding code the form made (not one the user typed), and the one the last
    /// run sent: a code the form made is used once, each Run gets a fresh one (two requests
    /// with one code stood side by side on the phone).
    binding_made: Option<String>,
    binding_sent: Option<String>,
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
            call: call::CallPanel::default(),
            forged: None,
            forged_name: String::new(),
            scopes: scopes::ScopePicker::default(),
            sandbox_started_at: None,
            sandbox_issuer: None,
            run_after_sandbox: false,
            inspect_next_run: false,
            focus_run: false,
            lead_in: Vec::new(),
            call_after: None,
            resource_text: (Vec::new(), String::new()),
            known_discovery: None,
            binding_made: None,
            binding_sent: None,
        }
    }
}

/// The characters of a binding code: capitals and digits without the look-alikes (I and 1,
/// O and 0), which a user reading two screens confuses.
const BINDING_ALPHABET: &str = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

/// A fresh short code for CIBA's binding message (six letters and digits, easy to compare
/// on two screens), so a CIBA form is ready to run.
fn binding_code() -> String {
    let mut code = String::new();
    // A random token has 43 characters; more are drawn in the (unlikely) case it holds
    // fewer than six of the alphabet.
    while code.len() < 6 {
        code.extend(
            grantscope_core::oauth::pkce::random_token()
                .chars()
                .map(|c| c.to_ascii_uppercase())
                .filter(|c| BINDING_ALPHABET.contains(*c))
                .take(6 - code.len()),
        );
    }
    code
}

/// Maps the wizard's grant to the engine's by its command-line name (the grant registry's);
/// `None` for implicit, which grantscope does not run.
pub fn grant_kind(g: grantscope_core::wizard::Grant) -> Option<GrantKind> {
    let name = g.cli_name()?;
    GrantKind::ALL.into_iter().find(|k| k.cli_name() == name)
}

impl FlowScreen {
    /// Starts with step mode on, and (`presenter`) the presenter view (screenshots).
    pub fn start_in_step_mode(&mut self, presenter: bool) {
        self.step.enabled = true;
        self.step.presenter = presenter;
    }

    /// The next run to finish opens its access token in the inspector (the scripted start run
    /// on the inspector screen).
    pub fn inspect_next_run(&mut self) {
        self.inspect_next_run = true;
    }

    /// Gives Run the keyboard's focus when it is next drawn.
    pub fn focus_run(&mut self) {
        self.focus_run = true;
    }

    /// Run was pressed but the profile's sandbox is still starting: run once it is up.
    pub fn run_when_sandbox_starts(&mut self) {
        self.run_after_sandbox = true;
    }

    /// The sandbox started (`true`) or could not: a run waiting for it goes now, or not at all.
    pub fn sandbox_started(&mut self, ok: bool) -> Option<FlowCommand> {
        (std::mem::take(&mut self.run_after_sandbox) && ok).then_some(FlowCommand::Run)
    }

    /// The sandbox now serves at `issuer` (a start or a restart, perhaps on another port). A
    /// form on the sandbox profile whose stored copy has no address of its own shows the new
    /// address at once: the issuer, and every endpoint that was filled from the old one.
    pub fn sandbox_moved(&mut self, issuer: &str) {
        // Tokens from an earlier sandbox run are forgotten (its state is in memory).
        self.sandbox_started_at = Some(grantscope_core::timefmt::now_unix_millis());
        self.sandbox_issuer = Some(issuer.trim_end_matches('/').to_owned());
        let stored_has_issuer = self
            .source
            .as_ref()
            .and_then(|p| p.issuer.as_deref())
            .is_some_and(|i| !i.trim().is_empty());
        if self.profile.name != SANDBOX_PROFILE || stored_has_issuer {
            return;
        }
        let new = issuer.trim_end_matches('/');
        let Some(old) = self
            .profile
            .issuer
            .clone()
            .map(|o| o.trim_end_matches('/').to_owned())
            .filter(|o| !o.is_empty() && o != new)
        else {
            return;
        };
        self.profile.issuer = Some(issuer.to_owned());
        for spec in grantscope_core::oauth::endpoint::ENDPOINTS {
            if let Some(url) = self.profile.endpoint_mut(spec.kind)
                && let Some(rest) = url.strip_prefix(old.as_str())
                && (rest.is_empty() || rest.starts_with(['/', '?']))
            {
                *url = format!("{new}{rest}");
            }
        }
    }

    /// The inspector's Refresh: the refresh grant for `stored` (the active profile as stored),
    /// with the token set's newest refresh token, else `refresh_token` (the one that came with
    /// the inspected token).
    pub fn refresh_from(&mut self, stored: Option<Profile>, refresh_token: Option<RefreshToken>) {
        self.prefill(GrantKind::RefreshToken, stored);
        if self.token_set.is_none()
            && let Some(rt) = refresh_token
        {
            self.inputs.refresh_token = rt;
        }
    }

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
        if grant == GrantKind::Ciba && self.inputs.binding_message.trim().is_empty() {
            self.inputs.binding_message = binding_code();
            self.binding_made = Some(self.inputs.binding_message.clone());
        }
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
            // Another grant or profile: not the wizard's API journey any more.
            self.call_after = None;
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

    /// Handles a message from the worker; returns what the app should do (record the exchanges
    /// in the history, inspect the scripted start run's token).
    pub fn on_message(&mut self, msg: FlowMsg) -> Vec<FlowCommand> {
        let mut commands = self.handle_message(msg);
        if let Some(url) = self.call_after.clone()
            && let Some(run) = self.run.as_ref().filter(|r| !r.running())
        {
            if run.success().is_some() {
                self.call_after = None;
                self.call.set_get(&url);
                commands.push(FlowCommand::Call);
            } else {
                // A refused or cancelled login: Run again still finishes the journey (the
                // API is called), and Call an API keeps its URL meanwhile.
                self.call.set_url(&url);
            }
        }
        if self.inspect_next_run
            && let Some(run) = self.run.as_ref().filter(|r| !r.running())
        {
            self.inspect_next_run = false;
            if let Some(req) = run.success().map(|s| run.inspect_request(s, false)) {
                commands.push(FlowCommand::Inspect(Box::new(req)));
            }
        }
        commands
    }

    fn handle_message(&mut self, msg: FlowMsg) -> Vec<FlowCommand> {
        let mut finished = Vec::new();
        match msg {
            FlowMsg::Progress { run, event } => {
                if let Some(r) = self.run.as_mut().filter(|r| r.id == run) {
                    match &event {
                        FlowEvent::Exchange(ex) => {
                            let ex = (**ex).clone();
                            r.exchanges.push(ex.clone());
                            finished.push(ex);
                        }
                        // The user's part starts: the clock of its wait with it.
                        FlowEvent::Authorize { .. }
                        | FlowEvent::DeviceCode { .. }
                        | FlowEvent::Backchannel { .. } => {
                            r.waiting_since = Some(std::time::Instant::now());
                        }
                        FlowEvent::RedirectReceived { .. } => r.waiting_since = None,
                        _ => {}
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
                    if result.is_err() {
                        // The error itself is said once, below the form.
                        r.close_listener("the run ended with the error shown");
                    }
                    r.result = Some(result);
                    r.abort = None;
                    r.paste_tx = None;
                    r.config = config;
                    r.dpop = dpop;
                    let ms = grantscope_core::timefmt::now_unix_millis();
                    r.finished_at = Some(ms.div_euclid(1000));
                    r.finished_ms = Some(ms);
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
            FlowMsg::Scopes(read) => self.scopes.on_read(read),
        }
        if finished.is_empty() {
            Vec::new()
        } else {
            vec![FlowCommand::Record(finished)]
        }
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

    /// Starts the flow; `sandbox` is the running sandbox when the profile runs against it
    /// as it runs now (its address is filled in).
    pub fn start(&mut self, jobs: &Jobs<FlowMsg>, sandbox: Option<&RunningSandbox>) {
        if let Some(sb) = sandbox {
            sb.fill(&mut self.profile);
        }
        self.form_error = None;
        if let Err(e) = crate::request_options::validate(&self.profile) {
            self.form_error = Some(e);
            return;
        }
        if self.grant == GrantKind::JwtBearer
            && let Err(e) = self.inputs.bearer_assertion()
        {
            self.form_error = Some(e);
            return;
        }
        self.call.clear();
        self.forged = None;
        let mut prepared = match connect::prepare(&self.profile, jobs.keys()) {
            Ok(p) => connect::Prepared {
                known: self.known_discovery.take(),
                ..p
            },
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
        if self.grant == GrantKind::Ciba {
            let message = self.inputs.binding_message.trim().to_owned();
            if !message.is_empty()
                && self.binding_made.as_deref() == Some(message.as_str())
                && self.binding_sent.as_deref() == Some(message.as_str())
            {
                self.inputs.binding_message = binding_code();
                self.binding_made = Some(self.inputs.binding_message.clone());
            }
            self.binding_sent = Some(self.inputs.binding_message.trim().to_owned());
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
                task::run_flow(id, grant, prepared, inputs, paste_rx, sink, stepped).await;
            FlowMsg::Done {
                run: id,
                result: result.map(Box::new).map_err(|e| FlowFailure::from(&e)),
                config: config.map(Box::new),
                dpop,
            }
        });
        let lead_in = std::mem::take(&mut self.lead_in);
        let lead_exchanges = lead_in
            .iter()
            .filter_map(|e| match e {
                FlowEvent::Exchange(ex) => Some((**ex).clone()),
                _ => None,
            })
            .collect();
        self.run = Some(FlowRun {
            id,
            grant,
            events: lead_in,
            exchanges: lead_exchanges,
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
            finished_ms: None,
            profile: self.profile.clone(),
            dpop: None,
            open_browser: self.inputs.open_browser,
            wait_limit: std::time::Duration::from_secs(self.inputs.wait_secs.max(1)),
            waiting_since: None,
            ciba: (grant == GrantKind::Ciba)
                .then(|| self.inputs.ciba_request())
                .flatten()
                .map(|r| (r.login_hint, r.binding_message)),
        });
    }

    /// Whether the running flow is a CIBA request waiting for its user's decision (the
    /// Classroom's phone reads the sandbox's pending requests while one does).
    pub fn ciba_waiting(&self) -> bool {
        self.run
            .as_ref()
            .is_some_and(|r| r.running() && r.backchannel().is_some())
    }

    /// Whether `run` went to the built-in sandbox as it serves now.
    fn on_sandbox(&self, run: &FlowRun) -> bool {
        let issuer = run
            .profile
            .issuer
            .as_deref()
            .map(|i| i.trim_end_matches('/'));
        issuer.is_some() && issuer == self.sandbox_issuer.as_deref()
    }

    /// The next run is the wizard's "start from an API": `lead_in` (its discovery and
    /// registration) leads the diagram, and `api` is called with the token.
    pub fn start_from_api(
        &mut self,
        lead_in: Vec<FlowEvent>,
        api: String,
        discovery: Option<Box<grantscope_core::oauth::discovery::Discovery>>,
    ) {
        self.lead_in = lead_in;
        self.known_discovery = discovery;
        self.call_after = Some(api);
    }

    /// Cancels the running flow (its listener and requests are dropped).
    pub fn cancel(&mut self) {
        self.step.run_ended();
        if let Some(r) = self.run.as_mut().filter(|r| r.running()) {
            if let Some(a) = r.abort.take() {
                a.abort();
            }
            r.paste_tx = None;
            // A backchannel request is the provider's: it stays on the user's device until it
            // expires, and approving it there now gives this run nothing.
            let ciba = r.backchannel().is_some();
            let message = if ciba {
                "cancelled: the request stays pending on the user's device until it expires; \
                 an approval there now reaches nobody"
            } else {
                "cancelled"
            };
            if ciba {
                r.events
                    .push(FlowEvent::Note(format!("{message} (Cancel in grantscope)")));
            }
            r.close_listener("cancelled");
            r.result = Some(Err(FlowFailure {
                message: message.into(),
                oauth: None,
            }));
        }
        if let Some(url) = &self.call_after {
            self.call.set_url(url);
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn binding_codes_are_six_characters_without_look_alikes() {
        for _ in 0..200 {
            let code = binding_code();
            assert_eq!(code.len(), 6, "{code}");
            assert!(code.chars().all(|c| BINDING_ALPHABET.contains(c)), "{code}");
            assert!(!code.contains(['I', '1', 'O', '0']), "{code}");
        }
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
