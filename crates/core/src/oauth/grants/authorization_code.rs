//! The authorization code grant with PKCE (RFC 6749 §4.1, RFC 7636), for a user. The user
//! signs in in the system browser; the code comes back to a one-shot loopback listener
//! (RFC 8252) or is pasted by hand, and is exchanged at the token endpoint.

use std::time::Duration;

use url::Url;

use super::{GrantKind, TokenSuccess};
use crate::oauth::endpoint::EndpointKind;
use crate::oauth::error::{FlowError, GrantInput, Missing};
use crate::oauth::loopback::{self, Expected, LoopbackListener};
use crate::oauth::request_object::{self, RequestObject};
use crate::oauth::step::StepKind;
use crate::oauth::{ClientConfig, FlowEvent, PkceMode, Session, pkce};
use crate::secret::{AuthorizationCode, PkceVerifier, SecretKind};

const NAME: &str = "authorization code";

/// Default time the user has to finish signing in.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(300);

/// The authorization request and the secrets it binds (state, nonce, PKCE verifier).
#[derive(Debug, Clone)]
pub struct AuthorizationRequest {
    pub url: Url,
    pub redirect_uri: Url,
    pub state: String,
    pub nonce: Option<String>,
    pub code_verifier: Option<PkceVerifier>,
    /// The parameters the client added to the authorization endpoint (what PAR pushes).
    pub params: Vec<(String, String)>,
}

/// Builds the authorization URL (pure apart from the random values).
pub fn build_request(
    cfg: &ClientConfig,
    redirect_uri: &Url,
) -> Result<AuthorizationRequest, FlowError> {
    let endpoint = cfg
        .endpoints
        .authorization_endpoint
        .clone()
        .ok_or_else(|| FlowError::missing(NAME, Missing::Endpoint(EndpointKind::Authorization)))?;
    if cfg.client_id.is_empty() {
        return Err(FlowError::missing(NAME, Missing::ClientId));
    }
    let state = pkce::random_token();
    let response_type = cfg.response_type();
    let with_code = response_type.split(' ').any(|t| t == "code");
    // An ID token in the front channel must carry a nonce (OpenID Connect Core §3.2.2.1).
    let nonce = (cfg.wants_openid() || response_type.contains("id_token")).then(pkce::random_token);
    let verifier = match cfg.pkce {
        _ if !with_code => None,
        PkceMode::Off => None,
        _ => Some(PkceVerifier::new(pkce::new_verifier(
            cfg.pkce_verifier_len.unwrap_or(pkce::DEFAULT_VERIFIER_LEN),
        ))),
    };
    let mut pairs: Vec<(String, String)> = vec![
        ("response_type".into(), response_type.clone()),
        ("client_id".into(), cfg.client_id.clone()),
        ("redirect_uri".into(), redirect_uri.to_string()),
    ];
    pairs.extend(cfg.scope_params());
    if let Some(mode) = &cfg.response_mode {
        pairs.push(("response_mode".into(), mode.clone()));
    }
    pairs.push(("state".into(), state.clone()));
    if let Some(n) = &nonce {
        pairs.push(("nonce".into(), n.clone()));
    }
    if let Some(v) = &verifier {
        let (challenge, method) = match cfg.pkce {
            PkceMode::Plain => (v.expose().to_string(), "plain"),
            _ => (pkce::s256_challenge(v.expose()), "S256"),
        };
        pairs.push(("code_challenge".into(), challenge));
        pairs.push(("code_challenge_method".into(), method.into()));
    }
    // Extra parameters win: a tester may override any of the above (the client still checks
    // the answer against the state and nonce it generated).
    let mut pairs = crate::oauth::config::with_extra(pairs, &cfg.authorize_params);
    if cfg.request_object != RequestObject::Off {
        // RFC 9101 §5: client_id and the request object; response_type and scope repeated
        // outside, as OpenID Connect Core §6.1 wants them too.
        let object =
            request_object::build(cfg, &pairs, cfg.request_object, crate::timefmt::now_unix())?;
        let outside: Vec<(String, String)> = pairs
            .iter()
            .filter(|(k, _)| k == "response_type" || k == "scope")
            .cloned()
            .collect();
        pairs = vec![("client_id".into(), cfg.client_id.clone())];
        pairs.extend(outside);
        pairs.push(("request".into(), object));
    }
    let mut url = endpoint;
    url.query_pairs_mut().extend_pairs(pairs.iter());
    let params = pairs;
    Ok(AuthorizationRequest {
        url,
        redirect_uri: redirect_uri.clone(),
        state,
        nonce,
        code_verifier: verifier,
        params,
    })
}

