"""The PPTX package around the slides: theme1.xml from the deck's theme, a 16:9 slide size,
docProps/app.xml that describes this deck, and none of python-pptx's 4:3 template leftovers.

- theme1.xml carries the theme's name, colour scheme and fonts (major = headings, minor =
  body; ea/cs where the theme sets them, and PowerPoint's per-script faces), so what a
  lecturer adds in PowerPoint is in the deck's colours and fonts, not Office Theme's Calibri;
- a dark theme maps the scheme the way PowerPoint's dark designs do (clrMap bg1=dk1, tx1=lt1);
- sldSz has no type="screen4x3"; app.xml gives the slide and notes counts, "Widescreen", the
  fonts, the theme and the slide titles; the thumbnail (a blank 4:3 JPEG) and the printer
  settings part of python-pptx's template are dropped (a thumbnail is optional, ECMA-376 Part 2).
"""
from __future__ import annotations

from lxml import etree
from pptx.oxml.ns import qn

from ..layout.theme import Theme, luminance
from .ooxml import attr

A = "http://schemas.openxmlformats.org/drawingml/2006/main"
THUMBNAIL = "http://schemas.openxmlformats.org/package/2006/relationships/metadata/thumbnail"
PRINTER = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/printerSettings"
# The faces PowerPoint itself names for these scripts (its Office theme), with the choices
# for Japanese and Korean: an Arabic-capable face for Arabic, Yu Gothic, Malgun Gothic.
SCRIPT_FACES = (("Jpan", "Yu Gothic"), ("Hang", "Malgun Gothic"), ("Hans", "Microsoft YaHei"),
                ("Hant", "Microsoft JhengHei"), ("Arab", "Arial"), ("Hebr", "Arial"), ("Thai", "Tahoma"))


def is_dark(t: Theme) -> bool:
    return luminance(t.background) < luminance(t.text)


def _scheme(t: Theme) -> str:
    dark, light = (t.background, t.text) if is_dark(t) else (t.text, t.background)
    dark2, light2 = (t.table_stripe, t.muted) if is_dark(t) else (t.muted, t.table_stripe)
    accents = list(t.palette[:6]) + [tone.border for tone in t.tones.values()]
    slots = [("dk1", dark), ("lt1", light), ("dk2", dark2), ("lt2", light2)]
    slots += [(f"accent{i + 1}", c) for i, c in enumerate(accents[:6])]
    slots += [("hlink", t.accent), ("folHlink", t.muted)]
    body = "".join(f'<a:{k}><a:srgbClr val="{v}"/></a:{k}>' for k, v in slots)
    return f'<a:clrScheme xmlns:a="{A}" name="{attr(t.name)}">{body}</a:clrScheme>'


def _fonts(t: Theme) -> str:
    def font(tag: str, latin: str) -> str:
        scripts = "".join(f'<a:font script="{s}" typeface="{attr(f)}"/>' for s, f in SCRIPT_FACES)
        return (f'<a:{tag}><a:latin typeface="{attr(latin)}"/><a:ea typeface="{attr(t.font_ea or "")}"/>'
                f'<a:cs typeface="{attr(t.font_cs or "")}"/>{scripts}</a:{tag}>')
    return (f'<a:fontScheme xmlns:a="{A}" name="{attr(t.name)}">{font("majorFont", t.font_heading)}'
            f'{font("minorFont", t.font_body)}</a:fontScheme>')


def apply_theme(prs, t: Theme) -> None:
    """theme1.xml (every master's theme) gets the deck's name, colours and fonts."""
    from pptx.opc.constants import RELATIONSHIP_TYPE as RT

    for master in prs.slide_masters:
        part = master.part.part_related_by(RT.THEME)
        root = etree.fromstring(part.blob)
        root.set("name", t.name)
        elements = root.find(qn("a:themeElements"))
        for tag, xml in (("a:clrScheme", _scheme(t)), ("a:fontScheme", _fonts(t))):
            old = elements.find(qn(tag))
            old.addprevious(etree.fromstring(xml))
            elements.remove(old)
        fmt = elements.find(qn("a:fmtScheme"))
        if fmt is not None:
            fmt.set("name", t.name)
        part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
        if is_dark(t):
            cmap = master._element.find(qn("p:clrMap"))
            for k, v in (("bg1", "dk1"), ("tx1", "lt1"), ("bg2", "dk2"), ("tx2", "lt2")):
                cmap.set(k, v)


def clean_package(prs) -> None:
    """16:9 without a 4:3 type; no thumbnail or printer settings from python-pptx's template."""
    size = prs._element.find(qn("p:sldSz"))
    if size is not None and "type" in size.attrib:
        del size.attrib["type"]
    package = prs.part.package
    for rels in (package._rels, prs.part.rels):
        for rid in [rid for rid, rel in rels.items() if rel.reltype in (THUMBNAIL, PRINTER)]:
            rels.pop(rid)


def app_xml(deck, theme_name: str, fonts: list[str], version: str) -> bytes:
    """docProps/app.xml for this deck (ECMA-376 Part 1, 22.2): counts, format, what it contains."""
    from .ooxml import text

    titles = [sp.title for sp in deck.slides]
    parts = [*fonts, theme_name, *titles]
    pairs = [("Fonts Used", len(fonts)), ("Theme", 1), ("Slide Titles", len(titles))]
    heading = "".join(f"<vt:variant><vt:lpstr>{k}</vt:lpstr></vt:variant><vt:variant><vt:i4>{n}</vt:i4></vt:variant>"
                      for k, n in pairs)
    names = "".join(f"<vt:lpstr>{text(p)}</vt:lpstr>" for p in parts)
    ratio = deck.width / deck.height
    fmt = "Widescreen" if abs(ratio - 16 / 9) < 0.01 else "Custom"
    n = len(deck.slides)
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties" '
            'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
            f"<TotalTime>0</TotalTime><Application>deckc {text(version)}</Application>"
            f"<PresentationFormat>{fmt}</PresentationFormat><Slides>{n}</Slides><Notes>{n}</Notes>"
            "<HiddenSlides>0</HiddenSlides><MMClips>0</MMClips><ScaleCrop>false</ScaleCrop>"
            f'<HeadingPairs><vt:vector size="{2 * len(pairs)}" baseType="variant">{heading}</vt:vector></HeadingPairs>'
            f'<TitlesOfParts><vt:vector size="{len(parts)}" baseType="lpstr">{names}</vt:vector></TitlesOfParts>'
            "<LinksUpToDate>false</LinksUpToDate><SharedDoc>false</SharedDoc>"
            "<HyperlinksChanged>false</HyperlinksChanged><AppVersion>16.0000</AppVersion></Properties>").encode()


def set_app_xml(prs, blob: bytes) -> None:
    from pptx.opc.constants import RELATIONSHIP_TYPE as RT

    prs.part.package.part_related_by(RT.EXTENDED_PROPERTIES)._blob = blob


def fonts_used(slides_xml) -> list[str]:
    """The typefaces the slides' runs name, sorted (app.xml's "Fonts Used")."""
    faces = set()
    for el in slides_xml:
        for node in el.iter(qn("a:latin")):
            face = node.get("typeface")
            if face and not face.startswith("+"):
                faces.add(face)
    return sorted(faces)
