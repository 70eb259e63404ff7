"""PresentationML the python-pptx API has no words for: click animations (p:timing) and the
deck's sections (p14:sectionLst), written as PowerPoint itself writes them.

Reveals: each click is one p:par of the main sequence; everything revealed on that click
"appears" (preset 1, class entr) together, a paragraph of a text box by its p:txEl range, and
p:bldLst says which shapes build (by paragraph: build="p"), so PowerPoint shows them hidden
until their click, and its animation pane lists one effect per item.
"""
from __future__ import annotations

import uuid

P14 = "http://schemas.microsoft.com/office/powerpoint/2010/main"
SECTIONS_URI = "{521415D9-36F7-43E2-AB2F-B90AF26B5E84}"


def _timing(reveals: list[tuple[int, int, int | None]]) -> str:
    ids = iter(range(3, 100000))
    clicks = []
    for step in sorted({s for s, _, _ in reveals}):
        outer, inner = next(ids), next(ids)         # ids in document order, as PowerPoint numbers them
        effects = []
        for k, (_, spid, para) in enumerate(sorted(r for r in reveals if r[0] == step)):
            target = (f'<p:spTgt spid="{spid}"><p:txEl><p:pRg st="{para}" end="{para}"/></p:txEl></p:spTgt>'
                      if para is not None else f'<p:spTgt spid="{spid}"/>')
            node = "clickEffect" if k == 0 else "withEffect"
            effects.append(
                f'<p:par><p:cTn id="{next(ids)}" presetID="1" presetClass="entr" presetSubtype="0" fill="hold" '
                f'grpId="0" nodeType="{node}"><p:stCondLst><p:cond delay="0"/></p:stCondLst><p:childTnLst>'
                f'<p:set><p:cBhvr><p:cTn id="{next(ids)}" dur="1" fill="hold"><p:stCondLst><p:cond delay="0"/>'
                f'</p:stCondLst></p:cTn><p:tgtEl>{target}</p:tgtEl><p:attrNameLst><p:attrName>style.visibility'
                f'</p:attrName></p:attrNameLst></p:cBhvr><p:to><p:strVal val="visible"/></p:to></p:set>'
                f'</p:childTnLst></p:cTn></p:par>')
        clicks.append(f'<p:par><p:cTn id="{outer}" fill="hold"><p:stCondLst><p:cond delay="indefinite"/>'
                      f'</p:stCondLst><p:childTnLst><p:par><p:cTn id="{inner}" fill="hold"><p:stCondLst>'
                      f'<p:cond delay="0"/></p:stCondLst><p:childTnLst>{"".join(effects)}</p:childTnLst>'
                      f'</p:cTn></p:par></p:childTnLst></p:cTn></p:par>')
    by_paragraph = sorted({spid for _, spid, para in reveals if para is not None})
    bld = "".join(f'<p:bldP spid="{spid}" grpId="0" build="p"/>' for spid in by_paragraph)
    return ('<p:timing xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main"><p:tnLst><p:par>'
            '<p:cTn id="1" dur="indefinite" restart="never" nodeType="tmRoot"><p:childTnLst>'
            '<p:seq concurrent="1" nextAc="seek"><p:cTn id="2" dur="indefinite" nodeType="mainSeq"><p:childTnLst>'
            f'{"".join(clicks)}</p:childTnLst></p:cTn><p:prevCondLst><p:cond evt="onPrev" delay="0"><p:tgtEl>'
            '<p:sldTgt/></p:tgtEl></p:cond></p:prevCondLst><p:nextCondLst><p:cond evt="onNext" delay="0">'
            '<p:tgtEl><p:sldTgt/></p:tgtEl></p:cond></p:nextCondLst></p:seq></p:childTnLst></p:cTn></p:par>'
            f'</p:tnLst>{"<p:bldLst>" + bld + "</p:bldLst>" if bld else ""}</p:timing>')


def add_reveals(slide, reveals: list[tuple[int, int, int | None]]) -> None:
    """Append p:timing to the slide (after p:clrMapOvr, where the schema puts it)."""
    from pptx.oxml import parse_xml

    sld = slide._element
    timing = parse_xml(_timing(reveals))
    ext = sld.find("{http://schemas.openxmlformats.org/presentationml/2006/main}extLst")
    if ext is not None:
        ext.addprevious(timing)
    else:
        sld.append(timing)


def add_sections(prs, sections: list[tuple[str, list[int]]]) -> None:
    """PowerPoint sections (the slide sorter's groups): [(name, [slide indexes])]. Ids are derived
    from the names and positions, so the file stays reproducible."""
    from pptx.oxml import parse_xml

    from .ooxml import attr

    ids = prs.slides._sldIdLst
    slide_ids = [s.get("id") for s in ids]
    body = []
    for k, (name, members) in enumerate(sections):
        guid = str(uuid.uuid5(uuid.NAMESPACE_URL, f"deckc-section:{k}:{name}")).upper()
        members_xml = "".join(f'<p14:sldId id="{slide_ids[i]}"/>' for i in members)
        body.append(f'<p14:section name="{attr(name)}" id="{{{guid}}}"><p14:sldIdLst>{members_xml}'
                    f'</p14:sldIdLst></p14:section>')
    ext = parse_xml(f'<p:extLst xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main">'
                    f'<p:ext uri="{SECTIONS_URI}"><p14:sectionLst xmlns:p14="{P14}">{"".join(body)}'
                    f'</p14:sectionLst></p:ext></p:extLst>')
    pres = prs.part._element
    old = pres.find("{http://schemas.openxmlformats.org/presentationml/2006/main}extLst")
    if old is None:
        pres.append(ext)
    else:
        for child in list(ext):
            old.append(child)
