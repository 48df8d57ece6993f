//! The connection options every network command takes (DESIGN.md), layered over a saved
//! profile (flags win), and handed to the core's one way in, [`grantscope_core::connect`]. Also the
//! command line's wording of the core's typed errors: a missing setting is named by its flag.

use clap::Args;
use serde_json::Value;

use grantscope_core::keys::JwsAlg;
use grantscope_core::oauth::assertion::AssertionAudience;
use grantscope_core::oauth::discovery::Discovery;
use grantscope_core::oauth::error::printable;
use grantscope_core::oauth::{
    self, AuthMethod, ClientConfig, EndpointKind, FlowError, FlowEvent, GrantInput, Missing,
    PkceMode, Session,
};
use grantscope_core::profile::{Profile, ProfileStore};
use grantscope_core::secret::ClientSecret;

/// The endpoint flags: one per row of the core's endpoint registry
/// ([`grantscope_core::oauth::endpoint::ENDPOINTS`]), named by its `cli_flag`, with the
/// metadata name as the argument's id. A new endpoint is a row there, not a flag here.
#[derive(Debug, Clone, Default)]
pub struct EndpointArgs(pub Vec<(EndpointKind, String)>);

impl EndpointArgs {
    /// The URL given for `kind`, if any.
    pub fn get(&self, kind: EndpointKind) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| *k == kind)
            .map(|(_, v)| v.as_str())
    }
}

impl clap::FromArgMatches for EndpointArgs {
    fn from_arg_matches(matches: &clap::ArgMatches) -> Result<Self, clap::Error> {
        let mut args = EndpointArgs::default();
        args.update_from_arg_matches(matches)?;
        Ok(args)
    }

    fn update_from_arg_matches(&mut self, matches: &clap::ArgMatches) -> Result<(), clap::Error> {
        for kind in EndpointKind::ALL {
            if let Some(url) = matches.get_one::<String>(kind.metadata_name()) {
                self.0.retain(|(k, _)| *k != kind);
                self.0.push((kind, url.clone()));
            }
        }
        Ok(())
    }
}

/// The help line of an endpoint's flag (every row of the registry has one: the match is
/// exhaustive).
fn endpoint_help(kind: EndpointKind) -> &'static str {
    match kind {
        EndpointKind::Token => {
            "Token endpoint (overrides the discovered one; needed without --issuer)"
        }
        EndpointKind::Authorization => {
            "Authorization endpoint, for the authorization code grant (overrides discovery)"
        }
        EndpointKind::DeviceAuthorization => {
            "Device authorization endpoint, for the device grant (RFC 8628; overrides discovery)"
        }
        EndpointKind::Introspection => "Introspection endpoint (RFC 7662; overrides discovery)",
        EndpointKind::Revocation => "Revocation endpoint (RFC 7009; overrides discovery)",
        EndpointKind::Userinfo => "Userinfo endpoint (OpenID Connect; overrides discovery)",
        EndpointKind::Jwks => {
            "JWKS URL: the server's public keys, to verify the tokens it signs (overrides discovery)"
        }
        EndpointKind::PushedAuthorization => {
            "RFC 9126 pushed authorization request endpoint (usually from discovery)"
        }
        EndpointKind::Registration => {
            "RFC 7591 dynamic client registration endpoint, for `register` (overrides discovery)"
        }
        EndpointKind::BackchannelAuthentication => {
            "CIBA backchannel authentication endpoint, for `token ciba` (overrides discovery)"
        }
        EndpointKind::EndSession => {
            "RP-initiated logout's end session endpoint, for `logout` (overrides discovery)"
        }
    }
}

