#!/bin/sh
# Two sipward nodes (different SIP ports) on one PostgreSQL: REGISTER on A,
# INVITE on B -> 302 with that contact; `moved add` on the database A uses
# -> B answers 301 within a second; unregister on B -> A answers 480 within
# a second.
. "$(dirname "$0")/lib.sh"
. "$SW_E2E/pg_lib.inc"

pg_up
"$SIPWARD" store migrate --store "$PG_DB_URL" >/dev/null 2>&1 || fail "migrate"
for u in alice bob; do
    printf '%s-pw\n' $u | "$SIPWARD" user add sip:$u@127.0.0.1 \
        --store "$PG_DB_URL" >/dev/null 2>&1 || fail "user add $u"
done
node_start A --set registrar.auth=false
node_start B --set registrar.auth=false

# await_code NODE USER CODE: polls INVITE sip:USER@127.0.0.1 on NODE until it is
# answered CODE, for at most a second; $ms is how long it took, the response
# is in $SW_TMP/resp.
await_code() {
    eval "p=\$${1}_PORT"
    python3 "$SW_E2E/pg_until.py" "$p" "sip:$2@127.0.0.1" "$3" 1000 \
        >"$SW_TMP/resp"
    rc=$?
    ms=$(head -1 "$SW_TMP/resp")
    return $rc
}

out=$(python3 "$SW_E2E/sipreq.py" "$A_PORT" register sip:alice@127.0.0.1 \
    --contact sip:alice@192.0.2.10:5062 --expires 600)
echo "$out" | head -1 | grep -q "^SIP/2.0 200 " || fail "REGISTER on A: $out"
await_code B alice 302 || fail "INVITE on B: $(cat "$SW_TMP/resp")"
grep -qi "^Contact:.*<sip:alice@192.0.2.10:5062>" "$SW_TMP/resp" \
    || fail "302 from B without A's contact: $(cat "$SW_TMP/resp")"
pass "REGISTER on A, INVITE on B -> 302 with that contact (after $ms ms)"

await_code B bob 480 || fail "bob on B: $(cat "$SW_TMP/resp")"
"$SIPWARD" moved add sip:bob@127.0.0.1 sip:bob@moved.example.net \
    --store "$PG_DB_URL" >/dev/null 2>&1 || fail "moved add"
await_code B bob 301 || fail "B did not answer 301 within 1 s: $(cat "$SW_TMP/resp")"
grep -qi "^Contact:.*<sip:bob@moved.example.net>" "$SW_TMP/resp" \
    || fail "301 without the new URI: $(cat "$SW_TMP/resp")"
t=$ms
await_code A bob 301 || fail "A does not know bob moved"
pass "moved add on A's database -> B answers 301 after $t ms"

out=$(python3 "$SW_E2E/sipreq.py" "$B_PORT" register sip:alice@127.0.0.1 \
    --contact sip:alice@192.0.2.10:5062 --expires 0 --cseq 5)
echo "$out" | head -1 | grep -q "^SIP/2.0 200 " || fail "unREGISTER on B: $out"
await_code A alice 480 || fail "A did not answer 480 within 1 s: $(cat "$SW_TMP/resp")"
pass "unregister on B -> A answers 480 after $ms ms"

for n in A B; do
    eval "p=\$${n}_PID d=\$${n}_DIR"
    kill -TERM "$p"
    wait "$p" || fail "node $n exit $?"
    grep -q "$PG_PASSWORD" "$d/daemon.log" && fail "node $n logged the password"
done
NODES=""
