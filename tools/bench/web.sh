#!/usr/bin/env bash
# The web benchmark of docs/PERFORMANCE.md, by hand (needs wrk: apt-get install wrk).
#  1. Series endpoint: a month of minutes of a 20-channel meter as JSON and as CSV
#     (strata-bench web), against the same CSV bytes served as a file by the same server.
#  2. Overview page under 50 concurrent clients (strata demo, 5 meters, 40 days), against a
#     small static file of the same server under the same load.
set -euo pipefail
cd "$(dirname "$0")/../.."
swift build -c release --product strata-bench --product strata >/dev/null 2>&1 || swift build -c release >/dev/null
secs="${WRK_SECONDS:-10}"
tmp="$(mktemp -d)"
cleanup() { kill "${bench:-}" "${demo:-}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT
port=$((20000 + RANDOM % 20000))
TMPDIR="$tmp/" .build/release/strata-bench web --channels 20 --days 31 --port "$port" >"$tmp/bench.log" 2>&1 &
bench=$!
for _ in $(seq 1 300); do grep -q '^ready' "$tmp/bench.log" && break; sleep 1; done
head -1 "$tmp/bench.log"
from=$(grep -o 'from=[0-9]*' "$tmp/bench.log" | cut -d= -f2)
to=$(grep -o 'to=[0-9]*' "$tmp/bench.log" | cut -d= -f2)
auth="Authorization: Basic $(printf bench:bench | base64)"
base="http://127.0.0.1:$port"
cookie=$(curl -s -i -d 'user=bench&password=bench' "$base/login" | grep -i '^set-cookie' | sed 's/^[^:]*: //; s/;.*//')
series="$base/api/v1/devices/d0/series?tier=minute&from=$from&to=$to"
run() { # name, wrk args…
    local name=$1; shift
    printf '%-34s ' "$name"
    wrk -t2 -d"${secs}s" "$@" | awk '/Requests\/sec/ {r=$2} /Transfer\/sec/ {t=$2} /^ +99%/ {p=$2} END {printf "%8s responses/s %10s/s p99 %s\n", r, t, p}'
}
echo "## series: 20 channels x 30 days of minutes ($(curl -s -H "$auth" "$series" | wc -c) B JSON, $(curl -s -H "$auth" "$series&format=csv" | wc -c) B CSV)"
run "series JSON (4 clients)" -c4 --latency -H "$auth" "$series"
run "series CSV (4 clients)" -c4 --latency -H "$auth" "$series&format=csv"
run "reference: same CSV as a file" -c4 --latency -H "Cookie: $cookie" "$base/archive/ref/month.csv"
kill "$bench"; wait "$bench" 2>/dev/null || true

wport=$((port + 1)); fport=$((port + 2))
.build/release/strata demo --data "$tmp/demo" --days 40 --ftp-port "$fport" --web-port "$wport" >"$tmp/demo.log" 2>&1 &
demo=$!
for _ in $(seq 1 300); do curl -s -o /dev/null "http://127.0.0.1:$wport/healthz" && break; sleep 1; done
base="http://127.0.0.1:$wport"
cookie=$(curl -s -i -d 'user=demo&password=demo' "$base/login" | grep -i '^set-cookie' | sed 's/^[^:]*: //; s/;.*//')
echo "## pages: strata demo, 5 meters, 40 days; 50 clients"
run "overview /" -c50 --latency -H "Cookie: $cookie" "$base/"
run "meter page /devices/main" -c50 --latency -H "Cookie: $cookie" "$base/devices/main"
run "reference: /archive/README.txt" -c50 --latency -H "Cookie: $cookie" "$base/archive/README.txt"
