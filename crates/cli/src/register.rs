//! `grantscope register` (RFC 7591): registers a client at the server's registration
//! endpoint and prints it (its secret and registration access token masked unless
//! `--reveal-secrets`); `--save NAME` makes a profile of it, its secrets kept as the client
//! secret is. `grantscope register show|update|delete --profile NAME` (RFC 7592) manages a
//! saved registration with its registration access token.

use std::process::ExitCode;

use clap::{Args, Subcommand};
use serde_json::{Value, json};

use super::connection::{Progress, config_err, error_json, print_event};
use grantscope_core::http::MASK;
use grantscope_core::oauth::registration::{self, ClientRequest};
use grantscope_core::oauth::{AuthMethod, EndpointKind, FlowError, FlowEvent, Session};
use grantscope_core::profile::{Profile, ProfileStore, StoreError};
use grantscope_core::secret::{AccessToken, ClientSecret};
use grantscope_core::text::{inert, to_json_pretty};

#[derive(Debug, Clone, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct RegisterArgs {
    #[command(subcommand)]
    pub action: Option<RegisterAction>,
    #[command(flatten)]
    pub new: NewArgs,
}

#[derive(Debug, Clone, Subcommand)]
pub enum RegisterAction {
    /// Read a saved registration (RFC 7592 §2.1).
    Show(ManageArgs),
    /// Change a saved registration (RFC 7592 §2.2): reads it, changes what is asked, PUTs the
    /// whole record, and stores a rotated registration access token or secret.
    Update(ManageArgs),
    /// Delete a saved registration at the server (RFC 7592 §2.3); the profile stays, without
    /// its registration.
    Delete(ManageArgs),
}

/// The client metadata a registration or an update sets.
#[derive(Debug, Clone, Default, Args)]
pub struct MetadataArgs {
    /// A redirect URI (repeatable). Loopback ones (http://127.0.0.1/…) register the client as
    /// application_type native, so any port works (RFC 8252 §7.3).
    #[arg(long = "redirect-uri", value_name = "URI")]
    pub redirect_uris: Vec<String>,
    /// Where the provider may send the browser after logout (repeatable).
    #[arg(long = "post-logout-redirect-uri", value_name = "URI")]
    pub post_logout_redirect_uris: Vec<String>,
    /// A grant type (repeatable): authorization_code, refresh_token, client_credentials,
    /// urn:ietf:params:oauth:grant-type:device_code, urn:openid:params:grant-type:ciba, ...
    /// Default: authorization_code and refresh_token with a redirect URI, else
    /// client_credentials.
    #[arg(long = "grant-type", value_name = "G")]
    pub grant_types: Vec<String>,
    /// token_endpoint_auth_method: client_secret_basic, client_secret_post, private_key_jwt
    /// (with --signing-key), none, ...
    #[arg(long, value_name = "METHOD")]
    pub auth_method: Option<AuthMethod>,
    /// A stored key (`grantscope key list`) whose public JWK is registered in `jwks` (for
    /// private_key_jwt and signed request objects).
    #[arg(long, value_name = "NAME")]
    pub signing_key: Option<String>,
    /// A stored encryption key (`key generate NAME --use enc`) whose public JWK is registered,
    /// for encrypted ID tokens.
    #[arg(long, value_name = "NAME")]
    pub encryption_key: Option<String>,
    /// The client's name, shown to users on the consent page.
    #[arg(long, value_name = "N")]
    pub client_name: Option<String>,
    /// Space-separated scopes the client may ask for.
    #[arg(long, value_name = "S")]
    pub scope: Option<String>,
    /// The client's back-channel logout endpoint (OpenID Connect Back-Channel Logout).
    #[arg(long, value_name = "URI")]
    pub backchannel_logout_uri: Option<String>,
}

impl MetadataArgs {
    fn is_empty(&self) -> bool {
        self.redirect_uris.is_empty()
            && self.post_logout_redirect_uris.is_empty()
            && self.grant_types.is_empty()
            && self.auth_method.is_none()
            && self.signing_key.is_none()
            && self.encryption_key.is_none()
            && self.client_name.is_none()
            && self.scope.is_none()
            && self.backchannel_logout_uri.is_none()
    }

