//! Step mode in the flow runner: the run stops before each request (the core's
//! [`Gate`](grantscope_core::oauth::step::Gate), fed through [`channel_gate`](grantscope_core::oauth::step::channel_gate)
//! on the worker) and this panel shows the pending request in full (method, URL, query
//! parameters, headers, form fields, the decoded client assertion or DPoP proof) with the step's
//! explanation from [`grantscope_core::steps::explain`], and the actions Send, Edit, Skip to the end and
//! Cancel. Edit opens a small table editor ([`RequestEditor`]) where every query parameter,
//! header and form field can be changed, removed or added; the edited request goes out as
//! `Decision::Edited` (or `EditedUrl` for the browser's visit), and the core keeps the original
//! beside it. Also the replay of any recorded exchange, as it is or edited ([`Replays`],
//! [`replay`]), used by the flow runner and by History, and the presenter view (a larger type
//! scale, [`PRESENTER_KEY`] toggles it, [`SEND_KEY`] sends the next step).
//!
//! Secrets stay masked here as in every exchange view: the editor shows a field that holds a
//! secret as a password field unless "Reveal secrets" is ticked.

use std::sync::{Arc, Mutex};

use tokio::sync::oneshot;
use url::Url;

use super::exchange_view::capped_text_ui;
use super::sequence::{Arrow, pending_arrows};
use grantscope_core::http::{Exchange, HttpClient, HttpRequest, HttpSettings, RecordedRequest};
use grantscope_core::oauth::step::{Decision, Gate, Pending};
use grantscope_core::oauth::{GrantKind, Session};

/// Sends the pending request when no text field has the keyboard: PageDown, the key a
/// presenter's clicker sends for "next".
pub const SEND_KEY: egui::Key = egui::Key::PageDown;
/// Turns the presenter view on and off (as in presentation programs).
pub const PRESENTER_KEY: egui::Key = egui::Key::F5;
/// The presenter view's type scale for the explanation and the diagram.
pub const PRESENTER_SCALE: f32 = 1.5;

/// Messages of step mode and replays, from the worker. Their `Debug` names the step only: a
/// pending request holds raw secrets.
pub enum StepMsg {
    /// The run `run` stopped before this request; `reply` takes the decision.
    Pending {
        /// Which run.
        run: u64,
        /// What the flow is about to do.
        pending: Box<Pending>,
        /// Where the decision goes.
        reply: oneshot::Sender<Decision>,
    },
    /// A replay (of one of the run's exchanges) came back.
    Replayed {
        /// The run whose exchange was replayed.
        run: u64,
        /// The new exchange, when a request went out.
        exchange: Option<Box<Exchange>>,
        /// The server's answer in a sentence, or what went wrong.
        outcome: Result<String, String>,
    },
}

impl std::fmt::Debug for StepMsg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StepMsg::Pending { run, pending, .. } => f
                .debug_struct("Pending")
                .field("run", run)
                .field("step", &pending.step())
                .finish_non_exhaustive(),
            StepMsg::Replayed { run, exchange, .. } => f
                .debug_struct("Replayed")
                .field("run", run)
                .field("exchange", exchange)
                .finish_non_exhaustive(),
        }
    }
}

/// A request the flow is waiting on.
struct Waiting {
    run: u64,
    pending: Pending,
    reply: Option<oneshot::Sender<Decision>>,
}

/// The flow runner's step-mode state: the toggles, the pending request and its editor.
#[derive(Default)]
pub struct StepMode {
    /// Stop before each request of the next run.
    pub enabled: bool,
    /// The presenter view: larger type for the explanation and the diagram.
    pub presenter: bool,
    waiting: Option<Waiting>,
    editor: Option<RequestEditor>,
}

impl StepMode {
    /// The type scale of the explanation and the diagram.
    pub fn scale(&self) -> f32 {
        if self.presenter { PRESENTER_SCALE } else { 1.0 }
    }

    /// The run stopped before `pending`.
    pub fn on_pending(&mut self, run: u64, pending: Pending, reply: oneshot::Sender<Decision>) {
        self.editor = None;
        self.waiting = Some(Waiting {
            run,
            pending,
            reply: Some(reply),
        });
    }

    /// The request the run is waiting on.
    pub fn pending(&self) -> Option<&Pending> {
        self.waiting.as_ref().map(|w| &w.pending)
    }

