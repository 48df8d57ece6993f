#!/usr/bin/env bash
# Runs the cargo-fuzz targets (token decoder + inspection, JWE decryptor, SD-JWT verifier, JWKS parser, token-response parser)
# for a bounded time each and prints executions and crashes per target.
#
#   scripts/fuzz.sh              # 60 s per target
#   FUZZ_SECONDS=300 scripts/fuzz.sh decode
#
# Needs a nightly toolchain (cargo-fuzz builds with -Z flags); installs cargo-fuzz if missing.
# The fuzz crate is its own workspace with its own target dir (fuzz/target): the first build
# compiles the dependencies once more, with the fuzzer's instrumentation.
# Exit status: 0 no crash, 1 a target crashed (artifacts under fuzz/artifacts/TARGET), 2 setup.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${FUZZ_SECONDS:-60}"
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=(decode jwe sdjwt jwks token_response)
fi

if ! rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
    echo "fuzz: no nightly toolchain (rustup toolchain install nightly); cargo-fuzz needs it" >&2
    exit 2
fi
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
    echo "fuzz: installing cargo-fuzz" >&2
    cargo install cargo-fuzz --locked || { echo "fuzz: could not install cargo-fuzz" >&2; exit 2; }
fi

crashed=0
for target in "${targets[@]}"; do
    corpus="fuzz/corpus/$target"
    mkdir -p "$corpus"
    log="$(mktemp)"
    # -s none: the code under test forbids unsafe; -a: keep debug assertions (overflow checks).
    set +e
    cargo +nightly fuzz run -s none -a "$target" "$corpus" "fuzz/seeds/$target" -- \
        -max_total_time="$seconds" -print_final_stats=1 -max_len=8192 >"$log" 2>&1
    status=$?
    set -e
    execs="$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)"
    crashes="$(find "fuzz/artifacts/$target" -type f 2>/dev/null | wc -l)"
    echo "fuzz: $target: ${execs:-?} executions in ${seconds}s, exit $status, $crashes artifact(s)"
    if [ "$status" -ne 0 ] || [ "$crashes" -ne 0 ]; then
        crashed=1
        tail -40 "$log" >&2
    fi
    rm -f "$log"
done
exit "$crashed"
