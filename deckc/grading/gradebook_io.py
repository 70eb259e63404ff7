"""The gradebook in records: the adapter's plain data (deckc.nbgrader.gradebook speaks in
nbgrader's shapes) turned into grading's records and back, here and nowhere else.

Imports nbgrader (through the adapter): only grading processes load this module.
"""
from __future__ import annotations

from ..nbgrader import gradebook as adapter
from .records import ManualState, NotebookResult, Stored, StoredGrade, StoredNotebook, StudentResult


def student_state(gb, assignment: str, student: str) -> ManualState:
    """Manual scores, extra credit, manual comments and extension the real gradebook holds."""
    state = adapter.student_state(gb, assignment, student)
    if not state:
        return ManualState()
    grades = {nb: {gid: (manual, extra) for gid, (manual, extra) in gs.items()}
              for nb, gs in state.get("grades", {}).items()}
    return ManualState(state.get("extension"), grades, dict(state.get("comments", {})), known=True)


def apply_student_state(gb, assignment: str, student: str, state: ManualState) -> None:
    """The state into a worker's private gradebook (nothing if the real one had no submission)."""
    if state.known:
        adapter.apply_student_state(gb, assignment, student, {
            "extension": state.extension, "comments": state.comments,
            "grades": {nb: {gid: list(pair) for gid, pair in gs.items()} for nb, gs in state.grades.items()}})


def read_submission(gb, assignment: str, student: str) -> Stored:
    """What nbgrader's autograde stored for the student (in a worker's private gradebook)."""
    got = adapter.read_submission(gb, assignment, student)
    return Stored(got["timestamp"], {
        name: StoredNotebook({gid: StoredGrade(g["auto_score"], float(g["max_score"]), bool(g["needs_manual_grade"]))
                              for gid, g in nb["grades"].items()}, dict(nb["comments"]), nb["late_penalty"])
        for name, nb in got["notebooks"].items()})


def _scores(notebooks: dict[str, NotebookResult]) -> dict:
    return {name: {"late_penalty": nb.late_penalty, "comments": dict(nb.comments),
                   "grades": {gid: {"final": g.final} for gid, g in nb.grades.items()}}
            for name, nb in notebooks.items()}


def set_scores(gb, assignment: str, student: str, notebooks: dict[str, NotebookResult]) -> None:
    """Each grade's final auto score, the auto comments and late penalties (private gradebook)."""
    adapter.set_scores(gb, assignment, student, _scores(notebooks))


def merge_student(gb, assignment: str, student: str, result: StudentResult) -> None:
    """One student's result into the real gradebook, in one transaction (the adapter's rules)."""
    adapter.merge_student(gb, assignment, student, {"timestamp": result.timestamp,
                                                    "notebooks": _scores(result.notebooks)})
