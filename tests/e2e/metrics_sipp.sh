#!/bin/sh
# /metrics and the status page follow real traffic: SIPp sends OPTIONS over
# UDP and TCP, and the request counter (by method and transport), the
# response counter (by code) and the latency histogram grow by exactly
# what was sent (a REGISTER, answered after its write, counted once); the status page's totals follow. A moved user added
# through the admin API moves the store gauges and the commit histograms,
# and SIPp INVITEs to it move the redirect counter; a TCP connection held
# open is counted while it lasts.
. "$(dirname "$0")/lib.sh"

printf 'metrics-test-token-0123456789\n' >"$SW_TMP/token"
chmod 600 "$SW_TMP/token"
start_daemon --set "http.token_file=$SW_TMP/token" --set registrar.auth=false
wait_listening "$SW_HTTP_PORT" tcp || fail "HTTP not listening"
URL=http://127.0.0.1:$SW_HTTP_PORT

# metric NAME_AND_LABELS: the current value (0 when the series is absent)
metric() {
    curl -s "$URL/metrics" | awk -v k="$1" '$1 == k { v = $2 } END { print v + 0 }'
}
opt_udp='sipward_sip_requests_total{method="OPTIONS",transport="udp"}'
opt_tcp='sipward_sip_requests_total{method="OPTIONS",transport="tcp"}'
ok200='sipward_sip_responses_total{code="200"}'
lat='sipward_sip_request_duration_seconds_count'

u0=$(metric "$opt_udp"); t0=$(metric "$opt_tcp"); r0=$(metric "$ok200"); l0=$(metric "$lat")
sipp_run() { # transport calls
    timeout 30 sipp "127.0.0.1:$SW_PORT" -sf "$SW_E2E/sipp/ops_options.xml" \
        -t "$1" -m "$2" -r 200 -i 127.0.0.1 -p "$(free_port)" -nostdin \
        -timeout 20s -timeout_error >"$SW_TMP/sipp.$1.log" 2>&1 \
        || fail "sipp ($1) failed: $(tail -5 "$SW_TMP/sipp.$1.log")"
}
sipp_run u1 40
sipp_run t1 15

u1=$(metric "$opt_udp"); t1=$(metric "$opt_tcp"); r1=$(metric "$ok200"); l1=$(metric "$lat")
[ $((u1 - u0)) -eq 40 ] || fail "UDP OPTIONS counter grew by $((u1 - u0)), not 40"
[ $((t1 - t0)) -eq 15 ] || fail "TCP OPTIONS counter grew by $((t1 - t0)), not 15"
[ $((r1 - r0)) -eq 55 ] || fail "200 responses grew by $((r1 - r0)), not 55"
[ $((l1 - l0)) -eq 55 ] || fail "latency histogram count grew by $((l1 - l0)), not 55"
# The +Inf bucket equals the count, and the buckets are cumulative.
curl -s "$URL/metrics" | python3 -c '
import sys
b = [(l.split("le=\"")[1].split("\"")[0], float(l.split()[-1]))
     for l in sys.stdin if l.startswith("sipward_sip_request_duration_seconds_bucket")]
vals = [v for _, v in b]
assert vals == sorted(vals), "buckets not cumulative"
assert b[-1][0] == "+Inf" and b[-1][1] >= 55, b[-1]
' || fail "latency histogram malformed"
pass "metrics follow SIPp traffic (udp +40, tcp +15, 200 +55)"

# A REGISTER waits for its durable write: timed once, when it is answered.
timeout 30 sipp "127.0.0.1:$SW_PORT" -sf "$SW_E2E/sipp/reg_register.xml" \
    -key user carol -key domain 127.0.0.1 -key expires 600 -m 10 -r 50 \
    -i 127.0.0.1 -p "$(free_port)" -nostdin -timeout 20s -timeout_error \
    >"$SW_TMP/sipp.reg.log" 2>&1 || fail "sipp REGISTER: $(tail -5 "$SW_TMP/sipp.reg.log")"
l2=$(metric "$lat")
[ $((l2 - l1)) -eq 10 ] || fail "latency histogram count grew by $((l2 - l1)) for 10 REGISTERs"
pass "a deferred REGISTER is timed once"

