"""LMS in and out: Canvas's and Moodle's submission downloads taken in (ids through a roster,
late marks, times), the grade-import CSVs written in each LMS's own format, and the item analysis.

The naming and format pieces run on their own (fast); one test grades a Canvas download and a
Moodle download of the quick check for real (`deckc grade --from-zip --roster`) and exports.
"""
from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import pytest

from deckc.grading import lms_export, roster
from deckc.grading.intake import from_zip, load_lms_ids
from grade_support import ASSIGNMENT, TIMEOUT, grade, new_course, scores, submit

NOTEBOOKS = {"rnn_step", "attention", "quick_check"}
ROSTER = """id,first_name,last_name,email,lms_user_id,sis_user_id,sis_login_id,section
jsmith,John,Smith,john.smith@uni.example,12345,S-001,jsmith,Lab A
jdoe,Jane,Doe,jane.doe@uni.example,,S-002,jdoe,Lab B
alopez,Ana María,López,ana.lopez@uni.example,,S-003,alopez,Lab A
"""


def _zip(path: Path, entries: dict, when=(2024, 2, 5, 10, 30, 0), step: int = 0) -> Path:
    """A zip of entries; the n-th entry's time is `when` plus n x `step` minutes."""
    import datetime as dt

    start = dt.datetime(*when)
    with zipfile.ZipFile(path, "w") as zf:
        for n, (name, data) in enumerate(entries.items()):
            info = zipfile.ZipInfo(name, date_time=(start + dt.timedelta(minutes=n * step)).timetuple()[:6])
            zf.writestr(info, data)
    return path


@pytest.fixture
def students(tmp_path):
    path = tmp_path / "students.csv"
    path.write_text(ROSTER, encoding="utf-8")
    return roster.load(path)


def test_canvas_download_through_a_roster(tmp_path, students):
    course = tmp_path / "course"
    export = _zip(tmp_path / "canvas.zip", {
        "submissions/smithjohn_12345_67890_rnn_step.ipynb": b"{}",          # by Canvas user id
        "submissions/doejane_late_222_333_attention-1.ipynb": b"{}",       # by name, late, resubmitted
        "submissions/doejane_late_222_334_rnn_step.ipynb": b"{}",
        "submissions/nobodyx_999_1_rnn_step.ipynb": b"{}",                 # not in the roster
        "submissions/smithjohn_12345_67891_notes.ipynb": b"{}",            # no notebook of the assignment
    }, step=10)
    got = from_zip(export, course, ASSIGNMENT, NOTEBOOKS, roster=students, lms_timezone="Europe/Berlin")
    assert sorted(got.added) == [("jdoe", "attention"), ("jdoe", "rnn_step"), ("jsmith", "rnn_step")]
    reasons = dict(got.rejected)
    assert "Canvas user 999 (nobodyx) is not in the roster" in reasons["submissions/nobodyx_999_1_rnn_step.ipynb"]
    assert "'notes.ipynb' is no notebook" in reasons["submissions/smithjohn_12345_67891_notes.ipynb"]
    assert got.late == ["jdoe"]
    # Berlin is UTC+1 in February: jdoe's later file, 10:50 in the zip, is 09:50 UTC, as nbgrader's
    # timestamp.txt; jsmith's 10:30 is 09:30
    stamp = (course / "submitted" / "jdoe" / ASSIGNMENT / "timestamp.txt").read_text()
    assert stamp == "2024-02-05 09:50:00.000000 UTC\n"
    assert (course / "submitted" / "jsmith" / ASSIGNMENT / "timestamp.txt").read_text().startswith(
        "2024-02-05 09:30:00")
    assert got.notes == []
    ids = load_lms_ids(course, ASSIGNMENT)
    assert ids["jsmith"]["lms"] == "canvas" and ids["jsmith"]["lms_id"] == "12345" and ids["jdoe"]["late"] == "yes"


def test_one_time_for_every_file_is_the_download_s_not_a_submission_time(tmp_path):
    export = _zip(tmp_path / "canvas.zip", {"smithjohn_12345_67890_rnn_step.ipynb": b"{}",
                                           "doejane_222_333_rnn_step.ipynb": b"{}"}, step=0)
    got = from_zip(export, tmp_path / "course", ASSIGNMENT, NOTEBOOKS)
    assert len(got.added) == 2 and not list((tmp_path / "course").rglob("timestamp.txt"))
    assert "the time of the download, not of the submissions; no timestamps set" in got.notes[0]


