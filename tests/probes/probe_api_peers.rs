//! The API probes against APIs built on two real, independent JWT libraries (tests/api_peer_jose/,
//! panva's `jose`; tests/api_peer_pyjwt/, PyJWT), through the real `grantscope probe --api …
//! --json`. Correctly configured, every probe passes or is skipped for its stated reason; with a
//! documented misconfiguration each (signature verification off, no `exp` check, no audience
//! check) exactly the probes that mistake lets through fail. The table is in tests/README.md.

use crate::common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::api_peer::{ApiPeer, Library, Misconfig};
use common::cli::Grantscope;
use serde_json::Value;

/// Every API probe of the catalogue (PROBES.md, "API probes"); a run must report each once.
const API_PROBES: &[&str] = &[
    "api.alg-none",
    "api.signature-stripped",
    "api.signature-invalid",
    "api.claims-tampered",
    "api.hmac-key-confusion",
    "api.embedded-jwk",
    "api.jku",
    "api.x5u",
    "api.kid-injection",
    "api.psychic-signature",
    "api.foreign-issuer",
    "api.expired",
    "api.audience",
    "api.id-token",
    "api.token-in-query",
    "api.dpop-as-bearer",
    "api.challenge",
    "api.weak-hmac-secret",
];

/// The probes that forge a token from the genuine one (every one the issuer's signature is
/// what refuses), `api.psychic-signature` apart (it runs only for an EC issuer).
const FORGERIES: &[&str] = &[
    "api.alg-none",
    "api.signature-stripped",
    "api.signature-invalid",
    "api.claims-tampered",
    "api.hmac-key-confusion",
    "api.embedded-jwk",
    "api.jku",
    "api.x5u",
    "api.kid-injection",
    "api.foreign-issuer",
];

/// The probes skipped against every peer, and a word their reason must contain: the peers'
/// tokens are Bearer (not DPoP-bound) and asymmetrically signed.
const ALWAYS_SKIPPED: &[(&str, &str)] = &[
    ("api.dpop-as-bearer", "DPoP"),
    ("api.weak-hmac-secret", "HS"),
];

/// One run of the real binary against `peer`, with every input the catalogue takes.
struct ProbeRun {
    code: i32,
    doc: Value,
    /// id → (verdict, reason)
    results: BTreeMap<String, (String, String)>,
}

/// Which of the optional inputs a run is given beside `--api` and `--token`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Inputs {
    /// `--jwks-uri` and the expired, other-audience and ID tokens.
    All,
    /// `--issuer` (the peer's RFC 8414 metadata names its JWKS), no other token.
    IssuerOnly,
    /// Nothing else: no issuer key, no other token.
    TokenOnly,
}

fn probe(peer: &ApiPeer) -> ProbeRun {
    probe_with(peer, Inputs::All)
}

fn probe_with(peer: &ApiPeer, inputs: Inputs) -> ProbeRun {
    let tokens = peer.tokens();
    let api = peer.api_url();
    let mut args: Vec<String> = [
        "probe",
        "--api",
        &api,
        "--token",
        &tokens.access_token,
        "--json",
    ]
    .map(String::from)
    .to_vec();
    match inputs {
        Inputs::All => args.extend(
            [
                "--jwks-uri",
                &peer.jwks_uri(),
                "--expired-token",
                &tokens.expired_token,
                "--other-audience-token",
                &tokens.other_audience_token,
                "--id-token",
                &tokens.id_token,
            ]
            .map(String::from),
        ),
        Inputs::IssuerOnly => args.extend(["--issuer", peer.base()].map(String::from)),
        Inputs::TokenOnly => {}
    }
    let out = Grantscope::new(&args)
        .run(Duration::from_secs(180))
        .unwrap_or_else(|e| {
            panic!(
                "probe --api did not finish: {e}\npeer stderr:\n{}",
                peer.stderr()
            )
        });
    let doc = out.json().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        doc["api"],
        Value::String(api.clone()),
        "the report names the API"
    );
    let mut results = BTreeMap::new();
    for result in doc["results"].as_array().expect("results is an array") {
        let id = result["id"]
            .as_str()
            .expect("each result has an id")
            .to_string();
        let verdict = result["verdict"].as_str().unwrap_or_default().to_string();
        let reason = result["reason"].as_str().unwrap_or_default().to_string();
        assert!(
            results.insert(id.clone(), (verdict, reason)).is_none(),
            "{id} reported twice"
        );
    }
    let ids: Vec<&str> = results.keys().map(String::as_str).collect();
    let mut expected: Vec<&str> = API_PROBES.to_vec();
    expected.sort_unstable();
    assert_eq!(ids, expected, "`probe --api` runs exactly the api.* probes");
    ProbeRun {
        code: out.code(),
        doc,
        results,
    }
}

