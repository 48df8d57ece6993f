//! The connection options every network command takes (DESIGN.md), layered over a saved
//! profile (flags win), completed by discovery, and turned into a ready [`Session`].

use std::time::Duration;

use clap::Args;

use crate::http::{HttpClient, HttpOptions};
use crate::oauth::discovery::{self, Discovery};
use crate::oauth::error::printable;
use crate::oauth::{AuthMethod, ClientConfig, FlowError, FlowEvent, PkceMode, Session};
use crate::profile::{Profile, ProfileStore};

#[derive(Debug, Clone, Default, Args)]
pub struct ConnectionArgs {
    /// Start from this saved profile; the flags below override its values.
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
    /// Issuer URL: endpoints come from its discovery document.
    #[arg(long, value_name = "URL")]
    pub issuer: Option<String>,
    #[arg(long, value_name = "URL")]
    pub token_endpoint: Option<String>,
    #[arg(long, value_name = "URL")]
    pub authorization_endpoint: Option<String>,
    #[arg(long, value_name = "URL")]
    pub device_authorization_endpoint: Option<String>,
    #[arg(long, value_name = "URL")]
    pub introspection_endpoint: Option<String>,
    #[arg(long, value_name = "URL")]
    pub revocation_endpoint: Option<String>,
    #[arg(long, value_name = "URL")]
    pub userinfo_endpoint: Option<String>,
    #[arg(long, value_name = "URL")]
    pub jwks_uri: Option<String>,
    #[arg(long, value_name = "ID")]
    pub client_id: Option<String>,
    /// The client secret (or set GRANTSCOPE_CLIENT_SECRET, which keeps it out of `ps`).
    #[arg(
        long,
        value_name = "SECRET",
        env = "GRANTSCOPE_CLIENT_SECRET",
        hide_env_values = true,
        allow_hyphen_values = true
    )]
    pub client_secret: Option<String>,
    /// client_secret_basic | client_secret_post | none (default: basic with a secret, none without).
    #[arg(long, value_name = "METHOD")]
    pub auth_method: Option<AuthMethod>,
    /// Space-separated scopes.
    #[arg(long)]
    pub scope: Option<String>,
    /// RFC 8707 resource indicator (repeatable).
    #[arg(long, value_name = "URI")]
    pub resource: Vec<String>,
    /// The non-standard `audience` parameter (Auth0, Okta).
    #[arg(long)]
    pub audience: Option<String>,
    /// Redirect URI (loopback http://127.0.0.1:PORT/path; default an ephemeral port).
    #[arg(long, value_name = "URI")]
    pub redirect_uri: Option<String>,
    /// S256 (default) | plain | off: plain and off only to test servers.
    #[arg(long, value_name = "MODE")]
    pub pkce: Option<PkceMode>,
    /// PKCE code verifier length, 43-128.
    #[arg(long, value_name = "N")]
    pub pkce_verifier_length: Option<usize>,
    /// Total time limit for each HTTP request, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 30.0)]
    pub timeout: f64,
    /// Time limit to connect, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 10.0)]
    pub connect_timeout: f64,
    /// Largest response body accepted, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = crate::http::DEFAULT_MAX_BODY)]
    pub max_body: usize,
    /// DANGEROUS: do not verify TLS certificates.
    #[arg(long)]
    pub insecure: bool,
    /// Show secrets (client secret, password, Authorization) in recorded exchanges.
    #[arg(long)]
    pub reveal_secrets: bool,
}

/// A usage or configuration problem (exit 2).
pub fn config_err(msg: impl Into<String>) -> FlowError {
    FlowError::Config(msg.into())
}

impl ConnectionArgs {
    /// The profile named by `--profile`, with the flags laid over it.
    pub fn merged_profile(&self) -> Result<Profile, FlowError> {
        let mut p = match &self.profile {
            Some(name) => {
                let store =
                    ProfileStore::default_location().map_err(|e| config_err(e.to_string()))?;
                store.load(name).map_err(|e| config_err(e.to_string()))?
            }
            None => Profile::default(),
        };
        self.apply_to(&mut p);
        Ok(p)
    }

    /// Lays the given flags over a profile.
    pub fn apply_to(&self, p: &mut Profile) {
        fn set(dst: &mut Option<String>, src: &Option<String>) {
            if let Some(v) = src {
                *dst = Some(v.clone());
            }
        }
        set(&mut p.issuer, &self.issuer);
        set(&mut p.token_endpoint, &self.token_endpoint);
        set(&mut p.authorization_endpoint, &self.authorization_endpoint);
        set(
            &mut p.device_authorization_endpoint,
            &self.device_authorization_endpoint,
        );
        set(&mut p.introspection_endpoint, &self.introspection_endpoint);
        set(&mut p.revocation_endpoint, &self.revocation_endpoint);
        set(&mut p.userinfo_endpoint, &self.userinfo_endpoint);
        set(&mut p.jwks_uri, &self.jwks_uri);
        set(&mut p.client_secret, &self.client_secret);
        set(&mut p.scope, &self.scope);
        set(&mut p.audience, &self.audience);
        set(&mut p.redirect_uri, &self.redirect_uri);
        if let Some(id) = &self.client_id {
            p.client_id = id.clone();
        }
        if let Some(m) = self.auth_method {
            p.auth_method = Some(m);
        }
        if !self.resource.is_empty() {
            p.resources = self.resource.clone();
        }
        if let Some(m) = self.pkce {
            p.pkce = m;
        }
    }