impl Args for EndpointArgs {
    fn augment_args(cmd: clap::Command) -> clap::Command {
        // The token endpoint first, as the help has always listed it; then the registry's order.
        let order = std::iter::once(EndpointKind::Token).chain(
            EndpointKind::ALL
                .into_iter()
                .filter(|k| *k != EndpointKind::Token),
        );
        order.fold(cmd, |cmd, kind| {
            let arg = clap::Arg::new(kind.metadata_name())
                .long(kind.cli_flag().trim_start_matches("--"))
                .value_name("URL")
                .help(endpoint_help(kind))
                .action(clap::ArgAction::Set);
            cmd.arg(arg)
        })
    }

    fn augment_args_for_update(cmd: clap::Command) -> clap::Command {
        Self::augment_args(cmd)
    }
}

#[derive(Debug, Clone, Default, Args)]
pub struct ConnectionArgs {
    /// Start from this saved profile; the flags below override its values.
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
    /// Issuer URL: endpoints come from its discovery document.
    #[arg(long, value_name = "URL")]
    pub issuer: Option<String>,
    /// One flag per row of the core's endpoint registry (`--token-endpoint URL`, ...).
    #[command(flatten)]
    pub endpoints: EndpointArgs,
    /// Authorization code: push the authorization request (RFC 9126) and send only a
    /// request_uri through the browser. On by itself when the server requires it.
    #[arg(long)]
    pub par: bool,
    /// The client's id, as registered at the server.
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
    pub client_secret: Option<ClientSecret>,
    /// client_secret_basic | client_secret_post | private_key_jwt | client_secret_jwt |
    /// tls_client_auth | self_signed_tls_client_auth | none (default: basic with a secret, none
    /// without).
    #[arg(long, value_name = "METHOD")]
    pub auth_method: Option<AuthMethod>,
    /// private_key_jwt and JWT bearer: a stored key's name (`grantscope key list`) or a key file
    /// (PEM, or a JWK/JWKS with the private part).
    #[arg(long, value_name = "NAME_OR_FILE")]
    pub signing_key: Option<String>,
    /// The client assertion's alg (default: the key's; HS256 for client_secret_jwt).
    #[arg(long, value_name = "ALG")]
    pub signing_alg: Option<JwsAlg>,
    /// The client assertion's aud: issuer (default; the token endpoint when no issuer is
    /// known, said on stderr), token-endpoint, or a URL.
    #[arg(long, value_name = "token-endpoint|issuer|URL")]
    pub assertion_audience: Option<AssertionAudience>,
    /// Mutual TLS: the client certificate (PEM file, with --client-key), or a stored key's name
    /// that has a certificate. Presented on every call of the connection.
    #[arg(long, value_name = "FILE_OR_NAME")]
    pub client_cert: Option<String>,
    /// Mutual TLS: the client certificate's private key (PEM file).
    #[arg(long, value_name = "FILE", requires = "client_cert")]
    pub client_key: Option<String>,
    /// Extra trust roots (a PEM file of CA certificates) for a private or lab server.
    #[arg(long, value_name = "FILE")]
    pub ca_cert: Option<String>,
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
    /// Total time limit for each HTTP request, in seconds (default 30, or the profile's).
    #[arg(long, value_name = "SECS")]
    pub timeout: Option<f64>,
    /// Time limit to connect, in seconds (default 10, or the profile's).
    #[arg(long, value_name = "SECS")]
    pub connect_timeout: Option<f64>,
    /// Largest response body accepted, in bytes (default 1 MiB, or the profile's).
    #[arg(long, value_name = "BYTES")]
    pub max_body: Option<usize>,
    /// DANGEROUS: do not verify TLS certificates.
    #[arg(long)]
    pub insecure: bool,
    /// Authorization code: the response type — code (default); `token`, `id_token token`
    /// (implicit) and `code id_token`, `code token`, `code id_token token` (hybrid) are
    /// deprecated and flagged: the tokens travel through the browser.
    #[arg(long, value_name = "TYPE")]
    pub response_type: Option<String>,
    /// Authorization code: the response mode — query, fragment, form_post, or JARM (signed
    /// responses, verified before use): jwt, query.jwt, fragment.jwt, form_post.jwt.
    #[arg(long, value_name = "MODE", value_parser = ["query", "fragment", "form_post", "jwt", "query.jwt", "fragment.jwt", "form_post.jwt"])]
    pub response_mode: Option<String>,
    /// RFC 9396 authorization details: a JSON array, or @FILE to read it from a file.
    #[arg(long, value_name = "JSON|@FILE")]
    pub authorization_details: Option<String>,
    /// Authorization code: send the authorization request as a signed request object
    /// (RFC 9101), with --signing-key, else HS256 with the client secret.
    #[arg(long)]
    pub request_object: bool,
    /// DANGEROUS, a probe of the server: an unsigned request object (`alg: none`).
    #[arg(long, conflicts_with = "request_object")]
    pub request_object_none: bool,
    /// An authorization request parameter, NAME=VALUE, added or overriding (repeatable;
    /// `NAME=` removes one): prompt, login_hint, acr_values, max_age, claims, ...
    #[arg(long = "param", value_name = "NAME=VALUE", value_parser = name_value)]
    pub params: Vec<(String, String)>,
    /// A token request parameter, NAME=VALUE, added or overriding (repeatable).
    #[arg(long = "token-param", value_name = "NAME=VALUE", value_parser = name_value)]
    pub token_params: Vec<(String, String)>,
    /// DPoP (RFC 9449): prove possession of a key on token requests and API calls.
    #[arg(long)]
    pub dpop: bool,
    /// The DPoP key: a stored key's name (`grantscope key list`) or a key file; implies
    /// --dpop. Default: a fresh ES256 key for this run.
    #[arg(long, value_name = "NAME")]
    pub dpop_key: Option<String>,
    /// The client's decryption key for encrypted tokens (JWE ID tokens, JARM responses,
    /// userinfo and introspection JWTs): a stored key's name (`grantscope key generate NAME
    /// --use enc`) or a key file (PEM, private JWK or JWKS); repeatable, tried in order.
    #[arg(long = "decryption-key", value_name = "NAME_OR_FILE")]
    pub decryption_keys: Vec<String>,
    /// Show secrets (client secret, password, Authorization) in recorded exchanges.
    #[arg(long)]
    pub reveal_secrets: bool,
}

