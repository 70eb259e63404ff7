"""The module's nbgrader course, OUT/course/: each lesson with exercises publishes its assignment into it.

One course folder per output folder (nbgrader's own model: one course, many assignments, one
gradebook, one student list, one exchange): course id = the slug of the lessons' `course:`
(spec/course_id.py), assignment id = the lesson id. Lessons build in parallel, each in its own
process, so a lesson publishes under the course lock (OUT/.deckc-lock-course, an flock like the
lesson locks of staging.py): its source/<id>/ and release/<id>/ are rewritten and its rows of
the gradebook updated (release.py: natively, or by nbgrader when submissions exist), and nothing
of another assignment, nor any grader's folder, is touched. A lesson folder still holding a
course of the per-lesson layout (OUT/<id>/course/) is migrated first (migrate.py).

The lesson's manifest lists the assignment's notebooks as ../course/source/<id>/... and
../course/release/<id>/..., with their sha256, so an edited or deleted notebook rebuilds that
lesson's assignment, and only that one.
"""
from __future__ import annotations

from pathlib import Path

from ..errors import BuildError
from ..nbgrader import layout
from ..spec.course_id import COURSE_FOLDER, course_slug, existing_course_id
from ..staging import LessonLock
from . import build_course
from ..nbgrader.migrate import migrate_lesson


def publish(out_root: Path, lesson_id: str, course_name: str, exercise_ids, exercises_dir: Path,
            quiz) -> dict:
    """Build lesson_id's assignment in out_root/course/; build_course's info, plus "files" (the
    assignment's notebooks relative to the lesson folder) and "migrated" (None or what moved)."""
    course_id = course_slug(course_name)
    course = out_root / COURSE_FOLDER
    lock = LessonLock(out_root, COURSE_FOLDER)
    try:
        lock.acquire()
        existing = existing_course_id(out_root)
        if existing is not None and existing != course_id:   # a build of another course got here first
            raise BuildError(f"{course} is the course '{existing}', and lesson {lesson_id} is of course "
                             f"'{course_name}' ('{course_id}'): one output folder holds one course")
        migrated = migrate_lesson(out_root / lesson_id / COURSE_FOLDER, course, course_id)
        info = build_course(lesson_id, list(exercise_ids), exercises_dir, course, quiz, course_id=course_id)
    finally:
        lock.release()
    info["files"] = [f"../{COURSE_FOLDER}/{kind}/{lesson_id}/{name}"
                     for kind in (layout.SOURCE, layout.RELEASE) for name in sorted(info["notebooks"])]
    info["migrated"] = migrated
    return info
