#!/usr/bin/env bash
# The packaging check (.ci/run runs it after the tests): the desktop entry and the AppStream
# metainfo pass the freedesktop validators, then the Debian package is built
# (scripts/package-deb.sh: a release build, about 10 minutes from clean on an idle 2-core
# machine) and unpacked into a scratch root with dpkg -x, where every file must be where the
# desktop entry, the icon theme, the man path and the shells look for it; every manual page
# renders with man -l, the installed bash completion completes, and the installed binary
# runs --version with this checkout's version and commit.
# Installs desktop-file-utils, appstream, man-db, dpkg-dev and file when missing (Debian).
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v desktop-file-validate >/dev/null || need+=(desktop-file-utils)
command -v appstreamcli >/dev/null || need+=(appstream)
command -v man >/dev/null || need+=(man-db)
command -v dpkg-shlibdeps >/dev/null || need+=(dpkg-dev)
command -v file >/dev/null || need+=(file)
if [ ${#need[@]} -gt 0 ]; then
  echo "== apt-get install ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

checks=0
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { checks=$((checks + 1)); echo "ok: $*"; }

desktop=assets/grantscope.desktop
metainfo=$(ls assets/*.metainfo.xml)
id=$(sed -n 's:.*<id>\(.*\)</id>.*:\1:p' "$metainfo")
[ "$(basename "$metainfo")" = "$id.metainfo.xml" ] || fail "$metainfo is not named after its id $id"

echo "== validators"
desktop-file-validate "$desktop" || fail "desktop-file-validate $desktop"
ok "desktop-file-validate $desktop"
appstreamcli validate --no-net "$metainfo" || fail "appstreamcli validate $metainfo"
ok "appstreamcli validate --no-net $metainfo"
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
grep -q "<release version=\"$version\"" "$metainfo" || fail "$metainfo has no <release> for $version (Cargo.toml)"
ok "the metainfo's release names $version"

echo "== the Debian package"
deb=$(./scripts/package-deb.sh | tail -1)
[ -f "$deb" ] || fail "scripts/package-deb.sh made no package ($deb)"
dpkg-deb --info "$deb" | sed -n 's/^ \(Package\|Version\|Depends\|Installed-Size\):/  &/p'
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
dpkg -x "$deb" "$root"
ok "dpkg -x $(basename "$deb") into a scratch root"

# The binary: where Exec= finds it on PATH, and it runs.
exec_name=$(sed -n 's/^Exec=\([^ ]*\).*/\1/p' "$desktop")
[ -x "$root/usr/bin/$exec_name" ] || fail "Exec=$exec_name: no /usr/bin/$exec_name in the package"
ok "Exec=$exec_name is /usr/bin/$exec_name"
commit=unknown
if top=$(git rev-parse --show-toplevel 2>/dev/null) && [ "$(realpath "$top")" = "$(realpath .)" ]; then
  commit=$(git rev-parse --short HEAD)
fi
said=$("$root/usr/bin/grantscope" --version)
[ "$said" = "grantscope $version (commit $commit)" ] \
  || fail "the installed binary says '$said', not 'grantscope $version (commit $commit)'"
ok "installed grantscope --version: $said"

# The desktop entry, the metainfo and the icons where the desktop and software centres look.
installed_desktop="$root/usr/share/applications/grantscope.desktop"
[ -f "$installed_desktop" ] || fail "no /usr/share/applications/grantscope.desktop"
desktop-file-validate "$installed_desktop" || fail "the installed desktop entry is not valid"
ok "/usr/share/applications/grantscope.desktop (valid)"
installed_meta="$root/usr/share/metainfo/$id.metainfo.xml"
[ -f "$installed_meta" ] || fail "no /usr/share/metainfo/$id.metainfo.xml"
launchable=$(sed -n 's:.*<launchable type="desktop-id">\(.*\)</launchable>.*:\1:p' "$installed_meta")
[ -f "$root/usr/share/applications/$launchable" ] || fail "the metainfo launches $launchable, not in the package"
ok "/usr/share/metainfo/$id.metainfo.xml launches $launchable"
icon=$(sed -n 's/^Icon=//p' "$desktop")
for size in 16 22 24 32 48 64 128 256 512; do
  png="$root/usr/share/icons/hicolor/${size}x${size}/apps/$icon.png"
  [ -f "$png" ] || fail "Icon=$icon: no hicolor ${size}x${size} icon"
  file "$png" | grep -q "PNG image data, $size x $size" || fail "$png is not a $size x $size PNG"
done
[ -f "$root/usr/share/icons/hicolor/scalable/apps/$icon.svg" ] || fail "Icon=$icon: no scalable icon"
ok "Icon=$icon: hicolor 16..512 PNGs and the scalable SVG"

# Manual pages: every page the binary makes is on the man path and renders.
pages=$(mktemp -d)
trap 'rm -rf "$root" "$pages"' EXIT
"$root/usr/bin/grantscope" man --out "$pages" >/dev/null
count=0
for page in "$pages"/*.1; do
  name=$(basename "$page" .1)
  installed="$root/usr/share/man/man1/$name.1.gz"
  [ -f "$installed" ] || fail "no man page $name(1) in the package"
  found=$(man -M "$root/usr/share/man" -w "$name") || fail "man -M …/usr/share/man does not find $name"
  [ "$found" = "$installed" ] || fail "man finds $name at $found"
  text=$(MANWIDTH=80 man --warnings -l "$installed" 2>"$pages/err") || fail "man -l $name.1.gz failed: $(cat "$pages/err")"
  [ ! -s "$pages/err" ] || fail "man -l $name.1.gz warns: $(cat "$pages/err")"
  grep -q "^NAME" <<<"$text" || fail "man -l $name.1.gz has no NAME section"
  count=$((count + 1))
done
[ "$count" -gt 20 ] || fail "only $count man pages"
[ "$(ls "$root/usr/share/man/man1" | wc -l)" = "$count" ] || fail "the package has other man pages than the binary makes"
ok "$count man pages on the man path, each rendered by man -l without warnings"

# Completions where bash-completion, zsh and fish look; the bash one completes.
for f in usr/share/bash-completion/completions/grantscope usr/share/zsh/vendor-completions/_grantscope \
  usr/share/fish/vendor_completions.d/grantscope.fish; do
  [ -s "$root/$f" ] || fail "no /$f"
done
completed=$(bash --norc --noprofile -c '
  source "$1"
  func=$(complete -p grantscope | sed -n "s/.* -F \([^ ]*\).*/\1/p")
  COMP_WORDS=(grantscope token --skip); COMP_CWORD=2
  COMP_LINE="grantscope token --skip"; COMP_POINT=${#COMP_LINE}
  "$func" grantscope --skip token
  printf "%s\n" "${COMPREPLY[@]}"' bash "$root/usr/share/bash-completion/completions/grantscope")
[ "$completed" = "--skip-check" ] || fail "the installed bash completion completes 'grantscope token --skip' to '$completed'"
ok "completions for bash, zsh and fish; bash completes 'grantscope token --skip' to --skip-check"

echo "== package check: all $checks checks passed ($(basename "$deb"), $(du -k "$deb" | cut -f1) KiB)"
