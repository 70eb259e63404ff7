"""The shipped fonts, subset to the characters a page uses and inlined as @font-face rules.

The page then looks the same on every machine, offline, from file://, like the PDF: each character
is drawn by the font the PDF picks for it (deckc.fonts' fallback rules), except emoji, for which a
colour emoji font the reader already has wins over the monochrome Noto Emoji we ship. fontTools'
subsetter does the subsetting (the standard tool; WOFF needs only zlib).
"""
from __future__ import annotations

import base64
import io
from functools import lru_cache

from ...fonts import (CJK, DEJAVU, DEJAVU_BOLD, EMOJI, FONT_DIR, FONT_FILES, MONO, SANS, SANS_BOLD,
                      SANS_BOLD_ITALIC, SANS_ITALIC, Style, font_book)

# (font, CSS family, weight, style)
FACES = (
    (SANS, "Deckc Sans", 400, "normal"), (SANS_BOLD, "Deckc Sans", 700, "normal"),
    (SANS_ITALIC, "Deckc Sans", 400, "italic"), (SANS_BOLD_ITALIC, "Deckc Sans", 700, "italic"),
    (MONO, "Deckc Mono", 400, "normal"),
    (DEJAVU, "Deckc Symbols", 400, "normal"), (DEJAVU_BOLD, "Deckc Symbols", 700, "normal"),
    (CJK, "Deckc CJK", 400, "normal"), (EMOJI, "Deckc Emoji", 400, "normal"),
)
PRIMARY = {SANS, SANS_BOLD, SANS_ITALIC, SANS_BOLD_ITALIC, MONO}
SYSTEM_EMOJI = '"Noto Color Emoji", "Apple Color Emoji", "Segoe UI Emoji"'
FAMILY_SANS = f'"Deckc Sans", "Deckc Symbols", "Deckc CJK", {SYSTEM_EMOJI}, "Deckc Emoji", sans-serif'
FAMILY_MONO = f'"Deckc Mono", "Deckc Symbols", "Deckc CJK", {SYSTEM_EMOJI}, "Deckc Emoji", monospace'


def chars_per_font(text: str) -> dict[str, str]:
    """Font name -> the characters of `text` it draws (sorted, so the output is deterministic)."""
    book = font_book()
    used: dict[str, set[str]] = {name: set() for name, *_ in FACES}
    chars = {c for c in text if not c.isspace() or c == " "}
    for name in PRIMARY:
        cover = book.coverage(name)
        used[name] = {c for c in chars if ord(c) in cover}
    for style in (Style(), Style(bold=True)):
        for name, piece in book.segments(text, style):
            if name not in PRIMARY:
                used[name] |= set(piece)
    return {name: "".join(sorted(cs)) for name, cs in used.items() if cs}


@lru_cache(maxsize=64)      # deckc watch rebuilds with mostly the same characters
def subset_woff(name: str, chars: str) -> bytes:
    from fontTools import subset

    options = subset.Options()
    options.flavor = "woff"
    options.hinting = False            # screens do not need TrueType hints; half the size
    options.desubroutinize = True
    options.name_IDs = [0, 1, 2, 3, 4, 5, 6, 13, 14]    # keep the copyright and licence names
    options.notdef_outline = True
    options.recalc_timestamp = False   # byte-reproducible
    options.drop_tables += ["FFTM"]    # FontForge's timestamps: not needed, and fontTools warns about them
    font = subset.load_font(str(FONT_DIR / FONT_FILES[name]), options, lazy=True)
    sub = subset.Subsetter(options)
    sub.populate(unicodes=[ord(c) for c in chars])
    sub.subset(font)
    buf = io.BytesIO()
    subset.save_font(font, buf, options)
    return buf.getvalue()


def font_face_css(text: str) -> str:
    """@font-face rules with the fonts inlined, for a page whose visible text is `text`."""
    rules = []
    per_font = chars_per_font(text)
    for name, family, weight, style in FACES:
        chars = per_font.get(name)
        if not chars:
            continue
        data = base64.b64encode(subset_woff(name, chars)).decode("ascii")
        rules.append(f'@font-face{{font-family:"{family}";font-weight:{weight};font-style:{style};'
                     f'font-display:block;src:url(data:font/woff;base64,{data}) format("woff")}}')
    return "\n".join(rules)
