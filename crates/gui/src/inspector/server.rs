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
        discovery,
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
        Call::Userinfo => match lifecycle::userinfo(&mut session, &cfg, &token).await {
            Ok(lifecycle::UserInfo::Json(v)) => Ok(CallAnswer {
                text: serde_json::to_string_pretty(&v).unwrap_or_default(),
                introspection: None,
            }),
            // Served as a JWT (signed, or encrypted to the client): verified like an ID token,
            // opened first with the profile's decryption keys; believed only when valid.
            Ok(lifecycle::UserInfo::Jwt(jwt)) => {
                let now = timefmt::now_unix();
                let inspected = grantscope_core::oauth::received::inspect_userinfo_jwt(
                    &jwt,
                    &cfg,
                    discovery.as_ref(),
                    session.http(),
                    now,
                )
                .await;
                for ex in inspected.exchanges {
                    sink.send(InspectorMsg::Exchange(Box::new(ex)));
                }
                Ok(CallAnswer {
                    text: userinfo_jwt_text(&inspected.inspection),
                    introspection: None,
                })
            }
            Err(e) => Err(e),
        },
    };
    answer.map_err(|e| connect::describe(&e))
}

/// A userinfo JWT's answer as shown: its verdict, why when not valid, and its claims (only
/// believed when valid).
pub(super) fn userinfo_jwt_text(ins: &Inspection) -> String {
    let format = if ins.format == TokenFormat::Jwe {
        "an encrypted JWT (JWE)"
    } else {
        "a signed JWT"
    };
    let mut out = format!(
        "Served as {format}: {}\n",
        ins.verdict.as_str().to_ascii_uppercase()
    );
    for c in ins.checks.iter().filter(|c| c.status == CheckStatus::Fail) {
        out.push_str(&format!("  {}: {}\n", c.id, c.shown_message()));
    }
    if !ins.valid {
        out.push_str("None of it is believed until it verifies");
        if ins.format == TokenFormat::Jwe && ins.claims.is_null() {
            out.push_str(" (an encrypted answer needs the profile's decryption keys)");
        }
        out.push('\n');
    }
    if ins.claims.is_object() {
        out.push_str(&serde_json::to_string_pretty(&ins.shown_claims()).unwrap_or_default());
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// A userinfo JWT that does not verify is shown with why, and said not to be believed;
    /// an encrypted one that no key opened says what it needs.
    #[test]
    fn a_userinfo_jwt_is_shown_with_its_verdict() {
        let b = |v: serde_json::Value| grantscope_core::keys::base64url(v.to_string().as_bytes());
        let jwt = format!(
            "{}.{}.c2ln",
            b(serde_json::json!({"alg": "RS256"})),
            b(serde_json::json!({"sub": "alice", "exp": 1}))
        );
        let opts = InspectOptions::default();
        let ins = grantscope_core::token::inspect_with_keys(&jwt, &Default::default(), &opts, 100);
        let text = userinfo_jwt_text(&ins);
        assert!(
            text.starts_with("Served as a signed JWT: INVALID"),
            "{text}"
        );
        assert!(text.contains("exp: "), "{text}");
        assert!(text.contains("None of it is believed"), "{text}");
        let jwe = format!(
            "{}.{}.{}.{}.{}",
            b(serde_json::json!({"alg": "RSA-OAEP-256", "enc": "A256GCM"})),
            b(serde_json::json!([1])),
            "AAAAAAAAAAAAAAAA",
            "AAAA",
            "AAAAAAAAAAAAAAAAAAAAAA"
        );
        let ins = grantscope_core::token::inspect_with_keys(&jwe, &Default::default(), &opts, 100);
        let text = userinfo_jwt_text(&ins);
        assert!(text.contains("encrypted JWT (JWE)"), "{text}");
        assert!(
            text.contains("needs the profile's decryption keys"),
            "{text}"
        );
    }
}
