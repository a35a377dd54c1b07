# Shared helpers for end-to-end tests. Each test is one script that sources
# this file, starts the real daemon on free loopback ports in its own
# scratch directory, drives it, and stops it by PID.
#
# Environment (set by CTest): SIPWARD (binary), SW_SRC (source tree),
# SW_BUILD (build tree).

set -u
SIPWARD=${SIPWARD:-$(pwd)/build/asan/sipward}
SW_SRC=${SW_SRC:-$(pwd)}
SW_E2E=$SW_SRC/tests/e2e
: "${ASAN_OPTIONS:=detect_leaks=1:abort_on_error=1}"
export ASAN_OPTIONS

SW_TMP=$(mktemp -d /tmp/sw-e2e.XXXXXX)
SW_PID=""
SW_LOG=$SW_TMP/daemon.log

# Background peers a test started (SIPp, python servers): add their PIDs
# to SW_BG_PIDS and they are killed on exit.
SW_BG_PIDS=""

cleanup() {
    for p in $SW_BG_PIDS; do
        kill -KILL "$p" 2>/dev/null
    done
    if [ -n "$SW_PID" ] && kill -0 "$SW_PID" 2>/dev/null; then
        kill -KILL "$SW_PID" 2>/dev/null
    fi
    if [ "${SW_KEEP:-0}" = 1 ]; then
        echo "kept $SW_TMP" >&2
    else
        rm -rf "$SW_TMP"
    fi
}
trap cleanup EXIT

fail() {
    echo "FAIL: $*" >&2
    if [ -f "$SW_LOG" ]; then
        echo "--- daemon log (last 40 lines) ---" >&2
        tail -n 40 "$SW_LOG" >&2
    fi
    exit 1
}

pass() {
    echo "ok: $*"
}

# Prints a port free on 127.0.0.1 for both UDP and TCP.
free_port() {
    python3 - "$@" <<'PY'
import socket, random
for _ in range(200):
    p = random.randint(20000, 60000)
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        u.bind(("127.0.0.1", p)); t.bind(("127.0.0.1", p))
    except OSError:
        continue
    finally:
        u.close(); t.close()
    print(p); break
PY
}

# Waits until something listens on 127.0.0.1:$1 over $2 (udp|tcp), for
# up to 60 s: the ASan daemon starts slowly on a loaded machine.
wait_listening() {
    port=$1 proto=$2 i=0
    while [ $i -lt 600 ]; do
        if [ "$proto" = udp ]; then
            ss -Hlnu "sport = :$port" 2>/dev/null | grep -q . && return 0
        else
            ss -Hlnt "sport = :$port" 2>/dev/null | grep -q . && return 0
        fi
        if [ -n "$SW_PID" ] && ! kill -0 "$SW_PID" 2>/dev/null; then
            return 1
        fi
        sleep 0.1
        i=$((i + 1))
    done
    return 1
}

# start_daemon [extra serve args...]: SIP on udp+tcp 127.0.0.1:$SW_PORT,
# HTTP on 127.0.0.1:$SW_HTTP_PORT, store under $SW_TMP.
start_daemon() {
    SW_PORT=${SW_PORT:-$(free_port)}
    SW_HTTP_PORT=${SW_HTTP_PORT:-$(free_port)}
    (cd "$SW_TMP" && exec "$SIPWARD" serve \
        --set "sip.listen=udp:127.0.0.1:$SW_PORT,tcp:127.0.0.1:$SW_PORT" \
        --set "http.listen=127.0.0.1:$SW_HTTP_PORT" \
        --set server.workers=2 \
        "$@" >>"$SW_LOG" 2>&1) &
    SW_PID=$!
    wait_listening "$SW_PORT" udp || fail "daemon not listening on udp $SW_PORT"
    wait_listening "$SW_PORT" tcp || fail "daemon not listening on tcp $SW_PORT"
}

# stop_daemon: SIGTERM, wait up to 30 s (the leak check at exit is slow on
# a loaded machine), set SW_EXIT to the exit code.
stop_daemon() {
    kill -TERM "$SW_PID" || fail "daemon already gone"
    i=0
    while kill -0 "$SW_PID" 2>/dev/null && [ $i -lt 300 ]; do
        sleep 0.1
        i=$((i + 1))
    done
    kill -0 "$SW_PID" 2>/dev/null && fail "daemon still running 30 s after SIGTERM"
    wait "$SW_PID"
    SW_EXIT=$?
    SW_PID=""
}

# stop_clean: stop_daemon, then fail unless it exited 0 with no sanitizer
# report (leak, memory error, undefined behaviour) in its log.
stop_clean() {
    stop_daemon
    [ "$SW_EXIT" -eq 0 ] || fail "daemon exit status $SW_EXIT"
    if grep -E "ERROR: (Address|Leak)Sanitizer|runtime error:|SUMMARY: [A-Za-z]+Sanitizer"         "$SW_LOG" >&2; then
        fail "sanitizer report in the daemon log"
    fi
}
