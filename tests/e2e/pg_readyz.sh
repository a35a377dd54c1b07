#!/bin/sh
# /readyz and /healthz say whether the store's database is reachable, and
# readiness does not depend on it: with PostgreSQL stopped a node still
# answers 302 from its index, so /readyz stays 200 and says the store is
# unavailable and since when; REGISTERs get 500. Once PostgreSQL is back
# both say "ok" again, without a restart.
. "$(dirname "$0")/lib.sh"
. "$SW_E2E/pg_lib.inc"

pg_up
"$SIPWARD" store migrate --store "$PG_DB_URL" >/dev/null 2>&1 || fail "migrate"
node_start A --set registrar.auth=false
URL=http://127.0.0.1:$A_HTTP

# store_is PATH CODE STATE: PATH answers CODE and its store is in STATE, of
# the postgresql back end (and "since" is there exactly when unavailable).
store_is() {
    c=$(curl -s -o "$SW_TMP/body" -w '%{http_code}' "$URL$1")
    [ "$c" = "$2" ] || return 1
    python3 - "$SW_TMP/body" "$3" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))["store"]
want = sys.argv[2]
ok = s["backend"] == "postgresql" and s["state"] == want
ok = ok and (("since" in s) == (want == "unavailable"))
sys.exit(0 if ok else 1)
PY
}

out=$(python3 "$SW_E2E/sipreq.py" "$A_PORT" register sip:rz@127.0.0.1 \
    --contact sip:rz@192.0.2.40 --expires 600)
echo "$out" | head -1 | grep -q "^SIP/2.0 200 " || fail "REGISTER: $out"
until_ms 10000 store_is /readyz 200 ok >/dev/null || fail "/readyz: $(cat "$SW_TMP/body")"
store_is /healthz 200 ok || fail "/healthz: $(cat "$SW_TMP/body")"
pass "PostgreSQL up: /readyz and /healthz say store ok"

halted=$(date +%s)
sh "$SW_SRC/scripts/pg.sh" halt "$PG_DIR" || fail "halt"
# The node notices on its next poll of the LISTEN connection.
until_ms 30000 store_is /readyz 200 unavailable >/dev/null \
    || fail "/readyz with PostgreSQL down: $(cat "$SW_TMP/body")"
store_is /healthz 200 unavailable || fail "/healthz: $(cat "$SW_TMP/body")"
since=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["store"]["since"])' "$SW_TMP/body")
[ "$since" -ge "$halted" ] && [ "$since" -le "$(date +%s)" ] \
    || fail "since $since is not between the halt ($halted) and now"
out=$(python3 "$SW_E2E/sipreq.py" "$A_PORT" invite sip:rz@127.0.0.1)
echo "$out" | head -1 | grep -q "^SIP/2.0 302 " || fail "INVITE while down: $out"
echo "$out" | grep -q "sip:rz@192.0.2.40" || fail "302 without the contact: $out"
out=$(python3 "$SW_E2E/sipreq.py" "$A_PORT" register sip:rz2@127.0.0.1 \
    --contact sip:rz2@192.0.2.41 --expires 600)
echo "$out" | head -1 | grep -q "^SIP/2.0 500 " || fail "REGISTER while down: $out"
# Retries while it is away do not move "since".
sleep 1
store_is /readyz 200 unavailable || fail "/readyz: $(cat "$SW_TMP/body")"
python3 -c 'import json,sys; sys.exit(json.load(open(sys.argv[1]))["store"]["since"] != int(sys.argv[2]))' \
    "$SW_TMP/body" "$since" || fail "since moved: $(cat "$SW_TMP/body")"
pass "PostgreSQL down: /readyz 200, store unavailable since $since; 302 served, REGISTER 500"

sh "$SW_SRC/scripts/pg.sh" up "$PG_DIR" || fail "up"
until_ms 30000 store_is /readyz 200 ok >/dev/null \
    || fail "/readyz after PostgreSQL came back: $(cat "$SW_TMP/body")"
store_is /healthz 200 ok || fail "/healthz: $(cat "$SW_TMP/body")"
out=$(python3 "$SW_E2E/sipreq.py" "$A_PORT" register sip:rz2@127.0.0.1 \
    --contact sip:rz2@192.0.2.41 --expires 600)
echo "$out" | head -1 | grep -q "^SIP/2.0 200 " || fail "REGISTER after: $out"
pass "PostgreSQL back: store ok again, REGISTER 200"

kill -TERM "$A_PID"
wait "$A_PID" || fail "node A exit $?"
NODES=""
