//! Where the flow runner's parts go: the form beside the run when there is room, above it when
//! not; the presenter view; the pending step's card; Run and Cancel with the step-mode toggles;
//! and what the user must do now (device code, authorization URL, redirect paste), pinned above
//! the scrolling results.

use super::{FlowCommand, FlowRun, FlowScreen};
use crate::exchange_view::shorten;
use crate::layout::{self, Width};
use crate::step;
use grantscope_core::profile::Profile;

impl FlowScreen {
    /// Draws the screen: the form beside the run when there is room, above it when not.
    pub fn ui(&mut self, ui: &mut egui::Ui, profiles: &[Profile]) -> Option<FlowCommand> {
        let mut command = None;
        let width = layout::width_of(ui);
        self.step.shortcuts(ui.ctx());
        // Step mode's actions are pinned above the scrolling part: they show wherever it is.
        if self.run.as_ref().is_some_and(|r| self.step.waits(r.id)) {
            egui::Panel::top("step_actions").show(ui, |ui| self.step.actions_ui(ui));
        }
        // A presenter's clicker: PageDown with no run going starts one (it did nothing before
        // Run, and after F5 the keyboard focus was on nothing).
        let idle = self.run.as_ref().is_none_or(|r| !r.running());
        if self.step.presenter
            && idle
            && !ui.ctx().text_edit_focused()
            && ui.input_mut(|i| i.consume_key(egui::Modifiers::NONE, crate::step::SEND_KEY))
        {
            return Some(FlowCommand::Run);
        }
        if self.step.presenter {
            return self.presenter_ui(ui);
        }
        if width == Width::Narrow {
            command = self.pinned_ui(ui);
            self.finished_line_ui(ui);
            egui::CentralPanel::default().show(ui, |ui| {
                egui::ScrollArea::vertical()
                    .id_salt("flow_all")
                    .show(ui, |ui| {
                        // The pending step first: it is what the run waits on.
                        self.step_card_ui(ui);
                        if let Some(c) = self.form_ui(ui, profiles, "below") {
                            command = Some(c);
                        }
                        ui.separator();
                        if let Some(c) = self.run_ui(ui) {
                            command = Some(c);
                        }
                    });
            });
            return command;
        }
        let total = ui.available_width();
        egui::Panel::left("flow_form")
            .resizable(true)
            .default_size((total * 0.36).clamp(280.0, 380.0))
            .min_size(240.0)
            .max_size(total * 0.5)
            .show(ui, |ui| {
                egui::ScrollArea::vertical()
                    .id_salt("flow_form_scroll")
                    .show(ui, |ui| {
                        command = self.form_ui(ui, profiles, "beside the form");
                    });
            });
        if let Some(c) = self.pinned_ui(ui) {
            command = Some(c);
        }
        egui::CentralPanel::default().show(ui, |ui| {
            egui::ScrollArea::vertical()
                .id_salt("flow_run_scroll")
                .show(ui, |ui| {
                    self.step_card_ui(ui);
                    if let Some(c) = self.run_ui(ui) {
                        command = Some(c);
                    }
                });
        });
        command
    }

    /// The presenter view: no form (set it up in the normal view), the run controls, and in
    /// larger type the pending step's explanation, the diagram (following the step, its
    /// current arrows in view) and the request, all three on the screen at once, each
    /// scrolling in its own share of the height (a 1024×768 projector at 150 % has 512 points).
    pub(super) fn presenter_ui(&mut self, ui: &mut egui::Ui) -> Option<FlowCommand> {
        let mut command = self.pinned_ui(ui);
        let paused = self.run.as_ref().is_some_and(|r| self.step.waits(r.id));
        egui::CentralPanel::default().show(ui, |ui| {
            if !paused {
                egui::ScrollArea::vertical()
                    .id_salt("flow_presenter")
                    .show(ui, |ui| {
                        if let Some(c) = self.presenter_head_ui(ui) {
                            command = Some(c);
                        }
                        ui.separator();
                        if let Some(c) = self.run_ui(ui) {
                            command = Some(c);
                        }
                    });
                return;
            }
            if let Some(c) = self.presenter_head_ui(ui) {
                command = Some(c);
            }
            let total = ui.available_height();
            // Scroll bars always shown: at 150 % the explanation and the request go on below
            // their boxes, and a bar that appears only on hover gave no sign of it.
            egui::ScrollArea::vertical()
                .id_salt("presenter_explanation")
                .max_height(total * 0.36)
                .auto_shrink([false, true])
                .scroll_bar_visibility(egui::scroll_area::ScrollBarVisibility::AlwaysVisible)
                .show(ui, |ui| self.step_card_ui(ui));
            let pending = self.step.pending_arrows();
            let scale = self.step.scale();
            if let Some(run) = self.run.as_mut()
                && let Some(clicked) = crate::sequence::sequence_following_ui(
                    ui,
                    &run.events,
                    &pending,
                    scale,
                    total * 0.34,
                )
                && !run.open.remove(&clicked)
            {
                run.open.insert(clicked);
            }
            ui.add_space(4.0);
            let reveal = self.reveal;
            egui::ScrollArea::vertical()
                .id_salt("presenter_request")
                .auto_shrink([false, false])
                .scroll_bar_visibility(egui::scroll_area::ScrollBarVisibility::AlwaysVisible)
                .show(ui, |ui| self.step.request_card_ui(ui, reveal));
        });
        command
    }

