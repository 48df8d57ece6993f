//! The one-shot loopback redirect listener for native apps (RFC 8252 §7.3), and the parsing
//! of an authorization response (also used for a redirect URL pasted by hand).
//!
//! The listener binds the loopback address only (127.0.0.1, or ::1 for a `http://[::1]`
//! redirect URI), on the redirect URI's port or an ephemeral one. Connections are read
//! concurrently, so an idle one (a browser's speculative preconnect) cannot hold the redirect
//! back. It answers unrelated requests (favicon, wrong path) with 404 and keeps waiting; the first
//! request to the callback path ends it, whatever it says: a code with the right `state`
//! (and `iss`, RFC 9207), or an error. The browser always gets a small page saying what
//! happened.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use url::Url;

use super::config::ClientCheck;
use super::error::{FlowError, OAuthErrorResponse};

/// Connections read at once; more wait in the backlog until one is done.
const MAX_OPEN_CONNECTIONS: usize = 64;

/// Verifies a JARM response JWT (signature, `iss`, `aud`, `exp`) and returns its claims as
/// the authorization response's parameters.
pub type JarmVerifier =
    std::sync::Arc<dyn Fn(&str) -> Result<Vec<(String, String)>, FlowError> + Send + Sync>;

/// What the authorization response must carry to be accepted.
#[derive(Clone, Default)]
pub struct Expected {
    pub state: String,
    /// The issuer to compare `iss` with (RFC 9207), when known.
    pub issuer: Option<String>,
    /// The server promised `iss` (metadata), so its absence is an error.
    pub require_iss: bool,
    /// JARM: the response comes as one signed JWT (`response`), verified before any of its
    /// parameters is used.
    pub jarm: Option<JarmVerifier>,
    /// The response type asked for tokens in the front channel (implicit, hybrid): an answer
    /// with `access_token` / `id_token` and no `code` is accepted.
    pub front_channel_tokens: bool,
    /// Checks the tester turned off: a failure of one is accepted and said in
    /// [`Callback::accepted`], never silently.
    pub checks_off: Vec<ClientCheck>,
}

impl std::fmt::Debug for Expected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Expected")
            .field("state", &self.state)
            .field("issuer", &self.issuer)
            .field("require_iss", &self.require_iss)
            .field("jarm", &self.jarm.is_some())
            .finish()
    }
}

/// A successful authorization response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Callback {
    /// Empty only for a response type without `code` (implicit).
    pub code: crate::secret::AuthorizationCode,
    pub iss: Option<String>,
    /// Every parameter of the response (JARM: of the verified JWT), as received.
    pub params: Vec<(String, String)>,
    /// What failed a check the tester turned off and was accepted anyway, one line each.
    pub accepted: Vec<String>,
}

