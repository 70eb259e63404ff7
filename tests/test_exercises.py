"""The exercise emitter (deckc.exercises): sources, cells, metadata, release hygiene, determinism.

Mostly in-process and fast; one module fixture runs the real `nbgrader generate_assignment`
(twice, to check that a re-build into the same folder is safe and byte-identical).
"""
from __future__ import annotations

import copy
import re
import shutil
import subprocess
import sys
import warnings
from dataclasses import replace
from pathlib import Path

import nbformat
import numpy as np
import pytest

from deckc.exercises import ExerciseError, build_course, load_exercise
from deckc.model import QuizOption
from deckc.exercises import checks
from deckc.exercises.sources import load_tests, seed_for
from deckc.exercises.literals import literal
from deckc.exercises.steps import EXERCISE_STEPS, run

from conftest import seed_quiz

ROOT = Path(__file__).resolve().parents[1]
EXERCISES_DIR = ROOT / "exercises"
LESSON = "rnn-vs-attention"
QUIZ = seed_quiz()
# The graded parts: grade id -> points, per notebook, in notebook order.
PARTS = {
    "rnn_step": {"rnn_step_shape": 1, "rnn_step_worked_example": 1, "rnn_step_batch": 2, "rnn_step_unbatched": 1,
                 "rnn_forward_shape": 1, "rnn_forward_worked_example": 1, "rnn_forward_sequence": 2,
                 "rnn_forward_unbatched": 1, "gradient_norms_linear_case": 1, "gradient_norms_worked_example": 1,
                 "gradient_norms_random": 2},
    "attention": {"softmax_rows_sum_to_one": 1, "softmax_worked_example": 1, "softmax_along_axis": 1,
                  "softmax_large_logits": 1, "softmax_random": 1, "softmax_axis": 1, "softmax_stable": 1,
                  "attention_shapes": 1, "attention_worked_example": 1, "attention_batched_mask": 1,
                  "attention_random": 2, "attention_batched": 1, "attention_mask": 2, "attention_stable": 1,
                  "self_attention_shapes": 1, "self_attention_causal_example": 1, "self_attention_random": 2,
                  "self_attention_causal": 1},
    "quick_check": {"quick_check": 1},
}


def nbgrader_meta(cell):
    return cell.metadata["nbgrader"]


def read(path):
    return nbformat.read(path, as_version=4)


@pytest.fixture(scope="module")
def source_only(tmp_path_factory):
    course = tmp_path_factory.mktemp("source_only") / "course"
    result = build_course(LESSON, ["rnn_step", "attention"], EXERCISES_DIR, course, QUIZ, release=False)
    return result


@pytest.fixture(scope="module")
def released(tmp_path_factory):
    """A real build (nbgrader generate_assignment), then a second build into the same folder."""
    course = tmp_path_factory.mktemp("released") / "course"
    first = build_course(LESSON, ["rnn_step", "attention"], EXERCISES_DIR, course, QUIZ)
    snapshot = {p.relative_to(course): p.read_bytes() for p in sorted(course.rglob("*"))
                if p.is_file() and p.name != "gradebook.db"}
    second = build_course(LESSON, ["rnn_step", "attention"], EXERCISES_DIR, course, QUIZ)
    return {"course": course, "first": first, "second": second, "snapshot": snapshot}


# ----------------------------------------------------------------------- exercise sources


@pytest.mark.parametrize("exercise_id", ["rnn_step", "attention"])
def test_tests_pass_against_the_reference_solution(exercise_id):
    """The visible and hidden tests are plain functions that pass on solution.py."""
    exercise = load_exercise(EXERCISES_DIR, exercise_id)
    for name, test in load_tests(exercise, hidden=False).items():
        fn = getattr(exercise.solution, test.__code__.co_varnames[0])
        test(fn)
    for name, test in load_tests(exercise, hidden=True).items():
        fn = getattr(exercise.solution, test.__code__.co_varnames[0])
        inputs = getattr(exercise.hidden, f"inputs_{name}")(np.random.default_rng(seed_for(exercise_id, name)))
        test(fn, inputs, fn(**copy.deepcopy(inputs)))


