"""Run functions in forked child processes; results (or exceptions) come back pickled.

The writers of one build are CPU-bound Python: in threads they take turns on the GIL. A forked
child starts with everything the parent has already imported and loaded, so writers run side
by side on separate cores. A child can start before all its inputs exist: an argument that is
a :class:`Later` is a value the parent sends when it has it (the layout plan), so a writer
imports its libraries while the parent lays out. Off Linux, or with DECKC_NO_FORK set, threads
run the functions instead: slower, same results.
"""
from __future__ import annotations

import gc
import mmap
import os
import pickle
import signal
import sys
import threading
import time
import traceback
import weakref

from . import signals
from .errors import Cancelled   # the value a child waited for will not come

STOP_GRACE = 5.0       # seconds a child asked to stop gets to clean up before it is killed

__all__ = ["start", "Later", "Cancelled"]

_OPEN: "weakref.WeakSet[Later]" = weakref.WeakSet()    # Laters with pipes to children
_UNSET = object()
_STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM}


def forking() -> bool:
    # Linux only: on macOS a process that has loaded system frameworks (numpy's Accelerate) may
    # hang or crash after fork, which is why Python itself defaults to spawn there.
    return sys.platform.startswith("linux") and os.environ.get("DECKC_NO_FORK", "") in ("", "0")


class Later:
    """A value that the parent sets once, after the children that need it have started.

    Each forked child that gets it as an argument has its own pipe; a thread in the child
    drains the pipe as soon as data arrives, so the parent's set() never waits on a child
    that is still busy importing."""

    def __init__(self):
        self._writers: list[int] = []      # parent: one pipe per child
        self._event = threading.Event()    # child (or thread mode): the value has arrived
        self._value = _UNSET
        self._data = b""
        self.sent = False                  # parent: set() was called

    # -- parent --
    def _channel(self) -> tuple[int, int]:
        read, write = os.pipe()
        self._writers.append(write)
        _OPEN.add(self)
        return read, write

    def set(self, value) -> None:
        """Send the value to every child waiting for it. If it cannot be sent (it does not pickle,
        Ctrl-C), the pipes stay open for cancel(), which closes them."""
        payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL) if self._writers else b""
        self._value, self.sent = value, True
        writers, self._writers = self._writers, []
        try:
            for fd in writers:
                try:
                    view = memoryview(payload)
                    while view:
                        view = view[os.write(fd, view):]
                except BrokenPipeError:
                    pass                   # that child has died; its result() says why
        finally:
            for fd in writers:
                os.close(fd)
        self._event.set()

    def cancel(self) -> None:
        """Children still waiting stop with Cancelled (their pipes close empty)."""
        writers, self._writers = self._writers, []
        for fd in writers:
            os.close(fd)
        self._event.set()

    # -- child --
    def _bind(self, read: int) -> None:
        def drain():
            with os.fdopen(read, "rb") as src:
                self._data = src.read()
            self._event.set()
        self._event.clear()
        threading.Thread(target=drain, daemon=True).start()

    def get(self):
        self._event.wait()
        if self._data:
            self._value, self._data = pickle.loads(self._data), b""
        elif self._value is _UNSET:
            raise Cancelled()
        return self._value


def start(fn, *args):
    """Start fn(*args) alongside the caller; returns a handle whose result() waits for it and
    returns its value or raises its exception."""
    return _Child(fn, args) if forking() else _Thread(fn, args)


class _Thread:
    def __init__(self, fn, args):
        self._value = self._error = None
        self._thread = threading.Thread(target=self._run, args=(fn, args), daemon=True)
        self._thread.start()

    def _run(self, fn, args):
        try:
            self._value = fn(*args)
        except BaseException as exc:   # noqa: BLE001 - handed to the caller of result()
            self._error = exc

    def result(self):
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._value

    def stop(self, kill: bool = False) -> None:
        """Wait for the thread (a thread cannot be killed; a cancelled Later ends its wait)."""
        self._thread.join()

    def terminate(self) -> None:
        """A thread cannot be asked to stop; wait() joins it."""

    def wait(self, timeout: float) -> None:
        self._thread.join(timeout)


