"""Raw OOXML workarounds for what python-pptx has no API for. Everything XML-level lives here.

- alt text (cNvPr/@descr) and typefaces of python-pptx-made shapes and runs (chart frames,
  chart titles); the deck's own shapes are written as DrawingML in drawingml.py;
- chart settings python-pptx has no API for (log axis, label skip and rotation, plot-area
  layout, plain chart area);
- 16:9 master and layouts (the default template is 4:3: its placeholders are scaled);
- zip normalisation: fixed entry times and fixed document dates (also inside embedded
  chart workbooks), so two builds of the same spec are byte-identical.
"""
from __future__ import annotations

import io
import re
import zipfile

from lxml import etree
from pptx.oxml.ns import qn

FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def set_alt_text(shape, text: str) -> None:
    """python-pptx exposes name but not descr; screen readers read descr."""
    c_nv_pr = shape._element.xpath("./*[1]/p:cNvPr")
    if c_nv_pr:
        c_nv_pr[0].set("descr", text)


def set_font_faces(run, latin: str, symbol: str | None = None) -> None:
    """Name the typeface for latin and complex scripts; emoji runs name an emoji face too."""
    r_pr = run._r.get_or_add_rPr()
    for tag in ("a:latin", "a:ea", "a:cs", "a:sym"):
        for old in r_pr.findall(qn(tag)):
            r_pr.remove(old)
    faces = [("a:latin", symbol or latin), ("a:ea", symbol or latin), ("a:cs", symbol or latin)]
    if symbol:
        faces.append(("a:sym", symbol))
    anchor = None
    for tag in ("a:hlinkClick", "a:hlinkMouseOver", "a:rtl", "a:extLst"):
        anchor = r_pr.find(qn(tag))
        if anchor is not None:
            break
    for tag, face in faces:
        el = etree.Element(qn(tag))
        el.set("typeface", face)
        if anchor is not None:
            anchor.addprevious(el)
        else:
            r_pr.append(el)


def widen_master_to_16x9(prs, old_width: int, new_width: int) -> None:
    """Scale x and width of every shape frame in the master and its layouts (the template was drawn
    for 4:3). Only frames written out are scaled: a layout placeholder without its own frame
    inherits the master's, which is scaled here once."""
    k = new_width / old_width
    for part in [prs.slide_master, *prs.slide_layouts]:
        for frame in part._element.iter(qn("a:xfrm"), qn("p:xfrm")):
            for child in frame:
                for attr in ("x", "cx"):
                    if child.get(attr) is not None:
                        child.set(attr, str(int(int(child.get(attr)) * k)))


_CORE_DATES = re.compile(rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:\2>)")


def _fix_core_dates(xml: bytes, iso: str) -> bytes:
    return _CORE_DATES.sub(lambda m: m.group(1) + iso.encode() + m.group(3), xml)


def _rezip(data: bytes, iso: str, rewrite=None) -> bytes:
    """Same entries in the same order, with fixed times, fixed core dates and stable compression."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename.endswith("docProps/core.xml"):
                body = _fix_core_dates(body, iso)
            if rewrite is not None:
                body = rewrite(info.filename, body)
            zi = zipfile.ZipInfo(info.filename, date_time=FIXED_ZIP_TIME)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o600 << 16
            dst.writestr(zi, body, compresslevel=6)
    return out.getvalue()


class _ReproducibleZip:
    """Stands in for python-pptx's zip writer (its _PhysPkgWriter interface: write(pack_uri, blob)):
    fixed entry times and permissions, fixed core dates, embedded workbooks made reproducible."""

    def __init__(self, iso_date: str):
        self.iso = iso_date
        self.buf = io.BytesIO()
        self.zip = zipfile.ZipFile(self.buf, "w", zipfile.ZIP_DEFLATED)

    def write(self, pack_uri, blob: bytes) -> None:
        name = pack_uri.membername
        if name.endswith("docProps/core.xml"):
            blob = _fix_core_dates(blob, self.iso)
        elif name.startswith("ppt/embeddings/") and name.endswith(".xlsx"):
            blob = _rezip(blob, self.iso)
        zi = zipfile.ZipInfo(name, date_time=FIXED_ZIP_TIME)
        zi.compress_type = zipfile.ZIP_DEFLATED
        zi.external_attr = 0o600 << 16
        self.zip.writestr(zi, blob, compresslevel=6)


def save_reproducible(prs, iso_date: str) -> bytes:
    """prs.save() as bytes that two builds of the same spec reproduce exactly: fixed entry times
    and document dates, in one pass (saving and then rewriting the zip cost twice the zip work).
    Goes through python-pptx's PackageWriter steps, so parts, order and content types are its own."""
    from pptx.opc.serialized import PackageWriter

    package = prs.part.package
    writer = PackageWriter(None, package._rels, tuple(package.iter_parts()))
    sink = _ReproducibleZip(iso_date)
    writer._write_content_types_stream(sink)
    writer._write_pkg_rels(sink)
    writer._write_parts(sink)
    sink.zip.close()
    return sink.buf.getvalue()


# -- charts (used by deckc.writers.pptx_charts) ------------------------------------------------

def _insert_before(parent, child, successors) -> None:
    """Insert `child` before the first present element of `successors` (schema order), else append."""
    for tag in successors:
        found = parent.find(qn(tag))
        if found is not None:
            found.addprevious(child)
            return
    parent.append(child)