    /// Whether run `run` waits on a decision.
    pub fn waits(&self, run: u64) -> bool {
        self.waiting.as_ref().is_some_and(|w| w.run == run)
    }

    /// The diagram's highlighted "next" arrows.
    pub fn pending_arrows(&self) -> Vec<Arrow> {
        self.pending().map(pending_arrows).unwrap_or_default()
    }

    /// Whether the pending request is open in the editor.
    pub fn editing(&self) -> bool {
        self.editor.is_some()
    }

    /// The run ended (or another began): nothing waits any more.
    pub fn run_ended(&mut self) {
        self.waiting = None;
        self.editor = None;
    }

    fn decide(&mut self, decision: Decision) {
        if let Some(mut w) = self.waiting.take()
            && let Some(reply) = w.reply.take()
        {
            // The run may have ended meanwhile: then nobody listens, and nothing is lost.
            let _ = reply.send(decision);
        }
        self.editor = None;
    }

    /// Sends the pending request as it is.
    pub fn send(&mut self) {
        self.decide(Decision::Send);
    }

    /// Sends the edited request; keeps the editor open with the reason when it does not build.
    fn send_edited(&mut self) {
        let (Some(editor), Some(w)) = (self.editor.as_mut(), self.waiting.as_ref()) else {
            return;
        };
        // An edit that changed nothing is a plain Send: nothing to mark.
        let built = match &w.pending {
            Pending::Request { request, .. } => editor.build_request().map(|r| {
                if same_request(&r, request) {
                    Decision::Send
                } else {
                    Decision::Edited(r)
                }
            }),
            Pending::Authorize { url } => editor.build_url().map(|u| {
                if u == *url {
                    Decision::Send
                } else {
                    Decision::EditedUrl(u)
                }
            }),
        };
        match built {
            Ok(d) => self.decide(d),
            Err(e) => editor.error = Some(e),
        }
    }

    fn open_editor(&mut self) {
        self.editor = self.waiting.as_ref().map(|w| match &w.pending {
            Pending::Request { request, .. } => RequestEditor::from_request(request),
            Pending::Authorize { url } => RequestEditor::from_url(url),
        });
    }

    /// Keyboard: [`PRESENTER_KEY`] toggles the presenter view; [`SEND_KEY`] sends the pending
    /// request unless a text field has the keyboard or the editor is open.
    pub fn shortcuts(&mut self, ctx: &egui::Context) {
        if ctx.input_mut(|i| i.consume_key(egui::Modifiers::NONE, PRESENTER_KEY)) {
            self.presenter = !self.presenter;
        }
        let typing = ctx.text_edit_focused();
        if self.waiting.is_some()
            && !self.editing()
            && !typing
            && ctx.input_mut(|i| i.consume_key(egui::Modifiers::NONE, SEND_KEY))
        {
            self.send();
        }
    }

    /// The toggles beside Run: step mode (only between runs) and the presenter view.
    pub fn toggles_ui(&mut self, ui: &mut egui::Ui, running: bool) {
        ui.add_enabled(
            !running,
            egui::Checkbox::new(&mut self.enabled, "Step mode"),
        )
        .on_hover_text("Stop before each request: read it, edit it, then send it")
        .on_disabled_hover_text("Turn it on or off between runs");
        ui.toggle_value(&mut self.presenter, "Presenter view")
            .on_hover_text(format!(
                "Larger type for the diagram and the explanation ({}); {} sends the next step",
                key_name(PRESENTER_KEY),
                key_name(SEND_KEY)
            ));
    }

