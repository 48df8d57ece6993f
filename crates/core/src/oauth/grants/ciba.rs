//! OpenID Connect Client-Initiated Backchannel Authentication (CIBA Core 1.0): the client asks
//! the provider to authenticate a user on another device (`login_hint`, `binding_message`),
//! then either polls the token endpoint with the `auth_req_id` (poll mode, the device grant's
//! polling) or waits for the provider's ping on its client notification endpoint and then asks
//! for the tokens once (ping mode). The ping listener serves plain HTTP on a loopback
//! `http://` endpoint, or TLS with a stored key's certificate on a loopback `https://` one
//! (CIBA §10.2 asks for https).

use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt as _};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use url::Url;

use super::TokenSuccess;
use super::device::poll_token_endpoint;
use crate::keys::StoredKey;
use crate::oauth::endpoint::EndpointKind;
use crate::oauth::error::{FlowError, GrantInput, Missing};
use crate::oauth::loopback::{header_value, read_http_request};
use crate::oauth::step::StepKind;
use crate::oauth::{ClientConfig, FlowEvent, Session};
use crate::secret::{ClientNotificationToken, SecretKind};

const NAME: &str = "CIBA";

pub const GRANT_TYPE: &str = "urn:openid:params:grant-type:ciba";

/// Without an `interval` in the answer the client waits 5 s between polls (CIBA §7.3).
pub const DEFAULT_INTERVAL: u64 = 5;

/// A ping's body is a small JSON object: anything larger is refused unread.
const MAX_PING: usize = 16 * 1024;

/// How long a caller of the notification endpoint may take to finish the TLS handshake, and
/// then to send its request.
const PEER_TIMEOUT: Duration = Duration::from_secs(5);

/// How the client learns that the user decided.
#[derive(Debug, Clone)]
pub enum CibaMode {
    Poll,
    /// The provider POSTs `{"auth_req_id": …}` with `Authorization: Bearer <token>` to
    /// `endpoint` (the client's registered notification endpoint; grantscope listens on the
    /// loopback address and its port). An `https://` endpoint is served with `tls`, a stored
    /// key whose certificate names the endpoint's host.
    Ping {
        endpoint: Url,
        token: ClientNotificationToken,
        tls: Option<Arc<StoredKey>>,
    },
}

/// The backchannel authentication request's parameters (CIBA §7.1).
#[derive(Debug, Clone)]
pub struct CibaRequest {
    pub login_hint: String,
    pub binding_message: Option<String>,
    pub acr_values: Option<String>,
    pub requested_expiry: Option<u64>,
    pub mode: CibaMode,
}

/// The successful answer (CIBA §7.3).
#[derive(Debug, Clone, Deserialize)]
pub struct BackchannelAuthentication {
    pub auth_req_id: String,
    pub expires_in: u64,
    #[serde(default)]
    pub interval: Option<u64>,
}

/// The request's form parameters, built pure: the client's scope with `openid` (CIBA §7.1
/// requires it), the hints, and the notification token in ping mode.
pub fn request_params(cfg: &ClientConfig, req: &CibaRequest) -> Vec<(String, String)> {
    let mut params = cfg.scope_params();
    let with_openid = match params.iter().find(|(k, _)| k == "scope") {
        Some((_, s)) if s.split_whitespace().any(|v| v == "openid") => s.clone(),
        Some((_, s)) => format!("openid {s}"),
        None => "openid".into(),
    };
    params.retain(|(k, _)| k != "scope");
    params.insert(0, ("scope".into(), with_openid));
    params.push(("login_hint".into(), req.login_hint.clone()));
    if let Some(m) = req.binding_message.as_deref().filter(|m| !m.is_empty()) {
        params.push(("binding_message".into(), m.to_string()));
    }
    if let Some(a) = req.acr_values.as_deref().filter(|a| !a.is_empty()) {
        params.push(("acr_values".into(), a.to_string()));
    }
    if let Some(e) = req.requested_expiry {
        params.push(("requested_expiry".into(), e.to_string()));
    }
    if let CibaMode::Ping { token, .. } = &req.mode {
        params.push((
            "client_notification_token".into(),
            token.expose().to_string(),
        ));
    }
    params
}

