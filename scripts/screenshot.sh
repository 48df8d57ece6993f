#!/usr/bin/env bash
# Screenshots of every screen of the desktop app, taken under Xvfb with software OpenGL, into
# docs/screenshots/*.png, at the two sizes the README shows: a projector (1024x768 at 150 %
# zoom, docs/screenshots/projector/) and a desktop (1600x1000 at 100 %, docs/screenshots/).
# Installs Xvfb, Mesa and ImageMagick when missing (Debian packages).
#
#   scripts/screenshot.sh            # release build (as shipped)
#   PROFILE=dev scripts/screenshot.sh  # reuse the debug build
#   BIN=path/to/grantscope scripts/screenshot.sh  # a binary built elsewhere
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
  cfg=$(mktemp -d)
  TMPDIRS+=("$cfg")
  printf '{"screen":"%s","theme":"%s","zoom":%s%s}\n' "$screen" "$theme" "$ZOOM" "$extra" >"$cfg/gui.json"
  # The window fills the screen (GRANTSCOPE_WINDOW_SIZE, hidden, see src/gui/mod.rs).
  DISPLAY=$DISPLAY_NUM LIBGL_ALWAYS_SOFTWARE=1 GRANTSCOPE_CONFIG_DIR=$cfg \
    GRANTSCOPE_SCREEN=$screen GRANTSCOPE_START_RUN=$run GRANTSCOPE_WINDOW_SIZE="${W}x${H}" \
    "$BIN" >/dev/null 2>&1 &
  local pid=$!
  sleep "${SETTLE:-6}"
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
