"""Chart data: what a chart kind computes, independent of how any writer draws it."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Any, Callable

# How a chart is drawn. Writers map these to native types (pptx) or vector drawings (pdf).
PLOTS = ("line", "bar", "heatmap", "scatter")     # scatter: categories are the x values, as numbers


@dataclass(frozen=True)
class Series:
    name: str
    values: tuple[float, ...]


@dataclass(frozen=True)
class ChartData:
    """Numbers computed at build time plus everything needed to label them honestly.

    line/bar: `categories` are the x labels, one `Series` per line/bar group.
    heatmap: `categories` are the column labels, one `Series` per row (name = row label).
    """

    name: str                      # file-safe id, used for charts/<name>.csv
    plot: str                      # one of PLOTS
    title: str
    x_label: str
    y_label: str
    categories: tuple[str, ...]
    series: tuple[Series, ...]
    description: str               # alt text: what the chart shows, in words, from the data
    notes: str = ""                # speaker-note sentence(s): how the data was made, honestly
    log_y: bool = False
    value_format: str = "0.00"     # number format for labels / heatmap cells

    def to_csv(self) -> str:
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow([self.x_label if self.plot != "heatmap" else ""] + [s.name for s in self.series]
                   if self.plot != "heatmap" else [""] + list(self.categories))
        if self.plot == "heatmap":
            for s in self.series:
                w.writerow([s.name] + [repr(float(v)) for v in s.values])
        else:
            for i, c in enumerate(self.categories):
                w.writerow([c] + [repr(float(s.values[i])) for s in self.series])
        return buf.getvalue()


@dataclass(frozen=True)
class Param:
    """One parameter of a chart kind, declared once: the spec schema and its validation come from here."""

    type: type                     # int, float, str, or list (of `item`)
    default: Any
    doc: str
    item: type | None = None       # element type when type is list
    min: float | None = None
    max: float | None = None
    choices: tuple | None = None


@dataclass(frozen=True)
class ChartKind:
    name: str
    doc: str
    params: dict[str, Param]
    compute: Callable[..., ChartData]   # compute(reference, **params) -> ChartData
    needs: tuple[str, ...] = field(default=())  # reference functions it calls, e.g. ("rnn_step",)
