"""nbgrader's cells: the cell metadata of schema 3, its region markers, read and written here only.

An nbgrader cell carries ``metadata["nbgrader"]`` (grade, solution, locked, task, grade_id,
points, schema_version; checksum and cell_type once released). Its source may hold regions
between marker lines: a solution (cleared in the release), hidden tests (cleared in the release
and, by deckc, in the feedback) and a mark scheme. The predicates follow nbgrader.utils
(is_grade, is_solution, is_locked, compute_checksum), so deckc classifies a cell as nbgrader does.

Works on nbformat NotebookNodes and on plain dicts of a notebook's JSON (a student's notebook is
read as JSON before nbformat may refuse it); metadata that is not a mapping counts as none.
Imports nothing but the standard library.
"""
from __future__ import annotations

import hashlib
import re

KEY = "nbgrader"
SCHEMA_VERSION = 3

SOLUTION = ("BEGIN SOLUTION", "END SOLUTION")
HIDDEN_TESTS = ("BEGIN HIDDEN TESTS", "END HIDDEN TESTS")
MARK_SCHEME = ("BEGIN MARK SCHEME", "END MARK SCHEME")
# deckc writes each marker as a Python comment line of its own.
SOLUTION_BEGIN, SOLUTION_END = (f"### {m}" for m in SOLUTION)
HIDDEN_BEGIN, HIDDEN_END = (f"### {m}" for m in HIDDEN_TESTS)

# deckc's cell roles (deckc_metadata turns each into nbgrader's flags): a text cell, setup code
# the student runs, the student's solution, a test (grade) cell.
ROLES = ROLE_TEXT, ROLE_SETUP, ROLE_SOLUTION, ROLE_TEST = ("text", "setup", "solution", "test")

_BEGIN, _END = re.escape(HIDDEN_BEGIN), re.escape(HIDDEN_END)
_HIDDEN_REGION = re.compile(rf"^[ \t]*{_BEGIN}.*?^[ \t]*{_END}[ \t]*\n?", re.S | re.M)
_HIDDEN_BODY = re.compile(rf"{_BEGIN}(.*?){_END}", re.S)


# --------------------------------------------------------------------------- reading


def metadata(cell) -> dict:
    """The cell's nbgrader metadata, or {} (none, or not a mapping)."""
    meta = cell.get("metadata") if isinstance(cell, dict) else None
    meta = meta.get(KEY) if isinstance(meta, dict) else None
    return meta if isinstance(meta, dict) else {}


def has_metadata(cell) -> bool:
    meta = cell.get("metadata") if isinstance(cell, dict) else None
    return isinstance(meta, dict) and KEY in meta


def grade_id(cell) -> str | None:
    return metadata(cell).get("grade_id")


def points(cell):
    return metadata(cell).get("points")


# As nbgrader.utils returns them: the stored value, not a bool (its checksum hashes str(value)).
def is_grade(cell):
    return metadata(cell).get("grade", False)


def is_solution(cell):
    return metadata(cell).get("solution", False)


def is_task(cell):
    return metadata(cell).get("task", False)


def is_locked(cell):
    """nbgrader.utils.is_locked: grade cells are locked, solution cells never."""
    if not has_metadata(cell) or is_solution(cell):
        return False
    return True if is_grade(cell) else metadata(cell).get("locked", False)


def is_test(cell) -> bool:
    """An autograded test cell: a grade cell the student does not write."""
    return is_grade(cell) and not is_solution(cell)


def is_read_only(cell) -> bool:
    """A cell autograde restores from the gradebook (locked or test, not a solution, with an id)."""
    meta = metadata(cell)
    return bool((meta.get("locked") or meta.get("grade")) and not meta.get("solution") and meta.get("grade_id"))


def recorded_checksum(cell) -> str | None:
    return metadata(cell).get("checksum")


def notebook_of(resources: dict) -> str | None:
    """The notebook an nbgrader converter is processing, from its preprocessors' resources."""
    return (resources.get(KEY) or {}).get("notebook")


def solutions(nb) -> dict:
    """{grade_id: source} of a notebook's solution cells."""
    return {grade_id(c): c.source for c in nb.cells if is_solution(c)}


def grade_positions(cells) -> dict:
    """{grade_id: index in cells} of the grade cells, in notebook order."""
    return {grade_id(c): i for i, c in enumerate(cells) if is_grade(c)}