def _float32(fn):
    """The reference with float32 inputs and float32 results (tests/zoo/float32.ipy computes in float32)."""
    def cast(x):
        if isinstance(x, np.ndarray) and x.dtype.kind == "f":
            return x.astype(np.float32)
        if isinstance(x, tuple):
            return tuple(cast(v) for v in x)
        return x

    def wrapped(*args, **kwargs):
        return cast(fn(*[cast(a) for a in args], **{k: cast(v) for k, v in kwargs.items()}))
    return wrapped


@pytest.mark.parametrize("exercise_id", ["rnn_step", "attention"])
def test_tests_accept_float32_results(exercise_id):
    exercise = load_exercise(EXERCISES_DIR, exercise_id)
    for name, test in load_tests(exercise, hidden=True).items():
        fn = getattr(exercise.solution, test.__code__.co_varnames[0])
        inputs = getattr(exercise.hidden, f"inputs_{name}")(np.random.default_rng(seed_for(exercise_id, name)))
        test(_float32(fn), inputs, fn(**copy.deepcopy(inputs)))


@pytest.mark.parametrize("exercise_id", ["rnn_step", "attention"])
def test_hidden_tests_call_positionally(exercise_id):
    """The contract is the order of the parameters, not their names (issue 11): a solution whose
    parameters are named differently passes every hidden test."""
    exercise = load_exercise(EXERCISES_DIR, exercise_id)
    for name, test in load_tests(exercise, hidden=True).items():
        fn = getattr(exercise.solution, test.__code__.co_varnames[0])
        inputs = getattr(exercise.hidden, f"inputs_{name}")(np.random.default_rng(seed_for(exercise_id, name)))
        renamed = lambda *args, _fn=fn: _fn(*args)  # noqa: E731 - takes no keywords at all
        test(renamed, inputs, fn(*copy.deepcopy(list(inputs.values()))))


def test_inputs_out_of_parameter_order_are_refused():
    from deckc.exercises.steps import _check_positional
    from deckc.exercises.sources import ExerciseError

    def f(x_t, h_prev, W_xh=None):
        return x_t
    _check_positional(f, {"x_t": 1, "h_prev": 2}, "inputs_x")
    with pytest.raises(ExerciseError, match="in the order of its parameters"):
        _check_positional(f, {"h_prev": 2, "x_t": 1}, "inputs_x")


def test_hidden_tests_catch_a_wrong_answer():
    exercise = load_exercise(EXERCISES_DIR, "rnn_step")
    inputs = exercise.hidden.inputs_rnn_step_batch(np.random.default_rng(seed_for("rnn_step", "rnn_step_batch")))
    expected = exercise.solution.rnn_step(**inputs)
    no_tanh = lambda x_t, h_prev, W_xh, W_hh, b_h: x_t @ W_xh + h_prev @ W_hh + b_h  # noqa: E731
    with pytest.raises(AssertionError, match=r"rnn_step is wrong at \d+ of 24 entries"):
        load_tests(exercise, hidden=True)["rnn_step_batch"](no_tanh, inputs, expected)


def test_an_inconsistent_exercise_folder_is_refused(tmp_path):
    shutil.copytree(EXERCISES_DIR / "rnn_step", tmp_path / "rnn_step")
    with open(tmp_path / "rnn_step" / "visible_tests.py", "a") as f:
        f.write("\n\ndef test_not_listed(rnn_step):\n    pass\n")
    with pytest.raises(ExerciseError, match="tests not listed: test_not_listed"):
        load_exercise(tmp_path, "rnn_step")
    shutil.copy(EXERCISES_DIR / "rnn_step" / "visible_tests.py", tmp_path / "rnn_step" / "visible_tests.py")
    with open(tmp_path / "rnn_step" / "visible_tests.py", "a") as f:
        f.write("\n\nHELPER = 1\n")
    text = (tmp_path / "rnn_step" / "visible_tests.py").read_text()
    (tmp_path / "rnn_step" / "visible_tests.py").write_text(
        text.replace("N, D, H = 3, 5, 4\n", "N, D, H = 3, 5, 4 + HELPER - 1\n", 1))
    with pytest.raises(ExerciseError, match="uses HELPER"):
        load_exercise(tmp_path, "rnn_step")
    with pytest.raises(ExerciseError, match="not a slug"):
        load_exercise(tmp_path, "../rnn_step")
    with pytest.raises(ExerciseError, match="no exercise folder"):
        load_exercise(tmp_path, "lstm")


