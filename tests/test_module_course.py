"""One nbgrader course for a module (issue 17): `deckc build lesson/` writes OUT/course/ with one
assignment per lesson, incrementally per assignment, keeping graders' data, migrating the
per-lesson layout; plain nbgrader works on it."""
from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT

COURSE_NAME = "Transformers from First Principles"
COURSE_ID = "transformers-from-first-principles"
LESSONS = {"lesson-1": ["rnn_step"], "lesson-2": ["attention"], "lesson-3": []}


def spec(lesson_id: str, exercises, course: str = COURSE_NAME, number: int = 1) -> str:
    return (f"lesson:\n  id: {lesson_id}\n  title: {lesson_id}\n  course: {course}\n  module: Module 2\n"
            f"  number: {number}\n  of: 3\n  minutes: 5\n  exercises: [{', '.join(exercises)}]\n"
            "slides:\n  - kind: title\n    notes: Hello.\n")


def module(tmp_path: Path, lessons=LESSONS) -> Path:
    root = tmp_path / "module"
    shutil.copytree(Path(ROOT) / "exercises", root / "exercises", ignore=shutil.ignore_patterns("__pycache__"))
    (root / "lesson").mkdir()
    for n, (lesson_id, exercises) in enumerate(lessons.items(), 1):
        (root / "lesson" / f"{lesson_id}.yaml").write_text(spec(lesson_id, exercises, number=n), encoding="utf-8")
    return root


def deckc(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "deckc", *args], cwd=root, capture_output=True, text=True,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})


def build(root: Path, *args: str) -> subprocess.CompletedProcess:
    proc = deckc(root, "build", "lesson", "--format", "exercises", *args)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


def rows(db: Path, sql: str) -> list:
    con = sqlite3.connect(db)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def mtimes(course: Path) -> dict:
    return {p.relative_to(course).as_posix(): p.stat().st_mtime_ns
            for p in sorted(course.rglob("*.ipynb")) if p.parts[len(course.parts)] in ("source", "release")}


def test_a_module_builds_one_course_with_an_assignment_per_lesson(tmp_path):
    root = module(tmp_path)
    build(root)
    course = root / "build" / "course"
    assert sorted(p.name for p in (course / "source").iterdir()) == ["lesson-1", "lesson-2"]  # lesson-3: none
    assert sorted(p.name for p in (course / "release" / "lesson-2").iterdir()) == ["attention.ipynb"]
    assert not [p for p in (root / "build").rglob("gradebook.db") if p.parent != course]   # one gradebook
    assert rows(course / "gradebook.db", "SELECT name, course_id FROM assignment ORDER BY name") == [
        ("lesson-1", COURSE_ID), ("lesson-2", COURSE_ID)]
    assert f"c.CourseDirectory.course_id = '{COURSE_ID}'" in (course / "nbgrader_config.py").read_text()
    manifest = json.loads((root / "build" / "lesson-2" / "manifest.json").read_text())
    assert manifest["course_id"] == COURSE_ID and manifest["assignment"] == "lesson-2"
    assert "../course/release/lesson-2/attention.ipynb" in manifest["sha256"]


def test_editing_one_lessons_exercise_rebuilds_only_its_assignment(tmp_path):
    root = module(tmp_path)
    build(root)
    course = root / "build" / "course"
    before = mtimes(course)
    with open(root / "exercises" / "attention" / "intro.md", "a", encoding="utf-8") as f:
        f.write("\nOne more sentence for the students.\n")
    proc = build(root)
    assert "built lesson-2: exercises" in proc.stdout and "up to date lesson-1: exercises" in proc.stdout
    after = mtimes(course)
    changed = sorted(k for k in after if after[k] != before.get(k))
    assert changed == ["release/lesson-2/attention.ipynb", "source/lesson-2/attention.ipynb"]
    assert "One more sentence" in (course / "release" / "lesson-2" / "attention.ipynb").read_text()
    # A hand-edited release notebook is noticed (its sha256 is in the lesson's manifest) and restored.
    (course / "release" / "lesson-1" / "rnn_step.ipynb").write_text("{}", encoding="utf-8")
    assert "built lesson-1: exercises" in build(root).stdout
    assert json.loads((course / "release" / "lesson-1" / "rnn_step.ipynb").read_text())["cells"]


