"""Workarounds for reportlab (checked against reportlab 5.1.0).

Every fix lives here, each with the reason it exists, and is applied by
:func:`install` -- idempotent, called lazily by :mod:`deckc.fonts` before the
first font is registered, so nobody else has to remember it.

Fix 1 -- ToUnicode CMap for characters outside the BMP
------------------------------------------------------
``reportlab.pdfbase.ttfonts.makeToUnicodeCMap(fontname, subset)`` writes one
``<code> <%04X>`` line per glyph of a 256-glyph font subset.  For a code point
above U+FFFF that gives five or six hex digits (``<1F3AF>``), which is not
UTF-16BE: PDF readers read it as an odd-length string and an emoji such as 🎯
copies out of the PDF as some other character (or garbage).  The replacement
below writes UTF-16BE with surrogate pairs (``<D83CDFAF>``), as the PDF
specification (9.10.3) requires.

It is the narrowest patch available: ``TTFont.addObjects`` looks the function
up as a module global at call time, once per subset, so replacing that single
module attribute fixes every subset of every TrueType font -- including the
2nd, 3rd... subset that reportlab creates when a document uses more than ~250
distinct characters of one font (each subset gets its own ToUnicode CMap, all
built by this function).  We also split the ``bfchar`` list into blocks of at
most 100 entries, the limit the CMap specification sets (reportlab writes up
to 256 in one block; most readers tolerate it, strict ones do not).

Fix 2 -- the canvas preamble names Helvetica
-------------------------------------------
A reportlab ``Canvas`` starts every page with ``BT /F1 12 Tf 14.4 TL ET`` for
its initial font, Helvetica by default: a standard-14 font that is never
embedded, so ``pdffonts`` lists a non-embedded font even when no text uses it.
Passing a TrueType (dynamic) font as ``initialFontName`` makes reportlab skip
that preamble.  :func:`deckc.fonts.canvas.new_canvas` does this (and defaults to
``invariant=1``, which makes the output byte-reproducible: fixed dates and
document ID); the PDF writer creates its canvas through it. This module imports
nothing of deckc, so deckc.fonts can install the fixes without an import cycle.

Fix 3 -- one glyph for several characters
-----------------------------------------
reportlab draws characters, each through the font's cmap; an emoji sequence that the
emoji font draws as one glyph (a ZWJ sequence, a flag, a keycap) has no character of its
own. deckc.fonts.shaping gives each such glyph a private-use code point, adds it to the
reportlab face, and names the sequence here with :func:`stands_for`; the ToUnicode entry of
that code is the whole sequence (a bfchar destination may be several UTF-16 units), so
``pdftotext`` returns the sequence, not a private-use character.

Variation selectors (U+FE0E/U+FE0F) and ZWJ (U+200D)
----------------------------------------------------
No patch is needed for these: :mod:`deckc.fonts` draws them as real,
zero-width glyphs of a shipped font that has them (Noto Emoji and DejaVu Sans
both map U+FE0E, U+FE0F and U+200D to empty zero-advance glyphs; Liberation
has U+200D).  They therefore take a code in the font subset like any other
character, their ToUnicode entry maps back to themselves, and ``pdftotext``
returns e.g. "⏱️ 9 min" as U+23F1 U+FE0F ... .  They are invisible and move
nothing, so layout is unaffected.
"""
from __future__ import annotations

import threading

from reportlab.pdfbase import ttfonts

__all__ = ["install", "installed", "stands_for", "to_unicode_cmap", "utf16be_hex"]

_PATCH_MARK = "_deckc_pdf_fixes"
_lock = threading.Lock()
_original_make_to_unicode_cmap = None

# Adobe CMap and CIDFont Files Specification (5014), 'beginbfchar': at most 100
# mappings per block.
_BFCHAR_BLOCK = 100


