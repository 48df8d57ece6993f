//! A run as the `--json` document (issue 13's shape), JUnit XML (`quick-junit`: fail as
//! `<failure>`, inconclusive and skipped as `<skipped>`), and one self-contained HTML file
//! (the table, each probe's evidence in a `<details>`; everything from the server escaped).
//! Exchanges are masked in every form unless `reveal` is asked for.

use serde_json::{Value, json};

use crate::model::ProbeResult;
use crate::probes::find;
use crate::runner::Run;
use crate::verdict::Outcome;
use grantscope_core::text::inert;

/// The `--json` document.
pub fn to_json(run: &Run, reveal: bool) -> Value {
    let results: Vec<Value> = run
        .results
        .iter()
        .map(|r| {
            json!({
                "id": r.id,
                "title": r.title,
                "level": r.level.as_str(),
                "ref": r.reference,
                "verdict": r.verdict.outcome.as_str(),
                "reason": inert(&r.verdict.reason),
                "elapsed_ms": r.elapsed_ms,
                "exchanges": r.exchanges.iter().map(|e| grantscope_core::text::inert_json(&e.to_json(reveal))).collect::<Vec<_>>(),
            })
        })
        .collect();
    let mut summary = serde_json::Map::new();
    for o in Outcome::ALL {
        summary.insert(o.as_str().into(), json!(run.count(o)));
    }
    let mut doc = json!({
        "policy": run.policy.as_str(),
        "issuer": run.issuer,
        "started_at": run.started_at,
        "results": results,
        "summary": summary,
    });
    // An API run names the API in place of the issuer, and says how its baseline went.
    if let (Some(api), Some(map)) = (&run.api, doc.as_object_mut()) {
        map.remove("issuer");
        // API probes are judged the same under every policy.
        map.remove("policy");
        map.insert("api".into(), json!(inert(api)));
        if let Some(b) = &run.baseline {
            map.insert(
                "baseline".into(),
                json!({
                    "holds": b.holds,
                    "reason": inert(&b.reason),
                    "exchanges": b.exchanges.iter().map(|e| grantscope_core::text::inert_json(&e.to_json(reveal))).collect::<Vec<_>>(),
                }),
            );
        }
    }
    doc
}

/// The baseline of an API run in one line for people.
pub fn baseline_line(b: &crate::api_cx::Baseline) -> String {
    format!(
        "{:<12} {:<6} {:<28} {}",
        if b.holds { "BASELINE" } else { "NO BASELINE" },
        "",
        "baseline",
        inert(&b.reason)
    )
}

/// One line per result for people.
pub fn line(r: &ProbeResult) -> String {
    format!(
        "{:<12} {:<6} {:<28} {}",
        r.verdict.outcome.as_str().to_uppercase(),
        r.level.as_str(),
        r.id,
        inert(&r.verdict.reason)
    )
}

/// JUnit XML: one test case per probe.
pub fn to_junit(run: &Run) -> Result<String, String> {
    use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};
    let mut suite = TestSuite::new(match &run.api {
        Some(api) => format!("grantscope probe --api {}", inert(api)),
        None => format!("grantscope probe (policy {})", run.policy),
    });
    if run.api.is_none() {
        suite.add_property(quick_junit::Property::new("policy", run.policy.as_str()));
    }
    for r in &run.results {
        let reason = inert(&r.verdict.reason).to_string();
        let status = match r.verdict.outcome {
            Outcome::Fail => {
                let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
                s.set_message(reason.clone()).set_type(r.level.as_str());
                let evidence: Vec<String> = r.exchanges.iter().map(|e| e.to_curl(false)).collect();
                s.set_description(evidence.join("\n"));
                s
            }
            Outcome::Inconclusive | Outcome::Skipped => {
                let mut s = TestCaseStatus::skipped();
                s.set_message(format!("{}: {reason}", r.verdict.outcome.as_str()));
                s
            }
            Outcome::Pass | Outcome::Warn | Outcome::Info => TestCaseStatus::success(),
        };
        let mut case = TestCase::new(r.id, status);
        case.set_classname(format!("probe.{}", r.level.as_str()))
            .set_time(std::time::Duration::from_millis(r.elapsed_ms));
        if matches!(
            r.verdict.outcome,
            Outcome::Warn | Outcome::Info | Outcome::Pass
        ) {
            case.set_system_out(format!("{}: {reason}", r.verdict.outcome.as_str()));
        }
        suite.add_test_case(case);
    }
    let mut report = Report::new("grantscope");
    report.add_test_suite(suite);
    report.to_string().map_err(|e| e.to_string())
}

