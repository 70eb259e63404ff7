"""`deckc grade` against the outside review's attacks (issue 11), and correct-but-unusual work.

One `deckc grade --jobs 2` run over: correct submissions written the unusual ways students write
them (IPython magics, `!shell`, display(), get_ipython(), renamed parameters, notebooks renamed by
an LMS), and hostile ones (calling the reference versions the checking runner used to carry,
poisoning the runner's pipe with deeply nested JSON, printing tens of megabytes, a 20 MB
notebook, active HTML in a markdown cell, spreadsheet formulas in messages, zeros to make the
check's message reveal the expected values). Correct ones earn full marks; hostile ones earn exactly
what an honest submission with the same mistakes earns; the reports hold no active content.
"""
from __future__ import annotations

import csv
import re
import shutil
from pathlib import Path

import nbformat
import pytest

from grade_support import (ASSIGNMENT, ATTENTION_VALUES, RNN_STEP, SOFTMAX, TIMEOUT, expected_parts, grade,
                           hidden_numbers, new_course, observed, require_namespace_isolation, scores, submit)

pytestmark = pytest.mark.slow

RNN_FORWARD = {"rnn_forward_shape", "rnn_forward_worked_example", "rnn_forward_sequence", "rnn_forward_unbatched"}
ATTENTION = {"attention_shapes"} | ATTENTION_VALUES
VALUES_OF_RNN_STEP = RNN_STEP - {"rnn_step_shape"}

# submission -> parts it loses
LOST = {
    "reference": set(),
    "ipython_syntax": set(),
    "renamed_parameters": set(),
    "renamed_files": set(),
    "reference_from_job": RNN_STEP | RNN_FORWARD | SOFTMAX | ATTENTION,
    # its forged lines came first for two parts (first answer wins): they fail, cleanly; all else is graded
    "deep_json": {"rnn_step_batch", "rnn_step_unbatched"},
    "big_output": set(),
    "huge_notebook": set(),          # its attention.ipynb is refused: see NOT_GRADED
    "html_attack": set(),
    "formula_message": RNN_STEP,
    "zeros": VALUES_OF_RNN_STEP | SOFTMAX,
}
NOT_GRADED = {"huge_notebook": "attention"}   # refused notebooks: every part 0
FORMULA = '=HYPERLINK("http://example.invalid/x","click")'


