#!/usr/bin/env bash
# The inspector with a 100 KB SD-JWT of 605 Disclosures (flat, an address nested in its own
# Disclosure, array elements), under Xvfb with software OpenGL: eframe's CPU per frame while
# repainting continuously, at 1024x768 / 150 % (a projector) and 1600x1000 / 100 % (where the
# Disclosure table is in view). Prints figures only; nothing here is a test.
#
#   scripts/bench-sdjwt.sh                                # release build (as shipped)
#   BIN=target/debug/grantscope scripts/bench-sdjwt.sh    # a binary built elsewhere
#
# Needs the Debian packages of screenshot.sh (xvfb, libgl1-mesa-dri).
set -euo pipefail
cd "$(dirname "$0")/.."

command -v Xvfb >/dev/null && command -v xdpyinfo >/dev/null || {
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq xvfb x11-utils libgl1-mesa-dri >/dev/null
}
if [ -z "${BIN:-}" ]; then
  cargo build --release --bin grantscope
  BIN=${CARGO_TARGET_DIR:-target}/release/grantscope
fi
DISPLAY_NUM=${DISPLAY_NUM:-:96}
WORK=$(mktemp -d)
XVFB_PID=
cleanup() {
  [ -n "$XVFB_PID" ] && kill "$XVFB_PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

python3 - "$WORK/big.sdjwt" <<'PY'
import base64, hashlib, json, sys, time
b = lambda raw: base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
def disclose(arr):
    text = b(json.dumps(arr).encode())
    return text, b(hashlib.sha256(text.encode()).digest())
now = int(time.time())
disclosures, top = [], []
for i in range(600):
    d, g = disclose([f"salt-{i:05}-0123456789", f"claim_{i:04}", f"value {i:04} of a long credential, selectively disclosable"])
    disclosures.append(d); top.append(g)
inner = []
for name, value in [("street_address", "1 Loopback Lane"), ("country", "NZ")]:
    d, g = disclose(["salt-address-0123", name, value]); disclosures.append(d); inner.append(g)
d, g = disclose(["salt-address-top", "address", {"_sd": inner}]); disclosures.append(d); top.append(g)
elements = []
for nat in ["NZ", "DE"]:
    d, g = disclose([f"salt-nat-{nat}", nat]); disclosures.append(d); elements.append({"...": g})
payload = {"iss": "https://issuer.example", "iat": now, "exp": now + 3600, "vct": "urn:example:big",
           "_sd_alg": "sha-256", "_sd": sorted(top), "nationalities": elements}
header = {"alg": "ES256", "typ": "dc+sd-jwt"}
# The signature is not checked (the inspector judges it on its own): its size only.
token = b(json.dumps(header).encode()) + "." + b(json.dumps(payload).encode()) + "." + b(bytes(64))
token += "~" + "~".join(disclosures) + "~"
open(sys.argv[1], "w").write(token)
print(f"SD-JWT: {len(token)} bytes, {len(disclosures)} Disclosures", file=sys.stderr)
PY

run_at() { # LABEL W H ZOOM (not in a subshell: the X server's pid must stay known)
  local label=$1 w=$2 h=$3 zoom=$4 cfg
  [ -n "$XVFB_PID" ] && { kill "$XVFB_PID" 2>/dev/null || true; wait "$XVFB_PID" 2>/dev/null || true; }
  Xvfb "$DISPLAY_NUM" -screen 0 "${w}x${h}x24" -br -nolisten tcp >/dev/null 2>&1 &
  XVFB_PID=$!
  for _ in $(seq 50); do xdpyinfo -display "$DISPLAY_NUM" >/dev/null 2>&1 && break; sleep 0.1; done
  cfg=$(mktemp -d -p "$WORK")
  printf '{"screen":"inspector","sandbox_profile_created":true,"zoom":%s}\n' "$zoom" >"$cfg/gui.json"
  env DISPLAY="$DISPLAY_NUM" LIBGL_ALWAYS_SOFTWARE=1 GRANTSCOPE_CONFIG_DIR="$cfg" GRANTSCOPE_SCREEN=inspector \
    GRANTSCOPE_WINDOW_SIZE="${w}x${h}" GRANTSCOPE_START_TOKEN_FILE="$WORK/big.sdjwt" \
    GRANTSCOPE_BENCH_FRAMES=300 GRANTSCOPE_BENCH_WARMUP=60 \
    "$BIN" 2>/dev/null | grep '^frames=' >"$WORK/frames" || echo "frames=? (no output)" >"$WORK/frames"
  echo "  $label $(cat "$WORK/frames")"
}

echo "inspector, 100 KB SD-JWT / 605 Disclosures (300 frames, continuous repaint, $(nproc) cores, Xvfb + llvmpipe):"
run_at "1024x768 at 150 %: " 1024 768 1.5
run_at "1600x1000 at 100 %:" 1600 1000 1.0
echo "cpu_ms = eframe's per-frame CPU time (UI + tessellation + software GL painting); ui_ms = the app's own logic+ui."
