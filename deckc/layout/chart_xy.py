"""Line and bar chart geometry: the value scale, the plot rectangle, category-label rotation /
skip / size, legend and titles (:func:`frame_xy`, what sizing needs), then everything drawn
inside it (:func:`plan_xy`: gridlines, tick and category labels, bars, line points, legend
labels), so a writer only draws. Coordinates: points from the ChartBox's top-left, y down.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace

from .chart_parts import (GAP_WIDTH, MARKERS_UP_TO, PAD, SUP_SCALE, TICK, W_MAX, Label, SIN45, fit_size,
                          series_colors, text_width, title_labels)
from .chart_scale import Scale, linear_scale, log_scale


@dataclass(frozen=True)
class LegendEntry:
    x: float                      # left of the swatch
    y: float                      # top of the row
    h: float
    swatch_w: float
    text: str
    color: str


@dataclass(frozen=True)
class CategoryLabel:
    """A category label at its tick: x is the tick's, y the top of the label band. Rotation 0: centred
    below; -45 / -90 (reads upwards): the label's end is at the tick."""

    x: float
    y: float
    text: str
    size: float
    color: str
    rotation: int


@dataclass(frozen=True)
class Bar:
    x: float
    top: float
    bottom: float
    w: float
    fill: str


@dataclass(frozen=True)
class Line:
    """A series of a line chart: unbroken stretches of (x, y) points (a missing value breaks the
    line), with a marker on every point when the plan says markers."""

    color: str
    runs: tuple[tuple[tuple[float, float], ...], ...]


@dataclass(frozen=True)
class XYPlan:
    plot_type: str                # line | bar
    titles: tuple[Label, ...]
    plot: tuple[float, float, float, float]     # x, y, w, h of the plot area (inside the axes)
    scale: Scale
    cat_rotation: int             # 0, -45, -90 (degrees, PowerPoint sense: negative = reads upwards)
    cat_skip: int                 # label every n-th category (1 = all)
    cat_size: float
    mid_cat: bool                 # points on the tick marks (line) vs between them (bar)
    markers: bool
    colors: tuple[str, ...]
    legend: tuple[LegendEntry, ...]
    legend_size: float
    legend_pos: str               # "bottom" | "right" | "" (no legend)
    x_title: Label | None
    y_title: Label | None
    tick_gap: float               # tick label <-> axis distance
    x_scale: Scale | None = None  # scatter: a number axis for x (the categories are the x values)
    # What is drawn in and around the plot (plan_xy fills these; frame_xy leaves them empty):
    grid_y: tuple[float, ...] = ()            # a gridline per tick of the scale
    value_labels: tuple[Label, ...] = ()      # the tick labels, one per gridline
    axis_y: float = 0.0                       # the category axis: at 0 if the scale shows it, else the bottom
    tick_x: tuple[float, ...] = ()            # category tick marks, hanging TICK below the axis
    cat_labels: tuple[CategoryLabel, ...] = ()
    bars: tuple[Bar, ...] = ()
    lines: tuple[Line, ...] = ()              # one per series of a line chart
    legend_labels: tuple[Label, ...] = ()     # one per legend entry

    def cat_x(self, i: int, n: int) -> float:
        x, _, w, _ = self.plot
        if self.mid_cat:
            return x + (w / 2 if n == 1 else i * w / (n - 1))
        return x + (i + 0.5) * w / n

    def val_y(self, v: float) -> float | None:
        f = self.scale.frac(v)
        if f is None:
            return None
        x, y, w, h = self.plot
        return y + h - f * h


def _is_number(s: str) -> bool:
    try:
        float(s)
        return True
    except ValueError:
        return False


def _fit_categories(cats, step: float, fs: float) -> tuple[int, int, float]:
    """(rotation, skip, size) so category labels do not overlap."""
    if not cats:
        return 0, 1, fs
    maxw = max(text_width(c, fs) for c in cats)
    lh = fs * 1.25
    if all(_is_number(c) for c in cats):
        for skip in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000):
            if step * skip >= maxw + fs * 0.8:
                return 0, skip, fs
        return 0, max(1, math.ceil((maxw + fs) / step)), fs
    if step >= maxw + fs * 0.6:
        return 0, 1, fs
    if step * SIN45 >= lh:
        return -45, 1, fs
    if step >= lh:
        return -90, 1, fs
    size = step / 1.25
    if size >= 7.0:
        return -90, 1, size
    return -90, math.ceil(lh / step), fs


def _cat_block(cats, rotation: int, skip: int, size: float) -> tuple[float, float]:
    """Height of the category-label band below the axis, and how far labels reach left of their x."""
    shown = [c for i, c in enumerate(cats) if i % skip == 0] or [""]
    maxw = max(text_width(c, size) for c in shown)
    if rotation == 0:
        return size * 1.2, 0.0
    if rotation == -45:
        return maxw * SIN45 + size * 0.95, maxw * SIN45 + size * 0.3
    return maxw + size * 0.2, size * 0.6


