#!/usr/bin/env bash
# bench/net/options.sh: SIPp OPTIONS → 200 at the highest rate SIPp sustains
# (closed loop, -l concurrent), against sipward and against Kamailio in its
# best configuration (-x fm -X fm, one worker), interleaved, in one run.
# Prints requests/s, failures and server CPU per 10,000 requests (utime +
# stime of every thread/process of the server, from /proc/PID/stat).
#
#   bench/net/options.sh            # RUNS=3 CALLS=400000 LIMIT=500
#   MODE=invite bench/net/options.sh   # INVITE → 405 → ACK instead
#   SIPWARD=build/x/sipward ...        # another binary
#   SW_ARGS="--set transport.udp_coalesce_us=0" ...  # extra serve options
#
# Not a test: numbers depend on the machine. Loopback only; every SIPp run
# is bounded by -m and -timeout. Needs the release build (make build) and
# installs Debian's kamailio if missing.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
RUNS=${RUNS:-3}
CALLS=${CALLS:-400000}
MODE=${MODE:-options}
SCENARIO="$HERE/sipp/$MODE.xml"
LIMIT=${LIMIT:-500}
SW_WORKERS=${SW_WORKERS:-1}
# Ports: override when something else on the machine uses the defaults.
KAM_PORT=${KAM_PORT:-5070}
SW_PORT=${SW_PORT:-5072}
SIPP_PORT=${SIPP_PORT:-5090}
WORK=${BENCH_WORK:-$ROOT/build/bench-net}
SIPWARD=${SIPWARD:-$ROOT/build/release/sipward}
KAM_CFG=${KAM_CFG:-$HERE/kamailio-options.cfg}
CLK_TCK=$(getconf CLK_TCK)
mkdir -p "$WORK"

if ! command -v kamailio >/dev/null && [ ! -x /usr/sbin/kamailio ]; then
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
    $SUDO apt-get install -y -qq --no-install-recommends kamailio
fi
[ -x "$SIPWARD" ] || { echo "build first: make build" >&2; exit 1; }

# "utime stime" ticks of a process and its children (every thread).
tree_ticks() {
    local root=$1 u=0 s=0 p
    local pids
    pids="$root $(ps -o pid= --ppid "$root" 2>/dev/null | tr '\n' ' ')"
    for p in $pids; do
        [ -r "/proc/$p/stat" ] || continue
        read -ra a <<<"$(sed 's/^.*) //' "/proc/$p/stat")"
        u=$((u + a[11]))
        s=$((s + a[12]))
    done
    echo "$u $s"
}

start_kamailio() {
    /usr/sbin/kamailio -f "$KAM_CFG" -DD -E -a no -m 256 -M 16 -x fm -X fm \
        -A CHILDREN=1 -A PORT="$KAM_PORT" >"$WORK/kamailio.log" 2>&1 &
    SRV_PID=$!
}

start_sipward() {
    (cd "$WORK" && exec "$SIPWARD" serve \
        --set "sip.listen=udp:127.0.0.1:$SW_PORT" \
        --set "http.listen=127.0.0.1:${SW_HTTP_PORT:-18080}" \
        --set server.workers="$SW_WORKERS" --set log.level=warn \
        --set store.path="$WORK/bench.db" ${SW_ARGS:-} >"$WORK/sipward.log" 2>&1) &
    SRV_PID=$!
}

# wait_port PORT: until the server we started (SRV_PID) holds it, so a
# server of someone else on that port is never measured.
wait_port() {
    for _ in $(seq 50); do
        ss -Hlnup "sport = :$1" | grep -q "pid=$SRV_PID," && return 0
        sleep 0.1
    done
    echo "server not listening on $1" >&2
    return 1
}

