"""A pool of long-lived worker processes speaking _protocol.py's JSON lines (nothing of grading).

Each process gets one init message, answers it, then takes tasks one at a time: a task is a key
(here: a student) turned into a message by the handler; the process answers each with one
message. The pool watches every process at once (one selector), gives each task a deadline,
replaces a process that dies or overruns (the task is tried once more after a death, as a
process can die of something else), and lets the handler hold a process that has answered
(it takes no new task, and has no deadline, until release()).

    class Handler:                       # what the user of the pool supplies
        init_message(proc) -> dict
        ready(proc, reply) -> None       # the init reply (raise to stop everything)
        task_message(key) -> dict
        answer(proc, key, reply) -> bool # False: hold the process (release() it later)
        lost(proc, key, why) -> None     # key None: the process died before it was ready
        budget() -> float                # seconds a task may take
"""
from __future__ import annotations

import os
import selectors
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from . import _protocol

INIT = object()            # the task of a process that has not answered its init message yet


@dataclass
class Task:
    key: object
    started: float
    deadline: float


class WorkerProcess:
    def __init__(self, index: int, argv: list[str], cwd: Path, log, preexec_fn=None,
                 max_message: int = 256 * 1024 * 1024):
        self.index, self.argv, self.cwd, self.log = index, argv, Path(cwd), log
        self.preexec_fn, self.max_message = preexec_fn, max_message
        self.cwd.mkdir(mode=0o700)
        self.proc = subprocess.Popen(argv, cwd=str(self.cwd), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=log, start_new_session=True, preexec_fn=preexec_fn)
        self.reader = _protocol.Reader(self.proc.stdout.fileno(), max_message, chunk=1 << 20)
        self.task: Task | None = None

    def send(self, message: dict) -> None:
        self.proc.stdin.write(_protocol.encode(message))
        self.proc.stdin.flush()

    def read(self) -> list[dict] | None:
        """The messages that arrived, or None if the process is gone or sent a broken one."""
        messages = self.reader.read()
        return None if messages is None or self.reader.dropped else messages

    def fresh(self) -> WorkerProcess:
        """A new process in the place of this one (its folder emptied)."""
        import shutil
        shutil.rmtree(self.cwd, ignore_errors=True)
        return WorkerProcess(self.index, self.argv, self.cwd, self.log, self.preexec_fn, self.max_message)

    def kill(self) -> None:
        """At once: its process group, then itself."""
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except OSError:
            pass
        try:
            self.proc.kill()
        except OSError:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass

    def close(self) -> None:
        """End of input: it finishes and exits (then is killed anyway)."""
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            pass
        self.kill()


class Pool:
    def __init__(self, procs: list[WorkerProcess], handler, init_deadline: float = 600,
                 died: str = "the worker died"):
        self.procs, self.handler = procs, handler
        self.init_deadline, self.died = init_deadline, died
        self.queue: list = []
        self.retried: set = set()
        self.sel = selectors.DefaultSelector()

    def run(self, keys) -> None:
        """Every key through the pool; returns when every process is idle and the queue empty."""
        self.queue = list(keys)
        for p in self.procs:
            self._start(p)
        while any(p.task for p in self.procs):
            now = time.monotonic()
            soonest = min((p.task.deadline for p in self.procs if p.task), default=now + 1)
            for key, _ in self.sel.select(timeout=max(0.05, min(soonest - now, 5))):
                p = key.data
                messages = p.read()
                if messages is None:
                    self._replace(p, self.died, retry=True)
                    continue
                for message in messages:
                    task = p.task
                    if task is None:
                        continue
                    if task.key is INIT:
                        self.handler.ready(p, message)
                        self._dispatch(p)
                    elif self.handler.answer(p, task.key, message):
                        self._dispatch(p)
                    else:
                        p.task = Task(task.key, task.started, float("inf"))   # held: no deadline
            now = time.monotonic()
            for p in list(self.procs):
                if p.task and now > p.task.deadline:
                    self._replace(p, "time limit of the whole submission reached")
        self.sel.close()

    def release(self, p: WorkerProcess) -> None:
        """A held process takes its next task."""
        self._dispatch(p)

    def _start(self, p: WorkerProcess) -> None:
        p.send(self.handler.init_message(p))
        p.task = Task(INIT, time.monotonic(), time.monotonic() + self.init_deadline)
        self.sel.register(p.proc.stdout, selectors.EVENT_READ, p)

    def _dispatch(self, p: WorkerProcess) -> None:
        if not self.queue:
            p.task = None
            return
        key = self.queue.pop(0)
        p.send(self.handler.task_message(key))
        p.task = Task(key, time.monotonic(), time.monotonic() + self.handler.budget())

    def _replace(self, p: WorkerProcess, why: str, retry: bool = False) -> None:
        key = p.task.key if p.task else None
        self.sel.unregister(p.proc.stdout)
        p.kill()
        if key is INIT:
            self.handler.lost(p, None, why)
        elif key is not None:
            if retry and key not in self.retried:
                self.retried.add(key)              # a process can die of something else: once more
                self.queue.insert(0, key)
            else:
                self.handler.lost(p, key, why)
        if not self.queue:
            self.procs.remove(p)
            return
        fresh = p.fresh()
        self.procs[self.procs.index(p)] = fresh
        self._start(fresh)
