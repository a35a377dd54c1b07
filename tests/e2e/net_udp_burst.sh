#!/bin/sh
# A burst of same-sized requests from one UDP socket: replies the worker
# sends together leave as one GSO send, which the kernel splits again. Every
# request must still get its own complete, well-formed response (its Call-ID,
# a Content-Length that matches). Bursts repeat until the GSO counter on
# /metrics shows that such a grouped send really happened (bounded).
. "$(dirname "$0")/lib.sh"

start_daemon
wait_listening "$SW_HTTP_PORT" tcp || fail "HTTP not listening"
URL=http://127.0.0.1:$SW_HTTP_PORT
gso() {
    curl -s "$URL/metrics" \
        | awk '$1 == "sipward_udp_gso_datagrams_total" { v = $2 } END { print v + 0 }'
}

round=0
while [ "$(gso)" -eq 0 ]; do
    round=$((round + 1))
    [ $round -le 20 ] || fail "20 bursts and no reply left in a GSO send"
    python3 - "$SW_PORT" "$round" <<'PY' || fail "burst $round: bad replies"
import socket, sys
port, rnd = int(sys.argv[1]), int(sys.argv[2])
N = 64
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
u.bind(("127.0.0.1", 0)); u.settimeout(5)
lp = u.getsockname()[1]
def options(i):
    # Same length for every i, so the replies are the same length too.
    cid = "burst-%03d-%05d@test" % (rnd, i)
    return (f"OPTIONS sip:127.0.0.1:{port} SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP 127.0.0.1:{lp};branch=z9hG4bK{rnd:03d}{i:05d}\r\n"
            f"Max-Forwards: 70\r\nFrom: <sip:a@127.0.0.1>;tag=t{i:05d}\r\n"
            f"To: <sip:127.0.0.1>\r\nCall-ID: {cid}\r\n"
            f"CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n").encode()
for i in range(N):
    u.sendto(options(i), ("127.0.0.1", port))
seen = set()
while len(seen) < N:
    r = u.recv(65535)
    head, _, body = r.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    if lines[0] != b"SIP/2.0 200 OK":
        print("bad status line:", lines[0]); sys.exit(1)
    hdr = {}
    for l in lines[1:]:
        k, _, v = l.partition(b":")
        hdr[k.strip().lower()] = v.strip()
    if int(hdr.get(b"content-length", b"-1")) != len(body):
        print("Content-Length does not match the datagram:", r); sys.exit(1)
    cid = hdr.get(b"call-id", b"").decode()
    if not cid.startswith("burst-%03d-" % rnd) or cid in seen:
        print("unexpected or repeated Call-ID:", cid); sys.exit(1)
    seen.add(cid)
PY
done
pass "every reply of a burst intact; $(gso) datagrams left in GSO sends"

stop_daemon
[ "$SW_EXIT" -eq 0 ] || fail "exit code $SW_EXIT"
pass "clean stop"
