#!/bin/sh
# Hostile framing (docs/HOSTILE.md): Content-Length longer and shorter than
# the body over UDP and TCP, a negative and a doubled Content-Length, and
# garbage pipelined between requests on one TCP connection. (The TCP slow
# sender and the connection flood are net_tcp_limits.sh.) Afterwards the
# daemon still answers OPTIONS and stops clean under ASan.
. "$(dirname "$0")/lib.sh"

start_daemon --set transport.tcp_header_ms=2000
python3 "$SW_E2E/hostile.py" "$SW_PORT" length || fail "Content-Length"
python3 "$SW_E2E/hostile.py" "$SW_PORT" pipeline || fail "pipelined garbage"
stop_clean
grep -q 'tcp_slow=[1-9]' "$SW_LOG" || fail "incomplete messages not counted"
pass "hostile_tcp"
