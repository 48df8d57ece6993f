#!/usr/bin/env bash
# Builds the Debian package from the release binary, with dpkg-deb (no cargo-deb to compile):
#   scripts/package-deb.sh      ->  $CARGO_TARGET_DIR/debian/grantscope_VERSION-1_ARCH.deb
# (the path is the last line printed). The package installs:
#   /usr/bin/grantscope
#   /usr/share/man/man1/grantscope.1.gz and one page per subcommand (grantscope man --out)
#   /usr/share/bash-completion/completions/grantscope, /usr/share/zsh/vendor-completions/_grantscope,
#   /usr/share/fish/vendor_completions.d/grantscope.fish (grantscope completions SHELL)
#   /usr/share/applications/grantscope.desktop, /usr/share/metainfo/ID.metainfo.xml
#   /usr/share/icons/hicolor/{16x16,...,512x512}/apps/grantscope.png and scalable/apps/grantscope.svg
#   /usr/share/doc/grantscope/copyright
# Needs dpkg-dev (dpkg-shlibdeps works out Depends). The release build is most of the time: from
# clean 15 minutes of CPU, about 10 minutes on an idle 2-core machine (37 minutes measured while
# other builds shared the cores); seconds when target/release is current.
# scripts/check-package.sh builds it and checks what it installs.
set -euo pipefail
cd "$(dirname "$0")/.."

for tool in dpkg-deb dpkg-shlibdeps gzip; do
  command -v "$tool" >/dev/null || { echo "error: $tool is missing (apt-get install dpkg-dev)" >&2; exit 2; }
done

target=${CARGO_TARGET_DIR:-target}
echo "== cargo build --release (the desktop app and the command line)" >&2
start=$(date +%s)
cargo build --release --locked --bin grantscope >&2
echo "   release build: $(( $(date +%s) - start )) s" >&2
bin="$target/release/grantscope"

# "grantscope 0.1.0 (commit abc1234)" -> 0.1.0
version=$("$bin" --version | awk '{print $2}')
arch=$(dpkg --print-architecture)
metainfo=$(ls assets/*.metainfo.xml)
[ "$(echo "$metainfo" | wc -l)" = 1 ] || { echo "error: expected one assets/*.metainfo.xml" >&2; exit 2; }

out="$target/debian"
stage="$out/stage"
rm -rf "$stage"
mkdir -p "$stage/DEBIAN"

install -D -m 0755 "$bin" "$stage/usr/bin/grantscope"
strip --strip-unneeded "$stage/usr/bin/grantscope" 2>/dev/null || true

# Manual pages, from the binary's own clap definitions.
pages=$(mktemp -d)
trap 'rm -rf "$pages"' EXIT
"$bin" man --out "$pages" >/dev/null
mkdir -p "$stage/usr/share/man/man1"
for page in "$pages"/*.1; do
  gzip -9 -n -c "$page" >"$stage/usr/share/man/man1/$(basename "$page").gz"
done

# Completions where bash-completion, zsh (Debian's vendor folder) and fish look.
install -d "$stage/usr/share/bash-completion/completions" "$stage/usr/share/zsh/vendor-completions" \
  "$stage/usr/share/fish/vendor_completions.d"
"$bin" completions bash >"$stage/usr/share/bash-completion/completions/grantscope"
"$bin" completions zsh >"$stage/usr/share/zsh/vendor-completions/_grantscope"
"$bin" completions fish >"$stage/usr/share/fish/vendor_completions.d/grantscope.fish"

install -D -m 0644 assets/grantscope.desktop "$stage/usr/share/applications/grantscope.desktop"
install -D -m 0644 "$metainfo" "$stage/usr/share/metainfo/$(basename "$metainfo")"
for png in assets/icons/hicolor/*/apps/grantscope.png; do
  install -D -m 0644 "$png" "$stage/usr/share/${png#assets/}"
done
install -D -m 0644 assets/icons/grantscope.svg "$stage/usr/share/icons/hicolor/scalable/apps/grantscope.svg"

install -d "$stage/usr/share/doc/grantscope"
cat >"$stage/usr/share/doc/grantscope/copyright" <<'EOF'
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: grantscope

Files: *
Copyright: the grantscope developers
License: MIT or Apache-2.0
 grantscope may be used under the terms of either the MIT licence or the Apache
 License, version 2.0, at your choice (Cargo.toml: license = "MIT OR Apache-2.0").
 On Debian systems the Apache License 2.0 is in /usr/share/common-licenses/Apache-2.0.
 The MIT licence's text follows.
 .
EOF
# The MIT text from the repository's LICENSE-MIT, as the copyright file's continuation lines.
sed -e 's/^$/./' -e 's/^/ /' LICENSE-MIT >>"$stage/usr/share/doc/grantscope/copyright"

# Depends: the shared libraries the binary links (dpkg-shlibdeps reads its ELF header; it
# wants a debian/control to exist). Recommends: the libraries the desktop app opens at run time
# (X11 or Wayland, OpenGL/EGL, D-Bus: the sonames named in the release binary, found with
# `strings target/release/grantscope | grep -o 'lib[A-Za-z0-9_-]*\.so\.[0-9]*'`); the command
# line runs without them.
shlib=$(mktemp -d)
trap 'rm -rf "$pages" "$shlib"' EXIT
mkdir -p "$shlib/debian"
printf 'Source: grantscope\n\nPackage: grantscope\nArchitecture: any\n' >"$shlib/debian/control"
staged_bin=$(realpath "$stage/usr/bin/grantscope")
depends=$(cd "$shlib" && dpkg-shlibdeps -O -e "$staged_bin" 2>/dev/null \
  | sed -n 's/^shlibs:Depends=//p')
[ -n "$depends" ] || { echo "error: dpkg-shlibdeps found no dependencies" >&2; exit 2; }
size=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)

cat >"$stage/DEBIAN/control" <<EOF
Package: grantscope
Version: $version-1
Architecture: $arch
Maintainer: ${DEB_MAINTAINER:-grantscope developers <grantscope@invalid>}
Installed-Size: $size
Depends: $depends
Recommends: libegl1, libgl1, libx11-6, libx11-xcb1, libxcb1, libxcursor1, libxi6, libxrender1, libxkbcommon0, libxkbcommon-x11-0, libwayland-client0, libwayland-egl1, libdbus-1-3
Section: devel
Priority: optional
Description: OAuth 2.0 / OpenID Connect token inspector and flow tester
 A desktop app and a command line that run OAuth 2.0 and OpenID Connect grants
 against a real authorization server, show every HTTP exchange raw with the
 secrets masked, decode and verify tokens, and probe a server for what it
 accepts but must refuse. A built-in sandbox authorization server makes every
 flow work with no account and no internet.
EOF

deb="$out/grantscope_${version}-1_${arch}.deb"
dpkg-deb --root-owner-group -Zxz --build "$stage" "$deb" >&2
echo "$deb"
