#!/bin/sh
# The client against Kamailio as a redirect server (a config of its own,
# the benchmark's rule: moved-N -> 301 to sip:N@ the callee's address):
# `sipward call moved-7` follows Kamailio's 301 to a SIPp callee (INVITE,
# ACK, BYE), records it, and the second call goes straight to the callee
# with Kamailio stopped.
. "$(dirname "$0")/lib.sh"

. "$SW_E2E/kamailio.inc"
UAS_PID=""
kam_cleanup() {
    for p in $KAM_PID $UAS_PID; do
        kill -KILL "$p" 2>/dev/null
    done
    cleanup
}
trap kam_cleanup EXIT

KPORT=$(free_port)
UPORT=$(free_port)
mkdir -p "$SW_TMP/uas"
{
    kam_cfg_head "$KPORT" 1 sl pv textops
    cat <<CFG
modparam("sl", "rich_redirect", 0)
request_route {
    if (is_method("ACK")) {
        exit;
    }
    if (is_method("INVITE") && \$rU =~ "^moved-[0-9]+\$") {
        \$ru = "sip:" + \$(rU{s.substr,6,0}) + "@127.0.0.1:$UPORT";
        sl_send_reply("301", "Moved Permanently");
        exit;
    }
    sl_send_reply("404", "Not Found");
}
CFG
} >"$KAM_DIR/kamailio.cfg"
kam_start "$KPORT"
(cd "$SW_TMP/uas" && exec timeout 50 sipp -sf "$SW_E2E/sipp/client_call_uas.xml" \
    -i 127.0.0.1 -p "$UPORT" -m 2 -nostdin -trace_logs -trace_err >/dev/null 2>&1) &
UAS_PID=$!
wait_listening "$UPORT" udp || fail "SIPp callee not listening"

BOOK=$SW_TMP/book.db
"$SIPWARD" call "sip:moved-7@127.0.0.1:$KPORT" --duration 0 --book "$BOOK" \
    --timeout 5 >"$SW_TMP/out" 2>&1
RC=$?
OUT=$(cat "$SW_TMP/out")
[ "$RC" = 0 ] || fail "call via Kamailio's 301: exit $RC: $OUT"
echo "$OUT" | grep -q "^200 OK from sip:7@127.0.0.1:$UPORT\$" || fail "not at the callee: $OUT"
echo "$OUT" | grep -q "BYE answered 200 OK" || fail "no BYE: $OUT"
"$SIPWARD" book list --book "$BOOK" | grep -q "^sip:moved-7@127.0.0.1:$KPORT	sip:7@127.0.0.1:$UPORT	" \
    || fail "Kamailio's 301 not recorded"
pass "call follows Kamailio's 301 to the callee and records it"

kill -TERM "$KAM_PID"
wait "$KAM_PID" 2>/dev/null
KAM_PID=""
"$SIPWARD" call "sip:moved-7@127.0.0.1:$KPORT" --duration 0 --book "$BOOK" \
    --timeout 5 >"$SW_TMP/out" 2>&1
RC=$?
[ "$RC" = 0 ] || fail "second call (Kamailio stopped): exit $RC: $(cat "$SW_TMP/out")"
i=0
while [ "$(cat "$SW_TMP/uas"/*_logs.log 2>/dev/null | grep -c "got BYE")" -lt 2 ] && [ $i -lt 30 ]; do
    sleep 0.1
    i=$((i + 1))
done
[ "$(cat "$SW_TMP/uas"/*_logs.log | grep -c "got INVITE sip:7@127.0.0.1:$UPORT")" = 2 ] \
    || fail "the callee did not get both INVITEs: $(cat "$SW_TMP/uas"/*_logs.log)"
pass "second call straight to the callee (Kamailio stopped; the callee counted 2)"
