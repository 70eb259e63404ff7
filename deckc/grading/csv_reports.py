"""The CSV reports of ``deckc grade``, safe to open in a spreadsheet.

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is a formula to
Excel, LibreOffice and Google Sheets (``=HYPERLINK(...)`` in a student's exception message, a
student id like ``@SUM``). As OWASP advises (CSV injection), such a text cell is written with a
single quote in front, and the csv module quotes cells holding separators or quotes. Numeric
columns are left alone when the cell is a number (``-2`` is a number, not a formula), and
neutralised like text otherwise. Neutralising twice changes nothing (the quote is kept).

Files: ``tests.csv`` (per test cell), ``pass_rates.csv`` (report.py), ``submissions.csv`` (what
each handed-in file was graded as: matching.py) and nbgrader's own ``grades.csv`` export,
rewritten through the same rule. The summary deckc prints is report.py's.
"""
from __future__ import annotations

import csv
import math
from pathlib import Path

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
TESTS_NUMERIC = {"points", "max_points", "kernel_points", "verified_points"}
GRADES_NUMERIC = {"raw_score", "late_submission_penalty", "score", "max_score"}
GRADES_ORDER = ("assignment", "last_name", "first_name", "student_id")
SUBMISSIONS_FIELDS = ["student", "file", "notebook", "action", "note"]


def _is_number(text: str) -> bool:
    try:
        return math.isfinite(float(text)) and text.strip() == text
    except ValueError:
        return False


def neutralise(value, numeric: bool = False) -> str:
    """One CSV cell, never a formula (see the module docstring)."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_START) and not (numeric and _is_number(text)):
        return "'" + text
    return text


def safe_row(row: dict, numeric=()) -> dict:
    return {k: neutralise(v, k in numeric) for k, v in row.items()}


def write_csv(path: Path, fields: list, rows: list, numeric=()) -> None:
    """Write rows (dicts) atomically, every cell neutralised."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".part")
    with open(tmp, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=fields, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(safe_row(r, numeric) for r in rows)
    tmp.replace(path)


def read_csv(path: Path) -> list:
    if not path.is_file():
        return []
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def neutralise_file(path: Path, numeric=GRADES_NUMERIC, order=()) -> None:
    """Rewrite a CSV written by someone else (nbgrader's export) through the same rule; rows
    sorted by the columns `order` names, if any."""
    if not path.is_file():
        return
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        fields, rows = reader.fieldnames or [], list(reader)
    if order:
        rows.sort(key=lambda r: tuple(r.get(k) or "" for k in order))
    write_csv(path, fields, rows, numeric)


def write_submissions(path: Path, files: dict) -> None:
    """submissions.csv: this run's students replace their earlier rows; others are kept."""
    kept = [r for r in read_csv(path) if r.get("student") not in files]
    rows = kept + [dict(o, student=student) for student, outcomes in files.items() for o in outcomes]
    rows.sort(key=lambda r: (r.get("student", ""), r.get("file", "")))
    write_csv(path, SUBMISSIONS_FIELDS, rows)


def summary_lines(files: dict) -> list:
    """What the summary says about files that were not graded under their own name."""
    lines = []
    for student in sorted(files):
        for o in files[student]:
            if o["action"] == "renamed":
                lines.append(f"  {student}: {o['file']!r} graded as {o['notebook']}.ipynb")
            elif o["action"] in ("unmatched", "duplicate", "refused"):
                lines.append(f"  {student}: {o['file']!r} {o['action']}: {o['note']}")
    return lines
