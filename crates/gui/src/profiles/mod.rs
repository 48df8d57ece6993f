//! The profiles screen over `grantscope_core::profile`'s store: list, create, edit, duplicate, delete
//! (after a confirmation), "fill from discovery", and import/export through the native
//! (asynchronous) file dialog or, where the desktop has none, a path field ([`crate::files`]).
//! "Use" makes a profile the app's active one: the flow runner, the inspector and the top bar
//! follow it. Store calls run on the worker, never in a frame.

use std::path::PathBuf;

use url::Url;

use crate::connect;
use crate::files::{self, PathField};
use crate::form_rows;
mod keys_panel;

use crate::layout::{self, Width};
use crate::worker::Jobs;
use grantscope_core::http::HttpSettings;
use grantscope_core::oauth::{AuthMethod, Endpoints, PkceMode};
use grantscope_core::profile::{Profile, ProfileStore, SecretStore};
use keys_panel::{KeysMsg, KeysPanel};

/// The name of the profile that drives the built-in sandbox.
use grantscope_sandbox::local_profile::SANDBOX_PROFILE;

/// What the profiles screen asks of the app.
#[must_use]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProfilesCommand {
    /// The profile list was (re)read or changed: the app follows the stored profiles.
    Listed,
    /// "Use": make this the app's active profile.
    UseProfile(String),
}

/// Messages from profile jobs.
#[derive(Debug)]
pub enum ProfilesMsg {
    /// The keys panel's jobs.
    Keys(KeysMsg),
    /// The store was read.
    Listed(Result<(Vec<Profile>, Vec<String>), String>),
    /// A save, delete, import or export finished: a message for the user, then reload.
    Done(Result<String, String>),
    /// The file dialog gave no file (cancelled, or it could not open).
    NoFile {
        /// For an import (else an export).
        import: bool,
    },
    /// Discovery answered for the profile being edited.
    Discovered {
        /// The profile name it was asked for.
        name: String,
        /// The endpoints found.
        result: Result<Box<Endpoints>, String>,
    },
}

/// The profiles screen's state.
pub struct ProfilesScreen {
    store: ProfileStore,
    list: Vec<Profile>,
    problems: Vec<String>,
    loaded: bool,
    /// The profile being edited (a copy; saved explicitly).
    edit: Option<Profile>,
    /// The name it had when editing started (to rename).
    edit_original: Option<String>,
    status: Option<Result<String, String>>,
    busy: bool,
    include_secret: bool,
    opened_once: bool,
    /// Delete asked; waiting for the confirmation.
    confirm_delete: Option<String>,
    import_path: PathField,
    export_path: PathField,
    /// Whether the native file dialog is used (else the path field).
    dialogs: bool,
    /// Keys and certificates for the client authentication methods that need them.
    keys: KeysPanel,
}

impl ProfilesScreen {
    /// A screen over the store in `<config_dir>/profiles`; `dialogs`: use the native file
    /// dialog (else the path field).
    pub fn new(
        config_dir: &std::path::Path,
        dialogs: bool,
        vault: grantscope_core::profile::vault::Vault,
    ) -> Self {
        Self {
            store: ProfileStore::at(config_dir.join("profiles")).with_vault(vault),
            keys: KeysPanel::new(config_dir.join("keys")),
            list: Vec::new(),
            problems: Vec::new(),
            loaded: false,
            edit: None,
            edit_original: None,
            status: None,
            busy: false,
            include_secret: false,
            opened_once: false,
            confirm_delete: None,
            import_path: PathField::default(),
            export_path: PathField::default(),
            dialogs,
        }
    }

    /// Every loaded profile.
    pub fn profiles(&self) -> &[Profile] {
        &self.list
    }

    /// Whether the list has been read once.
    pub fn loaded(&self) -> bool {
        self.loaded
    }

    /// A profile by name.
    pub fn get(&self, name: &str) -> Option<&Profile> {
        self.list.iter().find(|p| p.name == name)
    }

