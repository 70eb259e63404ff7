"""The nbgrader course writer: the lesson's exercises and quiz as an nbgrader course folder.

The course folder is also where graders work (submitted/, autograded/, feedback/ and the
gradebook), so a rebuild carries those over: the gradebook is copied in before the release
updates it (as nbgrader's generate_assignment would), and the graders' folders move into the
new course folder when it is swapped in.
"""
from __future__ import annotations

import shutil

from .base import BuildContext, Output

COURSE = "course"
# nbgrader's folders of student work; a rebuild of the assignment must never lose them.
GRADER_STATE = ("submitted", "autograded", "feedback", "downloaded", "gradebook.db")


def write_course(ctx: BuildContext) -> list[Output]:
    from ..exercises import build_course

    lesson = ctx.lesson
    quiz = lesson.quiz
    if not lesson.meta.exercises and quiz is None:
        return []
    stage = ctx.stage / COURSE
    stage.mkdir()
    previous = ctx.out_dir / COURSE / "gradebook.db"
    if previous.is_file():
        shutil.copy2(previous, stage / "gradebook.db")
    quiz_data = None
    if quiz is not None:
        quiz_data = {"question": quiz.question, "options": [o.text for o in quiz.options], "answer": quiz.answer}
    info = build_course(lesson.meta.id, list(lesson.meta.exercises), lesson.root / "exercises", stage, quiz_data)
    return [Output("exercises", COURSE, is_dir=True, keep=GRADER_STATE, extra={
        "course": COURSE, "assignment": info["assignment"], "notebooks": list(info["notebooks"]),
        "points": info.get("points"), "release": info.get("release")})]
