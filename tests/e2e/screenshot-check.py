#!/usr/bin/env python3
"""screenshot-check.py PNG

Exits 0 if the screenshot holds one whole known frame of
tests/compositor/frame-pattern.h (same formula): row 0 starts with the
frame number and the drawn size, every other pixel of that size is the
frame's hash, the rest is black. Prints what it found.
"""
import struct
import sys
import zlib

MASK = 0xFFFFFF


def pattern_pixel(n, x, y):
    v = ((n * 0x9E3779B1) ^ (x * 0x85EBCA6B) ^ (y * 0xC2B2AE35)) & 0xFFFFFFFF
    v ^= v >> 15
    v = (v * 0x2C1B3C6D) & 0xFFFFFFFF
    v ^= v >> 12
    return v & MASK


def read_png(path):
    """Returns (width, height, rows of 0xRRGGBB ints); 8-bit RGB or RGBA only."""
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, idat = 8, b""
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, color, _, _, interlace = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    if depth != 8 or color not in (2, 6) or interlace:
        raise ValueError("unsupported PNG (depth %d, color type %d)" % (depth, color))
    bpp = 3 if color == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * bpp
    prev = bytearray(stride)
    rows = []
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        if kind == 1:
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 0xFF
        elif kind == 2:
            for i in range(stride):
                line[i] = (line[i] + prev[i]) & 0xFF
        elif kind == 3:
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 0xFF
        elif kind == 4:
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                b = prev[i]
                c = prev[i - bpp] if i >= bpp else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[i] = (line[i] + pred) & 0xFF
        rows.append([line[i] << 16 | line[i + 1] << 8 | line[i + 2]
                     for i in range(0, stride, bpp)])
        prev = line
    return width, height, rows


def main():
    width, height, rows = read_png(sys.argv[1])
    n, w, h = rows[0][0], rows[0][1], rows[0][2]
    bad = 0
    for y in range(height):
        row = rows[y]
        for x in range(3 if y == 0 else 0, width):
            want = pattern_pixel(n, x, y) if x < w and y < h else 0
            if row[x] != want:
                bad += 1
    print("screenshot %dx%d: frame %d drawn at %dx%d, %d bad pixels" % (width, height, n, w, h, bad))
    sys.exit(0 if bad == 0 and w == width and h == height else 1)


if __name__ == "__main__":
    main()
