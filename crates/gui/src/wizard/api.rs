//! The wizard's first question for people who start from an API ("I have an API URL"): the
//! core's RFC 9728 discovery of the API (its challenge, its protected-resource metadata checked
//! to name the API, each authorization server's discovery), the choice of an authorization
//! server, a client registered there (RFC 7591, saved as a profile) unless a profile for that
//! server is chosen, then the flow runner's authorization code flow with PKCE and the resource
//! indicator, and the API called with the token. The discovery's and registration's exchanges
//! lead the flow's sequence diagram, so the whole chain is one diagram.
//!
//! Every request runs on the worker through the core (`discover_resource`, `register`,
//! `Profile::fill_from_registration`); each wait says what it waits for and has Cancel.

use std::sync::Arc;

use url::Url;

use crate::worker::Jobs;
use grantscope_core::oauth::discovery::Discovery;
use grantscope_core::oauth::protected_resource::{self, ResourceDiscovery};
use grantscope_core::oauth::registration::{self, ClientRequest};
use grantscope_core::oauth::session::Observer;
use grantscope_core::oauth::{EndpointKind, FlowError, FlowEvent, Missing};
use grantscope_core::profile::Profile;
use grantscope_core::secret::AccessToken;
use grantscope_core::text::inert;

/// The redirect URI a client registered here asks for: loopback, so it registers as a native
/// client and any port works (RFC 8252 §7.3).
pub const REDIRECT_URI: &str = "http://127.0.0.1/callback";

/// What the API's discovery found, as shown.
#[derive(Debug, Clone)]
pub struct Found {
    /// The API's URL (the resource identifier).
    pub resource: String,
    /// The status of the call without a token.
    pub status: u16,
    /// The `WWW-Authenticate` challenge, as received (inert).
    pub challenge: Option<String>,
    /// Where the metadata was read, and why there.
    pub metadata_url: String,
    pub metadata_source: &'static str,
    /// The metadata's `scopes_supported`.
    pub scopes: Vec<String>,
    /// Each authorization server the metadata names.
    pub servers: Vec<Server>,
}

/// One authorization server of the metadata.
#[derive(Debug, Clone)]
pub struct Server {
    pub issuer: String,
    /// Its registration endpoint, or why it could not be discovered.
    pub discovered: Result<Option<String>, String>,
    /// Its metadata as read: the registration and the flow reuse it (not fetched again).
    pub discovery: Option<Box<Discovery>>,
}

impl Found {
    fn from_core(d: &ResourceDiscovery) -> Self {
        Self {
            resource: d.resource.to_string(),
            status: d.status,
            challenge: d.challenge.as_ref().map(|c| inert(&c.raw).into_owned()),
            metadata_url: d.metadata_url.to_string(),
            metadata_source: d.metadata_source.as_str(),
            scopes: d.scopes_supported(),
            servers: d
                .authorization_servers
                .iter()
                .map(|s| Server {
                    issuer: s.issuer.clone(),
                    discovered: match &s.discovery {
                        Ok(disc) => Ok(disc
                            .endpoints
                            .registration_endpoint
                            .as_ref()
                            .map(Url::to_string)),
                        Err(e) => Err(crate::connect::describe(e)),
                    },
                    discovery: s.discovery.as_ref().ok().cloned().map(Box::new),
                })
                .collect(),
        }
    }
}

/// A job's answer.
#[derive(Debug)]
pub enum ApiMsg {
    /// An exchange (or other step) of job `job`.
    Event { job: u64, event: FlowEvent },
    /// The discovery finished.
    Discovered {
        job: u64,
        result: Result<Box<Found>, String>,
    },
    /// The registration finished: the profile made of it.
    Registered {
        job: u64,
        result: Result<Box<Profile>, String>,
    },
}

/// What the panel asks the app to do.
#[must_use]
#[derive(Debug, Clone)]
pub enum ApiCommand {
    /// Save `profile` when `save` (a new registration), make it the active profile, run the
    /// authorization code flow with the resource indicator for `resource`, then call
    /// `resource` with the token; `lead_in` (discovery, registration) leads the diagram.
    Run {
        profile: Box<Profile>,
        save: bool,
        resource: String,
        lead_in: Vec<FlowEvent>,
        /// The authorization server's metadata as the discovery read it.
        discovery: Option<Box<Discovery>>,
    },
}

/// A request under way.
struct Busy {
    job: u64,
    what: &'static str,
    abort: tokio::task::AbortHandle,
}

