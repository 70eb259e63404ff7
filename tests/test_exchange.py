"""nbgrader's exchange on the module's course (issue 17): release_assignment, fetch_assignment,
submit and collect with the real nbgrader CLI against a local exchange folder, as on JupyterHub,
then `deckc grade` grades everything collected, every assignment in one run."""
from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT
from test_module_course import COURSE_ID, build, module

pytestmark = pytest.mark.slow


def nbgrader(cwd: Path, exchange: Path, *args: str) -> str:
    pytest.importorskip("nbgrader")
    from deckc.nbgrader.command import nbgrader as run

    proc = run(cwd, *args, f"--Exchange.root={exchange}")
    return proc.stdout + proc.stderr


def totals(db: Path) -> dict:
    con = sqlite3.connect(db)
    try:
        return {(a, s): (score, top) for a, s, score, top in con.execute(
            "SELECT a.name, sa.student_id, sum(coalesce(g.manual_score, g.auto_score)), sum(gc.max_score) "
            "FROM grade g JOIN submitted_notebook sn ON sn.id = g.notebook_id "
            "JOIN submitted_assignment sa ON sa.id = sn.assignment_id JOIN assignment a ON a.id = sa.assignment_id "
            "JOIN grade_cells gc ON gc.id = g.cell_id GROUP BY a.name, sa.student_id")}
    finally:
        con.close()


def test_release_fetch_submit_collect_then_deckc_grade(tmp_path):
    """The student is this process's OS user: nbgrader's submit names a submission by the uid's
    login name (on JupyterHub, each student's own Unix user), so one student here."""
    import pwd
    import os

    student = pwd.getpwuid(os.getuid()).pw_name
    root = module(tmp_path)
    build(root)
    course = root / "build" / "course"
    exchange = tmp_path / "exchange"
    exchange.mkdir()
    for assignment in ("lesson-1", "lesson-2"):
        assert "Released as: " + COURSE_ID in nbgrader(course, exchange, "release_assignment", assignment)
    home = tmp_path / "home"
    home.mkdir()
    listed = nbgrader(home, exchange, "list", "--course", COURSE_ID)
    assert "lesson-1" in listed and "lesson-2" in listed
    for a in ("lesson-1", "lesson-2"):
        nbgrader(home, exchange, "fetch_assignment", a, "--course", COURSE_ID)
    assert sorted(p.name for p in (home / "lesson-1").iterdir()) == ["rnn_step.ipynb"]
    # Lesson 1 answered with the reference solution; lesson 2 handed in as released.
    shutil.copy(course / "source" / "lesson-1" / "rnn_step.ipynb", home / "lesson-1" / "rnn_step.ipynb")
    for a in ("lesson-1", "lesson-2"):
        nbgrader(home, exchange, "submit", a, "--course", COURSE_ID)
        nbgrader(course, exchange, "collect", a)
    assert (course / "submitted" / student / "lesson-2" / "timestamp.txt").is_file()
    assert (course / "submitted" / student / "lesson-1" / "rnn_step.ipynb").is_file()

    proc = subprocess.run([sys.executable, "-m", "deckc", "grade", str(course), "--jobs", "2", "-q",
                           "--no-feedback", "--timeout", "10"], capture_output=True, text=True,
                          env={"PYTHONPATH": str(ROOT), "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin"})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "== lesson-1 ==" in proc.stdout and "== lesson-2 ==" in proc.stdout
    assert "graded 1 of 1 submission(s) of 'lesson-1'" in proc.stdout
    assert "graded 1 of 1 submission(s) of 'lesson-2'" in proc.stdout
    got = totals(course / "gradebook.db")
    assert set(got) == {("lesson-1", student), ("lesson-2", student)}
    score, top = got[("lesson-1", student)]
    assert score == top > 0
    assert got[("lesson-2", student)][0] < got[("lesson-2", student)][1]
    for a in ("lesson-1", "lesson-2"):
        assert (course / "reports" / a / "tests.csv").is_file()
    # -a: one assignment only.
    proc = subprocess.run([sys.executable, "-m", "deckc", "grade", str(course), "-a", "lesson-2", "-q",
                           "--no-feedback", "--no-preflight", "--timeout", "10"], capture_output=True, text=True,
                          env={"PYTHONPATH": str(ROOT), "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin"})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "of 'lesson-2'" in proc.stdout and "lesson-1" not in proc.stdout
