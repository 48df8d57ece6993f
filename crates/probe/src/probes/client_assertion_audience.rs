//! `client-assertion.audience` (RFC 7523bis; CVE-2025-27370/27371; the OIDF FAPI 2.0 conformance
//! modules): a client assertion's `aud` must be the issuer, as a string. Assertions with `aud`
//! = the issuer, the token endpoint, the PAR endpoint and an array holding the issuer are sent
//! at the token endpoint (with a made-up code: client authentication is judged, not the grant)
//! and at the PAR endpoint (a pushed request: accepted is 201).
//!
//! The assertion helpers here serve the other `client-assertion.*` probes too.

use serde_json::{Map, Value, json};
use url::Url;

use crate::cx::{Answer, Cx};
use crate::model::{Probe, ProbeFuture};
use crate::verdict::{Group, Level, Verdict};
use grantscope_core::http::HttpRequest;
use grantscope_core::keys::{JwsAlg, Signer, sign_compact};
use grantscope_core::oauth::{AuthMethod, FlowError, GrantKind, PkceMode, client_auth, pkce};
use grantscope_core::secret::SecretKind;

pub static PROBE: Probe = Probe {
    id: "client-assertion.audience",
    title: "Client assertions are for the issuer only",
    group: Group::ClientAuthentication,
    level: Level::Should,
    reference: "RFC 7523bis; CVE-2025-27370/27371; OIDF FAPI 2.0 conformance",
    tests: "Client assertions with aud = the issuer (a string), the token endpoint, the PAR endpoint, and an array holding the issuer, at the token endpoint and at the PAR endpoint: the issuer accepted and every other form refused passes; the issuer refused fails; another form accepted warns (bcp, oauth2.1) or fails (fapi2). A client that does not authenticate with a JWT is skipped.",
    needs: &[],
    logins: 0,
    slow_logins: 0,
    changes: None,
    run,
};

/// The standard claims of a client assertion for this client, `aud` the issuer.
pub(crate) fn standard_claims(cx: &Cx) -> Map<String, Value> {
    let now = grantscope_core::timefmt::now_unix();
    let id = cx.cfg().client_id.clone();
    let mut claims = Map::new();
    claims.insert("iss".into(), json!(id));
    claims.insert("sub".into(), json!(id));
    claims.insert("aud".into(), json!(cx.target.issuer().unwrap_or_default()));
    claims.insert("jti".into(), json!(pkce::random_token()));
    claims.insert("iat".into(), json!(now));
    claims.insert("exp".into(), json!(now + 60));
    claims
}

/// Why this client cannot be probed with hand-made assertions, if it cannot.
pub(crate) fn why_not(cx: &Cx) -> Option<String> {
    let method = cx.cfg().effective_auth_method();
    (!matches!(
        method,
        AuthMethod::PrivateKeyJwt | AuthMethod::ClientSecretJwt
    ))
    .then(|| format!("the client authenticates with {method}, not a JWT client assertion"))
}

/// Signs `claims` as this client's assertion (its key, or its secret for
/// `client_secret_jwt`), with `alg` or the configured one.
pub(crate) fn sign(
    cx: &Cx,
    claims: &Map<String, Value>,
    alg: Option<JwsAlg>,
) -> Result<String, FlowError> {
    let cfg = cx.cfg();
    let claims = Value::Object(claims.clone());
    let mut header = Map::new();
    header.insert("typ".into(), json!("JWT"));
    let key_error = |e: grantscope_core::keys::KeyError| FlowError::Config(e.to_string());
    match cfg.effective_auth_method() {
        AuthMethod::ClientSecretJwt => {
            let secret = cfg
                .client_secret
                .as_ref()
                .map(|s| s.expose().as_bytes().to_vec())
                .unwrap_or_default();
            let signer = Signer::Secret(&secret);
            let alg = alg.or(cfg.auth.signing_alg).unwrap_or(JwsAlg::Hs256);
            sign_compact(&header, &claims, signer, alg).map_err(key_error)
        }
        _ => {
            let key = client_auth::signing_key(cfg)?;
            header.insert("kid".into(), json!(key.key.kid()));
            let alg = alg
                .or(cfg.auth.signing_alg)
                .unwrap_or_else(|| key.key.default_alg());
            sign_compact(&header, &claims, Signer::Key(&key.key), alg).map_err(key_error)
        }
    }
}

/// Whether an answer is a refused client authentication (401, or `invalid_client`).
pub(crate) fn authentication_failed(a: &Answer) -> bool {
    matches!(a, Answer::Refused { status: 401, .. }) || a.error() == Some("invalid_client")
}

