//! The Probes window's live verdict table and its evidence, shared by both modes (the
//! authorization server's catalogue and the API's): one row a probe (verdict in its colour,
//! level, id and title), each expanding to its reason, what it tests with its RFC, and its
//! masked exchanges (an API probe's forged token shown decoded beside the mask); and the
//! exports (JSON, JUnit, HTML) through the native file dialog on the worker, or through a path
//! field when the desktop has no dialog or the dialog gave no file (as the History's HAR
//! export).

use grantscope_probe::{self as probe, Outcome, ProbeResult, report, runner::Run};

use std::path::PathBuf;

use super::colour;
use crate::files::{self, PathField};
use crate::worker::Jobs;

/// What a probe tests and its reference, from either catalogue.
fn about(id: &str) -> Option<(&'static str, &'static str)> {
    probe::find(id)
        .map(|p| (p.tests, p.reference))
        .or_else(|| probe::find_api(id).map(|p| (p.tests, p.reference)))
}

/// A probe's text as the window draws it: inert (controls escaped), and the catalogue's arrows,
/// which the window's font lacks (egui stops at a glyph it cannot draw), as `->`.
pub(super) fn shown(text: &str) -> String {
    grantscope_core::text::inert(text)
        .replace('→', "->")
        .replace('←', "<-")
}

/// Whether a result is a row: probes a run was not asked for are not.
pub(super) fn is_row(r: &ProbeResult) -> bool {
    !(r.verdict.outcome == Outcome::Skipped && r.verdict.reason == "not asked for")
}

/// Draws the rows of `results`; returns the probe whose Re-run was clicked (offered when
/// `can_rerun`).
pub(super) fn results_ui(
    ui: &mut egui::Ui,
    results: &[ProbeResult],
    can_rerun: bool,
) -> Option<&'static str> {
    let mut rerun = None;
    let mut toggle = false;
    for r in results.iter().filter(|r| is_row(r)) {
        // The row (verdict, level, Re-run, the probe's name) on one line, its evidence under it
        // at the window's full width: inside the row's line it pushed Re-run and the window past
        // the screen's edge at 150 %.
        let id = ui.make_persistent_id(("probe_row", r.id));
        egui::collapsing_header::CollapsingState::load_with_default_open(ui.ctx(), id, false)
            .show_header(ui, |ui| {
                ui.label(
                    egui::RichText::new(r.verdict.outcome.as_str())
                        .color(colour(r.verdict.outcome))
                        .strong(),
                );
                ui.label(r.level.as_str());
                if ui
                    .add_enabled(can_rerun, egui::Button::new("Re-run").small())
                    .clicked()
                {
                    rerun = Some(r.id);
                }
                // The name opens and closes the row too, as a collapsing header's does.
                if ui
                    .add(
                        egui::Label::new(format!("{}  {}", r.id, r.title))
                            .sense(egui::Sense::click()),
                    )
                    .clicked()
                {
                    toggle = true;
                }
            })
            .body(|ui| {
                ui.label(shown(&r.verdict.reason));
                if let Some((tests, reference)) = about(r.id) {
                    ui.label(egui::RichText::new(shown(&format!("{tests} ({reference})"))).weak());
                }
                for (i, ex) in r.exchanges.iter().enumerate() {
                    let json = grantscope_core::text::to_json_pretty(&ex.to_json(false))
                        .unwrap_or_default();
                    // Which request it was (the probe's variant), then its answer.
                    egui::CollapsingHeader::new(shown(&format!("{}: {}", ex.step, ex.summary())))
                        .id_salt((r.id, i))
                        .show(ui, |ui| {
                            ui.monospace(json);
                        });
                }
            });
        if std::mem::take(&mut toggle)
            && let Some(mut state) = egui::collapsing_header::CollapsingState::load(ui.ctx(), id)
        {
            state.toggle(ui);
            state.store(ui.ctx());
        }
    }
    rerun
}

/// The export buttons (off while `enabled` is false); the clicked kind ("json", "xml", "html").
pub(super) fn export_buttons_ui(ui: &mut egui::Ui, enabled: bool) -> Option<&'static str> {
    let mut kind = None;
    for (label, k) in [
        ("Export JSON...", "json"),
        ("Export JUnit...", "xml"),
        ("Export HTML...", "html"),
    ] {
        if ui.add_enabled(enabled, egui::Button::new(label)).clicked() {
            kind = Some(k);
        }
    }
    kind
}

/// Between the run's summary and an export's outcome on the window's line.
const BESIDE: &str = "  |  ";

/// The window's line after an export: the run's summary ("Done in …") stays, the export's
/// outcome goes beside it (replacing an earlier export's).
pub(super) fn beside_summary(message: Option<&str>, said: String) -> String {
    match message
        .and_then(|m| m.split(BESIDE).next())
        .filter(|summary| summary.starts_with("Done in"))
    {
        Some(summary) => format!("{summary}{BESIDE}{said}"),
        None => said,
    }
}

/// The file extension of an export kind.
fn extension(kind: &str) -> &'static str {
    match kind {
        "json" => "json",
        "xml" => "xml",
        _ => "html",
    }
}

