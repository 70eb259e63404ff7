"""PPTX writer: draws the layout plan with python-pptx as native, editable shapes.

Titles go into the layout's title placeholder (so PowerPoint's outline and screen readers
see them), text into text boxes or shapes with text, tables as native tables, charts as
native charts, notes into the notes pane. XML-level tweaks live in pptx_xml.
"""
from __future__ import annotations

import io
from datetime import datetime, timezone

from ..fonts import Style, font_book
from ..layout.plan import Arrow, ChartBox, DeckPlan, Para, Shape, TableBox, TextBox
from . import pptx_xml

EMU_PER_PT = 12700
TITLE_ONLY_LAYOUT = 5      # in python-pptx's default template


def emu(pt: float) -> int:
    return int(round(pt * EMU_PER_PT))


def _rgb(hex6: str):
    from pptx.dml.color import RGBColor
    return RGBColor.from_string(hex6)


class PptxSlide:
    def __init__(self, slide):
        self.slide = slide

    # ---- text ----
    def fill_text_frame(self, tf, paras: tuple[Para, ...], pad, valign: str) -> None:
        from pptx.enum.text import MSO_ANCHOR, MSO_AUTO_SIZE, PP_ALIGN
        from pptx.util import Pt

        tf.word_wrap = True
        tf.auto_size = MSO_AUTO_SIZE.NONE
        tf.margin_left, tf.margin_top, tf.margin_right, tf.margin_bottom = (emu(v) for v in pad)
        tf.vertical_anchor = MSO_ANCHOR.MIDDLE if valign == "middle" else MSO_ANCHOR.TOP
        align = {"left": PP_ALIGN.LEFT, "center": PP_ALIGN.CENTER, "right": PP_ALIGN.RIGHT}
        book = font_book()
        for i, para in enumerate(paras):
            p = tf.paragraphs[0] if i == 0 else tf.add_paragraph()
            p.alignment = align[para.align]
            p.line_spacing = Pt(para.line_height)       # exact spacing: the plan's line heights
            p.space_before = Pt(para.space_before)
            p.space_after = Pt(0)
            if para.bullet:
                pptx_xml.set_bullet(p, para.bullet, emu(para.indent))
            # Whole runs, not the plan's wrapped lines: PowerPoint re-wraps with the same metrics and
            # the spaces at line breaks survive editing. (A box the layout cut has had its runs cut too.)
            for run in para.runs:
                style = Style(bold=run.bold, italic=run.italic, mono=run.mono)
                for font_name, text in book.segments(run.text, style):
                    r = p.add_run()
                    r.text = text
                    f = r.font
                    f.size = Pt(para.size)
                    f.bold = run.bold
                    f.italic = run.italic
                    f.color.rgb = _rgb(run.color)
                    face = book.pptx_typeface(style)
                    special = book.pptx_typeface(style, font_name)
                    pptx_xml.set_font_faces(r, face, special if special != face else None)
                    if run.highlight:
                        pptx_xml.set_run_highlight(r, run.highlight)

    def text_box(self, el: TextBox):
        from pptx.enum.shapes import MSO_SHAPE

        geom = (emu(el.x), emu(el.y), emu(el.w), emu(el.h))
        if el.role == "title" and self.slide.shapes.title is not None and not getattr(self, "_titled", False):
            shape = self.slide.shapes.title
            shape.left, shape.top, shape.width, shape.height = geom
            self._titled = True
        elif el.fill or el.border:
            kind = MSO_SHAPE.ROUNDED_RECTANGLE if el.radius else MSO_SHAPE.RECTANGLE
            shape = self.slide.shapes.add_shape(kind, *geom)
            self._style_shape(shape, el.fill, el.border, el.radius, el.w, el.h)
        else:
            shape = self.slide.shapes.add_textbox(*geom)
        shape.name = el.name
        pad = el.pad
        if el.radius and (el.fill or el.border):
            # A roundRect's text area is already inset by 0.29289 x its corner radius (ECMA-376
            # presetShapeDefinitions); take that off our padding so text sits where the plan put it.
            inset = 0.29289 * min(el.radius, 0.5 * min(el.w, el.h))
            pad = tuple(max(v - inset, 0.0) for v in pad)
        self.fill_text_frame(shape.text_frame, el.paras, pad, el.valign)
        pptx_xml.set_alt_text(shape, el.alt or el.text)
        return shape

    def _style_shape(self, shape, fill, border, radius, w, h):
        from pptx.util import Pt

        if fill:
            shape.fill.solid()
            shape.fill.fore_color.rgb = _rgb(fill)
        else:
            shape.fill.background()
        if border:
            shape.line.color.rgb = _rgb(border)
            shape.line.width = Pt(1)
        else:
            shape.line.fill.background()
        shape.shadow.inherit = False
        pptx_xml.remove_shape_style(shape)   # its theme effect draws a shadow in LibreOffice
        if radius and shape.adjustments and len(shape.adjustments):
            shape.adjustments[0] = min(radius / max(min(w, h), 1.0), 0.5)

    # ---- other elements ----
    def shape(self, el: Shape):
        from pptx.enum.shapes import MSO_SHAPE

        kind = {"rect": MSO_SHAPE.RECTANGLE, "roundrect": MSO_SHAPE.ROUNDED_RECTANGLE,
                "ellipse": MSO_SHAPE.OVAL}[el.kind]
        shape = self.slide.shapes.add_shape(kind, emu(el.x), emu(el.y), emu(el.w), emu(el.h))
        shape.name = el.name
        self._style_shape(shape, el.fill, el.border, el.radius if el.kind == "roundrect" else 0, el.w, el.h)
        pptx_xml.set_alt_text(shape, el.alt)
        return shape

    def arrow(self, el: Arrow):
        from pptx.util import Pt

        x1, y1, x2, y2 = el.x, el.y, el.x + el.w, el.y + el.h
        if el.bow:
            # A freeform polyline along the same cubic the PDF draws; its line carries the arrowhead.
            pts = _cubic(x1, y1, x2, y2, el.bow)
            builder = self.slide.shapes.build_freeform(emu(pts[0][0]), emu(pts[0][1]), scale=1.0)
            builder.add_line_segments([(emu(px), emu(py)) for px, py in pts[1:]], close=False)
            shape = builder.convert_to_shape()
            shape.fill.background()
        else:
            from pptx.enum.shapes import MSO_CONNECTOR
            shape = self.slide.shapes.add_connector(MSO_CONNECTOR.STRAIGHT, emu(x1), emu(y1), emu(x2), emu(y2))
        shape.name = el.name
        shape.line.color.rgb = _rgb(el.color)
        shape.line.width = Pt(el.width)
        pptx_xml.add_arrowhead(shape, "tail")
        pptx_xml.set_alt_text(shape, el.alt)
        return shape

    def table(self, el: TableBox):
        from pptx.enum.text import MSO_ANCHOR
        from pptx.util import Pt

        rows, cols = len(el.cells), len(el.col_widths)
        frame = self.slide.shapes.add_table(rows, cols, emu(el.x), emu(el.y), emu(el.w), emu(el.h))
        frame.name = el.name
        table = frame.table
        table.first_row = True
        table.horz_banding = False
        for c, w in enumerate(el.col_widths):
            table.columns[c].width = emu(w)
        for r, h in enumerate(el.row_heights):
            table.rows[r].height = emu(h)
        l, t, rr, b = el.pad
        for r, row in enumerate(el.cells):
            for c, cell in enumerate(row):
                tc = table.cell(r, c)
                if cell.fill:
                    tc.fill.solid()
                    tc.fill.fore_color.rgb = _rgb(cell.fill)
                tc.margin_left, tc.margin_top, tc.margin_right, tc.margin_bottom = emu(l), emu(t), emu(rr), emu(b)
                tc.vertical_anchor = MSO_ANCHOR.MIDDLE      # the plan centres cell text vertically
                self.fill_text_frame(tc.text_frame, cell.paras, (l, t, rr, b), "middle")
                pptx_xml.set_cell_borders(tc, el.border, Pt(0.75))
        pptx_xml.set_alt_text(frame, el.alt)
        return frame

    def chart(self, el: ChartBox):
        from .pptx_charts import add_chart
        return add_chart(self.slide, el)


