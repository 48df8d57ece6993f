//! "Log out…" for an ID token on screen (RP-Initiated Logout 1.0), as the CLI's `logout`:
//! the profile's `end_session_endpoint` (discovery, the profile, or typed here when neither
//! names one), its client id, and a post-logout redirect URI on the loopback address (a free
//! port unless one is given) make the end session URL. The browser is opened on it (unless
//! unticked) and the URL is shown with Copy (its `id_token_hint` masked unless revealed), then
//! the wait for the browser to come back with the `state` sent, with Cancel. The outcome:
//! "Logged out at the provider", or refused with why (no state, another state, no browser in
//! time). Also the way to the Logout listener window.

use std::time::{Duration, Instant};

use grantscope_core::oauth::logout::{PostLogoutListener, end_session_url, open_in_browser};
use grantscope_core::secret::MASK;

use super::*;

/// How long the browser has to come back (the CLI's default `--wait`).
const WAIT: Duration = Duration::from_secs(300);

/// The post-logout redirect URI offered: the loopback address, a free port.
const DEFAULT_REDIRECT: &str = "http://127.0.0.1/logged-out";

/// Messages of a logout run.
pub enum LogoutMsg {
    /// The URL is built and (if asked) the browser opened: now waiting.
    Waiting {
        run: u64,
        url: url::Url,
        /// The URL with the `id_token_hint` masked.
        masked: String,
        /// Where the browser comes back (none: nothing to wait for).
        back_to: Option<url::Url>,
        /// Whether the system browser opened (none: not asked to).
        browser: Option<bool>,
    },
    /// The outcome.
    Done {
        run: u64,
        result: Result<String, String>,
    },
}

impl std::fmt::Debug for LogoutMsg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The URL carries the ID token: only its masked form is shown.
        match self {
            LogoutMsg::Waiting { run, masked, .. } => write!(f, "Waiting({run}, {masked})"),
            LogoutMsg::Done { run, result } => write!(f, "Done({run}, {result:?})"),
        }
    }
}

enum Phase {
    Idle,
    /// Finding the end session endpoint and opening the listener.
    Preparing,
    Waiting(Box<Waiting>),
}

/// The URL sent and the wait for the browser.
struct Waiting {
    url: url::Url,
    masked: String,
    back_to: Option<url::Url>,
    browser: Option<bool>,
    since: Instant,
}

/// The logout part of the inspector.
pub struct LogoutPart {
    /// The end session endpoint typed (empty: the profile's, or discovery's).
    pub end_session: String,
    /// The post-logout redirect URI (empty: none, nothing comes back).
    pub redirect: String,
    /// Open the system browser (off: the URL is shown to open by hand).
    pub open_browser: bool,
    /// Show the `id_token_hint` in the shown URL.
    pub reveal: bool,
    phase: Phase,
    run: u64,
    abort: Option<tokio::task::AbortHandle>,
    /// The last outcome.
    outcome: Option<Result<String, String>>,
    /// The URL of the last run (tests act as the browser with it).
    last_url: Option<url::Url>,
    /// The wait last brought into view (its start): a new wait is scrolled to once (at
    /// 1280×800 the URL and Cancel came up under the window's edge).
    scrolled_to: Option<Instant>,
}

impl Default for LogoutPart {
    fn default() -> Self {
        Self {
            end_session: String::new(),
            redirect: DEFAULT_REDIRECT.to_owned(),
            open_browser: true,
            reveal: false,
            phase: Phase::Idle,
            run: 0,
            abort: None,
            outcome: None,
            last_url: None,
            scrolled_to: None,
        }
    }
}

/// What the part asks of the screen.
pub(super) enum LogoutAction {
    /// Open the Logout listener window.
    OpenListener,
}

impl LogoutPart {
    /// The end session URL of the run under way or last run (with the real hint).
    pub fn url(&self) -> Option<&url::Url> {
        self.last_url.as_ref()
    }

    /// Whether a logout waits now (for the endpoint, or for the browser to come back).
    pub fn waiting(&self) -> bool {
        match &self.phase {
            Phase::Idle => false,
            Phase::Preparing => true,
            Phase::Waiting(w) => w.back_to.is_some(),
        }
    }

    /// The last outcome: what the provider did, or why it was refused.
    pub fn outcome(&self) -> Option<&Result<String, String>> {
        self.outcome.as_ref()
    }

    /// Forgets the last run (another token is on screen).
    pub(super) fn reset(&mut self) {
        self.cancel();
        self.outcome = None;
        self.last_url = None;
    }

    fn cancel(&mut self) {
        if let Some(a) = self.abort.take() {
            a.abort();
        }
        self.phase = Phase::Idle;
    }

