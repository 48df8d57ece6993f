//! Step mode in the flow runner: the run stops before each request (the core's
//! [`Gate`](grantscope_core::oauth::step::Gate), fed through [`channel_gate`](grantscope_core::oauth::step::channel_gate)
//! on the worker) and this panel shows the pending request in full (method, URL, query
//! parameters, headers, form fields, the decoded client assertion or DPoP proof) with the step's
//! explanation from [`grantscope_core::steps::explain`], and the actions Send, Edit, Skip to the end and
//! Cancel. Edit opens the table editor ([`RequestEditor`], a shared part: the replays use it
//! too) where every query parameter, header and form field can be changed, removed or added; the
//! edited request goes out as `Decision::Edited` (or `EditedUrl` for the browser's visit), and
//! the core keeps the original beside it. Also the presenter view (a larger type scale,
//! [`PRESENTER_KEY`] toggles it, [`SEND_KEY`] sends the next step). The explanation is in
//! [`explain`], the request in full in [`request_view`]; the replays are
//! [`crate::replay`]'s.
//!
//! Secrets stay masked here as in every exchange view: the editor shows a field that holds a
//! secret as a password field unless "Reveal secrets" is ticked.

mod explain;
mod request_view;

use tokio::sync::oneshot;

pub use explain::explanation_ui;
pub use request_view::{decoded_views, request_ui};

use crate::request_editor::{RequestEditor, same_request};
use crate::sequence::{Arrow, pending_arrows};
use explain::{big, body_size, key_name};
use grantscope_core::http::{Exchange, RecordedRequest};
use grantscope_core::oauth::GrantKind;
use grantscope_core::oauth::step::{Decision, Pending};

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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use grantscope_core::http::HttpRequest;

    #[test]
    fn the_messages_debug_shows_no_secret() {
        let (reply, _rx) = oneshot::channel();
        let msg = StepMsg::Pending {
            run: 1,
            pending: Box::new(Pending::Request {
                step: "token request".into(),
                request: HttpRequest::post_form(
                    url::Url::parse("https://as.example/token").unwrap(),
                    &[("code_verifier", "the-verifier")],
                ),
            }),
            reply,
        };
        let shown = format!("{msg:?}");
        assert!(
            shown.contains("token request") && !shown.contains("the-verifier"),
            "{shown}"
        );
    }
}
