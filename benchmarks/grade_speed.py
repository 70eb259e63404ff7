#!/usr/bin/env python3
"""How fast is `deckc grade`, locally and on a Dask cluster, against serial `nbgrader autograde`?

Everything is measured in this one run, on this machine. The course (rnn_step + attention +
the quick check) is built once and copied; N generated submissions (the zoo's correct and
wrong students, round robin; not the ones where deckc deliberately differs from nbgrader, like
a kernel killed at the top of a cell) go into every copy. Then, each as a fresh process:

1. serial:  `nbgrader autograde <assignment> --force` (the baseline);
2. jobs:    `deckc grade --jobs J --no-feedback` (feedback is extra work nbgrader's autograde
   does not do; pass --feedback to include it);
3. cluster: `deckc grade --cluster local:J --no-feedback` (a Dask LocalCluster of J worker
   processes; skipped without deckc[cluster] or with --no-cluster).

It prints each time and its ratio to the baseline, the cluster's ratio to `--jobs`, deckc's
seconds per submission split as each worker measured it (stagetimes.py: kernel start/stop,
student code with the in-kernel tests, the out-of-kernel check, the private gradebook, feedback,
the rest), the worker's CPU per submission, the merge in the main process per student, and
the merge rate (students per second) into SQLite and, when DECKC_TEST_PG_URL is set, PostgreSQL. Every student's score
on every part must be identical in all gradebooks.

    python benchmarks/grade_speed.py [--students 200] [--jobs 2] [--feedback] [--no-cluster]
                                     [--no-serial] [--merges 300] [--keep DIR]

Aims (issue 18, 2 cores): `--jobs 2` >= 2.5x serial nbgrader; the local cluster within 15 % of
`--jobs 2`. Machines shared with other work give noisy figures: compare ratios of one run.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

# Submissions whose grades deckc and nbgrader agree on by design (see deckc/grading/README notes
# in `deckc grade --help`): correct ones, and ones wrong in ordinary ways.
KINDS = ["reference", "no_tanh", "einsum", "mask_ignored", "float32", "rnn_transposed_whh", "quiz_wrong",
         "softmax_wrong_axis", "loops", "unstable_softmax", "no_sqrt", "always_equal", "warnings",
         "rnn_transposed_wxh", "edited_tests", "syntax_error", "crash_in_call"]
DECKC_GRADE = ("import sys; sys.argv[0] = 'deckc grade'; from deckc.grading.cli import grade; grade()")
ASSIGNMENT_NAME = "rnn-vs-attention"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--students", type=int, default=200)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--timeout", type=int, default=10, help="seconds per cell (every run)")
    ap.add_argument("--feedback", action="store_true", help="let deckc write feedback too")
    ap.add_argument("--no-cluster", action="store_true", help="skip `deckc grade --cluster local:J`")
    ap.add_argument("--no-serial", action="store_true", help="skip serial nbgrader (ratios to --jobs only)")
    ap.add_argument("--merges", type=int, default=300, help="students merged per gradebook for the merge rate")
    ap.add_argument("--merge-only", action="store_true", help="only the merge rates (no grading runs)")
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
    base = where / "base"
    t0 = time.perf_counter()
    build_course(ASSIGNMENT, EXERCISES, ROOT / "exercises", base, QUIZ, timeout=args.timeout)
    notebooks = {}
    for path in sorted((base / "source" / ASSIGNMENT).glob("*.ipynb")):
        notebooks[path.stem] = (nbformat.read(path, as_version=4),
                                nbformat.read(base / "release" / ASSIGNMENT / path.name, as_version=4))
    students = [f"s{i:03d}_{KINDS[i % len(KINDS)]}" for i in range(args.students)]
    handed_in = 0
    for student in students:
        kind = student.split("_", 1)[1]
        handed_in += len(make_submission(base, student, parse_zoo(ZOO / f"{kind}.ipy"), notebooks))
    per_sub_notebooks = handed_in / len(students)
    cluster_ok = not args.no_cluster and _has_distributed()
    runs = (["serial"] if not args.no_serial else []) + ["jobs"] + (["cluster"] if cluster_ok else [])
    if args.merge_only:
        runs = []
    for name in runs:
        shutil.copytree(base, where / name)
    print(f"built the course and {len(students)} submissions ({per_sub_notebooks:.2f} notebooks each) in "
          f"{time.perf_counter() - t0:.1f} s ({where}); {os.cpu_count()} cores, load average "
          f"{os.getloadavg()[0]:.1f} (other work on the machine makes every figure noisy)")

    kernel = kernel_start_seconds()
    seconds, stderr = {}, {}
    if "serial" in runs:
        t0 = time.perf_counter()
        proc = nbgrader(where / "serial", "autograde", ASSIGNMENT, "--force", check=False, timeout=36000)
        seconds["serial"] = time.perf_counter() - t0
        if proc.returncode != 0:
            sys.exit(f"nbgrader autograde failed:\n{proc.stdout[-3000:]}{proc.stderr[-3000:]}")
    for name, flag in (("jobs", ["--jobs", str(args.jobs)]), ("cluster", ["--cluster", f"local:{args.jobs}"])):
        if name not in runs:
            continue
        cmd = [sys.executable, "-c", DECKC_GRADE, str(where / name), *flag, "--quiet",
               "--timeout", str(args.timeout)] + ([] if args.feedback else ["--no-feedback"])
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, env=dict(os.environ, DECKC_GRADE_TIMINGS="1"),
                              timeout=36000)
        seconds[name] = time.perf_counter() - t0
        if proc.returncode != 0:
            sys.exit(f"deckc grade {' '.join(flag)} failed:\n{proc.stdout[-3000:]}{proc.stderr[-3000:]}")
        stderr[name] = proc.stderr

    n = len(students)
    label = {"serial": "serial `nbgrader autograde`", "jobs": f"`deckc grade --jobs {args.jobs}`",
             "cluster": f"`deckc grade --cluster local:{args.jobs}`"}
    for name in runs:
        ratio = f"  {seconds['serial'] / seconds[name]:.2f}x serial" if "serial" in seconds and name != "serial" else ""
        print(f"{label[name]:<36} {seconds[name]:7.1f} s  ({seconds[name] / n:.2f} s per submission){ratio}")
    if "serial" in seconds:
        print(f"aim: --jobs {args.jobs} >= 2.5x serial: {seconds['serial'] / seconds['jobs']:.2f}x")
    if "cluster" in seconds:
        print(f"aim: cluster within 15 % of --jobs {args.jobs}: cluster takes "
              f"{seconds['cluster'] / seconds['jobs']:.2f}x the time of --jobs")

    for name in ("jobs", "cluster"):
        if name in stderr:
            split = stage_split(stderr[name])
            if split:
                print(f"{label[name]} per submission, in a worker: " + split)
            merges = [float(m) for m in re.findall(r"^merge \S+: ([\d.]+) s$", stderr[name], flags=re.M)]
            if merges:
                print(f"{label[name]} merge in the main process (gradebook + folders): {statistics.mean(merges):.3f} s "
                      f"per student ({1 / statistics.mean(merges):.0f} students/s)")
    print(f"one jailed-less kernel start here: {kernel:.2f} s")
    for name in ("jobs", "cluster"):
        startup = re.search(r"\[\s*([\d.]+) s\] (?:worker \d ready|course sent)", stderr.get(name, ""))
        if startup:
            print(f"{label[name]} start-up (workers ready / course sent): {float(startup.group(1)):.1f} s")

    books = {name: scores(where / name) for name in runs}
    first = books[runs[0]] if runs else {}
    for name in runs[1:]:
        if books[name] != first:
            diff = sorted(s for s in set(first) | set(books[name]) if first.get(s) != books[name].get(s))
            sys.exit(f"scores differ for {diff}: {runs[0]} {[first.get(s) for s in diff]} vs {name} "
                     f"{[books[name].get(s) for s in diff]}")
    total = sum(sum(p.values()) for nbs in first.values() for p in nbs.values())
    if runs:
        print(f"identical scores in {len(runs)} gradebooks: {len(first)} students x every part ({total:g} points)")

    pg = os.environ.get("DECKC_TEST_PG_URL")
    for folders in (None, "moved", "packed"):
        what = {None: "gradebook alone", "moved": "+ folders moved", "packed": "+ folders unpacked"}[folders]
        rate = merge_rate(base, "sqlite:///" + str(where / f"merge-{folders}.db"), args.merges, folders)
        print(f"merge rate, SQLite, {what}: {rate:.0f} students/s")
        if pg:
            print(f"merge rate, PostgreSQL, {what}: {merge_rate_pg(base, pg, args.merges, folders):.0f} students/s")
    if not pg:
        print("merge rate, PostgreSQL: not measured (set DECKC_TEST_PG_URL)")
    if not args.keep:
        shutil.rmtree(where, ignore_errors=True)


def _has_distributed() -> bool:
    import importlib.util
    return importlib.util.find_spec("distributed") is not None


def stage_split(stderr: str) -> str:
    """Mean seconds per submission by stage, as each worker measured them (the StageTimes of the
    `timings S: T s {...} cpu {...}` lines of DECKC_GRADE_TIMINGS=1), and the worker's CPU."""
    from deckc.grading.records import from_json
    from deckc.grading.stagetimes import CpuTimes, StageTimes

    found = [(float(total), from_json(StageTimes, json.loads(times)), json.loads(cpu)) for total, times, cpu in
             re.findall(r"^timings \S+: ([\d.]+) s (\{.*?\}) cpu (\{.*?\})$", stderr, flags=re.M)]
    if not found:
        return ""
    mean = {f.name: statistics.mean(getattr(t, f.name) for _, t, _ in found) for f in dataclasses.fields(StageTimes)}
    total = statistics.mean(s for s, _, _ in found)
    cpu = statistics.mean(from_json(CpuTimes, c).worker for _, _, c in found)
    return (f"{total:.2f} s = kernel start/stop {mean['kernel']:.2f} s + student code and in-kernel tests "
            f"{mean['student_code']:.2f} s + out-of-kernel check {mean['check']:.2f} s + private gradebook "
            f"{mean['gradebook']:.2f} s + feedback {mean['feedback']:.2f} s + other {mean['other']:.2f} s "
            f"(measured, {len(found)} submissions; worker CPU {cpu:.3f} s)")


