"""deckc.forked: writers in forked processes, a value handed over later, failures brought home."""
import os
import signal
import subprocess
import sys

import pytest

from deckc import forked
from deckc.forked import Cancelled, Later, start

MODES = ["fork", "thread"]
linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="deckc forks writers on Linux only")


@pytest.fixture(params=MODES)
def mode(request, monkeypatch):
    if request.param == "fork" and not sys.platform.startswith("linux"):
        pytest.skip("deckc forks writers on Linux only")
    if request.param == "thread":
        monkeypatch.setenv("DECKC_NO_FORK", "1")
    else:
        monkeypatch.delenv("DECKC_NO_FORK", raising=False)
    return request.param


class Unpicklable(Exception):
    def __init__(self, msg):
        super().__init__(msg)
        self.handle = lambda: None      # lambdas do not pickle


def add(a, b):
    return a + b


def pid_of_caller():
    return os.getpid()


def wait_then(later, suffix):
    return later.get() + suffix


def boom():
    raise ValueError("bad value 42")


def boom_unpicklable():
    raise Unpicklable("cannot travel")


def test_result_comes_back(mode):
    assert start(add, 2, 3).result() == 5
    assert start(add, [1], [2]).result() == [1, 2]


def test_fork_runs_elsewhere_thread_runs_here(mode):
    pid = start(pid_of_caller).result()
    assert (pid != os.getpid()) == (mode == "fork")


def test_exception_is_raised_in_the_caller_with_its_traceback(mode):
    with pytest.raises(ValueError, match="bad value 42") as info:
        start(boom).result()
    if mode == "fork":
        assert any("boom" in note for note in getattr(info.value, "__notes__", []))


def test_an_exception_that_does_not_pickle_still_says_what_happened(mode):
    with pytest.raises(Exception, match="cannot travel"):
        start(boom_unpicklable).result()


def test_later_value_reaches_every_child_started_before_it(mode):
    later = Later()
    handles = [start(wait_then, later, f"-{i}") for i in range(3)]
    big = "x" * 300_000                 # larger than a pipe's buffer: set() must not block
    later.set(big)
    assert [h.result() for h in handles] == [big + f"-{i}" for i in range(3)]


def test_a_child_started_after_the_value_was_set_gets_it_too(mode):
    later = Later()
    early = start(wait_then, later, "-early")
    later.set("v")
    late = start(wait_then, later, "-late")          # no pipe: the value is in its copy of memory
    assert (early.result(), late.result()) == ("v-early", "v-late")


def test_cancel_stops_waiting_children(mode):
    later = Later()
    handle = start(wait_then, later, "!")
    later.cancel()
    with pytest.raises(Cancelled):
        handle.result()


def suicide():
    os.kill(os.getpid(), signal.SIGKILL)


@linux_only
def test_a_child_that_dies_without_a_result_is_an_error(monkeypatch):
    monkeypatch.delenv("DECKC_NO_FORK", raising=False)
    with pytest.raises(RuntimeError, match="killed by signal 9"):
        start(suicide).result()


def test_forking_can_be_switched_off(monkeypatch):
    monkeypatch.setenv("DECKC_NO_FORK", "1")
    assert not forked.forking()


def fail_early(later):
    raise TypeError("failed before the value came")


def first_three(later):
    return later.get()[:3]


def test_a_child_that_died_before_the_value_does_not_stop_the_others(mode):
    later = Later()
    handles = [start(fail_early, later), start(first_three, later), start(fail_early, later)]
    handles[0].stop()                   # surely dead before set(): writing to it must not raise
    later.set("abcdef" * 50_000)
    with pytest.raises(TypeError, match="failed before"):
        handles[0].result()
    assert handles[1].result() == "abc"
    with pytest.raises(TypeError):
        handles[2].result()


def sleep_then(later):
    import time
    time.sleep(30)
    return later.get()


@linux_only
def test_stop_with_kill_ends_a_child_at_once(monkeypatch):
    import time
    monkeypatch.delenv("DECKC_NO_FORK", raising=False)
    later = Later()
    handle = start(sleep_then, later)
    t0 = time.perf_counter()
    later.cancel()
    handle.stop(kill=True)
    assert time.perf_counter() - t0 < 5


class TwoArgs(Exception):
    def __init__(self, what, why):
        super().__init__(f"{what}: {why}")


def boom_two_args():
    raise TwoArgs("pdf", "broke in a way that does not unpickle")


def test_an_exception_that_does_not_unpickle_still_says_what_happened(mode):
    with pytest.raises(Exception, match="broke in a way that does not unpickle"):
        start(boom_two_args).result()


