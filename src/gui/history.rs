//! The history screen: every exchange of the session, newest first, filterable by endpoint and
//! status, each expandable with "copy as curl", and exportable as HAR 1.2 (which browsers'
//! developer tools open). Secrets stay masked in the view and the export unless revealed.

use serde_json::{Value, json};

use super::events::Event;
use super::worker::Worker;
use crate::http::Exchange;

/// Which responses to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StatusFilter {
    /// Everything.
    #[default]
    All,
    /// 2xx and 3xx.
    Ok,
    /// 4xx, 5xx and transport errors.
    Failed,
}

impl StatusFilter {
    fn matches(self, ex: &Exchange) -> bool {
        let failed = ex.failed();
        match self {
            StatusFilter::All => true,
            StatusFilter::Ok => !failed,
            StatusFilter::Failed => failed,
        }
    }
}

/// The history's state.
#[derive(Default)]
pub struct HistoryScreen {
    entries: Vec<Exchange>,
    /// Substring of the URL or step.
    pub filter: String,
    /// Status filter.
    pub status: StatusFilter,
    /// Show secrets.
    pub reveal: bool,
    message: Option<Result<String, String>>,
}

/// Messages from history jobs.
#[derive(Debug)]
pub enum HistoryMsg {
    /// The HAR export finished.
    Exported(Result<String, String>),
}

impl HistoryScreen {
    /// Adds exchanges (in the order they happened).
    pub fn extend(&mut self, exchanges: impl IntoIterator<Item = Exchange>) {
        self.entries.extend(exchanges);
    }

    /// The recorded exchanges, oldest first.
    pub fn entries(&self) -> &[Exchange] {
        &self.entries
    }

    /// How many exchanges are recorded.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing is recorded.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Handles a finished job.
    pub fn on_message(&mut self, msg: HistoryMsg) {
        match msg {
            HistoryMsg::Exported(r) => self.message = Some(r),
        }
    }

    fn visible(&self) -> Vec<(usize, &Exchange)> {
        let needle = self.filter.trim().to_ascii_lowercase();
        self.entries
            .iter()
            .enumerate()
            .rev()
            .filter(|(_, e)| self.status.matches(e))
            .filter(|(_, e)| {
                needle.is_empty()
                    || e.request_view(false)
                        .url
                        .to_ascii_lowercase()
                        .contains(&needle)
                    || e.step.to_ascii_lowercase().contains(&needle)
            })
            .collect()
    }

    /// Draws the screen.
    pub fn ui(&mut self, ui: &mut egui::Ui, worker: &Worker) {
        egui::CentralPanel::default().show(ui, |ui| {
            ui.heading("History");
            ui.horizontal_wrapped(|ui| {
                let l = ui.label("Filter");
                ui.add(egui::TextEdit::singleline(&mut self.filter).hint_text("endpoint or step"))
                    .labelled_by(l.id);
                ui.selectable_value(&mut self.status, StatusFilter::All, "All");
                ui.selectable_value(&mut self.status, StatusFilter::Ok, "Succeeded");
                ui.selectable_value(&mut self.status, StatusFilter::Failed, "Failed");
                ui.checkbox(&mut self.reveal, "Reveal secrets");
                if ui
                    .add_enabled(!self.entries.is_empty(), egui::Button::new("Export HAR..."))
                    .clicked()
                {
                    let har = to_har(&self.entries, self.reveal);
                    worker.spawn(async move {
                        let file = rfd::AsyncFileDialog::new()
                            .set_title("Export the session as HAR")
                            .set_file_name("grantscope.har")
                            .add_filter("HAR", &["har"])
                            .save_file()
                            .await;
                        let r = match file {
                            None => Ok("Export cancelled".to_owned()),
                            Some(f) => {
                                let path = f.path().to_path_buf();
                                let text = serde_json::to_string_pretty(&har).unwrap_or_default();
                                tokio::fs::write(&path, text)
                                    .await
                                    .map(|_| format!("Exported to {}", path.display()))
                                    .map_err(|e| format!("cannot write {}: {e}", path.display()))
                            }
                        };
                        Event::History(HistoryMsg::Exported(r))
                    });
                }
            });
            if let Some(m) = &self.message {
                match m {
                    Ok(t) => ui.label(t),
                    Err(e) => ui.colored_label(ui.visuals().error_fg_color, e),
                };
            }
            ui.separator();
            let reveal = self.reveal;
            let total = self.entries.len();
            let visible = self.visible();
            if visible.is_empty() {
                ui.label(if self.entries.is_empty() {
                    "No exchanges yet: run a flow or call the server from the inspector."
                } else {
                    "No exchange matches the filter."
                });
            }
            egui::ScrollArea::vertical().show(ui, |ui| {
                for (i, ex) in visible {
                    egui::CollapsingHeader::new(format!(
                        "{}. {}",
                        i + 1,
                        super::flow::exchange_title(ex)
                    ))
                    .id_salt(("history", i))
                    .default_open(i + 1 == total)
                    .show(ui, |ui| super::flow::exchange_ui(ui, ex, reveal));
                }
            });
        });
    }
}

