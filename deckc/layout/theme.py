"""The default theme: sizes in points, colours as hex. One place to restyle every deck.

Colours are the Okabe-Ito palette (safe for the common colour-vision deficiencies); text
colours are chosen for WCAG AA contrast (>= 4.5:1) on the backgrounds they sit on.
"""
from __future__ import annotations

from dataclasses import dataclass, field

SLIDE_W = 960.0      # 13.333 in
SLIDE_H = 540.0      # 7.5 in


@dataclass(frozen=True)
class Tone:
    fill: str
    border: str
    text: str


@dataclass(frozen=True)
class Theme:
    margin_x: float = 48.0
    title_y: float = 28.0
    title_size: float = 32.0
    content_top: float = 96.0
    content_bottom: float = 496.0
    footer_y: float = 510.0
    footer_size: float = 10.0

    body_size: float = 20.0
    small_size: float = 15.0
    min_size: float = 11.0            # text never shrinks below this; past it, a warning
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
    palette: tuple[str, ...] = ("0072B2", "D55E00", "009E73", "CC79A7", "E69F00", "56B4E9", "000000")


DEFAULT_THEME = Theme()


def mix(color: str, other: str, t: float) -> str:
    """`color` moved a fraction t towards `other` (used for fading without transparency)."""
    a = [int(color[i:i + 2], 16) for i in (0, 2, 4)]
    b = [int(other[i:i + 2], 16) for i in (0, 2, 4)]
    return "".join(f"{round(x + (y - x) * t):02X}" for x, y in zip(a, b))
