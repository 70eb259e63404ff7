"""The HTML lesson: one self-contained interactive page per lesson, and an index of a folder of lessons.

`write_html` is the registered writer (format `html`); `write_index` writes OUT/index.html after a
build, from the lessons' manifests. The page itself is made in page.py (structure), blocks.py (the
lesson's blocks), charts.py (SVG charts), fonts.py (subset fonts); page.html, player.html,
player.css and player.js are the templates and assets it inlines.
"""
from __future__ import annotations

from .index import write_index

__all__ = ["write_html", "write_index"]


def write_html(ctx) -> list:
    from ..base import Output
    from .page import lesson_html

    meta = ctx.lesson.meta
    rel = f"{meta.id}.html"
    (ctx.stage / rel).write_text(lesson_html(ctx.lesson, ctx.deck, ctx.version), encoding="utf-8", newline="\n")
    info = {"module": meta.module, "course": meta.course, "title": meta.title, "number": meta.number,
            "of": meta.of, "minutes": meta.minutes, "language": meta.language}
    return [Output("html", rel, extra={"lesson_info": info})]