/// Sends `assertion` at the token endpoint with a made-up code; the answer says whether the
/// client authentication was accepted (any answer but an authentication failure).
pub(crate) async fn at_token(
    cx: &mut Cx,
    step: &str,
    assertion: &str,
) -> Result<Answer, FlowError> {
    let endpoint = cx.token_endpoint()?;
    let code = format!("grantscope-probe-{}", pkce::random_token());
    let params = vec![
        (
            "grant_type".to_string(),
            GrantKind::AuthorizationCode.grant_type().to_string(),
        ),
        ("code".to_string(), code),
        (
            "redirect_uri".to_string(),
            cx.target.redirect_uri.to_string(),
        ),
        ("client_id".to_string(), cx.cfg().client_id.clone()),
        (
            "client_assertion_type".to_string(),
            grantscope_core::oauth::assertion::CLIENT_ASSERTION_TYPE.to_string(),
        ),
        ("client_assertion".to_string(), assertion.to_string()),
    ];
    let mut req = HttpRequest::post_form(endpoint.clone(), &params)
        .secret(SecretKind::Assertion, assertion.to_string());
    // A server that wants sender-constrained tokens gets the session's proof, as on every
    // token request (else its refusal of the missing proof could hide the authentication's).
    if let Some(d) = cx.session.dpop().cloned() {
        req = req.header("DPoP", d.proof_for("POST", &endpoint, None)?);
    }
    let resp = cx.send(step, req).await?;
    cx.answer(&resp)
}

/// Pushes a normal authorization request authenticated by `assertion`; `Some(true)` when the
/// push was accepted, `Some(false)` when the client authentication was refused, `None` when
/// there is no PAR endpoint or the answer says nothing about the authentication.
async fn at_par(cx: &mut Cx, step: &str, assertion: &str) -> Result<Option<bool>, FlowError> {
    let Some(endpoint) = cx
        .cfg()
        .endpoints
        .pushed_authorization_request_endpoint
        .clone()
    else {
        return Ok(None);
    };
    let request = cx.auth_request(PkceMode::S256)?;
    let mut params: Vec<(String, String)> = request.params.clone();
    if !params.iter().any(|(k, _)| k == "client_id") {
        params.push(("client_id".into(), cx.cfg().client_id.clone()));
    }
    params.push((
        "client_assertion_type".into(),
        grantscope_core::oauth::assertion::CLIENT_ASSERTION_TYPE.into(),
    ));
    params.push(("client_assertion".into(), assertion.to_string()));
    let mut req = HttpRequest::post_form(endpoint.clone(), &params)
        .secret(SecretKind::Assertion, assertion.to_string());
    // A server that binds pushed requests to a DPoP key gets the session's proof, as on every push.
    if let Some(d) = cx.session.dpop().cloned() {
        req = req.header("DPoP", d.proof_for("POST", &endpoint, None)?);
    }
    let resp = cx.send(step, req).await?;
    if resp.status >= 500 {
        return Err(FlowError::Status {
            status: resp.status,
            excerpt: "the PAR endpoint failed; nothing can be concluded".into(),
        });
    }
    let answer = cx.answer(&resp)?;
    Ok(if resp.is_success() {
        Some(true)
    } else if authentication_failed(&answer) {
        Some(false)
    } else {
        None
    })
}

fn run(cx: &mut Cx) -> ProbeFuture<'_> {
    Box::pin(async move {
        if let Some(why) = why_not(cx) {
            return Ok(Verdict::skipped(why));
        }
        let Some(issuer) = cx.target.issuer() else {
            return Ok(Verdict::skipped(
                "no issuer is known (endpoints given by hand): there is no issuer audience to test",
            ));
        };
        let token = cx.token_endpoint()?;
        let par: Option<Url> = cx
            .cfg()
            .endpoints
            .pushed_authorization_request_endpoint
            .clone();
        let mut forms: Vec<(&str, Value)> = vec![
            ("the issuer", json!(issuer)),
            ("the token endpoint", json!(token.as_str())),
            ("an array holding the issuer", json!([issuer])),
        ];
        if let Some(p) = &par {
            forms.push(("the PAR endpoint", json!(p.as_str())));
        }
        let mut accepted_other = Vec::new();
        let mut said = Vec::new();
        for (what, aud) in &forms {
            let is_issuer = *what == "the issuer";
            for endpoint in ["token", "PAR"] {
                let mut claims = standard_claims(cx);
                claims.insert("aud".into(), aud.clone());
                let assertion = sign(cx, &claims, None)?;
                let step = format!("client assertion with aud = {what} at the {endpoint} endpoint");
                let accepted = if endpoint == "token" {
                    let a = at_token(cx, &step, &assertion).await?;
                    Some(!authentication_failed(&a))
                } else {
                    at_par(cx, &step, &assertion).await?
                };
                match (accepted, is_issuer) {
                    (Some(false), true) => {
                        return Ok(Verdict::fail(format!(
                            "a client assertion with aud = the issuer (a string) was refused at the {endpoint} endpoint"
                        )));
                    }
                    (Some(true), false) => {
                        accepted_other.push(format!("{what} at the {endpoint} endpoint"))
                    }
                    (Some(false), false) => {
                        said.push(format!("{what} refused at the {endpoint} endpoint"))
                    }
                    (None, _) if endpoint == "PAR" && par.is_some() => said.push(format!(
                        "{what} at the PAR endpoint: the answer says nothing of the authentication"
                    )),
                    _ => {}
                }
            }
        }
        Ok(if accepted_other.is_empty() {
            Verdict::pass(format!(
                "only the issuer, as a string, was accepted as aud ({})",
                said.join("; ")
            ))
        } else {
            cx.policy().strict(format!(
                "client assertions for another audience than the issuer string were accepted: {}",
                accepted_other.join("; ")
            ))
        })
    })
}
