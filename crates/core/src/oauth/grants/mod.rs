//! One module per grant, and the grant registry: [`GRANTS`] is the one table of the grants
//! grantscope runs (names, `grant_type` values, the endpoints each needs), and [`run`] is the
//! one dispatch from a grant to its module. The command line, the desktop app, the wizard and
//! the sandbox all read this table (ARCHITECTURE.md, "adding a grant").

pub mod authorization_code;
pub mod ciba;
pub mod client_credentials;
pub mod device;
pub mod jwt_bearer;
pub mod password;
pub mod refresh;
pub mod token_exchange;

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use serde_json::Value;

use super::TokenResponse;
use super::connection::Connection;
use super::endpoint::EndpointKind;
use super::error::{FlowError, GrantInput, Missing};
use super::step::StepKind;
use crate::http::Exchange;
use crate::secret::{AuthorizationCode, Password, RefreshToken};

/// The grants grantscope runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GrantKind {
    ClientCredentials,
    AuthorizationCode,
    RefreshToken,
    DeviceCode,
    /// Resource owner password credentials: deprecated by the OAuth 2.0 Security BCP.
    Password,
    /// JWT bearer assertion (RFC 7523 §2.1).
    JwtBearer,
    /// Token exchange (RFC 8693).
    TokenExchange,
    /// OpenID Connect Client-Initiated Backchannel Authentication.
    Ciba,
}

/// One row of the grant registry.
#[derive(Debug, Clone, Copy)]
pub struct GrantSpec {
    pub kind: GrantKind,
    /// The name in the `--json` output (`"grant"`).
    pub name: &'static str,
    /// The name on the command line.
    pub cli_name: &'static str,
    pub title: &'static str,
    /// The `grant_type` value at the token endpoint (and in `grant_types_supported`).
    pub grant_type: &'static str,
    pub deprecated: bool,
    /// The endpoints the grant calls, in order.
    pub endpoints: &'static [EndpointKind],
    /// What the user must give for this grant beyond the connection settings (each face
    /// offers a flag or a form field for each: [`GrantInput::cli_flag`],
    /// [`GrantInput::form_label`]).
    pub inputs: &'static [GrantInput],
    /// The steps the grant takes, in order (their texts: `crate::steps`).
    pub steps: &'static [StepKind],
}

/// The grant registry, in the order menus show them.
pub const GRANTS: [GrantSpec; 8] = [
    GrantSpec {
        kind: GrantKind::AuthorizationCode,
        name: "authorization_code",
        cli_name: "authorization-code",
        title: "Authorization Code with PKCE",
        grant_type: "authorization_code",
        deprecated: false,
        endpoints: &[EndpointKind::Authorization, EndpointKind::Token],
        inputs: &[],
        steps: &[StepKind::Authorization, StepKind::Token],
    },
    GrantSpec {
        kind: GrantKind::ClientCredentials,
        name: "client_credentials",
        cli_name: "client-credentials",
        title: "Client Credentials",
        grant_type: "client_credentials",
        deprecated: false,
        endpoints: &[EndpointKind::Token],
        inputs: &[],
        steps: &[StepKind::Token],
    },
    GrantSpec {
        kind: GrantKind::RefreshToken,
        name: "refresh_token",
        cli_name: "refresh-token",
        title: "Refresh Token",
        grant_type: "refresh_token",
        deprecated: false,
        endpoints: &[EndpointKind::Token],
        inputs: &[GrantInput::RefreshToken],
        steps: &[StepKind::Refresh],
    },
    GrantSpec {
        kind: GrantKind::DeviceCode,
        name: "device_code",
        cli_name: "device-code",
        title: "Device Authorization",
        grant_type: device::GRANT_TYPE,
        deprecated: false,
        endpoints: &[EndpointKind::DeviceAuthorization, EndpointKind::Token],
        inputs: &[],
        steps: &[StepKind::DeviceAuthorization, StepKind::TokenPoll],
    },
    GrantSpec {
        kind: GrantKind::Ciba,
        name: "ciba",
        cli_name: "ciba",
        title: "CIBA (backchannel authentication)",
        grant_type: ciba::GRANT_TYPE,
        deprecated: false,
        endpoints: &[EndpointKind::BackchannelAuthentication, EndpointKind::Token],
        inputs: &[GrantInput::LoginHint],
        steps: &[StepKind::BackchannelAuthentication, StepKind::TokenPoll],
    },
    GrantSpec {
        kind: GrantKind::JwtBearer,
        name: "jwt_bearer",
        cli_name: "jwt-bearer",
        title: "JWT Bearer assertion",
        grant_type: jwt_bearer::GRANT_TYPE,
        deprecated: false,
        endpoints: &[EndpointKind::Token],
        inputs: &[GrantInput::Assertion],
        steps: &[StepKind::Token],
    },
    GrantSpec {
        kind: GrantKind::TokenExchange,
        name: "token_exchange",
        cli_name: "token-exchange",
        title: "Token Exchange",
        grant_type: token_exchange::GRANT_TYPE,
        deprecated: false,
        endpoints: &[EndpointKind::Token],
        inputs: &[GrantInput::SubjectToken],
        steps: &[StepKind::Token],
    },
    GrantSpec {
        kind: GrantKind::Password,
        name: "password",
        cli_name: "password",
        title: "Password (deprecated)",
        grant_type: "password",
        deprecated: true,
        endpoints: &[EndpointKind::Token],
        inputs: &[GrantInput::Username, GrantInput::Password],
        steps: &[StepKind::Token],
    },
];

