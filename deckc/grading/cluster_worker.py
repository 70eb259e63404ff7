"""The Dask worker's side of ``deckc grade --cluster``: the course arrives once, submissions per task.

A Dask worker process needs the network (it talks to the scheduler), so student code never runs
in it: like ``deckc grade --jobs N`` on one machine, each Dask worker thread drives one ordinary
grading worker (``python -m deckc.grading.worker``, under ``unshare`` as root: no network, its
own PID namespace, the same jail for every kernel and checker). That grading worker runs the
same per-submission unit as local grading; this module only moves bytes in and out of it.

- :class:`CoursePlugin` (a Dask ``WorkerPlugin``, registered once per run by the main process)
  carries the grading workers' init message: the assignment's definition (records.AssignmentDef:
  ``source/A``, ``release/A``, ``nbgrader_config.py``, the template gradebook, the limits). The
  scheduler hands it to every worker once (also to workers that join later); ``setup`` adds
  this machine's jail view (records.Sandbox) and starts the grading workers, which import
  nbgrader while the first tasks are on their way.
- :func:`grade_submission` (the Dask task) receives one records.GradeJob (its files as bytes),
  grades it with a free grading worker of this Dask worker and returns a :class:`Graded`: the
  records.StudentResult with ``autograded/S/A`` and ``feedback/S/A`` packed in it
  (grader.pack_outputs). Nothing is written anywhere but the worker's scratch; the main
  process alone merges into the gradebook, once per student, whatever Dask retried.
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
from dataclasses import dataclass
from pathlib import Path

from distributed import WorkerPlugin

from .records import GradeJob, Sandbox, StudentResult, WorkerReady, from_json, to_json

MAX_LOG_BYTES = 1 << 20                      # of a grading worker's log, sent back per task
INIT_SECONDS = 600


# --------------------------------------------------------------------------- the typed result


@dataclass
class Graded:
    """One task's answer: the result (outputs packed) and where and how it was graded."""
    result: StudentResult
    worker: str = ""
    isolation: str = "none"
    log: bytes = b""
    seconds: float = 0.0


