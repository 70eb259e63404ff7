"""Where a build writes: a staging folder beside the lesson's output folder, swapped in at once,
under a lock that keeps every other deckc run out of that lesson folder.

A build assembles the complete new OUT/<lesson-id>/ in OUT/.deckc-stage-<lesson-id>-XXXXXXXX:
fresh outputs, hard links of everything it does not rebuild, and the manifest. Only when every
writer succeeded is it exchanged with the old folder in one atomic step, so a failed or killed
build leaves the previous outputs readable and consistent with their manifest.

Only one run at a time writes a lesson folder: it holds OUT/.deckc-lock-<lesson-id> (an flock,
which the kernel releases when its process dies, however it dies) from before it decides what
is stale until its staging folder is gone. So a staging folder whose lesson lock is free
belongs to a dead run: the next run removes it at once, whatever its age.

A file OUT shares between lessons (OUT/index.html) is written the same way: under the lock
OUT/.deckc-lock-<file name> (no lesson id has a '.'), through OUT/.deckc-tmp-<file name>-XXXXXXXX,
so a temporary file whose lock is free is a dead run's and goes too.
"""
from __future__ import annotations

import errno
import fcntl
import os
import re
import shutil
import tempfile
import time
from pathlib import Path

from .errors import LockBusy

STAGE_PREFIX = ".deckc-stage-"
LOCK_PREFIX = ".deckc-lock-"
TMP_PREFIX = ".deckc-tmp-"
STAGE_NAME = re.compile(re.escape(STAGE_PREFIX) + r"(?P<id>.+)-[a-z0-9_]{8}(-old)?")
TMP_NAME = re.compile(re.escape(TMP_PREFIX) + r"(?P<id>.+)-[a-z0-9_]{8}")


class LessonLock:
    """The exclusive right to write OUT/<lesson_id>/. The lock file goes away on release; a run
    waiting on a file that was removed meanwhile takes the new one instead (checked by inode).
    Create it, then acquire() inside the try whose finally calls release(): a signal at any
    point in between leaves nothing held."""

    def __init__(self, out_root: Path, lesson_id: str):
        self.path = out_root / f"{LOCK_PREFIX}{lesson_id}"
        self.folder = out_root / lesson_id
        self.fd = None

    def acquire(self, wait: float | None = None, on_wait=None) -> "LessonLock":
        deadline = None if wait is None else time.monotonic() + wait
        told = False
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                if deadline is not None and time.monotonic() >= deadline:
                    raise LockBusy(f"another deckc run is writing {self.folder}; "
                                   "try again when it has finished") from None
                if not told and on_wait is not None:
                    on_wait(f"waiting for another deckc run writing {self.folder} ...")
                    told = True
                time.sleep(0.05)
                continue
            except BaseException:      # interrupted between creating the file and locking it
                _unlink_if_free(self.path, fd)
                os.close(fd)
                raise
            self.fd = fd
            if _same_file(self.path, fd):
                return self
            self.fd = None
            os.close(fd)          # locked a file its last holder had already removed: take the new one

    def release(self) -> None:
        if self.fd is None:
            return
        try:
            os.unlink(self.path)   # while still locked, so a waiter re-checks the inode and retries
        except OSError:
            pass
        os.close(self.fd)
        self.fd = None


def _unlink_if_free(path: Path, fd: int) -> None:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        if _same_file(path, fd):
            os.unlink(path)
    except OSError:
        pass


def _same_file(path: Path, fd: int) -> bool:
    try:
        return os.stat(path).st_ino == os.fstat(fd).st_ino
    except FileNotFoundError:
        return False


def lesson_is_free(out_root: Path, lesson_id: str, remove: bool = False) -> bool:
    """No run holds this lesson's lock right now (so its staging folders are a dead run's). With
    remove, a free lock file left by a killed run is removed, while it is held for the check."""
    path = out_root / f"{LOCK_PREFIX}{lesson_id}"
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        return True
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    else:
        if remove and _same_file(path, fd):
            try:
                os.unlink(path)
            except OSError:
                pass
        return True
    finally:
        os.close(fd)


