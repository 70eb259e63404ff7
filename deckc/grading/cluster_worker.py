"""The Dask worker's side of ``deckc grade --cluster``: the course arrives once, submissions per task.

A Dask worker process needs the network (it talks to the scheduler), so student code never runs
in it: like ``deckc grade --jobs N`` on one machine, each Dask worker thread drives one ordinary
grading worker (``python -m deckc.grading.worker``, under ``unshare`` as root: no network, its
own PID namespace, the same jail for every kernel and checker). That grading worker runs the
same per-submission unit as local grading; this module only moves bytes in and out of it.

- :class:`CoursePlugin` (a Dask ``WorkerPlugin``, registered once per run by the main process)
  carries the assignment's definition: ``source/A``, ``release/A``, ``nbgrader_config.py`` and
  the template gradebook, packed as one tar. The scheduler hands it to every worker once (also
  to workers that join later); ``setup`` unpacks it into a private scratch folder (one copy per
  grading worker) and starts the grading workers, which import nbgrader while the first tasks
  are on their way.
- :func:`grade_submission` (the Dask task) receives one submission's files as tar bytes and the
  job (student, uid, gradebook state), grades it with a free grading worker of this Dask worker
  and returns a :class:`Graded`: the grading worker's reply plus ``autograded/S/A`` and
  ``feedback/S/A`` as tar bytes. Nothing is written anywhere but the worker's scratch; the main
  process alone merges into the gradebook, once per student, whatever Dask retried.
"""
from __future__ import annotations

import contextlib
import io
import os
import queue
import selectors
import shutil
import tarfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from distributed import WorkerPlugin

from ..nbgrader import layout

MAX_SUBMISSION_BYTES = 200 * 1024 * 1024     # as worker.MAX_SUBMISSION_BYTES: more is skipped
MAX_LOG_BYTES = 1 << 20                      # of a grading worker's log, sent back per task
INIT_SECONDS = 600


# --------------------------------------------------------------------------- tar helpers


def pack(root: Path, limit: int = MAX_SUBMISSION_BYTES) -> tuple[bytes, list[str]]:
    """The regular files under root as an uncompressed tar (sorted, so the same files give the
    same bytes), and the paths skipped: symlinks, devices, files past `limit` bytes in all."""
    buf, skipped, total = io.BytesIO(), [], 0
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
            dirnames.sort()
            rel = Path(dirpath).relative_to(root)
            for d in list(dirnames):
                if os.path.islink(os.path.join(dirpath, d)):
                    skipped.append(str(rel / d))
                    dirnames.remove(d)
            for name in sorted(filenames):
                path = Path(dirpath) / name
                st = os.lstat(path)
                import stat as _stat
                if not _stat.S_ISREG(st.st_mode) or total + st.st_size > limit:
                    skipped.append(str(rel / name))
                    continue
                total += st.st_size
                info = tarfile.TarInfo(str(rel / name))
                info.size, info.mtime, info.mode = st.st_size, int(st.st_mtime), 0o644
                with open(path, "rb") as f:
                    tar.addfile(info, f)
    return buf.getvalue(), skipped


def unpack(data: bytes, dest: Path) -> None:
    """Extract a tar made by pack() into dest; tarfile's "data" filter refuses absolute paths,
    `..`, links and special files, whoever made the bytes."""
    dest.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as tar:
        tar.extractall(dest, filter="data")


