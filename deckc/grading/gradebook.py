"""Gradebook work for deckc grade, through nbgrader's own API (nbgrader.api.Gradebook).

- copy_assignment: an assignment's definition (notebooks, grade/solution/task/source cells) from
  one gradebook to another: the real gradebook -> each worker's private SQLite copy, and, when
  the real gradebook (a fresh PostgreSQL database) does not know the assignment yet, the other
  way round.
- student_state: what the real gradebook already holds for a student (manual scores, extension),
  so a worker's private copy computes the same needs_manual_grade and late penalties.
- merge_student: the main process (the only writer) stores one student's results.
- scores: {student: {notebook: {grade: (score, max, needs_manual)}}} for tests and summaries.

Imports nbgrader: only grading processes load this module.
"""
from __future__ import annotations

import datetime as _dt
import functools

import nbgrader.api as _api
from nbgrader.api import Gradebook, MissingEntry  # noqa: F401 - re-exported

from ..exercises import nbgrader_info
from .records import ManualState, NotebookResult, Stored, StoredGrade, StoredNotebook, StudentResult


@functools.lru_cache(maxsize=1)
def _alembic_head() -> str:
    """nbgrader's schema revision, read from its alembic scripts (exercises.nbgrader_info).

    nbgrader stamps every new gradebook with it, and finds it by running the `alembic heads`
    command in a subprocess: 3.4 s here, for each new database (deckc makes one per run, the
    workers' template). Only if the scripts are ambiguous does nbgrader's own way run.
    """
    return nbgrader_info.alembic_head() or _slow_alembic_head()


_slow_alembic_head = _api.get_alembic_version
_api.get_alembic_version = _alembic_head


def open_gradebook(db_url: str, course_id: str) -> Gradebook:
    return Gradebook(db_url, course_id=course_id)


def has_assignment(gb: Gradebook, assignment: str) -> bool:
    try:
        return bool(gb.find_assignment(assignment).notebooks)
    except MissingEntry:
        return False


def copy_assignment(src: Gradebook, dst: Gradebook, assignment: str) -> None:
    """Create or update `assignment` in dst exactly as src defines it (no student data)."""
    from nbgrader.api import Assignment, GradeCell, Notebook, SolutionCell, SourceCell, TaskCell

    a = src.find_assignment(assignment)
    try:
        dst.find_assignment(assignment)
    except MissingEntry:
        # New there: build it in one transaction (nbgrader's update_or_create_* commit per row).
        new = Assignment(name=assignment, duedate=a.duedate, course_id=dst.course_id)
        for nb in a.notebooks:
            n = Notebook(name=nb.name, assignment=new, kernelspec=nb.kernelspec)
            for c in nb.grade_cells:
                GradeCell(name=c.name, max_score=c.max_score, cell_type=c.cell_type, notebook=n)
            for c in nb.solution_cells:
                SolutionCell(name=c.name, notebook=n)
            for c in nb.task_cells:
                TaskCell(name=c.name, max_score=c.max_score, cell_type=c.cell_type, notebook=n)
            for c in nb.source_cells:
                SourceCell(name=c.name, cell_type=c.cell_type, locked=c.locked, source=c.source,
                           checksum=c.checksum, notebook=n)
        dst.db.add(new)
        dst.db.commit()
        return
    kwargs = {"duedate": a.duedate} if a.duedate is not None else {}
    dst.update_or_create_assignment(assignment, **kwargs)
    for nb in a.notebooks:
        dst.update_or_create_notebook(nb.name, assignment)
        for c in nb.grade_cells:
            dst.update_or_create_grade_cell(c.name, nb.name, assignment, max_score=c.max_score,
                                            cell_type=c.cell_type)
        for c in nb.solution_cells:
            dst.update_or_create_solution_cell(c.name, nb.name, assignment)
        for c in nb.task_cells:
            dst.update_or_create_task_cell(c.name, nb.name, assignment, max_score=c.max_score,
                                           cell_type=c.cell_type)
        for c in nb.source_cells:
            dst.update_or_create_source_cell(c.name, nb.name, assignment, cell_type=c.cell_type,
                                             locked=c.locked, source=c.source, checksum=c.checksum)


def definitions(gb: Gradebook, assignment: str) -> dict:
    """{notebook: {"grades": {name: (max_score, cell_type)}, "solutions": [names],
    "source": {name: (locked, cell_type, source)}}}"""
    out = {}
    for nb in gb.find_assignment(assignment).notebooks:
        out[nb.name] = {
            "grades": {c.name: (float(c.max_score), c.cell_type) for c in nb.grade_cells},
            "tasks": sorted(c.name for c in nb.task_cells),
            "solutions": sorted(c.name for c in nb.solution_cells),
            "source": {c.name: (bool(c.locked), c.cell_type, c.source or "") for c in nb.source_cells},
        }
    return out


