"""``deckc grade --cluster``: the same grading on a Dask cluster; this process alone merges.

`--cluster tcp://host:8786` connects to a running Dask scheduler (started by the cluster's
operator: dask-kubernetes, the Helm chart, dask-jobqueue, or ``dask scheduler`` and ``dask
worker`` by hand; deckc must be installed on the workers, same version); `--cluster local:N`
starts a LocalCluster of N worker processes on this machine (one thread each) and stops it
after the run.

The assignment's definition (records.AssignmentDef) goes to every worker once
(cluster_worker.CoursePlugin); then one task per submission (cluster_worker.grade_submission)
carries the job the local pool would send (records.GradeJob) with the submission's files as
bytes. A bounded window of tasks is in flight, so neither the scheduler nor this process holds
every submission at once. Results (records.StudentResult) are merged here, through the same
code as local grading (dispatch.Grading, merge.take), in the order they arrive, each student
once: a task Dask re-ran after losing a worker still has one result, and a second one (there
should be none) is logged and dropped. If the scheduler goes away, the run stops with
GradeFailure (exit 1): the gradebook holds the students merged so far, each whole (one
transaction each), and `--resume` grades the rest.
"""
from __future__ import annotations

import contextlib
import importlib.util
import re
import time
from pathlib import Path

from . import preflight

LOCAL = re.compile(r"^local:(\d+)$")
CONNECT_SECONDS = 30
HANDSHAKE_SECONDS = 10


def check_spec(spec: str) -> str:
    """`local:N` or a scheduler address; anything else is a usage error (run.GradeError)."""
    from .run import GradeError

    m = LOCAL.match(spec)
    if m:
        if not 1 <= int(m.group(1)) <= 256:
            raise GradeError(f"--cluster {spec}: N must be 1 to 256")
        return spec
    if spec.startswith("inproc://") and re.match(r"^inproc://[^\s/]+/?$", spec):
        return spec
    m = re.match(r"^(tcp|tls|ucx|ws|wss)://[^\s/]+?(?::(\d+))?/?$", spec)
    if m:
        if m.group(2) is None or not 1 <= int(m.group(2)) <= 65535:
            raise GradeError(f"--cluster {spec}: the scheduler's address needs its port (1 to 65535), "
                             "e.g. tcp://scheduler:8786")
        return spec
    raise GradeError(f"--cluster {spec!r}: expected local:N (a local cluster of N workers) or a "
                     "scheduler address such as tcp://scheduler:8786")


def missing_extra() -> str | None:
    if importlib.util.find_spec("distributed") is None:
        return "--cluster needs Dask distributed: pip install 'deckc[cluster]'"
    return None


@contextlib.contextmanager
def connect(spec: str, scratch: Path, quiet: bool, say):
    """A distributed.Client for `spec`; a LocalCluster started for local:N is closed after."""
    from distributed import Client, LocalCluster

    from .run import GradeFailure

    import logging

    import dask

    cluster = None
    m = LOCAL.match(spec)
    settings = contextlib.ExitStack()
    # the client's own log lines (reconnect tracebacks, ...) would bury deckc's one clear message
    for name in ["distributed", "tornado"] + [n for n in logging.root.manager.loggerDict
                                              if n.startswith(("distributed.", "tornado."))]:
        logger = logging.getLogger(name)
        settings.callback(logger.setLevel, logger.level)
        logger.setLevel(logging.CRITICAL + 1)
    # Dask's lock files and worker spill folders go into the run's scratch, removed with it
    settings.enter_context(dask.config.set({"temporary-directory": str(scratch / "dask")}))
    try:
        if m:
            dashboard = "127.0.0.1:0" if importlib.util.find_spec("bokeh") else None
            cluster = LocalCluster(n_workers=int(m.group(1)), threads_per_worker=1, processes=True,
                                   host="127.0.0.1", dashboard_address=dashboard, silence_logs=logging.CRITICAL,
                                   local_directory=str(scratch / "dask"))
            client = Client(cluster, timeout=CONNECT_SECONDS)
        else:
            _reachable(spec)
            try:
                client = Client(spec, timeout=CONNECT_SECONDS)
            except (OSError, TimeoutError) as e:
                raise GradeFailure(f"cannot reach the Dask scheduler {spec}: {e}") from None
    except BaseException:
        if cluster is not None:
            cluster.close()
        settings.close()
        raise
    try:
        if not quiet and _has_dashboard(client):
            say(f"Dask dashboard: {client.dashboard_link}")
        yield client
    finally:
        with contextlib.suppress(Exception):
            client.close(timeout=10)
        if cluster is not None:
            with contextlib.suppress(Exception):
                cluster.close(timeout=30)
        settings.close()


def _reachable(spec: str) -> None:
    """Fail at once, not after the client's 30 s of retries, when nothing listens at a tcp://
    address, and at all when what listens is not a Dask scheduler (the dashboard's port, say):
    a scheduler sends its handshake as soon as it accepts, and distributed's Client waits for it
    without a time limit."""
    import socket

    from .run import GradeFailure

    m = re.match(r"^tcp://\[?([^\]/]+?)\]?:(\d+)/?$", spec)
    if not m:
        return
    try:
        with socket.create_connection((m.group(1), int(m.group(2))), timeout=10) as conn:
            conn.settimeout(HANDSHAKE_SECONDS)
            try:
                spoke = bool(conn.recv(1))
            except TimeoutError:
                spoke = False
    except OSError as e:
        raise GradeFailure(f"cannot reach the Dask scheduler {spec}: {e.strerror or e}") from None
    if not spoke:
        raise GradeFailure(f"{spec} is not a Dask scheduler: it accepted the connection but sent no Dask "
                           f"handshake in {HANDSHAKE_SECONDS} s (the scheduler's port is 8786 by default, "
                           "its dashboard's 8787)")


