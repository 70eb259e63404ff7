"""Charts in the HTML lesson: inline SVG with <title>/<desc>, plus a "show data" table.

The SVG draws the same geometry as the PDF (deckc.layout.chart_plan, drawn by
deckc.writers.pdf_charts.draw_geometry) through an SVG pen instead of a reportlab canvas. Its
viewBox is the chart box of the layout plan, so the chart scales with the page width and its
text stays real text.
"""
from __future__ import annotations

import math

from ...layout.chart_plan import format_number
from ..pdf_charts import draw_geometry
from .blocks import esc, inline


def _n(v: float) -> str:
    """A coordinate, short and deterministic."""
    r = round(v, 2)
    if r == 0:
        return "0"
    return f"{r:.2f}".rstrip("0").rstrip(".")


class SvgPen:
    """pdf_charts.Pen's five methods, writing SVG elements. Those get y-up coordinates (origin at the
    box's bottom-left); SVG's origin is the top-left, y down."""

    def __init__(self, height: float):
        self.H = height
        self.out: list[str] = []

    def _y(self, y: float) -> float:
        return self.H - y

    @staticmethod
    def _stroke(color, width) -> str:
        return f' stroke="#{color}" stroke-width="{_n(width)}"' if color and width > 0 else ""

    def line(self, x1, y1, x2, y2, color: str, width: float) -> None:
        if color and width > 0:
            self.out.append(f'<line x1="{_n(x1)}" y1="{_n(self._y(y1))}" x2="{_n(x2)}" y2="{_n(self._y(y2))}"'
                            f'{self._stroke(color, width)}/>')

    def rect(self, x, y, w, h, fill, stroke=None, width=0.0) -> None:
        fill_attr = f'#{fill}' if fill else "none"
        self.out.append(f'<rect x="{_n(x)}" y="{_n(self._y(y + h))}" width="{_n(w)}" height="{_n(h)}" '
                        f'fill="{fill_attr}"{self._stroke(stroke, width)}/>')

    def polyline(self, pts, color: str, width: float) -> None:
        coords = " ".join(f"{_n(pts[i])},{_n(self._y(pts[i + 1]))}" for i in range(0, len(pts), 2))
        self.out.append(f'<polyline points="{coords}" fill="none" stroke-linejoin="round" stroke-linecap="round"'
                        f'{self._stroke(color, width)}/>')

    def circle(self, x, y, r, fill: str, stroke: str, width: float) -> None:
        self.out.append(f'<circle cx="{_n(x)}" cy="{_n(self._y(y))}" r="{_n(r)}" fill="#{fill}"'
                        f'{self._stroke(stroke, width)}/>')

    def text(self, x, y, text: str, size: float, color: str, bold: bool = False, anchor: str = "start",
             angle: float = 0.0) -> None:
        sx, sy = _n(x), _n(self._y(y))
        rot = f' transform="rotate({_n(-angle)} {sx} {sy})"' if angle else ""
        weight = ' font-weight="700"' if bold else ""
        self.out.append(f'<text x="{sx}" y="{sy}" font-size="{_n(size)}" fill="#{color}" text-anchor="{anchor}"'
                        f'{weight}{rot}>{esc(text)}</text>')


def chart_svg(el, uid: str) -> str:
    """The chart of ChartBox `el` as an accessible inline SVG."""
    d = el.data
    pen = SvgPen(el.h)
    draw_geometry(pen, el)
    return (f'<svg class="chart-svg" viewBox="0 0 {_n(el.w)} {_n(el.h)}" role="img" '
            f'aria-labelledby="{uid}-t {uid}-d" preserveAspectRatio="xMidYMid meet">'
            f'<title id="{uid}-t">{esc(d.title)}</title><desc id="{uid}-d">{esc(d.description)}</desc>'
            f'<g aria-hidden="true">{"".join(pen.out)}</g></svg>')


def _fmt(v: float, fmt: str) -> str:
    return format_number(v, fmt) if math.isfinite(v) else "–"


def data_table(d) -> str:
    """The numbers behind the chart, as a table (the same as charts/<name>.csv)."""
    if d.plot == "heatmap":
        head = ['<th scope="col"><span class="visually-hidden">row</span></th>'] + \
            [f'<th scope="col">{esc(c)}</th>' for c in d.categories]
        rows = [f'<tr><th scope="row">{esc(s.name)}</th>'
                + "".join(f"<td>{_fmt(v, d.value_format)}</td>" for v in s.values) + "</tr>" for s in d.series]
    else:
        head = [f'<th scope="col">{esc(d.x_label)}</th>'] + [f'<th scope="col">{esc(s.name)}</th>' for s in d.series]
        fmt = d.value_format if not d.log_y else "0.00E+00"
        rows = [f'<tr><th scope="row">{esc(c)}</th>'
                + "".join(f"<td>{_fmt(s.values[i], fmt)}</td>" for s in d.series) + "</tr>"
                for i, c in enumerate(d.categories)]
    return (f'<div class="table-wrap" tabindex="0" role="region" aria-label="Data: {esc(d.title)}">'
            f'<table class="data"><caption>{esc(d.y_label)}</caption><thead><tr>{"".join(head)}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table></div>')


def chart_figure(el, uid: str, caption: str | None) -> str:
    cap = f'<figcaption dir="auto">{inline(caption)}</figcaption>' if caption else ""
    return (f'<figure class="chart" id="{uid}">{chart_svg(el, uid)}{cap}'
            f'<details class="chart-data"><summary>Show data</summary>{data_table(el.data)}</details></figure>')