impl ProbeRun {
    fn table(&self) -> String {
        self.results
            .iter()
            .map(|(id, (verdict, reason))| format!("  {id:<26} {verdict:<12} {reason}"))
            .collect::<Vec<_>>()
            .join("\n")
    }

    fn verdict(&self, id: &str) -> &str {
        &self.results[id].0
    }

    fn reason(&self, id: &str) -> &str {
        &self.results[id].1
    }

    /// Every probe's verdict is `expected`'s for it, `pass` for those it does not name.
    fn assert_verdicts(&self, what: &str, expected: &[(&str, &str)]) {
        let want: BTreeMap<&str, &str> = API_PROBES
            .iter()
            .map(|id| {
                let verdict = expected
                    .iter()
                    .find(|(e, _)| e == id)
                    .map_or("pass", |(_, v)| *v);
                (*id, verdict)
            })
            .collect();
        let wrong: Vec<String> = want
            .iter()
            .filter(|(id, v)| self.verdict(id) != **v)
            .map(|(id, v)| format!("{id}: expected {v}, got {}", self.verdict(id)))
            .collect();
        assert!(
            wrong.is_empty(),
            "{what}:\n{}\nthe whole run:\n{}",
            wrong.join("\n"),
            self.table()
        );
        // Every verdict says why.
        for (id, (verdict, reason)) in &self.results {
            assert!(
                !reason.trim().is_empty(),
                "{what}: {id} is {verdict} without a reason"
            );
        }
    }

    /// The baseline held, and every token sent is in the run's evidence, decoded: each probe
    /// that ran shows its exchanges, and each exchange but the challenge's (no token) carries
    /// the token's header and claims.
    fn assert_evidence(&self, what: &str) {
        assert_eq!(
            self.doc["baseline"]["holds"],
            Value::Bool(true),
            "{what}: the baseline holds: {}",
            self.doc["baseline"]
        );
        for result in self.doc["results"].as_array().into_iter().flatten() {
            let id = result["id"].as_str().unwrap_or_default();
            let verdict = result["verdict"].as_str().unwrap_or_default();
            if verdict == "skipped" {
                continue;
            }
            let exchanges = result["exchanges"].as_array().cloned().unwrap_or_default();
            assert!(
                !exchanges.is_empty(),
                "{what}: {id} ({verdict}) shows no exchange"
            );
            if id == "api.challenge" {
                continue;
            }
            for exchange in &exchanges {
                let token = &exchange["decoded"]["token"];
                assert!(
                    token["header"].is_object() && token["claims"].is_object(),
                    "{what}: {id}'s exchange {} does not show its token decoded: {exchange}",
                    exchange["step"]
                );
            }
        }
    }
}

/// What the correctly configured peer gives: the skips every peer has, and the psychic
/// signature skipped for an RSA issuer.
fn correct_expectation(alg: &str) -> Vec<(&'static str, &'static str)> {
    let mut expected: Vec<(&str, &str)> = ALWAYS_SKIPPED
        .iter()
        .map(|(id, _)| (*id, "skipped"))
        .collect();
    if alg == "RS256" {
        expected.push(("api.psychic-signature", "skipped"));
    }
    expected
}

