"""Charts in the PDF, as vector graphics drawn on the page's canvas (no raster images).

Draws the geometry the layout put in each ChartBox (:mod:`deckc.layout.chart_plan`), which the
PPTX writer draws too; nothing is measured or placed here.
Straight onto the reportlab canvas: reportlab.graphics would cost 0.1 s of imports (it pulls in
all of platypus) and a second pass over every shape.
"""
from __future__ import annotations

import math

from ..fonts import Style, font_book
from ..layout.chart_parts import AXIS, GRID, LINE_WIDTH, MARKER_SIZE, SIN45, SUP_RISE, SUP_SCALE, TICK, Cell, Label
from ..layout.theme import rgb


def _rgb(c: str) -> tuple[float, float, float]:
    return tuple(v / 255 for v in rgb(c))


class Pen:
    """Draws in a chart's own coordinates (origin at the box's bottom-left corner, y up) on a
    reportlab canvas already moved there, and keeps the bounds of what it drew."""

    def __init__(self, canvas):
        self.c = canvas
        self.bounds = [math.inf, math.inf, -math.inf, -math.inf]

    def _grow(self, x0: float, y0: float, x1: float, y1: float) -> None:
        b = self.bounds
        b[0], b[1], b[2], b[3] = min(b[0], x0, x1), min(b[1], y0, y1), max(b[2], x0, x1), max(b[3], y0, y1)

    def _stroke(self, color: str | None, width: float) -> int:
        if not color or width <= 0:
            return 0
        self.c.setStrokeColorRGB(*_rgb(color))
        self.c.setLineWidth(width)
        return 1

    def line(self, x1, y1, x2, y2, color: str, width: float) -> None:
        if self._stroke(color, width):
            self.c.line(x1, y1, x2, y2)
            self._grow(x1, y1, x2, y2)

    def rect(self, x, y, w, h, fill: str | None, stroke: str | None = None, width: float = 0.0) -> None:
        if fill:
            self.c.setFillColorRGB(*_rgb(fill))
        self.c.rect(x, y, w, h, stroke=self._stroke(stroke, width), fill=1 if fill else 0)
        self._grow(x, y, x + w, y + h)

    def polyline(self, pts: list[float], color: str, width: float) -> None:
        self._stroke(color, width)
        self.c.setLineJoin(1)
        self.c.setLineCap(1)
        path = self.c.beginPath()
        path.moveTo(pts[0], pts[1])
        for i in range(2, len(pts), 2):
            path.lineTo(pts[i], pts[i + 1])
        self.c.drawPath(path, stroke=1, fill=0)
        self.c.setLineJoin(0)
        self.c.setLineCap(0)
        xs, ys = pts[0::2], pts[1::2]
        self._grow(min(xs), min(ys), max(xs), max(ys))

    def circle(self, x, y, r, fill: str, stroke: str, width: float) -> None:
        self.c.setFillColorRGB(*_rgb(fill))
        self.c.circle(x, y, r, stroke=self._stroke(stroke, width), fill=1)
        self._grow(x - r, y - r, x + r, y + r)

    def text(self, x: float, y: float, text: str, size: float, color: str, bold: bool = False,
             anchor: str = "start", angle: float = 0.0) -> None:
        """Text with its baseline at (x, y), rotated `angle` degrees counter-clockwise about that
        point; drawn by font segments (shipped fonts with fallback, as the rest of the PDF)."""
        book = font_book()
        style = Style(bold=bold)
        w = book.width(text, style, size)
        cx = {"start": 0.0, "middle": -w / 2, "end": -w}[anchor]
        asc, desc = book.ascent(size, style), book.descent(size, style)
        self.c.saveState()
        self.c.translate(x, y)
        if angle:
            self.c.rotate(angle)
        book.draw_text(self.c, cx, 0.0, text, style, size, _rgb(color))
        self.c.restoreState()
        a = math.radians(angle)
        cos, sin = math.cos(a), math.sin(a)
        for px, py in ((cx, -desc), (cx + w, -desc), (cx, asc), (cx + w, asc)):
            self._grow(x + px * cos - py * sin, y + px * sin + py * cos,
                       x + px * cos - py * sin, y + px * sin + py * cos)


def _label(pen: Pen, lab: Label, H: float) -> None:
    """A Label (top-left box coordinates) in a chart of height H."""
    book = font_book()
    style = Style(bold=lab.bold)
    asc, desc = book.ascent(lab.size, style), book.descent(lab.size, style)
    anchor = {"left": "start", "center": "middle", "right": "end"}[lab.align]
    if lab.rotation == 0:
        x = {"left": lab.x, "center": lab.x + lab.w / 2, "right": lab.x + lab.w}[lab.align]
        base = H - (lab.y + lab.h / 2) - (asc - desc) / 2
        if lab.sup:         # "10" then the exponent, raised and smaller: from where the whole label starts
            x0 = x - {"start": 0.0, "middle": lab.width / 2, "end": lab.width}[anchor]
            pen.text(x0, base, lab.text, lab.size, lab.color, lab.bold, "start")
            pen.text(x0 + book.width(lab.text, style, lab.size), base + lab.size * SUP_RISE, lab.sup,
                     lab.size * SUP_SCALE, lab.color, lab.bold, "start")
            return
        pen.text(x, base, lab.text, lab.size, lab.color, lab.bold, anchor)
        return
    # reads upwards: along the box height, baseline to the right of the text
    y = {"left": lab.y + lab.h, "center": lab.y + lab.h / 2, "right": lab.y}[lab.align]
    base_x = lab.x + lab.w / 2 + (asc - desc) / 2
    pen.text(base_x, H - y, lab.text, lab.size, lab.color, lab.bold, anchor, 90.0)


