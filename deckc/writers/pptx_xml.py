"""Raw OOXML workarounds for what python-pptx has no API for. Everything XML-level lives here.

- alt text (cNvPr/@descr) on shapes, pictures, graphic frames and connectors;
- arrowheads on connectors, run highlight colour, exact line spacing;
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


def add_arrowhead(connector, end: str = "tail") -> None:
    ln = connector.line._get_or_add_ln()
    for old in ln.findall(qn(f"a:{end}End")):
        ln.remove(old)
    head = etree.SubElement(ln, qn(f"a:{end}End"))
    head.set("type", "triangle")
    head.set("w", "med")
    head.set("len", "med")


def set_run_highlight(run, color_hex: str) -> None:
    """<a:highlight> (PowerPoint 2019+; LibreOffice reads it too) must come after fills, before latin."""
    r_pr = run._r.get_or_add_rPr()
    hl = etree.Element(qn("a:highlight"))
    clr = etree.SubElement(hl, qn("a:srgbClr"))
    clr.set("val", color_hex)
    anchor = None
    for tag in ("a:latin", "a:ea", "a:cs", "a:sym", "a:hlinkClick", "a:hlinkMouseOver", "a:rtl", "a:extLst"):
        anchor = r_pr.find(qn(tag))
        if anchor is not None:
            break
    if anchor is not None:
        anchor.addprevious(hl)
    else:
        r_pr.append(hl)


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


def set_bullet(paragraph, char: str, indent_emu: int) -> None:
    """A hanging bullet: python-pptx has no bullet API for text boxes."""
    p_pr = paragraph._p.get_or_add_pPr()
    p_pr.set("marL", str(indent_emu))
    p_pr.set("indent", str(-indent_emu))
    for tag in ("a:buNone", "a:buChar", "a:buAutoNum"):
        for old in p_pr.findall(qn(tag)):
            p_pr.remove(old)
    bu = etree.SubElement(p_pr, qn("a:buChar"))
    bu.set("char", char)
    # buChar must follow lnSpc/spcBef/spcAft: python-pptx adds those first, so appending is in order,
    # but a later space_before call would insert before it; keep the schema order explicitly.
    for tag in ("a:lnSpc", "a:spcBef", "a:spcAft"):
        el = p_pr.find(qn(tag))
        if el is not None:
            p_pr.remove(el)
            bu.addprevious(el)


def set_cell_borders(cell, color_hex: str, width_emu: int) -> None:
    """Thin borders on all four sides of a table cell (the default table style draws white ones)."""
    tc_pr = cell._tc.get_or_add_tcPr()
    for side in ("a:lnL", "a:lnR", "a:lnT", "a:lnB"):
        for old in tc_pr.findall(qn(side)):
            tc_pr.remove(old)
    first = tc_pr[0] if len(tc_pr) else None
    for side in ("a:lnL", "a:lnR", "a:lnT", "a:lnB"):
        ln = etree.Element(qn(side))
        ln.set("w", str(int(width_emu)))
        fill = etree.SubElement(ln, qn("a:solidFill"))
        clr = etree.SubElement(fill, qn("a:srgbClr"))
        clr.set("val", color_hex)
        if first is not None:
            first.addprevious(ln)
        else:
            tc_pr.append(ln)


def widen_master_to_16x9(prs, old_width: int, new_width: int) -> None:
    """Scale x/width of every placeholder in the master and layouts (the template was drawn for 4:3)."""
    k = new_width / old_width
    parts = [prs.slide_master] + list(prs.slide_layouts)
    for part in parts:
        for sp in part.shapes:
            if sp.left is not None and sp.width is not None:
                sp.left, sp.width = int(sp.left * k), int(sp.width * k)


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


def normalize_package(data: bytes, iso_date: str) -> bytes:
    """Make a saved .pptx byte-reproducible, including the .xlsx workbooks embedded in charts."""
    def rewrite(name: str, body: bytes) -> bytes:
        if name.startswith("ppt/embeddings/") and name.endswith(".xlsx"):
            return _rezip(body, iso_date)
        return body

    return _rezip(data, iso_date, rewrite)
