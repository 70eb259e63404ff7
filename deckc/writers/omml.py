"""MathML (from latex2mathml) -> Office Math (OMML), the markup PowerPoint's equation editor edits.

The mapping follows what Word and PowerPoint themselves write (and what pandoc's texmath emits):
mfrac -> m:f, msub/msup/msubsup -> m:sSub/m:sSup/m:sSubSup, msqrt/mroot -> m:rad, a big operator
with limits -> m:nary (its operand is the element after it), munder/mover -> m:limLow/m:limUpp or
an accent (m:acc), a stretchy fenced mrow -> m:d, mtable -> m:m (inside m:d for pmatrix, cases).
Runs carry DrawingML run properties (size, colour, Cambria Math) as PowerPoint saves them.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET

from .ooxml import alternate, attr, c_nv_pr, centipoints, prst, solid, text, xfrm

M_NS = "http://schemas.openxmlformats.org/officeDocument/2006/math"
_MML = "{http://www.w3.org/1998/Math/MathML}"
NARY = frozenset("\u2211\u220f\u2210\u222b\u222c\u222d\u222e\u22c3\u22c2\u2a01\u2a02\u22c1\u22c0")
OPEN, CLOSE = "([{\u27e8\u230a\u2308|\u2016", ")]}\u27e9\u230b\u2309|\u2016"
MATH_FONT = "Cambria Math"


class _Writer:
    def __init__(self, size: float, color: str):
        self.rpr = (f'<a:rPr lang="en-US" sz="{centipoints(size)}" b="0">{solid(color)}'
                    f'<a:latin typeface="{MATH_FONT}"/><a:cs typeface="{MATH_FONT}"/></a:rPr>')

    def run(self, s: str, plain: bool = False, bold: bool = False) -> str:
        if not s:
            return ""
        sty = "b" if bold else ("p" if plain else "")
        mrpr = f'<m:rPr><m:sty m:val="{sty}"/></m:rPr>' if sty else ""
        return f"<m:r>{mrpr}{self.rpr}<m:t>{text(s)}</m:t></m:r>"

    def ctrl(self) -> str:
        return f"<m:ctrlPr>{self.rpr}</m:ctrlPr>"

    def e(self, tag: str, inner: str) -> str:
        return f"<m:{tag}>{inner}</m:{tag}>"

    # -- elements --
    def node(self, el) -> str:
        tag = el.tag.replace(_MML, "")
        kids = list(el)
        fn = getattr(self, "m_" + tag, None)
        if fn is not None:
            return fn(el, kids)
        return self.seq(kids)                  # math, mrow, mstyle, mpadded, mphantom, mtd...

    def seq(self, kids) -> str:
        out, i = [], 0
        while i < len(kids):
            k = kids[i]
            base = _base_op(k)
            if base is not None and base in NARY:        # ∑ with its limits takes the next element as operand
                operand = self.node(kids[i + 1]) if i + 1 < len(kids) else ""
                out.append(self.nary(k, base, operand))
                i += 2
                continue
            if i + 2 < len(kids) and kids[i + 1].tag == f"{_MML}mtable" and _fence(k, OPEN) is not None \
                    and _fence(kids[i + 2], CLOSE) is not None:       # pmatrix: ( mtable ) as siblings
                out.append(self.delimited(_fence(k, OPEN), _fence(kids[i + 2], CLOSE), self.node(kids[i + 1])))
                i += 3
                continue
            if _upright(k):                              # \mathrm{softmax}: one run, not seven
                j = i
                while j < len(kids) and _upright(kids[j]):
                    j += 1
                out.append(self.run("".join(x.text or "" for x in kids[i:j]), plain=True))
                i = j
                continue
            out.append(self.node(k))
            i += 1
        return "".join(out)

    def m_mrow(self, el, kids) -> str:
        if len(kids) >= 2 and _fence(kids[0], OPEN) is not None and _fence(kids[-1], CLOSE) is not None \
                and (kids[0].get("fence") == "true" or any(k.tag == f"{_MML}mtable" for k in kids)):
            return self.delimited(_fence(kids[0], OPEN), _fence(kids[-1], CLOSE), self.seq(kids[1:-1]))
        if len(kids) >= 2 and _fence(kids[0], OPEN) is not None and kids[0].get("fence") == "true" \
                and any(k.tag == f"{_MML}mtable" for k in kids):       # cases: an opening brace only
            return self.delimited(_fence(kids[0], OPEN), "", self.seq(kids[1:]))
        return self.seq(kids)

    def delimited(self, beg: str, end: str, inner: str) -> str:
        return (f'<m:d><m:dPr><m:begChr m:val="{attr(beg)}"/><m:endChr m:val="{attr(end)}"/>{self.ctrl()}'
                f'</m:dPr><m:e>{inner}</m:e></m:d>')

    def m_mi(self, el, kids) -> str:
        s = el.text or ""
        variant = el.get("mathvariant", "")
        return self.run(s, plain=(variant == "normal" or len(s) > 1), bold=variant.startswith("bold"))

    def m_mn(self, el, kids) -> str:
        return self.run(el.text or "", plain=True)

    def m_mo(self, el, kids) -> str:
        return self.run(el.text or "", plain=True)

    def m_mtext(self, el, kids) -> str:
        s = (el.text or "").replace("\u00a0", " ")
        return f'<m:r><m:rPr><m:nor/></m:rPr>{self.rpr}<m:t xml:space="preserve">{text(s)}</m:t></m:r>' if s else ""

    def m_mspace(self, el, kids) -> str:
        return self.run("\u2009", plain=True)

    def m_mfrac(self, el, kids) -> str:
        kind = '<m:type m:val="noBar"/>' if el.get("linethickness") == "0" else ""
        return (f"<m:f><m:fPr>{kind}{self.ctrl()}</m:fPr>{self.e('num', self.node(kids[0]))}"
                f"{self.e('den', self.node(kids[1]))}</m:f>")

    def m_msqrt(self, el, kids) -> str:
        return (f'<m:rad><m:radPr><m:degHide m:val="1"/>{self.ctrl()}</m:radPr><m:deg/>'
                f"{self.e('e', self.seq(kids))}</m:rad>")

    def m_mroot(self, el, kids) -> str:
        return (f"<m:rad><m:radPr>{self.ctrl()}</m:radPr>{self.e('deg', self.node(kids[1]))}"
                f"{self.e('e', self.node(kids[0]))}</m:rad>")

    def m_msub(self, el, kids) -> str:
        return (f"<m:sSub><m:sSubPr>{self.ctrl()}</m:sSubPr>{self.e('e', self.node(kids[0]))}"
                f"{self.e('sub', self.node(kids[1]))}</m:sSub>")

    def m_msup(self, el, kids) -> str:
        return (f"<m:sSup><m:sSupPr>{self.ctrl()}</m:sSupPr>{self.e('e', self.node(kids[0]))}"
                f"{self.e('sup', self.node(kids[1]))}</m:sSup>")

    def m_msubsup(self, el, kids) -> str:
        return (f"<m:sSubSup><m:sSubSupPr>{self.ctrl()}</m:sSubSupPr>{self.e('e', self.node(kids[0]))}"
                f"{self.e('sub', self.node(kids[1]))}{self.e('sup', self.node(kids[2]))}</m:sSubSup>")

    def m_munder(self, el, kids) -> str:
        if el.get("accentunder") == "true" and _op_text(kids[1]):
            return self._groupchr(kids[0], _op_text(kids[1]), "bot")
        return (f"<m:limLow><m:limLowPr>{self.ctrl()}</m:limLowPr>{self.e('e', self.node(kids[0]))}"
                f"{self.e('lim', self.node(kids[1]))}</m:limLow>")

    def m_mover(self, el, kids) -> str:
        mark = _op_text(kids[1])
        if el.get("accent") == "true" and mark:
            return (f'<m:acc><m:accPr><m:chr m:val="{attr(_ACCENT.get(mark, mark))}"/>{self.ctrl()}</m:accPr>'
                    f"{self.e('e', self.node(kids[0]))}</m:acc>")
        if mark in ("\u00af", "\u203e", "\u2015", "\u0305"):           # \overline
            return (f'<m:bar><m:barPr><m:pos m:val="top"/>{self.ctrl()}</m:barPr>'
                    f"{self.e('e', self.node(kids[0]))}</m:bar>")
        if mark in ("\u23de", "\u2192", "\u20d7"):                       # \overbrace, \vec
            if mark == "\u23de":
                return self._groupchr(kids[0], mark, "top")
            return (f'<m:acc><m:accPr><m:chr m:val="\u20d7"/>{self.ctrl()}</m:accPr>'
                    f"{self.e('e', self.node(kids[0]))}</m:acc>")
        return (f"<m:limUpp><m:limUppPr>{self.ctrl()}</m:limUppPr>{self.e('e', self.node(kids[0]))}"
                f"{self.e('lim', self.node(kids[1]))}</m:limUpp>")

    def m_munderover(self, el, kids) -> str:
        return (f"<m:limUpp><m:limUppPr>{self.ctrl()}</m:limUppPr><m:e><m:limLow><m:limLowPr>{self.ctrl()}"
                f"</m:limLowPr>{self.e('e', self.node(kids[0]))}{self.e('lim', self.node(kids[1]))}</m:limLow></m:e>"
                f"{self.e('lim', self.node(kids[2]))}</m:limUpp>")

    def _groupchr(self, base, mark: str, pos: str) -> str:
        vert = "bot" if pos == "top" else "top"
        return (f'<m:groupChr><m:groupChrPr><m:chr m:val="{attr(mark)}"/><m:pos m:val="{pos}"/>'
                f'<m:vertJc m:val="{vert}"/>{self.ctrl()}</m:groupChrPr>{self.e("e", self.node(base))}</m:groupChr>')

    def m_mtable(self, el, kids) -> str:
        ncol = max((len(list(r)) for r in kids), default=1)
        rows = "".join("<m:mr>" + "".join(self.e("e", self.node(c)) for c in list(r)) +
                       "<m:e/>" * (ncol - len(list(r))) + "</m:mr>" for r in kids)
        left = any(c.get("columnalign") == "left" for r in kids for c in r)
        jc = '<m:mcJc m:val="left"/>' if left else '<m:mcJc m:val="center"/>'
        return (f'<m:m><m:mPr><m:mcs><m:mc><m:mcPr><m:count m:val="{ncol}"/>{jc}</m:mcPr></m:mc></m:mcs>'
                f'{self.ctrl()}</m:mPr>{rows}</m:m>')

    def nary(self, el, op: str, operand: str) -> str:
        tag = el.tag.replace(_MML, "")
        kids = list(el)
        sub = self.node(kids[1]) if tag in ("msub", "munder", "msubsup", "munderover") and len(kids) > 1 else ""
        sup = self.node(kids[-1]) if tag in ("msup", "mover", "msubsup", "munderover") and len(kids) > 1 else ""
        loc = "subSup" if op in "\u222b\u222c\u222d\u222e" else "undOvr"
        hide = ('<m:subHide m:val="1"/>' if not sub else "") + ('<m:supHide m:val="1"/>' if not sup else "")
        return (f'<m:nary><m:naryPr><m:chr m:val="{attr(op)}"/><m:limLoc m:val="{loc}"/>{hide}{self.ctrl()}'
                f"</m:naryPr>{self.e('sub', sub)}{self.e('sup', sup)}{self.e('e', operand)}</m:nary>")


_ACCENT = {"^": "\u0302", "\u02c6": "\u0302", "~": "\u0303", "\u02dc": "\u0303", "\u00af": "\u0304",
           "\u02d9": "\u0307", "\u00a8": "\u0308", "\u2192": "\u20d7", "\u005e": "\u0302"}


def _upright(el) -> bool:
    return el.tag == f"{_MML}mi" and el.get("mathvariant") == "normal"


def _op_text(el) -> str:
    return (el.text or "") if el.tag in (f"{_MML}mo", f"{_MML}mi") else ""


def _fence(el, chars: str) -> str | None:
    if el.tag != f"{_MML}mo":
        return None
    t = (el.text or "").strip()
    return t if t and t in chars else None


def _base_op(el) -> str | None:
    """The operator of ∑_{i}^{n} written as msub/msup/msubsup/munder/mover/munderover, or a bare ∑."""
    tag = el.tag.replace(_MML, "")
    if tag == "mo":
        return (el.text or "").strip()
    if tag in ("msub", "msup", "msubsup", "munder", "mover", "munderover"):
        base = list(el)[0]
        if base.tag == f"{_MML}mo":
            return (base.text or "").strip()
    return None


def omml(mathml: str, size: float, color: str) -> str:
    """One m:oMath for the formula (the caller wraps it: a14:m, and m:oMathPara for display math)."""
    root = ET.fromstring(mathml)
    return f"<m:oMath>{_Writer(size, color).node(root)}</m:oMath>"


def math_box(el, shape_id: int, picture_rid: str) -> str:
    """A display formula as PowerPoint saves an equation: a text box holding the m:oMathPara
    (mc:Choice), and for viewers without Office Math the same box filled with deckc's picture of
    the formula (mc:Fallback, a blipFill as PowerPoint writes it)."""
    geom = xfrm(el.x, el.y, el.w, el.h)
    nv = f'<p:nvSpPr>{c_nv_pr(shape_id, el.name, el.alt)}<p:cNvSpPr txBox="1"/><p:nvPr/></p:nvSpPr>'
    para = (f'<a:p><a:pPr algn="ctr"/><a14:m><m:oMathPara><m:oMathParaPr><m:jc m:val="centerGroup"/>'
            f'</m:oMathParaPr>{omml(el.art.mathml, el.size, el.color)}</m:oMathPara></a14:m></a:p>')
    body = ('<a:bodyPr wrap="none" lIns="0" tIns="0" rIns="0" bIns="0" anchor="ctr"><a:noAutofit/></a:bodyPr>'
            '<a:lstStyle/>')
    choice = (f'<p:sp>{nv}<p:spPr>{geom}{prst("rect")}<a:noFill/></p:spPr>'
              f'<p:txBody>{body}{para}</p:txBody></p:sp>')
    fallback = (f'<p:sp>{nv}<p:spPr>{geom}{prst("rect")}<a:blipFill><a:blip r:embed="{picture_rid}"/>'
                f'<a:stretch><a:fillRect/></a:stretch></a:blipFill></p:spPr>'
                f'<p:txBody>{body}<a:p><a:endParaRPr lang="en-US"/></a:p></p:txBody></p:sp>')
    return alternate(choice, fallback)


def fallback_runs(mathml: str, size: float, color: str) -> list[str]:
    """An inline formula as plain DrawingML runs, for viewers without Office Math: its characters
    in Cambria Math, letters italic, scripts raised or lowered (a:rPr baseline), fractions as a/b."""
    pieces: list[tuple[str, bool, int]] = []         # (text, italic, baseline in 1/1000 %)

    def walk(el, shift: int) -> None:
        tag = el.tag.replace(_MML, "")
        kids = list(el)
        if tag in ("mi", "mn", "mo", "mtext"):
            s = (el.text or "").replace("\u00a0", " ").replace("\u2009", " ")
            italic = tag == "mi" and len(s) == 1 and el.get("mathvariant") not in ("normal", "bold")
            pieces.append((s, italic, shift))
        elif tag in ("msub", "msup", "msubsup", "munder", "mover", "munderover") and len(kids) >= 2:
            walk(kids[0], shift)
            if tag in ("mover",) and el.get("accent") == "true":
                return
            subs = {"msub": [(-25000, 1)], "munder": [(-25000, 1)], "msup": [(30000, 1)], "mover": [(30000, 1)],
                    "msubsup": [(-25000, 1), (30000, 2)], "munderover": [(-25000, 1), (30000, 2)]}[tag]
            for offset, k in subs:
                if k < len(kids):
                    walk(kids[k], offset)
        elif tag == "mfrac" and len(kids) == 2:
            for k, part in enumerate(kids):
                grouped = len(list(part.iter())) > 2
                pieces.append(("(" if grouped else "", False, shift))
                walk(part, shift)
                pieces.append((")" if grouped else "", False, shift))
                if k == 0:
                    pieces.append(("/", False, shift))
        elif tag in ("msqrt", "mroot"):
            pieces.append(("\u221a(", False, shift))
            walk(kids[0], shift) if tag == "mroot" else [walk(k, shift) for k in kids]
            pieces.append((")", False, shift))
        else:
            for k in kids:
                walk(k, shift)

    walk(ET.fromstring(mathml), 0)
    out = []
    for s, italic, shift in pieces:
        if not s:
            continue
        base = f' baseline="{shift}"' if shift else ""
        out.append(f'<a:r><a:rPr lang="en-US" sz="{centipoints(size)}" b="0" i="{int(italic)}"{base}>'
                   f'{solid(color)}<a:latin typeface="{MATH_FONT}"/><a:cs typeface="{MATH_FONT}"/></a:rPr>'
                   f'<a:t>{text(s)}</a:t></a:r>')
    return out
