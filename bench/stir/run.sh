#!/bin/sh
# ES256 figures of sipward next to `openssl speed` in the same run (not a
# test). Builds bench_stir in the release tree. Usage: bench/stir/run.sh
# [SECONDS [STIR_SECONDS]] (openssl speed takes whole seconds; bench_stir
# any, SECONDS by default). The OPENSSL and STIR lines are machine-readable
# (bench/all.sh).
set -eu
SRC=$(cd "$(dirname "$0")/../.." && pwd)
SECS=${1:-3}
STIR_SECS=${2:-$SECS}
BIN=$SRC/build/release/bench/stir/bench_stir
# configure only a tree that was never configured (make build does it)
(cd "$SRC" && { [ -f build/release/CMakeCache.txt ] || cmake --preset release >/dev/null; } &&
    cmake --build --preset release --target bench_stir -j2 >/dev/null)
echo "== openssl speed -seconds $SECS ecdsap256 (one core)"
ossl=$(openssl speed -seconds "$SECS" ecdsap256 2>/dev/null | grep -E 'sign/s|256 bits ecdsa')
echo "$ossl"
echo "$ossl" | awk '/256 bits ecdsa/ {
    printf "OPENSSL sign_per_s=%.0f verify_per_s=%.0f\n", $(NF - 1), $NF }'
echo "== sipward bench_stir $STIR_SECS 1 (one core)"
sw=$("$BIN" "$STIR_SECS" 1)
echo "$sw"
# Ratios of the same run (bench_stir counts CPU time, as openssl speed does).
printf '%s\n%s\n' "$ossl" "$sw" | awk '
    /256 bits ecdsa/ { osign = $(NF - 1); over = $NF }
    /^STIR / { for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] } }
    END { if (over > 0 && osign > 0)
        printf "RATIO sipward/openssl: stir_verify %.2f, stir_sign %.2f\n",
            v["verify_per_s"] / over, v["sign_per_s"] / osign }'
