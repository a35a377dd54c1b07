#!/usr/bin/env python3
"""Checks that a PNG screenshot shows a rendered page, not a blank one.

Decodes the PNG (8-bit RGB/RGBA, non-interlaced, as Chromium writes it)
with the standard library and requires the expected size, the header bar's
dark pixels at the top, and enough distinct colours and non-background
rows to mean text was drawn.
Usage: reference_shot.py FILE WIDTH HEIGHT
"""
import struct
import sys
import zlib


def decode(path):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, idat, hdr = 8, b"", None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            hdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    w, h, depth, ctype, _, _, interlace = hdr
    if depth != 8 or ctype not in (2, 6) or interlace:
        raise ValueError(f"unsupported PNG depth={depth} type={ctype}")
    bpp = 3 if ctype == 2 else 4
    raw = zlib.decompress(idat)
    stride = w * bpp
    rows, prev = [], bytearray(stride)
    for y in range(h):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b = prev[x]
            c = prev[x - bpp] if x >= bpp else 0
            if f == 1:
                line[x] = (line[x] + a) & 255
            elif f == 2:
                line[x] = (line[x] + b) & 255
            elif f == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pr = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[x] = (line[x] + pr) & 255
        rows.append(bytes(line))
        prev = line
    return w, h, bpp, rows


def main():
    path, want_w, want_h = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    w, h, bpp, rows = decode(path)
    if (w, h) != (want_w, want_h):
        sys.exit(f"{path}: {w}x{h}, want {want_w}x{want_h}")
    px = lambda row, x: row[x * bpp:x * bpp + 3]
    # The header bar (dark) across the top, the light page below it.
    top = px(rows[10], w // 2)
    if max(top) > 80:
        sys.exit(f"{path}: no dark header bar at the top (saw {tuple(top)})")
    colours, busy = set(), 0
    for y in range(0, h, 3):
        row = rows[y]
        seen = {px(row, x) for x in range(0, w, 2)}
        colours |= seen
        if len(seen) > 4:
            busy += 1
    if len(colours) < 50 or busy < (h // 3) // 5:
        sys.exit(f"{path}: looks blank ({len(colours)} colours, "
                 f"{busy} busy rows)")
    print(f"{path}: {w}x{h}, {len(colours)} colours, {busy} busy rows")


if __name__ == "__main__":
    main()
