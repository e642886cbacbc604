#!/usr/bin/env bash
# Usage: scripts/test.sh   (make test; CI runs exactly this through .ci/run)
#
# Every check, in order, stopping at the first failure:
#   setup, rustfmt, UI typecheck, UI unit tests, UI build, clippy, cargo tests (in a
#   private keyring, against moto), GUI end-to-end tests (Xvfb + tauri-driver), and the
#   package: the e2e's debug build bundled into a .deb, installed with dpkg -i, its
#   `bucketdesk --version` run from /usr/bin, removed (scripts/package-test.sh).
# clippy, test and the e2e build use one feature set so nothing compiles twice, and the UI
# build keeps unchanged ui/dist files' mtimes so the app crate isn't rebuilt for nothing.
# Ends with one summary line counting the tests of every runner.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$BUCKETDESK_ROOT"

logs="$(mktemp -d "${TMPDIR:-/tmp}/bucketdesk-test.XXXXXX")"
current=""
passed_steps=()
started=$SECONDS

finish() {
    local status=$?
    rm -rf "$logs"
    if [ "$status" -ne 0 ] && [ -n "$current" ]; then
        printf '\nmake test: FAILED at step "%s" (exit %s) after %s; passed before it: %s\n' \
            "$current" "$status" "$(elapsed $((SECONDS - started)))" "${passed_steps[*]:-none}" >&2
    fi
}
trap finish EXIT

elapsed() {
    printf '%dm%02ds' $(($1 / 60)) $(($1 % 60))
}

# run_step NAME CMD...: a header, the command with its output kept for counting, a footer.
run_step() {
    current="$1"
    shift
    local shown="$*"
    step "$current: ${shown/#in_ui /(in ui\/) }"
    local start=$SECONDS
    "$@" 2>&1 | tee "$logs/$(tr -c 'a-zA-Z0-9\n' _ <<<"$current").log"
    printf -- '--- %s ok (%s)\n' "$current" "$(elapsed $((SECONDS - start)))"
    passed_steps+=("$current")
    current=""
}

in_ui() {
    (cd ui && "$@")
}

features="$BUCKETDESK_FEATURES"
run_step "setup" scripts/setup.sh --tests
run_step "rustfmt" cargo fmt --check
run_step "ui typecheck" in_ui npm run typecheck
run_step "ui unit tests" in_ui npm test
run_step "ui build" scripts/ui-build.sh
run_step "clippy" cargo clippy --all-targets --features "$features" -- -D warnings
# The Rust tests start moto themselves from BUCKETDESK_MOTO_SERVER (exported by env.sh).
run_step "cargo tests" scripts/with-keyring.sh cargo test --features "$features"
run_step "gui e2e" scripts/e2e.sh
# The release package is `make package`; here the same bundler packs the debug build the
# e2e step just made, so only the bundling is new work.
run_step "package" env PACKAGE_PROFILE=debug scripts/package-test.sh

# Count what the runners reported: cargo test ("test result: ok. 3 passed; 0 failed;
# 1 ignored"), vitest ("Tests  1 failed | 4 passed (5)"), node --test ("# pass 2") and the
# package checks ("ok: …", "FAILED: …").
read -r total_passed total_failed total_skipped < <(awk '
    { gsub(/\033\[[0-9;]*m/, "") }
    /^test result: / {
        for (i = 1; i <= NF; i++) {
            if ($(i + 1) ~ /^passed/) p += $i
            if ($(i + 1) ~ /^failed/) f += $i
            if ($(i + 1) ~ /^ignored/) s += $i
        }
    }
    /^[[:space:]]*Tests[[:space:]]+[0-9]/ {
        for (i = 1; i <= NF; i++) {
            if ($(i + 1) == "passed") p += $i
            if ($(i + 1) == "failed") f += $i
            if ($(i + 1) == "skipped" || $(i + 1) == "todo") s += $i
        }
    }
    FILENAME ~ /package\.log$/ && /^ok: / { p++ }
    FILENAME ~ /package\.log$/ && /^FAILED: / { f++ }
    /^(#|ℹ) (pass|fail|skipped|todo) [0-9]+$/ {
        if ($2 == "pass") p += $3
        else if ($2 == "fail") f += $3
        else s += $3
    }
    END { printf "%d %d %d\n", p, f, s }' "$logs"/*.log)

printf '\nmake test: all %d steps passed in %s: %s\n' "${#passed_steps[@]}" \
    "$(elapsed $((SECONDS - started)))" "$(printf '%s, ' "${passed_steps[@]}" | sed 's/, $//')"
echo "summary: $total_passed passed, $total_failed failed, $total_skipped skipped"
