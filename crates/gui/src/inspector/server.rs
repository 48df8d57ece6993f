//! Server calls on the inspected token (introspection, revocation, userinfo) on the worker,
//! with the client the token was issued to; every exchange goes to the history as it happens.
//! Also the verification form's key source.

use std::sync::Arc;

use super::*;

pub(super) fn non_empty(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

pub(super) fn key_source(form: &VerifyForm) -> KeySource {
    if !form.secret.expose().is_empty() {
        KeySource::Secret(SharedSecret::new(form.secret.expose().as_bytes().to_vec()))
    } else if !form.jwks.trim().is_empty() {
        KeySource::from_uri_or_path(form.jwks.trim())
    } else {
        KeySource::None
    }
}

/// An observer that sends every exchange to the history as it happens.
pub(super) fn history_observer(
    sink: &Sink<InspectorMsg>,
) -> grantscope_core::oauth::session::Observer {
    let sink = sink.clone();
    Arc::new(move |e| {
        if let FlowEvent::Exchange(ex) = e {
            sink.send(InspectorMsg::Exchange(ex));
        }
    })
}

pub(super) async fn server_call(
    what: Call,
    prepared: connect::Prepared,
    token: String,
    sink: &Sink<InspectorMsg>,
) -> Result<CallAnswer, String> {
    let wants = match what {
        Call::Introspect => [EndpointKind::Introspection],
        Call::Revoke => [EndpointKind::Revocation],
        Call::Userinfo => [EndpointKind::Userinfo],
    };
    let Connection {
        mut session,
        config: cfg,
        ..
    } = prepared
        .connect(&wants, Some(history_observer(sink)))
        .await
        .map_err(|e| connect::describe(&e))?;
    let answer = match what {
        Call::Introspect => lifecycle::introspect(&mut session, &cfg, &token, None)
            .await
            .map(|v| CallAnswer {
                text: serde_json::to_string_pretty(&v).unwrap_or_default(),
                introspection: Some(v),
            }),
        Call::Revoke => lifecycle::revoke(&mut session, &cfg, &token, None)
            .await
            .map(|status| CallAnswer {
                text: format!("HTTP {status}: the server accepted the revocation"),
                introspection: None,
            }),
        Call::Userinfo => lifecycle::userinfo(&mut session, &cfg, &token)
            .await
            .map(|u| CallAnswer {
                text: match u {
                    lifecycle::UserInfo::Json(v) => {
                        serde_json::to_string_pretty(&v).unwrap_or_default()
                    }
                    lifecycle::UserInfo::Jwt(j) => j,
                },
                introspection: None,
            }),
    };
    answer.map_err(|e| connect::describe(&e))
}
