"""Chart writers: native PPTX charts / heatmap groups and vector PDF charts, from the same plan."""
from __future__ import annotations

import io
import math
import re
import subprocess
from pathlib import Path

import pytest
from lxml import etree
from pptx import Presentation
from pptx.enum.chart import XL_CHART_TYPE, XL_LEGEND_POSITION, XL_TICK_LABEL_POSITION
from pptx.enum.shapes import MSO_SHAPE_TYPE
from pptx.util import Pt

from conftest import require_tool
from deckc.fonts.canvas import new_canvas
from deckc.charts import CHART_KINDS, compute_chart, load_reference
from deckc.layout.plan import ChartBox
from deckc.layout.theme import DEFAULT_THEME
from deckc.layout import chart_plan
from deckc.layout.chart_plan import (format_number, plan_heatmap, plan_xy, readable_height, text_width,
                                    with_geometry)
from deckc.layout.theme import contrast
from deckc.writers.pdf import PdfPage
from deckc.writers.pdf_charts import draw_chart
from deckc.writers.pptx_charts import add_chart

pytestmark = pytest.mark.filterwarnings("error")

EXERCISES = Path(__file__).resolve().parents[1] / "exercises"
KINDS = tuple(CHART_KINDS)
XY_KINDS = ("memory_fade", "vanishing_gradient", "attention_weights", "sequential_steps")
NS = {"c": "http://schemas.openxmlformats.org/drawingml/2006/chart",
      "a": "http://schemas.openxmlformats.org/drawingml/2006/main",
      "p": "http://schemas.openxmlformats.org/presentationml/2006/main"}
EMU = 12700
SIZES = ((500.0, 330.0, 12.0), (400.0, 280.0, 11.0), (860.0, 380.0, 14.0), (300.0, 200.0, 11.0),
         (470.0, 175.0, 12.0), (321.0, 296.0, 12.0))


@pytest.fixture(scope="module")
def data():
    ref = load_reference(EXERCISES)
    return {kind: compute_chart(kind, {}, ref) for kind in KINDS}


def box(d, x=48.0, y=100.0, w=500.0, h=330.0, fs=12.0):
    """A placed chart box, complete as the layout hands it to the writers."""
    return with_geometry(ChartBox(name=f"s1.chart-{d.name}", x=x, y=y, w=w, h=h, data=d,
                                  palette=DEFAULT_THEME.palette, text_color=DEFAULT_THEME.text, font_size=fs,
                                  alt=d.description))


def new_slide():
    prs = Presentation()
    prs.slide_width, prs.slide_height = Pt(960), Pt(540)
    return prs, prs.slides.add_slide(prs.slide_layouts[6])


def own_descr(shape):
    """descr of the shape's own cNvPr (graphicFrame: p:nvGraphicFramePr/p:cNvPr; group: p:nvGrpSpPr/p:cNvPr)."""
    first = shape._element[0]
    assert first.tag in (f"{{{NS['p']}}}nvGraphicFramePr", f"{{{NS['p']}}}nvGrpSpPr", f"{{{NS['p']}}}nvSpPr")
    return first.find("p:cNvPr", NS).get("descr")


def pdf_bytes(els) -> bytes:
    buf = io.BytesIO()
    c = new_canvas(buf, pagesize=(960, 540), pageCompression=0)
    for el in els:
        draw_chart(PdfPage(c, 540), el)
        c.showPage()
    c.save()
    return buf.getvalue()


# -- PPTX: native charts ------------------------------------------------------------------------

