#!/bin/sh
# Two nodes on one PostgreSQL, seen through their admin APIs: `sipward
# store migrate|check`; a moved entry written straight to the database (the
# CLI with --store) or through node A reaches node B within a second; with
# PostgreSQL down, writes fail at once while reads go on from memory, and
# both nodes come back by themselves when it returns; no log shows the
# password.
. "$(dirname "$0")/lib.sh"
. "$SW_E2E/pg_lib.inc"

pg_up

# ---- store check / migrate ----
"$SIPWARD" store check --store "$PG_DB_URL" >out 2>&1
[ $? -eq 1 ] || fail "check of an empty database passed: $(cat out)"
grep -q "schema:   0 (this sipward: 3) behind" out || fail "check: $(cat out)"
"$SIPWARD" store migrate --store "$PG_DB_URL" >out 2>&1 \
    || fail "migrate: $(cat out)"
grep -q "schema migration 3 applied" out || fail "migrate said: $(cat out)"
"$SIPWARD" store check --store "$PG_DB_URL" >out 2>&1 || fail "check: $(cat out)"
grep -q "password=\*\*\*" out || fail "password not masked: $(cat out)"
grep -q "$PG_PASSWORD" out && fail "password printed by store check"
[ "$(pg_sql 'SELECT count(*) FROM sipward_schema')" = 3 ] || fail "versions"
pass "store migrate/check"

node_start A
node_start B
[ -n "$A_TOKEN" ] && [ -n "$B_TOKEN" ] || fail "no admin token"

# ---- coherence ----
AOR=sip:bob@example.com
"$SIPWARD" moved add $AOR sip:bob@new.example --store "$PG_DB_URL" >out 2>&1 \
    || fail "moved add: $(cat out)"
b_has() { [ "$(api B GET /api/v1/moved/$AOR)" = 200 ]; }
a_has() { [ "$(api A GET /api/v1/moved/$AOR)" = 200 ]; }
ms=$(until_ms 1000 b_has) || fail "node B did not see the CLI's moved entry"
until_ms 1000 a_has >/dev/null || fail "node A did not see the CLI's moved entry"
grep -q "new.example" "$SW_TMP/body" || fail "B's entry: $(cat "$SW_TMP/body")"
pass "moved add on the database: node B has it after $ms ms"

[ "$(api A DELETE /api/v1/moved/$AOR)" = 204 ] || [ "$(api A GET /api/v1/moved/$AOR)" = 404 ] \
    || fail "delete on A: $(cat "$SW_TMP/body")"
b_gone() { [ "$(api B GET /api/v1/moved/$AOR)" = 404 ]; }
ms=$(until_ms 1000 b_gone) || fail "node B still has the entry A removed"
pass "moved remove on node A: node B follows after $ms ms"

code=$(api A POST /api/v1/moved '{"aor":"sip:carol@example.com","uri":"sip:carol@x.example","note":"n"}')
[ "$code" = 201 ] || [ "$code" = 200 ] || fail "POST on A: $code $(cat "$SW_TMP/body")"
c_on_b() { [ "$(api B GET /api/v1/moved/sip:carol@example.com)" = 200 ]; }
until_ms 1000 c_on_b >/dev/null || fail "node B did not see A's write"

# Text PostgreSQL cannot store (not UTF-8) is the client's fault: 400.
code=$(api A PUT "/api/v1/moved/sip:%FFbob@example.com" '{"uri":"sip:bob@x.example"}')
[ "$code" = 400 ] || fail "a non-UTF-8 AOR answered $code: $(cat "$SW_TMP/body")"
grep -q "address-of-record" "$SW_TMP/body" || fail "non-UTF-8 message: $(cat "$SW_TMP/body")"
pass "a non-UTF-8 AOR is a 400"

# ---- PostgreSQL goes away ----
sh "$SW_SRC/scripts/pg.sh" halt "$PG_DIR" || fail "halt"
t0=$(date +%s%3N)
code=$(api A POST /api/v1/moved '{"aor":"sip:dan@example.com","uri":"sip:dan@x.example","note":""}')
dt=$(($(date +%s%3N) - t0))
# 503 with Retry-After, not a bare 500: the same write succeeds later.
[ "$code" = 503 ] || fail "write with the database down answered $code: $(cat "$SW_TMP/body")"
grep -qi "^Retry-After: [1-9]" "$SW_TMP/headers" || fail "no Retry-After: $(cat "$SW_TMP/headers")"
grep -q "database unavailable" "$SW_TMP/body" || fail "503 message: $(cat "$SW_TMP/body")"
[ $dt -lt 2000 ] || fail "the failing write took $dt ms"
c_on_b || fail "node B forgot carol while the database is down"
[ "$(api A GET /api/v1/moved/sip:dan@example.com)" = 404 ] || fail "dan half-written"
sleep 1
code=$(api B POST /api/v1/moved '{"aor":"sip:dan@example.com","uri":"sip:dan@x.example","note":""}')
[ "$code" = 503 ] || fail "write on B with the database down answered $code"
code=$(api B DELETE /api/v1/users/sip:nobody@example.com)
[ "$code" = 503 ] || [ "$code" = 404 ] || fail "user delete with the database down answered $code"
pass "database down: writes fail in $dt ms, reads go on"

sh "$SW_SRC/scripts/pg.sh" up "$PG_DIR" || fail "up"
dan_on() {
    code=$(api A POST /api/v1/moved '{"aor":"sip:dan@example.com","uri":"sip:dan@x.example","note":""}')
    [ "$code" = 201 ] || [ "$code" = 200 ]
}
ms=$(until_ms 10000 dan_on) || fail "node A did not recover"
d_on_b() { [ "$(api B GET /api/v1/moved/sip:dan@example.com)" = 200 ]; }
until_ms 6000 d_on_b >/dev/null || fail "node B did not recover"
pass "database back: node A writes again after $ms ms, node B follows"

for n in A B; do
    eval "d=\$${n}_DIR"
    [ "$(grep -c 'postgres: lost' "$d/daemon.log")" = 1 ] \
        || fail "node $n: 'lost' logged $(grep -c 'postgres: lost' "$d/daemon.log") times"
    [ "$(grep -c 'postgres: reconnected' "$d/daemon.log")" = 1 ] \
        || fail "node $n: 'reconnected' not logged once"
    grep -q "$PG_PASSWORD" "$d/daemon.log" && fail "node $n logged the password"
done
pass "one log line per state change, no password in any log"

for n in A B; do
    eval "p=\$${n}_PID"
    kill -TERM "$p"
    wait "$p" || fail "node $n exit $?"
done
NODES=""
