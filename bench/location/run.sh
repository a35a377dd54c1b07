#!/usr/bin/env bash
# bench/location/run.sh [MODE...]: the registrar / redirect benchmark.
#
# Same run, same machine, same load generator: sipward against Kamailio 5.6
# in its best configuration (-x fm -X fm, one worker; the peers' redirect
# config) with the peers' load script (run-redirect.sh: SIPp, server CPU
# from /proc/PID/stat, machine-noise flag). MODEs (default: all):
#
#   301       INVITE sip:moved-N@ -> 301 -> ACK   (sipward: moved directory)
#   302       REGISTER reg-1..reg-10000, then INVITE reg-N -> 302 -> ACK
#   register  REGISTER new users -> 200 (sipward: durable, SQLite WAL FULL)
#   regauth   sipward only: REGISTER -> 401 -> REGISTER+digest -> 200,
#             MD5 then SHA-256 (regauth.c: SIPp cannot vary the digest user)
#   memory    sipward only: RSS of the daemon holding 1,000,000 bindings
#
#   bench/location/run.sh                 # everything, DURATION=10 s a run
#   DURATION=20 bench/location/run.sh 301 302
#
# Not a test: the figures depend on the machine and on who else uses it
# (see noisy= in each line). Loopback only; every SIPp run is bounded.
# Needs the release build (make build) and the peers' bench directory
# (PEER_BENCH, default ../shared/peers/kamailio-bench beside the repo);
# installs Debian's kamailio when missing.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
PEER=${PEER_BENCH:-$ROOT/../shared/peers/kamailio-bench}
SIPWARD=${SIPWARD:-$ROOT/build/release/sipward}
WORK=${BENCH_WORK:-$ROOT/build/bench-location}
export DURATION=${DURATION:-10}
SW_WORKERS=${SW_WORKERS:-1}
NUSERS=${NUSERS:-10000}
NBIND=${NBIND:-1000000}
KAM_PORT=5070
SW_PORT=5076
MODES=("$@")
[ ${#MODES[@]} -gt 0 ] || MODES=(301 302 register regauth memory)
RESULTS=$WORK/results.txt
mkdir -p "$WORK"
: >"$RESULTS"

[ -x "$SIPWARD" ] || { echo "build first: make build" >&2; exit 1; }
[ -x "$PEER/run-redirect.sh" ] || { echo "no peer bench at $PEER (set PEER_BENCH)" >&2; exit 1; }
if [ ! -x /usr/sbin/kamailio ]; then
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
    $SUDO apt-get install -y -qq --no-install-recommends kamailio
fi

SRV_PID=""
stop_server() {
    if [ -n "$SRV_PID" ] && kill -0 "$SRV_PID" 2>/dev/null; then
        kill -TERM "$SRV_PID"
        for _ in $(seq 50); do kill -0 "$SRV_PID" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$SRV_PID" 2>/dev/null || true
    fi
    wait "$SRV_PID" 2>/dev/null || true
    SRV_PID=""
}
trap stop_server EXIT

wait_port() { # PORT [tenths of a second]
    for _ in $(seq "${2:-100}"); do
        ss -Hlnu "sport = :$1" | grep -q . && return 0
        sleep 0.1
    done
    echo "nothing listens on udp $1" >&2
    return 1
}

start_kamailio() {
    /usr/sbin/kamailio -f "$PEER/kamailio/redirect.cfg" -DD -E -a no -m 4096 \
        -M 16 -x fm -X fm -A CHILDREN=1 >"$WORK/kamailio.log" 2>&1 &
    SRV_PID=$!
    wait_port $KAM_PORT
}

# A fresh store with the moved directory the 301 load asks for:
# moved-N@bench.example.net -> sip:N@new.example.net (as Kamailio's config).
fresh_store() {
    local dir=$1
    rm -rf "$dir"
    mkdir -p "$dir"
    "$SIPWARD" moved list --store "$dir/bench.db" >/dev/null
    sqlite3 "$dir/bench.db" "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL
        SELECT x + 1 FROM n WHERE x < $NUSERS) INSERT INTO moved
        SELECT 'sip:moved-' || x || '@bench.example.net',
               'sip:' || x || '@new.example.net', 'bench', 0 FROM n;"
}

# start_sipward DIR [--set ...]: bench.example.net and 127.0.0.1 served as
# one domain (Kamailio's use_domain=0), one worker like Kamailio.
start_sipward() {
    local dir=$1
    shift
    (cd "$dir" && exec "$SIPWARD" serve \
        --set "sip.listen=udp:127.0.0.1:$SW_PORT" \
        --set "http.listen=127.0.0.1:18076" \
        --set server.workers="$SW_WORKERS" --set log.level=warn \
        --set server.domains=bench.example.net,127.0.0.1 \
        --set registrar.use_domain=false --set registrar.max_expires=7200 \
        --set store.path="$dir/bench.db" "$@" >"$dir/sipward.log" 2>&1) &
    SRV_PID=$!
    # It listens once the store is loaded into memory.
    wait_port $SW_PORT "${WAIT_TENTHS:-100}"
}

peer_run() { # NAME MODE PORT
    local line
    line=$(MODE=$2 LOCAL_PORT=${LOCAL_PORT:-5094} BENCH_WORK="$WORK/peer" "$PEER/run-redirect.sh" "$3" 2>"$WORK/$1-$2.err" | tail -1)
    echo "$1 $2 $line" | tee -a "$RESULTS"
}

kv() { echo "$2" | tr ' ' '\n' | sed -n "s/^$1=//p" | head -1; }

for MODE in "${MODES[@]}"; do
    case "$MODE" in
    301 | 302 | register)
        start_kamailio
        peer_run kamailio "$MODE" $KAM_PORT
        stop_server
        fresh_store "$WORK/sw"
        start_sipward "$WORK/sw" --set registrar.auth=false
        peer_run sipward "$MODE" $SW_PORT
        stop_server
        ;;
    regauth)
        fresh_store "$WORK/sw"
        # Users ra-1..ra-N with password "pw" in realm sipward (HA1 only).
        python3 - "$NUSERS" >"$WORK/users.sql" <<'PY'
