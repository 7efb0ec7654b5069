"""png_plot: line plots written as PNG with the standard library alone.

write(path, panels, order, log_x=False): panels is a list of (title,
series), series a list of (name, [(x, y), ...]); the panels are stacked,
each with its own axes (min, middle and max labelled), one colour per
series name in order. log_x: a logarithmic x axis (x > 0), for series
that lie orders of magnitude apart.
"""
import math
import struct
import zlib

PANEL_W, PANEL_H = 720, 300
MARGIN_L, MARGIN_R, MARGIN_T, MARGIN_B = 70, 20, 30, 30
SCALE = 2  # font pixels per glyph pixel
COLOURS = [(31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40)]
BLACK, GREY, WHITE = (0, 0, 0), (200, 200, 200), (255, 255, 255)

# 3x5 glyphs, rows top to bottom.
GLYPHS = {
    "0": "111101101101111", "1": "010110010010111", "2": "111001111100111",
    "3": "111001111001111", "4": "101101111001001", "5": "111100111001111",
    "6": "111100111101111", "7": "111001001010010", "8": "111101111101111",
    "9": "111101111001111", "a": "010101111101101", "b": "110101110101110",
    "c": "011100100100011", "d": "110101101101110", "e": "111100110100111",
    "f": "111100110100100", "g": "011100101101011", "h": "101101111101101",
    "i": "111010010010111", "j": "001001001101010", "k": "101101110101101",
    "l": "100100100100111", "m": "101111111101101", "n": "110101101101101",
    "o": "010101101101010", "p": "110101110100100", "q": "010101101011001",
    "r": "110101110101101", "s": "011100010001110", "t": "111010010010010",
    "u": "101101101101111", "v": "101101101101010", "w": "101101111111101",
    "x": "101101010101101", "y": "101101010010010", "z": "111001010100111",
    ".": "000000000000010", ",": "000000000010100", "-": "000000111000000", ":": "000010000010000",
    "/": "001001010100100", "%": "101001010100101", "(": "001010010010001",
    ")": "100010010010100", "_": "000000000000111", " ": "000000000000000",
}


class Canvas:
    def __init__(self, width, height):
        self.width, self.height = width, height
        self.pixels = bytearray(WHITE * (width * height))

    def set(self, x, y, colour):
        if 0 <= x < self.width and 0 <= y < self.height:
            i = (y * self.width + x) * 3
            self.pixels[i:i + 3] = bytes(colour)

    def line(self, x0, y0, x1, y1, colour):
        dx, dy = abs(x1 - x0), -abs(y1 - y0)
        sx, sy = (1 if x0 < x1 else -1), (1 if y0 < y1 else -1)
        err = dx + dy
        while True:
            self.set(x0, y0, colour)
            if x0 == x1 and y0 == y1:
                return
            e2 = 2 * err
            if e2 >= dy:
                err += dy
                x0 += sx
            if e2 <= dx:
                err += dx
                y0 += sy

    def rect(self, x0, y0, x1, y1, colour):
        for y in range(y0, y1):
            for x in range(x0, x1):
                self.set(x, y, colour)

    def text(self, x, y, string, colour=BLACK):
        for ch in string.lower():
            glyph = GLYPHS.get(ch, GLYPHS[" "])
            for i, bit in enumerate(glyph):
                if bit == "1":
                    gx, gy = x + (i % 3) * SCALE, y + (i // 3) * SCALE
                    self.rect(gx, gy, gx + SCALE, gy + SCALE, colour)
            x += 4 * SCALE
        return x

    def png(self):
        rows = b"".join(b"\0" + bytes(self.pixels[y * self.width * 3:(y + 1) * self.width * 3])
                        for y in range(self.height))

        def chunk(kind, data):
            body = kind + data
            return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

        return (b"\x89PNG\r\n\x1a\n" +
                chunk(b"IHDR", struct.pack(">IIBBBBB", self.width, self.height, 8, 2, 0, 0, 0)) +
                chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b""))


def label(value):
    if abs(value) >= 100:
        return f"{value:.0f}"
    return f"{value:.3g}"


def panel(canvas, top, title, series, order, log_x):
    x0, x1 = MARGIN_L, PANEL_W - MARGIN_R
    y0, y1 = top + MARGIN_T, top + PANEL_H - MARGIN_B
    points = [p for _, pts in series for p in pts]
    canvas.text(x0, top + 8, title)
    canvas.line(x0, y0, x0, y1, BLACK)
    canvas.line(x0, y1, x1, y1, BLACK)
    if not points:
        canvas.text(x0 + 10, y0 + 10, "no data")
        return
    xmin, xmax = min(p[0] for p in points), max(p[0] for p in points)
    ymin, ymax = min(0, min(p[1] for p in points)), max(p[1] for p in points)
    xmax, ymax = (xmax if xmax > xmin else xmin + 1), (ymax if ymax > ymin else ymin + 1)

    log_x = log_x and xmin > 0
    scale = math.log10 if log_x else (lambda v: v)

    def px(x):
        return round(x0 + (scale(x) - scale(xmin)) / (scale(xmax) - scale(xmin)) * (x1 - x0))

    def py(y):
        return round(y1 - (y - ymin) / (ymax - ymin) * (y1 - y0))

    for frac in (0, 0.5, 1):
        yv = ymin + frac * (ymax - ymin)
        canvas.line(x0 + 1, py(yv), x1, py(yv), GREY)
        canvas.text(4, py(yv) - 5, label(yv))
        xv = xmin * (xmax / xmin) ** frac if log_x else xmin + frac * (xmax - xmin)
        canvas.text(min(px(xv) - 10, x1 - 40), y1 + 8, label(xv))
    legend_x = x1 - 150
    for name, pts in series:
        colour = COLOURS[order.index(name) % len(COLOURS)] if name in order else BLACK
        for (xa, ya), (xb, yb) in zip(pts, pts[1:]):
            canvas.line(px(xa), py(ya), px(xb), py(yb), colour)
        if len(pts) == 1:
            canvas.rect(px(pts[0][0]) - 1, py(pts[0][1]) - 1, px(pts[0][0]) + 2,
                        py(pts[0][1]) + 2, colour)
        ly = y0 + 4 + 16 * [n for n, _ in series].index(name)
        canvas.rect(legend_x, ly, legend_x + 10, ly + 10, colour)
        canvas.text(legend_x + 16, ly, name)


def write(path, panels, order, log_x=False):
    canvas = Canvas(PANEL_W, PANEL_H * max(1, len(panels)))
    for i, (title, series) in enumerate(panels):
        panel(canvas, i * PANEL_H, title, series, order, log_x)
    with open(path, "wb") as f:
        f.write(canvas.png())