def test_canvas_download_without_a_roster(tmp_path):
    course = tmp_path / "course"
    export = _zip(tmp_path / "canvas.zip", {
        "smithjohn_12345_67890_rnn_step.ipynb": b"{}",
        "smithjohn_55555_1_attention.ipynb": b"{}",        # another Canvas user with the same name
    })
    got = from_zip(export, course, ASSIGNMENT, NOTEBOOKS)
    assert got.added == [("smithjohn", "rnn_step")]
    assert "would both be student 'smithjohn'; give --roster" in got.rejected[0][1]


def test_moodle_download_flat_and_in_folders(tmp_path, students):
    entries = {
        "Ana María López_4242_assignsubmission_file_rnn_step.ipynb": b"{}",
        "Jane Doe_77_assignsubmission_file_/attention.ipynb": b"{}",
        "Jane Doe_77_assignsubmission_file_/quick_check.ipynb": b"{}",
        "Jane Doe_77_assignsubmission_onlinetext_/onlinetext.html": b"<p>hi</p>",
    }
    got = from_zip(_zip(tmp_path / "m.zip", entries), tmp_path / "c1", ASSIGNMENT, NOTEBOOKS, roster=students)
    assert sorted(got.added) == [("alopez", "rnn_step"), ("jdoe", "attention"), ("jdoe", "quick_check")]
    assert got.ignored == ["Jane Doe_77_assignsubmission_onlinetext_/onlinetext.html"]
    ids = load_lms_ids(tmp_path / "c1", ASSIGNMENT)
    assert (ids["alopez"]["lms"], ids["alopez"]["lms_id"], ids["jdoe"]["lms_id"]) == ("moodle", "4242", "77")
    # without a roster: the slugged name
    got = from_zip(_zip(tmp_path / "m2.zip", entries), tmp_path / "c2", ASSIGNMENT, NOTEBOOKS)
    assert sorted({s for s, _ in got.added}) == ["ana_maria_lopez", "jane_doe"]


def test_a_bad_roster_is_located(tmp_path):
    bad = tmp_path / "r.csv"
    bad.write_text("name,email\nx,y\n", encoding="utf-8")
    with pytest.raises(roster.RosterError, match=r"r\.csv:1: no 'id' column"):
        roster.load(bad)
    bad.write_text("id,lms_user_id\nann,1\nbob,2\nann,3\n", encoding="utf-8")
    with pytest.raises(roster.RosterError, match=r"r\.csv:4: student 'ann' appears twice"):
        roster.load(bad)
    bad.write_text("id,lms_user_id\nann,1\nbob,1\n", encoding="utf-8")
    with pytest.raises(roster.RosterError, match=r"r\.csv:3: lms_user_id 1 is also 'ann'"):
        roster.load(bad)


def test_lms_files_never_start_a_formula(tmp_path):
    """A student named like a formula is text in the LMS's file; negative numbers stay numbers."""
    rows = _rows(("x", "=HYPERLINK(\"http://evil\")", "+1+cmd", "@SUM(A1)", "\tx", "", "", "", "", -1.5))
    header, data, _ = lms_export.table("csv", rows, 36.0, "a")
    lms_export.write_table(tmp_path / "x.csv", header, data)
    with open(tmp_path / "x.csv", newline="", encoding="utf-8") as f:
        got = list(csv.DictReader(f))[0]
    assert (got["first_name"], got["last_name"], got["email"], got["lms_user_id"]) == (
        "'=HYPERLINK(\"http://evil\")", "'+1+cmd", "'@SUM(A1)", "'\tx")
    assert got["score"] == "-1.50"


def _rows(*students):
    return [lms_export.Row(roster.Student(*s[:8]), *s[8:]) for s in students]


