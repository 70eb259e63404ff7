"""`deckc grade`: parallel grading gives serial nbgrader's grades; reports, feedback, re-grading,
LMS intake; and the pieces (value codec, replay, intake patterns, leak check) on their own.

The module fixture builds the course once (grade_support), hands in six zoo submissions (right
and wrong) to two copies, grades copy A with serial `nbgrader autograde` and copy B with
`deckc grade --jobs 2`, and compares.
"""
from __future__ import annotations

import csv
import json
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from deckc.nbgrader.command import nbgrader
from grade_support import (ASSIGNMENT, NO_TANH, TIMEOUT, expected_parts, grade, hidden_numbers,
                           new_course, notebooks, observed, scores, submit)

STUDENTS = {"ann": "reference", "ben": "no_tanh", "cat": "einsum", "dan": "mask_ignored", "eve": "quiz_wrong",
            "fay": "rnn_transposed_whh"}
LOST = {"ann": set(), "ben": NO_TANH, "cat": set(), "dan": {"attention_worked_example", "attention_batched_mask", "attention_mask"},
        "eve": {"quick_check"}, "fay": {"rnn_step_worked_example", "rnn_step_batch", "rnn_step_unbatched"}}
PARTS = 30   # grade cells: 11 + 18 + 1


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    base = tmp_path_factory.mktemp("grade")
    serial, parallel = new_course(base / "serial"), new_course(base / "parallel")
    handed_in = {}
    for student, kind in STUDENTS.items():
        handed_in[student] = submit(serial, student, kind)
        submit(parallel, student, kind)
    run = nbgrader(serial, "autograde", ASSIGNMENT, "--force", check=False)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    result = grade(parallel, "--jobs", "2", "--timeout", TIMEOUT)
    assert result.exit_code == 0, result.output
    return {"serial": serial, "parallel": parallel, "result": result, "handed_in": handed_in}