fn header_list(headers: &[(String, String)]) -> Value {
    Value::Array(
        headers
            .iter()
            .map(|(k, v)| json!({"name": k, "value": v}))
            .collect(),
    )
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// The exchanges as a HAR 1.2 document (masked unless `reveal`).
pub fn to_har(exchanges: &[Exchange], reveal: bool) -> Value {
    let entries: Vec<Value> = exchanges
        .iter()
        .map(|ex| {
            let req = ex.request_view(reveal);
            let query: Vec<Value> = url::Url::parse(&req.url)
                .map(|u| {
                    u.query_pairs()
                        .map(|(k, v)| json!({"name": k, "value": v}))
                        .collect()
                })
                .unwrap_or_default();
            let mut request = json!({
                "method": req.method,
                "url": req.url,
                "httpVersion": "HTTP/1.1",
                "cookies": [],
                "headers": header_list(&req.headers),
                "queryString": query,
                "headersSize": -1,
                "bodySize": req.body.as_ref().map_or(0, String::len),
            });
            if let Some(body) = &req.body {
                request["postData"] = json!({
                    "mimeType": header(&req.headers, "content-type")
                        .unwrap_or("application/x-www-form-urlencoded"),
                    "text": body,
                });
            }
            let response = match ex.response_view(reveal) {
                Some(r) => json!({
                    "status": r.status,
                    "statusText": "",
                    "httpVersion": "HTTP/1.1",
                    "cookies": [],
                    "headers": header_list(&r.headers),
                    "content": {
                        "size": r.body.len(),
                        "mimeType": header(&r.headers, "content-type").unwrap_or(""),
                        "text": r.body,
                    },
                    "redirectURL": header(&r.headers, "location").unwrap_or(""),
                    "headersSize": -1,
                    "bodySize": r.body.len(),
                }),
                // HAR has no "no response": status 0 is what browsers write for a failed request.
                None => json!({
                    "status": 0,
                    "statusText": ex.error_view(false).unwrap_or_default(),
                    "httpVersion": "",
                    "cookies": [],
                    "headers": [],
                    "content": {"size": 0, "mimeType": ""},
                    "redirectURL": "",
                    "headersSize": -1,
                    "bodySize": -1,
                }),
            };
            json!({
                "startedDateTime": started(ex.started_at_ms),
                "time": ex.elapsed_ms,
                "request": request,
                "response": response,
                "cache": {},
                "timings": {"send": 0, "wait": ex.elapsed_ms, "receive": 0},
                "comment": ex.step,
            })
        })
        .collect();
    json!({
        "log": {
            "version": "1.2",
            "creator": {"name": "grantscope", "version": env!("CARGO_PKG_VERSION")},
            "pages": [],
            "entries": entries,
        }
    })
}

fn started(ms: u128) -> String {
    let secs = i64::try_from(ms / 1000).unwrap_or(0);
    let base = crate::timefmt::rfc3339(secs);
    // rfc3339() gives whole seconds ending in Z; HAR wants milliseconds.
    match base.strip_suffix('Z') {
        Some(b) => format!("{b}.{:03}Z", ms % 1000),
        None => base,
    }
}