/// The panel's state (runtime only).
pub struct ApiStart {
    /// The wizard's first question was answered "I have an API URL".
    pub chosen: bool,
    /// The API's URL as typed.
    pub url: String,
    /// The scope to register and ask for.
    pub scope: String,
    /// An initial access token for registration, where the server wants one.
    pub initial_token: String,
    found: Option<Found>,
    /// The authorization server chosen (index in `found.servers`).
    server: usize,
    busy: Option<Busy>,
    next_job: u64,
    error: Option<String>,
    /// The registration's refusal, shown beside section 4 where its button is.
    register_error: Option<String>,
    /// Bring the next step (section 4) into view once, after a discovery.
    scroll_to_next: bool,
    /// The discovery's and registration's steps, in order.
    events: Vec<FlowEvent>,
}

impl Default for ApiStart {
    fn default() -> Self {
        Self {
            chosen: false,
            url: String::new(),
            scope: String::new(),
            initial_token: String::new(),
            found: None,
            server: 0,
            busy: None,
            next_job: 1,
            error: None,
            register_error: None,
            scroll_to_next: false,
            events: Vec::new(),
        }
    }
}

impl ApiStart {
    /// What was found (tests read it).
    pub fn found(&self) -> Option<&Found> {
        self.found.as_ref()
    }

