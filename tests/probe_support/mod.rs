//! Shared by the probe tests: running the catalogue through the library against a provider
//! (the one way in, `grantscope_core::connect`, then `probe::run`), a scripted-browser authorization
//! driver for providers with a login page, and the evidence checks (every fail carries an
//! exchange, every exchange is masked).

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::Arc;

use grantscope_core::http::Exchange;
use grantscope_core::oauth::{self, EndpointKind};
use grantscope_core::profile::Profile;
use grantscope_probe::driver::{AuthorizeDriver, Direct, DriverFuture, Landing};
use grantscope_probe::{self as probe, Outcome, RunOptions, SecondClient, Target};
use serde_json::Value;

use crate::common::browser::{Browser, Decision, Login};

/// The client a run uses.
#[derive(Debug, Clone)]
pub struct Client {
    pub id: &'static str,
    pub secret: Option<&'static str>,
    pub auth_method: Option<&'static str>,
    pub redirect_uri: &'static str,
    pub scope: &'static str,
}

/// Drives the provider's login and consent pages with the test harness's scripted browser
/// (its cookies kept, so the later logins reuse the provider's session).
pub struct ScriptedBrowser {
    browser: tokio::sync::Mutex<Browser>,
    user: &'static str,
    password: &'static str,
}

impl ScriptedBrowser {
    pub fn new(issuer: &str, user: &'static str, password: &'static str) -> Self {
        let browser = Browser::new(issuer).unwrap_or_else(|e| panic!("test browser: {e}"));
        Self {
            browser: tokio::sync::Mutex::new(browser),
            user,
            password,
        }
    }
}

impl AuthorizeDriver for ScriptedBrowser {
    fn name(&self) -> &'static str {
        "scripted test browser"
    }
    fn needs_user(&self) -> bool {
        true
    }
    fn visit<'a>(
        &'a self,
        _session: &'a mut oauth::Session,
        url: &'a url::Url,
    ) -> DriverFuture<'a> {
        Box::pin(async move {
            let mut b = self.browser.lock().await;
            let login = Login {
                user: self.user,
                password: self.password,
            };
            Ok(
                match b.authorize(url.as_str(), login, Decision::Approve).await {
                    Ok(to) => match url::Url::parse(&to) {
                        Ok(u) => Landing::Redirect(u),
                        Err(e) => Landing::NoAnswer(format!("bad redirect {to}: {e}")),
                    },
                    Err(e) => Landing::NoAnswer(format!(
                        "the scripted browser stopped: {}",
                        e.to_string().lines().next().unwrap_or_default()
                    )),
                },
            )
        })
    }
}

/// Runs the catalogue (all of it, concurrency 4) against `issuer` as `client`.
pub async fn run_catalogue(
    issuer: &str,
    client: &Client,
    second: Option<&Client>,
    driver: Arc<dyn AuthorizeDriver>,
) -> probe::Run {
    run_with(issuer, client, second, driver, RunOptions::default()).await
}

pub async fn run_with(
    issuer: &str,
    client: &Client,
    second: Option<&Client>,
    driver: Arc<dyn AuthorizeDriver>,
    options: RunOptions,
) -> probe::Run {
    run_full(issuer, client, second, driver, options, false).await
}

/// [`run_with`], with the slow probes on or off.
pub async fn run_full(
    issuer: &str,
    client: &Client,
    second: Option<&Client>,
    driver: Arc<dyn AuthorizeDriver>,
    options: RunOptions,
    slow: bool,
) -> probe::Run {
    run_policy(
        issuer,
        client,
        second,
        driver,
        options,
        slow,
        probe::Policy::Bcp,
    )
    .await
}

/// [`run_full`] under a policy (`--policy`).
pub async fn run_policy(
    issuer: &str,
    client: &Client,
    second: Option<&Client>,
    driver: Arc<dyn AuthorizeDriver>,
    options: RunOptions,
    slow: bool,
    policy: probe::Policy,
) -> probe::Run {
    let profile = Profile {
        issuer: Some(issuer.to_string()),
        client_id: client.id.to_string(),
        client_secret: client.secret.map(Into::into),
        auth_method: client
            .auth_method
            .map(|m| m.parse().unwrap_or_else(|e| panic!("{e}"))),
        scope: Some(client.scope.to_string()),
        redirect_uri: Some(client.redirect_uri.to_string()),
        ..Profile::default()
    };
    let keys = grantscope_core::keys::KeyStore::new("no-stored-keys");
    let second = second.map(|c| SecondClient {
        client_id: c.id.to_string(),
        client_secret: c.secret.map(Into::into),
    });
    run_profile(&profile, &keys, second, driver, options, slow, policy).await
}

/// Runs the catalogue as `profile` (its keys in `keys`: a `private_key_jwt` client) under
/// `policy`.
pub async fn run_profile(
    profile: &Profile,
    keys: &grantscope_core::keys::KeyStore,
    second: Option<SecondClient>,
    driver: Arc<dyn AuthorizeDriver>,
    options: RunOptions,
    slow: bool,
    policy: probe::Policy,
) -> probe::Run {
    let issuer = profile.issuer.clone().unwrap_or_default();
    let conn = grantscope_core::connect::connect(
        profile,
        keys,
        &[
            EndpointKind::Authorization,
            EndpointKind::Token,
            EndpointKind::Jwks,
        ],
        None,
    )
    .await
    .unwrap_or_else(|e| panic!("connect to {issuer}: {e}"));
    let redirect_uri = url::Url::parse(profile.redirect_uri.as_deref().unwrap_or_default())
        .unwrap_or_else(|e| panic!("{e}"));
    let target = Target {
        http: conn.session.http().clone(),
        config: conn.config,
        discovery: conn.discovery,
        driver,
        redirect_uri,
        second_client: second,
        slow,
        policy,
    };
    let plan = probe::plan(&target, &options).unwrap_or_else(|e| panic!("{e}"));
    probe::run(Arc::new(target), &plan, &|_| {}).await
}

