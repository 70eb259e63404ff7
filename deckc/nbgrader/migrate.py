"""Moving a lesson's course folder of the per-lesson layout (OUT/<lesson>/course/) into the module's
course (OUT/course/), graders' data and all.

Until one course per module, every lesson had its own nbgrader course folder, its own course id
(the lesson id) and its own gradebook. A build of that lesson into the same OUT migrates it,
once, before the assignment is published, so nothing is ever in two live courses:

1. the graders' folders move (rename, so no copy doubles them): submitted/<s>/<a>/,
   autograded/<s>/<a>/, feedback/<s>/<a>/, downloaded/<a>/, and deckc grade's reports/<a>/ and
   lms/<a>.csv; if OUT/course/ already has one of them the build stops, moves nothing and says
   which (a person must choose);
2. the old gradebook's rows (students, the assignment, its notebooks and cells, submissions,
   grades with manual scores, comments) are copied into OUT/course/gradebook.db in one
   transaction, the assignment now under the module's course id (a student both know keeps the
   module's row); a gradebook whose tables are not nbgrader 0.9's, or not at its alembic head, is
   refused with the command that upgrades it;
3. what is left of the old folder (its gradebook, config, source/ and release/, any file a user
   put there) moves to OUT/course/migrated/<lesson>/ as a backup that no deckc or nbgrader
   command reads (nbgrader reads only the course folder's own config).

Each step can be re-run after a crash: moved folders are gone from the old place, and a gradebook
whose assignment already has the old row's id was merged before.
"""
from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from ..errors import BuildError
from . import installed as nbgrader_info, layout, native_gradebook as gradebook_db

STUDENT_FOLDERS = (layout.SUBMITTED, layout.AUTOGRADED, layout.FEEDBACK)   # <folder>/<student>/<assignment>/
ASSIGNMENT_FOLDERS = (layout.DOWNLOADED, "reports")                        # <folder>/<assignment>/
MIGRATED = "migrated"
# Every table of nbgrader 0.9's gradebook but course and assignment (rewritten), in foreign-key order.
ROW_TABLES = ("notebook", "base_cell", "grade_cells", "solution_cells", "task_cells", "source_cell",
              "submitted_assignment", "submitted_notebook", "grade", "comment")


def migrate_lesson(old: Path, course: Path, course_id: str) -> dict | None:
    """Move OUT/<lesson>/course/ (if there is one) into the module's course; what moved, or None."""
    if not old.is_dir() or old.is_symlink():
        return None
    moves = _planned_moves(old, course)
    clashes = [dst for _, dst in moves if dst.exists() or dst.is_symlink()]
    if clashes:
        raise BuildError(
            f"{old} is a course folder of deckc's earlier per-lesson layout; its graders' data would move "
            f"into {course}, which already has {', '.join(str(c.relative_to(course)) for c in clashes[:5])}"
            f"{' ...' if len(clashes) > 5 else ''}. Nothing was moved: move one of them away by hand "
            "(or merge them), then build again")
    gradebook = layout.gradebook_path(old)
    merged = _merge_gradebook(gradebook, layout.gradebook_path(course), course_id) if gradebook.is_file() else 0
    for src, dst in moves:
        dst.parent.mkdir(parents=True, exist_ok=True)
        src.rename(dst)
    backup = course / MIGRATED / old.parent.name
    if backup.exists():
        raise BuildError(f"{old}: its data moved into {course}, but the backup folder {backup} already exists; "
                         f"move it away and build again")
    backup.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(str(old), str(backup))
    return {"from": str(old), "backup": str(backup), "folders": len(moves), "submissions": merged}


def _planned_moves(old: Path, course: Path) -> list[tuple[Path, Path]]:
    moves = []
    for name in STUDENT_FOLDERS:
        for student in sorted(_dirs(old / name)):
            for work in sorted(_dirs(student)):
                moves.append((work, course / name / student.name / work.name))
    for name in ASSIGNMENT_FOLDERS:
        for work in sorted(_dirs(old / name)):
            moves.append((work, course / name / work.name))
    lms = old / "lms"
    if lms.is_dir():
        moves += [(f, course / "lms" / f.name) for f in sorted(lms.iterdir()) if f.is_file()]
    return moves


def _dirs(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return [p for p in folder.iterdir() if p.is_dir() and not p.is_symlink()]


def _merge_gradebook(old: Path, new: Path, course_id: str) -> int:
    """Copy every row of the old gradebook into the new one (one transaction); submissions copied."""
    head = nbgrader_info.alembic_head()
    _check(old, head)
    if new.is_file():
        _check(new, head)
    new.parent.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(str(new), isolation_level=None)
    try:
        con.execute("BEGIN IMMEDIATE")
        if not con.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall():
            for sql in gradebook_db.TABLES:
                con.execute(sql)
            con.execute(gradebook_db.ALEMBIC_TABLE)
            con.execute("INSERT INTO alembic_version (version_num) VALUES (?)", (head,))
        con.execute("ATTACH DATABASE ? AS old", (str(old),))
        old_assignments = con.execute("SELECT id, name FROM old.assignment").fetchall()
        done = {a for (a,) in con.execute("SELECT id FROM main.assignment")}
        if old_assignments and all(a in done for a, _ in old_assignments):
            con.execute("ROLLBACK")       # merged by an earlier run that stopped before the backup moved
            return 0
        taken = {n for (n,) in con.execute("SELECT name FROM main.assignment")} & {n for _, n in old_assignments}
        if taken:
            raise BuildError(f"{new} already has assignment {', '.join(sorted(taken))}, and so has {old} of "
                             "deckc's earlier per-lesson layout; nothing was moved. Keep one: remove the "
                             "other's folder (or that assignment from its gradebook) and build again")
        for cid in (course_id, gradebook_db.DEFAULT_COURSE):
            con.execute("INSERT OR IGNORE INTO main.course (id) VALUES (?)", (cid,))
        con.execute("INSERT OR IGNORE INTO main.student SELECT * FROM old.student")
        con.execute("INSERT INTO main.assignment (id, name, duedate, course_id) "
                    "SELECT id, name, duedate, ? FROM old.assignment", (course_id,))
        for table in ROW_TABLES:
            con.execute(f"INSERT INTO main.{table} SELECT * FROM old.{table}")
        submissions = con.execute("SELECT count(*) FROM old.submitted_assignment").fetchone()[0]
        con.execute("COMMIT")
        return submissions
    except sqlite3.DatabaseError as e:
        raise BuildError(f"migrating {old} into {new}: {e}; nothing was changed") from e
    finally:
        if con.in_transaction:
            con.execute("ROLLBACK")
        con.close()


def _check(path: Path, head: str | None) -> None:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        schema = gradebook_db._schema(con)
        versions = [r[0] for r in con.execute("SELECT version_num FROM alembic_version")] \
            if any(r[1] == "alembic_version" for r in schema) else []
    except sqlite3.DatabaseError as e:
        raise BuildError(f"{path}: cannot read this gradebook ({e}); nothing was moved") from e
    finally:
        con.close()
    if schema != gradebook_db.expected_schema() or head is None or versions != [head]:
        raise BuildError(f"{path} is not a gradebook of nbgrader 0.9 at its latest revision, so deckc will not "
                         f"merge it; nothing was moved. Upgrade it first: cd {path.parent} && nbgrader db upgrade")
