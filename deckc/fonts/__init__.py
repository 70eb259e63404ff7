"""Shipped fonts, per-character fallback, text measuring and drawing.

The layout engine measures with :meth:`FontBook.width` and the PDF writer draws
with :meth:`FontBook.draw_text` (or the module-level :func:`draw_text`); both go
through the same :meth:`FontBook.segments`, so what is measured is exactly what
is drawn.  Only the ``.ttf`` files next to this module are used, never fonts of
the host system.

Fallback chain (first font that has the character wins):

=========  ==================================================================
style      chain
=========  ==================================================================
regular    Liberation Sans -> DejaVu Sans -> DejaVu Sans Bold -> Droid Sans Fallback -> Noto Emoji
bold       Liberation Sans Bold -> DejaVu Sans Bold -> DejaVu Sans -> Droid Sans Fallback -> Noto Emoji
italic     Liberation Sans Italic -> (as regular)
mono       Liberation Mono -> Liberation Sans (same weight/slant) -> (as above)
=========  ==================================================================

Each DejaVu weight has a few characters the other lacks; a glyph of the other
weight beats a missing one.  Droid Sans Fallback brings Chinese, Japanese and
Korean (ideographs, kana, hangul, CJK punctuation, full-width forms); it has one
weight, so bold CJK text is drawn regular.  Hebrew comes from Liberation Sans,
Arabic from DejaVu Sans (the layout shapes and reorders right-to-left text before
it gets here: see deckc.layout.text).

Only one Liberation Mono face ships, so ``mono`` ignores bold/italic for the
characters Liberation Mono has.  Every chain reaches the same set of characters,
so :meth:`FontBook.missing` does not depend on the style.

Emoji presentation: a character goes to Noto Emoji, ahead of the chain, when it
is followed by U+FE0F, or has the Unicode property Emoji_Presentation=Yes
(⚡ ✅ ❌ ⌛ ☕ ...; table below) and Noto Emoji has it.  A character followed by
U+FE0E (text presentation) tries the chain without Noto Emoji first.

U+FE0E/U+FE0F, U+200D (ZWJ), combining marks and emoji modifiers stay in the run
of the character they attach to when that font has a glyph for them, otherwise
they go to the first font of the chain that has one; Noto Emoji and DejaVu Sans
draw FE0E/FE0F/200D as empty zero-advance glyphs that copy out as themselves.
An emoji sequence (ZWJ sequence, flag, keycap, skin tone) that Noto Emoji has
one glyph for is measured and drawn as that glyph (HarfBuzz finds it, see
deckc.fonts.shaping) and copies out as the sequence; one it has no glyph for is
drawn as its parts, and :meth:`FontBook.sequences_drawn_apart` names it.

Characters no shipped font has are listed by :meth:`FontBook.missing` (the
build warns with it); they are drawn as the primary face's .notdef box.
Whitespace none of our fonts has (tab, U+3000...) is drawn as U+0020, and
controls/variation selectors no font has are not drawn (zero width).
"""
from __future__ import annotations

import threading
from functools import lru_cache
from pathlib import Path

from .clusters import EMOJI_PRESENTATION, VS15, VS16, ZWJ, is_attaching, is_ignorable
from .draw import Drawing
from .files import (CJK, DEJAVU, DEJAVU_BOLD, EMOJI, FONT_DIR, FONT_FILES, MONO, PPTX_TYPEFACES, SANS, SANS_BOLD,
                    SANS_BOLD_ITALIC, SANS_ITALIC, Style)
from .shaping import SEQUENCE as _SEQUENCE, Ligatures

__all__ = [
    "FONT_DIR", "Style", "FontBook", "font_book", "draw_text",
    "SANS", "SANS_BOLD", "SANS_ITALIC", "SANS_BOLD_ITALIC", "MONO",
    "DEJAVU", "DEJAVU_BOLD", "CJK", "EMOJI", "PPTX_TYPEFACES", "EMOJI_PRESENTATION",
]