/// Sends the backchannel authentication request.
pub async fn authenticate(
    session: &mut Session,
    cfg: &ClientConfig,
    req: &CibaRequest,
) -> Result<BackchannelAuthentication, FlowError> {
    let endpoint = cfg
        .endpoints
        .backchannel_authentication_endpoint
        .clone()
        .ok_or_else(|| {
            FlowError::missing(
                NAME,
                Missing::Endpoint(EndpointKind::BackchannelAuthentication),
            )
        })?;
    if cfg.client_id.is_empty() {
        return Err(FlowError::missing(NAME, Missing::ClientId));
    }
    if req.login_hint.trim().is_empty() {
        return Err(FlowError::missing(
            NAME,
            Missing::Input(GrantInput::LoginHint),
        ));
    }
    let secrets: Vec<(SecretKind, &str)> = match &req.mode {
        CibaMode::Ping { token, .. } => vec![(SecretKind::Credentials, token.expose())],
        CibaMode::Poll => Vec::new(),
    };
    let (status, json) = session
        .post_authenticated(
            StepKind::BackchannelAuthentication.name(),
            "backchannel authentication",
            &endpoint,
            cfg,
            request_params(cfg, req),
            &secrets,
        )
        .await?;
    serde_json::from_value(json).map_err(|e| FlowError::Body {
        what: "backchannel authentication",
        source: crate::http::BodyError::Shape {
            status,
            detail: e.to_string(),
        },
    })
}

/// Runs the whole CIBA flow. `max_wait` caps the wait below the request's own lifetime.
pub async fn run(
    session: &mut Session,
    cfg: &ClientConfig,
    req: &CibaRequest,
    max_wait: Option<Duration>,
) -> Result<TokenSuccess, FlowError> {
    // Ping mode: listen before asking, so no ping can come before the listener.
    let listener = match &req.mode {
        CibaMode::Ping {
            endpoint,
            token,
            tls,
        } => Some(PingListener::bind(endpoint, token.clone(), tls.as_deref()).await?),
        CibaMode::Poll => None,
    };
    let auth = authenticate(session, cfg, req).await?;
    let interval = auth.interval.unwrap_or(DEFAULT_INTERVAL);
    let mut lifetime = Duration::from_secs(auth.expires_in.max(1));
    if let Some(m) = max_wait {
        lifetime = lifetime.min(m);
    }
    let waiting_for = match &listener {
        Some(l) => format!(
            "the user's approval on their device; the provider's ping on {}",
            l.describe()
        ),
        None => format!("the user's approval on their device; polling every {interval} s"),
    };
    session.emit(FlowEvent::Backchannel {
        auth_req_id: auth.auth_req_id.clone(),
        expires_in: auth.expires_in,
        waiting_for,
    });
    let params = vec![
        ("grant_type".to_string(), GRANT_TYPE.to_string()),
        ("auth_req_id".to_string(), auth.auth_req_id.clone()),
    ];
    let expired = |lifetime: Duration| {
        FlowError::DeviceCodeExpired(format!(
            "the backchannel authentication request expired after {} without the user's decision",
            humantime::format_duration(lifetime)
        ))
    };
    match listener {
        None => poll_token_endpoint(session, cfg, &params, &[], interval, lifetime, expired).await,
        Some(listener) => {
            match tokio::time::timeout(lifetime, listener.wait(&auth.auth_req_id)).await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => return Err(e),
                Err(_) => return Err(expired(lifetime)),
            }
            session.emit(FlowEvent::Note(
                "ping received: asking the token endpoint once".into(),
            ));
            let (raw, tokens) = session
                .token_request(StepKind::Token.name(), cfg, params, &[])
                .await?;
            Ok(TokenSuccess::new(raw, tokens))
        }
    }
}

/// The client notification endpoint on the loopback address (CIBA §10.2).
pub struct PingListener {
    listener: TcpListener,
    endpoint: Url,
    token: ClientNotificationToken,
    /// TLS for an `https://` endpoint: the acceptor and the key it serves, for messages.
    tls: Option<(TlsAcceptor, String)>,
}

