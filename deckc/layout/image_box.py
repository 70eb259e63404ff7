"""Layout of figures (`- image:`): fitted to the room the slide gives it, aspect ratio kept.

An image is a flexible block, like a chart: it asks for a modest height (so text around it is
not shrunk for it) and takes whatever height is left; the picture is then the largest rectangle
of its aspect ratio inside (width x height), centred. Raster images are not blown up past twice
their pixel size (at 96 dpi), where they would turn to mush.
"""
from __future__ import annotations

from .. import model as m
from .blocks import Measured, _text_box, block
from .plan import Element, ImageBox
from .text import make_para

MIN_H = 120.0             # at text scale 1
MAX_UPSCALE = 2.0 * 0.75  # points per pixel: 2 x at 96 dpi


@block(m.Image)
def _image(b: m.Image, w, s, ctx):
    t = ctx.theme
    img = ctx.image(b)
    cap = make_para(b.caption, t.type.at("caption", s), w, t.muted, italic=True, align="center") if b.caption else None
    cap_h = (6 * s + cap.height) if cap else 0.0
    aspect = img.width / img.height
    limit_w = w if img.format == "svg" else min(w, img.width * MAX_UPSCALE)
    natural_h = min(limit_w / aspect, MIN_H * s)

    def place(x, y, hh):
        room_h = max(hh - cap_h, 1.0)
        iw = min(limit_w, room_h * aspect)
        ih = iw / aspect
        out: list[Element] = [ImageBox(name=f"{ctx.name}.image", x=x + (w - iw) / 2, y=y, w=iw, h=ih, src=b.src,
                                       format=img.format, data=img.data, pixel_w=img.width, pixel_h=img.height,
                                       alt="" if b.decorative else (b.alt or ""), decorative=b.decorative)]
        if cap:
            out.append(_text_box(ctx, "caption", x, y + ih + 6 * s, w, [cap], role="caption"))
        return out

    return Measured(natural_h + cap_h, place, flex=True)
