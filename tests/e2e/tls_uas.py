#!/usr/bin/env python3
"""A SIP user agent server over TLS for the e2e tests (python3 stdlib only;
SIPp's Debian build has no TLS).

Answers every request on its connections: OPTIONS and MESSAGE 200, INVITE
180 then 200 (with a sips: Contact), ACK nothing, BYE and CANCEL 200. With
--password, every request but ACK must carry digest credentials (RFC 7616,
MD5 with qop=auth) for that password: without them 401, with wrong ones 403;
with --stale-once, the first right credentials get 401 stale=true.
Logs one line per request to --log ("got METHOD RURI over TLS", "auth
valid=true|false") and exits after --seconds.

  tls_uas.py PORT CERT KEY --log FILE [--password PW] [--seconds S]
"""
import argparse
import hashlib
import os
import re
import socket
import ssl
import sys
import threading
import time

REALM = "tls.test"


def md5(s):
    return hashlib.md5(s.encode()).hexdigest()


def frame(buf):
    """One complete message from buf, or None: (message, rest)."""
    end = buf.find(b"\r\n\r\n")
    if end < 0:
        return None
    head = buf[:end].decode("utf-8", "replace")
    m = re.search(r"(?im)^(?:content-length|l)\s*:\s*(\d+)", head)
    total = end + 4 + (int(m.group(1)) if m else 0)
    if len(buf) < total:
        return None
    return buf[:total], buf[total:]


def headers(head):
    out = []
    for ln in head.split("\r\n")[1:]:
        if ":" in ln:
            k, v = ln.split(":", 1)
            out.append((k.strip().lower(), v.strip()))
    return out


def first(hdrs, *names):
    for k, v in hdrs:
        if k in names:
            return v
    return ""


class Uas:
    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.nonces = set()
        self.stale_sent = False

    def log(self, line):
        with self.lock, open(self.args.log, "a") as f:
            f.write(line + "\n")

    def check_auth(self, method, value):
        """True for credentials that answer one of our nonces."""
        p = dict(re.findall(r'(\w+)="?([^",]*)"?', value))
        if p.get("nonce") not in self.nonces or p.get("realm") != REALM:
            return False
        ha1 = md5(f"{p.get('username')}:{REALM}:{self.args.password}")
        ha2 = md5(f"{method}:{p.get('uri')}")
        want = md5(f"{ha1}:{p['nonce']}:{p.get('nc')}:{p.get('cnonce')}:"
                   f"auth:{ha2}")
        return p.get("response") == want

    def reply(self, conn, head, code, reason, extra=""):
        hdrs = headers(head)
        lines = [f"SIP/2.0 {code} {reason}"]
        for k, v in hdrs:
            if k in ("via", "v"):
                lines.append(f"Via: {v}")
        to = first(hdrs, "to", "t")
        if code > 100 and ";tag=" not in to:
            to += ";tag=uas1"
        lines += [f"From: {first(hdrs, 'from', 'f')}", f"To: {to}",
                  f"Call-ID: {first(hdrs, 'call-id', 'i')}",
                  f"CSeq: {first(hdrs, 'cseq')}"]
        if extra:
            lines.append(extra)
        lines.append("Content-Length: 0")
        conn.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())

    def handle(self, conn, msg):
        head = msg.split(b"\r\n\r\n", 1)[0].decode("utf-8", "replace")
        start = head.split("\r\n", 1)[0].split()
        if len(start) < 3 or start[0] == "SIP/2.0":
            return
        method, ruri = start[0], start[1]
        hdrs = headers(head)
        self.log(f"got {method} {ruri} over TLS")
        if method == "ACK":
            return
        if self.args.password and method not in ("CANCEL",):
            cred = first(hdrs, "authorization")
            ok = bool(cred) and self.check_auth(method, cred)
            stale = ok and self.args.stale_once and not self.stale_sent
            if not cred or stale:
                nonce = os.urandom(12).hex()
                self.nonces.add(nonce)
                self.stale_sent = self.stale_sent or stale
                if stale:
                    self.log("auth stale sent")
                self.reply(conn, head, 401, "Unauthorized",
                           f'WWW-Authenticate: Digest realm="{REALM}", '
                           f'nonce="{nonce}", qop="auth", algorithm=MD5'
                           + (", stale=true" if stale else ""))
                return
            self.log(f"auth valid={'true' if ok else 'false'}")
            if not ok:
                self.reply(conn, head, 403, "Forbidden")
                return
        port = self.args.port
        if method == "INVITE":
            self.reply(conn, head, 180, "Ringing")
            self.reply(conn, head, 200, "OK",
                       f"Contact: <sips:callee@127.0.0.1:{port}>")
        else:
            self.reply(conn, head, 200, "OK")

    def serve_conn(self, conn):
        buf = b""
        conn.settimeout(1)
        end = time.time() + self.args.seconds
        try:
            while time.time() < end:
                try:
                    data = conn.recv(65535)
                except socket.timeout:
                    continue
                if not data:
                    return
                buf += data
                while True:
                    f = frame(buf)
                    if not f:
                        break
                    msg, buf = f
                    self.handle(conn, msg)
        except (OSError, ssl.SSLError):
            pass
        finally:
            conn.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("port", type=int)
    ap.add_argument("cert")
    ap.add_argument("key")
    ap.add_argument("--log", required=True)
    ap.add_argument("--password")
    ap.add_argument("--stale-once", action="store_true")
    ap.add_argument("--seconds", type=float, default=60)
    args = ap.parse_args()
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(args.cert, args.key)
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", args.port))
    ls.listen(16)
    ls.settimeout(1)
    uas = Uas(args)
    end = time.time() + args.seconds
    while time.time() < end:
        try:
            raw, _ = ls.accept()
        except socket.timeout:
            continue
        try:
            raw.settimeout(5)
            conn = ctx.wrap_socket(raw, server_side=True)
        except (OSError, ssl.SSLError) as e:
            uas.log(f"handshake failed: {e}")
            raw.close()
            continue
        threading.Thread(target=uas.serve_conn, args=(conn,),
                         daemon=True).start()
    return 0


if __name__ == "__main__":
    sys.exit(main())