/// `NAME=VALUE` for --param and --token-param.
fn name_value(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_string(), v.to_string())),
        _ => Err(format!("{s:?} is not NAME=VALUE")),
    }
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
        if let Some(given) = &self.authorization_details {
            let text = match given.strip_prefix('@') {
                Some(path) => std::fs::read_to_string(path).map_err(|e| {
                    config_err(format!("--authorization-details: cannot read {path}: {e}"))
                })?,
                None => given.clone(),
            };
            let details = grantscope_core::oauth::config::parse_authorization_details(&text)
                .map_err(|e| config_err(format!("--authorization-details: {e}")))?;
            p.authorization_details = Some(details);
        }
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
        for (kind, url) in &self.endpoints.0 {
            *p.endpoint_mut(*kind) = Some(url.clone());
        }
        if self.par {
            p.par = true;
        }
        if let Some(s) = &self.client_secret {
            p.client_secret = Some(s.clone());
        }
        set(&mut p.scope, &self.scope);
        set(&mut p.audience, &self.audience);
        set(&mut p.redirect_uri, &self.redirect_uri);
        if let Some(id) = &self.client_id {
            p.client_id = id.clone();
        }
        if let Some(m) = self.auth_method {
            p.auth_method = Some(m);
        }
        set(&mut p.auth.signing_key, &self.signing_key);
        if let Some(alg) = self.signing_alg {
            p.auth.signing_alg = Some(alg);
        }
        if let Some(aud) = &self.assertion_audience {
            p.auth.assertion_audience = Some(aud.clone());
        }
        if let Some(cert) = &self.client_cert {
            p.http.client_cert = Some(cert.clone());
            // A certificate given without a key file names a stored key (or a combined PEM).
            p.http.client_key = self.client_key.clone();
        }
        set(&mut p.http.ca_cert, &self.ca_cert);
        if !self.resource.is_empty() {
            p.resources = self.resource.clone();
        }
        if let Some(m) = self.pkce {
            p.pkce = m;
        }
        if let Some(n) = self.pkce_verifier_length {
            p.pkce_verifier_length = Some(n);
        }
        if let Some(t) = self.timeout {
            p.http.timeout_secs = t;
        }
        if let Some(t) = self.connect_timeout {
            p.http.connect_timeout_secs = t;
        }
        if let Some(b) = self.max_body {
            p.http.max_body_bytes = b;
        }
        if self.insecure {
            p.http.insecure_tls = true;
        }
        if let Some(t) = &self.response_type {
            p.response_type = Some(t.clone());
        }
        if let Some(m) = &self.response_mode {
            p.response_mode = Some(m.clone());
        }
        if self.request_object {
            p.request_object = grantscope_core::oauth::request_object::RequestObject::Signed;
        }
        if self.request_object_none {
            p.request_object = grantscope_core::oauth::request_object::RequestObject::Unsigned;
        }
        if !self.params.is_empty() {
            p.authorize_params = self.params.clone();
        }
        if !self.token_params.is_empty() {
            p.token_params = self.token_params.clone();
        }
        if self.dpop || self.dpop_key.is_some() {
            p.dpop = true;
        }
        if let Some(k) = &self.dpop_key {
            p.dpop_key = Some(k.clone());
        }
        if !self.decryption_keys.is_empty() {
            p.decryption_keys = self.decryption_keys.clone();
        }
    }

    /// Checks the transport flags, naming the flag that is wrong.
    fn check_http_flags(&self) -> Result<(), FlowError> {
        let secs = |v: Option<f64>, name: &str| match v {
            Some(v) if !(v > 0.0 && std::time::Duration::try_from_secs_f64(v).is_ok()) => Err(
                config_err(format!("--{name} must be a positive number of seconds")),
            ),
            _ => Ok(()),
        };
        secs(self.timeout, "timeout")?;
        secs(self.connect_timeout, "connect-timeout")?;
        if self.max_body == Some(0) {
            return Err(config_err("--max-body must be at least 1 byte"));
        }
        Ok(())
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

/// Resolves flags + profile into a connection through [`grantscope_core::connect`]; `wants` lists the
/// endpoints the command will call (discovery reads the second metadata document for them).
pub async fn resolve(
    args: &ConnectionArgs,
    progress: Progress,
    wants: &[EndpointKind],
) -> Result<Resolved, FlowError> {
    resolve_explained(args, progress, wants, None).await
}

/// [`resolve`], printing each step's explanation ([`grantscope_core::steps`]) before its request when
/// `explain` names the grant being run (`token GRANT --explain`).
pub async fn resolve_explained(
    args: &ConnectionArgs,
    progress: Progress,
    wants: &[EndpointKind],
    explain: Option<grantscope_core::oauth::GrantKind>,
) -> Result<Resolved, FlowError> {
    args.check_http_flags()?;
    let profile = args.merged_profile()?;
    if profile.request_object == grantscope_core::oauth::request_object::RequestObject::Unsigned {
        eprintln!(
            "WARNING: the authorization request goes as an UNSIGNED request object (alg: none), to probe the server; a server should refuse it (RFC 9101 §10.2)."
        );
    }
    if profile.http.insecure_tls {
        eprintln!(
            "WARNING: TLS certificate verification is OFF (--insecure). Anyone on the network path can read and change this traffic."
        );
    }
    // The notes made while connecting are printed once, below, from the connection itself.
    let connecting = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let still_connecting = connecting.clone();
    let observer: oauth::session::Observer = std::sync::Arc::new(move |e| {
        if matches!(e, FlowEvent::Note(_))
            && still_connecting.load(std::sync::atomic::Ordering::Relaxed)
        {
            return;
        }
        if let Some(grant) = explain {
            print_explanation(&e, grant);
        }
        print_event(&e, progress)
    });
    let keys = grantscope_core::keys::KeyStore::open_default()
        .map_err(|e| FlowError::Config(e.to_string()))?;
    let conn = grantscope_core::connect::connect(&profile, &keys, wants, Some(observer)).await?;
    connecting.store(false, std::sync::atomic::Ordering::Relaxed);
    print_notes(&conn.notes);
    Ok(Resolved {
        config: conn.config,
        discovery: conn.discovery,
        session: conn.session,
        reveal: args.reveal_secrets,
    })
}

/// The connection's notes (discovery failed but the endpoints given by hand are used; mutual
/// TLS without `mtls_endpoint_aliases`, ...) on stderr, in every mode (`--json` too): each
/// once, with its own `warning:` or `note:`.
fn print_notes(notes: &[String]) {
    for note in notes {
        let note = grantscope_core::text::inert(note);
        if note.starts_with("warning:") || note.starts_with("note:") {
            eprintln!("{note}");
        } else {
            eprintln!("note: {note}");
        }
    }
}

/// The command line's flag for an endpoint (the endpoint registry's row).
pub fn endpoint_flag(kind: EndpointKind) -> &'static str {
    kind.cli_flag()
}

