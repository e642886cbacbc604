#!/usr/bin/env bash
# Installs what `make run` and `make test` need on Debian 12 / Ubuntu, idempotently:
# a fast no-op when everything is already there. Each step prints how long it took.
#
#   apt packages     WebKitGTK build deps, Xvfb + WebKitWebDriver, gnome-keyring, test photos
#   npm              `npm install` in ui/ when node_modules is missing or older than package.json/lock
#   Python venv      moto[server] 5.x (the local S3 + IAM endpoint) and parliament (IAM policy
#                    linter, a test oracle) at $BUCKETDESK_TOOLS/venv
#   tauri-driver     the WebDriver bridge for the GUI tests, at $BUCKETDESK_TOOLS/bin
#   s3s-fs           with --tests only (make test, make setup): a real S3-compatible endpoint
#                    without STS (a folder served as S3) for the tests of endpoints without an
#                    identity service, at $BUCKETDESK_TOOLS/bin (~3 minutes the first time)
#   target dir       $CARGO_TARGET_DIR, outside the clone so every clone reuses it
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"

APT_PACKAGES=(
    # Tauri 2 on Linux (WebKitGTK 4.1)
    libwebkit2gtk-4.1-dev build-essential pkg-config file libssl-dev
    libayatana-appindicator3-dev librsvg2-dev libxdo-dev curl
    # GUI tests: a virtual display and the native WebDriver for WebKitGTK
    xvfb xauth webkit2gtk-driver
    # GUI tests read the X clipboard (a copied secret is cleared again after its timeout)
    xclip
    # Keychain tests: a real Secret Service under a private D-Bus session
    gnome-keyring dbus-x11 libsecret-tools
    # The local CDN's JPEG codec (libjpeg-turbo, built from source by turbojpeg-sys) and rav1e's SIMD
    cmake nasm
    # Real photographs for the image pipeline and the sandbox's seed bucket
    lomiri-wallpapers-20.04 lomiri-wallpapers-16.04 ukui-wallpapers
    # `python3 -m venv` on a system Python
    python3 python3-venv
    # Korean text in the UI (the base image has Latin fonts only)
    fonts-noto-cjk
)

timed() {
    local name="$1" start=$SECONDS
    shift
    "$@"
    printf 'setup: %s done in %ss\n' "$name" $((SECONDS - start))
}

missing_apt_packages() {
    # One dpkg-query for all: unknown packages print nothing on stdout.
    local installed
    installed="$(dpkg-query -W -f='${Package} ${db:Status-Status}\n' "${APT_PACKAGES[@]}" 2>/dev/null |
        awk '$2 == "installed" { print $1 }')" || true
    local pkg
    for pkg in "${APT_PACKAGES[@]}"; do
        grep -qxF "$pkg" <<<"$installed" || printf '%s\n' "$pkg"
    done
}

apt_packages() {
    local missing attempt
    mapfile -t missing < <(missing_apt_packages)
    if [ "${#missing[@]}" -eq 0 ]; then
        return 0
    fi
    echo "setup: apt packages missing: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    # Wait for another apt/dpkg run instead of failing on its lock.
    local lock=(-o DPkg::Lock::Timeout=600)
    as_root apt-get "${lock[@]}" update -q
    for attempt in 1 2 3; do
        # A concurrent apt run can delete downloaded .debs under us: retry.
        if as_root apt-get "${lock[@]}" install -y -q "${missing[@]}"; then
            return 0
        fi
        echo "setup: apt-get install failed (attempt $attempt of 3)" >&2
        sleep $((attempt * 5))
    done
    die "could not install apt packages: ${missing[*]}"
}

node_toolchain() {
    if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
        echo "setup: node/npm missing, installing Debian's nodejs and npm"
        as_root apt-get -o DPkg::Lock::Timeout=600 install -y -q nodejs npm
    fi
    local major
    major="$(node -p 'process.versions.node.split(".")[0]')"
    if [ "$major" -lt 20 ]; then
        die "Node.js $(node --version) is too old: the UI (Vite) needs Node 20 or newer"
    fi
}

