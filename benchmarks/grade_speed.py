#!/usr/bin/env python3
"""How fast is `deckc grade`, against serial `nbgrader autograde` on the same submissions?

Everything is measured in this one run, on this machine. The course (rnn_step + attention +
the quick check) is built once and copied twice; N generated submissions (the zoo's correct and
wrong students, round robin; not the ones where deckc deliberately differs from nbgrader, like
a kernel killed at the top of a cell) go into both copies. Then, each as a fresh process:

1. serial:  `nbgrader autograde <assignment> --force` in copy A;
2. deckc:   `deckc grade --jobs J --no-feedback` in copy B (feedback is extra work nbgrader's
   autograde does not do; pass --feedback to include it).

It prints both times, the speed-up, deckc's own per-submission stage times (the out-of-kernel
check is deckc's extra work per submission; one kernel start is measured for comparison), and
checks that every student's score on every part is identical in the two gradebooks.

    python benchmarks/grade_speed.py [--students 20] [--jobs 2] [--feedback] [--keep DIR]

Aims (issue 4/6, 2 cores): speed-up >= 1.7x with --jobs 2; per-submission overhead close to
one kernel start.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

# Submissions whose grades deckc and nbgrader agree on by design (see deckc/grading/README notes
# in `deckc grade --help`): correct ones, and ones wrong in ordinary ways.
KINDS = ["reference", "no_tanh", "einsum", "mask_ignored", "float32", "rnn_transposed_whh", "quiz_wrong",
         "softmax_wrong_axis", "loops", "unstable_softmax", "no_sqrt", "always_equal", "warnings",
         "rnn_transposed_wxh", "edited_tests", "syntax_error", "crash_in_call"]
DECKC_GRADE = ("import sys; sys.argv[0] = 'deckc grade'; from deckc.grading.cli import grade; grade()")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--students", type=int, default=20)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--timeout", type=int, default=10, help="seconds per cell (both runs)")
    ap.add_argument("--feedback", action="store_true", help="let deckc write feedback too")
    ap.add_argument("--keep", type=Path, help="build in this folder and keep it")
    args = ap.parse_args()

    import nbformat
    from test_exercises_zoo import ASSIGNMENT, EXERCISES, QUIZ, ZOO, make_submission, parse_zoo

    from deckc.exercises import build_course
    from deckc.nbgrader.command import nbgrader

    where = Path(args.keep or tempfile.mkdtemp(prefix="deckc-grade-bench-"))
    if where.exists() and args.keep:
        shutil.rmtree(where)
    where.mkdir(parents=True, exist_ok=True)
    serial_course, deckc_course = where / "serial", where / "deckc"
    t0 = time.perf_counter()
    build_course(ASSIGNMENT, EXERCISES, ROOT / "exercises", serial_course, QUIZ, timeout=args.timeout)
    notebooks = {}
    for path in sorted((serial_course / "source" / ASSIGNMENT).glob("*.ipynb")):
        notebooks[path.stem] = (nbformat.read(path, as_version=4),
                                nbformat.read(serial_course / "release" / ASSIGNMENT / path.name, as_version=4))
    students = [f"s{i:03d}_{KINDS[i % len(KINDS)]}" for i in range(args.students)]
    for student in students:
        kind = student.split("_", 1)[1]
        make_submission(serial_course, student, parse_zoo(ZOO / f"{kind}.ipy"), notebooks)
    shutil.copytree(serial_course, deckc_course)
    print(f"built the course and {len(students)} submissions in {time.perf_counter() - t0:.1f} s ({where})")

    kernel = kernel_start_seconds()

    t0 = time.perf_counter()
    proc = nbgrader(serial_course, "autograde", ASSIGNMENT, "--force", check=False, timeout=3600)
    serial = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.exit(f"nbgrader autograde failed:\n{proc.stdout[-3000:]}{proc.stderr[-3000:]}")
    print(f"serial `nbgrader autograde`:        {serial:6.1f} s  ({serial / len(students):.2f} s per submission)")

    cmd = [sys.executable, "-c", DECKC_GRADE, str(deckc_course), "--jobs", str(args.jobs), "--quiet",
           "--timeout", str(args.timeout)] + ([] if args.feedback else ["--no-feedback"])
    env = dict(os.environ, DECKC_GRADE_TIMINGS="1")
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=3600)
    parallel = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.exit(f"deckc grade failed:\n{proc.stdout[-3000:]}{proc.stderr[-3000:]}")
    print(f"`deckc grade --jobs {args.jobs}`{' (feedback)' if args.feedback else ''}:"
          f"{' ' * (9 - len(str(args.jobs)) - (11 if args.feedback else 0))}{parallel:6.1f} s  "
          f"({parallel / len(students):.2f} s per submission)")
    print(f"speed-up: {serial / parallel:.2f}x with {args.jobs} workers on {os.cpu_count()} cores")

    stages = {"verify": [], "autograde": [], "feedback": [], "total": []}
    for m in re.finditer(r"timings \S+: ([\d.]+) s \{'verify': ([\d.]+), 'autograde': ([\d.]+), "
                         r"'feedback': ([\d.]+)\}", proc.stderr):
        for key, value in zip(("total", "verify", "autograde", "feedback"), m.groups()):
            stages[key].append(float(value))
    if stages["total"]:
        mean = {k: sum(v) / len(v) for k, v in stages.items()}
        print(f"deckc per submission (in a worker): {mean['total']:.2f} s = nbgrader autograde "
              f"{mean['autograde']:.2f} s + out-of-kernel check {mean['verify']:.2f} s + feedback "
              f"{mean['feedback']:.2f} s; one kernel start here: {kernel:.2f} s")
    startup = re.search(r"\[\s*([\d.]+) s\] worker \d ready", proc.stderr)
    if startup:
        print(f"deckc start-up (workers ready): {float(startup.group(1)):.1f} s")

    a, b = scores(serial_course), scores(deckc_course)
    if a != b:
        diff = sorted(s for s in set(a) | set(b) if a.get(s) != b.get(s))
        sys.exit(f"scores differ for {diff}: serial {[a.get(s) for s in diff]} vs deckc {[b.get(s) for s in diff]}")
    total = sum(sum(p.values()) for nbs in a.values() for p in nbs.values())
    print(f"identical scores: {len(a)} students x every part ({total:g} points in all)")
    if not args.keep:
        shutil.rmtree(where, ignore_errors=True)


def scores(course: Path) -> dict:
    from deckc.nbgrader.gradebook import Gradebook

    out = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for student in gb.students:
            try:
                sub = gb.find_submission(ASSIGNMENT_NAME, student.id)
            except Exception:  # noqa: BLE001
                continue
            out[student.id] = {nb.name: {g.name: g.score for g in nb.grades} for nb in sub.notebooks}
    return out


ASSIGNMENT_NAME = "rnn-vs-attention"


def kernel_start_seconds() -> float:
    """One Jupyter kernel start-to-ready and shutdown, as nbgrader pays per notebook."""
    code = ("import time; from jupyter_client import KernelManager\n"
            "t = time.perf_counter(); km = KernelManager(kernel_name='python3'); km.start_kernel()\n"
            "kc = km.client(); kc.start_channels(); kc.wait_for_ready(timeout=60)\n"
            "kc.stop_channels(); km.shutdown_kernel(now=True); print(time.perf_counter() - t)")
    times = []
    for _ in range(2):
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
        times.append(float(proc.stdout.strip().splitlines()[-1]))
    return min(times)


if __name__ == "__main__":
    main()
