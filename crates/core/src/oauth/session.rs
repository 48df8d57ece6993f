//! A flow session: sends requests through the recording HTTP client, keeps every exchange,
//! and reports progress as [`FlowEvent`]s to whoever watches (the CLI prints them, the GUI
//! draws them as they arrive).

use std::sync::Arc;

use serde_json::Value;

use super::endpoint::EndpointKind;
use super::error::{FlowError, Missing, OAuthErrorResponse};
use super::{ClientConfig, TokenResponse, client_auth};
use crate::http::{Exchange, HttpClient, HttpRequest, HttpResponse, excerpt};
use crate::secret::SecretKind;

use super::dpop::DpopState;
use super::step::{Decision, Gate, Pending};

/// Progress of a running flow, in the order it happens.
#[derive(Debug, Clone)]
pub enum FlowEvent {
    /// A request is about to be sent for this step.
    Started { step: String },
    /// A request finished (with a response or a transport error).
    Exchange(Box<Exchange>),
    /// The user must open this URL (the browser was opened, or not: see `opened`).
    Authorize { url: String, opened: bool },
    /// Waiting for the browser to come back to this loopback redirect URI.
    WaitingForRedirect { redirect_uri: String },
    /// The redirect arrived (URL with the code masked).
    RedirectReceived { url: String },
    /// The browser's leg, which grantscope did not send: the server answered the browser's
    /// authorization request (`authorization_url`) by redirecting it to `redirect` (the
    /// redirect URI with the response's parameters, its code and tokens masked). Not an
    /// exchange: the client's exchanges are the requests it sent itself.
    BrowserRedirect {
        authorization_url: String,
        redirect: String,
    },
    /// Device grant: what the user must do on another device.
    DeviceCode {
        verification_uri: String,
        verification_uri_complete: Option<String>,
        user_code: String,
        expires_in: u64,
    },
    /// CIBA: the provider accepted the backchannel authentication request; the client now
    /// waits for `waiting_for` (the user's decision on their device, by polling or a ping).
    Backchannel {
        auth_req_id: String,
        expires_in: u64,
        waiting_for: String,
    },
    /// Device grant: polling again after `interval` seconds.
    Polling { attempt: u32, interval: u64 },
    /// Anything else worth a line.
    Note(String),
}

/// Receives flow events. Must not block.
pub type Observer = Arc<dyn Fn(FlowEvent) + Send + Sync>;

/// Sends and records; one per flow (or per group of related calls).
pub struct Session {
    http: HttpClient,
    exchanges: Vec<Exchange>,
    observer: Option<Observer>,
    /// Step mode: consulted before each request until it says run to the end.
    gate: Option<Gate>,
    /// DPoP (RFC 9449): proofs on token requests and resource calls.
    dpop: Option<Arc<DpopState>>,
    /// While set, finished exchanges reach the observer only at [`release_exchanges`]
    /// (Self::release_exchanges): a response's secrets are marked first.
    holding: Option<usize>,
}

impl Session {
    pub fn new(http: HttpClient) -> Self {
        Self {
            http,
            exchanges: Vec::new(),
            observer: None,
            gate: None,
            dpop: None,
            holding: None,
        }
    }

    /// Holds the exchanges finished from now on back from the observer, until
    /// [`release_exchanges`](Self::release_exchanges): a caller that marks the secrets a
    /// response delivered (tokens, a device code) does so before anyone sees the exchange.
    pub fn hold_exchanges(&mut self) {
        if self.holding.is_none() {
            self.holding = Some(self.exchanges.len());
        }
    }

    /// Hands the held exchanges, marked by now, to the observer.
    pub fn release_exchanges(&mut self) {
        if let Some(from) = self.holding.take() {
            for ex in &self.exchanges[from.min(self.exchanges.len())..] {
                self.emit(FlowEvent::Exchange(Box::new(ex.clone())));
            }
        }
    }

    /// Sends DPoP proofs made with this state's key on token requests and resource calls.
    pub fn set_dpop(&mut self, dpop: Option<Arc<DpopState>>) {
        self.dpop = dpop;
    }

    /// The DPoP state, when this session proves possession of a key.
    pub fn dpop(&self) -> Option<&Arc<DpopState>> {
        self.dpop.as_ref()
    }

