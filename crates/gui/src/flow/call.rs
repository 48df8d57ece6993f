//! The flow runner's "Call an API" panel: with the tokens just received, send a request (method,
//! URL, headers, body) to a protected resource — Bearer, or DPoP with the very key the token is
//! bound to, and the profile's mTLS certificate when it has one. The call is recorded like every
//! other exchange (its arrow goes to the diagram's resource-server lane, its exchange to the list
//! and History), and the answer's `WWW-Authenticate` challenges are parsed: RFC 6750 §3 errors,
//! RFC 9449 `use_dpop_nonce` (retried once by the core) and RFC 9470 step-up, offered as a re-run
//! of the authorization code grant with the `acr_values` / `max_age` asked for.

use std::sync::Arc;

use url::Url;

use crate::worker::Jobs;
use grantscope_core::oauth::dpop::DpopState;
use grantscope_core::oauth::resource::{self, Challenge, ResourceCall, StepUp};
use grantscope_core::oauth::session::Observer;
use grantscope_core::oauth::{FlowError, FlowEvent};
use grantscope_core::profile::Profile;
use grantscope_core::text::inert;

/// The step name of a call: the sequence diagram puts it in the resource-server lane.
pub const STEP: &str = "resource call";
/// The step of a call that carries the token made in the inspector's workbench.
pub const WORKBENCH_STEP: &str = "resource call (workbench token)";

/// Messages of the panel's job. Its progress (the exchange) travels as the flow run's own
/// progress, so the diagram and History see it; this is only the ending.
#[derive(Debug)]
pub struct CallDone {
    /// Which call.
    pub call: u64,
    /// What the API answered, or why there is no answer.
    pub result: Result<CallAnswer, String>,
}

/// What the panel shows of an answer.
#[derive(Debug, Clone)]
pub struct CallAnswer {
    /// The HTTP status.
    pub status: u16,
    /// Whether the token went as DPoP.
    pub dpop: bool,
    /// Every challenge of the answer's `WWW-Authenticate` headers.
    pub challenges: Vec<Challenge>,
}

impl CallAnswer {
    /// The RFC 9470 step-up the resource asks for, if any.
    pub fn step_up(&self) -> Option<StepUp> {
        self.challenges.iter().find_map(Challenge::step_up)
    }
}

/// What the flow runner should do after a click in the panel.
#[derive(Debug, Clone, PartialEq)]
pub enum CallCommand {
    /// Send the call (the screen hands over the worker: [`CallPanel::start`]).
    Send,
    /// Run the authorization code grant again with these `acr_values` / `max_age`.
    StepUp(StepUp),
    /// Probe this API (the Probes window's API mode) with the form's request
    /// ([`CallPanel::probe_request`]).
    Probe,
}

/// The token and key a call uses: from the flow run that received them.
pub struct CallContext<'a> {
    /// The flow run's id (the call's exchange is reported as this run's progress).
    pub run: u64,
    /// The profile the tokens came from.
    pub profile: &'a Profile,
    /// The access token.
    pub token: &'a str,
    /// The DPoP key of the run, when its tokens are DPoP-bound.
    pub dpop: Option<Arc<DpopState>>,
    /// Whether `token` is the inspector workbench's (its exchange says so), not the run's.
    pub workbench: bool,
}

/// The panel's state: the request being written and the last answer.
pub struct CallPanel {
    method: String,
    url: String,
    headers: String,
    body: String,
    next: u64,
    running: Option<u64>,
    last: Option<Result<CallAnswer, String>>,
    /// The profile the URL was suggested for (a new profile gets a new suggestion).
    suggested_for: Option<String>,
    /// Unfold the panel when it is next drawn (a token was handed to it).
    open_once: bool,
    /// Bring the panel's header to the top of the view when it is next drawn (a token sent from
    /// the inspector: at 150 % the prepared call was a screen below the top).
    scroll_once: bool,
}

