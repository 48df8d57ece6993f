//! The history screen: every exchange of this session and of the last ones, newest first, with
//! the time it was made, filterable by endpoint and status, each expandable with "copy as curl",
//! and exportable as HAR 1.2 (which browsers' developer tools open). Secrets stay masked in the
//! view and the export unless revealed. The history is kept across restarts in the config dir,
//! masked as on screen and bounded in size, and can be cleared. Any exchange of this session can
//! be replayed, as it is or edited ([`crate::replay::Replays`]); the replay is recorded here
//! too. Exchanges edited in step mode carry their original request, in the view and in the HAR
//! export (`_edited`, `_originalRequest`).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::exchange_view::{ExchangeView, exchange_ui};
use crate::files::{self, PathField};
use crate::replay::Replays;
use crate::worker::Jobs;
/// The exchanges as a HAR 1.2 document (masked unless `reveal`): the core's, beside its curl
/// and JSON views.
pub use grantscope_core::http::to_har;
use grantscope_core::http::{Exchange, HttpSettings};

/// At most this many exchanges are kept on disk.
pub const MAX_KEPT: usize = 300;
/// A kept request or response text is cut to this many bytes.
const MAX_KEPT_TEXT: usize = 16 * 1024;

/// Which responses to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StatusFilter {
    /// Everything.
    #[default]
    All,
    /// 2xx and 3xx, and the device grant's expected waits.
    Ok,
    /// 4xx, 5xx and transport errors (not the expected waits).
    Failed,
}

impl StatusFilter {
    fn matches(self, view: &ExchangeView) -> bool {
        match self {
            StatusFilter::All => true,
            StatusFilter::Ok => !view.failed(),
            StatusFilter::Failed => view.failed(),
        }
    }
}

/// The file the history is kept in.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Kept {
    exchanges: Vec<ExchangeView>,
}

/// The history's state.
pub struct HistoryScreen {
    path: PathBuf,
    /// Earlier sessions' exchanges, as they were shown (masked).
    kept: Vec<ExchangeView>,
    /// This session's exchanges, raw (Reveal and the HAR export can show secrets when asked).
    live: Vec<Exchange>,
    /// Their masked views (what is kept on disk).
    live_views: Vec<ExchangeView>,
    /// Substring of the URL or step.
    pub filter: String,
    /// Status filter.
    pub status: StatusFilter,
    /// Show secrets (this session's exchanges only; kept ones are stored masked).
    pub reveal: bool,
    message: Option<Result<String, String>>,
    /// Entries changed since the last save.
    dirty: bool,
    saving: bool,
    confirm_clear: bool,
    har_path: PathField,
    /// Whether the native file dialog is used (else the path field).
    dialogs: bool,
    /// Replays of this session's exchanges.
    replays: Replays,
    /// The HTTP settings replays are sent with (the active profile's, as the last frame drew).
    http: HttpSettings,
}

/// Messages from history jobs.
#[derive(Debug)]
pub enum HistoryMsg {
    /// The HAR export finished.
    Exported(Result<String, String>),
    /// The kept history was read at start.
    Loaded(Vec<ExchangeView>),
    /// The history was written.
    Saved(Result<(), String>),
    /// A replay came back: the new exchange (when a request went out) and the answer.
    Replayed {
        /// The replayed exchange.
        exchange: Option<Box<Exchange>>,
        /// The server's answer in a sentence, or what went wrong.
        outcome: Result<String, String>,
    },
}

impl HistoryScreen {
    /// A history kept in `<config_dir>/history.json`; `dialogs`: use the native file dialog.
    pub fn new(config_dir: &Path, dialogs: bool) -> Self {
        Self {
            path: config_dir.join("history.json"),
            kept: Vec::new(),
            live: Vec::new(),
            live_views: Vec::new(),
            filter: String::new(),
            status: StatusFilter::All,
            reveal: false,
            message: None,
            dirty: false,
            saving: false,
            confirm_clear: false,
            har_path: PathField::default(),
            dialogs,
            replays: Replays::default(),
            http: HttpSettings::default(),
        }
    }

    /// Reads the kept history on the worker.
    pub fn load(&self, jobs: &Jobs<HistoryMsg>) {
        let path = self.path.clone();
        jobs.spawn(async move {
            let kept = tokio::fs::read(&path)
                .await
                .ok()
                .and_then(|b| serde_json::from_slice::<Kept>(&b).ok())
                .unwrap_or_default();
            HistoryMsg::Loaded(kept.exchanges)
        });
    }

