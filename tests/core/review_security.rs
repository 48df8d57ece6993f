//! Adversarial review of grantscope's core: each test demonstrates one robustness or
//! secret-handling problem found in review (hostile server answers, hostile tokens, odd
//! flags, loopback abuse) and guards its fix. Servers here are tiny canned HTTP responders on
//! 127.0.0.1; the binary is run as a whole process where the CLI's output is what matters.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use grantscope_core::http::{HttpClient, HttpOptions, HttpRequest};
use grantscope_core::oauth::grants::device::{self, DeviceAuthorization};
use grantscope_core::oauth::keeper::TokenKeeper;
use grantscope_core::oauth::loopback::{self, Expected, LoopbackListener};
use grantscope_core::oauth::{ClientConfig, Endpoints, FlowError, Session, TokenResponse};
use grantscope_core::token::{InspectOptions, Keys, inspect_with_keys};
use serde_json::{Value, json};
use url::Url;

use crate::common::cli::{Grantscope, Output};

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// One canned answer: status, content type, body.
struct Reply {
    status: u16,
    content_type: &'static str,
    body: String,
}

fn reply(status: u16, content_type: &'static str, body: impl Into<String>) -> Reply {
    Reply {
        status,
        content_type,
        body: body.into(),
    }
}

/// A server on 127.0.0.1 that answers the next requests, one each, with `replies` in order,
/// then stops. The raw requests are kept.
struct Canned {
    base: String,
    requests: Arc<Mutex<Vec<String>>>,
}

fn canned(replies: Vec<Reply>) -> Canned {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let requests = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&requests);
    std::thread::spawn(move || {
        for r in replies {
            let Ok((mut sock, _)) = listener.accept() else {
                return;
            };
            let _ = sock.set_read_timeout(Some(Duration::from_secs(10)));
            let raw = read_request(&mut sock);
            seen.lock().unwrap().push(raw);
            let reason = if r.status < 400 { "OK" } else { "Error" };
            let head = format!(
                "HTTP/1.1 {} {reason}\r\ncontent-type: {}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                r.status,
                r.content_type,
                r.body.len()
            );
            let _ = sock.write_all(head.as_bytes());
            let _ = sock.write_all(r.body.as_bytes());
        }
    });
    Canned { base, requests }
}

fn read_request(sock: &mut TcpStream) -> String {
    let mut reader = BufReader::new(sock);
    let mut head = String::new();
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            break;
        }
        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            length = v.trim().parse().unwrap_or(0);
        }
        let end = line == "\r\n";
        head.push_str(&line);
        if end {
            break;
        }
    }
    let mut body = vec![0u8; length];
    let _ = reader.read_exact(&mut body);
    head + &String::from_utf8_lossy(&body)
}

/// Runs `grantscope ARGS` with an isolated config dir; kills it and fails after `limit` (a
/// hang).
fn grantscope(args: &[&str], limit: Duration) -> Output {
    Grantscope::new(args)
        .env("RUST_BACKTRACE", "0")
        .run(limit)
        .unwrap_or_else(|e| panic!("grantscope {args:?}: {e:#}"))
}

fn b64(v: &Value) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).unwrap())
}

/// An unsigned-looking HS256 JWT with the given claims.
fn jwt(claims: Value) -> String {
    format!(
        "{}.{}.{}",
        b64(&json!({"alg": "HS256", "typ": "JWT"})),
        b64(&claims),
        URL_SAFE_NO_PAD.encode(b"not-a-real-signature")
    )
}

