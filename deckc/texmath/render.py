"""TeX -> MathML (latex2mathml) -> glyph outlines laid out by ziamath in STIX Two Math.

ziamath implements the OpenType MATH table layout (the rules TeX and Word use: script sizes and
shifts, fraction and radical gaps, stretchy delimiters from glyph variants and assemblies, limits
on big operators) and draws with the glyphs of STIX Two Math (SIL OFL, shipped inside ziamath).
It writes SVG; we read its paths and rules back into a MathArt in em units, which the writers draw
at any size: vector paths in the PDF, a rasterised fallback picture in the PPTX. The MathML is
kept too: the PPTX writer turns it into Office Math (writers/omml.py), an HTML writer can use it as is.

A formula is laid out once per build process (cache below) at a reference size; layout is
linear in the size, so the fit loop's text scales only multiply.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from functools import lru_cache

from ..layout.plan import MathArt
from .subset import check_tex

REF = 100.0             # ziamath's size for the layout; outlines are divided by it (em units)
_MARGIN = 1.0           # ziamath's SVG adds 1 px around the formula
_NUM = re.compile(r"[MLQCZ]|-?\d+(?:\.\d+)?(?:e-?\d+)?")
_ARITY = {"M": 2, "L": 2, "Q": 4, "C": 6, "Z": 0}
_SVG = "{http://www.w3.org/2000/svg}"
_MML = "{http://www.w3.org/1998/Math/MathML}"


def to_mathml(tex: str, display: bool) -> str:
    import latex2mathml.converter

    return latex2mathml.converter.convert(tex, display="block" if display else "inline")


@lru_cache(maxsize=2048)
def math_art(tex: str, display: bool = True) -> MathArt:
    """The laid-out formula. Raises subset.TexError for TeX outside the documented subset."""
    check_tex(tex)
    import ziamath

    ziamath.config.svg2 = False          # plain <path>s with absolute coordinates, no <symbol>/<use>
    ziamath.config.precision = 3
    mathml = to_mathml(tex, display)
    svg = ET.fromstring(ziamath.Math(mathml, size=REF).svg())
    minx, miny, w, h = (float(v) for v in svg.get("viewBox").split())
    x0, top = minx + _MARGIN, miny + _MARGIN
    width, height = w - 2 * _MARGIN, h - 2 * _MARGIN
    glyphs, rects = [], []
    for el in svg.iter():
        if el.tag == f"{_SVG}path":
            glyphs.append(_outline(el.get("d"), x0))
        elif el.tag == f"{_SVG}rect":
            rects.append(tuple(round(v / REF, 5) for v in (float(el.get("x")) - x0, float(el.get("y")),
                                                           float(el.get("width")), float(el.get("height")))))
    ascent = -top / REF
    return MathArt(tex=tex, mathml=mathml, display=display, width=round(width / REF, 5), ascent=round(ascent, 5),
                   descent=round(height / REF - ascent, 5), glyphs=tuple(glyphs), rects=tuple(rects),
                   linear=linear_text(mathml))


def _outline(d: str, x0: float) -> tuple:
    ops, tokens, i = [], _NUM.findall(d), 0
    while i < len(tokens):
        op = tokens[i]
        n = _ARITY[op]
        nums = [float(t) for t in tokens[i + 1:i + 1 + n]]
        coords = tuple(round((v - x0 if k % 2 == 0 else v) / REF, 5) for k, v in enumerate(nums))
        ops.append((op, *coords))
        i += 1 + n
    return tuple(ops)


def linear_text(mathml: str) -> str:
    """The formula as one line of Unicode (x_t, a^2, (a)/(b), √(x)): the text searchers and
    viewers without Office Math see."""
    return _linear(ET.fromstring(mathml)).strip()


def _group(s: str) -> str:
    return s if len(s) <= 1 else f"({s})"


def _linear(el) -> str:
    tag = el.tag.replace(_MML, "")
    kids = list(el)
    if tag in ("mi", "mn", "mo", "mtext", "ms"):
        return (el.text or "").replace("\u00a0", " ").replace("\u2009", " ")
    if tag in ("msub", "munder") and len(kids) == 2:
        return _linear(kids[0]) + "_" + _group(_linear(kids[1]))
    if tag in ("msup", "mover") and len(kids) == 2:
        sup = _linear(kids[1])
        if tag == "mover" and el.get("accent") == "true":
            return _linear(kids[0]) + {"^": "\u0302", "\u02c6": "\u0302", "~": "\u0303", "\u02dc": "\u0303",
                                        "\u00af": "\u0304", "\u2192": "\u20d7", "\u02d9": "\u0307"}.get(sup, sup)
        return _linear(kids[0]) + "^" + _group(sup)
    if tag in ("msubsup", "munderover") and len(kids) == 3:
        return _linear(kids[0]) + "_" + _group(_linear(kids[1])) + "^" + _group(_linear(kids[2]))
    if tag == "mfrac" and len(kids) == 2:
        return _group(_linear(kids[0])) + "/" + _group(_linear(kids[1]))
    if tag == "msqrt":
        return "\u221a" + _group("".join(_linear(k) for k in kids))
    if tag == "mroot" and len(kids) == 2:
        return "\u221a[" + _linear(kids[1]) + "]" + _group(_linear(kids[0]))
    if tag == "mtable":
        return "[" + "; ".join(", ".join(_linear(c) for c in row) for row in kids) + "]"
    if tag == "mspace":
        return " "
    return "".join(_linear(k) for k in kids)
