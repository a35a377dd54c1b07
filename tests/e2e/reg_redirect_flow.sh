#!/bin/sh
# Registrar and redirect with SIPp as the client (no authentication here;
# see reg_digest.sh): register then INVITE -> 302 with that contact;
# unknown -> 404; known user without bindings -> 480; moved -> 301 with the
# new URI and a 399 Warning, seen without a restart after `sipward moved
# add` and winning over a registration; refresh; Contact: * removal; expiry.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sipp_lib.sh"

start_daemon --set registrar.auth=false --set registrar.min_expires=1
S="$SIPWARD"

sipp_run reg_register -key user alice -key domain 127.0.0.1 -key expires 3600 \
    || fail "REGISTER alice: $SIPP_ERR"
echo "$SIPP_LOG" | grep -q "<sip:alice@192.0.2.10:5062>;expires=3[56][0-9][0-9]" \
    || fail "200 OK does not list the binding: $SIPP_LOG"
expect_code alice 302 "<sip:alice@192.0.2.10:5062>;expires=3[56][0-9][0-9]"
pass "register then INVITE -> 302 with the contact"

expect_code nobody 404
printf 'pw\n' | (cd "$SW_TMP" && "$S" user add sip:bob@127.0.0.1) >/dev/null \
    || fail "user add"
eventually_code bob 480
pass "unknown -> 404, known without binding -> 480"

(cd "$SW_TMP" && "$S" moved add sip:alice@127.0.0.1 sip:alice@moved.example.net \
    --note "new employer") >/dev/null || fail "moved add"
eventually_code alice 301 "<sip:alice@moved.example.net>"
echo "$SIPP_LOG" | grep -q 'warning= 399 .*moved permanently' \
    || fail "301 without the 399 Warning: $SIPP_LOG"
(cd "$SW_TMP" && "$S" moved remove sip:alice@127.0.0.1) >/dev/null || fail "moved remove"
eventually_code alice 302 "192.0.2.10:5062"
pass "moved -> 301 (wins over the registration), seen without a restart"

sipp_run reg_register -key user alice -key domain 127.0.0.1 -key expires 120 \
    || fail "refresh: $SIPP_ERR"
echo "$SIPP_LOG" | grep -q ";expires=1[12][0-9]" || fail "refresh not applied: $SIPP_LOG"
expect_code alice 302 ";expires=1[12][0-9]"
sipp_run reg_unregister_all -key user alice -key domain 127.0.0.1 \
    || fail "Contact: * removal: $SIPP_ERR"
expect_code alice 404
pass "refresh, Contact: * removal"

# Long enough for the INVITE to find the binding even on a loaded machine.
sipp_run reg_register -key user carol -key domain 127.0.0.1 -key expires 10 \
    || fail "REGISTER carol: $SIPP_ERR"
expect_code carol 302 "<sip:carol@192.0.2.10:5062>;expires=[1-9]"
eventually_code carol 404
pass "expiry"

# Bindings survive a restart.
sipp_run reg_register -key user dave -key domain 127.0.0.1 -key expires 600 \
    || fail "REGISTER dave"
stop_clean
start_daemon --set registrar.auth=false
expect_code dave 302 "<sip:dave@192.0.2.10:5062>"
stop_clean
pass "restart keeps bindings"
