//! The refresh token grant (RFC 6749 §6), reporting whether the server rotated the refresh
//! token (Security BCP §4.14 wants rotation or sender-constraining for public clients).

use super::TokenSuccess;
use crate::oauth::error::{FlowError, GrantInput, Missing};
use crate::oauth::step::StepKind;
use crate::oauth::{ClientConfig, Session};
use crate::secret::{RefreshToken, SecretKind};

const NAME: &str = "the refresh grant";

pub async fn run(
    session: &mut Session,
    cfg: &ClientConfig,
    refresh_token: &RefreshToken,
) -> Result<TokenSuccess, FlowError> {
    let refresh_token = refresh_token.expose().trim();
    if refresh_token.is_empty() {
        return Err(FlowError::missing(
            NAME,
            Missing::Input(GrantInput::RefreshToken),
        ));
    }
    let grant_type = super::GrantKind::RefreshToken.grant_type();
    let mut params = vec![
        ("grant_type".to_string(), grant_type.to_string()),
        ("refresh_token".to_string(), refresh_token.to_string()),
    ];
    if cfg.effective_auth_method() == crate::oauth::AuthMethod::None && cfg.client_id.is_empty() {
        return Err(FlowError::missing(NAME, Missing::ClientId));
    }
    params.extend(cfg.scope_params());
    let (raw, tokens) = session
        .token_request(
            StepKind::Refresh.name(),
            cfg,
            params,
            &[(SecretKind::RefreshToken, refresh_token)],
        )
        .await?;
    let mut success = TokenSuccess::new(raw, tokens);
    success.refresh_rotated = Some(rotated(
        refresh_token,
        success.tokens.refresh_token.as_ref().map(|t| t.expose()),
    ));
    Ok(success)
}

/// A new, different refresh token in the response means rotation; none or the same one means not.
pub fn rotated(old: &str, new: Option<&str>) -> bool {
    new.is_some_and(|n| n != old)
}

#[cfg(test)]
mod tests {
    #[test]
    fn rotation_rules() {
        assert!(super::rotated("a", Some("b")));
        assert!(!super::rotated("a", Some("a")));
        assert!(!super::rotated("a", None));
    }
}
