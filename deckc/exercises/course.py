"""The nbgrader course folder: nbgrader_config.py, and nbgrader's own generate_assignment.

Only generate_release runs nbgrader, in a subprocess (``python -m nbgrader``, cwd = the course
folder): deckc never imports nbgrader (~3.5 s), and nbgrader's global state stays out of the
calling process. build_course usually does its work natively instead (release.py), which
is_own_config lets it check: deckc's config changes nothing generate_assignment does but the
course id.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

DEFAULT_TIMEOUT = 30  # seconds per cell when autograding

CONFIG_TEMPLATE = '''\
# nbgrader configuration of the course {course_id!r}.
# Written by deckc: `deckc build` rewrites this file, and source/<a>/ and release/<a>/ of each
# assignment it builds (one per lesson with exercises, named after the lesson); it never touches
# submitted/, autograded/, feedback/ or the students and grades in gradebook.db.
#
#   source/<a>/    the instructor's notebooks (solutions, hidden tests)
#   release/<a>/   what students get: `nbgrader generate_assignment <a> --force`
# Grading: put submissions in submitted/<student>/<a>/ (or `nbgrader collect <a>`) and run
#   `nbgrader autograde <a>` then `nbgrader generate_feedback <a>` in this folder, or
#   `deckc grade .` for every assignment (`-a <a>` for one).
# JupyterHub's exchange: set c.Exchange.root (default /srv/nbgrader/exchange) in a config of
# your own, e.g. ~/.jupyter/nbgrader_config.py, not here: deckc build rewrites this file.
import os

from nbconvert.preprocessors import Preprocessor
from traitlets import Bool

c = get_config()  # noqa: F821 - nbgrader provides get_config when it loads this file
_here = os.path.dirname(os.path.abspath(__file__))

c.CourseDirectory.root = _here
c.CourseDirectory.course_id = {course_id!r}
c.CourseDirectory.db_url = "sqlite:///" + os.path.join(_here, "gradebook.db")

# Autograding gives every cell this many seconds. A cell that runs out (an endless loop) fails on
# its own and the rest of the notebook still runs: it costs that part only.
c.Execute.timeout = {timeout}
c.ExecutePreprocessor.timeout = {timeout}


class ShortHiddenTestErrors(Preprocessor):
    """In feedback, a failed test cell with a hidden part shows its error message only.

    Its traceback would quote grading code; the message says what was expected.
    """

    enabled = Bool(True)

    def preprocess_cell(self, cell, resources, index):
        if "BEGIN HIDDEN TESTS" in cell.get("source", ""):
            for output in cell.get("outputs", []):
                if output.get("output_type") == "error":
                    output["traceback"] = [output.get("ename", "Error") + ": " + output.get("evalue", "")]
        return cell, resources


# nbgrader puts hidden tests back into the autograded notebooks and, by default, into the
# feedback too (jupyter/nbgrader#917). The hidden tests hold the reference outputs: strip them.
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    ShortHiddenTestErrors,
    "nbgrader.preprocessors.ClearHiddenTests",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]
'''


def write_config(course_dir: Path, course_id: str, timeout: int = DEFAULT_TIMEOUT) -> Path:
    """Write course_dir/nbgrader_config.py (only if its text changed)."""
    path = Path(course_dir) / "nbgrader_config.py"
    text = CONFIG_TEMPLATE.format(course_id=course_id, timeout=int(timeout))
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")
    return path


def is_own_config(course_dir: Path, course_id: str) -> bool:
    """Whether course_dir/nbgrader_config.py is exactly what write_config writes for course_id."""
    path = Path(course_dir) / "nbgrader_config.py"
    if not path.is_file():
        return False
    text = path.read_text(encoding="utf-8")
    timeout = re.search(r"^c\.Execute\.timeout = (\d+)$", text, re.M)
    return bool(timeout) and text == CONFIG_TEMPLATE.format(course_id=course_id, timeout=int(timeout.group(1)))


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
    release = course_dir / "release" / assignment
    if not release.is_dir():
        raise RuntimeError(f"nbgrader generate_assignment made no {release}")
    return release
