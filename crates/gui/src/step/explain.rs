//! The pending step's explanation (title, what it is for, the specification, what the server
//! must check, from [`grantscope_core::steps::explain`]), in the normal and the presenter type
//! scale.

use grantscope_core::oauth::GrantKind;

/// How a key is called in the hints.
pub(super) fn key_name(key: egui::Key) -> &'static str {
    key.name()
}

pub(super) fn body_size(ui: &egui::Ui) -> f32 {
    egui::TextStyle::Body.resolve(ui.style()).size
}

pub(super) fn big(text: &str, scale: f32) -> egui::RichText {
    egui::RichText::new(text).size(14.0 * scale)
}

/// Text with `code` spans in monospace, at `size`.
pub(super) fn prose(text: &str, size: f32, color: egui::Color32) -> egui::text::LayoutJob {
    let mut job = egui::text::LayoutJob::default();
    append_prose(&mut job, text, size, color);
    job
}

fn append_prose(job: &mut egui::text::LayoutJob, text: &str, size: f32, color: egui::Color32) {
    for (i, part) in text.split('`').enumerate() {
        let font = if i % 2 == 1 {
            egui::FontId::monospace(size * 0.95)
        } else {
            egui::FontId::proportional(size)
        };
        job.append(
            part,
            0.0,
            egui::TextFormat {
                font_id: font,
                color,
                ..Default::default()
            },
        );
    }
}

/// The step's explanation: title, what it is for, the specification, what the server must
/// check ([`grantscope_core::steps::explain`]).
/// The presenter view writes it all in the strongest colour, for the back of the room.
pub fn explanation_ui(
    ui: &mut egui::Ui,
    step: &str,
    grant: GrantKind,
    scale: f32,
    presenter: bool,
) {
    let size = body_size(ui) * scale;
    let color = if presenter {
        ui.visuals().strong_text_color()
    } else {
        ui.visuals().text_color()
    };
    let strong = ui.visuals().strong_text_color();
    match grantscope_core::steps::explain(step, Some(grant)) {
        Some(t) => {
            ui.label(
                egui::RichText::new(t.title)
                    .size(size * 1.35)
                    .strong()
                    .color(strong),
            );
            ui.add(egui::Label::new(prose(t.purpose, size, color)).wrap());
            // Each part's name leads its line, in the accent colour.
            let accent = ui.visuals().hyperlink_color;
            let part = |ui: &mut egui::Ui, head: &str, text: &str| {
                let mut job = egui::text::LayoutJob::default();
                job.append(
                    &format!("{head}: "),
                    0.0,
                    egui::TextFormat {
                        font_id: egui::FontId::proportional(size),
                        color: accent,
                        ..Default::default()
                    },
                );
                append_prose(&mut job, text, size, color);
                ui.add(egui::Label::new(job).wrap());
            };
            part(ui, "Specification", t.reference);
            part(ui, "What the server must check", t.server_checks);
        }
        None => {
            ui.label(
                egui::RichText::new(format!("Next: {step}"))
                    .size(size * 1.35)
                    .strong(),
            );
        }
    }
}