@pytest.mark.parametrize("kind", XY_KINDS)
def test_pptx_native_chart_type_data_and_frame(data, kind):
    d = data[kind]
    el = box(d)
    prs, slide = new_slide()
    frame = add_chart(slide, el)
    assert frame.has_chart and frame.shape_type == MSO_SHAPE_TYPE.CHART
    assert frame.name == el.name
    assert (frame.left, frame.top, frame.width, frame.height) == (Pt(el.x), Pt(el.y), Pt(el.w), Pt(el.h))
    chart = frame.chart
    if d.plot == "bar":
        assert chart.chart_type == XL_CHART_TYPE.COLUMN_CLUSTERED
    else:
        assert chart.chart_type in (XL_CHART_TYPE.LINE, XL_CHART_TYPE.LINE_MARKERS)
    plot = chart.plots[0]
    assert tuple(plot.categories) == d.categories
    assert len(plot.series) == len(d.series)
    for ser, s in zip(plot.series, d.series):
        assert ser.name == s.name
        assert ser.values == pytest.approx(s.values, rel=1e-12, abs=0)
    # the embedded workbook holds the data too (re-plottable in PowerPoint)
    assert chart.part.chart_workbook.xlsx_part is not None
    # title, axis titles, legend only with several series
    # the title carries the PDF's line breaks (a:br, read back as vertical tab)
    assert chart.has_title and chart.chart_title.text_frame.text.replace("\v", " ") == d.title
    if d.log_y:     # a log chart's value-axis title is a text box grouped with it (see the test below)
        assert not chart.value_axis.has_title
    else:
        assert chart.value_axis.axis_title.text_frame.text == d.y_label
    assert chart.category_axis.axis_title.text_frame.text == d.x_label
    assert chart.has_legend == (len(d.series) > 1)
    # alt text on the graphic frame itself
    assert own_descr(frame) == el.alt and el.alt.strip()
    # the chart still saves and reloads
    buf = io.BytesIO()
    prs.save(buf)
    again = Presentation(io.BytesIO(buf.getvalue())).slides[0].shapes[0]
    if again.shape_type == MSO_SHAPE_TYPE.GROUP:        # a log axis: the chart grouped with its 10^n labels
        again = again.shapes[0]
    again = again.chart
    assert again.plots[0].series[0].values == pytest.approx(d.series[0].values, rel=1e-12)


@pytest.mark.parametrize("kind", XY_KINDS)
def test_pptx_series_colours_fonts_and_scale(data, kind):
    d = data[kind]
    el = box(d)
    _, slide = new_slide()
    chart = add_chart(slide, el).chart
    xml = chart._chartSpace
    sers = xml.findall(".//c:ser", NS)
    for i, ser in enumerate(sers):
        want = el.palette[i % len(el.palette)]
        got = ser.find("c:spPr", NS).xpath(".//a:srgbClr/@val")
        assert got and got[0] == want
    # font sizes in hundredths of a point, from font_size
    sizes = {int(v) for v in xml.xpath(".//a:defRPr/@sz | .//a:rPr/@sz")}
    assert int(el.font_size * 100) in sizes
    assert all(s >= 1100 for s in sizes)
    # value axis: the plan's scale, number format unlinked
    p = plan_xy(el)
    va = chart.value_axis
    assert va.minimum_scale == pytest.approx(p.scale.lo) and va.maximum_scale == pytest.approx(p.scale.hi)
    assert va.major_unit == pytest.approx(p.scale.step)
    assert va.tick_labels.number_format == p.scale.fmt and not va.tick_labels.number_format_is_linked
    values = [v for s in d.series for v in s.values]
    assert p.scale.lo <= min(values) and max(values) <= p.scale.hi
    # the plot area is placed where the PDF puts it
    ml = xml.find(".//c:plotArea/c:layout/c:manualLayout", NS)
    assert ml.find("c:layoutTarget", NS).get("val") == "inner"
    assert float(ml.find("c:x", NS).get("val")) == pytest.approx(p.plot[0] / el.w, abs=1e-6)


