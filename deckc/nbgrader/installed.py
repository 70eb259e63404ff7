"""What deckc needs to know about the installed nbgrader, without importing it.

Importing nbgrader costs 1.4 s (SQLAlchemy, tornado, jupyter_server ...); these facts come from
its files instead:

- :func:`version`: the installed version (package metadata);
- :func:`package_dir`: its folder (``importlib.util.find_spec`` finds it without running it);
- :func:`alembic_head`: the schema revision nbgrader stamps new gradebooks with;
- :func:`metadata_schema`: the JSON schema of nbgrader's cell metadata (``nbgraderformat/v3.json``).
"""
from __future__ import annotations

import functools
import importlib.metadata
import importlib.util
import json
import re
from pathlib import Path

_REVISION = re.compile(r"^revision\s*=\s*['\"]([0-9a-f]+)['\"]", re.M)
_DOWN_REVISION = re.compile(r"^down_revision\s*=\s*['\"]([0-9a-f]+)['\"]", re.M)


# Without nbgrader installed (`pip install deckc`, no [grade] extra) the native release writes what
# nbgrader 0.9.x would: its gradebook schema revision and its cell metadata schema (nbgrader's
# nbgraderformat/v3.json, BSD-3-Clause, copied as deckc/nbgrader/nbgrader_v3.json). With nbgrader
# installed, its own files are read instead (and a version other than 0.9.x runs nbgrader itself).
NBGRADER_0_9_ALEMBIC_HEAD = "e43177bfe90b"
NBGRADER_0_9_SCHEMA = Path(__file__).with_name("nbgrader_v3.json")


def version() -> str | None:
    try:
        return importlib.metadata.version("nbgrader")
    except importlib.metadata.PackageNotFoundError:
        return None


@functools.lru_cache(maxsize=1)
def package_dir() -> Path | None:
    spec = importlib.util.find_spec("nbgrader")  # a top-level name: finds, does not import
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0])


@functools.lru_cache(maxsize=1)
def alembic_head() -> str | None:
    """nbgrader's schema revision, read from its alembic scripts; None if that is ambiguous.

    nbgrader finds it by running the `alembic heads` command in a subprocess (3.4 s here, for
    each new gradebook). The head is the revision no other revision names as its parent.
    """
    folder = package_dir()
    if folder is None:
        return NBGRADER_0_9_ALEMBIC_HEAD
    versions = folder / "alembic" / "versions"
    if not versions.is_dir():
        return None
    revisions, parents = set(), set()
    for path in sorted(versions.glob("*.py")):
        text = path.read_text(encoding="utf-8")
        rev, down = _REVISION.search(text), _DOWN_REVISION.search(text)
        if rev:
            revisions.add(rev.group(1))
        if down:
            parents.add(down.group(1))
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


@functools.lru_cache(maxsize=1)
def metadata_schema() -> dict | None:
    """nbgrader's cell metadata schema (version 3), as its CheckCellMetadata validates with."""
    folder = package_dir()
    path = folder / "nbgraderformat" / "v3.json" if folder else NBGRADER_0_9_SCHEMA
    if not path.is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


# What grading drives (the `grade` extra): nbgrader and its stack.
GRADE_MODULES = ("nbgrader", "nbconvert", "jupyter_client", "ipykernel", "sqlalchemy")


def missing_grade_modules() -> list[str]:
    """The modules of GRADE_MODULES that are not installed (found without importing them)."""
    return [m for m in GRADE_MODULES if importlib.util.find_spec(m) is None]
