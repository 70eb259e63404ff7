"""How a student's feedback page reads (deckc grade's generate_feedback): its look, not its secrets.

feedback.py decides what may be shown (h2's sanitiser); this module only names and lays it out:

- :class:`NameTheTests` gives every test cell its test's name and points from the cell's first
  comment line ("# Test rnn_step_batch (2 points): rnn_step matches ... on a random batch."), so
  the summary at the top lists "rnn_step_batch: rnn_step matches ... (2 pts): 0 / 2" instead of
  nbgrader's "Test cell (Score: 0.0 / 2.0)" fourteen times;
- :class:`WrapMessages` adds a style sheet in which error messages wrap and no output box
  scrolls or cuts a long message off;
- :func:`configure` points nbgrader's feedback exporter at templates/deckc_feedback (its
  conf.json names nbgrader's ``feedback`` template as the base), whose page extends nbgrader's
  own feedback page and changes only the summary list.
"""
from __future__ import annotations

import re
from pathlib import Path

from nbconvert.preprocessors import Preprocessor
from traitlets import Bool

from ..nbgrader import cells

TEMPLATES = Path(__file__).with_name("templates")
TEMPLATE = "deckc_feedback"
HEAD = re.compile(r"^# (?:Hidden test|Test) (?P<name>[A-Za-z0-9_-]+) \((?P<points>[^)]*)\): (?P<doc>.*?)"
                  r"(?: It runs when your work is graded\.)?$")
CSS = """
div.output_area pre, div.output_subarea pre, div.output_text pre, div.output_error pre {
  white-space: pre-wrap; overflow-wrap: anywhere; word-break: break-word; overflow: visible; }
div.output_scroll { height: auto; max-height: none; overflow: visible; box-shadow: none; }
div.output_subarea { max-width: 100%; overflow-x: visible; }
#toc li { margin: 0.15em 0; }
#toc .test-doc { color: #444; }
#toc .lost { color: #b3261e; font-weight: bold; }
"""


def _short_points(text: str) -> str:
    m = re.match(r"^([\d.]+) points?$", text.strip())
    return f"{m.group(1)} pt{'s' if m.group(1) != '1' else ''}" if m else text.strip()


def label_of(source: str) -> dict | None:
    """{"name", "doc", "points"} from a deckc test cell's first line, or None (not deckc's)."""
    first = source.split("\n", 1)[0].strip()
    m = HEAD.match(first)
    if not m:
        return None
    return {"name": m["name"], "doc": m["doc"].rstrip("."), "points": _short_points(m["points"])}


class NameTheTests(Preprocessor):
    """Puts each deckc test cell's name into cell.metadata.deckc_feedback for the template."""

    enabled = Bool(True)

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "code" and cells.is_test(cell):
            label = label_of(cell.source)
            if label is not None:
                cell.metadata["deckc_feedback"] = label
        return cell, resources


class WrapMessages(Preprocessor):
    """Runs after nbconvert's CSSHTMLHeaderPreprocessor: one more style sheet, inlined."""

    enabled = Bool(True)

    def preprocess(self, nb, resources):
        inlining = resources.setdefault("inlining", {})
        inlining["css"] = list(inlining.get("css", [])) + [CSS]
        return nb, resources


def configure(config) -> None:
    """deckc's feedback template, found next to nbgrader's own (which it extends)."""
    import nbgrader

    nbgrader_templates = Path(nbgrader.__file__).parent / "server_extensions" / "formgrader" / "templates"
    config.HTMLExporter.template_name = TEMPLATE
    config.HTMLExporter.template_file = f"{TEMPLATE}.html.j2"   # extends index.html.j2: nbgrader's
    config.HTMLExporter.extra_template_basedirs = [str(TEMPLATES), str(nbgrader_templates)]
