#!/usr/bin/env bash
# Benchmark of the CDN image pipeline against sharp and vipsthumbnail, in one run, on the
# same real 17–24 MP photos of each kind (baseline JPEG, progressive JPEG, progressive JPEG
# with restart markers, PNG): each photo to 400 px wide JPEG, WebP and AVIF at every tool's
# default quality, sharp both with its defaults and like for like (fastShrinkOnLoad off).
# Prints the time ratios and the goals, bytes, where Bucketdesk's time goes per stage, and
# PSNR against an exact Lanczos3 reduction. Not a test: it prints numbers (doc/CDN.md
# "Pipeline" keeps the last ones).
#
#   bench/cdn-transform.sh [runs]        (default 5 timed runs per cell, median reported)
#
# Then the throughput run (bench/cdn-throughput.sh): cold transforms per second at 2 × CPU
# count concurrent requests through `bucketdesk cdn serve` against sharp, with peak RSS.
# BENCH_THROUGHPUT=0 skips it; BENCH_BUILD=0 measures the binaries already built.
#
# Needs: a release build (done here), Node + npm (sharp is installed once into
# $BUCKETDESK_TOOLS/bench-node), vipsthumbnail (apt libvips-tools) and the Debian wallpapers
# (apt lomiri-wallpapers-20.04 lomiri-wallpapers-16.04).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/env.sh"
cd "$BUCKETDESK_ROOT"
RUNS="${1:-5}"

# The photo kinds of issue #12, none upscaled: the largest lomiri photos (20.4 MP and 24 MP
# baseline, 16.8 MP progressive), and two made from them in the run: Kleiber re-encoded
# progressive with a restart marker every MCU row (jpegtran, lossless), and Painting-Colors
# as a PNG (vips).
SOURCES=(
    /usr/share/backgrounds/Kleiber_by_Lukas_Baubkus.jpg
    /usr/share/backgrounds/Painting-Colors_by__herobrine7gamer.jpg
    /usr/share/backgrounds/Infinite-Sea_by_Aury88.jpg
)
for p in "${SOURCES[@]}"; do [ -f "$p" ] || die "$p is missing: apt install lomiri-wallpapers-20.04 lomiri-wallpapers-16.04"; done
command -v vipsthumbnail >/dev/null || die "vipsthumbnail is missing: apt install libvips-tools"
command -v jpegtran >/dev/null || die "jpegtran is missing: apt install libjpeg-turbo-progs"

SHARP_DIR="$BUCKETDESK_TOOLS/bench-node"
if [ ! -d "$SHARP_DIR/node_modules/sharp" ]; then
    step "Installing sharp into $SHARP_DIR"
    mkdir -p "$SHARP_DIR"
    [ -f "$SHARP_DIR/package.json" ] || echo '{"name":"bucketdesk-bench","private":true}' >"$SHARP_DIR/package.json"
    (cd "$SHARP_DIR" && npm install --no-audit --no-fund sharp >/dev/null)
fi

step "Building the pipeline benchmark (release)"
[ "${BENCH_BUILD:-1}" = 0 ] || cargo build --release --features "$BUCKETDESK_FEATURES" --example cdn-transform
BIN="$CARGO_TARGET_DIR/release/examples/cdn-transform"

OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT
RESULTS="$OUT/results.txt"
mkdir "$OUT/photos"
jpegtran -copy none -progressive -restart 1 -outfile "$OUT/photos/Kleiber-progressive-restart.jpg" "${SOURCES[0]}"
vips copy "${SOURCES[1]}" "$OUT/photos/Painting-Colors.png"
PHOTOS=("${SOURCES[@]}" "$OUT/photos/Kleiber-progressive-restart.jpg" "$OUT/photos/Painting-Colors.png")
for p in "${PHOTOS[@]}"; do
    kind=PNG
    case "$(file -b "$p")" in *progressive*) kind="progressive JPEG" ;; *baseline*) kind="baseline JPEG" ;; esac
    [ "$(basename "$p")" = Kleiber-progressive-restart.jpg ] && kind="$kind, restart markers"
    printf '%-44s %s, %s MP, %s bytes\n' "$(basename "$p")" "$kind" \
        "$(awk -v w="$(vipsheader -f width "$p")" -v h="$(vipsheader -f height "$p")" 'BEGIN { printf "%.1f", w * h / 1e6 }')" \
        "$(stat -c %s "$p")"
done