@pytest.mark.parametrize("quiz, message", [
    (replace(QUIZ, answer="E"), "answer must be one of A, B, C, D"),
    (replace(QUIZ, options=(QuizOption("A", "only one"),)), "options"),
    (replace(QUIZ, question=""), "question"),
])
def test_a_bad_quiz_is_refused(tmp_path, quiz, message):
    with pytest.raises(ValueError, match=message):
        build_course(LESSON, ["rnn_step"], EXERCISES_DIR, tmp_path, quiz, release=False)


# ----------------------------------------------------------------------- helpers (checks.py)


def test_shape_message_says_what_was_expected():
    with pytest.raises(AssertionError, match=re.escape("rnn_step returned shape (3, 5); expected (N, H) = (3, 4)")):
        checks.expect_array("rnn_step", np.zeros((3, 5)), shape=(3, 4), shape_desc="(N, H)")


def test_type_is_checked_before_anything_else():
    class AlwaysEqual:
        shape = (3, 4)
        dtype = np.dtype(float)

        def __eq__(self, other):
            return True

    with pytest.raises(AssertionError, match="returned AlwaysEqual; expected a numpy array"):
        checks.expect_array("rnn_step", AlwaysEqual(), shape=(3, 4))
    with pytest.raises(AssertionError, match="dtype int64; expected floats"):
        checks.expect_array("rnn_step", np.zeros((3, 4), dtype=np.int64), shape=(3, 4))

    class Agreeable(np.ndarray):
        def __eq__(self, other):
            return True

    got = checks.expect_array("rnn_step", np.zeros((3, 4)).view(Agreeable), shape=(3, 4))
    assert type(got) is np.ndarray
    with pytest.raises(AssertionError, match="wrong at 12 of 12 entries"):
        checks.expect_close("rnn_step", got, np.ones((3, 4)))


def test_hidden_failures_never_print_the_expected_value():
    with pytest.raises(AssertionError) as info:
        checks.expect_close("f", np.array([1.0, 2.0]), np.array([1.0, 2.123456789]))
    assert "2.12" not in str(info.value) and "0.123" not in str(info.value)
    assert "off by 1% to 10%" in str(info.value)
    # an answer of zeros: the error would be |expected| itself; the message says only "100%"-ish
    with pytest.raises(AssertionError) as info:
        checks.expect_close("f", np.zeros(3), np.array([0.987654, -3.5, 12.25]))
    message = str(info.value)
    assert "wrong at 3 of 3 entries" in message and "index (2,)" in message
    assert not any(x in message for x in ("0.98", "3.5", "12.2", "12.3")), message
    with pytest.raises(AssertionError, match="got 2, expected 2.12346"):
        checks.expect_close("f", np.array([1.0, 2.0]), np.array([1.0, 2.123456789]), reveal=True)
    with pytest.raises(AssertionError, match="contains nan or inf"):
        checks.expect_close("f", np.array([np.nan, 1.0]), np.array([0.5, 1.0]))


def test_float32_is_within_the_tolerance():
    x = np.random.default_rng(0).standard_normal((50, 50))
    checks.expect_close("f", np.tanh(x.astype(np.float32)), np.tanh(x))


