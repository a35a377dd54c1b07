#!/usr/bin/env python3
"""Crash safety: a mixed write load, SIGKILL at random moments, and after
each kill a check that nothing acknowledged was lost (`make crashsafe`).

Each round starts the daemon on free loopback ports (its own scratch
directory and SQLite store), runs three writers at once and kills the
daemon with SIGKILL after a random delay:

  users     admin API: POST /api/v1/users (2xx = acknowledged); now and then
            DELETE of an earlier acknowledged user
  register  REGISTER with digest authentication (SHA-256) for users the
            admin API acknowledged; a 200 OK = acknowledged binding
  moved     `sipward moved add|remove` (exit 0 = acknowledged)

Every acknowledgement is logged (ack.log). After each kill `sqlite3 DB
'PRAGMA integrity_check'` must say ok and the store must hold every
acknowledged write: each acknowledged user, binding and moved entry is
present unless a removal of it was attempted (an acknowledged removal
must have taken effect; one cut short by the kill may go either way).
After the restart the daemon must serve them too (admin API lists).
Names are never reused, so no write can be confused with an older one.

  crashsafe.py --sipward build/asan/sipward --kills 50 [--seed N]
Exit 0 when every round passed; prints one line per round.
"""
import argparse
import hashlib
import json
import os
import random
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

TOKEN = "c0ffee00c0ffee00c0ffee00c0ffee00"
PASSWORD = "crash-safe-pw"
REALM = "crashsafe"


def free_port():
    for _ in range(200):
        p = random.randint(20000, 60000)
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            u.bind(("127.0.0.1", p))
            t.bind(("127.0.0.1", p))
            return p
        except OSError:
            continue
        finally:
            u.close()
            t.close()
    raise RuntimeError("no free port")


class Ledger:
    """What the writers were told (thread-safe), appended to ack.log."""

    def __init__(self, path):
        self.lock = threading.Lock()
        self.log = open(path, "a", buffering=1)
        self.users = set()        # acknowledged adds
        self.users_del = set()    # removal attempted (acked or not)
        self.users_gone = set()   # removal acknowledged
        self.bindings = set()     # (aor, contact) acknowledged
        self.moved = set()
        self.moved_del = set()
        self.moved_gone = set()

    def ack(self, kind, key):
        with self.lock:
            self.log.write("%s %s\n" % (kind, key))
            if kind == "user":
                self.users.add(key)
            elif kind == "user-del":
                self.users_gone.add(key)
            elif kind == "binding":
                self.bindings.add(key)
            elif kind == "moved":
                self.moved.add(key)
            elif kind == "moved-del":
                self.moved_gone.add(key)

    def attempt_del(self, kind, key):
        with self.lock:
            (self.users_del if kind == "user" else self.moved_del).add(key)


