"""A section divider slide: the section's title large, its subtitle under it, centred on the
slide with the accent band the title slide has; the footer as on content slides."""
from __future__ import annotations

from .plan import Element, Shape, TextBox
from .text import make_para, truncate_para
from .theme import SLIDE_H, SLIDE_W, Theme


def section_elements(title: str, subtitle: str | None, label: str, prefix: str, t: Theme) -> list[Element]:
    w, x = SLIDE_W - 2 * 96.0, 96.0
    head = make_para(title, t.type.section, w, t.text, bold=True)
    if len(head.lines) > 3:
        head = truncate_para(head, 3, w)
    parts = [("label", make_para(label, t.type.secondary, w, t.accent, bold=True), "body", 0.0),
             ("title", head, "title", 8.0)]
    if subtitle:
        parts.append(("subtitle", make_para(subtitle, t.type.heading, w, t.muted), "subtitle", 14.0))
    total = sum(p.height + gap for _, p, _, gap in parts)
    y = max((SLIDE_H - total) / 2 - 20, 24.0)
    out: list[Element] = []
    for key, para, role, gap in parts:
        y += gap
        out.append(TextBox(name=f"{prefix}.{key}", x=x, y=y, w=w, h=para.height, paras=(para,), role=role))
        y += para.height
    out.sort(key=lambda e: e.role != "title")       # the title first: the outline and screen readers read it
    out.append(Shape(name=f"{prefix}.band", x=0, y=0, w=14, h=SLIDE_H, kind="rect", fill=t.accent,
                     decorative=True))
    out.append(Shape(name=f"{prefix}.rule", x=x, y=y + 16, w=120, h=3, kind="rect", fill=t.accent,
                     decorative=True))
    return out
