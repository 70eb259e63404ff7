"""DrawingML for the plan's shapes, written as XML text.

python-pptx's object API sets a shape property by property (each an xpath lookup and a
schema-ordered insert): about 40 ms a slide here, most of a cold build's PPTX time. The plan
already says everything about a shape, so the PPTX writer renders a run of shapes as one XML
string and parses it once. The elements and attributes are the ones python-pptx writes for the
same shapes (text boxes, autoshapes, connectors, freeforms, tables, groups), so PowerPoint and
LibreOffice see the same deck. python-pptx still makes the package: slides from the layout,
notes, native charts with their workbooks, document properties.

Every function returns a string for one shape (or a text body); ``ids`` hands out shape ids.
"""
from __future__ import annotations

from contextvars import ContextVar

from ..fonts import Style, font_book
from ..fonts.office import run_faces
from ..layout.plan import Arrow, CodeBox, Para, Shape, TableBox, TextBox
from .ooxml import alternate, attr, c_nv_pr, centipoints, emu, line, prst, solid, text, xfrm

TABLE_STYLE = "{5C22544A-7EE6-4342-B048-85BDC9FD1C3A}"     # python-pptx's default: Medium Style 2, Accent 1
TABLE_URI = "http://schemas.openxmlformats.org/drawingml/2006/table"
CHART_TYPEFACE = "Arial"     # Liberation Sans, which the layout measures with, is metric-compatible
ALIGN = {"left": "l", "center": "ctr", "right": "r"}
# python-pptx's shape styles (p:style) for connectors and freeforms, kept as it writes them
CONNECTOR_STYLE = ('<p:style><a:lnRef idx="2"><a:schemeClr val="accent1"/></a:lnRef>'
                   '<a:fillRef idx="0"><a:schemeClr val="accent1"/></a:fillRef>'
                   '<a:effectRef idx="1"><a:schemeClr val="accent1"/></a:effectRef>'
                   '<a:fontRef idx="minor"><a:schemeClr val="tx1"/></a:fontRef></p:style>')
FREEFORM_STYLE = ('<p:style><a:lnRef idx="1"><a:schemeClr val="accent1"/></a:lnRef>'
                  '<a:fillRef idx="3"><a:schemeClr val="accent1"/></a:fillRef>'
                  '<a:effectRef idx="2"><a:schemeClr val="accent1"/></a:effectRef>'
                  '<a:fontRef idx="minor"><a:schemeClr val="lt1"/></a:fontRef></p:style>')
EMPTY_SHAPE_TEXT = '<p:txBody><a:bodyPr rtlCol="0" anchor="ctr"/><a:lstStyle/><a:p><a:pPr algn="ctr"/></a:p></p:txBody>'


# -- pieces -------------------------------------------------------------------------------------

# The deck's language (BCP 47), set by the PPTX writer for the deck it writes (see language()):
# every run names it, or its own where its script differs.
_LANGUAGE: ContextVar[str] = ContextVar("deck_language", default="en")


def use_language(tag: str) -> None:
    """The runs made from now on (in this thread or process) are parts of a deck in language `tag`:
    the PPTX writer says so before it writes a deck's slides."""
    _LANGUAGE.set(tag or "en")


def run(s: str, size: float, color: str, *, bold: bool = False, italic: bool | None = False,
        face: str = CHART_TYPEFACE, font_name: str | None = None, highlight: str | None = None,
        superscript: bool = False) -> str:
    """One a:r: `lang` and the latin/ea/cs (and sym, for emoji) faces of its script, chosen for the
    shipped font `font_name` that draws it in the PDF (deckc.fonts.office); `face` the Latin face."""
    f = run_faces(face, font_name, s, _LANGUAGE.get())
    i = "" if italic is None else f' i="{int(bool(italic))}"'
    hl = f'<a:highlight><a:srgbClr val="{highlight}"/></a:highlight>' if highlight else ""
    sym = f'<a:sym typeface="{attr(f.sym)}"/>' if f.sym else ""
    sup = ' baseline="30000"' if superscript else ""      # PowerPoint's own superscript offset
    return (f'<a:r><a:rPr{sup} lang="{attr(f.lang)}" sz="{centipoints(size)}" b="{int(bool(bold))}"{i}>{solid(color)}{hl}'
            f'<a:latin typeface="{attr(f.latin)}"/><a:ea typeface="{attr(f.ea)}"/><a:cs typeface="{attr(f.cs)}"/>'
            f'{sym}</a:rPr><a:t>{text(s)}</a:t></a:r>')


