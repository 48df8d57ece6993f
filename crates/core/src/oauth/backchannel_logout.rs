//! A client's back-channel logout endpoint (OpenID Connect Back-Channel Logout 1.0 §2.5) on
//! the loopback address: the provider POSTs `logout_token=…` (form-encoded) to
//! `http://127.0.0.1:PORT/backchannel-logout`. The listener hands each token to its caller,
//! which judges it and answers 200 (accepted) or 400 (refused) with a JSON body; other paths
//! get 404, other requests 400, and neither ends the wait.

use tokio::io::AsyncWriteExt as _;
use tokio::net::{TcpListener, TcpStream};
use url::Url;

use super::error::FlowError;
use super::loopback::read_request_target;

/// The path the provider posts to.
pub const PATH: &str = "/backchannel-logout";

/// The listening endpoint.
pub struct BackchannelListener {
    listener: TcpListener,
    url: Url,
}

/// One POSTed logout token, waiting for its verdict.
pub struct Delivery {
    stream: TcpStream,
    /// The `logout_token` as posted (untrusted), or why the request carried none.
    pub token: Result<String, String>,
}

impl Delivery {
    /// Answers the provider: 200 for an accepted token, 400 with the reason otherwise
    /// (§2.8), and closes the connection.
    pub async fn answer(mut self, accepted: bool, reason: &str) {
        let (status, body) = if accepted {
            ("200 OK", serde_json::json!({}))
        } else {
            (
                "400 Bad Request",
                serde_json::json!({ "error": "invalid_request", "error_description": reason }),
            )
        };
        respond(&mut self.stream, status, &body).await;
    }
}

async fn respond(stream: &mut TcpStream, status: &str, body: &serde_json::Value) {
    let body = body.to_string();
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes()).await;
    let _ = stream.write_all(body.as_bytes()).await;
    let _ = stream.shutdown().await;
}

impl BackchannelListener {
    /// Listens on `127.0.0.1:port` (0: a free port).
    pub async fn bind(port: u16) -> Result<Self, FlowError> {
        let listener = TcpListener::bind(("127.0.0.1", port)).await.map_err(|e| {
            FlowError::Config(format!(
                "cannot listen on 127.0.0.1:{port} for back-channel logout: {e}"
            ))
        })?;
        let bound = listener
            .local_addr()
            .map_err(|e| FlowError::Config(format!("the listener has no address: {e}")))?;
        let url = Url::parse(&format!("http://127.0.0.1:{}{PATH}", bound.port()))
            .map_err(|e| FlowError::Config(e.to_string()))?;
        Ok(Self { listener, url })
    }

    /// `http://127.0.0.1:PORT/backchannel-logout`: what the client registers as its
    /// `backchannel_logout_uri`.
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// Waits for the next POST to [`PATH`] (answering anything else on the way); cancel it by
    /// dropping the future.
    pub async fn next(&self) -> Result<Delivery, FlowError> {
        loop {
            let (mut stream, _) = self
                .listener
                .accept()
                .await
                .map_err(|e| FlowError::Config(format!("the listener failed: {e}")))?;
            let Some((target, body)) = read_request_target(&mut stream).await else {
                respond(
                    &mut stream,
                    "400 Bad Request",
                    &serde_json::json!({ "error": "invalid_request",
                        "error_description": "expected a form-encoded POST (§2.5)" }),
                )
                .await;
                continue;
            };
            if target.split('?').next() != Some(PATH) {
                respond(&mut stream, "404 Not Found", &serde_json::json!({})).await;
                continue;
            }
            let token = match body {
                None => Err("a logout token is POSTed, form-encoded (§2.5)".to_string()),
                Some(form) => {
                    let tokens: Vec<String> = url::form_urlencoded::parse(form.as_bytes())
                        .filter(|(k, _)| k == "logout_token")
                        .map(|(_, v)| v.into_owned())
                        .collect();
                    match tokens.as_slice() {
                        [one] if !one.is_empty() => Ok(one.clone()),
                        [] => Err("the request carries no logout_token (§2.5)".to_string()),
                        _ => Err("the request carries more than one logout_token".to_string()),
                    }
                }
            };
            return Ok(Delivery { stream, token });
        }
    }
}
