//! `grantscope inspect` end to end through its argument parser and streams: JWKS file, JWKS URL
//! with key rotation (served on 127.0.0.1), issuer discovery, shared secret, stdin, exit codes.
//! Then the command line as a whole, through the real binary against the in-process sandbox:
//! output into a closed pipe, `discover`'s issuer, every argument's help, the DPoP proof shown
//! decoded, and the connection's notes on stderr.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::{common, token_support};

// Driven through `execute` with its own streams (no process, no global stdout).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use clap::Parser;
use grantscope_core::token::Inspection;
use serde_json::{Value, json};
use token_support::*;

struct Run {
    code: u8,
    out: String,
    err: String,
}

async fn run(argv: &[&str], stdin: &str) -> Run {
    let (code, out, err) = run_inspect(argv, stdin.as_bytes()).await;
    Run {
        code,
        out: String::from_utf8(out).unwrap(),
        err: String::from_utf8(err).unwrap(),
    }
}

fn now_arg() -> String {
    NOW.to_string()
}

fn write_jwks(dir: &tempfile::TempDir, doc: &Value) -> String {
    let path = dir.path().join("jwks.json");
    std::fs::write(&path, serde_json::to_vec(doc).unwrap()).unwrap();
    path.display().to_string()
}

#[tokio::test]
async fn valid_token_with_a_jwks_file_exits_0() {
    let key = Key::ec256();
    let dir = tempfile::tempdir().unwrap();
    let path = write_jwks(&dir, &jwks(&[key.jwk(Some("k1"))]));
    let token = sign(&json!({"alg": "ES256", "kid": "k1"}), &good_claims(), &key);
    let now = now_arg();
    let r = run(
        &[
            &token,
            "--jwks-uri",
            &path,
            "--issuer",
            ISSUER,
            "--audience",
            CLIENT,
            "--now",
            &now,
        ],
        "",
    )
    .await;
    assert_eq!(r.code, 0, "{}{}", r.out, r.err);
    assert!(r.out.contains("VALID: signature verified"), "{}", r.out);
    assert!(
        r.out.contains("2026-11-26T12:59:00Z, in 59 min"),
        "{}",
        r.out
    );
    assert!(r.out.contains("pass  iss"), "{}", r.out);

    // The same as one JSON document.
    let r = run(&[&token, "--jwks-uri", &path, "--now", &now, "--json"], "").await;
    assert_eq!(r.code, 0);
    let i: Inspection = serde_json::from_str(&r.out).unwrap();
    assert!(i.valid);
    assert_eq!(i.expires_in, Some(3540));
}

#[tokio::test]
async fn invalid_token_exits_1_and_names_the_failure() {
    let key = Key::ec256();
    let dir = tempfile::tempdir().unwrap();
    let path = write_jwks(&dir, &jwks(&[key.jwk(Some("k1"))]));
    let token = sign(&json!({"alg": "ES256", "kid": "k1"}), &good_claims(), &key);
    let later = (NOW + 7200).to_string();
    let r = run(&[&token, "--jwks-uri", &path, "--now", &later], "").await;
    assert_eq!(r.code, 1);
    assert!(r.out.contains("FAIL  exp"), "{}", r.out);
    assert!(r.out.contains("NOT VALID: failed: exp"), "{}", r.out);
}

#[tokio::test]
async fn token_from_stdin_and_bearer_prefix() {
    let secret = "a-shared-secret-of-thirty-two-bytes!";
    let token = sign(
        &json!({"alg": "HS256"}),
        &good_claims(),
        &Key::secret(secret.as_bytes()),
    );
    let now = now_arg();
    let r = run(
        &["-", "--secret", secret, "--now", &now],
        &format!("Bearer {token}\n"),
    )
    .await;
    assert_eq!(r.code, 0, "{}{}", r.out, r.err);
    // The secret is never echoed.
    assert!(!r.out.contains(secret) && !r.err.contains(secret));

    // Without the secret: unverifiable, never valid.
    let r = run(&[&token, "--now", &now, "--json"], "").await;
    assert_eq!(r.code, 1);
    let v: Value = serde_json::from_str(&r.out).unwrap();
    assert_eq!(v["signature"]["status"], "unverifiable");
    assert_eq!(v["valid"], false);
}

