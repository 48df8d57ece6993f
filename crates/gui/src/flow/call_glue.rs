//! The flow runner's glue to the "Call an API" panel ([`super::call`]): the panel gets the last
//! run's access token, DPoP key and profile, and its request runs on the flow's jobs.

use super::{FlowMsg, FlowScreen, call};
use crate::worker::Jobs;

impl FlowScreen {
    /// The "Call an API" panel (tests read its last answer).
    pub fn call_panel(&self) -> &call::CallPanel {
        &self.call
    }

    /// Reads the form's issuer's `scopes_supported` for the scope picker.
    pub fn read_scopes(&mut self, jobs: &Jobs<FlowMsg>) {
        self.scopes.read(&self.profile, jobs, FlowMsg::Scopes);
    }

    /// Sends the "Call an API" panel's request with the last run's access token.
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
            token: s.tokens.access_token.expose(),
            dpop: run.dpop.clone(),
        };
        self.call.start(
            cx,
            jobs,
            |run, event| FlowMsg::Progress { run, event },
            FlowMsg::CallDone,
        );
    }
}
