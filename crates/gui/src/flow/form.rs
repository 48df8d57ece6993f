//! The flow runner's form: the grant, the profile, the connection fields the grant uses, its
//! own inputs, the request options and client checks, and the outcome under Run.

use super::{FlowCommand, FlowScreen, inputs, scopes};
use crate::form_rows;
use grantscope_core::oauth::grants::{self, GrantKind};
use grantscope_core::profile::Profile;
use grantscope_core::secret::ClientSecret;
use grantscope_sandbox::local_profile::SANDBOX_PROFILE;

impl FlowScreen {
    /// The form; `details` says where the run's details are ("below", "beside the form").
    pub(super) fn form_ui(
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
            // True whether or not the sandbox runs already (this screen does not know which).
            ui.label(
                egui::RichText::new(
                    "The built-in sandbox: its address is filled in when you press Run \
                     (it is started then if it is not running).",
                )
                .weak(),
            );
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
                f.secret(ui, "Client secret", &mut p.client_secret, !self.reveal);
                // Scope: free text, and a picker over the server's scopes_supported.
                let l = ui.label("Scope");
                ui.horizontal(|ui| {
                    let mut s = p.scope.clone().unwrap_or_default();
                    let r = ui
                        .add(
                            egui::TextEdit::singleline(&mut s)
                                .desired_width((field_w - 90.0).max(80.0)),
                        )
                        .labelled_by(l.id);
                    if r.changed() {
                        p.scope = (!s.trim().is_empty()).then_some(s);
                    }
                    enter |= r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
                    if self.scopes.button_ui(ui, p) == Some(scopes::PickerCommand::Read) {
                        command = Some(FlowCommand::ReadScopes);
                    }
                });
                ui.end_row();
                let mut f = Fields {
                    width: field_w,
                    enter: &mut enter,
                };
                f.opt(ui, "Audience", &mut p.audience);
                // The profile's resource indicators go out on every run: shown and editable
                // here (empty: none is sent).
                let text = &mut self.resource_text;
                if text.0 != p.resources {
                    *text = (p.resources.clone(), p.resources.join(" "));
                }
                if f.text(ui, "Resource", &mut text.1, false)
                    .on_hover_text(
                        "RFC 8707 resource indicator(s), space-separated: the API(s) the token \
                         is for, sent as `resource` on every run of this profile. Empty: none \
                         is sent.",
                    )
                    .changed()
                {
                    p.resources = text.1.split_whitespace().map(str::to_owned).collect();
                    text.0 = p.resources.clone();
                }
                if self.grant == GrantKind::AuthorizationCode {
                    f.opt(ui, "Redirect URI", &mut p.redirect_uri);
                }
                // The grant's own inputs, from the one table of them.
                for &field in inputs::fields_for(self.grant) {
                    let masked = field.secret() && !self.reveal;
                    f.text(ui, field.label(), self.inputs.value_mut(field), masked)
                        .on_hover_text(field.hint());
                }
            });
        self.scopes.list_ui(ui, &mut self.profile);
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
        crate::request_options::flow_ui(
            ui,
            &mut self.profile,
            self.grant == GrantKind::AuthorizationCode,
        );
        if self.grant == GrantKind::AuthorizationCode {
            crate::request_options::checks_ui(ui, &mut self.inputs.checks_off);
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
                    crate::widgets::status_color(ui.visuals(), "pass"),
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
}

/// The form's text fields ([`crate::form_rows`]) at a set width, noting Enter in any of them.
struct Fields<'a> {
    width: f32,
    enter: &'a mut bool,
}

impl Fields<'_> {
    fn text(
        &mut self,
        ui: &mut egui::Ui,
        label: &str,
        value: &mut String,
        password: bool,
    ) -> egui::Response {
        let row = form_rows::text_row(ui, label, value, self.width, password);
        *self.enter |= row.enter;
        row.response
    }

    fn opt(&mut self, ui: &mut egui::Ui, label: &str, value: &mut Option<String>) {
        *self.enter |= form_rows::opt_row(ui, label, value, self.width).enter;
    }

    fn secret(
        &mut self,
        ui: &mut egui::Ui,
        label: &str,
        value: &mut Option<ClientSecret>,
        masked: bool,
    ) {
        *self.enter |= form_rows::secret_row(ui, label, value, self.width, masked).enter;
    }
}
