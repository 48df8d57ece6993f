//! The profile editor's "Authorization request" section: the response type and mode, the
//! request object, RAR `authorization_details`, and extra parameters for the authorization and
//! token requests — the same settings as the CLI's `--response-type`, `--response-mode`,
//! `--request-object`, `--authorization-details`, `--param` and `--token-param`, kept in the
//! profile. Deprecated and dangerous choices are labelled where they are chosen.

use grantscope_core::oauth::ClientCheck;
use grantscope_core::oauth::request_object::RequestObject;
use grantscope_core::profile::Profile;

/// Response types offered, with what each one means. `None` (the first) is plain `code`.
pub const RESPONSE_TYPES: [(&str, &str); 5] = [
    ("code", "authorization code (recommended)"),
    (
        "code id_token",
        "hybrid: an ID token in the front channel too (deprecated)",
    ),
    ("id_token", "OpenID implicit, ID token only (deprecated)"),
    (
        "token",
        "implicit: the access token in the browser (deprecated, RFC 9700 §2.1.2)",
    ),
    (
        "id_token token",
        "OpenID implicit: tokens in the browser (deprecated)",
    ),
];

/// Response modes offered (RFC 6749, OAuth 2.0 Form Post, JARM).
pub const RESPONSE_MODES: [(&str, &str); 7] = [
    ("query", "parameters in the redirect's query"),
    (
        "fragment",
        "parameters in the fragment (the loopback page relays them)",
    ),
    ("form_post", "an auto-submitted POST to the redirect URI"),
    ("jwt", "JARM: a signed response JWT in the default mode"),
    ("query.jwt", "JARM: the response JWT in the query"),
    ("fragment.jwt", "JARM: the response JWT in the fragment"),
    ("form_post.jwt", "JARM: the response JWT posted"),
];

/// Common authorization request parameters offered by the "Add" menu (OIDC Core §3.1.2.1).
pub const COMMON_AUTHORIZE_PARAMS: [&str; 7] = [
    "prompt",
    "login_hint",
    "acr_values",
    "max_age",
    "claims",
    "ui_locales",
    "nonce",
];

/// Whether the response type puts tokens in the front channel (implicit or hybrid).
pub fn is_front_channel(response_type: &str) -> bool {
    response_type.split_whitespace().any(|t| t != "code")
}

/// Checks what the section holds before a save: the RAR JSON must be an array of typed
/// objects, and no parameter may lack a name.
pub fn validate(p: &Profile) -> Result<(), String> {
    if let Some(text) = p.authorization_details.as_deref()
        && !text.trim().is_empty()
    {
        grantscope_core::oauth::config::parse_authorization_details(text)?;
    }
    for (list, which) in [
        (&p.authorize_params, "authorization request"),
        (&p.token_params, "token request"),
    ] {
        if list.iter().any(|(k, _)| k.trim().is_empty()) {
            return Err(format!(
                "an extra {which} parameter has no name: name it or remove it"
            ));
        }
    }
    Ok(())
}

/// Whether any of the section's settings differs from the default.
fn busy(p: &Profile) -> bool {
    p.response_type.is_some()
        || p.response_mode.is_some()
        || p.request_object != RequestObject::Off
        || p.authorization_details.is_some()
        || !p.authorize_params.is_empty()
        || !p.token_params.is_empty()
}

/// Draws the profile editor's section; changes go straight into `p` (saved with the rest).
pub fn ui(ui: &mut egui::Ui, p: &mut Profile) {
    egui::CollapsingHeader::new("Authorization request")
        .id_salt("profile_request_options")
        .default_open(busy(p))
        .show(ui, |ui| {
            authorize_ui(ui, p);
            token_params_ui(ui, p);
        });
}

/// Draws the flow runner's "Request options": PAR and DPoP, the authorization request's
/// settings when the grant has one, and the token request's extra parameters. They change the
/// run's copy of the profile (the stored profile is changed on the Profiles screen).
pub fn flow_ui(ui: &mut egui::Ui, p: &mut Profile, authorize: bool) {
    egui::CollapsingHeader::new("Request options (PAR, DPoP, extra parameters)")
        .id_salt("flow_request_options")
        .default_open(busy(p) || p.par || p.dpop)
        .show(ui, |ui| {
            ui.horizontal_wrapped(|ui| {
                if authorize {
                    ui.checkbox(&mut p.par, "PAR")
                        .on_hover_text("RFC 9126: push the authorization request first");
                }
                ui.checkbox(&mut p.dpop, "DPoP").on_hover_text(
                    "RFC 9449: prove possession of a key on token requests and API calls",
                );
            });
            if p.dpop {
                ui.horizontal_wrapped(|ui| {
                    let l = ui.label("DPoP key");
                    let mut key = p.dpop_key.clone().unwrap_or_default();
                    if ui
                        .add(
                            egui::TextEdit::singleline(&mut key)
                                .desired_width(160.0)
                                .hint_text("fresh ES256 key"),
                        )
                        .labelled_by(l.id)
                        .changed()
                    {
                        p.dpop_key = (!key.trim().is_empty()).then_some(key);
                    }
                });
            }
            if authorize {
                authorize_ui(ui, p);
            }
            token_params_ui(ui, p);
        });
}