class _Child:
    def __init__(self, fn, args):
        # a Later already set reaches the child in its copy of memory; the others through a pipe
        channels = []
        read = write = mask = None
        try:
            for a in args:
                if isinstance(a, Later) and not a.sent:
                    channels.append((a, a._channel()))
            read, write = os.pipe()
            holding = mmap.mmap(-1, 1)     # shared with the child: 1 while it holds a write (signals.held)
            sys.stdout.flush()
            sys.stderr.flush()
            # The child's garbage collector leaves the objects it inherits alone: a collection would
            # touch every one of them and copy the parent's whole heap page by page (copy-on-write).
            gc.freeze()
            parent = os.getpid()
            signals.prepare_fork()
            # SIGINT/SIGTERM wait until each side knows who it is: an Interrupted raised in a child
            # still running the parent's code would unwind through the parent's cleanup.
            mask = signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)
            pid = os.fork()
        except BaseException:
            for later, (r, w) in channels:       # this child never started: undo its pipes
                later._writers.remove(w)
                os.close(r)
                os.close(w)
            for fd in (read, write):
                if fd is not None:
                    os.close(fd)
            gc.unfreeze()
            if mask is not None:
                signal.pthread_sigmask(signal.SIG_SETMASK, mask)
            raise
        if pid == 0:                                   # the child: run, report, leave at once
            signals.in_child(parent, holding)          # dies with its parent; the parent handles Ctrl-C
            os.close(read)
            for later in list(_OPEN):                  # the parent's ends of every pipe: only the parent
                for fd in later._writers:              # writes, and a pipe must close when it does
                    os.close(fd)
                later._writers = []
            for later, (r, _w) in channels:
                later._bind(r)
            _run_child(fn, args, write, mask)
        self._pid, self._read, self._outcome, self._holding = pid, read, None, holding
        gc.unfreeze()
        os.close(write)
        for _, (r, _w) in channels:
            os.close(r)
        try:
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)    # a signal that came meanwhile is raised here
        except BaseException:
            # the caller never gets this handle, so nobody else would stop the child: left to
            # PR_SET_PDEATHSIG, it would be SIGKILLed holding its lesson's lock and staging folder
            self.terminate()
            self.wait(STOP_GRACE)
            raise

    def fileno(self) -> int:
        """Readable when the child has reported or died (for selectors)."""
        return self._read

    def terminate(self) -> None:
        """Ask the child to stop: SIGTERM raises Interrupted in it, so it cleans up and reports."""
        if self._outcome is None:
            try:
                os.kill(self._pid, signal.SIGTERM)
            except ProcessLookupError:
                pass

    def wait(self, timeout: float) -> None:
        """Reap the child, killing it if it has not reported within `timeout` seconds."""
        import select

        if self._outcome is None and self._read is not None:
            read = self._read
            self.stop(kill=not self._ends_within(lambda t: bool(select.select([read], [], [], t)[0]), timeout))

    def stop(self, kill: bool = False) -> None:
        """Reap the child; with kill, end it first (only safe while it has written nothing)."""
        if self._outcome is not None:
            return
        if kill:
            try:
                os.kill(self._pid, 9)
            except ProcessLookupError:
                pass
        try:
            self.result()
        except BaseException:   # noqa: BLE001 - stopping: its outcome no longer matters
            pass

    def result(self):
        if self._outcome is None:
            try:
                self._outcome = self._collect()
            except BaseException:     # Ctrl-C while waiting: the child is reaped all the same
                self._outcome = (False, RuntimeError("waiting for a writer process was interrupted"), "")
                raise
        ok, value, *tb = self._outcome
        if ok:
            return value
        if tb and tb[0] and hasattr(value, "add_note") and not getattr(value, "_deckc_noted", False):
            value.add_note("In the writer process:\n" + tb[0].rstrip())
            value._deckc_noted = True
        raise value

    def _ends_within(self, ended, timeout: float) -> bool:
        """Whether ended(poll seconds) comes true within `timeout`, a wait that does not count the
        time the child holds a write (signals.held: killed, it would leave that write half done, a
        course a mix of old and new files and its lock taken). While it holds, this process holds
        too, at once, so its own parent waits as well (a lesson process waiting for its writer)."""
        deadline = time.monotonic() + timeout
        while True:
            if self._holding[0]:
                signals.tell_held_wait()
                with signals.held():
                    while self._holding[0] and not ended(0.02):
                        pass
                deadline = time.monotonic() + timeout      # then the usual grace to unwind
            if ended(0.01):
                return True
            if time.monotonic() > deadline:
                return False

    def _stop_now(self) -> int:
        """SIGTERM, so the child unwinds (a held write finishes, its locks are released); SIGKILL
        if it has not ended within STOP_GRACE (and holds no write). Returns its wait status."""
        status = [0]

        def ended(poll: float) -> bool:
            try:
                pid, status[0] = os.waitpid(self._pid, os.WNOHANG)
            except ChildProcessError:
                return True
            if not pid:
                time.sleep(poll)
            return bool(pid)

        self.terminate()
        if not self._ends_within(ended, STOP_GRACE):
            try:
                os.kill(self._pid, signal.SIGKILL)
                _, status[0] = os.waitpid(self._pid, 0)
            except (ProcessLookupError, ChildProcessError):
                pass
        return status[0]

    def _collect(self):
        """Read the child's report and reap it. The pipe is closed and the child reaped whatever
        happens (an interrupted read ends the child and is not retried on a closed or reused
        descriptor); a report that cannot be read still becomes an outcome."""
        data, status, done = b"", 0, False
        try:
            with os.fdopen(self._read, "rb") as src:   # read all first: a full pipe would block the child
                data = src.read()
            done = True
        finally:
            self._read = None
            if not done:                  # interrupted (Ctrl-C): the build is over, so is the writer
                status = self._stop_now()
            else:
                try:
                    _, status = os.waitpid(self._pid, 0)
                except ChildProcessError:
                    pass
        if data:
            try:
                return pickle.loads(data)
            except Exception as exc:   # noqa: BLE001 - say what happened instead
                return (False, RuntimeError(f"a writer process's report could not be read: {exc!r}"), "")
        why = (f"was killed by signal {os.WTERMSIG(status)}" if os.WIFSIGNALED(status)
               else f"exited with status {os.waitstatus_to_exitcode(status)}")
        return (False, RuntimeError(f"a writer process {why} without a result"), "")


def _run_child(fn, args, write: int, mask):
    code = 0
    try:
        # signals unblocked only here: a SIGTERM the parent sent at once (it was interrupted while
        # forking) raises in fn's frame and is reported, never in the parent's code it would unwind
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        payload = pickle.dumps((True, fn(*args)))
    except BaseException as exc:   # noqa: BLE001 - everything goes back to the parent
        code = 1
        payload = _pickled_error(exc)
    try:
        with os.fdopen(write, "wb") as out:
            out.write(payload)
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(code)                                 # no atexit handlers, no parent's cleanup


def _pickled_error(exc: BaseException) -> bytes:
    """The exception for the parent; one that does not survive a pickle round trip (an unpicklable
    attribute, an __init__ with other arguments) still says what happened, as a RuntimeError."""
    tb = traceback.format_exc()
    try:
        payload = pickle.dumps((False, exc, tb))
        pickle.loads(payload)
        return payload
    except Exception:   # noqa: BLE001
        return pickle.dumps((False, RuntimeError(f"{type(exc).__name__}: {exc}"), tb))
