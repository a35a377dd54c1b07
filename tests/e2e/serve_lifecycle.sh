#!/bin/sh
# The daemon starts with its defaults, listens on UDP and TCP, exits 0 on
# SIGTERM within 2 s, reloads on SIGHUP (keeping the old config when the
# new file is bad), and rejects bad options with exit code 2.
. "$(dirname "$0")/lib.sh"

# Bad options: one-line error, exit 2.
"$SIPWARD" nosuchcmd 2>"$SW_TMP/err"; rc=$?
[ $rc -eq 2 ] || fail "unknown command exit $rc"
grep -q "unknown command 'nosuchcmd'" "$SW_TMP/err" || fail "unknown command message"
[ "$(wc -l <"$SW_TMP/err")" -eq 1 ] || fail "error is not one line"
"$SIPWARD" serve --bogus 2>/dev/null; [ $? -eq 2 ] || fail "bad flag exit"
"$SIPWARD" serve --set server.workers=999 2>"$SW_TMP/err"; rc=$?
[ $rc -eq 2 ] || fail "out-of-range option exit $rc"
grep -q "server.workers" "$SW_TMP/err" || fail "error does not name the option"
"$SIPWARD" serve --set store.path=/nonexistent/dir/x.db 2>"$SW_TMP/err"; rc=$?
[ $rc -ne 0 ] || fail "bad store path accepted"
[ $rc -lt 128 ] || fail "bad store path crashed ($rc)"
grep -q "/nonexistent/dir/x.db" "$SW_TMP/err" || fail "error does not name the path"
"$SIPWARD" --version | grep -q '^sipward [0-9]' || fail "--version"
"$SIPWARD" help serve | grep -q -- '--print-config' || fail "help serve"
"$SIPWARD" serve --print-config --set server.workers=3 >"$SW_TMP/cfg" || fail "print-config"
grep -q '^workers = 3' "$SW_TMP/cfg" || fail "print-config does not show override"
"$SIPWARD" serve --print-config \
    --set 'store.path=host=db.example dbname=sw user=sw password=hunter2' \
    >"$SW_TMP/cfg" || fail "print-config with a conninfo"
grep -q hunter2 "$SW_TMP/cfg" && fail "print-config shows the database password"
grep -q '^path = .*dbname=sw.*password=\*\*\*' "$SW_TMP/cfg" \
    || fail "print-config does not show the masked conninfo"
pass "command line"

# Config file + SIGHUP reload.
cat >"$SW_TMP/sipward.ini" <<INI
[log]
level = info
INI
start_daemon --config "$SW_TMP/sipward.ini"
grep -q "ready" "$SW_LOG" || sleep 0.5
[ -f "$SW_TMP/var/sipward.db" ] || fail "store not created under ./var"
printf '[log]\nlevel = debug\n' >"$SW_TMP/sipward.ini"
kill -HUP "$SW_PID"
sleep 0.3
grep -q "configuration reloaded" "$SW_LOG" || fail "SIGHUP did not reload"
printf '[log]\nlevel = loud\n' >"$SW_TMP/sipward.ini"
kill -HUP "$SW_PID"
sleep 0.3
grep -q "reload failed.*log.level" "$SW_LOG" || fail "bad reload not reported"
kill -0 "$SW_PID" || fail "daemon died on a bad reload"
pass "reload"

stop_daemon
[ "$SW_EXIT" -eq 0 ] || fail "exit code $SW_EXIT after SIGTERM"
grep -q "stopped" "$SW_LOG" || fail "no clean stop in log"
pass "SIGTERM: exit 0"
