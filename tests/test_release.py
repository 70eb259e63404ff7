"""The native release (deckc.nbgrader.release) makes exactly what nbgrader's generate_assignment makes.

One module fixture builds the course twice from the same exercises: natively, and with the real
`nbgrader generate_assignment --force` (DECKC_NBGRADER_RELEASE=1). The tests compare the release
notebooks byte for byte (and their modes), the gradebooks row for row (ids replaced by stable
names) and their DDL; a rebuild that drops a notebook, natively and by nbgrader, from the same
gradebook; real `nbgrader autograde` on the native course; and when nbgrader must run instead.
"""
from __future__ import annotations

import os
import re
import shutil
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from deckc.exercises import build_course
from deckc.nbgrader import installed as nbgrader_info, native_gradebook as gradebook_db, release
from deckc.nbgrader.command import nbgrader

from conftest import seed_quiz
from test_exercises_zoo import make_submission, parse_zoo

ROOT = Path(__file__).resolve().parents[1]
EXERCISES_DIR = ROOT / "exercises"
LESSON = "rnn-vs-attention"
EXERCISES = ["rnn_step", "attention"]
QUIZ = seed_quiz()
UUID4_HEX = re.compile(r"^[0-9a-f]{12}4[0-9a-f]{3}[89ab][0-9a-f]{15}$")


def build(course: Path, exercises=EXERCISES, *, nbgrader_release: bool = False) -> dict:
    with pytest.MonkeyPatch.context() as mp:
        if nbgrader_release:
            mp.setenv(release.FORCE_NBGRADER, "1")
        else:
            mp.delenv(release.FORCE_NBGRADER, raising=False)
        return build_course(LESSON, list(exercises), EXERCISES_DIR, course, QUIZ, timeout=5)


@pytest.fixture(scope="module")
def courses(tmp_path_factory):
    base = tmp_path_factory.mktemp("release")
    native = build(base / "native")
    made = build(base / "nbgrader", nbgrader_release=True)
    return {"base": base, "native": base / "native", "nbgrader": base / "nbgrader",
            "info": {"native": native, "nbgrader": made}}


def files(folder: Path) -> dict:
    """{relative path: (bytes or None for a folder, mode)} of everything under folder."""
    return {str(p.relative_to(folder)): (p.read_bytes() if p.is_file() else None, stat.S_IMODE(p.stat().st_mode))
            for p in sorted(folder.rglob("*"))}


def raw_rows(db: Path) -> dict:
    """{table: [rows in rowid order, rowid included]}"""
    con = sqlite3.connect(db)
    try:
        tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        return {t: con.execute(f"SELECT rowid, * FROM {t} ORDER BY rowid").fetchall() for t in tables}
    finally:
        con.close()


def dump(db: Path) -> dict:
    """raw_rows with every id replaced by a stable name (its kind, notebook and name)."""
    rows = raw_rows(db)
    names = {r[1]: f"assignment:{r[2]}" for r in rows["assignment"]}
    names.update({r[1]: f"notebook:{names[r[3]]}/{r[2]}" for r in rows["notebook"]})
    names.update({r[1]: f"{r[4]}:{names[r[3]]}/{r[2]}" for r in rows["base_cell"]})
    names.update({r[1]: f"source:{names[r[7]]}/{r[2]}" for r in rows["source_cell"]})
    return {t: [tuple(names.get(v, v) if isinstance(v, str) else v for v in row) for row in table]
            for t, table in rows.items()}


def master(db: Path) -> list:
    con = sqlite3.connect(db)
    try:
        return con.execute("SELECT type, name, tbl_name, rootpage, sql FROM sqlite_master ORDER BY rowid").fetchall()
    finally:
        con.close()


# --------------------------------------------------------------------------- (a), (b) a new course


