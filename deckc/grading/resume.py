"""``deckc grade --resume``: which students a run that stopped early has already graded.

A student counts as graded when both things a merge writes exist: the gradebook has their
submission of the assignment (the merge is one transaction: it is there whole or not at all)
and reports/<assignment>/tests.csv has their rows (written after the merges, also when a run is
interrupted or loses its cluster's scheduler; after a SIGKILL of `deckc grade` it may lack the
last students, who are then graded again). Everyone else is graded: students never graded,
and those a run reported as not graded (nothing of theirs was merged).
"""
from __future__ import annotations

from pathlib import Path


def already_graded(gb, assignment: str, students: list[str], reports: Path) -> list[str]:
    """The students of `students` that --resume skips, in their order."""
    from .csv_reports import read_csv

    in_gradebook = {s.student.id for s in gb.assignment_submissions(assignment)}
    in_report = {r.get("student") for r in read_csv(reports / "tests.csv")}
    return [s for s in students if s in in_gradebook and s in in_report]
