"""Every third-party module deckc imports is a declared dependency (pyproject.toml), and every one
the tests import is declared for them (dependencies or the `test` extra): a fresh venv with the
README's commands must have them all. (fontTools was once imported without being declared.)"""
from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _declared() -> dict[str, set[str]]:
    try:
        import tomllib
    except ModuleNotFoundError:          # Python 3.10
        import pytest
        pytest.skip("tomllib needs Python 3.11")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    name = lambda req: re.split(r"[\s\[<>=!~;]", req, maxsplit=1)[0].lower().replace("_", "-")  # noqa: E731
    extras = project.get("optional-dependencies", {})
    return {"deckc": {name(r) for r in project["dependencies"]},
            "tests": {name(r) for r in project["dependencies"] + extras.get("test", [])},
            "optional": {name(r) for reqs in extras.values() for r in reqs}}


def _imports(folder: Path) -> dict[str, str]:
    """{top-level module: first file importing it} of the .py files under folder."""
    found = {}
    for path in sorted(folder.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for n in names:
                found.setdefault(n.split(".")[0], str(path.relative_to(ROOT)))
    return found


def _undeclared(folder: Path, allowed: set[str], local: set[str]) -> list[str]:
    dists = importlib.metadata.packages_distributions()
    bad = []
    for module, where in sorted(_imports(folder).items()):
        if module in sys.stdlib_module_names or module in local or module == "__future__":
            continue
        names = {d.lower().replace("_", "-") for d in dists.get(module, [])}
        if not names & allowed:
            bad.append(f"{module} ({where}; distribution {sorted(names) or 'not installed'})")
    return bad


def test_every_import_of_deckc_is_a_dependency():
    declared = _declared()
    # optional extras (psycopg for PostgreSQL) are imported only behind a check
    assert _undeclared(ROOT / "deckc", declared["deckc"] | declared["optional"], {"deckc"}) == []


def test_every_import_of_the_tests_is_declared_for_them():
    local = {p.stem for p in (ROOT / "tests").rglob("*.py")} | {p.name for p in (ROOT / "tests").iterdir()
                                                                 if p.is_dir()} | {"deckc"}
    assert _undeclared(ROOT / "tests", _declared()["tests"] | {"deckc"}, local) == []
