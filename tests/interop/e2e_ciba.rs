//! CIBA (`grantscope token ciba`) through the real binary against the sandbox and
//! oidc-provider (its `ciba` feature, tests/provider/server.js): the user approves or denies
//! from outside, as their phone would (the sandbox's `/ciba`, the provider's test-only phone
//! API); poll mode, ping mode through the loopback notification endpoint (plain http to the
//! sandbox; https to oidc-provider, served with a stored key's certificate that the provider
//! is told to trust), denial, expiry.

use std::time::Duration;

use serde_json::{Value, json};

use crate::common::block_on;
use crate::common::cli::{Grantscope, Running};
use crate::common::provider::Provider;
use crate::common::sandbox::Sandbox;

const T: Duration = Duration::from_secs(60);

/// POSTs a form or a JSON body and returns only the status (the phone answers with a page).
fn post_status(url: &str, body: Body, bearer: Option<&str>) -> u16 {
    let url = url.to_string();
    let bearer = bearer.map(str::to_string);
    block_on(async move {
        let client = reqwest::Client::builder().no_proxy().build().unwrap();
        let mut req = client.post(&url);
        req = match body {
            Body::Form(pairs) => req
                .header("content-type", "application/x-www-form-urlencoded")
                .body(
                    url::form_urlencoded::Serializer::new(String::new())
                        .extend_pairs(pairs.iter())
                        .finish(),
                ),
            Body::Json(v) => req
                .header("content-type", "application/json")
                .body(v.to_string()),
        };
        if let Some(b) = bearer {
            req = req.header("authorization", format!("Bearer {b}"));
        }
        req.send().await.unwrap().status().as_u16()
    })
}

enum Body {
    Form(Vec<(String, String)>),
    Json(Value),
}

fn form(pairs: &[(&str, &str)]) -> Body {
    Body::Form(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    )
}

