#!/bin/sh
# STI-AS and the out-of-the-box setup. With no [stir] key the daemon creates
# a test PKI under its data directory on first start, serves its chain at
# /certs/sp.pem and signs with an x5u pointing at itself: the STI-AS 302
# interface signs an INVITE, the SBC copies the Identity onto its INVITE,
# and the STI-VS answers verstat=TN-Validation-Passed. Unsignable requests
# get a 403 with a Reason. REST: signing -> verification round trip, and
# bad JSON is a 400 JSON error.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sti_common.inc"

SW_PORT=$(free_port)
start_daemon --set "stir.sign_from=udp:127.0.0.1:$SW_PORT"
A=12155551212
grep -q "created a test STI PKI in var/pki" "$SW_LOG" \
    || fail "no log line about the test PKI"
[ -f "$SW_TMP/var/pki/sp.key" ] && [ -f "$SW_TMP/var/pki/trust/root.pem" ] \
    || fail "test PKI not under the data directory"
BASE=http://127.0.0.1:$SW_HTTP_PORT
curl -sf "$BASE/certs/sp.pem" >"$SW_TMP/served.pem" || fail "GET /certs/sp.pem"
cmp -s "$SW_TMP/served.pem" "$SW_TMP/var/pki/sp-chain.pem" \
    || fail "/certs/sp.pem is not our chain"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/certs/other.pem")" = 404 ] \
    || fail "unknown certificate not 404"
pass "test PKI created and its chain served at /certs/sp.pem"

# STI-AS 302 -> copy Identity -> STI-VS 302 (certificate fetched from us).
timeout 20 sipp "127.0.0.1:$SW_PORT" -sf "$SW_E2E/sipp/sti_roundtrip.xml" \
    -t u1 -i 127.0.0.1 -p "$SIPP_PORT" -m 1 -nostdin -timeout 15s \
    -timeout_error -recv_timeout 5000 -trace_err -key from $A \
    -key to 12155551213 -error_file "$SW_TMP/rt.err" >"$SW_TMP/rt.out" 2>&1 || {
    cat "$SW_TMP/rt.err" >&2
    fail "302 signing round trip"
}
pass "STI-AS 302 -> STI-VS 302 round trip: TN-Validation-Passed, attest B"

# Signed offline with the generated key, verified by the daemon.
invite offline_signed 302 "P-Asserted-Identity:" "TN-Validation-Passed" \
    "$(sign_id "$SW_TMP/var/pki/sp.key" "$BASE/certs/sp.pem" $A 12155551213)" $A
invite unsignable 403 "Reason:" 'cause=403;text=.*telephone numbers' - $A \
    bob
invite bad_attest 400 "Reason:" 'cause=400;text=.*A, B or C' - $A 12155551213 \
    "$SW_PORT" "P-Attestation-Indicator: D"

# REST
TOKEN=$(cat "$SW_TMP/var/admin.token")
NOW=$(date +%s)
SR='{"signingRequest": {"attest": "A", "dest": {"tn": ["12155551213"]}, "iat": '$NOW', "orig": {"tn": "12155551212"}, "origid": "rest-1"}}'
[ "$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
    -d "$SR" "$BASE/stir/v1/signing")" = 401 ] || fail "signing without token"
ID=$(curl -sf -H "Authorization: Bearer $TOKEN" \
    -H 'Content-Type: application/json' -d "$SR" "$BASE/stir/v1/signing" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["signingResponse"]["identity"])') \
    || fail "REST signing"
case "$ID" in *"info=<$BASE/certs/sp.pem>"*) ;; *) fail "identity $ID" ;; esac
VR='{"verificationRequest": {"from": {"tn": "12155551212"}, "to": {"tn": ["12155551213"]}, "time": '$NOW', "identity": "'$ID'"}}'
OUT=$(curl -s -H 'Content-Type: application/json' -d "$VR" \
    "$BASE/stir/v1/verification")
echo "$OUT" | python3 -c '
import json, sys
r = json.load(sys.stdin)["verificationResponse"]
assert r["verstat"] == "TN-Validation-Passed", r
assert r["origid"] == "rest-1", r' || fail "REST verification: $OUT"
pass "REST signing -> verification: TN-Validation-Passed"
VR2=$(echo "$VR" | sed 's/"tn": "12155551212"/"tn": "12155550000"/')
OUT=$(curl -s -H 'Content-Type: application/json' -d "$VR2" \
    "$BASE/stir/v1/verification")
echo "$OUT" | python3 -c '
import json, sys
r = json.load(sys.stdin)["verificationResponse"]
assert r["verstat"] == "TN-Validation-Failed" and r["reasoncode"] == 438, r' \
    || fail "REST verification of another caller: $OUT"
pass "REST verification failure: 438 with reason"
CODE=$(curl -s -o "$SW_TMP/bad.json" -w '%{http_code}' \
    -H 'Content-Type: application/json' -d '{"verificationRequest": ' \
    "$BASE/stir/v1/verification")
[ "$CODE" = 400 ] || fail "bad JSON: HTTP $CODE"
python3 -c 'import json,sys; assert json.load(open(sys.argv[1]))["error"]["status"] == 400' \
    "$SW_TMP/bad.json" || fail "bad JSON answer is not a JSON error"
CODE=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
    -d '{"verificationRequest": {"from": {"tn": "x"}}}' \
    "$BASE/stir/v1/verification")
[ "$CODE" = 400 ] || fail "missing fields: HTTP $CODE"
pass "bad JSON and missing fields: 400 JSON errors"

stop_daemon
[ "$SW_EXIT" = 0 ] || fail "daemon exit $SW_EXIT"
pass "sti_sign"
