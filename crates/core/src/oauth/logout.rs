//! RP-Initiated Logout 1.0: the end session request (built pure), and the wait for the
//! browser to come back to the `post_logout_redirect_uri` on the loopback address with the
//! `state` sent (anything else is refused: a logout answer is unsolicited otherwise).

use std::time::Duration;

use tokio::io::AsyncWriteExt as _;
use tokio::net::{TcpListener, TcpStream};
use url::Url;

use super::error::FlowError;
use super::loopback::{html_escape, is_loopback, read_request_target};

/// The end session URL: `id_token_hint`, `client_id`, and with a post-logout redirect URI its
/// `state` (§2).
pub fn end_session_url(
    endpoint: &Url,
    id_token_hint: &str,
    client_id: Option<&str>,
    post_logout_redirect_uri: Option<&Url>,
    state: &str,
) -> Url {
    let mut url = endpoint.clone();
    {
        let mut q = url.query_pairs_mut();
        q.append_pair("id_token_hint", id_token_hint);
        if let Some(id) = client_id.filter(|c| !c.is_empty()) {
            q.append_pair("client_id", id);
        }
        if let Some(uri) = post_logout_redirect_uri {
            q.append_pair("post_logout_redirect_uri", uri.as_str());
            q.append_pair("state", state);
        }
    }
    url
}

/// Opens `url` in the system browser; whether it did.
pub fn open_in_browser(url: &str) -> bool {
    webbrowser::open(url).is_ok()
}

/// A listener on the loopback address for the browser's return after logout.
pub struct PostLogoutListener {
    listener: TcpListener,
    path: String,
    uri: Url,
}

impl PostLogoutListener {
    /// Binds the given loopback URI's port (none: a free one, put into the URI, RFC 8252 §7.3).
    pub async fn bind(uri: &Url) -> Result<Self, FlowError> {
        if !is_loopback(uri) {
            return Err(FlowError::Config(format!(
                "the post-logout redirect URI {uri} is not a loopback http URI, so grantscope \
                 cannot see the browser come back"
            )));
        }
        let listener = TcpListener::bind(("127.0.0.1", uri.port().unwrap_or(0)))
            .await
            .map_err(|e| FlowError::Config(format!("cannot listen for {uri}: {e}")))?;
        let port = listener
            .local_addr()
            .map_err(|e| FlowError::Config(e.to_string()))?
            .port();
        let mut real = uri.clone();
        let _ = real.set_host(Some("127.0.0.1"));
        let _ = real.set_port(Some(port));
        Ok(Self {
            listener,
            path: uri.path().to_string(),
            uri: real,
        })
    }

    /// The URI to send (with the port bound).
    pub fn uri(&self) -> &Url {
        &self.uri
    }

    /// Waits for the browser at the path; `Ok` when it brings `state` back.
    pub async fn wait(&self, state: &str, timeout: Duration) -> Result<(), FlowError> {
        let wait = async {
            loop {
                let (mut stream, _) = self
                    .listener
                    .accept()
                    .await
                    .map_err(|e| FlowError::Redirect(format!("the listener failed: {e}")))?;
                let Some((target, _)) = read_request_target(&mut stream).await else {
                    continue;
                };
                let Ok(url) = Url::parse(&format!("http://127.0.0.1{target}")) else {
                    continue;
                };
                if url.path() != self.path {
                    page(&mut stream, "404 Not Found", "Not here").await;
                    continue;
                }
                let states: Vec<String> = url
                    .query_pairs()
                    .filter(|(k, _)| k == "state")
                    .map(|(_, v)| v.into_owned())
                    .collect();
                return match states.as_slice() {
                    [s] if s == state => {
                        page(&mut stream, "200 OK", "Logged out. You can close this tab.").await;
                        Ok(())
                    }
                    [] => {
                        page(&mut stream, "400 Bad Request", "No state came back.").await;
                        Err(FlowError::Redirect(
                            "the provider came back from logout without the state sent \
                             (RP-Initiated Logout §3): not the answer to this logout"
                                .into(),
                        ))
                    }
                    _ => {
                        page(&mut stream, "400 Bad Request", "Wrong state.").await;
                        Err(FlowError::Redirect(
                            "the state that came back from logout is not the one sent: an \
                             unsolicited or forged logout answer"
                                .into(),
                        ))
                    }
                };
            }
        };
        tokio::time::timeout(timeout, wait).await.map_err(|_| {
            FlowError::Redirect(format!(
                "no browser came back to {} within {} s",
                self.uri,
                timeout.as_secs()
            ))
        })?
    }
}

async fn page(stream: &mut TcpStream, status: &str, message: &str) {
    let body = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>grantscope</title></head>\
         <body style=\"font-family:sans-serif;max-width:40em;margin:3em auto\"><p>{}</p></body></html>",
        html_escape(message)
    );
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes()).await;
    let _ = stream.write_all(body.as_bytes()).await;
    let _ = stream.shutdown().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_end_session_url_carries_the_hint_and_the_state_with_a_redirect() {
        let e = Url::parse("https://as.example/logout?x=1").unwrap();
        let back = Url::parse("http://127.0.0.1:5000/logged-out").unwrap();
        let u = end_session_url(&e, "tok", Some("c1"), Some(&back), "s1");
        let q: Vec<(String, String)> = u.query_pairs().into_owned().collect();
        assert!(q.contains(&("x".into(), "1".into())));
        assert!(q.contains(&("id_token_hint".into(), "tok".into())));
        assert!(q.contains(&("client_id".into(), "c1".into())));
        assert!(q.contains(&("state".into(), "s1".into())));
        let u = end_session_url(&e, "tok", None, None, "s1");
        assert!(!u.as_str().contains("state="));
    }
}