    pub fn http_options(&self) -> Result<HttpOptions, FlowError> {
        // try_from: a huge value (1e30) is a usage error, not a panic.
        let secs = |v: f64, name: &str| match Duration::try_from_secs_f64(v) {
            Ok(d) if v > 0.0 => Ok(d),
            _ => Err(config_err(format!(
                "--{name} must be a positive number of seconds"
            ))),
        };
        Ok(HttpOptions {
            connect_timeout: secs(self.connect_timeout, "connect-timeout")?,
            timeout: secs(self.timeout, "timeout")?,
            max_body_bytes: self.max_body,
            insecure_tls: self.insecure,
            ..HttpOptions::default()
        })
    }
}

/// A connection ready to use: the client settings, the discovery result, and a session.
pub struct Resolved {
    pub config: ClientConfig,
    pub discovery: Option<Discovery>,
    pub session: Session,
    pub reveal: bool,
}

/// How progress is reported on stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// One line per step and event (human mode).
    Verbose,
    /// Only the lines a person must act on (authorize:, verify:, user_code:), for --json.
    Essential,
}

/// Resolves flags + profile + discovery into a session. `needs` lists endpoints that must
/// exist at the end (e.g. "token_endpoint").
pub async fn resolve(args: &ConnectionArgs, progress: Progress) -> Result<Resolved, FlowError> {
    let profile = args.merged_profile()?;
    let mut config = profile
        .client_config()
        .map_err(|e| config_err(e.to_string()))?;
    config.pkce_verifier_len = args.pkce_verifier_length;
    let http_options = args.http_options()?;
    if http_options.insecure_tls {
        eprintln!(
            "WARNING: TLS certificate verification is OFF (--insecure). Anyone on the network path can read and change this traffic."
        );
    }
    let http = HttpClient::new(&http_options)?;
    let mut session =
        Session::new(http).with_observer(std::sync::Arc::new(move |e| print_event(&e, progress)));
    let mut discovered = None;
    if let Some(issuer) = config.endpoints.issuer.clone() {
        match discovery::discover(&mut session, &issuer).await {
            Ok(d) => {
                // Endpoints given by hand win over discovery.
                let given = config.endpoints.clone();
                config.endpoints = given.or(&d.endpoints);
                discovered = Some(d);
            }
            Err(e) if config.endpoints.token_endpoint.is_some() => {
                eprintln!("note: {e}; going on with the endpoints given by hand");
            }
            Err(e) => return Err(e),
        }
    }
    Ok(Resolved {
        config,
        discovery: discovered,
        session,
        reveal: args.reveal_secrets,
    })
}

/// Prints one flow event on stderr.
pub fn print_event(event: &FlowEvent, progress: Progress) {
    match event {
        FlowEvent::Authorize { url, opened } => {
            eprintln!("authorize: {url}");
            if *opened && progress == Progress::Verbose {
                eprintln!("  (opened in the system browser)");
            }
        }
        FlowEvent::DeviceCode {
            verification_uri,
            verification_uri_complete,
            user_code,
            expires_in,
        } => {
            // Server-supplied text: no terminal control sequences get through.
            eprintln!("verify: {}", printable(verification_uri));
            eprintln!("user_code: {}", printable(user_code));
            if let Some(c) = verification_uri_complete {
                eprintln!("verify_complete: {}", printable(c));
            }
            if progress == Progress::Verbose {
                eprintln!("  (the code expires in {expires_in} s)");
            }
        }
        _ if progress == Progress::Essential => {}
        FlowEvent::Started { step } => eprintln!("→ {step}"),
        FlowEvent::Exchange(ex) => {
            let url = ex.request_view(false).url;
            eprintln!("  {} {} → {}", ex.request.method, url, ex.summary());
        }
        FlowEvent::WaitingForRedirect { redirect_uri } => {
            eprintln!("waiting for the redirect on {redirect_uri} …")
        }
        FlowEvent::RedirectReceived { url } => eprintln!("redirect received: {url}"),
        FlowEvent::Polling { attempt, interval } => {
            eprintln!("polling (attempt {attempt}, every {interval} s) …")
        }
        FlowEvent::Note(n) => eprintln!("{n}"),
    }
}
