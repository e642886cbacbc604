# shellcheck shell=bash
# Shared environment for Bucketdesk's developer scripts. Source it; don't run it.
#
# Everything heavy lives outside the clone so that fresh clones (CI) reuse it:
#   BUCKETDESK_TOOLS   the Python venv with moto, tauri-driver, and the cargo target dir
#   CARGO_TARGET_DIR   ~3+ GB of build output, shared by every clone on this machine

BUCKETDESK_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export BUCKETDESK_ROOT
export BUCKETDESK_TOOLS="${BUCKETDESK_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/bucketdesk-dev}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$BUCKETDESK_TOOLS/target}"
export BUCKETDESK_VENV="$BUCKETDESK_TOOLS/venv"
export BUCKETDESK_MOTO_SERVER="${BUCKETDESK_MOTO_SERVER:-$BUCKETDESK_VENV/bin/moto_server}"
export TAURI_DRIVER="${TAURI_DRIVER:-$BUCKETDESK_TOOLS/bin/tauri-driver}"
# s3s-fs: a real S3-compatible endpoint without STS, for the tests (and the transfer bench).
export BUCKETDESK_S3S_FS="${BUCKETDESK_S3S_FS:-$BUCKETDESK_TOOLS/bin/s3s-fs}"
# The app binary built with the embedded UI (--features custom-protocol).
export BUCKETDESK_BIN="${BUCKETDESK_BIN:-$CARGO_TARGET_DIR/debug/bucketdesk}"
# One feature set for clippy, test and build, so nothing compiles twice.
export BUCKETDESK_FEATURES="custom-protocol"

# cargo from rustup lives in ~/.cargo/bin; a non-login shell (CI, make) may not have it.
if ! command -v cargo >/dev/null 2>&1 && [ -x "${CARGO_HOME:-$HOME/.cargo}/bin/cargo" ]; then
    export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
fi

# Run as root, or through sudo when not.
as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# A bold header per step, so a failure says which step it was.
step() {
    if [ -t 1 ]; then
        printf '\n\033[1m==> %s\033[0m\n' "$*"
    else
        printf '\n==> %s\n' "$*"
    fi
}

die() {
    printf 'error: %s\n' "$*" >&2
    exit 1
}
