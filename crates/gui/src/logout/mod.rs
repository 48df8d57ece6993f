//! The Logout listener window: a back-channel logout endpoint (OpenID Connect Back-Channel
//! Logout 1.0) on 127.0.0.1, as the CLI's `logout listen`. Start binds a port (a free one
//! unless one is typed) and shows the URL to register as the client's
//! `backchannel_logout_uri`; each POSTed logout token is judged by the core's one judge
//! ([`LogoutJudge`]: the active profile's issuer and keys, its client id as `aud`, no replayed
//! `jti`), answered 200 or 400, and listed as it arrives with its verdict, each broken rule,
//! its `sub`, `sid` and `jti`, and "Open in inspector". Stop closes the port; the list stays.
//! While waiting nothing repaints: the worker wakes the window when a token arrives.

use std::sync::Arc;

use crate::connect;
use crate::worker::{Jobs, Sink};
use grantscope_core::http::HttpClient;
use grantscope_core::oauth::backchannel_logout::{BackchannelListener, LogoutJudge, LogoutVerdict};
use grantscope_core::oauth::{Connection, EndpointKind, FlowEvent};
use grantscope_core::profile::Profile;
use grantscope_core::text::inert;
use grantscope_core::timefmt;
use grantscope_core::token::KeySource;

/// Clock skew tolerated on a logout token's iat and exp (the CLI's default `--leeway`).
const LEEWAY_SECS: u64 = 60;

/// Messages from the listener's job.
pub enum LogoutMsg {
    /// The port is bound: the URL to register.
    Listening { run: u64, url: url::Url },
    /// A logout token arrived and was answered.
    Arrived {
        run: u64,
        /// When (unix seconds).
        at: i64,
        verdict: Box<LogoutVerdict>,
    },
    /// An HTTP exchange the setup made (discovery, for the history).
    Exchange(Box<grantscope_core::http::Exchange>),
    /// The listener stopped by itself (it could not start, or its socket failed).
    Ended { run: u64, error: String },
}

impl std::fmt::Debug for LogoutMsg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The tokens stay out of debug output.
        match self {
            LogoutMsg::Listening { run, url } => write!(f, "Listening({run}, {url})"),
            LogoutMsg::Arrived { run, verdict, .. } => {
                write!(f, "Arrived({run}, valid: {})", verdict.valid)
            }
            LogoutMsg::Exchange(_) => write!(f, "Exchange"),
            LogoutMsg::Ended { run, error } => write!(f, "Ended({run}, {error})"),
        }
    }
}

/// What the window asks of the app.
#[must_use]
#[derive(Debug, Clone)]
pub enum LogoutCommand {
    /// Show this logout token in the inspector, verified against this profile as a logout
    /// token.
    Inspect {
        token: String,
        profile: Box<Profile>,
    },
    /// Record these exchanges in the history.
    Record(Vec<grantscope_core::http::Exchange>),
}

/// One logout token as it arrived.
#[derive(Debug, Clone)]
pub struct Arrival {
    /// When (unix seconds).
    pub at: i64,
    /// What the core's judge said.
    pub verdict: LogoutVerdict,
}

/// The listener as it runs now.
enum State {
    Stopped,
    /// Finding the issuer's keys and binding the port.
    Starting,
    Listening {
        url: url::Url,
        since: i64,
    },
}

/// The Logout listener window.
pub struct LogoutScreen {
    /// Whether the window is open (the top bar's toggle).
    pub open: bool,
    /// The port typed (empty: a free one).
    pub port: String,
    state: State,
    /// The running job (Stop aborts it, and with it the listener).
    abort: Option<tokio::task::AbortHandle>,
    /// The current run; messages of an earlier one are dropped.
    run: u64,
    /// The profile the running listener judges for.
    profile: Option<Profile>,
    /// Newest last.
    arrivals: Vec<Arrival>,
    /// Why the listener could not start or stopped.
    error: Option<String>,
    /// Open in inspector was clicked (the arrival's index).
    inspect: Option<usize>,
}

impl Default for LogoutScreen {
    fn default() -> Self {
        Self {
            open: false,
            port: String::new(),
            state: State::Stopped,
            abort: None,
            run: 0,
            profile: None,
            arrivals: Vec::new(),
            error: None,
            inspect: None,
        }
    }
}

