#!/usr/bin/env bash
# Usage: scripts/package-test.sh [PATH.deb]   (make package-test)
#
# Checks that the .deb installs and runs: builds it with scripts/package.sh unless a path is
# given, checks its declared dependencies, installs it with `dpkg -i` (needs root or sudo),
# checks what landed where (binary, desktop entry, icons), runs the installed
# `bucketdesk --version`, then removes the package again.
#
# Not part of `make test`: a cold release build takes about 20 minutes on 2 cores (a warm
# one a few minutes); CI has the debug build only.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$BUCKETDESK_ROOT"

if [ "$#" -ge 1 ]; then
    deb="$1"
else
    deb="$("$BUCKETDESK_ROOT/scripts/package.sh" | tail -n 1)"
fi
[ -f "$deb" ] || die "no such package: $deb"
version="$(sed -n 's/^  "version": "\(.*\)",$/\1/p' tauri.conf.json)"
failures=0
check() {
    local what="$1"
    shift
    if "$@"; then
        echo "ok: $what"
    else
        echo "FAILED: $what" >&2
        failures=$((failures + 1))
    fi
}

step "package metadata ($deb)"
name="$(dpkg-deb -f "$deb" Package)"
depends="$(dpkg-deb -f "$deb" Depends)"
recommends="$(dpkg-deb -f "$deb" Recommends)"
echo "Package: $name  Version: $(dpkg-deb -f "$deb" Version)"
echo "Depends: $depends"
echo "Recommends: $recommends"
check "package is named bucketdesk" test "$name" = bucketdesk
check "version $version" test "$(dpkg-deb -f "$deb" Version)" = "$version"
check "depends on WebKitGTK 4.1" grep -q 'libwebkit2gtk-4.1-0' <<<"$depends"
check "depends on GTK 3" grep -q 'libgtk-3-0' <<<"$depends"
check "depends on libdbus (linked directly)" grep -q 'libdbus-1-3' <<<"$depends"
check "recommends gnome-keyring (the sandbox keychain)" grep -q 'gnome-keyring' <<<"$recommends"
check "recommends dbus (the sandbox keychain's private session)" grep -qw 'dbus' <<<"$recommends"

step "dpkg -i"
cleanup() { as_root dpkg -r "$name" >/dev/null 2>&1 || true; }
trap cleanup EXIT
export DEBIAN_FRONTEND=noninteractive
if ! as_root dpkg -i "$deb"; then
    # A fresh machine may lack a declared dependency: let apt bring it, as `apt install ./x.deb`
    # would.
    as_root apt-get -o DPkg::Lock::Timeout=600 install -f -y -q
fi
check "dpkg says it is installed" \
    test "$(dpkg-query -W -f='${db:Status-Status}' "$name" 2>/dev/null)" = installed

step "what landed where"
files="$(dpkg -L "$name")"
desktop="$(grep -E '^/usr/share/applications/.*\.desktop$' <<<"$files" | head -n 1)"
echo "binary: $(grep -E '^/usr/bin/' <<<"$files" | tr '\n' ' ')"
echo "desktop entry: $desktop"
echo "icons: $(grep -cE '^/usr/share/icons/hicolor/.*/apps/.*\.png$' <<<"$files") PNG files"
check "the binary is /usr/bin/bucketdesk" test -x /usr/bin/bucketdesk
check "a desktop entry" test -f "$desktop"
check "the desktop entry starts bucketdesk" grep -qx 'Exec=bucketdesk' "$desktop"
check "the desktop entry names its icon" grep -qx 'Icon=bucketdesk' "$desktop"
check "icons in the hicolor theme" grep -qE '^/usr/share/icons/hicolor/128x128/apps/bucketdesk\.png$' <<<"$files"
if command -v desktop-file-validate >/dev/null 2>&1; then
    check "desktop-file-validate accepts the entry" desktop-file-validate "$desktop"
fi

step "the installed bucketdesk --version"
out="$(/usr/bin/bucketdesk --version)"
echo "$out"
check "prints bucketdesk $version" test "$out" = "bucketdesk $version"
check "found on PATH as /usr/bin/bucketdesk" test "$(command -v bucketdesk)" = /usr/bin/bucketdesk

if [ "$failures" -ne 0 ]; then
    die "package test: $failures check(s) failed"
fi
echo "package test: $deb installs and runs"
