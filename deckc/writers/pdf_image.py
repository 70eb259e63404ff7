"""Figures in the PDF: PNG and JPEG as image XObjects (reportlab embeds them losslessly / as
they are), SVG converted by svglib into PDF drawing operators, so it stays vector. SVG text is
drawn with deckc's shipped fonts (never a non-embedded standard font). The alt text is drawn
invisibly over the figure, so the PDF's text (search, copy, screen readers that read text) has it."""
from __future__ import annotations

import io

from ..layout.plan import ImageBox


def draw_image(page, el: ImageBox) -> None:
    c = page.c
    if el.format == "svg":
        _draw_svg(page, el)
    else:
        from reportlab.lib.utils import ImageReader

        c.drawImage(ImageReader(io.BytesIO(el.data)), el.x, page.y(el.bottom), el.w, el.h, mask="auto")
    if el.alt and not el.decorative:
        size = 8.0
        natural = page.book.width(el.alt, size=size)
        page.book.draw_text(c, el.x + 0.02 * el.w, page.y(el.y + size), el.alt, size=size,
                            invisible_width=min(natural, 0.96 * el.w))


def _draw_svg(page, el: ImageBox) -> None:
    from reportlab.graphics import renderPDF
    from svglib.svglib import svg2rlg

    drawing = svg2rlg(io.BytesIO(el.data))
    _shipped_fonts(drawing)
    sx, sy = el.w / drawing.width, el.h / drawing.height
    drawing.scale(sx, sy)
    drawing.width, drawing.height = el.w, el.h
    from reportlab.graphics.renderbase import STATE_DEFAULTS

    from ..fonts import SANS

    default = STATE_DEFAULTS["fontName"]
    STATE_DEFAULTS["fontName"] = SANS        # the renderer starts from Helvetica: never embedded
    try:
        renderPDF.draw(drawing, page.c, el.x, page.y(el.bottom))
    finally:
        STATE_DEFAULTS["fontName"] = default


def _shipped_fonts(node) -> None:
    """Every text of the drawing in a shipped face (svglib names the SVG's families, or Helvetica):
    the PDF embeds only deckc's fonts, and every machine draws the same glyphs."""
    from ..fonts import MONO, SANS, SANS_BOLD, SANS_BOLD_ITALIC, SANS_ITALIC, font_book

    for child in getattr(node, "contents", ()):
        name = getattr(child, "fontName", None)
        if name is not None and not name.startswith("Deckc-"):
            low = name.lower()
            bold, italic = "bold" in low, "italic" in low or "oblique" in low
            face = MONO if ("mono" in low or "courier" in low) else \
                {(False, False): SANS, (True, False): SANS_BOLD, (False, True): SANS_ITALIC,
                 (True, True): SANS_BOLD_ITALIC}[(bold, italic)]
            font_book().font(face)
            child.fontName = face
        _shipped_fonts(child)
