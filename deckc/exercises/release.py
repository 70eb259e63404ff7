"""nbgrader's generate_assignment, natively: release/<assignment>/ and the gradebook rows.

``nbgrader generate_assignment <a> --force`` in a subprocess costs ~2.5 s (importing nbgrader,
and on a new gradebook an ``alembic heads`` subprocess, ~85 SQLAlchemy commits). This module
produces exactly what it would, byte for byte, without importing nbgrader, SQLAlchemy or alembic:

- per source notebook (sorted by file name), nbgrader 0.9's GenerateAssignment preprocessor
  chain with default settings (nbgrader/converters/generate_assignment.py), re-done as steps
  ``step(nb, resources) -> (nb, resources)`` like steps.py: :data:`RELEASE_STEPS`;
- the notebook written as nbconvert's NotebookExporter and FilesWriter write it
  (``nbformat.writes`` + a trailing newline, UTF-8), then chmod 0o644 as nbgrader's
  set_permissions does; non-notebook files of source/<a>/ copied first, as init_assignment does;
- the gradebook rows SaveCells and init_assignment make, in one transaction (gradebook_db.py).

:func:`make_release` chooses, and says which in its result (``"release": "native" | "nbgrader"``,
with the reason, also logged): it runs nbgrader itself (course.generate_release) whenever the
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

import functools
import glob
import hashlib
import json
import logging
import os
import re
import shutil
import sqlite3
from pathlib import Path

import nbformat

from . import gradebook_db, nbgrader_info
from .course import generate_release, is_own_config
from .gradebook_db import NotNative
from .steps import run

log = logging.getLogger(__name__)


class Unexpected(NotNative):
    """The native steps failed on a notebook in a way no rule foresaw (nbgrader may refuse it too)."""

FORCE_NBGRADER = "DECKC_NBGRADER_RELEASE"
PERMISSIONS = 0o644  # GenerateAssignment.permissions: 644 unless CourseDirectory.groupshared
# CourseDirectory.ignore, plus the notebooks, which are converted rather than copied.
IGNORE = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", "*.ipynb"]
# ClearSolutions' defaults.
CODE_STUBS = {
    "python": "# YOUR CODE HERE\nraise NotImplementedError()",
    "R": "# YOUR CODE HERE\nfail()",
    "matlab": "% YOUR CODE HERE\nerror('No Answer Given!')",
    "octave": "% YOUR CODE HERE\nerror('No Answer Given!')",
    "sas": "/* YOUR CODE HERE */\n %notImplemented;",
    "java": "// YOUR CODE HERE",
}
TEXT_STUB = "YOUR ANSWER HERE"
SOLUTION = ("BEGIN SOLUTION", "END SOLUTION")
HIDDEN_TESTS = ("BEGIN HIDDEN TESTS", "END HIDDEN TESTS")
MARK_SCHEME = ("BEGIN MARK SCHEME", "END MARK SCHEME")
ATTACHMENT = re.compile(r"!\[.*\]\(attachment:.+?\)")


# --------------------------------------------------------------------------- nbgrader.utils


def is_grade(cell):
    return cell.metadata["nbgrader"].get("grade", False) if "nbgrader" in cell.metadata else False


def is_solution(cell):
    return cell.metadata["nbgrader"].get("solution", False) if "nbgrader" in cell.metadata else False


def is_task(cell):
    return cell.metadata["nbgrader"].get("task", False) if "nbgrader" in cell.metadata else False


def is_locked(cell):
    if "nbgrader" not in cell.metadata or is_solution(cell):
        return False
    return True if is_grade(cell) else cell.metadata["nbgrader"].get("locked", False)


def compute_checksum(cell) -> str:
    """nbgrader.utils.compute_checksum: source, type, flags, grade id and points."""
    m = hashlib.md5()
    m.update(cell.source.encode("utf-8"))
    m.update(cell.cell_type.encode("utf-8"))
    m.update(str(is_grade(cell)).encode("utf-8"))
    m.update(str(is_solution(cell)).encode("utf-8"))
    m.update(str(is_locked(cell)).encode("utf-8"))
    m.update(cell.metadata.nbgrader["grade_id"].encode("utf-8"))
    if is_grade(cell):
        m.update(str(float(cell.metadata.nbgrader["points"])).encode("utf-8"))
    return m.hexdigest()


# --------------------------------------------------------------------------- the preprocessors


def include_header_footer(nb, resources):
    """IncludeHeaderFooter: a no-op, as header and footer are "" unless configured, and
    make_release runs only with deckc's own config (which sets neither)."""
    return nb, resources


