#!/bin/sh
# sipward call --sign-key against sipward's STI-VS: the client adds Date
# and Identity (RFC 8224); when the verifier refuses (437: the certificate
# does not cover the caller; 436: the x5u cannot be fetched; 438: signed
# with a key that is not the certificate's; 428: not signed at all), the
# client prints the code, the Reason text and the catalog's explanation,
# exit 1. A good signature gets the 302 interface's answer (Contact =
# Request-URI): not retried, but the outcome line says so and shows the
# verstat.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sti_common.inc"

make_pki
start_certs
start_daemon --set "stir.trust=$P/trust" --set stir.http_hosts=127.0.0.1 \
    --set stir.private_hosts=127.0.0.1 --set stir.no_identity=reject
TO="sip:+12155551213@127.0.0.1:$SW_PORT"
FROM="sip:+12155551212@127.0.0.1"

# signed_call CODE KEY X5U [options]: a call signed with KEY, expected to
# end in CODE (exit 1) printed with the Reason naming it; sets OUT.
signed_call() {
    code=$1 key=$2 x5u=$3
    shift 3
    "$SIPWARD" call "$TO" --from "$FROM" --no-book --timeout 10 \
        --sign-key "$key" --x5u "$x5u" "$@" >"$SW_TMP/out" 2>&1
    RC=$?
    OUT=$(cat "$SW_TMP/out")
    [ "$RC" = 1 ] || fail "$code: exit $RC: $OUT"
    echo "$OUT" | grep -q "^$code .* from $TO" || fail "no $code line: $OUT"
    [ "$code" = 302 ] || echo "$OUT" | grep -q "^  Reason: .*$code" \
        || fail "no Reason: $OUT"
}

signed_call 437 "$P/tn.key" "$X5U/tn.pem" -v
echo "$OUT" | grep -q "^Identity: ey[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*;info=<$X5U/tn.pem>" \
    || fail "no Identity header sent: $OUT"
echo "$OUT" | grep -q "^Date: " || fail "no Date header sent: $OUT"
echo "$OUT" | grep -q "^  437 Unsupported Credential (4xx" || fail "no explanation: $OUT"
pass "437 (certificate does not cover the caller) printed with Reason and explanation"

DEAD=$(free_port)
signed_call 436 "$P/sp.key" "http://127.0.0.1:$DEAD/sp.pem"
echo "$OUT" | grep -q "^  436 Bad Identity Info (4xx" || fail "no explanation: $OUT"
pass "436 (x5u unreachable) printed with Reason and explanation"

"$SIPWARD" call "$TO" --no-book --sign-key "$P/sp.key" >/dev/null 2>&1
[ $? = 2 ] || fail "--sign-key without --x5u is not a usage error"
pass "--sign-key without --x5u: usage error"

# 438: signed with a key that is not the certificate's (the x5u names the
# trusted sp certificate, the signature is the rogue PKI's key).
signed_call 438 "$U/sp.key" "$X5U/sp.pem"
echo "$OUT" | grep -q '^  Reason: SIP 438 ".*signature' || fail "no Reason naming the signature: $OUT"
echo "$OUT" | grep -q "^  438 Invalid Identity Header (4xx" || fail "no explanation: $OUT"
pass "438 (signature does not match the x5u certificate) printed with Reason and explanation"

# A good signature: the STI-VS 302 interface answers 302 with Contact =
# the Request-URI. Not retried (never the same URI twice), but the outcome
# line says so and shows the verstat it carried.
signed_call 302 "$P/sp.key" "$X5U/sp.pem"
echo "$OUT" | grep -q "^302 Moved Temporarily from $TO pointed back at the same URI (not retried" \
    || fail "302 to the same URI not explained: $OUT"
echo "$OUT" | grep -q "^  verstat=TN-Validation-Passed (P-Asserted-Identity: " \
    || fail "verstat not shown: $OUT"
echo "$OUT" | grep -q "redirect loop" && fail "reported as a loop: $OUT"
[ "$(grep -c "GET /sp.pem" "$SW_TMP/http.log")" -ge 1 ] || fail "the STI-VS did not fetch the certificate"
pass "STI-VS 302 with Contact = Request-URI: outcome names it and shows verstat"

# 428: an unsigned call to a verifier that requires Identity.
"$SIPWARD" call "$TO" --from "$FROM" --no-book --timeout 10 >"$SW_TMP/out" 2>&1
RC=$?
OUT=$(cat "$SW_TMP/out")
[ "$RC" = 1 ] || fail "428: exit $RC: $OUT"
echo "$OUT" | grep -q "^428 .* from $TO\$" || fail "no 428 line: $OUT"
echo "$OUT" | grep -q "^  428 Use Identity Header (4xx" || fail "no explanation: $OUT"
pass "428 (no Identity where one is required) printed with the explanation"
