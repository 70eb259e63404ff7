"""`deckc grade --cluster` on Dask: the same scores as local grading, faults, --resume, no leftovers.

The cluster tests start real processes on 127.0.0.1: `dask scheduler` and `dask worker` as
separate processes (as a cluster's operator would run them, deckc installed on the workers),
and `deckc grade` as a process of its own, so one of them can be killed mid-run. Each Dask
process gets a TMPDIR of the test's own, so what it leaves behind can be found (and nothing
of another engineer's run is mistaken for it).
"""
from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from grade_support import ASSIGNMENT, NO_TANH, TIMEOUT, expected_parts, grade, new_course, observed, scores, submit

pytestmark = pytest.mark.slow

# few, to keep CI lean: enough that a worker is busy when it is killed and that some students are
# merged and some are not when the scheduler goes
STUDENTS = {"ann": "reference", "ben": "no_tanh", "eve": "quiz_wrong", "kim": "einsum"}
LOST = {"ann": set(), "ben": NO_TANH, "eve": {"quick_check"}, "kim": set()}
BIN = Path(sys.executable).parent


@pytest.fixture(autouse=True)
def _dask_installed():
    """deckc[cluster] (the [test] extra brings it): skip on a laptop without it, fail under CI=true."""
    import importlib.util

    if importlib.util.find_spec("distributed") is None or not (BIN / "dask").exists():
        msg = "Dask distributed is not installed in this Python (pip install 'deckc[cluster]')"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(msg + " -- CI=true, so this is an error, not a skip")
        pytest.skip(msg)


def _course(tmp_path: Path, students=STUDENTS) -> tuple[Path, dict]:
    course = new_course(tmp_path / "course")
    return course, {s: submit(course, s, kind) for s, kind in students.items()}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class DaskProcesses:
    """A scheduler and workers, each `dask ...` in a session of its own (killpg kills all of it)."""

    def __init__(self, root: Path):
        self.root = root
        self.tmp = root / "tmp"
        self.tmp.mkdir(parents=True, exist_ok=True)
        self.procs: dict[str, subprocess.Popen] = {}
        self.address = ""

    def _start(self, name: str, args: list[str]) -> subprocess.Popen:
        env = dict(os.environ, TMPDIR=str(self.tmp))
        log = open(self.root / f"{name}.log", "ab")
        proc = subprocess.Popen([str(BIN / "dask")] + args, stdout=log, stderr=log, env=env,
                                start_new_session=True, cwd=str(self.root))
        self.procs[name] = proc
        return proc

    def scheduler(self):
        port = _free_port()
        self.address = f"tcp://127.0.0.1:{port}"
        self._start("scheduler", ["scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"])
        self.wait_for(lambda: _connectable(port), 60, "the scheduler did not start")

    def worker(self, name: str):
        self._start(name, ["worker", self.address, "--nthreads", "1", "--host", "127.0.0.1", "--no-dashboard",
                           "--local-directory", str(self.tmp / name), "--death-timeout", "30"])

    def wait_workers(self, n: int):
        from distributed import Client

        with Client(self.address, timeout=30) as c:
            c.wait_for_workers(n, timeout=90)

    def kill(self, name: str):
        proc = self.procs.pop(name)
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=30)

    def stop(self):
        for name in list(self.procs):
            self.kill(name)

    @staticmethod
    def wait_for(check, seconds: float, why: str):
        end = time.monotonic() + seconds
        while not check():
            if time.monotonic() > end:
                raise AssertionError(why)
            time.sleep(0.1)


