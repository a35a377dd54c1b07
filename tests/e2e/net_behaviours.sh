#!/bin/sh
# What every SIP server must do, driven by SIPp over UDP and over TCP:
# OPTIONS to the server → 200 with Allow/Accept/Supported, Max-Forwards 0 →
# 483, unknown Require → 420 + Unsupported, unknown method → 501 + Allow,
# malformed → 400, INVITE → final + ACK absorbed, merged request → 482,
# a request that looped back (our address in a Via) → 482,
# CANCEL without its INVITE → 481.
. "$(dirname "$0")/lib.sh"

start_daemon
SIPP_PORT=$(free_port)

run_sipp() { # scenario transport
    timeout 20 sipp "127.0.0.1:$SW_PORT" -sf "$SW_E2E/sipp/$1.xml" -t "$2" \
        -i 127.0.0.1 -p "$SIPP_PORT" -m 1 -nostdin -timeout 10s \
        -timeout_error -recv_timeout 3000 -trace_err \
        -error_file "$SW_TMP/$1-$2.err" >"$SW_TMP/$1-$2.out" 2>&1
}

for t in u1 t1; do
    for s in net_options net_maxfwd net_require net_unknown net_malformed \
        net_invite net_loop; do
        run_sipp "$s" "$t" || {
            cat "$SW_TMP/$s-$t.err" >&2 2>/dev/null
            fail "$s over $t"
        }
        pass "$s over $t"
    done
done

stop_daemon
[ "$SW_EXIT" -eq 0 ] || fail "exit code $SW_EXIT"
pass "clean stop"
