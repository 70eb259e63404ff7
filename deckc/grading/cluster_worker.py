"""The Dask worker's side of ``deckc grade --cluster``: the definition arrives once, jobs per task.

A Dask worker process needs the network (it talks to the scheduler), so student code never runs
in it: as with ``deckc grade --jobs N`` on one machine, each Dask worker thread drives one
ordinary grading worker (``python -m deckc.grading.worker``, under ``unshare`` as root: no
network, its own PID namespace, the same jail for every kernel and checker), which runs the
per-submission unit (grader.Grader: GradeJob -> StudentResult). This module only carries the
records in and out.

- :class:`CoursePlugin` (a Dask ``WorkerPlugin``, registered once per run by the main process)
  carries the assignment's records.AssignmentDef (bytes: source/, release/, the config, the
  template gradebook). The scheduler hands it to every worker once, also to workers that join
  later; ``setup`` computes this machine's records.Sandbox (its own Python's paths, whether it
  can isolate) and starts the grading workers, which import nbgrader while the first tasks are
  on their way.
- :func:`grade_submission` (the Dask task) takes one records.GradeJob carrying the submission's
  files, grades it with a free grading worker of this Dask worker and returns a :class:`Graded`:
  the StudentResult with its autograded/ and feedback/ files packed (grader.pack_outputs), and
  the grading worker's log lines. Nothing is written anywhere but the worker's scratch: the main
  process alone merges, once per student, whatever Dask re-ran.
"""
from __future__ import annotations

import contextlib
import queue
import selectors
import shutil
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

from distributed import WorkerPlugin

from .records import AssignmentDef, GradeJob, Sandbox, StudentResult, WorkerReady, from_json, to_json

MAX_LOG_BYTES = 1 << 20                      # of a grading worker's log, sent back per task
INIT_SECONDS = 600
MAX_MESSAGE_BYTES = 256 * 1024 * 1024        # as run.MAX_MESSAGE_BYTES


@dataclass(frozen=True)
class Graded:
    """One task's answer: the typed result (outputs packed) and where it was graded."""
    result: StudentResult
    worker: str = ""
    isolation: str = "none"
    log: bytes = b""
    seconds: float = 0.0


class WorkerStartFailed(RuntimeError):
    """The grading worker of a Dask worker could not start (the main process stops the run)."""


