"""Shared helpers of the `deckc grade` tests (tests/test_grade*.py).

The course (rnn_step + attention + the quick check, 36 points) is built once per test process
and copied for each test that grades; submissions come from the zoo's builders
(tests/test_exercises_zoo.py: parse_zoo, make_submission) and from tests/grade_hostile/.
"""
from __future__ import annotations

import atexit
import functools
import os
import re
import shutil
import tempfile
from pathlib import Path

import nbformat
import pytest
from click.testing import CliRunner

from test_exercises_zoo import (ASSIGNMENT, ATTENTION_VALUES, EXERCISES, QUIZ, RNN_STEP, SOFTMAX, ZOO,  # noqa: F401
                                make_submission, parse_zoo)

ROOT = Path(__file__).resolve().parents[2]
HOSTILE = Path(__file__).resolve().parents[1] / "grade_hostile"
UNUSUAL = Path(__file__).resolve().parents[1] / "grade_unusual"
TIMEOUT = 5          # seconds per cell while grading here
NO_TANH = {"rnn_step_worked_example", "rnn_step_batch", "rnn_step_unbatched"}


@functools.lru_cache(maxsize=1)
def built_course() -> Path:
    """The course, built once per test process (nbgrader's generate_assignment included)."""
    from deckc.exercises import build_course

    where = Path(tempfile.mkdtemp(prefix="deckc-grade-tests-"))
    atexit.register(shutil.rmtree, where, True)
    build_course(ASSIGNMENT, EXERCISES, ROOT / "exercises", where / "course", QUIZ, timeout=TIMEOUT)
    return where / "course"


@functools.lru_cache(maxsize=1)
def notebooks() -> dict:
    """{notebook: (source notebook, release notebook)}"""
    course = built_course()
    out = {}
    for path in sorted((course / "source" / ASSIGNMENT).glob("*.ipynb")):
        out[path.stem] = (nbformat.read(path, as_version=4),
                          nbformat.read(course / "release" / ASSIGNMENT / path.name, as_version=4))
    return out


def new_course(dest: Path) -> Path:
    """A fresh copy of the built course at dest (no submissions, no grades)."""
    shutil.copytree(built_course(), dest)
    return dest


def submit(course: Path, student: str, kind: str) -> list[str]:
    """Put submission `kind` (a tests/zoo, tests/grade_hostile or tests/grade_unusual file) in as `student`; returns
    the notebooks handed in."""
    path = next((p for p in (HOSTILE / f"{kind}.ipy", UNUSUAL / f"{kind}.ipy") if p.exists()), ZOO / f"{kind}.ipy")
    text = path.read_text(encoding="utf-8").replace("{COURSE}", str(course))
    tmp = Path(tempfile.mkdtemp()) / path.name
    tmp.write_text(text, encoding="utf-8")
    zoo = parse_zoo(tmp)
    shutil.rmtree(tmp.parent)
    submitted = make_submission(course, student, zoo, notebooks())
    m = re.search(r"^# delete-tests: *(.+)$", text, flags=re.M)
    for name in ([s.strip() for s in m.group(1).split(",")] if m else []):
        nb_path = course / "submitted" / student / ASSIGNMENT / f"{name}.ipynb"
        nb = nbformat.read(nb_path, as_version=4)
        nb.cells = [c for c in nb.cells if not c.metadata.get("nbgrader", {}).get("grade")]
        nbformat.write(nb, nb_path)
    return submitted


def grade(*args: str):
    """Run `deckc grade` in-process (the Click command object); returns the click Result."""
    from deckc.grading.cli import grade as command

    result = CliRunner().invoke(command, [str(a) for a in args], catch_exceptions=False)
    return result


def scores(course: Path, db_url: str | None = None) -> dict:
    """{student: {notebook: {part: (score, max_score, needs_manual_grade)}}}"""
    from deckc.nbgrader.gradebook import scores as read
    from deckc.grading.run import normalize_db_url

    return read(normalize_db_url(db_url or f"sqlite:///{course / 'gradebook.db'}"), ASSIGNMENT, ASSIGNMENT)


def expected_parts(student_notebooks: list[str], lost: set[str]) -> dict:
    """{notebook: {part: score}}: full points except the lost parts and unsubmitted notebooks."""
    out = {}
    for name, (source, _) in notebooks().items():
        parts = {c.metadata.nbgrader["grade_id"]: c.metadata.nbgrader["points"] for c in source.cells
                 if c.metadata.get("nbgrader", {}).get("grade")}
        out[name] = {p: (pts if name in student_notebooks and p not in lost else 0) for p, pts in parts.items()}
    return out


def observed(got: dict) -> dict:
    return {nb: {p: g[0] for p, g in parts.items()} for nb, parts in got.items()}


def hidden_numbers() -> set[str]:
    """Long numeric literals of the source notebooks' hidden regions (inputs, reference values)."""
    found = set()
    for source, _ in notebooks().values():
        for cell in source.cells:
            for m in re.finditer(r"### BEGIN HIDDEN TESTS(.*?)### END HIDDEN TESTS", cell.source, re.S):
                found.update(re.findall(r"\d\.\d{10,}", m.group(1)))
    return found


def student_processes() -> list[str]:
    """Processes of deckc's unprivileged student uids (>= 200000) still alive: `ps` lines."""
    out = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            uid = os.stat(f"/proc/{pid}").st_uid
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if uid >= 200000:
            out.append(f"{pid} uid={uid} {cmd[:120]}")
    return out


def require_namespace_isolation() -> None:
    """The hostile tests need root and unshare (the CI runs as root); skip on a laptop."""
    from deckc.grading.sandbox import isolation_mode, uid_base

    if isolation_mode("auto", uid_base(8)) != "namespace":
        msg = "deckc grade's namespace isolation needs root and util-linux unshare"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(msg + " -- CI=true, so this is an error, not a skip")
        pytest.skip(msg)