def test_pptx_log_axis(data):
    d = data["vanishing_gradient"]
    assert d.log_y
    _, slide = new_slide()
    chart = add_chart(slide, box(d)).chart
    scaling = chart._chartSpace.find(".//c:valAx/c:scaling", NS)
    children = [etree.QName(ch).localname for ch in scaling]
    assert children[0] == "logBase" and scaling.find("c:logBase", NS).get("val") == "10"
    # schema order inside c:scaling: logBase, orientation, max, min
    assert [c for c in children if c in ("logBase", "orientation", "max", "min")] == \
        ["logBase", "orientation", "max", "min"]
    va = chart.value_axis
    for v in (va.minimum_scale, va.maximum_scale, va.major_unit):
        assert math.log10(v) == pytest.approx(round(math.log10(v)))
    assert va.tick_labels.number_format == "0E+0"
    # the category axis crosses at the bottom of the log axis, not at 1
    assert chart._chartSpace.find(".//c:catAx/c:crosses", NS).get("val") == "min"
    for kind in ("memory_fade", "attention_weights", "sequential_steps"):
        _, s2 = new_slide()
        xml = add_chart(s2, box(data[kind])).chart._chartSpace
        assert xml.find(".//c:logBase", NS) is None


def test_pptx_category_labels_rotated_or_skipped(data):
    _, slide = new_slide()
    chart = add_chart(slide, box(data["attention_weights"], w=400, h=280, fs=11)).chart
    rot = chart._chartSpace.find(".//c:catAx/c:txPr/a:bodyPr", NS).get("rot")
    assert int(rot) in (-2700000, -5400000)
    _, slide = new_slide()
    chart = add_chart(slide, box(data["vanishing_gradient"])).chart
    skip = chart._chartSpace.find(".//c:catAx/c:tickLblSkip", NS)
    assert skip is not None and int(skip.get("val")) > 1


# -- PPTX: heatmap as a native table ------------------------------------------------------------

def test_pptx_heatmap_is_a_native_table(data):
    """Issue 15: the heatmap's numbers are editable in PowerPoint: one native table (the values in
    their cells, each cell filled with its colour, the column labels heading the columns and the row
    labels in the first column), not a group of loose shapes."""
    d = data["attention_matrix"]
    el = box(d, w=860.0, h=380.0, fs=14.0)
    p = el.geometry
    prs, slide = new_slide()
    frame = add_chart(slide, el)
    assert frame.has_table and frame.name == el.name
    assert own_descr(frame) == el.alt and el.alt.strip()
    table = frame.table
    rows, cols = len(d.series), len(d.categories)
    assert (len(table.rows), len(table.columns)) == (rows + 1, cols + 1)
    assert [table.cell(0, j + 1).text for j in range(cols)] == list(d.categories)
    assert [table.cell(i + 1, 0).text for i in range(rows)] == [s.name for s in d.series]
    for i, s in enumerate(d.series):
        for j, v in enumerate(s.values):
            cell = table.cell(i + 1, j + 1)
            assert cell.text == format_number(v, d.value_format)
            assert str(cell.fill.fore_color.rgb) == p.cells[i][j].fill
    sizes = {r.font.size.pt for row in table.rows for c in row.cells for par in c.text_frame.paragraphs
             for r in par.runs}
    assert sizes == {14.0}                       # every number and label at the chart's one size
    # the rest (heading, axis titles) is one group beside it, with words for a screen reader
    groups = [s for s in slide.shapes if s.shape_type == MSO_SHAPE_TYPE.GROUP]
    assert [g.name for g in groups] == [f"{el.name} labels"] and own_descr(groups[0])
    assert len(slide.shapes) == 2


def test_pptx_is_deterministic(data):
    def build():
        _, slide = new_slide()
        out = []
        for k in KINDS:
            shape = add_chart(slide, box(data[k]))
            out.append(etree.tostring(shape._element))
            if shape.has_chart:
                out.append(etree.tostring(shape.chart._chartSpace))
        return out
    assert build() == build()


# -- PDF ----------------------------------------------------------------------------------------

def test_pdf_vector_only_text_and_fonts(data, tmp_path):
    els = [box(data[k]) for k in KINDS]
    pdf = pdf_bytes(els)
    assert b"/Subtype /Image" not in pdf
    assert b"Helvetica" not in pdf
    path = tmp_path / "charts.pdf"
    path.write_bytes(pdf)
    exe = require_tool("pdftotext")
    for n, el in enumerate(els, start=1):
        text = subprocess.run([exe, "-f", str(n), "-l", str(n), str(path), "-"], capture_output=True,
                              check=True, text=True).stdout
        d = el.data
        for want in (d.title, d.x_label, d.y_label):
            assert want in text, (d.name, want)
        if len(d.series) > 1 and d.plot != "heatmap":
            for s in d.series:
                assert s.name in text
    fonts = subprocess.run([require_tool("pdffonts"), str(path)], capture_output=True, check=True,
                           text=True).stdout.splitlines()[2:]
    assert fonts and all(" yes " in line for line in fonts)