/// A missing setting, worded with the flag that gives it.
pub fn missing_words(what: &Missing) -> String {
    match what {
        Missing::Endpoint(k) => format!(
            "no {} is known: give --issuer (its discovery documents name it) or {}",
            k.title(),
            endpoint_flag(*k)
        ),
        Missing::AnyEndpoint(ks) => format!(
            "none of these is known: {}; give --issuer or {}",
            ks.iter().map(|k| k.title()).collect::<Vec<_>>().join(", "),
            ks.iter()
                .map(|k| endpoint_flag(*k))
                .collect::<Vec<_>>()
                .join(" or ")
        ),
        Missing::ClientId => "give --client-id".into(),
        Missing::ClientCertificate => "it presents a client certificate on every call: give the \
                                       certificate and its key (--client-cert FILE --client-key \
                                       FILE, or --client-cert NAME of a stored key)"
            .into(),
        Missing::ConfidentialClient => "it needs a confidential client: give --client-secret (and --auth-method client_secret_basic or client_secret_post)".into(),
        Missing::Input(i) => match i {
            GrantInput::RefreshToken => "give --refresh-token (or GRANTSCOPE_REFRESH_TOKEN)".into(),
            GrantInput::Username => "give --username".into(),
            GrantInput::Password => "give --password (or GRANTSCOPE_PASSWORD)".into(),
            GrantInput::RedirectUri => "give the registered --redirect-uri".into(),
            GrantInput::Token => "give the token as an argument, or `-` to read it from stdin".into(),
            GrantInput::SigningKey => {
                "give --signing-key NAME_OR_FILE (see `grantscope key list`)".into()
            }
            GrantInput::Assertion => {
                "give --assertion JWT, or --assertion-claims JSON with --signing-key".into()
            }
            GrantInput::SubjectToken => {
                "give --subject-token and --subject-token-type".into()
            }
            GrantInput::LoginHint => "give --login-hint (the user the provider is to reach)".into(),
            GrantInput::ActorToken => {
                "an actor token needs its type, and a type needs its token (--actor-token with \
                 --actor-token-type)"
                    .into()
            }
        },
    }
}