def instantiate_tests(nb, resources):
    """InstantiateTests: a no-op unless a code cell holds the AUTOTEST delimiter (then nbgrader
    starts a kernel and rewrites the cell). deckc's notebooks hold none; any that does goes to nbgrader."""
    if any(cell.cell_type == "code" and "AUTOTEST" in cell.source for cell in nb.cells):
        raise NotNative("a code cell holds an AUTOTEST directive")
    return nb, resources


def lock_cells(nb, resources):
    """LockCells with its defaults (solution, grade and read-only cells locked; not all cells)."""
    for cell in nb.cells:
        if is_solution(cell):
            cell.metadata["deletable"] = False
        elif is_grade(cell) or is_locked(cell):
            cell.metadata["deletable"] = False
            cell.metadata["editable"] = False
    return nb, resources


def clear_solutions(nb, resources):
    """ClearSolutions: solution regions become the stub; a solution cell without one becomes the stub."""
    language = nb.metadata.get("kernelspec", {}).get("language", "python")
    if language not in CODE_STUBS:
        raise NotNative(f"language {language!r} has no ClearSolutions.code_stub")
    resources["language"] = language
    for cell in nb.cells:
        stub = CODE_STUBS[language] if cell.cell_type == "code" else TEXT_STUB
        replaced = _replace_region(cell, SOLUTION, stub.split("\n"))
        if replaced and not is_solution(cell):
            raise NotNative("a solution region is in a non-solution cell")
        if is_solution(cell) and not replaced:
            cell.source = stub
    nb.metadata.pop("celltoolbar", None)
    return nb, resources


def clear_output(nb, resources):
    """ClearOutput (nbconvert's ClearOutputPreprocessor)."""
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
            if "metadata" in cell:
                for field in ("collapsed", "scrolled"):
                    cell.metadata.pop(field, None)
    return nb, resources


def check_cell_metadata(nb, resources):
    """CheckCellMetadata: nbgrader's v3 metadata rules; where nbgrader would fail, it runs itself."""
    validator = _metadata_validator()
    ids = set()
    for cell in nb.cells:
        if "nbgrader" not in cell.metadata:
            continue
        meta = cell.metadata["nbgrader"]
        version = meta.get("schema_version", 0)
        if version < 3 or version > 3 or not validator.is_valid(meta):
            raise NotNative(f"cell metadata does not validate: {dict(meta)}")
        grade, solution, locked, task = meta["grade"], meta["solution"], meta["locked"], meta.get("task", False)
        if (grade or solution or locked) and meta.get("grade_id", "") == "":
            raise NotNative("an nbgrader cell has no grade_id")
        if grade and "points" not in meta:
            raise NotNative(f"grade cell {meta['grade_id']!r} has no points")
        if not task and cell.cell_type == "markdown" and bool(grade) != bool(solution):
            raise NotNative("a markdown cell is a grade cell or a solution cell but not both")
        if task and cell.cell_type != "markdown":
            raise NotNative("a task cell is not markdown")
        if grade or solution or locked:
            if meta["grade_id"] in ids:
                raise NotNative(f"duplicate grade id {meta['grade_id']!r}")
            ids.add(meta["grade_id"])
    return nb, resources


def compute_checksums(nb, resources):
    """ComputeChecksums: checksum and cell type into the metadata of grade, solution and locked cells."""
    for cell in nb.cells:
        if is_grade(cell) or is_solution(cell) or is_locked(cell):
            cell.metadata.nbgrader["checksum"] = compute_checksum(cell)
            cell.metadata.nbgrader["cell_type"] = cell.cell_type
    return nb, resources


def save_cells(nb, resources):
    """SaveCells, minus the database: resources["gradebook"] = what the gradebook records.

    It sees the notebook after ClearSolutions and before ClearHiddenTests: the source cells keep
    the hidden tests, which autograde puts back.
    """
    name = resources["nbgrader"]["notebook"]
    if name == "":
        raise NotNative("empty notebook id")
    record = {"name": name, "kernelspec": json.dumps(nb.metadata.get("kernelspec", {})),
              "grade_cells": {}, "solution_cells": {}, "task_cells": {}, "source_cells": {}}
    for cell in nb.cells:
        flags = (is_grade(cell), is_solution(cell), is_task(cell), is_locked(cell))
        if any(flags) and cell.cell_type not in ("code", "markdown"):
            raise NotNative(f"nbgrader cell of type {cell.cell_type!r}")  # SQLAlchemy's Enum refuses it
        grade_id = cell.metadata.nbgrader["grade_id"] if any(flags) else None
        if is_grade(cell):
            record["grade_cells"][grade_id] = {"max_score": float(cell.metadata.nbgrader["points"]),
                                               "cell_type": cell.cell_type}
        if is_solution(cell):
            record["solution_cells"][grade_id] = {}
        if is_task(cell):
            record["task_cells"][grade_id] = {"max_score": float(cell.metadata.nbgrader["points"]),
                                              "cell_type": cell.cell_type}
        if any(flags):
            record["source_cells"][grade_id] = {
                "cell_type": cell.cell_type, "locked": is_locked(cell), "source": cell.source,
                "checksum": cell.metadata.nbgrader.get("checksum", None)}
    resources["gradebook"] = record
    return nb, resources