    /// The request: the given values, the keys' public JWKs read from the key store.
    fn request(&self, keys: &grantscope_core::keys::KeyStore) -> Result<ClientRequest, FlowError> {
        let jwk = |name: &Option<String>, what: &str| -> Result<Option<Value>, FlowError> {
            name.as_deref()
                .map(|n| {
                    keys.resolve(n)
                        .map(|k| k.public_jwk())
                        .map_err(|e| config_err(format!("{what} {n:?}: {e}")))
                })
                .transpose()
        };
        if self.auth_method == Some(AuthMethod::PrivateKeyJwt) && self.signing_key.is_none() {
            return Err(config_err(
                "private_key_jwt registers the client's public key: give --signing-key NAME \
                 (`grantscope key generate NAME --type ec-p256`)",
            ));
        }
        Ok(ClientRequest {
            redirect_uris: self.redirect_uris.clone(),
            post_logout_redirect_uris: self.post_logout_redirect_uris.clone(),
            grant_types: self.grant_types.clone(),
            auth_method: self.auth_method.map(|m| m.as_str().to_string()),
            client_name: self.client_name.clone(),
            scope: self.scope.clone(),
            backchannel_logout_uri: self.backchannel_logout_uri.clone(),
            signing_jwk: jwk(&self.signing_key, "--signing-key")?,
            encryption_jwk: jwk(&self.encryption_key, "--encryption-key")?,
        })
    }
}

#[derive(Debug, Clone, Args)]
pub struct NewArgs {
    /// The issuer: its discovery names the registration endpoint.
    #[arg(long, value_name = "URL")]
    pub issuer: Option<String>,
    /// The registration endpoint (overrides discovery; needed without --issuer).
    #[arg(long, value_name = "URL")]
    pub registration_endpoint: Option<String>,
    #[command(flatten)]
    pub metadata: MetadataArgs,
    /// An initial access token, for a server whose registration is not open (RFC 7591 §3).
    #[arg(
        long,
        value_name = "T",
        env = "GRANTSCOPE_INITIAL_ACCESS_TOKEN",
        hide_env_values = true
    )]
    pub initial_access_token: Option<String>,
    /// Save the registered client as a profile of this name (its secret and registration
    /// access token kept as the client secret is: the OS keychain where one answers).
    #[arg(long, value_name = "NAME")]
    pub save: Option<String>,
    #[command(flatten)]
    pub common: CommonArgs,
}

#[derive(Debug, Clone, Args)]
pub struct ManageArgs {
    /// The saved profile of the registration (made by `register --save NAME`).
    #[arg(long, value_name = "NAME")]
    pub profile: String,
    #[command(flatten)]
    pub metadata: MetadataArgs,
    #[command(flatten)]
    pub common: CommonArgs,
}

#[derive(Debug, Clone, Default, Args)]
pub struct CommonArgs {
    /// Print one JSON document on stdout.
    #[arg(long)]
    pub json: bool,
    /// Show the client secret and registration access token instead of masking them.
    #[arg(long)]
    pub reveal_secrets: bool,
    /// Extra trust roots (a PEM file of CA certificates) for a private or lab server.
    #[arg(long, value_name = "FILE")]
    pub ca_cert: Option<String>,
    /// Total time limit for each HTTP request, in seconds.
    #[arg(long, value_name = "SECS")]
    pub timeout: Option<f64>,
    /// DANGEROUS: do not verify TLS certificates.
    #[arg(long)]
    pub insecure: bool,
}

impl CommonArgs {
    fn apply(&self, p: &mut Profile) {
        if let Some(ca) = &self.ca_cert {
            p.http.ca_cert = Some(ca.clone());
        }
        if let Some(t) = self.timeout.filter(|t| *t > 0.0 && t.is_finite()) {
            p.http.timeout_secs = t;
        }
        if self.insecure {
            p.http.insecure_tls = true;
        }
    }
}

