"""A folder's files (names and bytes) as a hash: what an output is made of.

Used by incremental.py (the charts' exercises/*/solution.py) and by a writer's declared inputs
(writers/__init__.py: an assignment's own exercise folders); apart from both so that neither
imports the other.
"""
from __future__ import annotations

import hashlib
from pathlib import Path


def update_tree(h, folder: Path, pattern: str = "*") -> None:
    """Feed every file of folder matching pattern (sorted; caches skipped) into the hash h."""
    if folder.is_dir():
        for f in sorted(folder.rglob(pattern)):
            if f.is_file() and "__pycache__" not in f.parts and f.suffix != ".pyc":
                h.update(f.relative_to(folder).as_posix().encode() + b"\0" + f.read_bytes())


def tree_digest(folder: Path) -> str:
    """sha256 of a folder's files."""
    h = hashlib.sha256()
    update_tree(h, folder)
    return h.hexdigest()