def test_pdf_images_list_is_empty(data, tmp_path):
    path = tmp_path / "charts.pdf"
    path.write_bytes(pdf_bytes([box(data[k]) for k in KINDS]))
    out = subprocess.run([require_tool("pdfimages"), "-list", str(path)], capture_output=True, check=True,
                         text=True).stdout.splitlines()
    assert len(out) == 2      # header lines only


def test_pdf_log_axis_ticks_are_powers_of_ten(data, tmp_path):
    el = box(data["vanishing_gradient"])
    p = plan_xy(el)
    assert p.scale.log
    exps = [math.log10(t) for t in p.scale.ticks]
    assert all(e == pytest.approx(round(e)) for e in exps)
    assert len(set(round(b - a) for a, b in zip(exps, exps[1:]))) == 1
    values = [v for s in el.data.series for v in s.values]
    assert p.scale.lo <= min(values) and max(values) <= p.scale.hi
    path = tmp_path / "log.pdf"
    path.write_bytes(pdf_bytes([el]))
    text = subprocess.run([require_tool("pdftotext"), str(path), "-"], capture_output=True, check=True,
                          text=True).stdout
    # 10 with a raised exponent (issue 15), never "1E-24": the plan says so and the PDF draws it
    assert all(lab.text == "10" and lab.sup for lab in p.value_labels)
    assert [lab.sup for lab in p.value_labels] == [f"{round(e)}".replace("-", "\u2212") for e in exps]
    assert "E-" not in text and "E+" not in text
    for lab in p.value_labels:
        assert lab.sup in text


def test_html_log_axis_labels_are_superscripts(data):
    """The HTML page draws the plan with its SVG pen: "10", then the exponent smaller and higher."""
    from deckc.writers.html.charts import chart_svg

    el = box(data["vanishing_gradient"])
    svg = chart_svg(el, "c1")
    texts = re.findall(r'<text x="([\d.]+)" y="([\d.]+)" font-size="([\d.]+)"[^>]*>([^<]*)</text>', svg)
    for lab in el.geometry.value_labels:
        i = next(k for k, t in enumerate(texts) if t[3] == lab.sup)
        base, sup = texts[i - 1], texts[i]
        assert base[3] == "10" and float(sup[2]) < float(base[2])          # smaller
        assert float(sup[1]) < float(base[1]) and float(sup[0]) > float(base[0])   # higher, after it
    assert not re.search(r">1E[-+]", svg)


def test_pptx_log_axis_labels_are_superscripts(data):
    """No number format writes 10⁻²⁴: the native chart's tick labels are hidden and the plan's
    labels are text boxes, grouped with the chart, whose exponent run is a superscript."""
    el = box(data["vanishing_gradient"])
    _, slide = new_slide()
    frame = add_chart(slide, el)
    group = slide.shapes[0]
    assert group.shape_type == MSO_SHAPE_TYPE.GROUP and group.shapes[0].has_chart
    assert frame.chart.value_axis.tick_label_position == XL_TICK_LABEL_POSITION.NONE
    labels = [s for s in group.shapes if s.name.startswith("tick label")]
    assert len(labels) == len(el.geometry.value_labels)
    assert [s.text_frame.text for s in group.shapes if s.name == "y title"] == [el.data.y_label]
    for s, lab in zip(labels, el.geometry.value_labels):
        base, exp = s.text_frame.paragraphs[0].runs
        assert base.text == "10" and exp.text == lab.sup
        assert exp._r.find(f"{{{NS['a']}}}rPr").get("baseline") == "30000"
        assert base._r.find(f"{{{NS['a']}}}rPr").get("baseline") is None


