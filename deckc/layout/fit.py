"""Fitting a slide's body at the deck's type scale, never by shrinking one box.

In order: lay the blocks out at the scale; if they are taller than the body area, rebalance
(columns get the width split that needs the least height); if still too tall, continue the slide
on "(cont.)" slides, breaking only between blocks, between top-level bullet items or between
table rows (a sentence is never cut), and keeping a lead-in line ("Consider this:") with what it
introduces. A slide marked `split: false` (and a quiz slide) is instead laid out one step smaller
(TypeScale.step, never below TypeScale.floor), with a warning; what still does not fit is cut, with
a warning, by the caller.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable

from .. import model as m
from .blocks import Measured

# (blocks, text scale, rebalance) -> Measured
MeasureFn = Callable[[list, float, bool], Measured]


@dataclass(frozen=True)
class Page:
    """One slide's share of the body: its blocks, measured at scale `s`."""

    blocks: tuple
    measured: Measured
    s: float = 1.0

    def fits(self, h: float) -> bool:
        return self.measured.height <= h + 0.01


def _at_scale(blocks: list, s: float, measure: MeasureFn, h: float) -> Page:
    page = Page(tuple(blocks), measure(blocks, s, False), s)
    if page.fits(h):
        return page
    rebalanced = Page(tuple(blocks), measure(blocks, s, True), s)
    return rebalanced if rebalanced.measured.height < page.measured.height else page


def fit_body(blocks: list, h: float, measure: MeasureFn, may_split: bool, step: float) -> list[Page]:
    """The pages the blocks take in a body area `h` tall. A page that does not fit even so (one
    block taller than a slide, or a slide that may not split) comes back at scale `step`; the
    caller warns about it (and cuts what still does not fit)."""
    page = _at_scale(blocks, 1.0, measure, h)
    if page.fits(h) or not blocks:
        return [page]
    if may_split:
        pages = []
        for chunk in _chunks(_atoms(blocks), lambda bs: _at_scale(bs, 1.0, measure, h).fits(h)):
            p = _at_scale(chunk, 1.0, measure, h)
            pages.append(p if p.fits(h) else _at_scale(chunk, step, measure, h))
        if len(pages) > 1:
            return pages
    return [_at_scale(blocks, step, measure, h)]


# ---- where a body may break: atoms, packed greedily into pages --------------------------------

@dataclass(frozen=True)
class _Atom:
    block: object                 # the model block this atom is (part of)
    index: int                    # the block's position in the body
    part: tuple | None = None     # for bullets: the top-level items; for tables: the rows


def _atoms(blocks: list) -> list[_Atom]:
    out = []
    for i, b in enumerate(blocks):
        if isinstance(b, m.Bullets) and len(b.items) > 1:
            out.extend(_Atom(b, i, (item,)) for item in b.items)
        elif isinstance(b, m.Table) and len(b.rows) > 1:
            out.extend(_Atom(b, i, (row,)) for row in b.rows)
        else:
            out.append(_Atom(b, i))
    return out


def _blocks(atoms: list[_Atom]) -> list:
    """Atoms back to blocks: consecutive parts of one list or table become one block again."""
    out: list = []
    prev = None
    for a in atoms:
        if a.part is None:
            out.append(a.block)
        elif prev is not None and prev.index == a.index:
            b = out[-1]
            out[-1] = (replace(b, items=b.items + a.part) if isinstance(b, m.Bullets)
                       else replace(b, rows=b.rows + a.part))
        else:
            out.append(replace(a.block, items=a.part) if isinstance(a.block, m.Bullets)
                       else replace(a.block, rows=a.part))
        prev = a
    return out


def _lead_in(a: _Atom) -> bool:
    """A short line that introduces what follows ("Consider this sentence:"): it goes with it."""
    return isinstance(a.block, m.Text) and a.block.text.rstrip().endswith(":")


def _chunks(atoms: list[_Atom], fits: Callable[[list], bool]) -> list[list]:
    chunks: list[list[_Atom]] = []
    cur: list[_Atom] = []
    for a in atoms:
        if cur and not fits(_blocks(cur + [a])):
            carry = []
            while len(cur) > 1 and _lead_in(cur[-1]):
                carry.insert(0, cur.pop())
            chunks.append(cur)
            cur = carry
        cur.append(a)
    if cur:
        chunks.append(cur)
    return [_blocks(c) for c in chunks]
