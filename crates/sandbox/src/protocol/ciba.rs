//! CIBA's "phone": the pending backchannel authentication requests as the user's device shows
//! them (the start page, `/ciba`, the desktop's Classroom through
//! [`crate::SandboxHandle::ciba_pending`]), the user's decision, and in ping mode the ping to
//! the client's notification endpoint (CIBA Core 1.0 §10.2).

use serde::Serialize;
use serde_json::json;

use crate::state::app::App;
use crate::state::clients::SeededUser;
use crate::state::store::{CibaStatus, now_ms, now_secs};
use grantscope_core::http::{HttpClient, HttpOptions, HttpRequest};
use grantscope_core::secret::SecretKind;

/// A request waiting for the user's decision, as the phone shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PendingCiba {
    /// What the phone names the request by (not the client's `auth_req_id`).
    pub ticket: String,
    /// The client that started the login.
    pub client_id: String,
    /// The user the client named (`login_hint`).
    pub user: String,
    /// The scope the client asked for (with `openid`).
    pub scope: String,
    /// The text the user compares with the client's screen; `None` only with the
    /// `unsafe-ciba-without-binding-message` switch.
    pub binding_message: Option<String>,
    /// The `acr_values` the client asked for.
    pub acr_values: Option<String>,
    /// Seconds left before the request expires.
    pub expires_in: u64,
    /// `poll` or `ping`.
    pub mode: &'static str,
}

/// Every live request still waiting, oldest expiry first.
pub(crate) fn pending(app: &App) -> Vec<PendingCiba> {
    let now = now_ms();
    let store = app.store();
    let mut out: Vec<PendingCiba> = store
        .ciba
        .values()
        .filter(|r| r.status == CibaStatus::Pending && r.expires_ms > now)
        .map(|r| PendingCiba {
            ticket: r.ticket.clone(),
            client_id: r.client.id.to_string(),
            user: r.user.username.to_string(),
            scope: r.scope.clone(),
            binding_message: r.binding_message.clone(),
            acr_values: r.acr_values.clone(),
            expires_in: r.expires_ms.saturating_sub(now) / 1000,
            mode: if r.ping.is_some() { "ping" } else { "poll" },
        })
        .collect();
    out.sort_by_key(|p| p.expires_in);
    out
}

/// Approves (as the user the client named) or denies the request `ticket`; in ping mode the
/// client is pinged (in the background). Errs with a sentence when the ticket is unknown,
/// expired or already answered.
pub(crate) fn decide(app: &App, ticket: &str, approve: bool) -> Result<(), String> {
    let ping = {
        let mut store = app.store();
        let now = now_ms();
        let Some(record) = store.ciba.values_mut().find(|r| r.ticket == ticket) else {
            return Err("no such request (unknown ticket)".into());
        };
        if record.status != CibaStatus::Pending {
            return Err("the request was already answered".into());
        }
        if record.expires_ms <= now {
            return Err("the request has expired".into());
        }
        record.status = if approve {
            CibaStatus::Approved {
                user: record.user,
                auth_time: now_secs(),
            }
        } else {
            CibaStatus::Denied
        };
        record
            .ping
            .clone()
            .map(|(endpoint, token)| (endpoint, token, record.auth_req_id.clone()))
    };
    if let Some((endpoint, token, auth_req_id)) = ping {
        spawn_ping(endpoint, token, auth_req_id, 0);
    }
    Ok(())
}

/// Approves at once as `user` (the `--auto-approve` user): a script needs no phone. In ping
/// mode the ping follows shortly, after the client has had its answer.
pub(crate) fn auto_approve(app: &App, ticket: &str, user: &'static SeededUser) {
    let ping = {
        let mut store = app.store();
        let Some(record) = store.ciba.values_mut().find(|r| r.ticket == ticket) else {
            return;
        };
        record.status = CibaStatus::Approved {
            user,
            auth_time: now_secs(),
        };
        record
            .ping
            .clone()
            .map(|(endpoint, token)| (endpoint, token, record.auth_req_id.clone()))
    };
    if let Some((endpoint, token, auth_req_id)) = ping {
        spawn_ping(endpoint, token, auth_req_id, 200);
    }
}

