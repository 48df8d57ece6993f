//! The app shell: one window, a top bar of screens that wraps instead of overlapping, persisted
//! settings, and the per-frame loop that drains background events and routes global input
//! (paste anywhere, dropped files). The app holds the one active profile: the top bar names it,
//! the flow runner's form follows it, and the inspector's server calls use it.

use std::path::PathBuf;

mod events;

use crate::bench::Bench;
use crate::calm_start::CalmStart;
use crate::classroom::{Classroom, ClassroomCommand, Outcome, SandboxMsg, SandboxState};
use crate::flow::{FlowCommand, FlowMsg, FlowScreen, grant_kind};
use crate::handoff::InspectRequest;
use crate::history::{HistoryMsg, HistoryScreen};
use crate::inspector::{InspectorCommand, InspectorMsg, InspectorScreen};
use crate::logout::{LogoutCommand, LogoutMsg, LogoutScreen};
use crate::probes::{ProbesMsg, ProbesScreen};
use crate::profiles::{ProfilesCommand, ProfilesMsg, ProfilesScreen};
use crate::settings::{Screen, Settings, ThemeChoice, ZOOM_LEVELS};
use crate::wizard::api::{ApiCommand, ApiMsg, ApiStart};
use crate::wizard::{WizardCommand, wizard_ui};
use crate::worker::{Jobs, Worker};
use events::Event;
use grantscope_core::profile::Profile;
use grantscope_sandbox::local_profile::{RunningSandbox, SANDBOX_PROFILE};

/// How to construct the app: where its settings live and which screen to start on.
#[derive(Debug, Clone)]
pub struct AppOptions {
    /// Directory for the app's settings, profiles and sandbox keys. Tests pass a tempdir.
    pub config_dir: PathBuf,
    /// Start on this screen instead of the remembered one (screenshots, tests).
    pub start_screen: Option<Screen>,
    /// The in-process sandbox approves every authorization as this user (scripts, tests).
    pub sandbox_auto_approve: Option<String>,
    /// Inspect this token at start (screenshots, benchmarks).
    pub start_token: Option<String>,
    /// Run this grant with the active profile at start (screenshots, benchmarks).
    pub start_grant: Option<grantscope_core::oauth::GrantKind>,
    /// Start with the flow runner's step mode on, and (`Some(true)`) the presenter view
    /// (screenshots).
    pub start_step: Option<bool>,
    /// Use the native file dialog (off: the path field; tests, desktops without a dialog
    /// service).
    pub file_dialogs: bool,
    /// Where profiles keep client secrets: the file for tests, the OS keychain where one
    /// answers for the real app (decided on the worker at the first save or load).
    pub secret_vault: grantscope_core::profile::vault::Vault,
}

impl AppOptions {
    /// Options for a config dir, everything else default.
    pub fn new(config_dir: impl Into<PathBuf>) -> Self {
        Self {
            config_dir: config_dir.into(),
            start_screen: None,
            sandbox_auto_approve: None,
            start_token: None,
            start_grant: None,
            start_step: None,
            file_dialogs: crate::files::dialog_service_available(),
            secret_vault: grantscope_core::profile::vault::Vault::File,
        }
    }

    /// The user's config dir (`GRANTSCOPE_CONFIG_DIR` overrides it), the hidden
    /// `GRANTSCOPE_SCREEN` start screen, `GRANTSCOPE_SANDBOX_AUTO_APPROVE`, and the hidden
    /// `GRANTSCOPE_START_TOKEN` (or `_FILE`) / `GRANTSCOPE_START_RUN` used by the screenshot and bench scripts.
    pub fn from_env() -> anyhow::Result<Self> {
        let config_dir = grantscope_core::profile::config_dir().ok_or_else(|| {
            anyhow::anyhow!(
                "cannot find a home directory for the settings; set GRANTSCOPE_CONFIG_DIR"
            )
        })?;
        Ok(Self {
            secret_vault: grantscope_core::profile::vault::Vault::from_environment(),
            config_dir,
            start_screen: std::env::var("GRANTSCOPE_SCREEN")
                .ok()
                .and_then(|s| Screen::parse(&s)),
            sandbox_auto_approve: std::env::var("GRANTSCOPE_SANDBOX_AUTO_APPROVE")
                .ok()
                .filter(|s| !s.is_empty()),
            start_token: std::env::var("GRANTSCOPE_START_TOKEN")
                .ok()
                .or_else(|| {
                    // A file, for tokens larger than an environment variable may hold.
                    let path = std::env::var_os("GRANTSCOPE_START_TOKEN_FILE")?;
                    std::fs::read_to_string(path).ok()
                })
                .filter(|s| !s.is_empty()),
            start_grant: std::env::var("GRANTSCOPE_START_RUN")
                .ok()
                .and_then(|s| s.parse().ok()),
            // Hidden, for the screenshot script: "1" step mode, "presenter" with the view.
            start_step: std::env::var("GRANTSCOPE_START_STEP")
                .ok()
                .filter(|s| !s.is_empty())
                .map(|s| s == "presenter"),
            file_dialogs: crate::files::dialog_service_available(),
        })
    }
}

