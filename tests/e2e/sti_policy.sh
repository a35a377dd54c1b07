#!/bin/sh
# STI-VS policies and the non-blocking fetch. While a certificate fetch
# hangs, the INVITE waiting for it stays in its transaction (100 Trying) and
# other calls keep being answered; it ends 436 when the fetch times out. A
# special-purpose address (RFC 6890) not allow-listed is refused (436).
# no_identity=mark answers 302 No-TN-Validation, no_identity=reject 428;
# policy=mark turns a failure into 302 TN-Validation-Failed with the Reason.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sti_common.inc"

make_pki
start_certs
start_hang
start_daemon --set "stir.trust=$P/trust" \
    --set stir.http_hosts=127.0.0.1,127.0.0.2 \
    --set stir.private_hosts=127.0.0.1 --set stir.no_identity=mark \
    --set stir.fetch_timeout_ms=10000
A=12155551212

invite no_identity_mark 302 "P-Asserted-Identity:" "verstat=No-TN-Validation" \
    - $A
invite special_purpose 436 "Reason:" 'cause=436;text=.*special-purpose' \
    "$(sign_id "$P/sp.key" "http://127.0.0.2:$CERT_PORT/sp.pem" $A 12155551213)" \
    $A

# A fetch that hangs: the call waits (in the background; the 10 s fetch
# timeout leaves the 20 calls below time even on a loaded machine) ...
HID=$(sign_id "$P/sp.key" "http://127.0.0.1:$HANG_PORT/sp.pem" $A 12155551213)
(SIPP_PORT=$(free_port) && invite hanging 436 "Reason:" \
    'cause=436;text=.*timed out after 10000 ms' "$HID" $A) \
    >"$SW_TMP/hanging.log" 2>&1 &
HPID=$!
sleep 0.5
# ... while 20 calls without Identity are answered, before it ends.
SIPP_CALLS=20 SIPP_RATE=100 invite flowing 302 "P-Asserted-Identity:" \
    "verstat=No-TN-Validation" - $A
kill -0 $HPID 2>/dev/null \
    || fail "the hanging call ended before the other calls were answered"
pass "20 calls answered while a certificate fetch hangs"
wait $HPID || {
    cat "$SW_TMP/hanging.log" >&2
    fail "hanging fetch did not end in 436"
}
pass "the waiting INVITE got 436 when the fetch timed out"
stop_clean

rm -f "$SW_TMP/daemon.log"
SW_PORT=$(free_port)
start_daemon --set "stir.trust=$P/trust" --set stir.http_hosts=127.0.0.1 \
    --set stir.private_hosts=127.0.0.1 --set stir.no_identity=reject \
    --set stir.policy=mark
invite required 428 "Reason:" "cause=428" - $A
invite mark_failed 302 "Reason:" 'cause=438;text=.*orig' \
    "$(sign_id "$P/sp.key" "$X5U/sp.pem" $A 12155551213)" 12155550001
invite mark_failed_verstat 302 "P-Asserted-Identity:" \
    "verstat=TN-Validation-Failed" \
    "$(sign_id "$P/sp.key" "$X5U/sp.pem" $A 12155551213)" 12155550001
invite mark_passed 302 "P-Asserted-Identity:" "verstat=TN-Validation-Passed" \
    "$(sign_id "$P/sp.key" "$X5U/sp.pem" $A 12155551213)" $A
stop_clean
pass "sti_policy"
