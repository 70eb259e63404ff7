"""The exercise emitter: a chain of small steps over ``(notebook, resources)``.

Each step is a function ``step(nb, resources) -> (nb, resources)`` in the style of nbconvert
preprocessors; :func:`run` applies a chain. Cells are built with a private ``deckc`` metadata
entry saying what they are (text, setup code, solution, test); :func:`assign_nbgrader_metadata`
turns that into nbgrader's schema-3 cell metadata (deckc.nbgrader.cells) and :func:`normalise`
fixes everything that must be byte-identical across builds (cell ids, notebook metadata, no
outputs). The cells' code is cell_sources.py's.

Chains:
- :data:`EXERCISE_STEPS`: one exercise folder -> one source notebook (:data:`MAKE_EXERCISE`
  without the write);
- quiz.QUIZ_STEPS: the lesson's quick-check question -> one source notebook.

Nothing here imports nbgrader.
"""
from __future__ import annotations

import copy
import inspect
import re
from pathlib import Path

import nbformat
import numpy as np
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from ..nbgrader import cells
from . import sources
from .cell_sources import function_text, helpers_source, number, test_cell_source

CELL_ID = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


def run(steps, nb=None, resources=None):
    """Apply a chain of steps to (nb, resources); a new empty notebook if nb is None."""
    nb = new_notebook() if nb is None else nb
    resources = {} if resources is None else resources
    for step in steps:
        nb, resources = step(nb, resources)
    return nb, resources


# --------------------------------------------------------------------------- exercise steps


def load_sources(nb, resources):
    """resources: exercises_dir, exercise_id -> exercise (sources.Exercise)."""
    resources["exercise"] = sources.load_exercise(Path(resources["exercises_dir"]), resources["exercise_id"])
    return nb, resources


def compute_references(nb, resources):
    """Run the reference solution on each hidden test's seeded inputs.

    resources["references"][test] = (inputs, expected). The seeds are derived from the exercise
    and test names (sources.seed_for) and are never written anywhere.
    """
    exercise = resources["exercise"]
    references = {}
    for func in exercise.functions:
        reference = getattr(exercise.solution, func.name)
        for test in func.tests:
            if not test.hidden:
                continue
            make_inputs = getattr(exercise.hidden, f"inputs_{test.name}")
            inputs = make_inputs(np.random.default_rng(sources.seed_for(exercise.id, test.name)))
            if not isinstance(inputs, dict):
                raise sources.ExerciseError(f"{exercise.path}: inputs_{test.name} must return a dict of arguments")
            _check_positional(reference, inputs, f"{exercise.path}: inputs_{test.name}")
            with np.errstate(over="raise", divide="raise", invalid="raise", under="ignore"):
                expected = reference(*copy.deepcopy(list(inputs.values())))
            _check_plain(expected, f"{exercise.id}: {func.name}(*inputs_{test.name}(rng).values())")
            references[test.name] = (inputs, expected)
    resources["references"] = references
    return nb, resources


def add_intro(nb, resources):
    exercise = resources["exercise"]
    nb.cells.append(text_cell("intro", exercise.intro))
    return nb, resources


def add_setup(nb, resources):
    """The imports of solution.py and the test helpers students need to run the visible tests."""
    exercise = resources["exercise"]
    if exercise.imports:
        nb.cells.append(setup_cell("imports", exercise.imports))
    nb.cells.append(setup_cell(
        "test_helpers",
        "# Test helpers used by the test cells below. Run this cell, but don't change it: when your\n"
        "# work is graded, every test cell uses the grader's own copy of these helpers.\n"
        + helpers_source()))
    return nb, resources


def add_parts(nb, resources):
    """Per graded function: its text, its solution cell, then one grade cell per test."""
    exercise = resources["exercise"]
    references = resources.get("references", {})
    earlier = []
    for func in exercise.functions:
        nb.cells.append(text_cell(f"about_{func.name}", function_text(func)))
        nb.cells.append(with_role(new_code_cell(func.source), role=cells.ROLE_SOLUTION, grade_id=func.name))
        for test in func.tests:
            source = test_cell_source(exercise, func, test, earlier, references.get(test.name))
            nb.cells.append(with_role(new_code_cell(source), role=cells.ROLE_TEST, grade_id=test.name,
                                      points=test.points))
        earlier.append(func)
    return nb, resources


