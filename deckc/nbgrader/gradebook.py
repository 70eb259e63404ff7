"""The gradebook through nbgrader's own API (nbgrader.api.Gradebook), for deckc grade.

- open_gradebook: a Gradebook; a new database is created as nbgrader creates it, with its
  alembic revision read from nbgrader's files (installed.alembic_head) instead of nbgrader's
  `alembic heads` subprocess (3.4 s for each new database; deckc makes one per run, the
  workers' template). nbgrader.api is not patched: the tables exist before it opens them.
- copy_assignment: an assignment's definition (notebooks, grade/solution/task/source cells) from
  one gradebook to another: the real gradebook -> each worker's private SQLite copy, and, when
  the real gradebook (a fresh PostgreSQL database) does not know the assignment yet, the other
  way round.
- student_state: what the real gradebook already holds for a student (manual scores, extension),
  so a worker's private copy computes the same needs_manual_grade and late penalties.
- merge_students / merge_student: the main process (the only writer) stores students' results,
  in bulk, one transaction per call (gradebook_merge.py).
- scores: {student: {notebook: {grade: (score, max, needs_manual)}}} for tests and summaries.
- a grading worker's private copy is opened through scratch_gradebook.py (one engine per
  process, the schema checked once, no fsync); open_gradebook skips its table check there.

Imports nbgrader (~3.5 s): only grading processes load this module. The gradebook rows of a
release, written without nbgrader, are native_gradebook.py's.
"""
from __future__ import annotations

import datetime as _dt

from nbgrader.api import Gradebook, MissingEntry  # noqa: F401 - re-exported

from . import gradebook_merge, installed
from .layout import DEFAULT_COURSE_ID


def _create_new(db_url: str) -> None:
    """What Gradebook() does to an empty database (create_all, then the alembic_version table
    stamped with nbgrader's head), with the head read from nbgrader's files. A database with
    tables, or a head that cannot be read, is left to nbgrader."""
    from nbgrader.api import Base
    from sqlalchemy import create_engine, inspect, text

    from . import scratch_gradebook
    if scratch_gradebook.is_private(db_url):     # a worker's private copy, its tables known
        return
    head = installed.alembic_head()
    if head is None:
        return
    engine = create_engine(db_url, future=True)
    try:
        if inspect(engine).get_table_names():
            return
        with engine.begin() as con:
            Base.metadata.create_all(bind=con)
            con.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL);"))
            con.execute(text("INSERT INTO alembic_version (version_num) VALUES (:head);"), {"head": head})
    finally:
        engine.dispose()


def open_gradebook(db_url: str, course_id: str = DEFAULT_COURSE_ID) -> Gradebook:
    _create_new(db_url)
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


def student_state(gb: Gradebook, assignment: str, student: str) -> dict:
    """Manual scores, extra credit, manual comments and extension already in the gradebook, in
    three queries (the main process asks this for every student it sends out)."""
    from nbgrader.api import Assignment, BaseCell, Comment, Grade, Notebook, SubmittedAssignment, SubmittedNotebook
    from sqlalchemy import select

    found = gb.db.execute(select(SubmittedAssignment.id, SubmittedAssignment.extension)
                          .join(Assignment, Assignment.id == SubmittedAssignment.assignment_id)
                          .where(Assignment.name == assignment, SubmittedAssignment.student_id == student)).all()
    if not found:
        return {}
    sub_id, extension = found[0]
    state = {"extension": extension.total_seconds() if extension else None, "grades": {}, "comments": {}}

    def rows(table, *columns, where):
        return gb.db.execute(select(Notebook.name, BaseCell.name, *columns)
                             .join(BaseCell, BaseCell.id == table.cell_id)
                             .join(SubmittedNotebook, SubmittedNotebook.id == table.notebook_id)
                             .join(Notebook, Notebook.id == SubmittedNotebook.notebook_id)
                             .where(SubmittedNotebook.assignment_id == sub_id, where)
                             .order_by(Notebook.name, BaseCell.name)).all()

    for nb, name, manual, extra in rows(Grade, Grade.manual_score, Grade.extra_credit,
                                        where=(Grade.manual_score.is_not(None) | Grade.extra_credit.is_not(None))):
        state["grades"].setdefault(nb, {})[name] = [manual, extra]
    for nb, name, text in rows(Comment, Comment.manual_comment, where=Comment.manual_comment.is_not(None)):
        state["comments"].setdefault(nb, {})[name] = text
    return state


