#!/bin/sh
# The client over TLS (sips:, ;transport=tls, --transport tls) against the
# daemon's TLS listener and a python3 TLS callee (tls_uas.py): OPTIONS and
# a call with the CA given; an untrusted certificate, a name mismatch
# (exit 3, the cause named); --tls-insecure (accepted, loudly); a sips:
# 301 to a moved user followed over TLS and recorded; a sips: request
# never redirected to a sip: URI; a ;transport=tls request redirected to a
# plain sip: URI followed over UDP; digest over TLS; a client certificate.
. "$(dirname "$0")/lib.sh"

D=$SW_TMP/pki
mkdir -p "$D"
(
    cd "$D" || exit 1
    for ca in ca rogue; do
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
            -keyout $ca.key -out $ca.pem -days 2 -subj /CN=test-$ca 2>/dev/null
    done
    for n in server client; do
        openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
            -keyout $n.key -out $n.csr -subj /CN=sipward-$n 2>/dev/null
        printf 'subjectAltName=IP:127.0.0.1,DNS:sip.test\n' >$n.ext
        openssl x509 -req -in $n.csr -CA ca.pem -CAkey ca.key \
            -CAcreateserial -out $n.pem -days 2 -extfile $n.ext 2>/dev/null
    done
) || fail "cannot make test certificates"
[ -s "$D/server.pem" ] && [ -s "$D/client.pem" ] || fail "no certificates"

BOOK=$SW_TMP/book.db
C() {
    "$SIPWARD" "$@" --timeout 10 >"$SW_TMP/out" 2>"$SW_TMP/err"
    RC=$?
    OUT=$(cat "$SW_TMP/out" "$SW_TMP/err")
}
uas_log() {
    cat "$SW_TMP/$1.log" 2>/dev/null
}
# uas NAME PORT [tls_uas.py args]: the TLS callee in the background.
uas() {
    name=$1 port=$2
    shift 2
    python3 "$SW_E2E/tls_uas.py" "$port" "$D/server.pem" "$D/server.key" \
        --log "$SW_TMP/$name.log" --seconds 120 "$@" &
    SW_BG_PIDS="$SW_BG_PIDS $!"
    wait_listening "$port" tcp || fail "TLS UAS $name not listening"
}
# wait_log NAME PATTERN [COUNT]: up to 5 s for COUNT (1) matching lines.
wait_log() {
    i=0
    while [ "$(uas_log "$1" | grep -c "$2")" -lt "${3:-1}" ] && [ $i -lt 50 ]; do
        sleep 0.1
        i=$((i + 1))
    done
    [ "$(uas_log "$1" | grep -c "$2")" -ge "${3:-1}" ]
}

# 127.0.0.2 is the same daemon under an address its certificate lacks.
SW_PORT=$(free_port)
T=$(free_port)
start_daemon --set registrar.auth=false \
    --set "sip.listen=udp:127.0.0.1:$SW_PORT,tcp:127.0.0.1:$SW_PORT,tls:127.0.0.1:$T,tls:127.0.0.2:$T" \
    --set "transport.tls_cert=$D/server.pem" --set "transport.tls_key=$D/server.key"
wait_listening "$T" tcp || fail "daemon not listening on tls"

# OPTIONS to the server over TLS, three ways of asking for it.
C options "sips:127.0.0.1:$T" --no-book --tls-ca "$D/ca.pem" -v
[ "$RC" = 0 ] || fail "options sips: exit $RC: $OUT"
echo "$OUT" | grep -q "^200 OK from sips:127.0.0.1:$T\$" || fail "options sips: $OUT"
echo "$OUT" | grep -q "^Via: SIP/2.0/TLS " || fail "Via is not TLS: $OUT"
echo "$OUT" | grep -q "^Contact: <sips:sipward@127.0.0.1:" || fail "no sips: Contact: $OUT"
echo "$OUT" | grep -q "^TLS with 127.0.0.1:$T (127.0.0.1): TLSv1.[23] .*issued by /CN=test-ca: verified\$" \
    || fail "-v does not show the verified certificate: $OUT"
C options "sip:127.0.0.1:$T;transport=tls" --no-book --tls-ca "$D/ca.pem"
[ "$RC" = 0 ] || fail "options ;transport=tls: exit $RC: $OUT"
C options "sip:127.0.0.1:$T" --transport tls --no-book --tls-ca "$D/ca.pem"
[ "$RC" = 0 ] || fail "options --transport tls: exit $RC: $OUT"
C options "sips:127.0.0.1:$T" --transport udp --no-book
[ "$RC" = 2 ] || fail "sips: over --transport udp: exit $RC: $OUT"
pass "OPTIONS over TLS (sips:, ;transport=tls, --transport tls), CA verified"

