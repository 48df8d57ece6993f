//! What a probe runs with: the [`Target`] (the connection made by `grantscope_core::connect`, the
//! authorization driver, the optional second client) and its own recording [`Session`], plus
//! the steps most probes share: get a code through the driver with one change to the
//! authorization request, and call the token endpoint with the client's authentication
//! (`Session::send_authenticated`), backing off on 429.

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use url::Url;

use crate::driver::{AuthorizeDriver, Landing, follow};
use grantscope_core::http::{HttpClient, HttpRequest, HttpResponse};
use grantscope_core::oauth::discovery::Discovery;
use grantscope_core::oauth::grants::authorization_code::{AuthorizationRequest, build_request};
use grantscope_core::oauth::{
    ClientConfig, FlowError, GrantKind, PkceMode, Session, TokenResponse,
};
use grantscope_core::secret::{ClientSecret, SecretKind};

/// A second registered client (for `refresh.client-bound`).
#[derive(Debug, Clone)]
pub struct SecondClient {
    pub client_id: String,
    pub client_secret: Option<ClientSecret>,
}

/// The server under test and how to reach it; shared by every probe of a run.
pub struct Target {
    /// The client settings with the endpoints resolved (from `grantscope_core::connect`).
    pub config: ClientConfig,
    pub discovery: Option<Discovery>,
    pub http: HttpClient,
    pub driver: Arc<dyn AuthorizeDriver>,
    /// The redirect URI every authorization request sends.
    pub redirect_uri: Url,
    pub second_client: Option<SecondClient>,
    /// Opt-in slow probes (waiting for expiries).
    pub slow: bool,
    /// The policy the verdicts follow (`--policy`).
    pub policy: crate::policy::Policy,
}

impl Target {
    /// A metadata member, when discovery ran.
    pub fn meta(&self, name: &str) -> Option<&Value> {
        self.discovery.as_ref().and_then(|d| d.metadata.get(name))
    }

    /// A metadata array of strings (empty when absent).
    pub fn supported(&self, name: &str) -> Vec<String> {
        self.discovery
            .as_ref()
            .map(|d| d.supported(name))
            .unwrap_or_default()
    }

    /// The issuer as the metadata states it (else as configured).
    pub fn issuer(&self) -> Option<String> {
        self.meta("issuer")
            .and_then(Value::as_str)
            .map(str::to_string)
            .or_else(|| self.config.endpoints.issuer.as_ref().map(|u| u.to_string()))
    }

    /// Whether the server advertises DPoP (`dpop_signing_alg_values_supported`).
    pub fn advertises_dpop(&self) -> bool {
        !self
            .supported("dpop_signing_alg_values_supported")
            .is_empty()
    }

    /// A client that does not authenticate: no secret to send, and no key or certificate
    /// (a `private_key_jwt` or mutual-TLS client is confidential).
    pub fn is_public(&self) -> bool {
        use grantscope_core::oauth::AuthMethod;
        self.config.secret_to_send().is_none()
            && !matches!(
                self.config.effective_auth_method(),
                AuthMethod::PrivateKeyJwt
                    | AuthMethod::TlsClientAuth
                    | AuthMethod::SelfSignedTlsClientAuth
            )
    }
}

/// How the token endpoint answered.
#[derive(Debug, Clone)]
pub enum Answer {
    /// 2xx with an access token (the tokens are masked in the exchange).
    Tokens {
        json: Value,
        tokens: Box<TokenResponse>,
    },
    /// A 4xx (or a 2xx without tokens), with the OAuth error code and description when there
    /// are (the description capped, as received).
    Refused {
        status: u16,
        error: Option<String>,
        description: Option<String>,
    },
}

impl Answer {
    pub fn is_tokens(&self) -> bool {
        matches!(self, Answer::Tokens { .. })
    }

    pub fn tokens(&self) -> Option<&TokenResponse> {
        match self {
            Answer::Tokens { tokens, .. } => Some(tokens),
            Answer::Refused { .. } => None,
        }
    }

    pub fn error(&self) -> Option<&str> {
        match self {
            Answer::Refused { error, .. } => error.as_deref(),
            Answer::Tokens { .. } => None,
        }
    }

