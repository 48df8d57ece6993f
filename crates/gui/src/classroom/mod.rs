//! The classroom: the one owner of the in-process sandbox. It starts, stops and restarts it on
//! the worker (never on a frame) with the remembered settings (port, token and code lifetimes,
//! auto-approve user, teaching switches), draws the panel that edits them with each switch's
//! one-line explanation from the sandbox's table ([`grantscope_sandbox::SWITCHES`]), the slim
//! banner every screen shows while the running sandbox has any switch on, and CIBA's "phone"
//! ([`phone`]): the requests waiting for their user, with Approve and Deny.

mod phone;

use std::collections::BTreeSet;
use std::path::PathBuf;

pub use crate::sandbox_settings::ClassroomSettings;
use crate::sandbox_settings::MAX_TTL_SECS;
use crate::worker::Jobs;
use grantscope_sandbox::{SWITCHES, SandboxConfig, SandboxHandle, SwitchKind, find_switch};

/// From this width (points) on, the panel shows two columns.
const WIDE: f32 = 900.0;

/// What the sandbox's jobs report back.
#[derive(Debug)]
pub enum SandboxMsg {
    /// It started (after stopping the previous one, for a restart), or could not.
    Started(Result<Box<SandboxHandle>, String>),
    /// It stopped.
    Stopped(Result<(), String>),
}

/// Where the sandbox is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SandboxState {
    /// Not running.
    Stopped,
    /// A start or restart is under way on the worker.
    Starting,
    /// Serving.
    Running,
    /// A stop is under way on the worker.
    Stopping,
}

/// What the Classroom asks of the app.
#[must_use]
#[derive(Debug, Clone)]
pub enum ClassroomCommand {
    /// Inspect this token (an SD-JWT VC the sandbox issued).
    Inspect(String),
}

/// What a start ended in, for the app (a flow waiting for the sandbox).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Running now.
    Started,
    /// Could not start (the message says why).
    Failed(String),
    /// Stopped.
    Stopped,
}

/// The form's text, as typed (checked on Apply).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Draft {
    port: String,
    /// The port the sandbox picked itself (kept while the field shows it).
    picked: Option<u16>,
    access: String,
    refresh: String,
    code: String,
    auto_approve: Option<String>,
    switches: BTreeSet<&'static str>,
}

impl Draft {
    fn from_settings(s: &ClassroomSettings) -> Self {
        Self {
            port: s.port.to_string(),
            picked: s.port_picked.then_some(s.port),
            access: s.access_token_ttl.to_string(),
            refresh: s.refresh_token_ttl.to_string(),
            code: s.code_ttl.to_string(),
            auto_approve: s.auto_approve.clone(),
            switches: s
                .switches
                .iter()
                .filter_map(|n| find_switch(n).map(|s| s.name))
                .collect(),
        }
    }

    /// The settings the form describes, or what is wrong with it.
    fn parse(&self) -> Result<ClassroomSettings, String> {
        let port = self.port.trim().parse::<u16>().map_err(|_| {
            format!(
                "Port: {:?} is not a port number (0 to 65535; 0 picks a free port)",
                grantscope_core::text::inert(self.port.trim())
            )
        })?;
        let ttl = |what: &str, text: &str| {
            text.trim()
                .parse::<u64>()
                .ok()
                .filter(|s| (1..=MAX_TTL_SECS).contains(s))
                .ok_or_else(|| {
                    format!(
                        "{what}: {:?} is not a number of seconds from 1 to {MAX_TTL_SECS}",
                        grantscope_core::text::inert(text.trim())
                    )
                })
        };
        Ok(ClassroomSettings {
            port,
            port_picked: port != 0 && self.picked == Some(port),
            access_token_ttl: ttl("Access-token lifetime", &self.access)?,
            refresh_token_ttl: ttl("Refresh-token lifetime", &self.refresh)?,
            code_ttl: ttl("Code lifetime", &self.code)?,
            auto_approve: self.auto_approve.clone(),
            // Table order, so the settings file and the banner read the same way.
            switches: SWITCHES
                .iter()
                .filter(|s| self.switches.contains(s.name))
                .map(|s| s.name.to_string())
                .collect(),
        })
    }
}

