//! OAuth 2.0 Token Exchange (RFC 8693): a subject token (and optionally an actor token) for a
//! new token, with the requested type, audience, resource and scope; the server reports the
//! `issued_token_type`.

use super::TokenSuccess;
use crate::oauth::error::{FlowError, GrantInput, Missing};
use crate::oauth::step::StepKind;
use crate::oauth::{ClientConfig, Session};
use crate::secret::SecretKind;

/// The `grant_type` of RFC 8693 §2.1.
pub const GRANT_TYPE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";

const NAME: &str = "token exchange";

/// The token type URNs of RFC 8693 §3, by their short names.
pub const TOKEN_TYPES: [(&str, &str); 6] = [
    (
        "access_token",
        "urn:ietf:params:oauth:token-type:access_token",
    ),
    (
        "refresh_token",
        "urn:ietf:params:oauth:token-type:refresh_token",
    ),
    ("id_token", "urn:ietf:params:oauth:token-type:id_token"),
    ("saml1", "urn:ietf:params:oauth:token-type:saml1"),
    ("saml2", "urn:ietf:params:oauth:token-type:saml2"),
    ("jwt", "urn:ietf:params:oauth:token-type:jwt"),
];

/// A token type as given: a short name (`access_token`) or any URI, which is sent as is.
pub fn token_type_urn(given: &str) -> String {
    TOKEN_TYPES
        .iter()
        .find(|(short, _)| *short == given)
        .map_or_else(|| given.to_string(), |(_, urn)| urn.to_string())
}

/// What the exchange presents and asks for.
#[derive(Clone, Default)]
pub struct ExchangeRequest {
    pub subject_token: String,
    pub subject_token_type: String,
    pub actor_token: Option<String>,
    pub actor_token_type: Option<String>,
    pub requested_token_type: Option<String>,
}

impl std::fmt::Debug for ExchangeRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExchangeRequest")
            .field("subject_token", &"<redacted>")
            .field("subject_token_type", &self.subject_token_type)
            .field(
                "actor_token",
                &self.actor_token.as_ref().map(|_| "<redacted>"),
            )
            .field("actor_token_type", &self.actor_token_type)
            .field("requested_token_type", &self.requested_token_type)
            .finish()
    }
}

pub async fn run(
    session: &mut Session,
    cfg: &ClientConfig,
    request: &ExchangeRequest,
) -> Result<TokenSuccess, FlowError> {
    if request.subject_token.is_empty() || request.subject_token_type.is_empty() {
        return Err(FlowError::missing(
            NAME,
            Missing::Input(GrantInput::SubjectToken),
        ));
    }
    if request.actor_token.is_some() != request.actor_token_type.is_some() {
        return Err(FlowError::missing(
            NAME,
            Missing::Input(GrantInput::ActorToken),
        ));
    }
    let mut params = vec![
        ("grant_type".to_string(), GRANT_TYPE.to_string()),
        ("subject_token".to_string(), request.subject_token.clone()),
        (
            "subject_token_type".to_string(),
            token_type_urn(&request.subject_token_type),
        ),
    ];
    let mut secrets = vec![(SecretKind::AccessToken, request.subject_token.as_str())];
    if let (Some(token), Some(kind)) = (&request.actor_token, &request.actor_token_type) {
        params.push(("actor_token".into(), token.clone()));
        params.push(("actor_token_type".into(), token_type_urn(kind)));
        secrets.push((SecretKind::AccessToken, token.as_str()));
    }
    if let Some(kind) = &request.requested_token_type {
        params.push(("requested_token_type".into(), token_type_urn(kind)));
    }
    params.extend(cfg.scope_params());
    let (raw, tokens) = session
        .token_request(StepKind::Token.name(), cfg, params, &secrets)
        .await?;
    if let Some(issued) = &tokens.issued_token_type {
        session.emit(crate::oauth::FlowEvent::Note(format!(
            "issued_token_type: {}",
            crate::http::excerpt(issued, 120)
        )));
    }
    Ok(TokenSuccess::new(raw, tokens))
}