def test_call_student_is_quiet_and_survives_os_exit(capfd):
    def noisy(x):
        warnings.warn("careful")
        np.float64(1.0) / np.float64(0.0)
        print("to stderr", file=sys.stderr)
        return x + 1

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any warning escaping call_student would raise here
        assert checks.call_student(noisy, 1) == 2
    assert capfd.readouterr().err == ""

    import os

    def crash(x):
        os._exit(1)

    with pytest.raises(RuntimeError, match="tried to end the Python process"):
        checks.call_student(crash, 1)
    assert os._exit is not None and os._exit.__name__ == "_exit"

    def mutate(a):
        a[:] = 0
        return a

    a = np.ones(3)
    checks.call_student(mutate, a)
    assert a.tolist() == [1.0, 1.0, 1.0]


def test_literal_round_trips_exactly():
    rng = np.random.default_rng(1)
    value = {"x": rng.standard_normal((2, 3, 4)), "m": rng.random((3, 3)) < 0.5, "axis": 0,
             "t": (rng.standard_normal(5), np.array(1e-300), np.zeros((0, 2)))}
    back = eval(literal(value), {"np": np})
    assert back.keys() == value.keys() and back["axis"] == 0
    for a, b in [(back["x"], value["x"]), (back["m"], value["m"]), *zip(back["t"], value["t"])]:
        assert a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


# ----------------------------------------------------------------------- source notebooks


def test_build_returns_the_course_and_its_notebooks(source_only):
    assert source_only["assignment"] == LESSON
    assert source_only["notebooks"] == ["rnn_step.ipynb", "attention.ipynb", "quick_check.ipynb"]
    assert source_only["points"] == 36


@pytest.mark.parametrize("name", list(PARTS))
def test_cells_and_metadata(source_only, name):
    nb = read(source_only["course"] / "source" / LESSON / f"{name}.ipynb")
    nbformat.validate(nb)
    assert nb.nbformat == 4 and nb.nbformat_minor == 5
    assert nb.metadata.kernelspec.name == "python3"
    grades = {}
    for cell in nb.cells:
        meta = nbgrader_meta(cell)
        assert meta["schema_version"] == 3
        assert cell.id == meta["grade_id"]
        assert meta["task"] is False
        if meta["grade"]:
            assert cell.cell_type == "code" and meta["locked"] and not meta["solution"]
            grades[meta["grade_id"]] = meta["points"]
            assert cell.source.count("### BEGIN HIDDEN TESTS") == 1
        elif meta["solution"]:
            assert cell.cell_type == "code" and not meta["locked"]
            assert "### BEGIN SOLUTION" in cell.source and "### END SOLUTION" in cell.source
        else:
            assert meta["locked"]
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
    assert grades == PARTS[name]  # in notebook order too
    assert list(grades) == list(PARTS[name])


def test_each_test_follows_its_function(source_only):
    nb = read(source_only["course"] / "source" / LESSON / "attention.ipynb")
    order = [c.id for c in nb.cells if nbgrader_meta(c)["solution"] or nbgrader_meta(c)["grade"]]
    assert order == ["softmax", *list(PARTS["attention"])[:7], "attention", *list(PARTS["attention"])[7:14],
                     "self_attention", *list(PARTS["attention"])[14:]]


def test_hidden_tests_carry_the_reference_outputs(source_only):
    nb = read(source_only["course"] / "source" / LESSON / "rnn_step.ipynb")
    cell = next(c for c in nb.cells if c.id == "rnn_step_batch")
    exercise = load_exercise(EXERCISES_DIR, "rnn_step")
    inputs = exercise.hidden.inputs_rnn_step_batch(np.random.default_rng(seed_for("rnn_step", "rnn_step_batch")))
    expected = exercise.solution.rnn_step(**inputs)
    first, *rest = cell.source.split("\n")
    assert first.startswith("# Hidden test rnn_step_batch (2 points)")
    assert rest[0] == "### BEGIN HIDDEN TESTS" and rest[-1] == "### END HIDDEN TESTS"
    assert repr(float(expected[0, 0])) in cell.source
    assert repr(float(inputs["x_t"][0, 0])) in cell.source
    assert str(seed_for("rnn_step", "rnn_step_batch")) not in cell.source


