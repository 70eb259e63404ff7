"""Charts in the PDF, as vector graphics (reportlab.graphics shapes, no raster images).

Draws the geometry of :mod:`deckc.layout.chart_plan`, which the PPTX writer draws too.
"""
from __future__ import annotations

import math

from ..fonts import Style, font_book
from ..layout.chart_plan import (AXIS, Cell, GAP_WIDTH, GRID, LINE_WIDTH, Label, MARKER_SIZE, SIN45, TICK, W_MAX, plan_heatmap, plan_xy)


# -- reportlab drawing --------------------------------------------------------------------------

def _color(c: str):
    from reportlab.lib.colors import HexColor
    return HexColor("#" + c)


def _string_group(x: float, y: float, text: str, size: float, color: str, bold: bool = False,
                  anchor: str = "start", angle: float = 0.0):
    """Text with its baseline at (x, y) (PDF coordinates), rotated `angle` degrees counter-clockwise
    about that point; drawn by font segments (shipped fonts with fallback, as the rest of the PDF)."""
    from reportlab.graphics.shapes import Group, String

    book = font_book()
    style = Style(bold=bold)
    w = book.width(text, style, size)
    cx = {"start": 0.0, "middle": -w / 2, "end": -w}[anchor]
    g = Group()
    for name, s in book.segments(text, style):
        drawn = book._drawable(name, s)
        if drawn:
            g.add(String(cx, 0, drawn, fontName=name, fontSize=size, fillColor=_color(color)))
        cx += book.width(s, style, size)
    a = math.radians(angle)
    g.transform = (math.cos(a), math.sin(a), -math.sin(a), math.cos(a), x, y)
    return g


def _label(lab: Label, H: float):
    """A Label (top-left box coordinates) as reportlab shapes in a drawing of height H."""
    book = font_book()
    style = Style(bold=lab.bold)
    asc, desc = book.ascent(lab.size, style), book.descent(lab.size, style)
    anchor = {"left": "start", "center": "middle", "right": "end"}[lab.align]
    if lab.rotation == 0:
        x = {"left": lab.x, "center": lab.x + lab.w / 2, "right": lab.x + lab.w}[lab.align]
        base = H - (lab.y + lab.h / 2) - (asc - desc) / 2
        return _string_group(x, base, lab.text, lab.size, lab.color, lab.bold, anchor)
    # reads upwards: along the box height, baseline to the right of the text
    y = {"left": lab.y + lab.h, "center": lab.y + lab.h / 2, "right": lab.y}[lab.align]
    base_x = lab.x + lab.w / 2 + (asc - desc) / 2
    return _string_group(base_x, H - y, lab.text, lab.size, lab.color, lab.bold, anchor, 90.0)


def _cell(cell: Cell, H: float, group):
    from reportlab.graphics.shapes import Rect

    group.add(Rect(cell.x, H - cell.y - cell.h, cell.w, cell.h, fillColor=_color(cell.fill),
                   strokeColor=_color(cell.line) if cell.line else None, strokeWidth=0.75 if cell.line else 0))
    if cell.text:
        group.add(_label(Label(cell.x, cell.y, cell.w, cell.h, cell.text, cell.size, cell.text_color), H))


def _new_drawing(el):
    from reportlab.graphics.shapes import Drawing

    from ..fonts import SANS

    font_book().font(SANS)          # registered with reportlab before the drawing names it
    dr = Drawing(el.w, el.h)
    # renderPDF starts from these state defaults; without them it would select Helvetica
    # (a non-embedded font) on the canvas even though no text uses it.
    dr.initialFontName = SANS
    dr.initialFontSize = el.font_size
    return dr


