//! The flow runner's glue to the "Call an API" panel ([`super::call`]): the panel gets the last
//! run's access token, DPoP key and profile, and its request runs on the flow's jobs.

use super::{FlowMsg, FlowScreen, call};
use crate::worker::Jobs;
use grantscope_core::secret::AccessToken;

impl FlowScreen {
    /// The "Call an API" panel (tests read its last answer).
    pub fn call_panel(&self) -> &call::CallPanel {
        &self.call
    }

    /// Reads the form's issuer's `scopes_supported` for the scope picker.
    pub fn read_scopes(&mut self, jobs: &Jobs<FlowMsg>) {
        self.scopes.read(&self.profile, jobs, FlowMsg::Scopes);
    }

    /// Hands a token from the inspector's workbench to the "Call an API" panel: it goes
    /// instead of the run's access token, over the run's connection (its profile, its DPoP
    /// key). Without a run that received tokens there is no connection to send it over: the
    /// form says so.
    pub fn send_forged(&mut self, token: AccessToken, name: String) {
        if self.run.as_ref().and_then(|r| r.success()).is_none() {
            self.form_error = Some(
                "Call an API sends over a run's connection: run a grant first, then send the workbench's token again"
                    .to_owned(),
            );
            return;
        }
        self.forged = Some(token);
        self.forged_name = name;
        self.call.open();
    }

    /// The workbench's token the panel sends, if one was handed over.
    pub fn forged_token(&self) -> Option<&AccessToken> {
        self.forged.as_ref()
    }

    /// Sends the "Call an API" panel's request with the last run's access token (or the
    /// workbench's, when one was handed over).
    pub fn start_call(&mut self, jobs: &Jobs<FlowMsg>) {
        let Some(run) = self.run.as_ref() else {
            return;
        };
        let Some(s) = run.success() else {
            return;
        };
        let cx = call::CallContext {
            run: run.id,
            profile: &run.profile,
            token: self
                .forged
                .as_ref()
                .unwrap_or(&s.tokens.access_token)
                .expose(),
            dpop: run.dpop.clone(),
            workbench: self.forged.is_some(),
        };
        self.call.start(
            cx,
            jobs,
            |run, event| FlowMsg::Progress { run, event },
            FlowMsg::CallDone,
        );
    }
}

/// "Probe this API": the Call an API form's request with `run`'s tokens (access, ID), its
/// DPoP key, its profile and the JWKS its discovery found.
pub(super) fn probe_request(
    call: &call::CallPanel,
    run: &super::run::FlowRun,
    s: &grantscope_core::oauth::grants::TokenSuccess,
) -> crate::handoff::ApiProbeRequest {
    let mut req = call.probe_request();
    req.token = s.tokens.access_token.clone();
    req.id_token = s.tokens.id_token.clone();
    req.profile = Some(run.profile.clone());
    req.jwks_uri = run
        .config
        .as_ref()
        .and_then(|c| c.endpoints.jwks_uri.as_ref())
        .map(ToString::to_string);
    req.dpop = run.dpop.clone();
    req
}
