#!/usr/bin/env python3
"""Polls a node until it answers an INVITE with the wanted status.

  pg_until.py PORT URI CODE [LIMIT_MS]

Sends INVITE URI over UDP to 127.0.0.1:PORT every 20 ms (a new Call-ID
each time, ACK for final responses >= 300) from one process, so the time
it prints is the node's, not an interpreter's start-up. Prints the
milliseconds until CODE came back and the response head; exit 0, or exit
1 with the last response after LIMIT_MS (default 1000).
"""
import random
import socket
import sys
import time


def main():
    port, uri, want = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    limit = int(sys.argv[4]) if len(sys.argv) > 4 else 1000
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    lport = s.getsockname()[1]
    t0 = time.monotonic()
    last = "no response"
    while True:
        cid = "%x@pg_until" % random.getrandbits(64)
        branch = "z9hG4bK%x" % random.getrandbits(48)
        tag = "%x" % random.getrandbits(32)
        head = ["INVITE %s SIP/2.0" % uri,
                "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=%s;rport" % (lport, branch),
                "Max-Forwards: 70",
                "From: <sip:caller@127.0.0.1>;tag=" + tag,
                "To: <%s>" % uri, "Call-ID: " + cid, "CSeq: 1 INVITE",
                "Contact: <sip:caller@127.0.0.1:%d>" % lport,
                "Content-Length: 0", "", ""]
        s.sendto("\r\n".join(head).encode(), ("127.0.0.1", port))
        s.settimeout(0.5)
        code = 0
        try:
            while code < 200:
                data, _ = s.recvfrom(65535)
                text = data.decode("utf-8", "replace")
                code = int(text.split(" ", 2)[1])
        except socket.timeout:
            text = "timeout"
        if code >= 200:
            last = text.split("\r\n\r\n", 1)[0]
            to = [ln for ln in last.split("\r\n") if ln.lower().startswith("to:")]
            if code >= 300 and to:
                ack = ["ACK %s SIP/2.0" % uri,
                       "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=%s;rport" % (lport, branch),
                       "Max-Forwards: 70",
                       "From: <sip:caller@127.0.0.1>;tag=" + tag, to[0],
                       "Call-ID: " + cid, "CSeq: 1 ACK", "Content-Length: 0", "", ""]
                s.sendto("\r\n".join(ack).encode(), ("127.0.0.1", port))
        ms = int((time.monotonic() - t0) * 1000)
        if code == want:
            print(ms)
            print(last)
            return 0
        if ms >= limit:
            print(ms)
            print(last)
            return 1
        time.sleep(0.02)


if __name__ == "__main__":
    sys.exit(main())
