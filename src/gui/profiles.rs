//! The profiles screen over `crate::profile`'s store: list, create, edit, duplicate, delete,
//! "fill from discovery", and import/export through the native (asynchronous) file dialog.
//! Store calls run on the worker, never in a frame.

use std::path::PathBuf;

use url::Url;

use super::events::Event;
use super::worker::Worker;
use crate::http::{HttpClient, HttpOptions};
use crate::oauth::{AuthMethod, Endpoints, PkceMode, Session, discovery};
use crate::profile::{Profile, ProfileStore};

/// The name of the profile that drives the built-in sandbox.
pub const SANDBOX_PROFILE: &str = "Local sandbox";

/// Messages from profile jobs.
#[derive(Debug)]
pub enum ProfilesMsg {
    /// The store was read.
    Listed(Result<(Vec<Profile>, Vec<String>), String>),
    /// A save, delete, import or export finished: a message for the user, then reload.
    Done(Result<String, String>),
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
}

impl ProfilesScreen {
    /// A screen over the store in `<config_dir>/profiles`.
    pub fn new(config_dir: &std::path::Path) -> Self {
        Self {
            store: ProfileStore::at(config_dir.join("profiles")),
            list: Vec::new(),
            problems: Vec::new(),
            loaded: false,
            edit: None,
            edit_original: None,
            status: None,
            busy: false,
            include_secret: false,
            opened_once: false,
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
    pub fn reload(&mut self, worker: &Worker) {
        let store = self.store.clone();
        self.busy = true;
        worker.spawn(async move {
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
            Event::Profiles(ProfilesMsg::Listed(r))
        });
    }

    /// Saves a profile on the worker (and removes `rename_from` when the name changed).
    pub fn save(&mut self, worker: &Worker, profile: Profile, rename_from: Option<String>) {
        let store = self.store.clone();
        self.busy = true;
        worker.spawn(async move {
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
            Event::Profiles(ProfilesMsg::Done(r))
        });
    }

    /// Handles a finished job. Returns true when the list changed.
    pub fn on_message(&mut self, msg: ProfilesMsg, worker: &Worker) -> bool {
        match msg {
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
                self.reload(worker);
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
        }
    }

    /// Draws the screen; `active` is the active profile's name, changed by "Use".
    pub fn ui(&mut self, ui: &mut egui::Ui, worker: &Worker, active: &mut Option<String>) {
        // The first visit shows the active profile rather than an empty editor.
        if !self.opened_once
            && let Some(p) = active.as_deref().and_then(|n| self.get(n)).cloned()
        {
            self.opened_once = true;
            self.edit_original = Some(p.name.clone());
            self.edit = Some(p);
        }
        egui::Panel::left("profiles_list")
            .resizable(true)
            .default_size(260.0)
            .show(ui, |ui| self.list_ui(ui, worker, active));
        egui::CentralPanel::default().show(ui, |ui| {
            egui::ScrollArea::vertical().show(ui, |ui| self.edit_ui(ui, worker));
        });
    }

    fn list_ui(&mut self, ui: &mut egui::Ui, worker: &Worker, active: &mut Option<String>) {
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
                let store = self.store.clone();
                worker.spawn(async move {
                    let file = rfd::AsyncFileDialog::new()
                        .set_title("Import a grantscope profile")
                        .add_filter("JSON", &["json"])
                        .pick_file()
                        .await;
                    let Some(file) = file else {
                        return Event::Profiles(ProfilesMsg::Done(Ok("Import cancelled".into())));
                    };
                    let path = file.path().to_path_buf();
                    Event::Profiles(ProfilesMsg::Done(import(store, path).await))
                });
            }
            if ui.button("Reload").clicked() {
                self.reload(worker);
            }
        });
        ui.separator();
        for p in self.list.clone() {
            ui.horizontal(|ui| {
                let is_active = active.as_deref() == Some(p.name.as_str());
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
                    *active = Some(p.name.clone());
                }
            });
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
    }

    fn edit_ui(&mut self, ui: &mut egui::Ui, worker: &Worker) {
        let Some(mut p) = self.edit.take() else {
            ui.label("Select a profile on the left, or create a new one.");
            return;
        };
        let mut action = None;
        ui.heading(format!("Profile: {}", p.name));
        egui::Grid::new("profile_grid")
            .num_columns(2)
            .show(ui, |ui| {
                text_row(ui, "Name", &mut p.name);
                opt_row(ui, "Issuer", &mut p.issuer);
                opt_row(ui, "Authorization endpoint", &mut p.authorization_endpoint);
                opt_row(ui, "Token endpoint", &mut p.token_endpoint);
                opt_row(ui, "Device endpoint", &mut p.device_authorization_endpoint);
                opt_row(ui, "Introspection endpoint", &mut p.introspection_endpoint);
                opt_row(ui, "Revocation endpoint", &mut p.revocation_endpoint);
                opt_row(ui, "Userinfo endpoint", &mut p.userinfo_endpoint);
                opt_row(ui, "JWKS URI", &mut p.jwks_uri);
                text_row(ui, "Client ID", &mut p.client_id);
                let mut secret = p
                    .client_secret
                    .clone()
                    .map(|s| s.into_exposed())
                    .unwrap_or_default();
                let l = ui.label("Client secret");
                if ui
                    .add(
                        egui::TextEdit::singleline(&mut secret)
                            .password(true)
                            .desired_width(320.0),
                    )
                    .labelled_by(l.id)
                    .changed()
                {
                    p.client_secret = (!secret.is_empty()).then(|| secret.into());
                }
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
                opt_row(ui, "Scope", &mut p.scope);
                opt_row(ui, "Audience", &mut p.audience);
                let mut resources = p.resources.join(" ");
                let l = ui.label("Resources (space separated)");
                if ui
                    .add(egui::TextEdit::singleline(&mut resources).desired_width(320.0))
                    .labelled_by(l.id)
                    .changed()
                {
                    p.resources = resources.split_whitespace().map(str::to_owned).collect();
                }
                ui.end_row();
                opt_row(ui, "Redirect URI", &mut p.redirect_uri);
                ui.label("PKCE");
                ui.horizontal(|ui| {
                    ui.selectable_value(&mut p.pkce, PkceMode::S256, "S256");
                    ui.selectable_value(&mut p.pkce, PkceMode::Plain, "plain");
                    ui.selectable_value(&mut p.pkce, PkceMode::Off, "off");
                });
                ui.end_row();
                opt_row(ui, "Description", &mut p.description);
            });
        ui.add_space(8.0);
        ui.horizontal_wrapped(|ui| {
            if ui.button("Save").clicked() {
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
        match action {
            Some("save") => {
                self.save(worker, p.clone(), self.edit_original.clone());
                self.edit_original = Some(p.name.clone());
            }
            Some("discover") => self.discover(worker, &p),
            Some("duplicate") => {
                let mut copy = p.clone();
                copy.name = unique_name(&self.list, &format!("{} copy", p.name));
                self.edit_original = None;
                p = copy;
            }
            Some("delete") => {
                if let Some(name) = self.edit_original.take() {
                    let store = self.store.clone();
                    worker.spawn(async move {
                        let r =
                            tokio::task::spawn_blocking(move || store.delete(&name).map(|_| name))
                                .await
                                .map_err(|e| e.to_string())
                                .and_then(|r| r.map_err(|e| e.to_string()))
                                .map(|n| format!("Deleted {n}"));
                        Event::Profiles(ProfilesMsg::Done(r))
                    });
                }
                return;
            }
            Some("export") => {
                let store = self.store.clone();
                let name = self.edit_original.clone().unwrap_or_else(|| p.name.clone());
                let with_secret = self.include_secret;
                worker.spawn(async move {
                    let file = rfd::AsyncFileDialog::new()
                        .set_title("Export the profile")
                        .set_file_name(format!("{name}.json"))
                        .add_filter("JSON", &["json"])
                        .save_file()
                        .await;
                    let Some(file) = file else {
                        return Event::Profiles(ProfilesMsg::Done(Ok("Export cancelled".into())));
                    };
                    let path = file.path().to_path_buf();
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
                    Event::Profiles(ProfilesMsg::Done(r))
                });
            }
            Some("close") => {
                self.edit_original = None;
                return;
            }
            _ => {}
        }
        self.edit = Some(p);
    }

    fn discover(&mut self, worker: &Worker, p: &Profile) {
        let Some(issuer) = p.issuer.as_deref().and_then(|s| Url::parse(s.trim()).ok()) else {
            self.status = Some(Err("the issuer is not a URL".into()));
            return;
        };
        let name = p.name.clone();
        self.busy = true;
        worker.spawn(async move {
            let result = match HttpClient::new(&HttpOptions::default()) {
                Ok(http) => {
                    let mut session = Session::new(http);
                    discovery::discover(&mut session, &issuer)
                        .await
                        .map(|d| Box::new(d.endpoints))
                        .map_err(|e| e.to_string())
                }
                Err(e) => Err(e.to_string()),
            };
            Event::Profiles(ProfilesMsg::Discovered { name, result })
        });
    }

    /// Creates the "Local sandbox" profile (once) so a new user can run every grant at once.
    pub fn ensure_sandbox_profile(&mut self, worker: &Worker) {
        if self.get(SANDBOX_PROFILE).is_none() {
            let mut p = Profile::new(SANDBOX_PROFILE);
            p.description = Some(
                "The built-in sandbox, started in-process on demand; its address is filled in \
                 when it runs. Client ids follow the grant (sandbox-machine, sandbox-native)."
                    .into(),
            );
            p.client_id = "sandbox-machine".into();
            p.client_secret = Some("sandbox-machine-secret".into());
            p.scope = Some("api:read".into());
            self.save(worker, p, None);
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

fn fill_endpoints(p: &mut Profile, e: &Endpoints) {
    let set = |field: &mut Option<String>, url: &Option<Url>| {
        if field.as_deref().is_none_or(str::is_empty) {
            *field = url.as_ref().map(Url::to_string);
        }
    };
    set(&mut p.authorization_endpoint, &e.authorization_endpoint);
    set(&mut p.token_endpoint, &e.token_endpoint);
    set(
        &mut p.device_authorization_endpoint,
        &e.device_authorization_endpoint,
    );
    set(&mut p.introspection_endpoint, &e.introspection_endpoint);
    set(&mut p.revocation_endpoint, &e.revocation_endpoint);
    set(&mut p.userinfo_endpoint, &e.userinfo_endpoint);
    set(&mut p.jwks_uri, &e.jwks_uri);
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

fn text_row(ui: &mut egui::Ui, label: &str, value: &mut String) {
    let l = ui.label(label);
    ui.add(egui::TextEdit::singleline(value).desired_width(320.0))
        .labelled_by(l.id);
    ui.end_row();
}

fn opt_row(ui: &mut egui::Ui, label: &str, value: &mut Option<String>) {
    let mut s = value.clone().unwrap_or_default();
    let l = ui.label(label);
    if ui
        .add(egui::TextEdit::singleline(&mut s).desired_width(320.0))
        .labelled_by(l.id)
        .changed()
    {
        *value = (!s.trim().is_empty()).then_some(s);
    }
    ui.end_row();
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
}
