# SIPp helpers for the registrar / redirect e2e tests (sourced after lib.sh).

# sipp_run SCENARIO [sipp args...]: one call of tests/e2e/sipp/SCENARIO.xml
# against the daemon; returns SIPp's exit code (0: the call passed) and
# leaves the scenario's log lines (-trace_logs) in $SIPP_LOG.
sipp_run() {
    name=$1
    shift
    rm -f "$SW_TMP/${name}"_*_logs.log "$SW_TMP/${name}"_*_errors.log
    (cd "$SW_TMP" && timeout 30 sipp "127.0.0.1:$SW_PORT" \
        -sf "$SW_E2E/sipp/$name.xml" -i 127.0.0.1 -p "$(free_port)" \
        -m 1 -timeout 10 -timeout_error -nostdin -trace_logs -trace_err \
        "$@" >/dev/null 2>&1)
    rc=$?
    SIPP_LOG=$(cat "$SW_TMP/${name}"_*_logs.log 2>/dev/null)
    SIPP_ERR=$(cat "$SW_TMP/${name}"_*_errors.log 2>/dev/null)
    return $rc
}

# sipp_invite USER: INVITE sip:USER@127.0.0.1; $SIPP_LOG has code=NNN ...
sipp_invite() {
    sipp_run redirect_invite -key user "$1" -key domain 127.0.0.1 \
        || fail "INVITE $1: SIPp failed: $SIPP_ERR"
}

# expect_code USER CODE [grep pattern]: INVITE USER answered CODE, and the
# logged response matches the pattern.
expect_code() {
    sipp_invite "$1"
    echo "$SIPP_LOG" | grep -q "code=$2" || fail "INVITE $1: wanted $2, got: $SIPP_LOG"
    if [ $# -ge 3 ]; then
        echo "$SIPP_LOG" | grep -q -- "$3" || fail "INVITE $1: no '$3' in: $SIPP_LOG"
    fi
}

# eventually_code USER CODE [grep pattern]: expect_code, retried until it
# holds, for up to 30 s: a change made by the CLI reaches the workers
# asynchronously, and a loaded machine may take seconds.
eventually_code() {
    end=$(($(date +%s) + 30))
    while :; do
        sipp_invite "$1"
        if echo "$SIPP_LOG" | grep -q "code=$2" \
            && { [ $# -lt 3 ] || echo "$SIPP_LOG" | grep -q -- "$3"; }; then
            return 0
        fi
        [ "$(date +%s)" -lt "$end" ] \
            || fail "INVITE $1: wanted $2 ${3:-} within 30 s, got: $SIPP_LOG"
        sleep 0.2
    done
}
