#!/bin/sh
# IPv6: SIPp over [::1] on UDP and TCP; responses carry received/rport and
# go back to the IPv6 source.
. "$(dirname "$0")/lib.sh"

python3 -c 'import socket; s=socket.socket(socket.AF_INET6); s.bind(("::1",0))' \
    2>/dev/null || { echo "skip: no IPv6 loopback"; exit 0; }
SW_PORT=$(free_port)
V6_PORT=$(free_port)
start_daemon --set "sip.listen=udp:127.0.0.1:$SW_PORT,tcp:127.0.0.1:$SW_PORT,udp:[::1]:$V6_PORT,tcp:[::1]:$V6_PORT"
SIPP_PORT=$(free_port)
for t in u1 t1; do
    for s in net_options net_invite; do
        timeout 20 sipp "[::1]:$V6_PORT" -sf "$SW_E2E/sipp/$s.xml" -t "$t" \
            -i ::1 -p "$SIPP_PORT" -m 1 -nostdin -timeout 10s -timeout_error \
            -recv_timeout 3000 -trace_err -error_file "$SW_TMP/$s-$t.err" \
            >"$SW_TMP/$s-$t.out" 2>&1 || {
            cat "$SW_TMP/$s-$t.err" >&2 2>/dev/null
            fail "$s over $t on ::1"
        }
        pass "$s over $t on ::1"
    done
done
stop_daemon
[ "$SW_EXIT" -eq 0 ] || fail "exit code $SW_EXIT"
