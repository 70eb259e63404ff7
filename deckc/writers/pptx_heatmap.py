"""Heatmaps in the PPTX: a native table (one cell per value, filled with its colour and holding its
number, column labels in the header row, row labels in the first column), so a lecturer edits the
numbers and colours in PowerPoint like any table; beside it, grouped, the heading, axis titles and
(only when the cells are too small to print their numbers) the colour-scale legend.

Everything is drawn from the layout's HeatmapPlan (the same cells and grid the PDF draws);
nothing is measured here. PowerPoint has no heatmap chart type, and a native chart cannot colour
one cell by its value.
"""
from __future__ import annotations

from typing import Iterator

from ..layout.chart_parts import Cell
from ..layout.plan import ChartBox
from .drawingml import ALIGN, EMPTY_SHAPE_TEXT, TABLE_URI, _autoshape, group_shape, label_box, run
from .ooxml import c_nv_pr, emu, solid, xfrm

NO_STYLE = "{2D5ABB26-0587-4C30-8999-92F81FD0307C}"     # PowerPoint's built-in "No Style, No Grid"


def _tc(label_or_cell, *, fill: str | None, border: str | None, align: str = "ctr", vert: str | None = None,
        pad_r: float = 0.0) -> str:
    """One a:tc: its text (if any) at the plan's size, the cell's fill and white borders."""
    txt = getattr(label_or_cell, "text", "")
    size = getattr(label_or_cell, "size", 0.0)
    color = getattr(label_or_cell, "text_color", None) or getattr(label_or_cell, "color", "000000")
    bold = getattr(label_or_cell, "bold", False)
    body = run(txt, size, color, bold=bold, italic=None) if txt and size else ""
    end = f'<a:endParaRPr sz="{int(round(size * 100)) if size else 1400}"/>' if not body else ""
    v = f' vert="{vert}"' if vert else ""
    sides = "".join(f'<a:{s} w="{emu(0.75)}">{solid(border)}</a:{s}>' if border else
                    f'<a:{s} w="0"><a:noFill/></a:{s}>' for s in ("lnL", "lnR", "lnT", "lnB"))
    fill_xml = solid(fill) if fill else "<a:noFill/>"
    return (f'<a:tc><a:txBody><a:bodyPr/><a:lstStyle/><a:p><a:pPr algn="{align}"/>{body}{end}</a:p></a:txBody>'
            f'<a:tcPr marL="0" marR="{emu(pad_r)}" marT="0" marB="0"{v} anchor="ctr">{sides}{fill_xml}</a:tcPr></a:tc>')


def heatmap_table(el: ChartBox, shape_id: int) -> str:
    p = el.geometry
    ox, oy = el.x, el.y
    head = [f'<a:tc><a:txBody><a:bodyPr/><a:lstStyle/><a:p><a:endParaRPr sz="{int(round(el.font_size * 100))}"/>'
            f'</a:p></a:txBody><a:tcPr marL="0" marR="0" marT="0" marB="0"><a:noFill/></a:tcPr></a:tc>']
    for lab in p.col_labels:
        head.append(_tc(lab, fill=None, border=None, align=ALIGN[lab.align] if lab.rotation == 0 else "l",
                        vert="vert270" if lab.rotation == -90 else None))
    rows = [f'<a:tr h="{emu(p.row_heights[0])}">{"".join(head)}</a:tr>']
    for lab, cells, h in zip(p.row_labels, p.cells, p.row_heights[1:]):
        tcs = [_tc(lab, fill=None, border=None, align="r", pad_r=p.col_widths[0] - lab.w)]
        tcs += [_tc(c, fill=c.fill, border=c.line) for c in cells]
        rows.append(f'<a:tr h="{emu(h)}">{"".join(tcs)}</a:tr>')
    grid = "".join(f'<a:gridCol w="{emu(w)}"/>' for w in p.col_widths)
    w, h = sum(p.col_widths), sum(p.row_heights)
    return (f'<p:graphicFrame><p:nvGraphicFramePr>{c_nv_pr(shape_id, el.name, el.alt or el.data.description)}'
            f'<p:cNvGraphicFramePr><a:graphicFrameLocks noGrp="1"/></p:cNvGraphicFramePr><p:nvPr/></p:nvGraphicFramePr>'
            f'{xfrm(ox + p.table_x, oy + p.table_y, w, h, tag="p:xfrm")}<a:graphic><a:graphicData uri="{TABLE_URI}">'
            f'<a:tbl><a:tblPr><a:tableStyleId>{NO_STYLE}</a:tableStyleId></a:tblPr>'
            f'<a:tblGrid>{grid}</a:tblGrid>{"".join(rows)}</a:tbl></a:graphicData></a:graphic></p:graphicFrame>')


def _swatch(cell: Cell, ox: float, oy: float, name: str, shape_id: int) -> str:
    ln = f'<a:ln w="{emu(cell.line_w)}">{solid(cell.line)}</a:ln>' if cell.line else "<a:ln><a:noFill/></a:ln>"
    return (f'<p:sp><p:nvSpPr>{c_nv_pr(shape_id, name)}<p:cNvSpPr/><p:nvPr/></p:nvSpPr>'
            f'<p:spPr>{xfrm(ox + cell.x, oy + cell.y, cell.w, cell.h)}<a:prstGeom prst="rect"><a:avLst/></a:prstGeom>'
            f'{solid(cell.fill)}{ln}</p:spPr>{EMPTY_SHAPE_TEXT}</p:sp>')


def heatmap_labels(el: ChartBox, ids: Iterator[int]) -> str:
    """The heading, axis titles and legend (if any), grouped under "<chart name> labels"."""
    p = el.geometry
    ox, oy = el.x, el.y
    group_id = next(ids)
    parts, boxes = [], []

    def add(xml: str, x: float, y: float, w: float, h: float) -> None:
        parts.append(xml)
        boxes.append((emu(ox + x), emu(oy + y), emu(w), emu(h)))

    for k, sw in enumerate(p.scale_swatches):
        add(_swatch(sw, ox, oy, f"scale {k + 1}", next(ids)), sw.x, sw.y, sw.w, sw.h)
    if p.scale_frame is not None:
        f = p.scale_frame
        add(_autoshape(next(ids), "scale frame", f.alt, (ox + f.x, oy + f.y, f.w, f.h), "rect", None, None, f.line,
                       f.line_w, EMPTY_SHAPE_TEXT), f.x, f.y, f.w, f.h)
    labels = [(lab, "heading" if k == 0 else f"heading {k + 1}") for k, lab in enumerate(p.titles)]
    labels += [(lab, f"scale label {lab.text}") for lab in p.scale_labels]
    labels += [(lab, name) for lab, name in ((p.x_title, "x title"), (p.y_title, "y title")) if lab is not None]
    for lab, name in labels:
        add(label_box(lab, ox, oy, name, next(ids)), lab.x, lab.y, lab.w, lab.h)
    if not parts:
        return ""
    descr = "Heading and axis titles of the heatmap: " + "; ".join(
        lab.text for lab in (*p.titles, p.x_title, p.y_title) if lab is not None)
    return group_shape(group_id, f"{el.name} labels", descr, parts, boxes)
