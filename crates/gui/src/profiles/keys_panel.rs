//! The profile editor's keys panel (issue 11's desktop part): for the client authentication
//! methods that need a key or a certificate (`private_key_jwt`, `tls_client_auth`,
//! `self_signed_tls_client_auth`; a signing key also signs request objects), a picker of the
//! stored keys, the certificate and key fields, and Generate, which makes a key (with a
//! self-signed certificate for mutual TLS) in the key store and shows its public JWKS to paste
//! into the provider's client registration. The key store is read and written on the worker,
//! never on the UI thread.

use crate::worker::Jobs;
use grantscope_core::keys::{GenerateType, KeyStore, PrivateKey, self_signed};
use grantscope_core::oauth::AuthMethod;
use grantscope_core::profile::Profile;

/// What the panel's jobs report.
#[derive(Debug)]
pub enum KeysMsg {
    /// The stored keys' names.
    Listed(Result<Vec<String>, String>),
    /// A key was generated: its name and its public JWKS (pretty JSON).
    Generated(Result<(String, String), String>),
}

/// The panel's state.
pub struct KeysPanel {
    /// The key store's directory (`<config>/keys`, as the command line's).
    dir: std::path::PathBuf,
    keys: Vec<String>,
    listing: bool,
    listed: bool,
    new_name: String,
    new_type: GenerateType,
    /// The public JWKS of the key generated last, to copy.
    jwks: Option<(String, String)>,
    status: Option<Result<String, String>>,
}

impl KeysPanel {
    /// A panel over the key store in `dir`.
    pub fn new(dir: std::path::PathBuf) -> Self {
        Self {
            dir,
            keys: Vec::new(),
            listing: false,
            listed: false,
            new_name: String::new(),
            new_type: GenerateType::EcP256,
            jwks: None,
            status: None,
        }
    }
}

/// Whether the method needs a signing key or a client certificate.
pub fn needs_keys(method: Option<AuthMethod>) -> bool {
    matches!(
        method,
        Some(
            AuthMethod::PrivateKeyJwt
                | AuthMethod::TlsClientAuth
                | AuthMethod::SelfSignedTlsClientAuth
        )
    )
}

fn uses_certificate(method: Option<AuthMethod>) -> bool {
    method.is_some_and(AuthMethod::uses_certificate)
}

impl KeysPanel {
    pub fn on_message(&mut self, msg: KeysMsg) {
        match msg {
            KeysMsg::Listed(r) => {
                self.listing = false;
                self.listed = true;
                match r {
                    Ok(keys) => self.keys = keys,
                    Err(e) => self.status = Some(Err(e)),
                }
            }
            KeysMsg::Generated(r) => match r {
                Ok((name, jwks)) => {
                    self.status = Some(Ok(format!(
                        "key {name} generated; its public JWKS is below, to paste into the client's registration"
                    )));
                    if !self.keys.contains(&name) {
                        self.keys.push(name.clone());
                        self.keys.sort();
                    }
                    self.jwks = Some((name, jwks));
                }
                Err(e) => self.status = Some(Err(e)),
            },
        }
    }

    fn list(&mut self, jobs: &Jobs<KeysMsg>) {
        self.listing = true;
        let dir = self.dir.clone();
        jobs.spawn(async move {
            let listed = tokio::task::spawn_blocking(move || {
                KeyStore::new(dir).list().map_err(|e| e.to_string())
            })
            .await
            .unwrap_or_else(|e| Err(e.to_string()));
            KeysMsg::Listed(listed)
        });
    }

    fn generate(&mut self, jobs: &Jobs<KeysMsg>, certificate_for: Option<String>) {
        let name = self.new_name.trim().to_string();
        if name.is_empty() {
            self.status = Some(Err("give the new key a name first".into()));
            return;
        }
        let kind = self.new_type;
        let dir = self.dir.clone();
        self.status = Some(Ok(format!("generating {name} …")));
        jobs.spawn(async move {
            let made = tokio::task::spawn_blocking(move || {
                let key = PrivateKey::generate(kind).map_err(|e| e.to_string())?;
                let certs = match &certificate_for {
                    Some(cn) => vec![self_signed(&key, cn).map_err(|e| e.to_string())?],
                    None => Vec::new(),
                };
                let store = KeyStore::new(dir);
                store.save(&name, &key, &certs).map_err(|e| e.to_string())?;
                let stored = store.load(&name).map_err(|e| e.to_string())?;
                let jwks = serde_json::to_string_pretty(&stored.public_jwks())
                    .map_err(|e| e.to_string())?;
                Ok::<_, String>((name, jwks))
            })
            .await
            .unwrap_or_else(|e| Err(e.to_string()));
            KeysMsg::Generated(made)
        });
    }

