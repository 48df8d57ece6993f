#!/usr/bin/env bash
# Benchmark: `grantscope token client-credentials` as a whole process against the local test
# provider (tests/provider, panva's oidc-provider), side by side with `curl` posting the same
# request, interleaved in the same run. Prints the median wall time of each and the ratio
# (target: grantscope <= 1.5x curl). No timing assertions anywhere: this only reports.
#
# Usage: scripts/bench-token.sh [RUNS]        (default 30; env RUNS works too)
# Env:   GRANTSCOPE_BIN=path   use this binary instead of building target/release/grantscope
#        CARGO_FEATURES=...    extra `cargo build --release` flags (e.g. --no-default-features)
# Needs: node + `npm ci --prefix tests/provider`, curl, cargo. Installs nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS="${1:-${RUNS:-30}}"
case "$RUNS" in '' | *[!0-9]*) echo "error: RUNS must be a number, got '$RUNS'" >&2; exit 2 ;; esac
[ "$RUNS" -ge 1 ] || { echo "error: RUNS must be at least 1" >&2; exit 2; }

for tool in node curl; do
  command -v "$tool" >/dev/null || { echo "error: $tool is not installed" >&2; exit 2; }
done
if [ ! -d tests/provider/node_modules/oidc-provider ]; then
  echo "error: the test provider is not installed; run: npm ci --prefix tests/provider" >&2
  exit 2
fi
if [ -z "${EPOCHREALTIME:-}" ]; then
  echo "error: bash 5+ is needed (EPOCHREALTIME)" >&2
  exit 2
fi

# Build (or use) the release binary.
if [ -n "${GRANTSCOPE_BIN:-}" ]; then
  BIN="$GRANTSCOPE_BIN"
else
  echo "== cargo build --release ${CARGO_FEATURES:-}" >&2
  # shellcheck disable=SC2086
  cargo build --release --quiet --bin grantscope ${CARGO_FEATURES:-}
  BIN=target/release/grantscope
fi
[ -x "$BIN" ] || { echo "error: $BIN is not an executable" >&2; exit 2; }

# Start the provider on a free port and wait for its READY line.
work="$(mktemp -d)"
provider_pid=""
cleanup() {
  if [ -n "$provider_pid" ]; then
    kill "$provider_pid" 2>/dev/null || true
    wait "$provider_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
PORT=0 node tests/provider/server.js >"$work/provider.out" 2>"$work/provider.err" &
provider_pid=$!
issuer=""
for _ in $(seq 1 300); do
  if line="$(grep -m1 '^READY ' "$work/provider.out" 2>/dev/null)"; then
    issuer="${line#READY }"
    break
  fi
  kill -0 "$provider_pid" 2>/dev/null || break
  sleep 0.1
done
if [ -z "$issuer" ]; then
  echo "error: the provider did not start; its stderr:" >&2
  cat "$work/provider.err" >&2
  exit 1
fi
token_endpoint="$issuer/token"
client_id=machine-basic
client_secret=machine-basic-secret

run_grantscope() {
  "$BIN" token client-credentials --token-endpoint "$token_endpoint" \
    --client-id "$client_id" --client-secret "$client_secret" \
    --auth-method client_secret_basic --json >"$work/gs.json" 2>"$work/gs.err"
}
run_curl() {
  local code
  code="$(curl -sS -o "$work/curl.json" -w '%{http_code}' -u "$client_id:$client_secret" \
    -d grant_type=client_credentials "$token_endpoint")"
  [ "$code" = 200 ]
}

# One warm-up of each (page cache, provider JIT), checked for success.
if ! run_grantscope; then
  echo "error: grantscope failed:" >&2
  cat "$work/gs.err" "$work/gs.json" >&2
  exit 1
fi
grep -q '"ok": *true' "$work/gs.json" || { echo "error: grantscope did not report ok:" >&2; cat "$work/gs.json" >&2; exit 1; }
run_curl || { echo "error: curl request failed:" >&2; cat "$work/curl.json" >&2; exit 1; }

# Interleaved runs; wall time in microseconds.
gs_times=()
curl_times=()
elapsed_us() { # start end (EPOCHREALTIME values) -> microseconds
  local s="${1/./}" e="${2/./}"
  echo $((10#$e - 10#$s))
}
for _ in $(seq 1 "$RUNS"); do
  t0=$EPOCHREALTIME
  run_grantscope || { echo "error: grantscope run failed:" >&2; cat "$work/gs.err" >&2; exit 1; }
  t1=$EPOCHREALTIME
  run_curl || { echo "error: curl run failed" >&2; exit 1; }
  t2=$EPOCHREALTIME
  gs_times+=("$(elapsed_us "$t0" "$t1")")
  curl_times+=("$(elapsed_us "$t1" "$t2")")
done

median() { # microsecond values -> median in microseconds
  local sorted n
  mapfile -t sorted < <(printf '%s\n' "$@" | sort -n)
  n=${#sorted[@]}
  if ((n % 2)); then
    echo "${sorted[n / 2]}"
  else
    echo $(((sorted[n / 2 - 1] + sorted[n / 2]) / 2))
  fi
}
ms() { awk -v us="$1" 'BEGIN { printf "%.2f", us / 1000 }'; }

gs_med="$(median "${gs_times[@]}")"
curl_med="$(median "${curl_times[@]}")"
ratio="$(awk -v a="$gs_med" -v b="$curl_med" 'BEGIN { printf "%.2f", a / b }')"
verdict="$(awk -v r="$ratio" 'BEGIN { print (r <= 1.5) ? "within" : "OVER" }')"

echo "token endpoint: $token_endpoint (oidc-provider, client_credentials, client_secret_basic)"
echo "binary:         $BIN"
echo "runs:           $RUNS each, interleaved"
echo "grantscope:     median $(ms "$gs_med") ms"
echo "curl:           median $(ms "$curl_med") ms"
echo "ratio:          ${ratio}x ($verdict the 1.5x target)"