/// The direct driver (the sandbox's auto-approve).
pub fn direct() -> Arc<dyn AuthorizeDriver> {
    Arc::new(Direct)
}

/// id → verdict word.
pub fn verdicts(run: &probe::Run) -> BTreeMap<String, String> {
    run.results
        .iter()
        .map(|r| (r.id.to_string(), r.verdict.outcome.as_str().to_string()))
        .collect()
}

/// A readable table of a run, for failure messages.
pub fn table(run: &probe::Run) -> String {
    run.results
        .iter()
        .map(|r| {
            format!(
                "{:<13} {:<28} {}",
                r.verdict.outcome.as_str(),
                r.id,
                r.verdict.reason
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Asserts each `(id, verdict)`.
pub fn assert_verdicts(run: &probe::Run, expected: &[(&str, &str)]) {
    let got = verdicts(run);
    let wrong: Vec<String> = expected
        .iter()
        .filter(|(id, v)| got.get(*id).map(String::as_str) != Some(*v))
        .map(|(id, v)| format!("{id}: expected {v}, got {:?}", got.get(*id)))
        .collect();
    assert!(wrong.is_empty(), "{}\n\n{}", wrong.join("\n"), table(run));
}

const SECRET_PARAMS: [&str; 8] = [
    "code",
    "code_verifier",
    "client_secret",
    "refresh_token",
    "access_token",
    "id_token",
    "password",
    "client_assertion",
];

/// The secret values a revealed exchange carries (parameters, tokens, credentials).
fn secrets_in(revealed: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let mut from_query = |text: &str| {
        let q = text.split_once('?').map(|(_, q)| q).unwrap_or(text);
        let q = q
            .split_once('#')
            .map(|(a, b)| format!("{a}&{b}"))
            .unwrap_or(q.to_string());
        for (k, v) in url::form_urlencoded::parse(q.as_bytes()) {
            if SECRET_PARAMS.contains(&k.as_ref()) {
                out.push(v.into_owned());
            }
        }
    };
    if let Some(u) = revealed.pointer("/request/url").and_then(Value::as_str) {
        from_query(u);
    }
    if let Some(b) = revealed.pointer("/request/body").and_then(Value::as_str) {
        from_query(b);
    }
    for h in ["/response/headers/location", "/response/headers/Location"] {
        if let Some(l) = revealed.pointer(h).and_then(Value::as_str) {
            from_query(l);
        }
    }
    for h in [
        "/request/headers/Authorization",
        "/request/headers/authorization",
    ] {
        if let Some(a) = revealed.pointer(h).and_then(Value::as_str) {
            out.push(
                a.split_once(' ')
                    .map(|(_, v)| v.to_string())
                    .unwrap_or(a.to_string()),
            );
        }
    }
    if let Some(body) = revealed.pointer("/response/body").and_then(Value::as_str)
        && let Ok(v) = serde_json::from_str::<Value>(body)
    {
        for k in ["access_token", "refresh_token", "id_token"] {
            if let Some(t) = v.get(k).and_then(Value::as_str) {
                out.push(t.to_string());
            }
        }
    }
    out.retain(|s| s.len() >= 8 && !s.starts_with("grantscope-probe"));
    out
}

/// Asserts that `run`'s verdicts are `baseline` with `changed` laid over it, and that every
/// probe `changed` makes fail carries its evidence (an exchange).
pub fn assert_changed<'a>(
    run: &probe::Run,
    baseline: impl IntoIterator<Item = (&'a str, &'a str)>,
    changed: &[(&'a str, &'a str)],
) {
    let mut expected: BTreeMap<&str, &str> = baseline.into_iter().collect();
    for (id, v) in changed {
        expected.insert(id, v);
    }
    let expected: Vec<(&str, &str)> = expected.into_iter().collect();
    assert_verdicts(run, &expected);
    for (id, v) in changed {
        if *v == "fail" {
            let r = run.result(id).unwrap_or_else(|| panic!("{id} missing"));
            assert!(!r.exchanges.is_empty(), "{id} failed without evidence");
        }
    }
}

/// No secret value of `ex` shows in its masked JSON.
pub fn assert_masked(id: &str, ex: &Exchange) {
    let revealed = ex.to_json(true);
    let masked = ex.to_json(false).to_string();
    for s in secrets_in(&revealed) {
        assert!(
            !masked.contains(&s),
            "{id}: a secret shows unmasked in exchange {}: {masked}",
            ex.summary()
        );
    }
}

/// Every fail carries an exchange; every exchange is masked.
pub fn assert_evidence(run: &probe::Run) {
    for r in &run.results {
        if r.verdict.outcome == Outcome::Fail {
            assert!(!r.exchanges.is_empty(), "{} failed without evidence", r.id);
        }
        for ex in &r.exchanges {
            assert_masked(r.id, ex);
        }
    }
}