def merge_rate(course: Path, url: str, count: int, folders: str | None = None) -> float:
    """Students per second through merge.take, the main process's work per student (gradebook,
    tests.csv rows, summary), with full results of the assignment's real definition; `folders`:
    also autograded/ and feedback/ placed, "moved" from a scratch folder as the local pool's, or
    "packed" (bytes in the result, unpacked) as a cluster's. Their files: the release notebooks,
    and each as nbconvert's HTML for the feedback."""
    from deckc.grading import merge
    from deckc.grading.guard import signals_deferred
    from deckc.grading.records import GradeRow, NotebookResult, StudentResult
    from deckc.grading.run import Summary
    from deckc.nbgrader import gradebook as gbmod

    with gbmod.open_gradebook("sqlite:///" + str(course / "gradebook.db"), "default_course") as src:
        defs = gbmod.definitions(src, ASSIGNMENT_NAME)
        with gbmod.open_gradebook(url, "default_course") as gb:
            if not gbmod.has_assignment(gb, ASSIGNMENT_NAME):
                gbmod.copy_assignment(src, gb, ASSIGNMENT_NAME)
    notebooks = {nb: NotebookResult(nb, submitted=True, autograded=True, late_penalty=0.0,
                                    grades={g: GradeRow(g, float(mx), float(mx)) for g, (mx, _) in d["grades"].items()},
                                    comments={c: "" for c in d.get("solutions", [])}) for nb, d in defs.items()}
    packed = _output_files(course) if folders else None
    target = Path(tempfile.mkdtemp(prefix="deckc-merge-bench-", dir=course.parent))
    summary, rows = Summary(ASSIGNMENT_NAME, url), {}

    class Quiet:
        def update(self, student, note):
            pass

    def result(student: str) -> StudentResult:
        if folders != "moved":
            return StudentResult(student, ok=True, notebooks=notebooks, outputs=packed)
        dirs = {}
        for kind, files in packed.items():                      # a worker's scratch on the same disk
            dirs[kind] = target / "scratch" / student / kind
            for rel, data in files.items():
                (dirs[kind] / rel).parent.mkdir(parents=True, exist_ok=True)
                (dirs[kind] / rel).write_bytes(data)
        return StudentResult(student, ok=True, notebooks=notebooks, autograded_dir=str(dirs["autograded"]),
                             feedback_dir=str(dirs["feedback"]))

    results = [result(f"m{i:05d}") for i in range(count)]
    try:
        with gbmod.open_gradebook(url, "default_course") as gb:
            t0 = time.perf_counter()
            for r in results:
                with signals_deferred():
                    merge.take(r, gb, target, ASSIGNMENT_NAME, summary, rows, Quiet())
            return count / (time.perf_counter() - t0)
    finally:
        shutil.rmtree(target, ignore_errors=True)


