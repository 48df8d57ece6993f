//! The Classroom's "phone": the CIBA requests the running sandbox holds for their users, each
//! with its client, user, binding message and scope, and Approve / Deny, so a teacher running
//! CIBA in the flow runner approves it on the projector (what the sandbox's `/ciba` page does
//! in a browser).
//!
//! Reading the requests is a short lock of the sandbox's in-memory store (no I/O), done on a
//! redraw at most once a second and at once when woken (a flow event: a CIBA request taken,
//! a run ended; a decision made here); while a CIBA run of the flow runner waits and the
//! Classroom is shown, one redraw a second keeps the list current. Nothing repaints
//! otherwise: each request says when it expires as a time of day, not as a ticking clock.

use std::time::{Duration, Instant};

use grantscope_sandbox::{PendingCiba, SandboxHandle};

/// How often the list is read again while it is shown.
const EVERY: Duration = Duration::from_secs(1);

/// The phone's state between frames.
#[derive(Debug, Default)]
pub(super) struct Phone {
    /// The requests as last read.
    pending: Vec<PendingCiba>,
    /// When they were read.
    read_at: Option<Instant>,
    /// The same moment in unix seconds (each request's expiry is said as a time of day).
    read_unix: i64,
    /// Read them again at the next draw.
    stale: bool,
    /// A CIBA run of the flow runner waits for its user.
    waiting: bool,
    /// What the last decision came to (error or not, the sentence).
    note: Option<(bool, String)>,
}

impl Phone {
    /// Read the requests again at the next draw (a flow event: a request taken, a run ended).
    pub(super) fn wake(&mut self) {
        self.stale = true;
    }

    /// Whether a CIBA run of the flow runner waits for its user now.
    pub(super) fn set_waiting(&mut self, waiting: bool) {
        self.waiting = waiting;
    }

    /// The sandbox (re)started or stopped: what was read belongs to the old one.
    pub(super) fn forget(&mut self) {
        self.pending.clear();
        self.read_at = None;
        self.stale = true;
        self.note = None;
    }

    /// The requests as last read (tests and the card).
    pub(super) fn pending(&self) -> &[PendingCiba] {
        &self.pending
    }

    fn refresh(&mut self, ctx: &egui::Context, handle: &SandboxHandle) {
        let due = self.read_at.is_none_or(|t| t.elapsed() >= EVERY);
        if self.stale || due {
            self.pending = handle.ciba_pending();
            self.read_at = Some(Instant::now());
            self.read_unix = grantscope_core::timefmt::now_unix();
            self.stale = false;
        }
        if self.waiting {
            // The list, once a second, only while it is on the screen and a run waits.
            ctx.request_repaint_after(EVERY);
        }
    }

    /// The card: a phone-like frame with the requests and their Approve / Deny.
    pub(super) fn ui(&mut self, ui: &mut egui::Ui, handle: &SandboxHandle) {
        self.refresh(ui.ctx(), handle);
        let visuals = ui.visuals().clone();
        if self.pending.is_empty() && !self.waiting {
            // Nothing to decide: one line, so the settings and switches keep their place on
            // a projector.
            let line = match &self.note {
                Some((_, note)) => format!("The user's phone (CIBA): {note}"),
                None => "The user's phone (CIBA): no request is waiting. Run CIBA in the flow \
                         runner and it shows here, with Approve and Deny."
                    .to_owned(),
            };
            ui.label(egui::RichText::new(line).weak());
            return;
        }
        egui::Frame::new()
            .fill(visuals.extreme_bg_color)
            .stroke(egui::Stroke::new(
                2.0,
                visuals.widgets.noninteractive.fg_stroke.color,
            ))
            .corner_radius(14)
            .inner_margin(12)
            .show(ui, |ui| {
                ui.set_max_width(ui.available_width().min(460.0));
                ui.label(egui::RichText::new("The user's phone (CIBA)").strong());
                ui.label(
                    egui::RichText::new(
                        "Logins a client started for a user of this sandbox. Compare the \
                         binding message with the client's screen, then approve or deny as \
                         that user.",
                    )
                    .weak(),
                );
                if self.pending.is_empty() {
                    ui.label(
                        "No request is waiting. Run CIBA in the flow runner (Login hint alice \
                         or bob): its request shows here.",
                    );
                }
                let mut decision = None;
                for p in &self.pending {
                    ui.separator();
                    request_ui(ui, p, self.read_unix, &mut decision);
                }
                if let Some(Decision {
                    ticket,
                    approve,
                    user,
                    ping,
                }) = decision
                {
                    let next = if ping {
                        "the client is pinged, and its token request gets"
                    } else {
                        "the client's next poll gets"
                    };
                    self.note = Some(match handle.ciba_decide(&ticket, approve) {
                        Ok(()) if approve => {
                            (false, format!("Approved as {user}: {next} its tokens."))
                        }
                        Ok(()) => (false, format!("Denied: {next} access_denied.")),
                        Err(why) => (true, format!("Not decided: {why}.")),
                    });
                    self.stale = true;
                    ui.ctx().request_repaint();
                }
                if let Some((error, text)) = &self.note {
                    let color = if *error {
                        visuals.error_fg_color
                    } else {
                        visuals.weak_text_color()
                    };
                    ui.colored_label(color, text.as_str());
                }
            });
    }
}

/// The user's answer to one request.
struct Decision {
    ticket: String,
    approve: bool,
    user: String,
    /// The request is in ping mode (the sandbox pings the client).
    ping: bool,
}

/// One request: who asks whom, the binding message large, the scope and when it expires
/// (`read_unix`: when it was read), and the user's two answers (a click leaves its
/// [`Decision`]).
fn request_ui(ui: &mut egui::Ui, p: &PendingCiba, read_unix: i64, decision: &mut Option<Decision>) {
    use grantscope_core::text::inert;
    ui.label(
        egui::RichText::new(format!(
            "{} asks {} to sign in",
            inert(&p.client_id),
            inert(&p.user)
        ))
        .strong(),
    );
    crate::widgets::binding_message_ui(
        ui,
        p.binding_message.as_deref(),
        "No binding message: nothing ties this request to the client's screen.",
    );
    let expires = read_unix.saturating_add(i64::try_from(p.expires_in).unwrap_or(i64::MAX));
    ui.label(
        egui::RichText::new(format!(
            "scope {} · {} mode · expires at {}",
            inert(&p.scope),
            p.mode,
            grantscope_core::timefmt::time_of_day_utc(expires)
        ))
        .weak(),
    );
    let decide = |approve| Decision {
        ticket: p.ticket.clone(),
        approve,
        user: inert(&p.user).into_owned(),
        ping: p.mode == "ping",
    };
    ui.horizontal_wrapped(|ui| {
        if ui
            .button("Approve")
            .on_hover_text(format!("Sign in as {} and approve", inert(&p.user)))
            .clicked()
        {
            *decision = Some(decide(true));
        }
        if ui
            .button("Deny")
            .on_hover_text("The client gets access_denied")
            .clicked()
        {
            *decision = Some(decide(false));
        }
    });
}