def test_the_fixture_took_both_paths(courses):
    assert courses["info"]["native"]["release"] == "native"
    assert courses["info"]["native"]["release_reason"] is None
    assert courses["info"]["nbgrader"]["release"] == "nbgrader"
    assert courses["info"]["nbgrader"]["release_reason"] == f"{release.FORCE_NBGRADER}=1"


def test_release_notebooks_are_byte_identical_with_the_same_modes(courses):
    native, made = files(courses["native"] / "release"), files(courses["nbgrader"] / "release")
    assert list(native) == [LESSON, f"{LESSON}/attention.ipynb", f"{LESSON}/quick_check.ipynb",
                            f"{LESSON}/rnn_step.ipynb"]
    assert native.keys() == made.keys()
    for path in native:
        assert native[path] == made[path], path
    assert native[f"{LESSON}/rnn_step.ipynb"][1] == 0o644
    assert files(courses["native"]).keys() == files(courses["nbgrader"]).keys()  # nothing else left behind


def test_gradebooks_hold_the_same_rows(courses):
    native, made = dump(courses["native"] / "gradebook.db"), dump(courses["nbgrader"] / "gradebook.db")
    assert native.keys() == made.keys()
    for table in native:
        assert native[table] == made[table], table  # rowids included: same rows, added in the same order
    assert [r[1] for r in native["course"]] == [LESSON, "default_course"]
    assert len(native["grade_cells"]) == 30 and len(native["source_cell"]) == 50
    kernelspec = native["notebook"][0][4]
    assert kernelspec == '{"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}'
    # the source cells keep the hidden tests: autograde puts them back
    assert any("BEGIN HIDDEN TESTS" in (r[5] or "") for r in native["source_cell"])
    ids = [r[1] for t in ("assignment", "notebook", "base_cell", "source_cell")
           for r in raw_rows(courses["native"] / "gradebook.db")[t]]
    assert ids and all(UUID4_HEX.match(i) for i in ids) and len(set(ids)) == len(ids)


def test_gradebook_ddl_is_nbgrader_s(courses):
    assert master(courses["native"] / "gradebook.db") == master(courses["nbgrader"] / "gradebook.db")
    pragmas = ("page_size", "page_count", "user_version", "application_id", "auto_vacuum", "encoding", "journal_mode")
    for name in pragmas:
        values = []
        for way in ("native", "nbgrader"):
            con = sqlite3.connect(courses[way] / "gradebook.db")
            values.append(con.execute(f"PRAGMA {name}").fetchall())
            con.close()
        assert values[0] == values[1], name
    con = sqlite3.connect(courses["nbgrader"] / "gradebook.db")
    try:
        assert gradebook_db._schema(con) == gradebook_db.expected_schema()
        assert con.execute("SELECT version_num FROM alembic_version").fetchall() == [(nbgrader_info.alembic_head(),)]
    finally:
        con.close()


def test_native_builds_are_deterministic(courses, tmp_path):
    again = build(tmp_path / "again")
    assert again["release"] == "native"
    first, second = files(courses["native"] / "release"), files(tmp_path / "again" / "release")
    assert first == second


# --------------------------------------------------------------------------- (c) a rebuild


def test_rebuild_dropping_a_notebook_matches_nbgrader(courses):
    """From the same gradebook, drop rnn_step: the native rebuild and nbgrader's leave the same rows,
    ids included (nbgrader keeps the ids of the notebooks and cells it re-creates)."""
    before = raw_rows(courses["native"] / "gradebook.db")
    results = {}
    for way in ("native", "nbgrader"):
        course = courses["base"] / f"rebuild_{way}"
        course.mkdir()
        shutil.copy2(courses["native"] / "gradebook.db", course / "gradebook.db")  # as writers/exercises.py does
        results[way] = build(course, ["attention"], nbgrader_release=way == "nbgrader")
        assert results[way]["release"] == way
    native = raw_rows(courses["base"] / "rebuild_native" / "gradebook.db")
    made = raw_rows(courses["base"] / "rebuild_nbgrader" / "gradebook.db")
    assert native == made
    assert sorted(r[2] for r in native["notebook"]) == ["attention", "quick_check"]
    kept = {r[2]: r[1] for r in before["notebook"] if r[2] != "rnn_step"}
    assert {r[2]: r[1] for r in native["notebook"]} == kept
    assert set(r[1] for r in native["base_cell"]) < set(r[1] for r in before["base_cell"])
    release_files = {way: files(courses["base"] / f"rebuild_{way}" / "release") for way in results}
    assert release_files["native"] == release_files["nbgrader"]