def _replace_child(parent, tag: str, successors, **attrs):
    for old in parent.findall(qn(tag)):
        parent.remove(old)
    el = etree.Element(qn(tag))
    for k, v in attrs.items():
        el.set(k, v)
    _insert_before(parent, el, successors)
    return el


def set_log_scale(value_axis, base: float = 10) -> None:
    """Logarithmic value axis: <c:scaling><c:logBase val="10"/> ...; logBase is the first child
    of c:scaling (schema order: logBase, orientation, max, min, extLst). With a log axis,
    c:majorUnit is a factor (10 = a tick every decade, 1000 = every third decade)."""
    scaling = value_axis._element.scaling
    _replace_child(scaling, "c:logBase", ("c:orientation", "c:max", "c:min", "c:extLst"), val=f"{base:g}")
    if scaling.find(qn("c:orientation")) is None:       # spelled out: the axis runs upwards
        _replace_child(scaling, "c:orientation", ("c:max", "c:min", "c:extLst"), val="minMax")


def set_tick_label_skip(category_axis, label_skip: int, mark_skip: int | None = None) -> None:
    """Label (and tick) every n-th category: c:tickLblSkip / c:tickMarkSkip on c:catAx."""
    ax = category_axis._element
    _replace_child(ax, "c:tickLblSkip", ("c:tickMarkSkip", "c:noMultiLvlLbl", "c:extLst"), val=str(int(label_skip)))
    _replace_child(ax, "c:tickMarkSkip", ("c:noMultiLvlLbl", "c:extLst"), val=str(int(mark_skip or label_skip)))


def set_tick_label_rotation(axis, degrees: float) -> None:
    """Rotate an axis' tick labels (c:txPr/a:bodyPr/@rot, 60000ths of a degree; negative reads upwards)."""
    axis.tick_labels.font        # makes sure c:txPr exists
    body_pr = axis._element.find(qn("c:txPr")).find(qn("a:bodyPr"))
    body_pr.set("rot", str(int(round(degrees * 60000))))
    body_pr.set("vert", "horz")


def set_cross_between(value_axis, mode: str) -> None:
    """Where the value axis crosses the category axis: "between" categories (bars) or "midCat"
    (on the tick marks, so a line chart's first and last points sit on the plot edges)."""
    if mode not in ("between", "midCat"):
        raise ValueError(mode)
    _replace_child(value_axis._element, "c:crossBetween", ("c:majorUnit", "c:minorUnit", "c:dispUnits", "c:extLst"),
                   val=mode)


def set_plot_area_layout(chart, x: float, y: float, w: float, h: float) -> None:
    """Place the inner plot area (inside the axes) at fractions of the chart frame: c:plotArea/c:layout/
    c:manualLayout with layoutTarget inner and edge modes."""
    plot_area = chart._chartSpace.find(qn("c:chart")).find(qn("c:plotArea"))
    for old in plot_area.findall(qn("c:layout")):
        plot_area.remove(old)
    layout = etree.Element(qn("c:layout"))
    plot_area.insert(0, layout)
    manual = etree.SubElement(layout, qn("c:manualLayout"))
    for tag, val in (("c:layoutTarget", "inner"), ("c:xMode", "edge"), ("c:yMode", "edge"),
                     ("c:x", f"{x:.6f}"), ("c:y", f"{y:.6f}"), ("c:w", f"{w:.6f}"), ("c:h", f"{h:.6f}")):
        etree.SubElement(manual, qn(tag)).set("val", val)


def _no_fill_sppr():
    sp_pr = etree.Element(qn("c:spPr"))
    etree.SubElement(sp_pr, qn("a:noFill"))
    ln = etree.SubElement(sp_pr, qn("a:ln"))
    etree.SubElement(ln, qn("a:noFill"))
    return sp_pr


def set_chart_area_plain(chart) -> None:
    """Transparent chart and plot areas without border, square corners (c:roundedCorners val=0;
    an absent element means rounded in some readers)."""
    cs = chart._chartSpace
    _replace_child(cs, "c:roundedCorners", ("c:clrMapOvr", "c:pivotSource", "c:protection", "c:chart"), val="0")
    for old in cs.findall(qn("c:spPr")):
        cs.remove(old)
    _insert_before(cs, _no_fill_sppr(), ("c:txPr", "c:externalData", "c:printSettings", "c:userShapes", "c:extLst"))
    plot_area = cs.find(qn("c:chart")).find(qn("c:plotArea"))
    for old in plot_area.findall(qn("c:spPr")):
        plot_area.remove(old)
    _insert_before(plot_area, _no_fill_sppr(), ("c:extLst",))


def positive_axis_ids(chart) -> None:
    """python-pptx's bar template numbers its axes with negative ids (-2068027336); c:axId is an
    unsignedInt (ECMA-376 CT_UnsignedInt), so a validator reports each. Renumbered 1, 2, ... in
    order of appearance, every reference (c:axId, c:crossAx) alike."""
    cs = chart._chartSpace
    ids: dict[str, str] = {}
    for el in cs.iter(qn("c:axId"), qn("c:crossAx")):
        old = el.get("val")
        if old not in ids:
            ids[old] = str(len(ids) + 1)
    if not any(k.startswith("-") for k in ids):
        return
    for el in cs.iter(qn("c:axId"), qn("c:crossAx")):
        el.set("val", ids[el.get("val")])