#[tokio::test]
async fn base64_secret_and_secret_file() {
    let secret = [0xA5u8; 48];
    let token = sign(
        &json!({"alg": "HS384"}),
        &good_claims(),
        &Key::secret(&secret),
    );
    let now = now_arg();
    let b64_std = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, secret);
    let r = run(
        &[
            &token,
            "--secret",
            &b64_std,
            "--secret-base64",
            "--now",
            &now,
        ],
        "",
    )
    .await;
    assert_eq!(r.code, 0, "{}{}", r.out, r.err);

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("secret");
    std::fs::write(&file, format!("{b64_std}\n")).unwrap();
    let file = file.display().to_string();
    let r = run(
        &[
            &token,
            "--secret-file",
            &file,
            "--secret-base64",
            "--now",
            &now,
        ],
        "",
    )
    .await;
    assert_eq!(r.code, 0, "{}{}", r.out, r.err);
}

#[tokio::test]
async fn usage_errors_exit_2() {
    let r = run(&[], "").await;
    assert_eq!(r.code, 2);
    assert!(r.err.contains("no token"), "{}", r.err);

    let token = sign(
        &json!({"alg": "RS256", "kid": "x"}),
        &good_claims(),
        &Key::rsa(),
    );
    let r = run(&[&token, "--jwks-uri", "/nonexistent/jwks.json"], "").await;
    assert_eq!(r.code, 2);
    assert!(r.err.contains("/nonexistent/jwks.json"), "{}", r.err);

    assert!(
        InspectCli::try_parse_from(["inspect", "t", "--jwks-uri", "f", "--secret", "s"]).is_err()
    );
}

#[tokio::test]
async fn malformed_token_exits_1_with_the_segment_named() {
    let r = run(&["eyJhbGciOiJIUzI1NiJ9.e30", "--json"], "").await;
    assert_eq!(r.code, 1);
    let v: Value = serde_json::from_str(&r.out).unwrap();
    assert_eq!(v["checks"][0]["id"], "decode");
    assert!(
        v["checks"][0]["message"]
            .as_str()
            .unwrap()
            .contains("2 dot-separated segments")
    );
}

/// A JWKS and discovery server on 127.0.0.1 whose key set changes after `rotate_after` fetches.
struct Provider {
    base: String,
    jwks_fetches: Arc<AtomicUsize>,
}

async fn provider(sets: Vec<Value>, rotate_after: usize) -> Provider {
    use axum::{Json, Router, extract::State, routing::get};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let fetches = Arc::new(AtomicUsize::new(0));
    #[derive(Clone)]
    struct S {
        base: String,
        sets: Arc<Vec<Value>>,
        rotate_after: usize,
        fetches: Arc<AtomicUsize>,
    }
    let state = S {
        base: base.clone(),
        sets: Arc::new(sets),
        rotate_after,
        fetches: fetches.clone(),
    };
    let app = Router::new()
        .route(
            "/.well-known/openid-configuration",
            get(|State(s): State<S>| async move {
                Json(json!({"issuer": s.base, "jwks_uri": format!("{}/jwks", s.base)}))
            }),
        )
        .route(
            "/jwks",
            get(|State(s): State<S>| async move {
                let n = s.fetches.fetch_add(1, Ordering::SeqCst);
                let idx = usize::from(n >= s.rotate_after).min(s.sets.len() - 1);
                Json(s.sets[idx].clone())
            }),
        )
        .with_state(state);
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Provider {
        base,
        jwks_fetches: fetches,
    }
}

