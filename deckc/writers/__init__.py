"""The output formats, registered in one place: the build, incremental builds and the command
line know formats only from WRITERS. A new format is one writer module plus one Writer line here.

A writer gets the build context (lesson, layout plan, staging folder) and writes its files
into the staging folder; it returns what the manifest should list. The build moves staged
files into place only when every writer succeeded. A writer declares what its output is made
of (`inputs`: the part of the spec; by default all of it) and which files in its output are
state rather than output (`state`: kept, never checksummed).
"""
from __future__ import annotations

from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING

from ..nbgrader.layout import GRADEBOOK_FILE
from .base import BuildContext, Output, Writer

if TYPE_CHECKING:
    from ..spec.loader import SpecHead

__all__ = ["WRITERS", "BuildContext", "Output", "Writer", "default_formats", "state_files"]


def _pptx(ctx: BuildContext) -> list[Output]:
    from .pptx import write_pptx

    rel = f"{ctx.lesson.meta.id}.pptx"
    ctx.write(rel, write_pptx(ctx.deck, ctx.version, ctx.date))
    return [Output("pptx", rel)]


def _prepare_pptx() -> None:
    import_module("deckc.writers.pptx_charts")      # python-pptx and lxml: the costly imports


def _prepare_pdf() -> None:
    from ..fonts import SANS, font_book

    import_module("reportlab.pdfgen.canvas")
    font_book().font(SANS)          # parsed and registered with reportlab: every page uses it


def _pdf(ctx: BuildContext) -> list[Output]:
    from .pdf import write_pdf

    rel = f"{ctx.lesson.meta.id}.pdf"
    ctx.write(rel, write_pdf(ctx.deck, ctx.version, date=ctx.date))
    return [Output("pdf", rel)]


def _pdf_steps(ctx: BuildContext) -> list[Output]:
    from .pdf import write_pdf

    rel = f"{ctx.lesson.meta.id}-steps.pdf"
    (ctx.stage / rel).write_bytes(write_pdf(ctx.deck, ctx.version, steps=True, date=ctx.date))
    return [Output("pdf-steps", rel)]


def _charts(ctx: BuildContext) -> list[Output]:
    if not ctx.deck.charts:
        return []
    (ctx.stage / "charts").mkdir(exist_ok=True)
    for chart in ctx.deck.charts:
        ctx.write(f"charts/{chart.name}.csv", chart.to_csv())
    return [Output("charts", "charts", is_dir=True,
                   extra={"files": [f"charts/{c.name}.csv" for c in ctx.deck.charts]})]


def _exercises(ctx: BuildContext) -> list[Output]:
    from .exercises import write_course
    return write_course(ctx)


def _prepare_exercises() -> None:
    import_module("deckc.nbgrader.release")         # nbformat and jsonschema


def _handout(ctx: BuildContext) -> list[Output]:
    from .handout import write_handout

    rel = f"{ctx.lesson.meta.id}-handout.pdf"
    (ctx.stage / rel).write_bytes(write_handout(ctx.deck, ctx.version, date=ctx.date))
    return [Output("handout", rel)]


def _html(ctx: BuildContext) -> list[Output]:
    from .html import write_html
    return write_html(ctx)


def _html_index(out_root: Path) -> None:
    from .html.index import write_index
    write_index(out_root)


def _course_inputs(head: SpecHead):
    """The assignment is made from the lesson id, the course, its exercise ids, its quiz and its
    own exercise folders: editing a slide, or another lesson's exercise, does not rebuild it."""
    from ..tree_hash import tree_digest
    from ..spec.course_id import course_slug
    from ..spec.loader import course_root

    exercises = course_root(head.path) / "exercises"
    return {"id": head.meta.id, "course": course_slug(head.meta.course), "exercises": head.meta.exercises,
            "quiz": head.quiz, "folders": {e: tree_digest(exercises / e) for e in head.meta.exercises}}


WRITERS: dict[str, Writer] = {w.name: w for w in (
    Writer("pptx", "editable 16:9 PowerPoint deck with notes and native charts", _pptx, prepare=_prepare_pptx,
           early=True),
    Writer("pdf", "the same deck as PDF: embedded fonts, outline, vector charts", _pdf, prepare=_prepare_pdf),
    Writer("pdf-steps", "the PDF with one page per reveal step (like Beamer overlays): <id>-steps.pdf",
           _pdf_steps, prepare=_prepare_pdf, default=False),
    Writer("charts", "each chart's data as CSV in charts/", _charts),
    Writer("html", "interactive lesson page: one self-contained HTML file (+ OUT/index.html)", _html,
           after=_html_index),
    Writer("handout", "handout PDF (A4): each slide with its speaker notes beneath", _handout,
           prepare=_prepare_pdf, default=False),
    Writer("exercises", "the lesson's assignment in the module's nbgrader course, OUT/course/", _exercises,
           needs_plan=False, prepare=_prepare_exercises, early=True, inputs=_course_inputs,
           state=(GRADEBOOK_FILE,)),
)}

def default_formats() -> list[str]:
    return [w.name for w in WRITERS.values() if w.default]


def state_files() -> set[str]:
    return {name for w in WRITERS.values() for name in w.state}
