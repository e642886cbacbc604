#!/usr/bin/env bash
# Usage: scripts/e2e.sh [TEST_FILE...]      (default: ui/e2e/*.test.mjs)
#
# The GUI end-to-end tests: the real app under Xvfb, driven over WebDriver
# (tauri-driver + WebKitWebDriver). Builds the binary with the embedded UI first
# (expects ui/dist from `npm run build`), then runs the tests inside a private keyring
# (scripts/with-keyring.sh) so the app never touches the developer's keychain.
# Screenshots land in ui/e2e/screenshots/. Xvfb, the drivers and the app are ended on
# exit, also on failure or Ctrl-C.
#
# Already inside a private keyring (BUCKETDESK_TEST_KEYRING=private) it skips the build
# and runs the tests at once: `scripts/with-keyring.sh scripts/e2e.sh` reruns them against
# the binary as it is.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$BUCKETDESK_ROOT"

if [ "${BUCKETDESK_TEST_KEYRING:-}" != private ]; then
    [ -f ui/dist/index.html ] || die "ui/dist is missing: run 'npm run build' in ui/ first"
    echo "e2e: cargo build --features $BUCKETDESK_FEATURES"
    cargo build --features "$BUCKETDESK_FEATURES"
    [ -x "$BUCKETDESK_BIN" ] || die "no app binary at $BUCKETDESK_BIN after the build"
    [ -x "$TAURI_DRIVER" ] || die "tauri-driver missing at $TAURI_DRIVER: run scripts/setup.sh"
    exec "$BUCKETDESK_ROOT/scripts/with-keyring.sh" "$BUCKETDESK_ROOT/scripts/e2e.sh" "$@"
fi

# From here on: inside the private keyring session, no DISPLAY yet.
if [ "$#" -eq 0 ]; then
    set -- ui/e2e/*.test.mjs
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/bucketdesk-e2e.XXXXXX")"
export BUCKETDESK_E2E_PGIDS="$work/pgids"
: >"$BUCKETDESK_E2E_PGIDS"
xvfb_pid=""
node_pid=""

cleanup() {
    local status=$?
    trap - EXIT INT TERM
    if [ -n "$node_pid" ]; then kill "$node_pid" 2>/dev/null || true; fi
    # Each app session's tauri-driver, WebKitWebDriver and app share one process group.
    local pgid
    while read -r pgid; do
        if [ -n "$pgid" ]; then kill -KILL -- "-$pgid" 2>/dev/null || true; fi
    done <"$BUCKETDESK_E2E_PGIDS"
    if [ -n "$xvfb_pid" ]; then
        kill "$xvfb_pid" 2>/dev/null || true
        wait "$xvfb_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Xvfb picks a free display number itself and writes it to fd 3 once it accepts clients.
Xvfb -displayfd 3 -screen 0 1280x800x24 -nolisten tcp 3>"$work/display" 2>"$work/xvfb.log" &
xvfb_pid=$!
for _ in $(seq 100); do
    if [ -s "$work/display" ]; then break; fi
    kill -0 "$xvfb_pid" 2>/dev/null || { cat "$work/xvfb.log" >&2; die "Xvfb did not start"; }
    sleep 0.1
done
[ -s "$work/display" ] || die "Xvfb gave no display number within 10 s"
DISPLAY=":$(head -n1 "$work/display")"
export DISPLAY
echo "e2e: Xvfb on $DISPLAY (1280x800x24)"

rm -f ui/e2e/screenshots/*.png
export BUCKETDESK_BIN TAURI_DRIVER
node --test --test-concurrency=1 --test-timeout=300000 "$@" &
node_pid=$!
set +e
wait "$node_pid"
status=$?
set -e
node_pid=""
shots=(ui/e2e/screenshots/*.png)
if [ -e "${shots[0]}" ]; then
    echo "e2e: ${#shots[@]} screenshot(s) in ui/e2e/screenshots/"
fi
exit "$status"
