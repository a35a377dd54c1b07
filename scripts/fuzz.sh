#!/bin/sh
# Runs every fuzz_* target in DIR for SECONDS each under ASan+UBSan (the
# fuzz preset), with its corpus and dictionary (fuzz/corpus/<name>/,
# fuzz/<name>.dict). New inputs go to a scratch corpus (DIR/fuzz-work/
# <name>/), so the checked-in corpus only grows by hand: crashers and
# minimized finds are copied in deliberately. A crash, leak or timeout
# leaves its input in DIR/fuzz-artifacts/ and makes the exit status 1.
#
# Usage: scripts/fuzz.sh BUILD_DIR SECONDS
#   FUZZ_JOBS=N      targets run at once (default 1; the fuzzers are
#                    single-threaded, so N busy cores)
#   FUZZ_TARGETS="a b"  only these targets (default: all)
# Prints one line per target: executions, corpus growth, crashes.
set -eu

dir=${1:?usage: fuzz.sh BUILD_DIR SECONDS}
secs=${2:-60}
jobs=${FUZZ_JOBS:-1}
src=$(cd "$(dirname "$0")/.." && pwd)
logs="$dir/fuzz-logs"
mkdir -p "$logs" "$dir/fuzz-artifacts"

# Every fuzz/fuzz_*.c must have been built: a target that silently
# dropped out of the build would never run.
targets=${FUZZ_TARGETS:-$(cd "$src/fuzz" && ls fuzz_*.c | sed 's/^fuzz_//; s/\.c$//')}
for t in $targets; do
    if [ ! -x "$dir/fuzz/fuzz_$t" ]; then
        echo "fuzz: $dir/fuzz/fuzz_$t is missing (build the fuzz preset)" >&2
        exit 2
    fi
done

run_one() {
    t=$1
    work="$dir/fuzz-work/$t"
    mkdir -p "$work"
    dict=""
    [ -f "$src/fuzz/$t.dict" ] && dict="-dict=$src/fuzz/$t.dict"
    rm -f "$dir/fuzz-artifacts/$t-"*
    # shellcheck disable=SC2086
    if "$dir/fuzz/fuzz_$t" -max_total_time="$secs" -timeout=25 \
        -print_final_stats=1 -artifact_prefix="$dir/fuzz-artifacts/$t-" \
        $dict "$work" "$src/fuzz/corpus/$t" >"$logs/$t.log" 2>&1; then
        echo 0 >"$logs/$t.rc"
    else
        echo 1 >"$logs/$t.rc"
    fi
}

# A small job pool: at most $jobs targets at once.
running=0
for t in $targets; do
    echo "fuzz: $t for ${secs}s" >&2
    run_one "$t" &
    running=$((running + 1))
    if [ "$running" -ge "$jobs" ]; then
        wait
        running=0
    fi
done
wait

status=0
printf '%-12s %12s %10s %8s %8s\n' target execs exec/s corpus crashes
for t in $targets; do
    log="$logs/$t.log"
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    corpus=$(find "$dir/fuzz-work/$t" -type f | wc -l)
    crashes=$(find "$dir/fuzz-artifacts" -name "$t-*" -type f | wc -l)
    if [ "$(cat "$logs/$t.rc")" != 0 ] || [ "$crashes" -gt 0 ]; then
        status=1
        [ "$crashes" -gt 0 ] || crashes="failed"
    fi
    printf '%-12s %12s %10s %8s %8s\n' "$t" "${execs:-?}" "${rate:-?}" \
        "$corpus" "$crashes"
done
if [ "$status" != 0 ]; then
    echo "fuzz: crashes or failures: see $logs/ and $dir/fuzz-artifacts/" >&2
fi
exit $status
