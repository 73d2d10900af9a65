#!/usr/bin/env bash
# Runs each libFuzzer target built by `make fuzz` for a bounded time, one after the other, and
# prints how many inputs each executed. Each target works on its own copy of the seed corpus
# (.build-fuzz/corpus/NAME, which keeps what it learns between runs); a crash or a broken
# invariant is saved as .build-fuzz/findings/NAME-crash-* and fails the run.
#
#   scripts/fuzz.sh BIN_DIR SECONDS RUNS MAX_LEN TARGET...
#   (RUNS empty: bounded by SECONDS only; otherwise whichever comes first)
set -uo pipefail
bin=$1 seconds=$2 runs=$3 max_len=$4
shift 4
root=$(cd "$(dirname "$0")/.." && pwd)
work=$root/.build-fuzz
mkdir -p "$work/findings"
status=0
for target in "$@"; do
    corpus=$work/corpus/$target
    mkdir -p "$corpus"
    log=$work/$target.log
    limits=(-max_total_time="$seconds")
    [ -n "$runs" ] && limits+=(-runs="$runs")
    # Swift's own crash handler and ASan's both want the crash; libFuzzer needs ASan's.
    SWIFT_BACKTRACE=enable=no "$bin/$target" "${limits[@]}" -max_len="$max_len" -print_final_stats=1 \
        -artifact_prefix="$work/findings/$target-" -dict="$root/Fuzz/smtp.dict" \
        "$corpus" "$root/Fuzz/corpus/$target" >"$log" 2>&1
    rc=$?
    executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    if [ $rc -ne 0 ]; then
        echo "$target: FAILED after ${executions:-?} executions; see $log"
        grep -m1 -E 'invariant broken|ERROR: (AddressSanitizer|libFuzzer)|Fatal error' "$log"
        status=1
    else
        echo "$target: ${executions:-?} executions in ${seconds}s or fewer (${rate:-?} exec/s), no finding"
    fi
done
exit $status