#[tokio::test]
async fn issuer_discovery_then_jwks_then_rotation() {
    let old = Key::rsa();
    let new = Key::rsa();
    // The first JWKS fetch still returns the old set; later fetches the rotated one.
    let p = provider(
        vec![jwks(&[old.jwk(Some("old"))]), jwks(&[new.jwk(Some("new"))])],
        1,
    )
    .await;
    let mut claims = good_claims();
    claims["iss"] = json!(p.base);
    let now = now_arg();

    // A token signed by the new key: unknown kid in the first fetch, found after the refetch.
    let token = sign(&json!({"alg": "RS256", "kid": "new"}), &claims, &new);
    let r = run(&[&token, "--issuer", &p.base, "--now", &now], "").await;
    assert_eq!(r.code, 0, "{}{}", r.out, r.err);
    assert_eq!(p.jwks_fetches.load(Ordering::SeqCst), 2);
    assert!(r.err.contains("discovery: GET"), "{}", r.err);
    assert!(r.err.contains("JWKS again (unknown kid)"), "{}", r.err);

    // A token signed by the rotated-out key: unknown even after fetching again.
    let token = sign(&json!({"alg": "RS256", "kid": "old"}), &claims, &old);
    let r = run(&[&token, "--issuer", &p.base, "--now", &now, "--json"], "").await;
    assert_eq!(r.code, 1, "{}{}", r.out, r.err);
    let v: Value = serde_json::from_str(&r.out).unwrap();
    assert_eq!(v["signature"]["status"], "invalid");
    let kid = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "kid")
        .unwrap();
    assert_eq!(kid["status"], "fail");
    assert!(
        kid["message"].as_str().unwrap().contains("fetched again"),
        "{kid}"
    );
    assert_eq!(p.jwks_fetches.load(Ordering::SeqCst), 4);
}

