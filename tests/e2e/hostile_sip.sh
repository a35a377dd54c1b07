#!/bin/sh
# Hostile SIP messages (docs/HOSTILE.md), over UDP and TCP: header-count
# bombs, a 64 KB header line, 10,000 repeated parameters, NUL bytes and
# invalid UTF-8 in the request line, in every header name and value and in
# the body. Each gets its documented answer (a 400 naming the defect, 414,
# 513, or nothing when no Via can route an answer); afterwards the daemon
# still answers OPTIONS and stops clean under ASan. Datagrams of every size
# up to the largest, alone and in mixed bursts, are read whole.
. "$(dirname "$0")/lib.sh"

start_daemon
python3 "$SW_E2E/hostile.py" "$SW_PORT" sip || fail "hostile messages"
python3 "$SW_E2E/hostile.py" "$SW_PORT" bytes || fail "NUL and invalid UTF-8"
python3 "$SW_E2E/hostile.py" "$SW_PORT" sizes || fail "datagrams of every size"
stop_clean
grep -q 'malformed=[1-9]' "$SW_LOG" || fail "malformed requests not counted"

SW_PORT=$(free_port)
start_daemon --set transport.max_msg=4096
python3 "$SW_E2E/hostile.py" "$SW_PORT" oversize || fail "over max_msg"
stop_clean
pass "hostile_sip"
