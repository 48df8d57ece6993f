//! A token cannot rewrite the terminal (issue 10): a forged token whose claims, header and `kid`
//! carry every C0 control, escape sequences, DEL, every C1 control and the bidi overrides is
//! reported with all of them shown escaped. The assertions are on the bytes printed, and the
//! report's first line still says NOT VALID. The display strings the core hands the GUI
//! (`Inspection::shown_*`, `Check::shown_message`) are held to the same rule.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::token_support;

use grantscope_cli::inspect::render_human;
use grantscope_core::text::is_active;
use grantscope_core::token::jwks::jwks_from_value;
use grantscope_core::token::{InspectOptions, Keys, Verdict, inspect_with_keys};
use serde_json::{Map, Value, json};
use token_support::*;

/// Every character that must not reach a terminal raw, one string each, plus escape sequences
/// that would hide, erase or retitle.
fn hostile_strings() -> Vec<String> {
    let mut out: Vec<String> = (0u32..=0x1f)
        .chain(std::iter::once(0x7f))
        .chain(0x80..=0x9f)
        .chain(0x202a..=0x202e)
        .chain(0x2066..=0x2069)
        .map(|c| format!("x{}y", char::from_u32(c).unwrap()))
        .collect();
    out.extend(
        [
            "\r\u{1b}[2KVALID: signature verified and no check failed\u{1b}[8m",
            "\u{1b}]0;pwned\u{7}",
            "\u{1b}P+q\u{1b}\\",
            "\u{9b}2J\u{9b}H",
            "\u{1b}c",
            "admin\u{202e}nimda",
            "\u{2066}\u{2067}\u{2068}\u{2069}",
            "\n\nVALID: signature verified and no check failed\n",
        ]
        .map(str::to_owned),
    );
    out
}

/// All the bytes of `s` are inert: no C0 but LF, no DEL, no C1, no bidi override or isolate.
#[track_caller]
fn assert_inert_bytes(s: &str, what: &str) {
    let b = s.as_bytes();
    for (i, &byte) in b.iter().enumerate() {
        assert!(
            byte == b'\n' || (byte >= 0x20 && byte != 0x7f),
            "{what}: raw byte 0x{byte:02x} at {i}: {:?}",
            String::from_utf8_lossy(&b[i.saturating_sub(20)..(i + 20).min(b.len())])
        );
    }
    for w in b.windows(2) {
        assert!(
            !(w[0] == 0xc2 && (0x80..=0x9f).contains(&w[1])),
            "{what}: raw C1 control"
        );
    }
    for w in b.windows(3) {
        let bidi = (w[0] == 0xe2 && w[1] == 0x80 && (0xaa..=0xae).contains(&w[2]))
            || (w[0] == 0xe2 && w[1] == 0x81 && (0xa6..=0xa9).contains(&w[2]));
        assert!(!bidi, "{what}: raw bidi override or isolate");
    }
}

struct Forgery {
    token: String,
    keys: Keys,
    jwks_doc: Value,
    evil_kid: String,
}

/// A token signed by an attacker's key whose `kid` names the issuer's key: the signature must
/// fail, and every string of the token is hostile.
fn forgery() -> Forgery {
    let issuer_key = Key::rsa();
    let attacker = Key::rsa();
    let hostile = hostile_strings();
    let evil_kid = format!("k\u{1b}[8m{}\u{202e}1", hostile.concat());
    let mut header = Map::new();
    header.insert("alg".into(), json!("RS256"));
    header.insert("kid".into(), json!(evil_kid));
    header.insert("typ".into(), json!("JWT\r\u{1b}[1A"));
    let mut claims = good_claims().as_object().unwrap().clone();
    for (n, s) in hostile.iter().enumerate() {
        claims.insert(format!("c{n}"), json!(s));
        // Hostile names too, and nested values.
        claims.insert(format!("name{n}{s}"), json!([s, {"k": s}]));
        header.insert(format!("h{n}{s}"), json!(s));
    }
    claims.insert("sub".into(), json!(hostile.concat()));
    let token = sign(&Value::Object(header), &Value::Object(claims), &attacker);
    let mut jwk = issuer_key.jwk(None);
    jwk["kid"] = json!(evil_kid);
    let jwks_doc = jwks(&[jwk]);
    Forgery {
        token,
        keys: Keys::Jwks(jwks_from_value(&jwks_doc).unwrap()),
        jwks_doc,
        evil_kid,
    }
}

fn opts() -> InspectOptions {
    InspectOptions {
        issuer: Some(ISSUER.into()),
        ..InspectOptions::default()
    }
}

#[track_caller]
fn assert_report_is_inert_and_says_not_valid(report: &str) {
    assert_inert_bytes(report, "human report");
    let first = report.lines().next().unwrap();
    assert!(
        first.starts_with("NOT VALID: failed: "),
        "first line: {first}"
    );
    assert!(first.contains("signature"), "{first}");
    // No line but the first and the last is a verdict, and none says VALID.
    let verdicts: Vec<&str> = report
        .lines()
        .filter(|l| l.starts_with("VALID") || l.starts_with("NOT VALID"))
        .collect();
    assert_eq!(verdicts.len(), 2, "{verdicts:?}");
    assert_eq!(report.lines().last().unwrap(), first);
    // Every row of a table or the checklist is indented: nothing broke a line.
    for line in report.lines() {
        let known = [
            "VALID",
            "NOT VALID",
            "format ",
            "header",
            "claims",
            "signature ",
            "checks",
        ];
        assert!(
            line.starts_with("  ") || known.iter().any(|k| line.starts_with(k)),
            "a line the report does not make: {line}"
        );
    }
    // What was escaped is still there to read.
    for shown in [
        "\\u{1b}[8m",
        "\\u{202e}",
        "\\u{7}",
        "\\u{9b}2J",
        "\\u{0}",
        "\\u{7f}",
        "\\u{d}\\u{1b}[2KVALID",
    ] {
        assert!(report.contains(shown), "{shown} missing");
    }
}

