#!/usr/bin/env bash
# Benchmark of the CDN image pipeline against sharp and vipsthumbnail, in one run, on the
# same real ~20 MP photos: each photo to 400 px wide JPEG, WebP and AVIF at every tool's
# default quality. Not a test: it prints numbers (doc/CDN.md "Pipeline" keeps the last ones).
#
#   bench/cdn-transform.sh [runs]        (default 5 timed runs per cell, median reported)
#
# Then the throughput run (bench/cdn-throughput.sh): cold transforms per second at 2 × CPU
# count concurrent requests through `bucketdesk cdn serve` against sharp, with peak RSS.
# BENCH_THROUGHPUT=0 skips it.
#
# Needs: a release build (done here), Node + npm (sharp is installed once into
# $BUCKETDESK_TOOLS/bench-node), vipsthumbnail (apt libvips-tools) and the Debian wallpapers
# (apt lomiri-wallpapers-20.04 lomiri-wallpapers-16.04).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/env.sh"
cd "$BUCKETDESK_ROOT"
RUNS="${1:-5}"

# The largest lomiri photos: 20.4 MP and 24 MP baseline, 16.8 MP progressive. None is upscaled.
PHOTOS=(
    /usr/share/backgrounds/Kleiber_by_Lukas_Baubkus.jpg
    /usr/share/backgrounds/Painting-Colors_by__herobrine7gamer.jpg
    /usr/share/backgrounds/Infinite-Sea_by_Aury88.jpg
)
for p in "${PHOTOS[@]}"; do [ -f "$p" ] || die "$p is missing: apt install lomiri-wallpapers-20.04 lomiri-wallpapers-16.04"; done
command -v vipsthumbnail >/dev/null || die "vipsthumbnail is missing: apt install libvips-tools"

SHARP_DIR="$BUCKETDESK_TOOLS/bench-node"
if [ ! -d "$SHARP_DIR/node_modules/sharp" ]; then
    step "Installing sharp into $SHARP_DIR"
    mkdir -p "$SHARP_DIR"
    [ -f "$SHARP_DIR/package.json" ] || echo '{"name":"bucketdesk-bench","private":true}' >"$SHARP_DIR/package.json"
    (cd "$SHARP_DIR" && npm install --no-audit --no-fund sharp >/dev/null)
fi

step "Building the pipeline benchmark (release)"
cargo build --release --example cdn-transform
BIN="$CARGO_TARGET_DIR/release/examples/cdn-transform"

OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT
RESULTS="$OUT/results.txt"

export BENCH_PNG_DIR="$OUT"
step "Bucketdesk"
"$BIN" "$RUNS" "${PHOTOS[@]}" | tee -a "$RESULTS"
step "sharp $(node -p "require('$SHARP_DIR/node_modules/sharp/package.json').version") (libvips $(node -p "require('$SHARP_DIR/node_modules/sharp').versions.vips"))"
SHARP_DIR="$SHARP_DIR" node bench/sharp-transform.mjs "$RUNS" "${PHOTOS[@]}" | tee -a "$RESULTS"

# vipsthumbnail is a process per image: its times include process start-up (~10 ms here).
step "vipsthumbnail $(vips --version) (one process per transform, start-up included)"
for p in "${PHOTOS[@]}"; do
    for f in jpeg webp avif; do
        ext=$f; [ $f = jpeg ] && ext=jpg
        # Default qualities as sharp: JPEG/WebP Q 80, AVIF Q 50; metadata stripped as sharp
        # and Bucketdesk do (vipsthumbnail keeps it by default).
        q=80; [ $f = avif ] && q=50
        target="$OUT/vips.$ext[Q=$q,strip]"
        vipsthumbnail "$p" -s 400x -o "$target" # warm-up
        times=()
        for _ in $(seq "$RUNS"); do
            s=$(date +%s%N)
            vipsthumbnail "$p" -s 400x -o "$target"
            times+=($(( ($(date +%s%N) - s) / 100000 )))
        done
        median=$(printf '%s\n' "${times[@]}" | sort -n | sed -n "$(( (RUNS + 1) / 2 ))p")
        size=$(stat -c %s "$OUT/vips.$ext")
        dims=$(vipsheader -f width "$OUT/vips.$ext" 2>/dev/null)x$(vipsheader -f height "$OUT/vips.$ext" 2>/dev/null)
        printf 'vipsthumbnail %s %s %d.%d %s %s\n' "$(basename "$p")" "$f" \
            $((median / 10)) $((median % 10)) "$size" "$dims" | tee -a "$RESULTS"
    done
