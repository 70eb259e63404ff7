"""The institution's PowerPoint template (`lesson.template: templates/university.pptx`).

A template gives the deck its slide masters and layouts, its theme (colours and fonts, which the
PDF and HTML follow too), its master background and its logo. Layouts are found by their
placeholders, not their names (a university's are named in its own language):

- content: a title placeholder and a body (or content) placeholder: needed, else a TemplateError
  that lists the template's layouts and what each has;
- title slide: a centred title (ctrTitle), else title + subtitle; falls back to content;
- section header: a layout of type secHead (however it is named), else one named "Section..." with a title,
  else one with only a title; falls back.

A template of another size (4:3, A4) is fitted to the 16:9 deck: frames scale with the slide,
pictures (logos) keep their aspect ratio. Slides already in the template are not used.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from .template_read import Decor, Template, TemplateError, read_template

DECK_W, DECK_H = 12192000, 6858000          # 13.333 x 7.5 in (960 x 540 pt) in EMU


def _open(path: Path):
    from pptx import Presentation
    from pptx.exc import PackageNotFoundError

    try:
        prs = Presentation(str(path))
    except PermissionError as e:
        raise TemplateError(f"cannot read {path.name}: {e.strerror}") from None
    except (PackageNotFoundError, KeyError, ValueError, OSError) as e:
        raise TemplateError(f"{path.name} is not a PowerPoint .pptx file python-pptx can open ({e}); "
                            f"a .potx or .ppt template: save it as .pptx in PowerPoint") from None
    except Exception as e:        # a damaged zip or XML: any of lxml's and zipfile's errors
        raise TemplateError(f"{path.name} cannot be read as a .pptx file: {type(e).__name__}: {e}") from None
    _drop_slides(prs)
    _fit(prs)
    return prs


def _drop_slides(prs) -> None:
    ids = prs.slides._sldIdLst
    for sld in list(ids):
        prs.part.drop_rel(sld.rId)
        ids.remove(sld)


def _fit(prs) -> None:
    """Scale every master and layout frame from the template's slide size to 16:9."""
    from pptx.oxml.ns import qn

    old_w, old_h = prs.slide_width or DECK_W, prs.slide_height or DECK_H
    kx, ky = DECK_W / old_w, DECK_H / old_h
    prs.slide_width, prs.slide_height = DECK_W, DECK_H
    if abs(kx - 1) < 1e-6 and abs(ky - 1) < 1e-6:
        return
    for part in [*prs.slide_masters, *prs.slide_layouts]:
        for frame in part._element.iter(qn("a:xfrm"), qn("p:xfrm")):
            off, ext = frame.find(qn("a:off")), frame.find(qn("a:ext"))
            if off is None or ext is None:
                continue
            x, y, cx, cy = (int(off.get("x")), int(off.get("y")), int(ext.get("cx")), int(ext.get("cy")))
            if frame.getparent().getparent().tag == qn("p:pic"):        # keep a logo's aspect ratio
                k = min(kx, ky)
                nx, ny = (x + cx / 2) * kx - cx * k / 2, (y + cy / 2) * ky - cy * k / 2
                vals = (nx, ny, cx * k, cy * k)
            else:
                vals = (x * kx, y * ky, cx * kx, cy * ky)
            for el, a, v in ((off, "x", vals[0]), (off, "y", vals[1]), (ext, "cx", vals[2]), (ext, "cy", vals[3])):
                el.set(a, str(int(round(v))))


@lru_cache(maxsize=8)
def _cached(path: str, mtime: int, size: int) -> Template:
    return read_template(Path(path), _open(Path(path)))


def load_template(path: Path) -> Template:
    st = path.stat()
    if st.st_size > 100 * 1024 * 1024:
        raise TemplateError(f"{path.name} is {st.st_size / 1e6:.0f} MB; a template may be at most 100 MB")
    return _cached(str(path), st.st_mtime_ns, st.st_size)


def presentation(tpl: Template):
    """The template opened, fitted to 16:9, without its own slides: the PPTX writer's start."""
    return _open(tpl.path)


__all__ = ["Decor", "Template", "TemplateError", "load_template", "presentation"]