import hashlib, sys
print("BEGIN;")
for i in range(1, int(sys.argv[1]) + 1):
    u = "ra-%d" % i
    h1 = "%s:sipward:pw" % u
    print("INSERT INTO users VALUES('sip:%s@bench.example.net','%s','sipward','%s','%s',0);"
          % (u, u, hashlib.md5(h1.encode()).hexdigest(),
             hashlib.sha256(h1.encode()).hexdigest()))
print("COMMIT;")
PY
        sqlite3 "$WORK/sw/bench.db" <"$WORK/users.sql"
        cc -O2 -o "$WORK/regauth" "$HERE/regauth.c" -lcrypto
        for alg in MD5 SHA-256; do
            a=md5; [ "$alg" = SHA-256 ] && a=sha256
            start_sipward "$WORK/sw" --set registrar.algorithms=$a
            "$WORK/regauth" $SW_PORT "$NUSERS" 2 200 "$alg" "$SRV_PID" >/dev/null # warm-up
            line=$("$WORK/regauth" $SW_PORT "$NUSERS" "$DURATION" 200 "$alg" "$SRV_PID")
            echo "sipward regauth $line" | tee -a "$RESULTS"
            stop_server
        done
        ;;
    memory)
        mkdir -p "$WORK/mem"
        rm -rf "$WORK/mem"/*
        "$SIPWARD" moved list --store "$WORK/mem/bench.db" >/dev/null
        start_sipward "$WORK/mem"
        base=$(awk '/^VmRSS/{print $2}' "/proc/$SRV_PID/status")
        stop_server
        # 1M bindings of realistic size, written straight into the store;
        # the daemon loads them into its index at start.
        exp=$(($(date +%s) + 86400))
        sqlite3 "$WORK/mem/bench.db" "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL
            SELECT x + 1 FROM n WHERE x < $NBIND) INSERT INTO bindings
            SELECT 'sip:m' || x || '@bench.example.net',
                   'sip:m' || x || '@192.0.2.' || (x % 250) || ':' ||
                       (5060 + x % 1000) || ';transport=udp',
                   $exp, 1000, lower(hex(randomblob(16))) || '@192.0.2.1', 1,
                   '', 0, '', 'udp:192.0.2.' || (x % 250) || ':' ||
                       (5060 + x % 1000) FROM n;"
        t0=$(date +%s.%N)
        WAIT_TENTHS=3000 start_sipward "$WORK/mem"
        t1=$(date +%s.%N)
        rss=$(awk '/^VmRSS/{print $2}' "/proc/$SRV_PID/status")
        hwm=$(awk '/^VmHWM/{print $2}' "/proc/$SRV_PID/status")
        n=$(python3 "$ROOT/tests/e2e/sipreq.py" $SW_PORT invite "sip:m999999@127.0.0.1" | grep -c '^Contact:')
        # A lookup still answers at once.
        out=$(python3 "$ROOT/tests/e2e/sipreq.py" $SW_PORT invite "sip:m777@127.0.0.1" | head -1)
        stop_server
        echo "sipward memory bindings=$NBIND lookup_contacts=$n rss_kb=$rss hwm_kb=$hwm empty_rss_kb=$base per_binding_bytes=$(( (rss - base) * 1024 / NBIND )) load_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", b-a}') invite=\"$out\"" | tee -a "$RESULTS"
        ;;
    *)
        echo "unknown mode $MODE" >&2
        exit 2
        ;;
    esac
done

echo
echo "== summary (server CPU per call is what ranks the servers) =="
while read -r name mode rest; do
    case "$mode" in
    301 | 302 | register)
        printf '%-9s %-9s cps=%-7s failed=%-5s srv_us_per_call=%-6s noisy=%s\n' \
            "$name" "$mode" "$(kv cps "$rest")" "$(kv failed "$rest")" \
            "$(kv srv_us_per_call "$rest")" "$(kv noisy "$rest")" ;;
    *) echo "$name $mode $rest" ;;
    esac
done <"$RESULTS"
