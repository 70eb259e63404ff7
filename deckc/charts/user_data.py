"""Charts of the lecturer's own numbers: `chart: {kind: line | bar | heatmap, data: ... | csv: ...}`.

The numbers become the same ChartData the computed kinds make, so they are drawn the same way
(native, editable charts in the PPTX, vector in the PDF, a CSV beside the deck).

    line/bar/scatter:  data: {x: [1, 2, 3], series: {train: [0.9, 0.5, 0.3], test: [1.0, 0.7, 0.6]}}
               csv: a header row (x label, series names), then one row per x value
    heatmap:   data: {rows: [a, b], cols: [x, y, z], values: [[...], [...]]}
               csv: a header row (blank, column labels), then a row label and its values per row
"""
from __future__ import annotations

import csv
import hashlib
import io
import math
import re

from .base import ChartData, Series

USER_KINDS = ("line", "bar", "scatter", "heatmap")
MAX_POINTS = 2000


def _label(v) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _number(v, where: str) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        try:
            v = float(str(v).strip())
        except ValueError:
            raise ValueError(f"{where}: expected a number, got {v!r}") from None
    if not math.isfinite(float(v)):
        raise ValueError(f"{where}: {v!r} is not a finite number")
    return float(v)


def _name(kind: str, title: str, payload: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:40] or kind
    return f"{slug}-{hashlib.sha256(payload.encode()).hexdigest()[:8]}"


def _format_of(series) -> str:
    """The axis format the numbers need: "0" for whole numbers (900, not 900.00), up to two decimals
    (the value scale adds more where its step is finer)."""
    decimals = max((len(f"{v:.2f}".rstrip("0").split(".")[1]) for s in series for v in s.values), default=0)
    return "0." + "0" * decimals if decimals else "0"


def build(kind: str, params: dict, table: dict) -> ChartData:
    """ChartData from checked parameters and a table: {x, series} (line/bar) or {rows, cols, values}."""
    title = params.get("title") or ""
    if kind == "heatmap":
        rows, cols, values = table["rows"], table["cols"], table["values"]
        if len(values) != len(rows):
            raise ValueError(f"values has {len(values)} rows but rows names {len(rows)}")
        series = []
        for i, (r, vals) in enumerate(zip(rows, values)):
            if len(vals) != len(cols):
                raise ValueError(f"values[{i}] has {len(vals)} numbers but cols names {len(cols)}")
            series.append(Series(_label(r), tuple(_number(v, f"values[{i}][{j}]") for j, v in enumerate(vals))))
        cats = tuple(_label(c) for c in cols)
        lo = min(min(s.values) for s in series)
        hi = max(max(s.values) for s in series)
        desc = (f"Heatmap{': ' + title if title else ''}, {len(rows)} rows by {len(cols)} columns, "
                f"values from {lo:g} to {hi:g}.")
    else:
        xs, named = table["x"], table["series"]
        if not named:
            raise ValueError("series is empty: give at least one named list of values")
        series = []
        for name, vals in named.items():
            if len(vals) != len(xs):
                raise ValueError(f"series '{name}' has {len(vals)} values but x has {len(xs)}")
            series.append(Series(str(name), tuple(_number(v, f"series '{name}'[{j}]") for j, v in enumerate(vals))))
        if params.get("log_y") and any(v <= 0 for s in series for v in s.values):
            raise ValueError("log_y needs every value above zero")
        if kind == "scatter":       # x is a position on a number axis
            xs = [_number(x, f"x[{j}]") for j, x in enumerate(xs)]
        cats = tuple(_label(x) for x in xs)
        parts = [f"{s.name} from {s.values[0]:g} to {s.values[-1]:g}" for s in series]
        desc = (f"{kind.capitalize()} chart{': ' + title if title else ''}; {params.get('y_label') or 'values'} "
                f"over {len(cats)} values of {params.get('x_label') or 'x'}: " + "; ".join(parts) + ".")
    if sum(len(s.values) for s in series) > MAX_POINTS:
        raise ValueError(f"more than {MAX_POINTS} numbers; a slide cannot show them")
    payload = repr((kind, cats, [(s.name, s.values) for s in series], sorted(params.items())))
    return ChartData(name=_name(kind, title, payload), plot=kind, title=title,
                     x_label=params.get("x_label") or "", y_label=params.get("y_label") or "",
                     categories=cats, series=tuple(series), description=desc,
                     notes="Data given in the lesson spec.", log_y=bool(params.get("log_y")),
                     value_format="0.00" if kind == "heatmap" else _format_of(series))


def table_from_csv(kind: str, text: str) -> dict:
    """The table in a CSV file, in `build`'s shape; ValueError says which row is wrong."""
    rows = [r for r in csv.reader(io.StringIO(text)) if any(c.strip() for c in r)]
    if len(rows) < 2:
        raise ValueError("needs a header row and at least one row of data")
    head, body = rows[0], rows[1:]
    for n, r in enumerate(body, start=2):
        if len(r) != len(head):
            raise ValueError(f"row {n} has {len(r)} cells but the header has {len(head)}")
    if kind == "heatmap":
        return {"rows": [r[0] for r in body], "cols": head[1:],
                "values": [[_number(v, f"row {n}, column {j + 2}") for j, v in enumerate(r[1:])]
                           for n, r in enumerate(body, start=2)]}
    if len(head) < 2:
        raise ValueError("needs an x column and at least one series column")
    xs = [r[0] for r in body]
    return {"x": xs, "series": {name: [_number(r[k], f"row {n}, column '{name}'") for n, r in enumerate(body, start=2)]
                                for k, name in enumerate(head[1:], start=1)}}