def plan_xy(el) -> XYPlan:
    """The complete geometry of a line/bar chart: its frame and everything drawn in it."""
    return _marks(frame_xy(el), el)


def frame_xy(el) -> XYPlan:
    """Layout of a line/bar chart. The legend goes below the plot, or to its right when a
    bottom legend would leave the plot too flat (wide, short boxes)."""
    plan = _plan_xy(el, "bottom")
    if len(el.data.series) > 1 and plan.plot[3] < 0.45 * el.h:
        right = _plan_xy(el, "right")
        if right.plot[3] > plan.plot[3] and right.plot[2] >= 0.5 * el.w and right.cat_size >= plan.cat_size:
            plan = right
    return plan


def _plan_xy(el, legend_pos: str) -> XYPlan:
    d = el.data
    fs = el.font_size
    W, H = el.w, el.h
    bar = d.plot == "bar"
    x_scale = None
    cats = d.categories
    if d.plot == "scatter":        # x on a number axis: its tick labels take the categories' place
        xs = [float(c) for c in d.categories]
        x_scale = linear_scale(min(xs), max(xs), 7, "0")
        cats = x_scale.labels
    n = len(cats)
    colors = series_colors(el)
    titles, top = title_labels(el, PAD)
    top += fs * 0.7                 # room for the half-height of the top tick label

    bottom = H - PAD
    right_edge = W - PAD
    legend: list[LegendEntry] = []
    if len(d.series) > 1:
        sw = fs * 0.8 if bar else fs * 2.0
        gap_in, gap_between = fs * 0.4, fs * 1.2
        rh = fs * 1.4
        widths = [sw + gap_in + text_width(s.name, fs) for s in d.series]
        if legend_pos == "right":             # one entry per row, centred on the box height
            lw = max(widths)
            x = W - PAD - lw
            y = (H - rh * len(widths)) / 2
            for s, c in zip(d.series, colors):
                legend.append(LegendEntry(x, y, rh, sw, s.name, c))
                y += rh
            right_edge = x - fs * 0.8
        else:
            rows: list[list[tuple[float, str, str]]] = [[]]
            row_w = [0.0]
            for s, c, ew in zip(d.series, colors, widths):
                # a row keeps two font sizes spare: LibreOffice draws legend entries a little wider
                if rows[-1] and row_w[-1] + gap_between + ew > W - 2 * PAD - 2 * fs:
                    rows.append([])
                    row_w.append(0.0)
                row_w[-1] += (gap_between if rows[-1] else 0.0) + ew
                rows[-1].append((ew, s.name, c))
            y = bottom - rh * len(rows)
            for r, rw in zip(rows, row_w):
                x = (W - rw) / 2
                for ew, name, c in r:
                    legend.append(LegendEntry(x, y, rh, sw, name, c))
                    x += ew + gap_between
                y += rh
            bottom -= rh * len(rows) + fs * 0.3

    x_title_h = fs * 1.2 if d.x_label else 0.0
    if d.x_label:
        bottom -= x_title_h + fs * 0.2
    left = PAD
    if d.y_label:
        left += fs * 1.2 + fs * 0.3
    tick_gap = fs * 0.4

    # Scale <-> plot height <-> tick-label width <-> category fit: settle by iterating.
    values = [v for s in d.series for v in s.values if v is not None and math.isfinite(v)]
    rotation, skip, csize = 0, 1, fs
    cat_h, cat_reach = fs * 1.2, 0.0
    plot_x = left
    for _ in range(4):
        ph = bottom - (TICK + fs * 0.2 + cat_h) - top
        max_ticks = min(11 if d.log_y else 7, max(2, int(ph // (fs * 2.0)) + 1))
        if d.log_y:
            scale = log_scale(min((v for v in values if v > 0), default=1.0), max(values, default=1.0),
                              max_ticks)
        else:
            scale = linear_scale(min(values, default=0.0), max(values, default=1.0), max_ticks,
                                 d.value_format)
        tw = max(text_width(t, fs) + (text_width(sup, fs * SUP_SCALE) if sup else 0.0) for t, sup in scale.parts)
        plot_x = left + tw + tick_gap + 1.0
        right = right_edge
        if not bar and rotation == 0 and n and (n - 1) % skip == 0:
            right -= text_width(cats[-1], csize) / 2
        pw = right - plot_x
        step = pw / max(1, (n - 1) if not bar else n)
        rotation, skip, csize = _fit_categories(cats, step, fs)
        cat_h, cat_reach = _cat_block(cats, rotation, skip, csize)
        first_x = plot_x + (step / 2 if bar else 0.0)
        if first_x - cat_reach < PAD:     # long rotated first label: move the plot right
            plot_x += PAD - (first_x - cat_reach)
    x_right = right_edge
    if not bar and rotation == 0 and n and (n - 1) % skip == 0:
        x_right -= text_width(cats[-1], csize) / 2
    ph = bottom - (TICK + fs * 0.2 + cat_h) - top
    plot = (plot_x, top, x_right - plot_x, ph)

    x_title = y_title = None
    if d.x_label:
        size = fit_size(d.x_label, fs, W - 2 * PAD, 7.0)
        y0 = top + ph + TICK + fs * 0.2 + cat_h + fs * 0.2
        cx = plot_x + plot[2] / 2
        half = min(cx - PAD, W - PAD - cx)
        if text_width(d.x_label, size) <= 2 * half:       # centred under the plot
            x_title = Label(cx - half, y0, 2 * half, x_title_h, d.x_label, size, el.text_color)
        else:                                             # centred in the box
            x_title = Label(PAD, y0, W - 2 * PAD, x_title_h, d.x_label, size, el.text_color)
    if d.y_label:
        # centred on the plot (where PowerPoint puts it); it may run past the plot's ends, not the box's
        cy = top + ph / 2
        half = min(cy - PAD, H - PAD - cy)
        size = fit_size(d.y_label, fs, 2 * half, 7.0)
        y_title = Label(PAD, cy - half, fs * 1.2, 2 * half, d.y_label, size, el.text_color, rotation=-90)
    return XYPlan(
        plot_type="bar" if bar else ("scatter" if x_scale else "line"), titles=titles, plot=plot, scale=scale,
        cat_rotation=rotation, cat_skip=skip, cat_size=csize, mid_cat=not bar,
        markers=bool(x_scale) or (not bar and n <= MARKERS_UP_TO), colors=colors, legend=tuple(legend),
        legend_size=fs, legend_pos=legend_pos if legend else "", x_title=x_title, y_title=y_title,
        tick_gap=tick_gap, x_scale=x_scale,
    )


def _marks(p: XYPlan, el) -> XYPlan:
    d = el.data
    px, py, pw, ph = p.plot
    fs = el.font_size
    n = len(d.categories)
    grid = tuple(p.val_y(t) for t in p.scale.ticks)
    value_labels = tuple(Label(px - p.tick_gap - 60.0, yy - fs * 0.6, 60.0, fs * 1.2, txt, fs, el.text_color,
                               align="right", sup=sup) for yy, (txt, sup) in zip(grid, p.scale.parts))
    cross = 0.0 if (not p.scale.log and p.scale.lo <= 0.0 <= p.scale.hi) else p.scale.lo
    ay = p.val_y(cross)
    if p.mid_cat:
        tick_x = tuple(p.cat_x(i, n) for i in range(0, n, p.cat_skip))
    else:
        tick_x = tuple(px + i * pw / max(1, n) for i in range(0, n + 1, p.cat_skip))
    ly = py + ph + TICK + fs * 0.2
    cat_labels = tuple(CategoryLabel(p.cat_x(i, n), ly, c, p.cat_size, el.text_color, p.cat_rotation)
                       for i, c in enumerate(d.categories) if i % p.cat_skip == 0)
    if p.x_scale is not None:       # scatter: ticks and labels of the x number axis
        xs = p.x_scale
        tick_x = tuple(px + xs.frac(t) * pw for t in xs.ticks)[::p.cat_skip]
        cat_labels = tuple(CategoryLabel(px + xs.frac(t) * pw, ly, lab, p.cat_size, el.text_color, p.cat_rotation)
                           for i, (t, lab) in enumerate(zip(xs.ticks, xs.labels)) if i % p.cat_skip == 0)
    bars: list[Bar] = []
    lines: list[Line] = []
    if p.plot_type == "bar":
        k = len(d.series)
        step = pw / max(1, n)
        bw = step / (k + GAP_WIDTH / 100.0)
        for si, (s, col) in enumerate(zip(d.series, p.colors)):
            for i, v in enumerate(s.values):
                y1 = p.val_y(v)
                if y1 is not None:
                    bars.append(Bar(px + i * step + (step - k * bw) / 2 + si * bw, min(y1, ay), max(y1, ay), bw, col))
    elif p.x_scale is not None:     # scatter: every point on its own (markers, no line)
        for s, col in zip(d.series, p.colors):
            pts = [((px + p.x_scale.frac(float(c)) * pw), p.val_y(v)) for c, v in zip(d.categories, s.values)]
            lines.append(Line(col, tuple(((x, y),) for x, y in pts if y is not None)))
    else:
        for s, col in zip(d.series, p.colors):
            runs: list[list[tuple[float, float]]] = [[]]
            for i, v in enumerate(s.values):
                yy = p.val_y(v)
                if yy is None:
                    if runs[-1]:
                        runs.append([])
                    continue
                runs[-1].append((p.cat_x(i, n), yy))
            lines.append(Line(col, tuple(tuple(r) for r in runs if r)))
    legend_labels = tuple(Label(e.x + e.swatch_w + p.legend_size * 0.4, e.y, W_MAX, e.h, e.text, p.legend_size,
                                el.text_color, align="left") for e in p.legend)
    return replace(p, grid_y=grid, value_labels=value_labels, axis_y=ay, tick_x=tick_x, cat_labels=cat_labels,
                   bars=tuple(bars), lines=tuple(lines), legend_labels=legend_labels)