def test_grading_code_ignores_what_student_cells_define(source_only):
    """Run the graded cells in a namespace where a 'student' shadowed isinstance, np and the helpers."""
    nb = read(source_only["course"] / "source" / LESSON / "rnn_step.ipynb")
    exercise = load_exercise(EXERCISES_DIR, "rnn_step")
    namespace = {"isinstance": lambda *a: True, "np": None, "expect_close": lambda *a, **k: None,
                 "call_student": lambda fn, *a, **k: fn(*a, **k)}
    exec("import numpy as np", namespace)
    wrong = "def rnn_step(x_t, h_prev, W_xh, W_hh, b_h):\n    return x_t @ W_xh + h_prev @ W_hh + b_h\n"
    exec(wrong, namespace)
    namespace["np"] = None
    namespace["rnn_forward"] = exercise.solution.rnn_forward
    for cell in nb.cells:
        if cell.id == "rnn_step_batch":
            with pytest.raises(AssertionError, match="rnn_step is wrong"):
                exec(cell.source, namespace)
        if cell.id == "rnn_forward_sequence":  # graded with the reference rnn_step: passes
            exec(cell.source, namespace)


def test_source_notebooks_are_deterministic(tmp_path, source_only):
    other = build_course(LESSON, ["rnn_step", "attention"], EXERCISES_DIR, tmp_path / "elsewhere", QUIZ,
                         release=False)
    for name in source_only["notebooks"]:
        a = (source_only["course"] / "source" / LESSON / name).read_bytes()
        b = (other["course"] / "source" / LESSON / name).read_bytes()
        assert a == b, name
        text = a.decode()
        assert str(tmp_path) not in text and str(ROOT) not in text and "/tmp" not in text
        assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d", text)
    config = (other["course"] / "nbgrader_config.py").read_text()
    assert config == (source_only["course"] / "nbgrader_config.py").read_text()
    assert str(tmp_path) not in config


def test_config(source_only):
    config = (source_only["course"] / "nbgrader_config.py").read_text()
    assert f"c.CourseDirectory.course_id = {LESSON!r}" in config
    assert 'c.CourseDirectory.db_url = "sqlite:///" + os.path.join(_here, "gradebook.db")' in config
    assert "c.Execute.timeout = 30" in config and "c.ExecutePreprocessor.timeout = 30" in config
    assert "nbgrader.preprocessors.ClearHiddenTests" in config
    compile(config, "nbgrader_config.py", "exec")


def test_rebuild_drops_stale_notebooks(tmp_path):
    course = tmp_path / "course"
    build_course(LESSON, ["rnn_step", "attention"], EXERCISES_DIR, course, QUIZ, release=False)
    result = build_course(LESSON, ["attention"], EXERCISES_DIR, course, release=False)
    assert result["notebooks"] == ["attention.ipynb"]
    assert sorted(p.name for p in (course / "source" / LESSON).iterdir()) == ["attention.ipynb"]


def test_import_is_lazy():
    code = "import sys, deckc.exercises; print(any(m.startswith(('nbgrader', 'nbconvert')) for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "False"


def test_a_step_chain_is_plain_functions(tmp_path):
    """The emitter is a chain of (nb, resources) -> (nb, resources) steps; any prefix runs on its own."""
    nb, resources = run(EXERCISE_STEPS[:3], resources={"exercises_dir": EXERCISES_DIR, "exercise_id": "rnn_step"})
    assert [c.metadata["deckc"]["role"] for c in nb.cells] == ["text"]
    assert set(resources["references"]) == {"rnn_step_batch", "rnn_step_unbatched", "rnn_forward_sequence",
                                            "rnn_forward_unbatched", "gradient_norms_random"}


# ----------------------------------------------------------------------- the release (real nbgrader)


