#!/usr/bin/env bash
# Build times side by side: a baseline commit (default: 9c07923, the last single-crate tree)
# and this checkout's HEAD, each cloned fresh with its own target dir, built the same way:
# a clean `cargo build --release`, then the rebuild after touching one screen file and after
# touching one core file, interleaved so both see the same machine load. Prints wall and CPU
# seconds for each. Takes about 20 minutes on 2 cores when idle (two clean release builds).
#
#   scripts/bench-build.sh [BASELINE_COMMIT]
set -euo pipefail
cd "$(dirname "$0")/.."
base=${1:-9c07923}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
git clone -q . "$work/before" && git -C "$work/before" checkout -q "$base"
git clone -q . "$work/after"
# The screen and core files touched on each side (the same files, before and after the move).
pick() { for f in "$@"; do [ -f "$f" ] && { echo "$f"; return; }; done; echo "none"; }
b_screen=$(cd "$work/before" && pick src/gui/flow.rs crates/gui/src/flow/form.rs)
b_core=$(cd "$work/before" && pick src/token/decode.rs crates/core/src/token/decode.rs)
a_screen=$(cd "$work/after" && pick crates/gui/src/flow/form.rs src/gui/flow.rs)
a_core=$(cd "$work/after" && pick crates/core/src/token/decode.rs src/token/decode.rs)
build() { # DIR LABEL [FILE TO TOUCH]
  local dir=$1 label=$2
  [ -n "${3:-}" ] && touch "$dir/$3"
  ( cd "$dir" && CARGO_TARGET_DIR="$dir/target" /usr/bin/time -f "%e %U %S" -o "$work/t" \
      cargo build --release -q --bin grantscope )
  read -r wall user sys < "$work/t"
  printf '%-58s wall %7.1f s   cpu %7.1f s\n' "$label" "$wall" "$(echo "$user + $sys" | bc)"
}
echo "baseline $(git -C "$work/before" log --oneline -1 | cut -c1-60)"
echo "current  $(git -C "$work/after" log --oneline -1 | cut -c1-60)"
build "$work/before" "before: clean cargo build --release"
build "$work/after" "after:  clean cargo build --release"
build "$work/before" "before: touch $b_screen" "$b_screen"
build "$work/after" "after:  touch $a_screen" "$a_screen"
build "$work/before" "before: touch $b_core" "$b_core"
build "$work/after" "after:  touch $a_core" "$a_core"
