"""The bulk merge (deckc/nbgrader/gradebook_merge.py) leaves the rows nbgrader's own API leaves.

Two gradebooks get the same story: students merged, a grader's manual scores, comments and an
extension, a re-grade, a batch that fails. One through nbgrader's API calls (`api_merge`, what
merge_student did before: update_or_create_student, update_or_create_submission,
find_submission_notebook, attributes, a commit per call), one through gradebook.merge_students
(in batches). Then every row of every table is compared by its natural key (nbgrader's ids are
random uuids), and nbgrader's CSV export and formgrader's dicts of the two are compared. Over
SQLite, and over PostgreSQL (DECKC_TEST_PG_URL; skipped locally without it, fails under CI=true).
"""
from __future__ import annotations

import datetime as dt

import pytest
from conftest import pg_schema

gbmod = pytest.importorskip("deckc.nbgrader.gradebook")
from nbgrader.api import MissingEntry  # noqa: E402

A = "hw1"
# (notebook, cell, kinds): "grade"+"solution" is an answer cell with points, "task" a task cell
CELLS = [("a", "q1", ("grade", "solution")), ("a", "t1", ("grade",)), ("a", "t2", ("grade",)),
         ("a", "ans2", ("solution",)), ("a", "essay", ("task",)),
         ("b", "q1", ("grade",)), ("b", "sol", ("solution",))]


def define(gb) -> None:
    gb.update_or_create_assignment(A, duedate="2026-03-01 12:00:00 UTC")
    for nb in ("a", "b"):
        gb.update_or_create_notebook(nb, A)
    for nb, cell, kinds in CELLS:
        if "grade" in kinds:
            gb.update_or_create_grade_cell(cell, nb, A, max_score=2.0, cell_type="code")
        if "solution" in kinds:
            gb.update_or_create_solution_cell(cell, nb, A)
        if "task" in kinds:
            gb.update_or_create_task_cell(cell, nb, A, max_score=3.0, cell_type="markdown")


def api_merge(gb, student: str, result: dict) -> None:
    """The reference: nbgrader's API, as the main process merged a student before the bulk merge."""
    gb.update_or_create_student(student)
    kwargs = {"timestamp": result["timestamp"]} if result.get("timestamp") else {}
    gb.update_or_create_submission(A, student, **kwargs)
    for nb_name, nb in result["notebooks"].items():
        snb = gb.find_submission_notebook(nb_name, A, student)
        if "late_penalty" in nb:
            snb.late_submission_penalty = nb["late_penalty"]
        grades = {g.name: g for g in snb.grades}
        for name, g in nb.get("grades", {}).items():
            if name in grades:
                grades[name].auto_score = g["final"]
                grades[name].needs_manual_grade = grades[name].manual_score is not None or g["final"] is None
        comments = {c.name: c for c in snb.comments}
        for name, text in nb.get("comments", {}).items():
            if name in comments:
                comments[name].auto_comment = text
    gb.db.commit()


def result(scale: float, timestamp=None, late=None, only=None, skip=()) -> dict:
    nbs = {}
    for nb, cell, kinds in CELLS:
        if only and nb not in only:
            continue
        got = nbs.setdefault(nb, {"grades": {}, "comments": {}})
        if late is not None:
            got["late_penalty"] = late
        if "grade" in kinds and cell not in skip:
            got["grades"][cell] = {"final": round(2.0 * scale, 2)}
        if "task" in kinds and cell not in skip:
            got["grades"][cell] = {"final": None}           # a task: no auto score
        if "solution" in kinds or "task" in kinds:
            got["comments"][cell] = f"{cell} of {scale}" if cell not in skip else None
    return {"timestamp": timestamp, "notebooks": nbs}


def grader_edits(gb) -> None:
    """What a human grader does in formgrader between two runs (through nbgrader's API)."""
    g = gb.find_grade("q1", "a", A, "ann")
    g.manual_score, g.extra_credit = 1.5, 0.5
    gb.find_grade("essay", "a", A, "ann").manual_score = 2.0
    gb.find_comment("ans2", "a", A, "ann").manual_comment = "see me"
    gb.find_submission(A, "ann").extension = dt.timedelta(hours=36)
    gb.find_submission_notebook("b", A, "ben").flagged = True
    gb.update_or_create_student("dan", first_name="Dan", email="dan@example.org")   # a roster, no submission
    gb.db.commit()


