//! Plans and runs probes: selection (`--only`, `--skip`), what is skipped for lack of a
//! second client or `--slow`, the plan said before anything is sent (logins, state changes),
//! then independent probes concurrently (bounded) and dependent ones after the probe they
//! depend on, which must have passed.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Instant;

use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::cx::{Cx, Target};
use crate::fit::ClientFacts;
use crate::model::{Probe, ProbeResult};
use crate::policy::Policy;
use crate::probes::PROBES;
use crate::verdict::{Need, Outcome, Verdict};

/// Default number of probes in flight at once.
pub const DEFAULT_CONCURRENCY: usize = 4;

/// What to run.
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub only: Vec<String>,
    pub skip: Vec<String>,
    pub concurrency: usize,
}

impl RunOptions {
    /// Checks that every id of `--only` and `--skip` is one of `ids` (the catalogue of
    /// `what`); the usage error names them all.
    pub fn check_ids(&self, ids: &[&str], what: &str) -> Result<(), String> {
        match self
            .only
            .iter()
            .chain(&self.skip)
            .find(|id| !ids.contains(&id.as_str()))
        {
            Some(id) => Err(format!(
                "unknown {what} {:?}; the {what}s are: {}",
                grantscope_core::text::inert(id),
                ids.join(", ")
            )),
            None => Ok(()),
        }
    }

    /// Whether probe `id` was asked for (`--only` names it or is empty, `--skip` does not).
    pub fn asks_for(&self, id: &str) -> bool {
        (self.only.is_empty() || self.only.iter().any(|i| i == id))
            && !self.skip.iter().any(|i| i == id)
    }
}

impl Default for RunOptions {
    fn default() -> Self {
        Self {
            only: Vec::new(),
            skip: Vec::new(),
            concurrency: DEFAULT_CONCURRENCY,
        }
    }
}

/// The plan: what runs, what is skipped and why, and what it costs.
#[derive(Debug, Clone)]
pub struct Plan {
    pub run: Vec<&'static Probe>,
    pub skipped: Vec<(&'static Probe, String)>,
    pub concurrency: usize,
    /// Whether the slow parts run (`--slow`).
    pub slow: bool,
}

impl Plan {
    /// Authorizations the run asks for.
    pub fn logins(&self) -> u32 {
        self.run
            .iter()
            .map(|p| p.logins + if self.slow { p.slow_logins } else { 0 })
            .sum()
    }

    /// The probes that change state at the server, with what they change.
    pub fn changes(&self) -> Vec<(&'static str, &'static str)> {
        self.run
            .iter()
            .filter_map(|p| p.changes.map(|c| (p.id, c)))
            .collect()
    }

    /// The plan in sentences, said before anything is sent.
    pub fn describe(&self, driver: &str, needs_user: bool) -> Vec<String> {
        let mut lines = vec![format!(
            "plan: {} probe(s), {} skipped, up to {} at once",
            self.run.len(),
            self.skipped.len(),
            self.concurrency
        )];
        let logins = self.logins();
        lines.push(if needs_user {
            format!(
                "plan: {logins} authorization(s) through the {driver}; after the first login the server's session should make the others instant"
            )
        } else {
            format!("plan: {logins} authorization(s), approved by the server ({driver})")
        });
        if self.slow {
            for p in self.run.iter().filter(|p| p.slow_logins > 0) {
                lines.push(format!(
                    "plan: {} with the slow probes on asks for {} more authorization(s) and may wait minutes",
                    p.id, p.slow_logins
                ));
            }
        }
        for (id, what) in self.changes() {
            lines.push(format!("plan: {id} {what}"));
        }
        if !self.changes().is_empty() {
            lines.push(
                "plan: the probes that change state run one at a time, after the others".into(),
            );
        }
        lines
    }
}

/// Chooses the probes. Unknown ids are a usage error.
pub fn plan(target: &Target, opts: &RunOptions) -> Result<Plan, String> {
    plan_for(target, opts, None)
}

/// [`plan`], and with what is known of the client ([`ClientFacts`]) the probes it cannot run
/// are skipped with the reason (a client-credentials client runs no code-flow probe).
pub fn plan_for(
    target: &Target,
    opts: &RunOptions,
    client: Option<&ClientFacts>,
) -> Result<Plan, String> {
    if target.config.endpoints.token_endpoint.is_none() {
        return Err(
            "no token endpoint is known: the probes need the issuer (its discovery documents name the endpoints) or the endpoints given by hand"
                .into(),
        );
    }
    let ids: Vec<&str> = PROBES.iter().map(|p| p.id).collect();
    opts.check_ids(&ids, "probe")?;
    let mut run = Vec::new();
    let mut skipped = Vec::new();
    for p in PROBES.iter().copied() {
        if !opts.asks_for(p.id) {
            skipped.push((p, "not asked for".to_string()));
            continue;
        }
        if let Some(why) = client.and_then(|c| c.why_not(p)) {
            skipped.push((p, why));
            continue;
        }
        if p.needs.contains(&Need::SecondClient) && target.second_client.is_none() {
            skipped.push((
                p,
                "needs a second registered client (--second-client-id, --second-client-secret)"
                    .to_string(),
            ));
            continue;
        }
        if p.needs.contains(&Need::Slow) && !target.slow {
            skipped.push((p, "a slow probe; run it with --slow".to_string()));
            continue;
        }
        run.push(p);
    }
    Ok(Plan {
        run,
        skipped,
        concurrency: opts.concurrency.max(1),
        slow: target.slow,
    })
}

/// A finished run.
#[derive(Debug, Clone)]
pub struct Run {
    pub issuer: Option<String>,
    /// The API under test (`probe --api`), in place of the issuer.
    pub api: Option<String>,
    /// The API run's baseline (the genuine token accepted, no token refused).
    pub baseline: Option<crate::api_cx::Baseline>,
    pub started_at: String,
    pub elapsed_ms: u64,
    /// The policy the verdicts followed.
    pub policy: crate::policy::Policy,
    /// In catalogue order.
    pub results: Vec<ProbeResult>,
}

impl Run {
    pub fn count(&self, outcome: Outcome) -> usize {
        self.results
            .iter()
            .filter(|r| r.verdict.outcome == outcome)
            .count()
    }

