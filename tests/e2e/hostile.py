#!/usr/bin/env python3
"""Hostile SIP input for the hostile_*.sh tests (python3 stdlib only).

  hostile.py PORT GROUP...  runs groups of attacks against the daemon on
                            127.0.0.1:PORT and checks each answer; exit 1 if
                            any row got another answer than documented in
                            docs/HOSTILE.md.
  hostile.py forge ALG IDENTITY [RSA_KEY]
                            prints IDENTITY (a valid ES256 Identity header
                            value) re-signed with ALG: none (no signature),
                            HS256 (HMAC keyed with the x5u URL, the classic
                            algorithm-confusion attack) or RS256 (RSA_KEY,
                            signed by openssl).

Each row prints "ok <row>: <answer>" or "FAIL <row>: want ..., got ...".
After each group an OPTIONS over UDP and over TCP must still get its 200.
"""
import base64
import hashlib
import hmac
import json
import socket
import subprocess
import sys
import time

PORT = 0
DROP = "(no answer)"
bad = 0
seq = [0]


def request(first=b"OPTIONS sip:127.0.0.1 SIP/2.0", proto=b"UDP",
            via_params=b"", extra=b"", body=b"", clen=None, hdrs=None,
            front=b""):
    """A well-formed OPTIONS; hdrs maps header index -> (name, value);
    extra lines go after the Via, front ones before it."""
    seq[0] += 1
    lines = [
        (b"Via", b"SIP/2.0/" + proto + b" 127.0.0.1:9;rport;branch=z9hG4bK-h%d"
         % seq[0] + via_params),
        (b"Max-Forwards", b"70"),
        (b"From", b"<sip:a@127.0.0.1>;tag=1"),
        (b"To", b"<sip:b@127.0.0.1>"),
        (b"Call-ID", b"hostile-%d-%d" % (seq[0], time.time_ns())),
        (b"CSeq", b"1 OPTIONS"),
        (b"Content-Length", b"%d" % (len(body) if clen is None else clen)),
    ]
    for i, kv in (hdrs or {}).items():
        lines[i] = kv
    head = first + b"\r\n" + front
    head += lines[0][0] + b": " + lines[0][1] + b"\r\n" + extra
    head += b"".join(k + b": " + v + b"\r\n" for k, v in lines[1:])
    return head + b"\r\n" + body


# How long to wait for an answer that must come (a deadline: a loaded
# machine can be slow), and for one that must not.
ANSWER_S, SILENCE_S = 20.0, 3.0


