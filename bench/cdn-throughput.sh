#!/usr/bin/env bash
# Cold-transform throughput of the local CDN against sharp: 2 × CPU-count concurrent jobs,
# each a distinct (photo, width, format), so no cache can answer. Bucketdesk: HTTP requests to
# `bucketdesk cdn serve` (release build) whose originals come from s3s-fs on loopback (a Rust
# S3 server over a folder, so each job also pays a GetObject of a multi-MB original, on the
# same cores); sharp: in-process with `sharp.concurrency(CPU count)`, originals already in
# memory. Photos: baseline, progressive and PNG. Peak RSS of the server and of sharp's Node
# process (VmHWM). Not a test: it prints numbers (doc/CDN.md keeps the last).
#
#   bench/cdn-throughput.sh          (called by bench/cdn-transform.sh; runnable alone)
#
# BENCH_WIDTHS (default 12 widths from 300 px), BENCH_CONCURRENCY (default 2 × nproc),
# BENCH_PROFILE=release (default) or dev (a smoke run only: the app crate unoptimised);
# BENCH_BUILD=0 measures the binary already built.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../scripts/env.sh"

PHOTOS=(
    /usr/share/backgrounds/Kleiber_by_Lukas_Baubkus.jpg
    /usr/share/backgrounds/Painting-Colors_by__herobrine7gamer.jpg
    /usr/share/backgrounds/Infinite-Sea_by_Aury88.jpg
)
SHARP_DIR="${SHARP_DIR:-$BUCKETDESK_TOOLS/bench-node}"

if [ "${BENCH_IN_KEYRING:-}" != 1 ]; then
    for p in "${PHOTOS[@]}"; do [ -f "$p" ] || die "$p is missing: apt install lomiri-wallpapers-20.04 lomiri-wallpapers-16.04"; done
    [ -d "$SHARP_DIR/node_modules/sharp" ] || die "sharp is not installed in $SHARP_DIR: run bench/cdn-transform.sh once"
    [ -f "$BUCKETDESK_ROOT/ui/dist/index.html" ] || "$BUCKETDESK_ROOT/scripts/ui-build.sh" >/dev/null
    profile="${BENCH_PROFILE:-release}"
    step "cargo build --profile $profile (bucketdesk cdn serve)"
    [ "${BENCH_BUILD:-1}" = 0 ] ||
        cargo build --profile "$profile" --features "$BUCKETDESK_FEATURES" --manifest-path "$BUCKETDESK_ROOT/Cargo.toml"
    dir="$profile"; [ "$profile" = dev ] && dir=debug
    [ -x "$BUCKETDESK_S3S_FS" ] || die "s3s-fs is missing at $BUCKETDESK_S3S_FS: run scripts/setup.sh"
    command -v vips >/dev/null || die "vips is missing: apt install libvips-tools"
    export BUCKETDESK_BIN="$CARGO_TARGET_DIR/$dir/bucketdesk" BENCH_IN_KEYRING=1 SHARP_DIR
    exec "$BUCKETDESK_ROOT/scripts/with-keyring.sh" bash "${BASH_SOURCE[0]}" "$@"
fi

cpus="$(nproc)"
concurrency="${BENCH_CONCURRENCY:-$((2 * cpus))}"
widths="${BENCH_WIDTHS:-300,337,374,411,448,485,522,559,596,633,670,707}"
work="$(mktemp -d "${TMPDIR:-/tmp}/bucketdesk-cdn-throughput.XXXXXX")"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

step "s3s-fs with the photos (the PNG made from Painting-Colors)"
mkdir -p "$work/s3/bench-photos/사진 모음"
vips copy "${PHOTOS[1]}" "$work/Painting-Colors.png"
PHOTOS+=("$work/Painting-Colors.png")
keys=()
for photo in "${PHOTOS[@]}"; do
    key="사진 모음/$(basename "$photo")"
    cp "$photo" "$work/s3/bench-photos/$key"
    keys+=("$key")
done
s3_port="$(free_port)"
export AWS_ACCESS_KEY_ID=AKIABENCHMARKKEY0001 AWS_SECRET_ACCESS_KEY=bench-secret AWS_REGION=us-east-1
"$BUCKETDESK_S3S_FS" --host 127.0.0.1 --port "$s3_port" --access-key "$AWS_ACCESS_KEY_ID" \
    --secret-key "$AWS_SECRET_ACCESS_KEY" "$work/s3" >"$work/s3s.log" 2>&1 &
pids+=("$!")
endpoint="http://127.0.0.1:$s3_port"
for _ in $(seq 1 100); do curl -s -o /dev/null "$endpoint/" && break; sleep 0.1; done

step "bucketdesk cdn serve, $concurrency concurrent requests, cold cache"
export BUCKETDESK_CONFIG_DIR="$work/config" BUCKETDESK_CACHE_DIR="$work/cache"
echo "$AWS_SECRET_ACCESS_KEY" | "$BUCKETDESK_BIN" source add bench --bucket bench-photos \
    --access-key-id "$AWS_ACCESS_KEY_ID" --secret-stdin --endpoint-url "$endpoint" \
    --region us-east-1 >/dev/null
"$BUCKETDESK_BIN" --json cdn serve --port 0 >"$work/serve.json" 2>"$work/serve.log" &
serve_pid="$!"
pids+=("$serve_pid")
for _ in $(seq 1 100); do [ -s "$work/serve.json" ] && break; sleep 0.1; done
read -r base token < <(python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(j["baseUrl"], j["token"])' "$work/serve.json")
results="$work/results.txt"
SERVE_PID="$serve_pid" node "$BUCKETDESK_ROOT/bench/cdn-throughput.mjs" bucketdesk "$concurrency" "$widths" \
    "$base" "$token" bench "${keys[@]}" | tee -a "$results"
curl -s "$base/metrics?token=$token" >"$work/metrics.json"
python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); print("  server: %d transforms, %d origin fetches, %d memory hits, %d busy" % (m["transforms"], m["originFetches"], m["memoryHits"], m.get("busy", 0)))' "$work/metrics.json" || true
kill "$serve_pid" 2>/dev/null || true

step "sharp (concurrency $cpus), $concurrency concurrent jobs"
SHARP_DIR="$SHARP_DIR" node "$BUCKETDESK_ROOT/bench/cdn-throughput.mjs" sharp "$concurrency" "$widths" "${PHOTOS[@]}" | tee -a "$results"

step "Throughput: cold transforms/s (ratio = Bucketdesk / sharp), peak RSS"
awk '
    { n[$1] = $2; s[$1] = $3; r[$1] = $4; peak[$1] = $5; base[$1] = $6 }
    END {
        printf "%-11s %5s %9s %12s %14s %14s\n", "tool", "jobs", "seconds", "transforms/s", "peak RSS MiB", "baseline MiB"
        for (t in n) printf "%-11s %5d %9.2f %12.2f %14d %14d\n", t, n[t], s[t], r[t], peak[t], base[t]
        if (r["sharp"] > 0) printf "ratio %.2fx (goal >= 1.25x)\n", r["bucketdesk"] / r["sharp"]
    }' "$results"
