"""`deckc grade COURSE` over a module's course: which assignments one run grades, in one lock,
and what it says (the grading of one assignment itself is tested in test_grade*.py; here a
stand-in grades, so these run in a second)."""
from __future__ import annotations

import contextlib
from pathlib import Path

import pytest

from deckc.grading import course_run, guard, run
from deckc.grading.run import GradeError, GradeFailure, Options, Summary


def course(tmp_path: Path, submissions: dict) -> Path:
    root = tmp_path / "course"
    for a in ("lesson-1", "lesson-2", "lesson-3"):
        (root / "source" / a).mkdir(parents=True)
    for student, assignments in submissions.items():
        for a in assignments:
            (root / "submitted" / student / a).mkdir(parents=True)
    return root


@pytest.fixture
def graded(monkeypatch):
    """Records each assignment graded (and with which students) and how often the lock was taken."""
    calls = {"graded": [], "locks": 0, "fail": set()}

    def fake(opts, course, assignment, scratch, started):
        if assignment in calls["fail"]:
            raise GradeFailure(f"preflight of {assignment}: the reference solution scored 0/10")
        calls["graded"].append((assignment, opts.students))
        s = Summary(assignment, "sqlite")
        s.graded = list(opts.students) or ["alice"]
        return s

    @contextlib.contextmanager
    def lock(path):
        calls["locks"] += 1
        yield

    monkeypatch.setattr(run, "_grade_locked", fake)
    monkeypatch.setattr(guard, "course_lock", lock)
    return calls


def test_every_assignment_with_submissions_in_one_lock(tmp_path, graded):
    root = course(tmp_path, {"alice": ["lesson-1", "lesson-2"], "bob": ["lesson-2"]})
    result = course_run.grade_course(Options(course=root))
    assert graded["graded"] == [("lesson-1", ()), ("lesson-2", ())] and graded["locks"] == 1
    assert result.ok and result.without_submissions == ["lesson-3"]
    text = course_run.format_course(result)
    assert "== lesson-1 ==" in text and "== lesson-2 ==" in text
    assert "no submissions (not graded): lesson-3" in text and "course: 2 assignment(s) graded" in text


def test_one_assignment_and_students_of_any_assignment(tmp_path, graded):
    root = course(tmp_path, {"alice": ["lesson-1", "lesson-2"], "bob": ["lesson-2"]})
    course_run.grade_course(Options(course=root, assignment="lesson-2"))
    assert graded["graded"] == [("lesson-2", ())]
    graded["graded"].clear()
    course_run.grade_course(Options(course=root, students=("bob",)))
    assert graded["graded"] == [("lesson-2", ("bob",))]          # bob handed in lesson 2 only
    with pytest.raises(GradeError, match="no submission of carol"):
        course_run.grade_course(Options(course=root, students=("carol",)))
    with pytest.raises(GradeError, match="no assignment 'lesson-9'"):
        course_run.grade_course(Options(course=root, assignment="lesson-9"))


def test_a_zip_is_one_assignments_export(tmp_path, graded):
    root = course(tmp_path, {"alice": ["lesson-1"]})
    with pytest.raises(GradeError, match="--from-zip is one assignment's export: choose it with --assignment"):
        course_run.grade_course(Options(course=root, from_zip=tmp_path / "x.zip"))


def test_a_stopped_assignment_does_not_stop_the_others(tmp_path, graded):
    root = course(tmp_path, {"alice": ["lesson-1", "lesson-2", "lesson-3"]})
    graded["fail"].add("lesson-2")
    result = course_run.grade_course(Options(course=root))
    assert [a for a, _ in graded["graded"]] == ["lesson-1", "lesson-3"] and not result.ok
    assert "== lesson-2 ==\nNOT GRADED: this assignment's run stopped: preflight of lesson-2" in \
        course_run.format_course(result)
    with pytest.raises(GradeFailure, match="preflight of lesson-2"):       # alone, it is the run's failure
        course_run.grade_course(Options(course=root, assignment="lesson-2"))