    /// The actions on the pending request, pinned where they always show: Send, Edit (or Send
    /// edited / Discard edits), Skip to the end, Cancel.
    pub fn actions_ui(&mut self, ui: &mut egui::Ui) {
        let Some(w) = &self.waiting else {
            return;
        };
        let step = w.pending.step().to_owned();
        let scale = self.scale();
        ui.add_space(4.0);
        ui.horizontal_wrapped(|ui| {
            ui.label(
                egui::RichText::new(format!("Paused before: {step}"))
                    .strong()
                    .size(body_size(ui) * scale),
            );
            if self.editor.is_some() {
                if ui
                    .button(big("Send edited", scale))
                    .on_hover_text("Send the request as edited; the original is kept beside it")
                    .clicked()
                {
                    self.send_edited();
                }
                if ui.button(big("Discard edits", scale)).clicked() {
                    self.editor = None;
                }
            } else {
                if ui
                    .button(big("Send", scale))
                    .on_hover_text(format!(
                        "Send this request ({} when no field has the keyboard)",
                        key_name(SEND_KEY)
                    ))
                    .clicked()
                {
                    self.send();
                }
                if ui
                    .button(big("Edit", scale))
                    .on_hover_text("Change, remove or add parameters and headers before sending")
                    .clicked()
                {
                    self.open_editor();
                }
            }
            if ui
                .button(big("Skip to the end", scale))
                .on_hover_text("Send this and every later request without stopping")
                .clicked()
            {
                self.decide(Decision::RunToEnd);
            }
            if ui
                .button(big("Cancel", scale))
                .on_hover_text("Stop the flow here")
                .clicked()
            {
                self.decide(Decision::Cancel);
            }
            if !self.editing() {
                ui.label(egui::RichText::new(format!("{}: Send", key_name(SEND_KEY))).weak());
            }
        });
        if let Some(e) = self.editor.as_ref().and_then(|e| e.error.as_ref()) {
            ui.colored_label(ui.visuals().error_fg_color, e);
        }
        ui.add_space(4.0);
    }

    /// The pending step: its explanation, then (`with_request`) the request in full or its
    /// editor. The presenter view puts the request below the diagram instead
    /// ([`request_card_ui`](Self::request_card_ui)), so the explanation and the diagram come
    /// first.
    pub fn card_ui(
        &mut self,
        ui: &mut egui::Ui,
        grant: GrantKind,
        reveal: bool,
        with_request: bool,
    ) {
        let Some(w) = &self.waiting else {
            return;
        };
        let scale = self.scale();
        let step = w.pending.step().to_owned();
        egui::Frame::group(ui.style())
            .stroke(egui::Stroke::new(1.5, ui.visuals().selection.stroke.color))
            .show(ui, |ui| {
                ui.set_width(ui.available_width());
                explanation_ui(ui, &step, grant, scale, self.presenter);
                if with_request {
                    ui.add_space(6.0);
                    self.request_part_ui(ui, reveal);
                }
            });
    }

    /// The pending request in full (or its editor), in a frame of its own.
    pub fn request_card_ui(&mut self, ui: &mut egui::Ui, reveal: bool) {
        if self.waiting.is_none() {
            return;
        }
        egui::Frame::group(ui.style()).show(ui, |ui| {
            ui.set_width(ui.available_width());
            self.request_part_ui(ui, reveal);
        });
    }

    fn request_part_ui(&mut self, ui: &mut egui::Ui, reveal: bool) {
        let Some(w) = &self.waiting else {
            return;
        };
        match (&w.pending, self.editor.as_mut()) {
            (_, Some(editor)) => {
                ui.label(egui::RichText::new("Edit the request").strong());
                editor.ui(ui, reveal, "pending");
            }
            (Pending::Request { request, .. }, None) => {
                ui.label(egui::RichText::new("The request, about to be sent").strong());
                request_ui(
                    ui,
                    &request.view(reveal),
                    &decoded_views(request),
                    "pending",
                );
            }
            (Pending::Authorize { url }, None) => {
                ui.horizontal_wrapped(|ui| {
                    ui.label(
                        egui::RichText::new(
                            "The browser will open this authorization URL (nothing was sent yet)",
                        )
                        .strong(),
                    );
                    if ui.small_button("Copy URL").clicked() {
                        ui.ctx().copy_text(url.to_string());
                    }
                });
                let view = RecordedRequest {
                    method: "GET".into(),
                    url: url.to_string(),
                    headers: Vec::new(),
                    body: None,
                };
                request_ui(ui, &view, &[], "pending");
            }
        }
    }
}

/// How a key is called in the hints.
fn key_name(key: egui::Key) -> &'static str {
    key.name()
}

fn body_size(ui: &egui::Ui) -> f32 {
    egui::TextStyle::Body.resolve(ui.style()).size
}

fn big(text: &str, scale: f32) -> egui::RichText {
    egui::RichText::new(text).size(14.0 * scale)
}