/// What a screen asks of the app: every effect of one screen on another, or on the app, is one
/// of these, carried out in one place ([`GrantscopeApp::carry_out`]).
enum Command {
    Flow(FlowCommand),
    Inspector(InspectorCommand),
    Profiles(ProfilesCommand),
    Wizard(WizardCommand),
    Api(ApiCommand),
    Logout(LogoutCommand),
    /// Show this screen.
    Show(Screen),
}

/// The desktop app.
pub struct GrantscopeApp {
    options: AppOptions,
    /// Persisted.
    settings: Settings,
    // Runtime only from here on.
    worker: Worker<Event>,
    flow: FlowScreen,
    inspector: InspectorScreen,
    profiles: ProfilesScreen,
    history: HistoryScreen,
    probes: ProbesScreen,
    /// The Logout listener window.
    logout: LogoutScreen,
    /// The wizard's "start from an API".
    api: ApiStart,
    /// The in-process sandbox (its one owner) and its panel.
    classroom: Classroom,
    applied_zoom: f32,
    applied_theme: Option<ThemeChoice>,
    /// A message shown once in the top bar (e.g. a file that could not be read).
    notice: Option<String>,
    /// The profile list was read once: create the sandbox profile if never done.
    first_listing_done: bool,
    /// Frames drawn so far (up to 2): the stores are read from the second one on.
    frames: u8,
    /// No tooltip or animation under a pointer that only rests where the window opened.
    calm: CalmStart,
    bench: Bench,
}

impl GrantscopeApp {
    /// Builds the app from eframe's creation context.
    pub fn new(cc: &eframe::CreationContext<'_>, options: AppOptions) -> anyhow::Result<Self> {
        let mut app = Self::with_context(&cc.egui_ctx, options)?;
        app.bench = Bench::from_env();
        Ok(app)
    }

    /// Builds the app for an existing egui context (tests, benchmarks).
    pub fn with_context(ctx: &egui::Context, options: AppOptions) -> anyhow::Result<Self> {
        let mut settings = Settings::load(&options.config_dir);
        if let Some(screen) = options.start_screen {
            settings.screen = screen;
        }
        if let Some(user) = &options.sandbox_auto_approve {
            settings.classroom.auto_approve = Some(user.clone());
        }
        let classroom = Classroom::new(options.config_dir.join("sandbox"), &settings.classroom);
        // Dimmed text readable in the light theme (egui's default fades it to low contrast).
        ctx.style_mut_of(egui::Theme::Light, |s| {
            s.visuals.weak_text_color = Some(egui::Color32::from_gray(88));
        });
        // No text under 14 px at 150 % (a projector): egui's small style is 9 points.
        ctx.all_styles_mut(|s| {
            s.text_styles.insert(
                egui::TextStyle::Small,
                egui::FontId::proportional(crate::layout::MIN_TEXT_POINTS),
            );
        });
        let worker = Worker::new(
            ctx.clone(),
            grantscope_core::keys::KeyStore::new(options.config_dir.join("keys")),
        )?;
        // The profile list and the kept history are read after the first frame is on screen
        // (see `logic`): on a busy machine their threads would delay it.
        let profiles = ProfilesScreen::new(
            &options.config_dir,
            options.file_dialogs,
            options.secret_vault,
        );
        let mut inspector = InspectorScreen::default();
        if let Some(token) = &options.start_token {
            inspector.set_token(token.clone(), &worker.jobs(Event::Inspector), None);
        }
        let history = HistoryScreen::new(&options.config_dir, options.file_dialogs);
        let mut probes = ProbesScreen::default();
        probes.set_file_dialogs(options.file_dialogs);
        // Theme and zoom before the first frame, so it is not drawn twice (once per theme).
        ctx.set_theme(settings.theme.preference());
        ctx.set_zoom_factor(settings.zoom);
        let (settings_zoom, settings_theme) = (settings.zoom, settings.theme);
        let mut flow = FlowScreen::default();
        if let Some(presenter) = options.start_step {
            flow.start_in_step_mode(presenter);
        }
        // The scripted start run on the inspector screen inspects what it got.
        if options.start_grant.is_some() && options.start_screen == Some(Screen::Inspector) {
            flow.inspect_next_run();
        }
        Ok(Self {
            settings,
            worker,
            flow,
            inspector,
            profiles,
            history,
            probes,
            logout: LogoutScreen::default(),
            api: ApiStart::default(),
            classroom,
            applied_zoom: settings_zoom,
            applied_theme: Some(settings_theme),
            notice: None,
            first_listing_done: false,
            frames: 0,
            calm: CalmStart::hold(ctx),
            bench: Bench::default(),
            options,
        })
    }