/// Checks an authorization response given as a full redirect URL or a bare query string.
pub fn parse_redirect(input: &str, expected: &Expected) -> Result<Callback, FlowError> {
    let input = input.trim();
    let query = match Url::parse(input) {
        Ok(u) => {
            // Parameters may come in the fragment (a misconfigured response_mode).
            let q = u.query().unwrap_or("").to_string();
            if q.is_empty() {
                u.fragment().unwrap_or("").to_string()
            } else {
                q
            }
        }
        Err(_) => input.trim_start_matches('?').to_string(),
    };
    let mut params: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    if let Some(verify) = &expected.jarm {
        // JARM (§4.4): nothing but the verified `response` JWT counts.
        let responses: Vec<&String> = params
            .iter()
            .filter(|(k, _)| k == "response")
            .map(|(_, v)| v)
            .collect();
        match responses.as_slice() {
            [jwt] => params = verify(jwt)?,
            [] => {
                return Err(FlowError::Redirect(
                    "rejected: a JWT response mode was asked for, but the redirect carries no `response` JWT".into(),
                ));
            }
            _ => {
                return Err(FlowError::Redirect(
                    "rejected: the redirect carries `response` more than once".into(),
                ));
            }
        }
    }
    // RFC 6749 §3.1: a parameter must not be repeated; do not silently pick one of two codes.
    for name in ["state", "code", "iss", "error"] {
        if params.iter().filter(|(n, _)| n == name).count() > 1 {
            return Err(FlowError::Redirect(format!(
                "rejected: the redirect carries `{name}` more than once (RFC 6749 §3.1)"
            )));
        }
    }
    let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    // A failed check is an error, unless the tester turned it off: then it is accepted, said.
    let mut accepted = Vec::new();
    let mut fail = |check: ClientCheck, why: String| -> Result<(), FlowError> {
        if expected.checks_off.contains(&check) {
            accepted.push(format!(
                "{why}; accepted because the {check} check is turned off"
            ));
            Ok(())
        } else {
            Err(FlowError::Redirect(format!("rejected: {why}")))
        }
    };
    let state = get("state");
    // RFC 9207: a present `iss` must match, even on error responses.
    let iss = get("iss");
    if let (Some(iss), Some(issuer)) = (&iss, &expected.issuer)
        && iss.trim_end_matches('/') != issuer.trim_end_matches('/')
    {
        fail(
            ClientCheck::Iss,
            format!(
                "the redirect's iss {iss:?} is not the expected issuer {issuer:?} (RFC 9207 mix-up defence)"
            ),
        )?;
    }
    if state.as_deref() != Some(expected.state.as_str()) {
        fail(
            ClientCheck::State,
            match state {
                None => "the redirect carries no `state`; it was not answering our request".into(),
                Some(_) => "the redirect's `state` does not match the one we sent (possible CSRF or a stale tab)".into(),
            },
        )?;
    }
    if let Some(error) = get("error") {
        return Err(FlowError::AuthorizationDenied {
            error: OAuthErrorResponse {
                error,
                error_description: get("error_description"),
                error_uri: get("error_uri"),
            },
        });
    }
    // RFC 9207 §2.4: a response with an ID token may leave `iss` out; the ID token's `iss`
    // then stands for it, and must name the expected issuer before the code is used.
    let id_token_iss = get("id_token").and_then(|t| match crate::token::decode(&t) {
        Ok(crate::token::Decoded::Jws(jws)) => jws
            .claims
            .get("iss")
            .and_then(serde_json::Value::as_str)
            .map(String::from),
        _ => None,
    });
    if iss.is_none()
        && let (Some(found), Some(issuer)) = (&id_token_iss, &expected.issuer)
        && found.trim_end_matches('/') != issuer.trim_end_matches('/')
    {
        fail(
            ClientCheck::Iss,
            format!(
                "the front-channel ID token's iss {found:?} is not the expected issuer {issuer:?} (RFC 9207 mix-up defence)"
            ),
        )?;
    }
    if iss.is_none() && id_token_iss.is_none() && expected.require_iss {
        fail(
            ClientCheck::Iss,
            "the server advertises RFC 9207 `iss` on authorization responses but this one has none"
                .into(),
        )?;
    }
    match get("code") {
        Some(code) if !code.is_empty() => Ok(Callback {
            code: code.into(),
            iss,
            params,
            accepted,
        }),
        None if expected.front_channel_tokens
            && (get("access_token").is_some() || get("id_token").is_some()) =>
        {
            Ok(Callback {
                code: String::new().into(),
                iss,
                params,
                accepted,
            })
        }
        _ => Err(FlowError::Redirect(
            "the redirect has neither `code` nor `error`".into(),
        )),
    }
}

/// Whether a redirect URI can be served by our loopback listener.
pub fn is_loopback(uri: &Url) -> bool {
    uri.scheme() == "http"
        && matches!(
            uri.host_str(),
            Some("127.0.0.1") | Some("localhost") | Some("[::1]")
        )
}

/// A bound, not yet used listener.
pub struct LoopbackListener {
    listener: TcpListener,
    path: String,
    redirect_uri: Url,
}

