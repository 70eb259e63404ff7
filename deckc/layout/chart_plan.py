"""Chart geometry for the layout: computed once per ChartBox, drawn alike by every writer.

Measured with the shipped font metrics (Liberation Sans, metric-compatible with the Arial
the PPTX names). The parts live by job:

- :mod:`.chart_scale`: number formats and value scales (linear "nice" ticks, log decades);
- :mod:`.chart_parts`: shared constants, colours, measured text, Label and Cell;
- :mod:`.chart_xy`: line and bar charts (:func:`plan_xy`);
- :mod:`.chart_heatmap`: heatmaps (:func:`plan_heatmap`).

Here: :func:`with_geometry`, which the layout applies to every placed ChartBox so writers
only draw, and :func:`readable_height`, the height a chart needs to keep its text at full
size. Coordinates in the plans are points relative to the ChartBox's top-left, y down, and
everything in a plan lies inside (0, 0, box.w, box.h). Nothing here is random or
time-dependent.
"""
from __future__ import annotations

import math
from dataclasses import replace

from .chart_heatmap import HeatmapPlan, plan_heatmap
from .chart_parts import OKABE_ITO, Cell, Label, text_width, title_lines
from .chart_scale import Scale, format_number, linear_scale, log_scale
from .chart_xy import Bar, CategoryLabel, LegendEntry, Line, XYPlan, frame_xy, plan_xy
from .plan import ChartBox, Element

__all__ = ["Bar", "CategoryLabel", "Cell", "HeatmapPlan", "Label", "LegendEntry", "Line", "Scale", "XYPlan",
           "format_number", "linear_scale", "log_scale", "plan_chart", "plan_heatmap", "plan_xy",
           "readable_height", "text_width", "title_lines", "with_geometry"]


def plan_chart(el: ChartBox) -> XYPlan | HeatmapPlan:
    """The complete geometry of the chart in box `el` (its size, data, palette and font size)."""
    return plan_heatmap(el) if el.data.plot == "heatmap" else plan_xy(el)


def with_geometry(el: Element) -> Element:
    """A placed ChartBox with its geometry filled in (computed here, once); other elements as they are."""
    if isinstance(el, ChartBox):
        return replace(el, geometry=plan_chart(el))
    return el


def readable_height(data, w: float, font_size: float, palette: tuple[str, ...] = OKABE_ITO,
                    heading: str | None = None, heading_size: float = 0.0) -> float:
    """Smallest ChartBox height (points) at which, for this chart at width `w`, every label keeps
    `font_size` (titles, axis titles, category/row/column labels) and a line/bar plot area is at
    least 8 font sizes tall. Writers draw any box; this is for a layout that wants to know."""

    def ok(h: float) -> bool:
        el = ChartBox(name="probe", x=0.0, y=0.0, w=w, h=h, data=data, palette=palette, font_size=font_size,
                      heading=heading, heading_size=heading_size)
        if data.plot == "heatmap":
            p = plan_heatmap(el)
            if not p.cells_fit:
                return False
            labels = list(p.row_labels) + list(p.col_labels)
        else:
            p = frame_xy(el)        # the frame decides the sizes; what is drawn inside it does not
            if p.plot[3] < 8 * font_size or p.cat_size < font_size:
                return False
            labels = []
        labels += [t for t in (p.x_title, p.y_title) if t is not None]
        return all(lab.size >= font_size - 1e-9 for lab in labels)

    lo, hi = 40.0, 2000.0
    if not ok(hi):
        return hi
    while hi - lo > 0.5:
        mid = (lo + hi) / 2
        lo, hi = (lo, mid) if ok(mid) else (mid, hi)
    return math.ceil(hi)
