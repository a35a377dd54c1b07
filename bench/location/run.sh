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
#   regauth   REGISTER -> 401 -> REGISTER+digest -> 200, MD5 then SHA-256
#             (REGAUTH_ALGS), against Kamailio with kamailio-regauth.cfg
#             (regauth.c: SIPp cannot vary the digest user)
#   memory    sipward only: RSS of the daemon holding 1,000,000 bindings
#   latency   INVITE -> 301 -> ACK at fixed offered loads (LAT_STEPS:
#             fractions of the higher of the two 301 saturation rates of
#             this run, or of MAX_CPS), both servers up, interleaved; the
#             peers' µs probe gives p50/p90/p99 (run 301 first)
#
#   bench/location/run.sh                 # everything, DURATION=10 s a run
#   DURATION=20 RUNS=3 bench/location/run.sh 301 302
#
# Ports (KAM_PORT, SW_PORT, SW_HTTP_PORT, LOCAL_PORT) can be moved off the
# defaults when someone else on the machine uses them.
#
# Not a test: the figures depend on the machine and on who else uses it
# (see noisy= in each line). Loopback only; every SIPp run is bounded.
# Needs the release build (make build) and the peers' bench directory
# (PEER_BENCH, default ../shared/peers/kamailio-bench beside the repo);
# installs Debian's kamailio when missing.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
SIPWARD=${SIPWARD:-$ROOT/build/release/sipward}
WORK=${BENCH_WORK:-$ROOT/build/bench-location}
export DURATION=${DURATION:-10}
SW_WORKERS=${SW_WORKERS:-1}
NUSERS=${NUSERS:-10000}
. "$HERE/common.sh"
PEER=${PEER:-$ROOT/../shared/peers/kamailio-bench}
NBIND=${NBIND:-1000000}
RUNS=${RUNS:-1}
REGAUTH_ALGS=${REGAUTH_ALGS:-MD5 SHA-256}
LAT_STEPS=${LAT_STEPS:-0.25 0.5 0.75 0.9 1.0 1.1}
LAT_SECS=${LAT_SECS:-$DURATION}
KAM_PORT=${KAM_PORT:-5070}
SW_PORT=${SW_PORT:-5076}
SW_HTTP_PORT=${SW_HTTP_PORT:-18076}
MODES=("$@")
[ ${#MODES[@]} -gt 0 ] || MODES=(301 302 register regauth memory latency)
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
stop_pid() {
    if [ -n "$1" ] && kill -0 "$1" 2>/dev/null; then
        kill -TERM "$1"
        for _ in $(seq 50); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$1" 2>/dev/null || true
    fi
    wait "$1" 2>/dev/null || true
}
stop_server() {
    stop_pid "$SRV_PID"
    SRV_PID=""
}
KAM_LAT_PID=""
SW_LAT_PID=""
trap 'stop_server; stop_pid "$KAM_LAT_PID"; stop_pid "$SW_LAT_PID"' EXIT

# wait_port PORT [tenths of a second]: until the server we started
# (SRV_PID) holds the port, so a server of someone else is never measured.
wait_port() {
    for _ in $(seq "${2:-100}"); do
        ss -Hlnup "sport = :$1" | grep -q "pid=$SRV_PID," && return 0
        kill -0 "$SRV_PID" 2>/dev/null || break
        sleep 0.1
    done
    echo "our server does not listen on udp $1" >&2
    return 1
}

# The peers' redirect.cfg listens on 127.0.0.1:5070: a copy on KAM_PORT.
sed "s/127\.0\.0\.1:5070/127.0.0.1:$KAM_PORT/g" "$PEER/kamailio/redirect.cfg" >"$WORK/redirect.cfg"

# start_kamailio [CFG [-A ...]]: the best configuration (-x fm -X fm, one
# worker), the peers' redirect.cfg unless told otherwise.
start_kamailio() {
    local cfg=${1:-$WORK/redirect.cfg}
    shift || true
    /usr/sbin/kamailio -f "$cfg" -DD -E -a no -m 4096 -M 16 -x fm -X fm \
        -A CHILDREN=1 -A PORT="$KAM_PORT" "$@" >"$WORK/kamailio.log" 2>&1 &
    SRV_PID=$!
    wait_port $KAM_PORT
}

# Every process of the Kamailio we started (it serves from its children).
kam_pids() { echo "$1 $(pgrep -P "$1" | tr '\n' ' ')"; }

# A fresh store in DIR with the moved directory of the 301 load.
fresh_store() {
    local dir=$1
    rm -rf "$dir"
    mkdir -p "$dir"
    moved_store "$dir/bench.db"
}

# start_sipward DIR [--set ...]: bench.example.net and 127.0.0.1 served as
# one domain (Kamailio's use_domain=0), one worker like Kamailio.
start_sipward() {
    local dir=$1
    shift
    (cd "$dir" && exec "$SIPWARD" serve \
        --set "sip.listen=udp:127.0.0.1:$SW_PORT" \
        --set "http.listen=127.0.0.1:$SW_HTTP_PORT" \
        --set server.workers="$SW_WORKERS" --set log.level=warn \
        --set server.domains=bench.example.net,127.0.0.1 \
        --set registrar.use_domain=false --set registrar.max_expires=7200 \
        --set store.path="$dir/bench.db" "$@" >"$dir/sipward.log" 2>&1) &
    SRV_PID=$!
    # It listens once the store is loaded into memory.
    wait_port $SW_PORT "${WAIT_TENTHS:-100}"
}

peer_run() { # NAME MODE PORT PIDS
    local line
    line=$(MODE=$2 SERVER_PIDS="$4" LOCAL_PORT=${LOCAL_PORT:-5094} BENCH_WORK="$WORK/peer" "$PEER/run-redirect.sh" "$3" 2>"$WORK/$1-$2.err" | tail -1)
    echo "$1 $2 $line" | tee -a "$RESULTS"
}

kv() { echo "$2" | tr ' ' '\n' | sed -n "s/^$1=//p" | head -1; }

# Proportional set size (kB) of every process of the Kamailio we started:
# its usrloc lives in shared memory, which RSS would count once per process.
kam_pss_kb() {
    local p sum=0
    for p in $(kam_pids "$1"); do
        sum=$((sum + $(awk '/^Pss:/ { print $2 }' "/proc/$p/smaps_rollup" 2>/dev/null || echo 0)))
    done
    echo "$sum"
}

# Kamailio's memory for NBIND bindings: SIPp registers NBIND new AORs
# (the peers' register.xml) into usrloc; PSS before and after.
kamailio_memory() {
    local pss0 pss1 t0 t1 ok
    start_kamailio
    pss0=$(kam_pss_kb "$SRV_PID")
    t0=$(date +%s.%N)
    timeout $((NBIND / 2000 + 60)) sipp "127.0.0.1:$KAM_PORT" -sf "$PEER/sipp/register.xml" \
        -key prefix m -i 127.0.0.1 -p "${LOCAL_PORT:-5094}" -nd -nostdin \
        -buff_size 4194304 -r 200000 -rp 1000 -l 1000 -m "$NBIND" \
        -timeout $((NBIND / 2000 + 50))s -trace_stat -stf "$WORK/kmem.csv" \
        >"$WORK/kmem.log" 2>&1 || true
    t1=$(date +%s.%N)
    pss1=$(kam_pss_kb "$SRV_PID")
    ok=$(kv ok "$(python3 "$PEER/tools/sippstats.py" "$WORK/kmem.csv")")
    stop_server
    echo "kamailio memory bindings=${ok:-0} pss_kb=$pss1 empty_pss_kb=$pss0" \
        "per_binding_bytes=$(((pss1 - pss0) * 1024 / (${ok:-0} > 0 ? ok : 1)))" \
        "load_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", b-a}')" | tee -a "$RESULTS"
}

for MODE in "${MODES[@]}"; do
    case "$MODE" in
    301 | 302 | register)
        for _ in $(seq "$RUNS"); do
            start_kamailio
            peer_run kamailio "$MODE" $KAM_PORT "$(kam_pids "$SRV_PID")"
            stop_server
            fresh_store "$WORK/sw"
            start_sipward "$WORK/sw" --set registrar.auth=false
            peer_run sipward "$MODE" $SW_PORT "$SRV_PID"
            stop_server
        done
        ;;
    regauth)
        fresh_store "$WORK/sw"
        python3 "$HERE/users_sql.py" "$NUSERS" >"$WORK/users.sql"
        sqlite3 "$WORK/sw/bench.db" <"$WORK/users.sql"
        cc -O2 -o "$WORK/regauth" "$HERE/regauth.c" -lcrypto
        for alg in $REGAUTH_ALGS; do
            a=md5; [ "$alg" = SHA-256 ] && a=sha256
            start_kamailio "$HERE/kamailio-regauth.cfg" -A ALG="\"$alg\""
            pids=$(kam_pids "$SRV_PID" | tr ' ' ',' | sed 's/,*$//')
            "$WORK/regauth" $KAM_PORT "$NUSERS" 1 200 "$alg" >/dev/null # warm-up
            line=$("$WORK/regauth" $KAM_PORT "$NUSERS" "$DURATION" 200 "$alg" "$pids")
            echo "kamailio regauth $line" | tee -a "$RESULTS"
            stop_server
            start_sipward "$WORK/sw" --set registrar.algorithms=$a
            "$WORK/regauth" $SW_PORT "$NUSERS" 1 200 "$alg" "$SRV_PID" >/dev/null # warm-up
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
        n=$(python3 "$ROOT/tests/e2e/sipreq.py" $SW_PORT invite "sip:m$NBIND@127.0.0.1" | grep -c '^Contact:' || true)
        # A lookup still answers at once.
        out=$(python3 "$ROOT/tests/e2e/sipreq.py" $SW_PORT invite "sip:m777@127.0.0.1" | sed -n 1p)
        stop_server
        if [ "${KAM_MEM:-1}" = 1 ]; then kamailio_memory; fi
        echo "sipward memory bindings=$NBIND lookup_contacts=$n rss_kb=$rss hwm_kb=$hwm empty_rss_kb=$base per_binding_bytes=$(( (rss - base) * 1024 / NBIND )) load_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", b-a}') invite=\"$out\"" | tee -a "$RESULTS"
        ;;
    latency)
        max=${MAX_CPS:-$(awk '$2 == "301" { for (i = 3; i <= NF; i++) if ($i ~ /^cps=/) { v = substr($i, 5) + 0; if (v > m) m = v } } END { printf "%d", m }' "$RESULTS")}
        [ "${max:-0}" -gt 0 ] || { echo "latency: run mode 301 first, or set MAX_CPS" >&2; exit 2; }
        # Both servers up at once on their own ports, every load step run
        # against one then the other, so the machine's noise hits both.
        start_kamailio
        KAM_LAT_PID=$SRV_PID
        fresh_store "$WORK/sw"
        start_sipward "$WORK/sw" --set registrar.auth=false
        SW_LAT_PID=$SRV_PID
        SRV_PID=""
        for f in $LAT_STEPS; do
            r=$(awk -v m="$max" -v f="$f" 'BEGIN { printf "%d", m * f }')
            for who in kamailio sipward; do
                if [ $who = kamailio ]; then
                    port=$KAM_PORT pids=$(kam_pids "$KAM_LAT_PID")
                else
                    port=$SW_PORT pids=$SW_LAT_PID
                fi
                line=$(MODE=301 RATE=$r LIMIT=$((r > 5000 ? r : 5000)) CAL_SECS=0 \
                    PREREG=0 PROBE_RATE="${PROBE_RATE:-200}" DURATION="$LAT_SECS" \
                    SERVER_PIDS="$pids" LOCAL_PORT=${LOCAL_PORT:-5094} \
                    BENCH_WORK="$WORK/peer" "$PEER/run-redirect.sh" "$port" \
                    2>"$WORK/$who-latency.err" | tail -1)
                echo "$who latency frac=$f offered=$r max_cps=$max $line" | tee -a "$RESULTS"
            done
        done
        stop_pid "$KAM_LAT_PID"
        stop_pid "$SW_LAT_PID"
        KAM_LAT_PID="" SW_LAT_PID=""
        ;;
    *)
        echo "unknown mode $MODE" >&2
        exit 2
        ;;
    esac