impl LogoutScreen {
    /// The URL to register while listening.
    pub fn url(&self) -> Option<&url::Url> {
        match &self.state {
            State::Listening { url, .. } => Some(url),
            _ => None,
        }
    }

    /// Whether the port is bound (or being bound).
    pub fn running(&self) -> bool {
        !matches!(self.state, State::Stopped)
    }

    /// The tokens received, oldest first (kept after Stop).
    pub fn arrivals(&self) -> &[Arrival] {
        &self.arrivals
    }

    /// Why the listener could not start or stopped, if so.
    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }

    /// The top bar's toggle.
    pub fn toggle_ui(&mut self, ui: &mut egui::Ui) {
        ui.toggle_value(&mut self.open, "Logout listener")
            .on_hover_text(
                "A back-channel logout endpoint on 127.0.0.1 that checks each logout token",
            );
    }

    /// Starts listening for `profile` (the app's active profile as used).
    pub fn start(&mut self, jobs: &Jobs<LogoutMsg>, profile: Option<&Profile>) {
        self.stop();
        self.error = None;
        let Some(profile) = profile else {
            self.error = Some("No active profile: choose one (Profile: in the top bar).".into());
            return;
        };
        let port = match self.port.trim() {
            "" => 0,
            p => match p.parse::<u16>() {
                Ok(p) => p,
                Err(_) => {
                    self.error = Some(format!(
                        "Port {:?} is not a port number (1-65535, or empty for a free one).",
                        inert(p)
                    ));
                    return;
                }
            },
        };
        let prepared = match connect::prepare(profile, jobs.keys()) {
            Ok(p) => p,
            Err(e) => {
                self.error = Some(connect::describe(&e));
                return;
            }
        };
        self.run += 1;
        let run = self.run;
        self.profile = Some(profile.clone());
        self.state = State::Starting;
        let sink = jobs.sink();
        self.abort = Some(jobs.spawn(async move {
            let error = match listen(prepared, port, &sink, run).await {
                Ok(never) => match never {},
                Err(e) => e,
            };
            LogoutMsg::Ended { run, error }
        }));
    }

    /// Closes the port; the list stays.
    pub fn stop(&mut self) {
        if let Some(a) = self.abort.take() {
            a.abort();
        }
        // What the stopped run still sends (a token it was judging) is dropped.
        self.run += 1;
        self.state = State::Stopped;
    }

    /// A job's message.
    pub fn on_message(&mut self, msg: LogoutMsg) -> Option<LogoutCommand> {
        match msg {
            LogoutMsg::Listening { run, url } if run == self.run => {
                // The port stays in the field: Stop then Start listens at the URL registered.
                if self.port.trim().is_empty()
                    && let Some(port) = url.port()
                {
                    self.port = port.to_string();
                }
                self.state = State::Listening {
                    url,
                    since: timefmt::now_unix(),
                };
            }
            LogoutMsg::Arrived { run, at, verdict } if run == self.run => {
                self.arrivals.push(Arrival {
                    at,
                    verdict: *verdict,
                });
            }
            LogoutMsg::Ended { run, error } if run == self.run => {
                self.abort = None;
                self.state = State::Stopped;
                self.error = Some(error);
            }
            LogoutMsg::Exchange(ex) => return Some(LogoutCommand::Record(vec![*ex])),
            _ => {}
        }
        None
    }

    /// Draws the window when open, inside `bounds` (below the top bar). `active` is the app's
    /// active profile as used (Start listens for it).
    pub fn window(
        &mut self,
        ctx: &egui::Context,
        jobs: &Jobs<LogoutMsg>,
        active: Option<&Profile>,
        bounds: egui::Rect,
    ) -> Option<LogoutCommand> {
        if !self.open {
            return None;
        }
        let mut open = self.open;
        crate::layout::side_window("Logout listener", bounds, 560.0)
            .open(&mut open)
            .show(ctx, |ui| self.ui(ui, jobs, active));
        // Closing the window leaves the listener running (the top bar's toggle reopens it).
        self.open = open;
        let i = self.inspect.take()?;
        let a = self.arrivals.get(i)?;
        // The inspector shows it: the window steps aside (the listener keeps listening).
        self.open = false;
        Some(LogoutCommand::Inspect {
            token: a.verdict.token.clone()?,
            profile: Box::new(self.profile.clone().or_else(|| active.cloned())?),
        })
    }

    fn ui(&mut self, ui: &mut egui::Ui, jobs: &Jobs<LogoutMsg>, active: Option<&Profile>) {
        ui.label(
            egui::RichText::new(
                "A back-channel logout endpoint on this machine (OpenID Connect Back-Channel \
                 Logout 1.0): register its URL as the client's backchannel_logout_uri. Each \
                 logout token is checked against the profile's issuer and keys, with its \
                 client id as aud, and answered 200 (valid) or 400 (refused).",
            )
            .weak(),
        );
        // Running: the profile it started with; stopped: the one Start would use.
        let checked_for = if self.running() {
            self.profile.as_ref()
        } else {
            active
        };
        match checked_for {
            Some(p) => ui.label(format!(
                "For profile {}: issuer {}, client id {}",
                p.name,
                inert(p.issuer.as_deref().unwrap_or("(none)")),
                inert(if p.client_id.is_empty() {
                    "(none)"
                } else {
                    &p.client_id
                })
            )),
            None => ui.label("No active profile: choose one (Profile: in the top bar)."),
        };
        // Listening for one profile while another is active: the tokens of the active one's
        // client would be refused (their aud is another client id). Said, with the way out.
        if let (true, Some(judged), Some(now)) = (self.running(), self.profile.as_ref(), active)
            && (judged.name != now.name || judged.client_id != now.client_id)
        {
            let (now, judged_name) = (now.clone(), judged.name.clone());
            ui.horizontal_wrapped(|ui| {
                ui.colored_label(
                    ui.visuals().warn_fg_color,
                    format!(
                        "The active profile is now {}: tokens for its client are judged \
                         against {}'s until you restart.",
                        now.name, judged_name
                    ),
                );
                if ui
                    .button(format!("Restart for {}", now.name))
                    .on_hover_text("Stop and listen again on the same port for the active profile")
                    .clicked()
                {
                    self.stop();
                    self.start(jobs, Some(&now));
                }
            });
        }
        let (starting, listening) = (
            matches!(self.state, State::Starting),
            matches!(self.state, State::Listening { .. }),
        );
        ui.horizontal_wrapped(|ui| match (starting, listening) {
            (false, false) => {
                let l = ui.label("Port on 127.0.0.1");
                ui.add(
                    egui::TextEdit::singleline(&mut self.port)
                        .desired_width(70.0)
                        .hint_text("free"),
                )
                .labelled_by(l.id);
                if ui
                    .button("Start")
                    .on_hover_text("Listen on 127.0.0.1 (an empty port: a free one)")
                    .clicked()
                {
                    self.start(jobs, active);
                }
            }
            (true, _) => {
                ui.spinner();
                ui.label("Finding the issuer's keys and opening the port");
                if ui.button("Cancel").clicked() {
                    self.stop();
                }
            }
            (false, true) => {
                if ui
                    .button("Stop")
                    .on_hover_text("Close the port (the list stays)")
                    .clicked()
                {
                    self.stop();
                }
            }
        });
        if let State::Listening { url, since } = &self.state {
            let url = url.to_string();
            crate::browser_wait::url_row_ui(ui, "Register this URL:", &url, &url, false);
            ui.label(format!(
                "Waiting for logout tokens (listening since {}).",
                timefmt::time_of_day_utc(*since)
            ));
        }
        if let Some(e) = &self.error {
            ui.colored_label(ui.visuals().error_fg_color, inert(e));
        }
        ui.separator();
        ui.horizontal_wrapped(|ui| {
            ui.label(egui::RichText::new(format!("Received ({})", self.arrivals.len())).strong());
            if !self.arrivals.is_empty() && ui.small_button("Clear list").clicked() {
                self.arrivals.clear();
            }
        });
        if self.arrivals.is_empty() {
            ui.label(egui::RichText::new("No logout token yet.").weak());
        }
        // Newest first.
        for (i, a) in self.arrivals.iter().enumerate().rev() {
            egui::Frame::group(ui.style()).show(ui, |ui| {
                ui.set_width(ui.available_width());
                arrival_ui(ui, a, || self.inspect = Some(i));
            });
        }
    }
}