done

step "Summary: median ms (output bytes); ratio = Bucketdesk / sharp"
awk '
    { t[$1, $2, $3] = $4; b[$1, $2, $3] = $5; photos[$2] = 1; tools[$1] = 1 }
    END {
        split("jpeg webp avif", formats, " ")
        printf "%-42s %-5s %18s %18s %18s %11s %11s\n", "photo", "fmt", "bucketdesk", "sharp", "vipsthumbnail", "time ratio", "bytes ratio"
        for (p in photos) for (i = 1; i <= 3; i++) {
            f = formats[i]
            printf "%-42s %-5s %9.1f (%6d) %9.1f (%6d) %9.1f (%6d) %10.2fx %10.2fx\n", p, f,
                t["bucketdesk", p, f], b["bucketdesk", p, f], t["sharp", p, f], b["sharp", p, f],
                t["vipsthumbnail", p, f], b["vipsthumbnail", p, f],
                t["bucketdesk", p, f] / t["sharp", p, f], b["bucketdesk", p, f] / b["sharp", p, f]
            sum["bucketdesk", f] += t["bucketdesk", p, f]; sum["sharp", f] += t["sharp", p, f]
            sum["vipsthumbnail", f] += t["vipsthumbnail", p, f]
            bytes["bucketdesk", f] += b["bucketdesk", p, f]; bytes["sharp", f] += b["sharp", p, f]
        }
        for (i = 1; i <= 3; i++) {
            f = formats[i]
            printf "%-42s %-5s %18.1f %18.1f %18.1f %10.2fx %10.2fx\n", "ALL (sum of medians)", f,
                sum["bucketdesk", f], sum["sharp", f], sum["vipsthumbnail", f],
                sum["bucketdesk", f] / sum["sharp", f], bytes["bucketdesk", f] / bytes["sharp", f]
        }
    }' "$RESULTS"

# Resampling fidelity, without encoder noise: each tool's 400 px PNG against an exact Lanczos3
# reduction of the fully decoded photo (vips resize, no shrink-on-load, --gap 0). Higher is
# closer; shrink-on-load that leaves under 2x for the resize shows up here.
step "Fidelity: PSNR (dB) of the 400 px PNG against an exact Lanczos3 reduction"
psnr() { # image reference
    vips subtract "$1" "$2" "$OUT/d.v" && vips multiply "$OUT/d.v" "$OUT/d.v" "$OUT/sq.v"
    awk -v mse="$(vips avg "$OUT/sq.v")" 'BEGIN { printf "%.2f", 10 * log(255 * 255 / mse) / log(10) }'
}
printf '%-42s %12s %12s\n' photo bucketdesk sharp
for p in "${PHOTOS[@]}"; do
    name=$(basename "$p")
    scale=$(awk -v w="$(vipsheader -f width "$p")" 'BEGIN { printf "%.10f", 400 / w }')
    vips resize "$p" "$OUT/ref.v" "$scale" --kernel lanczos3 --gap 0
    printf '%-42s %12s %12s\n' "$name" "$(psnr "$OUT/bucketdesk-$name.png" "$OUT/ref.v")" \
        "$(psnr "$OUT/sharp-$name.png" "$OUT/ref.v")"
done

if [ "${BENCH_THROUGHPUT:-1}" != 0 ]; then
    step "Throughput (bench/cdn-throughput.sh)"
    SHARP_DIR="$SHARP_DIR" bash bench/cdn-throughput.sh
fi
