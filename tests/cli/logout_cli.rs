//! `inspect --kind logout` through the real binary: an OpenID Connect Back-Channel Logout
//! token (§2.4) passes; each broken rule (a nonce, no events, no sid or sub, another typ, no
//! jti, a foreign key) is named and the token refused.

use std::time::Duration;

use serde_json::{Value, json};

use crate::common::cli::Grantscope;
use crate::token_support::{CLIENT, ISSUER, Key, NOW, jwks, sign};

const EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";

fn claims() -> Value {
    json!({
        "iss": ISSUER, "aud": CLIENT, "iat": NOW - 10, "exp": NOW + 110, "jti": "lt-1",
        "sid": "session-1", "events": { EVENT: {} },
    })
}

fn inspect(token: &str, jwks_file: &str) -> (i32, Value) {
    let now = NOW.to_string();
    let out = Grantscope::new([
        "inspect",
        token,
        "--kind",
        "logout",
        "--jwks-uri",
        jwks_file,
        "--audience",
        CLIENT,
        "--now",
        &now,
        "--json",
    ])
    .run(Duration::from_secs(30))
    .unwrap();
    (out.code(), out.json().unwrap())
}

fn status<'a>(doc: &'a Value, id: &str) -> &'a str {
    doc["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .and_then(|c| c["status"].as_str())
        .unwrap_or_else(|| panic!("no check {id} in {doc:#}"))
}

#[test]
fn a_logout_token_passes_and_each_broken_rule_is_refused() {
    let key = Key::ec256();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("jwks.json");
    std::fs::write(&file, jwks(&[key.jwk(Some("k1"))]).to_string()).unwrap();
    let file = file.to_str().unwrap().to_string();
    let header = json!({ "alg": "ES256", "kid": "k1", "typ": "logout+jwt" });

    let (code, doc) = inspect(&sign(&header, &claims(), &key), &file);
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(doc["valid"], true);
    for id in [
        "typ",
        "logout.events",
        "logout.sid-sub",
        "logout.nonce",
        "jti",
    ] {
        assert_eq!(status(&doc, id), "pass", "{id}: {doc:#}");
    }

    let mut with_nonce = claims();
    with_nonce["nonce"] = json!("n-1");
    let mut no_events = claims();
    no_events.as_object_mut().unwrap().remove("events");
    let mut other_event = claims();
    other_event["events"] = json!({ "https://example.com/other": {} });
    let mut nobody = claims();
    nobody.as_object_mut().unwrap().remove("sid");
    let mut no_jti = claims();
    no_jti.as_object_mut().unwrap().remove("jti");
    for (broken, check) in [
        (&with_nonce, "logout.nonce"),
        (&no_events, "logout.events"),
        (&other_event, "logout.events"),
        (&nobody, "logout.sid-sub"),
        (&no_jti, "jti"),
    ] {
        let (code, doc) = inspect(&sign(&header, broken, &key), &file);
        assert_eq!(code, 1, "{check}: {doc:#}");
        assert_eq!(doc["valid"], false);
        assert_eq!(status(&doc, check), "fail", "{check}: {doc:#}");
    }

    // An ID token's typ is not a logout token's.
    let id_typ = json!({ "alg": "ES256", "kid": "k1", "typ": "JWT" });
    let (code, doc) = inspect(&sign(&id_typ, &claims(), &key), &file);
    assert_eq!(code, 1);
    assert_eq!(status(&doc, "typ"), "fail", "{doc:#}");

    // A sub instead of a sid is enough; no typ at all is noted, not refused.
    let mut by_sub = claims();
    by_sub.as_object_mut().unwrap().remove("sid");
    by_sub["sub"] = json!("alice");
    let untyped = json!({ "alg": "ES256", "kid": "k1" });
    let (code, doc) = inspect(&sign(&untyped, &by_sub, &key), &file);
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(status(&doc, "typ"), "info");

    // Forged: signed by another key under the same kid.
    let forger = Key::ec256();
    let (code, doc) = inspect(&sign(&header, &claims(), &forger), &file);
    assert_eq!(code, 1);
    assert_eq!(doc["signature"]["status"], "invalid", "{doc:#}");
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// `logout listen`: each POSTed logout token is checked; a valid one gets 200, a replayed,
/// nonce-carrying or forged one 400, each verdict printed as it arrives (one JSON document a
/// line); the exit status says whether every token was valid.
#[test]
fn logout_listen_accepts_the_valid_token_and_refuses_forged_ones() {
    let key = Key::ec256();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("jwks.json");
    std::fs::write(&file, jwks(&[key.jwk(Some("k1"))]).to_string()).unwrap();
    let file = file.to_str().unwrap().to_string();
    let header = json!({ "alg": "ES256", "kid": "k1", "typ": "logout+jwt" });
    let now = unix_now();
    let fresh = |jti: &str| {
        let mut c = claims();
        c["iat"] = json!(now - 5);
        c["exp"] = json!(now + 115);
        c["jti"] = json!(jti);
        c
    };
    let listen = |count: &str| {
        let mut run = Grantscope::new([
            "logout",
            "listen",
            "--jwks-uri",
            &file,
            "--issuer",
            ISSUER,
            "--client-id",
            CLIENT,
            "--count",
            count,
            "--json",
        ])
        .spawn()
        .unwrap();
        let url = run
            .wait_for_stderr("listening: ", Duration::from_secs(30))
            .unwrap();
        (run, url)
    };
    let post = |url: &str, token: &str| {
        crate::common::post_form(url, None, &[("logout_token", token)])
            .unwrap()
            .0
    };

    let (run, url) = listen("1");
    assert!(url.starts_with("http://127.0.0.1:") && url.ends_with("/backchannel-logout"));
    assert_eq!(post(&url, &sign(&header, &fresh("a"), &key)), 200);
    let out = run.wait(Duration::from_secs(30)).unwrap();
    assert_eq!(out.code(), 0, "{}\n{}", out.stdout, out.stderr);
    let line: Value = serde_json::from_str(out.stdout.trim()).unwrap();
    assert_eq!(line["valid"], true, "{line:#}");
    assert_eq!(line["sid"], "session-1");

    let (run, url) = listen("4");
    let valid = sign(&header, &fresh("b"), &key);
    assert_eq!(post(&url, &valid), 200);
    assert_eq!(post(&url, &valid), 400, "a replayed jti");
    let mut with_nonce = fresh("c");
    with_nonce["nonce"] = json!("n");
    assert_eq!(post(&url, &sign(&header, &with_nonce, &key)), 400);
    let forger = Key::ec256();
    assert_eq!(post(&url, &sign(&header, &fresh("d"), &forger)), 400);
    let out = run.wait(Duration::from_secs(30)).unwrap();
    assert_eq!(out.code(), 1, "{}\n{}", out.stdout, out.stderr);
    let lines: Vec<Value> = out
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let verdicts: Vec<bool> = lines.iter().map(|l| l["valid"] == true).collect();
    assert_eq!(verdicts, [true, false, false, false], "{}", out.stdout);
    let reasons: Vec<&str> = lines[1..]
        .iter()
        .map(|l| l["reason"].as_str().unwrap())
        .collect();
    assert!(reasons[0].contains("replayed"), "{}", reasons[0]);
    assert!(reasons[1].contains("logout.nonce"), "{}", reasons[1]);
    assert!(reasons[2].contains("signature"), "{}", reasons[2]);
}
