"""deckc/nbgrader/ is the one adapter that knows nbgrader (issue 13): no other module of deckc
spells nbgrader's cell metadata keys, its region markers, its config file, its course folders or
its gradebook API, and the adapter itself keeps `deckc build` free of nbgrader.

The check reads the code (string constants that are not docstrings, attribute chains, path
joins, imports), not comments or docstrings, so prose may still name nbgrader's things.
"""
from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ADAPTER = ROOT / "deckc" / "nbgrader"

METADATA_KEYS = {"nbgrader", "grade_id", "solution", "locked", "checksum", "schema_version"}
MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "HIDDEN TESTS", "MARK SCHEME", "YOUR CODE HERE")
FILES = {"nbgrader_config.py", "gradebook.db"}
FOLDERS = {"source", "release", "submitted", "autograded", "feedback"}
ADAPTER_ONLY_NAMES = {"PyFileConfigLoader", "get_alembic_version"}
ADAPTER_ONLY_MODULES = ("nbgrader.api", "nbgrader.utils", "nbgrader.preprocessors.overwritecells")


def _docstrings(tree) -> set[int]:
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) \
                    and isinstance(first.value.value, str):
                out.add(id(first.value))
    return out


def spellings(source: str) -> list[tuple[int, str]]:
    """(line, what) for each piece of nbgrader knowledge spelled in `source`."""
    tree = ast.parse(source)
    skip = _docstrings(tree)
    found = []
    for node in ast.walk(tree):
        line = getattr(node, "lineno", 0)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip:
            text = node.value
            if text in METADATA_KEYS:
                found.append((line, f"metadata key {text!r}"))
            for marker in MARKERS:
                if marker in text:
                    found.append((line, f"marker {marker!r}"))
            if text in FILES:
                found.append((line, f"course file {text!r}"))
        elif isinstance(node, ast.Attribute) and node.attr == "nbgrader" and (
                isinstance(node.value, ast.Attribute) and node.value.attr == "metadata"
                or isinstance(node.value, ast.Name) and node.value.id == "metadata"):
            found.append((line, "metadata.nbgrader"))
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div) \
                and isinstance(node.right, ast.Constant) and node.right.value in FOLDERS:
            found.append((line, f"course folder / {node.right.value!r}"))
        elif isinstance(node, ast.Name) and node.id in ADAPTER_ONLY_NAMES \
                or isinstance(node, ast.alias) and node.name.split(".")[-1] in ADAPTER_ONLY_NAMES:
            found.append((line, f"{getattr(node, 'id', None) or node.name}"))
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
            for name in names:
                if node.__class__ is ast.ImportFrom and node.level:
                    continue
                if name.startswith(ADAPTER_ONLY_MODULES):
                    found.append((line, f"import {name}"))
    return sorted(set(found))


def test_no_module_outside_the_adapter_spells_nbgrader_knowledge():
    problems = []
    for path in sorted((ROOT / "deckc").rglob("*.py")):
        if ADAPTER in path.parents:
            continue
        for line, what in spellings(path.read_text(encoding="utf-8")):
            problems.append(f"{path.relative_to(ROOT)}:{line}: {what}")
    assert not problems, ("nbgrader knowledge outside deckc/nbgrader/ (call the adapter instead):\n"
                          + "\n".join(problems))


def test_the_check_finds_each_kind_of_spelling():
    """The scan above would fail on each thing it forbids (and not on prose or deckc's own names)."""
    code = textwrap.dedent('''
        """Docstrings may say metadata["nbgrader"] and ### BEGIN HIDDEN TESTS."""
        from nbgrader.api import Gradebook
        from traitlets.config.loader import PyFileConfigLoader

        def f(cell, course, nb):
            # a comment may say "grade_id"
            meta = cell.metadata["nbgrader"]
            gid = meta.get("grade_id")
            sums = nb.metadata.nbgrader
            src = f"### BEGIN SOLUTION\\n{gid}"
            db = course / "gradebook.db"
            return course / "autograded" / gid, "nbgrader is named in a message"
    ''')
    found = {what for _, what in spellings(code)}
    assert found == {"import nbgrader.api", "PyFileConfigLoader", "metadata key 'nbgrader'",
                     "metadata key 'grade_id'", "metadata.nbgrader", "marker 'BEGIN SOLUTION'",
                     "course file 'gradebook.db'", "course folder / 'autograded'"}, found


def test_the_adapter_defines_each_marker_once():
    """The hidden-test marker is spelled in one module of the adapter: cells.py."""
    spelled = [p.name for p in sorted(ADAPTER.glob("*.py")) if "HIDDEN TESTS" in p.read_text(encoding="utf-8")]
    assert spelled == ["cells.py"], spelled


def test_importing_the_adapter_for_a_build_does_not_import_nbgrader():
    """What `deckc build` uses of the adapter (cells, config, layout, installed facts, the native
    release) loads neither nbgrader nor SQLAlchemy; the gradebook module does (grading only)."""
    code = ("import sys\n"
            "import deckc.nbgrader, deckc.nbgrader.cells, deckc.nbgrader.config, deckc.nbgrader.layout\n"
            "import deckc.nbgrader.installed, deckc.nbgrader.release, deckc.nbgrader.command\n"
            "import deckc.nbgrader.converters, deckc.nbgrader.migrate\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('nbgrader', 'sqlalchemy', 'nbconvert')))\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout


def test_a_new_gradebook_is_nbgraders_without_patching_nbgrader(tmp_path, monkeypatch):
    """open_gradebook makes a new database exactly as nbgrader.api.Gradebook would (its tables,
    its alembic head), without nbgrader's `alembic heads` subprocess and without patching
    nbgrader.api: get_alembic_version, made to fail here, is never called."""
    import sqlite3

    pytest.importorskip("nbgrader")
    import nbgrader.api

    from deckc.nbgrader import gradebook, installed, native_gradebook

    original = nbgrader.api.get_alembic_version

    def fail():
        raise AssertionError("nbgrader's alembic subprocess ran")

    monkeypatch.setattr(nbgrader.api, "get_alembic_version", fail)
    db = tmp_path / "new.db"
    with gradebook.open_gradebook(f"sqlite:///{db}", "c1") as gb:
        gb.update_or_create_assignment("a1")
    with sqlite3.connect(db) as con:
        assert native_gradebook._schema(con) == native_gradebook.expected_schema()
        assert con.execute("SELECT version_num FROM alembic_version").fetchall() == [(installed.alembic_head(),)]
        assert con.execute("SELECT id FROM course ORDER BY id").fetchall() == [("c1",)]
    monkeypatch.undo()
    assert nbgrader.api.get_alembic_version is original     # nothing left patched by deckc
