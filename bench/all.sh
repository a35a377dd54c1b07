#!/usr/bin/env bash
# bench/all.sh: every performance figure of sipward beside its peer's, in
# one run on one machine (`make bench`, `make bench QUICK=1`). Calls the
# per-area scripts, each bounded in time, then bench/report.py, which writes
# bench/results/<date>.json and regenerates docs/PERFORMANCE.md and the
# plots under docs/perf/.
#
#   QUICK=1            one run each, fewer calls, bindings and load steps
#                      (< 3 min)
#   SECTIONS="..."     a subset of: parsers options location stir sti
#                      (default all; a partial run leaves docs/ alone
#                      unless RENDER=1)
#   LIMIT_<section>=S  another time limit for that section
#
# Not a test. Loopback only, free ports picked at start; every section
# runs under `timeout`, which stops the processes of that section (its own
# process group) when it overruns. Needs the release build (make build).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
QUICK=${QUICK:-0}
[ "$QUICK" = 0 ] || QUICK=1
SECTIONS=${SECTIONS:-parsers options location stir sti}
STAMP=$(date -u +%Y-%m-%dT%H%MZ)
WORK=$ROOT/build/bench-all/$STAMP
NAME=$STAMP$([ "$QUICK" = 1 ] && echo -quick || true)
mkdir -p "$WORK" bench/results
SIPWARD=$ROOT/build/release/sipward
[ -x "$SIPWARD" ] || { echo "build first: make build" >&2; exit 1; }

# A UDP port nothing listens on (the OS picks it).
free_port() {
    python3 -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

{
    echo "date=$(date -u +%FT%TZ)"
    echo "quick=$QUICK"
    echo "cpu=$(lscpu | sed -n 's/^Model name:[ ]*//p' | head -1)"
    echo "cores=$(nproc)"
    echo "mem=$(awk '/^MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)"
    echo "kernel=$(uname -sr)"
    echo "os=$(. /etc/os-release && echo "$PRETTY_NAME")"
    echo "loadavg_start=$(cut -d' ' -f1-3 /proc/loadavg)"
    echo "commit=$(git rev-parse --short HEAD 2>/dev/null)$(git diff --quiet HEAD -- src 2>/dev/null || echo +changes)"
    echo "kamailio=$(dpkg-query -W -f='${Version}' kamailio 2>/dev/null)"
    echo "sipp=$(dpkg-query -W -f='${Version}' sip-tester 2>/dev/null | sed 's/^1://')"
    echo "openssl=$(openssl version | cut -d' ' -f2)"
} >"$WORK/machine.txt"
echo "== make bench$([ "$QUICK" = 1 ] && echo " QUICK=1" || true): $WORK"
sed 's/^/   /' "$WORK/machine.txt"

# Each area's knobs, QUICK or full.
if [ "$QUICK" = 1 ]; then
    # callgrind counts exactly: a few passes give the same instructions/msg
    PARSER_ARGS=(-W 0 -r 1 -t 0.5 -n 3 re osip sofia sipward)
    NET_ENV=(RUNS=1 CALLS=60000 WARMUP=3000)
    LOC_ENV=(DURATION=2 CAL_SECS=1 RUNS=1 NUSERS=2000 NBIND=50000 "REGAUTH_ALGS=MD5" "LAT_STEPS=0.5 0.9" LAT_SECS=2)
    STIR_SECS=(1 0.4)
    STI_ENV=(CALLS=1000 OPENSSL_SECS=0)
    # 170 s in all: with the build check and the report, about 3 minutes
    # however loaded the machine is (a section cut short keeps the runs
    # it finished, and the report names it)
    LIMITS=(parsers=20 options=15 location=100 stir=15 sti=20)
else
    PARSER_ARGS=(-W 0 -r 3 -t 2 -n 50 null re osip sofia sipward)
    NET_ENV=(RUNS=3 CALLS=300000)
    LOC_ENV=(DURATION=8 RUNS=3 "REGAUTH_ALGS=MD5 SHA-256" "LAT_STEPS=0.1 0.25 0.5 0.75 0.9 1.0 1.2" LAT_SECS=10)
    STIR_SECS=(3)
    STI_ENV=(CALLS=20000 OPENSSL_SECS=0)
    LIMITS=(parsers=400 options=600 location=1200 stir=120 sti=300)
fi
# limit NAME: the section's time limit in seconds (LIMIT_<name> overrides)
limit() {
    local kv over="LIMIT_$1"
    [ -n "${!over:-}" ] && { echo "${!over}"; return; }
    for kv in "${LIMITS[@]}"; do [ "${kv%%=*}" = "$1" ] && echo "${kv#*=}"; done
}

: >"$WORK/sections.txt"
# section NAME CMD...: runs CMD bounded by the section's time limit, output
# to the terminal and to $WORK/NAME.log.
section() {
    local name=$1 t0 rc=0
    shift
    case " $SECTIONS " in *" $name "*) ;; *) return 0 ;; esac
    echo
    echo "== $name (at most $(limit "$name") s)"
    t0=$(date +%s)
    timeout -k 3 "$(limit "$name")" "$@" 2>&1 | tee "$WORK/$name.log" || rc=${PIPESTATUS[0]}
    echo "name=$name rc=$rc secs=$(($(date +%s) - t0))" >>"$WORK/sections.txt"
    [ "$rc" = 0 ] || echo "!! $name: exit $rc (124: timed out), going on" >&2
}

# Builds are not what a section's time limit is for: the parser columns
# (after a change in src/sip) are compiled first.
case " $SECTIONS " in *" parsers "*) make -s -C bench/parsers all >/dev/null ;; esac

# The machine is shared: never wait for it to become idle, it may not.
export WAIT_IDLE=0
section parsers env OUT="$WORK/parsers" bench/parsers/run.sh "${PARSER_ARGS[@]}"
section options env "${NET_ENV[@]}" SIPWARD="$SIPWARD" BENCH_WORK="$WORK/net" \
    KAM_PORT="$(free_port)" SW_PORT="$(free_port)" SIPP_PORT="$(free_port)" \
    SW_HTTP_PORT="$(free_port)" bench/net/options.sh
section location env "${LOC_ENV[@]}" SIPWARD="$SIPWARD" BENCH_WORK="$WORK/location" \
    KAM_PORT="$(free_port)" SW_PORT="$(free_port)" LOCAL_PORT="$(free_port)" \
    SW_HTTP_PORT="$(free_port)" bench/location/run.sh 301 302 register regauth memory latency
section stir bench/stir/run.sh "${STIR_SECS[@]}"
section sti env "${STI_ENV[@]}" BENCH_WORK="$WORK/sti" bench/stir-service/run.sh

echo "loadavg_end=$(cut -d' ' -f1-3 /proc/loadavg)" >>"$WORK/machine.txt"
echo
echo "== sipward against its peers (ratio = sipward / peer), all from this run"
bench/report.py collect "$WORK" "bench/results/$NAME.json"
if [ "$SECTIONS" = "parsers options location stir sti" ] || [ "${RENDER:-0}" = 1 ]; then
    bench/report.py render "bench/results/$NAME.json" docs
    echo
    echo "wrote bench/results/$NAME.json, docs/PERFORMANCE.md, docs/perf/*.png"
else
    echo
    echo "wrote bench/results/$NAME.json (partial run: docs/ left alone)"
fi