/// RFC 9126: pushes the authorization parameters (with the client's authentication) and
/// returns the URL for the browser: the authorization endpoint with only `client_id` and the
/// `request_uri` the server gave.
pub async fn push(
    session: &mut Session,
    cfg: &ClientConfig,
    request: &AuthorizationRequest,
) -> Result<Url, FlowError> {
    let endpoint = cfg
        .endpoints
        .pushed_authorization_request_endpoint
        .clone()
        .ok_or_else(|| {
            FlowError::missing(
                "pushing the authorization request",
                Missing::Endpoint(EndpointKind::PushedAuthorization),
            )
        })?;
    // The client authenticates itself (client_id for a public client comes from there);
    // the pushed parameters are those of the authorization request, less client_id.
    let params: Vec<(String, String)> = request
        .params
        .iter()
        .filter(|(k, _)| k != "client_id")
        .cloned()
        .collect();
    let (status, json) = session
        .post_authenticated(
            StepKind::PushedAuthorization.name(),
            "pushed authorization",
            &endpoint,
            cfg,
            params,
            &[],
        )
        .await?;
    let request_uri = json
        .get("request_uri")
        .and_then(serde_json::Value::as_str)
        .filter(|u| !u.is_empty())
        .ok_or_else(|| FlowError::Body {
            what: "pushed authorization",
            source: crate::http::BodyError::Shape {
                status,
                detail: "no `request_uri` (RFC 9126 §2.2)".into(),
            },
        })?;
    let mut url = cfg
        .endpoints
        .authorization_endpoint
        .clone()
        .ok_or_else(|| FlowError::missing(NAME, Missing::Endpoint(EndpointKind::Authorization)))?;
    url.query_pairs_mut()
        .append_pair("client_id", &cfg.client_id)
        .append_pair("request_uri", request_uri);
    Ok(url)
}

/// The URL the browser opens: the request's own, or (PAR) the pushed one; then whatever the
/// step-mode gate makes of it.
async fn browser_url(
    session: &mut Session,
    cfg: &ClientConfig,
    request: &AuthorizationRequest,
) -> Result<Url, FlowError> {
    let url = if cfg.par {
        push(session, cfg, request).await?
    } else {
        request.url.clone()
    };
    session.gate_authorize(url).await
}