def udp(data, wait=ANSWER_S):
    """Sends one datagram; the first line of the answer, or DROP."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    s.settimeout(wait)
    try:
        s.sendto(data, ("127.0.0.1", PORT))
        return first_line(s.recv(65535))
    except socket.timeout:
        return DROP
    finally:
        s.close()


def tcp(data, wait=ANSWER_S):
    """Sends data on a new connection; the first answer line, or DROP."""
    s = socket.create_connection(("127.0.0.1", PORT), timeout=wait)
    got = b""
    try:
        try:
            s.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may stop reading after its answer
        while b"\r\n" not in got:
            chunk = s.recv(65535)
            if not chunk:
                break
            got += chunk
    except (socket.timeout, ConnectionResetError):
        pass
    finally:
        s.close()
    return first_line(got) if got else DROP


def first_line(data):
    return data.split(b"\r\n", 1)[0].decode("latin-1")


def check(row, got, want):
    """want: an exact first line ("SIP/2.0 400 Too Many Headers") or DROP."""
    global bad
    if got == want:
        print("ok %s: %s" % (row, got))
    else:
        print("FAIL %s: want %r, got %r" % (row, want, got))
        bad += 1


def both(row, make, want_udp, want_tcp=None):
    want_tcp = want_tcp or want_udp
    check(row + " (udp)", udp(make(b"UDP"), wait_for(want_udp)), want_udp)
    check(row + " (tcp)", tcp(make(b"TCP"), wait_for(want_tcp)), want_tcp)


def wait_for(want):
    return SILENCE_S if want == DROP else ANSWER_S


def still_serving():
    check("afterwards OPTIONS (udp)", udp(request()), "SIP/2.0 200 OK")
    check("afterwards OPTIONS (tcp)", tcp(request(proto=b"TCP")),
          "SIP/2.0 200 OK")


def sl(code, reason):
    return "SIP/2.0 %d %s" % (code, reason)


# ---- message structure -------------------------------------------------

def group_sip():
    both("header-count bomb: 1,000 headers",
         lambda p: request(proto=p, extra=b"".join(
             b"X-Bomb-%d: x\r\n" % i for i in range(1000))),
         sl(400, "Too Many Headers"))
    both("header-count bomb before the Via: no route for an answer",
         lambda p: request(proto=p, front=b"".join(
             b"X-Bomb-%d: x\r\n" % i for i in range(1000))),
         DROP)
    both("100 Via values on one line",
         lambda p: request(proto=p, via_params=b"," + b",".join(
             b"SIP/2.0/UDP h%d" % i for i in range(100))),
         sl(400, "Too Many Via Headers"))
    # A datagram holds at most 65,507 bytes: over UDP the longest line
    # that fits; over TCP a 64 KB line makes the message too large.
    check("64 KB header line (udp, 65,000 bytes)",
          udp(request(extra=b"X-Long: " + b"a" * 65000 + b"\r\n")),
          sl(400, "Header Too Long"))
    check("64 KB header line (tcp, 65,536 bytes)",
          tcp(request(proto=b"TCP",
                      extra=b"X-Long: " + b"a" * 65536 + b"\r\n")),
          sl(513, "Message Too Large"))
    check("Content-Length of 1 MB (tcp)",
          tcp(request(proto=b"TCP", clen=1 << 20)),
          sl(513, "Message Too Large"))
    both("10,000 ';a' on the Via (20 KB line): no route for an answer",
         lambda p: request(proto=p, via_params=b";a" * 10000), DROP)
    both("10,000 ';a' on the Request-URI",
         lambda p: request(proto=p, first=b"OPTIONS sip:127.0.0.1"
                           + b";a" * 10000 + b" SIP/2.0"),
         sl(414, "Request-URI Too Long"))
    both("10,000 ';a' on the To",
         lambda p: request(proto=p, hdrs={3: (b"To", b"<sip:b@127.0.0.1>"
                                              + b";a" * 10000)}),
         sl(400, "Header Too Long"))
    both("4,000 ';a' on the Via (within limits)",
         lambda p: request(proto=p, via_params=b";a" * 4000),
         sl(200, "OK"))
    both("1,000 ';a' on the Request-URI (within limits)",
         lambda p: request(proto=p, first=b"OPTIONS sip:127.0.0.1"
                           + b";a" * 1000 + b" SIP/2.0"),
         sl(200, "OK"))
    both("4,000 ';a' inside a Contact URI (within limits)",
         lambda p: request(proto=p, extra=b"Contact: <sip:x@127.0.0.1"
                           + b";a" * 4000 + b">\r\n"),
         sl(200, "OK"))
    still_serving()


# ---- datagram sizes ------------------------------------------------------

# The server reads each datagram into a 2,112-byte slot and what does not
# fit into an overflow area; sizes at that edge, up to the largest datagram.
SLOT = 2112
SIZES = [SLOT - 1, SLOT, SLOT + 1, 2 * SLOT + 1, 10000, 60000, 65507]


def sized(total, callid):
    """An OPTIONS of exactly total bytes, padded before its Call-ID and CSeq
    so that the answer echoes them only if the whole datagram was read."""
    seq[0] += 1
    hdrs = {0: (b"Via", b"SIP/2.0/UDP 127.0.0.1:9;rport;branch=z9hG4bK-s%d"
                % seq[0]),
            4: (b"Call-ID", callid)}
    pad = total - len(request(hdrs=hdrs))
    # Lines under the 8 KB header limit, of varied bytes.
    n = -(-pad // 4000)
    lines = []
    for i in range(n):
        size = pad // n + (1 if i < pad % n else 0)
        name = b"X-Pad-%02d: " % i
        fill = b"0123456789abcdefghijklmnopqrstuvwxyz" * (size // 36 + 1)
        lines.append(name + fill[:size - len(name) - 2] + b"\r\n")
    msg = request(extra=b"".join(lines), hdrs=hdrs)
    assert len(msg) == total
    return msg


def udp_burst(msgs, wait=ANSWER_S):
    """Sends the datagrams back to back from one socket, so the server reads
    them in one batch; the first line of the answer to each, by Call-ID."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)
    got = {}
    deadline = time.monotonic() + wait
    try:
        for m in msgs.values():
            s.sendto(m, ("127.0.0.1", PORT))
        while len(got) < len(msgs) and time.monotonic() < deadline:
            s.settimeout(max(0.1, deadline - time.monotonic()))
            try:
                data = s.recv(65535)
            except socket.timeout:
                break
            for line in data.split(b"\r\n"):
                if line.lower().startswith(b"call-id:"):
                    got[line.split(b":", 1)[1].strip()] = first_line(data)
    finally:
        s.close()
    return [got.get(c, DROP) for c in msgs]