# --------------------------------------------------------------------------- (d), (e) autograde, then a rebuild


@pytest.fixture(scope="module")
def graded(courses):
    """The native course with the reference solutions handed in and autograded by nbgrader."""
    course = courses["base"] / "graded"
    shutil.copytree(courses["native"], course)
    notebooks = {p.stem: (nbformat.read(p, as_version=4),
                          nbformat.read(course / "release" / LESSON / p.name, as_version=4))
                 for p in sorted((course / "source" / LESSON).glob("*.ipynb"))}
    make_submission(course, "alice", parse_zoo(ROOT / "tests" / "zoo" / "reference.ipy"), notebooks)
    run = nbgrader(course, "autograde", LESSON, "--force", check=False)
    return {"course": course, "run": run}


def test_nbgrader_autograde_gives_full_marks_on_a_native_course(graded):
    from nbgrader.api import Gradebook

    assert graded["run"].returncode == 0, graded["run"].stdout[-2000:] + graded["run"].stderr[-2000:]
    with Gradebook(f"sqlite:///{graded['course'] / 'gradebook.db'}", course_id=LESSON) as gb:
        sub = gb.find_submission(LESSON, "alice")
        grades = [(g.name, g.score, g.max_score) for nb in sub.notebooks for g in nb.grades]
        assert len(grades) == 30
        assert all(score == max_score for _, score, max_score in grades), grades
        assert sub.score == 36 and sub.max_score == 36


def test_a_rebuild_after_submissions_runs_nbgrader(graded, courses):
    info = build(graded["course"])
    assert info["release"] == "nbgrader"
    assert "has submissions" in info["release_reason"]
    assert files(graded["course"] / "release") == files(courses["native"] / "release")
    rows = raw_rows(graded["course"] / "gradebook.db")
    assert len(rows["submitted_assignment"]) == 1 and len(rows["grade"]) == 30


# --------------------------------------------------------------------------- (e) when nbgrader runs instead


@pytest.fixture
def no_nbgrader_run(monkeypatch):
    """make_release's fallback, recorded instead of run."""
    calls = []

    def fake(course_dir, assignment):
        calls.append((Path(course_dir), assignment))
        return Path(course_dir) / "release" / assignment

    monkeypatch.setattr(release, "generate_release", fake)
    monkeypatch.delenv(release.FORCE_NBGRADER, raising=False)
    return calls


def test_another_nbgrader_version_runs_nbgrader(tmp_path, no_nbgrader_run, monkeypatch, caplog):
    monkeypatch.setattr(nbgrader_info, "version", lambda: "0.10.0")
    build_course(LESSON, ["attention"], EXERCISES_DIR, tmp_path, release=False)
    with caplog.at_level("INFO", logger="deckc.nbgrader.release"):
        made = release.make_release(tmp_path, LESSON)
    assert made["release"] == "nbgrader" and made["reason"] == "nbgrader 0.10.0 is not 0.9.x"
    assert no_nbgrader_run == [(tmp_path, LESSON)]
    assert "nbgrader 0.10.0 is not 0.9.x" in caplog.text
    assert not (tmp_path / "gradebook.db").exists()