impl Default for CallPanel {
    fn default() -> Self {
        Self {
            method: "GET".into(),
            url: String::new(),
            headers: String::new(),
            body: String::new(),
            next: 1,
            running: None,
            last: None,
            suggested_for: None,
            open_once: false,
            scroll_once: false,
        }
    }
}

/// The methods offered.
const METHODS: [&str; 5] = ["GET", "POST", "PUT", "PATCH", "DELETE"];

impl CallPanel {
    /// Sets the request to `GET url` (the wizard's "start from an API" calls the API it
    /// started from) and opens the panel.
    pub fn set_get(&mut self, url: &str) {
        self.method = "GET".into();
        self.url = url.to_owned();
        self.body.clear();
        self.open_once = true;
    }

    /// Sets the request's URL (`GET`) without opening the panel.
    pub fn set_url(&mut self, url: &str) {
        self.method = "GET".into();
        self.url = url.to_owned();
    }

    /// The request's URL as written.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Whether a call is under way.
    pub fn running(&self) -> bool {
        self.running.is_some()
    }

    /// The last answer (or error).
    pub fn last(&self) -> Option<&Result<CallAnswer, String>> {
        self.last.as_ref()
    }

    /// Unfolds the panel when it is next drawn, and forgets the last answer (it was for
    /// another token).
    pub fn open(&mut self) {
        self.open_once = true;
        self.scroll_once = true;
        self.running = None;
        self.last = None;
    }

    /// Forgets the last answer (a new run has new tokens); a call under way is ignored.
    pub fn clear(&mut self) {
        self.running = None;
        self.last = None;
    }

    /// Handles the end of a call.
    pub fn on_done(&mut self, done: CallDone) {
        if self.running == Some(done.call) {
            self.running = None;
            self.last = Some(done.result);
        }
    }