def paragraph(para: Para, math: str = "omml") -> str:
    """Whole runs, not the plan's wrapped lines: PowerPoint re-wraps with the same metrics and the
    spaces at line breaks survive editing. Exact line spacing: the plan's line heights.
    Inline formulas: Office Math (math="omml"), or their linear text (math="text", the fallback)."""
    book = font_book()
    indent = ' marL="0" indent="0"'       # a body placeholder would otherwise indent for its bullets
    bullet = "<a:buNone/>"
    if para.bullet:
        indent = f' marL="{emu(para.margin + para.indent)}" indent="{-emu(para.indent)}"'
        bullet = f'<a:buChar char="{attr(para.bullet)}"/>'
    rtl = ' rtl="1"' if para.rtl else ""     # PowerPoint then measures marL/indent from the right
    out = [f'<a:p><a:pPr{indent} algn="{ALIGN[para.align]}"{rtl}><a:lnSpc><a:spcPts val="{centipoints(para.line_height)}"/>'
           f'</a:lnSpc><a:spcBef><a:spcPts val="{centipoints(para.space_before)}"/></a:spcBef>'
           f'<a:spcAft><a:spcPts val="0"/></a:spcAft>{bullet}</a:pPr>']
    for r in para.runs:
        if r.math is not None:
            if math != "text":
                from .omml import omml
                out.append(f"<a14:m>{omml(r.math.mathml, para.size, r.color)}</a14:m>")
            else:
                from .omml import fallback_runs
                out.extend(fallback_runs(r.math.mathml, para.size, r.color))
            continue
        style = Style(bold=r.bold, italic=r.italic, mono=r.mono)
        face = book.pptx_typeface(style)
        for font_name, s in book.segments(r.text, style):
            out.append(run(s, para.size, r.color, bold=r.bold, italic=r.italic, face=face, font_name=font_name,
                           highlight=r.highlight))
    out.append("</a:p>")
    return "".join(out)


def body_pr(pad, valign: str, *, shape: bool = False, wrap: str = "square", vert: str | None = None,
            autofit: bool = True) -> str:
    """normAutofit is the safety net where a viewer's font is wider than the layout measured
    (LibreOffice without Liberation fonts): it shrinks the text rather than spill it out of its
    box; with the measured fonts everything fits, and nothing shrinks."""
    l, t, r, b = (emu(v) for v in pad)
    rtl = ' rtlCol="0"' if shape else ""
    v = f' vert="{vert}"' if vert else ""
    anchor = "ctr" if valign == "middle" else "t"
    fit = "<a:normAutofit/>" if autofit else "<a:noAutofit/>"
    return (f'<a:bodyPr{rtl}{v} wrap="{wrap}" lIns="{l}" tIns="{t}" rIns="{r}" bIns="{b}" anchor="{anchor}">'
            f'{fit}</a:bodyPr>')


def text_body(paras, pad, valign: str, *, tag: str = "p:txBody", shape: bool = False, math: str = "omml",
              wrap: str = "square") -> str:
    ps = "".join(paragraph(p, math) for p in paras) or "<a:p/>"
    return f"<{tag}>{body_pr(pad, valign, shape=shape, wrap=wrap)}<a:lstStyle/>{ps}</{tag}>"


def _autoshape(shape_id: int, name: str, descr: str | None, geom, kind: str, adj, fill, border,
               border_w: float, txbody: str, decorative: bool = False) -> str:
    fill_xml = solid(fill) if fill else "<a:noFill/>"
    return (f'<p:sp><p:nvSpPr>{c_nv_pr(shape_id, name, descr, decorative)}<p:cNvSpPr/><p:nvPr/></p:nvSpPr>'
            f'<p:spPr>{xfrm(*geom)}{prst(kind, adj)}{fill_xml}{line(border, border_w)}<a:effectLst/></p:spPr>'
            f'{txbody}</p:sp>')


def _corner(radius: float, w: float, h: float) -> float:
    return min(radius / max(min(w, h), 1.0), 0.5)


# -- the plan's elements ------------------------------------------------------------------------

def has_math(paras) -> bool:
    return any(r.math is not None for p in paras for r in p.runs)