def group_sizes():
    """Against a daemon with the default transport.max_msg (65535)."""
    for n in SIZES:
        callid = b"size-%d-%d" % (n, time.time_ns())
        got = udp_burst({callid: sized(n, callid)})
        check("OPTIONS of %d bytes (udp)" % n, got[0], sl(200, "OK"))
    # Small and large ones mixed in one burst.
    mix = [400, SLOT + 1, 600, 60000, 500, SLOT, 10000, 300, SLOT - 1]
    msgs = {}
    for i, n in enumerate(mix):
        callid = b"mix-%d-%d-%d" % (i, n, time.time_ns())
        msgs[callid] = sized(n, callid)
    for n, got in zip(mix, udp_burst(msgs)):
        check("OPTIONS of %d bytes in a mixed burst (udp)" % n, got,
              sl(200, "OK"))
    still_serving()


def group_oversize():
    """Against a daemon with transport.max_msg=4096."""
    big = b"X-Pad: " + b"a" * 6000 + b"\r\n"
    both("6 KB message, transport.max_msg=4096",
         lambda p: request(proto=p, extra=big), sl(513, "Message Too Large"))
    both("6 KB body, transport.max_msg=4096",
         lambda p: request(proto=p, body=b"a" * 6000,
                           extra=b"Content-Type: text/plain\r\n"),
         sl(513, "Message Too Large"))
    for n, want in ((4095, sl(200, "OK")), (4096, sl(200, "OK")),
                    (4097, sl(513, "Message Too Large"))):
        callid = b"over-%d-%d" % (n, time.time_ns())
        check("OPTIONS of %d bytes, transport.max_msg=4096 (udp)" % n,
              udp_burst({callid: sized(n, callid)})[0], want)
    still_serving()


# ---- NUL bytes and invalid UTF-8 ---------------------------------------

NAMES = [b"Via", b"Max-Forwards", b"From", b"To", b"Call-ID", b"CSeq",
         b"Content-Length"]


