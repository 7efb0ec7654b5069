#!/usr/bin/env python3
"""cursor-check.py [--absent] PPM X Y SIZE: whether the SIZE x SIZE square
at (X, Y) of the screenshot (`grim -t ppm`: binary P6, 8 bits) is the guest
client's cursor (pure magenta), or with --absent that it is not. PPM and
not PNG: no decoding to do, which under TCG takes seconds a screenshot."""
import sys


def read_ppm(path):
    data = open(path, "rb").read()
    fields, pos = [], 0
    while len(fields) < 4:
        while data[pos:pos + 1].isspace():
            pos += 1
        if data[pos:pos + 1] == b"#":
            pos = data.index(b"\n", pos) + 1
            continue
        end = pos
        while not data[end:end + 1].isspace():
            end += 1
        fields.append(data[pos:end])
        pos = end
    magic, width, height, maxval = fields[0], int(fields[1]), int(fields[2]), int(fields[3])
    assert magic == b"P6" and maxval == 255, f"not an 8-bit P6 PPM: {magic} {maxval}"
    pixels = data[pos + 1:]
    assert len(pixels) >= width * height * 3, "truncated PPM"
    return width, height, pixels


def main():
    args = sys.argv[1:]
    absent = args[0] == "--absent"
    path, x0, y0, size = args[-4], int(args[-3]), int(args[-2]), int(args[-1])
    width, height, pixels = read_ppm(path)
    magenta = sum(1 for y in range(y0, min(y0 + size, height))
                  for x in range(x0, min(x0 + size, width))
                  if pixels[(y * width + x) * 3:(y * width + x) * 3 + 3] == b"\xff\x00\xff")
    print(f"{path}: {magenta} of {size * size} pixels magenta at ({x0}, {y0})")
    sys.exit(0 if (magenta == 0 if absent else magenta == size * size) else 1)


main()
