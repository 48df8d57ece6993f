#!/usr/bin/env bash
# Screenshots of every screen of the desktop app, taken under Xvfb with software OpenGL, into
# docs/screenshots/*.png, at the two sizes the README shows: a projector (1024x768 at 150 %
# zoom, docs/screenshots/projector/) and a desktop (1600x1000 at 100 %, docs/screenshots/).
# Installs Xvfb, Mesa and ImageMagick when missing (Debian packages).
#
#   scripts/screenshot.sh            # release build (as shipped)
#   PROFILE=dev scripts/screenshot.sh  # reuse the debug build
#   BIN=path/to/grantscope scripts/screenshot.sh  # a binary built elsewhere
#   ONLY=step scripts/screenshot.sh    # only the step-mode shots (projector size)
#   ONLY=tokens scripts/screenshot.sh  # only the encrypted ID token and SD-JWT VC shots (desktop size)
#
# Each screen gets a fresh config dir; scenes that need data run a grant against the built-in
# sandbox at start (hidden variables GRANTSCOPE_SCREEN / GRANTSCOPE_START_RUN, see src/gui/app.rs).
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v Xvfb >/dev/null || need+=(xvfb)
command -v import >/dev/null || need+=(imagemagick)
[ -e /usr/lib/x86_64-linux-gnu/dri/swrast_dri.so ] || [ -e /usr/lib/x86_64-linux-gnu/dri/llvmpipe_dri.so ] \
  || dpkg -s libgl1-mesa-dri >/dev/null 2>&1 || need+=(libgl1-mesa-dri)