/// JARM (JWT Secured Authorization Response Mode): with a `*jwt` response mode, the
/// response is one JWT signed by the server (and possibly encrypted to the client). The JWKS is
/// fetched first; the verifier then
/// checks the signature, `iss` (the issuer), `aud` (the client id) and `exp` before any
/// parameter it carries is used.
async fn jarm_verifier(
    session: &mut Session,
    cfg: &ClientConfig,
) -> Result<Option<loopback::JarmVerifier>, FlowError> {
    let Some(mode) = cfg.response_mode.as_deref().filter(|m| m.ends_with("jwt")) else {
        return Ok(None);
    };
    let jwks_uri = cfg.endpoints.jwks_uri.clone().ok_or_else(|| {
        FlowError::missing(
            "verifying a JWT-secured authorization response",
            Missing::Endpoint(EndpointKind::Jwks),
        )
    })?;
    let mut exchanges = Vec::new();
    let keys = crate::token::jwks::load_keys(
        &crate::token::KeySource::JwksUrl(jwks_uri),
        session.http(),
        None,
        &mut exchanges,
    )
    .await
    .map_err(|e| FlowError::Redirect(format!("JARM ({mode}): the server's keys: {e}")))?;
    for ex in exchanges {
        session.record(ex);
    }
    let options = crate::token::InspectOptions {
        issuer: cfg
            .endpoints
            .issuer
            .as_ref()
            .map(|u| u.as_str().trim_end_matches('/').to_string()),
        audience: Some(cfg.client_id.clone()),
        ..Default::default()
    };
    // JARM §2.3: the response may be encrypted to the client (a nested JWT); it is opened
    // with the client's decryption keys, then the JWT inside is verified.
    let decryption = cfg.decryption.clone();
    let verify = move |jwt: &str| -> Result<Vec<(String, String)>, FlowError> {
        let inspection = crate::token::inspect_with_decryption(
            jwt,
            &keys,
            decryption.keys(),
            &options,
            crate::timefmt::now_unix(),
        );
        if !inspection.valid {
            let unopened = inspection
                .envelope
                .as_ref()
                .filter(|e| !e.jwe.decrypted)
                .map(|e| {
                    format!(
                        "it is encrypted and was not decrypted: {}{}",
                        crate::text::inert(&e.jwe.detail),
                        if decryption.is_empty() {
                            " (give the client's key with --decryption-key)"
                        } else {
                            ""
                        }
                    )
                });
            let why = unopened
                .or_else(|| {
                    inspection
                        .failures()
                        .next()
                        .map(|c| format!("{}: {}", c.id, c.shown_message()))
                })
                .unwrap_or_else(|| format!("signature {:?}", inspection.signature.status));
            return Err(FlowError::Redirect(format!(
                "rejected: the JWT-secured authorization response does not verify ({why}); none of its parameters is used"
            )));
        }
        let Some(claims) = inspection.claims.as_object() else {
            return Err(FlowError::Redirect(
                "rejected: the JWT-secured authorization response has no claims".into(),
            ));
        };
        Ok(claims
            .iter()
            .filter(|(k, _)| !matches!(k.as_str(), "aud" | "exp" | "iat" | "nbf" | "jti"))
            .map(|(k, v)| {
                let v = v.as_str().map_or_else(|| v.to_string(), String::from);
                (k.clone(), v)
            })
            .collect())
    };
    Ok(Some(std::sync::Arc::new(verify)))
}

/// The configuration for the authorization request: with DPoP on, `dpop_jkt` binds the code
/// to the key (RFC 9449 §10) unless the user set (or removed) it.
fn with_dpop_jkt(session: &Session, cfg: &ClientConfig) -> ClientConfig {
    let mut cfg = cfg.clone();
    if let Some(d) = session.dpop()
        && !cfg.authorize_params.iter().any(|(k, _)| k == "dpop_jkt")
    {
        cfg.authorize_params.push(("dpop_jkt".into(), d.key.jkt()));
    }
    cfg
}

/// Exchanges a code at the token endpoint.
pub async fn exchange_code(
    session: &mut Session,
    cfg: &ClientConfig,
    code: &AuthorizationCode,
    redirect_uri: &Url,
    code_verifier: Option<&PkceVerifier>,
) -> Result<TokenSuccess, FlowError> {
    let mut params = vec![
        (
            "grant_type".to_string(),
            GrantKind::AuthorizationCode.grant_type().to_string(),
        ),
        ("code".to_string(), code.expose().to_string()),
        ("redirect_uri".to_string(), redirect_uri.to_string()),
    ];
    let mut secrets = vec![(SecretKind::AuthorizationCode, code.expose())];
    if let Some(v) = code_verifier {
        params.push(("code_verifier".into(), v.expose().to_string()));
        secrets.push((SecretKind::PkceVerifier, v.expose()));
    }
    // RFC 8707: the resource may be repeated at the token endpoint to pick the audience.
    for r in &cfg.resources {
        params.push(("resource".into(), r.clone()));
    }
    let (raw, tokens) = session
        .token_request(StepKind::Token.name(), cfg, params, &secrets)
        .await?;
    let mut s = TokenSuccess::new(raw, tokens);
    s.code = Some(code.clone());
    Ok(s)
}

