#!/usr/bin/env bash
# Renders the desktop icons (assets/icons/hicolor/NxN/apps/grantscope.png) from
# assets/icons/grantscope.svg with rsvg-convert (Debian: librsvg2-bin). The PNGs are committed,
# so the package build does not need this; run it after changing the SVG.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v rsvg-convert >/dev/null || { echo "error: rsvg-convert is missing (apt-get install librsvg2-bin)" >&2; exit 2; }
for n in 16 22 24 32 48 64 128 256 512; do
  dir="assets/icons/hicolor/${n}x${n}/apps"
  mkdir -p "$dir"
  rsvg-convert -w "$n" -h "$n" assets/icons/grantscope.svg -o "$dir/grantscope.png"
  echo "$dir/grantscope.png"
done
