"""Colour emoji in the PDF, drawn as vector from a COLRv1 colour font's layers.

reportlab cannot draw colour fonts, so the glyph is painted instead: blackrenderer (a maintained
COLRv1 renderer) walks the glyph's paint graph (layers, solid fills, linear and radial gradients,
transforms, clips) and calls a small drawing interface; :func:`_classes`' Recorder implements it by
recording the calls, and :func:`paint` replays them on a reportlab canvas as PDF operators
(paths, clips, shadings). Each glyph is drawn once per PDF as a Form XObject and placed wherever
it is used, so a document carries only the glyphs it needs.

The font is Noto Color Emoji's COLRv1 build without flags (OFL, shipped); a sequence it has no
glyph for (flags, emoji newer than the font) is drawn in the monochrome Noto Emoji, as before, and
the layout warns (:func:`colour_glyph` returns None). Reading a glyph's paint graph costs ~0.4 s
the first time, so the recording is kept between builds in the font cache
(``~/.cache/deckc/emoji``; DECKC_CACHE_DIR as for the HTML fonts).

Known approximations: gradient stops with transparency are drawn with one alpha for the whole
gradient; the few PaintComposite blend modes other than "over" are drawn as "over".
"""
from __future__ import annotations

import hashlib
import json
import os
import threading
from functools import lru_cache
from pathlib import Path

from .files import FONT_DIR

COLOR_FONT = FONT_DIR / "Noto-COLRv1-noflags.ttf"
FORMAT = 1                  # bump when the recording changes: the cache is keyed by it
_lock = threading.Lock()


@lru_cache(maxsize=1)
def _font():
    from blackrenderer.font import BlackRendererFont

    return BlackRendererFont(str(COLOR_FONT))