impl LoopbackListener {
    /// Binds 127.0.0.1 (::1 for a `[::1]` redirect URI) on the port of `redirect` (0 or none:
    /// ephemeral) and returns the redirect URI to send, with the real port.
    pub async fn bind(redirect: Option<&Url>) -> Result<Self, FlowError> {
        let (port, path) = match redirect {
            Some(u) => {
                if !is_loopback(u) {
                    return Err(FlowError::Config(format!(
                        "the redirect URI {u} is not a loopback http URI; use the paste-the-redirect mode for it"
                    )));
                }
                (u.port().unwrap_or(0), u.path().to_string())
            }
            None => (0, "/callback".to_string()),
        };
        // The address the browser will connect to: an IPv6 literal is `[::1]` (is_loopback).
        let ip: IpAddr = match redirect.and_then(Url::host) {
            Some(url::Host::Ipv6(_)) => Ipv6Addr::LOCALHOST.into(),
            _ => Ipv4Addr::LOCALHOST.into(),
        };
        let listener = TcpListener::bind((ip, port)).await.map_err(|e| {
            FlowError::Config(format!(
                "cannot listen on {ip} port {port} for the redirect: {e}"
            ))
        })?;
        let real = listener
            .local_addr()
            .map_err(|e| FlowError::Config(format!("loopback listener: {e}")))?
            .port();
        let host = redirect
            .and_then(|u| u.host_str())
            .unwrap_or("127.0.0.1")
            .to_string();
        let redirect_uri = Url::parse(&format!("http://{host}:{real}{path}"))
            .map_err(|e| FlowError::Config(format!("redirect URI: {e}")))?;
        Ok(Self {
            listener,
            path,
            redirect_uri,
        })
    }

    pub fn redirect_uri(&self) -> &Url {
        &self.redirect_uri
    }

    /// Waits for the authorization response, at most `timeout`.
    pub async fn wait(self, expected: &Expected, timeout: Duration) -> Result<Callback, FlowError> {
        match tokio::time::timeout(timeout, self.accept_loop(expected)).await {
            Ok(r) => r,
            Err(_) => Err(FlowError::Redirect(format!(
                "no redirect arrived at {} within {}; was the login finished in the browser?",
                self.redirect_uri,
                humantime::format_duration(timeout)
            ))),
        }
    }

    async fn accept_loop(&self, expected: &Expected) -> Result<Callback, FlowError> {
        // Requests are read concurrently (each bounded in size and time); dropping the set when
        // this returns closes the connections still open.
        let mut reading = tokio::task::JoinSet::new();
        loop {
            let (mut stream, target) = tokio::select! {
                accepted = self.listener.accept(), if reading.len() < MAX_OPEN_CONNECTIONS => {
                    let (mut stream, _) = accepted.map_err(|e| {
                        FlowError::Redirect(format!("loopback listener failed: {e}"))
                    })?;
                    reading.spawn(async move {
                        let target = read_request_target(&mut stream).await;
                        (stream, target)
                    });
                    continue;
                }
                Some(joined) = reading.join_next() => match joined {
                    Ok((stream, Some(target))) => (stream, target),
                    _ => continue,
                },
            };
            let (target, form) = target;
            let (path, query) = target.split_once('?').unwrap_or((target.as_str(), ""));
            // form_post (and form_post.jwt): the parameters come in the POST body.
            let query = form.as_deref().unwrap_or(query);
            if path == self.path && query.is_empty() {
                // Nothing in the query: the parameters may be in the fragment, which only the
                // browser sees. A small page posts it back here (implicit, hybrid, `fragment`).
                respond_relay(&mut stream).await;
                continue;
            }
            if path != self.path {
                respond(
                    &mut stream,
                    404,
                    "Not found",
                    "This is not the redirect path.",
                )
                .await;
                continue;
            }
            let result = parse_redirect(query, expected);
            match &result {
                Ok(_) => {
                    respond(
                        &mut stream,
                        200,
                        "Signed in",
                        "grantscope received the authorization code. You can close this tab and go back to grantscope.",
                    )
                    .await
                }
                Err(e) => respond(&mut stream, 400, "Authorization failed", &e.to_string()).await,
            }
            return result;
        }
    }
}

/// Most a form_post body may be.
const MAX_FORM: usize = 64 * 1024;

/// Reads one HTTP/1.1 request from `stream`: its head (at most `max_head` bytes before the
/// blank line) and its body (`Content-Length`, at most `max_body`), all within `timeout`;
/// `None` past a cap, on a closed stream or on time. The loopback listeners' one reader.
pub(crate) async fn read_http_request<S: tokio::io::AsyncRead + Unpin>(
    stream: &mut S,
    max_head: usize,
    max_body: usize,
    timeout: Duration,
) -> Option<(String, Vec<u8>)> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 4096];
    let read = async {
        loop {
            let n = stream.read(&mut chunk).await.ok()?;
            if n == 0 {
                return None;
            }
            buf.extend_from_slice(&chunk[..n]);
            if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&buf[..end]).to_string();
                let length = header_value(&head, "content-length")
                    .and_then(|v| v.parse::<usize>().ok())
                    .unwrap_or(0);
                if length > max_body {
                    return None;
                }
                while buf.len() < end + 4 + length {
                    let n = stream.read(&mut chunk).await.ok()?;
                    if n == 0 {
                        return None;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                }
                return Some((head, buf[end + 4..end + 4 + length].to_vec()));
            }
            if buf.len() > max_head {
                return None;
            }
        }
    };
    tokio::time::timeout(timeout, read).await.ok()?
}

