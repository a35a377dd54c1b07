#!/bin/sh
# A retransmitted INVITE gets the identical final response without being
# processed again (RFC 3261 §17.2.1), over UDP and TCP; over UDP the final
# response is retransmitted until the ACK (Timer G) and not after it, whatever
# the ACK's shape.
. "$(dirname "$0")/lib.sh"

start_daemon
python3 - "$SW_PORT" <<'PY' || fail "retransmission behaviour"
import socket, sys, time
port = int(sys.argv[1])

def invite(proto, lport, branch, method="INVITE", to=""):
    return (f"{method} sip:bob@127.0.0.1:{port} SIP/2.0\r\n"
            f"Via: SIP/2.0/{proto} 127.0.0.1:{lport};branch={branch};rport\r\n"
            f"Max-Forwards: 0\r\nFrom: <sip:alice@127.0.0.1>;tag=a1\r\n"
            f"To: <sip:bob@127.0.0.1>{to}\r\nCall-ID: {branch}@test\r\n"
            f"CSeq: 1 {method}\r\nContent-Length: 0\r\n\r\n").encode()

def check(cond, what):
    if not cond:
        print("FAIL:", what); sys.exit(1)

# UDP
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.bind(("127.0.0.1", 0)); u.settimeout(2)
lp = u.getsockname()[1]
u.sendto(invite("UDP", lp, "z9hG4bKudp1"), ("127.0.0.1", port))
r1 = u.recv(65535)
check(r1.startswith(b"SIP/2.0 483 "), "UDP INVITE answered 483: %r" % r1[:40])
u.sendto(invite("UDP", lp, "z9hG4bKudp1"), ("127.0.0.1", port))
r2 = u.recv(65535)
check(r1 == r2, "retransmitted INVITE gets the identical response over UDP")
# No ACK yet: Timer G sends the response again after T1 (500 ms).
t0 = time.monotonic()
r3 = u.recv(65535)
check(r3 == r1 and time.monotonic() - t0 < 1.5, "Timer G retransmission")
def to_tag(resp):
    to = resp.split(b"\r\nTo: ")[1].split(b"\r\n")[0].decode()
    return to[to.index(";tag="):]

# The ACK ends the transaction whatever its shape: the usual one (read from
# its Via alone), a folded Via and a compact one (both fully parsed). An ACK
# with another branch belongs to no transaction and changes nothing.
def ack(lp, branch, tag, shape):
    a = invite("UDP", lp, branch, "ACK", tag)
    if shape == "folded":
        a = a.replace(b"Via: SIP/2.0/UDP ", b"Via: SIP/2.0/UDP\r\n  ")
    elif shape == "compact":
        a = a.replace(b"\r\nVia: ", b"\r\nv : ")
    return a

socks = [(u, lp, "z9hG4bKudp1", r1, "usual")]
for branch, shape in (("z9hG4bKudp2", "folded"), ("z9hG4bKudp3", "compact")):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0)); s.settimeout(2)
    slp = s.getsockname()[1]
    s.sendto(invite("UDP", slp, branch), ("127.0.0.1", port))
    r = s.recv(65535)
    check(r.startswith(b"SIP/2.0 483 "), "UDP INVITE answered 483: %r" % r[:40])
    socks.append((s, slp, branch, r, shape))
u.sendto(ack(lp, "z9hG4bKother", to_tag(r1), "usual"), ("127.0.0.1", port))
u.settimeout(5)  # Timer G doubles up to T2 (4 s)
r4 = u.recv(65535)
check(r4 == r1, "an ACK with another branch leaves Timer G running")
for s, slp, branch, r, shape in socks:
    s.sendto(ack(slp, branch, to_tag(r), shape), ("127.0.0.1", port))
# Drain copies that crossed the ACKs, then wait out more than T2 (4 s):
# a transaction still alive would send again within it.
time.sleep(0.5)
for s, slp, branch, r, shape in socks:
    s.settimeout(0.3)
    while True:
        try: s.recv(65535)
        except socket.timeout: break
time.sleep(4.5)
for s, slp, branch, r, shape in socks:
    s.setblocking(False)
    try:
        extra = s.recv(65535)
        check(False, "response retransmitted after the %s ACK: %r" % (shape, extra[:40]))
    except BlockingIOError:
        pass

# TCP: same identity, no Timer G.
t = socket.create_connection(("127.0.0.1", port)); t.settimeout(2)
lp = t.getsockname()[1]
t.sendall(invite("TCP", lp, "z9hG4bKtcp1"))
r1 = t.recv(65535)
t.sendall(invite("TCP", lp, "z9hG4bKtcp1"))
r2 = t.recv(65535)
check(r1.startswith(b"SIP/2.0 483 ") and r1 == r2,
      "retransmitted INVITE gets the identical response over TCP")
print("ok")
PY
pass "identical responses, Timer G until ACK"

stop_daemon
# Each INVITE was processed once; the copies were absorbed.
req=$(grep -o 'requests=[0-9]*' "$SW_LOG" | awk -F= '{s+=$2} END {print s+0}')
ret=$(grep -o 'retransmissions=[0-9]*' "$SW_LOG" | awk -F= '{s+=$2} END {print s+0}')
[ "$req" = 4 ] || fail "INVITEs processed $req times, expected 4"
[ "$ret" = 2 ] || fail "retransmissions absorbed: $ret, expected 2"
pass "processed once each ($req requests, $ret retransmissions absorbed)"
acks=$(grep -o ' acks=[0-9]*' "$SW_LOG" | awk -F= '{s+=$2} END {print s+0}')
[ "$acks" = 3 ] || fail "ACKs that ended a transaction: $acks, expected 3"
pass "each ACK shape ended its transaction, the stray one none"
