"""Draws the app icons (PNG) from the favicon's shapes: a warning triangle on dark. Run once; output committed.
Pure Python (zlib), so nothing beyond python3 is needed: python3 tests/tools/icons.py"""
import struct, zlib, os

BG = (0x0b, 0x0d, 0x10); AMBER = (0xff, 0xb4, 0x54)

def inside_triangle(x, y, top, left, right):
    (x1, y1), (x2, y2), (x3, y3) = top, left, right
    d = (y2 - y3) * (x1 - x3) + (x3 - x2) * (y1 - y3)
    a = ((y2 - y3) * (x - x3) + (x3 - x2) * (y - y3)) / d
    b = ((y3 - y1) * (x - x3) + (x1 - x3) * (y - y3)) / d
    return a >= 0 and b >= 0 and a + b <= 1

def draw(size, scale, rounded):
    # Coordinates of the 64-unit favicon, scaled about the centre by `scale`.
    u = lambda v: (32 + (v - 32) * scale) * size / 64
    rows = []
    r = 14 * size / 64 if rounded else 0
    for py in range(size):
        row = bytearray([0])
        for px in range(size):
            x, y = px + 0.5, py + 0.5
            # Rounded corners are transparent.
            cx = min(max(x, r), size - r); cy = min(max(y, r), size - r)
            alpha = 255 if (x - cx) ** 2 + (y - cy) ** 2 <= r * r or r == 0 else 0
            colour = BG
            if inside_triangle(x, y, (u(32), u(10)), (u(10), u(50)), (u(54), u(50))):
                colour = AMBER
                in_bar = u(29) <= x <= u(35) and u(24) <= y <= u(38)
                in_dot = (x - u(32)) ** 2 + (y - u(44)) ** 2 <= (3.2 * scale * size / 64) ** 2
                if in_bar or in_dot:
                    colour = BG
            row += bytes(colour) + bytes([alpha])
        rows.append(bytes(row))
    raw = b"".join(rows)
    chunk = lambda t, d: struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))

out = os.path.join(os.path.dirname(__file__), "..", "..", "public", "icons")
for name, size, scale, rounded in [("icon-192", 192, 1.0, True), ("icon-512", 512, 1.0, True),
                                   ("icon-maskable-512", 512, 0.7, False)]:
    with open(os.path.join(out, name + ".png"), "wb") as f:
        f.write(draw(size, scale, rounded))
