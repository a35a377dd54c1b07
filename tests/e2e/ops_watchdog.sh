#!/bin/sh
# The systemd watchdog: started the way systemd starts a Type=notify unit
# with WatchdogSec= (NOTIFY_SOCKET, WATCHDOG_USEC, WATCHDOG_PID), the
# daemon sends READY=1, then WATCHDOG=1 over and over; with one worker
# thread frozen (ptrace) the pings stop and the log says which worker;
# they resume once it runs again; STOPPING=1 at shutdown. The unit asks for
# a watchdog.
. "$(dirname "$0")/lib.sh"

grep -q "^WatchdogSec=[1-9]" "$SW_SRC/contrib/sipward.service" \
    || fail "contrib/sipward.service sets no WatchdogSec="
grep -q "^Type=notify" "$SW_SRC/contrib/sipward.service" || fail "not Type=notify"

LISTEN_PID=""
wd_cleanup() {
    [ -n "$LISTEN_PID" ] && kill "$LISTEN_PID" 2>/dev/null
    cleanup
}
trap wd_cleanup EXIT

SOCK=$SW_TMP/notify.sock
NLOG=$SW_TMP/notify.log
: >"$NLOG"
python3 "$SW_E2E/watchdog.py" listen "$SOCK" "$NLOG" &
LISTEN_PID=$!
i=0
while [ ! -S "$SOCK" ] && [ $i -lt 100 ]; do
    sleep 0.1
    i=$((i + 1))
done
[ -S "$SOCK" ] || fail "notify socket not created"

# count MSG [AFTER]: messages MSG received after monotonic time AFTER
count() {
    awk -v m="$1" -v t="${2:-0}" '$2 == m && $1 > t { n++ } END { print n + 0 }' "$NLOG"
}
wait_count() { # MSG N [AFTER]: up to 30 s
    i=0
    while [ "$(count "$1" "${3:-0}")" -lt "$2" ] && [ $i -lt 300 ]; do
        sleep 0.1
        i=$((i + 1))
    done
    [ "$(count "$1" "${3:-0}")" -ge "$2" ]
}

# 2 s: a ping every second while every worker stamped its heartbeat
# within the last second.
SW_PORT=$(free_port)
SW_HTTP_PORT=$(free_port)
(cd "$SW_TMP" && NOTIFY_SOCKET=$SOCK WATCHDOG_USEC=2000000 exec sh -c \
    'export WATCHDOG_PID=$$; exec "$@"' sh "$SIPWARD" serve \
    --set "sip.listen=udp:127.0.0.1:$SW_PORT" \
    --set "http.listen=127.0.0.1:$SW_HTTP_PORT" \
    --set server.workers=2 >>"$SW_LOG" 2>&1) &
SW_PID=$!
wait_count READY=1 1 || fail "no READY=1"
READY_AT=$(awk '$2 == "READY=1" { print $1; exit }' "$NLOG")
grep -q "systemd watchdog: 2000 ms" "$SW_LOG" || fail "watchdog not enabled"
wait_count WATCHDOG=1 3 "$READY_AT" || fail "fewer than 3 WATCHDOG=1 after READY=1: $(cat "$NLOG")"
pass "READY=1, then WATCHDOG=1 again and again"

# One worker frozen for 6 s: once its last heartbeat is a second old no
# ping may be sent; 2 s of margin for a loaded machine's delivery.
python3 "$SW_E2E/watchdog.py" freeze "$SW_PID" sw-worker-1 6 >"$SW_TMP/freeze.out" 2>"$SW_TMP/freeze.err"
rc=$?
if [ $rc -eq 3 ]; then
    echo "SKIP: ptrace not permitted here: $(cat "$SW_TMP/freeze.err")"
else
    [ $rc -eq 0 ] || fail "freeze: $(cat "$SW_TMP/freeze.err")"
    S=$(awk '$2 == "stopped" { print $1 }' "$SW_TMP/freeze.out")
    E=$(awk '$2 == "released" { print $1 }' "$SW_TMP/freeze.out")
    n=$(awk -v a="$S" -v b="$E" '$2 == "WATCHDOG=1" && $1 > a + 2 && $1 < b { n++ } END { print n + 0 }' "$NLOG")
    [ "$n" = 0 ] || fail "$n WATCHDOG=1 while worker 1 was frozen: $(cat "$NLOG") / $(cat "$SW_TMP/freeze.out")"
    grep -q "worker 1: no heartbeat for .* ms: not pinging the systemd watchdog" "$SW_LOG" \
        || fail "the stuck worker is not logged"
    wait_count WATCHDOG=1 2 "$E" || fail "pings did not resume after the worker ran again"
    grep -q "every worker runs again" "$SW_LOG" || fail "recovery not logged"
    pass "a frozen worker stops the pings; they resume when it runs"
fi

stop_daemon
[ "$SW_EXIT" = 0 ] || fail "exit $SW_EXIT"
wait_count STOPPING=1 1 || fail "no STOPPING=1"
pass "ops_watchdog"
