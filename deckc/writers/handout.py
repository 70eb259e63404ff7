"""Handout PDF: every slide, drawn by the PDF writer's own code, with its speaker notes beneath.

The page layout (A4, slides scaled to the page width, notes wrapped and continued) is
deckc.layout.handout's; this module only draws it.
"""
from __future__ import annotations

import io

from ..layout.handout import A4, MARGIN, plan_handout
from ..layout.plan import DeckPlan
from .pdf import PdfPage, draw_slide, set_pdf_date
from .pdf_tags import Tags

FRAME = "C9CFD9"


def write_handout(deck: DeckPlan, version: str, date=None) -> bytes:
    from ..fonts.canvas import new_canvas

    buf = io.BytesIO()
    c = new_canvas(buf, pagesize=A4, pageCompression=1, lang=deck.language)
    tags = Tags(c, deck.language, f"{deck.title} (handout)")      # tagged like the deck: each slide a Sect
    c.setTitle(f"{deck.title} (handout)")
    c.setAuthor(deck.author)
    c.setSubject(deck.subject)
    c.setKeywords(deck.keywords)
    c.setCreator(f"deckc {version}")
    set_pdf_date(c, date)
    ph = A4[1]
    for hp in plan_handout(deck):
        tags.begin_page()
        page = PdfPage(c, ph, tags=tags)
        for item in hp.items:
            x, y, w, h = item.box
            if item.slide is not None:
                slide = deck.slides[item.slide]
                key = f"slide{slide.number}"
                c.bookmarkPage(key)
                c.addOutlineEntry(f"{slide.number}. {slide.title}", key, level=0)
                c.saveState()
                c.translate(x, ph - y - h)          # the slide's bottom-left corner, then slide units
                c.scale(hp.scale, hp.scale)
                clip = c.beginPath()
                clip.rect(0, 0, deck.width, deck.height)
                c.clipPath(clip, stroke=0, fill=0)
                draw_slide(c, deck, slide, tags=tags)
                c.restoreState()
                with tags.artifact():
                    page.box(x, y, w, h, border=FRAME, line_width=0.75)
            if item.heading is not None:
                page.paras((item.heading,), MARGIN, item.heading_y, A4[0] - 2 * MARGIN, item.heading.height)
            if item.notes:
                page.paras(item.notes, MARGIN, item.notes_y, A4[0] - 2 * MARGIN, ph - item.notes_y)
        tags.end_page()
        c.showPage()
    tags.finish()
    c.showOutline()
    c.save()
    return buf.getvalue()
