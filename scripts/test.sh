#!/usr/bin/env bash
# The test command (README.md; .ci/run calls it): installs the npm and PyPI test peers when missing,
# then runs every test: unit, end-to-end against the real oidc-provider and the built-in
# sandbox, and the headless GUI tests.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "error: Node.js 20+ and npm are needed for the end-to-end test peer (tests/provider)" >&2
  exit 2
fi
# Every npm test peer under tests/ (oidc-provider, the jose verifier, any later one).
for lock in tests/*/package-lock.json; do
  peer=$(dirname "$lock")
  if [ -f "$peer/package-lock.json" ]; then
    if [ ! -d "$peer/node_modules" ] || [ "$peer/package-lock.json" -nt "$peer/node_modules" ]; then
      echo "== npm ci in $peer"
      npm ci --prefix "$peer" --no-audit --no-fund --loglevel=error
      touch "$peer/node_modules"
    fi
  fi
done

# Every PyPI test peer under tests/ (the PyJWT API): its pinned requirements.txt.
for req in tests/*/requirements.txt; do
  if [ -f "$req" ]; then
    if ! command -v python3 >/dev/null; then
      echo "error: Python 3.11+ with pip is needed for the test peer $(dirname "$req")" >&2
      exit 2
    fi
    echo "== pip install -r $req"
    python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore -r "$req"
  fi
done

echo "== cargo test"
cargo test --workspace --all-targets --no-fail-fast "$@"