    /// Whether the start-up work is done: the profile list read (the sandbox profile created
    /// on a first launch) and the active profile known. Until then the screens may still move
    /// (tests wait for this before they click).
    pub fn settled(&self) -> bool {
        self.first_listing_done && self.active_profile().is_some()
    }

    /// The screen shown now.
    pub fn screen(&self) -> Screen {
        self.settings.screen
    }

    /// The persisted settings.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The flow runner (tests read its state).
    pub fn flow(&self) -> &FlowScreen {
        &self.flow
    }

    /// The inspector (tests read its state).
    pub fn inspector(&self) -> &InspectorScreen {
        &self.inspector
    }

    /// The wizard's "start from an API" (tests read its state).
    pub fn api_start(&self) -> &ApiStart {
        &self.api
    }

    /// The profiles screen.
    pub fn profiles(&self) -> &ProfilesScreen {
        &self.profiles
    }

    /// The session's exchanges.
    pub fn history(&self) -> &HistoryScreen {
        &self.history
    }

    pub fn probes(&self) -> &ProbesScreen {
        &self.probes
    }

    /// The Logout listener window (tests read its URL and the tokens it received).
    pub fn logout_listener(&self) -> &LogoutScreen {
        &self.logout
    }

    /// The running sandbox's issuer.
    pub fn sandbox_issuer(&self) -> Option<String> {
        self.classroom.issuer()
    }

    /// The sandbox and its panel (tests read its state).
    pub fn classroom(&self) -> &Classroom {
        &self.classroom
    }

    /// Writes the persisted settings to the config dir.
    pub fn save_settings(&self) -> std::io::Result<()> {
        self.settings.save(&self.options.config_dir)
    }

    fn api_jobs(&self) -> Jobs<ApiMsg> {
        self.worker.jobs(Event::Api)
    }

    fn flow_jobs(&self) -> Jobs<FlowMsg> {
        self.worker.jobs(Event::Flow)
    }

    fn inspector_jobs(&self) -> Jobs<InspectorMsg> {
        self.worker.jobs(Event::Inspector)
    }

    fn profiles_jobs(&self) -> Jobs<ProfilesMsg> {
        self.worker.jobs(Event::Profiles)
    }

    fn history_jobs(&self) -> Jobs<HistoryMsg> {
        self.worker.jobs(Event::History)
    }

    fn sandbox_jobs(&self) -> Jobs<SandboxMsg> {
        self.worker.jobs(Event::Sandbox)
    }

    fn probes_jobs(&self) -> Jobs<ProbesMsg> {
        self.worker.jobs(Event::Probes)
    }

    fn logout_jobs(&self) -> Jobs<LogoutMsg> {
        self.worker.jobs(Event::Logout)
    }

    fn app_jobs(&self) -> Jobs<Event> {
        self.worker.jobs(std::convert::identity)
    }

    /// The active profile's name.
    pub fn active_profile_name(&self) -> Option<&str> {
        self.settings.active_profile.as_deref()
    }

    /// Makes `name` the active profile of the whole app.
    fn use_profile(&mut self, name: String) {
        self.settings.active_profile = Some(name);
        self.follow_active();
    }

