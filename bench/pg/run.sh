#!/bin/sh
# REGISTER/s and redirect (INVITE -> 302 -> ACK) calls/s with the
# PostgreSQL store, one node and two nodes, next to the SQLite store, in one
# run on loopback. Not a test: it prints figures.
#
#   bench/pg/run.sh [SIPWARD]       default build/release/sipward
#
# Environment: N_REG (REGISTERs per run, default 20000), N_INV (calls per
# run, default 40000), LIMIT (SIPp concurrent calls, default 400),
# PG_FSYNC (on: durable commits, the default; off to see the CPU cost).
# Each REGISTER is a new user, so every one is a durable write; the 200 is
# sent after the commit. CPU is the daemon's (utime+stime from
# /proc/PID/stat) per call; for PostgreSQL also its server processes'.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SIPWARD=${1:-$ROOT/build/release/sipward}
SIPWARD=$(cd "$(dirname "$SIPWARD")" && pwd)/$(basename "$SIPWARD")
N_REG=${N_REG:-20000}
N_INV=${N_INV:-40000}
LIMIT=${LIMIT:-400}
B=$ROOT/bench/pg
T=$(mktemp -d /tmp/sw-bench.XXXXXX)
PG_DIR=$(mktemp -u /tmp/sw-pgbench.XXXXXX)
PIDS=""
HZ=$(getconf CLK_TCK)

cleanup() {
    for p in $PIDS; do kill -KILL "$p" 2>/dev/null; done
    [ -f "$PG_DIR/env" ] && sh "$ROOT/scripts/pg.sh" stop "$PG_DIR" >/dev/null 2>&1
    [ "${KEEP:-0}" = 1 ] && echo "kept $T" >&2 || rm -rf "$T"
}
trap cleanup EXIT
trap "exit 1" INT TERM HUP

free_port() {
    python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# ticks PID...: utime+stime of the processes, in clock ticks.
ticks() {
    t=0
    for p in "$@"; do
        v=$(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0)
        t=$((t + ${v:-0}))
    done
    echo $t
}

# pg_pids: the PostgreSQL server processes (postmaster and children).
pg_pids() {
    pm=$(head -1 "$PG_DIR/data/postmaster.pid")
    echo "$pm $(ps -o pid= --ppid "$pm" | tr '\n' ' ')"
}

# node NAME STORE: starts a daemon; sets NAME_PID, NAME_PORT.
node() {
    port=$(free_port)
    mkdir -p "$T/$1"
    (cd "$T/$1" && exec "$SIPWARD" serve --set "store.path=$2" \
        --set "sip.listen=udp:127.0.0.1:$port" \
        --set "http.listen=127.0.0.1:$(free_port)" \
        --set registrar.auth=false --set log.level=warn \
        >"$T/$1/log" 2>&1) &
    eval "$1_PID=$! $1_PORT=$port"
    PIDS="$PIDS $!"
    i=0
    while ! ss -Hlnu "sport = :$port" | grep -q . && [ $i -lt 100 ]; do
        sleep 0.1
        i=$((i + 1))
    done
}

stop() {
    eval "p=\$$1_PID"
    kill -TERM "$p"
    wait "$p" 2>/dev/null
}

# sipp_bg PORT SCENARIO N KEYS...: one SIPp run in the background (SP).
sipp_bg() {
    port=$1 sf=$2 n=$3
    shift 3
    d=$(mktemp -d "$T/sipp.XXXXXX")
    (cd "$d" && exec sipp "127.0.0.1:$port" -sf "$B/$sf" -i 127.0.0.1 \
        -p "$(free_port)" -r 100000 -rp 1000 -l "$LIMIT" -m "$n" \
        -timeout 120 -nostdin -max_retrans 3 -trace_stat -stf stat.csv \
        "$@" >/dev/null 2>&1) &
    SP="$SP $!"
    SD="$SD $d"
}

# ok DIRS: successful calls in those SIPp runs.
ok() {
    s=0
    for d in "$@"; do
        v=$(awk -F';' 'NR==1 { for (i = 1; i <= NF; i++) if ($i == "SuccessfulCall(C)") c = i }
                       END { print $c }' "$d/stat.csv")
        s=$((s + ${v:-0}))
    done
    echo $s
}

# measure LABEL SCENARIO TOTAL "NODES" KEYS...: TOTAL calls split over the
# nodes (one SIPp each, in parallel); prints calls/s and CPU per call.
measure() {
    label=$1 sf=$2 total=$3 nodes=$4
    shift 4
    SP="" SD=""
    pids=""
    for n in $nodes; do eval "pids=\"\$pids \$${n}_PID\""; done
    dbp=""
    [ "$STORE" = postgresql ] && dbp=$(pg_pids)
    c0=$(ticks $pids)
    d0=$(ticks $dbp)
    t0=$(date +%s%N)
    k=0
    for n in $nodes; do
        eval "port=\$${n}_PORT"
        k=$((k + 1))
        sipp_bg "$port" "$sf" $((total / $(echo $nodes | wc -w))) "$@" \
            -key prefix "$PREFIX$k"
    done
    for p in $SP; do wait "$p"; done
    t1=$(date +%s%N)
    c1=$(ticks $pids)
    d1=$(ticks $dbp)
    calls=$(ok $SD)
    ms=$(((t1 - t0) / 1000000))
    rate=$((calls * 1000 / (ms ? ms : 1)))
    cpu=$(((c1 - c0) * 1000000 / HZ / (calls ? calls : 1)))
    db=""
    [ -n "$dbp" ] && db=" + $(((d1 - d0) * 1000000 / HZ / (calls ? calls : 1))) µs PostgreSQL"
    printf '%-11s %-6s %-9s %8d/s  (%d of %d in %d ms; sipward %d µs/call%s)\n' \
        "$STORE" "$NODES_N" "$label" "$rate" "$calls" "$total" "$ms" "$cpu" "$db"
}

run_config() {
    STORE=$1 NODES_N=$2
    shift 2
    PREFIX=$1
    shift
    measure REGISTER reg.xml "$N_REG" "$*" -key domain 127.0.0.1
    # Every INVITE is for a user the first node registered: on a second
    # node the 302 proves it came through PostgreSQL.
    sleep 1
    measure redirect invite.xml "$N_INV" "$*" -key domain 127.0.0.1 \
        -key user "${PREFIX}11"
}

[ -x "$SIPWARD" ] || { echo "no $SIPWARD (make build)" >&2; exit 1; }
sh "$ROOT/scripts/pg.sh" start "$PG_DIR" >/dev/null || exit 1
. "$PG_DIR/env"
for db in b1 b2; do psql -q "$PG_URL" -c "CREATE DATABASE $db" || exit 1; done
URL="postgres://$PG_USER:$PG_PASSWORD@127.0.0.1:$PG_PORT"

echo "sipward store benchmark: $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)," \
    "PostgreSQL fsync=${PG_FSYNC:-on}, N_REG=$N_REG N_INV=$N_INV LIMIT=$LIMIT"
node S "$T/S/var/sipward.db"
run_config sqlite 1 sq S
stop S
node P "$URL/b1"
run_config postgresql 1 p1 P
stop P
node A "$URL/b2"
node C "$URL/b2"
run_config postgresql 2 p2 A C
stop A
stop C