    /// Adds exchanges (in the order they happened).
    pub fn extend(&mut self, exchanges: impl IntoIterator<Item = Exchange>) {
        for ex in exchanges {
            self.live_views.push(ExchangeView::of(&ex, false));
            self.live.push(ex);
            self.dirty = true;
        }
    }

    /// This session's exchanges, oldest first.
    pub fn entries(&self) -> &[Exchange] {
        &self.live
    }

    /// Every row (earlier sessions first), masked, oldest first.
    pub fn views(&self) -> impl Iterator<Item = &ExchangeView> {
        self.kept.iter().chain(&self.live_views)
    }

    /// How many exchanges are listed.
    pub fn len(&self) -> usize {
        self.kept.len() + self.live.len()
    }

    /// Whether nothing is listed.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Writes the history when it changed and no write is under way.
    pub fn save_if_changed(&mut self, jobs: &Jobs<HistoryMsg>) {
        if !self.dirty || self.saving {
            return;
        }
        self.dirty = false;
        self.saving = true;
        let skip = self.len().saturating_sub(MAX_KEPT);
        let kept = Kept {
            exchanges: self.views().skip(skip).cloned().map(bounded).collect(),
        };
        let path = self.path.clone();
        jobs.spawn(async move {
            let r = tokio::task::spawn_blocking(move || write_private(&path, &kept))
                .await
                .map_err(|e| e.to_string())
                .and_then(|r| r);
            HistoryMsg::Saved(r)
        });
    }

    /// Handles a finished job.
    pub fn on_message(&mut self, msg: HistoryMsg) {
        match msg {
            HistoryMsg::Exported(r) => self.message = Some(r),
            HistoryMsg::Loaded(kept) => self.kept = kept,
            HistoryMsg::Saved(r) => {
                self.saving = false;
                if let Err(e) = r {
                    self.message = Some(Err(format!("The history could not be saved: {e}")));
                }
            }
            HistoryMsg::Replayed { exchange, outcome } => {
                self.replays.done(outcome);
                self.extend(exchange.map(|e| *e));
            }
        }
    }

    fn clear(&mut self) {
        self.kept.clear();
        self.live.clear();
        self.live_views.clear();
        self.dirty = true;
        self.message = Some(Ok("History cleared".into()));
    }

    /// The rows shown (indices into [`views`](Self::views)), newest first.
    fn visible(&self) -> Vec<usize> {
        let needle = self.filter.trim().to_ascii_lowercase();
        let rows: Vec<_> = self.views().enumerate().collect();
        rows.into_iter()
            .rev()
            .filter(|(_, v)| self.status.matches(v))
            .filter(|(_, v)| {
                needle.is_empty()
                    || v.url.to_ascii_lowercase().contains(&needle)
                    || v.step.to_ascii_lowercase().contains(&needle)
            })
            .map(|(i, _)| i)
            .collect()
    }

    fn replay(&self, jobs: &Jobs<HistoryMsg>, ask: crate::replay::ReplayAsk) {
        let (http, keys) = (self.http.clone(), jobs.keys().clone());
        jobs.spawn(async move {
            let (exchange, outcome) =
                crate::replay::replay(http, &keys, ask.step, ask.request, ask.edited).await;
            HistoryMsg::Replayed {
                exchange: exchange.map(Box::new),
                outcome,
            }
        });
    }

    fn export_har(&self, jobs: &Jobs<HistoryMsg>, path: Option<PathBuf>) {
        let har = to_har(&self.live, self.reveal);
        jobs.spawn(async move {
            let path = match path {
                Some(p) => p,
                None => match files::pick(
                    files::Mode::Save,
                    "Export the session as HAR",
                    "grantscope.har",
                    ("HAR", &["har"]),
                )
                .await
                {
                    Some(p) => p,
                    None => return HistoryMsg::Exported(Err(files::NO_FILE.into())),
                },
            };
            let text = serde_json::to_string_pretty(&har).unwrap_or_default();
            // Owner-only, atomic: a revealed HAR holds secrets.
            let r = grantscope_core::private_file::write_private(&path, text.as_bytes())
                .map(|_| format!("Exported to {}", path.display()))
                .map_err(|e| format!("cannot write {}: {e}", path.display()));
            HistoryMsg::Exported(r)
        });
    }