/// The phone's ticket of the pending request with `binding_message`, asked at `pending_url`.
fn ticket(pending_url: &str, binding_message: &str) -> String {
    let (status, doc) = crate::common::get_json(pending_url, None).unwrap();
    assert_eq!(status, 200, "{doc:#}");
    doc["pending"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["binding_message"] == binding_message)
        .unwrap_or_else(|| panic!("no pending request shows {binding_message}: {doc:#}"))["ticket"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Starts `token ciba` in its own configuration directory (kept beside the run).
fn start_ciba(issuer: &str, client: (&str, &str), extra: &[&str]) -> (Running, tempfile::TempDir) {
    let cfg = tempfile::tempdir().unwrap();
    (start_ciba_in(cfg.path(), issuer, client, extra), cfg)
}

/// Starts `token ciba` with the configuration directory `cfg` (its stored keys).
fn start_ciba_in(
    cfg: &std::path::Path,
    issuer: &str,
    client: (&str, &str),
    extra: &[&str],
) -> Running {
    let mut args = vec![
        "token",
        "ciba",
        "--issuer",
        issuer,
        "--client-id",
        client.0,
        "--client-secret",
        client.1,
        "--login-hint",
        "alice",
        "--json",
    ];
    args.extend_from_slice(extra);
    Grantscope::new(args).config_dir(cfg).spawn().unwrap()
}

fn steps(doc: &Value) -> Vec<String> {
    doc["exchanges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["step"].as_str().unwrap_or("").to_string())
        .collect()
}

const SANDBOX_CLIENT: (&str, &str) = ("sandbox-ciba", "sandbox-ciba-secret");

#[test]
fn sandbox_poll_approved_on_the_phone() {
    let sb = Sandbox::start();
    let (mut run, _cfg) = start_ciba(sb.issuer(), SANDBOX_CLIENT, &["--binding-message", "W4SCT"]);
    let id = run.wait_for_stderr("auth_req_id: ", T).unwrap();
    assert!(!id.is_empty());
    let waiting = run.wait_for_stderr("waiting: ", T).unwrap();
    assert!(waiting.contains("polling every 1 s"), "{waiting}");
    let t = ticket(&format!("{}/ciba/pending", sb.issuer()), "W4SCT");
    let page = format!("{}/ciba", sb.issuer());
    assert_eq!(
        post_status(
            &page,
            form(&[("ticket", &t), ("decision", "approve")]),
            None
        ),
        200
    );
    let out = run.wait(T).unwrap();
    assert_eq!(out.code(), 0, "{}\n{}", out.stdout, out.stderr);
    let doc = out.json().unwrap();
    assert_eq!(doc["grant"], "ciba");
    assert_eq!(doc["id_token"]["verdict"], "valid", "{doc:#}");
    assert_eq!(
        doc["id_token"]["claims"]["sub"], "sandbox-user-alice",
        "{doc:#}"
    );
    let steps = steps(&doc);
    assert!(
        steps.contains(&"backchannel authentication request".to_string()),
        "{steps:?}"
    );
    assert!(steps.contains(&"token poll".to_string()), "{steps:?}");
    // Answered once: the phone refuses a second decision.
    assert_eq!(
        post_status(&page, form(&[("ticket", &t), ("decision", "deny")]), None),
        400
    );
}

#[test]
fn sandbox_denied_on_the_phone_is_access_denied() {
    let sb = Sandbox::start();
    let (mut run, _cfg) = start_ciba(sb.issuer(), SANDBOX_CLIENT, &["--binding-message", "DENY1"]);
    run.wait_for_stderr("auth_req_id: ", T).unwrap();
    let t = ticket(&format!("{}/ciba/pending", sb.issuer()), "DENY1");
    let page = format!("{}/ciba", sb.issuer());
    assert_eq!(
        post_status(&page, form(&[("ticket", &t), ("decision", "deny")]), None),
        200
    );
    let out = run.wait(T).unwrap();
    assert_eq!(out.code(), 1, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(out.json().unwrap()["error"]["code"], "access_denied");
}

#[test]
fn sandbox_request_expires_without_a_decision() {
    let sb = Sandbox::start();
    let (mut run, _cfg) = start_ciba(
        sb.issuer(),
        SANDBOX_CLIENT,
        &["--binding-message", "LATE1", "--requested-expiry", "2"],
    );
    let waiting = run.wait_for_stderr("waiting: ", T).unwrap();
    assert!(waiting.contains("expires in 2 s"), "{waiting}");
    let out = run.wait(T).unwrap();
    assert_eq!(out.code(), 1, "{}\n{}", out.stdout, out.stderr);
    let doc = out.json().unwrap();
    assert_eq!(doc["error"]["kind"], "expired", "{doc:#}");
    assert!(
        doc["error"]["message"]
            .as_str()
            .unwrap()
            .contains("expired")
    );
}

#[test]
fn sandbox_refuses_a_request_without_binding_message_unless_the_switch_is_on() {
    let sb = Sandbox::start();
    let (run, _cfg) = start_ciba(sb.issuer(), SANDBOX_CLIENT, &[]);
    let out = run.wait(T).unwrap();
    assert_eq!(out.code(), 1, "{}", out.stdout);
    let doc = out.json().unwrap();
    assert_eq!(doc["error"]["code"], "invalid_request", "{doc:#}");
    assert!(
        doc["error"]["description"]
            .as_str()
            .unwrap()
            .contains("binding_message")
    );

    let mut config = grantscope_sandbox::SandboxConfig {
        device_poll_interval: Duration::from_secs(1),
        ..Default::default()
    };
    config.unsafe_switches.ciba_without_binding_message = true;
    let sb = Sandbox::start_with(config);
    let (mut run, _cfg) = start_ciba(sb.issuer(), SANDBOX_CLIENT, &[]);
    run.wait_for_stderr("auth_req_id: ", T).unwrap();
    let (_, doc) = crate::common::get_json(&format!("{}/ciba/pending", sb.issuer()), None).unwrap();
    let pending = &doc["pending"][0];
    assert!(pending["binding_message"].is_null(), "{doc:#}");
    let t = pending["ticket"].as_str().unwrap();
    post_status(
        &format!("{}/ciba", sb.issuer()),
        form(&[("ticket", t), ("decision", "approve")]),
        None,
    );
    assert_eq!(run.wait(T).unwrap().code(), 0);
}

#[test]
fn sandbox_ping_mode_through_the_loopback_notification_endpoint() {
    let sb = Sandbox::start();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let endpoint = format!("http://127.0.0.1:{port}/ciba-ping");
    let (status, reg) = block_on({
        let url = format!("{}/register", sb.issuer());
        let body = json!({
            "grant_types": ["urn:openid:params:grant-type:ciba"],
            "backchannel_token_delivery_mode": "ping",
            "backchannel_client_notification_endpoint": endpoint,
            "token_endpoint_auth_method": "client_secret_basic",
        });
        async move {
            let r = reqwest::Client::builder()
                .no_proxy()
                .build()
                .unwrap()
                .post(url)
                .header("content-type", "application/json")
                .body(body.to_string())
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            let text = r.text().await.unwrap();
            (status, serde_json::from_str::<Value>(&text).unwrap())
        }
    });
    assert_eq!(status, 201, "{reg:#}");
    let id = reg["client_id"].as_str().unwrap();
    let secret = reg["client_secret"].as_str().unwrap();
    let (mut run, _cfg) = start_ciba(
        sb.issuer(),
        (id, secret),
        &[
            "--binding-message",
            "PING1",
            "--mode",
            "ping",
            "--notification-endpoint",
            &endpoint,
            "--client-notification-token",
            "notify-me-7",
        ],
    );
    let auth_req_id = run.wait_for_stderr("auth_req_id: ", T).unwrap();
    let waiting = run.wait_for_stderr("waiting: ", T).unwrap();
    assert!(waiting.contains(&endpoint), "{waiting}");
    // A forged ping (wrong token) is refused and the wait goes on.
    let forged = Body::Json(json!({ "auth_req_id": auth_req_id }));
    assert_eq!(post_status(&endpoint, forged, Some("not-the-token")), 401);
    let t = ticket(&format!("{}/ciba/pending", sb.issuer()), "PING1");
    post_status(
        &format!("{}/ciba", sb.issuer()),
        form(&[("ticket", &t), ("decision", "approve")]),
        None,
    );
    let out = run.wait(T).unwrap();
    assert_eq!(out.code(), 0, "{}\n{}", out.stdout, out.stderr);
    let doc = out.json().unwrap();
    let steps = steps(&doc);
    assert!(steps.contains(&"token request".to_string()), "{steps:?}");
    assert!(
        !steps.contains(&"token poll".to_string()),
        "ping mode never polls: {steps:?}"
    );
    // The notification token travels masked in every view.
    assert!(!out.stdout.contains("notify-me-7"));
}

const PROVIDER_CLIENT: (&str, &str) = ("ciba", "ciba-secret");

#[test]
fn provider_poll_approved_and_denied() {
    let p = Provider::start();
    let pending = p.url("/test/ciba/pending");
    let decide = p.url("/test/ciba/decide");

    let (mut run, _cfg) = start_ciba(p.issuer(), PROVIDER_CLIENT, &["--binding-message", "OK-1"]);
    run.wait_for_stderr("auth_req_id: ", T).unwrap();
    let t = ticket(&pending, "OK-1");
    assert_eq!(
        post_status(
            &decide,
            form(&[("ticket", &t), ("decision", "approve")]),
            None
        ),
        200
    );
    let out = run.wait(T).unwrap();
    assert_eq!(out.code(), 0, "{}\n{}", out.stdout, out.stderr);
    let doc = out.json().unwrap();
    assert_eq!(doc["grant"], "ciba");
    assert_eq!(doc["id_token"]["verdict"], "valid", "{doc:#}");
    assert_eq!(doc["id_token"]["claims"]["sub"], "alice", "{doc:#}");
    assert!(steps(&doc).contains(&"token poll".to_string()));

    let (mut run, _cfg) = start_ciba(p.issuer(), PROVIDER_CLIENT, &["--binding-message", "NO-1"]);
    run.wait_for_stderr("auth_req_id: ", T).unwrap();
    let t = ticket(&pending, "NO-1");
    post_status(&decide, form(&[("ticket", &t), ("decision", "deny")]), None);
    let out = run.wait(T).unwrap();
    assert_eq!(out.code(), 1, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(out.json().unwrap()["error"]["code"], "access_denied");
}

/// `slow_down` honoured: a second poller of the same `auth_req_id` (the test, with the
/// client's credentials) makes the client's next poll come too soon for the sandbox, which
/// answers `slow_down`; the client then polls every 1 + 5 s, as it says, and still gets its
/// tokens once the user approves.
#[test]
fn sandbox_slow_down_adds_five_seconds_to_the_interval() {
    let sb = Sandbox::start();
    let cfg = tempfile::tempdir().unwrap();
    let mut run = Grantscope::new([
        "token",
        "ciba",
        "--issuer",
        sb.issuer(),
        "--client-id",
        SANDBOX_CLIENT.0,
        "--client-secret",
        SANDBOX_CLIENT.1,
        "--login-hint",
        "alice",
        "--binding-message",
        "SLOW1",
    ])
    .config_dir(cfg.path())
    .spawn()
    .unwrap();
    let auth_req_id = run.wait_for_stderr("auth_req_id: ", T).unwrap();
    let first = run.wait_for_stderr("polling (attempt ", T).unwrap();
    assert!(first.contains("every 1 s"), "{first}");
    // Polled again and again by the test until the sandbox says slow_down: its interval is
    // then 6 s, and the client's next poll (1 s apart) comes too soon.
    let mut slowed = false;
    for _ in 0..5 {
        let (_, answer) = crate::common::post_form(
            &format!("{}/token", sb.issuer()),
            Some(SANDBOX_CLIENT),
            &[
                ("grant_type", "urn:openid:params:grant-type:ciba"),
                ("auth_req_id", &auth_req_id),
            ],
        )
        .unwrap();
        if answer["error"] == "slow_down" {
            slowed = true;
            break;
        }
        assert_eq!(answer["error"], "authorization_pending", "{answer:#}");
    }
    assert!(slowed, "the sandbox never said slow_down");
    let mut honoured = false;
    for _ in 0..10 {
        let line = run.wait_for_stderr("polling (attempt ", T).unwrap();
        if line.contains("every 6 s") {
            honoured = true;
            break;
        }
        assert!(line.contains("every 1 s"), "{line}");
    }
    assert!(honoured, "the client never slowed down to 6 s");
    let t = ticket(&format!("{}/ciba/pending", sb.issuer()), "SLOW1");
    post_status(
        &format!("{}/ciba", sb.issuer()),
        form(&[("ticket", &t), ("decision", "approve")]),
        None,
    );
    let out = run.wait(T).unwrap();
    assert_eq!(out.code(), 0, "{}\n{}", out.stdout, out.stderr);
}

/// Expired at oidc-provider: a request asking for a 3-second life (`requested_expiry`) that
/// nobody decides ends as expired, with the phone's request left undecided.
#[test]
fn provider_request_expires_without_a_decision() {
    let p = Provider::start();
    let (mut run, _cfg) = start_ciba(
        p.issuer(),
        PROVIDER_CLIENT,
        &["--binding-message", "LATE-P", "--requested-expiry", "3"],
    );
    let waiting = run.wait_for_stderr("waiting: ", T).unwrap();
    assert!(waiting.contains("expires in 3 s"), "{waiting}");
    // The provider's phone shows it, undecided.
    ticket(&p.url("/test/ciba/pending"), "LATE-P");
    let out = run.wait(T).unwrap();
    assert_eq!(out.code(), 1, "{}\n{}", out.stdout, out.stderr);
    let doc = out.json().unwrap();
    assert_eq!(doc["error"]["kind"], "expired", "{doc:#}");
}

/// oidc-provider with its ping client `ciba-ping`, whose notification endpoint is
/// https://127.0.0.1:PORT/ciba-ping on a free port, and grantscope's stored key `ping-tls`
/// (made by the binary, its certificate naming 127.0.0.1) in `cfg`: the provider trusts
/// exactly that certificate for its pings.
struct PingSetup {
    provider: Provider,
    cfg: tempfile::TempDir,
    endpoint: String,
    cert_pem: String,
}

fn ping_setup() -> PingSetup {
    let cfg = tempfile::tempdir().unwrap();
    let made = Grantscope::new([
        "key",
        "generate",
        "ping-tls",
        "--type",
        "ec-p256",
        "--cert",
        "--san",
        "127.0.0.1",
    ])
    .config_dir(cfg.path())
    .run(T)
    .unwrap();
    assert_eq!(made.code(), 0, "{}", made.stderr);
    let shown = Grantscope::new(["key", "show", "ping-tls", "--cert"])
        .config_dir(cfg.path())
        .run(T)
        .unwrap();
    assert_eq!(shown.code(), 0, "{}", shown.stderr);
    let cert_pem = shown.stdout.clone();
    assert!(cert_pem.contains("BEGIN CERTIFICATE"), "{cert_pem}");
    let ca_file = cfg.path().join("ping-tls.pem");
    std::fs::write(&ca_file, &cert_pem).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let endpoint = format!("https://127.0.0.1:{port}/ciba-ping");
    let provider = Provider::start_with(&[
        ("CIBA_PING_ENDPOINT", &endpoint),
        ("CIBA_PING_CA_FILE", ca_file.to_str().unwrap()),
        ("DEBUG_PROVIDER", "1"),
    ]);
    PingSetup {
        provider,
        cfg,
        endpoint,
        cert_pem,
    }
}

const PING_CLIENT: (&str, &str) = ("ciba-ping", "ciba-ping-secret");

impl PingSetup {
    fn start(&self, binding_message: &str) -> Running {
        start_ciba_in(
            self.cfg.path(),
            self.provider.issuer(),
            PING_CLIENT,
            &[
                "--binding-message",
                binding_message,
                "--mode",
                "ping",
                "--notification-endpoint",
                &self.endpoint,
                "--client-notification-token",
                "ping-bearer-9",
                "--notification-cert",
                "ping-tls",
            ],
        )
    }

    /// Decides on the phone; the provider pings before it answers (500 if the ping failed).
    fn decide(&self, binding_message: &str, decision: &str) {
        let t = ticket(&self.provider.url("/test/ciba/pending"), binding_message);
        let status = post_status(
            &self.provider.url("/test/ciba/decide"),
            form(&[("ticket", &t), ("decision", decision)]),
            None,
        );
        assert_eq!(status, 200, "{}", self.provider.stderr());
    }

    /// POSTs a ping to grantscope's https endpoint as the test, trusting exactly its
    /// certificate (self-signed): the status.
    fn ping(&self, bearer: &str, auth_req_id: &str) -> u16 {
        let (url, pem) = (self.endpoint.clone(), self.cert_pem.clone());
        let (bearer, body) = (
            bearer.to_string(),
            json!({ "auth_req_id": auth_req_id }).to_string(),
        );
        block_on(async move {
            let certs = reqwest::Certificate::from_pem_bundle(pem.as_bytes()).unwrap();
            let client = reqwest::Client::builder()
                .no_proxy()
                .tls_certs_only(certs)
                .build()
                .unwrap();
            let r = client
                .post(&url)
                .bearer_auth(bearer)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .unwrap();
            r.status().as_u16()
        })
    }
}

#[test]
fn provider_ping_over_https_approved_after_a_forged_ping_is_refused() {
    let setup = ping_setup();
    let mut run = setup.start("PING-OK");
    let auth_req_id = run.wait_for_stderr("auth_req_id: ", T).unwrap();
    let waiting = run.wait_for_stderr("waiting: ", T).unwrap();
    assert!(waiting.contains(&setup.endpoint), "{waiting}");
    assert!(waiting.contains("TLS with the certificate of"), "{waiting}");
    // A ping with the wrong bearer (the test's, not the provider's) is refused over the same
    // TLS endpoint, and so is one for another request; the wait goes on.
    assert_eq!(setup.ping("not-the-token", &auth_req_id), 401);
    assert_eq!(setup.ping("ping-bearer-9", "another-request"), 400);
    setup.decide("PING-OK", "approve");
    let out = run.wait(T).unwrap();
    assert_eq!(
        out.code(),
        0,
        "{}\n{}\n{}",
        out.stdout,
        out.stderr,
        setup.provider.stderr()
    );
    let doc = out.json().unwrap();
    assert_eq!(doc["grant"], "ciba");
    assert_eq!(doc["id_token"]["verdict"], "valid", "{doc:#}");
    assert_eq!(doc["id_token"]["claims"]["sub"], "alice", "{doc:#}");
    let steps = steps(&doc);
    assert!(steps.contains(&"token request".to_string()), "{steps:?}");
    assert!(
        !steps.contains(&"token poll".to_string()),
        "ping mode never polls: {steps:?}"
    );
    assert!(!out.stdout.contains("ping-bearer-9"));
}

#[test]
fn provider_ping_over_https_denied_is_access_denied() {
    let setup = ping_setup();
    let mut run = setup.start("PING-NO");
    run.wait_for_stderr("waiting: ", T).unwrap();
    setup.decide("PING-NO", "deny");
    let out = run.wait(T).unwrap();
    assert_eq!(out.code(), 1, "{}\n{}", out.stdout, out.stderr);
    let doc = out.json().unwrap();
    assert_eq!(doc["error"]["code"], "access_denied", "{doc:#}");
    // Told by the ping, not by polling: one token request answered access_denied.
    let steps = steps(&doc);
    assert!(steps.contains(&"token request".to_string()), "{steps:?}");
    assert!(!steps.contains(&"token poll".to_string()), "{steps:?}");
}

#[test]
fn provider_ping_to_an_https_endpoint_without_a_certificate_is_refused_before_asking() {
    let setup = ping_setup();
    let made = Grantscope::new(["key", "generate", "no-cert", "--type", "ec-p256"])
        .config_dir(setup.cfg.path())
        .run(T)
        .unwrap();
    assert_eq!(made.code(), 0, "{}", made.stderr);
    let out = start_ciba_in(
        setup.cfg.path(),
        setup.provider.issuer(),
        PING_CLIENT,
        &[
            "--binding-message",
            "PING-NC",
            "--mode",
            "ping",
            "--notification-endpoint",
            &setup.endpoint,
            "--client-notification-token",
            "ping-bearer-9",
            "--notification-cert",
            "no-cert",
        ],
    )
    .wait(T)
    .unwrap();
    assert_eq!(out.code(), 2, "{}\n{}", out.stdout, out.stderr);
    let doc = out.json().unwrap();
    let message = doc["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("has no certificate"), "{doc:#}");
    // Refused before the backchannel request: nothing waits on the phone.
    let (_, pending) =
        crate::common::get_json(&setup.provider.url("/test/ciba/pending"), None).unwrap();
    assert_eq!(pending["pending"], json!([]), "{pending:#}");
}