    pub fn result(&self, id: &str) -> Option<&ProbeResult> {
        self.results.iter().find(|r| r.id == id)
    }

    /// Whether an API run's baseline failed to hold (exit 1).
    pub fn baseline_failed(&self) -> bool {
        self.baseline.as_ref().is_some_and(|b| !b.holds)
    }
}

fn result_of(
    policy: Policy,
    p: &'static Probe,
    verdict: Verdict,
    elapsed_ms: u64,
    cx: Option<Cx>,
) -> ProbeResult {
    ProbeResult {
        id: p.id,
        title: p.title,
        level: policy.level(p.id, p.level),
        reference: p.reference,
        verdict,
        elapsed_ms,
        exchanges: cx
            .map(|mut c| {
                let mut all = c.session.take_exchanges();
                all.append(&mut c.extra);
                all
            })
            .unwrap_or_default(),
    }
}

/// Runs the plan; `on_result` hears each result as it is decided (in finishing order).
pub async fn run(
    target: Arc<Target>,
    plan: &Plan,
    on_result: &(dyn Fn(&ProbeResult) + Send + Sync),
) -> Run {
    let started = Instant::now();
    let policy = target.policy;
    let started_at = grantscope_core::timefmt::rfc3339(grantscope_core::timefmt::now_unix());
    let selected: HashSet<&str> = plan.run.iter().map(|p| p.id).collect();
    let mut done: HashMap<&'static str, ProbeResult> = HashMap::new();
    for (p, why) in &plan.skipped {
        let r = result_of(policy, p, Verdict::skipped(why.clone()), 0, None);
        on_result(&r);
        done.insert(p.id, r);
    }
    let mut pending: Vec<&'static Probe> = plan.run.clone();
    // One look at the authorization endpoint first, with no login: a client the server refuses
    // there (a client_credentials-only client, say) cannot run any probe that logs in, and is
    // told so once instead of each of them ending inconclusive on the same error page.
    if pending.iter().any(|p| p.logins > 0)
        && let Some(why) = refused_up_front(target.clone()).await
    {
        pending.retain(|p| {
            if p.logins == 0 {
                return true;
            }
            let r = result_of(
                policy,
                p,
                Verdict::skipped(format!(
                    "needs the authorization code flow, and the server refused this client's authorization request before any login: {why}"
                )),
                0,
                None,
            );
            on_result(&r);
            done.insert(p.id, r);
            false
        });
    }
    let permits = Arc::new(Semaphore::new(plan.concurrency));
    let mut running: JoinSet<ProbeResult> = JoinSet::new();
    // Probes that change state at the server (revocations, refresh families) run alone, after
    // the others: a revoked grant must not break a probe running beside it.
    let mut exclusive_running = false;
    loop {
        // Start every probe whose dependencies are decided.
        let mut still = Vec::new();
        let shared_left = pending.iter().any(|q| q.changes.is_none());
        for p in pending.drain(..) {
            let exclusive = p.changes.is_some();
            if exclusive_running || (exclusive && (shared_left || !running.is_empty())) {
                still.push(p);
                continue;
            }
            let deps: Vec<&str> = p.after().filter(|d| selected.contains(d)).collect();
            if deps.iter().any(|d| !done.contains_key(d)) {
                still.push(p);
                continue;
            }
            if let Some(d) = deps.iter().find(|d| {
                done.get(*d)
                    .is_some_and(|r| r.verdict.outcome != Outcome::Pass)
            }) {
                let outcome = done
                    .get(d)
                    .map(|r| r.verdict.outcome.as_str())
                    .unwrap_or("?");
                let r = result_of(
                    policy,
                    p,
                    Verdict::inconclusive(format!("it builds on {d}, which ended {outcome}")),
                    0,
                    None,
                );
                on_result(&r);
                done.insert(p.id, r);
                continue;
            }
            exclusive_running = exclusive;
            let target = target.clone();
            let permits = permits.clone();
            running.spawn(async move {
                let _permit = permits.acquire_owned().await;
                let t0 = Instant::now();
                let mut cx = Cx::new(target);
                cx.probe = Some(p.id);
                let verdict = match (p.run)(&mut cx).await {
                    Ok(v) => v,
                    Err(e) => Verdict::inconclusive(format!(
                        "the probe could not decide: {}",
                        grantscope_core::text::inert(&e.to_string())
                    )),
                };
                result_of(
                    policy,
                    p,
                    verdict,
                    t0.elapsed().as_millis() as u64,
                    Some(cx),
                )
            });
        }
        pending = still;
        let Some(joined) = running.join_next().await else {
            break;
        };
        exclusive_running = false;
        if let Ok(r) = joined {
            on_result(&r);
            done.insert(r.id, r);
        }
    }
    // A dependency circle or a crashed probe (bugs) must not hang the run or lose a row.
    for p in plan.run.iter().copied() {
        if !done.contains_key(p.id) {
            let why = if pending.iter().any(|q| q.id == p.id) {
                "its dependencies never ran"
            } else {
                "the probe stopped without a verdict"
            };
            let r = result_of(policy, p, Verdict::inconclusive(why), 0, None);
            on_result(&r);
            done.insert(p.id, r);
        }
    }
    let results = PROBES.iter().filter_map(|p| done.remove(p.id)).collect();
    Run {
        policy: target.policy,
        issuer: target.issuer(),
        api: None,
        baseline: None,
        started_at,
        elapsed_ms: started.elapsed().as_millis() as u64,
        results,
    }
}

/// Why the server refuses this client's plain authorization request before any login, if it
/// does: an error page, or a redirect back carrying an error that no login could change.
async fn refused_up_front(target: Arc<Target>) -> Option<String> {
    use crate::driver::{Landing, follow};
    let mut cx = Cx::new(target);
    let request = cx
        .auth_request(grantscope_core::oauth::PkceMode::S256)
        .ok()?;
    // Pushed first where the server requires it, as every probe's request is.
    let url = match cx.pushed(&request.url).await.ok()? {
        Ok(u) => u,
        Err(Landing::Page { status, title, .. }) => {
            return Some(format!(
                "HTTP {status}: {}",
                grantscope_core::text::inert(&title)
            ));
        }
        Err(_) => return None,
    };
    match follow(&mut cx.session, &url).await.ok()? {
        Landing::Page { status, title, .. } if status >= 400 => Some(format!(
            "HTTP {status}: {}",
            grantscope_core::text::inert(&title)
        )),
        Landing::Redirect(to) => {
            let error = to
                .query_pairs()
                .find(|(k, _)| k == "error")
                .map(|(_, v)| v.into_owned())?;
            // Errors a login could still change (the user said no, or must log in) are not
            // a refusal of the client.
            (!matches!(
                error.as_str(),
                "access_denied" | "login_required" | "consent_required" | "interaction_required"
            ))
            .then(|| {
                let hint = to
                    .query_pairs()
                    .find(|(k, _)| k == "error_description")
                    .map(|(_, v)| format!(" ({})", grantscope_core::text::inert(&v)))
                    .unwrap_or_default();
                format!("{}{hint}", grantscope_core::text::inert(&error))
            })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_plan_counts_and_says_what_slow_adds() {
        let lifetimes = crate::find("token.lifetimes").expect("token.lifetimes");
        let state = crate::find("state.echo").expect("state.echo");
        let mut plan = Plan {
            run: vec![lifetimes, state],
            skipped: Vec::new(),
            concurrency: 1,
            slow: false,
        };
        assert_eq!(plan.logins(), lifetimes.logins + state.logins);
        assert!(
            !plan
                .describe("d", true)
                .iter()
                .any(|l| l.contains("--slow"))
        );
        plan.slow = true;
        let extra = crate::probes::token_lifetimes::SLOW_LOGINS;
        assert_eq!(plan.logins(), lifetimes.logins + state.logins + extra);
        let said = plan.describe("d", true);
        assert!(
            said.iter().any(|l| l
                == &format!(
                    "plan: token.lifetimes with the slow probes on asks for {extra} more authorization(s) and may wait minutes"
                )),
            "{said:?}"
        );
    }
}
