#!/usr/bin/env bash
# Start-up and memory benchmark of the GUI: the time from launch to the first interactive
# screen under Xvfb, and the app's peak RSS (app + its WebKit processes) after listing
# 10,000 keys in the browser and scrolling to the end. Not a test: it prints numbers
# (doc/BENCHMARKS.md keeps the last ones) and never fails on them. See bench/startup.py.
#
#   bench/startup.sh     BENCH_PROFILE=release (default; what users run) or dev (the test
#                        build); BENCH_RUNS (5) start-ups; BENCH_KEYS (10000) keys;
#                        BENCH_BUILD=0 measures the binary already built.
#
# Needs what scripts/setup.sh installs: Xvfb, WebKitWebDriver, tauri-driver, moto, a
# private keychain (scripts/with-keyring.sh) for the source's secret.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../scripts/env.sh"
cd "$BUCKETDESK_ROOT"
"$BUCKETDESK_ROOT/scripts/setup.sh" >/dev/null

profile="${BENCH_PROFILE:-release}"
dir="$profile"; [ "$profile" = dev ] && dir=debug
if [ "${BUCKETDESK_TEST_KEYRING:-}" != private ]; then
    # The binary embeds the UI: build it as the app ships.
    step "Building the UI and the app ($profile)"
    scripts/ui-build.sh
    [ "${BENCH_BUILD:-1}" = 0 ] || cargo build --profile "$profile" --features "$BUCKETDESK_FEATURES"
    exec "$BUCKETDESK_ROOT/scripts/with-keyring.sh" "$BUCKETDESK_ROOT/bench/startup.sh" "$@"
fi

# Inside the private keychain session: a display of our own.
work="$(mktemp -d "${TMPDIR:-/tmp}/bucketdesk-bench-startup.XXXXXX")"
xvfb_pid=""
cleanup() {
    if [ -n "$xvfb_pid" ]; then kill "$xvfb_pid" 2>/dev/null || true; wait "$xvfb_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT
Xvfb -displayfd 3 -screen 0 1280x800x24 -nolisten tcp 3>"$work/display" 2>"$work/xvfb.log" &
xvfb_pid=$!
for _ in $(seq 100); do
    [ -s "$work/display" ] && break
    kill -0 "$xvfb_pid" 2>/dev/null || { cat "$work/xvfb.log" >&2; die "Xvfb did not start"; }
    sleep 0.1
done
[ -s "$work/display" ] || die "Xvfb gave no display number within 10 s"
export DISPLAY=":$(head -n1 "$work/display")"
export BUCKETDESK_BIN="$CARGO_TARGET_DIR/$dir/bucketdesk" TAURI_DRIVER BUCKETDESK_MOTO_SERVER BUCKETDESK_ROOT
step "Xvfb on $DISPLAY (1280x800); binary $BUCKETDESK_BIN"
"$BUCKETDESK_VENV/bin/python" "$BUCKETDESK_ROOT/bench/startup.py"