/// The sandbox and its panel.
pub struct Classroom {
    /// The running sandbox: this is its only owner.
    handle: Option<Box<SandboxHandle>>,
    state: SandboxState,
    key_dir: PathBuf,
    draft: Draft,
    /// Why the last start or stop failed, or what Apply did.
    message: Option<(bool, String)>,
    /// A credential asked for: inspect it (taken by `ui`).
    issued: Option<String>,
    /// CIBA's phone: the requests waiting for their user.
    phone: phone::Phone,
}

impl Classroom {
    /// A stopped sandbox with its keys under `key_dir`, the form filled from `settings`.
    pub fn new(key_dir: PathBuf, settings: &ClassroomSettings) -> Self {
        Self {
            handle: None,
            state: SandboxState::Stopped,
            key_dir,
            draft: Draft::from_settings(settings),
            message: None,
            issued: None,
            phone: phone::Phone::default(),
        }
    }

    /// Something happened to a flow (a CIBA request taken, a run ended): the phone reads the
    /// sandbox's requests again when it is next drawn.
    pub fn ciba_wake(&mut self) {
        self.phone.wake();
    }

    /// The CIBA requests the phone shows (as last read).
    pub fn ciba_pending(&self) -> &[grantscope_sandbox::PendingCiba] {
        self.phone.pending()
    }

    /// Where the sandbox is in its life.
    pub fn state(&self) -> SandboxState {
        self.state
    }

    /// The running sandbox's issuer.
    pub fn issuer(&self) -> Option<String> {
        self.handle.as_ref().map(|h| h.issuer_str().to_owned())
    }

    /// Where the running sandbox keeps its clients' keys and certificates.
    pub fn client_files(&self) -> Option<grantscope_sandbox::ClientFiles> {
        self.handle.as_ref().map(|h| h.client_files())
    }

    /// The configuration the running sandbox has.
    pub fn running_config(&self) -> Option<&SandboxConfig> {
        self.handle.as_ref().map(|h| h.config())
    }