    /// Reads the store on the worker.
    pub fn reload(&mut self, jobs: &Jobs<ProfilesMsg>) {
        let store = self.store.clone();
        self.busy = true;
        jobs.spawn(async move {
            let r = tokio::task::spawn_blocking(move || store.list())
                .await
                .map_err(|e| e.to_string())
                .and_then(|r| r.map_err(|e| e.to_string()))
                .map(|l| {
                    (
                        l.profiles,
                        l.problems.iter().map(ToString::to_string).collect(),
                    )
                });
            ProfilesMsg::Listed(r)
        });
    }

    /// Saves a profile on the worker (and removes `rename_from` when the name changed).
    pub fn save(
        &mut self,
        jobs: &Jobs<ProfilesMsg>,
        profile: Profile,
        rename_from: Option<String>,
    ) {
        let store = self.store.clone();
        self.busy = true;
        jobs.spawn(async move {
            let name = profile.name.clone();
            let r = tokio::task::spawn_blocking(move || -> Result<String, String> {
                store.save(&profile).map_err(|e| e.to_string())?;
                if let Some(old) = rename_from.filter(|o| *o != profile.name) {
                    store.delete(&old).map_err(|e| e.to_string())?;
                }
                Ok(format!("Saved {name}"))
            })
            .await
            .map_err(|e| e.to_string())
            .and_then(|r| r);
            ProfilesMsg::Done(r)
        });
    }

    /// Handles a finished job; [`ProfilesCommand::Listed`] when the list changed.
    pub fn on_message(
        &mut self,
        msg: ProfilesMsg,
        jobs: &Jobs<ProfilesMsg>,
    ) -> Option<ProfilesCommand> {
        let changed = match msg {
            ProfilesMsg::Keys(m) => {
                self.keys.on_message(m);
                true
            }
            ProfilesMsg::Listed(r) => {
                self.busy = false;
                self.loaded = true;
                match r {
                    Ok((list, problems)) => {
                        self.list = list;
                        self.problems = problems;
                    }
                    Err(e) => self.status = Some(Err(e)),
                }
                true
            }
            ProfilesMsg::Done(r) => {
                self.status = Some(r);
                self.reload(jobs);
                false
            }
            ProfilesMsg::NoFile { import } => {
                if import {
                    self.import_path.open("profile.json", files::NO_FILE);
                } else {
                    let name = self.edit_original.clone().unwrap_or_default();
                    self.export_path
                        .open(&format!("{name}.json"), files::NO_FILE);
                }
                false
            }
            ProfilesMsg::Discovered { name, result } => {
                self.busy = false;
                match (result, self.edit.as_mut().filter(|p| p.name == name)) {
                    (Ok(e), Some(p)) => {
                        fill_endpoints(p, &e);
                        self.status = Some(Ok("Endpoints filled from discovery".into()));
                    }
                    (Err(e), _) => self.status = Some(Err(e)),
                    _ => {}
                }
                false
            }
        };
        changed.then_some(ProfilesCommand::Listed)
    }