    /// Step mode: `gate` decides on each request before it is sent.
    pub fn with_gate(mut self, gate: Gate) -> Self {
        self.gate = Some(gate);
        self
    }

    /// Turns step mode on (`Some`) or off for the requests still to come.
    pub fn set_gate(&mut self, gate: Option<Gate>) {
        self.gate = gate;
    }

    /// Asks the gate (in step mode) about the browser's visit to `url`; returns the URL to
    /// open (edited or not).
    pub async fn gate_authorize(&mut self, url: url::Url) -> Result<url::Url, FlowError> {
        let Some(gate) = self.gate.clone() else {
            return Ok(url);
        };
        match gate(Pending::Authorize { url: url.clone() }).await {
            Decision::Send | Decision::Edited(_) => Ok(url),
            Decision::EditedUrl(u) => Ok(u),
            Decision::RunToEnd => {
                self.gate = None;
                Ok(url)
            }
            Decision::Cancel => Err(FlowError::Cancelled),
        }
    }

    pub fn with_observer(mut self, observer: Observer) -> Self {
        self.observer = Some(observer);
        self
    }

    pub fn http(&self) -> &HttpClient {
        &self.http
    }

    pub fn emit(&self, event: FlowEvent) {
        if let Some(o) = &self.observer {
            o(event);
        }
    }

    pub fn exchanges(&self) -> &[Exchange] {
        &self.exchanges
    }

    pub fn take_exchanges(&mut self) -> Vec<Exchange> {
        std::mem::take(&mut self.exchanges)
    }

    /// Keeps an exchange made outside [`send`](Self::send) (a JWKS fetch), and tells the
    /// observer.
    pub fn record(&mut self, exchange: Exchange) {
        self.emit(FlowEvent::Exchange(Box::new(exchange.clone())));
        self.exchanges.push(exchange);
    }

    /// Sends one request, records it, and tells the observer.
    pub async fn send(&mut self, step: &str, req: HttpRequest) -> Result<HttpResponse, FlowError> {
        self.emit(FlowEvent::Started {
            step: step.to_string(),
        });
        let mut original = None;
        let mut req = req;
        if let Some(gate) = self.gate.clone() {
            let pending = Pending::Request {
                step: step.to_string(),
                request: req.clone(),
            };
            match gate(pending).await {
                Decision::Send | Decision::EditedUrl(_) => {}
                Decision::Edited(mut edited) => {
                    // The edited copy is masked like the original: same secrets, and more.
                    for (kind, v) in &req.secrets {
                        edited = edited.secret(*kind, v.clone());
                    }
                    original = Some(std::mem::replace(&mut req, edited));
                }
                Decision::RunToEnd => self.gate = None,
                Decision::Cancel => return Err(FlowError::Cancelled),
            }
        }
        let result = self.http.send(step, req).await;
        let (mut exchange, outcome) = match result {
            Ok((ex, resp)) => (ex, Ok(resp)),
            Err((ex, err)) => (ex, Err(FlowError::Http(err))),
        };
        if let Some(original) = &original {
            exchange.set_edited_from(original);
        }
        if self.holding.is_none() {
            self.emit(FlowEvent::Exchange(Box::new(exchange.clone())));
        }
        self.exchanges.push(exchange);
        outcome
    }

    /// POSTs a form to an endpoint with the client's authentication (the one
    /// [`client_auth::authenticate`] point) and returns the raw response.
    pub async fn send_authenticated(
        &mut self,
        step: &str,
        endpoint: &url::Url,
        cfg: &ClientConfig,
        params: Vec<(String, String)>,
        extra_secrets: &[(SecretKind, &str)],
    ) -> Result<HttpResponse, FlowError> {
        self.send_authenticated_with(step, endpoint, cfg, params, extra_secrets, &[])
            .await
    }