impl PingListener {
    /// Listens on the loopback address at the port of `endpoint`: plain HTTP for an `http://`
    /// URL; for an `https://` one TLS with `tls`, a stored key whose certificate names the
    /// endpoint's host (else a TLS-terminating tunnel in front of a plain `http://` endpoint).
    pub async fn bind(
        endpoint: &Url,
        token: ClientNotificationToken,
        tls: Option<&StoredKey>,
    ) -> Result<Self, FlowError> {
        let address = match endpoint.host_str() {
            Some("127.0.0.1") | Some("localhost") => std::net::Ipv4Addr::LOCALHOST.into(),
            Some("[::1]") => std::net::IpAddr::from(std::net::Ipv6Addr::LOCALHOST),
            _ => {
                return Err(FlowError::Config(format!(
                    "the notification endpoint {endpoint} is not on the loopback address: \
                     grantscope listens on 127.0.0.1, localhost or [::1] only (for a provider \
                     elsewhere, put a tunnel in front of a loopback endpoint)"
                )));
            }
        };
        let host = endpoint.host_str().unwrap_or_default();
        let tls = match (endpoint.scheme(), tls) {
            ("http", None) => None,
            ("http", Some(key)) => {
                return Err(FlowError::Config(format!(
                    "the key {:?} serves TLS, but the notification endpoint {endpoint} is \
                     http://: give an https:// endpoint, or leave the certificate out",
                    key.name
                )));
            }
            ("https", None) => {
                return Err(FlowError::Config(format!(
                    "the notification endpoint {endpoint} is https: give --notification-cert \
                     NAME, a stored key whose certificate names {host} (grantscope key \
                     generate NAME --cert --san {host}), or put a TLS-terminating tunnel in \
                     front of a plain http://{host}:PORT endpoint and give that"
                )));
            }
            ("https", Some(key)) => Some(acceptor(key, host)?),
            (other, _) => {
                return Err(FlowError::Config(format!(
                    "the notification endpoint {endpoint} is {other}: it must be https:// or \
                     http:// on the loopback address"
                )));
            }
        };
        if token.expose().is_empty() {
            return Err(FlowError::Config(
                "ping mode needs --client-notification-token T (the bearer token the provider's \
                 ping carries)"
                    .into(),
            ));
        }
        let port = endpoint.port_or_known_default().unwrap_or(80);
        let listener = TcpListener::bind((address, port)).await.map_err(|e| {
            let why = if e.kind() == std::io::ErrorKind::AddrInUse {
                "the port is in use (another program, or an earlier run still waiting): free \
                 it, or register and give another notification endpoint"
                    .to_string()
            } else {
                e.to_string()
            };
            FlowError::Config(format!(
                "cannot listen on {host}:{port} for the CIBA ping: {why}"
            ))
        })?;
        Ok(Self {
            listener,
            endpoint: endpoint.clone(),
            token,
            tls,
        })
    }

    /// The endpoint, and the certificate it is served with.
    pub fn describe(&self) -> String {
        match &self.tls {
            Some((_, key)) => format!("{} (TLS with the certificate of {key})", self.endpoint),
            None => self.endpoint.to_string(),
        }
    }

    /// Waits for a ping for `auth_req_id` carrying the client notification token. A wrong
    /// token gets 401, a wrong path 404, another request 400, a ping for another request 400,
    /// a failed TLS handshake is dropped: each keeps the wait going. Cancel it by dropping the
    /// future.
    pub async fn wait(&self, auth_req_id: &str) -> Result<(), FlowError> {
        loop {
            let (stream, _) = self
                .listener
                .accept()
                .await
                .map_err(|e| FlowError::Config(format!("the ping listener failed: {e}")))?;
            let pinged = match &self.tls {
                None => self.answer(stream, auth_req_id).await,
                Some((acceptor, _)) => {
                    match tokio::time::timeout(PEER_TIMEOUT, acceptor.accept(stream)).await {
                        Ok(Ok(tls)) => self.answer(tls, auth_req_id).await,
                        _ => false,
                    }
                }
            };
            if pinged {
                return Ok(());
            }
        }
    }

    /// Reads one request and answers it: `true` for the awaited ping (answered 204).
    async fn answer<S: AsyncRead + AsyncWrite + Unpin>(
        &self,
        mut stream: S,
        auth_req_id: &str,
    ) -> bool {
        let verdict = match read_request(&mut stream).await {
            None => Err(("400 Bad Request", "expected a JSON POST")),
            Some(req) => self.judge(&req, auth_req_id),
        };
        match verdict {
            Ok(()) => {
                respond(&mut stream, "204 No Content", None).await;
                true
            }
            Err((status, why)) => {
                respond(&mut stream, status, Some(why)).await;
                false
            }
        }
    }

