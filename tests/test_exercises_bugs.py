"""Students' common mistakes, run against the VISIBLE tests as a student runs them.

Each tests/bugs/<mistake>.ipy is one mistake in the zoo's format (tests/zoo/README.md) with a line
`# caught by: <visible test>: <words of the hint>`: that visible test must fail on it, and its message
must name the fix, before the student submits. Each mistake must also fail a hidden test (so the
file is a real bug, and grading agrees). The correct zoo submissions pass every visible test.

The visible tests run exactly as in the notebook: the pasted helpers cell, then the test's own
source, called with the student's function; the student's functions call each other (no
on_its_own routing: that happens only at grading).
"""
from __future__ import annotations

import copy
import re
from pathlib import Path

import numpy as np
import pytest

from deckc.exercises import load_exercise
from deckc.exercises.sources import seed_for
from deckc.exercises.cell_sources import helpers_source

from test_exercises_zoo import CORRECT, parse_zoo

ROOT = Path(__file__).resolve().parents[1]
BUGS = Path(__file__).parent / "bugs"
ZOO = Path(__file__).parent / "zoo"
EXERCISES = {name: load_exercise(ROOT / "exercises", name) for name in ("rnn_step", "attention")}


def student_namespace(exercise, cells: dict) -> dict:
    """The student's notebook after running every cell: the reference for cells the file leaves out."""
    ns: dict = {}
    exec(exercise.imports, ns)
    for function in exercise.functions:
        exec(cells.get(function.name, function.reference_source), ns)
    return ns


def run_tests(exercise, ns: dict, hidden: bool) -> dict[str, str]:
    """{test name: failure message} for the tests of one notebook that fail."""
    failures = {}
    for function in exercise.functions:
        for test in function.tests:
            if test.hidden != hidden:
                continue
            cell: dict = {}
            exec(helpers_source(), cell)       # the read-only helpers cell
            exec(test.source, cell)            # the grade cell's visible code
            args = [ns[function.name]]
            if hidden:
                rng = np.random.default_rng(seed_for(exercise.id, test.name))
                inputs = getattr(exercise.hidden, f"inputs_{test.name}")(rng)
                reference = getattr(exercise.solution, function.name)
                args += [inputs, reference(**copy.deepcopy(inputs))]
            try:
                cell[f"test_{test.name}"](*args)
            except Exception as exc:  # noqa: BLE001 - a student's error of any kind fails the cell
                failures[test.name] = f"{type(exc).__name__}: {exc}"
    return failures


def owner(cells: dict) -> str:
    names = {e.id for e in EXERCISES.values() for f in e.functions if f.name in cells}
    assert len(names) == 1, f"one notebook per bug file, not {names}"
    return names.pop()


BUG_FILES = sorted(p.stem for p in BUGS.glob("*.ipy"))


@pytest.mark.parametrize("bug", BUG_FILES)
def test_a_common_bug_fails_a_visible_test_that_names_the_fix(bug):
    text = (BUGS / f"{bug}.ipy").read_text(encoding="utf-8")
    m = re.search(r"^# caught by: *(\w+): *(.+)$", text, flags=re.M)
    assert m, f"{bug}.ipy needs a '# caught by: <test>: <hint>' line"
    test_name, hint = m.group(1), m.group(2).strip()
    cells = parse_zoo(BUGS / f"{bug}.ipy")["cells"]
    exercise = EXERCISES[owner(cells)]
    ns = student_namespace(exercise, cells)
    visible = run_tests(exercise, ns, hidden=False)
    assert test_name in visible, f"{bug}: visible {test_name} passes; failing: {visible}"
    assert hint in visible[test_name], f"{bug}: {test_name} says {visible[test_name]!r}"
    assert "gufunc" not in visible[test_name].split("(numpy said")[0]
    hidden = run_tests(exercise, ns, hidden=True)
    assert hidden, f"{bug}: passes every hidden test, so it is not a bug grading sees"


@pytest.mark.parametrize("student", CORRECT)
def test_correct_submissions_pass_every_visible_and_hidden_test(student):
    cells = parse_zoo(ZOO / f"{student}.ipy")["cells"]
    for exercise in EXERCISES.values():
        ns = student_namespace(exercise, cells)
        assert run_tests(exercise, ns, hidden=False) == {}, student
        assert run_tests(exercise, ns, hidden=True) == {}, student


def test_the_common_bugs_cover_the_issue_s_list():
    """The mistakes issue 17 names are all in tests/bugs (a file deleted would silently drop one)."""
    assert {"rnn_whh_transposed", "rnn_forward_shifted", "grad_no_transpose", "grad_off_by_one",
            "grad_one_minus_h", "softmax_global_max", "softmax_ignores_axis", "attention_k_not_transposed",
            "attention_mask_after_softmax", "self_attention_drops_mask"} <= set(BUG_FILES)
