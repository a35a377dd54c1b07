#!/bin/sh
# STI-VS and STI-AS inline (stir.vs_mode / stir.as_mode = proxy): sipward
# is a transaction-stateful proxy (RFC 3261 §16) in front of a SIPp callee
# (the next hop) that checks what it receives. A valid PASSporT reaches the
# callee with verstat=TN-Validation-Passed on the identity, our Via on top
# and Max-Forwards decremented, and the caller gets the callee's 180/200,
# then ACK and BYE go through (UDP, and TCP with Record-Route); the
# callee's 2xx retransmissions are relayed too. Tampered:
# 438 with a Reason and nothing reaches the callee (policy reject), or the
# callee gets TN-Validation-Failed and the Reason (policy mark). A
# certificate fetched first (deferred verification) still ends forwarded.
# CANCEL is answered 200 and relayed: the callee gets it, the caller 487.
# With Record-Route the callee's own BYE goes to the caller. A next hop
# that never answers earns 408. STI-AS inline: the callee gets an INVITE
# with Identity and Date that `sipward verify` validates. An IPv6 next hop
# gets an INVITE without Identity as is (no_identity=pass).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sti_common.inc"

UAS_PID=""
inline_cleanup() {
    [ -n "$UAS_PID" ] && kill "$UAS_PID" 2>/dev/null
    sti_cleanup
}
trap inline_cleanup EXIT
UAS_PORT=$(free_port)

