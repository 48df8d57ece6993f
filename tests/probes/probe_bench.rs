//! Benchmark of the probe catalogue (run by `scripts/bench-probes.sh`; ignored in the normal
//! suite, and it asserts no timing): the whole catalogue against the sandbox and against
//! oidc-provider (and jmondi, the second independent peer), one probe at a time and four at once, printing wall time and the number of
//! exchanges. It does assert that concurrency changes no verdict.

use crate::common;
use crate::probe_support;

use std::sync::Arc;
use std::time::Instant;

use common::jmondi::Jmondi;
use common::{Provider, Sandbox, TEST_PASSWORD, TEST_USER};
use grantscope_probe::RunOptions;
use grantscope_sandbox::SandboxConfig;
use probe_support::*;

fn measure(
    name: &str,
    issuer: &str,
    client: &Client,
    second: &Client,
    driver: &dyn Fn() -> Arc<dyn grantscope_probe::AuthorizeDriver>,
) {
    let mut verdict_sets = Vec::new();
    for concurrency in [1, 4] {
        let options = RunOptions {
            concurrency,
            ..RunOptions::default()
        };
        let t0 = Instant::now();
        let run = common::block_on(run_with(issuer, client, Some(second), driver(), options));
        let wall = t0.elapsed();
        let exchanges: usize = run.results.iter().map(|r| r.exchanges.len()).sum();
        println!(
            "BENCH {name:<14} concurrency {concurrency}: {:>7.1} ms wall, {exchanges} exchanges, {} probes",
            wall.as_secs_f64() * 1000.0,
            run.results.len()
        );
        verdict_sets.push(verdicts(&run));
    }
    assert_eq!(
        verdict_sets[0], verdict_sets[1],
        "{name}: concurrency changed a verdict"
    );
}

#[test]
#[ignore = "benchmark: scripts/bench-probes.sh"]
fn bench_sandbox() {
    let sb = Sandbox::start_with(SandboxConfig {
        auto_approve: Some("alice".into()),
        ..SandboxConfig::default()
    });
    let native = Client {
        id: "sandbox-native",
        secret: None,
        auth_method: None,
        redirect_uri: "http://127.0.0.1:41000/callback",
        scope: "openid offline_access",
    };
    let web = Client {
        id: "sandbox-web",
        secret: Some("sandbox-web-secret"),
        auth_method: Some("client_secret_basic"),
        redirect_uri: "http://127.0.0.1:41001/callback",
        scope: "openid offline_access",
    };
    measure("sandbox", sb.issuer(), &native, &web, &direct);
}

#[test]
#[ignore = "benchmark: scripts/bench-probes.sh"]
fn bench_oidc_provider() {
    let provider = Provider::start();
    let issuer = provider.issuer().to_string();
    let native = Client {
        id: "native",
        secret: None,
        auth_method: None,
        redirect_uri: "http://127.0.0.1:41002/callback",
        scope: "openid offline_access",
    };
    let web = Client {
        id: "web",
        secret: Some("web-secret"),
        auth_method: Some("client_secret_basic"),
        redirect_uri: "http://127.0.0.1/callback",
        scope: "openid offline_access",
    };
    let i = issuer.clone();
    measure("oidc-provider", &issuer, &native, &web, &move || {
        Arc::new(ScriptedBrowser::new(&i, TEST_USER, TEST_PASSWORD))
    });
}

#[test]
#[ignore = "benchmark: scripts/bench-probes.sh"]
fn bench_jmondi() {
    let server = Jmondi::start();
    let native = Client {
        id: "native",
        secret: None,
        auth_method: None,
        redirect_uri: "http://127.0.0.1:41003/callback",
        scope: "read",
    };
    let web2 = Client {
        id: "web2",
        secret: Some("web2-secret"),
        auth_method: Some("client_secret_basic"),
        redirect_uri: "http://127.0.0.1:41005/callback",
        scope: "read",
    };
    measure("jmondi", server.issuer(), &native, &web2, &direct);
}
