//! Plans and runs the API catalogue (`probe --api`): selection (`--only`, `--skip`, API ids
//! only), what is skipped for a missing input (said in the plan), then the baseline (the genuine
//! token accepted, no token refused) and, when it holds, every selected probe (bounded
//! concurrency); when it does not, every probe that sends something ends inconclusive with the
//! baseline's reason (the offline ones still run). The result is the same [`Run`] the
//! authorization-server catalogue gives, with `api` set in place of `issuer`.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::api_cx::{ApiCx, ApiTarget, baseline};
use crate::model::{ApiProbe, ProbeResult};
use crate::probes::api::API_PROBES;
use crate::runner::{Run, RunOptions};
use crate::verdict::Verdict;

/// The probes that sign with the run's attacker key.
const SIGN_WITH_ATTACKER_KEY: [&str; 4] = [
    "api.embedded-jwk",
    "api.jku",
    "api.x5u",
    "api.foreign-issuer",
];

/// What runs, and what is skipped with why.
#[derive(Debug, Clone)]
pub struct ApiPlan {
    pub run: Vec<&'static ApiProbe>,
    pub skipped: Vec<(&'static ApiProbe, String)>,
    pub concurrency: usize,
}

impl ApiPlan {
    /// The plan in sentences, said before anything is sent.
    pub fn describe(&self, target: &ApiTarget) -> Vec<String> {
        let mut lines = vec![format!(
            "plan: {} API probe(s), {} skipped, up to {} at once, against {} {}",
            self.run.len(),
            self.skipped.len(),
            self.concurrency,
            target.method.to_ascii_uppercase(),
            grantscope_core::text::inert(target.url.as_str())
        )];
        lines.push(
            "plan: first the baseline (the genuine token, then no token); every token is sent only to that URL"
                .into(),
        );
        if self
            .run
            .iter()
            .any(|p| matches!(p.id, "api.jku" | "api.x5u"))
        {
            lines.push(
                "plan: api.jku and api.x5u serve the attacker's keys from a listener on 127.0.0.1"
                    .into(),
            );
        }
        for (p, why) in &self.skipped {
            if why != "not asked for" {
                lines.push(format!("plan: {} skipped: {why}", p.id));
            }
        }
        lines
    }
}

/// Chooses the API probes. Unknown ids are a usage error.
pub fn plan(target: &ApiTarget, opts: &RunOptions) -> Result<ApiPlan, String> {
    let ids: Vec<&str> = API_PROBES.iter().map(|p| p.id).collect();
    opts.check_ids(&ids, "API probe")?;
    let mut run = Vec::new();
    let mut skipped = Vec::new();
    for p in API_PROBES.iter().copied() {
        if !opts.asks_for(p.id) {
            skipped.push((p, "not asked for".to_string()));
        } else if let Some(why) = (p.why_not)(target) {
            skipped.push((p, why));
        } else {
            run.push(p);
        }
    }
    Ok(ApiPlan {
        run,
        skipped,
        concurrency: opts.concurrency.max(1),
    })
}

fn result_of(
    p: &'static ApiProbe,
    verdict: Verdict,
    elapsed_ms: u64,
    exchanges: Vec<grantscope_core::http::Exchange>,
) -> ProbeResult {
    ProbeResult {
        id: p.id,
        title: p.title,
        level: p.level,
        reference: p.reference,
        verdict,
        elapsed_ms,
        exchanges,
    }
}

/// Runs the plan; `on_result` hears each result as it is decided, `on_baseline` the baseline.
pub async fn run(
    target: Arc<ApiTarget>,
    plan: &ApiPlan,
    on_baseline: &(dyn Fn(&crate::api_cx::Baseline) + Send + Sync),
    on_result: &(dyn Fn(&ProbeResult) + Send + Sync),
) -> Run {
    let started = Instant::now();
    let started_at = grantscope_core::timefmt::rfc3339(grantscope_core::timefmt::now_unix());
    let mut done: HashMap<&'static str, ProbeResult> = HashMap::new();
    for (p, why) in &plan.skipped {
        let r = result_of(p, Verdict::skipped(why.clone()), 0, Vec::new());
        on_result(&r);
        done.insert(p.id, r);
    }
    // The attacker's key (an RSA key takes a while) is made beside the baseline.
    if plan
        .run
        .iter()
        .any(|p| SIGN_WITH_ATTACKER_KEY.contains(&p.id))
    {
        let t = target.clone();
        tokio::spawn(async move {
            let _ = t.attacker_key().await;
        });
    }
    let base = if plan.run.iter().any(|p| !p.offline) {
        let b = baseline(target.clone()).await;
        on_baseline(&b);
        Some(b)
    } else {
        None
    };
    let holds = base.as_ref().is_none_or(|b| b.holds);
    let permits = Arc::new(Semaphore::new(plan.concurrency));
    let mut running: JoinSet<ProbeResult> = JoinSet::new();
    for p in plan.run.iter().copied() {
        if !holds && !p.offline {
            let why = base.as_ref().map(|b| b.reason.clone()).unwrap_or_default();
            let r = result_of(p, Verdict::inconclusive(why), 0, Vec::new());
            on_result(&r);
            done.insert(p.id, r);
            continue;
        }
        let target = target.clone();
        let permits = permits.clone();
        running.spawn(async move {
            let _permit = permits.acquire_owned().await;
            let t0 = Instant::now();
            let mut cx = ApiCx::new(target);
            let verdict = match (p.run)(&mut cx).await {
                Ok(v) => v,
                Err(e) => Verdict::inconclusive(format!(
                    "the probe could not decide: {}",
                    grantscope_core::text::inert(&e.to_string())
                )),
            };
            result_of(
                p,
                verdict,
                t0.elapsed().as_millis() as u64,
                cx.take_exchanges(),
            )
        });
    }
    while let Some(joined) = running.join_next().await {
        if let Ok(r) = joined {
            on_result(&r);
            done.insert(r.id, r);
        }
    }
    for p in plan.run.iter().copied() {
        if !done.contains_key(p.id) {
            let r = result_of(
                p,
                Verdict::inconclusive("the probe stopped without a verdict"),
                0,
                Vec::new(),
            );
            on_result(&r);
            done.insert(p.id, r);
        }
    }
    let results = API_PROBES
        .iter()
        .filter_map(|p| done.remove(p.id))
        .collect();
    Run {
        // API probes are the same under every policy; the reports leave the policy out.
        policy: crate::policy::Policy::default(),
        issuer: None,
        api: Some(target.url.to_string()),
        baseline: base,
        started_at,
        elapsed_ms: started.elapsed().as_millis() as u64,
        results,
    }
}