def group_bytes():
    for label, junk in (("NUL", b"\x00"), ("invalid UTF-8", b"\xc3\x28\xff")):
        both(label + " in the method",
             lambda p: request(proto=p, first=b"OPT" + junk
                               + b"IONS sip:127.0.0.1 SIP/2.0"),
             sl(400, "Malformed Method"))
        both(label + " in the Request-URI",
             lambda p: request(proto=p, first=b"OPTIONS sip:b" + junk
                               + b"@127.0.0.1 SIP/2.0"),
             sl(400, "Malformed Request-URI"))
        both(label + " in the SIP version",
             lambda p: request(proto=p,
                               first=b"OPTIONS sip:127.0.0.1 SIP/2.0" + junk),
             sl(400, "Malformed Request-Line"))
        for i, name in enumerate(NAMES):
            # Without a readable Via there is nowhere to send an answer.
            want = DROP if name == b"Via" else sl(400, "Malformed Header Line")
            both("%s in the %s header name" % (label, name.decode()),
                 lambda p: request(proto=p, hdrs={i: (
                     name[:2] + junk + name[2:], request_value(i, p))}),
                 want)
        both(label + " in an extension header name",
             lambda p: request(proto=p, extra=b"X-" + junk + b"Name: v\r\n"),
             sl(400, "Malformed Header Line"))
        for i, name in enumerate(NAMES):
            want = VALUE_ANSWER[label][name]
            if isinstance(want, str):
                want = (want, want)
            both("%s in the %s value" % (label, name.decode()),
                 lambda p: request(proto=p, hdrs={i: (
                     name, spoil(request_value(i, p), junk))}),
                 *want)
        both(label + " in an extension header value",
             lambda p: request(proto=p, extra=b"Subject: a" + junk + b"b\r\n"),
             sl(400, "NUL Byte in Header") if junk == b"\x00"
             else sl(200, "OK"))
        both(label + " in the body (opaque octets)",
             lambda p: request(proto=p, extra=b"Content-Type: text/plain\r\n",
                               body=b"ab" + junk + b"cd"),
             sl(200, "OK"))
    still_serving()


def request_value(i, proto):
    """The value header i has in request()."""
    msg = request(proto=proto)
    line = msg.split(b"\r\n")[1 + i]
    return line.split(b": ", 1)[1]


def spoil(value, junk):
    """Puts junk inside the value where it breaks most: in the middle."""
    if value.startswith(b"SIP/2.0/"):
        return value.replace(b"branch=", b"bra" + junk + b"nch=")
    mid = len(value) // 2
    return value[:mid] + junk + value[mid:]


# What a spoiled value gets. The Via routes the answer: a spoiled Via has
# no answer at all when the defect makes it unreadable.
VALUE_ANSWER = {
    "NUL": {
        b"Via": DROP,
        b"Max-Forwards": sl(400, "NUL Byte in Header"),
        b"From": sl(400, "NUL Byte in Header"),
        b"To": sl(400, "NUL Byte in Header"),
        b"Call-ID": sl(400, "NUL Byte in Header"),
        b"CSeq": sl(400, "NUL Byte in Header"),
        # Over TCP the framer reads Content-Length before the parser.
        b"Content-Length": (sl(400, "NUL Byte in Header"),
                            sl(400, "Malformed Content-Length")),
    },
    "invalid UTF-8": {
        b"Via": DROP,
        b"Max-Forwards": sl(400, "Malformed Max-Forwards"),
        b"From": sl(400, "Malformed From"),
        b"To": sl(400, "Malformed To"),
        b"Call-ID": sl(400, "Malformed Call-ID"),
        b"CSeq": sl(400, "Malformed CSeq"),
        b"Content-Length": sl(400, "Malformed Content-Length"),
    },
}


# ---- Content-Length and pipelining ---------------------------------------

def tcp_session(data, answers, wait=3.0, close_within=60.0):
    """Sends data on one connection; reads until `answers` status lines
    came or the server closed. Returns (status lines, closed by server)."""
    s = socket.create_connection(("127.0.0.1", PORT), timeout=wait)
    got, closed = b"", False
    try:
        s.sendall(data)
        deadline = time.monotonic() + close_within
        while time.monotonic() < deadline:
            try:
                chunk = s.recv(65535)
            except socket.timeout:
                if got.count(b"SIP/2.0 ") >= answers:
                    break
                continue
            except ConnectionResetError:
                closed = True
                break
            if not chunk:
                closed = True
                break
            got += chunk
    finally:
        s.close()
    lines = [ln.decode("latin-1") for ln in got.split(b"\r\n")
             if ln.startswith(b"SIP/2.0 ")]
    return lines, closed