impl GrantKind {
    /// Every grant, in the registry's order.
    pub const ALL: [GrantKind; GRANTS.len()] = {
        let mut all = [GrantKind::ClientCredentials; GRANTS.len()];
        let mut i = 0;
        while i < GRANTS.len() {
            all[i] = GRANTS[i].kind;
            i += 1;
        }
        all
    };

    /// This grant's row of [`GRANTS`].
    pub fn spec(self) -> &'static GrantSpec {
        GRANTS.iter().find(|g| g.kind == self).unwrap_or(&GRANTS[0])
    }

    /// The name in the `--json` output (`"grant"`).
    pub fn as_str(self) -> &'static str {
        self.spec().name
    }

    /// The name on the command line.
    pub fn cli_name(self) -> &'static str {
        self.spec().cli_name
    }

    pub fn title(self) -> &'static str {
        self.spec().title
    }

    /// The `grant_type` value sent to the token endpoint.
    pub fn grant_type(self) -> &'static str {
        self.spec().grant_type
    }

    /// The grant a `grant_type` value names.
    pub fn from_grant_type(grant_type: &str) -> Option<GrantKind> {
        GRANTS
            .iter()
            .find(|g| g.grant_type == grant_type)
            .map(|g| g.kind)
    }

    pub fn deprecated(self) -> bool {
        self.spec().deprecated
    }

    /// The endpoints this grant calls.
    pub fn endpoints(self) -> &'static [EndpointKind] {
        self.spec().endpoints
    }

    /// What the user must give for this grant (see [`GrantSpec::inputs`]).
    pub fn inputs(self) -> &'static [GrantInput] {
        self.spec().inputs
    }

    /// The steps this grant takes, in order.
    pub fn steps(self) -> &'static [StepKind] {
        self.spec().steps
    }

    /// The form fields a face shows for this grant's inputs: each input with its label.
    pub fn form_fields(self) -> Vec<(GrantInput, &'static str)> {
        self.inputs().iter().map(|i| (*i, i.form_label())).collect()
    }
}

/// Every grant with the inputs it needs and their form labels, in the registry's order: what
/// a face needs to build one form per grant.
pub fn input_fields() -> Vec<(GrantKind, Vec<(GrantInput, &'static str)>)> {
    GRANTS
        .iter()
        .map(|g| (g.kind, g.kind.form_fields()))
        .collect()
}

impl fmt::Display for GrantKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for GrantKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        GRANTS
            .iter()
            .find(|g| g.cli_name == s || g.name == s)
            .map(|g| g.kind)
            .ok_or_else(|| {
                format!(
                    "unknown grant {s:?}; use {}",
                    GRANTS
                        .iter()
                        .map(|g| g.cli_name)
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })
    }
}

/// What the user gives a grant beyond the connection settings.
#[derive(Default)]
pub struct GrantInputs {
    /// Refresh grant.
    pub refresh_token: Option<RefreshToken>,
    /// Password grant.
    pub username: Option<String>,
    pub password: Option<Password>,
    /// Authorization code: where the redirect comes from (default: the loopback listener,
    /// opening the system browser).
    pub redirect: Option<authorization_code::RedirectSource>,
    /// Authorization code and device: how long to wait for the user.
    pub wait: Option<Duration>,
    /// JWT bearer: the assertion, or claims to build it from.
    pub assertion: Option<jwt_bearer::BearerAssertion>,
    /// Token exchange: the tokens and their types.
    pub exchange: Option<token_exchange::ExchangeRequest>,
    /// CIBA: the backchannel authentication request and the mode.
    pub ciba: Option<ciba::CibaRequest>,
}

