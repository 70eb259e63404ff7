"""nbgrader's generate_assignment, natively: release/<assignment>/ and the gradebook rows.

``nbgrader generate_assignment <a> --force`` in a subprocess costs ~2.5 s (importing nbgrader,
and on a new gradebook an ``alembic heads`` subprocess, ~85 SQLAlchemy commits). This module
produces exactly what it would, byte for byte, without importing nbgrader, SQLAlchemy or alembic:

- per source notebook (sorted by file name), nbgrader 0.9's GenerateAssignment preprocessor
  chain with default settings (nbgrader/converters/generate_assignment.py), re-done as steps
  ``step(nb, resources) -> (nb, resources)``: preprocessors.RELEASE_STEPS;
- the notebook written as nbconvert's NotebookExporter and FilesWriter write it
  (``nbformat.writes`` + a trailing newline, UTF-8), then chmod 0o644 as nbgrader's
  set_permissions does; non-notebook files of source/<a>/ copied first, as init_assignment does;
- the gradebook rows SaveCells and init_assignment make, in one transaction (native_gradebook.py).

:func:`make_release` chooses, and says which in its result (``"release": "native" | "nbgrader"``,
with the reason, also logged): it runs nbgrader itself (command.generate_release) whenever the
native path cannot be sure of the same result:

- the environment variable ``DECKC_NBGRADER_RELEASE=1`` forces nbgrader;
- the installed nbgrader is not 0.9.x (or its alembic head or metadata schema cannot be read);
- nbgrader would load config deckc did not write (jupyter_config / nbgrader_config files in the
  Jupyter config folders, or a course nbgrader_config.py that is not deckc's);
- a notebook is one nbgrader would treat differently or refuse (AUTOTEST directives, bad
  nbgrader metadata, unbalanced markers, a kernel language without a code stub, ...): nbgrader
  then reports its own error;
- the gradebook exists and its tables are not nbgrader 0.9's, its alembic revision is not the
  head, or the assignment already has submissions; or SQLite cannot read it.

Nothing is written before the native path is sure: notebooks are processed in memory, the
gradebook is written in one transaction, then release/ is written.
"""
from __future__ import annotations

import glob
import logging
import os
import shutil
import sqlite3
from pathlib import Path

import nbformat

from . import installed, layout, native_gradebook
from .command import generate_release
from .config import extra_config_files, is_own_config
from .native_gradebook import NotNative
from .preprocessors import RELEASE_STEPS

log = logging.getLogger(__name__)


class Unexpected(NotNative):
    """The native steps failed on a notebook in a way no rule foresaw (nbgrader may refuse it too)."""

FORCE_NBGRADER = "DECKC_NBGRADER_RELEASE"
PERMISSIONS = 0o644  # GenerateAssignment.permissions: 644 unless CourseDirectory.groupshared
# CourseDirectory.ignore, plus the notebooks, which are converted rather than copied.
IGNORE = [".ipynb_checkpoints", "*.pyc", "__pycache__", layout.FEEDBACK, "*.ipynb"]


# --------------------------------------------------------------------------- one notebook


def read_notebook(path: str):
    """As NotebookExporter.from_filename reads it (then nbconvert normalises before preprocessing)."""
    with open(path, encoding="utf-8") as f:
        nb = nbformat.read(f, as_version=4)
    if hasattr(nbformat.validator, "normalize"):
        _, nb = nbformat.validator.normalize(nb)
    return nb


def release_notebook(path: str, assignment: str) -> tuple[str, dict]:
    """One source notebook -> (release notebook text, its gradebook record). Writes nothing."""
    name = _notebook_id(path)
    try:
        nb = read_notebook(path)
        resources = {"nbgrader": {"notebook": name, "assignment": assignment}}   # as nbgrader's converters set it
        for step in RELEASE_STEPS:
            nb, resources = step(nb, resources)
        nbformat.validate(nb, relax_add_props=True)  # nbconvert validates after each preprocessor
    except (KeyError, TypeError, ValueError, AttributeError, nbformat.ValidationError) as e:
        raise Unexpected(f"{name}: {type(e).__name__}: {e}") from e
    except NotNative as e:
        raise NotNative(f"{name}: {e}") from e
    text = nbformat.writes(nb, version=4)
    if not text.endswith("\n"):
        text += "\n"
    return text, resources["gradebook"]


