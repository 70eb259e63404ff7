"""The gradebook rows of nbgrader's generate_assignment, written natively with sqlite3.

nbgrader 0.9 keeps its gradebook with SQLAlchemy models (nbgrader/api.py); generate_assignment
touches it in three places, replicated here in that order, in one transaction:

1. ``GenerateAssignment.init_assignment``: ``Gradebook(db_url, course_id)`` creates the tables of a
   new gradebook (the DDL below is what SQLAlchemy's create_all emits for nbgrader 0.9.x) and the
   ``alembic_version`` table stamped with nbgrader's alembic head, adds the course row, then
   ``update_or_create_assignment`` (new: course_id = the course id of the config) and
   ``_clean_old_notebooks`` (notebooks no longer in source/ are removed, cells and all).
2. ``SaveCells``, once per notebook (sorted by file name): it opens ``Gradebook(db_url)`` with no
   course id, which is why every gradebook also holds a ``default_course`` row; then, if the
   notebook exists, removes it with its cells and adds it again *with its old id*, and each cell
   keeps the id it had (SaveCells copies ``to_dict()``, id included, into the new rows); new
   notebooks and cells get ``uuid4().hex`` ids.
3. Rows are added in nbgrader's order (notebook, grade cells, solution cells, task cells, source
   cells; a joined-inheritance cell is a ``base_cell`` row then its ``*_cells`` row), so even
   SQLite's rowids come out the same.

:func:`save` raises :class:`NotNative` (and changes nothing) where it cannot be sure to do what
nbgrader would: a gradebook whose tables are not exactly this schema, whose alembic revision is
not nbgrader's head, or whose assignment already has submissions (nbgrader's rules about
changing graded cells then apply). The caller then runs nbgrader itself.
"""
from __future__ import annotations

import sqlite3
import uuid
from pathlib import Path

DEFAULT_COURSE = "default_course"


class NotNative(Exception):
    """The native release cannot be sure to match nbgrader's here; run nbgrader instead."""


def _table(name: str, *lines: str) -> str:
    # SQLAlchemy's CREATE TABLE layout, as SQLite keeps it in sqlite_master.
    return f"CREATE TABLE {name} (\n\t" + ", \n\t".join(lines) + "\n)"


# nbgrader 0.9.x's tables, in create_all's order (SQLite adds the sqlite_autoindex_* indexes).
TABLES = (
    _table("student", "id VARCHAR(128) NOT NULL", "first_name VARCHAR(128)", "last_name VARCHAR(128)",
           "email VARCHAR(128)", "lms_user_id VARCHAR(128)", "PRIMARY KEY (id)"),
    _table("course", "id VARCHAR(128) NOT NULL", "PRIMARY KEY (id)", "UNIQUE (id)"),
    _table("assignment", "id VARCHAR(32) NOT NULL", "name VARCHAR(128) NOT NULL", "duedate DATETIME",
           "course_id VARCHAR(128) NOT NULL", "PRIMARY KEY (id)", "UNIQUE (name)",
           "FOREIGN KEY(course_id) REFERENCES course (id)"),
    _table("notebook", "id VARCHAR(32) NOT NULL", "name VARCHAR(128) NOT NULL", "assignment_id VARCHAR(32)",
           "kernelspec VARCHAR(1024)", "PRIMARY KEY (id)", "UNIQUE (name, assignment_id)",
           "FOREIGN KEY(assignment_id) REFERENCES assignment (id)"),
    _table("submitted_assignment", "id VARCHAR(32) NOT NULL", "assignment_id VARCHAR(32)",
           "student_id VARCHAR(128)", "timestamp DATETIME", "extension DATETIME", "PRIMARY KEY (id)",
           "UNIQUE (assignment_id, student_id)", "FOREIGN KEY(assignment_id) REFERENCES assignment (id)",
           "FOREIGN KEY(student_id) REFERENCES student (id)"),
    _table("base_cell", "id VARCHAR(32) NOT NULL", "name VARCHAR(128) NOT NULL",
           "notebook_id VARCHAR(32) NOT NULL", "type VARCHAR(50)", "PRIMARY KEY (id)",
           "UNIQUE (name, notebook_id, type)", "FOREIGN KEY(notebook_id) REFERENCES notebook (id)"),
    _table("source_cell", "id VARCHAR(32) NOT NULL", "name VARCHAR(128) NOT NULL",
           "cell_type VARCHAR(8) NOT NULL", "locked BOOLEAN NOT NULL", "source TEXT", "checksum VARCHAR(128)",
           "notebook_id VARCHAR(32)", "PRIMARY KEY (id)", "UNIQUE (name, notebook_id)",
           "FOREIGN KEY(notebook_id) REFERENCES notebook (id)"),
    _table("submitted_notebook", "id VARCHAR(32) NOT NULL", "assignment_id VARCHAR(32)",
           "notebook_id VARCHAR(32)", "flagged BOOLEAN", "late_submission_penalty FLOAT", "PRIMARY KEY (id)",
           "UNIQUE (notebook_id, assignment_id)",
           "FOREIGN KEY(assignment_id) REFERENCES submitted_assignment (id)",
           "FOREIGN KEY(notebook_id) REFERENCES notebook (id)"),
    _table("grade_cells", "id VARCHAR(32) NOT NULL", "max_score FLOAT NOT NULL", "cell_type VARCHAR(8) NOT NULL",
           "PRIMARY KEY (id)", "FOREIGN KEY(id) REFERENCES base_cell (id)"),
    _table("solution_cells", "id VARCHAR(32) NOT NULL", "PRIMARY KEY (id)",
           "FOREIGN KEY(id) REFERENCES base_cell (id)"),
    _table("task_cells", "id VARCHAR(32) NOT NULL", "max_score FLOAT NOT NULL", "cell_type VARCHAR(8) NOT NULL",
           "PRIMARY KEY (id)", "FOREIGN KEY(id) REFERENCES base_cell (id)"),
    _table("grade", "id VARCHAR(32) NOT NULL", "notebook_id VARCHAR(32)", "cell_id VARCHAR(32)",
           "auto_score FLOAT", "manual_score FLOAT", "extra_credit FLOAT", "needs_manual_grade BOOLEAN NOT NULL",
           "PRIMARY KEY (id)", "UNIQUE (cell_id, notebook_id)",
           "FOREIGN KEY(notebook_id) REFERENCES submitted_notebook (id)",
           "FOREIGN KEY(cell_id) REFERENCES base_cell (id)"),
    _table("comment", "id VARCHAR(32) NOT NULL", "notebook_id VARCHAR(32)", "cell_id VARCHAR(32)",
           "auto_comment TEXT", "manual_comment TEXT", "PRIMARY KEY (id)", "UNIQUE (cell_id, notebook_id)",
           "FOREIGN KEY(notebook_id) REFERENCES submitted_notebook (id)",
           "FOREIGN KEY(cell_id) REFERENCES base_cell (id)"),
)
# Gradebook.__init__ creates this one by hand, right after create_all, for a new database only.
ALEMBIC_TABLE = "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)"

