"""The source of the cells deckc writes: grade cells with their hidden parts, the helpers cell,
the text above each graded function.

A grade cell runs its test in a namespace of its own (:func:`grader_block`), so nothing a
student's cell defines can change what the test does; the hidden part (between nbgrader's
hidden-test markers, deckc.nbgrader.cells) holds the grading copy of the test and, for a hidden
test, its seeded inputs and the reference outputs.
"""
from __future__ import annotations

import ast
import textwrap
from pathlib import Path

from ..nbgrader import cells
from . import checks, sources
from .literals import literal, string_literal


def helpers_source() -> str:
    """deckc/exercises/checks.py without its module docstring: what the notebooks paste."""
    text = Path(checks.__file__).read_text(encoding="utf-8")
    body = ast.parse(text).body
    first = body[1] if isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) else body[0]
    return "\n".join(text.split("\n")[first.lineno - 1:]).strip() + "\n"


def test_cell_source(exercise, func, test, earlier, reference) -> str:
    """The source of one grade cell.

    A visible test shows its function and the call; its hidden part re-creates the test and the
    helpers privately for grading. A hidden test is entirely inside the hidden part, with the
    seeded inputs and the reference outputs.
    """
    call = f"on_its_own({func.name})" if earlier else func.name
    payload = [helpers_source()]
    if earlier:
        payload.append(_references_source(exercise, earlier))
    payload.append(test.source)
    if not test.hidden:
        return "\n".join([
            f"# Test {test.name} ({points_text(test.points)}): {test.doc}",
            test.source, "", "",
            cells.HIDDEN_BEGIN,
            grader_block("\n\n".join(payload), {f"test_{test.name}": f"test_{test.name}", "on_its_own": "on_its_own"}),
            cells.HIDDEN_END,
            f"test_{test.name}({call})",
        ])
    if reference is None:
        raise sources.ExerciseError(f"{exercise.id}: no reference outputs for hidden test {test.name}")
    inputs, expected = reference
    data = ("# Seeded inputs and the reference solution's outputs, computed by deckc at build time.\n"
            f"import numpy as np\n\ninputs = {literal(inputs)}\nexpected = {literal(expected)}\n")
    return "\n".join([
        f"# Hidden test {test.name} ({points_text(test.points)}): {test.doc} It runs when your work is graded.",
        cells.HIDDEN_BEGIN,
        grader_block("\n\n".join([data] + payload), {}),
        f"_deckc_grader['test_{test.name}'](_deckc_grader['on_its_own']({func.name}), "
        "_deckc_grader['inputs'], _deckc_grader['expected'])",
        cells.HIDDEN_END,
    ])


def grader_block(code: str, bindings: dict[str, str]) -> str:
    """Code that runs `code` in a namespace of its own (nothing a student cell defines, such as
    np, isinstance or a helper, can change what it does), then binds names from it."""
    lines = [
        "# Grading runs the test and its helpers in a namespace of their own.",
        "_deckc_grader = {}",
        f"exec(compile({string_literal(code)}, 'deckc-grader', 'exec'), _deckc_grader)",
    ]
    for name, key in bindings.items():
        lines.append(f"{name} = _deckc_grader[{key!r}]")
    return "\n".join(lines)


def _references_source(exercise, earlier) -> str:
    """The reference versions of the earlier functions, and on_its_own routing calls to them."""
    body = [exercise.imports] if exercise.imports else []
    body += [f.reference_source for f in earlier]
    body.append("return {" + ", ".join(f"{f.name!r}: {f.name}" for f in earlier) + "}")
    return ("def _reference_functions():\n"
            '    """The reference versions of the earlier functions of this notebook."""\n'
            + textwrap.indent("\n\n".join(body), "    ") + "\n\n\n"
            "def on_its_own(fn, _references=_reference_functions()):\n"
            "    return isolate(fn, _references)\n")


def function_text(func) -> str:
    text = func.text or f"## `{func.name}`"
    lines = [f"- `{t.name}` ({points_text(t.points)}, {'hidden' if t.hidden else 'visible'}): {t.doc}"
             for t in func.tests]
    total = points_text(sum(t.points for t in func.tests))
    return f"{text}\n\nGraded by these test cells ({total} in all):\n\n" + "\n".join(lines)


def points_text(points) -> str:
    points = number(points)
    return f"{points} point" + ("" if points == 1 else "s")


def number(x):
    return int(x) if float(x).is_integer() else float(x)