    /// The panel, for the profile being edited; nothing for methods that need no key.
    pub fn ui(&mut self, ui: &mut egui::Ui, p: &mut Profile, jobs: &Jobs<KeysMsg>) {
        let method = p.auth_method;
        if !needs_keys(method) {
            return;
        }
        if !self.listed && !self.listing {
            self.list(jobs);
        }
        let cert = uses_certificate(method);
        ui.add_space(6.0);
        ui.label(egui::RichText::new("Keys for client authentication").strong());
        egui::Grid::new("keys_panel_grid")
            .num_columns(2)
            .show(ui, |ui| {
                if cert {
                    ui.label("Client certificate");
                    let mut c = p.http.client_cert.clone().unwrap_or_default();
                    if ui
                        .add(
                            egui::TextEdit::singleline(&mut c)
                                .hint_text("stored key name or PEM file"),
                        )
                        .changed()
                    {
                        p.http.client_cert = (!c.trim().is_empty()).then_some(c);
                    }
                    ui.end_row();
                    ui.label("Client key file");
                    let mut k = p.http.client_key.clone().unwrap_or_default();
                    if ui
                        .add(egui::TextEdit::singleline(&mut k).hint_text("empty for a stored key"))
                        .changed()
                    {
                        p.http.client_key = (!k.trim().is_empty()).then_some(k);
                    }
                    ui.end_row();
                } else {
                    ui.label("Signing key");
                    let mut k = p.auth.signing_key.clone().unwrap_or_default();
                    if ui
                        .add(
                            egui::TextEdit::singleline(&mut k)
                                .hint_text("stored key name or key file"),
                        )
                        .changed()
                    {
                        p.auth.signing_key = (!k.trim().is_empty()).then_some(k);
                    }
                    ui.end_row();
                }
                ui.label("Stored keys");
                ui.horizontal_wrapped(|ui| {
                    if self.listing {
                        ui.label("reading …");
                    } else if self.keys.is_empty() {
                        ui.weak("none yet: generate one below");
                    }
                    for name in self.keys.clone() {
                        let chosen = if cert {
                            p.http.client_cert.as_deref() == Some(name.as_str())
                        } else {
                            p.auth.signing_key.as_deref() == Some(name.as_str())
                        };
                        if ui.selectable_label(chosen, &name).clicked() {
                            if cert {
                                p.http.client_cert = Some(name.clone());
                                p.http.client_key = None;
                            } else {
                                p.auth.signing_key = Some(name.clone());
                            }
                        }
                    }
                    if ui.small_button("Reload").clicked() {
                        self.list(jobs);
                    }
                });
                ui.end_row();
                let l = ui.label("New key name");
                ui.horizontal_wrapped(|ui| {
                    ui.add(
                        egui::TextEdit::singleline(&mut self.new_name)
                            .hint_text("name")
                            .desired_width(140.0),
                    )
                    .labelled_by(l.id);
                    egui::ComboBox::from_id_salt("new_key_type")
                        .selected_text(type_name(self.new_type))
                        .show_ui(ui, |ui| {
                            for t in [
                                GenerateType::EcP256,
                                GenerateType::Rsa2048,
                                GenerateType::Rsa3072,
                                GenerateType::Ed25519,
                            ] {
                                ui.selectable_value(&mut self.new_type, t, type_name(t));
                            }
                        });
                    let label = if cert {
                        "Generate key + certificate"
                    } else {
                        "Generate"
                    };
                    if ui.button(label).clicked() {
                        let cn = cert.then(|| {
                            if p.client_id.is_empty() {
                                self.new_name.trim().to_string()
                            } else {
                                p.client_id.clone()
                            }
                        });
                        self.generate(jobs, cn);
                    }
                });
                ui.end_row();
            });
        if let Some(status) = &self.status {
            match status {
                Ok(m) => ui.label(m),
                Err(e) => ui.colored_label(ui.visuals().error_fg_color, e),
            };
        }
        if let Some((name, jwks)) = &self.jwks {
            ui.horizontal_wrapped(|ui| {
                ui.label(format!("Public JWKS of {name}"));
                if ui.button("Copy JWKS").clicked() {
                    ui.ctx().copy_text(jwks.clone());
                }
                if ui.button(format!("Use {name}")).clicked() {
                    if cert {
                        p.http.client_cert = Some(name.clone());
                        p.http.client_key = None;
                    } else {
                        p.auth.signing_key = Some(name.clone());
                    }
                }
            });
            let mut shown = jwks.as_str();
            egui::ScrollArea::vertical()
                .id_salt("jwks_scroll")
                .max_height(140.0)
                .show(ui, |ui| {
                    ui.add(
                        egui::TextEdit::multiline(&mut shown)
                            .code_editor()
                            .desired_width(f32::INFINITY),
                    );
                });
        }
    }
}

fn type_name(t: GenerateType) -> &'static str {
    match t {
        GenerateType::EcP256 => "EC P-256 (ES256)",
        GenerateType::EcP384 => "EC P-384 (ES384)",
        GenerateType::EcP521 => "EC P-521 (ES512)",
        GenerateType::Rsa2048 => "RSA 2048 (RS256)",
        GenerateType::Rsa3072 => "RSA 3072 (RS256)",
        GenerateType::Ed25519 => "Ed25519 (EdDSA)",
    }
}
