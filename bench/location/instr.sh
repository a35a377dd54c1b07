#!/usr/bin/env bash
# bench/location/instr.sh [301|302|register|regauth] [CALLS]: instructions
# per call of the worker thread, counted by callgrind.
#
# CPU time per call (run.sh) is the figure that ranks sipward against
# Kamailio, but it moves with whatever else the machine runs. The user-space
# instruction count does not: use it to see what a change to the per-call
# path is worth before the CPU run says so. It starts the daemon (release
# build, one worker, no digest: as run.sh) under callgrind, drives CALLS calls with SIPp at a low
# rate (RATE, default 2000/s) and prints instructions per call: the whole
# worker thread, then its heaviest functions (inclusive). regauth is the
# digest REGISTER of run.sh (regauth.c, ALG=MD5 or SHA-256) and runs for
# CALLS/RATE seconds; a call there is one registration (401 and 200).
#
#   bench/location/instr.sh 301 20000
#   TOP=40 bench/location/instr.sh 302
#
# CACHE=1 adds callgrind's cache simulation and prints the worker's D1 and
# LL misses per call (read: D1mr/DLmr, write: D1mw/DLmw) next to its
# instructions: what a change to the lines a call touches is worth. The
# simulated caches stay warm across calls and follow how many messages
# each wake-up finds, so compare runs made alike, and more than one.
#
# Loopback only; SIPp is bounded by -m and -timeout. Needs valgrind, sipp
# and the peers' bench directory (PEER_BENCH) for the SIPp scenarios.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
MODE=${1:-301}
CALLS=${2:-20000}
RATE=${RATE:-2000}
TOP=${TOP:-25}
CACHE=${CACHE:-0}
NUSERS=${NUSERS:-10000}
SIPWARD=${SIPWARD:-$ROOT/build/release/sipward}
. "$HERE/common.sh"
[ -n "$PEER" ] || { echo "instr.sh: set PEER_BENCH to the peers' kamailio-bench" >&2; exit 2; }
PORT=${SW_PORT:-5176}
HTTP_PORT=${SW_HTTP_PORT:-18176}
LOCAL_PORT=${LOCAL_PORT:-5194}
WORK=${BENCH_WORK:-$ROOT/build/bench-instr}
for t in valgrind callgrind_annotate sipp sqlite3; do
    command -v $t >/dev/null || { echo "instr.sh: $t is missing (make bench installs it)" >&2; exit 2; }
done

rm -rf "$WORK"
mkdir -p "$WORK"
moved_store "$WORK/bench.db"

AUTH=(--set registrar.auth=false)
if [ "$MODE" = regauth ]; then
    ALG=${ALG:-MD5}
    python3 "$HERE/users_sql.py" "$NUSERS" >"$WORK/users.sql"
    sqlite3 "$WORK/bench.db" <"$WORK/users.sql"
    cc -O2 -o "$WORK/regauth" "$HERE/regauth.c" -lcrypto
    a=md5
    [ "$ALG" = SHA-256 ] && a=sha256
    AUTH=(--set registrar.algorithms=$a)
fi

# Counting starts once the worker runs; the store load and start-up are
# left out. The worker's instructions are its thread's, read off below.
VG=(valgrind --tool=callgrind)
[ "$CACHE" = 1 ] && VG+=(--cache-sim=yes)
(cd "$WORK" && exec "${VG[@]}" --callgrind-out-file="$WORK/cg.out" \
    --separate-threads=yes "$SIPWARD" serve \
    --set "sip.listen=udp:127.0.0.1:$PORT" --set "http.listen=127.0.0.1:$HTTP_PORT" \
    --set server.workers=1 --set log.level=warn \
    --set server.domains=bench.example.net,127.0.0.1 \
    --set registrar.use_domain=false --set registrar.max_expires=7200 \
    "${AUTH[@]}" --set store.path="$WORK/bench.db" >"$WORK/sipward.log" 2>&1) &
PID=$!
trap 'kill $PID 2>/dev/null || true' EXIT
for _ in $(seq 300); do
    ss -Huln "sport = :$PORT" | grep -q . && break
    sleep 0.2
done

COMMON=(-i 127.0.0.1 -p "$LOCAL_PORT" -nd -nostdin -timeout 300s)
users() { { echo SEQUENTIAL; seq -f "$1%.0f" 1 "$NUSERS"; } >"$WORK/users.csv"; }
case "$MODE" in
301)
    users moved-
    sipp "127.0.0.1:$PORT" -sf "$PEER/sipp/uac_redirect.xml" -inf "$WORK/users.csv" \
        "${COMMON[@]}" -r "$RATE" -l 500 -m "$CALLS" >"$WORK/sipp.log" 2>&1
    ;;