command -v xdpyinfo >/dev/null || need+=(x11-utils)
command -v xdotool >/dev/null || need+=(xdotool)
if [ ${#need[@]} -gt 0 ]; then
  echo "== apt-get install ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

if [ -z "${BIN:-}" ]; then
  PROFILE=${PROFILE:-release}
  if [ "$PROFILE" = release ]; then
    cargo build --release --bin grantscope
    BIN=target/release/grantscope
  else
    cargo build --bin grantscope
    BIN=target/debug/grantscope
  fi
fi

DISPLAY_NUM=${DISPLAY_NUM:-:97}
XVFB_PID=
TMPDIRS=()
cleanup() {
  [ -n "$XVFB_PID" ] && kill "$XVFB_PID" 2>/dev/null || true
  for d in "${TMPDIRS[@]}"; do rm -rf "$d"; done
}
trap cleanup EXIT

# screen W H: a fresh X server of that size (the window is maximised to it).
screen_of() {
  [ -n "$XVFB_PID" ] && { kill "$XVFB_PID" 2>/dev/null || true; wait "$XVFB_PID" 2>/dev/null || true; }
  W=$1 H=$2
  Xvfb "$DISPLAY_NUM" -screen 0 "${W}x${H}x24" -nolisten tcp >/dev/null 2>&1 &
  XVFB_PID=$!
  for _ in $(seq 50); do xdpyinfo -display "$DISPLAY_NUM" >/dev/null 2>&1 && break; sleep 0.1; done
}

# shot NAME SCREEN [START_RUN] [THEME] [SETTINGS_JSON_EXTRA]
shot() {
  local name=$1 screen=$2 run=${3:-} theme=${4:-dark} extra=${5:-}
  local cfg
  # SHOT_CFG: a config dir made beforehand (its keys), else a fresh one.
  cfg=${SHOT_CFG:-$(mktemp -d)}
  TMPDIRS+=("$cfg")
  printf '{"screen":"%s","theme":"%s","zoom":%s%s}\n' "$screen" "$theme" "$ZOOM" "$extra" >"$cfg/gui.json"
  # The window fills the screen (GRANTSCOPE_WINDOW_SIZE, hidden, see src/gui/mod.rs).
  DISPLAY=$DISPLAY_NUM LIBGL_ALWAYS_SOFTWARE=1 GRANTSCOPE_CONFIG_DIR=$cfg \
    GRANTSCOPE_SCREEN=$screen GRANTSCOPE_START_RUN=$run GRANTSCOPE_WINDOW_SIZE="${W}x${H}" \
    GRANTSCOPE_START_STEP=${STEP:-} GRANTSCOPE_START_TOKEN_FILE=${TOKEN_FILE:-} \
    "$BIN" >/dev/null 2>&1 &
  local pid=$!
  sleep "${SETTLE:-6}"
  # CLICK=X,Y: one click there first (window pixels; the step editor's shot clicks Edit).
  if [ -n "${CLICK:-}" ]; then
    local wid
    wid=$(DISPLAY=$DISPLAY_NUM xdotool search --pid "$pid" | tail -1)
    DISPLAY=$DISPLAY_NUM xdotool windowfocus --sync "$wid"
    DISPLAY=$DISPLAY_NUM xdotool mousemove "${CLICK%,*}" "${CLICK#*,}" click 1
    sleep 1.5
  fi
  # Park the pointer in a corner so no tooltip or hover shows.
  command -v xdotool >/dev/null && DISPLAY=$DISPLAY_NUM xdotool mousemove "$((W - 1))" "$((H - 1))" && sleep 0.5
  import -display "$DISPLAY_NUM" -window root "$OUT/$name.png"
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  echo "$OUT/$name.png"
}

all_screens() {
  shot wizard wizard "" dark ',"wizard":{"have_refresh_token":1,"token_owner":1,"client_type":1}'
  shot wizard-light wizard "" light ',"wizard":{"have_refresh_token":1,"token_owner":0}'
  shot flow flow client-credentials
  shot device flow device-code
  shot inspector inspector client-credentials
  shot profiles profiles
  shot history history client-credentials
  # The classroom with a running sandbox (the start run starts it) and three switches on.
  shot classroom classroom client-credentials dark \
    ',"classroom":{"port":9400,"access_token_ttl":300,"refresh_token_ttl":3600,"auto_approve":"alice","switches":["unsafe-allow-plain-pkce","unsafe-no-iss","unsafe-allow-password-grant"]}'
}

# Step mode (1024x768 at 150 %): paused before the browser opens (the authorization URL's
# parameters), and the presenter view paused before a token request.
step_shots() {
  STEP=1 shot step-authorize flow authorization-code
  STEP=presenter shot step-presenter flow client-credentials
  # Edit, clicked where the normal view puts it at this size (after "Paused before: token request").
  STEP=1 CLICK=393,96 shot step-edit flow client-credentials
}

# The sandbox encrypts ID tokens to a stored key (class-enc) and issues alice an SD-JWT VC;
# the inspector then shows the ID token's layers (opened with that key) and the credential's
# Disclosures (1600x1000 at 100 %).
token_shots() {
  local cfg
  cfg=$(mktemp -d)
  TMPDIRS+=("$cfg")
  GRANTSCOPE_CONFIG_DIR=$cfg "$BIN" key generate class-enc --type ec-p256 --use enc >/dev/null
  GRANTSCOPE_CONFIG_DIR=$cfg "$BIN" key generate holder --type ec-p256 >/dev/null
  GRANTSCOPE_CONFIG_DIR=$cfg "$BIN" sandbox --port 0 --json --auto-approve alice \
    --id-token-encryption-key class-enc --key-dir "$cfg/sandbox-keys" >"$cfg/sandbox.json" 2>/dev/null &
  local sandbox_pid=$!
  for _ in $(seq 100); do [ -s "$cfg/sandbox.json" ] && break; sleep 0.1; done
  local issuer
  issuer=$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["issuer"])' "$cfg/sandbox.json")
  GRANTSCOPE_CONFIG_DIR=$cfg "$BIN" token authorization-code --issuer "$issuer" --client-id sandbox-native \
    --auth-method none --scope "openid profile email" --no-browser --decryption-key class-enc --json \
    >"$cfg/flow.json" 2>"$cfg/flow.err" &
  local flow_pid=$!
  for _ in $(seq 100); do grep -q '^authorize: ' "$cfg/flow.err" 2>/dev/null && break; sleep 0.1; done
  # Auto-approve: the authorization endpoint redirects at once to the loopback listener.
  curl -s -L -o /dev/null "$(sed -n 's/^authorize: //p' "$cfg/flow.err" | head -1)"
  wait "$flow_pid" || true
  python3 - "$cfg" <<'PY'
import json, subprocess, sys, os
cfg = sys.argv[1]
flow = json.load(open(f"{cfg}/flow.json"))
open(f"{cfg}/id_token.jwe", "w").write(flow["response"]["id_token"])
open(f"{cfg}/access_token", "w").write(flow["response"]["access_token"])
PY
  GRANTSCOPE_CONFIG_DIR=$cfg "$BIN" key show holder --jwks \
    | python3 -c 'import json,sys; print(json.dumps({"holder_jwk": json.load(sys.stdin)["keys"][0]}))' >"$cfg/holder.json"
  curl -s -X POST -H "Authorization: Bearer $(cat "$cfg/access_token")" -H 'content-type: application/json' \
    --data @"$cfg/holder.json" "$issuer/credential" \
    | python3 -c 'import json,sys; sys.stdout.write(json.load(sys.stdin)["credential"])' >"$cfg/credential.sdjwt"
  kill "$sandbox_pid" 2>/dev/null || true
  wait "$sandbox_pid" 2>/dev/null || true
  SHOT_CFG=$cfg TOKEN_FILE=$cfg/id_token.jwe shot inspector-jwe inspector
  SHOT_CFG=$cfg TOKEN_FILE=$cfg/credential.sdjwt shot inspector-sdjwt inspector
}

if [ "${ONLY:-}" = tokens ]; then
  OUT=docs/screenshots
  mkdir -p "$OUT"
  screen_of 1600 1000
  ZOOM=1.0
  token_shots
  exit 0
fi

if [ "${ONLY:-}" = step ]; then
  OUT=docs/screenshots/projector
  mkdir -p "$OUT"
  screen_of 1024 768
  ZOOM=1.5
  step_shots
  exit 0
fi

# A desktop: 1600x1000 at 100 %.
OUT=docs/screenshots
mkdir -p "$OUT"
screen_of 1600 1000
ZOOM=1.0
all_screens

# A projector: 1024x768 at 150 %.
OUT=docs/screenshots/projector
mkdir -p "$OUT"
screen_of 1024 768
ZOOM=1.5
all_screens
step_shots
