"""Feedback without secrets: a sanitising preprocessor for nbgrader's generate_feedback, and a
leak check of the HTML it writes.

What a student's feedback notebook shows:
- their own cells' source (markdown and code), without outputs: once a hidden test has run in
  the kernel, its inputs and reference outputs are in the kernel's memory, and any later cell
  output (or a thread's) could carry them;
- each grade cell's visible part (the hidden region removed, as nbgrader's ClearHiddenTests
  does) and, if the part failed, one error line from the authoritative out-of-kernel check
  (the grader's test message or the student's own exception from the sealed runner, which
  never held a reference value) - never the kernel's traceback or output;
- points per part and in total, from the gradebook (nbgrader's GetGrades).

sanitise_html then cleans the page's body with nh3 (the maintained binding of the Rust HTML
sanitiser ammonia): a markdown cell's ``<script>``, ``<iframe>``, event handlers such as
``<img onerror=...>`` and ``javascript:`` URLs are removed, the layout nbconvert and nbgrader
write (classes, ids, anchors, tables, code) is kept. The head is the template's own (its CSS
and MathJax with its Safe extension): nothing of the student's reaches it.

check_html then searches the written HTML for the hidden-test markers, the grader namespace
and every long numeric literal of the hidden regions (the embedded inputs and reference
values); a hit is redacted and reported. Files other than the notebooks' HTML (nbgrader copies
every non-notebook file of source/ into feedback/) are removed by the worker.
"""
from __future__ import annotations

import re

from nbconvert.preprocessors import Preprocessor
from nbformat.notebooknode import from_dict
from traitlets import Bool

from ..nbgrader import cells
from ..nbgrader.cells import strip_hidden

NUMBER = re.compile(r"\d\.\d{7,}")
MARKERS = (*cells.LEAK_MARKERS, "_deckc_grader", "deckc-grader")


def secrets_of(source: str) -> set[str]:
    """Long numeric literals inside the hidden regions of a cell source."""
    found = set()
    for region in cells.hidden_regions(source):
        found.update(NUMBER.findall(region))
    return found


class DeckcFeedback(Preprocessor):
    """Runs after GetGrades in generate_feedback (see the module docstring).

    verdicts: {notebook: {grade_id: (passed, error_type, message)}}, given by the worker when it
    constructs the preprocessor for one student (feedback_run.py).
    """

    enabled = Bool(True)

    def __init__(self, verdicts: dict | None = None, **kwargs):
        super().__init__(**kwargs)
        self.verdicts = verdicts or {}

    def preprocess(self, nb, resources):
        self._verdicts = self.verdicts.get(cells.notebook_of(resources), {})
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code":
            return cell, resources
        grade_id = cells.grade_id(cell)
        if cells.is_grade(cell) and grade_id:
            cell.source = strip_hidden(cell.source)
            verdict = self._verdicts.get(grade_id)
            if verdict is None:
                # Not checked out of the kernel: keep only the kernel's error name and message.
                errors = [o for o in cell.outputs if o.get("output_type") == "error"]
                verdict = (not errors, errors[0].get("ename", "Error") if errors else "",
                           errors[0].get("evalue", "") if errors else "")
            passed, etype, message = verdict
            cell.outputs = [] if passed else [from_dict({
                "output_type": "error", "ename": etype or "Error", "evalue": message,
                "traceback": [f"{etype or 'Error'}: {message}"]})]
        else:
            cell.outputs = []
        cell.execution_count = None
        return cell, resources


def check_html(html: str, secrets: set[str]) -> tuple[str, list[str]]:
    """Redact hidden-test markers and reference values from feedback HTML; return (html, problems)."""
    problems = []
    for marker in MARKERS:
        if marker in html:
            problems.append(f"hidden-test marker {marker!r}")
            html = html.replace(marker, "[removed]")
    text = re.sub(r"<[^>]+>", "", html)
    for number in sorted(secrets, key=len, reverse=True):
        if number in html or number in text:
            problems.append(f"reference value {number}")
            html = html.replace(number, "[removed]")
    return html, problems


# Tags and attributes of nbconvert's and nbgrader's feedback page; everything else goes.
_EXTRA_TAGS = {"main", "section", "header", "footer", "article", "details", "summary", "figure", "figcaption",
               "caption", "colgroup", "col", "tfoot", "kbd", "samp", "var", "mark", "s", "u", "small"}
_ATTRIBUTES = {"*": {"class", "id", "title", "lang", "dir"}, "a": {"href", "name"},
               "img": {"src", "alt", "width", "height"}, "td": {"colspan", "rowspan", "align"},
               "th": {"colspan", "rowspan", "align", "scope"}, "ol": {"start"}, "col": {"span"}}


def sanitise_html(html: str) -> str:
    """The page with its body sanitised by nh3 (see the module docstring)."""
    import nh3

    lower = html.lower()
    cut = lower.find("</head>")
    head, body = (html[:cut + len("</head>")], html[cut + len("</head>"):]) if cut >= 0 else ("", html)
    if not head.lstrip().lower().startswith(("<!doctype", "<html")):
        head, body = "", html                     # not a page deckc knows: sanitise all of it
    clean = nh3.clean(body, tags=set(nh3.ALLOWED_TAGS) | _EXTRA_TAGS, attributes=_ATTRIBUTES,
                      url_schemes={"http", "https", "mailto"}, link_rel="noopener noreferrer nofollow")
    return f"{head}\n<body>\n{clean}\n</body>\n</html>\n" if head else clean