def text_box(el: TextBox, shape_id: int, math: str = "auto") -> str:
    """math: "auto" wraps a box with inline formulas in mc:AlternateContent of its "omml" and
    "text" forms (see paragraph)."""
    if math == "auto" and has_math(el.paras):
        return alternate(text_box(el, shape_id, "omml"), text_box(el, shape_id, "text"))
    geom = (el.x, el.y, el.w, el.h)
    descr = None        # a text box is read by its text: an alt text repeating it would be read twice
    # A listing's lines are the plan's (long ones already continued with a mark, the size chosen
    # so the longest fits exactly): a renderer must not wrap them again. LibreOffice did, one
    # rounding over the box width, breaking a line and running the listing out of its background.
    wrap = "none" if isinstance(el, CodeBox) else "square"
    if el.fill or el.border:
        pad = el.pad
        if el.radius:
            # A roundRect's text area is already inset by 0.29289 x its corner radius (ECMA-376
            # presetShapeDefinitions); take that off our padding so text sits where the plan put it.
            inset = 0.29289 * min(el.radius, 0.5 * min(el.w, el.h))
            pad = tuple(max(v - inset, 0.0) for v in pad)
        kind, adj = ("roundRect", _corner(el.radius, el.w, el.h)) if el.radius else ("rect", None)
        return _autoshape(shape_id, el.name, descr, geom, kind, adj, el.fill, el.border, 1.0,
                          text_body(el.paras, pad, el.valign, shape=True, math=math, wrap=wrap))
    geom, pad = _inset(el)
    return (f'<p:sp><p:nvSpPr>{c_nv_pr(shape_id, el.name, descr)}<p:cNvSpPr txBox="1"/><p:nvPr/></p:nvSpPr>'
            f'<p:spPr>{xfrm(*geom)}{prst("rect")}<a:noFill/></p:spPr>'
            f'{text_body(el.paras, pad, el.valign, math=math, wrap=wrap)}</p:sp>')


INSET = 3.6          # pt (0.05 in): a frameless text box's inset, added around the measured text area


def _inset(el: TextBox):
    """A frameless box grows by INSET on every side and gets it back as inset: the text stays where
    the layout measured it, and an editor's selection frame does not touch the letters."""
    x, y, w, h = el.x - INSET, el.y - INSET, el.w + 2 * INSET, el.h + 2 * INSET
    return (x, y, w, h), tuple(v + INSET for v in el.pad)


def placeholder(el: TextBox, shape_id: int, ph: dict, math: str = "auto") -> str:
    """A title, subtitle or body as the layout's placeholder (`ph`: its p:ph attributes), at the
    plan's frame and with the plan's text formatting, so it looks as the text box would."""
    if math == "auto" and has_math(el.paras):
        return alternate(placeholder(el, shape_id, ph, "omml"), placeholder(el, shape_id, ph, "text"))
    attrs = "".join(f' {k}="{attr(v)}"' for k, v in ph.items() if k in ("type", "idx", "orient", "sz"))
    geom, pad = _inset(el)
    # cap="none": a layout's title style may set all caps (python-pptx's "Section Header" does, a
    # template's may); the text is shown as typed and as the PDF draws it
    body = text_body(el.paras, pad, el.valign, math=math).replace("<a:rPr ", '<a:rPr cap="none" ')
    return (f'<p:sp><p:nvSpPr>{c_nv_pr(shape_id, el.name)}'
            f'<p:cNvSpPr><a:spLocks noGrp="1"/></p:cNvSpPr><p:nvPr><p:ph{attrs}/></p:nvPr></p:nvSpPr>'
            f'<p:spPr>{xfrm(*geom)}</p:spPr>{body}</p:sp>')


SVG_BLIP_URI = "{96DAC541-7B7A-43D3-8B79-37D633B846F1}"


def picture(el, shape_id: int, rid: str, svg_rid: str | None = None) -> str:
    """A p:pic as PowerPoint writes one: the alt text in descr, a decorative image marked as such
    (adec:decorative, so screen readers skip it), an SVG as asvg:svgBlip with `rid` its PNG fallback."""
    nv = c_nv_pr(shape_id, el.name, el.alt, decorative=el.decorative)
    ext = (f'<a:extLst><a:ext uri="{SVG_BLIP_URI}"><asvg:svgBlip '
           f'xmlns:asvg="http://schemas.microsoft.com/office/drawing/2016/SVG/main" r:embed="{svg_rid}"/>'
           f'</a:ext></a:extLst>') if svg_rid else ""
    return (f'<p:pic><p:nvPicPr>{nv}<p:cNvPicPr><a:picLocks noChangeAspect="1"/></p:cNvPicPr><p:nvPr/></p:nvPicPr>'
            f'<p:blipFill><a:blip r:embed="{rid}">{ext}</a:blip><a:stretch><a:fillRect/></a:stretch></p:blipFill>'
            f'<p:spPr>{xfrm(el.x, el.y, el.w, el.h)}{prst("rect")}</p:spPr></p:pic>')


