#!/bin/sh
# Soak (`make soak`): the daemon under steady mixed SIPp traffic for
# SOAK_SECONDS (default 600), then two verdicts:
#   - zero unexpected responses: every SIPp call of every stream passed
#     (a wrong code, a missing header or a timeout fails the call);
#   - RSS flat after warm-up: the last sample is within 10% of the sample
#     taken at 2 minutes (at half the run when it is shorter than 4).
# Streams, each at a fifth of the total rate:
#   register    REGISTER with digest auth (401, then 200) for 50 users
#   registered  INVITE to a registered user: 302 with its Contact
#   moved       INVITE to a moved user: 301 with the new address
#   unknown     INVITE to an unknown user: 404
#   signed      INVITE signed by the STI-AS 302 interface, then sent with
#               that Identity to the STI-VS: 302 TN-Validation-Passed
# The total rate is SOAK_RATE calls/s, or half the maximum of this mix,
# measured first (all streams at full speed for 15 s). Past the maximum
# SIPp itself falls behind and retransmits, and a late answer to a
# retransmission reaches a scenario that has moved on. RSS (VmRSS) is sampled
# every 10 s and printed with the result.
#
# Usage: SIPWARD=build/release/sipward tests/soak/soak.sh
#   SOAK_SECONDS=N  run length (default 600)   SOAK_RATE=N  calls/s
. "$(dirname "$0")/../e2e/lib.sh"

SECS=${SOAK_SECONDS:-600}
NUSERS=50
SOAK=$SW_SRC/tests/soak
cd "$SW_TMP" || fail "cd"
printf 'soak-admin-token-0123456789abcdef\n' >token
chmod 600 token
AS_PORT=$(free_port)
SW_PORT=$(free_port)
start_daemon --set "sip.listen=udp:127.0.0.1:$SW_PORT,tcp:127.0.0.1:$SW_PORT,udp:127.0.0.1:$AS_PORT" \
    --set "stir.sign_from=udp:127.0.0.1:$AS_PORT" \
    --set registrar.algorithms=md5 --set log.level=warn \
    --set "http.token_file=$SW_TMP/token"
wait_listening "$AS_PORT" udp || fail "STI-AS listener not up"
wait_listening "$SW_HTTP_PORT" tcp || fail "HTTP not listening"
API=http://127.0.0.1:$SW_HTTP_PORT/api/v1
AUTH="Authorization: Bearer $(cat token)"

# Users (all registered first, the first five re-registering during the
# soak), moved users, unknown names.
echo SEQUENTIAL >registered.csv
echo SEQUENTIAL >moved.csv
echo SEQUENTIAL >unknown.csv
i=0
while [ $i -lt $NUSERS ]; do
    echo "soak$i" >>registered.csv
    echo "gone$i" >>moved.csv
    echo "nobody$i" >>unknown.csv
    st=$(curl -s -o /dev/null -w '%{http_code}' -H "$AUTH" \
        -d "{\"aor\":\"sip:soak$i@127.0.0.1\",\"password\":\"pw-soak$i\"}" \
        "$API/users")
    [ "$st" = 201 ] || fail "add user soak$i: $st"
    st=$(curl -s -o /dev/null -w '%{http_code}' -H "$AUTH" \
        -d "{\"aor\":\"sip:gone$i@127.0.0.1\",\"uri\":\"sip:gone$i@new.example.net\"}" \
        "$API/moved")
    [ "$st" = 201 ] || fail "add moved gone$i: $st"
    i=$((i + 1))
done

# invite_xml NAME CODE RE: the INVITE scenario expecting CODE, Contact ~ RE.
invite_xml() {
    re=$(printf '%s' "$3" | sed 's/[&|\\]/\\&/g')
    sed -e "s|@CODE@|$2|" -e "s|@RE@|$re|" "$SOAK/invite.xml" >"$1.xml"
}
invite_xml registered 302 'Contact: *&lt;sip:soak[0-9]+@192\.0\.2\.10:5062&gt;'
invite_xml moved 301 'Contact: *&lt;sip:gone[0-9]+@new\.example\.net&gt;'
invite_xml unknown 404 'SIP/2.0 404'

# stream NAME SCENARIO PORT RATE CALLS [sipp args]: one SIPp instance in
# the background sending RATE calls per RP ms (default 1000) for at most
# LIMIT seconds, its summary
# in NAME.screen, errors in NAME.err; "NAME:PID" is added to $STREAMS.
STREAMS=""
LIMIT=$((SECS + 90))
stream() {
    name=$1 sf=$2 port=$3 rate=$4 calls=$5
    shift 5
    timeout $((LIMIT + 30)) sipp "127.0.0.1:$port" -sf "$sf" -t u1 \
        -i 127.0.0.1 -p "$(free_port)" -r "$rate" -rp "${RP:-1000}" \
        -m "$calls" -l 2000 -key domain 127.0.0.1 -nostdin \
        -recv_timeout 10000 -timeout "${LIMIT}s" -trace_err \
        -error_file "$name.err" -trace_screen -screen_file "$name.screen" \
        "$@" >"$name.out" 2>&1 &
    STREAMS="$STREAMS $name:$!"
}