def test_export_formats_are_the_lms_own():
    rows = _rows(("jsmith", "John", "Smith", "john.smith@uni.example", "12345", "S-001", "jsmith", "Lab A", "",
                  31.5),
                 ("jdoe", "Jane", "Doe", "jane.doe@uni.example", "", "S-002", "jdoe", "Lab B", "77", 36.0),
                 ("ghost", "", "", "", "", "", "", "", "", None))
    header, data, problems = lms_export.table("canvas", rows, 36.0, "RNN vs attention", "4711")
    assert header == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "RNN vs attention (4711)"]
    assert data[0] == ["    Points Possible", "", "", "", "", "36"]
    assert data[1] == ["Smith, John", "12345", "S-001", "jsmith", "Lab A", "31.50"]
    assert data[3] == ["ghost", "", "", "", "", ""] and problems == [
        "ghost: no Canvas ID, SIS User ID or SIS Login ID; Canvas can match the row by name only "
        "(give --roster with lms_user_id)"]
    import datetime as dt

    header, data, problems = lms_export.table("moodle", rows, 36.0, "a",
                                              graded_at=dt.datetime(2024, 2, 6, 9, 5, tzinfo=dt.timezone.utc))
    assert header == ["Identifier", "Full name", "Email address", "Status", "Grade", "Maximum Grade",
                      "Grade can be changed", "Last modified (submission)", "Last modified (grade)",
                      "Feedback comments"]
    assert data == [["Participant 77", "Jane Doe", "jane.doe@uni.example", "Submitted for grading", "36", "36", "Yes",
                     "-", "2024-02-06 09:05:00 UTC", ""]]
    assert len(problems) == 2 and all("no Moodle participant id" in p for p in problems)
    header, data, _ = lms_export.table("moodle-grades", rows, 36.0, "rnn-vs-attention")
    assert header == ["First name", "Last name", "ID number", "Email address", "rnn-vs-attention"]
    assert data[0] == ["John", "Smith", "S-001", "john.smith@uni.example", "31.50"]


def _notebook(kind: str, tmp: Path) -> bytes:
    course = new_course(tmp / f"scratch-{kind}")
    submit(course, "x", kind)
    return (course / "submitted" / "x" / ASSIGNMENT / "quick_check.ipynb").read_bytes()


@pytest.mark.slow
def test_canvas_and_moodle_downloads_graded_and_exported(tmp_path):
    """Real grading of an LMS download (the quick check: one notebook), then the LMS CSVs."""
    from click.testing import CliRunner

    from deckc.grading.grades_cli import grades

    course = new_course(tmp_path / "course")
    roster_csv = tmp_path / "students.csv"
    roster_csv.write_text(ROSTER, encoding="utf-8")
    right, wrong = _notebook("reference", tmp_path), _notebook("quiz_wrong", tmp_path)
    canvas = _zip(tmp_path / "canvas.zip", {"smithjohn_12345_67890_quick_check.ipynb": right,
                                            "doejane_late_222_333_quick_check.ipynb": wrong})
    result = grade(course, "--from-zip", canvas, "--roster", roster_csv, "--jobs", "2", "--timeout", TIMEOUT,
                   "--no-feedback", "-q")
    assert result.exit_code == 0, result.output
    assert "late (marked by the LMS): jdoe" in result.output
    got = scores(course)
    assert {s: got[s]["quick_check"]["quick_check"][0] for s in got} == {"jsmith": 1.0, "jdoe": 0.0}
    out = tmp_path / "canvas.csv"
    run = CliRunner().invoke(grades, ["export", str(course), "--to", "canvas", "-o", str(out),
                                      "--roster", str(roster_csv), "--title", "Quick check"])
    assert run.exit_code == 0, run.output
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert rows[0][-1] == "Quick check" and rows[1][-1] == "36"
    by_id = {r[1]: r for r in rows[2:]}
    assert by_id["12345"][0] == "Smith, John" and by_id["12345"][-1] == "1"
    assert {r[0]: r[-1] for r in rows[2:]}["Doe, Jane"] == "0"       # roster name, no Canvas id in the roster
    assert {r[0] for r in rows[2:]} >= {"López, Ana María"}           # the roster's students are all there

    moodle = _zip(tmp_path / "moodle.zip", {"Ana María López_4242_assignsubmission_file_/quick_check.ipynb": right})
    result = grade(course, "--from-zip", moodle, "--roster", roster_csv, "--jobs", "1", "--timeout", TIMEOUT,
                   "--no-feedback", "-q", "-s", "alopez")
    assert result.exit_code == 0, result.output
    out = tmp_path / "moodle.csv"
    run = CliRunner().invoke(grades, ["export", str(course), "--to", "moodle", "-o", str(out)])
    assert run.exit_code == 0, run.output
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert rows[1][:6] == ["Participant 4242", "Ana María López", "ana.lopez@uni.example", "Submitted for grading",
                           "1", "36"]
    assert "jsmith: no Moodle participant id" in run.output
    import datetime as dt    # Moodle's strtotime reads when deckc graded: the time of tests.csv
    graded = dt.datetime.strptime(rows[1][8], "%Y-%m-%d %H:%M:%S UTC").replace(tzinfo=dt.timezone.utc)
    assert abs(graded.timestamp() - (course / "reports" / ASSIGNMENT / "tests.csv").stat().st_mtime) < 1
    page = (course / "reports" / ASSIGNMENT / "items.html").read_text(encoding="utf-8")
    assert "<svg" in page and "quick_check" in page and "Item analysis" in page