# missing() asks the big CJK font last: text without CJK never reads its cmap
_BY_SIZE = tuple(sorted(FONT_FILES, key=lambda name: name == CJK))


class _Coverage(dict):
    """font name -> frozenset of the code points it has, read from the font's cmap on first lookup."""

    def __missing__(self, name: str) -> frozenset[int]:
        from .cmap import coverage
        cover = self[name] = coverage(FONT_DIR / FONT_FILES[name])
        return cover


class FontBook(Drawing):
    """Registry of the shipped fonts; see the module docstring for the rules.

    Measuring reads the fonts' own tables (deckc.fonts.cmap). Registration with reportlab
    happens when a PDF first draws with a font, once per process (the reportlab fixes of
    :mod:`deckc.pdf_fixes` are installed at the same time).
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._fonts = None            # name -> reportlab TTFont
        self._cover = None            # name -> frozenset of code points
        self._widths = None           # name -> (charWidths dict, defaultWidth)
        self._metrics = None          # name -> (ascent, descent, lineGap) per 1000 em
        self._segments_cached = lru_cache(maxsize=65536)(self._segments)
        self._ligatures = Ligatures()
        self._units_cached = lru_cache(maxsize=65536)(self._units)

    # -- registration -------------------------------------------------------
    def _ensure(self):
        """Set up the lazy tables: a font's coverage (its cmap) and metrics are read when first asked
        for, so text the primary faces cover never reads the 3.4 MB CJK font."""
        if self._cover is not None:
            return
        with self._lock:
            if self._cover is not None:
                return
            self._fonts, self._widths, self._metrics = {}, {}, {}
            self._cover = _Coverage()

    def _load(self, name: str) -> None:
        """Read font `name`'s widths and line metrics from its tables (once). No reportlab: measuring
        text is the layout's job, and only the PDF writer needs fonts registered (see font())."""
        if name in self._widths:
            return
        with self._lock:
            if name in self._widths:
                return
            from .cmap import metrics
            widths, default, line_metrics = metrics(FONT_DIR / FONT_FILES[name])
            self._metrics[name] = line_metrics
            self._widths[name] = (widths, default)     # last: other threads test this key

    def _register(self, name: str):
        """Register font `name` with reportlab (once per process) and install deckc's reportlab fixes."""
        font = self._fonts.get(name)
        if font is not None:
            return font
        with self._lock:
            if name in self._fonts:
                return self._fonts[name]
            from .. import pdf_fixes
            pdf_fixes.install()
            from reportlab.pdfbase import pdfmetrics
            from reportlab.pdfbase.ttfonts import TTFont
            path = FONT_DIR / FONT_FILES[name]
            if name in pdfmetrics.getRegisteredFontNames():     # idempotent: reuse our own registration
                font = pdfmetrics.getFont(name)
                other = Path(getattr(getattr(font, "face", None), "filename", "")).resolve()
                if other != path:
                    raise RuntimeError(f"reportlab font name {name!r} is already registered for {other}")
            else:
                font = TTFont(name, str(path))
                pdfmetrics.registerFont(font)
            self._fonts[name] = font
            return font

    def font(self, name: str):
        """The reportlab TTFont registered under ``name`` (registered on first use)."""
        self._ensure()
        return self._register(name)

    # -- fallback -----------------------------------------------------------
    @staticmethod
    def primary(style: Style) -> str:
        if style.mono:
            return MONO
        if style.bold:
            return SANS_BOLD_ITALIC if style.italic else SANS_BOLD
        return SANS_ITALIC if style.italic else SANS

    @classmethod
    def chain(cls, style: Style) -> tuple[str, ...]:
        """Fonts tried in order for ``style`` (Noto Emoji last)."""
        names = [cls.primary(style)]
        if style.mono:
            names.append(cls.primary(Style(bold=style.bold, italic=style.italic)))
        # Both DejaVu weights: each has ~20 characters the other lacks, and a
        # glyph of the other weight beats a missing one.
        names += [DEJAVU_BOLD, DEJAVU] if style.bold else [DEJAVU, DEJAVU_BOLD]
        names += [CJK, EMOJI]
        return tuple(names)

    def coverage(self, name: str) -> frozenset:
        """Code points font ``name`` has a glyph for."""
        self._ensure()
        return self._cover[name]

    def covers(self, name: str, ch: str) -> bool:
        """Does font ``name`` have a glyph for ``ch`` (or, for the emoji font, is ``ch`` the code of
        one of its sequence glyphs, see deckc.fonts.shaping.Ligatures)?"""
        self._ensure()
        return ord(ch) in self._cover[name] or (name == EMOJI and ord(ch) in self._ligatures.glyph)

    def segments(self, text: str, style: Style = Style()) -> list[tuple[str, str]]:
        """Maximal runs ``(font_name, substring)``; substrings join back to ``text``."""
        return list(self._segments_cached(text, style))

    def _pick(self, cps, i, style, chain, current):
        cover = self._cover
        cp = cps[i]
        if is_attaching(cp):
            if current is not None and cp in cover[current]:
                return current
            for name in chain:
                if cp in cover[name]:
                    return name
            return current or chain[0]
        emoji = cover[EMOJI]
        nxt = cps[i + 1] if i + 1 < len(cps) else None
        if nxt == VS16 and cp in emoji:
            return EMOJI
        if nxt == VS15:
            for name in chain[:-1]:
                if cp in cover[name]:
                    return name
        elif cp in emoji and (cp in EMOJI_PRESENTATION
                              or (current == EMOJI and i and cps[i - 1] == ZWJ)):
            return EMOJI
        for name in chain:
            if cp in cover[name]:
                return name
        return chain[0]     # nobody has it: .notdef of the primary face

    def _segments(self, text, style):
        self._ensure()
        chain = self.chain(style)
        cps = [ord(c) for c in text]
        out = []
        current, start = None, 0
        for i in range(len(cps)):
            name = self._pick(cps, i, style, chain, current)
            if name != current:
                if current is not None:
                    out.append((current, text[start:i]))
                current, start = name, i
        if current is not None:
            out.append((current, text[start:]))
        for name in {n for n, _ in out}:   # a font is parsed the first time text needs it
            self._load(name)
        return tuple(out)

    def _drawable(self, name: str, s: str) -> str:
        """What is actually handed to reportlab for a run of font ``name``: an emoji sequence the
        emoji font has one glyph for becomes that glyph's code (deckc.fonts.shaping)."""
        if name == EMOJI and _SEQUENCE.search(s):
            return self._ligatures.drawable(FONT_DIR / FONT_FILES[EMOJI], s, lambda t: self._plain(name, t))
        return self._plain(name, s)

    def _plain(self, name: str, s: str) -> str:
        cover = self._cover[name]
        if all(ord(c) in cover for c in s):
            return s
        chars = []
        for c in s:
            if ord(c) in cover:
                chars.append(c)
            elif c.isspace():
                chars.append(" ")
            elif not is_ignorable(c):
                chars.append(c)     # reported by missing(); drawn as .notdef
        return "".join(chars)

    # -- measuring ----------------------------------------------------------
    def _units(self, text, style):
        total = 0.0
        for name, s in self._segments_cached(text, style):
            widths, default = self._widths[name]
            g = widths.get
            drawn = self._drawable(name, s)
            if name == EMOJI and drawn != s:
                lig = self._ligatures.advance.get
                total += sum(g(ord(c)) or lig(ord(c), default) for c in drawn)
            else:
                total += sum(g(ord(c), default) for c in drawn)
        return total

    def sequences_drawn_apart(self, text: str, style: Style = Style()) -> list[str]:
        """Emoji sequences in ``text`` (ZWJ, flags, keycaps, skin tones) that the emoji font has no
        single glyph for: the PDF draws their parts side by side."""
        from .shaping import emoji_clusters

        out = []
        for name, s in self._segments_cached(text, style):
            if name == EMOJI and _SEQUENCE.search(s):
                out += [c.text for c in emoji_clusters(FONT_DIR / FONT_FILES[EMOJI], s)
                        if c.glyph is None and len(c.text) > 1 and _SEQUENCE.search(c.text)]
        return out

    def monochrome_emoji(self, text: str, style: Style = Style()) -> list[str]:
        """Emoji of ``text`` the colour emoji font has no glyph for (flags: its build has none; emoji
        newer than it): the PDF draws them in the monochrome Noto Emoji."""
        from .colr import colour_glyph, has_colour_font
        from .shaping import emoji_clusters

        if not has_colour_font():
            return []
        out = []
        for name, s in self._segments_cached(text, style):
            if name == EMOJI:
                out += [c.text for c in emoji_clusters(FONT_DIR / FONT_FILES[EMOJI], s)
                        if c.text.strip("\ufe0e\ufe0f\u200d") and colour_glyph(c.text) is None]
        return out

    def width(self, text: str, style: Style = Style(), size: float = 1.0) -> float:
        """Advance width in points of ``text`` drawn at ``size`` points."""
        if not text:
            return 0.0
        return 0.001 * size * self._units_cached(text, style)

    # reportlab's face.ascent/descent are the OS/2 *typo* values (0.728 /
    # 0.210 em for Liberation Sans), smaller than the glyphs' real extent;
    # the hhea values (= usWin, 0.905 / 0.212 em, what Windows/PowerPoint use)
    # bound accented capitals and are the ones to lay out with.
    def ascent(self, size: float, style: Style = Style()) -> float:
        """Height above the baseline (hhea ascender of the primary face), points."""
        return self._face_metrics(self.primary(style))[0] * 0.001 * size

    def descent(self, size: float, style: Style = Style()) -> float:
        """Depth below the baseline (hhea descender), as a POSITIVE number of points."""
        return self._face_metrics(self.primary(style))[1] * 0.001 * size

    def _face_metrics(self, name: str):
        self._ensure()
        self._load(name)
        return self._metrics[name]

    def line_height(self, size: float, style: Style = Style()) -> float:
        """Recommended baseline-to-baseline distance: 1.2 x size.

        Liberation Sans ascent+descent is 1.117 em and Noto Emoji's 1.172 em,
        so 1.2 em holds emoji without touching the next line; it is also
        reportlab's default leading and close to PowerPoint's single spacing.
        """
        return 1.2 * size

    def missing(self, text: str, style: Style | None = None) -> list[str]:
        """Characters of ``text`` that no shipped font has, each once, in order.

        Controls, whitespace, variation selectors and ZWJ/ZWNJ are never
        reported.  ``style`` is accepted for symmetry; every chain reaches the
        same characters, so it does not change the answer.
        """
        self._ensure()
        seen, out = set(), []
        for ch in text:
            if ch in seen:
                continue
            seen.add(ch)
            cp = ord(ch)
            if not is_ignorable(ch) and not any(cp in self._cover[name] for name in _BY_SIZE):
                out.append(ch)
        return out

    # -- PPTX ---------------------------------------------------------------
    @staticmethod
    def pptx_typeface(style: Style = Style(), font_name: str | None = None) -> str:
        """Family name for a PPTX run: "Arial" (Liberation Sans is metric-
        compatible) or "Courier New" for mono.  Pass a segment's ``font_name``
        to get the Office name for a fallback run ("Segoe UI Emoji" for emoji).
        """
        if font_name is not None and font_name in PPTX_TYPEFACES:
            return PPTX_TYPEFACES[font_name]
        return "Courier New" if style.mono else "Arial"


_BOOK: FontBook | None = None
_BOOK_LOCK = threading.Lock()


def font_book() -> FontBook:
    """The process-wide FontBook (fonts are registered on its first use)."""
    global _BOOK
    if _BOOK is None:
        with _BOOK_LOCK:
            if _BOOK is None:
                _BOOK = FontBook()
    return _BOOK


def draw_text(canvas, x: float, y: float, text: str, style: Style = Style(),
              size: float = 12.0, color=None) -> float:
    """``font_book().draw_text(...)``: draw one line by segments, return its advance."""
    return font_book().draw_text(canvas, x, y, text, style, size, color)
