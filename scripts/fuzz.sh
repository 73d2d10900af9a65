#!/usr/bin/env bash
# Runs each libFuzzer target built by `make fuzz` for a bounded time, one after the other, and
# prints how many inputs each executed, then a table of them all. Each target works on its own
# copy of the seed corpus (.build-fuzz/corpus/NAME, which keeps what it learns between runs); a
# crash or a broken invariant is saved as .build-fuzz/findings/NAME-crash-* and fails the run.
#
#   scripts/fuzz.sh BIN_DIR SECONDS RUNS MAX_LEN TARGET...
#   (RUNS empty: bounded by SECONDS only; otherwise whichever comes first. MAX_LEN empty: each
#   target's own default, below.)
set -uo pipefail
bin=$1 seconds=$2 runs=$3 max_len=$4
shift 4
root=$(cd "$(dirname "$0")/.." && pwd)
work=$root/.build-fuzz
mkdir -p "$work/findings"

# The longest input each target is given unless MAX_LEN says otherwise. A byte stream of
# replies or of client commands needs room for many lines and for lines past the limits; one
# EHLO reply or one 334 challenge does not, and shorter inputs are more inputs a second.
default_max_len() {
    case $1 in
        FuzzEHLO) echo 2048 ;;
        FuzzSASL) echo 1024 ;;
        *) echo 4096 ;;
    esac
}

# AddressSanitizer's defaults are made for finding a bug once; in a long run a sixth to a fifth
# of the CPU time went to keeping every allocation's stack (malloc_context_size), filling new
# memory and holding 256 MiB of freed memory in quarantine. The errors are still detected and the input
# saved; reproducing a finding (Fuzz/README.md) runs with the defaults and gives the full
# report. An ASAN_OPTIONS of the caller's is used as it is.
export ASAN_OPTIONS=${ASAN_OPTIONS-malloc_context_size=0:max_malloc_fill_size=0:quarantine_size_mb=16}

status=0
summary=()
for target in "$@"; do
    corpus=$work/corpus/$target
    mkdir -p "$corpus"
    log=$work/$target.log
    length=${max_len:-$(default_max_len "$target")}
    limits=(-max_total_time="$seconds")
    [ -n "$runs" ] && limits+=(-runs="$runs")
    started=$(date +%s)
    # Swift's own crash handler and ASan's both want the crash; libFuzzer needs ASan's.
    SWIFT_BACKTRACE=enable=no "$bin/$target" "${limits[@]}" -max_len="$length" -print_final_stats=1 \
        -artifact_prefix="$work/findings/$target-" -dict="$root/Fuzz/smtp.dict" \
        "$corpus" "$root/Fuzz/corpus/$target" >"$log" 2>&1
    rc=$?
    wall=$(($(date +%s) - started))
    executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    # Without the final stats (a crash before them), the last status line's `#N` is the count.
    [ -n "$executions" ] || executions=$(sed -n 's/^#\([0-9][0-9]*\).*/\1/p' "$log" | tail -1)
    [ -n "$rate" ] || rate=$(sed -n 's/^#.* exec\/s: \([0-9]*\).*/\1/p' "$log" | tail -1)
    if [ $rc -eq 72 ]; then
        # libFuzzer's exit on SIGINT or SIGTERM (-interrupt_exit_code): stopped by hand.
        echo "$target: interrupted after ${executions:-?} executions in ${wall}s (${rate:-?} exec/s), no finding"
        result=interrupted
    elif [ $rc -ne 0 ]; then
        echo "$target: FAILED after ${executions:-?} executions in ${wall}s; see $log"
        grep -m1 -E 'invariant broken|ERROR: (AddressSanitizer|libFuzzer)|Fatal error' "$log"
        result=FAILED
        status=1
    else
        echo "$target: ${executions:-?} executions in ${wall}s (${rate:-?} exec/s, max_len $length), no finding"
        result="no finding"
    fi
    summary+=("$(printf '%-18s %12s %9s %8s  %s' "$target" "${executions:-?}" "${rate:-?}" "${wall}s" "$result")")
done
echo
printf '%-18s %12s %9s %8s  %s\n' target executions exec/s wall result
printf '%s\n' "${summary[@]}"
exit $status