/// Where the authorization response comes from.
pub enum RedirectSource {
    /// The loopback listener; open the system browser unless `open_browser` is false.
    Loopback {
        open_browser: bool,
        timeout: Duration,
    },
    /// The user pastes the redirect URL (servers that do not allow loopback redirects).
    Paste(tokio::sync::oneshot::Receiver<String>),
}

/// Runs the whole flow: authorization request, redirect, code exchange.
pub async fn run(
    session: &mut Session,
    cfg: &ClientConfig,
    source: RedirectSource,
    require_iss: bool,
) -> Result<TokenSuccess, FlowError> {
    let expected_issuer = cfg.endpoints.issuer.as_ref().map(|u| u.to_string());
    let cfg = &with_dpop_jkt(session, cfg);
    let (request, callback, opened_url) = match source {
        RedirectSource::Loopback {
            open_browser,
            timeout,
        } => {
            let listener = LoopbackListener::bind(cfg.redirect_uri.as_ref()).await?;
            let request = build_request(cfg, listener.redirect_uri())?;
            // Step mode shows (and may edit) the URL before the browser opens; the checks of
            // the answer stay those of the request as built (its state, its nonce).
            let url = browser_url(session, cfg, &request).await?;
            let opened = open_browser && webbrowser::open(url.as_str()).is_ok();
            session.emit(FlowEvent::Authorize {
                url: url.to_string(),
                opened,
            });
            session.emit(FlowEvent::WaitingForRedirect {
                redirect_uri: request.redirect_uri.to_string(),
            });
            let expected = Expected {
                state: request.state.clone(),
                issuer: expected_issuer,
                require_iss,
                jarm: jarm_verifier(session, cfg).await?,
                front_channel_tokens: front_channel_tokens(cfg),
                checks_off: cfg.checks_off.clone(),
            };
            let cb = listener.wait(&expected, timeout).await;
            let cb = error_redirect_drawn(session, &url, &request.redirect_uri, cb)?;
            (request, cb, url)
        }
        RedirectSource::Paste(rx) => {
            let redirect = cfg.redirect_uri.clone().ok_or_else(|| {
                FlowError::missing(
                    "pasting the redirect",
                    Missing::Input(GrantInput::RedirectUri),
                )
            })?;
            let request = build_request(cfg, &redirect)?;
            let url = browser_url(session, cfg, &request).await?;
            session.emit(FlowEvent::Authorize {
                url: url.to_string(),
                opened: false,
            });
            let pasted = rx.await.map_err(|_| FlowError::Cancelled)?;
            let expected = Expected {
                state: request.state.clone(),
                issuer: expected_issuer,
                require_iss,
                jarm: jarm_verifier(session, cfg).await?,
                front_channel_tokens: front_channel_tokens(cfg),
                checks_off: cfg.checks_off.clone(),
            };
            let cb = loopback::parse_redirect(&pasted, &expected);
            let cb = error_redirect_drawn(session, &url, &redirect, cb)?;
            (request, cb, url)
        }
    };
    session.emit(FlowEvent::RedirectReceived {
        url: format!("{}?code=…&state=…", request.redirect_uri),
    });
    // The browser's part, as the browser saw it (not as an exchange: grantscope did not send
    // it): the URL it was sent to, and where the server redirected it, secrets masked.
    let secrets: Vec<(SecretKind, String)> = callback
        .params
        .iter()
        .filter_map(|(k, v)| {
            let kind = match k.as_str() {
                "code" => SecretKind::AuthorizationCode,
                "access_token" => SecretKind::AccessToken,
                "id_token" => SecretKind::IdToken,
                "refresh_token" => SecretKind::RefreshToken,
                "response" => SecretKind::Assertion,
                _ => return None,
            };
            Some((kind, v.clone()))
        })
        .collect();
    let mut back = request.redirect_uri.clone();
    back.query_pairs_mut().extend_pairs(callback.params.iter());
    let masker = crate::http::Exchange::front_channel(
        "authorization response (browser)",
        &opened_url,
        back.as_str(),
        &secrets,
    );
    session.emit(FlowEvent::BrowserRedirect {
        authorization_url: opened_url.to_string(),
        redirect: masker.mask(back.as_str()),
    });
    for line in &callback.accepted {
        session.emit(FlowEvent::Note(format!("warning: {line}")));
    }
    let front = front_channel_response(&callback)?;
    if front.is_some() {
        session.emit(FlowEvent::Note(format!("warning: {FRONT_CHANNEL_WARNING}")));
    }
    let mut success = if callback.code.is_empty() {
        // Implicit: the tokens came through the browser; there is no code to exchange.
        let (raw, tokens) = front.clone().ok_or_else(|| {
            FlowError::Redirect("the redirect carries neither a code nor an access token".into())
        })?;
        TokenSuccess::new(raw, tokens)
    } else {
        exchange_code(
            session,
            cfg,
            &callback.code,
            &request.redirect_uri,
            request.code_verifier.as_ref(),
        )
        .await?
    };
    // Hybrid: the front-channel ID token is checked on its own (c_hash against the code).
    if let Some((_, t)) = &front
        && !callback.code.is_empty()
    {
        success.front_channel_id_token = t.id_token.clone();
    }
    success.nonce = request.nonce;
    success.accepted_unchecked = callback.accepted;
    Ok(success)
}

