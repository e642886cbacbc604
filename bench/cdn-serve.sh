#!/usr/bin/env bash
# Warm-hit throughput of the local CDN against nginx, and its memory under mixed load.
# Not a test: it prints numbers and ratios, no pass/fail.
#
#   1. moto on loopback with a bucket of real photos (Debian's lomiri wallpapers, 3264–6028 px),
#      a source added with `bucketdesk source add` (secret in a private keychain session);
#   2. `bucketdesk cdn serve` (release build) and nginx (a temp config, not a daemon) serving
#      the very bytes the CDN returns for `?w=400&f=jpeg`;
#   3. `wrk -t2 -c64` on each for BENCH_SECONDS (default 10), alternating for BENCH_ROUNDS
#      (default 3): requests/s, p99, the ratio per round and the median (target ≥ 0.8×);
#   4. 30 s of mixed load (several URLs: sizes, fits, formats, /file, 304s) through a wrk lua
#      script, from a cold cache, and the server's peak RSS (VmHWM).
#
# BENCH_PROFILE=release (default) or dev; BENCH_SECONDS; BENCH_MIXED_SECONDS (default 30);
# BENCH_MIXED_FILES=0 leaves /file (whole originals streamed from moto) out of the mix.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../scripts/env.sh"

if [ "${BENCH_IN_KEYRING:-}" != 1 ]; then
    for tool in wrk nginx curl; do
        command -v "$tool" >/dev/null 2>&1 || die "$tool is needed (apt install $tool)"
    done
    profile="${BENCH_PROFILE:-release}"
    [ -f "$BUCKETDESK_ROOT/ui/dist/index.html" ] || "$BUCKETDESK_ROOT/scripts/ui-build.sh" >/dev/null
    step "cargo build --profile $profile"
    cargo build --profile "$profile" --features "$BUCKETDESK_FEATURES" --manifest-path "$BUCKETDESK_ROOT/Cargo.toml"
    dir="$profile"; [ "$profile" = dev ] && dir=debug
    [ -x "$BUCKETDESK_VENV/bin/aws" ] || "$BUCKETDESK_VENV/bin/pip" install -q awscli
    export BUCKETDESK_BIN="$CARGO_TARGET_DIR/$dir/bucketdesk" BENCH_IN_KEYRING=1
    exec "$BUCKETDESK_ROOT/scripts/with-keyring.sh" bash "${BASH_SOURCE[0]}" "$@"
fi

seconds="${BENCH_SECONDS:-10}"
mixed_seconds="${BENCH_MIXED_SECONDS:-30}"
work="$(mktemp -d "${TMPDIR:-/tmp}/bucketdesk-cdn-bench.XXXXXX")"
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
wait_http() { # URL
    for _ in $(seq 1 100); do
        curl -s -o /dev/null "$1" && return 0
        sleep 0.2
    done
    die "nothing answers at $1"
}
urlencode() { python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1]))' "$1"; }