# Refusals: exit 3 with the cause in one line.
C options "sips:127.0.0.1:$T" --no-book
[ "$RC" = 3 ] || fail "untrusted (system CAs): exit $RC: $OUT"
echo "$OUT" | grep -q "cannot connect to 127.0.0.1:$T over tls: certificate not trusted (.*); give its CA with --tls-ca FILE\$" \
    || fail "untrusted: $OUT"
C options "sips:127.0.0.1:$T" --no-book --tls-ca "$D/rogue.pem"
[ "$RC" = 3 ] || fail "untrusted (other CA): exit $RC: $OUT"
echo "$OUT" | grep -q "certificate not trusted" || fail "other CA: $OUT"
C options "sips:127.0.0.2:$T" --no-book --tls-ca "$D/ca.pem"
[ "$RC" = 3 ] || fail "name mismatch: exit $RC: $OUT"
echo "$OUT" | grep -q "over tls: name mismatch: the certificate is for IP:127.0.0.1, DNS:sip.test\$" \
    || fail "name mismatch: $OUT"
[ "$(wc -l <"$SW_TMP/err")" = 1 ] || fail "the reason is not one line: $OUT"
C options "sips:127.0.0.1:$SW_PORT" --no-book --tls-ca "$D/ca.pem"
[ "$RC" = 3 ] || fail "TLS to the TCP port: exit $RC: $OUT"
echo "$OUT" | grep -q "over tls: TLS handshake" || fail "TLS to the TCP port: $OUT"
C options "sips:127.0.0.1:$T" --no-book --tls-ca "$SW_TMP/none.pem"
[ "$RC" = 2 ] || fail "missing --tls-ca file: exit $RC: $OUT"
pass "untrusted certificate, name mismatch, not TLS: exit 3 naming the cause"

C options "sips:127.0.0.2:$T" --no-book --tls-insecure -v
[ "$RC" = 0 ] || fail "--tls-insecure: exit $RC: $OUT"
echo "$OUT" | grep -q "WARNING: --tls-insecure: the certificate of 127.0.0.2:$T was NOT verified" \
    || fail "--tls-insecure is not loud: $OUT"
echo "$OUT" | grep -q "NOT VERIFIED, would have been refused: certificate not trusted" \
    || fail "-v does not say what verification found: $OUT"
pass "--tls-insecure: accepted, with a warning and the verdict it skipped"

# A moved user over TLS: sips: 301 to the TLS callee, a call followed
# there (INVITE, 180, 200, ACK, BYE over TLS) and recorded; the next
# request goes straight to the new URI.
U=$(free_port)
uas callee "$U"
(cd "$SW_TMP" && "$SIPWARD" moved add sip:alice@127.0.0.1 "sips:alice@127.0.0.1:$U" \
    && "$SIPWARD" moved add sip:dave@127.0.0.1 "sip:dave@127.0.0.1:$SW_PORT" \
    && "$SIPWARD" moved add sip:carol@127.0.0.1 "sip:127.0.0.1:$SW_PORT") \
    >/dev/null || fail "moved add"
i=0
until "$SIPWARD" options "sips:alice@127.0.0.1:$T" --no-book --tls-ca "$D/ca.pem" \
    --max-redirects 0 2>&1 | grep -q "after 1 redirects" || [ $i -ge 50 ]; do
    sleep 0.2 # the daemon picks up the moved directory
    i=$((i + 1))
done
C call "sips:alice@127.0.0.1:$T" --book "$BOOK" --tls-ca "$D/ca.pem" --duration 1 -v
[ "$RC" = 0 ] || fail "call over TLS: exit $RC: $OUT"
echo "$OUT" | grep -q "^301 Moved Permanently from sips:alice@127.0.0.1:$T: 1 new target" \
    || fail "no 301 over TLS: $OUT"
echo "$OUT" | grep -q "^200 OK from sips:alice@127.0.0.1:$U\$" || fail "call not followed: $OUT"
echo "$OUT" | grep -q "BYE answered 200 OK" || fail "no BYE answer: $OUT"
echo "$OUT" | grep -q "^< 180 Ringing" || fail "provisional not shown in -v: $OUT"
wait_log callee "got INVITE sips:alice@127.0.0.1:$U over TLS" || fail "no INVITE: $(uas_log callee)"
wait_log callee "got ACK sips:callee@127.0.0.1:$U over TLS" || fail "no ACK: $(uas_log callee)"
wait_log callee "got BYE sips:callee@127.0.0.1:$U over TLS" || fail "no BYE: $(uas_log callee)"
"$SIPWARD" book list --book "$BOOK" | grep -q "^sips:alice@127.0.0.1:$T	sips:alice@127.0.0.1:$U	" \
    || fail "301 not recorded: $("$SIPWARD" book list --book "$BOOK")"