/// The client's own checks of the answers, each on unless the tester turns it off to see what
/// a server gets away with; an off check is shown loudly here and in the run's result.
pub fn checks_ui(ui: &mut egui::Ui, off: &mut Vec<ClientCheck>) {
    egui::CollapsingHeader::new("Client checks (for testing a server)")
        .id_salt("flow_client_checks")
        .default_open(!off.is_empty())
        .show(ui, |ui| {
            ui.label(
                egui::RichText::new(
                    "grantscope checks every answer; untick one to accept what fails it. The run \
                     then says what it accepted.",
                )
                .weak(),
            );
            ui.horizontal_wrapped(|ui| {
                for check in ClientCheck::ALL {
                    let mut on = !off.contains(&check);
                    if ui
                        .checkbox(&mut on, format!("{check} check"))
                        .on_hover_text(format!("Defends against {}", check.defends()))
                        .changed()
                    {
                        off.retain(|c| *c != check);
                        if !on {
                            off.push(check);
                        }
                    }
                }
            });
            if !off.is_empty() {
                let names: Vec<&str> = off.iter().map(|c| c.as_str()).collect();
                ui.colored_label(
                    ui.visuals().error_fg_color,
                    format!(
                        "Turned off: {} (the run will say what it accepted)",
                        names.join(", ")
                    ),
                );
            }
        });
}

fn token_params_ui(ui: &mut egui::Ui, p: &mut Profile) {
    params_ui(
        ui,
        "token_params",
        "Extra token request parameters",
        &mut p.token_params,
        &[],
    );
}

