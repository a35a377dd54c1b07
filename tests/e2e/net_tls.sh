#!/bin/sh
# SIP over TLS (RFC 3261 §26.2): certificate and key from the config, TLS
# 1.2 or later, and optional client-certificate verification. SIPp's Debian
# build has no TLS, so python3's ssl module is the client.
. "$(dirname "$0")/lib.sh"

D=$SW_TMP/pki
mkdir -p "$D"
(
    cd "$D" || exit 1
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -keyout ca.key -out ca.pem -days 2 -subj /CN=test-ca 2>/dev/null
    for n in server client; do
        openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
            -keyout $n.key -out $n.csr -subj /CN=127.0.0.1 2>/dev/null
        printf 'subjectAltName=IP:127.0.0.1\n' >$n.ext
        openssl x509 -req -in $n.csr -CA ca.pem -CAkey ca.key \
            -CAcreateserial -out $n.pem -days 2 -extfile $n.ext 2>/dev/null
    done
    # A client certificate from a CA the server does not trust.
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -keyout rogue.key -out rogue.pem -days 2 -subj /CN=rogue 2>/dev/null
) || fail "cannot make test certificates"

# A tls listener without a certificate is a configuration error.
"$SIPWARD" serve --set "sip.listen=tls:127.0.0.1:$(free_port)" \
    --set "store.path=$SW_TMP/x.db" 2>"$SW_TMP/err"
[ $? -eq 2 ] || fail "tls listener without certificate accepted"
grep -q "tls_cert" "$SW_TMP/err" || fail "error does not name transport.tls_cert"
pass "tls without certificate refused"

client() { # port [client-cert-name]
    python3 - "$1" "$D" "${2:-}" <<'PY'
import socket, ssl, sys
port, d, cert = int(sys.argv[1]), sys.argv[2], sys.argv[3]
ctx = ssl.create_default_context(cafile=d + "/ca.pem")
if cert:
    ctx.load_cert_chain(d + "/" + cert + ".pem", d + "/" + cert + ".key")
try:
    # A generous timeout: a handshake with the ASan daemon on a loaded
    # machine can take seconds.
    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=30),
                        server_hostname="127.0.0.1")
    lp = s.getsockname()[1]
    s.sendall((f"OPTIONS sip:127.0.0.1:{port};transport=tls SIP/2.0\r\n"
               f"Via: SIP/2.0/TLS 127.0.0.1:{lp};branch=z9hG4bKtls1\r\n"
               f"Max-Forwards: 70\r\nFrom: <sips:a@127.0.0.1>;tag=1\r\n"
               f"To: <sips:127.0.0.1>\r\nCall-ID: tls1@t\r\nCSeq: 1 OPTIONS\r\n"
               f"Content-Length: 0\r\n\r\n").encode())
    r = s.recv(65535)
    if not r.startswith(b"SIP/2.0 200 OK"):
        print("bad answer", r[:60]); sys.exit(1)
    if s.version() not in ("TLSv1.2", "TLSv1.3"):
        print("version", s.version()); sys.exit(1)
    print(s.version())
except (ssl.SSLError, OSError) as e:
    print("refused:", e); sys.exit(3)
PY
}

SW_PORT=$(free_port)
TLS_PORT=$(free_port)
start_daemon --set "sip.listen=udp:127.0.0.1:$SW_PORT,tcp:127.0.0.1:$SW_PORT,tls:127.0.0.1:$TLS_PORT" \
    --set "transport.tls_cert=$D/server.pem" --set "transport.tls_key=$D/server.key" \
    --set transport.tcp_header_ms=30000
wait_listening "$TLS_PORT" tcp || fail "not listening on tls"
client "$TLS_PORT" >"$SW_TMP/c1" || { cat "$SW_TMP/c1"; fail "OPTIONS over TLS"; }
pass "OPTIONS over TLS ($(cat "$SW_TMP/c1"))"
stop_clean

# With client verification: no certificate or an untrusted one is refused.
SW_PORT=$(free_port)
TLS_PORT=$(free_port)
start_daemon --set "sip.listen=udp:127.0.0.1:$SW_PORT,tcp:127.0.0.1:$SW_PORT,tls:127.0.0.1:$TLS_PORT" \
    --set "transport.tls_cert=$D/server.pem" --set "transport.tls_key=$D/server.key" \
    --set "transport.tls_ca=$D/ca.pem" --set transport.tls_verify_client=true \
    --set transport.tcp_header_ms=30000
wait_listening "$TLS_PORT" tcp || fail "not listening on tls"
client "$TLS_PORT" client >"$SW_TMP/c2" || { cat "$SW_TMP/c2"; fail "trusted client certificate"; }
pass "client certificate accepted"
client "$TLS_PORT" >"$SW_TMP/c3"
[ $? -eq 3 ] || { cat "$SW_TMP/c3"; fail "client without certificate not refused"; }
client "$TLS_PORT" rogue >"$SW_TMP/c4"
[ $? -eq 3 ] || { cat "$SW_TMP/c4"; fail "untrusted client certificate not refused"; }
pass "missing and untrusted client certificates refused"
stop_clean
