"""What the grading worker knows about a submission besides its score: whether it could be graded
at all for reasons that are not the student's (and why, in words), and whether it is the release
handed back unchanged.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
# how jupyter_client (and fastkernel.py) say that a kernel died or hung before its first cell
KERNEL_START_FAILURES = ("Kernel died before replying to kernel_info", "Kernel didn't respond in")


def not_the_students_fault(kernel: dict, runner_silent: bool, scratch: Path, kill_others) -> str | None:
    """Why this submission cannot be graded for a reason that is not the student's code, or None.

    `kernel`: {notebook: records.KernelRun} of nbgrader's run. A kernel that died before its first
    cell (nothing of the student's ran yet), or a checking runner that sent not one event (it
    sends one before each step, `runner_silent`), is the grader's problem; a jail probe says
    what it is."""
    dead = sorted(name for name, k in kernel.items() if not k.ok and any(
        m in (k.error or "") for m in KERNEL_START_FAILURES))
    if not dead and not runner_silent:
        return None
    probe = probe_jail(scratch, kill_others)
    what = "kernel" if dead else "checker"
    if probe:
        return f"the jailed {what} cannot start: {probe}"
    if dead:
        return f"the jailed kernel cannot start ({', '.join(dead)}): {kernel[dead[0]].error}"
    return "the jailed checker cannot start (it sent nothing back)"


def probe_jail(scratch: Path, kill_others) -> str | None:
    """Start this Python in the jail (DECKC_JAIL of this process), as a kernel would be, and
    import what a kernel needs; the last line of what went wrong, or None if that works."""
    from .sandbox import die_with_parent

    where = scratch / "probe"
    shutil.rmtree(where, ignore_errors=True)
    where.mkdir()
    cmd = [sys.executable, "-I", "-S", str(HERE / "jail.py"), "--run", sys.executable, "-I", "-c",
           "import ipykernel_launcher, numpy"]
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "DECKC_JAIL")}
    try:
        r = subprocess.run(cmd, cwd=str(where), env=env, capture_output=True, timeout=120,
                           preexec_fn=die_with_parent)
    except (OSError, subprocess.SubprocessError) as e:
        return f"{type(e).__name__}: {e}"
    finally:
        kill_others()
        shutil.rmtree(where, ignore_errors=True)
    if r.returncode == 0:
        return None
    lines = [ln.strip() for ln in r.stderr.decode(errors="replace").splitlines() if ln.strip()]
    last = lines[-1] if lines else f"exit status {r.returncode}"
    return last[len("jail: "):] if last.startswith("jail: ") else last


def unchanged(release: Path, sub_dir: Path, submitted: list[str]) -> list[str]:
    """Handed-in notebooks whose solution cells are exactly the release's (nothing done)."""
    return [name for name in submitted if same_solutions(release / f"{name}.ipynb", sub_dir / f"{name}.ipynb")]


def same_solutions(release_nb: Path, path: Path) -> bool:
    """Whether the notebook file `path` has exactly the solution cells of `release_nb` (nothing
    done). False when either cannot be read: an unreadable notebook is graded (and fails) as usual."""
    import nbformat

    from ..nbgrader import cells

    def solutions(p):
        return cells.solutions(nbformat.read(p, as_version=4))

    try:
        return release_nb.is_file() and solutions(release_nb) == solutions(path)
    except Exception:  # noqa: BLE001
        return False
