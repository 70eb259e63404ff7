"""`deckc grade` into a real PostgreSQL gradebook (courses with several graders).

Needs a server: DECKC_TEST_PG_URL=postgresql://user:password@127.0.0.1:port/db, which .ci/run
provides (it installs PostgreSQL and starts a throwaway cluster on loopback). Without it these
tests skip on a laptop and fail under CI=true. Each run works in a schema of its own, dropped
afterwards.
"""
from __future__ import annotations

import pytest
from conftest import pg_schema, require_pg_url  # noqa: F401 - require_pg_url: test_grade_cluster's import
from grade_support import ASSIGNMENT, NO_TANH, TIMEOUT, expected_parts, grade, new_course, observed, scores, submit

STUDENTS = {"ann": "reference", "ben": "no_tanh", "eve": "quiz_wrong"}
LOST = {"ann": set(), "ben": NO_TANH, "eve": {"quick_check"}}


@pytest.fixture(scope="module")
def pg_url():
    with pg_schema() as scoped:
        yield scoped


@pytest.fixture(scope="module")
def pg_graded(pg_url, tmp_path_factory):
    url, _, _ = pg_url
    course = new_course(tmp_path_factory.mktemp("pg") / "course")
    handed_in = {s: submit(course, s, kind) for s, kind in STUDENTS.items()}
    result = grade(course, "--db", url, "--jobs", "2", "--timeout", TIMEOUT, "--no-feedback")
    return {"course": course, "url": url, "result": result, "handed_in": handed_in}


def test_grades_land_in_postgres(pg_graded):
    assert pg_graded["result"].exit_code == 0, pg_graded["result"].output
    assert "gradebook postgresql+psycopg://" in pg_graded["result"].output
    assert ":***@" in pg_graded["result"].output                # the password is not printed
    got = scores(pg_graded["course"], pg_graded["url"])
    for student in STUDENTS:
        assert observed(got[student]) == expected_parts(pg_graded["handed_in"][student], LOST[student]), student
    # the course's own SQLite gradebook was not the one written
    assert scores(pg_graded["course"]) == {}


def test_regrade_through_nbgrader_config_db_url(pg_graded, pg_url):
    """The course's nbgrader_config.py db_url (no --db) is used; re-grading replaces, no duplicates."""
    import psycopg

    url, plain, schema = pg_url
    course = pg_graded["course"]
    with open(course / "nbgrader_config.py", "a", encoding="utf-8") as f:
        f.write(f"\nc.CourseDirectory.db_url = {url!r}\n")
    result = grade(course, "-s", "ben", "-s", "eve", "--jobs", "2", "--timeout", TIMEOUT, "--no-feedback")
    assert result.exit_code == 0, result.output
    got = scores(course, url)
    for student in STUDENTS:
        assert observed(got[student]) == expected_parts(pg_graded["handed_in"][student], LOST[student]), student
    with psycopg.connect(plain) as conn:
        conn.execute(f"SET search_path TO {schema}")
        assert conn.execute("SELECT count(*) FROM submitted_assignment").fetchone()[0] == len(STUDENTS)
        assert conn.execute("SELECT count(*) FROM grade").fetchone()[0] == 30 * len(STUDENTS)
        assert conn.execute("SELECT count(*) FROM assignment WHERE name = %s", (ASSIGNMENT,)).fetchone()[0] == 1
