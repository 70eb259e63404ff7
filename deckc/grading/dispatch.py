"""Grading through worker processes: the jobs, the preflight first, each result merged once.

`Grading` is what the local pool (pool.Handler) and the cluster backend (cluster.py) share:
jobs go out as records.GradeJob (with the student's manual state from the real gradebook);
results come back as records.StudentResult and are merged (merge.take) under deferred
signals, each student at most once. With the preflight on, the first job is the reference
solution; until it has full marks no result is merged: a result that arrives earlier is held
(a local worker holding it takes no new job; its scratch holds the result's folders); if the
reference loses anything, GradeFailure stops the run.
"""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from ..nbgrader import layout
from . import preflight
from .guard import signals_deferred
from .records import AssignmentDef, GradeJob, Sandbox, StudentResult, WorkerReady, from_json, to_json


class Grading:
    def __init__(self, definition: AssignmentDef, sandbox: Sandbox, course: Path, assignment: str, gb, opts,
                 summary, progress, next_uid, log, failure, mark):
        self.definition = definition
        self.init = {"op": "init", "definition": to_json(definition), "sandbox": to_json(sandbox)}
        self.course, self.assignment, self.gb, self.opts = course, assignment, gb, opts
        self.summary, self.progress, self.next_uid = summary, progress, next_uid
        self.log, self.failure, self.mark = log, failure, mark
        self.rows: dict = {}              # student -> tests.csv rows merged in this run
        self.merged: set = set()
        self.pending = bool(opts.preflight)
        self.held: list = []              # (token, result) waiting for the preflight
        self.budget_s = 3600.0
        self.pool = None

    def queue(self, students: list[str]) -> list[str]:
        return ([preflight.STUDENT] if self.opts.preflight else []) + list(students)

    def job(self, student: str) -> GradeJob:
        """A student's job, the submission as its folder (GradeJob.packed() for its bytes)."""
        from . import gradebook_io

        if student == preflight.STUDENT:
            return GradeJob(student, uid=self.next_uid(), preflight=True)     # the definition's source/
        return GradeJob(student, folder=str(layout.submitted_dir(self.course, student, self.assignment)),
                        state=gradebook_io.student_state(self.gb, self.assignment, student), uid=self.next_uid())

    def arrived(self, result: StudentResult, seconds: float, token=None, note: str = "") -> bool:
        """A result: judged (the preflight), merged, or held (False) until the preflight passed;
        `token`: the local worker that holds it (released then); `note`: where it was graded,
        for the log's line about its merge."""
        if result.student == preflight.STUDENT:
            score, maximum, full = preflight.marks(result)
            if not full:
                raise self.failure(preflight.failure(self.course, self.assignment, result))
            self.summary.preflight = (score, maximum, seconds)
            self.mark("preflight passed")
            self.pending = False
            held, self.held = self.held, []
            for tok, hresult, hnote in held:
                self.take(hresult, hnote)
                if tok is not None:
                    self.pool.release(tok)
            return True
        if self.pending:
            self.held.append((token, result, note))
            return False
        self.take(result, note)
        return True

    def take(self, result: StudentResult, note: str = "") -> None:
        from .merge import take

        if result.student in self.merged:
            self.log.write(f"deckc: a second result for {result.student} ({note or 'again'}) ignored\n".encode())
            return
        t0 = time.monotonic()
        with signals_deferred():       # a student's merge is whole or not at all
            take(result, self.gb, self.course, self.assignment, self.summary, self.rows, self.progress)
            self.merged.add(result.student)
            if os.environ.get("DECKC_GRADE_TIMINGS"):
                print(f"merge {result.student}: {time.monotonic() - t0:.4f} s", file=sys.stderr)
            if note:
                self.log.write(f"deckc: merged {result.student} ({note})\n".encode())
                self.log.flush()

    # -- pool.Handler (local worker processes)

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
        return {"op": "grade", "job": to_json(self.job(student))}

    def answer(self, proc, student: str, reply: dict) -> bool:
        return self.arrived(result_of(student, reply), time.monotonic() - proc.task.started, proc)

    def lost(self, proc, student, why: str) -> None:
        if student is None:
            raise self.failure(f"a grading worker could not start ({why}); see {self.log.name}")
        self.arrived(StudentResult(student, ok=False, error=why), 0.0)


def result_of(student: str, reply: dict) -> StudentResult:
    """A worker's reply to a grade message as the result for `student` (a broken reply: not graded)."""
    if not reply.get("ok") or "result" not in reply:
        return StudentResult(student, ok=False, error=str(reply.get("error") or "grading failed"))
    try:
        result = from_json(StudentResult, reply["result"])
    except ValueError as e:
        return StudentResult(student, ok=False, error=f"the worker's result could not be read ({e})")
    if result.student != student:
        return StudentResult(student, ok=False, error=f"the worker answered for {result.student!r}")
    return result