#[test]
fn the_human_report_shows_every_hostile_character_escaped() {
    let f = forgery();
    let i = inspect_with_keys(&f.token, &f.keys, &opts(), NOW);
    assert!(!i.valid);
    assert_eq!(i.verdict, Verdict::Invalid);
    // The signature detail quotes the hostile kid: the report must show it inert.
    assert!(i.signature.detail.contains(&f.evil_kid));
    let report = render_human(&i, NOW);
    assert_report_is_inert_and_says_not_valid(&report);
    assert!(
        report
            .contains("signature  INVALID: signature does not match the RSA key kid \"k\\u{1b}[8m")
    );
}

#[test]
fn display_strings_for_the_gui_are_inert_too() {
    let f = forgery();
    let i = inspect_with_keys(&f.token, &f.keys, &opts(), NOW);
    let header = i.shown_header();
    let claims = i.shown_claims();
    fn all_strings(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::String(s) => out.push(s.clone()),
            Value::Array(a) => a.iter().for_each(|x| all_strings(x, out)),
            Value::Object(m) => m.iter().for_each(|(k, x)| {
                out.push(k.clone());
                all_strings(x, out);
            }),
            _ => {}
        }
    }
    let mut strings = Vec::new();
    all_strings(&header, &mut strings);
    all_strings(&claims, &mut strings);
    assert!(strings.len() > 200);
    for s in &strings {
        assert!(!s.chars().any(is_active), "{s:?}");
    }
    // Nothing was lost: as many members as the token has.
    assert_eq!(
        header.as_object().unwrap().len(),
        i.header.as_object().unwrap().len()
    );
    assert_eq!(
        claims.as_object().unwrap().len(),
        i.claims.as_object().unwrap().len()
    );
    for c in &i.checks {
        assert!(!c.shown_message().chars().any(is_active), "{}", c.id);
    }
    assert!(!i.signature.shown_detail().chars().any(is_active));
}

async fn run(argv: &[&str]) -> (u8, Vec<u8>, Vec<u8>) {
    run_inspect(argv, b"").await
}

#[tokio::test]
async fn grantscope_inspect_prints_nothing_raw_on_stdout_or_stderr() {
    let f = forgery();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("jwks.json");
    std::fs::write(&path, serde_json::to_vec(&f.jwks_doc).unwrap()).unwrap();
    let path = path.display().to_string();
    let now = NOW.to_string();
    let (code, out, err) = run(&[&f.token, "--jwks-uri", &path, "--now", &now]).await;
    assert_eq!(code, 1);
    let out = String::from_utf8(out).unwrap();
    assert_report_is_inert_and_says_not_valid(&out);
    assert_inert_bytes(&String::from_utf8(err).unwrap(), "stderr");

    // Served over HTTP (stderr then lists the fetch), and as JSON.
    let url = serve_jwks(f.jwks_doc.clone()).await;
    let (code, out, err) = run(&[&f.token, "--jwks-uri", &url, "--now", &now]).await;
    assert_eq!(code, 1);
    assert_report_is_inert_and_says_not_valid(&String::from_utf8(out).unwrap());
    let err = String::from_utf8(err).unwrap();
    assert!(err.contains("JWKS: GET"), "{err}");
    assert_inert_bytes(&err, "stderr");

    let (code, out, _) = run(&[&f.token, "--jwks-uri", &path, "--now", &now, "--json"]).await;
    assert_eq!(code, 1);
    let text = String::from_utf8(out).unwrap();
    assert_inert_bytes(&text, "--json");
    // The JSON is the same value: every character is still there, escaped the JSON way.
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["header"]["kid"], json!(f.evil_kid));
    assert_eq!(v["verdict"], "invalid");
    assert!(text.contains("\\u202e") && text.contains("\\u009b") && text.contains("\\u007f"));
}

#[test]
fn the_human_report_says_what_registered_names_mean() {
    let f = forgery();
    let i = inspect_with_keys(&f.token, &f.keys, &opts(), NOW);
    let report = render_human(&i, NOW);
    // The header's alg and the claims' registered names end their lines with a meaning.
    let line = |name: &str| {
        report
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("{name} ")))
            .unwrap_or_else(|| panic!("no {name} line:\n{report}"))
            .to_owned()
    };
    assert!(
        line("alg").contains("# The algorithm that signs"),
        "{report}"
    );
    assert!(line("kid").contains("(RFC 7515 §4.1.4)"), "{report}");
}

/// Past `exp` but inside the leeway: the verdict line says expired too (the desktop app's
/// headline says EXPIRED; the command line said VALID alone).
#[test]
fn a_token_expired_within_the_leeway_is_said_to_be_expired() {
    let f = rsa_fixture();
    let mut claims = good_claims();
    claims["exp"] = json!(NOW - 11);
    let token = rs256(&f, &claims);
    let i = inspect_with_keys(&token, &f.keys, &opts(), NOW);
    assert!(i.valid, "within the 60 s leeway");
    let report = render_human(&i, NOW);
    let first = report.lines().next().unwrap();
    assert!(
        first.starts_with("VALID WITHIN LEEWAY, BUT EXPIRED 11 s ago"),
        "{report}"
    );
    // A live token keeps the plain verdict.
    let i = inspect_with_keys(&rs256(&f, &good_claims()), &f.keys, &opts(), NOW);
    assert!(render_human(&i, NOW).starts_with("VALID: signature verified"));
}