def shape(el: Shape, shape_id: int) -> str:
    kind = {"rect": "rect", "roundrect": "roundRect", "ellipse": "ellipse"}[el.kind]
    adj = _corner(el.radius, el.w, el.h) if el.kind == "roundrect" else None
    return _autoshape(shape_id, el.name, el.alt or None, (el.x, el.y, el.w, el.h), kind, adj, el.fill, el.border,
                      1.0, EMPTY_SHAPE_TEXT, decorative=el.decorative)


def arrow(el: Arrow, shape_id: int) -> str:
    x1, y1, x2, y2 = el.x, el.y, el.x + el.w, el.y + el.h
    ln = line(el.color, el.width, head=True)
    if el.bow:
        return _freeform(shape_id, el, _cubic(x1, y1, x2, y2, el.bow), ln)
    flip = (' flipH="1"' if x2 < x1 else "") + (' flipV="1"' if y2 < y1 else "")
    geom = (min(x1, x2), min(y1, y2), abs(x2 - x1), abs(y2 - y1))
    return (f'<p:cxnSp><p:nvCxnSpPr>{c_nv_pr(shape_id, el.name, el.alt, el.decorative)}<p:cNvCxnSpPr/><p:nvPr/></p:nvCxnSpPr>'
            f'<p:spPr>{xfrm(*geom, extra=flip)}{prst("line")}{ln}</p:spPr>{CONNECTOR_STYLE}</p:cxnSp>')


def _freeform(shape_id: int, el: Arrow, pts, ln: str) -> str:
    """An open polyline (custGeom path in EMU, relative to its bounding box) that carries the arrowhead."""
    e = [(emu(x), emu(y)) for x, y in pts]
    x0, y0 = min(p[0] for p in e), min(p[1] for p in e)
    w, h = max(p[0] for p in e) - x0, max(p[1] for p in e) - y0
    path = [f'<a:moveTo><a:pt x="{e[0][0] - x0}" y="{e[0][1] - y0}"/></a:moveTo>']
    path += [f'<a:lnTo><a:pt x="{x - x0}" y="{y - y0}"/></a:lnTo>' for x, y in e[1:]]
    return (f'<p:sp><p:nvSpPr>{c_nv_pr(shape_id, el.name, el.alt, el.decorative)}<p:cNvSpPr/><p:nvPr/></p:nvSpPr>'
            f'<p:spPr><a:xfrm><a:off x="{x0}" y="{y0}"/><a:ext cx="{w}" cy="{h}"/></a:xfrm>'
            f'<a:custGeom><a:avLst/><a:gdLst/><a:ahLst/><a:cxnLst/><a:rect l="l" t="t" r="r" b="b"/>'
            f'<a:pathLst><a:path w="{w}" h="{h}">{"".join(path)}</a:path></a:pathLst></a:custGeom>'
            f'<a:noFill/>{ln}</p:spPr>{FREEFORM_STYLE}{EMPTY_SHAPE_TEXT}</p:sp>')


def _cubic(x1, y1, x2, y2, bow, n=24):
    """The cubic the PDF draws for a bowed arrow, as n line segments."""
    c1 = (x1, y1 - bow * 1.33)
    c2 = (x2, y2 - bow * 1.33)
    pts = []
    for i in range(n + 1):
        t = i / n
        a, b, c, d = (1 - t) ** 3, 3 * (1 - t) ** 2 * t, 3 * (1 - t) * t ** 2, t ** 3
        pts.append((a * x1 + b * c1[0] + c * c2[0] + d * x2, a * y1 + b * c1[1] + c * c2[1] + d * y2))
    return pts


