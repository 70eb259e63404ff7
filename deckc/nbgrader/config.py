"""The course's nbgrader_config.py: the one deckc writes, and reading a course's config.

- :data:`CONFIG_TEMPLATE` / :func:`write_config`: deckc's config for a lesson's course folder;
  :func:`is_own_config` tells whether a course's config is exactly that one (then the native
  release changes nothing generate_assignment would, see release.py);
- :func:`load_config`: the course's config as nbgrader loads it (traitlets' PyFileConfigLoader),
  the one loader both the grading run and its workers use; :func:`course_settings` reads the
  gradebook URL and course id from it;
- :func:`extra_config_files`: config files nbgrader would load besides the course's own.

Writing and comparing need no nbgrader; load_config needs traitlets (the grade extra).
"""
from __future__ import annotations

import os
import re
from pathlib import Path

from . import cells, layout

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
        if "{hidden_begin}" in cell.get("source", ""):
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


def config_text(course_id: str, timeout: int = DEFAULT_TIMEOUT) -> str:
    return CONFIG_TEMPLATE.format(course_id=course_id, timeout=int(timeout), hidden_begin=cells.HIDDEN_TESTS[0])


def write_config(course_dir: Path, course_id: str, timeout: int = DEFAULT_TIMEOUT) -> Path:
    """Write course_dir/nbgrader_config.py (only if its text changed)."""
    path = layout.config_path(course_dir)
    text = config_text(course_id, timeout)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")
    return path


def is_own_config(course_dir: Path, course_id: str) -> bool:
    """Whether course_dir/nbgrader_config.py is exactly what write_config writes for course_id."""
    path = layout.config_path(course_dir)
    if not path.is_file():
        return False
    text = path.read_text(encoding="utf-8")
    timeout = re.search(r"^c\.Execute\.timeout = (\d+)$", text, re.M)
    return bool(timeout) and text == config_text(course_id, int(timeout.group(1)))




_COURSE_ID_LINE = re.compile(r"^c\.CourseDirectory\.course_id = '([^'\n]*)'$", re.M)


def written_course_id(course_dir: Path) -> str | None:
    """The course id a config deckc wrote names (write_config's line), or None (no config, or
    one deckc did not write)."""
    try:
        text = layout.config_path(course_dir).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    m = _COURSE_ID_LINE.search(text)
    return m.group(1) if m and "Written by deckc" in text else None


def load_config(course: Path):
    """The course's nbgrader_config.py as nbgrader loads it: a traitlets Config (empty if none)."""
    from traitlets.config import Config
    from traitlets.config.loader import PyFileConfigLoader

    config = Config()
    if layout.config_path(course).is_file():
        config.merge(PyFileConfigLoader(layout.CONFIG_FILE, path=str(course)).load_config())
    return config


def course_settings(course: Path, config=None) -> dict:
    """{"db_url", "course_id"} of a course: its config's, else nbgrader's defaults."""
    config = load_config(course) if config is None else config
    cd = config.get("CourseDirectory", {})
    return {"db_url": cd.get("db_url") or layout.default_db_url(course),
            "course_id": cd.get("course_id") or layout.DEFAULT_COURSE_ID}


CONFIG_NAMES = ("jupyter_config", "nbgrader_config")


def extra_config_files(course_dir: Path) -> list[Path]:
    """Config files `nbgrader` (run as command.nbgrader runs it) would load besides our own.

    nbgrader loads jupyter_config and nbgrader_config (.py and .json) from every Jupyter config
    folder, then nbgrader_config from the course folder (the cwd). deckc writes only
    course_dir/nbgrader_config.py; anything else may change what generate_assignment does.
    """
    from jupyter_core import paths

    saved = os.environ.get("JUPYTER_PLATFORM_DIRS")
    os.environ.setdefault("JUPYTER_PLATFORM_DIRS", "1")  # what command.nbgrader sets for nbgrader
    try:
        folders = [paths.jupyter_config_dir(), *paths.jupyter_config_path()]
    finally:
        if saved is None:
            os.environ.pop("JUPYTER_PLATFORM_DIRS", None)
    found = []
    for folder in [*folders, str(course_dir)]:
        for name in CONFIG_NAMES:
            for ext in (".py", ".json"):
                path = Path(folder) / (name + ext)
                if path.exists() and path != layout.config_path(course_dir):
                    found.append(path)
    return sorted(set(found))
