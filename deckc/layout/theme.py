"""The default theme: sizes in points, colours as hex. One place to restyle every deck.

Colours are the Okabe-Ito palette (safe for the common colour-vision deficiencies); text
colours are chosen for WCAG AA contrast (>= 4.5:1) on the backgrounds they sit on.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

SLIDE_W = 960.0      # 13.333 in
SLIDE_H = 540.0      # 7.5 in


@dataclass(frozen=True)
class Tone:
    fill: str
    border: str
    text: str


@dataclass(frozen=True)
class TypeScale:
    """One size (points) per text role, the same on every slide of a deck: stepping through the
    slides, text never jumps in size. The layout never shrinks a box to fit; a slide that does not
    fit is rebalanced, then continued on a "(cont.)" slide. Only a slide marked `split: false`
    shrinks, by one `step` for the whole slide, and never below `floor` (the footer excepted)."""

    display: float = 48.0             # the lesson title on the title slide
    section: float = 44.0             # a section divider's title
    title: float = 32.0               # slide titles
    heading: float = 24.0             # analogy and card headings, panel titles, example sentences, math
    body: float = 20.0                # running text, bullets, callouts, quiz options (the back row needs ~20)
    secondary: float = 18.0           # card definitions, notes under a sentence, chips, table cells, sub-bullets
    caption: float = 16.0             # captions under figures and code, the title slide's smaller lines
    code: float = 16.0                # code listings
    chart: float = 14.0               # every text in a chart: ticks, labels, legend, heatmap numbers, its heading
    footer: float = 10.0              # module, lesson and page number: the only role below the floor
    floor: float = 14.0               # no role but the footer goes below this, shrunk or not
    step: float = 0.9                 # the one shrink step of a `split: false` slide that does not fit

    def at(self, role: str, s: float = 1.0) -> float:
        """The size of `role` at shrink factor s (1, or `step` on a slide that may not split)."""
        size = getattr(self, role)
        return size if s >= 1.0 or role == "footer" else max(round(size * s, 1), min(self.floor, size))


@dataclass(frozen=True)
class Theme:
    margin_x: float = 48.0
    title_y: float = 28.0
    content_top: float = 96.0
    content_bottom: float = 496.0
    footer_y: float = 510.0
    type: TypeScale = field(default_factory=TypeScale)

    gap: float = 14.0                 # between blocks
    col_gap: float = 24.0
    line_spacing: float = 1.2

    background: str = "FFFFFF"
    text: str = "1F2A44"              # 14.5:1 on white
    muted: str = "4A5568"             # 7.5:1 on white
    accent: str = "0072B2"            # Okabe-Ito blue, 5.0:1 on white
    highlight: str = "FCE38A"         # behind ==highlighted== words; text stays dark
    chip_fill: str = "E8F1F8"
    chip_border: str = "0072B2"
    table_header_fill: str = "0072B2"
    table_header_text: str = "FFFFFF"
    table_stripe: str = "F2F5F9"
    table_border: str = "C9CFD9"
    tones: dict = field(default_factory=lambda: {
        "problem": Tone(fill="FDEDEA", border="D55E00", text="8A2A00"),   # vermillion
        "insight": Tone(fill="E6F5EF", border="009E73", text="00573F"),   # bluish green
        "note": Tone(fill="EAF3FA", border="0072B2", text="12395C"),      # blue
    })
    # Charts: Okabe-Ito order, most distinguishable first.
    # E69F00 and 56B4E9 of the original eight are below 3:1 on white: a darker orange and a purple instead.
    palette: tuple[str, ...] = ("0072B2", "D55E00", "009E73", "CC79A7", "A66A00", "7A5195", "000000")
    rule: str = "D5DBE3"              # the footer's hairline (decoration)

    # Identity, typefaces and logo (deckc.layout.themes: built-ins; deckc.spec.theme_file: theme files).
    # Typefaces are the names the PPTX runs and theme1.xml carry; the PDF and HTML draw with the
    # shipped faces the layout measures with (Liberation Sans is metric-compatible with Arial).
    name: str = "deckc default"      # theme1.xml's name
    font_heading: str = "Arial"
    font_body: str = "Arial"
    font_mono: str = "Courier New"
    font_ea: str | None = None        # East Asian typeface in theme1.xml (a:ea), where set
    font_cs: str | None = None        # complex-script typeface (a:cs), where set
    logo: object = None               # an images.ImageFile drawn in the bottom-right corner, or None
    # The institution's template (deckc.template.Template) the PPTX is made from, or None
    template: object = None


DEFAULT_THEME = Theme()


def rgb(c: str) -> tuple[int, int, int]:
    """'RRGGBB' -> (r, g, b), 0..255."""
    return int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16)


@lru_cache(maxsize=4096)
def mix(color: str, other: str, t: float) -> str:
    """`color` moved a fraction t (clamped to 0..1) towards `other`: fading without transparency."""
    t = min(1.0, max(0.0, t))
    return "".join(f"{round(x + (y - x) * t):02X}" for x, y in zip(rgb(color), rgb(other)))


@lru_cache(maxsize=1024)       # a heatmap asks once per cell, for a handful of colours
def luminance(c: str) -> float:
    """WCAG 2 relative luminance of an 'RRGGBB' colour."""
    def lin(v):
        v /= 255.0
        return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4
    r, g, b = (lin(v) for v in rgb(c))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


@lru_cache(maxsize=1024)
def contrast(a: str, b: str) -> float:
    """WCAG 2 contrast ratio, 1..21."""
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)
