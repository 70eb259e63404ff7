"""The submission zoo: real `nbgrader autograde` on correct, wrong, broken and cheating submissions.

Builds the course (rnn_step + attention + the quick check) into a temporary folder, turns each
tests/zoo/<student>.ipy into submitted/<student>/<assignment>/, autogrades everything with the
real nbgrader (two course copies in parallel, to use both CI cores), and checks every student's
score on every part against the table below: full marks for every correct submission, and for
every wrong one exactly the parts it gets wrong.
"""
from __future__ import annotations

import re
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest

from deckc.exercises import build_course
from deckc.nbgrader.command import nbgrader

from conftest import seed_quiz

ROOT = Path(__file__).resolve().parents[1]
ZOO = Path(__file__).parent / "zoo"
ASSIGNMENT = "rnn-vs-attention"
EXERCISES = ["rnn_step", "attention"]
QUIZ = seed_quiz()
TIMEOUT = 5  # seconds per cell while autograding here (the course default is 30)

RNN_STEP = {"rnn_step_shape", "rnn_step_worked_example", "rnn_step_batch", "rnn_step_unbatched"}
SOFTMAX = {"softmax_rows_sum_to_one", "softmax_worked_example", "softmax_along_axis", "softmax_large_logits",
           "softmax_random", "softmax_axis", "softmax_stable"}
ATTENTION_VALUES = {"attention_worked_example", "attention_batched_mask", "attention_random", "attention_batched",
                    "attention_mask", "attention_stable"}

# Parts each student loses (score 0); every other part of a submitted notebook earns full marks.
CORRECT = ["reference", "einsum", "float32", "loops", "warnings"]
LOST = {
    "rnn_transposed_whh": {"rnn_step_worked_example", "rnn_step_batch", "rnn_step_unbatched"},
    "rnn_transposed_wxh": RNN_STEP,
    "no_tanh": {"rnn_step_worked_example", "rnn_step_batch", "rnn_step_unbatched"},
    "syntax_error": RNN_STEP,
    "infinite_loop": {"gradient_norms_linear_case", "gradient_norms_worked_example", "gradient_norms_random"},
    "edited_tests": {"rnn_step_worked_example", "rnn_step_batch", "rnn_step_unbatched"},
    "no_sqrt": ATTENTION_VALUES,
    "softmax_wrong_axis": ATTENTION_VALUES,
    "mask_ignored": {"attention_worked_example", "attention_batched_mask", "attention_mask"},
    "unstable_softmax": {"softmax_large_logits", "softmax_stable"},
    "crash_in_call": SOFTMAX,
    "always_equal": RNN_STEP | ATTENTION_VALUES | {"quick_check"},
    "quiz_wrong": {"quick_check"},
    # A dead kernel stops nbgrader: rnn_step.ipynb (graded last) gets no autograde at all.
    "crash_at_top": set(),
}
DEAD_KERNEL = {"crash_at_top": "rnn_step"}
EXTRA_SECONDS = {"infinite_loop": 2 * TIMEOUT}  # for balancing the two autograde runs


def parse_zoo(path: Path) -> dict:
    """A zoo file -> {"cells": {grade_id: source}, "tests": {notebook: source}, "submit": [...]}."""
    text = path.read_text(encoding="utf-8")
    head, *sections = re.split(r"^# %% ", text, flags=re.M)
    submit = None
    m = re.search(r"^# submit: *(.+)$", head, flags=re.M)
    if m:
        submit = [s.strip() for s in m.group(1).split(",")]
    cells, tests = {}, {}
    for section in sections:
        title, _, body = section.partition("\n")
        title = title.strip()
        if title.startswith("tests of "):
            tests[title[len("tests of "):]] = body.strip()
        else:
            cells[title] = body.strip()
    return {"cells": cells, "tests": tests, "submit": submit}