def test_config_deckc_did_not_write_runs_nbgrader(tmp_path, no_nbgrader_run, monkeypatch):
    build_course(LESSON, ["attention"], EXERCISES_DIR, tmp_path / "course", release=False)
    assert release.why_not_native(tmp_path / "course", LESSON) is None
    monkeypatch.setenv("JUPYTER_CONFIG_DIR", str(tmp_path / "jupyter"))
    (tmp_path / "jupyter").mkdir()
    (tmp_path / "jupyter" / "nbgrader_config.py").write_text("c = get_config()\n")
    assert "nbgrader_config.py" in release.why_not_native(tmp_path / "course", LESSON)
    monkeypatch.delenv("JUPYTER_CONFIG_DIR")
    config = tmp_path / "course" / "nbgrader_config.py"
    config.write_text(config.read_text() + "c.ClearSolutions.text_stub = 'TODO'\n")
    assert "nbgrader_config.py is not" in release.why_not_native(tmp_path / "course", LESSON)


def test_notebooks_nbgrader_would_treat_differently_run_nbgrader(tmp_path, no_nbgrader_run):
    build_course(LESSON, ["attention"], EXERCISES_DIR, tmp_path, release=False)
    path = tmp_path / "source" / LESSON / "attention.ipynb"
    original = nbformat.read(path, as_version=4)
    breakages = {
        "AUTOTEST": lambda nb: nb.cells[-1].__setitem__("source", nb.cells[-1].source + "\n# AUTOTEST softmax(x)"),
        "solution region is in a non-solution cell": lambda nb: nb.cells[0].__setitem__(
            "source", "### BEGIN SOLUTION\nx\n### END SOLUTION"),
        "duplicate grade id": lambda nb: nb.cells[1].metadata.nbgrader.__setitem__(
            "grade_id", nb.cells[0].metadata.nbgrader["grade_id"]),
        "does not validate": lambda nb: nb.cells[0].metadata.nbgrader.__setitem__("schema_version", 2),
        "has no ClearSolutions.code_stub": lambda nb: nb.metadata.kernelspec.__setitem__("language", "julia"),
    }
    for expected, breakage in breakages.items():
        nb = nbformat.from_dict(original)
        breakage(nb)
        nbformat.write(nb, path)
        made = release.make_release(tmp_path, LESSON)
        assert made["release"] == "nbgrader" and expected in made["reason"], made
    assert not (tmp_path / "gradebook.db").exists() and not (tmp_path / "release").exists()


def test_a_gradebook_that_is_not_nbgrader_0_9_s_runs_nbgrader(courses, tmp_path, no_nbgrader_run):
    build_course(LESSON, ["attention"], EXERCISES_DIR, tmp_path, release=False)
    db = tmp_path / "gradebook.db"
    for change, expected in [("UPDATE alembic_version SET version_num = '282d30a0218e'", "alembic revision"),
                             ("CREATE TABLE extra (x INTEGER)", "tables are not"),
                             ("DROP TABLE task_cells", "tables are not")]:
        shutil.copy(courses["native"] / "gradebook.db", db)
        con = sqlite3.connect(db)
        con.execute(change)
        con.commit()
        con.close()
        data = db.read_bytes()
        made = release.make_release(tmp_path, LESSON)
        assert made["release"] == "nbgrader" and expected in made["reason"], made
        assert db.read_bytes() == data  # untouched: nbgrader gets it as it was


def test_the_gradebook_is_written_in_one_transaction(courses, tmp_path):
    """A failure half-way leaves an existing gradebook as it was, and creates no new one."""
    broken = [{"name": "attention", "kernelspec": "{}", "grade_cells": {"x": {"max_score": 1.0}},
               "solution_cells": {}, "task_cells": {}, "source_cells": {}}]  # no cell_type: KeyError
    db = tmp_path / "gradebook.db"
    with pytest.raises(KeyError):
        gradebook_db.save(db, LESSON, LESSON, broken, nbgrader_info.alembic_head())
    assert not db.exists()
    shutil.copy(courses["native"] / "gradebook.db", db)
    data = db.read_bytes()
    with pytest.raises(KeyError):
        gradebook_db.save(db, LESSON, LESSON, broken, nbgrader_info.alembic_head())
    assert db.read_bytes() == data


