"""Item analysis of one assignment: what a lecturer reads after grading.

From reports/<A>/tests.csv (one row per student x test cell) and pass_rates.csv (report.py: per
test, its pass rate and most common failure messages), writes in reports/<A>/:

- ``scores.csv``: the score histogram (ten bins of the maximum score, students per bin);
- ``items.html``: one self-contained page: the pass rate of every test cell and the score
  histogram as charts, then the table of tests with their most common failure messages.

The charts are deckc's own: the layout plans them (deckc.layout.chart_plan, as for a slide) and
the PDF writer's drawing code draws them (deckc.writers.pdf_charts.draw_with), here with a pen
that writes SVG. Every text is escaped (failure messages quote student code and names).
Deterministic: the same tests.csv gives the same bytes.
"""
from __future__ import annotations

import csv
import html
import math
from pathlib import Path


BINS = 10
WIDTH = 720.0


def _num(v: float) -> str:
    return f"{v:.2f}".rstrip("0").rstrip(".")


class SvgPen:
    """pdf_charts.Pen's methods (y up from the box's bottom-left), writing SVG elements."""

    def __init__(self, height: float):
        self.H = height
        self.parts: list[str] = []

    def _y(self, y: float) -> float:
        return self.H - y

    def line(self, x1, y1, x2, y2, color, width):
        if color and width > 0:
            self.parts.append(f'<line x1="{_num(x1)}" y1="{_num(self._y(y1))}" x2="{_num(x2)}" y2="{_num(self._y(y2))}" '
                              f'stroke="#{color}" stroke-width="{_num(width)}"/>')

    def rect(self, x, y, w, h, fill, stroke=None, width=0.0):
        attrs = f'fill="#{fill}"' if fill else 'fill="none"'
        if stroke and width > 0:
            attrs += f' stroke="#{stroke}" stroke-width="{_num(width)}"'
        self.parts.append(f'<rect x="{_num(x)}" y="{_num(self._y(y + h))}" width="{_num(w)}" height="{_num(h)}" '
                          f'{attrs}/>')

    def polyline(self, pts, color, width):
        points = " ".join(f"{_num(pts[i])},{_num(self._y(pts[i + 1]))}" for i in range(0, len(pts), 2))
        self.parts.append(f'<polyline points="{points}" fill="none" stroke="#{color}" stroke-width="{_num(width)}" '
                          'stroke-linejoin="round" stroke-linecap="round"/>')

    def circle(self, x, y, r, fill, stroke, width):
        self.parts.append(f'<circle cx="{_num(x)}" cy="{_num(self._y(y))}" r="{_num(r)}" fill="#{fill}" '
                          f'stroke="#{stroke}" stroke-width="{_num(width)}"/>')

    def text(self, x, y, text, size, color, bold=False, anchor="start", angle=0.0):
        sx, sy = _num(x), _num(self._y(y))
        rotate = f' transform="rotate({_num(-angle)} {sx} {sy})"' if angle else ""
        weight = ' font-weight="bold"' if bold else ""
        self.parts.append(f'<text x="{sx}" y="{sy}" font-size="{_num(size)}" fill="#{color}" '
                          f'text-anchor="{anchor}"{weight}{rotate}>{html.escape(text)}</text>')


def chart_svg(name: str, title: str, x_label: str, y_label: str, categories, values, height: float = 300.0) -> str:
    """A bar chart as inline SVG, planned by deckc's chart layout and drawn by its chart code."""
    from ..charts.base import ChartData, Series
    from ..layout.chart_parts import OKABE_ITO
    from ..layout.chart_plan import with_geometry
    from ..layout.plan import ChartBox
    from ..writers.pdf_charts import draw_with

    data = ChartData(name=name, plot="bar", title=title, x_label=x_label, y_label=y_label,
                     categories=tuple(categories), series=(Series(y_label, tuple(float(v) for v in values)),),
                     description=title, value_format="0")
    box = with_geometry(ChartBox(name=name, x=0.0, y=0.0, w=WIDTH, h=height, data=data, palette=OKABE_ITO,
                                 font_size=10.0))
    pen = SvgPen(height)
    draw_with(pen, box)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_num(WIDTH)} {_num(height)}" '
            f'width="{_num(WIDTH)}" height="{_num(height)}" role="img" aria-label="{html.escape(title)}" '
            'font-family="Liberation Sans, Arial, sans-serif">' + "".join(pen.parts) + "</svg>")


