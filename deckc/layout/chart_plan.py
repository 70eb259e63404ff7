"""Chart geometry, computed once per ChartBox and drawn alike by both writers.

Measured with the shipped font metrics (Liberation Sans, metric-compatible with the
Arial the PPTX names):

- :func:`plan_xy` for line and bar charts: the value scale (linear "nice" ticks, or
  a log axis with ticks at powers of ten), the plot rectangle, category-label
  rotation / skip / size, legend and title placement;
- :func:`plan_heatmap` for heatmaps: one rectangle per cell (colour from a
  sequential colour-blind-safe ramp, value text with a contrasting colour), row and
  column labels, title, axis titles and a colour-scale legend;
- :func:`readable_height`: the height a chart needs to keep its text at full size.

Coordinates in the plans are points relative to the ChartBox's top-left, y down,
and everything in a plan lies inside (0, 0, box.w, box.h). Nothing here is random
or time-dependent.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache

from ..fonts import Style, font_book
from .theme import contrast, mix

PAD = 4.0                     # inner margin of the chart box
GRID = "D9DEE7"               # value-axis gridlines
AXIS = "8A94A6"               # category axis line and tick marks
LINE_WIDTH = 2.25             # series lines
MARKER_SIZE = 5.0             # marker diameter, points (PowerPoint marker size is in points too)
MARKERS_UP_TO = 20            # line charts with at most this many points get markers
GAP_WIDTH = 60                # bar charts: gap between clusters, % of one bar's width
TICK = 4.0                    # tick mark length
HEAT_LOW, HEAT_HIGH = "FFFFFF", "0072B2"   # heatmap ramp: white -> Okabe-Ito blue
HEAT_STEPS = 20               # colour-scale legend: stacked swatches
W_MAX = 1000.0                # box width for left-aligned labels whose extent is just their text
OKABE_ITO = ("0072B2", "D55E00", "009E73", "CC79A7", "E69F00", "56B4E9", "000000")
SIN45 = math.sqrt(0.5)


# -- numbers ------------------------------------------------------------------------------------

_FMT = re.compile(r"([#,0]*)(?:\.([0#]+))?(?:[Ee]([+-])(0+))?")


@lru_cache(maxsize=8192)       # axis and cell labels repeat across the layout's size probes
def format_number(value: float, fmt: str) -> str:
    """Format like an Excel/PowerPoint number format of the common forms:
    ``0``, ``0.00``, ``#,##0.0``, ``0%``, ``0.0E+00``, ``0E+0``; anything else -> ``%g``."""
    v = float(value)
    if not math.isfinite(v):
        return str(v)
    core = (fmt or "").strip()
    pct = core.endswith("%")
    if pct:
        core, v = core[:-1], v * 100.0
    m = _FMT.fullmatch(core) if core and core.lower() != "general" else None
    if not m or not (m.group(1) or m.group(2)):
        return f"{v:g}"
    int_part, dec, e_sign, e_digits = m.groups()
    d = len(dec or "")
    if e_sign:
        mant, exp = f"{v:.{d}e}".split("e")
        exp = int(exp)
        sign = "-" if exp < 0 else ("+" if e_sign == "+" else "")
        out = f"{mant}E{sign}{str(abs(exp)).zfill(len(e_digits))}"
    else:
        out = f"{v:,.{d}f}" if "," in int_part else f"{v:.{d}f}"
    if out.startswith("-") and not re.search(r"[1-9]", out.split("E")[0]):
        out = out[1:]                      # no "-0.00"
    return out + ("%" if pct else "")


def _decimals(fmt: str) -> int:
    m = _FMT.fullmatch((fmt or "").strip().rstrip("%"))
    return len(m.group(2) or "") if m else 0


