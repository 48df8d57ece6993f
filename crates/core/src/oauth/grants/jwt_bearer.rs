//! The JWT bearer authorization grant (RFC 7523 §2.1): a signed assertion about a subject,
//! given as is or built from claims (the gaps filled: `iss` = client id, `aud` = the issuer,
//! or the token endpoint when no issuer is known, `iat`, `exp`, `jti`) and signed with the
//! configured key.

use serde_json::Value;

use super::TokenSuccess;
use crate::keys::Signer;
use crate::oauth::assertion::{self, DEFAULT_LIFETIME};
use crate::oauth::client_auth::signing_key;
use crate::oauth::endpoint::EndpointKind;
use crate::oauth::error::{FlowError, GrantInput, Missing};
use crate::oauth::step::StepKind;
use crate::oauth::{ClientConfig, Session};
use crate::secret::SecretKind;

/// The `grant_type` of RFC 7523 §2.1.
pub const GRANT_TYPE: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";

const NAME: &str = "the JWT bearer grant";

/// What the grant presents.
#[derive(Clone)]
pub enum BearerAssertion {
    /// A finished JWT.
    Jwt(String),
    /// Claims to complete and sign with the configured signing key.
    Claims(Value),
}

impl std::fmt::Debug for BearerAssertion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BearerAssertion::Jwt(_) => f.write_str("Jwt(<redacted>)"),
            BearerAssertion::Claims(c) => f.debug_tuple("Claims").field(c).finish(),
        }
    }
}

pub async fn run(
    session: &mut Session,
    cfg: &ClientConfig,
    assertion: &BearerAssertion,
) -> Result<TokenSuccess, FlowError> {
    let jwt = match assertion {
        BearerAssertion::Jwt(jwt) if !jwt.trim().is_empty() => jwt.trim().to_string(),
        BearerAssertion::Jwt(_) => {
            return Err(FlowError::missing(
                NAME,
                Missing::Input(GrantInput::Assertion),
            ));
        }
        BearerAssertion::Claims(claims) => {
            let token =
                cfg.endpoints.token_endpoint.as_ref().ok_or_else(|| {
                    FlowError::missing(NAME, Missing::Endpoint(EndpointKind::Token))
                })?;
            let key = signing_key(cfg)?;
            // The same audience as client assertions: the issuer unless told otherwise.
            let aud = crate::oauth::client_auth::assertion_audience(cfg, token)?;
            let signed = assertion::bearer_assertion(
                Signer::Key(&key.key),
                claims.clone(),
                &cfg.client_id,
                aud.as_str(),
                cfg.auth.signing_alg,
                DEFAULT_LIFETIME,
                u64::try_from(crate::timefmt::now_unix()).unwrap_or(0),
            )
            .map_err(|e| FlowError::Config(e.to_string()))?;
            session.emit(crate::oauth::FlowEvent::Note(format!(
                "JWT bearer assertion: header {} claims {}",
                signed.header, signed.claims
            )));
            signed.jwt
        }
    };
    let mut params = vec![
        ("grant_type".to_string(), GRANT_TYPE.to_string()),
        ("assertion".to_string(), jwt.clone()),
    ];
    params.extend(cfg.scope_params());
    let (raw, tokens) = session
        .token_request(
            StepKind::Token.name(),
            cfg,
            params,
            &[(SecretKind::Assertion, jwt.as_str())],
        )
        .await?;
    Ok(TokenSuccess::new(raw, tokens))
}
