#!/usr/bin/env bash
# Runs every test: unit tests of the pure logic, the store on real SQLite files and real data,
# and the `strata` binary driven as a user drives it.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build --build-tests
swift test --skip-build