def story(gb, merge) -> None:
    """merge(gb, [(student, result)]): one call per batch."""
    define(gb)
    merge(gb, [("ann", result(1.0, "2026-02-27 10:00:00.500000 Europe/Berlin")),
               ("ben", result(0.5, late=1.5, skip=("t2",))),
               ("cy", result(0.25, "2026-02-28 23:59:59 UTC", only=("a",)))])
    grader_edits(gb)
    merge(gb, [("ann", result(0.75, "2026-03-02 08:00:00 UTC", late=0.0))])
    merge(gb, [("ben", result(1.0, only=("b",))), ("dan", result(0.5)), ("eve", result(0.0, "2026-03-01 00:00:00"))])
    with pytest.raises(MissingEntry):      # a notebook the gradebook does not know: nothing of the batch
        bad = result(1.0)
        bad["notebooks"]["c"] = {"grades": {}}
        merge(gb, [("fay", result(1.0)), ("gus", bad)])
    assert sorted(s.id for s in gb.students) == ["ann", "ben", "cy", "dan", "eve"]


def rows(gb) -> dict:
    """Every row of the student data, keyed by names (assignment, student, notebook, cell)."""
    from sqlalchemy import text

    q = {
        "student": "SELECT id, first_name, last_name, email, lms_user_id FROM student",
        "submitted_assignment": "SELECT a.name, s.student_id, s.timestamp, s.extension FROM submitted_assignment s "
                                "JOIN assignment a ON a.id = s.assignment_id",
        "submitted_notebook": "SELECT s.student_id, n.name, sn.late_submission_penalty, sn.flagged "
                              "FROM submitted_notebook sn JOIN notebook n ON n.id = sn.notebook_id "
                              "JOIN submitted_assignment s ON s.id = sn.assignment_id",
        "grade": "SELECT s.student_id, n.name, c.name, c.type, g.auto_score, g.manual_score, g.extra_credit, "
                 "g.needs_manual_grade FROM grade g JOIN base_cell c ON c.id = g.cell_id "
                 "JOIN submitted_notebook sn ON sn.id = g.notebook_id JOIN notebook n ON n.id = sn.notebook_id "
                 "JOIN submitted_assignment s ON s.id = sn.assignment_id",
        "comment": "SELECT s.student_id, n.name, c.name, c.type, m.auto_comment, m.manual_comment FROM comment m "
                   "JOIN base_cell c ON c.id = m.cell_id JOIN submitted_notebook sn ON sn.id = m.notebook_id "
                   "JOIN notebook n ON n.id = sn.notebook_id JOIN submitted_assignment s ON s.id = sn.assignment_id",
    }
    out = {name: sorted(tuple(r) for r in gb.db.execute(text(sql)).all()) for name, sql in q.items()}
    # the ids: 32 hex characters and unique, as nbgrader.api.new_uuid makes them
    for table in ("submitted_assignment", "submitted_notebook", "grade", "comment"):
        ids = gb.db.execute(text(f"SELECT id FROM {table}")).scalars().all()
        assert len(set(ids)) == len(ids) and all(len(i) == 32 and int(i, 16) >= 0 for i in ids), table
        out[f"{table} count"] = len(ids)
    return out


def nbgrader_views(gb, tmp_path, tag: str) -> dict:
    """What nbgrader's export and formgrader read from the gradebook."""
    from nbgrader.plugins.export import CsvExportPlugin

    csv = tmp_path / f"grades-{tag}.csv"
    CsvExportPlugin(to=str(csv)).export(gb)
    strip = lambda d: {k: v for k, v in d.items() if k != "id"}  # noqa: E731 - random uuids
    return {"csv": csv.read_text(encoding="utf-8"),
            "submissions": sorted(repr(sorted(strip(d).items())) for d in gb.submission_dicts(A)),
            "notebooks": {nb: sorted(repr(sorted(strip(d).items())) for d in gb.notebook_submission_dicts(nb, A))
                          for nb in ("a", "b")},
            "scores": {s.student.id: (s.score, s.max_score, s.needs_manual_grade, s.late_submission_penalty)
                       for s in gb.assignment_submissions(A)}}


def by_api(gb, batch) -> None:
    if any(nb not in ("a", "b") for _, res in batch for nb in res["notebooks"]):
        raise MissingEntry("unknown notebook")    # a batch is whole or absent: nothing written
    for student, res in batch:
        api_merge(gb, student, res)