def table(el: TableBox, shape_id: int, math: str = "auto") -> str:
    """A native table: the plan's column widths and row heights, thin borders on every cell (the
    default table style draws white ones), cell text centred vertically as the plan measured it."""
    if math == "auto" and any(has_math(c.paras) for row in el.cells for c in row):
        return alternate(table(el, shape_id, "omml"), table(el, shape_id, "text"))
    pad = el.pad
    margins = 'marL="{}" marT="{}" marR="{}" marB="{}"'.format(*(emu(v) for v in (pad[0], pad[1], pad[2], pad[3])))
    border = "".join(f'<a:{side} w="{emu(0.75)}">{solid(el.border)}</a:{side}>' for side in ("lnL", "lnR", "lnT", "lnB"))
    rows = []
    for h, row in zip(el.row_heights, el.cells):
        tcs = []
        for cell in row:
            fill = solid(cell.fill) if cell.fill else ""
            tcs.append(f'<a:tc>{text_body(cell.paras, pad, "middle", tag="a:txBody", math=math)}'
                       f'<a:tcPr {margins} anchor="ctr">{border}{fill}</a:tcPr></a:tc>')
        rows.append(f'<a:tr h="{emu(h)}">{"".join(tcs)}</a:tr>')
    grid = "".join(f'<a:gridCol w="{emu(w)}"/>' for w in el.col_widths)
    return (f'<p:graphicFrame><p:nvGraphicFramePr>{c_nv_pr(shape_id, el.name, el.alt)}'
            f'<p:cNvGraphicFramePr><a:graphicFrameLocks noGrp="1"/></p:cNvGraphicFramePr><p:nvPr/></p:nvGraphicFramePr>'
            f'{xfrm(el.x, el.y, el.w, el.h, tag="p:xfrm")}<a:graphic><a:graphicData uri="{TABLE_URI}">'
            f'<a:tbl><a:tblPr firstRow="1"><a:tableStyleId>{TABLE_STYLE}</a:tableStyleId></a:tblPr>'
            f'<a:tblGrid>{grid}</a:tblGrid>{"".join(rows)}</a:tbl></a:graphicData></a:graphic></p:graphicFrame>')


def label_box(lab, ox: float, oy: float, name: str, shape_id: int) -> str:
    """A chart label of the plan (layout.chart_parts.Label) as a frameless one-line text box at its
    place in a chart at (ox, oy); an exponent (`lab.sup`) follows as a superscript run."""
    vert = "vert270" if lab.rotation == -90 else None
    sup = run(lab.sup, lab.size, lab.color, bold=lab.bold, italic=None, superscript=True) if lab.sup else ""
    body = (f'<p:txBody>{body_pr((0, 0, 0, 0), "middle", wrap="none", vert=vert, autofit=False)}<a:lstStyle/>'
            f'<a:p><a:pPr algn="{ALIGN[lab.align]}"/>'
            f'{run(lab.text, lab.size, lab.color, bold=lab.bold, italic=None)}{sup}</a:p></p:txBody>')
    return (f'<p:sp><p:nvSpPr>{c_nv_pr(shape_id, name)}<p:cNvSpPr txBox="1"/><p:nvPr/></p:nvSpPr>'
            f'<p:spPr>{xfrm(ox + lab.x, oy + lab.y, lab.w, lab.h)}<a:prstGeom prst="rect"><a:avLst/></a:prstGeom>'
            f'<a:noFill/></p:spPr>{body}</p:sp>')


def group_shape(group_id: int, name: str, descr: str | None, parts, boxes, nsdecls: str = "") -> str:
    """A p:grpSp of the shapes `parts` whose boxes (EMU x, y, w, h) it spans, child space = its own."""
    x0, y0 = min(b[0] for b in boxes), min(b[1] for b in boxes)
    x1, y1 = max(b[0] + b[2] for b in boxes), max(b[1] + b[3] for b in boxes)
    ns = f" {nsdecls}" if nsdecls else ""
    return (f'<p:grpSp{ns}><p:nvGrpSpPr>{c_nv_pr(group_id, name, descr)}<p:cNvGrpSpPr/><p:nvPr/></p:nvGrpSpPr>'
            f'<p:grpSpPr><a:xfrm><a:off x="{x0}" y="{y0}"/><a:ext cx="{x1 - x0}" cy="{y1 - y0}"/>'
            f'<a:chOff x="{x0}" y="{y0}"/><a:chExt cx="{x1 - x0}" cy="{y1 - y0}"/></a:xfrm></p:grpSpPr>'
            f'{"".join(parts)}</p:grpSp>')
