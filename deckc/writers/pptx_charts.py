"""Charts in the PPTX: native, editable PowerPoint charts; heatmaps as a group of shapes.

Line and bar charts are python-pptx charts whose data lives in the embedded
workbook, so a lecturer can restyle or re-plot them in PowerPoint. What python-pptx
has no API for (log axis, label skip/rotation, plot-area layout, plain chart area)
is set by the XML helpers in :mod:`.pptx_xml`.

The geometry (value scale and ticks, category-label rotation/skip, the inner plot
rectangle, heatmap cells and labels) comes from :mod:`deckc.layout.chart_plan`, the same plan
the PDF draws, so both renderings look alike. Heatmaps, which PowerPoint has no
chart type for, are one rectangle per cell (named ``cell r,c``), text boxes for the
labels and a colour-scale legend, grouped in a group shape named after the chart.
"""
from __future__ import annotations

import copy
import math

from pptx.chart.data import CategoryChartData
from pptx.dml.color import RGBColor
from pptx.enum.chart import (XL_AXIS_CROSSES, XL_CHART_TYPE, XL_LEGEND_POSITION, XL_MARKER_STYLE,
                             XL_TICK_LABEL_POSITION, XL_TICK_MARK)
from pptx.enum.shapes import MSO_SHAPE
from pptx.enum.text import MSO_ANCHOR, MSO_AUTO_SIZE, PP_ALIGN
from pptx.oxml.ns import qn
from pptx.util import Pt

from ..layout.chart_plan import (AXIS, GAP_WIDTH, GRID, LINE_WIDTH, MARKER_SIZE, Cell, Label, format_number,
                         plan_heatmap, plan_xy, title_lines)
from .pptx_xml import (remove_shape_style, set_alt_text, set_chart_area_plain, set_cross_between, set_font_faces, set_log_scale,
                       set_plot_area_layout, set_text_direction, set_tick_label_rotation, set_tick_label_skip)

TYPEFACE = "Arial"      # Liberation Sans (what the PDF and the layout measure with) is metric-compatible

__all__ = ["add_chart"]


def add_chart(slide, el):
    """Add the chart of ChartBox `el` to a python-pptx slide; returns the graphic frame or group shape."""
    if el.data.plot == "heatmap":
        return _add_heatmap(slide.shapes, el)
    return _add_native(slide.shapes, el)


def _rgb(c: str) -> RGBColor:
    return RGBColor.from_string(c.lstrip("#").upper())


def _style_font(font, size: float, color: str, bold: bool | None = None) -> None:
    font.name = TYPEFACE
    font.size = Pt(size)
    font.color.rgb = _rgb(color)
    if bold is not None:
        font.bold = bold


def _set_text(text_frame, text: str, size: float, color: str, bold: bool = False) -> None:
    text_frame.text = text
    for para in text_frame.paragraphs:
        for run in para.runs:
            _style_font(run.font, size, color, bold)
            set_font_faces(run, TYPEFACE)


# -- line and bar charts ------------------------------------------------------------------------