# Register everyone once, so "registered" INVITEs find a binding.
i=0
while [ $i -lt $NUSERS ]; do
    out=$(python3 "$SW_E2E/sipreq.py" "$SW_PORT" register \
        "sip:soak$i@127.0.0.1" --contact "sip:soak$i@192.0.2.10:5062" \
        --expires 3600 --alg MD5 --password "pw-soak$i")
    case $out in
    "SIP/2.0 200"*) ;;
    *) fail "initial REGISTER of soak$i: $out" ;;
    esac
    i=$((i + 1))
done

# streams RATE CALLS: the five streams of the mix, RATE calls/s each
# (CALLS each), in the background.
streams() {
    STREAMS=""
    # SIPp takes digest credentials from -au/-ap only (nested keywords in
    # [authentication] are not expanded): five instances, one user each,
    # each at a fifth of the stream's rate.
    for i in 0 1 2 3 4; do
        RP=5000 stream register$i "$SOAK/register.xml" "$SW_PORT" "$1" \
            $(($2 / 5)) -key user soak$i -au soak$i -ap pw-soak$i
    done
    stream registered registered.xml "$SW_PORT" "$1" "$2" -inf registered.csv
    stream moved moved.xml "$SW_PORT" "$1" "$2" -inf moved.csv
    stream unknown unknown.xml "$SW_PORT" "$1" "$2" -inf unknown.csv
    stream signed "$SW_E2E/sipp/sti_roundtrip.xml" "$AS_PORT" "$1" "$2" \
        -key from 12155551212 -key to 12155551213
}

# passed NAME...: calls that passed, summed over the streams' summaries.
passed() {
    t=0
    for n in "$@"; do
        v=$(sed -n 's/^ *Successful call *| *[0-9]* *| *\([0-9]*\).*/\1/p' \
            "$n.screen" 2>/dev/null | tail -1)
        t=$((t + ${v:-0}))
    done
    echo $t
}

if [ -n "${SOAK_RATE:-}" ]; then
    RATE=$SOAK_RATE
else
    # The maximum of this mix: all five streams asking for far more than
    # the machine can do, for 15 s; what passed per second is the maximum.
    t0=$(date +%s)
    LIMIT=15
    streams 2000 1000000
    for sp in $STREAMS; do
        wait "${sp#*:}"
    done
    t1=$(date +%s)
    LIMIT=$((SECS + 90))
    ok=$(passed register0 register1 register2 register3 register4 \
        registered moved unknown signed)
    MAX=$((ok / (t1 - t0)))
    [ "$MAX" -gt 10 ] || fail "could not measure a maximum rate ($ok calls)"
    RATE=$((MAX / 2))
    echo "soak: measured maximum ~$MAX calls/s of the mix ($ok in $((t1 - t0)) s), running at $RATE"
    rm -f ./*.screen ./*.err
fi
PER=$((RATE / 5))
[ "$PER" -ge 1 ] || PER=1
CALLS=$((PER * SECS))
echo "soak: ${SECS}s, $PER calls/s on each of 5 streams"
streams $PER $CALLS

# RSS every 10 s while the streams run (bounded by the run length).
start=$(date +%s)
: >rss.txt
while :; do
    now=$(date +%s)
    el=$((now - start))
    rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$SW_PID/status" 2>/dev/null)
    [ -n "$rss" ] || fail "daemon gone after ${el}s"
    echo "$el $rss" >>rss.txt
    alive=0
    for sp in $STREAMS; do
        kill -0 "${sp#*:}" 2>/dev/null && alive=1
    done
    [ $alive = 1 ] && [ $el -lt $((SECS + 150)) ] || break
    sleep 10
done

failed=0
for sp in $STREAMS; do
    s=${sp%:*}
    wait "${sp#*:}"
    rc=$?
    ok=$(sed -n 's/^ *Successful call *| *[0-9]* *| *\([0-9]*\).*/\1/p' "$s.screen" | tail -1)
    bad=$(sed -n 's/^ *Failed call *| *[0-9]* *| *\([0-9]*\).*/\1/p' "$s.screen" | tail -1)
    echo "soak: $s: ${ok:-?} calls passed, ${bad:-?} failed (sipp exit $rc)"
    if [ "$rc" != 0 ] || [ "${bad:-1}" != 0 ]; then
        failed=1
        head -20 "$s.err" 2>/dev/null >&2
    fi
done

# Flat: the last sample within 10% of the one at the end of warm-up.
warm=120
[ "$SECS" -ge 240 ] || warm=$((SECS / 2))
echo "soak: RSS (seconds, KiB): $(tr '\n' ' ' <rss.txt)"
verdict=$(awk -v w="$warm" '
    $1 >= w && !base { base = $2; at = $1 }
    { last = $2; if ($1 >= w && $2 > max) max = $2 }
    END {
        if (!base) { print "no sample after warm-up"; exit }
        d = (last - base) * 100 / base
        printf "RSS %d KiB at %d s, last %d KiB (%+.1f%%), max after warm-up %d KiB%s\n",
            base, at, last, d, max, (d > 10 || d < -10) ? ": NOT FLAT" : ""
    }' rss.txt)
echo "soak: $verdict"
case $verdict in
*"NOT FLAT"* | "no sample"*) failed=1 ;;
esac

stop_daemon
[ "$SW_EXIT" = 0 ] || fail "daemon exit status $SW_EXIT after the soak"
[ $failed = 0 ] || { SW_KEEP=1; fail "soak: unexpected responses or RSS growth (see above)"; }
pass "soak: ${SECS}s at $RATE calls/s, every call as expected, RSS flat"
