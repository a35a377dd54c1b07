#!/bin/sh
# Logs as an operator relies on them, with --log-format json: every line is
# one JSON object; each failed verification is one line with its Call-ID,
# code and reason; a flood of failures is rate-limited, and the next line
# written says how many were dropped (logged + dropped = failures, as
# /metrics counts them); the token, a password, its HA1 and the signing key
# never reach the log; bytes that are not UTF-8 (a hostile info URL) are
# escaped, so every line stays valid JSON.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sti_common.inc"

cd "$SW_TMP" || fail "cd"
TOKEN=log-test-token-5f0e1d2c3b4a69788796a5b4
printf '%s\n' "$TOKEN" >token
chmod 600 token
SW_HTTP_PORT=$(free_port)
# One worker: the limiter is per thread, so every failure meets the same one.
start_daemon --log-format json --set server.workers=1 \
    --set "http.token_file=$SW_TMP/token" --set server.realm=example.com
wait_listening "$SW_HTTP_PORT" tcp || fail "HTTP not listening"
URL=http://127.0.0.1:$SW_HTTP_PORT
[ -f var/pki/sp.key ] || fail "no test PKI"
X5U=$URL/certs/sp.pem
A=12155551212

PASSWORD='correct-horse-battery-staple-9'
[ "$(curl -s -o body -w '%{http_code}' -X POST -H "Authorization: Bearer $TOKEN" \
    -d "{\"aor\":\"sip:alice@example.com\",\"password\":\"$PASSWORD\"}" "$URL/api/v1/users")" = 201 ] \
    || fail "user add: $(cat body)"

failed_total() {
    curl -s "$URL/metrics" | awk '/^sipward_stir_verifications_total\{outcome="failed"/ { n += $2 } END { print n + 0 }'
}
f0=$(failed_total)
# Signed for $A, sent from another number: 438 for every call.
ID=$(sign_id var/pki/sp.key "$X5U" $A 12155551213)
[ -n "$ID" ] || fail "no Identity"
SIPP_CALLS=150 SIPP_RATE=1000 invite flood 438 "Reason:" 'cause=438' "$ID" 12155559999
sleep 1.5 # the limiter refills
SIPP_CALLS=1 invite after 438 "Reason:" 'cause=438' "$ID" 12155559999
f1=$(failed_total)
[ $((f1 - f0)) -eq 151 ] || fail "metrics count $((f1 - f0)) failures, not 151"

python3 - "$SW_LOG" <<'PY' || fail "log check failed"
import json, sys
lines = [l for l in open(sys.argv[1]) if l.strip()]
objs = []
for l in lines:
    try:
        objs.append(json.loads(l))
    except ValueError:
        sys.exit("not a JSON line: " + l)
for o in objs:
    for k in ("ts", "level", "module", "msg"):
        assert k in o, "no %s in %r" % (k, o)
fails = [o for o in objs if o["msg"] == "verification failed"]
for o in fails:
    assert o["code"] == "438" and o["call_id"] and o["reason"], o
dropped = sum(int(o.get("suppressed", "0")) for o in fails)
print("logged %d, suppressed %d" % (len(fails), dropped))
assert len(fails) < 151, "no rate limit: %d lines" % len(fails)
assert dropped > 0 and "suppressed" in fails[-1], "the drop is not reported"
assert len(fails) + dropped == 151, "%d + %d != 151" % (len(fails), dropped)
PY
pass "one JSON line per failed verification, rate-limited, drops counted"

# An info URL that is not UTF-8 (it gets logged, fetch refused) still
# makes valid JSON lines.
python3 - "$SW_PORT" "$ID" >hostile.out <<'PY' || fail "hostile INVITE: $(cat hostile.out)"
import socket, sys
port, ident = int(sys.argv[1]), sys.argv[2]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
lp = s.getsockname()[1]
msg = ("INVITE sip:+12155551213@127.0.0.1:%d SIP/2.0\r\n"
       "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK-hostile\r\n"
       "Max-Forwards: 70\r\n"
       "From: <sip:+12155551212@127.0.0.1;user=phone>;tag=h1\r\n"
       "To: <sip:+12155551213@127.0.0.1;user=phone>\r\n"
       "Call-ID: hostile-1\r\nCSeq: 1 INVITE\r\n"
       "Identity: %s\r\nContent-Length: 0\r\n\r\n" % (port, lp, ident)).encode()
msg = msg.replace(b"/certs/sp.pem", b"/certs/hostile-\xff\xfe.pem")
s.sendto(msg, ("127.0.0.1", port))
s.settimeout(10)
while True:
    r = s.recv(65535)
    if not r.startswith(b"SIP/2.0 1"):
        break
print(r.split(b"\r\n")[0].decode())
PY
grep -q "^SIP/2.0 4" hostile.out || fail "hostile INVITE answered: $(cat hostile.out)"
i=0
while ! grep -q 'hostile-' "$SW_LOG" && [ $i -lt 50 ]; do
    sleep 0.1
    i=$((i + 1))
done
grep -q 'hostile-\\ufffd\\ufffd\.pem' "$SW_LOG" || fail "hostile URL not escaped: $(grep hostile- "$SW_LOG")"

python3 - "$SW_LOG" <<'PY' || fail "hostile URL check failed"
import json, sys
objs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
assert any("hostile-\ufffd\ufffd.pem" in o["msg"] + o.get("detail", "")
           for o in objs), "no escaped hostile URL"
PY
pass "bytes that are not UTF-8 are escaped: every line is JSON"

grep -q "$TOKEN" "$SW_LOG" && fail "the admin token is in the log"
grep -q "$PASSWORD" "$SW_LOG" && fail "the password is in the log"
HA1=$(printf 'alice:example.com:%s' "$PASSWORD" | md5sum | cut -d' ' -f1)
HA2=$(printf 'alice:example.com:%s' "$PASSWORD" | sha256sum | cut -d' ' -f1)
grep -q -e "$HA1" -e "$HA2" "$SW_LOG" && fail "an HA1 is in the log"
KEYLINE=$(sed -n 2p var/pki/sp.key)
[ -n "$KEYLINE" ] || fail "cannot read the key"
grep -qF "$KEYLINE" "$SW_LOG" && fail "the signing key is in the log"
stop_daemon
[ "$SW_EXIT" = 0 ] || fail "exit $SW_EXIT"
pass "no secret in the log"
