"""Right-to-left text in the PDF: Arabic letters shaped and each wrapped line put in display order.

The shapes come from HarfBuzz (the font's own joining rules and ligatures, deckc.fonts.shaping)
and the levels from python-bidi (UAX #9); what is done here is what a layout must do itself:
reorder each wrapped line (L2) by clusters (a letter keeps its marks, an emoji its modifiers),
keep every character's run (its style) through the reordering, and mirror (L4).
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from .linebreak import attaches
from .plan import Run
from .runs import line_text, merge

_ARABIC = re.compile("[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff]")
_RTL = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc\U00010800-\U00010fff\U0001e800-\U0001efff]")
_ZWJ = "\u200d"
# What HarfBuzz shapes as one Arabic run: letters, marks, tatweel, presentation forms, ZWNJ/ZWJ.
_ARABIC_RUN = re.compile("[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff\u200c\u200d]+")


def shape_arabic(text: str) -> str:
    """Arabic letters replaced by the characters of the contextual forms and ligatures the font
    draws them with (logical order kept)."""
    if not _ARABIC.search(text):
        return text
    return "".join(c for c, _ in _shape(text))


def _shape(text: str) -> list[tuple[str, int]]:
    """(character to draw, index of its source character) for a line, its Arabic runs shaped by
    HarfBuzz with DejaVu Sans (which draws Arabic): joining forms from the font's init/medi/fina,
    lam + alef as one ligature (rlig); the rest unchanged."""
    from ..fonts import DEJAVU, FONT_DIR, FONT_FILES
    from ..fonts.shaping import shape_to_chars

    out, at = [], 0
    for m in _ARABIC_RUN.finditer(text):
        out += [(text[i], i) for i in range(at, m.start())]
        out += [(c, m.start() + i) for c, i in shape_to_chars(FONT_DIR / FONT_FILES[DEJAVU], m.group(0))]
        at = m.end()
    return out + [(text[i], i) for i in range(at, len(text))]


def rtl_paragraph(text: str) -> bool:
    """Is this a right-to-left paragraph: right-to-left letters and no left-to-right ones
    (numbers and punctuation go either way)? Mixed paragraphs stay left to right."""
    if not _RTL.search(text):
        return False
    return not any(unicodedata.bidirectional(ch) == "L" for ch in text)


def _bidi_levels(text: str, base: int) -> list[int]:
    """Resolved embedding levels (UAX #9 X1-I2, python-bidi's implementation) of a line in a
    paragraph of base level `base` (0 left to right, 1 right to left), then L1: whitespace at the
    end of the line goes back to the paragraph's level."""
    from bidi import algorithm as uax9      # python-bidi's Python implementation: it exposes the levels

    storage = uax9.get_empty_storage()
    storage["base_level"], storage["base_dir"] = base, "LR"[base]
    uax9.get_embedding_levels(text, storage)
    uax9.explicit_embed_and_overrides(storage)
    uax9.resolve_weak_types(storage)
    uax9.resolve_neutral_types(storage, False)
    uax9.resolve_implicit_levels(storage, False)
    levels = [c["level"] for c in storage["chars"]]
    for i in range(len(text) - 1, -1, -1):
        if not text[i].isspace():
            break
        levels[i] = base
    return levels


def _mirror(ch: str) -> str:
    """UAX #9 L4: the mirrored glyph of a character drawn right to left ("(" -> ")")."""
    from bidi.mirror import MIRRORED

    return MIRRORED.get(ch, ch)


@lru_cache(maxsize=16384)     # the fit loop lays the same lines out again at each text size
def visual_line(line: tuple[Run, ...], rtl: bool = False) -> tuple[Run, ...]:
    """A wrapped line (logical order) in display order, in a left-to-right paragraph or, with
    `rtl`, a right-to-left one: Arabic shaped, right-to-left stretches reversed (UAX #9 L2) with
    mirrored brackets (L4); clusters (a letter and its marks, emoji sequences) stay in their own
    order. Lines without right-to-left text are returned as they are."""
    text = line_text(line)
    if not _RTL.search(text):
        return line
    owner = [k for k, r in enumerate(line) for _ in r.text]
    if _ARABIC.search(text):
        shaped = _shape(text)           # shaped across run boundaries; each character keeps its run
        text, owner = "".join(c for c, _ in shaped), [owner[i] for _, i in shaped]
    levels = _bidi_levels(text, 1 if rtl else 0)
    clusters: list[list[int]] = []                  # indices of each cluster, in logical order
    for i, ch in enumerate(text):
        if clusters and (attaches(ch) or text[i - 1] == _ZWJ):
            clusters[-1].append(i)
        else:
            clusters.append([i])
    lv = [levels[c[0]] for c in clusters]
    order = list(range(len(clusters)))
    for level in range(max(lv), 0, -1):            # L2: reverse every run at this level or higher
        i = 0
        while i < len(order):
            if lv[order[i]] >= level:
                j = i
                while j < len(order) and lv[order[j]] >= level:
                    j += 1
                order[i:j] = order[i:j][::-1]
                i = j
            else:
                i += 1
    out: list[Run] = []
    placed: set[int] = set()
    for ci in order:
        for i in clusters[ci]:
            r = line[owner[i]]
            if r.math is not None:      # an inline formula stays one run, where its first character goes
                if owner[i] not in placed:
                    placed.add(owner[i])
                    out.append(r)
                continue
            ch = text[i]
            if lv[ci] % 2:
                ch = _mirror(ch)
            out.append(Run(ch, r.bold, r.italic, r.mono, r.color, r.highlight))
    return merge(out)
