#!/usr/bin/env python3
"""What each new block costs a build: the seed lesson built cold (deck only, a fresh process), and
the same lesson with extra slides of one feature appended, in the same run; printed as seconds
and as a ratio to the plain seed.

    python benchmarks/block_cost.py [--repeat 5]

Features: `math` (8 display formulas and 8 inline ones on 4 slides), `code` (4 slides with an
8-line Python listing each).
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
SEED = "the-sequence-problem"

FORMULAS = [r"h_t = \tanh(W_{xh} x_t + W_{hh} h_{t-1} + b_h)",
            r"\mathrm{softmax}\left(\frac{QK^\top}{\sqrt{d_k}}\right)V",
            r"\alpha_{ij} = \frac{\exp(e_{ij})}{\sum_{k=1}^{n} \exp(e_{ik})}",
            r"\frac{\partial L}{\partial h_1} = \prod_{t=2}^{T} \frac{\partial h_t}{\partial h_{t-1}}",
            r"W = \begin{pmatrix} w_{11} & w_{12} \\ w_{21} & w_{22} \end{pmatrix}",
            r"\hat{\mathbf{y}} = \sigma(\mathbf{W}\mathbf{x} + \mathbf{b})",
            r"\mathcal{L} = -\sum_{i} y_i \log \hat{y}_i",
            r"\lVert \nabla_\theta L \rVert \leq \gamma^{T}"]


def _math_slides() -> str:
    out = []
    for k in range(0, len(FORMULAS), 2):
        a, b = FORMULAS[k], FORMULAS[k + 1]
        out.append(f"""  - title: Formulas {k // 2 + 1}
    notes: Formulas.
    body:
      - text: 'Inline ${a}$ and ${b}$ in a sentence.'
      - math: '{a}'
      - math: '{b}'
""")
    return "".join(out)


LISTING = """def attention(Q, K, V, mask=None):
    d = Q.shape[-1]
    scores = Q @ K.T / np.sqrt(d)
    if mask is not None:
        scores = np.where(mask, scores, -1e9)
    w = np.exp(scores - scores.max(axis=-1, keepdims=True))
    w = w / w.sum(axis=-1, keepdims=True)
    return w @ V, w
"""


def _code_slides() -> str:
    body = "".join("            " + ln + "\n" for ln in LISTING.splitlines())
    return "".join(f"""  - title: Listing {k + 1}
    notes: Code.
    body:
      - code:
          lang: python
          highlight: [3]
          source: |
{body}""" for k in range(4))


FEATURES = {"math": _math_slides, "code": _code_slides}


def build_seconds(course: Path) -> float:
    out = course / "build"
    shutil.rmtree(out, ignore_errors=True)
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "deckc", "build", "-q", "--format", "pptx,pdf,charts", "-o", str(out)],
                          cwd=course, capture_output=True, text=True)
    took = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.exit(f"build failed in {course}:\n{proc.stderr}")
    return took


def make_course(where: Path, extra: str) -> Path:
    shutil.copytree(ROOT / "exercises", where / "exercises", ignore=shutil.ignore_patterns("__pycache__"))
    (where / "lesson").mkdir()
    text = (ROOT / "lesson" / f"{SEED}.yaml").read_text(encoding="utf-8")
    (where / "lesson" / f"{SEED}.yaml").write_text(text.rstrip("\n") + "\n" + extra, encoding="utf-8")
    return where


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="deckc-bench-") as tmp:
        tmp = Path(tmp)
        courses = {"seed": make_course(tmp / "seed", "")}
        for name, slides in FEATURES.items():
            courses[name] = make_course(tmp / name, slides())
        base = None
        print(f"{'lesson':28} {'seconds':>8} {'x seed':>7}")
        for name, course in courses.items():
            build_seconds(course)                       # warm the file cache
            took = statistics.median(build_seconds(course) for _ in range(args.repeat))
            base = base or took
            print(f"{name:28} {took:8.2f} {took / base:7.2f}")


if __name__ == "__main__":
    main()