def _output_files(course: Path) -> dict:
    """autograded/S/A and feedback/S/A of a full submission: the release notebooks, and their HTML."""
    import nbformat
    from nbconvert import HTMLExporter

    release = course / "release" / ASSIGNMENT_NAME
    autograded = {p.name: p.read_bytes() for p in sorted(release.glob("*.ipynb"))}
    exporter = HTMLExporter()
    feedback = {f"{Path(name).stem}.html": exporter.from_notebook_node(nbformat.reads(data.decode(), 4))[0].encode()
                for name, data in autograded.items()}
    return {"autograded": autograded, "feedback": feedback}


def merge_rate_pg(course: Path, url: str, count: int, folders: str | None = None) -> float:
    """merge_rate into a schema of its own on the PostgreSQL server, dropped afterwards."""
    import psycopg

    from deckc.grading.run import normalize_db_url

    schema = f"deckc_bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        scoped = f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"
        return merge_rate(course, normalize_db_url(scoped), count, folders)
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


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


def kernel_start_seconds() -> float:
    """One Jupyter kernel start-to-ready and shutdown (outside the jail), as nbgrader pays per notebook."""
    code = ("import time; from jupyter_client import KernelManager\n"
            "t = time.perf_counter(); km = KernelManager(kernel_name='python3'); km.start_kernel()\n"
            "kc = km.client(); kc.start_channels(); kc.wait_for_ready(timeout=60)\n"
            "kc.stop_channels(); km.shutdown_kernel(now=True); print(time.perf_counter() - t)")
    times = []
    for _ in range(3):
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
        times.append(float(proc.stdout.strip().splitlines()[-1]))
    return statistics.median(times)


if __name__ == "__main__":
    main()