def apply_student_state(gb: Gradebook, assignment: str, student: str, state: dict) -> None:
    """Put a student's manual grades and extension into a (worker's private) gradebook."""
    if not state:
        return
    gb.update_or_create_student(student)
    sub = gb.update_or_create_submission(assignment, student)
    if state.get("extension") is not None:
        sub.extension = _dt.timedelta(seconds=state["extension"])
    for nb_name, grades in state.get("grades", {}).items():
        for name, (manual, extra) in grades.items():
            try:
                g = gb.find_grade(name, nb_name, assignment, student)
            except MissingEntry:
                continue
            g.manual_score, g.extra_credit = manual, extra
    for nb_name, comments in state.get("comments", {}).items():
        for name, text in comments.items():
            try:
                gb.find_comment(name, nb_name, assignment, student).manual_comment = text
            except MissingEntry:
                continue
    gb.db.commit()


def read_submission(gb: Gradebook, assignment: str, student: str) -> dict:
    """What nbgrader's autograde stored for one student (in a worker's private gradebook)."""
    sub = gb.find_submission(assignment, student)
    out = {"timestamp": sub.timestamp.isoformat() if sub.timestamp else None, "notebooks": {}}
    for nb in sub.notebooks:
        out["notebooks"][nb.name] = {
            "late_penalty": nb.late_submission_penalty,
            "grades": {g.name: {"auto_score": g.auto_score, "needs_manual_grade": bool(g.needs_manual_grade),
                                "max_score": float(g.max_score)} for g in nb.grades},
            "comments": {c.name: c.auto_comment for c in nb.comments},
        }
    return out


def create_submission(gb: Gradebook, assignment: str, student: str) -> None:
    """The student and a submission of every notebook (grades without scores), as nbgrader's
    autograde records a submission before grading it."""
    gb.update_or_create_student(student)
    gb.update_or_create_submission(assignment, student)
    gb.db.commit()


def set_scores(gb: Gradebook, assignment: str, student: str, notebooks: dict) -> None:
    """Store final auto scores and auto comments of an existing submission (a worker's private
    gradebook): notebooks = {nb: {"grades": {name: {"final": x}}, "comments": {name: text},
    "late_penalty": p}} (the shape of a worker's result). One transaction (gradebook_merge)."""
    gradebook_merge.set_scores(gb, assignment, student, notebooks)


def merge_students(gb: Gradebook, assignment: str, results: list[tuple[str, dict]]) -> None:
    """Store students' results in the real gradebook (the main process is the only writer), all
    in one transaction: results = [(student, {"timestamp": ..., "notebooks": ...})].

    The rows nbgrader's autograde leaves: the student and the submission (timestamp) created or
    updated, each notebook's late penalty, each grade's auto_score and needs_manual_grade, each
    comment's auto_comment. Manual scores and comments stay. Re-grading a student replaces these
    values. Written in bulk (gradebook_merge.py), row for row what nbgrader's API writes.
    """
    gradebook_merge.merge(gb, assignment, results)


def merge_student(gb: Gradebook, assignment: str, student: str, result: dict) -> None:
    """One student's results (merge_students), in one transaction."""
    gradebook_merge.merge(gb, assignment, [(student, result)])


def scores(db_url: str, course_id: str, assignment: str) -> dict:
    """{student: {notebook: {grade: (score, max_score, needs_manual_grade)}}}"""
    out = {}
    with open_gradebook(db_url, course_id) as gb:
        for sub in gb.assignment_submissions(assignment):
            out[sub.student.id] = {nb.name: {g.name: (g.score, g.max_score, g.needs_manual_grade) for g in nb.grades}
                                   for nb in sub.notebooks}
    return out
