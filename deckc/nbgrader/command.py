"""nbgrader's own command line, run in a subprocess (``nbgrader <args>``, cwd = the course folder).

deckc never imports nbgrader for this (~3.5 s), and nbgrader's global state stays out of the
calling process. :func:`generate_release` is nbgrader's generate_assignment, which release.py
runs whenever the native release cannot be sure to make the same.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from . import layout

# `python -m nbgrader`, minus 1.7 s of start-up: jsonschema builds an RFC 3987 grammar at import
# (via nbformat) for the optional "iri" string formats, which notebook schemas never use.
# Marking the module absent makes jsonschema skip those two format checks.
NBGRADER_MAIN = ("import sys; sys.modules['rfc3987_syntax'] = None; sys.argv[0] = 'nbgrader'; "
                 "from nbgrader.apps.nbgraderapp import main; sys.exit(main())")


def nbgrader(course_dir: Path, *args: str, timeout: float = 900, check: bool = True,
             env: dict | None = None) -> subprocess.CompletedProcess:
    """Run nbgrader's own command line (`nbgrader <args>`) in the course folder; raise with its log on failure."""
    cmd = [sys.executable, "-c", NBGRADER_MAIN, *args]
    full_env = dict(os.environ)
    full_env.setdefault("JUPYTER_PLATFORM_DIRS", "1")  # silences a jupyter_core deprecation notice
    full_env.update(env or {})
    # nbgrader runs `alembic heads` by name: in a venv that was never activated, the
    # interpreter's own scripts folder is not on PATH, so put it first.
    scripts = str(Path(sys.executable).parent)
    full_env["PATH"] = os.pathsep.join([scripts, full_env.get("PATH", os.defpath)])
    from ..signals import subprocess_options

    proc = subprocess.run(cmd, cwd=str(course_dir), capture_output=True, text=True, timeout=timeout,
                          env=full_env, **subprocess_options())     # dies with deckc, even after kill -9
    if check and proc.returncode != 0:
        raise RuntimeError(f"`nbgrader {' '.join(args)}` failed (exit {proc.returncode}) in {course_dir}:\n"
                           f"{proc.stdout}{proc.stderr}")
    return proc


def generate_release(course_dir: Path, assignment: str) -> Path:
    """Run nbgrader's generate_assignment (--force): release/<assignment>/ and the gradebook.

    Safe to re-run. Returns the release folder.
    """
    course_dir = Path(course_dir)
    nbgrader(course_dir, "generate_assignment", assignment, "--force")
    release = layout.release_dir(course_dir, assignment)
    if not release.is_dir():
        raise RuntimeError(f"nbgrader generate_assignment made no {release}")
    return release
