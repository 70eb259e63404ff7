"""PPTX writer: draws the layout plan as native, editable shapes.

Slides use the layouts their role needs (title slide, title and content, section header) of
python-pptx's template or the institution's (deckc.template); the title, and the subtitle or
first body text, go into the layout's placeholders (so PowerPoint's outline and screen readers
see them), other text into text boxes or shapes with text, tables as native tables, charts as
native charts, notes into the notes pane. python-pptx makes the package (slides, notes,
charts and their workbooks, properties); the shapes themselves are written as DrawingML by
drawingml.py, which is ten times faster than python-pptx's per-property API. Package-level
XML tweaks live in pptx_xml.
"""
from __future__ import annotations

from datetime import datetime, timezone

from ..layout.plan import Arrow, ChartBox, CodeBox, DeckPlan, ImageBox, MathBox, Shape, SlidePlan, TableBox, TextBox
from . import drawingml, pptx_anim, pptx_xml
from .ooxml import NSDECLS, attr, emu

def _rgb(hex6: str):
    from pptx.dml.color import RGBColor
    return RGBColor.from_string(hex6)


# Shapes the writer renders as DrawingML text (drawingml.py); charts go through python-pptx.
_DRAW = {TextBox: drawingml.text_box, Shape: drawingml.shape, Arrow: drawingml.arrow, TableBox: drawingml.table,
         CodeBox: drawingml.text_box}


def _fill_slide(slide, sp: SlidePlan, phs: dict, fonts=("Arial", "Arial", "Courier New")) -> list[tuple[int, int, int | None]]:
    """Add the plan's elements in order (draw order = reading order). The title goes into the
    layout's title placeholder, the subtitle (title and section slides) or the first plain body
    text (content slides) into its body placeholder, so outline view, layout switching and the
    accessibility checker see them; an unused placeholder is removed (no "Click to add text").
    Runs of shapes are parsed as one XML fragment; a chart is added by pptx_charts where it falls
    in the order. Returns what reveals on which click: (step, shape id, paragraph index or None)."""
    import itertools

    from pptx.oxml import parse_xml

    from .pptx_charts import add_chart

    tree = slide.shapes._spTree
    for el in [e for e in tree.iterchildren() if e.xpath("./p:nvSpPr/p:nvPr/p:ph")]:
        tree.remove(el)              # the layout's placeholders are written below, filled, or not at all
    ids = itertools.count(_max_id(tree) + 1)
    pending: list[str] = []

    def flush():
        if pending:
            frag = parse_xml(f"<p:spTree {NSDECLS}>{''.join(pending)}</p:spTree>")
            for child in list(frag):
                tree.append(child)
            pending.clear()

    free = dict(phs)                 # "title" / "body" -> the layout's p:ph attributes, until used
    reveals: list[tuple[int, int, int | None]] = []

    def revealed(el, shape_id: int) -> int:
        if el.step:
            reveals.append((el.step, shape_id, None))
        reveals.extend((p.step, shape_id, k) for k, p in enumerate(getattr(el, "paras", ())) if p.step)
        return shape_id

    for el in sp.elements:
        slot = _slot(el, sp, free)
        if slot is not None:
            xml = drawingml.placeholder(el, revealed(el, next(ids)), free.pop(slot))
            pending.append(_faces(xml, fonts[0] if el.role == "title" else fonts[1], fonts[2]))
        elif isinstance(el, ImageBox):
            if el.master:
                continue             # the template's master or layout draws it
            pending.append(drawingml.picture(el, revealed(el, next(ids)), *_image_parts(slide, el)))
        elif isinstance(el, MathBox):
            import io

            from .math_raster import math_png
            from .omml import math_box

            _, rid = slide.part.get_or_add_image_part(io.BytesIO(math_png(el.art, el.size, el.color)))
            pending.append(math_box(el, revealed(el, next(ids)), rid))
        elif isinstance(el, ChartBox):
            flush()
            add_chart(slide, el)                      # numbers its shapes after the tree's highest id
            ids = itertools.count(_max_id(tree) + 1)
        else:
            pending.append(_faces(_DRAW[type(el)](el, revealed(el, next(ids))), fonts[1], fonts[2]))
    flush()
    return reveals


MEASURED_FACE = 'typeface="Arial"'      # what drawingml names for the face the layout measured with


