"""deckc's own code as one fingerprint: a changed deckc rebuilds what it made.

Kept apart from the incremental-build logic so the HTML index (a writer) can stamp itself with
it without importing the writer registry back (incremental.py imports the registry).
"""
from __future__ import annotations

import hashlib
from pathlib import Path

from . import __version__

# deckc's packages that no output is made by: editing them does not make builds stale.
CODE_OUTSIDE_BUILDS = ("grading",)

_CODE_HASH: str | None = None


def code_fingerprint() -> str:
    """deckc's own code and fonts: a changed deckc rebuilds everything it made (except for the
    packages listed in CODE_OUTSIDE_BUILDS)."""
    global _CODE_HASH
    if _CODE_HASH is None:
        h = hashlib.sha256(__version__.encode())
        pkg = Path(__file__).resolve().parent
        for f in sorted(pkg.rglob("*")):
            parts = f.relative_to(pkg).parts
            if parts[0] in CODE_OUTSIDE_BUILDS or "__pycache__" in parts:
                continue
            if f.suffix in (".py", ".css", ".js", ".html"):     # code, and the HTML writer's template and assets
                h.update(f.relative_to(pkg).as_posix().encode() + b"\0" + f.read_bytes())
            elif f.suffix == ".ttf":
                h.update(f"{f.name}:{f.stat().st_size}".encode())
        _CODE_HASH = h.hexdigest()
    return _CODE_HASH
