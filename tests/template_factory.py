"""PowerPoint templates the tests make themselves with python-pptx (no binaries in the repo):
python-pptx's own 4:3 template restyled like a university's, and ones with unusual layouts."""
from __future__ import annotations

import io
from pathlib import Path

from lxml import etree
from pptx import Presentation
from pptx.opc.constants import RELATIONSHIP_TYPE as RT
from pptx.oxml.ns import qn

A = "http://schemas.openxmlformats.org/drawingml/2006/main"


def logo_png(color=(140, 29, 64)) -> bytes:
    from PIL import Image, ImageDraw

    im = Image.new("RGB", (240, 80), (255, 255, 255))
    d = ImageDraw.Draw(im)
    d.rectangle((6, 6, 74, 74), fill=color)
    d.rectangle((90, 28, 230, 52), fill=color)
    buf = io.BytesIO()
    im.save(buf, "PNG")
    return buf.getvalue()


def restyle(prs, accent="8C1D40", text="202020", background="F5F0E6", major="Georgia", minor="Verdana",
            name="University") -> None:
    """Theme colours and fonts, a solid master background."""
    master = prs.slide_master
    part = master.part.part_related_by(RT.THEME)
    root = etree.fromstring(part.blob)
    root.set("name", name)
    scheme = root.find(f".//{qn('a:clrScheme')}")
    for tag, val in (("dk1", text), ("lt1", "FFFFFF"), ("accent1", accent), ("accent2", "D4A017")):
        slot = scheme.find(qn(f"a:{tag}"))
        for c in list(slot):
            slot.remove(c)
        etree.SubElement(slot, qn("a:srgbClr")).set("val", val)
    for tag, face in (("a:majorFont", major), ("a:minorFont", minor)):
        root.find(f".//{qn(tag)}").find(qn("a:latin")).set("typeface", face)
    part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
    bg = master._element.find(qn("p:cSld")).find(qn("p:bg"))
    for c in list(bg):
        bg.remove(c)
    bg.append(etree.fromstring(f'<p:bgPr xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main" '
                               f'xmlns:a="{A}"><a:solidFill><a:srgbClr val="{background}"/></a:solidFill>'
                               f'<a:effectLst/></p:bgPr>'))


def add_logo(prs) -> None:
    """A logo picture on the slide master, top right (of a 4:3 slide)."""
    master = prs.slide_master
    w, h = 1371600, 457200                    # 1.5 x 0.5 in
    x, y = prs.slide_width - w - 228600, 228600
    _, rid = master.part.get_or_add_image_part(io.BytesIO(logo_png()))
    tree = master._element.find(qn("p:cSld")).find(qn("p:spTree"))
    tree.append(etree.fromstring(
        f'<p:pic xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main" xmlns:a="{A}" '
        f'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        f'<p:nvPicPr><p:cNvPr id="99" name="University logo" descr="University logo"/><p:cNvPicPr/><p:nvPr/>'
        f'</p:nvPicPr><p:blipFill><a:blip r:embed="{rid}"/><a:stretch><a:fillRect/></a:stretch></p:blipFill>'
        f'<p:spPr><a:xfrm><a:off x="{x}" y="{y}"/><a:ext cx="{w}" cy="{h}"/></a:xfrm>'
        f'<a:prstGeom prst="rect"><a:avLst/></a:prstGeom></p:spPr></p:pic>'))


def university(path: Path, *, logo=True) -> Path:
    """A 4:3 university template: its own colours, Georgia/Verdana, a cream background, a logo."""
    prs = Presentation()                          # python-pptx's template is 4:3
    restyle(prs)
    if logo:
        add_logo(prs)
    prs.slides.add_slide(prs.slide_layouts[0])    # a sample slide in the template: not used by deckc
    path.parent.mkdir(parents=True, exist_ok=True)
    prs.save(str(path))
    return path


def only_layouts(path: Path, keep: tuple[str, ...]) -> Path:
    """A template with only the named layouts (the others removed from the master)."""
    prs = Presentation()
    master = prs.slide_master
    lst = master._element.find(qn("p:sldLayoutIdLst"))
    for entry, layout in zip(list(lst), list(prs.slide_layouts)):
        if layout.name not in keep:
            master.part.drop_rel(entry.get(qn("r:id")))
            lst.remove(entry)
    path.parent.mkdir(parents=True, exist_ok=True)
    prs.save(str(path))
    return path


def picture_background(path: Path, rgb=(20, 60, 110)) -> Path:
    """A template whose master background is a picture (a flat navy PNG) and whose text is white."""
    from PIL import Image

    prs = Presentation()
    restyle(prs, accent="F2C14E", text="FFFFFF")
    master = prs.slide_master
    im = Image.new("RGB", (160, 90), rgb)
    buf = io.BytesIO()
    im.save(buf, "PNG")
    _, rid = master.part.get_or_add_image_part(io.BytesIO(buf.getvalue()))
    bg = master._element.find(qn("p:cSld")).find(qn("p:bg"))
    for c in list(bg):
        bg.remove(c)
    bg.append(etree.fromstring(
        f'<p:bgPr xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main" xmlns:a="{A}" '
        f'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        f'<a:blipFill><a:blip r:embed="{rid}"/><a:stretch><a:fillRect/></a:stretch></a:blipFill>'
        f'<a:effectLst/></p:bgPr>'))
    path.parent.mkdir(parents=True, exist_ok=True)
    prs.save(str(path))
    return path