    /// Draws the screen; `active` is the active profile's name. "Use" returns
    /// [`ProfilesCommand::UseProfile`].
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        jobs: &Jobs<ProfilesMsg>,
        active: Option<&str>,
    ) -> Option<ProfilesCommand> {
        let mut command = None;
        // The first visit shows the active profile rather than an empty editor, unless the user
        // already opened one (the start-up's "Local sandbox" may become active after the user
        // chose another profile: their choice stays).
        if !self.opened_once && self.edit.is_some() {
            self.opened_once = true;
        }
        if !self.opened_once
            && let Some(p) = active.and_then(|n| self.get(n)).cloned()
        {
            self.opened_once = true;
            self.edit_original = Some(p.name.clone());
            self.edit = Some(p);
        }
        if layout::width_of(ui) == Width::Narrow {
            egui::CentralPanel::default().show(ui, |ui| {
                egui::ScrollArea::vertical()
                    .id_salt("profiles_all")
                    .show(ui, |ui| {
                        command = self.list_ui(ui, jobs, active);
                        ui.separator();
                        self.edit_ui(ui, jobs);
                    });
            });
            return command;
        }
        let total = ui.available_width();
        egui::Panel::left("profiles_list")
            .resizable(true)
            .default_size((total * 0.28).clamp(220.0, 320.0))
            .min_size(200.0)
            .max_size(total * 0.45)
            .show(ui, |ui| {
                egui::ScrollArea::vertical()
                    .id_salt("profiles_list_scroll")
                    .show(ui, |ui| command = self.list_ui(ui, jobs, active));
            });
        egui::CentralPanel::default().show(ui, |ui| {
            egui::ScrollArea::vertical()
                .id_salt("profile_edit_scroll")
                .show(ui, |ui| self.edit_ui(ui, jobs));
        });
        command
    }

    fn import(&mut self, jobs: &Jobs<ProfilesMsg>, path: Option<PathBuf>) {
        let store = self.store.clone();
        jobs.spawn(async move {
            let path = match path {
                Some(p) => p,
                None => match files::pick(
                    files::Mode::Open,
                    "Import a grantscope profile",
                    "",
                    ("JSON", &["json"]),
                )
                .await
                {
                    Some(p) => p,
                    None => return ProfilesMsg::NoFile { import: true },
                },
            };
            ProfilesMsg::Done(import(store, path).await)
        });
    }

    fn export(&mut self, jobs: &Jobs<ProfilesMsg>, name: String, path: Option<PathBuf>) {
        let store = self.store.clone();
        let with_secret = self.include_secret;
        jobs.spawn(async move {
            let path = match path {
                Some(p) => p,
                None => match files::pick(
                    files::Mode::Save,
                    "Export the profile",
                    &format!("{name}.json"),
                    ("JSON", &["json"]),
                )
                .await
                {
                    Some(p) => p,
                    None => return ProfilesMsg::NoFile { import: false },
                },
            };
            let r = tokio::task::spawn_blocking(move || {
                store.export(&name, &path, with_secret).map(|_| path)
            })
            .await
            .map_err(|e| e.to_string())
            .and_then(|r| r.map_err(|e| e.to_string()))
            .map(|path| {
                let what = if with_secret { "with" } else { "without" };
                format!("Exported to {} ({what} the secret)", path.display())
            });
            ProfilesMsg::Done(r)
        });
    }

    fn list_ui(
        &mut self,
        ui: &mut egui::Ui,
        jobs: &Jobs<ProfilesMsg>,
        active: Option<&str>,
    ) -> Option<ProfilesCommand> {
        let mut command = None;
        ui.horizontal(|ui| {
            ui.heading("Profiles");
            if self.busy {
                ui.spinner();
            }
        });
        ui.horizontal_wrapped(|ui| {
            if ui.button("New").clicked() {
                self.edit = Some(Profile::new(unique_name(&self.list, "New profile")));
                self.edit_original = None;
            }
            if ui.button("Import...").clicked() {
                if self.dialogs {
                    self.import(jobs, None);
                } else {
                    self.import_path.open("profile.json", files::NO_SERVICE);
                }
            }
            if ui.button("Reload").clicked() {
                self.reload(jobs);
            }
        });
        ui.separator();
        for p in self.list.clone() {
            ui.horizontal(|ui| {
                let is_active = active == Some(p.name.as_str());
                let editing = self.edit_original.as_deref() == Some(p.name.as_str());
                if ui.selectable_label(editing, &p.name).clicked() {
                    self.edit = Some(p.clone());
                    self.edit_original = Some(p.name.clone());
                }
                if is_active {
                    ui.label(egui::RichText::new("active").weak());
                } else if ui
                    .small_button("Use")
                    .on_hover_text("Make this the active profile")
                    .clicked()
                {
                    command = Some(ProfilesCommand::UseProfile(p.name.clone()));
                }
            });
        }
        if let Some(path) = self.import_path.ui(ui, "import", "Import") {
            self.import_path.why = None;
            self.import(jobs, Some(path));
        }
        for problem in &self.problems {
            ui.colored_label(ui.visuals().warn_fg_color, problem);
        }
        if let Some(status) = &self.status {
            ui.separator();
            match status {
                Ok(m) => ui.label(m),
                Err(e) => ui.colored_label(ui.visuals().error_fg_color, e),
            };
        }
        command
    }

    fn edit_ui(&mut self, ui: &mut egui::Ui, jobs: &Jobs<ProfilesMsg>) {
        let Some(mut p) = self.edit.take() else {
            ui.label("Select a profile on the left, or create a new one.");
            return;
        };
        let mut action = None;
        ui.heading(format!("Profile: {}", p.name));
        let w = field_width(ui);
        let mut enter = false;
        egui::Grid::new("profile_grid")
            .num_columns(2)
            .show(ui, |ui| {
                enter |= text_row(ui, "Name", &mut p.name, w);
                enter |= opt_row(ui, "Issuer", &mut p.issuer, w);
                enter |= opt_row(
                    ui,
                    "Authorization endpoint",
                    &mut p.authorization_endpoint,
                    w,
                );
                enter |= opt_row(ui, "Token endpoint", &mut p.token_endpoint, w);
                enter |= opt_row(
                    ui,
                    "Device endpoint",
                    &mut p.device_authorization_endpoint,
                    w,
                );
                enter |= opt_row(
                    ui,
                    "Introspection endpoint",
                    &mut p.introspection_endpoint,
                    w,
                );
                enter |= opt_row(ui, "Revocation endpoint", &mut p.revocation_endpoint, w);
                enter |= opt_row(ui, "Userinfo endpoint", &mut p.userinfo_endpoint, w);
                enter |= opt_row(ui, "JWKS URI", &mut p.jwks_uri, w);
                enter |= opt_row(
                    ui,
                    "PAR endpoint",
                    &mut p.pushed_authorization_request_endpoint,
                    w,
                );
                enter |= opt_row(
                    ui,
                    "Registration endpoint",
                    &mut p.registration_endpoint,
                    w,
                );
                enter |= opt_row(
                    ui,
                    "CIBA endpoint",
                    &mut p.backchannel_authentication_endpoint,
                    w,
                );
                enter |= opt_row(
                    ui,
                    "End session endpoint",
                    &mut p.end_session_endpoint,
                    w,
                );
                enter |= text_row(ui, "Client ID", &mut p.client_id, w);
                form_rows::secret_row(ui, "Client secret", &mut p.client_secret, w, true);
                // Where the secret went at the last save: the store decides (the OS keychain
                // where one answers, else this owner-only file); shown, not chosen.
                ui.label("Secret kept in");
                ui.label(match p.secret_store {
                    SecretStore::Keychain => "the OS keychain (not in the profile file)",
                    SecretStore::File => {
                        "the profile file (mode 0600), where no OS keychain answers"
                    }
                })
                .on_hover_text(
                    "Saved to the OS keychain (Secret Service, Keychain, Credential Manager) when one answers; otherwise in the profile file, readable by you only",
                );
                ui.end_row();
                ui.label("");
                egui::ComboBox::from_label("Client authentication")
                    .selected_text(p.auth_method.map_or("automatic", AuthMethod::as_str))
                    .show_ui(ui, |ui| {
                        ui.selectable_value(&mut p.auth_method, None, "automatic");
                        for m in AuthMethod::ALL {
                            ui.selectable_value(&mut p.auth_method, Some(m), m.as_str());
                        }
                    });
                ui.end_row();
                enter |= opt_row(ui, "Scope", &mut p.scope, w);
                enter |= opt_row(ui, "Audience", &mut p.audience, w);
                let mut resources = p.resources.join(" ");
                let l = ui.label("Resources (space separated)");
                if ui
                    .add(egui::TextEdit::singleline(&mut resources).desired_width(w))
                    .labelled_by(l.id)
                    .changed()
                {
                    p.resources = resources.split_whitespace().map(str::to_owned).collect();
                }
                ui.end_row();
                enter |= opt_row(ui, "Redirect URI", &mut p.redirect_uri, w);
                ui.label("PKCE");
                ui.horizontal(|ui| {
                    ui.selectable_value(&mut p.pkce, PkceMode::S256, "S256");
                    ui.selectable_value(&mut p.pkce, PkceMode::Plain, "plain");
                    ui.selectable_value(&mut p.pkce, PkceMode::Off, "off");
                });
                ui.end_row();
                ui.label("Proofs");
                ui.horizontal_wrapped(|ui| {
                    ui.checkbox(&mut p.par, "PAR")
                        .on_hover_text("RFC 9126: push the authorization request first");
                    ui.checkbox(&mut p.dpop, "DPoP")
                        .on_hover_text("RFC 9449: prove possession of a key on token requests");
                });
                ui.end_row();
                if p.dpop {
                    enter |= opt_row(ui, "DPoP key", &mut p.dpop_key, w);
                }
                // The keys that open what the provider encrypts to this client (JWE): stored
                // keys' names or key files (`--decryption-key`, repeatable).
                let mut decryption = p.decryption_keys.join(" ");
                let l = ui.label("Decryption keys (space separated)");
                if ui
                    .add(
                        egui::TextEdit::singleline(&mut decryption)
                            .desired_width(w)
                            .hint_text("stored key names (use: enc) or key files"),
                    )
                    .labelled_by(l.id)
                    .on_hover_text(
                        "Open encrypted ID tokens, userinfo, JARM and introspection responses \
                         (JWE) with these keys, then check the token inside. Make one under \
                         Keys (use: enc) and register its public JWK with the provider",
                    )
                    .changed()
                {
                    p.decryption_keys = decryption.split_whitespace().map(str::to_owned).collect();
                }
                ui.end_row();
                enter |= opt_row(ui, "Description", &mut p.description, w);
            });
        self.keys.ui(ui, &mut p, &jobs.map(ProfilesMsg::Keys));
        crate::request_options::ui(ui, &mut p);
        http_settings_ui(ui, &mut p.http);
        ui.add_space(8.0);
        ui.horizontal_wrapped(|ui| {
            if ui
                .button("Save")
                .on_hover_text("Enter in a field saves too")
                .clicked()
                || enter
            {
                action = Some("save");
            }
            if ui
                .add_enabled(p.issuer.is_some(), egui::Button::new("Fill from discovery"))
                .clicked()
            {
                action = Some("discover");
            }
            if self.edit_original.is_some() {
                if ui.button("Duplicate").clicked() {
                    action = Some("duplicate");
                }
                if ui.button("Delete").clicked() {
                    action = Some("delete");
                }
                if ui.button("Export...").clicked() {
                    action = Some("export");
                }
                ui.checkbox(&mut self.include_secret, "Export with the secret");
            }
            if ui.button("Close").clicked() {
                action = Some("close");
            }
        });
        if let Some(name) = self.confirm_delete.clone() {
            ui.horizontal_wrapped(|ui| {
                ui.colored_label(
                    ui.visuals().warn_fg_color,
                    format!("Delete the profile {name}? Its file is removed."),
                );
                if ui.button("Delete it").clicked() {
                    self.confirm_delete = None;
                    self.delete(jobs, name.clone());
                    action = Some("deleted");
                }
                if ui.button("Keep it").clicked() {
                    self.confirm_delete = None;
                }
            });
        }
        if let Some(path) = self.export_path.ui(ui, "export", "Export") {
            self.export_path.why = None;
            let name = self.edit_original.clone().unwrap_or_else(|| p.name.clone());
            self.export(jobs, name, Some(path));
        }
        match action {
            Some("deleted") => {
                self.edit_original = None;
                return;
            }
            Some("save") => match crate::request_options::validate(&p) {
                Ok(()) => {
                    self.save(jobs, p.clone(), self.edit_original.clone());
                    self.edit_original = Some(p.name.clone());
                }
                Err(e) => self.status = Some(Err(format!("Not saved: {e}"))),
            },
            Some("discover") => self.discover(jobs, &p),
            Some("duplicate") => {
                let mut copy = p.clone();
                copy.name = unique_name(&self.list, &format!("{} copy", p.name));
                self.edit_original = None;
                p = copy;
            }
            Some("delete") => {
                self.confirm_delete = self.edit_original.clone();
            }
            Some("export") => {
                let name = self.edit_original.clone().unwrap_or_else(|| p.name.clone());
                if self.dialogs {
                    self.export(jobs, name, None);
                } else {
                    self.export_path
                        .open(&format!("{name}.json"), files::NO_SERVICE);
                }
            }
            Some("close") => {
                self.edit_original = None;
                return;
            }
            _ => {}
        }
        self.edit = Some(p);
    }

    fn delete(&mut self, jobs: &Jobs<ProfilesMsg>, name: String) {
        let store = self.store.clone();
        jobs.spawn(async move {
            let r = tokio::task::spawn_blocking(move || store.delete(&name).map(|_| name))
                .await
                .map_err(|e| e.to_string())
                .and_then(|r| r.map_err(|e| e.to_string()))
                .map(|n| format!("Deleted {n}"));
            ProfilesMsg::Done(r)
        });
    }

    fn discover(&mut self, jobs: &Jobs<ProfilesMsg>, p: &Profile) {
        let prepared = match connect::prepare(p, jobs.keys()) {
            Ok(c)
                if c.profile
                    .issuer
                    .as_deref()
                    .is_some_and(|i| !i.trim().is_empty()) =>
            {
                c
            }
            Ok(_) => {
                self.status = Some(Err("fill in Issuer first".into()));
                return;
            }
            Err(e) => {
                self.status = Some(Err(connect::describe(&e)));
                return;
            }
        };
        let name = p.name.clone();
        self.busy = true;
        jobs.spawn(async move {
            let result = prepared
                .connect(&grantscope_core::oauth::EndpointKind::ALL, None)
                .await
                .map(|c| Box::new(c.config.endpoints))
                .map_err(|e| connect::describe(&e));
            ProfilesMsg::Discovered { name, result }
        });
    }

    /// Creates the "Local sandbox" profile (once) so a new user can run every grant at once.
    pub fn ensure_sandbox_profile(&mut self, jobs: &Jobs<ProfilesMsg>) {
        if self.get(SANDBOX_PROFILE).is_none() {
            let mut p = Profile::new(SANDBOX_PROFILE);
            p.description = Some(
                "The built-in sandbox, started in-process on demand. Its address is not stored \
                 here (the port may change): the flow runner and the Probes window use the \
                 running sandbox's. Client ids follow the grant (sandbox-machine, sandbox-native)."
                    .into(),
            );
            p.client_id = "sandbox-machine".into();
            p.client_secret = Some("sandbox-machine-secret".into());
            p.scope = Some("api:read".into());
            self.save(jobs, p, None);
        }
    }
}