def _has_dashboard(client) -> bool:
    """The scheduler's dashboard answers (it needs bokeh there; the scheduler may list its port
    even when it did not start it)."""
    import urllib.request

    try:
        if not client.scheduler_info().get("services", {}).get("dashboard"):
            return False
        with urllib.request.urlopen(client.dashboard_link, timeout=3) as r:
            return r.status == 200
    except Exception:  # noqa: BLE001 - no dashboard: nothing to show
        return False


def worker_count(client, wait_seconds: float = CONNECT_SECONDS) -> int:
    """Threads of the cluster's workers (waits for the first worker to join)."""
    from .run import GradeFailure

    end = time.monotonic() + wait_seconds
    while True:
        workers = client.scheduler_info().get("workers", {})
        if workers:
            return sum(int(w.get("nthreads", 1)) for w in workers.values())
        if time.monotonic() > end:
            raise GradeFailure(f"the Dask scheduler {client.scheduler.address} has no workers "
                               f"(waited {wait_seconds:.0f} s)")
        time.sleep(0.2)


def grade_on_cluster(client, grading, students: list[str], scratch: Path) -> None:
    """Grade `students` (and first the preflight) on the cluster; each result is merged here by
    `grading` (dispatch.Grading: the same jobs, preflight and merge as the local pool)."""
    from distributed import as_completed
    from distributed.client import FutureCancelledError
    from distributed.scheduler import KilledWorker

    from .cluster_worker import CoursePlugin, Graded, WorkerStartFailed, grade_submission
    from .records import StudentResult, to_json
    from .run import GradeError, GradeFailure, _mark

    opts, summary, log = grading.opts, grading.summary, grading.log
    name = plugin_name(grading.course, grading.assignment)
    plugin = CoursePlugin(name, grading.init, opts.isolation, int(opts.memory_mb or 2048))
    threads = worker_count(client)
    summary.jobs = threads
    try:
        client.register_plugin(plugin, name=name)
    except (GradeError, GradeFailure):
        raise
    except WorkerStartFailed as e:
        raise GradeFailure(str(e)) from None
    except Exception as e:  # noqa: BLE001 - a worker's setup failed: say which and why
        raise GradeFailure(f"the course could not be set up on the Dask workers: {type(e).__name__}: {e}") from None
    _mark(f"course sent to {threads} worker threads")
    queue = grading.queue(students)
    window = max(8, 3 * threads)
    futures: dict = {}                  # future -> student
    modes: set = set()
    ac = as_completed()

    def submit():
        while queue and len(futures) < window:
            student = queue.pop(0)
            job = grading.job(student).packed()       # the submission's bytes travel with the task
            future = client.submit(grade_submission, name, to_json(job), pure=False,
                                   priority=10 if student == preflight.STUDENT else 0)
            futures[future] = student
            ac.add(future)

    try:
        submit()
        for future in ac:
            student = futures.pop(future)
            if future.status == "cancelled":
                raise GradeFailure(_lost_scheduler(opts.cluster, grading.merged, students))
            try:
                graded = future.result()
            except FutureCancelledError:
                raise GradeFailure(_lost_scheduler(opts.cluster, grading.merged, students)) from None
            except WorkerStartFailed as e:
                raise GradeFailure(str(e)) from None
            except KilledWorker:
                graded = Graded(StudentResult(student, ok=False, error="every Dask worker that took it died "
                                                                      "(distributed's allowed-failures)"))
            except Exception as e:  # noqa: BLE001 - this student's task failed, not the run
                graded = Graded(StudentResult(student, ok=False, error=f"{type(e).__name__}: {e}"))
            finally:
                future.release()
            if graded.log:
                log.write(f"--- {student} on {graded.worker} ---\n".encode() + graded.log)
            modes.add(graded.isolation)
            result = graded.result
            if result.student != student:
                result = StudentResult(student, ok=False, error=f"the task answered for {result.student!r}")
            grading.arrived(result, graded.seconds, note=f"graded on {graded.worker} in {graded.seconds:.1f} s")
            submit()
        _mark("all graded")
    finally:
        for future in list(futures):
            future.cancel()
        with contextlib.suppress(Exception):
            if client.status == "running":
                client.unregister_worker_plugin(name)   # teardown: grading workers, scratch
        summary.isolation = "/".join(sorted(modes)) if modes else summary.isolation


def plugin_name(course: Path, assignment: str) -> str:
    """One name per course and assignment: a run killed before it could unregister its plugin
    leaves it on the cluster until the next run of the same course replaces it (Dask tears the
    old one down: its grading workers and scratch)."""
    import hashlib
    import socket

    key = f"{socket.gethostname()}:{course}:{assignment}".encode()
    return f"deckc-course-{hashlib.sha256(key).hexdigest()[:16]}"


def _lost_scheduler(spec: str, merged: set, students: list[str]) -> str:
    left = len([s for s in students if s not in merged])
    return (f"lost the Dask scheduler {spec}: {len(merged)} of {len(students)} students were graded and "
            f"merged (each whole), {left} were not; run again with --resume to grade only those")