def _faces(xml: str, face: str, mono: str = "Courier New") -> str:
    """The theme's typefaces (a template's, a theme file's) where the runs name the measured ones:
    the deck is in the institution's fonts; where they are wider than Arial, normAutofit shrinks."""
    if face != "Arial":
        xml = xml.replace(MEASURED_FACE, f'typeface="{attr(face)}"')
    if mono != "Courier New":
        xml = xml.replace('typeface="Courier New"', f'typeface="{attr(mono)}"')
    return xml


def _slot(el, sp: SlidePlan, free: dict) -> str | None:
    """Which of the layout's placeholders this element fills, if any."""
    if type(el) is not TextBox:
        return None
    if el.role == "title" and free.get("title") is not None:
        return "title"
    if free.get("body") is None or el.fill or el.border:
        return None
    if sp.layout in ("title", "section"):
        return "body" if el.role == "subtitle" else None
    return "body" if el.role == "body" else None


def _image_parts(slide, el: ImageBox) -> tuple[str, str | None]:
    """(rId of the picture, rId of the SVG or None). An SVG goes in as its own part (image/svg+xml)
    with a PNG of it for viewers without SVG support; PNG and JPEG go in as they are."""
    import io

    if el.format != "svg":
        return slide.part.get_or_add_image_part(io.BytesIO(el.data))[1], None
    from pptx.opc.constants import RELATIONSHIP_TYPE as RT
    from pptx.opc.package import Part

    from .svg_raster import svg_png

    png_rid = slide.part.get_or_add_image_part(io.BytesIO(svg_png(el.data, el.w, el.h)))[1]
    package = slide.part.package
    partname = package.next_partname("/ppt/media/image%d.svg")
    svg_rid = slide.part.relate_to(Part(partname, "image/svg+xml", package, el.data), RT.IMAGE)
    return png_rid, svg_rid


def _max_id(tree) -> int:
    return max(int(i) for i in tree.xpath("//@id"))


def write_pptx(deck: DeckPlan, version: str, date: datetime) -> bytes:
    from ..layout.theme import DEFAULT_THEME
    from . import pptx_package
    from ..template_read import find_layouts

    theme = deck.theme or DEFAULT_THEME
    tpl = theme.template
    if tpl is not None:
        from ..template import presentation

        prs = presentation(tpl)
        roles, placeholders = tpl.layouts, tpl.placeholders
    else:
        from pptx import Presentation

        prs = Presentation()
        old_w = prs.slide_width
        prs.slide_width, prs.slide_height = emu(deck.width), emu(deck.height)
        pptx_xml.widen_master_to_16x9(prs, old_w, prs.slide_width)
        pptx_package.apply_theme(prs, theme)
        roles, placeholders, _ = find_layouts(prs)
    pptx_package.clean_package(prs)
    # the background the master or layout already draws (a template's picture: its average colour,
    # which is what the plan's slides say): a slide gets its own only where the plan's differs
    master_bg = {role: (getattr(b, "mean", b) if tpl else theme.background)
                 for role in roles for b in [tpl.background.get(role) if tpl else None]}
    trees = []
    drawingml.use_language(deck.language)
    for sp in deck.slides:
        slide = prs.slides.add_slide(prs.slide_layouts[roles[sp.layout]])
        if sp.background != master_bg.get(sp.layout):
            slide.background.fill.solid()
            slide.background.fill.fore_color.rgb = _rgb(sp.background)
        reveals = _fill_slide(slide, sp, placeholders[sp.layout], (theme.font_heading, theme.font_body, theme.font_mono))
        if reveals:
            pptx_anim.add_reveals(slide, reveals)
        slide.notes_slide.notes_text_frame.text = sp.notes
        trees.append(slide._element)
    sections = _sections(deck)
    if sections:
        pptx_anim.add_sections(prs, sections)
    _set_properties(prs, deck, version, date)
    pptx_package.set_app_xml(prs, pptx_package.app_xml(deck, theme.name, pptx_package.fonts_used(trees), version))
    return pptx_xml.save_reproducible(prs, date.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"))



def _sections(deck: DeckPlan) -> list[tuple[str, list[int]]]:
    """Slides grouped by section; slides before the first section form an untitled first group."""
    out: list[tuple[str, list[int]]] = []
    for i, sp in enumerate(deck.slides):
        name = sp.section or deck.title
        if not out or out[-1][0] != name:
            out.append((name, []))
        out[-1][1].append(i)
    return out if any(sp.section for sp in deck.slides) else []


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