def make_submission(course: Path, student: str, zoo: dict, notebooks: dict) -> list[str]:
    """Fill the release notebooks with the zoo cells (reference for the rest); return notebook names."""
    owner = {cell.metadata.nbgrader["grade_id"]: name for name, (_, release) in notebooks.items()
             for cell in release.cells if cell.metadata.get("nbgrader", {}).get("solution")}
    unknown = set(zoo["cells"]) - set(owner)
    assert not unknown, f"{student}: no solution cells {unknown}"
    submit = zoo["submit"] or sorted({owner[g] for g in zoo["cells"]} | set(zoo["tests"]))
    dest = course / "submitted" / student / ASSIGNMENT
    dest.mkdir(parents=True)
    for name in submit:
        source, release = notebooks[name]
        reference = {c.metadata.nbgrader["grade_id"]: c.source for c in source.cells
                     if c.metadata.get("nbgrader", {}).get("solution")}
        nb = nbformat.from_dict(release)
        for cell in nb.cells:
            meta = cell.metadata.get("nbgrader", {})
            if meta.get("solution"):
                cell.source = zoo["cells"].get(meta["grade_id"], reference[meta["grade_id"]])
            elif meta.get("grade") and name in zoo["tests"]:
                cell.source = zoo["tests"][name]
        nbformat.write(nb, dest / f"{name}.ipynb")
    return submit


def read_grades(course: Path) -> dict:
    """{student: {notebook: {part: (score, max_score, needs_manual_grade)}}} from the gradebook."""
    from nbgrader.api import Gradebook

    out = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for student in gb.students:
            sub = gb.find_submission(ASSIGNMENT, student.id)
            out[student.id] = {nb.name: {g.name: (g.score, g.max_score, g.needs_manual_grade) for g in nb.grades}
                               for nb in sub.notebooks}
    return out


@pytest.fixture(scope="module")
def zoo_run(tmp_path_factory):
    base = tmp_path_factory.mktemp("zoo")
    course_a = base / "course_a"
    build_course(ASSIGNMENT, EXERCISES, ROOT / "exercises", course_a, QUIZ, timeout=TIMEOUT)
    course_b = base / "course_b"
    shutil.copytree(course_a, course_b)

    notebooks = {}
    for path in sorted((course_a / "source" / ASSIGNMENT).glob("*.ipynb")):
        notebooks[path.stem] = (nbformat.read(path, as_version=4),
                                nbformat.read(course_a / "release" / ASSIGNMENT / path.name, as_version=4))
    students = sorted(p.stem for p in ZOO.glob("*.ipy"))
    assert set(students) == set(CORRECT) | set(LOST), "every zoo file needs an expected score"

    # Two course copies, balanced by the work (notebooks to run, timeouts), autograded in parallel.
    zoos = {s: parse_zoo(ZOO / f"{s}.ipy") for s in students}
    cost = {s: len(zoos[s]["submit"] or {1}) * 2 + EXTRA_SECONDS.get(s, 0) for s in students}
    groups, loads, submitted = {course_a: [], course_b: []}, {course_a: 0, course_b: 0}, {}
    for student in sorted(students, key=lambda s: -cost[s]):
        course = min(loads, key=loads.get)
        submitted[student] = make_submission(course, student, zoos[student], notebooks)
        groups[course].append(student)
        loads[course] += len(submitted[student]) * 2 + EXTRA_SECONDS.get(student, 0)

    with ThreadPoolExecutor(2) as pool:
        runs = dict(zip(groups, pool.map(
            lambda c: nbgrader(c, "autograde", ASSIGNMENT, "--force", check=False), groups)))
    grades = {**read_grades(course_a), **read_grades(course_b)}
    return {"grades": grades, "submitted": submitted, "notebooks": notebooks, "runs": runs,
            "groups": groups, "course_of": {s: c for c, ss in groups.items() for s in ss}}


def expected_parts(zoo_run, student):
    """{notebook: {part: expected score}} for one student."""
    out = {}
    for name, (source, _) in zoo_run["notebooks"].items():
        parts = {c.metadata.nbgrader["grade_id"]: c.metadata.nbgrader["points"] for c in source.cells
                 if c.metadata.nbgrader.get("grade")}
        handed_in = name in zoo_run["submitted"][student] and DEAD_KERNEL.get(student) != name
        out[name] = {p: (pts if handed_in and p not in LOST.get(student, ()) else 0) for p, pts in parts.items()}
    return out


@pytest.mark.parametrize("student", CORRECT + sorted(LOST))
def test_zoo_scores(zoo_run, student):
    got = zoo_run["grades"][student]
    want = expected_parts(zoo_run, student)
    observed = {nb: {p: g[0] for p, g in parts.items()} for nb, parts in got.items()}
    assert observed == want, f"{student}: per-part scores differ from the table"
    total = sum(sum(p.values()) for p in want.values())
    assert sum(g[0] for parts in got.values() for g in parts.values()) == total


