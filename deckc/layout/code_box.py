"""Layout of code listings (`- code:`): Pygments tokens -> coloured mono runs, one line per line.

Indentation is exact: tabs are expanded to 4-column stops before anything else, and every space
is kept (never collapsed or dropped at a line start), so text copied out of either deck runs. The
listing is set at the type scale's code size, on every slide; a line too long for the box is continued on the next display line, which starts with
a "→ " mark, and the slide gets a warning (the lecturer should shorten the line or split the slide).
"""
from __future__ import annotations

from functools import lru_cache

from .. import model as m
from ..fonts import Style, font_book
from .blocks import Measured, _text_box, block
from .plan import CONTINUED, CodeBox, Element, Para, Run, Shape
from .text import make_para

TAB = 4
# Colours by Pygments token type (the most specific listed ancestor wins): GitHub's light scheme,
# darkened where needed so every token has WCAG AA contrast (4.5:1) on the background and the shading.
COLOURS = {
    "Token.Keyword": "CF222E", "Token.Keyword.Constant": "0550AE", "Token.Keyword.Type": "CF222E",
    "Token.Name.Builtin": "6F42C1", "Token.Name.Function": "6F42C1", "Token.Name.Class": "953800",
    "Token.Name.Decorator": "6F42C1", "Token.Name.Exception": "953800", "Token.Name.Tag": "116329",
    "Token.Name.Attribute": "0550AE", "Token.Literal.String": "0A3069", "Token.Literal.Number": "0550AE",
    "Token.Comment": "57606A", "Token.Operator.Word": "CF222E", "Token.Generic.Deleted": "82071E",
    "Token.Generic.Inserted": "116329", "Token.Generic.Heading": "0550AE",
}
BACKGROUND, BORDER, HIGHLIGHT, MARK = "F6F8FA", "D0D7DE", "FFF1B8", "57606A"
TEXT = "1F2328"      # plain tokens: the listing's background is light under every theme (a dark one too)


@lru_cache(maxsize=1)
def lexer_names() -> frozenset[str]:
    from pygments.lexers import get_all_lexers

    return frozenset(alias.lower() for _, aliases, _, _ in get_all_lexers() for alias in aliases) | {"text"}


def _colour(ttype, default: str) -> str:
    while ttype is not None:
        c = COLOURS.get(str(ttype))
        if c:
            return c
        ttype = ttype.parent
    return default


@lru_cache(maxsize=256)
def highlighted_lines(source: str, lang: str, default: str) -> tuple[tuple[tuple[str, str], ...], ...]:
    """((text, colour), ...) per source line, tabs expanded."""
    from pygments import lex
    from pygments.lexers import get_lexer_by_name

    text = "\n".join(line.expandtabs(TAB) for line in source.rstrip("\n").split("\n"))
    lexer = get_lexer_by_name(lang, stripnl=False, stripall=False, ensurenl=False, tabsize=0)
    lines: list[list[tuple[str, str]]] = [[]]
    for ttype, value in lex(text, lexer):
        colour = _colour(ttype, default)
        for k, part in enumerate(value.split("\n")):
            if k:
                lines.append([])
            if part:
                lines[-1].append((part, colour))
    return tuple(tuple(line) for line in lines)


def _cut(line: tuple[tuple[str, str], ...], cols: int) -> list[list[tuple[str, str]]]:
    """A line of (text, colour) pieces cut into display lines of at most `cols` characters; the
    continuations leave room for the mark."""
    out: list[list[tuple[str, str]]] = [[]]
    room = cols
    for text, colour in line:
        while text:
            if room <= 0:
                out.append([])
                room = cols - len(CONTINUED)
            piece, text = text[:room], text[room:]
            out[-1].append((piece, colour))
            room -= len(piece)
    return out


@block(m.Code)
def _code(b: m.Code, w, s, ctx):
    t = ctx.theme
    pad = (10 * s, 8 * s, 10 * s, 8 * s)
    inner = w - pad[0] - pad[2]
    lines = highlighted_lines(b.source, b.lang, TEXT)
    book = font_book()
    advance = book.width("0", Style(mono=True), 1.0)           # a monospace font: one advance for all
    size = t.type.at("code", s)      # the deck's one code size: a long line wraps, it never shrinks the listing
    cols = max(int(inner / (advance * size) + 1e-6), len(CONTINUED) + 8)
    line_h = round(size * 1.25, 2)
    paras: list[Para] = []
    owners: list[int] = []              # the source line each display line shows
    wrapped = 0
    for n, line in enumerate(lines, start=1):
        parts = _cut(line, cols)
        wrapped += len(parts) > 1
        for k, part in enumerate(parts):
            runs = [Run(p, mono=True, color=c) for p, c in part]
            if k:
                runs.insert(0, Run(CONTINUED, mono=True, color=MARK))
            runs = tuple(runs) or (Run("", mono=True, color=TEXT),)
            paras.append(Para(runs=runs, size=size, lines=(runs,), line_height=line_h))
            owners.append(n)
    text_h = line_h * len(paras)
    box_h = text_h + pad[1] + pad[3]
    cap = make_para(b.caption, t.type.at("caption", s), w, t.muted, italic=True) if b.caption else None
    h = box_h + (6 * s + cap.height if cap else 0.0)
    marked = set(b.highlight)
    source = "\n".join(line.expandtabs(TAB) for line in b.source.rstrip("\n").split("\n"))

    def place(x, y, hh):
        out: list[Element] = [Shape(name=f"{ctx.name}.code-background", x=x, y=y, w=w, h=box_h, kind="rect",
                                    fill=BACKGROUND, border=BORDER, decorative=True)]
        for i, n in enumerate(owners):
            if n in marked and (i == 0 or owners[i - 1] != n):
                span = owners.count(n)
                out.append(Shape(name=f"{ctx.name}.code-highlight{n}", x=x + 1, y=y + pad[1] + i * line_h,
                                 w=w - 2, h=span * line_h, kind="rect", fill=HIGHLIGHT,
                                 decorative=True))   # the listing's own text says which lines
        out.append(CodeBox(name=f"{ctx.name}.code", x=x, y=y, w=w, h=box_h, paras=tuple(paras), pad=pad,
                           alt=f"Code listing ({b.lang}): {source}", role="code", lang=b.lang, source=source,
                           highlight=tuple(sorted(marked)), wrapped=wrapped))
        if cap:
            out.append(_text_box(ctx, "caption", x, y + box_h + 6 * s, w, [cap], role="caption"))
        return out

    return Measured(h, place)
