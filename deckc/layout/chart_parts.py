"""What every chart is drawn with: the shared constants, colours, text measured with the shipped
fonts, and the two drawn primitives (a one-line Label, a filled Cell). Coordinates are points
relative to the ChartBox's top-left, y down."""
from __future__ import annotations

import math
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


# -- colours ------------------------------------------------------------------------------------

def heat_color(t: float) -> str:
    """Sequential ramp (white -> Okabe-Ito blue), readable for the common colour-vision deficiencies."""
    return mix(HEAT_LOW, HEAT_HIGH, t)


def text_on(fill: str, dark: str) -> str:
    """White or `dark`, whichever contrasts more with the fill; black where neither reaches 4.5:1
    (a dark theme's `dark` is its light text colour, which reads on no light cell)."""
    best = "FFFFFF" if contrast("FFFFFF", fill) > contrast(dark, fill) else dark
    return best if contrast(best, fill) >= 4.5 else max(("FFFFFF", dark, "000000"), key=lambda c: contrast(c, fill))


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
    sup: str = ""                 # a superscript after the text (the exponent of a "10^n" tick), SUP_SCALE
    #                               x the size, raised SUP_RISE x the size; `text` then is the base ("10")

    @property
    def width(self) -> float:
        """The drawn width of the text and its superscript."""
        return text_width(self.text, self.size, self.bold) + (text_width(self.sup, self.size * SUP_SCALE, self.bold)
                                                              if self.sup else 0.0)


SUP_SCALE, SUP_RISE = 0.7, 0.38   # a superscript: 70 % of the size, its baseline 38 % of the size higher


@dataclass(frozen=True)
class Cell:
    """A rectangle (filled, outlined or both), optionally with centred text, and what it shows in
    words (alt text: a heatmap cell may be too small to print its value)."""

    x: float
    y: float
    w: float
    h: float
    fill: str | None
    text: str = ""
    size: float = 0.0
    text_color: str = "000000"
    line: str | None = None
    line_w: float = 0.75
    alt: str = ""


TITLE_WRAP = 0.75     # chart titles wrap at this fraction of the box width (PowerPoint/LibreOffice
#                       wrap a long chart title themselves at roughly 80%; the PPTX gets our breaks)


def heading_text(el) -> str:
    """The chart's one heading (ChartBox.heading: the spec's caption), else its data's title."""
    return el.heading if el.heading is not None else el.data.title


def title_lines(el) -> tuple[tuple[str, ...], float]:
    """The chart's heading as wrapped lines and its font size: bold at its heading size (1.25 x the
    chart text size if the box does not say) in up to two lines, else at the chart text size in as
    many lines as it takes (never smaller)."""
    fs = el.font_size
    width = el.w - 2 * PAD
    for size in (getattr(el, "heading_size", 0.0) or fs * 1.25, fs):
        lines = wrap(heading_text(el), width * TITLE_WRAP, size, True)
        if len(lines) <= 2 and max(text_width(ln, size, True) for ln in lines) <= width:
            break
    return tuple(lines), size


def title_labels(el, top: float) -> tuple[tuple[Label, ...], float]:
    """Title labels, centred, from the top; returns them and the new top."""
    lines, size = title_lines(el)
    out = []
    for line in lines:
        out.append(Label(PAD, top, el.w - 2 * PAD, size * 1.2, line, size, el.text_color, bold=True))
        top += size * 1.2
    return tuple(out), top


def fit_size(text: str, size: float, length: float, floor: float) -> float:
    w = text_width(text, size)
    return size if w <= length else max(floor, size * length / w)
