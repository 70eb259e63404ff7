#!/usr/bin/env python3
"""How fast is `deckc build`, against what a user would otherwise pay for a PDF?

Everything is measured in this one run, on this machine: LibreOffice converting the seed's
PPTX to PDF is the baseline, and every deckc figure is printed as seconds and as a ratio
to it. Each deckc run is a fresh process (`python -m deckc ...`), so imports are counted.

    python benchmarks/build_speed.py [--repeat 3] [--lessons 11] [--skip-exercises]

The HTML lesson (issue 16) is timed alone (with and without the subset-font cache) and added
to the deck-only build. Aims (issue 5/6, 2 cores): cold deck-only build < 0.4x the conversion; full cold build with
exercises <= 1.0x; no-op rebuild < 0.15x; peak memory < 300 MB. Also: a one-slide edit rebuilt
by a fresh `deckc build` and by a running `deckc watch`, and a module of --lessons lessons.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED = "the-sequence-problem"
PEAK_RSS = ("import resource, sys\n"
            "from deckc.cli import main\n"          # main, not the console script: it would os._exit
            "try:\n    main(sys.argv[1:])\n"
            "except SystemExit:\n    pass\n"
            "r = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
            "c = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
            "print(f'PEAK_KB {r} {c}', file=sys.stderr)\n")


def run(cmd, cwd, env=None) -> tuple[float, subprocess.CompletedProcess]:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=env)
    took = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.exit(f"failed: {' '.join(map(str, cmd))}\n{proc.stdout}\n{proc.stderr}")
    return took, proc


def deckc(cwd: Path, *args: str, env: dict | None = None) -> float:
    return run([sys.executable, "-m", "deckc", "build", "-q", *args], cwd,
               env=None if env is None else {**os.environ, **env})[0]


def median_of(n: int, fn) -> float:
    return statistics.median(fn() for _ in range(n))


def make_course(where: Path, lessons: int = 1) -> Path:
    shutil.copytree(ROOT / "exercises", where / "exercises", ignore=shutil.ignore_patterns("__pycache__"))
    (where / "lesson").mkdir()
    text = (ROOT / "lesson" / f"{SEED}.yaml").read_text(encoding="utf-8")
    for i in range(lessons):
        lesson_id = SEED if lessons == 1 else f"{SEED}-{i + 1:02d}"
        body = text.replace(f"id: {SEED}", f"id: {lesson_id}")
        if lessons > 1:
            body = body.replace("number: 4", f"number: {i + 1}")
        (where / "lesson" / f"{lesson_id}.yaml").write_text(body, encoding="utf-8")
    return where


def libreoffice_seconds(pptx: Path, repeat: int) -> float | None:
    soffice = shutil.which("soffice")
    if not soffice:
        return None
    times = []
    with tempfile.TemporaryDirectory() as tmp:
        profile = Path(tmp, "profile").as_uri()
        cmd = [soffice, f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf", "--outdir", tmp,
               str(pptx)]
        run(cmd, tmp)   # first start creates the profile: not what a user pays every time
        for _ in range(repeat):
            times.append(run(cmd, tmp)[0])
    return statistics.median(times)


def _process_tree(pid: int) -> list[int]:
    pids, todo = [], [pid]
    while todo:
        p = todo.pop()
        pids.append(p)
        try:
            todo += [int(c) for c in Path(f"/proc/{p}/task/{p}/children").read_text().split()]
        except OSError:
            pass
    return pids


def _rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def peak_memory_mb(cwd: Path, *args: str) -> tuple[float, float | None]:
    """(largest single process, whole process tree) peak RSS of one build, in MB.

    A build runs its writers in forked processes, so the single largest process is not the whole
    story: the tree's total RSS is sampled from /proc every 2 ms while the build runs. Pages the
    writers still share with their parent count once per process there: an upper bound."""
    proc = subprocess.Popen([sys.executable, "-c", PEAK_RSS, "build", "-q", "--force", *args], cwd=cwd,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    tree_kb = 0 if Path("/proc/self/status").exists() else None
    while proc.poll() is None:
        if tree_kb is not None:
            tree_kb = max(tree_kb, sum(_rss_kb(p) for p in _process_tree(proc.pid)))
        time.sleep(0.002)
    stderr = proc.stderr.read()
    self_kb, children_kb = map(int, re.search(r"PEAK_KB (\d+) (\d+)", stderr).groups())
    return max(self_kb, children_kb) / 1024, (tree_kb / 1024 if tree_kb else None)


def watch_rebuild_seconds(course: Path, repeat: int) -> float:
    """Median of what `deckc watch` reports ("rebuilt in X s") for one-slide edits: the loop a
    lecturer runs all evening, in one long-lived process."""
    spec = course / "lesson" / f"{SEED}.yaml"
    original = spec.read_text(encoding="utf-8")
    proc = subprocess.Popen([sys.executable, "-m", "deckc", "watch", "--interval", "0.05", "--max-builds",
                             str(repeat)], cwd=course, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    took = []
    try:
        for line in proc.stderr:
            if line.startswith("watching") or line.startswith("rebuilt in"):
                if line.startswith("rebuilt in"):
                    took.append(float(re.search(r"rebuilt in ([\d.]+)s", line).group(1)))
                if len(took) == repeat:
                    break
                time.sleep(0.2)     # a save, some time after the last build
                spec.write_text(original.replace("Use the table as a recap",
                                                 f"Use the table (w{len(took)}) as a recap"), encoding="utf-8")
    finally:
        proc.wait(timeout=60)
        spec.write_text(original, encoding="utf-8")
    return statistics.median(took)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--lessons", type=int, default=11)
    ap.add_argument("--skip-exercises", action="store_true", help="leave out builds that run nbgrader")
    args = ap.parse_args()
    deck = "pptx,pdf,charts"
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        course = make_course(Path(tmp, "one"))
        cold_deck = median_of(args.repeat, lambda: deckc(course, "--force", "-f", deck))
        base = libreoffice_seconds(course / "build" / SEED / f"{SEED}.pptx", args.repeat)
        rows.append(("cold deck-only build (pptx+pdf+charts)", cold_deck, 0.4))
        # The HTML lesson: alone, without and with the subset-font cache, and added to the deck build.
        with tempfile.TemporaryDirectory() as fonts:
            rows.append(("cold html-only build, no font cache",
                         median_of(args.repeat, lambda: deckc(course, "--force", "-f", "html",
                                                              env={"DECKC_CACHE_DIR": "off"})), None))
            deckc(course, "--force", "-f", "html", env={"DECKC_CACHE_DIR": fonts})
            rows.append(("cold html-only build, fonts cached",
                         median_of(args.repeat, lambda: deckc(course, "--force", "-f", "html",
                                                              env={"DECKC_CACHE_DIR": fonts})), None))
            rows.append(("cold deck + html build, no font cache",
                         median_of(args.repeat, lambda: deckc(course, "--force", "-f", deck + ",html",
                                                              env={"DECKC_CACHE_DIR": "off"})), None))
        html_size = (course / "build" / SEED / f"{SEED}.html").stat().st_size
        if not args.skip_exercises:
            rows.append(("cold full build with exercises", median_of(args.repeat, lambda: deckc(course, "--force")),
                         1.0))
        deckc(course)
        rows.append(("no-op rebuild", median_of(args.repeat, lambda: deckc(course)), 0.15))
        spec = course / "lesson" / f"{SEED}.yaml"
        original = spec.read_text(encoding="utf-8")
        edits = iter(range(10_000))

        def one_slide_edit() -> float:
            spec.write_text(original.replace("Use the table as a recap", f"Use the table (v{next(edits)}) as a recap"),
                            encoding="utf-8")
            return deckc(course)
        rows.append(("one-slide edit, then build", median_of(args.repeat, one_slide_edit), None))
        spec.write_text(original, encoding="utf-8")
        rows.append(("one-slide edit under deckc watch", watch_rebuild_seconds(course, args.repeat), None))

        module = make_course(Path(tmp, "module"), args.lessons)
        rows.append((f"{args.lessons}-lesson module, deck-only, cold", deckc(module, "--force", "-f", deck), None))
        if not args.skip_exercises:
            rows.append((f"{args.lessons}-lesson module, full, cold", deckc(module, "--force"), None))
        peak, tree = peak_memory_mb(course, *([] if not args.skip_exercises else ["-f", deck]))

    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    if base is None:
        print("LibreOffice (soffice) not found: no baseline; install libreoffice-impress for ratios")
    else:
        print(f"baseline: LibreOffice PPTX -> PDF of the same deck: {base:.2f}s (median of {args.repeat})")
    print(f"{'measurement':44} {'seconds':>8} {'x LO':>7} {'aim':>7}")
    for name, secs, aim in rows:
        ratio = f"{secs / base:.2f}" if base else "-"
        verdict = "" if aim is None or base is None else ("ok" if secs / base <= aim else "MISSED")
        print(f"{name:44} {secs:8.2f} {ratio:>7} {('<' + str(aim)) if aim else '':>7} {verdict}")
    print(f"the HTML lesson: {html_size / 1024:.0f} KiB, one self-contained file")
    kind = "deck-only" if args.skip_exercises else "full"
    print(f"peak memory of a cold {kind} build (aim < 300 MB): largest process {peak:.0f} MB; "
          + (f"all its processes together at most {tree:.0f} MB" if tree else "process tree not measurable here"))


if __name__ == "__main__":
    main()