fn arrival_ui(ui: &mut egui::Ui, a: &Arrival, mut open: impl FnMut()) {
    let v = &a.verdict;
    ui.horizontal_wrapped(|ui| {
        ui.label(timefmt::time_of_day_utc(a.at));
        let (status, word, answer) = if v.valid {
            ("pass", "VALID", "Answered 200: every rule held")
        } else {
            ("fail", "REFUSED", "Answered 400 with the broken rules")
        };
        ui.label(
            egui::RichText::new(word)
                .monospace()
                .strong()
                .color(crate::widgets::status_color(ui.visuals(), status)),
        )
        .on_hover_text(answer);
        if v.token.is_some()
            && ui
                .small_button("Open in inspector")
                .on_hover_text("Inspect it as a logout token against the profile")
                .clicked()
        {
            open();
        }
    });
    let field = |name: &str, value: &Option<String>| {
        format!("{name} {}", inert(value.as_deref().unwrap_or("-")))
    };
    ui.label(
        egui::RichText::new(format!(
            "{}   {}   {}",
            field("sub", &v.sub),
            field("sid", &v.sid),
            field("jti", &v.jti)
        ))
        .monospace(),
    );
    for f in &v.failures {
        ui.colored_label(ui.visuals().error_fg_color, inert(f));
    }
}