fn correct(library: Library, alg: &str) {
    let peer = ApiPeer::start(library, alg, Misconfig::None);
    let run = probe(&peer);
    let what = format!("{library:?} {alg}, correctly configured");
    run.assert_verdicts(&what, &correct_expectation(alg));
    for (id, word) in ALWAYS_SKIPPED {
        assert!(
            run.reason(id).contains(word),
            "{what}: {id} is skipped for a reason that does not say {word:?}: {}",
            run.reason(id)
        );
    }
    if alg == "RS256" {
        let reason = run.reason("api.psychic-signature");
        assert!(
            reason.contains("EC") || reason.contains("ES256"),
            "{what}: api.psychic-signature is skipped for a reason that does not name EC: {reason}"
        );
    }
    // jose and PyJWT never fetch a `jku` or `x5u`: the reason says so.
    for id in ["api.jku", "api.x5u"] {
        assert!(
            run.reason(id).contains("never fetched"),
            "{what}: {id}'s reason does not say the API did not fetch the URL: {}",
            run.reason(id)
        );
    }
    run.assert_evidence(&what);
    assert_eq!(
        run.code,
        0,
        "{what}: nothing failed, exit 0\n{}",
        run.table()
    );
}

fn misconfigured(
    library: Library,
    alg: &str,
    misconfig: Misconfig,
    failing: &[&'static str],
) -> ProbeRun {
    let peer = ApiPeer::start(library, alg, misconfig);
    let run = probe(&peer);
    let what = format!("{library:?} {alg}, misconfigured {}", misconfig.env_value());
    let mut expected = correct_expectation(alg);
    expected.extend(failing.iter().map(|id| (*id, "fail")));
    run.assert_verdicts(&what, &expected);
    run.assert_evidence(&what);
    assert_eq!(
        run.code,
        1,
        "{what}: a probe failed, exit 1\n{}",
        run.table()
    );
    run
}

/// verify-off: every forgery, the expired, other-audience and ID tokens are accepted (the
/// library's decode checks no claim either); the query token and the challenge stay as the
/// API's own code makes them.
fn verify_off_failures(alg: &str) -> Vec<&'static str> {
    let mut failing = FORGERIES.to_vec();
    failing.extend(["api.expired", "api.audience", "api.id-token"]);
    if alg == "ES256" {
        failing.push("api.psychic-signature");
    }
    failing
}

#[test]
fn jose_rs256_correct_passes_every_probe() {
    correct(Library::Jose, "RS256");
}

#[test]
fn jose_es256_correct_passes_every_probe_with_the_psychic_signature() {
    correct(Library::Jose, "ES256");
}

#[test]
fn pyjwt_rs256_correct_passes_every_probe() {
    correct(Library::Pyjwt, "RS256");
}

#[test]
fn pyjwt_es256_correct_passes_every_probe_with_the_psychic_signature() {
    correct(Library::Pyjwt, "ES256");
}

/// With the signature off, the stripped signature is accepted in its three-part form only: the
/// two-part form is no JWS compact serialization, and both libraries' decoders refuse it.
fn assert_only_the_empty_signature_accepted(run: &ProbeRun, what: &str) {
    let reason = run.reason("api.signature-stripped");
    assert!(
        reason.contains("empty-signature") && !reason.contains("two-parts"),
        "{what}: api.signature-stripped should name the empty signature as accepted and not the \
         two-part token: {reason}"
    );
}

#[test]
fn jose_verify_off_fails_the_forgeries() {
    let run = misconfigured(
        Library::Jose,
        "ES256",
        Misconfig::VerifyOff,
        &verify_off_failures("ES256"),
    );
    assert_only_the_empty_signature_accepted(&run, "jose verify-off");
}