@lru_cache(maxsize=1)
def _digest() -> str:
    h = hashlib.sha256()
    with open(COLOR_FONT, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()[:16]


def _cache_dir() -> Path | None:
    env = os.environ.get("DECKC_CACHE_DIR", "").strip()
    if env.lower() == "off":
        return None
    if env:
        return Path(env) / "emoji"
    base = os.environ.get("XDG_CACHE_HOME", "").strip() or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "deckc" / "emoji"


def has_colour_font() -> bool:
    return COLOR_FONT.is_file()


@lru_cache(maxsize=4096)
def colour_glyph(text: str) -> int | None:
    """The colour font's glyph id for one emoji cluster (a character, or a sequence it draws as one
    glyph: ZWJ sequences, keycaps, skin tones), or None when it has no colour glyph for it."""
    if not has_colour_font():
        return None
    from .shaping import _hb, _shape

    glyphs = [g for g, _, adv, *_ in _shape(COLOR_FONT, text, False) if adv > 0]
    if len(glyphs) != 1 or glyphs[0] == 0:
        return None
    hb, font, _ = _hb(COLOR_FONT)
    face = font.face
    has = face.glyph_has_color_paint(glyphs[0]) if hasattr(face, "glyph_has_color_paint") else \
        hb.ot_color_glyph_has_paint(face, glyphs[0])
    return glyphs[0] if has else None


@lru_cache(maxsize=1)
def _tt():
    from fontTools.ttLib import TTFont

    return TTFont(str(COLOR_FONT), lazy=True)


def _glyph_name(gid: int) -> str:
    order = _tt().getGlyphOrder()
    return order[gid] if 0 <= gid < len(order) else ""


def advance(gid: int) -> float:
    """A glyph's advance in em (HarfBuzz reads it: no fontTools on a build whose glyphs are cached)."""
    from .shaping import _hb

    hb, font, upem = _hb(COLOR_FONT)
    return font.get_glyph_h_advance(gid) / upem


@lru_cache(maxsize=512)
def recording(gid: int) -> dict:
    """The glyph's paint as recorded drawing calls, and its bounds (font units, y up)."""
    folder = _cache_dir()
    key = f"{_digest()}-{FORMAT}-{gid}.json"
    if folder is not None:
        try:
            return json.loads((folder / key).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            pass
    with _lock:
        font = _font()
        name = _glyph_name(gid)
        rec = _classes()[1]()
        font.drawGlyph(name, rec)
        out = {"bounds": [round(v, 2) for v in font.getGlyphBounds(name)], "ops": rec.ops}
    if folder is not None:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            tmp = folder / f".{key}.{os.getpid()}"
            tmp.write_text(json.dumps(out, separators=(",", ":")), encoding="utf-8")
            os.replace(tmp, folder / key)
        except OSError:
            pass            # a read-only home: no cache, same drawing
    return out


@lru_cache(maxsize=1)
def _classes():
    """The pen and the recording canvas (blackrenderer and fontTools are imported when a PDF first
    draws a colour emoji)."""
    from contextlib import contextmanager

    from blackrenderer.backends.base import Canvas
    from fontTools.pens.basePen import BasePen

    class Pen(BasePen):
        """A fontTools pen collecting M/L/C/Q/Z (BasePen splits a run of quadratic points)."""

        def __init__(self):
            super().__init__(None)
            self.ops = []

        def _moveTo(self, pt):
            self.ops.append(["M", *_r(pt)])

        def _lineTo(self, pt):
            self.ops.append(["L", *_r(pt)])

        def _curveToOne(self, p1, p2, p3):
            self.ops.append(["C", *_r(p1), *_r(p2), *_r(p3)])

        def _qCurveToOne(self, p1, p2):
            self.ops.append(["Q", *_r(p1), *_r(p2)])

        def _closePath(self):
            self.ops.append(["Z"])

        def _endPath(self):
            pass

    def tr(t):
        return [round(v, 5) for v in t]

    class Recorder(Canvas):
        """blackrenderer's drawing interface, each call recorded as a list (replayed by paint())."""

        def __init__(self):
            self.ops = []

        def newPath(self):
            return Pen()

        @contextmanager
        def savedState(self):
            self.ops.append(["q"])
            try:
                yield
            finally:
                self.ops.append(["Q"])

        @contextmanager
        def compositeMode(self, compositeMode):
            yield           # drawn as "over" (see the module docstring)

        def transform(self, t):
            self.ops.append(["cm", *tr(t)])

        def clipPath(self, path):
            self.ops.append(["clip", path.ops])

        def drawPathSolid(self, path, color):
            self.ops.append(["fill", path.ops if path else None, [round(c, 4) for c in color]])

        def drawPathLinearGradient(self, path, colorLine, pt1, pt2, extendMode, gradientTransform):
            self.ops.append(["lin", path.ops if path else None, _stops(colorLine), _r(pt1), _r(pt2),
                             tr(gradientTransform)])

        def drawPathRadialGradient(self, path, colorLine, startCenter, startRadius, endCenter, endRadius,
                                   extendMode, gradientTransform):
            self.ops.append(["rad", path.ops if path else None, _stops(colorLine), _r(startCenter),
                             round(startRadius, 2), _r(endCenter), round(endRadius, 2), tr(gradientTransform)])

        def drawPathSweepGradient(self, path, colorLine, center, startAngle, endAngle, extendMode,
                                  gradientTransform):
            # Noto's COLRv1 build has none; drawn in its middle colour rather than not at all
            mid = colorLine[len(colorLine) // 2][1]
            self.ops.append(["fill", path.ops if path else None, [round(c, 4) for c in mid]])

    return Pen, Recorder


def _r(pt):
    return [round(pt[0], 2), round(pt[1], 2)]


def _stops(color_line):
    return [[round(stop, 4), [round(c, 4) for c in color]] for stop, color in color_line]


# -- replaying on a reportlab canvas ---------------------------------------------------------------
# A recording is compiled once per glyph into PDF operators (paths, colours, clips: literal text)
# and the few steps that need reportlab's bookkeeping (q/Q, transparency, shadings, which are
# document resources): a glyph is then painted with a handful of calls, not one per path segment.

def _num(v: float) -> str:
    text = f"{v:.3f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _path_ops(ops, bounds) -> str:
    if ops is None:                     # an unbounded paint: the glyph's box (the clip bounds it)
        x0, y0, x1, y1 = bounds
        return f"{_num(x0)} {_num(y0)} {_num(x1 - x0)} {_num(y1 - y0)} re"
    out, cur = [], (0.0, 0.0)
    for op in ops:
        k = op[0]
        if k == "M":
            cur = op[1:3]
            out.append(f"{_num(op[1])} {_num(op[2])} m")
        elif k == "L":
            cur = op[1:3]
            out.append(f"{_num(op[1])} {_num(op[2])} l")
        elif k == "C":
            out.append(" ".join(_num(v) for v in op[1:7]) + " c")
            cur = op[5:7]
        elif k == "Q":                  # quadratic -> the equivalent cubic
            (x0, y0), (qx, qy), (x1, y1) = cur, op[1:3], op[3:5]
            pts = (x0 + 2 / 3 * (qx - x0), y0 + 2 / 3 * (qy - y0), x1 + 2 / 3 * (qx - x1), y1 + 2 / 3 * (qy - y1),
                   x1, y1)
            out.append(" ".join(_num(v) for v in pts) + " c")
            cur = (x1, y1)
        elif k == "Z":
            out.append("h")
    return " ".join(out)


@lru_cache(maxsize=512)
def _compiled(gid: int) -> tuple:
    """The glyph's drawing as steps: str (PDF operators), "q", "Q", ("alpha", a), ("lin" | "rad", stops,
    coordinates)."""
    rec = recording(gid)
    bounds = rec["bounds"]
    out: list = []
    for op in rec["ops"]:
        k = op[0]
        if k in ("q", "Q"):
            out.append(k)
        elif k == "cm":
            out.append(" ".join(_num(v) for v in op[1:7]) + " cm")
        elif k == "clip":
            out.append(_path_ops(op[1], bounds) + " W n")
        elif k == "fill":
            r, g, b, a = op[2]
            out.append("q")
            if a < 0.999:
                out.append(("alpha", a))
            out.append(f"{_num(r)} {_num(g)} {_num(b)} rg {_path_ops(op[1], bounds)} f")
            out.append("Q")
        elif k in ("lin", "rad"):
            out.append("q")
            if op[1] is not None:
                out.append(_path_ops(op[1], bounds) + " W n")
            out.append(" ".join(_num(v) for v in op[-1]) + " cm")
            alpha = sum(rgba[3] for _, rgba in op[2]) / len(op[2])
            if alpha < 0.999:
                out.append(("alpha", alpha))
            coords = (*op[3], *op[4]) if k == "lin" else (*op[3], op[4], *op[5], op[6])
            out.append((k, tuple((s, tuple(c[:3])) for s, c in op[2]), coords))
            out.append("Q")
    return tuple(out)


def paint(c, gid: int) -> None:
    """Draw glyph `gid` (font units, y up) on reportlab canvas `c`."""
    from reportlab.lib.colors import Color
    from reportlab.pdfbase.pdfdoc import PDFAxialShading, PDFRadialShading
    from reportlab.pdfgen.canvas import _buildColorFunction, _normalizeColors

    for step in _compiled(gid):
        if step == "q":
            c.saveState()
        elif step == "Q":
            c.restoreState()
        elif isinstance(step, str):
            c.addLiteral(step)
        elif step[0] == "alpha":
            c.setFillAlpha(step[1])
        else:
            kind, stops, coords = step
            space, ncolors = _normalizeColors([Color(*rgb) for _, rgb in stops])
            fn = _buildColorFunction(ncolors, [s for s, _ in stops])
            shading = (PDFAxialShading(*coords, Function=fn, ColorSpace=space, Extend="[true true]") if kind == "lin"
                       else PDFRadialShading(*coords, Function=fn, ColorSpace=space, Extend="[true true]"))
            c.shade(shading)


def form_name(gid: int) -> str:
    return f"DeckcEmoji{gid}"


def ensure_form(c, gid: int) -> tuple[float, float, float, float]:
    """Define the glyph as a Form XObject on canvas `c` (once per document); returns its bounds.
    The form's resources name its shadings and transparency (reportlab's forms list neither)."""
    rec = recording(gid)
    name = form_name(gid)
    done = getattr(c, "_deckc_emoji_forms", None)
    if done is None:
        done = c._deckc_emoji_forms = set()
    if name not in done:
        from reportlab.pdfbase.pdfdoc import PDFResourceDictionary

        x0, y0, x1, y1 = rec["bounds"]
        c.beginForm(name, x0, y0, x1, y1)
        paint(c, gid)
        res = PDFResourceDictionary()
        res.basicProcs()
        res.setShading(dict(c._shadingUsed))
        state = c._extgstate.getState()
        if state:
            res.ExtGState = state
        c.endForm(Resources=res)
        done.add(name)
    return tuple(rec["bounds"])


def paint_emoji(c, x: float, baseline: float, gid: int, width: float, ascent: float, descent: float) -> None:
    """Paint colour glyph `gid` with its origin at (x, baseline), scaled so its advance is `width`
    (what the layout measured for the emoji), and smaller where its ink would rise above `ascent`
    or sink below `descent` (points; the line's text extent, which the layout's boxes hold): then
    centred in its advance."""
    from .shaping import _hb

    x0, y0, x1, y1 = ensure_form(c, gid)
    adv = advance(gid) * _hb(COLOR_FONT)[2]
    k = width / adv
    if y1 > 0:
        k = min(k, ascent / y1)
    if y0 < 0:
        k = min(k, descent / -y0)
    c.saveState()
    c.translate(x + (width - adv * k) / 2, baseline)
    c.scale(k, k)
    c.doForm(form_name(gid))
    c.restoreState()