def test_lessons_of_one_build_must_name_one_course(tmp_path):
    root = module(tmp_path)
    (root / "lesson" / "lesson-3.yaml").write_text(spec("lesson-3", ["attention"], course="Another Course", number=3))
    proc = deckc(root, "build", "lesson", "--format", "exercises")
    assert proc.returncode == 2
    assert "lesson/lesson-3.yaml:4:11: lesson.course: course 'Another Course' is not the course" in proc.stderr
    assert "lesson/lesson-1.yaml:4" in proc.stderr          # where the others' course is written
    # One spec built alone into an OUT that holds another course: located too, and nothing written.
    proc = deckc(root, "build", "lesson/lesson-1.yaml", "--format", "exercises")
    assert proc.returncode == 0, proc.stderr
    proc = deckc(root, "build", "lesson/lesson-3.yaml", "--format", "exercises")
    assert proc.returncode == 2 and "lesson/lesson-3.yaml:4:11: lesson.course:" in proc.stderr
    assert "(id 'transformers-from-first-principles')" in proc.stderr
    assert not (root / "build" / "course" / "source" / "lesson-3").exists()
    (root / "lesson" / "lesson-3.yaml").write_text(spec("course", [], number=3))
    proc = deckc(root, "build", "lesson/lesson-3.yaml", "--format", "exercises")
    assert proc.returncode == 2 and "lesson/lesson-3.yaml:2:7: lesson.id: lesson id 'course' is reserved" in proc.stderr


def test_a_lesson_that_publishes_nothing_may_name_another_course(tmp_path):
    """Only lessons with exercises or a quiz go into OUT/course/, so only they must agree."""
    root = module(tmp_path)
    (root / "lesson" / "lesson-3.yaml").write_text(spec("lesson-3", [], course="A Guest Lecture", number=3))
    build(root)
    assert not (root / "build" / "course" / "source" / "lesson-3").exists()


def test_course_ids_are_slugs():
    from deckc.spec.course_id import course_slug

    assert course_slug("Transformers from First Principles") == COURSE_ID
    assert course_slug("  Réseaux de neurones: 2ᵉ année ") == "reseaux-de-neurones-2e-annee"
    assert course_slug("机器学习") == course_slug("机器学习") and course_slug("机器学习").startswith("course-")
    assert course_slug("机器学习") != course_slug("深度学习")


def nbgrader(course: Path, *args: str) -> subprocess.CompletedProcess:
    pytest.importorskip("nbgrader")
    from deckc.nbgrader.command import nbgrader as run

    return run(course, *args)


def submit_solution(course: Path, student: str, assignment: str, notebook: str) -> Path:
    folder = course / "submitted" / student / assignment
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(course / "source" / assignment / notebook, folder / notebook)
    return folder


@pytest.mark.slow
def test_rebuilds_keep_graders_data_and_plain_nbgrader_works_on_the_course(tmp_path):
    """Autograde with the real nbgrader CLI, give a manual grade, rebuild with a changed exercise:
    submissions, autograded and feedback files, gradebook rows and the manual grade all stay."""
    root = module(tmp_path)
    build(root)
    course = root / "build" / "course"
    listed = nbgrader(course, "db", "assignment", "list").stdout
    assert "lesson-1" in listed and "lesson-2" in listed
    submit_solution(course, "alice", "lesson-1", "rnn_step.ipynb")
    nbgrader(course, "autograde", "lesson-1", "--student", "alice")
    nbgrader(course, "generate_feedback", "lesson-1", "--student", "alice")
    graded = rows(course / "gradebook.db", "SELECT sum(auto_score) FROM grade")[0][0]
    assert graded and graded > 0
    con = sqlite3.connect(course / "gradebook.db")
    con.execute("UPDATE grade SET manual_score = 0.25 WHERE id = (SELECT min(id) FROM grade)")
    con.commit()
    con.close()
    kept = {p: p.read_bytes() for p in sorted(course.rglob("*"))
            if p.is_file() and p.parts[len(course.parts)] in ("submitted", "autograded", "feedback")}
    assert any("feedback" in str(p) for p in kept) and any("autograded" in str(p) for p in kept)
    with open(root / "exercises" / "rnn_step" / "intro.md", "a", encoding="utf-8") as f:
        f.write("\nA new hint.\n")
    assert "built lesson-1: exercises" in build(root).stdout
    assert "A new hint." in (course / "release" / "lesson-1" / "rnn_step.ipynb").read_text()
    assert {p: p.read_bytes() for p in kept} == kept
    assert rows(course / "gradebook.db", "SELECT count(*) FROM grade WHERE manual_score = 0.25") == [(1,)]
    assert rows(course / "gradebook.db", "SELECT id FROM student") == [("alice",)]
    assert sum(r[0] for r in rows(course / "gradebook.db", "SELECT auto_score FROM grade")) == graded