@pytest.mark.parametrize("w,h,fs", SIZES)
@pytest.mark.parametrize("kind", KINDS)
def test_pdf_drawing_stays_in_box(data, kind, w, h, fs):
    el = box(data[kind], w=w, h=h, fs=fs)
    c = new_canvas(io.BytesIO(), pagesize=(960, 540))
    x0, y0, x1, y1 = draw_chart(PdfPage(c, 540), el)
    assert x0 >= -0.01 and y0 >= -0.01 and x1 <= w + 0.01 and y1 <= h + 0.01, (x0, y0, x1, y1)


@pytest.mark.parametrize("w,h,fs", SIZES)
@pytest.mark.parametrize("kind", XY_KINDS)
def test_category_labels_do_not_overlap(data, kind, w, h, fs):
    el = box(data[kind], w=w, h=h, fs=fs)
    p = plan_xy(el)
    n = len(el.data.categories)
    xs = [p.cat_x(i, n) for i in range(0, n, p.cat_skip)]
    gap = min((b - a for a, b in zip(xs, xs[1:])), default=1e9)
    shown = [c for i, c in enumerate(el.data.categories) if i % p.cat_skip == 0]
    if p.cat_rotation == 0:
        widths = [text_width(c, p.cat_size) for c in shown]
        assert all(b - a >= (wa + wb) / 2 for a, b, wa, wb in zip(xs, xs[1:], widths, widths[1:]))
    elif p.cat_rotation == -45:
        assert gap * math.sqrt(0.5) >= p.cat_size * 1.15
    else:
        assert gap >= p.cat_size * 1.15
    assert p.cat_size >= 7


def test_attention_bars_readable_in_400pt(data):
    el = box(data["attention_weights"], w=400, h=280, fs=11)
    p = plan_xy(el)
    assert p.cat_skip == 1 and p.cat_size >= 11     # every token shown, not shrunk
    assert p.cat_rotation in (0, -45)


def test_pdf_is_deterministic(data):
    els = [box(data[k]) for k in KINDS]
    assert pdf_bytes(els) == pdf_bytes(els)


_PDF_TOKEN = re.compile(rb"\((?:\\.|[^\\()])*\)|<[0-9A-Fa-f\s]*>|/[^\s/\[\]()<>]+|[-+]?(?:\d+\.?\d*|\.\d+)|[A-Za-z*'\"]+|\[|\]")
_PAINT = {b"f": True, b"f*": True, b"F": True, b"B": True, b"B*": True, b"b": True, b"b*": True,
          b"S": False, b"s": False, b"n": False}


def pdf_filled_rects(pdf: bytes, page_h: float) -> list[tuple[float, float, float, float, str]]:
    """Every filled rectangle the PDF's (uncompressed) content streams draw, as (left, top, width,
    height) in points from the page's top-left and its fill colour 'RRGGBB': read from the drawing
    operators themselves (q/Q, cm, rg, re and the paint operator), not from any deckc code."""
    out = []
    for m in re.finditer(rb"stream\r?\n(.*?)endstream", pdf, re.S):
        body = m.group(1)
        if b" re " not in body:
            continue                                  # fonts and other binary streams
        ctm, fill, stack, args, pending = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0), "000000", [], [], []
        for tok in _PDF_TOKEN.findall(body):
            if re.fullmatch(rb"[-+]?(?:\d+\.?\d*|\.\d+)", tok):
                args.append(float(tok))
                continue
            if tok == b"q":
                stack.append((ctm, fill))
            elif tok == b"Q":
                ctm, fill = stack.pop()
            elif tok == b"cm":
                a, b_, c, d, e, f = args[-6:]
                A, B, C, D, E, F = ctm
                ctm = (a * A + b_ * C, a * B + b_ * D, c * A + d * C, c * B + d * D, e * A + f * C + E, e * B + f * D + F)
            elif tok == b"rg":
                fill = "".join(f"{round(v * 255):02X}" for v in args[-3:])
            elif tok == b"re":
                pending.append((tuple(args[-4:]), ctm))
            elif tok in _PAINT:
                if _PAINT[tok]:
                    for (x, y, w, h), (A, B, C, D, E, F) in pending:
                        xs = [A * px + C * py + E for px, py in ((x, y), (x + w, y + h))]
                        ys = [B * px + D * py + F for px, py in ((x, y), (x + w, y + h))]
                        out.append((min(xs), page_h - max(ys), max(xs) - min(xs), max(ys) - min(ys), fill))
                pending = []
            args = []
    return out


