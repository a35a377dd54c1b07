#!/bin/sh
# Digest authentication of REGISTER (RFC 7616 / RFC 8760): challenge with
# SHA-256 first then MD5; SHA-256 and MD5 both accepted (our python client),
# the MD5 flow with SIPp; wrong password -> 401 again; another user's AOR
# -> 403; a digest user name other than the AOR's user part; a replayed
# nonce-count and an expired nonce -> 401 stale=true;
# a source that keeps failing is refused with 403 without checking.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sipp_lib.sh"

REQ="python3 $SW_E2E/sipreq.py"
cd "$SW_TMP" || fail "cd"
printf 'alice-pw\n' >alice.pw
"$SIPWARD" user add sip:alice@127.0.0.1 --password-file alice.pw >/dev/null \
    || fail "user add alice"
printf 'bob-pw\n' | "$SIPWARD" user add sip:bob@127.0.0.1 >/dev/null || fail "user add bob"
printf 'carol-pw\n' | "$SIPWARD" user add sip:carol@127.0.0.1 --username carol-desk \
    >/dev/null || fail "user add carol"

# fail_per_min=1: on a loaded machine the four bad attempts can take long
# enough for the default refill (one every 6 s) to hand out another try.
start_daemon --set registrar.nonce_ttl=5 --set registrar.fail_burst=4 \
    --set registrar.fail_per_min=1
P=$SW_PORT
reg() { $REQ "$P" register "$@"; }

out=$(reg sip:alice@127.0.0.1 --contact sip:alice@192.0.2.1:5060)
echo "$out" | head -1 | grep -q "401 Unauthorized" || fail "no challenge: $out"
ch=$(echo "$out" | grep '^WWW-Authenticate:')
[ "$(echo "$ch" | wc -l)" -eq 2 ] || fail "want two challenges: $ch"
echo "$ch" | head -1 | grep -q 'algorithm=SHA-256' || fail "SHA-256 not first: $ch"
echo "$ch" | tail -1 | grep -q 'algorithm=MD5' || fail "no MD5 challenge: $ch"
echo "$ch" | grep -q 'realm="sipward".*qop="auth"' || fail "realm/qop: $ch"
pass "challenge: SHA-256 then MD5, qop=auth"

out=$(reg sip:alice@127.0.0.1 --contact sip:alice@192.0.2.1:5060 \
    --password-file alice.pw --alg SHA-256)
echo "$out" | head -1 | grep -q "200 OK" || fail "SHA-256: $out"
echo "$out" | grep -q "^Contact: <sip:alice@192.0.2.1:5060>;expires=" \
    || fail "200 without the binding: $out"
out=$(reg sip:bob@127.0.0.1 --contact sip:bob@192.0.2.2:5060 --password bob-pw --alg MD5)
echo "$out" | head -1 | grep -q "200 OK" || fail "MD5: $out"
pass "SHA-256 and MD5 accepted"

out=$(reg sip:alice@127.0.0.1 --contact sip:alice@192.0.2.1:5060 --user bob \
    --password bob-pw)
echo "$out" | head -1 | grep -q "403 Forbidden" || fail "someone else's AOR: $out"
pass "registering another user's AOR -> 403"

out=$(reg sip:bob@127.0.0.1 --contact sip:bob@192.0.2.2:5060 --password bob-pw --replay)
echo "$out" | head -1 | grep -q "401" || fail "replayed nc accepted: $out"
echo "$out" | grep -q "stale=true" || fail "replay not answered stale: $out"
pass "nonce-count replay refused"

out=$(reg sip:bob@127.0.0.1 --contact sip:bob@192.0.2.2:5060 --password bob-pw --delay 6)
echo "$out" | head -1 | grep -q "401" || fail "expired nonce accepted: $out"
echo "$out" | grep -q "stale=true" || fail "expired nonce not stale: $out"
pass "expired nonce -> 401 stale=true"

for i in 1 2 3 4; do
    out=$(reg sip:alice@127.0.0.1 --contact sip:alice@192.0.2.1:5060 --password wrong)
    echo "$out" | head -1 | grep -q "401" || fail "wrong password $i: $out"
    echo "$out" | grep -q "stale=true" && fail "wrong password answered stale"
done
out=$(reg sip:alice@127.0.0.1 --contact sip:alice@192.0.2.1:5060 --password-file alice.pw)
echo "$out" | head -1 | grep -q "403" || fail "not throttled after 4 failures: $out"
pass "wrong password -> 401; repeated failures -> 403 without checking"
stop_clean

# SIPp computes MD5 digests only, and reads the first challenge: offer MD5.
start_daemon --set registrar.algorithms=md5
sipp_run reg_auth -key user bob -key domain 127.0.0.1 -au bob -ap bob-pw \
    || fail "SIPp MD5 digest flow: $SIPP_ERR"
sipp_run reg_auth -key user bob -key domain 127.0.0.1 -au bob -ap nope \
    && fail "SIPp registered with a wrong password"
expect_code bob 302 "<sip:bob@192.0.2.10:5062>"
stop_clean
pass "SIPp digest MD5 flow"

# A digest user name set apart from the AOR's user part (--username).
start_daemon
P=$SW_PORT
out=$(reg sip:carol@127.0.0.1 --contact sip:carol@192.0.2.3:5060 --user carol-desk \
    --password carol-pw)
echo "$out" | head -1 | grep -q "200 OK" || fail "own digest user name: $out"
out=$(reg sip:carol@127.0.0.1 --contact sip:carol@192.0.2.3:5060 --password carol-pw)
echo "$out" | head -1 | grep -q "401" || fail "the AOR's user part instead of its digest name: $out"
stop_clean
pass "a user with its own digest name registers under it, not under the AOR's user part"
