#!/bin/sh
# Runs every fuzz_* binary in DIR for SECONDS each, with its corpus and
# dictionary (fuzz/corpus/<name>/, fuzz/<name>.dict). New inputs go to a
# scratch directory, so the checked-in corpus only grows by hand (crashers
# and minimized finds are copied in deliberately).
# Usage: scripts/fuzz.sh build/fuzz SECONDS
set -eu

dir=${1:?usage: fuzz.sh BUILD_DIR SECONDS}
secs=${2:-60}
src=$(cd "$(dirname "$0")/.." && pwd)
status=0

for bin in "$dir"/fuzz/fuzz_* "$dir"/fuzz_*; do
    [ -x "$bin" ] && [ -f "$bin" ] || continue
    name=$(basename "$bin")
    target=${name#fuzz_}
    corpus="$src/fuzz/corpus/$target"
    work="$dir/fuzz-work/$target"
    mkdir -p "$work" "$dir/fuzz-artifacts"
    dict=""
    [ -f "$src/fuzz/$target.dict" ] && dict="-dict=$src/fuzz/$target.dict"
    echo "fuzz: $name for ${secs}s" >&2
    # shellcheck disable=SC2086
    if ! "$bin" -max_total_time="$secs" -print_final_stats=1 \
        -artifact_prefix="$dir/fuzz-artifacts/$target-" $dict \
        "$work" "$corpus"; then
        echo "fuzz: $name found a crash (see $dir/fuzz-artifacts)" >&2
        status=1
    fi
done
exit $status