/// Sends the ping in the background after `delay_ms`: on the caller's runtime, or (a caller
/// outside one, such as the desktop's Classroom) on a thread of its own.
fn spawn_ping(endpoint: String, token: String, auth_req_id: String, delay_ms: u64) {
    let ping = async move {
        tokio::time::sleep(std::time::Duration::from_millis(delay_ms)).await;
        send_ping(&endpoint, &token, &auth_req_id).await;
    };
    match tokio::runtime::Handle::try_current() {
        Ok(handle) => {
            handle.spawn(ping);
        }
        Err(_) => {
            std::thread::spawn(move || {
                if let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    rt.block_on(ping);
                }
            });
        }
    }
}

/// POSTs `{"auth_req_id": …}` with the client notification token as Bearer (§10.2); what
/// came of it is not the user's concern (a client that missed the ping can still poll).
async fn send_ping(endpoint: &str, token: &str, auth_req_id: &str) {
    let Ok(url) = url::Url::parse(endpoint) else {
        return;
    };
    let Ok(http) = HttpClient::new(&HttpOptions {
        timeout: std::time::Duration::from_secs(5),
        ..HttpOptions::default()
    }) else {
        return;
    };
    let request = HttpRequest {
        method: "POST".into(),
        url,
        headers: vec![
            ("Content-Type".into(), "application/json".into()),
            ("Authorization".into(), format!("Bearer {token}")),
        ],
        body: Some(json!({ "auth_req_id": auth_req_id }).to_string()),
        secrets: vec![(SecretKind::Credentials, token.to_string())],
        decoded: Vec::new(),
    };
    let _ = http.send("CIBA ping", request).await;
}

/// The pending requests as the start page and `/ciba` show them: each with its binding
/// message and an Approve and a Deny button posting to [`crate::paths::PHONE_PATH`].
pub(crate) fn phone_html(app: &App) -> String {
    use crate::protocol::page::escape_html;
    let rows: String = pending(app)
        .iter()
        .map(|p| {
            let message = match &p.binding_message {
                Some(m) => format!("<strong>{}</strong>", escape_html(m)),
                None => "<em>(no binding message: nothing to compare with the client's \
                         screen)</em>"
                    .to_string(),
            };
            let button = |decision: &str, label: &str| {
                format!(
                    "<form method=\"post\" action=\"{action}\" style=\"display:inline\">\
                     <input type=\"hidden\" name=\"ticket\" value=\"{ticket}\">\
                     <button name=\"decision\" value=\"{decision}\">{label}</button></form>",
                    action = escape_html(&app.url(crate::paths::PHONE_PATH)),
                    ticket = escape_html(&p.ticket),
                )
            };
            format!(
                "<tr><td><code>{}</code></td><td><code>{}</code></td><td>{}</td>\
                 <td><code>{}</code></td><td>{} s</td><td>{} {}</td></tr>",
                escape_html(&p.user),
                escape_html(&p.client_id),
                message,
                escape_html(&p.scope),
                p.expires_in,
                button("approve", "Approve"),
                button("deny", "Deny"),
            )
        })
        .collect();
    let table = if rows.is_empty() {
        "<p>No request is waiting.</p>".to_string()
    } else {
        format!(
            "<table><tr><th>user</th><th>client</th><th>binding message</th><th>scope</th>\
             <th>expires in</th><th>decision</th></tr>{rows}</table>"
        )
    };
    format!(
        "<h2>CIBA: the user's phone</h2><p>Backchannel authentication requests waiting for \
         their user (compare the binding message with the client's screen before approving).</p>\
         {table}"
    )
}