def _make(course: Path, student: str) -> list[str]:
    """Hand in `student`'s submission; file-level attacks are made here."""
    kind = {"renamed_files": "reference", "huge_notebook": "reference", "html_attack": "reference"}.get(student,
                                                                                                       student)
    handed_in = submit(course, student, kind)
    folder = course / "submitted" / student / ASSIGNMENT
    if student == "renamed_files":
        (folder / "rnn_step.ipynb").rename(folder / "rnn_step (1).ipynb")
        (folder / "attention.ipynb").rename(folder / "Attention.ipynb")
        (folder / "quick_check.ipynb").rename(folder / "quick_check-1.ipynb")
        shutil.copy(folder / "Attention.ipynb", folder / "scratch work.ipynb")
    if student == "huge_notebook":
        nb = nbformat.read(folder / "attention.ipynb", as_version=4)
        nb.cells.append(nbformat.v4.new_markdown_cell("padding " * (21 * 1024 * 1024 // 8)))
        nbformat.write(nb, folder / "attention.ipynb")
    if student == "html_attack":
        nb = nbformat.read(folder / "attention.ipynb", as_version=4)
        nb.cells.insert(1, nbformat.v4.new_markdown_cell(
            'Notes <img src="x" onerror="alert(1)"> <script>alert(2)</script>\n\n'
            '<a href="javascript:alert(3)">link</a> <div onmouseover="alert(4)">hover</div>\n\n'
            '<iframe src="https://example.invalid"></iframe> <svg onload="alert(5)"></svg>'))
        nbformat.write(nb, folder / "attention.ipynb")
    return handed_in


@pytest.fixture(scope="module")
def attacks(tmp_path_factory):
    require_namespace_isolation()
    course = new_course(tmp_path_factory.mktemp("attacks") / "course")
    handed_in = {name: _make(course, name) for name in LOST}
    result = grade(course, "--jobs", "2", "--timeout", TIMEOUT, "--memory", "2048")
    reports = course / "reports" / ASSIGNMENT
    return {"course": course, "result": result, "handed_in": handed_in, "scores": scores(course),
            "tests": list(csv.DictReader(open(reports / "tests.csv", encoding="utf-8"))),
            "reports": reports}


@pytest.mark.parametrize("student", sorted(LOST))
def test_scores(attacks, student):
    handed_in = [nb for nb in attacks["handed_in"][student] if NOT_GRADED.get(student) != nb]
    want = expected_parts(handed_in, LOST[student])
    assert observed(attacks["scores"].get(student, {})) == want, attacks["result"].output


def test_every_student_has_rows(attacks):
    assert {r["student"] for r in attacks["tests"]} == set(LOST), attacks["result"].output


def test_no_reference_code_reaches_the_runner(attacks):
    """The job the runner gets: planned arguments and names, nothing of the reference solution."""
    from deckc.grading import verify
    assert not hasattr(verify, "ISOLATION_DEFS")


def test_renamed_notebooks_are_matched_and_reported(attacks):
    out = attacks["result"].output
    report = (attacks["reports"] / "submissions.csv").read_text(encoding="utf-8")
    assert "rnn_step (1).ipynb" in report and "Attention.ipynb" in report and "quick_check-1.ipynb" in report
    assert "scratch work.ipynb" in report and "scratch work.ipynb" in out     # unmatched: reported


def test_huge_notebook_is_refused_with_a_message(attacks):
    report = (attacks["reports"] / "submissions.csv").read_text(encoding="utf-8")
    assert re.search(r"huge_notebook,attention\.ipynb,attention,refused,.*MB", report), report
    assert "huge_notebook" in attacks["result"].output


def test_output_is_capped(attacks):
    folder = attacks["course"] / "autograded" / "big_output" / ASSIGNMENT
    for path in folder.glob("*.ipynb"):
        assert path.stat().st_size < 5 * 1024 * 1024, (path.name, path.stat().st_size)
    text = (folder / "rnn_step.ipynb").read_text(encoding="utf-8")
    assert "output truncated" in text


def test_feedback_has_no_active_content(attacks):
    html = (attacks["course"] / "feedback" / "html_attack" / ASSIGNMENT / "attention.html").read_text(encoding="utf-8")
    body = html[html.find("<body"):]
    assert "Notes" in body and "hover" in body
    assert not re.search(r"<script|<iframe|<svg|javascript:|\son[a-z]+\s*=", body, re.I), \
        re.search(r".{40}(<script|<iframe|<svg|javascript:|\son[a-z]+\s*=).{40}", body, re.I)
    assert "<style" in html                        # nbgrader's layout is kept


def test_csv_cells_cannot_be_formulas(attacks):
    for name in ("tests.csv", "grades.csv", "submissions.csv"):
        for row in csv.reader(open(attacks["reports"] / name, encoding="utf-8")):
            for cell in row:
                if cell[:1] in ("=", "+", "@", "\t", "\r"):
                    pytest.fail(f"{name}: {cell!r}")
                if cell[:1] == "-":
                    float(cell)                   # a negative number is a number, not text
    rows = [r for r in attacks["tests"] if r["student"] == "formula_message"]
    assert any(r["message"] == "'" + FORMULA for r in rows), rows


def test_messages_reveal_no_expected_values(attacks):
    # the tolerances, and "near 1e4": the scale of the stability test's inputs, stated in its own
    # description (an input, not an expected value)
    allowed = {"1e-05", "0.0001", "1e4"}
    numbers = hidden_numbers()
    hidden = {"rnn_step_batch", "rnn_step_unbatched", "softmax_random", "softmax_axis", "softmax_stable"}
    rows = [r for r in attacks["tests"] if r["student"] == "zeros" and r["test"] in hidden]
    assert len(rows) == len(hidden) and all(r["result"] == "fail" for r in rows)
    assert rows
    for r in rows:
        for number in re.findall(r"\d*\.\d+(?:e-?\d+)?|\d+e-?\d+", r["message"]):
            assert number in allowed, r["message"]
        assert not any(n[:8] in r["message"] for n in numbers)
    assert any(re.search(r"wrong at \d+ of \d+ entries", r["message"]) for r in rows), rows


def test_history_of_the_kernel_is_not_on_disk(attacks):
    from deckc.grading import grader
    assert any("HistoryManager.hist_file=:memory:" in a for a in grader.KERNEL_ARGS)