def grader_fingerprint() -> str:
    """sha256 of this installation's grader (deckc/grading/*.py): main process and workers must
    run the same code, or the same submission could get another score."""
    import hashlib

    digest = hashlib.sha256()
    for path in sorted(Path(__file__).resolve().parent.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


class WorkerStartFailed(RuntimeError):
    """The grading worker of a Dask worker could not start (the main process stops the run)."""


# --------------------------------------------------------------------------- the plugin


class CoursePlugin(WorkerPlugin):
    """Registered with ``client.register_plugin(plugin, name=...)`` by the main process."""

    def __init__(self, name: str, init: dict, isolation: str, memory_mb: int):
        self.name, self.init, self.isolation, self.memory_mb = name, init, isolation, memory_mb
        self.fingerprint = grader_fingerprint()

    # Dask calls setup() in the worker's event loop thread: only fast work here (no waiting for
    # nbgrader's import). A dedicated thread starts every grading worker process: each asks for
    # SIGKILL when the *thread* that started it ends (PR_SET_PDEATHSIG), so that thread must
    # live as long as the plugin, which Dask's task threads need not.
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
        self.scratch = self._stack.enter_context(scratch_dir())
        self.mode = isolation_mode(self.isolation, uid_base(1))
        self.prefix = UNSHARE if self.mode == "namespace" else []
        ro, links = jail_view()                  # this machine's Python, not the main process's
        self.init = dict(self.init, sandbox=to_json(Sandbox(self.mode == "namespace", tuple(ro), links)))
        self._spawner = ThreadPoolExecutor(max_workers=1, thread_name_prefix="deckc-spawn")
        self._free: queue.Queue = queue.Queue()
        self._lock = threading.Lock()
        nthreads = max(1, int(getattr(getattr(worker, "state", None), "nthreads", 0) or
                              getattr(worker, "nthreads", 1) or 1))
        for i in range(nthreads):
            self._free.put(self._spawn(i))

    def teardown(self, worker):
        if self._spawner is None:
            return
        with self._lock:
            for slot in self._all:
                slot.stop()
            self._all.clear()
        self._spawner.shutdown(wait=False)
        self._stack.close()                       # removes the scratch folder

    def _spawn(self, index: int) -> "_Slot":
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
            else:                                  # killed after a time limit or died: a fresh one
                with self._lock:
                    self._all.remove(slot) if slot in self._all else None
                self._free.put(self._spawn(slot.index))


class _Slot:
    """One grading worker process (python -m deckc.grading.worker, the local pool's worker)."""

    def __init__(self, plugin: CoursePlugin, index: int):
        from .pool import WorkerProcess
        from .sandbox import worker_preexec

        self.index, self.plugin = index, plugin
        self.home = plugin.scratch / f"slot{index}-{time.monotonic_ns()}"
        self.home.mkdir(parents=True)
        self.log_path = self.home / "grading.log"
        self.log = open(self.log_path, "ab")
        self.proc = WorkerProcess(index, plugin.prefix + [sys.executable, "-m", "deckc.grading.worker"],
                                  self.home / "w", self.log, worker_preexec(int(plugin.memory_mb or 2048)))
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
        """The next message of the grading worker, or None if it died or took longer."""
        end = time.monotonic() + seconds
        sel = selectors.DefaultSelector()
        sel.register(self.proc.proc.stdout, selectors.EVENT_READ)
        try:
            while True:
                if self._pending:
                    return self._pending.pop(0)
                left = end - time.monotonic()
                if left <= 0:
                    return None
                if not sel.select(timeout=min(left, 5)):
                    continue
                msgs = self.proc.read()
                if msgs is None:
                    return None
                self._pending.extend(msgs)
        finally:
            sel.close()

    def wait_ready(self):
        if self.ready is None:
            reply = self.read_reply(INIT_SECONDS)
            if not reply or not reply.get("ok"):
                tail = self.log_path.read_bytes()[-2000:].decode("utf-8", "replace")
                raise WorkerStartFailed(f"the grading worker on {self.plugin.address} could not start: "
                                        f"{(reply or {}).get('error') or 'it died'}\n{tail}")
            self.ready = from_json(WorkerReady, reply["ready"])

    def grade(self, job: GradeJob) -> Graded:
        from .dispatch import result_of
        from .grader import pack_outputs

        self.wait_ready()
        started = time.monotonic()
        log_at = self.log.tell()
        self.proc.send({"op": "grade", "job": to_json(job)})
        reply = self.read_reply(self.ready.job_budget)
        if reply is None:
            why = ("time limit of the whole submission reached" if self.alive()
                   else "the grading worker died")
            self.proc.kill()                       # lease() starts a fresh one
            result = StudentResult(job.student, ok=False, error=why)
        else:
            graded = result_of(job.student, reply)
            result = pack_outputs(graded)
            for folder in (graded.autograded_dir, graded.feedback_dir):
                if folder:
                    shutil.rmtree(folder, ignore_errors=True)
        self.log.flush()
        with open(self.log_path, "rb") as f:
            f.seek(log_at)
            log = f.read(MAX_LOG_BYTES)
        return Graded(result, worker=self.plugin.address, isolation=self.plugin.mode, log=log,
                      seconds=time.monotonic() - started)


# --------------------------------------------------------------------------- the task


def grade_submission(plugin_name: str, job: dict) -> Graded:
    """The Dask task: grade one submission (records.to_json of a GradeJob) on this worker."""
    from distributed import get_worker

    worker = get_worker()
    plugin = worker.plugins.get(plugin_name)
    if plugin is None:
        raise WorkerStartFailed(f"deckc's course is not set up on the Dask worker {worker.address} "
                                "(its log says why)")
    with plugin.lease() as slot:
        return slot.grade(from_json(GradeJob, job))