    /// The names of the teaching switches the running sandbox has on (table order).
    pub fn switches_on(&self) -> Vec<&'static str> {
        self.running_config()
            .map(|c| {
                SWITCHES
                    .iter()
                    .filter(|s| s.is_on(c))
                    .map(|s| s.name)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Starts the sandbox with `settings` on the worker (nothing when it runs or is busy).
    pub fn start(&mut self, settings: &ClassroomSettings, jobs: &Jobs<SandboxMsg>) {
        if self.state != SandboxState::Stopped {
            return;
        }
        self.launch(settings, jobs);
    }

    /// Stops the running sandbox and starts it again with `settings`, in one job on the worker
    /// (the old listener is closed before the new one binds, so a fixed port is free again).
    pub fn restart(&mut self, settings: &ClassroomSettings, jobs: &Jobs<SandboxMsg>) {
        if matches!(self.state, SandboxState::Starting | SandboxState::Stopping) {
            return;
        }
        self.launch(settings, jobs);
    }

    fn launch(&mut self, settings: &ClassroomSettings, jobs: &Jobs<SandboxMsg>) {
        self.state = SandboxState::Starting;
        self.message = None;
        let old = self.handle.take();
        let config = settings.config(self.key_dir.clone());
        let picked = settings.port_picked;
        jobs.spawn(async move {
            if let Some(old) = old
                && let Err(e) = old.shutdown().await
            {
                return SandboxMsg::Started(Err(format!("the running sandbox did not stop: {e}")));
            }
            let mut started = grantscope_sandbox::start(config.clone()).await;
            if started.is_err() && picked {
                // The port it picked last time is taken now: it picks another.
                started = grantscope_sandbox::start(SandboxConfig { port: 0, ..config }).await;
            }
            SandboxMsg::Started(started.map(Box::new).map_err(|e| e.to_string()))
        });
    }

    /// Remembers the port the running sandbox got when its settings let it pick one (0), so
    /// that a restart, and the next launch, serve on the same address; the form's Port field
    /// then shows the port in use. A port chosen by hand is kept as it is.
    pub fn remember_port(&mut self, settings: &mut ClassroomSettings) {
        let Some(port) = self.handle.as_ref().map(|h| h.port()) else {
            return;
        };
        let picks = settings.port == 0 || settings.port_picked;
        if !picks || port == 0 || port == settings.port {
            return;
        }
        // The field follows unless the user has typed another port meanwhile.
        if self.draft.port.trim().parse::<u16>().ok() == Some(settings.port) {
            self.draft.port = port.to_string();
            self.draft.picked = Some(port);
        }
        settings.port = port;
        settings.port_picked = true;
    }

    /// Stops the sandbox on the worker.
    pub fn stop(&mut self, jobs: &Jobs<SandboxMsg>) {
        let Some(handle) = self.handle.take() else {
            return;
        };
        self.state = SandboxState::Stopping;
        self.message = None;
        jobs.spawn(async move {
            SandboxMsg::Stopped(handle.shutdown().await.map_err(|e| e.to_string()))
        });
    }

    /// Takes a job's report.
    pub fn on_message(&mut self, msg: SandboxMsg) -> Outcome {
        self.phone.forget();
        match msg {
            SandboxMsg::Started(Ok(handle)) => {
                self.handle = Some(handle);
                self.state = SandboxState::Running;
                Outcome::Started
            }
            SandboxMsg::Started(Err(e)) => {
                self.state = SandboxState::Stopped;
                self.message = Some((true, format!("The sandbox could not start: {e}")));
                Outcome::Failed(e)
            }
            SandboxMsg::Stopped(result) => {
                self.state = SandboxState::Stopped;
                if let Err(e) = result {
                    self.message = Some((true, format!("The sandbox stopped with an error: {e}")));
                }
                Outcome::Stopped
            }
        }
    }

    /// The slim banner under the top bar while the running sandbox has teaching switches on:
    /// their names (the explanation on hover), red when any is a deliberate mistake. Returns
    /// whether its "Change" button (to the classroom panel) was clicked.
    pub fn banner_ui(&self, ui: &mut egui::Ui) -> bool {
        let Some(config) = self.running_config() else {
            return false;
        };
        let on: Vec<_> = SWITCHES.iter().filter(|s| s.is_on(config)).collect();
        if on.is_empty() {
            return false;
        }
        let unsafe_on = on.iter().any(|s| s.kind == SwitchKind::Unsafe);
        let (fill, text) = if unsafe_on {
            (
                egui::Color32::from_rgb(0xb0, 0x00, 0x20),
                egui::Color32::WHITE,
            )
        } else {
            (
                egui::Color32::from_rgb(0x0b, 0x4f, 0x8a),
                egui::Color32::WHITE,
            )
        };
        let mut open = false;
        egui::Panel::top("teaching_switch_banner")
            .frame(
                egui::Frame::new()
                    .fill(fill)
                    .inner_margin(egui::Margin::symmetric(8, 3)),
            )
            .show(ui, |ui| {
                ui.horizontal_wrapped(|ui| {
                    let heading = if unsafe_on {
                        "Sandbox teaching switches on (it makes these mistakes on purpose):"
                    } else {
                        "Sandbox teaching switches on:"
                    };
                    ui.label(egui::RichText::new(heading).color(text).strong());
                    for s in &on {
                        ui.label(egui::RichText::new(s.name).color(text).monospace())
                            .on_hover_text(s.explanation);
                    }
                    if ui
                        .add(egui::Button::new(egui::RichText::new("Change").color(text)).small())
                        .on_hover_text("Open the classroom panel to change them")
                        .clicked()
                    {
                        open = true;
                    }
                });
            });
        open
    }

    /// The panel: start, stop, restart; CIBA's phone; the settings form (Apply restarts a
    /// running sandbox); every teaching switch with its explanation. `settings` is the
    /// remembered state; Apply writes the form into it. `ciba_waiting`: a CIBA run of the flow
    /// runner waits for its user (the phone keeps its list current meanwhile).
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        settings: &mut ClassroomSettings,
        jobs: &Jobs<SandboxMsg>,
        ciba_waiting: bool,
    ) -> Option<ClassroomCommand> {
        self.phone.set_waiting(ciba_waiting);
        egui::CentralPanel::default().show(ui, |ui| {
            // Wide windows: the server and its settings beside the switches; narrow ones (a
            // projector at 150 %): one column that scrolls.
            if ui.available_width() >= WIDE {
                // Left-aligned, not justified: the columns' own layout stretches wrapped text.
                let plain = egui::Layout::top_down(egui::Align::Min);
                ui.columns(2, |cols| {
                    egui::ScrollArea::vertical()
                        .id_salt("classroom_settings")
                        .auto_shrink([false, false])
                        .show(&mut cols[0], |ui| {
                            ui.with_layout(plain, |ui| {
                                self.server_ui(ui, settings, jobs);
                                self.credential_ui(ui);
                            });
                        });
                    egui::ScrollArea::vertical()
                        .id_salt("classroom_switches")
                        .auto_shrink([false, false])
                        .show(&mut cols[1], |ui| {
                            ui.with_layout(plain, |ui| self.switches_ui(ui));
                        });
                });
            } else {
                egui::ScrollArea::vertical()
                    .id_salt("classroom_all")
                    .auto_shrink([false, false])
                    .show(ui, |ui| {
                        self.server_ui(ui, settings, jobs);
                        // Above the switches but folded (one line): the first switch stays in
                        // view at 150 %, and the credential is not thousands of pixels down.
                        if self.state == SandboxState::Running {
                            egui::CollapsingHeader::new("Issue a credential (SD-JWT VC)")
                                .id_salt("classroom_credential")
                                .show(ui, |ui| self.credential_ui(ui));
                        }
                        ui.separator();
                        self.switches_ui(ui);
                    });
            }
        });
        self.issued.take().map(ClassroomCommand::Inspect)
    }

    /// An SD-JWT VC for a seeded user, bound to a fresh holder key: what `POST /credential`
    /// answers for that user's access token, issued here without a flow.
    fn credential_ui(&mut self, ui: &mut egui::Ui) {
        let Some(handle) = self
            .handle
            .as_ref()
            .filter(|_| self.state == SandboxState::Running)
        else {
            return;
        };
        ui.separator();
        ui.label(egui::RichText::new("Selective disclosure: an SD-JWT VC").strong());
        ui.label(
            "The sandbox issues a credential (as POST /credential does for a user's access \
             token): every claim selectively disclosable, the address recursively, bound to a \
             fresh holder key. It opens in the inspector, where unticking Disclosures builds \
             the holder's presentation.",
        );
        ui.horizontal_wrapped(|ui| {
            for user in grantscope_sandbox::seeded_users() {
                if ui
                    .button(format!("Issue a credential for {}", user.username))
                    .clicked()
                {
                    let issued = grantscope_core::keys::PrivateKey::generate(
                        grantscope_core::keys::GenerateType::EcP256,
                    )
                    .map_err(|e| e.to_string())
                    .and_then(|holder| {
                        handle
                            .issue_credential(user.username, &holder.public_jwk())
                            .map_err(|e| e.to_string())
                    });
                    match issued {
                        Ok(token) => self.issued = Some(token),
                        Err(e) => {
                            self.message = Some((false, format!("No credential issued: {e}")));
                        }
                    }
                }
            }
        });
    }

    fn server_ui(
        &mut self,
        ui: &mut egui::Ui,
        settings: &mut ClassroomSettings,
        jobs: &Jobs<SandboxMsg>,
    ) {
        ui.heading("Classroom: the built-in sandbox");
        ui.label(
            "A real authorization server on 127.0.0.1 for teaching: choose its port, token \
             lifetimes and login, and turn its teaching switches on to show what each mistake \
             looks like (and which probe catches it).",
        );
        ui.add_space(6.0);
        self.status_ui(ui, settings, jobs);
        // The phone first after the server's state: what a teacher running CIBA needs.
        if let Some(handle) = self
            .handle
            .as_deref()
            .filter(|_| self.state == SandboxState::Running)
        {
            ui.add_space(6.0);
            self.phone.ui(ui, handle);
        }
        ui.separator();
        self.form_ui(ui, settings, jobs);
    }

    fn status_ui(
        &mut self,
        ui: &mut egui::Ui,
        settings: &ClassroomSettings,
        jobs: &Jobs<SandboxMsg>,
    ) {
        ui.horizontal_wrapped(|ui| match self.state {
            SandboxState::Running => {
                let issuer = self.issuer().unwrap_or_default();
                ui.label(egui::RichText::new(format!("Running at {issuer}")).strong());
            }
            SandboxState::Starting => {
                ui.spinner();
                ui.label("Starting…");
            }
            SandboxState::Stopping => {
                ui.spinner();
                ui.label("Stopping…");
            }
            SandboxState::Stopped => {
                ui.label(egui::RichText::new("Stopped").strong());
            }
        });
        ui.horizontal_wrapped(|ui| {
            let stopped = self.state == SandboxState::Stopped;
            let running = self.state == SandboxState::Running;
            if ui
                .add_enabled(stopped, egui::Button::new("Start"))
                .on_hover_text("Start the sandbox with the applied settings")
                .clicked()
            {
                self.start(settings, jobs);
            }
            if ui
                .add_enabled(running, egui::Button::new("Stop"))
                .on_hover_text("Stop the sandbox (its tokens and codes are forgotten)")
                .clicked()
            {
                self.stop(jobs);
            }
            if ui
                .add_enabled(running, egui::Button::new("Restart"))
                .on_hover_text("Stop and start again: every token, code and session is forgotten")
                .clicked()
            {
                self.restart(settings, jobs);
            }
        });
        if let Some((error, text)) = &self.message {
            let color = if *error {
                ui.visuals().error_fg_color
            } else {
                ui.visuals().weak_text_color()
            };
            ui.colored_label(color, grantscope_core::text::inert(text).to_string());
        }
    }

    fn form_ui(
        &mut self,
        ui: &mut egui::Ui,
        settings: &mut ClassroomSettings,
        jobs: &Jobs<SandboxMsg>,
    ) {
        ui.label(egui::RichText::new("Settings").strong());
        let field = |ui: &mut egui::Ui, label: &str, text: &mut String, hint: &str| {
            ui.horizontal_wrapped(|ui| {
                let l = ui.label(label);
                ui.add(
                    egui::TextEdit::singleline(text)
                        .desired_width(90.0)
                        .char_limit(12),
                )
                .labelled_by(l.id);
                ui.label(egui::RichText::new(hint).weak());
            });
        };
        field(
            ui,
            "Port",
            &mut self.draft.port,
            "on 127.0.0.1; 0 picks a free port",
        );
        field(
            ui,
            "Access-token lifetime",
            &mut self.draft.access,
            "seconds (also ID tokens)",
        );
        field(
            ui,
            "Refresh-token lifetime",
            &mut self.draft.refresh,
            "seconds",
        );
        field(ui, "Code lifetime", &mut self.draft.code, "seconds");
        ui.horizontal_wrapped(|ui| {
            let l = ui.label("Auto-approve as");
            let shown = self
                .draft
                .auto_approve
                .clone()
                .unwrap_or_else(|| "nobody (show the login page)".into());
            egui::ComboBox::from_id_salt("classroom_auto_approve")
                .selected_text(shown)
                .show_ui(ui, |ui| {
                    ui.selectable_value(
                        &mut self.draft.auto_approve,
                        None,
                        "nobody (show the login page)",
                    );
                    for user in grantscope_sandbox::seeded_users() {
                        ui.selectable_value(
                            &mut self.draft.auto_approve,
                            Some(user.username.to_string()),
                            user.username,
                        );
                    }
                })
                .response
                .labelled_by(l.id);
        });
        let parsed = self.draft.parse();
        let changed = parsed
            .as_ref()
            .is_ok_and(|p| *p != settings.clone().normalized());
        ui.horizontal_wrapped(|ui| {
            let running = self.state == SandboxState::Running;
            let label = if running {
                "Apply and restart"
            } else {
                "Apply"
            };
            if ui
                .add_enabled(changed, egui::Button::new(label))
                .on_hover_text("Remember these settings; a running sandbox restarts with them")
                .clicked()
                && let Ok(new) = &parsed
            {
                *settings = new.clone();
                if running {
                    self.restart(settings, jobs);
                } else {
                    self.message =
                        Some((false, "Applied; they take effect at the next start.".into()));
                }
            }
            if ui
                .add_enabled(
                    self.draft != Draft::from_settings(settings),
                    egui::Button::new("Revert"),
                )
                .on_hover_text("Back to the applied settings")
                .clicked()
            {
                self.draft = Draft::from_settings(settings);
            }
        });
        if let Err(e) = &parsed {
            ui.colored_label(ui.visuals().error_fg_color, e);
        } else if changed {
            ui.label(egui::RichText::new("Changes not applied yet.").weak());
        }
    }

    fn switches_ui(&mut self, ui: &mut egui::Ui) {
        for (kind, heading, note) in [
            (
                SwitchKind::Unsafe,
                "Mistakes on purpose",
                "Each makes the sandbox commit one classic mistake; the probes named under it catch it.",
            ),
            (
                SwitchKind::Stricter,
                "Stricter behaviours",
                "Each makes the sandbox demand what a newer specification asks for.",
            ),
        ] {
            ui.label(egui::RichText::new(heading).strong());
            ui.label(egui::RichText::new(note).weak());
            for switch in SWITCHES.iter().filter(|s| s.kind == kind) {
                let mut on = self.draft.switches.contains(switch.name);
                if ui
                    .checkbox(&mut on, egui::RichText::new(switch.name).monospace())
                    .on_hover_text(switch.explanation)
                    .changed()
                {
                    if on {
                        self.draft.switches.insert(switch.name);
                    } else {
                        self.draft.switches.remove(switch.name);
                    }
                }
                ui.indent(switch.name, |ui| {
                    ui.label(switch.explanation);
                    // Body size: the class reads it from the back of the room.
                    let caught = if switch.probes.is_empty() {
                        "no probe catches this one yet: show it by hand".to_string()
                    } else {
                        format!("caught by the probes: {}", switch.probes.join(", "))
                    };
                    ui.label(egui::RichText::new(caught).weak());
                });
            }
            ui.add_space(6.0);
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn settings_become_the_sandbox_configuration() {
        let s = ClassroomSettings {
            port: 9123,
            port_picked: false,
            access_token_ttl: 30,
            refresh_token_ttl: 600,
            code_ttl: 20,
            auto_approve: Some("bob".into()),
            switches: vec!["unsafe-no-iss".into(), "no-such-switch".into()],
        };
        let c = s.config(PathBuf::from("/tmp/k"));
        assert_eq!(
            s.clone().normalized().switches,
            vec!["unsafe-no-iss".to_string()]
        );
        assert_eq!(c.port, 9123);
        assert_eq!(c.access_token_ttl, Duration::from_secs(30));
        assert_eq!(c.refresh_token_ttl, Duration::from_secs(600));
        assert_eq!(c.code_ttl, Duration::from_secs(20));
        assert_eq!(c.auto_approve.as_deref(), Some("bob"));
        assert!(c.unsafe_switches.no_iss);
        let on: Vec<_> = SWITCHES.iter().filter(|s| s.is_on(&c)).collect();
        assert_eq!(on.len(), 1);
        // An unknown user is not approved as anyone.
        let c = ClassroomSettings {
            auto_approve: Some("mallory".into()),
            ..ClassroomSettings::default()
        }
        .config(PathBuf::from("/tmp/k"));
        assert_eq!(c.auto_approve, None);
    }

    #[test]
    fn the_form_checks_what_was_typed() {
        let s = ClassroomSettings::default();
        let mut d = Draft::from_settings(&s);
        assert_eq!(d.parse().unwrap(), s);
        d.access = "30".into();
        d.switches.insert("require-par");
        d.switches.insert("unsafe-no-iss");
        let p = d.parse().unwrap();
        assert_eq!(p.access_token_ttl, 30);
        // Table order, whatever order they were ticked in.
        assert_eq!(p.switches, vec!["unsafe-no-iss", "require-par"]);
        d.port = "70000".into();
        assert!(d.parse().unwrap_err().starts_with("Port"));
        d.port = "0".into();
        d.code = "0".into();
        assert!(d.parse().unwrap_err().starts_with("Code lifetime"));
        d.code = "ten".into();
        assert!(d.parse().is_err());
    }
}
