#!/usr/bin/env python3
"""How fast, and in how much memory, does deckc refuse hostile specs?

Each spec of tests/hostile_specs.py is given to `deckc check` and to `deckc build` in a fresh
process; printed: seconds (median of --repeat), peak memory of the process (ru_maxrss), and as a
baseline in the same run the same command on the valid seed spec (`deckc check` lays the seed
out, so the baseline is what a user waits for anyway). Aim (issue 12): every refusal well under
2 s and under 200 MB, on a 2-core machine.

    python benchmarks/hostile_specs.py [--repeat 3] [--only NAME]
"""
from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from hostile_specs import CORPUS, make  # noqa: E402

PEAK = ("import resource, sys\n"
        "from deckc.console import run\n"
        "import atexit, os\n"
        "def peak():\n"
        "    print(f'PEAK_KB {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}', file=sys.stderr, flush=True)\n"
        "os_exit = os._exit\n"
        "os._exit = lambda code: (peak(), os_exit(code))\n"
        "try:\n    run()\nfinally:\n    peak()\n")


def measure(course: Path, argv: list[str], repeat: int) -> tuple[float, float, int, str]:
    times, peaks, code, err = [], [], 0, ""
    for _ in range(repeat):
        t0 = time.perf_counter()
        p = subprocess.run([sys.executable, "-c", PEAK, *argv], cwd=course, capture_output=True, text=True)
        times.append(time.perf_counter() - t0)
        peaks += [int(ln.split()[1]) for ln in p.stderr.splitlines() if ln.startswith("PEAK_KB")][:1]
        code, err = p.returncode, p.stderr
        shutil.rmtree(course / "out", ignore_errors=True)
    return statistics.median(times), max(peaks or [0]) / 1024, code, err


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--only", default="")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="deckc-hostile-") as tmp:
        course = Path(tmp)
        shutil.copytree(ROOT / "exercises", course / "exercises", ignore=shutil.ignore_patterns("__pycache__"))
        (course / "lesson").mkdir()
        spec = course / "lesson" / "spec.yaml"
        spec.write_bytes((ROOT / "lesson" / "the-sequence-problem.yaml").read_bytes())
        print(f"{'spec':32} {'bytes':>9}  {'check s':>8} {'MB':>5}  {'build s':>8} {'MB':>5}  exit")
        rows = [("(valid seed: baseline)", None)] + [(n, n) for n in CORPUS if not args.only or args.only in n]
        worst = 0.0
        for label, name in rows:
            if name is not None:
                spec.write_bytes(make(name))
            check = measure(course, ["check"], args.repeat)
            build = measure(course, ["build", "-o", "out", "-f", "pdf,exercises" if name else "charts"],
                            args.repeat)
            if name is not None:
                worst = max(worst, check[0], build[0])
            ok = "" if name is None or (check[2] == build[2] == 2) else "  NOT REFUSED"
            print(f"{label:32} {spec.stat().st_size:>9,}  {check[0]:8.2f} {check[1]:5.0f}  {build[0]:8.2f} "
                  f"{build[1]:5.0f}  {check[2]}/{build[2]}{ok}")
        print(f"slowest refusal: {worst:.2f}s (aim: well under 2 s)")


if __name__ == "__main__":
    main()