def old_layout(root: Path, lesson_id: str = "lesson-1", exercises=("rnn_step",)) -> Path:
    """A course folder of the per-lesson layout: OUT/<lesson>/course/, course id = the lesson id."""
    from deckc.exercises import build_course

    old = root / "build" / lesson_id / "course"
    build_course(lesson_id, list(exercises), root / "exercises", old)
    return old


@pytest.mark.slow
def test_a_per_lesson_course_is_migrated_into_the_module_course(tmp_path):
    root = module(tmp_path)
    old = old_layout(root)
    submit_solution(old, "alice", "lesson-1", "rnn_step.ipynb")
    nbgrader(old, "autograde", "lesson-1", "--student", "alice")
    con = sqlite3.connect(old / "gradebook.db")
    con.execute("UPDATE grade SET manual_score = 0.25 WHERE id = (SELECT min(id) FROM grade)")
    con.commit()
    con.close()
    (old / "notes.txt").write_text("grader's own notes", encoding="utf-8")
    proc = build(root)
    assert "moved build/lesson-1/course (the per-lesson course layout) into the module's course" in proc.stdout
    course = root / "build" / "course"
    assert not old.exists()                                   # never two live courses
    assert (course / "submitted" / "alice" / "lesson-1" / "rnn_step.ipynb").is_file()
    assert (course / "autograded" / "alice" / "lesson-1" / "rnn_step.ipynb").is_file()
    assert (course / "migrated" / "lesson-1" / "notes.txt").read_text() == "grader's own notes"
    db = course / "gradebook.db"
    assert rows(db, "SELECT name, course_id FROM assignment ORDER BY name") == [
        ("lesson-1", COURSE_ID), ("lesson-2", COURSE_ID)]
    assert rows(db, "SELECT s.student_id FROM submitted_assignment s") == [("alice",)]
    assert rows(db, "SELECT count(*) FROM grade WHERE manual_score = 0.25") == [(1,)]
    assert "up to date lesson-1" in build(root).stdout          # migrated once, then nothing to do
    # Plain nbgrader on the migrated course: another student, alice's grades untouched.
    submit_solution(course, "bob", "lesson-1", "rnn_step.ipynb")
    nbgrader(course, "autograde", "lesson-1", "--student", "bob")
    assert rows(db, "SELECT student_id FROM submitted_assignment ORDER BY student_id") == [("alice",), ("bob",)]
    assert rows(db, "SELECT count(*) FROM grade WHERE manual_score = 0.25") == [(1,)]


def test_a_migration_that_would_overwrite_moves_nothing(tmp_path):
    root = module(tmp_path)
    build(root)
    course = root / "build" / "course"
    submit_solution(course, "alice", "lesson-1", "rnn_step.ipynb")
    old = old_layout(root)
    submit_solution(old, "alice", "lesson-1", "rnn_step.ipynb")
    (old / "submitted" / "alice" / "lesson-1" / "mine.txt").write_text("old", encoding="utf-8")
    (root / "exercises" / "rnn_step" / "intro.md").write_text("changed\n", encoding="utf-8")
    proc = deckc(root, "build", "lesson", "--format", "exercises")
    assert proc.returncode == 1
    assert "already has submitted/alice/lesson-1" in proc.stderr and "Nothing was moved" in proc.stderr
    assert (old / "submitted" / "alice" / "lesson-1" / "mine.txt").is_file()
    assert not (course / "submitted" / "alice" / "lesson-1" / "mine.txt").exists()
    assert (old / "gradebook.db").is_file() and not (course / "migrated").exists()


