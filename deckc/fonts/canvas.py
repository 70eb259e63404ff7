"""A reportlab canvas set up for the shipped fonts.

Here rather than in deckc.pdf_fixes so that the fixes stay a leaf (they patch reportlab and
import nothing of deckc) and deckc.fonts can install them without an import cycle.
"""
from __future__ import annotations

from .. import pdf_fixes
from . import SANS, font_book


def new_canvas(target, pagesize, **kwargs):
    """A reportlab Canvas with all of deckc.pdf_fixes applied (see its Fix 2).

    ``target`` is a filename or binary file object.  Defaults: ``invariant=1``
    and ``initialFontName`` = Liberation Sans (registered if needed), so the
    PDF references no non-embedded font.  Other keyword arguments go to Canvas.
    """
    from reportlab.pdfgen.canvas import Canvas

    pdf_fixes.install()
    font_book().font(SANS)      # registers the shipped fonts
    kwargs.setdefault("invariant", 1)
    kwargs.setdefault("initialFontName", SANS)
    return Canvas(target, pagesize=pagesize, **kwargs)
