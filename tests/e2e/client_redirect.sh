#!/bin/sh
# The client (sipward options/message) against the real redirect service
# and SIPp: a moved user's 301 is followed and recorded, and the next
# request goes straight to the new address (the daemon is stopped by then,
# and the SIPp UAS there counts both requests); a 302 with several
# q-valued Contacts is tried in q order and records nothing; a redirect
# loop and --max-redirects stop with an error naming them; chains of 301
# are recorded to their end; exit codes 0/1/2/3.
. "$(dirname "$0")/lib.sh"

# uas NAME SCENARIO PORT CALLS [sipp args]: a SIPp UAS in the background.
uas() {
    name=$1 sc=$2 port=$3 calls=$4
    shift 4
    mkdir -p "$SW_TMP/$name"
    (cd "$SW_TMP/$name" && exec timeout 50 sipp -sf "$SW_E2E/sipp/$sc.xml" \
        -i 127.0.0.1 -p "$port" -m "$calls" -nostdin -trace_logs -trace_err \
        "$@" >/dev/null 2>&1) &
    SW_BG_PIDS="$SW_BG_PIDS $!"
    wait_listening "$port" udp || fail "SIPp $name not listening on $port"
}
uas_log() {
    cat "$SW_TMP/$1"/*_logs.log 2>/dev/null
}

BOOK=$SW_TMP/book.db
C() {
    "$SIPWARD" "$@" --book "$BOOK" --timeout 5 >"$SW_TMP/out" 2>"$SW_TMP/err"
    RC=$?
    OUT=$(cat "$SW_TMP/out" "$SW_TMP/err")
}

start_daemon --set registrar.auth=false
NEW=$(free_port)
uas new client_uas "$NEW" 3

# 1. A moved user: 301 followed and recorded.
(cd "$SW_TMP" && "$SIPWARD" moved add sip:alice@127.0.0.1 "sip:alice@127.0.0.1:$NEW") \
    >/dev/null || fail "moved add"
sleep 1.2
C options "sip:alice@127.0.0.1:$SW_PORT"
[ "$RC" = 0 ] || fail "options alice: exit $RC: $OUT"
echo "$OUT" | grep -q "^200 OK from sip:alice@127.0.0.1:$NEW\$" || fail "no 200 from the new URI: $OUT"
"$SIPWARD" book list --book "$BOOK" | grep -q "^sip:alice@127.0.0.1:$SW_PORT	sip:alice@127.0.0.1:$NEW	" \
    || fail "301 not recorded: $("$SIPWARD" book list --book "$BOOK")"
pass "301 followed to the new URI and recorded in the address book"

# Chains: c1 -> c2 -> c3 -> the UAS, each a 301 (recorded to the end);
# a loop a -> b -> a; then the daemon stops.
for m in "c1 sip:c2@127.0.0.1:$SW_PORT" "c2 sip:c3@127.0.0.1:$SW_PORT" \
    "c3 sip:carl@127.0.0.1:$NEW" "la sip:lb@127.0.0.1:$SW_PORT" \
    "lb sip:la@127.0.0.1:$SW_PORT"; do
    set -- $m
    (cd "$SW_TMP" && "$SIPWARD" moved add "sip:$1@127.0.0.1" "$2") >/dev/null \
        || fail "moved add $1"
done
sleep 1.2
C options "sip:c1@127.0.0.1:$SW_PORT" --max-redirects 2
[ "$RC" = 1 ] || fail "--max-redirects 2 on a chain of 3: exit $RC: $OUT"
echo "$OUT" | grep -q "stopped after 3 redirects (--max-redirects 2)" || fail "limit not named: $OUT"
pass "--max-redirects stops the chain with an error naming the limit"

C options "sip:la@127.0.0.1:$SW_PORT" --no-book
[ "$RC" = 1 ] || fail "redirect loop: exit $RC: $OUT"
echo "$OUT" | grep -q "redirect loop: sip:la@127.0.0.1:$SW_PORT -> sip:lb@127.0.0.1:$SW_PORT -> sip:la@127.0.0.1:$SW_PORT" \
    || fail "loop not named: $OUT"
pass "redirect loop a -> b -> a stopped with an error naming it"

C message "sip:c1@127.0.0.1:$SW_PORT" --text "hello carl"
[ "$RC" = 0 ] || fail "chain of 301: exit $RC: $OUT"
echo "$OUT" | grep -q "^200 OK from sip:carl@127.0.0.1:$NEW\$" || fail "chain not followed: $OUT"
LIST=$("$SIPWARD" book list --book "$BOOK")
for e in "c1@127.0.0.1:$SW_PORT	sip:c2" "c2@127.0.0.1:$SW_PORT	sip:c3" \
    "c3@127.0.0.1:$SW_PORT	sip:carl@127.0.0.1:$NEW"; do
    echo "$LIST" | grep -q "^sip:$e" || fail "chain entry $e not recorded: $LIST"
done
pass "a chain of 301s is followed and every hop recorded"

# 2. The next requests go straight to the new URIs: the daemon is gone.
stop_daemon
C options "sip:alice@127.0.0.1:$SW_PORT"
[ "$RC" = 0 ] || fail "second options alice (daemon stopped): exit $RC: $OUT"
echo "$OUT" | grep -q "^200 OK from sip:alice@127.0.0.1:$NEW\$" || fail "second: $OUT"
i=0
while [ "$(uas_log new | grep -c "got OPTIONS sip:alice@127.0.0.1:$NEW")" -lt 2 ] && [ $i -lt 20 ]; do
    sleep 0.1
    i=$((i + 1))
done
[ "$(uas_log new | grep -c "got OPTIONS sip:alice@127.0.0.1:$NEW")" = 2 ] \
    || fail "the UAS at the new URI did not get both OPTIONS: $(uas_log new)"
uas_log new | grep -q "got MESSAGE sip:carl@127.0.0.1:$NEW" || fail "no MESSAGE at the UAS: $(uas_log new)"
pass "the second request went straight to the new URI (the UAS counted both)"

# 3. 302 with three q-valued Contacts: q=0.9 (nothing listens: refused)
# then q=0.5 (answers 200); q=0.2 never tried; nothing recorded.
R=$(free_port) PA=$(free_port) PB=$(free_port) PC=$(free_port)
uas redir client_302 "$R" 1 -key pa "$PA" -key pb "$PB" -key pc "$PC"
uas pc client_uas "$PC" 1
C options "sip:carol@127.0.0.1:$R" -v
[ "$RC" = 0 ] || fail "302: exit $RC: $OUT"
echo "$OUT" | grep "^trying" | tr '\n' ' ' | grep -q "^trying sip:carol@127.0.0.1:$R trying sip:carol@127.0.0.1:$PB trying sip:carol@127.0.0.1:$PC \$" \
    || fail "302 targets not tried in q order: $(echo "$OUT" | grep '^trying')"
echo "$OUT" | grep -q "^200 OK from sip:carol@127.0.0.1:$PC\$" || fail "302: $OUT"
"$SIPWARD" book list --book "$BOOK" | grep -q carol && fail "302 was recorded"
pass "302: Contacts tried in q order (0.9 refused, 0.5 answered), nothing recorded"

# 4. Book editing.
"$SIPWARD" book remove "sip:alice@127.0.0.1:$SW_PORT" --book "$BOOK" || fail "book remove"
"$SIPWARD" book list --book "$BOOK" | grep -q alice && fail "alice still in the book"
"$SIPWARD" book remove "sip:alice@127.0.0.1:$SW_PORT" --book "$BOOK" 2>/dev/null && fail "remove twice succeeded"
"$SIPWARD" book clear --book "$BOOK" | grep -q "removed 3 entries" || fail "book clear"
[ -z "$("$SIPWARD" book list --book "$BOOK")" ] || fail "book not empty after clear"
pass "book list / remove / clear"

# 5. Exit codes: network failure 3 (refused, and silence with --timeout),
# usage 2.
DEAD=$(free_port)
C options "sip:x@127.0.0.1:$DEAD"
[ "$RC" = 3 ] || fail "refused: exit $RC: $OUT"
python3 -c 'import socket,sys,time; s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.bind(("127.0.0.1",int(sys.argv[1]))); time.sleep(6)' "$DEAD" &
SILENT=$!
SW_BG_PIDS="$SW_BG_PIDS $SILENT"
wait_listening "$DEAD" udp || fail "silent socket"
"$SIPWARD" options "sip:x@127.0.0.1:$DEAD" --no-book --timeout 1 >/dev/null 2>"$SW_TMP/err"
RC=$?
[ "$RC" = 3 ] || fail "silence: exit $RC"
grep -q "no answer" "$SW_TMP/err" || fail "silence: $(cat "$SW_TMP/err")"
kill "$SILENT" 2>/dev/null
C options "http://example.com/"
[ "$RC" = 2 ] || fail "bad URI: exit $RC"
C message "sip:x@127.0.0.1:$DEAD"
[ "$RC" = 2 ] || fail "message without --text: exit $RC"
pass "exit codes: 3 refused, 3 timeout, 2 usage"