    /// "tokens" or "HTTP 400 invalid_grant".
    pub fn describe(&self) -> String {
        match self {
            Answer::Tokens { .. } => "tokens".into(),
            Answer::Refused { status, error, .. } => match error {
                Some(e) => format!("HTTP {status} {}", grantscope_core::text::inert(e)),
                None => format!("HTTP {status}"),
            },
        }
    }
}

/// The parameters of an authorization response (query, or fragment for implicit).
#[derive(Debug, Clone)]
pub struct Reply {
    pub url: Url,
    pub params: Vec<(String, String)>,
    pub in_fragment: bool,
}

impl Reply {
    pub fn from_url(url: &Url) -> Self {
        let (raw, in_fragment) = match (url.query(), url.fragment()) {
            (Some(q), _) if !q.is_empty() => (q.to_string(), false),
            (_, Some(f)) => (f.to_string(), true),
            _ => (String::new(), false),
        };
        let params = url::form_urlencoded::parse(raw.as_bytes())
            .into_owned()
            .collect();
        Self {
            url: url.clone(),
            params,
            in_fragment,
        }
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Where the redirect went, without its parameters.
    pub fn target(&self) -> String {
        let mut u = self.url.clone();
        u.set_query(None);
        u.set_fragment(None);
        u.to_string()
    }
}

/// A code obtained through the driver, with the request that asked for it.
#[derive(Debug, Clone)]
pub struct Got {
    pub request: AuthorizationRequest,
    pub reply: Reply,
    pub code: String,
}

/// Sets (`Some`) or removes (`None`) a query parameter.
pub fn set_param(url: &mut Url, name: &str, value: Option<&str>) {
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .into_owned()
        .filter(|(k, _)| k != name)
        .collect();
    let mut q = url.query_pairs_mut();
    q.clear();
    for (k, v) in &pairs {
        q.append_pair(k, v);
    }
    if let Some(v) = value {
        q.append_pair(name, v);
    }
    drop(q);
    if url.query() == Some("") {
        url.set_query(None);
    }
}

/// Retries after a 429, at most this many times.
const MAX_RETRIES: u32 = 2;
/// The longest `Retry-After` honoured.
const MAX_BACKOFF: Duration = Duration::from_secs(10);

/// One probe's context.
pub struct Cx {
    pub target: Arc<Target>,
    /// The probe this context runs (its logins are shown under its name).
    pub probe: Option<&'static str>,
    pub session: Session,
    /// Exchanges made through other sessions (parallel requests), kept as evidence too.
    pub extra: Vec<grantscope_core::http::Exchange>,
}

impl Cx {
    pub fn new(target: Arc<Target>) -> Self {
        let mut session = Session::new(target.http.clone());
        // Under fapi2, sender-constrained tokens are a MUST: where the server offers DPoP, every
        // probe's token requests carry proofs (a server that requires them would otherwise
        // refuse every probe's tokens). Probes that test the constraint itself set their own.
        if target.policy.is_fapi2()
            && target.advertises_dpop()
            && let Ok(key) = grantscope_core::oauth::dpop::DpopKey::generate()
        {
            session.set_dpop(Some(Arc::new(
                grantscope_core::oauth::dpop::DpopState::new(key),
            )));
        }
        Self {
            target,
            probe: None,
            session,
            extra: Vec::new(),
        }
    }

    pub fn cfg(&self) -> &ClientConfig {
        &self.target.config
    }

    /// The run's policy.
    pub fn policy(&self) -> crate::policy::Policy {
        self.target.policy
    }

    /// Sends a hand-built request; a 429 backs off (`Retry-After`, capped) and is retried
    /// twice, then ends the probe inconclusive.
    pub async fn send(&mut self, step: &str, req: HttpRequest) -> Result<HttpResponse, FlowError> {
        let mut attempt = 0;
        loop {
            let resp = self.session.send(step, req.clone()).await?;
            if let Some(location) = resp.header("location")
                && let Ok(to) = self
                    .target
                    .config
                    .endpoints
                    .issuer
                    .clone()
                    .map_or_else(|| Url::parse(location), |base| base.join(location))
            {
                self.mark_reply_secrets(&Reply::from_url(&to));
            }
            if resp.status != 429 {
                return Ok(resp);
            }
            attempt += 1;
            if attempt > MAX_RETRIES {
                return Err(rate_limited());
            }
            tokio::time::sleep(backoff(&resp, attempt)).await;
        }
    }

