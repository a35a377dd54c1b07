#!/bin/sh
# STI-VS through its 302 interface: a valid PASSporT gets 302 with
# Contact <Request-URI> and verstat=TN-Validation-Passed (first after a
# non-blocking fetch, then from the cache); tampering is 438 with a Reason
# naming it; stale is 403; an untrusted certificate or one whose TNAuthList
# does not cover the caller is 437; an unreachable x5u is 436; a PASSporT
# replayed from another Call-ID is flagged.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sti_common.inc"

make_pki
start_certs
# A generous fetch timeout: python's http.server is slow on a loaded box.
start_daemon --set "stir.trust=$P/trust" --set stir.http_hosts=127.0.0.1 \
    --set stir.private_hosts=127.0.0.1 --set stir.fetch_timeout_ms=20000
A=12155551212
NOW=$(date +%s)

ID=$(sign_id "$P/sp.key" "$X5U/sp.pem" $A 12155551213)
[ -n "$ID" ] || fail "sipward sign gave no Identity"
invite valid_first 302 "P-Asserted-Identity:" "verstat=TN-Validation-Passed" \
    "$ID" $A
grep -q "GET /sp.pem" "$SW_TMP/http.log" || fail "certificate not fetched"
ID2=$(sign_id "$P/sp.key" "$X5U/sp.pem" $A 12155551213 --origid o-42)
invite valid_cached 302 "P-Origination-ID:" "^ *o-42$" "$ID2" $A
invite valid_contact 302 "Contact:" "^ *&lt;sip:[+]12155551213@127.0.0.1:" \
    "$(sign_id "$P/sp.key" "$X5U/sp.pem" $A 12155551213)" $A
[ "$(grep -c "GET /sp.pem" "$SW_TMP/http.log")" = 1 ] \
    || fail "certificate fetched again instead of cached"
pass "one fetch, then cached"

# Tampering: the caller changed, or the signature altered.
invite tampered_orig 438 "Reason:" 'cause=438;text=.*orig' \
    "$(sign_id "$P/sp.key" "$X5U/sp.pem" $A 12155551213)" 12155559999
# The signature's first character changed: an A becomes a B, anything
# else an A (always replacing it by the same letter left it valid when it
# already was that letter).
GOOD=$(sign_id "$P/sp.key" "$X5U/sp.pem" $A 12155551213)
BAD=$(echo "$GOOD" | sed 's/\.A\([A-Za-z0-9_-]*\);info/.B\1;info/; t
    s/\.[A-Za-z0-9_-]\([A-Za-z0-9_-]*\);info/.A\1;info/')
[ "$BAD" != "$GOOD" ] || fail "tampering left the Identity as it was"
invite tampered_sig 438 "Reason:" 'cause=438;text=.*signature' "$BAD" $A
invite stale 403 "Reason:" 'cause=403' \
    "$(sign_id "$P/sp.key" "$X5U/sp.pem" $A 12155551213 --iat $((NOW - 300)))" \
    $A
invite untrusted 437 "Reason:" 'cause=437' \
    "$(sign_id "$U/sp.key" "$X5U/rogue.pem" $A 12155551213)" $A
invite tn_not_covered 437 "Reason:" 'cause=437;text=.*does not cover' \
    "$(sign_id "$P/tn.key" "$X5U/tn.pem" $A 12155551213)" $A
DEAD=$(free_port)
invite unreachable 436 "Reason:" 'cause=436' \
    "$(sign_id "$P/sp.key" "http://127.0.0.1:$DEAD/sp.pem" $A 12155551213)" $A
invite not_https 436 "Reason:" 'cause=436;text=.*scheme http not allowed' \
    "$(sign_id "$P/sp.key" "http://127.0.0.3:$CERT_PORT/sp.pem" $A 12155551213)" \
    $A

# Replay: the first use passes, the same PASSporT in another call is
# flagged (default stir.replay=flag): 302 with TN-Validation-Failed.
RID=$(sign_id "$P/sp.key" "$X5U/sp.pem" $A 12155551213)
invite replay_first 302 "P-Asserted-Identity:" "TN-Validation-Passed" "$RID" $A
invite replay_again 302 "Reason:" "cause=403;text=.PASSporT replayed" "$RID" $A

stop_clean
pass "sti_verify"