fn session() -> Session {
    Session::new(HttpClient::new(&HttpOptions::default()).unwrap())
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

// ---------------------------------------------------------------------------------------------
// Hostile tokens
// ---------------------------------------------------------------------------------------------

/// `exp` = i64::MAX with `iat` = i64::MIN made the lifetime check subtract with overflow
/// (a panic in debug builds, a wrapped nonsense lifetime in release).
#[test]
fn review_hostile_jwt_dates_do_not_panic_inspection() {
    let token = jwt(json!({"sub": "x", "exp": i64::MAX, "iat": i64::MIN}));
    let inspection = std::panic::catch_unwind(|| {
        inspect_with_keys(
            &token,
            &Keys::None,
            &InspectOptions::default(),
            1_800_000_000,
        )
    })
    .expect("inspecting a token with extreme iat/exp panicked");
    let v = serde_json::to_value(&inspection).unwrap();
    assert_eq!(v["format"], "jwt", "{v}");
    assert_eq!(v["valid"], false, "{v}");
}

/// A server that hands out such a token crashes `grantscope token` (exit 101) instead of
/// reporting it.
#[test]
fn review_token_command_survives_hostile_jwt_from_server() {
    let token = jwt(json!({"sub": "x", "exp": i64::MAX, "iat": i64::MIN}));
    let server = canned(vec![reply(
        200,
        "application/json",
        json!({"access_token": token, "token_type": "Bearer"}).to_string(),
    )]);
    let endpoint = format!("{}/token", server.base);
    let run = grantscope(
        &[
            "token",
            "client-credentials",
            "--token-endpoint",
            &endpoint,
            "--client-id",
            "c",
            "--client-secret",
            "s",
            "--json",
        ],
        Duration::from_secs(60),
    );
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    assert_eq!(run.code(), 0, "stderr:\n{}", run.stderr);
    let doc: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(doc["access_token"]["valid"], false, "{doc}");
}

// ---------------------------------------------------------------------------------------------
// Secrets echoed back by a server
// ---------------------------------------------------------------------------------------------

const ECHO_SECRET: &str = "Echo-S3cret-7731";

fn echo_run(extra: &[&str], body: String, content_type: &'static str) -> Output {
    let server = canned(vec![reply(401, content_type, body)]);
    let endpoint = format!("{}/token", server.base);
    let mut args = vec![
        "token",
        "client-credentials",
        "--token-endpoint",
        &endpoint,
        "--client-id",
        "c",
        "--client-secret",
        ECHO_SECRET,
        "--auth-method",
        "client_secret_post",
    ];
    args.extend_from_slice(extra);
    let run = grantscope(&args, Duration::from_secs(60));
    let sent = server.requests.lock().unwrap().join("\n");
    assert!(sent.contains(ECHO_SECRET), "the secret was really sent");
    run
}

/// The exchange record masks the secret, but the error message built from the server's
/// `error_description` printed it in clear: on stderr and in `--json`'s `error`.
#[test]
fn review_echoed_client_secret_is_masked_in_oauth_error_output() {
    let body = json!({
        "error": "invalid_client",
        "error_description": format!("client_secret {ECHO_SECRET} does not match"),
    })
    .to_string();
    let json_run = echo_run(&["--json"], body.clone(), "application/json");
    assert_eq!(json_run.code(), 1, "{}", json_run.stderr);
    let doc: Value = serde_json::from_str(&json_run.stdout).unwrap();
    assert_eq!(doc["error"]["code"], "invalid_client", "{doc}");
    assert!(
        !json_run.stdout.contains(ECHO_SECRET),
        "secret printed on stdout without --reveal-secrets:\n{}",
        json_run.stdout
    );
    assert!(
        !json_run.stderr.contains(ECHO_SECRET),
        "{}",
        json_run.stderr
    );

    let human = echo_run(&["--show-exchanges"], body, "application/json");
    assert_eq!(human.code(), 1, "{}", human.stderr);
    assert!(human.stderr.contains("invalid_client"), "{}", human.stderr);
    assert!(
        !human.stderr.contains(ECHO_SECRET) && !human.stdout.contains(ECHO_SECRET),
        "secret printed without --reveal-secrets:\n{}",
        human.stderr
    );
}

/// The same through the non-OAuth error path: an HTML error page that names the secret.
#[test]
fn review_echoed_client_secret_is_masked_in_html_error_output() {
    let body =
        format!("<html><head><title>Denied: {ECHO_SECRET}</title></head><body>no</body></html>");
    let run = echo_run(&["--json"], body, "text/html");
    assert_eq!(run.code(), 1, "{}", run.stderr);
    assert!(
        !run.stdout.contains(ECHO_SECRET) && !run.stderr.contains(ECHO_SECRET),
        "secret printed without --reveal-secrets:\nstdout:\n{}\nstderr:\n{}",
        run.stdout,
        run.stderr
    );
}

/// A secret with a quote or backslash, echoed in a JSON body, is JSON-escaped there
/// (`a\"b`), a form the exchange masking did not look for.
#[test]
fn review_json_escaped_secret_is_masked_in_recorded_response() {
    let secret = r#"q"uo\te-5512"#;
    let escaped = serde_json::to_string(secret).unwrap();
    let escaped = escaped.trim_matches('"').to_string();
    assert_ne!(escaped, secret);
    let server = canned(vec![reply(
        400,
        "application/json",
        json!({"error": "invalid_client", "error_description": format!("bad secret {secret}")})
            .to_string(),
    )]);
    let url = Url::parse(&format!("{}/token", server.base)).unwrap();
    let req = HttpRequest::post_form(url, &[("client_secret", secret)])
        .secret(grantscope_core::secret::SecretKind::ClientSecret, secret);
    let client = HttpClient::new(&HttpOptions::default()).unwrap();
    let (exchange, _) = rt().block_on(client.send("token request", req)).unwrap();
    let shown = exchange.to_json(false).to_string();
    let body = exchange.response_view(false).unwrap().body;
    assert!(
        !body.contains(&escaped) && !body.contains(secret),
        "recorded response shows the secret: {body}"
    );
    assert!(!shown.contains("uo\\\\te-5512"), "{shown}");
    // And revealing still shows it as received.
    assert!(
        exchange
            .response_view(true)
            .unwrap()
            .body
            .contains(&escaped)
    );
}

// ---------------------------------------------------------------------------------------------
// Device grant: server-chosen timing
// ---------------------------------------------------------------------------------------------

fn device_cfg(token_endpoint: &str) -> ClientConfig {
    ClientConfig {
        endpoints: Endpoints {
            token_endpoint: Some(Url::parse(token_endpoint).unwrap()),
            ..Default::default()
        },
        client_id: "device".into(),
        ..Default::default()
    }
}

/// The poll loop slept the server's `interval` before looking at the deadline, so a server
/// answering `interval: 100000` kept grantscope asleep for a day whatever `--wait` said.
#[test]
fn review_device_poll_is_bounded_by_max_wait() {
    let auth = DeviceAuthorization {
        device_code: "dc".into(),
        user_code: "ABCD-EFGH".into(),
        verification_uri: "http://127.0.0.1/verify".into(),
        verification_uri_complete: None,
        expires_in: 600,
        interval: Some(100_000),
    };
    let cfg = device_cfg("http://127.0.0.1:9/token");
    let result = rt().block_on(async {
        let mut s = session();
        tokio::time::timeout(
            Duration::from_secs(30),
            device::poll(&mut s, &cfg, &auth, Some(Duration::from_secs(1))),
        )
        .await
    });
    let inner = result.expect("device polling ignored max_wait (slept the server's interval)");
    let err = inner.unwrap_err();
    assert!(err.to_string().contains("expired"), "{err}");
}

/// `expires_in` = u64::MAX with no cap overflowed `Instant + Duration` (a panic).
#[test]
fn review_device_poll_huge_expires_in_does_not_panic() {
    // A token endpoint that says access_denied at once.
    let server = canned(vec![reply(
        400,
        "application/json",
        json!({"error": "access_denied"}).to_string(),
    )]);
    let auth = DeviceAuthorization {
        device_code: "dc".into(),
        user_code: "ABCD-EFGH".into(),
        verification_uri: "http://127.0.0.1/verify".into(),
        verification_uri_complete: None,
        expires_in: u64::MAX,
        interval: Some(1),
    };
    let cfg = device_cfg(&format!("{}/token", server.base));
    let joined = std::thread::spawn(move || {
        rt().block_on(async {
            let mut s = session();
            device::poll(&mut s, &cfg, &auth, None).await
        })
    })
    .join();
    let result = joined.expect("device polling panicked on expires_in = u64::MAX");
    assert_eq!(result.unwrap_err().oauth_code(), Some("access_denied"));
}

// ---------------------------------------------------------------------------------------------
// Flags
// ---------------------------------------------------------------------------------------------

/// `--timeout 1e30` is a usage error (exit 2), not a panic (exit 101).
#[test]
fn review_huge_duration_flags_are_usage_errors() {
    for args in [
        vec![
            "token",
            "client-credentials",
            "--token-endpoint",
            "http://127.0.0.1:9/token",
            "--client-id",
            "c",
            "--client-secret",
            "s",
            "--timeout",
            "1e30",
        ],
        vec!["inspect", "abc.def.ghi", "--timeout", "1e30"],
        vec![
            "watch",
            "tok",
            "--introspection-endpoint",
            "http://127.0.0.1:9/introspect",
            "--client-id",
            "c",
            "--interval",
            "1e30",
        ],
    ] {
        let run = grantscope(&args, Duration::from_secs(60));
        assert!(
            !run.stderr.contains("panicked"),
            "{args:?} panicked:\n{}",
            run.stderr
        );
        assert_eq!(run.code(), 2, "{args:?}: {}", run.stderr);
    }
}

// ---------------------------------------------------------------------------------------------
// Token lifetime arithmetic
// ---------------------------------------------------------------------------------------------

/// `expires_in: 1e300` from a server overflowed `obtained_at + lifetime` in the keeper.
#[test]
fn review_keeper_huge_expires_in_does_not_panic() {
    let keeper = TokenKeeper::new(
        TokenResponse {
            access_token: "a".into(),
            expires_in: Some(1e300),
            refresh_token: Some("r".into()),
            ..Default::default()
        },
        1_800_000_000,
        0.2,
    );
    let due = std::panic::catch_unwind(|| keeper.refresh_due_at())
        .expect("refresh_due_at panicked on expires_in = 1e300");
    assert!(due.is_some_and(|d| d > 1_800_000_000), "{due:?}");
    let wait = std::panic::catch_unwind(|| keeper.wait(1_800_000_000)).expect("wait panicked");
    assert!(
        wait.is_some_and(|w| w > Duration::from_secs(3600)),
        "{wait:?}"
    );
}

/// `watch` formats the token's `exp` with humantime, which fails past year 9999 and made
/// `to_string()` panic for a token with e.g. `exp: 300000000000`.
#[test]
fn review_watch_times_beyond_year_9999_do_not_panic() {
    let ms = 300_000_000_000_000u64;
    let text = std::panic::catch_unwind(|| grantscope_core::oauth::watch::rfc3339_millis(ms))
        .expect("rfc3339_millis panicked past year 9999");
    assert!(text.starts_with("9999-"), "{text}");
}

// ---------------------------------------------------------------------------------------------
// Loopback listener and redirect parsing
// ---------------------------------------------------------------------------------------------

fn expected() -> Expected {
    Expected {
        state: "st".into(),
        issuer: None,
        require_iss: false,
        ..Default::default()
    }
}

/// RFC 6749 §3.1: parameters must not be repeated. Two different codes (or states) in one
/// redirect were silently resolved to the first.
#[test]
fn review_duplicate_redirect_parameters_are_rejected() {
    for query in [
        "code=one&code=two&state=st",
        "code=one&state=st&state=evil",
        "code=one&state=st&state=st",
    ] {
        let r = loopback::parse_redirect(query, &expected());
        assert!(
            matches!(r, Err(FlowError::Redirect(ref m)) if m.contains("more than once")),
            "{query}: {r:?}"
        );
    }
    assert!(loopback::parse_redirect("code=one&state=st", &expected()).is_ok());
}

/// A `http://[::1]:PORT/...` redirect URI was accepted as loopback, advertised to the server,
/// but the listener was bound on 127.0.0.1, so the browser's redirect could never arrive.
#[test]
fn review_ipv6_loopback_redirect_uri_is_served() {
    rt().block_on(async {
        let asked = Url::parse("http://[::1]:0/cb").unwrap();
        let listener = match LoopbackListener::bind(Some(&asked)).await {
            Ok(l) => l,
            // Refusing it with a clear configuration error would be fine too.
            Err(FlowError::Config(_)) => return,
            Err(e) => panic!("{e}"),
        };
        let uri = listener.redirect_uri().clone();
        let port = uri.port().unwrap();
        let exp = expected();
        let waiter =
            tokio::spawn(async move { listener.wait(&exp, Duration::from_secs(10)).await });
        let target = format!("{}?code=c1&state=st", uri);
        let client = reqwest::Client::new();
        let sent = client.get(&target).send().await;
        assert!(
            sent.is_ok(),
            "the advertised redirect URI {uri} (port {port}) is not served: {sent:?}"
        );
        assert_eq!(waiter.await.unwrap().unwrap().code.expose(), "c1");
    });
}

/// Browsers open speculative connections that send nothing. The listener read one request
/// at a time with a 5 s limit each, so three idle sockets held the real redirect back
/// for 15 s (and a local process could hold it back for ever).
#[test]
fn review_idle_connections_do_not_block_the_redirect() {
    rt().block_on(async {
        let listener = LoopbackListener::bind(None).await.unwrap();
        let uri = listener.redirect_uri().clone();
        let port = uri.port().unwrap();
        let exp = expected();
        let waiter =
            tokio::spawn(async move { listener.wait(&exp, Duration::from_secs(10)).await });
        let mut idle = Vec::new();
        for _ in 0..3 {
            idle.push(
                tokio::net::TcpStream::connect(("127.0.0.1", port))
                    .await
                    .unwrap(),
            );
        }
        let resp = reqwest::Client::new()
            .get(format!("{uri}?code=c2&state=st"))
            .send()
            .await;
        let got = waiter.await.unwrap();
        assert_eq!(
            got.as_ref().map(|c| c.code.expose()).ok(),
            Some("c2"),
            "{got:?} / {resp:?}"
        );
        drop(idle);
    });
}

// ---------------------------------------------------------------------------------------------
// Profiles
// ---------------------------------------------------------------------------------------------

/// 64 four-byte letters passed the name check but make a 261-byte file name: every save
/// failed with an I/O error ("File name too long", exit 1) instead of a name error (exit 2).
#[test]
fn review_profile_names_that_cannot_be_files_are_refused_up_front() {
    use grantscope_core::profile::{Profile, ProfileStore, StoreError};
    let tmp = tempfile::tempdir().unwrap();
    let store = ProfileStore::at(tmp.path().join("profiles"));
    let long = "𝐀".repeat(64);
    assert_eq!(long.chars().count(), 64);
    let mut p = Profile::new(&long);
    p.client_id = "x".into();
    let r = store.save(&p);
    assert!(matches!(r, Err(StoreError::BadName(_))), "{r:?}");
    // Names that fit still work, CJK at the 64-character limit included.
    let cjk = "認".repeat(64);
    let mut p = Profile::new(&cjk);
    p.client_id = "x".into();
    store.save(&p).unwrap();
    assert_eq!(store.load(&cjk).unwrap().client_id, "x");
}

// ---------------------------------------------------------------------------------------------
// Terminal safety
// ---------------------------------------------------------------------------------------------

/// A server's `error_description` was printed raw on stderr, so a hostile server could send
/// terminal escape sequences (retitle, clear the screen, hide lines) to the user's terminal.
#[test]
fn review_server_error_text_cannot_inject_terminal_escapes() {
    let server = canned(vec![reply(
        400,
        "application/json",
        json!({
            "error": "invalid_request\u{1b}[8m",
            "error_description": "bad\u{1b}]0;pwned\u{7} request\u{1b}[2J",
        })
        .to_string(),
    )]);
    let endpoint = format!("{}/token", server.base);
    let run = grantscope(
        &[
            "token",
            "client-credentials",
            "--token-endpoint",
            &endpoint,
            "--client-id",
            "c",
            "--client-secret",
            "s",
        ],
        Duration::from_secs(60),
    );
    assert_eq!(run.code(), 1, "{}", run.stderr);
    // The code is shown whole, although the client secret "s" occurs in it.
    assert!(run.stderr.contains("invalid_request"), "{}", run.stderr);
    assert!(
        !run.stderr.contains('\u{1b}') && !run.stdout.contains('\u{1b}'),
        "escape sequence passed through: {:?}",
        run.stderr
    );
}

/// Masking secrets in errors must not touch the OAuth error code the device flow branches
/// on: with the client secret "pending", `authorization_pending` must still mean "poll again".
#[test]
fn review_masking_keeps_oauth_error_codes_intact() {
    let server = canned(vec![
        reply(
            400,
            "application/json",
            json!({"error": "authorization_pending", "error_description": "still pending"})
                .to_string(),
        ),
        reply(
            200,
            "application/json",
            json!({"access_token": "at-1", "token_type": "Bearer"}).to_string(),
        ),
    ]);
    let mut cfg = device_cfg(&format!("{}/token", server.base));
    cfg.client_secret = Some("pending".into());
    cfg.auth_method = Some(grantscope_core::oauth::AuthMethod::ClientSecretPost);
    let auth = DeviceAuthorization {
        device_code: "dc".into(),
        user_code: "ABCD-EFGH".into(),
        verification_uri: "http://127.0.0.1/verify".into(),
        verification_uri_complete: None,
        expires_in: 60,
        interval: Some(1),
    };
    let result = rt().block_on(async {
        let mut s = session();
        device::poll(&mut s, &cfg, &auth, Some(Duration::from_secs(30))).await
    });
    assert_eq!(result.unwrap().tokens.access_token.expose(), "at-1");
}

/// A token response whose strings carry terminal controls and bidi overrides: the human
/// report (tokens, token_type, scope, every exchange with --show-exchanges, the curl line) and
/// `--json` show them escaped, never raw.
#[test]
fn review_hostile_token_response_is_printed_inert() {
    let hostile = [
        '\u{1b}', '\u{7}', '\u{8}', '\r', '\u{7f}', '\u{9b}', '\u{202e}', '\u{2066}',
    ];
    for json_mode in [false, true] {
        let server = canned(vec![reply(
            200,
            "application/json",
            json!({
                "access_token": "at-\u{1b}[2J-\u{202e}txt",
                "token_type": "Bearer\u{1b}]0;pwned\u{7}",
                "expires_in": 60,
                "scope": "api\r\u{1b}[1A VALID\u{9b}\u{2066}",
                "refresh_token": "rt\u{7f}\u{8}",
            })
            .to_string(),
        )]);
        let endpoint = format!("{}/token", server.base);
        let mut args = vec![
            "token",
            "client-credentials",
            "--token-endpoint",
            &endpoint,
            "--client-id",
            "c",
            "--client-secret",
            "sekret",
            "--show-exchanges",
        ];
        if json_mode {
            args.push("--json");
        }
        let run = grantscope(&args, Duration::from_secs(60));
        assert_eq!(run.code(), 0, "{}", run.stderr);
        for c in hostile {
            assert!(
                !run.stdout.contains(c) && !run.stderr.contains(c),
                "json={json_mode}: {c:?} reached the terminal raw"
            );
        }
        assert!(run.stdout.contains("at-"), "{}", run.stdout);
    }
}