    /// A token-endpoint call with `cfg`'s client authentication; 429 backs off, 5xx ends
    /// the probe inconclusive; tokens received are marked secret in the exchange.
    pub async fn token_with(
        &mut self,
        step: &str,
        cfg: &ClientConfig,
        params: Vec<(String, String)>,
        secrets: &[(SecretKind, &str)],
    ) -> Result<Answer, FlowError> {
        let endpoint = self.token_endpoint()?;
        let mut attempt = 0;
        let resp = loop {
            let resp = self
                .session
                .send_authenticated(step, &endpoint, cfg, params.clone(), secrets)
                .await?;
            if resp.status != 429 {
                break resp;
            }
            attempt += 1;
            if attempt > MAX_RETRIES {
                return Err(rate_limited());
            }
            tokio::time::sleep(backoff(&resp, attempt)).await;
        };
        self.answer(&resp)
    }

    /// [`token_with`](Self::token_with) with the profile's client.
    pub async fn token(
        &mut self,
        step: &str,
        params: Vec<(String, String)>,
        secrets: &[(SecretKind, &str)],
    ) -> Result<Answer, FlowError> {
        let cfg = self.target.config.clone();
        self.token_with(step, &cfg, params, secrets).await
    }

    pub fn token_endpoint(&self) -> Result<Url, FlowError> {
        self.cfg().endpoints.token_endpoint.clone().ok_or_else(|| {
            FlowError::missing(
                "the probes",
                grantscope_core::oauth::Missing::Endpoint(
                    grantscope_core::oauth::EndpointKind::Token,
                ),
            )
        })
    }

    /// Classifies a token response (and marks the tokens it carries).
    pub fn answer(&mut self, resp: &HttpResponse) -> Result<Answer, FlowError> {
        if resp.status >= 500 {
            return Err(FlowError::Status {
                status: resp.status,
                excerpt: "the server failed; nothing can be concluded".into(),
            });
        }
        let json = resp.json_value().ok();
        if resp.is_success()
            && let Some(json) = json.clone()
            && let Ok(tokens) = TokenResponse::from_json(&json)
        {
            // Its tokens are marked already (the core's client marks them as it records).
            return Ok(Answer::Tokens {
                json,
                tokens: Box::new(tokens),
            });
        }
        let error = json
            .as_ref()
            .and_then(|v| v.get("error"))
            .and_then(Value::as_str)
            .map(str::to_string);
        let description = json
            .as_ref()
            .and_then(|v| v.get("error_description"))
            .and_then(Value::as_str)
            .map(|d| d.chars().take(300).collect());
        Ok(Answer::Refused {
            status: resp.status,
            error,
            description,
        })
    }

    /// An authorization request for the profile's client with this PKCE mode.
    pub fn auth_request(&self, pkce: PkceMode) -> Result<AuthorizationRequest, FlowError> {
        let mut cfg = self.target.config.clone();
        cfg.pkce = pkce;
        build_request(&cfg, &self.target.redirect_uri)
    }

    /// Visits an authorization URL: first as a browser without a session would (a refusal or
    /// an early redirect needs no user), then through the driver when the server wants a user.
    pub async fn authorize(&mut self, url: &Url) -> Result<Landing, FlowError> {
        self.authorize_as(url, None).await
    }

