"""Balanced slides: where a body that fits sits in the body area.

A body with a flexible block (a chart, an image) grows to fill the area. Otherwise the gaps between
its blocks grow first (to at most twice the theme's gap), and the height still spare is split
ABOVE : 1 - ABOVE above and below the content, so a sparse slide does not end halfway down with
the rest empty. The measurable rule (tests/test_layout_scale.py): the content's vertical centre is
within BALANCE_TOLERANCE of the body height of the body area's centre.
"""
from __future__ import annotations

ABOVE = 0.4               # of the spare height: 40 % above the content, 60 % below (a little above the middle)
BALANCE_TOLERANCE = 0.1   # |content centre - area centre| <= 10 % of the area's height


def balanced_offsets(natural: float, h: float, gaps: int, gap: float) -> tuple[float, float]:
    """(offset of the first block, extra height per gap) for content `natural` tall with `gaps` gaps
    of `gap` in an area `h` tall."""
    extra = max(h - natural, 0.0)
    grow = min(extra * 0.5, gap * gaps) if gaps else 0.0
    return (extra - grow) * ABOVE, (grow / gaps if gaps else 0.0)