def _connectable(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


def _ancestors(pid: int) -> set[int]:
    out = set()
    while pid > 1:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
            pid = int(stat.rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            break
        out.add(pid)
    return out


def _grading_under(pid: int) -> bool:
    """A jailed student process (a kernel or checker: `jail.py`) runs below process `pid`."""
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                cmd = Path(f"/proc/{p}/cmdline").read_bytes()
            except OSError:
                continue
            if b"jail.py" in cmd and pid in _ancestors(int(p)):
                return True
    return False


def leftovers(marker: Path) -> list[str]:
    """Live processes whose command line, working folder or environment mentions `marker`."""
    found, key = [], str(marker).encode()
    for p in os.listdir("/proc"):
        if not p.isdigit() or int(p) == os.getpid():
            continue
        try:
            cmd = Path(f"/proc/{p}/cmdline").read_bytes()
            env = Path(f"/proc/{p}/environ").read_bytes()
            cwd = os.readlink(f"/proc/{p}/cwd").encode()
        except OSError:
            continue
        if key in cmd or key in env or key in cwd:
            found.append(p + " " + cmd.replace(b"\0", b" ").decode(errors="replace")[:150])
    return found


def _deckc_grade(course: Path, *args: str, env_tmp: Path) -> subprocess.Popen:
    env = dict(os.environ, TMPDIR=str(env_tmp))
    return subprocess.Popen([str(BIN / "deckc"), "grade", str(course), "--timeout", str(TIMEOUT), *args],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, text=True)


def _merges(course: Path) -> list[tuple[str, str]]:
    log = (course / "reports" / ASSIGNMENT / "grading.log").read_text(errors="replace")
    return re.findall(r"^deckc: merged (\S+) \(graded on (\S+) ", log, flags=re.M)


def _check_scores(course: Path, handed_in: dict, students) -> None:
    got = scores(course)
    for s in students:
        if s in LOST:
            assert observed(got[s]) == expected_parts(handed_in[s], LOST[s]), s


# ------------------------------------------------------------------------------------------ tests


def test_local_cluster_grades_as_local_workers(tmp_path):
    """`--cluster local:2` and `--jobs 2`: identical gradebooks, tests.csv, autograded and feedback."""
    few = {s: STUDENTS[s] for s in ("ann", "ben", "eve")} | {"joe": "softmax_wrong_axis"}
    course, handed_in = _course(tmp_path / "a", few)
    local = tmp_path / "b" / "course"
    shutil.copytree(course, local)
    # (the preflight on a cluster is run by the fault tests below; skipped here to stay lean)
    on_cluster = grade(course, "--cluster", "local:2", "--timeout", TIMEOUT, "--no-preflight")
    assert on_cluster.exit_code == 0, on_cluster.output
    assert "graded 4 of 4" in on_cluster.output and "(2 worker(s)" in on_cluster.output
    assert grade(local, "--jobs", "2", "--timeout", TIMEOUT, "--no-preflight").exit_code == 0
    assert scores(course) == scores(local)
    _check_scores(course, handed_in, few)
    rows = lambda c: (c / "reports" / ASSIGNMENT / "tests.csv").read_text()  # noqa: E731
    assert rows(course) == rows(local)
    for kind in ("autograded", "feedback"):
        for s in few:
            names = lambda c: sorted(p.name for p in (c / kind / s / ASSIGNMENT).iterdir())  # noqa: E731
            assert names(course) == names(local), (kind, s)
    assert sorted(s for s, _ in _merges(course)) == sorted(few)
    assert not list(tmp_path.glob("**/dask-scratch-space"))
    import importlib.util
    if importlib.util.find_spec("bokeh") is not None:            # Dask's dashboard needs bokeh
        assert re.search(r"Dask dashboard: http://127\.0\.0\.1:\d+/status", on_cluster.output)


def test_local_cluster_into_postgres(tmp_path):
    """The main process merges a cluster's results into a PostgreSQL gradebook as it does locally."""
    from test_grade_postgres import require_pg_url

    import psycopg

    plain = require_pg_url()
    schema = f"deckc_test_{os.getpid()}_{int(time.time())}"
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        url = f"{plain}{'&' if '?' in plain else '?'}options=-csearch_path%3D{schema}"
        few = {"ann": "reference", "ben": "no_tanh"}
        course, handed_in = _course(tmp_path, few)
        result = grade(course, "--cluster", "local:2", "--db", url, "--no-feedback", "--no-preflight",
                       "--timeout", TIMEOUT)
        assert result.exit_code == 0, result.output
        assert "gradebook postgresql+psycopg://" in result.output
        got = scores(course, url)
        for s in few:
            assert observed(got[s]) == expected_parts(handed_in[s], LOST[s]), s
        assert scores(course) == {}                     # not the course's SQLite gradebook
    finally:
        with psycopg.connect(plain, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


def test_worker_killed_mid_task(tmp_path):
    """Two workers; one is SIGKILLed while it grades: its submission is graded on the other, every
    student is merged exactly once, and nothing any of it started is left running."""
    course, handed_in = _course(tmp_path)
    dask = DaskProcesses(tmp_path / "dask")
    try:
        dask.scheduler()
        dask.worker("w1")
        dask.worker("w2")
        dask.wait_workers(2)
        run = _deckc_grade(course, "--cluster", dask.address, "--no-feedback", env_tmp=dask.tmp)
        victim = dask.procs["w1"].pid
        # a student's submission (after the preflight, which is always first) being graded on w1
        dask.wait_for(lambda: run.poll() is not None or (_merges_started(course) and _grading_under(victim)),
                      240, "w1 never graded a student")
        assert run.poll() is None, run.stdout.read()
        dask.kill("w1")
        out, _ = run.communicate(timeout=300)
        assert run.returncode == 0, out
        assert f"graded {len(STUDENTS)} of {len(STUDENTS)}" in out
        merges = _merges(course)
        assert sorted(s for s, _ in merges) == sorted(STUDENTS)      # each once: none lost, none twice
        _check_scores(course, handed_in, STUDENTS)
        dask.stop()
        DaskProcesses.wait_for(lambda: not leftovers(dask.tmp), 30, f"left running: {leftovers(dask.tmp)}")
    finally:
        dask.stop()


def _merges_started(course: Path) -> bool:
    log = course / "reports" / ASSIGNMENT / "grading.log"
    return log.is_file() and b"--- " in log.read_bytes()


def test_scheduler_lost_then_resume(tmp_path):
    """The scheduler dies mid-run: exit 1 with a clear message, the gradebook holds whole students
    only; `--resume` on a new cluster grades exactly the students that were missing."""
    course, handed_in = _course(tmp_path)
    dask = DaskProcesses(tmp_path / "dask")
    try:
        dask.scheduler()
        dask.worker("w1")
        dask.wait_workers(1)
        run = _deckc_grade(course, "--cluster", dask.address, "--no-feedback", env_tmp=dask.tmp)
        dask.wait_for(lambda: run.poll() is not None or (_log(course) and len(_merges(course)) >= 2),
                      240, "no student was merged")
        assert run.poll() is None, run.stdout.read()
        dask.kill("scheduler")
        out, _ = run.communicate(timeout=120)
        assert run.returncode == 1, out
        assert "lost the Dask scheduler" in out and "--resume" in out, out
        assert "Traceback" not in out
        first = [s for s, _ in _merges(course)]
        assert 2 <= len(first) < len(STUDENTS)
        got = scores(course)
        assert sorted(got) == sorted(first)                 # whole students: merged ones only
        _check_scores(course, handed_in, first)
        assert _in_submissions_csv(course) == set(first)     # the run's reports cover what it merged
        dask.stop()
        DaskProcesses.wait_for(lambda: not leftovers(dask.tmp), 30, f"left running: {leftovers(dask.tmp)}")

        dask.scheduler()
        dask.worker("w2")
        dask.wait_workers(1)
        again = _deckc_grade(course, "--cluster", dask.address, "--no-feedback", "--resume", "--no-preflight",
                             env_tmp=dask.tmp)
        out, _ = again.communicate(timeout=300)
        assert again.returncode == 0, out
        assert f"resume: {len(first)} student(s) already graded, skipped" in out, out
        rest = len(STUDENTS) - len(first)
        assert f"graded {rest} of {rest}" in out, out
        merges = [s for s, _ in _merges(course)]
        assert sorted(merges) == sorted(STUDENTS)             # the first ones were not graded again
        _check_scores(course, handed_in, STUDENTS)
        assert _in_submissions_csv(course) == set(STUDENTS)  # was: only the resumed run's students
    finally:
        dask.stop()
    DaskProcesses.wait_for(lambda: not leftovers(dask.tmp), 30, f"left running: {leftovers(dask.tmp)}")


def _in_submissions_csv(course: Path) -> set[str]:
    import csv

    path = course / "reports" / ASSIGNMENT / "submissions.csv"
    return {row["student"] for row in csv.DictReader(open(path, newline=""))} if path.is_file() else set()


def _log(course: Path) -> bool:
    return (course / "reports" / ASSIGNMENT / "grading.log").is_file()


def test_bad_cluster_spec_is_a_usage_error(tmp_path):
    course, _ = _course(tmp_path, {"ann": "reference"})
    result = grade(course, "--cluster", "locl:2")
    assert result.exit_code == 2 and "expected local:N" in result.output
    for spec in ("tcp://127.0.0.1", "tcp://127.0.0.1:99999"):   # Dask's ValueError, an impossible port
        result = grade(course, "--cluster", spec)
        assert result.exit_code == 2 and "port" in result.output, (spec, result.output)
    port = _free_port()                                   # nothing listens there
    result = grade(course, "--cluster", f"tcp://127.0.0.1:{port}", "--no-preflight")
    assert result.exit_code == 1 and "cannot reach the Dask scheduler" in result.output, result.output
    # something listens but never speaks Dask (the dashboard's port, 8787, given by mistake):
    # distributed's Client waited for its handshake for ever
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        result = grade(course, "--cluster", f"tcp://127.0.0.1:{server.getsockname()[1]}", "--no-preflight")
    assert result.exit_code == 1 and "not a Dask scheduler" in result.output, result.output
    assert scores(course) == {}


def test_resume_without_a_cluster(tmp_path):
    """--resume on local workers: a student graded already (gradebook + tests.csv) is skipped;
    one whose tests.csv rows are missing (a SIGKILLed run) is graded again."""
    few = {"ann": "reference", "ben": "no_tanh", "eve": "quiz_wrong"}
    course, handed_in = _course(tmp_path, few)
    first = grade(course, "-s", "ann", "-s", "ben", "--jobs", "2", "--no-feedback", "--no-preflight",
                  "--timeout", TIMEOUT)
    assert first.exit_code == 0, first.output
    tests_csv = course / "reports" / ASSIGNMENT / "tests.csv"
    kept = [line for line in tests_csv.read_text().splitlines(keepends=True) if not line.startswith("ben,")]
    tests_csv.write_text("".join(kept))                 # as if the run died before writing ben's rows
    again = grade(course, "--resume", "--jobs", "2", "--no-feedback", "--no-preflight", "--timeout", TIMEOUT)
    assert again.exit_code == 0, again.output
    assert "resume: 1 student(s) already graded, skipped" in again.output
    assert "graded 2 of 2" in again.output                 # ben (rows missing) and eve
    got = scores(course)
    for s in few:
        assert observed(got[s]) == expected_parts(handed_in[s], LOST[s]), s
    done = grade(course, "--resume", "--no-preflight")
    assert done.exit_code == 0 and "every student is already graded" in done.output, done.output
