"""``deckc grade --cluster``: the same grading on a Dask cluster; this process alone merges.

`--cluster tcp://host:8786` connects to a running Dask scheduler (started by the cluster's
operator: dask-kubernetes, the Helm chart, dask-jobqueue, or ``dask scheduler`` and ``dask
worker`` by hand; deckc must be installed on the workers, same version); `--cluster local:N`
starts a LocalCluster of N worker processes on this machine (one thread each) and stops it
after the run.

The assignment's records.AssignmentDef goes to every worker once (cluster_worker.CoursePlugin);
then one task per submission (cluster_worker.grade_submission) carries a records.GradeJob with
that submission's files as bytes, and returns the records.StudentResult of the same
per-submission unit local grading runs (grader.Grader, in the same jail). A bounded window of
tasks is in flight, so neither the scheduler nor this process holds every submission at once.
Results are merged here by the local path's own code (dispatch.Grading, merge.take), in the
order they arrive, each student once: a task Dask re-ran after losing a worker still has one
result, and a second one (there should be none) is logged and dropped. If the scheduler goes away, the run stops with GradeFailure (exit 1): the
gradebook holds the students merged so far, each whole (one transaction each), and `--resume`
grades the rest.
"""
from __future__ import annotations

import contextlib
import importlib.util
import os
import re
import sys
import time
from pathlib import Path

from . import preflight

LOCAL = re.compile(r"^local:(\d+)$")
CONNECT_SECONDS = 30


def check_spec(spec: str) -> str:
    """`local:N` or a scheduler address; anything else is a usage error (run.GradeError)."""
    from .run import GradeError

    m = LOCAL.match(spec)
    if m:
        if not 1 <= int(m.group(1)) <= 256:
            raise GradeError(f"--cluster {spec}: N must be 1 to 256")
        return spec
    if re.match(r"^(tcp|tls|ucx|inproc|ws|wss)://[^\s/]+(:\d+)?/?$", spec):
        return spec
    raise GradeError(f"--cluster {spec!r}: expected local:N (a local cluster of N workers) or a "
                     "scheduler address such as tcp://scheduler:8786")


def missing_extra() -> str | None:
    if importlib.util.find_spec("distributed") is None:
        return "--cluster needs Dask distributed: pip install 'deckc[cluster]'"
    return None


@contextlib.contextmanager
def connect(spec: str, scratch: Path, quiet: bool):
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
            print(f"Dask dashboard: {client.dashboard_link}", file=sys.stderr, flush=True)
        yield client
    finally:
        with contextlib.suppress(Exception):
            client.close(timeout=10)
        if cluster is not None:
            with contextlib.suppress(Exception):
                cluster.close(timeout=30)
        settings.close()


def _reachable(spec: str) -> None:
    """Fail at once, not after the client's 30 s of retries, when nothing listens at a tcp:// address."""
    import socket

    from .run import GradeFailure

    m = re.match(r"^tcp://\[?([^\]/]+?)\]?:(\d+)/?$", spec)
    if not m:
        return
    try:
        socket.create_connection((m.group(1), int(m.group(2))), timeout=10).close()
    except OSError as e:
        raise GradeFailure(f"cannot reach the Dask scheduler {spec}: {e.strerror or e}") from None


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