def _rows(course: Path) -> list[dict]:
    with open(course / "reports" / ASSIGNMENT / "tests.csv", encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_a_course_without_its_gradebook_is_graded_from_a_native_release(tmp_path, monkeypatch):
    """The gradebook gone, deckc grade makes the assignment's definitions as generate_assignment
    would (natively, with deckc's own config) in a scratch copy, then grades."""
    import deckc.nbgrader.release as release

    def no_nbgrader(*args):
        raise AssertionError("the native release should have made the definitions")

    monkeypatch.setattr(release, "generate_release", no_nbgrader)
    course = new_course(tmp_path / "course")
    handed_in = submit(course, "ann", "reference")
    (course / "gradebook.db").unlink()
    result = grade(course, "--jobs", "1", "--timeout", TIMEOUT, "--no-feedback")
    assert result.exit_code == 0, result.output
    assert observed(scores(course)["ann"]) == expected_parts(handed_in, set())


# --------------------------------------------------------------------------- parallel == serial


def test_parallel_grades_equal_serial_nbgrader(graded):
    """Every grade (score, max, needs_manual_grade) of every part, student by student."""
    a, b = scores(graded["serial"]), scores(graded["parallel"])
    assert set(a) == set(b) == set(STUDENTS)
    for student in STUDENTS:
        assert a[student] == b[student], student


def test_scores_are_the_expected_ones(graded):
    got = scores(graded["parallel"])
    for student in STUDENTS:
        assert observed(got[student]) == expected_parts(graded["handed_in"][student], LOST[student]), student


def test_summary_and_nbgrader_export(graded):
    out = graded["result"].output
    assert "graded 6 of 6 submission(s) of 'rnn-vs-attention'" in out and "(2 worker(s)" in out
    assert re.search(r"scores out of 36: mean [\d.]+, median [\d.]+, min 0, max 36", out), out
    assert "80-100%" in out
    with open(graded["parallel"] / "reports" / ASSIGNMENT / "grades.csv", encoding="utf-8", newline="") as f:
        exported = {r["student_id"]: float(r["score"]) for r in csv.DictReader(f)}
    serial = scores(graded["serial"])
    assert exported == {s: sum(g[0] for nb in serial[s].values() for g in nb.values()) for s in STUDENTS}


def test_per_test_csv(graded):
    rows = _rows(graded["parallel"])
    assert list(rows[0]) == ["student", "notebook", "test", "points", "max_points", "result", "error_type",
                             "kernel_points", "verified_points", "overridden", "message"]
    assert len(rows) == len(STUDENTS) * PARTS
    by = {(r["student"], r["test"]): r for r in rows}
    assert len(by) == len(rows)                                    # one row per student x test cell
    batch = by[("ben", "rnn_step_batch")]
    assert (batch["notebook"], batch["points"], batch["max_points"], batch["result"], batch["error_type"],
            batch["kernel_points"], batch["verified_points"], batch["overridden"]) == \
        ("rnn_step", "0", "2", "fail", "AssertionError", "0", "0", "no")
    assert "rnn_step is wrong at" in batch["message"] and "expected" not in batch["message"].split("allowed")[0]
    assert by[("ben", "softmax_random")]["result"] == "not submitted"
    assert all(r["result"] == "pass" and r["points"] == r["max_points"] for r in rows if r["student"] in ("ann", "cat"))
    assert all(r["overridden"] == "no" for r in rows)              # honest work: kernel and check agree
    assert by[("eve", "quick_check")]["message"].startswith("B is not the best answer")


def test_feedback_has_no_hidden_tests_or_reference_values(graded):
    numbers = hidden_numbers()
    assert len(numbers) > 100
    course = graded["parallel"]
    for student, handed_in in graded["handed_in"].items():
        folder = course / "feedback" / student / ASSIGNMENT
        assert sorted(p.name for p in folder.iterdir()) == sorted(f"{nb}.html" for nb in handed_in)
        for html in folder.iterdir():
            text = html.read_text(encoding="utf-8")
            assert "BEGIN HIDDEN TESTS" not in text and "_deckc_grader" not in text and "deckc-grader" not in text
            leaked = [n for n in numbers if n in text]
            assert not leaked, (student, html.name, leaked[:3])
    ben = (course / "feedback" / "ben" / ASSIGNMENT / "rnn_step.html").read_text(encoding="utf-8")
    assert "rnn_step is wrong at 23 of 24 entries" in ben          # what failed, and why
    assert "apply np.tanh to the sum" in ben                       # a visible test names the fix


def test_autograded_notebooks_in_place(graded):
    for student, handed_in in graded["handed_in"].items():
        folder = graded["parallel"] / "autograded" / student / ASSIGNMENT
        assert sorted(p.stem for p in folder.glob("*.ipynb")) == sorted(handed_in)


# --------------------------------------------------------------------------- re-grading (last: changes B)


def test_regrade_replaces(graded):
    from deckc.nbgrader.gradebook import Gradebook

    course = graded["parallel"]
    url = f"sqlite:///{course / 'gradebook.db'}"
    with Gradebook(url) as gb:
        g = gb.find_grade("quick_check", "quick_check", ASSIGNMENT, "ann")
        g.manual_score = 0.5                       # a grader's manual score must survive re-grading
        gb.db.commit()
    before = {r["student"]: r for r in _rows(course) if r["student"] == "dan"}
    shutil.rmtree(course / "submitted" / "ben")
    submit(course, "ben", "reference")             # ben fixes his rnn_step and hands in everything

    result = grade(course, "-s", "ben", "-s", "ann", "--jobs", "2", "--timeout", TIMEOUT)
    assert result.exit_code == 0, result.output
    assert "graded 2 of 2" in result.output

    got = scores(course)
    assert observed(got["ben"]) == expected_parts(["attention", "quick_check", "rnn_step"], set())
    assert got["ann"]["quick_check"]["quick_check"] == (0.5, 1.0, True)   # manual score kept, flagged
    with Gradebook(url) as gb:
        subs = gb.assignment_submissions(ASSIGNMENT)
        assert sorted(s.student.id for s in subs) == sorted(STUDENTS)     # no duplicate submission
        ben = gb.find_submission(ASSIGNMENT, "ben")
        assert sum(len(nb.grades) for nb in ben.notebooks) == PARTS
    rows = _rows(course)
    assert len(rows) == len(STUDENTS) * PARTS
    assert all(r["result"] == "pass" for r in rows if r["student"] == "ben")
    assert {r["student"]: r for r in rows if r["student"] == "dan"} == before
    assert (course / "feedback" / "ben" / ASSIGNMENT / "attention.html").is_file()


# --------------------------------------------------------------------------- intake, CLI, isolation


def _notebook_json(kind: str, tmp: Path) -> bytes:
    course = new_course(tmp / f"scratch-{kind}")
    submit(course, "x", kind)
    return (course / "submitted" / "x" / ASSIGNMENT / "quick_check.ipynb").read_bytes()


def test_from_zip(tmp_path):
    course = new_course(tmp_path / "lms" / "course")
    right, wrong = _notebook_json("reference", tmp_path), _notebook_json("quiz_wrong", tmp_path)
    export = tmp_path / "export.zip"
    with zipfile.ZipFile(export, "w") as zf:
        zf.writestr("alice_quick_check.ipynb", right)
        zf.writestr("moodle/bob/quick_check.ipynb", wrong)
        zf.writestr(f"carol/{ASSIGNMENT}/quick_check.ipynb", right)
        zf.writestr("../evil_quick_check.ipynb", right)
        zf.writestr("/abs_quick_check.ipynb", right)
        zf.writestr("dan/../../../evil2/quick_check.ipynb", right)
        zf.writestr("C:/windows_quick_check.ipynb", right)
        zf.writestr("erin_notes.ipynb", right)
        zf.writestr("readme.txt", b"hello")
    result = grade(course, "--from-zip", export, "--jobs", "2", "--timeout", TIMEOUT, "--no-feedback")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (course / "submitted").iterdir()) == ["alice", "bob", "carol"]
    for student in ("alice", "bob", "carol"):
        assert [p.name for p in (course / "submitted" / student / ASSIGNMENT).iterdir()] == ["quick_check.ipynb"]
    for evil in ("../evil_quick_check.ipynb", "/abs_quick_check.ipynb", "dan/../../../evil2/quick_check.ipynb",
                 "C:/windows_quick_check.ipynb"):
        assert f"rejected {evil!r}: path traversal" in result.output, result.output
    assert "rejected 'erin_notes.ipynb': no notebook of the assignment" in result.output
    assert "intake: 3 notebook(s) of 3 student(s) into submitted/; 5 rejected, 1 ignored" in result.output
    leftovers = {p.name for p in (tmp_path / "lms").iterdir()} | {p.name for p in tmp_path.iterdir()}
    assert not any("evil" in name or "abs" in name or "windows" in name for name in leftovers)
    got = scores(course)
    assert {s: got[s]["quick_check"]["quick_check"][0] for s in got} == {"alice": 1.0, "bob": 0.0, "carol": 1.0}


