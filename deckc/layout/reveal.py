"""Reveal steps: which click shows an element or a paragraph (0: shown from the start). Blocks
number their own items 1, 2, ...; a later block's clicks come after an earlier one's."""
from __future__ import annotations

import re
from dataclasses import replace


def last_step(elements) -> int:
    return max([e.step for e in elements] + [p.step for e in elements for p in getattr(e, "paras", ())], default=0)


def after_reveals(elements, offset: int):
    """A block's reveal steps continue after the blocks above it: their clicks come first."""
    if not offset:
        return elements
    out = []
    for e in elements:
        paras = getattr(e, "paras", None)
        changes = {"step": e.step + offset} if e.step else {}
        if paras and any(p.step for p in paras):
            changes["paras"] = tuple(replace(p, step=p.step + offset) if p.step else p for p in paras)
        out.append(replace(e, **changes) if changes else e)
    return out


def step_of(name: str) -> int:
    """The click of a step block's element, from its name: step3, state3 -> 3; step-arrow2 -> 3."""
    mt = re.search(r"\.(step|state|step-arrow)(\d+)$", name)
    if not mt:
        return 0
    return int(mt.group(2)) + (1 if mt.group(1) == "step-arrow" else 0)
