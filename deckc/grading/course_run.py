"""`deckc grade COURSE`: every assignment of the course in one run (or the one of --assignment).

A module's course (OUT/course/) holds one assignment per lesson. One run takes the course's
grading lock once and grades the assignments one after another (sorted by name), each exactly as
a run with `-a` would (run._grade_locked: its own workers, preflight, scratch folder, reports
under reports/<assignment>/), and returns one Summary per assignment. Assignments nobody has
handed in (no submitted/<student>/<assignment>/) are listed, not graded: a preflight for them
would only cost time.
"""
from __future__ import annotations

import dataclasses
import time
from pathlib import Path

from ..nbgrader import layout
from .run import GradeError, GradeFailure, Options, Summary, find_assignment, find_students


@dataclasses.dataclass
class CourseResult:
    summaries: list[Summary]
    without_submissions: list[str]
    stopped: dict = dataclasses.field(default_factory=dict)   # assignment -> why its run stopped

    @property
    def ok(self) -> bool:
        return not self.stopped and all(s.ok for s in self.summaries)


def assignments(course: Path) -> list[str]:
    source = layout.source_root(course)
    return sorted(p.name for p in source.iterdir() if p.is_dir() and not p.name.startswith(".")) \
        if source.is_dir() else []


def plan(course: Path, opts: Options) -> tuple[list[str], list[str]]:
    """(assignments to grade, assignments without submissions) for these options."""
    if opts.assignment:
        return [find_assignment(course, opts.assignment)], []
    names = assignments(course)
    if not names:
        raise GradeError(f"{course}: no assignments in source/ (is this a course folder? `deckc build` "
                         "writes OUT/course/)")
    if len(names) == 1:
        return names, []
    if opts.from_zip is not None:
        raise GradeError(f"{course} has {len(names)} assignments ({', '.join(names)}) and --from-zip is one "
                         "assignment's export: choose it with --assignment")
    wanted = set(opts.students)
    with_work = [a for a in names if (set(find_students(course, a)) & wanted if wanted else find_students(course, a))]
    if wanted and not with_work:
        raise GradeError(f"no submission of {', '.join(sorted(wanted))} in {layout.submitted_root(course)}")
    return with_work, [a for a in names if a not in with_work]


def grade_course(opts: Options) -> CourseResult:
    from . import run
    from .guard import Busy, course_lock, scratch_dir

    run._T0[0] = time.monotonic()          # the start-up marks of DECKC_GRADE_TIMINGS
    course = Path(opts.course).resolve()
    if not course.is_dir():
        raise GradeError(f"{course}: no such course folder")
    todo, idle = plan(course, opts)
    result = CourseResult([], idle)
    several = len(todo) + len(idle) > 1
    try:
        with course_lock(course):
            for assignment in todo:
                students = opts.students
                if several:      # -s names students of any assignment: theirs here
                    present = set(find_students(course, assignment))
                    students = tuple(s for s in opts.students if s in present)
                one = dataclasses.replace(opts, assignment=assignment, students=students)
                try:
                    with scratch_dir() as scratch:
                        result.summaries.append(run._grade_locked(one, course, assignment, scratch,
                                                                  time.monotonic()))
                except GradeFailure as e:     # e.g. its preflight failed: the other assignments still run
                    if not several:
                        raise
                    result.stopped[assignment] = str(e)
    except Busy as e:
        raise GradeFailure(str(e)) from None
    return result


def format_course(result: CourseResult) -> str:
    from .report import format_summary

    if len(result.summaries) == 1 and not result.without_submissions and not result.stopped:
        return format_summary(result.summaries[0])
    parts = [f"== {s.assignment} ==\n{format_summary(s)}" for s in result.summaries]
    parts += [f"== {a} ==\nNOT GRADED: this assignment's run stopped: {why}" for a, why in result.stopped.items()]
    if result.without_submissions:
        parts.append(f"no submissions (not graded): {', '.join(result.without_submissions)}")
    graded = sum(len(s.graded) for s in result.summaries)
    failed = sum(len(s.failed) for s in result.summaries)
    parts.append(f"course: {len(result.summaries)} assignment(s) graded, {graded} submission(s) graded"
                 + (f", {failed} NOT GRADED" if failed else "")
                 + (f"; stopped: {', '.join(result.stopped)}" if result.stopped else ""))
    return "\n\n".join(parts)
