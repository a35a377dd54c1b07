#!/bin/sh
# sipward call --sign-key against sipward's STI-VS: the client adds Date
# and Identity (RFC 8224); when the verifier refuses (437: the certificate
# does not cover the caller; 436: the x5u cannot be fetched), the client
# prints the code, the Reason text and the catalog's explanation, exit 1.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sti_common.inc"

make_pki
start_certs
start_daemon --set "stir.trust=$P/trust" --set stir.http_hosts=127.0.0.1 \
    --set stir.private_hosts=127.0.0.1
TO="sip:+12155551213@127.0.0.1:$SW_PORT"
FROM="sip:+12155551212@127.0.0.1"

"$SIPWARD" call "$TO" --from "$FROM" --no-book --timeout 10 -v \
    --sign-key "$P/tn.key" --x5u "$X5U/tn.pem" >"$SW_TMP/out" 2>&1
RC=$?
OUT=$(cat "$SW_TMP/out")
[ "$RC" = 1 ] || fail "437: exit $RC: $OUT"
echo "$OUT" | grep -q "^Identity: ey[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*;info=<$X5U/tn.pem>" \
    || fail "no Identity header sent: $OUT"
echo "$OUT" | grep -q "^Date: " || fail "no Date header sent: $OUT"
echo "$OUT" | grep -q "^437 .* from $TO\$" || fail "no 437 line: $OUT"
echo "$OUT" | grep -q "^  Reason: .*437" || fail "no Reason: $OUT"
echo "$OUT" | grep -q "^  437 Unsupported Credential (4xx" || fail "no explanation: $OUT"
pass "437 (certificate does not cover the caller) printed with Reason and explanation"

DEAD=$(free_port)
"$SIPWARD" call "$TO" --from "$FROM" --no-book --timeout 10 \
    --sign-key "$P/sp.key" --x5u "http://127.0.0.1:$DEAD/sp.pem" >"$SW_TMP/out" 2>&1
RC=$?
OUT=$(cat "$SW_TMP/out")
[ "$RC" = 1 ] || fail "436: exit $RC: $OUT"
echo "$OUT" | grep -q "^436 .* from $TO\$" || fail "no 436 line: $OUT"
echo "$OUT" | grep -q "^  Reason: .*436" || fail "no Reason: $OUT"
echo "$OUT" | grep -q "^  436 Bad Identity Info (4xx" || fail "no explanation: $OUT"
pass "436 (x5u unreachable) printed with Reason and explanation"

"$SIPWARD" call "$TO" --no-book --sign-key "$P/sp.key" >/dev/null 2>&1
[ $? = 2 ] || fail "--sign-key without --x5u is not a usage error"
pass "--sign-key without --x5u: usage error"
