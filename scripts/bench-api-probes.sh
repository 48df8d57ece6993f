#!/usr/bin/env bash
# Benchmark of `grantscope probe --api` (the API catalogue, PROBES.md "API probes") against the
# sandbox's protected resource, a sandbox process with auto-approve. Prints, in the same run
# and side by side: the catalogue's wall time and the requests it sent (best and median of
# RUNS runs, process start included); as named baselines, one `grantscope call` of the same
# API (the process and one request), and curl sending the same number of requests in one
# process (the HTTP floor on this machine). Target: the catalogue under 2 s. Not a test: it
# asserts nothing but that the runs completed with exit 0.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-5}
cargo build --quiet
bin=${CARGO_TARGET_DIR:-target}/debug/grantscope
dir=$(mktemp -d)
trap 'kill "${pid:-}" 2>/dev/null || true; rm -rf "$dir"' EXIT
export GRANTSCOPE_CONFIG_DIR="$dir"
"$bin" sandbox --port 0 --auto-approve alice --json > "$dir/sandbox.json" 2>/dev/null &
pid=$!
for _ in $(seq 100); do [ -s "$dir/sandbox.json" ] && break; sleep 0.1; done
issuer=$(sed -n 's/.*"issuer": *"\([^"]*\)".*/\1/p' "$dir/sandbox.json" | head -1)
api="$issuer/api/resource"
token_of() { sed -n 's/.*"access_token": *"\([^"]*\)".*/\1/p' | head -1; }
cc() {
  "$bin" token client-credentials --issuer "$issuer" --client-id sandbox-machine \
    --client-secret sandbox-machine-secret "$@" --json 2>/dev/null
}
token=$(cc | token_of)
other=$(cc --resource https://other.example/api | token_of)
# An ID token from the code flow (the sandbox approves at once; the redirect is read).
redirect="http://127.0.0.1:41000/callback"
verifier=$(head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')
challenge=$(printf %s "$verifier" | openssl dgst -sha256 -binary | base64 | tr '+/' '-_' | tr -d '=\n')
location=$(curl -s -o /dev/null -w '%{redirect_url}' \
  "$issuer/authorize?response_type=code&client_id=sandbox-native&redirect_uri=$redirect&scope=openid&state=s&nonce=n&code_challenge=$challenge&code_challenge_method=S256")
code=$(printf %s "$location" | sed -n 's/.*[?&]code=\([^&]*\).*/\1/p')
id_token=$(curl -s "$issuer/token" -d grant_type=authorization_code -d "code=$code" \
  -d "redirect_uri=$redirect" -d client_id=sandbox-native -d "code_verifier=$verifier" |
  sed -n 's/.*"id_token": *"\([^"]*\)".*/\1/p')
[ -n "$token" ] && [ -n "$other" ] && [ -n "$id_token" ] || { echo "could not get the tokens" >&2; exit 1; }

ms() { echo $(( ($2 - $1) / 1000000 )); }
times=()
for _ in $(seq "$RUNS"); do
  start=$(date +%s%N)
  "$bin" probe --api "$api" --token "$token" --issuer "$issuer" \
    --other-audience-token "$other" --id-token "$id_token" --json > "$dir/run.json" 2>/dev/null
  end=$(date +%s%N)
  times+=("$(ms "$start" "$end")")
done
requests=$(grep -o '"step"' "$dir/run.json" | wc -l)
summary=$(sed -n 's/.*"summary": *\({[^}]*}\).*/\1/p' "$dir/run.json" | tr -d ' \n')
sorted=$(printf '%s\n' "${times[@]}" | sort -n)
best=$(echo "$sorted" | head -1)
median=$(echo "$sorted" | sed -n "$(( (RUNS + 1) / 2 ))p")

start=$(date +%s%N)
"$bin" call "$api" --token "$token" > /dev/null 2>&1
end=$(date +%s%N)
call=$(ms "$start" "$end")

urls=()
for _ in $(seq "$requests"); do urls+=("$api"); done
start=$(date +%s%N)
curl -s -H "Authorization: Bearer $token" "${urls[@]}" > /dev/null
end=$(date +%s%N)
floor=$(ms "$start" "$end")

echo "BENCH probe --api (the API catalogue, $RUNS runs): best $best ms, median $median ms wall, $requests requests to the API (baseline included; discovery and the JWKS besides), verdicts $summary"
echo "BENCH baseline: grantscope call (one request, process included): $call ms"
echo "BENCH baseline: curl, the same $requests requests in one process: $floor ms"
echo "BENCH target: the catalogue under 2000 ms: $([ "$median" -lt 2000 ] && echo met || echo MISSED)"