#[test]
fn pyjwt_verify_off_fails_the_forgeries() {
    let run = misconfigured(
        Library::Pyjwt,
        "RS256",
        Misconfig::VerifyOff,
        &verify_off_failures("RS256"),
    );
    assert_only_the_empty_signature_accepted(&run, "PyJWT verify-off");
}

#[test]
fn jose_without_exp_check_fails_api_expired() {
    misconfigured(Library::Jose, "RS256", Misconfig::NoExp, &["api.expired"]);
}

#[test]
fn pyjwt_without_exp_check_fails_api_expired() {
    misconfigured(Library::Pyjwt, "ES256", Misconfig::NoExp, &["api.expired"]);
}

#[test]
fn jose_without_audience_check_fails_api_audience() {
    misconfigured(Library::Jose, "ES256", Misconfig::NoAud, &["api.audience"]);
}

#[test]
fn pyjwt_without_audience_check_fails_api_audience() {
    misconfigured(Library::Pyjwt, "RS256", Misconfig::NoAud, &["api.audience"]);
}

/// The three tokens this run was not given: skipped, each naming its option.
const MISSING_TOKENS: &[(&str, &str)] = &[
    ("api.expired", "--expired-token"),
    ("api.audience", "--other-audience-token"),
    ("api.id-token", "--id-token"),
];

fn assert_skipped_for(run: &ProbeRun, what: &str, skipped: &[(&str, &str)]) {
    for (id, word) in skipped {
        assert_eq!(run.verdict(id), "skipped", "{what}: {id}\n{}", run.table());
        assert!(
            run.reason(id).contains(word),
            "{what}: {id} is skipped for a reason that does not name {word:?}: {}",
            run.reason(id)
        );
    }
}

/// `--issuer` alone: the key comes from the peer's RFC 8414 metadata, so the key-based
/// forgeries run (the psychic signature too, for this EC issuer); the three tokens not given
/// are skipped, each naming its option.
#[test]
fn pyjwt_es256_with_issuer_discovery_and_no_other_token() {
    let peer = ApiPeer::start(Library::Pyjwt, "ES256", Misconfig::None);
    let run = probe_with(&peer, Inputs::IssuerOnly);
    let what = "PyJWT ES256 with --issuer only";
    let mut expected = correct_expectation("ES256");
    expected.extend(MISSING_TOKENS.iter().map(|(id, _)| (*id, "skipped")));
    run.assert_verdicts(what, &expected);
    assert_skipped_for(&run, what, MISSING_TOKENS);
    run.assert_evidence(what);
    assert_eq!(
        run.code,
        0,
        "{what}: nothing failed, exit 0\n{}",
        run.table()
    );
}

/// The genuine token alone: the forgeries that need the issuer's public key are skipped for
/// that reason (the token's own `iss` is not fetched), the others still run.
#[test]
fn jose_es256_with_the_genuine_token_alone() {
    let peer = ApiPeer::start(Library::Jose, "ES256", Misconfig::None);
    let run = probe_with(&peer, Inputs::TokenOnly);
    let what = "jose ES256 with the genuine token alone";
    let key_needed = [
        ("api.hmac-key-confusion", "--issuer or --jwks-uri"),
        ("api.psychic-signature", "--issuer or --jwks-uri"),
    ];
    let mut expected = correct_expectation("ES256");
    expected.extend(MISSING_TOKENS.iter().map(|(id, _)| (*id, "skipped")));
    expected.extend(key_needed.iter().map(|(id, _)| (*id, "skipped")));
    run.assert_verdicts(what, &expected);
    assert_skipped_for(&run, what, MISSING_TOKENS);
    assert_skipped_for(&run, what, &key_needed);
    run.assert_evidence(what);
    assert_eq!(
        run.code,
        0,
        "{what}: nothing failed, exit 0\n{}",
        run.table()
    );
}
