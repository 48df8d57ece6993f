//! One row of a two-column profile form: a label, then its single-line text field, labelled for
//! screen readers and tests. The flow runner's form and the profile editor draw their rows with
//! these, so the two forms look and behave the same (a blank optional field is "not set", a
//! secret is masked, Enter in a field is reported).

use grantscope_core::secret::ClientSecret;

/// What happened in a row this frame.
#[derive(Debug, Clone)]
pub struct Row {
    /// The text changed.
    pub changed: bool,
    /// Enter was pressed in the field.
    pub enter: bool,
    /// The field's response (for a hover text).
    pub response: egui::Response,
}

/// A text row: the label and a field of `width`, masked when `password`.
pub fn text_row(
    ui: &mut egui::Ui,
    label: &str,
    value: &mut String,
    width: f32,
    password: bool,
) -> Row {
    let l = ui.label(label);
    let r = ui
        .add(
            egui::TextEdit::singleline(value)
                .password(password)
                .desired_width(width),
        )
        .labelled_by(l.id);
    ui.end_row();
    Row {
        changed: r.changed(),
        enter: r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter)),
        response: r,
    }
}

/// An optional text row: a blank field is `None`.
pub fn opt_row(ui: &mut egui::Ui, label: &str, value: &mut Option<String>, width: f32) -> Row {
    let mut s = value.clone().unwrap_or_default();
    let row = text_row(ui, label, &mut s, width, false);
    if row.changed {
        *value = (!s.trim().is_empty()).then_some(s);
    }
    row
}

/// The client secret's row, masked when `masked`: an empty field is no secret.
pub fn secret_row(
    ui: &mut egui::Ui,
    label: &str,
    value: &mut Option<ClientSecret>,
    width: f32,
    masked: bool,
) -> Row {
    let mut secret = value.clone().unwrap_or_default();
    let row = text_row(ui, label, secret.expose_mut(), width, masked);
    if row.changed {
        *value = (!secret.expose().is_empty()).then_some(secret);
    }
    row
}
