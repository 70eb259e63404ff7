"""What ``deckc grade`` tells the grader: the summary it prints and the pass rate per test."""
from __future__ import annotations

import csv
import statistics
from pathlib import Path

CSV_FIELDS = ["student", "notebook", "test", "points", "max_points", "result", "error_type",
              "kernel_points", "verified_points", "overridden", "message"]
RATE_FIELDS = ["notebook", "test", "max_points", "students", "passed", "partial", "failed", "not_submitted",
               "pass_rate", "mean_points", "failure_1", "failure_1_count", "failure_2", "failure_2_count",
               "failure_3", "failure_3_count"]
TOP_FAILURES = 3


def failure_text(message: str) -> str:
    """A failure message as the item analysis groups it: its first line, numbers kept (the
    hints quote no hidden values), at most 300 characters."""
    first = (message or "").strip().split("\n")[0].strip()
    return first[:297] + "..." if len(first) > 300 else first


def _num(x):
    if x is None:
        return ""
    x = float(x)
    return str(int(x)) if x.is_integer() else f"{x:g}"


def write_pass_rates(tests_csv: Path, path: Path) -> None:
    """Per test (notebook x grade cell), over every student in tests.csv: how many passed,
    partly passed, failed or did not hand the notebook in; the pass rate counts those who did."""
    with open(tests_csv, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    table: dict = {}
    for r in rows:
        t = table.setdefault((r["notebook"], r["test"]), {"max_points": r["max_points"], "students": 0, "passed": 0,
                                                          "partial": 0, "failed": 0, "not_submitted": 0,
                                                          "points": []})
        t["students"] += 1
        key = {"pass": "passed", "partial": "partial", "not submitted": "not_submitted"}.get(r["result"], "failed")
        t[key] += 1
        if r["result"] != "not submitted":
            t["points"].append(float(r["points"] or 0))
        if key in ("failed", "partial") and r.get("message"):
            counts = t.setdefault("messages", {})
            text = failure_text(r["message"])
            counts[text] = counts.get(text, 0) + 1
    out = []
    for (nb, test), t in sorted(table.items()):
        handed = t["students"] - t["not_submitted"]
        row = {"notebook": nb, "test": test, "max_points": t["max_points"], "students": t["students"],
               "passed": t["passed"], "partial": t["partial"], "failed": t["failed"],
               "not_submitted": t["not_submitted"],
               "pass_rate": f"{t['passed'] / handed:.3f}" if handed else "",
               "mean_points": f"{statistics.fmean(t['points']):.3f}" if t["points"] else ""}
        common = sorted(t.get("messages", {}).items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_FAILURES]
        for i, (text, count) in enumerate(common, start=1):
            row[f"failure_{i}"], row[f"failure_{i}_count"] = text, count
        out.append(row)
    from .csv_reports import write_csv
    write_csv(path, RATE_FIELDS, out, set(RATE_FIELDS) - {"notebook", "test"} - {f"failure_{i}" for i in (1, 2, 3)})


def format_summary(s) -> str:
    lines = []
    if s.intake is not None:
        lines.append(f"intake: {len(s.intake.added)} notebook(s) of {len(s.intake.students)} student(s) "
                     f"into submitted/; {len(s.intake.rejected)} rejected, {len(s.intake.ignored)} ignored")
        for name, why in s.intake.rejected:
            lines.append(f"  rejected {name!r}: {why}")
        for note in getattr(s.intake, "notes", []):
            lines.append(f"  note: {note}")
        late = getattr(s.intake, "late", [])
        if late:
            lines.append(f"late (marked by the LMS): {', '.join(late)}")
    resumed = getattr(s, "resumed", [])
    if resumed:
        lines.append(f"resume: {len(resumed)} student(s) already graded, skipped")
    n = len(s.graded) + len(s.failed)
    if not n:
        lines.append(f"nothing to grade: {'every student is already graded' if resumed else 'no submissions'} "
                     f"for {s.assignment!r}")
        return "\n".join(lines)
    lines.append(f"graded {len(s.graded)} of {n} submission(s) of {s.assignment!r} in {s.seconds:.1f} s "
                 f"({s.jobs} worker(s), isolation: {s.isolation}); gradebook {s.db_url}")
    if s.preflight is not None:
        lines.append(f"preflight: the reference solution scored {_num(s.preflight[0])}/{_num(s.preflight[1])} "
                     f"in the grading sandbox ({s.preflight[2]:.1f} s)")
    else:
        lines.append("preflight: skipped (--no-preflight)")
    if s.failed:
        lines.append(f"NOT GRADED: {len(s.failed)} (no score written; earlier grades kept) - "
                     + ", ".join(sorted(s.failed)))
        for student, why in sorted(s.failed.items()):
            lines.append(f"  {student}: {why}")
    empty = getattr(s, "empty", {})
    if empty:
        lines.append(f"empty submissions (graded 0, as nbgrader grades a missing notebook): {len(empty)} - "
                     + ", ".join(sorted(empty)))
        for student, why in sorted(empty.items()):
            lines.append(f"  {student}: {why}")
    for label, table in (("missing notebooks", s.missing), ("unchanged from the release", s.unchanged)):
        if table:
            lines.append(f"{label}: {sum(len(v) for v in table.values())} notebook(s) of {len(table)} student(s)")
            for student, names in sorted(table.items()):
                lines.append(f"  {student}: {', '.join(names)}")
    edited = getattr(s, "edited", {})
    if edited:
        lines.append(f"read-only cells edited (restored from the gradebook before grading): {len(edited)} student(s)")
        for student, notebooks in sorted(edited.items()):
            lines.append(f"  {student}: " + "; ".join(f"{nb}: {', '.join(cells)}" for nb, cells in notebooks.items()))
    if s.totals:
        maximum = max(m for _, m in s.totals.values()) or 1
        scores = sorted(v for v, _ in s.totals.values())
        mean = sum(scores) / len(scores)
        median = statistics.median(scores)
        lines.append(f"scores out of {_num(maximum)}: mean {mean:.1f}, median {_num(median)}, "
                     f"min {_num(scores[0])}, max {_num(scores[-1])}")
        buckets = [0] * 5
        for v in scores:
            buckets[min(4, int(5 * v / maximum))] += 1
        for i, count in enumerate(buckets):
            lo, hi = i * 20, (i + 1) * 20
            label = f"{lo:3d}-{hi}%" if i < 4 else f"{lo:3d}-100%"
            lines.append(f"  {label:>9} {'#' * count} {count}")
    if s.overrides:
        total = sum(len(v) for v in s.overrides.values())
        lines.append(f"out-of-kernel check corrected {total} part(s) of {len(s.overrides)} student(s): "
                     + ", ".join(sorted(s.overrides)))
    if s.rescued:
        total = sum(len(v) for v in s.rescued.values())
        lines.append(f"scored out of the kernel {total} part(s) of {len(s.rescued)} student(s) whose kernel died "
                     "or ran out of time: " + ", ".join(sorted(s.rescued)))
    from .csv_reports import summary_lines
    file_lines = summary_lines(getattr(s, "files", {}))
    if file_lines:
        lines.append("handed-in files not graded under their own name (see submissions.csv):")
        lines.extend(file_lines)
    for student, problems in sorted(s.feedback_problems.items()):
        lines.append(f"feedback of {student}: {'; '.join(problems)}")
    if s.reports:
        lines.append(f"reports: {s.reports['grades']} (nbgrader export), {s.reports['tests']} (per test), "
                     f"{s.reports['rates']} (pass rate per test), {s.reports['submissions']} (files), "
                     f"log {s.reports['log']}")
    return "\n".join(lines)
