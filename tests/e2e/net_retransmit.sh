#!/bin/sh
# A retransmitted INVITE gets the identical final response without being
# processed again (RFC 3261 §17.2.1), over UDP and TCP; over UDP the final
# response is retransmitted until the ACK (Timer G) and not after it.
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
to = r1.split(b"\r\nTo: ")[1].split(b"\r\n")[0].decode()
tag = to[to.index(";tag="):]
u.sendto(invite("UDP", lp, "z9hG4bKudp1", "ACK", tag), ("127.0.0.1", port))
time.sleep(0.1)
u.settimeout(0.05)
while True:  # drain a copy that crossed the ACK
    try: u.recv(65535)
    except socket.timeout: break
u.settimeout(2.5)
try:
    extra = u.recv(65535)
    check(False, "response retransmitted after the ACK: %r" % extra[:40])
except socket.timeout:
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
[ "$req" = 2 ] || fail "INVITEs processed $req times, expected 2"
[ "$ret" = 2 ] || fail "retransmissions absorbed: $ret, expected 2"
pass "processed once each ($req requests, $ret retransmissions absorbed)"
