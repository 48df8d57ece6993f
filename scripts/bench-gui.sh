#!/usr/bin/env bash
# Desktop app benchmarks, printed side by side with a bare eframe window built from the same
# eframe/egui versions (examples/bare_window.rs), under Xvfb with software OpenGL:
#
#   0. from outside, median of RUNS starts of each, in turns: the bare window, the app's first
#      launch (an empty config dir: no gui.json, no profiles, no window.ron) and a later one
#      (gui.json there), each with the pointer outside the window and resting over its middle:
#      first non-blank content (the window's top-left shows more than one colour)   target: app <= 1.3x bare
#      start-up CPU (user + system, all threads) until the process goes idle        target: app <= 2x bare
#      and, from inside, every frame until idle: when, its CPU, what the app computed, why it
#      ran (what egui was asked to repaint for); frames in the first second
#   1. cold start to first frame (median of RUNS)            target: app <= 1.3x bare
#   2. idle CPU over 10 s, nothing animating                 target: 0 %
#      idle CPU over 10 s, token countdown on screen         target: <= 1 % of a core
#   3. resident memory after start                           target: app <= 1.5x bare
#   4. inspector with a 200 KB token of 5,000 claims: CPU per frame, p99   target: < 8 ms
#   5. frames while a token request waits 5 s on a slow loopback server    target: none > 50 ms
#
# ONLY=startup runs part 0 alone. Prints figures only; nothing here is a test. Needs the Debian packages of screenshot.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v Xvfb >/dev/null || need+=(xvfb)
command -v import >/dev/null || need+=(imagemagick)
command -v xdpyinfo >/dev/null || need+=(x11-utils)
command -v xdotool >/dev/null || need+=(xdotool)
dpkg -s libgl1-mesa-dri >/dev/null 2>&1 || need+=(libgl1-mesa-dri)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

TARGET=${CARGO_TARGET_DIR:-target}
cargo build --release --bin grantscope --example bare_window
APP=$TARGET/release/grantscope
BARE=$TARGET/release/examples/bare_window
RUNS=${RUNS:-5}
DISPLAY_NUM=${DISPLAY_NUM:-:98}
export DISPLAY=$DISPLAY_NUM LIBGL_ALWAYS_SOFTWARE=1

# -br: a black root window, so "non-blank" means the program drew something. The screen is
# twice as wide as the windows (1280x800 at 0,0) so that the pointer, which starts at its centre,
# rests outside them: no hover effect or tooltip runs (xdotool cannot move it on every Xvfb).
Xvfb "$DISPLAY_NUM" -screen 0 2600x820x24 -br -nolisten tcp >/dev/null 2>&1 &
XVFB_PID=$!
# A second screen as large as the window: there the pointer rests over the window's middle as
# it opens, as a person's pointer may (it hovers a widget; a tooltip may wait, then fade in).
DISPLAY_OVER=${DISPLAY_OVER:-:97}
Xvfb "$DISPLAY_OVER" -screen 0 1280x800x24 -br -nolisten tcp >/dev/null 2>&1 &
XVFB_OVER_PID=$!
WORK=$(mktemp -d)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  kill "$XVFB_PID" "$XVFB_OVER_PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
for d in "$DISPLAY_NUM" "$DISPLAY_OVER"; do
  for _ in $(seq 50); do xdpyinfo -display "$d" >/dev/null 2>&1 && break; sleep 0.1; done
done
xdotool mousemove 1599 999 || true

CLK_TCK=$(getconf CLK_TCK)
cfg() { # a fresh config dir on the given screen, sandbox profile already created
  local d
  d=$(mktemp -d -p "$WORK")
  printf '{"screen":"%s","sandbox_profile_created":true}\n' "$1" >"$d/gui.json"
  echo "$d"
}
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

