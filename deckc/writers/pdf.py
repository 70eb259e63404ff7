"""PDF writer: draws the layout plan with reportlab, one page per slide.

Fonts are the shipped ones (embedded, subset); every page gets an outline entry with the
slide title; `invariant=1` plus fixed metadata makes the file byte-reproducible.
"""
from __future__ import annotations

import io
from contextlib import contextmanager

from ..fonts import Style, font_book
from ..fonts.scripts import logical_text
from ..layout.plan import Arrow, ChartBox, CodeBox, DeckPlan, ImageBox, MathBox, Para, Shape, TableBox, TextBox
from ..layout.text import line_width, run_width
from .pdf_math import draw_math
from .pdf_tags import NoTags, Tags, structure


def _hex(c: str):
    from reportlab.lib.colors import HexColor
    return HexColor("#" + c)


class PdfPage:
    """Draws plan elements onto one reportlab page, converting top-left coordinates."""

    def __init__(self, canvas, height: float, upto: int | None = None, tags: NoTags = NoTags()):
        self.c = canvas
        self.H = height
        self.book = font_book()
        self.upto = upto            # a reveal step: what later clicks reveal is left out (space kept)
        self.tags = tags            # marked content and structure (deckc.writers.pdf_tags)

    def y(self, top: float) -> float:
        return self.H - top

    def box(self, x, y, w, h, fill=None, border=None, radius=0.0, line_width=1.0):
        if not fill and not border:
            return
        c = self.c
        c.saveState()
        if fill:
            c.setFillColor(_hex(fill))
        if border:
            c.setStrokeColor(_hex(border))
            c.setLineWidth(line_width)
        args = (x, self.y(y + h), w, h)
        if radius:
            c.roundRect(*args, radius, stroke=1 if border else 0, fill=1 if fill else 0)
        else:
            c.rect(*args, stroke=1 if border else 0, fill=1 if fill else 0)
        c.restoreState()

    def paras(self, paras: tuple[Para, ...], x: float, y: float, w: float, h: float, valign: str = "top"):
        """Draw wrapped paragraphs inside (x, y, w, h); baselines follow the plan's line heights."""
        total = sum(p.height for p in paras)
        top = y + (max(h - total, 0) / 2 if valign == "middle" else 0.0)
        book, tags = self.book, self.tags
        for p in paras:
            if self.upto is not None and p.step > self.upto:
                top += p.height
                continue
            tags.begin_para(p)
            top += p.space_before
            asc, desc = book.ascent(p.size), book.descent(p.size)
            for i, line in enumerate(p.lines):
                baseline = top + (p.line_height - (asc + desc)) / 2 + asc
                lw = line_width(line, p.size)
                inner_x, inner_w = (x + p.margin, w - p.margin - p.indent) if p.rtl else \
                    (x + p.margin + p.indent, w - p.margin - p.indent)
                lx = inner_x + {"left": 0.0, "center": (inner_w - lw) / 2, "right": inner_w - lw}[p.align]
                if p.bullet and i == 0:
                    tags.label()
                    bx = x + w - book.width(p.bullet, Style(), p.size) if p.rtl else x + p.margin
                    book.draw_text(self.c, bx, self.y(baseline), p.bullet, Style(), p.size,
                                   "#" + (line[0].color if line else "000000"))
                for run in line:
                    rw = run_width(run, p.size)
                    tags.body()
                    if run.highlight:
                        self.box(lx - 1, top + 1, rw + 2, p.line_height - 2, fill=run.highlight, radius=2)
                    if run.math is not None:
                        with tags.inline("Formula", alt=run.math.tex):
                            draw_math(self, run.math, lx, baseline, p.size, run.color)
                        lx += rw
                        continue
                    style = Style(bold=run.bold, italic=run.italic, mono=run.mono)
                    px = lx
                    for piece, lang in tags.pieces(run.text):      # a word in another script: a Span with /Lang
                        with tags.inline("Span", lang=lang, actual=logical_text(piece, lang)) if lang else _nothing():
                            px += book.draw_text(self.c, px, self.y(baseline), piece, style, p.size, "#" + run.color)
                        tags.body()
                    lx += rw
                top += p.line_height
        tags.end_flow()

    def text_box(self, el: TextBox):
        with self.tags.artifact():
            self.box(el.x, el.y, el.w, el.h, el.fill, el.border, el.radius)
        l, t, r, b = el.pad
        self.paras(el.paras, el.x + l, el.y + t, el.w - l - r, el.h - t - b, el.valign)

    def shape(self, el: Shape):
        if el.kind == "ellipse":
            c = self.c
            c.saveState()
            if el.fill:
                c.setFillColor(_hex(el.fill))
            if el.border:
                c.setStrokeColor(_hex(el.border))
            c.ellipse(el.x, self.y(el.bottom), el.right, self.y(el.y), stroke=1 if el.border else 0,
                      fill=1 if el.fill else 0)
            c.restoreState()
        else:
            self.box(el.x, el.y, el.w, el.h, el.fill, el.border, el.radius if el.kind == "roundrect" else 0.0)

    def arrow(self, el: Arrow):
        c = self.c
        x1, y1, x2, y2 = el.x, el.y, el.x + el.w, el.y + el.h
        c.saveState()
        c.setStrokeColor(_hex(el.color))
        c.setFillColor(_hex(el.color))
        c.setLineWidth(el.width)
        head = 4 * el.width
        if el.bow:
            # A cubic bowing upwards; the head points down onto the target.
            p = c.beginPath()
            p.moveTo(x1, self.y(y1))
            p.curveTo(x1, self.y(y1 - el.bow * 1.33), x2, self.y(y2 - el.bow * 1.33), x2, self.y(y2 + -head * 0.9))
            c.drawPath(p, stroke=1, fill=0)
            tip = (x2, self.y(y2))
            base = ((x2 - head * 0.6, self.y(y2 - head)), (x2 + head * 0.6, self.y(y2 - head)))
        else:
            dx = 1.0 if x2 >= x1 else -1.0
            c.line(x1, self.y(y1), x2 - dx * head * 0.9, self.y(y2))
            tip = (x2, self.y(y2))
            base = ((x2 - dx * head, self.y(y2) + head * 0.6), (x2 - dx * head, self.y(y2) - head * 0.6))
        p = c.beginPath()
        p.moveTo(*tip)
        p.lineTo(*base[0])
        p.lineTo(*base[1])
        p.close()
        c.drawPath(p, stroke=0, fill=1)
        c.restoreState()

    def table(self, el: TableBox):
        y = el.y
        l, t, r, b = el.pad
        for ri, (row, rh) in enumerate(zip(el.cells, el.row_heights)):
            x = el.x
            header = ri < el.header_rows
            with self.tags.element("TR"):
                for cell, cw in zip(row, el.col_widths):
                    with self.tags.element("TH" if header else "TD",
                                           attrs={"O": "/Table", "Scope": "/Column"} if header else None):
                        with self.tags.artifact():
                            self.box(x, y, cw, rh, fill=cell.fill, border=el.border, line_width=0.75)
                        self.paras(cell.paras, x + l, y + t, cw - l - r, rh - t - b, "middle")
                    x += cw
            y += rh

    def image(self, el: ImageBox):
        from .pdf_image import draw_image
        draw_image(self, el)

    def math(self, el: MathBox):
        draw_math(self, el.art, el.x, el.y + el.art.ascent * el.size, el.size, el.color)

    def chart(self, el: ChartBox):
        from .pdf_charts import draw_chart
        draw_chart(self, el)


