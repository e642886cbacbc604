#!/usr/bin/env bash
# Lists a 10,000-key bucket on one local moto with Bucketdesk and with the AWS CLI, and
# prints both times and their ratio. Not a test: numbers, no pass/fail.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../scripts/env.sh"
"$BUCKETDESK_ROOT/scripts/setup.sh" >/dev/null
[ -x "$BUCKETDESK_VENV/bin/aws" ] || "$BUCKETDESK_VENV/bin/pip" install -q awscli
# BENCH_PROFILE=release (default) measures what users run; `dev` reuses the test build.
profile="${BENCH_PROFILE:-release}"
# The CLI does not use the UI, but the binary embeds it: any built ui/dist will do.
[ -f "$BUCKETDESK_ROOT/ui/dist/index.html" ] || (cd "$BUCKETDESK_ROOT/ui" && npm run build >/dev/null)
cargo build --profile "$profile" --features "$BUCKETDESK_FEATURES" --manifest-path "$BUCKETDESK_ROOT/Cargo.toml"
dir="$profile"; [ "$profile" = dev ] && dir=debug
export BUCKETDESK_BIN="$CARGO_TARGET_DIR/$dir/bucketdesk" BENCH_AWS_CLI="$BUCKETDESK_VENV/bin/aws"
exec "$BUCKETDESK_ROOT/scripts/with-keyring.sh" "$BUCKETDESK_VENV/bin/python" "$BUCKETDESK_ROOT/bench/list_keys.py"