# ---- 0. first non-blank content and start-up CPU, from outside ------------------------------
nonblank() { # whether the top-left corner of the screen shows more than one colour
  import -display "$DISPLAY" -window root -crop 240x60+0+0 +repage png:- 2>/dev/null |
    identify -format '%k' - 2>/dev/null | awk '{exit !($1 > 1)}'
}
# Where the pointer rests while a program starts: outside the window (the first screen), or
# over its middle (the second).
screen_for() { if [ "$1" = outside ]; then echo "$DISPLAY_NUM"; else echo "$DISPLAY_OVER"; fi; }
startup_once() { # BIN [env...]: prints "first_nonblank_ms startup_cpu_ms"
  local bin=$1
  shift
  local t0 pid fb=-1 last=-1 same=0 t
  xdotool mousemove 1599 999 >/dev/null 2>&1 || true
  t0=$(date +%s%N)
  env "$@" "$bin" >/dev/null 2>&1 &
  pid=$!
  PIDS+=("$pid")
  for _ in $(seq 400); do
    if nonblank; then fb=$((($(date +%s%N) - t0) / 1000000)); break; fi
  done
  # Idle: no CPU tick for a whole second (ten samples 100 ms apart), 15 s at most.
  for _ in $(seq 150); do
    t=$(ticks "$pid" 2>/dev/null || echo -1)
    if [ "$t" = "$last" ]; then same=$((same + 1)); else same=0; fi
    last=$t
    [ "$same" -ge 10 ] && break
    sleep 0.1
  done
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  # Blank the screen again for the next start.
  sleep 0.3
  echo "$fb $((last * 1000 / CLK_TCK))"
}
# The bare window, the app's first launch (a new empty config dir each time: no gui.json, no
# profiles, no window.ron) and a later launch (gui.json there), started in turns (a shared
# machine's load drifts; all three see the same drift), with the pointer outside and over.
C0=$(cfg wizard)
declare -A runs=()
for _ in $(seq "$RUNS"); do
  for where in outside over; do
    DISPLAY=$(screen_for "$where")
    runs[bare_$where]+="$(startup_once "$BARE")"$'\n'
    runs[first_$where]+="$(startup_once "$APP" GRANTSCOPE_CONFIG_DIR="$(mktemp -d -p "$WORK")")"$'\n'
    runs[later_$where]+="$(startup_once "$APP" GRANTSCOPE_CONFIG_DIR="$C0")"$'\n'
  done
done
DISPLAY=$DISPLAY_NUM
col() { grep . <<<"$2" | awk -v c="$1" '{print $c}' | median; }
# Inside: every frame until the program goes idle (what runs before the first idle frame).
frames_of() { # DISPLAY BIN [env...]: the startup_frame lines of one start on that screen
  local on=$1 bin=$2
  shift 2
  env "$@" DISPLAY="$on" GRANTSCOPE_BENCH_T0_NS="$(date +%s%N)" GRANTSCOPE_BENCH_STARTUP_LOG=1 \
    timeout 6 "$bin" 2>/dev/null | grep '^startup_frame' |
    sed 's|/[^ ;]*/index.crates.io-[^/]*/||g' || true
  sleep 0.3
}
first_second() { # how many frames ended within the first second
  awk '{split($3, a, "="); if (a[2] < 1000) n++} END {print n + 0}' <<<"$1"
}
declare -A logs=()
for where in outside over; do
  on=$(screen_for "$where")
  logs[bare_$where]=$(frames_of "$on" "$BARE")
  logs[first_$where]=$(frames_of "$on" "$APP" GRANTSCOPE_CONFIG_DIR="$(mktemp -d -p "$WORK")")
  logs[later_$where]=$(frames_of "$on" "$APP" GRANTSCOPE_CONFIG_DIR="$(cfg wizard)")
done

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a > 0) printf "%.2fx", b / a; else print "-" }'; }
startup_rows() {
  local where launch bfb bcpu fb cpu
  for where in outside over; do
    for launch in first later; do
      bfb=$(col 1 "${runs[bare_$where]}")
      bcpu=$(col 2 "${runs[bare_$where]}")
      fb=$(col 1 "${runs[${launch}_$where]}")
      cpu=$(col 2 "${runs[${launch}_$where]}")
      echo "$launch launch, pointer $where the window:"
      printf '%-44s %11s ms %11s ms %10s\n' "  first non-blank content (outside)" "$bfb" "$fb" "$(ratio "$bfb" "$fb")"
      printf '%-44s %11s ms %11s ms %10s\n' "  start-up CPU until idle (outside)" "$bcpu" "$cpu" "$(ratio "$bcpu" "$cpu")"
      printf '%-44s %14s %14s %10s\n' "  frames in the first second (inside)" \
        "$(first_second "${logs[bare_$where]}")" "$(first_second "${logs[${launch}_$where]}")" ""
    done
  done
}
startup_frames() {
  local where
  echo "frames until idle: since start, eframe CPU, the app's own logic+ui, why it ran:"
  for where in outside over; do
    echo " bare window, pointer $where:"
    echo "${logs[bare_$where]}" | sed 's/^/  /'
    echo " app, first launch (empty config dir), pointer $where:"
    echo "${logs[first_$where]}" | sed 's/^/  /'
    echo " app, later launch (gui.json there), pointer $where:"
    echo "${logs[later_$where]}" | sed 's/^/  /'
  done
}
# ONLY=startup: part 0 alone.
if [ "${ONLY:-}" = startup ]; then
  echo
  echo "grantscope GUI start-up ($(nproc) cores, Xvfb + llvmpipe, release build, median of $RUNS starts)"
  printf '%-44s %14s %14s %10s\n' "measure" "bare window" "grantscope" "ratio"
  startup_rows
  echo
  startup_frames
  exit 0
