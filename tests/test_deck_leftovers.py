"""Deck leftovers of issues 14/15, read back from the built files: a lone table is balanced like
other content (its rows get air on a sparse slide), scatter markers sized on the type scale, the
heatmap ramp from the theme's accent with labels chosen by contrast, a columns block taller than a
slide continued on "(cont.)" slides, and country flags in the PDF."""
from __future__ import annotations

import re
import subprocess

import pytest
from pptx import Presentation
from pptx.util import Emu

from conftest import build_spec, require_tool
from deckc.layout.balance import BALANCE_TOLERANCE
from deckc.layout.theme import DEFAULT_THEME

HEAD = """lesson:
  id: {id}
  title: Leftovers
  course: C
  module: M
  number: 1
  of: 1
  minutes: 5
{extra}slides:
"""
PT = 12700


def _table(shape):
    return getattr(shape, "has_table", False) and shape.has_table


# ---- (1) a lone table ---------------------------------------------------------------------------

TABLE = """      - table:
          header: [Feature, RNN, Transformer]
          rows:
            - [Processing, Sequential, Parallel]
            - [Long-range, Struggles, Handles well]
            - [Speed, Slow, Fast]
"""


def test_a_lone_table_is_balanced_with_airier_rows(tmp_path):
    pdftotext = require_tool("pdftotext")
    spec = HEAD.format(id="table", extra="") + f"""  - title: Lone table
    notes: n
    body:
{TABLE}  - title: Table under text
    notes: n
    body:
      - text: {"'" + "A sentence long enough to take a whole line of the slide and then some more. " * 4 + "'"}
      - text: {"'" + "Another long paragraph that keeps the slide busy so nothing is spare on it. " * 4 + "'"}
{TABLE}"""
    proc = build_spec(tmp_path, "table", spec, "--format", "pptx,pdf", "--strict")
    assert proc.returncode == 0, proc.stderr
    prs = Presentation(str(tmp_path / "build" / "table" / "table.pptx"))
    lone, busy = ([sh for sh in s.shapes if _table(sh)][0] for s in prs.slides)
    rows = lambda sh: [r.height / PT for r in sh.table.rows]     # noqa: E731
    # the same table, the same text size: on the sparse slide its rows are airier (up to 2x padding)
    assert all(a > b + 3 for a, b in zip(rows(lone), rows(busy))), (rows(lone), rows(busy))
    assert abs(sum(rows(lone)) - lone.height / PT) < 0.5
    # and the table (the whole body) is centred by the balance rule, between the title and the footer
    t = DEFAULT_THEME
    title = prs.slides[0].shapes.title
    top = max(t.content_top, (title.top + title.height) / PT)
    centre = (lone.top + lone.height / 2) / PT
    assert abs(centre - (top + t.content_bottom) / 2) <= BALANCE_TOLERANCE * (t.content_bottom - top)
    assert (lone.top + lone.height) / PT > top + 0.65 * (t.content_bottom - top)   # it ended at 60 %
    # the PDF draws the rows the plan gave: its first and last row's text are as far apart as the PPTX's
    out = subprocess.run([pdftotext, "-bbox", "-f", "1", "-l", "1", str(tmp_path / "build" / "table" / "table.pdf"),
                          "-"], capture_output=True, text=True, check=True).stdout
    ys = {w: float(y) for y, w in re.findall(r'yMin="([\d.]+)"[^>]*>(Feature|Speed)<', out)}
    assert abs((ys["Speed"] - ys["Feature"]) - sum(rows(lone)[:-1])) < 1.0, (ys, rows(lone))