    /// The flow runner's form follows the active profile (as stored).
    fn follow_active(&mut self) {
        let stored = self
            .settings
            .active_profile
            .as_deref()
            .and_then(|n| self.profiles.get(n));
        self.flow.follow_active(stored);
    }

    /// The active profile as used: the sandbox profile gets the running sandbox's issuer.
    fn active_profile(&self) -> Option<Profile> {
        let name = self.settings.active_profile.as_deref()?;
        self.profiles
            .get(name)
            .cloned()
            .map(|p| self.with_sandbox(p))
    }

    fn with_sandbox(&self, mut p: Profile) -> Profile {
        if p.name == SANDBOX_PROFILE && p.issuer.as_deref().is_none_or(str::is_empty) {
            p.issuer = self.sandbox_issuer();
        }
        p
    }

    fn start_sandbox(&mut self) {
        let jobs = self.sandbox_jobs();
        self.classroom.start(&self.settings.classroom, &jobs);
    }

    fn run_flow(&mut self) {
        // The sandbox profile has no stored issuer: it runs against the sandbox as it runs now
        // (a restart may have moved it to another port).
        let stored_issuer = self
            .profiles
            .get(SANDBOX_PROFILE)
            .map(|p| p.issuer.clone().unwrap_or_default());
        let needs_sandbox = self.flow.profile.name == SANDBOX_PROFILE
            && match stored_issuer {
                Some(stored) => stored.is_empty(),
                None => self
                    .flow
                    .profile
                    .issuer
                    .as_deref()
                    .is_none_or(str::is_empty),
            };
        let sandbox = match (needs_sandbox, self.sandbox_issuer()) {
            (false, _) => None,
            (true, Some(issuer)) => Some(RunningSandbox {
                issuer,
                jwt_key: self.classroom.client_files().map(|f| f.jwt_key),
            }),
            (true, None) => {
                self.flow.run_when_sandbox_starts();
                self.start_sandbox();
                return;
            }
        };
        let jobs = self.flow_jobs();
        self.flow.start(&jobs, sandbox.as_ref());
    }

    /// Opens the flow runner for `grant`, filled from the active profile.
    fn prefill_flow(&mut self, grant: grantscope_core::oauth::GrantKind) {
        // The stored profile: the sandbox's address is filled in when the run starts.
        let profile = self
            .settings
            .active_profile
            .as_deref()
            .and_then(|n| self.profiles.get(n))
            .or_else(|| self.profiles.get(SANDBOX_PROFILE))
            .cloned();
        self.flow.prefill(grant, profile);
        self.settings.screen = Screen::Flow;
    }

    fn apply_style(&mut self, ctx: &egui::Context) {
        if self.applied_theme != Some(self.settings.theme) {
            ctx.set_theme(self.settings.theme.preference());
            self.applied_theme = Some(self.settings.theme);
        }
        if (self.applied_zoom - self.settings.zoom).abs() > f32::EPSILON {
            ctx.set_zoom_factor(self.settings.zoom);
            self.applied_zoom = self.settings.zoom;
        } else {
            // Ctrl +/- changes egui's zoom directly; remember it.
            let z = ctx.zoom_factor();
            if (z - self.settings.zoom).abs() > f32::EPSILON {
                self.settings.zoom = z;
                self.applied_zoom = z;
            }
        }
    }