def _add_native(shapes, el):
    d = el.data
    p = plan_xy(el)
    fs = el.font_size

    cd = CategoryChartData(number_format=d.value_format)
    cd.categories = list(d.categories)
    for s in d.series:
        # NaN/inf would be written as "nan" into the XML; a blank point is what PowerPoint knows
        cd.add_series(s.name, [float(v) if v is not None and math.isfinite(v) else None for v in s.values])
    if p.plot_type == "bar":
        chart_type = XL_CHART_TYPE.COLUMN_CLUSTERED
    else:
        chart_type = XL_CHART_TYPE.LINE_MARKERS if p.markers else XL_CHART_TYPE.LINE
    frame = shapes.add_chart(chart_type, Pt(el.x), Pt(el.y), Pt(el.w), Pt(el.h), cd)
    frame.name = el.name
    set_alt_text(frame, el.alt)
    chart = frame.chart
    _style_font(chart.font, fs, el.text_color)

    # title
    chart.has_title = True
    # the PDF's line breaks (a:br), so PowerPoint does not wrap the title somewhere else
    lines, title_size = title_lines(el)
    _set_text(chart.chart_title.text_frame, "\v".join(lines), title_size, el.text_color, bold=True)

    # legend (bottom, outside the plot area)
    chart.has_legend = len(d.series) > 1
    if chart.has_legend:
        chart.legend.position = (XL_LEGEND_POSITION.RIGHT if p.legend_pos == "right"
                                 else XL_LEGEND_POSITION.BOTTOM)
        chart.legend.include_in_layout = False
        _style_font(chart.legend.font, p.legend_size, el.text_color)

    # value axis: the plan's scale, so ticks and bounds are the PDF's
    va = chart.value_axis
    sc = p.scale
    if sc.log:
        set_log_scale(va, 10)
    va.minimum_scale = sc.lo
    va.maximum_scale = sc.hi
    va.major_unit = sc.step
    va.has_major_gridlines = True
    va.major_gridlines.format.line.color.rgb = _rgb(GRID)
    va.major_gridlines.format.line.width = Pt(0.75)
    va.has_minor_gridlines = False
    va.major_tick_mark = XL_TICK_MARK.NONE
    va.minor_tick_mark = XL_TICK_MARK.NONE
    va.format.line.fill.background()
    va.tick_labels.number_format = sc.fmt
    va.tick_labels.number_format_is_linked = False
    _style_font(va.tick_labels.font, fs, el.text_color)
    # where the category axis crosses: bottom of a log axis, else 0
    va.crosses = XL_AXIS_CROSSES.MINIMUM if sc.log else XL_AXIS_CROSSES.AUTOMATIC
    set_cross_between(va, "midCat" if p.mid_cat else "between")
    if d.y_label:
        va.has_title = True
        _set_text(va.axis_title.text_frame, d.y_label, p.y_title.size if p.y_title else fs, el.text_color)

    # category axis: labels at the bottom, rotated / skipped as planned
    ca = chart.category_axis
    ca.tick_label_position = XL_TICK_LABEL_POSITION.LOW
    ca.major_tick_mark = XL_TICK_MARK.OUTSIDE
    ca.minor_tick_mark = XL_TICK_MARK.NONE
    ca.has_major_gridlines = False
    ca.format.line.color.rgb = _rgb(AXIS)
    ca.format.line.width = Pt(0.75)
    _style_font(ca.tick_labels.font, p.cat_size, el.text_color)
    if p.cat_skip > 1:
        set_tick_label_skip(ca, p.cat_skip)
        set_tick_label_rotation(ca, -1 / 60000)
    else:
        set_tick_label_rotation(ca, p.cat_rotation)
    if d.x_label:
        ca.has_title = True
        _set_text(ca.axis_title.text_frame, d.x_label, p.x_title.size if p.x_title else fs, el.text_color)

    # series colours from the palette, in series order
    plot = chart.plots[0]
    plot.vary_by_categories = False
    if p.plot_type == "bar":
        plot.gap_width = GAP_WIDTH
        plot.overlap = 0
    for ser, color in zip(plot.series, p.colors):
        if p.plot_type == "bar":
            ser.format.fill.solid()
            ser.format.fill.fore_color.rgb = _rgb(color)
            ser.format.line.fill.background()
            ser.invert_if_negative = False
        else:
            ser.smooth = False
            ser.format.line.color.rgb = _rgb(color)
            ser.format.line.width = Pt(LINE_WIDTH)
            if p.markers:
                ser.marker.style = XL_MARKER_STYLE.CIRCLE
                ser.marker.size = int(round(MARKER_SIZE))
                ser.marker.format.fill.solid()
                ser.marker.format.fill.fore_color.rgb = _rgb(color)
                ser.marker.format.line.color.rgb = _rgb(color)
            else:
                ser.marker.style = XL_MARKER_STYLE.NONE

    x, y, w, h = p.plot
    set_plot_area_layout(chart, x / el.w, y / el.h, w / el.w, h / el.h)
    set_chart_area_plain(chart)
    return frame


# -- heatmap ------------------------------------------------------------------------------------

_ALIGN = {"left": PP_ALIGN.LEFT, "center": PP_ALIGN.CENTER, "right": PP_ALIGN.RIGHT}


def _frame_text(text_frame, lab_text: str, size: float, color: str, bold: bool, align: str) -> None:
    tf = text_frame
    tf.margin_left = tf.margin_right = tf.margin_top = tf.margin_bottom = 0
    tf.word_wrap = False
    tf.auto_size = MSO_AUTO_SIZE.NONE
    tf.vertical_anchor = MSO_ANCHOR.MIDDLE
    para = tf.paragraphs[0]
    para.alignment = _ALIGN[align]
    run = para.add_run()
    run.text = lab_text
    _style_font(run.font, size, color, bold)
    set_font_faces(run, TYPEFACE)


def _label(shapes, lab: Label, ox: float, oy: float, name: str):
    tb = shapes.add_textbox(Pt(ox + lab.x), Pt(oy + lab.y), Pt(lab.w), Pt(lab.h))
    tb.name = name
    _frame_text(tb.text_frame, lab.text, lab.size, lab.color, lab.bold, lab.align)
    if lab.rotation == -90:
        set_text_direction(tb, "vert270")
    return tb