DRAW = {TextBox: PdfPage.text_box, Shape: PdfPage.shape, Arrow: PdfPage.arrow, TableBox: PdfPage.table,
        ChartBox: PdfPage.chart, MathBox: PdfPage.math, CodeBox: PdfPage.text_box, ImageBox: PdfPage.image}


def draw_slide(c, deck: DeckPlan, slide, upto: int | None = None, tags: NoTags = NoTags()) -> None:
    """One slide's background and elements on canvas `c`, in slide coordinates (the handout draws
    it scaled onto an A4 page). `upto`: only what the first `upto` reveal clicks show (space kept).
    `tags`: the slide becomes a Sect of the structure tree, each element tagged as it is drawn."""
    page = PdfPage(c, deck.height, upto=upto, tags=tags)
    with tags.artifact():
        page.box(0, 0, deck.width, deck.height, fill=slide.background)
    with tags.element("Sect"):
        for el in slide.elements:
            if upto is None or el.step <= upto:
                role, kw = structure(el)
                if kw.get("attrs") and "BBox" in kw["attrs"]:
                    kw["attrs"] = {**kw["attrs"], "BBox": _bbox(el, deck.height)}
                if role is None:
                    with tags.artifact(kw.get("kind")):
                        DRAW[type(el)](page, el)
                elif role == "":
                    DRAW[type(el)](page, el)
                else:
                    with tags.element(role, **kw):
                        DRAW[type(el)](page, el)


def _bbox(el, height: float) -> str:
    """An element's box as a PDF rectangle (points, y up), for a Figure's /BBox attribute (an arrow
    may point left or up, and its bow rises above it)."""
    from reportlab.pdfbase.pdfdoc import PDFArray

    x0, x1 = sorted((el.x, el.x + el.w))
    top, bottom = sorted((el.y, el.y + el.h))
    top -= getattr(el, "bow", 0.0)
    return PDFArray([round(x0, 2), round(height - bottom, 2), round(x1, 2), round(height - top, 2)])


@contextmanager
def _nothing():
    yield


def set_pdf_date(c, date) -> None:
    """CreationDate and ModDate: the build's one document date (the PPTX's core.xml has the same),
    instead of reportlab's invariant 2000-01-01."""
    if date is not None:
        from datetime import timezone
        stamp = date.astimezone(timezone.utc).strftime("D:%Y%m%d%H%M%S+00'00'")
        c.setDateFormatter(lambda *_: stamp)


def write_pdf(deck: DeckPlan, version: str, steps: bool = False, date=None) -> bytes:
    """The deck, one page a slide in its final state; with `steps`, a slide with reveals gets one
    page per click (like Beamer overlays), the outline pointing at its first."""
    from ..fonts.canvas import new_canvas

    buf = io.BytesIO()
    c = new_canvas(buf, pagesize=(deck.width, deck.height), pageCompression=1, lang=deck.language)
    tags = Tags(c, deck.language, deck.title)
    c.setTitle(deck.title)
    c.setAuthor(deck.author)
    c.setSubject(deck.subject)
    c.setKeywords(deck.keywords)
    c.setCreator(f"deckc {version}")
    set_pdf_date(c, date)
    for slide in deck.slides:
        states = range(1, slide.steps + 1) if steps and slide.steps else [None]
        for k in states:
            if k in (None, 1):
                key = f"slide{slide.number}"
                c.bookmarkPage(key)
                c.addOutlineEntry(f"{slide.number}. {slide.title}", key, level=slide.level)
            tags.begin_page(tagged=k in (None, slide.steps))    # earlier reveal steps: artifacts
            draw_slide(c, deck, slide, upto=k, tags=tags)
            tags.end_page()
            c.showPage()
    tags.finish()
    c.showOutline()
    c.save()
    return buf.getvalue()