    pub(super) fn on_message(&mut self, msg: LogoutMsg) {
        match msg {
            LogoutMsg::Waiting {
                run,
                url,
                masked,
                back_to,
                browser,
            } if run == self.run => {
                self.last_url = Some(url.clone());
                self.phase = Phase::Waiting(Box::new(Waiting {
                    url,
                    masked,
                    back_to,
                    browser,
                    since: Instant::now(),
                }));
            }
            LogoutMsg::Done { run, result } if run == self.run => {
                self.abort = None;
                // Nothing came back to wait for: the URL stays to be opened by hand.
                let sent = matches!(&self.phase, Phase::Waiting(w) if w.back_to.is_none());
                if !(sent && result.is_ok()) {
                    self.phase = Phase::Idle;
                }
                self.outcome = Some(result);
            }
            _ => {}
        }
    }

    /// Starts a logout of `id_token` with `profile` (its end session endpoint and client id).
    fn start(&mut self, id_token: &str, profile: Option<&Profile>, jobs: &Jobs<InspectorMsg>) {
        self.cancel();
        self.outcome = None;
        self.last_url = None;
        let fail = |this: &mut Self, why: String| this.outcome = Some(Err(why));
        let Some(profile) = profile else {
            return fail(
                self,
                "Needs an active profile (Profile: in the top bar): its end session endpoint \
                 and client id"
                    .into(),
            );
        };
        let typed = match self.end_session.trim() {
            "" => None,
            t => match url::Url::parse(t) {
                Ok(u) => Some(u),
                Err(e) => return fail(self, format!("End session endpoint: {e}")),
            },
        };
        let back = match self.redirect.trim() {
            "" => None,
            t => match url::Url::parse(t) {
                Ok(u) => Some(u),
                Err(e) => return fail(self, format!("Post-logout redirect URI: {e}")),
            },
        };
        let mut p = profile.clone();
        if let Some(u) = &typed {
            p.end_session_endpoint = Some(u.to_string());
        }
        let prepared = match connect::prepare(&p, jobs.keys()) {
            Ok(prepared) => prepared,
            Err(e) => return fail(self, connect::describe(&e)),
        };
        self.run += 1;
        let run = self.run;
        self.phase = Phase::Preparing;
        let hint = id_token.to_owned();
        let open = self.open_browser;
        let sink = jobs.sink();
        self.abort = Some(jobs.spawn(async move {
            let result = rp_logout(prepared, hint, back, open, &sink, run).await;
            InspectorMsg::Logout(LogoutMsg::Done { run, result })
        }));
    }

    /// The logout area for the ID token `id_token`; `profile` is the profile its logout goes
    /// to.
    pub(super) fn ui(
        &mut self,
        ui: &mut egui::Ui,
        id_token: &str,
        profile: Option<&Profile>,
        jobs: &Jobs<InspectorMsg>,
    ) -> Option<LogoutAction> {
        let mut action = None;
        ui.label(egui::RichText::new("Logout").strong());
        match profile {
            Some(p) => {
                let endpoint = p
                    .end_session_endpoint
                    .as_deref()
                    .filter(|e| !e.trim().is_empty())
                    .map_or("from discovery".to_owned(), inert_owned);
                ui.label(
                    egui::RichText::new(format!(
                        "Ends this session at {}'s provider (RP-Initiated Logout 1.0): end \
                         session endpoint {endpoint}, client id {}.",
                        p.name,
                        inert_owned(&p.client_id)
                    ))
                    .weak(),
                );
            }
            None => {
                ui.label(
                    egui::RichText::new("Needs an active profile (Profile: in the top bar).")
                        .weak(),
                );
            }
        }
        egui::CollapsingHeader::new("Logout settings")
            .id_salt("logout_settings")
            .default_open(false)
            .show(ui, |ui| {
                let w = (ui.available_width() - 12.0).clamp(120.0, 360.0);
                for (label, value, hint) in [
                    (
                        "End session endpoint",
                        &mut self.end_session,
                        "from discovery or the profile",
                    ),
                    (
                        "Post-logout redirect URI",
                        &mut self.redirect,
                        "none: the provider shows its own page",
                    ),
                ] {
                    let l = ui.label(label);
                    ui.add(
                        egui::TextEdit::singleline(value)
                            .desired_width(w)
                            .hint_text(hint),
                    )
                    .labelled_by(l.id);
                }
                ui.label(
                    egui::RichText::new(
                        "The redirect URI is listened on at 127.0.0.1 (any port: a free one is \
                         taken); it must be registered for the client.",
                    )
                    .weak(),
                );
                ui.checkbox(&mut self.open_browser, "Open the system browser")
                    .on_hover_text("Off: open the URL shown yourself, in any browser");
            });
        ui.horizontal_wrapped(|ui| {
            let busy = self.waiting();
            if ui
                .add_enabled(!busy, egui::Button::new("Log out…"))
                .on_hover_text(
                    "Send the browser to the provider's end session endpoint with this ID \
                     token as id_token_hint, and wait for it to come back",
                )
                .clicked()
            {
                self.start(id_token, profile, jobs);
            }
            if ui
                .button("Logout listener…")
                .on_hover_text(
                    "Open the back-channel logout listener: the logout tokens the provider \
                     sends the client",
                )
                .clicked()
            {
                action = Some(LogoutAction::OpenListener);
            }
        });
        let mut cancel = false;
        match &self.phase {
            Phase::Idle => {}
            Phase::Preparing => {
                ui.horizontal_wrapped(|ui| {
                    ui.spinner();
                    ui.label("Finding the end session endpoint and opening the listener");
                    cancel = ui.button("Cancel").clicked();
                });
            }
            Phase::Waiting(w) => {
                let Waiting {
                    url,
                    masked,
                    back_to,
                    browser,
                    since,
                } = &**w;
                if *browser == Some(false) {
                    crate::browser_wait::browser_failed_ui(ui);
                }
                let shown = if self.reveal {
                    url.as_str()
                } else {
                    masked.as_str()
                };
                crate::browser_wait::url_row_ui(
                    ui,
                    "Open this URL in a browser to log out:",
                    shown,
                    url.as_str(),
                    false,
                );
                ui.checkbox(&mut self.reveal, "Reveal secrets")
                    .on_hover_text("Show the id_token_hint in the URL");
                if let Some(back) = back_to {
                    ui.label(
                        egui::RichText::new(format!(
                            "The browser comes back to {back} (a listener on this machine)."
                        ))
                        .weak(),
                    );
                    cancel = crate::browser_wait::wait_line_ui(
                        ui,
                        "Waiting for the browser to come back with the state",
                        since.elapsed(),
                        Some(WAIT),
                        ("Cancel", "Stop waiting and close the listener"),
                    );
                }
                if self.scrolled_to != Some(*since) {
                    self.scrolled_to = Some(*since);
                    ui.scroll_to_cursor(Some(egui::Align::BOTTOM));
                }
            }
        }
        if cancel {
            self.cancel();
            self.outcome = Some(Err("Cancelled: the listener is closed".into()));
        }
        match &self.outcome {
            Some(Ok(text)) => {
                ui.colored_label(status_color(ui.visuals(), "pass"), text);
            }
            Some(Err(why)) => {
                ui.colored_label(ui.visuals().error_fg_color, inert_owned(why));
            }
            None => {}
        }
        action
    }
}