class Daemon:
    def __init__(self, args, tmp):
        self.args, self.tmp = args, tmp
        self.sip = free_port()
        self.http = free_port()
        self.ini = os.path.join(tmp, "sipward.ini")
        self.db = os.path.join(tmp, "var", "sipward.db")
        with open(os.path.join(tmp, "token"), "w") as f:
            f.write(TOKEN + "\n")
        os.chmod(os.path.join(tmp, "token"), 0o600)
        with open(self.ini, "w") as f:
            f.write("[server]\nrealm = %s\nworkers = 2\n"
                    "[sip]\nlisten = udp:127.0.0.1:%d\n"
                    "[http]\nlisten = 127.0.0.1:%d\ntoken_file = %s/token\n"
                    "[store]\npath = %s\n"
                    % (REALM, self.sip, self.http, tmp, self.db))
        self.proc = None

    def start(self):
        log = open(os.path.join(self.tmp, "daemon.log"), "a")
        self.proc = subprocess.Popen(
            [self.args.sipward, "serve", "--config", self.ini],
            cwd=self.tmp, stdout=log, stderr=log)
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("daemon exited with %d at start"
                                   % self.proc.returncode)
            try:
                if self.api("GET", "/readyz")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError("daemon not ready within 60 s")

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.kill()
            return -9

    def api(self, method, path, body=None, timeout=10):
        data = json.dumps(body).encode() if body is not None else None
        rq = urllib.request.Request(
            "http://127.0.0.1:%d%s" % (self.http, path), data=data,
            method=method,
            headers={"Authorization": "Bearer " + TOKEN,
                     "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(rq, timeout=timeout) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()


def sha(s):
    return hashlib.sha256(s.encode()).hexdigest()


def register(port, user, contact, stop):
    """One authenticated REGISTER over UDP; True on a 200 OK."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    s.settimeout(0.5)
    lport = s.getsockname()[1]
    aor = "sip:%s@127.0.0.1" % user
    call_id = "%x@crashsafe" % random.getrandbits(64)
    ftag = "%x" % random.getrandbits(32)

    def send(cseq, extra):
        msg = "\r\n".join([
            "REGISTER sip:127.0.0.1 SIP/2.0",
            "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK%x;rport"
            % (lport, random.getrandbits(48)),
            "Max-Forwards: 70",
            "From: <%s>;tag=%s" % (aor, ftag),
            "To: <%s>" % aor,
            "Call-ID: " + call_id,
            "CSeq: %d REGISTER" % cseq,
            "Contact: <%s>" % contact,
            "Expires: 3600"] + extra + ["Content-Length: 0", "", ""])
        # UDP: retransmit as a UA would (RFC 3261 §17.1.2.1), a few times.
        for _ in range(6):
            if stop.is_set():
                return None
            s.sendto(msg.encode(), ("127.0.0.1", port))
            try:
                while True:
                    data = s.recv(65535).decode("utf-8", "replace")
                    code = int(data.split(" ", 2)[1])
                    if code >= 200:
                        return code, data
            except (socket.timeout, ConnectionRefusedError):
                continue
        return None

    try:
        r = send(1, [])
        if not r or r[0] != 401:
            return False
        m = re.search(r'WWW-Authenticate: Digest ([^\r\n]*algorithm=SHA-256'
                      r'[^\r\n]*)', r[1])
        if not m:
            return False
        p = dict((k, q or t) for k, q, t in re.findall(
            r'([\w-]+)=(?:"([^"]*)"|([^,\s]+))', m.group(1)))
        cnonce = "%x" % random.getrandbits(64)
        ha1 = sha("%s:%s:%s" % (user, p["realm"], PASSWORD))
        ha2 = sha("REGISTER:sip:127.0.0.1")
        resp = sha(":".join([ha1, p["nonce"], "00000001", cnonce, "auth",
                             ha2]))
        auth = ('Authorization: Digest username="%s", realm="%s", '
                'nonce="%s", uri="sip:127.0.0.1", response="%s", '
                'algorithm=SHA-256, cnonce="%s", qop=auth, nc=00000001'
                % (user, p["realm"], p["nonce"], resp, cnonce))
        r = send(2, [auth])
        return bool(r) and r[0] == 200
    finally:
        s.close()


def writer_users(d, led, rnd, stop, tag):
    k = 0
    mine = []
    while not stop.is_set():
        k += 1
        user = "u%s_%d" % (tag, k)
        try:
            if k % 5 == 0 and mine:
                victim = mine.pop(rnd.randrange(len(mine)))
                led.attempt_del("user", victim)
                if d.api("DELETE", "/api/v1/users/" + victim)[0] // 100 == 2:
                    led.ack("user-del", victim)
                continue
            aor = "sip:%s@127.0.0.1" % user
            st, _ = d.api("POST", "/api/v1/users",
                          {"aor": aor, "password": PASSWORD})
            if st // 100 == 2:
                led.ack("user", aor)
                # Odd ones may be deleted; even ones get registered.
                if k % 2:
                    mine.append(aor)
                else:
                    with led.lock:
                        led.to_register.append(user)
        except OSError:
            time.sleep(0.05)


def writer_register(d, led, stop):
    while not stop.is_set():
        with led.lock:
            user = led.to_register.pop() if led.to_register else None
        if user is None:
            time.sleep(0.01)
            continue
        contact = "sip:%s@127.0.0.1:%d" % (user, random.randint(1024, 65000))
        if register(d.sip, user, contact, stop):
            led.ack("binding", "sip:%s@127.0.0.1 %s" % (user, contact))


def writer_moved(d, led, rnd, stop, tag):
    k = 0
    mine = []
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=0")
    while not stop.is_set():
        k += 1
        if k % 4 == 0 and mine:
            aor = mine.pop(rnd.randrange(len(mine)))
            led.attempt_del("moved", aor)
            argv = ["remove", aor]
        else:
            aor = "sip:m%s_%d@127.0.0.1" % (tag, k)
            argv = ["add", aor, "sip:m%s_%d@new.example.net" % (tag, k)]
        r = subprocess.run([d.args.sipward, "moved"] + argv + ["-c", d.ini],
                           cwd=d.tmp, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, env=env)
        if r.returncode == 0:
            if argv[0] == "add":
                led.ack("moved", aor)
                mine.append(aor)
            else:
                led.ack("moved-del", aor)


def check_store(d, led):
    """Problems found in the store file (the daemon is down)."""
    bad = []
    r = subprocess.run(["sqlite3", d.db, "PRAGMA integrity_check"],
                       capture_output=True, text=True)
    if r.stdout.strip() != "ok":
        bad.append("integrity_check: %r %r" % (r.stdout.strip(), r.stderr))
    db = sqlite3.connect(d.db, timeout=30)
    try:
        users = {a for (a,) in db.execute("SELECT aor FROM users")}
        moved = {a for (a,) in db.execute("SELECT aor FROM moved")}
        binds = {"%s %s" % row for row in
                 db.execute("SELECT aor, contact FROM bindings")}
    finally:
        db.close()
    with led.lock:
        lost = [u for u in led.users - led.users_del if u not in users]
        lost += [b for b in led.bindings if b not in binds]
        lost += [m for m in led.moved - led.moved_del if m not in moved]
        back = [u for u in led.users_gone if u in users]
        back += [m for m in led.moved_gone if m in moved]
    if lost:
        bad.append("%d acknowledged writes lost, e.g. %s" % (len(lost),
                                                            lost[:3]))
    if back:
        bad.append("%d acknowledged removals undone, e.g. %s" % (len(back),
                                                                back[:3]))
    return bad


def check_served(d, led):
    """After the restart the daemon answers with what the store holds."""
    bad = []
    st, body = d.api("GET", "/api/v1/users", timeout=30)
    users = {u["aor"] for u in json.loads(body)["users"]} if st == 200 else set()
    st2, body = d.api("GET", "/api/v1/moved", timeout=30)
    moved = {m["aor"] for m in json.loads(body)["moved"]} if st2 == 200 else set()
    with led.lock:
        lost = [u for u in led.users - led.users_del if u not in users]
        lost += [m for m in led.moved - led.moved_del if m not in moved]
        sample = random.sample(sorted(led.bindings), min(5, len(led.bindings)))
    if st != 200 or st2 != 200 or lost:
        bad.append("admin API after restart: %d %d, %d missing %s"
                   % (st, st2, len(lost), lost[:3]))
    for b in sample:
        aor, contact = b.split(" ", 1)
        st, body = d.api("GET", "/api/v1/bindings/" + aor)
        if st != 200 or contact not in [x["contact"] for x in
                                        json.loads(body)["bindings"]]:
            bad.append("binding %s not served after restart" % b)
    return bad


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sipward", default="build/asan/sipward")
    ap.add_argument("--kills", type=int, default=50)
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--min-load", type=float, default=0.3,
                    help="least seconds of load before a kill")
    ap.add_argument("--max-load", type=float, default=2.5)
    ap.add_argument("--max-seconds", type=float, default=540,
                    help="give up (and fail) after this long")
    ap.add_argument("--keep", action="store_true")
    a = ap.parse_args()
    a.sipward = os.path.abspath(a.sipward)
    seed = a.seed if a.seed is not None else random.randrange(1 << 30)
    rnd = random.Random(seed)
    t0 = time.time()
    tmp = tempfile.mkdtemp(prefix="sw-crashsafe.")
    led = Ledger(os.path.join(tmp, "ack.log"))
    led.to_register = []
    d = Daemon(a, tmp)
    print("crashsafe: seed %d, %d kills, in %s" % (seed, a.kills, tmp))
    failures = 0
    try:
        d.start()
        for rnd_no in range(1, a.kills + 1):
            if time.time() - t0 > a.max_seconds:
                print("FAIL: time limit of %.0f s reached after %d kills"
                      % (a.max_seconds, rnd_no - 1))
                failures += 1
                break
            stop = threading.Event()
            ths = [
                threading.Thread(target=writer_users,
                                 args=(d, led, rnd, stop, str(rnd_no))),
                threading.Thread(target=writer_register, args=(d, led, stop)),
                threading.Thread(target=writer_moved,
                                 args=(d, led, rnd, stop, str(rnd_no))),
            ]
            for t in ths:
                t.start()
            time.sleep(rnd.uniform(a.min_load, a.max_load))
            d.kill()
            stop.set()
            for t in ths:
                t.join(60)
            bad = check_store(d, led)
            d.start()
            bad += check_served(d, led)
            with led.lock:
                counts = (len(led.users), len(led.users_gone),
                          len(led.bindings), len(led.moved),
                          len(led.moved_gone))
            print("kill %2d: acked so far users %d (-%d) bindings %d "
                  "moved %d (-%d): %s" % ((rnd_no,) + counts +
                                          ("ok" if not bad else
                                           "; ".join(bad),)))
            sys.stdout.flush()
            failures += bool(bad)
        with led.lock:
            idle = [k for k, n in (("users", len(led.users)),
                                   ("bindings", len(led.bindings)),
                                   ("moved", len(led.moved))) if n == 0]
        if idle:
            # Nothing acknowledged, nothing to lose: the checks proved
            # nothing for that writer.
            print("FAIL: no %s write was ever acknowledged"
                  % " or ".join(idle))
            failures += 1
        rc = d.stop()
        if rc != 0:
            print("FAIL: daemon exit status %d at the final SIGTERM" % rc)
            failures += 1
    except Exception as e:  # a daemon that will not start is a failure
        print("FAIL: %s" % e)
        failures += 1
        if d.proc and d.proc.poll() is None:
            d.kill()
    finally:
        led.log.close()
        if failures:
            with open(os.path.join(tmp, "daemon.log")) as f:
                print("--- daemon log (last 30 lines) ---")
                print("".join(f.readlines()[-30:]))
        if a.keep or failures:
            print("kept %s" % tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    print("crashsafe: %s: %d kills in %.0f s, %d failed"
          % ("FAIL" if failures else "PASS", a.kills, time.time() - t0,
             failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