def group_length():
    body = b"0123456789"
    check("Content-Length 100, body 10 (udp)",
          udp(request(body=body, clen=100)),
          sl(400, "Body Shorter Than Content-Length"))
    check("Content-Length 3, body 10 (udp): the extra octets are discarded",
          udp(request(body=body, clen=3)), sl(200, "OK"))
    # On a stream the rest of the body may still come: no answer until it
    # does; the connection is closed after transport.tcp_header_ms.
    lines, closed = tcp_session(request(proto=b"TCP", body=body, clen=100), 1)
    check("Content-Length 100, body 10 (tcp): waits, then disconnected",
          (lines, closed), ([], True))
    # The 7 extra octets begin the next message, which never completes.
    lines, closed = tcp_session(request(proto=b"TCP", body=body, clen=3), 1)
    check("Content-Length 3, body 10 (tcp): answered, then the rest "
          "disconnected", (lines, closed), ([sl(200, "OK")], True))
    lines, closed = tcp_session(request(proto=b"TCP", clen=-1), 1)
    check("Content-Length -1 (tcp): answered, then disconnected",
          (lines, closed), ([sl(400, "Malformed Content-Length")], True))
    check("Content-Length -1 (udp)", udp(request(clen=-1)),
          sl(400, "Malformed Content-Length"))
    two = request(proto=b"TCP").replace(
        b"Content-Length: 0", b"Content-Length: 0\r\nContent-Length: 5")
    lines, closed = tcp_session(two, 1)
    check("two different Content-Lengths (tcp): answered, then disconnected",
          (lines, closed), ([sl(400, "Duplicate Content-Length")], True))
    still_serving()


def group_pipeline():
    ok = request(proto=b"TCP")
    # Valid requests around garbage, all in one segment: the garbage that
    # frames as a message gets its answer when a Via routes one, the
    # connection goes on serving.
    data = (ok + b"\x16\x03\x01\x00\xa5 garbage\r\n\r\n" + request(proto=b"TCP")
            + b"NOT SIP AT ALL\r\nVia: SIP/2.0/TCP 127.0.0.1:9;branch=z9hG4bKg"
            b"\r\n\r\n" + request(proto=b"TCP")
            + b"\r\n\r\n" * 3 + request(proto=b"TCP"))
    lines, closed = tcp_session(data, 5)
    check("garbage pipelined between requests (tcp)", (lines, closed),
          ([sl(200, "OK"), sl(200, "OK"), sl(400, "Malformed Request-Line"),
            sl(200, "OK"), sl(200, "OK")], False))
    # Binary garbage that never ends a line: held until it is too large.
    lines, closed = tcp_session(ok + bytes(range(256)) * 300, 1)
    check("76 KB of binary after a request (tcp): answered, then "
          "disconnected", (lines, closed), ([sl(200, "OK")], True))
    still_serving()


# ---- forged PASSporTs ----------------------------------------------------

def b64u(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64u(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def forge(alg, identity, rsa_key=None):
    token, params = identity.split(";", 1)
    hdr_b64, claims_b64, _ = token.split(".")
    hdr = json.loads(unb64u(hdr_b64))
    hdr["alg"] = alg
    signing_input = (b64u(json.dumps(hdr, separators=(",", ":"),
                                     sort_keys=True).encode())
                     + "." + claims_b64)
    if alg == "none":
        sig = b""
    elif alg == "HS256":
        sig = hmac.new(hdr["x5u"].encode(), signing_input.encode(),
                       hashlib.sha256).digest()
    else:
        sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", rsa_key],
                             input=signing_input.encode(), check=True,
                             capture_output=True).stdout
    params = ";".join(p for p in params.split(";")
                      if not p.startswith("alg="))
    return "%s.%s;%s" % (signing_input, b64u(sig), params)


GROUPS = {"sip": group_sip, "bytes": group_bytes, "length": group_length,
          "oversize": group_oversize, "sizes": group_sizes,
          "pipeline": group_pipeline, "alive": still_serving}

if __name__ == "__main__":
    if sys.argv[1] == "forge":
        print(forge(*sys.argv[2:]))
        sys.exit(0)
    PORT = int(sys.argv[1])
    for g in sys.argv[2:]:
        GROUPS[g]()
    sys.exit(1 if bad else 0)
