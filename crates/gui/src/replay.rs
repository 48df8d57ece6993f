//! The replay of a recorded exchange, as it is or edited: the controls under each exchange
//! ([`Replays`]) of the flow runner and of History, and the send itself ([`replay`]), through a
//! session of its own with the profile's HTTP settings.

use std::sync::{Arc, Mutex};

use crate::request_editor::{RequestEditor, same_request};
use grantscope_core::http::{Exchange, HttpClient, HttpRequest, HttpSettings};
use grantscope_core::oauth::Session;
use grantscope_core::oauth::step::{Decision, Gate};

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
            Err(e) => Err(crate::connect::describe(&e)),
        },
        Err(e) => Err(crate::connect::describe(&e)),
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
