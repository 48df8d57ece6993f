//! The probe catalogue against a second, independent server: `@jmondi/oauth2-server` 4.3.7
//! (tests/jmondi/), through the real `grantscope probe --json` and through the library. The
//! verdicts are what that library does, read from its source and measured here; the table is
//! in docs/probes.md. The server approves every valid authorization request as `alice` at once
//! (the library leaves login to its application), so no browser is involved.

use crate::common;
use crate::probe_support;

use std::time::Duration;

use common::cli::Grantscope;
use common::jmondi::Jmondi;
use probe_support::*;
use serde_json::Value;

/// `client` with its loopback redirect on a port free now: jmondi matches redirect URIs
/// ignoring the port, and a fixed port (in Linux's ephemeral range) could be taken by another
/// test's connection or by the other test of this file running beside it.
fn on_free_port(client: &Client) -> Client {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("no free port: {e}"));
    let mut url = url::Url::parse(client.redirect_uri).unwrap();
    url.set_port(Some(port)).unwrap();
    Client {
        redirect_uri: Box::leak(url.to_string().into_boxed_str()),
        ..*client
    }
}

const NATIVE: Client = Client {
    id: "native",
    secret: None,
    auth_method: None,
    redirect_uri: "http://127.0.0.1:41003/callback",
    scope: "read",
};

const WEB: Client = Client {
    id: "web",
    secret: Some("web-secret"),
    auth_method: Some("client_secret_basic"),
    redirect_uri: "http://127.0.0.1:41004/callback",
    scope: "read",
};

const SECOND: Client = Client {
    id: "web2",
    secret: Some("web2-secret"),
    auth_method: Some("client_secret_basic"),
    redirect_uri: "http://127.0.0.1:41005/callback",
    scope: "read",
};

/// What jmondi does for every client (the public native client and the confidential web
/// client differ only in `client-auth.enforced`).
const COMMON_VERDICTS: &[(&str, &str)] = &[
    // requiresPKCE (the default) refuses any authorization request without a challenge...
    ("pkce.required", "pass"),
    ("pkce.verifier-checked", "pass"),
    // ...so there is nothing to downgrade (PROBES.md: inconclusive).
    ("pkce.downgrade", "inconclusive"),
    ("pkce.verifier-omitted", "pass"),
    // requiresS256 (the default) refuses plain at authorize.
    ("pkce.plain", "pass"),
    // REGEXP_CODE_VERIFIER = /^[A-Za-z0-9-._~]{43,128}$/.
    ("pkce.verifier-format", "pass"),
    ("code.single-use", "pass"),
    // The code's reuse calls revokeDescendantsOf (the repository implements it).
    ("code.reuse-revokes", "pass"),
    // Measured: one winner. The library checks isRevoked, issues the tokens and then revokes
    // the code; with an in-memory repository no I/O separates the check from the revocation,
    // so Node runs each redemption in one turn. A repository that awaits a database would
    // leave that window open.
    ("code.race", "pass"),
    // The token request must repeat the authorization request's redirect_uri exactly.
    ("code.redirect-bound", "pass"),
    // urlsAreSameIgnoringPort compares scheme, host and path only: an extra query string
    // on the registered URI is accepted and the code goes to the variant.
    ("redirect.exact", "fail"),
    ("redirect.loopback-port", "pass"),
    // Authorization errors are JSON at the server (the library's documented handling).
    ("redirect.no-open-redirect", "pass"),
    ("state.echo", "pass"),
    // No RFC 9207 iss in the authorization response, and none advertised.
    ("iss.response", "warn"),
    ("refresh.rotation", "pass"),
    // Reusing a rotated refresh token is refused, but the family lives on.
    ("refresh.reuse-revokes-family", "fail"),
    ("refresh.client-bound", "pass"),
    // password and implicit are not enabled: unsupported_grant_type.
    ("grants.legacy", "pass"),
    ("transport.https", "inconclusive"),
    ("token.lifetimes", "pass"),
    // The library signs with a shared HS256 secret and publishes no JWKS.
    ("jwks.hygiene", "inconclusive"),
    ("headers", "pass"),
    ("dpop.enforced", "skipped"),
];

fn expected(client_auth: &'static str) -> Vec<(&'static str, &'static str)> {
    let mut all = COMMON_VERDICTS.to_vec();
    all.push(("client-auth.enforced", client_auth));
    all
}

