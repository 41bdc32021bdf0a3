#!/usr/bin/env bash
# Runs every test: unit tests of the pure logic, the store on real SQLite files and real data,
# and the `strata` binary driven as a user drives it, against real peers (a pymodbus meter
# simulator over TCP and over a socat serial pair, Samba, curl/lftp/ftplib, an aiosmtpd mail server,
# headless Chromium and schemathesis against the web server).
set -euo pipefail
cd "$(dirname "$0")/.."
# What a developer's shell may hold must not change what the tests check: golden files are
# compared, not rewritten; the strata under test is the one built here; the peers' Python is ours.
unset STRATA_UPDATE_GOLDEN STRATA_BIN STRATA_PYTHON STRATA_QUICKSTART_BIN
# The test peers' Python packages, pinned, in a venv of their own.
if [ ! -x .venv-test/bin/python ] || ! .venv-test/bin/python -c "import pymodbus, aiosmtpd, websocket, schemathesis" 2>/dev/null; then
    python3 -m venv .venv-test
    .venv-test/bin/pip install -q -r tools/modbus-sim/requirements.txt -r tools/smtp-peer/requirements.txt \
        -r tools/web-browser/requirements.txt -r tools/web-api/requirements.txt
fi
export STRATA_PYTHON="$PWD/.venv-test/bin/python"
# The target graph: docs/ARCHITECTURE.md is what Package.swift says, every import is a declared
# dependency, and no forbidden arrow exists (seconds; it fails before the long build does).
python3 tools/architecture/check.py
# The house style (.swift-format: 120 columns): `swift format --in-place --recursive Sources Tests
# Package.swift` fixes what this finds (the toolchain ships swift-format).
swift format lint --strict --recursive --parallel Sources Tests Plugins Package.swift
swift build --build-tests

# Runs one `swift test` and fails when it ran no test at all (a filter that matches nothing
# passes otherwise): "Test run with N tests" must name more than zero.
run_tests() {
    local log
    log="$(mktemp)"
    swift test --skip-build "$@" 2>&1 | tee "$log"
    local n
    n="$(grep -oE "Test run with [0-9]+ tests?" "$log" | tail -1 | grep -oE "[0-9]+" || echo 0)"
    rm -f "$log"
    if [ "${n:-0}" -eq 0 ]; then
        echo "tools/test.sh: 'swift test $*' ran no test" >&2
        exit 1
    fi
}
# The FTP and web tests run in-process SwiftNIO servers on the cooperative thread pool, which
# tests waiting on child processes (the CLI, report and store suites) hold while they block: on
# two cores the servers could starve. They get a run of their own.
run_tests --filter "StrataFTPTests|StrataWebTests"
run_tests --skip "StrataFTPTests|StrataWebTests"
