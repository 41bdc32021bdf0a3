#!/usr/bin/env bash
# Fuzzes Strata's parsers with libFuzzer (see Sources/StrataFuzzTargets/FuzzTarget.swift).
#
#   tools/fuzz/run.sh [SECONDS] [TARGET...]     default: 120 s each for ftp config csv smtp modbus block
#   FUZZ_MERGE=0 tools/fuzz/run.sh 20           CI's smoke run: find crashes, keep nothing
#
# Builds strata-fuzz with AddressSanitizer and libFuzzer's coverage into .build-fuzz, runs each target for
# SECONDS from its corpus in Tests/StrataFuzzTests/Corpus/TARGET, and merges the inputs that
# reached new code back into that folder (the regression tests replay them). A crash is saved
# there as crash-<sha1>, the script exits 1 and the test suite will replay it until it is fixed.
set -euo pipefail
cd "$(dirname "$0")/../.."
secs="${1:-120}"
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(ftp config csv smtp modbus block)
# -sanitize=fuzzer would also link libFuzzer's own main, which clashes with the entry SwiftPM
# gives every executable: instrument for libFuzzer by hand and link its main-less runtime;
# FuzzEntry.swift then calls LLVMFuzzerRunDriver itself.
runtime="$(dirname "$(dirname "$(readlink -f "$(command -v swiftc)")")")/lib/swift/clang/lib/linux/libclang_rt.fuzzer_no_main-$(uname -m).a"
[ -f "$runtime" ] || { echo "libFuzzer runtime not found at $runtime"; exit 2; }
swift build --scratch-path .build-fuzz --product strata-fuzz \
    -Xswiftc -sanitize=address -Xswiftc -sanitize-coverage=edge,trace-cmp,inline-8bit-counters,pc-table \
    -Xswiftc -DFUZZING -Xlinker "$runtime" -Xlinker -lstdc++ 2>&1 | grep -E "error:|Build of product" || true
bin=.build-fuzz/debug/strata-fuzz
[ -x "$bin" ] || { echo "fuzz build failed"; exit 2; }
status=0
for t in "${targets[@]}"; do
    seeds="Tests/StrataFuzzTests/Corpus/$t"
    work=".build-fuzz/corpus/$t"
    mkdir -p "$work" "$seeds"
    log=".build-fuzz/$t.log"
    echo "== $t: ${secs}s"
    # -rss_limit_mb: a parser that allocates without bound is a finding too.
    if ! STRATA_FUZZ_TARGET="$t" "$bin" -max_total_time="$secs" -rss_limit_mb=2048 -max_len=8192 -timeout=10 \
            -artifact_prefix="$seeds/" -print_final_stats=1 "$work" "$seeds" >"$log" 2>&1; then
        status=1
        echo "!! $t: crash or failure; last lines of $log:"
        tail -30 "$log"
    fi
    grep -E "^stat::number_of_executed_units|^stat::average_exec_per_sec|^stat::new_units_added|^stat::peak_rss_mb" "$log" | sed "s/^/   $t /" || true
    if [ "${FUZZ_MERGE:-1}" = 1 ]; then
        # Keep only what reached new code: a small corpus that the regression tests replay.
        STRATA_FUZZ_TARGET="$t" "$bin" -merge=1 -max_len=8192 "$seeds" "$work" >>"$log" 2>&1 || true
        echo "   $t corpus: $(ls "$seeds" | wc -l) files"
    fi
done
exit $status