    fn handle_event(&mut self, event: Event) {
        match event {
            Event::FileRead { name, result } => match result {
                Ok(text) => {
                    let profile = self.active_profile();
                    let jobs = self.inspector_jobs();
                    self.inspector.set_token(text, &jobs, profile.as_ref());
                    self.settings.screen = Screen::Inspector;
                }
                Err(e) => self.notice = Some(format!("Could not read {name}: {e}")),
            },
            Event::Flow(msg) => {
                for c in self.flow.on_message(msg) {
                    self.carry_out(Command::Flow(c));
                }
                // A CIBA request was taken or its run ended: the phone reads the sandbox's
                // requests again when it is next drawn.
                self.classroom.ciba_wake();
            }
            Event::Inspector(msg) => {
                for c in self.inspector.on_message(msg) {
                    self.carry_out(Command::Inspector(c));
                }
            }
            Event::Profiles(msg) => {
                let jobs = self.profiles_jobs();
                if let Some(c) = self.profiles.on_message(msg, &jobs) {
                    self.carry_out(Command::Profiles(c));
                }
            }
            Event::History(msg) => self.history.on_message(msg),
            Event::Api(msg) => {
                if let Some(c) = self.api.on_message(msg) {
                    self.carry_out(Command::Api(c));
                }
            }
            Event::Probes(msg) => self.probes.on_message(msg),
            Event::Logout(msg) => {
                if let Some(c) = self.logout.on_message(msg) {
                    self.carry_out(Command::Logout(c));
                }
            }
            Event::Sandbox(msg) => match self.classroom.on_message(msg) {
                Outcome::Started => {
                    self.notice = None;
                    // The same port at the next restart and launch; the screens follow it now.
                    self.classroom.remember_port(&mut self.settings.classroom);
                    if let Some(issuer) = self.sandbox_issuer() {
                        self.flow.sandbox_moved(&issuer);
                    }
                    if let Some(c) = self.flow.sandbox_started(true) {
                        self.carry_out(Command::Flow(c));
                    }
                }
                Outcome::Failed(e) => {
                    let _ = self.flow.sandbox_started(false);
                    // The Classroom panel says it already; elsewhere the notice does.
                    if self.settings.screen != Screen::Classroom {
                        self.notice = Some(format!("The sandbox could not start: {e}"));
                    }
                }
                Outcome::Stopped => {}
            },
        }
    }

    /// After the profile list was (re)read: create the sandbox profile on first launch, fill the
    /// flow runner from the active profile, and start the requested run.
    fn after_listing(&mut self) {
        if !self.first_listing_done {
            self.first_listing_done = true;
            if !self.settings.sandbox_profile_created {
                self.settings.sandbox_profile_created = true;
                let jobs = self.profiles_jobs();
                self.profiles.ensure_sandbox_profile(&jobs);
            }
            if self.settings.active_profile.is_none() {
                self.settings.active_profile = Some(SANDBOX_PROFILE.to_owned());
            }
        }
        self.follow_active();
        // The scripted start run waits for the profile it runs with (created on first launch).
        if self.active_profile().is_none() {
            return;
        }
        if let Some(grant) = self.options.start_grant.take() {
            let screen = self.settings.screen;
            self.prefill_flow(grant);
            self.settings.screen = screen;
            self.run_flow();
        }
    }

    /// Carries out what a screen asked: the one place where one screen's action reaches
    /// another screen or the app.
    fn carry_out(&mut self, command: Command) {
        match command {
            Command::Flow(c) => match c {
                FlowCommand::Run => self.run_flow(),
                FlowCommand::Inspect(req) => {
                    self.inspect_from_flow(*req);
                    self.settings.screen = Screen::Inspector;
                }
                FlowCommand::UseProfile(name) => self.use_profile(name),
                FlowCommand::Call => {
                    let jobs = self.flow_jobs();
                    self.flow.start_call(&jobs);
                }
                FlowCommand::Record(exchanges) => self.history.extend(exchanges),
                FlowCommand::ProbeApi(req) => self.probe_api(*req),
                FlowCommand::ReadScopes => {
                    let jobs = self.flow_jobs();
                    self.flow.read_scopes(&jobs);
                }
                FlowCommand::OpenPhone => self.settings.screen = Screen::Classroom,
            },
            Command::Inspector(c) => match c {
                InspectorCommand::Record(exchanges) => self.history.extend(exchanges),
                InspectorCommand::ProbeApi(req) => self.probe_api(*req),
                InspectorCommand::Rotated { old, new } => self.flow.rotated(&old, new),
                InspectorCommand::OpenLogoutListener => self.logout.open = true,
                InspectorCommand::CallApi { token, name } => {
                    self.flow.send_forged(token, name);
                    self.settings.screen = Screen::Flow;
                }
                InspectorCommand::Refresh(refresh_token) => {
                    // The flow runner's refresh grant, with the token set's newest refresh
                    // token and the scope first granted.
                    let stored = self
                        .settings
                        .active_profile
                        .as_deref()
                        .and_then(|n| self.profiles.get(n))
                        .cloned();
                    self.flow.refresh_from(stored, refresh_token);
                    self.settings.screen = Screen::Flow;
                    self.run_flow();
                }
            },
            Command::Profiles(c) => match c {
                ProfilesCommand::Listed => self.after_listing(),
                ProfilesCommand::UseProfile(name) => self.use_profile(name),
            },
            Command::Wizard(c) => match c {
                WizardCommand::RunGrant(grant) => {
                    if let Some(kind) = grant_kind(grant) {
                        self.prefill_flow(kind);
                        self.flow.focus_run();
                    }
                }
                WizardCommand::OpenProbes(grant) => self.probes.choose_for(grant),
            },
            Command::Api(ApiCommand::Run {
                profile,
                save,
                resource,
                lead_in,
                discovery,
            }) => {
                if save {
                    let jobs = self.profiles_jobs();
                    self.profiles.save(&jobs, (*profile).clone(), None);
                }
                // The discovery's and registration's exchanges belong in the History too.
                self.history.extend(
                    lead_in
                        .iter()
                        .filter_map(|e| match e {
                            grantscope_core::oauth::FlowEvent::Exchange(ex) => Some((**ex).clone()),
                            _ => None,
                        })
                        .collect::<Vec<_>>(),
                );
                self.settings.active_profile = Some(profile.name.clone());
                self.flow.prefill(
                    grantscope_core::oauth::GrantKind::AuthorizationCode,
                    Some(*profile),
                );
                self.flow.start_from_api(lead_in, resource, discovery);
                self.settings.screen = Screen::Flow;
                self.run_flow();
            }
            Command::Logout(c) => match c {
                LogoutCommand::Inspect { token, profile } => {
                    let jobs = self.inspector_jobs();
                    self.inspector.set_logout_token(token, &jobs, &profile);
                    self.settings.screen = Screen::Inspector;
                }
                LogoutCommand::Record(exchanges) => self.history.extend(exchanges),
            },
            Command::Show(screen) => self.settings.screen = screen,
        }
    }