    /// [`send_authenticated`](Self::send_authenticated) with extra request headers (an
    /// `Accept` asking for a JWT response, RFC 9701).
    pub async fn send_authenticated_with(
        &mut self,
        step: &str,
        endpoint: &url::Url,
        cfg: &ClientConfig,
        params: Vec<(String, String)>,
        extra_secrets: &[(SecretKind, &str)],
        headers: &[(&str, &str)],
    ) -> Result<HttpResponse, FlowError> {
        // DPoP proofs go to the token endpoint (every grant, refresh included) and to the
        // PAR endpoint (RFC 9449 §10.1: the server binds the code to the proof's key).
        let dpop = self.dpop.clone().filter(|_| {
            cfg.endpoints.token_endpoint.as_ref() == Some(endpoint)
                || cfg.endpoints.pushed_authorization_request_endpoint.as_ref() == Some(endpoint)
        });
        let mut retried = false;
        loop {
            let auth = client_auth::authenticate(cfg, endpoint)?;
            let mut req = auth.post_form(endpoint.clone(), params.clone());
            for (kind, s) in extra_secrets {
                req = req.secret(*kind, *s);
            }
            for (name, value) in headers {
                // In place of the default of that name (`Accept: application/json`).
                req.headers.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
                req = req.header(*name, *value);
            }
            if let Some(d) = &dpop {
                let proof = d.proof_for("POST", endpoint, None)?;
                req = req.header("DPoP", proof);
            }
            let resp = self.send(step, req).await?;
            let Some(d) = &dpop else {
                return Ok(resp);
            };
            let fresh = resp
                .header("dpop-nonce")
                .is_some_and(|n| d.remember_nonce(endpoint, n));
            // One retry with the server's nonce (RFC 9449 §8).
            if !retried && fresh && super::dpop::asks_for_nonce(&resp) {
                retried = true;
                self.emit(FlowEvent::Note(
                    "the server asked for a DPoP nonce (use_dpop_nonce); retrying once with it"
                        .into(),
                ));
                continue;
            }
            return Ok(resp);
        }
    }

    /// [`send_authenticated`](Self::send_authenticated), then the JSON of a 2xx answer; an
    /// OAuth error or any other status becomes a [`FlowError`].
    pub async fn post_authenticated(
        &mut self,
        step: &str,
        what: &'static str,
        endpoint: &url::Url,
        cfg: &ClientConfig,
        params: Vec<(String, String)>,
        extra_secrets: &[(SecretKind, &str)],
    ) -> Result<(u16, Value), FlowError> {
        let resp = self
            .send_authenticated(step, endpoint, cfg, params, extra_secrets)
            .await?;
        self.check_response(&resp, what)
    }

    /// Marks a secret received in the last exchange's response (a token, a device code), so
    /// that every view of that exchange masks it like the ones sent.
    pub fn mark_received(&mut self, kind: SecretKind, value: &str) {
        if let Some(ex) = self.exchanges.last_mut() {
            ex.add_secret(kind, value);
        }
    }

    /// [`json_or_oauth_error`] for the last exchange's response, with that exchange's secrets
    /// masked in the error: a server that echoes the client secret or password in its
    /// `error_description` or error page must not get it printed. Error pages are masked
    /// before any excerpt is cut, so no part of a secret shows either. The OAuth `error` code
    /// itself is never masked: flows branch on it (`authorization_pending`, `slow_down`).
    pub fn check_response(
        &self,
        resp: &HttpResponse,
        what: &'static str,
    ) -> Result<(u16, Value), FlowError> {
        let result = json_or_oauth_error(resp, what);
        let Some(exchange) = self.exchanges.last() else {
            return result;
        };
        match result {
            Ok(ok) => Ok(ok),
            Err(FlowError::OAuth { status, mut error }) => {
                error.error_description = error.error_description.map(|d| exchange.mask(&d));
                error.error_uri = error.error_uri.map(|u| exchange.mask(&u));
                Err(FlowError::OAuth { status, error })
            }
            Err(original) => {
                let masked = HttpResponse {
                    status: resp.status,
                    headers: resp
                        .headers
                        .iter()
                        .map(|(k, v)| (k.clone(), exchange.mask(v)))
                        .collect(),
                    body: exchange.mask(&resp.text()).into_bytes(),
                };
                match json_or_oauth_error(&masked, what) {
                    Err(e) => Err(e),
                    // Masking never turns a failure into a success.
                    Ok(_) => Err(original),
                }
            }
        }
    }