async fn import(store: ProfileStore, path: PathBuf) -> Result<String, String> {
    tokio::task::spawn_blocking(move || store.import(&path, None, false))
        .await
        .map_err(|e| e.to_string())
        .and_then(|r| r.map_err(|e| e.to_string()))
        .map(|p| format!("Imported {}", p.name))
}

/// Fills every endpoint field the user left empty from discovery, for every endpoint of the
/// core's registry (the PAR endpoint was missed when this was a hand-written list).
fn fill_endpoints(p: &mut Profile, e: &Endpoints) {
    for kind in grantscope_core::oauth::EndpointKind::ALL {
        let field = p.endpoint_mut(kind);
        if field.as_deref().is_none_or(|s| s.trim().is_empty()) {
            *field = kind.get(e).map(Url::to_string);
        }
    }
}

fn unique_name(list: &[Profile], base: &str) -> String {
    if !list.iter().any(|p| p.name == base) {
        return base.to_owned();
    }
    (2..)
        .map(|i| format!("{base} {i}"))
        .find(|n| !list.iter().any(|p| &p.name == n))
        .unwrap_or_else(|| base.to_owned())
}

/// The profile's HTTP options: every connection of the app uses them.
fn http_settings_ui(ui: &mut egui::Ui, h: &mut HttpSettings) {
    egui::CollapsingHeader::new("HTTP options")
        .id_salt("profile_http")
        .default_open(h.insecure_tls)
        .show(ui, |ui| {
            egui::Grid::new("profile_http_grid")
                .num_columns(2)
                .show(ui, |ui| {
                    let l = ui.label("Request timeout");
                    ui.add(
                        egui::DragValue::new(&mut h.timeout_secs)
                            .range(0.5..=600.0)
                            .speed(0.5)
                            .suffix(" s"),
                    )
                    .labelled_by(l.id);
                    ui.end_row();
                    let l = ui.label("Connect timeout");
                    ui.add(
                        egui::DragValue::new(&mut h.connect_timeout_secs)
                            .range(0.5..=120.0)
                            .speed(0.5)
                            .suffix(" s"),
                    )
                    .labelled_by(l.id);
                    ui.end_row();
                    let l = ui.label("Largest response body");
                    let mut kib = (h.max_body_bytes / 1024) as u64;
                    if ui
                        .add(
                            egui::DragValue::new(&mut kib)
                                .range(1..=1024 * 1024)
                                .speed(16.0)
                                .suffix(" KiB"),
                        )
                        .labelled_by(l.id)
                        .changed()
                    {
                        h.max_body_bytes =
                            usize::try_from(kib.saturating_mul(1024)).unwrap_or(usize::MAX);
                    }
                    ui.end_row();
                    ui.label("");
                    ui.checkbox(
                        &mut h.insecure_tls,
                        "Do not verify TLS certificates (dangerous)",
                    );
                    ui.end_row();
                });
            if h.insecure_tls {
                ui.colored_label(
                    ui.visuals().error_fg_color,
                    "TLS verification is OFF for this profile: anyone on the network path can \
                     read and change its traffic, secrets included.",
                );
            }
        });
}