/// An error redirect (`error=access_denied`, ...) is the browser's leg too: it is reported as
/// the [`FlowEvent::BrowserRedirect`] it was, so the diagram draws it as a code's redirect.
fn error_redirect_drawn(
    session: &Session,
    authorization_url: &Url,
    redirect_uri: &Url,
    callback: Result<loopback::Callback, FlowError>,
) -> Result<loopback::Callback, FlowError> {
    if let Err(FlowError::AuthorizationDenied { error }) = &callback {
        let mut back = redirect_uri.clone();
        {
            let mut q = back.query_pairs_mut();
            q.append_pair("error", &error.error);
            if let Some(d) = &error.error_description {
                q.append_pair("error_description", d);
            }
        }
        session.emit(FlowEvent::BrowserRedirect {
            authorization_url: authorization_url.to_string(),
            redirect: back.to_string(),
        });
    }
    callback
}

/// Why tokens in the front channel are deprecated, said whenever they come that way.
pub const FRONT_CHANNEL_WARNING: &str = "tokens came through the front channel (the browser: its history, referrers, extensions, logs); the implicit grant and response types with `token` are deprecated (RFC 9700 §2.1.2)";

/// Whether the response type puts tokens in the front channel (implicit, hybrid).
fn front_channel_tokens(cfg: &ClientConfig) -> bool {
    cfg.response_type()
        .split(' ')
        .any(|t| t == "token" || t == "id_token")
}