/// The value of the header `name` (case-insensitive) in a request's `head`, trimmed.
pub(crate) fn header_value(head: &str, name: &str) -> Option<String> {
    head.lines().skip(1).find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.trim()
            .eq_ignore_ascii_case(name)
            .then(|| v.trim().to_string())
    })
}

/// Reads one HTTP request (bounded in size and time): the request target of a GET, or of a
/// POST with its `application/x-www-form-urlencoded` body (form_post response mode).
pub(crate) async fn read_request_target(
    stream: &mut TcpStream,
) -> Option<(String, Option<String>)> {
    let (head, body) =
        read_http_request(stream, 16 * 1024, MAX_FORM, Duration::from_secs(5)).await?;
    let line = head.lines().next()?;
    let mut parts = line.split_whitespace();
    let method = parts.next()?;
    let target = parts.next()?.to_string();
    match method {
        "GET" => Some((target, None)),
        "POST" => {
            let form = header_value(&head, "content-type")
                .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
            form.then(|| (target, Some(String::from_utf8_lossy(&body).into_owned())))
        }
        _ => None,
    }
}

/// The page that posts the URL fragment back to the listener (a browser never sends the
/// fragment itself); an empty fragment posts `error=no_parameters`, so the flow ends.
async fn respond_relay(stream: &mut TcpStream) {
    let body = "<!doctype html><html><head><meta charset=\"utf-8\"><title>grantscope</title></head>\
        <body style=\"font-family:sans-serif;max-width:40em;margin:3em auto\"><p>Handing the answer to grantscope…</p>\
        <form id=\"f\" method=\"post\"></form><script>\
        var p = new URLSearchParams(location.hash.substring(1)); var f = document.getElementById('f');\
        if ([...p.keys()].length === 0) { p.set('error', 'no_parameters'); p.set('error_description', 'the redirect carried no parameters'); }\
        p.forEach(function (v, k) { var i = document.createElement('input'); i.type = 'hidden'; i.name = k; i.value = v; f.appendChild(i); });\
        history.replaceState(null, '', location.pathname); f.submit();</script></body></html>";
    let head = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes()).await;
    let _ = stream.write_all(body.as_bytes()).await;
    let _ = stream.shutdown().await;
}

async fn respond(stream: &mut TcpStream, status: u16, title: &str, message: &str) {
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        _ => "Not Found",
    };
    let body = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>grantscope: {t}</title></head>\
         <body style=\"font-family:sans-serif;max-width:40em;margin:3em auto\"><h1>{t}</h1><p>{m}</p></body></html>",
        t = html_escape(title),
        m = html_escape(message)
    );
    let head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes()).await;
    let _ = stream.write_all(body.as_bytes()).await;
    let _ = stream.shutdown().await;
}