@dataclass(frozen=True)
class Scale:
    """A value axis. Linear: `step` is added between ticks; log: `step` multiplies (10**k)."""

    log: bool
    lo: float
    hi: float
    step: float
    ticks: tuple[float, ...]
    fmt: str                      # number format of the tick labels

    def frac(self, v: float) -> float | None:
        """Position of v along the axis, 0 at lo .. 1 at hi; None if v cannot be shown (NaN, log of <= 0)."""
        if v is None or not math.isfinite(v):
            return None
        if self.log:
            if not (v > 0):
                return None
            a, b = math.log10(self.lo), math.log10(self.hi)
            return (math.log10(v) - a) / (b - a)
        return (v - self.lo) / (self.hi - self.lo)

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(format_number(t, self.fmt) for t in self.ticks)


def linear_scale(vmin: float, vmax: float, max_ticks: int, fmt: str) -> Scale:
    """Ticks at multiples of 1, 2 or 5 x 10^e; the axis includes 0 and ends on ticks."""
    lo, hi = min(0.0, vmin), max(0.0, vmax)
    if hi - lo <= 0:
        hi = lo + 1.0
    max_ticks = max(2, max_ticks)
    step = None
    e = math.floor(math.log10((hi - lo) / max_ticks)) - 1
    while step is None:
        for m in (1, 2, 5):
            s = m * 10.0 ** e
            n = math.ceil(hi / s - 1e-9) - math.floor(lo / s + 1e-9) + 1
            if n <= max_ticks:
                step = s
                break
        e += 1
    a, b = math.floor(lo / step + 1e-9), math.ceil(hi / step - 1e-9)
    ticks = tuple(_clean(i * step) for i in range(a, b + 1))
    need = max(0, -math.floor(math.log10(step) + 1e-9))
    if "E" not in fmt.upper() and _decimals(fmt) < need:
        fmt = "0." + "0" * need            # the data format would print two ticks alike
    return Scale(False, ticks[0], ticks[-1], step, ticks, fmt)


