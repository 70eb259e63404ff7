"""Block layouts. Each block is measured at a width and a text scale, and then placed.

`measure(block, w, s, ctx)` returns a Measured: the height the block needs, whether it can
use extra height (charts can), and `place(x, y, h)` which returns the block's elements.
Register a new block type with @block(ModelClass). The chip diagrams (sentence, steps, tokens)
are in diagram_blocks.py; code, images and display math in their own *_box.py modules.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Callable

from .. import model as m
from ..markup import plain_text
from .balance import balanced_offsets
from .chart_plan import readable_height
from .plan import ChartBox, Element, Shape, TableBox, TableCell, TextBox
from .reveal import after_reveals, last_step
from .text import line_width, make_para, paras_height
from .theme import Theme

# The fit loop measures a chart at every text scale it tries; its readable height only depends on these.
_readable_height = lru_cache(maxsize=512)(readable_height)


@dataclass
class Measured:
    height: float
    place: Callable[[float, float, float], list[Element]]   # (x, y, h) -> elements
    flex: bool = False
    give: float = 0.0     # not flexible, but can take this much more height in its own gaps (a table's rows)


@dataclass
class Ctx:
    theme: Theme
    name: str                                  # element name prefix, e.g. "slide3.body2"
    chart: Callable[[m.Chart], object]         # computes (and caches) a chart's data
    image: Callable[[m.Image], object] | None = None   # reads (and caches) an image file (deckc.images)
    rebalance: bool = False                    # columns: take the width split that needs the least height

    def sub(self, name: str) -> "Ctx":
        return replace(self, name=name)


_LAYOUTS: dict[type, Callable] = {}


def block(model_cls):
    def register(fn):
        _LAYOUTS[model_cls] = fn
        return fn
    return register


def measure(b, w: float, s: float, ctx: Ctx) -> Measured:
    return _LAYOUTS[type(b)](b, w, s, ctx)


def stack(blocks, w: float, s: float, ctx: Ctx, gap: float, balance: bool = False) -> Measured:
    """Blocks top to bottom; extra height goes to the flexible ones (charts). With `balance` and
    nothing flexible, the blocks are spread and set a little above the middle (.balance)."""
    parts = [measure(b, w, s, ctx.sub(f"{ctx.name}.{i}")) for i, b in enumerate(blocks)]
    natural = sum(p.height for p in parts) + gap * max(len(parts) - 1, 0)
    flex = [p for p in parts if p.flex]

    def place(x, y, h):
        extra = max(h - natural, 0.0) / len(flex) if flex else 0.0
        g, f = gap, 0.0
        if balance and not flex:
            dy, more, f = balanced_offsets(natural, h, len(parts) - 1, gap, sum(p.give for p in parts))
            y, g = y + dy, gap + more
        out: list[Element] = []
        for p in parts:
            ph = p.height + (extra if p.flex else p.give * f)
            out.extend(after_reveals(p.place(x, y, ph), last_step(out)))
            y += ph + g
        return out

    return Measured(natural, place, flex=bool(flex))


def _text_box(ctx, suffix, x, y, w, paras, **kw) -> TextBox:
    pad = kw.pop("pad", (0.0, 0.0, 0.0, 0.0))
    h = kw.pop("h", None)
    if h is None:
        h = paras_height(paras) + pad[1] + pad[3]
    return TextBox(name=f"{ctx.name}.{suffix}", x=x, y=y, w=w, h=h, paras=tuple(paras), pad=pad, **kw)


@block(m.Text)
def _text(b: m.Text, w, s, ctx):
    t = ctx.theme
    para = make_para(b.text, t.type.at("body", s), w, t.text)
    return Measured(para.height, lambda x, y, h: [_text_box(ctx, "text", x, y, w, [para])])


@block(m.Callout)
def _callout(b: m.Callout, w, s, ctx):
    t = ctx.theme
    tone = t.tones[b.tone]
    pad = (14 * s, 10 * s, 14 * s, 10 * s)
    para = make_para(b.text, t.type.at("body", s), w - pad[0] - pad[2], tone.text)
    h = para.height + pad[1] + pad[3]
    return Measured(h, lambda x, y, hh: [_text_box(
        ctx, f"callout-{b.tone}", x, y, w, [para], pad=pad, fill=tone.fill, border=tone.border, radius=8 * s,
        valign="middle", alt=f"{b.tone.capitalize()} callout: {plain_text(b.text)}")])


def _column_weight(col: m.Column) -> float:
    return 1.3 if any(isinstance(b, m.Chart) for b in col.body) else 1.0


# Rebalancing tries these shifts of width towards (+) or away from (-) each column in turn.
_SHIFTS = (0.25, 0.5, -0.25)


@block(m.Columns)
def _columns(b: m.Columns, w, s, ctx):
    """Columns side by side, widths by weight (a chart's column is wider, and wider still where the
    other columns can spare the width without growing). With ctx.rebalance (the slide does not fit),
    the split that needs the least height among a few shifted ones (a tall text column gets width)."""
    weights = [_column_weight(c) for c in b.columns]
    best = _columns_at(b, w, s, ctx, weights)
    if ctx.rebalance:
        for k in range(len(weights)):
            for shift in _SHIFTS:
                tried = [wt * (1 + shift) if i == k else wt for i, wt in enumerate(weights)]
                got = _columns_at(b, w, s, ctx, tried)
                if got.height < best.height - 0.5:
                    best = got
        return best
    # A chart's column takes the width its neighbours can spare without making the columns taller.
    charts = [i for i, c in enumerate(b.columns) if any(isinstance(x, m.Chart) for x in c.body)]
    if charts and len(charts) < len(weights):
        limit = best.height + 0.5
        for shift in (0.25, 0.5, 0.8):
            got = _columns_at(b, w, s, ctx, [wt * (1 + shift) if i in charts else wt for i, wt in enumerate(weights)])
            if got.height > limit:
                break
            best = got
    return best


def _columns_at(b: m.Columns, w, s, ctx, weights):
    t = ctx.theme
    gap = t.col_gap * s
    total = sum(weights)
    widths = [(w - gap * (len(weights) - 1)) * wt / total for wt in weights]
    parts = []
    for i, (col, cw) in enumerate(zip(b.columns, widths)):
        cctx = ctx.sub(f"{ctx.name}.col{i + 1}")
        boxed = col.title is not None
        pad = 12 * s if boxed else 0.0
        title = make_para(col.title, t.type.at("body", s), cw - 2 * pad, t.tones[col.tone].text, bold=True) \
            if boxed else None
        inner = stack(col.body, cw - 2 * pad, s, cctx, t.gap * s, balance=not boxed)
        head = (title.height + 8 * s) if title else 0.0
        parts.append((col, cw, pad, title, inner, head, inner.height + head + 2 * pad))
    h = max(p[-1] for p in parts)

    def place(x, y, hh):
        out: list[Element] = []
        cx = x
        for i, (col, cw, pad, title, inner, head, nat) in enumerate(parts):
            if title:
                tone = t.tones[col.tone]
                out.append(Shape(name=f"{ctx.name}.col{i + 1}.panel", x=cx, y=y, w=cw, h=hh, kind="roundrect",
                                 fill=tone.fill, border=tone.border, radius=10 * s,
                                 decorative=True))     # its title is the text box below
                out.append(_text_box(ctx.sub(f"{ctx.name}.col{i + 1}"), "title", cx + pad, y + pad,
                                     cw - 2 * pad, [title], role="label"))   # a panel's heading
            out.extend(inner.place(cx + pad, y + pad + head, hh - head - 2 * pad))
            cx += cw + gap
        return out

    return Measured(h, place, flex=any(p[4].flex for p in parts))


@block(m.Table)
def _table(b: m.Table, w, s, ctx):
    t = ctx.theme
    size = t.type.at("secondary", s)
    pad = (10 * s, 6 * s, 10 * s, 6 * s)
    rows = [list(b.header)] + [list(r) + [""] * (len(b.header) - len(r)) for r in b.rows]
    ncol = max(len(r) for r in rows)
    rows = [r + [""] * (ncol - len(r)) for r in rows]
    # Column widths in proportion to their widest cell, within the block's width.
    natural = [max(line_width(make_para(r[c], size, 10_000, t.text, bold=(ri == 0)).lines[0], size)
                   for ri, r in enumerate(rows)) + pad[0] + pad[2] + 2 for c in range(ncol)]
    scale = min(1.0, w / sum(natural)) if sum(natural) else 1.0
    widths = [nw * scale for nw in natural]
    if scale == 1.0:  # spread spare width evenly so the table spans the slide
        spare = (w - sum(widths)) / ncol
        widths = [cw + spare for cw in widths]
    cells, heights = [], []
    for ri, r in enumerate(rows):
        header = ri == 0
        color = t.table_header_text if header else t.text
        fill = t.table_header_fill if header else (t.table_stripe if ri % 2 == 0 else t.background)
        row = [TableCell(paras=(make_para(txt, size, widths[c] - pad[0] - pad[2], color, bold=header),), fill=fill)
               for c, txt in enumerate(r)]
        cells.append(tuple(row))
        heights.append(max(paras_height(cell.paras) for cell in row) + pad[1] + pad[3])
    h = sum(heights)
    give = (pad[1] + pad[3]) * len(heights)     # a sparse slide may double each row's padding (.balance)
    alt = f"Table with {len(rows) - 1} rows comparing " + ", ".join(plain_text(x) for x in b.header[1:]) + \
        " by " + plain_text(b.header[0]).lower()

    def place(x, y, hh):
        more = min(max(hh - h, 0.0), give) / len(heights)    # the cells' text stays centred in its row
        rows_h = tuple(rh + more for rh in heights)
        return [TableBox(name=f"{ctx.name}.table", x=x, y=y, w=sum(widths), h=sum(rows_h), col_widths=tuple(widths),
                         row_heights=rows_h, cells=tuple(cells), pad=pad, border=t.table_border, alt=alt)]

    return Measured(h, place, give=give)


@block(m.Analogy)
def _analogy(b: m.Analogy, w, s, ctx):
    t = ctx.theme
    pad = (22 * s, 18 * s, 22 * s, 20 * s)
    inner = w - pad[0] - pad[2]
    head = (f"{b.icon}  " if b.icon else "") + b.title
    paras = [make_para(head, t.type.at("heading", s), inner, t.tones["note"].text, bold=True),
             make_para(b.text, t.type.at("body", s), inner, t.text, space_before=12 * s)]
    h = paras_height(paras) + pad[1] + pad[3]
    return Measured(h, lambda x, y, hh: [_text_box(
        ctx, "analogy", x, y, w, paras, h=h, pad=pad, fill=t.tones["note"].fill, border=t.accent, radius=12 * s,
        alt=f"Analogy card: {plain_text(b.title)}")])


@block(m.Concepts)
def _concepts(b: m.Concepts, w, s, ctx):
    t = ctx.theme
    n = len(b.cards)
    cols = 2 if n in (2, 4) else min(n, 3)
    gap = 16 * s
    cw = (w - gap * (cols - 1)) / cols
    pad = (16 * s, 12 * s, 16 * s, 12 * s)
    inner = cw - pad[0] - pad[2]
    card_paras = []
    for c in b.cards:
        head = (f"{c.icon}  " if c.icon else "") + c.term
        card_paras.append([make_para(head, t.type.at("heading", s), inner, t.tones["note"].text, bold=True),
                           make_para(c.definition, t.type.at("secondary", s), inner, t.text, space_before=6 * s)])
    rows = [card_paras[i:i + cols] for i in range(0, n, cols)]
    row_h = [max(paras_height(p) for p in r) + pad[1] + pad[3] for r in rows]
    h = sum(row_h) + gap * (len(rows) - 1)

    def place(x, y, hh):
        out = []
        for ri, r in enumerate(rows):
            for ci, paras in enumerate(r):
                k = ri * cols + ci
                out.append(_text_box(ctx, f"concept{k + 1}", x + ci * (cw + gap), y, cw, paras, h=row_h[ri], pad=pad,
                                     fill=t.tones["note"].fill, border=t.accent, radius=10 * s,
                                     alt=f"Concept card: {plain_text(b.cards[k].term)}"))
            y += row_h[ri] + gap
        return out

    return Measured(h, place)


@block(m.Chart)
def _chart(b: m.Chart, w, s, ctx):
    t = ctx.theme
    data = ctx.chart(b)
    font_size = t.type.at("chart", s)
    heading = plain_text(b.caption) if b.caption else None    # one heading: the caption replaces the title
    # Enough height for the chart's labels at full size (a 12x12 heatmap needs more than a line chart).
    min_h = max(190 * s, _readable_height(data, round(w, 1), font_size, tuple(t.palette), heading,
                                          t.type.at("caption", s)))

    def place(x, y, hh):
        return [ChartBox(name=f"{ctx.name}.chart-{data.name}", x=x, y=y, w=w, h=hh, data=data, palette=t.palette,
                         text_color=t.text, font_size=font_size, alt=data.description, heading=heading,
                         heading_size=t.type.at("caption", s))]

    return Measured(min_h, place, flex=True)