    /// "No file was chosen" is said once, by the path field that takes its place (it was
    /// printed twice: as the field's reason and again as the screen's message).
    fn no_file_opens_the_path_field(&mut self) {
        if matches!(&self.message, Some(Err(m)) if m == files::NO_FILE) {
            self.message = None;
            self.har_path.open("grantscope.har", files::NO_FILE);
        }
    }

    /// Draws the screen.
    pub fn ui(&mut self, ui: &mut egui::Ui, jobs: &Jobs<HistoryMsg>, http: HttpSettings) {
        // Replays go out with the active profile's HTTP settings.
        self.http = http;
        self.no_file_opens_the_path_field();
        egui::CentralPanel::default().show(ui, |ui| {
            ui.heading("History");
            ui.horizontal_wrapped(|ui| {
                let l = ui.label("Filter");
                ui.add(
                    egui::TextEdit::singleline(&mut self.filter)
                        .hint_text("endpoint or step")
                        .desired_width(160.0),
                )
                .labelled_by(l.id);
                ui.selectable_value(&mut self.status, StatusFilter::All, "All");
                ui.selectable_value(&mut self.status, StatusFilter::Ok, "Succeeded");
                ui.selectable_value(&mut self.status, StatusFilter::Failed, "Failed");
                ui.checkbox(&mut self.reveal, "Reveal secrets")
                    .on_hover_text("This session's exchanges; kept ones were stored masked");
                if ui
                    .add_enabled(!self.live.is_empty(), egui::Button::new("Export HAR..."))
                    .on_disabled_hover_text("No exchange in this session yet")
                    .clicked()
                {
                    if self.dialogs {
                        self.export_har(jobs, None);
                    } else {
                        self.har_path.open("grantscope.har", files::NO_SERVICE);
                    }
                }
                if ui
                    .add_enabled(!self.is_empty(), egui::Button::new("Clear history"))
                    .clicked()
                {
                    self.confirm_clear = true;
                }
            });
            if self.confirm_clear {
                ui.horizontal_wrapped(|ui| {
                    ui.colored_label(
                        ui.visuals().warn_fg_color,
                        format!(
                            "Clear all {} exchanges, from this and earlier sessions?",
                            self.len()
                        ),
                    );
                    if ui.button("Clear them").clicked() {
                        self.clear();
                        self.confirm_clear = false;
                    }
                    if ui.button("Keep them").clicked() {
                        self.confirm_clear = false;
                    }
                });
            }
            if let Some(path) = self.har_path.ui(ui, "har", "Export") {
                self.har_path.why = None;
                self.export_har(jobs, Some(path));
            }
            if let Some(m) = &self.message {
                match m {
                    Ok(t) => ui.label(t),
                    Err(e) => ui.colored_label(ui.visuals().error_fg_color, e),
                };
            }
            ui.separator();
            let reveal = self.reveal;
            let total = self.len();
            let empty = self.is_empty();
            let visible = self.visible();
            if visible.is_empty() {
                ui.label(if empty {
                    "No exchanges yet: run a flow or call the server from the inspector."
                } else {
                    "No exchange matches the filter."
                });
            }
            self.replays.note_ui(ui);
            let today = grantscope_core::timefmt::rfc3339(grantscope_core::timefmt::now_unix());
            let today = today.split_once('T').map_or("", |(d, _)| d).to_owned();
            let k = self.kept.len();
            let mut ask = None;
            egui::ScrollArea::vertical()
                .id_salt("history_list")
                .show(ui, |ui| {
                    for i in visible {
                        let live = i.checked_sub(k).and_then(|j| self.live.get(j));
                        let stored = match i.checked_sub(k) {
                            None => &self.kept[i],
                            Some(j) => &self.live_views[j],
                        };
                        let revealed;
                        let view = match (reveal, live) {
                            (true, Some(ex)) => {
                                revealed = ExchangeView::of(ex, true);
                                &revealed
                            }
                            _ => stored,
                        };
                        let when = when(view.started_at_ms, &today);
                        let kept = if live.is_none() {
                            " (earlier session)"
                        } else {
                            ""
                        };
                        let replays = &mut self.replays;
                        egui::CollapsingHeader::new(format!(
                            "{}. {when}  {}{kept}",
                            i + 1,
                            view.title()
                        ))
                        .id_salt(("history", i))
                        .default_open(i + 1 == total && live.is_some())
                        .show(ui, |ui| {
                            exchange_ui(ui, ("history", i), view);
                            match live {
                                Some(ex) => {
                                    if let Some(a) = replays.ui(ui, i, ex, reveal) {
                                        ask = Some(a);
                                    }
                                }
                                None => {
                                    ui.label(
                                        egui::RichText::new(
                                            "Kept masked from an earlier session: it cannot be replayed",
                                        )
                                        .weak(),
                                    );
                                }
                            }
                        });
                    }
                });
            if let Some(a) = ask {
                self.replay(jobs, a);
            }
        });
    }
}