def test_correct_submissions_get_full_marks(zoo_run):
    full = sum(c.metadata.nbgrader["points"] for source, _ in zoo_run["notebooks"].values()
               for c in source.cells if c.metadata.nbgrader.get("grade"))
    assert full == 36
    for student in CORRECT:
        assert sum(g[0] for parts in zoo_run["grades"][student].values() for g in parts.values()) == full, student
    for student, lost in LOST.items():
        total = sum(g[0] for parts in zoo_run["grades"][student].values() for g in parts.values())
        assert total < full, f"{student} is wrong but scored {total}/{full}"


def test_only_the_dead_kernel_breaks_autograde(zoo_run):
    """nbgrader reports an error for the dead kernel only; its notebook is left for manual grading."""
    logs = "".join(run.stdout + run.stderr for run in zoo_run["runs"].values())
    failed = set(re.findall(r"There was an error processing assignment '[^']*' for student '([^']+)'", logs))
    assert failed == set(DEAD_KERNEL), logs[-3000:]
    for student, notebook in DEAD_KERNEL.items():
        assert all(needs_manual for _, _, needs_manual in zoo_run["grades"][student][notebook].values())
    for course, students in zoo_run["groups"].items():
        expected_rc = 1 if set(students) & set(DEAD_KERNEL) else 0
        assert zoo_run["runs"][course].returncode == expected_rc, zoo_run["runs"][course].stderr[-3000:]


def test_timeout_costs_only_that_part(zoo_run):
    course = zoo_run["course_of"]["infinite_loop"]
    nb = nbformat.read(course / "autograded" / "infinite_loop" / ASSIGNMENT / "rnn_step.ipynb", as_version=4)
    errors = {c.metadata.nbgrader["grade_id"]: [o.ename for o in c.outputs if o.output_type == "error"]
              for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")}
    assert errors["gradient_norms_linear_case"] and errors["gradient_norms_random"]
    assert not any(errors[p] for p in errors if not p.startswith("gradient_norms"))


def test_failure_messages_say_what_was_expected(zoo_run):
    def outputs(student, notebook, part):
        course = zoo_run["course_of"][student]
        nb = nbformat.read(course / "autograded" / student / ASSIGNMENT / f"{notebook}.ipynb", as_version=4)
        cell = next(c for c in nb.cells if c.get("id") == part)
        return "\n".join(f"{o.ename}: {o.evalue}" for o in cell.outputs if o.output_type == "error")

    assert "contains nan or inf" in outputs("unstable_softmax", "attention", "softmax_stable")
    assert "returned AlwaysEqual; expected a numpy array" in outputs("always_equal", "rnn_step", "rnn_step_shape")
    assert "weight to masked-out positions" in outputs("mask_ignored", "attention", "attention_mask")
    message = outputs("no_tanh", "rnn_step", "rnn_step_worked_example")
    assert "rnn_step is wrong: these are the values before the nonlinearity; apply np.tanh" in message
    message = outputs("rnn_transposed_whh", "rnn_step", "rnn_step_worked_example")
    assert "use h_prev @ W_hh" in message  # the visible test names the fix ...
    message = outputs("no_sqrt", "attention", "attention_batched_mask")
    assert "attention's weights with a mask is wrong at" in message and "expected 0.775118" in message
    hidden = outputs("no_tanh", "rnn_step", "rnn_step_batch")
    assert "rnn_step is wrong at" in hidden and "expected" not in hidden.split("allowed")[0]
    assert "tried to end the Python process" in outputs("crash_in_call", "attention", "softmax_random")


def test_feedback_holds_no_hidden_tests_or_reference_values(zoo_run):
    student = "no_tanh"
    course = zoo_run["course_of"][student]
    nbgrader(course, "generate_feedback", ASSIGNMENT, f"--student={student}")
    html = (course / "feedback" / student / ASSIGNMENT / "rnn_step.html").read_text(encoding="utf-8")
    assert "rnn_step is wrong at" in html  # the student sees why a hidden part failed ...
    assert "BEGIN HIDDEN TESTS" not in html and "_deckc_grader" not in html  # ... not the test
    source = zoo_run["notebooks"]["rnn_step"][0]
    for cell in source.cells:
        for number in re.findall(r"-?\d\.\d{10,}", cell.source if "HIDDEN" in cell.source else ""):
            assert number not in html
    assert sorted(p.name for p in (course / "feedback" / student / ASSIGNMENT).iterdir()) == ["rnn_step.html"]
