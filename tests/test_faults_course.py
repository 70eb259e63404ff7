"""Signals while `deckc build` rewrites a course that has submissions (so nbgrader's own
generate_assignment writes release/ and the gradebook, in a subprocess of the course writer): the
course is the old one or the new one, never a mix, and its lock is released."""
from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from test_faults import _leftovers, _live_processes, _wait_started, deckc_cmd
from test_module_course import _hand_in_rows, module, tree

ARGV = ["build", "lesson", "--format", "exercises"]
# Sleeps in the nbgrader subprocess only (its command line names nbgrader), before it writes.
SLOW_NBGRADER = ("import os, sys, time\n"
                 "if 'nbgraderapp' in ' '.join(getattr(sys, 'orig_argv', [])):\n"
                 "    time.sleep(float(os.environ['DECKC_TEST_NBGRADER_SLEEP']))\n")


def _course_state(out: Path) -> dict:
    """What a rebuild changes: source/ and release/ byte for byte, the assignment's gradebook rows."""
    course = out / "course"
    con = sqlite3.connect(course / "gradebook.db")
    try:
        cells = con.execute("SELECT a.name, n.name, b.name, g.max_score FROM grade_cells g JOIN base_cell b "
                            "ON g.id = b.id JOIN notebook n ON b.notebook_id = n.id JOIN assignment a "
                            "ON n.assignment_id = a.id ORDER BY 1, 2, 3").fetchall()
        notebooks = con.execute("SELECT a.name, n.name FROM notebook n JOIN assignment a "
                                "ON n.assignment_id = a.id ORDER BY 1, 2").fetchall()
    finally:
        con.close()
    return {"source": tree(course / "source"), "release": tree(course / "release"),
            "notebooks": notebooks, "grade_cells": cells}


def _old_and_new(tmp_path: Path, lessons: int = 1):
    """A course with a submission of lesson-1 (so nbgrader releases it; lesson-2 is released
    natively), an edit that changes their notebooks and points; the output folder is left as the
    old build. Returns (root, out, old state, new state)."""
    root = module(tmp_path, {f"lesson-{i}": ["rnn_step", "attention"] for i in range(1, lessons + 1)})
    out = root / "build"
    assert subprocess.run(deckc_cmd() + ARGV, cwd=root, capture_output=True).returncode == 0
    _hand_in_rows(out / "course" / "gradebook.db", "alice", "lesson-1")
    old_copy = tmp_path / "old-out"
    shutil.copytree(out, old_copy)
    ex = root / "exercises" / "rnn_step"
    (ex / "intro.md").write_text((ex / "intro.md").read_text(encoding="utf-8") + "\nA new hint.\n", encoding="utf-8")
    (ex / "exercise.yaml").write_text((ex / "exercise.yaml").read_text(encoding="utf-8").replace(
        "rnn_step_shape: 1 ", "rnn_step_shape: 3 "), encoding="utf-8")
    p = subprocess.run(deckc_cmd() + ARGV, cwd=root, capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    new = _course_state(out)
    shutil.rmtree(out)
    shutil.copytree(old_copy, out)
    old = _course_state(out)
    assert old != new
    return root, out, old, new


def _processes_in(folder: Path) -> list[str]:
    """Processes working in `folder` (nbgrader runs in the course folder, in a session of its own)."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and Path(os.readlink(proc / "cwd")).is_relative_to(folder):
                found.append(proc.name + " " + (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode())
        except OSError:
            pass
    return found


def _nbgrader_started(folder: Path, timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if any("nbgraderapp" in p for p in _processes_in(folder)):
            return
        time.sleep(0.02)
    raise AssertionError("nbgrader never ran: the release took the native path")


def _interrupt_release(root: Path, sig: int, group: bool, env: dict | None = None, argv=()) -> dict:
    proc = subprocess.Popen(deckc_cmd() + ARGV + list(argv), cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True, env={**os.environ, **(env or {})})
    _wait_started(proc.pid)
    _nbgrader_started(root)
    (os.killpg if group else os.kill)(proc.pid, sig)
    _, err = proc.communicate(timeout=120)
    deadline = time.time() + 5
    while (_live_processes(proc.pid) or _processes_in(root)) and time.time() < deadline:
        time.sleep(0.1)
    return {"code": proc.returncode, "err": err, "left": _live_processes(proc.pid) + _processes_in(root)}


def _check_whole(trial: dict, sig: int, out: Path, old: dict, new: dict) -> None:
    assert "Traceback" not in trial["err"], trial["err"]
    assert not trial["left"], trial["left"]
    assert trial["code"] in (128 + sig, 0), trial
    if trial["code"]:
        assert trial["err"].strip().splitlines()[-1] == "Interrupted.", trial["err"]
    assert _leftovers(out) == [], _leftovers(out)
    state = _course_state(out)
    for a in state["source"]:             # each assignment is its old or its new self
        if "/" not in a:
            was = new if state["source"][a + "/rnn_step.ipynb"] == new["source"][a + "/rnn_step.ipynb"] else old
            mixed = [k for k in ("source", "release") if _of(state[k], a) != _of(was[k], a)]
            mixed += [k for k in ("notebooks", "grade_cells") if _of(state[k], a) != _of(was[k], a)]
            assert not mixed, f"assignment {a} is a mix of its old and its new build: {mixed} differ"


def _of(rows, assignment: str):
    if isinstance(rows, dict):
        return {k: v for k, v in rows.items() if k.split("/")[0] == assignment}
    return [r for r in rows if r[0] == assignment]


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_to_the_process_group_while_nbgrader_releases_leaves_a_whole_course(tmp_path, sig):
    """A terminal's Ctrl-C (or a service manager's SIGTERM) reaches every process of the group,
    nbgrader's too: it must not die half-way while the course writer holds its write."""
    root, out, old, new = _old_and_new(tmp_path)
    _check_whole(_interrupt_release(root, sig, group=True), sig, out, old, new)


@pytest.mark.slow
@pytest.mark.parametrize("lessons", [1, 2])
def test_a_held_course_write_longer_than_the_stop_grace_is_not_killed(tmp_path, lessons):
    """nbgrader's release can take longer than STOP_GRACE (5 s) on a loaded machine: the writer
    holding the course write is not SIGKILLed half-way (mix, lock file left), it is waited for;
    with -j 2, by its lesson process and by deckc (whose grace for that lesson, the first one
    started, ends first)."""
    root, out, old, new = _old_and_new(tmp_path, lessons)
    slow = tmp_path / "slow"
    slow.mkdir()
    (slow / "sitecustomize.py").write_text(SLOW_NBGRADER, encoding="utf-8")
    env = {"PYTHONPATH": str(slow), "DECKC_TEST_NBGRADER_SLEEP": "7"}
    trial = _interrupt_release(root, signal.SIGINT, group=lessons > 1, env=env,
                               argv=["-j", "2"] if lessons > 1 else [])
    _check_whole(trial, signal.SIGINT, out, old, new)
    if trial["code"]:                     # it waited for the write: the user is told why, once
        assert trial["err"].count("finishing the course's write before stopping") == 1, trial["err"]
