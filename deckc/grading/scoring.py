"""The score policy of ``deckc grade``: pure functions over records, no kernel, no gradebook.

- ``score_notebook``: what nbgrader's kernel run stored, combined with the out-of-kernel
  check's verdicts. The verdict is authoritative: where it exists it is the final score, and
  where it differs from the kernel's a correction note goes to the auto comment of the
  solution cell before the grade cell (``Override.CORRECTED``; ``Override.RESCUED`` when the
  kernel gave no result at all: it died or ran out of time).
- ``totals``: a student's score: the finals, minus each notebook's late penalty (nbgrader's
  own, computed in the worker's gradebook), at least 0; and the maximum.
- ``test_rows``: tests.csv's rows of one student, in notebook order.
- ``full_marks``: the preflight's rule (the reference solution must lose nothing).
"""
from __future__ import annotations

from .records import GradeRow, KernelRun, Layout, NotebookResult, Override, StoredNotebook, StudentResult, TestRow

EPS = 1e-9


def fmt(x) -> str:
    """A score as the notes and reports print it: 3, 2.5, '-' for none."""
    if x is None:
        return "-"
    x = float(x)
    return str(int(x)) if x.is_integer() else f"{x:g}"


def correction_note(grade_id: str, kernel: KernelRun | None, kernel_score: float | None, max_score: float,
                    verdict) -> str:
    why = (f"kernel: {kernel.error}" if kernel and not kernel.ok else
           f"kernel scored {fmt(kernel_score)}/{fmt(max_score)}")
    detail = f" ({verdict.error_type}: {verdict.message})" if not verdict.passed else ""
    return (f"deckc: {grade_id}: {why}; the out-of-kernel check scored {fmt(verdict.score)}/{fmt(max_score)}"
            f"{detail}. Auto score set to {fmt(verdict.score)}.")


def score_notebook(name: str, stored: StoredNotebook, submitted: bool, kernel: KernelRun | None,
                   verdicts: dict | None, layout: Layout, refused: str = "") -> NotebookResult:
    """One notebook's grade rows. `verdicts`: {grade id: verify.Verdict} of the check (None: not
    checked); `kernel`: None if nbgrader did not run it (not handed in)."""
    kernel_ok = bool(kernel and kernel.ok)
    rows, notes = {}, {}
    for gid, g in stored.grades.items():
        kernel_score = g.auto_score if kernel_ok or not submitted else None
        row = GradeRow(gid, g.max_score, final=kernel_score, kernel_score=kernel_score,
                       kernel_error=kernel.cells.get(gid, "") if kernel else "", index=layout.index.get(gid, 10_000))
        verdict = verdicts.get(gid) if verdicts else None
        if submitted and verdict is not None and gid in layout.graded:
            override = Override.NO
            if kernel_score is None or abs(float(kernel_score) - verdict.score) > EPS:
                override = Override.CORRECTED if kernel_score is not None else Override.RESCUED
                target = layout.note_to.get(gid)
                if target:
                    notes.setdefault(target, []).append(
                        correction_note(gid, kernel, kernel_score, g.max_score, verdict))
            row = GradeRow(gid, g.max_score, final=verdict.score, kernel_score=kernel_score,
                           kernel_error=row.kernel_error, verified=verdict.passed, verified_score=verdict.score,
                           verified_error=verdict.error_type, message=verdict.message, override=override,
                           index=row.index)
        rows[gid] = row
    comments = dict(stored.comments)
    for target, lines in notes.items():
        if target in comments:
            base = comments[target]
            comments[target] = "\n".join(([base] if base else []) + lines)
    return NotebookResult(name, submitted=submitted, autograded=kernel_ok, grades=rows, comments=comments,
                          late_penalty=stored.late_penalty, kernel_error=kernel.error if kernel else None,
                          refused=refused)


def totals(notebooks: dict[str, NotebookResult]) -> tuple[float, float]:
    """(score, maximum): finals minus late penalties, at least 0."""
    score = maximum = 0.0
    for nb in notebooks.values():
        score -= nb.late_penalty or 0.0
        for g in nb.grades.values():
            score += g.final or 0.0
            maximum += g.max_score
    return max(score, 0.0), maximum


def outcome(nb: NotebookResult, g: GradeRow) -> str:
    """tests.csv's `result` of one grade cell."""
    if nb.refused:
        return "refused"
    if not nb.submitted:
        return "not submitted"
    if g.final is None:
        return "needs manual grading"
    return "pass" if g.final >= g.max_score - EPS else ("partial" if g.final > 0 else "fail")


def test_rows(result: StudentResult) -> list[TestRow]:
    rows = []
    for name, nb in sorted(result.notebooks.items()):
        for g in sorted(nb.grades.values(), key=lambda g: (g.index, g.grade_id)):
            verdict = outcome(nb, g)
            error = g.verified_error or g.kernel_error or ("" if nb.autograded or not nb.submitted else "KernelDied")
            rows.append(TestRow(result.student, name, g.grade_id, g.final, g.max_score, verdict,
                                "" if verdict == "pass" else error, g.kernel_score, g.verified_score, g.override,
                                nb.refused or g.message or (f"empty submission: {result.empty}"
                                                            if result.empty and not nb.submitted else "")))
    return rows


def full_marks(result: StudentResult) -> tuple[float, float, bool]:
    """(score, max, every part of every notebook autograded and at full marks): the preflight."""
    if not result.ok:
        return 0.0, 0.0, False
    score = maximum = 0.0
    full = bool(result.notebooks)
    for nb in result.notebooks.values():
        full = full and nb.submitted and nb.autograded
        for g in nb.grades.values():
            maximum += g.max_score
            score += g.final or 0.0
            full = full and g.final is not None and g.final >= g.max_score - EPS
    return score, maximum, bool(full)
