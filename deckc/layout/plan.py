"""The layout plan: every box on every slide, with measured and wrapped text, computed once.

Writers draw exactly this; they make no layout decisions. Units are points (1/72 in),
origin at the slide's top-left, y downwards. Colours are 'RRGGBB' hex strings.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Union

if TYPE_CHECKING:
    from ..charts.base import ChartData
    from .chart_heatmap import HeatmapPlan
    from .chart_xy import XYPlan


@dataclass(frozen=True)
class Run:
    text: str
    bold: bool = False
    italic: bool = False
    mono: bool = False
    color: str = "1F2A44"
    highlight: str | None = None      # background colour behind the run


@dataclass(frozen=True)
class Para:
    runs: tuple[Run, ...]
    size: float                       # font size in points
    lines: tuple[tuple[Run, ...], ...]  # the wrapped lines, as measured by the layout
    line_height: float
    align: str = "left"               # left | center | right
    space_before: float = 0.0
    bullet: str | None = None         # bullet character, drawn in the hanging indent
    indent: float = 0.0               # hanging indent for bullets
    rtl: bool = False                 # a right-to-left paragraph: starts (and its bullet hangs) at the right

    @property
    def height(self) -> float:
        return self.space_before + len(self.lines) * self.line_height


@dataclass(frozen=True)
class Frame:
    name: str                         # element name for warnings and the PPTX shape name
    x: float
    y: float
    w: float
    h: float

    @property
    def right(self) -> float:
        return self.x + self.w

    @property
    def bottom(self) -> float:
        return self.y + self.h


@dataclass(frozen=True)
class TextBox(Frame):
    paras: tuple[Para, ...] = ()
    pad: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)   # left, top, right, bottom
    valign: str = "top"               # top | middle
    fill: str | None = None
    border: str | None = None
    radius: float = 0.0               # corner radius; 0 = square
    alt: str = ""                     # alt text (for filled boxes, read by screen readers)
    role: str = "body"                # title | body | footer | caption

    @property
    def text(self) -> str:
        return "\n".join("".join(r.text for r in p.runs) for p in self.paras)


@dataclass(frozen=True)
class Shape(Frame):
    """A non-text shape (rect, round rect, ellipse)."""

    kind: str = "rect"                # rect | roundrect | ellipse
    fill: str | None = None
    border: str | None = None
    radius: float = 0.0
    alt: str = ""


@dataclass(frozen=True)
class Arrow(Frame):
    """An arrow from (x, y) to (x + w, y + h), bowed upwards by `bow` points."""

    color: str = "1F2A44"
    width: float = 2.0
    bow: float = 0.0
    alt: str = ""


@dataclass(frozen=True)
class TableCell:
    paras: tuple[Para, ...]
    fill: str | None = None


@dataclass(frozen=True)
class TableBox(Frame):
    col_widths: tuple[float, ...] = ()
    row_heights: tuple[float, ...] = ()
    cells: tuple[tuple[TableCell, ...], ...] = ()
    pad: tuple[float, float, float, float] = (6.0, 4.0, 6.0, 4.0)
    border: str = "C9CFD9"
    alt: str = ""


@dataclass(frozen=True)
class ChartBox(Frame):
    data: ChartData = None
    palette: tuple[str, ...] = ()
    text_color: str = "1F2A44"
    font_size: float = 11.0
    alt: str = ""
    # What to draw, computed by the layout from the fields above (chart_plan.with_geometry):
    # XYPlan for line/bar charts, HeatmapPlan for heatmaps. Writers draw it and compute nothing.
    geometry: XYPlan | HeatmapPlan | None = None


Element = Union[TextBox, Shape, Arrow, TableBox, ChartBox]


@dataclass(frozen=True)
class SlidePlan:
    number: int                       # 1-based
    title: str                        # plain text, for the PDF outline
    elements: tuple[Element, ...]     # draw order = reading order
    notes: str
    background: str = "FFFFFF"


@dataclass(frozen=True)
class DeckPlan:
    lesson_id: str
    title: str
    subject: str
    author: str
    keywords: str
    language: str
    width: float
    height: float
    slides: tuple[SlidePlan, ...]
    charts: tuple[ChartData, ...] = field(default=())
