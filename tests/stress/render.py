"""What a person sees: the decks rendered to pixels and to positioned words, next to the layout plan.

Helpers for tests/test_visual.py and tests/test_stress.py (this module has no tests of its own).
Units are points, origin top-left, like the plan. Poppler (pdftotext, pdftoppm, pdffonts) reads the
PDFs; LibreOffice renders the PPTX (see conftest.libreoffice_pdf).
"""
from __future__ import annotations

import html
import re
import subprocess
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from deckc.layout.plan import Arrow, ChartBox, MathBox, SlidePlan, TableBox, TextBox

STRESS_SPEC = Path(__file__).resolve().parent / "lesson" / "stress.yaml"


@dataclass(frozen=True)
class Word:
    text: str
    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def cx(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def cy(self) -> float:
        return (self.y0 + self.y1) / 2


@dataclass(frozen=True)
class Rect:
    name: str
    x0: float
    y0: float
    x1: float
    y1: float

    def holds(self, w: Word, tol: float) -> bool:
        return (w.x0 >= self.x0 - tol and w.x1 <= self.x1 + tol and w.y0 >= self.y0 - tol
                and w.y1 <= self.y1 + tol)


# ---- poppler ----------------------------------------------------------------------------------

_PAGE = re.compile(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', re.S)
_WORD = re.compile(r'<word xMin="([\d.-]+)" yMin="([\d.-]+)" xMax="([\d.-]+)" yMax="([\d.-]+)">(.*?)</word>', re.S)


def pdf_words(pdf: Path) -> list[list[Word]]:
    """Every page's words with their boxes (pdftotext -bbox-layout)."""
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", "-bbox-layout", str(pdf), "-"], capture_output=True,
                         check=True).stdout.decode("utf-8", "replace")
    return [[Word(html.unescape(m.group(5)), *(float(m.group(i)) for i in range(1, 5)))
             for m in _WORD.finditer(page.group(3))] for page in _PAGE.finditer(out)]


def pdf_fonts(pdf: Path) -> list[dict]:
    """pdffonts rows: name (subset tag removed), emb and uni flags."""
    out = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    rows = []
    for line in out.splitlines()[2:]:
        if line.strip():
            cols = line.split()
            rows.append({"name": cols[0].split("+")[-1], "emb": cols[-5], "uni": cols[-3]})
    return rows


def page_count(pdf: Path) -> int:
    out = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", out, re.M).group(1))


def rasterise(pdf: Path, outdir: Path, dpi: int) -> list:
    """Every page as an RGB numpy array (pdftoppm)."""
    import numpy as np
    from PIL import Image

    outdir.mkdir(parents=True, exist_ok=True)
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", str(pdf), str(outdir / "page")], check=True)
    return [np.asarray(Image.open(p).convert("RGB")) for p in sorted(outdir.glob("page-*.png"))]


# ---- the plan, as rectangles --------------------------------------------------------------------

def element_rect(el) -> Rect:
    """Where an element may put ink: its frame; an arrow's line, head and bow."""
    if isinstance(el, Arrow):
        head = 4 * el.width
        x0, x1 = sorted((el.x, el.x + el.w))
        y0, y1 = sorted((el.y, el.y + el.h))
        return Rect(el.name, x0 - head, y0 - el.bow - head, x1 + head, y1 + head)
    return Rect(el.name, el.x, el.y, el.x + el.w, el.y + el.h)


def text_rects(slide: SlidePlan) -> list[Rect]:
    """The boxes text may be drawn in: text boxes, table cells, charts (their labels)."""
    out = []
    for el in slide.elements:
        if isinstance(el, TextBox | ChartBox | MathBox):
            out.append(element_rect(el))
        elif isinstance(el, TableBox):
            y = el.y
            for r, rh in enumerate(el.row_heights):
                x = el.x
                for c, cw in enumerate(el.col_widths):
                    out.append(Rect(f"{el.name}[{r},{c}]", x, y, x + cw, y + rh))
                    x += cw
                y += rh
    return out


def chart_rects(slide: SlidePlan) -> list[Rect]:
    """Boxes whose text is not the plan's runs: charts (their labels) and display formulas (glyph
    outlines with the TeX as invisible text in deckc's PDF, a picture in LibreOffice's render)."""
    return [element_rect(el) for el in slide.elements if isinstance(el, ChartBox | MathBox)]


def outside_charts(words: list[Word], slide: SlidePlan) -> list[Word]:
    charts = chart_rects(slide)
    return [w for w in words if not any(r.holds(w, 0.0) for r in charts)]


def plan_text(slide: SlidePlan) -> str:
    """Every character the PDF draws for the slide's text (bullets included), charts excepted."""
    parts = []
    for el in slide.elements:
        paras = list(getattr(el, "paras", ()))
        if isinstance(el, TableBox):
            paras = [p for row in el.cells for cell in row for p in cell.paras]
        for p in paras:
            if p.bullet:
                parts.append(p.bullet)
            parts += [r.text for line in p.lines for r in line]
    return "".join(parts)


def chars(text: str) -> str:
    """Text compared as a person reads it: compatibility forms folded (Arabic presentation forms,
    the ellipsis), no white space, no invisible characters (variation selectors, ZWJ), sorted."""
    text = unicodedata.normalize("NFKC", text)
    return "".join(sorted(c for c in text if not c.isspace() and unicodedata.category(c) not in ("Cf", "Mn")
                          and not 0xFE00 <= ord(c) <= 0xFE0F))


def ink_outside(img, slide: SlidePlan, width: float, dpi: int, tol: float):
    """Pixels that are not background and lie outside every element's rectangle (grown by tol
    points). Returns (count, bounding box in points or None)."""
    import numpy as np

    k = dpi / 72.0
    bg = np.array([int(slide.background[i:i + 2], 16) for i in (0, 2, 4)])
    ink = np.abs(img.astype(int) - bg).max(axis=2) > 40
    allowed = np.zeros(ink.shape, bool)
    h, w = ink.shape
    for el in slide.elements:
        r = element_rect(el)
        x0, y0 = max(int((r.x0 - tol) * k), 0), max(int((r.y0 - tol) * k), 0)
        x1, y1 = min(int((r.x1 + tol) * k) + 1, w), min(int((r.y1 + tol) * k) + 1, h)
        allowed[y0:y1, x0:x1] = True
    stray = ink & ~allowed
    n = int(stray.sum())
    if not n:
        return 0, None
    ys, xs = np.nonzero(stray)
    return n, (xs.min() / k, ys.min() / k, (xs.max() + 1) / k, (ys.max() + 1) / k)


__all__ = ["Word", "Rect", "pdf_words", "pdf_fonts", "page_count", "rasterise", "element_rect", "text_rects",
           "chart_rects", "outside_charts", "plan_text", "chars", "ink_outside", "STRESS_SPEC"]
