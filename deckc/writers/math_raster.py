"""A formula's fallback picture for the PPTX (mc:Fallback, for viewers without Office Math, such
as LibreOffice): the layout's glyph outlines filled with Pillow, at 4 px per point.

Outlines are filled by the non-zero winding rule, as the PDF fills them: each contour is drawn as
a polygon (curves flattened) into a winding-number array, +1 or -1 by its orientation, and the
picture is where the winding is not zero; 3 x 3 supersampling gives the edges their antialiasing.
Pure computation on the plan's numbers, so the PNG is byte-identical for the same formula.
"""
from __future__ import annotations

import io

from ..layout.plan import MathArt

PX_PER_PT = 4          # 288 dpi: sharp when the slide is projected or zoomed
SUPER = 3              # supersampling factor for antialiased edges
_CURVE_STEPS = 8


def _contours(art: MathArt, scale: float, ox: float, oy: float):
    for glyph in art.glyphs:
        pts: list[tuple[float, float]] = []
        cur = (0.0, 0.0)
        for op in glyph:
            kind = op[0]
            if kind == "M":
                if len(pts) > 2:
                    yield pts
                pts, cur = [op[1:3]], op[1:3]
            elif kind == "L":
                cur = op[1:3]
                pts.append(cur)
            elif kind == "Q":
                (x0, y0), (qx, qy), (x1, y1) = cur, op[1:3], op[3:5]
                for k in range(1, _CURVE_STEPS + 1):
                    t = k / _CURVE_STEPS
                    a, b, c = (1 - t) ** 2, 2 * (1 - t) * t, t * t
                    pts.append((a * x0 + b * qx + c * x1, a * y0 + b * qy + c * y1))
                cur = (x1, y1)
            elif kind == "C":
                (x0, y0), (ax, ay), (bx, by), (x1, y1) = cur, op[1:3], op[3:5], op[5:7]
                for k in range(1, _CURVE_STEPS + 1):
                    t = k / _CURVE_STEPS
                    a, b, c, d = (1 - t) ** 3, 3 * (1 - t) ** 2 * t, 3 * (1 - t) * t * t, t ** 3
                    pts.append((a * x0 + b * ax + c * bx + d * x1, a * y0 + b * ay + c * by + d * y1))
                cur = (x1, y1)
            elif kind == "Z":
                if len(pts) > 2:
                    yield pts
                pts = []
        if len(pts) > 2:
            yield pts
    for rx, ry, rw, rh in art.rects:
        yield [(rx, ry), (rx + rw, ry), (rx + rw, ry + rh), (rx, ry + rh)]


def math_png(art: MathArt, size: float, color: str) -> bytes:
    """PNG (RGBA, transparent background) of `art` at `size` points: its ink box, as MathBox's frame."""
    import numpy as np
    from PIL import Image, ImageDraw

    scale = size * PX_PER_PT * SUPER
    W = max(int(round(art.width * size * PX_PER_PT)), 1) * SUPER
    H = max(int(round((art.ascent + art.descent) * size * PX_PER_PT)), 1) * SUPER
    winding = np.zeros((H, W), dtype=np.int16)
    for contour in _contours(art, scale, 0.0, 0.0):
        poly = [(x * scale, (y + art.ascent) * scale) for x, y in contour]
        area = sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(poly, poly[1:] + poly[:1]))
        xs, ys = [p[0] for p in poly], [p[1] for p in poly]
        x0, y0 = max(int(min(xs)), 0), max(int(min(ys)), 0)
        x1, y1 = min(int(max(xs)) + 2, W), min(int(max(ys)) + 2, H)
        if x1 <= x0 or y1 <= y0:
            continue
        mask = Image.new("L", (x1 - x0, y1 - y0), 0)
        ImageDraw.Draw(mask).polygon([(x - x0, y - y0) for x, y in poly], fill=1)
        winding[y0:y1, x0:x1] += np.asarray(mask, dtype=np.int16) * (1 if area > 0 else -1)
    ink = (winding != 0).astype(np.uint16)
    alpha = ink.reshape(H // SUPER, SUPER, W // SUPER, SUPER).sum(axis=(1, 3)) * 255 // (SUPER * SUPER)
    rgb = tuple(int(color[i:i + 2], 16) for i in (0, 2, 4))
    img = np.zeros((H // SUPER, W // SUPER, 4), dtype=np.uint8)
    img[..., 0], img[..., 1], img[..., 2] = rgb
    img[..., 3] = alpha.astype(np.uint8)
    out = io.BytesIO()
    Image.fromarray(img, "RGBA").save(out, format="PNG", optimize=False)
    return out.getvalue()
