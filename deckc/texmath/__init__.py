"""TeX math: the accepted subset (subset.py) and its layout into glyph outlines (render.py)."""