# run_one NAME PORT: prints "name rps failed cpu_ms_per_10k"
run_one() {
    local name=$1 port=$2 stat="$WORK/$1.stat.csv"
    rm -f "$stat"
    # warm-up
    timeout 60 sipp "127.0.0.1:$port" -sf "$SCENARIO" \
        -i 127.0.0.1 -p $SIPP_PORT -nd -nostdin -buff_size 4194304 \
        -r 200000 -l "$LIMIT" -m "${WARMUP:-20000}" -timeout 30s >/dev/null 2>&1 || true
    local c0 t0 c1 t1
    c0=$(tree_ticks "$SRV_PID")
    t0=$(date +%s.%N)
    timeout 120 sipp "127.0.0.1:$port" -sf "$SCENARIO" \
        -i 127.0.0.1 -p $SIPP_PORT -nd -nostdin -buff_size 4194304 \
        -recv_timeout 5000 -r 200000 -rp 1000 -l "$LIMIT" -m "$CALLS" \
        -timeout 100s -trace_stat -stf "$stat" -fd 100 \
        >"$WORK/$name.sipp.log" 2>&1 || true
    t1=$(date +%s.%N)
    c1=$(tree_ticks "$SRV_PID")
    python3 - "$stat" "$name" "$t0" "$t1" "$c0" "$c1" "$CLK_TCK" <<'PY'
import csv, sys
path, name, t0, t1, c0, c1, hz = sys.argv[1:]
u0, s0 = map(int, c0.split()); u1, s1 = map(int, c1.split())
rows = list(csv.reader(open(path), delimiter=";"))
h, last = rows[0], rows[-1]
ok = int(last[h.index("SuccessfulCall(C)")])
failed = int(last[h.index("FailedCall(C)")])
secs = float(t1) - float(t0)
cpu = (u1 - u0 + s1 - s0) / int(hz)
user = (u1 - u0) / int(hz)
n = max(ok, 1)
print(f"{name} rps={ok/secs:.0f} ok={ok} failed={failed} secs={secs:.1f} "
      f"cpu_s={cpu:.2f} cpu_ms_per_10k={1e7*cpu/n:.1f} "
      f"cpu_us_per_req={1e6*cpu/n:.2f} user_us_per_req={1e6*user/n:.2f} "
      f"sys_us_per_req={1e6*(cpu-user)/n:.2f}")
PY
}

stop_server() {
    kill "$SRV_PID" 2>/dev/null || true
    wait "$SRV_PID" 2>/dev/null || true
}

RESULTS="$WORK/results.txt"
: >"$RESULTS"
echo "# $(date -u +%FT%TZ) MODE=$MODE RUNS=$RUNS CALLS=$CALLS LIMIT=$LIMIT sipward workers=$SW_WORKERS" | tee -a "$RESULTS"
for i in $(seq "$RUNS"); do
    start_kamailio; wait_port $KAM_PORT
    run_one kamailio $KAM_PORT | tee -a "$RESULTS"
    stop_server
    start_sipward; wait_port $SW_PORT
    run_one sipward $SW_PORT | tee -a "$RESULTS"
    stop_server
done
python3 - "$RESULTS" <<'PY'
import re, statistics, sys
rows = {}
for line in open(sys.argv[1]):
    if line.startswith("#"): continue
    name = line.split()[0]
    kv = dict(re.findall(r"(\w+)=([\d.]+)", line))
    rows.setdefault(name, []).append(kv)
med = {}
for name, rs in rows.items():
    m = {k: statistics.median(float(r[k]) for r in rs) for k in rs[0]}
    med[name] = m
    print(f"MEDIAN name={name} " + " ".join(f"{k}={v:g}" for k, v in m.items()))
    print(f"median {name}: {m['rps']:.0f} req/s, failed {m['failed']:.0f}, "
          f"{m['cpu_ms_per_10k']:.1f} ms CPU per 10k requests "
          f"({m['cpu_us_per_req']:.2f} us/request: user "
          f"{m['user_us_per_req']:.2f}, kernel {m['sys_us_per_req']:.2f})")
if "kamailio" in med and "sipward" in med:
    r = med["sipward"]["cpu_us_per_req"] / med["kamailio"]["cpu_us_per_req"]
    print(f"sipward/kamailio CPU per request: {r:.2f}")
PY
