"""Formulas in the PDF: the glyph outlines of the layout's MathArt filled as vector paths (no
font subsetting, no raster), with the formula's TeX as invisible text over it, so the PDF's
text (search, copy, pdftotext, screen readers) has the formula as the lecturer wrote it."""
from __future__ import annotations

from ..layout.plan import MathArt


def draw_math(page, art: MathArt, x: float, baseline: float, size: float, color: str) -> None:
    """Draw `art` with its left edge at x and its baseline at `baseline` (slide coordinates, y down)."""
    from reportlab.lib.colors import HexColor

    c = page.c
    c.saveState()
    c.setFillColor(HexColor("#" + color))
    path = c.beginPath()

    def pt(px, py):
        return x + px * size, page.y(baseline + py * size)

    for glyph in art.glyphs:
        cur = (0.0, 0.0)
        for op in glyph:
            kind = op[0]
            if kind == "M":
                cur = op[1:3]
                path.moveTo(*pt(*cur))
            elif kind == "L":
                cur = op[1:3]
                path.lineTo(*pt(*cur))
            elif kind == "Q":           # quadratic -> the equivalent cubic
                (x0, y0), (qx, qy), (x1, y1) = cur, op[1:3], op[3:5]
                c1 = (x0 + 2 / 3 * (qx - x0), y0 + 2 / 3 * (qy - y0))
                c2 = (x1 + 2 / 3 * (qx - x1), y1 + 2 / 3 * (qy - y1))
                path.curveTo(*pt(*c1), *pt(*c2), *pt(x1, y1))
                cur = (x1, y1)
            elif kind == "C":
                path.curveTo(*pt(*op[1:3]), *pt(*op[3:5]), *pt(*op[5:7]))
                cur = op[5:7]
            elif kind == "Z":
                path.close()
    for rx, ry, rw, rh in art.rects:
        path.rect(x + rx * size, page.y(baseline + (ry + rh) * size), rw * size, rh * size)
    c.drawPath(path, stroke=0, fill=1, fillMode=1)      # 1: non-zero winding, as fonts are designed
    c.restoreState()
    w = art.width * size          # the text inside the ink box (pdftotext words stay within it)
    page.book.draw_text(c, x + 0.02 * w, page.y(baseline), art.tex, size=size * 0.5, invisible_width=0.96 * w)
