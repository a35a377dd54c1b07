#!/bin/sh
# TCP defences: a slow sender is cut off when its message is not complete in
# transport.tcp_header_ms and its slot freed; a connection flood beyond
# transport.tcp_max_conns is refused while the existing connections keep
# working; CRLF keep-alive pings get a pong (RFC 5626 §3.5.1); several
# messages in one segment and one message over many segments both work;
# idle connections are closed.
. "$(dirname "$0")/lib.sh"

# Times long enough that a loaded machine does not trip them by accident;
# the waits below are deadlines, the counters say which rule cut.
start_daemon --set server.workers=1 --set transport.tcp_max_conns=8 \
    --set transport.tcp_header_ms=3000 --set transport.tcp_idle_ms=10000
python3 - "$SW_PORT" <<'PY' || fail "tcp limits"
import socket, sys, time
port = int(sys.argv[1])

def check(cond, what):
    if not cond:
        print("FAIL:", what); sys.exit(1)

n = 0
def options(lp):
    global n
    n += 1
    return (f"OPTIONS sip:127.0.0.1:{port} SIP/2.0\r\n"
            f"Via: SIP/2.0/TCP 127.0.0.1:{lp};branch=z9hG4bKt{n}\r\n"
            f"Max-Forwards: 70\r\nFrom: <sip:a@127.0.0.1>;tag=1\r\n"
            f"To: <sip:127.0.0.1>\r\nCall-ID: c{n}@t\r\nCSeq: 1 OPTIONS\r\n"
            f"Content-Length: 0\r\n\r\n").encode()

def conn():
    s = socket.create_connection(("127.0.0.1", port)); s.settimeout(20)
    return s

def ask(s, msgs=1):
    data = b"".join(options(s.getsockname()[1]) for _ in range(msgs))
    s.sendall(data)
    got = b""
    while got.count(b"SIP/2.0 200 OK") < msgs:
        chunk = s.recv(65535)
        if not chunk:
            return False
        got += chunk
    return True

def closed_by_server(s, within):
    s.settimeout(within)
    try:
        return s.recv(1) == b""
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False

# Several messages in one segment, and one message byte by byte.
a = conn()
check(ask(a, 3), "three pipelined OPTIONS answered")
msg = options(a.getsockname()[1])
for i in range(len(msg)):
    a.send(msg[i:i+1])
check(a.recv(65535).startswith(b"SIP/2.0 200"), "message sent byte by byte")
# Keep-alive: CRLFCRLF ping, CRLF pong.
a.sendall(b"\r\n\r\n")
check(a.recv(16) == b"\r\n", "CRLF pong")

# Slow sender: trickles a header and never finishes it.
slow = conn()
slow.sendall(b"OPTIONS sip:127.0.0.1 SIP/2.0\r\nVia: ")
deadline = time.monotonic() + 60
cut = False
while not cut and time.monotonic() < deadline:
    try:
        slow.send(b"x")
    except OSError:
        cut = True; break
    cut = closed_by_server(slow, 0.2)
check(cut, "slow sender disconnected (tcp_slow counts it below)")
check(ask(a), "other connection unaffected by the slow one")

# Flood: 8 allowed (a is one), the rest refused; the 8 keep working.
keep = [a] + [conn() for _ in range(7)]
for s in keep:
    check(ask(s), "connection within the limit works")
extra = [conn() for _ in range(20)]
refused = sum(1 for s in extra if closed_by_server(s, 10.0))
check(refused == 20, "connections beyond the limit refused (%d/20)" % refused)
for s in keep:
    check(ask(s), "existing connections keep working during the flood")
for s in extra:
    s.close()

# Idle: a connection with no traffic is closed after tcp_idle_ms.
idle = keep[1]
check(closed_by_server(idle, 60.0), "idle connection closed")
print("ok")
PY
pass "slow sender cut, flood refused, keep-alive, idle timeout"
stop_clean
grep -q 'tcp_refused=20' "$SW_LOG" || fail "refusals not counted"
grep -q 'tcp_slow=1' "$SW_LOG" || fail "slow sender not counted"
pass "counters"

# RFC 3261 §18.2.2: when the request's connection is gone, the response goes
# on a new connection to the source address at the Via sent-by port. Here:
# an INVITE answered 483 (its transaction waits for the ACK), its
# connection closed, the INVITE retransmitted on another connection: the
# 483 comes back on a connection the server opens to the sent-by port.
SW_PORT=$(free_port)
start_daemon --set server.workers=1
python3 - "$SW_PORT" <<'PY' || fail "response over a new connection"
import socket, sys
port = int(sys.argv[1])
lst = socket.socket(); lst.bind(("127.0.0.1", 0)); lst.listen(1)
lst.settimeout(3)
back = lst.getsockname()[1]
inv = (f"INVITE sip:bob@127.0.0.1:{port} SIP/2.0\r\n"
       f"Via: SIP/2.0/TCP 127.0.0.1:{back};branch=z9hG4bKnew1\r\n"
       f"Max-Forwards: 0\r\nFrom: <sip:a@127.0.0.1>;tag=1\r\n"
       f"To: <sip:bob@127.0.0.1>\r\nCall-ID: n1@t\r\nCSeq: 1 INVITE\r\n"
       f"Content-Length: 0\r\n\r\n").encode()
c1 = socket.create_connection(("127.0.0.1", port)); c1.settimeout(3)
c1.sendall(inv)
r1 = c1.recv(65535)
assert r1.startswith(b"SIP/2.0 483"), r1[:40]
c1.close()
c2 = socket.create_connection(("127.0.0.1", port))
c2.sendall(inv)
s, _ = lst.accept(); s.settimeout(3)
r2 = s.recv(65535)
assert r2 == r1, (r1[:60], r2[:60])
print("ok")
PY
pass "response on a new connection when the request's one is gone"
stop_clean
grep -q 'tcp_connected=1' "$SW_LOG" || fail "outbound connection not counted"
