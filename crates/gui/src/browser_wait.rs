//! The wait for a browser, drawn the same everywhere (the flow runner's sign-in, the
//! inspector's logout): the URL to open with "Copy URL" (so a browser on another machine
//! works too), a warning when the system browser could not be opened, and the wait line that
//! says what is awaited, for how long so far out of how long, with its Cancel button.

use std::time::Duration;

/// The URL row: `intro`, the URL (shortened; a link when `link` is set, plain text when it
/// shows masked secrets) and "Copy URL", which copies `copy` (the URL as sent).
pub fn url_row_ui(ui: &mut egui::Ui, intro: &str, shown: &str, copy: &str, link: bool) {
    ui.horizontal_wrapped(|ui| {
        ui.label(intro);
        let short = crate::exchange_view::shorten(shown, 70);
        if link {
            ui.hyperlink_to(short, copy);
        } else {
            ui.label(egui::RichText::new(short).monospace())
                .on_hover_text(shown);
        }
        if ui.small_button("Copy URL").clicked() {
            ui.ctx().copy_text(copy.to_owned());
        }
    });
}

/// The warning shown when the system browser could not be opened.
pub fn browser_failed_ui(ui: &mut egui::Ui) {
    ui.colored_label(
        ui.visuals().warn_fg_color,
        "The system browser could not be opened: open this URL yourself.",
    );
}

/// The wait line: "`what`: 12 s of 5 min 0 s." (or without a limit) and a `cancel` button,
/// repainted once a second while shown. Returns whether Cancel was clicked.
pub fn wait_line_ui(
    ui: &mut egui::Ui,
    what: &str,
    waited: Duration,
    limit: Option<Duration>,
    cancel: (&str, &str),
) -> bool {
    // The clock ticks once a second.
    ui.ctx().request_repaint_after(Duration::from_secs(1));
    let mut clicked = false;
    ui.horizontal_wrapped(|ui| {
        ui.label(match limit {
            Some(l) => format!("{what}: {} of {}.", secs(waited), secs(l)),
            None => format!("{what}: {} (until you paste it or cancel).", secs(waited)),
        });
        clicked = ui.button(cancel.0).on_hover_text(cancel.1).clicked();
    });
    clicked
}

/// A duration in whole seconds ("42 s", "5 min 0 s").
pub fn secs(d: Duration) -> String {
    let s = d.as_secs();
    if s < 60 {
        format!("{s} s")
    } else {
        format!("{} min {} s", s / 60, s % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_in_seconds_then_minutes() {
        assert_eq!(secs(Duration::from_secs(42)), "42 s");
        assert_eq!(secs(Duration::from_secs(300)), "5 min 0 s");
    }
}
