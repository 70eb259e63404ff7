"""Measured text: inline markup -> runs -> lines wrapped with the real font metrics.

Scripts beyond Latin:

- Chinese, Japanese and Korean have no spaces between words: a line may break between any two
  of their characters (and around emoji), except before closing punctuation (、。」...) and after
  opening punctuation (「（...), as UAX #14 and LibreOffice/PowerPoint do. Like them, a long
  word also breaks after "-", "?", "!", "|" and around dashes, but not after "/" (LibreOffice
  keeps a URL's path together); a word with no such place is broken between characters.
- Right-to-left text (Hebrew, Arabic) is wrapped in logical order, then each wrapped line is
  put in visual (display) order with the Unicode bidirectional algorithm (UAX #9) on a
  left-to-right paragraph: ``Para.lines`` are what the PDF draws, left to right. ``Para.runs``
  keep the logical order: the PPTX gets those, and PowerPoint/LibreOffice reorder themselves.
- Arabic letters are shaped (joined) the classic way: each letter is replaced by its isolated,
  initial, medial or final presentation form (U+FB50-U+FEFF, which DejaVu Sans has), and lam +
  alef by their mandatory ligature. Widths are measured on the shaped text. Without a shaping
  engine, optional ligatures and mark positioning (harakat) are not done.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from ..fonts import EMOJI_PRESENTATION, Style, font_book
from ..markup import parse_markup
from .plan import Para, Run

# A no-break space (U+00A0, U+202F) belongs to the word around it: never a break, never dropped.
_PIECES = re.compile("\n|[^\\S\n\u00a0\u202f]+|(?:[^\\s]|[\u00a0\u202f])+")


def runs_from_markup(text: str, color: str, bold: bool = False, italic: bool = False,
                     highlight: str | None = None) -> tuple[Run, ...]:
    runs = []
    for s in parse_markup(text):
        hl = highlight if s.highlight else None
        if s.math:      # a formula is one unbreakable run, drawn from its laid-out art
            from ..texmath.render import math_art
            art = math_art(s.text, False)
            runs.append(Run(art.linear, color=color, highlight=hl, math=art))
        else:
            runs.append(Run(s.text, bold=bold or s.bold, italic=italic or s.italic, mono=s.code, color=color,
                            highlight=hl))
    return tuple(runs)


def style_of(run: Run) -> Style:
    return Style(bold=run.bold, italic=run.italic, mono=run.mono)


@lru_cache(maxsize=65536)
def _width(text: str, bold: bool, italic: bool, mono: bool, size: float) -> float:
    if _ARABIC.search(text):
        text = shape_arabic(text)
    return font_book().width(text, Style(bold=bold, italic=italic, mono=mono), size)


def run_width(run: Run, size: float) -> float:
    if run.math is not None:
        return run.math.width * size
    return _width(run.text, run.bold, run.italic, run.mono, size)


def line_width(line: tuple[Run, ...], size: float) -> float:
    return sum(run_width(r, size) for r in line)


def _split_long(word: list[Run], size: float, max_w: float) -> list[list[Run]]:
    """A word wider than the line (a URL, say) is broken between characters."""
    chunks: list[list[Run]] = [[]]
    w = 0.0
    for run in word:
        if run.math is not None:        # a formula is never broken
            if w and w + run_width(run, size) > max_w:
                chunks.append([])
                w = 0.0
            chunks[-1].append(run)
            w += run_width(run, size)
            continue
        for ch in run.text:
            cw = _width(ch, run.bold, run.italic, run.mono, size)
            if w + cw > max_w and chunks[-1]:
                chunks.append([])
                w = 0.0
            chunks[-1].append(Run(ch, run.bold, run.italic, run.mono, run.color, run.highlight))
            w += cw
    return chunks


def _merge(runs: list[Run]) -> tuple[Run, ...]:
    out: list[Run] = []
    for r in runs:
        if r.math is not None or (out and out[-1].math is not None):
            out.append(r)
        elif out and (out[-1].bold, out[-1].italic, out[-1].mono, out[-1].color, out[-1].highlight) == \
                (r.bold, r.italic, r.mono, r.color, r.highlight):
            out[-1] = Run(out[-1].text + r.text, r.bold, r.italic, r.mono, r.color, r.highlight)
        elif r.text:
            out.append(r)
    return tuple(out)


# ---- line-break opportunities inside a word (CJK, emoji) ----

_BREAKS_INSIDE = re.compile("[?!|\\-\u2013\u2014\u2e80-\U0003ffff]")   # a word without these is one piece
_BREAK_AFTER = frozenset("?!|-\u2013\u2014")       # UAX #14 classes EX, BA, HY, B2
_NO_BREAK_BEFORE = frozenset("、。，．・：；！？）」』】〕〉》〙〗〟｝］｠ー…‥々〻ゝゞヽヾ"
                             "ぁぃぅぇぉっゃゅょゎゕゖァィゥェォッャュョヮヵヶㇰㇱㇲㇳㇴㇵㇶㇷㇸㇹㇺㇻㇼㇽㇾㇿ"
                             ")]}!?,.:;%\u2019\u201d")
_NO_BREAK_AFTER = frozenset("（「『【〔〈《〘〖〝｛［｟([{\u2018\u201c")


def _breaks_around(cp: int) -> bool:
    """CJK ideographs, kana, hangul, full-width forms and emoji: a line may break before and after."""
    if 0x1F1E6 <= cp <= 0x1F1FF:     # regional indicators pair up into flags
        return False
    return (0x2E80 <= cp <= 0xA4CF or 0xAC00 <= cp <= 0xD7AF or 0xF900 <= cp <= 0xFAFF
            or 0xFE30 <= cp <= 0xFE4F or 0xFF00 <= cp <= 0xFFEF or 0x20000 <= cp <= 0x3FFFF
            or cp in EMOJI_PRESENTATION)


def _can_break(a: str, b: str) -> bool:
    """May a line break between the adjacent non-space characters a and b?"""
    if b in _NO_BREAK_BEFORE or a in _NO_BREAK_AFTER or a == "\u200d" or _attaches(b):
        return False
    if a in _BREAK_AFTER:       # not before a digit ("a-5") nor inside a run of them ("--", "?!")
        return not b.isdigit() and b not in _BREAK_AFTER
    if b == "\u2014":           # an em dash may also start a line
        return a not in _BREAK_AFTER
    return _breaks_around(ord(a)) or _breaks_around(ord(b))


def _attaches(ch: str) -> bool:
    cp = ord(ch)
    return (0xFE00 <= cp <= 0xFE0F or cp in (0x200C, 0x200D) or 0x1F3FB <= cp <= 0x1F3FF
            or 0xE0020 <= cp <= 0xE007F or unicodedata.category(ch) in ("Mn", "Me"))


def _split_word(piece: str) -> list[str]:
    """A non-space piece cut at its break opportunities."""
    if not _BREAKS_INSIDE.search(piece):
        return [piece]
    out, start = [], 0
    for i in range(1, len(piece)):
        if _can_break(piece[i - 1], piece[i]) and (piece[i - 1] not in _BREAK_AFTER or i > 1):
            out.append(piece[start:i])
            start = i
    out.append(piece[start:])
    return out


def _tokens(runs: tuple[Run, ...]):
    """Yield ('word', [runs]) / ('space', [runs]) / ('break', []) with words spanning run boundaries.

    Two words may follow each other without a space between them: a CJK or emoji break opportunity."""
    word: list[Run] = []
    for run in runs:
        if run.math is not None:        # glued to the text around it ("$x$," stays together)
            word.append(run)
            continue
        for piece in _PIECES.findall(run.text):
            if piece == "\n":
                if word:
                    yield "word", word
                    word = []
                yield "break", []
            elif piece.isspace() and "\u00a0" not in piece and "\u202f" not in piece:
                if word:
                    yield "word", word
                    word = []
                yield "space", [Run(piece, run.bold, run.italic, run.mono, run.color, run.highlight)]
            else:
                for k, part in enumerate(_split_word(piece)):
                    if word and (k or _can_break(word[-1].text[-1], part[0])):
                        yield "word", word
                        word = []
                    word.append(Run(part, run.bold, run.italic, run.mono, run.color, run.highlight))
    if word:
        yield "word", word


def widest_word(runs: tuple[Run, ...], size: float) -> float:
    """Width of the widest piece of ``runs`` that no line break can split (its min-content width)."""
    return max((sum(run_width(f, size) for f in frags) for kind, frags in _tokens(runs) if kind == "word"),
               default=0.0)


def wrap(runs: tuple[Run, ...], size: float, max_w: float) -> tuple[tuple[Run, ...], ...]:
    lines: list[list[Run]] = [[]]
    w = 0.0
    pending: list[Run] = []   # spaces, kept only if a word follows on the same line
    at_start = True           # at the paragraph's start or after a hard break (not a wrap)
    for kind, frags in _tokens(runs):
        if kind == "break":
            lines.append([])
            w, pending = 0.0, []
            at_start = True
            continue
        fw = sum(run_width(f, size) for f in frags)
        if kind == "space":
            if lines[-1]:
                pending.extend(frags)
            elif at_start and frags[0].mono:    # code indented at the start of a line keeps it
                lines[-1].extend(frags)
                w += fw
            continue
        at_start = False
        pw = sum(run_width(f, size) for f in pending)
        if lines[-1] and w + pw + fw > max_w:
            lines.append([])
            w, pending = 0.0, []
            pw = 0.0
        if not lines[-1] and fw > max_w:
            chunks = _split_long(frags, size, max_w)
            for chunk in chunks[:-1]:
                lines[-1].extend(chunk)
                lines.append([])
            frags = chunks[-1]
            fw = sum(run_width(f, size) for f in frags)
        lines[-1].extend(pending + frags)
        w += pw + fw
        pending = []
    return tuple(_merge(line) for line in lines)


def make_para(text: str, size: float, width: float, color: str, *, bold: bool = False, italic: bool = False,
              align: str = "left", space_before: float = 0.0, bullet: str | None = None,
              highlight: str | None = None, line_spacing: float = 1.2) -> Para:
    runs = runs_from_markup(text, color, bold=bold, italic=italic, highlight=highlight)
    return para_from_runs(runs, size, width, align=align, space_before=space_before, bullet=bullet,
                          line_spacing=line_spacing)


def para_from_runs(runs: tuple[Run, ...], size: float, width: float, *, align: str = "left",
                   space_before: float = 0.0, bullet: str | None = None, line_spacing: float = 1.2) -> Para:
    indent = size * 1.1 if bullet else 0.0
    lines = tuple(visual_line(line) for line in wrap(runs, size, max(width - indent, size)))
    tallest = max(((r.math.ascent + r.math.descent) * 1.1 for r in runs if r.math is not None), default=0.0)
    return Para(runs=runs, size=size, lines=lines, line_height=round(size * max(line_spacing, tallest), 2), align=align,
                space_before=space_before, bullet=bullet, indent=indent)


def paras_height(paras) -> float:
    return sum(p.height for p in paras)


def paras_fit_width(paras, width: float) -> bool:
    return all(line_width(line, p.size) <= width - p.indent + 0.01 for p in paras for line in p.lines)


def line_text(line: tuple[Run, ...]) -> str:
    return "".join(r.text for r in line)


# ---- right-to-left: Arabic shaping and bidi reordering ----------------------------------------

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
        if clusters and (_attaches(ch) or text[i - 1] == _ZWJ):
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
    return _merge(out)


# ---- cutting ----------------------------------------------------------------------------------

ELLIPSIS = "…"


def truncate_para(p: Para, n: int, width: float) -> Para:
    """The first ``n`` lines of ``p`` (laid out at ``width``), the last one ending in an ellipsis
    that fits: characters are taken off its (logical) end until it does. ``runs`` become the text
    of the kept lines plus the ellipsis, so a writer that wraps again (PowerPoint) shows the same lines."""
    logical = wrap(p.runs, p.size, max(width - p.indent, p.size))
    if len(logical) != len(p.lines):        # not laid out at this width: keep what was measured
        logical = p.lines
    keep = [list(line) for line in logical[:max(n, 1)]]
    last = keep[-1]
    room = max(width - p.indent, p.size)
    tail = Run(ELLIPSIS, *_style((last or list(p.runs) or [Run("")])[-1]))
    while last and line_width(tuple(last) + (tail,), p.size) > room:
        r = last[-1]
        if r.text[:-1]:
            last[-1] = Run(r.text[:-1], *_style(r))
        else:
            last.pop()
    if last and last[-1].text.rstrip() != last[-1].text:
        last[-1] = Run(last[-1].text.rstrip(), *_style(last[-1]))
    # The kept text is where the kept lines end in the paragraph's own (logical) text.
    source, end = "".join(r.text for r in p.runs), 0
    for line in keep:
        text = line_text(line)
        at = source.find(text, end) if text else end
        if at < 0:                          # lines not taken from these runs: join them with spaces
            runs = [Run((" " if i and line else "") + line_text(line), *_style(line[0])) for i, line in
                    enumerate(keep) if line]
            break
        end = at + len(text)
    else:
        runs, count = [], end
        for r in p.runs:
            if count <= 0:
                break
            runs.append(Run(r.text[:count], *_style(r)))
            count -= len(r.text)
    last.append(tail)
    lines = tuple(visual_line(_merge(line)) for line in keep)
    return Para(runs=_merge([*runs, tail]), size=p.size, lines=lines, line_height=p.line_height, align=p.align,
                space_before=p.space_before, bullet=p.bullet, indent=p.indent)


def _style(r: Run) -> tuple:
    return (r.bold, r.italic, r.mono, r.color, r.highlight)
