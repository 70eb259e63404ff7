"""Where a line may break: between words, and inside a word around CJK and emoji (UAX #14 in the
parts lessons meet), never before closing or after opening punctuation."""
from __future__ import annotations

import re

from ..fonts import EMOJI_PRESENTATION
from ..fonts.clusters import is_attaching
from .plan import Run

# A no-break space (U+00A0, U+202F) belongs to the word around it: never a break, never dropped.
_PIECES = re.compile("\n|[^\\S\n\u00a0\u202f]+|(?:[^\\s]|[\u00a0\u202f])+")

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


def can_break(a: str, b: str) -> bool:
    """May a line break between the adjacent non-space characters a and b?"""
    if b in _NO_BREAK_BEFORE or a in _NO_BREAK_AFTER or a == "\u200d" or attaches(b):
        return False
    if a in _BREAK_AFTER:       # not before a digit ("a-5") nor inside a run of them ("--", "?!")
        return not b.isdigit() and b not in _BREAK_AFTER
    if b == "\u2014":           # an em dash may also start a line
        return a not in _BREAK_AFTER
    return _breaks_around(ord(a)) or _breaks_around(ord(b))


def attaches(ch: str) -> bool:
    """A character that stays with the one before it (marks, variation selectors, ZWJ, skin tones, tags)."""
    return is_attaching(ord(ch))


def _split_word(piece: str) -> list[str]:
    """A non-space piece cut at its break opportunities."""
    if not _BREAKS_INSIDE.search(piece):
        return [piece]
    out, start = [], 0
    for i in range(1, len(piece)):
        if can_break(piece[i - 1], piece[i]) and (piece[i - 1] not in _BREAK_AFTER or i > 1):
            out.append(piece[start:i])
            start = i
    out.append(piece[start:])
    return out


def tokens(runs: tuple[Run, ...]):
    """Yield ('word', [runs]) / ('space', [runs]) / ('break', []) with words spanning run boundaries.

    Two words may follow each other without a space between them: a CJK or emoji break opportunity."""
    word: list[Run] = []
    for run in runs:
        if run.math is not None:        # a formula, glued to the text around it ("$x$," stays together)
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
                    if word and (k or can_break(word[-1].text[-1], part[0])):
                        yield "word", word
                        word = []
                    word.append(Run(part, run.bold, run.italic, run.mono, run.color, run.highlight))
    if word:
        yield "word", word
