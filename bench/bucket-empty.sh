#!/usr/bin/env bash
# Empties a 10,000-object bucket on one local moto with `bucketdesk bucket empty --yes`
# and with `aws s3 rm --recursive`, in one run against the same endpoint, and prints both times and
# their ratio (goal: Bucketdesk at most 0.3x the AWS CLI). Not a test: numbers, no pass/fail.
#
#   bench/bucket-empty.sh     BENCH_OBJECTS=10000 BENCH_RUNS=1 BENCH_PROFILE=release|dev
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../scripts/env.sh"
[ -x "$BUCKETDESK_MOTO_SERVER" ] || "$BUCKETDESK_ROOT/scripts/setup.sh" >/dev/null
[ -x "$BUCKETDESK_VENV/bin/aws" ] || "$BUCKETDESK_VENV/bin/pip" install -q awscli
# BENCH_PROFILE=release (default) measures what users run; `dev` reuses the test build.
profile="${BENCH_PROFILE:-release}"
# The binary embeds the UI: any built ui/dist will do.
[ -f "$BUCKETDESK_ROOT/ui/dist/index.html" ] || (cd "$BUCKETDESK_ROOT/ui" && npm run build >/dev/null)
cargo build --profile "$profile" --features "$BUCKETDESK_FEATURES" --bin bucketdesk \
    --manifest-path "$BUCKETDESK_ROOT/Cargo.toml"
dir="$profile"; [ "$profile" = dev ] && dir=debug
export BENCH_BUCKETDESK="$CARGO_TARGET_DIR/$dir/bucketdesk" BENCH_AWS_CLI="$BUCKETDESK_VENV/bin/aws"
exec "$BUCKETDESK_VENV/bin/python" "$BUCKETDESK_ROOT/bench/bucket_empty.py"
