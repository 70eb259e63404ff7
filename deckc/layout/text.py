"""Measured text: inline markup -> runs -> lines wrapped with the real font metrics."""
from __future__ import annotations

import re
from functools import lru_cache

from ..fonts import Style, font_book
from ..markup import parse_markup
from .plan import Para, Run

_PIECES = re.compile(r"\n|[^\S\n]+|[^\s]+")


def runs_from_markup(text: str, color: str, bold: bool = False, italic: bool = False,
                     highlight: str | None = None) -> tuple[Run, ...]:
    return tuple(Run(s.text, bold=bold or s.bold, italic=italic or s.italic, mono=s.code, color=color,
                     highlight=highlight if s.highlight else None)
                 for s in parse_markup(text))


def style_of(run: Run) -> Style:
    return Style(bold=run.bold, italic=run.italic, mono=run.mono)


@lru_cache(maxsize=65536)
def _width(text: str, bold: bool, italic: bool, mono: bool, size: float) -> float:
    return font_book().width(text, Style(bold=bold, italic=italic, mono=mono), size)


def run_width(run: Run, size: float) -> float:
    return _width(run.text, run.bold, run.italic, run.mono, size)


def line_width(line: tuple[Run, ...], size: float) -> float:
    return sum(run_width(r, size) for r in line)


def _split_long(word: list[Run], size: float, max_w: float) -> list[list[Run]]:
    """A word wider than the line (a URL, say) is broken between characters."""
    chunks: list[list[Run]] = [[]]
    w = 0.0
    for run in word:
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
        if out and (out[-1].bold, out[-1].italic, out[-1].mono, out[-1].color, out[-1].highlight) == \
                (r.bold, r.italic, r.mono, r.color, r.highlight):
            out[-1] = Run(out[-1].text + r.text, r.bold, r.italic, r.mono, r.color, r.highlight)
        elif r.text:
            out.append(r)
    return tuple(out)


def _tokens(runs: tuple[Run, ...]):
    """Yield ('word', [runs]) / ('space', [runs]) / ('break', []) with words spanning run boundaries."""
    word: list[Run] = []
    for run in runs:
        for piece in _PIECES.findall(run.text):
            frag = Run(piece, run.bold, run.italic, run.mono, run.color, run.highlight)
            if piece == "\n":
                if word:
                    yield "word", word
                    word = []
                yield "break", []
            elif piece.isspace():
                if word:
                    yield "word", word
                    word = []
                yield "space", [frag]
            else:
                word.append(frag)
    if word:
        yield "word", word


def wrap(runs: tuple[Run, ...], size: float, max_w: float) -> tuple[tuple[Run, ...], ...]:
    lines: list[list[Run]] = [[]]
    w = 0.0
    pending: list[Run] = []   # spaces, kept only if a word follows on the same line
    for kind, frags in _tokens(runs):
        if kind == "break":
            lines.append([])
            w, pending = 0.0, []
            continue
        fw = sum(run_width(f, size) for f in frags)
        if kind == "space":
            if lines[-1]:
                pending.extend(frags)
            continue
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
    lines = wrap(runs, size, max(width - indent, size))
    return Para(runs=runs, size=size, lines=lines, line_height=round(size * line_spacing, 2), align=align,
                space_before=space_before, bullet=bullet, indent=indent)


def paras_height(paras) -> float:
    return sum(p.height for p in paras)


def paras_fit_width(paras, width: float) -> bool:
    return all(line_width(line, p.size) <= width - p.indent + 0.01 for p in paras for line in p.lines)