/// The core's advice for a TLS failure, however deep in a message (discovery wraps it), said
/// with the flag that follows it.
pub fn with_flags(text: &str) -> String {
    use grantscope_core::http::{ADVICE_CLIENT_CERT, ADVICE_TRUST_CA};
    text.replace(ADVICE_TRUST_CA, "trust its CA with --ca-cert FILE")
        .replace(
            ADVICE_CLIENT_CERT,
            "it may require a client certificate (--client-cert/--client-key)",
        )
}

/// An error as the command line says it: a missing setting names its flag.
pub fn describe(e: &FlowError) -> String {
    let text = match e {
        FlowError::Missing { needed_by, what } => format!("{needed_by}: {}", missing_words(what)),
        other => with_flags(&other.to_string()),
    };
    // Server text (descriptions, page titles) may ride in an error: shown inert.
    grantscope_core::text::inert(&text).into_owned()
}

/// `--har FILE`: writes the exchanges of the run as HAR 1.2 (masked like every other view
/// unless `reveal`), owner-only and atomically through the core's private-file writer.
pub fn write_har(
    path: &std::path::Path,
    exchanges: &[grantscope_core::http::Exchange],
    reveal: bool,
) -> Result<(), String> {
    let har = grantscope_core::http::to_har(exchanges, reveal);
    let mut text = serde_json::to_string_pretty(&har).map_err(|e| e.to_string())?;
    text.push('\n');
    grantscope_core::private_file::write_private(path, text.as_bytes())
        .map_err(|e| format!("cannot write the HAR file {}: {e}", path.display()))
}

