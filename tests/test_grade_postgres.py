"""`deckc grade` into a real PostgreSQL gradebook (courses with several graders).

Needs a server: DECKC_TEST_PG_URL=postgresql://user:password@127.0.0.1:port/db, which .ci/run
provides (it installs PostgreSQL and starts a throwaway cluster on loopback). Without it these
tests skip on a laptop and fail under CI=true. Each run works in a schema of its own, dropped
afterwards.
"""
from __future__ import annotations

import os
import uuid

import pytest

from grade_support import ASSIGNMENT, NO_TANH, TIMEOUT, expected_parts, grade, new_course, observed, scores, submit

STUDENTS = {"ann": "reference", "ben": "no_tanh", "eve": "quiz_wrong"}
LOST = {"ann": set(), "ben": NO_TANH, "eve": {"quick_check"}}


def require_pg_url() -> str:
    """DECKC_TEST_PG_URL, or skip (locally) / fail (CI=true)."""
    url = os.environ.get("DECKC_TEST_PG_URL", "")
    if url:
        return url
    msg = "no PostgreSQL server: set DECKC_TEST_PG_URL (.ci/run starts one)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(msg + " -- CI=true, so this is an error, not a skip")
    pytest.skip(msg)


@pytest.fixture(scope="module")
def pg_url():
    url = require_pg_url()
    import psycopg

    schema = f"deckc_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        yield f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}", url, schema
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


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
