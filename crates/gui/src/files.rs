//! Choosing a file to import or export: the native (asynchronous) file dialog when the desktop
//! has a file-dialog service, and a path field that does the same job when it has none or the
//! dialog did not open. The field starts in a sensible directory, and the message says why it
//! is shown.

use std::path::{Path, PathBuf};

/// Open an existing file or save a new one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Import.
    Open,
    /// Export.
    Save,
}

/// A file choice in progress: the path field, shown when the dialog cannot do the job.
#[derive(Debug, Clone, Default)]
pub struct PathField {
    /// The path typed (starts as the default directory plus the suggested file name).
    pub path: String,
    /// Why the field is shown.
    pub why: Option<String>,
}

/// Whether a native file dialog can be expected to open: on Linux the dialog goes through the
/// desktop portal on the D-Bus session bus, which headless and minimal desktops lack.
pub fn dialog_service_available() -> bool {
    if cfg!(target_os = "linux") {
        std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some_and(|v| !v.is_empty())
            && (std::env::var_os("DISPLAY").is_some()
                || std::env::var_os("WAYLAND_DISPLAY").is_some())
    } else {
        true
    }
}

/// The directory a path field starts in: the user's documents or home, else the current one.
pub fn default_dir() -> PathBuf {
    std::env::var_os("HOME")
        .map(PathBuf::from)
        .map(|h| {
            let docs = h.join("Documents");
            if docs.is_dir() { docs } else { h }
        })
        .unwrap_or_else(|| PathBuf::from("."))
}

impl PathField {
    /// Shows the field for `file_name` in the default directory, saying `why`.
    pub fn open(&mut self, file_name: &str, why: impl Into<String>) {
        if self.path.is_empty() {
            self.path = default_dir().join(file_name).display().to_string();
        }
        self.why = Some(why.into());
    }

    /// Whether the field is shown.
    pub fn shown(&self) -> bool {
        self.why.is_some()
    }

    /// Draws the field; returns the path when the user confirmed it (button or Enter).
    pub fn ui(&mut self, ui: &mut egui::Ui, id: &str, action: &str) -> Option<PathBuf> {
        let why = self.why.clone()?;
        let mut chosen = None;
        ui.label(egui::RichText::new(why).color(ui.visuals().warn_fg_color));
        ui.horizontal_wrapped(|ui| {
            let l = ui.label("Path");
            let r = ui
                .add(
                    egui::TextEdit::singleline(&mut self.path)
                        .id_salt(("path_field", id))
                        .desired_width(ui.available_width().clamp(160.0, 420.0)),
                )
                .labelled_by(l.id);
            let enter = r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            if (ui.button(action).clicked() || enter) && !self.path.trim().is_empty() {
                chosen = Some(expand_home(self.path.trim()));
            }
            if ui.button("Close").clicked() {
                self.why = None;
            }
        });
        chosen
    }
}

/// `~/x` is the home directory's `x`.
fn expand_home(path: &str) -> PathBuf {
    match (path.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => Path::new(&home).join(rest),
        _ => PathBuf::from(path),
    }
}

/// Asks the native dialog for a file; `None` when it was cancelled or could not open.
pub async fn pick(
    mode: Mode,
    title: &str,
    file_name: &str,
    filter: (&str, &[&str]),
) -> Option<PathBuf> {
    let dialog = rfd::AsyncFileDialog::new()
        .set_title(title)
        .add_filter(filter.0, filter.1);
    let file = match mode {
        Mode::Open => dialog.pick_file().await,
        Mode::Save => dialog.set_file_name(file_name).save_file().await,
    };
    file.map(|f| f.path().to_path_buf())
}

/// The message when the dialog gave no file.
pub const NO_FILE: &str = "No file was chosen: the file dialog was cancelled, or it could not open \
                           on this desktop. Type a path instead:";

/// The message when no dialog service is there at all.
pub const NO_SERVICE: &str = "This desktop has no file-dialog service (no D-Bus session with a \
                              desktop portal). Type a path instead:";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_field_starts_in_a_directory_and_keeps_what_was_typed() {
        let mut f = PathField::default();
        assert!(!f.shown());
        f.open("grantscope.har", NO_SERVICE);
        assert!(f.shown() && f.path.ends_with("grantscope.har"));
        f.path = "/tmp/x.har".into();
        f.open("other.har", NO_FILE);
        assert_eq!(f.path, "/tmp/x.har");
        assert_eq!(expand_home("/a/b"), PathBuf::from("/a/b"));
    }
}