/// The one JSON error shape of every command's `--json` (DESIGN.md).
pub fn error_json(e: &FlowError) -> Value {
    e.to_json_with(describe(e))
}

/// Before a request (or the browser's visit), what the step is for, on stderr.
fn print_explanation(event: &FlowEvent, grant: grantscope_core::oauth::GrantKind) {
    let step = match event {
        FlowEvent::Started { step } => step.as_str(),
        FlowEvent::Authorize { .. } => grantscope_core::steps::AUTHORIZE,
        _ => return,
    };
    if let Some(text) = grantscope_core::steps::explain(step, Some(grant)) {
        for line in text.to_lines() {
            eprintln!("{line}");
        }
    }
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
        FlowEvent::Backchannel {
            auth_req_id,
            expires_in,
            waiting_for,
        } => {
            // Server-supplied text: no terminal control sequences get through.
            eprintln!("auth_req_id: {}", printable(auth_req_id));
            eprintln!("waiting: for {waiting_for} (expires in {expires_in} s; Ctrl+C cancels)");
        }
        _ if progress == Progress::Essential => {}
        FlowEvent::Started { step } => eprintln!("→ {step}"),
        FlowEvent::Exchange(ex) => {
            let url = ex.request_view(false).url;
            eprintln!("  {} {} → {}", ex.method(), url, with_flags(&ex.summary()));
        }
        FlowEvent::WaitingForRedirect { redirect_uri } => {
            eprintln!("waiting for the redirect on {redirect_uri} …")
        }
        FlowEvent::RedirectReceived { url } => eprintln!("redirect received: {url}"),
        // The browser's leg (grantscope did not send it; not among the exchanges).
        FlowEvent::BrowserRedirect { redirect, .. } => {
            eprintln!("  (the browser) redirected to {redirect}")
        }
        FlowEvent::Polling { attempt, interval } => {
            eprintln!("polling (attempt {attempt}, every {interval} s) …")
        }
        FlowEvent::Note(n) => eprintln!("{n}"),
    }
}

/// The HTTP client of a command whose only network option is `--timeout SECS` (key fetching
/// for `inspect` and `forge`): a positive number of seconds, else a usage error.
pub(crate) fn http_with_timeout(secs: f64) -> Result<grantscope_core::http::HttpClient, String> {
    // try_from: a huge value (1e30) is a usage error, not a panic.
    let timeout = match std::time::Duration::try_from_secs_f64(secs) {
        Ok(d) if secs > 0.0 => d,
        _ => return Err("--timeout must be a positive number of seconds".into()),
    };
    grantscope_core::http::HttpClient::new(&grantscope_core::http::HttpOptions {
        timeout,
        ..grantscope_core::http::HttpOptions::default()
    })
    .map_err(|e| e.to_string())
}