    /// Parses the headers box: one `Name: value` per line.
    fn parsed_headers(&self) -> Result<Vec<(String, String)>, String> {
        let mut out = Vec::new();
        for (i, line) in self.headers.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let Some((k, v)) = line.split_once(':') else {
                return Err(format!(
                    "header line {} has no `:` (write Name: value)",
                    i + 1
                ));
            };
            let k = k.trim();
            if k.is_empty() || !k.bytes().all(|b| b.is_ascii_graphic()) {
                return Err(format!("header line {} has no valid name", i + 1));
            }
            if k.eq_ignore_ascii_case("authorization") || k.eq_ignore_ascii_case("dpop") {
                return Err(format!(
                    "{k} is set from the token (line {}); remove it from the headers",
                    i + 1
                ));
            }
            out.push((k.to_owned(), v.trim().to_owned()));
        }
        Ok(out)
    }

    /// Draws the panel for the run's tokens; Send comes back as [`CallCommand::Send`].
    pub fn ui(&mut self, ui: &mut egui::Ui, cx: &CallContext<'_>) -> Option<CallCommand> {
        if self.suggested_for.as_deref() != Some(cx.profile.name.as_str()) {
            self.suggested_for = Some(cx.profile.name.clone());
            if self.url.trim().is_empty()
                && let Some(issuer) = cx.profile.issuer.as_deref()
                && cx.profile.name == grantscope_sandbox::local_profile::SANDBOX_PROFILE
            {
                self.url = format!("{}/api/resource", issuer.trim_end_matches('/'));
            }
        }
        let mut command = None;
        let shown = egui::CollapsingHeader::new("Call an API with this token")
            .id_salt("call_api")
            .default_open(false)
            .open(std::mem::take(&mut self.open_once).then_some(true))
            .show(ui, |ui| {
                ui.horizontal_wrapped(|ui| {
                    // Named for a screen reader (the picker said nothing).
                    let m = ui.label("Method");
                    egui::ComboBox::from_id_salt("call_method")
                        .selected_text(self.method.as_str())
                        .width(80.0)
                        .show_ui(ui, |ui| {
                            for m in METHODS {
                                ui.selectable_value(&mut self.method, m.to_owned(), m);
                            }
                        })
                        .response
                        .labelled_by(m.id);
                    let l = ui.label("URL");
                    ui.add(
                        egui::TextEdit::singleline(&mut self.url)
                            .desired_width((ui.available_width() - 8.0).clamp(120.0, 520.0))
                            .hint_text("https://api.example/resource"),
                    )
                    .labelled_by(l.id);
                });
                let h = ui.label("Headers (one `Name: value` per line)");
                ui.add(
                    egui::TextEdit::multiline(&mut self.headers)
                        .desired_rows(2)
                        .desired_width(f32::INFINITY),
                )
                .labelled_by(h.id);
                if self.method != "GET" {
                    let b = ui.label("Body");
                    ui.add(
                        egui::TextEdit::multiline(&mut self.body)
                            .code_editor()
                            .desired_rows(3)
                            .desired_width(f32::INFINITY),
                    )
                    .labelled_by(b.id);
                }
                let how = match (&cx.dpop, cx.profile.http.client_cert.is_some()) {
                    (Some(_), true) => "DPoP (with the key the token is bound to), over mTLS",
                    (Some(_), false) => "DPoP, with the key the token is bound to",
                    (None, true) => "Bearer, over mTLS with the profile's certificate",
                    (None, false) => "Bearer",
                };
                ui.horizontal_wrapped(|ui| {
                    let send =
                        ui.add_enabled(self.running.is_none(), egui::Button::new("Send call"));
                    ui.label(format!("The token goes as {how}."));
                    if send.clicked() {
                        command = Some(CallCommand::Send);
                    }
                    if ui
                        .button("Probe this API")
                        .on_hover_text(
                            "Send this API forged and wrong tokens made from this one (alg none, \
                             stripped signature, key confusion, the ID token, ...) and see what it \
                             accepts: the Probes window's API mode",
                        )
                        .clicked()
                    {
                        command = Some(CallCommand::Probe);
                    }
                });
                if self.running.is_some() {
                    ui.horizontal(|ui| {
                        ui.spinner();
                        ui.label("Calling...");
                    });
                }
                if let Some(c) = self.answer_ui(ui) {
                    command = Some(c);
                }
            });
        if std::mem::take(&mut self.scroll_once) {
            shown.header_response.scroll_to_me(Some(egui::Align::Min));
        }
        command
    }

    fn answer_ui(&self, ui: &mut egui::Ui) -> Option<CallCommand> {
        let mut command = None;
        match &self.last {
            None => {}
            Some(Err(e)) => {
                ui.colored_label(ui.visuals().error_fg_color, inert(e));
            }
            Some(Ok(a)) => {
                let ok = (200..300).contains(&a.status);
                let colour =
                    crate::widgets::status_color(ui.visuals(), if ok { "pass" } else { "fail" });
                ui.colored_label(
                    colour,
                    format!(
                        "HTTP {} ({}); the exchange is in the list below and on the diagram",
                        a.status,
                        if a.dpop { "DPoP" } else { "Bearer" }
                    ),
                );
                for c in &a.challenges {
                    ui.label(format!("Challenge: {}", inert(&c.describe())));
                }
                if let Some(step) = a.step_up() {
                    let mut asks = Vec::new();
                    if let Some(acr) = &step.acr_values {
                        asks.push(format!("acr_values={}", inert(acr)));
                    }
                    if let Some(age) = step.max_age {
                        asks.push(format!("max_age={age}"));
                    }
                    ui.colored_label(
                        ui.visuals().warn_fg_color,
                        format!(
                            "The resource wants a stronger or fresher login (RFC 9470): {}",
                            asks.join(", ")
                        ),
                    );
                    if ui
                        .button("Sign in again with these")
                        .on_hover_text(
                            "Runs the authorization code grant with acr_values and max_age",
                        )
                        .clicked()
                    {
                        command = Some(CallCommand::StepUp(step));
                    }
                }
            }
        }
        command
    }

    /// "Probe this API": the form's request (method, URL, headers, body) for the Probes
    /// window; the caller adds the tokens.
    pub fn probe_request(&self) -> crate::handoff::ApiProbeRequest {
        crate::handoff::ApiProbeRequest {
            url: self.url.trim().to_owned(),
            method: self.method.clone(),
            headers: self.headers.clone(),
            body: self.body.clone(),
            from: "the flow runner's Call an API form",
            ..Default::default()
        }
    }

    /// Sends the call on the worker: its exchange comes back as `progress(run, event)`, its end
    /// as `done`.
    pub fn start<M: Send + 'static>(
        &mut self,
        cx: CallContext<'_>,
        jobs: &Jobs<M>,
        progress: fn(u64, FlowEvent) -> M,
        done: fn(CallDone) -> M,
    ) {
        let id = self.next;
        self.next += 1;
        let url = match Url::parse(self.url.trim()) {
            Ok(u) if matches!(u.scheme(), "http" | "https") => u,
            Ok(u) => {
                self.last = Some(Err(format!(
                    "the URL must be http or https, not {}",
                    inert(u.scheme())
                )));
                return;
            }
            Err(e) => {
                self.last = Some(Err(format!("the URL does not parse: {e}")));
                return;
            }
        };
        let headers = match self.parsed_headers() {
            Ok(h) => h,
            Err(e) => {
                self.last = Some(Err(e));
                return;
            }
        };
        let call = ResourceCall {
            method: self.method.clone(),
            url,
            headers,
            body: (self.method != "GET" && !self.body.is_empty()).then(|| self.body.clone()),
        };
        let profile = cx.profile.clone();
        let token = cx.token.to_owned();
        let dpop = cx.dpop;
        let run = cx.run;
        let step = if cx.workbench { WORKBENCH_STEP } else { STEP };
        let sink = jobs.sink();
        let keys = jobs.keys().clone();
        self.running = Some(id);
        self.last = None;
        jobs.spawn(async move {
            let observer: Observer = Arc::new(move |event| sink.send(progress(run, event)));
            let result = send_call(&profile, &keys, dpop, &call, &token, step, observer).await;
            done(CallDone {
                call: id,
                result: result.map_err(|e| crate::connect::describe(&e)),
            })
        });
    }
}