    fn judge(&self, req: &Request, auth_req_id: &str) -> Result<(), (&'static str, &'static str)> {
        if req.method != "POST" {
            return Err(("400 Bad Request", "a ping is a POST"));
        }
        let path = req.target.split('?').next().unwrap_or("");
        let want = self.endpoint.path();
        if path != want && !(want.is_empty() && path == "/") {
            return Err(("404 Not Found", "not the notification endpoint"));
        }
        let bearer = req
            .authorization
            .as_deref()
            .and_then(|a| {
                let (scheme, value) = a.split_once(' ')?;
                scheme.eq_ignore_ascii_case("bearer").then(|| value.trim())
            })
            .unwrap_or("");
        let same = aws_lc_rs::constant_time::verify_slices_are_equal(
            bearer.as_bytes(),
            self.token.expose().as_bytes(),
        )
        .is_ok();
        if !same {
            return Err((
                "401 Unauthorized",
                "the Bearer token is not the client notification token",
            ));
        }
        let id = serde_json::from_slice::<serde_json::Value>(&req.body)
            .ok()
            .and_then(|v| v.get("auth_req_id")?.as_str().map(str::to_string));
        match id {
            Some(id) if id == auth_req_id => Ok(()),
            Some(_) => Err(("400 Bad Request", "a ping for another auth_req_id")),
            None => Err(("400 Bad Request", "the body has no auth_req_id")),
        }
    }
}

/// The TLS acceptor for an https notification endpoint on `host`, serving `key`'s certificate,
/// and how to name it in messages. The certificate must name `host` and allow TLS servers:
/// a provider that checks it would refuse the ping otherwise.
fn acceptor(key: &StoredKey, host: &str) -> Result<(TlsAcceptor, String), FlowError> {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let Some(leaf) = key.certs.first() else {
        return Err(FlowError::Config(format!(
            "the key {:?} has no certificate, and an https notification endpoint is served with \
             one that names {host}: make one (grantscope key generate NAME --cert --san {bare}) \
             or import a key with its certificate",
            key.name
        )));
    };
    leaf.check_server_name(host).map_err(|why| {
        FlowError::Config(format!(
            "the certificate of the key {:?} cannot serve https://{host}: {why}, so the \
             provider would refuse the ping (grantscope key generate NAME --cert --san {bare} \
             makes one that can)",
            key.name
        ))
    })?;
    let config = crate::http::tls_server::server_config(key, None)
        .map_err(|e| FlowError::Config(e.to_string()))?;
    Ok((
        TlsAcceptor::from(Arc::new(config)),
        format!("the key {:?}, x5t#S256 {}", key.name, leaf.x5t_s256()),
    ))
}

struct Request {
    method: String,
    target: String,
    authorization: Option<String>,
    body: Vec<u8>,
}

/// One HTTP/1.1 request, head and body under caps, within [`PEER_TIMEOUT`].
async fn read_request<S: AsyncRead + Unpin>(stream: &mut S) -> Option<Request> {
    let (head, body) = read_http_request(stream, MAX_PING, MAX_PING, PEER_TIMEOUT).await?;
    let mut first = head.lines().next()?.split_whitespace();
    Some(Request {
        method: first.next()?.to_string(),
        target: first.next()?.to_string(),
        authorization: header_value(&head, "authorization"),
        body,
    })
}