fi

# ---- 1. cold start ---------------------------------------------------------------------------
first_frame() { # BIN [env...]
  local bin=$1
  shift
  for _ in $(seq "$RUNS"); do
    env "$@" GRANTSCOPE_BENCH_T0_NS="$(date +%s%N)" GRANTSCOPE_BENCH_EXIT=first-frame "$bin" 2>/dev/null |
      sed -n 's/^first_frame_ms=//p'
  done | median
}
C1=$(cfg wizard)
"$APP" --help >/dev/null 2>&1 || true # page the binary in once, like the bare one below
"$BARE" >/dev/null 2>&1 & sleep 0.1; kill $! 2>/dev/null || true
bare_start=$(first_frame "$BARE")
app_start=$(first_frame "$APP" GRANTSCOPE_CONFIG_DIR="$C1")

# ---- 2 + 3. idle CPU and memory --------------------------------------------------------------
idle() { # prints "cpu_percent rss_kb" for a program started with the given env
  local bin=$1
  shift
  env "$@" "$bin" >/dev/null 2>&1 &
  local pid=$!
  PIDS+=("$pid")
  sleep 4
  xdotool mousemove 1599 999 || true
  sleep 1
  local t0 t1 r0 r1 rss
  t0=$(ticks "$pid")
  r0=$(raster_ticks "$pid")
  rss=$(rss_kb "$pid")
  sleep 10
  t1=$(ticks "$pid")
  r1=$(raster_ticks "$pid")
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  awk -v d=$((t1 - t0)) -v r=$((r1 - r0)) -v hz="$CLK_TCK" -v rss="$rss" \
    'BEGIN {printf "%.2f %d %.2f\n", d / hz / 10 * 100, rss, (d - r) / hz / 10 * 100}'
}
# CPU ticks of Mesa's software rasterizer threads (llvmpipe), which a GPU would take over.
raster_ticks() {
  local sum=0 t
  for t in /proc/"$1"/task/*; do
    case "$(cat "$t/comm" 2>/dev/null)" in
      llvmpipe*) sum=$((sum + $(awk '{print $14 + $15}' "$t/stat" 2>/dev/null || echo 0))) ;;
    esac
  done
  echo "$sum"
}
# A token valid for an hour, so the countdown runs (signature unverifiable: no key given).
python3 - "$WORK/countdown.jwt" <<'PY'
import base64, json, sys, time
b = lambda o: base64.urlsafe_b64encode(json.dumps(o).encode()).rstrip(b"=").decode()
now = int(time.time())
tok = b({"alg": "RS256", "typ": "at+jwt"}) + "." + b({"iss": "https://bench.example", "sub": "bench", "iat": now, "exp": now + 3600}) + "." + "c2ln"
open(sys.argv[1], "w").write(tok)
PY
read -r bare_idle bare_rss bare_idle_norast < <(idle "$BARE")
read -r app_idle app_rss app_idle_norast < <(idle "$APP" GRANTSCOPE_CONFIG_DIR="$(cfg wizard)")
read -r app_count _ app_count_norast < <(idle "$APP" GRANTSCOPE_CONFIG_DIR="$(cfg inspector)" GRANTSCOPE_SCREEN=inspector \
  GRANTSCOPE_START_TOKEN_FILE="$WORK/countdown.jwt")

# ---- 4. the inspector with a 200 KB token of 5,000 claims ------------------------------------
python3 - "$WORK/big.jwt" <<'PY'
import base64, json, sys, time
b = lambda o: base64.urlsafe_b64encode(json.dumps(o, separators=(",", ":")).encode()).rstrip(b"=").decode()
now = int(time.time())
claims = {"iss": "https://bench.example", "sub": "bench", "iat": now, "exp": now + 3600}
for i in range(4996):
    claims[f"claim_{i:04d}"] = f"value {i:04d} " + "x" * 14
tok = b({"alg": "RS256", "typ": "JWT"}) + "." + b(claims) + "." + "c2ln"
open(sys.argv[1], "w").write(tok)
print(f"big token: {len(tok)} bytes, {len(claims)} claims", file=sys.stderr)
PY
big=$(env GRANTSCOPE_CONFIG_DIR="$(cfg inspector)" GRANTSCOPE_SCREEN=inspector \
  GRANTSCOPE_START_TOKEN_FILE="$WORK/big.jwt" GRANTSCOPE_BENCH_FRAMES=300 GRANTSCOPE_BENCH_WARMUP=60 \
  "$APP" 2>/dev/null | grep '^frames=' || echo "frames=? (no output)")
bare_frames=$(env GRANTSCOPE_BENCH_FRAMES=300 "$BARE" 2>/dev/null | grep '^frames=' || true)

# ---- 5. a token request that waits 5 s on a slow server --------------------------------------
PORT_FILE="$WORK/slow.port"
python3 - "$PORT_FILE" <<'PY' &
import http.server, json, sys, time
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("content-length", 0)))
        time.sleep(5)
        body = json.dumps({"access_token": "slow-opaque-token", "token_type": "Bearer", "expires_in": 60}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
open(sys.argv[1], "w").write(str(s.server_address[1]))
s.timeout = 30
s.handle_request()
PY
SLOW_PID=$!
PIDS+=("$SLOW_PID")
for _ in $(seq 50); do [ -s "$PORT_FILE" ] && break; sleep 0.1; done
C5=$(cfg flow)
mkdir -p "$C5/profiles"
printf '{"version":1,"name":"slow","token_endpoint":"http://127.0.0.1:%s/token","client_id":"bench","client_secret":"bench-secret"}\n' \
  "$(cat "$PORT_FILE")" >"$C5/profiles/slow.json"
printf '{"screen":"flow","sandbox_profile_created":true,"active_profile":"slow"}\n' >"$C5/gui.json"
slow=$(env GRANTSCOPE_CONFIG_DIR="$C5" GRANTSCOPE_START_RUN=client-credentials GRANTSCOPE_BENCH_SECONDS=6 \
  GRANTSCOPE_BENCH_WARMUP=5 "$APP" 2>/dev/null | grep '^frames=' || echo "frames=? (no output)")
wait "$SLOW_PID" 2>/dev/null && slow_served=yes || slow_served=no

# ---- report ----------------------------------------------------------------------------------
echo
echo "grantscope GUI benchmark ($(nproc) cores, Xvfb + llvmpipe, release build, median of $RUNS starts)"
printf '%-44s %14s %14s %10s\n' "measure" "bare window" "grantscope" "ratio"
startup_rows
printf '%-44s %11s ms %11s ms %10s\n' "cold start to first frame (inside)" "$bare_start" "$app_start" "$(ratio "$bare_start" "$app_start")"
printf '%-44s %12s %% %12s %% %10s\n' "idle CPU, 10 s, nothing animating" "$bare_idle" "$app_idle" ""
printf '%-44s %14s %12s %% %10s\n' "idle CPU, 10 s, countdown visible" "-" "$app_count" ""
printf '%-44s %14s %12s %% %10s\n' "  of which not the llvmpipe rasterizer" "-" "$app_count_norast" ""
printf '%-44s %11s MB %11s MB %10s\n' "resident memory after start" "$((bare_rss / 1024))" "$((app_rss / 1024))" "$(ratio "$bare_rss" "$app_rss")"
echo
echo "inspector, 200 KB token / 5,000 claims (300 frames, continuous repaint):"
echo "  grantscope:  $big"
echo "  bare window: $bare_frames"
echo "token request waiting 5 s on a slow server (6 s of continuous repaint; served: $slow_served):"
echo "  grantscope:  $slow"
echo
startup_frames
echo
echo "cpu_ms = eframe's per-frame CPU time (UI + tessellation + software GL painting);"
echo "ui_ms = the app's own logic+ui; gap_ms = wall time between frames."
