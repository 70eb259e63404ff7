"""Inline markup for text fields: **bold**, *italic*, `code`, ==highlight==, $math$, and \\ to escape.

Inline math is TeX in the subset deckc.texmath.subset documents, checked here (so a bad formula
is a located spec error); `\\$` is a literal dollar sign.

Parsed into spans once; both writers turn spans into real runs (not literal asterisks).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from .errors import MarkupError, TexError
from .texmath.subset import check_tex


__all__ = ["MarkupError", "Span", "parse_markup", "plain_text"]


@dataclass(frozen=True)
class Span:
    text: str
    bold: bool = False
    italic: bool = False
    code: bool = False
    highlight: bool = False
    math: bool = False                # text is TeX, drawn as a formula


_MARKERS = (("**", "bold"), ("==", "highlight"), ("*", "italic"))


@lru_cache(maxsize=4096)      # the loader checks each text, the layout parses it again (spans are immutable)
def parse_markup(text: str) -> tuple[Span, ...]:
    spans: list[Span] = []
    state = {"bold": False, "italic": False, "highlight": False}
    opened_at: dict[str, int] = {}
    buf: list[str] = []

    def flush(code: bool = False) -> None:
        if buf:
            spans.append(Span("".join(buf), code=code, **state))
            buf.clear()

    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "\\" and i + 1 < n and text[i + 1] in "\\*=`$":
            buf.append(text[i + 1])
            i += 2
            continue
        if c == "$":
            end = _math_end(text, i + 1)
            if end < 0 and (i + 1 >= n or text[i + 1].isspace() or text[i + 1].isdigit()):
                buf.append(c)           # "$ 5", "$5" with no formula after: a dollar sign
                i += 1
                continue
            if end < 0:
                raise MarkupError(f"unclosed '$' (math) opened at character {i + 1}; write \\$ for a literal dollar sign",
                                  i, "unclosed '$' (math) opened here; write \\$ for a literal dollar sign")
            tex = text[i + 1:end]
            try:
                check_tex(tex)
            except TexError as e:
                raise MarkupError(f"in the math at character {i + 1 + e.offset + 1}: {e}", i + 1 + e.offset,
                                  f"in the math: {e}") from None
            flush()
            spans.append(Span(tex, math=True, **state))
            i = end + 1
            continue
        if c == "`":
            end = text.find("`", i + 1)
            if end < 0:
                raise MarkupError(f"unclosed '`' (code) opened at character {i + 1}; write \\` for a literal backtick",
                                  i, "unclosed '`' (code) opened here; write \\` for a literal backtick")
            flush()
            buf.append(text[i + 1:end])
            flush(code=True)
            i = end + 1
            continue
        for marker, style in _MARKERS:
            if text.startswith(marker, i):
                before = text[i - 1] if i else " "
                after = text[i + len(marker)] if i + len(marker) < n else " "
                if before.isspace() and after.isspace():  # "2 * 3", "2 ** 8" and "a == b" are literal
                    buf.append(marker)
                    i += len(marker)
                    break
                flush()
                state[style] = not state[style]
                opened_at[style] = i
                i += len(marker)
                break
        else:
            buf.append(c)
            i += 1
    flush()
    for style, on in state.items():
        if on:
            marker = next(m for m, s in _MARKERS if s == style)
            fix = f"write \\{marker[0]} for a literal '{marker[0]}'"
            raise MarkupError(f"unclosed '{marker}' ({style}) opened at character {opened_at[style] + 1}; {fix}",
                              opened_at[style], f"unclosed '{marker}' ({style}) opened here; {fix}")
    return tuple(spans)


def _math_end(text: str, start: int) -> int:
    """Index of the `$` closing the math that starts at `start`, or -1. As in pandoc, math starts
    right after `$` (no space) and ends at a `$` right after a non-space that is not followed by a
    digit, so "from $5 to $10" is no formula; a `\\$` inside is TeX's dollar."""
    if start >= len(text) or text[start].isspace():
        return -1
    i = start
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text[i] == "$" and not text[i - 1].isspace() and not (i + 1 < len(text) and text[i + 1].isdigit()):
            return i
        i += 1
    return -1


def plain_text(text: str) -> str:
    """The text a reader sees, without markers (for notes, alt text and search)."""
    return "".join(s.text for s in parse_markup(text))
