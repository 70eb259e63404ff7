"""Drawing a measured line on a reportlab canvas, by the same segments the FontBook measures:
so what the layout measured is what the PDF shows. Arabic marks are placed by the font's
mark-positioning rules (deckc.fonts.shaping.mark_offsets)."""
from __future__ import annotations

from .files import DEJAVU, DEJAVU_BOLD, EMOJI, FONT_DIR, FONT_FILES, Style
from .colr import colour_glyph, has_colour_font, paint_emoji
from .shaping import ARABIC_MARK, mark_offsets


class Drawing:
    """The FontBook's drawing half (a mixin: it uses the book's segments, widths and fonts)."""

    def draw_text(self, canvas, x: float, y: float, text: str, style: Style = Style(),
                  size: float = 12.0, color=None, invisible_width: float | None = None) -> float:
        """Draw one already-wrapped line with its baseline at (x, y).

        ``invisible_width``: draw the text invisibly (PDF render mode 3), squeezed or stretched to
        that width: searchable, copyable text over something drawn otherwise (a formula, a figure).

        ``color``: None (keep the canvas fill colour), a reportlab Color, a
        "#RRGGBB" string / colour name, or an (r, g, b) tuple of 0..1 floats.
        The canvas font and colour are left as they were.  Returns the advance
        width in points (same as :meth:`width`).
        """
        segs = self._segments_cached(text, style)
        canvas.saveState()
        try:
            if color is not None:
                canvas.setFillColor(_to_color(color))
            t = canvas.beginText(x, y)
            if invisible_width is not None:
                natural = self.width(text, style, size)
                t.setTextRenderMode(3)
                t.setHorizScale(100.0 * invisible_width / natural if natural > 0 else 100.0)
            pen = x
            painted = []            # colour emoji to paint over their (invisible) text: (x, glyph, width)
            for name, s in segs:
                if name == EMOJI and invisible_width is None and has_colour_font():
                    self._register(name)
                    t.setFont(name, size)
                    pen = self._colour_emoji(t, pen, s, size, painted)
                    continue
                s = self._drawable(name, s)
                if s:
                    font = self._register(name)
                    if name == EMOJI:
                        self._ligatures.install(font)
                    t.setFont(name, size)
                    moved = (mark_offsets(FONT_DIR / FONT_FILES[name], s)
                             if name in (DEJAVU, DEJAVU_BOLD) and ARABIC_MARK.search(s) else ())
                    if moved:
                        pen = self._draw_marked(t, pen, y, name, s, moved, size)
                    else:
                        t.textOut(s)
                        pen += self._drawn_width(name, s, size)
            canvas.drawText(t)
            for px, gid, w in painted:
                paint_emoji(canvas, px, y, gid, w, self.ascent(size, style), self.descent(size, style))
        finally:
            canvas.restoreState()
        return self.width(text, style, size)

    def _colour_emoji(self, t, pen: float, s: str, size: float, painted: list) -> float:
        """An emoji segment: each cluster the colour font has is drawn as invisible text (copy,
        search and ToUnicode as before, the same advance) and noted for painting in colour; one
        it lacks is drawn visibly in the monochrome font (the layout has warned)."""
        from .shaping import emoji_clusters

        self._ligatures.install(self._register(EMOJI))
        for cl in emoji_clusters(FONT_DIR / FONT_FILES[EMOJI], s):
            drawn = self._drawable(EMOJI, cl.text)
            if not drawn:
                continue
            self._ligatures.install(self._register(EMOJI))
            w = self._emoji_width(drawn, size)
            gid = colour_glyph(cl.text)
            if gid is not None and w > 0:
                t.setTextRenderMode(3)
                t.textOut(drawn)
                t.setTextRenderMode(0)
                painted.append((pen, gid, w))
            else:
                t.textOut(drawn)
            pen += w
        return pen

    def _emoji_width(self, drawn: str, size: float) -> float:
        widths, default = self._widths[EMOJI]
        lig = self._ligatures.advance.get
        # a zero width (U+FE0F) is a width: only a code of no character (a sequence's) asks the ligatures
        return 0.001 * size * sum(widths[ord(c)] if ord(c) in widths else lig(ord(c), default) for c in drawn)


    def _drawn_width(self, name: str, drawn: str, size: float) -> float:
        widths, default = self._widths[name]
        return 0.001 * size * sum(widths.get(ord(c), default) for c in drawn)

    def _draw_marked(self, t, pen: float, y: float, name: str, s: str, moved, size: float) -> float:
        """Arabic with marks the font's GPOS moves: each such mark drawn on its own at the place
        the font gives it, the rest in turn. Advances are unchanged (marks have none)."""
        at = 0
        for i, dx, dy in moved:
            if s[at:i]:
                t.textOut(s[at:i])
                pen += self._drawn_width(name, s[at:i], size)
            t.setTextOrigin(pen + 0.001 * size * dx, y + 0.001 * size * dy)
            t.textOut(s[i])
            pen += self._drawn_width(name, s[i], size)
            t.setTextOrigin(pen, y)
            at = i + 1
        if s[at:]:
            t.textOut(s[at:])
            pen += self._drawn_width(name, s[at:], size)
        return pen


def _to_color(color):
    from reportlab.lib import colors
    if isinstance(color, colors.Color):
        return color
    if isinstance(color, str):
        return colors.toColor(color)
    if isinstance(color, (tuple, list)) and len(color) == 3:
        return colors.Color(*color)
    raise TypeError(f"unsupported colour {color!r}")