def remove_dead_stages(out_root: Path, held: str | None = None) -> None:
    """Staging folders and lock files of runs that were killed: those whose lesson nobody holds
    (`held`: the lesson whose lock this run holds itself, so all its staging folders are leftovers)."""
    try:
        entries = [p for p in out_root.iterdir() if p.name.startswith((STAGE_PREFIX, LOCK_PREFIX, TMP_PREFIX))]
    except OSError:
        return
    for d in entries:
        if d.name.startswith(LOCK_PREFIX):
            lesson = d.name[len(LOCK_PREFIX):]
            if lesson != held:
                lesson_is_free(out_root, lesson, remove=True)
            continue
        m = STAGE_NAME.fullmatch(d.name) or TMP_NAME.fullmatch(d.name)
        if m is None:
            continue
        if m.group("id") == held or lesson_is_free(out_root, m.group("id")):
            if d.is_dir() and not d.is_symlink():
                shutil.rmtree(d, ignore_errors=True)
            else:
                d.unlink(missing_ok=True)


def write_shared(out_root: Path, name: str, text: str, fresh=None) -> Path:
    """Write OUT/<name>, a file of OUT itself rather than of one lesson, atomically and under its
    own lock. fresh(path) -> bool, asked while the lock is held: the file is up to date, leave it."""
    path = out_root / name
    lock = LessonLock(out_root, name)
    try:
        lock.acquire()
        if fresh is not None and fresh(path):
            return path
        fd, tmp = tempfile.mkstemp(prefix=f"{TMP_PREFIX}{name}-", dir=out_root)
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
                f.write(text() if callable(text) else text)
            mask = os.umask(0)
            os.umask(mask)
            os.chmod(tmp, 0o666 & ~mask)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return path
    finally:
        lock.release()


def make_stage(out_root: Path, lesson_id: str) -> Path:
    stage = Path(tempfile.mkdtemp(prefix=f"{STAGE_PREFIX}{lesson_id}-", dir=out_root))
    mask = os.umask(0)        # mkdtemp makes 0700 folders; the lesson folder it becomes gets the usual mode
    os.umask(mask)
    os.chmod(stage, 0o777 & ~mask)
    return stage


def carry_over(out_dir: Path, stage: Path, outputs, manifest_name: str) -> None:
    """Everything of the previous folder that this build does not replace goes into the new one, as
    hard links (no copying): outputs of formats not rebuilt, graders' work in a rebuilt course
    folder (Output.keep), and any file a user put there."""
    if not out_dir.is_dir():
        return
    rebuilt_dirs = {o.path: o for o in outputs if o.is_dir}
    for src in sorted(out_dir.rglob("*")):
        if src.is_dir():
            continue
        rel = src.relative_to(out_dir)
        top = rel.parts[0]
        if top == manifest_name or top.startswith(".deckc-"):
            continue
        rebuilt = rebuilt_dirs.get(top)
        if rebuilt is not None and (len(rel.parts) < 2 or rel.parts[1] not in rebuilt.keep):
            continue
        dst = stage / rel
        if dst.exists() or dst.is_symlink():
            continue      # rebuilt by this build
        dst.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(src, dst, follow_symlinks=False)
        except OSError as e:   # another filesystem, or links not allowed
            if e.errno == errno.ENOSPC:
                raise
            shutil.copy2(src, dst, follow_symlinks=False)


def swap_in(stage: Path, out_dir: Path) -> None:
    """Put the staged folder at out_dir in one step: readers see the old folder or the new one, never
    a mix, and a build killed at any point leaves the old one as it was."""
    if not out_dir.exists():
        os.rename(stage, out_dir)
        return
    try:
        _exchange(stage, out_dir)          # atomic on Linux; stage now holds the old folder
    except OSError:
        old = stage.with_name(stage.name + "-old")
        os.rename(out_dir, old)            # elsewhere: two renames, a moment apart
        os.rename(stage, out_dir)
        os.rename(old, stage)


def _exchange(a: Path, b: Path) -> None:
    """renameat2(RENAME_EXCHANGE): swap two paths atomically (Linux >= 3.15, glibc >= 2.28)."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        raise OSError("renameat2 is not available")
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))