    /// "Probe this API" (the flow runner, the inspector): the Probes window's API mode, filled
    /// and started.
    fn probe_api(&mut self, req: crate::handoff::ApiProbeRequest) {
        let jobs = self.probes_jobs();
        let active = self.active_profile();
        self.probes.probe_api(req, &jobs, active.as_ref());
    }

    /// Inspects a token the flow runner obtained, with what the flow knows about it.
    fn inspect_from_flow(&mut self, mut req: InspectRequest) {
        // The newest refresh token of the token set, not the one this response carried.
        if req.refresh_token.is_some()
            && let Some(ts) = self.flow.token_set()
        {
            req.refresh_token = Some(ts.refresh_token.clone());
        }
        let jobs = self.inspector_jobs();
        self.inspector.set_from_flow(req, &jobs);
    }

    /// Ctrl+V anywhere (outside a text field) inspects the pasted token; a dropped file is
    /// read on the worker and inspected.
    fn global_input(&mut self, ctx: &egui::Context) {
        let text_focused = ctx.memory(|m| m.focused().is_some());
        let (pasted, dropped) = ctx.input(|i| {
            let pasted = i.events.iter().find_map(|e| match e {
                egui::Event::Paste(s) if !text_focused => Some(s.clone()),
                _ => None,
            });
            (pasted, i.raw.dropped_files.clone())
        });
        if let Some(text) = pasted.filter(|t| !t.trim().is_empty()) {
            let profile = self.active_profile();
            let jobs = self.inspector_jobs();
            self.inspector.set_token(text, &jobs, profile.as_ref());
            self.settings.screen = Screen::Inspector;
        }
        if let Some(file) = dropped.into_iter().next() {
            let name = file.path().display().to_string();
            self.app_jobs().spawn(async move {
                let result = tokio::task::spawn_blocking(move || {
                    let bytes = file.bytes()?;
                    if bytes.len() > 4 * 1024 * 1024 {
                        return Err("larger than 4 MiB, not a token".to_owned());
                    }
                    let text = String::from_utf8(bytes).map_err(|_| "not UTF-8 text".to_owned())?;
                    if text.trim().is_empty() {
                        return Err("the file is empty, there is no token in it".to_owned());
                    }
                    Ok(text)
                })
                .await
                .map_err(|e| e.to_string())
                .and_then(|r| r);
                Event::FileRead { name, result }
            });
        }
    }