def solution_before(cells) -> dict:
    """{grade cell id: id of the nearest solution cell above it} (where a correction note goes)."""
    last, before = None, {}
    for c in cells:
        if is_solution(c):
            last = grade_id(c)
        elif is_grade(c) and last:
            before[grade_id(c)] = last
    return before


# --------------------------------------------------------------------------- writing


def deckc_metadata(role: str, grade_id: str, points=None) -> dict:
    """The nbgrader metadata deckc gives a cell of one of its ROLES."""
    if role not in ROLES:
        raise ValueError(f"unknown cell role {role!r}")
    meta = {"grade": role == ROLE_TEST, "grade_id": grade_id, "locked": role in (ROLE_TEXT, ROLE_SETUP, ROLE_TEST),
            "schema_version": SCHEMA_VERSION, "solution": role == ROLE_SOLUTION, "task": False}
    if role == ROLE_TEST:
        meta["points"] = points
    return meta


def set_metadata(cell, meta: dict) -> None:
    cell.metadata[KEY] = meta


def only_nbgrader_metadata(cell) -> dict:
    """The cell's metadata reduced to its nbgrader entry (what deckc's source notebooks keep)."""
    return {KEY: cell.metadata[KEY]}


def compute_checksum(cell) -> str:
    """nbgrader.utils.compute_checksum: source, type, flags, grade id and points."""
    m = hashlib.md5()
    m.update(cell.source.encode("utf-8"))
    m.update(cell.cell_type.encode("utf-8"))
    m.update(str(is_grade(cell)).encode("utf-8"))
    m.update(str(is_solution(cell)).encode("utf-8"))
    m.update(str(is_locked(cell)).encode("utf-8"))
    m.update(metadata(cell)["grade_id"].encode("utf-8"))
    if is_grade(cell):
        m.update(str(float(metadata(cell)["points"])).encode("utf-8"))
    return m.hexdigest()


def set_checksum(cell) -> None:
    """ComputeChecksums for one cell: its checksum and cell type into its metadata."""
    cell.metadata[KEY]["checksum"] = compute_checksum(cell)
    cell.metadata[KEY]["cell_type"] = cell.cell_type


# --------------------------------------------------------------------------- regions


def solution_region(code: str) -> str:
    return f"{SOLUTION_BEGIN}\n{code}\n{SOLUTION_END}"


def has_solution_region(source: str) -> bool:
    return SOLUTION_BEGIN in source and SOLUTION_END in source


def is_solution_marker(line: str) -> bool:
    return line.strip() in (SOLUTION_BEGIN, SOLUTION_END)


def strip_hidden(source: str) -> str:
    """The source without its hidden-test regions (what the release and the feedback show)."""
    return _HIDDEN_REGION.sub("", source).rstrip()


def hidden_regions(source: str) -> list[str]:
    """The text inside each hidden-test region of a cell source."""
    return [m.group(1) for m in _HIDDEN_BODY.finditer(source)]


def marker_problem(source: str, role: str) -> str | None:
    """Why markers in a deckc cell of `role` are where nbgrader would not expect them, or None."""
    if role != ROLE_SOLUTION and any(m in source for m in SOLUTION):
        return "solution markers outside a solution cell"
    hidden = [line for line in source.split("\n") if "HIDDEN TESTS" in line]
    if hidden and (role != ROLE_TEST or hidden != [HIDDEN_BEGIN, HIDDEN_END]):
        return "unexpected hidden-test markers"
    return None


# Strings that must never reach a student's feedback: the hidden-test markers.
LEAK_MARKERS = HIDDEN_TESTS


def replace_region(cell, markers, stub_lines, error, refuse=None) -> bool:
    """Replace each BEGIN..END region (marker lines included) by stub_lines, indented like BEGIN.

    nbgrader's line-by-line rules: a marker is anywhere in a line; nested or unclosed regions
    are errors (raised as `error`). Returns whether a region was found.
    """
    begin, end = markers
    new_lines, inside, found = [], False, False
    for line in cell.source.split("\n"):
        if begin in line:
            if inside:
                raise error(f"nested {begin!r}")
            inside = found = True
            indent = re.match(r"\s*", line).group(0)
            new_lines.extend(indent + stub for stub in stub_lines)
        elif end in line:
            inside = False
        elif refuse is not None and inside and refuse.search(line):
            raise error(f"an attachment inside {begin!r}")
        elif not inside:
            new_lines.append(line)
    if inside:
        raise error(f"{begin!r} without {end!r}")
    cell.source = "\n".join(new_lines)
    return found
