"""What a theme puts on every slide besides the content: the background colour, a template's
background picture and master pictures (logos), a theme file's logo. As plan elements, so the
PDF and HTML draw what the PPTX's master shows; the PPTX skips the ones its master draws itself."""
from __future__ import annotations

from .plan import ImageBox
from .theme import SLIDE_H, SLIDE_W, Theme

LOGO_H, LOGO_MAX_W = 26.0, 120.0            # a theme file's logo, in the footer band, right of centre
TITLE_LOGO_H = 48.0                          # on the title and section slides, top right


def look(t: Theme, layout: str, prefix: str) -> tuple[str, list[ImageBox]]:
    tpl = t.template
    if tpl is not None:
        out = []
        bg = tpl.background.get(layout, t.background)
        if not isinstance(bg, str):          # a picture background (its average colour under it)
            out.append(_box(f"{prefix}.background", bg, 0.0, 0.0, SLIDE_W, SLIDE_H))
            bg = bg.mean or t.background
        for k, d in enumerate(tpl.decor.get(layout, ())):
            out.append(_box(f"{prefix}.template-picture{k + 1}", d, d.x, d.y, d.w, d.h))
        return bg, out
    if t.logo is None:
        return t.background, []
    logo = t.logo
    big = layout in ("title", "section")
    h = TITLE_LOGO_H if big else LOGO_H
    w = min(h * logo.width / max(logo.height, 1.0), LOGO_MAX_W * (2 if big else 1))
    h = w * logo.height / max(logo.width, 1.0)
    x = SLIDE_W - t.margin_x - w - (0 if big else 64.0)      # content slides: left of the page number
    y = 28.0 if big else t.footer_y + 6 - h / 2
    return t.background, [ImageBox(name=f"{prefix}.logo", x=x, y=y, w=w, h=h, src=str(logo.path),
                                   format=logo.format, data=logo.data, pixel_w=logo.width, pixel_h=logo.height,
                                   decorative=True)]


def _box(name, d, x, y, w, h) -> ImageBox:
    from ..images import ImageError, sniff_size
    try:
        pw, ph = sniff_size(d.data, d.format)
    except ImageError:
        pw, ph = w, h
    return ImageBox(name=name, x=x, y=y, w=w, h=h, src=name, format=d.format, data=d.data, pixel_w=pw,
                    pixel_h=ph, decorative=True, master=True)
