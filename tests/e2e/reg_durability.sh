#!/bin/sh
# Durability: SIPp registers new users at load; the daemon is killed with
# SIGKILL in the middle. After a restart, every binding whose REGISTER got
# a 200 OK is there: the 200 is sent only once the write is on disk.
. "$(dirname "$0")/lib.sh"

start_daemon --set registrar.auth=false
cd "$SW_TMP" || fail "cd"
rm -f reg_load_*_logs.log
sport=$(free_port)
timeout 40 sipp "127.0.0.1:$SW_PORT" -sf "$SW_E2E/sipp/reg_load.xml" \
    -key prefix dur -key domain 127.0.0.1 -i 127.0.0.1 -p "$sport" \
    -r 400 -l 400 -m 2400 -timeout 9 -nostdin -trace_logs \
    -max_retrans 1 >/dev/null 2>&1 &
SIPP_PID=$!
sleep 2.5
kill -KILL "$SW_PID"
wait "$SW_PID" 2>/dev/null
SW_PID=""
wait "$SIPP_PID"
acked=$(grep -c '^ok dur' reg_load_*_logs.log 2>/dev/null)
[ "${acked:-0}" -ge 100 ] || fail "too few REGISTERs answered before the kill: ${acked:-0}"
[ "$acked" -lt 2400 ] || fail "the kill came after the load ended"
echo "acknowledged before SIGKILL: $acked of 2400"

start_daemon --set registrar.auth=false
grep '^ok dur' reg_load_*_logs.log | sed 's/^ok \(.*\)$/sip:\1@127.0.0.1/' | sort -u >acked.txt
sqlite3 var/sipward.db "SELECT aor FROM bindings" | sort -u >stored.txt
missing=$(comm -23 acked.txt stored.txt | wc -l)
[ "$missing" -eq 0 ] || fail "$missing acknowledged bindings lost, e.g. $(comm -23 acked.txt stored.txt | head -3)"
# And the restarted daemon serves them.
n=$(grep -o 'ready: .* \([0-9]*\) bindings' "$SW_LOG" | tail -1 | sed 's/.* \([0-9]*\) bindings/\1/')
[ "${n:-0}" -ge "$acked" ] || fail "daemon loaded ${n:-0} bindings, $acked acknowledged"
first=$(head -1 acked.txt | sed 's/sip:\(.*\)@.*/\1/')
out=$(python3 "$SW_E2E/sipreq.py" "$SW_PORT" invite "sip:$first@127.0.0.1")
echo "$out" | head -1 | grep -q "302" || fail "INVITE $first after restart: $out"
stop_daemon
pass "every acknowledged binding survived SIGKILL ($acked)"