# Cell kinds: the record key (preprocessors.save_cells), the polymorphic type, the subtable and its columns.
CELL_KINDS = (
    ("grade_cells", "GradeCell", "grade_cells", ("max_score", "cell_type")),
    ("solution_cells", "SolutionCell", "solution_cells", ()),
    ("task_cells", "TaskCell", "task_cells", ("max_score", "cell_type")),
)
SOURCE_COLUMNS = ("cell_type", "locked", "source", "checksum")


def new_id() -> str:
    return uuid.uuid4().hex  # nbgrader.api.new_uuid


def expected_schema() -> list[tuple]:
    """(type, name, tbl_name, sql) of every object a gradebook nbgrader 0.9 creates, sorted."""
    con = sqlite3.connect(":memory:")
    try:
        for sql in (*TABLES, ALEMBIC_TABLE):
            con.execute(sql)
        return _schema(con)
    finally:
        con.close()


def _schema(con) -> list[tuple]:
    return sorted(con.execute("SELECT type, name, tbl_name, sql FROM sqlite_master").fetchall(),
                  key=lambda row: (row[0], row[1]))


def save(path: Path, course_id: str, assignment: str, notebooks: list[dict], head: str) -> None:
    """Record `assignment` and its notebooks in the gradebook at `path` as generate_assignment does.

    notebooks: in nbgrader's order (sorted file names), each {"name", "kernelspec", "grade_cells",
    "solution_cells", "task_cells", "source_cells"} as preprocessors.save_cells records them. One
    transaction: on any error nothing changes (and a gradebook this call created is removed).
    """
    path = Path(path)
    created = not path.exists()
    con = sqlite3.connect(str(path), isolation_level=None)
    try:
        con.execute("BEGIN IMMEDIATE")
        if not _table_names(con):
            _create_schema(con, head)
        else:
            _check_existing(con, head, assignment)
        _check_course(con, course_id)
        assignment_id = _update_or_create_assignment(con, assignment, course_id)
        _clean_old_notebooks(con, assignment_id, [nb["name"] for nb in notebooks])
        for nb in notebooks:
            _check_course(con, DEFAULT_COURSE)  # SaveCells' Gradebook(db_url) has no course id
            _save_notebook(con, assignment_id, nb)
        con.execute("COMMIT")
    except BaseException:
        if con.in_transaction:
            con.execute("ROLLBACK")
        con.close()
        if created:
            path.unlink(missing_ok=True)
        raise
    con.close()


# --------------------------------------------------------------------------- Gradebook.__init__