    /// The last error shown.
    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }

    /// The registration's refusal, shown beside its button.
    pub fn register_error(&self) -> Option<&str> {
        self.register_error.as_deref()
    }

    /// Whether a request is under way.
    pub fn busy(&self) -> bool {
        self.busy.is_some()
    }

    /// Handles a job's message; a registration's profile comes back as [`ApiCommand::Run`].
    pub fn on_message(&mut self, msg: ApiMsg) -> Option<ApiCommand> {
        let current = |job: u64, busy: &Option<Busy>| busy.as_ref().is_some_and(|b| b.job == job);
        match msg {
            ApiMsg::Event { job, event } => {
                if current(job, &self.busy) {
                    self.events.push(event);
                }
                None
            }
            ApiMsg::Discovered { job, result } => {
                if !current(job, &self.busy) {
                    return None;
                }
                self.busy = None;
                match result {
                    Ok(found) => {
                        if self.scope.trim().is_empty() {
                            self.scope = default_scope(&found.scopes);
                        }
                        self.server = found
                            .servers
                            .iter()
                            .position(|s| s.discovered.is_ok())
                            .unwrap_or(0);
                        self.found = Some(*found);
                        self.scroll_to_next = true;
                    }
                    Err(e) => self.error = Some(e),
                }
                None
            }
            ApiMsg::Registered { job, result } => {
                if !current(job, &self.busy) {
                    return None;
                }
                self.busy = None;
                match result {
                    Ok(profile) => Some(ApiCommand::Run {
                        profile,
                        save: true,
                        resource: self.found.as_ref()?.resource.clone(),
                        lead_in: self.events.clone(),
                        discovery: self.chosen_discovery(),
                    }),
                    Err(e) => {
                        self.register_error = Some(e);
                        self.scroll_to_next = true;
                        None
                    }
                }
            }
        }
    }

    /// Stops the request under way (its late answer is ignored).
    pub fn cancel(&mut self) {
        if let Some(b) = self.busy.take() {
            b.abort.abort();
            self.error = Some(format!("Cancelled: {}.", b.what));
        }
    }

    fn observer(jobs: &Jobs<ApiMsg>, job: u64) -> Observer {
        let sink = jobs.sink();
        Arc::new(move |event| sink.send(ApiMsg::Event { job, event }))
    }

    /// Starts the discovery of the API at `url` (RFC 9728).
    pub fn discover(&mut self, jobs: &Jobs<ApiMsg>) {
        self.error = None;
        self.register_error = None;
        self.found = None;
        self.events.clear();
        if self.url.trim().is_empty() {
            self.error =
                Some("Type the API's URL first (e.g. https://api.example/resource).".into());
            return;
        }
        let url = match Url::parse(self.url.trim()) {
            Ok(u) if matches!(u.scheme(), "http" | "https") => u,
            Ok(u) => {
                self.error = Some(format!(
                    "The API URL must be http or https, not {}.",
                    inert(u.scheme())
                ));
                return;
            }
            Err(e) => {
                self.error = Some(format!("The API URL does not parse: {e}."));
                return;
            }
        };
        let job = self.take_job();
        let observer = Self::observer(jobs, job);
        let keys = jobs.keys().clone();
        let abort = jobs.spawn(async move {
            let result = async {
                // A plain HTTP client (no issuer: nothing else is discovered).
                let conn = grantscope_core::connect::connect(
                    &Profile::new("api"),
                    &keys,
                    &[],
                    Some(observer),
                )
                .await?;
                let mut session = conn.session;
                protected_resource::discover_resource(&mut session, &url).await
            }
            .await;
            ApiMsg::Discovered {
                job,
                result: result
                    .map(|d| Box::new(Found::from_core(&d)))
                    .map_err(|e| crate::connect::describe(&e)),
            }
        });
        self.busy = Some(Busy {
            job,
            what: "the API's challenge, its protected resource metadata and its authorization \
                   servers' discovery",
            abort,
        });
    }

    /// The chosen authorization server's metadata, as the discovery read it.
    fn chosen_discovery(&self) -> Option<Box<Discovery>> {
        self.found
            .as_ref()?
            .servers
            .get(self.server)?
            .discovery
            .clone()
    }

    fn take_job(&mut self) -> u64 {
        let job = self.next_job;
        self.next_job += 1;
        job
    }

    /// Registers a client at the chosen server (RFC 7591) and makes a profile `name` of it.
    fn register(&mut self, jobs: &Jobs<ApiMsg>, name: String) {
        let Some((resource, issuer, known)) = self.found.as_ref().and_then(|f| {
            f.servers
                .get(self.server)
                .map(|s| (f.resource.clone(), s.issuer.clone(), s.discovery.clone()))
        }) else {
            return;
        };
        self.error = None;
        self.register_error = None;
        let scope = self.scope.trim().to_owned();
        let request = ClientRequest {
            redirect_uris: vec![REDIRECT_URI.into()],
            auth_method: Some("none".into()),
            client_name: Some("grantscope".into()),
            scope: (!scope.is_empty()).then_some(scope),
            ..ClientRequest::default()
        };
        let initial = Some(self.initial_token.trim())
            .filter(|t| !t.is_empty())
            .map(|t| AccessToken::new(t.to_owned()));
        let job = self.take_job();
        let observer = Self::observer(jobs, job);
        let keys = jobs.keys().clone();
        let abort = jobs.spawn(async move {
            let result = async {
                let mut profile = Profile::new(&name);
                profile.issuer = Some(issuer);
                let conn = grantscope_core::connect::connect_known(
                    &profile,
                    &keys,
                    &[EndpointKind::Registration],
                    Some(observer),
                    known.as_deref(),
                )
                .await?;
                let mut session = conn.session;
                let Some(endpoint) = conn.config.endpoints.registration_endpoint.clone() else {
                    return Err(FlowError::missing(
                        "register",
                        Missing::Endpoint(EndpointKind::Registration),
                    ));
                };
                let client = registration::register(
                    &mut session,
                    &endpoint,
                    &request.metadata(),
                    initial.as_ref(),
                )
                .await?;
                profile.fill_from_registration(&client);
                profile.resources = vec![resource.clone()];
                profile.description = Some(format!(
                    "registered at {endpoint} (RFC 7591) for the API {resource}"
                ));
                Ok(profile)
            }
            .await;
            ApiMsg::Registered {
                job,
                result: result
                    .map(Box::new)
                    .map_err(|e| crate::connect::describe(&e)),
            }
        });
        self.busy = Some(Busy {
            job,
            what: "the client's registration at the authorization server",
            abort,
        });
    }

    /// Draws the panel; `profiles` are the stored ones (one for the chosen server may be used
    /// instead of registering).
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        jobs: &Jobs<ApiMsg>,
        profiles: &[Profile],
        sandbox: Option<&str>,
    ) -> Option<ApiCommand> {
        let mut command = None;
        egui::CentralPanel::default().show(ui, |ui| {
            egui::ScrollArea::vertical()
                .id_salt("api_start_scroll")
                .auto_shrink([false, false])
                .show(ui, |ui| command = self.body_ui(ui, jobs, profiles, sandbox));
        });
        command
    }

    fn body_ui(
        &mut self,
        ui: &mut egui::Ui,
        jobs: &Jobs<ApiMsg>,
        profiles: &[Profile],
        sandbox: Option<&str>,
    ) -> Option<ApiCommand> {
        let mut command = None;
        super::start_question_row(ui, &mut self.chosen);
        ui.heading("Start from an API");
        ui.label(
            "An API says where its tokens come from: a 401 with a WWW-Authenticate challenge \
             naming its protected resource metadata (RFC 9728), which lists its authorization \
             servers. grantscope reads it, registers a client there if you have none (RFC \
             7591), signs you in with the authorization code flow, PKCE and the resource \
             indicator (RFC 8707), and calls the API.",
        );
        ui.add_space(6.0);
        ui.horizontal_wrapped(|ui| {
            let l = ui.label("1. API URL");
            let edit = ui
                .add(
                    egui::TextEdit::singleline(&mut self.url)
                        .desired_width((ui.available_width() - 120.0).clamp(160.0, 520.0))
                        .hint_text("https://api.example/resource"),
                )
                .labelled_by(l.id);
            let enter = edit.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            let go = ui
                .add_enabled(self.busy.is_none(), egui::Button::new("Discover"))
                .on_hover_text("Call the API without a token and follow its metadata");
            if (go.clicked() || enter) && self.busy.is_none() {
                self.discover(jobs);
            }
        });
        if let Some(issuer) = sandbox {
            // The built-in sandbox runs: its protected API is one click away.
            let api = format!("{}{}", issuer.trim_end_matches('/'), SANDBOX_API_PATH);
            if self.url.trim() != api
                && ui
                    .add_enabled(
                        self.busy.is_none(),
                        egui::Button::new(format!("Use the sandbox's API ({api})")),
                    )
                    .on_hover_text("Fill in the built-in sandbox's protected API and discover it")
                    .clicked()
            {
                self.url = api;
                self.discover(jobs);
            }
        }
        if let Some(b) = &self.busy {
            let mut cancel = false;
            ui.horizontal_wrapped(|ui| {
                ui.spinner();
                ui.label(format!("Waiting for {}.", b.what));
                cancel = ui.button("Cancel").clicked();
            });
            if cancel {
                self.cancel();
            }
        }
        if let Some(e) = &self.error {
            ui.colored_label(ui.visuals().error_fg_color, e);
        }
        if !self.events.is_empty() {
            ui.add_space(4.0);
            ui.label(egui::RichText::new("Requests so far").strong());
            for ev in &self.events {
                if let FlowEvent::Exchange(ex) = ev {
                    let status = ex
                        .status()
                        .map_or_else(|| "no answer".to_owned(), |s| s.to_string());
                    ui.label(format!(
                        "{} {}  ({}): {status}",
                        ex.method(),
                        ex.request_view(false).url,
                        ex.step
                    ));
                }
            }
        }
        let found = self.found.clone()?;
        ui.separator();
        ui.label(egui::RichText::new("2. What the API said").strong());
        ui.label(format!(
            "Without a token: HTTP {}{}",
            found.status,
            found
                .challenge
                .as_deref()
                .map(|c| format!(", WWW-Authenticate: {c}"))
                .unwrap_or_default()
        ));
        ui.label(format!(
            "Protected resource metadata at {} ({}); its resource is the API's URL (RFC 9728 \
             §3.3).",
            found.metadata_url, found.metadata_source
        ));
        if !found.scopes.is_empty() {
            ui.label(format!("Scopes it supports: {}", found.scopes.join(" ")));
        }
        if found.servers.is_empty() {
            ui.colored_label(
                ui.visuals().error_fg_color,
                "The metadata names no authorization server: there is nowhere to get a token.",
            );
            return None;
        }
        ui.add_space(4.0);
        ui.label(egui::RichText::new("3. Authorization server").strong());
        for (i, s) in found.servers.iter().enumerate() {
            let text = match &s.discovered {
                Ok(Some(_)) => format!("{} (registration open)", inert(&s.issuer)),
                Ok(None) => format!("{} (no registration endpoint)", inert(&s.issuer)),
                Err(e) => format!("{}: discovery failed: {e}", inert(&s.issuer)),
            };
            ui.add_enabled(
                s.discovered.is_ok(),
                egui::RadioButton::new(self.server == i, text),
            )
            .clicked()
            .then(|| self.server = i);
        }
        let server = found
            .servers
            .get(self.server)
            .filter(|s| s.discovered.is_ok())?;
        ui.add_space(4.0);
        ui.label(egui::RichText::new("4. A client at that server").strong());
        ui.horizontal_wrapped(|ui| {
            let l = ui.label("Scope");
            // As wide as the page allows: the API's scopes are read in full.
            ui.add(
                egui::TextEdit::singleline(&mut self.scope)
                    .desired_width((ui.available_width() - 8.0).clamp(160.0, 640.0)),
            )
            .labelled_by(l.id);
        });
        let known: Vec<&Profile> = profiles
            .iter()
            .filter(|p| {
                p.issuer
                    .as_deref()
                    .is_some_and(|i| i.trim_end_matches('/') == server.issuer.trim_end_matches('/'))
                    && !p.client_id.is_empty()
            })
            .collect();
        let idle = self.busy.is_none();
        for p in &known {
            if ui
                .add_enabled(
                    idle,
                    egui::Button::new(format!("Sign in with profile {}", p.name)),
                )
                .on_hover_text("Use this stored client: no registration")
                .clicked()
            {
                let mut profile = (*p).clone();
                profile.resources = vec![found.resource.clone()];
                if !self.scope.trim().is_empty() {
                    profile.scope = Some(self.scope.trim().to_owned());
                }
                command = Some(ApiCommand::Run {
                    profile: Box::new(profile),
                    save: false,
                    resource: found.resource.clone(),
                    lead_in: self.events.clone(),
                    discovery: server.discovery.clone(),
                });
            }
        }
        match &server.discovered {
            Ok(Some(_)) => {
                ui.horizontal_wrapped(|ui| {
                    let l = ui.label("Initial access token (if the server wants one)");
                    ui.add(
                        egui::TextEdit::singleline(&mut self.initial_token)
                            .password(true)
                            .desired_width(200.0),
                    )
                    .labelled_by(l.id);
                });
                let name = new_profile_name(&found.resource, profiles);
                if ui
                    .add_enabled(idle, egui::Button::new("Register a client and sign in"))
                    .on_hover_text(format!(
                        "RFC 7591: a native public client with the redirect URI {REDIRECT_URI}, \
                         saved as the profile {name}"
                    ))
                    .clicked()
                {
                    self.register(jobs, name);
                }
            }
            Ok(None) if known.is_empty() => {
                ui.label(
                    "This server offers no registration endpoint: register a client there by \
                     hand and make a profile of it (Profiles).",
                );
            }
            _ => {}
        }
        if let Some(e) = &self.register_error {
            ui.colored_label(ui.visuals().error_fg_color, e);
        }
        // The end of section 4: after a discovery (or a refused registration) the next step
        // is brought into view once (a projector shows little of the page).
        let end = ui.label("");
        if std::mem::take(&mut self.scroll_to_next) {
            end.scroll_to_me(Some(egui::Align::Max));
        }
        command
    }
}