def clear_hidden_tests(nb, resources):
    """ClearHiddenTests: hidden test regions go (grade cells only)."""
    for cell in nb.cells:
        if _replace_region(cell, HIDDEN_TESTS, []) and not is_grade(cell):
            raise NotNative("a hidden test region is in a non-grade cell")
    nb.metadata.pop("celltoolbar", None)
    return nb, resources


def clear_mark_scheme(nb, resources):
    """ClearMarkScheme: mark scheme regions go (task cells only), refusing attachments in them."""
    for cell in nb.cells:
        if _replace_region(cell, MARK_SCHEME, [], refuse=ATTACHMENT) and not is_task(cell):
            raise NotNative("a mark scheme region is in a non-task cell")
    nb.metadata.pop("celltoolbar", None)
    return nb, resources


RELEASE_STEPS = (include_header_footer, instantiate_tests, lock_cells, clear_solutions, clear_output,
                 check_cell_metadata, compute_checksums, save_cells, clear_hidden_tests, clear_mark_scheme,
                 compute_checksums, check_cell_metadata)


def _replace_region(cell, markers, stub_lines, refuse=None) -> bool:
    """Replace each BEGIN..END region (marker lines included) by stub_lines, indented like BEGIN.

    nbgrader's line-by-line rules: a marker is anywhere in a line; nested or unclosed regions
    are errors. Returns whether a region was found.
    """
    begin, end = markers
    new_lines, inside, found = [], False, False
    for line in cell.source.split("\n"):
        if begin in line:
            if inside:
                raise NotNative(f"nested {begin!r}")
            inside = found = True
            indent = re.match(r"\s*", line).group(0)
            new_lines.extend(indent + stub for stub in stub_lines)
        elif end in line:
            inside = False
        elif refuse is not None and inside and refuse.search(line):
            raise NotNative(f"an attachment inside {begin!r}")
        elif not inside:
            new_lines.append(line)
    if inside:
        raise NotNative(f"{begin!r} without {end!r}")
    cell.source = "\n".join(new_lines)
    return found


@functools.lru_cache(maxsize=1)
def _metadata_validator():
    import jsonschema  # nbformat's dependency, already loaded by it

    schema = nbgrader_info.metadata_schema()
    return jsonschema.validators.validator_for(schema)(schema)


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
        nb, resources = run(RELEASE_STEPS, nb, {"nbgrader": {"notebook": name, "assignment": assignment}})
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
    return os.path.join(root, "source", ".", assignment)  # CourseDirectory.format_path, student "."


def release_dir(root: str, assignment: str) -> str:
    return os.path.join(root, "release", ".", assignment)


def make_release(course_dir: Path, assignment: str, course_id: str | None = None) -> dict:
    """release/<assignment>/ and the gradebook, natively when sure to match nbgrader, else by nbgrader.

    course_id (default: the assignment's name) is the one deckc's nbgrader_config.py names;
    why_not_native checks that the config is exactly that.
    Returns {"release": "native" | "nbgrader", "reason": why nbgrader ran (None if native), "path": release folder}.
    """
    course_dir = Path(course_dir)
    course_id = course_id or assignment
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
    if nbgrader_info.version() is None:
        from ..errors import BuildError

        raise BuildError(
            f"release of {assignment}: {reason}, so nbgrader's own generate_assignment must make it, and "
            "nbgrader is not installed: pip install 'deckc[grade]'")
    log.info("release of %s: nbgrader generate_assignment (%s)", assignment, reason)
    path = generate_release(course_dir, assignment)
    return {"release": "nbgrader", "reason": reason, "path": path}


def why_not_native(course_dir: Path, assignment: str, course_id: str | None = None) -> str | None:
    """Why the native release could differ from nbgrader's here; None if it cannot."""
    if os.environ.get(FORCE_NBGRADER, "") not in ("", "0"):
        return f"{FORCE_NBGRADER}={os.environ[FORCE_NBGRADER]}"
    version = nbgrader_info.version()
    if version is not None and not version.startswith("0.9."):
        return f"nbgrader {version} is not 0.9.x"
    if nbgrader_info.alembic_head() is None or nbgrader_info.metadata_schema() is None:
        return "nbgrader's alembic head or metadata schema cannot be read"
    extra = nbgrader_info.extra_config_files(course_dir)
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
    gradebook_db.save(Path(root) / "gradebook.db", course_id or assignment, assignment, [r for _, _, r in released],
                      nbgrader_info.alembic_head())
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