def compare(url_old: str, url_new: str, tmp_path) -> None:
    with gbmod.open_gradebook(url_old) as old, gbmod.open_gradebook(url_new) as new:
        story(old, by_api)
        story(new, lambda gb, batch: gbmod.merge_students(gb, A, batch))
        got, want = rows(new), rows(old)
        for table in want:
            assert got[table] == want[table], table
        assert nbgrader_views(new, tmp_path, "new") == nbgrader_views(old, tmp_path, "old")
        # the story reached every case: a manual score kept and still needing a grader, a late penalty
        grades = {(s, nb, c, t): (auto, manual, need) for s, nb, c, t, auto, manual, _, need in want["grade"]}
        assert grades[("ann", "a", "q1", "GradeCell")] == (1.5, 1.5, True)
        assert grades[("ann", "a", "t1", "GradeCell")] == (1.5, None, False)
        assert grades[("ben", "a", "t2", "GradeCell")] == (None, None, True)
        assert ("fay",) not in {(r[0],) for r in want["student"]}
        # what the main process reads back for a student's next job: as nbgrader's objects say
        for student in ("ann", "ben", "cy", "dan", "eve", "zed"):
            assert gbmod.student_state(new, A, student) == api_state(old, student), student
        assert gbmod.student_state(new, A, "ann") == {
            "extension": 36 * 3600.0, "comments": {"a": {"ans2": "see me"}},
            "grades": {"a": {"q1": [1.5, 0.5], "essay": [2.0, None]}}}


def api_state(gb, student: str) -> dict:
    """student_state through nbgrader's objects (lazy loads), as it was read before."""
    try:
        sub = gb.find_submission(A, student)
    except MissingEntry:
        return {}
    state = {"extension": sub.extension.total_seconds() if sub.extension else None, "grades": {}, "comments": {}}
    for nb in sub.notebooks:
        for g in nb.grades:
            if g.manual_score is not None or g.extra_credit is not None:
                state["grades"].setdefault(nb.name, {})[g.name] = [g.manual_score, g.extra_credit]
        for c in nb.comments:
            if c.manual_comment is not None:
                state["comments"].setdefault(nb.name, {})[c.name] = c.manual_comment
    return state


def test_bulk_merge_is_nbgraders_rows_sqlite(tmp_path):
    compare(f"sqlite:///{tmp_path / 'old.db'}", f"sqlite:///{tmp_path / 'new.db'}", tmp_path)


def test_bulk_merge_is_nbgraders_rows_postgres(tmp_path):
    from deckc.grading.run import normalize_db_url

    with pg_schema() as (old, _, _), pg_schema() as (new, _, _):
        compare(normalize_db_url(old), normalize_db_url(new), tmp_path)


def test_set_scores_of_a_private_gradebook(tmp_path):
    """set_scores (a worker after autograde) writes what nbgrader's API writes; no submission: MissingEntry."""
    with gbmod.open_gradebook(f"sqlite:///{tmp_path / 'o.db'}") as old, \
            gbmod.open_gradebook(f"sqlite:///{tmp_path / 'n.db'}") as new:
        for gb in (old, new):
            define(gb)
            gb.update_or_create_student("ann")
            gb.update_or_create_submission(A, "ann", timestamp="2026-02-27 10:00:00 UTC")
            gb.find_grade("t1", "a", A, "ann").manual_score = 1.0
            gb.db.commit()
        scored = result(0.5, late=2.0)
        api_merge(old, "ann", dict(scored, timestamp=None))
        gbmod.set_scores(new, A, "ann", scored["notebooks"])
        assert rows(new) == rows(old)
        with pytest.raises(MissingEntry):
            gbmod.set_scores(new, A, "zed", scored["notebooks"])


def test_a_workers_private_gradebook_keeps_one_engine_checks_its_schema_once_and_skips_fsync(tmp_path):
    """scratch_gradebook.install (a grading worker's private copy): every Gradebook of that URL
    shares one engine, lists and creates the tables only once, runs with synchronous=OFF, and
    stores the rows it stores without; any other URL (the real gradebook) is untouched."""
    from sqlalchemy import event, text

    from deckc.nbgrader import scratch_gradebook

    private, real = f"sqlite:///{tmp_path / 'private.db'}", f"sqlite:///{tmp_path / 'real.db'}"
    with gbmod.open_gradebook(private):
        pass                                  # the template a worker copies: tables exist
    assert scratch_gradebook.install(private)
    with gbmod.open_gradebook(private) as gb:
        story(gb, by_api)                      # nbgrader's API calls, a commit each
        engine = gb.engine
    statements = []
    event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    with gbmod.open_gradebook(private) as a, gbmod.open_gradebook(private) as b:
        assert a.engine is b.engine is engine
        assert a.db.execute(text("PRAGMA synchronous")).scalar() == 0        # OFF
        got = rows(a)
    assert not [s for s in statements if "sqlite_master" in s or "table_info" in s], statements
    with gbmod.open_gradebook(real) as gb:
        assert gb.engine is not engine
        assert gb.db.execute(text("PRAGMA synchronous")).scalar() == 2        # SQLite's default, FULL
        story(gb, by_api)
        assert got == rows(gb)
