//! Step mode and explanations, end to end against the sandbox (and oidc-provider for the
//! edit): the flow stops before each request in order, an edited token request gets the
//! server's real answer and is marked edited with the original beside it, a recorded token
//! request replayed with its used code is refused, and `token GRANT --explain` prints each
//! step's explanation before its request.

use crate::common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::cli::Grantscope;
use common::sandbox::Sandbox;
use common::{Provider, TestProvider};
use grantscope_core::http::{Exchange, HttpRequest};
use grantscope_core::oauth::grants::authorization_code::RedirectSource;
use grantscope_core::oauth::step::{Decision, Gate, Pending};
use grantscope_core::oauth::{self, FlowError, FlowEvent, GrantInputs, GrantKind};
use grantscope_core::profile::Profile;

const T: Duration = Duration::from_secs(60);

/// A gate that records each step and answers with `decide`.
fn recording_gate(
    seen: Arc<Mutex<Vec<String>>>,
    decide: impl Fn(&Pending) -> Decision + Send + Sync + 'static,
) -> Gate {
    let decide = Arc::new(decide);
    Arc::new(move |pending: Pending| {
        seen.lock().unwrap().push(pending.step().to_string());
        let d = decide(&pending);
        Box::pin(async move { d })
    })
}

fn native_profile(p: &dyn TestProvider) -> Profile {
    let c = p.native_client();
    let mut profile = Profile::new("step");
    profile.issuer = Some(p.issuer());
    profile.client_id = c.id.clone();
    profile.auth_method = Some(oauth::AuthMethod::None);
    profile.redirect_uri = c.redirect_uri.clone();
    profile.scope = Some("openid".into());
    profile
}

/// Runs authorization code in step mode; the test plays the user in the browser.
fn stepped_code_flow(p: &dyn TestProvider, gate: Gate) -> (Result<(), FlowError>, Vec<Exchange>) {
    let profile = native_profile(p);
    let (url_tx, url_rx) = std::sync::mpsc::channel::<String>();
    let (paste_tx, paste_rx) = tokio::sync::oneshot::channel::<String>();
    let observer: oauth::session::Observer = Arc::new(move |e: FlowEvent| {
        if let FlowEvent::Authorize { url, .. } = e {
            let _ = url_tx.send(url);
        }
    });
    let flow = std::thread::spawn(move || {
        common::block_on(async move {
            let mut conn = grantscope_core::connect::connect(
                &profile,
                &grantscope_core::keys::KeyStore::new("no-stored-keys"),
                GrantKind::AuthorizationCode.endpoints(),
                Some(observer),
            )
            .await
            .unwrap();
            conn.session.set_gate(Some(gate));
            let inputs = GrantInputs {
                redirect: Some(RedirectSource::Paste(paste_rx)),
                ..GrantInputs::default()
            };
            let outcome = oauth::grants::run(GrantKind::AuthorizationCode, &mut conn, inputs).await;
            (
                outcome.result.map(|_| ()),
                conn.session.exchanges().to_vec(),
            )
        })
    });
    let url = url_rx.recv_timeout(T).unwrap();
    let redirect = p.complete_login(&url, common::TEST_USER).unwrap();
    paste_tx.send(redirect).unwrap();
    flow.join().unwrap()
}

#[test]
fn the_flow_stops_before_each_request_in_order() {
    let sb = Sandbox::start();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let (result, exchanges) =
        stepped_code_flow(&sb, recording_gate(seen.clone(), |_| Decision::Send));
    result.unwrap();
    assert_eq!(
        *seen.lock().unwrap(),
        ["authorization request", "token request"],
        "discovery ran before step mode began; then the browser step, then the token request"
    );
    assert!(exchanges.iter().all(|e| !e.is_edited()));
}

#[test]
fn run_to_end_stops_asking() {
    let sb = Sandbox::start();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let (result, _) = stepped_code_flow(&sb, recording_gate(seen.clone(), |_| Decision::RunToEnd));
    result.unwrap();
    assert_eq!(*seen.lock().unwrap(), ["authorization request"]);
}

