"""The shipped font files: reportlab names, file names, the Office family a PPTX names for each,
and the styles text asks for."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

FONT_DIR = Path(__file__).resolve().parent

# reportlab-registered names (prefixed so they cannot collide with anything
# else registered in the process) -> file in FONT_DIR.
SANS = "Deckc-LiberationSans"
SANS_BOLD = "Deckc-LiberationSans-Bold"
SANS_ITALIC = "Deckc-LiberationSans-Italic"
SANS_BOLD_ITALIC = "Deckc-LiberationSans-BoldItalic"
MONO = "Deckc-LiberationMono"
DEJAVU = "Deckc-DejaVuSans"
DEJAVU_BOLD = "Deckc-DejaVuSans-Bold"
CJK = "Deckc-DroidSansFallback"
EMOJI = "Deckc-NotoEmoji"

FONT_FILES = {
    SANS: "LiberationSans-Regular.ttf",
    SANS_BOLD: "LiberationSans-Bold.ttf",
    SANS_ITALIC: "LiberationSans-Italic.ttf",
    SANS_BOLD_ITALIC: "LiberationSans-BoldItalic.ttf",
    MONO: "LiberationMono-Regular.ttf",
    DEJAVU: "DejaVuSans.ttf",
    DEJAVU_BOLD: "DejaVuSans-Bold.ttf",
    CJK: "DroidSansFallback.ttf",
    EMOJI: "NotoEmoji-Regular.ttf",
}

# What a PPTX should name.  Liberation Sans/Mono are metric-compatible with
# Arial/Courier New (same advance widths), which every PowerPoint has, so
# line breaks computed with our metrics hold in PowerPoint.  Fallback faces
# get the closest common Office family (best effort; PowerPoint substitutes
# per glyph anyway).
PPTX_TYPEFACES = {
    SANS: "Arial", SANS_BOLD: "Arial", SANS_ITALIC: "Arial", SANS_BOLD_ITALIC: "Arial",
    MONO: "Courier New",
    DEJAVU: "Segoe UI Symbol", DEJAVU_BOLD: "Segoe UI Symbol",
    CJK: "Microsoft YaHei",
    EMOJI: "Segoe UI Emoji",
}


@dataclass(frozen=True)
class Style:
    bold: bool = False
    italic: bool = False
    mono: bool = False
