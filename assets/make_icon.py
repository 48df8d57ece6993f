#!/usr/bin/env python3
"""Draws assets/icon.png (256x256): a magnifying glass over the three parts of a JWT.

Pure Python (zlib + struct), so it runs anywhere: python3 assets/make_icon.py
"""
import math
import os
import struct
import zlib

N = 256
SS = 3  # supersampling per axis


def inside(x, y):
    """Colour (r, g, b, a) of the point (x, y) in 0..256 coordinates, or None."""
    # Rounded-square background.
    r, m = 48.0, 8.0
    cx, cy = min(max(x, m + r), N - m - r), min(max(y, m + r), N - m - r)
    if (x - cx) ** 2 + (y - cy) ** 2 > r * r:
        return None
    colour = (24, 42, 86, 255)
    # The lens: a ring centred at (110, 110).
    lx, ly, ro, ri = 108.0, 108.0, 70.0, 54.0
    d = math.hypot(x - lx, y - ly)
    # The handle: a thick segment from the ring to the bottom-right corner.
    hx0, hy0, hx1, hy1 = lx + ro * 0.68, ly + ro * 0.68, 212.0, 212.0
    t = max(0.0, min(1.0, ((x - hx0) * (hx1 - hx0) + (y - hy0) * (hy1 - hy0)) / ((hx1 - hx0) ** 2 + (hy1 - hy0) ** 2)))
    hd = math.hypot(x - (hx0 + t * (hx1 - hx0)), y - (hy0 + t * (hy1 - hy0)))
    if ri <= d <= ro or hd <= 14.0:
        return (236, 240, 248, 255)
    if d < ri:
        colour = (40, 66, 128, 255)
        # Three token segments inside the lens (header . payload . signature).
        for i, c in enumerate([(248, 92, 120), (196, 120, 255), (64, 200, 240)]):
            bx = lx - 39 + i * 28
            if bx <= x <= bx + 22 and ly - 14 <= y <= ly + 14:
                return c + (255,)
        for i in range(2):
            dx = lx - 39 + 22 + 3 + i * 28
            if math.hypot(x - dx, y - (ly + 11)) <= 2.6:
                return (236, 240, 248, 255)
    return colour


def main():
    rows = []
    for py in range(N):
        row = bytearray([0])
        for px in range(N):
            acc = [0, 0, 0, 0]
            for sy in range(SS):
                for sx in range(SS):
                    c = inside(px + (sx + 0.5) / SS, py + (sy + 0.5) / SS)
                    if c:
                        for k in range(3):
                            acc[k] += c[k] * c[3]
                        acc[3] += c[3]
            a = acc[3] / (SS * SS)
            if acc[3]:
                row += bytes([int(acc[0] / acc[3]), int(acc[1] / acc[3]), int(acc[2] / acc[3]), int(a)])
            else:
                row += bytes([0, 0, 0, 0])
        rows.append(bytes(row))
    raw = b"".join(rows)

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", N, N, 8, 6, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "icon.png")
    with open(out, "wb") as f:
        f.write(png)
    print(out)


if __name__ == "__main__":
    main()
