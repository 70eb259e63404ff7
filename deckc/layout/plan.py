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
class MathArt:
    """A formula laid out in STIX Two Math (deckc.texmath.render), in em units: multiply by the
    font size. x from the left edge, y down from the baseline. Keeps its TeX and MathML so any
    writer can also emit it natively (OMML in the PPTX, MathML in HTML)."""

    tex: str
    mathml: str
    display: bool
    width: float
    ascent: float                     # above the baseline
    descent: float                    # below it
    glyphs: tuple[tuple[tuple, ...], ...] = ()   # one filled outline per glyph: ("M", x, y), ("L", x, y),
    #                                              ("Q", x1, y1, x, y), ("C", x1, y1, x2, y2, x, y), ("Z",)
    rects: tuple[tuple[float, float, float, float], ...] = ()   # filled rules (fraction bars): x, y, w, h
    linear: str = ""                  # one line of Unicode (x_t, a^2): for search, alt text, non-math viewers


@dataclass(frozen=True)
class Run:
    text: str
    bold: bool = False
    italic: bool = False
    mono: bool = False
    color: str = "1F2A44"
    highlight: str | None = None      # background colour behind the run
    math: MathArt | None = None       # inline math ($...$): drawn from the art; `text` is its linear form


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
    margin: float = 0.0               # left offset of the whole paragraph (nested bullets)
    step: int = 0                     # the click that reveals it (0: shown from the start)
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
    step: int = 0                     # the click that reveals it (0: shown from the start)

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
    role: str = "body"                # title | subtitle | body | footer | caption | label (a diagram's); the PPTX fills placeholders by role

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
    decorative: bool = False          # ornament only (accent band, rule, backdrop): screen readers skip it


@dataclass(frozen=True)
class Arrow(Frame):
    """An arrow from (x, y) to (x + w, y + h), bowed upwards by `bow` points."""

    color: str = "1F2A44"
    width: float = 2.0
    bow: float = 0.0
    alt: str = ""
    decorative: bool = False          # says nothing the text beside it does not


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
    header_rows: int = 1              # the first rows are column headers


@dataclass(frozen=True)
class ChartBox(Frame):
    data: ChartData = None
    palette: tuple[str, ...] = ()
    text_color: str = "1F2A44"
    font_size: float = 14.0
    alt: str = ""
    heading: str | None = None        # the chart's one heading: the spec's caption, else the data's title
    heading_size: float = 0.0         # its size (the type scale's caption size); 0: 1.25 x font_size
    # What to draw, computed by the layout from the fields above (chart_plan.with_geometry):
    # XYPlan for line/bar charts, HeatmapPlan for heatmaps. Writers draw it and compute nothing.
    geometry: XYPlan | HeatmapPlan | None = None


@dataclass(frozen=True)
class MathBox(Frame):
    """A display formula; the frame is its ink box at `size`: the baseline is at y + art.ascent * size."""

    art: MathArt = None
    size: float = 24.0
    color: str = "1F2A44"
    alt: str = ""


@dataclass(frozen=True)
class CodeBox(TextBox):
    """A code listing: one Para per displayed line (mono runs coloured by token, indentation as
    spaces), drawn like any text box; a writer that knows listings (HTML) can use the source.
    The background and the shading of highlighted lines are Shapes placed before it."""

    lang: str = "text"
    source: str = ""                  # tabs expanded
    highlight: tuple[int, ...] = ()   # 1-based source lines
    wrapped: int = 0                  # source lines too long for the box, continued on a line marked CONTINUED


CONTINUED = "\u2192 "                 # starts a wrapped line's continuation ("→ ")


@dataclass(frozen=True)
class ImageBox(Frame):
    """A figure, its frame the drawn picture (aspect ratio kept). `data` is the file as read."""

    src: str = ""
    format: str = "png"               # png | jpeg | svg (sniffed from the bytes)
    data: bytes = b""
    pixel_w: float = 0.0
    pixel_h: float = 0.0
    alt: str = ""
    decorative: bool = False
    master: bool = False              # drawn by the PPTX template's master or layout (a logo): the PPTX skips it


Element = Union[TextBox, Shape, Arrow, TableBox, ChartBox, MathBox, CodeBox, ImageBox]


@dataclass(frozen=True)
class SlidePlan:
    number: int                       # 1-based
    title: str                        # plain text, for the PDF outline
    elements: tuple[Element, ...]     # draw order = reading order
    notes: str
    background: str = "FFFFFF"
    section: str | None = None        # the section it belongs to (plain text), for outlines
    level: int = 0                    # outline depth: 0 for sections (and slides before the first), 1 inside one
    steps: int = 0                    # clicks its reveals take (the highest element or paragraph step)
    layout: str = "content"           # title | section | content: the PPTX slide layout it uses
    source: int = -1                  # the spec slide it comes from (lesson.slides index)
    part: int = 0                     # 0; 1, 2, ... for its "(cont.)" slides (a quiz's answer slide is part 1)


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
    # Charts the layout had to leave off their slide (no room), placed at a page's size for the formats
    # that have room for them (the HTML page): each with its geometry, so no writer lays one out.
    spare_charts: tuple[ChartBox, ...] = field(default=())
    # The theme the deck was laid out in: the PPTX writes its colours and fonts into theme1.xml
    # (and takes its template, if any); the HTML page its colours.
    theme: object = None