def test_an_export_with_no_student_row_fails(tmp_path):
    """Moodle's worksheet of a course graded without --from-zip (no participant ids), or any export
    before grading, holds no student: exit 1 and say why, not 'wrote 0 student row(s)' and 0."""
    from click.testing import CliRunner

    from deckc.grading.grades_cli import grades

    course = new_course(tmp_path / "course")
    for fmt in ("moodle", "canvas"):
        run = CliRunner().invoke(grades, ["export", str(course), "--to", fmt, "-o", str(tmp_path / f"{fmt}.csv")])
        assert run.exit_code == 1, run.output
        assert "wrote no student row" in run.output and "run deckc grade first" in run.output


def test_an_empty_submission_is_graded_0_and_a_cut_off_upload_is_not(tmp_path):
    """bob's folder holds no notebook (only notes.txt): a submission with every notebook missing,
    graded 0 as nbgrader grades a missing notebook, and said so everywhere: the summary, tests.csv,
    grades.csv, the LMS export. carol's one notebook is an empty file (a cut-off upload): never a
    silent 0, NOT GRADED with the refusal. No kernel runs for either."""
    from click.testing import CliRunner

    from deckc.grading.grades_cli import grades

    course = new_course(tmp_path / "course")
    (course / "submitted" / "bob" / ASSIGNMENT).mkdir(parents=True)
    (course / "submitted" / "bob" / ASSIGNMENT / "notes.txt").write_text("sorry", encoding="utf-8")
    (course / "submitted" / "carol" / ASSIGNMENT).mkdir(parents=True)
    (course / "submitted" / "carol" / ASSIGNMENT / "rnn_step.ipynb").write_bytes(b"")
    result = grade(course, "--jobs", "1", "--timeout", TIMEOUT, "--no-feedback", "--no-preflight")
    assert result.exit_code == 1, result.output
    out = result.output
    assert "empty submissions (graded 0, as nbgrader grades a missing notebook): 1 - bob" in out
    assert "bob: no notebook of the assignment handed in (files: notes.txt)" in out
    assert "NOT GRADED: 1" in out and "carol: " in out and "an empty file, not a notebook" in out
    reports = course / "reports" / ASSIGNMENT
    tests = list(csv.DictReader(io.StringIO((reports / "tests.csv").read_text(encoding="utf-8"))))
    assert tests and {r["student"] for r in tests} == {"bob"}
    assert {r["result"] for r in tests} == {"not submitted"} and {r["points"] for r in tests} == {"0"}
    assert all(r["message"].startswith("empty submission: no notebook of the assignment") for r in tests)
    graded = {r["student_id"]: r for r in csv.DictReader(io.StringIO((reports / "grades.csv").read_text()))}
    assert set(graded) == {"bob"} and float(graded["bob"]["score"]) == 0.0
    export = tmp_path / "plain.csv"
    run = CliRunner().invoke(grades, ["export", str(course), "--to", "csv", "-o", str(export)])
    assert run.exit_code == 0, run.output
    rows = {r["student"]: r for r in csv.DictReader(io.StringIO(export.read_text(encoding="utf-8")))}
    assert (rows["bob"]["score"], rows["bob"]["submitted"]) == ("0", "yes")
    assert rows["bob"]["note"].startswith("empty submission: no notebook of the assignment")
    assert (rows["carol"]["score"], rows["carol"]["submitted"]) == ("", "no")
    assert "not graded: rnn_step.ipynb: an empty file, not a notebook" in rows["carol"]["note"]
