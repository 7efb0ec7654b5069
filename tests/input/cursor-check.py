#!/usr/bin/env python3
"""cursor-check.py [--absent] PNG X Y SIZE: whether the SIZE x SIZE square
at (X, Y) of the screenshot is the guest client's cursor (pure magenta),
or with --absent that it is not. Reads the PNG with the standard library."""
import struct
import sys
import zlib


def read_png(path):
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, width = 8, b"", 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, color = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and color in (2, 6), f"unsupported PNG {depth}/{color}"
            channels = 4 if color == 6 else 3
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw, stride = zlib.decompress(idat), width * channels
    rows, prev = [], bytearray(stride)
    for y in range(height):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - channels] if i >= channels else 0
            b, c = prev[i], prev[i - channels] if i >= channels else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(line)
        prev = line
    return width, height, channels, rows


def main():
    args = sys.argv[1:]
    absent = args[0] == "--absent"
    path, x0, y0, size = args[-4], int(args[-3]), int(args[-2]), int(args[-1])
    width, height, ch, rows = read_png(path)
    magenta = sum(1 for y in range(y0, min(y0 + size, height)) for x in range(x0, min(x0 + size, width))
                  if tuple(rows[y][x * ch:x * ch + 3]) == (255, 0, 255))
    print(f"{path}: {magenta} of {size * size} pixels magenta at ({x0}, {y0})")
    sys.exit(0 if (magenta == 0 if absent else magenta == size * size) else 1)


main()
