"""The nbgrader course writer: the lesson's exercises and quiz as an nbgrader course folder.

The course folder is also where graders work (submitted/, autograded/, feedback/ and the
gradebook), so a rebuild carries those over: the gradebook is copied in before the release
updates it (as nbgrader's generate_assignment would), and the graders' folders move into the
new course folder when it is swapped in.
"""
from __future__ import annotations

import shutil

from ..nbgrader import layout
from .base import BuildContext, Output

COURSE = "course"
# nbgrader's folders of student work; a rebuild of the assignment must never lose them.
GRADER_STATE = layout.GRADER_STATE


def write_course(ctx: BuildContext) -> list[Output]:
    from ..exercises import build_course

    lesson = ctx.lesson
    quiz = lesson.quiz
    if not lesson.meta.exercises and quiz is None:
        return []
    stage = ctx.stage / COURSE
    stage.mkdir()
    previous = layout.gradebook_path(ctx.out_dir / COURSE)
    if previous.is_file():
        shutil.copy2(previous, layout.gradebook_path(stage))
    info = build_course(lesson.meta.id, list(lesson.meta.exercises), lesson.root / "exercises", stage, quiz)
    return [Output("exercises", COURSE, is_dir=True, keep=GRADER_STATE, extra={
        "course": COURSE, "assignment": info["assignment"], "notebooks": list(info["notebooks"]),
        "points": info.get("points"), "release": info.get("release")})]
