"""`deckc init` and `deckc new`, as a new lecturer runs them: the course folder builds (every
format, exercises included) with no warning, a new lesson from the template builds too, and
nothing is ever overwritten."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from conftest import ROOT
from ooxml_check import ooxml_errors


def deckc(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": ROOT}
    return subprocess.run([sys.executable, "-m", "deckc", *args], cwd=cwd, capture_output=True, text=True, env=env)


def test_init_then_new_build_with_no_warnings(tmp_path):
    course = tmp_path / "ml-course"
    proc = deckc(tmp_path, "init", "ml-course")
    assert proc.returncode == 0, proc.stderr
    assert (course / "lesson" / "introduction.yaml").is_file() and (course / "README.md").is_file()
    assert (course / "exercises" / "softmax" / "solution.py").is_file()
    proc = deckc(course, "new", "queries-keys-values")
    assert proc.returncode == 0 and "lesson/queries-keys-values.yaml" in proc.stdout, proc.stderr
    proc = deckc(course, "build", "--strict")
    assert proc.returncode == 0, proc.stderr
    assert "warning" not in proc.stderr.lower(), proc.stderr
    for lesson in ("introduction", "queries-keys-values"):
        out = course / "build" / lesson
        assert (out / f"{lesson}.pptx").stat().st_size and (out / f"{lesson}.pdf").stat().st_size
        assert (course / "build" / "course" / "release" / lesson).is_dir()   # one course for the module
        # sections, reveals, math, code and a chart of the lecturer's own numbers: zero validator errors
        assert ooxml_errors(out / f"{lesson}.pptx") == []
    spec = (course / "lesson" / "queries-keys-values.yaml").read_text()
    for block in ("kind: section", "- math:", "reveal: true", "- code:", "- chart:", "kind: quiz"):
        assert block in spec


def test_nothing_is_overwritten_and_bad_ids_are_refused(tmp_path):
    assert deckc(tmp_path, "init", ".").returncode == 0
    before = (tmp_path / "lesson" / "introduction.yaml").read_text()
    (tmp_path / "lesson" / "introduction.yaml").write_text(before + "# mine\n")
    proc = deckc(tmp_path, "init", ".")
    assert proc.returncode == 2 and "will not overwrite" in proc.stderr
    assert (tmp_path / "lesson" / "introduction.yaml").read_text().endswith("# mine\n")
    assert deckc(tmp_path, "new", "introduction").returncode == 2
    proc = deckc(tmp_path, "new", "Bad Id")
    assert proc.returncode == 2 and "is not a lesson id" in proc.stderr
    proc = deckc(tmp_path / "lesson", "new", "elsewhere")
    assert proc.returncode == 2 and "no lesson/ folder" in proc.stderr
