"""The preflight of ``deckc grade``: before any student, the reference solution (the course's
source notebooks) is graded as a pseudo-student by the same workers in the same jail. This module
judges that result: full marks, or the reason why not, in words a grader can act on.
"""
from __future__ import annotations

from pathlib import Path

from ..nbgrader import layout
from .report import _num

STUDENT = "deckc-preflight-reference"     # the pseudo-student (never merged into the gradebook)


def marks(msg: dict) -> tuple[float, float, bool]:
    """(score, max, full marks on every part with a kernel result) of the reference solution."""
    if not msg.get("ok"):
        return 0.0, 0.0, False
    score = maximum = 0.0
    full = bool(msg.get("notebooks"))
    for nb in msg["notebooks"].values():
        full = full and nb.get("submitted") and nb.get("autograded")
        for g in nb["grades"].values():
            maximum += g["max"]
            score += g.get("final") or 0.0
            full = full and g.get("final") is not None and g["final"] >= g["max"] - 1e-9
    return score, maximum, bool(full)


def failure(course: Path, assignment: str, msg: dict) -> str:
    """Why the reference solution did not get full marks, in words a grader can act on."""
    score, maximum, _ = marks(msg)
    where = layout.source_dir(course, assignment)
    head = (f"preflight failed: the reference solution ({where}) "
            + (f"scored {_num(score)}/{_num(maximum)}" if msg.get("ok") else "could not be graded")
            + " in the grading jail, so no student was graded (nothing was written).")
    causes = []
    if msg.get("diagnosis"):
        causes.append(msg["diagnosis"])
    if not msg.get("ok"):
        causes.append(str(msg.get("error") or "grading failed"))
    for name, nb in sorted((msg.get("notebooks") or {}).items()):
        if not nb.get("autograded") and nb.get("kernel_error"):
            causes.append(f"{name}: nbgrader could not run it: {nb['kernel_error']}")
        lost = [f"{gid} ({g.get('verified_error') or g.get('kernel_error') or 'lost'}"
                + (f": {g['message']}" if g.get("message") else "") + ")"
                for gid, g in sorted(nb["grades"].items())
                if g.get("final") is None or g["final"] < g["max"] - 1e-9]
        if lost and nb.get("autograded"):
            causes.append(f"{name}: parts without full marks: " + "; ".join(lost[:6])
                          + (f" and {len(lost) - 6} more" if len(lost) > 6 else ""))
    if not causes:
        causes.append("unknown; see the log")
    return head + "\ncause: " + "\ncause: ".join(dict.fromkeys(causes)) + (
        "\n(--no-preflight grades anyway; the students would get the same)")