C options "sips:alice@127.0.0.1:$T" --book "$BOOK" --tls-ca "$D/ca.pem" -v
[ "$RC" = 0 ] || fail "second request: exit $RC: $OUT"
echo "$OUT" | grep -q "^trying sips:alice@127.0.0.1:$T" && fail "the old URI was asked again: $OUT"
wait_log callee "got OPTIONS sips:alice@127.0.0.1:$U over TLS" || fail "no OPTIONS at the callee: $(uas_log callee)"
pass "sips: 301 to a moved user followed over TLS (call: INVITE/180/200/ACK/BYE), recorded, used"

C options "sips:dave@127.0.0.1:$T" --no-book --tls-ca "$D/ca.pem"
[ "$RC" = 1 ] || fail "sips: redirected to sip: exit $RC: $OUT"
echo "$OUT" | grep -q "301 Moved Permanently from sips:dave@127.0.0.1:$T redirects to sip:dave@127.0.0.1:$SW_PORT: refused, a sips: request is never redirected to a sip: URI" \
    || fail "downgrade not refused clearly: $OUT"
C options "sip:carol@127.0.0.1:$T;transport=tls" --no-book --tls-ca "$D/ca.pem" -v
[ "$RC" = 0 ] || fail ";transport=tls redirected to sip: exit $RC: $OUT"
echo "$OUT" | grep -q "^> sent to 127.0.0.1:$SW_PORT udp" || fail "not followed over UDP: $OUT"
echo "$OUT" | grep -q "^200 OK from sip:127.0.0.1:$SW_PORT\$" || fail ";transport=tls -> sip: $OUT"
pass "sips: never downgraded to sip:; a ;transport=tls request may be redirected to sip:"

# Digest over TLS, against the callee asking for credentials (and once
# saying the nonce went stale: answered again).
A=$(free_port)
uas auth "$A" --password s3cret --stale-once
printf 's3cret\n' >"$SW_TMP/pw"
C message "sips:bob@127.0.0.1:$A" --no-book --tls-ca "$D/ca.pem" --text "over tls" \
    --user bob --password-file "$SW_TMP/pw"
[ "$RC" = 0 ] || fail "digest over TLS: exit $RC: $OUT"
wait_log auth "auth valid=true" || fail "credentials refused: $(uas_log auth)"
[ "$(uas_log auth | grep -c "got MESSAGE sips:bob@127.0.0.1:$A over TLS")" = 3 ] \
    || fail "not challenged, stale, then answered: $(uas_log auth)"
uas_log auth | grep -q "auth stale sent" || fail "no stale challenge: $(uas_log auth)"
SIPWARD_PASSWORD=wrong C options "sips:bob@127.0.0.1:$A" --no-book --tls-ca "$D/ca.pem" --user bob
[ "$RC" = 1 ] || fail "wrong password over TLS: exit $RC: $OUT"
echo "$OUT" | grep -q "^403 Forbidden from sips:bob@127.0.0.1:$A\$" || fail "wrong password: $OUT"
pass "digest over TLS: 401 answered (again when stale), a wrong password is 403"

stop_daemon
[ "$SW_EXIT" = 0 ] || fail "daemon exit $SW_EXIT"

# A server that asks for a client certificate: without one the handshake
# is refused (exit 3, the server's alert named); --tls-cert/--tls-key pass.
SW_PORT=$(free_port)
T=$(free_port)
start_daemon --set "sip.listen=udp:127.0.0.1:$SW_PORT,tcp:127.0.0.1:$SW_PORT,tls:127.0.0.1:$T" \
    --set "transport.tls_cert=$D/server.pem" --set "transport.tls_key=$D/server.key" \
    --set "transport.tls_ca=$D/ca.pem" --set transport.tls_verify_client=true
wait_listening "$T" tcp || fail "daemon not listening on tls"
C options "sips:127.0.0.1:$T" --no-book --tls-ca "$D/ca.pem"
[ "$RC" = 3 ] || fail "no client certificate: exit $RC: $OUT"
echo "$OUT" | grep -q "the server asked for a client certificate (--tls-cert) and closed the connection from 127.0.0.1:$T over tls\$" \
    || fail "no client certificate: $OUT"
C options "sips:127.0.0.1:$T" --no-book --tls-ca "$D/ca.pem" \
    --tls-cert "$D/client.pem" --tls-key "$D/client.key"
[ "$RC" = 0 ] || fail "client certificate: exit $RC: $OUT"
C options "sips:127.0.0.1:$T" --no-book --tls-ca "$D/ca.pem" --tls-key "$D/client.key"
[ "$RC" = 2 ] || fail "--tls-key without --tls-cert: exit $RC: $OUT"
stop_daemon
pass "client certificate: refused without, accepted with --tls-cert/--tls-key"