/// Connects with the profile's HTTP settings (its CA, client certificate, timeouts) and calls.
async fn send_call(
    profile: &Profile,
    keys: &grantscope_core::keys::KeyStore,
    dpop: Option<Arc<DpopState>>,
    call: &ResourceCall,
    token: &str,
    step: &'static str,
    observer: Observer,
) -> Result<CallAnswer, FlowError> {
    // No endpoints are wanted: nothing is discovered, only the HTTP client is built.
    let mut plain = profile.clone();
    plain.issuer = None;
    // The run's key (a fresh one per session would not match the token's `cnf.jkt`).
    plain.dpop = false;
    let mut conn = grantscope_core::connect::connect(&plain, keys, &[], Some(observer)).await?;
    conn.session.set_dpop(dpop);
    let answer = resource::call(&mut conn.session, call, token, step).await?;
    Ok(CallAnswer {
        status: answer.response.status,
        dpop: answer.dpop,
        challenges: answer.challenges,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_parsed_and_the_token_headers_refused() {
        let mut p = CallPanel {
            headers: "Accept: application/json\n\nX-Trace:  42 \n".into(),
            ..CallPanel::default()
        };
        assert_eq!(
            p.parsed_headers().unwrap(),
            vec![
                ("Accept".to_string(), "application/json".to_string()),
                ("X-Trace".to_string(), "42".to_string())
            ]
        );
        p.headers = "no colon here".into();
        assert!(p.parsed_headers().unwrap_err().contains("line 1"));
        p.headers = "Accept: x\nAuthorization: Bearer y".into();
        assert!(p.parsed_headers().unwrap_err().contains("line 2"));
    }
}
