#!/usr/bin/env bash
# Benchmark of `grantscope probe`'s catalogue: against the in-process sandbox (auto-approve),
# against oidc-provider (tests/provider/, logins through the scripted browser) and against
# jmondi (tests/jmondi/, approves at once), one probe at a time and four at once. Prints wall
# time and exchanges; asserts only that concurrency changes no verdict. Also times the
# command line against a sandbox process.
set -euo pipefail
cd "$(dirname "$0")/.."
# The benchmark is the probe_bench module of the probes test binary (tests/probes/).
cargo test --test probes -- probe_bench:: --ignored --nocapture --test-threads 1 2>&1 | grep -oE 'BENCH.*|test result.*'

cargo build --quiet
bin=target/debug/grantscope
dir=$(mktemp -d)
trap 'kill "${pid:-}" 2>/dev/null || true; rm -rf "$dir"' EXIT
GRANTSCOPE_CONFIG_DIR="$dir" "$bin" sandbox --port 0 --auto-approve alice --json > "$dir/sandbox.json" &
pid=$!
for _ in $(seq 50); do [ -s "$dir/sandbox.json" ] && break; sleep 0.1; done
issuer=$(sed -n 's/.*"issuer": *"\([^"]*\)".*/\1/p' "$dir/sandbox.json" | head -1)
for c in 1 4; do
  start=$(date +%s%N)
  "$bin" probe --issuer "$issuer" --client-id sandbox-native --scope "openid offline_access" \
    --no-browser --json --concurrency "$c" > "$dir/run.json" 2>/dev/null || true
  end=$(date +%s%N)
  n=$(grep -o '"step"' "$dir/run.json" | wc -l)
  echo "BENCH cli/sandbox  concurrency $c: $(( (end - start) / 1000000 )) ms wall (process included), $n exchanges"
done