def _hand_in_rows(db: Path, student: str, assignment: str) -> None:
    """A student and a submission in an nbgrader 0.9 gradebook, as autograde records them."""
    con = sqlite3.connect(db)
    con.execute("INSERT INTO student (id, first_name) VALUES (?, 'Al')", (student,))
    (aid,) = con.execute("SELECT id FROM assignment WHERE name = ?", (assignment,)).fetchone()
    con.execute("INSERT INTO submitted_assignment (id, assignment_id, student_id, timestamp) "
                "VALUES ('s1', ?, ?, '2024-02-05 10:00:00')", (aid, student))
    con.commit()
    con.close()


def test_migration_merges_the_gradebook_once_even_after_a_crash(tmp_path):
    """Fast (no kernel): rows and folders move; a run killed after the gradebook merge but before
    the backup moved is finished by the next build without copying the rows twice."""
    from deckc.nbgrader.migrate import _merge_gradebook

    root = module(tmp_path)
    old = old_layout(root)
    _hand_in_rows(old / "gradebook.db", "alice", "lesson-1")
    (old / "submitted" / "alice" / "lesson-1").mkdir(parents=True)
    (old / "submitted" / "alice" / "lesson-1" / "rnn_step.ipynb").write_text("{}", encoding="utf-8")
    course = root / "build" / "course"
    assert _merge_gradebook(old / "gradebook.db", course / "gradebook.db", COURSE_ID) == 1   # then "killed"
    proc = deckc(root, "build", "lesson", "--format", "exercises")
    assert proc.returncode == 0, proc.stderr
    db = course / "gradebook.db"
    assert rows(db, "SELECT student_id FROM submitted_assignment") == [("alice",)]
    assert rows(db, "SELECT id FROM course ORDER BY id") == [("default_course",), (COURSE_ID,)]
    assert rows(db, "SELECT name, course_id FROM assignment ORDER BY name") == [
        ("lesson-1", COURSE_ID), ("lesson-2", COURSE_ID)]
    assert (course / "submitted" / "alice" / "lesson-1" / "rnn_step.ipynb").read_text() == "{}"
    assert (course / "migrated" / "lesson-1" / "gradebook.db").is_file() and not old.exists()


def tree(folder: Path) -> dict:
    """Every file and folder under `folder`: {relative path: bytes, or None for a folder}."""
    return {p.relative_to(folder).as_posix(): (None if p.is_dir() else p.read_bytes()) for p in sorted(folder.rglob("*"))}


def test_a_rebuild_that_drops_a_submitted_exercise_refuses_before_writing_anything(tmp_path):
    """Dropping `attention` from a lesson whose assignment has submissions is refused, located at the
    lesson's exercises, exit 1, and the course folder stays byte-identical: not source/ rewritten
    (the other exercise changed too), not the config, not release/ nor the gradebook."""
    root = module(tmp_path, {"lesson-1": ["rnn_step", "attention"]})
    build(root)
    course = root / "build" / "course"
    _hand_in_rows(course / "gradebook.db", "alice", "lesson-1")
    before = tree(course)
    (root / "lesson" / "lesson-1.yaml").write_text(spec("lesson-1", ["rnn_step"]), encoding="utf-8")
    with open(root / "exercises" / "rnn_step" / "intro.md", "a", encoding="utf-8") as f:
        f.write("\nA new hint.\n")
    proc = deckc(root, "build", "lesson", "--format", "exercises")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "lesson/lesson-1.yaml" in proc.stderr and "lesson.exercises" in proc.stderr
    assert "attention" in proc.stderr and "submissions" in proc.stderr
    assert tree(course) == before
    # Put back, the build goes through and publishes the edit.
    (root / "lesson" / "lesson-1.yaml").write_text(spec("lesson-1", ["rnn_step", "attention"]), encoding="utf-8")
    build(root)
    assert "A new hint." in (course / "release" / "lesson-1" / "rnn_step.ipynb").read_text(encoding="utf-8")