    /// The presenter view's first lines: what runs against what, Run and the toggles, and
    /// what is wrong with the form.
    fn presenter_head_ui(&mut self, ui: &mut egui::Ui) -> Option<FlowCommand> {
        let mut command = None;
        ui.horizontal_wrapped(|ui| {
            ui.label(
                egui::RichText::new(format!("{}, {}", self.grant.title(), self.profile.name))
                    .strong(),
            );
            command = self.run_row_ui(ui, false);
        });
        if self.run.is_none() {
            ui.label(
                egui::RichText::new(format!(
                    "The form is hidden in the presenter view: {} or \"Presenter view\" brings \
                     it back.",
                    step::PRESENTER_KEY.name()
                ))
                .weak(),
            );
        }
        if let Some(e) = &self.form_error {
            ui.colored_label(ui.visuals().error_fg_color, e);
        }
        command
    }

    /// The pending step's card (explanation and request, or its editor), when the run waits.
    pub(super) fn step_card_ui(&mut self, ui: &mut egui::Ui) {
        if let Some(run) = self.run.as_ref().filter(|r| self.step.waits(r.id)) {
            let grant = run.grant;
            let with_request = !self.step.presenter;
            self.step.card_ui(ui, grant, self.reveal, with_request);
            ui.add_space(6.0);
        }
    }

    /// Run, Cancel, and beside them the step-mode and presenter toggles.
    pub(super) fn run_row_ui(&mut self, ui: &mut egui::Ui, enter: bool) -> Option<FlowCommand> {
        let mut command = None;
        let running = self.run.as_ref().is_some_and(FlowRun::running);
        ui.horizontal_wrapped(|ui| {
            let run = ui
                .add_enabled(!running, egui::Button::new("Run"))
                .on_hover_text("Enter in a field runs it too");
            if run.clicked() || (enter && !running) {
                command = Some(FlowCommand::Run);
            }
            let cancel = ui.add_enabled(running, egui::Button::new("Cancel"));
            if cancel.clicked() {
                self.cancel();
            }
            // The keyboard keeps its place: Cancel holds it while the run goes (Run is off
            // then), Run again once the run has ended.
            if std::mem::take(&mut self.focus_run) || (!running && cancel.has_focus()) {
                run.request_focus();
                run.scroll_to_me(None);
            } else if running && run.has_focus() {
                cancel.request_focus();
            }
            if running {
                ui.spinner();
            }
            self.step.toggles_ui(ui, running);
        });
        command
    }

    /// One line pinned at the top once a run has ended, in the narrow layout where its outcome
    /// and diagram are below the form, out of view (at 1024x768 / 150 % an ended run looked as
    /// if nothing had happened).
    fn finished_line_ui(&mut self, ui: &mut egui::Ui) {
        let Some(run) = self.run.as_ref() else {
            return;
        };
        let (text, status) = match &run.result {
            Some(Ok(_)) => (
                "The run ended: tokens received (details below the form).",
                "pass",
            ),
            Some(Err(_)) => ("The run ended with an error (below the form).", "fail"),
            None => return,
        };
        egui::Panel::top("flow_finished").show(ui, |ui| {
            ui.colored_label(crate::widgets::status_color(ui.visuals(), status), text);
        });
    }

