"""Where a submission's seconds go in its worker: each stage timed where it happens.

``Stopwatch`` charges the time since its last switch to the stage that was running; exactly one
stage runs at a time (``OTHER`` when no other is), so a stage entered inside another stops the
outer one's clock and the stages add up to the submission's whole time, nothing counted twice.
It costs two ``time.monotonic()`` calls per switch. ``StageTimes`` is the record a
``StudentResult`` carries (``DECKC_GRADE_TIMINGS=1`` prints it; benchmarks/grade_speed.py sums it).
"""
from __future__ import annotations

import enum
import time
from contextlib import contextmanager
from dataclasses import dataclass, fields


@dataclass(frozen=True)
class StageTimes:
    """Seconds of one submission in its worker, by stage; they add up to StudentResult.seconds."""
    kernel: float = 0.0          # starting kernels (a fork of the zygote with the fork server), waiting
                                 # until they answer, stopping them; the next notebook's pre-start too
    student_code: float = 0.0    # the notebooks' cells in the kernel, the in-kernel tests among them
    check: float = 0.0           # the out-of-kernel check (checking.record_and_replay, its runners)
    gradebook: float = 0.0       # the private gradebook: nbgrader's reads and writes during autograde, deckc's
    feedback: float = 0.0        # generate_feedback, sanitised and checked
    other: float = 0.0           # intake, matching, nbgrader's notebook conversion, cleaning up, ...

    @property
    def total(self) -> float:
        return sum(getattr(self, f.name) for f in fields(self))


@dataclass(frozen=True)
class CpuTimes:
    """CPU seconds (user + system) one submission cost in its worker."""
    worker: float = 0.0          # the grading worker process itself (nbgrader, the gradebook, the check's driver)
    children: float = 0.0        # the processes it reaped meanwhile (kernels' launchers, runners)


class Stage(enum.Enum):
    KERNEL = "kernel"
    STUDENT_CODE = "student_code"
    CHECK = "check"
    GRADEBOOK = "gradebook"
    FEEDBACK = "feedback"
    OTHER = "other"


class Stopwatch:
    def __init__(self, started: float | None = None):
        self._spent = dict.fromkeys(Stage, 0.0)
        self._current = Stage.OTHER
        self._mark = time.monotonic() if started is None else started

    def _switch(self, stage: Stage) -> Stage:
        now = time.monotonic()
        self._spent[self._current] += now - self._mark
        previous, self._current, self._mark = self._current, stage, now
        return previous

    @contextmanager
    def stage(self, stage: Stage):
        """Charge what runs inside to `stage` (and not to the stage around it)."""
        previous = self._switch(stage)
        try:
            yield
        finally:
            self._switch(previous)

    def times(self) -> StageTimes:
        """The seconds so far, by stage (the running stage charged up to now)."""
        self._switch(self._current)
        return StageTimes(**{stage.value: round(spent, 4) for stage, spent in self._spent.items()})
