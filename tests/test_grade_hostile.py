"""Hostile submissions through `deckc grade`: each gains nothing, and the batch completes.

One `deckc grade --jobs 2` run over an honest reference submission and the hostile ones of
tests/grade_hostile/ (plus the zoo's cheaters and its endless loop). Every student's score on
every part must equal what an honest submission with the same mistakes earns (the table below):
rebinding numpy, rigging __eq__, reading the grader's `expected` off the stack, editing or
deleting test cells, writing fake score files, fork bombs, memory hogs, endless loops and killing
the kernel all earn nothing extra, and cost only the submitter's own parts. After the run no
student process is left, nothing was written outside the grader's outputs, and the feedback
shows none of the hidden values the cheaters tried to leak.
"""
from __future__ import annotations

import csv
import re
import time
from pathlib import Path

import pytest

from grade_support import (ASSIGNMENT, ATTENTION_VALUES, NO_TANH, RNN_STEP, SOFTMAX, TIMEOUT, expected_parts,
                           grade, hidden_numbers, new_course, observed, require_namespace_isolation, scores,
                           student_processes, submit)

SELF_ATTENTION = {"self_attention_shapes", "self_attention_causal_example", "self_attention_random",
                  "self_attention_causal"}
GRADIENT_NORMS = {"gradient_norms_linear_case", "gradient_norms_worked_example", "gradient_norms_random"}

# submission -> the parts it loses (every other part of a handed-in notebook earns full marks)
LOST = {
    "reference": set(),
    "rebind_numpy": NO_TANH,
    "peek_expected": NO_TANH | GRADIENT_NORMS,
    "rigged_eq": SOFTMAX - {"softmax_rows_sum_to_one"},     # uniform rows do sum to one
    "always_equal": RNN_STEP | ATTENTION_VALUES | {"quick_check"},
    "edited_tests": NO_TANH,
    "deleted_tests": NO_TANH,
    "fake_files": set(),
    "fork_bomb": set(),
    "memory_hog": SOFTMAX | SELF_ATTENTION,
    "infinite_loop": GRADIENT_NORMS,
    "kernel_kill": RNN_STEP,
}
# where the kernel's own verdict was too generous, so the out-of-kernel check must have corrected it
CORRECTED = {
    # (its worked example fails in the kernel too: the visible test names the mistake)
    "rebind_numpy": {"rnn_step/rnn_step_batch", "rnn_step/rnn_step_unbatched"},
    "peek_expected": {"rnn_step/rnn_step_batch", "rnn_step/rnn_step_unbatched"},
}


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    require_namespace_isolation()
    course = new_course(tmp_path_factory.mktemp("hostile") / "course")
    handed_in = {name: submit(course, name, name) for name in LOST}
    before = set(student_processes())
    started = time.monotonic()
    result = grade(course, "--jobs", "2", "--timeout", TIMEOUT, "--memory", "2048")
    seconds = time.monotonic() - started
    return {"course": course, "result": result, "handed_in": handed_in, "seconds": seconds,
            "scores": scores(course), "before": before}


def test_batch_completes(hostile):
    result = hostile["result"]
    assert result.exit_code == 0, result.output
    assert f"graded {len(LOST)} of {len(LOST)} submission(s)" in result.output, result.output
    assert "isolation: namespace" in result.output


@pytest.mark.parametrize("student", sorted(LOST))
def test_hostile_gains_nothing(hostile, student):
    want = expected_parts(hostile["handed_in"][student], LOST[student])
    assert observed(hostile["scores"][student]) == want


def test_corrections_are_recorded(hostile):
    """Where the kernel was fooled, the per-test CSV and the gradebook comment say so."""
    rows = list(csv.DictReader(open(hostile["course"] / "reports" / ASSIGNMENT / "tests.csv", encoding="utf-8")))
    for student, parts in CORRECTED.items():
        corrected = {f"{r['notebook']}/{r['test']}" for r in rows
                     if r["student"] == student and r["overridden"] == "yes"}
        assert parts <= corrected, (student, corrected)
        for r in rows:
            if r["student"] == student and f"{r['notebook']}/{r['test']}" in parts:
                assert r["kernel_points"] == r["max_points"] and r["points"] == "0", r
    from deckc.nbgrader.gradebook import Gradebook
    with Gradebook(f"sqlite:///{hostile['course'] / 'gradebook.db'}") as gb:
        comment = gb.find_comment("rnn_step", "rnn_step", ASSIGNMENT, "rebind_numpy").auto_comment
    assert "out-of-kernel check scored 0/2" in comment and "rnn_step_batch" in comment


def test_the_kernel_was_killed_but_only_its_notebook_suffers(hostile):
    rows = [r for r in csv.DictReader(open(hostile["course"] / "reports" / ASSIGNMENT / "tests.csv", encoding="utf-8"))
            if r["student"] == "kernel_kill"]
    rnn = [r for r in rows if r["notebook"] == "rnn_step"]
    assert all(r["kernel_points"] == "" for r in rnn)                   # nbgrader could not grade it
    assert {r["test"] for r in rnn if r["result"] == "pass"} == {
        "rnn_forward_shape", "rnn_forward_worked_example", "rnn_forward_sequence", "rnn_forward_unbatched",
        "gradient_norms_linear_case", "gradient_norms_worked_example", "gradient_norms_random"}
    assert all(r["result"] == "pass" for r in rows if r["notebook"] != "rnn_step")


def test_no_process_left_behind(hostile):
    assert set(student_processes()) - hostile["before"] == set()


def test_time_is_bounded(hostile):
    # the endless loop costs its two cells' time limits twice (kernel and check); nothing hangs
    assert hostile["seconds"] < 240, hostile["seconds"]


def test_no_fake_files_anywhere(hostile):
    course = hostile["course"]
    assert not Path("/tmp/deckc_fake_score.txt").exists()
    assert not (course / "reports" / "fake_scores.csv").exists()
    assert not (course / "autograded" / "fake_files" / "fake.txt").exists()
    for path in (course / "autograded" / "fake_files" / ASSIGNMENT).iterdir():
        assert path.suffix == ".ipynb" or path.name == "timestamp.txt", path
    for path in course.rglob("grades.csv"):
        assert path == course / "reports" / ASSIGNMENT / "grades.csv", path
        assert "fake_files,36,36" not in path.read_text()
    for parts in hostile["scores"].values():
        for nb in parts.values():
            assert all(g[0] <= g[1] for g in nb.values())   # nobody got the 99 the fake write wanted


def test_feedback_does_not_leak_what_cheaters_printed(hostile):
    numbers = hidden_numbers()
    assert numbers
    for student in ("peek_expected", "rebind_numpy", "reference"):
        folder = hostile["course"] / "feedback" / student / ASSIGNMENT
        assert folder.is_dir(), student
        for html in folder.iterdir():
            text = html.read_text(encoding="utf-8")
            # what the cheater printed or raised (its own source, quoting these words, may show)
            assert not re.search(r"LEAK (\[|array|None)|the expected values are \[", text)
            assert "BEGIN HIDDEN TESTS" not in text and "_deckc_grader" not in text
            leaked = [n for n in numbers if n in text]
            assert not leaked, (student, html.name, leaked[:3])
    html = (hostile["course"] / "feedback" / "peek_expected" / ASSIGNMENT / "rnn_step.html").read_text()
    assert re.search(r"rnn_step is wrong at \d+ of \d+ entries", html)   # says why, from the sealed check