def test_writers_share_the_heatmap_cells(data):
    """The PPTX table's cells (from its position, column widths and row heights) and the PDF's drawn
    cell rectangles: same places, sizes and colours, both from the plan's one grid."""
    d = data["attention_matrix"]
    el = box(d, w=860.0, h=380.0, fs=14.0)
    _, slide = new_slide()
    frame = add_chart(slide, el)
    table = frame.table
    xs = [frame.left / EMU]
    for col in table.columns:
        xs.append(xs[-1] + col.width / EMU)
    ys = [frame.top / EMU]
    for row in table.rows:
        ys.append(ys[-1] + row.height / EMU)
    drawn = pdf_filled_rects(pdf_bytes([el]), 540)
    fills = set()
    for i in range(1, len(table.rows)):
        for j in range(1, len(table.columns)):
            want = (xs[j], ys[i], xs[j + 1] - xs[j], ys[i + 1] - ys[i])
            same = [r for r in drawn if all(abs(a - b) <= 0.02 for a, b in zip(r[:4], want))]
            assert len(same) == 1, ((i, j), want)
            fill = str(table.cell(i, j).fill.fore_color.rgb)
            assert same[0][4] == fill, (i, j)
            fills.add(fill)
    # and the cells' colours really vary (a constant fill would match trivially)
    assert len(fills) > 5


# -- number formats -----------------------------------------------------------------------------

@pytest.mark.parametrize("value,fmt,want", [
    (0.0766, "0.00", "0.08"), (64.0, "0", "64"), (-0.001, "0.00", "0.00"), (1234.5, "#,##0.0", "1,234.5"),
    (0.25, "0%", "25%"), (1.51e-24, "0.0E+00", "1.5E-24"), (1e-24, "0E+0", "1E-24"), (1.0, "0E+0", "1E+0"),
    (5.82e4, "0.0E+00", "5.8E+04"), (9.99, "0.0E+00", "1.0E+01"), (0.5, "General", "0.5"),
])
def test_format_number(value, fmt, want):
    assert format_number(value, fmt) == want


def test_linear_ticks_cover_data_and_fit_the_format():
    s = chart_plan.linear_scale(0.0, 0.82, 6, "0.00")
    assert s.lo == 0 and s.hi >= 0.82 and len(s.ticks) <= 6
    assert len(set(s.labels)) == len(s.labels)
    s = chart_plan.linear_scale(0.0, 0.013, 6, "0.00")       # steps finer than the data format
    assert len(set(s.labels)) == len(s.labels)


def test_wide_short_box_puts_the_legend_right(data):
    el = box(data["attention_weights"], w=476, h=180, fs=12)
    p = plan_xy(el)
    assert p.legend_pos == "right"
    assert all(e.x > p.plot[0] + p.plot[2] for e in p.legend)
    _, slide = new_slide()
    assert add_chart(slide, el).chart.legend.position == XL_LEGEND_POSITION.RIGHT
    p = plan_xy(box(data["attention_weights"]))
    assert p.legend_pos == "bottom"


@pytest.mark.parametrize("kind", KINDS)
def test_readable_height_keeps_every_label_at_font_size(data, kind):
    d = data[kind]
    h = readable_height(d, 470.0, 12.0)
    assert 100 < h < 600
    el = box(d, w=470.0, h=h, fs=12.0)
    if d.plot == "heatmap":
        p = plan_heatmap(el)
        assert all(lab.size == 12.0 for lab in p.row_labels + p.col_labels)
    else:
        p = plan_xy(el)
        assert p.plot[3] >= 96 and p.cat_size == 12.0
    assert p.y_title.size == 12.0 and p.x_title.size == 12.0
