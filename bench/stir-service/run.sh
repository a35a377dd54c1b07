#!/bin/sh
# Verified calls per second end to end, and server CPU per verified call,
# through sipward's STI-VS (302 interface, chain validation always on) and
# through Kamailio + secsipid (CertVerify=5: dates + chain, -x fm -X fm) in
# one run, with the same certificate (x5u served by python http.server on
# loopback, fetched once and cached), the same SIPp load of distinct valid
# PASSporTs, and next to `openssl speed ecdsap256` on the same machine.
# Then the same for signing: INVITE without Identity -> 302 with the
# Identity, sipward's STI-AS against Kamailio + secsipid_build_identity
# (kamailio-sign.cfg), with the same key.
#
#   bench/stir-service/run.sh            CALLS=20000 WORKERS=2 LIMIT=200
#   MODES=verify OPENSSL_SECS=0 ...      verify only, no openssl speed
#
# Lines starting "STI " are machine-readable (bench/all.sh reads them).
#
# Not a test: it prints figures. Server CPU = CPU time of every thread of
# the server process(es) over the run / calls (from /proc schedstat). Replay detection is off for
# sipward here because the PASSporT file is reused across runs.
set -eu
cd "$(dirname "$0")/../.."
CALLS=${CALLS:-20000}
WORKERS=${WORKERS:-2}
LIMIT=${LIMIT:-200}
MODES=${MODES:-verify sign}
OPENSSL_SECS=${OPENSSL_SECS:-3}
B=bench/stir-service
[ -f build/release/CMakeCache.txt ] || cmake --preset release >/dev/null
cmake --build --preset release -j2 --target sipward >/dev/null
SW=$PWD/build/release/sipward
# BENCH_WORK: where the run's files go (bench/all.sh keeps them in build/)
mkdir -p "${BENCH_WORK:-/tmp}"
W=$(mktemp -d "${BENCH_WORK:-/tmp}/stir-service.XXXXXX")
PIDS=""
trap 'for p in $PIDS; do kill $p 2>/dev/null || true; done; sleep 0.3; rm -rf "$W"' EXIT
trap 'exit 143' TERM INT # so that a time limit still cleans up

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# CPU time (ns) of the processes listed, every thread, from schedstat:
# /proc/PID/stat counts in 10 ms ticks, too coarse for a short run.
cpu() {
    t=0
    for p in "$@"; do
        for f in /proc/"$p"/task/*/schedstat; do
            read -r ns _ <"$f" 2>/dev/null || continue
            t=$((t + ns))
        done
    done
    echo $t
}
HZ=1000000000

"$SW" pki init "$W/pki" >/dev/null
"$SW" pki issue --dir "$W/pki" --spc 1234 >/dev/null
mkdir -p "$W/www" "$W/kcache"
cp "$W/pki/sp-chain.pem" "$W/www/sp.pem"
cat "$W/pki/root.pem" "$W/pki/inter.pem" >"$W/ca.pem"
HP=$(port)
python3 -m http.server --bind 127.0.0.1 --directory "$W/www" "$HP" \
    >"$W/http.log" 2>&1 &
PIDS="$PIDS $!"
X5U=http://127.0.0.1:$HP/sp.pem
sleep 0.5
python3 $B/make-identities.py --key "$W/pki/sp.key" --x5u "$X5U" \
    --count "$CALLS" >"$W/id.csv"

# load MODE NAME PORT PID...: prints a human line and an "STI" line
load() {
    mode=$1 name=$2 lp=$3
    shift 3
    sc=$B/uac_verify.xml inf="-inf $W/id.csv"
    [ "$mode" = sign ] && sc=$B/uac_sign.xml inf=""
    # shellcheck disable=SC2086
    sipp "127.0.0.1:$lp" -sf "$sc" $inf -i 127.0.0.1 \
        -p "$(port)" -m 20 -r 200 -nostdin -timeout 20s >/dev/null 2>&1 || true
    c0=$(cpu "$@")
    t0=$(date +%s%N)
    rc=0
    # shellcheck disable=SC2086
    sipp "127.0.0.1:$lp" -sf "$sc" $inf -i 127.0.0.1 \
        -p "$(port)" -m "$CALLS" -r 100000 -l "$LIMIT" -nostdin \
        -timeout 120s -trace_stat -stf "$W/stat-$lp.csv" >"$W/sipp-$lp.out" \
        2>&1 || rc=$?
    t1=$(date +%s%N)
    c1=$(cpu "$@")
    col=$(head -1 "$W/stat-$lp.csv" | tr ';' '\n' | grep -n '^FailedCall(C)$' \
        | cut -d: -f1)
    failed=$(tail -1 "$W/stat-$lp.csv" | cut -d';' -f"${col:-19}")
    awk -v n="$CALLS" -v dt=$((t1 - t0)) -v dc=$((c1 - c0)) -v hz="$HZ" \
        -v f="${failed:-NA}" -v rc="$rc" -v mode="$mode" -v name="$name" 'BEGIN {
        printf "%8.0f calls/s  %6.1f us server CPU/call  (failed calls: %s, sipp exit %s)\n",
            n / (dt / 1e9), dc / hz * 1e6 / n, f, rc
        printf "STI mode=%s name=%s calls_per_s=%.0f us_per_call=%.1f failed=%s calls=%d sipp_rc=%s\n",
            mode, name, n / (dt / 1e9), dc / hz * 1e6 / n, f, n, rc }' | tee -a "$W/sti.txt"
}

# wait_udp PORT PID: until that process of ours holds the UDP port (5 s)
wait_udp() {
    i=0
    while [ $i -lt 100 ]; do
        ss -Hlnup "sport = :$1" | grep -q "pid=$2," && return 0
        sleep 0.05
        i=$((i + 1))
    done
    echo "pid $2 does not listen on udp $1" >&2
    return 1
}

# start_sipward ARGS...: the daemon on a free port, SP and SWPID set
start_sipward() {
    SP=$(port)
    (cd "$W" && exec "$SW" serve --set "sip.listen=udp:127.0.0.1:$SP" \
        --set "http.listen=127.0.0.1:$(port)" --set "server.workers=$WORKERS" \
        --set "store.path=$W/sw.db" --set log.level=warn "$@" \
        >>"$W/sipward.log" 2>&1) &
    SWPID=$!
    PIDS="$PIDS $SWPID"
    wait_udp "$SP" "$SWPID"
}

# kamailio_load MODE CFG -A ...: Kamailio in its best configuration on a
# free port, under MODE's load, then stopped
kamailio_load() {
    mode=$1 cfg=$2
    shift 2
    KP=$(port)
    kamailio -f "$cfg" -DD -E -x fm -X fm -A "CHILDREN=$WORKERS" \
        -A "PORT=$KP" "$@" >>"$W/kamailio.log" 2>&1 &
    KPID=$!
    PIDS="$PIDS $KPID"
    wait_udp "$KP" "$KPID"
    printf 'kamailio secsipid %s (%s children): ' "$mode" "$WORKERS"
    load "$mode" kamailio "$KP" $KPID $(pgrep -P "$KPID" | tr '\n' ' ')
    kill "$KPID"
}

for mode in $MODES; do
    case $mode in
    verify)
        start_sipward --set "stir.trust=$W/pki/trust" \
            --set stir.http_hosts=127.0.0.1 --set stir.private_hosts=127.0.0.1 \
            --set stir.replay=off
        if [ -n "${PERF:-}" ]; then # PERF=file: profile sipward during its run
            perf record -F 2000 -g -p "$SWPID" -o "$PERF" >/dev/null 2>&1 &
            PERFPID=$!
        fi
        printf 'sipward STI-VS   (%s workers): ' "$WORKERS"
        load verify sipward "$SP" "$SWPID"
        [ -z "${PERF:-}" ] || { kill -INT "$PERFPID"; wait "$PERFPID" || true; }
        kill "$SWPID"
        kamailio_load verify $B/kamailio-verify.cfg -A "CACHE_DIR=\"$W/kcache\"" \
            -A "CA_OPT=\"CertCAFile=$W/ca.pem\""
        ;;
    sign)
        # sipward signs what comes from SIPp's address (stir.sign_from).
        start_sipward --set stir.sign_from=127.0.0.1 --set "stir.key=$W/pki/sp.key" \
            --set "stir.cert=$W/pki/sp-chain.pem" --set "stir.x5u=$X5U"
        printf 'sipward STI-AS   (%s workers): ' "$WORKERS"
        load sign sipward "$SP" "$SWPID"
        kill "$SWPID"
        kamailio_load sign $B/kamailio-sign.cfg -A "X5U=\"$X5U\"" \
            -A "KEY_FILE=\"$W/pki/sp.key\""
        ;;
    *)
        echo "unknown mode $mode" >&2
        exit 2
        ;;
    esac
done

# sipward/Kamailio ratios of this run
awk '/^STI / { for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
        cpu[v["mode"], v["name"]] = v["us_per_call"]; rate[v["mode"], v["name"]] = v["calls_per_s"] }
    END { n = split("verify sign", m, " ")
        for (i = 1; i <= n; i++) if (cpu[m[i], "kamailio"] > 0)
            printf "RATIO %s sipward/kamailio: CPU per call %.2f, calls/s %.2f\n", m[i],
                cpu[m[i], "sipward"] / cpu[m[i], "kamailio"],
                rate[m[i], "sipward"] / rate[m[i], "kamailio"] }' "$W/sti.txt"

if [ "$OPENSSL_SECS" != 0 ]; then
    echo "openssl speed ecdsap256 (one core):"
    openssl speed -seconds "$OPENSSL_SECS" ecdsap256 2>/dev/null | grep -E "^ *256 bits" \
        | awk '{ printf "  sign %.1f us, verify %.1f us\n", 1e6 / $7, 1e6 / $8 }'
fi
