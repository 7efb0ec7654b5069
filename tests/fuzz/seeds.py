#!/usr/bin/env python3
"""seeds.py DIR: writes a seed corpus for fuzz-daemon (one file per seed)."""
import os
import struct
import sys

EXPORT, PRESENT, UNEXPORT = 0x101, 0x102, 0x103
XR24 = 0x34325258
DATA = 0x100000


def hdr(kind):
    return struct.pack('<IIQ', kind, 0, 7)


def export(extents, size):
    body = struct.pack('<IIIIQ', 64, size // 256, XR24, 1, 0)
    body += struct.pack('<II', 0, 256) + bytes(24)
    body += struct.pack('<QII', size, len(extents), 0)
    for addr, length in extents:
        body += struct.pack('<QQ', addr, length)
    return hdr(EXPORT) + body


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    seeds = {
        'export': b'\0' + export([(DATA, 0x2000), (DATA + 0x10000, 0x2000)], 0x4000),
        'export-outside': b'\0' + export([(1 << 40, 0x1000)], 0x1000),
        'present': b'\0' + hdr(PRESENT) + bytes(16) + struct.pack('<QII', 1, 1, 0)
                   + struct.pack('<IIII', 0, 0, 8, 8) + bytes(15 * 16),
        'unexport': b'\0' + hdr(UNEXPORT) + bytes(16),
        'chain': b'\1' + struct.pack('<QIHH', DATA, 64, 1, 1)
                 + struct.pack('<QIHH', DATA + 0x1000, 32, 2, 0),
        'import': b'\2' + struct.pack('<iiII', 16, 0, 0, 0) + bytes(16 + 272),
    }
    for name, data in seeds.items():
        with open(os.path.join(out, name), 'wb') as f:
            f.write(data)


main()