@linux_only
def test_a_value_that_cannot_be_sent_fails_set_and_cancel_still_frees_the_children(monkeypatch):
    monkeypatch.delenv("DECKC_NO_FORK", raising=False)
    later = Later()
    handle = start(wait_then, later, "!")
    with pytest.raises(Exception):
        later.set(lambda: None)           # does not pickle
    later.cancel()
    with pytest.raises(Cancelled):
        handle.result()


class Interrupt(Exception):
    pass


@linux_only
def test_an_interrupted_wait_still_reaps_the_child(monkeypatch):
    monkeypatch.delenv("DECKC_NO_FORK", raising=False)
    later = Later()
    handle = start(sleep_then, later)

    def interrupt(signum, frame):
        raise Interrupt()

    old = signal.signal(signal.SIGALRM, interrupt)
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.2)
        with pytest.raises(Interrupt):
            handle.result()                # Ctrl-C while waiting, as it were
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
    later.cancel()
    handle.stop(kill=True)
    assert no_children_left()
    with pytest.raises(RuntimeError, match="interrupted"):
        handle.result()


# -- in a build ---------------------------------------------------------------------------------

def no_children_left() -> bool:
    try:
        os.waitpid(-1, os.WNOHANG)
    except ChildProcessError:
        return True
    return False


def test_a_build_that_fails_to_load_leaves_no_writer_processes(tmp_path, monkeypatch):
    from conftest import copy_course

    from deckc.build import build_lesson

    monkeypatch.delenv("DECKC_NO_FORK", raising=False)
    course = copy_course(tmp_path)
    spec = next((course / "lesson").glob("*.yaml"))
    spec.write_text(spec.read_text(encoding="utf-8").replace("lesson:", "lesson:\n  minuts: 9", 1),
                    encoding="utf-8")
    result = build_lesson(spec, tmp_path / "out", ["pptx", "pdf", "charts"], force=True)
    assert any("minuts" in p.message for p in result.problems)
    assert not result.built
    assert not list((tmp_path / "out").glob("**/*.pptx"))
    assert no_children_left()


def test_a_writer_that_fails_in_its_process_fails_the_build_with_its_error(tmp_path, monkeypatch):
    import dataclasses

    from conftest import copy_course

    from deckc import writers
    from deckc.build import build_lesson

    def broken(ctx):
        raise RuntimeError("the pdf writer broke")

    monkeypatch.delenv("DECKC_NO_FORK", raising=False)
    monkeypatch.setitem(writers.WRITERS, "pdf", dataclasses.replace(writers.WRITERS["pdf"], write=broken))
    course = copy_course(tmp_path)
    spec = next((course / "lesson").glob("*.yaml"))
    with pytest.raises(RuntimeError, match="the pdf writer broke"):
        build_lesson(spec, tmp_path / "out", ["pptx", "pdf", "charts"], force=True)
    assert no_children_left()
    assert not list((tmp_path / "out").glob(".deckc-stage-*"))     # the staging folder is gone


def test_a_signal_right_after_the_fork_stops_the_child_cleanly(tmp_path):
    """A SIGTERM that arrives while the fork has signals blocked is raised in the parent before
    start() returns a handle: the child must still be stopped and reaped there (asked to stop, so
    what it started is cleaned up), not left to be SIGKILLed with deckc, holding a lesson's lock
    and staging folder; and the stop request must never unwind the parent's code in the child."""
    script = ("import os, signal, sys\n"
              "from deckc import forked, signals\n"
              "from deckc.errors import Interrupted\n"
              "signals.install()\n"
              "real_fork = os.fork\n"
              "def fork():\n"
              "    pid = real_fork()\n"
              "    if pid:\n"
              "        os.kill(os.getpid(), signal.SIGTERM)\n"     # pending until the mask is restored
              "    return pid\n"
              "os.fork = fork\n"
              "def work(path):\n"
              "    import time\n"
              "    try:\n"
              "        time.sleep(30)\n"
              "    finally:\n"
              "        open(path, 'w').write('cleaned up')\n"
              "try:\n"
              "    forked.start(work, sys.argv[1])\n"
              "except Interrupted:\n"
              "    try:\n"
              "        os.waitpid(-1, os.WNOHANG)\n"
              "        print('child left running')\n"
              "    except ChildProcessError:\n"           # reaped: nothing of it is left
              "        print('stopped')\n")
    mark = tmp_path / "mark"
    p = subprocess.run([sys.executable, "-c", script, str(mark)], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "stopped", (p.stdout, p.stderr)       # once: the child never ran this code
    assert not mark.exists() or mark.read_text() == "cleaned up"      # if work() had started, it cleaned up