fn inert_owned(s: &str) -> String {
    grantscope_core::text::inert(s).into_owned()
}

/// Finds the end session endpoint, binds the listener, builds the URL, opens the browser and
/// waits for it to come back.
async fn rp_logout(
    prepared: connect::Prepared,
    hint: String,
    back: Option<url::Url>,
    open_browser: bool,
    sink: &Sink<InspectorMsg>,
    run: u64,
) -> Result<String, String> {
    let client_id = prepared.profile.client_id.clone();
    let connection = prepared
        .connect(&[EndpointKind::EndSession], Some(history_observer(sink)))
        .await
        .map_err(|e| connect::describe(&e))?;
    let Some(endpoint) = connection.endpoint(EndpointKind::EndSession).cloned() else {
        return Err(
            "The provider's discovery names no end_session_endpoint and the profile \
                    has none: type it under Logout settings (End session endpoint), or set it \
                    in the profile."
                .into(),
        );
    };
    let listener = match &back {
        Some(uri) => Some(
            PostLogoutListener::bind(uri)
                .await
                .map_err(|e| connect::describe(&e))?,
        ),
        None => None,
    };
    let state = grantscope_core::oauth::pkce::random_token();
    let url = end_session_url(
        &endpoint,
        &hint,
        Some(client_id.as_str()),
        listener.as_ref().map(PostLogoutListener::uri),
        &state,
    );
    let encoded: String = url::form_urlencoded::byte_serialize(hint.as_bytes()).collect();
    let masked = url.as_str().replace(&encoded, MASK);
    let browser = if open_browser {
        let to = url.to_string();
        Some(
            tokio::task::spawn_blocking(move || open_in_browser(&to))
                .await
                .unwrap_or(false),
        )
    } else {
        None
    };
    sink.send(InspectorMsg::Logout(LogoutMsg::Waiting {
        run,
        url,
        masked,
        back_to: listener.as_ref().map(|l| l.uri().clone()),
        browser,
    }));
    let Some(listener) = listener else {
        // Nothing comes back: the URL stays on screen until the user is done with it.
        return Ok(
            "Sent to the provider: with no post-logout redirect URI the browser does \
                   not come back, so there is nothing to wait for."
                .into(),
        );
    };
    listener
        .wait(&state, WAIT)
        .await
        .map(|()| "Logged out at the provider: the browser came back with the state sent.".into())
        .map_err(|e| format!("Refused: {}", connect::describe(&e)))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_messages_debug_shows_only_the_masked_url() {
        let msg = LogoutMsg::Waiting {
            run: 1,
            url: url::Url::parse("https://as/end?id_token_hint=the.id.token").unwrap(),
            masked: format!("https://as/end?id_token_hint={MASK}"),
            back_to: None,
            browser: None,
        };
        let shown = format!("{msg:?}");
        assert!(
            !shown.contains("the.id.token") && shown.contains(MASK),
            "{shown}"
        );
    }
}
