"""Helpers for ops_watchdog.sh (not a test itself).

  watchdog.py listen SOCKET LOG   the systemd side of sd_notify: an AF_UNIX
                                  datagram socket; each message is appended
                                  to LOG as "<monotonic s> <line>"
  watchdog.py freeze PID NAME S   stops the one thread of PID named NAME
                                  with ptrace (the rest keeps running) for S
                                  seconds; prints the monotonic times it
                                  was stopped and let go; exit 3 when
                                  ptrace is not permitted here
"""
import ctypes
import os
import socket
import sys
import time


def listen(path, log):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(path)
    s.settimeout(1)
    end = time.monotonic() + 240
    with open(log, "a", buffering=1) as out:
        while time.monotonic() < end:
            try:
                msg = s.recv(4096).decode("utf-8", "replace")
            except socket.timeout:
                continue
            for line in msg.splitlines():
                out.write("%.3f %s\n" % (time.monotonic(), line))


PTRACE_DETACH, PTRACE_SEIZE, PTRACE_INTERRUPT = 17, 0x4206, 0x4207
WALL = 0x40000000


def freeze(pid, name, seconds):
    tid = None
    for t in os.listdir("/proc/%s/task" % pid):
        with open("/proc/%s/task/%s/comm" % (pid, t)) as f:
            if f.read().strip() == name:
                tid = int(t)
    if tid is None:
        sys.exit("no thread %s in %s" % (name, pid))
    libc = ctypes.CDLL(None, use_errno=True)
    libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p,
                            ctypes.c_void_p]
    if libc.ptrace(PTRACE_SEIZE, tid, None, None) != 0:
        print("ptrace: %s" % os.strerror(ctypes.get_errno()), file=sys.stderr)
        sys.exit(3)
    libc.ptrace(PTRACE_INTERRUPT, tid, None, None)
    os.waitpid(tid, WALL)
    print("%.3f stopped" % time.monotonic(), flush=True)
    time.sleep(seconds)
    print("%.3f released" % time.monotonic(), flush=True)
    libc.ptrace(PTRACE_DETACH, tid, None, None)


if sys.argv[1] == "listen":
    listen(sys.argv[2], sys.argv[3])
else:
    freeze(sys.argv[2], sys.argv[3], float(sys.argv[4]))
