//! The authorization code grant at the token endpoint (RFC 6749 §4.1.3): the code redeemed once,
//! for its client and redirect URI, with the PKCE verifier checked (RFC 7636 §4.6); a reused
//! code revokes what it issued (RFC 9700 §4.2.4).

use serde_json::Value;

use crate::protocol::client_auth::Authenticated;
use crate::protocol::wire::{OAuthError, Params};
use crate::state::app::App;
use grantscope_core::oauth::GrantKind;

use crate::protocol::mint::{Mint, RefreshIssue, mint, s256};
use crate::protocol::scope::narrow_resources;
use crate::state::clients::secrets_equal;
use crate::state::config::STEP_UP_ACR;
use crate::state::store::{Grant, now_ms, token_key};

/// RFC 7636 §4.1: 43 to 128 characters from the unreserved set.
fn verifier_well_formed(verifier: &str) -> bool {
    (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

pub(crate) fn redeem(
    app: &App,
    auth: &Authenticated,
    params: &Params,
    jkt: Option<&str>,
) -> Result<Value, OAuthError> {
    let client = auth.client;
    let code = params.required("code")?;
    let redirect_uri = params.single("redirect_uri")?;
    let verifier = params.single("code_verifier")?;
    let requested_resources = params.all("resource");
    let mut store = app.store();
    let key = token_key(code);
    let Some(record) = store.codes.get(&key).cloned() else {
        return Err(OAuthError::invalid_grant(
            "unknown authorization code (never issued, expired, or issued before a restart)",
        ));
    };
    if record.request.client.id != client.id {
        return Err(OAuthError::invalid_grant(
            "the authorization code was issued to another client",
        ));
    }
    if record.consumed && !app.config.unsafe_switches.allow_code_reuse {
        if let Some(grant) = record
            .redeemed
            .filter(|_| !app.config.unsafe_switches.keep_tokens_on_code_reuse)
        {
            store.revoke_grant(grant, "authorization code reused");
        }
        return Err(OAuthError::invalid_grant(
            "the authorization code was already used; every token issued for it is now revoked",
        ));
    }
    // Any redemption attempt consumes the code, so a wrong verifier cannot be retried.
    if let Some(stored) = store.codes.get_mut(&key) {
        stored.consumed = true;
    }
    if now_ms() >= record.expires_ms {
        return Err(OAuthError::invalid_grant(
            "the authorization code has expired",
        ));
    }
    if redirect_uri != Some(record.request.redirect_uri.as_str())
        && !app.config.unsafe_switches.ignore_token_redirect_uri
    {
        return Err(OAuthError::invalid_grant(
            "redirect_uri must be identical to the one sent in the authorization request",
        ));
    }
    match (&record.request.pkce, verifier) {
        (Some((challenge, method)), Some(verifier)) => {
            if !verifier_well_formed(verifier)
                && !app.config.unsafe_switches.accept_malformed_verifier
            {
                return Err(OAuthError::invalid_grant(
                    "code_verifier must be 43 to 128 characters of [A-Za-z0-9-._~] (RFC 7636 §4.1)",
                ));
            }
            let computed = if method == "S256" {
                s256(verifier)
            } else {
                verifier.to_string()
            };
            if !secrets_equal(challenge, &computed)
                && !app.config.unsafe_switches.skip_verifier_check
            {
                return Err(OAuthError::invalid_grant(format!(
                    "PKCE verification failed: the code_verifier does not match the {method} code_challenge"
                )));
            }
        }
        (Some(_), None) => {
            if !app.config.unsafe_switches.allow_missing_pkce {
                return Err(OAuthError::invalid_grant(
                    "code_verifier is required: the authorization request carried a code_challenge",
                ));
            }
        }
        (None, Some(_)) if !app.config.unsafe_switches.allow_pkce_downgrade => {
            return Err(OAuthError::invalid_grant(
                "code_verifier sent, but the authorization request had no code_challenge (PKCE downgrade)",
            ));
        }
        (None, Some(_)) => {}
        (None, None) => {}
    }
    if let Some(bound) = &record.request.dpop_jkt
        && jkt != Some(bound.as_str())
        && !(app.config.unsafe_switches.ignore_dpop_jkt && jkt.is_some())
    {
        return Err(OAuthError::invalid_grant(
            "the authorization request bound the code to a DPoP key (dpop_jkt, RFC 9449 §10): \
             the token request needs a DPoP proof signed with that key",
        ));
    }
    let resources = narrow_resources(&record.request.resources, requested_resources)?;
    let grant = store.new_grant(Grant {
        client,
        user: Some(record.user),
        resources: record.request.resources.clone(),
        auth_time: Some(record.auth_time),
        sid: Some(record.sid.clone()),
        revoked: false,
        revoked_reason: None,
    });
    if let Some(stored) = store.codes.get_mut(&key) {
        stored.redeemed = Some(grant);
    }
    let refresh = if client.allows_grant(GrantKind::RefreshToken) {
        RefreshIssue::New
    } else {
        RefreshIssue::None
    };
    mint(
        app,
        &mut store,
        Mint {
            grant,
            scope: &record.request.scope,
            resources: &resources,
            refresh,
            nonce: record.request.nonce.as_deref(),
            code: Some(code),
            cnf_x5t: None,
            cnf_jkt: jkt,
            authorization_details: record.request.authorization_details.as_ref(),
            acr: record.request.mfa_done.then_some(STEP_UP_ACR),
            omit_at_hash: false,
            sub: None,
            act_sub: None,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verifier_format() {
        assert!(verifier_well_formed(&"a".repeat(43)));
        assert!(!verifier_well_formed(&"a".repeat(42)));
        assert!(!verifier_well_formed(&"a".repeat(129)));
        assert!(!verifier_well_formed(&format!("{}+", "a".repeat(43))));
    }
}
