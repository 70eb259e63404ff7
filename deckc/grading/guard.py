"""What keeps ``deckc grade`` runs apart and tidy: the course lock, the scratch folder, signals.

- ``course_lock(course)``: one ``deckc grade`` per course at a time. The lock is an
  ``fcntl.flock`` on ``COURSE/.deckc-grade.lock``: the kernel drops it when the holder dies,
  however it dies, so a dead run's lock is never mistaken for a live one (no ages, no pids).
- ``scratch_dir()``: a private scratch folder in TMPDIR whose lock file is held (flock)
  while the run lives. Each new run first removes the scratch folders of dead runs (lock
  free), at once, and leaves live runs' alone.
- ``signals_deferred()``: SIGINT/SIGTERM that arrive inside are acted on when it ends, so a
  student's merge into the gradebook (one transaction plus moving folders) is done whole.
"""
from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import signal
import tempfile
from pathlib import Path

SCRATCH_PREFIX = "deckc-grade-"
SCRATCH_LOCK = ".deckc-grade-scratch.lock"     # only folders holding this are ours to remove
LOCK_NAME = ".deckc-grade.lock"


class Busy(Exception):
    """Another live run holds the lock."""


def _try_lock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False


@contextlib.contextmanager
def course_lock(course: Path):
    """Hold the course's grading lock for the block; Busy if a live run holds it."""
    path = course / LOCK_NAME
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        if not _try_lock(fd):
            try:
                holder = os.read(fd, 200).decode(errors="replace").strip()
            except OSError:
                holder = ""
            raise Busy(f"another `deckc grade` is grading {course} ({holder or 'lock held'}); "
                       f"wait for it to finish (the lock is {path})")
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)          # releases the flock


def remove_dead_scratch(parent: Path | None = None) -> list[Path]:
    """Remove the scratch folders of runs that are gone (their lock is free). Returns them."""
    parent = Path(parent or tempfile.gettempdir())
    removed = []
    try:
        entries = sorted(parent.glob(SCRATCH_PREFIX + "*"))
    except OSError:
        return removed
    for d in entries:
        if not d.is_dir() or d.is_symlink() or d.name.endswith(".new"):
            continue
        try:
            fd = os.open(d / SCRATCH_LOCK, os.O_RDONLY | os.O_CLOEXEC | os.O_NOFOLLOW)
        except OSError:
            continue           # not a scratch folder of deckc grade (each has its lock from the start)
        try:
            if _try_lock(fd):
                shutil.rmtree(d, ignore_errors=True)
                removed.append(d)
        finally:
            os.close(fd)
    return removed


@contextlib.contextmanager
def scratch_dir():
    """A fresh 0700 scratch folder, locked while the block runs, removed on every way out.

    The folder appears under its final name only when its lock is already held (made as
    NAME.new, locked, renamed), so another run never sees a live folder without a lock."""
    remove_dead_scratch()
    tmp = Path(tempfile.mkdtemp(prefix=SCRATCH_PREFIX, suffix=".new"))
    fd = None
    try:
        fd = os.open(tmp / SCRATCH_LOCK, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX)
        final = tmp.with_name(tmp.name[:-len(".new")])
        os.rename(tmp, final)
        tmp = final
        yield tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if fd is not None:
            os.close(fd)


@contextlib.contextmanager
def signals_deferred():
    """Hold SIGINT/SIGTERM until the block is done, then act on the first that came."""
    pending = []
    old = {}

    def hold(signum, _frame):
        pending.append(signum)

    try:
        for sig in (signal.SIGINT, signal.SIGTERM):
            old[sig] = signal.signal(sig, hold)
    except ValueError:          # not the main thread: signals are not ours to handle
        pass
    try:
        yield
    finally:
        for sig, handler in old.items():
            signal.signal(sig, handler)
        if pending:
            handler = old[pending[0]]
            if callable(handler):
                handler(pending[0], None)
            elif handler == signal.SIG_DFL:
                signal.raise_signal(pending[0])