/// The built-in sandbox's protected API, under its issuer.
const SANDBOX_API_PATH: &str = "/api/resource";

/// The scope to ask for: the API's scopes, with `openid` first.
fn default_scope(scopes: &[String]) -> String {
    let mut s = vec!["openid".to_owned()];
    s.extend(scopes.iter().filter(|x| *x != "openid").cloned());
    s.join(" ")
}

/// A profile name for a client registered for `resource` that no stored profile has.
fn new_profile_name(resource: &str, profiles: &[Profile]) -> String {
    let host = Url::parse(resource)
        .ok()
        .and_then(|u| {
            u.host_str().map(|h| {
                format!(
                    "{h}{}",
                    u.port().map(|p| format!("-{p}")).unwrap_or_default()
                )
            })
        })
        .unwrap_or_else(|| "api".into());
    let base: String = format!("api {host}")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, ' ' | '-' | '_' | '.') {
                c
            } else {
                '-'
            }
        })
        .take(56)
        .collect();
    let taken = |n: &str| profiles.iter().any(|p| p.name == n);
    if !taken(&base) {
        return base;
    }
    (2..)
        .map(|i| format!("{base} {i}"))
        .find(|n| !taken(n))
        .unwrap_or(base)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_profile_name_is_free_and_valid() {
        let mut taken = vec![Profile::new("api 127.0.0.1-8080")];
        let n = new_profile_name("http://127.0.0.1:8080/api/resource", &taken);
        assert_eq!(n, "api 127.0.0.1-8080 2");
        assert!(grantscope_core::profile::store::valid_name(&n));
        taken.clear();
        assert_eq!(
            new_profile_name("https://api.example/x", &taken),
            "api api.example"
        );
    }

    #[test]
    fn the_scope_asks_for_openid_and_the_apis_scopes() {
        assert_eq!(
            default_scope(&["api:read".into(), "openid".into()]),
            "openid api:read"
        );
    }
}