# xml_re RE: RE as an XML attribute value, escaped for sed's replacement.
xml_re() {
    printf '%s' "$1" | sed 's/&/\&amp;/g; s/</\&lt;/g; s/>/\&gt;/g' \
        | sed 's/[&|\\]/\\&/g'
}
# uas NAME SCENARIO TRANSPORT HDR RE [HDR2 RE2]: one SIPp callee call on
# $UAS_PORT in the background, checking that HDR of the INVITE matches RE.
uas() {
    name=$1 sc=$2 t=$3 hdr=$4 re=$(xml_re "$5") hdr2=${6:-Via:}
    re2=$(xml_re "${7:-.}")
    mkdir -p "$SW_TMP/$name"
    sed -e "s|@HDR@|$hdr|" -e "s|@RE@|$re|" -e "s|@HDR2@|$hdr2|" \
        -e "s|@RE2@|$re2|" "$SW_E2E/sipp/$sc.xml" >"$SW_TMP/$name/uas.xml"
    (cd "$SW_TMP/$name" && exec timeout 60 sipp -sf uas.xml -i "${UAS_IP:-127.0.0.1}" \
        -p "$UAS_PORT" -t "$t" -m 1 -nostdin -timeout 40s -timeout_error \
        -trace_logs -trace_err -trace_msg >/dev/null 2>&1) &
    UAS_PID=$!
    wait_listening "$UAS_PORT" "$( [ "$t" = t1 ] && echo tcp || echo udp)" \
        || fail "$name: SIPp callee not listening"
}
# uas_done NAME: the callee's call passed.
uas_done() {
    wait "$UAS_PID"
    rc=$?
    UAS_PID=""
    [ "$rc" = 0 ] || {
        cat "$SW_TMP/$1"/*_errors.log >&2 2>/dev/null
        fail "$1: the callee's call failed (SIPp exit $rc)"
    }
}
uas_log() {
    cat "$SW_TMP/$1"/*_logs.log 2>/dev/null
}
# call NAME SCENARIO TRANSPORT IDENTITY FROM: the caller's side, must pass.
call() {
    name=$1 sc=$2 t=$3 id=$4 from=$5
    if [ "$id" = "-" ]; then
        idline="Subject: no Identity" id=none
    else
        idline="Identity: [identity]"
    fi
    sed -e "s|@IDENTITY@|$idline|" "$SW_E2E/sipp/$sc.xml" \
        >"$SW_TMP/$name.xml"
    (cd "$SW_TMP" && timeout 60 sipp "127.0.0.1:$SW_PORT" -sf "$name.xml" \
        -t "$t" -i 127.0.0.1 -p "$(free_port)" -m 1 -nostdin -timeout 40s \
        -timeout_error -trace_err -key identity "$id" -key from "$from" \
        -key to 12155551213 -error_file "$SW_TMP/$name.err" \
        >"$SW_TMP/$name.out" 2>&1) || {
        cat "$SW_TMP/$name.err" >&2 2>/dev/null
        fail "$name: the caller's call failed"
    }
}

# stop_prev: stops the running daemon (exit 0) and picks a new port.
stop_prev() {
    if [ -n "$SW_PID" ]; then
        stop_daemon
        [ "$SW_EXIT" = 0 ] || fail "daemon exit $SW_EXIT"
        rm -f "$SW_LOG"
        SW_PORT=$(free_port)
    fi
}
# inline_daemon ARGS: (re)starts the daemon trusting our PKI, with ARGS.
inline_daemon() {
    stop_prev
    start_daemon --set "stir.trust=$P/trust" --set stir.http_hosts=127.0.0.1 \
        --set stir.private_hosts=127.0.0.1 "$@"
}

make_pki
start_certs
A=12155551212
sid() {
    sign_id "$P/sp.key" "$X5U/sp.pem" $A 12155551213 "$@"
}

# ---- STI-VS inline, policy reject, next hop over UDP ----
inline_daemon --set stir.vs_mode=proxy \
    --set "stir.next_hop=udp:127.0.0.1:$UAS_PORT"

uas vs_valid sti_uas u1 "From:" "verstat=TN-Validation-Passed" \
    "Max-Forwards:" "^ *69$"
# tampered first: rejected here, so the callee (expecting one valid call)
# would fail if it reached it
invite tampered 438 "Reason:" 'cause=438;text=.*orig' "$(sid)" 12155559999
# the first valid call waits for the certificate fetch (deferred)
call vs_valid sti_call u1 "$(sid)" $A
uas_done vs_valid
grep -q "GET /sp.pem" "$SW_TMP/http.log" || fail "certificate not fetched"
[ "$(uas_log vs_valid | grep -c '^got INVITE')" = 1 ] \
    || fail "callee got $(uas_log vs_valid | grep -c '^got INVITE') INVITEs: $(uas_log vs_valid)"
uas_log vs_valid | grep -q "^got ACK" || fail "no ACK at the callee"
uas_log vs_valid | grep -q "^got BYE" || fail "no BYE at the callee"
grep -A30 "INVITE sip" "$SW_TMP"/vs_valid/*_messages.log \
    | grep -q "^Via: SIP/2.0/UDP 127.0.0.1:[0-9]*;branch=z9hG4bK" \
    || fail "no Via of ours on top: $(cat "$SW_TMP"/vs_valid/*_messages.log)"
pass "VS inline: passed -> callee got verstat=TN-Validation-Passed, our Via, Max-Forwards 69; 200, ACK, BYE relayed; tampered -> 438, nothing forwarded"

# The callee retransmits its 200 until the ACK (§13.3.1.4): a caller that
# holds its ACK back gets the retransmissions relayed too (RFC 6026).
uas rexmit sti_uas u1 "From:" "verstat=TN-Validation-Passed"
python3 - "$SW_PORT" "$(sid)" $A <<'PY' || fail "2xx retransmission not relayed"
import socket, sys, time
port, ident, orig = int(sys.argv[1]), sys.argv[2], sys.argv[3]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
me = s.getsockname()[1]
def req(method, cseq, to, branch):
    return (f"{method} sip:+12155551213@127.0.0.1:{port} SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP 127.0.0.1:{me};branch=z9hG4bK{branch};rport\r\n"
            "Max-Forwards: 70\r\n"
            f"From: <sip:+{orig}@127.0.0.1;user=phone>;tag=rx1\r\n"
            f"To: {to}\r\nCall-ID: rexmit-{me}\r\nCSeq: {cseq} {method}\r\n"
            f"Contact: <sip:caller@127.0.0.1:{me}>\r\n"
            + (f"Identity: {ident}\r\n" if method == "INVITE" else "")
            + "Content-Length: 0\r\n\r\n").encode()
to = "<sip:+12155551213@127.0.0.1;user=phone>"
s.sendto(req("INVITE", "1", to, "rx-inv"), ("127.0.0.1", port))
oks, end = 0, time.time() + 20
s.settimeout(1)
while oks < 2 and time.time() < end:
    try:
        data = s.recv(65535).decode()
    except socket.timeout:
        continue
    if data.startswith("SIP/2.0 200") and "INVITE\r\n" in data:
        oks += 1
        to = [l[3:].strip() for l in data.split("\r\n") if l.startswith("To:")][0]
if oks < 2:
    sys.exit(f"got {oks} 200 OK for the INVITE")
s.sendto(req("ACK", "1", to, "rx-ack"), ("127.0.0.1", port))
s.sendto(req("BYE", "2", to, "rx-bye"), ("127.0.0.1", port))
while time.time() < end:
    try:
        data = s.recv(65535).decode()
    except socket.timeout:
        continue
    if data.startswith("SIP/2.0 200") and "BYE\r\n" in data:
        sys.exit(0)
sys.exit("no 200 for the BYE")
PY
uas_done rexmit
pass "2xx retransmissions from the callee relayed to the caller"

# CANCEL while it rings: 200 here, CANCEL relayed, the callee's 487 back,
# and the callee gets our hop-by-hop ACK for it.
uas cancel sti_uas_cancel u1 "From:" "verstat=TN-Validation-Passed"
call cancel sti_cancel u1 "$(sid)" $A
uas_done cancel
uas_log cancel | grep -q "^got CANCEL" || fail "no CANCEL at the callee"
uas_log cancel | grep -q "^got ACK" || fail "no ACK for the 487 at the callee"
pass "CANCEL: 200, relayed to the callee, its 487 back to the caller, ACK hop by hop"

# ---- policy mark (and no_identity mark) ----
inline_daemon --set stir.vs_mode=proxy \
    --set stir.policy=mark --set stir.no_identity=mark \
    --set stir.record_route=true \
    --set "stir.next_hop=udp:127.0.0.1:$UAS_PORT"
uas mark sti_uas u1 "From:" "verstat=TN-Validation-Failed" \
    "Reason:" "cause=438;text=.*orig"
call mark sti_call u1 "$(sid)" 12155550001
uas_done mark
pass "policy mark: the callee got verstat=TN-Validation-Failed and the Reason"
uas noid sti_uas u1 "From:" "verstat=No-TN-Validation"
call noid sti_call u1 - $A
uas_done noid
pass "no Identity, no_identity=mark: the callee got verstat=No-TN-Validation"
# the callee hangs up: its BYE (to our Record-Route) goes to the caller
uas callee_bye sti_uas_bye u1 "From:" "verstat=TN-Validation-Passed" \
    "Record-Route:" "^ *<sip:127.0.0.1:$SW_PORT;lr>"
call callee_bye sti_call_bye u1 "$(sid)" $A
uas_done callee_bye
uas_log callee_bye | grep -q "^got 200 for BYE" || fail "callee: no 200 for its BYE"
pass "Record-Route: the callee's BYE is relayed to the caller, its 200 back"

# ---- TCP both ways, Record-Route; then the next hop gone: 408 ----
inline_daemon --set stir.vs_mode=proxy \
    --set stir.record_route=true --set txn.t1_ms=100 \
    --set "stir.next_hop=tcp:127.0.0.1:$UAS_PORT"
uas tcp sti_uas t1 "From:" "verstat=TN-Validation-Passed" \
    "Record-Route:" "^ *<sip:127.0.0.1:$SW_PORT;transport=tcp;lr>"
call tcp sti_call t1 "$(sid)" $A
uas_done tcp
uas_log tcp | grep -q "^got BYE" || fail "TCP: no BYE at the callee"
grep -A12 "BYE sip" "$SW_TMP"/tcp/*_messages.log | grep -q "^Route:.*$SW_PORT" \
    && fail "TCP: the Route naming sipward was not removed"
pass "TCP: passed with Record-Route, 200, ACK and BYE (our Route removed) relayed"
# nobody at the next hop any more: Timer B (64*T1) answers 408
SIPP_RECV_TIMEOUT=20000 invite next_hop_down 408 "Via:" "." "$(sid)" $A
M=$(curl -s "http://127.0.0.1:$SW_HTTP_PORT/metrics")
# INVITE and BYE forwarded (the ACK is stateless), then the timed-out one
echo "$M" | grep -q '^sipward_proxy_requests_total{result="forwarded"} 3$' \
    && echo "$M" | grep -q '^sipward_proxy_requests_total{result="timeout"} 1$' \
    || fail "proxy metrics: $(echo "$M" | grep proxy)"
pass "metrics: 3 forwarded, 1 timed out"

# ---- STI-AS inline: the callee gets a signed INVITE ----
inline_daemon --set stir.sign_from=127.0.0.1 \
    --set "stir.key=$P/sp.key" --set "stir.cert=$P/sp-chain.pem" \
    --set "stir.x5u=$X5U/sp.pem" --set stir.as_mode=proxy \
    --set "stir.next_hop=udp:127.0.0.1:$UAS_PORT"
uas as sti_uas u1 "Identity:" "info=<$X5U/sp.pem>;alg=ES256;ppt=shaken" \
    "Date:" "GMT$"
call as sti_call u1 - $A
uas_done as
python3 - "$SW_TMP"/as/*_messages.log "$SW_TMP/signed.sip" <<'PY'
import sys
log = open(sys.argv[1], encoding="latin-1").read()
inv = log[log.index("INVITE sip:"):]
inv = inv[:inv.index("\n\n") + 2]
open(sys.argv[2], "w").write(inv.replace("\n", "\r\n"))
PY
"$SIPWARD" verify --trust "$P/trust" --cert "$P/sp-chain.pem" \
    "$SW_TMP/signed.sip" >"$SW_TMP/verify.out" 2>&1 \
    || fail "the signed INVITE does not verify: $(cat "$SW_TMP/verify.out")"
pass "AS inline: the callee got Identity and Date, and sipward verify passes it"

# ---- IPv6 next hop (in brackets), no_identity=pass: forwarded as is ----
if python3 -c 'import socket; s=socket.socket(socket.AF_INET6); s.bind(("::1",0))' \
    2>/dev/null; then
    V6_PORT=$(free_port)
    stop_prev
    inline_daemon --set stir.vs_mode=proxy \
        --set "sip.listen=udp:127.0.0.1:$SW_PORT,tcp:127.0.0.1:$SW_PORT,udp:[::1]:$V6_PORT" \
        --set "stir.next_hop=udp:[::1]:$UAS_PORT"
    UAS_IP=::1 uas v6 sti_uas u1 "From:" "user=phone>;tag=" \
        "Via:" "^ *SIP/2.0/UDP \[::1\]:[0-9]+;branch=z9hG4bKsw"
    call v6 sti_call u1 - $A
    uas_done v6
    pass "IPv6 next hop: an INVITE without Identity forwarded as is, 200, ACK, BYE"
else
    echo "skip: no IPv6 loopback"
fi
stop_daemon
[ "$SW_EXIT" = 0 ] || fail "daemon exit $SW_EXIT"
pass "sti_inline"