/// `12:00:03` today, `2026-11-30 12:00:03` on another day (UTC).
fn when(started_at_ms: u64, today: &str) -> String {
    let full = grantscope_core::timefmt::rfc3339(i64::try_from(started_at_ms / 1000).unwrap_or(0));
    match full.trim_end_matches('Z').split_once('T') {
        Some((d, t)) if d == today => t.to_owned(),
        Some((d, t)) => format!("{d} {t}"),
        None => full,
    }
}

/// A view cut to the kept size.
fn bounded(mut v: ExchangeView) -> ExchangeView {
    for text in [&mut v.request, &mut v.curl] {
        cut(text);
    }
    for r in [v.response.as_mut(), v.original.as_mut()]
        .into_iter()
        .flatten()
    {
        cut(r);
    }
    v
}

fn cut(text: &mut String) {
    if text.len() > MAX_KEPT_TEXT {
        let at = (0..=MAX_KEPT_TEXT)
            .rev()
            .find(|i| text.is_char_boundary(*i))
            .unwrap_or(0);
        text.truncate(at);
        text.push_str("\n... (cut for the kept history)");
    }
}

/// Writes `kept` through the core's one private-file writer (temp file 0600, fsync, rename).
fn write_private(path: &Path, kept: &Kept) -> Result<(), String> {
    let dir = path.parent().ok_or("no directory")?;
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    let json = serde_json::to_vec(kept).map_err(|e| e.to_string())?;
    grantscope_core::private_file::write_private(path, &json).map_err(|e| e.to_string())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn view(i: u64, body: &str) -> ExchangeView {
        ExchangeView {
            step: format!("step {i}"),
            method: "POST".into(),
            url: "http://127.0.0.1/token".into(),
            request: body.into(),
            status: Some(200),
            response: Some("{}".into()),
            waiting: None,
            error: None,
            elapsed_ms: 1,
            started_at_ms: 1_700_000_000_000 + i,
            curl: "curl".into(),
            masked: true,
            decoded: Vec::new(),
            original: None,
        }
    }

    #[test]
    fn the_kept_history_is_bounded_private_and_reloads() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("history.json");
        let big = "x".repeat(MAX_KEPT_TEXT * 2);
        let kept = Kept {
            exchanges: vec![bounded(view(1, &big)), view(2, "small")],
        };
        write_private(&path, &kept).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let back: Kept = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        assert_eq!(back.exchanges.len(), 2);
        assert!(back.exchanges[0].request.len() < MAX_KEPT_TEXT + 100);
        assert_eq!(back.exchanges[1], view(2, "small"));
    }

    #[test]
    fn times_show_the_date_only_for_other_days() {
        assert_eq!(when(1_700_000_003_120, "2023-11-14"), "22:13:23");
        assert_eq!(when(1_700_000_003_120, "2023-11-15"), "2023-11-14 22:13:23");
    }

    #[test]
    fn a_cancelled_dialog_is_said_once_by_the_path_field() {
        let dir = tempfile::tempdir().unwrap();
        let mut h = HistoryScreen::new(dir.path(), true);
        h.message = Some(Err(files::NO_FILE.into()));
        h.no_file_opens_the_path_field();
        assert!(h.har_path.shown());
        assert_eq!(h.har_path.why.as_deref(), Some(files::NO_FILE));
        assert!(h.message.is_none(), "not also the screen's message");
        // Another error stays the screen's message.
        h.message = Some(Err("cannot write x".into()));
        h.no_file_opens_the_path_field();
        assert!(h.message.is_some());
    }
}
