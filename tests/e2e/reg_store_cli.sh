#!/bin/sh
# `sipward user` and `sipward moved` work on the store file: passwords come
# from a file or stdin (never argv) and only HA1 hashes are stored; moved
# entries are durable; bad arguments exit 2; the daemon opens the same store
# and reloads it on restart.
. "$(dirname "$0")/lib.sh"

cd "$SW_TMP" || fail "cd"
DB=var/sipward.db

printf 'alice-secret\n' | "$SIPWARD" user add sip:alice@Example.COM >out 2>&1 \
    || fail "user add from stdin: $(cat out)"
printf 'bob-secret\n' >pw
"$SIPWARD" user add sips:bob@example.com --password-file pw --realm other \
    >out 2>&1 || fail "user add from file: $(cat out)"
"$SIPWARD" user list >list || fail "user list"
grep -q "^sip:alice@example.com	alice	sipward	sha256,md5$" list \
    || fail "alice not listed: $(cat list)"
grep -q "^sip:bob@example.com	bob	other	" list || fail "bob not listed"
# HA1 = MD5(user:realm:password), SHA-256 likewise; never the password.
md5=$(printf 'alice:sipward:alice-secret' | md5sum | cut -d' ' -f1)
sha=$(printf 'alice:sipward:alice-secret' | sha256sum | cut -d' ' -f1)
row=$(sqlite3 "$DB" "SELECT ha1_md5 || ' ' || ha1_sha256 FROM users WHERE aor='sip:alice@example.com'")
[ "$row" = "$md5 $sha" ] || fail "stored hashes '$row' are not HA1"
sqlite3 "$DB" .dump | grep -q 'alice-secret' && fail "password stored in clear"
"$SIPWARD" user add sip:carol@example.com </dev/null 2>err; rc=$?
[ $rc -eq 1 ] || fail "empty password accepted ($rc)"
"$SIPWARD" user add sip:carol@example.com secret 2>err; rc=$?
[ $rc -eq 2 ] || fail "password on argv accepted ($rc)"
"$SIPWARD" user add tel:+123 <pw 2>err; rc=$?
[ $rc -eq 2 ] || fail "tel AOR accepted ($rc)"
pass "user add/list"

"$SIPWARD" moved add sip:dave@example.com sip:dave@new.example.net \
    --note "left for new.example.net" >out 2>&1 || fail "moved add: $(cat out)"
"$SIPWARD" moved list >list || fail "moved list"
grep -q "^sip:dave@example.com	sip:dave@new.example.net	20[0-9-]*T[0-9:]*Z	left for new.example.net$" list \
    || fail "moved list: $(cat list)"
"$SIPWARD" moved add sip:erin@example.com 'not a uri' 2>err; rc=$?
[ $rc -eq 2 ] || fail "bad target accepted ($rc)"
"$SIPWARD" moved add sip:erin@example.com 2>err; rc=$?
[ $rc -eq 2 ] || fail "missing target accepted ($rc)"
"$SIPWARD" moved remove sip:nobody@example.com 2>err; rc=$?
[ $rc -eq 1 ] || fail "removing an unknown entry: $rc"
grep -q "not in the moved directory" err || fail "unknown entry message"
pass "moved add/list"

# The daemon opens the same store and reports what it loaded.
start_daemon
i=0
while ! grep -q "ready" "$SW_LOG" && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
grep -q "ready.*2 users, 0 bindings, 1 moved" "$SW_LOG" \
    || fail "daemon did not load the store"
# The CLI works while the daemon holds the store open.
"$SIPWARD" user remove sip:bob@example.com >out 2>&1 || fail "remove: $(cat out)"
"$SIPWARD" moved remove sip:dave@example.com >out 2>&1 || fail "moved remove"
stop_daemon
[ "$SW_EXIT" -eq 0 ] || fail "exit $SW_EXIT"
"$SIPWARD" user list >list
[ "$(wc -l <list)" -eq 1 ] || fail "bob still listed: $(cat list)"
[ -z "$("$SIPWARD" moved list)" ] || fail "dave still moved"
pass "daemon shares the store with the CLI"