302)
    sipp "127.0.0.1:$PORT" -sf "$PEER/sipp/register.xml" -key prefix reg- \
        "${COMMON[@]}" -r "$RATE" -l 100 -m "$NUSERS" >"$WORK/prereg.log" 2>&1
    users reg-
    ;;
register) ;;
regauth) "$WORK/regauth" "$PORT" "$NUSERS" 2 50 "$ALG" >/dev/null ;;
*) echo "instr.sh: unknown mode $MODE" >&2; exit 2 ;;
esac
# The measured part: a second counter dump brackets it.
callgrind_control -z "$PID" >/dev/null 2>&1
case "$MODE" in
301) sipp "127.0.0.1:$PORT" -sf "$PEER/sipp/uac_redirect.xml" -inf "$WORK/users.csv" \
        "${COMMON[@]}" -r "$RATE" -l 500 -m "$CALLS" >"$WORK/sipp.log" 2>&1 ;;
302) sipp "127.0.0.1:$PORT" -sf "$PEER/sipp/uac_redirect.xml" -inf "$WORK/users.csv" \
        "${COMMON[@]}" -r "$RATE" -l 500 -m "$CALLS" >"$WORK/sipp.log" 2>&1 ;;
register) sipp "127.0.0.1:$PORT" -sf "$PEER/sipp/register.xml" -key prefix "i$$-" \
        "${COMMON[@]}" -r "$RATE" -l 1000 -m "$CALLS" >"$WORK/sipp.log" 2>&1 ;;
regauth)
    "$WORK/regauth" "$PORT" "$NUSERS" $((CALLS / RATE)) 50 "$ALG" >"$WORK/regauth.log"
    CALLS=$(sed -n 's/.* ok=\([0-9]*\).*/\1/p' "$WORK/regauth.log")
    [ "${CALLS:-0}" -gt 0 ] || { echo "instr.sh: no registration completed" >&2; exit 1; } ;;
esac
callgrind_control -d "$PID" >/dev/null 2>&1
kill "$PID"
wait "$PID" 2>/dev/null || true
trap - EXIT

# The dump after the load holds the measured part, one file per thread;
# the worker's is the one that ran worker_main.
best=
for f in "$WORK"/cg.out.*; do
    grep -q worker_main "$f" 2>/dev/null || continue
    n=$(awk '/^summary:/ { print $2 }' "$f")
    [ -n "$n" ] && [ "$n" -gt 0 ] && { [ -z "$best" ] || [ "$n" -gt "$(awk '/^summary:/ { print $2 }' "$best")" ]; } && best=$f
done
[ -n "$best" ] || { echo "instr.sh: no worker profile in $WORK" >&2; exit 1; }
store=
for f in "$WORK"/cg.out.*; do
    grep -q 'fn=.*store_main' "$f" 2>/dev/null && [ "$f" != "$best" ] && store=$f
done
total=$(awk '/^summary:/ { print $2 }' "$best")
echo "mode=$MODE calls=$CALLS worker_instr_per_call=$((total / CALLS))$(
    [ -n "$store" ] && echo " store_instr_per_call=$(($(awk '/^summary:/ { print $2 }' "$store") / CALLS))")"
if [ "$CACHE" = 1 ]; then
    # Every event of the summary line, per call.
    paste -d' ' <(awk '/^events:/ { for (i = 2; i <= NF; i++) print $i }' "$best") \
        <(awk '/^summary:/ { for (i = 2; i <= NF; i++) print $i }' "$best") \
        | awk -v n="$CALLS" '{ printf "%s%s=%.2f", (NR > 1 ? " " : "per call: "), $1, $2 / n }
            END { print "" }'
fi
callgrind_annotate --inclusive=yes --show=Ir "$best" 2>/dev/null \
    | awk -v n="$CALLS" '/^ *[0-9,]+ \(/ { c = $1; gsub(",", "", c);
        sub(/^ *[0-9,]+ +\( *[0-9.]+%\) +/, ""); sub(/ \[.*/, ""); f = $0; sub(/^.*:/, "", f);
        if (!(f in seen)) { seen[f] = 1; printf "%8d  %s\n", c / n, $0 } }' | sed -n "2,$((TOP + 1))p"