/// Finds the issuer's keys, binds the port, then judges and answers each token until aborted
/// (or the socket fails: the error).
async fn listen(
    prepared: connect::Prepared,
    port: u16,
    sink: &Sink<LogoutMsg>,
    run: u64,
) -> Result<std::convert::Infallible, String> {
    let p = prepared.profile.clone();
    if p.client_id.trim().is_empty() {
        return Err(
            "The profile has no client id: a logout token's aud must be the client's \
                    id (fill in Client ID on the Profiles screen)."
                .into(),
        );
    }
    let options = p
        .http
        .to_options(&prepared.keys)
        .map_err(|e| e.to_string())?;
    let http = HttpClient::new(&options).map_err(|e| e.to_string())?;
    let given = p.jwks_uri.clone().filter(|s| !s.trim().is_empty());
    let (source, issuer) = match given {
        Some(jwks) => (KeySource::from_uri_or_path(jwks.trim()), p.issuer.clone()),
        None if p.issuer.as_deref().is_some_and(|s| !s.trim().is_empty()) => {
            let history = sink.clone();
            let observer: grantscope_core::oauth::session::Observer = Arc::new(move |e| {
                if let FlowEvent::Exchange(ex) = e {
                    history.send(LogoutMsg::Exchange(ex));
                }
            });
            let Connection {
                config, discovery, ..
            } = prepared
                .connect(&[EndpointKind::Jwks], Some(observer))
                .await
                .map_err(|e| connect::describe(&e))?;
            let published = discovery
                .as_ref()
                .and_then(|d| d.metadata.get("issuer"))
                .and_then(serde_json::Value::as_str)
                .map(String::from)
                .or(p.issuer.clone());
            let jwks = config.endpoints.jwks_uri.ok_or(
                "The issuer's metadata names no jwks_uri: fill in JWKS URL in the profile.",
            )?;
            (KeySource::JwksUrl(jwks), published)
        }
        None => {
            return Err(
                "The profile has no issuer (its discovery gives the keys) and no JWKS \
                        URL: fill in one of them on the Profiles screen."
                    .into(),
            );
        }
    };
    let mut judge = LogoutJudge::new(source, issuer, p.client_id.trim(), LEEWAY_SECS, http);
    let listener = BackchannelListener::bind(port)
        .await
        .map_err(|e| connect::describe(&e))?;
    sink.send(LogoutMsg::Listening {
        run,
        url: listener.url().clone(),
    });
    loop {
        let delivery = listener.next().await.map_err(|e| connect::describe(&e))?;
        let at = timefmt::now_unix();
        let verdict = judge.answer(delivery, at).await;
        sink.send(LogoutMsg::Arrived {
            run,
            at,
            verdict: Box::new(verdict),
        });
    }
}