export BENCH_PNG_DIR="$OUT"
step "Bucketdesk"
"$BIN" "$RUNS" "${PHOTOS[@]}" | tee -a "$RESULTS" | grep -v '^stages'
grep '^stages' "$RESULTS" >"$OUT/stages.txt"; sed -i '/^stages/d' "$RESULTS"
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

step "Summary: median ms (output bytes); ratios = Bucketdesk / sharp's default, Bucketdesk / sharp like for like"
awk '
    { t[$1, $2, $3] = $4; b[$1, $2, $3] = $5; if (!($2 in seen)) { seen[$2] = 1; photos[++n] = $2 } }
    END {
        split("jpeg webp avif", formats, " ")
        printf "%-38s %-5s %17s %17s %17s %17s %8s %8s %8s\n", "photo", "fmt", "bucketdesk", "sharp", "sharp-lfl", "vipsthumbnail", "t/sharp", "t/lfl", "B/sharp"
        for (k = 1; k <= n; k++) for (i = 1; i <= 3; i++) {
            p = photos[k]; f = formats[i]
            printf "%-38s %-5s %8.1f (%6d) %8.1f (%6d) %8.1f (%6d) %8.1f (%6d) %7.2fx %7.2fx %7.2fx\n", p, f,
                t["bucketdesk", p, f], b["bucketdesk", p, f], t["sharp", p, f], b["sharp", p, f],
                t["sharp-lfl", p, f], b["sharp-lfl", p, f], t["vipsthumbnail", p, f], b["vipsthumbnail", p, f],
                t["bucketdesk", p, f] / t["sharp", p, f], t["bucketdesk", p, f] / t["sharp-lfl", p, f],
                b["bucketdesk", p, f] / b["sharp", p, f]
        }
        goal["jpeg"] = 0.8; goal["webp"] = 0.8; goal["avif"] = 0.3
        print ""
        print "Goals (issue #12), time against sharp'"'"'s default: JPEG <= 0.8x, WebP <= 0.8x, AVIF <= 0.3x"
        for (k = 1; k <= n; k++) for (i = 1; i <= 3; i++) {
            p = photos[k]; f = formats[i]; r = t["bucketdesk", p, f] / t["sharp", p, f]
            printf "  %-38s %-5s %5.2fx  %s\n", p, f, r, (r <= goal[f] ? "met" : "MISSED")
        }
    }' "$RESULTS"

step "Where Bucketdesk's time goes: median ms per stage (pipeline::profile)"
printf '%-38s %-5s %s\n' photo fmt "stages"
awk '{ printf "%-38s %-5s", $2, $3; for (i = 4; i <= NF; i++) printf " %s", $i; print "" }' "$OUT/stages.txt"

# Resampling fidelity, without encoder noise: each tool's 400 px PNG against an exact Lanczos3
# reduction of the fully decoded photo (vips resize, no shrink-on-load, --gap 0). Higher is
# closer; shrink-on-load that leaves under 2x for the resize shows up here.
step "Fidelity: PSNR (dB) of the 400 px PNG against an exact Lanczos3 reduction"
psnr() { # image reference
    vips subtract "$1" "$2" "$OUT/d.v" && vips multiply "$OUT/d.v" "$OUT/d.v" "$OUT/sq.v"
    awk -v mse="$(vips avg "$OUT/sq.v")" 'BEGIN { printf "%.2f", 10 * log(255 * 255 / mse) / log(10) }'
}
printf '%-42s %12s %12s %12s\n' photo bucketdesk sharp sharp-lfl
for p in "${PHOTOS[@]}"; do
    name=$(basename "$p")
    scale=$(awk -v w="$(vipsheader -f width "$p")" 'BEGIN { printf "%.10f", 400 / w }')
    vips resize "$p" "$OUT/ref.v" "$scale" --kernel lanczos3 --gap 0
    printf '%-42s %12s %12s %12s\n' "$name" "$(psnr "$OUT/bucketdesk-$name.png" "$OUT/ref.v")" \
        "$(psnr "$OUT/sharp-$name.png" "$OUT/ref.v")" "$(psnr "$OUT/sharp-lfl-$name.png" "$OUT/ref.v")"
done

if [ "${BENCH_THROUGHPUT:-1}" != 0 ]; then
    step "Throughput (bench/cdn-throughput.sh)"
    SHARP_DIR="$SHARP_DIR" bash bench/cdn-throughput.sh
fi
