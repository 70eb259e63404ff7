"""The nbgrader course writer: the lesson's exercises and quiz as one assignment of the module's course.

The course is OUT/course/, shared by every lesson of the output folder (exercises/module_course.py
publishes into it under its own lock); graders work there (submitted/, autograded/, feedback/
and the gradebook), and publishing an assignment never touches their data. The lesson folder
itself gets no file from this writer: its manifest lists the assignment's notebooks in the
course (../course/...), so incremental builds see them.
"""
from __future__ import annotations

from .base import BuildContext, Output


def write_course(ctx: BuildContext) -> list[Output]:
    from ..exercises.module_course import publish
    from ..spec.course_id import COURSE_FOLDER

    lesson = ctx.lesson
    quiz = lesson.quiz
    if not lesson.meta.exercises and quiz is None:
        return []
    info = publish(ctx.out_dir.parent, lesson.meta.id, lesson.meta.course, lesson.meta.exercises,
                   lesson.root / "exercises", quiz)
    return [Output("exercises", f"../{COURSE_FOLDER}/source/{lesson.meta.id}", is_dir=True, extra={
        "files": info["files"], "course": f"../{COURSE_FOLDER}", "course_id": info["course_id"],
        "assignment": info["assignment"], "notebooks": list(info["notebooks"]),
        "points": info.get("points"), "release": info.get("release"),
        **({"migrated": info["migrated"]} if info["migrated"] else {})})]