def _notebook_id(path: str) -> str:
    # nbgrader's regexp "(?P<notebook_id>.*).ipynb" on a file name glob found as *.ipynb: the stem
    return os.path.basename(path)[:-len(".ipynb")]


# --------------------------------------------------------------------------- the assignment


def source_dir(root: str, assignment: str) -> str:
    return os.path.join(root, layout.SOURCE, ".", assignment)  # CourseDirectory.format_path, student "."


def release_dir(root: str, assignment: str) -> str:
    return os.path.join(root, layout.RELEASE, ".", assignment)


def make_release(course_dir: Path, assignment: str, course_id: str | None = None) -> dict:
    """release/<assignment>/ and the gradebook, natively when sure to match nbgrader, else by nbgrader.

    course_id (default: the assignment's name) is the one deckc's nbgrader_config.py names;
    why_not_native checks that the config is exactly that.
    Returns {"release": "native" | "nbgrader", "reason": why nbgrader ran (None if native), "path": release folder}.
    """
    course_dir = Path(course_dir)
    course_id = course_id or assignment
    gone = graded_notebooks_gone(course_dir, assignment)
    if gone:     # nbgrader would delete release/<a>/ first, then refuse: fail before either
        from ..errors import BuildError

        raise BuildError(
            f"release of {assignment}: the gradebook holds submissions of this assignment, and its notebook(s) "
            f"{', '.join(gone)} are no longer in the lesson; nbgrader cannot drop a notebook that was handed in. "
            "Put the exercise back in the lesson's exercises, or give the changed lesson a new id (a new assignment)")
    reason = why_not_native(course_dir, assignment, course_id)
    if reason is None:
        try:
            return native_release(course_dir, assignment, course_id)
        except Unexpected as e:          # a notebook the steps did not expect: say so, nbgrader decides
            reason = str(e)
            log.warning("release of %s: the native steps failed (%s); running nbgrader's generate_assignment",
                        assignment, reason)
        except NotNative as e:
            reason = str(e)
        except sqlite3.DatabaseError as e:  # rolled back: nbgrader gets the gradebook as it was
            reason = f"gradebook: {e}"
    if installed.version() is None:
        from ..errors import BuildError

        raise BuildError(
            f"release of {assignment}: {reason}, so nbgrader's own generate_assignment must make it, and "
            "nbgrader is not installed: pip install 'deckc[grade]'")
    log.info("release of %s: nbgrader generate_assignment (%s)", assignment, reason)
    path = generate_release(course_dir, assignment)
    return {"release": "nbgrader", "reason": reason, "path": path}


def graded_notebooks_gone(course_dir: Path, assignment: str, notebooks=None) -> list[str]:
    """Notebooks the gradebook has for `assignment` but source/ (or `notebooks`, the ids a build is
    about to write) no longer does, when the assignment has submissions (nbgrader's
    _clean_old_notebooks refuses exactly this); [] without a gradebook."""
    db = Path(layout.gradebook_path(os.path.abspath(course_dir)))
    if not db.is_file():
        return []
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as con:
            if not con.execute("SELECT 1 FROM submitted_assignment s JOIN assignment a ON s.assignment_id = a.id "
                               "WHERE a.name = ? LIMIT 1", (assignment,)).fetchone():
                return []
            known = [r[0] for r in con.execute("SELECT n.name FROM notebook n JOIN assignment a ON "
                                               "n.assignment_id = a.id WHERE a.name = ? ORDER BY n.name",
                                               (assignment,))]
    except sqlite3.DatabaseError:
        return []        # not a gradebook deckc can read: nbgrader decides, as before
    present = set(notebooks) if notebooks is not None else {
        _notebook_id(p) for p in glob.glob(os.path.join(source_dir(os.path.abspath(course_dir), assignment), "*.ipynb"))}
    return [name for name in known if name not in present]