    /// [`authorize`](Self::authorize) a URL the probe pushed itself (`request_uri`), whose
    /// redirect carries `state`, the pushed request's.
    pub async fn authorize_as(
        &mut self,
        url: &Url,
        pushed_state: Option<&str>,
    ) -> Result<Landing, FlowError> {
        // Where the browser will be sent, read before a push hides it behind a request_uri.
        let landing = url
            .query_pairs()
            .find(|(k, _)| k == "redirect_uri")
            .and_then(|(_, v)| Url::parse(&v).ok());
        // The redirect carries the pushed request's state (the pushed URL has none).
        let state = url
            .query_pairs()
            .find(|(k, _)| k == "state")
            .map(|(_, v)| v.into_owned());
        let pushed = match self.pushed(url).await? {
            Ok(u) => u,
            Err(refused) => return Ok(refused),
        };
        let was_pushed = pushed_state.is_some()
            || (pushed.query_pairs().any(|(k, _)| k == "request_uri")
                && !url.query_pairs().any(|(k, _)| k == "request_uri"));
        let state = state.or_else(|| pushed_state.map(str::to_string));
        let url = &pushed;
        let first = follow(&mut self.session, url).await?;
        let landing = match first {
            first if crate::driver::wants_user(&first) => {
                let driver = self.target.driver.clone();
                // Where the browser will be sent must be able to come back before anyone is
                // asked to log in (a variant's port or host gets its listener, or the reason).
                if let Some(to) = &landing
                    && let Err(why) = driver.listen_at(to).await
                {
                    return Ok(Landing::NoAnswer(format!(
                        "the server accepted the request and asks for a login, but a browser sent \
                         to {} could not come back: {why}",
                        grantscope_core::text::inert(to.as_str())
                    )));
                }
                match (self.probe, state.as_deref().filter(|_| was_pushed)) {
                    (probe, Some(state)) => {
                        driver
                            .visit_pushed(probe, &mut self.session, url, state)
                            .await?
                    }
                    (Some(p), None) => driver.visit_for(p, &mut self.session, url).await?,
                    (None, None) => driver.visit(&mut self.session, url).await?,
                }
            }
            other => other,
        };
        if let Landing::Redirect(u) = &landing {
            self.mark_reply_secrets(&Reply::from_url(u));
        }
        Ok(landing)
    }

    /// Whether authorization requests are pushed (RFC 9126): the profile asks for it (`--par`),
    /// or the server requires it (`require_pushed_authorization_requests`).
    pub fn pushes(&self) -> bool {
        self.target.config.par
            || self.target.discovery.as_ref().is_some_and(|d| {
                d.metadata
                    .get("require_pushed_authorization_requests")
                    .and_then(serde_json::Value::as_bool)
                    == Some(true)
            })
    }

    /// The URL to visit for `url`: itself, or where pushing its parameters leads (every probe's
    /// change to the request goes into the pushed request: a PAR-only server would otherwise
    /// refuse every probe's request as not pushed). A push the server refuses is the probe's
    /// answer, as an error page.
    pub(crate) async fn pushed(&mut self, url: &Url) -> Result<Result<Url, Landing>, FlowError> {
        if !self.pushes() || url.query_pairs().any(|(k, _)| k == "request_uri") {
            return Ok(Ok(url.clone()));
        }
        let params: Vec<(String, String)> = url
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let get = |name: &str| {
            params
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        };
        let request = grantscope_core::oauth::grants::authorization_code::AuthorizationRequest {
            url: url.clone(),
            redirect_uri: get("redirect_uri")
                .and_then(|u| Url::parse(&u).ok())
                .unwrap_or_else(|| self.target.redirect_uri.clone()),
            state: get("state").unwrap_or_default(),
            nonce: get("nonce"),
            code_verifier: None,
            params,
        };
        match grantscope_core::oauth::grants::authorization_code::push(
            &mut self.session,
            &self.target.config,
            &request,
        )
        .await
        {
            Ok(u) => Ok(Ok(u)),
            Err(ref e @ (FlowError::OAuth { status, .. } | FlowError::Status { status, .. })) => {
                Ok(Err(Landing::Page {
                    status,
                    url: self
                        .target
                        .config
                        .endpoints
                        .pushed_authorization_request_endpoint
                        .clone()
                        .unwrap_or_else(|| url.clone()),
                    title: format!(
                        "the pushed authorization request was refused: {}",
                        grantscope_core::text::inert(&e.to_string())
                    ),
                }))
            }
            Err(e) => Err(e),
        }
    }

    /// Marks the credentials an authorization response carries on the last exchange.
    fn mark_reply_secrets(&mut self, reply: &Reply) {
        for (name, kind) in [
            ("code", SecretKind::AuthorizationCode),
            ("access_token", SecretKind::AccessToken),
            ("id_token", SecretKind::IdToken),
            ("refresh_token", SecretKind::RefreshToken),
        ] {
            if let Some(v) = reply.get(name) {
                self.session.mark_received(kind, v);
            }
        }
    }

    /// Sends `url` (an edited authorization request) and returns the redirect back, or where
    /// the visit ended instead.
    pub async fn login(&mut self, url: &Url) -> Result<Result<Reply, Landing>, FlowError> {
        self.login_as(url, None).await
    }

