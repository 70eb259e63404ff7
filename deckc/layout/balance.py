"""Balanced slides: where a body that fits sits in the body area.

A body with a flexible block (a chart, an image) grows to fill the area. Otherwise the gaps between
its blocks, and the room inside a block that has gaps of its own (a table's rows, whose padding may
double: `Measured.give`), grow first, together taking at most half the spare height; the height
still spare is split ABOVE : 1 - ABOVE above and below the content, so a sparse slide does not end
halfway down with the rest empty, and a lone table gets airier rows as a list of blocks gets wider
gaps. The measurable rule (tests/test_layout_scale.py): the content's vertical centre is
within BALANCE_TOLERANCE of the body height of the body area's centre.
"""
from __future__ import annotations

ABOVE = 0.4               # of the spare height: 40 % above the content, 60 % below (a little above the middle)
BALANCE_TOLERANCE = 0.1   # |content centre - area centre| <= 10 % of the area's height


def balanced_offsets(natural: float, h: float, gaps: int, gap: float, give: float = 0.0) -> tuple[float, float, float]:
    """(offset of the first block, extra height per gap, fraction of its `give` each block takes)
    for content `natural` tall with `gaps` gaps of `gap`, whose blocks can take `give` more inside
    them, in an area `h` tall. Gaps (to twice `gap`) and the blocks' give grow in proportion."""
    extra = max(h - natural, 0.0)
    room = gap * gaps + give
    grow = min(extra * 0.5, room) if room > 0 else 0.0
    f = grow / room if room > 0 else 0.0
    return (extra - grow) * ABOVE, gap * f, f