/// `grantscope probe --json` as `client`, with `web2` as the second client.
fn cli_run(issuer: &str, client: &Client) -> (i32, Value, String) {
    let client = &on_free_port(client);
    let mut args = vec![
        "probe".to_string(),
        "--issuer".into(),
        issuer.into(),
        "--client-id".into(),
        client.id.into(),
        "--scope".into(),
        client.scope.into(),
        "--redirect-uri".into(),
        client.redirect_uri.into(),
        "--no-browser".into(),
        "--login-timeout".into(),
        "10".into(),
        "--json".into(),
        "--second-client-id".into(),
        SECOND.id.into(),
    ];
    if let (Some(secret), Some(method)) = (client.secret, client.auth_method) {
        args.extend([
            "--client-secret".into(),
            secret.into(),
            "--auth-method".into(),
            method.into(),
        ]);
    }
    let out = Grantscope::new(args)
        .env(
            "GRANTSCOPE_SECOND_CLIENT_SECRET",
            SECOND.secret.unwrap_or_default(),
        )
        .run(Duration::from_secs(120))
        .unwrap_or_else(|e| panic!("{e}"));
    let doc = out.json().unwrap_or_else(|e| panic!("{e}"));
    (out.code(), doc, out.stdout)
}

fn doc_verdicts(doc: &Value) -> Vec<(String, String, String)> {
    doc["results"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|r| {
                    (
                        r["id"].as_str().unwrap_or_default().to_string(),
                        r["verdict"].as_str().unwrap_or_default().to_string(),
                        r["reason"].as_str().unwrap_or_default().to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn assert_doc(doc: &Value, stdout: &str, expected: &[(&str, &str)]) {
    let got = doc_verdicts(doc);
    let table: String = got
        .iter()
        .map(|(id, v, why)| format!("{v:<13} {id:<28} {why}\n"))
        .collect();
    println!("{table}");
    assert_eq!(
        got.len(),
        grantscope_probe::PROBES.len(),
        "{table}\nthe document: {doc:#}"
    );
    for (id, verdict) in expected {
        let found = got.iter().find(|(i, _, _)| i == id);
        assert_eq!(
            found.map(|(_, v, _)| v.as_str()),
            Some(*verdict),
            "{id}\n{table}"
        );
    }
    // Every fail carries its evidence.
    for r in doc["results"].as_array().into_iter().flatten() {
        if r["verdict"] == "fail" {
            let n = r["exchanges"].as_array().map_or(0, Vec::len);
            assert!(n > 0, "{} failed without an exchange", r["id"]);
        }
    }
    // Codes, access and refresh tokens here are all HS256 JWTs; none may show unmasked.
    assert!(
        !stdout.contains("eyJhbGciOi"),
        "a code or token shows unmasked in the --json output"
    );
}

fn reason<'a>(doc: &'a [(String, String, String)], id: &str) -> &'a str {
    doc.iter()
        .find(|(i, _, _)| i == id)
        .map(|(_, _, r)| r.as_str())
        .unwrap_or_default()
}

#[test]
fn cli_public_native_client_verdicts() {
    let server = Jmondi::start();
    let (code, doc, stdout) = cli_run(server.issuer(), &NATIVE);
    assert_doc(&doc, &stdout, &expected("skipped"));
    assert_eq!(code, 1, "two probes fail, so the exit status is 1");
    assert_eq!(doc["summary"]["fail"], 2, "{doc:#}");
    let rows = doc_verdicts(&doc);
    let exact = reason(&rows, "redirect.exact");
    assert!(
        exact.contains("(extra query): http://127.0.0.1:") && exact.contains("/callback?probe=1"),
        "{}",
        reason(&rows, "redirect.exact")
    );
    assert!(
        reason(&rows, "refresh.reuse-revokes-family").contains("newest one of its family"),
        "{}",
        reason(&rows, "refresh.reuse-revokes-family")
    );
}

/// The confidential client: a made-up code with the right secret comes back `invalid_request`
/// (the library words a bad code that way, not `invalid_grant`); each unauthenticated variant
/// is judged against that baseline (`invalid_client`, or `invalid_request` in other words), so
/// the probe decides: every one refused.
#[test]
fn cli_confidential_web_client_verdicts() {
    let server = Jmondi::start();
    let (code, doc, stdout) = cli_run(server.issuer(), &WEB);
    assert_doc(&doc, &stdout, &expected("pass"));
    assert_eq!(code, 1);
    let rows = doc_verdicts(&doc);
    let auth = reason(&rows, "client-auth.enforced");
    assert!(auth.contains("invalid_request"), "{auth}");
    let bound = reason(&rows, "refresh.client-bound");
    assert!(
        bound.contains("without client authentication too"),
        "{bound}"
    );
}

/// The same catalogue through the library (the GUI's path): the same verdicts, and every
/// exchange masked by the shared evidence check.
#[test]
fn library_run_agrees_and_masks_every_exchange() {
    let server = Jmondi::start();
    let run = common::block_on(run_catalogue(
        server.issuer(),
        &on_free_port(&WEB),
        Some(&on_free_port(&SECOND)),
        direct(),
    ));
    println!("{}", table(&run));
    assert_evidence(&run);
    assert_verdicts(&run, &expected("pass"));
}