    /// The screens, the active profile, the sandbox and the view settings, in one row that
    /// wraps onto a second when the window is narrow (nothing slides under anything).
    fn top_bar_ui(&mut self, ui: &mut egui::Ui) {
        egui::Panel::top("top_bar").show(ui, |ui| {
            ui.horizontal_wrapped(|ui| {
                ui.label(egui::RichText::new("grantscope").strong());
                ui.separator();
                for screen in Screen::ALL {
                    ui.selectable_value(&mut self.settings.screen, screen, screen.label());
                }
                self.probes.toggle_ui(ui);
                self.logout.toggle_ui(ui);
                ui.separator();
                let active = self
                    .settings
                    .active_profile
                    .clone()
                    .unwrap_or_else(|| "none".into());
                let mut chosen = None;
                let profile_menu = ui
                    .menu_button(format!("Profile: {active}"), |ui| {
                        ui.label(egui::RichText::new("The profile every screen uses").weak());
                        for p in self.profiles.profiles() {
                            if ui.selectable_label(p.name == active, &p.name).clicked() {
                                chosen = Some(p.name.clone());
                                ui.close();
                            }
                        }
                    })
                    .response
                    .on_hover_text("The active profile: the flow runner and the inspector use it");
                crate::layout::refocus_after_menu(&profile_menu);
                if let Some(name) = chosen {
                    self.use_profile(name);
                }
                match self.classroom.state() {
                    SandboxState::Running => {
                        let issuer = self.sandbox_issuer().unwrap_or_default();
                        ui.label(egui::RichText::new(format!("Sandbox: {issuer}")).weak());
                    }
                    SandboxState::Starting => {
                        ui.spinner();
                        ui.label("Starting the sandbox");
                    }
                    SandboxState::Stopping => {
                        ui.spinner();
                        ui.label("Stopping the sandbox");
                    }
                    SandboxState::Stopped => {
                        if ui
                            .button("Start sandbox")
                            .on_hover_text("Run the built-in authorization server on 127.0.0.1")
                            .clicked()
                        {
                            self.start_sandbox();
                        }
                    }
                }
                let view_menu = ui
                    .menu_button(format!("View {:.0}%", self.settings.zoom * 100.0), |ui| {
                        ui.label(egui::RichText::new("Zoom").strong());
                        for z in ZOOM_LEVELS {
                            let label = format!("{:.0}%", z * 100.0);
                            ui.selectable_value(&mut self.settings.zoom, z, label);
                        }
                        ui.separator();
                        ui.label(egui::RichText::new("Theme").strong());
                        let t = &mut self.settings.theme;
                        ui.selectable_value(t, ThemeChoice::System, "System");
                        ui.selectable_value(t, ThemeChoice::Light, "Light");
                        ui.selectable_value(t, ThemeChoice::Dark, "Dark");
                    })
                    .response
                    .on_hover_text("Zoom (also Ctrl +/-) and theme");
                crate::layout::refocus_after_menu(&view_menu);
            });
            if let Some(notice) = self.notice.clone() {
                ui.horizontal_wrapped(|ui| {
                    ui.colored_label(ui.visuals().warn_fg_color, notice);
                    if ui.small_button("Dismiss").clicked() {
                        self.notice = None;
                    }
                });
            }
        });
    }
}

