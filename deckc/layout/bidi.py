"""Right-to-left text in the PDF: Arabic letters shaped and each wrapped line put in display order.

The levels come from python-bidi (UAX #9); what is done here is what a layout must do itself:
reorder each wrapped line (L2) by clusters (a letter keeps its marks, an emoji its modifiers),
keep every character's run (its style) through the reordering, and mirror (L4).
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from ..fonts import font_book
from .linebreak import attaches
from .plan import Run
from .runs import line_text, merge

_ARABIC = re.compile("[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff]")
_RTL = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc\U00010800-\U00010fff\U0001e800-\U0001efff]")
_LAM, _TATWEEL, _ZWJ = "\u0644", "\u0640", "\u200d"


@lru_cache(maxsize=1)
def _arabic_forms() -> tuple[dict, dict]:
    """({letter: {form: presentation char}}, {alef: (isolated, final) lam-alef ligature}) from the
    Unicode decompositions of the presentation-form blocks; only forms a shipped font has."""
    book = font_book()
    forms: dict[str, dict[str, str]] = {}
    lam_alef: dict[str, list] = {}
    for cp in list(range(0xFB50, 0xFDFF)) + list(range(0xFE70, 0xFEFF)):
        dec = unicodedata.decomposition(chr(cp)).split()
        if len(dec) < 2 or dec[0] not in ("<isolated>", "<final>", "<initial>", "<medial>") or book.missing(chr(cp)):
            continue
        form, chars = dec[0][1:-1], [chr(int(h, 16)) for h in dec[1:]]
        if len(chars) == 1 and _ARABIC.match(chars[0]) and unicodedata.category(chars[0]) == "Lo":
            forms.setdefault(chars[0], {}).setdefault(form, chr(cp))
        elif len(chars) == 2 and chars[0] == _LAM and chars[1] in "\u0622\u0623\u0625\u0627" \
                and form in ("isolated", "final"):
            lam_alef.setdefault(chars[1], {})[form] = chr(cp)
    return forms, {k: (v["isolated"], v["final"]) for k, v in lam_alef.items() if len(v) == 2}


def _joining(ch: str) -> str:
    """Joining type: D (dual), R (right), C (join-causing), T (transparent) or U (none)."""
    if ch in (_TATWEEL, _ZWJ):
        return "C"
    forms = _arabic_forms()[0].get(ch)
    if forms:
        if "initial" in forms or "medial" in forms:
            return "D"
        return "R" if "final" in forms else "U"
    if unicodedata.category(ch) in ("Mn", "Me") or (unicodedata.category(ch) == "Cf" and ch != "\u200c"):
        return "T"
    return "U"


def shape_arabic(text: str) -> str:
    """Arabic letters replaced by their contextual presentation forms (logical order kept)."""
    if not _ARABIC.search(text):
        return text
    return "".join(c for c, _ in _shape(text))


def _shape(text: str) -> list[tuple[str, int]]:
    """(shaped character, index of its source character); lam + alef become one ligature."""
    forms, lam_alef = _arabic_forms()
    types = [_joining(c) for c in text]

    def neighbour(i, step):
        j = i + step
        while 0 <= j < len(text) and types[j] == "T":
            j += step
        return types[j] if 0 <= j < len(text) else "U"

    out, i = [], 0
    while i < len(text):
        ch, t = text[i], types[i]
        joins_prev = t in ("D", "R", "C") and neighbour(i, -1) in ("D", "C")
        if ch == _LAM and i + 1 < len(text) and text[i + 1] in lam_alef:
            out.append((lam_alef[text[i + 1]][1 if joins_prev else 0], i))
            i += 2
            continue
        joins_next = t in ("D", "C") and neighbour(i, 1) in ("D", "R", "C")
        f = forms.get(ch)
        if f:
            form = ("medial" if joins_next else "final") if joins_prev else ("initial" if joins_next else "isolated")
            ch = f.get(form) or f.get("isolated") or ch
        out.append((ch, i))
        i += 1
    return out


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
    for ci in order:
        for i in clusters[ci]:
            ch = text[i]
            if lv[ci] % 2:
                ch = _mirror(ch)
            r = line[owner[i]]
            out.append(Run(ch, r.bold, r.italic, r.mono, r.color, r.highlight))
    return merge(out)
