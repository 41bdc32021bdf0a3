#!/usr/bin/env bash
# Runs every test: unit tests of the pure logic, the store on real SQLite files and real data,
# and the `strata` binary driven as a user drives it, against real peers (a pymodbus meter
# simulator over TCP and over a socat serial pair, Samba, curl/lftp/ftplib, an aiosmtpd mail server).
set -euo pipefail
cd "$(dirname "$0")/.."
# The test peers' Python packages, pinned, in a venv of their own.
if [ ! -x .venv-test/bin/python ] || ! .venv-test/bin/python -c "import pymodbus, aiosmtpd" 2>/dev/null; then
    python3 -m venv .venv-test
    .venv-test/bin/pip install -q -r tools/modbus-sim/requirements.txt -r tools/smtp-peer/requirements.txt
fi
export STRATA_PYTHON="$PWD/.venv-test/bin/python"
swift build --build-tests
# The FTP tests run an in-process SwiftNIO server on the cooperative thread pool, which tests
# waiting on child processes (the CLI, report and store suites) hold while they block: on two
# cores the server could starve. They get a run of their own.
swift test --skip-build --filter StrataFTPTests
swift test --skip-build --skip StrataFTPTests
