"""Grading through the worker pool: the pool.Handler of ``deckc grade``.

Jobs go out as records.GradeJob (with the student's manual state from the real gradebook);
answers come back as records.StudentResult and are merged (merge.take) under deferred signals.
With the preflight on, the first job is the reference solution; until it has full marks no
result is merged: a worker whose result waits is held (it takes no new job; its scratch holds
the result's folders); if the reference loses anything, GradeFailure stops the run.
"""
from __future__ import annotations

import time
from pathlib import Path

from . import preflight
from .guard import signals_deferred
from .records import AssignmentDef, GradeJob, Sandbox, StudentResult, WorkerReady, from_json, to_json


class Grading:
    def __init__(self, definition: AssignmentDef, sandbox: Sandbox, course: Path, assignment: str, gb, opts,
                 summary, progress, next_uid, log_name: str, failure, mark):
        self.init = {"op": "init", "definition": to_json(definition), "sandbox": to_json(sandbox)}
        self.course, self.assignment, self.gb, self.opts = course, assignment, gb, opts
        self.summary, self.progress, self.next_uid = summary, progress, next_uid
        self.log_name, self.failure, self.mark = log_name, failure, mark
        self.rows: dict = {}              # student -> tests.csv rows merged in this run
        self.pending = bool(opts.preflight)
        self.held: list = []              # (process, result) waiting for the preflight
        self.budget_s = 3600.0
        self.pool = None

    # -- pool.Handler

    def init_message(self, proc) -> dict:
        return dict(self.init, scratch=str(proc.cwd / "scratch"))

    def ready(self, proc, reply: dict) -> None:
        if not reply.get("ok"):
            raise self.failure(f"a grading worker could not start: {reply.get('error')}")
        self.mark(f"worker {proc.index} ready")
        self.budget_s = from_json(WorkerReady, reply["ready"]).job_budget

    def budget(self) -> float:
        return self.budget_s

    def task_message(self, student: str) -> dict:
        from . import gradebook as gbmod

        if student == preflight.STUDENT:
            job = GradeJob(student, uid=self.next_uid(), preflight=True)     # the definition's source/
        else:
            job = GradeJob(student, folder=str(self.course / "submitted" / student / self.assignment),
                           state=gbmod.student_state(self.gb, self.assignment, student), uid=self.next_uid())
        return {"op": "grade", "job": to_json(job)}

    def answer(self, proc, student: str, reply: dict) -> bool:
        result = self._result(student, reply)
        if student == preflight.STUDENT:
            score, maximum, full = preflight.marks(result)
            if not full:
                raise self.failure(preflight.failure(self.course, self.assignment, result))
            self.summary.preflight = (score, maximum, time.monotonic() - proc.task.started)
            self.mark("preflight passed")
            self.pending = False
            held, self.held = self.held, []
            for hp, hresult in held:
                self._take(hresult)
                self.pool.release(hp)
            return True
        if self.pending:
            self.held.append((proc, result))     # its work is done: no deadline while it waits
            return False
        self._take(result)
        return True

    def lost(self, proc, student, why: str) -> None:
        if student is None:
            raise self.failure(f"a grading worker could not start ({why}); see {self.log_name}")
        if student == preflight.STUDENT:
            raise self.failure(preflight.failure(self.course, self.assignment,
                                                 StudentResult(student, ok=False, error=why)))
        self.summary.failed[student] = why
        self.progress.update(student, f"NOT GRADED ({why})")

    # --

    @staticmethod
    def _result(student: str, reply: dict) -> StudentResult:
        if not reply.get("ok") or "result" not in reply:
            return StudentResult(student, ok=False, error=str(reply.get("error") or "grading failed"))
        try:
            result = from_json(StudentResult, reply["result"])
        except ValueError as e:
            return StudentResult(student, ok=False, error=f"the worker's result could not be read ({e})")
        if result.student != student:
            return StudentResult(student, ok=False, error=f"the worker answered for {result.student!r}")
        return result

    def _take(self, result: StudentResult) -> None:
        from .merge import take

        with signals_deferred():       # a student's merge is whole or not at all
            take(result, self.gb, self.course, self.assignment, self.summary, self.rows, self.progress)