def grader_fingerprint() -> str:
    """sha256 of this installation's grader (deckc/grading/*.py): the main process and the
    workers must run the same code, or the same submission could get another score."""
    import hashlib

    digest = hashlib.sha256()
    for path in sorted(Path(__file__).resolve().parent.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


class CoursePlugin(WorkerPlugin):
    """Registered with ``client.register_plugin(plugin, name=...)`` by the main process."""

    def __init__(self, name: str, definition: AssignmentDef, isolation: str, memory_mb: int):
        self.name, self.definition = name, definition
        self.isolation, self.memory_mb = isolation, memory_mb
        self.fingerprint = grader_fingerprint()

    # Dask calls setup() in the worker's event loop thread: only fast work here (the grading
    # workers import nbgrader on their own). A dedicated thread starts every grading worker: each
    # asks for SIGKILL when the *thread* that started it ends (PR_SET_PDEATHSIG), so that thread
    # must live as long as the plugin, which Dask's task threads need not.
    def setup(self, worker):
        from .guard import scratch_dir
        from .sandbox import UNSHARE, isolation_mode, jail_view, uid_base

        self.address = getattr(worker, "address", "")
        self._all: list = []
        self._spawner = None
        if grader_fingerprint() != self.fingerprint:
            import deckc
            raise WorkerStartFailed(f"the Dask worker {self.address} runs another version of deckc's grader "
                                    f"({Path(deckc.__file__).parent}): install the same deckc on the workers")
        self._stack = contextlib.ExitStack()
        self.scratch = self._stack.enter_context(scratch_dir())   # flocked: a dead worker's is removed later
        self.mode = isolation_mode(self.isolation, uid_base(1))
        self.prefix = UNSHARE if self.mode == "namespace" else []
        ro, links = jail_view()                  # this machine's Python, not the main process's
        self.init = {"op": "init", "definition": to_json(self.definition),
                     "sandbox": to_json(Sandbox(self.mode == "namespace", tuple(ro), links))}
        self._spawner = ThreadPoolExecutor(max_workers=1, thread_name_prefix="deckc-spawn")
        self._free: queue.Queue = queue.Queue()
        self._lock = threading.Lock()
        self._count = 0
        nthreads = max(1, int(getattr(getattr(worker, "state", None), "nthreads", 0) or
                              getattr(worker, "nthreads", 1) or 1))
        for _ in range(nthreads):
            self._free.put(self._spawn())

    def teardown(self, worker):
        if self._spawner is None:
            return
        with self._lock:
            for slot in self._all:
                slot.stop()
            self._all.clear()
        self._spawner.shutdown(wait=False)
        self._stack.close()                       # removes the scratch folder

    def _spawn(self) -> _Slot:
        with self._lock:
            self._count += 1
            index = self._count
        slot = self._spawner.submit(_Slot, self, index).result()
        with self._lock:
            self._all.append(slot)
        return slot

    @contextlib.contextmanager
    def lease(self):
        slot = self._free.get()
        try:
            yield slot
        finally:
            if slot.alive():
                self._free.put(slot)
            else:                                  # killed after a time limit, or died: a fresh one
                slot.stop()
                with self._lock:
                    if slot in self._all:
                        self._all.remove(slot)
                self._free.put(self._spawn())


class _Slot:
    """One grading worker process (pool.WorkerProcess) of this Dask worker."""

    def __init__(self, plugin: CoursePlugin, index: int):
        from .pool import WorkerProcess
        from .sandbox import worker_preexec

        self.plugin = plugin
        self.home = plugin.scratch / f"slot{index}"
        self.home.mkdir()
        self.log_path = self.home / "grading.log"
        self.log = open(self.log_path, "ab")
        self.proc = WorkerProcess(index, plugin.prefix + [sys.executable, "-m", "deckc.grading.worker"],
                                  self.home / "w", self.log, worker_preexec(int(plugin.memory_mb or 2048)),
                                  MAX_MESSAGE_BYTES)
        self.proc.send(dict(plugin.init, scratch=str(self.proc.cwd / "scratch")))
        self.ready: WorkerReady | None = None
        self._pending: list = []

    def alive(self) -> bool:
        return self.proc.proc.poll() is None

    def stop(self):
        self.proc.kill()
        self.log.close()
        shutil.rmtree(self.home, ignore_errors=True)

    def read_reply(self, seconds: float) -> dict | None:
        """The next message of the grading worker, or None if it died, broke or took longer."""
        end = time.monotonic() + seconds
        sel = selectors.DefaultSelector()
        sel.register(self.proc.proc.stdout, selectors.EVENT_READ)
        try:
            while not self._pending:
                left = end - time.monotonic()
                if left <= 0:
                    return None
                if sel.select(timeout=min(left, 5)):
                    messages = self.proc.read()
                    if messages is None:
                        return None
                    self._pending.extend(messages)
            return self._pending.pop(0)
        finally:
            sel.close()

    def wait_ready(self) -> None:
        if self.ready is None:
            reply = self.read_reply(INIT_SECONDS)
            if not reply or not reply.get("ok"):
                self.log.flush()
                tail = self.log_path.read_bytes()[-2000:].decode("utf-8", "replace")
                raise WorkerStartFailed(f"a grading worker on {self.plugin.address} could not start: "
                                        f"{(reply or {}).get('error') or 'it died'}\n{tail}")
            self.ready = from_json(WorkerReady, reply["ready"])

    def grade(self, job: GradeJob) -> Graded:
        from .dispatch import Grading
        from .grader import pack_outputs

        self.wait_ready()
        started, log_at = time.monotonic(), self.log.tell()
        self.proc.send({"op": "grade", "job": to_json(job)})
        reply = self.read_reply(self.ready.job_budget)
        if reply is None:
            why = "time limit of the whole submission reached" if self.alive() else "the grading worker died"
            self.proc.kill()                       # lease() starts a fresh one
            result = StudentResult(job.student, ok=False, error=why)
        else:
            result = Grading._result(job.student, reply)
            packed = pack_outputs(result)
            for folder in (result.autograded_dir, result.feedback_dir):
                if folder:
                    shutil.rmtree(folder, ignore_errors=True)
            result = packed
        self.log.flush()
        with open(self.log_path, "rb") as f:
            f.seek(log_at)
            log = f.read(MAX_LOG_BYTES)
        return Graded(result, self.plugin.address, self.plugin.mode, log, time.monotonic() - started)


def grade_submission(plugin_name: str, job: GradeJob) -> Graded:
    """The Dask task: grade one submission on this worker (see the module's docstring)."""
    from distributed import get_worker

    worker = get_worker()
    plugin = worker.plugins.get(plugin_name)
    if plugin is None:
        raise WorkerStartFailed(f"deckc's course is not set up on the Dask worker {worker.address} "
                                "(its log says why)")
    with plugin.lease() as slot:
        return slot.grade(job)


def with_student(graded: Graded, student: str) -> Graded:
    """A Graded whose result names `student` (a task that failed before it had a result)."""
    return replace(graded, result=replace(graded.result, student=student))