def _xy_drawing(el):
    from reportlab.graphics.shapes import Circle, Line, PolyLine, Rect

    p = plan_xy(el)
    d = el.data
    dr = _new_drawing(el)
    H = el.h
    px, py, pw, ph = p.plot
    fs = el.font_size
    n = len(d.categories)

    # gridlines and value tick labels
    for t, txt in zip(p.scale.ticks, p.scale.labels):
        yy = p.val_y(t)
        dr.add(Line(px, H - yy, px + pw, H - yy, strokeColor=_color(GRID), strokeWidth=0.75))
        dr.add(_label(Label(px - p.tick_gap - 60.0, yy - fs * 0.6, 60.0, fs * 1.2, txt, fs, el.text_color,
                            align="right"), H))

    # category axis at the crossing value (0 if shown, else the bottom), ticks and labels
    cross = 0.0 if (not p.scale.log and p.scale.lo <= 0.0 <= p.scale.hi) else p.scale.lo
    ay = p.val_y(cross)
    dr.add(Line(px, H - ay, px + pw, H - ay, strokeColor=_color(AXIS), strokeWidth=0.75))
    base = py + ph
    if p.mid_cat:
        marks = [p.cat_x(i, n) for i in range(0, n, p.cat_skip)]
    else:
        marks = [px + i * pw / max(1, n) for i in range(0, n + 1, p.cat_skip)]
    for mx in marks:
        dr.add(Line(mx, H - ay, mx, H - ay - TICK, strokeColor=_color(AXIS), strokeWidth=0.75))
    ly = base + TICK + fs * 0.2
    book = font_book()
    asc, desc = book.ascent(p.cat_size), book.descent(p.cat_size)
    for i, c in enumerate(d.categories):
        if i % p.cat_skip:
            continue
        cx = p.cat_x(i, n)
        if p.cat_rotation == 0:
            dr.add(_string_group(cx, H - ly - asc, c, p.cat_size, el.text_color, anchor="middle"))
        elif p.cat_rotation == -45:
            # reads up and to the right; the top-right corner of the text is at the tick
            dr.add(_string_group(cx + asc * SIN45, H - ly - asc * SIN45, c, p.cat_size, el.text_color,
                                 anchor="end", angle=45.0))
        else:
            dr.add(_string_group(cx + (asc - desc) / 2, H - ly, c, p.cat_size, el.text_color,
                                 anchor="end", angle=90.0))

    # series
    if p.plot_type == "bar":
        k = len(d.series)
        step = pw / max(1, n)
        bw = step / (k + GAP_WIDTH / 100.0)
        for si, (s, col) in enumerate(zip(d.series, p.colors)):
            for i, v in enumerate(s.values):
                y1 = p.val_y(v)
                if y1 is None:
                    continue
                x0 = px + i * step + (step - k * bw) / 2 + si * bw
                top_, bot = min(y1, ay), max(y1, ay)
                dr.add(Rect(x0, H - bot, bw, bot - top_, fillColor=_color(col), strokeColor=None,
                            strokeWidth=0))
    else:
        for s, col in zip(d.series, p.colors):
            pts: list[list[float]] = [[]]
            for i, v in enumerate(s.values):
                yy = p.val_y(v)
                if yy is None:
                    if pts[-1]:
                        pts.append([])
                    continue
                pts[-1] += [p.cat_x(i, n), H - yy]
            for run in pts:
                if len(run) >= 4:
                    dr.add(PolyLine(run, strokeColor=_color(col), strokeWidth=LINE_WIDTH, strokeLineJoin=1,
                                    strokeLineCap=1))
                if p.markers:
                    for j in range(0, len(run), 2):
                        dr.add(Circle(run[j], run[j + 1], MARKER_SIZE / 2, fillColor=_color(col),
                                      strokeColor=_color(col), strokeWidth=0.75))

    # legend
    for e in p.legend:
        cy = H - (e.y + e.h / 2)
        if p.plot_type == "bar":
            dr.add(Rect(e.x, cy - e.swatch_w / 2, e.swatch_w, e.swatch_w, fillColor=_color(e.color),
                        strokeColor=None, strokeWidth=0))
        else:
            dr.add(Line(e.x, cy, e.x + e.swatch_w, cy, strokeColor=_color(e.color), strokeWidth=LINE_WIDTH))
            if p.markers:
                dr.add(Circle(e.x + e.swatch_w / 2, cy, MARKER_SIZE / 2, fillColor=_color(e.color),
                              strokeColor=_color(e.color), strokeWidth=0.75))
        dr.add(_label(Label(e.x + e.swatch_w + p.legend_size * 0.4, e.y, W_MAX, e.h, e.text, p.legend_size,
                            el.text_color, align="left"), H))

    for lab in p.titles + tuple(t for t in (p.x_title, p.y_title) if t is not None):
        dr.add(_label(lab, H))
    return dr


def _heatmap_drawing(el):
    from reportlab.graphics.shapes import Group, Rect

    p = plan_heatmap(el)
    dr = _new_drawing(el)
    H = el.h
    g = Group()
    for row in p.cells:
        for cell in row:
            _cell(cell, H, g)
    dr.add(g)
    for sw in p.scale_swatches:
        dr.add(Rect(sw.x, H - sw.y - sw.h, sw.w, sw.h, fillColor=_color(sw.fill), strokeColor=_color(sw.fill),
                    strokeWidth=0.25))
    s0, s1 = p.scale_swatches[0], p.scale_swatches[-1]
    dr.add(Rect(s0.x, H - s0.y - s0.h, s0.w, s0.y + s0.h - s1.y, fillColor=None, strokeColor=_color(AXIS),
                strokeWidth=0.5))
    for lab in p.labels:
        dr.add(_label(lab, H))
    return dr


def build_drawing(el):
    """The chart of a ChartBox as a reportlab Drawing of size (el.w, el.h)."""
    if el.data.plot == "heatmap":
        return _heatmap_drawing(el)
    return _xy_drawing(el)


def draw_chart(page, el) -> None:
    """Draw the chart of `el` as vector graphics on a PdfPage, inside the box."""
    from reportlab.graphics import renderPDF

    renderPDF.draw(build_drawing(el), page.c, el.x, page.y(el.y + el.h))
