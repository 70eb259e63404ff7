"""Heatmap geometry: a grid (a table: the PPTX writes it as a native one) of one cell per value
(colour from a sequential colour-blind-safe ramp, the value printed in a contrasting colour, and
in words), column labels heading the columns, row labels in the first column, the heading and
axis titles, and a colour-scale legend only when the cells cannot print their numbers.
Coordinates: points from the ChartBox's top-left, y down.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from .chart_parts import AXIS, HEAT_STEPS, PAD, Cell, Label, fit_size, heat_color, text_on, text_width, title_labels
from .chart_scale import finite, format_number, linear_scale


@dataclass(frozen=True)
class HeatmapPlan:
    titles: tuple[Label, ...]
    cells: tuple[tuple[Cell, ...], ...]       # [row][col]
    row_labels: tuple[Label, ...]
    col_labels: tuple[Label, ...]
    x_title: Label | None
    y_title: Label | None
    scale_swatches: tuple[Cell, ...]          # colour-scale legend, bottom (low) to top (high); none when
    scale_frame: Cell | None                  # the cells print their numbers (the legend would say it twice)
    scale_labels: tuple[Label, ...]
    lo: float
    hi: float
    # The grid as a table (what the PPTX writes natively): top-left corner, column widths (the row
    # labels' column first) and row heights (the column labels' row first). The labels and cells
    # above are exactly its cells.
    table_x: float = 0.0
    table_y: float = 0.0
    col_widths: tuple[float, ...] = ()
    row_heights: tuple[float, ...] = ()
    cells_fit: bool = True                    # every printed number is at the chart's font size

    @property
    def labels(self) -> tuple[Label, ...]:
        out = list(self.titles) + list(self.row_labels) + list(self.col_labels) + list(self.scale_labels)
        out += [t for t in (self.x_title, self.y_title) if t is not None]
        return tuple(out)


def plan_heatmap(el) -> HeatmapPlan:
    """A heatmap as a grid: column labels in the header row, row labels in the first column, each
    value in its cell at the chart's font size. The colour-scale legend only when the cells are too
    narrow to print their numbers."""
    d = el.data
    fs = el.font_size
    W, H = el.w, el.h
    rows, cols = len(d.series), len(d.categories)
    values = [v for s in d.series for v in s.values if v is not None and math.isfinite(v)]
    vmin, vmax = min(values, default=0.0), max(values, default=1.0)
    lo = min(0.0, vmin)
    hi = vmax if vmax > lo else lo + 1.0
    texts = [[format_number(v, d.value_format) if finite(v) else "" for v in s.values] for s in d.series]
    widest = max((text_width(t, 1.0) for r in texts for t in r), default=1.0) or 1.0

    titles, top = title_labels(el, PAD)
    top += fs * 0.3
    x_title = y_title = None
    x_top = top
    if d.x_label:                                  # above the column labels, which head the columns
        top += fs * 1.4
    left = PAD + (fs * 1.2 + fs * 0.3 if d.y_label else 0.0)
    row_w = max((text_width(s.name, fs) for s in d.series), default=0.0) + fs * 0.6

    def grid_width(legend: bool) -> float:
        room = W - PAD - left - row_w
        if legend:
            lw = max((text_width(format_number(t, linear_scale(lo, hi, 6, d.value_format).fmt), fs)
                      for t in linear_scale(lo, hi, 6, d.value_format).ticks), default=0.0)
            room -= fs * 0.8 + fs * 0.9 + fs * 0.3 + lw
        return max(1.0, room)

    show = (grid_width(False) / max(1, cols) - 3.0) / widest >= fs    # wide enough cells print their number
    for legend in (not show, True):
        gw = grid_width(legend)
        cw = gw / max(1, cols)
        col_maxw = max((text_width(c, fs) for c in d.categories), default=0.0)
        col_size = fs
        if cw >= col_maxw + fs * 0.5:
            col_rot, col_h = 0, fs * 1.4
        else:
            col_rot = -90
            if cw < fs * 1.2:
                col_size = max(6.0, cw / 1.2)
            col_h = max((text_width(c, col_size) for c in d.categories), default=0.0) + fs * 0.5
        gx, gy = left + row_w, top + col_h
        gh = max(1.0, H - PAD - gy)
        ch = gh / max(1, rows)
        cell_size = fs if (ch - 1.0) / 1.15 >= fs else max(0.0, (ch - 1.0) / 1.15)
        if cell_size < 6.0:          # too flat to print: the legend says what the colours mean
            show = False
        if legend or show:
            break
    row_size = min(fs, max(6.0, ch / 1.2))
    if d.x_label:                                  # centred over the grid, else over the box
        size = fit_size(d.x_label, fs, W - 2 * PAD, 7.0)
        fits = text_width(d.x_label, size) <= gw
        x_title = Label(gx if fits else PAD, x_top, gw if fits else W - 2 * PAD, fs * 1.2, d.x_label, size,
                        el.text_color)
    cells_fit = not show or cell_size >= fs

    cells = []
    for i, s in enumerate(d.series):
        row = []
        for j, v in enumerate(s.values):
            fill = heat_color((v - lo) / (hi - lo)) if finite(v) else "F2F2F2"
            words = format_number(v, d.value_format) if math.isfinite(v) else "no value"
            row.append(Cell(gx + j * cw, gy + i * ch, cw, ch, fill, texts[i][j] if show else "",
                            cell_size if show else 0.0, text_on(fill, el.text_color), line="FFFFFF",
                            alt=f"{s.name} / {d.categories[j]}: {words}"))
        cells.append(tuple(row))
    row_labels = tuple(Label(left, gy + i * ch, row_w - fs * 0.3, ch, s.name, row_size, el.text_color, align="right")
                       for i, s in enumerate(d.series))
    if col_rot == 0:
        col_labels = tuple(Label(gx + j * cw, top, cw, col_h, c, col_size, el.text_color)
                           for j, c in enumerate(d.categories))
    else:       # reads upwards, its start at the bottom, next to the grid
        col_labels = tuple(Label(gx + j * cw, top, cw, col_h, c, col_size, el.text_color, align="left",
                                 rotation=-90) for j, c in enumerate(d.categories))
    if d.y_label:
        cy = gy + gh / 2
        half = min(cy - PAD, H - PAD - cy)
        size = fit_size(d.y_label, fs, 2 * half, 7.0)
        y_title = Label(PAD, cy - half, fs * 1.2, 2 * half, d.y_label, size, el.text_color, rotation=-90)

    swatches: tuple[Cell, ...] = ()
    frame = None
    scale_labels = []
    if not show:        # colour scale: stacked swatches from lo (bottom) to hi (top), inset so end labels fit
        ticks = linear_scale(lo, hi, 6, d.value_format)
        legend_ticks = [t for t in ticks.ticks if lo - 1e-12 <= t <= hi + 1e-12]
        fmt = ticks.fmt
        sx = gx + gw + fs * 0.8
        sy0, sy1 = gy + fs * 0.6, gy + gh - fs * 0.6      # top, bottom of the strip
        sh = (sy1 - sy0) / HEAT_STEPS
        leg_w = fs * 0.9
        swatches = tuple(Cell(sx, sy1 - (k + 1) * sh, leg_w, sh, fill, line=fill, line_w=0.25,
                              alt=f"colour scale step {k + 1}: {format_number(lo + (hi - lo) * k / HEAT_STEPS, fmt)} "
                                  f"to {format_number(lo + (hi - lo) * (k + 1) / HEAT_STEPS, fmt)}")
                         for k, fill in ((k, heat_color((k + 0.5) / HEAT_STEPS)) for k in range(HEAT_STEPS)))
        s0, s1 = swatches[0], swatches[-1]
        frame = Cell(s0.x, s1.y, s0.w, s0.y + s0.h - s1.y, None, line=AXIS, line_w=0.5,
                     alt=f"colour scale from {format_number(lo, fmt)} (white) to {format_number(hi, fmt)} (dark blue)")
        for t in legend_ticks:
            txt = format_number(t, fmt)
            yc = sy1 - (t - lo) / (hi - lo) * (sy1 - sy0)
            scale_labels.append(Label(sx + leg_w + fs * 0.3, yc - fs * 0.6, text_width(txt, fs) + 1.0, fs * 1.2,
                                      txt, fs, el.text_color, align="left"))
    return HeatmapPlan(titles, tuple(cells), row_labels, col_labels, x_title, y_title, swatches, frame,
                       tuple(scale_labels), lo, hi, table_x=left, table_y=top,
                       col_widths=(row_w,) + (cw,) * cols, row_heights=(col_h,) + (ch,) * rows,
                       cells_fit=cells_fit)