/// The one dispatch from a grant to its module: runs it over a ready connection and returns
/// the result with every exchange of the run.
pub async fn run(grant: GrantKind, conn: &mut Connection, inputs: GrantInputs) -> GrantOutcome {
    let first = conn.session.exchanges().len();
    let result = dispatch(grant, conn, inputs).await;
    let exchanges = conn.session.exchanges()[first..].to_vec();
    GrantOutcome {
        grant,
        result,
        exchanges,
    }
}

async fn dispatch(
    grant: GrantKind,
    conn: &mut Connection,
    inputs: GrantInputs,
) -> Result<TokenSuccess, FlowError> {
    let cfg = conn.config.clone();
    let session = &mut conn.session;
    let wait = inputs.wait;
    match grant {
        GrantKind::ClientCredentials => client_credentials::run(session, &cfg).await,
        GrantKind::RefreshToken => match &inputs.refresh_token {
            Some(t) => refresh::run(session, &cfg, t).await,
            None => Err(FlowError::missing(
                "the refresh grant",
                Missing::Input(GrantInput::RefreshToken),
            )),
        },
        GrantKind::Password => match (&inputs.username, &inputs.password) {
            (Some(u), Some(p)) => password::run(session, &cfg, u, p).await,
            (None, _) => Err(FlowError::missing(
                "the password grant",
                Missing::Input(GrantInput::Username),
            )),
            (_, None) => Err(FlowError::missing(
                "the password grant",
                Missing::Input(GrantInput::Password),
            )),
        },
        GrantKind::DeviceCode => device::run(session, &cfg, wait).await,
        GrantKind::Ciba => match &inputs.ciba {
            Some(r) => ciba::run(session, &cfg, r, wait).await,
            None => Err(FlowError::missing(
                "CIBA",
                Missing::Input(GrantInput::LoginHint),
            )),
        },
        GrantKind::JwtBearer => match &inputs.assertion {
            Some(a) => jwt_bearer::run(session, &cfg, a).await,
            None => Err(FlowError::missing(
                "the JWT bearer grant",
                Missing::Input(GrantInput::Assertion),
            )),
        },
        GrantKind::TokenExchange => match &inputs.exchange {
            Some(r) => token_exchange::run(session, &cfg, r).await,
            None => Err(FlowError::missing(
                "token exchange",
                Missing::Input(GrantInput::SubjectToken),
            )),
        },
        GrantKind::AuthorizationCode => {
            let require_iss = conn
                .discovery
                .as_ref()
                .is_some_and(|d| d.iss_parameter_supported);
            let source = inputs
                .redirect
                .unwrap_or(authorization_code::RedirectSource::Loopback {
                    open_browser: true,
                    timeout: wait.unwrap_or(authorization_code::DEFAULT_TIMEOUT),
                });
            // RFC 9126 §5: a server that requires PAR says so in its metadata.
            let mut cfg = cfg;
            cfg.par |= conn.discovery.as_ref().is_some_and(|d| {
                d.metadata
                    .get("require_pushed_authorization_requests")
                    .and_then(serde_json::Value::as_bool)
                    == Some(true)
            });
            authorization_code::run(session, &cfg, source, require_iss).await
        }
    }
}

/// Tokens obtained, with what is needed to validate them.
#[derive(Debug, Clone)]
pub struct TokenSuccess {
    /// The token endpoint's JSON, as received.
    pub raw: Value,
    pub tokens: TokenResponse,
    /// Refresh grant: whether the server sent a new refresh token (rotation). `None` for other grants.
    pub refresh_rotated: Option<bool>,
    /// The `nonce` sent, for ID token validation.
    pub nonce: Option<String>,
    /// The authorization code exchanged, for `c_hash`.
    pub code: Option<AuthorizationCode>,
    /// Hybrid and implicit flows: the ID token that came through the front channel.
    pub front_channel_id_token: Option<crate::secret::IdToken>,
    /// What failed a client check the tester turned off and was accepted (one line each).
    pub accepted_unchecked: Vec<String>,
}

impl TokenSuccess {
    pub fn new(raw: Value, tokens: TokenResponse) -> Self {
        Self {
            raw,
            tokens,
            refresh_rotated: None,
            nonce: None,
            code: None,
            front_channel_id_token: None,
            accepted_unchecked: Vec::new(),
        }
    }
}

/// What a grant run produced: tokens or an error, and every exchange either way.
#[derive(Debug)]
pub struct GrantOutcome {
    pub grant: GrantKind,
    pub result: Result<TokenSuccess, FlowError>,
    pub exchanges: Vec<Exchange>,
}