# `npm install`, not `npm ci`: the registry here lacks the non-Linux optional
# @tauri-apps/cli-* packages that the lock file names, and `npm ci` fails on that.
npm_install_in() {
    local dir="$1" stamp="$1/node_modules/.bucketdesk-installed"
    if [ ! -f "$dir/package.json" ]; then
        echo "setup: no $dir/package.json yet, skipping npm install there"
        return 0
    fi
    if [ -f "$stamp" ] && [ ! "$dir/package.json" -nt "$stamp" ] &&
        { [ ! -f "$dir/package-lock.json" ] || [ ! "$dir/package-lock.json" -nt "$stamp" ]; }; then
        return 0
    fi
    echo "setup: npm install in ${dir#"$BUCKETDESK_ROOT"/}"
    (cd "$dir" && npm install --no-audit --no-fund)
    touch "$stamp"
}

npm_packages() {
    node_toolchain
    npm_install_in "$BUCKETDESK_ROOT/ui"
    if [ -f "$BUCKETDESK_ROOT/ui/e2e/package.json" ]; then
        npm_install_in "$BUCKETDESK_ROOT/ui/e2e"
    fi
}

moto_venv() {
    local py="$BUCKETDESK_VENV/bin/python"
    # Reuse a working venv with moto 5 and its server extras; rebuild a broken one
    # (e.g. its base interpreter is gone).
    if [ -x "$BUCKETDESK_MOTO_SERVER" ] && "$py" -c '
import sys
from importlib.metadata import version
version("flask"), version("flask-cors")  # the [server] extras
version("parliament")  # the IAM policy linter the tests use as an oracle
version("crc32c")  # without it moto computes CRC32 where CRC32C is asked for
sys.exit(0 if version("moto").startswith("5.") else 1)' >/dev/null 2>&1; then
        return 0
    fi
    echo "setup: creating the moto venv at $BUCKETDESK_VENV"
    mkdir -p "$BUCKETDESK_TOOLS"
    if [ -d "$BUCKETDESK_VENV" ] && ! "$py" -c 'pass' >/dev/null 2>&1; then
        rm -rf "$BUCKETDESK_VENV"
    fi
    python3 -m venv "$BUCKETDESK_VENV"
    "$py" -m pip install -q --disable-pip-version-check 'moto[server]>=5,<6' 'parliament>=1.6,<2' 'crc32c>=2,<3'
    "$py" -c 'import moto; print("setup: moto", moto.__version__)'
}

tauri_driver() {
    if [ -x "$TAURI_DRIVER" ]; then
        return 0
    fi
    echo "setup: installing tauri-driver into $BUCKETDESK_TOOLS/bin"
    # Its own temp target dir: the shared one may be locked by a running project build.
    env -u CARGO_TARGET_DIR cargo install tauri-driver --version '^2' --locked --root "$BUCKETDESK_TOOLS"
}

s3s_fs() {
    if [ "$for_tests" != yes ] || [ -x "$BUCKETDESK_S3S_FS" ]; then
        return 0
    fi
    echo "setup: installing s3s-fs 0.14.1 into $BUCKETDESK_TOOLS/bin (about 3 minutes)"
    env -u CARGO_TARGET_DIR cargo install s3s-fs --version 0.14.1 --features binary --locked --root "$BUCKETDESK_TOOLS"
}

rust_components() {
    command -v cargo >/dev/null 2>&1 || die "cargo not found: install Rust with rustup first"
    local missing=()
    cargo fmt --version >/dev/null 2>&1 || missing+=(rustfmt)
    cargo clippy --version >/dev/null 2>&1 || missing+=(clippy)
    if [ "${#missing[@]}" -gt 0 ]; then
        echo "setup: rustup component add ${missing[*]}"
        rustup component add "${missing[@]}"
    fi
}

target_dir() {
    mkdir -p "$CARGO_TARGET_DIR"
}

for_tests=no
if [ "${1:-}" = --tests ]; then
    for_tests=yes
fi

total_start=$SECONDS
timed "apt packages" apt_packages
timed "npm packages" npm_packages
timed "moto venv" moto_venv
timed "rust components" rust_components
timed "tauri-driver" tauri_driver
timed "s3s-fs" s3s_fs
timed "target dir" target_dir
echo "setup: ready in $((SECONDS - total_start))s (tools in $BUCKETDESK_TOOLS, target dir $CARGO_TARGET_DIR)"
