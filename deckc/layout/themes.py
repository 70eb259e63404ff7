"""The built-in themes (`lesson.theme: default | dark | high-contrast`) and what a theme's colours
must satisfy: text at >= 4.5:1 against what it sits on, graphics (chart series, borders that carry
meaning, the accent band) at >= 3:1 (WCAG 2.2, 1.4.3 and 1.4.11). `contrast_problems` checks a
theme; a theme file that fails gets the failures as errors, the built-ins are tested with it.
"""
from __future__ import annotations

from dataclasses import replace

from .theme import DEFAULT_THEME, Theme, Tone, contrast

DARK = replace(
    DEFAULT_THEME, name="deckc dark",
    background="14181F", text="F2F5F9", muted="B9C3D1", accent="56B4E9", highlight="6B4E00",
    chip_fill="223044", chip_border="56B4E9", table_header_fill="56B4E9", table_header_text="0B1220",
    table_stripe="1D2430", table_border="4A5568", rule="3A4556",
    tones={"problem": Tone(fill="3B1F17", border="F08A5D", text="FFC2A8"),
           "insight": Tone(fill="12352B", border="3CC79A", text="A8F0D6"),
           "note": Tone(fill="15293D", border="56B4E9", text="BFE3F8")},
    palette=("56B4E9", "E69F00", "3CC79A", "F0A3C9", "F0E442", "F08A5D", "FFFFFF"),
)

HIGH_CONTRAST = replace(
    DEFAULT_THEME, name="deckc high-contrast",
    background="FFFFFF", text="000000", muted="262626", accent="0040A0", highlight="FFE14D",
    chip_fill="FFFFFF", chip_border="000000", table_header_fill="000000", table_header_text="FFFFFF",
    table_stripe="F0F0F0", table_border="000000", rule="000000",
    tones={"problem": Tone(fill="FFFFFF", border="A30000", text="A30000"),
           "insight": Tone(fill="FFFFFF", border="005A32", text="005A32"),
           "note": Tone(fill="FFFFFF", border="0040A0", text="0040A0")},
    palette=("0040A0", "A30000", "005A32", "6A1B9A", "000000", "7A4A00"),
)

BUILTIN: dict[str, Theme] = {"default": DEFAULT_THEME, "dark": DARK, "high-contrast": HIGH_CONTRAST}

TEXT_MIN, GRAPHICS_MIN = 4.5, 3.0


def contrast_problems(t: Theme) -> list[tuple[str, str, str, float, float]]:
    """Every colour pair the decks draw that is below its minimum: (what, fg, bg, ratio, minimum)."""
    pairs = [("text", t.text, t.background, TEXT_MIN), ("muted", t.muted, t.background, TEXT_MIN),
             ("accent", t.accent, t.background, TEXT_MIN),
             ("text on chip_fill", t.text, t.chip_fill, TEXT_MIN),
             ("text on highlight", t.text, t.highlight, TEXT_MIN),
             ("text on table_stripe", t.text, t.table_stripe, TEXT_MIN),
             ("table_header_text on table_header_fill", t.table_header_text, t.table_header_fill, TEXT_MIN),
             ("chip_border", t.chip_border, t.background, GRAPHICS_MIN)]
    for name, tone in t.tones.items():
        pairs += [(f"tones.{name}.text on tones.{name}.fill", tone.text, tone.fill, TEXT_MIN),
                  (f"tones.{name}.border", tone.border, t.background, GRAPHICS_MIN)]
    pairs += [(f"palette[{i}]", c, t.background, GRAPHICS_MIN) for i, c in enumerate(t.palette)]
    out = []
    for what, fg, bg, minimum in pairs:
        ratio = contrast(fg, bg)
        if ratio < minimum:
            out.append((what, fg, bg, ratio, minimum))
    return out