def why_not_native(course_dir: Path, assignment: str, course_id: str | None = None) -> str | None:
    """Why the native release could differ from nbgrader's here; None if it cannot."""
    if os.environ.get(FORCE_NBGRADER, "") not in ("", "0"):
        return f"{FORCE_NBGRADER}={os.environ[FORCE_NBGRADER]}"
    version = installed.version()
    if version is not None and not version.startswith("0.9."):
        return f"nbgrader {version} is not 0.9.x"
    if installed.alembic_head() is None or installed.metadata_schema() is None:
        return "nbgrader's alembic head or metadata schema cannot be read"
    extra = extra_config_files(course_dir)
    if extra:
        return "nbgrader would load config deckc did not write: " + ", ".join(map(str, extra))
    if not is_own_config(course_dir, course_id or assignment):
        return "the course's nbgrader_config.py is not the one deckc writes"
    return None


def native_release(course_dir: Path, assignment: str, course_id: str | None = None) -> dict:
    """Notebooks first (pure), then the gradebook (one transaction), then the files."""
    root = os.path.abspath(course_dir)
    paths = sorted(glob.glob(os.path.join(source_dir(root, assignment), "*.ipynb")))
    if not paths:
        raise NotNative(f"no notebooks in source/{assignment}")
    released = [(_notebook_id(p), *release_notebook(p, assignment)) for p in paths]
    # The course id is CourseDirectory.course_id of deckc's config.
    native_gradebook.save(layout.gradebook_path(root), course_id or assignment, assignment,
                          [r for _, _, r in released], installed.alembic_head())
    path = write_release(root, assignment, [(name, text) for name, text, _ in released])
    log.info("release of %s: native", assignment)
    return {"release": "native", "reason": None, "path": path}


def write_release(root: str, assignment: str, notebooks: list[tuple[str, str]]) -> Path:
    """init_destination (--force), init_assignment's copies, FilesWriter, set_permissions."""
    dest = release_dir(root, assignment)
    if os.path.exists(os.path.normpath(dest)):
        shutil.rmtree(os.path.normpath(dest))
    copy_other_files(source_dir(root, assignment), dest)
    if not os.path.exists(dest):
        os.makedirs(dest, mode=0o755)  # FilesWriter._makedir
    for name, text in notebooks:
        with open(os.path.join(dest, name + ".ipynb"), "w", encoding="utf-8") as f:
            f.write(text)
    for folder, _, files in os.walk(os.path.normpath(dest)):
        for file in files:
            os.chmod(os.path.join(folder, file), PERMISSIONS)
    return Path(os.path.normpath(dest))


def copy_other_files(source: str, dest: str) -> None:
    """BaseConverter.init_assignment: every file of source/<a>/ but notebooks and ignored ones."""
    for filename in _find_all_files(source, IGNORE):
        path = os.path.join(dest, os.path.relpath(filename, source))
        if not os.path.exists(os.path.dirname(path)):
            os.makedirs(os.path.dirname(path))
        if os.path.exists(path):
            os.remove(path)
        shutil.copy(filename, path)


def _find_all_files(path: str, exclude: list[str]) -> list[str]:
    # nbgrader.utils.find_all_files, as is (it skips only the children of an ignored folder)
    files, to_skip = [], []
    for dirname, dirnames, filenames in os.walk(path):
        if _is_ignored(dirname, exclude) or dirname in to_skip:
            to_skip.extend(os.path.join(dirname, x) for x in dirnames)
            continue
        for filename in filenames:
            fullpath = os.path.join(dirname, filename)
            if not _is_ignored(fullpath, exclude):
                files.append(fullpath)
    return files


def _is_ignored(filename: str, ignore_globs: list[str]) -> bool:
    # nbgrader.utils.is_ignored: glob semantics (so "*" does not match dot files)
    dirname = os.path.dirname(filename)
    return any(filename in glob.glob(os.path.join(dirname, expr)) for expr in ignore_globs)
