#!/usr/bin/env python3
"""Sends one SIP request file over UDP to 127.0.0.1:PORT and prints the
first response (bounded wait). Used by the STIR e2e tests."""
import socket
import sys

port, path = int(sys.argv[1]), sys.argv[2]
data = open(path, 'rb').read()
if b'\r\n' not in data:
    data = data.replace(b'\n', b'\r\n')
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(('127.0.0.1', 0))
s.settimeout(2.0)
for attempt in range(3):
    s.sendto(data, ('127.0.0.1', port))
    try:
        while True:
            resp, _ = s.recvfrom(65535)
            line = resp.split(b'\r\n', 1)[0]
            if b' 100 ' in line:
                continue
            sys.stdout.write(resp.decode('utf-8', 'replace'))
            sys.exit(0)
    except socket.timeout:
        continue
sys.exit('no response from 127.0.0.1:%d' % port)
