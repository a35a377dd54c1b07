#!/bin/sh
# The admin API: moved directory CRUD, users, bindings; clear 4xx JSON
# errors; changes durable across a restart; and `sipward moved|user` going
# through a running daemon's API, falling back to the store file when the
# daemon is down or refuses the token.
. "$(dirname "$0")/lib.sh"

cd "$SW_TMP" || fail "cd"
TOKEN=feedfacecafebeef0123456789abcdef
printf '%s\n' "$TOKEN" >token
chmod 600 token
SW_HTTP_PORT=$(free_port)
cat >sipward.ini <<INI
[server]
realm = example.com
[http]
listen = 127.0.0.1:$SW_HTTP_PORT
token_file = $SW_TMP/token
[store]
path = $SW_TMP/var/sipward.db
INI
start_daemon --config sipward.ini
wait_listening "$SW_HTTP_PORT" tcp || fail "HTTP not listening"
API=http://127.0.0.1:$SW_HTTP_PORT/api/v1
AUTH="Authorization: Bearer $TOKEN"

# req METHOD PATH [JSON]: prints the status; the body lands in ./body
req() {
    if [ $# -ge 3 ]; then
        curl -s -o body -w '%{http_code}' -X "$1" -H "$AUTH" \
            -H 'Content-Type: application/json' --data-binary "$3" "$API$2"
    else
        curl -s -o body -w '%{http_code}' -X "$1" -H "$AUTH" "$API$2"
    fi
}
jq_() { python3 -c "import json,sys; j=json.load(open('body')); print($1)"; }
errmsg() { jq_ 'j["error"]["message"]'; }

# --- moved directory ---
[ "$(req PUT /moved/sip:bob@Example.COM '{"uri":"sip:bob@new.example.net","note":"left"}')" = 200 ] \
    || fail "moved PUT: $(cat body)"
[ "$(jq_ 'j["aor"]')" = sip:bob@example.com ] || fail "AOR not canonical: $(cat body)"
[ "$(req POST /moved '{"aor":"sips:carol@example.com","uri":"tel:+15551230000"}')" = 201 ] \
    || fail "moved POST: $(cat body)"
[ "$(req GET /moved)" = 200 ] || fail "moved list"
[ "$(jq_ '",".join(m["aor"] for m in j["moved"])')" = "sip:bob@example.com,sip:carol@example.com" ] \
    || fail "moved list content: $(cat body)"
[ "$(req GET /moved/sip%3Abob%40example.com)" = 200 ] || fail "moved GET encoded"
[ "$(jq_ 'j["uri"] + "|" + j["note"]')" = "sip:bob@new.example.net|left" ] || fail "moved GET body"
# Seen by the status page too.
curl -s "http://127.0.0.1:$SW_HTTP_PORT/" | grep -q 'sip:bob@new.example.net' \
    || fail "status page does not list the moved user"
pass "moved add/list/get"

[ "$(req PUT /moved/sip:x@example.com '{"uri": ')" = 400 ] || fail "bad JSON"
errmsg | grep -q "invalid JSON" || fail "bad JSON message: $(cat body)"
[ "$(req PUT /moved/sip:x@example.com '{"note":"no uri"}')" = 400 ] || fail "missing uri"
errmsg | grep -q '"uri"' || fail "missing uri message"
[ "$(req PUT /moved/sip:x@example.com '{"uri":42}')" = 400 ] || fail "uri not a string"
[ "$(req PUT /moved/sip:x@example.com '{"uri":"http://evil"}')" = 422 ] || fail "http uri accepted"
[ "$(req PUT /moved/mailto:x@example.com '{"uri":"sip:a@b"}')" = 400 ] || fail "bad AOR accepted"
errmsg | grep -q "address-of-record" || fail "bad AOR message"
[ "$(req POST /moved '{"uri":"sip:a@b"}')" = 400 ] || fail "POST without aor"
# Not UTF-8: refused (no back end stores it alike, no JSON shows it), with
# a JSON error that is valid JSON.
[ "$(req PUT /moved/sip:%FFx@example.com '{"uri":"sip:a@b"}')" = 400 ] || fail "non-UTF-8 AOR: $(cat body)"
errmsg | grep -q "address-of-record" || fail "non-UTF-8 AOR message: $(cat body)"
[ "$(req GET /bindings/sip:%C3x@example.com)" = 400 ] || fail "non-UTF-8 AOR in bindings: $(cat body)"
[ "$(curl -s -o body -w '%{http_code}' -X DELETE "$API/moved/sip:bob@example.com")" = 401 ] \
    || fail "DELETE without token"
[ "$(req GET /moved/sip:bob@example.com)" = 200 ] || fail "unauthenticated DELETE changed something"
pass "moved: 4xx JSON errors"

[ "$(req DELETE /moved/sip:carol@example.com)" = 200 ] || fail "moved DELETE"
[ "$(req DELETE /moved/sip:carol@example.com)" = 404 ] || fail "second DELETE not 404"
errmsg | grep -q "not in the moved directory" || fail "404 message"
pass "moved remove"

# --- users ---
[ "$(req POST /users '{"aor":"sip:alice@example.com","password":"wonderland"}')" = 201 ] \
    || fail "user POST: $(cat body)"
[ "$(jq_ 'j["realm"] + "|" + j["username"] + "|" + ",".join(j["hashes"])')" = "example.com|alice|sha256,md5" ] \
    || fail "user body: $(cat body)"
grep -q wonderland body && fail "password echoed"
[ "$(req GET /users)" = 200 ] || fail "users list"
grep -qi 'ha1\|wonderland' body && fail "users list exposes secrets: $(cat body)"
[ "$(jq_ 'len(j["users"])')" = 1 ] || fail "users count"
[ "$(req PUT /users/sip:dave@example.com '{"password":"x","ha1_md5":"00"}')" = 400 ] || fail "password+ha1"
[ "$(req PUT /users/sip:dave@example.com '{"ha1_md5":"XYZ"}')" = 422 ] || fail "bad ha1"
[ "$(req PUT /users/sip:dave@example.com '{}')" = 400 ] || fail "no credentials"
[ "$(req DELETE /users/sip:nobody@example.com)" = 404 ] || fail "unknown user delete"
# The stored HA1 is MD5(alice:example.com:wonderland).
want=$(printf 'alice:example.com:wonderland' | md5sum | cut -d' ' -f1)
[ "$(sqlite3 var/sipward.db "SELECT ha1_md5 FROM users WHERE aor='sip:alice@example.com'")" = "$want" ] \
    || fail "stored HA1 is not MD5(user:realm:password)"
pass "users"

# --- bindings ---
[ "$(req GET /bindings/sip:alice@example.com)" = 200 ] || fail "bindings of a user"
[ "$(jq_ 'len(j["bindings"])')" = 0 ] || fail "bindings not empty"
[ "$(req GET /bindings/sip:nobody@example.com)" = 404 ] || fail "bindings of unknown"
[ "$(req DELETE /bindings/sip:alice@example.com)" = 200 ] || fail "bindings DELETE all"
[ "$(req DELETE '/bindings/sip:alice@example.com?contact=sip:alice@192.0.2.1')" = 404 ] \
    || fail "DELETE of a contact that is not bound"
pass "bindings"

# --- the CLI through the API ---
"$SIPWARD" moved add sip:erin@example.com sip:erin@elsewhere.example --note "via cli" \
    -c sipward.ini >out 2>&1 || fail "cli moved add: $(cat out)"
grep -q "admin API: sip:erin@example.com moved to" "$SW_LOG" || fail "cli did not use the API"
"$SIPWARD" moved list -c sipward.ini >list || fail "cli moved list"
grep -q "^sip:erin@example.com	sip:erin@elsewhere.example	.*	via cli$" list \
    || fail "cli list format: $(cat list)"
printf 'hunter22\n' | "$SIPWARD" user add sip:frank@example.com -c sipward.ini >out 2>&1 \
    || fail "cli user add: $(cat out)"
grep -q "admin API: user sip:frank@example.com added" "$SW_LOG" || fail "cli user add not via API"
grep -q hunter22 "$SW_LOG" && fail "password in the daemon log"
want=$(printf 'frank:example.com:hunter22' | sha256sum | cut -d' ' -f1)
[ "$(sqlite3 var/sipward.db "SELECT ha1_sha256 FROM users WHERE aor='sip:frank@example.com'")" = "$want" ] \
    || fail "cli user add: wrong HA1"
"$SIPWARD" user list -c sipward.ini | grep -q "^sip:frank@example.com	frank	example.com	sha256,md5$" \
    || fail "cli user list"
"$SIPWARD" moved remove sip:nobody@example.com -c sipward.ini 2>err; rc=$?
[ $rc -eq 1 ] || fail "cli remove unknown: exit $rc"
grep -q "not in the moved directory" err || fail "cli remove unknown message"
pass "CLI through the running daemon"

# A wrong token in the config: the CLI works on the file instead.
printf 'wrong-token-wrong-token\n' >badtoken
sed "s|token_file = .*|token_file = $SW_TMP/badtoken|" sipward.ini >bad.ini
"$SIPWARD" moved add sip:gina@example.com sip:gina@x.example -c bad.ini >out 2>&1 \
    || fail "cli with a refused token: $(cat out)"
grep -q "admin API: sip:gina@example.com" "$SW_LOG" && fail "refused token used the API"
pass "CLI falls back to the file when the token is refused"

# Durable: after a restart everything acknowledged is there.
stop_daemon
[ "$SW_EXIT" -eq 0 ] || fail "exit $SW_EXIT"
"$SIPWARD" moved list -c sipward.ini >list || fail "cli list with the daemon down"
grep -q "^sip:bob@example.com	" list && grep -q "^sip:erin@example.com	" list \
    && grep -q "^sip:gina@example.com	" list || fail "cli list (file): $(cat list)"
start_daemon --config sipward.ini
wait_listening "$SW_HTTP_PORT" tcp || fail "HTTP not listening after restart"
[ "$(req GET /moved/sip:bob@example.com)" = 200 ] || fail "moved entry lost in restart"
[ "$(req GET /users/sip:frank@example.com)" = 200 ] || fail "user lost in restart"
stop_daemon
pass "durable across a restart"
