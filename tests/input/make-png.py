#!/usr/bin/env python3
"""Writes a WIDTHxHEIGHT RGB PNG, a gradient SEED tells apart, to stdout:
an image for the clipboard to carry, made with the standard library."""
import struct
import sys
import zlib


def chunk(kind, data):
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))


def main():
    width, height, seed = (int(a) for a in sys.argv[1:4])
    rows = b"".join(
        b"\0" + bytes(((x * 255 // width) ^ (seed * 37)) & 0xFF if c == 0 else
                      (y * 255 // height + c * seed * 11) & 0xFF
                      for x in range(width) for c in range(3))
        for y in range(height))
    png = (b"\x89PNG\r\n\x1a\n" +
           chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)) +
           chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b""))
    sys.stdout.buffer.write(png)


if __name__ == "__main__":
    main()