/// The editor's field width: what is left beside the labels, within bounds.
fn field_width(ui: &egui::Ui) -> f32 {
    (ui.available_width() - 190.0).clamp(120.0, 380.0)
}

fn text_row(ui: &mut egui::Ui, label: &str, value: &mut String, width: f32) -> bool {
    form_rows::text_row(ui, label, value, width, false).enter
}

fn opt_row(ui: &mut egui::Ui, label: &str, value: &mut Option<String>, width: f32) -> bool {
    form_rows::opt_row(ui, label, value, width).enter
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unique_names_count_up() {
        let list = vec![Profile::new("a"), Profile::new("a 2")];
        assert_eq!(unique_name(&list, "b"), "b");
        assert_eq!(unique_name(&list, "a"), "a 3");
    }

    #[test]
    fn discovery_fills_every_empty_endpoint_of_the_registry_and_keeps_hand_given_ones() {
        use grantscope_core::oauth::EndpointKind;
        let mut e = Endpoints::default();
        for kind in EndpointKind::ALL {
            let url = format!("https://as.example/{}", kind.metadata_name());
            *kind.slot(&mut e) = Some(Url::parse(&url).unwrap());
        }
        let mut p = Profile::new("p");
        p.token_endpoint = Some("https://mine.example/token".into());
        p.userinfo_endpoint = Some("  ".into());
        fill_endpoints(&mut p, &e);
        for kind in EndpointKind::ALL {
            let want = if kind == EndpointKind::Token {
                "https://mine.example/token".to_string()
            } else {
                format!("https://as.example/{}", kind.metadata_name())
            };
            assert_eq!(p.endpoint(kind).as_deref(), Some(want.as_str()), "{kind:?}");
        }
        assert!(p.pushed_authorization_request_endpoint.is_some());
    }
}
