"""Layout of display formulas (`- math:`): centred, at a size that fits the column.

A formula is laid out once (deckc.texmath.render, em units); here it is only scaled: the type scale's
heading size, less if it is wider than the column (never wider than its box: nothing overflows).
"""
from __future__ import annotations

from .. import model as m
from ..texmath.render import math_art
from .blocks import Measured, _text_box, block
from .plan import Element, MathBox
from .text import make_para



@block(m.Math)
def _math(b: m.Math, w, s, ctx):
    t = ctx.theme
    art = math_art(b.tex, True)
    size = t.type.at("heading", s)
    if art.width * size > w:
        size = w / art.width
    fw, fh = art.width * size, (art.ascent + art.descent) * size
    pad = 4 * s
    cap = make_para(b.caption, t.type.at("caption", s), w, t.muted, italic=True, align="center") if b.caption else None
    h = fh + 2 * pad + (6 * s + cap.height if cap else 0.0)

    def place(x, y, hh):
        out: list[Element] = [MathBox(name=f"{ctx.name}.math", x=x + max(w - fw, 0.0) / 2, y=y + pad, w=fw, h=fh,
                                      art=art, size=size, color=t.text, alt=f"Formula: {art.linear}")]
        if cap:
            out.append(_text_box(ctx, "caption", x, y + pad + fh + pad + 6 * s, w, [cap], role="caption"))
        return out

    return Measured(h, place)