step "moto with real photos"
moto_port="$(free_port)"
"$BUCKETDESK_MOTO_SERVER" -H 127.0.0.1 -p "$moto_port" >"$work/moto.log" 2>&1 &
pids+=("$!")
endpoint="http://127.0.0.1:$moto_port"
wait_http "$endpoint/"
export AWS_ACCESS_KEY_ID=AKIABENCHMARKKEY0001 AWS_SECRET_ACCESS_KEY=bench-secret AWS_REGION=us-east-1
s3() { "$BUCKETDESK_VENV/bin/aws" --endpoint-url "$endpoint" s3api "$@" >/dev/null; }
s3 create-bucket --bucket bench-photos
mapfile -t photos < <(ls /usr/share/backgrounds/*.jpg 2>/dev/null | head -n 4)
[ "${#photos[@]}" -ge 1 ] || die "no photos: apt install lomiri-wallpapers-20.04"
keys=()
for photo in "${photos[@]}"; do
    key="사진 모음/$(basename "$photo")"
    s3 put-object --bucket bench-photos --key "$key" --body "$photo" --content-type image/jpeg
    keys+=("$key")
    printf '  %s (%s bytes)\n' "$key" "$(stat -c %s "$photo")"
done

step "bucketdesk cdn serve ($BUCKETDESK_BIN)"
export BUCKETDESK_CONFIG_DIR="$work/config" BUCKETDESK_CACHE_DIR="$work/cache"
echo "$AWS_SECRET_ACCESS_KEY" | "$BUCKETDESK_BIN" source add bench --bucket bench-photos \
    --access-key-id "$AWS_ACCESS_KEY_ID" --secret-stdin --endpoint-url "$endpoint" \
    --region us-east-1 >/dev/null
cdn_port="$(free_port)"
"$BUCKETDESK_BIN" --json cdn serve --port "$cdn_port" >"$work/serve.json" 2>"$work/serve.log" &
cdn_pid="$!"
pids+=("$cdn_pid")
for _ in $(seq 1 100); do [ -s "$work/serve.json" ] && break; sleep 0.1; done
token="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["token"])' "$work/serve.json")"
base="http://127.0.0.1:$cdn_port"
path0="/image/bench/$(urlencode "${keys[0]}")"
hit_url="$base$path0?w=400&f=jpeg&token=$token"
mkdir -p "$work/www"
started="$(date +%s.%N)"
curl -sf -o "$work/www/hit.jpg" "$hit_url" || die "the CDN did not serve $hit_url: $(cat "$work/serve.log")"
cold="$(python3 -c "import time; print(round((time.time()-$started)*1000))")"
printf '  cold: %s ms (fetch + transform to 400 px JPEG, %s bytes)\n' "$cold" "$(stat -c %s "$work/www/hit.jpg")"

step "nginx serving the same bytes"
# nginx's workers drop to an unprivileged user when started as root: let them read.
chmod a+rx "$work" "$work/www" && chmod a+r "$work/www/hit.jpg"
nginx_port="$(free_port)"
mkdir -p "$work/nginx/logs" "$work/nginx/tmp"
cat >"$work/nginx.conf" <<EOF
worker_processes 2;
daemon off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/logs/error.log;
events { worker_connections 4096; }
http {
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    types { image/jpeg jpg; }
    client_body_temp_path $work/nginx/tmp/body;
    proxy_temp_path $work/nginx/tmp/proxy;
    fastcgi_temp_path $work/nginx/tmp/fastcgi;
    uwsgi_temp_path $work/nginx/tmp/uwsgi;
    scgi_temp_path $work/nginx/tmp/scgi;
    server {
        listen 127.0.0.1:$nginx_port;
        root $work/www;
    }
}
EOF
nginx -e "$work/nginx/logs/error.log" -p "$work/nginx" -c "$work/nginx.conf" &
pids+=("$!")
wait_http "http://127.0.0.1:$nginx_port/hit.jpg"
cmp -s <(curl -sf "http://127.0.0.1:$nginx_port/hit.jpg") <(curl -sf "$hit_url") ||
    die "nginx and the CDN do not serve the same bytes"

# wrk's summary: requests/s and the 99th percentile in ms.
wrk_numbers() { # FILE → "RPS P99_MS"
    python3 - "$1" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
m = re.search(r"^\s*99%\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)]
print(f"{rps:.0f} {float(m.group(1)) * scale:.2f}")
PY
}

rounds="${BENCH_ROUNDS:-3}"
step "warm hits: wrk -t2 -c64 -d${seconds}s, $rounds rounds alternating (the median round counts)"
ratios=()
for round in $(seq 1 "$rounds"); do
    wrk -t2 -c64 -d"${seconds}s" --latency "$hit_url" >"$work/wrk-cdn.txt"
    wrk -t2 -c64 -d"${seconds}s" --latency "http://127.0.0.1:$nginx_port/hit.jpg" >"$work/wrk-nginx.txt"
    if grep -q "Non-2xx" "$work/wrk-cdn.txt"; then
        die "the CDN answered errors under load: $(cat "$work/wrk-cdn.txt")"
    fi
    read -r cdn_rps cdn_p99 < <(wrk_numbers "$work/wrk-cdn.txt")
    read -r ngx_rps ngx_p99 < <(wrk_numbers "$work/wrk-nginx.txt")
    ratio="$(python3 -c "print(f'{$cdn_rps/$ngx_rps:.2f}')")"
    ratios+=("$ratio")
    printf '  round %s: bucketdesk %7s req/s p99 %6s ms | nginx %7s req/s p99 %6s ms | %s×\n' \
        "$round" "$cdn_rps" "$cdn_p99" "$ngx_rps" "$ngx_p99" "$ratio"
done
median="$(printf '%s\n' "${ratios[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')"
printf '  median ratio: %s× nginx (target ≥ 0.8×)\n' "$median"

step "mixed load: ${mixed_seconds}s from a cold cache, peak RSS"
rss_before="$(awk '/VmRSS/ {print $2}' "/proc/$cdn_pid/status")"
# A fresh server: the mixed load starts with every variant cold.
kill "$cdn_pid"; wait "$cdn_pid" 2>/dev/null || true
rm -rf "$work/cache"
: >"$work/serve.json"
"$BUCKETDESK_BIN" --json cdn serve --port "$cdn_port" >"$work/serve.json" 2>"$work/serve.log" &
cdn_pid="$!"
pids+=("$cdn_pid")
wait_http "$base/metrics?token=$token"
{
    echo 'local paths = {'
    for key in "${keys[@]}"; do
        p="/image/bench/$(urlencode "$key")"
        for q in "w=400&f=jpeg" "w=200&h=200&f=webp" "w=800&h=600&fit=contain&f=png" \
                 "s=300x300&p=top&q=60" "w=1200&f=jpeg&q=85" "h=160&f=avif"; do
            echo "  \"$p?$q&token=$token\","
        done
        if [ "${BENCH_MIXED_FILES:-1}" = 1 ]; then
            echo "  \"/file/bench/$(urlencode "$key")?token=$token\","
        fi
    done
    echo '}'
    cat <<'LUA'
local i = 0
request = function()
  i = i + 1
  local path = paths[(i % #paths) + 1]
  if i % 5 == 0 then
    -- A share of conditional requests, as a browser revalidating would send.
    return wrk.format("GET", path, { ["If-None-Match"] = "\"0\"" })
  end
  return wrk.format("GET", path)
end
LUA
} >"$work/mixed.lua"
sampler() {
    peak=0
    while kill -0 "$cdn_pid" 2>/dev/null; do
        rss="$(awk '/VmRSS/ {print $2}' "/proc/$cdn_pid/status" 2>/dev/null || echo 0)"
        [ "${rss:-0}" -gt "$peak" ] && peak="$rss"
        echo "$peak" >"$work/rss-peak"
        sleep 0.5
    done
}
sampler &
pids+=("$!")
wrk -t2 -c32 -d"${mixed_seconds}s" --latency -s "$work/mixed.lua" "$base" >"$work/wrk-mixed.txt"
hwm="$(awk '/VmHWM/ {print $2}' "/proc/$cdn_pid/status")"
rss_after="$(awk '/VmRSS/ {print $2}' "/proc/$cdn_pid/status")"
read -r mixed_rps mixed_p99 < <(wrk_numbers "$work/wrk-mixed.txt")
metrics="$(curl -sf "$base/metrics?token=$token")"
printf '  %s req/s, p99 %s ms over %s URLs\n' "$mixed_rps" "$mixed_p99" "$(grep -c '^  "' "$work/mixed.lua")"
printf '  RSS: %s MiB after warm-hit run; peak (VmHWM) %s MiB during mixed load; %s MiB at its end\n' \
    "$((rss_before / 1024))" "$((hwm / 1024))" "$((rss_after / 1024))"
printf '  server counters: %s\n' "$metrics"
grep -E "Non-2xx|Socket errors" "$work/wrk-mixed.txt" || true