fn authorize_ui(ui: &mut egui::Ui, p: &mut Profile) {
    egui::Grid::new("request_options_grid")
        .num_columns(2)
        .show(ui, |ui| {
            let l = ui.label("Response type");
            let current = p.response_type.clone().unwrap_or_else(|| "code".into());
            egui::ComboBox::from_id_salt("response_type")
                .selected_text(current.as_str())
                .show_ui(ui, |ui| {
                    for (value, what) in RESPONSE_TYPES {
                        let chosen = ui
                            .selectable_label(current == value, format!("{value} — {what}"))
                            .clicked();
                        if chosen {
                            p.response_type = (value != "code").then(|| value.to_owned());
                        }
                    }
                })
                .response
                .labelled_by(l.id);
            ui.end_row();
            if p.response_type.as_deref().is_some_and(is_front_channel) {
                ui.label("");
                ui.colored_label(
                    ui.visuals().warn_fg_color,
                    "Deprecated: tokens travel in the browser's front channel (RFC 9700 \
                     §2.1.2). Shown for teaching and testing; the ID token's c_hash and at_hash \
                     are checked.",
                );
                ui.end_row();
            }
            ui.label("Response mode");
            let mode = p.response_mode.clone();
            egui::ComboBox::from_id_salt("response_mode")
                .selected_text(mode.as_deref().unwrap_or("default"))
                .show_ui(ui, |ui| {
                    if ui
                        .selectable_label(mode.is_none(), "default — the response type's own")
                        .clicked()
                    {
                        p.response_mode = None;
                    }
                    for (value, what) in RESPONSE_MODES {
                        if ui
                            .selectable_label(
                                mode.as_deref() == Some(value),
                                format!("{value} — {what}"),
                            )
                            .clicked()
                        {
                            p.response_mode = Some(value.to_owned());
                        }
                    }
                });
            ui.end_row();
            ui.label("Request object");
            ui.horizontal_wrapped(|ui| {
                ui.selectable_value(&mut p.request_object, RequestObject::Off, "off")
                    .on_hover_text("Parameters in the URL (or pushed, with PAR)");
                ui.selectable_value(&mut p.request_object, RequestObject::Signed, "signed (JAR)")
                    .on_hover_text(
                        "RFC 9101: the parameters as a JWT signed with the profile's signing key",
                    );
                ui.selectable_value(
                    &mut p.request_object,
                    RequestObject::Unsigned,
                    "unsigned (alg none)",
                )
                .on_hover_text("A probe of the server: RFC 9101 §10.2 says it must refuse this");
            });
            ui.end_row();
            if p.request_object == RequestObject::Unsigned {
                ui.label("");
                ui.colored_label(
                    ui.visuals().error_fg_color,
                    "DANGEROUS: an unsigned request object (alg: none). A server that accepts \
                     it lets anyone forge authorization requests.",
                );
                ui.end_row();
            }
        });
    ui.add_space(4.0);
    ui.label("Authorization details (RFC 9396, a JSON array; sent on the authorization and token requests)");
    let mut rar = p.authorization_details.clone().unwrap_or_default();
    let r = ui.add(
        egui::TextEdit::multiline(&mut rar)
            .code_editor()
            .desired_rows(3)
            .desired_width(f32::INFINITY)
            .hint_text(r#"[{"type": "payment_initiation", "instructedAmount": {"currency": "EUR", "amount": "12.00"}}]"#),
    );
    if r.changed() {
        p.authorization_details = (!rar.trim().is_empty()).then_some(rar.clone());
    }
    if !rar.trim().is_empty()
        && let Err(e) = grantscope_core::oauth::config::parse_authorization_details(&rar)
    {
        ui.colored_label(ui.visuals().error_fg_color, e);
    }
    ui.add_space(4.0);
    params_ui(
        ui,
        "authorize_params",
        "Extra authorization request parameters (added, or overriding grantscope's own)",
        &mut p.authorize_params,
        &COMMON_AUTHORIZE_PARAMS,
    );
}

/// A name/value table with Remove buttons and an Add menu.
fn params_ui(
    ui: &mut egui::Ui,
    salt: &str,
    title: &str,
    list: &mut Vec<(String, String)>,
    common: &[&str],
) {
    ui.add_space(4.0);
    ui.label(title);
    let mut remove = None;
    if !list.is_empty() {
        params_grid(ui, salt, list, &mut remove);
    }
    if let Some(i) = remove {
        list.remove(i);
    }
    add_buttons_ui(ui, salt, list, common);
}

fn params_grid(
    ui: &mut egui::Ui,
    salt: &str,
    list: &mut [(String, String)],
    remove: &mut Option<usize>,
) {
    egui::Grid::new((salt, "grid"))
        .num_columns(3)
        .show(ui, |ui| {
            // Named for screen readers and tests: the hint text is not a name, and several
            // rows would otherwise read alike.
            let kind = if salt.starts_with("token") {
                "token"
            } else {
                "authorization"
            };
            let value_w = (ui.available_width() - 140.0 - 90.0).clamp(140.0, 360.0);
            for (i, (name, value)) in list.iter_mut().enumerate() {
                ui.add(
                    egui::TextEdit::singleline(name)
                        .desired_width(140.0)
                        .hint_text("name"),
                )
                .accessible_name(format!("Extra {kind} parameter {} name", i + 1));
                ui.add(
                    egui::TextEdit::singleline(value)
                        .desired_width(value_w)
                        .hint_text("value"),
                )
                .accessible_name(format!("Extra {kind} parameter {} value", i + 1));
                if ui
                    .button("Remove")
                    .on_hover_text(format!("Remove the parameter {name}"))
                    .clicked()
                {
                    *remove = Some(i);
                }
                ui.end_row();
            }
        });
}

fn add_buttons_ui(
    ui: &mut egui::Ui,
    salt: &str,
    list: &mut Vec<(String, String)>,
    common: &[&str],
) {
    ui.horizontal_wrapped(|ui| {
        if ui.button("Add parameter").clicked() {
            list.push((String::new(), String::new()));
        }
        if !common.is_empty() {
            egui::ComboBox::from_id_salt((salt, "common"))
                .selected_text("Add a common one")
                .show_ui(ui, |ui| {
                    for name in common {
                        if ui.selectable_label(false, *name).clicked() {
                            list.push(((*name).to_owned(), String::new()));
                        }
                    }
                });
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn front_channel_response_types_are_told_from_code() {
        assert!(!is_front_channel("code"));
        assert!(is_front_channel("code id_token"));
        assert!(is_front_channel("token"));
        assert!(is_front_channel("id_token token"));
    }

    #[test]
    fn validation_names_the_bad_json_and_the_nameless_parameter() {
        let mut p = Profile::new("x");
        assert!(validate(&p).is_ok());
        p.authorization_details = Some(r#"{"type": "x"}"#.into());
        let e = validate(&p).unwrap_err();
        assert!(e.contains("JSON array"), "{e}");
        p.authorization_details = Some(r#"[{"type": "account_information"}]"#.into());
        assert!(validate(&p).is_ok());
        p.token_params.push((" ".into(), "v".into()));
        let e = validate(&p).unwrap_err();
        assert!(e.contains("token request"), "{e}");
    }
}
