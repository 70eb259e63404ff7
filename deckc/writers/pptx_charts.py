"""Charts in the PPTX: native, editable PowerPoint charts; heatmaps as a group of shapes.

Line and bar charts are python-pptx charts whose data lives in the embedded
workbook, so a lecturer can restyle or re-plot them in PowerPoint. What python-pptx
has no API for (log axis, label skip/rotation, plot-area layout, plain chart area)
is set by the XML helpers in :mod:`.pptx_xml`.

The geometry (value scale and ticks, category-label rotation/skip, the inner plot
rectangle, title lines) is the layout's (``ChartBox.geometry``), the same plan the PDF draws, so
both renderings look alike. Heatmaps, which PowerPoint has no chart type for, are a group of
a native table with its labels (:mod:`.pptx_heatmap`).
"""
from __future__ import annotations

import itertools
import math

from pptx.chart.data import CategoryChartData
from pptx.dml.color import RGBColor
from pptx.enum.chart import (XL_AXIS_CROSSES, XL_CHART_TYPE, XL_LEGEND_POSITION, XL_MARKER_STYLE,
                             XL_TICK_LABEL_POSITION, XL_TICK_MARK)
from pptx.oxml import parse_xml
from pptx.util import Pt

from ..layout.chart_parts import AXIS, GAP_WIDTH, GRID, LINE_WIDTH, MARKER_SIZE
from .drawingml import CHART_TYPEFACE as TYPEFACE, group_shape, label_box
from .ooxml import NSDECLS, emu
from .pptx_heatmap import heatmap_labels, heatmap_table
from .pptx_xml import (positive_axis_ids, set_alt_text, set_chart_area_plain, set_cross_between, set_font_faces,
                       set_log_scale,
                       set_plot_area_layout, set_tick_label_rotation, set_tick_label_skip)

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
    p = el.geometry
    fs = el.font_size

    if p.plot_type == "scatter":      # an XY chart: x is a number axis, points without lines
        from pptx.chart.data import XyChartData

        cd = XyChartData(number_format=d.value_format)
        for s in d.series:
            ser = cd.add_series(s.name)
            for c, v in zip(d.categories, s.values):
                if v is not None and math.isfinite(v):
                    ser.add_data_point(float(c), float(v))
    else:
        cd = CategoryChartData(number_format=d.value_format)
        cd.categories = list(d.categories)
        for s in d.series:
            # NaN/inf would be written as "nan" into the XML; a blank point is what PowerPoint knows
            cd.add_series(s.name, [float(v) if v is not None and math.isfinite(v) else None for v in s.values])
    if p.plot_type == "scatter":
        chart_type = XL_CHART_TYPE.XY_SCATTER
    elif p.plot_type == "bar":
        chart_type = XL_CHART_TYPE.COLUMN_CLUSTERED
    else:
        chart_type = XL_CHART_TYPE.LINE_MARKERS if p.markers else XL_CHART_TYPE.LINE
    frame = shapes.add_chart(chart_type, Pt(el.x), Pt(el.y), Pt(el.w), Pt(el.h), cd)
    frame.name = el.name
    set_alt_text(frame, el.alt)
    chart = frame.chart
    positive_axis_ids(chart)
    _style_font(chart.font, fs, el.text_color)

    # title
    chart.has_title = True
    # the PDF's line breaks (a:br), so PowerPoint does not wrap the title somewhere else
    _set_text(chart.chart_title.text_frame, "\v".join(t.text for t in p.titles), p.titles[0].size, el.text_color,
              bold=True)

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
    if p.x_scale is not None:         # the x number axis: the plan's ticks, as the PDF's
        ca.minimum_scale, ca.maximum_scale, ca.major_unit = p.x_scale.lo, p.x_scale.hi, p.x_scale.step
        ca.tick_labels.number_format = p.x_scale.fmt
        ca.tick_labels.number_format_is_linked = False
        set_tick_label_rotation(ca, p.cat_rotation)
    elif p.cat_skip > 1:
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
            if p.plot_type == "scatter":
                ser.format.line.fill.background()        # points only
            else:
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
    if sc.log:
        return _with_power_labels(shapes, frame, el)
    return frame


def _with_power_labels(shapes, frame, el):
    """A log axis says 10 with a raised exponent (10⁻²⁴), which no number format can write: the
    chart's own tick labels (and its value-axis title, which a renderer would move onto their place)
    are hidden, and the plan's labels are text boxes whose exponent run is a superscript (baseline
    30 %), grouped with the chart so they move and scale with it."""
    va = frame.chart.value_axis
    va.tick_label_position = XL_TICK_LABEL_POSITION.NONE
    va.has_title = False        # a renderer would move it onto the labels' place: it is a box of the plan too
    tree = shapes._spTree
    ids = itertools.count(max(int(i) for i in tree.xpath("//@id")) + 1)
    boxes, parts = [(emu(el.x), emu(el.y), emu(el.w), emu(el.h))], []
    labels = [(lab, f"tick label 10^{lab.sup}") for lab in el.geometry.value_labels]
    if el.geometry.y_title is not None:
        labels.append((el.geometry.y_title, "y title"))
    for lab, name in labels:
        parts.append(label_box(lab, el.x, el.y, name, next(ids)))
        boxes.append(tuple(emu(v) for v in (el.x + lab.x, el.y + lab.y, lab.w, lab.h)))
    group = parse_xml(group_shape(next(ids), f"{el.name} group", el.alt, parts, boxes, NSDECLS))
    frame._element.addprevious(group)
    group.insert(2, frame._element)       # the chart first in the group (reading order), then its labels
    return frame


# -- heatmap ------------------------------------------------------------------------------------

def _add_heatmap(shapes, el):
    """The heatmap as a native table plus its grouped labels (.pptx_heatmap), appended to the slide;
    returns the table's graphic frame."""
    tree = shapes._spTree
    ids = itertools.count(max(int(i) for i in tree.xpath("//@id")) + 1)
    xml = heatmap_table(el, next(ids)) + heatmap_labels(el, ids)
    added = list(parse_xml(f"<p:spTree {NSDECLS}>{xml}</p:spTree>"))
    for shape in added:
        tree.append(shape)
    return shapes._shape_factory(added[0])