pub async fn run(args: RegisterArgs) -> ExitCode {
    let (json, result) = match args.action {
        None => (args.new.common.json, register_new(&args.new).await),
        Some(RegisterAction::Show(m)) => (m.common.json, manage(&m, Action::Show).await),
        Some(RegisterAction::Update(m)) => (m.common.json, manage(&m, Action::Update).await),
        Some(RegisterAction::Delete(m)) => (m.common.json, manage(&m, Action::Delete).await),
    };
    match result {
        Ok(code) => code,
        Err((e, exchanges)) => {
            if json {
                let doc = json!({ "ok": false, "error": error_json(&e), "exchanges": exchanges });
                println!("{}", to_json_pretty(&doc).unwrap_or_default());
            } else {
                eprintln!("error: {}", super::connection::describe(&e));
            }
            ExitCode::from(e.exit_code())
        }
    }
}

type Failure = (FlowError, Vec<Value>);

fn bare(e: FlowError) -> Failure {
    (e, Vec::new())
}

fn exchanges_of(session: &Session, reveal: bool) -> Vec<Value> {
    session
        .exchanges()
        .iter()
        .map(|e| e.to_json(reveal))
        .collect()
}

/// The registered client as shown: its secrets masked unless revealed.
fn shown(client: &Value, reveal: bool) -> Value {
    let mut out = client.clone();
    if !reveal && let Some(map) = out.as_object_mut() {
        for name in ["client_secret", "registration_access_token"] {
            if map.get(name).is_some_and(Value::is_string) {
                map.insert(name.into(), json!(MASK));
            }
        }
    }
    out
}

fn print_client(client: &Value, reveal: bool, heading: &str) {
    println!("{heading}");
    if let Some(map) = shown(client, reveal).as_object() {
        for (k, v) in map {
            let text = v
                .as_str()
                .map(String::from)
                .unwrap_or_else(|| v.to_string());
            println!("  {k:32} {}", inert(&text));
        }
    }
}

fn store() -> Result<ProfileStore, FlowError> {
    ProfileStore::default_location().map_err(|e| config_err(e.to_string()))
}

fn key_store() -> Result<grantscope_core::keys::KeyStore, FlowError> {
    grantscope_core::keys::KeyStore::open_default().map_err(|e| config_err(e.to_string()))
}

/// Lays a registration answer over a profile: client id, secret, auth method, redirect URI,
/// scope, the registration's URI and token.
fn fill_profile(p: &mut Profile, client: &Value, metadata: &MetadataArgs) {
    let s = |name: &str| client.get(name).and_then(Value::as_str).map(String::from);
    if let Some(id) = s("client_id") {
        p.client_id = id;
    }
    if let Some(secret) = s("client_secret") {
        p.client_secret = Some(ClientSecret::new(secret));
    }
    if let Some(method) = s("token_endpoint_auth_method").and_then(|m| m.parse().ok()) {
        p.auth_method = Some(method);
    }
    if let Some(key) = &metadata.signing_key {
        p.auth.signing_key = Some(key.clone());
    }
    if let Some(key) = &metadata.encryption_key {
        p.decryption_keys = vec![key.clone()];
    }
    if let Some(uri) = client
        .get("redirect_uris")
        .and_then(Value::as_array)
        .and_then(|a| a.first())
        .and_then(Value::as_str)
    {
        p.redirect_uri = Some(uri.to_string());
    }
    if let Some(scope) = s("scope") {
        p.scope = Some(scope);
    }
    if let Some(uri) = s("registration_client_uri") {
        p.registration_client_uri = Some(uri);
    }
    if let Some(token) = s("registration_access_token") {
        p.registration_access_token = Some(AccessToken::new(token));
    }
}