/// Text with `code` spans in monospace, at `size`.
fn prose(text: &str, size: f32, color: egui::Color32) -> egui::text::LayoutJob {
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

/// Decoded views of what a request carries, as shown beside it: the client assertion (the
/// core's decoded view) and a DPoP proof's header and claims.
pub fn decoded_views(req: &HttpRequest) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = req
        .decoded
        .iter()
        .map(|(label, v)| {
            let text = grantscope_core::text::to_json_pretty(v).unwrap_or_else(|_| v.to_string());
            (label.clone(), text)
        })
        .collect();
    out.extend(super::exchange_view::dpop_decoded(&req.headers));
    out
}

/// Query parameters of a URL, decoded.
fn query_of(url: &str) -> Vec<(String, String)> {
    Url::parse(url)
        .map(|u| {
            u.query_pairs()
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect()
        })
        .unwrap_or_default()
}

fn is_form(headers: &[(String, String)]) -> bool {
    headers.iter().any(|(k, v)| {
        k.eq_ignore_ascii_case("content-type")
            && v.to_ascii_lowercase()
                .starts_with("application/x-www-form-urlencoded")
    })
}

/// A masked request in full: the request line (the query is in its table), then tables of its
/// query parameters, headers and form fields (or its body), then the decoded views.
pub fn request_ui(
    ui: &mut egui::Ui,
    req: &RecordedRequest,
    decoded: &[(String, String)],
    id: &str,
) {
    let target = match Url::parse(&req.url) {
        Ok(mut u) => {
            u.set_query(None);
            u.to_string()
        }
        Err(_) => req.url.clone(),
    };
    ui.add(
        egui::Label::new(
            egui::RichText::new(grantscope_core::text::inert(&format!(
                "{} {target}",
                req.method
            )))
            .monospace()
            .strong(),
        )
        .wrap(),
    );
    let query = query_of(&req.url);
    table_ui(ui, (id, "query"), "Query parameters", &query);
    table_ui(ui, (id, "headers"), "Headers", &req.headers);
    if let Some(body) = &req.body {
        if is_form(&req.headers) {
            let fields: Vec<(String, String)> = url::form_urlencoded::parse(body.as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
            table_ui(ui, (id, "form"), "Form fields", &fields);
        } else {
            ui.label(egui::RichText::new("Body").strong());
            capped_text_ui(ui, (id, "body"), body, 160.0);
        }
    }
    for (i, (label, text)) in decoded.iter().enumerate() {
        ui.label(egui::RichText::new(format!("Decoded: {label}")).strong());
        capped_text_ui(ui, (id, "decoded", i), text, 200.0);
    }
}

fn table_ui(
    ui: &mut egui::Ui,
    id: impl std::hash::Hash + std::fmt::Debug,
    title: &str,
    rows: &[(String, String)],
) {
    if rows.is_empty() {
        return;
    }
    ui.label(egui::RichText::new(format!("{title} ({})", rows.len())).strong());
    let value_w = (ui.available_width() - 170.0).max(120.0);
    egui::Grid::new(id)
        .num_columns(2)
        .striped(true)
        .max_col_width(value_w)
        .show(ui, |ui| {
            for (k, v) in rows {
                ui.label(
                    egui::RichText::new(grantscope_core::text::inert(k))
                        .monospace()
                        .strong(),
                );
                ui.add(
                    egui::Label::new(
                        egui::RichText::new(grantscope_core::text::inert(v)).monospace(),
                    )
                    .wrap(),
                );
                ui.end_row();
            }
        });
}

/// Whether two requests would put the same bytes on the wire.
fn same_request(a: &HttpRequest, b: &HttpRequest) -> bool {
    a.method == b.method && a.url == b.url && a.headers == b.headers && a.body == b.body
}

/// One name/value row of the editor (no `Debug`: a value may be a secret).
#[derive(Clone, PartialEq)]
struct Row {
    name: String,
    value: String,
}

fn rows_of(pairs: impl IntoIterator<Item = (String, String)>) -> Vec<Row> {
    pairs
        .into_iter()
        .map(|(name, value)| Row { name, value })
        .collect()
}

/// What the editor edits of the body.
#[derive(Clone)]
enum Body {
    None,
    Form(Vec<Row>),
    Raw(String),
}

/// A table editor for one request: the URL, its query parameters, headers and form fields
/// (or the raw body); every row can be changed or removed and rows added. No `Debug`: it holds
/// the request's raw values.
#[derive(Clone)]
pub struct RequestEditor {
    method: String,
    base: String,
    query: Vec<Row>,
    /// `None` for the browser's visit: its headers are the browser's, not grantscope's.
    headers: Option<Vec<Row>>,
    body: Body,
    /// The request being edited (its secrets stay marked, its decoded views are kept while
    /// the client assertion is unchanged).
    template: Option<HttpRequest>,
    /// Why the edited request cannot be sent.
    pub error: Option<String>,
}

impl RequestEditor {
    /// An editor holding `req`.
    pub fn from_request(req: &HttpRequest) -> Self {
        let mut base = req.url.clone();
        base.set_query(None);
        let body = match &req.body {
            None => Body::None,
            Some(b) if is_form(&req.headers) => Body::Form(rows_of(
                url::form_urlencoded::parse(b.as_bytes())
                    .map(|(k, v)| (k.into_owned(), v.into_owned())),
            )),
            Some(b) => Body::Raw(b.clone()),
        };
        Self {
            method: req.method.clone(),
            base: base.to_string(),
            query: rows_of(query_of(req.url.as_str())),
            headers: Some(rows_of(req.headers.iter().cloned())),
            body,
            template: Some(req.clone()),
            error: None,
        }
    }

    /// An editor holding the browser's authorization URL.
    pub fn from_url(url: &Url) -> Self {
        let mut base = url.clone();
        base.set_query(None);
        Self {
            method: "GET".into(),
            base: base.to_string(),
            query: rows_of(query_of(url.as_str())),
            headers: None,
            body: Body::None,
            template: None,
            error: None,
        }
    }

    /// The URL with the edited query.
    pub fn build_url(&self) -> Result<Url, String> {
        let mut url =
            Url::parse(self.base.trim()).map_err(|e| format!("The URL does not parse: {e}"))?;
        url.set_query(None);
        let query: Vec<&Row> = self
            .query
            .iter()
            .filter(|r| !r.name.trim().is_empty())
            .collect();
        if !query.is_empty() {
            url.query_pairs_mut()
                .extend_pairs(query.iter().map(|r| (r.name.trim(), r.value.as_str())));
        }
        Ok(url)
    }

    /// The edited request (secrets still marked for masking).
    pub fn build_request(&self) -> Result<HttpRequest, String> {
        let url = self.build_url()?;
        let mut headers = Vec::new();
        for r in self.headers.iter().flatten() {
            let name = r.name.trim();
            if name.is_empty() {
                continue;
            }
            if !name.bytes().all(|b| b.is_ascii_graphic() && b != b':') {
                return Err(format!(
                    "The header name {name:?} is not a valid HTTP token"
                ));
            }
            if r.value.contains(['\r', '\n']) {
                return Err(format!("The value of header {name} holds a line break"));
            }
            headers.push((name.to_owned(), r.value.clone()));
        }
        let body = match &self.body {
            Body::None => None,
            Body::Raw(b) => Some(b.clone()),
            Body::Form(rows) => Some(
                url::form_urlencoded::Serializer::new(String::new())
                    .extend_pairs(
                        rows.iter()
                            .filter(|r| !r.name.trim().is_empty())
                            .map(|r| (r.name.trim(), r.value.as_str())),
                    )
                    .finish(),
            ),
        };
        let (secrets, decoded) = match &self.template {
            Some(t) => {
                let assertion = |rows: Option<&Vec<Row>>| {
                    rows.and_then(|rows| {
                        rows.iter()
                            .find(|r| r.name == "client_assertion")
                            .map(|r| r.value.clone())
                    })
                };
                let before = RequestEditor::from_request(t);
                let unchanged =
                    assertion(form_rows(&before.body)) == assertion(form_rows(&self.body));
                let decoded = if unchanged {
                    t.decoded.clone()
                } else {
                    Vec::new()
                };
                (t.secrets.clone(), decoded)
            }
            None => (Vec::new(), Vec::new()),
        };
        Ok(HttpRequest {
            method: self.method.clone(),
            url,
            headers,
            body,
            secrets,
            decoded,
        })
    }

    fn is_secret(&self, header: Option<&str>, value: &str) -> bool {
        header.is_some_and(|h| h.eq_ignore_ascii_case("authorization"))
            || self.template.as_ref().is_some_and(|t| {
                t.secrets
                    .iter()
                    .any(|(_, s)| !s.is_empty() && value.contains(s.as_str()))
            })
    }

    /// The editor: the URL, then a table per part with Remove on each row and Add under it.
    pub fn ui(&mut self, ui: &mut egui::Ui, reveal: bool, id: &str) {
        ui.horizontal(|ui| {
            ui.label(egui::RichText::new(&self.method).monospace().strong());
            let l = ui.label("URL");
            ui.add(
                egui::TextEdit::singleline(&mut self.base)
                    .desired_width(ui.available_width().max(120.0)),
            )
            .labelled_by(l.id);
        });
        let secret = |editor: &Self, header: Option<&str>, value: &str| {
            !reveal && editor.is_secret(header, value)
        };
        let mut query = std::mem::take(&mut self.query);
        rows_ui(
            ui,
            (id, "query"),
            "Query parameters",
            "query parameter",
            &mut query,
            |n, v| {
                let _ = n;
                secret(self, None, v)
            },
        );
        self.query = query;
        if let Some(mut headers) = self.headers.take() {
            rows_ui(
                ui,
                (id, "headers"),
                "Headers",
                "header",
                &mut headers,
                |n, v| secret(self, Some(n), v),
            );
            self.headers = Some(headers);
        }
        match std::mem::replace(&mut self.body, Body::None) {
            Body::Form(mut rows) => {
                rows_ui(
                    ui,
                    (id, "form"),
                    "Form fields",
                    "form field",
                    &mut rows,
                    |_, v| secret(self, None, v),
                );
                self.body = Body::Form(rows);
            }
            Body::Raw(mut text) => {
                ui.label(egui::RichText::new("Body").strong());
                let masked = secret(self, None, &text);
                ui.add(
                    egui::TextEdit::multiline(&mut text)
                        .password(masked)
                        .code_editor()
                        .desired_rows(3)
                        .desired_width(ui.available_width()),
                );
                self.body = Body::Raw(text);
            }
            Body::None => {}
        }
    }
}

fn form_rows(body: &Body) -> Option<&Vec<Row>> {
    match body {
        Body::Form(rows) => Some(rows),
        _ => None,
    }
}

/// One editable table: name and value fields, Remove per row, Add below.
fn rows_ui(
    ui: &mut egui::Ui,
    id: impl std::hash::Hash + std::fmt::Debug + Copy,
    title: &str,
    what: &str,
    rows: &mut Vec<Row>,
    masked: impl Fn(&str, &str) -> bool,
) {
    ui.add_space(4.0);
    ui.label(egui::RichText::new(format!("{title} ({})", rows.len())).strong());
    let name_w = 130.0_f32.min(ui.available_width() * 0.3);
    let value_w = (ui.available_width() - name_w - 90.0).max(100.0);
    let mut remove = None;
    // Rows of fixed widths (not a grid, which would size its columns to the text).
    for (i, row) in rows.iter_mut().enumerate() {
        let hide = masked(&row.name, &row.value);
        ui.push_id((id, i), |ui| {
            ui.horizontal(|ui| {
                ui.add(
                    egui::TextEdit::singleline(&mut row.name)
                        .desired_width(name_w)
                        .hint_text("name"),
                );
                ui.add(
                    egui::TextEdit::singleline(&mut row.value)
                        .password(hide)
                        .desired_width(value_w)
                        .hint_text("value"),
                )
                .on_hover_text(if hide {
                    "A secret: tick Reveal secrets to see it (you can still type over it)"
                } else {
                    "The value as it will be sent"
                });
                if ui
                    .small_button("Remove")
                    .on_hover_text(format!("Remove this {what}"))
                    .clicked()
                {
                    remove = Some(i);
                }
            });
        });
    }
    if let Some(i) = remove {
        rows.remove(i);
    }
    if ui.small_button(format!("Add a {what}")).clicked() {
        rows.push(Row {
            name: String::new(),
            value: String::new(),
        });
    }
}

/// A gate that answers the first request with `edited` (so the core records the replay as
/// edited, the recorded request as its original).
fn edit_once(edited: HttpRequest) -> Gate {
    let slot = Arc::new(Mutex::new(Some(edited)));
    Arc::new(move |_pending| {
        let edited = slot.lock().ok().and_then(|mut s| s.take());
        Box::pin(async move { edited.map_or(Decision::Send, Decision::Edited) })
    })
}

/// Sends a recorded request again (its step becomes `replay: STEP`), as it is or `edited`,
/// through a session of its own with the profile's HTTP settings; returns the new exchange and
/// the server's answer in a sentence (or what went wrong). Runs on the worker.
pub async fn replay(
    http: HttpSettings,
    keys: &grantscope_core::keys::KeyStore,
    step: String,
    request: HttpRequest,
    edited: Option<HttpRequest>,
) -> (Option<Exchange>, Result<String, String>) {
    let client = match http
        .to_options(keys)
        .map_err(|e| e.to_string())
        .and_then(|o| HttpClient::new(&o).map_err(|e| e.to_string()))
    {
        Ok(c) => c,
        Err(e) => return (None, Err(format!("The HTTP settings: {e}"))),
    };
    let mut session = Session::new(client);
    if let Some(e) = edited {
        session.set_gate(Some(edit_once(e)));
    }
    let name = format!("replay: {}", step.trim_start_matches("replay: "));
    let outcome = match session.send(&name, request).await {
        Ok(resp) => match session.check_response(&resp, "the replayed request") {
            Ok((status, _)) => Ok(format!(
                "HTTP {status}: the server accepted the replayed request"
            )),
            Err(e) => Err(super::connect::describe(&e)),
        },
        Err(e) => Err(super::connect::describe(&e)),
    };
    // The core's client marked the tokens of the answer as it recorded it.
    (session.take_exchanges().pop(), outcome)
}

/// What to replay: the recorded request and, when edited, the edited one.
pub struct ReplayAsk {
    /// The step of the exchange replayed.
    pub step: String,
    /// The request as recorded.
    pub request: HttpRequest,
    /// The edited request, if the user edited it.
    pub edited: Option<HttpRequest>,
}

/// Replay controls under recorded exchanges (the flow runner's and History's), with the editor
/// of the one being edited and the last replay's answer.
#[derive(Default)]
pub struct Replays {
    editing: Option<(usize, RequestEditor)>,
    /// A replay is on its way.
    pub busy: bool,
    /// The last replay's answer.
    pub note: Option<Result<String, String>>,
}

impl Replays {
    /// Under exchange `key`: "Replay" and "Edit and replay", or the editor with "Send replay";
    /// returns what to send.
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        key: usize,
        ex: &Exchange,
        reveal: bool,
    ) -> Option<ReplayAsk> {
        let request = match ex.replay_request() {
            Ok(r) => r,
            Err(e) => {
                ui.label(egui::RichText::new(format!("Cannot replay: the URL {e}")).weak());
                return None;
            }
        };
        let mut ask = None;
        let editing_this = self.editing.as_ref().is_some_and(|(k, _)| *k == key);
        if editing_this {
            let id = format!("replay{key}");
            if let Some((_, editor)) = self.editing.as_mut() {
                ui.label(egui::RichText::new("Edit the request, then send it again").strong());
                editor.ui(ui, reveal, &id);
            }
            ui.horizontal_wrapped(|ui| {
                if ui
                    .add_enabled(!self.busy, egui::Button::new("Send replay"))
                    .clicked()
                    && let Some((_, editor)) = self.editing.as_mut()
                {
                    match editor.build_request() {
                        Ok(edited) => {
                            let changed = !same_request(&edited, &request);
                            ask = Some(ReplayAsk {
                                step: ex.step.clone(),
                                request: request.clone(),
                                edited: changed.then_some(edited),
                            });
                        }
                        Err(e) => editor.error = Some(e),
                    }
                }
                if ui.button("Discard edits").clicked() {
                    self.editing = None;
                }
            });
            if let Some(e) = self.editing.as_ref().and_then(|(_, ed)| ed.error.as_ref()) {
                ui.colored_label(ui.visuals().error_fg_color, e);
            }
        } else {
            ui.horizontal_wrapped(|ui| {
                if ui
                    .add_enabled(!self.busy, egui::Button::new("Replay"))
                    .on_hover_text("Send this request again as it is (the answer is recorded)")
                    .clicked()
                {
                    ask = Some(ReplayAsk {
                        step: ex.step.clone(),
                        request: request.clone(),
                        edited: None,
                    });
                }
                if ui
                    .add_enabled(!self.busy, egui::Button::new("Edit and replay"))
                    .on_hover_text("Change the request, then send it again")
                    .clicked()
                {
                    self.editing = Some((key, RequestEditor::from_request(&request)));
                }
            });
        }
        if ask.is_some() {
            self.busy = true;
            self.editing = None;
            self.note = None;
        }
        ask
    }

    /// A replay came back.
    pub fn done(&mut self, outcome: Result<String, String>) {
        self.busy = false;
        self.note = Some(outcome);
    }

    /// The last replay's answer, if any.
    pub fn note_ui(&self, ui: &mut egui::Ui) {
        if self.busy {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label("Replaying...");
            });
        }
        match &self.note {
            Some(Ok(t)) => {
                ui.label(format!("Replay: {t}"));
            }
            Some(Err(e)) => {
                ui.colored_label(
                    ui.visuals().error_fg_color,
                    format!("Replay: {}", grantscope_core::text::inert(e)),
                );
            }
            None => {}
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use grantscope_core::secret::SecretKind;

    fn token_request() -> HttpRequest {
        HttpRequest::post_form(
            Url::parse("https://as.example/token?x=1").unwrap(),
            &[
                ("grant_type", "authorization_code"),
                ("code", "the-code"),
                ("code_verifier", "the-verifier"),
            ],
        )
        .secret(SecretKind::AuthorizationCode, "the-code")
        .secret(SecretKind::PkceVerifier, "the-verifier")
    }

    #[test]
    fn the_editor_changes_removes_and_adds_rows_and_keeps_the_secrets_marked() {
        let req = token_request();
        let mut e = RequestEditor::from_request(&req);
        // Unchanged, it builds the same request.
        let same = e.build_request().unwrap();
        assert_eq!(same.body, req.body);
        assert_eq!(same.url, req.url);
        assert_eq!(same.headers, req.headers);
        if let Body::Form(rows) = &mut e.body {
            rows[2].value = "w".repeat(43);
            rows.remove(1);
            rows.push(Row {
                name: "extra".into(),
                value: "a b".into(),
            });
        }
        e.query.clear();
        if let Some(h) = e.headers.as_mut() {
            h.push(Row {
                name: "X-Test".into(),
                value: "1".into(),
            });
        }
        let edited = e.build_request().unwrap();
        assert_eq!(
            edited.body.as_deref(),
            Some(
                format!(
                    "grant_type=authorization_code&code_verifier={}&extra=a+b",
                    "w".repeat(43)
                )
                .as_str()
            )
        );
        assert_eq!(edited.url.as_str(), "https://as.example/token");
        assert!(
            edited
                .headers
                .iter()
                .any(|(k, v)| k == "X-Test" && v == "1")
        );
        assert_eq!(edited.secrets, req.secrets);
        // A bad header name is refused with the reason, not sent.
        if let Some(h) = e.headers.as_mut() {
            h.push(Row {
                name: "Bad Name".into(),
                value: "x".into(),
            });
        }
        assert!(e.build_request().unwrap_err().contains("Bad Name"));
    }

    #[test]
    fn the_authorize_url_editor_edits_the_query() {
        let url = Url::parse("https://as.example/authorize?client_id=c&state=s1").unwrap();
        let mut e = RequestEditor::from_url(&url);
        e.query[1].value = "other".into();
        e.query.push(Row {
            name: "prompt".into(),
            value: "login".into(),
        });
        assert_eq!(
            e.build_url().unwrap().as_str(),
            "https://as.example/authorize?client_id=c&state=other&prompt=login"
        );
        e.base = "not a url".into();
        assert!(e.build_url().is_err());
    }

    #[test]
    fn the_messages_debug_shows_no_secret() {
        let (reply, _rx) = oneshot::channel();
        let msg = StepMsg::Pending {
            run: 1,
            pending: Box::new(Pending::Request {
                step: "token request".into(),
                request: token_request(),
            }),
            reply,
        };
        let shown = format!("{msg:?}");
        assert!(
            shown.contains("token request") && !shown.contains("the-verifier"),
            "{shown}"
        );
    }

    #[test]
    fn a_secret_value_is_recognised_for_masking() {
        let e = RequestEditor::from_request(&token_request());
        assert!(e.is_secret(None, "the-verifier"));
        assert!(!e.is_secret(None, "authorization_code"));
        assert!(e.is_secret(Some("Authorization"), "Basic abc"));
    }
}