def test_release_is_ready(released):
    course = released["course"]
    files = sorted(str(p.relative_to(course / "release")) for p in (course / "release").rglob("*") if p.is_file())
    assert files == [f"{LESSON}/attention.ipynb", f"{LESSON}/quick_check.ipynb", f"{LESSON}/rnn_step.ipynb"]
    assert sorted(p.name for p in course.iterdir()) == ["gradebook.db", "nbgrader_config.py", "release", "source"]


@pytest.mark.parametrize("name", list(PARTS))
def test_release_holds_no_solutions_reference_values_or_seeds(released, name):
    course = released["course"]
    text = (course / "release" / LESSON / f"{name}.ipynb").read_text()
    source = (course / "source" / LESSON / f"{name}.ipynb").read_text()
    for marker in ("BEGIN SOLUTION", "HIDDEN TESTS", "_deckc_grader", "inputs = {", "expected = "):
        assert marker not in text
    hidden_numbers = set(re.findall(r"-?\d\.\d{12,}", source))
    assert not hidden_numbers & set(re.findall(r"-?\d\.\d{12,}", text))
    if name != "quick_check":
        assert len(hidden_numbers) > 100, "the source notebook should hold the reference values"
        exercise = load_exercise(EXERCISES_DIR, name)
        for func in exercise.functions:
            for test in func.tests:
                assert str(seed_for(name, test.name)) not in text
    else:
        assert "answer = 'A'" not in text and "!= 'A'" not in text
    nb = read(course / "release" / LESSON / f"{name}.ipynb")
    for cell in nb.cells:
        if cell.metadata["nbgrader"].get("solution"):
            assert "raise NotImplementedError()" in cell.source


def test_release_shows_visible_tests_and_hidden_test_stubs(released):
    nb = read(released["course"] / "release" / LESSON / "rnn_step.ipynb")
    cells = {c.id: c.source for c in nb.cells}
    assert "def test_rnn_step_shape(rnn_step):" in cells["rnn_step_shape"]
    assert cells["rnn_step_shape"].rstrip().endswith("test_rnn_step_shape(rnn_step)")
    assert cells["rnn_step_batch"].strip().startswith("# Hidden test rnn_step_batch (2 points)")
    assert len(cells["rnn_step_batch"].strip().split("\n")) == 1
    assert "def call_student(" in cells["test_helpers"]


def test_rebuild_into_the_same_folder_is_byte_identical(released):
    course = released["course"]
    after = {p.relative_to(course): p.read_bytes() for p in sorted(course.rglob("*"))
             if p.is_file() and p.name != "gradebook.db"}
    assert after.keys() == released["snapshot"].keys()
    for path, data in after.items():
        assert data == released["snapshot"][path], path
    assert released["second"] == released["first"]


def test_gradebook_knows_the_assignment(released):
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{released['course'] / 'gradebook.db'}") as gb:
        assignment = gb.find_assignment(LESSON)
        assert sorted(nb.name for nb in assignment.notebooks) == sorted(PARTS)
        assert assignment.max_score == 36
        for nb in assignment.notebooks:
            assert {c.name: c.max_score for c in nb.grade_cells} == PARTS[nb.name]


def test_the_quiz_is_worth_its_points(tmp_path):
    """build_course takes the model's Quiz; its points are the quick check's grade cell's."""
    from deckc.nbgrader import cells

    base = build_course(LESSON, ["rnn_step"], EXERCISES_DIR, tmp_path / "a", QUIZ, release=False)
    more = build_course(LESSON, ["rnn_step"], EXERCISES_DIR, tmp_path / "b", replace(QUIZ, points=3), release=False)
    assert more["points"] == base["points"] + 2
    nb = nbformat.read(tmp_path / "b" / "source" / LESSON / "quick_check.ipynb", as_version=4)
    assert [cells.points(c) for c in nb.cells if cells.is_grade(c)] == [3]
    assert "(3 points)" in nb.cells[-1].source
    with pytest.raises(ValueError, match="quiz must be a deckc.model.Quiz"):
        build_course(LESSON, ["rnn_step"], EXERCISES_DIR, tmp_path / "c", {"question": "q?"}, release=False)