    /// [`login`](Self::login) through a URL the probe pushed itself ([`Self::authorize_as`]).
    pub async fn login_as(
        &mut self,
        url: &Url,
        pushed_state: Option<&str>,
    ) -> Result<Result<Reply, Landing>, FlowError> {
        Ok(match self.authorize_as(url, pushed_state).await? {
            Landing::Redirect(u) => Ok(Reply::from_url(&u)),
            other => Err(other),
        })
    }

    /// A code for `request` (its URL possibly edited); an error when none came back, worded as
    /// the reason of an inconclusive verdict.
    pub async fn code_for(
        &mut self,
        request: AuthorizationRequest,
        url: &Url,
    ) -> Result<Got, FlowError> {
        // A URL the probe pushed itself carries only the request_uri: the state is the request's.
        let pushed_state = url
            .query_pairs()
            .any(|(k, _)| k == "request_uri")
            .then(|| request.state.clone());
        match self.login_as(url, pushed_state.as_deref()).await? {
            Ok(reply) => match reply.get("code") {
                Some(code) if reply.get("state") == Some(request.state.as_str()) => {
                    let code = code.to_string();
                    Ok(Got {
                        request,
                        reply,
                        code,
                    })
                }
                Some(_) => Err(FlowError::Redirect(
                    "the code came back without our state".into(),
                )),
                None => Err(FlowError::Redirect(format!(
                    "the authorization request got no code: {}",
                    reply
                        .get("error")
                        .map(|e| grantscope_core::text::inert(e).to_string())
                        .unwrap_or_else(|| "the redirect carries neither code nor error".into())
                ))),
            },
            Err(landing) => Err(FlowError::Redirect(format!(
                "the authorization request got no code: {}",
                landing_words(&landing)
            ))),
        }
    }

    /// The control of a probe whose pass is a refusal: the normal flow (PKCE S256, the
    /// registered redirect URI) must get a code, else a refusal proves nothing. `Err` holds
    /// the inconclusive verdict to return.
    pub async fn control(&mut self) -> Result<Result<(), crate::verdict::Verdict>, FlowError> {
        Ok(match self.code().await {
            Ok(_) => Ok(()),
            Err(FlowError::Redirect(why)) => Err(crate::verdict::Verdict::inconclusive(format!(
                "the normal code flow does not work either, so a refusal proves nothing ({})",
                grantscope_core::text::inert(&why)
            ))),
            Err(e) => return Err(e),
        })
    }

    /// A code from the normal flow with PKCE S256.
    pub async fn code(&mut self) -> Result<Got, FlowError> {
        let request = self.auth_request(PkceMode::S256)?;
        let url = request.url.clone();
        self.code_for(request, &url).await
    }

    /// Redeems a code: the usual token request, with `verifier` (or none).
    pub async fn redeem(
        &mut self,
        step: &str,
        code: &str,
        redirect_uri: Option<&str>,
        verifier: Option<&str>,
    ) -> Result<Answer, FlowError> {
        let mut params = vec![
            (
                "grant_type".to_string(),
                GrantKind::AuthorizationCode.grant_type().to_string(),
            ),
            ("code".to_string(), code.to_string()),
        ];
        if let Some(r) = redirect_uri {
            params.push(("redirect_uri".into(), r.to_string()));
        }
        let mut secrets = vec![(SecretKind::AuthorizationCode, code)];
        if let Some(v) = verifier {
            params.push(("code_verifier".into(), v.to_string()));
            secrets.push((SecretKind::PkceVerifier, v));
        }
        for r in &self.target.config.resources {
            params.push(("resource".into(), r.clone()));
        }
        self.token(step, params, &secrets).await
    }

    /// Redeems a [`Got`] code the normal way.
    pub async fn redeem_got(&mut self, step: &str, got: &Got) -> Result<Answer, FlowError> {
        let redirect = got.request.redirect_uri.to_string();
        let verifier = got
            .request
            .code_verifier
            .as_ref()
            .map(|v| v.expose().to_string());
        self.redeem(step, &got.code, Some(&redirect), verifier.as_deref())
            .await
    }