def _table_names(con) -> list[str]:
    # SQLAlchemy's inspector: tables only, SQLite's own excluded
    return [r[0] for r in con.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite~_%' ESCAPE '~'")]


def _create_schema(con, head: str) -> None:
    for sql in TABLES:
        con.execute(sql)
    con.execute(ALEMBIC_TABLE)
    con.execute("INSERT INTO alembic_version (version_num) VALUES (?)", (head,))


def _check_existing(con, head: str, assignment: str) -> None:
    if _schema(con) != expected_schema():
        raise NotNative("the gradebook's tables are not those of nbgrader 0.9")
    versions = [r[0] for r in con.execute("SELECT version_num FROM alembic_version")]
    if versions != [head]:
        raise NotNative(f"the gradebook's alembic revision is {versions}, nbgrader's head is {head!r}")
    submissions = con.execute(
        "SELECT count(*) FROM submitted_assignment s JOIN assignment a ON a.id = s.assignment_id "
        "WHERE a.name = ?", (assignment,)).fetchone()[0]
    submissions += con.execute(
        "SELECT count(*) FROM submitted_notebook s JOIN notebook n ON n.id = s.notebook_id "
        "JOIN assignment a ON a.id = n.assignment_id WHERE a.name = ?", (assignment,)).fetchone()[0]
    if submissions:
        raise NotNative(f"assignment {assignment!r} has submissions in the gradebook")


def _check_course(con, course_id: str) -> None:
    if course_id and not con.execute("SELECT 1 FROM course WHERE id = ?", (course_id,)).fetchone():
        con.execute("INSERT INTO course (id) VALUES (?)", (course_id,))


# --------------------------------------------------------------------------- GenerateAssignment


def _update_or_create_assignment(con, name: str, course_id: str) -> str:
    row = con.execute("SELECT id FROM assignment WHERE name = ?", (name,)).fetchone()
    if row:
        return row[0]  # generate_assignment passes no attributes to update
    assignment_id = new_id()
    con.execute("INSERT INTO assignment (id, name, duedate, course_id) VALUES (?, ?, NULL, ?)",
                (assignment_id, name, course_id))
    return assignment_id


def _notebooks(con, assignment_id: str) -> dict[str, str]:
    return dict(con.execute("SELECT name, id FROM notebook WHERE assignment_id = ?", (assignment_id,)))


def _clean_old_notebooks(con, assignment_id: str, names: list[str]) -> None:
    old = _notebooks(con, assignment_id)
    for name in sorted(set(old) - set(names)):
        _remove_notebook(con, old[name])


def _remove_notebook(con, notebook_id: str) -> None:
    """Gradebook.remove_notebook (there are no submissions): its cells, then the notebook."""
    subtables = {kind: table for _, kind, table, _ in CELL_KINDS}
    for cell_id, kind in con.execute("SELECT id, type FROM base_cell WHERE notebook_id = ?",
                                     (notebook_id,)).fetchall():
        if kind not in subtables:  # SQLAlchemy could not even load such a row
            raise NotNative(f"the gradebook holds a cell of unknown type {kind!r}")
        con.execute(f"DELETE FROM {subtables[kind]} WHERE id = ?", (cell_id,))
        con.execute("DELETE FROM base_cell WHERE id = ?", (cell_id,))
    con.execute("DELETE FROM source_cell WHERE notebook_id = ?", (notebook_id,))
    con.execute("DELETE FROM notebook WHERE id = ?", (notebook_id,))


# --------------------------------------------------------------------------- SaveCells


def _save_notebook(con, assignment_id: str, nb: dict) -> None:
    old_id = _notebooks(con, assignment_id).get(nb["name"])
    old_cells = _cell_ids(con, old_id) if old_id else {}
    if old_id:
        _remove_notebook(con, old_id)
    notebook_id = old_id or new_id()
    con.execute("INSERT INTO notebook (id, name, assignment_id, kernelspec) VALUES (?, ?, ?, ?)",
                (notebook_id, nb["name"], assignment_id, nb["kernelspec"]))
    for key, kind, table, columns in CELL_KINDS:
        for name, info in nb[key].items():
            cell_id = old_cells.get((kind, name)) or new_id()
            con.execute("INSERT INTO base_cell (id, name, notebook_id, type) VALUES (?, ?, ?, ?)",
                        (cell_id, name, notebook_id, kind))
            con.execute(f"INSERT INTO {table} ({', '.join(('id',) + columns)}) "
                        f"VALUES ({', '.join('?' * (1 + len(columns)))})",
                        (cell_id, *(info[c] for c in columns)))
    for name, info in nb["source_cells"].items():
        cell_id = old_cells.get(("SourceCell", name)) or new_id()
        con.execute("INSERT INTO source_cell (id, name, cell_type, locked, source, checksum, notebook_id) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (cell_id, name, *(info[c] for c in SOURCE_COLUMNS), notebook_id))


def _cell_ids(con, notebook_id: str) -> dict[tuple[str, str], str]:
    """{(kind, name): id} of a notebook's cells, as find_grade_cell & co. find them."""
    ids = {}
    for _, kind, table, _ in CELL_KINDS:
        for name, cell_id in con.execute(
                f"SELECT b.name, b.id FROM base_cell b JOIN {table} t ON t.id = b.id WHERE b.notebook_id = ?",
                (notebook_id,)):
            ids[(kind, name)] = cell_id
    for name, cell_id in con.execute("SELECT name, id FROM source_cell WHERE notebook_id = ?", (notebook_id,)):
        ids[("SourceCell", name)] = cell_id
    return ids