def student_state(gb: Gradebook, assignment: str, student: str) -> ManualState:
    """Manual scores, extra credit, manual comments and extension already in the gradebook."""
    try:
        sub = gb.find_submission(assignment, student)
    except MissingEntry:
        return ManualState()
    grades, comments = {}, {}
    for nb in sub.notebooks:
        for g in nb.grades:
            if g.manual_score is not None or g.extra_credit is not None:
                grades.setdefault(nb.name, {})[g.name] = (g.manual_score, g.extra_credit)
        for c in nb.comments:
            if c.manual_comment is not None:
                comments.setdefault(nb.name, {})[c.name] = c.manual_comment
    return ManualState(sub.extension.total_seconds() if sub.extension else None, grades, comments, known=True)


def apply_student_state(gb: Gradebook, assignment: str, student: str, state: ManualState) -> None:
    """Put a student's manual grades and extension into a (worker's private) gradebook."""
    if not state.known:
        return
    gb.update_or_create_student(student)
    sub = gb.update_or_create_submission(assignment, student)
    if state.extension is not None:
        sub.extension = _dt.timedelta(seconds=state.extension)
    for nb_name, grades in state.grades.items():
        for name, (manual, extra) in grades.items():
            try:
                g = gb.find_grade(name, nb_name, assignment, student)
            except MissingEntry:
                continue
            g.manual_score, g.extra_credit = manual, extra
    for nb_name, comments in state.comments.items():
        for name, text in comments.items():
            try:
                gb.find_comment(name, nb_name, assignment, student).manual_comment = text
            except MissingEntry:
                continue
    gb.db.commit()


def read_submission(gb: Gradebook, assignment: str, student: str) -> Stored:
    """What nbgrader's autograde stored for one student (in a worker's private gradebook)."""
    sub = gb.find_submission(assignment, student)
    return Stored(sub.timestamp.isoformat() if sub.timestamp else None, {
        nb.name: StoredNotebook(
            {g.name: StoredGrade(g.auto_score, float(g.max_score), bool(g.needs_manual_grade)) for g in nb.grades},
            {c.name: c.auto_comment for c in nb.comments}, nb.late_submission_penalty)
        for nb in sub.notebooks})


def set_scores(gb: Gradebook, assignment: str, student: str, notebooks: dict[str, NotebookResult]) -> None:
    """Store each grade's final auto score, the auto comments and the late penalties."""
    for nb_name, nb in notebooks.items():
        snb = gb.find_submission_notebook(nb_name, assignment, student)
        snb.late_submission_penalty = nb.late_penalty
        grades = {g.name: g for g in snb.grades}
        for name, g in nb.grades.items():
            grade = grades.get(name)
            if grade is None:
                continue
            grade.auto_score = g.final
            # nbgrader's rule (SaveAutoGrades): a manual score or no auto score needs a grader.
            grade.needs_manual_grade = grade.manual_score is not None or grade.auto_score is None
        comments = {c.name: c for c in snb.comments}
        for name, text in nb.comments.items():
            if name in comments:
                comments[name].auto_comment = text
    gb.db.commit()


def merge_student(gb: Gradebook, assignment: str, student: str, result: StudentResult) -> None:
    """Store one student's results in the real gradebook (the main process is the only writer).

    Mirrors what nbgrader's autograde does to the gradebook: the student and the submission
    (timestamp) are created or updated, each notebook's late penalty, each grade's auto_score
    and needs_manual_grade, each comment's auto_comment. Manual scores and comments stay.
    Re-grading a student replaces these values.
    """
    try:
        gb.update_or_create_student(student)
        kwargs = {"timestamp": result.timestamp} if result.timestamp else {}
        gb.update_or_create_submission(assignment, student, **kwargs)
        set_scores(gb, assignment, student, result.notebooks)
    except Exception:
        gb.db.rollback()
        raise


def scores(db_url: str, course_id: str, assignment: str) -> dict:
    """{student: {notebook: {grade: (score, max_score, needs_manual_grade)}}}"""
    out = {}
    with Gradebook(db_url, course_id=course_id) as gb:
        for sub in gb.assignment_submissions(assignment):
            out[sub.student.id] = {nb.name: {g.name: (g.score, g.max_score, g.needs_manual_grade) for g in nb.grades}
                                   for nb in sub.notebooks}
    return out