    /// A full login and code exchange; the tokens, or an error (inconclusive).
    pub async fn tokens(&mut self) -> Result<TokenResponse, FlowError> {
        let got = self.code().await?;
        match self.redeem_got("token request", &got).await? {
            Answer::Tokens { tokens, .. } => Ok(*tokens),
            other => Err(FlowError::Redirect(format!(
                "the normal code exchange did not work ({})",
                other.describe()
            ))),
        }
    }

    /// A GET at a resource (userinfo) with an access token this session obtained: with a DPoP
    /// proof (and one retry with the server's nonce) when the session binds its tokens, else
    /// as a Bearer token.
    pub async fn use_token(
        &mut self,
        step: &str,
        url: &Url,
        access_token: &str,
    ) -> Result<HttpResponse, FlowError> {
        let dpop = self.session.dpop().cloned();
        let mut retried = false;
        loop {
            let mut req = HttpRequest::get(url.clone())
                .secret(SecretKind::AccessToken, access_token.to_string());
            req = match &dpop {
                Some(d) => req
                    .header("Authorization", format!("DPoP {access_token}"))
                    .header("DPoP", d.proof_for("GET", url, Some(access_token))?),
                None => req.header("Authorization", format!("Bearer {access_token}")),
            };
            let resp = self.send(step, req).await?;
            if let Some(d) = &dpop
                && !retried
                && resp.status == 401
                && let Some(n) = resp.header("dpop-nonce")
                && d.remember_nonce(url, n)
            {
                retried = true;
                continue;
            }
            return Ok(resp);
        }
    }

    /// A refresh grant with `cfg`'s client.
    pub async fn refresh_with(
        &mut self,
        step: &str,
        cfg: &ClientConfig,
        refresh_token: &str,
    ) -> Result<Answer, FlowError> {
        let params = vec![
            (
                "grant_type".to_string(),
                GrantKind::RefreshToken.grant_type().to_string(),
            ),
            ("refresh_token".to_string(), refresh_token.to_string()),
        ];
        self.token_with(
            step,
            cfg,
            params,
            &[(SecretKind::RefreshToken, refresh_token)],
        )
        .await
    }

    /// A refresh grant with the profile's client.
    pub async fn refresh(&mut self, step: &str, refresh_token: &str) -> Result<Answer, FlowError> {
        let cfg = self.target.config.clone();
        self.refresh_with(step, &cfg, refresh_token).await
    }
}

/// How a visit that brought no redirect ended, for a reason sentence.
pub fn landing_words(landing: &Landing) -> String {
    match landing {
        Landing::Redirect(u) => {
            format!("redirected to {}", grantscope_core::text::inert(u.as_str()))
        }
        Landing::Page { status, title, .. } => {
            format!("the server showed a page (HTTP {status}: {title})")
        }
        Landing::NoAnswer(why) => why.clone(),
    }
}

fn rate_limited() -> FlowError {
    FlowError::Status {
        status: 429,
        excerpt: "rate limited; the probe backed off and gave up rather than hammer the server"
            .into(),
    }
}

fn backoff(resp: &HttpResponse, attempt: u32) -> Duration {
    resp.header("retry-after")
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs)
        .unwrap_or(Duration::from_secs(1 << attempt))
        .min(MAX_BACKOFF)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_param_replaces_adds_and_removes() {
        let mut u = Url::parse("https://as.example/auth?a=1&state=x&b=2").unwrap();
        set_param(&mut u, "state", Some("y z&"));
        assert_eq!(u.query(), Some("a=1&b=2&state=y+z%26"));
        set_param(&mut u, "a", None);
        set_param(&mut u, "b", None);
        set_param(&mut u, "state", None);
        assert_eq!(u.query(), None);
    }

    #[test]
    fn reply_reads_query_or_fragment() {
        let r = Reply::from_url(&Url::parse("http://127.0.0.1:1/cb?code=c&state=s").unwrap());
        assert_eq!(
            (r.get("code"), r.get("state"), r.in_fragment),
            (Some("c"), Some("s"), false)
        );
        let r = Reply::from_url(&Url::parse("http://127.0.0.1:1/cb#access_token=t").unwrap());
        assert_eq!((r.get("access_token"), r.in_fragment), (Some("t"), true));
        assert_eq!(r.target(), "http://127.0.0.1:1/cb");
    }
}
