"""Feedback a student can use, and a summary without checksum noise (deckc grade).

Grades a wrong submission and one that also edited its test cells, then reads the feedback as
the student would: every test named with its points in the summary, messages that wrap; and the
grader's side: no "checksum has changed" warning in the log, one line naming the cells edited.
"""
from __future__ import annotations

import re

import pytest

from deckc.grading.feedback_view import label_of
from grade_support import ASSIGNMENT, TIMEOUT, grade, new_course, submit


def test_the_label_comes_from_the_cell_s_first_line():
    assert label_of("# Test rnn_step_shape (1 point): rnn_step returns a float array.\ndef ...") == {
        "name": "rnn_step_shape", "doc": "rnn_step returns a float array", "points": "1 pt"}
    assert label_of("# Hidden test rnn_step_batch (2 points): rnn_step matches the reference solution on a "
                      "random batch. It runs when your work is graded.\n### BEGIN HIDDEN TESTS") == {
        "name": "rnn_step_batch", "doc": "rnn_step matches the reference solution on a random batch",
        "points": "2 pts"}
    assert label_of("assert answer == 'B'") is None


@pytest.mark.slow
def test_feedback_names_each_test_and_the_log_has_no_checksum_noise(tmp_path):
    course = new_course(tmp_path / "course")
    submit(course, "ben", "no_tanh")
    submit(course, "eda", "edited_tests")
    result = grade(course, "--jobs", "2", "--timeout", TIMEOUT, "-q")
    assert result.exit_code == 0, result.output
    html = (course / "feedback" / "ben" / ASSIGNMENT / "rnn_step.html").read_text(encoding="utf-8")
    toc = html[html.index('<div id="toc">'):html.index("</ol>", html.index('<div id="toc">'))]
    assert "Test cell" not in toc
    assert re.search(r'rnn_step_batch</a>: <span class="test-doc">rnn_step matches the reference solution on a '
                     r'random batch</span> \(2 pts\): <span class="lost">0\.0 / 2\.0</span>', toc), toc[:2000]
    assert re.search(r'rnn_forward_shape</a>: .*\(1 pt\): <span class="kept">1\.0 / 1\.0</span>', toc)
    assert len(re.findall(r"<li>", toc)) == 11                        # every test of the notebook, once
    assert "white-space: pre-wrap" in html and "max-height: none" in html
    log = (course / "reports" / ASSIGNMENT / "grading.log").read_text(encoding="utf-8", errors="replace")
    assert "checksum" not in log.lower(), [ln for ln in log.splitlines() if "hecksum" in ln][:3]
    lines = result.output.splitlines()
    assert "read-only cells edited (restored from the gradebook before grading): 1 student(s)" in lines
    edited = next(ln for ln in lines if ln.startswith("  eda: rnn_step: "))
    assert "rnn_step_shape" in edited and "gradient_norms_random" in edited
    assert not any(ln.startswith("  ben: rnn_step: ") for ln in lines)
