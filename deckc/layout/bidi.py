"""Right-to-left text in the PDF: Arabic letters shaped and each wrapped line put in display order."""
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


_MIRROR = dict(zip("()[]{}<>«»‹›⁅⁆⁽⁾₍₎≤≥〈〉《》「」『』【】", ")(][}{><»«›‹⁆⁅⁾⁽₎₍≥≤〉〈》《」「』『】【"))


def _bidi_levels(text: str) -> list[int]:
    """Embedding levels of a line in a left-to-right paragraph (UAX #9 rules W1-W7, N1-N2, I1, L1;
    explicit embeddings and isolates are treated as neutrals)."""
    types = []
    for ch in text:
        t = unicodedata.bidirectional(ch) or "ON"
        if t in ("LRE", "LRO", "RLE", "RLO", "PDF", "LRI", "RLI", "FSI", "PDI", "BN"):
            t = "ON"
        types.append(t)
    n = len(types)
    prev = "L"                                      # W1: NSM takes the type before it (sos = L)
    for i, t in enumerate(types):
        if t == "NSM":
            types[i] = prev
        else:
            prev = t
    strong = "L"                                    # W2/W3: EN after AL is AN; AL is R
    for i, t in enumerate(types):
        if t in ("L", "R", "AL"):
            strong = t
        elif t == "EN" and strong == "AL":
            types[i] = "AN"
    types = ["R" if t == "AL" else t for t in types]
    for i in range(1, n - 1):                       # W4: one separator between two numbers
        a, t, b = types[i - 1], types[i], types[i + 1]
        if t == "ES" and a == b == "EN" or t == "CS" and a == b and a in ("EN", "AN"):
            types[i] = a
    i = 0                                           # W5: terminators next to European numbers
    while i < n:
        if types[i] == "ET":
            j = i
            while j < n and types[j] == "ET":
                j += 1
            if (i > 0 and types[i - 1] == "EN") or (j < n and types[j] == "EN"):
                types[i:j] = ["EN"] * (j - i)
            i = j
        else:
            i += 1
    types = ["ON" if t in ("ES", "ET", "CS") else t for t in types]     # W6
    strong = "L"                                    # W7: EN after L (or sos) is L
    for i, t in enumerate(types):
        if t in ("L", "R"):
            strong = t
        elif t == "EN" and strong == "L":
            types[i] = "L"
    def direction(t):                               # for N1: numbers count as R
        return "R" if t in ("R", "EN", "AN") else ("L" if t == "L" else None)
    i = 0                                           # N1/N2: neutrals between same directions take it
    while i < n:
        if direction(types[i]) is None:
            j = i
            while j < n and direction(types[j]) is None:
                j += 1
            before = direction(types[i - 1]) if i > 0 else "L"
            after = direction(types[j]) if j < n else "L"
            types[i:j] = [before if before == after else "L"] * (j - i)
            i = j
        else:
            i += 1
    levels = [{"L": 0, "R": 1}.get(t, 2) for t in types]     # I1 on level 0: R -> 1, numbers -> 2
    for i in range(n - 1, -1, -1):                  # L1: trailing whitespace goes back to level 0
        if not text[i].isspace():
            break
        levels[i] = 0
    return levels


def visual_line(line: tuple[Run, ...]) -> tuple[Run, ...]:
    """A wrapped line (logical order) in display order: Arabic shaped, right-to-left stretches
    reversed (UAX #9 L2) with mirrored brackets (L4); clusters (a letter and its marks, emoji
    sequences) stay in their own order. Lines without right-to-left text are returned as they are."""
    text = line_text(line)
    if not _RTL.search(text):
        return line
    owner = [k for k, r in enumerate(line) for _ in r.text]
    if _ARABIC.search(text):
        shaped = _shape(text)           # shaped across run boundaries; each character keeps its run
        text, owner = "".join(c for c, _ in shaped), [owner[i] for _, i in shaped]
    levels = _bidi_levels(text)
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
            if lv[ci] % 2 and ch in _MIRROR:
                ch = _MIRROR[ch]
            r = line[owner[i]]
            out.append(Run(ch, r.bold, r.italic, r.mono, r.color, r.highlight))
    return merge(out)
