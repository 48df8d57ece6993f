//! The token box: header, payload and signature in the jwt.io colours, row by row, with a
//! capped height.

use super::*;

/// A token longer than this is shown, not edited (an edit line lays out all of it each frame).
pub(super) const MAX_EDITABLE: usize = 8 * 1024;

/// The token in the jwt.io colours, cut into rows of equal length in a box of capped height;
/// only the rows in view are laid out, so a 100 KB token costs what four rows cost.
pub(super) fn token_view_ui(ui: &mut egui::Ui, text: &str, colors: &JwtColors) {
    let font = egui::FontId::monospace(12.5);
    let (glyph_w, row_h) = ui
        .ctx()
        .fonts_mut(|f| (f.glyph_width(&font, '0'), f.row_height(&font)));
    let scroll = egui::ScrollArea::vertical()
        .id_salt("token_box")
        // Whole rows only: the box is exactly that many rows high (a half row showed at its
        // foot), the rows laid out with no spacing between them, as the height counts them.
        .max_height(row_h * TOKEN_BOX_ROWS)
        .auto_shrink([false, true]);
    if !text.is_ascii() {
        // Not a token's alphabet: shown whole (plainly not a token; never large in practice).
        scroll.show(ui, |ui| {
            let job = jwt_layout_job(text, colors, ui.available_width());
            ui.add(egui::Label::new(job).selectable(true));
        });
        return;
    }
    let per_row = ((ui.available_width() - glyph_w) / glyph_w.max(1.0))
        .floor()
        .max(8.0) as usize;
    let dots: Vec<usize> = text.match_indices('.').map(|(i, _)| i).collect();
    let rows = text.len().div_ceil(per_row);
    ui.scope(|ui| {
        ui.spacing_mut().item_spacing.y = 0.0;
        scroll.show_rows(ui, row_h, rows, |ui, range| {
            for r in range {
                let start = r * per_row;
                let end = (start + per_row).min(text.len());
                let job = jwt_row_job(text, start..end, &dots, colors, &font);
                ui.add(egui::Label::new(job).extend());
            }
        });
    });
}

/// One row of the token view: the bytes `range` of an ASCII token, coloured by the part
/// (header, payload, signature) each byte is in.
pub(super) fn jwt_row_job(
    text: &str,
    range: std::ops::Range<usize>,
    dots: &[usize],
    c: &JwtColors,
    font: &egui::FontId,
) -> egui::text::LayoutJob {
    let parts = dots.len() + 1;
    let color_of = |part: usize| {
        if parts < 3 {
            c.plain
        } else if part == 0 {
            c.header
        } else if part + 1 == parts {
            c.signature
        } else {
            c.payload
        }
    };
    let mut job = egui::text::LayoutJob::default();
    let mut at = range.start;
    // The part `at` is in: how many dots come before it.
    let mut part = dots.partition_point(|d| *d < at);
    while at < range.end {
        let next_dot = dots.get(part).copied().filter(|d| *d < range.end);
        match next_dot {
            Some(d) if d == at => {
                job.append(".", 0.0, egui::TextFormat::simple(font.clone(), c.plain));
                at += 1;
                part += 1;
            }
            Some(d) => {
                job.append(
                    &text[at..d],
                    0.0,
                    egui::TextFormat::simple(font.clone(), color_of(part)),
                );
                at = d;
            }
            None => {
                job.append(
                    &text[at..range.end],
                    0.0,
                    egui::TextFormat::simple(font.clone(), color_of(part)),
                );
                at = range.end;
            }
        }
    }
    job
}

/// The jwt.io colours: header red, payload purple, signature blue, dots plain.
pub(super) struct JwtColors {
    pub(super) header: egui::Color32,
    pub(super) payload: egui::Color32,
    pub(super) signature: egui::Color32,
    pub(super) plain: egui::Color32,
}

impl JwtColors {
    pub(super) fn for_visuals(v: &egui::Visuals) -> Self {
        if v.dark_mode {
            Self {
                header: egui::Color32::from_rgb(0xfb, 0x5b, 0x8b),
                payload: egui::Color32::from_rgb(0xd6, 0x7a, 0xff),
                signature: egui::Color32::from_rgb(0x3c, 0xc8, 0xf8),
                plain: v.text_color(),
            }
        } else {
            Self {
                header: egui::Color32::from_rgb(0xc8, 0x00, 0x48),
                payload: egui::Color32::from_rgb(0x9a, 0x1c, 0xc8),
                signature: egui::Color32::from_rgb(0x00, 0x78, 0xb0),
                plain: v.text_color(),
            }
        }
    }
}

/// The token's text laid out in the jwt.io colours, wrapping anywhere (a token has no spaces).
pub(super) fn jwt_layout_job(text: &str, c: &JwtColors, wrap_width: f32) -> egui::text::LayoutJob {
    let font = egui::FontId::monospace(12.5);
    let mut job = egui::text::LayoutJob::default();
    let parts = text.split('.').count();
    let fmt = |color| egui::TextFormat::simple(font.clone(), color);
    if parts < 3 || text.chars().any(char::is_whitespace) {
        job.append(text, 0.0, fmt(c.plain));
    } else {
        for (i, part) in text.split('.').enumerate() {
            if i > 0 {
                job.append(".", 0.0, fmt(c.plain));
            }
            let color = match i {
                0 => c.header,
                n if n + 1 == parts => c.signature,
                _ => c.payload,
            };
            job.append(part, 0.0, fmt(color));
        }
    }
    job.wrap = egui::text::TextWrapping {
        max_width: wrap_width,
        break_anywhere: true,
        ..Default::default()
    };
    job
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_rows_are_coloured_by_the_part_they_are_in() {
        let c = JwtColors::for_visuals(&egui::Visuals::dark());
        let text = "aaaa.bbbb.cccc";
        let dots: Vec<usize> = text.match_indices('.').map(|(i, _)| i).collect();
        let font = egui::FontId::monospace(12.0);
        // A row from the middle of the header to the middle of the payload.
        let job = jwt_row_job(text, 2..7, &dots, &c, &font);
        assert_eq!(job.text, "aa.bb");
        let colors: Vec<egui::Color32> = job.sections.iter().map(|s| s.format.color).collect();
        assert_eq!(colors, [c.header, c.plain, c.payload]);
        let job = jwt_row_job(text, 9..14, &dots, &c, &font);
        assert_eq!(job.text, ".cccc");
        let colors: Vec<egui::Color32> = job.sections.iter().map(|s| s.format.color).collect();
        assert_eq!(colors, [c.plain, c.signature]);
        // Not three parts: plain.
        let job = jwt_row_job("opaque", 0..6, &[], &c, &font);
        assert_eq!(job.sections[0].format.color, c.plain);
    }
}
