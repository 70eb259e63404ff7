"""The preflight of ``deckc grade``: before any student, the reference solution (the course's
source notebooks) is graded as a pseudo-student by the same workers in the same jail. This module
judges that result: full marks, or the reason why not, in words a grader can act on.
"""
from __future__ import annotations

from pathlib import Path

from ..nbgrader import layout
from .records import StudentResult
from .report import _num
from .scoring import full_marks

STUDENT = "deckc-preflight-reference"     # the pseudo-student (never merged into the gradebook)


def marks(result: StudentResult) -> tuple[float, float, bool]:
    """(score, max, full marks on every part with a kernel result) of the reference solution."""
    return full_marks(result)


def failure(course: Path, assignment: str, result: StudentResult) -> str:
    """Why the reference solution did not get full marks, in words a grader can act on."""
    score, maximum, _ = marks(result)
    where = layout.source_dir(course, assignment)
    head = (f"preflight failed: the reference solution ({where}) "
            + (f"scored {_num(score)}/{_num(maximum)}" if result.ok else "could not be graded")
            + " in the grading jail, so no student was graded (nothing was written).")
    causes = []
    if result.diagnosis:
        causes.append(result.diagnosis)
    if not result.ok:
        causes.append(str(result.error or "grading failed"))
    for name, nb in sorted(result.notebooks.items()):
        if not nb.autograded and nb.kernel_error:
            causes.append(f"{name}: nbgrader could not run it: {nb.kernel_error}")
        lost = [f"{gid} ({g.verified_error or g.kernel_error or 'lost'}" + (f": {g.message}" if g.message else "") + ")"
                for gid, g in sorted(nb.grades.items())
                if g.final is None or g.final < g.max_score - 1e-9]
        if lost and nb.autograded:
            causes.append(f"{name}: parts without full marks: " + "; ".join(lost[:6])
                          + (f" and {len(lost) - 6} more" if len(lost) > 6 else ""))
    if not causes:
        causes.append("unknown; see the log")
    return head + "\ncause: " + "\ncause: ".join(dict.fromkeys(causes)) + (
        "\n(--no-preflight grades anyway; the students would get the same)")
