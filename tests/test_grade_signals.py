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

from grade_support import TIMEOUT, new_course, scores, submit

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


def _leftovers(tag: str, uids: range) -> list[str]:
    """Processes started by the run (its tag in their environment) or running as its student uids."""
    out = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            uid = os.stat(f"/proc/{pid}").st_uid
            environ = Path(f"/proc/{pid}/environ").read_bytes()
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z" and (f"DECKC_SIGNAL_TEST={tag}".encode() in environ or uid in uids):
            out.append(f"{pid} uid={uid} {cmd[:100]}")
    return out


def _wait_gone(tag: str, uids: range, seconds: float = 10) -> list[str]:
    end = time.monotonic() + seconds
    while True:
        left = _leftovers(tag, uids)
        if not left or time.monotonic() > end:
            return left
        time.sleep(0.2)


def _wait_busy(proc: subprocess.Popen, tag: str, uids: range, seconds: float = 120) -> None:
    """Until a student process of the run exists (grading is under way)."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        assert proc.poll() is None, proc.communicate()
        if any(int(line.split("uid=")[1].split()[0]) in uids for line in _leftovers(tag, uids)):
            return
        time.sleep(0.1)
    pytest.fail("grading never started")


def _whole_students(course: Path) -> None:
    """Every student in the gradebook has every part of every notebook scored (a whole merge)."""
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
    if moment == "starting":
        time.sleep(1.0)                         # imports, workers starting, the gradebook
    else:
        _wait_busy(proc, tag, uids)
    sent = time.monotonic()
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=60)
    assert time.monotonic() - sent < 15, "not prompt"
    assert proc.returncode == code, (out, err)
    assert err.rstrip().splitlines()[-1] == "Interrupted.", err
    assert err.count("Interrupted.") == 1 and "Traceback" not in err and "Aborted" not in err, err
    assert _wait_gone(tag, uids) == []
    assert [p.name for p in tmpdir.iterdir()] == [], "scratch left behind"
    _whole_students(course)
    assert not re.search(r"graded \d+ of", out)      # no summary of a run that did not finish


def test_sigkill_leaves_no_process_and_the_next_run_removes_its_scratch(tmp_path):
    course = _course(tmp_path)
    tmpdir = Path(tempfile.mkdtemp(dir=tmp_path))
    tag = uuid.uuid4().hex
    proc = _start(course, tmpdir, tag)
    uids = _uid_block(proc.pid)
    _wait_busy(proc, tag, uids)
    proc.kill()
    proc.communicate(timeout=30)
    # workers, kernels, runners: all gone at once (not when a worker next reads its stdin)
    assert _wait_gone(tag, uids, seconds=2) == []
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
