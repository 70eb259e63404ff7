"""Runs: inline markup turned into styled pieces of text, and the small helpers every text module
shares (merging neighbours of one style, a line's text)."""
from __future__ import annotations

from ..fonts import Style
from ..markup import parse_markup
from .plan import Run


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


def merge(runs: list[Run]) -> tuple[Run, ...]:
    out: list[Run] = []
    for r in runs:
        if r.math is not None or (out and out[-1].math is not None):     # formulas stay whole runs
            out.append(r)
        elif out and (out[-1].bold, out[-1].italic, out[-1].mono, out[-1].color, out[-1].highlight) == \
                (r.bold, r.italic, r.mono, r.color, r.highlight):
            out[-1] = Run(out[-1].text + r.text, r.bold, r.italic, r.mono, r.color, r.highlight)
        elif r.text:
            out.append(r)
    return tuple(out)


def line_text(line: tuple[Run, ...]) -> str:
    return "".join(r.text for r in line)


def style(r: Run) -> tuple:
    return (r.bold, r.italic, r.mono, r.color, r.highlight)