curl -s "$URL/" | grep -q "id=requests-total>$((u1 + t1 + 10))<" \
    || fail "status page total is not $((u1 + t1 + 10))"
pass "status page totals follow"

# Store: a moved user through the API, then INVITEs to it.
c0=$(metric sipward_store_commit_duration_seconds_count)
curl -s -X PUT -H "Authorization: Bearer $(cat "$SW_TMP/token")" \
    -d '{"uri":"sip:bob@elsewhere.example"}' \
    "$URL/api/v1/moved/sip:bob@127.0.0.1" >/dev/null
[ "$(metric sipward_store_moved)" = 1 ] || fail "sipward_store_moved is not 1"
c1=$(metric sipward_store_commit_duration_seconds_count)
[ $((c1 - c0)) -ge 1 ] || fail "no commit observed"
[ "$(metric sipward_store_commit_batch_size_count)" -ge 1 ] || fail "no batch size observed"
[ "$(metric sipward_store_queue_depth)" = 0 ] || fail "store queue not drained"
m0=$(metric 'sipward_redirects_total{kind="moved"}')
s0=$(metric 'sipward_sip_responses_total{code="301"}')
timeout 30 sipp "127.0.0.1:$SW_PORT" -sf "$SW_E2E/sipp/redirect_invite.xml" \
    -key user bob -key domain 127.0.0.1 -m 10 -r 100 -i 127.0.0.1 \
    -p "$(free_port)" -nostdin -timeout 20s -timeout_error \
    >"$SW_TMP/sipp.inv.log" 2>&1 || fail "sipp INVITE: $(tail -5 "$SW_TMP/sipp.inv.log")"
m1=$(metric 'sipward_redirects_total{kind="moved"}')
s1=$(metric 'sipward_sip_responses_total{code="301"}')
[ $((m1 - m0)) -eq 10 ] || fail "moved redirects grew by $((m1 - m0)), not 10"
[ $((s1 - s0)) -eq 10 ] || fail "301 responses grew by $((s1 - s0)), not 10"
# Open TCP connections: one held open by a client counts, and stops
# counting when the client hangs up.
CONNS='sipward_connections_open{transport="tcp"}'
c0=$(metric "$CONNS")
python3 - "$SW_PORT" "$SW_TMP/held" <<'PY' &
import os, socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"OPTIONS sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:9;branch=z9hG4bK-held\r\n"
          b"Max-Forwards: 70\r\nFrom: <sip:m@127.0.0.1>;tag=1\r\nTo: <sip:127.0.0.1>\r\n"
          b"Call-ID: held-conn\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n")
s.settimeout(10)
assert s.recv(4096).startswith(b"SIP/2.0 200")
open(sys.argv[2], "w").close()
end = time.time() + 20
while os.path.exists(sys.argv[2]) and time.time() < end:
    time.sleep(0.05)
s.close()
PY
HELD=$!
i=0
while [ "$(metric "$CONNS")" -le "$c0" ] && [ $i -lt 100 ]; do
    sleep 0.1
    i=$((i + 1))
done
[ "$(metric "$CONNS")" -eq $((c0 + 1)) ] || fail "held TCP connection not counted: $(metric "$CONNS") (was $c0)"
i=0
while [ ! -f "$SW_TMP/held" ] && [ $i -lt 100 ]; do
    sleep 0.1
    i=$((i + 1))
done
rm -f "$SW_TMP/held"
wait $HELD || fail "the TCP client failed"
i=0
while [ "$(metric "$CONNS")" -ne "$c0" ] && [ $i -lt 100 ]; do
    sleep 0.1
    i=$((i + 1))
done
[ "$(metric "$CONNS")" -eq "$c0" ] || fail "closed TCP connection still counted"
curl -s "$URL/" | grep -q 'id=store>0 users, 1 bindings, 1 moved<' || fail "status page store line"
pass "store gauges, commit histograms, redirects (301 +10)"
stop_daemon
[ "$SW_EXIT" -eq 0 ] || fail "exit $SW_EXIT"
