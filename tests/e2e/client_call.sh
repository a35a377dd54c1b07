#!/bin/sh
# sipward call against SIPp callees (INVITE with SDP, ACK, BYE after
# --duration; Ctrl-C while ringing -> CANCEL, 487, ACK; ringing past
# --timeout -> CANCEL, exit 3), digest answers to
# a 401 (right password from a file -> 200, wrong from the environment ->
# 403 with the Reason and the catalog's explanation), and TCP (to SIPp, and
# to the daemon: 404 -> exit 1).
. "$(dirname "$0")/lib.sh"

uas() {
    name=$1 sc=$2 port=$3 calls=$4
    shift 4
    mkdir -p "$SW_TMP/$name"
    (cd "$SW_TMP/$name" && exec timeout 50 sipp -sf "$SW_E2E/sipp/$sc.xml" \
        -i 127.0.0.1 -p "$port" -m "$calls" -nostdin -trace_logs -trace_err \
        "$@" >/dev/null 2>&1) &
    SW_BG_PIDS="$SW_BG_PIDS $!"
}
uas_log() {
    cat "$SW_TMP/$1"/*_logs.log 2>/dev/null
}
# wait_log NAME PATTERN: up to 3 s for the UAS to log PATTERN.
wait_log() {
    i=0
    while ! uas_log "$1" | grep -q "$2" && [ $i -lt 30 ]; do
        sleep 0.1
        i=$((i + 1))
    done
    uas_log "$1" | grep -q "$2"
}
C() {
    "$SIPWARD" "$@" --no-book --timeout 5 >"$SW_TMP/out" 2>"$SW_TMP/err"
    RC=$?
    OUT=$(cat "$SW_TMP/out" "$SW_TMP/err")
}

"$SIPWARD" help call | grep -q "NO MEDIA" || fail "call --help does not say it carries no media"

# A call: 200, ACK, BYE after 1 s.
P=$(free_port)
uas callee client_call_uas "$P" 1
wait_listening "$P" udp || fail "SIPp callee"
C call "sip:bob@127.0.0.1:$P" --duration 1
[ "$RC" = 0 ] || fail "call: exit $RC: $OUT"
echo "$OUT" | grep -q "^200 OK from sip:bob@127.0.0.1:$P\$" || fail "call: $OUT"
echo "$OUT" | grep -q "BYE answered 200 OK" || fail "call: no BYE answer: $OUT"
wait_log callee "got INVITE sip:bob@127.0.0.1:$P with m=audio 9 RTP/AVP" || fail "INVITE without SDP: $(uas_log callee)"
wait_log callee "got ACK sip:callee@127.0.0.1:$P" || fail "no ACK to the Contact: $(uas_log callee)"
wait_log callee "got BYE sip:callee@127.0.0.1:$P" || fail "no BYE: $(uas_log callee)"
pass "call: INVITE with SDP, 200, ACK and BYE to the callee's Contact"

# Ctrl-C while ringing: CANCEL, then 487 (exit 1) and its ACK.
P=$(free_port)
uas ring client_ring "$P" 1
wait_listening "$P" udp || fail "SIPp ringing callee"
"$SIPWARD" call "sip:bob@127.0.0.1:$P" --no-book --duration 1 --timeout 60 -v \
    >"$SW_TMP/out" 2>&1 &
CALL=$!
# Ctrl-C once it rings (-v output is line-buffered): by then the client
# holds SIGINT for itself.
i=0
until grep -q "^< 180 Ringing" "$SW_TMP/out" || [ $i -ge 300 ]; do
    sleep 0.1
    i=$((i + 1))
done
kill -INT "$CALL"
wait "$CALL"
RC=$?
[ "$RC" = 1 ] || fail "cancelled call: exit $RC: $(cat "$SW_TMP/out")"
grep -q "^487 Request Terminated from" "$SW_TMP/out" || fail "no 487: $(cat "$SW_TMP/out")"
wait_log ring "got CANCEL sip:bob@127.0.0.1:$P" || fail "no CANCEL: $(uas_log ring)"
wait_log ring "got ACK" || fail "487 not ACKed: $(uas_log ring)"
pass "Ctrl-C while ringing sends CANCEL; 487 ACKed, exit 1"

# Ringing past --timeout (and past Timer B's 32 s, which ends only an
# unanswered INVITE): CANCEL, the 487 ACKed, exit 3 naming the timeout.
P=$(free_port)
uas ring2 client_ring "$P" 1
wait_listening "$P" udp || fail "SIPp ringing callee"
"$SIPWARD" call "sip:bob@127.0.0.1:$P" --no-book --timeout 2 >"$SW_TMP/out" 2>&1
RC=$?
[ "$RC" = 3 ] || fail "ringing past --timeout: exit $RC: $(cat "$SW_TMP/out")"
grep -q "^487 Request Terminated from" "$SW_TMP/out" || fail "no 487: $(cat "$SW_TMP/out")"
grep -q "rang for 2 s without an answer: cancelled" "$SW_TMP/out" || fail "timeout not named: $(cat "$SW_TMP/out")"
wait_log ring2 "got CANCEL sip:bob@127.0.0.1:$P" || fail "no CANCEL: $(uas_log ring2)"
wait_log ring2 "got ACK" || fail "487 not ACKed: $(uas_log ring2)"
pass "ringing past --timeout: CANCEL, 487 ACKed, exit 3"

# Digest: right password from a file, wrong one from the environment.
P=$(free_port)
uas auth client_auth_uas "$P" 2 -key pw s3cret
wait_listening "$P" udp || fail "SIPp auth UAS"
printf 's3cret\n' >"$SW_TMP/pw"
C options "sip:bob@127.0.0.1:$P" --user bob --password-file "$SW_TMP/pw"
[ "$RC" = 0 ] || fail "digest: exit $RC: $OUT"
wait_log auth "auth valid=true" || fail "credentials refused: $(uas_log auth)"
SIPWARD_PASSWORD=wrong C options "sip:bob@127.0.0.1:$P" --user bob
[ "$RC" = 1 ] || fail "wrong password: exit $RC: $OUT"
echo "$OUT" | grep -q "^403 Forbidden from" || fail "wrong password: $OUT"
echo "$OUT" | grep -q 'Reason: SIP 403 "bad credentials"' || fail "no Reason text: $OUT"
echo "$OUT" | grep -q "authentication will not help" || fail "no explanation: $OUT"
C options "sip:bob@127.0.0.1:$P" --user bob
[ "$RC" = 2 ] || fail "--user without a password: exit $RC"
pass "digest: 401 answered (MD5, qop=auth), 403 explained, no password -> usage"

# TCP: to SIPp (--transport) and to the daemon (;transport=tcp).
P=$(free_port)
uas tcp client_uas "$P" 1 -t t1
wait_listening "$P" tcp || fail "SIPp over TCP"
C message "sip:bob@127.0.0.1:$P" --transport tcp --text "over tcp"
[ "$RC" = 0 ] || fail "message over TCP: exit $RC: $OUT"
wait_log tcp "got MESSAGE sip:bob@127.0.0.1:$P" || fail "no MESSAGE over TCP: $(uas_log tcp)"
start_daemon --set registrar.auth=false
C options "sip:nobody@127.0.0.1:$SW_PORT;transport=tcp" -v
[ "$RC" = 1 ] || fail "404 over TCP: exit $RC: $OUT"
echo "$OUT" | grep -q "Via: SIP/2.0/TCP" || fail "not sent over TCP: $OUT"
echo "$OUT" | grep -q "^404 Not Found from sip:nobody@127.0.0.1:$SW_PORT;transport=tcp\$" || fail "404 over TCP: $OUT"
pass "TCP: MESSAGE to SIPp, OPTIONS to the daemon (404 -> exit 1)"