async fn respond<S: AsyncWrite + Unpin>(stream: &mut S, status: &str, error: Option<&str>) {
    let body = error
        .map(|e| {
            serde_json::json!({ "error": "invalid_request", "error_description": e }).to_string()
        })
        .unwrap_or_default();
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes()).await;
    let _ = stream.write_all(body.as_bytes()).await;
    let _ = stream.shutdown().await;
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::keys::{GenerateType, PrivateKey};
    use tokio::io::AsyncReadExt as _;
    use tokio::net::TcpStream;

    #[test]
    fn the_request_always_asks_for_openid() {
        let cfg = ClientConfig {
            scope: Some("profile".into()),
            ..ClientConfig::default()
        };
        let req = CibaRequest {
            login_hint: "alice".into(),
            binding_message: Some("W4SCT".into()),
            acr_values: None,
            requested_expiry: Some(60),
            mode: CibaMode::Poll,
        };
        let p = request_params(&cfg, &req);
        assert_eq!(p[0], ("scope".into(), "openid profile".into()));
        assert!(p.contains(&("binding_message".into(), "W4SCT".into())));
        assert!(p.contains(&("requested_expiry".into(), "60".into())));
        assert!(!p.iter().any(|(k, _)| k == "client_notification_token"));
    }

    fn free_port() -> u16 {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        probe.local_addr().unwrap().port()
    }

    fn stored(name: &str, certs: Vec<crate::keys::Certificate>, key: PrivateKey) -> StoredKey {
        StoredKey {
            name: name.into(),
            key,
            certs,
            key_use: crate::keys::KeyUse::Sig,
        }
    }

    #[tokio::test]
    async fn an_https_ping_is_served_with_the_keys_certificate() {
        let key = PrivateKey::generate(GenerateType::EcP256).unwrap();
        let cert = crate::keys::self_signed_server(&key, "ping", &["127.0.0.1"]).unwrap();
        let pem = cert.pem();
        let port = free_port();
        let url = Url::parse(&format!("https://127.0.0.1:{port}/cb")).unwrap();
        let key = stored("ping", vec![cert], key);
        let l = PingListener::bind(&url, ClientNotificationToken::new("right"), Some(&key))
            .await
            .unwrap();
        assert!(l.describe().contains("x5t#S256"), "{}", l.describe());
        let waiting = tokio::spawn(async move { l.wait("req-1").await });
        // A client that trusts exactly that certificate.
        let client = reqwest::Client::builder()
            .no_proxy()
            .tls_certs_only(reqwest::Certificate::from_pem_bundle(pem.as_bytes()).unwrap())
            .build()
            .unwrap();
        let post = |token: &'static str| {
            client
                .post(url.clone())
                .bearer_auth(token)
                .header("content-type", "application/json")
                .body(r#"{"auth_req_id":"req-1"}"#)
                .send()
        };
        assert_eq!(post("wrong").await.unwrap().status().as_u16(), 401);
        // A client that does not trust it fails its handshake; the wait goes on.
        let stranger = reqwest::Client::builder().no_proxy().build().unwrap();
        assert!(stranger.post(url.clone()).send().await.is_err());
        assert!(!waiting.is_finished());
        assert_eq!(post("right").await.unwrap().status().as_u16(), 204);
        waiting.await.unwrap().unwrap();
    }

    #[tokio::test]
    async fn an_https_endpoint_needs_a_certificate_that_names_it() {
        let token = || ClientNotificationToken::new("t");
        let url = Url::parse(&format!("https://127.0.0.1:{}/cb", free_port())).unwrap();
        let err = |r: Result<PingListener, FlowError>| match r {
            Err(e) => e.to_string(),
            Ok(_) => panic!("bound"),
        };
        let without = err(PingListener::bind(&url, token(), None).await);
        assert!(without.contains("--notification-cert"), "{without}");
        let key = PrivateKey::generate(GenerateType::EcP256).unwrap();
        let bare = stored("bare", Vec::new(), key);
        let no_cert = err(PingListener::bind(&url, token(), Some(&bare)).await);
        assert!(no_cert.contains("has no certificate"), "{no_cert}");
        let key = PrivateKey::generate(GenerateType::EcP256).unwrap();
        let client_cert = crate::keys::self_signed(&key, "c").unwrap();
        let client = stored("client", vec![client_cert], key);
        let wrong = err(PingListener::bind(&url, token(), Some(&client)).await);
        assert!(wrong.contains("serverAuth"), "{wrong}");
        let far = Url::parse("https://example.com:8443/cb").unwrap();
        let far = err(PingListener::bind(&far, token(), Some(&client)).await);
        assert!(far.contains("not on the loopback address"), "{far}");
        let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = taken.local_addr().unwrap().port();
        let url = Url::parse(&format!("http://127.0.0.1:{port}/cb")).unwrap();
        let busy = err(PingListener::bind(&url, token(), None).await);
        assert!(busy.contains("in use"), "{busy}");
    }

    #[tokio::test]
    async fn a_ping_with_the_wrong_token_is_refused_and_the_wait_goes_on() {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = probe.local_addr().unwrap().port();
        drop(probe);
        let url = Url::parse(&format!("http://127.0.0.1:{port}/cb")).unwrap();
        let l = PingListener::bind(&url, ClientNotificationToken::new("right"), None)
            .await
            .unwrap();
        let waiting = tokio::spawn(async move { l.wait("req-1").await });
        let post = |token: &'static str, id: &'static str| async move {
            let mut s = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
            let body = format!("{{\"auth_req_id\":\"{id}\"}}");
            let req = format!(
                "POST /cb HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            );
            s.write_all(req.as_bytes()).await.unwrap();
            let mut answer = String::new();
            s.read_to_string(&mut answer).await.unwrap();
            answer
        };
        assert!(post("wrong", "req-1").await.starts_with("HTTP/1.1 401"));
        assert!(post("right", "req-2").await.starts_with("HTTP/1.1 400"));
        assert!(!waiting.is_finished());
        assert!(post("right", "req-1").await.starts_with("HTTP/1.1 204"));
        waiting.await.unwrap().unwrap();
    }
}
