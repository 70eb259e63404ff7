"""The exercise emitter: a chain of small steps over ``(notebook, resources)``.

Each step is a function ``step(nb, resources) -> (nb, resources)`` in the style of nbconvert
preprocessors; :func:`run` applies a chain. Cells are built with a private ``deckc`` metadata
entry saying what they are (text, setup code, solution, test); :func:`assign_nbgrader_metadata`
turns that into nbgrader's schema-3 cell metadata and :func:`normalise` fixes everything that
must be byte-identical across builds (cell ids, notebook metadata, no outputs).

Chains:
- :data:`EXERCISE_STEPS`: one exercise folder -> one source notebook;
- :data:`QUIZ_STEPS`: the lesson's quick-check question -> one source notebook.

Nothing here imports nbgrader.
"""
from __future__ import annotations

import ast
import copy
import inspect
import math
import re
import textwrap
from pathlib import Path

import nbformat
import numpy as np
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from . import checks, sources

HIDDEN_BEGIN = "### BEGIN HIDDEN TESTS"
HIDDEN_END = "### END HIDDEN TESTS"
SCHEMA_VERSION = 3
LETTERS = "ABCDEFGHIJ"
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
    nb.cells.append(_text_cell("intro", exercise.intro))
    return nb, resources


def add_setup(nb, resources):
    """The imports of solution.py and the test helpers students need to run the visible tests."""
    exercise = resources["exercise"]
    if exercise.imports:
        nb.cells.append(_setup_cell("imports", exercise.imports))
    nb.cells.append(_setup_cell(
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
        nb.cells.append(_text_cell(f"about_{func.name}", _function_text(func)))
        nb.cells.append(_cell(new_code_cell(func.source), role="solution", grade_id=func.name))
        for test in func.tests:
            source = test_cell_source(exercise, func, test, earlier, references.get(test.name))
            nb.cells.append(_cell(new_code_cell(source), role="test", grade_id=test.name, points=test.points))
        earlier.append(func)
    return nb, resources


# --------------------------------------------------------------------------- quiz steps


def add_quiz(nb, resources):
    """resources["quiz"] = {question, options: [...], answer: letter, points?} -> three cells."""
    quiz = validate_quiz(resources["quiz"])
    letters = LETTERS[:len(quiz["options"])]
    allowed = ", ".join(repr(x) for x in letters)
    options = "\n".join(f"- **{letter}.** {text}" for letter, text in zip(letters, quiz["options"]))
    nb.cells.append(_text_cell("quick_check_question", (
        "# Quick check\n\n"
        f"**{quiz['question']}**\n\n{options}\n\n"
        "In the cell below, set `answer` to the letter of your choice as a string, for example "
        f"`answer = \"{letters[-1]}\"`. The test cell after it checks that your answer is one of "
        f"{allowed}; whether it is right is checked when your work is graded.")))
    nb.cells.append(_cell(new_code_cell(
        "# Your answer: one letter, as a string.\n"
        "### BEGIN SOLUTION\n"
        f"answer = {quiz['answer']!r}\n"
        "### END SOLUTION"), role="solution", grade_id="quick_check_answer"))
    visible = (
        "def test_quick_check(answer):\n"
        "    if not isinstance(answer, str) or answer.strip().upper().rstrip('.)') not in "
        f"{tuple(letters)!r}:\n"
        f"        raise AssertionError(f\"answer is {{answer!r}}; expected one of {allowed}\")\n")
    graded = (
        "def test_quick_check(answer):\n"
        "    if type(answer) is not str:\n"
        f"        raise AssertionError(f\"answer is a {{type(answer).__name__}}; expected a string, one of {allowed}\")\n"
        "    letter = answer.strip().upper().rstrip('.)')\n"
        f"    if letter not in {tuple(letters)!r}:\n"
        f"        raise AssertionError(f\"answer is {{answer!r}}; expected one of {allowed}\")\n"
        f"    if letter != {quiz['answer']!r}:\n"
        "        raise AssertionError(f\"{letter} is not the best answer to this question\")\n")
    source = "\n".join([
        f"# Test quick_check ({_points(quiz['points'])}): your answer is one of {allowed}; "
        "whether it is right is checked when your work is graded.",
        visible,
        HIDDEN_BEGIN,
        _grader_block(graded, {"test_quick_check": "test_quick_check"}),
        HIDDEN_END,
        "test_quick_check(answer)",
    ])
    nb.cells.append(_cell(new_code_cell(source), role="test", grade_id="quick_check", points=quiz["points"]))
    return nb, resources


def validate_quiz(quiz) -> dict:
    if not isinstance(quiz, dict):
        raise ValueError("quiz must be a mapping with question, options and answer")
    question, options, answer = quiz.get("question"), quiz.get("options"), quiz.get("answer")
    if not isinstance(question, str) or not question.strip():
        raise ValueError("quiz.question must be a non-empty string")
    if (not isinstance(options, (list, tuple)) or not 2 <= len(options) <= len(LETTERS)
            or not all(isinstance(o, str) and o.strip() for o in options)):
        raise ValueError(f"quiz.options must be a list of 2 to {len(LETTERS)} non-empty strings")
    letters = LETTERS[:len(options)]
    if not isinstance(answer, str) or answer.strip().upper() not in letters:
        raise ValueError(f"quiz.answer must be one of {', '.join(letters)}")
    points = quiz.get("points", 1)
    if not isinstance(points, (int, float)) or isinstance(points, bool) or not points > 0:
        raise ValueError("quiz.points must be a positive number")
    return {"question": " ".join(question.split()), "options": [" ".join(o.split()) for o in options],
            "answer": answer.strip().upper(), "points": points}


# --------------------------------------------------------------------------- common steps


def assign_nbgrader_metadata(nb, resources):
    """Turn each cell's deckc role into nbgrader cell metadata (schema version 3)."""
    for cell in nb.cells:
        info = cell.metadata.pop("deckc")
        role, grade_id = info["role"], info["grade_id"]
        meta = {"grade": role == "test", "grade_id": grade_id, "locked": role in ("text", "setup", "test"),
                "schema_version": SCHEMA_VERSION, "solution": role == "solution", "task": False}
        if role == "test":
            meta["points"] = _number(info["points"])
        cell.metadata["nbgrader"] = meta
        _check_markers(cell, role)
    return nb, resources


def normalise(nb, resources):
    """Everything that makes two builds byte-identical: fixed ids, metadata, no outputs."""
    seen = set()
    for cell in nb.cells:
        grade_id = cell.metadata["nbgrader"]["grade_id"]
        if not CELL_ID.match(grade_id) or grade_id in seen:
            raise sources.ExerciseError(f"bad or duplicate cell id {grade_id!r}")
        seen.add(grade_id)
        cell.id = grade_id
        cell.source = cell.source.rstrip() if cell.cell_type == "code" else cell.source.strip()
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        cell.metadata = nbformat.from_dict({"nbgrader": cell.metadata["nbgrader"]})
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


EXERCISE_STEPS = (load_sources, compute_references, add_intro, add_setup, add_parts,
                  assign_nbgrader_metadata, normalise, write_notebook)
QUIZ_STEPS = (add_quiz, assign_nbgrader_metadata, normalise, write_notebook)


# --------------------------------------------------------------------------- cell sources


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
            f"# Test {test.name} ({_points(test.points)}): {test.doc}",
            test.source, "", "",
            HIDDEN_BEGIN,
            _grader_block("\n\n".join(payload), {f"test_{test.name}": f"test_{test.name}", "on_its_own": "on_its_own"}),
            HIDDEN_END,
            f"test_{test.name}({call})",
        ])
    if reference is None:
        raise sources.ExerciseError(f"{exercise.id}: no reference outputs for hidden test {test.name}")
    inputs, expected = reference
    data = ("# Seeded inputs and the reference solution's outputs, computed by deckc at build time.\n"
            f"import numpy as np\n\ninputs = {literal(inputs)}\nexpected = {literal(expected)}\n")
    return "\n".join([
        f"# Hidden test {test.name} ({_points(test.points)}): {test.doc} It runs when your work is graded.",
        HIDDEN_BEGIN,
        _grader_block("\n\n".join([data] + payload), {}),
        f"_deckc_grader['test_{test.name}'](_deckc_grader['on_its_own']({func.name}), "
        "_deckc_grader['inputs'], _deckc_grader['expected'])",
        HIDDEN_END,
    ])


