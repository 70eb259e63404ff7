"""Exercises: compile exercise folders into an nbgrader course folder.

Public API::

    build_course(lesson_id, exercise_ids, exercises_dir, course_dir, quiz=None) -> dict

build_course writes ``course_dir/nbgrader_config.py`` and one source notebook per exercise in
``course_dir/source/<lesson_id>/`` (plus ``quick_check.ipynb`` when a quiz is given), then makes
what nbgrader's generate_assignment makes, so ``release/<lesson_id>/`` is ready and the gradebook
knows the assignment: natively (deckc.nbgrader.release: the same bytes and rows in ~0.1 s
instead of 2-5 s) when it can be sure of the same result, else with nbgrader itself
(``DECKC_NBGRADER_RELEASE=1`` forces that). The source and release notebooks are byte-identical
for identical inputs. The assignment is named after the lesson.

Each notebook comes from a chain of small steps over (notebook, resources): steps.py (an
exercise), quiz.py (the quick check), with the cells' code from cell_sources.py. What nbgrader
expects of a notebook (cell metadata, markers, config, folders) is deckc.nbgrader's. This
package never imports nbgrader; only deckc.nbgrader.command runs it, in a subprocess.
"""
from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING

# nbformat validates with jsonschema, which builds an RFC 3987 grammar at import (1.4 s here) for
# the optional "iri" formats no notebook schema uses; absent, jsonschema skips those two checks.
sys.modules.setdefault("rfc3987_syntax", None)

from ..nbgrader import layout
from ..nbgrader.config import DEFAULT_TIMEOUT, write_config
from .quiz import MAKE_QUIZ, validate_quiz
from .sources import SLUG, ExerciseError, load_exercise
from .steps import MAKE_EXERCISE, run, write_notebook

if TYPE_CHECKING:
    from ..model import Quiz

QUIZ_NOTEBOOK = "quick_check"

__all__ = ["build_course", "load_exercise", "ExerciseError", "QUIZ_NOTEBOOK"]


def build_course(lesson_id: str, exercise_ids: list[str], exercises_dir: Path, course_dir: Path,
                 quiz: Quiz | None = None, *, release: bool = True, timeout: int = DEFAULT_TIMEOUT,
                 course_id: str | None = None) -> dict:
    """Build one lesson's assignment in an nbgrader course folder (other assignments stay).

    lesson_id: the assignment name (a slug). course_id: nbgrader's course id (default: lesson_id).
    exercise_ids: folders of exercises_dir, in notebook order. quiz: the lesson's
    deckc.model.Quiz (its points included), emitted as quick_check.ipynb. release=False skips
    the release (source notebooks only).

    Returns {"course": course_dir, "assignment": lesson_id, "notebooks": [file names], "points": total,
    "release": "native" | "nbgrader" | None (release=False), "release_reason": why nbgrader ran or None}.
    """
    if not isinstance(lesson_id, str) or not SLUG.match(lesson_id):
        raise ExerciseError(f"lesson id {lesson_id!r} is not a slug (a-z, 0-9, '_', '-')")
    exercise_ids = list(exercise_ids)
    if len(set(exercise_ids)) != len(exercise_ids):
        raise ExerciseError(f"exercise ids repeat: {exercise_ids}")
    if quiz is not None:
        quiz = validate_quiz(quiz)
        if QUIZ_NOTEBOOK in exercise_ids:
            raise ExerciseError(f"exercise id {QUIZ_NOTEBOOK!r} is reserved for the quick-check quiz")
    if not exercise_ids and quiz is None:
        raise ExerciseError("nothing to build: no exercises and no quiz")

    course_dir = Path(course_dir)
    source = layout.source_dir(course_dir, lesson_id)
    names = [f"{e}.ipynb" for e in exercise_ids] + ([f"{QUIZ_NOTEBOOK}.ipynb"] if quiz else [])
    course_id = course_id or lesson_id

    # The whole plan first, in memory: every notebook made, and what the course would lose
    # checked; only then is anything written, so a refused build leaves the course as it was.
    made_notebooks, points = [], 0
    for exercise_id in exercise_ids:
        nb, resources = run(MAKE_EXERCISE, resources={
            "exercises_dir": Path(exercises_dir), "exercise_id": exercise_id,
            "output_path": source / f"{exercise_id}.ipynb"})
        made_notebooks.append((nb, resources))
        points += resources["exercise"].points
    if quiz is not None:
        made_notebooks.append(run(MAKE_QUIZ, resources={"quiz": quiz, "output_path": source / f"{QUIZ_NOTEBOOK}.ipynb"}))
        points += quiz.points
    _refuse_dropping_handed_in(course_dir, lesson_id, names)

    from .. import signals

    made = {"release": None, "reason": None}
    with signals.held():      # the course is written in place: a Ctrl-C waits until it is whole
        _remove_stale(source, keep=set(names))
        write_config(course_dir, course_id, timeout)
        for nb, resources in made_notebooks:
            write_notebook(nb, resources)
        if release:
            from ..nbgrader.release import make_release

            made = make_release(course_dir, lesson_id, course_id)
    return {"course": course_dir, "course_id": course_id, "assignment": lesson_id, "notebooks": names,
            "points": int(points) if float(points).is_integer() else points,
            "release": made["release"], "release_reason": made["reason"]}


def _refuse_dropping_handed_in(course_dir: Path, assignment: str, names: list[str]) -> None:
    """A notebook the gradebook holds submissions of cannot leave the assignment (nbgrader refuses,
    after its --force has deleted release/<a>/): say so before anything is written."""
    from ..errors import BuildError
    from ..nbgrader.release import graded_notebooks_gone

    gone = graded_notebooks_gone(course_dir, assignment, [n[:-len(".ipynb")] for n in names])
    if gone:
        field = "lesson.quiz" if gone == [QUIZ_NOTEBOOK] else "lesson.exercises"
        raise BuildError(
            f"{field}: {', '.join(gone)} dropped, but assignment {assignment} of the course "
            f"{course_dir} has submissions of {'it' if len(gone) == 1 else 'them'} (nbgrader cannot drop a "
            "handed-in notebook); nothing was written. Put the exercise back in the lesson's exercises, or give "
            "the changed lesson a new id (a new assignment)")


def _remove_stale(source: Path, keep: set[str]) -> None:
    """Make source/<assignment>/ hold only what this build writes (a re-build may drop notebooks)."""
    if not source.is_dir():
        return
    for path in sorted(source.iterdir()):
        if path.name in keep and path.is_file():
            continue
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()
