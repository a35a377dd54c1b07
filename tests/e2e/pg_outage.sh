#!/bin/sh
# Two nodes on one PostgreSQL under a REGISTER load:
# - node A is killed with SIGKILL mid-load: node B keeps serving, and every
#   REGISTER that got a 200 from A is in the database;
# - PostgreSQL is restarted mid-load: while it is down the node answers 500
#   with Retry-After (never 200), then recovers without a restart, and
#   every REGISTER that got a 200 is in the database.
. "$(dirname "$0")/lib.sh"
. "$SW_E2E/pg_lib.inc"

pg_up
"$SIPWARD" store migrate --store "$PG_DB_URL" >/dev/null 2>&1 || fail "migrate"
node_start A --set registrar.auth=false
node_start B --set registrar.auth=false

# load NODE PREFIX RATE CALLS: SIPp REGISTER load in the background; its
# log lines end in $SW_TMP/PREFIX/.
load() {
    eval "p=\$${1}_PORT"
    mkdir -p "$SW_TMP/$2"
    (cd "$SW_TMP/$2" && exec timeout 60 sipp "127.0.0.1:$p" \
        -sf "$SW_E2E/sipp/pg_reg_load.xml" -key prefix "$2" \
        -key domain 127.0.0.1 -i 127.0.0.1 -p "$(free_port)" -r "$3" \
        -l "$3" -m "$4" -timeout 30 -nostdin -trace_logs -max_retrans 1 \
        >/dev/null 2>&1) &
    SIPP_PID=$!
}

# in_db PREFIX: every "ok USER" of that load has a binding row.
in_db() {
    grep -h '^ok ' "$SW_TMP/$1"/*_logs.log 2>/dev/null \
        | sed 's/^ok \(.*\)$/sip:\1@127.0.0.1/' | sort -u >"$SW_TMP/acked"
    pg_sql "SELECT aor FROM bindings WHERE aor LIKE 'sip:$1%'" | sort -u \
        >"$SW_TMP/stored"
    missing=$(comm -23 "$SW_TMP/acked" "$SW_TMP/stored" | wc -l)
    [ "$missing" -eq 0 ] || fail "$missing acknowledged REGISTERs not in the \
database, e.g. $(comm -23 "$SW_TMP/acked" "$SW_TMP/stored" | head -3)"
    wc -l <"$SW_TMP/acked"
}

# rows_at_least PREFIX N: waits (60 s at most) until N bindings of that
# load are in the database, so the fault lands mid-load however slow the
# machine is.
rows_at_least() {
    i=0
    while [ $i -lt 300 ]; do
        n=$(pg_sql "SELECT count(*) FROM bindings WHERE aor LIKE 'sip:$1%'")
        [ "${n:-0}" -ge "$2" ] && return 0
        sleep 0.2
        i=$((i + 1))
    done
    fail "only ${n:-0} of $2 bindings of load $1 stored after 60 s"
}

# ---- kill -9 node A mid-load ----
load A ka 300 1200
rows_at_least ka 150
kill -KILL "$A_PID"
wait "$A_PID" 2>/dev/null
A_PID=""
wait "$SIPP_PID"
acked=$(in_db ka)
[ "$acked" -ge 100 ] || fail "too few REGISTERs answered before the kill: $acked"
[ "$acked" -lt 1200 ] || fail "the kill came after the load ended"
first=$(head -1 "$SW_TMP/acked" | sed 's/sip:\(.*\)@.*/\1/')
out=$(python3 "$SW_E2E/sipreq.py" "$B_PORT" invite "sip:$first@127.0.0.1")
echo "$out" | head -1 | grep -q "^SIP/2.0 302 " || fail "B on $first: $out"
out=$(python3 "$SW_E2E/sipreq.py" "$B_PORT" register sip:kb@127.0.0.1 \
    --contact sip:kb@192.0.2.30 --expires 600)
echo "$out" | head -1 | grep -q "^SIP/2.0 200 " || fail "B REGISTER: $out"
pass "A killed mid-load: all $acked acknowledged REGISTERs stored, B serves"

# ---- PostgreSQL restarted mid-load ----
load B rs 200 1600
rows_at_least rs 150
sh "$SW_SRC/scripts/pg.sh" halt "$PG_DIR" || fail "halt"
sleep 2
sh "$SW_SRC/scripts/pg.sh" up "$PG_DIR" || fail "up"
wait "$SIPP_PID"
logs="$SW_TMP/rs/*_logs.log"
busy=$(cat $logs | grep -c '^busy ')
[ "$busy" -ge 10 ] || fail "only $busy REGISTERs got 500 while PostgreSQL was down"
cat $logs | grep '^busy ' | grep -vq 'Retry-After: [0-9]' \
    && fail "a 500 without Retry-After: $(grep '^busy ' $logs | grep -v Retry-After | head -2)"
# Recovered without a restart: 200s again after the 500s.
last_busy=$(grep -n '^busy ' $logs | tail -1 | cut -d: -f1)
after=$(tail -n +"$last_busy" $logs | grep -c '^ok ')
[ "$after" -ge 50 ] || fail "only $after REGISTERs got 200 after the database came back"
acked=$(in_db rs)
grep -q "postgres: reconnected" "$B_DIR/daemon.log" || fail "no reconnect logged"
# Logged once per state change, not once per refused REGISTER.
[ "$(grep -c "postgres: lost" "$B_DIR/daemon.log")" = 1 ] || fail "'lost' logged more than once"
[ "$(grep -c "not stored" "$B_DIR/daemon.log")" = 0 ] || fail "one log line per refused REGISTER"
pass "PostgreSQL restarted: $busy x 500 with Retry-After, then $after x 200; all $acked acknowledged stored"

kill -TERM "$B_PID"
wait "$B_PID" || fail "node B exit $?"
NODES=""
