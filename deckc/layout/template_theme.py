"""A Theme from an institution's template (deckc.template): its scheme colours and fonts, made to
meet the contrast the built-in themes meet. A template colour that would be too faint for text
(an accent at 2.5:1 on white, say) is darkened (or lightened, on a dark background) just enough,
so the deck stays readable however the template was designed; the template's own masters still
use its colours unchanged in PowerPoint.
"""
from __future__ import annotations

from dataclasses import replace

from .theme import SLIDE_W, Tone, contrast, mix
from .themes import BUILTIN, GRAPHICS_MIN, TEXT_MIN


def legible(color: str, background: str, minimum: float) -> str:
    """`color`, moved towards black or white (whichever contrasts with the background) until it
    reaches `minimum` contrast against `background`."""
    if contrast(color, background) >= minimum:
        return color
    target = "000000" if contrast("000000", background) > contrast("FFFFFF", background) else "FFFFFF"
    for k in range(1, 21):
        c = mix(color, target, k / 20)
        if contrast(c, background) >= minimum:
            return c
    return target


def theme_from_template(tpl):
    c = tpl.colors
    bg = tpl.background.get("content")
    if not isinstance(bg, str):                   # a picture: its average colour stands for it
        bg = getattr(bg, "mean", None) or c.get("bg1", "FFFFFF")
    dark = contrast("FFFFFF", bg) > contrast("000000", bg)
    base = BUILTIN["dark" if dark else "default"]
    text = legible(c.get("tx1", base.text), bg, 7.0)
    accent = legible(c.get("accent1", base.accent), bg, TEXT_MIN)
    palette = tuple(legible(c[f"accent{i}"], bg, GRAPHICS_MIN) for i in range(1, 7) if f"accent{i}" in c) \
        or base.palette
    on_accent = "FFFFFF" if contrast("FFFFFF", accent) >= contrast("000000", accent) else "000000"
    tones = {k: Tone(fill=mix(t.border, bg, 0.88), border=legible(t.border, bg, GRAPHICS_MIN),
                     text=legible(t.text, mix(t.border, bg, 0.88), TEXT_MIN)) for k, t in base.tones.items()}
    f = tpl.fonts
    geometry = _geometry(base, tpl.frames)
    return replace(
        base, **geometry, name=tpl.path.stem, background=bg, text=text, muted=legible(mix(text, bg, 0.3), bg, TEXT_MIN),
        accent=accent, chip_fill=mix(accent, bg, 0.88), chip_border=legible(accent, bg, GRAPHICS_MIN),
        highlight=legible(base.highlight, text, TEXT_MIN), table_header_fill=accent, table_header_text=on_accent,
        table_stripe=mix(text, bg, 0.94), table_border=mix(text, bg, 0.75), rule=mix(text, bg, 0.8),
        tones=tones, palette=palette,
        font_heading=f.get("heading_latin", base.font_heading), font_body=f.get("body_latin", base.font_body),
        font_ea=f.get("body_ea") or None, font_cs=f.get("body_cs") or None, template=tpl)


def _clamp(v: float, lo: float, hi: float) -> float:
    return min(max(v, lo), hi)


def _geometry(base, frames) -> dict:
    """The content area where the template's content layout has its title and body placeholders
    (so a logo or band the designer kept clear stays clear), within bounds the layout can use."""
    out = {}
    title, body = frames.get("title"), frames.get("body")
    if body is not None:
        x, y, w, h = body
        out["margin_x"] = _clamp(min(x, SLIDE_W - (x + w)), 24.0, 96.0)
        out["content_top"] = _clamp(y, 72.0, 160.0)
        out["content_bottom"] = _clamp(y + h, 380.0, base.footer_y - 14.0)
    if title is not None:
        top = out.get("content_top", base.content_top)
        out["title_y"] = _clamp(title[1], 8.0, top - 44.0)
    return out
