"""Reading a template (deckc.template): which layout serves which slide, by placeholder type; the
theme's colours (through the master's colour map) and fonts; each layout's background and pictures.

What cannot be read for the PDF and HTML (say so in the README): gradient and pattern fills (the
first gradient stop stands for a gradient), shapes other than pictures on masters and layouts,
theme effects, and pictures in formats other than PNG and JPEG (EMF/WMF logos).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree
from pptx.oxml.ns import qn

from .errors import DeckcError

EMU_PER_PT = 12700


class TemplateError(DeckcError, ValueError):
    """A template that cannot be used; the loader locates it at lesson.template."""

    exit_code = 2


@dataclass(frozen=True)
class Decor:
    """A picture the master or a layout draws on every slide of it (a logo), in deck points."""

    data: bytes
    format: str
    x: float
    y: float
    w: float
    h: float
    mean: str | None = None        # a background picture's average colour: what text must contrast with


def _mean_color(blob: bytes) -> str | None:
    import io

    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(blob)) as im:
            im.draft("RGB", (64, 64))
            r, g, b = im.convert("RGB").resize((1, 1), Image.Resampling.BOX).getpixel((0, 0))
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return None
    return f"{r:02X}{g:02X}{b:02X}"


@dataclass
class Template:
    path: Path
    layouts: dict[str, int]                  # role (title | content | section) -> layout index
    placeholders: dict[str, dict] = field(default_factory=dict)   # role -> {title: ph attrs, body: ph attrs}
    notes: list[str] = field(default_factory=list)                 # fallbacks taken, said as warnings
    colors: dict[str, str] = field(default_factory=dict)         # scheme colour (after clrMap) -> RRGGBB
    fonts: dict[str, str] = field(default_factory=dict)
    background: dict[str, object] = field(default_factory=dict)  # role -> RRGGBB or Decor (a picture)
    decor: dict[str, tuple] = field(default_factory=dict)        # role -> (Decor, ...)
    frames: dict[str, tuple | None] = field(default_factory=dict)  # content layout: title / body frame, points

    def theme(self):
        from .layout.template_theme import theme_from_template
        return theme_from_template(self)


def picture_decor(pic, part, scale_pt=EMU_PER_PT):
    """A p:pic of a master or layout as Decor (None when its image cannot be found)."""
    from pptx.oxml.ns import qn

    blip = pic.find(f".//{qn('a:blip')}")
    off, ext = pic.find(f".//{qn('a:off')}"), pic.find(f".//{qn('a:ext')}")
    if blip is None or off is None or ext is None:
        return None
    rid = blip.get(qn("r:embed"))
    try:
        img = part.related_part(rid)
    except KeyError:
        return None
    blob = img.blob
    fmt = "png" if blob.startswith(b"\x89PNG") else "jpeg" if blob.startswith(b"\xff\xd8") else None
    if fmt is None:
        return None
    return Decor(blob, fmt, int(off.get("x")) / scale_pt, int(off.get("y")) / scale_pt,
                 int(ext.get("cx")) / scale_pt, int(ext.get("cy")) / scale_pt)



TITLE_TYPES = ("title", "ctrTitle")
BODY_TYPES = ("body", "obj", None)         # a p:ph without type is a content (obj) placeholder


def _placeholders(layout) -> list[dict]:
    out = []
    for ph in layout._element.iter(qn("p:ph")):
        a = dict(ph.attrib)
        out.append({"type": a.get("type"), "idx": a.get("idx", "0"), "attrs": a})
    return out


def _describe(name: str, phs) -> str:
    kinds = [p["type"] or "content" for p in phs if p["type"] not in ("dt", "ftr", "sldNum")]
    return f"'{name}' ({', '.join(kinds) or 'no placeholders'})"


def find_layouts(prs):
    layouts = list(prs.slide_layouts)
    info = [(i, lay.name or f"layout {i + 1}", _placeholders(lay)) for i, lay in enumerate(layouts)]
    kind = [lay._element.get("type") for lay in layouts]   # the layout's type (obj, secHead, ...): kept when renamed

    def ph(phs, types, exclude_idx0=False):
        return next((p for p in phs if p["type"] in types and not (exclude_idx0 and p["idx"] == "0")), None)

    roles, phmap, notes = {}, {}, []
    content = [(i, n, phs) for i, n, phs in info if ph(phs, ("title",)) and ph(phs, BODY_TYPES, True)]
    if not content:
        listing = "; ".join(_describe(n, phs) for _, n, phs in info) or "none"
        raise TemplateError(f"has no layout with a title and a body placeholder (like 'Title and Content'), which "
                            f"content slides need; its layouts: {listing}")
    named = [c for c in content if kind[c[0]] == "obj"] or \
            [c for c in content if "content" in c[1].lower() or "text" in c[1].lower()]
    i, n, phs = (named or content)[0]
    roles["content"] = i
    phmap["content"] = {"title": ph(phs, ("title",))["attrs"], "body": ph(phs, BODY_TYPES, True)["attrs"]}

    title = [(i, n, phs) for i, n, phs in info if kind[i] == "title" and ph(phs, TITLE_TYPES)] or \
            [(i, n, phs) for i, n, phs in info if ph(phs, ("ctrTitle",))] or \
            [(i, n, phs) for i, n, phs in info if ph(phs, ("title",)) and ph(phs, ("subTitle",))]
    if title:
        i, n, phs = title[0]
        sub = ph(phs, ("subTitle",)) or ph(phs, ("body", "obj", None), True)
        roles["title"] = i
        phmap["title"] = {"title": ph(phs, TITLE_TYPES)["attrs"], "body": sub["attrs"] if sub else None}
    else:
        notes.append("has no title-slide layout (one with a centred title, or a title and a subtitle): the "
                     f"title slide uses '{info[roles['content']][1]}'")
        roles["title"], phmap["title"] = roles["content"], phmap["content"]

    section = [(i, n, phs) for i, n, phs in info if kind[i] == "secHead" and ph(phs, TITLE_TYPES)] or \
              [(i, n, phs) for i, n, phs in info if "section" in n.lower() and ph(phs, TITLE_TYPES)] or \
              [(i, n, phs) for i, n, phs in info if ph(phs, ("title",)) and not ph(phs, BODY_TYPES, True)]
    if section:
        i, n, phs = section[0]
        body = ph(phs, ("body", "obj", None, "subTitle"), True)
        roles["section"] = i
        phmap["section"] = {"title": ph(phs, TITLE_TYPES)["attrs"], "body": body["attrs"] if body else None}
    else:
        notes.append(f"has no section-header layout: section slides use '{info[roles['content']][1]}'")
        roles["section"], phmap["section"] = roles["content"], phmap["content"]
    return roles, phmap, notes


def _scheme(prs) -> tuple[dict, dict]:
    """Colours by the names slides use (bg1, tx1, accent1...) and the theme's fonts."""
    from pptx.opc.constants import RELATIONSHIP_TYPE as RT

    master = prs.slide_master
    try:
        theme = etree.fromstring(master.part.part_related_by(RT.THEME).blob)
    except (KeyError, etree.XMLSyntaxError) as e:
        raise TemplateError(f"its slide master has no readable theme ({e})") from None
    raw = {}
    scheme = theme.find(f".//{qn('a:clrScheme')}")
    for el in scheme if scheme is not None else ():
        tag = etree.QName(el).localname
        c = el[0] if len(el) else None
        if c is not None:
            raw[tag] = (c.get("val") if c.tag == qn("a:srgbClr") else c.get("lastClr")) or ""
    cmap = master._element.find(qn("p:clrMap"))
    mapping = dict(cmap.attrib) if cmap is not None else {}
    colors = {k: v.upper() for k, v in raw.items() if len(v) == 6}
    for k in ("bg1", "tx1", "bg2", "tx2"):
        src = mapping.get(k, {"bg1": "lt1", "tx1": "dk1", "bg2": "lt2", "tx2": "dk2"}[k])
        if src in colors:
            colors[k] = colors[src]
    fonts = {}
    for key, tag in (("heading", "a:majorFont"), ("body", "a:minorFont")):
        el = theme.find(f".//{qn(tag)}")
        if el is None:
            continue
        for script in ("latin", "ea", "cs"):
            s = el.find(qn(f"a:{script}"))
            if s is not None and s.get("typeface"):
                fonts[f"{key}_{script}"] = s.get("typeface")
    return colors, fonts