    /// What the user must do now, pinned above the scrolling results: the device grant's code
    /// and URL (large, with copy buttons), the authorization URL, the redirect paste field,
    /// CIBA's wait for the user's device (on the built-in sandbox, with the way to its phone).
    pub(super) fn pinned_ui(&mut self, ui: &mut egui::Ui) -> Option<FlowCommand> {
        let on_sandbox = self.run.as_ref().is_some_and(|r| self.on_sandbox(r));
        let run = self.run.as_mut().filter(|r| r.running())?;
        let device = run
            .device_code()
            .map(|(c, u, full)| (c.to_owned(), u.to_owned(), full.map(str::to_owned)));
        // Once the browser came back, the URL is history (the diagram shows it).
        let url = run
            .authorize_url()
            .filter(|_| !run.signed_in())
            .map(str::to_owned);
        let backchannel = run.backchannel().map(|(id, what)| {
            let (hint, message) = run.ciba_request().unzip();
            (
                id.to_owned(),
                what.to_owned(),
                hint.map(str::to_owned),
                message.flatten().map(str::to_owned),
            )
        });
        if device.is_none() && url.is_none() && run.paste_tx.is_none() && backchannel.is_none() {
            return None;
        }
        let browser_failed = run.browser_failed();
        let waited = run.waited();
        let mut cancel = false;
        let mut command = None;
        egui::Panel::top("flow_pinned").show(ui, |ui| {
            ui.add_space(4.0);
            if let Some((code, uri, full)) = &device {
                ui.label(egui::RichText::new(format!("Go to {uri} and enter {code}")).strong());
                ui.horizontal_wrapped(|ui| {
                    ui.label(
                        egui::RichText::new(code)
                            .monospace()
                            .size(30.0)
                            .strong()
                            .color(ui.visuals().strong_text_color()),
                    );
                    if ui.button("Copy code").clicked() {
                        ui.ctx().copy_text(code.clone());
                    }
                });
                ui.horizontal_wrapped(|ui| {
                    ui.hyperlink_to(egui::RichText::new(uri).size(18.0), uri);
                    if ui.button("Copy URL").clicked() {
                        ui.ctx().copy_text(uri.clone());
                    }
                });
                if let Some(full) = full {
                    ui.horizontal_wrapped(|ui| {
                        ui.label("or open");
                        ui.hyperlink_to(shorten(full, 70), full);
                    });
                }
                ui.label(
                    egui::RichText::new(
                        "Waiting for the approval: until then the server answers \
                         authorization_pending, as expected.",
                    )
                    .weak(),
                );
            }
            if let Some((id, what, hint, message)) = &backchannel {
                let who = hint
                    .as_deref()
                    .map_or_else(|| "the user".to_owned(), |h| format!("{h:?}"));
                ui.label(
                    egui::RichText::new(format!(
                        "The provider now asks {who} on their own device (their phone): \
                         nothing to open here."
                    ))
                    .strong(),
                );
                ui.horizontal_wrapped(|ui| {
                    if message.is_some() {
                        ui.label("Binding message, the same on their device:");
                    }
                    crate::widgets::binding_message_ui(
                        ui,
                        message.as_deref(),
                        "No binding message: their device shows nothing that ties the request \
                         to this screen (CIBA §7.1).",
                    );
                });
                ui.label(format!("Waiting for {what}."));
                ui.label(egui::RichText::new(format!("auth_req_id: {id}")).weak());
                if on_sandbox {
                    ui.horizontal_wrapped(|ui| {
                        ui.label("The built-in sandbox's phone is the Classroom screen:");
                        if ui
                            .button("Open the phone")
                            .on_hover_text(
                                "The Classroom lists the requests waiting for their user, with \
                                 Approve and Deny",
                            )
                            .clicked()
                        {
                            command = Some(FlowCommand::OpenPhone);
                        }
                    });
                }
            }
            if let Some(url) = &url {
                if browser_failed {
                    crate::browser_wait::browser_failed_ui(ui);
                }
                crate::browser_wait::url_row_ui(
                    ui,
                    "Open this URL in a browser to sign in:",
                    url,
                    url,
                    true,
                );
            }
            if run.paste_tx.is_some() {
                ui.horizontal_wrapped(|ui| {
                    let l = ui.label("Redirect URL");
                    let r = ui
                        .add(
                            egui::TextEdit::singleline(&mut run.pasted)
                                .desired_width(ui.available_width().min(420.0))
                                .hint_text("Paste the redirect URL from the browser's address bar"),
                        )
                        .labelled_by(l.id);
                    let enter = r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
                    if (ui.button("Continue").clicked() || enter)
                        && let Some(tx) = run.paste_tx.take()
                    {
                        let _ = tx.send(std::mem::take(&mut run.pasted));
                    }
                });
            }
            if let Some((waited, limit)) = waited {
                let what = if device.is_some() || backchannel.is_some() {
                    "Waiting for the approval"
                } else if run.paste_tx.is_some() {
                    "Waiting for the pasted redirect URL"
                } else {
                    "Waiting for the browser to come back"
                };
                cancel = crate::browser_wait::wait_line_ui(
                    ui,
                    what,
                    waited,
                    limit,
                    (
                        "Cancel the run",
                        "Stop the run and close its listener (as Cancel does)",
                    ),
                );
            }
            ui.add_space(4.0);
        });
        if cancel {
            self.cancel();
        }
        command
    }
}
