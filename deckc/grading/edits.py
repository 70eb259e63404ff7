"""Which read-only cells a student really changed, instead of nbgrader's checksum warnings.

nbgrader's autograde restores every locked and test cell from the gradebook and warns
"Attribute 'checksum' for cell X has changed!" whenever the submitted cell's checksum differs
from the source's. A test cell with a hidden part always differs (the release shows it without
the hidden part), so a run warned for every hidden test of every student (148 warnings in a
class of 11) and real tampering drowned. deckc grade drops those warnings and compares each
read-only cell of the submission with the release the student got: one line per student names
the cells that were edited (and restored before grading); nbgrader's own warnings are silenced
by deckc.nbgrader.converters.quiet_checksum_warnings.
"""
from __future__ import annotations

from pathlib import Path

from ..nbgrader import cells


def _read_only(path: Path) -> dict[str, str]:
    import nbformat

    nb = nbformat.read(path, as_version=4)
    return {cells.grade_id(c): c.source for c in nb.cells if cells.is_read_only(c)}


def edited_cells(release: Path, submitted: Path) -> list[str]:
    """Grade ids of the release's read-only cells whose source the submission changed or deleted."""
    try:
        given, handed = _read_only(release), _read_only(submitted)
    except Exception:  # noqa: BLE001 - an unreadable notebook is graded (and fails) as usual
        return []
    return sorted(gid for gid, src in given.items() if handed.get(gid) != src)