def _color(el, colors) -> str | None:
    for c in el.iter(qn("a:srgbClr"), qn("a:schemeClr"), qn("a:sysClr")):
        if c.tag == qn("a:srgbClr"):
            return c.get("val", "").upper() or None
        if c.tag == qn("a:sysClr"):
            return (c.get("lastClr") or "").upper() or None
        return colors.get(c.get("val"))
    return None


def _background(part_el, part, colors):
    """A master's or layout's background: a colour, a picture (Decor), or None (not set there)."""
    bg = part_el.find(f"{qn('p:cSld')}/{qn('p:bg')}")
    if bg is None:
        return None
    pr = bg.find(qn("p:bgPr"))
    if pr is not None:
        blip = pr.find(qn("a:blipFill"))
        if blip is not None:
            rid = blip.find(qn("a:blip")).get(qn("r:embed")) if blip.find(qn("a:blip")) is not None else None
            try:
                blob = part.related_part(rid).blob
            except KeyError:
                return None
            fmt = "png" if blob.startswith(b"\x89PNG") else "jpeg" if blob.startswith(b"\xff\xd8") else None
            return Decor(blob, fmt, 0.0, 0.0, 960.0, 540.0, mean=_mean_color(blob)) if fmt else None
    return _color(bg, colors)


def _pictures(part_el, part) -> list:
    tree = part_el.find(f"{qn('p:cSld')}/{qn('p:spTree')}")
    out = []
    for pic in tree.iter(qn("p:pic")) if tree is not None else ():
        d = picture_decor(pic, part)
        if d is not None:
            out.append(d)
    return out