def test_isolation_none_still_grades(tmp_path):
    """Not root, or no unshare: resource limits only, and the same grades."""
    course = new_course(tmp_path / "course")
    shutil.copytree(_submission(tmp_path, "reference"), course / "submitted" / "zoe" / ASSIGNMENT)
    result = grade(course, "--isolation", "none", "--timeout", TIMEOUT, "--no-feedback")
    assert result.exit_code == 0, result.output
    assert "isolation: none" in result.output
    assert scores(course)["zoe"]["quick_check"]["quick_check"][0] == 1.0


def _submission(tmp: Path, kind: str) -> Path:
    """Only the quick check notebook of a zoo submission (fast to grade)."""
    course = new_course(tmp / f"only-{kind}")
    submit(course, "x", kind)
    folder = course / "submitted" / "x" / ASSIGNMENT
    for nb in folder.glob("*.ipynb"):
        if nb.stem != "quick_check":
            nb.unlink()
    return folder


def test_cli_help_errors_and_cheap_import(tmp_path):
    result = grade("--help")
    assert result.exit_code == 0
    for option in ("--assignment", "--jobs", "--timeout", "--memory", "--db", "--from-zip", "--student"):
        assert option in result.output
    bad = grade(tmp_path / "nowhere")
    assert bad.exit_code == 2 and "no such course folder" in bad.output
    empty = new_course(tmp_path / "empty")
    nothing = grade(empty)
    assert nothing.exit_code == 0 and "nothing to grade" in nothing.output
    missing = grade(empty, "-s", "nobody")
    assert missing.exit_code == 2 and "no submission for nobody" in missing.output
    one = new_course(tmp_path / "one")
    shutil.copytree(_submission(tmp_path, "reference"), one / "submitted" / "zoe" / ASSIGNMENT)
    unreachable = grade(one, "--db", "postgresql://grader:secret@127.0.0.1:9/nowhere", "--no-feedback")
    assert unreachable.exit_code == 1 and "cannot open the gradebook" in unreachable.output
    assert "secret" not in unreachable.output and "grader:***@" in unreachable.output
    probe = ("import sys, deckc.grading.cli\n"
             "print(sorted(m for m in ('nbgrader', 'nbformat', 'numpy', 'sqlalchemy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


# --------------------------------------------------------------------------- the pieces


def test_codec_keeps_values_and_drops_rigged_behaviour():
    from deckc.grading._codec import decode, encode

    class Agreeable(np.ndarray):
        def __eq__(self, other):
            return True

    class Letter(str):
        def __eq__(self, other):
            return True
        __hash__ = str.__hash__

    class Tup(tuple):
        def __len__(self):
            return 2

    value = {"a": (np.arange(6, dtype=np.float32).reshape(2, 3), [1, 2.5, None, True]),
             "b": np.zeros(3).view(Agreeable), "c": Letter("Z"), "d": Tup((1, 2, 3)), "e": object(),
             "f": np.float64(0.25), "g": np.array([1, 2], dtype=object), "h": float("nan")}
    back = decode(json.loads(json.dumps(encode(value))))
    arr = back["a"][0]
    assert type(arr) is np.ndarray and arr.dtype == np.float32 and arr.tolist() == [[0, 1, 2], [3, 4, 5]]
    assert back["a"][1] == [1, 2.5, None, True]
    assert isinstance(back["b"], np.ndarray) and type(back["b"]).__name__ == "Agreeable"
    assert (back["b"] == np.ones(3)).tolist() == [False, False, False]            # no rigged ==
    assert type(back["c"]) is not str and isinstance(back["c"], str) and back["c"] != "A"
    assert type(back["c"]).__name__ == "Letter"
    assert tuple(back["d"]) == (1, 2, 3) and len(back["d"]) == 3                   # real items
    assert type(back["e"]).__name__ == "object" or type(back["e"]).__module__ == "student"
    assert back["f"] == 0.25 and isinstance(back["f"], np.float64)
    assert back["g"].dtype == object and back["g"].shape == (2,)
    assert back["h"] != back["h"]


def test_grade_cells_parse_and_the_runner_job_holds_nothing_of_the_reference():
    """Issue 11: the checking runner gets the planned arguments and the earlier functions' names
    and answer shapes, never code or values of the reference (no on_its_own, no expected)."""
    import json

    from deckc.grading import verify
    from deckc.grading.checking import probe_step

    seen = 0
    for name, (source, _) in notebooks().items():
        reference = verify.reference_namespace([c.source for c in source.cells if c.cell_type == "code"
                                                and not c.metadata.get("nbgrader", {}).get("grade")])
        for cell in source.cells:
            meta = cell.metadata.get("nbgrader", {})
            if not meta.get("grade"):
                continue
            spec = verify.parse_test_cell(name, meta["grade_id"], meta["points"], cell.source)
            assert spec.verifiable, (meta["grade_id"], spec.reason)
            verify.plan(spec, reference)
            seen += 1
            step = probe_step(spec, verify)
            assert set(step) <= {"probe", "target", "calls", "trace"}
            text = json.dumps(step)
            for word in ("def ", "lambda", "import", "_reference_functions", "on_its_own", "expected"):
                assert word not in text, (meta["grade_id"], word)
            for per_call in step.get("trace", {}).values():
                for structures in per_call:
                    assert all(set(s) <= {"t", "shape", "dtype", "v"} for s in structures if s)
            if spec.kind == "call" and spec.calls:
                expected = _hidden_expected(cell.source)
                for number in expected:
                    assert number not in text, (meta["grade_id"], number)
    assert seen == PARTS


def _hidden_expected(source: str) -> set:
    """Long numbers of a grade cell's `expected = ...` literal (the reference outputs)."""
    import re
    m = re.search(r"^expected = (.*?)(?:\n\S|\Z)", source, re.S | re.M)
    return set(re.findall(r"\d\.\d{10,}", m.group(1))) if m else set()


def test_replay_scores_recorded_outputs():
    from deckc.grading import verify
    from deckc.grading._codec import encode

    source, _ = notebooks()["rnn_step"]
    cells = {c.metadata.nbgrader["grade_id"]: c.source for c in source.cells
             if c.metadata.get("nbgrader", {}).get("grade")}
    reference = verify.reference_namespace([c.source for c in source.cells if c.cell_type == "code"
                                            and not c.metadata.get("nbgrader", {}).get("grade")])
    spec = verify.parse_test_cell("rnn_step", "rnn_step_batch", 2, cells["rnn_step_batch"])
    verify.plan(spec, reference)
    assert spec.kind == "call" and len(spec.calls) == 1
    args, kwargs = spec.calls[0]
    right = reference["rnn_step"](*args, **kwargs)
    ok = verify.replay(spec, {"calls": {0: {"result": encode(right)}}})
    assert ok.passed and ok.score == 2
    wrong = verify.replay(spec, {"calls": {0: {"result": encode(right + 1e-3)}}})
    assert not wrong.passed and wrong.error_type == "AssertionError" and "rnn_step is wrong" in wrong.message
    rigged = verify.replay(spec, {"calls": {0: {"result": {"t": "obj", "type": "AlwaysEqual"}}}})
    assert not rigged.passed and "returned AlwaysEqual" in rigged.message
    raised = verify.replay(spec, {"calls": {0: {"raised": {"type": "ZeroDivisionError", "message": "oops"}}}})
    assert not raised.passed and raised.error_type == "ZeroDivisionError"
    assert not verify.replay(spec, {"missing": True}).passed
    assert verify.replay(spec, None).error_type == "CrashedOrTimedOut"
    other = verify.replay(spec, {"calls": {}})
    assert not other.passed


def test_intake_patterns():
    from deckc.grading.intake import _split, identify

    nbs = {"rnn_step", "attention", "quick_check"}
    assert identify(["alice_rnn_step.ipynb"], nbs, "a1") == ("alice", "rnn_step")
    assert identify(["bob_smith_rnn_step.ipynb"], nbs, "a1") == ("bob_smith", "rnn_step")
    assert identify(["x", "alice-attention.ipynb"], nbs, "a1") == ("alice", "attention")
    assert identify(["alice", "rnn_step.ipynb"], nbs, "a1") == ("alice", "rnn_step")
    assert identify(["export", "alice", "a1", "rnn_step.ipynb"], nbs, "a1") == ("alice", "rnn_step")
    assert identify(["alice_homework.ipynb"], nbs, "a1")[0] is None
    # renamed by the LMS or the student: matched as matching.py does
    assert identify(["alice", "Attention.ipynb"], nbs, "a1") == ("alice", "attention")
    assert identify(["alice", "rnn_step (1).ipynb"], nbs, "a1") == ("alice", "rnn_step")
    assert identify(["alice_rnn_step-1.ipynb"], nbs, "a1") == ("alice", "rnn_step")
    assert identify(["bob_Attention (2).ipynb"], nbs, "a1") == ("bob", "attention")
    assert _split("../x.ipynb") is None and _split("/x.ipynb") is None and _split("a/../../x.ipynb") is None
    assert _split("C:\\x.ipynb") is None and _split("a\\..\\x.ipynb") is None
    assert _split("./a/b.ipynb") == ["a", "b.ipynb"]


def test_notebook_matching(tmp_path):
    import os

    from deckc.grading.matching import MAX_NOTEBOOK_BYTES, apply, match_folder, match_name

    nbs = {"rnn_step", "attention", "quick_check", "part_1"}
    for name, want in [("rnn_step.ipynb", ("rnn_step", 0)), ("RNN_Step.ipynb", ("rnn_step", 1)),
                       ("rnn-step.IPYNB", ("rnn_step", 1)), ("rnn_step (1).ipynb", ("rnn_step", 2)),
                       ("rnn_step-1.ipynb", ("rnn_step", 2)), ("Copy of attention.ipynb", ("attention", 2)),
                       ("attention - Copy.ipynb", ("attention", 2)), ("attention copy 2.ipynb", ("attention", 2)),
                       ("part_1.ipynb", ("part_1", 0)), ("part_2.ipynb", (None, -1)), ("notes.ipynb", (None, -1)),
                       ("rnn_step.py", (None, -1))]:
        assert match_name(name, nbs) == want, name
    for name in ("rnn_step.ipynb", "rnn_step (1).ipynb", "Attention.ipynb", "scratch.ipynb", "data.csv"):
        (tmp_path / name).write_text("{}")
    (tmp_path / "quick_check.ipynb").write_bytes(b" " * (MAX_NOTEBOOK_BYTES + 1))
    os.utime(tmp_path / "rnn_step.ipynb", (1, 1))        # older, but the exact name wins
    outcomes = {o.file: (o.notebook, o.action) for o in match_folder(tmp_path, nbs)}
    assert outcomes == {"rnn_step.ipynb": ("rnn_step", "graded"), "rnn_step (1).ipynb": ("rnn_step", "duplicate"),
                        "Attention.ipynb": ("attention", "renamed"), "scratch.ipynb": ("", "unmatched"),
                        "quick_check.ipynb": ("quick_check", "refused")}
    assert apply(tmp_path, match_folder(tmp_path, nbs)) == ["attention", "rnn_step"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["attention.ipynb", "data.csv", "rnn_step.ipynb"]


def test_matching_prefers_the_worked_copy_and_looks_into_subfolders(tmp_path):
    """A student who hands in the untouched download next to the worked 'Copy of ...' is graded on
    the worked copy; a notebook in a subfolder (a zipped folder) is graded, not silently missing."""
    import nbformat

    from deckc.grading.matching import apply, match_folder

    def notebook(answer):
        nb = nbformat.v4.new_notebook()
        cell = nbformat.v4.new_code_cell(answer)
        cell.metadata["nbgrader"] = {"solution": True, "grade": False, "locked": False, "grade_id": "a",
                                     "schema_version": 3}
        nb.cells.append(cell)
        return nbformat.writes(nb)

    release, sub = tmp_path / "release", tmp_path / "sub"
    for d in (release, sub):
        d.mkdir()
    for name in ("softmax", "quick_check"):
        (release / f"{name}.ipynb").write_text(notebook("raise NotImplementedError()"))
    (sub / "softmax.ipynb").write_text(notebook("raise NotImplementedError()"))
    (sub / "Copy of softmax (1).ipynb").write_text(notebook("def softmax(z): return z"))
    (sub / "work").mkdir()
    (sub / "work" / "quick_check.ipynb").write_text(notebook("x = 1"))
    (sub / ".ipynb_checkpoints").mkdir()
    (sub / ".ipynb_checkpoints" / "quick_check-checkpoint.ipynb").write_text(notebook("x = 2"))
    outcomes = {o.file: (o.action, o.note) for o in match_folder(sub, {"softmax", "quick_check"}, release)}
    assert outcomes == {
        "Copy of softmax (1).ipynb": ("renamed", "graded as softmax.ipynb"),
        "softmax.ipynb": ("duplicate", "not graded: Copy of softmax (1).ipynb was graded as softmax.ipynb "
                                       "(this one is the release's notebook, unchanged)"),
        "work/quick_check.ipynb": ("renamed", "graded as quick_check.ipynb (found in work/)")}
    # without the release (or when both are worked on) the exact name still wins
    assert {o.file: o.action for o in match_folder(sub, {"softmax"})}["softmax.ipynb"] == "graded"
    # a top-level file beats the same notebook in a subfolder
    (sub / "quick_check.ipynb").write_text(notebook("x = 3"))
    assert {o.file: o.action for o in match_folder(sub, {"quick_check"}, release) if o.notebook} == {
        "quick_check.ipynb": "graded", "work/quick_check.ipynb": "duplicate"}
    (sub / "quick_check.ipynb").unlink()
    assert apply(sub, match_folder(sub, {"softmax", "quick_check"}, release)) == ["quick_check", "softmax"]
    assert "def softmax" in (sub / "softmax.ipynb").read_text()
    assert "x = 1" in (sub / "quick_check.ipynb").read_text()


def test_a_notebook_that_is_not_json_is_refused_with_the_reason(tmp_path):
    """A cut-off upload or an empty file is refused with what is wrong with it (its tests.csv rows
    carry the note), instead of being graded into 'name softmax is not defined'; a readable copy
    next to it is graded."""
    from deckc.grading.matching import match_folder

    (tmp_path / "softmax.ipynb").write_text('{"cells": [{"cell_type": "co')
    (tmp_path / "quick_check.ipynb").write_bytes(b"")
    (tmp_path / "quick_check (1).ipynb").write_text("{}")
    (tmp_path / "attention.ipynb").write_text("[1, 2]")
    out = {o.file: (o.action, o.note) for o in match_folder(tmp_path, {"softmax", "quick_check", "attention"})}
    assert out["softmax.ipynb"] == ("refused", "not a notebook: the file is not valid JSON "
                                               "(line 1: Unterminated string starting at): not graded")
    assert out["quick_check.ipynb"] == ("refused", "an empty file, not a notebook: not graded")
    assert out["quick_check (1).ipynb"][0] == "renamed"
    assert out["attention.ipynb"][0] == "refused"


def test_csv_cells_are_never_formulas(tmp_path):
    import csv

    from deckc.grading.csv_reports import neutralise, neutralise_file, write_csv

    assert neutralise('=HYPERLINK("x")') == '\'=HYPERLINK("x")'
    assert [neutralise(x) for x in ("+1", "-2", "@SUM(A1)", "\tx", "\rx", "ok", "")] == \
        ["'+1", "'-2", "'@SUM(A1)", "'\tx", "'\rx", "ok", ""]
    assert neutralise("-2", numeric=True) == "-2" and neutralise("-2.5e3", numeric=True) == "-2.5e3"
    assert neutralise("-1+cmd|' /C calc'!A0", numeric=True).startswith("'")
    assert neutralise(neutralise("=1")) == "'=1"
    path = tmp_path / "r.csv"
    write_csv(path, ["name", "score"], [{"name": "=cmd", "score": "-3"}], {"score"})
    neutralise_file(path, {"score"})
    assert list(csv.DictReader(open(path, newline=""))) == [{"name": "'=cmd", "score": "-3"}]


def test_grades_csv_rows_do_not_depend_on_merge_order(tmp_path):
    """Students enter the gradebook in the order their results arrive (which differs between runs
    and between --jobs and --cluster); nbgrader's export orders by name only, so with no names
    grades.csv came out in arrival order and two runs with identical scores did not diff equal."""
    import csv

    from deckc.grading.run import _export
    from deckc.nbgrader.gradebook import open_gradebook

    rows = {}
    for order in (["zed", "amy", "bob"], ["bob", "zed", "amy"]):
        url = f"sqlite:///{tmp_path / ('-'.join(order) + '.db')}"
        with open_gradebook(url) as gb:
            gb.add_assignment("a")
            for student in order:
                gb.add_student(student)
            path = tmp_path / f"{'-'.join(order)}.csv"
            _export(gb, path, "a")
        rows[tuple(order)] = [r["student_id"] for r in csv.DictReader(open(path, newline=""))]
    assert list(rows.values()) == [["amy", "bob", "zed"]] * 2


def test_feedback_check_redacts():
    from deckc.grading.feedback import check_html, secrets_of, strip_hidden

    cell = "x = 1\n### BEGIN HIDDEN TESTS\nexpected = 0.123456789012\n### END HIDDEN TESTS\ntest(x)"
    assert strip_hidden(cell) == "x = 1\ntest(x)"
    assert secrets_of(cell) == {"0.123456789012"}
    html, problems = check_html("<p>0.123456789012 and _deckc_grader</p>", {"0.123456789012"})
    assert "0.123456789012" not in html and "_deckc_grader" not in html and len(problems) == 2
    assert check_html("<p>fine</p>", {"0.123456789012"}) == ("<p>fine</p>", [])
