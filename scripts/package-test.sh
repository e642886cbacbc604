#!/usr/bin/env bash
# Usage: scripts/package-test.sh [PATH.deb]   (make package-test)
#
# Checks that the .deb installs and runs: builds it with scripts/package.sh unless a path is
# given, checks its declared dependencies, installs it with `dpkg -i` (needs root or sudo),
# checks what landed where (binary, desktop entry, icons), runs the installed
# `bucketdesk --version`, then removes the package again. Where a bucketdesk package is
# already installed it is left alone: the .deb is unpacked into a temp folder and checked
# there instead.
#
# `make test` runs it with PACKAGE_PROFILE=debug (scripts/package.sh then bundles the debug
# build the GUI tests made): a cold release build would add about 20 minutes on 2 cores.
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

before="$(dpkg-query -W -f='${db:Status-Status} ${Version}' "$name" 2>/dev/null || true)"
if [[ "$before" == installed* ]]; then
    # Someone's own installed Bucketdesk is never replaced or removed by a test: the .deb is
    # unpacked into a temp folder and checked there (everything but dpkg's own bookkeeping).
    step "dpkg-deb -x (a $name package, version ${before#installed }, is installed: left alone)"
    root="$(mktemp -d "${TMPDIR:-/tmp}/bucketdesk-package.XXXXXX")"
    trap 'rm -rf "$root"' EXIT
    dpkg-deb -x "$deb" "$root"
    files="$(cd "$root" && find . -mindepth 1 | sed 's|^\.||')"
else
    step "dpkg -i"
    root=""
    cleanup() { as_root dpkg -r "$name" >/dev/null 2>&1 || true; }
    trap cleanup EXIT
    export DEBIAN_FRONTEND=noninteractive
    if ! as_root dpkg -i "$deb"; then
        # A fresh machine may lack a declared dependency: let apt bring it, as
        # `apt install ./x.deb` would.
        as_root apt-get -o DPkg::Lock::Timeout=600 install -f -y -q
    fi
    check "dpkg says it is installed" \
        test "$(dpkg-query -W -f='${db:Status-Status}' "$name" 2>/dev/null)" = installed
    files="$(dpkg -L "$name")"
fi

step "what landed where"
desktop="$(grep -E '^/usr/share/applications/.*\.desktop$' <<<"$files" | head -n 1)"
echo "binary: $(grep -E '^/usr/bin/' <<<"$files" | tr '\n' ' ')"
echo "desktop entry: $desktop"
echo "icons: $(grep -cE '^/usr/share/icons/hicolor/.*/apps/.*\.png$' <<<"$files") PNG files"
check "the binary is /usr/bin/bucketdesk" test -x "$root/usr/bin/bucketdesk"
check "a desktop entry" test -f "$root$desktop"
check "the desktop entry starts bucketdesk" grep -qx 'Exec=bucketdesk' "$root$desktop"
check "the desktop entry names its icon" grep -qx 'Icon=bucketdesk' "$root$desktop"
check "icons in the hicolor theme" grep -qE '^/usr/share/icons/hicolor/128x128/apps/bucketdesk\.png$' <<<"$files"
if command -v desktop-file-validate >/dev/null 2>&1; then
    check "desktop-file-validate accepts the entry" desktop-file-validate "$root$desktop"
fi

step "the installed bucketdesk --version"
out="$("$root/usr/bin/bucketdesk" --version)"
echo "$out"
check "prints bucketdesk $version" test "$out" = "bucketdesk $version"
if [ -z "$root" ]; then
    check "found on PATH as /usr/bin/bucketdesk" test "$(command -v bucketdesk)" = /usr/bin/bucketdesk
fi

if [ "$failures" -ne 0 ]; then
    die "package test: $failures check(s) failed"
fi
echo "package test: $deb installs and runs"