def _cubic(x1, y1, x2, y2, bow, n=24):
    c1 = (x1, y1 - bow * 1.33)
    c2 = (x2, y2 - bow * 1.33)
    pts = []
    for i in range(n + 1):
        t = i / n
        a, b, c, d = (1 - t) ** 3, 3 * (1 - t) ** 2 * t, 3 * (1 - t) * t ** 2, t ** 3
        pts.append((a * x1 + b * c1[0] + c * c2[0] + d * x2, a * y1 + b * c1[1] + c * c2[1] + d * y2))
    return pts


def write_pptx(deck: DeckPlan, version: str, date: datetime) -> bytes:
    from pptx import Presentation

    prs = Presentation()
    old_w = prs.slide_width
    prs.slide_width, prs.slide_height = emu(deck.width), emu(deck.height)
    pptx_xml.widen_master_to_16x9(prs, old_w, prs.slide_width)
    layout = prs.slide_layouts[TITLE_ONLY_LAYOUT]
    draw = {TextBox: PptxSlide.text_box, Shape: PptxSlide.shape, Arrow: PptxSlide.arrow,
            TableBox: PptxSlide.table, ChartBox: PptxSlide.chart}
    for sp in deck.slides:
        slide = prs.slides.add_slide(layout)
        if sp.background != "FFFFFF":
            slide.background.fill.solid()
            slide.background.fill.fore_color.rgb = _rgb(sp.background)
        page = PptxSlide(slide)
        for el in sp.elements:
            draw[type(el)](page, el)
        if not getattr(page, "_titled", False) and slide.shapes.title is not None:
            slide.shapes._spTree.remove(slide.shapes.title._element)   # no empty "Click to add title"
        slide.notes_slide.notes_text_frame.text = sp.notes
    _set_properties(prs, deck, version, date)
    buf = io.BytesIO()
    prs.save(buf)
    return pptx_xml.normalize_package(buf.getvalue(), date.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"))


def _set_properties(prs, deck: DeckPlan, version: str, date: datetime) -> None:
    cp = prs.core_properties
    cp.title = deck.title
    cp.subject = deck.subject
    cp.author = deck.author
    cp.keywords = deck.keywords
    cp.language = deck.language
    cp.comments = f"Built by deckc {version} from lesson '{deck.lesson_id}'."
    cp.last_modified_by = f"deckc {version}"
    cp.revision = 1
    cp.created = date.replace(tzinfo=None)
    cp.modified = date.replace(tzinfo=None)
    cp.last_printed = date.replace(tzinfo=None)