async fn register_new(args: &NewArgs) -> Result<ExitCode, Failure> {
    if args.issuer.is_none() && args.registration_endpoint.is_none() {
        return Err(bare(config_err(
            "give --issuer (its discovery names the registration endpoint) or \
             --registration-endpoint",
        )));
    }
    let store = match &args.save {
        Some(name) => {
            if !grantscope_core::profile::store::valid_name(name) {
                return Err(bare(config_err(format!(
                    "--save {name:?}: a profile name is letters, digits, spaces, '-', '_' and '.' (64 at most, not starting with '.')"
                ))));
            }
            let store = store().map_err(bare)?;
            if store.exists(name) {
                return Err(bare(config_err(format!(
                    "a profile {name:?} exists already: choose another --save name, or \
                     `grantscope profile delete {name}` first"
                ))));
            }
            Some(store)
        }
        None => None,
    };
    let keys = key_store().map_err(bare)?;
    let request = args.metadata.request(&keys).map_err(bare)?;
    let mut profile = Profile {
        issuer: args.issuer.clone(),
        registration_endpoint: args.registration_endpoint.clone(),
        ..Profile::default()
    };
    args.common.apply(&mut profile);
    let json = args.common.json;
    let reveal = args.common.reveal_secrets;
    let conn = grantscope_core::connect::connect(
        &profile,
        &keys,
        &[EndpointKind::Registration],
        Some(observer(json)),
    )
    .await
    .map_err(bare)?;
    let mut session = conn.session;
    let Some(endpoint) = conn.config.endpoints.registration_endpoint.clone() else {
        let e = FlowError::missing(
            "register",
            grantscope_core::oauth::Missing::Endpoint(EndpointKind::Registration),
        );
        return Err((e, exchanges_of(&session, reveal)));
    };
    let metadata = request.metadata();
    let initial = args.initial_access_token.clone().map(AccessToken::new);
    let client =
        match registration::register(&mut session, &endpoint, &metadata, initial.as_ref()).await {
            Ok(c) => c,
            Err(e) => return Err((e, exchanges_of(&session, reveal))),
        };
    let mut saved = None;
    if let (Some(store), Some(name)) = (&store, &args.save) {
        let mut p = Profile::new(name);
        p.issuer = args.issuer.clone();
        p.registration_endpoint = args.registration_endpoint.clone();
        args.common.apply(&mut p);
        fill_profile(&mut p, &client, &args.metadata);
        p.description = Some(format!("registered at {} (RFC 7591)", endpoint.as_str()));
        match store.save(&p) {
            Ok(path) => saved = Some(path),
            Err(e) => {
                return Err((
                    config_err(format!(
                        "the client was registered ({}), but saving the profile failed: {e}",
                        client["client_id"]
                    )),
                    exchanges_of(&session, reveal),
                ));
            }
        }
    }
    if json {
        let doc = json!({
            "ok": true, "error": null,
            "registration_endpoint": endpoint.as_str(),
            "request": metadata,
            "client": shown(&client, reveal),
            "profile": args.save,
            "exchanges": exchanges_of(&session, reveal),
        });
        println!("{}", to_json_pretty(&doc).unwrap_or_default());
    } else {
        print_client(&client, reveal, "registered client:");
        if let (Some(path), Some(name)) = (&saved, &args.save) {
            eprintln!("saved profile {name:?} to {}", path.display());
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn observer(json: bool) -> grantscope_core::oauth::session::Observer {
    let progress = if json {
        Progress::Essential
    } else {
        Progress::Verbose
    };
    std::sync::Arc::new(move |e: FlowEvent| print_event(&e, progress))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    Show,
    Update,
    Delete,
}

async fn manage(args: &ManageArgs, action: Action) -> Result<ExitCode, Failure> {
    let store = store().map_err(bare)?;
    let mut profile = match store.load(&args.profile) {
        Ok(p) => p,
        Err(StoreError::NotFound(_)) => {
            return Err(bare(config_err(format!(
                "no profile {:?} (`grantscope profile list`)",
                args.profile
            ))));
        }
        Err(e) => return Err(bare(config_err(e.to_string()))),
    };
    let (Some(uri), Some(token)) = (
        profile.registration_client_uri.clone(),
        profile.registration_access_token.clone(),
    ) else {
        return Err(bare(config_err(format!(
            "profile {:?} holds no registration to manage (no registration_client_uri and \
             registration access token: it was not made by `register --save`, or the server \
             offers no management, RFC 7592)",
            args.profile
        ))));
    };
    let uri = url::Url::parse(&uri)
        .map_err(|e| bare(config_err(format!("registration_client_uri {uri:?}: {e}"))))?;
    if action != Action::Update && !args.metadata.is_empty() {
        return Err(bare(config_err(
            "client metadata flags (--client-name, --redirect-uri, …) only go with `register update`",
        )));
    }
    let keys = key_store().map_err(bare)?;
    let changes = args.metadata.request(&keys).map_err(bare)?;
    let json = args.common.json;
    let reveal = args.common.reveal_secrets;
    let mut http_profile = Profile {
        http: profile.http.clone(),
        ..Profile::default()
    };
    args.common.apply(&mut http_profile);
    let conn = grantscope_core::connect::connect(&http_profile, &keys, &[], Some(observer(json)))
        .await
        .map_err(bare)?;
    let mut session = conn.session;
    let fail = |e: FlowError, s: &Session| (e, exchanges_of(s, reveal));
    let current = match registration::read(&mut session, &uri, &token).await {
        Ok(c) => c,
        Err(e) => return Err(fail(e, &session)),
    };
    let (result, heading) = match action {
        Action::Show => (current, "registration:"),
        Action::Delete => {
            if let Err(e) = registration::delete(&mut session, &uri, &token).await {
                return Err(fail(e, &session));
            }
            profile.registration_client_uri = None;
            profile.registration_access_token = None;
            if let Err(e) = store.save(&profile) {
                return Err(fail(
                    config_err(format!(
                        "the registration was deleted, but saving the profile failed: {e}"
                    )),
                    &session,
                ));
            }
            (Value::Null, "deleted")
        }
        Action::Update => {
            let body =
                registration::update_body(&current, &update_changes(&args.metadata, &changes));
            let updated = match registration::update(&mut session, &uri, &token, &body).await {
                Ok(u) => u,
                Err(e) => return Err(fail(e, &session)),
            };
            fill_profile(&mut profile, &updated, &args.metadata);
            if let Err(e) = store.save(&profile) {
                return Err(fail(
                    config_err(format!(
                        "the registration was updated, but saving the profile failed: {e}"
                    )),
                    &session,
                ));
            }
            (updated, "updated registration:")
        }
    };
    if json {
        let doc = json!({
            "ok": true, "error": null,
            "action": match action { Action::Show => "show", Action::Update => "update", Action::Delete => "delete" },
            "registration_client_uri": uri.as_str(),
            "client": shown(&result, reveal),
            "profile": args.profile,
            "exchanges": exchanges_of(&session, reveal),
        });
        println!("{}", to_json_pretty(&doc).unwrap_or_default());
    } else if action == Action::Delete {
        eprintln!(
            "deleted the registration of {:?} at the server; profile {:?} no longer holds one",
            inert(&profile.client_id),
            args.profile
        );
    } else {
        print_client(&result, reveal, heading);
    }
    Ok(ExitCode::SUCCESS)
}

/// Only what the user asked to change (the defaults a fresh registration fills in, such as
/// the grant types, are not changes).
fn update_changes(asked: &MetadataArgs, request: &ClientRequest) -> Value {
    let full = request.metadata();
    let mut out = serde_json::Map::new();
    let mut take = |name: &str, given: bool| {
        if given && let Some(v) = full.get(name) {
            out.insert(name.to_string(), v.clone());
        }
    };
    take("redirect_uris", !asked.redirect_uris.is_empty());
    take("application_type", !asked.redirect_uris.is_empty());
    take(
        "post_logout_redirect_uris",
        !asked.post_logout_redirect_uris.is_empty(),
    );
    take("grant_types", !asked.grant_types.is_empty());
    take("response_types", !asked.grant_types.is_empty());
    take("token_endpoint_auth_method", asked.auth_method.is_some());
    take("client_name", asked.client_name.is_some());
    take("scope", asked.scope.is_some());
    take(
        "backchannel_logout_uri",
        asked.backchannel_logout_uri.is_some(),
    );
    take(
        "jwks",
        asked.signing_key.is_some() || asked.encryption_key.is_some(),
    );
    Value::Object(out)
}
