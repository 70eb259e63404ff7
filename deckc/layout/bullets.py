"""Layout of bulleted lists: nested up to three levels, each item its own paragraph (so a reveal
can show it on its own click)."""
from __future__ import annotations

from dataclasses import replace

from .. import model as m
from .blocks import Measured, _text_box, block
from .text import make_para, paras_height


@block(m.Bullets)
def _bullets(b: m.Bullets, w, s, ctx):
    """Nested bullets: each level indented by one bullet width more, a smaller marker and text
    (body size, then the secondary size). With reveal, top-level item k (and its sub-items) appears on click k."""
    t = ctx.theme
    paras = []

    def add(items, level, top):
        for item in items:
            text, sub = (item, ()) if isinstance(item, str) else (item.text, item.items)
            if level == 0:
                top += 1
            size = t.type.at("body" if level == 0 else "secondary", s)
            margin = level * t.type.at("body", s) * 1.3
            para = make_para(text, size, w - margin, t.text, bullet=BULLETS[level],
                             space_before=(4 * s if paras else 0) * (1.0 if level == 0 else 0.5))
            paras.append(replace(para, margin=margin, step=top if b.reveal else 0))
            top = add(sub, level + 1, top) if sub else top
        return top

    add(b.items, 0, 0)
    return Measured(paras_height(paras), lambda x, y, h: [_text_box(ctx, "bullets", x, y, w, paras)])


BULLETS = ("•", "–", "◦")      # •, –, ◦
