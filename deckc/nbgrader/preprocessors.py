"""nbgrader 0.9's GenerateAssignment preprocessors, natively, as steps ``step(nb, resources)``.

Each step is the preprocessor of nbgrader/preprocessors/ of the same name with its default
settings; :data:`RELEASE_STEPS` is GenerateAssignment's chain in its order. Where nbgrader would
fail, or do what no step here does, a step raises :class:`NotNative` and release.py runs
nbgrader itself. Imports neither nbgrader nor nbconvert (nbformat's jsonschema validates).
"""
from __future__ import annotations

import functools
import json
import re

from . import cells, installed
from .native_gradebook import NotNative

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
ATTACHMENT = re.compile(r"!\[.*\]\(attachment:.+?\)")


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
        if cells.is_solution(cell):
            cell.metadata["deletable"] = False
        elif cells.is_grade(cell) or cells.is_locked(cell):
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
        replaced = cells.replace_region(cell, cells.SOLUTION, stub.split("\n"), NotNative)
        if replaced and not cells.is_solution(cell):
            raise NotNative("a solution region is in a non-solution cell")
        if cells.is_solution(cell) and not replaced:
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
        if not cells.has_metadata(cell):
            continue
        meta = cells.metadata(cell)
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
        if cells.is_grade(cell) or cells.is_solution(cell) or cells.is_locked(cell):
            cells.set_checksum(cell)
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
        flags = (cells.is_grade(cell), cells.is_solution(cell), cells.is_task(cell), cells.is_locked(cell))
        if any(flags) and cell.cell_type not in ("code", "markdown"):
            raise NotNative(f"nbgrader cell of type {cell.cell_type!r}")  # SQLAlchemy's Enum refuses it
        grade_id = cells.grade_id(cell) if any(flags) else None
        if cells.is_grade(cell):
            record["grade_cells"][grade_id] = {"max_score": float(cells.points(cell)),
                                               "cell_type": cell.cell_type}
        if cells.is_solution(cell):
            record["solution_cells"][grade_id] = {}
        if cells.is_task(cell):
            record["task_cells"][grade_id] = {"max_score": float(cells.points(cell)),
                                              "cell_type": cell.cell_type}
        if any(flags):
            record["source_cells"][grade_id] = {
                "cell_type": cell.cell_type, "locked": cells.is_locked(cell), "source": cell.source,
                "checksum": cells.recorded_checksum(cell)}
    resources["gradebook"] = record
    return nb, resources


def clear_hidden_tests(nb, resources):
    """ClearHiddenTests: hidden test regions go (grade cells only)."""
    for cell in nb.cells:
        if cells.replace_region(cell, cells.HIDDEN_TESTS, [], NotNative) and not cells.is_grade(cell):
            raise NotNative("a hidden test region is in a non-grade cell")
    nb.metadata.pop("celltoolbar", None)
    return nb, resources


def clear_mark_scheme(nb, resources):
    """ClearMarkScheme: mark scheme regions go (task cells only), refusing attachments in them."""
    for cell in nb.cells:
        if cells.replace_region(cell, cells.MARK_SCHEME, [], NotNative, refuse=ATTACHMENT) and not cells.is_task(cell):
            raise NotNative("a mark scheme region is in a non-task cell")
    nb.metadata.pop("celltoolbar", None)
    return nb, resources


RELEASE_STEPS = (include_header_footer, instantiate_tests, lock_cells, clear_solutions, clear_output,
                 check_cell_metadata, compute_checksums, save_cells, clear_hidden_tests, clear_mark_scheme,
                 compute_checksums, check_cell_metadata)


@functools.lru_cache(maxsize=1)
def _metadata_validator():
    import jsonschema  # nbformat's dependency, already loaded by it

    schema = installed.metadata_schema()
    return jsonschema.validators.validator_for(schema)(schema)