def grade_on_cluster(client, grading, definition, students: list[str], log) -> None:
    """Grade `students` (and first the preflight) on the cluster; merge each result here.

    `grading` is the local path's dispatch.Grading: its gradebook, summary, progress, uids and
    merge (`_take`) are used as they are; only the transport differs. `definition`: the
    records.AssignmentDef, sent to each worker once."""
    from distributed import as_completed
    from distributed.client import FutureCancelledError
    from distributed.scheduler import KilledWorker

    from . import gradebook as gbmod
    from .cluster_worker import CoursePlugin, Graded, WorkerStartFailed, grade_submission
    from .records import GradeJob, StudentResult, submission_files
    from .run import GradeError, GradeFailure

    opts, summary, course, assignment = grading.opts, grading.summary, grading.course, grading.assignment
    mark = grading.mark
    name = plugin_name(course, assignment)
    plugin = CoursePlugin(name, definition, opts.isolation, int(opts.memory_mb or 2048))
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
    mark(f"course sent to {threads} worker threads")
    queue = ([preflight.STUDENT] if opts.preflight else []) + list(students)
    window = max(8, 3 * threads)
    futures: dict = {}                  # future -> student
    merged: set = set()
    held: list = []                    # (result, worker, seconds) waiting for the preflight
    modes: set = set()
    ac = as_completed()

    def job_of(student: str) -> GradeJob:
        if student == preflight.STUDENT:
            return GradeJob(student, uid=grading.next_uid(), preflight=True)     # the definition's source/
        accepted, skipped = submission_files(course / "submitted" / student / assignment)
        return GradeJob(student, files={rel: path.read_bytes() for rel, path in accepted}, skipped=tuple(skipped),
                        state=gbmod.student_state(grading.gb, assignment, student), uid=grading.next_uid())

    def submit():
        while queue and len(futures) < window:
            student = queue.pop(0)
            future = client.submit(grade_submission, name, job_of(student), pure=False,
                                   priority=10 if student == preflight.STUDENT else 0)
            futures[future] = student
            ac.add(future)

    def take(result: StudentResult, worker: str, seconds: float):
        student = result.student
        if student in merged:
            log.write(f"deckc: a second result for {student} (from {worker}) ignored\n".encode())
            return
        t0 = time.monotonic()
        grading._take(result)          # merge.take under deferred signals: whole or not at all
        merged.add(student)
        log.write(f"deckc: merged {student} (graded on {worker} in {seconds:.1f} s)\n".encode())
        log.flush()
        if os.environ.get("DECKC_GRADE_TIMINGS"):
            print(f"merge {student}: {time.monotonic() - t0:.4f} s", file=sys.stderr)

    try:
        submit()
        for future in ac:
            student = futures.pop(future)
            if future.status == "cancelled":
                raise GradeFailure(_lost_scheduler(opts.cluster, merged, students))
            try:
                graded = future.result()
            except FutureCancelledError:
                raise GradeFailure(_lost_scheduler(opts.cluster, merged, students)) from None
            except WorkerStartFailed as e:
                raise GradeFailure(str(e)) from None
            except KilledWorker:
                graded = Graded(StudentResult(student, ok=False, error="every Dask worker that took it died "
                                                                       "(Dask's allowed-failures)"))
            except Exception as e:  # noqa: BLE001 - this student's task failed, not the run
                graded = Graded(StudentResult(student, ok=False, error=f"{type(e).__name__}: {e}"))
            finally:
                future.release()
            result = graded.result
            if result.student != student:
                result = StudentResult(student, ok=False, error=f"the worker answered for {result.student!r}")
            if graded.log:
                log.write(f"--- {student} on {graded.worker} ---\n".encode() + graded.log)
            if graded.worker:
                modes.add(graded.isolation)
            if student == preflight.STUDENT:
                score, maximum, full = preflight.marks(result)
                if not full:
                    raise GradeFailure(preflight.failure(course, assignment, result))
                summary.preflight = (score, maximum, graded.seconds)
                mark("preflight passed")
                grading.pending = False
                for r, worker, seconds in held:
                    take(r, worker, seconds)
                held.clear()
            elif grading.pending:
                held.append((result, graded.worker, graded.seconds))
            else:
                take(result, graded.worker, graded.seconds)
            submit()
    finally:
        for future in list(futures):
            future.cancel()
        with contextlib.suppress(Exception):
            if client.status == "running":
                client.unregister_worker_plugin(name)   # teardown: grading workers, scratch
        if modes:
            summary.isolation = "/".join(sorted(modes))


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
