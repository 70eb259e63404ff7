"""Signals at a real `deckc grade` (the console script in a subprocess): SIGINT and SIGTERM end it
promptly with one line "Interrupted." and exit 130 / 143, no traceback; nothing it started is
left running (checked in /proc: processes carrying the run's tag, and processes of the run's
student uids); its scratch folder is gone; the gradebook holds only whole students. After
SIGKILL nothing is left running either, and the next run removes the dead run's scratch at once.
"""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pytest

from grade_support import ASSIGNMENT, TIMEOUT, new_course, scores, submit

pytestmark = pytest.mark.slow

STUDENTS = ("ann", "ben", "cat", "dan", "eve", "fay")


def _course(tmp_path: Path) -> Path:
    course = new_course(tmp_path / "course")
    for s in STUDENTS:
        submit(course, s, "reference")
    return course


def _start(course: Path, tmpdir: Path, tag: str, *extra: str) -> subprocess.Popen:
    env = dict(os.environ, TMPDIR=str(tmpdir), DECKC_SIGNAL_TEST=tag)
    return subprocess.Popen([sys.executable, "-m", "deckc", "grade", str(course), "--jobs", "2", "--timeout",
                             str(TIMEOUT), "--no-feedback", *extra], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _uid_block(pid: int) -> range:
    base = 1_000_000 + (pid % 20000) * 100_000             # sandbox.uid_base of that run
    return range(base, base + 100_000)


def _processes() -> dict[int, tuple[int, int, str, str]]:
    """{pid: (ppid, uid, state, cmdline)} of every process."""
    out = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            uid = os.stat(f"/proc/{pid}").st_uid
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        out[int(pid)] = (int(stat[1]), uid, stat[0], cmd)
    return out


def _descendants(root: int) -> dict[int, str]:
    procs = _processes()
    found, todo = {}, [root]
    while todo:
        parent = todo.pop()
        for pid, (ppid, _, state, cmd) in procs.items():
            if ppid == parent and pid not in found and state != "Z":
                found[pid] = cmd
                todo.append(pid)
    return found


def _leftovers(tag: str, uids: range, seen: dict | None = None) -> list[str]:
    """Processes started by the run: its tag in their environment, its student uids, or one of
    the run's descendants seen while it was busy (kernels have a scrubbed environment)."""
    out = []
    for pid, (_, uid, state, cmd) in _processes().items():
        if state == "Z":
            continue
        try:
            tagged = f"DECKC_SIGNAL_TEST={tag}".encode() in Path(f"/proc/{pid}/environ").read_bytes()
        except OSError:
            tagged = False
        if tagged or uid in uids or (seen and seen.get(pid) == cmd):
            out.append(f"{pid} uid={uid} {cmd[:100]}")
    return out


def _wait_gone(tag: str, uids: range, seen=None, seconds: float = 10) -> list[str]:
    end = time.monotonic() + seconds
    while True:
        left = _leftovers(tag, uids, seen)
        if not left or time.monotonic() > end:
            return left
        time.sleep(0.2)


def _wait_busy(proc: subprocess.Popen, seconds: float = 120) -> dict[int, str]:
    """Until a kernel or checking runner of the run exists (grading is under way); returns every
    descendant of the run then."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        assert proc.poll() is None, proc.communicate()
        below = _descendants(proc.pid)
        if any("ipykernel_launcher" in cmd or "_runner.py" in cmd for cmd in below.values()):
            return below
        time.sleep(0.1)
    pytest.fail("grading never started")


def _whole_students(course: Path) -> None:
    """Every student in the gradebook has every part of every notebook scored (a whole merge),
    and tests.csv has rows for exactly those students."""
    import csv

    tests = course / "reports" / ASSIGNMENT / "tests.csv"
    in_csv = {r["student"] for r in csv.DictReader(open(tests, newline=""))} if tests.is_file() else set()
    assert in_csv == set(scores(course)), (in_csv, set(scores(course)))
    for student, notebooks in scores(course).items():
        assert set(notebooks) == {"rnn_step", "attention", "quick_check"}, student
        for parts in notebooks.values():
            assert parts and all(score is not None for score, _, _ in parts.values()), (student, parts)


@pytest.mark.parametrize("sig, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
@pytest.mark.parametrize("moment", ["starting", "grading"])
def test_signal_ends_the_run_cleanly(tmp_path, sig, code, moment):
    course = _course(tmp_path)
    tmpdir = Path(tempfile.mkdtemp(dir=tmp_path))
    tag = uuid.uuid4().hex
    proc = _start(course, tmpdir, tag)
    uids = _uid_block(proc.pid)
    seen = None
    if moment == "starting":
        time.sleep(1.0)                         # imports, workers starting, the gradebook
    else:
        seen = _wait_busy(proc)
    sent = time.monotonic()
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=60)
    assert time.monotonic() - sent < 15, "not prompt"
    assert proc.returncode == code, (out, err)
    assert err.rstrip().splitlines()[-1] == "Interrupted.", err
    assert err.count("Interrupted.") == 1 and "Traceback" not in err and "Aborted" not in err, err
    assert _wait_gone(tag, uids, seen) == []
    assert [p.name for p in tmpdir.iterdir()] == [], "scratch left behind"
    _whole_students(course)
    assert not re.search(r"graded \d+ of", out)      # no summary of a run that did not finish


@pytest.mark.parametrize("isolation", ["auto", "none"])
def test_sigkill_leaves_no_process_and_the_next_run_removes_its_scratch(tmp_path, isolation):
    course = _course(tmp_path)
    tmpdir = Path(tempfile.mkdtemp(dir=tmp_path))
    tag = uuid.uuid4().hex
    proc = _start(course, tmpdir, tag, "--isolation", isolation)
    uids = _uid_block(proc.pid)
    seen = _wait_busy(proc)
    proc.kill()
    proc.communicate(timeout=30)
    # workers, kernels, runners: all gone at once (not when a worker next reads its stdin)
    assert _wait_gone(tag, uids, seen, seconds=2) == []
    dead = [p for p in tmpdir.iterdir() if p.name.startswith("deckc-grade-")]
    assert dead, "the killed run had a scratch folder"
    _whole_students(course)
    # the next run: the course lock died with the process; the dead scratch goes at once
    tag2 = uuid.uuid4().hex
    again = _start(course, tmpdir, tag2, "--student", "ann", "--no-preflight")
    uids2 = _uid_block(again.pid)
    end = time.monotonic() + 60
    while any(p.exists() for p in dead) and time.monotonic() < end and again.poll() is None:
        time.sleep(0.1)
    assert not any(p.exists() for p in dead)
    out, err = again.communicate(timeout=300)
    assert again.returncode == 0, out + err
    assert "graded 1 of 1" in out
    assert _wait_gone(tag2, uids2) == []
    assert list(tmpdir.iterdir()) == []
