//! "Probe this API" from the inspector: the token on screen as the genuine access token, with
//! what the app has beside it (the ID token of the same flow response, the DPoP key it is bound
//! to, an expired token of the lifecycle lab), and where the issuer's keys come from (the
//! flow's or chosen profile, the Verification form's JWKS). The Probes window's API mode runs it.

use super::*;
use crate::handoff::ApiProbeRequest;

impl InspectorScreen {
    /// Why "Probe this API" cannot be offered for the token on screen, if so.
    pub fn probe_why_not(&self) -> Option<&'static str> {
        if self.input.trim().is_empty() {
            Some("No token to probe with")
        } else if self.is_logout_token() {
            Some("A logout token is the provider's message to the client, not a token for an API")
        } else if self.is_id_token() {
            Some(
                "An ID token is for the client, not an API: probe with the access token (the ID \
                 token goes along as api.id-token's wrong token)",
            )
        } else {
            None
        }
    }

    /// The request "Probe this API" hands the Probes window (`active`: the app's active
    /// profile, for its HTTP settings when the token is judged on its own).
    pub fn probe_request(
        &self,
        active: Option<&Profile>,
        now: i64,
    ) -> Result<ApiProbeRequest, String> {
        if let Some(why) = self.probe_why_not() {
            return Err(why.to_owned());
        }
        let token = self.input.trim();
        let from_flow = matches!(&self.origin, Some((t, _)) if t == token);
        let (id_token, dpop) = if from_flow {
            self.flow_extras.clone()
        } else {
            (None, None)
        };
        // The issuer's keys only from what the user or the flow said verifies this token: a
        // token judged on its own gets none (another issuer's keys would prove nothing).
        let (profile, jwks_uri) = match &self.with {
            VerifyWith::OnItsOwn => (
                active.cloned().map(|mut p| {
                    p.issuer = None;
                    p.jwks_uri = None;
                    p
                }),
                None,
            ),
            VerifyWith::Form => (active.cloned(), non_empty(&self.verify.jwks)),
            VerifyWith::Profile(_) | VerifyWith::Flow => (
                self.client_profile(active).cloned(),
                non_empty(&self.verify.jwks),
            ),
        };
        Ok(ApiProbeRequest {
            token: AccessToken::new(token),
            id_token,
            expired_token: lifecycle_lab::expired_token(&self.watch, &self.keeper, token, now)
                .map(|(t, from)| (AccessToken::new(t), from)),
            profile,
            jwks_uri,
            dpop,
            from: "the token inspector",
            ..ApiProbeRequest::default()
        })
    }
}
