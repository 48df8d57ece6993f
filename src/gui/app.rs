//! The app shell: one window, a top bar of screens, persisted settings, and the per-frame loop
//! that drains background events and routes global input (paste anywhere, dropped files).

use std::path::PathBuf;

use super::bench::Bench;
use super::events::Event;
use super::flow::{FlowCommand, FlowScreen, grant_kind};
use super::history::HistoryScreen;
use super::inspector::InspectorScreen;
use super::probes::ProbesScreen;
use super::profiles::{ProfilesScreen, SANDBOX_PROFILE};
use super::settings::{Screen, Settings, ThemeChoice, ZOOM_LEVELS};
use super::wizard::{WizardCommand, wizard_ui};
use super::worker::Worker;
use crate::profile::Profile;
use crate::sandbox::{SandboxConfig, SandboxHandle};

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
    pub start_grant: Option<crate::oauth::GrantKind>,
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
        }
    }

    /// The user's config dir (`GRANTSCOPE_CONFIG_DIR` overrides it), the hidden
    /// `GRANTSCOPE_SCREEN` start screen, `GRANTSCOPE_SANDBOX_AUTO_APPROVE`, and the hidden
    /// `GRANTSCOPE_START_TOKEN` (or `_FILE`) / `GRANTSCOPE_START_RUN` used by the screenshot and bench scripts.
    pub fn from_env() -> anyhow::Result<Self> {
        let config_dir = crate::profile::config_dir().ok_or_else(|| {
            anyhow::anyhow!(
                "cannot find a home directory for the settings; set GRANTSCOPE_CONFIG_DIR"
            )
        })?;
        Ok(Self {
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
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SandboxState {
    Stopped,
    Starting,
    Running,
}

/// The desktop app.
pub struct GrantscopeApp {
    options: AppOptions,
    /// Persisted.
    settings: Settings,
    // Runtime only from here on.
    worker: Worker,
    flow: FlowScreen,
    inspector: InspectorScreen,
    profiles: ProfilesScreen,
    history: HistoryScreen,
    probes: ProbesScreen,
    sandbox: Option<Box<SandboxHandle>>,
    sandbox_state: SandboxState,
    /// Run the flow as soon as the sandbox is up.
    run_after_sandbox: bool,
    applied_zoom: f32,
    applied_theme: Option<ThemeChoice>,
    /// A message shown once in the top bar (e.g. a file that could not be read).
    notice: Option<String>,
    /// The profile list was read once: create the sandbox profile if never done.
    first_listing_done: bool,
    /// The scripted start run (`start_grant`) opens its access token in the inspector.
    inspect_start_run: bool,
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
        let worker = Worker::new(ctx.clone())?;
        let mut profiles = ProfilesScreen::new(&options.config_dir);
        profiles.reload(&worker);
        let mut inspector = InspectorScreen::default();
        if let Some(token) = &options.start_token {
            inspector.set_token(token.clone(), &worker, None);
        }
        Ok(Self {
            settings,
            worker,
            flow: FlowScreen::default(),
            inspector,
            profiles,
            history: HistoryScreen::default(),
            probes: ProbesScreen::default(),
            sandbox: None,
            sandbox_state: SandboxState::Stopped,
            run_after_sandbox: false,
            applied_zoom: 0.0,
            applied_theme: None,
            notice: None,
            first_listing_done: false,
            inspect_start_run: options.start_grant.is_some()
                && options.start_screen == Some(Screen::Inspector),
            bench: Bench::default(),
            options,
        })
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

    /// The running sandbox's issuer.
    pub fn sandbox_issuer(&self) -> Option<String> {
        self.sandbox.as_ref().map(|s| s.issuer_str().to_owned())
    }

    /// Writes the persisted settings to the config dir.
    pub fn save_settings(&self) -> std::io::Result<()> {
        self.settings.save(&self.options.config_dir)
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
        if self.sandbox_state != SandboxState::Stopped {
            return;
        }
        self.sandbox_state = SandboxState::Starting;
        let config = SandboxConfig {
            auto_approve: self.options.sandbox_auto_approve.clone(),
            key_dir: Some(self.options.config_dir.join("sandbox")),
            ..SandboxConfig::default()
        };
        self.worker.spawn(async move {
            Event::Sandbox(
                crate::sandbox::start(config)
                    .await
                    .map(Box::new)
                    .map_err(|e| e.to_string()),
            )
        });
    }

    fn run_flow(&mut self) {
        let needs_sandbox = self.flow.profile.name == SANDBOX_PROFILE
            && self
                .flow
                .profile
                .issuer
                .as_deref()
                .is_none_or(str::is_empty);
        if needs_sandbox {
            match self.sandbox_issuer() {
                Some(issuer) => self.flow.profile.issuer = Some(issuer),
                None => {
                    self.run_after_sandbox = true;
                    self.start_sandbox();
                    return;
                }
            }
        }
        self.flow.start(&self.worker);
    }

    /// Opens the flow runner for `grant`, filled from the active profile.
    fn prefill_flow(&mut self, grant: crate::oauth::GrantKind) {
        let profile = self.active_profile().or_else(|| {
            self.profiles
                .get(SANDBOX_PROFILE)
                .cloned()
                .map(|p| self.with_sandbox(p))
        });
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
                    self.inspector.refresh_token = None;
                    self.inspector
                        .set_token(text, &self.worker, profile.as_ref());
                    self.settings.screen = Screen::Inspector;
                }
                Err(e) => self.notice = Some(format!("Could not read {name}: {e}")),
            },
            Event::Flow(msg) => {
                let exchanges = self.flow.on_message(msg);
                self.history.extend(exchanges);
                // A scripted start run on the inspector screen inspects what it got.
                if self.inspect_start_run
                    && let Some(token) = self
                        .flow
                        .run()
                        .and_then(|r| r.success())
                        .map(|s| s.tokens.access_token.expose().to_string())
                {
                    self.inspect_start_run = false;
                    self.inspect_from_flow(token);
                    self.settings.screen = Screen::Inspector;
                }
            }
            Event::Inspector(msg) => {
                let exchanges = self.inspector.on_message(msg);
                self.history.extend(exchanges);
            }
            Event::Profiles(msg) => {
                if self.profiles.on_message(msg, &self.worker) {
                    self.after_listing();
                }
            }
            Event::History(msg) => self.history.on_message(msg),
            Event::Sandbox(result) => match result {
                Ok(handle) => {
                    self.sandbox_state = SandboxState::Running;
                    self.notice = None;
                    self.sandbox = Some(handle);
                    if self.run_after_sandbox {
                        self.run_after_sandbox = false;
                        self.run_flow();
                    }
                }
                Err(e) => {
                    self.sandbox_state = SandboxState::Stopped;
                    self.run_after_sandbox = false;
                    self.notice = Some(format!("The sandbox could not start: {e}"));
                }
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
                self.profiles.ensure_sandbox_profile(&self.worker);
            }
            if self.settings.active_profile.is_none() {
                self.settings.active_profile = Some(SANDBOX_PROFILE.to_owned());
            }
        }
        let Some(profile) = self.active_profile() else {
            return;
        };
        if self.flow.profile.name == "unsaved" {
            self.flow.prefill(self.flow.grant, Some(profile));
        }
        if let Some(grant) = self.options.start_grant.take() {
            let screen = self.settings.screen;
            self.prefill_flow(grant);
            self.settings.screen = screen;
            self.run_flow();
        }
    }

    /// Inspects a token the flow runner obtained, against the keys of the server it came from.
    fn inspect_from_flow(&mut self, token: String) {
        let profile = Some(self.flow.profile.clone());
        self.inspector.verify = Default::default();
        self.inspector.verify.issuer = self.flow.profile.issuer.clone().unwrap_or_default();
        if let Some(cfg) = self.flow.run().and_then(|r| r.config())
            && let Some(j) = &cfg.endpoints.jwks_uri
        {
            self.inspector.verify.jwks = j.to_string();
        }
        self.inspector.refresh_token = self
            .flow
            .run()
            .and_then(|r| r.success())
            .and_then(|s| s.tokens.refresh_token.clone())
            .map(|t| t.into_exposed());
        self.inspector
            .set_token(token, &self.worker, profile.as_ref());
        self.inspector.set_origin(self.flow.profile.clone());
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
            self.inspector.refresh_token = None;
            self.inspector
                .set_token(text, &self.worker, profile.as_ref());
            self.settings.screen = Screen::Inspector;
        }
        if let Some(file) = dropped.into_iter().next() {
            let name = file.path().display().to_string();
            self.worker.spawn(async move {
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

    fn top_bar_ui(&mut self, ui: &mut egui::Ui) {
        egui::Panel::top("top_bar").show(ui, |ui| {
            ui.horizontal_wrapped(|ui| {
                ui.label(egui::RichText::new("grantscope").strong());
                ui.separator();
                for screen in Screen::ALL {
                    ui.selectable_value(&mut self.settings.screen, screen, screen.label());
                }
                ui.toggle_value(&mut self.probes.open, "Probes");
                ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                    egui::ComboBox::from_label("Theme")
                        .selected_text(match self.settings.theme {
                            ThemeChoice::System => "System",
                            ThemeChoice::Light => "Light",
                            ThemeChoice::Dark => "Dark",
                        })
                        .show_ui(ui, |ui| {
                            let t = &mut self.settings.theme;
                            ui.selectable_value(t, ThemeChoice::System, "System");
                            ui.selectable_value(t, ThemeChoice::Light, "Light");
                            ui.selectable_value(t, ThemeChoice::Dark, "Dark");
                        });
                    egui::ComboBox::from_label("Zoom")
                        .selected_text(format!("{:.0}%", self.settings.zoom * 100.0))
                        .show_ui(ui, |ui| {
                            for z in ZOOM_LEVELS {
                                let label = format!("{:.0}%", z * 100.0);
                                ui.selectable_value(&mut self.settings.zoom, z, label);
                            }
                        });
                    match self.sandbox_state {
                        SandboxState::Running => {
                            let issuer = self.sandbox_issuer().unwrap_or_default();
                            ui.label(egui::RichText::new(format!("Sandbox: {issuer}")).weak());
                        }
                        SandboxState::Starting => {
                            ui.spinner();
                            ui.label("Starting the sandbox");
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
                    if let Some(name) = &self.settings.active_profile {
                        ui.label(egui::RichText::new(format!("Profile: {name}")).weak());
                    }
                });
            });
            if let Some(notice) = self.notice.clone() {
                ui.horizontal(|ui| {
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
        for event in self.worker.drain() {
            self.handle_event(event);
        }
        self.apply_style(ctx);
        self.global_input(ctx);
    }

    fn ui(&mut self, ui: &mut egui::Ui, frame: &mut eframe::Frame) {
        self.top_bar_ui(ui);
        let now = crate::timefmt::now_unix();
        match self.settings.screen {
            Screen::Wizard => {
                if let Some(WizardCommand::RunGrant(grant)) =
                    wizard_ui(ui, &mut self.settings.wizard)
                    && let Some(kind) = grant_kind(grant)
                {
                    self.prefill_flow(kind);
                }
            }
            Screen::Flow => {
                let profiles: Vec<Profile> = self
                    .profiles
                    .profiles()
                    .iter()
                    .map(|p| self.with_sandbox(p.clone()))
                    .collect();
                match self.flow.ui(ui, &self.worker, &profiles) {
                    Some(FlowCommand::Run) => self.run_flow(),
                    Some(FlowCommand::Inspect(token)) => {
                        self.inspect_from_flow(token);
                        self.settings.screen = Screen::Inspector;
                    }
                    None => {}
                }
            }
            Screen::Inspector => {
                let profile = self.active_profile();
                if let Some(rt) = self.inspector.ui(ui, &self.worker, profile.as_ref(), now) {
                    let screen_profile = Some(self.flow.profile.clone());
                    self.flow
                        .prefill(crate::oauth::GrantKind::RefreshToken, screen_profile);
                    self.flow.inputs.refresh_token = rt;
                    self.settings.screen = Screen::Flow;
                    self.run_flow();
                }
            }
            Screen::Profiles => {
                self.profiles
                    .ui(ui, &self.worker, &mut self.settings.active_profile);
            }
            Screen::History => self.history.ui(ui, &self.worker),
        }
        if self.probes.open {
            let profile = self.active_profile();
            self.probes.window(ui.ctx(), &self.worker, profile);
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
