"""The OOXML primitives every DrawingML-writing module shares: namespaces, units, escaping, and
the small pieces (xfrm, fills, lines, names, preset geometry, mc:AlternateContent).

drawingml.py (shapes) and omml.py (equations) both build on these; neither imports the other's
primitives, so the two stay free of an import cycle.
"""
from __future__ import annotations

import re

NSDECLS = ('xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
           'xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main" '
           'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" '
           'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
           'xmlns:a14="http://schemas.microsoft.com/office/drawing/2010/main" '
           'xmlns:m="http://schemas.openxmlformats.org/officeDocument/2006/math"')
EMU_PER_PT = 12700


def emu(pt: float) -> int:
    return int(round(pt * EMU_PER_PT))


def centipoints(pt: float) -> int:
    return int(round(pt * 100))


# -- escaping -----------------------------------------------------------------------------------

# XML 1.0 has no C0 controls but tab, LF and CR. In text, python-pptx writes them as "_xHHHH_"
# (what PowerPoint reads back as the character); in attributes they are dropped. A raw CR in text
# would be read back as LF (XML end-of-line handling), so it is escaped the same way.
_CTRL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_TEXT_ESC = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "_x000D_"})
_ATTR_ESC = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;",
                           "\n": "&#10;", "\r": "&#13;", "\t": "&#9;"})


def text(s: str) -> str:
    s = s.translate(_TEXT_ESC)
    return _CTRL.sub(lambda m: f"_x{ord(m.group()):04X}_", s) if _CTRL.search(s) else s


def attr(s: str) -> str:
    s = s.translate(_ATTR_ESC)
    return _CTRL.sub("", s) if _CTRL.search(s) else s


# -- pieces -------------------------------------------------------------------------------------

def xfrm(x: float, y: float, w: float, h: float, tag: str = "a:xfrm", extra: str = "") -> str:
    return (f'<{tag}{extra}><a:off x="{emu(x)}" y="{emu(y)}"/>'
            f'<a:ext cx="{emu(w)}" cy="{emu(h)}"/></{tag}>')


def solid(color: str) -> str:
    return f'<a:solidFill><a:srgbClr val="{color}"/></a:solidFill>'


def line(color: str | None, width_pt: float = 1.0, head: bool = False) -> str:
    if not color:
        return "<a:ln><a:noFill/></a:ln>"
    tail = '<a:tailEnd type="triangle" w="med" len="med"/>' if head else ""
    return f'<a:ln w="{emu(width_pt)}">{solid(color)}{tail}</a:ln>'


DECORATIVE_URI = "{C183D7F6-B498-43B3-948B-1728B52AA6E4}"


def c_nv_pr(shape_id: int, name: str, descr: str | None = None, decorative: bool = False) -> str:
    """A shape's id, name and alt text (descr; None: no descr: a text box's text speaks for itself).
    `decorative`: Office's "Mark as decorative" (the a16 decorative extension, as PowerPoint 365
    writes it, with an empty descr): screen readers and the accessibility checker skip the shape."""
    if decorative:
        return (f'<p:cNvPr id="{shape_id}" name="{attr(name)}" descr=""><a:extLst><a:ext uri="{DECORATIVE_URI}">'
                f'<adec:decorative xmlns:adec="http://schemas.microsoft.com/office/drawing/2017/decorative" val="1"/>'
                f'</a:ext></a:extLst></p:cNvPr>')
    d = f' descr="{attr(descr)}"' if descr is not None else ""
    return f'<p:cNvPr id="{shape_id}" name="{attr(name)}"{d}/>'


def prst(kind: str, adj: float | None = None) -> str:
    av = f'<a:avLst><a:gd name="adj" fmla="val {int(round(adj * 100000))}"/></a:avLst>' if adj is not None else "<a:avLst/>"
    return f'<a:prstGeom prst="{kind}">{av}</a:prstGeom>'


# PowerPoint saves equations under Requires="a14" (a14:m is Office 2010's element). LibreOffice 7
# claims a14 too, takes that choice and drops a14:m: the formula vanishes. Also requiring a16 (the
# Office 2016 drawing namespace, which PowerPoint 2016 and later write themselves) keeps current
# PowerPoint on the Office Math and sends LibreOffice (and Office 2010/2013) to the fallback.
MATH_REQUIRES = 'xmlns:a16="http://schemas.microsoft.com/office/drawing/2014/main" Requires="a14 a16"'


def alternate(choice: str, fallback: str) -> str:
    """Office Math wrapped as PowerPoint saves it (mc:AlternateContent): viewers with Office Math
    take the choice, the others the fallback (see MATH_REQUIRES)."""
    return (f'<mc:AlternateContent><mc:Choice {MATH_REQUIRES}>{choice}</mc:Choice>'
            f'<mc:Fallback>{fallback}</mc:Fallback></mc:AlternateContent>')
