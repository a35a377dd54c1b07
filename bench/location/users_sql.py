#!/usr/bin/env python3
"""users_sql.py N: SQL for users ra-1..ra-N of bench.example.net, password
"pw" in realm sipward, stored as HA1 hashes only (MD5 and SHA-256), for the
digest REGISTER loads of run.sh and instr.sh (regauth.c registers them)."""
import hashlib
import sys

print("BEGIN;")
for i in range(1, int(sys.argv[1]) + 1):
    u = "ra-%d" % i
    h1 = "%s:sipward:pw" % u
    print("INSERT INTO users VALUES('sip:%s@bench.example.net','%s','sipward','%s','%s',0);"
          % (u, u, hashlib.md5(h1.encode()).hexdigest(),
             hashlib.sha256(h1.encode()).hexdigest()))
print("COMMIT;")