/// One mode's report export: the kind asked for last, and the path field that takes the
/// dialog's place when the desktop has none or it gave no file. Nothing is written until a
/// file is chosen.
#[derive(Debug)]
pub(super) struct Export {
    /// The report's file stem ("probes", "api-probes").
    stem: &'static str,
    /// Whether the native file dialog is used (else the path field at once).
    dialogs: bool,
    kind: &'static str,
    field: PathField,
}

impl Export {
    /// An export of reports named `stem.EXT`.
    pub(super) fn new(stem: &'static str) -> Self {
        Self {
            stem,
            dialogs: files::dialog_service_available(),
            kind: "json",
            field: PathField::default(),
        }
    }

    /// Uses the native file dialog (or not: the path field).
    pub(super) fn set_dialogs(&mut self, dialogs: bool) {
        self.dialogs = dialogs;
    }

    fn file_name(&self) -> String {
        format!("{}.{}", self.stem, extension(self.kind))
    }

    /// Starts exporting `run` as `kind`: through the dialog on the worker, or by showing the
    /// path field. Errs when the run cannot be put in that form.
    pub(super) fn start<M: Send + 'static>(
        &mut self,
        jobs: &Jobs<M>,
        run: &Run,
        kind: &'static str,
        said: fn(String) -> M,
    ) -> Result<(), String> {
        let before = extension(self.kind);
        self.kind = kind;
        if self.dialogs {
            self.field.why = None;
            return export(jobs, run, kind, self.stem, None, said);
        }
        // Another kind while the field is open: its default name follows the kind.
        if let Some(base) = self.field.path.strip_suffix(&format!(".{before}")) {
            self.field.path = format!("{base}.{}", extension(kind));
        }
        self.field.open(&self.file_name(), files::NO_SERVICE);
        Ok(())
    }

    /// A line the export job said, as the window shows it: "no file was chosen" opens the path
    /// field instead (it says so itself).
    pub(super) fn said(&mut self, line: String) -> Option<String> {
        if line == files::NO_FILE {
            self.field.open(&self.file_name(), files::NO_FILE);
            return None;
        }
        if line.starts_with("Exported to") {
            self.field.why = None;
        }
        Some(line)
    }

    /// The path field when it is shown; a confirmed path writes `run` there. Errs as
    /// [`Export::start`].
    pub(super) fn field_ui<M: Send + 'static>(
        &mut self,
        ui: &mut egui::Ui,
        jobs: &Jobs<M>,
        run: Option<&Run>,
        said: fn(String) -> M,
    ) -> Result<(), String> {
        let action = match self.kind {
            "json" => "Export JSON",
            "xml" => "Export JUnit",
            _ => "Export HTML",
        };
        match (self.field.ui(ui, self.stem, action), run) {
            (Some(path), Some(run)) => export(jobs, run, self.kind, self.stem, Some(path), said),
            _ => Ok(()),
        }
    }
}

/// Writes `run` as `kind` to `path`, or where the native dialog says (on the worker); the
/// outcome comes back as `said(line)` ([`files::NO_FILE`] when the dialog gave no file). Errs
/// when the run cannot be put in that form.
fn export<M: Send + 'static>(
    jobs: &Jobs<M>,
    run: &Run,
    kind: &str,
    stem: &str,
    path: Option<PathBuf>,
    said: fn(String) -> M,
) -> Result<(), String> {
    let (text, name) = match kind {
        "json" => (
            report::to_json(run, false).to_string(),
            format!("{stem}.json"),
        ),
        "xml" => (
            report::to_junit(run).map_err(|e| format!("JUnit: {e}"))?,
            format!("{stem}.xml"),
        ),
        _ => (report::to_html(run), format!("{stem}.html")),
    };
    let ext = extension(kind);
    jobs.spawn(async move {
        // The file is the owner's only, as the HAR export is (the report holds decoded
        // claims).
        let path = match path {
            Some(p) => Some(p),
            None => {
                files::pick(
                    files::Mode::Save,
                    "Export the probe results",
                    &name,
                    ("Report", &[ext]),
                )
                .await
            }
        };
        let msg = match path {
            None => files::NO_FILE.to_string(),
            Some(path) => {
                let write = {
                    let path = path.clone();
                    tokio::task::spawn_blocking(move || {
                        grantscope_core::private_file::write_private(&path, text.as_bytes())
                    })
                    .await
                };
                match write {
                    Ok(Ok(())) => format!("Exported to {}", path.display()),
                    Ok(Err(e)) => format!("cannot write {}: {e}", path.display()),
                    Err(e) => format!("cannot write {}: {e}", path.display()),
                }
            }
        };
        said(msg)
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn an_export_line_keeps_the_summary() {
        let first = super::beside_summary(Some("Done in 5 ms: 1 pass"), "Exported to /a".into());
        assert_eq!(first, "Done in 5 ms: 1 pass  |  Exported to /a");
        let again = super::beside_summary(Some(&first), "Exported to /b".into());
        assert_eq!(again, "Done in 5 ms: 1 pass  |  Exported to /b");
        assert_eq!(super::beside_summary(None, "x".into()), "x");
    }
}
