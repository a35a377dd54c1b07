#!/usr/bin/env python3
"""Hostile certificate repository for hostile_stir.sh (python3 stdlib only).

  hostile_x5u.py PORT DIR PRIVATE_PORT

On 127.0.0.1:PORT serves the files of DIR, plus:
  /giant         an endless certificate-looking body (never ends by itself)
  /to-file       302 to file:///etc/passwd
  /to-private    302 to http://127.0.0.2:PRIVATE_PORT/sp.pem
  /hang          accepts, never answers
On 127.0.0.2:PRIVATE_PORT serves DIR too and logs each request to stdout,
so a test can see that the daemon never went there. Runs for 240 s at most.
"""
import http.server
import socketserver
import sys
import threading
import time

PORT, DIR, PRIV = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])


class Repo(http.server.SimpleHTTPRequestHandler):
    def __init__(self, *a, **kw):
        super().__init__(*a, directory=DIR, **kw)

    def log_message(self, fmt, *args):
        print("%s %s" % (self.server.server_address[0], fmt % args),
              flush=True)

    def redirect(self, where):
        self.send_response(302)
        self.send_header("Location", where)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self):
        if self.path == "/to-file":
            return self.redirect("file:///etc/passwd")
        if self.path == "/to-private":
            return self.redirect("http://127.0.0.2:%d/sp.pem" % PRIV)
        if self.path == "/hang":
            time.sleep(60)
            return None
        if self.path == "/giant":
            self.send_response(200)
            self.send_header("Content-Type", "application/pem-certificate-chain")
            self.end_headers()
            line = b"-----BEGIN CERTIFICATE-----\n" + b"A" * 63 + b"\n"
            try:
                for _ in range(200000):  # 12.8 MB at most
                    self.wfile.write(line)
            except (BrokenPipeError, ConnectionResetError):
                pass
            return None
        return super().do_GET()


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


for addr, port in (("127.0.0.1", PORT), ("127.0.0.2", PRIV)):
    srv = Server((addr, port), Repo)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
time.sleep(240)
