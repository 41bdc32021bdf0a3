#!/usr/bin/env bash
# Saves screenshots of the dashboard's overview and a meter page for a human to look at:
# starts `strata demo` on free ports in a temporary folder, logs in with headless Chromium
# (tools/web-browser/browse.py) and writes PNGs (desktop and phone width) to OUT (default
# ./web-screenshots). Needs chromium (apt) and the test venv (bash tools/test.sh makes it).
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-web-screenshots}"
python="${STRATA_PYTHON:-$PWD/.venv-test/bin/python}"
swift build --product strata >/dev/null
data="$(mktemp -d)"
web=$((20000 + RANDOM % 20000)); ftp=$((web + 1))
.build/debug/strata demo --data "$data" --days 40 --ftp-port "$ftp" --web-port "$web" >"$data/demo.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 1 120); do
    curl -sf "http://127.0.0.1:$web/healthz" -o /dev/null -w '' 2>/dev/null && break
    curl -s "http://127.0.0.1:$web/healthz" -o /dev/null 2>/dev/null && break
    sleep 1
done
"$python" tools/web-browser/browse.py --base "http://127.0.0.1:$web" --user demo --password demo \
    --out "$out/desktop" --screenshots / /devices/main /archive/excel-eu/main/ /outbox
"$python" tools/web-browser/browse.py --base "http://127.0.0.1:$web" --user demo --password demo \
    --out "$out/phone" --width 390 --screenshots / /devices/main
echo "screenshots in $out/desktop and $out/phone"
