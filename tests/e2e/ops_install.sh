#!/bin/sh
# What an operator installs: `make install DESTDIR=... PREFIX=...` lays out
# the expected tree (binary, man page, systemd unit with the prefix's
# paths, live config with absolute state paths, docs) and keeps an edited
# config; the unit passes `systemd-analyze verify` (where available); the
# man page renders without warnings and documents every command; the
# example config is exactly `serve --print-config` and validates; and the
# daemon speaks sd_notify (READY=1, RELOADING=1, STOPPING=1).
. "$(dirname "$0")/lib.sh"

cd "$SW_TMP" || fail "cd"
inst() { make -s -C "$SW_SRC" install SIPWARD_BIN="$SIPWARD" "$@" >>make.log 2>&1; }

# --- make install into a DESTDIR, PREFIX=/usr ---
D=$SW_TMP/dest
inst DESTDIR="$D" PREFIX=/usr || fail "make install: $(tail -5 make.log)"
for f in usr/bin/sipward usr/share/man/man8/sipward.8 \
    usr/lib/systemd/system/sipward.service etc/sipward/sipward.ini \
    usr/share/doc/sipward/sipward.ini usr/share/doc/sipward/README.md; do
    [ -f "$D/$f" ] || fail "missing $f: $(cd "$D" && find . -type f)"
done
[ -x "$D/usr/bin/sipward" ] || fail "binary not executable"
"$D/usr/bin/sipward" --version | grep -q '^sipward ' || fail "installed binary"
U=$D/usr/lib/systemd/system/sipward.service
grep -q '^ExecStart=/usr/bin/sipward serve --config /etc/sipward/sipward.ini' "$U" \
    || fail "unit paths not rewritten for PREFIX=/usr: $(grep Exec "$U")"
grep -v '^#' "$U" | grep -q '/usr/local' && fail "unit still names /usr/local"
grep -q '^Type=notify$' "$U" || fail "unit is not Type=notify"
grep -q '^path = /var/lib/sipward/sipward.db$' "$D/etc/sipward/sipward.ini" \
    || fail "live config store path"
grep -q '^token_file = /var/lib/sipward/admin.token$' "$D/etc/sipward/sipward.ini" \
    || fail "live config token path"
"$SIPWARD" serve --check-config --config "$D/etc/sipward/sipward.ini" >/dev/null \
    || fail "installed config does not validate"
# A second install keeps the operator's edits.
echo "# edited" >>"$D/etc/sipward/sipward.ini"
inst DESTDIR="$D" PREFIX=/usr || fail "second make install"
tail -n 1 "$D/etc/sipward/sipward.ini" | grep -q '^# edited$' || fail "config overwritten"
# The default prefix.
D2=$SW_TMP/dest2
inst DESTDIR="$D2" || fail "make install (default PREFIX)"
[ -x "$D2/usr/local/bin/sipward" ] && [ -f "$D2/usr/local/etc/sipward/sipward.ini" ] \
    && [ -f "$D2/usr/local/lib/systemd/system/sipward.service" ] \
    || fail "default PREFIX tree: $(cd "$D2" && find . -type f)"
make -s -C "$SW_SRC" uninstall DESTDIR="$D2" >>make.log 2>&1 || fail "uninstall"
[ -e "$D2/usr/local/bin/sipward" ] && fail "uninstall left the binary"
[ -f "$D2/usr/local/etc/sipward/sipward.ini" ] || fail "uninstall removed the config"
pass "make install DESTDIR PREFIX"

# --- systemd-analyze verify ---
if command -v systemd-analyze >/dev/null 2>&1; then
    # Installed without DESTDIR under a scratch prefix, so that ExecStart
    # names a binary that exists.
    P=$SW_TMP/prefix
    inst PREFIX="$P" || fail "make install PREFIX=$P"
    systemd-analyze verify --man=no "$P/lib/systemd/system/sipward.service" \
        >verify.out 2>&1 || fail "systemd-analyze verify: $(cat verify.out)"
    [ -s verify.out ] && fail "systemd-analyze verify warns: $(cat verify.out)"
    # A broken unit is caught: the check can fail.
    sed 's/^Type=notify$/Type=bogus/' "$P/lib/systemd/system/sipward.service" >bad.service
    systemd-analyze verify --man=no ./bad.service >bad.out 2>&1; rc=$?
    [ $rc -ne 0 ] || [ -s bad.out ] || fail "verify accepted Type=bogus"
    exposure=$(systemd-analyze security --offline=yes \
        "$P/lib/systemd/system/sipward.service" 2>/dev/null | sed -n 's/.*exposure level for .*: \([0-9.]*\).*/\1/p')
    pass "systemd-analyze verify (security exposure ${exposure:-n/a})"
else
    echo "skip: systemd-analyze not available"
fi

# --- the man page ---
MANWIDTH=80 man --warnings -l "$D/usr/share/man/man8/sipward.8" >man.txt 2>man.err \
    || fail "man -l failed: $(cat man.err)"
[ -s man.err ] && fail "man page warnings: $(cat man.err)"
for s in NAME SYNOPSIS DESCRIPTION COMMANDS CONFIGURATION "HTTP INTERFACE" FILES "EXIT STATUS"; do
    grep -q "^$s" man.txt || fail "man page has no $s section"
done
"$SIPWARD" --help | sed -n 's/^  \([a-z][a-z-]*\)  .*/\1/p' >commands
[ "$(wc -l <commands)" -ge 3 ] || fail "cannot list the commands"
while read -r c; do
    grep -q "^   sipward $c\$" man.txt \
        || fail "doc/sipward.8 does not document 'sipward $c': add a .SS \"sipward $c\" subsection"
done <commands
pass "man -l renders sipward(8) with every command ($(tr '\n' ' ' <commands))"

# --- the example config is the binary's own --print-config ---
sed '/^\[/,$!d' "$SW_SRC/contrib/sipward.ini" >example.body
"$SIPWARD" serve --print-config >printed
diff -u example.body printed >config.diff \
    || fail "contrib/sipward.ini is out of date: run scripts/gen-example-config.sh $(cat config.diff | head -20)"
"$SIPWARD" serve --check-config --config "$SW_SRC/contrib/sipward.ini" >/dev/null \
    || fail "contrib/sipward.ini does not validate"
pass "example config documents every option"

# --- sd_notify, as systemd's Type=notify sees it ---
NS=$SW_TMP/notify.sock
python3 - "$NS" >notify.log 2>&1 <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(30)
try:
    while True:
        msg = s.recv(4096).decode()
        print(msg.replace("\n", " "), flush=True)
        if "STOPPING=1" in msg:
            break
except socket.timeout:
    pass
PY
LISTENER=$!
i=0
while [ ! -S "$NS" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
printf '[log]\nlevel = info\n' >notify.ini
NOTIFY_SOCKET=$NS start_daemon --config notify.ini
i=0
while ! grep -q 'READY=1' notify.log && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
grep -q 'READY=1' notify.log || fail "no READY=1: $(cat notify.log)"
kill -HUP "$SW_PID"
i=0
while ! grep -q 'RELOADING=1' notify.log && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
grep -q 'RELOADING=1' notify.log || fail "no RELOADING=1 on SIGHUP"
stop_daemon
wait "$LISTENER"
grep -q 'STOPPING=1' notify.log || fail "no STOPPING=1: $(cat notify.log)"
pass "sd_notify READY, RELOADING, STOPPING"