impl eframe::App for GrantscopeApp {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        self.bench.start_of_frame();
        self.calm.before_frame(ctx);
        if self.frames == 1 {
            // The first frame is on screen: now read the profiles and the kept history.
            let jobs = self.profiles_jobs();
            self.profiles.reload(&jobs);
            self.history.load(&self.history_jobs());
        }
        self.frames = self.frames.saturating_add(1).min(2);
        for event in self.worker.drain() {
            self.handle_event(event);
        }
        self.apply_style(ctx);
        self.global_input(ctx);
    }

    fn ui(&mut self, ui: &mut egui::Ui, frame: &mut eframe::Frame) {
        self.top_bar_ui(ui);
        if self.classroom.banner_ui(ui) {
            self.carry_out(Command::Show(Screen::Classroom));
        }
        // Windows (Probes) stay below the top bar and the banner.
        let below_bar = ui.available_rect_before_wrap();
        let now = grantscope_core::timefmt::now_unix();
        let command = match self.settings.screen {
            Screen::Wizard => {
                if self.api.chosen {
                    let jobs = self.api_jobs();
                    let profiles: Vec<Profile> = self.profiles.profiles().to_vec();
                    let sandbox = self.sandbox_issuer();
                    self.api
                        .ui(ui, &jobs, &profiles, sandbox.as_deref())
                        .map(Command::Api)
                } else {
                    wizard_ui(ui, &mut self.settings.wizard, &mut self.api.chosen)
                        .map(Command::Wizard)
                }
            }
            Screen::Flow => {
                let profiles: Vec<Profile> = self.profiles.profiles().to_vec();
                self.flow.ui(ui, &profiles).map(Command::Flow)
            }
            Screen::Inspector => {
                let profile = self.active_profile();
                let jobs = self.inspector_jobs();
                self.inspector
                    .ui(ui, &jobs, profile.as_ref(), now)
                    .map(Command::Inspector)
            }
            Screen::Profiles => {
                let jobs = self.profiles_jobs();
                let active = self.settings.active_profile.clone();
                self.profiles
                    .ui(ui, &jobs, active.as_deref())
                    .map(Command::Profiles)
            }
            Screen::History => {
                let jobs = self.history_jobs();
                // Replays go out with the active profile's HTTP settings.
                let http = self.active_profile().map(|p| p.http).unwrap_or_default();
                self.history.ui(ui, &jobs, http);
                None
            }
            Screen::Classroom => {
                let jobs = self.sandbox_jobs();
                let waiting = self.flow.ciba_waiting();
                match self
                    .classroom
                    .ui(ui, &mut self.settings.classroom, &jobs, waiting)
                {
                    // A credential the sandbox issued for a teacher: verified as its issuer's
                    // (the running sandbox's keys and issuer), as a flow's token is.
                    Some(ClassroomCommand::Inspect(token)) => {
                        let jobs = self.inspector_jobs();
                        match self.sandbox_issuer() {
                            Some(issuer) => {
                                let profile = self.with_sandbox(
                                    self.profiles
                                        .get(SANDBOX_PROFILE)
                                        .cloned()
                                        .unwrap_or_else(|| Profile::new(SANDBOX_PROFILE)),
                                );
                                let req = InspectRequest {
                                    token,
                                    jwks_uri: Some(format!(
                                        "{}/jwks",
                                        issuer.trim_end_matches('/')
                                    )),
                                    options: grantscope_core::token::InspectOptions {
                                        issuer: Some(issuer),
                                        ..Default::default()
                                    },
                                    profile,
                                    hs_secret: None,
                                    expires_at: None,
                                    refresh_token: None,
                                    dpop: None,
                                    id_token: None,
                                    dpop_key: None,
                                };
                                self.inspector.set_from_flow(req, &jobs);
                            }
                            None => self.inspector.set_token(token, &jobs, None),
                        }
                        Some(Command::Show(Screen::Inspector))
                    }
                    None => None,
                }
            }
        };
        if let Some(c) = command {
            self.carry_out(c);
        }
        let jobs = self.history_jobs();
        self.history.save_if_changed(&jobs);
        crate::layout::focus_ring_ui(ui.ctx());
        if self.frames == 1 {
            // A second frame comes, and with it the stores are read (see `logic`).
            ui.ctx().request_repaint();
        }
        // Drawn when open; told when closed (its run stops with it). The profiles as used:
        // the sandbox profile with the running sandbox's address.
        let profiles: Vec<Profile> = if self.probes.open {
            self.profiles
                .profiles()
                .iter()
                .cloned()
                .map(|p| self.with_sandbox(p))
                .collect()
        } else {
            Vec::new()
        };
        let jobs = self.probes_jobs();
        let active = self.settings.active_profile.clone();
        self.probes.sandbox_stopped = self.classroom.state() == SandboxState::Stopped;
        self.probes
            .window(ui.ctx(), &jobs, &profiles, active.as_deref(), below_bar);
        if self.probes.take_start_sandbox() {
            self.start_sandbox();
        }
        if self.logout.open {
            let jobs = self.logout_jobs();
            let active = self.active_profile();
            if let Some(c) = self
                .logout
                .window(ui.ctx(), &jobs, active.as_ref(), below_bar)
            {
                self.carry_out(Command::Logout(c));
            }
        }
        if self.bench.active() {
            self.bench.end_of_frame(ui.ctx(), frame);
        }
    }

    fn save(&mut self, _storage: &mut dyn eframe::Storage) {
        // Our own file in the config dir, so tests can point it at a tempdir.
        if let Err(e) = self.save_settings() {
            self.notice = Some(format!("Could not save the settings: {e}"));
        }
    }
}