def _grader_block(code: str, bindings: dict[str, str]) -> str:
    """Code that runs `code` in a namespace of its own (nothing a student cell defines, such as
    np, isinstance or a helper, can change what it does), then binds names from it."""
    lines = [
        "# Grading runs the test and its helpers in a namespace of their own.",
        "_deckc_grader = {}",
        f"exec(compile({_string_literal(code)}, 'deckc-grader', 'exec'), _deckc_grader)",
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


def _string_literal(text: str) -> str:
    for quote in ("'''", '"""'):
        if quote not in text and "\\" not in text and not text.endswith(quote[0]):
            return f"r{quote}\n{text}{quote}"
    return repr(text)


def literal(value, indent: int = 0) -> str:
    """Python source that evaluates to `value` (arrays, tuples, dicts, numbers), exactly."""
    pad = " " * indent
    if isinstance(value, np.ndarray):
        if value.dtype == bool:
            dtype = "bool"
        elif value.dtype.kind in "fiu":
            dtype = f"np.{value.dtype.name}"
        else:
            raise TypeError(f"cannot embed arrays of dtype {value.dtype}")
        if value.size == 0:
            return f"np.zeros({tuple(value.shape)!r}, dtype={dtype})"
        if value.ndim <= 1:
            return f"np.array({_nested(value, 0)}, dtype={dtype})"
        return f"np.array(\n{pad}    {_nested(value, indent + 4)},\n{pad}    dtype={dtype})"
    if isinstance(value, dict):
        items = [f"{pad}    {k!r}: {literal(v, indent + 4)}," for k, v in value.items()]
        return "{\n" + "\n".join(items) + f"\n{pad}}}"
    if isinstance(value, (tuple, list)):
        items = [f"{pad}    {literal(v, indent + 4)}," for v in value]
        open_, close = ("(", ")") if isinstance(value, tuple) else ("[", "]")
        return open_ + "\n" + "\n".join(items) + f"\n{pad}{close}"
    return _scalar(value)


def _nested(a: np.ndarray, indent: int) -> str:
    if a.ndim == 0:
        return _scalar(a.item())
    if a.ndim == 1:
        return "[" + ", ".join(_scalar(x) for x in a.tolist()) + "]"
    inner = (",\n" + " " * (indent + 1)).join(_nested(sub, indent + 1) for sub in a)
    return "[" + inner + "]"


def _scalar(x) -> str:
    if isinstance(x, (bool, np.bool_)) or x is None or isinstance(x, str):
        return repr(x.item() if isinstance(x, np.bool_) else x)
    if isinstance(x, (int, np.integer)):
        return repr(int(x))
    if isinstance(x, (float, np.floating)):
        x = float(x)
        if math.isnan(x):
            return "float('nan')"
        if math.isinf(x):
            return "float('inf')" if x > 0 else "-float('inf')"
        return repr(x)
    raise TypeError(f"cannot embed {type(x).__name__}")


# --------------------------------------------------------------------------- small helpers


def _cell(cell, role, grade_id, points=None):
    cell.metadata["deckc"] = {"role": role, "grade_id": grade_id, "points": points}
    return cell


def _text_cell(grade_id, text):
    return _cell(new_markdown_cell(text), role="text", grade_id=grade_id)


def _setup_cell(grade_id, source):
    return _cell(new_code_cell(source), role="setup", grade_id=grade_id)


def _function_text(func) -> str:
    text = func.text or f"## `{func.name}`"
    lines = [f"- `{t.name}` ({_points(t.points)}, {'hidden' if t.hidden else 'visible'}): {t.doc}"
             for t in func.tests]
    total = _points(sum(t.points for t in func.tests))
    return f"{text}\n\nGraded by these test cells ({total} in all):\n\n" + "\n".join(lines)


def _points(points) -> str:
    points = _number(points)
    return f"{points} point" + ("" if points == 1 else "s")


def _number(x):
    return int(x) if float(x).is_integer() else float(x)


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


def _check_markers(cell, role):
    """nbgrader's markers must appear only where nbgrader expects them."""
    text = cell.source
    if role != "solution" and ("BEGIN SOLUTION" in text or "END SOLUTION" in text):
        raise sources.ExerciseError(f"cell {cell.metadata['nbgrader']['grade_id']}: solution markers outside a solution cell")
    hidden = [line for line in text.split("\n") if "HIDDEN TESTS" in line]
    if hidden and (role != "test" or hidden != [HIDDEN_BEGIN, HIDDEN_END]):
        raise sources.ExerciseError(f"cell {cell.metadata['nbgrader']['grade_id']}: unexpected hidden-test markers")
