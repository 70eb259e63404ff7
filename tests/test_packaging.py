"""Every third-party module deckc imports is a declared dependency (pyproject.toml), and every one
the tests import is declared for them (dependencies or the `test` extra): a fresh venv with the
README's commands must have them all. (fontTools was once imported without being declared.)"""
from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
from pathlib import Path

import pytest

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

    def expand(reqs):  # "deckc[grade]" in an extra stands for that extra's requirements
        out = []
        for r in reqs:
            m = re.match(r"^deckc\[([\w,]+)\]$", r)
            out += [x for e in m.group(1).split(",") for x in expand(extras.get(e, []))] if m else [r]
        return out
    return {"deckc": {name(r) for r in project["dependencies"]},
            "tests": {name(r) for r in project["dependencies"] + expand(extras.get("test", []))},
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
    # optional extras (psycopg for PostgreSQL, nbgrader's stack for grading) are imported only
    # behind a check (tests/test_packaging.py::test_building_imports_nothing_of_the_grade_extra)
    assert _undeclared(ROOT / "deckc", declared["deckc"] | declared["optional"], {"deckc"}) == []


def test_every_import_of_the_tests_is_declared_for_them():
    local = {p.stem for p in (ROOT / "tests").rglob("*.py")} | {p.name for p in (ROOT / "tests").iterdir()
                                                                 if p.is_dir()} | {"deckc"}
    assert _undeclared(ROOT / "tests", _declared()["tests"] | {"deckc"}, local) == []


def test_building_imports_nothing_of_the_grade_extra(tmp_path):
    """`pip install deckc` (no [grade]) builds everything: a build, course folder included,
    imports none of the grade extra's packages (a fresh interpreter with them hidden)."""
    import subprocess

    hidden = ["nbgrader", "nbconvert", "jupyter_client", "IPython", "ipykernel", "sqlalchemy"]  # traitlets: nbformat needs it
    code = (
        "import sys\n"
        f"for m in {hidden!r}: sys.modules[m] = None  # importing any of them now fails\n"
        "from deckc.cli import main\n"
        "sys.argv = ['deckc', 'build', sys.argv[1], '-o', sys.argv[2], '--format', 'pptx,exercises']\n"
        "main()\n")
    out = tmp_path / "out"
    run = subprocess.run([sys.executable, "-c", code, str(ROOT / "lesson"), str(out)], capture_output=True,
                         text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-3000:]
    releases = list(out.rglob("release/*/*.ipynb"))
    assert releases and list(out.rglob("gradebook.db")), sorted(p.name for p in out.rglob("*"))[:50]


def test_grading_without_the_grade_extra_says_how_to_install_it(monkeypatch, tmp_path):
    import importlib.util

    from click.testing import CliRunner

    from deckc.cli import cli

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "nbgrader" else real(name, *a))
    for args in (["grade", str(tmp_path)], ["grades", "export", str(tmp_path), "--to", "canvas"]):
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 2, result.output
        assert "pip install 'deckc[grade]'" in result.output and "nbgrader" in result.output


def test_without_nbgrader_the_release_is_native_and_the_same(tmp_path, monkeypatch):
    """No nbgrader installed: the vendored nbgrader 0.9 schema and alembic head give the same
    release and gradebook; where only nbgrader itself could release, a located message says how
    to install it."""
    import sqlite3

    from deckc.errors import BuildError
    from deckc.exercises import build_course
    from deckc.nbgrader import installed as nbgrader_info

    from conftest import seed_quiz

    with_nbgrader = build_course("l1", ["rnn_step"], ROOT / "exercises", tmp_path / "a", seed_quiz())
    head, schema = nbgrader_info.alembic_head(), nbgrader_info.metadata_schema()
    for f in (nbgrader_info.alembic_head, nbgrader_info.metadata_schema):
        f.cache_clear()
    monkeypatch.setattr(nbgrader_info, "version", lambda: None)
    monkeypatch.setattr(nbgrader_info, "package_dir", lambda: None)
    try:
        assert (nbgrader_info.alembic_head(), nbgrader_info.metadata_schema()) == (head, schema)
        without = build_course("l1", ["rnn_step"], ROOT / "exercises", tmp_path / "b", seed_quiz())
        assert with_nbgrader["release"] == without["release"] == "native"
        for name in ("rnn_step.ipynb", "quick_check.ipynb"):
            assert ((tmp_path / "a" / "release" / "l1" / name).read_bytes()
                    == (tmp_path / "b" / "release" / "l1" / name).read_bytes())
        with sqlite3.connect(tmp_path / "b" / "gradebook.db") as db:
            assert db.execute("select version_num from alembic_version").fetchall() == [(head,)]
        monkeypatch.setenv("DECKC_NBGRADER_RELEASE", "1")
        with pytest.raises(BuildError, match=r"pip install 'deckc\[grade\]'"):
            build_course("l1", ["rnn_step"], ROOT / "exercises", tmp_path / "c", seed_quiz())
    finally:
        for f in (nbgrader_info.alembic_head, nbgrader_info.metadata_schema):
            f.cache_clear()


def test_every_data_file_of_the_package_ships():
    """A non-editable install has only what package-data lists (nbgrader_v3.json was once missing)."""
    import fnmatch

    try:
        import tomllib
    except ModuleNotFoundError:          # Python 3.10
        pytest.skip("tomllib needs Python 3.11")
    globs = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"][
        "package-data"]["deckc"]
    files = [p.relative_to(ROOT / "deckc").as_posix() for p in (ROOT / "deckc").rglob("*")
             if p.is_file() and p.suffix not in (".py", ".pyc", ".md") and "__pycache__" not in p.parts]
    assert files and [f for f in files if not any(fnmatch.fnmatch(f, g) for g in globs)] == []
