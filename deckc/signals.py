"""SIGINT and SIGTERM like a well-behaved Unix tool: one line "Interrupted.", exit 130 or 143,
no traceback, everything cleaned up; and no child process outliving deckc.

`install()` runs first thing in the console script (before click or anything heavy is
imported): from then on either signal raises `Interrupted` in the main thread, which unwinds
through every `finally` (writer processes reaped, staging folder removed, lock released) up to
cli.main, which prints the line and exits 128 + the signal's number. A second signal while
that cleanup runs is ignored, so the cleanup finishes.

Children (deckc/forked.py) call `in_child()` right after fork: they ignore SIGINT (a Ctrl-C
reaches the whole process group; the parent decides and stops them), turn SIGTERM into
`Interrupted` like the parent (so a lesson built in a child cleans up when the parent stops it),
and ask the kernel to SIGKILL them when their parent dies, however it dies (PR_SET_PDEATHSIG):
even after a SIGKILL of deckc, no writer or lesson process lives on.
"""
from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading

from .errors import Interrupted

_STATE = {"signum": 0, "held": 0, "deferred": 0}
_PRCTL = []                  # [prctl] once loaded (in the parent, before any fork)
_HOLDING = []                # in a forked child: [its byte shared with the parent], 1 while held()
PR_SET_PDEATHSIG = 1


def _raise(signum, frame):
    if _STATE["signum"]:
        return               # already stopping: let the cleanup finish
    if _STATE["held"]:
        _STATE["deferred"] = _STATE["deferred"] or signum     # raised when the held section ends
        return
    _STATE["signum"] = signum
    raise Interrupted(signum)


def _unraisable(hook):
    def quiet(info):
        # A signal landing in a callback Python cannot propagate from (a weakref callback in
        # importlib's module lock) is printed as "Exception ignored ... Traceback"; the signal is
        # recorded, and check() raises it again where the run must stop.
        if isinstance(info.exc_value, Interrupted):
            return
        hook(info)
    quiet.deckc = True
    return quiet


def install() -> None:
    """Raise Interrupted on SIGINT and SIGTERM (main thread only, as Python requires)."""
    signal.signal(signal.SIGINT, _raise)
    signal.signal(signal.SIGTERM, _raise)
    if not getattr(sys.unraisablehook, "deckc", False):
        sys.unraisablehook = _unraisable(sys.unraisablehook)


def restore_defaults() -> None:
    """Python's own dispositions (KeyboardInterrupt on SIGINT; SIGTERM ends the process)."""
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def interrupted() -> int:
    """The signal that is stopping this process, or 0."""
    return _STATE["signum"]


def check() -> None:
    """Raise Interrupted again if a signal came and its exception was lost on the way: Python
    wraps an exception raised inside a class body's __set_name__ (numpy's import has some) in a
    RuntimeError, and a library may swallow it. Called where a run must not go on after one."""
    if _STATE["signum"]:
        raise Interrupted(_STATE["signum"])


@contextlib.contextmanager
def held():
    """A section a signal must not cut in half (a write into a folder that is not staged, such as
    the course's): SIGINT/SIGTERM arriving inside it are raised as Interrupted when it ends. A
    forked child shows its parent that it is inside one (forked.py then waits past STOP_GRACE
    instead of killing it half-way). In another thread (writers run as threads off Linux) it does
    nothing: signals reach the main thread only, which unwinds and then joins the writer."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _STATE["held"] += 1
    _show_held(1)
    try:
        yield
    finally:
        _STATE["held"] -= 1
        if not _STATE["held"]:
            _show_held(0)
        signum = _STATE["deferred"]
        if not _STATE["held"] and signum:
            _STATE["deferred"] = 0
            _raise(signum, None)


def tell_held_wait() -> None:
    """Once, in deckc's own process only (a forked child has a parent to tell it): a stopping run
    waits for a held write, which can take seconds (nbgrader's release), so say why."""
    if _HOLDING or _STATE.get("told"):
        return
    _STATE["told"] = 1
    print("finishing the course's write before stopping ...", file=sys.stderr, flush=True)


def _show_held(value: int) -> None:
    if _HOLDING:
        _HOLDING[0][0] = value


def prepare_fork() -> None:
    """Load prctl in the parent, so a child only has to call it."""
    if not _PRCTL and sys.platform.startswith("linux"):
        try:
            import ctypes

            _PRCTL.append(ctypes.CDLL(None, use_errno=True).prctl)
        except (OSError, AttributeError):
            _PRCTL.append(None)


def die_with_parent() -> None:
    """For subprocess's preexec_fn (nbgrader run by the course writer): the program is killed when
    the process that started it dies, so even a kill -9 of deckc leaves no nbgrader running."""
    if _PRCTL and _PRCTL[0] is not None:
        _PRCTL[0](PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def subprocess_options() -> dict:
    """Keyword arguments for subprocess.run/Popen of a helper program that must die with deckc.
    It gets its own session, so a signal to deckc's process group (a terminal's Ctrl-C, a service
    manager's SIGTERM) does not end it half-way through a write its caller holds (held()): deckc
    decides when it stops (subprocess.run kills it when the caller is interrupted)."""
    prepare_fork()
    options = {"start_new_session": True}
    if _PRCTL and _PRCTL[0] is not None:
        options["preexec_fn"] = die_with_parent
    return options


def in_child(parent: int, holding=None) -> None:
    """Signal dispositions of a forked child of `parent` (see the module docstring); `holding`
    is the byte (shared memory) through which held() shows the parent a write in progress."""
    _STATE.update(signum=0, held=0, deferred=0)
    _HOLDING[:] = [holding] if holding is not None else []
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _raise)
    if _PRCTL and _PRCTL[0] is not None:
        _PRCTL[0](PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:      # the parent died before prctl took effect
        os._exit(1)
