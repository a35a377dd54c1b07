#!/bin/sh
# Hostile REGISTERs (docs/HOSTILE.md): a flood of wrong passwords from one
# source is checked registrar.fail_burst times, then answered 403 without
# hashing (even the right password from that source); the right user from
# another source still registers. (Digest nonce replay: reg_digest.sh.)
# Afterwards the daemon still answers OPTIONS and stops clean under ASan.
. "$(dirname "$0")/lib.sh"

REQ="python3 $SW_E2E/sipreq.py"
cd "$SW_TMP" || fail "cd"
printf 'alice-pw\n' | "$SIPWARD" user add sip:alice@127.0.0.1 >/dev/null \
    || fail "user add alice"
start_daemon --set registrar.fail_burst=5 --set registrar.fail_per_min=1
P=$SW_PORT

out=$($REQ "$P" register sip:alice@127.0.0.1 --contact sip:alice@192.0.2.1 \
    --password wrong --repeat 40) || fail "flood: $out"
n401=$(echo "$out" | grep -c '^SIP/2.0 401 Unauthorized')
n403=$(echo "$out" | grep -c '^SIP/2.0 403 Forbidden')
[ "$n401" -eq 5 ] && [ "$n403" -eq 35 ] \
    || fail "40 wrong passwords: want 5 x 401 then 35 x 403, got: $out"
echo "$out" | grep -q '^Warning: 399 .* "too many failed authentications; retry later"' \
    || fail "the 403 does not say why: $out"
checked=$(grep -c "bad credentials for 'alice'" "$SW_LOG")
[ "$checked" -eq 5 ] || fail "want 5 credentials checked, $checked were"
pass "wrong-password flood: 5 checked (401), 35 refused unchecked (403)"

out=$($REQ "$P" register sip:alice@127.0.0.1 --contact sip:alice@192.0.2.1 \
    --password alice-pw)
echo "$out" | head -1 | grep -q '^SIP/2.0 403 Forbidden' \
    || fail "right password from the flooding source: $out"
pass "the flooding source is refused even with the right password"

out=$($REQ "$P" register sip:alice@127.0.0.1 --contact sip:alice@192.0.2.1 \
    --password alice-pw --bind 127.0.0.2)
echo "$out" | head -1 | grep -q '^SIP/2.0 200 OK' \
    || fail "the right user from another source: $out"
pass "the right user from another source registers"

python3 "$SW_E2E/hostile.py" "$P" alive || fail "not serving afterwards"
stop_clean
pass "hostile_auth"