def _cell(pen: Pen, cell: Cell, H: float) -> None:
    pen.rect(cell.x, H - cell.y - cell.h, cell.w, cell.h, cell.fill, cell.line, cell.line_w if cell.line else 0.0)
    if cell.text:
        _label(pen, Label(cell.x, cell.y, cell.w, cell.h, cell.text, cell.size, cell.text_color), H)


def _draw_xy(pen: Pen, el) -> None:
    p = el.geometry
    H = el.h
    px, py, pw, ph = p.plot
    for yy, lab in zip(p.grid_y, p.value_labels):          # gridlines and value tick labels
        pen.line(px, H - yy, px + pw, H - yy, GRID, 0.75)
        _label(pen, lab, H)
    ay = p.axis_y                                          # category axis, ticks and labels
    pen.line(px, H - ay, px + pw, H - ay, AXIS, 0.75)
    for mx in p.tick_x:
        pen.line(mx, H - ay, mx, H - ay - TICK, AXIS, 0.75)
    book = font_book()
    for lab in p.cat_labels:
        asc, desc = book.ascent(lab.size), book.descent(lab.size)
        if lab.rotation == 0:
            pen.text(lab.x, H - lab.y - asc, lab.text, lab.size, lab.color, anchor="middle")
        elif lab.rotation == -45:
            # reads up and to the right; the top-right corner of the text is at the tick
            pen.text(lab.x + asc * SIN45, H - lab.y - asc * SIN45, lab.text, lab.size, lab.color, anchor="end",
                     angle=45.0)
        else:
            pen.text(lab.x + (asc - desc) / 2, H - lab.y, lab.text, lab.size, lab.color, anchor="end", angle=90.0)
    for b in p.bars:
        pen.rect(b.x, H - b.bottom, b.w, b.bottom - b.top, b.fill)
    for line in p.lines:
        for run in line.runs:
            pts = [c for x, y in run for c in (x, H - y)]
            if len(pts) >= 4:
                pen.polyline(pts, line.color, LINE_WIDTH)
            if p.markers:
                for j in range(0, len(pts), 2):
                    pen.circle(pts[j], pts[j + 1], MARKER_SIZE / 2, line.color, line.color, 0.75)
    for e, lab in zip(p.legend, p.legend_labels):
        cy = H - (e.y + e.h / 2)
        if p.plot_type == "bar":
            pen.rect(e.x, cy - e.swatch_w / 2, e.swatch_w, e.swatch_w, e.color)
        else:
            pen.line(e.x, cy, e.x + e.swatch_w, cy, e.color, LINE_WIDTH)
            if p.markers:
                pen.circle(e.x + e.swatch_w / 2, cy, MARKER_SIZE / 2, e.color, e.color, 0.75)
        _label(pen, lab, H)
    for lab in p.titles + tuple(t for t in (p.x_title, p.y_title) if t is not None):
        _label(pen, lab, H)


def _draw_heatmap(pen: Pen, el) -> None:
    p = el.geometry
    H = el.h
    for row in p.cells:
        for cell in row:
            _cell(pen, cell, H)
    for sw in p.scale_swatches:
        _cell(pen, sw, H)
    if p.scale_frame is not None:
        _cell(pen, p.scale_frame, H)
    for lab in p.labels:
        _label(pen, lab, H)


def draw_geometry(pen, el) -> None:
    """The chart of `el` drawn with `pen` (this module's Pen, or any object with its five methods:
    the HTML writer's SVG pen draws the same geometry)."""
    (_draw_heatmap if el.data.plot == "heatmap" else _draw_xy)(pen, el)


def draw_chart(page, el) -> tuple[float, float, float, float]:
    """Draw the chart of `el` as vector graphics on a PdfPage, inside the box. Returns the bounds
    of what was drawn, in the box's coordinates (x0, y0, x1, y1; y up from the box's bottom)."""
    c = page.c
    c.saveState()
    c.translate(el.x, page.y(el.y + el.h))
    pen = Pen(c)
    draw_geometry(pen, el)
    c.restoreState()
    return tuple(pen.bounds)


def draw_with(pen, el) -> None:
    """Draw the chart of `el` with any pen that has Pen's methods, in the same coordinates (the
    grading reports draw the same plans as SVG: deckc/grading/items.py)."""
    (_draw_heatmap if el.data.plot == "heatmap" else _draw_xy)(pen, el)
