#!/usr/bin/env bash
# Usage: scripts/run.sh [APP_ARGS...]   (make run ARGS="...")
#
# Installs what is missing, builds the UI and the app with the UI embedded, and runs the
# app in the foreground. With no AWS credentials configured the app itself starts and
# seeds the local sandbox (moto server from $BUCKETDESK_TOOLS/venv) and stops it on quit.
# Where the session has no Secret Service (xvfb-run, a desktop without GNOME Keyring or
# KWallet) the sandbox also brings its own throwaway keychain: a private D-Bus session and
# an unlocked gnome-keyring (installed by setup), under <config dir>/sandbox/keychain and
# gone on quit (src-tauri/sandbox/keychain.rs). Outside the sandbox there is no such help:
# without a keychain nothing can be saved.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$BUCKETDESK_ROOT"

if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
    cat >&2 <<'MSG'
make run: no display (neither DISPLAY nor WAYLAND_DISPLAY is set).
Bucketdesk is a desktop app and needs a graphical session. On a headless machine run it
under a virtual display instead:  xvfb-run make run
MSG
    exit 1
fi

step "setup"
"$BUCKETDESK_ROOT/scripts/setup.sh"
step "UI build (npm run build, unchanged files keep their mtime)"
"$BUCKETDESK_ROOT/scripts/ui-build.sh"
step "app build (cargo build --features $BUCKETDESK_FEATURES)"
cargo build --features "$BUCKETDESK_FEATURES"

step "running $BUCKETDESK_BIN $*"
export BUCKETDESK_SANDBOX="${BUCKETDESK_SANDBOX:-auto}"
export BUCKETDESK_MOTO_SERVER
exec "$BUCKETDESK_BIN" "$@"