/// A JSON document (an exchange) for a `<pre>` block: every string in it made inert first,
/// then pretty-printed (its own line breaks kept) and HTML-escaped.
fn esc_json(v: &serde_json::Value) -> String {
    let text = grantscope_core::text::to_json_pretty(&grantscope_core::text::inert_json(v))
        .unwrap_or_default();
    grantscope_core::oauth::loopback::html_escape(&text)
}

/// HTML-escapes text (after making it inert).
fn esc(s: &str) -> String {
    grantscope_core::oauth::loopback::html_escape(&inert(s))
}

fn colour(o: Outcome) -> &'static str {
    match o {
        Outcome::Pass => "#1b7f3b",
        Outcome::Fail => "#b00020",
        Outcome::Warn => "#b36b00",
        Outcome::Info => "#225ea8",
        Outcome::Inconclusive => "#6b6b6b",
        Outcome::Skipped => "#9a9a9a",
    }
}

/// One self-contained HTML page (no script, no outside resource).
pub fn to_html(run: &Run) -> String {
    let mut rows = String::new();
    for r in &run.results {
        let tests = find(r.id)
            .map(|p| p.tests)
            .or_else(|| crate::probes::api::find_api(r.id).map(|p| p.tests))
            .unwrap_or("");
        let mut evidence = String::new();
        for e in &r.exchanges {
            evidence.push_str(&format!("<pre>{}</pre>", esc_json(&e.to_json(false))));
        }
        rows.push_str(&format!(
            "<tr><td><span class=\"v\" style=\"background:{c}\">{v}</span></td><td>{lvl}</td>\
             <td><details><summary><code>{id}</code> {title}</summary>\
             <p>{reason}</p><p class=\"t\">{tests} ({refs})</p>{evidence}</details></td>\
             <td>{ms} ms</td><td>{n}</td></tr>\n",
            c = colour(r.verdict.outcome),
            v = r.verdict.outcome.as_str(),
            lvl = r.level.as_str(),
            id = esc(r.id),
            title = esc(r.title),
            reason = esc(&r.verdict.reason),
            tests = esc(tests),
            refs = esc(r.reference),
            ms = r.elapsed_ms,
            n = r.exchanges.len(),
        ));
    }
    let summary: Vec<String> = Outcome::ALL
        .iter()
        .map(|o| format!("{} {}", run.count(*o), o.as_str()))
        .collect();
    format!(
        "<!doctype html>\n<html><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\
         <title>grantscope probes: {issuer}</title><style>\
         body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse;width:100%}}\
         td,th{{border-bottom:1px solid #ddd;padding:.3em .5em;vertical-align:top;text-align:left}}\
         .v{{color:#fff;padding:.1em .5em;border-radius:.3em;font-weight:600}}\
         pre{{background:#f4f4f4;padding:.5em;overflow:auto;font-size:85%}}.t{{color:#555}}\
         </style></head><body><h1>grantscope probes</h1>\
         <p>{target_label}: <code>{issuer}</code>{policy}; started {started}; {summary}.</p>{baseline}\
         <p>Exchanges are shown masked.</p>\
         <table><tr><th>verdict</th><th>level</th><th>probe</th><th>time</th><th>exchanges</th></tr>\n\
         {rows}</table></body></html>\n",
        issuer = esc(run
            .api
            .as_deref()
            .or(run.issuer.as_deref())
            .unwrap_or("(none)")),
        target_label = if run.api.is_some() { "API" } else { "Issuer" },
        baseline = run
            .baseline
            .as_ref()
            .map(|b| {
                let evidence: String = b
                    .exchanges
                    .iter()
                    .map(|e| format!("<pre>{}</pre>", esc_json(&e.to_json(false))))
                    .collect();
                format!(
                    "<details><summary>Baseline: {}</summary>{evidence}</details>",
                    esc(&b.reason)
                )
            })
            .unwrap_or_default(),
        started = esc(&run.started_at),
        policy = if run.api.is_some() {
            String::new()
        } else {
            format!(
                "; policy <code>{}</code> ({})",
                run.policy.as_str(),
                esc(run.policy.title())
            )
        },
        summary = esc(&summary.join(", ")),
    )
}
