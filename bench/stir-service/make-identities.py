#!/usr/bin/env python3
"""Writes a SIPp injection file of SHAKEN PASSporTs (RFC 8225/8588), one per
line: "SEQUENTIAL" then token;x5u;orig;dest. Every line has its own origid,
so the tokens differ; iat is now. Signed ES256 with python cryptography."""
import argparse, base64, json, time, uuid

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature


def b64(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--key", required=True)
    ap.add_argument("--x5u", required=True)
    ap.add_argument("--count", type=int, default=1000)
    ap.add_argument("--orig", default="12155551212")
    ap.add_argument("--dest", default="12155551213")
    a = ap.parse_args()
    key = serialization.load_pem_private_key(open(a.key, "rb").read(), None)
    hdr = b64(json.dumps({"alg": "ES256", "ppt": "shaken", "typ": "passport",
                          "x5u": a.x5u}, separators=(",", ":"),
                         sort_keys=True).encode())
    iat = int(time.time())
    print("SEQUENTIAL")
    for _ in range(a.count):
        pay = b64(json.dumps({"attest": "A", "dest": {"tn": [a.dest]},
                              "iat": iat, "orig": {"tn": a.orig},
                              "origid": str(uuid.uuid4())},
                             separators=(",", ":"), sort_keys=True).encode())
        r, s = decode_dss_signature(key.sign(f"{hdr}.{pay}".encode(),
                                             ec.ECDSA(hashes.SHA256())))
        sig = b64(r.to_bytes(32, "big") + s.to_bytes(32, "big"))
        print(f"{hdr}.{pay}.{sig};{a.x5u};{a.orig};{a.dest}")


main()
