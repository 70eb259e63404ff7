#!/usr/bin/env python3
"""How fast, and in how much memory, does deckc refuse hostile specs?

Each spec of tests/hostile_specs.py is given to `deckc check` and to `deckc build` in a fresh
process; printed: seconds (median of --repeat), peak memory of the process (ru_maxrss), the
ratio to the baseline measured in the same run (the same command on the valid seed spec: what a
user waits for anyway), and the bounded loader's own time in this process (read_spec: parse and
every bound, without interpreter start-up and imports). Aim (issue 12): every refusal well under
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


def loader_seconds(spec: Path, repeat: int) -> float:
    from deckc.diagnostics import Diagnostics
    from deckc.spec import loader

    times = []
    for _ in range(repeat):
        loader._PARSED.clear()
        t0 = time.perf_counter()
        loader.read_spec(spec, Diagnostics("spec.yaml"))
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


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
        print(f"{'spec':32} {'bytes':>9}  {'check s':>8} {'x seed':>6} {'MB':>5}  {'build s':>8} {'x seed':>6} "
              f"{'MB':>5}  {'loader s':>8}  exit")
        rows = [("(valid seed: baseline)", None)] + [(n, n) for n in CORPUS if not args.only or args.only in n]
        worst = worst_loader = 0.0
        base = (1.0, 1.0)
        for label, name in rows:
            if name is not None:
                spec.write_bytes(make(name))
            check = measure(course, ["check"], args.repeat)
            build = measure(course, ["build", "-o", "out", "-f", "pdf,exercises" if name else "charts"],
                            args.repeat)
            load = loader_seconds(spec, args.repeat)
            if name is None:
                base = (check[0], build[0])
            else:
                worst = max(worst, check[0], build[0])
                worst_loader = max(worst_loader, load)
            ok = "" if name is None or (check[2] == build[2] == 2) else "  NOT REFUSED"
            print(f"{label:32} {spec.stat().st_size:>9,}  {check[0]:8.2f} {check[0] / base[0]:6.2f} {check[1]:5.0f}  "
                  f"{build[0]:8.2f} {build[0] / base[1]:6.2f} {build[1]:5.0f}  {load:8.3f}  {check[2]}/{build[2]}{ok}")
        print(f"slowest refusal: {worst:.2f}s in a fresh process, {worst_loader:.3f}s in the loader "
              "(aim: well under 2 s)")


if __name__ == "__main__":
    main()