pub fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expected() -> Expected {
        Expected {
            state: "s1".into(),
            issuer: Some("http://as.example".into()),
            require_iss: false,
            ..Default::default()
        }
    }

    #[test]
    fn a_check_turned_off_accepts_and_says_what_it_accepted() {
        let bad =
            "http://127.0.0.1:5000/callback?code=abc&state=other&iss=http%3A%2F%2Fevil.example";
        let e = parse_redirect(bad, &expected()).unwrap_err().to_string();
        assert!(e.contains("iss"), "iss is checked first: {e}");
        let only_iss = Expected {
            checks_off: vec![ClientCheck::Iss],
            ..expected()
        };
        let e = parse_redirect(bad, &only_iss).unwrap_err().to_string();
        assert!(e.contains("state"), "state is still checked: {e}");
        let both = Expected {
            checks_off: vec![ClientCheck::Iss, ClientCheck::State],
            ..expected()
        };
        let cb = parse_redirect(bad, &both).unwrap();
        assert_eq!(cb.code.expose(), "abc");
        assert_eq!(cb.accepted.len(), 2, "{:?}", cb.accepted);
        assert!(cb.accepted.iter().all(|a| a.contains("turned off")));
        // Nothing failed: nothing is said, even with the checks off.
        let good = "http://127.0.0.1:5000/callback?code=abc&state=s1&iss=http%3A%2F%2Fas.example";
        assert!(parse_redirect(good, &both).unwrap().accepted.is_empty());
    }

    #[test]
    fn accepts_matching_state_and_iss() {
        let cb = parse_redirect(
            "http://127.0.0.1:5000/callback?code=abc&state=s1&iss=http%3A%2F%2Fas.example",
            &expected(),
        )
        .unwrap();
        assert_eq!(cb.code.expose(), "abc");
    }

    #[test]
    fn rejects_wrong_or_missing_state() {
        let e = parse_redirect("code=abc&state=evil", &expected()).unwrap_err();
        assert!(e.to_string().contains("state"), "{e}");
        assert!(parse_redirect("code=abc", &expected()).is_err());
    }

    #[test]
    fn rejects_wrong_iss_and_missing_required_iss() {
        let e = parse_redirect("code=abc&state=s1&iss=http://evil", &expected()).unwrap_err();
        assert!(e.to_string().contains("RFC 9207"), "{e}");
        let mut exp = expected();
        exp.require_iss = true;
        assert!(parse_redirect("code=abc&state=s1", &exp).is_err());
    }

    #[test]
    fn error_redirect_is_reported() {
        let e = parse_redirect(
            "?error=access_denied&error_description=User+said+no&state=s1",
            &expected(),
        )
        .unwrap_err();
        assert_eq!(e.oauth_code(), Some("access_denied"));
        assert!(e.to_string().contains("User said no"));
    }

    #[tokio::test]
    async fn listener_serves_one_redirect_and_ignores_other_paths() {
        let l = LoopbackListener::bind(None).await.unwrap();
        let uri = l.redirect_uri().clone();
        assert_eq!(uri.host_str(), Some("127.0.0.1"));
        let exp = expected();
        let waiter = tokio::spawn(async move { l.wait(&exp, Duration::from_secs(10)).await });
        let client = reqwest::Client::new();
        let port = uri.port().unwrap();
        let r = client
            .get(format!("http://127.0.0.1:{port}/favicon.ico"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 404);
        let r = client
            .get(format!("{uri}?code=xyz&state=s1"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 200);
        assert!(
            r.text()
                .await
                .unwrap()
                .contains("received the authorization code")
        );
        assert_eq!(waiter.await.unwrap().unwrap().code.expose(), "xyz");
    }

    /// A bare GET (the parameters were in the fragment) gets the relay page and the listener
    /// keeps waiting; the relayed POST (form_post too) ends it. A JSON POST is not a form.
    #[tokio::test]
    async fn fragment_relay_and_form_post_are_received() {
        let l = LoopbackListener::bind(None).await.unwrap();
        let uri = l.redirect_uri().clone();
        let exp = expected();
        let waiter = tokio::spawn(async move { l.wait(&exp, Duration::from_secs(10)).await });
        let client = reqwest::Client::new();
        let r = client.get(uri.as_str()).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 200);
        let page = r.text().await.unwrap();
        assert!(
            page.contains("location.hash") && page.contains("method=\"post\""),
            "{page}"
        );
        let r = client
            .post(uri.as_str())
            .header("content-type", "application/json")
            .body("{}")
            .send()
            .await;
        assert!(r.is_err() || r.unwrap().status().as_u16() != 200);
        let r = client
            .post(uri.as_str())
            .header("content-type", "application/x-www-form-urlencoded")
            .body("code=posted&state=s1")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 200);
        assert_eq!(waiter.await.unwrap().unwrap().code.expose(), "posted");
    }

    #[tokio::test]
    async fn listener_times_out() {
        let l = LoopbackListener::bind(None).await.unwrap();
        let e = l
            .wait(&expected(), Duration::from_millis(200))
            .await
            .unwrap_err();
        assert!(e.to_string().contains("no redirect arrived"), "{e}");
    }
}
