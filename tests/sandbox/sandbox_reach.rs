//! Issue 21 against the sandbox, through the real binary: starting from an API (RFC 9728
//! `discover --resource`), dynamic client registration and its management (RFC 7591 / 7592),
//! and the whole chain with no profile: discover, register, token with `--resource`, call.

use std::time::Duration;

use serde_json::Value;

use crate::common::cli::Grantscope;
use crate::common::sandbox::Sandbox;

const T: Duration = Duration::from_secs(60);

fn run(args: &[&str]) -> crate::common::cli::Output {
    Grantscope::new(args).run(T).unwrap()
}

/// The resource's challenge names its metadata; the metadata is for this resource; the
/// sandbox is discovered as its authorization server.
#[test]
fn discover_resource_follows_the_challenge_to_the_authorization_server() {
    let sandbox = Sandbox::start();
    let api = format!("{}/api/resource", sandbox.issuer());
    let out = run(&["discover", "--resource", &api, "--json"]);
    assert_eq!(out.code(), 0, "{}\n{}", out.stdout, out.stderr);
    let doc = out.json().unwrap();
    assert_eq!(doc["resource"], api.as_str());
    assert_eq!(doc["status"], 401);
    assert_eq!(doc["challenge"]["scheme"], "Bearer");
    let wanted = format!(
        "{}/.well-known/oauth-protected-resource/api/resource",
        sandbox.issuer()
    );
    assert_eq!(
        doc["challenge"]["params"]["resource_metadata"],
        wanted.as_str()
    );
    assert!(
        doc["challenge"]["raw"]
            .as_str()
            .unwrap()
            .contains("resource_metadata=")
    );
    assert_eq!(doc["metadata_source"], "challenge");
    assert_eq!(doc["metadata_url"], wanted.as_str());
    assert_eq!(doc["metadata"]["resource"], api.as_str());
    let servers = doc["authorization_servers"].as_array().unwrap();
    assert_eq!(servers.len(), 1, "{doc:#}");
    assert_eq!(servers[0]["issuer"], sandbox.issuer());
    assert_eq!(servers[0]["metadata"]["issuer"], sandbox.issuer());
    assert!(servers[0]["metadata"]["token_endpoint"].is_string());

    // Human form: the lines a person reads.
    let out = run(&["discover", "--resource", &api]);
    assert_eq!(out.code(), 0, "{}", out.stderr);
    assert!(
        out.stdout.contains("resource matches: yes"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains(&format!("authorization server: {}", sandbox.issuer())),
        "{}",
        out.stdout
    );
    // The server's endpoints in one column, the longest names included
    // (`pushed_authorization_request_endpoint` overran a fixed width).
    let columns: Vec<usize> = out
        .stdout
        .lines()
        .filter(|l| l.starts_with("  ") && l.contains(" http://"))
        .map(|l| l.find(" http://").unwrap())
        .collect();
    assert!(columns.len() >= 5, "{}", out.stdout);
    assert!(
        columns.iter().all(|c| *c == columns[0]),
        "{columns:?}\n{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("pushed_authorization_request_endpoint http://")
    );
}

/// Metadata for another resource is refused (RFC 9728 §3.3): the sandbox's root well-known
/// document is the API's, not the start page's.
#[test]
fn discover_resource_refuses_metadata_of_another_resource() {
    let sandbox = Sandbox::start();
    let root = format!("{}/", sandbox.issuer());
    let out = run(&["discover", "--resource", &root, "--json"]);
    assert_eq!(out.code(), 1, "{}\n{}", out.stdout, out.stderr);
    let doc = out.json().unwrap();
    assert_eq!(doc["ok"], false);
    let message = doc["error"]["message"].as_str().unwrap();
    assert!(message.contains("resource mismatch"), "{message}");
    assert!(message.contains("RFC 9728"), "{message}");
    // The well-known URL was asked for (no challenge on the start page).
    let urls: Vec<&str> = doc["exchanges"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["request"]["url"].as_str())
        .collect();
    assert!(
        urls.iter()
            .any(|u| u.ends_with("/.well-known/oauth-protected-resource")),
        "{urls:?}"
    );
    let out = run(&["discover", "--resource", &root]);
    assert_eq!(out.code(), 1);
    assert!(out.stderr.contains("resource mismatch"), "{}", out.stderr);
}

/// Without a challenge the path-inserted well-known URL is read.
#[test]
fn discover_resource_reads_the_path_inserted_well_known_url() {
    let sandbox = Sandbox::start();
    let metadata: Value = crate::common::get_json(
        &format!(
            "{}/.well-known/oauth-protected-resource/api/resource",
            sandbox.issuer()
        ),
        None,
    )
    .unwrap()
    .1;
    assert_eq!(
        metadata["resource"],
        format!("{}/api/resource", sandbox.issuer()).as_str()
    );
}

/// A wrong path is said first as what the URL answered (404, no Bearer challenge), before the
/// metadata that is missing because of it; an API that asks for a Bearer token without naming
/// its metadata (the sandbox's userinfo) is said to, not blamed on the metadata.
#[test]
fn discover_resource_says_first_what_the_api_answered() {
    let sandbox = Sandbox::start();
    let typo = format!("{}/api/resourc", sandbox.issuer());
    let out = run(&["discover", "--resource", &typo]);
    assert_eq!(out.code(), 1, "{}\n{}", out.stdout, out.stderr);
    let first =
        "the URL answered 404 Not Found, not 401 with a Bearer challenge: is the path right?";
    assert!(
        out.stderr.starts_with(&format!("error: {first} Then: ")),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("no protected resource metadata at"),
        "{}",
        out.stderr
    );
    let out = run(&["discover", "--resource", &typo, "--json"]);
    let doc = out.json().unwrap();
    assert!(
        doc["error"]["message"].as_str().unwrap().starts_with(first),
        "{doc:#}"
    );

    let userinfo = format!("{}/userinfo", sandbox.issuer());
    let out = run(&["discover", "--resource", &userinfo]);
    assert_eq!(out.code(), 1, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains(
            "the API asks for a Bearer token (401) but does not point to RFC 9728 metadata"
        ),
        "{}",
        out.stderr
    );
}

const MASK: &str = grantscope_core::http::MASK;

fn run_in(dir: &std::path::Path, args: &[&str]) -> crate::common::cli::Output {
    Grantscope::new(args).config_dir(dir).run(T).unwrap()
}

/// Runs the authorization code flow of `args` (with `--no-browser --json`), logging in at the
/// sandbox as the test user; returns the token document.
fn code_flow(sandbox: &Sandbox, dir: Option<&std::path::Path>, args: &[&str]) -> Value {
    use crate::common::TestProvider as _;
    let mut g = Grantscope::new(args);
    if let Some(dir) = dir {
        g = g.config_dir(dir);
    }
    let mut run = g.spawn().unwrap();
    let url = run.wait_for_stderr("authorize: ", T).unwrap();
    let redirect = sandbox
        .complete_login(&url, crate::common::TEST_USER)
        .unwrap();
    let (status, page) = crate::common::deliver_redirect(&redirect).unwrap();
    assert_eq!(status, 200, "{page}");
    let out = run.wait(T).unwrap();
    assert_eq!(out.code(), 0, "{}\n{}", out.stdout, out.stderr);
    out.json().unwrap()
}

/// The whole "start from an API" chain with no profile: discover the API's authorization
/// server, register a native client there, log in with the resource indicator, call the API.
#[test]
fn start_from_an_api_discover_register_token_call() {
    let sandbox = Sandbox::start();
    let api = format!("{}/api/resource", sandbox.issuer());
    let found = run(&["discover", "--resource", &api, "--json"])
        .json()
        .unwrap();
    let issuer = found["authorization_servers"][0]["issuer"]
        .as_str()
        .unwrap()
        .to_string();
    let scopes = found["metadata"]["scopes_supported"].as_array().unwrap();
    assert!(scopes.iter().any(|s| s == "api:read"), "{found:#}");

    let out = run(&[
        "register",
        "--issuer",
        &issuer,
        "--redirect-uri",
        "http://127.0.0.1/callback",
        "--auth-method",
        "none",
        "--client-name",
        "chain test",
        "--scope",
        "openid api:read",
        "--json",
    ]);
    assert_eq!(out.code(), 0, "{}\n{}", out.stdout, out.stderr);
    let reg = out.json().unwrap();
    assert_eq!(reg["request"]["application_type"], "native", "{reg:#}");
    let client = &reg["client"];
    assert_eq!(client["application_type"], "native");
    assert_eq!(client["token_endpoint_auth_method"], "none");
    assert!(client.get("client_secret").is_none(), "{client:#}");
    assert_eq!(client["registration_access_token"], MASK);
    let client_id = client["client_id"].as_str().unwrap().to_string();

    let doc = code_flow(
        &sandbox,
        None,
        &[
            "token",
            "authorization-code",
            "--issuer",
            &issuer,
            "--client-id",
            &client_id,
            "--resource",
            &api,
            "--scope",
            "openid api:read",
            "--no-browser",
            "--json",
        ],
    );
    let token = crate::common::access_token_of(&doc);
    let aud = &doc["access_token"]["claims"]["aud"];
    assert!(
        aud == api.as_str()
            || aud
                .as_array()
                .is_some_and(|a| a.iter().any(|x| x == api.as_str())),
        "{aud}"
    );
    assert_eq!(
        doc["access_token"]["claims"]["client_id"],
        client_id.as_str()
    );

    let out = run(&["call", &api, "--token", &token, "--json"]);
    assert_eq!(out.code(), 0, "{}\n{}", out.stdout, out.stderr);
    let call = out.json().unwrap();
    assert_eq!(call["status"], 200, "{call:#}");
    assert_eq!(
        call["response"]["client_id"],
        client_id.as_str(),
        "{call:#}"
    );
}

/// `register --save` makes a profile that runs a code flow; `register show`, `update` (the
/// whole record PUT back, the rotated registration access token stored) and `delete`.
#[test]
fn register_save_then_log_in_show_update_delete() {
    let sandbox = Sandbox::start();
    let dir = tempfile::tempdir().unwrap();
    let out = run_in(
        dir.path(),
        &[
            "register",
            "--issuer",
            sandbox.issuer(),
            "--redirect-uri",
            "http://127.0.0.1/callback",
            "--client-name",
            "first name",
            "--scope",
            "openid profile offline_access",
            "--save",
            "dyn",
        ],
    );
    assert_eq!(out.code(), 0, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("registered client:"), "{}", out.stdout);
    // A confidential client (client_secret_basic by default): its secrets never printed.
    let shown = run_in(dir.path(), &["profile", "show", "dyn", "--json"])
        .json()
        .unwrap();
    assert_eq!(shown["client_secret"], MASK, "{shown:#}");
    assert_eq!(shown["registration_access_token"], MASK, "{shown:#}");
    assert_eq!(shown["auth_method"], "client_secret_basic");
    let revealed = run_in(
        dir.path(),
        &["profile", "show", "dyn", "--json", "--reveal-secrets"],
    )
    .json()
    .unwrap();
    let secret = revealed["client_secret"].as_str().unwrap().to_string();
    let first_token = revealed["registration_access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let client_uri = revealed["registration_client_uri"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(!out.stdout.contains(&secret) && !out.stderr.contains(&secret));
    assert!(!out.stdout.contains(&first_token) && !out.stderr.contains(&first_token));

    let doc = code_flow(
        &sandbox,
        Some(dir.path()),
        &[
            "token",
            "authorization-code",
            "--profile",
            "dyn",
            "--no-browser",
            "--json",
        ],
    );
    assert_eq!(doc["id_token"]["valid"], true, "{:#}", doc["id_token"]);
    assert!(doc["response"]["refresh_token"].is_string(), "{doc:#}");

    let out = run_in(
        dir.path(),
        &["register", "show", "--profile", "dyn", "--json"],
    );
    assert_eq!(out.code(), 0, "{}\n{}", out.stdout, out.stderr);
    let doc = out.json().unwrap();
    assert_eq!(doc["client"]["client_name"], "first name");
    assert_eq!(doc["client"]["client_secret"], MASK);

    let out = run_in(
        dir.path(),
        &[
            "register",
            "update",
            "--profile",
            "dyn",
            "--client-name",
            "second name",
            "--json",
        ],
    );
    assert_eq!(out.code(), 0, "{}\n{}", out.stdout, out.stderr);
    let doc = out.json().unwrap();
    assert_eq!(doc["client"]["client_name"], "second name");
    // The whole record went back (RFC 7592 §2.2): its redirect URIs and scope too.
    let put = crate::common::last_exchange(&doc, "update the registration");
    let body: Value = serde_json::from_str(put["request"]["body"].as_str().unwrap()).unwrap();
    assert_eq!(
        body["redirect_uris"][0], "http://127.0.0.1/callback",
        "{body:#}"
    );
    assert_eq!(body["scope"], "openid profile offline_access");
    assert!(body.get("registration_access_token").is_none());
    let revealed = run_in(
        dir.path(),
        &["profile", "show", "dyn", "--json", "--reveal-secrets"],
    )
    .json()
    .unwrap();
    let second_token = revealed["registration_access_token"]
        .as_str()
        .unwrap()
        .to_string();
    assert_ne!(second_token, first_token, "the sandbox rotates the token");
    assert_eq!(revealed["client_secret"], secret.as_str());
    // The old token no longer manages the registration; the new one does.
    let (status, _) = crate::common::get_json(&client_uri, Some(&first_token)).unwrap();
    assert_eq!(status, 401);
    let (status, now) = crate::common::get_json(&client_uri, Some(&second_token)).unwrap();
    assert_eq!(status, 200);
    assert_eq!(now["client_name"], "second name");

    let out = run_in(dir.path(), &["register", "delete", "--profile", "dyn"]);
    assert_eq!(out.code(), 0, "{}\n{}", out.stdout, out.stderr);
    let (status, _) = crate::common::get_json(&client_uri, Some(&second_token)).unwrap();
    assert_eq!(status, 401);
    let out = run_in(dir.path(), &["register", "show", "--profile", "dyn"]);
    assert_eq!(out.code(), 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("holds no registration"),
        "{}",
        out.stderr
    );
    // The client is gone at the server: its credentials are refused.
    let out = run_in(
        dir.path(),
        &["token", "client-credentials", "--profile", "dyn", "--json"],
    );
    assert_eq!(out.code(), 1, "{}\n{}", out.stdout, out.stderr);
}

/// The sandbox refuses unsafe redirect URIs at registration, unless the teaching switch is
/// on; and with the initial-access-token switch it registers only with that token.
#[test]
fn registration_refusals_and_their_switches() {
    let sandbox = Sandbox::start();
    let evil = [
        "register",
        "--issuer",
        sandbox.issuer(),
        "--redirect-uri",
        "http://evil.example/cb",
        "--json",
    ];
    let mut args = evil.to_vec();
    args[2] = sandbox.issuer();
    let out = run(&args);
    assert_eq!(out.code(), 1, "{}\n{}", out.stdout, out.stderr);
    let doc = out.json().unwrap();
    assert_eq!(doc["error"]["code"], "invalid_redirect_uri", "{doc:#}");

    let unsafe_sandbox = Sandbox::start_with(grantscope_sandbox::SandboxConfig {
        unsafe_switches: grantscope_sandbox::UnsafeSwitches {
            registration_any_redirect_uri: true,
            ..Default::default()
        },
        ..Default::default()
    });
    let mut args = evil.to_vec();
    args[2] = unsafe_sandbox.issuer();
    let out = run(&args);
    assert_eq!(out.code(), 0, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(
        out.json().unwrap()["client"]["redirect_uris"][0],
        "http://evil.example/cb"
    );

    let closed = Sandbox::start_with(grantscope_sandbox::SandboxConfig {
        teaching_switches: grantscope_sandbox::TeachingSwitches {
            require_initial_access_token: true,
            ..Default::default()
        },
        ..Default::default()
    });
    let base = [
        "register",
        "--issuer",
        closed.issuer(),
        "--grant-type",
        "client_credentials",
        "--json",
    ];
    let out = run(&base);
    assert_eq!(out.code(), 1, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(out.json().unwrap()["error"]["code"], "invalid_token");
    let mut args = base.to_vec();
    args.extend([
        "--initial-access-token",
        grantscope_sandbox::INITIAL_ACCESS_TOKEN,
    ]);
    let out = run(&args);
    assert_eq!(out.code(), 0, "{}\n{}", out.stdout, out.stderr);
    let doc = out.json().unwrap();
    assert_eq!(doc["client"]["response_types"], serde_json::json!([]));
    assert_eq!(doc["request"]["response_types"], serde_json::json!([]));
    // The initial access token is masked in the recorded request.
    let sent = crate::common::last_exchange(&doc, "client registration");
    let shown = sent["request"].to_string();
    assert!(shown.contains("Bearer"), "{shown}");
    assert!(
        !shown.contains(grantscope_sandbox::INITIAL_ACCESS_TOKEN),
        "{shown}"
    );
}

/// The provider's answer to a browser's GET, not followed: (status, Location).
fn visit(url: &str) -> (u16, Option<String>) {
    crate::common::block_on(async {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .build()
            .unwrap();
        let resp = client.get(url).send().await.unwrap();
        let location = resp
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(String::from);
        (resp.status().as_u16(), location)
    })
}

/// What a logout round leaves: the listener's run, the token documents of the session that
/// logged out and of another login of the same client, and the profile's config dir.
struct LogoutRound {
    heard: crate::common::cli::Output,
    ended: Value,
    other: Value,
    dir: tempfile::TempDir,
}

/// One logout round at `sandbox`: a registered client logs in twice (two login sessions), a
/// back-channel listener is registered for it (`register update`), RP-initiated logout with
/// the first session's ID token runs through the browser and comes back with its state.
fn logout_round(sandbox: &Sandbox) -> LogoutRound {
    let dir = tempfile::tempdir().unwrap();
    let out = run_in(
        dir.path(),
        &[
            "register",
            "--issuer",
            sandbox.issuer(),
            "--redirect-uri",
            "http://127.0.0.1/callback",
            "--post-logout-redirect-uri",
            "http://127.0.0.1/logged-out",
            "--auth-method",
            "none",
            "--scope",
            "openid offline_access",
            "--save",
            "dyn",
            "--json",
        ],
    );
    assert_eq!(out.code(), 0, "{}\n{}", out.stdout, out.stderr);
    let client_id = out.json().unwrap()["client"]["client_id"]
        .as_str()
        .unwrap()
        .to_string();
    let mut listener = Grantscope::new([
        "logout",
        "listen",
        "--issuer",
        sandbox.issuer(),
        "--client-id",
        &client_id,
        "--count",
        "1",
        "--json",
    ])
    .spawn()
    .unwrap();
    let endpoint = listener.wait_for_stderr("listening: ", T).unwrap();
    let out = run_in(
        dir.path(),
        &[
            "register",
            "update",
            "--profile",
            "dyn",
            "--backchannel-logout-uri",
            endpoint.trim(),
        ],
    );
    assert_eq!(out.code(), 0, "{}\n{}", out.stdout, out.stderr);

    let login = || {
        code_flow(
            sandbox,
            Some(dir.path()),
            &[
                "token",
                "authorization-code",
                "--profile",
                "dyn",
                "--no-browser",
                "--json",
            ],
        )
    };
    let doc = login();
    let other = login();
    let id_token = doc["response"]["id_token"].as_str().unwrap().to_string();
    let mut logout = Grantscope::new([
        "logout",
        "--profile",
        "dyn",
        "--id-token-hint",
        &id_token,
        "--post-logout-redirect-uri",
        "http://127.0.0.1/logged-out",
        "--no-browser",
    ])
    .config_dir(dir.path())
    .spawn()
    .unwrap();
    let url = logout.wait_for_stderr("logout: ", T).unwrap();
    let (status, location) = visit(url.trim());
    assert_eq!(status, 303, "{url}");
    let location = location.unwrap();
    assert!(location.contains("state="), "{location}");
    let (status, page) = crate::common::deliver_redirect(&location).unwrap();
    assert_eq!(status, 200, "{page}");
    let out = logout.wait(T).unwrap();
    assert_eq!(out.code(), 0, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("logged out"), "{}", out.stdout);
    LogoutRound {
        heard: listener.wait(T).unwrap(),
        ended: doc,
        other,
        dir,
    }
}

/// `token refresh-token` with the profile of a logout round.
fn refresh(dir: &std::path::Path, refresh_token: &str) -> crate::common::cli::Output {
    run_in(
        dir,
        &[
            "token",
            "refresh-token",
            "--profile",
            "dyn",
            "--refresh-token",
            refresh_token,
            "--json",
        ],
    )
}

/// RP-initiated logout at the sandbox: the browser comes back with the state sent, the
/// ID token's login session ends (its refresh token is refused) and only it (another login's
/// refresh token still works, and its refreshed ID token keeps its own `sid`), and the
/// registered back-channel endpoint receives a logout token that verifies against the
/// sandbox's JWKS, naming that session (`sid`) and user, with the event and no nonce.
#[test]
fn logout_ends_the_session_and_the_back_channel_token_verifies() {
    let sandbox = Sandbox::start();
    let LogoutRound {
        heard,
        ended,
        other,
        dir,
    } = logout_round(&sandbox);
    assert_eq!(heard.code(), 0, "{}\n{}", heard.stdout, heard.stderr);
    let line: Value = serde_json::from_str(heard.stdout.trim()).unwrap();
    assert_eq!(line["valid"], true, "{line:#}");
    assert_eq!(line["inspection"]["signature"]["status"], "verified");
    assert_eq!(line["inspection"]["header"]["typ"], "logout+jwt");
    let sid = ended["id_token"]["claims"]["sid"].as_str().unwrap();
    let other_sid = other["id_token"]["claims"]["sid"].as_str().unwrap();
    assert!(sid.len() >= 16, "{sid}");
    assert_ne!(sid, other_sid, "each login is its own session");
    assert_eq!(line["sid"], sid, "{line:#}");
    assert_eq!(line["sub"], ended["id_token"]["claims"]["sub"]);
    let claims = &line["inspection"]["claims"];
    assert!(
        claims["events"][grantscope_core::token::claims::BACKCHANNEL_LOGOUT_EVENT].is_object(),
        "{claims:#}"
    );
    assert!(claims.get("nonce").is_none(), "{claims:#}");

    let out = refresh(
        dir.path(),
        ended["response"]["refresh_token"].as_str().unwrap(),
    );
    assert_eq!(out.code(), 1, "the session ended: {}", out.stdout);
    assert!(
        out.stdout.contains("invalid_grant") || out.stderr.contains("invalid_grant"),
        "{}\n{}",
        out.stdout,
        out.stderr
    );
    let out = refresh(
        dir.path(),
        other["response"]["refresh_token"].as_str().unwrap(),
    );
    assert_eq!(
        out.code(),
        0,
        "another session: {}\n{}",
        out.stdout,
        out.stderr
    );
    let refreshed = out.json().unwrap();
    assert_eq!(
        refreshed["id_token"]["claims"]["sid"], other_sid,
        "{refreshed:#}"
    );
}

/// The `unsafe-logout-token-with-nonce` switch: the listener refuses the token it sends.
#[test]
fn a_logout_token_with_a_nonce_is_refused_by_the_listener() {
    let sandbox = Sandbox::start_with(grantscope_sandbox::SandboxConfig {
        unsafe_switches: grantscope_sandbox::UnsafeSwitches {
            logout_token_nonce: true,
            ..Default::default()
        },
        ..Default::default()
    });
    let heard = logout_round(&sandbox).heard;
    assert_eq!(heard.code(), 1, "{}\n{}", heard.stdout, heard.stderr);
    let line: Value = serde_json::from_str(heard.stdout.trim()).unwrap();
    assert_eq!(line["valid"], false);
    assert!(
        line["reason"].as_str().unwrap().contains("logout.nonce"),
        "{line:#}"
    );
}

/// A registered client that asks for encrypted ID tokens (OIDC Registration §2) gets them
/// encrypted to the key it registered, and only that key opens them; a registration asking for
/// it without a key for it is refused.
#[test]
fn a_registered_client_gets_its_id_tokens_encrypted_to_its_key() {
    let sandbox = Sandbox::start();
    let dir = tempfile::tempdir().unwrap();
    for (name, kind) in [("enc-rsa", "rsa-2048"), ("enc-other", "x25519")] {
        let out = run_in(
            dir.path(),
            &["key", "generate", name, "--type", kind, "--use", "enc"],
        );
        assert_eq!(out.code(), 0, "{}\n{}", out.stdout, out.stderr);
    }
    let out = run_in(
        dir.path(),
        &[
            "register",
            "--issuer",
            sandbox.issuer(),
            "--redirect-uri",
            "http://127.0.0.1/callback",
            "--scope",
            "openid profile",
            "--encryption-key",
            "enc-rsa",
            "--save",
            "enc",
            "--json",
        ],
    );
    assert_eq!(out.code(), 0, "{}\n{}", out.stdout, out.stderr);
    let registered = out.json().unwrap();
    assert!(
        registered
            .to_string()
            .contains("id_token_encrypted_response_alg"),
        "{registered:#}"
    );
    let doc = code_flow(
        &sandbox,
        Some(dir.path()),
        &[
            "token",
            "authorization-code",
            "--profile",
            "enc",
            "--decryption-key",
            "enc-rsa",
            "--no-browser",
            "--json",
        ],
    );
    let id = &doc["id_token"];
    assert_eq!(id["format"], "jwe", "{id:#}");
    assert_eq!(id["jwe"]["decrypted"], true, "{id:#}");
    assert_eq!(id["valid"], true, "{id:#}");
    let wrong = code_flow(
        &sandbox,
        Some(dir.path()),
        &[
            "token",
            "authorization-code",
            "--profile",
            "enc",
            "--decryption-key",
            "enc-other",
            "--no-browser",
            "--json",
        ],
    );
    assert_eq!(wrong["id_token"]["jwe"]["decrypted"], false, "{wrong:#}");

    // Asked for, with no key of that kind: refused before any client exists.
    let (status, body) = crate::common::block_on(async {
        let resp = reqwest::Client::builder()
            .no_proxy()
            .build()
            .unwrap()
            .post(format!("{}/register", sandbox.issuer()))
            .header("content-type", "application/json")
            .body(
                serde_json::json!({
                    "redirect_uris": ["http://127.0.0.1/callback"],
                    "application_type": "native",
                    "id_token_encrypted_response_alg": "RSA-OAEP-256",
                })
                .to_string(),
            )
            .send()
            .await
            .unwrap();
        (resp.status().as_u16(), resp.text().await.unwrap())
    });
    assert_eq!(status, 400, "{body}");
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["error"], "invalid_client_metadata", "{body:#}");
}

/// The seeded sign-in client has the app's default post-logout redirect URI registered (any
/// loopback port): `logout` with it comes back with its state. The desktop app's "Log out…"
/// uses that URI, and the sandbox refused it for its own clients.
#[test]
fn a_seeded_client_logs_out_to_the_default_loopback_uri() {
    let sandbox = Sandbox::start();
    let dir = tempfile::tempdir().unwrap();
    let doc = code_flow(
        &sandbox,
        Some(dir.path()),
        &[
            "token",
            "authorization-code",
            "--issuer",
            sandbox.issuer(),
            "--client-id",
            "sandbox-native",
            "--scope",
            "openid",
            "--no-browser",
            "--json",
        ],
    );
    let id_token = doc["response"]["id_token"].as_str().unwrap().to_string();
    let mut logout = Grantscope::new([
        "logout",
        "--issuer",
        sandbox.issuer(),
        "--client-id",
        "sandbox-native",
        "--id-token-hint",
        &id_token,
        "--post-logout-redirect-uri",
        grantscope_sandbox::SEEDED_POST_LOGOUT_URI,
        "--no-browser",
    ])
    .config_dir(dir.path())
    .spawn()
    .unwrap();
    let url = logout.wait_for_stderr("logout: ", T).unwrap();
    let (status, location) = visit(url.trim());
    assert_eq!(status, 303, "{url}");
    let location = location.unwrap();
    assert!(location.contains("/logged-out?"), "{location}");
    let (status, page) = crate::common::deliver_redirect(&location).unwrap();
    assert_eq!(status, 200, "{page}");
    let out = logout.wait(T).unwrap();
    assert_eq!(out.code(), 0, "{}\n{}", out.stdout, out.stderr);
    // Another path is still refused: only the registered one is followed.
    let other = url
        .trim()
        .replace("logged-out", "elsewhere")
        .replace("logged%2Dout", "elsewhere");
    let (status, _) = visit(&other);
    assert_ne!(status, 303, "{other}");
}
