"""Shared pytest helpers for the deckc test-suite.

``require_tool(name)``: tests that shell out to an external program (pdftotext,
pdffonts, pdftoppm, ...) call this first.  When the program is not on PATH the
test is skipped with a visible reason -- except on CI (environment variable
``CI=true``), where a missing tool is a broken environment and the test fails.
"""
import os
import shutil

import pytest


def require_tool(name: str) -> str:
    """Return the path of executable ``name``; skip (locally) or fail (CI=true) if absent."""
    path = shutil.which(name)
    if path:
        return path
    msg = f"required tool {name!r} not found on PATH (pdftotext/pdffonts/pdftoppm come with poppler-utils)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(msg + " -- CI=true, so this is an error, not a skip")
    pytest.skip(msg)