#[tokio::test]
async fn wrong_issuer_against_discovery_fails_iss() {
    let key = Key::ec256();
    let p = provider(vec![jwks(&[key.jwk(Some("k"))])], usize::MAX).await;
    let mut claims = good_claims();
    claims["iss"] = json!("https://someone-else.example");
    let token = sign(&json!({"alg": "ES256", "kid": "k"}), &claims, &key);
    let now = now_arg();
    let r = run(&[&token, "--issuer", &p.base, "--now", &now], "").await;
    assert_eq!(r.code, 1);
    assert!(r.out.contains("FAIL  iss"), "{}", r.out);
    // The known kid needed one fetch only.
    assert_eq!(p.jwks_fetches.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn unreachable_jwks_is_a_configuration_error() {
    // Bind then drop, so the port is closed.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let token = sign(
        &json!({"alg": "EdDSA", "kid": "k"}),
        &good_claims(),
        &Key::ed(),
    );
    let url = format!("http://127.0.0.1:{port}/jwks");
    let r = run(&[&token, "--jwks-uri", &url, "--json"], "").await;
    assert_eq!(r.code, 2, "{}{}", r.out, r.err);
    let v: Value = serde_json::from_str(&r.out).unwrap();
    assert_eq!(v["signature"]["status"], "unverifiable");
    assert!(r.err.contains("could not fetch the JWKS"), "{}", r.err);
}

/// `token --har FILE`: the run's exchanges as HAR 1.2, owner-only, secrets masked like every
/// other view (the client secret sent and the access token received).
#[tokio::test]
async fn token_har_writes_the_runs_exchanges_masked_and_owner_only() {
    use axum::{Json, Router, routing::post};
    use grantscope_cli::token_cmd;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = Router::new().route(
        "/token",
        post(|| async {
            Json(json!({
                "access_token": "har-access-token-0123456789",
                "token_type": "Bearer",
                "expires_in": 60
            }))
        }),
    );
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    #[derive(Parser)]
    struct TokenCli {
        #[command(flatten)]
        args: token_cmd::TokenArgs,
    }
    let dir = tempfile::tempdir().unwrap();
    let har = dir.path().join("run.har");
    let token_endpoint = format!("{base}/token");
    let cli = TokenCli::try_parse_from([
        "token",
        "client-credentials",
        "--token-endpoint",
        &token_endpoint,
        "--client-id",
        "har-client",
        "--client-secret",
        "har-client-secret-0123456789",
        "--json",
        "--har",
        har.to_str().unwrap(),
    ])
    .unwrap();
    token_cmd::run(cli.args).await;
    let text = std::fs::read_to_string(&har).unwrap();
    assert!(!text.contains("har-client-secret-0123456789"), "{text}");
    assert!(!text.contains("har-access-token-0123456789"), "{text}");
    let doc: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(doc["log"]["version"], "1.2");
    let entries = doc["log"]["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 1, "{doc:#}");
    assert_eq!(entries[0]["request"]["method"], "POST");
    assert_eq!(entries[0]["request"]["url"], token_endpoint);
    assert_eq!(entries[0]["response"]["status"], 200);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&har).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
}

// ---- The command line as a whole, through the real binary ----

/// The sandbox's confidential client_credentials client as `token client-credentials` flags.
fn sandbox_cc_args(sb: &common::Sandbox, extra: &[&str]) -> Vec<String> {
    use common::TestProvider;
    let mut args = vec![
        "token".to_string(),
        "client-credentials".into(),
        "--issuer".into(),
        sb.issuer().to_string(),
    ];
    args.extend(sb.machine_client().cli_args());
    args.extend(extra.iter().map(|s| s.to_string()));
    args
}

/// Runs `grantscope ARGS` with its stdout a pipe whose reader has already gone (as in
/// `grantscope … | head -1` once head has exited); returns the exit code and stderr.
fn run_into_closed_pipe(args: &[String]) -> (Option<i32>, String) {
    use std::io::Read;
    let config = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new(common::grantscope_bin())
        .args(args)
        .env("GRANTSCOPE_CONFIG_DIR", config.path())
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The reader goes before the command has written anything (it talks to the server first).
    drop(child.stdout.take());
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    let status = child.wait().unwrap();
    (status.code(), stderr)
}

#[test]
fn output_into_a_closed_pipe_ends_quietly() {
    let sb = common::Sandbox::start();
    let issuer = sb.issuer().to_string();
    let runs: Vec<Vec<String>> = vec![
        vec!["discover".into(), issuer.clone()],
        vec!["discover".into(), issuer.clone(), "--json".into()],
        sandbox_cc_args(&sb, &["--show-exchanges"]),
        sandbox_cc_args(&sb, &["--json"]),
        vec!["inspect".into(), "an-opaque-reference-token".into()],
    ];
    for args in runs {
        let (code, stderr) = run_into_closed_pipe(&args);
        assert!(
            !stderr.contains("panicked"),
            "{args:?} panicked on a closed pipe:\n{stderr}"
        );
        assert_eq!(
            code,
            Some(141),
            "{args:?}: the status of a closed pipe (128 + SIGPIPE)\n{stderr}"
        );
    }
}

#[test]
fn discover_prints_the_issuer_exactly_as_its_document_has_it() {
    let sb = common::Sandbox::start();
    let issuer = sb.issuer().to_string();
    assert!(!issuer.ends_with('/'), "{issuer}");
    let t = std::time::Duration::from_secs(60);
    let out = common::cli::Grantscope::new(["discover", issuer.as_str(), "--json"])
        .run(t)
        .unwrap();
    assert_eq!(out.code(), 0, "{}", out.stderr);
    let doc = out.json().unwrap();
    assert_eq!(doc["metadata"]["issuer"], issuer.as_str());
    assert_eq!(doc["issuer"], issuer.as_str(), "{doc:#}");
    assert_eq!(doc["endpoints"]["issuer"], issuer.as_str(), "{doc:#}");

    let out = common::cli::Grantscope::new(["discover", issuer.as_str()])
        .run(t)
        .unwrap();
    assert_eq!(out.code(), 0, "{}", out.stderr);
    let line = out
        .stdout
        .lines()
        .find(|l| l.starts_with("issuer "))
        .unwrap_or_else(|| panic!("no issuer line:\n{}", out.stdout));
    assert_eq!(
        line.split_whitespace().nth(1),
        Some(issuer.as_str()),
        "{line}"
    );
}

#[tokio::test]
async fn an_opaque_token_is_called_opaque_once_and_not_invalid() {
    let r = run(&["an-opaque-reference-token"], "").await;
    assert!(!r.out.contains("NOT VALID"), "{}", r.out);
    let verdicts: Vec<&str> = r
        .out
        .lines()
        .filter(|l| l.contains("verdict: opaque"))
        .collect();
    assert_eq!(verdicts.len(), 1, "{}", r.out);
    assert!(
        r.out.starts_with("OPAQUE: ") && r.out.contains("introspect"),
        "{}",
        r.out
    );
    // The JSON keeps its shape: valid false, verdict opaque.
    let r = run(&["an-opaque-reference-token", "--json"], "").await;
    let doc: Value = serde_json::from_str(&r.out).unwrap();
    assert_eq!(doc["verdict"], "opaque");
    assert_eq!(doc["valid"], false);
    assert_eq!(doc["format"], "opaque");
}

/// Every argument of every subcommand, positional ones too, with where it is.
fn every_argument(cmd: &clap::Command, path: &str, out: &mut Vec<(String, clap::Arg)>) {
    for arg in cmd.get_arguments() {
        out.push((path.to_string(), arg.clone()));
    }
    for sub in cmd.get_subcommands() {
        every_argument(sub, &format!("{path} {}", sub.get_name()), out);
    }
}

#[test]
fn every_argument_of_every_command_has_a_description() {
    use clap::CommandFactory;
    let mut cmd = grantscope_cli::Cli::command();
    cmd.build();
    let mut all = Vec::new();
    every_argument(&cmd, "grantscope", &mut all);
    assert!(
        all.len() > 100,
        "the walk found only {} arguments",
        all.len()
    );
    let bare: Vec<String> = all
        .iter()
        .filter(|(_, a)| {
            let said = |h: Option<&clap::builder::StyledStr>| {
                h.is_some_and(|h| !h.to_string().trim().is_empty())
            };
            !said(a.get_help()) && !said(a.get_long_help())
        })
        .map(|(path, a)| match a.get_long() {
            Some(long) => format!("{path} --{long}"),
            None => format!("{path} <{}>", a.get_id()),
        })
        .collect();
    assert!(
        bare.is_empty(),
        "arguments without a description:\n{}",
        bare.join("\n")
    );
}

#[test]
fn token_json_help_says_where_the_raw_token_is() {
    let t = std::time::Duration::from_secs(30);
    let out = common::cli::Grantscope::new(["token", "--help"])
        .run(t)
        .unwrap();
    assert_eq!(out.code(), 0, "{}", out.stderr);
    let json_help: String = out
        .stdout
        .split("--json")
        .nth(1)
        .unwrap_or_else(|| panic!("no --json in:\n{}", out.stdout))
        .split("\n      --")
        .next()
        .unwrap()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        json_help.contains(".response.access_token") && json_help.contains("inspection"),
        "{json_help}"
    );
}

#[test]
fn the_dpop_proof_is_shown_decoded_in_json_and_in_the_exchanges() {
    let sb = common::Sandbox::start();
    let t = std::time::Duration::from_secs(60);
    let out = common::cli::Grantscope::new(sandbox_cc_args(&sb, &["--dpop", "--json"]))
        .run(t)
        .unwrap();
    assert_eq!(out.code(), 0, "{}\n{}", out.stdout, out.stderr);
    let doc = out.json().unwrap();
    let token_exchange = doc["exchanges"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["request"]["headers"].get("DPoP").is_some())
        .unwrap_or_else(|| panic!("no exchange with a DPoP header: {doc:#}"));
    let raw = token_exchange["request"]["headers"]["DPoP"]
        .as_str()
        .unwrap();
    let shown = &token_exchange["decoded"]["dpop_proof"];
    assert_eq!(shown["header"]["typ"], "dpop+jwt", "{token_exchange:#}");
    assert_eq!(shown["header"]["jwk"]["kty"], "EC");
    assert_eq!(shown["claims"]["htm"], "POST");
    assert_eq!(
        shown["claims"]["htu"].as_str(),
        token_exchange["request"]["url"].as_str()
    );
    assert_eq!(shown["signature"].as_str(), raw.split('.').nth(2));

    let out = common::cli::Grantscope::new(sandbox_cc_args(&sb, &["--dpop", "--show-exchanges"]))
        .run(t)
        .unwrap();
    assert_eq!(out.code(), 0, "{}\n{}", out.stdout, out.stderr);
    let line = out
        .stderr
        .lines()
        .find(|l| l.starts_with("dpop_proof (decoded): "))
        .unwrap_or_else(|| panic!("no decoded DPoP proof:\n{}", out.stderr));
    assert!(
        line.contains("dpop+jwt") && line.contains("\"htm\""),
        "{line}"
    );
}

/// `token client-credentials` with mutual TLS (`tls_client_auth`, the stored key `mtls`) and
/// `conn` (connection flags), in `--json` and in human mode: the stderr of each.
async fn mtls_runs(config: &std::path::Path, conn: Vec<String>) -> Vec<(&'static str, String)> {
    let mut seen = Vec::new();
    for mode in ["--json", "--show-exchanges"] {
        let mut args = vec!["token".to_string(), "client-credentials".into()];
        args.extend(conn.iter().cloned());
        args.extend(
            [
                "--client-id",
                "sandbox-mtls",
                "--auth-method",
                "tls_client_auth",
                "--client-cert",
                "mtls",
                mode,
            ]
            .map(String::from),
        );
        let config = config.to_path_buf();
        let out = tokio::task::spawn_blocking(move || {
            common::cli::Grantscope::new(args)
                .config_dir(&config)
                .run(std::time::Duration::from_secs(60))
                .unwrap()
        })
        .await
        .unwrap();
        seen.push((mode, out.stderr));
    }
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_connections_notes_are_printed_once_in_every_mode() {
    let config = tempfile::tempdir().unwrap();
    let dir = config.path().to_path_buf();
    let out = tokio::task::spawn_blocking(move || {
        common::cli::Grantscope::new(["key", "generate", "mtls", "--type", "ec-p256", "--cert"])
            .config_dir(&dir)
            .run(std::time::Duration::from_secs(60))
            .unwrap()
    })
    .await
    .unwrap();
    assert_eq!(out.code(), 0, "{}", out.stderr);
    let once = |stderr: &str, note: &str, mode: &str| {
        let lines: Vec<String> = stderr
            .lines()
            .filter(|l| l.contains(note))
            .map(String::from)
            .collect();
        assert_eq!(lines.len(), 1, "{note:?} once with {mode}:\n{stderr}");
        lines[0].clone()
    };

    // The sandbox publishes mtls_endpoint_aliases (its TLS listener): the note says they are used.
    let sb = tokio::task::spawn_blocking(common::Sandbox::start)
        .await
        .unwrap();
    let conn = vec!["--issuer".to_string(), sb.issuer().to_string()];
    for (mode, stderr) in mtls_runs(config.path(), conn).await {
        once(&stderr, "using the mtls_endpoint_aliases", mode);
    }

    // A server without them: the warning that the certificate goes to the plain endpoints.
    let p = provider(vec![json!({"keys": []})], usize::MAX).await;
    let conn = vec![
        "--issuer".to_string(),
        p.base.clone(),
        "--token-endpoint".into(),
        format!("{}/token", sb.issuer()),
    ];
    for (mode, stderr) in mtls_runs(config.path(), conn).await {
        let line = once(
            &stderr,
            "the server publishes no mtls_endpoint_aliases; the client certificate goes to the plain endpoints",
            mode,
        );
        assert!(line.starts_with("warning: "), "{line}");
    }
}

#[test]
fn watch_says_at_the_start_what_it_asks_until_when_and_how_to_stop() {
    let sb = common::Sandbox::start();
    let t = std::time::Duration::from_secs(60);
    let out = common::cli::Grantscope::new(sandbox_cc_args(&sb, &["--json"]))
        .run(t)
        .unwrap();
    assert_eq!(out.code(), 0, "{}", out.stderr);
    let token = out.json().unwrap()["response"]["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut watch = vec![
        "watch".to_string(),
        token,
        "--issuer".into(),
        sb.issuer().to_string(),
    ];
    use common::TestProvider;
    watch.extend(sb.machine_client().cli_args());
    // Without --until-inactive it goes on through rejections until its limit: said at once.
    let mut args = watch.clone();
    args.extend(["--interval", "0.2", "--max-duration", "0.5"].map(String::from));
    let out = common::cli::Grantscope::new(args).run(t).unwrap();
    // After the connection's progress lines, before the first answer.
    let first = out
        .stderr
        .lines()
        .find(|l| l.starts_with("watching the token"))
        .unwrap_or_default()
        .to_owned();
    let before_answers = out.stderr.find("watching the token").unwrap_or(usize::MAX)
        < out.stderr.find("→ introspection").unwrap_or(0);
    assert!(before_answers, "{}", out.stderr);
    assert!(
        first.starts_with("watching the token via introspection every 0.2 s for 0.5 s, through any rejection (--until-inactive stops at the first)"),
        "{}",
        out.stderr
    );
    assert!(first.ends_with("; Ctrl+C stops"), "{first}");
    // With it: until the server rejects it, and the limit.
    let mut args = watch;
    args.extend(
        [
            "--interval",
            "0.2",
            "--max-duration",
            "0.5",
            "--until-inactive",
        ]
        .map(String::from),
    );
    let out = common::cli::Grantscope::new(args).run(t).unwrap();
    assert!(
        out.stderr.contains(
            "\nwatching the token via introspection every 0.2 s until the server rejects it (at most 0.5 s)"
        ),
        "{}",
        out.stderr
    );
}