/// The tokens of a front-channel response (implicit or hybrid), as a token response.
fn front_channel_response(
    callback: &loopback::Callback,
) -> Result<Option<(serde_json::Value, crate::oauth::TokenResponse)>, FlowError> {
    let has = |k: &str| callback.params.iter().any(|(n, _)| n == k);
    if !has("access_token") && !has("id_token") {
        return Ok(None);
    }
    let mut m = serde_json::Map::new();
    for (k, v) in &callback.params {
        if matches!(k.as_str(), "code" | "state" | "iss" | "session_state") {
            continue;
        }
        m.insert(k.clone(), serde_json::Value::String(v.clone()));
    }
    let raw = serde_json::Value::Object(m);
    if !has("access_token") {
        // `id_token` alone, or hybrid `code id_token`: only the ID token came this way.
        let tokens = crate::oauth::TokenResponse {
            id_token: callback
                .params
                .iter()
                .find(|(n, _)| n == "id_token")
                .map(|(_, v)| v.clone().into()),
            ..Default::default()
        };
        return Ok(Some((raw, tokens)));
    }
    crate::oauth::TokenResponse::from_json(&raw)
        .map(|t| Some((raw.clone(), t)))
        .map_err(|detail| FlowError::Body {
            what: "front-channel authorization",
            source: crate::http::BodyError::Shape {
                status: 302,
                detail,
            },
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oauth::Endpoints;

    fn cfg(pkce: PkceMode, scope: &str) -> ClientConfig {
        ClientConfig {
            endpoints: Endpoints {
                authorization_endpoint: Some(
                    Url::parse("https://as.example/auth?tenant=1").unwrap(),
                ),
                ..Default::default()
            },
            client_id: "native app".into(),
            scope: Some(scope.into()),
            resources: vec!["https://api.example".into()],
            pkce,
            ..Default::default()
        }
    }

    fn params(u: &Url) -> std::collections::HashMap<String, String> {
        u.query_pairs().into_owned().collect()
    }

    #[test]
    fn s256_request_carries_state_nonce_and_challenge() {
        let redirect = Url::parse("http://127.0.0.1:4000/callback").unwrap();
        let r = build_request(&cfg(PkceMode::S256, "openid profile"), &redirect).unwrap();
        let p = params(&r.url);
        assert_eq!(p["tenant"], "1", "existing query kept");
        assert_eq!(p["response_type"], "code");
        assert_eq!(p["client_id"], "native app");
        assert_eq!(p["redirect_uri"], "http://127.0.0.1:4000/callback");
        assert_eq!(p["state"], r.state);
        assert_eq!(p["nonce"], r.nonce.clone().unwrap());
        assert_eq!(p["resource"], "https://api.example");
        assert_eq!(p["code_challenge_method"], "S256");
        assert_eq!(
            p["code_challenge"],
            pkce::s256_challenge(r.code_verifier.as_ref().unwrap().expose())
        );
    }

    #[test]
    fn plain_and_off_and_no_openid() {
        let redirect = Url::parse("http://127.0.0.1:4000/cb").unwrap();
        let r = build_request(&cfg(PkceMode::Plain, "api"), &redirect).unwrap();
        let p = params(&r.url);
        assert_eq!(
            p["code_challenge"],
            r.code_verifier.clone().unwrap().expose()
        );
        assert_eq!(p["code_challenge_method"], "plain");
        assert!(!p.contains_key("nonce"));
        let r = build_request(&cfg(PkceMode::Off, "api"), &redirect).unwrap();
        assert!(!params(&r.url).contains_key("code_challenge"));
        assert!(r.code_verifier.is_none());
    }

    #[test]
    fn extra_parameters_are_added_and_override() {
        let redirect = Url::parse("http://127.0.0.1:4000/cb").unwrap();
        let mut c = cfg(PkceMode::S256, "openid");
        c.authorize_params = vec![
            ("prompt".into(), "login".into()),
            ("acr_values".into(), "urn:mace:incommon:iap:silver".into()),
            ("response_type".into(), "code id_token".into()),
            ("nonce".into(), String::new()),
        ];
        let r = build_request(&c, &redirect).unwrap();
        let all: Vec<(String, String)> = r.url.query_pairs().into_owned().collect();
        let p = params(&r.url);
        assert_eq!(p["prompt"], "login");
        assert_eq!(p["acr_values"], "urn:mace:incommon:iap:silver");
        assert_eq!(p["response_type"], "code id_token", "an override replaces");
        assert_eq!(all.iter().filter(|(k, _)| k == "response_type").count(), 1);
        assert!(!p.contains_key("nonce"), "an empty value removes");
        // The client still holds the nonce it generated, for its own checks.
        assert!(r.nonce.is_some());
    }
}
