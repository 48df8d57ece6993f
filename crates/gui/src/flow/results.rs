//! A run's results: its tokens and what they say (rotation, scope granted against requested,
//! authorization details), Inspect, the token response, the "Call an API" panel, the live
//! sequence diagram, and the exchanges with their replays.

use std::collections::BTreeSet;

use super::{FlowCommand, FlowMsg, FlowScreen, call};
use crate::exchange_view::{ExchangeView, exchange_ui, mask_token_response};
use crate::sequence::sequence_ui;
use crate::step::StepMsg;
use crate::widgets::{SECRET_NOTE, copy_secret_ui};

impl FlowScreen {
    pub(super) fn run_ui(&mut self, ui: &mut egui::Ui) -> Option<FlowCommand> {
        let mut command = None;
        let mut step_up = None;
        let reveal = self.reveal;
        let pending = match &self.run {
            Some(r) if self.step.waits(r.id) => self.step.pending_arrows(),
            _ => Vec::new(),
        };
        let scale = self.step.scale();
        let Some(run) = self.run.as_mut() else {
            ui.label(format!(
                "{}: fill in the connection and press Run. Every request and response will \
                 appear here as a sequence diagram.",
                self.grant.title()
            ));
            return None;
        };
        ui.heading(run.grant.title());
        if !run.checks_off.is_empty() {
            let names: Vec<&str> = run.checks_off.iter().map(|c| c.as_str()).collect();
            ui.colored_label(
                ui.visuals().error_fg_color,
                format!(
                    "Client checks turned off for this run: {}",
                    names.join(", ")
                ),
            );
            if let Some(Ok(s)) = &run.result {
                for line in &s.accepted_unchecked {
                    ui.colored_label(
                        ui.visuals().warn_fg_color,
                        format!("Accepted: {}", grantscope_core::text::inert(line)),
                    );
                }
            }
        }
        // An error is shown once, under Run; the diagram shows where it happened.
        if let Some(Ok(s)) = &run.result {
            ui.colored_label(
                crate::widgets::status_color(ui.visuals(), "pass"),
                "Tokens received",
            );
            // An answer of then, not a verdict of now: when it came, and the access token's
            // end as it reads now (the inspector says whether the server still takes it).
            if let Some(at) = run.finished_at {
                let now = grantscope_core::timefmt::now_unix();
                let ends = s
                    .tokens
                    .expires_in
                    .filter(|e| e.is_finite() && *e >= 0.0)
                    .map(|e| at.saturating_add(e.min(1e12) as i64));
                let mut line = format!(
                    "received at {}",
                    grantscope_core::timefmt::time_of_day_utc(at)
                );
                if let Some(end) = ends {
                    // Times of day, true whenever read; one repaint when "expires" becomes
                    // "expired".
                    if end > now {
                        line.push_str(&format!(
                            "; the access token expires at {}",
                            grantscope_core::timefmt::time_of_day_utc(end)
                        ));
                        ui.ctx()
                            .request_repaint_after(std::time::Duration::from_secs(
                                u64::try_from(end - now).unwrap_or(1).max(1),
                            ));
                    } else {
                        line.push_str(&format!(
                            "; the access token expired at {}",
                            grantscope_core::timefmt::time_of_day_utc(end)
                        ));
                    }
                }
                line.push_str(" (Inspect asks the server whether it still takes it)");
                ui.label(egui::RichText::new(line).weak());
                if run.profile.name == grantscope_sandbox::local_profile::SANDBOX_PROFILE
                    && let Some(restart) = self
                        .sandbox_started_at
                        .filter(|r| run.finished_ms.is_some_and(|f| *r > f))
                {
                    ui.colored_label(
                        ui.visuals().warn_fg_color,
                        format!(
                            "The sandbox restarted at {} after these tokens came: it has \
                             forgotten them (its state is in memory), so its endpoints no longer \
                             take them. (With an API teaching switch on, its API verifies JWTs \
                             itself, as a stateless API does, and still takes one whose signature \
                             verifies.)",
                            grantscope_core::timefmt::time_of_day_utc(restart.div_euclid(1000))
                        ),
                    );
                }
            }
            if let Some(rot) = s.refresh_rotated {
                ui.label(if rot {
                    "The server rotated the refresh token."
                } else {
                    "The server did NOT rotate the refresh token."
                });
            }
            let granted = s.tokens.scope.as_deref().map(str::trim);
            let requested = run.requested_scope.as_deref().map(str::trim);
            if let (Some(g), Some(r)) = (granted, requested)
                && scope_set(g) != scope_set(r)
            {
                ui.colored_label(
                    ui.visuals().warn_fg_color,
                    format!("Scope requested: {r}; granted: {g}"),
                );
            }
            if let Some(granted) = s.raw.get("authorization_details") {
                // RFC 9396 §7: what the server granted may differ from what was asked.
                let pretty =
                    |v: &serde_json::Value| serde_json::to_string_pretty(v).unwrap_or_default();
                let requested = run
                    .profile
                    .authorization_details
                    .as_deref()
                    .and_then(|t| serde_json::from_str::<serde_json::Value>(t).ok())
                    .map_or_else(|| "(none)".to_string(), |v| pretty(&v));
                ui.label(egui::RichText::new("Authorization details (RFC 9396)").strong());
                ui.columns(2, |cols| {
                    cols[0].label("Requested");
                    crate::exchange_view::capped_text_ui(
                        &mut cols[0],
                        ("rar_requested", run.id),
                        &requested,
                        160.0,
                    );
                    cols[1].label("Granted");
                    crate::exchange_view::capped_text_ui(
                        &mut cols[1],
                        ("rar_granted", run.id),
                        &pretty(granted),
                        160.0,
                    );
                });
            }
            ui.horizontal_wrapped(|ui| {
                if ui.button("Inspect access token").clicked() {
                    command = Some(FlowCommand::Inspect(Box::new(
                        run.inspect_request(s, false),
                    )));
                }
                if s.tokens.id_token.is_some() && ui.button("Inspect ID token").clicked() {
                    command = Some(FlowCommand::Inspect(Box::new(run.inspect_request(s, true))));
                }
            });
            // Each token's raw value, to copy (the response below masks them).
            ui.horizontal_wrapped(|ui| {
                copy_secret_ui(ui, "access token", s.tokens.access_token.expose());
                if let Some(t) = &s.tokens.id_token {
                    copy_secret_ui(ui, "ID token", t.expose());
                }
                if let Some(t) = &s.tokens.refresh_token {
                    copy_secret_ui(ui, "refresh token", t.expose());
                }
                ui.label(egui::RichText::new(SECRET_NOTE).weak());
            });

            let shown = if reveal {
                serde_json::to_string_pretty(&s.raw).unwrap_or_default()
            } else {
                mask_token_response(&s.raw)
            };
            crate::exchange_view::capped_text_ui(ui, ("token_response", run.id), &shown, 200.0);
            if self.forged.is_some() {
                ui.horizontal_wrapped(|ui| {
                    ui.label(
                        egui::RichText::new(format!(
                            "Call an API sends the token made in the inspector's workbench \
                             ({}), not this run's",
                            grantscope_core::text::inert(&self.forged_name)
                        ))
                        .strong(),
                    );
                    if ui.button("Use the run's token").clicked() {
                        self.forged = None;
                    }
                });
            }
            let cx = call::CallContext {
                run: run.id,
                profile: &run.profile,
                token: self
                    .forged
                    .as_ref()
                    .unwrap_or(&s.tokens.access_token)
                    .expose(),
                dpop: run.dpop.clone(),
                workbench: self.forged.is_some(),
            };
            match self.call.ui(ui, &cx) {
                Some(call::CallCommand::Send) => command = Some(FlowCommand::Call),
                Some(call::CallCommand::StepUp(step)) => step_up = Some(step),
                Some(call::CallCommand::Probe) => {
                    command = Some(FlowCommand::ProbeApi(Box::new(
                        super::call_glue::probe_request(&self.call, run, s),
                    )));
                }
                None => {}
            }
        }
        // In the presenter view an ended run's diagram is a box scrolled to its last arrow (the
        // token response the walk led to); drawn whole, it showed only the first arrows.
        let clicked = if self.step.presenter && !run.running() {
            let height = (ui.ctx().content_rect().height() * 0.55).max(200.0);
            crate::sequence::sequence_following_ui(ui, &run.events, &pending, scale, height)
        } else {
            sequence_ui(ui, &run.events, &pending, scale)
        };
        if let Some(clicked) = clicked
            && !run.open.remove(&clicked)
        {
            run.open.insert(clicked);
        }
        ui.separator();
        ui.label(egui::RichText::new("Exchanges").strong());
        self.replays.note_ui(ui);
        let finished = !run.running();
        let mut ask = None;
        for (i, ex) in run.exchanges.iter().enumerate() {
            let view = ExchangeView::of(ex, reveal);
            let title = format!("{}. {}", i + 1, view.title());
            let open = run.open.contains(&i);
            let replays = &mut self.replays;
            let resp = egui::CollapsingHeader::new(title)
                .id_salt(("exchange", run.id, i))
                .open(Some(open))
                .show(ui, |ui| {
                    exchange_ui(ui, ("flow", run.id, i), &view);
                    // Replays once the run is over (its requests are the recorded ones).
                    if finished && let Some(a) = replays.ui(ui, i, ex, reveal) {
                        ask = Some(a);
                    }
                });
            if resp.header_response.clicked() {
                if open {
                    run.open.remove(&i);
                } else {
                    run.open.insert(i);
                }
            }
        }
        if let (Some(a), Some(jobs)) = (ask, &self.jobs) {
            let (id, http, keys) = (run.id, run.profile.http.clone(), jobs.keys().clone());
            jobs.spawn(async move {
                let (exchange, outcome) =
                    crate::replay::replay(http, &keys, a.step, a.request, a.edited).await;
                FlowMsg::Step(StepMsg::Replayed {
                    run: id,
                    exchange: exchange.map(Box::new),
                    outcome,
                })
            });
        }
        if let Some(step) = step_up {
            self.step_up(&step);
            command = Some(FlowCommand::Run);
        }
        command
    }
}

fn scope_set(s: &str) -> BTreeSet<&str> {
    s.split_whitespace().collect()
}
