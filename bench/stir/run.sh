#!/bin/sh
# ES256 figures of sipward next to `openssl speed` in the same run (not a
# test). Builds the release tree if needed. Usage: bench/stir/run.sh [SECONDS]
set -eu
SRC=$(cd "$(dirname "$0")/../.." && pwd)
SECS=${1:-3}
BIN=$SRC/build/release/bench/stir/bench_stir
if [ ! -x "$BIN" ]; then
    cmake --preset release >/dev/null
    cmake --build --preset release --target bench_stir -j2 >/dev/null
fi
echo "== openssl speed -seconds $SECS ecdsap256 (one core)"
openssl speed -seconds "$SECS" ecdsap256 2>/dev/null | grep -E 'sign/s|256 bits ecdsa'
echo "== sipward bench_stir $SECS 1 (one core)"
"$BIN" "$SECS" 1