def log_scale(vmin: float, vmax: float, max_ticks: int) -> Scale:
    """Log10 axis: bounds at powers of ten, ticks every k decades (k chosen to fit), lo a multiple of k."""
    if not (vmin > 0):
        vmin = 1.0
    if not (vmax > 0):
        vmax = vmin
    lo_e, hi_e = math.floor(math.log10(vmin) + 1e-9), math.ceil(math.log10(vmax) - 1e-9)
    if hi_e <= lo_e:
        hi_e = lo_e + 1
    max_ticks = max(2, max_ticks)
    for k in (1, 2, 3, 4, 5, 6, 10, 20, 50, 100):
        a = math.floor(lo_e / k) * k
        b = -(-hi_e // k) * k            # the top is a tick too
        if (b - a) // k + 1 <= max_ticks:
            break
    ticks = tuple(10.0 ** e for e in range(a, b + 1, k))
    return Scale(True, 10.0 ** a, 10.0 ** b, 10.0 ** k, ticks, "0E+0")


def _finite(v) -> bool:
    return v is not None and math.isfinite(v)


def _clean(x: float) -> float:
    return float(f"{x:.12g}")


# -- colours ------------------------------------------------------------------------------------

def heat_color(t: float) -> str:
    """Sequential ramp (white -> Okabe-Ito blue), readable for the common colour-vision deficiencies."""
    return mix(HEAT_LOW, HEAT_HIGH, t)


def text_on(fill: str, dark: str) -> str:
    """White or `dark`, whichever contrasts more with the fill."""
    return "FFFFFF" if contrast("FFFFFF", fill) > contrast(dark, fill) else dark


def series_colors(el) -> tuple[str, ...]:
    pal = tuple(el.palette) or OKABE_ITO
    return tuple(pal[i % len(pal)].lstrip("#").upper() for i in range(len(el.data.series)))


# -- text ---------------------------------------------------------------------------------------

@lru_cache(maxsize=16384)
def text_width(text: str, size: float, bold: bool = False) -> float:
    return font_book().width(text, Style(bold=bold), size)


def wrap(text: str, width: float, size: float, bold: bool = False) -> list[str]:
    lines, cur = [], ""
    for word in text.split():
        cand = f"{cur} {word}" if cur else word
        if cur and text_width(cand, size, bold) > width:
            lines.append(cur)
            cur = word
        else:
            cur = cand
    return lines + [cur] if cur else lines or [""]


@dataclass(frozen=True)
class Label:
    """One line of text in the box (x, y, w, h), centred vertically, aligned left/center/right.

    rotation -90: the text reads upwards inside the same (visual) box; "right" then means
    the end of the text is at the top.
    """

    x: float
    y: float
    w: float
    h: float
    text: str
    size: float
    color: str
    bold: bool = False
    align: str = "center"
    rotation: int = 0


@dataclass(frozen=True)
class Cell:
    """A filled rectangle, optionally with centred text."""

    x: float
    y: float
    w: float
    h: float
    fill: str
    text: str = ""
    size: float = 0.0
    text_color: str = "000000"
    line: str | None = None


TITLE_WRAP = 0.75     # chart titles wrap at this fraction of the box width (PowerPoint/LibreOffice
#                       wrap a long chart title themselves at roughly 80%; the PPTX gets our breaks)


def title_lines(el) -> tuple[tuple[str, ...], float]:
    """The chart title as wrapped lines and its font size (bold, 1.25 x font size; smaller if it
    would take more than two lines or a word would not fit)."""
    fs = el.font_size
    width = el.w - 2 * PAD
    size = fs * 1.25
    while True:
        lines = wrap(el.data.title, width * TITLE_WRAP, size, True)
        too_long = max(text_width(ln, size, True) for ln in lines) > width
        if (len(lines) <= 2 and not too_long) or size <= 7.0:
            return tuple(lines), size
        size = max(7.0, size - 0.5)


def _title(el, top: float) -> tuple[tuple[Label, ...], float]:
    """Title labels, centred, from the top; returns them and the new top."""
    lines, size = title_lines(el)
    out = []
    for line in lines:
        out.append(Label(PAD, top, el.w - 2 * PAD, size * 1.2, line, size, el.text_color, bold=True))
        top += size * 1.2
    return tuple(out), top


def _fit_size(text: str, size: float, length: float, floor: float) -> float:
    w = text_width(text, size)
    return size if w <= length else max(floor, size * length / w)


# -- line / bar plan ----------------------------------------------------------------------------

@dataclass(frozen=True)
class LegendEntry:
    x: float                      # left of the swatch
    y: float                      # top of the row
    h: float
    swatch_w: float
    text: str
    color: str


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
    n = len(d.categories)
    bar = d.plot == "bar"
    colors = series_colors(el)
    titles, top = _title(el, PAD)
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
                if rows[-1] and row_w[-1] + gap_between + ew > W - 2 * PAD:
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
        tw = max(text_width(t, fs) for t in scale.labels)
        plot_x = left + tw + tick_gap + 1.0
        right = right_edge
        if not bar and rotation == 0 and n and (n - 1) % skip == 0:
            right -= text_width(d.categories[-1], csize) / 2
        pw = right - plot_x
        step = pw / max(1, (n - 1) if not bar else n)
        rotation, skip, csize = _fit_categories(d.categories, step, fs)
        cat_h, cat_reach = _cat_block(d.categories, rotation, skip, csize)
        first_x = plot_x + (step / 2 if bar else 0.0)
        if first_x - cat_reach < PAD:     # long rotated first label: move the plot right
            plot_x += PAD - (first_x - cat_reach)
    x_right = right_edge
    if not bar and rotation == 0 and n and (n - 1) % skip == 0:
        x_right -= text_width(d.categories[-1], csize) / 2
    ph = bottom - (TICK + fs * 0.2 + cat_h) - top
    plot = (plot_x, top, x_right - plot_x, ph)

    x_title = y_title = None
    if d.x_label:
        size = _fit_size(d.x_label, fs, W - 2 * PAD, 7.0)
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
        size = _fit_size(d.y_label, fs, 2 * half, 7.0)
        y_title = Label(PAD, cy - half, fs * 1.2, 2 * half, d.y_label, size, el.text_color, rotation=-90)
    return XYPlan(
        plot_type="bar" if bar else "line", titles=titles, plot=plot, scale=scale,
        cat_rotation=rotation, cat_skip=skip, cat_size=csize, mid_cat=not bar,
        markers=(not bar and n <= MARKERS_UP_TO), colors=colors, legend=tuple(legend), legend_size=fs,
        legend_pos=legend_pos if legend else "", x_title=x_title, y_title=y_title, tick_gap=tick_gap,
    )


# -- heatmap plan -------------------------------------------------------------------------------

@dataclass(frozen=True)
class HeatmapPlan:
    titles: tuple[Label, ...]
    cells: tuple[tuple[Cell, ...], ...]       # [row][col]
    row_labels: tuple[Label, ...]
    col_labels: tuple[Label, ...]
    x_title: Label | None
    y_title: Label | None
    scale_swatches: tuple[Cell, ...]          # colour-scale legend, bottom (low) to top (high)
    scale_labels: tuple[Label, ...]
    lo: float
    hi: float

    @property
    def labels(self) -> tuple[Label, ...]:
        out = list(self.titles) + list(self.row_labels) + list(self.col_labels) + list(self.scale_labels)
        out += [t for t in (self.x_title, self.y_title) if t is not None]
        return tuple(out)


def plan_heatmap(el) -> HeatmapPlan:
    d = el.data
    fs = el.font_size
    W, H = el.w, el.h
    rows, cols = len(d.series), len(d.categories)
    values = [v for s in d.series for v in s.values if v is not None and math.isfinite(v)]
    vmin, vmax = min(values, default=0.0), max(values, default=1.0)
    lo = min(0.0, vmin)
    hi = vmax if vmax > lo else lo + 1.0
    ticks = linear_scale(lo, hi, 6, d.value_format)
    legend_ticks = [t for t in ticks.ticks if lo - 1e-12 <= t <= hi + 1e-12]

    titles, top = _title(el, PAD)
    top += fs * 0.4
    bottom = H - PAD
    x_title = y_title = None
    if d.x_label:
        bottom -= fs * 1.2 + fs * 0.2
    left = PAD + (fs * 1.2 + fs * 0.3 if d.y_label else 0.0)
    row_size = fs
    row_w = max((text_width(s.name, row_size) for s in d.series), default=0.0) + fs * 0.5
    leg_labels = [format_number(t, ticks.fmt) for t in legend_ticks]
    leg_w = fs * 0.9
    leg_lw = max((text_width(t, fs) for t in leg_labels), default=0.0)
    right = W - PAD - (fs * 0.8 + leg_w + fs * 0.3 + leg_lw)
    gx = left + row_w
    gw = max(1.0, right - gx)
    cw = gw / max(1, cols)
    col_maxw = max((text_width(c, fs) for c in d.categories), default=0.0)
    col_size = fs
    if cw >= col_maxw + fs * 0.4:
        col_rot, col_h = 0, fs * 1.2
    else:
        col_rot = -90
        if cw < fs * 1.2:
            col_size = max(6.0, cw / 1.2)
        col_h = max((text_width(c, col_size) for c in d.categories), default=0.0) + fs * 0.3
    gy = top
    gh = max(1.0, bottom - fs * 0.2 - col_h - gy)
    ch = gh / max(1, rows)
    row_size = min(fs, max(6.0, ch / 1.2))

    # Cell text: one size for all cells, as large as fits (font size at most), or none below 6 pt.
    texts = [[format_number(v, d.value_format) if _finite(v) else "" for v in s.values] for s in d.series]
    widest = max((text_width(t, 1.0) for r in texts for t in r), default=1.0) or 1.0
    cell_size = min(fs, (cw - 3.0) / widest, (ch - 1.0) / 1.15)
    show = cell_size >= 6.0
    cells = []
    for i, s in enumerate(d.series):
        row = []
        for j, v in enumerate(s.values):
            fill = heat_color((v - lo) / (hi - lo)) if _finite(v) else "F2F2F2"
            row.append(Cell(gx + j * cw, gy + i * ch, cw, ch, fill, texts[i][j] if show else "",
                            cell_size if show else 0.0, text_on(fill, el.text_color), line="FFFFFF"))
        cells.append(tuple(row))
    row_labels = tuple(Label(left, gy + i * ch, row_w - fs * 0.4, ch, s.name, row_size, el.text_color,
                             align="right") for i, s in enumerate(d.series))
    if col_rot == 0:
        col_labels = tuple(Label(gx + j * cw, gy + gh + fs * 0.2, cw, col_h, c, col_size, el.text_color)
                           for j, c in enumerate(d.categories))
    else:
        col_labels = tuple(Label(gx + j * cw, gy + gh + fs * 0.2, cw, col_h - fs * 0.1, c, col_size,
                                 el.text_color, align="right", rotation=-90)
                           for j, c in enumerate(d.categories))
    if d.x_label:
        size = _fit_size(d.x_label, fs, W - 2 * PAD, 7.0)
        x_title = Label(gx, H - PAD - fs * 1.2, gw, fs * 1.2, d.x_label, size, el.text_color)
        if text_width(d.x_label, size) > gw:
            x_title = Label(PAD, H - PAD - fs * 1.2, W - 2 * PAD, fs * 1.2, d.x_label, size, el.text_color)
    if d.y_label:
        cy = gy + gh / 2
        half = min(cy - PAD, H - PAD - cy)
        size = _fit_size(d.y_label, fs, 2 * half, 7.0)
        y_title = Label(PAD, cy - half, fs * 1.2, 2 * half, d.y_label, size, el.text_color, rotation=-90)

    # Colour scale: stacked swatches from lo (bottom) to hi (top), inset so end labels fit.
    sx = right + fs * 0.8
    sy0, sy1 = gy + fs * 0.6, gy + gh - fs * 0.6      # top, bottom of the strip
    sh = (sy1 - sy0) / HEAT_STEPS
    swatches = tuple(Cell(sx, sy1 - (k + 1) * sh, leg_w, sh, heat_color((k + 0.5) / HEAT_STEPS))
                     for k in range(HEAT_STEPS))
    scale_labels = []
    for t, txt in zip(legend_ticks, leg_labels):
        yc = sy1 - (t - lo) / (hi - lo) * (sy1 - sy0)
        scale_labels.append(Label(sx + leg_w + fs * 0.3, yc - fs * 0.6, leg_lw + 1.0, fs * 1.2, txt, fs,
                                  el.text_color, align="left"))
    return HeatmapPlan(titles, tuple(cells), row_labels, col_labels, x_title, y_title, swatches,
                       tuple(scale_labels), lo, hi)


# -- sizing help for the layout -----------------------------------------------------------------

def readable_height(data, w: float, font_size: float, palette: tuple[str, ...] = OKABE_ITO) -> float:
    """Smallest ChartBox height (points) at which, for this chart at width `w`, every label keeps
    `font_size` (titles, axis titles, category/row/column labels) and a line/bar plot area is at
    least 8 font sizes tall. Writers draw any box; this is for a layout that wants to know."""
    from ..layout.plan import ChartBox

    def ok(h: float) -> bool:
        el = ChartBox(name="probe", x=0.0, y=0.0, w=w, h=h, data=data, palette=palette, font_size=font_size)
        if data.plot == "heatmap":
            p = plan_heatmap(el)
            labels = list(p.row_labels) + list(p.col_labels)
        else:
            p = plan_xy(el)
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
