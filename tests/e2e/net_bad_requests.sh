#!/bin/sh
# Malformed requests get a 400 whose reason phrase names the defect, even
# when the missing header is one a response normally copies (Call-ID,
# CSeq, From, To); a wrong SIP version gets 505; a malformed response is
# never answered; the daemon keeps serving afterwards. Over UDP and TCP.
. "$(dirname "$0")/lib.sh"

start_daemon

python3 - "$SW_PORT" <<'PY' || fail "bad requests"
import socket, sys, time
port = int(sys.argv[1])

def msg(first, drop=(), cseq="1 OPTIONS", extra=""):
    hdrs = [
        ("Via", "SIP/2.0/%s 127.0.0.1:9;branch=z9hG4bK-%s" % ("{T}", time.time_ns())),
        ("Max-Forwards", "70"),
        ("From", "<sip:a@127.0.0.1>;tag=1"),
        ("To", "<sip:b@127.0.0.1>"),
        ("Call-ID", "bad-%d" % time.time_ns()),
        ("CSeq", cseq),
    ]
    lines = [first] + ["%s: %s" % kv for kv in hdrs if kv[0] not in drop]
    return "\r\n".join(lines) + "\r\n" + extra + "Content-Length: 0\r\n\r\n"

cases = [
    (msg("OPTIONS sip:b@127.0.0.1 SIP/2.0", drop=("Call-ID",)), "400 Missing Call-ID"),
    (msg("OPTIONS sip:b@127.0.0.1 SIP/2.0", drop=("CSeq",)), "400 Missing CSeq"),
    (msg("OPTIONS sip:b@127.0.0.1 SIP/2.0", drop=("From",)), "400 Missing From"),
    (msg("OPTIONS sip:b@127.0.0.1 SIP/2.0", drop=("To",)), "400 Missing To"),
    (msg("OPTIONS sip:b@127.0.0.1 SIP/2.0", cseq="1 INVITE"),
     "400 CSeq method does not match request"),
    (msg("OPTIONS sip:b@127.0.0.1 SIP/3.0"), "505 "),
]

# Deadlines: an answer that must come may be slow on a loaded machine.
def udp(text, wait=20):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(wait)
    s.bind(("127.0.0.1", 0))
    # rport so the reply comes back to this socket, not the Via port.
    s.sendto(text.replace("{T}", "UDP").replace(";branch", ";rport;branch").encode(),
             ("127.0.0.1", port))
    try:
        return s.recv(65535).decode("utf-8", "replace")
    except socket.timeout:
        return ""
    finally:
        s.close()

def tcp(text):
    s = socket.create_connection(("127.0.0.1", port), timeout=20)
    s.sendall(text.replace("{T}", "TCP").encode())
    data = b""
    try:
        while b"\r\n\r\n" not in data:
            chunk = s.recv(65535)
            if not chunk:
                break
            data += chunk
    except socket.timeout:
        pass
    s.close()
    return data.decode("utf-8", "replace")

bad = 0
for name, send in (("udp", udp), ("tcp", tcp)):
    for text, want in cases:
        got = send(text)
        first = got.split("\r\n", 1)[0]
        if not first.startswith("SIP/2.0 " + want):
            print("%s: want %r, got %r" % (name, want, first))
            bad += 1
        else:
            print("ok %s: %s" % (name, first))

# A malformed response (no Call-ID) is dropped, never answered.
resp = ("SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:9;rport;branch=z9hG4bKx\r\n"
        "From: <sip:a@b>;tag=1\r\nTo: <sip:b@c>\r\nCSeq: 1 OPTIONS\r\n"
        "Content-Length: 0\r\n\r\n")
if udp(resp, wait=3) != "":
    print("a malformed response was answered")
    bad += 1

# Still serving.
ok = udp(msg("OPTIONS sip:127.0.0.1 SIP/2.0"))
if not ok.startswith("SIP/2.0 200"):
    print("daemon stopped answering: %r" % ok[:40])
    bad += 1
sys.exit(1 if bad else 0)
PY
pass "400 names the defect over UDP and TCP; 505; bad response dropped"

stop_clean
pass "clean stop"