def pack_course(course: Path, assignment: str, template_db: Path) -> bytes:
    """What a worker needs of the course, as one tar: source/A, release/A, nbgrader_config.py
    (the worker reads the course's config exactly as locally) and the template gradebook."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for sub in ("source", "release"):
            top = course / sub / assignment
            if top.is_dir():
                data, _ = pack(top, limit=1 << 40)
                _add(tar, f"{sub}.tar", data)
        config = layout.config_path(course)
        if config.is_file():
            _add(tar, layout.CONFIG_FILE, config.read_bytes())
        _add(tar, "template.db", template_db.read_bytes())
    return buf.getvalue()


def _add(tar, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mode = len(data), 0o644
    tar.addfile(info, io.BytesIO(data))


def _unpack_course(data: bytes, course: Path, assignment: str) -> Path:
    """The course bundle -> COURSE/{source,release}/A, nbgrader_config.py; returns template.db."""
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as tar:
        members = {m.name: tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()}
    for sub in ("source", "release"):
        if f"{sub}.tar" in members:
            unpack(members[f"{sub}.tar"], course / sub / assignment)
    if layout.CONFIG_FILE in members:
        layout.config_path(course).write_bytes(members[layout.CONFIG_FILE])
    template = course.parent / "template.db"
    template.write_bytes(members["template.db"])
    return template


# --------------------------------------------------------------------------- the typed result


@dataclass
class Graded:
    """One task's answer. `reply` is the grading worker's reply, as local grading gets it (its
    autograded_dir / feedback_dir are paths on the worker: the folders travel as tar bytes)."""
    student: str
    reply: dict
    worker: str = ""
    isolation: str = "none"
    autograded: bytes | None = None
    feedback: bytes | None = None
    log: bytes = b""
    skipped: list = field(default_factory=list)
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

    def __init__(self, name: str, assignment: str, bundle: bytes, init: dict, isolation: str, memory_mb: int):
        self.name, self.assignment, self.bundle = name, assignment, bundle
        self.init, self.isolation, self.memory_mb = init, isolation, memory_mb
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
        self.init = dict(self.init, ro=ro, links=links, isolate=self.mode == "namespace")
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
    """One grading worker process with a private copy of the course."""

    def __init__(self, plugin: CoursePlugin, index: int):
        from .run import _Worker

        self.index, self.plugin = index, plugin
        self.home = plugin.scratch / f"slot{index}-{time.monotonic_ns()}"
        self.course = self.home / "course"
        self.course.mkdir(parents=True)
        template = _unpack_course(plugin.bundle, self.course, plugin.assignment)
        self.log_path = self.home / "grading.log"
        self.log = open(self.log_path, "ab")
        _Worker.memory_mb = int(plugin.memory_mb or 2048)
        self.proc = _Worker(index, plugin.prefix, self.home, self.log)
        self.proc.send(dict(plugin.init, course=str(self.course), template_db=str(template),
                            scratch=str(self.proc.scratch / "scratch")))
        self.ready: dict | None = None
        self.job_seconds = 3600.0
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
                msgs = self.proc.read_messages()
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
            self.ready = reply
            cell = float(reply.get("cell_timeout") or 30)
            self.job_seconds = 2 * sum(reply.get("nb_timeout", {}).values() or [cell * 40]) + 180

    def grade(self, job: dict, submission: bytes) -> Graded:
        self.wait_ready()
        started = time.monotonic()
        student = job["student"]
        log_at = self.log.tell()
        handed_in = layout.submitted_dir(self.course, student, self.plugin.assignment)
        shutil.rmtree(layout.submitted_root(self.course), ignore_errors=True)
        if not job.get("preflight"):
            unpack(submission, handed_in)
        self.proc.send(job)
        reply = self.read_reply(self.job_seconds)
        out = Graded(student, reply or {}, worker=self.plugin.address, isolation=self.plugin.mode)
        if reply is None:
            why = ("time limit of the whole submission reached" if self.alive()
                   else "the grading worker died")
            self.proc.kill()                       # lease() starts a fresh one
            out.reply = {"ok": False, "student": student, "error": why}
        else:
            for kind in ("autograded", "feedback"):
                folder = reply.get(f"{kind}_dir")
                if folder and Path(folder).is_dir():
                    setattr(out, kind, pack(Path(folder), limit=1 << 40)[0])
                    shutil.rmtree(folder, ignore_errors=True)
        shutil.rmtree(layout.submitted_root(self.course), ignore_errors=True)
        self.log.flush()
        with open(self.log_path, "rb") as f:
            f.seek(log_at)
            out.log = f.read(MAX_LOG_BYTES)
        out.seconds = time.monotonic() - started
        return out


# --------------------------------------------------------------------------- the task


def grade_submission(plugin_name: str, job: dict, submission: bytes, skipped: list) -> Graded:
    """The Dask task: grade one submission on this worker (see the module's docstring)."""
    from distributed import get_worker

    worker = get_worker()
    plugin = worker.plugins.get(plugin_name)
    if plugin is None:
        raise WorkerStartFailed(f"deckc's course is not set up on the Dask worker {worker.address} "
                                "(its log says why)")
    with plugin.lease() as slot:
        graded = slot.grade(job, submission)
    graded.skipped = list(skipped)
    return graded