/// The token request with another `code_verifier`, on both servers: each answers
/// `invalid_grant`, and the exchange is marked edited with the original beside it, masked.
fn edited_verifier_is_refused(p: &dyn TestProvider) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let wrong = "w".repeat(43);
    let edit_to = wrong.clone();
    let gate = recording_gate(seen, move |pending| match pending {
        Pending::Request { step, request } if step == "token request" => {
            let body = request.body.clone().unwrap_or_default();
            let pairs: Vec<(String, String)> = url::form_urlencoded::parse(body.as_bytes())
                .map(|(k, v)| {
                    let v = if k == "code_verifier" {
                        edit_to.clone()
                    } else {
                        v.into_owned()
                    };
                    (k.into_owned(), v)
                })
                .collect();
            let mut edited = HttpRequest::post_form(request.url.clone(), &pairs);
            edited.headers = request.headers.clone();
            Decision::Edited(edited)
        }
        _ => Decision::Send,
    });
    let (result, exchanges) = stepped_code_flow(p, gate);
    let err = result.unwrap_err();
    assert_eq!(
        err.oauth_code(),
        Some("invalid_grant"),
        "{}: {err}",
        p.name()
    );
    let token = exchanges
        .iter()
        .find(|e| e.step == "token request")
        .unwrap();
    assert!(token.is_edited());
    let sent = token.request_view(true).body.unwrap();
    assert!(sent.contains(&format!("code_verifier={wrong}")), "{sent}");
    let original = token.original_request_view(false).unwrap().body.unwrap();
    assert!(original.contains("code_verifier=••••••"), "{original}");
    let json = token.to_json(false);
    assert_eq!(json["edited"], true);
    assert!(json["original_request"]["body"].is_string());
    let revealed = token.original_request_view(true).unwrap().body.unwrap();
    assert!(
        !revealed.contains(&wrong),
        "the original keeps the flow's own verifier"
    );
}

#[test]
fn an_edited_verifier_is_refused_by_the_sandbox() {
    edited_verifier_is_refused(&Sandbox::start());
}

#[test]
fn an_edited_verifier_is_refused_by_oidc_provider() {
    edited_verifier_is_refused(&Provider::start());
}

#[test]
fn replaying_a_used_code_is_refused() {
    let sb = Sandbox::start();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let (result, exchanges) = stepped_code_flow(&sb, recording_gate(seen, |_| Decision::Send));
    result.unwrap();
    let token = exchanges
        .iter()
        .find(|e| e.step == "token request")
        .unwrap();
    let again = token.replay_request().unwrap();
    let replayed = common::block_on(async move {
        let mut s = oauth::Session::new(
            grantscope_core::http::HttpClient::new(&Default::default()).unwrap(),
        );
        let resp = s.send("replay: token request", again).await.unwrap();
        let checked = s.check_response(&resp, "token").map(|_| ());
        (checked, s.exchanges().to_vec())
    });
    let err = replayed.0.unwrap_err();
    assert_eq!(err.oauth_code(), Some("invalid_grant"), "{err}");
    // The replayed exchange masks the same secrets as the original.
    let body = replayed.1[0].request_view(false).body.unwrap();
    assert!(
        body.contains("code=••••••") && body.contains("code_verifier=••••••"),
        "{body}"
    );
}

#[test]
fn explain_prints_each_step_before_its_request() {
    let sb = Sandbox::start();
    let c = sb.machine_client();
    let mut args = vec![
        "token".to_string(),
        "client-credentials".into(),
        "--issuer".into(),
        sb.issuer().to_string(),
        "--explain".into(),
    ];
    args.extend(c.cli_args());
    let out = Grantscope::new(args).run(T).unwrap();
    assert_eq!(out.code(), 0, "{}", out.stderr);
    let err = &out.stderr;
    let pos = |needle: &str| {
        err.find(needle)
            .unwrap_or_else(|| panic!("{needle:?} not in:\n{err}"))
    };
    let discovery_text = pos("── Discovery: read the server's metadata ──");
    let discovery_req = pos("→ discovery");
    let token_text = pos("── Token request: the client proves who it is ──");
    let token_req = pos("→ token request");
    assert!(discovery_text < discovery_req && discovery_req < token_text && token_text < token_req);
    assert!(err.contains("RFC 6749 §4.4"));
}
