#!/usr/bin/env bash
# The real-data tour (the main job is `swift run strata demo`): build, import two years of real water and gas
# meter data (AMPds2) into a fresh store, roll it up, export its days as CSV and build the
# CSV archive tree that the FTP server and the network share will serve.
set -euo pipefail
cd "$(dirname "$0")/.."
# STRATA_QUICKSTART_BIN: an already built strata (the test that runs this script uses it).
if [ -n "${STRATA_QUICKSTART_BIN:-}" ]; then
    bin="$STRATA_QUICKSTART_BIN"
else
    swift build -c release --product strata
    bin=.build/release/strata
fi
cfg=tools/sample/strata.toml
rm -rf demo-data && mkdir -p demo-data
"$bin" check --config "$cfg"
"$bin" import --config "$cfg" --device water --time-column unix_ts --time-format unix \
    --map counter=volume --map avg_rate=flow Tests/Fixtures/ampds2/Water_WHW.csv.gz
"$bin" import --config "$cfg" --device gas --time-column unix_ts --time-format unix \
    --map counter=volume Tests/Fixtures/ampds2/NaturalGas_FRG.csv.gz
for dev in water gas; do
    "$bin" export --config "$cfg" --device "$dev" --tier day --output "demo-data/$dev-days.csv"
    "$bin" export --config "$cfg" --device "$dev" --tier month --dialect excel-eu --output "demo-data/$dev-months-excel-eu.csv"
done
"$bin" resets --config "$cfg"
"$bin" archive --config "$cfg"
echo
echo "store:   demo-data/strata.sqlite"
echo "exports: $(ls demo-data/*.csv | tr '\n' ' ')"
echo "archive: demo-data/archive (start with demo-data/archive/README.txt)"
head -5 demo-data/water-days.csv