def histogram(totals: dict[str, tuple[float, float]]) -> list[dict]:
    """Ten bins of the maximum score; a full score falls in the last bin."""
    maximum = max((m for _, m in totals.values()), default=0.0) or 1.0
    counts = [0] * BINS
    for score, _ in totals.values():
        counts[min(BINS - 1, int(math.floor(BINS * score / maximum + 1e-9)))] += 1
    step = maximum / BINS
    return [{"from": _num(i * step), "to": _num((i + 1) * step), "students": counts[i]} for i in range(BINS)]


def _read(path: Path) -> list[dict]:
    if not path.is_file():
        return []
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def write_item_analysis(tests_csv: Path, reports: Path, assignment: str) -> Path:
    """scores.csv and items.html in `reports`; returns the HTML page's path."""
    rows = _read(Path(tests_csv))
    rates = _read(reports / "pass_rates.csv")
    totals: dict[str, list[float]] = {}
    for r in rows:
        t = totals.setdefault(r["student"], [0.0, 0.0])
        t[0] += float(r["points"] or 0)
        t[1] += float(r["max_points"] or 0)
    bins = histogram({s: (v[0], v[1]) for s, v in totals.items()})
    from .csv_reports import write_csv
    write_csv(reports / "scores.csv", ["from", "to", "students"], bins, {"from", "to", "students"})

    handed = [r for r in rates if r.get("pass_rate")]
    parts = [f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
             f"<title>Item analysis: {html.escape(assignment)}</title><style>{CSS}</style></head><body>",
             f"<h1>Item analysis: {html.escape(assignment)}</h1>",
             f"<p>{len(totals)} student(s); {len(rates)} test cell(s). Pass rate: the share of the students who "
             "handed the notebook in and got the test's full points.</p>"]
    if handed:
        parts.append("<h2>Pass rate per test cell</h2>")
        parts.append(chart_svg("pass-rates", "Pass rate per test cell (%)", "test cell", "pass rate (%)",
                               [r["test"] for r in handed], [100 * float(r["pass_rate"]) for r in handed],
                               height=360.0))
    if totals:
        parts.append("<h2>Scores</h2>")
        parts.append(chart_svg("scores", "Students per score range", "score", "students",
                               [f"{b['from']}-{b['to']}" for b in bins], [b["students"] for b in bins]))
    parts.append("<h2>Tests and their most common failures</h2><table><thead><tr><th>notebook</th><th>test</th>"
                 "<th>points</th><th>pass rate</th><th>passed / failed / partial / not submitted</th>"
                 "<th>most common failure messages</th></tr></thead><tbody>")
    for r in rates:
        failures = "".join(f"<li><span class=\"n\">{html.escape(r[f'failure_{i}_count'])}&times;</span> "
                           f"<code>{html.escape(_unsafe(r[f'failure_{i}']))}</code></li>"
                           for i in range(1, 4) if r.get(f"failure_{i}"))
        rate = f"{100 * float(r['pass_rate']):.0f}%" if r.get("pass_rate") else "-"
        parts.append(f"<tr><td>{html.escape(r['notebook'])}</td><td>{html.escape(r['test'])}</td>"
                     f"<td>{html.escape(r['max_points'])}</td><td>{rate}</td>"
                     f"<td>{r['passed']} / {r['failed']} / {r['partial']} / {r['not_submitted']}</td>"
                     f"<td><ul>{failures}</ul></td></tr>")
    parts.append("</tbody></table></body></html>\n")
    page = reports / "items.html"
    tmp = page.with_name(page.name + ".part")
    tmp.write_text("\n".join(parts), encoding="utf-8")
    tmp.replace(page)
    return page


def _unsafe(text: str) -> str:
    """A CSV cell as it was before csv_reports' apostrophe (the page is HTML, not a spreadsheet)."""
    from .csv_reports import FORMULA_START

    return text[1:] if text.startswith("'") and text[1:].startswith(FORMULA_START) else text


CSS = ("body{font-family:Liberation Sans,Arial,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;"
       "color:#1F2A44}table{border-collapse:collapse;width:100%}td,th{border:1px solid #ccd;padding:.3rem .5rem;"
       "vertical-align:top;text-align:left}ul{margin:0;padding-left:1rem}code{white-space:pre-wrap;"
       "overflow-wrap:anywhere}.n{font-weight:bold}svg{max-width:100%;height:auto}")
