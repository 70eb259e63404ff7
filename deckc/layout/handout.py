"""The handout's layout: A4 portrait pages, each slide scaled to the page width with its speaker
notes beneath, wrapped with the same font metrics as the slides; two slides share a page when both
fit, and notes longer than the room left continue on the next page. The handout writer draws this.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from .plan import DeckPlan, Para, Run
from .text import make_para, para_from_runs
from .theme import DEFAULT_THEME

A4 = (595.28, 841.89)
MARGIN = 42.0
NOTES_SIZE = 11.0
GAP = 12.0            # slide to heading, heading to notes
SPACING = 30.0        # between one slide's notes and the next slide
SLIDE_WIDTH = 0.8     # of the text width: two slides with their notes usually share a page


@dataclass(frozen=True)
class HandoutItem:
    slide: int | None               # index into deck.slides; None: notes continued from the previous page
    box: tuple[float, float, float, float]     # where the slide goes: x, y, w, h (top-left origin)
    heading: Para | None            # "Slide k of n · title"
    heading_y: float
    notes: tuple[Para, ...]
    notes_y: float


@dataclass(frozen=True)
class HandoutPage:
    items: tuple[HandoutItem, ...]
    scale: float                    # slide points -> page points


def plan_handout(deck: DeckPlan, theme=DEFAULT_THEME) -> tuple[HandoutPage, ...]:
    pw, ph = A4
    w = pw - 2 * MARGIN
    scale = w * SLIDE_WIDTH / deck.width
    slide_h = deck.height * scale
    bottom = ph - MARGIN
    pages: list[list[HandoutItem]] = [[]]
    y = MARGIN
    for i, sp in enumerate(deck.slides):
        heading = make_para(f"Slide {sp.number} of {len(deck.slides)} · {sp.title}", 12.0, w, theme.text, bold=True)
        paras = [para_from_runs((Run(t.strip(), color=theme.text),), NOTES_SIZE, w, space_before=6.0 if k else 0.0)
                 for k, t in enumerate(p for p in sp.notes.split("\n\n") if p.strip())]
        first_lines = min(3, len(paras[0].lines)) * NOTES_SIZE * 1.2 if paras else 0.0
        if pages[-1] and y + slide_h + GAP + heading.height + GAP + first_lines > bottom:
            pages.append([])            # the slide, its heading and a few lines of notes stay together
            y = MARGIN
        box = (MARGIN + w * (1 - SLIDE_WIDTH) / 2, y, w * SLIDE_WIDTH, slide_h)
        heading_y = y + slide_h + GAP
        y = notes_y = heading_y + heading.height + GAP / 2
        slide: int | None = i
        kept: list[Para] = []
        for para in paras:
            lines, space = list(para.lines), para.space_before
            while lines:
                room = int((bottom - y - space) // para.line_height)
                if room <= 0:           # this page is full: the rest of the notes go on the next
                    pages[-1].append(HandoutItem(slide, box, heading if slide is not None else None, heading_y,
                                                 tuple(kept), notes_y))
                    pages.append([])
                    slide, kept, y, notes_y, space = None, [], MARGIN, MARGIN, 0.0
                    continue
                part = replace(para, lines=tuple(lines[:room]), space_before=space)
                kept.append(part)
                y += part.height
                lines, space = lines[room:], 0.0
        pages[-1].append(HandoutItem(slide, box, heading if slide is not None else None, heading_y, tuple(kept),
                                     notes_y))
        y += SPACING
    return tuple(HandoutPage(tuple(items), scale) for items in pages if items)
