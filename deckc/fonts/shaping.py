"""Text shaping with HarfBuzz (uharfbuzz): which glyphs a run of text becomes in one of the
shipped fonts once the font's own rules (OpenType GSUB) apply.

Two uses, both for text that needs it only (uharfbuzz is imported on the first such text):

- Arabic letters: each letter's contextual form and the lam-alef ligatures, from the font's
  init/medi/fina/isol and rlig features, given back as the characters that draw those glyphs
  (:func:`shape_to_chars`; see deckc.layout.bidi).
- Emoji sequences (ZWJ sequences, flags, keycaps, skin tones, tag sequences): whether the emoji
  font has one glyph for the whole sequence, and its advance (:func:`emoji_clusters`; the
  FontBook measures and draws such a sequence as that one glyph).
"""
from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .cmap import _font, glyph_chars

# Arabic marks (harakat and Quranic marks), which the font's GPOS places on their letter.
ARABIC_MARK = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06dc\u06df-\u06e4\u06e7\u06e8"
                         "\u06ea-\u06ed\u08d3-\u08ff]")
# Characters that make an emoji sequence of what would otherwise be separate emoji: ZWJ, regional
# indicators (flags), the keycap mark, skin-tone modifiers, tag characters (subdivision flags).
SEQUENCE = re.compile("[\u200d\u20e3\U0001F1E6-\U0001F1FF\U0001F3FB-\U0001F3FF\U000E0020-\U000E007F]")


@dataclass(frozen=True)
class Cluster:
    """A piece of the text and how the font draws it: `glyph` is its single glyph when the font
    has one for the whole piece (a ligature), else None; `advance` per 1000 em."""

    text: str
    glyph: int | None
    advance: float


@lru_cache(maxsize=16)
def _hb(path: Path):
    import uharfbuzz as hb

    face = hb.Face(hb.Blob(_font(path)[0]))
    return hb, hb.Font(face), face.upem


def _shape(path: Path, text: str, per_char: bool, script: str | None = None, rtl: bool = False,
           features: tuple = ()):
    hb, font, upem = _hb(path)
    buf = hb.Buffer()
    buf.add_str(text)
    buf.guess_segment_properties()
    if script:
        buf.script = script
    buf.direction = "rtl" if rtl else "ltr"
    buf.flags = hb.BufferFlags.PRESERVE_DEFAULT_IGNORABLES      # ZWJ/ZWNJ keep their own glyphs
    buf.cluster_level = (hb.BufferClusterLevel.MONOTONE_CHARACTERS if per_char
                         else hb.BufferClusterLevel.MONOTONE_GRAPHEMES)
    hb.shape(font, buf, dict(features))
    k = 1000 / upem
    return [(i.codepoint, i.cluster, p.x_advance * k, p.x_offset * k, p.y_offset * k)
            for i, p in zip(buf.glyph_infos, buf.glyph_positions)]


@lru_cache(maxsize=4096)
def shape_to_chars(path: Path, text: str) -> tuple[tuple[str, int], ...]:
    """Arabic `text` (logical order) shaped by the font at `path`: (character to draw, index of
    the source character), in logical order. A glyph is drawn by its presentation-form character
    where it has one (the form is then visible in the text too), else by a character that maps to
    it; a ligature stands for its first character (the others are gone); a glyph no character
    maps to is drawn as the characters it came from."""
    chars, isolated = glyph_chars(Path(path)), _isolated_forms(Path(path))
    glyphs = list(reversed(_shape(Path(path), text, True, script="Arab", rtl=True)))
    ends = sorted({g[1] for g in glyphs} | {len(text)})
    out = []
    for gid, cluster, *_ in glyphs:
        cps = chars.get(gid, ()) if gid else ()
        forms = [cp for cp in cps if 0xFB50 <= cp <= 0xFDFF or 0xFE70 <= cp <= 0xFEFF]
        forms += [isolated[cp] for cp in cps if cp in isolated]     # a letter left alone: its isolated form
        if forms or cps:
            out.append((chr((forms or cps)[0]), cluster))
        else:       # no character draws this glyph (shadda + fatha composed): its characters as typed
            end = ends[ends.index(cluster) + 1]
            out += [(text[i], i) for i in range(cluster, end) if (text[i], i) not in out]
    return tuple(out)


@lru_cache(maxsize=4)
def _isolated_forms(path: Path) -> dict[int, int]:
    """letter -> its isolated presentation form, where the font has that form (Unicode's
    '<isolated>' decompositions)."""
    import unicodedata

    cmap = _font(path)[2]
    out = {}
    for cp in (*range(0xFB50, 0xFE00), *range(0xFE70, 0xFF00)):
        dec = unicodedata.decomposition(chr(cp)).split()
        if len(dec) == 2 and dec[0] == "<isolated>" and cmap.get(cp):
            out.setdefault(int(dec[1], 16), cp)
    return out


