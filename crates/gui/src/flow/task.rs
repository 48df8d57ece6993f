//! The flow's async task on the worker: connect through the core's one way in, gate every
//! request in step mode, run the grant, and report each step to the UI.

use std::sync::Arc;
use std::time::Duration;

use super::{FlowMsg, GrantInputs};
use crate::connect::Prepared;
use crate::step::StepMsg;
use crate::worker::Sink;
use grantscope_core::oauth::grants::authorization_code::RedirectSource;
use grantscope_core::oauth::grants::{self, GrantKind, TokenSuccess};
use grantscope_core::oauth::{ClientConfig, FlowError};

/// Runs one grant end to end through the core's one way in (connect, then the grant
/// registry's dispatch) and reports each step.
pub(super) async fn run_flow(
    id: u64,
    grant: GrantKind,
    prepared: Prepared,
    inputs: GrantInputs,
    paste_rx: Option<tokio::sync::oneshot::Receiver<String>>,
    sink: Sink<FlowMsg>,
    stepped: bool,
) -> (
    Result<TokenSuccess, FlowError>,
    Option<ClientConfig>,
    Option<Arc<grantscope_core::oauth::dpop::DpopState>>,
) {
    let questions = sink.clone();
    let observer: grantscope_core::oauth::session::Observer = Arc::new(move |event| {
        sink.send(FlowMsg::Progress { run: id, event });
    });
    let mut conn = match prepared.connect(grant.endpoints(), Some(observer)).await {
        Ok(c) => c,
        Err(e) => return (Err(e), None, None),
    };
    if grant == GrantKind::AuthorizationCode {
        conn.config.checks_off = inputs.checks_off.clone();
    }
    if stepped {
        // Step mode: every request of the grant (discovery is done) waits for the user's
        // decision; the questions go to the UI, which answers through their reply slot.
        let (gate, mut asked) = grantscope_core::oauth::step::channel_gate();
        conn.session.set_gate(Some(gate));
        tokio::spawn(async move {
            // Ends when the session (and with it the gate) is dropped.
            while let Some((pending, reply)) = asked.recv().await {
                questions.send(FlowMsg::Step(StepMsg::Pending {
                    run: id,
                    pending: Box::new(pending),
                    reply,
                }));
            }
        });
    }
    let wait = Duration::from_secs(inputs.wait_secs.max(1));
    let redirect = (grant == GrantKind::AuthorizationCode).then(|| match paste_rx {
        Some(rx) => RedirectSource::Paste(rx),
        None => RedirectSource::Loopback {
            open_browser: inputs.open_browser,
            timeout: wait,
        },
    });
    let core_inputs = grants::GrantInputs {
        refresh_token: Some(inputs.refresh_token.clone()),
        username: Some(inputs.username.clone()),
        password: Some(inputs.password.clone()),
        redirect,
        // The browser's redirect is waited for as long as the app says; a device code or a
        // backchannel request lives as long as its server said (the wait shows that limit).
        wait: (grant == GrantKind::AuthorizationCode).then_some(wait),
        // Claims that are not an object were refused before the run started.
        assertion: inputs.bearer_assertion().ok().flatten(),
        exchange: inputs.exchange_request(),
        ciba: inputs.ciba_request(),
    };
    let outcome = grants::run(grant, &mut conn, core_inputs).await;
    let dpop = conn.session.dpop().cloned();
    (outcome.result, Some(conn.config), dpop)
}
