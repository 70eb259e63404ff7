"""Fitting a slide's body at the deck's type scale, never by shrinking one box.

In order: lay the blocks out at the scale; if they are taller than the body area, rebalance
(columns get the width split that needs the least height); if still too tall, continue the slide
on "(cont.)" slides, breaking only between blocks, between top-level bullet items or between
table rows or between the lines of a code listing (a sentence is never cut), and keeping a lead-in line ("Consider this:") with what it
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
    part: tuple | None = None     # bullets: the top-level items; tables: the rows; code: (first line, lines)


def _atoms(blocks: list) -> list[_Atom]:
    out = []
    for i, b in enumerate(blocks):
        if isinstance(b, m.Bullets) and len(b.items) > 1:
            out.extend(_Atom(b, i, (item,)) for item in b.items)
        elif isinstance(b, m.Table) and len(b.rows) > 1:
            out.extend(_Atom(b, i, (row,)) for row in b.rows)
        elif isinstance(b, m.Code) and b.source.rstrip("\n").count("\n") > 0:
            out.extend(_Atom(b, i, (n, line)) for n, line in enumerate(b.source.rstrip("\n").split("\n"), start=1))
        else:
            out.append(_Atom(b, i))
    return out


def _blocks(atoms: list[_Atom]) -> list:
    """Atoms back to blocks: consecutive parts of one list, table or listing become one block again."""
    groups: list[list[_Atom]] = []
    for a in atoms:
        if a.part is not None and groups and groups[-1][0].part is not None and groups[-1][0].index == a.index:
            groups[-1].append(a)
        else:
            groups.append([a])
    return [_joined(g) for g in groups]


def _joined(group: list[_Atom]):
    b = group[0].block
    if group[0].part is None:
        return b
    if isinstance(b, m.Bullets):
        return replace(b, items=tuple(item for a in group for item in a.part))
    if isinstance(b, m.Table):
        return replace(b, rows=tuple(row for a in group for row in a.part))
    # a listing's lines: highlights renumbered to the part; the caption under its last part
    first, last = group[0].part[0], group[-1].part[0]
    total = b.source.rstrip("\n").count("\n") + 1
    return replace(b, source="\n".join(a.part[1] for a in group) + "\n",
                   highlight=tuple(h - first + 1 for h in b.highlight if first <= h <= last),
                   caption=b.caption if last == total else None)


def _lead_in(a: _Atom) -> bool:
    """A short line that introduces what follows ("Consider this sentence:"): it goes with it."""
    return isinstance(a.block, m.Text) and a.block.text.rstrip().endswith(":")


def _chunks(atoms: list[_Atom], fits: Callable[[list], bool]) -> list[list]:
    """Greedy pages; then, as a short last page (19 + 19 + 2 lines of code) looks like a leftover,
    the same number of pages with the atoms spread evenly (14 + 13 + 13), if every page still fits."""
    chunks = _greedy(atoms, fits, lambda page: len(atoms))
    if len(chunks) > 1:
        per, extra = divmod(len(atoms), len(chunks))
        even = _greedy(atoms, fits, lambda page: per + (page < extra))
        if len(even) == len(chunks) and all(fits(_blocks(c)) for c in even):
            chunks = even
    return [_blocks(c) for c in chunks]


def _greedy(atoms: list[_Atom], fits: Callable[[list], bool], most: Callable[[int], int]) -> list[list[_Atom]]:
    """Pages filled in order: page k takes at most most(k) atoms, and no more than fit."""
    chunks: list[list[_Atom]] = []
    cur: list[_Atom] = []
    for a in atoms:
        if cur and (len(cur) >= most(len(chunks)) or not fits(_blocks(cur + [a]))):
            carry = []
            while len(cur) > 1 and _lead_in(cur[-1]):
                carry.insert(0, cur.pop())
            chunks.append(cur)
            cur = carry
        cur.append(a)
    if cur:
        chunks.append(cur)
    return chunks