def _frame(layout, master, ph_attrs) -> tuple[float, float, float, float] | None:
    """Where a layout's placeholder sits (its own frame, else the master's of that type), in points."""
    want_type, want_idx = ph_attrs.get("type"), ph_attrs.get("idx", "0")
    for part in (layout, master):
        for sp in part._element.iter(qn("p:sp")):
            ph = sp.find(f"{qn('p:nvSpPr')}/{qn('p:nvPr')}/{qn('p:ph')}")
            if ph is None:
                continue
            same = ph.get("type") == want_type and (part is master or ph.get("idx", "0") == want_idx)
            if part is master and want_type in (None, "obj"):
                same = ph.get("type") == "body"
            if part is master and want_type == "ctrTitle":
                same = ph.get("type") == "title"
            off = sp.find(f"{qn('p:spPr')}/{qn('a:xfrm')}/{qn('a:off')}")
            ext = sp.find(f"{qn('p:spPr')}/{qn('a:xfrm')}/{qn('a:ext')}")
            if same and off is not None and ext is not None:
                return tuple(int(v) / EMU_PER_PT for v in (off.get("x"), off.get("y"), ext.get("cx"), ext.get("cy")))
    return None


def read_template(path: Path, prs) -> Template:
    try:
        roles, phmap, notes = find_layouts(prs)
        colors, fonts = _scheme(prs)
    except TemplateError as e:
        raise TemplateError(f"{path.name} {e}") from None
    master = prs.slide_master
    master_bg = _background(master._element, master.part, colors) or colors.get("bg1")
    master_pics = _pictures(master._element, master.part)
    background, decor = {}, {}
    layouts = list(prs.slide_layouts)
    for role, i in roles.items():
        lay = layouts[i]
        background[role] = _background(lay._element, lay.part, colors) or master_bg or "FFFFFF"
        shows_master = lay._element.get("showMasterSp", "1") not in ("0", "false")
        decor[role] = tuple((master_pics if shows_master else []) + _pictures(lay._element, lay.part))
    content = layouts[roles["content"]]
    frames = {k: _frame(content, master, phmap["content"][k]) for k in ("title", "body")}
    return Template(path=path, layouts=roles, placeholders=phmap, notes=notes, colors=colors, fonts=fonts,
                    background=background, decor=decor, frames=frames)
