"""The *merge* stage, in the main process (the only writer): one StudentResult into the course.

take(): the student's grades into the real gradebook (gradebook.merge_student: one
transaction), autograded/S/A and feedback/S/A moved (or unpacked) into the course, and what the
summary and tests.csv say of them, read from the result (its totals, its rows; nothing is
recomputed here). The caller holds the signals (guard.signals_deferred), so a merge is whole.
"""
from __future__ import annotations

import json
import os
import shutil
import sys
import warnings
from pathlib import Path

from ..nbgrader import layout
from .records import Override, StudentResult, to_json
from .scoring import fmt, test_rows


def place_outputs(result: StudentResult, course: Path, assignment: str) -> None:
    """autograded/ and feedback/ of the student: moved from the worker's scratch (same machine)
    or written from the result's packed files; stale feedback of an earlier grading removed."""
    for kind, folder in ((layout.AUTOGRADED, result.autograded_dir), (layout.FEEDBACK, result.feedback_dir)):
        dest = layout.student_dir(course, kind, result.student) / assignment
        packed = (result.outputs or {}).get(kind)
        if (folder and Path(folder).is_dir()) or packed is not None:
            if dest.exists():
                shutil.rmtree(dest)
            dest.parent.mkdir(parents=True, exist_ok=True)
            if packed is None:
                shutil.move(folder, dest)
                continue
            dest.mkdir()
            for rel, data in packed.items():
                path = dest / rel
                if ".." in Path(rel).parts or Path(rel).is_absolute():
                    continue
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)
        elif kind == layout.FEEDBACK and dest.exists():
            shutil.rmtree(dest)     # stale feedback of an earlier grading


def take(result: StudentResult, gb, course: Path, assignment: str, summary, rows: dict, progress) -> None:
    """Merge one result (see the module docstring); `rows`: student -> tests.csv rows of this run."""
    from . import gradebook_io

    student = result.student
    if result.files is not None:
        summary.files[student] = [to_json(o) for o in result.files]
    if not result.ok:
        summary.failed[student] = result.error or "grading failed"
        progress.update(student, f"NOT GRADED ({summary.failed[student]})")
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")      # SQLAlchemy warnings from inside nbgrader.api
        gradebook_io.merge_student(gb, assignment, student, result)
    if os.environ.get("DECKC_GRADE_TIMINGS"):
        # one JSON record a line: benchmarks/grade_speed.py reads it back as a StageTimes
        print(f"timings {student}: {result.seconds:.4f} s {json.dumps(to_json(result.timings))} "
              f"cpu {json.dumps(to_json(result.cpu))}", file=sys.stderr)
    place_outputs(result, course, assignment)
    rows[student] = test_rows(result)
    summary.graded.append(student)
    missing = sorted(name for name, nb in result.notebooks.items() if not nb.submitted)
    if result.empty:
        summary.empty[student] = result.empty
    elif missing:
        summary.missing[student] = missing
    if result.unchanged:
        summary.unchanged[student] = sorted(result.unchanged)
    if result.edited:
        summary.edited[student] = {nb: list(cells) for nb, cells in sorted(result.edited.items())}
    summary.totals[student] = (result.score, result.max_score)
    overridden, rescued = result.parts(Override.CORRECTED), result.parts(Override.RESCUED)
    if overridden:
        summary.overrides[student] = overridden
    if rescued:
        summary.rescued[student] = rescued
    if result.feedback_problems:
        summary.feedback_problems[student] = list(result.feedback_problems)
    note = (f"{fmt(result.score)}/{fmt(result.max_score)}" + (f", {len(overridden)} corrected" if overridden else "")
            + (f", {len(rescued)} scored without a kernel result" if rescued else ""))
    progress.update(student, note)


def write_tests_csv(path: Path, rows: dict) -> None:
    """Per-test results: this run's students replace their earlier rows; others are kept."""
    from .csv_reports import TESTS_NUMERIC, read_csv, write_csv
    from .report import CSV_FIELDS, _num

    def cells(r) -> dict:
        return {"student": r.student, "notebook": r.notebook, "test": r.test, "points": _num(r.points),
                "max_points": _num(r.max_points), "result": r.result, "error_type": r.error_type,
                "kernel_points": _num(r.kernel_points), "verified_points": _num(r.verified_points),
                "overridden": r.overridden.value, "message": r.message}

    kept = [r for r in read_csv(path) if r.get("student") not in rows]
    all_rows = kept + [cells(r) for rs in rows.values() for r in rs]
    all_rows.sort(key=lambda r: (r["student"], r["notebook"]))
    write_csv(path, CSV_FIELDS, all_rows, TESTS_NUMERIC)      # no cell is a spreadsheet formula
