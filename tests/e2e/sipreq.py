#!/usr/bin/env python3
"""Minimal SIP UDP client for the e2e tests (python3 stdlib only).

Sends one request (REGISTER or any out-of-dialog method), answers a 401
digest challenge when --password is given (RFC 7616: SHA-256 or MD5,
qop=auth), and prints the final response. For a 3xx/4xx-6xx answer to an
INVITE it sends the ACK. Exit code 0 when a response arrived.

  sipreq.py PORT register sip:alice@example.com --contact sip:alice@10.0.0.1
  sipreq.py PORT invite sip:alice@example.com
"""
import argparse
import hashlib
import os
import random
import re
import socket
import sys
import time


def parse(data):
    head = data.decode("utf-8", "replace").split("\r\n\r\n", 1)[0]
    lines = head.split("\r\n")
    status = int(lines[0].split()[1])
    hdrs = []
    for ln in lines[1:]:
        if ":" in ln:
            k, v = ln.split(":", 1)
            hdrs.append((k.strip().lower(), v.strip()))
    return status, lines[0], hdrs, head


def hval(hdrs, name):
    return [v for k, v in hdrs if k == name.lower()]


def h(alg, s):
    f = hashlib.sha256 if alg == "SHA-256" else hashlib.md5
    return f(s.encode()).hexdigest()


def challenge_params(v):
    return {k: q or t for k, q, t in
            re.findall(r'([\w-]+)=(?:"([^"]*)"|([^,\s]+))', v)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("port", type=int)
    ap.add_argument("method")
    ap.add_argument("uri", help="AOR (register) or Request-URI")
    ap.add_argument("--contact", action="append", default=[],
                    help="Contact value (repeatable; '*' for wildcard)")
    ap.add_argument("--expires", type=int)
    ap.add_argument("--user", help="digest user name (default: AOR user)")
    ap.add_argument("--password")
    ap.add_argument("--password-file")
    ap.add_argument("--alg", default="SHA-256", choices=["SHA-256", "MD5"])
    ap.add_argument("--call-id")
    ap.add_argument("--cseq", type=int, default=1)
    ap.add_argument("--nc", type=int, default=1)
    ap.add_argument("--replay", action="store_true",
                    help="after success, resend the authorized request as is")
    ap.add_argument("--ruri", help="Request-URI of a REGISTER (default: domain)")
    ap.add_argument("--lport", type=int, default=0)
    ap.add_argument("--bind", default="127.0.0.1",
                    help="local address (another 127.x is another source)")
    ap.add_argument("--repeat", type=int, default=1,
                    help="run the whole exchange N times; print each "
                    "final status line (the last response in full)")
    ap.add_argument("--show-challenge", action="store_true")
    ap.add_argument("--delay", type=float, default=0,
                    help="seconds to wait before answering the challenge")
    a = ap.parse_args()

    pw = a.password
    if a.password_file:
        with open(a.password_file) as f:
            pw = f.readline().rstrip("\r\n")
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((a.bind, a.lport))
    s.settimeout(15)  # a deadline only: answers come at once when all is well
    lport = s.getsockname()[1]
    method = a.method.upper()
    call_id = a.call_id or "%x@sipreq" % random.getrandbits(64)
    ftag = "%x" % random.getrandbits(32)
    aor = a.uri
    m = re.match(r"sips?:([^@]+)@([^;>:]+)", aor)
    user = a.user or (m.group(1) if m else "x")
    domain = m.group(2) if m else "127.0.0.1"
    ruri = aor if method != "REGISTER" else (a.ruri or "sip:" + domain)
    frm = aor if method == "REGISTER" else "sip:caller@127.0.0.1"

    def build(cseq, extra):
        branch = "z9hG4bK%x" % random.getrandbits(48)
        hs = [
            "%s %s SIP/2.0" % (method, ruri),
            "Via: SIP/2.0/UDP %s:%d;branch=%s;rport" % (a.bind, lport, branch),
            "Max-Forwards: 70",
            "From: <%s>;tag=%s" % (frm, ftag),
            "To: <%s>" % aor,
            "Call-ID: " + call_id,
            "CSeq: %d %s" % (cseq, method),
        ]
        for c in a.contact:
            hs.append("Contact: " + (c if c == "*" or "<" in c else "<%s>" % c))
        if a.expires is not None:
            hs.append("Expires: %d" % a.expires)
        hs += extra
        hs.append("Content-Length: 0")
        return ("\r\n".join(hs) + "\r\n\r\n").encode(), branch

    def xchg(msg):
        s.sendto(msg, ("127.0.0.1", a.port))
        while True:
            data, _ = s.recvfrom(65535)
            st = parse(data)
            if st[0] >= 200:
                return st

    cseq = a.cseq
    for it in range(a.repeat):
        msg, branch = build(cseq, [])
        status, line, hdrs, head = xchg(msg)
        authed = None
        if status == 401 and pw is not None:
            chal = None
            for v in hval(hdrs, "www-authenticate"):
                p = challenge_params(v)
                if p.get("algorithm", "MD5").upper() == a.alg:
                    chal = p
            if a.show_challenge:
                print("challenge: " + " | ".join(hval(hdrs, "www-authenticate")))
            if chal is None:
                print("no %s challenge offered" % a.alg)
                return 1
            realm, nonce = chal["realm"], chal["nonce"]
            time.sleep(a.delay)
            cnonce = "%x" % random.getrandbits(64)
            nc = "%08x" % a.nc
            ha1 = h(a.alg, "%s:%s:%s" % (user, realm, pw))
            ha2 = h(a.alg, "%s:%s" % (method, ruri))
            resp = h(a.alg, ":".join([ha1, nonce, nc, cnonce, "auth", ha2]))
            auth = ('Authorization: Digest username="%s", realm="%s", '
                    'nonce="%s", uri="%s", response="%s", algorithm=%s, '
                    'cnonce="%s", qop=auth, nc=%s' %
                    (user, realm, nonce, ruri, resp, a.alg, cnonce, nc))
            cseq += 1
            msg, branch = build(cseq, [auth])
            authed = msg
            status, line, hdrs, head = xchg(msg)
        if a.replay and authed is not None:
            # Same nonce and nc, new transaction (new branch, next CSeq).
            cseq += 1
            text = authed.decode()
            text = re.sub(r"branch=z9hG4bK[0-9a-f]+",
                          "branch=z9hG4bK%x" % random.getrandbits(48), text)
            text = re.sub(r"CSeq: \d+", "CSeq: %d" % cseq, text)
            status, line, hdrs, head = xchg(text.encode())
        if method == "INVITE" and status >= 300:
            to = hval(hdrs, "to")[0]
            ack = "\r\n".join([
                "ACK %s SIP/2.0" % ruri,
                "Via: SIP/2.0/UDP %s:%d;branch=%s;rport" % (a.bind, lport, branch),
                "Max-Forwards: 70",
                "From: <%s>;tag=%s" % (frm, ftag),
                "To: " + to,
                "Call-ID: " + call_id,
                "CSeq: %d ACK" % cseq,
                "Content-Length: 0", "", ""])
            s.sendto(ack.encode(), ("127.0.0.1", a.port))
        if it + 1 < a.repeat:
            print(line)
            cseq += 1
    print(head)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except socket.timeout:
        print("timeout")
        sys.exit(3)