@lru_cache(maxsize=4096)
def mark_offsets(path: Path, text: str) -> tuple[tuple[int, float, float], ...]:
    """For Arabic as the PDF draws it (display order, left to right, each letter followed by its
    marks, letters already in their contextual forms): the marks the font's mark-positioning
    rules (GPOS) move, as (index in text, dx, dy) per 1000 em from where drawing them in turn
    (after their letter, with no advance) puts them."""
    clusters, at = [], 0                 # [start, end) of each letter and its marks, display order
    for i in range(1, len(text) + 1):
        if i == len(text) or not ARABIC_MARK.match(text[i]):
            clusters.append((at, i))
            at = i
    logical = [i for a, b in reversed(clusters) for i in range(a, b)]    # index in text, logical order
    # letters are already in their forms; ccmp/rlig/liga off keep each mark its own glyph (no composed
    # shadda + fatha, which no character draws)
    glyphs = _shape(Path(path), "".join(text[i] for i in logical), True, script="Arab", rtl=True,
                    features=(("ccmp", False), ("rlig", False), ("liga", False)))
    if len(glyphs) != len(text):
        return ()                        # the font substituted something: draw the characters as they are
    cmap = _font(Path(path))[2]
    out = []
    for a, b in clusters:
        start = logical.index(a)                    # the letter's place in the shaped (logical) text
        mine = [g for g in glyphs if start <= g[1] < start + (b - a)]   # HarfBuzz may reorder marks
        base = next((g for g in mine if g[0] == cmap.get(ord(text[a]))), None)
        for i in range(a + 1, b):
            g = next((g for g in mine if g[0] == cmap.get(ord(text[i]))), None)
            if base is None or g is None:
                return ()
            # HarfBuzz places a mark from its letter's left edge; drawn after the letter, the pen
            # is at the letter's right edge, one advance further.
            dx, dy = g[3] - base[2], g[4]
            if dx or dy:
                out.append((i, dx, dy))
    return tuple(out)


@lru_cache(maxsize=4096)
def emoji_clusters(path: Path, text: str) -> tuple[Cluster, ...]:
    """`text` (drawn by the emoji font at `path`) as grapheme clusters, each with the one glyph
    the font has for it when it is a sequence the font draws as one (see Cluster)."""
    glyphs = _shape(Path(path), text, False)
    starts = sorted({g[1] for g in glyphs} | {len(text)})
    out = []
    for a, b in zip(starts, starts[1:]):
        piece = text[a:b]
        mine = [(g, adv) for g, c, adv, *_ in glyphs if c == a]
        visible = [(g, adv) for g, adv in mine if adv > 0]
        single = len(piece) > 1 and len(visible) == 1 and SEQUENCE.search(piece) is not None
        out.append(Cluster(piece, visible[0][0] if single else None, sum(adv for _, adv in mine)))
    return tuple(out)


PRIVATE_USE = 0xF0000          # supplementary private use area A: no font here maps it


class Ligatures:
    """The emoji sequences a document draws as one glyph, each with the private-use code point the
    PDF draws it by (deckc.pdf_fixes maps that code back to the sequence for copying out).

    A code stands for one text: the same glyph reached by two spellings (with and without U+FE0F)
    gets two codes, so each copies out as typed. Codes never leave this process except through
    ToUnicode, which writes the text: the PDF's bytes depend on the texts, not on the codes."""

    def __init__(self):
        self._lock = threading.Lock()
        self._codes: dict[str, int] = {}
        self.glyph: dict[int, int] = {}        # code -> glyph id in the emoji font
        self.advance: dict[int, float] = {}    # code -> advance per 1000 em
        self._installed: dict[int, int] = {}   # id(reportlab face) -> how many codes it has

    def code(self, cluster: Cluster) -> int:
        code = self._codes.get(cluster.text)
        if code is None:
            with self._lock:
                code = self._codes.get(cluster.text)
                if code is None:
                    code = PRIVATE_USE + len(self._codes)
                    self.glyph[code], self.advance[code] = cluster.glyph, cluster.advance
                    self._codes[cluster.text] = code     # last: other threads test this key
        return code

    def drawable(self, path: Path, s: str, plain) -> str:
        """`s` with each sequence the font draws as one glyph replaced by its code; `plain` makes
        the rest drawable."""
        return "".join(chr(self.code(c)) if c.glyph is not None else plain(c.text)
                       for c in emoji_clusters(path, s))

    def install(self, ttfont) -> None:
        """Teach a reportlab TTFont (the emoji font) the codes handed out so far."""
        face = ttfont.face
        if self._installed.get(id(face)) == len(self._codes):
            return
        from .. import pdf_fixes

        with self._lock:
            for text, code in self._codes.items():
                face.charToGlyph[code] = self.glyph[code]
                face.charWidths[code] = self.advance[code]
                pdf_fixes.stands_for(code, text)
            self._installed[id(face)] = len(self._codes)