def _rect(shapes, cell: Cell, ox: float, oy: float, name: str):
    """A filled cell. The first of each kind goes through python-pptx; the rest clone its XML and
    change position, colours and text (python-pptx's per-shape API costs 2-3 ms a cell)."""
    key = (bool(cell.text), bool(cell.line))
    protos = shapes.__dict__.setdefault("_deckc_protos", {})
    if key not in protos:
        sh = shapes.add_shape(MSO_SHAPE.RECTANGLE, Pt(ox + cell.x), Pt(oy + cell.y), Pt(cell.w), Pt(cell.h))
        sh.name = name
        remove_shape_style(sh)
        sh.fill.solid()
        sh.fill.fore_color.rgb = _rgb(cell.fill)
        if cell.line:
            sh.line.color.rgb = _rgb(cell.line)
            sh.line.width = Pt(0.75)
        else:
            sh.line.fill.background()
        if cell.text:
            _frame_text(sh.text_frame, cell.text, cell.size, cell.text_color, False, "center")
        protos[key] = sh._element
        return sh
    el = copy.deepcopy(protos[key])
    c_nv_pr = el.find(qn("p:nvSpPr")).find(qn("p:cNvPr"))
    c_nv_pr.set("id", str(shapes._next_shape_id))
    c_nv_pr.set("name", name)
    for attr in ("descr",):
        c_nv_pr.attrib.pop(attr, None)
    sp_pr = el.find(qn("p:spPr"))
    xfrm = sp_pr.find(qn("a:xfrm"))
    xfrm.find(qn("a:off")).set("x", str(Pt(ox + cell.x)))
    xfrm.find(qn("a:off")).set("y", str(Pt(oy + cell.y)))
    xfrm.find(qn("a:ext")).set("cx", str(Pt(cell.w)))
    xfrm.find(qn("a:ext")).set("cy", str(Pt(cell.h)))
    sp_pr.find(qn("a:solidFill")).find(qn("a:srgbClr")).set("val", cell.fill)
    if cell.line:
        sp_pr.find(qn("a:ln")).find(qn("a:solidFill")).find(qn("a:srgbClr")).set("val", cell.line)
    if cell.text:
        run = el.find(qn("p:txBody")).find(qn("a:p")).find(qn("a:r"))
        run.find(qn("a:t")).text = cell.text
        r_pr = run.find(qn("a:rPr"))
        r_pr.set("sz", str(int(round(cell.size * 100))))
        r_pr.find(qn("a:solidFill")).find(qn("a:srgbClr")).set("val", cell.text_color)
    shapes._spTree.append(el)
    return shapes._shape_factory(el)


def _add_heatmap(shapes, el):
    p = plan_heatmap(el)
    d = el.data
    grp = shapes.add_group_shape()
    grp.name = el.name
    g = grp.shapes
    # python-pptx recomputes the group's frame from all children after every added shape
    # (quadratic: seconds for a 12x12 heatmap); do it once, at the end.
    g._recalculate_extents = lambda: None
    ox, oy = el.x, el.y
    # Every shape gets words (descr) too: cells may be too small to print their value.
    for i, row in enumerate(p.cells):
        for j, cell in enumerate(row):
            sh = _rect(g, cell, ox, oy, f"cell {i + 1},{j + 1}")
            value = d.series[i].values[j]
            set_alt_text(sh, f"{d.series[i].name} / {d.categories[j]}: "
                             f"{format_number(value, d.value_format) if math.isfinite(value) else 'no value'}")
    span = p.hi - p.lo
    for k, sw in enumerate(p.scale_swatches):
        s = _rect(g, Cell(sw.x, sw.y, sw.w, sw.h, sw.fill, line=sw.fill), ox, oy, f"scale {k + 1}")
        s.line.width = Pt(0.25)
        a, b = p.lo + span * k / len(p.scale_swatches), p.lo + span * (k + 1) / len(p.scale_swatches)
        set_alt_text(s, f"colour scale step {k + 1}: {format_number(a, d.value_format)} to "
                        f"{format_number(b, d.value_format)}")
    s0, s1 = p.scale_swatches[0], p.scale_swatches[-1]
    frame = g.add_shape(MSO_SHAPE.RECTANGLE, Pt(ox + s0.x), Pt(oy + s1.y), Pt(s0.w), Pt(s0.y + s0.h - s1.y))
    frame.name = "scale frame"
    remove_shape_style(frame)
    set_alt_text(frame, f"colour scale from {format_number(p.lo, d.value_format)} (white) to "
                        f"{format_number(p.hi, d.value_format)} (dark blue)")
    frame.fill.background()
    frame.line.color.rgb = _rgb(AXIS)
    frame.line.width = Pt(0.5)
    for k, lab in enumerate(p.titles):
        _label(g, lab, ox, oy, "title" if k == 0 else f"title {k + 1}")
    for lab in p.row_labels:
        _label(g, lab, ox, oy, f"row label {lab.text}")
    for lab in p.col_labels:
        _label(g, lab, ox, oy, f"column label {lab.text}")
    for lab in p.scale_labels:
        _label(g, lab, ox, oy, f"scale label {lab.text}")
    if p.x_title is not None:
        _label(g, p.x_title, ox, oy, "x title")
    if p.y_title is not None:
        _label(g, p.y_title, ox, oy, "y title")
    del g._recalculate_extents
    grp._element.recalculate_extents()
    set_alt_text(grp, el.alt or d.description)
    return grp