def utf16be_hex(code: int) -> str:
    """Code point -> uppercase hex of its UTF-16BE encoding (surrogate pair above U+FFFF)."""
    if code <= 0xFFFF:
        return "%04X" % code
    code -= 0x10000
    return "%04X%04X" % (0xD800 + (code >> 10), 0xDC00 + (code & 0x3FF))


# Code points that stand for a text of several characters (see Fix 3), and that text.
_STANDS_FOR: dict[int, str] = {}


def stands_for(code: int, text: str) -> None:
    """Say that (private-use) code point ``code`` draws ``text``: its ToUnicode entry is ``text``."""
    _STANDS_FOR[code] = text


def to_unicode_cmap(fontname: str, subset) -> str:
    """Drop-in replacement for ``ttfonts.makeToUnicodeCMap``.

    ``subset`` is reportlab's list of code points indexed by the one-byte code
    used in the content stream.  Output is identical to reportlab's for BMP-only
    subsets of <= 100 glyphs, apart from the block split described above.
    """
    entries = ["<%02X> <%s>" % (i, "".join(utf16be_hex(ord(c)) for c in _STANDS_FOR[v]) if v in _STANDS_FOR
                                else utf16be_hex(v)) for i, v in enumerate(subset)]
    lines = [
        "/CIDInit /ProcSet findresource begin",
        "12 dict begin",
        "begincmap",
        "/CIDSystemInfo",
        "<< /Registry (%s)" % fontname,
        "/Ordering (%s)" % fontname,
        "/Supplement 0",
        ">> def",
        "/CMapName /%s def" % fontname,
        "/CMapType 2 def",
        "1 begincodespacerange",
        "<00> <%02X>" % (len(subset) - 1),
        "endcodespacerange",
    ]
    for start in range(0, len(entries), _BFCHAR_BLOCK):
        block = entries[start:start + _BFCHAR_BLOCK]
        lines.append("%d beginbfchar" % len(block))
        lines.extend(block)
        lines.append("endbfchar")
    lines += [
        "endcmap",
        "CMapName currentdict /CMap defineresource pop",
        "end",
        "end",
    ]
    return "\n".join(lines)


setattr(to_unicode_cmap, _PATCH_MARK, True)


def installed() -> bool:
    """True when the fixes are active in this process."""
    return getattr(ttfonts.makeToUnicodeCMap, _PATCH_MARK, False)


def install() -> None:
    """Apply every fix once; calling it again is a no-op."""
    global _original_make_to_unicode_cmap
    with _lock:
        if installed():
            return
        _original_make_to_unicode_cmap = ttfonts.makeToUnicodeCMap
        ttfonts.makeToUnicodeCMap = to_unicode_cmap


# Fix 4 -- page dictionary entries reportlab does not write
# ---------------------------------------------------------
# A tagged PDF needs /StructParents on each page (its key in the structure tree's ParentTree) and
# /Tabs /S; reportlab's PDFPage writes only the keys listed in its class attribute __NoDefault__
# and builds the page inside Canvas.showPage, out of reach. Canvas.showPage hands the new page to
# Canvas._setAnnotations just before adding it to the document: wrapping that method on one canvas
# adds the entries to that canvas's pages only (an instance attribute, no global patch).

def page_entries(canvas, entries) -> None:
    """Give every page `canvas` shows the entries ``entries(page_index)`` returns (a dict of PDF
    key -> value that reportlab formats: int, str written as is, PDF objects)."""
    original = canvas._setAnnotations
    count = [0]

    from reportlab.pdfbase.pdfdoc import PDFPage

    def set_annotations(page):
        original(page)
        if not isinstance(page, PDFPage):       # Canvas.endForm calls it for a Form XObject too
            return
        extra = entries(count[0])
        count[0] += 1
        page.__NoDefault__ = list(type(page).__NoDefault__) + [k for k in extra if k not in type(page).__NoDefault__]
        for key, value in extra.items():
            setattr(page, key, value)

    canvas._setAnnotations = set_annotations
