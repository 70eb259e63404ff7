"""The shipped fonts, subset to the characters a page uses and inlined as @font-face rules.

The page then looks the same on every machine, offline, from file://, like the PDF: each character
is drawn by the font the PDF picks for it (deckc.fonts' fallback rules), except emoji, for which a
colour emoji font the reader already has wins over the monochrome Noto Emoji we ship. fontTools'
subsetter does the subsetting (the standard tool; WOFF needs only zlib).
"""
from __future__ import annotations

import base64
import hashlib
import io
import os
import tempfile
from functools import lru_cache
from pathlib import Path

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
OPTIONS_VERSION = 1         # bump when _subset's options change: the cache is keyed by it
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
    for name, piece in book.segments(text, Style()):
        if name not in PRIMARY:
            used[name] |= set(piece)
    # bold text falls back to DejaVu Bold first (deckc.fonts.FontBook.chain): it gets what it has of those
    bold = book.coverage(DEJAVU_BOLD)
    used[DEJAVU_BOLD] = {c for c in used[DEJAVU] | used[DEJAVU_BOLD] if ord(c) in bold}
    return {name: "".join(sorted(cs)) for name, cs in used.items() if cs}


def needs_shaping(chars: str) -> bool:
    """Characters the layout tables (GSUB/GPOS) are needed for: scripts whose letters join or
    reorder, combining marks, and emoji sequences (ZWJ, skin tones, flags, keycaps)."""
    for c in chars:
        cp = ord(c)
        if (0x0300 <= cp <= 0x036F or 0x0590 <= cp <= 0x08FF or 0x0900 <= cp <= 0x0DFF or 0x0E00 <= cp <= 0x0EFF
                or 0x1780 <= cp <= 0x17FF or 0xFB1D <= cp <= 0xFDFF or 0xFE70 <= cp <= 0xFEFC or cp in (0x200C, 0x200D, 0x20E3)
                or 0x1F1E6 <= cp <= 0x1F1FF or 0x1F3FB <= cp <= 0x1F3FF or 0xE0020 <= cp <= 0xE007F):
            return True
    return False


def _cache_dir() -> Path | None:
    """Where subset fonts are kept between builds: $DECKC_CACHE_DIR, else the user's cache folder
    ($XDG_CACHE_HOME or ~/.cache, then deckc/fonts). DECKC_CACHE_DIR=off turns it off."""
    env = os.environ.get("DECKC_CACHE_DIR", "").strip()
    if env.lower() in ("off", "0", "none"):
        return None
    if env:
        return Path(env) / "fonts"
    base = os.environ.get("XDG_CACHE_HOME", "").strip() or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "deckc" / "fonts"


@lru_cache(maxsize=64)      # deckc watch rebuilds with mostly the same characters
def subset_woff(name: str, chars: str) -> bytes:
    """The font subset to `chars`, as WOFF. Subsetting is deterministic, so a copy from an earlier
    build (the cache, keyed by the font file, the characters, the options and fontTools' version)
    is the same bytes; it saves ~50 ms per face."""
    import fontTools

    path = FONT_DIR / FONT_FILES[name]
    folder = _cache_dir()
    key = hashlib.sha256(f"{OPTIONS_VERSION}\0{fontTools.version}\0{path.name}\0{path.stat().st_size}\0"
                         f"{chars}".encode()).hexdigest()
    if folder is not None:
        try:
            cached = (folder / f"{key}.woff").read_bytes()
            # a WOFF header states the file's length: a truncated or foreign file is made again
            if cached[:4] == b"wOFF" and int.from_bytes(cached[8:12], "big") == len(cached):
                return cached
        except OSError:
            pass
    data = _subset(path, chars)
    if folder is not None:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-")
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, folder / f"{key}.woff")
        except OSError:
            pass          # a read-only home: no cache, same result
    return data


def _subset(path: Path, chars: str) -> bytes:
    from fontTools import subset

    options = subset.Options()
    options.flavor = "woff"
    options.hinting = False            # screens do not need TrueType hints; half the size
    options.desubroutinize = True
    options.name_IDs = [0, 1, 2, 3, 4, 5, 6, 13, 14]    # keep the copyright and licence names
    options.notdef_outline = True
    options.recalc_timestamp = False   # byte-reproducible
    options.drop_tables += ["FFTM"]    # FontForge's timestamps: not needed, and fontTools warns about them
    if not needs_shaping(chars):
        # No joining script, combining mark or emoji sequence: the layout tables only kern, which the
        # PDF does not do either. Dropping them makes subsetting 5x faster (they are most of the work).
        options.drop_tables += ["GSUB", "GPOS", "GDEF"]
        options.layout_features = []
    font = subset.load_font(str(path), options, lazy=True)
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