def test_non_notebook_files_are_copied_like_nbgrader(tmp_path, no_nbgrader_run):
    build_course(LESSON, ["attention"], EXERCISES_DIR, tmp_path, release=False)
    source = tmp_path / "source" / LESSON
    (source / "data").mkdir()
    (source / "data" / "table.csv").write_text("a,b\n1,2\n")
    (source / "data" / "stale.pyc").write_bytes(b"")
    (source / "__pycache__").mkdir()
    (source / "__pycache__" / "x.pyc").write_bytes(b"")
    (source / "notes.txt").write_text("read me\n")
    os.chmod(source / "notes.txt", 0o600)
    assert release.make_release(tmp_path, LESSON)["release"] == "native"
    got = files(tmp_path / "release" / LESSON)
    assert sorted(got) == ["attention.ipynb", "data", "data/table.csv", "notes.txt"]
    assert got["notes.txt"] == (b"read me\n", 0o644)


# --------------------------------------------------------------------------- (f) no nbgrader import


def test_the_native_path_imports_no_nbgrader_sqlalchemy_or_alembic(tmp_path):
    code = (
        "import sys\n"
        "sys.path.insert(0, 'tests')\n"
        "from pathlib import Path\n"
        "from conftest import seed_quiz\n"
        "from deckc.exercises import build_course\n"
        f"info = build_course({LESSON!r}, ['rnn_step', 'attention'], Path('exercises'), Path({str(tmp_path)!r}),\n"
        "                    seed_quiz())\n"
        "loaded = sorted({m.split('.')[0] for m in sys.modules} & {'nbgrader', 'sqlalchemy', 'alembic', 'nbconvert'})\n"
        "print(info['release'], loaded)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != release.FORCE_NBGRADER}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env, check=True)
    assert out.stdout.strip() == "native []", out.stdout + out.stderr


def test_a_rebuild_that_drops_a_handed_in_notebook_fails_before_touching_release(tmp_path):
    """nbgrader's generate_assignment --force deletes release/<a>/ and then refuses to drop a notebook
    with submissions: the build must refuse first, with the reason, and leave release/ and the
    gradebook as they were; without submissions the notebook is dropped as before."""
    from deckc.errors import BuildError
    from grade_support import ASSIGNMENT, new_course

    course = new_course(tmp_path / "course")
    db = course / "gradebook.db"
    notebooks = sorted(p.stem for p in (course / "release" / ASSIGNMENT).glob("*.ipynb"))
    assert len(notebooks) >= 2
    (course / "source" / ASSIGNMENT / f"{notebooks[0]}.ipynb").unlink()
    with sqlite3.connect(db) as con:
        (aid,) = con.execute("SELECT id FROM assignment WHERE name = ?", (ASSIGNMENT,)).fetchone()
        con.execute("INSERT INTO student (id) VALUES ('ann')")
        con.execute("INSERT INTO submitted_assignment (id, assignment_id, student_id) VALUES ('s1', ?, 'ann')", (aid,))
    before = db.read_bytes()
    with pytest.raises(BuildError, match=rf"notebook\(s\) {notebooks[0]} are no longer in the lesson"):
        release.make_release(course, ASSIGNMENT)
    assert sorted(p.stem for p in (course / "release" / ASSIGNMENT).glob("*.ipynb")) == notebooks
    assert db.read_bytes() == before
    assert release.graded_notebooks_gone(course, ASSIGNMENT) == [notebooks[0]]
    with sqlite3.connect(db) as con:
        con.execute("DELETE FROM submitted_assignment")
    assert release.graded_notebooks_gone(course, ASSIGNMENT) == []