# --------------------------------------------------------------------------- common steps


def assign_nbgrader_metadata(nb, resources):
    """Turn each cell's deckc role into nbgrader cell metadata (schema version 3)."""
    for c in nb.cells:
        info = c.metadata.pop("deckc")
        role = info["role"]
        points = number(info["points"]) if role == cells.ROLE_TEST else None
        cells.set_metadata(c, cells.deckc_metadata(role, info["id"], points))
        problem = cells.marker_problem(c.source, role)
        if problem:
            raise sources.ExerciseError(f"cell {info['id']}: {problem}")
    return nb, resources


def normalise(nb, resources):
    """Everything that makes two builds byte-identical: fixed ids, metadata, no outputs."""
    seen = set()
    for c in nb.cells:
        grade_id = cells.grade_id(c)
        if not CELL_ID.match(grade_id) or grade_id in seen:
            raise sources.ExerciseError(f"bad or duplicate cell id {grade_id!r}")
        seen.add(grade_id)
        c.id = grade_id
        c.source = c.source.rstrip() if c.cell_type == "code" else c.source.strip()
        if c.cell_type == "code":
            c.outputs = []
            c.execution_count = None
        c.metadata = nbformat.from_dict(cells.only_nbgrader_metadata(c))
    nb.metadata = nbformat.from_dict({"kernelspec": dict(KERNELSPEC), "language_info": {"name": "python"}})
    nb.nbformat, nb.nbformat_minor = 4, 5
    nbformat.validate(nb)
    return nb, resources


def write_notebook(nb, resources):
    """Write to resources["output_path"]: sorted keys, one trailing newline, only if changed."""
    path = Path(resources["output_path"])
    text = nbformat.writes(nb, version=4) + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")
    return nb, resources


# MAKE_EXERCISE builds the notebook in memory; build_course writes every notebook of a lesson
# only once all of them are made (a bad exercise then leaves the course as it was).
MAKE_EXERCISE = (load_sources, compute_references, add_intro, add_setup, add_parts,
                 assign_nbgrader_metadata, normalise)
EXERCISE_STEPS = MAKE_EXERCISE + (write_notebook,)


# --------------------------------------------------------------------------- small helpers


def with_role(cell, role, grade_id, points=None):
    """A new cell with its deckc role (assign_nbgrader_metadata turns it into nbgrader's)."""
    cell.metadata["deckc"] = {"role": role, "id": grade_id, "points": points}
    return cell


def text_cell(grade_id, text):
    return with_role(new_markdown_cell(text), role=cells.ROLE_TEXT, grade_id=grade_id)


def setup_cell(grade_id, source):
    return with_role(new_code_cell(source), role=cells.ROLE_SETUP, grade_id=grade_id)


def _check_plain(value, what):
    """Reference outputs must be plain floats arrays (or tuples of them), finite."""
    if isinstance(value, tuple):
        for v in value:
            _check_plain(v, what)
        return
    if not isinstance(value, np.ndarray) or value.dtype.kind != "f" or not np.all(np.isfinite(value)):
        raise sources.ExerciseError(f"{what} must return finite float arrays (or a tuple of them)")


def _check_positional(fn, inputs, what):
    """Hidden tests call the student's function positionally (the contract is the order of the
    parameters, not their names): the inputs' keys must be its leading parameters, in order."""
    params = [p.name for p in inspect.signature(fn).parameters.values()
              if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if list(inputs) != params[:len(inputs)]:
        raise sources.ExerciseError(f"{what} must return the arguments of {fn.__name__} in the order of its "
                                    f"parameters ({', '.join(params)}); got {', '.join(inputs)}")