    /// Calls the token endpoint with grant parameters; parses the success response.
    pub async fn token_request(
        &mut self,
        step: &str,
        cfg: &ClientConfig,
        params: Vec<(String, String)>,
        extra_secrets: &[(SecretKind, &str)],
    ) -> Result<(Value, TokenResponse), FlowError> {
        let endpoint = cfg.endpoints.token_endpoint.clone().ok_or_else(|| {
            FlowError::missing("the token request", Missing::Endpoint(EndpointKind::Token))
        })?;
        let params = super::config::with_extra(params, &cfg.token_params);
        // The observer sees the exchange only once the tokens in it are marked.
        self.hold_exchanges();
        let answered = self
            .post_authenticated(step, "token", &endpoint, cfg, params, extra_secrets)
            .await;
        let json = match answered {
            Ok((_, json)) => json,
            Err(e) => {
                self.release_exchanges();
                return Err(e);
            }
        };
        let tokens = match TokenResponse::from_json(&json) {
            Ok(t) => t,
            Err(detail) => {
                self.release_exchanges();
                return Err(FlowError::Body {
                    what: "token",
                    source: crate::http::BodyError::Shape {
                        status: 200,
                        detail,
                    },
                });
            }
        };
        // The tokens are marked already: the client marks a response's tokens as it records it.
        self.release_exchanges();
        Ok((json, tokens))
    }
}

/// A 2xx JSON body, or the OAuth error / status the server answered with.
pub fn json_or_oauth_error(
    resp: &HttpResponse,
    what: &'static str,
) -> Result<(u16, Value), FlowError> {
    let parsed = resp.json_value();
    if resp.is_success() {
        return parsed
            .map(|v| (resp.status, v))
            .map_err(|source| FlowError::Body { what, source });
    }
    if let Ok(v) = &parsed
        && let Some(error) = OAuthErrorResponse::from_json(v)
    {
        return Err(FlowError::OAuth {
            status: resp.status,
            error,
        });
    }
    if let Some(www) = resp.header("www-authenticate")
        && let Some(error) = error_from_www_authenticate(www)
    {
        return Err(FlowError::OAuth {
            status: resp.status,
            error,
        });
    }
    Err(FlowError::Status {
        status: resp.status,
        excerpt: match parsed {
            Err(e) => e.to_string(),
            Ok(v) => excerpt(&v.to_string(), 200),
        },
    })
}

/// `Bearer error="invalid_token", error_description="..."` (RFC 6750 §3).
pub fn error_from_www_authenticate(header: &str) -> Option<OAuthErrorResponse> {
    let mut error = None;
    let mut description = None;
    for part in header.split(',') {
        let part = part.trim();
        let part = part.strip_prefix("Bearer ").unwrap_or(part).trim();
        if let Some((k, v)) = part.split_once('=') {
            let v = v.trim().trim_matches('"').to_string();
            match k.trim() {
                "error" => error = Some(v),
                "error_description" => description = Some(v),
                _ => {}
            }
        }
    }
    error.map(|error| OAuthErrorResponse {
        error,
        error_description: description,
        error_uri: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resp(status: u16, body: &str) -> HttpResponse {
        HttpResponse {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn oauth_error_is_parsed_with_hint() {
        let err = json_or_oauth_error(
            &resp(
                401,
                r#"{"error":"invalid_client","error_description":"bad secret"}"#,
            ),
            "token",
        )
        .unwrap_err();
        assert_eq!(err.oauth_code(), Some("invalid_client"));
        let msg = err.to_string();
        assert!(
            msg.contains("bad secret") && msg.contains("wrong client id or secret"),
            "{msg}"
        );
    }

    #[test]
    fn non_oauth_error_status_is_reported() {
        let mut r = resp(500, "<html><title>Oops</title></html>");
        r.headers = vec![("content-type".into(), "text/html".into())];
        let msg = json_or_oauth_error(&r, "token").unwrap_err().to_string();
        assert!(msg.contains("HTTP 500") && msg.contains("Oops"), "{msg}");
    }

    #[test]
    fn www_authenticate_error() {
        let e = error_from_www_authenticate(
            r#"Bearer realm="x", error="invalid_token", error_description="expired""#,
        )
        .unwrap();
        assert_eq!(e.error, "invalid_token");
        assert_eq!(e.error_description.as_deref(), Some("expired"));
    }
}