done

echo
echo "== summary: medians; server CPU per call is what ranks the servers =="
python3 - "$RESULTS" <<'PY'
import re, statistics, sys
runs = {}
for line in open(sys.argv[1]):
    f = line.split()
    if len(f) < 3:
        continue
    kv = dict(re.findall(r"(\w+)=([-\d.]+)(?=\s|$)", line))
    alg = re.search(r"\balg=(\S+)", line)
    key = (f[0], f[1] + ("-" + alg.group(1) if alg else ""))
    if f[1] == "latency":
        continue  # one line per load step, printed as it ran
    runs.setdefault(key, []).append(kv)
med = {}
for (name, mode), rs in runs.items():
    m = {k: statistics.median(float(r[k]) for r in rs if k in r) for k in rs[0]}
    med[(name, mode)] = m
    print(f"MEDIAN name={name} mode={mode} runs={len(rs)} "
          + " ".join(f"{k}={v:g}" for k, v in m.items()))
for (name, mode), m in med.items():
    k = med.get(("kamailio", mode))
    if name != "sipward" or not k:
        continue
    for cpu, rate in (("srv_us_per_call", "cps"), ("srv_us_per_reg", "reg_per_s")):
        if cpu in m and cpu in k and k[cpu] > 0:
            print(f"RATIO mode={mode} sipward/kamailio CPU per request "
                  f"{m[cpu] / k[cpu]:.2f} ({m[cpu]:g} / {k[cpu]:g} us), "
                  f"throughput {m[rate] / max(k[rate], 1):.2f}")
PY
